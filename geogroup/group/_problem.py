"""One grouping unit made ready for a solver: arrays, candidate leads, the objective.

Every method works on a :class:`Problem`: plain numpy arrays in a fixed order, metric
coordinates, quality as z-scores, who may or must lead, which schools are locked together.
Rules that no method could satisfy are caught here, before any solver runs, with the numbers
and the rule to relax.

The objective (see ``docs/objective.md``), for an assignment of every school to a lead::

    objective = ( Σ_i d(i, lead(i))  +  w · Σ_g |Σ_{i∈g} z_i|  +  m · moved ) / N

with d in km, z_i = (q_i − q̄) / σ_q the standardised quality, w the policy's
``balance_weight`` and m its ``move_cost``. The middle term is N times the size-weighted
mean distance of the group means from the overall mean (in standard deviations): it is
zero when every group's mean quality equals the county's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from geogroup import rules
from geogroup import schema as S
from geogroup.locate import UnitDistances, nearest
from geogroup.policy import Policy

__all__ = ["Problem", "Solution", "evaluate", "judge", "nearest_pairs"]


@dataclass
class Problem:
    """A unit of schools ready for a grouping method (positions 0..n-1 throughout)."""

    ids: NDArray[np.object_]
    names: NDArray[np.object_]
    xy: NDArray[np.float64]  # metres, local UTM
    quality: NDArray[np.float64]
    z: NDArray[np.float64]
    urban: NDArray[np.bool_]
    rural: NDArray[np.bool_]
    weak: NDArray[np.bool_]
    may_lead: NDArray[np.bool_]
    must_lead: NDArray[np.bool_]  # named by the policy's list of leads, or heading a fixed group
    named: NDArray[np.bool_]  # named by the policy's list of leads
    locked_to: NDArray[np.int64]  # position of the lead a school is locked to, or -1
    policy: Policy
    unplaceable: dict[int, str] = field(default_factory=dict)  # position -> reason
    previous_lead: NDArray[np.int64] | None = None  # position of the previous lead, or -1
    n_groups_range: tuple[int, int] = (1, 1)
    level: NDArray[np.object_] | None = None
    fixed: NDArray[np.object_] | None = None  # fixed_group labels (None: no such column)
    label: str = ""
    spacing_km: float = 0.0  # median distance from a school to its nearest neighbour
    leads_used: str = ""  # the lead rule that applied, in words
    sector: NDArray[np.int64] | None = None  # under the sector rule: each school's sector
    table: UnitDistances | None = None  # distances along roads (or given); None: straight
    students: NDArray[np.float64] | None = None  # under a students rule: each school's students
    capacity: NDArray[np.float64] | None = None  # under capacity_column: each school's, or NaN

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def active(self) -> NDArray[np.bool_]:
        """Schools to be grouped (all but those no lead can take)."""
        mask = np.ones(self.n, dtype=bool)
        if self.unplaceable:
            mask[list(self.unplaceable)] = False
        return mask

    @property
    def leads_pool(self) -> NDArray[np.int64]:
        """Positions of schools that may or must lead (a school locked into another lead's
        group cannot lead one of its own)."""
        own = (self.locked_to < 0) | (self.locked_to == np.arange(self.n))
        return np.flatnonzero((self.may_lead | self.must_lead) & self.active & own)

    def cap_m(self) -> float:
        """The longest member-to-lead distance the cap allows, in metres (the rulebook's
        tolerance included): compare with ``<=``. With a distance table a pair it lacks is
        infinitely far: the cap is then finite even without a policy cap."""
        cap = self.policy.max_distance_km
        if cap is None:
            return math.inf if self.table is None else 1e15
        return (cap + rules.TOLERANCE_KM) * 1000.0

    def km(self, a, b) -> NDArray[np.float64]:
        """Member-to-lead distances in km for position arrays ``a`` and ``b``: straight lines,
        or the table's (infinite for a pair it lacks, or beyond ``max_travel_min``)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        if self.table is None:
            return np.hypot(*(self.xy[a] - self.xy[b]).reshape(-1, 2).T) / 1000.0
        km = self.table.km(a, b)
        limit = self.policy.max_travel_min
        if limit is not None:
            km[~rules.within_minutes(self.table.minutes(a, b), limit)] = np.inf
        return km

    def scalar_km(self) -> Callable[[int, int], float]:
        """A fast ``km(i, j)`` for one pair at a time, for the searches' inner loops."""
        if self.table is None:
            x, y = self.xy[:, 0].tolist(), self.xy[:, 1].tolist()
            return lambda i, j: math.hypot(x[i] - x[j], y[i] - y[j]) / 1000.0
        rows, cols = self.table.pairs()
        pairs = zip(rows.tolist(), cols.tolist(), strict=True)
        known = dict(zip(pairs, self.km(rows, cols).tolist(), strict=True))
        return lambda i, j: 0.0 if i == j else known.get((i, j), math.inf)

    def near(
        self, rows: NDArray[np.int64], heads: NDArray[np.int64], k: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Each row's ``k`` nearest of ``heads`` (positions into ``heads``, km), shape
        ``(len(rows), k')``; with a table, padded with -1 and inf where fewer are known."""
        if self.table is None:
            return nearest(self.xy[rows], self.xy[heads], k=min(k, len(heads)))
        idx, km = self.table.nearest(rows, heads, k)
        if self.policy.max_travel_min is not None:
            valid = idx >= 0
            km[valid] = self.km(np.repeat(rows, idx.shape[1])[valid.ravel()], heads[idx[valid]])
        return idx, km

    @property
    def weighs_students(self) -> bool:
        """Whether a rule limits the students of a group (``group_students``, ``capacity``)."""
        return self.students is not None

    def load_limits(self) -> tuple[float, NDArray[np.float64]]:
        """The fewest students a group may hold, and the most a group led by each school
        may hold (inf: no limit), tolerance included: compare with ``>=`` and ``<=``."""
        tol = rules.STUDENTS_TOLERANCE
        limits = self.policy.group_students
        lo = -math.inf if limits is None else limits[0] - tol
        hi = np.full(self.n, math.inf if limits is None else limits[1] + tol)
        if self.capacity is not None:
            hi = np.minimum(hi, np.where(np.isnan(self.capacity), -math.inf, self.capacity + tol))
        return lo, hi

    def spaced_m(self) -> float:
        """The shortest distance two leads may be apart, in metres (tolerance included):
        compare with ``>=``; 0 without the rule."""
        spacing = self.policy.min_lead_spacing_km
        return 0.0 if not spacing else max(0.0, (spacing - rules.TOLERANCE_KM) * 1000.0)


@dataclass
class Solution:
    """What a method returns for one unit: the lead of every school, and how it was found."""

    lead: NDArray[np.int64]  # position of each school's lead (itself for a lead), -1 unassigned
    status: str  # 'optimal', 'feasible', 'time_limit', 'heuristic'
    objective: float
    bound: float | None = None
    gap: float | None = None
    detail: dict = field(default_factory=dict)


def evaluate(problem: Problem, lead: NDArray[np.int64]) -> dict[str, float]:
    """The objective of an assignment and its three parts (each already divided by N)."""
    assigned = lead >= 0
    n = max(int(assigned.sum()), 1)
    idx = np.flatnonzero(assigned)
    d_km = problem.km(idx, lead[idx])
    sums = np.bincount(lead[idx], weights=problem.z[idx], minlength=problem.n)
    balance = float(np.abs(sums).sum())
    moved = 0
    if problem.previous_lead is not None:
        prev = problem.previous_lead[idx]
        moved = int(((prev >= 0) & (prev != lead[idx])).sum())
    w, m = problem.policy.balance_weight, problem.policy.move_cost
    parts = {
        "distance": float(d_km.sum()) / n,
        "balance": w * balance / n,
        "moves": m * moved / n,
    }
    parts["objective"] = parts["distance"] + parts["balance"] + parts["moves"]
    parts["moved"] = moved
    return parts


def nearest_pairs(
    problem: Problem, heads: NDArray[np.int64], schools: NDArray[np.int64], k: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Each of ``heads`` (positions) joined to its ``k`` nearest of ``schools`` (positions):
    flat arrays of the index into ``heads``, the index into ``schools`` and the distance in km.

    The sparse models use it to give a lead its nearest schools that can fill a rule (a weak
    or a rural member), which a school's own nearest leads may all miss."""
    idx, d_km = problem.near(heads, schools, k)
    idx = idx.reshape(len(heads), -1)
    head = np.repeat(np.arange(len(heads)), idx.shape[1])
    known = idx.ravel() >= 0
    return head[known], idx.ravel()[known], d_km.ravel()[known]


def judge(problem: Problem, lead: NDArray[np.int64]) -> list[dict]:
    """Every rule an assignment of the unit breaks, by the rulebook
    (:func:`geogroup.rules.violations`): empty when it keeps them all."""
    p = problem
    pos = np.arange(p.n)
    reason = np.zeros(p.n, dtype=bool)
    reason[list(p.unplaceable)] = True
    arrays = rules.PlanArrays(
        ids=p.ids.astype(str).astype(object),
        quality=p.quality,
        unit=np.zeros(p.n, dtype=np.int64),
        unit_names=[p.label],
        by_code=np.zeros(p.n, dtype=np.int64),
        xy=p.xy,
        epsg=np.zeros(p.n, dtype=np.int64),
        lonlat=np.full((p.n, 2), np.nan),
        urban=p.urban,
        rural=p.rural,
        level=p.level,
        weak=p.weak,
        may_lead=p.may_lead,
        named=p.named,
        fixed=p.fixed,
        group=np.where(lead >= 0, lead, -1),
        group_names=[str(x) for x in p.ids],
        role=np.where(lead < 0, S.UNASSIGNED, np.where(lead == pos, S.LEAD, S.MEMBER)).astype(
            object
        ),
        has_reason=reason,
        sector=p.sector,
        table=p.table,
        students=p.students,
        capacity=p.capacity,
    )
    return rules.violations(arrays, p.policy)
