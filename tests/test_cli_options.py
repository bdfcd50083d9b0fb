"""The options of the commands that read a school list: --encoding, --area-values, '-' for
standard input, a policy file with a BOM, checked option values, and the hint that
repeats the user's options so that it runs as printed."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import geogroup.read
from geogroup.cli import main

SCHOOLS = (
    "name,lon,lat,house_price,area\n"
    "Sekolah A,101.70,3.15,90,urban\n"
    "Sekolah B,101.71,3.15,60,rural\n"
    "Sekolah C,101.70,3.16,50,rural\n"
    "Sekolah D,101.72,3.15,85,urban\n"
    "Sekolah E,101.73,3.15,55,rural\n"
    "Sekolah F,101.72,3.16,65,rural\n"
    "Sekolah G,101.72,3.17,not a number,rural\n"
)
# The same in Malaysia's words, which only --area-values explains.
MALAY = SCHOOLS.replace(",urban\n", ",Bandar\n").replace(",rural\n", ",Luar Bandar\n")
POLICY = "[policy]\nname = 'toy'\nmembers = [2, 2]\nleads = 'top:0.34'\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def schools(tmp_path: Path) -> str:
    """Seven schools whose quality header needs --column; the last row is unusable; the
    folder name has a space, so that a hint must quote it."""
    path = tmp_path / "county list" / "my schools.csv"
    path.parent.mkdir()
    path.write_text(SCHOOLS, encoding="utf-8")
    return str(path)


@pytest.fixture
def malay(tmp_path: Path) -> str:
    path = tmp_path / "sekolah.csv"
    path.write_text(MALAY, encoding="utf-8")
    return str(path)


@pytest.fixture
def policy(tmp_path: Path) -> str:
    path = tmp_path / "toy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The keyword arguments the command passes to read_schools (which still runs)."""
    seen: dict = {}
    real = geogroup.read.read_schools

    def reading(source, **kwargs):
        seen.update(kwargs, source=source)
        return real(source, **kwargs)

    monkeypatch.setattr(geogroup.read, "read_schools", reading)
    return seen


# -- --encoding ------------------------------------------------------------------------------


def test_encoding_reaches_the_reader_and_decides_the_text(runner, tmp_path, spy):
    # Latin-1 whose 'é' and the next letter also make a GBK character: only the named
    # encoding reads the names right (the repeated name is quoted by the report).
    path = tmp_path / "ecoles.csv"
    text = "name,lon,lat,score\nLycée Pasteur,2.35,48.85,1\nLycée Pasteur,2.36,48.86,2\n"
    path.write_bytes(text.encode("latin-1"))
    result = runner.invoke(main, ["check", str(path), "--encoding", "latin-1"])
    assert result.exit_code == 0, result.output
    assert spy["encoding"] == "latin-1" and "'Lycée Pasteur'" in result.stdout


@pytest.mark.parametrize("command", ["check", "propose"])
def test_an_unknown_encoding_is_bad_usage(runner, schools, policy, tmp_path, command):
    extra = ["--policy", policy, "--out", str(tmp_path / "o")] if command == "propose" else []
    result = runner.invoke(main, [command, schools, *extra, "--encoding", "klingon"])
    assert result.exit_code == 2
    assert "--encoding" in result.stderr and "unknown encoding 'klingon'" in result.stderr


# -- --area-values ---------------------------------------------------------------------------


def test_area_values_reach_the_reader_as_a_mapping(runner, malay, spy):
    args = ["check", malay, "--column", "quality=house_price"]
    result = runner.invoke(main, [*args, "--area-values", "Bandar=urban, Luar Bandar=RURAL"])
    assert result.exit_code == 0, result.output
    assert spy["area_values"] == {"Bandar": "urban", "Luar Bandar": "rural"}
    assert "'Luar Bandar'" in result.stdout  # the reader says how it read the column


def test_area_values_given_twice_are_merged(runner, malay, spy):
    args = ["check", malay, "--column", "quality=house_price"]
    args += ["--area-values", "Bandar=urban", "--area-values", "Luar Bandar=rural"]
    assert runner.invoke(main, args).exit_code == 0
    assert spy["area_values"] == {"Bandar": "urban", "Luar Bandar": "rural"}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Bandar", "expected VALUE=urban or VALUE=rural"),
        ("=urban", "expected VALUE=urban or VALUE=rural"),
        ("Bandar=city", "'Bandar' is mapped to 'city'; map each value to urban or rural"),
        ("Bandar=urban,Bandar=rural", "'Bandar' is mapped to both urban and rural"),
    ],
)
def test_malformed_area_values_are_bad_usage(runner, schools, value, words):
    result = runner.invoke(main, ["check", schools, "--area-values", value])
    assert result.exit_code == 2
    assert "--area-values" in result.stderr and words in result.stderr


# -- standard input --------------------------------------------------------------------------


def test_a_dash_reads_the_school_list_from_standard_input(runner, policy, tmp_path):
    checked = runner.invoke(main, ["check", "-", "--column", "quality=house_price"], input=SCHOOLS)
    assert checked.exit_code == 0, checked.output
    assert "rows read: 7" in checked.stdout
    out = tmp_path / "o"
    args = ["propose", "-", "--policy", policy, "--column", "quality=house_price"]
    proposed = runner.invoke(main, [*args, "--out", str(out)], input=SCHOOLS)
    assert proposed.exit_code == 0, proposed.output
    assert (out / "plan.csv").is_file()
    # the hint cannot name a file: it says to give the same input again
    assert "(with the same standard input)" in proposed.stderr


# -- the policy file -------------------------------------------------------------------------


def test_a_policy_file_with_a_utf8_bom_loads(runner, schools, tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + POLICY.encode("utf-8"))
    args = ["propose", schools, "--policy", str(path), "--column", "quality=house_price"]
    result = runner.invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "under 'toy'" in result.stdout


# -- option values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--seed", "-1", "-1 is not in the range 0<=x<=4294967295"),
        ("--seed", "4294967296", "not in the range"),
        ("--seed", "1.5", "'1.5' is not a valid integer"),
        ("--time-limit", "0", "expected a number of seconds > 0, got '0'"),
        ("--time-limit", "-5", "expected a number of seconds > 0"),
        ("--time-limit", "nan", "expected a number of seconds > 0, got 'nan'"),
        ("--time-limit", "inf", "expected a number of seconds > 0, got 'inf'"),
        ("--time-limit", "soon", "expected a number of seconds, got 'soon'"),
        ("--jobs", "100000", "100,000 processes on a machine of"),
    ],
)
def test_out_of_range_numbers_are_bad_usage(
    runner, schools, policy, tmp_path, option, value, words
):
    out = tmp_path / "o"
    result = runner.invoke(
        main, ["propose", schools, "--policy", policy, option, value, "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert option in result.stderr and words in result.stderr
    assert "Internal error" not in result.output and not out.exists()


def test_the_largest_seed_runs(runner, schools, policy, tmp_path):
    args = ["propose", schools, "--policy", policy, "--column", "quality=house_price"]
    result = runner.invoke(main, [*args, "--seed", "4294967295", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output


# -- the check hint --------------------------------------------------------------------------


def _hint(stderr: str) -> str:
    found = re.search(r"\((geogroup check .*) shows them\)", stderr)
    assert found, stderr
    return found.group(1)


def test_the_check_hint_repeats_the_read_options_and_runs_as_printed(
    runner, malay, policy, tmp_path
):
    schools = str(Path(malay).rename(Path(malay).parent / "my schools.csv"))
    options = ["--column", "quality=house_price", "--area-values", "Bandar=urban,Luar Bandar=rural"]
    options += ["--lower-is-better", "--encoding", "utf-8", "--crs", "gcj02"]
    result = runner.invoke(
        main, ["propose", schools, "--policy", policy, *options, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    hint = _hint(result.stderr)
    assert hint == shlex.join(["geogroup", "check", schools, *options]) or set(
        shlex.split(hint)
    ) == {"geogroup", "check", schools, *options}
    assert shlex.quote(schools) in hint and "--seed" not in hint and "--policy" not in hint
    again = runner.invoke(main, shlex.split(hint)[1:])
    assert again.exit_code == 0, again.output
    assert "rejected:  1" in again.stdout and "'not a number'" in again.stdout


def test_the_check_hint_without_read_options_is_the_plain_command(runner, tmp_path, policy):
    path = tmp_path / "schools.csv"
    path.write_text(SCHOOLS.replace("house_price", "quality"), encoding="utf-8")
    result = runner.invoke(main, ["propose", str(path), "--policy", policy, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert _hint(result.stderr) == f"geogroup check {path}"


def test_an_empty_header_leaves_that_column_out(runner, malay, spy):
    # what the reader advises for an area column that is not urban/rural at all
    result = runner.invoke(
        main, ["check", malay, "--column", "quality=house_price", "--column", "area="]
    )
    assert result.exit_code == 0, result.output
    assert spy["columns"] == {"quality": "house_price", "area": None}
