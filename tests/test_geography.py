"""Geography a planner would accept: a school with a wrong coordinate is not grouped by
default, a plan that reaches far beyond its unit's scale says so, and a run over a whole
province without 'by' suggests the columns to split it by."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from shapely.geometry import Point

from geogroup import Policy, check_plan, propose
from geogroup import schema as S
from tests import oracle
from tests.helpers import random_schools

POLICY = Policy(name="geo", members=(1, 6), leads="top:0.3")


def _with_typo() -> pd.DataFrame:
    schools = random_schools(40, seed=4)
    schools.loc["S007", "geometry"] = Point(98.98, 40.85)  # 2,000 km west: a typo
    return schools


def test_a_school_far_from_the_rest_of_its_unit_is_left_out_with_the_reason():
    schools = _with_typo()
    plan = propose(schools, POLICY, method="fast")
    row = plan.schools.loc["S007"]
    assert row[S.ROLE] == S.UNASSIGNED
    assert "far from the rest of its unit" in row[S.REASON] and "keep_far" in row[S.REASON]
    assert (plan.schools.drop(index="S007")[S.ROLE] != S.UNASSIGNED).all()
    assert check_plan(plan).empty
    assert oracle.violations(plan.schools, POLICY) == set()


def _warned(call) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in seen]


def test_keep_far_groups_it_on_purpose():
    policy = POLICY.replace(keep_far=True)
    plan, said = _warned(lambda: propose(_with_typo(), policy, method="fast"))
    assert plan.schools.loc["S007", S.ROLE] != S.UNASSIGNED
    assert any("median member distance" in s for s in said)


def test_members_far_beyond_the_unit_scale_are_reported():
    # Two towns 700 km apart in one unit, every candidate lead in the first one.
    here = random_schools(30, seed=1, spread_deg=0.05)
    there = random_schools(8, seed=2, spread_deg=0.05)
    there.index = [f"T{k}" for k in range(8)]
    there["geometry"] = there.geometry.translate(xoff=8.5)
    there[S.QUALITY] = 10.0  # never a lead
    schools = pd.concat([here, there])
    plan, said = _warned(lambda: propose(schools, POLICY, method="fast"))
    far = [s for s in said if "8 member school(s) lie more than 10 times" in s]
    assert far and "set 'max_distance_km'" in far[0]
    unit = plan.units[0]
    assert unit["far_members"] == 8 and unit["longest_km"] > 690


def test_a_province_without_by_suggests_its_unit_columns():
    schools = random_schools(60, seed=3, spread_deg=3.0)
    schools["district"] = np.where(schools.geometry.x < 122.75, "West", "East")
    _, said = _warned(lambda: propose(schools, POLICY.replace(max_distance_km=400.0)))
    wide = [s for s in said if "far more than a county" in s]
    assert wide and "by='district'" in wide[0]


def test_a_placeholder_unit_is_missing_not_a_unit_of_its_own():
    schools = random_schools(30, seed=5)
    schools["district"] = ["North"] * 12 + ["South"] * 12 + [".", "", "NA", None, ".", "-"]
    plan, said = _warned(lambda: propose(schools, POLICY, method="fast", by="district"))
    left = plan.schools.iloc[24:]
    assert (left[S.ROLE] == S.UNASSIGNED).all()
    assert left[S.REASON].str.contains("no value in the 'district' column").all()
    assert any("6 school(s) have no value in the 'district' column" in s for s in said)
    assert set(plan.schools[S.GROUP_ID].dropna().str.split("-").str[0]) == {"North", "South"}
