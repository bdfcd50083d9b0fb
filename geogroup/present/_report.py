"""Report: a plan's figures for a meeting — one HTML page, one Excel workbook, metrics.json.

:func:`write_report` writes three files into a folder:

* ``metrics.json`` — :func:`~geogroup.evaluate.plan_metrics`, plain numbers, with the
  input rows (schools read and rows rejected on input) and the coverage of the input rows
  beside the coverage of the schools read;
* ``report.xlsx`` — one sheet per table: summary (the same numbers as ``metrics.json``,
  key by key), groups, schools, the rows rejected on input (each with its row number and
  problems), policy violations, and with a comparison the metrics of both plans and the
  schools that moved (``_workbook``);
* ``report.html`` — the same tables (the first rejected rows, and how many more) and three
  charts drawn as inline SVG (quality of all schools against group means, group sizes,
  member-to-lead distances; ``_charts``): no script, no external file, opens offline.

Every input row is accounted for: in a group, unassigned with its reason, or rejected on
input with its row number and reason.

Labels are in Chinese (``lang='zh'``) or English (``'en'``), from :data:`LABELS`
(``labels/<lang>.toml``). The page is rendered from the jinja2 templates in ``templates/``
with autoescaping on, so every string that comes from the input (school names, ids, group
ids, policy names) is escaped before it reaches HTML; the only cells marked safe are
numbers. In the workbook, text that a spreadsheet would run as a formula is stored as text.
The three files are written as one set (:func:`~geogroup.outputs.write_set`); the same plan
always gives the same bytes. :func:`report_writers` gives their writers, to write them with
other files as one set.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.evaluate import (
    KEY_TEACHERS,
    Comparison,
    allowed_leads,
    check_plan,
    distance_to_lead,
    group_metrics,
    lead_of,
    plan_metrics,
    weak_schools,
)
from geogroup.outputs import atomic_write, write_set
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy
from geogroup.present._charts import charts
from geogroup.present._labels import CODED, LABELS, label, metric_label
from geogroup.present._workbook import workbook, workbook_bytes

__all__ = ["LABELS", "report_writers", "write_report"]

_HTML_REJECTED = 50  # the page lists this many rejected rows; the workbook lists them all
_SHARES = {
    "coverage",
    "coverage_input_rows",
    "mixed_groups_share",
    "rural_with_urban_lead_share",
    "weak_coverage",
    "exchange_rate",
}


# --- the tables ----------------------------------------------------------------------------


def _policy(plan: Plan | pd.DataFrame, policy: str | Policy | None) -> Policy:
    if policy is not None:
        return get_policy(policy)
    return plan.policy if isinstance(plan, Plan) else Policy(name="unknown")


def _school_table(plan: Plan | pd.DataFrame, policy: Policy) -> pd.DataFrame:
    schools = plan.schools if isinstance(plan, Plan) else plan
    table = pd.DataFrame(index=pd.Index([str(i) for i in schools.index], name=S.SCHOOL_ID))
    for column in (S.NAME, S.QUALITY, S.AREA, S.LEVEL, S.GROUP_ID, S.ROLE):
        if column in schools:
            table[column] = schools[column].to_numpy()
    table[S.LEAD_ID] = lead_of(plan).to_numpy()
    table[S.DISTANCE_KM] = distance_to_lead(plan).to_numpy()
    table["weak"] = weak_schools(plan, policy).to_numpy()
    with contextlib.suppress(InputError):  # no lead column: the policy check says so
        table["allowed_lead"] = allowed_leads(plan, policy).to_numpy()
    if S.REASON in schools:
        table[S.REASON] = schools[S.REASON].to_numpy()
    return table


def _rejected_rows(plan: Plan | pd.DataFrame) -> pd.DataFrame:
    """One line per input row rejected on input: its row number, school id, name and
    problems (each column, its value and the reason)."""
    rejected = plan.rejected if isinstance(plan, Plan) else None
    if rejected is None or rejected.empty:
        return pd.DataFrame(columns=["row", S.SCHOOL_ID, S.NAME, "problems"])
    frame = pd.DataFrame(
        {
            "row": pd.to_numeric(rejected["row"], errors="coerce").astype("Int64"),
            S.SCHOOL_ID: rejected.get(S.SCHOOL_ID),
            S.NAME: rejected.get(S.NAME),
            "problems": [
                _problem(*values)
                for values in zip(
                    rejected.get("column", [None] * len(rejected)),
                    rejected.get("value", [None] * len(rejected)),
                    rejected["reason"],
                    strict=True,
                )
            ],
        }
    )
    by_row = frame.groupby("row", sort=True, dropna=False)
    table = by_row[[S.SCHOOL_ID, S.NAME]].first()
    table["problems"] = by_row["problems"].agg("; ".join)
    return table.reset_index()


def _problem(column: Any, value: Any, reason: Any) -> str:
    """``column 'value': reason``, leaving out what the reader did not give."""
    # plan.json stores the reader's cells as text: a missing one comes back as "nan"
    shown = "" if _blank(value) else f" '{value}'"
    return f"{column}{shown}: {reason}" if not _blank(column) else str(reason)


def _blank(value: Any) -> bool:
    return value is None or str(value) in ("", "nan", "None", "<NA>")


def _with_input_rows(metrics: dict[str, Any], n_rejected: int) -> dict[str, Any]:
    """``metrics`` with the input rows (schools read and rows rejected on input) after the
    schools, and the share of input rows in a group after the coverage of the schools."""
    rows = metrics["schools"] + n_rejected
    assigned = metrics["schools"] - metrics["unassigned"]
    added = {
        "schools": {"input_rows": rows, "rejected_on_input": n_rejected},
        "coverage": {"coverage_input_rows": assigned / rows if rows else None},
    }
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        out[key] = value
        out |= added.pop(key, {})
    for rest in added.values():  # should plan_metrics ever drop a key
        out |= rest
    return out


def _notes(
    plan: Plan | pd.DataFrame, policy: Policy, metrics: dict[str, Any], lang: str
) -> list[str]:
    schools = plan.schools if isinstance(plan, Plan) else plan
    labels = LABELS[lang]
    leads = policy.leads if isinstance(policy.leads, str) else ", ".join(policy.leads)
    notes = [
        labels["note_input"].format(
            rows=metrics["input_rows"],
            schools=metrics["schools"],
            rejected=metrics["rejected_on_input"],
        ),
        labels["note_weak"].format(share=policy.weak_share, leads=leads),
        labels["note_distance"],
    ]
    if metrics.get("theil_shift"):
        notes.append(labels["note_theil"].format(shift=metrics["theil_shift"]))
    if KEY_TEACHERS not in schools:
        notes.append(labels["note_key_teachers"])
    if not (isinstance(plan, Plan) and plan.zones is not None):
        notes.append(labels["note_hulls"])
    return notes


# --- writing files -------------------------------------------------------------------------


def write_report(
    plan: Plan | pd.DataFrame,
    out_dir: str | Path,
    *,
    lang: str = "zh",
    policy: str | Policy | None = None,
    comparison: Comparison | None = None,
) -> dict[str, Path]:
    """Write ``report.html``, ``report.xlsx`` and ``metrics.json`` for a plan into ``out_dir``.

    Parameters
    ----------
    plan
        A :class:`~geogroup.plan.Plan`, or a schools GeoDataFrame with the plan columns.
    out_dir
        Folder for the three files; made when missing. Files of the same names are replaced,
        all three or none (:func:`~geogroup.outputs.write_set`).
    lang
        ``'zh'`` or ``'en'``: the language of labels, titles and notes.
    policy
        The policy the plan is checked and measured against (its own when None).
    comparison
        A :func:`~geogroup.evaluate.compare_plans` result to add (``plan`` is then its ``b``).

    Returns
    -------
    dict
        ``{'html': path, 'xlsx': path, 'metrics': path}``.

    Examples
    --------
    >>> import tempfile
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     sorted(p.name for p in write_report(plan, out, lang="en").values())
    ['metrics.json', 'report.html', 'report.xlsx']
    """
    writers = report_writers(plan, lang=lang, policy=policy, comparison=comparison)
    paths = write_set(out_dir, writers)
    return {
        "html": paths["report.html"],
        "xlsx": paths["report.xlsx"],
        "metrics": paths["metrics.json"],
    }


def report_writers(
    plan: Plan | pd.DataFrame,
    *,
    lang: str = "zh",
    policy: str | Policy | None = None,
    comparison: Comparison | None = None,
) -> dict[str, Callable[[Path], Path]]:
    """The writers of ``report.html``, ``report.xlsx`` and ``metrics.json`` by name, for
    :func:`~geogroup.outputs.write_set`; the parameters are those of :func:`write_report`.

    Everything is measured here, so a plan that cannot be reported fails before any file is
    written; each writer writes one file at the path it is given.
    """
    if lang not in LABELS:
        raise InputError(f"lang: expected one of {', '.join(LABELS)}, got {lang!r}")
    policy = _policy(plan, policy)
    tables = {
        "groups": group_metrics(plan, policy),
        "schools": _school_table(plan, policy),
        "rejected": _rejected_rows(plan),
        "violations": check_plan(plan, policy),
    }
    metrics = _with_input_rows(plan_metrics(plan, policy), len(tables["rejected"]))
    notes = _notes(plan, policy, metrics, lang)
    text = json.dumps(metrics, ensure_ascii=False, indent=2) + "\n"
    book = workbook_bytes(workbook(metrics, tables, comparison, lang))
    page = _html_page(plan, policy, metrics, tables, comparison, notes, lang)
    return {
        "report.html": functools.partial(atomic_write, data=page),
        "report.xlsx": functools.partial(atomic_write, data=book),
        "metrics.json": functools.partial(atomic_write, data=text),
    }


# --- HTML ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A table as the template draws it: header names and rows of cells (plain text, which
    the template escapes, or Markup from :func:`_cell`); ``row_heads``: each row's first
    cell is its header."""

    head: list[str]
    rows: list[list[Any]]
    row_heads: bool = False


@dataclass(frozen=True)
class _ComparisonView:
    """The comparison section: counts of changes, both plans' metrics, the schools that
    moved, and the groups split or merged (title and table, when any)."""

    counts: _Table
    metrics: _Table
    moves: _Table
    changes: list[tuple[str, _Table]]


@functools.cache
def _templates() -> jinja2.Environment:
    """The report's templates (package data, so an installed geogroup has them)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("geogroup.present", "templates"),
        autoescape=True,
        # A misspelt name in a template fails the report instead of printing nothing.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _cell(value: Any, lang: str, key: str = "") -> str | Markup:
    """A value as the text of a table cell (escaped by the template)."""
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return label(f"v:{str(bool(value)).lower()}", lang)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if key in _SHARES:
            # A narrow no-break space keeps the number and its sign on one line.
            return Markup("{:.2f}&#8239;%").format(100 * float(value))
        if float(value).is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{float(value):,.2f}" if abs(value) >= 100 else f"{float(value):.4g}"
    return str(LABELS[lang].get(f"v:{value}", value) if key in CODED else value)


def _table(frame: pd.DataFrame, lang: str, *, index: bool = True) -> _Table:
    if index and frame.index.name:
        frame = frame.reset_index()
    columns = [str(c) for c in frame.columns]
    rows = [
        [_cell(v, lang, c) for c, v in zip(columns, row, strict=True)]
        for row in frame.itertuples(index=False)
    ]
    return _Table([label(c, lang) for c in columns], rows)


def _comparison(comparison: Comparison, lang: str) -> _ComparisonView:
    counts = [[label(k, lang), _cell(v, lang)] for k, v in comparison.summary().items()]
    side = [
        [metric_label(key, lang), *(_cell(v, lang, key) for v in values)]
        for key, values in zip(comparison.metrics.index, comparison.metrics.to_numpy(), strict=True)
    ]
    head = [label(k, lang) for k in ("label", "a", "b", "change")]
    changes = [
        (label(name, lang), _table(frame, lang, index=False))
        for name, frame in (("splits", comparison.splits), ("merges", comparison.merges))
        if len(frame)
    ]
    return _ComparisonView(
        counts=_Table([], counts, row_heads=True),
        metrics=_Table(head, side),
        moves=_table(comparison.moves, lang),
        changes=changes,
    )


def _html_page(
    plan: Plan | pd.DataFrame,
    policy: Policy,
    metrics: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    comparison: Comparison | None,
    notes: list[str],
    lang: str,
) -> str:
    method = plan.method if isinstance(plan, Plan) else "—"
    status = plan.status if isinstance(plan, Plan) else "—"
    violations = tables["violations"].assign(
        rule=[label(f"rule:{r}", lang) for r in tables["violations"]["rule"]]
    )
    summary = [[metric_label(k, lang), _cell(v, lang, k)] for k, v in metrics.items()]
    rejected = tables["rejected"]
    rejected = rejected.assign(row=rejected["row"].astype(str))  # 1272, not 1,272
    more = len(rejected) - _HTML_REJECTED
    return (
        _templates()
        .get_template("report.html.j2")
        .render(
            html_lang="zh-CN" if lang == "zh" else "en",
            label=functools.partial(label, lang=lang),
            policy=policy.name,
            meta=[
                (label(k, lang), v)
                for k, v in (("policy", policy.name), ("method", method), ("status", status))
            ],
            summary=_Table([], summary, row_heads=True),
            notes=notes,
            rejected=_table(rejected.head(_HTML_REJECTED), lang, index=False),
            rejected_more=(
                label("rejected_more", lang).format(n=more, sheet=label("rejected", lang))
                if more > 0
                else ""
            ),
            charts=charts(tables, lang),
            violations=_table(violations, lang, index=False),
            comparison=None if comparison is None else _comparison(comparison, lang),
            groups=_table(tables["groups"], lang),
            schools=_table(tables["schools"], lang),
        )
    )
