"""What the command prints: no control character or escape sequence from the data reaches
the terminal, an error is one line, and tables line up in a terminal."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from click.testing import CliRunner

import geogroup.group
import geogroup.plan
import geogroup.policy
from geogroup.cli import main
from geogroup.cli._text import printable, table, width
from geogroup.errors import PolicyError

ESC = "\x1b"
EVIL = "\x1b[2J\x1b[31mRed\x1b[0m \x1b]0;title\x07\x1b]8;;http://x\x1b\\link\x1b(B\r\x9b1;1H\x00\x7f\x85"
CONTROLS = set(map(chr, [*range(0, 9), *range(11, 32), *range(0x7F, 0xA0)]))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _clean(text: str) -> bool:
    return not CONTROLS & set(text)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # colours (CSI)
        ("a\x1b[2Jb\x1b[1;1Hc", "abc"),  # clear the screen, move the cursor
        ("\x1b]0;title\x07name", "name"),  # window title (OSC ended by BEL)
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),  # hyperlink (OSC ended by ST)
        ("\x9b31mC1\x9b0m", "C1"),  # the one-byte CSI
        ("a\x1b(Bb\x1bc", "ab"),  # charset; reset
        ("over\rwrite", "overwrite"),  # a CR returns to the start of the line
        ("nul\x00del\x7fnel\x85", "nuldelnel"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),  # kept
        ("城关一小 🙂 École", "城关一小 🙂 École"),
        ("\x1b]0;unterminated\nnext line", "\nnext line"),  # never past its line
    ],
)
def test_printable_removes_controls_and_whole_escape_sequences(raw, shown):
    assert printable(raw) == shown


def test_printable_on_one_line_folds_white_space():
    assert printable(" a\tb\n\nc \r", one_line=True) == "a b c"


def test_a_table_lines_up_wide_characters_and_cuts_long_cells():
    lines = table(["name", "id"], [["海城市第一小学", "S1"], ["x" * 50, "S22"], [None, "S3"]])
    # the id column starts at the same terminal column on every line: 32 + 2
    starts = [
        width(line[: line.rindex(tail)])
        for line, tail in zip(lines, ["id", "---", "S1", "S22", "S3"], strict=True)
    ]
    assert starts == [34] * 5
    assert lines[1] == "-" * 32 + "  ---"
    assert lines[3].startswith("x" * 31 + "…") and lines[4].startswith("—  ")


# -- through the command ---------------------------------------------------------------------


def _plan(path: Path, name: str, group: str) -> str:
    path.write_text(
        "school_id,name,lon,lat,quality,area,level,group_id,role\n"
        f'L1,"{name}",122.50,40.85,90,urban,primary,"{group}",lead\n'
        "M1,b,122.51,40.85,60,urban,primary,G2,member\n"
        "M2,c,122.50,40.86,50,rural,primary,G2,member\n",
        encoding="utf-8",
    )
    return str(path)


def test_evaluate_prints_group_ids_and_details_without_escapes(runner, tmp_path):
    plan = _plan(tmp_path / "plan.csv", EVIL, EVIL)
    result = runner.invoke(main, ["evaluate", plan, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "policy violations" in result.stdout and "Red" in result.stdout
    assert _clean(result.output), repr(result.output)


def test_written_paths_from_an_odd_out_folder_are_printed_clean(runner, tmp_path):
    plan = _plan(tmp_path / "plan.csv", "a", "G1")
    out = tmp_path / f"{ESC}[31mout"
    result = runner.invoke(main, ["map", plan, "--out", str(out / "map.html")])
    assert result.exit_code == 0, result.output
    assert (out / "map.html").is_file()
    assert "[31mout" not in result.stdout and _clean(result.output)


def test_check_prints_names_and_headers_without_escapes(runner, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text(
        f'"{EVIL}",lon,lat,score\n"{EVIL}",116.4,39.9,1\n"{EVIL}",116.41,39.9,2\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["check", str(path), "--column", f"name={EVIL}"])
    assert result.exit_code in (0, 1), result.output
    assert _clean(result.output), repr(result.output)


# -- error lines -----------------------------------------------------------------------------


def test_a_user_error_is_one_clean_line(runner, tmp_path, monkeypatch):
    def refuse(name):
        raise PolicyError(f"policy {EVIL}:\n  first problem\n  second problem")

    monkeypatch.setattr(geogroup.policy, "get_policy", refuse)
    plan = _plan(tmp_path / "p.csv", "a", "G1")
    result = runner.invoke(main, ["evaluate", plan, "--policy", "x", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: policy Red") and line.endswith(": first problem second problem")
    assert _clean(line)


def test_a_full_disk_says_what_to_do(runner, tmp_path, monkeypatch):
    def full(path, *tables):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(geogroup.plan, "write_gpkg", full)  # what writes plan.gpkg
    schools = tmp_path / "schools.csv"
    schools.write_text(
        "name,lon,lat,score\na,122.50,40.85,90\nb,122.51,40.85,60\nc,122.50,40.86,50\n",
        encoding="utf-8",
    )
    policy = tmp_path / "p.toml"
    policy.write_text("[policy]\nmembers = [2, 2]\nleads = 'top:0.34'\n", encoding="utf-8")
    result = runner.invoke(
        main, ["propose", str(schools), "--policy", str(policy), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith("Error: cannot write") and "plan.gpkg" in line
    assert "No space left on device" in line and "the disk is full" in line


def test_an_internal_error_prints_no_escape_from_its_message(runner, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError(EVIL)

    monkeypatch.setattr(geogroup.group, "propose", broken)
    schools = tmp_path / "schools.csv"
    schools.write_text("name,lon,lat,score\na,122.5,40.85,90\nb,122.51,40.85,60\n", "utf-8")
    result = runner.invoke(
        main, ["propose", str(schools), "--policy", "liangxi", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 3
    assert "Internal error: KeyError:" in result.stderr and _clean(result.output)
