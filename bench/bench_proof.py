"""Exact's proof on our own cases: the time ``exact`` takes to prove its plan optimal
(HiGHS gap <= 1e-4), or the gap it reached at the time limit; writes
bench/proof_results.{md,json}.

Run:  .venv/bin/python bench/bench_proof.py [--cases beijing,demo_liangxi] [--limit 120]

Cases are ``bench/run.py``'s ``load``: ``beijing`` (829 primary schools, policy ``ninghe``,
leads from the key-school column) and ``demo_liangxi`` (the demo county, policy
``liangxi``). Each case runs in a fresh process, ``exact`` with its defaults (warm start
from ``fast``, ``mip_gap=1e-4``) and ``time_limit=LIMIT``; the time to proof is the wall
time of the whole method when its status is ``optimal``. Target: <= 60 s on 2 cores. The
load average beside each row tells how busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
OUT = ROOT / "bench"
CASES = ["beijing", "demo_liangxi"]
TARGET_S = 60.0


def _load() -> str:
    return (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if os.path.exists("/proc/loadavg")
        else "n/a"
    )


def run_case(case: str, limit: float) -> dict:
    import run as bench_run  # bench/run.py

    from geogroup import get_method

    schools, policy, _ = bench_run.load(case)
    grouper = get_method("exact", policy=policy, time_limit=limit, progress=False)
    load_before = _load()
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = grouper.fit(schools).plan_
    wall = time.perf_counter() - started
    proven = plan.status == "optimal" and plan.gap is not None and plan.gap <= 1e-4
    return {
        "case": case,
        "schools": len(schools),
        "time_limit_s": limit,
        "status": plan.status,
        "objective": round(float(plan.objective), 6),
        "bound": None if plan.bound is None else round(float(plan.bound), 6),
        "gap": None if plan.gap is None else float(f"{plan.gap:.3g}"),
        "wall_s": round(wall, 1),
        "time_to_proof_s": round(wall, 1) if proven else None,
        "meets_target": bool(proven and wall <= TARGET_S),
        "load_before": load_before,
        "load_after": _load(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a single case, in this process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_case(args.one, args.limit)))
        return
    rows = []
    for case in args.cases.split(","):
        command = [sys.executable, __file__, "--one", case, "--limit", str(args.limit)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        rows.append(
            json.loads(line)
            if line.startswith("{")
            else {"case": case, "error": done.stderr[-500:]}
        )
        print(rows[-1], flush=True)
    machine = {"python": platform.python_version(), "platform": platform.platform(), "cpus": 2}
    (OUT / "proof_results.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=1), encoding="utf-8"
    )
    keys = ["case", "schools", "time_limit_s", "status", "objective", "bound", "gap",
            "time_to_proof_s", "wall_s", "meets_target", "load_before", "load_after"]  # fmt: skip
    lines = [
        "# Exact's proof on our own cases",
        "",
        f"Written by `.venv/bin/python bench/bench_proof.py` on {time.strftime('%Y-%m-%d')};"
        f" machine: {machine}. Target: proven optimal (gap <= 1e-4) in <= {TARGET_S:g} s."
        " Load average (1, 5, 15 min) before and after each run.",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    (OUT / "proof_results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
