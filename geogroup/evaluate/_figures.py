"""Figures of a whole plan: coverage, balance between groups, Theil, and
:func:`plan_metrics` (``metrics.json``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.evaluate import _frame as F
from geogroup.evaluate._frame import PlanLike
from geogroup.evaluate._groups import (
    EXCHANGE_RATE,
    KEY_TEACHERS,
    _p95,
    _quality,
    allowed_leads,
    group_metrics,
    mixed_groups,
    rural_with_urban_lead,
)
from geogroup.policy import Policy

# --- per plan ------------------------------------------------------------------------------


def coverage(plan: PlanLike) -> float:
    """Share of the plan's schools that are in a group: ``(leads + members) / schools``.

    The Liangxi target of 80 % and the Anshan figure of 99.52 % (416 schools in 55 groups)
    are this share. Rows rejected on input are not schools of the plan and not counted.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 2 + [None],
    ...                             role=["lead", "member", "member", "lead", "member", None])
    >>> round(coverage(plan), 4)  # 5 of 6
    0.8333
    """
    core = F.core(plan)
    return float(core["assigned"].mean()) if len(core) else math.nan


def _weak_covered(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> tuple[int, int]:
    """(weak schools, weak members of a group whose lead may lead under the policy)."""
    weak = F.weak(plan, core, policy)
    allowed = F.allowed(plan, core, policy)
    if allowed is None:
        return int(weak.sum()), -1
    quality_led = F.per_group(core, allowed, core["lead"], "any", "quality_led")
    led = core["group"].map(quality_led).fillna(False).astype(bool)
    return int(weak.sum()), int((weak & core["member"] & led).sum())


def weak_coverage(plan: PlanLike, policy: str | Policy | None = None) -> float:
    """Share of weak schools that are members of a group led by a quality school.

    ``#{weak i : i is a member and lead(i) may lead} / #{weak i}``, where weak is
    :func:`weak_schools` and a *quality school* is one that :func:`allowed_leads` admits
    (the lead pool of the policy: its top share by quality, its lead column or its list).
    The Anshan figure: 85.71 % of schools covered by a quality school's assistance
    (优质学校对口帮扶覆盖率). A weak school that leads a group itself is not covered.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> weak_coverage(plan, Policy(leads="top:0.34"))  # C and E, led by A and D (top 3)
    1.0
    >>> weak_coverage(plan, Policy(leads=("A",)))  # only A is a quality school: C of 2
    0.5
    """
    core = F.core(plan)
    policy = F.policy_of(plan, policy)
    n_weak, covered = _weak_covered(plan, core, policy)
    if covered < 0:
        allowed_leads(plan, policy)  # raises with the message
    return covered / n_weak if n_weak else math.nan


def _group_means(core: pd.DataFrame) -> pd.Series:
    return _quality(core, "mean", "mean_quality")


def group_mean_sd(plan: PlanLike) -> float:
    """Spread of group means: population standard deviation of ``q̄_g`` over groups,
    ``sqrt(Σ_g (q̄_g − mean_g q̄_g)² / G)`` (every group counts once, whatever its size).

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> round(group_mean_sd(plan), 4)  # means 66.667 and 68.333: sd = 1.667 / 2
    0.8333
    """
    means = _group_means(F.core(plan))
    return float(means.std(ddof=0)) if len(means) else math.nan


def group_mean_range(plan: PlanLike) -> float:
    """Range of group means: ``max_g q̄_g − min_g q̄_g``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> round(group_mean_range(plan), 4)
    1.6667
    """
    means = _group_means(F.core(plan))
    return float(means.max() - means.min()) if len(means) else math.nan


def _theil_shift(core: pd.DataFrame) -> float:
    low = float(core["quality"].min()) if len(core) else 1.0
    return 0.0 if low > 0 else 1.0 - low


def _theil(core: pd.DataFrame) -> pd.Series:
    x = core["quality"][core["assigned"]] + _theil_shift(core)
    if x.empty:
        return pd.Series(math.nan, index=["total", "between", "within"], name="theil")
    groups = core["group"][core["assigned"]]
    mu = x.mean()
    total = float(np.mean(x / mu * np.log(x / mu)))
    mu_g = x.groupby(groups).transform("mean")
    share_g = x.groupby(groups).sum() / x.sum()  # s_g = N_g μ_g / (N μ)
    between = float((share_g * np.log(x.groupby(groups).mean() / mu)).sum())
    within = float((share_g * (x / mu_g * np.log(x / mu_g)).groupby(groups).mean()).sum())
    return pd.Series([total, between, within], index=["total", "between", "within"], name="theil")


def theil(plan: PlanLike) -> pd.Series:
    """Theil T index of quality over the grouped schools, with its between/within split.

    ``T = (1/N) Σ_i (x_i/μ) ln(x_i/μ) = Σ_g s_g ln(μ_g/μ) + Σ_g s_g T_g``, where
    ``s_g = N_g μ_g / (N μ)`` is group g's share of total quality and ``T_g`` the Theil
    index within g. The first sum (``between``) is 0 when every group has the county's mean
    — the balance a 学区 plan aims at; the second (``within``) is the inequality that
    stays inside groups, for the lead to close. ``total = between + within``.

    Theil needs positive values: when some quality is 0 or negative (z-scores, ranks
    from 0), every score is shifted to ``x = q − min(q) + 1``, ``min`` over all schools of
    the plan; a positive scale is used unchanged. Theil is not shift-invariant, so compare
    plans on the same scores only (:func:`plan_metrics` records the shift).

    Examples
    --------
    >>> import pandas as pd
    >>> plan = pd.DataFrame({"quality": [2.0, 2.0, 4.0, 4.0], "group_id": ["G1", "G1", "G2", "G2"],
    ...                      "role": ["lead", "member"] * 2}, index=list("abcd"))
    >>> theil(plan).round(6).to_dict()  # (1/3) ln(2/3) + (2/3) ln(4/3); no inequality within
    {'total': 0.056633, 'between': 0.056633, 'within': 0.0}
    """
    return _theil(F.core(plan))


# --- the plan in figures -------------------------------------------------------------------


def _num(value: Any) -> float | int | None:
    """A JSON-able number: None for NaN and missing, floats to 12 significant digits.

    Twelve digits are more than any of these figures means, and few enough that every
    writer reads the same number back (openpyxl stores 16 digits, JSON 17).
    """
    if value is None or pd.isna(value):
        return None
    if isinstance(value, bool | np.bool_ | int | np.integer):
        return int(value)
    return float(f"{float(value):.12g}")


def plan_metrics(
    plan: PlanLike, policy: str | Policy | None = None, *, exchange_rate: float = EXCHANGE_RATE
) -> dict[str, float | int | None]:
    """Every per-plan figure as plain numbers (None when unknown, floats to 12 significant
    digits), written as ``metrics.json``.

    Keys: counts (``schools``, ``groups``, ``leads``, ``members``, ``unassigned``) and
    :func:`coverage`; group sizes (mean, min, max); ``quality_mean`` of all schools, the
    group means' min, max, :func:`group_mean_sd` and :func:`group_mean_range`; the parts
    of :func:`theil` and ``theil_shift``; ``quality_gap_mean`` (mean over groups of
    :func:`quality_gap`); member-to-lead distance over all members (mean, 95th percentile,
    max); urban–rural mix (``mixed_groups`` and its share of groups, ``rural_schools``,
    ``rural_with_urban_lead`` and its share of rural schools); weak schools and
    :func:`weak_coverage`; ``compactness_mean``; teachers, key teachers and their exchange
    quotas (sums of the groups' :func:`exchange_quota`) at ``exchange_rate``.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> m = plan_metrics(plan, Policy(leads="top:0.34"))
    >>> m["groups"], m["coverage"], m["weak_coverage"], m["teachers_quota"], m["key_teachers_quota"]
    (2, 1.0, 1.0, 31, None)
    """
    core = F.core(plan)
    policy = F.policy_of(plan, policy)
    groups = group_metrics(plan, policy, exchange_rate=exchange_rate)
    out: dict[str, Any] = {
        "schools": len(core),
        "groups": len(groups),
        "leads": int(core["lead"].sum()),
        "members": int(core["member"].sum()),
        "unassigned": int((~core["assigned"]).sum()),
        "coverage": float(core["assigned"].mean()) if len(core) else None,
        "group_size_mean": groups["size"].mean(),
        "group_size_min": groups["size"].min(),
        "group_size_max": groups["size"].max(),
        "quality_mean": core["quality"].mean(),
        "group_mean_min": groups["mean_quality"].min(),
        "group_mean_max": groups["mean_quality"].max(),
        "group_mean_sd": groups["mean_quality"].std(ddof=0),
        "group_mean_range": groups["mean_quality"].max() - groups["mean_quality"].min(),
        **{f"theil_{k}": v for k, v in _theil(core).items()},
        "theil_shift": _theil_shift(core),
        "quality_gap_mean": groups["quality_gap"].mean(),
    }
    out |= _distance_figures(plan, core)
    out |= _area_figures(plan, core)
    out |= _weak_figures(plan, core, policy)
    out["compactness_mean"] = groups["compactness"].mean() if "compactness" in groups else None
    out |= _teacher_figures(groups, exchange_rate)
    return {k: _num(v) for k, v in out.items()}


def _distance_figures(plan: PlanLike, core: pd.DataFrame) -> dict[str, Any]:
    km = F.distances(plan, core)[core["member"]].dropna()
    if km.empty:
        out = {"distance_mean_km": None, "distance_p95_km": None, "distance_max_km": None}
    else:
        out = {
            "distance_mean_km": km.mean(),
            "distance_p95_km": _p95(km),
            "distance_max_km": km.max(),
        }
    return out | _road_figures(plan, core)


def _road_figures(plan: PlanLike, core: pd.DataFrame) -> dict[str, Any]:
    """With road distances, the distances above are along the roads: the straight lines
    and the travel times beside them."""
    road = F.road_figures(plan, core)
    if road is None:
        return {}
    out: dict[str, Any] = {}
    stems = (("straight_km", "straight_distance_{}_km"), ("travel_min", "travel_{}_min"))
    for column, stem in stems:
        values = road.loc[core["member"], column].dropna()
        for how in ("mean", "p95", "max"):
            value = None if values.empty else _p95(values) if how == "p95" else values.agg(how)
            out[stem.format(how)] = value
    return out


def _area_figures(plan: PlanLike, core: pd.DataFrame) -> dict[str, Any]:
    keys = (
        "mixed_groups",
        "mixed_groups_share",
        "rural_schools",
        "rural_with_urban_lead",
        "rural_with_urban_lead_share",
    )
    if S.AREA not in F.schools_of(plan):
        return dict.fromkeys(keys)
    mixed = mixed_groups(plan)
    rural = int((F.area(plan, core) == S.RURAL).sum())
    paired = int(rural_with_urban_lead(plan).sum())
    values = (
        int(mixed.sum()),
        mixed.mean() if len(mixed) else None,
        rural,
        paired,
        paired / rural if rural else None,
    )
    return dict(zip(keys, values, strict=True))


def _weak_figures(plan: PlanLike, core: pd.DataFrame, policy: Policy) -> dict[str, Any]:
    n_weak, covered = _weak_covered(plan, core, policy)
    if covered < 0:
        return {"weak_schools": n_weak, "weak_covered": None, "weak_coverage": None}
    return {
        "weak_schools": n_weak,
        "weak_covered": covered,
        "weak_coverage": covered / n_weak if n_weak else None,
    }


def _teacher_figures(groups: pd.DataFrame, rate: float) -> dict[str, Any]:
    out: dict[str, Any] = {"exchange_rate": rate}
    for column in (S.TEACHERS, KEY_TEACHERS):
        known = column in groups and groups[column].notna().all() and len(groups)
        out[column] = int(groups[column].sum()) if known else None
        out[f"{column}_quota"] = int(groups[f"{column}_quota"].sum()) if known else None
    return out
