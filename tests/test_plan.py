"""Plans: the groups table, and round trips through GeoPackage and CSV."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geogroup import schema as S
from geogroup.datasets import toy_schools
from geogroup.errors import InputError
from geogroup.group import propose
from geogroup.plan import read_plan
from geogroup.policy import Policy
from tests.helpers import random_schools

COLUMNS = [S.NAME, S.QUALITY, S.AREA, S.GROUP_ID, S.ROLE, S.LEAD_ID, S.DISTANCE_KM]


@pytest.fixture(scope="module")
def plan():
    return propose(
        random_schools(40, seed=11),
        Policy(name="t", members=(1, 5), leads="top:0.3"),
        method="fast",
    )


def test_groups_table_has_one_row_per_group(plan):
    groups = plan.groups
    assert len(groups) == plan.schools[S.GROUP_ID].nunique()
    assert (groups["size"] == groups["members"] + 1).all()
    assert groups["size"].sum() == len(plan.schools)
    assert groups.geometry.is_valid.all() and (groups.geometry.to_crs(32651).area > 0).all()
    # every school lies in its group's hull
    joined = plan.schools.join(groups.geometry.rename("hull"), on=S.GROUP_ID)
    assert joined.apply(lambda r: r["hull"].covers(r.geometry), axis=1).all()


@pytest.mark.parametrize("suffix", [".gpkg", ".csv"])
def test_plan_round_trips(plan, tmp_path, suffix):
    path = tmp_path / f"plan{suffix}"
    (plan.to_gpkg if suffix == ".gpkg" else plan.to_csv)(path)
    back = read_plan(path)
    pd.testing.assert_frame_equal(
        back.schools[COLUMNS].sort_index(), plan.schools[COLUMNS].sort_index(), check_dtype=False
    )
    assert back.policy == plan.policy
    assert back.method == "fast" and back.status == plan.status
    assert back.objective == pytest.approx(plan.objective, rel=1e-6)
    assert back.schools.geometry.geom_equals_exact(
        plan.schools.geometry.loc[back.schools.index], 1e-7
    ).all()


def test_csv_accounts_for_rejected_rows(tmp_path):
    rejected = pd.DataFrame(
        {
            "row": [7, 7, 9],
            "school_id": ["X1", "X1", "X2"],
            "name": ["坏学校", "坏学校", "B"],
            "column": ["lon", "quality", "lat"],
            "value": ["", ".", "abc"],
            "reason": ["missing coordinates", "missing quality", "not a number"],
        }
    )
    plan = propose(
        toy_schools(), Policy(members=(2, 2), leads="top:0.34"), method="fast", rejected=rejected
    )
    path = plan.to_csv(tmp_path / "plan.csv")
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert len(table) == 6 + 2  # six schools and two rejected rows, one line each
    bad = table[table[S.SCHOOL_ID] == "X1"].iloc[0]
    assert (
        bad[S.ROLE] == S.UNASSIGNED
        and "row 7" in bad[S.REASON]
        and "missing quality" in bad[S.REASON]
    )
    assert plan.summary()["rejected_on_input"] == 2
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["method"] == "fast" and meta["policy"]["members"] == [2, 2]
    back = read_plan(path)
    assert len(back.schools) == 6 and back.rejected is not None


def test_hand_made_plan_csv_reads(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "school_id,name,lon,lat,quality,group_id,role\n"
        "a,甲,122.5,40.85,90,G1,lead\nb,乙,122.51,40.85,60,G1,member\nc,丙,122.7,40.9,70,,unassigned\n",
        encoding="utf-8",
    )
    plan = read_plan(path)
    assert plan.schools.loc["b", S.LEAD_ID] == "a"
    assert plan.method == "unknown"
    assert len(plan.groups) == 1


def test_read_plan_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_plan(tmp_path / "none.gpkg")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,x\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column"):
        read_plan(bad)


def test_zone_polygons_survive_the_geopackage(tmp_path):
    from tests.helpers import random_schools as make

    plan = propose(make(60, seed=3), "shanxi-xuequ", method="districts")
    assert plan.zones is not None
    back = read_plan(plan.to_gpkg(tmp_path / "zones.gpkg"))
    assert back.zones is not None
    assert back.groups.geometry.geom_equals_exact(plan.groups.geometry, 1e-9).all()


def test_group_distances_count_members_only(plan):
    groups = plan.groups
    members = plan.schools[plan.schools[S.ROLE] == S.MEMBER]
    expected = members.groupby(S.GROUP_ID)[S.DISTANCE_KM].mean()
    assert groups["mean_distance_km"].reindex(expected.index).round(9).equals(expected.round(9))
