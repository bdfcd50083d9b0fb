"""The interface every grouping method shares.

A method is a scikit-learn estimator (:class:`sklearn.base.BaseEstimator`: parameters in
the constructor, ``get_params``/``set_params``, :func:`sklearn.base.clone`, the repr);
``fit(schools)`` returns the fitted object and results end in ``_`` (``plan_``). The base
class splits the schools into the rulebook's units, runs the method's ``_solve`` on each
(``_units``), assembles one plan and judges it by the rulebook before returning it.

The parameters every method shares (``policy``, ``random_state``, ``time_limit``,
``on_infeasible``, ``n_jobs``, ``backend``, ``scheduler``, ``progress``) are written once,
in :class:`BaseGrouper`; a method's own constructor lists only its own and passes the rest
on (``**common``).
"""

from __future__ import annotations

import inspect
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from sklearn.base import BaseEstimator

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InfeasibleError, InputError, PolicyError
from geogroup.group._prepare import prepare_problem
from geogroup.group._problem import Problem, Solution, evaluate
from geogroup.group._units import (
    count_moved,
    make_plan,
    progress_bar,
    run_jobs,
    stable_ids,
    unassigned_frame,
    unit_frame,
)
from geogroup.locate import DistanceTable
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy
from geogroup.pool import BACKENDS, workers

__all__ = ["ALL_RULES", "BaseGrouper", "active_rules", "solution_from"]

ALL_RULES = frozenset(
    {
        "members",
        "n_groups",
        "max_distance_km",
        "max_travel_min",
        "pair_urban_rural",
        "min_weak_per_group",
        "min_weak_share",
        "leads",
        "min_lead_spacing_km",
        "sectors",
        "levels",
        "fixed_group",
        "previous",
        "group_students",
        "capacity",
    }
)


_POLICY_RULES = (  # (rule, whether the policy asks for it)
    ("n_groups", lambda p: p.n_groups is not None),
    ("max_distance_km", lambda p: p.max_distance_km is not None),
    ("max_travel_min", lambda p: p.max_travel_min is not None),
    ("pair_urban_rural", lambda p: p.pair_urban_rural),
    ("min_weak_per_group", lambda p: p.min_weak_per_group),
    ("min_weak_share", lambda p: p.min_weak_share),
    ("min_lead_spacing_km", lambda p: p.min_lead_spacing_km),
    ("sectors", lambda p: p.sectors),
    ("group_students", lambda p: p.group_students is not None),
    ("capacity", lambda p: p.capacity_column),
)


def active_rules(policy: Policy, schools: pd.DataFrame, previous: Any) -> set[str]:
    """The rules this policy and these schools actually ask for."""
    rules_ = {"members", "leads", "levels"}
    rules_ |= {rule for rule, asked in _POLICY_RULES if asked(policy)}
    if S.FIXED_GROUP in schools and schools[S.FIXED_GROUP].notna().any():
        rules_.add("fixed_group")
    if previous is not None:
        rules_.add("previous")
    return rules_


class BaseGrouper(BaseEstimator):
    """Common machinery of the grouping methods (see the module docstring).

    Parameters
    ----------
    policy
        A preset name, a TOML path or a :class:`~geogroup.Policy`.
    random_state
        Seed; each unit derives its own generator from it and its label, so the plan does
        not depend on where or in which order the units ran.
    time_limit
        Seconds per unit (what they bound is the method's own).
    on_infeasible
        ``'raise'``, or ``'unassign'``: a unit the policy cannot group is left unassigned
        with its reason, and a warning says so.
    n_jobs
        Processes for independent units under ``backend='processes'``, this one included
        (None: every core once the input has 2,000 schools or more; 1: serially); Dask
        workers of the :class:`~dask.distributed.LocalCluster` started under
        ``backend='dask'``.
    backend
        Where the units run: ``'serial'`` (this process), ``'processes'`` (this process and
        joblib's loky worker processes on this machine) or ``'dask'`` (tasks on a Dask cluster;
        ``pip install "geogroup[scale]"``).
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
    registry: ClassVar[dict[str, type[BaseGrouper]]] = {}
    """Every method class by its ``name``, filled as the classes are defined."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            BaseGrouper.registry[cls.name] = cls

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

    # -- parameters (scikit-learn reads them from the constructors' signatures) ------------
    @classmethod
    def _defaults(cls) -> dict[str, Any]:
        """Every constructor parameter and its default, the most derived class winning."""
        out: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            init = vars(klass).get("__init__")
            if init is None or klass in (object, BaseEstimator):
                continue
            for p in inspect.signature(init).parameters.values():
                if p.name != "self" and p.kind is inspect.Parameter.KEYWORD_ONLY:
                    out[p.name] = p.default
        return out

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return sorted(cls._defaults())

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:  # noqa: N803  (scikit-learn's name)
        """The class and the parameters that differ from their defaults."""
        defaults = self._defaults()
        changed = {
            k: v
            for k, v in self.get_params(deep=False).items()
            if not _same(v, defaults.get(k, inspect.Parameter.empty))
        }
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self,
        schools: gpd.GeoDataFrame,
        *,
        by: str | None = None,
        previous: Plan | None = None,
        rejected: pd.DataFrame | None = None,
        distances: DistanceTable | None = None,
    ) -> BaseGrouper:
        """Group ``schools`` (the frame :func:`~geogroup.read_schools` returns).

        Parameters
        ----------
        schools
            One row per school; never modified.
        by
            A column naming administrative units (e.g. a county): each unit is grouped on
            its own and group ids are prefixed with the unit. Schools without a value are
            left unassigned with the reason, and a warning says so.
        previous
            An earlier plan: its group ids are kept where groups persist, and every school
            that changes group costs the policy's ``move_cost``.
        rejected
            The rows the reader rejected, carried into the plan so every input school is
            accounted for.
        distances
            Distances along roads or given by the planner
            (:class:`~geogroup.locate.DistanceTable`): every cost, cap and figure then reads
            them instead of straight lines, and a pair the table lacks cannot be a member
            and its lead.
        """
        started = time.perf_counter()
        policy = get_policy(self.policy)
        self._check_params()
        self._check_schools(schools, by, policy)
        self._check_rules(policy, schools, previous)
        _check_fixed_units(schools, by, policy)
        _check_distances(policy, distances)
        context = _context(schools, by, policy, previous)
        units = list(rules.split_units(schools, by, policy))
        tables = _unit_tables(distances, units)
        jobs = [
            (label, schools.loc[index], policy, context, tables.get(label))
            for label, index in units
        ]
        n_workers = workers(self.n_jobs, len(jobs), len(schools))
        with progress_bar(self.name, len(jobs), self.progress) as bar:
            results = run_jobs(
                self._run_job,
                jobs,
                backend=self.backend,
                n_workers=n_workers if self.backend != "dask" else self.n_jobs,
                scheduler=self.scheduler,
                bar=bar,
                sizes=[len(index) for _, index in units],
            )
        pieces = [piece for piece, _ in results] + _without_unit(schools, by, policy)
        reports = [report for _, report in results]
        for report in reports:
            if report["status"] == "infeasible":
                warnings.warn(f"left unassigned: {report['message']}", UserWarning, stacklevel=2)
        _warn_far_members(reports, policy)
        plan_schools = pd.concat(pieces).reindex(schools.index)
        plan_schools = gpd.GeoDataFrame(plan_schools, geometry="geometry", crs=schools.crs)
        moved = None
        if previous is not None:
            plan_schools[S.GROUP_ID] = stable_ids(plan_schools, previous.schools)
            moved = count_moved(plan_schools, previous.schools)
        if by is None:  # measured on the schools grouped: a typo left out is no reason
            _warn_wide_area(plan_schools[plan_schools[S.ROLE] != S.UNASSIGNED], schools)
        plan = make_plan(self, policy, plan_schools, reports, rejected, moved, by, distances)
        if distances is not None:
            plan.params["distances"] = distances.source
        self._final_check(plan, policy, by)
        self.plan_ = plan
        self.plan_.seconds = time.perf_counter() - started
        return self

    def _final_check(self, plan: Plan, policy: Policy, by: str | None) -> None:
        """Judge the plan by the rulebook: a broken rule here is a bug of the method."""
        found = rules.violations(
            rules.plan_arrays(plan.schools, policy, by, plan.distances), policy
        )
        if found:
            first = found[0]
            raise RuntimeError(
                f"internal error: method {self.name!r} made a plan that breaks "
                f"{len(found)} rule(s) of policy {policy.name!r}, e.g. {first['rule']}: "
                f"{first['detail']}. This is a bug of geogroup; please report it with the input"
            )

    def _run_job(self, job: tuple) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
        label, unit, policy, context, table = job
        rng = np.random.default_rng(rules.unit_seed(self.random_state, label))
        return self._fit_unit(unit, label, policy, context, rng, table)

    def _fit_unit(self, unit, label, policy, context, rng, table=None):
        t0 = time.perf_counter()
        try:
            problem = prepare_problem(
                unit,
                policy,
                context.previous_lead,
                label=label,
                sector=context.sector,
                table=None if table is None else table.for_unit(unit.index.to_numpy()),
            )
            solution = self._solve(problem, rng)
        except InfeasibleError as exc:
            message = f"{label}: {exc}" if label else str(exc)
            if self.on_infeasible == "raise" and not label:  # the one unit: as it was said
                raise
            if self.on_infeasible == "raise":  # coded: said in Chinese too
                unit = {"unit": label, "reason": str(exc)}
                raise InfeasibleError(message, code="group.unit", values=unit) from None
            return unassigned_frame(unit, message), {
                "unit": label,
                "n": len(unit),
                "status": "infeasible",
                "message": message,
            }
        piece = unit_frame(unit, problem, solution, label)
        far, longest, usual = far_members(problem, solution.lead)
        report = {
            "unit": label,
            "n": int(problem.active.sum()),
            "status": solution.status,
            "objective": solution.objective,
            "bound": solution.bound,
            "gap": solution.gap,
            "seconds": round(time.perf_counter() - t0, 3),
            "leads": problem.leads_used,
            **context.centre_of(unit),
            "spacing_km": round(problem.spacing_km, 3),
            "far_members": far,
            "longest_km": longest,
            "median_member_km": usual,
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
            able = [n for n, cls in self.registry.items() if set(missing) <= cls.honours]
            raise PolicyError(
                f"method {self.name!r} cannot honour the policy rule(s) {', '.join(missing)} of "
                f"policy {policy.name!r}; use {' or '.join(repr(a) for a in able) or 'another method'}, "
                "or drop the rule from the policy"
            )

    @staticmethod
    def _check_schools(schools: Any, by: str | None, policy: Policy) -> None:
        if not isinstance(schools, gpd.GeoDataFrame):
            raise InputError(
                f"schools: expected the GeoDataFrame that geogroup.read_schools returns, got "
                f"{type(schools).__name__}; read the file with read_schools() first"
            )
        missing = [c for c in (S.NAME, S.QUALITY) if c not in schools]
        if missing:
            raise InputError(
                f"schools: missing column(s) {', '.join(missing)}; read the file with "
                "read_schools(), or name the columns as the data contract does"
            )
        if schools.crs is None and policy.sectors:
            raise InputError(
                "schools: the sector rule takes bearings in longitude and latitude, but the "
                "schools have no CRS (a plain x/y plane); set the CRS of the coordinates "
                "(.set_crs(...)) or drop 'sectors' from the policy"
            )
        if not schools.index.is_unique:
            dup = schools.index[schools.index.duplicated()].unique()[:5]
            raise InputError(
                f"schools: school ids must be unique; repeated: {', '.join(map(str, dup))}"
            )
        if by is not None and by not in schools:
            said = {"by": repr(by), "columns": ", ".join(map(str, schools.columns))}
            message = f"by={by!r}: no such column; columns are {said['columns']}"
            raise InputError(message, code="group.by", values=said)
        if policy.pair_urban_rural and S.AREA not in schools:
            raise InputError(
                "policy 'pair_urban_rural' pairs urban leads with rural members, but the schools "
                "have no 'area' column; read them with read_schools() (which derives it) or "
                "set pair_urban_rural = false"
            )


def _check_fixed_units(schools: gpd.GeoDataFrame, by: str | None, policy: Policy) -> None:
    """A fixed group whose schools lie in several units (``by`` values, or levels under
    ``levels = 'same'``) can never stay together: say so before grouping."""
    if S.FIXED_GROUP not in schools:
        return
    labels = pd.Series(rules.words_kept(schools[S.FIXED_GROUP]), index=schools.index)
    units = pd.Series(rules.unit_labels(schools, by, policy), index=schools.index)
    spread = units[labels.notna()].groupby(labels[labels.notna()]).nunique()
    if (spread > 1).any():
        name = spread.index[spread > 1][0]
        where = sorted(map(str, set(units[labels == name])))
        parts = [f"the {by!r} column"] if by else []
        parts += ["the school level"] if policy.levels == "same" and S.LEVEL in schools else []
        raise InfeasibleError(
            f"fixed group {name!r} holds schools of {len(where)} units ({', '.join(where)}; "
            f"units are {' and '.join(parts)}), but a group stays within one unit; unlock the "
            "schools of the other units (column fixed_group)"
            + (" or set levels = 'mixed'" if policy.levels == "same" else "")
        )


FAR_MEMBER_FACTOR = 10.0
FAR_MEMBER_MIN_KM = 50.0
WIDE_AREA_KM = 300.0  # a county is rarely 100 km across, a large city 200 km


def far_members(problem: Problem, lead: np.ndarray) -> tuple[int, float, float]:
    """Members farther from their lead than ten times the unit's median member distance
    and than 50 km — a plan a planner would question —, the longest member-to-lead distance
    and the median one (km)."""
    member = np.flatnonzero((lead >= 0) & (lead != np.arange(problem.n)))
    if not len(member):
        return 0, 0.0, 0.0
    km = problem.km(member, lead[member])
    usual = float(np.median(km))
    limit = max(FAR_MEMBER_FACTOR * usual, FAR_MEMBER_MIN_KM)
    return int((km > limit).sum()), round(float(km.max()), 3), round(usual, 3)


def _warn_far_members(reports: list[dict], policy: Policy) -> None:
    far = [r for r in reports if r.get("far_members")]
    if not far:
        return
    worst = max(far, key=lambda r: r["longest_km"])
    where = f" in unit {worst['unit']!r}" if worst["unit"] else ""
    cap = (
        "set 'max_distance_km'"
        if policy.max_distance_km is None
        else f"lower 'max_distance_km' (= {policy.max_distance_km:g})"
    )
    warnings.warn(
        f"{sum(r['far_members'] for r in far)} member school(s) lie more than "
        f"{FAR_MEMBER_FACTOR:g} times their unit's median member distance (and "
        f"{FAR_MEMBER_MIN_KM:g} km) from their lead, up to {worst['longest_km']:,.1f} km{where} "
        f"(a member is usually {worst['median_member_km']:.1f} km from its lead there); {cap}, "
        "or group smaller units ('by')",
        UserWarning,
        stacklevel=3,
    )


_UNIT_WORDS = ("province", "city", "county", "district", "town", "region", "state", "省", "市",
               "县", "区", "镇", "乡", "学区")  # fmt: skip


def _warn_wide_area(grouped: gpd.GeoDataFrame, schools: gpd.GeoDataFrame) -> None:
    """Schools spread over far more than a county, grouped as one unit: suggest 'by'."""
    if len(grouped) < 2 or grouped.crs is None:
        return
    lon, lat = grouped.geometry.x.to_numpy(), grouped.geometry.y.to_numpy()
    geod = pyproj.Geod(ellps="WGS84")
    span = geod.inv(np.nanmin(lon), np.nanmin(lat), np.nanmax(lon), np.nanmax(lat))[2] / 1000.0
    if not span > WIDE_AREA_KM:
        return
    candidates = [
        str(c)
        for c in schools.columns
        if c != "geometry"
        and any(w in str(c).lower() for w in _UNIT_WORDS)
        and 2 <= schools[c].nunique(dropna=True) <= max(2, len(schools) // 3)
    ]
    hint = (
        f"e.g. by={candidates[0]!r} (columns that look like units: {', '.join(candidates)})"
        if candidates
        else "by a column of counties or districts"
    )
    warnings.warn(
        f"these {len(grouped):,} schools span {span:,.0f} km, far more than a county, and are "
        f"grouped as one unit; group each unit on its own, {hint}",
        UserWarning,
        stacklevel=3,
    )


@dataclass
class UnitContext:
    """What a unit needs to know of the whole input: the previous plan's leads and, under the
    sector rule, each school's sector and each county's centre."""

    previous_lead: pd.Series | None = None
    sector: pd.Series | None = None
    centres: dict[str, tuple[float, float]] = field(default_factory=dict)

    def centre_of(self, unit: pd.DataFrame) -> dict[str, Any]:
        if self.sector is None:
            return {}
        labels = self.centres.get(str(unit.index[0]))
        return {} if labels is None else {"centre": list(labels)}


def _check_distances(policy: Policy, distances: DistanceTable | None) -> None:
    if policy.max_travel_min is not None and (distances is None or not distances.has_minutes):
        raise PolicyError(
            f"policy 'max_travel_min' = {policy.max_travel_min:g} needs travel times: give "
            "road distances (roads=, --roads) or a distance table with a minutes column "
            "(distances=, --distances), or drop the rule"
        )


def _unit_tables(
    distances: DistanceTable | None, units: list[tuple[str, pd.Index]]
) -> dict[str, DistanceTable]:
    """Each unit's part of the table (pairs of two of its schools): a worker gets its own."""
    if distances is None:
        return {}
    unit_of = pd.Series({str(sid): label for label, index in units for sid in index}, dtype=object)
    pairs = distances.pairs
    a = unit_of.reindex(pairs["from_id"].to_numpy()).to_numpy()
    b = unit_of.reindex(pairs["to_id"].to_numpy()).to_numpy()
    same = pd.notna(a) & (a == b)
    kept = pairs[same].assign(_unit=a[same])
    return {
        label: DistanceTable(part.drop(columns="_unit"), source=distances.source)
        for label, part in kept.groupby("_unit", sort=False)
    }


def _context(
    schools: gpd.GeoDataFrame, by: str | None, policy: Policy, previous: Plan | None
) -> UnitContext:
    out = UnitContext(previous_lead=None if previous is None else previous.schools[S.LEAD_ID])
    if policy.sectors:
        arrays = rules.plan_arrays(schools.assign(**{S.GROUP_ID: None}), policy, by)
        out.sector = pd.Series(arrays.sector, index=schools.index)
        out.centres = {
            str(sid): arrays.centres[int(code)]
            for sid, code in zip(schools.index, arrays.by_code, strict=True)
            if int(code) in arrays.centres
        }
    return out


def _without_unit(schools: gpd.GeoDataFrame, by: str | None, policy: Policy) -> list:
    """The schools whose ``by`` value is missing or a placeholder: unassigned, with the
    reason, and a warning."""
    if not by:
        return []
    labels = rules.unit_labels(schools, by, policy)
    lost = np.array([v is None for v in labels], dtype=bool)
    if not lost.any():
        return []
    shown = ", ".join(map(str, schools.index[lost][:5]))
    warnings.warn(
        f"{int(lost.sum())} school(s) have no value in the {by!r} column (empty or a "
        f"placeholder such as '.'; e.g. {shown}): left unassigned; fill the column to group them",
        UserWarning,
        stacklevel=3,
    )
    return [unassigned_frame(schools[lost], f"no value in the {by!r} column (unit unknown)")]


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
            f"{shown}; correct the ids in 'leads' (or the school list), or drop them",
            code="group.leads_missing",
            values={"n": len(missing), "ids": shown},
        )


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except (TypeError, ValueError):
        return False


def solution_from(problem: Problem, lead: np.ndarray, status: str, **detail: Any) -> Solution:
    """A Solution with the objective evaluated and its parts recorded."""
    parts = evaluate(problem, lead)
    detail = {**detail, **{f"part_{k}": parts[k] for k in ("distance", "balance", "moves")}}
    return Solution(lead=lead, status=status, objective=parts["objective"], detail=detail)
