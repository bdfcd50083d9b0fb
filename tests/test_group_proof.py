"""The group model (``geogroup/group/_columns.py``): its bound and its proof.

Judged against the pair model solved by HiGHS to a proof of its own (``groups=False``,
``mip_gap=0``) and by the oracle's reading of the rules and objective: the group bound never
passes that optimum, and ``exact``'s plan proven through groups is that optimum.
"""

from __future__ import annotations

import numpy as np
import pytest

from geogroup import ExactGrouper, Policy, propose
from geogroup.group._columns import GroupBound
from geogroup.group._exact import _heuristic_start
from geogroup.group._model import Model
from geogroup.group._prepare import prepare_problem
from geogroup.group._problem import evaluate
from tests import oracle
from tests.helpers import random_schools

CASES = [
    (40, 3, Policy(name="small", members=(2, 3), leads="top:0.3", balance_weight=1.0)),
    (
        36,
        8,
        Policy(
            name="weak",
            members=(1, 3),
            leads="top:0.35",
            balance_weight=2.0,
            min_weak_per_group=1,
            weak_share=0.3,
        ),
    ),
]


def _pair_optimum(schools, policy) -> float:
    grouper = ExactGrouper(policy=policy, groups=False, mip_gap=0.0, time_limit=120)
    plan = grouper.fit(schools).plan_
    assert plan.status == "optimal"
    return float(plan.objective)


@pytest.mark.parametrize(("n", "seed", "policy"), CASES)
def test_the_group_bound_lies_between_the_pair_relaxation_and_the_optimum(n, seed, policy):
    schools = random_schools(n, seed=seed)
    optimum = _pair_optimum(schools, policy)
    problem = prepare_problem(schools, policy)
    start = _heuristic_start(problem, np.random.default_rng(0), 5.0, 0)
    upper = evaluate(problem, start)["objective"]
    model = Model(problem, len(problem.leads_pool), start=start)
    best = model.solve(time_limit=120, mip_gap=0.0, seed=0, start=start)
    assert evaluate(problem, best.lead)["objective"] == pytest.approx(optimum, rel=1e-7)
    excluded, relaxed = model.priced_out(upper, 30.0, keep=start)
    found = GroupBound(model, model.relaxation_duals, excluded)
    bound = found.run(1e18, start)
    assert relaxed - 1e-9 <= bound <= optimum * (1 + 1e-7)
    # every group of the optimum is among those listed for a plan at most as costly
    listed = set(found.enumerate(upper, 1e18))
    assert set(found._groups_of(best.lead)) <= listed


@pytest.mark.parametrize(("n", "seed", "policy"), CASES)
def test_exact_proven_through_groups_is_the_pair_models_optimum(n, seed, policy):
    schools = random_schools(n, seed=seed)
    optimum = _pair_optimum(schools, policy)
    plan = propose(schools, policy, method="exact", time_limit=120)
    assert plan.status == "optimal"
    assert plan.units[0]["proof"] == "groups"
    assert plan.bound <= optimum * (1 + 1e-7)
    assert plan.objective == pytest.approx(optimum, rel=1e-4)
    assert oracle.violations(plan.schools, policy) == set()
    assert oracle.objective(plan.schools, policy) == pytest.approx(plan.objective, rel=1e-9)
