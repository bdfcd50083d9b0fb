"""Evaluate: the numbers a planner defends a plan with, the policy check, and comparisons.

Metrics are small functions (one figure each, formula in the docstring):

* **per school** — a ``Series`` indexed by ``school_id``: :func:`distance_to_lead`,
  :func:`weak_schools`, :func:`allowed_leads`, :func:`rural_with_urban_lead`;
* **per group** — a ``Series`` indexed by ``group_id`` and named after the metric:
  :func:`group_size`, :func:`mean_quality`, :func:`min_quality`, :func:`max_quality`,
  :func:`lead_quality`, :func:`quality_gap`, :func:`mean_distance`, :func:`p95_distance`,
  :func:`max_distance`, :func:`area_counts`, :func:`mixed_groups`, :func:`exchange_quota`,
  :func:`polsby_popper` of :func:`group_polygons`;
* **per plan** — one number: :func:`coverage`, :func:`weak_coverage`,
  :func:`group_mean_sd`, :func:`group_mean_range`, and the three parts of :func:`theil`.

:func:`group_metrics` gathers the per-group ones in a table, :func:`plan_metrics` the
per-plan figures in a plain dict (``metrics.json``). :func:`check_plan` lists every rule of
a policy that a plan breaks, :func:`compare_plans` tells what changed between two plans and
:func:`value_added` how the gaps moved between two years of scores (from the plan's columns
or from files of school ids and scores: :func:`scores_of`, :func:`read_scores`). :func:`rule_arrays` is
the rulebook's reading of a plan that every metric starts from; within
:func:`reusing_arrays` it is computed once per plan and policy.

Every function takes a :class:`~geogroup.plan.Plan` or a schools frame with the plan columns
``group_id`` and ``role`` — a planner's own grouping included (see
:func:`~geogroup.plan.read_plan`). Conventions:

* a school is **in a group** when it has a ``group_id`` and its role is not ``'unassigned'``;
  a school with a group and any role other than ``'lead'`` counts as a member (the check
  reports roles it does not know);
* the **lead** of a group is the school whose role is ``'lead'``; ``lead_id`` and
  ``distance_km`` columns of the input are not trusted: distances are recomputed from the
  coordinates, in the UTM zone of the plan (:func:`~geogroup.locate.metric_xy`);
* **weak** schools are the bottom ``policy.weak_share`` by quality — ``ceil(share · n)``
  schools, ties broken by id — and the schools that **may lead** follow ``policy.leads``;
  both are counted within the units the plan was grouped in (the ``by`` column of the plan,
  and the school level when ``policy.levels == 'same'``), as the grouping methods do.
"""

from __future__ import annotations

from geogroup.evaluate._check import RULES, check_plan
from geogroup.evaluate._compare import Comparison, compare_plans
from geogroup.evaluate._figures import (
    coverage,
    group_mean_range,
    group_mean_sd,
    plan_metrics,
    theil,
    weak_coverage,
)
from geogroup.evaluate._frame import arrays_of as rule_arrays
from geogroup.evaluate._frame import reusing_arrays
from geogroup.evaluate._groups import (
    KEY_TEACHERS,
    allowed_leads,
    area_counts,
    distance_to_lead,
    exchange_quota,
    group_metrics,
    group_polygons,
    group_size,
    lead_of,
    lead_quality,
    max_distance,
    max_quality,
    mean_distance,
    mean_quality,
    min_quality,
    mixed_groups,
    p95_distance,
    polsby_popper,
    quality_gap,
    rural_with_urban_lead,
    weak_schools,
)
from geogroup.evaluate._value_added import (
    ValueAdded,
    read_scores,
    scores_of,
    unmatched_ids,
    value_added,
)

__all__ = [
    "KEY_TEACHERS",
    "RULES",
    "Comparison",
    "ValueAdded",
    "allowed_leads",
    "area_counts",
    "check_plan",
    "compare_plans",
    "coverage",
    "distance_to_lead",
    "exchange_quota",
    "group_mean_range",
    "group_mean_sd",
    "group_metrics",
    "group_polygons",
    "group_size",
    "lead_of",
    "lead_quality",
    "max_distance",
    "max_quality",
    "mean_distance",
    "mean_quality",
    "min_quality",
    "mixed_groups",
    "p95_distance",
    "plan_metrics",
    "polsby_popper",
    "quality_gap",
    "read_scores",
    "reusing_arrays",
    "rule_arrays",
    "rural_with_urban_lead",
    "scores_of",
    "theil",
    "unmatched_ids",
    "value_added",
    "weak_coverage",
    "weak_schools",
]
