"""One contract, run over every registered grouping method, judged by the tests' own oracle.

For every method and every rule it honours, a plan keeps the rule as ``tests/oracle.py``
reads it (not as the package's rulebook does): on hand-made scenarios that make each rule
bind, and on hypothesis-drawn schools and policies that mix urban–rural pairing, the weak
quota, lead spacing, a distance cap, fixed groups, ``n_groups``, levels and units. Every
input school appears once; the input frame is untouched; the same seed gives the same plan;
a policy the schools cannot meet is a clear error, never another exception.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from geogroup import schema as S
from geogroup.errors import GeogroupError
from geogroup.group import METHODS, propose
from geogroup.group._base import active_rules
from geogroup.policy import Policy
from tests import oracle
from tests.helpers import random_schools


def honoured(method: str, policy: Policy, schools: pd.DataFrame) -> bool:
    return active_rules(policy, schools, None) <= METHODS[method].honours


def assert_contract(plan, schools, policy, by=None) -> None:
    out = plan.schools
    assert sorted(out.index) == sorted(schools.index), "every input school appears exactly once"
    assert out.index.is_unique
    found = oracle.violations(out, policy, by)
    assert found == set(), sorted(found)
    grouped = out[out[S.ROLE] != S.UNASSIGNED]
    leads = grouped[grouped[S.ROLE] == S.LEAD]
    lead_of = leads.reset_index().set_index(S.GROUP_ID)[S.SCHOOL_ID]
    assert (grouped[S.LEAD_ID] == grouped[S.GROUP_ID].map(lead_of)).all()


def _with_fixed(schools: pd.DataFrame, k: int, size: int, seed: int) -> pd.DataFrame:
    """``k`` fixed groups of ``size`` neighbouring schools each, around random schools."""
    out = schools.copy()
    labels = pd.array([None] * len(out), dtype=object)
    metric = out.geometry.to_crs(32651)
    rng = np.random.default_rng(seed)
    free = np.ones(len(out), dtype=bool)
    for g in range(k):
        centre = int(rng.choice(np.flatnonzero(free)))
        order = np.argsort(metric.distance(metric.iloc[centre]).to_numpy(), kind="stable")
        chosen = [i for i in order if free[i]][:size]
        for i in chosen:
            labels[i] = f"Old{g + 1}"
            free[i] = False
    out[S.FIXED_GROUP] = labels
    return out


# --- each rule made to bind, for every method that honours it -------------------------------

SCENARIOS = {
    "members": Policy(name="members", members=(2, 3), leads="top:0.4"),
    "n_groups": Policy(name="n_groups", members=(1, 20), n_groups=4, leads="top:0.4"),
    "max_distance_km": Policy(
        name="cap", members=(1, 6), max_distance_km=12.0, leads="top:0.5", allow_unassigned=True
    ),
    "pair_urban_rural": Policy(
        name="pairing", members=(1, 5), pair_urban_rural=True, leads="top:0.3"
    ),
    "min_weak_per_group": Policy(
        name="weak", members=(1, 6), weak_share=0.3, min_weak_per_group=1, leads="top:0.3"
    ),
    "min_weak_share": Policy(
        name="weak share", members=(2, 6), weak_share=0.4, min_weak_share=0.3, leads="top:0.3"
    ),
    "min_lead_spacing_km": Policy(
        name="spacing", members=(1, 8), min_lead_spacing_km=9.0, leads="top:0.5"
    ),
    "levels": Policy(name="levels", members=(1, 6), levels="same", leads="top:0.3"),
    "sectors": Policy(
        name="quadrants",
        members=(0, 1000),
        n_groups=4,
        sectors=4,
        leads="top:0.5",
        leads_from="urban",
        levels="same",
        join_levels={"middle": "primary"},
    ),
    "fixed_group": Policy(name="fixed", members=(1, 6), leads="top:0.3"),
    "leads": Policy(name="ids", members=(1, 12), leads=("S003", "S010", "S017", "S024")),
}


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
@pytest.mark.parametrize("method", sorted(METHODS))
def test_each_rule_holds_for_every_method_that_honours_it(method, rule):
    schools = random_schools(40, seed=3, spread_deg=0.25)
    if rule == "fixed_group":
        schools = _with_fixed(schools, 2, 3, seed=1)
    policy = SCENARIOS[rule]
    if method == "pairs":  # pairs group strong with weak schools: one to a few
        policy = policy.replace(members=(1, 3), n_groups=None, weak_share=0.3)
    if not honoured(method, policy, schools):
        with pytest.raises(GeogroupError, match="cannot honour the policy rule"):
            propose(schools, policy, method=method, time_limit=20)
        return
    before = schools.copy()
    plan = propose(schools, policy, method=method, time_limit=20)
    assert_contract(plan, schools, policy)
    pd.testing.assert_frame_equal(schools, before)  # input untouched
    again = propose(schools, policy, method=method, time_limit=20)
    pd.testing.assert_frame_equal(plan.schools, again.schools)  # same seed, same plan


@pytest.mark.parametrize("method", sorted(METHODS))
def test_units_and_levels(method):
    schools = random_schools(80, seed=5)
    schools["county"] = np.where(schools.geometry.x < 122.75, "West", "East")
    policy = Policy(name="units", members=(1, 5), leads="top:0.3", levels="same")
    if method == "pairs":
        policy = policy.replace(members=(1, 2))
    plan = propose(schools, policy, method=method, by="county", time_limit=20)
    assert_contract(plan, schools, policy, by="county")
    grouped = plan.schools[plan.schools[S.ROLE] != S.UNASSIGNED]
    assert grouped[S.GROUP_ID].str.match(r"^(East|West)-(primary|middle)-G\d+$").all()


def test_locked_schools_stay_under_their_best_school():
    schools = random_schools(50, seed=8)
    best = schools[S.QUALITY].idxmax()
    metric = schools.geometry.to_crs(32651)
    near = metric.distance(metric[best]).nsmallest(3).index
    schools[S.FIXED_GROUP] = pd.array(
        [("Old1" if i in near else None) for i in schools.index], dtype=object
    )
    policy = Policy(name="locked", members=(1, 5), leads="top:0.3")
    for method in sorted(METHODS):
        if not honoured(method, policy, schools):
            continue
        plan = propose(schools, policy, method=method, time_limit=20)
        assert_contract(plan, schools, policy)
        assert plan.schools.loc[near, S.GROUP_ID].nunique() == 1
        assert plan.schools.loc[best, S.ROLE] == S.LEAD


def test_method_that_cannot_honour_a_rule_says_so_before_running():
    weak_methods = [name for name, cls in METHODS.items() if "pair_urban_rural" not in cls.honours]
    assert weak_methods, "some method does not claim urban-rural pairing"
    for name in weak_methods:
        with pytest.raises(GeogroupError, match="cannot honour the policy rule"):
            propose(random_schools(20), Policy(pair_urban_rural=True), method=name)


# --- drawn scenarios: every rule mixed with the others -------------------------------------


def build(n: int, seed: int, spread: float, fixed: int, fixed_size: int, counties: bool):
    """Schools of a drawn scenario (drawn as numbers, so that a failure prints how to build it)."""
    schools = random_schools(n, seed=seed, spread_deg=spread)
    if fixed:
        schools = _with_fixed(schools, fixed, fixed_size, seed)
    if counties:
        schools["county"] = np.where(schools.geometry.x < schools.geometry.x.median(), "W", "E")
    return schools


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=8, max_value=36))
    policy = Policy(
        name="drawn",
        members=(
            lo := draw(st.integers(min_value=0, max_value=2)),
            lo + draw(st.integers(min_value=2, max_value=7)),
        ),
        leads=f"top:{draw(st.sampled_from([0.3, 0.5, 1.0]))}",
        weak_share=draw(st.sampled_from([0.2, 0.35])),
        max_distance_km=draw(st.sampled_from([None, 15.0, 30.0, 60.0])),
        pair_urban_rural=draw(st.sampled_from([False, False, True])),
        min_weak_per_group=draw(st.sampled_from([0, 0, 1])),
        min_weak_share=draw(st.sampled_from([0.0, 0.0, 0.0, 0.2])),
        min_lead_spacing_km=draw(st.sampled_from([0.0, 0.0, 0.0, 2.0, 5.0])),
        n_groups=draw(st.sampled_from([None, None, None, 2, 3])),
        levels=draw(st.sampled_from(["mixed", "mixed", "same"])),
        allow_unassigned=draw(st.booleans()),
        balance_weight=draw(st.sampled_from([0.0, 1.0, 3.0])),
    )
    fixed = draw(st.sampled_from([0, 0, 1, 2])) if n >= 12 and policy.levels == "mixed" else 0
    shape = {
        "n": n,
        "seed": draw(st.integers(min_value=0, max_value=10_000)),
        "spread": draw(st.sampled_from([0.05, 0.15, 0.3])),
        "fixed": fixed,
        "fixed_size": draw(st.integers(min_value=2, max_value=3)),
        "counties": n >= 16 and draw(st.booleans()),
    }
    return shape, policy, draw(st.sampled_from(sorted(METHODS)))


@settings(max_examples=120)
@given(scenarios())
@example(
    (
        {"n": 30, "seed": 2, "spread": 0.3, "fixed": 2, "fixed_size": 3, "counties": False},
        Policy(
            members=(1, 5),
            pair_urban_rural=True,
            min_weak_per_group=1,
            weak_share=0.3,
            max_distance_km=40.0,
            min_lead_spacing_km=3.0,
            leads="top:0.5",
        ),
        "exact",
    )
)
def test_drawn_scenarios_keep_every_honoured_rule_or_fail_clearly(scenario):
    shape, policy, method = scenario
    schools = build(**shape)
    by = "county" if shape["counties"] else None
    if not honoured(method, policy, schools):
        event("refused: a rule the method does not claim")
        with pytest.raises(GeogroupError, match="cannot honour"):
            propose(schools, policy, method=method, by=by, time_limit=10)
        return
    try:
        plan = propose(schools, policy, method=method, by=by, time_limit=10)
    except GeogroupError as exc:
        event("a clear error")
        message = str(exc)  # a clear error, never an exception of another type
    else:
        message = ""
    if message:
        assert len(message) > 20
        return
    event(f"a plan by {method}")
    for rule in ("pair_urban_rural", "min_weak_per_group", "max_distance_km", "n_groups"):
        if getattr(policy, rule) not in (None, False, 0):
            event(f"a plan under {rule}")
    if policy.min_lead_spacing_km:
        event("a plan under min_lead_spacing_km")
    if shape["fixed"]:
        event("a plan with fixed groups")
    assert_contract(plan, schools, policy, by=by)
