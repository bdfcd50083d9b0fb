"""Hostile fields through ``read_schools``: urban/rural labels it does not know, two columns
for one field, and numbers too large to use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geogroup.errors import InputError
from geogroup.read import read_schools
from geogroup.read._headers import AmbiguousHeadersError

HEADER = "school_id,name,lon,lat,score"
POINTS = [(101.75, 3.21), (101.90, 3.40), (101.76, 3.22), (101.95, 3.10), (102.00, 3.05)]


def write(tmp_path: Path, text: str, name: str = "schools.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_area(tmp_path: Path, labels: list[str], header: str = "area") -> Path:
    rows = [
        f"M{i},School {i},{lon},{lat},{60 + i},{label}"
        for i, ((lon, lat), label) in enumerate(zip(POINTS, labels, strict=True))
    ]
    return write(tmp_path, "\n".join([f"{HEADER},{header}", *rows]) + "\n")


MALAY = ["Bandar", "Luar Bandar", "Bandar", "luar bandar ", "Luar Bandar"]


# --------------------------------------------------------------------------- 1. area labels


def test_unknown_area_labels_are_an_error_listing_them(tmp_path):
    path = with_area(tmp_path, MALAY)
    with pytest.raises(InputError) as err:
        read_schools(path)
    text = str(err.value)
    # Was: the labels were dropped in silence and replaced by the density rule.
    assert text.startswith(f"{path}: column 'area' (read as area, urban or rural) holds labels")
    # Labels are told apart as area_values compares them: 'luar bandar ' is 'Luar Bandar'.
    assert "neither: 'Luar Bandar' (3 rows, first row 3), 'Bandar' (2 rows, first row 2)." in text
    assert "area_values={'Luar Bandar': '<urban or rural>', 'Bandar': '<urban or rural>'}" in text
    assert "columns={'area': None}" in text


def test_known_labels_are_listed_beside_the_unknown_ones(tmp_path):
    path = with_area(tmp_path, ["城区", "乡村", "城区", "suburb", "."])
    with pytest.raises(InputError) as err:
        read_schools(path)
    assert "neither: 'suburb' (1 row, row 5)." in str(err.value)
    assert "other labels are read: '城区' (2 rows, first row 2), '乡村' (1 row, row 3)" in str(
        err.value
    )


def test_area_values_map_labels_ignoring_case_and_spaces(tmp_path):
    schools, report = read_schools(
        with_area(tmp_path, MALAY), area_values={" BANDAR": "urban", "Luar Bandar": "Rural "}
    )
    assert schools["area"].tolist() == ["urban", "rural", "urban", "rural", "rural"]
    assert "area" not in report.derived
    assert report.mapped == {
        "area": "column 'area' read through area_values: 'Bandar' -> urban (2 rows), "
        "'Luar Bandar' -> rural (3 rows)."
    }
    assert "Mapped values:\n  area: column 'area' read through area_values" in report.to_text()


def test_area_values_win_over_the_built_in_words(tmp_path):
    schools, _ = read_schools(
        with_area(tmp_path, ["镇区", "乡村", "镇区", "乡村", "城区"]), area_values={"镇区": "rural"}
    )
    assert schools["area"].tolist() == ["rural", "rural", "rural", "rural", "urban"]


def test_an_unused_area_value_is_said(tmp_path):
    _, report = read_schools(
        with_area(tmp_path, MALAY),
        area_values={"Bandar": "urban", "Luar Bandar": "rural", "Pinggir": "urban"},
    )
    assert "area_values: 'pinggir' matched no cell of column 'area'" in report.warnings[-1]


@pytest.mark.parametrize(
    ("area_values", "message"),
    [
        ({"Bandar": "city"}, r"area_values: 'Bandar' -> 'city'; each label must map to"),
        ({" ": "urban"}, "a label cannot be blank"),
        ({"Bandar": "urban", "bandar ": "rural"}, r"'bandar ' is given twice"),
        (["Bandar"], "area_values must map the file's labels"),
    ],
)
def test_bad_area_values(tmp_path, area_values, message):
    with pytest.raises(InputError, match=message):
        read_schools(with_area(tmp_path, MALAY), area_values=area_values)


def test_area_values_without_an_area_column(tmp_path):
    path = write(tmp_path, f"{HEADER}\nA,a,116.4,39.9,1\n")
    with pytest.raises(InputError, match=r"area_values= was given, but no column was read as"):
        read_schools(path, area_values={"Bandar": "urban"})


def test_an_area_column_can_be_left_out(tmp_path):
    schools, report = read_schools(with_area(tmp_path, MALAY), columns={"area": None})
    assert "area" not in report.column_map
    assert schools["area_input"].tolist() == [*MALAY[:3], "luar bandar ", "Luar Bandar"]
    assert "density rule" in report.derived["area"]


def test_a_column_of_area_labels_from_the_statistics_codes(tmp_path):
    schools, _ = read_schools(with_area(tmp_path, ["111", "220", "122", "210", "112"], "城乡"))
    assert schools["area"].tolist() == ["urban", "rural", "urban", "rural", "urban"]
    frame = pd.DataFrame(
        {"name": list("abc"), "lon": [116.4, 116.5, 116.6], "lat": [39.9] * 3, "score": [1, 2, 3]}
    )
    schools, _ = read_schools(frame.assign(城乡=[111, np.nan, 220]))  # floats: 111.0
    assert schools["area"].tolist()[::2] == ["urban", "rural"]


# --------------------------------------------------------------------------- 6. two columns


@pytest.mark.parametrize(
    ("headers", "shown", "pick"),
    [
        ("quality,score", "'quality' (column E) and 'score' (column F)", "score"),
        ("score,score", "'score' (column E) and 'score' (column F, read as 'score.1')", "score.1"),
        ("得分,评分", "'得分' (column E) and '评分' (column F)", "评分"),
    ],
)
def test_two_columns_for_quality_are_an_error_naming_both(tmp_path, headers, shown, pick):
    text = f"school_id,name,lon,lat,{headers}\nA,a,116.4,39.9,1,5\nB,b,116.5,39.9,2,6\n"
    path = write(tmp_path, text)
    with pytest.raises(AmbiguousHeadersError) as err:
        read_schools(path)
    # Was: the first alias in the table won and the other column was ignored.
    assert f"2 columns could be 'quality': {shown}" in str(err.value)
    assert f"columns={{'quality': {pick!r}}}" in str(err.value)
    schools, report = read_schools(path, columns={"quality": pick})
    assert schools["quality"].tolist() == [5.0, 6.0]
    assert report.column_map["quality"] == pick


@pytest.mark.parametrize("wanted", ["score", " SCORE "])
def test_the_first_of_two_same_headers_cannot_be_named_by_the_header(tmp_path, wanted):
    text = "school_id,name,lon,lat,score,score\nA,a,116.4,39.9,1,5\nB,b,116.5,39.9,2,6\n"
    with pytest.raises(AmbiguousHeadersError, match="rename one of the two same headers"):
        read_schools(write(tmp_path, text), quality=wanted)


def test_a_picked_column_leaves_the_other_as_an_extra(tmp_path):
    text = "school_id,name,lon,lat,quality,score\nA,a,116.4,39.9,good,5\nB,b,116.5,39.9,poor,6\n"
    schools, report = read_schools(write(tmp_path, text), quality="score")
    assert schools["quality_input"].tolist() == ["good", "poor"]
    assert any("'quality_input'" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ("name,x,lon,lat,score", "lon"),
        ("name,lon,lat,score,students,在校生数", "students"),
        ("名称,学校名称,lon,lat,score", "name"),
        ("name,lon,lat,score,area,城乡", "area"),
    ],
)
def test_every_field_refuses_two_columns(tmp_path, headers, field):
    values = ",".join(["a", "116.4", "39.9", "1", "2", "3"][: headers.count(",") + 1])
    with pytest.raises(AmbiguousHeadersError, match=f"2 columns could be '{field}'"):
        read_schools(write(tmp_path, f"{headers}\n{values}\n"))


def test_two_columns_are_said_even_below_title_rows(tmp_path):
    text = "县学校名单,,,,,\nschool_id,name,lon,lat,quality,score\nA,a,116.4,39.9,1,5\n"
    with pytest.raises(AmbiguousHeadersError, match=r"\(column E\) and 'score' \(column F\)"):
        read_schools(write(tmp_path, text))


def test_a_frame_with_two_columns_for_one_field(tmp_path):
    frame = pd.DataFrame({"name": ["a"], "lon": [116.4], "lat": [39.9], "得分": [1], "评分": [2]})
    with pytest.raises(AmbiguousHeadersError, match="'得分' \\(column D\\) and '评分'"):
        read_schools(frame)


def test_excel_with_the_same_header_twice(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "lon", "lat", "score", "score"])
    book.active.append(["a", 116.4, 39.9, 1, 5])
    book.save(tmp_path / "s.xlsx")
    with pytest.raises(AmbiguousHeadersError, match=r"\(column E, read as 'score.1'\)"):
        read_schools(tmp_path / "s.xlsx")
    schools, _ = read_schools(tmp_path / "s.xlsx", quality="score.1")
    assert schools["quality"].tolist() == [5.0]


# --------------------------------------------------------------------------- 15, 16. huge


def test_huge_counts_are_left_missing_with_a_reason(tmp_path):
    text = (
        f"{HEADER},students,teachers\nA,a,116.4,39.9,1,1e20,1000000\n"
        "B,b,116.5,39.9,2,99999999999999999999999,1000001\n"
    )
    schools, report = read_schools(write(tmp_path, text))
    # Was: TypeError (cannot safely cast non-equivalent float64 to int64).
    assert schools["students"].isna().all()
    assert schools["teachers"].tolist()[0] == 1_000_000
    assert pd.isna(schools["teachers"].iloc[1])
    (students,) = [w for w in report.warnings if w.startswith("students")]
    assert "2 cells are not whole numbers from 0 to 1,000,000" in students
    assert "row 2: '1e20'" in students


def test_huge_counts_in_a_frame_and_a_workbook(tmp_path):
    frame = pd.DataFrame(
        {"name": ["a", "b"], "lon": [116.4, 116.5], "lat": [39.9] * 2, "score": [1, 2]}
    )
    schools, _ = read_schools(frame.assign(students=[1e20, 3.0]))
    assert schools["students"].isna().tolist() == [True, False]
    schools, _ = read_schools(frame.assign(students=np.array([2**64 - 1, 3], dtype=np.uint64)))
    assert schools["students"].isna().tolist() == [True, False]
    frame.assign(students=[10**30, 3]).to_excel(tmp_path / "s.xlsx", index=False)
    schools, _ = read_schools(tmp_path / "s.xlsx")
    assert schools["students"].isna().tolist() == [True, False]


@pytest.mark.parametrize(
    "value", ["1e307", "-1e307", "1.7976931348623157e308", "1.5e15", "-2000000000000000"]
)
def test_huge_quality_is_rejected_with_a_reason(tmp_path, value):
    text = f"{HEADER}\nA,a,116.4,39.9,80\nB,b,116.5,39.9,{value}\nC,c,116.6,39.9,70\n"
    schools, report = read_schools(write(tmp_path, text))
    assert schools.index.tolist() == ["A", "C"]
    assert report.rejected[["row", "column", "value"]].values.tolist() == [[3, "score", value]]
    assert report.rejected["reason"].iloc[0] == (
        "quality too large to use (beyond ±1e+15); rescale the column (e.g. to thousands)"
    )


def test_quality_of_1e15_is_kept(tmp_path):
    text = f"{HEADER}\nA,a,116.4,39.9,1e15\nB,b,116.5,39.9,-1e15\n"
    schools, _ = read_schools(write(tmp_path, text))
    assert schools["quality"].tolist() == [1e15, -1e15]


def test_huge_quality_in_a_frame_is_rejected_before_it_overflows():
    frame = pd.DataFrame({"name": ["a", "b", "c"], "lon": [116.4, 116.5, 116.6], "lat": [39.9] * 3})
    schools, report = read_schools(frame.assign(score=[1e307, 1.0, 2.0]), higher_is_better=False)
    assert schools["quality"].tolist() == [2.0, 1.0]  # flipped as min + max - x, finite
    assert report.counts_by_reason().to_dict() == {"quality too large to use (beyond ±1e+15)": 1}
