"""``fast``: a heuristic for large inputs on the same objective as ``exact``.

1. A start rounded from the LP relaxation of the exact model (HiGHS's dual simplex), each
   school seeing its ``lp_k`` nearest candidate leads: on school grouping the relaxation is
   nearly integral. Leads: the candidates the relaxation opens most (as many as the sum of
   its lead variables, and those at least half open), and the leads found by diving (fixing
   the most open fractional leads, re-solving). For each lead set the relaxation is solved
   again with those leads fixed: its assignment weighs balance as well as distance; the few
   schools it splits between groups are placed by a matching where a rule needs them. When
   the policy fixes the number of groups, a few trials after the local search (3) swap
   leads, each regrouped the same way.
2. Without the relaxation (fixed leads, or a unit above ``lp_max_pairs`` school × lead
   pairs): as many groups as the rules allow, each lead the candidate nearest a k-means
   centre; a capacity-respecting matching of schools to slots of their k nearest leads;
   groups closed and leads swapped while the matching's objective drops.
3. Local search on the objective: moves and swaps between neighbouring groups that keep
   every rule, in a seeded random order, until no move helps; the best start is kept.
4. Re-centring: where a group holds a candidate nearer its members than its lead, that
   candidate leads instead, and the groups are redone and searched again; kept only when the
   objective improves.

Apart from the time limit, which cuts a step short, no step looks at a clock: the same input
and seed give the same plan on any machine.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geogroup.errors import InfeasibleError
from geogroup.group._assign import assign_to_leads, broken_groups, improve
from geogroup.group._base import BaseGrouper, solution_from
from geogroup.group._diagnose import diagnose
from geogroup.group._leads import _far_enough, spread_leads, target_group_count
from geogroup.group._model import Model
from geogroup.group._problem import Problem, Solution, evaluate, judge
from geogroup.group._relaxation import Relaxation
from geogroup.locate import nearest

__all__ = ["FastGrouper"]

_FULL_WIDENING = 250_000  # school × lead pairs up to which a lead trial may see every lead


class FastGrouper(BaseGrouper):
    """Heuristic grouping for large inputs: LP-rounded start, local search, re-centring.

    Parameters
    ----------
    policy
        A preset name, a TOML path or a :class:`~geogroup.Policy`.
    random_state
        Seed of the k-means start and of the order of the local search.
    time_limit
        Seconds of local search per unit (it usually stops sooner, at a local optimum).
    on_infeasible
        ``'raise'``, or ``'unassign'``: a unit the policy cannot group (under ``by=``) has
        its schools listed as unassigned with the reason, and a warning says so.
    n_jobs
        Processes for independent units (``by=``, ``levels='same'``); None uses every core
        once the input has 2,000 schools or more, 1 runs serially.
    backend, scheduler, progress
        Where the units run (``'serial'``, ``'processes'``, ``'dask'``), the Dask scheduler
        address, and the progress bar; as for every method (see :class:`BaseGrouper`).
    k
        How many nearest leads each school may join (widened when the rules need it).
    recentre_rounds
        Rounds of re-centring leads (0 to keep the first leads).
    close_trials
        Groups tried for closing in a row without improvement before the search stops
        (0 to keep as many groups as the rules allow).
    swap_trials
        Groups in a row whose lead no nearby candidate can replace with profit before the
        lead-swapping search stops (0 to skip it).
    lead_trials
        Most matchings spent per unit on closing and swapping leads: a count, not a time,
        so that the same seed gives the same plan on any machine.
    lp_k
        Candidate leads each school sees in the LP relaxation (0 skips the relaxation).
    lp_max_pairs
        Largest number of school × lead pairs for which the relaxation is solved; a larger
        unit starts from k-means (split such inputs with ``by=``).
    dive
        Also round the relaxation by diving (a few more LP solves, often better leads).
    polish_trials
        After the relaxation's start, when the policy fixes the number of groups, most
        trials of swapping a lead, each regrouped by the relaxation (0 to skip). Where the
        number is free, the relaxation's own count was measured as good as any a trial finds.

    Examples
    --------
    >>> from geogroup import Policy, toy_schools
    >>> plan = FastGrouper(policy=Policy(members=(2, 2), leads="top:0.34")).fit(toy_schools()).plan_
    >>> sorted(plan.schools.groupby("group_id").size().tolist())
    [3, 3]
    """

    name = "fast"

    def __init__(
        self,
        *,
        k: int = 8,
        recentre_rounds: int = 3,
        close_trials: int = 6,
        swap_trials: int = 12,
        lead_trials: int = 40,
        lp_k: int = 24,
        lp_max_pairs: int = 150_000,
        dive: bool = True,
        polish_trials: int = 4,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.k = k
        self.recentre_rounds = recentre_rounds
        self.close_trials = close_trials
        self.swap_trials = swap_trials
        self.lead_trials = lead_trials
        self.lp_k = lp_k
        self.lp_max_pairs = lp_max_pairs
        self.dive = dive
        self.polish_trials = polish_trials

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        # The search keeps per-unit state (trials left, the relaxation) on the instance: a
        # copy per unit keeps units that share this object (Dask threads) apart.
        started = time.perf_counter()
        worker = copy.copy(self)
        worker._deadline = started + self.time_limit
        worker._match_seconds = 0.0
        try:
            solution = worker._search(problem, rng)
        except InfeasibleError as exc:
            failed: InfeasibleError | None = exc
        else:
            if not judge(problem, solution.lead):
                return solution
            failed = None
        # The heuristics found no plan that keeps every rule; a unit small enough for the
        # model is handed to it, which finds one if any exists (or proves there is none).
        left = max(1.0, self.time_limit - (time.perf_counter() - started))
        lead = self._model_plan(problem, left)
        if lead is None:
            if failed is not None:
                raise failed
            raise InfeasibleError(
                "the heuristics found no grouping that keeps every rule of policy "
                f"{problem.policy.name!r} and the unit is too large for the exact model; "
                "try method 'exact' with a longer time limit, or relax the policy"
            )
        return solution_from(problem, lead, "heuristic", start="model")

    def _left(self) -> float:
        """Seconds left of this unit's time limit."""
        return self._deadline - time.perf_counter()

    def _model_plan(self, problem: Problem, time_limit: float) -> NDArray[np.int64] | None:
        """A plan from the full model (every candidate lead), or None when the unit is too
        large for it; raises when HiGHS proves there is none."""
        pool = len(problem.leads_pool)
        if int(problem.active.sum()) * pool > self.lp_max_pairs or pool == 0:
            return None
        found = Model(problem, pool).solve(
            time_limit=time_limit, mip_gap=1e-4, seed=int(self.random_state or 0)
        )
        if found.infeasible:
            raise InfeasibleError(
                f"no grouping of the {int(problem.active.sum())} schools meets every rule of "
                f"policy {problem.policy.name!r} together (HiGHS proved it); {diagnose(problem)}"
            )
        return found.lead

    def _search(self, problem: Problem, rng: np.random.Generator) -> Solution:
        start = time.perf_counter()
        self._trials_left = self.lead_trials
        self._relaxed = None
        closed = swapped = 0
        starts = self._relaxed_starts(problem)
        start_kind = "relaxation" if starts else "k-means"
        if not starts:
            leads, lead = self._first_grouping(problem, rng, start)
            lead, closed = self._close_leads(problem, leads, lead, start)
            lead, swapped = self._swap_leads(problem, lead, start)
            starts = [lead]
        # the first plans keeping every rule ended past the limit: they are returned as made
        first_seconds = time.perf_counter() - start
        best, best_obj = None, np.inf
        for lead in starts:
            trial = self._improve(problem, lead, rng, start)
            trial_obj = evaluate(problem, trial)["objective"]
            if trial_obj < best_obj - 1e-12:
                best, best_obj = trial, trial_obj
        fixed_count = problem.policy.n_groups is not None
        if start_kind == "relaxation" and self.polish_trials and fixed_count:
            # Many candidates, few groups: which of them lead is where the rounding errs.
            self._trials_left = self.polish_trials
            lead, swapped = self._swap_leads(problem, best, start)
            if swapped:
                trial = self._improve(problem, lead, rng, start)
                trial_obj = evaluate(problem, trial)["objective"]
                if trial_obj < best_obj - 1e-12:
                    best, best_obj = trial, trial_obj
        best, best_obj = self._placed_by_model(problem, best, best_obj)
        for _ in range(self.recentre_rounds if problem.policy.lead_rule[0] != "ids" else 0):
            moved_leads = _recentred(problem, best)
            if moved_leads is None or self._left() <= 0:
                break
            trial = self._regroup(problem, moved_leads)
            if trial is None:
                break
            trial = self._improve(problem, trial, rng, start)
            trial_obj = evaluate(problem, trial)["objective"]
            if trial_obj >= best_obj - 1e-12:
                break
            best, best_obj = trial, trial_obj
        n_groups = len(np.unique(best[best >= 0]))
        detail: dict[str, Any] = {
            "n_groups": n_groups,
            "start": start_kind,
            "closed": closed,
            "swapped": swapped,
        }
        if first_seconds > self.time_limit:
            detail["over_time_limit"] = _over_time_limit(first_seconds, self.time_limit)
        return solution_from(problem, best, "heuristic", **detail)

    def _placed_by_model(self, problem, lead, objective):
        """Under a students rule, the members placed again by the model with these leads
        open (a generalised assignment, which moves and swaps solve poorly when the loads
        bind), within a third of the time left; the better of the two."""
        n_pairs = int(problem.active.sum()) * self.k
        if not problem.weighs_students or n_pairs > self.lp_max_pairs or self._left() <= 0:
            return lead, objective
        leads = np.unique(lead[lead >= 0])
        model = Model(problem, self.k, start=lead)
        found = model.solve(
            time_limit=min(self._left() / 3, 5.0),
            mip_gap=1e-4,
            seed=int(self.random_state or 0),
            start=lead,
            leads=leads,
        )
        if found.lead is None or judge(problem, found.lead):
            return lead, objective
        placed = evaluate(problem, found.lead)["objective"]
        return (found.lead, placed) if placed < objective - 1e-12 else (lead, objective)

    def _swap_leads(self, problem, lead, start):
        """Hand a group's lead role to a nearby candidate that is not leading, when the
        matching's objective drops; stop after ``swap_trials`` misses in a row."""
        swapped, misses = 0, 0
        if problem.policy.lead_rule[0] == "ids" or self.swap_trials == 0:
            return lead, swapped
        current = evaluate(problem, lead)["objective"]
        heads = np.unique(lead[lead >= 0])
        free = np.setdiff1d(problem.leads_pool, heads)
        free = free[problem.locked_to[free] < 0]
        if len(free) == 0:
            return lead, swapped
        near = nearest(problem.xy[heads], problem.xy[free], k=min(2, len(free)))[0]
        for h, options in zip(heads, free[near], strict=True):
            if misses >= self.swap_trials or self._trials_left <= 0 or self._left() <= 0:
                break
            if problem.must_lead[h]:
                continue
            found = False
            for c in options:
                leads = np.unique(lead[lead >= 0])
                if (
                    c in leads
                    or h not in leads
                    or not _far_enough(problem, c, list(leads[leads != h]))
                ):
                    continue
                trial = self._rematch(problem, lead, remove=[h], add=[c])
                if trial is None:
                    continue
                trial_obj = evaluate(problem, trial)["objective"]
                if trial_obj < current - 1e-12:
                    lead, current, found = trial, trial_obj, True
                    swapped += 1
                    break
            misses = 0 if found else misses + 1
        return lead, swapped

    def _close_leads(self, problem, leads, lead, start):
        """Close groups while the matching's objective drops: fewer groups can be better when
        every group must fetch a rural or weak member from afar. Batches of the most
        promising groups are tried first, halving on failure."""
        closed = 0
        if problem.policy.n_groups is not None or problem.policy.lead_rule[0] == "ids":
            return lead, closed
        current = evaluate(problem, lead)["objective"]
        batch = max(1, (len(leads) - problem.n_groups_range[0]) // 4)
        failures, skip = 0, set()
        while failures < self.close_trials and self._trials_left > 0 and self._left() > 0:
            room = len(leads) - problem.n_groups_range[0]
            order = [h for h in _closing_order(problem, lead, leads) if h not in skip]
            batch = min(batch, room, len(order))
            if batch < 1:
                break
            keep = leads[~np.isin(leads, order[:batch])]
            trial = self._rematch(problem, lead, remove=order[:batch], add=[])
            trial_obj = np.inf if trial is None else evaluate(problem, trial)["objective"]
            if trial_obj < current - 1e-12:
                leads, lead, current = keep, trial, trial_obj
                closed += batch
                failures = 0
            elif batch > 1:
                batch //= 2
            else:
                failures += 1
                skip.add(order[0])
        return lead, closed

    def _rematch(self, problem, lead, *, remove, add) -> NDArray[np.int64] | None:
        """The matching redone with some leads closed or replaced; None when it cannot meet
        the rules. Each call spends one of the unit's ``lead_trials``."""
        # a trial costs about one matching: none is started that would end past the deadline
        if self._trials_left <= 0 or self._left() <= 1.5 * self._match_seconds:
            return None
        self._trials_left -= 1
        heads = np.unique(lead[lead >= 0])
        leads = np.union1d(np.setdiff1d(heads, remove), np.asarray(add, dtype=np.int64))
        if self._relaxed is not None:
            return self._regroup(problem, leads)
        # On a large unit, a trial that needs far more than k leads per school is not worth
        # its time; a smaller one may widen to every lead (rules can need far members).
        max_k = None if problem.n * len(leads) <= _FULL_WIDENING else 4 * self.k
        try:
            return self._timed_match(problem, leads, max_k=max_k)
        except InfeasibleError:
            return None

    def _timed_match(self, problem, leads, max_k: int | None = None) -> NDArray[np.int64]:
        """A matching of every school to ``leads``, its duration kept to price the next."""
        began = time.perf_counter()
        try:
            return assign_to_leads(problem, leads, k=self.k, max_k=max_k)
        finally:
            self._match_seconds = max(self._match_seconds, time.perf_counter() - began)

    def _first_grouping(self, problem, rng, start):
        """Open as many groups as the rules allow; fewer when the mix rules cannot be met."""
        g = target_group_count(problem)
        lowest = g if problem.policy.n_groups is not None else problem.n_groups_range[0]
        while True:
            leads = spread_leads(problem, g, rng=rng)
            try:
                if len(leads) < lowest:
                    raise InfeasibleError(
                        f"only {len(leads)} leads keep policy 'min_lead_spacing_km' = "
                        f"{problem.policy.min_lead_spacing_km:g} from each other, fewer than the "
                        f"{lowest} groups needed; lower the spacing or allow more leads"
                    )
                return leads, self._timed_match(problem, leads)
            except InfeasibleError:
                if g <= lowest or self._left() <= 0:
                    raise
                g -= 1

    def _regroup(self, problem, leads) -> NDArray[np.int64] | None:
        """Every school placed under new leads: by the relaxation when there is one (it
        weighs balance), else by a matching; None when the rules cannot be met."""
        if self._relaxed is not None:
            rounded = self._relaxed.assignment(leads)
            if rounded is not None:
                return _repaired(problem, leads, *rounded, k=self.k)
        try:
            return assign_to_leads(problem, leads, k=self.k)
        except InfeasibleError:
            return None

    def _relaxation(self, problem, k: int):
        """The solved relaxation on each school's ``k`` nearest candidates; a sparse model can
        be infeasible where the full one is not (a far-flung unit), so once more with twice
        the candidates if that stays within ``lp_max_pairs``. None when neither solves."""
        for kk in (k, 2 * k):
            if kk > len(problem.leads_pool) or problem.n * kk > self.lp_max_pairs:
                break
            try:
                if self._left() <= 0:
                    return None
                relaxed = Relaxation(problem, kk, deadline=self._deadline)
            except InfeasibleError:
                continue
            if relaxed.y is not None:
                return relaxed
        return None

    def _relaxed_starts(self, problem) -> list[NDArray[np.int64]]:
        """Groupings rounded from the LP relaxation of the exact model (each school seeing
        its ``lp_k`` nearest candidates): leads by LP value (as many as the relaxation's sum,
        and those at least half open) and by diving; each with the relaxation's assignment
        for those leads, the few split schools matched. Empty when skipped or failed."""
        k = min(self.lp_k, len(problem.leads_pool))
        if problem.policy.lead_rule[0] == "ids" or k == 0:
            return []
        relaxed = self._relaxation(problem, k)
        if relaxed is None:
            return []
        y = relaxed.y
        lo, hi = problem.n_groups_range
        ranked = _ranked_by_lp(problem, relaxed.model.pool, y)
        counts = {int(np.clip(g, lo, hi)) for g in (round(float(y.sum())), int((y >= 0.5).sum()))}
        options = [_first_spaced(problem, ranked, g) for g in sorted(counts)]
        if self.dive:
            dived = relaxed.dive()
            if dived is not None and not any(np.array_equal(dived, o) for o in options):
                options.append(dived)
        starts = []
        for leads in options:
            if starts and self._left() <= 0:
                break  # one start is enough when time is up
            leads = _spaced_cover(problem, leads, relaxed.covering(leads))
            if not lo <= len(leads) <= hi:
                continue
            rounded = relaxed.assignment(leads)
            start = None if rounded is None else _repaired(problem, leads, *rounded, k=self.k)
            if start is None:  # the sparse model cannot place everyone: a full matching can
                try:
                    start = assign_to_leads(problem, leads, k=self.k)
                except InfeasibleError:
                    continue
            starts.append(start)
        if starts:
            self._relaxed = relaxed
        return starts

    def _improve(self, problem, lead, rng, start) -> NDArray[np.int64]:
        budget = max(0.05, self._left())
        return improve(problem, lead, rng=rng, time_limit=budget, k=self.k)


def _repaired(
    problem: Problem,
    leads: NDArray[np.int64],
    lead: NDArray[np.int64],
    split: NDArray[np.bool_],
    *,
    k: int,
) -> NDArray[np.int64] | None:
    """A rounded relaxation made to keep every rule: the split schools of the groups that
    break one are matched again (or, failing that, every split school); the better of the
    two when both work; None when neither does."""
    out = []
    bad = np.isin(lead, broken_groups(problem, lead, leads)) & (lead != np.arange(problem.n))
    for free in (split & bad, split):
        if out and not free.any():
            continue
        base = lead.copy()
        base[free & (lead != np.arange(problem.n))] = -1
        try:
            out.append(assign_to_leads(problem, leads, k=k, lead_of=base))
        except InfeasibleError:
            continue
    if not out:
        return None
    return min(out, key=lambda a: evaluate(problem, a)["objective"])


def _spaced_cover(
    problem: Problem, leads: NDArray[np.int64], covering: NDArray[np.int64]
) -> NDArray[np.int64]:
    """``covering`` without the leads it adds too close to another lead (the matching then
    places their schools, if it can)."""
    chosen = [int(x) for x in leads]
    for extra in np.setdiff1d(covering, leads):
        if _far_enough(problem, int(extra), chosen):
            chosen.append(int(extra))
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _ranked_by_lp(
    problem: Problem, pool: NDArray[np.int64], y: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Candidates by their LP value (fixed leads first), ties by quality then id."""
    ids = problem.ids[pool].astype(str)
    order = np.lexsort((ids, -problem.quality[pool], -np.round(y, 6), ~problem.must_lead[pool]))
    return pool[order]


def _first_spaced(problem: Problem, ranked: NDArray[np.int64], g: int) -> NDArray[np.int64]:
    """The first ``g`` of ``ranked`` that keep the minimum spacing between leads."""
    chosen: list[int] = []
    for p in ranked:
        if len(chosen) >= g:
            break
        if problem.must_lead[p] or _far_enough(problem, int(p), chosen):
            chosen.append(int(p))
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _closing_order(
    problem: Problem, lead: NDArray[np.int64], heads: NDArray[np.int64]
) -> list[int]:
    """Leads whose group looks cheapest to dissolve first: members near another lead, and a
    far-fetched member (the one a rule made it take) that another group could take instead."""
    member = np.flatnonzero((lead >= 0) & (lead != np.arange(problem.n)))
    if len(heads) < 2 or len(member) == 0:
        return []
    idx, d_km = problem.near(member, heads, 2)
    if idx.shape[1] < 2:
        return []
    d_now = problem.km(member, lead[member])
    nearest_is_own = heads[np.maximum(idx[:, 0], 0)] == lead[member]
    other = np.where(nearest_is_own, d_km[:, 1], d_km[:, 0])
    other = np.where(np.isfinite(other), other, 1e6)  # no other group reachable: keep it
    extra = np.bincount(lead[member], weights=other - d_now, minlength=problem.n)[heads]
    far = np.zeros(problem.n)
    np.maximum.at(far, lead[member], d_now)
    score = extra - far[heads]
    locked = np.isin(heads, problem.locked_to[problem.locked_to >= 0]) | problem.must_lead[heads]
    order = np.argsort(score, kind="stable")
    return [int(h) for h in heads[order][~locked[order]]]


def _recentred(problem: Problem, lead: NDArray[np.int64]) -> NDArray[np.int64] | None:
    """New leads: in each group, the candidate with the least total distance to the group."""
    heads = np.unique(lead[lead >= 0])
    new = []
    changed = False
    for h in heads:
        members = np.flatnonzero(lead == h)
        best = h
        if not problem.must_lead[h]:
            options = members[problem.may_lead[members] & (problem.locked_to[members] < 0)]
            if len(options) > 1:
                d = problem.km(
                    np.repeat(options, len(members)), np.tile(members, len(options))
                ).reshape(len(options), len(members))
                totals = d.sum(axis=1)
                cand = int(options[np.argmin(totals)])
                others = new + [int(x) for x in heads if x > h]
                if totals.min() < d[list(options).index(h)].sum() - 1e-6 and _far_enough(
                    problem, cand, others
                ):
                    best = cand
        changed |= best != h
        new.append(best)
    return np.asarray(sorted(new), dtype=np.int64) if changed else None


def _over_time_limit(seconds: float, time_limit: float) -> str:
    """The note of a plan whose first grouping keeping every rule ended past the limit."""
    return (
        f"the first grouping keeping every rule took {seconds:.1f} s, past "
        f"time_limit={time_limit:g} s; it is returned with little or no improvement"
    )
