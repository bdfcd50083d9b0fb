"""``exact``: the grouping as a mixed-integer programme, solved by HiGHS.

The model (variables, constraints, objective) is written out in ``_model``; its objective
is the one every method reports (``docs/objective.md``).

Sparse: when the full model would have more than ``max_pairs`` pairs, each school sees its
``k`` nearest candidate leads; if HiGHS finds that model infeasible, ``k`` doubles. A
restricted model's optimum is optimal *for that model*: the plan then says so
(``status='optimal'`` with ``detail['restricted'] = True``) rather than claim more.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from geogroup.errors import InfeasibleError
from geogroup.group._base import BaseGrouper, solution_from
from geogroup.group._fast import FastGrouper
from geogroup.group._model import Model
from geogroup.group._problem import Problem, Solution

__all__ = ["ExactGrouper"]


class ExactGrouper(BaseGrouper):
    """Mixed-integer programme solved by HiGHS; reports status, objective, bound and gap.

    Parameters
    ----------
    policy, random_state, time_limit, on_infeasible, n_jobs, backend, scheduler, progress
        As for every method; ``time_limit`` is HiGHS's, per unit.
    k
        Candidate leads each school sees in a sparse model (doubled when infeasible).
    max_pairs
        Largest number of school–lead pairs modelled in full (no sparsification).
    mip_gap
        Relative gap at which HiGHS may stop and call the result optimal (HiGHS's
        ``mip_rel_gap``; 0 for a proof to the last digit).
    threads
        HiGHS threads (None: HiGHS's default).
    warm_start
        Give HiGHS the ``fast`` method's grouping as its first incumbent (it only helps:
        HiGHS still proves or bounds the optimum itself).

    Examples
    --------
    >>> from geogroup import Policy, toy_schools
    >>> g = ExactGrouper(policy=Policy(members=(2, 2), leads="top:0.34")).fit(toy_schools())
    >>> g.plan_.status, sorted(g.plan_.schools.query("role == 'lead'").index)
    ('optimal', ['A', 'D'])
    """

    name = "exact"
    claims_optimality = True

    def __init__(
        self,
        *,
        k: int = 12,
        max_pairs: int = 120_000,
        mip_gap: float = 1e-4,
        threads: int | None = None,
        warm_start: bool = True,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.k = k
        self.max_pairs = max_pairs
        self.mip_gap = mip_gap
        self.threads = threads
        self.warm_start = warm_start

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        pool = problem.leads_pool
        active = np.flatnonzero(problem.active)
        full = len(active) * len(pool) <= self.max_pairs
        k = len(pool) if full else min(self.k, len(pool))
        start = _heuristic_start(problem, rng) if self.warm_start else None
        while True:
            model = Model(problem, k)
            restricted = k < len(pool)
            result = (
                None
                if restricted and model.surely_infeasible()
                else model.solve(
                    time_limit=self.time_limit,
                    mip_gap=self.mip_gap,
                    seed=int(self.random_state or 0),
                    threads=self.threads,
                    start=start,
                )
            )
            if result is not None or not restricted:
                break
            k = min(2 * k, len(pool))
        if result is None:
            raise InfeasibleError(
                f"no grouping of the {len(active)} schools meets every rule of policy "
                f"{problem.policy.name!r} together (HiGHS proved the model infeasible); relax "
                "'members', 'max_distance_km', 'pair_urban_rural' or 'min_weak_per_group'"
            )
        lead, status, bound, gap = result
        sol = solution_from(
            problem,
            lead,
            status,
            k=int(k),
            restricted=bool(k < len(pool)),
            pairs=int(model.n_pairs),
        )
        # HiGHS's bound is on the same objective: report it and its gap as HiGHS gives them.
        sol.bound = bound
        sol.gap = gap
        return sol


def _heuristic_start(problem: Problem, rng: np.random.Generator) -> NDArray[np.int64] | None:
    try:
        return FastGrouper(policy=problem.policy)._solve(problem, rng).lead
    except InfeasibleError:
        return None
