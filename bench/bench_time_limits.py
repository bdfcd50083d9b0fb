"""Time limits: every method's wall time on one large unit, against the limit it was given;
writes bench/time_limit_results.{md,json}.

Run:  .venv/bin/python bench/bench_time_limits.py [--cases fast-20000-5,exact-3000-20,...]

A case is METHOD-SCHOOLS-LIMIT: that many synthetic schools (``bench/synthetic.py``, a
province's county clusters) grouped as ONE unit (no ``by``), policy ``ninghe`` with
``allow_unassigned``, ``time_limit=LIMIT``. Each case runs in a fresh process. The
target: wall time within 10 % + 5 s of the limit (``limit * 1.1 + 5``); ``fast``, ``kmeans``,
``districts`` and ``pairs`` usually stop well before it, at a local optimum.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench"

CASES = [
    "fast-20000-5",
    "fast-50000-60",
    "exact-3000-20",
    "exact-829-10",
    "kmeans-20000-5",
    "pairs-20000-5",
    "districts-5000-10",
]


def _schools(n: int):
    from bench.synthetic import province

    schools = province(n_schools=n, n_counties=max(1, n // 200), seed=1)
    return schools.drop(columns=["county"])


def run_case(case: str) -> dict:
    from geogroup import get_method
    from geogroup.policy import get_policy

    method, n, limit = case.split("-")
    schools = _schools(int(n))
    policy = get_policy("ninghe").replace(allow_unassigned=True)
    if method == "pairs":
        policy = policy.replace(members=(1, 3))
    grouper = get_method(method, policy=policy, time_limit=float(limit), progress=False)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = grouper.fit(schools).plan_
    wall = time.perf_counter() - started
    target = float(limit) * 1.1 + 5.0
    return {
        "case": case,
        "method": method,
        "schools": int(n),
        "time_limit_s": float(limit),
        "wall_s": round(wall, 2),
        "target_s": round(target, 2),
        "meets_target": wall <= target,
        "status": plan.status,
        "objective": round(float(plan.objective), 6),
        "gap": None if plan.gap is None else round(float(plan.gap), 6),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a single case, in this process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_case(args.one)))
        return
    rows = []
    for case in args.cases.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--one", case], capture_output=True, text=True, check=False
        )
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        rows.append(
            json.loads(line)
            if line.startswith("{")
            else {"case": case, "error": done.stderr[-500:]}
        )
        print(rows[-1], flush=True)
    machine = {"python": platform.python_version(), "platform": platform.platform(), "cpus": 2}
    (OUT / "time_limit_results.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=1), encoding="utf-8"
    )
    keys = ["case", "schools", "time_limit_s", "wall_s", "target_s", "meets_target", "status",
            "objective", "gap"]  # fmt: skip
    lines = [
        "# Time limits",
        "",
        f"Written by `.venv/bin/python bench/bench_time_limits.py` on {time.strftime('%Y-%m-%d')};"
        f" machine: {machine}. Target: wall time <= 1.1 x limit + 5 s.",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    (OUT / "time_limit_results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
