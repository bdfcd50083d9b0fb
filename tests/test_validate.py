"""Tests of geogroup.read._fields: header matching and cell parsers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._fields import (
    PLACEHOLDERS,
    ProblemLog,
    missing_mask,
    normalise_area,
    normalise_id,
    normalise_level,
    parse_bool,
    parse_coordinate,
    parse_count,
    parse_float,
)
from geogroup.read._headers import FIELDS, HEADER_ALIASES, header_key, resolve_columns


def resolve(headers, **kwargs):
    options = {
        "columns": None,
        "quality": None,
        "id_column": None,
        "needs_coordinates": True,
        "source": "test.csv",
    }
    return resolve_columns(headers, **{**options, **kwargs})


# --------------------------------------------------------------------------- headers


def test_alias_table_covers_every_field_once():
    assert set(FIELDS) == {
        schema.SCHOOL_ID,
        schema.NAME,
        "lon",
        "lat",
        schema.QUALITY,
        schema.AREA,
        schema.LEVEL,
        schema.STUDENTS,
        schema.TEACHERS,
        schema.KEY_TEACHERS,
        schema.LEAD_CANDIDATE,
        schema.FIXED_GROUP,
    }
    keys = [header_key(a) for aliases in HEADER_ALIASES.values() for a in aliases]
    assert len(keys) == len(set(keys)), "an alias may belong to one field only"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (" School Name ", "school_name"),
        ("LONGITUDE", "longitude"),
        ("urban-rural", "urban_rural"),
        ("ｌａｔ", "lat"),
        ("学校名称", "学校名称"),
    ],
)
def test_header_key(header, key):
    assert header_key(header) == key


def test_english_headers_any_case_and_spacing():
    cmap, notes = resolve([" Name ", "LONGITUDE", "Latitude", "Score", "Urban_Rural", "Phase"])
    assert cmap == {
        "name": " Name ",
        "lon": "LONGITUDE",
        "lat": "Latitude",
        "quality": "Score",
        "area": "Urban_Rural",
        "level": "Phase",
    }
    assert notes == []


def test_chinese_headers():
    headers = [
        "学校标识码",
        "学校名称",
        "经度",
        "纬度",
        "综合得分",
        "城乡分类",
        "学段",
        "在校生数",
        "专任教师数",
        "龙头校",
        "所属集团",
    ]
    cmap, _ = resolve(headers)
    assert list(cmap.values()) == headers


def test_explicit_columns_win_and_free_the_header():
    cmap, _ = resolve(["name", "lon", "lat", "students", "score"], columns={"quality": "students"})
    assert cmap["quality"] == "students"
    assert "students" not in cmap  # the header is taken by quality


def test_quality_and_id_shorthands():
    cmap, _ = resolve(
        ["emis", "code", "name", "lon", "lat", "quintile"], quality="quintile", id_column="code"
    )
    assert cmap["quality"] == "quintile"
    assert cmap["school_id"] == "code"


def test_explicit_header_matches_loosely():
    cmap, _ = resolve(["name", "lon", "lat", "House Price"], columns={"quality": "house_price"})
    assert cmap["quality"] == "House Price"


def test_several_candidates_are_an_error_naming_both():
    # Was: the alias that came first ('lon') was used and the other ignored, with a note.
    with pytest.raises(InputError) as err:
        resolve(["name", "x", "lon", "lat", "score"])
    assert "2 columns could be 'lon': 'x' (column B) and 'lon' (column C)" in str(err.value)
    assert "columns={'lon': 'lon'}" in str(err.value)
    cmap, notes = resolve(["name", "x", "lon", "lat", "score"], columns={"lon": "lon"})
    assert cmap["lon"] == "lon" and notes == []


def test_vector_sources_leave_lon_lat_alone():
    cmap, _ = resolve(["name", "lon", "lat", "score"], needs_coordinates=False)
    assert "lon" not in cmap
    assert "lat" not in cmap


def test_missing_required_field_lists_headers_and_how_to_map():
    with pytest.raises(InputError) as err:
        resolve(["name", "lon", "lat", "house_price"])
    text = str(err.value)
    assert "test.csv" in text
    assert "'quality'" in text
    assert "'house_price'" in text
    assert "columns={'quality': '<header>'}" in text
    assert "--column quality=<header>" in text


def test_missing_coordinates_are_listed_together():
    with pytest.raises(InputError, match=r"'lon', 'lat'"):
        resolve(["name", "score"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": {"qualty": "score"}}, "unknown field 'qualty'"),
        ({"columns": {"quality": "scor"}}, r"no header 'scor'.*Did you mean 'score'"),
        ({"columns": {"quality": "score"}, "quality": "rank"}, "mapped twice"),
    ],
)
def test_bad_mappings(kwargs, message):
    with pytest.raises(InputError, match=message):
        resolve(["name", "lon", "lat", "score", "rank"], **kwargs)


def test_id_is_a_synonym_for_school_id():
    cmap, _ = resolve(["name", "lon", "lat", "score", "no"], columns={"id": "no"})
    assert cmap["school_id"] == "no"


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize("value", [*sorted(PLACEHOLDERS), "NOT APPLICABLE", "#N/A", " Null ", None])
def test_placeholders_are_missing(value):
    assert missing_mask(pd.Series([value, "3"], dtype=object)).tolist() == [True, False]


def test_parse_float_numbers_and_text():
    p = parse_float(pd.Series(["1,234.5", " 7 ", "1e3", "-", "x", "inf", "１２"]))
    assert p.values.iloc[[0, 1, 2, 6]].tolist() == [1234.5, 7.0, 1000.0, 12.0]
    assert p.missing.tolist() == [False, False, False, True, False, False, False]
    assert p.bad.tolist() == [False, False, False, False, True, False, False]
    assert math.isinf(p.values.iloc[5])


def test_parse_float_numeric_column_is_untouched():
    p = parse_float(pd.Series([1.5, np.nan, 3]))
    assert p.values.tolist()[0] == 1.5
    assert p.missing.tolist() == [False, True, False]
    assert not p.bad.any()


@pytest.mark.parametrize(
    ("text", "axis", "value"),
    [
        ("116.39°E", "lon", 116.39),
        ("116.39 E", "lon", 116.39),
        ("116.39e", "lon", 116.39),
        ("E116.39", "lon", 116.39),
        ("74.0 W", "lon", -74.0),
        ("39.9 N", "lat", 39.9),
        ("33.9°S", "lat", -33.9),
        ("39°54'N", "lat", 39.9),
        ("116°23'24\"E", "lon", 116.39),
        ("116°23′24″E", "lon", 116.39),
        ("北纬39.9", "lat", 39.9),
        ("东经116度23分24秒", "lon", 116.39),
        ("-33.9", "lat", -33.9),
        ("39.9°", "lat", 39.9),
    ],
)
def test_coordinates_with_units(text, axis, value):
    parsed = parse_coordinate(pd.Series([text]), axis)
    assert not parsed.bad.iloc[0]
    assert parsed.values.iloc[0] == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "axis"),
    [
        ("39.9 N", "lon"),  # a latitude's hemisphere in the longitude column
        ("116.4 E", "lat"),
        ("-33.9 S", "lat"),  # a sign and a hemisphere
        ("N39.9S", "lat"),  # two hemispheres
        ("39°75'N", "lat"),  # 75 minutes
        ("39.5°30'N", "lat"),  # decimal degrees and minutes
        ("abc", "lon"),
        ("116.4.2", "lon"),
    ],
)
def test_ambiguous_coordinates_are_unreadable(text, axis):
    parsed = parse_coordinate(pd.Series([text]), axis)
    assert parsed.bad.iloc[0]
    assert math.isnan(parsed.values.iloc[0])


def test_parse_count():
    counts, bad = parse_count(pd.Series(["12", "1,200", "3.0", "2.5", "-1", "many", "", "NA"]))
    assert str(counts.dtype) == "Int64"
    assert counts.tolist()[:3] == [12, 1200, 3]
    assert counts.isna().tolist()[3:] == [True] * 5
    assert bad.tolist() == [False, False, False, True, True, True, False, False]


@pytest.mark.parametrize(
    ("value", "area"),
    [
        ("URBAN", "urban"),
        ("Rural", "rural"),
        (" urban ", "urban"),
        ("城区", "urban"),
        ("城镇", "urban"),
        ("城市", "urban"),
        ("市区", "urban"),
        ("县城", "urban"),
        ("乡村", "rural"),
        ("农村", "rural"),
        ("乡镇", "rural"),
        ("村", "rural"),
        ("111", "urban"),
        ("220", "rural"),
    ],
)
def test_area_labels(value, area):
    values, unknown = normalise_area(pd.Series([value]))
    assert values.tolist() == [area]
    assert not unknown.iloc[0]


def test_area_placeholders_and_unknowns_are_missing():
    values, unknown = normalise_area(pd.Series([".", "", None, "suburban", "3"], dtype=object))
    assert values.isna().all()
    assert unknown.tolist() == [False, False, False, True, True]


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("PRIMARY SCHOOL", "primary"),
        ("小学", "primary"),
        ("初中", "middle"),
        ("初级中学", "middle"),
        ("SECONDARY SCHOOL", "secondary"),
        ("高中", "secondary"),
        ("九年一贯制", "nine-year"),
        ("九年一贯制学校", "nine-year"),
        ("COMBINED SCHOOL", "combined"),
        ("INTERMEDIATE SCHOOL", "intermediate"),
        ("十二年一贯制", "twelve-year"),
        ("Primary", "primary"),
        ("中学", "中学"),
        ("Special School", "special school"),
    ],
)
def test_levels(value, level):
    assert normalise_level(pd.Series([value])).tolist() == [level]


def test_missing_level_stays_missing():
    assert normalise_level(pd.Series([".", None], dtype=object)).isna().all()


@pytest.mark.parametrize(
    ("values", "flags", "bad"),
    [
        (
            ["1", "0", "1.0", "true", "FALSE", "Yes", "no", "是", "否", "√", ""],
            [True, False, True, True, False, True, False, True, False, True, False],
            [False] * 11,
        ),
        ([1, 0, np.nan], [True, False, False], [False] * 3),
        (["maybe", "2"], [False, False], [True, True]),
    ],
)
def test_parse_bool(values, flags, bad):
    got, unreadable = parse_bool(pd.Series(values, dtype=object))
    assert got.tolist() == flags
    assert unreadable.tolist() == bad


def test_parse_bool_keeps_bools():
    got, bad = parse_bool(pd.Series([True, False]))
    assert got.tolist() == [True, False]
    assert not bad.any()


@pytest.mark.parametrize(
    ("values", "ids"),
    [
        ([200300002.0, 3.0], ["200300002", "3"]),
        ([1, 2], ["1", "2"]),
        ([1.5, np.nan], ["1.5", None]),
        ([" A-1 ", "200300002.0", "0012", "."], ["A-1", "200300002", "0012", None]),
    ],
)
def test_normalise_id(values, ids):
    got = normalise_id(pd.Series(values))
    assert [None if pd.isna(v) else v for v in got] == ids
    assert got.dtype == "str"


def test_problem_log_orders_by_row_and_counts_rows_once():
    log = ProblemLog()
    values = pd.Series(["a", "b", "c"])
    log.add(pd.Series([False, True, True]), "q", values, "missing quality")
    log.add(np.array([True, True, False]), "lon", values, pd.Series(["r0", "r1", "r2"]))
    frame = log.frame()
    assert frame["pos"].tolist() == [0, 1, 1, 2]
    assert frame["reason"].tolist() == ["r0", "missing quality", "r1", "missing quality"]
    assert log.positions().tolist() == [0, 1, 2]


def test_empty_problem_log():
    log = ProblemLog()
    assert log.frame().empty
    assert log.positions().size == 0
