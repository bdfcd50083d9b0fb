"""The report's Excel workbook: one sheet per table, labels in the report's language.

Text that a spreadsheet would run as a formula (``=…`` from a school's name) is stored as
text (and marked with Excel's quote prefix, so it stays text when edited), and characters
that Excel refuses are dropped. :func:`workbook_bytes` gives the same bytes for the same
workbook: its creation and modification times and the times of its zip entries are pinned.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from geogroup.evaluate import Comparison
from geogroup.plan import formula_like
from geogroup.present._labels import CODED, LABELS, label, metric_label

__all__ = ["workbook", "workbook_bytes"]

# Any fixed time will do: it only has to be the same on every run.
_PINNED = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def _cell_value(value: Any, lang: str, column: str = "") -> Any:
    """A value openpyxl can store: None for missing, Python numbers, clean text."""
    if isinstance(value, tuple | list):
        value = ", ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return label(f"v:{str(bool(value)).lower()}", lang)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return LABELS[lang].get(f"v:{text}", text) if column in CODED else text


def _put(sheet: Any, row: int, column: int, value: Any) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=…" from the input stays text, never a formula
        if formula_like(value):
            cell.quotePrefix = True  # and stays text when a planner edits the cell


def _sheet(
    book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    sheet = book.create_sheet(title=title[:31])
    for c, text in enumerate(header, start=1):
        _put(sheet, 1, c, text)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _put(sheet, r, c, value)
    sheet.freeze_panes = "A2"
    for c, text in enumerate(header, start=1):
        longest = max(
            [len(str(text))] + [len(str(v[c - 1])) for v in rows[:200] if v[c - 1] is not None]
        )
        sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, longest * 1.3 + 2))


def _frame_sheet(book: Workbook, title: str, frame: pd.DataFrame, lang: str) -> None:
    frame = frame.reset_index() if frame.index.name else frame
    header = [label(str(c), lang) for c in frame.columns]
    columns = [str(c) for c in frame.columns]
    rows = [
        [_cell_value(v, lang, c) for c, v in zip(columns, row, strict=True)]
        for row in frame.itertuples(index=False)
    ]
    _sheet(book, title, header, rows)


def _comparison_sheets(book: Workbook, comparison: Comparison, lang: str) -> None:
    side = comparison.metrics.reset_index()
    rows = [
        [
            r.metric,
            metric_label(r.metric, lang),
            _cell_value(r.a, lang),
            _cell_value(r.b, lang),
            _cell_value(r.change, lang),
        ]
        for r in side.itertuples()
    ]
    header = [label(k, lang) for k in ("key", "label", "a", "b", "change")]
    _sheet(book, label("comparison", lang), header, rows)
    _frame_sheet(book, label("moves", lang), comparison.moves, lang)


def workbook(
    metrics: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    comparison: Comparison | None,
    lang: str,
) -> Workbook:
    """The workbook of a report: summary (``metrics`` key by key), groups, schools, the
    rows rejected on input, policy violations, and with a comparison the metrics of both
    plans and the schools that moved.

    ``tables`` holds the frames ``groups``, ``schools``, ``rejected`` and ``violations``.
    """
    book = Workbook()
    book.remove(book.active)
    summary = [[key, metric_label(key, lang), value] for key, value in metrics.items()]
    _sheet(
        book, label("summary", lang), [label(k, lang) for k in ("key", "label", "value")], summary
    )
    violations = tables["violations"].assign(
        rule=[label(f"rule:{r}", lang) for r in tables["violations"]["rule"]]
    )
    for name, frame in (
        ("groups", tables["groups"]),
        ("schools", tables["schools"]),
        ("rejected", tables["rejected"]),
        ("violations", violations),
    ):
        _frame_sheet(book, label(name, lang), frame, lang)
    if comparison is not None:
        _comparison_sheets(book, comparison, lang)
    return book


def workbook_bytes(book: Workbook) -> bytes:
    """The ``.xlsx`` file of ``book``, the same bytes whenever the workbook is the same.

    openpyxl's own ``save`` stamps the file with the time of saving (in the document
    properties and in every zip entry); here both are pinned.
    """
    book.properties.created = book.properties.modified = _PINNED
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).write_data()
    pinned = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(pinned, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry))
    return pinned.getvalue()
