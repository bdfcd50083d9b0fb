"""A plan as plain columns for the metrics: the rulebook's reading of groups and roles,
of weak schools, of the lead pool and of distances (:mod:`geogroup.rules`)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy

PlanLike = Plan | pd.DataFrame
SHOWN = 5


def schools_of(plan: PlanLike) -> pd.DataFrame:
    schools = plan.schools if isinstance(plan, Plan) else plan
    if not isinstance(schools, pd.DataFrame):
        raise InputError(
            f"plan: expected a Plan or a schools frame with group_id and role columns, got "
            f"{type(plan).__name__}; read a saved plan with geogroup.read_plan()"
        )
    return schools


def policy_of(plan: PlanLike, policy: str | Policy | None) -> Policy:
    if policy is not None:
        return get_policy(policy)
    return plan.policy if isinstance(plan, Plan) else Policy(name="unknown")


_Reused = list[tuple[tuple[Any, ...], Any]]
_REUSED: contextvars.ContextVar[_Reused | None] = contextvars.ContextVar("reused", default=None)
_TABLES: contextvars.ContextVar[_Reused | None] = contextvars.ContextVar("tables", default=None)


@contextlib.contextmanager
def reusing_arrays() -> Iterator[None]:
    """Within the block, the rulebook's arrays of one plan's schools frame under one policy
    are computed once and shared by every metric (a report asks for them a dozen times); the
    frame must not change inside the block."""
    token, tables = _REUSED.set([]), _TABLES.set([])
    try:
        yield
    finally:
        _REUSED.reset(token)
        _TABLES.reset(tables)


def reused_table(plan: PlanLike, key: tuple[Any, ...], make: Callable[[], pd.DataFrame]) -> Any:
    """A copy of ``make()``, made once per plan and ``key`` inside :func:`reusing_arrays`
    (the report's tables and its figures both ask for the groups table)."""
    tables = _TABLES.get()
    if tables is None:
        return make()
    schools = schools_of(plan)
    for (known_plan, frame, known), table in tables:
        if known_plan is plan and frame is schools and known == key:
            return table.copy()
    table = make()
    tables.append(((plan, schools, key), table.copy()))
    return table


def arrays_of(plan: PlanLike, policy: str | Policy | None = None) -> rules.PlanArrays:
    """The rulebook's arrays of the plan: units (the plan's ``by`` and the policy's levels),
    weak schools, the lead pool and each unit's metric CRS."""
    by = plan.params.get("by") if isinstance(plan, Plan) else None
    schools = schools_of(plan)
    table = plan.distances if isinstance(plan, Plan) else None
    rules_of = policy_of(plan, policy)
    by = by if by in schools else None
    reused = _REUSED.get()
    for (frame, known, key_by, key_table), arrays in reused or ():
        if frame is schools and key_table is table and key_by == by and known == rules_of:
            return arrays
    arrays = rules.plan_arrays(schools, rules_of, by, table)
    if reused is not None:
        reused.append(((schools, rules_of, by, table), arrays))
    return arrays


def core(plan: PlanLike) -> pd.DataFrame:
    """One row per school: its group (or None), role, quality and the derived flags."""
    schools = schools_of(plan)
    missing = [c for c in (S.QUALITY, S.GROUP_ID, S.ROLE) if c not in schools]
    if missing:
        raise InputError(
            f"plan: missing column(s) {', '.join(missing)}; a plan needs quality, group_id and "
            f"role (it has {', '.join(map(str, schools.columns))})"
        )
    ids = schools.index.to_numpy(dtype=object).tolist()  # not one lookup an id
    index = pd.Index([str(i) for i in ids], name=S.SCHOOL_ID, dtype=object)
    if not index.is_unique:
        dup = index[index.duplicated()].unique()[:SHOWN]
        raise InputError(f"plan: school ids must be unique; repeated: {', '.join(dup)}")
    quality = pd.to_numeric(schools[S.QUALITY].astype(object), errors="coerce").to_numpy(
        dtype=float
    )
    if np.isnan(quality).any():
        bad = index[np.isnan(quality)]
        raise InputError(
            f"plan: {len(bad)} school(s) have no numeric quality (e.g. {', '.join(bad[:SHOWN])}); "
            "every school of a plan needs one"
        )
    group, role = rules.plan_roles(schools)
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


def groups(core: pd.DataFrame) -> pd.Index:
    return pd.Index(sorted(set(core["group"][core["assigned"]])), name=S.GROUP_ID, dtype=object)


def per_group(
    core: pd.DataFrame, values: pd.Series, mask: pd.Series, how: Any, name: str
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
    return grouped.reindex(groups(core)).rename(name)


def area(plan: PlanLike, core: pd.DataFrame) -> pd.Series:
    schools = schools_of(plan)
    if S.AREA not in schools:
        raise InputError(
            "plan: no 'area' column, so urban and rural schools cannot be told apart; "
            "read the schools with read_schools(), which derives it"
        )
    labels = rules.words_kept(schools[S.AREA])
    return pd.Series([a.lower() if a else None for a in labels], index=core.index, dtype=object)


def distances(plan: PlanLike, core: pd.DataFrame) -> pd.Series:
    """Each school's distance to its lead in km, as the rulebook measures it."""
    if not isinstance(schools_of(plan), gpd.GeoDataFrame):
        raise InputError(
            "plan: distances need the school points; expected a GeoDataFrame, got a "
            f"{type(schools_of(plan)).__name__} (read_plan() returns one)"
        )
    return pd.Series(arrays_of(plan).distance_km(), index=core.index, name="distance_km")


def road_figures(plan: PlanLike, core: pd.DataFrame) -> pd.DataFrame | None:
    """With road distances (``plan.distances``): each school's ``straight_km`` to its lead
    (a straight line in its unit's UTM zone) and ``travel_min`` (from the table; NaN
    without minutes). None for a plan measured in straight lines."""
    a = arrays_of(plan)
    if a.table is None:
        return None
    head = a.lead_position()
    to = np.where(a.member, head[np.maximum(a.group, 0)], -1)
    straight = np.full(a.n, np.nan)
    at = np.flatnonzero(a.member & (to >= 0))
    straight[at] = np.hypot(*(a.xy[at] - a.xy[to[at]]).T) / 1000.0
    straight[a.lead] = 0.0
    return pd.DataFrame({"straight_km": straight, "travel_min": a.minutes()}, index=core.index)


def weak(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> pd.Series:
    return pd.Series(arrays_of(plan, policy).weak, index=core.index, name="weak")


def allowed(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> pd.Series | None:
    """May each school lead under ``policy.leads``? None when the lead column is missing."""
    may = arrays_of(plan, policy).may_lead
    return None if may is None else pd.Series(may, index=core.index, name="allowed_lead")
