"""A set of outputs changes as a whole or not at all, and the same plan gives the same bytes.

Runs race in real processes: two writers into one folder at once, a writer killed with
SIGKILL while staging and while moving its files in. Each plan here differs from the other
in every file (school names and qualities), so each file tells which run wrote it.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import geogroup as gg
from geogroup.errors import GeogroupError, PolicyError
from geogroup.outputs import (
    STALE_SECONDS,
    TIMINGS_NAME,
    OutputError,
    clean_stale,
    output_paths,
    output_problems,
    write_set,
)
from geogroup.present import output_writers

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo_county.csv"
FILES = (
    "plan.csv",
    "plan.json",
    "plan.gpkg",
    "groups.csv",
    "summary.json",
    "metrics.json",
    "report.html",
    "report.xlsx",
    "summary.pdf",
    "summary.png",
    "map.html",
    TIMINGS_NAME,
)


def make_plan(run: str) -> gg.Plan:
    """The toy schools, named and scored after ``run`` so that every file differs."""
    schools = gg.toy_schools()
    schools["name"] = schools["name"] + f" ({run})"
    schools["quality"] = schools["quality"] + len(run)
    return gg.propose(schools, gg.Policy(name=run, members=(2, 2), leads="top:0.34"), method="fast")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative name, hidden ones included."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """The set of runs ``a`` and ``bb``, each written alone (timings.json left out)."""
    refs = {}
    for run in ("a", "bb"):
        folder = tmp_path_factory.mktemp(f"ref-{run}")
        write_set(folder, output_writers(make_plan(run), lang="en"))
        refs[run] = {k: v for k, v in snapshot(folder).items() if k != TIMINGS_NAME}
    assert sorted(refs["a"]) == sorted(set(FILES) - {TIMINGS_NAME})
    assert all(refs["a"][name] != refs["bb"][name] for name in refs["a"])
    return refs


def whole_set_of(
    folder: Path, refs: dict[str, dict[str, bytes]], *, visible: bool = False
) -> str | None:
    """The run whose whole set ``folder`` holds, or None for a mix (``visible``: of the
    files a user sees, a run's hidden stage left out)."""
    found = {
        k: v
        for k, v in snapshot(folder).items()
        if k != TIMINGS_NAME and not (visible and k.startswith("."))
    }
    return next((run for run, files in refs.items() if found == files), None)


# --- 3. the same input gives the same bytes --------------------------------------------------

SAME_RUN = """
import sys
import geogroup as gg
from geogroup.outputs import write_set
from geogroup.present import output_writers
schools, report = gg.read_schools(sys.argv[1])
plan = gg.propose(schools, "shandong", method="fast", rejected=report.rejected)
write_set(sys.argv[2], output_writers(plan, lang="zh"))
"""


def test_two_runs_write_identical_files_except_timings(tmp_path: Path) -> None:
    runs = []
    for seed in ("1", "2"):  # different hash seeds: no set or dict order may leak into a file
        env = os.environ | {"PYTHONHASHSEED": seed}
        cmd = [sys.executable, "-c", SAME_RUN, str(DEMO), str(tmp_path / seed)]
        runs.append(subprocess.Popen(cmd, env=env, cwd=ROOT))
    assert [run.wait(timeout=600) for run in runs] == [0, 0]
    first, second = snapshot(tmp_path / "1"), snapshot(tmp_path / "2")
    assert sorted(first) == sorted(second) == sorted(FILES)
    differ = [name for name in first if first[name] != second[name]]
    assert differ in ([], [TIMINGS_NAME])
    timings = json.loads(first[TIMINGS_NAME])
    assert timings["seconds"] > 0 and "seconds" not in json.loads(first["summary.json"])


def test_the_workbook_carries_no_time_of_writing(tmp_path: Path) -> None:
    path = write_set(tmp_path, output_writers(make_plan("a"), lang="en"))["report.xlsx"]
    with zipfile.ZipFile(path) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    properties = openpyxl.load_workbook(path).properties
    assert properties.created.year == properties.modified.year == 2000


# --- 4. all or nothing --------------------------------------------------------------------------

RACE = """
import contextlib, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[5])
from geogroup import outputs
from geogroup.present import output_writers
from tests.test_outputs_set import make_plan

run, out, flags, mode = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
plan = make_plan(run)
(flags / f"timings-{run}.json").write_bytes(
    (__import__("json").dumps(plan.timings(), ensure_ascii=False, indent=2) + "\\n").encode()
)
writers = output_writers(plan, lang="en")
if run == "bb":  # the other order: unsynchronised moves would cross
    writers = dict(reversed(writers.items()))
real_replace, real_commit = os.replace, outputs._commit

def slow_replace(src, dst, *args, **kwargs):  # widen the time a set takes to move in
    real_replace(src, dst, *args, **kwargs)
    if ".geogroup-" in str(src) and ".geogroup-" not in str(dst):
        (flags / f"moving-{run}").touch()
        time.sleep(0.05 if mode != "kill-moving" else 0.3)

def commit_together(*args):  # both runs reach their moves at the same moment
    (flags / f"ready-{run}").touch()
    while len(list(flags.glob("ready-*"))) < (2 if mode.startswith("race") else 1):
        time.sleep(0.002)
    return real_commit(*args)

os.replace, outputs._commit = slow_replace, commit_together
if mode == "race-unlocked":  # the control: what the lock prevents
    outputs._locked = lambda folder: contextlib.nullcontext()
    outputs._recover = lambda folder: []
if mode == "kill-staging":  # killed at its last file: the others are staged
    def stuck(path):
        (flags / "staging").touch()
        time.sleep(600)
    writers[list(writers)[-1]] = stuck
outputs.write_set(out, writers)
"""


def _start(run: str, out: Path, flags: Path, mode: str) -> subprocess.Popen:
    cmd = [sys.executable, "-c", RACE, run, str(out), str(flags), mode, str(ROOT)]
    with (flags / f"stderr-{run}").open("w") as errors:
        return subprocess.Popen(cmd, cwd=ROOT, stderr=errors)


def _errors(flags: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(flags.glob("stderr-*")))


def _race(tmp_path: Path, number: int, mode: str) -> tuple[Path, Path, list[int]]:
    out, flags = tmp_path / f"out{number}", tmp_path / f"flags{number}"
    flags.mkdir()
    runs = [_start(run, out, flags, mode) for run in ("a", "bb")]
    return out, flags, [run.wait(timeout=300) for run in runs]


def test_two_runs_into_one_folder_leave_the_whole_set_of_one(tmp_path: Path, references) -> None:
    winners = []
    for number in range(3):
        out, flags, codes = _race(tmp_path, number, "race")
        assert codes == [0, 0], _errors(flags)
        assert {p.name.split("-")[0] for p in flags.iterdir()} >= {"moving", "ready"}
        winner = whole_set_of(out, references)
        assert winner is not None, f"round {number}: a mixed set"
        timings = (flags / f"timings-{winner}.json").read_bytes()
        assert (out / TIMINGS_NAME).read_bytes() == timings  # timings.json too
        assert hidden(out) == []
        winners.append(winner)


def test_without_the_lock_the_same_race_mixes_the_sets(tmp_path: Path, references) -> None:
    out, flags, codes = _race(tmp_path, 0, "race-unlocked")
    assert codes == [0, 0], _errors(flags)
    assert whole_set_of(out, references) is None  # so the race above can fail


def _kill_when(flag: Path, run: subprocess.Popen, after: float = 0.0) -> None:
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert run.poll() is None, _errors(flag.parent)
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(after)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()


def test_a_run_killed_while_staging_leaves_the_previous_set(tmp_path: Path, references) -> None:
    out, flags = tmp_path / "out", tmp_path / "flags"
    flags.mkdir()
    write_set(out, output_writers(make_plan("a"), lang="en"))
    run = _start("bb", out, flags, "kill-staging")
    _kill_when(flags / "staging", run)
    assert whole_set_of(out, references, visible=True) == "a"
    left = hidden(out)
    assert len(left) == 1 and left[0].startswith(".geogroup-")  # its stage, left behind
    assert len(list((out / left[0]).iterdir())) >= len(FILES) - 1  # every file but one
    assert [p.name for p in clean_stale(out)] == left
    assert hidden(out) == []
    assert whole_set_of(out, references) == "a"


def test_a_run_killed_while_moving_is_completed_by_the_next(tmp_path: Path, references) -> None:
    out, flags = tmp_path / "out", tmp_path / "flags"
    flags.mkdir()
    write_set(out, output_writers(make_plan("a"), lang="en"))
    run = _start("bb", out, flags, "kill-moving")
    _kill_when(flags / "moving-bb", run, after=0.4)
    assert whole_set_of(out, references) is None  # killed half-way through its moves
    assert len(clean_stale(out)) == 1
    found = snapshot(out)
    assert hidden(out) == []
    assert [n for n in references["bb"] if found.get(n) != references["bb"][n]] == []


def test_only_stale_stages_are_removed(tmp_path: Path) -> None:
    old = time.time() - STALE_SECONDS - 60
    names = {
        "dead": f".geogroup-{2**22 + 17}-{'0' * 8}-aa",  # another machine's: judged by age
        "old": f".geogroup-{os.getppid()}-{'0' * 8}-bb",
        "legacy": ".geogroup-k3j2h1g0",  # the names of earlier versions
        "temp": ".plan.0123abcd.tmp.csv",
    }
    for key, name in names.items():
        path = tmp_path / name
        if key == "temp":
            path.write_text("half")
        else:
            path.mkdir()
            (path / "plan.csv").write_text("half")
        if key != "dead":
            for p in (path, *(path.iterdir() if path.is_dir() else ())):
                os.utime(p, (old, old))
    gone = clean_stale(tmp_path)
    assert sorted(p.name for p in gone) == sorted(names[k] for k in ("old", "legacy", "temp"))
    assert hidden(tmp_path) == [names["dead"]]


# --- 4b. names that collide: refused before anything is written ----------------------------------


@pytest.mark.parametrize(
    ("output", "words"),
    [
        (
            {"plan": "Groups"},
            "plan.csv and groups.csv would both be written to 'groups.csv' (letter",
        ),
        ({"map": "plan.csv/m.html"}, "would need 'plan.csv' (plan.csv) as a folder"),
    ],
)
def test_names_that_clash_on_some_file_system_are_refused(output, words) -> None:
    assert words in output_problems(output)[0]
    with pytest.raises(PolicyError, match="give the outputs different names"):
        output_paths("out", output)


@pytest.mark.parametrize("obstacle", ["folder at a name", "file at a folder"])
def test_a_name_taken_in_the_folder_fails_before_any_file_changes(
    tmp_path: Path, references, obstacle: str
) -> None:
    out = tmp_path / "out"
    write_set(out, output_writers(make_plan("a"), lang="en"))
    if obstacle == "folder at a name":
        (out / "report.html").unlink()
        (out / "report.html").mkdir()
        output = None
    else:
        (out / "maps").write_text("not a folder")
        output = {"map": "maps/m.html"}
    before = snapshot(out)
    with pytest.raises(OutputError, match="is in the way"):
        output_paths(out, output or {})
    calls = []
    writers = output_writers(make_plan("bb"), lang="en")
    writers = {name: functools.partial(_call, calls, writer) for name, writer in writers.items()}
    with pytest.raises(OutputError, match=r"report\.html|maps"):
        write_set(out, writers, output)
    assert calls == [] and snapshot(out) == before and hidden(out) == []


# --- 5. a full disk or a folder that refuses writes ----------------------------------------------


def _call(calls: list, writer, path: Path) -> None:
    calls.append(writer(path))


def _full_disk(path: Path) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@pytest.mark.parametrize("when", ["writing", "writing, in a library", "moving"])
def test_a_full_disk_is_a_user_error_and_leaves_the_previous_set(
    tmp_path: Path, references, monkeypatch, when: str
) -> None:
    out = tmp_path / "out"
    write_set(out, output_writers(make_plan("a"), lang="en"))
    writers = output_writers(make_plan("bb"), lang="en")
    if when == "writing":
        writers["report.xlsx"] = _full_disk
    elif when == "writing, in a library":  # GDAL says so in its own words only

        def gdal(path: Path) -> None:
            raise RuntimeError("sqlite3_exec(CREATE TABLE ...) failed: disk I/O error")

        writers["plan.gpkg"] = gdal
        monkeypatch.setattr(os, "fsync", lambda fd: _full_disk(Path("probe")))
    else:
        real, moved = os.replace, []

        def replace(src, dst, *args, **kwargs):
            if ".geogroup-" in str(src) and ".geogroup-" not in str(dst):
                moved.append(dst)
                if len(moved) == 4:
                    _full_disk(Path(dst))
            return real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError) as info:
        write_set(out, writers)
    message = str(info.value)
    assert isinstance(info.value, GeogroupError)
    assert str(out) in message and "disk is full" in message and "free some space" in message
    assert whole_set_of(out, references) == "a" and hidden(out) == []


def test_a_folder_that_refuses_writes_is_a_user_error_also_for_root(
    tmp_path: Path, references, monkeypatch
) -> None:
    out = tmp_path / "out"
    write_set(out, output_writers(make_plan("a"), lang="en"))
    real = Path.mkdir

    def refused(self: Path, *args, **kwargs) -> None:
        if self.name.startswith(".geogroup-"):  # the first thing written into the folder
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refused)
    with pytest.raises(OutputError) as info:
        write_set(out, output_writers(make_plan("bb"), lang="en"))
    assert f"cannot write {str(out)!r}: Permission denied; the folder refuses writes" in str(
        info.value
    )
    assert whole_set_of(out, references) == "a" and hidden(out) == []


def test_a_library_error_on_a_sound_disk_stays_a_bug(tmp_path: Path) -> None:
    def broken(path: Path) -> None:
        raise RuntimeError("a bug in a writer")

    with pytest.raises(RuntimeError, match="a bug in a writer"):
        write_set(tmp_path / "out", {"plan.gpkg": broken})
    assert hidden(tmp_path / "out") == []


def test_an_output_folder_that_is_a_file_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file")
    with pytest.raises(OutputError, match=r"out' is in the way \(a file of that name\)"):
        write_set(tmp_path / "out", {"x.txt": lambda p: p.write_text("x")})


def test_plan_write_and_write_report_write_sets(tmp_path: Path) -> None:
    plan = make_plan("a")
    paths = plan.write(tmp_path)
    assert sorted(p.name for p in paths.values()) == sorted(
        ["plan.csv", "plan.json", "plan.gpkg", "groups.csv", "summary.json", TIMINGS_NAME]
    )
    assert hidden(tmp_path) == []
