"""Excel workbooks: the sheet that holds the school list, title rows, merged header and
data cells.

Workbooks are read in openpyxl's read-only mode, row by row, so that time and memory follow
the cells a sheet holds, not the extent it claims: one stray cell at XFD1048576 makes a sheet
of 40 schools claim 17 billion cells. Empty cells at the end of a row are dropped, only
columns with a header or a value become columns, and the table ends after ``_EMPTY_RUN``
empty rows in a row (said in a warning when the sheet claims more). Merged ranges, which
read-only mode does not give, are found in the sheet's XML (:func:`_merged_ranges`).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geogroup.errors import InputError
from geogroup.read._loading import (
    _SCAN_ROWS,
    ByteSource,
    _choose,
    _drop_blank_rows,
    _HeaderSpec,
    _Loaded,
    _positions,
    unique_headers,
)

_EMPTY_RUN = 1000  # empty rows in a row that end a sheet's table
_MERGE = re.compile(rb'<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_XML_CHUNK = 1 << 20


@dataclass
class _Sheet:
    """The cells of one sheet, merged ranges filled in, and the index of its header row."""

    name: str
    grid: list[list[Any]]  # rows without their empty trailing cells, so of unequal length
    merged: list[Any]  # openpyxl CellRange, top to bottom
    header: int | None  # 0-based; None when no row of the first _SCAN_ROWS fits
    notes: list[str] = field(default_factory=list)


def _open_workbook(src: ByteSource) -> Any:
    import openpyxl

    source = src.path if src.path is not None else io.BytesIO(src.read())
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not affect cells.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            return openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl and zipfile raise many unrelated types
        raise InputError(
            f"{src.label}: cannot read the workbook ({type(exc).__name__}: {exc}). Open it in "
            "Excel and save it again as .xlsx, or save the sheet as CSV UTF-8."
        ) from exc


def _header_names(row: list[Any]) -> list[str]:
    return ["" if value is None else str(value).strip() for value in row]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _trimmed(cells: tuple[Any, ...]) -> list[Any]:
    end = len(cells)
    while end and _empty(cells[end - 1]):
        end -= 1
    return list(cells[:end])


def _sheet_rows(sheet: Any, max_row: int | None, claimed: int | None) -> tuple[list, list[str]]:
    """The sheet's rows down to the end of its table, and a note when reading stopped early.

    ``claimed`` is the last row the sheet's dimension names."""
    sheet.reset_dimensions()  # rows as long as their own cells, not as the claimed extent
    rows: list[list[Any]] = []
    run = 0
    for cells in sheet.iter_rows(values_only=True):
        rows.append(_trimmed(cells))
        run = 0 if rows[-1] else run + 1
        if run >= _EMPTY_RUN or (max_row is not None and len(rows) >= max_row):
            break
    end = len(rows) - run
    del rows[end:]
    if run < _EMPTY_RUN:
        return rows, []
    claim = f" although the sheet claims cells down to row {claimed:,}" if claimed else ""
    return rows, [
        f"the table was taken to end at row {end:,}: {_EMPTY_RUN:,} empty rows follow it, and "
        f"nothing below them was read{claim}. If schools are listed further down, remove the "
        "empty rows; a stray cell far below (Ctrl+End shows it) can be deleted."
    ]


def _merged_ranges(sheet: Any) -> list[Any]:
    """The merged ranges of a read-only sheet, scanned from its XML a chunk at a time."""
    from openpyxl.worksheet.cell_range import CellRange

    archive = getattr(sheet.parent, "_archive", None)
    member = getattr(sheet, "_worksheet_path", None)
    if archive is None or member is None:
        return []
    refs: list[str] = []
    tail = b""
    with archive.open(member) as xml:
        while True:
            chunk = xml.read(_XML_CHUNK)
            buffer = tail + chunk
            # A tag cut by the chunk's end is found whole in the next buffer.
            keep = max(len(buffer) - 512, 0) if chunk else len(buffer)
            refs += [m.group(1).decode() for m in _MERGE.finditer(buffer) if m.start() < keep]
            if not chunk:
                break
            tail = buffer[keep:]
    return sorted((CellRange(ref) for ref in refs), key=lambda r: (r.min_row, r.min_col))


def _row(grid: list[list[Any]], row: int) -> list[Any]:
    return grid[row] if row < len(grid) else []


def _covers(cells: Any, row: int, column: int) -> bool:
    """Whether a merged range covers a cell (1-based), without listing its cells."""
    return cells.min_row <= row <= cells.max_row and cells.min_col <= column <= cells.max_col


def _cell(grid: list[list[Any]], row: int, column: int) -> Any:
    """A cell by 0-based position; None beyond the cells read."""
    if row < len(grid) and column < len(grid[row]):
        return grid[row][column]
    return None


def _fill_merged(grid: list[list[Any]], merged: list[Any]) -> None:
    """Copy each merged range's value into every cell it covers, within the cells read (a
    range over the whole sheet must not make it that wide)."""
    width = max((len(row) for row in grid), default=0)
    for cells in merged:
        last_row, last_col = min(cells.max_row, len(grid)), min(cells.max_col, width)
        if cells.min_row > last_row or cells.min_col > last_col:
            continue
        value = _cell(grid, cells.min_row - 1, cells.min_col - 1)
        span = last_col - cells.min_col + 1
        for r in range(cells.min_row - 1, last_row):
            row = grid[r]
            row.extend([None] * (last_col - len(row)))
            row[cells.min_col - 1 : last_col] = [value] * span


def _sheet(
    sheet: Any, spec: _HeaderSpec, max_row: int | None = None, claimed: int | None = None
) -> _Sheet:
    """Read a sheet's cells (a merged range's value in every cell it covers) and find the
    header among its first rows."""
    grid, notes = _sheet_rows(sheet, max_row, claimed)
    merged = _merged_ranges(sheet)
    _fill_merged(grid, merged)
    rows = grid[:_SCAN_ROWS]
    header = next((i for i, row in enumerate(rows) if spec.fits(_header_names(row))), None)
    return _Sheet(str(sheet.title), grid, merged, header, notes)


def _read_excel(
    src: ByteSource, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
    label = src.label
    book = _open_workbook(src)
    try:
        names = [str(ws.title) for ws in book.worksheets]  # chart sheets hold no cells
        claimed = {str(ws.title): ws.max_row for ws in book.worksheets}
        if sheet is None:
            chosen, notes = _pick_sheet(book, names, spec, label)
        else:
            chosen, notes = _choose(names, sheet, "sheet", label), []
        table = _sheet(book[chosen], spec, claimed=claimed[chosen])
    finally:
        book.close()
    loaded = _sheet_loaded(table, f"{label} [sheet {chosen!r}]")
    loaded.notes[:0] = notes + table.notes
    return _drop_blank_rows(loaded)


def _pick_sheet(
    book: Any, names: list[str], spec: _HeaderSpec, label: str
) -> tuple[str, list[str]]:
    """The first sheet whose header has the school columns; an error listing the sheets when
    a workbook of several has none."""
    if len(names) == 1:
        return names[0], []
    probes = [_sheet(book[name], spec, max_row=_SCAN_ROWS) for name in names]
    fitting = [probe.name for probe in probes if probe.header is not None]
    if not fitting:
        for probe in probes:  # a merged header cell is the likeliest cause: name it
            _refuse_merged_header(probe, f"{label} [sheet {probe.name!r}]")
        starts = [
            f"sheet {probe.name!r} starts with {_cells_text(probe.grid)}" for probe in probes[:5]
        ]
        raise InputError(
            f"{label}: none of its {len(names)} sheets has a header row with the school "
            f"columns (name, quality, longitude, latitude) in its first {_SCAN_ROWS} rows: "
            f"{'; '.join(starts)}. Choose the sheet with sheet=… (--sheet NAME) and map its "
            "headers with columns=… (--column FIELD=HEADER).",
            code="read.no_sheet",
            values={"label": label, "n": len(names), "rows": _SCAN_ROWS, "rest_starts": starts},
        )
    note = (
        f"the file has {len(names)} sheets ({', '.join(map(repr, names))}); read "
        f"{fitting[0]!r}, the first whose header has the school columns. Choose another "
        "with sheet=… / --sheet."
    )
    return fitting[0], [note]


def _cells_text(grid: list[list[Any]]) -> str:
    row = next((r for r in grid if any(v is not None for v in r)), None)
    if row is None:
        return "nothing (empty)"
    shown = [repr(str(v)[:30]) for v in row if v is not None][:6]
    return ", ".join(shown)


def _first_filled(grid: list[list[Any]]) -> int:
    return next((i for i, row in enumerate(grid) if any(v is not None for v in row)), 0)


def _columns(
    header_row: list[Any], data: list[list[Any]]
) -> tuple[pd.DataFrame, dict[str, str], dict[str, int]]:
    """The data rows as a frame, one column per position that has a header or a value; the
    repeated headers renamed (:func:`~geogroup.read._loading.unique_headers`); and each
    column's place in the sheet."""
    width = max([len(header_row), *(len(row) for row in data)], default=0)
    names, written = unique_headers(header_row + [None] * (width - len(header_row)))
    used = {j for j, h in enumerate(_header_names(header_row)) if h}
    for row in data:
        used.update(j for j, value in enumerate(row) if value is not None)
    keep = sorted(used)
    frame = pd.DataFrame(
        {names[j]: [row[j] if j < len(row) else None for row in data] for j in keep},
        columns=[names[j] for j in keep],
    )
    places = {names[j]: j for j in keep}
    return frame, {n: w for n, w in written.items() if n in places}, places


def _sheet_loaded(table: _Sheet, label: str) -> _Loaded:
    header = table.header
    if header is None:
        _refuse_merged_header(table, label)
        header = _first_filled(table.grid)
    header_row = table.grid[header] if header < len(table.grid) else []
    frame, written, places = _columns(header_row, table.grid[header + 1 :])
    loaded = _Loaded(frame, _positions(frame, header + 2), label, written=written, places=places)
    loaded.notes += _sheet_notes(table, header)
    return loaded


def _spans_columns(cells: Any, row: list[Any]) -> bool:
    """A merged range over several columns of a row that has other cells too (a title row
    merged across the table is not a header cell)."""
    outside = [
        v
        for c, v in enumerate(row, start=1)
        if not cells.min_col <= c <= cells.max_col and v is not None
    ]
    return cells.max_col > cells.min_col and bool(outside)


def _refuse_merged_header(table: _Sheet, label: str) -> None:
    """No header found and a header cell merged over columns: the merge is the likely cause."""
    from openpyxl.utils import get_column_letter

    first = _first_filled(table.grid)
    for cells in table.merged:
        if cells.min_row - 1 in (first, first + 1) and _spans_columns(
            cells, _row(table.grid, cells.min_row - 1)
        ):
            value = _cell(table.grid, cells.min_row - 1, cells.min_col - 1)
            hidden = ", ".join(
                get_column_letter(c) for c in range(cells.min_col + 1, cells.max_col + 1)
            )
            raise InputError(
                f"{label}: header cell {cells.coord} ({str(value)!r}) is merged over "
                f"{cells.size['columns']} columns, so column(s) {hidden} have no header of "
                f"their own, and no row of the first {_SCAN_ROWS} has the school columns. "
                f"Unmerge {cells.coord} and give each column its own header (e.g. 经度 and 纬度 "
                "under a merged 坐标), or save the sheet as CSV with one header row.",
                code="read.merged_header",
                values={
                    "rest_label": label,
                    "cells": cells.coord,
                    "value": repr(str(value)),
                    "n": cells.size["columns"],
                    "hidden": hidden,
                    "rows": _SCAN_ROWS,
                },
            )


def _sheet_notes(table: _Sheet, header: int) -> list[str]:
    notes = []
    in_header = [c for c in table.merged if c.min_row - 1 <= header <= c.max_row - 1]
    above = [
        v
        for r, row in enumerate(table.grid[:header], start=1)
        for c, v in enumerate(row, start=1)
        if v is not None and not any(_covers(cells, r, c) for cells in in_header)
    ]
    if above:
        notes.append(
            f"the header is on row {header + 1}; the {header} row(s) above it were not "
            f"read as data ({str(above[0])[:60]!r})."
        )
    if in_header:
        notes.append(
            "merged header cells were read as the header of each column they cover: "
            + ", ".join(c.coord for c in in_header[:5])
            + "."
        )
    in_data = [c for c in table.merged if c.min_row - 1 > header]
    if in_data:
        shown = ", ".join(
            f"{c.coord} ({str(_cell(table.grid, c.min_row - 1, c.min_col - 1))[:30]!r})"
            for c in in_data[:3]
        )
        notes.append(
            f"{len(in_data):,} merged cells in the data were copied into every row and "
            f"column they cover: {shown}{', …' if len(in_data) > 3 else ''}."
        )
    return notes
