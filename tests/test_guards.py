"""The local search's incremental guards equal the rulebook, move by move.

``fast`` keeps running counts per group (sizes, rural and weak members) and asks its guards
whether a move or a swap keeps every rule, instead of judging the whole plan each time.
Starting from plans that keep every rule, a move the guard allows must give a plan the
rulebook finds nothing in, and a move the guard refuses must break a rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geogroup import Policy, propose
from geogroup.group._assign import State, move_allowed, swap_allowed
from geogroup.group._prepare import prepare_problem
from geogroup.group._problem import judge
from geogroup.rules import plan_arrays
from tests.helpers import random_schools

POLICIES = {
    "sizes": Policy(members=(2, 4), leads="top:0.3"),
    "cap": Policy(members=(1, 6), max_distance_km=9.0, leads="top:0.4", allow_unassigned=True),
    "pairing": Policy(members=(1, 5), pair_urban_rural=True, leads="top:0.3"),
    "weak": Policy(members=(1, 5), weak_share=0.35, min_weak_per_group=1, leads="top:0.3"),
    "share": Policy(members=(1, 8), weak_share=0.45, min_weak_share=0.3, leads="top:0.3"),
    "students": Policy(members=(1, 6), leads="top:0.3", group_students=(1500, 5000)),
    "capacity": Policy(members=(1, 6), leads="top:0.3", capacity_column="places"),
    "sectors": Policy(members=(0, 30), leads="top:1.0", sectors=4, levels="mixed"),
    "all": Policy(
        members=(1, 5),
        pair_urban_rural=True,
        weak_share=0.35,
        min_weak_per_group=1,
        max_distance_km=25.0,
        leads="top:0.35",
    ),
}


def _start(name: str, seed: int):
    """A unit's problem and a plan of it that keeps every rule, as a lead array."""
    schools = random_schools(36, seed=seed, spread_deg=0.15)
    schools["places"] = np.random.default_rng(seed).integers(2500, 6000, len(schools))
    policy = POLICIES[name]
    plan = propose(schools, policy, method="fast", random_state=seed)
    sector = None
    if policy.sectors:  # each school's sector, as the methods take it from the rulebook
        arrays = plan_arrays(schools.assign(group_id=None), policy)
        sector = pd.Series(arrays.sector, index=schools.index)
    problem = prepare_problem(schools, policy, sector=sector)
    pos = {sid: i for i, sid in enumerate(problem.ids)}
    lead = np.array([pos.get(x, -1) if isinstance(x, str) else -1 for x in plan.schools["lead_id"]])
    assert judge(problem, lead) == []
    return problem, lead


_STARTS: dict = {}


def start(name: str, seed: int):
    if (name, seed) not in _STARTS:
        _STARTS[(name, seed)] = _start(name, seed)
    return _STARTS[(name, seed)]


def _movable(problem, lead) -> np.ndarray:
    return np.flatnonzero((lead >= 0) & (lead != np.arange(problem.n)) & (problem.locked_to < 0))


@settings(max_examples=250)
@given(
    name=st.sampled_from(sorted(POLICIES)),
    seed=st.integers(0, 3),
    pick=st.integers(0, 10_000),
    to=st.integers(0, 10_000),
)
def test_move_guard_equals_the_rulebook(name, seed, pick, to):
    problem, lead = start(name, seed)
    movable = _movable(problem, lead)
    heads = np.unique(lead[lead >= 0])
    i, b = int(movable[pick % len(movable)]), int(heads[to % len(heads)])
    state = State(problem, lead)
    after = lead.copy()
    after[i] = b
    assert move_allowed(state, i, b) == (b != lead[i] and judge(problem, after) == [])


@settings(max_examples=250)
@given(
    name=st.sampled_from(sorted(POLICIES)),
    seed=st.integers(0, 3),
    first=st.integers(0, 10_000),
    second=st.integers(0, 10_000),
)
def test_swap_guard_equals_the_rulebook(name, seed, first, second):
    problem, lead = start(name, seed)
    movable = _movable(problem, lead)
    i, j = int(movable[first % len(movable)]), int(movable[second % len(movable)])
    state = State(problem, lead)
    after = lead.copy()
    after[i], after[j] = lead[j], lead[i]
    expected = lead[i] != lead[j] and judge(problem, after) == []
    assert swap_allowed(state, i, j) == expected


@pytest.mark.parametrize("name", sorted(set(POLICIES) - {"sectors"}))
def test_guards_allow_and_refuse_moves_both(name):
    """The drawn moves above reach both answers for every policy (the test can fail); under
    the sector rule a sector holds one group, so every move leaves its sector: all refused."""
    problem, lead = start(name, 0)
    state = State(problem, lead)
    heads = np.unique(lead[lead >= 0])
    answers = {move_allowed(state, int(i), int(b)) for i in _movable(problem, lead) for b in heads}
    assert answers == {True, False}


@pytest.mark.parametrize("name", ["share", "sectors"])
def test_every_move_of_one_plan_is_judged_as_the_rulebook_does(name):
    """Every move of every movable school to every lead of one plan, under the rules whose
    refusals are rare among drawn moves: the guard's answer equals the rulebook's."""
    problem, lead = start(name, 0)
    state = State(problem, lead)
    answers = set()
    for i in _movable(problem, lead).tolist():
        for b in np.unique(lead[lead >= 0]).tolist():
            after = lead.copy()
            after[i] = b
            expected = b != lead[i] and judge(problem, after) == []
            assert move_allowed(state, i, b) == expected, (name, i, b)
            answers.add(expected)
    assert answers == ({False} if name == "sectors" else {True, False})
