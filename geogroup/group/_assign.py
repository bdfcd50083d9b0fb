"""Capacity-respecting assignment of schools to a set of open leads, and local search.

Both the ``fast`` and ``kmeans`` methods use these. The assignment is a minimum-weight full
matching of schools to *slots* (scipy's sparse LAPJV): a lead with room for ``max`` members
has ``max`` slots; the slots that the rules require to be filled (the minimum size, one rural
member under 城乡结对, the weak-school quota) are cheap, the others dear, so the matching fills
every required slot it can and then minimises distance. Each school only sees the slots of its
``k`` nearest leads, and a lead with a required slot its ``k`` nearest schools that may fill it
(no dense n × n matrix); ``k`` widens when a required slot still stays empty.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import maximum_flow, min_weight_full_bipartite_matching

from geogroup.errors import InfeasibleError
from geogroup.group._loads import repair_loads
from geogroup.group._problem import Problem, nearest_pairs
from geogroup.locate import nearest

__all__ = [
    "State",
    "assign_to_leads",
    "broken_groups",
    "improve",
    "move_allowed",
    "swap_allowed",
]

_DEAR = 1.0e7  # metres added to an optional slot: any required slot filled is worth more


def _nearest_leads(problem: Problem, leads: NDArray[np.int64], rows: NDArray[np.int64], k: int):
    k = min(k, len(leads))
    idx, dist_km = problem.near(rows, leads, k)
    return idx.reshape(len(rows), -1), dist_km.reshape(len(rows), -1) * 1000.0


def _slot_table(
    problem: Problem, leads: NDArray[np.int64], lead_of: NDArray[np.int64], n_free: int = 0
):
    """Slots per lead: (lead index, kind) with kind 0 optional, 1 required, 2 rural, 3 weak.

    Under ``min_weak_share`` a lead gets weak slots for the share of the size its group is
    expected to reach (the free schools spread evenly); the result is judged afterwards."""
    policy = problem.policy
    lo, hi = policy.members
    expected = min(hi, max(lo, math.ceil(n_free / max(len(leads), 1)))) + 1
    slot_lead, slot_kind = [], []
    for li, lead in enumerate(leads):
        locked = np.flatnonzero((lead_of == lead) & (np.arange(problem.n) != lead))
        room = hi - len(locked)
        if room < 0:
            raise InfeasibleError(
                f"locked group of lead {problem.ids[lead]} holds {len(locked)} members, more than "
                f"policy 'members' max {hi}; raise the maximum or unlock schools"
            )
        kinds: list[int] = []
        if policy.pair_urban_rural and problem.urban[lead] and not problem.rural[locked].any():
            kinds.append(2)
        by_share = math.ceil(policy.min_weak_share * max(expected, len(locked) + 1) - 1e-9)
        weak_needed = max(policy.min_weak_per_group, by_share) - int(problem.weak[locked].sum())
        kinds += [3] * max(0, weak_needed)
        kinds += [1] * max(0, lo - len(locked) - len(kinds))
        kinds = kinds[:room]
        kinds += [0] * (room - len(kinds))
        slot_lead += [li] * len(kinds)
        slot_kind += kinds
    return np.asarray(slot_lead, dtype=np.int64), np.asarray(slot_kind, dtype=np.int64)


def assign_to_leads(
    problem: Problem,
    leads: NDArray[np.int64],
    *,
    k: int = 8,
    lead_of: NDArray[np.int64] | None = None,
    max_k: int | None = None,
) -> NDArray[np.int64]:
    """The lead of every school, given the open leads, meeting the size and mix rules.

    Each school first sees its ``k`` nearest leads; ``k`` doubles while a rule is unmet, up
    to ``max_k`` (all leads when None), and then the rule is reported as unmeetable."""
    leads = np.asarray(leads, dtype=np.int64)
    base = np.full(problem.n, -1, dtype=np.int64) if lead_of is None else lead_of.copy()
    base[leads] = leads
    locked = problem.locked_to >= 0
    base[locked] = problem.locked_to[locked]
    free = np.flatnonzero(problem.active & (base < 0))
    slot_lead, slot_kind = _slot_table(problem, leads, base, len(free))
    if len(free) == 0:
        if _within_loads(problem, base, leads, k) is None:
            _raise_unfilled(
                problem, leads, slot_lead, slot_kind, np.zeros(len(slot_lead), dtype=bool)
            )
        return base
    if len(slot_lead) < len(free):
        raise InfeasibleError(
            f"{len(free)} schools to place but the {len(leads)} leads have room for "
            f"{len(slot_lead)} members; raise the maximum of 'members' or allow more leads"
        )
    while True:
        lead_pos, filled = _match(problem, leads, free, slot_lead, slot_kind, k)
        if lead_pos is not None:
            out = base.copy()
            out[free] = leads[lead_pos]
            # A rural weak school in a rural slot also counts as weak: judge by the rules.
            kept = _within_loads(problem, out, leads, k)
            if kept is not None:
                return kept
        widest = len(leads) if max_k is None else min(max_k, len(leads))
        if k >= widest:
            _raise_unfilled(problem, leads, slot_lead, slot_kind, filled)
        k = min(2 * k, widest)


def _broken(problem: Problem, lead: NDArray[np.int64], leads: NDArray[np.int64]) -> bool:
    """Whether any group breaks the size, pairing or weak-school rule."""
    return len(broken_groups(problem, lead, leads)) > 0


def broken_groups(
    problem: Problem, lead: NDArray[np.int64], leads: NDArray[np.int64], *, loads: bool = True
) -> NDArray[np.int64]:
    """The leads whose group breaks the size, pairing or weak-school rule, or (``loads``)
    holds students outside its limits."""
    policy = problem.policy
    member = (lead >= 0) & (lead != np.arange(problem.n))

    def count(flags: NDArray[np.bool_]) -> NDArray[np.float64]:
        return np.bincount(lead[member], weights=flags[member].astype(float), minlength=problem.n)[
            leads
        ]

    size = count(np.ones(problem.n, dtype=bool))
    bad = (size < policy.min_members) | (size > policy.max_members)
    if policy.pair_urban_rural:
        bad |= problem.urban[leads] & (count(problem.rural) < 1)
    if policy.min_weak_per_group:
        bad |= count(problem.weak) < policy.min_weak_per_group
    if policy.min_weak_share:
        bad |= count(problem.weak) < policy.min_weak_share * (size + 1) - 1e-9
    if loads and problem.weighs_students:
        lo, hi = problem.load_limits()
        at = lead >= 0
        load = np.bincount(lead[at], weights=problem.students[at], minlength=problem.n)[leads]
        bad |= (load < lo) | (load > hi[leads])
    return leads[bad]


def _allowed(problem: Problem) -> Callable[[list[tuple[int, int]], NDArray[np.int64]], bool]:
    """Whether moves ``[(school, new lead), ...]`` keep the distance cap, the sectors and
    the count and mix rules of the groups they touch (for the repair of the loads)."""
    cap = problem.cap_m()

    def allowed(moves: list[tuple[int, int]], lead: NDArray[np.int64]) -> bool:
        trial = lead.copy()
        touched = set()
        for i, b in moves:
            if problem.km([i], [b])[0] * 1000.0 > cap:
                return False
            if problem.sector is not None and problem.sector[i] != problem.sector[b]:
                return False
            touched |= {int(trial[i]), int(b)}
            trial[i] = b
        groups = np.asarray(sorted(touched), dtype=np.int64)
        return len(broken_groups(problem, trial, groups, loads=False)) == 0

    return allowed


def _within_loads(
    problem: Problem, lead: NDArray[np.int64], leads: NDArray[np.int64], k: int
) -> NDArray[np.int64] | None:
    """A grouping that keeps every rule, loads included: ``lead`` itself, or ``lead`` with
    its loads repaired; None when neither."""
    if not _broken(problem, lead, leads):
        return lead
    if not problem.weighs_students or len(broken_groups(problem, lead, leads, loads=False)):
        return None
    fixed = repair_loads(problem, lead, leads, _allowed(problem), k=k)
    return fixed if fixed is not None and not _broken(problem, fixed, leads) else None


def _edges(problem, leads, free, slot_lead, slot_kind, k):
    """Every (school, slot) pair a school may take, with its cost: the slots of its k nearest
    leads, and for a lead with a required slot (a rural or weak member, the minimum size) the
    ``k`` nearest schools that may fill it, so that a far-fetched member needs no widening."""
    idx, _ = _nearest_leads(problem, leads, free, k)
    row = np.repeat(np.arange(len(free)), idx.shape[1])[idx.ravel() >= 0]
    lead = idx.ravel()[idx.ravel() >= 0]
    extra_row, extra_lead = _required_pairs(problem, leads, free, slot_lead, slot_kind, k)
    pairs = np.unique(
        np.concatenate([row, extra_row]) * len(leads) + np.concatenate([lead, extra_lead])
    )
    row, lead = pairs // len(leads), pairs % len(leads)
    d = problem.km(free[row], leads[lead]) * 1000.0
    near = d <= problem.cap_m()
    if problem.sector is not None:  # a school joins a lead of its own sector only
        near &= problem.sector[free[row]] == problem.sector[leads[lead]]
    row, lead, d = row[near], lead[near], d[near]
    order = np.argsort(slot_lead, kind="stable")
    starts = np.searchsorted(slot_lead[order], np.arange(len(leads) + 1))
    count = (starts[1:] - starts[:-1])[lead]
    pair = np.repeat(np.arange(len(row)), count)
    within = np.arange(len(pair)) - np.repeat(np.cumsum(count) - count, count)
    slot = order[starts[lead][pair] + within]
    kind = slot_kind[slot]
    r = row[pair]
    usable = (
        (kind <= 1) | ((kind == 2) & problem.rural[free][r]) | ((kind == 3) & problem.weak[free][r])
    )
    # Whole metres: scipy's sparse LAPJV can cycle forever on some float costs (seen on 60
    # schools and 60 slots); on integers it terminates, and a metre is precise enough.
    cost = np.rint(np.where(kind == 0, d[pair] + _DEAR, d[pair] + 1.0))
    return r[usable], slot[usable], cost[usable]


def _required_pairs(problem, leads, free, slot_lead, slot_kind, k):
    """(school row, lead index) pairs joining each lead with a required slot to the ``k``
    nearest free schools that can fill it."""
    rows, heads = [], []
    eligible = {
        1: np.ones(len(free), dtype=bool),
        2: problem.rural[free],
        3: problem.weak[free],
    }
    for kind, ok in eligible.items():
        needing = np.unique(slot_lead[slot_kind == kind])
        pool = np.flatnonzero(ok)
        if len(needing) == 0 or len(pool) == 0:
            continue
        head, school, _ = nearest_pairs(problem, leads[needing], free[pool], k)
        rows.append(pool[school])
        heads.append(needing[head])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows).astype(np.int64), np.concatenate(heads).astype(np.int64)


def _match(problem, leads, free, slot_lead, slot_kind, k):
    """One matching with each school seeing its k nearest leads: (lead index or None, slots filled)."""
    rows, cols, costs = _edges(problem, leads, free, slot_lead, slot_kind, k)
    filled = np.zeros(len(slot_lead), dtype=bool)
    try:
        if len(rows) == 0:
            raise ValueError("no school can reach any lead")
        if not _can_place_all(len(free), slot_lead, slot_kind, rows, cols):
            raise ValueError("no matching places every school")
        graph = sp.csr_matrix((costs, (rows, cols)), shape=(len(free), len(slot_lead)))
        row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    except ValueError:
        if k >= len(leads):
            raise InfeasibleError(_no_matching(problem, len(free), len(leads), slot_kind)) from None
        return None, filled
    slot_of = np.empty(len(free), dtype=np.int64)
    slot_of[row_ind] = col_ind
    filled[slot_of] = True
    return slot_lead[slot_of], filled


def _can_place_all(n_free: int, slot_lead, slot_kind, rows, cols) -> bool:
    """Whether every school can take a slot of its own: a maximum flow from the schools to
    the slots gathered by (lead, kind), which share their schools. Cheap, where the
    matching can take seconds to find out that there is none (seen on 789 schools)."""
    key = slot_lead * 4 + slot_kind
    kinds, kind_of_slot, room = np.unique(key, return_inverse=True, return_counts=True)
    pairs = np.unique(rows.astype(np.int64) * len(kinds) + kind_of_slot[cols])
    row, kind = pairs // len(kinds), pairs % len(kinds)
    source, sink = n_free + len(kinds), n_free + len(kinds) + 1
    tails = np.concatenate([np.full(n_free, source), row, n_free + np.arange(len(kinds))])
    heads = np.concatenate([np.arange(n_free), n_free + kind, np.full(len(kinds), sink)])
    room = np.concatenate([np.ones(n_free + len(row), dtype=np.int64), room]).astype(np.int32)
    graph = sp.csr_matrix((room, (tails, heads)), shape=(sink + 1, sink + 1))
    return bool(maximum_flow(graph, source, sink, method="dinic").flow_value == n_free)


def _no_matching(problem: Problem, n_free: int, n_leads: int, slot_kind) -> str:
    """Why no matching exists, naming only the rules in play."""
    policy = problem.policy
    rules_ = [f"'members' = {list(policy.members)}"]
    if policy.max_distance_km is not None:
        rules_.append(f"'max_distance_km' = {policy.max_distance_km:g}")
    if (slot_kind == 2).any():
        rules_.append("'pair_urban_rural' (a rural member under an urban lead)")
    if (slot_kind == 3).any():
        rules_.append(f"'min_weak_per_group' = {policy.min_weak_per_group}")
    return (
        f"no assignment of {n_free} schools to these {n_leads} leads meets "
        f"{' and '.join(rules_)}; relax one of them, or allow more leads"
    )


def _raise_unfilled(problem, leads, slot_lead, slot_kind, filled) -> None:
    missing = slot_kind[(slot_kind > 0) & ~filled]
    if len(missing) == 0:
        missing = slot_kind[slot_kind > 0]
    rules = {1: "the minimum of 'members'", 2: "'pair_urban_rural'", 3: "'min_weak_per_group'"}
    names = sorted({rules[int(m)] for m in missing}) or ["'members'"]
    groups = sorted(
        {str(problem.ids[leads[slot_lead[i]]]) for i in np.flatnonzero((slot_kind > 0) & ~filled)}
    )
    raise InfeasibleError(
        f"{len(missing)} required places stay empty in the groups of leads {', '.join(groups[:10])}"
        f"{' …' if len(groups) > 10 else ''}: no school within reach can fill them under "
        f"{', '.join(names)}; relax {names[0]} or raise 'max_distance_km'"
    )


class State:
    """Per-group counts that local search keeps up to date, as Python lists: the search
    reads and writes single items, which lists do several times faster than arrays."""

    def __init__(self, problem: Problem, lead: NDArray[np.int64]):
        self.p = problem
        n = problem.n
        member = (lead >= 0) & (lead != np.arange(n))
        self.lead = lead.tolist()
        self.size = (np.bincount(lead[lead >= 0], minlength=n) - (lead == np.arange(n))).tolist()
        self.zsum = np.bincount(lead[lead >= 0], weights=problem.z[lead >= 0], minlength=n).tolist()
        self.rural = np.bincount(
            lead[member], weights=problem.rural[member].astype(float), minlength=n
        ).tolist()
        self.weak = np.bincount(
            lead[member], weights=problem.weak[member].astype(float), minlength=n
        ).tolist()
        self.x = problem.xy[:, 0].tolist()
        self.y = problem.xy[:, 1].tolist()
        self.table = _table_metres(problem)
        self.z = problem.z.tolist()
        self.is_rural = problem.rural.tolist()
        self.lead_urban = problem.urban.tolist()
        self.is_weak = problem.weak.tolist()
        self.prev = None if problem.previous_lead is None else problem.previous_lead.tolist()
        self.move_m = problem.policy.move_cost * 1000.0
        self.w_m = problem.policy.balance_weight * 1000.0
        self.cap = problem.cap_m()
        policy = problem.policy
        self.min_members, self.max_members = policy.min_members, policy.max_members
        self.pairing, self.min_weak = policy.pair_urban_rural, policy.min_weak_per_group
        self.weak_share = policy.min_weak_share
        self.sector = None if problem.sector is None else problem.sector.tolist()
        self.loads = problem.weighs_students
        if self.loads:
            at = lead >= 0
            self.students = problem.students.tolist()
            self.load = np.bincount(lead[at], weights=problem.students[at], minlength=n).tolist()
            self.load_lo, load_hi = problem.load_limits()
            self.load_hi = load_hi.tolist()


def improve(
    problem: Problem,
    lead: NDArray[np.int64],
    *,
    rng: np.random.Generator,
    time_limit: float = 30.0,
    k: int = 8,
) -> NDArray[np.int64]:
    """First-improvement local search: moves, then swaps, until no move helps."""
    start = time.perf_counter()
    state = State(problem, lead)
    movable = np.flatnonzero(
        problem.active & (lead >= 0) & (lead != np.arange(problem.n)) & (problem.locked_to < 0)
    )
    if len(movable) == 0:
        return lead.copy()
    leads = np.unique(lead[lead >= 0])
    cand_idx, cand_d = _nearest_leads(problem, leads, movable, k)
    cand = np.where(cand_idx >= 0, leads[np.maximum(cand_idx, 0)], -1).tolist()
    cand_d = cand_d.tolist()
    nbr_k = min(10, len(movable) - 1)
    nbr = movable[nearest(problem.xy[movable], k=nbr_k)[0]].tolist() if nbr_k > 0 else None
    schools = movable.tolist()
    deadline = start + time_limit
    for _ in range(50):
        improved = False
        for step, r in enumerate(rng.permutation(len(movable)).tolist()):
            # every step keeps the rules: a pass cut at the deadline leaves a valid plan
            if step % 512 == 511 and time.perf_counter() > deadline:
                return np.asarray(state.lead, dtype=np.int64)
            improved |= _try_move(state, schools[r], cand[r], cand_d[r])
            if nbr is not None:
                improved |= _try_swap(state, schools[r], nbr[r])
        if not improved or time.perf_counter() > deadline:
            break
    return np.asarray(state.lead, dtype=np.int64)


def _dist(state: State, i: int, j: int) -> float:
    """Metres from school i to school j: straight, or the table's (inf: no known way)."""
    if state.table is None:
        return math.hypot(state.x[i] - state.x[j], state.y[i] - state.y[j])
    return 0.0 if i == j else state.table.get((i, j), math.inf)


def _table_metres(problem: Problem) -> dict[tuple[int, int], float] | None:
    """Every pair the unit's table knows, in metres (travel-time cap applied)."""
    if problem.table is None:
        return None
    rows, cols = problem.table.pairs()
    metres = problem.km(rows, cols) * 1000.0
    return dict(zip(zip(rows.tolist(), cols.tolist(), strict=True), metres.tolist(), strict=True))


def _move_cost(state: State, i: int, lead: int) -> float:
    if state.prev is None:
        return 0.0
    prev = state.prev[i]
    return state.move_m if prev >= 0 and prev != lead else 0.0


def _can_leave(state: State, i: int, a: int, incoming: int = -1) -> bool:
    """Whether group a keeps its rules when i leaves it (and ``incoming`` takes its place)."""
    if incoming < 0 and state.size[a] - 1 < state.min_members:
        return False
    if state.pairing and state.lead_urban[a] and state.is_rural[i]:
        rural_in = incoming >= 0 and state.is_rural[incoming]
        if state.rural[a] - 1 + rural_in < 1:
            return False
    weak_in = incoming >= 0 and state.is_weak[incoming]
    weak = state.weak[a] - state.is_weak[i] + weak_in
    if state.is_weak[i] and weak < state.min_weak:
        return False
    if state.loads:
        load = (
            state.load[a] - state.students[i] + (state.students[incoming] if incoming >= 0 else 0)
        )
        if load < state.load_lo or load > state.load_hi[a]:
            return False
    size = state.size[a] + (incoming >= 0)  # members after, plus the lead
    return not state.weak_share or weak >= state.weak_share * size - 1e-9


def _balance_delta(state: State, a: int, b: int, za: float, zb: float) -> float:
    """Change of w·(|S_a| + |S_b|) when a gains za and b gains zb (in metres-equivalent)."""
    s = state.zsum
    delta = abs(s[a] + za) - abs(s[a]) + abs(s[b] + zb) - abs(s[b])
    return state.w_m * delta


def move_allowed(state: State, i: int, b: int) -> bool:
    """Whether school i may move to the group of lead b and every rule still hold: the
    search's incremental guard (a property test holds it equal to the rulebook)."""
    a = state.lead[i]
    return b != a and _can_leave(state, i, a) and _can_arrive(state, i, b, _dist(state, i, b))


def _can_arrive(state: State, i: int, b: int, d: float) -> bool:
    """Whether the group of lead b takes school i as one more member, ``d`` metres from b."""
    if d > state.cap or state.size[b] + 1 > state.max_members:
        return False
    if state.loads and state.load[b] + state.students[i] > state.load_hi[b]:
        return False
    if state.sector is not None and state.sector[i] != state.sector[b]:
        return False
    if not state.weak_share:
        return True
    return state.weak[b] + state.is_weak[i] >= state.weak_share * (state.size[b] + 2) - 1e-9


def swap_allowed(state: State, i: int, j: int) -> bool:
    """Whether schools i and j may trade groups and every rule still hold."""
    a, b = state.lead[i], state.lead[j]
    return a != b and b >= 0 and _swap_distances(state, i, j, a, b) is not None


def _swap_distances(state: State, i: int, j: int, a: int, b: int) -> tuple[float, float] | None:
    """Metres from i to lead b and from j to lead a when i (of group a) and j (of group b)
    may trade groups and every rule still hold; None when they may not."""
    if state.sector is not None and state.sector[i] != state.sector[j]:
        return None
    d_ib = _dist(state, i, b)
    if not d_ib <= state.cap:
        return None
    d_ja = _dist(state, j, a)
    if not d_ja <= state.cap:
        return None
    if _can_leave(state, i, a, incoming=j) and _can_leave(state, j, b, incoming=i):
        return d_ib, d_ja
    return None


def _try_move(state: State, i: int, cand: list[int], cand_d: list[float]) -> bool:
    a = state.lead[i]
    if not _can_leave(state, i, a):
        return False
    d_now = _dist(state, i, a)
    z = state.z[i]
    for b, d in zip(cand, cand_d, strict=True):
        if b < 0 or b == a or not _can_arrive(state, i, b, d):
            continue
        gain = (
            d_now
            + _move_cost(state, i, a)
            - d
            - _move_cost(state, i, b)
            - _balance_delta(state, a, b, -z, z)
        )
        if gain > 1e-6:
            _apply_move(state, i, a, b)
            return True
    return False


def _apply_move(state: State, i: int, a: int, b: int) -> None:
    state.lead[i] = b
    state.size[a] -= 1
    state.size[b] += 1
    state.zsum[a] -= state.z[i]
    state.zsum[b] += state.z[i]
    rural, weak = float(state.is_rural[i]), float(state.is_weak[i])
    state.rural[a] -= rural
    state.rural[b] += rural
    state.weak[a] -= weak
    state.weak[b] += weak
    if state.loads:
        state.load[a] -= state.students[i]
        state.load[b] += state.students[i]


def _try_swap(state: State, i: int, others: list[int]) -> bool:
    a = state.lead[i]
    d_ia = _dist(state, i, a)
    for j in others:
        b = state.lead[j]
        if b == a or b < 0:  # most neighbours share i's group
            continue
        allowed = _swap_distances(state, i, j, a, b)
        if allowed is None:
            continue
        d_ib, d_ja = allowed
        d_jb = _dist(state, j, b)
        if state.prev is None:  # no move costs: the sums below without their zeros
            before, after = d_ia + d_jb, d_ib + d_ja
        else:
            before = d_ia + d_jb + _move_cost(state, i, a) + _move_cost(state, j, b)
            after = d_ib + d_ja + _move_cost(state, i, b) + _move_cost(state, j, a)
        dz = state.z[j] - state.z[i]
        gain = before - after - _balance_delta(state, a, b, dz, -dz)
        if gain > 1e-6:
            _apply_move(state, i, a, b)
            _apply_move(state, j, b, a)
            return True
    return False
