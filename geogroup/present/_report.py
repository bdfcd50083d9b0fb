"""Report: a plan's figures for a meeting — one HTML page, one Excel workbook, metrics.json.

:func:`write_report` writes three files into a folder:

* ``metrics.json`` — :func:`~geogroup.evaluate.plan_metrics`, plain numbers, with the
  input rows (schools read and rows rejected on input), the coverage of the input rows
  beside the coverage of the schools read, the policy's coverage target when it has one,
  and the two exchange rates;
* ``report.xlsx`` — one sheet per table, set up to filter and print (``_sheets``,
  ``_workbook``);
* ``report.html`` — the key figures in words, the figures, charts (from
  :mod:`geogroup.charts`, embedded as SVG images), the policy check, teacher exchange
  quotas, value added, every row rejected on input and every school in no group with its
  reason, the groups and the schools; it opens offline (no script, no external file) and
  prints on A4 (a print stylesheet; tables fit the page width). Numbers are rounded by
  kind (``_numbers``). Above :data:`LARGE` schools the page summarises — units, the groups
  farthest from balance, the first rows of the long lists — and says that the full tables
  are in the workbook.

Every input row is accounted for: in a group, unassigned with its reason, or rejected on
input with its row number and reason.

Labels are in Chinese (``lang='zh'``) or English (``'en'``), from :data:`LABELS`
(``labels/<lang>.toml``); so are the reasons of rejected rows and of schools in no group,
by the ``[reasons]`` table there (:func:`~geogroup.present._labels.reasons_in`; a reason it
does not know stays as written). The page is rendered from the jinja2 templates in ``templates/``
with autoescaping on, so every string that comes from the input (school names, ids, group
ids, policy names) is escaped before it reaches HTML; the charts are images (base64 SVG)
whose text is drawn as shapes. The files are written as one set
(:func:`~geogroup.outputs.write_set`); the same plan always gives the same bytes.
:func:`report_writers` gives their writers, to write them with other files as one set.
"""

from __future__ import annotations

import base64
import functools
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.evaluate import Comparison, ValueAdded
from geogroup.outputs import atomic_write, write_set
from geogroup.plan import Plan
from geogroup.policy import Policy
from geogroup.present import charts
from geogroup.present._fonts import chart_style
from geogroup.present._labels import LABELS, label, metric_label, reason_text, reasons_in
from geogroup.present._layout import text_width
from geogroup.present._measure import Measured, measure
from geogroup.present._numbers import percent, shown
from geogroup.present._sentences import key_figures, reason_counts
from geogroup.present._sheets import CODED_COLUMNS, exchange_table, workbook_tables
from geogroup.present._workbook import workbook_bytes

__all__ = ["LABELS", "LARGE", "report_writers", "write_report"]

LARGE = 2_000
"""Above this many schools the page summarises; the workbook has every row."""

_LISTED = 200  # rows of a long list on a large plan's page
_FARTHEST = 30  # groups farthest from their unit's mean, on a large plan's page
_WIDE = {S.NAME, "lead_name", S.REASON, "problems", "detail", "school_ids", "file"}
_IDS = {S.SCHOOL_ID, S.GROUP_ID, S.LEAD_ID, "group_a", "group_b", "unit", "rule"}
_PAGE_GROUPS = [
    "lead_name",
    "size",
    "lead_quality",
    "mean_quality",
    "quality_gap",
    "mean_distance_km",
    "max_distance_km",
    "n_weak",
    "n_urban",
    "n_rural",
]
_PAGE_SCHOOLS = [
    S.NAME,
    S.LEVEL,
    S.AREA,
    S.QUALITY,
    S.GROUP_ID,
    S.ROLE,
    "lead_name",
    S.DISTANCE_KM,
    "weak",
]


# --- cells and tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A table as the template draws it: header names, rows of cells (plain text, escaped by
    the template), each column's class (``num``, ``text``, ``wide``) and width in percent;
    ``row_heads``: each row's first cell is its header."""

    head: list[str]
    rows: list[list[str]]
    classes: list[str]
    widths: list[float]
    row_heads: bool = False


def _cell(value: Any, lang: str, key: str = "", coded: bool = False) -> str:
    """A value as the text of a table cell: numbers rounded by the kind of ``key``."""
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return label(f"v:{str(bool(value)).lower()}", lang)
    number = shown(value, key)
    if number is not None:
        return number
    text = str(value)
    return LABELS[lang].get(f"v:{text}", text) if coded else text


def _column_class(frame: pd.DataFrame, column: str) -> str:
    if column in _WIDE:
        return "wide"
    dtype = frame[column].dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    return "num" if numeric else "text"


def _widths(columns: list[str], classes: list[str]) -> list[float]:
    """Each column's share of the page width: wide text 3, ids 1.4, others 1."""
    weights = [
        3.0 if k == "wide" else 1.4 if c in _IDS else 1.0
        for c, k in zip(columns, classes, strict=True)
    ]
    total = sum(weights) or 1.0
    return [round(100.0 * w / total, 2) for w in weights]


def _table(frame: pd.DataFrame, lang: str, *, index: bool = True) -> _Table:
    if index and frame.index.name:
        frame = frame.reset_index()
    columns = [str(c) for c in frame.columns]
    classes = [_column_class(frame, c) for c in columns]
    coded = [c in CODED_COLUMNS for c in columns]
    rows = [
        [_cell(v, lang, c, k) for c, k, v in zip(columns, coded, row, strict=True)]
        for row in frame.itertuples(index=False)
    ]
    return _Table([label(c, lang) for c in columns], rows, classes, _widths(columns, classes))


def _pairs(rows: list[tuple[str, str]], side_by_side: bool = False) -> _Table:
    """A table of label–value rows (the label as the row's header); ``side_by_side``: the
    second half of the rows beside the first (half the length on paper)."""
    if not side_by_side:
        return _Table([], [[a, b] for a, b in rows], ["text", "num"], [72.0, 28.0], True)
    half = (len(rows) + 1) // 2
    right = rows[half:] + [("", "")] * (2 * half - len(rows))
    cells = [[a, b, c, d] for (a, b), (c, d) in zip(rows[:half], right, strict=True)]
    return _Table([], cells, ["text", "num", "text", "num"], [36.0, 14.0, 36.0, 14.0], True)


# --- charts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chart:
    caption: str
    src: str  # a data: URI of an SVG image


def _svg(draw: Callable[[Any], Any], lang: str, size: tuple[float, float]) -> str:
    """A chart drawn into a new figure, as a data: URI of its SVG (text drawn as shapes:
    the page needs no font, and no text of the input reaches the page's HTML)."""
    from matplotlib.figure import Figure

    with chart_style(lang):
        fig = Figure(figsize=size)
        ax = draw(fig.add_subplot())
        ax.set_title("")  # the page's caption names the chart
        _margins(fig, ax, size)
        raw = io.BytesIO()
        fig.savefig(raw, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(raw.getvalue()).decode("ascii")


def _margins(fig: Any, ax: Any, size: tuple[float, float]) -> None:
    """Room for the tick labels and the axis labels, measured (a layout engine takes a
    third of the time of drawing a chart)."""
    labels = [t.get_text() for t in ax.get_yticklabels()] or ["0"]
    longest = max(text_width(text, 7.0) for text in labels)
    left = (longest + (22.0 if ax.get_ylabel() else 10.0)) / (72.0 * size[0])
    bottom = (36.0 if ax.get_xlabel() else 22.0) / (72.0 * size[1])
    fig.subplots_adjust(left=min(left, 0.6), right=0.98, bottom=bottom, top=0.97)


def _charts(measured: Measured, lang: str) -> list[_Chart]:
    view = measured.view
    n_groups = len(view.groups)
    height = 2.6 if n_groups > 60 else max(2.6, min(9.0, 0.9 + 0.16 * n_groups))
    drawn = [
        ("chart_balance", lambda ax: charts.balance(view, ax=ax, lang=lang), (7.0, height)),
        ("chart_distance", lambda ax: charts.distances(view, ax=ax, lang=lang), (7.0, 2.8)),
        ("chart_sizes", lambda ax: charts.group_sizes(view, ax=ax, lang=lang), (7.0, 2.6)),
    ]
    va = measured.value_added
    if va is not None:
        rows = len(va.groups)
        drawn.append(
            (
                "chart_value_added",
                lambda ax: charts.value_added(va, ax=ax, lang=lang),
                (7.0, 2.6 if rows > 40 else max(2.6, min(9.0, 0.9 + 0.2 * rows))),
            )
        )
    return [_Chart(label(key, lang), _svg(draw, lang, size)) for key, draw, size in drawn]


# --- sections ------------------------------------------------------------------------------


def _notes(measured: Measured, lang: str) -> list[str]:
    schools = measured.schools
    metrics, policy = measured.metrics, measured.policy
    leads = policy.leads if isinstance(policy.leads, str) else ", ".join(policy.leads)
    notes = [
        label("note_input", lang).format(
            rows=metrics["input_rows"],
            schools=metrics["schools"],
            rejected=metrics["rejected_on_input"],
        ),
        label("note_weak", lang).format(share=policy.weak_share, leads=leads),
        label("note_distance", lang),
    ]
    if metrics.get("theil_shift"):
        notes.append(label("note_theil", lang).format(shift=metrics["theil_shift"]))
    if not measured.has_teachers:
        notes.append(label("note_no_teachers", lang))
    elif "key_teachers" not in schools:
        notes.append(label("note_key_teachers", lang))
    plan = measured.plan
    if not (isinstance(plan, Plan) and plan.zones is not None):
        notes.append(label("note_hulls", lang))
    return notes


def _listed(frame: pd.DataFrame, large: bool, lang: str, sheet: str) -> tuple[_Table, str]:
    """A list on the page, cut to its first rows on a large plan, with what was left out."""
    shown_rows = frame.head(_LISTED) if large else frame
    more = len(frame) - len(shown_rows)
    note = label("list_more", lang).format(n=more, sheet=sheet) if more > 0 else ""
    return _table(shown_rows, lang, index=False), note


def _reasons(reasons: Any, lang: str) -> _Table:
    counts = reason_counts(reasons)
    frame = pd.DataFrame(
        {
            S.REASON: [reason_text(r, lang) for r, _ in counts],
            "n_rows": pd.array([n for _, n in counts], dtype="Int64"),
        }
    )
    return _table(frame, lang, index=False)


def _units(measured: Measured) -> pd.DataFrame:
    """Per unit of the plan: schools, groups, coverage, the members' mean distance and the
    spread of its group means."""
    a = measured.view.arrays
    groups = measured.view.groups
    n = len(a.unit_names)
    known = a.unit >= 0
    unit = a.unit[known]
    km = measured.view.distance_km[known]
    member = a.member[known] & np.isfinite(km)
    schools = np.bincount(unit, minlength=n)
    assigned = np.bincount(unit, weights=a.assigned[known], minlength=n)
    members = np.bincount(unit[member], minlength=n)
    km_sum = np.bincount(unit[member], weights=km[member], minlength=n)
    spread = groups.groupby("unit")["mean_quality"].agg(lambda m: m.std(ddof=0))
    counts = groups["unit"].value_counts()
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "unit": [name or "—" for name in a.unit_names],
                "schools_n": schools,
                "groups_n": [int(counts.get(name, 0)) for name in a.unit_names],
                "coverage": np.where(schools > 0, assigned / np.maximum(schools, 1), np.nan),
                "distance_mean_km": np.where(members > 0, km_sum / np.maximum(members, 1), np.nan),
                "group_mean_sd": [spread.get(name, np.nan) for name in a.unit_names],
            }
        )


def _farthest(measured: Measured) -> pd.DataFrame:
    groups = measured.view.groups
    order = groups["deviation"].abs().sort_values(ascending=False, kind="stable").index
    top = groups.loc[order[:_FARTHEST], ["unit", "lead_name", "size", "mean_quality", "unit_mean"]]
    return top.assign(deviation=groups.loc[order[:_FARTHEST], "deviation"])


def _value_added(measured: Measured, lang: str) -> dict[str, Any] | None:
    va = measured.value_added
    if va is None:
        return None
    before, after = measured.scores or ("before", "after")
    spread = va.spread.rename(index=lambda k: label(f"spread:{k}", lang))
    spread.index.name = "label"
    return {
        "note": label("note_value_added", lang).format(before=before, after=after),
        "groups": _table(va.groups.rename(columns={"schools": "va_schools"}), lang),
        "spread": _table(spread, lang),
    }


def _exchange(measured: Measured, lang: str, large: bool) -> dict[str, Any] | None:
    if not measured.has_teachers:
        return None
    policy = measured.policy
    table = exchange_table(measured)
    return {
        "note": label("note_exchange", lang).format(
            rate=percent(policy.exchange_rate), key_rate=percent(policy.key_exchange_rate)
        ),
        "table": None if large else _table(table, lang),
        "more": label("list_more", lang).format(n=len(table), sheet=label("sheet_exchange", lang))
        if large
        else "",
    }


def _comparison(comparison: Comparison, lang: str) -> dict[str, Any]:
    counts = [(label(k, lang), _cell(v, lang)) for k, v in comparison.summary().items()]
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
    return {
        "counts": _pairs(counts),
        "metrics": _Table(head, side, ["wide", "num", "num", "num"], [49.0, 17.0, 17.0, 17.0]),
        "moves": _table(comparison.moves, lang),
        "changes": changes,
    }


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


def _html_page(measured: Measured, lang: str) -> str:
    metrics = measured.metrics
    large = metrics["schools"] > LARGE
    schools = measured.schools
    rejected = measured.rejected_rows.assign(
        row=lambda f: f["row"].astype(str),  # 1272, not 1,272
        problems=lambda f: reasons_in(f["problems"], lang),
    )
    unassigned = measured.unassigned
    if S.REASON in unassigned:
        unassigned = unassigned.assign(**{S.REASON: reasons_in(unassigned[S.REASON], lang)})
    groups_sheet, schools_sheet = label("groups", lang), label("schools", lang)
    rejected_table, rejected_more = _listed(rejected, large, lang, label("rejected", lang))
    unassigned_table, unassigned_more = _listed(
        unassigned.reset_index(), large, lang, schools_sheet
    )
    page_groups = measured.groups[[c for c in _PAGE_GROUPS if c in measured.groups]]
    page_schools = schools[[c for c in _PAGE_SCHOOLS if c in schools]]
    summary = [(metric_label(k, lang), _cell(v, lang, k)) for k, v in metrics.items()]
    rules = [label(f"rule:{r}", lang) for r in measured.violations["rule"]]
    violations, violations_more = _listed(
        measured.violations.assign(rule=rules), large, lang, label("violations", lang)
    )
    return (
        _templates()
        .get_template("report.html.j2")
        .render(
            html_lang="zh-CN" if lang == "zh" else "en",
            label=functools.partial(label, lang=lang),
            policy=measured.policy.name,
            meta=[
                (label("policy", lang), measured.policy.name),
                (label("method", lang), measured.method),
                (label("status", lang), label(f"v:{measured.status}", lang)),
            ],
            key_figures=key_figures(measured, lang),
            large_note=label("large_note", lang).format(
                schools=metrics["schools"],
                groups=metrics["groups"],
                groups_sheet=groups_sheet,
                schools_sheet=schools_sheet,
            )
            if large
            else "",
            summary=_pairs(summary, side_by_side=True),
            notes=_notes(measured, lang),
            charts=_charts(measured, lang),
            violations=violations,
            violations_more=violations_more,
            exchange=_exchange(measured, lang, large),
            value_added=_value_added(measured, lang),
            rejected=rejected_table,
            rejected_more=rejected_more,
            rejected_reasons=_reasons(measured.rejected.drop_duplicates("row")["reason"], lang)
            if large and len(rejected)
            else None,
            unassigned=unassigned_table,
            unassigned_more=unassigned_more,
            unassigned_reasons=_reasons(unassigned.get(S.REASON, []), lang)
            if large and len(unassigned)
            else None,
            comparison=None
            if measured.comparison is None
            else _comparison(measured.comparison, lang),
            units=_table(_units(measured), lang, index=False) if large else None,
            farthest=_table(_farthest(measured), lang) if large else None,
            farthest_title=label("farthest_title", lang).format(n=_FARTHEST),
            groups=None if large else _table(page_groups, lang),
            schools=None if large else _table(page_schools, lang),
        )
    )


# --- writing files -------------------------------------------------------------------------


def write_report(
    plan: Plan | pd.DataFrame,
    out_dir: str | Path,
    *,
    lang: str = "zh",
    policy: str | Policy | None = None,
    comparison: Comparison | None = None,
    value_added: ValueAdded | None = None,
    scores: tuple[str, str] | None = None,
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
        The policy the plan is checked and measured against (its own when None): its
        exchange rates give the quotas, its ``coverage_target`` is compared with the plan.
    comparison
        A :func:`~geogroup.evaluate.compare_plans` result to add (``plan`` is then its ``b``).
    value_added
        A :func:`~geogroup.evaluate.value_added` result to add (a table and a chart);
        ``scores`` names the two years' sources, as the page should say them.

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
    writers = report_writers(
        plan,
        lang=lang,
        policy=policy,
        comparison=comparison,
        value_added=value_added,
        scores=scores,
    )
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
    value_added: ValueAdded | None = None,
    scores: tuple[str, str] | None = None,
    measured: Measured | None = None,
) -> dict[str, Callable[[Path], Path]]:
    """The writers of ``report.html``, ``report.xlsx`` and ``metrics.json`` by name, for
    :func:`~geogroup.outputs.write_set`; the parameters are those of :func:`write_report`
    (``measured``: the plan already measured, for the summary page too).

    Everything is measured and drawn here, so a plan that cannot be reported fails before
    any file is written; each writer writes one file at the path it is given.
    """
    if lang not in LABELS:
        raise InputError(f"lang: expected one of {', '.join(LABELS)}, got {lang!r}")
    if measured is None:
        measured = measure(
            plan, policy=policy, comparison=comparison, value_added=value_added, scores=scores
        )
    text = json.dumps(measured.metrics, ensure_ascii=False, indent=2) + "\n"
    book = workbook_bytes(workbook_tables(measured, lang), lang)
    page = _html_page(measured, lang)
    return {
        "report.html": functools.partial(atomic_write, data=page),
        "report.xlsx": functools.partial(atomic_write, data=book),
        "metrics.json": functools.partial(atomic_write, data=text),
    }
