"""The two figures a scenario is placed by, and which scenarios no other beats on both.

A plan's objective (``docs/objective.md``) is ``distance + w · balance``, both per grouped
school: **distance** is the mean distance from a school to its lead (km; a lead counts
0 km), **balance** the size-weighted mean distance of the group means of quality from their
unit's mean, in standard deviations of quality (0: every group as good as the county).
A weight sweep trades one for the other; a plan is *dominated* when another is no worse on
both figures and better on one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.evaluate import distance_to_lead
from geogroup.plan import Plan

__all__ = ["balance_gap", "dominated_by", "knee", "mean_distance", "non_dominated"]


def _grouped(plan: Plan) -> pd.Series:
    return (plan.schools[S.ROLE] != S.UNASSIGNED) & plan.schools[S.GROUP_ID].notna()


def mean_distance(plan: Plan) -> float:
    """The distance part of the objective: the mean distance from a grouped school to its
    lead, in km (a lead counts 0 km; :func:`geogroup.evaluate.distance_to_lead`, along the
    plan's own distances when it has them); NaN for a plan that groups no school.

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> round(mean_distance(plan), 3) == round(plan.parts["distance"], 3)
    True
    """
    grouped = _grouped(plan)
    if not grouped.any():
        return math.nan
    # Recomputed, as the rulebook measures (the distance_km column is rounded to metres).
    return float(distance_to_lead(plan)[grouped].sum() / grouped.sum())


def balance_gap(plan: Plan) -> float:
    """The balance part of the objective without its weight: ``Σ_g |Σ_{i∈g} z_i| / N``,
    z the quality in standard deviations of the school's unit (all its schools, population
    standard deviation), N the grouped schools; NaN for a plan that groups no school.

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> round(balance_gap(plan), 6) == round(plan.parts["balance"], 6)  # weight 1
    True
    """
    schools = plan.schools
    grouped = _grouped(plan).to_numpy()
    if not grouped.any():
        return math.nan
    units = rules.unit_labels(schools, plan.params.get("by"), plan.policy)
    quality = schools[S.QUALITY].to_numpy(dtype=float)
    z = np.zeros(len(schools))
    for unit in {u for u in units if u is not None}:
        inside = np.array([u == unit for u in units], dtype=bool)
        q = quality[inside]
        sd = float(q.std())
        z[inside] = (q - q.mean()) / sd if sd > 0 else 0.0
    sums = pd.Series(z[grouped]).groupby(schools[S.GROUP_ID].to_numpy()[grouped]).sum()
    return float(sums.abs().sum() / grouped.sum())


def dominated_by(distance: Sequence[float], balance: Sequence[float]) -> list[int | None]:
    """For each point, the position of a point that dominates it (no worse on both figures,
    better on one: the first such by the lowest distance, then balance, then position), or
    None when none does.

    Examples
    --------
    >>> dominated_by([1.0, 2.0, 2.0, 3.0], [3.0, 2.0, 2.5, 1.0])
    [None, None, 1, None]
    """
    d = np.asarray(distance, dtype=float)
    b = np.asarray(balance, dtype=float)
    order = np.lexsort((np.arange(len(d)), b, d))
    out: list[int | None] = []
    for i in range(len(d)):
        beats = (d <= d[i]) & (b <= b[i]) & ((d < d[i]) | (b < b[i]))
        found = [int(j) for j in order if beats[j]]
        out.append(found[0] if found else None)
    return out


def non_dominated(distance: Sequence[float], balance: Sequence[float]) -> list[bool]:
    """Whether each point is on the front: no other point dominates it.

    Examples
    --------
    >>> non_dominated([1.0, 2.0, 2.0, 3.0], [3.0, 2.0, 2.5, 1.0])
    [True, True, False, True]
    """
    return [j is None for j in dominated_by(distance, balance)]


def knee(distance: Sequence[float], balance: Sequence[float]) -> int:
    """The position of the front point closest to the ideal (the least distance and the
    least balance gap of the points given), both figures scaled to their range on the
    points: the plan that gives up least of either. Ties: the lower position.

    Examples
    --------
    >>> knee([7.0, 7.1, 7.2, 7.6], [0.11, 0.07, 0.05, 0.015])
    2
    """
    d = np.asarray(distance, dtype=float)
    b = np.asarray(balance, dtype=float)
    span_d = float(d.max() - d.min()) or 1.0
    span_b = float(b.max() - b.min()) or 1.0
    far = np.hypot((d - d.min()) / span_d, (b - b.min()) / span_b)
    return int(np.argmin(np.round(far, 12)))
