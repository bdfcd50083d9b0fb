"""The benchmark suite: every case x every method side by side in one run; writes
bench/results.{md,json} (``--quick``: bench/results_quick.{md,json}).

Run:  .venv/bin/pip install -r bench/requirements-anchors.txt   # the anchors, benchmark only
      .venv/bin/python bench/run.py                 # the full suite (about 35-40 minutes, 2 cores)
      .venv/bin/python bench/run.py --quick         # demo county + Cape Winelands, 10 s limits (6 min)
      .venv/bin/python bench/run.py --cases beijing,za300 --methods fast,exact --time-limit 30

Every row (one case, one method) runs in a fresh Python process with a wall-clock cap, so that
its peak memory (the larger ru_maxrss of the process and of the processes it reaped, taken as
soon as the method returns) is its own. Methods:
- geogroup, through its public API (``geogroup.get_method(...).fit(schools, by=...)``):
  ``fast``, ``exact`` (HiGHS, ``--time-limit`` per unit; status, bound and gap as HiGHS
  reports them) and ``kmeans``; ``fast-dask`` is ``fast`` with ``backend='dask'``.
- anchors, what a Python user would otherwise pick (none knows the 1+X rules beyond a group
  size): ``pmedian`` (spopt's capacitated p-median, CBC through PuLP, ``--time-limit``),
  ``skater`` (spopt's SKATER, ``floor`` = the minimum group size), ``regionkmeans`` (spopt's
  RegionKMeansHeuristic) and ``kmc`` (``KMeansConstrained`` with the size bounds).
Every row is scored by the same code: geogroup's objective (``docs/objective.md``) and its
``violations()`` per unit, plus a check that every lead is a lead candidate. The targets of the
issue are computed from the rows of the run and written under "Targets".
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
import bench_scale  # noqa: E402  (its peak-memory measure and synthetic inputs)

DATA = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "bench"

GEOGROUP = ("exact", "fast", "fast-dask", "kmeans")
ANCHORS = ("pmedian", "skater", "regionkmeans", "kmc")
SINGLE = ("exact", "fast", "kmeans", *ANCHORS)  # every method, on the one-unit cases
_PMEDIAN_MAX_PAIRS = 400_000  # school-candidate pairs: beyond, PuLP alone takes minutes to build
_REPEAT_BELOW_S, _REPEATS = 2.0, 3  # a row faster than 2 s: the best of 3 runs
_KNN = 8  # neighbours of the (symmetrised) contiguity graph of SKATER and RegionKMeans

_NOT_AFFORDABLE = {
    "exact": "one HiGHS model per unit at up to --time-limit each, 102 units of up to 1,649 "
    "schools: up to hours (it needs the whole 120 s from 829 schools on, see beijing, za1000)",
    "pmedian": "one CBC model per unit through PuLP, up to --time-limit each: it needs the whole "
    "120 s from 287 schools on (za300) and cannot be built at 3,734 (za3000)",
    "skater": "kept out of the many-unit case: O(n^2) dissimilarities and a tree search per "
    "cut, it does not finish 911 schools within the wall-clock cap (za1000)",
    "regionkmeans": "kept out of the many-unit case to bound the suite's time (one unit of "
    "3,734 schools: see za3000)",
}
_SCALE_ONLY = "the synthetic inputs measure geogroup fast at scale (the 5-minute target) only"


@dataclass
class Case:
    """A data set, its policy and unit column, and the methods run on it."""

    name: str
    about: str
    methods: tuple[str, ...]
    not_run: dict[str, str] = field(default_factory=dict)
    scale: bool = False  # several units: the longer wall-clock cap applies


CASES = {
    c.name: c
    for c in [
        Case(
            "beijing",
            "829 Beijing primary schools (GCJ-02; quality = nearby house price; the 100 key "
            "schools are the lead candidates), policy ninghe, one unit",
            SINGLE,
        ),
        *[
            Case(
                f"demo_{p}",
                f"the synthetic demo county (307 usable schools), policy {p}, one unit",
                SINGLE,
            )
            for p in ("shandong", "ninghe", "liangxi")
        ],
        Case(
            "za300",
            "Cape Winelands education district, South Africa (287 schools; quality = funding "
            "quintile), policy ninghe, one unit",
            SINGLE,
        ),
        Case(
            "za1000",
            "Vhembe education district, South Africa (911 schools, the largest district), "
            "policy ninghe, one unit",
            SINGLE,
        ),
        Case(
            "za3000",
            "Limpopo province as one unit (3,734 schools; no district is larger than 911 and no "
            "province is nearer 3,000), policy ninghe",
            SINGLE,
        ),
        Case(
            "za_all",
            "all 22,874 usable South African schools grouped within their education district "
            "(102 units; rows without a district grouped by province), policy ninghe with "
            "allow_unassigned",
            ("fast", "kmeans", "kmc"),
            not_run=dict(_NOT_AFFORDABLE),
            scale=True,
        ),
        Case(
            "province",
            "synthetic province (bench/synthetic.py, seed 0): 20,000 schools in 100 counties, "
            "grouped by county, policy ninghe with allow_unassigned",
            ("fast", "fast-dask"),
            not_run={m: _SCALE_ONLY for m in ("exact", "kmeans", *ANCHORS)},
            scale=True,
        ),
        Case(
            "country",
            "synthetic country (bench/synthetic.py, seed 0): 200,000 schools in 2,800 counties, "
            "grouped by county, policy ninghe with allow_unassigned",
            ("fast",),
            not_run={m: _SCALE_ONLY for m in ("exact", "kmeans", *ANCHORS)},
            scale=True,
        ),
    ]
}
QUICK = ("demo_shandong", "demo_ninghe", "demo_liangxi", "za300")


class NotRun(Exception):  # noqa: N818 - a result, not an error
    """A method that was not run on a case, with the reason."""


# -- data ---------------------------------------------------------------------------------
def _read(path: Path, **kwargs):
    from geogroup import read_schools

    return read_schools(path, **kwargs)[0]


_NO_DISTRICT = " (district unknown)"


def _za_schools():
    schools = _read(DATA / "za_schools_2017.csv", columns={"quality": "quintile"}, id_column="emis")
    # The source spells some districts in two cases ("Gert Sibande", "GERT SIBANDE") and marks
    # an unknown one with "."; those rows are grouped within their province.
    district = schools["education_district"].astype(str).str.strip().str.upper()
    unknown = district.isin([".", "", "NAN"])
    district[unknown] = schools.loc[unknown, "province"].astype(str) + _NO_DISTRICT
    schools["district"] = district
    return schools


def load(case: str):
    """(schools, policy, by) of a case."""
    from geogroup.policy import get_policy

    ninghe = get_policy("ninghe")
    if case == "beijing":
        schools = _read(
            DATA / "beijing_primary_829.csv",
            coords="gcj02",
            columns={"quality": "house_price", "lead_candidate": "key_school"},
        )
        return schools, ninghe.replace(leads="column:lead_candidate"), None
    if case.startswith("demo_"):
        return _read(ROOT / "data" / "demo_county.csv"), get_policy(case[5:]), None
    if case in ("province", "country"):
        return bench_scale._inputs(case), ninghe.replace(allow_unassigned=True), "county"
    schools = _za_schools()
    if case == "za_all":
        return schools, ninghe.replace(allow_unassigned=True), "district"
    # The real education district nearest in size to the case's number, or the province
    # nearest in size when no district is half that large; rows without a district are none.
    wanted = int(case[2:])
    known = ~schools["district"].str.endswith(_NO_DISTRICT)
    sizes, by = schools.loc[known, "district"].value_counts(), "district"
    if sizes.max() < wanted / 2:
        sizes, by = schools["province"].value_counts(), "province"
    unit = (sizes - wanted).abs().idxmin()
    return schools[schools[by] == unit], ninghe, None


# -- methods ------------------------------------------------------------------------------
def n_groups(problem) -> int:
    """The fewest groups the size cap allows: the ``p`` / ``n_clusters`` of the anchors."""
    return math.ceil(problem.n / (problem.policy.members[1] + 1))


def leads_from_labels(problem, labels: np.ndarray) -> np.ndarray:
    """One lead per cluster: its best lead candidate, else its best school."""
    lead = np.full(problem.n, -1, dtype=np.int64)
    for label in np.unique(labels[labels >= 0]):
        idx = np.flatnonzero(labels == label)
        pool = idx[problem.may_lead[idx] | problem.must_lead[idx]]
        pool = pool if len(pool) else idx
        lead[idx] = pool[np.argmax(problem.quality[pool])]
    return lead


def _contiguity(xy_km: np.ndarray):
    """Symmetrised k-nearest-neighbour graph (SKATER requires a symmetric one; with the
    one-way KNN graph RegionKMeans never finishes its first phase on the South African
    districts)."""
    from libpysal.weights import KNN

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KNN.from_array(xy_km, k=min(_KNN, len(xy_km) - 1)).symmetrize()


def run_pmedian(problem, time_limit: float):
    import pulp
    from spopt.locate import PMedian

    cand = problem.leads_pool
    if problem.n * len(cand) > _PMEDIAN_MAX_PAIRS:
        raise NotRun(
            f"{problem.n:,} schools x {len(cand):,} candidates = {problem.n * len(cand):,} "
            "binary variables; PuLP alone needs minutes to build the model"
        )
    cost = np.hypot(*(problem.xy[:, None, :] - problem.xy[None, cand, :]).transpose(2, 0, 1))
    model = PMedian.from_cost_matrix(
        cost / 1000.0,
        np.ones(problem.n),
        p_facilities=n_groups(problem),
        facility_capacities=np.full(len(cand), problem.policy.members[1] + 1),
    )
    t0 = time.perf_counter()
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    status = pulp.LpStatus[model.problem.status]  # also "Optimal" when stopped by the limit
    if time.perf_counter() - t0 >= 0.98 * time_limit:
        status = f"time_limit (PuLP: {status})"
    lead = np.full(problem.n, -1, dtype=np.int64)
    opened = [j for j, clients in enumerate(model.fac2cli) if len(clients)]
    for j in opened:
        lead[np.asarray(model.fac2cli[j], dtype=np.int64)] = cand[j]
    lead[cand[opened]] = cand[opened]  # an open facility leads its own group
    return lead, status


def run_skater(problem, time_limit: float):
    import pandas as pd
    from spopt.region import Skater

    xy = problem.xy / 1000.0
    model = Skater(
        pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}),
        _contiguity(xy),
        ["x", "y"],
        n_clusters=n_groups(problem),
        floor=problem.policy.members[0] + 1,  # SKATER's floor: the minimum region size
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.solve()
    return leads_from_labels(problem, np.asarray(model.labels_)), "heuristic"


def run_regionkmeans(problem, time_limit: float):
    from spopt.region import RegionKMeansHeuristic

    xy = problem.xy / 1000.0
    model = RegionKMeansHeuristic(xy, n_groups(problem), _contiguity(xy), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.solve()
    return leads_from_labels(problem, np.asarray(model.labels_)), "heuristic"


def run_kmc(problem, time_limit: float):
    from k_means_constrained import KMeansConstrained

    lo, hi = problem.policy.members
    n = problem.n  # it refuses a size bound above the number of points (a unit of 3 schools)
    model = KMeansConstrained(
        n_clusters=n_groups(problem),
        size_min=min(lo + 1, n),
        size_max=min(hi + 1, n),
        random_state=0,
    )
    return leads_from_labels(problem, model.fit_predict(problem.xy / 1000.0)), "heuristic"


RUNNERS = {
    "pmedian": run_pmedian,
    "skater": run_skater,
    "regionkmeans": run_regionkmeans,
    "kmc": run_kmc,
}


def _units(schools, policy, by):
    """(label, problem or None, reason, schools) per unit, split as geogroup splits them;
    None when no grouping of the unit can meet the policy (geogroup leaves it unassigned, with
    its reason, and so does every method here)."""
    from geogroup.errors import InfeasibleError
    from geogroup.group._base import _units as split
    from geogroup.group._problem import prepare_problem

    for label, unit in split(schools, by, policy):
        try:
            yield label, prepare_problem(unit, policy), None, len(unit)
        except InfeasibleError as exc:
            yield label, None, f"{label}: {exc}", len(unit)


def run_geogroup(schools, policy, by, method: str, time_limit: float):
    """Fit a geogroup method through the public API; per-unit leads (positions), report."""
    from geogroup import get_method

    params = {"policy": policy, "on_infeasible": "unassign" if by else "raise"}
    if method == "exact":
        params["time_limit"] = time_limit
    if method == "fast-dask":
        params["backend"] = "dask"
    if by:
        params["progress"] = False
    grouper = get_method(method.split("-")[0], **params)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # units left unassigned, reported below
        plan = grouper.fit(schools, by=by).plan_
    seconds, peak = time.perf_counter() - t0, bench_scale.peak_mib()
    lead_id = plan.schools["lead_id"]
    leads = []
    units = list(_units(schools, policy, by))
    for _label, problem, _why, _n in units:
        if problem is None:
            leads.append(None)
            continue
        pos = {sid: i for i, sid in enumerate(problem.ids)}
        ids = lead_id.reindex(problem.ids)
        leads.append(np.array([pos.get(x, -1) for x in ids], dtype=np.int64))
    status = plan.status
    if method == "exact" and any(u.get("restricted") for u in plan.units):
        status += " (restricted: k nearest leads)"
    finite = plan.bound is not None and math.isfinite(plan.bound)
    if plan.bound is not None and not finite:
        status += " (no bound)"  # HiGHS stopped before it had one
    report = {
        "status": status,
        "bound": plan.bound if finite else None,
        "gap": plan.gap if finite else None,
        "reported_objective": plan.objective,
    }
    return units, leads, seconds, peak, report


def run_anchor(schools, policy, by, method: str, time_limit: float):
    """Run an anchor on every unit (one after the other, as a user's loop would)."""
    units = list(_units(schools, policy, by))
    leads, statuses, seconds = [], set(), 0.0
    for _label, problem, _why, _n in units:
        if problem is None:
            leads.append(None)
            continue
        t0 = time.perf_counter()
        lead, status = RUNNERS[method](problem, time_limit)
        seconds += time.perf_counter() - t0
        leads.append(lead)
        statuses.add(status)
    status = statuses.pop() if len(statuses) == 1 else "mixed"
    return (
        units,
        leads,
        seconds,
        bench_scale.peak_mib(),
        {"status": status, "bound": None, "gap": None},
    )


# -- scoring ------------------------------------------------------------------------------
_RULES = [
    ("group size", r"members, outside"),
    ("weak-school quota", r"weak members"),
    ("urban-rural pairing", r"no rural member"),
    ("lead not a candidate", r"not a lead candidate|may not lead"),
    ("lead spacing", r"min_lead_spacing_km"),
    ("unassigned", r"unassigned"),
    ("distance cap", r"max_distance_km"),
    ("lead outside its group", r"lead is not in its own group"),
    ("locked group", r"locked school|fixed lead"),
    ("number of groups", r"groups, policy asks"),
]


def score(units, leads) -> dict:
    """geogroup's objective (weighted over units as a plan weights them) and violations."""
    from geogroup.group._problem import evaluate, violations

    total = weight = 0.0
    found: list[str] = []
    groups = unassigned = outsiders = 0
    for (_label, problem, _why, _n), lead in zip(units, leads, strict=True):
        if problem is None:
            continue
        n = int((lead >= 0).sum())
        total += evaluate(problem, lead)["objective"] * n
        weight += n
        heads = np.unique(lead[lead >= 0])
        bad = heads[~(problem.may_lead | problem.must_lead)[heads]]
        said = violations(problem, lead)
        # Newer violations() name such leads themselves ("... may not lead"): count each once.
        named = " ".join(t for t in said if "may not lead" in t)
        found += said
        found += [
            f"{problem.ids[h]} is not a lead candidate"
            for h in bad
            if str(problem.ids[h]) not in named
        ]
        groups += len(heads)
        unassigned += int((lead < 0).sum())
        outsiders += len(bad)
    by_rule: dict[str, int] = {}
    for text in found:
        rule = next((r for r, pattern in _RULES if re.search(pattern, text)), text[:40])
        by_rule[rule] = by_rule.get(rule, 0) + 1
    skipped = [(why, n) for _label, problem, why, n in units if problem is None]
    return {
        "objective": round(total / weight, 6) if weight else None,
        "groups": groups,
        "unassigned": unassigned + sum(n for _, n in skipped),
        "units": len(units),
        "units_left_unassigned": [why for why, _ in skipped],
        "violations": len(found),
        "violations_by_rule": by_rule,
        "leads_not_candidates": outsiders,
    }


def run_row(case: str, method: str, time_limit: float) -> dict:
    """One case x method, in this process: load, run, score."""
    from geogroup.errors import GeogroupError

    row = {"case": case, "method": method, "commit": _commit()}  # geogroup may change mid-run
    schools, policy, by = load(case)
    row.update(n=len(schools), policy=policy.name)
    if case.startswith("za") and by is None:  # which district or province the unit is
        row["unit"] = str(
            schools["district" if schools["district"].nunique() == 1 else "province"].iloc[0]
        )
    runner = run_geogroup if method in GEOGROUP else run_anchor
    t0 = time.perf_counter()
    try:
        units, leads, seconds, peak, report = runner(schools, policy, by, method, time_limit)
    except NotRun as exc:
        return {**row, "status": f"not run: {exc}"}
    except GeogroupError as exc:  # e.g. exact without a feasible grouping in the time limit
        return {
            **row,
            "seconds": round(time.perf_counter() - t0, 2),
            "peak_mib": bench_scale.peak_mib(),
            "status": f"failed: {type(exc).__name__}: {exc}",
        }
    repeats = 1
    while seconds < _REPEAT_BELOW_S and repeats < _REPEATS:  # timer noise on a shared machine
        seconds = min(seconds, runner(schools, policy, by, method, time_limit)[2])
        repeats += 1
    scored = score(units, leads)
    row.update(seconds=round(seconds, 2), repeats=repeats, peak_mib=peak, **report, **scored)
    if row["unassigned"] == 0:
        row.pop("units_left_unassigned")
    return row


def _commit() -> str:
    """HEAD of the working tree, with '+dirty' when geogroup/ has uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return done.stdout.strip()

    return git("rev-parse", "--short", "HEAD") + (
        "+dirty" if git("status", "--porcelain", "--", "geogroup") else ""
    )


# -- the run ------------------------------------------------------------------------------
def _run_in_process(case: str, method: str, time_limit: float, cap: float) -> dict:
    """One row in a fresh process (its own session, so that a cap kills its workers too)."""
    cmd = [sys.executable, __file__, "--one", f"{case}:{method}", "--time-limit", str(time_limit)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {
            "case": case,
            "method": method,
            "seconds": round(cap, 1),
            "status": f"timeout: did not finish within the {cap:.0f} s wall-clock cap",
            "timeout": True,
        }
    if proc.returncode:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return {"case": case, "method": method, "status": f"failed: {last}"}
    return json.loads(out.strip().splitlines()[-1])


def plan_rows(cases: list[str], methods: list[str] | None) -> list[tuple[str, str, str | None]]:
    """(case, method, reason it is not run or None), exact first in each case."""
    order = {m: i for i, m in enumerate(("exact", "fast", "fast-dask", "kmeans", *ANCHORS))}
    todo = []
    for name in cases:
        case = CASES[name]
        every = [(m, None) for m in case.methods] + list(case.not_run.items())
        for method, why in sorted(every, key=lambda mw: order[mw[0]]):
            if methods is None or method in methods:
                todo.append((name, method, why))
    return todo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--methods", help=f"comma-separated, of: {', '.join(GEOGROUP + ANCHORS)}")
    parser.add_argument(
        "--quick", action="store_true", help=f"cases {', '.join(QUICK)}; time limit 10 s"
    )
    parser.add_argument("--time-limit", type=float, help="exact and pmedian, s per unit (120)")
    parser.add_argument("--case-timeout", type=float, help="cap per one-unit row (2 x time limit)")
    parser.add_argument("--scale-timeout", type=float, default=900.0, help="cap per scale row")
    parser.add_argument("--out", help="results stem (bench/results, --quick: bench/results_quick)")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the rows of the other cases already in the results file (one case re-run)",
    )
    parser.add_argument(
        "--rewrite", action="store_true", help="only write the .md again from the .json (no run)"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    time_limit = args.time_limit or (10.0 if args.quick else 120.0)
    if args.one:
        print(json.dumps(run_row(*args.one.split(":"), time_limit), default=str))
        return
    cases = args.cases.split(",") if args.cases else list(QUICK if args.quick else CASES)
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown cases {unknown}; cases: {', '.join(CASES)}")
    methods = args.methods.split(",") if args.methods else None
    wrong = [m for m in methods or () if m not in GEOGROUP + ANCHORS]
    if wrong:
        parser.error(f"unknown methods {wrong}; methods: {', '.join(GEOGROUP + ANCHORS)}")
    cap = args.case_timeout or max(60.0, 2 * time_limit)
    out = Path(args.out) if args.out else OUT / ("results_quick" if args.quick else "results")
    if args.rewrite:
        import results_table

        old = json.loads(out.with_suffix(".json").read_text())
        results_table.write(old["rows"], old["cases"], {}, out, info=old["machine"])
        return
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    caps = {"time_limit_s": time_limit, "case_cap_s": cap, "scale_cap_s": args.scale_timeout}
    rows: list[dict] = []
    todo = plan_rows(cases, methods)
    kept, table_cases = _kept(out, todo, caps) if args.merge else ([], cases)
    for case, method, why in todo:
        if why:
            rows.append({"case": case, "method": method, "status": f"not run: {why}"})
            continue
        limit = args.scale_timeout if CASES[case].scale else cap
        load, commit = os.getloadavg()[0], _commit()
        rows.append(_run_in_process(case, method, time_limit, limit))
        rows[-1]["load_1min_before"] = round(load, 2)
        rows[-1].setdefault("commit", commit)  # a row stopped by its cap
        # Written after every row, so that an interrupted run keeps what it measured.
        _write(kept + rows, table_cases, caps, started, load_before, out)
        shown = {k: v for k, v in rows[-1].items() if k != "units_left_unassigned"}
        print(f"[{time.perf_counter() - started:6.0f} s]", shown, flush=True)
    wall = _write(kept + rows, table_cases, caps, started, load_before, out)
    print(f"wrote {out}.md and {out}.json in {wall:.0f} s", flush=True)


def _kept(out: Path, todo: list, caps: dict) -> tuple[list[dict], list[str]]:
    """The rows of the results file that this run does not redo, and every case of the merged
    table; ``caps`` records where the kept rows come from."""
    old = json.loads(out.with_suffix(".json").read_text())
    redo = {(case, method) for case, method, _ in todo}
    kept = [r for r in old["rows"] if (r["case"], r["method"]) not in redo]
    cases = list(dict.fromkeys(case for case, _, _ in todo))
    methods = sorted({method for _, method in redo})
    every = [c for c in CASES if c in cases or c in old["cases"]]
    date = old["machine"]["date_utc"]
    if old["machine"].get("notes"):
        caps["notes"] = old["machine"]["notes"]
    caps["merged"] = (
        f"rows of {', '.join(cases)} x {', '.join(methods)} from this run; the other rows from "
        f"the run of {date} UTC "
        f"({old['machine']['wall_seconds']} s, load {old['machine']['load_average_1min']})"
    )
    order = {c: i for i, c in enumerate(every)}
    return sorted(kept, key=lambda r: order[r["case"]]), every


def _write(rows, cases, caps, started, load_before, out) -> float:
    import results_table

    order = {c: i for i, c in enumerate(cases)}
    rows = sorted(rows, key=lambda r: order[r["case"]])  # stable: methods keep their order
    wall = time.perf_counter() - started
    run = {
        **caps,
        "wall_seconds": round(wall, 1),
        # Other work on the machine slows every row: the 1-minute load average before and after.
        "load_average_1min": f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after",
    }
    results_table.write(rows, {c: CASES[c].about for c in cases}, run, out)
    return wall


if __name__ == "__main__":
    main()
