"""The presets do what their policy documents say, on the demo county."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from geogroup import check_plan, get_policy, propose, read_schools
from geogroup import schema as S
from geogroup.rules import sector_of
from tests import oracle

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo_county.csv"


@pytest.fixture(scope="module")
def demo():
    return read_schools(DEMO)[0]


def _plan(schools, preset, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo's notes on far members are not the point
        return propose(schools, preset, **kwargs)


@pytest.mark.parametrize("method", ["exact", "fast"])
def test_haicheng_four_groups_per_level_one_in_each_compass_sector(demo, method):
    policy = get_policy("anshan-haicheng")
    plan = _plan(demo, policy, method=method)
    assert check_plan(plan).empty
    assert oracle.violations(plan.schools, policy) == set()
    schools = plan.schools
    for unit in plan.units:
        centre = unit["centre"]
        level = unit["unit"]
        members = schools[schools[S.GROUP_ID].str.startswith(f"{level}-").fillna(False)]
        groups = members.groupby(S.GROUP_ID)
        assert groups.ngroups == 4
        # every group's centroid lies in its own sector, and the four sectors differ
        bearings = []
        for _, g in groups:
            cx, cy = g.geometry.x.mean(), g.geometry.y.mean()
            own = sector_of(g.geometry.x.to_numpy(), g.geometry.y.to_numpy(), centre, 4)
            assert len(set(own)) == 1
            bearings.append(int(sector_of(np.array([cx]), np.array([cy]), centre, 4)[0]))
            assert bearings[-1] == own[0]
        assert sorted(bearings) == [0, 1, 2, 3]
    leads = schools[schools[S.ROLE] == S.LEAD]
    # headed by the city's and the towns' quality schools: urban, and marked 优质校
    assert (leads[S.AREA] == S.URBAN).all() and leads[S.LEAD_CANDIDATE].all()
    assert set(schools[S.LEVEL]) >= {"nine-year"}
    assert schools.loc[schools[S.LEVEL] == "nine-year", S.GROUP_ID].str.startswith("middle-").all()


@pytest.mark.parametrize("preset", ["shandong", "ninghe", "shanxi-xuequ"])
def test_presets_lead_with_the_planners_quality_schools(demo, preset):
    plan = _plan(demo, preset, method="fast")
    leads = plan.schools[plan.schools[S.ROLE] == S.LEAD]
    assert leads[S.LEAD_CANDIDATE].all()
    assert plan.units[0]["leads"].startswith("column:lead_candidate (46 school(s) marked)")


def test_without_the_column_the_preset_takes_the_top_share(demo):
    plan = _plan(demo.assign(**{S.LEAD_CANDIDATE: False}), "shandong", method="fast")
    assert plan.units[0]["leads"].startswith("top:0.2")
    assert len(plan.schools[plan.schools[S.ROLE] == S.LEAD]) > 0
