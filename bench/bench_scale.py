"""Scale benchmark: ``fast`` by county on a synthetic province and country; writes
bench/scale_results.{md,json}.

Run:  .venv/bin/python bench/bench_scale.py [--cases province-processes,...]

Inputs come from ``bench/synthetic.py`` (seeded, in memory): a province of 20,000 schools in
100 counties and a country of 200,000 schools in 2,800 counties. Policy ``ninghe`` with
``allow_unassigned=True`` and ``on_infeasible='unassign'``, grouped ``by='county'``. Cases:
- province-processes, country-processes: the default process batching (every core);
- province-dask: the same run as Dask tasks on a LocalCluster started for the run (one
  single-threaded worker per core), for comparison; its objective must equal the first's.
Each case runs in a fresh process, so that its peak memory (the larger ru_maxrss of the
process and of its reaped worker processes) is its own. ``--profile`` adds a cProfile of one
median-sized county of the country input, to show what dominates the time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench"

CASES = ["province-processes", "province-dask", "country-processes"]
TARGET_S = 300.0  # 200,000 schools in under 5 minutes on 2 cores


def _inputs(data: str):
    from bench.synthetic import country, province

    return {"province": province, "country": country}[data]()


def _grouper(backend: str):
    from geogroup import get_method
    from geogroup.policy import get_policy

    policy = get_policy("ninghe").replace(allow_unassigned=True)
    return get_method(
        "fast", policy=policy, on_infeasible="unassign", backend=backend, progress=False
    )


def peak_mib() -> float:
    """Peak resident memory of this process and its reaped children, in MiB."""
    return round(
        max(
            resource.getrusage(w).ru_maxrss
            for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        / 1024,
        1,
    )


def run_case(name: str) -> dict:
    data, backend = name.split("-")
    t0 = time.perf_counter()
    schools = _inputs(data)
    make_s = time.perf_counter() - t0
    grouper = _grouper(backend)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = grouper.fit(schools, by="county").plan_
    seconds = time.perf_counter() - t0
    summary = plan.summary()
    unit_s = sorted(u.get("seconds", 0.0) for u in plan.units)
    return {
        "case": name,
        "backend": backend,
        "schools": len(schools),
        "counties": int(schools["county"].nunique()),
        "units": len(plan.units),
        "workers": os.cpu_count(),
        "seconds": round(seconds, 2),
        "schools_per_s": round(len(schools) / seconds, 1),
        "generate_seconds": round(make_s, 2),
        "unit_seconds_sum": round(sum(unit_s), 2),
        "unit_seconds_max": round(unit_s[-1], 3),
        "peak_mib": peak_mib(),
        "status": summary["status"],
        "objective": summary["objective"],
        "groups": summary["groups"],
        "unassigned": summary["unassigned"],
        "meets_target": bool(data != "country" or seconds < TARGET_S),
    }


def profile_county() -> dict:
    """cProfile of ``fast`` on the median-sized county of the country input."""
    schools = _inputs("country")
    sizes = schools["county"].value_counts().sort_values()
    county = sizes.index[len(sizes) // 2]
    unit = schools[schools["county"] == county]
    grouper = _grouper("serial")
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    grouper.fit(unit)
    profiler.disable()
    seconds = time.perf_counter() - t0
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return {
        "county": str(county),
        "schools": len(unit),
        "seconds": round(seconds, 3),
        "top_by_own_time": lines[start : start + 13],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--profile", action="store_true", help="profile one county too")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = profile_county() if args.one == "profile" else run_case(args.one)
        print(json.dumps(result))
        return
    rows = []
    todo = args.cases.split(",") + (["profile"] if args.profile else [])
    for case in todo:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", case], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print({k: v for k, v in rows[-1].items() if k != "top_by_own_time"}, flush=True)
    profile = rows.pop() if args.profile else None
    _write(rows, profile)


def _write(rows: list[dict], profile: dict | None) -> None:
    from importlib.metadata import version

    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "numpy": version("numpy"),
        "pandas": version("pandas"),
        "dask": version("dask"),
        "distributed": version("distributed"),
    }
    (OUT / "scale_results.json").write_text(
        json.dumps({"machine": machine, "cases": rows, "profile": profile}, indent=2) + "\n"
    )
    cols = [
        "case",
        "schools",
        "units",
        "seconds",
        "schools_per_s",
        "unit_seconds_sum",
        "unit_seconds_max",
        "peak_mib",
        "status",
        "objective",
        "groups",
        "unassigned",
        "meets_target",
    ]
    lines = [
        "# Scale benchmark",
        "",
        f"Machine: {machine}",
        "",
        "Synthetic inputs from `bench/synthetic.py` (seed 0); `fast`, policy `ninghe` with "
        "`allow_unassigned`, by county. Target: 200,000 schools in under "
        f"{TARGET_S:.0f} s on 2 cores.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    if profile:
        lines += [
            "",
            f"## Profile of one county ({profile['county']}, {profile['schools']} schools, "
            f"{profile['seconds']} s serial)",
            "",
            "```",
            *profile["top_by_own_time"],
            "```",
        ]
    (OUT / "scale_results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
