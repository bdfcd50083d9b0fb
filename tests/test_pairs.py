"""Tests of the ``pairs`` method: counterpart assistance, strong schools paired with weak ones."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geogroup.errors import InfeasibleError, PolicyError
from geogroup.group import METHODS, propose
from geogroup.group._pairs import PairGrouper
from geogroup.policy import Policy
from tests import oracle
from tests.helpers import random_schools

LON0, LAT0 = 122.5, 40.85
KM_LON = 1 / 84.3  # degrees of longitude per km at 40.85° N (about)


def _line(rows: list[tuple[str, float, float]]) -> gpd.GeoDataFrame:
    """Schools on an east-west line: (id, km east of the origin, quality)."""
    ids, xs, qs = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "name": [f"school {i}" for i in ids],
            "quality": np.asarray(qs, dtype=float),
            "area": pd.array(["rural"] * len(ids), dtype=object),
            "level": pd.array(["primary"] * len(ids), dtype=object),
        },
        geometry=[Point(LON0 + x * KM_LON, LAT0) for x in xs],
        index=pd.Index(ids, name="school_id"),
        crs="EPSG:4326",
    )


# Strong P (0 km), Q (4), R (20), T (26); weak a (3), b (7), c (21), d (24).
#
# a and b both have Q nearest. Taking them in turn, each to its nearest free strong school,
# gives a-Q (1) + b-P (7) = 8 km; the other way round a-P (3) + b-Q (3) = 6 km is better.
# Likewise c-R (1) + d-T (2) = 3 km beats c-T (5) + d-R (4) = 9 km. Any pair across the
# 13 km gap costs more than both. The optimal one-to-one pairing is therefore
# {P: a, Q: b, R: c, T: d}, 3 + 3 + 1 + 2 = 9 km over 8 schools (objective 9/8 with
# balance_weight = 0).
FOUR_BY_FOUR = [
    ("P", 0, 90),
    ("Q", 4, 88),
    ("R", 20, 86),
    ("T", 26, 84),
    ("a", 3, 40),
    ("b", 7, 42),
    ("c", 21, 44),
    ("d", 24, 46),
]
ONE_TO_ONE = Policy(
    name="one-to-one", members=(1, 1), leads="top:0.5", weak_share=0.5, balance_weight=0
)


def _partners(plan) -> dict[str, str]:
    members = plan.schools[plan.schools["role"] == "member"]
    return members["lead_id"].to_dict()


def _assert_no_violations(plan, schools: gpd.GeoDataFrame, policy: Policy) -> None:
    assert oracle.violations(plan.schools, policy) == set()


def test_one_to_one_finds_the_hand_worked_optimum() -> None:
    schools = _line(FOUR_BY_FOUR)
    plan = PairGrouper(policy=ONE_TO_ONE).fit(schools).plan_
    assert _partners(plan) == {"a": "P", "b": "Q", "c": "R", "d": "T"}
    assert plan.status == "optimal"
    assert plan.gap == 0.0
    assert plan.objective == pytest.approx(9 / 8, rel=0.01)
    assert plan.objective == pytest.approx(plan.schools["distance_km"].sum() / 8, rel=1e-3)
    _assert_no_violations(plan, schools, ONE_TO_ONE)


def test_one_to_one_pairs_the_weakest_with_the_strongest_when_distances_tie() -> None:
    # w1 (40) and w2 (55) sit 1 km from both S1 (95) and S2 (70); m (65) is neither.
    # z-scores (mean 65, sd 18.17): S1 1.65, S2 0.28, w1 -1.38, w2 -0.55. S1-w1 with S2-w2
    # leaves |0.28| + |-0.28| = 0.55 of imbalance, S1-w2 with S2-w1 leaves 1.10 + 1.10.
    schools = _line([("S1", 0, 95), ("S2", 2, 70), ("w1", 1, 40), ("w2", 1, 55), ("m", 50, 65)])
    policy = Policy(members=(1, 1), leads="top:0.4", weak_share=0.4, balance_weight=1.0)
    plan = PairGrouper(policy=policy).fit(schools).plan_
    assert _partners(plan) == {"w1": "S1", "w2": "S2"}
    assert plan.parts["balance"] == pytest.approx(0.55 / 4, abs=0.01)


def test_one_to_many_takes_up_to_the_maximum() -> None:
    # Strong P (0 km), Q (10); weak a (1), b (2), c (3), d (11); at most 2 each.
    # P takes a and b (1 + 2), c goes to Q (7) with d (1): 11 km. P with a and c (1 + 3) would
    # send b to Q (8): 13 km.
    schools = _line(
        [("P", 0, 90), ("Q", 10, 88), ("a", 1, 40), ("b", 2, 42), ("c", 3, 44), ("d", 11, 46)]
    )
    policy = Policy(members=(1, 2), leads="top:0.3", weak_share=0.66, balance_weight=0)
    plan = PairGrouper(policy=policy).fit(schools).plan_
    assert _partners(plan) == {"a": "P", "b": "P", "c": "Q", "d": "Q"}
    assert plan.schools.groupby("group_id").size().tolist() == [3, 3]
    _assert_no_violations(plan, schools, policy)


def test_one_to_many_minimum_fills_every_group_it_opens() -> None:
    # 2-3 weak schools per strong school: nearest-first gives P a, b, c and Q only d; the
    # minimum moves c to Q (7 km): {P: a, b; Q: c, d}.
    schools = _line(
        [("P", 0, 90), ("Q", 10, 88), ("a", 1, 40), ("b", 2, 42), ("c", 3, 44), ("d", 11, 46)]
    )
    policy = Policy(members=(2, 3), leads="top:0.3", weak_share=0.66, balance_weight=0)
    plan = PairGrouper(policy=policy).fit(schools).plan_
    assert _partners(plan) == {"a": "P", "b": "P", "c": "Q", "d": "Q"}
    _assert_no_violations(plan, schools, policy)


def test_one_to_many_minimum_closes_groups_that_cannot_be_filled() -> None:
    # Three weak schools, 2-3 per strong school: only one group can open; P (nearest) leads.
    schools = _line([("P", 0, 90), ("Q", 10, 88), ("a", 1, 40), ("b", 2, 42), ("d", 9, 46)])
    policy = Policy(members=(2, 3), leads="top:0.4", weak_share=0.6, balance_weight=0)
    plan = PairGrouper(policy=policy).fit(schools).plan_
    assert set(_partners(plan).values()) == {"P"}
    assert plan.schools.loc["Q", "reason"] == "strong school with no weak partner needed"
    _assert_no_violations(plan, schools, policy)


def test_weak_quota_raises_the_minimum() -> None:
    schools = _line(
        [("P", 0, 90), ("Q", 10, 88), ("a", 1, 40), ("b", 2, 42), ("c", 3, 44), ("d", 11, 46)]
    )
    policy = Policy(members=(1, 3), leads="top:0.3", weak_share=0.66, min_weak_per_group=2)
    plan = PairGrouper(policy=policy).fit(schools).plan_
    assert plan.schools[plan.schools["role"] == "member"].groupby("lead_id").size().min() >= 2
    _assert_no_violations(plan, schools, policy)


def test_weak_school_beyond_the_cap_raises_naming_max_distance_km() -> None:
    schools = _line(FOUR_BY_FOUR)
    with pytest.raises(InfeasibleError, match=r"max_distance_km' = 2\.5 km.*b \(3\.0 km\)"):
        PairGrouper(policy=ONE_TO_ONE.replace(max_distance_km=2.5)).fit(schools)


def test_cap_that_leaves_one_strong_school_for_two_weak_ones_raises() -> None:
    # a (3.8 km) and b (7) can only reach Q within 3.5 km: one of them gets no partner.
    rows = [
        ("P", 0, 90),
        ("Q", 4, 88),
        ("R", 20, 86),
        ("T", 26, 84),
        ("a", 3.8, 40),
        ("b", 7, 42),
        ("c", 21, 44),
        ("d", 24, 46),
    ]
    schools = _line(rows)
    with pytest.raises(
        InfeasibleError, match=r"1 of 4 weak schools get no strong partner.*max_distance_km = 3\.5"
    ):
        PairGrouper(policy=ONE_TO_ONE.replace(max_distance_km=3.5)).fit(schools)
    policy = ONE_TO_ONE.replace(max_distance_km=3.5, allow_unassigned=True)
    plan = PairGrouper(policy=policy).fit(schools).plan_
    left = plan.schools.loc[["a", "b"]]
    assert (left["role"] == "unassigned").sum() == 1
    assert left["reason"].dropna().str.contains("no strong school within max_distance_km").all()
    assert plan.schools.loc["P", "reason"] == "strong school with no weak partner needed"
    _assert_no_violations(plan, schools, policy)


def test_schools_neither_strong_nor_weak_are_unassigned_with_a_reason() -> None:
    rows = [*FOUR_BY_FOUR, ("m1", 12, 65), ("m2", 14, 66)]
    schools = _line(rows)
    policy = ONE_TO_ONE.replace(leads="top:0.4", weak_share=0.4)
    plan = PairGrouper(policy=policy).fit(schools).plan_
    middle = plan.schools.loc[["m1", "m2"]]
    assert (middle["role"] == "unassigned").all()
    assert middle["group_id"].isna().all()
    assert middle["reason"].str.startswith("neither a strong school").all()
    assert _partners(plan) == {"a": "P", "b": "Q", "c": "R", "d": "T"}
    assert plan.objective == pytest.approx(9 / 8, rel=0.01)  # the middle schools do not count


def test_named_leads_are_the_strong_side() -> None:
    schools = _line(FOUR_BY_FOUR)
    policy = ONE_TO_ONE.replace(leads=("P", "R"), weak_share=0.25)  # weak: a, b
    plan = PairGrouper(policy=policy).fit(schools).plan_
    assert _partners(plan) == {"a": "P", "b": "R"} or _partners(plan) == {"a": "R", "b": "P"}
    assert plan.schools.loc[["Q", "T", "c", "d"], "role"].eq("unassigned").all()


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"n_groups": 2}, "n_groups"),
        ({"pair_urban_rural": True}, "pair_urban_rural"),
        ({"min_lead_spacing_km": 1.0}, "min_lead_spacing_km"),
    ],
)
def test_rules_pairs_cannot_honour_are_refused_before_running(changes, rule) -> None:
    with pytest.raises(PolicyError, match=f"cannot honour the policy rule.*{rule}"):
        PairGrouper(policy=ONE_TO_ONE.replace(**changes)).fit(_line(FOUR_BY_FOUR))


@pytest.mark.parametrize("members", [(1, 1), (1, 2), (1, 4), (2, 3)])
def test_random_county_pairs_keep_every_rule(members) -> None:
    schools = random_schools(90, seed=11)
    before = schools.copy()
    policy = Policy(
        members=members,
        leads="top:0.3",
        weak_share=0.3,
        max_distance_km=40.0,
        allow_unassigned=True,
    )
    plan = PairGrouper(policy=policy, random_state=2).fit(schools).plan_
    assert plan.schools["role"].eq("member").any()
    _assert_no_violations(plan, schools, policy)
    again = PairGrouper(policy=policy, random_state=2).fit(schools).plan_
    pd.testing.assert_frame_equal(pd.DataFrame(plan.schools), pd.DataFrame(again.schools))
    pd.testing.assert_frame_equal(schools, before)


def _imbalance(plan) -> float:
    """Mean absolute total z-score of the groups, per grouped school (the balance part at w=1)."""
    q = plan.schools["quality"]
    z = (q - q.mean()) / q.std(ddof=0)
    grouped = plan.schools["group_id"].notna()
    return float(
        z[grouped].groupby(plan.schools["group_id"][grouped]).sum().abs().sum() / grouped.sum()
    )


def test_local_search_balances_one_to_many_groups() -> None:
    schools = random_schools(120, seed=4)
    base = Policy(members=(1, 4), leads="top:0.25", weak_share=0.4, allow_unassigned=True)
    near = PairGrouper(policy=base.replace(balance_weight=0.0)).fit(schools).plan_
    balanced = PairGrouper(policy=base.replace(balance_weight=5.0)).fit(schools).plan_
    assert _imbalance(balanced) < _imbalance(near)
    assert balanced.parts["balance"] == pytest.approx(5.0 * _imbalance(balanced))


def test_registered_and_reachable_through_propose() -> None:
    assert METHODS["pairs"] is PairGrouper
    plan = propose(_line(FOUR_BY_FOUR), ONE_TO_ONE, method="pairs")
    assert plan.method == "pairs"
    assert _partners(plan) == {"a": "P", "b": "Q", "c": "R", "d": "T"}


def test_levels_same_pairs_within_a_level() -> None:
    schools = random_schools(80, seed=6)
    policy = Policy(
        members=(1, 2), leads="top:0.3", weak_share=0.3, levels="same", allow_unassigned=True
    )
    plan = PairGrouper(policy=policy).fit(schools).plan_
    grouped = plan.schools[plan.schools["role"] != "unassigned"]
    assert grouped.groupby("group_id")["level"].nunique().max() == 1


@pytest.mark.parametrize("members", [(1, 1), (1, 3)])
def test_previous_plan_of_the_same_pairs_moves_nobody(members) -> None:
    schools = random_schools(150, seed=1)
    policy = Policy(members=members, leads="top:0.3", weak_share=0.3)
    first = PairGrouper(policy=policy).fit(schools).plan_
    again = PairGrouper(policy=policy, random_state=5).fit(schools, previous=first).plan_
    assert again.moved == 0
    assert again.objective == pytest.approx(first.objective)
