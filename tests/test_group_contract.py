"""One contract, run over every registered grouping method.

Every input school appears once; each group has exactly one lead; sizes, the distance cap,
urban-rural pairing and the weak-school quota hold where the method claims them; locked
schools stay; the input frame is untouched; the same seed gives the same plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geogroup import schema as S
from geogroup.errors import GeogroupError
from geogroup.group import METHODS, propose
from geogroup.locate import geodesic_km
from geogroup.policy import Policy
from tests.helpers import random_schools


def policy_for(method: str, **overrides) -> Policy:
    honours = METHODS[method].honours
    values = {"name": "contract", "members": (1, 5), "leads": "top:0.3", "weak_share": 0.3}
    if method == "pairs":
        values["members"] = (1, 2)
    if "max_distance_km" in honours:
        values["max_distance_km"] = 45.0
    if "pair_urban_rural" in honours and method != "pairs":
        values["pair_urban_rural"] = True
    if "min_weak_per_group" in honours and method != "pairs":
        values["min_weak_per_group"] = 1
    values.update(overrides)
    return Policy(**values)


def assert_contract(plan, schools, policy) -> None:
    out = plan.schools
    assert sorted(out.index) == sorted(schools.index), "every input school appears exactly once"
    assert out.index.is_unique
    assert set(out[S.ROLE]) <= set(S.ROLES)
    unassigned = out[out[S.ROLE] == S.UNASSIGNED]
    assert unassigned[S.REASON].map(lambda r: isinstance(r, str) and len(r) > 0).all()
    grouped = out[out[S.ROLE] != S.UNASSIGNED]
    leads = grouped[grouped[S.ROLE] == S.LEAD]
    assert leads[S.GROUP_ID].is_unique, "exactly one lead per group"
    assert set(leads[S.GROUP_ID]) == set(grouped[S.GROUP_ID]), "every group has a lead"
    lead_of = leads.reset_index().set_index(S.GROUP_ID)[S.SCHOOL_ID]
    assert (grouped[S.LEAD_ID] == grouped[S.GROUP_ID].map(lead_of)).all()
    members = (
        grouped[grouped[S.ROLE] == S.MEMBER]
        .groupby(S.GROUP_ID)
        .size()
        .reindex(leads[S.GROUP_ID], fill_value=0)
    )
    lo, hi = policy.members
    assert members.between(lo, hi).all(), members[~members.between(lo, hi)]
    if policy.n_groups is not None and plan.method != "pairs":
        assert grouped[S.GROUP_ID].nunique() == policy.n_groups * max(1, 1)
    lead_pts = schools.geometry.loc[grouped[S.LEAD_ID]].to_numpy()
    true_km = geodesic_km(
        grouped.geometry.x.to_numpy(),
        grouped.geometry.y.to_numpy(),
        np.array([p.x for p in lead_pts]),
        np.array([p.y for p in lead_pts]),
    )
    assert np.allclose(grouped[S.DISTANCE_KM], true_km, rtol=0.01, atol=0.01)
    if policy.max_distance_km is not None:
        assert (true_km <= policy.max_distance_km * 1.01).all()
    if policy.pair_urban_rural:
        for gid, g in grouped.groupby(S.GROUP_ID):
            lead = g[g[S.ROLE] == S.LEAD].iloc[0]
            if lead[S.AREA] == S.URBAN:
                assert (g.loc[g[S.ROLE] == S.MEMBER, S.AREA] == S.RURAL).any(), gid


@pytest.fixture(params=sorted(METHODS))
def method(request):
    return request.param


def test_contract_on_random_county(method):
    schools = random_schools(60, seed=3)
    before = schools.copy()
    policy = policy_for(method)
    plan = propose(schools, policy, method=method, time_limit=20)
    assert_contract(plan, schools, policy)
    pd.testing.assert_frame_equal(schools, before)  # input untouched
    again = propose(schools, policy, method=method, time_limit=20)
    pd.testing.assert_frame_equal(plan.schools, again.schools)  # same seed, same plan


def test_contract_with_levels_and_units(method):
    schools = random_schools(80, seed=5)
    schools["county"] = np.where(schools.geometry.x < 122.75, "West", "East")
    policy = policy_for(method, levels="same")
    plan = propose(schools, policy, method=method, by="county", time_limit=20)
    assert_contract(plan, schools, policy)
    grouped = plan.schools[plan.schools[S.ROLE] != S.UNASSIGNED]
    assert grouped.groupby(S.GROUP_ID)[S.LEVEL].nunique().max() == 1
    assert grouped.groupby(S.GROUP_ID)["county"].nunique().max() == 1
    assert grouped[S.GROUP_ID].str.match(r"^(East|West)-(primary|middle)-G\d+$").all()


def test_locked_schools_stay(method):
    schools = random_schools(50, seed=8)
    best = schools[S.QUALITY].idxmax()
    metric = schools.geometry.to_crs(32651)
    near = metric.distance(metric[best]).nsmallest(3).index
    schools[S.FIXED_GROUP] = pd.array(
        [("Old1" if i in near else None) for i in schools.index], dtype=object
    )
    policy = policy_for(method)
    if "fixed_group" not in METHODS[method].honours:  # it must refuse, before running
        with pytest.raises(GeogroupError, match="cannot honour the policy rule"):
            propose(schools, policy, method=method, time_limit=20)
        return
    plan = propose(schools, policy, method=method, time_limit=20)
    assert_contract(plan, schools, policy)
    assert plan.schools.loc[near, S.GROUP_ID].nunique() == 1
    assert plan.schools.loc[best, S.ROLE] == S.LEAD


def test_method_that_cannot_honour_a_rule_says_so_before_running():
    weak_methods = [name for name, cls in METHODS.items() if "pair_urban_rural" not in cls.honours]
    for name in weak_methods:
        with pytest.raises(GeogroupError, match="cannot honour the policy rule"):
            propose(random_schools(20), Policy(pair_urban_rural=True), method=name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=10_000),
    lo=st.integers(min_value=0, max_value=4),
    extra=st.integers(min_value=0, max_value=6),
    share=st.sampled_from([0.1, 0.2, 0.4, 1.0]),
    cap=st.sampled_from([None, 5.0, 20.0, 80.0]),
    pair=st.booleans(),
    weak=st.integers(min_value=0, max_value=2),
    method=st.sampled_from(["fast", "kmeans", "exact"]),
)
def test_any_input_gives_a_valid_plan_or_a_clear_error(
    n, seed, lo, extra, share, cap, pair, weak, method
):
    schools = random_schools(n, seed=seed)
    policy = Policy(
        members=(lo, lo + extra + 1),
        leads=f"top:{share}",
        max_distance_km=cap,
        pair_urban_rural=pair,
        min_weak_per_group=weak,
        allow_unassigned=seed % 2 == 0,
    )
    try:
        plan = propose(schools, policy, method=method, time_limit=10)
    except GeogroupError as exc:
        message = str(exc)  # a clear error, never an exception of another type
    else:
        assert_contract(plan, schools, policy)
        return
    assert len(message) > 20
