"""Tests of geogroup.read.read_schools and its report."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from pyproj import Geod
from shapely.geometry import box

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read import ReadReport, ReadResult, read_schools

DATA = Path(__file__).parent / "data" / "io"
BEIJING_COLUMNS = {"quality": "house_price", "lead_candidate": "key_school"}
CONTRACT_COLUMNS = [
    "name",
    "quality",
    "area",
    "level",
    "students",
    "teachers",
    "lead_candidate",
    "fixed_group",
]
HEADER = "school_id,name,lon,lat,score\n"
GOOD_ROWS = "A,First,116.40,39.90,80\nB,Second,116.41,39.91,70\n"


def write(tmp_path: Path, text: str, name: str = "schools.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def assert_contract(schools: gpd.GeoDataFrame) -> None:
    """The schools frame has the data contract's columns, types and index."""
    assert list(schools.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert schools.columns[-1] == "geometry"
    assert schools.index.name == schema.SCHOOL_ID
    assert schools.index.dtype == "str"
    assert schools.index.is_unique
    assert schools.crs == schema.WGS84
    assert (schools.geom_type == "Point").all()
    assert schools["name"].dtype == "str"
    assert schools["name"].notna().all()
    assert schools["quality"].dtype == "float64"
    assert np.isfinite(schools["quality"]).all()
    assert schools["area"].isin(schema.AREA_VALUES).all()
    assert str(schools["students"].dtype) == "Int64"
    assert str(schools["teachers"].dtype) == "Int64"
    assert schools["lead_candidate"].dtype == bool
    assert schools["fixed_group"].dtype == "str"
    assert schools["level"].dtype == "str"
    assert schools.geometry.x.abs().le(180).all()
    assert schools.geometry.y.abs().le(90).all()


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def za(shared_datasets: Path) -> ReadResult:
    return read_schools(
        shared_datasets / "za_schools_2017.csv", quality="quintile", id_column="emis"
    )


@pytest.fixture(scope="module")
def beijing(shared_datasets: Path) -> ReadResult:
    return read_schools(
        shared_datasets / "beijing_primary_829.csv", coords="gcj02", columns=BEIJING_COLUMNS
    )


@pytest.mark.slow
def test_za_counts_add_up(za):
    schools, report = za
    assert report.n_rows == 24_813
    assert len(schools) + report.n_rejected == report.n_rows
    assert report.n_kept == len(schools)
    assert_contract(schools)


@pytest.mark.slow
def test_za_keeps_every_row_with_usable_coordinates_and_quality(za, shared_datasets):
    raw = pd.read_csv(shared_datasets / "za_schools_2017.csv", dtype=str, keep_default_na=False)
    lon = pd.to_numeric(raw["lon"], errors="coerce")
    lat = pd.to_numeric(raw["lat"], errors="coerce")
    quality = pd.to_numeric(raw["quintile"], errors="coerce")
    usable = lon.abs().le(180) & lat.abs().le(90) & quality.notna()
    schools, _ = za
    assert sorted(schools.index) == sorted(raw.loc[usable, "emis"])


@pytest.mark.slow
def test_za_reasons(za):
    _, report = za
    counts = report.counts_by_reason()
    assert counts["missing quality"] == 1482 + 154  # NOT APPLICABLE and '.'
    assert counts["missing longitude"] == counts["missing latitude"] == 610
    assert set(counts.index) <= {
        "missing quality",
        "missing longitude",
        "missing latitude",
        "longitude outside [-180, 180]",
        "latitude outside [-90, 90]",
    }
    assert counts.sum() >= report.n_rejected  # a row may have several reasons


@pytest.mark.slow
def test_za_area_read_where_given_and_derived_for_the_rest(za, shared_datasets):
    schools, report = za
    raw = pd.read_csv(
        shared_datasets / "za_schools_2017.csv", dtype=str, keep_default_na=False, index_col="emis"
    )
    given = raw.loc[schools.index, "urban_rural"]
    read = given != "."
    assert (schools.loc[read.to_numpy(), "area"] == given[read].str.lower()).all()
    n_derived = int((~read).sum())
    assert n_derived > 4000
    how = report.derived["area"]
    assert f"derived for {n_derived:,} of {len(schools):,} schools" in how
    assert "'urban_rural'" in how
    assert "density rule" in how


@pytest.mark.slow
def test_za_other_fields(za):
    schools, report = za
    assert schools.loc["200300002", "name"] == "A.M.BAM JP SCHOOL"
    assert set(schools["level"]) == {"primary", "secondary", "combined", "intermediate"}
    assert set(schools["quality"]) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert schools["students"].isna().sum() > 0  # '.' learners stay missing
    assert "education_district" in schools.columns
    assert "province" in schools.columns
    assert report.column_map["students"] == "learners"
    assert report.column_map["teachers"] == "educators"
    assert not schools["lead_candidate"].any()


@pytest.mark.slow
def test_beijing_gcj02_shift(beijing, shared_datasets):
    schools, report = beijing
    raw = pd.read_csv(shared_datasets / "beijing_primary_829.csv")
    assert len(schools) == 829
    assert report.n_rejected == 0
    assert_contract(schools)
    metres = Geod(ellps="WGS84").inv(
        raw["lon"], raw["lat"], schools.geometry.x, schools.geometry.y
    )[2]
    assert metres.min() > 100
    assert metres.max() < 1000
    assert int(schools["lead_candidate"].sum()) == 100
    assert schools["quality"].tolist() == raw["house_price"].tolist()
    assert "GCJ-02" in report.derived["geometry"]


@pytest.mark.slow
def test_beijing_gbk_with_chinese_headers_reads_identically(beijing, shared_datasets, tmp_path):
    raw = pd.read_csv(shared_datasets / "beijing_primary_829.csv", dtype=str)
    chinese = raw.rename(
        columns={
            "name": "学校名称",
            "lon": "经度",
            "lat": "纬度",
            "house_price": "得分",
            "key_school": "重点校",
        }
    )
    path = tmp_path / "beijing_gbk.csv"
    chinese.to_csv(path, index=False, encoding="gbk")
    schools, report = read_schools(path, coords="gcj02")
    assert_frame_equal(schools, beijing.schools)
    assert report.column_map["quality"] == "得分"


@pytest.mark.slow
def test_rereading_the_output_gives_it_back(beijing):
    schools, report = read_schools(beijing.schools)
    assert_frame_equal(schools, beijing.schools)
    assert report.n_rejected == 0
    assert "area" not in report.derived


# --------------------------------------------------------------------------- formats


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": ["A", "B", "C"],
            "name": ["一小", "二小", "Third"],
            "lon": [116.40, 116.41, 116.42],
            "lat": [39.90, 39.91, 39.92],
            "score": [80.0, 70.5, 60.0],
            "district": ["东城", "西城", "东城"],
        }
    )


@pytest.fixture
def expected() -> gpd.GeoDataFrame:
    schools, _ = read_schools(sample_frame())
    return schools


@pytest.mark.parametrize(
    ("encoding", "sep", "suffix"),
    [
        ("utf-8", ",", ".csv"),
        ("utf-8-sig", ",", ".csv"),
        ("gbk", ",", ".csv"),
        ("gb18030", ";", ".csv"),
        ("utf-8", "\t", ".tsv"),
        ("utf-8", ";", ".txt"),
        ("utf-16", "\t", ".txt"),
    ],
)
def test_text_encodings_and_delimiters(tmp_path, expected, encoding, sep, suffix):
    path = tmp_path / f"schools{suffix}"
    sample_frame().to_csv(path, sep=sep, index=False, encoding=encoding)
    schools, report = read_schools(path)
    assert_frame_equal(schools, expected)
    assert report.source == str(path)


def test_explicit_encoding(tmp_path):
    path = write(tmp_path, HEADER + "A,École Molière,2.35,48.85,1\n", encoding="latin-1")
    schools, _ = read_schools(path, encoding="latin-1")
    assert schools["name"].tolist() == ["École Molière"]
    with pytest.raises(InputError, match="cannot decode the file as ascii"):
        read_schools(path, encoding="ascii")


def test_gbk_fixture_with_chinese_values():
    schools, report = read_schools(DATA / "county_gbk.csv")
    assert_contract(schools)
    assert schools.loc["1001", "name"] == "城关第一小学"
    assert schools["area"].tolist() == ["urban", "urban", "rural", "urban", "rural", "urban"]
    assert schools["level"].tolist() == [
        "primary",
        "primary",
        "primary",
        "middle",
        "nine-year",
        "secondary",
    ]
    assert schools["lead_candidate"].tolist() == [True, False, False, True, False, True]
    assert schools["fixed_group"].iloc[0] == "一集团"
    assert schools["fixed_group"].isna().tolist() == [False, True, False, True, True, True]
    assert schools["students"].tolist() == [1200, 900, 300, 1500, 260, 2400]
    assert schools["教育局"].tolist() == ["县教育局"] * 6
    assert report.column_map["lead_candidate"] == "重点校"
    assert "area" not in report.derived


def test_excel_first_sheet_and_a_warning_about_the_others(tmp_path, expected):
    path = tmp_path / "schools.xlsx"
    with pd.ExcelWriter(path) as book:
        sample_frame().to_excel(book, sheet_name="2024", index=False)
        sample_frame().head(1).to_excel(book, sheet_name="old", index=False)
    schools, report = read_schools(path)
    assert_frame_equal(schools, expected)
    assert any("2 sheets" in w and "'old'" in w for w in report.warnings)
    assert len(read_schools(path, sheet="old").schools) == 1
    assert len(read_schools(path, sheet=1).schools) == 1
    assert len(read_schools(path, sheet="1").schools) == 1
    assert len(read_schools(path, sheet="2024").schools) == 3  # a name before a number
    with pytest.raises(InputError, match=r"no sheet 'new'.*'2024', 'old'"):
        read_schools(path, sheet="new")


def test_excel_numeric_ids_lose_the_decimal(tmp_path):
    frame = sample_frame().assign(school_id=[200300002.0, 200300003.0, 200300004.0])
    path = tmp_path / "schools.xlsx"
    frame.to_excel(path, index=False)
    schools, _ = read_schools(path)
    assert schools.index.tolist() == ["200300002", "200300003", "200300004"]


def to_geo(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    points = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


@pytest.mark.parametrize("name", ["schools.geojson", "schools.gpkg", "schools.shp"])
def test_vector_files_reprojected_to_wgs84(tmp_path, expected, name):
    path = tmp_path / name
    to_geo(sample_frame()).to_crs("EPSG:3857").to_file(path)
    schools, report = read_schools(path)
    assert_frame_equal(schools.drop(columns="geometry"), expected.drop(columns="geometry"))
    assert schools.geometry.geom_equals_exact(expected.geometry, tolerance=1e-7).all()
    assert any("reprojected" in w for w in report.warnings)
    assert report.column_map["geometry"] == "geometry"


def test_geopackage_with_several_layers(tmp_path):
    path = tmp_path / "schools.gpkg"
    to_geo(sample_frame()).to_file(path, layer="schools")
    to_geo(sample_frame().head(1)).to_file(path, layer="extra")
    schools, report = read_schools(path)
    assert len(schools) == 3
    assert any("2 layers" in w for w in report.warnings)
    assert len(read_schools(path, sheet="extra").schools) == 1


def test_geodataframe_with_polygons_and_missing_geometry():
    frame = to_geo(sample_frame())
    shapes = [box(116.39, 39.89, 116.41, 39.91), None, frame.geometry.iloc[2]]
    frame = frame.set_geometry(gpd.GeoSeries(shapes, crs="EPSG:4326"))
    schools, report = read_schools(frame)
    assert schools.index.tolist() == ["A", "C"]
    assert schools.geometry.iloc[0].within(box(116.39, 39.89, 116.41, 39.91))
    assert any("not points" in w for w in report.warnings)
    problem = report.rejected.iloc[0]
    assert (problem["row"], problem["column"], problem["reason"]) == (
        3,
        "geometry",
        "missing geometry",
    )


def test_geodataframe_without_crs_is_taken_as_wgs84(expected):
    frame = to_geo(sample_frame()).set_crs(None, allow_override=True)
    schools, report = read_schools(frame)
    assert_frame_equal(schools, expected)
    assert any("no coordinate reference system" in w for w in report.warnings)


def test_vector_file_with_lon_lat_columns_mapped_uses_them(tmp_path):
    frame = to_geo(sample_frame()).assign(x_gcj=[116.5, 116.6, 116.7], y_gcj=[39.0] * 3)
    schools, _ = read_schools(frame, columns={"lon": "x_gcj", "lat": "y_gcj"})
    assert schools.geometry.x.tolist() == [116.5, 116.6, 116.7]


def test_input_frame_is_not_mutated():
    frame = sample_frame().assign(score=["80", ".", "bad"])
    before = frame.copy(deep=True)
    read_schools(frame, coords="gcj02", higher_is_better=False)
    assert_frame_equal(frame, before)


# --------------------------------------------------------------------------- fields


def test_generated_ids_follow_spreadsheet_rows_across_blank_lines(tmp_path):
    text = "name,lon,lat,score\nA,116.40,39.90,1\n\nC,116.41,39.91,2\n,,,\nE,116.42,39.92,x\n"
    schools, report = read_schools(write(tmp_path, text))
    assert schools.index.tolist() == ["S00001", "S00003"]
    assert report.n_rows == 3
    assert report.rejected["row"].tolist() == [6]
    assert any("2 blank rows skipped" in w for w in report.warnings)
    assert "generated" in report.derived["school_id"]


def test_duplicate_ids_reject_later_rows_naming_the_first(tmp_path):
    text = HEADER + GOOD_ROWS + "A,Third,116.42,39.92,60\nA,Fourth,116.43,39.93,50\n"
    schools, report = read_schools(write(tmp_path, text))
    assert schools.index.tolist() == ["A", "B"]
    assert report.rejected["reason"].tolist() == ["duplicate school id; first at row 2"] * 2
    assert report.rejected["row"].tolist() == [4, 5]
    assert report.counts_by_reason().to_dict() == {"duplicate school id": 2}


def test_quality_lower_is_better_is_flipped_keeping_the_range(tmp_path):
    text = HEADER + "A,a,116.40,39.90,1\nB,b,116.41,39.91,3\nC,c,116.42,39.92,10\n"
    schools, report = read_schools(write(tmp_path, text), higher_is_better=False)
    assert schools["quality"].tolist() == [10.0, 8.0, 1.0]
    assert "min + max - x" in report.derived["quality"]


def test_counts_unreadable_are_missing_with_a_warning(tmp_path):
    text = (
        "name,lon,lat,score,students,teachers\nA,116.40,39.90,1,1200,80\n"
        "B,116.41,39.91,2,lots,.\nC,116.42,39.92,3,12.5,9\n"
    )
    schools, report = read_schools(write(tmp_path, text))
    assert schools["students"].tolist()[0] == 1200
    assert schools["students"].isna().tolist() == [False, True, True]
    assert schools["teachers"].isna().tolist() == [False, True, False]
    assert report.n_rejected == 0
    (note,) = [w for w in report.warnings if w.startswith("students")]
    assert "row 3: 'lots'" in note
    assert "row 4: '12.5'" in note


def test_lead_candidate_default_and_unreadable(tmp_path):
    schools, report = read_schools(write(tmp_path, HEADER + GOOD_ROWS))
    assert schools["lead_candidate"].tolist() == [False, False]
    assert "lead_candidate" in report.derived
    text = "name,lon,lat,score,龙头校\nA,116.40,39.90,1,是\nB,116.41,39.91,2,maybe\n"
    schools, report = read_schools(write(tmp_path, text))
    assert schools["lead_candidate"].tolist() == [True, False]
    assert any("lead_candidate" in w and "'maybe'" in w for w in report.warnings)


def test_unknown_area_values_are_an_error_until_mapped(tmp_path):
    # Was: unknown labels were derived by density with a warning (a silent guess).
    text = (
        "name,lon,lat,score,area\nA,116.40,39.90,1,Urban\nB,116.41,39.91,2,suburb\n"
        "C,116.42,39.92,3,.\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=r"'suburb' \(1 row, row 3\)"):
        read_schools(path)
    schools, report = read_schools(path, area_values={"Suburb": "urban"})
    assert schools["area"].tolist()[:2] == ["urban", "urban"]
    assert "derived for 1 of 3 schools" in report.derived["area"]  # '.' is missing
    assert report.mapped["area"] == (
        "column 'area' read through area_values: 'suburb' -> urban (1 row)."
    )


def test_coordinates_as_text_with_units(tmp_path):
    text = "name,lon,lat,score\nA,116.39°E,39.9 N,1\nB,116°23'24\"E,39°54'N,2\nC,39.9N,116.4E,3\n"
    schools, report = read_schools(write(tmp_path, text))
    assert schools.geometry.x.round(6).tolist() == [116.39, 116.39]
    assert schools.geometry.y.round(6).tolist() == [39.9, 39.9]
    assert set(report.rejected["reason"]) == {"longitude not understood", "latitude not understood"}


def test_extra_columns_kept_and_a_clashing_one_renamed(tmp_path):
    text = (
        "name,lon,lat,house_price,quality,education_district,code_text\n"
        "A,116.40,39.90,100,good,East,001\nB,116.41,39.91,90,poor,West,\n"
    )
    schools, report = read_schools(write(tmp_path, text), quality="house_price")
    assert schools["quality"].tolist() == [100.0, 90.0]
    assert schools["quality_input"].tolist() == ["good", "poor"]
    assert schools["education_district"].tolist() == ["East", "West"]
    assert schools["code_text"].iloc[0] == "001"  # was 1: extra columns stay text
    assert pd.isna(schools["code_text"].iloc[1])
    assert any("'quality_input'" in w for w in report.warnings)


def test_outside_china_with_gcj02_is_not_shifted_and_said(tmp_path):
    text = HEADER + "A,a,116.40,39.90,1\nB,b,2.35,48.85,2\n"
    schools, report = read_schools(write(tmp_path, text), coords="gcj02")
    assert schools.geometry.x.iloc[1] == 2.35
    assert any("1 schools lie outside China" in w for w in report.warnings)


# --------------------------------------------------------------------------- bad rows

BAD_ROWS = [
    # (rows after the header, coords, row, column, reason)
    ("A,a,,39.9,1", "wgs84", 2, "lon", "missing longitude"),
    ("A,a,116.4,NA,1", "wgs84", 2, "lat", "missing latitude"),
    ("A,a,east,39.9,1", "wgs84", 2, "lon", "longitude not understood"),
    ("A,a,116.4,39.9N°,1", "wgs84", 2, "lat", "latitude not understood"),
    ("A,a,0,0,1", "wgs84", 2, "lon, lat", "coordinates 0, 0 (a placeholder)"),
    ("A,a,200,39.9,1", "wgs84", 2, "lon", "longitude outside [-180, 180]"),
    ("A,a,120,95,1", "wgs84", 2, "lat", "latitude outside [-90, 90]"),
    ("A,a,28.1,-29609503,1", "wgs84", 2, "lat", "latitude outside [-90, 90]"),
    ("A,a,39.9,116.4,1", "wgs84", 2, "lon, lat", "latitude and longitude probably swapped"),
    ("A,a,39.9,80.1,1", "gcj02", 2, "lon, lat", "latitude and longitude probably swapped"),
    ("A,a,31.2,121.5,1", "bd09", 2, "lon, lat", "latitude and longitude probably swapped"),
    ("A,a,116.4,39.9,.", "wgs84", 2, "score", "missing quality"),
    ("A,a,116.4,39.9,", "wgs84", 2, "score", "missing quality"),
    ("A,a,116.4,39.9,good", "wgs84", 2, "score", "quality is not a number"),
    ("A,a,116.4,39.9,inf", "wgs84", 2, "score", "quality is not finite"),
    (",a,116.4,39.9,1", "wgs84", 2, "school_id", "missing school id"),
    ("A,-,116.4,39.9,1", "wgs84", 2, "name", "missing name"),
    (
        "B,b,116.4,39.9,1\nB,c,116.5,39.9,2",
        "wgs84",
        3,
        "school_id",
        "duplicate school id; first at row 3",
    ),
]


@pytest.mark.parametrize(("rows", "coords", "row", "column", "reason"), BAD_ROWS)
def test_bad_rows_are_reported_with_row_and_column(tmp_path, rows, coords, row, column, reason):
    path = write(tmp_path, HEADER + "Z,z,116.3,39.8,5\n" + rows + "\n")
    schools, report = read_schools(path, coords=coords)
    row += 1  # the good row above comes first
    problems = report.rejected[["row", "column", "reason"]].to_records(index=False).tolist()
    assert (row, column, reason) in problems
    assert report.n_rejected == 1
    assert len(schools) + report.n_rejected == report.n_rows
    assert f"row {row}, column {column!r}: {reason}" in report.to_text()


@pytest.mark.parametrize(("rows", "coords", "row", "column", "reason"), BAD_ROWS)
def test_strict_raises_naming_row_and_column(tmp_path, rows, coords, row, column, reason):
    path = write(tmp_path, HEADER + "Z,z,116.3,39.8,5\n" + rows + "\n")
    with pytest.raises(InputError) as err:
        read_schools(path, coords=coords, strict=True)
    assert f"row {row + 1}, column {column!r}: {reason}" in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "placeholder",
    ["-", "NA", "N/A", "null", "none", "#N/A", "无", "空", "NOT APPLICABLE", " "],
)
def test_placeholders_count_as_missing(tmp_path, placeholder):
    path = write(tmp_path, HEADER + GOOD_ROWS + f"C,c,116.4,39.9,{placeholder}\n")
    _, report = read_schools(path)
    assert report.rejected["reason"].tolist() == ["missing quality"]


def test_a_row_with_several_problems_is_listed_per_problem_counted_once(tmp_path):
    path = write(tmp_path, HEADER + GOOD_ROWS + "A,,.,.,x\n")
    schools, report = read_schools(path)
    assert report.rejected["row"].tolist() == [4] * 5
    assert set(report.rejected["column"]) == {"school_id", "name", "lon", "lat", "score"}
    assert report.n_rejected == 1
    assert len(schools) == 2
    assert report.n_rows == 3
    row = report.rejected.iloc[0]
    assert row["school_id"] == "A"
    assert pd.isna(row["name"])


def test_strict_lists_at_most_fifty_problems(tmp_path):
    rows = "".join(f"S{i},s,116.4,39.9,bad\n" for i in range(60))
    with pytest.raises(InputError, match=r"… and 10 more"):
        read_schools(write(tmp_path, HEADER + GOOD_ROWS + rows), strict=True)


def test_no_usable_row_is_an_error_with_the_reasons(tmp_path):
    path = write(tmp_path, HEADER + "A,a,116.4,39.9,x\nB,b,116.4,39.9,y\n")
    with pytest.raises(InputError, match=r"none of the 2 rows.*quality is not a number \(2\)"):
        read_schools(path)


# --------------------------------------------------------------------------- bad files


def test_missing_required_column_says_what_it_saw_and_how_to_map(tmp_path):
    path = write(tmp_path, "name,lon,lat,house_price\nA,116.4,39.9,1\n")
    with pytest.raises(InputError) as err:
        read_schools(path)
    text = str(err.value)
    assert str(path) in text
    assert "'house_price'" in text
    assert "columns={'quality': '<header>'}" in text
    assert "--column quality=<header>" in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\n\n  \n", "empty"),
        ("header.csv", HEADER.encode(), "no data rows"),
        ("header_blank.csv", (HEADER + ",,,,\n").encode(), "no data rows"),
        ("latin.csv", HEADER.encode() + b"A,\xff\xfe\xff,116.4,39.9,1\n", "UTF-8"),
        ("quotes.csv", (HEADER + 'A,"open,116.4,39.9,1\n').encode(), "row 2 opens a quote"),
        ("schools.docx", b"x", r"unknown file type '.docx'.*\.csv, \.txt"),
        ("schools.xls", b"x", r"unknown file type '.xls' \(the old Excel format.*\.xlsx"),
        ("fake.xlsx", b"not a zip", "cannot read the workbook"),
        ("fake.geojson", b"{not json", "cannot read the file as vector data"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        read_schools(path)
    assert name in str(err.value)


def test_file_that_does_not_exist(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv' does not exist"):
        read_schools(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_schools(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coords": "utm"}, "coords must be one of"),
        ({"columns": ["quality"]}, "columns must map"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        read_schools(write(tmp_path, HEADER + GOOD_ROWS), **kwargs)


def test_bad_source_types():
    with pytest.raises(InputError, match="got int"):
        read_schools(42)
    with pytest.raises(InputError, match="has no rows"):
        read_schools(pd.DataFrame({"name": []}))


# --------------------------------------------------------------------------- the report


def test_report_text_frame_and_counts(tmp_path):
    path = write(tmp_path, HEADER + GOOD_ROWS + "C,c,.,39.9,1\nD,d,116.4,39.9,x\n")
    _, report = read_schools(path)
    assert isinstance(report, ReadReport)
    text = report.to_text()
    for part in (
        str(path),
        "rows read: 4",
        "kept:      2",
        "rejected:  2",
        "missing longitude: 1",
        "row 4, column 'lon': missing longitude (value '.')",
        "Derived:",
        "Headers used:",
        "quality <- 'score'",
    ):
        assert part in text
    frame = report.to_frame()
    assert list(frame.columns) == [
        "source",
        "row",
        "school_id",
        "name",
        "column",
        "value",
        "reason",
    ]
    assert frame["source"].unique().tolist() == [str(path)]
    assert report.counts_by_reason().name == "rows"


def test_report_text_lists_the_first_ten_problems(tmp_path):
    rows = "".join(f"S{i},s,116.4,39.9,bad\n" for i in range(12))
    _, report = read_schools(write(tmp_path, HEADER + GOOD_ROWS + rows))
    text = report.to_text()
    assert "row 13, column 'score'" in text
    assert "row 14," not in text
    assert "… and 2 more" in text


def test_clean_report(tmp_path):
    _, report = read_schools(write(tmp_path, HEADER + GOOD_ROWS))
    assert report.n_rejected == 0
    assert report.rejected.empty
    assert list(report.rejected.columns) == [
        "row",
        "school_id",
        "name",
        "column",
        "value",
        "reason",
    ]
    assert report.counts_by_reason().empty
    assert "Rejected" not in report.to_text()


# --------------------------------------------------------------------------- invariants

cells = st.sampled_from(
    [
        "",
        ".",
        "NA",
        "x",
        "0",
        "1",
        "39.9",
        "116.4",
        "-95",
        "200",
        "1e9",
        "39.9 N",
        "116.4°E",
        "A",
        "B",
        "是",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(cells, cells, cells, cells, cells), min_size=1, max_size=12))
def test_every_row_is_kept_or_rejected(rows):
    frame = pd.DataFrame(rows, columns=["school_id", "name", "lon", "lat", "score"])
    before = frame.copy(deep=True)
    try:
        schools, report = read_schools(frame)
    except InputError as err:
        error = str(err)
    else:
        error = None
    if error is not None:  # every row unusable: said so, not a crash
        assert "none of the" in error
        return
    assert len(schools) + report.n_rejected == report.n_rows == len(frame)
    assert set(report.rejected["row"]) <= set(range(2, len(frame) + 2))
    assert set(schools.index) <= set(frame["school_id"])
    assert_contract(schools)
    assert_frame_equal(frame, before)


def test_semicolon_file_with_decimal_commas(tmp_path):
    text = "name;lon;lat;score\nA;116,391;39,907;1,234\nB;116,402;39,913;88,5\n"
    schools, report = read_schools(write(tmp_path, text))
    assert schools.geometry.x.tolist() == [116.391, 116.402]
    assert schools.geometry.y.tolist() == [39.907, 39.913]
    assert schools["quality"].tolist() == [1234.0, 88.5]  # a thousands comma where one fits
    assert report.n_rejected == 0


def test_frame_with_repeated_or_numbered_columns():
    frame = pd.DataFrame([["A", 116.4, 39.9, 1]], columns=["name", "lon", "lat", "score"])
    with pytest.raises(InputError, match=r"repeated column names \['lon'\]"):
        read_schools(frame.set_axis(["name", "lon", "lon", "score"], axis=1))
    numbered = frame.assign(**{"7": "extra"}).rename(columns={"7": 7})
    schools, _ = read_schools(numbered)
    assert schools["7"].tolist() == ["extra"]


def test_vector_file_without_shapes_uses_lon_lat_columns(tmp_path):
    path = tmp_path / "table.geojson"
    features = ",".join(
        f'{{"type": "Feature", "geometry": null, "properties": {{"name": "{n}", '
        f'"lon": {x}, "lat": 39.9, "score": 1}}}}'
        for n, x in (("a", 116.4), ("b", 116.5))
    )
    path.write_text(f'{{"type": "FeatureCollection", "features": [{features}]}}', "utf-8")
    schools, report = read_schools(path)
    assert schools.geometry.x.tolist() == [116.4, 116.5]
    assert "geometry" not in report.column_map
    assert list(schools.columns) == [*CONTRACT_COLUMNS, "geometry"]


@pytest.mark.parametrize("coords", ["gcj02", "bd09"])
def test_chinese_web_map_coordinates_are_brought_back_to_wgs84(coords):
    from geogroup.read._coords import wgs84_to_bd09, wgs84_to_gcj02

    forward = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}[coords]
    truth = sample_frame()
    lon, lat = forward(truth["lon"].to_numpy(), truth["lat"].to_numpy())
    schools, report = read_schools(truth.assign(lon=lon, lat=lat), coords=coords)
    metres = Geod(ellps="WGS84").inv(
        truth["lon"], truth["lat"], schools.geometry.x, schools.geometry.y
    )[2]
    assert metres.max() < 0.01
    assert coords.upper().replace("0", "-0") in report.derived["geometry"]


# --------------------------------------------------------------------------- where the header is


def test_title_rows_above_the_header_are_skipped_and_rows_keep_their_numbers(tmp_path):
    text = "某某县中小学名单,,,,\n(2024年),,,,\n" + HEADER + GOOD_ROWS + "C,c,.,39.9,1\n"
    schools, report = read_schools(write(tmp_path, text))
    assert schools.index.tolist() == ["A", "B"]
    assert report.rejected[["row", "column"]].values.tolist() == [[6, "lon"]]
    assert any("header is on row 3" in w and "某某县中小学名单" in w for w in report.warnings)


def test_pipe_delimited_file(tmp_path, expected):
    path = tmp_path / "schools.txt"
    sample_frame().to_csv(path, sep="|", index=False)
    schools, _ = read_schools(path)
    assert_frame_equal(schools, expected)


def test_explicit_encoding_reads_utf16_without_a_byte_order_mark(tmp_path):
    path = write(tmp_path, HEADER + "A,城关一小,116.4,39.9,1\n", encoding="utf-16-le")
    with pytest.raises(InputError, match="zero byte"):
        read_schools(path)
    schools, _ = read_schools(path, encoding="utf-16-le")
    assert schools["name"].tolist() == ["城关一小"]


def test_bad_byte_is_placed_across_decoding_chunks():
    from geogroup.read._encoding import first_bad_byte

    chinese = "学".encode()  # three bytes: chunks of four cut every other character
    assert first_bad_byte(chinese * 5, "utf-8", chunk=4) is None
    assert first_bad_byte(chinese * 3 + b"\xff" + chinese, "utf-8", chunk=4) == 9
    assert first_bad_byte(chinese * 3 + chinese[:2], "utf-8", chunk=4) == 9  # cut at the end


def test_undecodable_row_is_named_in_a_large_file(tmp_path):
    rows = "".join(f"S{i},学校{i},116.4,39.9,1\n" for i in range(40_000))  # > 1 MiB
    data = (HEADER + rows).encode() + b"S,\xff,116.4,39.9,1\n"
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"row 40002 has byte 0xff"):
        read_schools(path, encoding="utf-8")


def test_a_genuine_gbk_file_gets_no_encoding_warning():
    _, report = read_schools(DATA / "county_gbk.csv")
    assert not any("GB2312" in w or "encodings" in w for w in report.warnings)


def test_excel_row_numbers_follow_the_sheet_below_a_title(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["县中小学名单"])
    sheet.merge_cells("A1:E1")
    sheet.append(["school_id", "name", "lon", "lat", "score"])
    sheet.append(["A", "a", 116.4, 39.9, 1])
    sheet.append([None] * 5)
    sheet.append(["B", "b", 116.5, 39.9, "x"])
    path = tmp_path / "titled.xlsx"
    book.save(path)
    schools, report = read_schools(path)
    assert schools.index.tolist() == ["A"]
    assert report.rejected[["row", "reason"]].values.tolist() == [[5, "quality is not a number"]]


# --------------------------------------------------------------------------- where the schools are


def test_study_area_as_box_polygon_or_file(tmp_path):
    text = HEADER + GOOD_ROWS + "C,c,118.0,39.9,1\n"
    path = write(tmp_path, text)
    area = box(116.0, 39.5, 117.0, 40.5)
    frame = gpd.GeoDataFrame(geometry=[area], crs="EPSG:4326")
    frame.to_crs("EPSG:3857").to_file(tmp_path / "county.gpkg")
    for study_area in ((116.0, 39.5, 117.0, 40.5), area, frame, tmp_path / "county.gpkg"):
        schools, report = read_schools(path, study_area=study_area)
        assert schools.index.tolist() == ["A", "B"]
        assert report.rejected["reason"].tolist() == ["outside the study area"]


@pytest.mark.parametrize(
    ("study_area", "message"),
    [
        ((117.0, 39.5, 116.0, 40.5), "min_lon 117 is greater than max_lon 116"),
        ((116.0, 39.5, 117.0), "four numbers"),
        ((116.0, -95.0, 117.0, 40.0), r"lat -95..40 is outside \[-90, 90\]"),
        ("no/such/area.gpkg", "study_area: file 'no/such/area.gpkg' does not exist"),
    ],
)
def test_bad_study_area(tmp_path, study_area, message):
    with pytest.raises(InputError, match=message):
        read_schools(write(tmp_path, HEADER + GOOD_ROWS), study_area=study_area)


def test_a_compact_county_has_no_far_points_and_a_study_area_replaces_the_rule(tmp_path):
    rng = np.random.default_rng(3)
    lon, lat = 116.0 + rng.uniform(0, 0.6, 50), 39.6 + rng.uniform(0, 0.5, 50)
    frame = pd.DataFrame(
        {
            "name": [f"s{i}" for i in range(50)],
            "lon": lon,
            "lat": lat,
            "score": rng.uniform(50, 90, 50),
        }
    )
    assert read_schools(frame).report.flagged.empty
    stray = pd.concat(
        [frame, pd.DataFrame({"name": ["typo"], "lon": [126.3], "lat": [39.9], "score": [70.0]})],
        ignore_index=True,
    )
    _, report = read_schools(stray)
    assert report.flagged["row"].tolist() == [52]
    _, report = read_schools(stray, study_area=(115.0, 39.0, 127.0, 41.0))
    assert report.flagged.empty and report.n_rejected == 0


def test_two_schools_may_share_a_point(tmp_path):
    text = HEADER + "A,一小,116.40,39.90,80\nB,一中,116.40,39.90,70\nC,c,116.45,39.95,60\n"
    schools, report = read_schools(write(tmp_path, text))
    assert len(schools) == 3 and report.flagged.empty


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"far_points": "drop"}, "far_points must be 'flag' or 'reject'"),
        ({"encoding": "utf-9"}, "unknown encoding 'utf-9'"),
    ],
)
def test_more_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        read_schools(write(tmp_path, HEADER + GOOD_ROWS), **kwargs)


@pytest.mark.slow
def test_a_100_mb_school_list_reads_whole(tmp_path):
    """About 1.6 million rows: every row kept, the density rule and the checks included,
    in seconds (about 14 s and 1.6 GB on a 2-core machine at the time of writing)."""
    import time

    n = 1_600_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "school_id": np.char.add("S", np.arange(n).astype(str)),
            "name": np.char.add("第", np.char.add(np.arange(n).astype(str), "实验小学")),
            "lon": np.round(100 + rng.uniform(0, 20, n), 6),
            "lat": np.round(25 + rng.uniform(0, 15, n), 6),
            "score": np.round(rng.uniform(40, 99, n), 1),
            "district": "某某县",
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    assert path.stat().st_size > 100e6
    started = time.perf_counter()
    schools, report = read_schools(path)
    seconds = time.perf_counter() - started
    assert len(schools) == report.n_rows == n
    assert schools.index[-1] == f"S{n - 1}"
    assert seconds < 90, f"{seconds:.0f} s"
