"""Hostile workbooks and Shapefiles through ``read_schools``: stray cells that make a sheet
claim a million rows or sixteen thousand columns, and Shapefiles that do not say their
encoding."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pytest

from geogroup.errors import InputError
from geogroup.read import read_schools
from geogroup.read._headers import AmbiguousHeadersError

# --------------------------------------------------------------------------- 11. workbooks


def forty_schools(path: Path, *cells: tuple[int, int, Any], merge: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["学校名称", "经度", "纬度", "得分"])
    for i in range(40):
        sheet.append([f"第{i + 1}小学", 116.3 + 0.01 * (i % 8), 39.8 + 0.01 * (i // 8), 60 + i])
    for row, column, value in cells:
        sheet.cell(row=row, column=column, value=value)
    if merge:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def timed_read(path: Path, **options: Any) -> tuple[Any, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = read_schools(path, **options)
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak


@pytest.mark.parametrize(
    ("row", "column"),
    [(1_048_576, 16_384), (1_048_576, 1)],
    ids=["XFD1048576", "A1048576"],
)
def test_a_stray_cell_far_below_costs_nothing(tmp_path, row, column):
    path = forty_schools(tmp_path / "stray.xlsx", (row, column, "备注"))
    (schools, report), seconds, peak = timed_read(path)
    # Was: 7.6 GB and a MemoryError (XFD1048576), or 36 s and 2.5 GB (A1048576).
    assert seconds < 5, f"{seconds:.1f} s"
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MB"
    assert len(schools) == 40
    assert schools.columns[8:].tolist() == ["geometry"]
    assert report.warnings == [
        "the table was taken to end at row 41: 1,000 empty rows follow it, and nothing below "
        "them was read although the sheet claims cells down to row 1,048,576. If schools are "
        "listed further down, remove the empty rows; a stray cell far below (Ctrl+End shows "
        "it) can be deleted."
    ]


def test_a_stray_cell_far_right_of_the_header_is_one_column(tmp_path):
    path = forty_schools(tmp_path / "stray.xlsx", (1, 16_384, "备注"), (5, 16_384, "旧校区"))
    (schools, report), seconds, peak = timed_read(path)
    assert seconds < 5 and peak < 100 * 2**20
    assert schools["备注"].dropna().tolist() == ["旧校区"]
    assert report.warnings == []


def test_a_stray_cell_far_right_in_the_data_is_kept_without_a_header(tmp_path):
    path = forty_schools(tmp_path / "stray.xlsx", (5, 16_384, "?"))
    (schools, _), seconds, _ = timed_read(path)
    assert seconds < 5
    assert schools["Unnamed: 16383"].dropna().tolist() == ["?"]


def test_a_title_merged_across_the_whole_sheet_width(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "某某县中小学名单"
    sheet.merge_cells("A1:XFD1")
    sheet.append(["学校名称", "经度", "纬度", "得分"])
    sheet.append(["一小", 116.4, 39.9, 80])
    sheet.append(["二小", 116.5, 39.9, 70])
    book.save(tmp_path / "titled.xlsx")
    (schools, report), seconds, peak = timed_read(tmp_path / "titled.xlsx")
    assert seconds < 5 and peak < 100 * 2**20
    assert schools["name"].tolist() == ["一小", "二小"]
    assert any("header is on row 2" in w for w in report.warnings)


def test_schools_below_a_short_gap_are_read_with_their_row_numbers(tmp_path):
    path = forty_schools(
        tmp_path / "gap.xlsx", (600, 1, "北关小学"), (600, 2, 116.5), (600, 3, 39.9), (600, 4, "x")
    )
    schools, report = read_schools(path)
    assert len(schools) == 40
    assert report.rejected[["row", "reason"]].values.tolist() == [[600, "quality is not a number"]]
    assert report.warnings == ["558 blank rows skipped."]


def test_column_letters_in_a_workbook_follow_the_sheet(tmp_path):
    path = forty_schools(tmp_path / "x.xlsx", (1, 16_384, "x"))
    with pytest.raises(AmbiguousHeadersError, match=r"'经度' \(column B\) and 'x' \(column XFD\)"):
        read_schools(path)


# --------------------------------------------------------------------------- 7. Shapefiles

SCHOOLS = {
    "学校名称": ["城关第一小学", "河口镇中心小学", "实验中学"],
    "得分": [88, 75, 62],
    "城乡": ["城区", "乡村", "城区"],
}


def shapefile(folder: Path, encoding: str, columns: dict[str, list[Any]], cpg: bool) -> Path:
    frame = gpd.GeoDataFrame(
        columns,
        geometry=gpd.points_from_xy([116.40, 116.52, 116.45], [39.90, 39.97, 39.93]),
        crs="EPSG:4326",
    )
    path = folder / "schools.shp"
    frame.to_file(path, encoding=encoding)
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def test_a_gbk_shapefile_without_cpg_reads_right(tmp_path):
    path = shapefile(tmp_path, "gbk", SCHOOLS, cpg=False)
    schools, report = read_schools(path)
    # Was: mojibake names (³Ç¹ØµÚÒ»Ð¡Ñ§), no header found for name, and the area lost.
    assert schools["name"].tolist() == SCHOOLS["学校名称"]
    assert schools["area"].tolist() == ["urban", "rural", "urban"]
    assert report.column_map["area"] == "城乡"
    assert "area" not in report.derived
    assert any("were read as GB18030" in w for w in report.warnings)


def test_a_utf8_shapefile_without_cpg_reads_right(tmp_path):
    columns = {"name": SCHOOLS["学校名称"], "score": SCHOOLS["得分"], "area": SCHOOLS["城乡"]}
    schools, report = read_schools(shapefile(tmp_path, "utf-8", columns, cpg=False))
    assert schools["name"].tolist() == SCHOOLS["学校名称"]
    assert any("were read as UTF-8" in w for w in report.warnings)


def test_a_western_shapefile_without_cpg_reads_right(tmp_path):
    columns = {"name": ["Lycée Pasteur", "École Molière", "José Martí"], "score": [1, 2, 3]}
    schools, _ = read_schools(shapefile(tmp_path, "cp1252", columns, cpg=False))
    assert schools["name"].tolist() == columns["name"]


def test_a_shapefile_with_cpg_is_read_as_it_says(tmp_path):
    schools, report = read_schools(shapefile(tmp_path, "gbk", SCHOOLS, cpg=True))
    assert schools["name"].tolist() == SCHOOLS["学校名称"]
    assert not any(".cpg" in w for w in report.warnings)


def test_an_explicit_encoding_wins_over_detection(tmp_path):
    path = shapefile(tmp_path, "gbk", SCHOOLS, cpg=False)
    schools, report = read_schools(path, encoding="gb18030")
    assert schools["name"].tolist() == SCHOOLS["学校名称"]
    assert not any(".cpg" in w for w in report.warnings)
    with pytest.raises(InputError, match="cannot read the file as vector data"):
        read_schools(path, encoding="latin-1")  # used as given, never second-guessed
