"""What every scenario is solved with: the schools, the policy, the clock; and one scenario.

A :class:`Job` holds what stays the same across the runs of a scenario study (the schools,
the policy, the units, the seed, the time per run and the total time) and solves one plan
at a time through :func:`geogroup.propose`. A :class:`Scenario` is one plan with how it was
obtained and the two figures that place it (``_figures``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geogroup import schema as S
from geogroup.group import propose
from geogroup.locate import DistanceTable
from geogroup.plan import Plan
from geogroup.policy import Policy
from geogroup.scenarios._figures import balance_gap, mean_distance

__all__ = ["Budget", "Job", "Scenario", "proven_bound", "same_plan"]


@dataclass
class Scenario:
    """One plan of a scenario study and how it was obtained.

    Attributes
    ----------
    id
        ``F1``, ``F2``, … for the points of the trade-off (weight sweep), ``A1``, … for the
        alternatives.
    kind
        ``'front'`` or ``'alternative'``.
    weight
        The balance weight the plan was solved (and is scored) with.
    method, status, gap
        The grouping method, its status and the relative gap to a proven bound of the
        objective at ``weight`` (None when there is no proof).
    how
        How the plan was obtained, in words (English; the page translates the kinds).
    bound
        HiGHS's bound of the objective at ``weight`` for the full model (None when HiGHS
        did not run, or ran on a restricted model: its bound then bounds that model only).
    distance, balance
        The two figures of ``_figures`` (km, and standard deviations of quality).
    objective
        ``distance + weight · balance``.
    """

    id: str
    kind: str
    weight: float
    plan: Plan
    method: str
    how: str
    status: str
    gap: float | None = None
    bound: float | None = None
    note: str = ""
    seconds: float = 0.0
    same_as: str | None = None
    left_out: tuple[str, ...] = ()
    seed: int | None = None
    distance: float = field(init=False)
    balance: float = field(init=False)

    def __post_init__(self) -> None:
        self.distance = mean_distance(self.plan)
        self.balance = balance_gap(self.plan)

    @property
    def objective(self) -> float:
        return self.distance + self.weight * self.balance

    def gap_to(self, bound: float | None) -> float | None:
        """The relative gap of this plan's objective to ``bound`` (None: no bound)."""
        if bound is None or not math.isfinite(bound):
            return None
        return max(0.0, (self.objective - bound) / max(abs(self.objective), 1e-9))


def same_plan(a: Plan, b: Plan) -> bool:
    """Whether two plans of the same schools give every school the same lead and role."""
    lead_a = a.schools[S.LEAD_ID].astype(object).where(a.schools[S.LEAD_ID].notna(), None)
    lead_b = b.schools[S.LEAD_ID].astype(object).where(b.schools[S.LEAD_ID].notna(), None)
    return bool(
        lead_a.index.equals(lead_b.index)
        and (lead_a.to_numpy() == lead_b.reindex(lead_a.index).to_numpy()).all()
        and (a.schools[S.ROLE] == b.schools[S.ROLE].reindex(a.schools.index)).all()
    )


class Budget:
    """The total time of a study: what is left of it, in seconds."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.started = time.perf_counter()

    def left(self) -> float:
        return self.total - (time.perf_counter() - self.started)

    def spent(self) -> float:
        return time.perf_counter() - self.started


@dataclass
class Job:
    """What every run of a study shares (see the module docstring)."""

    schools: gpd.GeoDataFrame
    policy: Policy
    time_limit: float
    budget: Budget
    random_state: int = 0
    by: str | None = None
    rejected: pd.DataFrame | None = None
    distances: DistanceTable | None = None
    solves: int = 0

    def at(self, weight: float) -> Policy:
        """The policy with ``balance_weight = weight``."""
        return dataclasses.replace(self.policy, balance_weight=float(weight))

    def solve(
        self,
        policy: Policy,
        method: str,
        *,
        schools: gpd.GeoDataFrame | None = None,
        random_state: int | None = None,
        time_limit: float | None = None,
    ) -> tuple[Plan, float]:
        """One plan, and the seconds it took."""
        started = time.perf_counter()
        plan = propose(
            self.schools if schools is None else schools,
            policy,
            method=method,
            by=self.by,
            random_state=self.random_state if random_state is None else random_state,
            time_limit=self.time_limit if time_limit is None else time_limit,
            rejected=self.rejected,
            distances=self.distances,
        )
        self.solves += 1
        return plan, time.perf_counter() - started


def proven_bound(plan: Plan) -> float | None:
    """HiGHS's bound of an ``exact`` plan when it bounds the full model (every school saw
    every candidate lead); None otherwise."""
    if plan.bound is None or any(unit.get("restricted") for unit in plan.units):
        return None
    return float(plan.bound)
