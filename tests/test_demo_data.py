"""Tests of the synthetic demo county (data/demo_county.csv) and the script that makes it.

Read with pandas directly, not geogroup.read: the file must stay what a planner's
spreadsheet looks like, whatever the reader does with it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
CSV = DATA / "demo_county.csv"
BOUNDARY = DATA / "demo_county_boundary.geojson"
COLUMNS = [
    "学校代码",
    "学校名称",
    "经度",
    "纬度",
    "得分",
    "城乡",
    "学段",
    "学生数",
    "教师数",
    "优质校",
]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_demo_data", REPO / "scripts" / "make_demo_data.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(CSV, encoding="utf-8-sig", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def valid(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a usable location (latitude within ±90) and a numeric score."""
    lon = pd.to_numeric(table["经度"], errors="coerce")
    lat = pd.to_numeric(table["纬度"], errors="coerce")
    score = pd.to_numeric(table["得分"], errors="coerce")
    ok = lon.notna() & lat.notna() & lat.abs().le(90) & score.notna()
    return table[ok].assign(lon=lon[ok], lat=lat[ok], score=score[ok])


@pytest.fixture(scope="module")
def outline() -> shapely.Geometry:
    return shape(json.loads(BOUNDARY.read_text(encoding="utf-8"))["features"][0]["geometry"])


def test_regenerating_gives_identical_bytes(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert script.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "demo_county.csv").read_bytes() == CSV.read_bytes()
    assert (tmp_path / "demo_county_boundary.geojson").read_bytes() == BOUNDARY.read_bytes()
    assert "310 schools" in capsys.readouterr().out


def test_another_seed_gives_other_schools(script: ModuleType, outline: shapely.Geometry) -> None:
    assert script.make_rows(outline, seed=1) != script.make_rows(outline)


def test_file_is_excel_csv_utf8_with_chinese_headers(table: pd.DataFrame) -> None:
    assert CSV.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM of Excel's "CSV UTF-8"
    assert list(table.columns) == COLUMNS


def test_size_and_unique_ids(table: pd.DataFrame) -> None:
    assert 250 <= len(table) <= 400
    assert table["学校代码"].is_unique
    assert table["学校代码"].str.fullmatch(r"210381\d{4}").all()
    assert table["学校名称"].is_unique
    assert table["学校名称"].str.len().gt(0).all()


def test_value_domains(table: pd.DataFrame) -> None:
    assert set(table["城乡"]) == {"城区", "乡村"}
    assert set(table["学段"]) == {"小学", "初中", "九年一贯制"}
    assert set(table["优质校"]) == {"是", "否"}
    students = table["学生数"].astype(int)
    teachers = table["教师数"].astype(int)
    assert students.between(40, 2500).all()
    assert teachers.gt(0).all()
    assert (students / teachers).between(6, 25).all()


def test_three_planted_problem_rows(table: pd.DataFrame, valid: pd.DataFrame) -> None:
    bad = table.drop(valid.index)
    assert len(bad) == 3
    assert (bad["经度"].eq("") & bad["纬度"].eq("")).sum() == 1
    assert bad["得分"].eq("缺").sum() == 1
    swapped = pd.to_numeric(bad["纬度"], errors="coerce").gt(90)
    assert swapped.sum() == 1
    assert pd.to_numeric(bad.loc[swapped, "经度"]).between(40.5, 41.2).all()


def test_about_three_quarters_rural(valid: pd.DataFrame) -> None:
    rural_share = valid["城乡"].eq("乡村").mean()
    assert 0.70 <= rural_share <= 0.80


def test_levels_about_two_primary_per_middle(table: pd.DataFrame) -> None:
    counts = table["学段"].value_counts()
    assert 1.7 <= counts["小学"] / counts["初中"] <= 2.3
    assert 3 <= counts["九年一贯制"] <= 20


def test_urban_scores_higher_with_overlap(valid: pd.DataFrame) -> None:
    urban = valid.loc[valid["城乡"].eq("城区"), "score"]
    rural = valid.loc[valid["城乡"].eq("乡村"), "score"]
    assert valid["score"].between(40, 100).all()
    assert urban.mean() > rural.mean() + 5
    assert urban.min() < rural.max()


def test_quality_schools_are_about_the_top_15_percent(valid: pd.DataFrame) -> None:
    flagged = valid["优质校"].eq("是")
    assert 0.10 <= flagged.mean() <= 0.20
    assert valid.loc[flagged, "score"].median() > valid.loc[~flagged, "score"].quantile(0.8)


def test_valid_points_inside_the_county(valid: pd.DataFrame, outline: shapely.Geometry) -> None:
    inside = shapely.contains_xy(outline, valid["lon"].to_numpy(), valid["lat"].to_numpy())
    assert inside.all(), valid.loc[~inside, "学校名称"].tolist()


def test_urban_schools_cluster_near_the_county_seat(valid: pd.DataFrame) -> None:
    urban = valid[valid["城乡"].eq("城区")]
    km = np.hypot((urban["lon"] - 122.75) * 84.3, (urban["lat"] - 40.85) * 111.0)
    assert (km < 8).mean() > 0.6


def test_boundary_file(outline: shapely.Geometry) -> None:
    assert BOUNDARY.stat().st_size < 200_000
    feature = json.loads(BOUNDARY.read_text(encoding="utf-8"))["features"][0]
    assert feature["properties"]["name"] == "海城市"
    assert feature["properties"]["adcode"] == 210381
    assert "WGS-84" in feature["properties"]["source"]
    assert outline.is_valid
    minx, miny, maxx, maxy = outline.bounds
    assert 122.2 < minx < maxx < 123.3
    assert 40.4 < miny < maxy < 41.3
