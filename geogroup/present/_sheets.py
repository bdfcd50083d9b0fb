"""The sheets of ``report.xlsx``: which tables, which columns, in the report's language.

概要 / Summary (every figure of ``metrics.json``, by its label, with the policy's coverage
target beside the coverage figures), 集团 / Groups, 学校 / Schools (with each school's
lead by id and by name), the rows rejected on input (file, row, column, cell and reason:
one line per problem), the policy check, teacher exchange quotas (when teachers are
known), value added (when two years of scores were given), and with a comparison both
plans' figures and the schools that moved.
"""

from __future__ import annotations

import pandas as pd

from geogroup import schema as S
from geogroup.evaluate import KEY_TEACHERS
from geogroup.present._labels import CODED, label, metric_label, reasons_in
from geogroup.present._measure import Measured, coverage_checks
from geogroup.present._numbers import kind_of, percent
from geogroup.present._workbook import Table

__all__ = ["CODED_COLUMNS", "exchange_table", "workbook_tables"]

CODED_COLUMNS = frozenset(CODED | {S.LEVEL})
"""Columns whose values are codes shown by their labels (lead → 龙头校, primary → 小学)."""


def _summary(measured: Measured, lang: str) -> Table:
    verdicts = {}
    for key, _, target, met in coverage_checks(measured):
        verdict = (
            label("target_met", lang)
            if met
            else label("target_missed", lang).format(
                gap=f"{100 * (target - measured.metrics[key]):.1f}"
            )
        )
        verdicts[key] = f"{label('coverage_target', lang)} {percent(target)}: {verdict}"
    keys = list(measured.metrics)
    frame = pd.DataFrame(
        {
            "label": [metric_label(k, lang) for k in keys],
            "value": pd.Series(list(measured.metrics.values()), dtype=object),
            "notes": [verdicts.get(k) for k in keys],
        }
    )
    return Table(label("summary", lang), frame, row_kinds=[kind_of(k) for k in keys])


def exchange_table(measured: Measured) -> pd.DataFrame:
    """Per group: its lead's name, teachers and key teachers, and their exchange quotas."""
    columns = ["lead_name", S.TEACHERS, "teachers_quota", KEY_TEACHERS, f"{KEY_TEACHERS}_quota"]
    return measured.groups[[c for c in columns if c in measured.groups]]


def _value_added(measured: Measured, lang: str) -> list[Table]:
    va = measured.value_added
    if va is None:
        return []
    groups = va.groups.rename(columns={"schools": "va_schools"})
    spread = va.spread.rename(index=lambda k: label(f"spread:{k}", lang)).reset_index(names="label")
    return [
        Table(label("sheet_value_added", lang), groups, freeze="B2"),
        Table(label("sheet_value_spread", lang), spread, row_kinds=["quality"] * len(spread)),
    ]


def _comparison(measured: Measured, lang: str) -> list[Table]:
    comparison = measured.comparison
    if comparison is None:
        return []
    side = comparison.metrics
    frame = pd.DataFrame(
        {
            "label": [metric_label(k, lang) for k in side.index],
            "a": side["a"].to_numpy(dtype=object),
            "b": side["b"].to_numpy(dtype=object),
            "change": side["change"].to_numpy(dtype=object),
        }
    )
    kinds = [kind_of(k) for k in side.index]
    return [
        Table(label("comparison", lang), frame, row_kinds=kinds),
        Table(label("moves", lang), comparison.moves, coded=CODED_COLUMNS, freeze="C2"),
    ]


def workbook_tables(measured: Measured, lang: str) -> list[Table]:
    """The sheets of the report's workbook, in order."""
    rejected = measured.rejected.assign(reason=lambda f: reasons_in(f["reason"], lang))
    if rejected["file"].isna().all():
        rejected = rejected.drop(columns="file")
    schools = measured.schools
    if S.REASON in schools:
        schools = schools.assign(**{S.REASON: reasons_in(schools[S.REASON], lang)})
    violations = measured.violations.assign(
        rule=[label(f"rule:{r}", lang) for r in measured.violations["rule"]]
    )
    tables = [
        _summary(measured, lang),
        Table(label("groups", lang), measured.groups, coded=CODED_COLUMNS, freeze="C2"),
        Table(label("schools", lang), schools, coded=CODED_COLUMNS, freeze="C2"),
        Table(label("rejected", lang), rejected, kinds={"row": "count"}),
        Table(label("violations", lang), violations),
    ]
    if measured.has_teachers:
        tables.append(Table(label("sheet_exchange", lang), exchange_table(measured), freeze="B2"))
    tables += _value_added(measured, lang)
    tables += _comparison(measured, lang)
    for table in tables:
        if table.frame.index.name:
            table.frame = table.frame.reset_index()
    return tables
