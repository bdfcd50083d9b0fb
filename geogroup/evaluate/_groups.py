"""Metrics per school and per group: small functions, one figure each, formula in the
docstring; :func:`group_metrics` gathers the per-group ones in a table."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError, PolicyError
from geogroup.evaluate import _frame as F
from geogroup.evaluate._frame import PlanLike
from geogroup.locate import group_hulls, metric_crs
from geogroup.plan import Plan
from geogroup.policy import Policy

KEY_TEACHERS = "key_teachers"
"""Optional column: key (骨干) teachers per school, for the second "15 %" of exchange."""

EXCHANGE_RATE = 0.15  # Liangxi's "two 15 %" (两个15%): 15 % of teachers and of key teachers

# --- per school ----------------------------------------------------------------------------


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
    return F.distances(plan, F.core(plan))


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
    core = F.core(plan)
    leads = F.per_group(core, core.index.to_series(), core["lead"], "join", "lead_id").dropna()
    out = core["group"].where(core["assigned"], None).map(leads.to_dict())
    return out.astype(object).where(out.notna(), None).rename(S.LEAD_ID)


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
    core = F.core(plan)
    return F.weak(plan, core, F.policy_of(plan, policy))


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
    core = F.core(plan)
    policy = F.policy_of(plan, policy)
    flags = F.allowed(plan, core, policy)
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
        F.per_group(core, urban_lead, core["assigned"], "any", "urban_led")
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
    core = F.core(plan)
    area = F.area(plan, core)
    led = core["group"].map(_urban_led(core, area)).fillna(False).astype(bool)
    return (core["member"] & (area == S.RURAL) & led).rename("rural_with_urban_lead")


# --- per group -----------------------------------------------------------------------------


def _size(core: pd.DataFrame) -> pd.Series:
    return F.per_group(core, core["assigned"], core["assigned"], "sum", "size").astype(int)


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
    return _size(F.core(plan))


def _quality(core: pd.DataFrame, how: str, name: str) -> pd.Series:
    return F.per_group(core, core["quality"], core["assigned"], how, name)


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
    return _quality(F.core(plan), "mean", "mean_quality")


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
    return _quality(F.core(plan), "min", "min_quality")


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
    return _quality(F.core(plan), "max", "max_quality")


def _lead_quality(core: pd.DataFrame) -> pd.Series:
    return F.per_group(core, core["quality"], core["lead"], "mean", "lead_quality")


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
    return _lead_quality(F.core(plan))


def _gap(core: pd.DataFrame) -> pd.Series:
    members = F.per_group(core, core["quality"], core["member"], "mean", "member_quality")
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
    return _gap(F.core(plan))


def _distance(core: pd.DataFrame, km: pd.Series, how: Any, name: str) -> pd.Series:
    return F.per_group(core, km, core["member"], how, name)


def _p95(values: pd.Series) -> float:  # as 'p95' in F.per_group
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
    core = F.core(plan)
    return _distance(core, F.distances(plan, core), "mean", "mean_distance_km")


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
    core = F.core(plan)
    return _distance(core, F.distances(plan, core), "p95", "p95_distance_km")


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
    core = F.core(plan)
    return _distance(core, F.distances(plan, core), "max", "max_distance_km")


def _area_counts(core: pd.DataFrame, area: pd.Series) -> pd.DataFrame:
    return pd.concat(
        [
            F.per_group(core, area == S.URBAN, core["assigned"], "sum", "n_urban").astype(int),
            F.per_group(core, area == S.RURAL, core["assigned"], "sum", "n_rural").astype(int),
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
    core = F.core(plan)
    return _area_counts(core, F.area(plan, core))


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
    schools = F.schools_of(plan)
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
    total = F.per_group(core, counts.fillna(0.0), core["assigned"], "sum", column)
    complete = F.per_group(core, known, core["assigned"], "all", "complete").astype(bool)
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
    core = F.core(plan)
    return _quota(plan, core, rate, column)[f"{column}_quota"]


def _shapes(plan: PlanLike, core: pd.DataFrame) -> tuple[gpd.GeoSeries, pd.Series]:
    """Each group's polygon (WGS-84) and its compactness: the plan's zones when it has them,
    else the group's hull as the map draws it (:func:`geogroup.locate.group_hulls`)."""
    groups = F.groups(core)
    if isinstance(plan, Plan) and plan.zones is not None:
        zones = plan.zones.to_crs(S.WGS84) if plan.zones.crs else plan.zones.set_crs(S.WGS84)
        zones = zones.set_axis(zones.index.map(str))
        shapes = gpd.GeoSeries(zones.geometry.reindex(groups), crs=S.WGS84, name="polygon")
        return shapes, polsby_popper(shapes)
    schools = F.schools_of(plan)
    if not isinstance(schools, gpd.GeoDataFrame):
        raise InputError(
            f"plan: group polygons need the school points, got a {type(schools).__name__}"
        )
    arrays = F.arrays_of(plan)
    shapes, compact = group_hulls(arrays.lonlat, arrays.epsg, arrays.group, len(arrays.group_names))
    index = pd.Index(arrays.group_names, dtype=object)
    found = gpd.GeoSeries(shapes, index=index, crs=S.WGS84, name="polygon").reindex(groups)
    return found, pd.Series(compact, index=index, name="compactness").reindex(groups)


def group_polygons(plan: PlanLike) -> gpd.GeoSeries:
    """The polygon of each group, WGS-84: the plan's zones (districts method) when it has
    them, else the convex hull of the group's schools grown by 300 m, drawn in its unit's
    UTM zone — the shape the map shows.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> group_polygons(plan).geom_type.tolist()
    ['Polygon', 'Polygon']
    """
    return _shapes(plan, F.core(plan))[0]


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
    ``teachers_quota``, ``key_teachers`` and ``key_teachers_quota``; with a ``students``
    column, ``students`` (the lead's included) and, under the policy's ``capacity_column``,
    the lead's ``capacity`` and ``capacity_used`` (students ÷ capacity); with road
    distances (the distances above then run along the roads), ``mean_straight_km``,
    ``mean_travel_min`` and ``max_travel_min``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> table = group_metrics(plan)
    >>> table[["lead_id", "size", "quality_gap", "n_weak", "teachers_quota"]].to_dict("index")["G1"]
    {'lead_id': 'A', 'size': 3, 'quality_gap': 35.0, 'n_weak': 1, 'teachers_quota': 16.0}
    """
    policy = F.policy_of(plan, policy)
    key = ("group_metrics", policy, float(exchange_rate))
    return F.reused_table(plan, key, lambda: _group_table(plan, policy, exchange_rate))


def _group_table(plan: PlanLike, policy: Policy, exchange_rate: float) -> pd.DataFrame:
    core = F.core(plan)
    schools = F.schools_of(plan)
    km = F.distances(plan, core)
    lead_names = (
        schools[S.NAME].set_axis(core.index) if S.NAME in schools else core.index.to_series()
    )
    table = pd.DataFrame(
        {
            "lead_id": F.per_group(core, core.index.to_series(), core["lead"], "join", "lead_id"),
            "lead_name": F.per_group(
                core, lead_names.astype(str), core["lead"], "join", "lead_name"
            ),
            "size": _size(core),
            "members": F.per_group(core, core["member"], core["assigned"], "sum", "members").astype(
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
            "n_weak": F.per_group(core, F.weak(plan, core, policy), core["member"], "sum", "n_weak")
            .fillna(0)
            .astype(int),
        }
    )
    extra = _optional_group_columns(plan, core, exchange_rate) + _enrolment(plan, core, policy)
    road = F.road_figures(plan, core)  # along roads: the straight lines and minutes beside
    if road is not None:
        extra.append(
            pd.concat(
                [
                    _distance(core, road["straight_km"], "mean", "mean_straight_km"),
                    _distance(core, road["travel_min"], "mean", "mean_travel_min"),
                    _distance(core, road["travel_min"], "max", "max_travel_min"),
                ],
                axis=1,
            )
        )
    return pd.concat([table, *extra], axis=1)


def _enrolment(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> list[pd.DataFrame]:
    """``students`` of each group (its lead's included) and, under a capacity column, the
    lead's ``capacity`` and the share of it used (``capacity_used``)."""
    students, capacity = rules.enrolment(F.schools_of(plan), policy)
    if students is None:
        return []
    count = pd.Series(students, index=core.index)
    total = F.per_group(core, count, core["assigned"], "sum", "students")
    unknown = F.per_group(core, count.isna(), core["assigned"], "any", "students")
    table = total.where(~unknown.astype(bool)).to_frame()  # a school unknown: no total
    if capacity is not None:
        cap = pd.Series(capacity, index=core.index)
        table["capacity"] = F.per_group(core, cap, core["lead"], "sum", "capacity")
        table["capacity_used"] = table["students"] / table["capacity"]
    return [table]


def _optional_group_columns(plan: PlanLike, core: pd.DataFrame, rate: float) -> list[pd.DataFrame]:
    schools = F.schools_of(plan)
    out = []
    if S.AREA in schools:
        area = F.area(plan, core)
        counts = _area_counts(core, area)
        counts["mixed"] = (counts["n_urban"] > 0) & (counts["n_rural"] > 0)
        counts["lead_area"] = F.per_group(core, area.fillna(""), core["lead"], "join", "lead_area")
        out.append(counts)
    if isinstance(schools, gpd.GeoDataFrame):
        out.append(_shapes(plan, core)[1].to_frame())
    for column in (S.TEACHERS, KEY_TEACHERS):
        if column in schools:
            out.append(_quota(plan, core, rate, column))
    return out
