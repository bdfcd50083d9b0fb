"""The policy check: every rule a plan breaks, judged by the rulebook."""

from __future__ import annotations

import pandas as pd

from geogroup import rules
from geogroup.evaluate import _frame as F
from geogroup.evaluate._frame import PlanLike
from geogroup.policy import Policy

RULES = rules.RULES
"""The rules :func:`check_plan` checks, in the order of its rows (see :mod:`geogroup.rules`)."""

_COLUMNS = ["rule", "group_id", "school_ids", "detail"]


def check_plan(plan: PlanLike, policy: str | Policy | None = None) -> pd.DataFrame:
    """Every rule of ``policy`` that the plan breaks: one row per broken rule and group.

    Works on any plan: one that geogroup made, or a planner's own grouping read with
    :func:`~geogroup.read_plan`. Distances are recomputed from the coordinates, each unit in
    its own UTM zone, as the grouping measured them. The judge is the rulebook's
    (:func:`geogroup.rules.violations`): each rule's meaning is written there, once.

    Parameters
    ----------
    plan
        A :class:`~geogroup.Plan` or a schools GeoDataFrame with ``group_id`` and ``role``.
    policy
        A policy, preset name or TOML path; the plan's own policy when None.

    Returns
    -------
    pandas.DataFrame
        Columns ``rule`` (one of :data:`RULES`), ``group_id`` (the group, both groups joined
        by ", " for lead spacing, None for rules about the whole plan), ``school_ids`` (a
        sorted tuple: the group's schools for a rule about the group's make-up — members,
        pair_urban_rural, min_weak_per_group, one_lead of a group without lead —; the
        offending schools otherwise, e.g. the leads of a group with several) and
        ``detail`` (the numbers and the policy's value). Empty when the plan keeps every
        rule. A rule whose column is missing gives one row saying it cannot be checked.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 4 + ["G2"] * 2,
    ...                             role=["lead", "member", "member", "member", "lead", "member"])
    >>> found = check_plan(plan, Policy(members=(2, 2), leads="top:0.34"))
    >>> found[["rule", "group_id", "school_ids"]]
          rule group_id    school_ids
    0  members       G1  (A, B, C, D)
    1  members       G2        (E, F)
    2    leads       G2          (E,)
    """
    F.core(plan)  # the plan's columns, checked
    rows = rules.violations(F.arrays_of(plan, policy), F.policy_of(plan, policy))
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table["group_id"] = table["group_id"].astype(object).where(table["group_id"].notna(), None)
    return table
