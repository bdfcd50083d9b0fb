"""Benchmark of the grouping methods on real data; writes bench/results.{md,json}.

Run:  .venv/bin/python bench/bench_grouping.py [--cases beijing-exact,...] [--time-limit S]

Each case runs in a fresh Python process so that its peak memory (ru_maxrss) is its own.
Cases:
- beijing-*: the 829 Beijing primary schools (GCJ-02, quality = nearby house price, the 100
  key schools as lead candidates), policy ``ninghe`` (at most 10 members, a weak school in
  every group), one unit; methods exact, fast, kmeans.
- demo_<policy>-*: the synthetic demo county (307 usable schools) under the shandong, ninghe
  and liangxi presets; methods exact, fast, kmeans.
- za-fast, za-kmeans: every usable South African school (24,813 rows), grouped within
  ``education_district`` (case-normalised) with ``ninghe`` (quality = funding quintile: a
  resource proxy, not an achievement score); units the policy cannot group
  (a stray district of one or two schools) are left unassigned with their reason.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "bench"

CASES = [
    f"{data}-{method}"
    for data in ("beijing", "demo_shandong", "demo_ninghe", "demo_liangxi")
    for method in ("exact", "fast", "kmeans")
] + ["za-fast", "za-kmeans"]


def _beijing():
    from geogroup import read_schools

    schools, _ = read_schools(
        DATA / "beijing_primary_829.csv",
        coords="gcj02",
        columns={"quality": "house_price", "lead_candidate": "key_school"},
    )
    return schools, None


def _za():
    from geogroup import read_schools

    schools, _ = read_schools(
        DATA / "za_schools_2017.csv", columns={"quality": "quintile"}, id_column="emis"
    )
    # The source spells some districts in two cases ("Gert Sibande", "GERT SIBANDE").
    schools["district"] = schools["education_district"].astype(str).str.strip().str.upper()
    return schools, "district"


def _demo():
    from geogroup import read_schools

    schools, _ = read_schools(ROOT / "data" / "demo_county.csv")
    return schools, None


def run_case(name: str, time_limit: float) -> dict:
    import warnings

    from geogroup import get_method, propose
    from geogroup.policy import get_policy

    data, method = name.split("-")
    t0 = time.perf_counter()
    schools, by = {"beijing": _beijing, "za": _za}.get(data, _demo)()
    read_s = time.perf_counter() - t0
    if data == "beijing":
        policy = get_policy("ninghe").replace(leads="column:lead_candidate")
    elif data == "za":
        policy = get_policy("ninghe").replace(allow_unassigned=True)
    else:
        policy = get_policy(data.split("_")[1])
    t0 = time.perf_counter()
    # A unit the policy cannot group (a district of one school) is left unassigned, with its
    # reason, instead of stopping the whole country.
    grouper = get_method(method, policy=policy, time_limit=time_limit, on_infeasible="unassign")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = propose(schools, policy, method=grouper, by=by)
    seconds = time.perf_counter() - t0
    summary = plan.summary()
    return {
        "case": name,
        "method": method,
        "schools": len(schools),
        "units": max(1, len(plan.units)),
        "seconds": round(seconds, 2),
        "read_seconds": round(read_s, 2),
        # the largest of this process and of the worker processes it started for the units
        "peak_mib": round(
            max(
                resource.getrusage(who).ru_maxrss
                for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            )
            / 1024,
            1,
        ),
        "status": summary["status"],
        "objective": summary["objective"],
        "bound": summary["bound"],
        "gap": summary["gap"],
        "groups": summary["groups"],
        "unassigned": summary["unassigned"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_case(args.one, args.time_limit)))
        return
    rows = []
    for case in args.cases.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--one", case, "--time-limit", str(args.time_limit)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    _write(rows, args.time_limit)


def _write(rows: list[dict], time_limit: float) -> None:
    from importlib.metadata import version

    best = {r["case"].split("-")[0]: r for r in rows if r["method"] == "exact"}
    for r in rows:
        ref = best.get(r["case"].split("-")[0])
        if ref and ref["bound"] is not None and r["objective"] is not None:
            r["vs_exact_objective_pct"] = round(100 * (r["objective"] / ref["objective"] - 1), 3)
            r["vs_exact_bound_pct"] = round(100 * (r["objective"] / ref["bound"] - 1), 3)
            r["speedup_vs_exact"] = round(ref["seconds"] / max(r["seconds"], 1e-9), 1)
    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": __import__("os").cpu_count(),
        "highspy": version("highspy"),
        "numpy": version("numpy"),
        "pandas": version("pandas"),
        "time_limit_s": time_limit,
    }
    (OUT / "results.json").write_text(
        json.dumps({"machine": machine, "cases": rows}, indent=2) + "\n"
    )
    cols = [
        "case",
        "schools",
        "units",
        "seconds",
        "peak_mib",
        "status",
        "objective",
        "bound",
        "gap",
        "groups",
        "unassigned",
        "vs_exact_objective_pct",
        "vs_exact_bound_pct",
        "speedup_vs_exact",
    ]
    lines = [
        "# Grouping benchmark",
        "",
        f"Machine: {machine}",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    (OUT / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
