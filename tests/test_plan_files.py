"""The files of a plan (geogroup.plan_files, geogroup.csv_cells): plan.csv and groups.csv in
English or Chinese, the same bytes however they are made, and read back."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geogroup import plan_files
from geogroup import schema as S
from geogroup.csv_cells import csv_restored, csv_safe, safe_cells
from geogroup.datasets import toy_schools
from geogroup.group import propose
from geogroup.plan import Plan, read_plan
from geogroup.policy import Policy
from tests.helpers import random_schools

FORMULA = ("=", "+", "-", "@", "\t", "\r")
CELLS = [
    "=1+2", "+cmd", "-x", "-1.5", "@SUM(A1)", "\tTab", "\rCR", "'=quoted", "''@x", "ok",
    "a=b", "1e5", "-.5", "+3", "-", "", "第①中学", None, 3.5, -2.0, True, np.nan,
]  # fmt: skip


def _formula(text: str) -> bool:
    """The rule, written again: after any leading quotes, a formula sign, and not a plain
    number."""
    body = text.lstrip("'")
    if not body.startswith(FORMULA):
        return False
    try:
        float(body)
    except ValueError:
        return True
    return body.strip() != body or body.lower() in {"inf", "-inf", "+inf", "nan"}


def _expected(value: object) -> object:
    return "'" + value if isinstance(value, str) and _formula(value) else value


def test_safe_cells_quotes_exactly_the_formula_cells():
    cells = np.array(CELLS, dtype=object).reshape(2, -1)
    out = safe_cells(cells)
    for got, value in zip(out.ravel(), cells.ravel(), strict=True):
        want = _expected(value)
        assert got is want or got == want or (got != got and want != want), (value, got)
    plain = np.array([["a", 1.0], ["b", None]], dtype=object)
    assert safe_cells(plain) is plain  # nothing to quote: the very array


def test_csv_safe_and_restored_undo_each_other():
    frame = pd.DataFrame({"name": [c for c in CELLS if isinstance(c, str)]})
    safe = csv_safe(frame)
    assert safe["name"].tolist() == [_expected(c) for c in frame["name"]]
    assert csv_restored(safe)["name"].tolist() == frame["name"].tolist()


def test_wide_and_narrow_tables_are_written_alike(monkeypatch):
    frame = pd.DataFrame(
        {
            "name": ["=x", "甲", 'a "q", b'],
            "q": [1.5, np.nan, 0.1 + 0.2],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
        }
    )
    narrow = plan_files.csv_bytes(frame)
    monkeypatch.setattr(plan_files, "_WIDE", 1)
    assert plan_files.csv_bytes(frame) == narrow
    text = narrow.decode("utf-8-sig")
    assert text == (
        'name,q,n,flag\r\n\'=x,1.5,1,True\r\n甲,,,False\r\n"a ""q"", b",0.30000000000000004,3,True\r\n'
    )


def _plan_with_everything() -> Plan:
    schools = toy_schools()
    schools[S.NAME] = ["=1+2", "甲", "-x", "@y", "\tT", "ok"]
    schools["note"] = ["a", None, "=b", "c", "d", "e"]
    rejected = pd.DataFrame(
        {
            "row": [7, 7],
            "school_id": ["X1", "X1"],
            "name": ["坏", "坏"],
            "column": ["lon", "quality"],
            "value": ["", "."],
            "reason": ["missing longitude", "missing quality"],
        }
    )
    return propose(schools, Policy(members=(2, 2), leads="top:0.34"), rejected=rejected)


def test_plan_csv_is_the_frame_written_as_csv(tmp_path):
    """The fast writer gives the bytes the plain path gives: to_frame, quoted, to_csv."""
    plan = _plan_with_everything()
    path = plan.to_csv(tmp_path / "plan.csv")
    frame = plan.to_frame()
    expected = csv_safe(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    assert path.read_bytes() == expected
    assert len(frame) == 6 + 1  # six schools, one rejected row


def test_chinese_headers_and_words_read_back(tmp_path):
    plan = _plan_with_everything()
    levels = ["primary", "middle", "nine-year", "secondary", "special", None]
    plan.schools[S.LEVEL] = pd.array(levels, dtype=object)
    en = plan.to_csv(tmp_path / "plan_en.csv")
    zh = plan.to_csv(tmp_path / "plan.csv", headers="zh")
    table = pd.read_csv(zh, encoding="utf-8-sig", dtype=str)
    assert list(table.columns[:12]) == [
        "学校编号", "学校名称", "经度", "纬度", "质量", "城乡", "学段",
        "集团编号", "角色", "龙头校编号", "到龙头校距离（公里）", "未分组原因",
    ]  # fmt: skip
    assert set(table["角色"]) == {"龙头校", "成员校", "未分组"}
    assert set(table["城乡"].dropna()) <= {"城区", "乡村"}
    assert table["学段"].tolist()[:5] == ["小学", "初中", "九年一贯制", "高中", "special"]
    rejected = table[table["学校编号"] == "X1"].iloc[0]
    assert rejected["未分组原因"] == "读入时被拒绝（第 7 行）：missing longitude; missing quality"
    for path in (zh, en):
        back = read_plan(path)
        assert len(back.schools) == 6 and "X1" not in back.schools.index  # rejected: skipped
        for column in (S.NAME, S.GROUP_ID, S.ROLE, S.LEAD_ID, S.AREA, S.LEVEL, "note"):
            assert _cells(back.schools[column]) == _cells(plan.schools[column]), column


def _cells(values: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in values]


def test_groups_csv_in_chinese(tmp_path):
    plan = propose(toy_schools(), Policy(members=(2, 2), leads="top:0.34"))
    paths = plan.write(tmp_path, headers="zh")
    table = pd.read_csv(paths["groups_csv"], encoding="utf-8-sig")
    assert table.columns[0] == "集团编号" and "龙头校名称" in table and "平均质量" in table
    assert set(table["龙头校城乡"]) <= {"城区", "乡村"}
    assert len(table) == len(plan.groups)


def test_the_same_plan_gives_the_same_bytes(tmp_path):
    plan = _plan_with_everything()
    for headers in ("en", "zh"):
        first = plan.write(tmp_path / f"a{headers}", headers=headers)
        second = plan.write(tmp_path / f"b{headers}", headers=headers)
        for key in ("plan_csv", "plan_json", "plan_gpkg", "groups_csv", "summary"):
            assert first[key].read_bytes() == second[key].read_bytes(), (headers, key)


def test_geopackage_layers(tmp_path):
    plan = _plan_with_everything()
    path = plan.to_gpkg(tmp_path / "plan.gpkg")
    layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    assert layers == ["schools", "groups", "meta", "rejected"]
    meta = json.loads(gpd.read_file(path, layer="meta")["value"].iloc[0])
    assert meta["policy"]["members"] == [2, 2] and meta["method"] == "fast"
    rejected = gpd.read_file(path, layer="rejected")
    assert rejected["row"].tolist() == [7, 7] and set(rejected["column"]) == {"lon", "quality"}
    schools = gpd.read_file(path, layer="schools")
    assert schools[S.NAME].tolist() == plan.schools[S.NAME].tolist()  # no quoting in a layer


def test_a_plan_of_thousands_of_columns_keeps_them_all(tmp_path):
    schools = random_schools(12, seed=2)
    extra = pd.DataFrame({f"x{i}": [str(i)] * 12 for i in range(3000)}, index=schools.index)
    schools = pd.concat([schools, extra], axis=1)
    plan = propose(schools, Policy(members=(1, 3), leads="top:0.4"))
    path = plan.to_csv(tmp_path / "plan.csv")
    header = path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert len(header) == 3 + len(plan.schools.columns) - 1 + 0  # id, lon, lat; no geometry
    assert header[-1] == "x2999" and len(set(header)) == len(header)
    back = read_plan(path)
    assert back.schools["x2999"].tolist() == [2999] * 12


def test_objective_figures_by_hand():
    schools = toy_schools().assign(
        group_id=["G1"] * 3 + ["G2"] * 3,
        role=["lead", "member", "member"] * 2,
        distance_km=[0.0, 1.0, 2.0, 0.0, 3.0, 0.0],
    )
    quality = schools[S.QUALITY].to_numpy()
    mean = quality.mean()
    gap = (3 * abs(quality[:3].mean() - mean) + 3 * abs(quality[3:].mean() - mean)) / 6
    figures = Plan(schools, Policy(), "hand").objective_figures()
    assert figures == {"mean_distance_km": 1.0, "balance_gap": pytest.approx(gap)}
    nobody = schools.assign(role="unassigned", group_id=None)
    assert Plan(nobody, Policy(), "hand").objective_figures() == {
        "mean_distance_km": None,
        "balance_gap": None,
    }


def test_a_stale_lead_and_distance_are_measured_again(tmp_path):
    """A member moved by hand to another group: its lead is that group's, and its distance
    is to that lead, not the one the file still says."""
    plan = propose(toy_schools(), Policy(members=(2, 2), leads="top:0.34"))
    path = plan.to_csv(tmp_path / "plan.csv")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    groups = sorted(set(table[S.GROUP_ID]))
    mover = table[(table[S.ROLE] == "member") & (table[S.GROUP_ID] == groups[0])].index[0]
    table.loc[mover, S.GROUP_ID] = groups[1]
    table.to_csv(path, index=False, encoding="utf-8-sig")
    back = read_plan(path)
    school = table.loc[mover, S.SCHOOL_ID]
    lead = back.schools[
        (back.schools[S.GROUP_ID] == groups[1]) & (back.schools[S.ROLE] == S.LEAD)
    ].index[0]
    assert back.schools.loc[school, S.LEAD_ID] == lead
    utm = back.schools.geometry.to_crs(back.schools.estimate_utm_crs())
    km = utm.loc[school].distance(utm.loc[lead]) / 1000
    assert back.schools.loc[school, S.DISTANCE_KM] == pytest.approx(km, abs=0.002)
    kept = back.schools.drop(index=school)
    same = plan.schools.loc[kept.index, S.DISTANCE_KM]
    assert kept[S.DISTANCE_KM].tolist() == same.tolist()  # the others as written
