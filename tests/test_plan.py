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


# --- the trust issue: every row accounted for, CSV cells that run, wide frames ---------------

NASTY = ["=1+2", "+cmd|' /C calc'!A0", "-x", "@SUM(A1)", "\tTab", "\rCR", "'=quoted", "-1.5"]


def _rejected(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [r for r in range(2, n + 2) for _ in (0, 1)],
            "school_id": [f"R{r}" for r in range(n) for _ in (0, 1)],
            "name": [f"=bad{r}" for r in range(n) for _ in (0, 1)],
            "column": ["lon", "quality"] * n,
            "value": ["", "x"] * n,
            "reason": ["missing longitude", "quality is not a number"] * n,
        }
    )


def test_the_geopackage_has_every_rejected_row_in_a_table(tmp_path):
    import geopandas as gpd

    plan = propose(toy_schools(), Policy(members=(2, 2), leads="top:0.34"), rejected=_rejected(3))
    path = plan.to_gpkg(tmp_path / "plan.gpkg")
    table = gpd.read_file(path, layer="rejected")
    assert list(table.columns) == ["row", "school_id", "name", "column", "value", "reason"]
    assert table["row"].tolist() == [2, 2, 3, 3, 4, 4]
    assert table["reason"].tolist()[:2] == ["missing longitude", "quality is not a number"]
    alone = propose(toy_schools(), Policy(members=(2, 2), leads="top:0.34"))
    assert gpd.read_file(alone.to_gpkg(tmp_path / "none.gpkg"), layer="rejected").empty


def test_csv_cells_that_would_run_are_quoted_and_read_back_exactly(tmp_path):
    schools = toy_schools()
    schools[S.NAME] = NASTY[:6]
    schools["note"] = NASTY[2:]
    schools["score"] = [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0]
    plan = propose(schools, Policy(members=(2, 2), leads="top:0.34"), rejected=_rejected(1))
    paths = plan.write(tmp_path)
    text = paths["plan_csv"].read_bytes().decode("utf-8-sig")
    assert "\r\nA,'=1+2," in text and "'+cmd|" in text and ",'-x," in text
    assert "'@SUM(A1)" in text and "'\tTab" in text and '"\'\rCR"' in text  # \r quoted
    assert "''=quoted" in text and ",-1.5," in text and "'-1.5" not in text  # a number
    assert "R0,'=bad0," in text  # the rejected rows too
    groups = paths["groups_csv"].read_text(encoding="utf-8-sig")
    assert "'=1+2" in groups and "'@SUM(A1)" in groups  # the lead names
    back = read_plan(paths["plan_csv"])
    assert back.schools[S.NAME].tolist() == NASTY[:6]
    assert back.schools["note"].tolist() == NASTY[2:]
    assert back.schools["score"].tolist() == [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0]


def test_csv_quoting_is_undone_by_its_inverse():
    from geogroup.plan import csv_restored, csv_safe

    frame = pd.DataFrame({"=h": [*NASTY, None], "n": range(9)})
    safe = csv_safe(frame)
    assert list(safe.columns) == ["'=h", "n"] and safe["n"].tolist() == list(range(9))
    assert safe["'=h"].iloc[0] == "'=1+2"
    pd.testing.assert_frame_equal(csv_restored(safe), frame, check_dtype=False)


def test_a_plan_of_3000_extra_columns_fits_the_geopackage(tmp_path):
    import pyogrio

    schools = toy_schools()
    extra = pd.DataFrame({f"x{i}": range(i, i + 6) for i in range(3000)}, index=schools.index)
    extra["NAME"] = "clashes with name in SQLite"
    schools = pd.concat([schools, extra], axis=1)
    plan = propose(schools, Policy(members=(2, 2), leads="top:0.34"))
    paths = plan.write(tmp_path)
    fields = list(pyogrio.read_info(paths["plan_gpkg"], layer="schools")["fields"])
    assert len(fields) == 1998  # SQLite's 2,000 columns less fid and geometry
    assert {"school_id", "name", "quality", "group_id", "role", "reason", "x0"} <= set(fields)
    left_out = json.loads(paths["plan_json"].read_text(encoding="utf-8"))["gpkg_columns_left_out"]
    columns = len(plan.schools.columns)  # with the geometry, in place of school_id
    assert left_out["columns"][-1] == "NAME" and len(left_out["columns"]) == columns - 1998
    assert "plan.csv has every column" in left_out["why"]
    header = paths["plan_csv"].read_bytes().decode("utf-8-sig").split("\r\n", 1)[0].split(",")
    assert "x2999" in header and "NAME" in header
    back = read_plan(paths["plan_gpkg"])
    assert back.schools[S.ROLE].tolist() == plan.schools[S.ROLE].tolist()


def test_summary_json_has_no_timings_and_timings_json_has_them(plan, tmp_path):
    paths = plan.write(tmp_path)
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert "seconds" not in summary and all("seconds" not in u for u in summary["units"])
    timings = json.loads(paths["timings"].read_text(encoding="utf-8"))
    assert timings == plan.timings() and timings["seconds"] == round(plan.seconds, 3)
    assert plan.summary()["seconds"] == round(plan.seconds, 3)  # still there in Python
