"""The geogroup command: propose, evaluate, compare; exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

import geogroup.group
from geogroup import schema as S
from geogroup.cli import EXIT_INTERNAL_ERROR, main
from geogroup.group import _units

DEMO = "data/demo_county.csv"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def two_counties(tmp_path_factory):
    """The demo county split into two counties, east and west: two units under --by county."""
    frame = pd.read_csv(DEMO, encoding="utf-8-sig", dtype=str)
    lon = frame["经度"].astype(float)
    frame["county"] = (lon > lon.median()).map({True: "东", False: "西"})
    path = tmp_path_factory.mktemp("counties") / "two_counties.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return str(path)


def _propose(runner, *args):
    return runner.invoke(main, ["propose", *map(str, args)])


def test_propose_writes_every_output_and_accounts_for_every_row(runner, tmp_path):
    result = runner.invoke(main, ["propose", DEMO, "--policy", "shandong", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in (
        "plan.csv",
        "plan.gpkg",
        "groups.csv",
        "summary.json",
        "metrics.json",
        "report.html",
        "report.xlsx",
    ):
        assert (tmp_path / name).is_file(), name
    plan = pd.read_csv(tmp_path / "plan.csv", encoding="utf-8-sig", dtype={S.SCHOOL_ID: str})
    raw = pd.read_csv(DEMO, encoding="utf-8-sig")
    assert len(plan) == len(raw)  # every input row: 307 schools and 3 rejected rows
    expected = [
        "school_id",
        "name",
        "lon",
        "lat",
        "quality",
        "area",
        "level",
        "group_id",
        "role",
        "lead_id",
        "distance_km",
        "reason",
    ]
    assert list(plan.columns[: len(expected)]) == expected
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["method"] == "fast" and summary["rejected_on_input"] == 3
    assert summary["schools"] + summary["rejected_on_input"] == len(raw)
    assert {"status", "objective", "bound", "gap"} <= set(summary)
    # the seconds, which differ from run to run, are kept apart from the plan's own files
    timings = json.loads((tmp_path / "timings.json").read_text(encoding="utf-8"))
    assert timings["seconds"] >= 0
    # the reader's findings are not hidden from a script: the demo's three broken rows
    assert "Warning: 3 rows could not be used; the plan lists them as unassigned" in result.output
    assert f"geogroup check {DEMO} shows them" in result.output


def test_propose_exact_reports_its_gap(runner, tmp_path):
    result = runner.invoke(
        main,
        [
            "propose",
            DEMO,
            "--policy",
            "ninghe",
            "--method",
            "exact",
            "--time-limit",
            "30",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in {"optimal", "time_limit"}
    assert summary["bound"] is not None and summary["gap"] is not None


def test_infeasible_policy_exits_1_with_numbers(runner, tmp_path):
    policy = tmp_path / "tight.toml"
    policy.write_text(
        '[policy]\nname = "tight"\nmembers = [1, 2]\nleads = "top:0.05"\n', encoding="utf-8"
    )
    result = runner.invoke(
        main, ["propose", DEMO, "--policy", str(policy), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") or "Error: " in result.stderr
    assert "need at least 103 leads" in result.output and "'leads'" in result.output
    assert "Traceback" not in result.output


def test_unknown_policy_key_exits_1(runner, tmp_path):
    policy = tmp_path / "bad.toml"
    policy.write_text("[policy]\nmembers = [1, 2]\nsize = 3\n", encoding="utf-8")
    result = runner.invoke(main, ["propose", DEMO, "--policy", str(policy), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "'size'" in result.output and "known fields" in result.output


def test_bad_usage_exits_2(runner, tmp_path):
    assert runner.invoke(main, ["propose", DEMO, "--out", str(tmp_path)]).exit_code == 2
    assert (
        runner.invoke(
            main,
            ["propose", DEMO, "--policy", "ninghe", "--method", "magic", "--out", str(tmp_path)],
        ).exit_code
        == 2
    )


def test_an_unknown_method_is_refused_before_the_file_is_read(runner, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")  # reading it would fail: the method is said first
    args = ["propose", str(empty), "--policy", "ninghe", "--method", "magic"]
    result = runner.invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "'magic' is not one of districts, exact, fast, kmeans, pairs" in result.output
    assert "empty" not in result.output.replace(str(empty), "")


def test_the_command_knows_every_built_in_method():
    from geogroup.group import METHODS
    from geogroup.policy import METHOD_NAMES

    built_in = [name for name, cls in METHODS.items() if cls.__module__.startswith("geogroup.")]
    assert built_in == list(METHOD_NAMES)


def test_regenerate_with_previous_and_compare(runner, tmp_path):
    first, second, diff = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert (
        runner.invoke(main, ["propose", DEMO, "--policy", "ninghe", "--out", str(first)]).exit_code
        == 0
    )
    result = runner.invoke(
        main,
        [
            "propose",
            DEMO,
            "--policy",
            "ninghe",
            "--previous",
            str(first / "plan.gpkg"),
            "--out",
            str(second),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 schools moved" in result.output
    result = runner.invoke(
        main, ["compare", str(first / "plan.csv"), str(second / "plan.gpkg"), "--out", str(diff)]
    )
    assert result.exit_code == 0, result.output
    assert "moved: 0" in result.output
    result = runner.invoke(main, ["evaluate", str(second / "plan.gpkg"), "--out", str(diff)])
    assert result.exit_code == 0 and "0 policy violations" in result.output


def test_same_command_twice_gives_byte_identical_plan_files_and_map(runner, tmp_path):
    import geopandas as gpd

    outs = [tmp_path / "one", tmp_path / "two"]
    for out in outs:
        result = runner.invoke(main, ["propose", DEMO, "--policy", "ninghe", "--out", str(out)])
        assert result.exit_code == 0, result.output
    for name in ("plan.csv", "plan.json", "groups.csv", "metrics.json", "report.html", "map.html"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    # plan.gpkg: the same tables; SQLite's own page bookkeeping may differ between runs
    for layer in ("schools", "groups", "meta"):
        a, b = (gpd.read_file(out / "plan.gpkg", layer=layer) for out in outs)
        pd.testing.assert_frame_equal(a, b)


# -- where the units run ---------------------------------------------------------------------


def test_serial_and_two_processes_give_the_same_plan_file(runner, tmp_path, two_counties):
    serial, pooled = tmp_path / "serial", tmp_path / "pooled"
    common = [two_counties, "--policy", "ninghe", "--by", "county"]
    result = _propose(runner, *common, "--backend", "serial", "--out", serial)
    assert result.exit_code == 0, result.output
    result = _propose(runner, *common, "--jobs", "2", "--out", pooled)
    assert result.exit_code == 0, result.output
    assert (serial / "plan.csv").read_bytes() == (pooled / "plan.csv").read_bytes()
    assert json.loads((pooled / "plan.json").read_text(encoding="utf-8"))["params"]["n_jobs"] == 2


def test_scheduler_runs_the_units_on_that_dask_cluster(runner, tmp_path, two_counties):
    distributed = pytest.importorskip("dask.distributed")
    common = [two_counties, "--policy", "ninghe", "--by", "county"]
    assert _propose(runner, *common, "--backend", "serial", "--out", tmp_path / "s").exit_code == 0
    # In this process, one thread: quick to start, and units never run side by side in one
    # process. ":0": the scheduler's HTTP server takes a free port; None still tries 8787
    # and warns (an error here) when another run holds it.
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        result = _propose(
            runner, *common, "--scheduler", cluster.scheduler_address, "--out", tmp_path / "d"
        )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "plan.csv").read_bytes() == (tmp_path / "d" / "plan.csv").read_bytes()
    params = json.loads((tmp_path / "d" / "plan.json").read_text(encoding="utf-8"))["params"]
    assert params["backend"] == "dask" and params["scheduler"] == cluster.scheduler_address


def test_backend_dask_and_jobs_reach_the_method(runner, tmp_path, two_counties, monkeypatch):
    calls = []

    def run_here(fn, jobs, scheduler, n_workers, bar):  # as _run_on_dask, without a cluster
        calls.append((scheduler, n_workers))
        return [fn(job) for job in jobs]

    monkeypatch.setattr(_units, "_run_on_dask", run_here)
    result = _propose(
        runner,
        two_counties,
        "--policy",
        "ninghe",
        "--by",
        "county",
        "--backend",
        "dask",
        "--jobs",
        "3",
        "--out",
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    assert calls == [(None, 3)]


@pytest.mark.parametrize("backend", ["processes", "serial"])
def test_scheduler_with_another_backend_is_bad_usage(runner, tmp_path, backend):
    result = _propose(
        runner,
        DEMO,
        "--policy",
        "ninghe",
        "--backend",
        backend,
        "--scheduler",
        "tcp://127.0.0.1:8786",
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2
    assert "Usage: " in result.stderr and "--scheduler" in result.stderr
    assert "use --backend dask" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--jobs", "0"], "--jobs"),
        (["--backend", "threads"], "--backend"),
    ],
)
def test_bad_running_options_are_bad_usage(runner, tmp_path, args, fragment):
    result = _propose(runner, DEMO, "--policy", "ninghe", *args, "--out", tmp_path)
    assert result.exit_code == 2 and fragment in result.stderr


def test_progress_bar_only_when_asked_or_on_a_terminal(runner, tmp_path, two_counties):
    common = [two_counties, "--policy", "ninghe", "--by", "county", "--backend", "serial"]
    shown = _propose(runner, *common, "--progress", "--out", tmp_path / "a")
    assert shown.exit_code == 0, shown.output
    assert "2/2" in shown.stderr and "unit" in shown.stderr
    assert "2/2" not in shown.stdout
    for flag in ([], ["--no-progress"]):  # CliRunner's stderr is not a terminal
        quiet = _propose(runner, *common, *flag, "--out", tmp_path / "b")
        assert quiet.exit_code == 0, quiet.output
        # (a warning of the method may name a unit: the bar is its count and its bar)
        assert "2/2" not in quiet.stderr and "%|" not in quiet.stderr


# -- output file names -----------------------------------------------------------------------


def test_output_table_names_the_files(runner, tmp_path):
    policy = tmp_path / "named.toml"
    policy.write_text(
        '[policy]\nbase = "ninghe"\nname = "../../etc/x"\n\n[output]\n'
        'plan = "runs/2024"\nmap = "haicheng_map.html"\nreport = "报告"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = _propose(runner, DEMO, "--policy", policy, "--out", out)
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(
        [
            "runs/2024.csv",
            "runs/2024.json",
            "runs/2024.gpkg",
            "报告.html",
            "报告.xlsx",
            "haicheng_map.html",
            "groups.csv",
            "summary.json",
            "summary.pdf",
            "summary.png",
            "timings.json",
            "metrics.json",
        ]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named.toml", "out"]
    for path in written:
        assert f"  wrote {out / path}" in result.stdout
    again = runner.invoke(
        main, ["evaluate", str(out / "runs" / "2024.gpkg"), "--out", str(tmp_path / "e")]
    )
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == [
        "metrics.json",
        "report.html",
        "report.xlsx",
        "summary.pdf",
        "summary.png",
    ]
    # evaluate --policy names the report as the policy's [output] table says
    named = runner.invoke(
        main,
        [
            "evaluate",
            str(out / "runs" / "2024.gpkg"),
            "--policy",
            str(policy),
            "--out",
            str(tmp_path / "f"),
        ],
    )
    assert named.exit_code == 0, named.output
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == [
        "metrics.json",
        "summary.pdf",
        "summary.png",
        "报告.html",
        "报告.xlsx",
    ]
    assert f"  wrote {tmp_path / 'f' / '报告.html'}" in named.stdout


@pytest.mark.parametrize(
    "value",
    ["../escaped", "/tmp/geogroup-escaped", "a/../../escaped", "link/escaped", "C:\\escaped", ""],
)
def test_escaping_output_name_exits_1_and_writes_nothing(runner, tmp_path, value):
    work, outside = tmp_path / "work", tmp_path / "outside"
    out = work / "out"
    out.mkdir(parents=True)
    outside.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    policy = work / "p.toml"
    policy.write_text(f"[policy]\nbase = 'ninghe'\n[output]\nplan = '{value}'\n", encoding="utf-8")
    result = _propose(runner, DEMO, "--policy", policy, "--out", out)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and "[output] key 'plan'" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["link"]
    assert sorted(p.name for p in work.iterdir()) == ["out", "p.toml"]
    assert not any(outside.iterdir()) and sorted(p.name for p in tmp_path.iterdir()) == [
        "outside",
        "work",
    ]


# -- exit status -----------------------------------------------------------------------------


def _broken_propose(*args, **kwargs):
    raise KeyError("lead_id")


def test_a_bug_exits_3_asking_for_a_report_without_traceback(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(geogroup.group, "propose", _broken_propose)
    result = _propose(runner, DEMO, "--policy", "ninghe", "--out", tmp_path)
    assert result.exit_code == EXIT_INTERNAL_ERROR == 3
    # (after the reader's warning about the demo's three broken rows)
    assert "\nInternal error: KeyError: 'lead_id'\n" in result.stderr
    assert "please report it" in result.stderr and "--debug for the traceback" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_debug_lets_a_bug_propagate_with_its_traceback(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(geogroup.group, "propose", _broken_propose)
    result = runner.invoke(
        main, ["--debug", "propose", DEMO, "--policy", "ninghe", "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, KeyError)
    assert result.exit_code != 0 and "Internal error" not in result.output
    assert result.exc_info[2].tb_next is not None  # the traceback into propose is kept


def test_debug_lets_a_user_error_propagate(runner, tmp_path):
    result = runner.invoke(
        main, ["--debug", "propose", DEMO, "--policy", "nowhere", "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, geogroup.PolicyError)


def test_a_file_that_cannot_be_written_is_a_user_error(runner, tmp_path, monkeypatch):
    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(geogroup.plan.Plan, "writers", lambda self: {"plan.csv": refuse})
    result = _propose(runner, DEMO, "--policy", "ninghe", "--out", tmp_path)
    assert result.exit_code == 1
    assert "\nError: " in result.stderr and "plan.csv" in result.stderr
    assert not (tmp_path / "plan.csv").exists()  # nothing of a failed set is left


@pytest.mark.parametrize(
    ("status", "bound", "says"),
    [("time_limit", None, True), ("feasible", None, True), ("heuristic", None, False)],
)
def test_a_solver_stopped_before_any_bound_says_no_bound(status, bound, says):
    import dataclasses

    from helpers import random_schools

    import geogroup as gg
    from geogroup.cli._propose import plan_line

    plan = gg.propose(random_schools(40, seed=3), "liangxi", method="fast")
    plan = dataclasses.replace(plan, status=status, bound=bound, gap=None)
    summary = plan.summary()
    assert (summary["bound_note"] == "no bound") is says
    line = plan_line(summary, plan.objective_figures())
    assert ("no bound" in line) is says
    assert "optimality gap" not in line and "gap 0" not in line


@pytest.mark.parametrize("code", [0, 1, 4])
def test_the_console_script_ends_quickly_with_nothing_lost(code: int) -> None:
    # geogroup's console script ends without the interpreter's teardown: the exit
    # handlers still run, both streams are flushed (standard output made block-buffered
    # here, as a pipe's may be), the status is kept.
    program = (
        "import atexit, sys; from geogroup.cli._group import ended; "
        "sys.stdout = open(1, 'w', closefd=False, buffering=65536); "
        "atexit.register(lambda: print('handler ran', file=sys.stderr)); "
        "print('partial line', end=''); "
        f"ended(SystemExit({code}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout, done.stderr) == (code, "partial line", "handler ran\n")


def test_the_console_script_waits_for_a_running_thread() -> None:
    # A thread of the program still at work: Python's usual end, which waits for it.
    program = (
        "import threading, time; from geogroup.cli._group import ended; "
        "threading.Thread(target=lambda: (time.sleep(0.5), print('thread done'))).start(); "
        "ended(SystemExit(0))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout) == (0, "thread done\n")
