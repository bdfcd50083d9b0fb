"""Output file names: the [output] table cannot lead outside the output folder."""

from __future__ import annotations

import pytest

from geogroup import PolicyError
from geogroup.outputs import (
    OUTPUT_NAMES,
    move_outputs,
    output_paths,
    output_problems,
    staging_folder,
)


@pytest.fixture
def out(tmp_path):
    """An output folder holding ``link``, a symbolic link to a folder outside it."""
    folder = tmp_path / "out"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (folder / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    return folder


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("plan", "../x"),
        ("plan", "/tmp/x"),
        ("report", "a/../../x"),
        ("plan", "link/x"),  # a symbolic link inside the folder, pointing outside
        ("map", "link/../../x.html"),
        ("map", "C:\\x.html"),
        ("map", "C:x.html"),
        ("plan", "..\\x"),
        ("plan", "a\\b"),
        ("report", "\\\\server\\share\\x"),
        ("plan", ""),
        ("plan", "   "),
        ("plan", "a\0b"),
        ("report", "a\nb"),
        ("plan", "x" * 300),
        ("plan", "plans/"),
        ("plan", "."),
        ("map", "map"),  # not an .html name
        ("plan", "plan.csv"),  # a stem, not a file name
        ("report", 3),
    ],
)
def test_escaping_or_unusable_names_are_refused_naming_the_key(out, key, value):
    with pytest.raises(PolicyError) as info:
        output_paths(out, {key: value})
    message = str(info.value)
    assert f"[output] key {key!r} = {repr(value)[:60]}" in message
    assert f"e.g. {OUTPUT_NAMES[key]!r}" in message or "remove the link" in message
    assert not any((out.parent / "elsewhere").iterdir())


def test_a_link_at_the_file_itself_is_refused(out):
    (out / "plan.csv").symlink_to(out.parent / "elsewhere" / "plan.csv")
    with pytest.raises(PolicyError, match=r"file 'plan.csv'.*resolves to .*elsewhere"):
        output_paths(out, {})


def test_a_link_loop_is_refused(out):
    (out / "loop").symlink_to(out / "loop")
    with pytest.raises(PolicyError, match=r"'plan' = 'loop/x'"):
        output_paths(out, {"plan": "loop/x"})


def test_unknown_keys_name_the_known_ones_and_every_problem_is_listed():
    problems = output_problems({"plann": "x", "map": "/x.html"})
    assert (
        problems[0]
        == "policy [output]: unknown key(s) 'plann'; known keys: map, plan, report, summary"
    )
    assert "[output] key 'map' = '/x.html'" in problems[1]
    assert output_problems("plan.csv") == [
        "policy [output]: expected a table of file names, got 'plan.csv'"
    ]


@pytest.mark.parametrize(
    ("output", "clash"),
    [
        ({"plan": "groups"}, "plan.csv and groups.csv would both be written to 'groups.csv'"),
        ({"report": "summary", "plan": "summary"}, "'summary.json'"),
        ({"map": "report.html"}, "report.html and map.html would both be written to 'report.html'"),
    ],
)
def test_two_outputs_under_one_name_are_refused(output, clash):
    with pytest.raises(PolicyError, match="give the outputs different names") as info:
        output_paths("out", output)
    assert clash in str(info.value)


def test_defaults_are_todays_names_and_nothing_is_written(tmp_path):
    out = tmp_path / "new"
    paths = output_paths(out, {})
    assert {k: p.relative_to(out).as_posix() for k, p in paths.items()} == {
        name: name
        for name in (
            "plan.csv",
            "plan.json",
            "plan.gpkg",
            "report.html",
            "report.xlsx",
            "map.html",
            "summary.pdf",
            "summary.png",
            "groups.csv",
            "summary.json",
            "metrics.json",
            "timings.json",
        )
    }
    assert not out.exists()


def test_names_may_use_subfolders_and_links_that_stay_inside(tmp_path):
    out = tmp_path / "out"
    (out / "real").mkdir(parents=True)
    (out / "inside").symlink_to(out / "real", target_is_directory=True)
    paths = output_paths(out, {"plan": "inside/2024/海城", "map": "./maps/m.htm", "report": "r"})
    assert paths["plan.gpkg"] == out / "inside/2024/海城.gpkg"
    assert paths["map.html"] == out / "maps/m.htm"
    assert paths["report.xlsx"] == out / "r.xlsx"


def test_staged_files_move_to_their_names_and_the_stage_is_removed(tmp_path):
    out = tmp_path / "out"
    paths = output_paths(out, {"plan": "sub/run1"})
    with staging_folder(out) as stage:
        for name in ("groups.csv", "plan.csv", "extra.txt"):
            (stage / name).write_text(name, encoding="utf-8")
        moved = move_outputs(stage, paths)
    assert [p.relative_to(out).as_posix() for p in moved] == [
        "sub/run1.csv",
        "groups.csv",
        "extra.txt",
    ]
    assert (out / "sub" / "run1.csv").read_text(encoding="utf-8") == "plan.csv"
    assert sorted(p.name for p in out.iterdir()) == ["extra.txt", "groups.csv", "sub"]
