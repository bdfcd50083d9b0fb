"""Tests of geogroup.evaluate: metrics worked out by hand, the policy check, comparisons.

The toy schools (geogroup.datasets.toy_schools) grouped 1+2 are
G01 = {A 90 urban (lead), B 60 rural, C 50 rural} and G02 = {D 85 urban (lead), E 55 rural,
F 65 rural}; most expected values below are computed from these six numbers in a comment.

tests/data/evaluate/handmade_plan.csv is a planner's own grouping of 19 schools, checked
against handmade_policy.toml (members 2-3, max 5 km, urban-rural pairing, top 32 % may lead),
with four planted violations and nothing else wrong:

* G2 is oversized: lead L2 and four members M21-M24;
* G3 has two leads, L3A and L3B;
* G4 is led by an urban school and has only urban members (M41, M42);
* G5's member M52 lies 8 km from its lead L5 (the file says 1.0 km: it is not trusted).

U1 is unassigned with a reason, which is allowed.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geogroup.datasets import toy_schools
from geogroup.errors import InputError, PolicyError
from geogroup.evaluate import (
    RULES,
    allowed_leads,
    area_counts,
    check_plan,
    compare_plans,
    coverage,
    distance_to_lead,
    exchange_quota,
    group_mean_range,
    group_mean_sd,
    group_metrics,
    group_polygons,
    group_size,
    lead_of,
    lead_quality,
    max_distance,
    max_quality,
    mean_distance,
    mean_quality,
    min_quality,
    mixed_groups,
    p95_distance,
    plan_metrics,
    polsby_popper,
    quality_gap,
    rural_with_urban_lead,
    theil,
    value_added,
    weak_coverage,
    weak_schools,
)
from geogroup.group import propose
from geogroup.locate import geodesic_km
from geogroup.plan import Plan, read_plan
from geogroup.policy import Policy, read_policy
from tests.helpers import random_schools

DATA = Path(__file__).parent / "data" / "evaluate"
TOY_POLICY = Policy(members=(2, 2), leads="top:0.34")


def _toy(groups: str = "111222", roles: str = "LMMLMM", **columns: list) -> gpd.GeoDataFrame:
    """The toy schools A-F with a plan: one character per school for the group ('-' for
    none) and the role (L lead, M member, U unassigned)."""
    names = {"L": "lead", "M": "member", "U": "unassigned"}
    return toy_schools().assign(
        group_id=[None if g == "-" else f"G{g}" for g in groups],
        role=[names[r] for r in roles],
        **columns,
    )


@pytest.fixture(scope="module")
def toy_plan() -> Plan:
    return propose(toy_schools(), TOY_POLICY, method="exact")


@pytest.fixture(scope="module")
def handmade() -> Plan:
    return read_plan(DATA / "handmade_plan.csv")


# --- per-group metrics ---------------------------------------------------------------------


def test_quality_metrics_of_the_toy_plan(toy_plan: Plan) -> None:
    assert toy_plan.schools.groupby("group_id")["lead_id"].first().tolist() == ["A", "D"]
    assert group_size(toy_plan).to_dict() == {"G01": 3, "G02": 3}
    # G01: (90 + 60 + 50) / 3 = 66.667; G02: (85 + 55 + 65) / 3 = 68.333
    assert mean_quality(toy_plan).to_numpy() == pytest.approx([200 / 3, 205 / 3])
    assert min_quality(toy_plan).tolist() == [50.0, 55.0]
    assert max_quality(toy_plan).tolist() == [90.0, 85.0]
    assert lead_quality(toy_plan).tolist() == [90.0, 85.0]
    # gap = lead − mean of members: 90 − (60 + 50) / 2 = 35; 85 − (55 + 65) / 2 = 25
    assert quality_gap(toy_plan).tolist() == [35.0, 25.0]
    assert mean_quality(toy_plan).name == "mean_quality"
    assert mean_quality(toy_plan).index.name == "group_id"


def test_quality_gap_is_nan_without_members_or_lead() -> None:
    # G1 = {A lead}, G2 = {B, C members, no lead}, G3 = {D lead, E, F}
    plan = _toy("122333", "LMMLMM")
    gap = quality_gap(plan)
    assert math.isnan(gap["G1"]) and math.isnan(gap["G2"])
    assert gap["G3"] == 25.0  # 85 − (55 + 65) / 2
    assert group_size(plan).tolist() == [1, 2, 3]


def test_distance_to_lead_is_recomputed_from_the_points() -> None:
    plan = _toy(distance_km=[99.0] * 6)  # a distance column of the input is ignored
    km = distance_to_lead(plan)
    schools = toy_schools()
    lon, lat = schools.geometry.x, schools.geometry.y
    # B is 0.012° east of A at 40.85° N: 0.012 × 111.32 km × cos(40.85°) ≈ 1.011 km; UTM
    # distances agree with the ellipsoid to a few parts in ten thousand
    ref = geodesic_km(lon["A"], lat["A"], lon[["A", "B", "C"]], lat[["A", "B", "C"]])
    assert km[["A", "B", "C"]].to_numpy() == pytest.approx(ref, rel=1e-3, abs=1e-9)
    assert km["B"] == pytest.approx(1.011, abs=0.002)
    assert km["A"] == 0.0 and km["D"] == 0.0
    assert km.name == "distance_km"


def test_distance_of_unassigned_and_leadless_schools_is_nan() -> None:
    km = distance_to_lead(_toy("11-222", "LMUMMM"))  # F's group G2 has no lead
    assert math.isnan(km["C"]) and km[["D", "E", "F"]].isna().all()
    assert km["B"] > 0


def test_distance_statistics_per_group(toy_plan: Plan) -> None:
    km = distance_to_lead(toy_plan)
    b, c = km["B"], km["C"]
    lo, hi = min(b, c), max(b, c)
    assert mean_distance(toy_plan)["G01"] == pytest.approx((b + c) / 2)  # members only
    # 95th percentile of two values, linear: lo + 0.95 · (hi − lo)
    assert p95_distance(toy_plan)["G01"] == pytest.approx(lo + 0.95 * (hi - lo))
    assert max_distance(toy_plan)["G01"] == pytest.approx(hi)


def test_lead_of_each_school() -> None:
    assert lead_of(_toy("11-222", "LMUMLM")).tolist() == ["A", "A", None, "E", "E", "E"]


# --- balance -------------------------------------------------------------------------------


def test_spread_and_range_of_group_means(toy_plan: Plan) -> None:
    # means 66.667 and 68.333: population sd = half the difference = 0.8333, range 1.6667
    assert group_mean_sd(toy_plan) == pytest.approx(5 / 6)
    assert group_mean_range(toy_plan) == pytest.approx(5 / 3)


def _frame(quality: list[float], groups: list[str]) -> pd.DataFrame:
    roles = [
        "lead" if i == 0 or groups[i] != groups[i - 1] else "member" for i in range(len(groups))
    ]
    return pd.DataFrame(
        {"quality": quality, "group_id": groups, "role": roles},
        index=[f"S{i}" for i in range(len(groups))],
    )


def test_theil_between_groups_only() -> None:
    # x = 2, 2 | 4, 4; μ = 3. Within each group all equal: within = 0.
    # between = Σ s_g ln(μ_g/μ), s_g = N_g μ_g / (N μ) = 4/12, 8/12:
    #         = (1/3) ln(2/3) + (2/3) ln(4/3) = −0.135155 + 0.191788 = 0.056633
    # total = (1/4) [2 · (2/3) ln(2/3) + 2 · (4/3) ln(4/3)] = 0.056633
    t = theil(_frame([2, 2, 4, 4], ["G1", "G1", "G2", "G2"]))
    assert t["between"] == pytest.approx(0.056633, abs=1e-6)
    assert t["within"] == pytest.approx(0.0, abs=1e-12)
    assert t["total"] == pytest.approx(0.056633, abs=1e-6)


def test_theil_within_groups_only() -> None:
    # x = 2, 4 | 2, 4: both groups have mean 3 = μ, so between = 0 and
    # within = total = (1/4) [2 · (2/3) ln(2/3) + 2 · (4/3) ln(4/3)] = 0.056633
    t = theil(_frame([2, 4, 2, 4], ["G1", "G1", "G2", "G2"]))
    assert t["between"] == pytest.approx(0.0, abs=1e-12)
    assert t["within"] == pytest.approx(0.056633, abs=1e-6)


def test_theil_parts_add_up(toy_plan: Plan) -> None:
    t = theil(toy_plan)
    assert t["total"] == pytest.approx(t["between"] + t["within"])
    assert 0 < t["between"] < t["within"]  # the toy groups are balanced, their members are not


def test_theil_shifts_non_positive_quality() -> None:
    # q = −1, −1 | 1, 1 → x = q − min(q) + 1 = 1, 1 | 3, 3; μ = 2:
    # total = (1/4) [2 · (1/2) ln(1/2) + 2 · (3/2) ln(3/2)] = (−0.693147 + 1.216395) / 4 = 0.130812
    plan = _frame([-1, -1, 1, 1], ["G1", "G1", "G2", "G2"])
    t = theil(plan)
    assert t["total"] == pytest.approx(0.130812, abs=1e-6)
    assert t["between"] == pytest.approx(t["total"])
    assert plan_metrics_without_points(plan)["theil_shift"] == 2.0


def plan_metrics_without_points(plan: pd.DataFrame) -> dict:
    """plan_metrics needs points; a frame without them gets dummy points 1 km apart."""
    geometry = [Point(122.5 + 0.012 * i, 40.85) for i in range(len(plan))]
    return plan_metrics(gpd.GeoDataFrame(plan, geometry=geometry, crs="EPSG:4326"))


# --- urban and rural -----------------------------------------------------------------------


def test_urban_rural_mix(toy_plan: Plan) -> None:
    assert area_counts(toy_plan).to_dict("index") == {
        "G01": {"n_urban": 1, "n_rural": 2},
        "G02": {"n_urban": 1, "n_rural": 2},
    }
    assert mixed_groups(toy_plan).tolist() == [True, True]
    assert rural_with_urban_lead(toy_plan)[lambda s: s].index.tolist() == ["B", "C", "E", "F"]


def test_rural_schools_with_a_rural_lead_are_not_paired() -> None:
    # G1 = {A urban lead, D urban}: not mixed; G2 = {B rural lead, C, E, F rural}: not mixed
    plan = _toy("122122", "LLMMMM")
    assert mixed_groups(plan).tolist() == [False, False]
    assert not rural_with_urban_lead(plan).any()
    metrics = plan_metrics(plan)
    assert metrics["mixed_groups"] == 0 and metrics["rural_with_urban_lead_share"] == 0.0


def test_area_metrics_need_an_area_column() -> None:
    with pytest.raises(InputError, match="no 'area' column"):
        mixed_groups(_toy().drop(columns="area"))
    metrics = plan_metrics(_toy().drop(columns="area"))
    assert metrics["mixed_groups"] is None and metrics["rural_schools"] is None


# --- coverage ------------------------------------------------------------------------------


def test_coverage_counts_schools_in_a_group() -> None:
    # F unassigned: 5 of 6 schools in a group
    assert coverage(_toy("11122-", "LMMLMU")) == pytest.approx(5 / 6)


@pytest.mark.parametrize(
    ("grouped", "total", "shown"),
    [(416, 418, "99.52 %"), (4, 5, "80.00 %")],  # Anshan 2022; Liangxi's 2020 target
)
def test_coverage_reproduces_the_policy_figures(grouped: int, total: int, shown: str) -> None:
    groups = [f"G{i // 8}" for i in range(grouped)] + [None] * (total - grouped)
    roles = ["lead" if i % 8 == 0 else "member" for i in range(grouped)] + ["unassigned"] * (
        total - grouped
    )
    plan = pd.DataFrame({"quality": np.linspace(1, 100, total), "group_id": groups, "role": roles})
    assert f"{coverage(plan):.2%}".replace("%", " %") == shown


def test_weak_schools_are_the_bottom_share(toy_plan: Plan) -> None:
    # weak_share 0.2 of 6 schools: ceil(1.2) = 2 weakest, C (50) and E (55)
    assert weak_schools(toy_plan)[lambda w: w].index.tolist() == ["C", "E"]
    # 0.5: ceil(3) = 3 → C, E, B (60)
    assert weak_schools(toy_plan, Policy(weak_share=0.5))[lambda w: w].index.tolist() == [
        "B",
        "C",
        "E",
    ]


def test_weak_ties_are_broken_by_id() -> None:
    plan = _frame([10, 10, 10, 50], ["G1", "G1", "G1", "G1"])
    # ceil(0.2 · 4) = 1 weak school among three tied at 10: the smallest id, S0
    assert weak_schools(plan)[lambda w: w].index.tolist() == ["S0"]


def test_allowed_leads_follow_the_policy(toy_plan: Plan) -> None:
    # top 0.34 of 6: ceil(2.04) = 3 → A 90, D 85, F 65
    assert allowed_leads(toy_plan)[lambda a: a].index.tolist() == ["A", "D", "F"]
    by_column = allowed_leads(toy_plan, Policy(leads="column:lead_candidate"))
    assert by_column[lambda a: a].index.tolist() == ["A", "D"]
    assert allowed_leads(toy_plan, Policy(leads=("B",)))[lambda a: a].index.tolist() == ["B"]
    with pytest.raises(InputError, match="no column 'flag'"):
        allowed_leads(toy_plan, Policy(leads="column:flag"))


def test_weak_coverage_reproduces_the_anshan_figure() -> None:
    # 35 schools, quality 1..35 (S01..S35). Weak: ceil(0.2 · 35) = 7 → S01..S07. Quality
    # leads: top 0.15 → ceil(5.25) = 6 → S30..S35. Four groups led by S35, S34, S33, S32 hold
    # S01..S06; a fifth is led by S08 (not a quality school) and holds S07.
    # Covered: 6 of 7 weak schools = 85.71 %.
    members = {
        "S35": [1, 2, 9, 10, 11, 12],
        "S34": [3, 4, 13, 14, 15, 16],
        "S33": [5, 17, 18, 19, 20],
        "S32": [6, 21, 22, 23, 24],
        "S08": [7, 25, 26, 27, 28, 29, 30, 31],
    }
    group, role = {}, {}
    for g, (lead, ids) in enumerate(members.items()):
        group[lead], role[lead] = f"G{g}", "lead"
        for i in ids:
            group[f"S{i:02d}"], role[f"S{i:02d}"] = f"G{g}", "member"
    index = [f"S{i:02d}" for i in range(1, 36)]
    plan = pd.DataFrame(
        {
            "quality": np.arange(1.0, 36.0),
            "group_id": [group[i] for i in index],
            "role": [role[i] for i in index],
        },
        index=index,
    )
    share = weak_coverage(plan, Policy(leads="top:0.15"))
    assert share == pytest.approx(6 / 7)
    assert f"{share:.2%}" == "85.71%"


def test_weak_coverage_by_named_leads(toy_plan: Plan) -> None:
    assert weak_coverage(toy_plan) == 1.0  # C under A, E under D: both in the top 3
    assert weak_coverage(toy_plan, Policy(leads=("A",))) == 0.5  # only C's lead is a quality school


# --- compactness and exchange --------------------------------------------------------------


def test_polsby_popper_of_simple_shapes() -> None:
    square = box(0, 0, 1000, 1000)
    disc = Point(0, 0).buffer(1000, quad_segs=64)
    shapes = gpd.GeoSeries([square, disc, Point(0, 0), box(0, 0, 4000, 1000)], crs="EPSG:32651")
    pp = polsby_popper(shapes)
    # square: 4π · 1 / 4² = π/4; disc: 1 (a 256-gon: π / (256 · tan(π/256)) = 0.99995);
    # a 4 × 1 rectangle: 4π · 4 / 10² = 0.50265; a point has no area
    assert pp[0] == pytest.approx(math.pi / 4)
    assert pp[1] == pytest.approx(1.0, abs=1e-4)
    assert math.isnan(pp[2])
    assert pp[3] == pytest.approx(4 * math.pi * 4 / 100)
    assert pp.name == "compactness"


def test_polsby_popper_projects_geographic_polygons() -> None:
    # a 0.01° square near Haicheng is 0.84 × 1.11 km: 4π · 0.84 · 1.11 / (2 · 1.95)² ≈ 0.77
    lonlat = gpd.GeoSeries([box(122.5, 40.85, 122.51, 40.86)], crs="EPSG:4326")
    ratio = 0.01 * 84.24 / (0.01 * 111.05)  # width / height of the square on the ground
    assert polsby_popper(lonlat)[0] == pytest.approx(math.pi * ratio / (1 + ratio) ** 2, rel=1e-3)
    with pytest.raises(InputError, match="CRS"):
        polsby_popper(gpd.GeoSeries([box(0, 0, 1, 1)]))


def test_group_polygons_are_hulls_or_zones(toy_plan: Plan) -> None:
    hulls = group_polygons(toy_plan)
    assert hulls.index.tolist() == ["G01", "G02"] and (hulls.geom_type == "Polygon").all()
    zones = gpd.GeoDataFrame(
        geometry=[box(122.4, 40.8, 122.6, 40.9), box(122.7, 40.8, 122.8, 40.9)],
        index=["G01", "G02"],
        crs="EPSG:4326",
    )
    with_zones = Plan(schools=toy_plan.schools, policy=TOY_POLICY, method="districts", zones=zones)
    assert group_polygons(with_zones).geom_equals(zones.geometry).all()


def test_exchange_quota_is_fifteen_percent_rounded_up(toy_plan: Plan) -> None:
    # teachers: G01 70 + 18 + 14 = 102 → ceil(15.3) = 16; G02 62 + 15 + 19 = 96 → ceil(14.4) = 15
    assert exchange_quota(toy_plan).tolist() == [16.0, 15.0]
    assert exchange_quota(toy_plan, rate=0.2).tolist() == [21.0, 20.0]  # ceil(20.4), ceil(19.2)
    hundred = _toy(teachers=[50, 30, 20, 40, 40, 20])  # 100 per group: exactly 15, not 16
    assert exchange_quota(hundred).tolist() == [15.0, 15.0]
    with pytest.raises(PolicyError, match="rate"):
        exchange_quota(toy_plan, rate=1.5)


def test_key_teacher_quota_only_when_key_teachers_are_known(toy_plan: Plan) -> None:
    with pytest.raises(InputError, match="no 'key_teachers' column"):
        exchange_quota(toy_plan, column="key_teachers")
    assert "key_teachers_quota" not in group_metrics(toy_plan)
    plan = _toy(key_teachers=[10, 3, 2, 9, 2, 3])  # 15 and 14: ceil(2.25) = 3, ceil(2.1) = 3
    assert exchange_quota(plan, column="key_teachers").tolist() == [3.0, 3.0]
    assert plan_metrics(plan)["key_teachers_quota"] == 6


def test_exchange_quota_is_unknown_when_a_count_is_missing() -> None:
    plan = _toy()
    plan["teachers"] = pd.array([70, None, 14, 62, 15, 19], dtype="Int64")
    assert math.isnan(exchange_quota(plan)["G1"]) and exchange_quota(plan)["G2"] == 15.0
    assert plan_metrics(plan)["teachers_quota"] is None


# --- tables of figures ---------------------------------------------------------------------


def test_group_metrics_table(toy_plan: Plan) -> None:
    table = group_metrics(toy_plan)
    assert table.index.tolist() == ["G01", "G02"]
    assert table.loc["G01", "lead_id"] == "A" and table.loc["G01", "lead_name"] == "West A"
    assert table["members"].tolist() == [2, 2] and table["n_weak"].tolist() == [1, 1]
    for column in (
        "size",
        "mean_quality",
        "quality_gap",
        "max_distance_km",
        "n_rural",
        "compactness",
    ):
        assert column in table


def test_plan_metrics_are_plain_numbers(toy_plan: Plan) -> None:
    metrics = plan_metrics(toy_plan)
    assert json.loads(json.dumps(metrics)) == metrics
    assert all(v is None or type(v) in (int, float) for v in metrics.values())
    assert metrics["schools"] == 6 and metrics["groups"] == 2 and metrics["leads"] == 2
    assert metrics["members"] == 4 and metrics["unassigned"] == 0 and metrics["coverage"] == 1.0
    assert metrics["group_mean_sd"] == pytest.approx(group_mean_sd(toy_plan))
    assert metrics["theil_between"] == pytest.approx(theil(toy_plan)["between"])
    assert metrics["quality_gap_mean"] == 30.0  # (35 + 25) / 2
    assert metrics["weak_schools"] == 2 and metrics["weak_coverage"] == 1.0
    assert metrics["teachers"] == 198 and metrics["teachers_quota"] == 31  # 16 + 15
    assert metrics["key_teachers"] is None and metrics["key_teachers_quota"] is None
    km = distance_to_lead(toy_plan)[["B", "C", "E", "F"]]
    assert metrics["distance_mean_km"] == pytest.approx(km.mean())
    assert metrics["distance_max_km"] == pytest.approx(km.max())


def test_metrics_leave_the_plan_untouched(toy_plan: Plan) -> None:
    before = toy_plan.schools.copy()
    plan_metrics(toy_plan)
    check_plan(toy_plan)
    compare_plans(toy_plan, toy_plan)
    pd.testing.assert_frame_equal(toy_plan.schools, before)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="role"), "missing column"),
        (lambda df: df.assign(quality=[90, None, 50, 85, 55, 65]), "no numeric quality"),
        (lambda df: df.set_axis(list("AACDEF")), "unique"),
    ],
)
def test_unusable_plans_are_refused(change, message: str) -> None:
    with pytest.raises(InputError, match=message):
        plan_metrics(change(_toy()))


def test_a_plan_must_be_a_frame() -> None:
    with pytest.raises(InputError, match="expected a Plan"):
        group_size([1, 2, 3])


# --- policy check --------------------------------------------------------------------------


def test_a_proposed_plan_keeps_its_policy() -> None:
    policy = Policy(
        members=(2, 2),
        leads="top:0.34",
        pair_urban_rural=True,
        max_distance_km=5,
        min_weak_per_group=1,
        levels="same",
        min_lead_spacing_km=10,
        n_groups=2,
    )
    plan = propose(toy_schools(), policy, method="exact")
    found = check_plan(plan)
    assert found.empty, found.to_string()
    assert found.columns.tolist() == ["rule", "group_id", "school_ids", "detail"]


def test_check_finds_the_planted_violations(handmade: Plan) -> None:
    found = check_plan(handmade, read_policy(DATA / "handmade_policy.toml"))
    got = {(r.rule, r.group_id, r.school_ids) for r in found.itertuples()}
    assert got == {
        ("members", "G2", ("L2", "M21", "M22", "M23", "M24")),
        ("one_lead", "G3", ("L3A", "L3B")),
        ("pair_urban_rural", "G4", ("L4", "M41", "M42")),
        ("max_distance_km", "G5", ("M52",)),
    }
    assert len(found) == 4
    detail = found.set_index("rule")["detail"]
    assert "4 members" in detail["members"] and "[2, 3]" in detail["members"]
    assert "7.99 km" in detail["max_distance_km"]  # recomputed; the file says 1.0


def test_check_uses_the_plans_own_policy(handmade: Plan, toy_plan: Plan) -> None:
    assert check_plan(toy_plan).empty  # made under TOY_POLICY
    # read_plan gives a planner's CSV an 'unknown' policy with the defaults: members 2-6,
    # top 20 % may lead (ceil(3.8) = 4: L1, L2, L4, L3A), so L3B and L5 may not
    found = check_plan(handmade)
    assert set(found["rule"]) == {"one_lead", "leads"}
    assert sorted(found.loc[found["rule"] == "leads", "school_ids"]) == [("L3B",), ("L5",)]


@pytest.mark.parametrize(
    ("plan", "policy", "expected"),
    [
        (_toy(), Policy(members=(1, 5), n_groups=3), {("n_groups", None, ())}),
        (_toy(roles="MLMLMM"), TOY_POLICY, {("leads", "G1", ("B",))}),
        (_toy(), Policy(members=(1, 3), leads=("A", "D", "F")), {("leads", None, ("F",))}),
        (
            _toy(level=["primary", "primary", "middle", "primary", "primary", "primary"]),
            TOY_POLICY.replace(levels="same"),
            {("levels", "G1", ("C",))},
        ),
        (
            _toy(),
            TOY_POLICY.replace(min_lead_spacing_km=25),
            {("min_lead_spacing_km", "G1, G2", ("A", "D"))},
        ),
        (
            _toy(groups="112221"),
            TOY_POLICY.replace(min_weak_per_group=1),
            {("min_weak_per_group", "G1", ("A", "B", "F"))},
        ),
        (
            _toy(fixed_group=["K", "K", None, None, "K", None]),
            TOY_POLICY,
            {("fixed_group", "G1", ("E",))},
        ),
        (
            _toy(fixed_group=["K1", "K2", None, None, None, None]),
            TOY_POLICY,
            {("fixed_group", "G1", ("A", "B"))},
        ),
        (
            _toy(groups="11122-", roles="LMMLMU"),
            Policy(members=(1, 2), leads="top:0.34"),
            {("unassigned", None, ("F",))},
        ),
        (
            _toy(groups="11122-", roles="LMMLMU", reason=[None] * 5 + ["closed"]),
            Policy(members=(1, 2), leads="top:0.34"),
            set(),
        ),
        (
            _toy().drop(columns="area"),
            TOY_POLICY.replace(pair_urban_rural=True),
            {("pair_urban_rural", None, ())},
        ),
    ],
    ids=[
        "n_groups",
        "lead-not-allowed",
        "listed-lead-idle",
        "levels",
        "spacing",
        "min_weak",
        "fixed-split",
        "fixed-mixed",
        "unassigned-silent",
        "unassigned-with-reason",
        "no-area",
    ],
)
def test_each_rule(plan: gpd.GeoDataFrame, policy: Policy, expected: set) -> None:
    found = check_plan(plan, policy)
    assert {(r.rule, r.group_id, r.school_ids) for r in found.itertuples()} == expected
    assert set(found["rule"]) <= set(RULES)


def test_unknown_roles_are_reported() -> None:
    found = check_plan(
        _toy().assign(role=["boss", "member", "member", "lead", "member", "member"]), TOY_POLICY
    )
    rows = {(r.rule, r.group_id, r.school_ids) for r in found.itertuples()}
    assert ("role", None, ("A",)) in rows
    assert ("one_lead", "G1", ("A", "B", "C")) in rows  # G1 has no lead now
    assert "'boss'" in found.set_index("rule").loc["role", "detail"]


def test_a_missing_area_cannot_be_checked_and_says_so() -> None:
    found = check_plan(_toy().drop(columns="area"), TOY_POLICY.replace(pair_urban_rural=True))
    assert found["detail"].iloc[0].startswith("cannot be checked")


# --- comparison ----------------------------------------------------------------------------


def test_a_plan_compared_with_itself_changes_nothing(toy_plan: Plan) -> None:
    cmp = compare_plans(toy_plan, toy_plan)
    assert cmp.moves.empty and cmp.n_moved == 0
    assert all(v == 0 for v in cmp.summary().values())
    assert cmp.group_map.to_dict() == {"G01": "G01", "G02": "G02"}
    assert (cmp.metrics["change"].dropna() == 0).all()
    assert cmp.metrics.loc["groups", "a"] == cmp.metrics.loc["groups", "b"] == 2


def test_one_school_moved_is_exactly_that_move(toy_plan: Plan) -> None:
    schools = toy_plan.schools.copy()
    schools.loc["B", "group_id"] = "G02"
    moved = Plan(schools=schools, policy=TOY_POLICY, method="hand")
    cmp = compare_plans(toy_plan, moved)
    assert cmp.moves.index.tolist() == ["B"]
    assert cmp.moves.loc["B", ["group_a", "group_b"]].tolist() == ["G01", "G02"]
    assert cmp.moves.loc["B", "name"] == "West B"
    assert cmp.splits.empty and cmp.merges.empty
    assert cmp.summary()["moved"] == 1 and cmp.summary()["relabelled_groups"] == 0
    # group sizes 3, 3 → 2, 4
    assert cmp.metrics.loc["group_size_max", "change"] == 1.0


def test_relabelled_groups_are_not_moves(toy_plan: Plan) -> None:
    relabelled = toy_plan.schools.assign(
        group_id=toy_plan.schools["group_id"].map({"G01": "北", "G02": "南"})
    )
    cmp = compare_plans(toy_plan, relabelled)
    assert cmp.n_moved == 0
    assert cmp.group_map.to_dict() == {"G01": "北", "G02": "南"}
    assert cmp.summary()["relabelled_groups"] == 2


def test_splits_merges_and_school_changes() -> None:
    a = _toy("111222", "LMMLMM")
    split = compare_plans(a, _toy("113222", "LMLLMM"))  # C leaves G1 to head a new G3
    assert split.splits.to_dict("records") == [{"group_a": "G1", "groups_b": ("G1", "G3")}]
    assert split.new_groups == ["G3"] and split.moves.index.tolist() == ["C"]
    merged = compare_plans(a, _toy("111111", "LMMMMM"))
    assert merged.merges.to_dict("records") == [{"group_b": "G1", "groups_a": ("G1", "G2")}]
    assert merged.dissolved_groups == ["G2"]
    fewer = compare_plans(a, a.drop(index="F"))
    assert fewer.removed == ["F"] and fewer.added == [] and fewer.n_moved == 0
    left = compare_plans(a, _toy("11122-", "LMMLMU"))
    assert left.moves.to_dict("index") == {
        "F": {
            "name": "East F",
            "group_a": "G2",
            "group_b": None,
            "role_a": "member",
            "role_b": "unassigned",
        }
    }


def test_a_tie_keeps_the_label_and_moves_the_school_that_left() -> None:
    # G105 splits in two halves of one school each: the half that kept the label is the
    # group that stayed, whatever the labels' order; the other school moved.
    for kept, fresh in (("G105", "G106"), ("Z105", "A106")):
        a = _toy("111222", "LMLMMM").assign(group_id=[kept, kept] + ["G2"] * 4)
        b = a.assign(group_id=[kept, fresh] + ["G2"] * 4, role=["lead", "lead"] + ["x"] * 4)
        cmp = compare_plans(a, b)
        assert cmp.moves.index.tolist() == ["B"], kept
        assert cmp.moves.loc["B", ["group_a", "group_b"]].tolist() == [kept, fresh]
        assert cmp.group_map[kept] == kept and cmp.new_groups == [fresh]
        assert cmp.group_origin.to_dict() == {fresh: None, kept: kept, "G2": "G2"}


def test_a_reused_label_on_another_group_is_named_as_such() -> None:
    # G1 = {A, B, C} keeps B and C under the new label G9; A alone keeps "G1": A is the
    # one that moved (one move, not two), into a new group that reuses the label.
    a = _toy("111222", "LMMLMM")
    cmp = compare_plans(a, _toy("899222", "LLMLMM"))
    assert cmp.moves.index.tolist() == ["A"]
    assert cmp.moves.loc["A", ["group_a", "group_b"]].tolist() == ["G1", "G8"]
    same_label = compare_plans(a, _toy("199222", "LLMLMM"))
    assert same_label.moves.loc["A", ["group_a", "group_b"]].tolist() == ["G1", "G1"]
    assert same_label.group_map["G1"] == "G9" and same_label.group_origin["G1"] is None


def test_comparison_keeps_the_names_of_the_plans(toy_plan: Plan) -> None:
    assert compare_plans(toy_plan, toy_plan).names == ("A", "B")
    cmp = compare_plans(toy_plan, toy_plan, names=("out/a/plan.csv", "out/b/plan.gpkg"))
    assert cmp.names == ("out/a/plan.csv", "out/b/plan.gpkg") and cmp.n_shared == 6


def test_plans_reopened_from_csv_and_gpkg_with_numeric_labels_match(
    toy_plan: Plan, tmp_path: Path
) -> None:
    numbered = toy_plan.schools.assign(
        group_id=toy_plan.schools["group_id"].map({"G01": "105", "G02": "7"})
    )
    Plan(schools=numbered, policy=TOY_POLICY, method="hand").write(tmp_path)
    from_csv, from_gpkg = read_plan(tmp_path / "plan.csv"), read_plan(tmp_path / "plan.gpkg")
    cmp = compare_plans(from_csv, from_gpkg)
    assert cmp.n_moved == 0 and cmp.summary()["relabelled_groups"] == 0
    # a planner's copy with the groups as numbers and a unit prefix, as --by writes them
    hand = from_csv.schools.assign(
        group_id=from_csv.schools["group_id"].map({"105": 1.0, "7": 2.0})
    )
    by_unit = from_csv.schools.assign(group_id="西-" + from_csv.schools["group_id"])
    for other in (hand, by_unit):
        cmp = compare_plans(from_gpkg, other)
        assert cmp.n_moved == 0 and cmp.summary()["relabelled_groups"] == 2


# (at least one group in each plan: evaluate/_groups.py's rural_with_urban_lead warns on a
# plan with no group at all, which this suite's filterwarnings turns into a failure)
_LABEL = st.sampled_from(["G1", "G2", "G3", "G4", None])
_GROUPS = st.lists(_LABEL, min_size=2, max_size=10).filter(any)


def _plan_of(labels: list[str | None]) -> gpd.GeoDataFrame:
    """Schools S001… grouped by ``labels``: the first school of each group leads."""
    firsts = {g: i for i, g in reversed(list(enumerate(labels))) if g is not None}
    roles = [
        "unassigned" if g is None else "lead" if firsts[g] == i else "member"
        for i, g in enumerate(labels)
    ]
    return random_schools(len(labels), seed=1).assign(group_id=labels, role=roles)


def _best_overlap(a: list[str | None], b: list[str | None]) -> int:
    """The most schools any one-to-one matching of groups keeps together (brute force)."""
    ga, gb = sorted({g for g in a if g}), sorted({g for g in b if g})
    overlap = {
        (x, y): sum(p == x and q == y for p, q in zip(a, b, strict=True)) for x in ga for y in gb
    }
    best = 0
    for perm in itertools.permutations(gb + [None] * len(ga), len(ga)):
        best = max(best, sum(overlap.get((x, y), 0) for x, y in zip(ga, perm, strict=True)))
    return best


@given(a=_GROUPS, data=st.data())
@settings(max_examples=30)
def test_every_move_is_a_real_change_and_renaming_moves_nobody(a, data) -> None:
    b = data.draw(st.lists(_LABEL, min_size=len(a), max_size=len(a)).filter(any))
    cmp = compare_plans(_plan_of(a), _plan_of(b))
    ids = _plan_of(a).index.tolist()

    def mates(labels: list[str | None], i: int) -> set[str]:
        return {ids[j] for j, g in enumerate(labels) if g is not None and g == labels[i]}

    for sid in cmp.moves.index:
        i = ids.index(sid)
        assert (a[i] is None) != (b[i] is None) or mates(a, i) != mates(b, i), sid
    grouped = sum(x is not None or y is not None for x, y in zip(a, b, strict=True))
    assert cmp.n_moved == grouped - _best_overlap(a, b)  # as few moves as any matching gives
    renames = dict(
        zip(
            ["G1", "G2", "G3", "G4"],
            data.draw(st.permutations(["东-1", "G2", "3", "G1"])),
            strict=True,
        )
    )
    renamed = compare_plans(_plan_of(a), _plan_of([renames.get(g) for g in a]))
    assert renamed.n_moved == 0 and renamed.moves.empty
    assert renamed.group_map.to_dict() == {g: renames[g] for g in sorted({g for g in a if g})}


# --- value added ---------------------------------------------------------------------------


def test_value_added_follows_the_gap_and_the_spread() -> None:
    plan = _toy(later=[90.0, 70.0, 60.0, 85.0, 55.0, 65.0])  # B and C gained 10
    va = value_added(plan, "quality", "later")
    g = va.groups
    # G1 gap: 90 − (60 + 50) / 2 = 35 → 90 − (70 + 60) / 2 = 25: change −10 (members caught up)
    assert g.loc["G1", ["gap_before", "gap_after", "gap_change"]].tolist() == [35.0, 25.0, -10.0]
    assert g.loc["G2", "gap_change"] == 0.0
    assert g.loc["G1", "members_change"] == 10.0 and g.loc["G1", "lead_change"] == 0.0
    assert g.loc["G1", "mean_change"] == pytest.approx(20 / 3)
    # group means 66.667, 68.333 (sd 0.833, range 1.667) → 73.333, 68.333 (sd 2.5, range 5)
    assert va.spread.loc["sd"].tolist() == pytest.approx([5 / 6, 2.5, 2.5 - 5 / 6])
    assert va.spread.loc["range"].tolist() == pytest.approx([5 / 3, 5.0, 5 - 5 / 3])


def test_value_added_compares_the_same_schools_and_scales() -> None:
    plan = _toy()
    later = pd.Series({"A": 90.0, "B": 60.0, "D": 85.0, "E": 55.0, "F": 65.0})  # C has no score
    g = value_added(plan, "quality", later).groups
    assert g.loc["G1", "schools"] == 2 and g.loc["G1", "gap_before"] == 30.0  # 90 − 60, C left out
    doubled = value_added(plan, "quality", plan["quality"] * 2, standardize=True)
    # z-scores do not see a change of scale: nothing moved
    assert np.allclose(doubled.groups["gap_change"], 0) and np.allclose(doubled.spread["change"], 0)
    with pytest.raises(InputError, match="no column 'nope'"):
        value_added(plan, "quality", "nope")
