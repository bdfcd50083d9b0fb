"""Running the units of a grouping, and putting their results together into one plan.

Units are independent: each runs wherever the backend says (this process, this process and
joblib's loky worker processes, or Dask) with its own generator seeded from the method's seed
and the unit's label, so the plan does not depend on where or in which order the units ran.
"""

from __future__ import annotations

import collections
import contextlib
import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent import futures
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm

from geogroup import schema as S
from geogroup.errors import InputError, PolicyError
from geogroup.group._problem import Problem, Solution
from geogroup.plan import Plan
from geogroup.pool import pool

__all__ = [
    "count_moved",
    "make_plan",
    "progress_bar",
    "run_jobs",
    "stable_ids",
    "unassigned_frame",
    "unit_frame",
]


def progress_bar(name: str, n_units: int, show: bool | None) -> tqdm:
    """A progress bar over the units on standard error; None: only on a terminal."""
    if show is None:
        show = n_units >= 2 and sys.stderr is not None and sys.stderr.isatty()
    return tqdm(
        total=n_units, desc=f"geogroup {name}", unit="unit", disable=not show, file=sys.stderr
    )


def run_jobs(
    fn: Callable[[Any], Any],
    jobs: Sequence[Any],
    *,
    backend: str,
    n_workers: int,
    scheduler: str | None,
    bar: tqdm,
    sizes: Sequence[int] | None = None,
) -> list[Any]:
    """``fn`` over ``jobs``, results in the order of ``jobs``: in this process, in this
    process and worker processes (loky), or as Dask tasks. ``sizes`` (e.g. each unit's
    schools) has the largest jobs started first."""
    if backend == "dask":
        return _run_on_dask(fn, jobs, scheduler, n_workers, bar)
    if backend == "serial" or n_workers == 1:
        return [_tick(bar, fn(job)) for job in jobs]
    # Largest first: a large unit started last would keep one process busy while the others
    # idle.
    order = largest_first(sizes if sizes is not None else [0] * len(jobs))
    return _run_in_pool(fn, jobs, order, n_workers, bar)


def _run_in_pool(
    fn: Callable[[Any], Any], jobs: Sequence[Any], order: list[int], n_workers: int, bar: tqdm
) -> list[Any]:
    """``fn`` over ``jobs`` in ``n_workers`` processes: this one and ``n_workers - 1`` loky
    workers, each job taken in ``order`` by the first free. This process does not wait for
    the workers to start (a second or so each, importing geogroup): it runs jobs meanwhile.
    Every worker holds two jobs, so that it has the next at hand while this process is busy
    with one of its own."""
    executor = pool(n_workers)
    left = collections.deque(order)
    running: dict[futures.Future, int] = {}
    results: list[Any] = [None] * len(jobs)
    try:
        while left or running:
            while left and len(running) < 2 * (n_workers - 1):
                i = left.popleft()
                running[executor.submit(fn, jobs[i])] = i
            if left:
                i = left.popleft()
                results[i] = _tick(bar, fn(jobs[i]))
            else:
                futures.wait(running, return_when=futures.FIRST_COMPLETED)
            for future in [f for f in running if f.done()]:
                results[running.pop(future)] = _tick(bar, future.result())
    finally:
        for future in running:
            future.cancel()
    return results


def largest_first(sizes: Sequence[int]) -> list[int]:
    """Positions of ``sizes`` from the largest to the smallest, ties in their order.

    Examples
    --------
    >>> largest_first([3, 9, 1, 9])
    [1, 3, 0, 2]
    """
    return sorted(range(len(sizes)), key=lambda i: -sizes[i])


def _tick(bar: tqdm, result: Any) -> Any:
    bar.update()
    return result


def _run_on_dask(fn, jobs, scheduler: str | None, n_workers: int | None, bar: tqdm) -> list:
    """``fn`` over ``jobs`` as Dask tasks, on the scheduler at ``scheduler`` or on a local
    cluster started for this run and closed after."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise PolicyError(
            "backend='dask' needs dask.distributed, which is not installed; "
            "run pip install \"geogroup[scale]\" or use backend='processes'"
        ) from None
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=n_workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    dashboard_address=":0",  # None still binds 8787, and warns when taken
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(_connect(Client, scheduler))
        # pure=False: two units with equal frames are still two tasks.
        futures = client.map(fn, list(jobs), pure=False)
        for _ in as_completed(futures):
            bar.update()
        return client.gather(futures)


def _connect(client: Callable[[str], Any], scheduler: str) -> Any:
    """A client of the Dask scheduler at ``scheduler``; an address Dask cannot parse, or a
    scheduler it cannot reach, is the user's to fix, said as such."""
    try:
        return client(scheduler)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"scheduler {scheduler!r} is not the address of a Dask scheduler ({exc}); give "
            "tcp://host:port, e.g. tcp://10.0.0.5:8786",
            code="group.scheduler_address",
            values={"scheduler": repr(scheduler)},
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); check that it runs "
            "and that this machine can reach it, or leave --scheduler out to run here",
            code="group.scheduler_unreachable",
            values={"scheduler": repr(scheduler), "detail": str(exc)},
        ) from None


# --- one unit's rows of the plan ------------------------------------------------------------


def unit_frame(
    unit: gpd.GeoDataFrame, problem: Problem, solution: Solution, label: str
) -> gpd.GeoDataFrame:
    """The unit's schools with the plan columns; group ids numbered north to south."""
    lead = solution.lead
    heads = np.unique(lead[lead >= 0])
    # North to south, then west to east: G01 is the northernmost group of the unit.
    order = heads[np.lexsort((problem.xy[heads, 0], -problem.xy[heads, 1]))]
    width = max(2, len(str(len(order))))
    prefix = f"{label}-" if label else ""
    gid = {h: f"{prefix}G{k + 1:0{width}d}" for k, h in enumerate(order)}
    pos = np.arange(problem.n)
    out = unit.copy()
    out[S.GROUP_ID] = pd.array([gid.get(x) for x in lead], dtype=object)
    out[S.ROLE] = np.where(lead < 0, S.UNASSIGNED, np.where(lead == pos, S.LEAD, S.MEMBER))
    out[S.LEAD_ID] = pd.array([problem.ids[x] if x >= 0 else None for x in lead], dtype=object)
    dist = problem.km(pos, np.maximum(lead, 0))
    out[S.DISTANCE_KM] = np.where(lead < 0, np.nan, np.round(dist, 3))
    reasons = [problem.unplaceable.get(i) if lead[i] < 0 else None for i in range(problem.n)]
    out[S.REASON] = pd.array(reasons, dtype=object)
    return out


def unassigned_frame(unit: gpd.GeoDataFrame, message: str) -> gpd.GeoDataFrame:
    """The unit's schools, every one unassigned with ``message`` as the reason."""
    out = unit.copy()
    out[S.GROUP_ID] = pd.array([None] * len(unit), dtype=object)
    out[S.ROLE] = S.UNASSIGNED
    out[S.LEAD_ID] = pd.array([None] * len(unit), dtype=object)
    out[S.DISTANCE_KM] = np.nan
    out[S.REASON] = message
    return out


# --- the plan ---------------------------------------------------------------------------------


def stable_ids(new: pd.DataFrame, old: pd.DataFrame) -> pd.Series:
    """Give each new group the id of the previous group it overlaps most (one-to-one)."""
    both = new.index.intersection(old.index)
    overlap = pd.crosstab(new.loc[both, S.GROUP_ID], old.loc[both, S.GROUP_ID].astype(object))
    new_ids = sorted(new[S.GROUP_ID].dropna().unique())
    mapping: dict[str, str] = {}
    if not overlap.empty:
        rows, cols = linear_sum_assignment(-overlap.to_numpy())
        mapping = {
            overlap.index[r]: overlap.columns[c]
            for r, c in zip(rows, cols, strict=True)
            if overlap.iat[r, c] > 0
        }
    used = set(old[S.GROUP_ID].dropna().astype(str)) | set(mapping.values())
    fresh = (f"G{k:03d}" for k in range(1, 10**6) if f"G{k:03d}" not in used)
    for gid in new_ids:
        if gid not in mapping:
            mapping[gid] = next(fresh)
    return new[S.GROUP_ID].map(mapping)


def count_moved(new: pd.DataFrame, old: pd.DataFrame) -> int:
    """Schools in both plans whose group changed."""
    both = new.index.intersection(old.index)
    a = new.loc[both, S.GROUP_ID].astype(object).fillna("")
    b = old.loc[both, S.GROUP_ID].astype(object).fillna("")
    return int((a != b).sum())


def make_plan(grouper, policy, schools, reports, rejected, moved, by, distances=None) -> Plan:
    """One plan from the units' rows and reports: objective, bound and gap weighted by the
    units' sizes, and one status (or ``'mixed'``)."""
    solved = [r for r in reports if r["status"] != "infeasible"]
    n = sum(r["n"] for r in solved) or 1
    objective = sum(r["objective"] * r["n"] for r in solved) / n if solved else math.nan
    bounds = [r["bound"] for r in solved]
    bound = (
        sum(b * r["n"] for b, r in zip(bounds, solved, strict=True)) / n
        if solved and None not in bounds
        else None
    )
    gap = None if bound is None else max(0.0, (objective - bound) / max(abs(objective), 1e-9))
    statuses = {r["status"] for r in reports}
    status = statuses.pop() if len(statuses) == 1 else "mixed"
    keys = ("distance", "balance", "moves")
    parts = {k: sum(r.get(f"part_{k}", 0.0) * r["n"] for r in solved) / n for k in keys}
    params = {k: v for k, v in grouper.get_params().items() if k != "policy"}
    params["by"] = by
    return Plan(
        schools=schools,
        policy=policy,
        method=grouper.name,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        parts=parts,
        moved=moved,
        params=params,
        rejected=rejected,
        units=[dict(r) for r in reports],
        distances=distances,
    )
