"""A unit made ready for a method: its arrays, who may and must lead, the schools no lead
can take, and every rule no method could meet, caught before any solver runs with the
numbers that bind and the rule to relax."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InfeasibleError
from geogroup.group._loads import load_bound, mark_enrolment
from geogroup.group._problem import Problem
from geogroup.locate import UnitDistances, nearest
from geogroup.policy import Policy

__all__ = ["FAR_FACTOR", "FAR_MIN_KM", "far_from_the_rest", "prepare_problem"]


def prepare_problem(
    schools: pd.DataFrame,
    policy: Policy,
    previous_lead: pd.Series | None = None,
    label: str = "",
    sector: pd.Series | None = None,
    table: UnitDistances | None = None,
) -> Problem:
    """Arrays for one unit, with every rule checked that can be checked before solving."""
    n = len(schools)
    if n == 0:
        raise InfeasibleError("no school to group: the school list (or this unit of it) is empty")
    quality = schools[S.QUALITY].to_numpy(dtype=float)
    sd = float(quality.std())
    z = (quality - quality.mean()) / sd if sd > 0 else np.zeros(n)
    ids = schools.index.to_numpy(dtype=object)
    area = schools[S.AREA].astype(object) if S.AREA in schools else None
    problem = Problem(
        ids=ids,
        names=schools[S.NAME].astype(object).to_numpy() if S.NAME in schools else ids.copy(),
        xy=rules.metric_xy(schools),
        quality=quality,
        z=z,
        urban=np.zeros(n, bool) if area is None else (area == S.URBAN).to_numpy(dtype=bool),
        rural=np.zeros(n, bool) if area is None else (area == S.RURAL).to_numpy(dtype=bool),
        weak=rules.weak_flags(quality, ids, policy.weak_share),
        may_lead=np.zeros(n, dtype=bool),
        must_lead=np.zeros(n, dtype=bool),
        named=np.zeros(n, dtype=bool),
        locked_to=np.full(n, -1, dtype=np.int64),
        policy=policy,
        level=rules.levels_of(schools[S.LEVEL], policy) if S.LEVEL in schools else None,
        label=label,
        sector=None if sector is None else sector.reindex(schools.index).to_numpy(np.int64),
        table=table,
    )
    _mark_leads(problem, schools)
    _mark_locked(problem, schools)
    mark_enrolment(problem, schools)
    if previous_lead is not None:
        pos = {sid: i for i, sid in enumerate(ids)}
        prev = previous_lead.reindex(ids)
        problem.previous_lead = np.array(
            [pos.get(p, -1) if isinstance(p, str) else -1 for p in prev], dtype=np.int64
        )
    _check_feasible(problem)
    return problem


def _mark_leads(problem: Problem, schools: pd.DataFrame) -> None:
    kind, value = problem.policy.lead_rule
    if kind == "either":
        value = value[0]
    if kind == "column" and value not in schools:
        raise InfeasibleError(
            f"policy 'leads' = 'column:{value}', but the schools have no column {value!r}; "
            f"columns: {', '.join(map(str, schools.columns))}"
        )
    present = kind in ("column", "either") and value in schools
    column = schools[value].to_numpy(dtype=object) if present else None
    may, named = rules.lead_flags(
        problem.policy, problem.quality, problem.ids, column, problem.urban
    )
    problem.leads_used = rules.leads_used(problem.policy, column)
    problem.may_lead[:] = may
    problem.named[:] = named
    problem.must_lead |= named
    if kind == "either" and problem.leads_used.startswith("top:"):
        kind, value = "top", problem.policy.lead_rule[1][1]
    if kind != "top":
        return
    k = max(1, math.ceil(value * problem.n - 1e-9))
    if problem.n > 1 and k < problem.n and np.ptp(problem.quality) == 0:
        raise InfeasibleError(
            f"policy 'leads' = {problem.policy.leads!r} takes the best schools by quality, but "
            f"the quality is the same for all {problem.n} schools ({problem.quality[0]:g}), so "
            "the choice would be arbitrary; check the quality column, or name the leads "
            "(leads = 'column:lead_candidate' or a list of school ids)"
        )


def _mark_locked(problem: Problem, schools: pd.DataFrame) -> None:
    """Schools sharing a ``fixed_group`` stay together, under the best lead among them."""
    if S.FIXED_GROUP not in schools:
        return
    problem.fixed = rules.words_kept(schools[S.FIXED_GROUP])
    labels = schools[S.FIXED_GROUP].astype(object)
    for _label, members in labels[labels.notna() & (labels.astype(str).str.strip() != "")].groupby(
        labels, sort=True
    ):
        pos = np.flatnonzero(pd.Index(problem.ids).isin(members.index))
        lead = min(pos, key=lambda p: _lead_preference(problem, p))
        problem.must_lead[lead] = True
        problem.locked_to[pos] = lead


def _lead_preference(problem: Problem, p: int) -> tuple:
    """Sort key: fixed leads first, then candidates, then by quality, then id."""
    return (
        not problem.must_lead[p],
        not problem.may_lead[p],
        -problem.quality[p],
        str(problem.ids[p]),
    )


def _check_feasible(problem: Problem) -> None:
    """Rules no method can meet raise here, quoting the numbers and the rule to relax."""
    policy = problem.policy
    _mark_unplaceable(problem)
    _check_fixed_spacing(problem)
    n_active = int(problem.active.sum())
    lo_m, hi_m = policy.members
    g_lo = math.ceil(n_active / (hi_m + 1))
    g_hi = n_active // (lo_m + 1)
    n_must = int((problem.must_lead & problem.active).sum())
    n_pool = len(problem.leads_pool)
    what = f"{n_active} schools with {lo_m}-{hi_m} members per group"
    if g_lo > g_hi:
        raise InfeasibleError(
            f"{what} cannot be split: groups of {lo_m + 1}-{hi_m + 1} schools never add up to "
            f"{n_active}; relax 'members' (e.g. lower the minimum to {max(0, lo_m - 1)})"
        )
    if policy.n_groups is not None:
        if not g_lo <= policy.n_groups <= g_hi:
            raise InfeasibleError(
                f"policy 'n_groups' = {policy.n_groups}, but {what} need between {g_lo} and {g_hi} "
                "groups; relax 'n_groups' or 'members'"
            )
        g_lo = g_hi = policy.n_groups
    if n_must > g_hi:
        raise InfeasibleError(
            f"{n_must} schools must lead (fixed leads or locked groups), but {what} allow at most "
            f"{g_hi} groups; lower the minimum of 'members' or fix fewer leads"
        )
    if problem.policy.lead_rule[0] == "ids":
        g_lo = g_hi = n_must
        if n_must == 0:
            raise InfeasibleError(
                "policy 'leads' lists school ids, but none of them is in the school list"
            )
        if n_must < math.ceil(n_active / (hi_m + 1)):
            raise InfeasibleError(
                f"{what} need at least {math.ceil(n_active / (hi_m + 1))} leads, but policy 'leads' "
                f"names {n_must}; name more leads or raise the maximum of 'members'"
            )
    if n_pool < g_lo:
        used = "" if problem.leads_used == policy.leads else f": {problem.leads_used}"
        raise InfeasibleError(
            f"{what} need at least {g_lo} leads, but only {n_pool} schools may lead "
            f"(policy 'leads' = {policy.leads!r}{used}); relax 'leads' (a larger top share or "
            "more candidates) or raise the maximum of 'members'"
        )
    problem.n_groups_range = (max(g_lo, n_must), min(g_hi, n_pool))
    _check_pairing(problem)


def _check_pairing(problem: Problem) -> None:
    """The mix rules against the number of groups the sizes need: every binding rule is named
    in one error, with its numbers."""
    found = [m for m in (f(problem) for f in _MIX_CHECKS) if m]
    if found:
        raise InfeasibleError("; and ".join(found))


def _pairing_bound(problem: Problem) -> str | None:
    """Each urban-led group needs a rural member; a group led by a school that is not urban
    needs none: so every group takes a rural school or a non-urban lead."""
    if not problem.policy.pair_urban_rural:
        return None
    g_lo = problem.n_groups_range[0]
    rural = int((problem.rural & problem.active).sum())
    pool = problem.leads_pool
    other_leads = int((~problem.urban[pool] & ~problem.rural[pool]).sum())
    if g_lo <= rural + other_leads:
        return None
    lo, hi = problem.policy.members
    urban = int((problem.urban & problem.active).sum())
    return (
        f"policy 'pair_urban_rural' gives every group led by an urban school a rural member, so "
        f"each group takes a rural school (as a member or as its lead): {urban} urban and "
        f"{rural} rural schools, but 'members' = [{lo}, {hi}] needs at least {g_lo} groups for "
        f"{int(problem.active.sum())} schools; set pair_urban_rural = false, raise the maximum "
        "of 'members', or group these schools with rural ones (another unit split, 'by')"
    )


def _weak_share_bound(problem: Problem) -> str | None:
    """Weak members at least a share of every group means at least that share of all the
    schools grouped."""
    share = problem.policy.min_weak_share
    if not share:
        return None
    n = int(problem.active.sum())
    n_weak = int((problem.weak & problem.active & ~problem.must_lead).sum())
    if n_weak >= share * n - 1e-9:
        return None
    return (
        f"policy 'min_weak_share' = {share:g} in every group needs weak members for "
        f"{share:.0%} of the {n} schools ({math.ceil(share * n - 1e-9)}), but 'weak_share' = "
        f"{problem.policy.weak_share:g} makes {n_weak} weak schools that can be members; "
        "raise 'weak_share' or lower 'min_weak_share'"
    )


def _weak_bound(problem: Problem) -> str | None:
    policy = problem.policy
    if not policy.min_weak_per_group:
        return None
    g_lo = problem.n_groups_range[0]
    if policy.min_weak_per_group > policy.max_members:
        return (
            f"policy 'min_weak_per_group' = {policy.min_weak_per_group} exceeds the maximum of "
            f"'members' = {policy.max_members}; lower it"
        )
    n_weak = int((problem.weak & problem.active & ~problem.must_lead).sum())
    need = g_lo * policy.min_weak_per_group
    if n_weak >= need:
        return None
    return (
        f"policy 'min_weak_per_group' = {policy.min_weak_per_group} in each of at least "
        f"{g_lo} groups needs {need} weak members, but 'weak_share' = {policy.weak_share:g} "
        f"makes {n_weak} weak schools that can be members; raise 'weak_share' or lower "
        "'min_weak_per_group'"
    )


def _spacing_bound(problem: Problem) -> str | None:
    """Leads at least s apart have disjoint discs of radius s/2 inside the candidates' hull
    grown by s/2: their number is at most that area over one disc's."""
    spacing = problem.policy.min_lead_spacing_km
    pool = problem.leads_pool
    g_lo = problem.n_groups_range[0]
    if not spacing or len(pool) < 2 or g_lo < 2:
        return None
    radius = spacing * 500.0  # half the spacing, in metres
    hull = shapely.MultiPoint(problem.xy[pool]).convex_hull.buffer(radius)
    most = int(hull.area // (math.pi * radius**2))
    if most >= g_lo:
        return None
    return (
        f"policy 'min_lead_spacing_km' = {spacing:g} allows at most {most} leads among the "
        f"{len(pool)} candidates (their area holds no more discs {spacing:g} km across), but at "
        f"least {g_lo} groups are needed; lower the spacing or raise the maximum of 'members'"
    )


def _sector_bound(problem: Problem) -> str | None:
    """Every school joins a lead of its own sector, and a sector holds one group: a sector
    with schools but no possible lead, or fewer sectors than groups, leave no plan."""
    if problem.sector is None:
        return None
    n = problem.policy.sectors
    names = rules.SECTOR_NAMES.get(n, tuple(f"sector {k}" for k in range(n)))
    pool = problem.leads_pool
    used = sorted(set(problem.sector[problem.active].tolist()))
    lacking = [s for s in used if not (problem.sector[pool] == s).any()]
    if lacking:
        counts = ", ".join(
            f"{names[s]} ({int(((problem.sector == s) & problem.active).sum())} schools)"
            for s in lacking
        )
        return (
            f"policy 'sectors' = {n}: the {counts} sector(s) hold schools but no school that "
            f"may lead (policy 'leads' = {problem.policy.leads!r}, leads_from = "
            f"{problem.policy.leads_from!r}); mark a quality school there, or relax 'leads'"
        )
    if problem.n_groups_range[0] > len(used):
        return (
            f"policy 'sectors' = {n} allows one group in each of the {len(used)} sectors with "
            f"schools, but at least {problem.n_groups_range[0]} groups are needed; raise the "
            "maximum of 'members' or 'n_groups' to the number of sectors"
        )
    return None


_MIX_CHECKS = (
    _pairing_bound,
    _weak_bound,
    _weak_share_bound,
    _spacing_bound,
    _sector_bound,
    load_bound,
)


def _check_fixed_spacing(problem: Problem) -> None:
    """Two schools that must lead (named in 'leads', or heading a fixed group) yet stand
    closer than the lead spacing allow no plan at all."""
    spacing = problem.policy.min_lead_spacing_km
    must = np.flatnonzero(problem.must_lead & problem.active)
    if not spacing or len(must) < 2:
        return
    idx, d_km = nearest(problem.xy[must], k=1)
    close = ~rules.spaced(d_km[:, 0], spacing)
    if close.any():
        a = int(np.flatnonzero(close)[0])
        i, j = must[a], must[idx[a, 0]]
        raise InfeasibleError(
            f"{problem.ids[i]} and {problem.ids[j]} must both lead (named in policy 'leads' or "
            f"heading a fixed group) but are {d_km[a, 0]:.2f} km apart, closer than policy "
            f"'min_lead_spacing_km' = {spacing:g}; lower the spacing or unlock one of them"
        )


def _check_locked_within_cap(problem: Problem) -> None:
    cap = problem.policy.max_distance_km
    locked = np.flatnonzero(problem.locked_to >= 0)
    if cap is None or len(locked) == 0:
        return
    d_km = problem.km(locked, problem.locked_to[locked])
    far = locked[~rules.within_cap(d_km, cap)]
    if len(far):
        i = far[0]
        raise InfeasibleError(
            f"{len(far)} locked schools (fixed_group) lie beyond policy 'max_distance_km' = {cap:g} km "
            f"of their group's lead, e.g. {problem.ids[i]} is {d_km[locked == i][0]:.1f} km from "
            f"{problem.ids[problem.locked_to[i]]}; raise 'max_distance_km' or unlock them"
        )


FAR_MIN_KM = 50.0
FAR_FACTOR = 10.0


def far_from_the_rest(xy: NDArray[np.float64]) -> tuple[NDArray[np.bool_], NDArray, float]:
    """Schools farther from every other school of their unit than ``FAR_MIN_KM`` and than
    ``FAR_FACTOR`` times the unit's median spacing (the median distance from a school to
    its nearest neighbour): usually a typo in a coordinate. Returns the mask, each school's
    nearest-neighbour distance (km) and the median spacing (km)."""
    if len(xy) < 3:
        return np.zeros(len(xy), dtype=bool), np.zeros(len(xy)), 0.0
    nn_km = nearest(xy, k=1)[1][:, 0]
    spacing = float(np.median(nn_km))
    return nn_km > max(FAR_MIN_KM, FAR_FACTOR * spacing), nn_km, spacing


def _mark_far(problem: Problem) -> None:
    """Leave out, with the reason, schools far from the rest of their unit (``keep_far``
    keeps them)."""
    far, nn_km, spacing = far_from_the_rest(problem.xy)
    problem.spacing_km = spacing
    if problem.policy.keep_far or not far.any():
        return
    for i in np.flatnonzero(far & (problem.locked_to < 0) & ~problem.must_lead):
        problem.unplaceable[int(i)] = (
            f"far from the rest of its unit: {nn_km[i]:,.1f} km from the nearest other school "
            f"(the unit's schools are usually {spacing:.1f} km apart); check its coordinates, "
            "or set keep_far = true to group it"
        )


def _mark_unplaceable(problem: Problem) -> None:
    """Schools no possible lead can take within the distance cap."""
    _mark_far(problem)
    _check_locked_within_cap(problem)
    cap = problem.policy.max_distance_km
    can_lead = problem.may_lead | problem.must_lead
    pool = np.flatnonzero(can_lead & problem.active)
    if (cap is None and problem.table is None) or len(pool) == 0:
        return
    others = np.flatnonzero(~can_lead & (problem.locked_to < 0) & problem.active)
    if len(others) == 0:
        return
    idx, dist = problem.near(others, pool, 1)
    far = dist[:, 0] * 1000.0 > problem.cap_m()
    if not far.any():
        return
    lines = [
        f"{problem.ids[others[i]]} ({problem.names[others[i]]}): nearest possible lead "
        + (
            f"{problem.ids[pool[idx[i, 0]]]} is {dist[i, 0]:.1f} km away"
            if np.isfinite(dist[i, 0])
            else "not reachable in the distance table (or beyond max_travel_min)"
        )
        for i in np.flatnonzero(far)
    ]
    where = "" if cap is None else f" within policy 'max_distance_km' = {cap:g} km"
    if not problem.policy.allow_unassigned:
        shown = "; ".join(lines[:10]) + (
            f"; … and {len(lines) - 10} more" if len(lines) > 10 else ""
        )
        raise InfeasibleError(
            f"{int(far.sum())} schools have no possible lead{where}: {shown}. "
            + ("Raise 'max_distance_km', allow" if cap is not None else "Allow")
            + " more leads, or set allow_unassigned = true to list them as unassigned"
        )
    for i in np.flatnonzero(far):
        nearest_text = (
            f"nearest: {dist[i, 0]:.1f} km" if np.isfinite(dist[i, 0]) else "none reachable"
        )
        problem.unplaceable[int(others[i])] = f"no possible lead{where} ({nearest_text})"
