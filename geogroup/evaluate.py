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
:func:`value_added` how the gaps moved between two years of scores.

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

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geogroup import schema as S
from geogroup._errors import InputError, PolicyError
from geogroup.locate import metric_crs, metric_xy, within_radius
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy

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
    "rural_with_urban_lead",
    "theil",
    "value_added",
    "weak_coverage",
    "weak_schools",
]

PlanLike = Plan | pd.DataFrame

KEY_TEACHERS = "key_teachers"
"""Optional column: key (骨干) teachers per school, for the second "15 %" of exchange."""

EXCHANGE_RATE = 0.15  # Liangxi's "two 15 %" (两个15%): 15 % of teachers and of key teachers
_TOLERANCE_KM = 0.001  # 1 m: the plan's own CRS may differ slightly from the plan-wide one
_TRUTHY = {"true", "1", "1.0", "yes", "y", "是"}  # as the grouping methods read lead columns
_SHOWN = 5


# --- the plan as plain columns -------------------------------------------------------------


def _schools_of(plan: PlanLike) -> pd.DataFrame:
    schools = plan.schools if isinstance(plan, Plan) else plan
    if not isinstance(schools, pd.DataFrame):
        raise InputError(
            f"plan: expected a Plan or a schools frame with group_id and role columns, got "
            f"{type(plan).__name__}; read a saved plan with geogroup.plan.read_plan()"
        )
    return schools


def _labels(values: pd.Series) -> NDArray[np.object_]:
    """Stripped strings, ``None`` for missing or blank cells."""
    out = [None if pd.isna(v) else (str(v).strip() or None) for v in values.astype(object)]
    return np.array(out, dtype=object)


def _core(plan: PlanLike) -> pd.DataFrame:
    """One row per school: its group (or None), role, quality and the derived flags."""
    schools = _schools_of(plan)
    missing = [c for c in (S.QUALITY, S.GROUP_ID, S.ROLE) if c not in schools]
    if missing:
        raise InputError(
            f"plan: missing column(s) {', '.join(missing)}; a plan needs quality, group_id and "
            f"role (it has {', '.join(map(str, schools.columns))})"
        )
    index = pd.Index([str(i) for i in schools.index], name=S.SCHOOL_ID, dtype=object)
    if not index.is_unique:
        dup = index[index.duplicated()].unique()[:_SHOWN]
        raise InputError(f"plan: school ids must be unique; repeated: {', '.join(dup)}")
    quality = pd.to_numeric(schools[S.QUALITY].astype(object), errors="coerce").to_numpy(
        dtype=float
    )
    if np.isnan(quality).any():
        bad = index[np.isnan(quality)]
        raise InputError(
            f"plan: {len(bad)} school(s) have no numeric quality (e.g. {', '.join(bad[:_SHOWN])}); "
            "every school of a plan needs one"
        )
    group = _labels(schools[S.GROUP_ID])
    role = np.array(
        [
            r.lower() if r is not None else (S.UNASSIGNED if g is None else "")
            for r, g in zip(_labels(schools[S.ROLE]), group, strict=True)
        ],
        dtype=object,
    )
    assigned = np.array([g is not None for g in group], dtype=bool) & (role != S.UNASSIGNED)
    lead = assigned & (role == S.LEAD)
    return pd.DataFrame(
        {
            "group": pd.Series(group, index=index, dtype=object),
            "role": pd.Series(role, index=index, dtype=object),
            "quality": pd.Series(quality, index=index),
            "assigned": pd.Series(assigned, index=index),
            "lead": pd.Series(lead, index=index),
            "member": pd.Series(assigned & ~lead, index=index),
        }
    )


def _groups(core: pd.DataFrame) -> pd.Index:
    return pd.Index(sorted(set(core["group"][core["assigned"]])), name=S.GROUP_ID, dtype=object)


def _per_group(
    core: pd.DataFrame, values: pd.Series, mask: pd.Series, how: str, name: str
) -> pd.Series:
    """``values`` of the schools in ``mask`` aggregated by group, one row per group.

    ``how`` is a pandas aggregation, ``'p95'`` (the 95th percentile, linear) or ``'join'``
    (the values as text joined by ", ", for the lead of a group with several leads).
    """
    by = values[mask].groupby(core["group"][mask])
    if how == "p95":
        grouped = by.quantile(0.95)
    elif how == "join":
        grouped = by.agg(lambda v: ", ".join(map(str, v))) if (by.size() > 1).any() else by.first()
    else:
        grouped = by.agg(how)
    return grouped.reindex(_groups(core)).rename(name)


def _area(plan: PlanLike, core: pd.DataFrame) -> pd.Series:
    schools = _schools_of(plan)
    if S.AREA not in schools:
        raise InputError(
            "plan: no 'area' column, so urban and rural schools cannot be told apart; "
            "read the schools with read_schools(), which derives it"
        )
    return pd.Series(
        [a.lower() if a else None for a in _labels(schools[S.AREA])], index=core.index, dtype=object
    )


def _policy_of(plan: PlanLike, policy: str | Policy | None) -> Policy:
    if policy is not None:
        return get_policy(policy)
    return plan.policy if isinstance(plan, Plan) else Policy(name="unknown")


def _units(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> pd.Series:
    """The unit label of every school: the plan's ``by`` column, and the level under
    ``levels = 'same'`` — the units in which the grouping methods count weak schools,
    leads and groups."""
    schools = _schools_of(plan)
    by = plan.params.get("by") if isinstance(plan, Plan) else None
    keys = []
    if by and by in schools:
        keys.append(schools[by].astype(object).fillna("").astype(str).to_numpy())
    if policy.levels == "same" and S.LEVEL in schools:
        keys.append(schools[S.LEVEL].astype(object).fillna("unknown-level").astype(str).to_numpy())
    labels = ["-".join(parts) for parts in zip(*keys, strict=True)] if keys else [""] * len(core)
    return pd.Series(labels, index=core.index, dtype=object)


def _unit_positions(units: pd.Series) -> list[NDArray[np.int64]]:
    return [
        np.asarray(p, dtype=np.int64)
        for p in pd.Series(np.arange(len(units)))
        .groupby(units.to_numpy(), sort=True)
        .groups.values()
    ]


def _rank_order(core: pd.DataFrame, pos: NDArray[np.int64]) -> NDArray[np.int64]:
    """Positions from lowest to highest quality, ties by id (the grouping methods' order)."""
    ids = core.index.to_numpy(dtype=str)[pos]
    return pos[np.lexsort((ids, core["quality"].to_numpy()[pos]))]


# --- per school ----------------------------------------------------------------------------


def _distances(plan: PlanLike, core: pd.DataFrame) -> pd.Series:
    schools = _schools_of(plan)
    if not isinstance(schools, gpd.GeoDataFrame):
        raise InputError(
            "plan: distances need the school points; expected a GeoDataFrame, got a "
            f"{type(schools).__name__} (read_plan() returns one)"
        )
    xy = metric_xy(schools.geometry)
    pos = np.arange(len(core))
    leads = pd.DataFrame(
        {"group": core["group"][core["lead"]].to_numpy(), "lead": pos[core["lead"]]}
    )
    members = pd.DataFrame(
        {"group": core["group"][core["member"]].to_numpy(), "school": pos[core["member"]]}
    )
    pairs = members.merge(leads, on="group")
    km = np.hypot(*(xy[pairs["school"]] - xy[pairs["lead"]]).T) / 1000.0
    out = np.full(len(core), np.nan)
    nearest = pd.Series(km).groupby(pairs["school"].to_numpy()).min()
    out[nearest.index.to_numpy(dtype=np.int64)] = nearest.to_numpy()
    out[core["lead"].to_numpy()] = 0.0
    return pd.Series(out, index=core.index, name="distance_km")


def distance_to_lead(plan: PlanLike) -> pd.Series:
    """Straight-line distance of every school to the lead of its group, in km.

    ``d_i = ‖xy_i − xy_lead(i)‖ / 1000`` in the plan's UTM zone, recomputed from the points
    (a ``distance_km`` column in the input is ignored). A lead has 0; a school outside any
    group, or in a group without a lead, has NaN; in a group with several leads (a broken
    plan), the nearest of them counts.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> distance_to_lead(plan).round(2).tolist()
    [0.0, 1.01, 1.0, 0.0, 1.01, 1.0]
    """
    return _distances(plan, _core(plan))


def lead_of(plan: PlanLike) -> pd.Series:
    """The ``school_id`` of the lead of each school's group (its own id for a lead).

    None for a school in no group or in a group without a lead; the ids joined by ", " in a
    group with several leads (a broken plan).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> lead_of(plan).tolist()
    ['A', 'A', 'A', 'D', 'D', 'D']
    """
    core = _core(plan)
    leads = _per_group(core, core.index.to_series(), core["lead"], "join", "lead_id").dropna()
    out = core["group"].where(core["assigned"], None).map(leads.to_dict())
    return out.astype(object).where(out.notna(), None).rename(S.LEAD_ID)


def _weak(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> pd.Series:
    weak = np.zeros(len(core), dtype=bool)
    for pos in _unit_positions(_units(plan, core, policy)):
        k = math.ceil(policy.weak_share * len(pos) - 1e-9)
        weak[_rank_order(core, pos)[:k]] = True
    return pd.Series(weak, index=core.index, name="weak")


def weak_schools(plan: PlanLike, policy: str | Policy | None = None) -> pd.Series:
    """Whether each school is weak: among the ``ceil(weak_share · n)`` lowest by quality.

    ``n`` counts every school of a unit (grouped or not); ties are broken by school id, as
    the grouping methods do. ``policy`` defaults to the plan's own (``weak_share = 0.2``
    for a bare frame).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> weak_schools(plan)[lambda w: w].index.tolist()  # ceil(0.2 · 6) = 2: C (50), E (55)
    ['C', 'E']
    """
    core = _core(plan)
    return _weak(plan, core, _policy_of(plan, policy))


def _allowed(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> pd.Series | None:
    """May each school lead under ``policy.leads``? None when the lead column is missing."""
    kind, value = policy.lead_rule
    schools = _schools_of(plan)
    if kind == "ids":
        flags = core.index.isin([str(v) for v in value])
    elif kind == "column":
        if value not in schools:
            return None
        flags = np.array([str(v).strip().lower() in _TRUTHY for v in schools[value].astype(object)])
    else:
        flags = np.zeros(len(core), dtype=bool)
        for pos in _unit_positions(_units(plan, core, policy)):
            k = max(1, math.ceil(value * len(pos) - 1e-9))
            flags[_rank_order(core, pos)[::-1][:k]] = True
    return pd.Series(flags, index=core.index, name="allowed_lead")


def allowed_leads(plan: PlanLike, policy: str | Policy | None = None) -> pd.Series:
    """Whether each school may lead under ``policy.leads``: the lead pool, or *quality schools*.

    ``'top:S'``: the ``max(1, ceil(S · n))`` best schools by quality of each unit (ties by
    id); ``'column:C'``: the schools whose column ``C`` is true (true, 1, yes, 是);
    a list of ids: those schools.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> allowed_leads(plan, Policy(leads="top:0.34"))[lambda a: a].index.tolist()  # ceil(2.04) = 3
    ['A', 'D', 'F']
    """
    core = _core(plan)
    policy = _policy_of(plan, policy)
    flags = _allowed(plan, core, policy)
    if flags is None:
        raise InputError(
            f"policy 'leads' = {policy.leads!r}, but the plan has no column "
            f"{policy.lead_rule[1]!r}; add it or use leads = 'top:S'"
        )
    return flags


def _urban_led(core: pd.DataFrame, area: pd.Series) -> pd.Series:
    """Groups (index) with at least one urban lead."""
    urban_lead = core["lead"] & (area == S.URBAN)
    return (
        _per_group(core, urban_lead, core["assigned"], "any", "urban_led")
        .fillna(False)
        .astype(bool)
    )


def rural_with_urban_lead(plan: PlanLike) -> pd.Series:
    """Whether each school is a rural member of a group led by an urban school (城乡结对).

    False for every other school. The plan's share is ``sum / number of rural schools``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> rural_with_urban_lead(plan).sum()  # B, C, E, F: rural, led by A or D (urban)
    np.int64(4)
    """
    core = _core(plan)
    area = _area(plan, core)
    led = core["group"].map(_urban_led(core, area)).fillna(False).astype(bool)
    return (core["member"] & (area == S.RURAL) & led).rename("rural_with_urban_lead")


# --- per group -----------------------------------------------------------------------------


def _size(core: pd.DataFrame) -> pd.Series:
    return _per_group(core, core["assigned"], core["assigned"], "sum", "size").astype(int)


def group_size(plan: PlanLike) -> pd.Series:
    """Schools in each group, the lead included: ``n_g = 1 + X``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> group_size(plan).to_dict()
    {'G1': 3, 'G2': 3}
    """
    return _size(_core(plan))


def _quality(core: pd.DataFrame, how: str, name: str) -> pd.Series:
    return _per_group(core, core["quality"], core["assigned"], how, name)


def mean_quality(plan: PlanLike) -> pd.Series:
    """Mean quality of each group's schools, lead included: ``q̄_g = Σ_{i∈g} q_i / n_g``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> mean_quality(plan).round(3).to_dict()  # (90 + 60 + 50) / 3, (85 + 55 + 65) / 3
    {'G1': 66.667, 'G2': 68.333}
    """
    return _quality(_core(plan), "mean", "mean_quality")


def min_quality(plan: PlanLike) -> pd.Series:
    """Lowest quality in each group: ``min_{i∈g} q_i``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> min_quality(plan).to_dict()
    {'G1': 50.0, 'G2': 55.0}
    """
    return _quality(_core(plan), "min", "min_quality")


def max_quality(plan: PlanLike) -> pd.Series:
    """Highest quality in each group: ``max_{i∈g} q_i``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> max_quality(plan).to_dict()
    {'G1': 90.0, 'G2': 85.0}
    """
    return _quality(_core(plan), "max", "max_quality")


def _lead_quality(core: pd.DataFrame) -> pd.Series:
    return _per_group(core, core["quality"], core["lead"], "mean", "lead_quality")


def lead_quality(plan: PlanLike) -> pd.Series:
    """Quality of each group's lead (the mean of its leads in a broken plan; NaN without).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> lead_quality(plan).to_dict()
    {'G1': 90.0, 'G2': 85.0}
    """
    return _lead_quality(_core(plan))


def _gap(core: pd.DataFrame) -> pd.Series:
    members = _per_group(core, core["quality"], core["member"], "mean", "member_quality")
    return (_lead_quality(core) - members).rename("quality_gap")


def quality_gap(plan: PlanLike) -> pd.Series:
    """Quality gap between lead and members: ``q_lead − mean_{i∈members} q_i``.

    Positive when the lead is stronger than its members, as a 1+X group intends; NaN for a
    group without lead or without members. :func:`value_added` follows it over two years.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> quality_gap(plan).to_dict()  # 90 − (60 + 50) / 2, 85 − (55 + 65) / 2
    {'G1': 35.0, 'G2': 25.0}
    """
    return _gap(_core(plan))


def _distance(core: pd.DataFrame, km: pd.Series, how: Any, name: str) -> pd.Series:
    return _per_group(core, km, core["member"], how, name)


def _p95(values: pd.Series) -> float:  # as 'p95' in _per_group
    return float(np.percentile(values, 95)) if len(values) else math.nan


def mean_distance(plan: PlanLike) -> pd.Series:
    """Mean member-to-lead distance of each group, km: ``Σ_{i∈members} d_i / X``.

    Over members only (the lead's 0 is not averaged in); NaN without members.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> mean_distance(plan).round(3).to_dict()
    {'G1': 1.005, 'G2': 1.005}
    """
    core = _core(plan)
    return _distance(core, _distances(plan, core), "mean", "mean_distance_km")


def p95_distance(plan: PlanLike) -> pd.Series:
    """95th percentile of member-to-lead distances in each group, km (linear interpolation,
    ``numpy.percentile``'s default).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> p95_distance(plan).round(3).to_dict()
    {'G1': 1.011, 'G2': 1.011}
    """
    core = _core(plan)
    return _distance(core, _distances(plan, core), "p95", "p95_distance_km")


def max_distance(plan: PlanLike) -> pd.Series:
    """Longest member-to-lead distance of each group, km: ``max_{i∈members} d_i``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> max_distance(plan).round(3).to_dict()
    {'G1': 1.012, 'G2': 1.012}
    """
    core = _core(plan)
    return _distance(core, _distances(plan, core), "max", "max_distance_km")


def _area_counts(core: pd.DataFrame, area: pd.Series) -> pd.DataFrame:
    return pd.concat(
        [
            _per_group(core, area == S.URBAN, core["assigned"], "sum", "n_urban").astype(int),
            _per_group(core, area == S.RURAL, core["assigned"], "sum", "n_rural").astype(int),
        ],
        axis=1,
    )


def area_counts(plan: PlanLike) -> pd.DataFrame:
    """Urban and rural schools of each group, lead included: columns ``n_urban``, ``n_rural``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> area_counts(plan).loc["G1"].tolist()
    [1, 2]
    """
    core = _core(plan)
    return _area_counts(core, _area(plan, core))


def mixed_groups(plan: PlanLike) -> pd.Series:
    """Whether each group holds both urban and rural schools: ``n_urban ≥ 1 and n_rural ≥ 1``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> mixed_groups(plan).tolist()
    [True, True]
    """
    counts = area_counts(plan)
    return ((counts["n_urban"] > 0) & (counts["n_rural"] > 0)).rename("mixed")


def _quota(plan: PlanLike, core: pd.DataFrame, rate: float, column: str) -> pd.DataFrame:
    schools = _schools_of(plan)
    if not 0 < rate <= 1:
        raise PolicyError(f"exchange rate: expected a share 0 < rate <= 1, got {rate!r}")
    if column not in schools:
        raise InputError(
            f"plan: no {column!r} column, so its exchange quota is unknown; add the counts per "
            "school to compute it"
        )
    counts = pd.Series(
        pd.to_numeric(schools[column].astype(object), errors="coerce").to_numpy(dtype=float),
        index=core.index,
    )
    known = counts.notna()
    total = _per_group(core, counts.fillna(0.0), core["assigned"], "sum", column)
    complete = _per_group(core, known, core["assigned"], "all", "complete").astype(bool)
    total = total.where(complete)
    quota = np.ceil(rate * total - 1e-9)  # 15 % of 100 is 15, not 16 from 15.000000000000002
    return pd.DataFrame({column: total, f"{column}_quota": quota})


def exchange_quota(
    plan: PlanLike, rate: float = EXCHANGE_RATE, column: str = S.TEACHERS
) -> pd.Series:
    """Teachers each group should exchange: ``ceil(rate · Σ_{i∈g} teachers_i)``.

    Liangxi's "two 15 %" (两个15%): 15 % of a group's teachers and 15 % of its key teachers
    take part in exchange. ``column='key_teachers'`` gives the second quota when the plan
    has a ``key_teachers`` column (it is an error to ask without one: key teachers are
    unknown). NaN for a group where any school's count is missing, rather than a quota
    that is too small.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> exchange_quota(plan).to_dict()  # ceil(0.15 · (70 + 18 + 14)), ceil(0.15 · (62 + 15 + 19))
    {'G1': 16.0, 'G2': 15.0}
    """
    core = _core(plan)
    return _quota(plan, core, rate, column)[f"{column}_quota"]


def group_polygons(plan: PlanLike) -> gpd.GeoSeries:
    """The polygon of each group, WGS-84: the plan's zones (districts method) when it has
    them, else the convex hull of the group's schools (a point or a line for one or two
    schools, or schools in a row).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> group_polygons(plan).geom_type.tolist()
    ['Polygon', 'Polygon']
    """
    core = _core(plan)
    groups = _groups(core)
    if isinstance(plan, Plan) and plan.zones is not None:
        zones = plan.zones.to_crs(S.WGS84) if plan.zones.crs else plan.zones.set_crs(S.WGS84)
        zones = zones.set_axis(zones.index.map(str))
        return gpd.GeoSeries(zones.geometry.reindex(groups), crs=S.WGS84, name="polygon")
    schools = _schools_of(plan)
    if not isinstance(schools, gpd.GeoDataFrame):
        raise InputError(
            f"plan: group polygons need the school points, got a {type(schools).__name__}"
        )
    assigned = core["assigned"].to_numpy()
    points = schools.geometry.to_crs(S.WGS84).to_numpy()[assigned]
    codes = groups.get_indexer(core["group"].to_numpy()[assigned])
    order = np.argsort(codes, kind="stable")
    hulls = shapely.convex_hull(shapely.multipoints(points[order], indices=codes[order]))
    return gpd.GeoSeries(hulls, index=groups, crs=S.WGS84, name="polygon")


def polsby_popper(geometry: gpd.GeoSeries) -> pd.Series:
    """Polsby–Popper compactness of each polygon: ``4πA / P²``, in a metric CRS.

    1 for a disc, π/4 ≈ 0.785 for a square, near 0 for a long thin shape; NaN for a point,
    a line or a missing geometry (no area). Geographic coordinates are projected to the UTM
    zone of the polygons first; a projected CRS is used as it is.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> polsby_popper(gpd.GeoSeries([box(0, 0, 1000, 1000)], crs="EPSG:32651")).round(4).tolist()
    [0.7854]
    """
    if not isinstance(geometry, gpd.GeoSeries) or geometry.crs is None:
        raise InputError(
            "geometry: expected a GeoSeries of polygons with a CRS, got a "
            f"{type(geometry).__name__}; set its CRS with .set_crs()"
        )
    shapes = geometry
    if geometry.crs.is_geographic and geometry.notna().any() and not geometry.is_empty.all():
        usable = geometry[geometry.notna() & ~geometry.is_empty]
        shapes = geometry.to_crs(metric_crs(usable.representative_point()))
    area = shapes.area.to_numpy(dtype=float)
    perimeter = shapes.length.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(area > 0, 4.0 * math.pi * area / perimeter**2, np.nan)
    return pd.Series(value, index=geometry.index, name="compactness")


def group_metrics(
    plan: PlanLike, policy: str | Policy | None = None, *, exchange_rate: float = EXCHANGE_RATE
) -> pd.DataFrame:
    """One row per group with every per-group metric of this module.

    Columns: ``lead_id``, ``lead_name``, ``size``, ``members``, ``lead_quality``,
    ``mean_quality``, ``min_quality``, ``max_quality``, ``quality_gap``,
    ``mean_distance_km``, ``p95_distance_km``, ``max_distance_km``, ``n_weak`` (weak members),
    then when the plan has the columns ``n_urban``, ``n_rural``, ``mixed``, ``lead_area``;
    ``compactness`` (:func:`polsby_popper` of :func:`group_polygons`); ``teachers`` and
    ``teachers_quota``, ``key_teachers`` and ``key_teachers_quota``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> table = group_metrics(plan)
    >>> table[["lead_id", "size", "quality_gap", "n_weak", "teachers_quota"]].to_dict("index")["G1"]
    {'lead_id': 'A', 'size': 3, 'quality_gap': 35.0, 'n_weak': 1, 'teachers_quota': 16.0}
    """
    core = _core(plan)
    policy = _policy_of(plan, policy)
    schools = _schools_of(plan)
    km = _distances(plan, core)
    lead_names = (
        schools[S.NAME].set_axis(core.index) if S.NAME in schools else core.index.to_series()
    )
    table = pd.DataFrame(
        {
            "lead_id": _per_group(core, core.index.to_series(), core["lead"], "join", "lead_id"),
            "lead_name": _per_group(
                core, lead_names.astype(str), core["lead"], "join", "lead_name"
            ),
            "size": _size(core),
            "members": _per_group(core, core["member"], core["assigned"], "sum", "members").astype(
                int
            ),
            "lead_quality": _lead_quality(core),
            "mean_quality": _quality(core, "mean", "mean_quality"),
            "min_quality": _quality(core, "min", "min_quality"),
            "max_quality": _quality(core, "max", "max_quality"),
            "quality_gap": _gap(core),
            "mean_distance_km": _distance(core, km, "mean", "mean_distance_km"),
            "p95_distance_km": _distance(core, km, "p95", "p95_distance_km"),
            "max_distance_km": _distance(core, km, "max", "max_distance_km"),
            "n_weak": _per_group(core, _weak(plan, core, policy), core["member"], "sum", "n_weak")
            .fillna(0)
            .astype(int),
        }
    )
    return pd.concat([table, *_optional_group_columns(plan, core, exchange_rate)], axis=1)


def _optional_group_columns(plan: PlanLike, core: pd.DataFrame, rate: float) -> list[pd.DataFrame]:
    schools = _schools_of(plan)
    out = []
    if S.AREA in schools:
        area = _area(plan, core)
        counts = _area_counts(core, area)
        counts["mixed"] = (counts["n_urban"] > 0) & (counts["n_rural"] > 0)
        counts["lead_area"] = _per_group(core, area.fillna(""), core["lead"], "join", "lead_area")
        out.append(counts)
    if isinstance(schools, gpd.GeoDataFrame):
        out.append(polsby_popper(group_polygons(plan)).to_frame())
    for column in (S.TEACHERS, KEY_TEACHERS):
        if column in schools:
            out.append(_quota(plan, core, rate, column))
    return out


# --- per plan ------------------------------------------------------------------------------


def coverage(plan: PlanLike) -> float:
    """Share of the plan's schools that are in a group: ``(leads + members) / schools``.

    The Liangxi target of 80 % and the Anshan figure of 99.52 % (416 schools in 55 groups)
    are this share. Rows rejected on input are not schools of the plan and not counted.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 2 + [None],
    ...                             role=["lead", "member", "member", "lead", "member", None])
    >>> round(coverage(plan), 4)  # 5 of 6
    0.8333
    """
    core = _core(plan)
    return float(core["assigned"].mean()) if len(core) else math.nan


def _weak_covered(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> tuple[int, int]:
    """(weak schools, weak members of a group whose lead may lead under the policy)."""
    weak = _weak(plan, core, policy)
    allowed = _allowed(plan, core, policy)
    if allowed is None:
        return int(weak.sum()), -1
    quality_led = _per_group(core, allowed, core["lead"], "any", "quality_led")
    led = core["group"].map(quality_led).fillna(False).astype(bool)
    return int(weak.sum()), int((weak & core["member"] & led).sum())


def weak_coverage(plan: PlanLike, policy: str | Policy | None = None) -> float:
    """Share of weak schools that are members of a group led by a quality school.

    ``#{weak i : i is a member and lead(i) may lead} / #{weak i}``, where weak is
    :func:`weak_schools` and a *quality school* is one that :func:`allowed_leads` admits
    (the lead pool of the policy: its top share by quality, its lead column or its list).
    The Anshan figure: 85.71 % of schools covered by a quality school's assistance
    (优质学校对口帮扶覆盖率). A weak school that leads a group itself is not covered.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> weak_coverage(plan, Policy(leads="top:0.34"))  # C and E, led by A and D (top 3)
    1.0
    >>> weak_coverage(plan, Policy(leads=("A",)))  # only A is a quality school: C of 2
    0.5
    """
    core = _core(plan)
    policy = _policy_of(plan, policy)
    n_weak, covered = _weak_covered(plan, core, policy)
    if covered < 0:
        allowed_leads(plan, policy)  # raises with the message
    return covered / n_weak if n_weak else math.nan


def _group_means(core: pd.DataFrame) -> pd.Series:
    return _quality(core, "mean", "mean_quality")


def group_mean_sd(plan: PlanLike) -> float:
    """Spread of group means: population standard deviation of ``q̄_g`` over groups,
    ``sqrt(Σ_g (q̄_g − mean_g q̄_g)² / G)`` (every group counts once, whatever its size).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> round(group_mean_sd(plan), 4)  # means 66.667 and 68.333: sd = 1.667 / 2
    0.8333
    """
    means = _group_means(_core(plan))
    return float(means.std(ddof=0)) if len(means) else math.nan


def group_mean_range(plan: PlanLike) -> float:
    """Range of group means: ``max_g q̄_g − min_g q̄_g``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> round(group_mean_range(plan), 4)
    1.6667
    """
    means = _group_means(_core(plan))
    return float(means.max() - means.min()) if len(means) else math.nan


def _theil_shift(core: pd.DataFrame) -> float:
    low = float(core["quality"].min()) if len(core) else 1.0
    return 0.0 if low > 0 else 1.0 - low


def _theil(core: pd.DataFrame) -> pd.Series:
    x = core["quality"][core["assigned"]] + _theil_shift(core)
    if x.empty:
        return pd.Series(math.nan, index=["total", "between", "within"], name="theil")
    groups = core["group"][core["assigned"]]
    mu = x.mean()
    total = float(np.mean(x / mu * np.log(x / mu)))
    mu_g = x.groupby(groups).transform("mean")
    share_g = x.groupby(groups).sum() / x.sum()  # s_g = N_g μ_g / (N μ)
    between = float((share_g * np.log(x.groupby(groups).mean() / mu)).sum())
    within = float((share_g * (x / mu_g * np.log(x / mu_g)).groupby(groups).mean()).sum())
    return pd.Series([total, between, within], index=["total", "between", "within"], name="theil")


def theil(plan: PlanLike) -> pd.Series:
    """Theil T index of quality over the grouped schools, with its between/within split.

    ``T = (1/N) Σ_i (x_i/μ) ln(x_i/μ) = Σ_g s_g ln(μ_g/μ) + Σ_g s_g T_g``, where
    ``s_g = N_g μ_g / (N μ)`` is group g's share of total quality and ``T_g`` the Theil
    index within g. The first sum (``between``) is 0 when every group has the county's mean
    — the balance a 学区 plan aims at; the second (``within``) is the inequality that
    stays inside groups, for the lead to close. ``total = between + within``.

    Theil needs positive values: when some quality is 0 or negative (z-scores, ranks
    from 0), every score is shifted to ``x = q − min(q) + 1``, ``min`` over all schools of
    the plan; a positive scale is used unchanged. Theil is not shift-invariant, so compare
    plans on the same scores only (:func:`plan_metrics` records the shift).

    Examples
    --------
    >>> import pandas as pd
    >>> plan = pd.DataFrame({"quality": [2.0, 2.0, 4.0, 4.0], "group_id": ["G1", "G1", "G2", "G2"],
    ...                      "role": ["lead", "member"] * 2}, index=list("abcd"))
    >>> theil(plan).round(6).to_dict()  # (1/3) ln(2/3) + (2/3) ln(4/3); no inequality within
    {'total': 0.056633, 'between': 0.056633, 'within': 0.0}
    """
    return _theil(_core(plan))


# --- the plan in figures -------------------------------------------------------------------


def _num(value: Any) -> float | int | None:
    """A JSON-able number: None for NaN and missing, floats to 12 significant digits.

    Twelve digits are more than any of these figures means, and few enough that every
    writer reads the same number back (openpyxl stores 16 digits, JSON 17).
    """
    if value is None or pd.isna(value):
        return None
    if isinstance(value, bool | np.bool_ | int | np.integer):
        return int(value)
    return float(f"{float(value):.12g}")


def plan_metrics(
    plan: PlanLike, policy: str | Policy | None = None, *, exchange_rate: float = EXCHANGE_RATE
) -> dict[str, float | int | None]:
    """Every per-plan figure as plain numbers (None when unknown, floats to 12 significant
    digits), written as ``metrics.json``.

    Keys: counts (``schools``, ``groups``, ``leads``, ``members``, ``unassigned``) and
    :func:`coverage`; group sizes (mean, min, max); ``quality_mean`` of all schools, the
    group means' min, max, :func:`group_mean_sd` and :func:`group_mean_range`; the parts
    of :func:`theil` and ``theil_shift``; ``quality_gap_mean`` (mean over groups of
    :func:`quality_gap`); member-to-lead distance over all members (mean, 95th percentile,
    max); urban–rural mix (``mixed_groups`` and its share of groups, ``rural_schools``,
    ``rural_with_urban_lead`` and its share of rural schools); weak schools and
    :func:`weak_coverage`; ``compactness_mean``; teachers, key teachers and their exchange
    quotas (sums of the groups' :func:`exchange_quota`) at ``exchange_rate``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> m = plan_metrics(plan, Policy(leads="top:0.34"))
    >>> m["groups"], m["coverage"], m["weak_coverage"], m["teachers_quota"], m["key_teachers_quota"]
    (2, 1.0, 1.0, 31, None)
    """
    core = _core(plan)
    policy = _policy_of(plan, policy)
    groups = group_metrics(plan, policy, exchange_rate=exchange_rate)
    out: dict[str, Any] = {
        "schools": len(core),
        "groups": len(groups),
        "leads": int(core["lead"].sum()),
        "members": int(core["member"].sum()),
        "unassigned": int((~core["assigned"]).sum()),
        "coverage": float(core["assigned"].mean()) if len(core) else None,
        "group_size_mean": groups["size"].mean(),
        "group_size_min": groups["size"].min(),
        "group_size_max": groups["size"].max(),
        "quality_mean": core["quality"].mean(),
        "group_mean_min": groups["mean_quality"].min(),
        "group_mean_max": groups["mean_quality"].max(),
        "group_mean_sd": groups["mean_quality"].std(ddof=0),
        "group_mean_range": groups["mean_quality"].max() - groups["mean_quality"].min(),
        **{f"theil_{k}": v for k, v in _theil(core).items()},
        "theil_shift": _theil_shift(core),
        "quality_gap_mean": groups["quality_gap"].mean(),
    }
    out |= _distance_figures(plan, core)
    out |= _area_figures(plan, core)
    out |= _weak_figures(plan, core, policy)
    out["compactness_mean"] = groups["compactness"].mean() if "compactness" in groups else None
    out |= _teacher_figures(groups, exchange_rate)
    return {k: _num(v) for k, v in out.items()}


def _distance_figures(plan: PlanLike, core: pd.DataFrame) -> dict[str, Any]:
    km = _distances(plan, core)[core["member"]].dropna()
    if km.empty:
        return {"distance_mean_km": None, "distance_p95_km": None, "distance_max_km": None}
    return {"distance_mean_km": km.mean(), "distance_p95_km": _p95(km), "distance_max_km": km.max()}


def _area_figures(plan: PlanLike, core: pd.DataFrame) -> dict[str, Any]:
    keys = (
        "mixed_groups",
        "mixed_groups_share",
        "rural_schools",
        "rural_with_urban_lead",
        "rural_with_urban_lead_share",
    )
    if S.AREA not in _schools_of(plan):
        return dict.fromkeys(keys)
    mixed = mixed_groups(plan)
    rural = int((_area(plan, core) == S.RURAL).sum())
    paired = int(rural_with_urban_lead(plan).sum())
    values = (
        int(mixed.sum()),
        mixed.mean() if len(mixed) else None,
        rural,
        paired,
        paired / rural if rural else None,
    )
    return dict(zip(keys, values, strict=True))


def _weak_figures(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> dict[str, Any]:
    n_weak, covered = _weak_covered(plan, core, policy)
    if covered < 0:
        return {"weak_schools": n_weak, "weak_covered": None, "weak_coverage": None}
    return {
        "weak_schools": n_weak,
        "weak_covered": covered,
        "weak_coverage": covered / n_weak if n_weak else None,
    }


def _teacher_figures(groups: pd.DataFrame, rate: float) -> dict[str, Any]:
    out: dict[str, Any] = {"exchange_rate": rate}
    for column in (S.TEACHERS, KEY_TEACHERS):
        known = column in groups and groups[column].notna().all() and len(groups)
        out[column] = int(groups[column].sum()) if known else None
        out[f"{column}_quota"] = int(groups[f"{column}_quota"].sum()) if known else None
    return out


# --- policy check --------------------------------------------------------------------------

RULES = (
    "role",
    "unassigned",
    "one_lead",
    "members",
    "n_groups",
    "leads",
    "max_distance_km",
    "pair_urban_rural",
    "min_weak_per_group",
    "levels",
    "min_lead_spacing_km",
    "fixed_group",
)
"""The rules :func:`check_plan` checks, in the order of its rows."""

_COLUMNS = ["rule", "group_id", "school_ids", "detail"]


@dataclass
class _Check:
    """What every rule needs, computed once."""

    plan: PlanLike
    schools: pd.DataFrame
    core: pd.DataFrame
    policy: Policy

    _by_group: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)

    def members_of(self, group: str) -> list[str]:
        """Every school of the group, its lead included."""
        if not self._by_group:
            core = self.core[self.core["assigned"]]
            self._by_group = {
                g: ids.tolist() for g, ids in core.index.to_series().groupby(core["group"])
            }
        return self._by_group.get(group, [])

    def units(self) -> pd.Series:
        return _units(self.plan, self.core, self.policy)


def _row(rule: str, group: str | None, ids: Any, detail: str) -> dict[str, Any]:
    return {
        "rule": rule,
        "group_id": group,
        "school_ids": tuple(sorted(map(str, ids))),
        "detail": detail,
    }


def _cannot(rule: str, detail: str) -> list[dict[str, Any]]:
    return [_row(rule, None, [], f"cannot be checked: {detail}")]


def _shown(ids: list[str]) -> str:
    return ", ".join(ids[:_SHOWN]) + (
        f" … and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    )


def _check_role(c: _Check) -> list[dict[str, Any]]:
    core = c.core
    unknown = core.index[~core["role"].isin(list(S.ROLES))].tolist()
    grouped_roles = core["role"].isin([S.LEAD, S.MEMBER])
    no_group = core.index[grouped_roles & core["group"].isna()].tolist()
    out = []
    if unknown:
        values = sorted(set(core.loc[unknown, "role"]))
        out.append(
            _row(
                "role",
                None,
                unknown,
                f"role {', '.join(repr(v) for v in values)} is not one of "
                f"{', '.join(S.ROLES)} (schools {_shown(unknown)}); counted as members",
            )
        )
    if no_group:
        out.append(
            _row(
                "role",
                None,
                no_group,
                f"{len(no_group)} lead or member school(s) have no "
                f"group_id ({_shown(no_group)}); counted as unassigned",
            )
        )
    return out


def _check_unassigned(c: _Check) -> list[dict[str, Any]]:
    reason = _labels(c.schools[S.REASON]) if S.REASON in c.schools else np.full(len(c.core), None)
    silent = c.core.index[
        ~c.core["assigned"] & pd.Series(reason, index=c.core.index).isna()
    ].tolist()
    if not silent:
        return []
    return [
        _row(
            "unassigned",
            None,
            silent,
            f"{len(silent)} school(s) in no group and no reason given ({_shown(silent)})",
        )
    ]


def _check_one_lead(c: _Check) -> list[dict[str, Any]]:
    core = c.core
    n_leads = _per_group(core, core["lead"], core["assigned"], "sum", "leads").astype(int)
    out = []
    for group, n in n_leads[n_leads != 1].items():
        leads = core.index[core["lead"] & (core["group"] == group)].tolist()
        ids = leads if n else c.members_of(group)
        detail = f"{group} has {n} leads ({', '.join(leads)})" if n else f"{group} has no lead"
        out.append(_row("one_lead", group, ids, f"{detail}; a group has exactly one"))
    return out


def _check_members(c: _Check) -> list[dict[str, Any]]:
    core = c.core
    lo, hi = c.policy.members
    counts = _per_group(core, core["member"], core["assigned"], "sum", "members").astype(int)
    bad = counts[(counts < lo) | (counts > hi)]
    return [
        _row("members", g, c.members_of(g), f"{g} has {n} members; policy members = [{lo}, {hi}]")
        for g, n in bad.items()
    ]


def _check_n_groups(c: _Check) -> list[dict[str, Any]]:
    wanted = c.policy.n_groups
    if wanted is None:
        return []
    core = c.core
    out = []
    for unit, labels in core["group"][core["assigned"]].groupby(c.units()[core["assigned"]]):
        n = labels.nunique()
        if n != wanted:
            where = f"unit {unit!r}: " if unit else ""
            out.append(_row("n_groups", None, [], f"{where}{n} groups; policy n_groups = {wanted}"))
    return out


def _check_leads(c: _Check) -> list[dict[str, Any]]:
    core, policy = c.core, c.policy
    allowed = _allowed(c.plan, core, policy)
    if allowed is None:
        return _cannot(
            "leads",
            f"policy leads = {policy.leads!r} but the plan has no column {policy.lead_rule[1]!r}",
        )
    locked = pd.Series(
        _labels(c.schools[S.FIXED_GROUP])
        if S.FIXED_GROUP in c.schools
        else np.full(len(core), None),
        index=core.index,
    ).notna()
    bad = core[core["lead"] & ~allowed & ~locked]
    out = [
        _row(
            "leads",
            g,
            [sid],
            f"lead {sid} of {g} (quality {q:g}) may not lead under policy "
            f"leads = {_leads_text(policy)}",
        )
        for sid, g, q in zip(bad.index, bad["group"], bad["quality"], strict=True)
    ]
    if policy.lead_rule[0] == "ids":
        idle = core.index[allowed & ~core["lead"]].tolist()
        if idle:
            out.append(
                _row(
                    "leads",
                    None,
                    idle,
                    f"school(s) {_shown(idle)} are named as leads by the "
                    "policy but do not lead a group",
                )
            )
    return out


def _leads_text(policy: Policy) -> str:
    return (
        repr(policy.leads) if isinstance(policy.leads, str) else f"[{_shown(list(policy.leads))}]"
    )


def _check_distance(c: _Check) -> list[dict[str, Any]]:
    cap = c.policy.max_distance_km
    if cap is None:
        return []
    core = c.core
    km = _distances(c.plan, core)
    far = core["member"] & (km > cap + _TOLERANCE_KM)
    out = []
    for group, ids in core.index[far.to_numpy()].to_series().groupby(core["group"][far]):
        shown = ", ".join(f"{i} {km[i]:.2f} km" for i in ids)
        out.append(
            _row(
                "max_distance_km",
                group,
                ids,
                f"{shown} from the lead of {group}; policy max_distance_km = {cap:g}",
            )
        )
    return out


def _check_pairing(c: _Check) -> list[dict[str, Any]]:
    if not c.policy.pair_urban_rural:
        return []
    if S.AREA not in c.schools:
        return _cannot("pair_urban_rural", "the plan has no 'area' column")
    core = c.core
    area = _area(c.plan, core)
    rural = _per_group(core, area == S.RURAL, core["member"], "sum", "rural").fillna(0)
    urban_led = _urban_led(core, area)
    bad = urban_led[urban_led & (rural.reindex(urban_led.index).fillna(0) < 1)]
    return [
        _row(
            "pair_urban_rural",
            g,
            c.members_of(g),
            f"{g} has an urban lead and no rural member; policy pair_urban_rural = true",
        )
        for g in bad.index
    ]


def _check_weak(c: _Check) -> list[dict[str, Any]]:
    need = c.policy.min_weak_per_group
    if not need:
        return []
    core = c.core
    weak = _per_group(core, _weak(c.plan, core, c.policy), core["member"], "sum", "weak").fillna(0)
    weak = weak.reindex(_groups(core)).fillna(0).astype(int)
    return [
        _row(
            "min_weak_per_group",
            g,
            c.members_of(g),
            f"{g} has {n} weak members (bottom "
            f"{c.policy.weak_share:g} by quality); policy min_weak_per_group = {need}",
        )
        for g, n in weak[weak < need].items()
    ]


def _check_levels(c: _Check) -> list[dict[str, Any]]:
    if c.policy.levels != "same":
        return []
    if S.LEVEL not in c.schools:
        return _cannot("levels", "the plan has no 'level' column")
    core = c.core
    level = (
        c.schools[S.LEVEL].astype(object).fillna("unknown-level").astype(str).set_axis(core.index)
    )
    out = []
    for group, levels in level[core["assigned"]].groupby(core["group"][core["assigned"]]):
        if levels.nunique() < 2:
            continue
        leads = levels[core["lead"][levels.index]]
        ref = leads.iloc[0] if len(leads) else levels.mode().iloc[0]
        odd = levels.index[levels != ref].tolist()
        counts = ", ".join(f"{k} ({v})" for k, v in levels.value_counts().sort_index().items())
        out.append(
            _row("levels", group, odd, f"{group} mixes levels {counts}; policy levels = 'same'")
        )
    return out


def _check_spacing(c: _Check) -> list[dict[str, Any]]:
    spacing = c.policy.min_lead_spacing_km
    if not spacing:
        return []
    core = c.core
    xy = metric_xy(c.schools.geometry)
    units = c.units()
    out = []
    leads = np.flatnonzero(core["lead"].to_numpy())
    for i, near in zip(leads, within_radius(xy[leads], spacing), strict=True):
        for j in leads[near]:
            km = float(np.hypot(*(xy[i] - xy[j]))) / 1000.0
            if i < j and units.iat[i] == units.iat[j] and km < spacing - _TOLERANCE_KM:
                a, b = core.index[i], core.index[j]
                ga, gb = core["group"].iat[i], core["group"].iat[j]
                out.append(
                    _row(
                        "min_lead_spacing_km",
                        f"{ga}, {gb}",
                        [a, b],
                        f"leads {a} ({ga}) and "
                        f"{b} ({gb}) are {km:.2f} km apart; "
                        f"policy min_lead_spacing_km = {spacing:g}",
                    )
                )
    return out


def _check_fixed(c: _Check) -> list[dict[str, Any]]:
    if S.FIXED_GROUP not in c.schools:
        return []
    core = c.core
    label = pd.Series(_labels(c.schools[S.FIXED_GROUP]), index=core.index, dtype=object)
    group = core["group"].where(core["assigned"], "unassigned")
    out = []
    for name, ids in label.dropna().index.to_series().groupby(label.dropna()):
        where = group[ids]
        if where.nunique() > 1 or where.iat[0] == "unassigned":
            home = where.value_counts().index[0]
            left = ids[where != home].tolist() if home != "unassigned" else ids.tolist()
            spread = ", ".join(f"{g} ({n})" for g, n in where.value_counts().sort_index().items())
            out.append(
                _row(
                    "fixed_group",
                    None if home == "unassigned" else home,
                    left,
                    f"fixed group {name!r} is spread over {spread}; its schools stay together",
                )
            )
    mixed = label.dropna().groupby(group[label.notna()]).nunique()
    for g in mixed[(mixed > 1) & (mixed.index != "unassigned")].index:
        ids = label.index[label.notna() & (group == g)].tolist()
        names = ", ".join(sorted(set(label[ids])))
        out.append(
            _row("fixed_group", g, ids, f"{g} holds schools of several fixed groups ({names})")
        )
    return out


_CHECKS: tuple[Callable[[_Check], list[dict[str, Any]]], ...] = (
    _check_role,
    _check_unassigned,
    _check_one_lead,
    _check_members,
    _check_n_groups,
    _check_leads,
    _check_distance,
    _check_pairing,
    _check_weak,
    _check_levels,
    _check_spacing,
    _check_fixed,
)


def check_plan(plan: PlanLike, policy: str | Policy | None = None) -> pd.DataFrame:
    """Every rule of ``policy`` that the plan breaks: one row per broken rule and group.

    Works on any plan: one that geogroup made, or a planner's own grouping read with
    :func:`~geogroup.plan.read_plan`. Distances are recomputed from the coordinates.

    Parameters
    ----------
    plan
        A :class:`~geogroup.plan.Plan` or a schools GeoDataFrame with ``group_id`` and ``role``.
    policy
        A policy, preset name or TOML path; the plan's own policy when None.

    Returns
    -------
    pandas.DataFrame
        Columns ``rule`` (one of :data:`RULES`), ``group_id`` (the group, both groups joined
        by ", " for lead spacing, None for rules about the whole plan), ``school_ids`` (a
        sorted tuple: the group's schools for a rule about the group's make-up — members,
        pair_urban_rural, min_weak_per_group, one_lead of a group without lead —; the
        offending schools otherwise, e.g. the leads of a group with several) and
        ``detail`` (the numbers and the policy's value). Empty when the plan keeps every rule.

    The rules: ``role`` (roles other than lead/member/unassigned, or a lead or member with
    no group), ``unassigned`` (a school in no group without a reason), ``one_lead``,
    ``members`` (``[min, max]`` members), ``n_groups`` (per unit), ``leads`` (each lead in
    the policy's lead pool — :func:`allowed_leads` —, a lead locked by ``fixed_group``
    excepted; a listed lead that does not lead), ``max_distance_km``, ``pair_urban_rural``,
    ``min_weak_per_group`` (weak members), ``levels`` (``'same'``: the schools not at the
    lead's level), ``min_lead_spacing_km`` (leads of one unit), ``fixed_group`` (schools of a
    fixed group split up, or two fixed groups in one group). A rule whose column is missing
    gives one row saying it cannot be checked.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 4 + ["G2"] * 2,
    ...                             role=["lead", "member", "member", "member", "lead", "member"])
    >>> found = check_plan(plan, Policy(members=(2, 2), leads="top:0.34"))
    >>> found[["rule", "group_id", "school_ids"]]
          rule group_id    school_ids
    0  members       G1  (A, B, C, D)
    1  members       G2        (E, F)
    2    leads       G2          (E,)
    """
    core = _core(plan)
    check = _Check(plan=plan, schools=_schools_of(plan), core=core, policy=_policy_of(plan, policy))
    rows = [row for rule in _CHECKS for row in rule(check)]
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table["group_id"] = table["group_id"].astype(object).where(table["group_id"].notna(), None)
    return table


# --- comparison ----------------------------------------------------------------------------


@dataclass
class Comparison:
    """What changed from plan ``a`` to plan ``b`` (see :func:`compare_plans`).

    Attributes
    ----------
    moves
        One row per school that is in both plans and changed group: ``name``,
        ``group_a``, ``group_b`` (each plan's own label, None when unassigned), ``role_a``,
        ``role_b``; index ``school_id``.
    group_map
        Each group of ``a`` and the group of ``b`` it was matched with (None: dissolved).
    splits
        Groups of ``a`` that became several groups of ``b``: ``group_a``, ``groups_b``.
    merges
        Groups of ``b`` made of several groups of ``a``: ``group_b``, ``groups_a``.
    new_groups, dissolved_groups
        Groups of ``b`` matched with no group of ``a``, and the other way round.
    added, removed
        Schools only in ``b``, only in ``a``.
    metrics
        :func:`plan_metrics` of both side by side: columns ``a``, ``b``, ``change`` (b − a).
    """

    moves: pd.DataFrame
    group_map: pd.Series
    splits: pd.DataFrame
    merges: pd.DataFrame
    new_groups: list[str] = field(default_factory=list)
    dissolved_groups: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_moved(self) -> int:
        """Schools that changed group."""
        return len(self.moves)

    def summary(self) -> dict[str, int]:
        """Counts of every kind of change, as plain numbers."""
        relabelled = sum(1 for a, b in self.group_map.items() if b is not None and a != b)
        return {
            "moved": self.n_moved,
            "added": len(self.added),
            "removed": len(self.removed),
            "splits": len(self.splits),
            "merges": len(self.merges),
            "new_groups": len(self.new_groups),
            "dissolved_groups": len(self.dissolved_groups),
            "relabelled_groups": relabelled,
        }


def _overlaps(ga: pd.Series, gb: pd.Series) -> pd.DataFrame:
    """Schools shared by each pair of groups (a, b) that share any: columns a, b, n."""
    both = (ga.notna() & gb.notna()).to_numpy()
    pairs = pd.DataFrame(
        {"a": ga[both].astype(str).to_numpy(), "b": gb[both].astype(str).to_numpy()}
    )
    return pairs.groupby(["a", "b"], sort=True).size().rename("n").reset_index()


def _match_groups(pairs: pd.DataFrame) -> dict[str, str]:
    """The one-to-one matching of groups with the most shared schools.

    Groups that share no school never compete, so the assignment problem is solved on each
    connected block of the overlap graph alone: small blocks, whatever the plan's size.
    """
    if pairs.empty:
        return {}
    a_codes, a_names = pd.factorize(pairs["a"], sort=True)
    b_codes, b_names = pd.factorize(pairs["b"], sort=True)
    n = len(a_names) + len(b_names)
    graph = coo_matrix((np.ones(len(pairs)), (a_codes, len(a_names) + b_codes)), shape=(n, n))
    _, block = connected_components(graph, directed=False)
    block = block[a_codes]
    single = pd.Series(block).map(pd.Series(block).value_counts()).to_numpy() == 1
    # a pair alone in its block (a group kept whole, or renamed) matches without solving
    mapping = dict(zip(pairs["a"][single], pairs["b"][single], strict=True))
    for _, part in pairs[~single].groupby(block[~single], sort=True):
        table = part.pivot(index="a", columns="b", values="n").fillna(0.0)
        rows, cols = linear_sum_assignment(-table.to_numpy())
        mapping |= {
            str(table.index[r]): str(table.columns[c])
            for r, c in zip(rows, cols, strict=True)
            if table.iat[r, c] > 0
        }
    return mapping


def _largest(pairs: pd.DataFrame, of: str, other: str) -> pd.Series:
    """For each group on side ``of``, the group on side ``other`` it shares most schools
    with (ties: the first id)."""
    ranked = pairs.sort_values([of, "n", other], ascending=[True, False, True], kind="stable")
    first = ranked.drop_duplicates(of)
    return pd.Series(first[other].to_numpy(), index=first[of].to_numpy(), dtype=object)


def _splits_merges(pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A split: an a-group that is the largest source of two or more b-groups; a merge: a
    b-group that is the largest destination of two or more a-groups. A few schools moving
    between groups is neither."""
    source = _largest(pairs, "b", "a")  # b group -> its largest a group
    dest = _largest(pairs, "a", "b")  # a group -> its largest b group
    splits = [(a, tuple(sorted(bs.index))) for a, bs in source.groupby(source) if len(bs) > 1]
    merges = [(b, tuple(sorted(a_s.index))) for b, a_s in dest.groupby(dest) if len(a_s) > 1]
    return (
        pd.DataFrame(splits, columns=["group_a", "groups_b"], dtype=object),
        pd.DataFrame(merges, columns=["group_b", "groups_a"], dtype=object),
    )


def _assigned_groups(core: pd.DataFrame, index: pd.Index) -> pd.Series:
    return core["group"].where(core["assigned"], None).reindex(index).astype(object)


def compare_plans(a: PlanLike, b: PlanLike, *, policy: str | Policy | None = None) -> Comparison:
    """Compare two plans of the same schools, school by school and metric by metric.

    Groups are matched one-to-one by maximum overlap (the assignment problem on the table
    of schools shared by each pair of groups), so renaming groups moves no school: a school
    *moved* when the group of ``b`` it is in is not the match of its group in ``a`` (joining
    or leaving all groups counts). Both plans' metrics are computed under one policy:
    ``policy``, else ``a``'s.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> a = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                          role=["lead", "member", "member"] * 2)
    >>> b = a.assign(group_id=["X"] + ["Y"] * 5)
    >>> b.loc["B", "group_id"] = "X"
    >>> cmp = compare_plans(a, b)
    >>> cmp.moves[["group_a", "group_b"]].to_dict("index")
    {'C': {'group_a': 'G1', 'group_b': 'Y'}}
    >>> cmp.group_map.to_dict()
    {'G1': 'X', 'G2': 'Y'}
    """
    ca, cb = _core(a), _core(b)
    common = ca.index.intersection(cb.index, sort=False)
    ga, gb = _assigned_groups(ca, common), _assigned_groups(cb, common)
    pairs = _overlaps(ga, gb)
    mapping = _match_groups(pairs)
    expected = [None if g is None else mapping.get(g) for g in ga.to_numpy()]
    changed = [e != g for e, g in zip(expected, gb.to_numpy(), strict=True)]
    moved = common[np.asarray(changed, dtype=bool)].tolist()
    moves = pd.DataFrame(
        {
            "name": _names(a, moved),
            "group_a": ga[moved].to_numpy(dtype=object),
            "group_b": gb[moved].to_numpy(dtype=object),
            "role_a": ca.loc[moved, "role"].to_numpy(dtype=object),
            "role_b": cb.loc[moved, "role"].to_numpy(dtype=object),
        },
        index=pd.Index(moved, name=S.SCHOOL_ID, dtype=object),
    )
    splits, merges = _splits_merges(pairs)
    groups_a, groups_b = list(_groups(ca)), list(_groups(cb))
    policy = _policy_of(a, policy)
    return Comparison(
        moves=moves,
        group_map=pd.Series({g: mapping.get(g) for g in groups_a}, dtype=object, name="group_b"),
        splits=splits,
        merges=merges,
        new_groups=[g for g in groups_b if g not in set(mapping.values())],
        dissolved_groups=[g for g in groups_a if g not in mapping],
        added=cb.index.difference(ca.index, sort=False).tolist(),
        removed=ca.index.difference(cb.index, sort=False).tolist(),
        metrics=_side_by_side(plan_metrics(a, policy), plan_metrics(b, policy)),
    )


def _names(plan: PlanLike, ids: list[str]) -> NDArray[np.object_]:
    schools = _schools_of(plan)
    if S.NAME not in schools:
        return np.array(ids, dtype=object)
    names = schools[S.NAME].astype(object).set_axis([str(i) for i in schools.index])
    return names[ids].to_numpy(dtype=object)


def _side_by_side(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    table = pd.DataFrame({"a": pd.Series(a, dtype=float), "b": pd.Series(b, dtype=float)})
    table["change"] = table["b"] - table["a"]
    table.index.name = "metric"
    return table


# --- value added ---------------------------------------------------------------------------


@dataclass
class ValueAdded:
    """How the gaps of a plan's groups moved between two years (see :func:`value_added`).

    Attributes
    ----------
    groups
        Per group: ``schools`` compared, ``mean_before``, ``mean_after``, ``mean_change``,
        ``gap_before``, ``gap_after``, ``gap_change`` (lead − members; a negative change
        means the members caught up), ``members_change`` and ``lead_change`` (the mean
        change of the members' and of the lead's scores).
    spread
        Between-group spread of the group means, rows ``sd`` and ``range``, columns
        ``before``, ``after``, ``change``.
    """

    groups: pd.DataFrame
    spread: pd.DataFrame


def _scores(plan: PlanLike, core: pd.DataFrame, scores: str | pd.Series, which: str) -> pd.Series:
    schools = _schools_of(plan)
    if isinstance(scores, str):
        if scores not in schools:
            raise InputError(
                f"{which}: the plan has no column {scores!r}; give a column name or a Series"
            )
        values = schools[scores].set_axis(core.index)
    elif isinstance(scores, pd.Series):
        values = scores.set_axis(scores.index.map(str)).reindex(core.index)
    else:
        raise InputError(
            f"{which}: expected a column name or a Series by school_id, got {type(scores).__name__}"
        )
    return pd.Series(
        pd.to_numeric(values.astype(object), errors="coerce"), index=core.index, dtype=float
    )


def value_added(
    plan: PlanLike, before: str | pd.Series, after: str | pd.Series, *, standardize: bool = False
) -> ValueAdded:
    """Group evaluation on value added (集团捆绑评价, 增值评价): the change, from one year's
    scores to the next, of each group's lead–member gap and of the spread between groups.

    The groups are the plan's; ``before`` and ``after`` are columns of the plan or Series by
    ``school_id``. Only schools with both scores are compared, so each figure is on the
    same schools in both years. With ``standardize``, each year's scores become z-scores
    over those schools (``(q − mean) / sd``) first, for tests on different scales: the
    changes are then in standard deviations.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> later = plan["quality"] + pd.Series({"B": 10.0, "C": 10.0}).reindex(plan.index).fillna(0.0)
    >>> va = value_added(plan, "quality", later)
    >>> va.groups["gap_change"].to_dict()  # G1's members gained 10: its gap 35 → 25
    {'G1': -10.0, 'G2': 0.0}
    """
    core = _core(plan)
    years = {
        "before": _scores(plan, core, before, "before"),
        "after": _scores(plan, core, after, "after"),
    }
    keep = years["before"].notna() & years["after"].notna()
    table = {"schools": _per_group(core, keep, core["assigned"], "sum", "schools").astype(int)}
    means, cores = {}, {}
    for year, scores in years.items():
        if standardize:
            kept = scores[keep]
            sd = kept.std(ddof=0)
            scores = (scores - kept.mean()) / (sd if sd > 0 else 1.0)
        cores[year] = core[keep].assign(quality=scores[keep])
        means[year] = _quality(cores[year], "mean", "mean").reindex(_groups(core))
        table[f"mean_{year}"] = means[year]
    table["mean_change"] = means["after"] - means["before"]
    for year in years:
        table[f"gap_{year}"] = _gap(cores[year]).reindex(_groups(core))
    table["gap_change"] = table["gap_after"] - table["gap_before"]
    change = core.assign(quality=(years["after"] - years["before"])[keep])[keep]
    table["members_change"] = _per_group(
        change, change["quality"], change["member"], "mean", "m"
    ).reindex(_groups(core))
    table["lead_change"] = _lead_quality(change).reindex(_groups(core))
    spread = pd.DataFrame(
        {year: [m.std(ddof=0), m.max() - m.min()] for year, m in means.items()},
        index=["sd", "range"],
    )
    spread["change"] = spread["after"] - spread["before"]
    return ValueAdded(groups=pd.DataFrame(table), spread=spread)
