"""Enrolment-weighted sizes: the students a group holds, against ``group_students`` and its
lead's capacity (``capacity_column``).

:func:`mark_enrolment` gives a unit's :class:`Problem` its students and capacities (schools
without a capacity cannot lead), :func:`load_bound` states what no method could meet, and
:func:`repair_loads` moves members until every group of a grouping holds a number of students
within its limits, for the heuristics whose matching counts schools, not students.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InfeasibleError, InputError
from geogroup.group._problem import Problem

__all__ = ["load_bound", "mark_enrolment", "repair_loads"]

_SHOWN = 5


def _shown(ids: NDArray[np.object_]) -> str:
    more = f" … and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return ", ".join(map(str, ids[:_SHOWN])) + more


def mark_enrolment(problem: Problem, schools: pd.DataFrame) -> None:
    """Set the students (and capacities) of a unit whose policy weighs them; a school with no
    capacity may not lead. Raises :class:`~geogroup.errors.InputError` for a missing column
    or a school without a student count."""
    policy = problem.policy
    if policy.group_students is None and not policy.capacity_column:
        return
    rule = "group_students" if policy.group_students is not None else "capacity_column"
    students, capacity = rules.enrolment(schools, policy)
    if students is None:
        raise InputError(
            f"policy '{rule}' weighs groups by their students, but the schools have no "
            f"{S.STUDENTS!r} column; add one (headers such as 在校生数 or enrolment are "
            "recognised) or drop the rule"
        )
    bad = ~np.isfinite(students) | (students < 0)
    if bad.any():
        raise InputError(
            f"policy '{rule}' weighs groups by their students, but {int(bad.sum())} school(s) "
            f"have no student count (or a negative one): {_shown(problem.ids[bad])}; fill in "
            f"the {S.STUDENTS!r} column for them"
        )
    problem.students = students
    if policy.capacity_column:
        if capacity is None:
            raise InputError(
                f"policy 'capacity_column' = {policy.capacity_column!r}, but the schools have no "
                f"such column; columns: {', '.join(map(str, schools.columns))}"
            )
        unknown = np.isnan(capacity)
        fixed = unknown & problem.must_lead
        if fixed.any():
            raise InfeasibleError(
                f"{int(fixed.sum())} school(s) must lead but have no capacity in column "
                f"{policy.capacity_column!r}: {_shown(problem.ids[fixed])}; fill it in"
            )
        problem.capacity = capacity
        dropped = int((unknown & problem.may_lead).sum())
        problem.may_lead &= ~unknown
        if dropped:
            problem.leads_used += (
                f"; {dropped} of them without a capacity in {policy.capacity_column!r} may not lead"
            )


def load_bound(problem: Problem) -> str | None:
    """Why no grouping can keep the students rules, in numbers; None when none is evident:
    a school larger than any group may hold, more students than the largest groups hold
    together, or fewer than the fewest groups need."""
    if not problem.weighs_students:
        return None
    lo, hi = problem.load_limits()
    active = problem.active
    students = problem.students[active]
    total = float(students.sum())
    pool = problem.leads_pool
    g_lo, g_hi = problem.n_groups_range
    most = np.sort(hi[pool])[::-1]
    limits = problem.policy.group_students
    said = f"'group_students' = {list(limits)}" if limits is not None else ""
    if problem.capacity is not None:
        said += (" and " if said else "") + f"the capacities in {problem.policy.capacity_column!r}"
    if len(most) and students.max() > most[0]:
        big = problem.ids[active][np.argmax(students)]
        return (
            f"school {big} has {students.max():g} students, more than any group may hold "
            f"({most[0]:g}) under {said}; raise the limit or leave the school out"
        )
    if len(most) and total > most[:g_hi].sum():
        return (
            f"the {int(active.sum())} schools have {total:g} students, but at most {g_hi} groups "
            f"hold {most[:g_hi].sum():g} under {said}; raise the limits or allow more groups"
        )
    if math.isfinite(lo) and total < g_lo * lo:
        return (
            f"the {int(active.sum())} schools have {total:g} students, but the {g_lo} groups "
            f"they need hold at least {limits[0]} each under {said}; lower the minimum or "
            "allow fewer groups"
        )
    return None


def _loads(problem: Problem, lead: NDArray[np.int64]) -> NDArray[np.float64]:
    at = lead >= 0
    return np.bincount(lead[at], weights=problem.students[at], minlength=problem.n)


def repair_loads(
    problem: Problem,
    lead: NDArray[np.int64],
    leads: NDArray[np.int64],
    allowed: Callable[[list[tuple[int, int]], NDArray[np.int64]], bool],
    *,
    k: int = 8,
) -> NDArray[np.int64] | None:
    """``lead`` with members moved (or traded) between the open ``leads`` until every group
    holds students within its limits; None when the moves and swaps tried do not get there.
    ``allowed(moves, lead)`` says whether the moves ``[(school, new lead), ...]`` keep every
    other rule (distance, sector, member counts, mixes) in the groups they touch.

    Each step takes the group furthest outside its limits and makes the cheapest move (by
    the change of distance) that brings it closer without pushing another group out."""
    lo, hi = problem.load_limits()
    lead = lead.copy()
    load = _loads(problem, lead)
    s = problem.students
    movable = (problem.locked_to < 0) & problem.active
    for _ in range(4 * problem.n):
        over = np.maximum(load[leads] - hi[leads], 0.0)
        under = np.maximum(lo - load[leads], 0.0)
        worst = int(np.argmax(over + under))
        if over[worst] + under[worst] <= 0:
            return lead
        g = int(leads[worst])
        if over[worst] > 0:
            step = _relieve(problem, lead, leads, load, g, allowed, movable, k)
        else:
            step = _fill(problem, lead, load, g, allowed, movable, k)
        if step is None:
            return None
        for i, b in step:
            a = lead[i]
            lead[i] = b
            load[a] -= s[i]
            load[b] += s[i]
    return None


def _fits(problem: Problem, i: int, a: int, b: int, load, incoming: int = -1) -> bool:
    """Whether moving i from a to b (and ``incoming`` from b to a) keeps b within its upper
    limit and a within its lower one, or leaves the one outside no worse off."""
    lo, hi = problem.load_limits()
    s = problem.students
    delta = s[i] - (s[incoming] if incoming >= 0 else 0.0)
    new_b, new_a = load[b] + delta, load[a] - delta
    return (
        new_b <= max(hi[b], load[b])
        and (new_b >= lo or new_b >= load[b])
        and (new_a >= lo or new_a >= load[a])
        and new_a <= max(hi[a], load[a])
    )


def _relieve(problem, lead, leads, load, g, allowed, movable, k):
    """The cheapest move of a member out of over-full group g, or trade of it for a smaller
    member of a nearby group."""
    s = problem.students
    members = np.flatnonzero((lead == g) & (np.arange(problem.n) != g) & movable)
    others = leads[leads != g]
    if len(members) == 0 or len(others) == 0:
        return None
    idx, d_new = problem.near(members, others, min(k, len(others)))
    d_now = problem.km(members, np.full(len(members), g))
    options = sorted(
        (float(dist - d_now[r]), int(i), int(others[c]))
        for r, i in enumerate(members)
        for c, dist in zip(idx[r], d_new[r], strict=True)
        if c >= 0 and np.isfinite(dist)
    )
    for _, i, b in options:
        if _fits(problem, i, g, b, load) and allowed([(i, b)], lead):
            return [(i, b)]
    for _, i, b in options:  # trade i for a smaller member of b
        smaller = np.flatnonzero((lead == b) & (np.arange(problem.n) != b) & movable)
        smaller = smaller[s[smaller] < s[i]]
        if len(smaller) == 0:
            continue
        back = problem.km(smaller, np.full(len(smaller), g))
        for j in smaller[np.argsort(back, kind="stable")][np.isfinite(np.sort(back))]:
            j = int(j)
            if _fits(problem, i, g, b, load, incoming=j) and allowed([(i, b), (j, g)], lead):
                return [(i, b), (j, g)]
    return None


def _fill(problem, lead, load, g, allowed, movable, k):
    """The cheapest move of a member of another group into under-full group g."""
    rows = np.flatnonzero((lead >= 0) & (lead != np.arange(problem.n)) & (lead != g) & movable)
    if len(rows) == 0:
        return None
    idx, d_new = problem.near(np.array([g]), rows, min(4 * k, len(rows)))
    known = (idx[0] >= 0) & np.isfinite(d_new[0])
    cand = rows[idx[0][known]]
    d_now = problem.km(cand, lead[cand])
    order = cand[np.argsort(d_new[0][known] - d_now, kind="stable")]
    for i in order:
        i = int(i)
        if _fits(problem, i, int(lead[i]), g, load) and allowed([(i, g)], lead):
            return [(i, g)]
    s = problem.students
    own = np.flatnonzero((lead == g) & (np.arange(problem.n) != g) & movable)
    for i in order:  # trade a smaller member of g for i
        i, a = int(i), int(lead[i])
        smaller = own[s[own] < s[i]]
        if len(smaller) == 0:
            continue
        back = problem.km(smaller, np.full(len(smaller), a))
        for j in smaller[np.argsort(back, kind="stable")][np.isfinite(np.sort(back))]:
            j = int(j)
            if _fits(problem, i, a, g, load, incoming=j) and allowed([(i, g), (j, a)], lead):
                return [(i, g), (j, a)]
    return None
