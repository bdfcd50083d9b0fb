"""The time limit bounds the heuristics: the local search stops inside a pass, k-means of a
large unit runs on a budget, and a limit too short for a first plan that keeps every rule
is said in the unit's notes (the plan still keeps the rules). Wall times against limits are
measured by ``bench/bench_time_limits.py``, not here."""

from __future__ import annotations

import time

import numpy as np
import pytest

import geogroup.group._assign as assign
from geogroup.group import propose
from geogroup.group._kmeans import _bounded_kmeans
from geogroup.group._prepare import prepare_problem
from geogroup.group._problem import judge
from geogroup.policy import Policy
from tests import oracle
from tests.helpers import random_schools

POLICY = Policy(members=(2, 5), leads="top:0.3", balance_weight=1.0)


@pytest.mark.parametrize("method", ["fast", "kmeans"])
def test_a_limit_too_short_for_a_first_plan_is_said_and_the_plan_keeps_the_rules(method):
    schools = random_schools(60, seed=5)
    plan = propose(schools, POLICY, method=method, time_limit=1e-9)
    assert oracle.violations(plan.schools, POLICY) == set()
    (unit,) = plan.units
    assert "time_limit=1e-09" in unit["over_time_limit"]


@pytest.mark.parametrize("method", ["fast", "kmeans"])
def test_a_limit_long_enough_leaves_no_note(method):
    plan = propose(random_schools(60, seed=5), POLICY, method=method, time_limit=60)
    assert oracle.violations(plan.schools, POLICY) == set()
    assert "over_time_limit" not in plan.units[0]


def test_the_local_search_stops_inside_a_pass_at_its_deadline(monkeypatch):
    schools = random_schools(3000, seed=2, spread_deg=1.0)
    policy = Policy(members=(1, 10), leads="top:0.2", balance_weight=1.0)
    problem = prepare_problem(schools, policy)
    leads = problem.leads_pool[:400]
    lead = assign.assign_to_leads(problem, leads)
    tried = []
    real = assign._try_move

    def counted(*args):
        tried.append(1)
        return real(*args)

    monkeypatch.setattr(assign, "_try_move", counted)
    out = assign.improve(problem, lead, rng=np.random.default_rng(0), time_limit=1e-9)
    movable = int(((lead >= 0) & (lead != np.arange(problem.n))).sum())
    assert movable > 2000
    assert len(tried) <= 512  # not a whole pass over the movable schools
    assert judge(problem, out) == []


def test_bounded_kmeans_gives_every_school_a_cluster_and_finite_centres():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 50_000, size=(2000, 2))
    labels, centres = _bounded_kmeans(xy, 400, seed=1, until=time.perf_counter() - 1.0)
    assert labels.shape == (2000,) and set(np.unique(labels)) <= set(range(400))
    assert centres.shape == (400, 2) and np.isfinite(centres).all()
    # the sweep's runs are compact: each school sits near its cluster's centre
    assert np.hypot(*(xy - centres[labels]).T).mean() < 2_000
