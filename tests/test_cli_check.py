"""Tests of ``geogroup check``: read a school list and print the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogroup.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.slow
def test_check_za_prints_the_report(runner, shared_datasets):
    path = shared_datasets / "za_schools_2017.csv"
    result = runner.invoke(
        main, ["check", str(path), "--column", "quality=quintile", "--id-column", "emis"]
    )
    assert result.exit_code == 0, result.output
    assert "rows read: 24,813" in result.stdout
    assert "missing quality: 1,636" in result.stdout
    assert "area: derived for" in result.stdout
    assert result.stderr == ""


def test_check_beijing_with_mapping_and_crs(runner, shared_datasets):
    path = shared_datasets / "beijing_primary_829.csv"
    result = runner.invoke(
        main,
        [
            "check",
            str(path),
            "--crs",
            "gcj02",
            "--column",
            "quality=house_price",
            "--column",
            "lead_candidate=key_school",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "kept:      829" in result.stdout
    assert "GCJ-02" in result.stdout


def test_check_missing_column_is_an_error_without_traceback(runner, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("name,lon,lat,house_price\nA,116.4,39.9,1\n", encoding="utf-8")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "--column quality=<header>" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_check_strict_fails_on_a_bad_row(runner, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("name,lon,lat,score\nA,116.4,39.9,1\nB,.,39.9,2\n", encoding="utf-8")
    assert runner.invoke(main, ["check", str(path)]).exit_code == 0
    result = runner.invoke(main, ["check", str(path), "--strict"])
    assert result.exit_code == 1
    assert "row 3, column 'lon': missing longitude" in result.stderr


def test_check_lower_is_better_and_sheet_options_reach_the_reader(runner, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("name,lon,lat,rank\nA,116.4,39.9,1\nB,116.5,39.9,3\n", encoding="utf-8")
    result = runner.invoke(
        main, ["check", str(path), "--column", "quality=rank", "--lower-is-better"]
    )
    assert result.exit_code == 0
    assert "min + max - x" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--crs", "utm"],
        ["--column", "quality"],
        ["--no-such-option"],
    ],
)
def test_check_bad_options_exit_2(runner, tmp_path, args):
    path = tmp_path / "schools.csv"
    path.write_text("name,lon,lat,score\nA,116.4,39.9,1\n", encoding="utf-8")
    result = runner.invoke(main, ["check", str(path), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_check_missing_file_exits_2(runner, tmp_path: Path):
    result = runner.invoke(main, ["check", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_check_reads_the_sheet_asked_for_and_names_its_rows(runner, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["school_id", "name", "lon", "lat", "score"])
    book.active.append(["A", "a", 116.4, 39.9, 1])
    other = book.create_sheet("2023")
    other.append(["2023年名单"])
    other.append(["school_id", "name", "lon", "lat", "score"])
    other.append(["B", "b", 116.5, 39.9, "?"])
    other.append(["C", "c", 116.6, 39.9, 2])
    path = tmp_path / "schools.xlsx"
    book.save(path)
    result = runner.invoke(main, ["check", str(path), "--sheet", "1"])
    assert result.exit_code == 0, result.output
    assert "[sheet '2023']" in result.stdout
    assert "row 3, column 'score': quality is not a number (value '?')" in result.stdout
    assert "the header is on row 2" in result.stdout
