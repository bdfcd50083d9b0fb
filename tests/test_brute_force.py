"""Tiny inputs solved by enumeration: ``exact`` is optimal and ``fast`` is feasible.

``tests/oracle.py`` enumerates every plan of up to 8 schools (every lead set, every
assignment), keeps those that break no rule by its own reading of the rules, and scores
them with its own objective. ``exact`` must find the best of them and prove it; ``fast``
must find a plan that keeps every rule whenever one exists, never a better one than the
best; both must fail clearly when none exists.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from geogroup import Policy, propose
from geogroup.errors import GeogroupError
from tests import oracle
from tests.helpers import random_schools


@st.composite
def tiny(draw):
    shape = {
        "n": draw(st.integers(min_value=3, max_value=8)),
        "seed": draw(st.integers(0, 10_000)),
        "spread_deg": draw(st.sampled_from([0.03, 0.1])),
    }
    lo = draw(st.integers(min_value=0, max_value=2))
    policy = Policy(
        name="tiny",
        members=(lo, lo + draw(st.integers(min_value=0, max_value=3))) if lo else (0, 3),
        leads=f"top:{draw(st.sampled_from([0.3, 0.5, 1.0]))}",
        weak_share=draw(st.sampled_from([0.25, 0.4])),
        max_distance_km=draw(st.sampled_from([None, 6.0, 12.0])),
        pair_urban_rural=draw(st.booleans()),
        min_weak_per_group=draw(st.sampled_from([0, 0, 1])),
        min_weak_share=draw(st.sampled_from([0.0, 0.0, 0.25])),
        min_lead_spacing_km=draw(st.sampled_from([0.0, 0.0, 3.0])),
        n_groups=draw(st.sampled_from([None, None, 2])),
        balance_weight=draw(st.sampled_from([0.0, 1.0, 4.0])),
    )
    return shape, policy


def _members_ok(policy: Policy) -> bool:
    return policy.members[1] >= max(policy.members[0], 1)


@settings(max_examples=60)
@given(tiny())
def test_exact_is_the_enumerated_optimum_and_fast_keeps_every_rule(case):
    shape, policy = case
    schools = random_schools(**shape)
    if not _members_ok(policy):
        return
    best, count = oracle.brute_force(schools, policy)
    if count == 0:
        event("no plan keeps every rule")
        for method in ("exact", "fast"):
            with pytest.raises(GeogroupError):
                propose(schools, policy, method=method, time_limit=20)
        return
    event("a plan exists")
    exact = propose(schools, policy, method="exact", time_limit=20)
    assert exact.status == "optimal"
    assert oracle.violations(exact.schools, policy) == set()
    assert oracle.objective(exact.schools, policy) == pytest.approx(best, rel=1e-6, abs=1e-9)
    assert exact.objective == pytest.approx(best, rel=1e-6, abs=1e-9)
    fast = propose(schools, policy, method="fast", time_limit=20)
    assert oracle.violations(fast.schools, policy) == set()
    assert oracle.objective(fast.schools, policy) >= best - 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seven_schools_by_hand_sized_policy(seed):
    schools = random_schools(7, seed=seed)
    policy = Policy(members=(1, 3), leads="top:0.5", balance_weight=2.0)
    best, count = oracle.brute_force(schools, policy)
    assert count > 0 and math.isfinite(best)
    exact = propose(schools, policy, method="exact")
    assert exact.status == "optimal"
    assert exact.objective == pytest.approx(best, rel=1e-6)
    for method in ("fast", "kmeans"):
        assert propose(schools, policy, method=method).objective >= best - 1e-9
