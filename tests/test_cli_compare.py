"""``geogroup compare`` and ``propose --previous``: what changed, said as it is.

The plans are hand-made grouping CSVs of the toy schools A-F (geogroup.datasets), so each
expected line can be checked by eye.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

import geogroup.present
from geogroup.cli import main
from geogroup.datasets import toy_schools

HEAD = ["school id", "name", "group in A", "group in B", "role in A", "role in B"]
TOY_POLICY = "[policy]\nname = 'toy'\nmembers = [2, 2]\nleads = 'top:0.34'\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write_plan(
    path: Path, groups: list[str], roles: str, *, ids: list[str] | None = None, **names: str
) -> str:
    """A hand-made plan of the toy schools: a group label and a role letter (L lead, M
    member) each; ``names`` renames schools by id."""
    schools = toy_schools()
    frame = schools.drop(columns="geometry").assign(
        lon=schools.geometry.x,
        lat=schools.geometry.y,
        group_id=groups,
        role=[{"L": "lead", "M": "member"}[r] for r in roles],
    )
    frame["name"] = [names.get(i, n) for i, n in zip(frame.index, frame["name"], strict=True)]
    if ids is not None:
        frame.index = ids
    frame.index.name = "school_id"
    # (quoted: pandas leaves a field with a lone CR unquoted, and a reader splits it there)
    frame.to_csv(path, encoding="utf-8", quoting=csv.QUOTE_NONNUMERIC)
    return str(path)


def _table_rows(stdout: str) -> list[list[str]]:
    """The rows of the moves table, split at runs of two or more spaces."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split("  ")[0] == "school id")
    rows = []
    for line in lines[start + 2 :]:
        if line.startswith("moved:") or line.startswith("…"):
            break
        rows.append([cell.strip() for cell in line.split("  ") if cell.strip()])
    return rows


def test_a_split_with_a_tie_lists_the_school_that_left_with_headers(runner, tmp_path):
    # G105 = {A, B} splits into G105 = {A} and G106 = {B}: B moved, A stayed; before the
    # fix the tie could be matched the other way and list A as moved from G105 to G105.
    a = _write_plan(tmp_path / "a.csv", ["G105", "G105", "G2", "G2", "G2", "G2"], "LMLMMM")
    b = _write_plan(tmp_path / "b.csv", ["G105", "G106", "G2", "G2", "G2", "G2"], "LLLMMM")
    result = runner.invoke(main, ["compare", a, b, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"A: {a}", f"B: {b}"]
    header = next(line for line in lines if line.startswith("school id"))
    assert [h.strip() for h in header.split("  ") if h.strip()] == HEAD
    assert _table_rows(result.stdout) == [["B", "West B", "G105", "G106 (new)", "member", "lead"]]
    assert "moved: 1 of 6 schools in both plans, added: 0, removed: 0" in result.stdout
    assert "new groups: 1" in result.stdout


def test_no_listed_move_shows_the_same_group_on_both_sides(runner, tmp_path):
    # A keeps the label G1 but B and C, the bulk of G1, are now G9: A moved into a new
    # group that reuses the label, and the table says so.
    a = _write_plan(tmp_path / "a.csv", ["G1", "G1", "G1", "G2", "G2", "G2"], "LMMLMM")
    b = _write_plan(tmp_path / "b.csv", ["G1", "G9", "G9", "G2", "G2", "G2"], "LLMLMM")
    result = runner.invoke(main, ["compare", a, b, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    rows = _table_rows(result.stdout)
    assert rows == [["A", "West A", "G1", "G1 (new)", "lead", "lead"]]
    assert all(row[2] != row[3] for row in rows)


def test_relabelled_plans_from_csv_and_by_unit_list_no_move(runner, tmp_path):
    # The same grouping, once labelled as --by writes (a unit prefix) and once with the
    # groups as numbers and the school ids of another export: groups are matched first.
    a = _write_plan(tmp_path / "a.csv", ["西-G01"] * 3 + ["西-G02"] * 3, "LMMLMM")
    b = _write_plan(tmp_path / "b.csv", ["2", "2", "2", "1", "1", "1"], "LMMLMM")
    result = runner.invoke(main, ["compare", a, b, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "No school changed group." in result.stdout
    assert "moved: 0 of 6 schools in both plans" in result.stdout
    assert "relabelled groups: 2" in result.stdout and "school id" not in result.stdout


def test_a_move_into_a_renamed_group_names_it_as_plan_a_knew_it(runner, tmp_path):
    a = _write_plan(tmp_path / "a.csv", ["G1", "G1", "G1", "G2", "G2", "G2"], "LMMLMM")
    b = _write_plan(tmp_path / "b.csv", ["北", "北", "南", "南", "南", "南"], "LMMLMM")
    result = runner.invoke(main, ["compare", a, b, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert _table_rows(result.stdout) == [["C", "West C", "G1", "南 (G2 in A)", "member", "member"]]


def test_the_comparison_carries_both_file_names_to_the_report(runner, tmp_path, monkeypatch):
    seen = {}
    real = geogroup.present.write_report

    def spy(plan, out_dir, **kwargs):
        seen["names"] = kwargs["comparison"].names
        return real(plan, out_dir, **kwargs)

    monkeypatch.setattr(geogroup.present, "write_report", spy)
    a = _write_plan(tmp_path / "a.csv", ["G1"] * 3 + ["G2"] * 3, "LMMLMM")
    b = _write_plan(tmp_path / "b.csv", ["G1"] * 3 + ["G2"] * 3, "LMMLMM")
    result = runner.invoke(main, ["compare", a, b, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert seen["names"] == (a, b)


def test_plans_sharing_no_school_say_so(runner, tmp_path):
    a = _write_plan(tmp_path / "a.csv", ["G1"] * 3 + ["G2"] * 3, "LMMLMM")
    b = _write_plan(
        tmp_path / "b.csv", ["G1"] * 3 + ["G2"] * 3, "LMMLMM", ids=["1", "2", "3", "4", "5", "6"]
    )
    result = runner.invoke(main, ["compare", a, b, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "the two plans share no school id" in result.stderr
    assert "added: 6, removed: 6" in result.stdout


def test_escape_sequences_in_names_never_reach_the_terminal(runner, tmp_path):
    evil = "\x1b[31mRed\x1b[0m \x1b]0;pwned\x07School\r\x9b2J\x00"
    a = _write_plan(tmp_path / "a.csv", ["G1"] * 3 + ["G2"] * 3, "LMMLMM")
    b = _write_plan(tmp_path / "b.csv", ["G1", "G1", "G2", "G2", "G2", "G2"], "LMLLMM", C=evil)
    result = runner.invoke(main, ["compare", b, a, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "Red School" in result.stdout
    assert not any(c in result.output for c in "\x1b\x07\r\x9b\x00")


# -- propose --previous ----------------------------------------------------------------------


def _school_list(path: Path, ids: list[str] | None = None) -> str:
    schools = toy_schools()
    frame = schools.drop(columns=["geometry", "fixed_group"]).assign(
        lon=schools.geometry.x, lat=schools.geometry.y
    )
    if ids is not None:
        frame.index = ids
    frame.index.name = "school_id"
    frame.to_csv(path, encoding="utf-8")
    return str(path)


@pytest.fixture
def toy_policy(tmp_path) -> str:
    path = tmp_path / "toy.toml"
    path.write_text(TOY_POLICY, encoding="utf-8")
    return str(path)


def test_a_previous_plan_of_other_schools_warns_instead_of_counting_moves(
    runner, tmp_path, toy_policy
):
    previous = _write_plan(
        tmp_path / "old.csv", ["G1"] * 3 + ["G2"] * 3, "LMMLMM", ids=[f"X{i}" for i in range(6)]
    )
    schools = _school_list(tmp_path / "schools.csv")
    args = ["propose", schools, "--policy", toy_policy, "--previous", previous]
    result = runner.invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (
        "Warning: the previous plan shares no school with this school list: nothing can be kept"
        in result.stderr
    )
    assert "'X0'" in result.stderr and "'A'" in result.stderr
    assert "moved" not in result.stdout


def test_a_previous_plan_of_the_same_schools_still_counts_moves(runner, tmp_path, toy_policy):
    previous = _write_plan(tmp_path / "old.csv", ["G1"] * 3 + ["G2"] * 3, "LMMLMM")
    schools = _school_list(tmp_path / "schools.csv")
    args = ["propose", schools, "--policy", toy_policy, "--previous", previous]
    result = runner.invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "0 schools moved" in result.stdout and "shares no school" not in result.stderr
