"""``fast``: a heuristic for large inputs on the same objective as ``exact``.

1. Leads: the policy's fixed leads, else as many groups as the rules allow, each lead the
   candidate nearest a k-means centre of the schools.
2. A capacity-respecting start: every school matched to a slot of one of its k nearest
   leads (sparse minimum-weight matching), filling the slots the rules require first.
3. Local search on the objective: moves and swaps between neighbouring groups that keep
   every rule, in a seeded random order, until no move helps.
4. Re-centring: where a group holds a candidate nearer its members than its lead, that
   candidate leads instead, and 2–3 run again; kept only when the objective improves.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from geogroup._errors import InfeasibleError
from geogroup.group._assign import assign_to_leads, improve
from geogroup.group._base import BaseGrouper, solution_from
from geogroup.group._leads import _far_enough, spread_leads, target_group_count
from geogroup.group._problem import Problem, Solution, evaluate
from geogroup.policy import Policy

__all__ = ["FastGrouper"]


class FastGrouper(BaseGrouper):
    """Heuristic grouping for large inputs: matching start, local search, re-centring.

    Parameters
    ----------
    policy
        A preset name, a TOML path or a :class:`~geogroup.Policy`.
    random_state
        Seed of the k-means start and of the order of the local search.
    time_limit
        Seconds of local search per unit (it usually stops sooner, at a local optimum).
    k
        How many nearest leads each school may join (widened when the rules need it).
    recentre_rounds
        Rounds of re-centring leads (0 to keep the first leads).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = FastGrouper(policy=Policy(members=(2, 2), leads="top:0.34")).fit(toy_schools()).plan_
    >>> sorted(plan.schools.groupby("group_id").size().tolist())
    [3, 3]
    """

    name = "fast"

    def __init__(
        self,
        *,
        policy: str | Policy = "ninghe",
        random_state: int | None = 0,
        time_limit: float = 60.0,
        on_infeasible: str = "raise",
        k: int = 8,
        recentre_rounds: int = 3,
    ) -> None:
        super().__init__(
            policy=policy,
            random_state=random_state,
            time_limit=time_limit,
            on_infeasible=on_infeasible,
        )
        self.k = k
        self.recentre_rounds = recentre_rounds

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        start = time.perf_counter()
        best = self._first_grouping(problem, rng, start)
        best_obj = evaluate(problem, best)["objective"]
        for _ in range(self.recentre_rounds if problem.policy.lead_rule[0] != "ids" else 0):
            moved_leads = _recentred(problem, best)
            if moved_leads is None or time.perf_counter() - start > self.time_limit:
                break
            try:
                trial = self._assign_and_improve(problem, moved_leads, rng, start)
            except InfeasibleError:
                break
            trial_obj = evaluate(problem, trial)["objective"]
            if trial_obj >= best_obj - 1e-12:
                break
            best, best_obj = trial, trial_obj
        return solution_from(
            problem, best, "heuristic", n_groups=len(np.unique(best[best >= 0]))
        )

    def _first_grouping(self, problem, rng, start):
        """Open as many groups as the rules allow; fewer when the mix rules cannot be met."""
        g = target_group_count(problem)
        lowest = g if problem.policy.n_groups is not None else problem.n_groups_range[0]
        while True:
            leads = spread_leads(problem, g, rng=rng)
            try:
                return self._assign_and_improve(problem, leads, rng, start)
            except InfeasibleError:
                if g <= lowest or time.perf_counter() - start > self.time_limit:
                    raise
                g -= 1

    def _assign_and_improve(self, problem, leads, rng, start) -> NDArray[np.int64]:
        lead = assign_to_leads(problem, leads, k=self.k)
        budget = max(0.1, self.time_limit - (time.perf_counter() - start))
        return improve(problem, lead, rng=rng, time_limit=budget, k=self.k)


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
                d = np.hypot(
                    *(problem.xy[options][:, None, :] - problem.xy[members][None, :, :]).transpose(
                        2, 0, 1
                    )
                )
                totals = d.sum(axis=1)
                cand = int(options[np.argmin(totals)])
                others = [x for x in new if x != h]
                if totals.min() < d[list(options).index(h)].sum() - 1e-6 and _far_enough(
                    problem, cand, others
                ):
                    best = cand
        changed |= best != h
        new.append(best)
    return np.asarray(sorted(new), dtype=np.int64) if changed else None
