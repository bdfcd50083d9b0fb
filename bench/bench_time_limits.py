"""Time limits: every method's wall time on one large unit, against the limit it was given;
writes bench/time_limit_results.{md,json}.

Run:  .venv/bin/python bench/bench_time_limits.py [--cases fast-20000-5,exact-3000-20,...]

A case is METHOD-SCHOOLS-LIMIT: that many synthetic schools (``bench/synthetic.py``, a
province's county clusters) grouped as ONE unit (no ``by``), policy ``ninghe`` with
``allow_unassigned``, ``time_limit=LIMIT``. Each case runs in a fresh process. The
target: wall time within 10 % + 5 s of the limit (``limit * 1.1 + 5``); ``fast``, ``kmeans``,
``districts`` and ``pairs`` usually stop well before it, at a local optimum. A row's ``note``
says why it has no plan (the error) or why it ran past the limit (the unit's
``over_time_limit`` note: its first plan keeping every rule took longer). The load average
(``/proc/loadavg``) before each case is written beside it: timings on a shared machine are
indicative.
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


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text(encoding="utf-8").split()[0]
    except OSError:
        return ""


def run_case(case: str) -> dict:
    from geogroup import get_method
    from geogroup.errors import InfeasibleError
    from geogroup.policy import get_policy

    method, n, limit = case.split("-")
    schools = _schools(int(n))
    policy = get_policy("ninghe").replace(allow_unassigned=True)
    if method == "pairs":
        policy = policy.replace(members=(1, 3))
    grouper = get_method(method, policy=policy, time_limit=float(limit), progress=False)
    load = _load()
    started = time.perf_counter()
    plan, note = None, ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            plan = grouper.fit(schools).plan_
        except InfeasibleError as exc:  # no plan: the row says why
            note = f"no plan: {exc}"
    wall = time.perf_counter() - started
    target = float(limit) * 1.1 + 5.0
    if plan is not None:
        note = "; ".join(str(u["over_time_limit"]) for u in plan.units if "over_time_limit" in u)
    return {
        "case": case,
        "method": method,
        "schools": int(n),
        "time_limit_s": float(limit),
        "wall_s": round(wall, 2),
        "target_s": round(target, 2),
        "meets_target": wall <= target,
        "status": "infeasible" if plan is None else plan.status,
        "objective": None if plan is None else round(float(plan.objective), 6),
        "gap": None if plan is None or plan.gap is None else round(float(plan.gap), 6),
        "load_before": load,
        "note": note,
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
        failed = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        rows.append(
            json.loads(line)
            if line.startswith("{")
            else {"case": case, "note": f"failed: {failed[0][:300]}", "error": done.stderr[-500:]}
        )
        print(rows[-1], flush=True)
    machine = {"python": platform.python_version(), "platform": platform.platform(), "cpus": 2}
    if args.cases != ",".join(CASES):  # a partial run: the other cases keep their last rows
        rows = _merged(rows)
    (OUT / "time_limit_results.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=1), encoding="utf-8"
    )
    keys = ["case", "schools", "time_limit_s", "wall_s", "target_s", "meets_target", "status",
            "objective", "gap", "load_before", "note"]  # fmt: skip
    lines = [
        "# Time limits",
        "",
        f"Written by `.venv/bin/python bench/bench_time_limits.py` on {time.strftime('%Y-%m-%d')};"
        f" machine: {machine}. Target: wall time <= 1.1 x limit + 5 s. `load_before`: the"
        " 1-minute load average before the case (2 cores, shared).",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    (OUT / "time_limit_results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _merged(rows: list[dict]) -> list[dict]:
    """The last full table with these rows in place of their cases' old ones."""
    path = OUT / "time_limit_results.json"
    old = json.loads(path.read_text(encoding="utf-8"))["rows"] if path.exists() else []
    fresh = {r["case"]: r for r in rows}
    merged = [fresh.pop(r["case"], r) for r in old]
    return merged + list(fresh.values())


if __name__ == "__main__":
    main()
