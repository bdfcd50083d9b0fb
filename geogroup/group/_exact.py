"""``exact``: the grouping as a mixed-integer programme, solved by HiGHS.

The model (variables, constraints, objective) is written out in ``_model``; its objective
is the one every method reports (``docs/objective.md``).

Sparse: when the full model would have more than ``max_pairs`` pairs, each school sees its
``k`` nearest candidate leads; if HiGHS finds that model infeasible, ``k`` doubles. A
restricted model's optimum is optimal *for that model*: the plan then says so
(``status='optimal'`` with ``detail['restricted'] = True``) rather than claim more.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geogroup.errors import InfeasibleError
from geogroup.group._base import BaseGrouper, solution_from
from geogroup.group._columns import ENUMERABLE_MEMBERS, Proof, prove
from geogroup.group._diagnose import diagnose
from geogroup.group._fast import FastGrouper
from geogroup.group._model import Model, Result
from geogroup.group._problem import Problem, Solution, evaluate

__all__ = ["ExactGrouper"]


class ExactGrouper(BaseGrouper):
    """Mixed-integer programme solved by HiGHS; reports status, objective, bound and gap.

    Parameters
    ----------
    policy, random_state, time_limit, on_infeasible, n_jobs, backend, scheduler, progress
        As for every method; ``time_limit`` bounds the whole method per unit: the warm
        start (at most 30 % of it), building the model and HiGHS.
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
        Give HiGHS the ``fast`` method's grouping as its first incumbent; its pairs are
        always in the model, and the plan returned is the better of HiGHS's incumbent and
        the start (HiGHS still proves or bounds the optimum itself).
    groups
        With every pair modelled, a warm start and groups of at most three members, first
        bound the optimum by the group model (``_columns``: each group a column, costed
        with its balance as the integer group has it), a far tighter bound than the pair
        model's relaxation; then list every group a better plan could use and prove the
        optimum among them. The unit report says ``proof: groups`` when the group model's
        bound or plan is the one reported.

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
        groups: bool = True,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.k = k
        self.max_pairs = max_pairs
        self.mip_gap = mip_gap
        self.threads = threads
        self.warm_start = warm_start
        self.groups = groups

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        deadline = time.perf_counter() + self.time_limit
        pool = problem.leads_pool
        active = np.flatnonzero(problem.active)
        full = len(active) * len(pool) <= self.max_pairs
        k = len(pool) if full else min(self.k, len(pool))
        start = None
        if self.warm_start:
            budget = _START_SHARE * self.time_limit
            start = _heuristic_start(problem, rng, budget, self.random_state)
        found, model = self._run_model(problem, k, start, deadline)
        candidates = [] if found.lead is None else [found.lead]
        if start is not None:
            candidates.append(start)  # HiGHS starts from it, but a time limit can stop it early
        if not candidates:
            raise _no_grouping(problem, found, self.time_limit)
        lead = min(candidates, key=lambda a: evaluate(problem, a)["objective"])
        status = found.status if found.lead is not None else "time_limit"
        sol = solution_from(
            problem,
            lead,
            status,
            k=int(model.k),
            restricted=bool(model.k < len(pool)),
            pairs=int(model.n_pairs),
            kept_start=bool(start is not None and lead is start),
            priced_out=int(found.priced_out),
            proof=found.proof,
        )
        # HiGHS's bound is on the same objective: the gap is measured from the plan returned.
        sol.bound = found.bound
        if found.bound is not None:
            sol.gap = max(0.0, (sol.objective - found.bound) / max(abs(sol.objective), 1e-9))
            if sol.status == "time_limit" and sol.gap <= self.mip_gap:
                sol.status = "optimal"  # the group model's bound proves what HiGHS did not
        return sol

    def _run_model(self, problem: Problem, k: int, start, deadline: float):
        """HiGHS on the model of each school's ``k`` nearest leads (and the start's pairs);
        ``k`` doubles while a restricted model without a start proves infeasible."""
        pool = len(problem.leads_pool)
        while True:
            model = Model(problem, k, start=start)
            left = deadline - time.perf_counter()
            restricted = k < pool
            if left <= 0:
                return Result(status="time_limit", bound=None), model
            if restricted and start is None and model.surely_infeasible():
                found = Result(status="infeasible", bound=None, infeasible=True)
            else:
                excluded, proof = None, None
                if start is not None and not restricted:
                    # with every pair modelled, the start prices out the pairs it beats
                    upper = evaluate(problem, start)["objective"]
                    excluded, relaxed = model.priced_out(upper, left / 3, keep=start)
                    if self.groups and relaxed is not None and _small(problem):
                        proof = prove(model, start, upper, excluded, deadline, self.mip_gap)
                if proof is not None and proof.proven:
                    found = Result(status="optimal", bound=proof.bound, lead=proof.lead)
                    found.priced_out, found.proof = len(excluded), "groups"
                    return found, model
                if proof is not None and proof.objective < upper:
                    start = proof.lead  # HiGHS starts from the group model's best plan
                found = model.solve(
                    time_limit=deadline - time.perf_counter(),
                    mip_gap=self.mip_gap,
                    seed=int(self.random_state or 0),
                    threads=self.threads,
                    start=start,
                    excluded=excluded,
                )
                found.priced_out = 0 if excluded is None else len(excluded)
                if proof is not None:
                    _with_proof(problem, found, proof)
            if not (found.infeasible and restricted):
                return found, model
            k = min(2 * k, pool)


_START_SHARE = 0.3  # of the time limit, at most, for the warm start


def _small(problem: Problem) -> bool:
    """Groups of at most ``ENUMERABLE_MEMBERS`` members: the group model converges in
    seconds and proves the optimum. (For larger groups it prices each lead by a MIP, and on
    Beijing under ninghe, groups of up to 11, its bound did not pass the pair model's
    in 45 s.)"""
    return problem.policy.members[1] <= ENUMERABLE_MEMBERS


def _with_proof(problem: Problem, found: Result, proof: Proof) -> None:
    """HiGHS's result on the pair model, with the group model's bound and best plan when
    they are better (the bound holds for every plan, the start's included)."""
    if proof.bound is not None and (found.bound is None or proof.bound > found.bound):
        found.bound = proof.bound
        found.proof = "groups"
    if found.lead is None or evaluate(problem, found.lead)["objective"] > proof.objective:
        found.lead = proof.lead


def _no_grouping(problem: Problem, found: Result, time_limit: float) -> InfeasibleError:
    if found.infeasible:
        return InfeasibleError(
            f"no grouping of the {int(problem.active.sum())} schools meets every rule of policy "
            f"{problem.policy.name!r} together (HiGHS proved it); {diagnose(problem)}"
        )
    return InfeasibleError(
        f"HiGHS found no grouping within time_limit={time_limit:g} s and the warm start found "
        "none either; raise the time limit, or use method 'fast'"
    )


def _heuristic_start(
    problem: Problem, rng: np.random.Generator, budget: float, seed: int | None
) -> NDArray[np.int64] | None:
    try:
        fast = FastGrouper(policy=problem.policy, time_limit=max(budget, 0.1), random_state=seed)
        return fast._solve(problem, rng).lead
    except InfeasibleError:
        return None
