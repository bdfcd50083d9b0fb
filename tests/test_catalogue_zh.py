"""Every error of the bad-input catalogue (tests/bad_inputs/catalogue.toml) said in Chinese:
a planner on a Chinese system who feeds `geogroup` a broken file reads what is wrong, where
and what to do in Chinese, with every number of the English message (rows, bytes, counts)
kept, and nothing in English but names: the file's own headers and values (quoted), policy
fields, the headers recognised without help, options and the names of file formats."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from geogroup.cli import main
from geogroup.policy import Policy
from geogroup.read._headers import HEADER_ALIASES
from tests.test_catalogue import CASES, ERRORS, HERE, cli_arguments, materialise
from tests.test_cli_lang import NUMBER, _english_left

# Names a Chinese message may hold as they are: file formats and encodings, Python's words in
# a code example, policy fields and the headers recognised without help.
FORMATS = {"CSV", "UTF", "GBK", "BOM", "NUL", "Excel", "Python", "None", "MiB", "PDF", "Office"}
FORMATS |= {"Latin", "Windows", "Big", "Shift", "JIS", "xlsx", "xls", "zip", "csv", "utf"}
FORMATS |= {"GDAL", "Shapefile", "cpg", "Ctrl", "End", "WGS", "Dask", "tcp"}
NAMES = frozenset(
    FORMATS
    | {f.name for f in dataclasses.fields(Policy)}
    | {alias for aliases in HEADER_ALIASES.values() for alias in aliases}
    | set(HEADER_ALIASES)
)
# The school fields a report names as they are (``name ← '学校名称'``), and the two areas.
FIELDS = {"name", "quality", "lon", "lat", "area", "level", "students", "teachers", "geometry"}
FIELDS |= {"urban", "rural"}
OPTION = re.compile(r"--[\w-]+")


def error_cases() -> list[Any]:
    return [
        pytest.param(case, id=case["id"])
        for case in CASES
        if case["expect"] in ERRORS
        and case.get("cli", True)
        and not (case.get("xfail") or case.get("cli_xfail"))
    ]


def _run(case: dict[str, Any], path: Path, out: Path, lang: str) -> list[str]:
    """What the command says on standard error, the file's path taken out."""
    result = CliRunner().invoke(main, [*cli_arguments(case, path, out), "--lang", lang])
    assert result.exit_code == 1, result.output
    return [line.replace(str(path.parent), "") for line in result.stderr.splitlines()]


@pytest.mark.parametrize("case", error_cases())
def test_the_error_reads_in_chinese(case, tmp_path):
    path = materialise(case, tmp_path)
    chinese = _run(case, path, tmp_path / "out", "zh")
    english = _run(case, path, tmp_path / "out", "en")
    assert chinese[-1].startswith("错误："), chinese
    assert len(chinese) == len(english), (chinese, english)  # the warnings before it too
    allowed = NAMES | set(re.findall(r"[A-Za-z]{3,}", path.name))
    for zh, en in zip(chinese, english, strict=True):
        left = _english_left(OPTION.sub(" ", zh), allowed)
        assert not left, f"{sorted(left)} left in {zh!r}"
        lost = Counter(NUMBER.findall(en)) - Counter(NUMBER.findall(zh))
        assert not lost, f"numbers {sorted(lost)} of {en!r} lost in {zh!r}"


def report_cases() -> list[Any]:
    return [
        pytest.param(case, id=case["id"])
        for case in CASES
        if case["expect"] not in ERRORS
        and case.get("cli", True)
        and not (case.get("xfail") or case.get("cli_xfail"))
    ]


@pytest.mark.parametrize("case", report_cases())
def test_the_read_report_reads_in_chinese(case, tmp_path):
    # `geogroup check` on a file it reads: every line of the report (rows rejected and
    # flagged with their reasons, fields derived, values mapped, warnings) in Chinese.
    said = {}
    for lang in ("zh", "en"):
        folder = tmp_path / lang
        folder.mkdir()
        path = materialise(case, folder)  # a named pipe is read once: one for each run
        args = [*cli_arguments(case, path, folder / "out"), "--lang", lang]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        said[lang] = [line.replace(str(path), "") for line in result.output.splitlines()]
    assert len(said["zh"]) == len(said["en"])
    allowed = NAMES | set(re.findall(r"[A-Za-z]{3,}", path.name)) | FIELDS
    for zh, en in zip(said["zh"], said["en"], strict=True):
        left = _english_left(OPTION.sub(" ", zh), allowed)
        assert not left, f"{sorted(left)} left in {zh!r}"
        lost = Counter(NUMBER.findall(en)) - Counter(NUMBER.findall(zh))
        assert not lost, f"numbers {sorted(lost)} of {en!r} lost in {zh!r}"


# A policy file with a wrong value: one case for each problem the policy checks name.
BAD_POLICIES = [
    {"members": [3, 1]},
    {"members": [-1, 2]},
    {"members": "x"},
    {"max_distance_km": -3},
    {"max_distance_km": 0},
    {"max_distance_km": "x"},
    {"max_travel_min": 0},
    {"balance_weight": -1},
    {"leads": "top:2"},
    {"leads": "foo"},
    {"leads": "column:x or foo"},
    {"leads": 3},
    {"leads": []},
    {"weak_share": 1.5},
    {"min_weak_share": 2},
    {"min_weak_per_group": -1},
    {"levels": "x"},
    {"pair_urban_rural": "yes"},
    {"n_groups": 0},
    {"n_groups": "x"},
    {"sectors": 40},
    {"group_students": [5, 1]},
    {"capacity_column": 3},
    {"exchange_rate": 2},
    {"leads_from": "x"},
    {"centre": [500, 1]},
    {"join_levels": "x"},  # not a table: refused, not a crash
    {"members": [3, 1], "weak_share": 2},  # two problems: both said
]


@pytest.mark.parametrize("values", BAD_POLICIES, ids=lambda v: ",".join(v))
def test_every_policy_problem_reads_in_chinese(values, tmp_path):
    path = tmp_path / "p.toml"
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(["[policy]", *lines]) + "\n", encoding="utf-8")
    schools = str(HERE / "five_schools.csv")
    args = ["propose", schools, "--policy", str(path), "--out", str(tmp_path / "out")]
    said = {}
    for lang in ("zh", "en"):
        result = CliRunner().invoke(main, [*args, "--lang", lang])
        assert result.exit_code == 1, result.output
        said[lang] = result.stderr.strip().replace(str(path), "")
    assert said["zh"].startswith("错误："), said["zh"]
    # TOML's words and the level names of an example table are written as in the file
    left = _english_left(said["zh"], NAMES | {"toml", "true", "false", "nine", "year", "middle"})
    assert not left, f"{sorted(left)} left in {said['zh']!r}"
    lost = Counter(NUMBER.findall(said["en"])) - Counter(NUMBER.findall(said["zh"]))
    assert not lost, f"numbers {sorted(lost)} of {said['en']!r} lost in {said['zh']!r}"


# A mistyped command line: an option's value, a column, a field, a box.
MISTYPED = [
    ("propose", "--by", "区县"),
    ("propose", "--column", "foo=bar"),
    ("propose", "--column", "quality=scor"),
    ("check", "--study-area", "1,2,3"),
    ("check", "--study-area", "200,2,3,4"),
    ("check", "--study-area", "1,2,300,4"),
    ("check", "--study-area", "nope.gpkg"),
    ("propose", "--lock", "nope.csv"),
    ("scenarios", "--weights", "a,b"),
    ("propose", "--seed", "x"),
    ("propose", "--scheduler", "x"),
]


@pytest.mark.parametrize("words", MISTYPED, ids=lambda w: " ".join(w[1:]))
def test_a_mistyped_command_is_refused_in_chinese(words, tmp_path):
    command, *option = words
    args = [command, str(HERE / "five_schools.csv"), *option]
    if command != "check":
        args += ["--policy", "shandong", "--out", str(tmp_path / "out")]
    said = {}
    for lang in ("zh", "en"):
        result = CliRunner().invoke(main, [*args, "--lang", lang])
        assert result.exit_code in (1, 2), result.output
        said[lang] = result.stderr.strip().splitlines()[-1].replace(str(HERE), "")
    assert said["zh"].startswith("错误："), said["zh"]
    left = _english_left(
        OPTION.sub(" ", said["zh"]), NAMES | FIELDS | {"MINLON", "MINLAT", "MAXLON", "MAXLAT"}
    )
    assert not left, f"{sorted(left)} left in {said['zh']!r}"
    lost = Counter(NUMBER.findall(said["en"])) - Counter(NUMBER.findall(said["zh"]))
    assert not lost, f"numbers {sorted(lost)} of {said['en']!r} lost in {said['zh']!r}"


def test_a_box_of_three_numbers_is_not_taken_for_a_missing_file():
    args = ["check", str(HERE / "five_schools.csv"), "--study-area", "1,2,3", "--lang", "en"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "neither a box of four numbers" in result.stderr, result.stderr
