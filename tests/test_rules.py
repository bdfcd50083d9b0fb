"""The rulebook (geogroup.rules): one meaning per rule, judged against the tests' oracle."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geogroup as gg
from geogroup import rules
from geogroup import schema as S
from geogroup.evaluate import distance_to_lead
from geogroup.locate import DistanceTable
from tests import oracle
from tests.helpers import random_schools


def test_yes_words_are_one_list_for_the_reader_and_the_lead_rule(tmp_path):
    # A column of ticks: the reader's lead_candidate and 'column:' of a policy read the same.
    csv = tmp_path / "ticks.csv"
    rows = ["name,lon,lat,quality,key,lead_candidate"]
    for k, tick in enumerate(["√", "", "√", "是", "否", "1", "×", "", "yes", ""]):
        rows.append(f"学校{k},122.{70 + k},40.8{k},{50 + k},{tick},{tick}")
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    schools, _ = gg.read_schools(csv)
    by_reader = int(schools[S.LEAD_CANDIDATE].sum())
    arrays = rules.plan_arrays(
        schools.assign(group_id=None, role=S.UNASSIGNED), gg.Policy(leads="column:key")
    )
    assert by_reader == int(arrays.may_lead.sum()) == 5


def test_words_and_placeholders():
    assert rules.yes_no(["√", "1.0", 1, True, "No", ".", None])[0].tolist() == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert rules.words_kept(pd.Series(["01", 1.0, " x ", ".", None])).tolist() == [
        "01",
        "1",
        "x",
        None,
        None,
    ]


def test_units_keep_their_labels_as_written():
    frame = pd.DataFrame({"county": ["01", "1", ".", None], S.LEVEL: ["primary"] * 4})
    labels = rules.unit_labels(frame, "county", gg.Policy(levels="same"))
    assert labels.tolist() == ["01-primary", "1-primary", None, None]


def test_tolerance_is_one_millimetre_both_ways():
    assert rules.within_cap(10.0 + 0.9e-6, 10.0) and not rules.within_cap(10.0 + 2e-6, 10.0)
    assert rules.spaced(5.0 - 0.9e-6, 5.0) and not rules.spaced(5.0 - 2e-6, 5.0)


def _two_counties() -> gpd.GeoDataFrame:
    """Two counties far apart in longitude (76 E and 130 E): in each, a strong school with
    six others 9.3 km around it (on the ellipsoid)."""
    geod = pyproj.Geod(ellps="WGS84")
    rows = []
    for county, lon in (("Kashgar", 76.0), ("Yanbian", 130.0)):
        rows.append((f"{county[:2]}00", county, 95.0, lon, 39.5))
        for k in range(6):
            x, y, _ = geod.fwd(lon, 39.5, 60.0 * k, 9300.0)
            rows.append((f"{county[:2]}{k + 1:02d}", county, 40.0 + 3 * k, x, y))
    frame = pd.DataFrame(rows, columns=[S.SCHOOL_ID, "county", S.QUALITY, "lon", "lat"])
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]).assign(**{S.NAME: frame[S.SCHOOL_ID]}),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=S.WGS84,
    ).set_index(S.SCHOOL_ID)


def test_two_counties_far_apart_are_judged_in_their_own_zones():
    schools = _two_counties()
    policy = gg.Policy(name="two", members=(6, 6), max_distance_km=9.45, leads=("Ka00", "Ya00"))
    plan = gg.propose(schools, policy, method="exact", by="county")
    found = gg.check_plan(plan)
    assert found.empty, found.to_dict("records")
    members = (plan.schools[S.ROLE] == S.MEMBER).to_numpy()
    measured = distance_to_lead(plan)[members]
    # the grouping's own distances (rounded to the metre in the plan) are the evaluation's
    assert np.allclose(measured, plan.schools.loc[members, S.DISTANCE_KM], atol=5e-4)
    assert measured.between(9.25, 9.35).all()  # one zone for both counties would say ~10 km
    assert oracle.violations(plan.schools, policy, "county") == set()


# --- check_plan and the oracle agree on any plan, broken or not ------------------------------


@st.composite
def plans(draw):
    n = draw(st.integers(min_value=4, max_value=20))
    schools = random_schools(n, seed=draw(st.integers(0, 5000)), spread_deg=0.1)
    g = draw(st.integers(min_value=1, max_value=max(1, n // 2)))
    group = draw(st.lists(st.integers(-1, g - 1), min_size=n, max_size=n))
    lead_pick = draw(st.lists(st.integers(0, n - 1), min_size=g, max_size=g))
    roles = [S.UNASSIGNED if x < 0 else S.MEMBER for x in group]
    for k in range(g):  # some groups get one lead, some two, some none
        members = [i for i in range(n) if group[i] == k]
        if members and draw(st.integers(0, 5)) > 0:
            roles[members[lead_pick[k] % len(members)]] = S.LEAD
    if draw(st.booleans()) and n > 2:
        roles[0] = S.LEAD
    schools[S.GROUP_ID] = pd.array([f"G{x}" if x >= 0 else None for x in group], dtype=object)
    schools[S.ROLE] = roles
    schools[S.REASON] = [draw(st.sampled_from([None, "far"])) if x < 0 else None for x in group]
    if draw(st.booleans()):
        schools[S.FIXED_GROUP] = pd.array(
            [draw(st.sampled_from([None, None, "F1", "F2"])) for _ in range(n)], dtype=object
        )
    by = None
    if draw(st.booleans()):
        schools["county"] = np.where(np.arange(n) % 3 == 0, "A", "B")
        by = "county"
    policy = gg.Policy(
        members=(lo := draw(st.integers(0, 2)), max(1, lo + draw(st.integers(0, 4)))),
        n_groups=draw(st.sampled_from([None, 1, 2])),
        max_distance_km=draw(st.sampled_from([None, 3.0, 8.0])),
        pair_urban_rural=draw(st.booleans()),
        weak_share=draw(st.sampled_from([0.2, 0.5])),
        min_weak_per_group=draw(st.integers(0, 2)),
        min_weak_share=draw(st.sampled_from([0.0, 0.3])),
        leads=draw(
            st.sampled_from(["top:0.3", "top:1.0", "column:lead_candidate", ("S001", "S002")])
        ),
        min_lead_spacing_km=draw(st.sampled_from([0.0, 2.0, 6.0])),
        levels=draw(st.sampled_from(["same", "mixed"])),
        join_levels=draw(st.sampled_from([{}, {"middle": "primary"}])),
        sectors=draw(st.sampled_from([0, 0, 4])),
        leads_from=draw(st.sampled_from(["any", "any", "urban"])),
    )
    return schools, policy, by


_PLAN_WIDE = {"role", "unassigned", "n_groups", "min_lead_spacing_km", "fixed_group"}


def _normal(found) -> set[tuple[str, str | None]]:
    """(rule, group) pairs, the group dropped for rules about several groups or the plan."""
    return {
        (rule, None if rule in _PLAN_WIDE or ", " in (group or "") else group)
        for rule, group in found
    }


@settings(max_examples=300)
@given(plans())
def test_check_plan_agrees_with_the_oracle(case):
    schools, policy, by = case
    plan = gg.Plan(schools=schools, policy=policy, method="hand", params={"by": by})
    table = gg.check_plan(plan)
    judged = _normal((r.rule, r.group_id) for r in table.itertuples())
    assert judged == _normal(oracle.violations(schools, policy, by))


TOY_MINUTES = pd.DataFrame(
    {
        "from_id": ["B", "C", "E", "F"],
        "to_id": ["A", "A", "D", "D"],
        "km": [1.0, 9.0, 1.0, 1.5],
        "minutes": [5.0, 50.0, 4.0, 6.0],
    }
)


@pytest.mark.parametrize("rule", [r for r in rules.RULES if r != "role"])
def test_every_rule_can_be_broken_and_seen(rule):
    """A hand-made plan breaking exactly this rule: the rulebook and the oracle both see it."""
    schools, policy, by = _breaking(rule)
    table = DistanceTable(TOY_MINUTES) if rule == "max_travel_min" else None
    plan = gg.Plan(
        schools=schools, policy=policy, method="hand", params={"by": by}, distances=table
    )
    assert rule in set(gg.check_plan(plan)["rule"])
    assert rule in oracle.broken_rules(schools, policy, by, TOY_MINUTES if table else None)


def _breaking(rule: str):
    """The toy plan (A B C West, led by A; D E F East, led by D) and a policy, changed so
    that exactly ``rule`` breaks."""
    good = gg.toy_schools().assign(
        group_id=["G1"] * 3 + ["G2"] * 3, role=[S.LEAD, S.MEMBER, S.MEMBER] * 2
    )
    base = gg.Policy(members=(2, 2), leads="top:0.34")
    by = "county" if rule == "by" else None

    def unassign(f):
        f.loc["C", [S.GROUP_ID, S.ROLE]] = [None, S.UNASSIGNED]

    def set_column(column, values):
        return lambda f: f.__setitem__(column, pd.array(values, dtype=object))

    edits = {
        "unassigned": (unassign, {"members": (1, 2)}),
        "one_lead": (
            lambda f: f.__setitem__(S.ROLE, [S.LEAD, S.LEAD] + [S.MEMBER, S.LEAD] * 2),
            {},
        ),
        "members": (None, {"members": (3, 4)}),
        "n_groups": (None, {"n_groups": 3}),
        "leads": (set_column(S.ROLE, ["member", "lead", "member", "lead", "member", "member"]), {}),
        "max_distance_km": (None, {"max_distance_km": 0.5}),
        "pair_urban_rural": (
            set_column(S.AREA, ["urban", "urban", "urban", "urban", "rural", "rural"]),
            {"pair_urban_rural": True},
        ),
        "min_weak_per_group": (None, {"min_weak_per_group": 2, "weak_share": 0.34}),
        "min_weak_share": (None, {"min_weak_share": 0.5, "weak_share": 0.34}),
        "levels": (
            set_column(S.LEVEL, ["primary", "primary", "middle"] + ["primary"] * 3),
            {"levels": "same"},
        ),
        "by": (set_column("county", ["W", "W", "E", "E", "E", "E"]), {}),
        "min_lead_spacing_km": (None, {"min_lead_spacing_km": 100.0}),
        "fixed_group": (set_column(S.FIXED_GROUP, ["X", None, None, "X", None, None]), {}),
        "sectors": (None, {"sectors": 2, "centre": (122.8, 40.5)}),
        "max_travel_min": (None, {"max_travel_min": 30.0}),
        # West holds 900 + 200 + 150 students, East 800 + 180 + 220
        "group_students": (None, {"group_students": (1000, 1220)}),
        "capacity": (set_column("places", [1300, 0, 0, 1150, 0, 0]), {"capacity_column": "places"}),
    }
    edit, changes = edits[rule]
    if edit is not None:
        edit(good)
    return good, base.replace(**changes), by
