"""A plan as the rulebook reads it, once, for the charts, the summary page and the report:
groups and roles, units, weak schools, distances to the lead
(:func:`geogroup.evaluate.rule_arrays`, shared with the metrics inside
:func:`~geogroup.evaluate.reusing_arrays`), and the per-group figures they draw."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.evaluate import rule_arrays
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy

__all__ = ["PlanView", "plan_view"]


@dataclass
class PlanView:
    """The figures of one plan that the pictures need, computed once."""

    schools: pd.DataFrame
    policy: Policy
    arrays: rules.PlanArrays
    names: dict[str, str] = field(default_factory=dict)  # school id -> name

    @cached_property
    def distance_km(self) -> np.ndarray:
        """Each school's distance to its lead (NaN outside a group)."""
        return self.arrays.distance_km()

    @cached_property
    def groups(self) -> pd.DataFrame:
        """One row per group (its id as index): ``size``, ``mean_quality``, ``unit`` (the
        unit of its lead, else of its first school), ``unit_mean`` (the mean quality of
        every school of that unit, grouped or not), ``deviation`` (mean − unit mean),
        ``lead_id`` and ``lead_name``."""
        a = self.arrays
        names = a.group_names
        size = a.per_group(np.ones(a.n))
        total = a.per_group(a.quality)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(size > 0, total / np.maximum(size, 1), np.nan)
        unit_mean = np.full(len(a.unit_names), np.nan)
        for code, at in enumerate(a.unit_positions()):
            if len(at):
                unit_mean[code] = float(np.mean(a.quality[at]))
        head = a.lead_position()
        first = np.array([p[0] if len(p) else -1 for p in a.group_positions()], dtype=np.int64)
        where = np.where(head >= 0, head, first)
        unit = np.where(where >= 0, a.unit[np.maximum(where, 0)], -1)
        lead_ids = [a.ids[h] if h >= 0 else "" for h in head]
        frame = pd.DataFrame(
            {
                "size": size.astype(int),
                "mean_quality": mean,
                "unit": [a.unit_names[u] if u >= 0 else "" for u in unit],
                "unit_mean": np.where(unit >= 0, unit_mean[np.maximum(unit, 0)], np.nan),
                "lead_id": lead_ids,
                "lead_name": [self.names.get(i, i) if i else "" for i in lead_ids],
            },
            index=pd.Index(names, name=S.GROUP_ID, dtype=object),
        )
        frame["deviation"] = frame["mean_quality"] - frame["unit_mean"]
        return frame.loc[frame["size"] > 0]

    @property
    def one_unit(self) -> bool:
        """Whether the groups all lie in one unit (a county, one level): the balance chart
        then reads in the unit's own quality scale."""
        return self.groups["unit"].nunique() <= 1

    @property
    def member_km(self) -> np.ndarray:
        """The distances of the members to their leads, NaN left out."""
        km = self.distance_km[self.arrays.member]
        return km[np.isfinite(km)]


def plan_view(plan: Plan | pd.DataFrame, policy: str | Policy | None = None) -> PlanView:
    """The :class:`PlanView` of a plan (or a schools frame with ``group_id`` and ``role``),
    under ``policy`` (the plan's own when None)."""
    if isinstance(plan, Plan):
        schools = plan.schools
        policy = plan.policy if policy is None else get_policy(policy)
    else:
        schools = plan
        policy = Policy(name="unknown") if policy is None else get_policy(policy)
    arrays = rule_arrays(plan, policy)
    names = (
        dict(zip(arrays.ids, schools[S.NAME].astype(str), strict=True)) if S.NAME in schools else {}
    )
    return PlanView(schools=schools, policy=policy, arrays=arrays, names=names)
