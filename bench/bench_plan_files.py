"""How long the plan's own files take to write: plan.csv, plan.json, plan.gpkg, groups.csv,
summary.json and timings.json (:meth:`geogroup.Plan.writers`), for all of South Africa
(22,874 usable schools, grouped by education district under ``ninghe``).

Run:  .venv/bin/python bench/bench_plan_files.py [--repeat 3] [--plan /tmp/za_plan.pkl]

The plan is made once (about 15-40 s, ``fast`` with ``on_infeasible='unassign'``, as
``bench_maps.py`` makes it) and kept in a pickle (``--plan``) for the next runs; the
rejected input rows are those of the read report, as ``geogroup propose`` passes them.
Each file is written ``--repeat`` times into a fresh folder (the best time is reported),
then the whole set once more through :func:`geogroup.outputs.write_set` as ``propose``
writes it. Writes ``bench/plan_files_results.md``, with the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "datasets" / "za_schools_2017.csv"
OUT = ROOT / "bench" / "plan_files_results.md"
TARGET_S = 1.0

if TYPE_CHECKING:
    from geogroup import Plan


def za_plan(cache: Path) -> Plan:
    """The South African plan, from ``cache`` when it is there."""
    import geogroup as gg

    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    schools, report = gg.read_schools(DATA, columns={"quality": "quintile"}, id_column="emis")
    schools["district"] = schools["education_district"].astype(str).str.strip().str.upper()
    grouper = gg.get_method("fast", policy="ninghe", on_infeasible="unassign")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # units left unassigned, with reasons
        plan = gg.propose(
            schools, "ninghe", method=grouper, by="district", rejected=report.rejected
        )
    cache.write_bytes(pickle.dumps(plan))
    return plan


def time_files(plan: Plan, repeat: int) -> dict[str, float]:
    """Best seconds of each writer over ``repeat`` runs; each run makes the groups table once,
    as a set of writers does (the first writer that needs it pays for it)."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        writers = plan.writers()
        with tempfile.TemporaryDirectory() as folder:
            for name, write in writers.items():
                start = time.perf_counter()
                write(Path(folder) / name)
                took = time.perf_counter() - start
                best[name] = min(best.get(name, float("inf")), took)
    return best


def time_set(plan: Plan, repeat: int) -> float:
    from geogroup.outputs import write_set

    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            write_set(folder, plan.writers())
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--plan", type=Path, default=Path(tempfile.gettempdir()) / "za_plan.pkl")
    args = parser.parse_args()
    plan = za_plan(args.plan)
    files = time_files(plan, args.repeat)
    whole = time_set(plan, args.repeat)
    load = os.getloadavg()
    lines = [
        "# Writing the plan files of South Africa",
        "",
        f"`{' '.join(['.venv/bin/python', *sys.argv])}`: {len(plan.schools):,} schools, "
        f"{plan.schools['group_id'].nunique():,} groups, best of {args.repeat}; load average "
        f"{load[0]:.1f} on {os.cpu_count()} cores while it ran (the times grow with the load).",
        "",
        "| file | seconds |",
        "| --- | ---: |",
        *(f"| {name} | {seconds:.3f} |" for name, seconds in files.items()),
        f"| **all, one writer after another** | **{sum(files.values()):.3f}** |",
        f"| all, as `write_set` writes them (staged, moved in) | {whole:.3f} |",
        "",
        f"Target: {TARGET_S:g} s for the plan files; "
        f"{'met' if whole <= TARGET_S else 'NOT met'} in this run.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
