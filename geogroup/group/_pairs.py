"""``pairs``: counterpart assistance (对口帮扶) — strong schools paired with weak ones.

Shanxi's fourth model and Shandong's strong–weak alliances: each strong school takes
exactly one weak school (one-to-one, ``members = (1, 1)``) or up to ``m`` of them
(one-to-many, ``members = (1, m)``).

* **Strong** schools are the policy's lead pool (``leads``); a pool school that is also weak
  (bottom ``weak_share``) counts as weak, unless the policy names it as a lead.
* **Weak** schools are the bottom ``weak_share`` by quality.
* Every other school is neither: it is not grouped, and the plan says so in its reason.
  A strong school that no weak school needs is left out the same way, not made the lead of
  an empty group.

The pairing is an assignment problem: weak schools are matched to *slots* of strong schools
(``max`` slots each) by scipy's sparse minimum-weight full bipartite matching, each weak
school seeing only the strong schools within ``max_distance_km`` (and, on large units, its
``k`` nearest). A pair costs its part of the shared objective: the distance, the move cost
against a previous plan and, one-to-one, the pair's quality imbalance ``w·|z_s + z_w|`` —
so a one-to-one matching over every allowed pair is optimal for the shared objective and
says so (``status='optimal'``, when every weak school is paired and no pair was left out
by the ``k`` nearest). One-to-many with a minimum above one, each strong school that takes
anyone gets that many required slots, filled first; a group that still falls short is
closed and the matching runs again. Then moves and swaps of weak schools between strong
schools lower the objective (balance included) until none does. Given a previous plan whose pairs still
keep every rule and cost less, those are kept.

A weak school that no strong school with room can take raises
:class:`~geogroup.InfeasibleError` with the numbers and the rule to relax, or is left
unassigned with its reason under ``allow_unassigned``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from geogroup.errors import InfeasibleError
from geogroup.group._base import BaseGrouper, solution_from
from geogroup.group._problem import Problem, Solution, evaluate, judge
from geogroup.policy import Policy

__all__ = ["PairGrouper"]

_RULES_KEY = "pairs: the policy's own rules"  # carries the real policy through screening
_OPTIONAL = 1.0e5  # km added to a slot beyond a group's minimum: required slots fill first
_UNMATCHED = 1.0e9  # km: the price of leaving a weak school without a partner
_EPS = 1e-9
_SHOWN = 10


class PairGrouper(BaseGrouper):
    """Counterpart assistance: strong schools paired one-to-one or one-to-many with weak ones.

    Parameters
    ----------
    policy, random_state, time_limit, on_infeasible, n_jobs, backend, scheduler, progress
        As for every method. ``members = (1, 1)`` pairs one-to-one, ``(1, m)`` lets a
        strong school take up to ``m`` weak schools; ``min_weak_per_group`` raises the
        minimum. ``random_state`` orders the local search of one-to-many pairings.
    k
        Strong schools each weak school may be paired with on large units (its ``k``
        nearest; every strong school within the distance cap on small ones).
    max_pairs
        Largest number of weak × strong pairs considered in full.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> policy = Policy(members=(1, 1), leads="top:0.5", weak_share=0.3, balance_weight=0)
    >>> plan = PairGrouper(policy=policy).fit(toy_schools()).plan_
    >>> plan.schools["lead_id"].dropna().to_dict()
    {'A': 'A', 'C': 'A', 'D': 'D', 'E': 'D'}
    >>> plan.schools.loc["B", "reason"]
    'neither a strong school (policy leads = top:0.5) nor a weak one (bottom weak_share = 0.3): pairs only pair them'
    >>> plan.schools.loc["F", "reason"], plan.status
    ('strong school with no weak partner needed', 'optimal')
    """

    name = "pairs"
    honours = frozenset(
        {
            "members",
            "leads",
            "max_distance_km",
            "max_travel_min",
            "levels",
            "previous",
            "min_weak_per_group",
        }
    )

    def __init__(
        self,
        *,
        k: int = 16,
        max_pairs: int = 200_000,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.k = k
        self.max_pairs = max_pairs

    def _fit_unit(self, unit, label, policy, context, rng, table=None):
        # prepare_problem checks that *all* schools fit into 1+X groups within the cap; pairs
        # group only the strong and the weak ones, so the unit is screened without those rules
        # and _solve applies them to the schools it pairs.
        screening = dataclasses.replace(
            policy,
            members=(0, max(len(unit), 1)),
            n_groups=None,
            max_distance_km=None,
            min_weak_per_group=0,
            extra={**policy.extra, _RULES_KEY: policy},
        )
        return super()._fit_unit(unit, label, screening, context, rng, table)

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        problem.policy = problem.policy.extra.get(_RULES_KEY, problem.policy)
        deadline = time.perf_counter() + self.time_limit
        strong, weak = _sides(problem)
        lo, hi = _sizes(problem.policy)
        weak = _drop_unreachable(problem, strong, weak)
        pairing = _Pairing(problem, strong, weak, self.k, self.max_pairs)
        partner = pairing.match(lo, hi)
        _leave_unmatched(problem, pairing, partner, lo, hi)
        lead = pairing.lead_array(partner)
        exact = hi == 1 and pairing.complete and not pairing.closed and (partner >= 0).all()
        if hi > 1:
            lead = _improve(problem, pairing, lead, lo, hi, rng, deadline)
        lead = _previous_if_better(problem, strong, lead)
        _leave_idle_strong(problem, strong, lead)
        n_groups = len(np.unique(lead[lead >= 0]))
        solution = solution_from(
            problem,
            lead,
            "optimal" if exact else "heuristic",
            n_groups=n_groups,
            n_strong=len(strong),
            n_weak=len(weak),
        )
        if exact:
            solution.bound, solution.gap = solution.objective, 0.0
        return solution


def _sides(problem: Problem) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Strong and weak positions; every other active school is left out with its reason."""
    active = problem.active
    strong_mask = (problem.must_lead | (problem.may_lead & ~problem.weak)) & active
    weak_mask = problem.weak & active & ~strong_mask
    policy = problem.policy
    leads = policy.leads if isinstance(policy.leads, str) else "a list of ids"
    reason = (
        f"neither a strong school (policy leads = {leads}) nor a weak one (bottom weak_share = "
        f"{policy.weak_share:g}): pairs only pair them"
    )
    for i in np.flatnonzero(active & ~strong_mask & ~weak_mask).tolist():
        problem.unplaceable[i] = reason
    return np.flatnonzero(strong_mask), np.flatnonzero(weak_mask)


def _sizes(policy: Policy) -> tuple[int, int]:
    """Weak schools per strong school: the minimum counts only strong schools that pair."""
    lo = max(policy.min_members, policy.min_weak_per_group, 1)
    hi = policy.max_members
    if lo > hi:
        raise InfeasibleError(
            f"policy 'min_weak_per_group' = {policy.min_weak_per_group} weak schools per strong "
            f"school exceeds the maximum of 'members' = {hi}; lower it or raise the maximum"
        )
    return lo, hi


def _drop_unreachable(
    problem: Problem, strong: NDArray[np.int64], weak: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Weak schools with no strong school within the cap: an error, or unassigned."""
    cap = problem.policy.max_distance_km
    if (cap is None and problem.table is None) or len(weak) == 0:
        return weak
    if len(strong) == 0:
        far, dist = weak, np.full(len(weak), math.inf)
    else:
        dist = problem.near(weak, strong, 1)[1][:, 0]
        beyond = dist * 1000.0 > problem.cap_m()
        far = weak[beyond]
        dist = dist[beyond]
    if len(far) == 0:
        return weak
    if not problem.policy.allow_unassigned:
        lines = [f"{problem.ids[w]} ({d:.1f} km)" for w, d in zip(far, dist, strict=True)]
        raise InfeasibleError(
            f"{len(far)} of {len(weak)} weak schools have no strong school{_within(cap)} "
            f"(nearest strong school: {_shown(lines)}); raise 'max_distance_km', allow more "
            "strong schools ('leads'), or set allow_unassigned = true to list them as unassigned"
        )
    for w, d in zip(far.tolist(), dist.tolist(), strict=True):
        problem.unplaceable[w] = (
            f"weak school with no strong school{_within(cap)} (nearest: {d:.1f} km)"
        )
    return np.setdiff1d(weak, far)


def _within(cap: float | None) -> str:
    return " reachable" if cap is None else f" within policy 'max_distance_km' = {cap:g} km"


def _shown(items: list[str]) -> str:
    more = f" … and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


class _Pairing:
    """Candidate strong partners of every weak school, and the matching on slots."""

    def __init__(self, problem: Problem, strong, weak, k: int, max_pairs: int) -> None:
        self.p = problem
        self.strong = strong
        self.weak = weak
        self.closed: set[int] = set()  # strong positions taken out for falling below the minimum
        self.complete = len(weak) * len(strong) <= max_pairs or k >= len(strong)
        self.rows, self.cols, self.km = self._candidates(len(strong) if self.complete else k)

    def _candidates(self, k: int):
        """(weak index, strong index, km) of every allowed pair."""
        if len(self.weak) == 0 or len(self.strong) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        idx, km = self.p.near(self.weak, self.strong, k)
        rows = np.repeat(np.arange(len(self.weak)), idx.shape[1])
        cols, km = idx.ravel(), km.ravel()
        keep = (cols >= 0) & (km * 1000.0 <= self.p.cap_m())
        return rows[keep], cols[keep].astype(np.int64), km[keep]

    def price(
        self, w: NDArray[np.int64], s: NDArray[np.int64], one_to_one: bool
    ) -> NDArray[np.float64]:
        """Objective cost of pairs (positions w, s): distance and moves; one-to-one also the
        pair's imbalance and the strong school's own move, both known per pair then."""
        p, policy = self.p, self.p.policy
        cost = p.km(w, s)
        if p.previous_lead is not None:
            prev = p.previous_lead
            cost = cost + policy.move_cost * ((prev[w] >= 0) & (prev[w] != s))
            if one_to_one:
                cost = cost + policy.move_cost * ((prev[s] >= 0) & (prev[s] != s))
        if one_to_one:
            cost = cost + policy.balance_weight * np.abs(p.z[w] + p.z[s])
        return cost

    def match(self, lo: int, hi: int) -> NDArray[np.int64]:
        """Strong index of every weak school (-1: none), every group within ``[lo, hi]``.

        Nearest first; then, when ``lo > 1``, the strong schools that took someone get ``lo``
        required slots each (cheap) and ``hi - lo`` optional ones (dear), so the matching
        fills every required slot it can; a group that still falls short closes (the
        smallest first) and the matching runs again.
        """
        partner = self._match_once(lo=1, hi=hi)
        if lo <= 1:
            return partner
        while True:
            counts = np.bincount(partner[partner >= 0], minlength=len(self.strong))
            self.closed |= set(np.flatnonzero(counts == 0).tolist())
            partner = self._match_once(lo=lo, hi=hi)
            counts = np.bincount(partner[partner >= 0], minlength=len(self.strong))
            small = np.flatnonzero((counts > 0) & (counts < lo))
            if len(small) == 0:
                return partner
            self.closed.add(int(min(small.tolist(), key=lambda s: (counts[s], -s))))

    def _match_once(self, *, lo: int, hi: int) -> NDArray[np.int64]:
        n_w, n_s = len(self.weak), len(self.strong)
        if n_w == 0:
            return np.empty(0, dtype=np.int64)
        open_ = ~np.isin(self.cols, list(self.closed))
        rows, cols = self.rows[open_], self.cols[open_]
        slots = min(hi, n_w)
        # Costs > 0 (a zero is "no edge"); a required slot is cheaper than any optional one.
        cost = self.price(self.weak[rows], self.strong[cols], hi == 1) + 1.0
        extra = np.where(np.arange(slots) < lo, 0.0, _OPTIONAL) if lo > 1 else np.zeros(slots)
        r = np.concatenate([np.repeat(rows, slots), np.arange(n_w)])
        c = np.concatenate(
            [(cols[:, None] * slots + np.arange(slots)).ravel(), n_s * slots + np.arange(n_w)]
        )
        v = np.concatenate([(cost[:, None] + extra).ravel(), np.full(n_w, _UNMATCHED)])
        # Whole metres: scipy's sparse LAPJV can cycle forever on some float costs; on
        # integers (exact in float64 at these sizes) it terminates.
        v = np.rint(v * 1000.0)
        graph = sp.csr_matrix((v, (r, c)), shape=(n_w, n_s * slots + n_w))
        row_ind, col_ind = min_weight_full_bipartite_matching(graph)
        partner = np.full(n_w, -1, dtype=np.int64)
        taken = col_ind < n_s * slots
        partner[row_ind[taken]] = col_ind[taken] // slots
        return partner

    def lead_array(self, partner: NDArray[np.int64]) -> NDArray[np.int64]:
        lead = np.full(self.p.n, -1, dtype=np.int64)
        paired = partner >= 0
        heads = self.strong[partner[paired]]
        lead[self.weak[paired]] = heads
        lead[heads] = heads
        return lead

    def options(self) -> list[NDArray[np.int64]]:
        """Candidate strong positions of every weak school (by weak index)."""
        order = np.argsort(self.rows, kind="stable")
        starts = np.searchsorted(self.rows[order], np.arange(len(self.weak) + 1))
        return [
            self.strong[self.cols[order[starts[i] : starts[i + 1]]]] for i in range(len(self.weak))
        ]


def _leave_unmatched(problem: Problem, pairing: _Pairing, partner, lo: int, hi: int) -> None:
    """Weak schools the matching could not place: an error, or unassigned with the reason."""
    lost = pairing.weak[partner < 0]
    if len(lost) == 0:
        return
    policy = problem.policy
    cap = (
        ""
        if policy.max_distance_km is None
        else f" within max_distance_km = {policy.max_distance_km:g} km"
    )
    if policy.allow_unassigned:
        for w in lost.tolist():
            problem.unplaceable[w] = f"weak school for which no strong school{cap} has room"
        return
    n_strong, n_weak = len(pairing.strong), len(pairing.weak)
    relax = ["raise the maximum of 'members'"]
    if policy.max_distance_km is not None:
        relax.append("raise 'max_distance_km'")
    if lo > 1:
        relax.append("lower the minimum of 'members' (or 'min_weak_per_group')")
    relax.append("allow more strong schools ('leads'), or set allow_unassigned = true")
    raise InfeasibleError(
        f"{len(lost)} of {n_weak} weak schools get no strong partner "
        f"({_shown([str(problem.ids[w]) for w in lost])}): {n_strong} strong schools take "
        f"{lo}-{hi} weak schools each{cap}; " + ", ".join(relax)
    )


def _previous_if_better(
    problem: Problem, strong: NDArray[np.int64], lead: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The previous plan's pairs instead, when they pair the same weak schools within the
    rules and cost less (the local search may end in a local optimum that moves schools)."""
    if problem.previous_lead is None:
        return lead
    paired = (lead >= 0) & (lead != np.arange(problem.n))  # the weak schools paired now
    before = np.full(problem.n, -1, dtype=np.int64)
    before[paired] = problem.previous_lead[paired]
    heads = np.unique(before[paired])
    if (heads < 0).any() or not np.isin(heads, strong).all():
        return lead
    before[heads] = heads
    idle = {int(x): "idle" for x in strong if before[x] < 0}
    if judge(dataclasses.replace(problem, unplaceable={**problem.unplaceable, **idle}), before):
        return lead
    if evaluate(problem, before)["objective"] < evaluate(problem, lead)["objective"] - 1e-12:
        return before
    return lead


def _leave_idle_strong(
    problem: Problem, strong: NDArray[np.int64], lead: NDArray[np.int64]
) -> None:
    for s in strong[lead[strong] < 0].tolist():
        problem.unplaceable[s] = "strong school with no weak partner needed"


# -- local search (one-to-many) ------------------------------------------------------------


class _Groups:
    """Objective numerator T and count N of a pairing, kept up to date by moves."""

    def __init__(self, problem: Problem, lead: NDArray[np.int64]) -> None:
        self.p = problem
        self.lead = lead.copy()
        n = problem.n
        assigned = lead >= 0
        self.size = np.bincount(lead[assigned], minlength=n) - (lead == np.arange(n))
        self.zsum = np.bincount(lead[assigned], weights=problem.z[assigned], minlength=n)
        self.w = problem.policy.balance_weight
        self.km = problem.scalar_km()

    def price(self, i: int, s: int) -> float:
        p = self.p
        d = self.km(i, s)
        if p.previous_lead is not None and 0 <= p.previous_lead[i] != s:
            d += p.policy.move_cost
        return d

    def head_price(self, s: int) -> float:
        """Balance of a group of the strong school alone, and its own move cost."""
        return self.w * abs(self.p.z[s]) + self.price(s, s)

    def move_delta(self, i: int, a: int, b: int) -> tuple[float, int]:
        """Change of (T, N) when weak school i leaves strong school a for b."""
        z, w, s = self.p.z[i], self.w, self.zsum
        dt = self.price(i, b) - self.price(i, a)
        dt += w * (abs(s[a] - z) - abs(s[a]))
        dn = 0
        if self.size[a] == 1:  # a's group closes
            dt -= self.head_price(a)
            dn -= 1
        if self.size[b] == 0:  # b's group opens
            dt += self.head_price(b) + w * (abs(self.p.z[b] + z) - abs(self.p.z[b]))
            dn += 1
        else:
            dt += w * (abs(s[b] + z) - abs(s[b]))
        return dt, dn

    def apply_move(self, i: int, a: int, b: int) -> None:
        if self.size[b] == 0:
            self.lead[b] = b
            self.zsum[b] = self.p.z[b]
        self.lead[i] = b
        self.size[a] -= 1
        self.size[b] += 1
        self.zsum[a] -= self.p.z[i]
        self.zsum[b] += self.p.z[i]
        if self.size[a] == 0:
            self.lead[a] = -1
            self.zsum[a] = 0.0


def _total(groups: _Groups) -> tuple[float, int]:
    lead = groups.lead
    idx = np.flatnonzero(lead >= 0)
    t = sum(groups.price(int(i), int(lead[i])) for i in idx if lead[i] != i)
    heads = np.flatnonzero(lead == np.arange(len(lead)))
    t += sum(groups.w * abs(groups.zsum[h]) + groups.price(int(h), int(h)) for h in heads)
    return t, len(idx)


def _improve(problem, pairing: _Pairing, lead, lo, hi, rng, deadline) -> NDArray[np.int64]:
    """Moves (opening or closing groups where the sizes allow) and swaps of weak schools."""
    groups = _Groups(problem, lead)
    options = pairing.options()
    closed = pairing.closed
    total, count = _total(groups)
    weak = [
        (int(w), opts) for w, opts in zip(pairing.weak, options, strict=True) if groups.lead[w] >= 0
    ]
    for _ in range(50):
        improved = False
        for k in rng.permutation(len(weak)).tolist():
            i, opts = weak[k]
            for b in opts.tolist():
                if b in closed:
                    continue
                step = _try_move(groups, i, b, lo, hi, total, count) or _try_swap(
                    groups, i, b, total, count
                )
                if step:
                    total, count = step
                    improved = True
                    break
        if not improved or time.perf_counter() > deadline:
            break
    return groups.lead


def _try_move(groups: _Groups, i: int, b: int, lo: int, hi: int, total: float, count: int):
    a = int(groups.lead[i])
    if (
        b == a
        or groups.size[b] + 1 > hi
        or not (groups.size[a] - 1 == 0 or groups.size[a] - 1 >= lo)
    ):
        return None
    if groups.size[b] == 0 and lo > 1:
        return None
    dt, dn = groups.move_delta(i, a, b)
    if (total + dt) / max(count + dn, 1) < total / max(count, 1) - _EPS:
        groups.apply_move(i, a, b)
        return total + dt, count + dn
    return None


def _try_swap(groups: _Groups, i: int, b: int, total: float, count: int):
    """Swap i with the member of b's group that gains most (same sizes, same N)."""
    a = int(groups.lead[i])
    if b == a or groups.size[b] == 0:
        return None
    p, w, s = groups.p, groups.w, groups.zsum
    cap = p.cap_m() / 1000.0
    for j in np.flatnonzero(groups.lead == b).tolist():
        if j == b or groups.km(j, a) > cap:
            continue
        dz = p.z[j] - p.z[i]
        dt = groups.price(i, b) + groups.price(j, a) - groups.price(i, a) - groups.price(j, b)
        dt += w * (abs(s[a] + dz) - abs(s[a]) + abs(s[b] - dz) - abs(s[b]))
        if dt < -_EPS:
            groups.apply_move(i, a, b)
            groups.apply_move(j, b, a)
            return total + dt, count
    return None
