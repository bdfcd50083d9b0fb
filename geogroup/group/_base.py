"""The interface every grouping method shares, and the assembly of a plan from units.

A method is a class with keyword-only parameters in ``__init__`` (stored, nothing else),
``fit(schools)`` returning the fitted object and results ending in ``_`` (``plan_``). The
base class splits the schools into independent units — the values of a ``by`` column and,
under ``levels = 'same'``, the school levels — runs the method's ``_solve`` on each and
assembles one plan.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import multiprocessing
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm

from geogroup import schema as S
from geogroup._errors import InfeasibleError, InputError, PolicyError
from geogroup.group._problem import Problem, Solution, evaluate, prepare_problem
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy

__all__ = ["ALL_RULES", "BaseGrouper", "solution_from"]

_PARALLEL_FROM = 2000  # schools: below this, starting processes costs more than it saves
BACKENDS = ("serial", "processes", "dask")

ALL_RULES = frozenset(
    {
        "members",
        "n_groups",
        "max_distance_km",
        "pair_urban_rural",
        "min_weak_per_group",
        "leads",
        "min_lead_spacing_km",
        "levels",
        "fixed_group",
        "previous",
    }
)


def active_rules(policy: Policy, schools: pd.DataFrame, previous: Any) -> set[str]:
    """The rules this policy and these schools actually ask for."""
    rules = {"members", "leads", "levels"}
    if policy.n_groups is not None:
        rules.add("n_groups")
    if policy.max_distance_km is not None:
        rules.add("max_distance_km")
    if policy.pair_urban_rural:
        rules.add("pair_urban_rural")
    if policy.min_weak_per_group:
        rules.add("min_weak_per_group")
    if policy.min_lead_spacing_km:
        rules.add("min_lead_spacing_km")
    if S.FIXED_GROUP in schools and schools[S.FIXED_GROUP].notna().any():
        rules.add("fixed_group")
    if previous is not None:
        rules.add("previous")
    return rules


class BaseGrouper:
    """Common machinery of the grouping methods (see the module docstring).

    Parameters
    ----------
    policy
        A preset name, a TOML path or a :class:`~geogroup.Policy`.
    random_state
        Seed; each unit derives its own generator from it and its position, so the plan does
        not depend on where or in which order the units ran.
    time_limit
        Seconds per unit (what they bound is the method's own).
    on_infeasible
        ``'raise'``, or ``'unassign'``: a unit the policy cannot group is left unassigned
        with its reason, and a warning says so.
    n_jobs
        Processes for independent units under ``backend='processes'`` (None: every core once
        the input has 2,000 schools or more; 1: serially); Dask workers of the
        :class:`~dask.distributed.LocalCluster` started under ``backend='dask'``.
    backend
        Where the units run: ``'serial'`` (this process), ``'processes'`` (a process pool on
        this machine) or ``'dask'`` (tasks on a Dask cluster; ``pip install "geogroup[scale]"``).
    scheduler
        Address of a running Dask scheduler (``'tcp://host:8786'``) for ``backend='dask'``;
        None starts a local cluster for the run and closes it after.
    progress
        Show a progress bar over the units on standard error; None shows it only when
        standard error is a terminal and there are two units or more.
    """

    name: ClassVar[str] = ""
    honours: ClassVar[frozenset[str]] = ALL_RULES
    claims_optimality: ClassVar[bool] = False

    def __init__(
        self,
        *,
        policy: str | Policy = "ninghe",
        random_state: int | None = 0,
        time_limit: float = 60.0,
        on_infeasible: str = "raise",
        n_jobs: int | None = None,
        backend: str = "processes",
        scheduler: str | None = None,
        progress: bool | None = None,
    ) -> None:
        self.policy = policy
        self.random_state = random_state
        self.time_limit = time_limit
        self.on_infeasible = on_infeasible
        self.n_jobs = n_jobs
        self.backend = backend
        self.scheduler = scheduler
        self.progress = progress

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters and their values."""
        names = [
            p
            for cls in type(self).__mro__
            if "__init__" in vars(cls)
            for p in inspect.signature(cls.__init__).parameters
            if p != "self"
        ]
        return {n: getattr(self, n) for n in dict.fromkeys(names) if hasattr(self, n)}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self,
        schools: gpd.GeoDataFrame,
        *,
        by: str | None = None,
        previous: Plan | None = None,
        rejected: pd.DataFrame | None = None,
    ) -> BaseGrouper:
        """Group ``schools`` (the frame :func:`~geogroup.read_schools` returns).

        Parameters
        ----------
        schools
            One row per school; never modified.
        by
            A column naming administrative units (e.g. a county): each unit is grouped on
            its own and group ids are prefixed with the unit.
        previous
            An earlier plan: its group ids are kept where groups persist, and every school
            that changes group costs the policy's ``move_cost``.
        rejected
            The rows the reader rejected, carried into the plan so every input school is
            accounted for.
        """
        started = time.perf_counter()
        policy = get_policy(self.policy)
        self._check_params()
        self._check_schools(schools, by)
        self._check_rules(policy, schools, previous)
        prev_lead = None if previous is None else previous.schools[S.LEAD_ID]
        units = list(_units(schools, by, policy))
        jobs = [(u, label, unit, policy, prev_lead) for u, (label, unit) in enumerate(units)]
        with self._progress_bar(len(jobs)) as bar:
            results = self._run_jobs(jobs, len(schools), bar)
        pieces = [piece for piece, _ in results]
        reports = [report for _, report in results]
        for report in reports:
            if report["status"] == "infeasible":
                warnings.warn(f"left unassigned: {report['message']}", UserWarning, stacklevel=2)
        plan_schools = pd.concat(pieces).reindex(schools.index)
        plan_schools = gpd.GeoDataFrame(plan_schools, geometry="geometry", crs=schools.crs)
        moved = None
        if previous is not None:
            plan_schools[S.GROUP_ID] = _stable_ids(plan_schools, previous.schools)
            moved = _count_moved(plan_schools, previous.schools)
        self.plan_ = _make_plan(self, policy, plan_schools, reports, rejected, moved, by)
        self.plan_.seconds = time.perf_counter() - started
        return self

    def _run_jobs(self, jobs: list, n_schools: int, bar: tqdm) -> list:
        """Run every unit's job where ``backend`` says; results in the order of ``jobs``.

        Units are independent and each has its own seeded generator, so the result does not
        depend on which process or machine ran which unit.
        """
        if self.backend == "dask":
            return _run_on_dask(self._run_job, jobs, self.scheduler, self.n_jobs, bar)
        workers = 1 if self.backend == "serial" else self._workers(len(jobs), n_schools)
        if workers == 1:
            return [_tick(bar, self._run_job(job)) for job in jobs]
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        chunksize = max(1, len(jobs) // (4 * workers))
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            return [_tick(bar, r) for r in pool.map(self._run_job, jobs, chunksize=chunksize)]

    def _progress_bar(self, n_units: int) -> tqdm:
        show = self.progress
        if show is None:
            show = n_units >= 2 and sys.stderr is not None and sys.stderr.isatty()
        return tqdm(
            total=n_units,
            desc=f"geogroup {self.name}",
            unit="unit",
            disable=not show,
            file=sys.stderr,
        )

    def _workers(self, n_units: int, n_schools: int) -> int:
        """Processes to use: serial for one unit or a small input, else ``n_jobs`` (all cores
        when None)."""
        if self.n_jobs is not None:
            return max(1, min(int(self.n_jobs), n_units))
        if n_units < 2 or n_schools < _PARALLEL_FROM:
            return 1
        return max(1, min(os.cpu_count() or 1, n_units))

    def _run_job(self, job):
        u, label, unit, policy, prev_lead = job
        rng = np.random.default_rng(None if self.random_state is None else [self.random_state, u])
        return self._fit_unit(unit, label, policy, prev_lead, rng)

    def _fit_unit(self, unit, label, policy, prev_lead, rng):
        t0 = time.perf_counter()
        try:
            problem = prepare_problem(unit, policy, prev_lead)
            solution = self._solve(problem, rng)
        except InfeasibleError as exc:
            message = f"{label}: {exc}" if label else str(exc)
            if self.on_infeasible == "raise":
                raise InfeasibleError(message) from None
            return _unassigned(unit, message), {
                "unit": label,
                "n": len(unit),
                "status": "infeasible",
                "message": message,
            }
        piece = _unit_frame(unit, problem, solution, label)
        report = {
            "unit": label,
            "n": int(problem.active.sum()),
            "status": solution.status,
            "objective": solution.objective,
            "bound": solution.bound,
            "gap": solution.gap,
            "seconds": round(time.perf_counter() - t0, 3),
            **solution.detail,
        }
        return piece, report

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        raise NotImplementedError

    # -- checks --------------------------------------------------------------------------
    def _check_params(self) -> None:
        if self.backend not in BACKENDS:
            raise PolicyError(
                f"backend: expected one of {', '.join(map(repr, BACKENDS))}, got {self.backend!r}"
            )
        if self.scheduler is not None and self.backend != "dask":
            raise PolicyError(
                f"scheduler={self.scheduler!r} is a Dask scheduler address but backend is "
                f"{self.backend!r}; pass backend='dask' or drop scheduler"
            )
        if self.progress not in (None, True, False):
            raise PolicyError(f"progress: expected True, False or None, got {self.progress!r}")
        if not (isinstance(self.time_limit, int | float) and self.time_limit > 0):
            raise PolicyError(f"time_limit: expected seconds > 0, got {self.time_limit!r}")
        if self.on_infeasible not in ("raise", "unassign"):
            raise PolicyError(
                f"on_infeasible: expected 'raise' or 'unassign', got {self.on_infeasible!r}"
            )

    def _check_rules(self, policy: Policy, schools: pd.DataFrame, previous: Any) -> None:
        _check_lead_ids(policy, schools)
        missing = sorted(active_rules(policy, schools, previous) - self.honours)
        if missing:
            from geogroup.group import METHODS

            able = [n for n, cls in METHODS.items() if set(missing) <= cls.honours]
            raise PolicyError(
                f"method {self.name!r} cannot honour the policy rule(s) {', '.join(missing)} of "
                f"policy {policy.name!r}; use {' or '.join(repr(a) for a in able) or 'another method'}, "
                "or drop the rule from the policy"
            )

    @staticmethod
    def _check_schools(schools: Any, by: str | None) -> None:
        if not isinstance(schools, gpd.GeoDataFrame):
            raise InputError(
                f"schools: expected the GeoDataFrame that geogroup.read_schools returns, got "
                f"{type(schools).__name__}; read the file with read_schools() first"
            )
        missing = [c for c in (S.NAME, S.QUALITY) if c not in schools]
        if missing or schools.crs is None:
            raise InputError(
                f"schools: missing column(s) {missing or ''} {'and a CRS' if schools.crs is None else ''}; "
                "read the file with read_schools()"
            )
        if not schools.index.is_unique:
            dup = schools.index[schools.index.duplicated()].unique()[:5]
            raise InputError(
                f"schools: school ids must be unique; repeated: {', '.join(map(str, dup))}"
            )
        if by is not None and by not in schools:
            raise InputError(
                f"by={by!r}: no such column; columns are {', '.join(map(str, schools.columns))}"
            )
        if by is not None and schools[by].isna().any():
            rows = schools.index[schools[by].isna()][:5]
            raise InputError(
                f"by={by!r}: {int(schools[by].isna().sum())} schools have no {by} (e.g. {', '.join(map(str, rows))}); "
                "fill the column or group without by="
            )


def _check_lead_ids(policy: Policy, schools: pd.DataFrame) -> None:
    """Lead ids the policy names must be schools of the list (checked before the split into
    units: a unit may well lack another unit's leads)."""
    kind, value = policy.lead_rule
    if kind != "ids":
        return
    known = set(schools.index.astype(str))
    missing = [str(v) for v in value if str(v) not in known]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise InfeasibleError(
            f"policy 'leads' names {len(missing)} school id(s) that are not in the school list: "
            f"{shown}; correct the ids in 'leads' (or the school list), or drop them"
        )


def _tick(bar: tqdm, result: Any) -> Any:
    bar.update()
    return result


def _run_on_dask(fn, jobs: list, scheduler: str | None, n_workers: int | None, bar: tqdm) -> list:
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
            client = stack.enter_context(Client(scheduler))
        # pure=False: two units with equal frames are still two tasks.
        futures = client.map(fn, jobs, pure=False)
        for _ in as_completed(futures):
            bar.update()
        return client.gather(futures)


def _units(schools: gpd.GeoDataFrame, by: str | None, policy: Policy):
    keys = ([by] if by else []) + (
        [S.LEVEL] if policy.levels == "same" and S.LEVEL in schools else []
    )
    if not keys:
        yield "", schools
        return
    frame = schools.copy()
    if S.LEVEL in keys:
        frame[S.LEVEL] = frame[S.LEVEL].astype(object).fillna("unknown-level")
    for values, unit in frame.groupby(keys, sort=True):
        values = values if isinstance(values, tuple) else (values,)
        yield "-".join(str(v) for v in values), schools.loc[unit.index]


def _unit_frame(
    unit: gpd.GeoDataFrame, problem: Problem, solution: Solution, label: str
) -> gpd.GeoDataFrame:
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
    dist = np.hypot(*(problem.xy - problem.xy[np.maximum(lead, 0)]).T) / 1000.0
    out[S.DISTANCE_KM] = np.where(lead < 0, np.nan, np.round(dist, 3))
    reasons = [problem.unplaceable.get(i) if lead[i] < 0 else None for i in range(problem.n)]
    out[S.REASON] = pd.array(reasons, dtype=object)
    return out


def _unassigned(unit: gpd.GeoDataFrame, message: str) -> gpd.GeoDataFrame:
    out = unit.copy()
    out[S.GROUP_ID] = pd.array([None] * len(unit), dtype=object)
    out[S.ROLE] = S.UNASSIGNED
    out[S.LEAD_ID] = pd.array([None] * len(unit), dtype=object)
    out[S.DISTANCE_KM] = np.nan
    out[S.REASON] = message
    return out


def _stable_ids(new: pd.DataFrame, old: pd.DataFrame) -> pd.Series:
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


def _count_moved(new: pd.DataFrame, old: pd.DataFrame) -> int:
    both = new.index.intersection(old.index)
    a = new.loc[both, S.GROUP_ID].astype(object).fillna("")
    b = old.loc[both, S.GROUP_ID].astype(object).fillna("")
    return int((a != b).sum())


def _make_plan(grouper, policy, schools, reports, rejected, moved, by) -> Plan:
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
    parts = _overall_parts(reports, solved, n)
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
    )


def _overall_parts(reports, solved, n) -> dict[str, float]:
    keys = ("distance", "balance", "moves")
    return {k: sum(r.get(f"part_{k}", 0.0) * r["n"] for r in solved) / n for k in keys}


def solution_from(problem: Problem, lead: np.ndarray, status: str, **detail: Any) -> Solution:
    """A Solution with the objective evaluated and its parts recorded."""
    parts = evaluate(problem, lead)
    detail = {**detail, **{f"part_{k}": parts[k] for k in ("distance", "balance", "moves")}}
    return Solution(lead=lead, status=status, objective=parts["objective"], detail=detail)
