"""Published yardstick: OR-Library capacitated p-median instances through geogroup's API.

Each instance (``pmedcapN_MM.txt``: line 1 ``instance optimum``; line 2 ``n p capacity``;
then ``id x y demand`` per point) is solved as it is defined: points on a plain plane (no
CRS), exactly ``p`` groups, every point a possible lead, the demand as ``students`` against
a capacity column, no balance term, and the distance table of Euclidean distances truncated
to integers (the convention of the published optima). geogroup's objective is the mean
member-to-lead distance; times the number of points it is the instance's total distance.

``exact`` and ``fast`` run through ``geogroup.propose``; spopt's capacitated p-median (the
anchor; ``pip install -r bench/requirements-anchors.txt``) on the same table, with CBC.
Run::

    .venv/bin/python bench/bench_pmedcap.py                      # the ten shipped instances
    .venv/bin/python bench/bench_pmedcap.py path/to/pmedcap*.txt --exact-limit 300

and it writes ``bench/pmedcap_results.md`` and ``.json`` (``--out`` for another stem).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import geogroup as gg
from geogroup.locate import DistanceTable

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "datasets" / "pmedcap"


def read_instance(path: Path) -> dict:
    """The instance's name, published optimum, p, capacity and points (id, x, y, demand)."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    name, optimum = lines[0][0], float(lines[0][1])
    n, p, capacity = (int(v) for v in lines[1][:3])
    points = pd.DataFrame(
        [[int(r[0]), float(r[1]), float(r[2]), float(r[3])] for r in lines[2 : 2 + n]],
        columns=["id", "x", "y", "demand"],
    )
    if len(points) != n:
        raise ValueError(f"{path}: {len(points)} points, the header says {n}")
    return {"file": path.name, "name": name, "optimum": optimum, "n": n, "p": p,
            "capacity": capacity, "points": points}  # fmt: skip


def truncated_distances(points: pd.DataFrame) -> np.ndarray:
    xy = points[["x", "y"]].to_numpy(float)
    return np.floor(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))


def geogroup_inputs(inst: dict) -> tuple[gpd.GeoDataFrame, gg.Policy, DistanceTable]:
    pts = inst["points"]
    ids = [f"P{i}" for i in pts["id"]]
    schools = gpd.GeoDataFrame(
        {
            "name": ids,
            "quality": 1.0,
            "students": pts["demand"].to_numpy(),
            "capacity": float(inst["capacity"]),
        },
        geometry=gpd.points_from_xy(pts["x"], pts["y"]),  # no CRS: a plain plane
        index=pd.Index(ids, name="school_id"),
    )
    d = truncated_distances(pts)
    a, b = np.nonzero(~np.eye(len(ids), dtype=bool))
    table = DistanceTable(
        pd.DataFrame({"from_id": np.array(ids)[a], "to_id": np.array(ids)[b], "km": d[a, b]}),
        source="truncated Euclidean distances",
    )
    policy = gg.Policy(
        name=inst["name"],
        members=(0, inst["n"] - 1),
        n_groups=inst["p"],
        leads="top:1",
        balance_weight=0.0,
        capacity_column="capacity",
    )
    return schools, policy, table


def run_geogroup(inst: dict, method: str, time_limit: float) -> dict:
    schools, policy, table = geogroup_inputs(inst)
    start = time.perf_counter()
    plan = gg.propose(
        schools, policy, method=method, time_limit=time_limit, distances=table, random_state=0
    )
    seconds = time.perf_counter() - start
    total = plan.objective * inst["n"]
    broken = gg.check_plan(plan, policy)
    bound = plan.bound * inst["n"] if plan.bound is not None else None
    return {
        "objective": round(total, 6),
        "status": plan.status,
        "bound": None if bound is None else round(bound, 6),
        "seconds": round(seconds, 2),
        "violations": len(broken),
    }


def run_spopt(inst: dict, time_limit: float) -> dict:
    try:
        import pulp
        from spopt.locate import PMedian
    except ImportError:
        return {"objective": None, "status": "spopt not installed", "seconds": None}
    pts = inst["points"]
    demand = pts["demand"].to_numpy(float)
    d = truncated_distances(pts)
    # spopt weighs both the cost and the capacity by the demand: the cost per unit of
    # demand, d / demand, makes its objective the instance's unweighted total distance.
    model = PMedian.from_cost_matrix(
        d / demand[:, None],
        demand,
        p_facilities=inst["p"],
        facility_capacities=np.full(inst["n"], float(inst["capacity"])),
    )
    start = time.perf_counter()
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=int(time_limit), threads=1)
    model.solve(solver, results=False)
    seconds = time.perf_counter() - start
    status = pulp.LpStatus[model.problem.status].lower()
    value = pulp.value(model.problem.objective)
    return {
        "objective": None if value is None else round(float(value), 6),
        "status": status,
        "seconds": round(seconds, 2),
    }


def gap(found: float | None, optimum: float) -> float | None:
    return None if found is None else round(100.0 * (found - optimum) / optimum, 3)


def write(rows: list[dict], stem: Path, args: argparse.Namespace) -> None:
    stem.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    fast_gaps = [r["fast_gap_pct"] for r in rows if r["fast_gap_pct"] is not None]
    lines = [
        "# Capacitated p-median (OR-Library pmedcap1) through geogroup",
        "",
        f"Written by `python bench/bench_pmedcap.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; `exact` limit "
        f"{args.exact_limit:g} s, `fast` limit {args.fast_limit:g} s, spopt (CBC, 1 thread) "
        f"limit {args.spopt_limit:g} s. Objective: total distance (integer-truncated "
        "Euclidean), as published.",
        "",
        "| instance | n | p | published | exact | status | exact s | fast | fast gap % | "
        "fast s | spopt | spopt s | rules broken |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['file']} | {r['n']} | {r['p']} | {r['optimum']:g} | {r['exact']['objective']:g} "
            f"| {r['exact']['status']} | {r['exact']['seconds']:.2f} | {r['fast']['objective']:g} "
            f"| {r['fast_gap_pct']:.2f} | {r['fast']['seconds']:.2f} | "
            f"{_num(r['spopt']['objective'])} | {_num(r['spopt']['seconds'], '.2f')} | "
            f"{r['exact']['violations'] + r['fast']['violations']} |"
        )
    if fast_gaps:
        lines += [
            "",
            f"`fast` from the published optimum: mean {np.mean(fast_gaps):.2f} %, worst "
            f"{max(fast_gaps):.2f} %. `exact` proved {sum(r['exact_proves'] for r in rows)} "
            f"of {len(rows)} published optima (status optimal, objective equal).",
        ]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _num(value, spec: str = "g") -> str:
    return "—" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="instance files (default: shipped)")
    parser.add_argument("--exact-limit", type=float, default=60.0)
    parser.add_argument("--fast-limit", type=float, default=10.0)
    parser.add_argument("--spopt-limit", type=float, default=60.0)
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "pmedcap_results")
    args = parser.parse_args(argv)
    files = args.files or sorted(SHARED.glob("pmedcap*.txt"))
    if not files:
        print(f"no instance files (looked in {SHARED})", file=sys.stderr)
        return 1
    rows = []
    for path in files:
        inst = read_instance(path)
        exact = run_geogroup(inst, "exact", args.exact_limit)
        fast = run_geogroup(inst, "fast", args.fast_limit)
        spopt = (
            {"objective": None, "status": "skipped", "seconds": None}
            if args.no_spopt
            else run_spopt(inst, args.spopt_limit)
        )
        row = {
            "file": path.name,
            "n": inst["n"],
            "p": inst["p"],
            "optimum": inst["optimum"],
            "exact": exact,
            "fast": fast,
            "spopt": spopt,
            "fast_gap_pct": gap(fast["objective"], inst["optimum"]),
            "exact_proves": exact["status"] == "optimal"
            and math.isclose(exact["objective"], inst["optimum"], abs_tol=1e-6),
        }
        rows.append(row)
        print(
            f"{path.name}: published {inst['optimum']:g}; exact {exact['objective']:g} "
            f"({exact['status']}, {exact['seconds']} s); fast {fast['objective']:g} "
            f"({row['fast_gap_pct']} %, {fast['seconds']} s); spopt {spopt['objective']}",
            flush=True,
        )
    write(rows, args.out, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
