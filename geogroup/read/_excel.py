"""Excel workbooks: the sheet that holds the school list, title rows, merged header and
data cells."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geogroup.errors import InputError
from geogroup.read._loading import (
    _SCAN_ROWS,
    _choose,
    _drop_blank_rows,
    _HeaderSpec,
    _Loaded,
    _positions,
)


@dataclass
class _Sheet:
    """The cells of one sheet, merged ranges filled in, and the index of its header row."""

    name: str
    grid: list[list[Any]]
    merged: list[Any]  # openpyxl CellRange, top to bottom
    header: int | None  # 0-based; None when no row of the first _SCAN_ROWS fits


def _open_workbook(path: Path, label: str) -> Any:
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not affect cells.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            # Not read-only: only a full load knows the merged ranges.
            return openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl and zipfile raise many unrelated types
        raise InputError(
            f"{label}: cannot read the workbook ({type(exc).__name__}: {exc}). Open it in "
            "Excel and save it again as .xlsx, or save the sheet as CSV UTF-8."
        ) from exc


def _header_names(row: list[Any]) -> list[str]:
    return ["" if value is None else str(value).strip() for value in row]


def _sheet(sheet: Any, spec: _HeaderSpec, max_row: int | None = None) -> _Sheet:
    """Read a sheet's cells (a merged range's value in every cell it covers) and find the
    header among its first rows."""
    # Never past the sheet's last row: openpyxl would create the cells it is asked for.
    last = sheet.max_row if max_row is None else min(max_row, sheet.max_row)
    grid = [list(row) for row in sheet.iter_rows(max_row=last, values_only=True)]
    merged = sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
    for cells in merged:
        if cells.min_row > len(grid):
            continue
        value = grid[cells.min_row - 1][cells.min_col - 1]
        for r in range(cells.min_row - 1, min(cells.max_row, len(grid))):
            grid[r][cells.min_col - 1 : cells.max_col] = [value] * cells.size["columns"]
    rows = grid[:_SCAN_ROWS]
    header = next((i for i, row in enumerate(rows) if spec.fits(_header_names(row))), None)
    return _Sheet(str(sheet.title), grid, merged, header)


def _read_excel(
    path: Path, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
    label = str(path)
    book = _open_workbook(path, label)
    try:
        names = [str(ws.title) for ws in book.worksheets]  # chart sheets hold no cells
        if sheet is None:
            chosen, notes = _pick_sheet(book, names, spec, label)
        else:
            chosen, notes = _choose(names, sheet, "sheet", label), []
        table = _sheet(book[chosen], spec)
    finally:
        book.close()
    loaded = _sheet_loaded(table, f"{label} [sheet {chosen!r}]")
    loaded.notes[:0] = notes
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
        starts = "; ".join(
            f"sheet {probe.name!r} starts with {_cells_text(probe.grid)}" for probe in probes[:5]
        )
        raise InputError(
            f"{label}: none of its {len(names)} sheets has a header row with the school "
            f"columns (name, quality, longitude, latitude) in its first {_SCAN_ROWS} rows: "
            f"{starts}. Choose the sheet with sheet=… (--sheet NAME) and map its headers "
            "with columns=… (--column FIELD=HEADER)."
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


def _unique_headers(row: list[Any]) -> list[str]:
    """Header names as pandas makes them: blanks become ``Unnamed: i``, repeats ``name.1``."""
    names, seen = [], {}
    for i, name in enumerate(_header_names(row)):
        name = name or f"Unnamed: {i}"
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(f"{name}.{count}" if count else name)
    return names


def _sheet_loaded(table: _Sheet, label: str) -> _Loaded:
    header = table.header
    if header is None:
        _refuse_merged_header(table, label)
        header = _first_filled(table.grid)
    columns = _unique_headers(table.grid[header])
    frame = pd.DataFrame(table.grid[header + 1 :], columns=columns)
    blank = [
        c
        for c, h in zip(columns, _header_names(table.grid[header]), strict=True)
        if not h and frame[c].isna().all()
    ]
    frame = frame.drop(columns=blank)
    loaded = _Loaded(frame, _positions(frame, header + 2), label)
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
            cells, table.grid[cells.min_row - 1]
        ):
            value = table.grid[cells.min_row - 1][cells.min_col - 1]
            hidden = ", ".join(
                get_column_letter(c) for c in range(cells.min_col + 1, cells.max_col + 1)
            )
            raise InputError(
                f"{label}: header cell {cells.coord} ({str(value)!r}) is merged over "
                f"{cells.size['columns']} columns, so column(s) {hidden} have no header of "
                f"their own, and no row of the first {_SCAN_ROWS} has the school columns. "
                f"Unmerge {cells.coord} and give each column its own header (e.g. 经度 and 纬度 "
                "under a merged 坐标), or save the sheet as CSV with one header row."
            )


def _sheet_notes(table: _Sheet, header: int) -> list[str]:
    notes = []
    in_header = [c for c in table.merged if c.min_row - 1 <= header <= c.max_row - 1]
    used = {(r, c) for cells in in_header for r, c in cells.cells}  # 1-based
    above = [
        v
        for r, row in enumerate(table.grid[:header], start=1)
        for c, v in enumerate(row, start=1)
        if v is not None and (r, c) not in used
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
            f"{c.coord} ({str(table.grid[c.min_row - 1][c.min_col - 1])[:30]!r})"
            for c in in_data[:3]
        )
        notes.append(
            f"{len(in_data):,} merged cells in the data were copied into every row and "
            f"column they cover: {shown}{', …' if len(in_data) > 3 else ''}."
        )
    return notes
