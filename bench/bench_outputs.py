"""Benchmark of ``geogroup propose`` on all of South Africa by district, stage by stage:
reading, solving, and writing each output (plan files, report.html, report.xlsx, the
one-page summary, the map); writes bench/outputs_results.md.

Run:  .venv/bin/python bench/bench_outputs.py [--repeat 3] [--cli-runs 3] [--out FILE.md]

The case: every usable school of ``../shared/datasets/za_schools_2017.csv`` (22,874 of 24,813
rows; quality = the funding quintile, a resource proxy), grouped within its
``education_district`` under ``ninghe`` (method ``fast``; a district the policy cannot group
is listed as unassigned), in Chinese, as

    geogroup propose za_schools_2017.csv --column quality=quintile --id-column emis \\
        --policy ninghe --by education_district --on-infeasible unassign --out DIR

Each stage runs in this process through the API the command calls, the reading and solving
once, each writer ``--repeat`` times (the fastest kept: the machine's two cores are shared).
``measure`` is the one measurement of the plan that the report, the workbook and the
summary share; ``report.html`` and ``report.xlsx`` are the page and the workbook from it.
Wall and CPU seconds are both given (CPU: this process's and its finished child
processes'; the solver's pool workers still running are not counted), with the one-minute
load average after each stage; the load average before and after says how busy the machine
was. The groups' hulls are kept for a plan drawn again, so after the first run of the plan
files the other stages find them made (as in the command, where they are made once).
"every output, as the command writes them" is the command's own writing stage: the whole
set at once, the summary page drawn by a worker of the pool while this process writes the
rest. The command itself runs ``--cli-runs`` times end to end (0: not at all); the median is
given, with each run and the solving time the command recorded (``timings.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ZA = ROOT.parent / "shared" / "datasets" / "za_schools_2017.csv"
OUT = ROOT / "bench" / "outputs_results.md"
sys.path.insert(0, str(ROOT))

import geogroup as gg  # noqa: E402
from geogroup.outputs import write_set  # noqa: E402
from geogroup.pool import pool  # noqa: E402
from geogroup.present import output_writers, save_map  # noqa: E402
from geogroup.present._measure import measure  # noqa: E402
from geogroup.present._report import _html_page  # noqa: E402
from geogroup.present._sheets import workbook_tables  # noqa: E402
from geogroup.present._summary import summary_writers  # noqa: E402
from geogroup.present._workbook import workbook_bytes  # noqa: E402

BY = "education_district"
POLICY = "ninghe"
LANG = "zh"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float, float]:
    """``fn()`` run ``repeat`` times: its last result and the fastest wall and CPU seconds
    (this process's and its finished child processes')."""
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, _cpu() - cpu)
    return result, best_wall, best_cpu


def _cpu() -> float:
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def read() -> tuple[Any, Any]:
    return gg.read_schools(ZA, columns={"quality": "quintile"}, id_column="emis")


def solve(schools: Any, report: Any) -> gg.Plan:
    grouper = gg.get_method("fast", policy=POLICY, on_infeasible="unassign")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # districts left unassigned, with reasons
        return gg.propose(schools, POLICY, method=grouper, by=BY, rejected=report.to_frame())


def write_plan_files(plan: gg.Plan, folder: Path) -> None:
    for name, writer in plan.writers().items():
        writer(folder / name)


def write_as_the_command(plan: gg.Plan, folder: Path) -> dict[str, Path]:
    """Every output as ``geogroup propose`` writes them on 2 or more cores: one set, the
    summary page drawn by the pool's worker while this process writes the rest."""
    executor = pool(2) if (os.cpu_count() or 1) > 1 else None
    return write_set(folder / "set", output_writers(plan, lang=LANG, executor=executor))


def cli_seconds(folder: Path) -> tuple[float, float, float]:
    exe = shutil.which("geogroup", path=str(Path(sys.executable).parent)) or "geogroup"
    args = [
        exe,
        "propose",
        str(ZA),
        "--column",
        "quality=quintile",
        "--id-column",
        "emis",
        "--policy",
        POLICY,
        "--by",
        BY,
        "--on-infeasible",
        "unassign",
        "--lang",
        LANG,
        "--out",
        str(folder / "cli"),
    ]
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run(args, check=True, capture_output=True)
    wall, cpu = time.perf_counter() - start, _cpu() - cpu  # the command's wall and CPU seconds
    solving = json.loads((folder / "cli" / "timings.json").read_text(encoding="utf-8"))["seconds"]
    return wall, cpu, solving


def run(repeat: int, cli_runs: int) -> tuple[list[tuple[str, float, float, str]], dict]:
    rows: list[tuple[str, float, float, str]] = []
    info: dict[str, Any] = {"load_before": os.getloadavg(), "loads": {}}

    def add(row: tuple[str, float, float, str]) -> None:
        rows.append(row)
        info["loads"][row[0]] = os.getloadavg()[0]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (schools, report), wall, cpu = timed(read)
        add(("read", wall, cpu, f"{len(schools):,} schools, {report.n_rejected:,} rows rejected"))
        plan, wall, cpu = timed(lambda: solve(schools, report))
        groups = plan.schools["group_id"].nunique()
        add(("solve", wall, cpu, f"{groups:,} groups by fast under {POLICY}, by {BY}"))
        _, wall, cpu = timed(lambda: write_plan_files(plan, folder), repeat)
        add(("plan files", wall, cpu, "plan.csv, plan.json, plan.gpkg, groups.csv, summary.json"))
        measured, wall, cpu = timed(lambda: measure(plan), repeat)
        add(("measure", wall, cpu, "metrics, policy check, tables: shared by the next three"))
        page, wall, cpu = timed(lambda: _html_page(measured, LANG), repeat)
        add(("report.html", wall, cpu, f"{len(page.encode()) / 1e6:.2f} MB"))
        book, wall, cpu = timed(
            lambda: workbook_bytes(workbook_tables(measured, LANG), LANG), repeat
        )
        add(("report.xlsx", wall, cpu, f"{len(book) / 1e6:.2f} MB"))
        files, wall, cpu = timed(lambda: summary_writers(measured, lang=LANG), repeat)
        for name, writer in files.items():
            writer(folder / name)
        sizes = ", ".join(f"{n} {(folder / n).stat().st_size / 1e6:.2f} MB" for n in files)
        add(("summary", wall, cpu, sizes))
        path, wall, cpu = timed(lambda: save_map(plan, folder / "map.html", lang=LANG), repeat)
        add(("map", wall, cpu, f"{path.stat().st_size / 1e6:.2f} MB"))
        written, wall, cpu = timed(lambda: write_as_the_command(plan, folder), repeat)
        info["as_the_command"] = (wall, cpu, len(written))
        info["loads"]["as_the_command"] = os.getloadavg()[0]
        if cli_runs:
            info["cli_seconds"] = [cli_seconds(folder) for _ in range(cli_runs)]
            info["loads"]["cli"] = os.getloadavg()[0]
    info["load_after"] = os.getloadavg()
    return rows, info


def table(rows: list[tuple[str, float, float, str]], info: dict) -> str:
    lines = [
        "| stage | wall s | CPU s | load (1 min) after | what |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {wall:.2f} | {cpu:.2f} | {info['loads'].get(name, 0.0):.1f} | {what} |"
            for name, wall, cpu, what in rows
        ),
    ]
    ours = [r for r in rows if r[0] in ("measure", "report.html", "report.xlsx", "summary")]
    outputs = [r for r in rows if r[0] not in ("read", "solve")]
    lines += [
        f"| report + workbook + summary | {sum(r[1] for r in ours):.2f} | "
        f"{sum(r[2] for r in ours):.2f} | | measure, report.html, report.xlsx, summary |",
        f"| every output, one after another | {sum(r[1] for r in outputs):.2f} | {sum(r[2] for r in outputs):.2f} "
        "| | plan files, report, workbook, summary, map |",
    ]
    wall, cpu, n_files = info["as_the_command"]
    lines.append(
        f"| every output, as the command writes them | {wall:.2f} | {cpu:.2f} | "
        f"{info['loads']['as_the_command']:.1f} | the {n_files} files as one set; the summary "
        "page drawn by the pool's worker meanwhile (its CPU not counted) |"
    )
    runs = sorted(info.get("cli_seconds", []))
    if runs:
        wall, cpu, solving = runs[len(runs) // 2]
        each = ", ".join(f"{r[0]:.2f}" for r in info["cli_seconds"])
        lines.append(
            f"| `geogroup propose` (end to end) | {wall:.2f} | {cpu:.2f} | "
            f"{info['loads'].get('cli', 0.0):.1f} | the median of {len(runs)} runs ({each} s); "
            f"in it, solving {solving:.2f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each writer (fastest kept)")
    parser.add_argument(
        "--cli-runs", type=int, default=3, help="end-to-end runs of the command (0: none)"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="the results file (.md)")
    args = parser.parse_args()
    rows, info = run(args.repeat, args.cli_runs)
    before = ", ".join(f"{x:.1f}" for x in info["load_before"])
    after = ", ".join(f"{x:.1f}" for x in info["load_after"])
    text = (
        "# Outputs of `geogroup propose` on South Africa, by stage\n\n"
        "Written by `bench/bench_outputs.py` (see its docstring for the case and the stages).\n\n"
        f"{table(rows, info)}\n\n"
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; load average (1, 5, 15 min) {before} before and {after} "
        f"after the run (other work shared the cores: CPU seconds are the steadier figure). "
        f"Writers: fastest of {args.repeat} runs.\n"
    )
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
