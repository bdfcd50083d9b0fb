"""A plan measured once for every output of the meeting: the report's tables and figures,
the workbook's sheets and the summary page's key figures all come from one
:class:`Measured`.

Exchange quotas follow the policy's ``exchange_rate`` and ``key_exchange_rate`` (rounded
up per group); a policy's ``coverage_target`` is compared with three coverage figures
(:func:`coverage_checks`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.evaluate import (
    KEY_TEACHERS,
    Comparison,
    ValueAdded,
    allowed_leads,
    check_plan,
    distance_to_lead,
    exchange_quota,
    group_metrics,
    lead_of,
    plan_metrics,
    reusing_arrays,
    weak_schools,
)
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy
from geogroup.present._view import PlanView, plan_view

__all__ = ["COVERAGE_KEYS", "Measured", "coverage_checks", "measure"]

COVERAGE_KEYS = ("coverage", "weak_coverage", "rural_with_urban_lead_share")
"""The figures a coverage target is compared with: participation (schools in a group),
assistance (weak schools led by a quality school) and urban–rural assistance (rural
schools led by an urban school)."""

_REJECTED_COLUMNS = ["file", "row", S.SCHOOL_ID, S.NAME, "column", "cell", "reason"]


@dataclass
class Measured:
    """Everything the outputs of one plan show, measured once (see :func:`measure`)."""

    plan: Plan | pd.DataFrame
    policy: Policy
    metrics: dict[str, Any]
    groups: pd.DataFrame
    schools: pd.DataFrame
    rejected: pd.DataFrame  # one line per problem of a row rejected on input
    violations: pd.DataFrame
    comparison: Comparison | None = None
    value_added: ValueAdded | None = None
    scores: tuple[str, str] | None = None  # where the two years of scores came from
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.plan.method if isinstance(self.plan, Plan) else "—"

    @property
    def status(self) -> str:
        return self.plan.status if isinstance(self.plan, Plan) else "—"

    @cached_property
    def view(self) -> PlanView:
        """The plan as the charts and the summary map read it (made with the metrics, by
        :func:`measure`)."""
        return plan_view(self.plan, self.policy)

    @cached_property
    def rejected_rows(self) -> pd.DataFrame:
        """One line per rejected input row: its row number, id, name and its problems
        (``column 'cell': reason``, joined by ``; ``)."""
        table = self.rejected
        if table.empty:
            return pd.DataFrame(columns=["row", S.SCHOOL_ID, S.NAME, "problems"])
        problems = [
            _problem(c, v, r)
            for c, v, r in zip(table["column"], table["cell"], table["reason"], strict=True)
        ]
        frame = table.assign(problems=problems)
        by_row = frame.groupby("row", sort=True, dropna=False)
        out = by_row[[S.SCHOOL_ID, S.NAME]].first()
        out["problems"] = by_row["problems"].agg("; ".join)
        return out.reset_index()

    @cached_property
    def unassigned(self) -> pd.DataFrame:
        """The schools read but in no group, with their reasons."""
        schools = self.schools
        if S.ROLE not in schools:
            return schools.iloc[:0]
        columns = [c for c in (S.NAME, S.AREA, S.LEVEL, S.REASON) if c in schools]
        return schools.loc[schools[S.ROLE] == S.UNASSIGNED, columns]

    @property
    def has_teachers(self) -> bool:
        return "teachers_quota" in self.groups and self.groups["teachers_quota"].notna().any()


def _problem(column: Any, value: Any, reason: Any) -> str:
    """``column 'value': reason``, leaving out what the reader did not give."""
    shown = "" if _blank(value) else f" '{value}'"
    return f"{column}{shown}: {reason}" if not _blank(column) else str(reason)


def _blank(value: Any) -> bool:
    # plan.json stores the reader's cells as text: a missing one comes back as "nan"
    return value is None or str(value) in ("", "nan", "None", "<NA>")


def _text(values: Any, n: int) -> list[str | None]:
    if values is None:
        return [None] * n
    return [None if _blank(v) else str(v) for v in values]


def rejected_table(plan: Plan | pd.DataFrame) -> pd.DataFrame:
    """The input rows rejected on input, one line per problem: ``file`` (when the plan knows
    it), ``row`` (the spreadsheet row, header = 1), ``school_id``, ``name``, ``column``,
    ``cell`` (the value read) and ``reason``; sorted by row."""
    rejected = plan.rejected if isinstance(plan, Plan) else None
    if rejected is None or rejected.empty:
        return pd.DataFrame(columns=_REJECTED_COLUMNS)
    n = len(rejected)
    table = pd.DataFrame(
        {
            "file": _text(rejected.get("source", rejected.get("file")), n),
            "row": pd.to_numeric(rejected["row"], errors="coerce").astype("Int64").to_numpy(),
            S.SCHOOL_ID: _text(rejected.get(S.SCHOOL_ID), n),
            S.NAME: _text(rejected.get(S.NAME), n),
            "column": _text(rejected.get("column"), n),
            "cell": _text(rejected.get("value"), n),
            "reason": _text(rejected["reason"], n),
        }
    )
    return table.sort_values("row", kind="stable").reset_index(drop=True)


def _school_table(plan: Plan | pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """One row per school read: its figures, group, role, lead (id and name), distance to
    the lead, whether it is weak or may lead, and why it is in no group."""
    schools = plan.schools if isinstance(plan, Plan) else plan
    table = pd.DataFrame(index=pd.Index([str(i) for i in schools.index], name=S.SCHOOL_ID))
    for column in (S.NAME, S.QUALITY, S.AREA, S.LEVEL, S.GROUP_ID, S.ROLE):
        if column in schools:
            table[column] = schools[column].to_numpy(copy=True)
    lead = lead_of(plan)
    table[S.LEAD_ID] = lead.to_numpy()
    if S.NAME in schools:
        names = pd.Series(schools[S.NAME].astype(object).to_numpy(), index=table.index)
        table["lead_name"] = lead.map(names).to_numpy()
    table[S.DISTANCE_KM] = distance_to_lead(plan).to_numpy()
    table["weak"] = weak_schools(plan, policy).to_numpy()
    with contextlib.suppress(InputError):  # no lead column: the policy check says so
        table["allowed_lead"] = allowed_leads(plan, policy).to_numpy()
    for column in (S.STUDENTS, S.TEACHERS, KEY_TEACHERS):
        if column in schools and schools[column].notna().any():
            table[column] = schools[column].to_numpy(copy=True)
    if S.REASON in schools:
        table[S.REASON] = schools[S.REASON].to_numpy(copy=True)
    return table


def _with_input_rows(metrics: dict[str, Any], n_rejected: int, policy: Policy) -> dict[str, Any]:
    """``metrics`` with the input rows after the schools, the coverage of all input rows
    and the policy's coverage target after the coverage, and the key-teacher rate after
    the teachers' one."""
    rows = metrics["schools"] + n_rejected
    assigned = metrics["schools"] - metrics["unassigned"]
    coverage = {"coverage_input_rows": assigned / rows if rows else None}
    if policy.coverage_target is not None:
        coverage["coverage_target"] = policy.coverage_target
    added = {
        "schools": {"input_rows": rows, "rejected_on_input": n_rejected},
        "coverage": coverage,
        "exchange_rate": {"key_exchange_rate": policy.key_exchange_rate},
    }
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        out[key] = value
        out |= added.pop(key, {})
    for rest in added.values():  # should plan_metrics ever drop a key
        out |= rest
    return out


def _key_quotas(plan: Plan | pd.DataFrame, groups: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """The groups table with the key teachers' quota at the policy's own key rate."""
    schools = plan.schools if isinstance(plan, Plan) else plan
    if KEY_TEACHERS not in schools or policy.key_exchange_rate == policy.exchange_rate:
        return groups
    quota = exchange_quota(plan, policy.key_exchange_rate, column=KEY_TEACHERS)
    return groups.assign(**{f"{KEY_TEACHERS}_quota": quota.reindex(groups.index)})


def measure(
    plan: Plan | pd.DataFrame,
    *,
    policy: str | Policy | None = None,
    comparison: Comparison | None = None,
    value_added: ValueAdded | None = None,
    scores: tuple[str, str] | None = None,
) -> Measured:
    """Measure a plan for its report, workbook and summary page (the arrays of the rulebook
    are computed once for all of them, :func:`~geogroup.evaluate.reusing_arrays`)."""
    if policy is not None:
        policy = get_policy(policy)
    elif isinstance(plan, Plan):
        policy = plan.policy
    else:
        policy = Policy(name="unknown")
    with reusing_arrays():
        groups = group_metrics(plan, policy, exchange_rate=policy.exchange_rate)
        groups = _key_quotas(plan, groups, policy)
        schools = _school_table(plan, policy)
        violations = check_plan(plan, policy)
        metrics = plan_metrics(plan, policy, exchange_rate=policy.exchange_rate)
        view = plan_view(plan, policy)
    rejected = rejected_table(plan)
    n_rows = int(rejected["row"].nunique()) if len(rejected) else 0
    metrics = _with_input_rows(metrics, n_rows, policy)
    key = f"{KEY_TEACHERS}_quota"
    if metrics.get(key) is not None and key in groups:
        metrics[key] = int(groups[key].sum())
    measured = Measured(
        plan=plan,
        policy=policy,
        metrics=metrics,
        groups=groups,
        schools=schools,
        rejected=rejected,
        violations=violations,
        comparison=comparison,
        value_added=value_added,
        scores=scores,
    )
    measured.view = view  # the arrays of the metrics, not computed again
    return measured


def coverage_checks(measured: Measured) -> list[tuple[str, float, float, bool]]:
    """``(key, value, target, met)`` for each of :data:`COVERAGE_KEYS` the plan has a
    figure for, when the policy states a ``coverage_target``; empty otherwise. A figure
    meets the target when it is at least the target (to 1e-9)."""
    target = measured.policy.coverage_target
    if target is None:
        return []
    out = []
    for key in COVERAGE_KEYS:
        value = measured.metrics.get(key)
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        out.append((key, float(value), float(target), float(value) >= float(target) - 1e-9))
    return out
