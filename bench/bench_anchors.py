"""Anchors: what a Python user would otherwise pick, scored with geogroup's own objective;
writes bench/anchors_results.{md,json}.

Run:  .venv/bin/pip install -r bench/requirements-anchors.txt
      .venv/bin/python bench/bench_anchors.py [--cases beijing-pmedian,...] [--time-limit S]

Anchors (none of them knows the 1+X rules beyond a group size):
- ``pmedian``: spopt's capacitated p-median (``spopt.locate.PMedian.from_cost_matrix`` with
  ``facility_capacities``, solved by CBC through PuLP within the time limit): every school a
  client, every lead candidate of the policy a facility of capacity ``max members + 1``;
  ``p`` = the fewest groups the size cap allows. It has no minimum group size, no weak-school
  quota and no urban–rural pairing.
- ``regionkmeans``: spopt's ``RegionKMeansHeuristic`` on the schools' metric coordinates with
  8-nearest-neighbour contiguity (libpysal ``KNN``), ``p`` regions; no size bounds at all.
- ``kmc``: ``k_means_constrained.KMeansConstrained(p, size_min=min members + 1,
  size_max=max members + 1)`` on the metric coordinates.
For clusters without a lead (regionkmeans, kmc) the best school of the cluster leads: the
highest quality among the cluster's lead candidates, or of the whole cluster when it has none
(then counted as a ``lead not a candidate`` violation). Every result is scored with
``geogroup.group._problem.evaluate`` on ``prepare_problem(schools, policy)`` and checked with
``violations``; ``vs_*_pct`` compare it with the exact method's objective and HiGHS's bound
from ``bench/results.json`` (same data, same policy). ``za<N>`` cases are single real South
African education districts of about N schools (no district has 3,000: ``za3000`` is the
province closest to that size, Limpopo, as one unit); geogroup's ``fast`` and ``exact`` run there
in this script, as there is no row for them in results.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
OUT = ROOT / "bench"

DATASETS = ["beijing", "demo_shandong", "demo_ninghe", "demo_liangxi", "za300", "za1000", "za3000"]
ANCHORS = ["pmedian", "regionkmeans", "kmc"]
CASES = [f"{d}-{a}" for d in DATASETS for a in ANCHORS] + [
    f"{d}-{m}" for d in ("za300", "za1000", "za3000") for m in ("fast", "exact")
]
_PMEDIAN_MAX_PAIRS = 400_000  # school-candidate pairs: beyond, PuLP alone takes minutes to build


def load(data: str):
    """Schools and policy of a case, as bench_grouping loads them."""
    import bench_grouping as bg

    from geogroup.policy import get_policy

    if data == "beijing":
        return bg._beijing()[0], get_policy("ninghe").replace(leads="column:lead_candidate")
    if data.startswith("demo_"):
        return bg._demo()[0], get_policy(data.split("_")[1])
    schools, by = bg._za()
    wanted = int(data[2:])
    # "." is the source's placeholder for an unknown district, not a district.
    sizes = schools.loc[schools[by] != ".", by].value_counts()
    if sizes.max() < wanted / 2:  # no district is that large: take the closest province
        sizes, by = schools["province"].value_counts(), "province"
    unit = (sizes - wanted).abs().idxmin()
    return schools[schools[by] == unit], get_policy("ninghe")


def n_groups(problem) -> int:
    hi = problem.policy.members[1]
    return math.ceil(problem.n / (hi + 1))


def leads_from_labels(problem, labels: np.ndarray) -> np.ndarray:
    """One lead per cluster: its best lead candidate, else its best school."""
    lead = np.full(problem.n, -1, dtype=np.int64)
    for label in np.unique(labels[labels >= 0]):
        idx = np.flatnonzero(labels == label)
        pool = idx[problem.may_lead[idx]]
        pool = pool if len(pool) else idx
        lead[idx] = pool[np.argmax(problem.quality[pool])]
    return lead


def run_pmedian(problem, time_limit: float):
    import pulp
    from spopt.locate import PMedian

    cand = problem.leads_pool
    if problem.n * len(cand) > _PMEDIAN_MAX_PAIRS:
        raise RuntimeError(
            f"not run: {problem.n} schools x {len(cand)} candidates = "
            f"{problem.n * len(cand):,} binary variables; PuLP alone needs minutes to build it"
        )
    cost = np.hypot(*(problem.xy[:, None, :] - problem.xy[None, cand, :]).transpose(2, 0, 1))
    capacity = np.full(len(cand), problem.policy.members[1] + 1)
    model = PMedian.from_cost_matrix(
        cost / 1000.0,
        np.ones(problem.n),
        p_facilities=n_groups(problem),
        facility_capacities=capacity,
    )
    t0 = time.perf_counter()
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    # PuLP calls a solution found by the time limit "Optimal" too.
    status = pulp.LpStatus[model.problem.status]
    if time.perf_counter() - t0 >= 0.98 * time_limit:
        status = f"time_limit (PuLP: {status})"
    lead = np.full(problem.n, -1, dtype=np.int64)
    opened = [j for j, clients in enumerate(model.fac2cli) if len(clients)]
    for j in opened:
        lead[np.asarray(model.fac2cli[j], dtype=np.int64)] = cand[j]
    lead[cand[opened]] = cand[opened]  # an open facility leads its own group
    return lead, status


def run_regionkmeans(problem, time_limit: float):
    from libpysal.weights import KNN
    from spopt.region import RegionKMeansHeuristic

    xy = problem.xy / 1000.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = KNN.from_array(xy, k=8)
        model = RegionKMeansHeuristic(xy, n_groups(problem), w, seed=0)
        model.solve()
    return leads_from_labels(problem, np.asarray(model.labels_)), "heuristic"


def run_kmc(problem, time_limit: float):
    from k_means_constrained import KMeansConstrained

    lo, hi = problem.policy.members
    model = KMeansConstrained(
        n_clusters=n_groups(problem), size_min=lo + 1, size_max=hi + 1, random_state=0
    )
    labels = model.fit_predict(problem.xy / 1000.0)
    return leads_from_labels(problem, labels), "heuristic"


def run_geogroup(schools, policy, method: str, time_limit: float):
    from geogroup import get_method

    grouper = get_method(method, policy=policy, time_limit=time_limit)
    plan = grouper.fit(schools).plan_
    pos = {sid: i for i, sid in enumerate(schools.index)}
    lead = np.array([pos.get(x, -1) for x in plan.schools["lead_id"]], dtype=np.int64)
    return lead, plan.status, plan.bound


def kinds(found: list[str]) -> dict[str, int]:
    """Violations counted by rule."""
    rules = [
        ("group size", r"members, outside"),
        ("weak-school quota", r"weak members"),
        ("urban-rural pairing", r"no rural member"),
        ("unassigned", r"unassigned"),
        ("lead not a candidate", r"not a lead candidate"),
    ]
    out: dict[str, int] = {}
    for text in found:
        rule = next((name for name, pattern in rules if re.search(pattern, text)), text[:40])
        out[rule] = out.get(rule, 0) + 1
    return out


def run_case(name: str, time_limit: float) -> dict:
    from geogroup.group._problem import evaluate, prepare_problem, violations

    data, method = name.split("-")
    schools, policy = load(data)
    problem = prepare_problem(schools, policy)
    bound = None
    t0 = time.perf_counter()
    try:
        if method in ("fast", "exact"):
            lead, status, bound = run_geogroup(schools, policy, method, time_limit)
        else:
            runner = {"pmedian": run_pmedian, "regionkmeans": run_regionkmeans, "kmc": run_kmc}
            lead, status = runner[method](problem, time_limit)
    except Exception as exc:  # an anchor that fails is a result too
        return {
            "case": name,
            "method": method,
            "n": problem.n,
            "error": f"{type(exc).__name__}: {exc}",
        }
    seconds = time.perf_counter() - t0
    found = violations(problem, lead)
    heads = np.unique(lead[lead >= 0])
    outsiders = heads[~(problem.may_lead | problem.must_lead)[heads]]
    found += [f"{problem.ids[h]} is not a lead candidate" for h in outsiders]
    return {
        "case": name,
        "method": method,
        "n": problem.n,
        "seconds": round(seconds, 2),
        "peak_mib": round(
            max(
                resource.getrusage(w).ru_maxrss
                for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            )
            / 1024,
            1,
        ),
        "status": status,
        "groups": len(heads),
        "objective": round(evaluate(problem, lead)["objective"], 6),
        "bound": bound,
        "violations": len(found),
        "violations_by_rule": kinds(found),
        "leads_not_candidates": len(outsiders),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument(
        "--case-timeout", type=float, default=240.0, help="wall-clock seconds per case"
    )
    parser.add_argument(
        "--append", action="store_true", help="keep the other cases of anchors_results.json"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_case(args.one, args.time_limit)))
        return
    rows = []
    for case in args.cases.split(","):
        rows.append(_run_in_process(case, args.time_limit, args.case_timeout))
        print(rows[-1], flush=True)
    if args.append and (OUT / "anchors_results.json").exists():
        done = {r["case"] for r in rows}
        kept = json.loads((OUT / "anchors_results.json").read_text())["cases"]
        order = {c: i for i, c in enumerate(CASES)}
        rows = sorted(
            [r for r in kept if r["case"] not in done] + rows,
            key=lambda r: order.get(r["case"], len(order)),
        )
    _write(rows, args.time_limit)


def _run_in_process(case: str, time_limit: float, case_timeout: float) -> dict:
    """One case in a fresh process, so that its peak memory is its own."""
    method = case.split("-")[1]
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", case, "--time-limit", str(time_limit)],
            capture_output=True,
            text=True,
            timeout=case_timeout,
        )
    except subprocess.TimeoutExpired:
        return {"case": case, "method": method, "error": f"did not finish in {case_timeout:.0f} s"}
    if proc.returncode:
        return {"case": case, "method": method, "error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _reference() -> dict[str, dict]:
    """geogroup's rows of bench/results.json, by data set."""
    cases = json.loads((OUT / "results.json").read_text())["cases"]
    return {c["case"]: c for c in cases}


def _write(rows: list[dict], time_limit: float) -> None:
    from importlib.metadata import PackageNotFoundError, version

    ref = _reference()
    for r in rows:
        data = r["case"].split("-")[0]
        exact = ref.get(f"{data}-exact") or next(
            (x for x in rows if x["case"] == f"{data}-exact" and "objective" in x), None
        )
        if exact and r.get("objective") is not None:
            r["exact_objective"] = exact["objective"]
            r["vs_exact_objective_pct"] = round(100 * (r["objective"] / exact["objective"] - 1), 3)
            if exact.get("bound"):
                r["vs_exact_bound_pct"] = round(100 * (r["objective"] / exact["bound"] - 1), 3)

    def ver(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "not installed"

    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "time_limit_s": time_limit,
        **{
            p: ver(p)
            for p in (
                "spopt",
                "libpysal",
                "pulp",
                "k-means-constrained",
                "scikit-learn",
                "highspy",
                "numpy",
            )
        },
    }
    geogroup_rows = [
        {
            **ref[f"{d}-{m}"],
            "method": f"geogroup {m} (results.json)",
            "n": ref[f"{d}-{m}"]["schools"],
        }
        for d in DATASETS
        for m in ("exact", "fast")
        if f"{d}-{m}" in ref
    ]
    (OUT / "anchors_results.json").write_text(
        json.dumps({"machine": machine, "cases": rows}, indent=2, ensure_ascii=False) + "\n"
    )
    cols = [
        "case",
        "method",
        "n",
        "seconds",
        "peak_mib",
        "status",
        "groups",
        "objective",
        "vs_exact_objective_pct",
        "vs_exact_bound_pct",
        "violations",
        "violations_by_rule",
    ]
    lines = [
        "# Anchors: other Python tools scored with geogroup's objective",
        "",
        f"Machine: {machine}",
        "",
        "Lower objective is better (docs/objective.md); `vs_exact_*` against the exact method's "
        "objective and HiGHS's bound on the same case (bench/results.json, or this run for za*). "
        "A result with violations breaks the policy and is not a usable plan, whatever its objective.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in rows + geogroup_rows:
        if "error" in r:
            lines.append(
                f"| {r['case']} | {r['method']} | {r.get('n', '')} | | | failed: {r['error']} |"
                + " |" * 6
            )
            continue
        cells = []
        for c in cols:
            v = r.get(c, "")
            if c == "violations_by_rule":
                v = ", ".join(f"{k}: {n}" for k, n in v.items()) if v else ""
            cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    (OUT / "anchors_results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
