"""The rulebook: what every rule of a policy means, written once.

Every stage that needs a judgement asks here: the reader (the yes-words and the
placeholders that mean "missing"), the grouping methods (units, the weak set, the lead
pool, the distance tolerance, the metric CRS of a unit, and their final check) and the
evaluation (:func:`geogroup.check_plan` is :func:`violations` as a table). A rule changed
here changes everywhere at once; the tests judge plans with an oracle of their own.

Words (``_words``)
    :data:`YES_WORDS` / :data:`NO_WORDS` for flag columns (``1``, ``true``, ``yes``, ``是``,
    ``√`` …); :data:`PLACEHOLDERS` (``.``, ``NA``, ``无`` …) mean a missing cell.
Units (``_units``)
    A plan is grouped unit by unit: the values of the ``by`` column, and under
    ``levels = 'same'`` the school level within each (:func:`unit_labels`). A school whose
    ``by`` value is missing has no unit. Weak schools, the lead pool, the number of groups,
    lead spacing and the metric CRS are all counted within a unit.
Metric CRS
    Each unit is measured in the UTM zone of its centre (:func:`metric_crs`); distances are
    straight lines in km; across two units (a broken plan), on the ellipsoid. Schools
    without a CRS lie on a plain x/y plane in metres, measured as they are
    (:func:`is_planar`).
Tolerance
    A member keeps ``max_distance_km`` when ``d <= cap + TOLERANCE_KM``; two leads keep
    ``min_lead_spacing_km`` when ``d >= spacing - TOLERANCE_KM`` (:func:`within_cap`,
    :func:`spaced`).
Weak schools
    The ``ceil(weak_share · n)`` lowest by quality in their unit, ties by school id
    (:func:`weak_flags`).
Lead pool
    ``top:S``: the ``max(1, ceil(S · n))`` best by quality in their unit (ties by id);
    ``column:C``: the schools whose column ``C`` holds a yes-word; ``column:C or top:S``:
    the schools column ``C`` marks, in a unit where it marks any, else the top share ``S``;
    a list of ids: exactly those, and each of them must lead (:func:`lead_flags`).
A plan (``_plan``)
    A school is in a group when it has a ``group_id`` and its role is not ``unassigned``;
    the group's lead is its school with role ``lead``; every other school in the group is a
    member (:class:`PlanArrays`).
The rules (``_judge``, :data:`RULES`, in the order :func:`violations` lists them)
    ``role``: roles are lead, member or unassigned, and a lead or member has a group.
    ``unassigned``: a school in no group carries its reason.
    ``one_lead``: a group has exactly one lead.
    ``members``: a group has ``members = [min, max]`` members (the lead not counted).
    ``group_students``: a group's students, its lead's included, are within
    ``group_students = [min, max]`` (a school without a student count breaks it).
    ``capacity``: a group's students are at most its lead's value in the policy's
    ``capacity_column`` (a lead without one breaks it).
    ``n_groups``: each unit has exactly ``n_groups`` groups, when the policy sets it.
    ``leads``: every lead is in the lead pool (a lead of a ``fixed_group`` excepted); under
    a list of ids, every listed school leads.
    ``max_distance_km``: every member lies within the cap of its lead (along the roads
    when the plan has road distances: a pair they do not join is beyond any cap).
    ``max_travel_min``: every member lies within that many minutes of its lead (needs
    travel times).
    ``pair_urban_rural``: a group with an urban lead has a rural member (城乡结对).
    ``min_weak_per_group``: a group has that many weak members (a weak lead does not count).
    ``min_weak_share``: weak members are at least that share of the group's schools, its
    lead counted in the size (a weak lead does not count as weak).
    ``levels``: under ``'same'``, a group holds one level.
    ``by``: a group stays within one unit of the ``by`` column.
    ``sectors``: under ``sectors = n``, a group keeps to one sector by bearing from its
    county's centre, and a sector of a unit holds one group (``_sectors``).
    ``leads`` also reads ``leads_from = 'urban'``: only urban schools are in the pool.
    ``min_lead_spacing_km``: two leads of a unit are at least that far apart.
    ``fixed_group``: the schools of a fixed group stay together, in one group of their own.
"""

from __future__ import annotations

from geogroup.rules._judge import STUDENTS_TOLERANCE, violations
from geogroup.rules._plan import PlanArrays, enrolment, plan_arrays, plan_roles
from geogroup.rules._sectors import SECTOR_NAMES, sector_of
from geogroup.rules._units import (
    TOLERANCE_KM,
    UNKNOWN_LEVEL,
    is_planar,
    lead_flags,
    leads_used,
    levels_of,
    metric_crs,
    metric_xy,
    rank_order,
    spaced,
    split_units,
    unit_labels,
    unit_seed,
    unit_xy,
    weak_flags,
    within_cap,
    within_minutes,
)
from geogroup.rules._words import NO_WORDS, PLACEHOLDERS, YES_WORDS, words, words_kept, yes_no

RULES = (
    "role",
    "unassigned",
    "one_lead",
    "members",
    "group_students",
    "capacity",
    "n_groups",
    "leads",
    "max_distance_km",
    "max_travel_min",
    "pair_urban_rural",
    "min_weak_per_group",
    "min_weak_share",
    "levels",
    "by",
    "sectors",
    "min_lead_spacing_km",
    "fixed_group",
)
"""The rules :func:`violations` judges, in the order of its rows."""

__all__ = [
    "NO_WORDS",
    "PLACEHOLDERS",
    "RULES",
    "SECTOR_NAMES",
    "STUDENTS_TOLERANCE",
    "TOLERANCE_KM",
    "UNKNOWN_LEVEL",
    "YES_WORDS",
    "PlanArrays",
    "enrolment",
    "is_planar",
    "lead_flags",
    "leads_used",
    "levels_of",
    "metric_crs",
    "metric_xy",
    "plan_arrays",
    "plan_roles",
    "rank_order",
    "sector_of",
    "spaced",
    "split_units",
    "unit_labels",
    "unit_seed",
    "unit_xy",
    "violations",
    "weak_flags",
    "within_cap",
    "within_minutes",
    "words",
    "words_kept",
    "yes_no",
]
