"""The report's Excel workbook: one sheet per table, labels in the report's language, set up
for a planner to filter and print.

Every sheet has a bold header row that stays in view (frozen, and repeated on each printed
page), an autofilter, columns as wide as their content (a CJK character counts double) and
number formats by kind (km and quality ``0.0``, shares ``0.0%``, indices ``0.000``; the
cells keep the full value); it prints landscape on A4, one page wide.

Writing is fast for a country's plan: openpyxl lays out each sheet (styles, header, print
setup) with two sample rows that give each column's cell styles, and the rows of a table are
written as sheet XML a column at a time (:func:`_column_cells`) in place of the samples,
without a Python object per cell.

Text that a spreadsheet would run as a formula (``=…`` from a school's name) is stored as
text (and marked with Excel's quote prefix, so it stays text when edited); characters that
Excel refuses are dropped. :func:`workbook_bytes` gives the same bytes for the same
workbook: its creation and modification times and the times of its zip entries are pinned.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

from geogroup.plan import formula_like
from geogroup.present._labels import LABELS, label
from geogroup.present._numbers import EXCEL_FORMATS, kind_of

__all__ = ["Table", "workbook_bytes"]

# Any fixed time will do: it only has to be the same on every run.
_PINNED = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F2F4F7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_MAX_WIDTH, _MIN_WIDTH = 48, 6
_FORMULA_CHARS = frozenset("'=+-@\t\r")  # what plan.formula_like looks at first
_SEP = "\x00"  # never in a cell: Excel refuses it, and it is dropped first
_WIDE = r"[\u2e80-\uffef]"  # CJK and full-width characters: two columns each


@dataclass
class Table:
    """A sheet: its title, and a frame whose columns are written with the label of each
    column name (``coded``: columns of codes shown by their ``v:`` labels); ``kinds``
    overrides the number kind of a column (:func:`~geogroup.present._numbers.kind_of`);
    ``row_kinds``: each row's kind (a sheet of metrics, one per row) for its number cells;
    ``freeze``: the cell below and right of what stays in view."""

    title: str
    frame: pd.DataFrame
    coded: frozenset[str] = frozenset()
    kinds: dict[str, str] = field(default_factory=dict)
    row_kinds: list[str] | None = None
    freeze: str = "A2"


# --- values ----------------------------------------------------------------------------------


def _text_values(values: pd.Series, lang: str, coded: bool) -> np.ndarray:
    """Each value as clean text (None when missing): booleans as yes/no, lists joined,
    codes translated, characters Excel refuses dropped. A column of text is handled as a
    whole; only other values (numbers among text, lists) one by one."""
    words = LABELS[lang]
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        # a copy: the frame's own array must not take the translated words
        out = np.array(values.to_numpy(dtype=object, na_value=None), dtype=object, copy=True)
    else:
        raw = values.to_numpy(dtype=object)
        out = np.full(len(raw), None, dtype=object)
        for i, value in enumerate(raw):
            if type(value) is str:
                out[i] = value
            elif isinstance(value, tuple | list):
                out[i] = ", ".join(map(str, value))
            elif value is None or pd.isna(value):
                continue
            elif isinstance(value, bool | np.bool_):
                out[i] = words.get(f"v:{str(bool(value)).lower()}", str(value))
            else:
                out[i] = str(value)
    present = np.flatnonzero(out != None)  # noqa: E711 - elementwise, on objects
    if len(present) and ILLEGAL_CHARACTERS_RE.search("".join(out[present])):
        out[present] = [ILLEGAL_CHARACTERS_RE.sub("", text) for text in out[present]]
    if coded and len(present):
        shown = {text: words.get(f"v:{text}", text) for text in set(out[present])}
        out[present] = [shown[text] for text in out[present]]
    return out


def _is_number(values: pd.Series) -> bool:
    dtype = values.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _display_width(text: str) -> int:
    return len(text) + len(re.findall(_WIDE, text))


def _escaped(texts: np.ndarray) -> list[str]:
    """The texts escaped for XML, all at once (joined by a character no cell can hold)."""
    if not len(texts):
        return []
    joined = _SEP.join(texts)
    if "&" in joined or "<" in joined or ">" in joined:
        joined = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return joined.split(_SEP)


def _number_cells(
    values: pd.Series, letter: str, rows: list[str], style: str
) -> tuple[list[str], int]:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(numbers)
    whole = ok & (np.abs(numbers) < 1e15) & (numbers == np.round(numbers))
    text = np.full(len(numbers), "", dtype=object)
    text[whole] = list(map(str, np.round(numbers[whole]).astype(np.int64).tolist()))
    text[ok & ~whole] = list(map(repr, numbers[ok & ~whole].tolist()))
    cells = [
        f'<c r="{letter}{row}" s="{style}" t="n"><v>{value}</v></c>' if value else ""
        for row, value in zip(rows, text.tolist(), strict=True)
    ]
    shown = [abs(v) for v in (numbers[ok].min(), numbers[ok].max())] if ok.any() else []
    width = max((len(f"{v:,.1f}") + 1 for v in shown), default=0)
    return cells, width


def _column_cells(
    values: pd.Series, letter: str, rows: list[str], styles: tuple[str, str], lang: str, coded: bool
) -> tuple[list[str], int]:
    """The XML of each cell of a column (``''`` for a missing value), and the width of its
    widest cell. ``rows`` holds the row numbers, ``styles`` the column's cell style and its
    quote-prefixed variant (for text a spreadsheet would run as a formula)."""
    if _is_number(values):
        return _number_cells(values, letter, rows, styles[0])
    texts = _text_values(values, lang, coded)
    at = np.flatnonzero(texts != None)  # noqa: E711 - elementwise, on objects
    cells = [""] * len(texts)
    if not len(at):
        return cells, 0
    kept = texts[at].tolist()
    plain, quoted = styles
    for k, text, body in zip(at.tolist(), kept, _escaped(kept), strict=True):
        style = quoted if text[:1] in _FORMULA_CHARS and formula_like(text) else plain
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        cells[k] = (
            f'<c r="{letter}{rows[k]}" s="{style}" t="inlineStr"><is><t{space}>{body}</t></is></c>'
        )
    return cells, _widest(kept)


def _widest(texts: list[str]) -> int:
    """The display width of the widest text, a CJK character counted twice (UTF-8 takes 3
    bytes for one: chars + (bytes - chars) / 2), measured on the longest texts only."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    if "".join(texts).isascii():
        return int(lengths.max())
    longest = np.argsort(-lengths, kind="stable")[:500]
    return max(len(texts[k]) + (len(texts[k].encode()) - len(texts[k])) // 2 for k in longest)


# --- sheets ----------------------------------------------------------------------------------


def _header(table: Table, lang: str) -> list[str]:
    return [label(str(c), lang) for c in table.frame.columns]


def _kind(table: Table, column: str) -> str:
    if column in table.kinds:
        return table.kinds[column]
    return kind_of(column) if _is_number(table.frame[column]) else "text"


def _setup(sheet: Any, header: Sequence[str], n_rows: int, freeze: str) -> None:
    """Header style, frozen panes, autofilter and print setup of a sheet."""
    for c, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=c, value=text)
        cell.data_type = "s"
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
        cell.quotePrefix = formula_like(text)
    last = get_column_letter(max(len(header), 1))
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{last}{n_rows + 1}"
    sheet.print_title_rows = "1:1"
    setup = sheet.page_setup
    setup.orientation, setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddHeader.center.text = "&A"
    sheet.oddFooter.center.text = "&P / &N"


def _widths(sheet: Any, header: Sequence[str], widths: Sequence[int]) -> None:
    """Each column as wide as its widest cell (a long header may wrap to two lines)."""
    for c, (text, longest) in enumerate(zip(header, widths, strict=True), start=1):
        words = max((_display_width(w) for w in text.split()), default=0)
        head = min(_display_width(text), max(words, 12))
        width = min(_MAX_WIDTH, max(_MIN_WIDTH, max(longest, head) + 2))
        sheet.column_dimensions[get_column_letter(c)].width = width


def _fast_sheet(book: Workbook, table: Table, lang: str) -> str:
    """A sheet laid out with two sample rows (row 2: each column's cell style; row 3: its
    quote-prefixed variant), its columns' widths set; returns the XML of the table's rows,
    which replace the sample rows when the workbook is written."""
    sheet = book.create_sheet(title=table.title[:31])
    header = _header(table, lang)
    frame = table.frame.reset_index(drop=True)
    _setup(sheet, header, len(frame), table.freeze)
    rows = [str(r) for r in range(2, len(frame) + 2)]
    columns, widths = [], []
    for c, column in enumerate(frame.columns, start=1):
        kind = _kind(table, str(column))
        samples = []
        for row in (2, 3):
            cell = sheet.cell(row=row, column=c, value="x" if kind == "text" else 0)
            cell.number_format = "General" if kind == "text" else EXCEL_FORMATS[kind]
            cell.quotePrefix = row == 3 and kind == "text"
            samples.append(str(cell.style_id))
        cells, width = _column_cells(
            frame[column],
            get_column_letter(c),
            rows,
            (samples[0], samples[1]),
            lang,
            str(column) in table.coded,
        )
        columns.append(cells)
        widths.append(width)
    _widths(sheet, header, widths)
    return "".join(
        f'<row r="{row}">' + "".join(cells) + "</row>"
        for row, *cells in zip(rows, *columns, strict=True)
    )


def _small_sheet(book: Workbook, table: Table, lang: str) -> None:
    """A sheet of metrics written cell by cell, each row in its own number format."""
    sheet = book.create_sheet(title=table.title[:31])
    header = _header(table, lang)
    frame = table.frame
    _setup(sheet, header, len(frame), table.freeze)
    widths = [0] * len(header)
    kinds = table.row_kinds or []
    for r, (row, kind) in enumerate(zip(frame.itertuples(index=False), kinds, strict=True), 2):
        for c, (column, value) in enumerate(zip(frame.columns, row, strict=True), start=1):
            value = _small_value(value, lang, str(column) in table.coded)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                cell.quotePrefix = formula_like(value)
                widths[c - 1] = max(widths[c - 1], _display_width(value))
            elif value is not None:
                cell.number_format = EXCEL_FORMATS[kind]
                widths[c - 1] = max(widths[c - 1], len(f"{abs(value):,.1f}") + 1)
    _widths(sheet, header, widths)


def _small_value(value: Any, lang: str, coded: bool) -> Any:
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        return _text_values(pd.Series([value], dtype=object), lang, coded)[0]
    if pd.isna(value):
        return None
    return int(value) if isinstance(value, int | np.integer) else float(value)


_SAMPLE_ROWS = re.compile(r'<row r="2"[^>]*>.*?</row><row r="3"[^>]*>.*?</row>', re.S)


def _filled(xml: str, rows: str, n_rows: int, n_columns: int) -> str:
    """A sheet's XML with its sample rows replaced by ``rows``."""
    sample = _SAMPLE_ROWS.search(xml)
    if sample is None:  # pragma: no cover - openpyxl wrote something else
        raise RuntimeError("workbook: the sample rows of a sheet were not found")
    ref = f"A1:{get_column_letter(max(n_columns, 1))}{n_rows + 1}"
    head = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml[: sample.start()])
    return head + rows + xml[sample.end() :]


def workbook_bytes(tables: Sequence[Table], lang: str) -> bytes:
    """The ``.xlsx`` file of ``tables``, one sheet each, the same bytes whenever the tables
    are the same (openpyxl's own ``save`` stamps the file with the time of saving, in the
    document properties and in every zip entry; here both are pinned).

    Examples
    --------
    >>> import io, openpyxl
    >>> frame = pd.DataFrame({"name": ["东庄小学", "=1+1"], "distance_km": [1.25, None]})
    >>> book = openpyxl.load_workbook(io.BytesIO(workbook_bytes([Table("学校", frame)], "zh")))
    >>> [[c.value for c in row] for row in book["学校"].iter_rows()]
    [['学校名称', '到龙头校距离（公里）'], ['东庄小学', 1.25], ['=1+1', None]]
    >>> book["学校"]["B2"].number_format, book["学校"]["A3"].data_type
    ('0.0', 's')
    """
    book = Workbook()
    book.remove(book.active)
    rows: dict[str, tuple[str, int, int]] = {}
    for k, table in enumerate(tables, start=1):
        if table.row_kinds is None:
            xml = _fast_sheet(book, table, lang)
            rows[f"xl/worksheets/sheet{k}.xml"] = (xml, len(table.frame), len(table.frame.columns))
        else:
            _small_sheet(book, table, lang)
    book.properties.created = book.properties.modified = _PINNED
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        ExcelWriter(book, archive).write_data()
    pinned = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(pinned, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename in rows:
                data = _filled(data.decode("utf-8"), *rows[entry.filename]).encode("utf-8")
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, data, compresslevel=1)  # a fifth of the time of level 6
    return pinned.getvalue()
