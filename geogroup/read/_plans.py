"""Plan files read back: a saved plan, or one a planner edited in Excel.

:func:`read_plan_table` reads

* a GeoPackage (``plan.gpkg``: the layer ``schools``, and ``meta`` when there is one);
* a CSV in any encoding a school list may have (UTF-8 with or without a byte-order mark,
  GBK/GB18030 as Excel saves on Chinese Windows, UTF-16; comma, semicolon, tab or ``|``),
  through the same loader as school lists (:mod:`geogroup.read._text`);
* a workbook (``.xlsx``): the schools sheet of ``report.xlsx`` (学校 / Schools), or the
  first sheet whose header has the plan columns.

Headers may be English or Chinese (:data:`~geogroup.read._plan_words.PLAN_ALIASES`), roles
English or Chinese words (龙头校 / 成员校 / 未分组), areas and levels as school lists write
them. Required: a school id, a group and a role column, the quality and each school's
location (longitude and latitude columns, or a GeoPackage's points). A sheet or CSV without
locations (the report's schools sheet has none) takes them, and the quality when missing,
from the plan it came from: the plan in the same folder (``<stem>.json`` beside
``<stem>.gpkg`` or ``<stem>.csv``, as ``geogroup propose`` writes them) that holds its
schools; that plan's ``.json`` also gives the policy. Columns the report derives (weak,
may lead, the lead's name) are left out; any other column is kept.

A cell that cannot be read (a longitude ``abc``, a missing id, an id twice) is an error
naming the file, the row, the column and the value; nothing is dropped silently. Rows that
``plan.csv`` lists as rejected on input (no location, a reason saying so) are skipped:
the plan's ``.json`` lists them.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.csv_cells import csv_restored
from geogroup.errors import InputError
from geogroup.read._headers import LAT, LON, _list
from geogroup.read._loading import _SCAN_ROWS, _Loaded, _positions
from geogroup.read._plan_cells import Problems, plan_columns, rejected_rows
from geogroup.read._plan_cells import points as read_points
from geogroup.read._plan_words import match_headers, missing_fields, not_a_plan
from geogroup.read._source import load

__all__ = ["PlanTable", "read_plan_table"]

# The plan columns proper: an edited file's own, never taken from the plan it came from.
_PLAN_ONLY = frozenset({S.GROUP_ID, S.ROLE, S.LEAD_ID, S.DISTANCE_KM, S.REASON})
_TEXT_FORMATS = (".csv", ".txt", ".tsv")
_BOOK_FORMATS = (".xlsx", ".xlsm")
_SCHOOL_SHEETS = ("学校", "schools")  # the report's schools sheet, in zh and en
_SHOWN = 10  # ids listed in one error


@dataclass
class PlanTable:
    """A plan file's schools with the plan columns, and what the file carried besides.

    ``schools`` is indexed by ``school_id``, with WGS-84 points; ``meta`` is the plan's
    ``.json`` (or GeoPackage ``meta`` layer): policy, method, solver report, rejected rows;
    empty for a planner's own file in no plan's folder. ``zones`` holds the district
    polygons of a zone plan's GeoPackage; ``notes`` what the reader did that deserves a
    word (a sheet chosen, locations taken from the plan beside the file)."""

    schools: gpd.GeoDataFrame
    meta: dict[str, Any]
    label: str
    zones: gpd.GeoDataFrame | None = None
    notes: list[str] = field(default_factory=list)


class _PlanSpec:
    """What makes a row the header of a plan (for the school-list loaders): a school id,
    a group and a role column."""

    def fits(self, headers: list[str]) -> bool:
        return not missing_fields(match_headers(headers))

    def resolve(self, headers: list[str], *, source: str, **_: Any) -> tuple[dict, list]:
        columns = match_headers(headers)
        missing = missing_fields(columns)
        if missing:
            raise not_a_plan(source, missing, headers)
        return columns, []


_SPEC = _PlanSpec()


# --------------------------------------------------------------------------- sources


def read_plan_table(path: str | Path) -> PlanTable:
    """Read a plan file (GeoPackage, CSV or workbook) as the module docstring says.

    Raises :class:`~geogroup.errors.InputError` naming the file (and the row, column and
    value) for a file that is not a plan or a cell that cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "mine.csv").write_text(
    ...     "学校编号,经度,纬度,质量,集团,角色\\na,122.5,40.8,90,G1,龙头校\\nb,122.51,40.8,60,G1,成员校\\n",
    ...     encoding="gbk")
    >>> table = read_plan_table(folder / "mine.csv")
    >>> table.schools[["group_id", "role"]].to_dict("index")
    {'a': {'group_id': 'G1', 'role': 'lead'}, 'b': {'group_id': 'G1', 'role': 'member'}}
    """
    path = Path(path)
    label = repr(str(path))
    if path.is_dir():
        raise InputError(
            f"plan file {label} is a folder; give the plan's file (plan.gpkg, plan.csv or "
            "report.xlsx)",
            code="plan.folder",
            values={"label": label},
        )
    if not path.is_file():
        raise InputError(
            f"plan file {label} does not exist; check the path",
            code="plan.missing",
            values={"label": label},
        )
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return _from_geopackage(path, label)
    if suffix in _TEXT_FORMATS:
        loaded = _plain_csv(path, label) or load(path, sheet=None, encoding=None, spec=_SPEC)
    elif suffix in _BOOK_FORMATS:
        loaded = load(path, sheet=_plan_sheet(path, label), encoding=None, spec=_SPEC)
    else:
        old = " (the old Excel format: open it and save it as .xlsx)" if suffix == ".xls" else ""
        raise InputError(
            f"plan file {label}: expected a .gpkg, .csv or .xlsx plan, got {path.suffix!r}{old}",
            code="plan.type",
            values={"label": label, "suffix": path.suffix},
        )
    return _from_table(path, loaded)


def _plain_csv(path: Path, label: str) -> _Loaded | None:
    """A plan CSV as geogroup writes it (UTF-8, commas, the plan header on the first row),
    read as it is: every cell kept byte for byte (a carriage return inside a quoted name
    too). None for any other file, which the school-list loader then reads (it finds the
    encoding, the delimiter and the header, and names what is wrong)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    headers = [str(c) for c in frame.columns]
    if missing_fields(match_headers(headers)) or not isinstance(frame.index, pd.RangeIndex):
        return None
    frame.columns = headers
    blank = frame.isna().all(axis=1).to_numpy()
    rows = _positions(frame, 2)[~blank]
    return _Loaded(frame[~blank].reset_index(drop=True), rows, label, text_cells=True)


def _plan_sheet(path: Path, label: str) -> str:
    """The sheet of a workbook that holds the plan: the report's schools sheet, else the
    first whose header (in its first rows) has the plan columns."""
    import openpyxl

    from geogroup.read._excel import _sheet

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl and zipfile raise many unrelated types
        raise InputError(
            f"plan file {label}: cannot read the workbook ({type(exc).__name__}: {exc}); open it "
            "in Excel and save it again as .xlsx",
            code="plan.workbook",
            values={"label": label},
        ) from exc
    try:
        names = [str(ws.title) for ws in book.worksheets]
        order = sorted(names, key=lambda n: n.strip().casefold() not in _SCHOOL_SHEETS)
        starts = []
        for name in order:
            probe = _sheet(book[name], _SPEC, max_row=_SCAN_ROWS)
            if probe.header is not None:
                return name
            first = next((r for r in probe.grid if any(v is not None for v in r)), [])
            starts.append(f"{name!r}: {_list([v for v in first if v is not None], limit=6)}")
    finally:
        book.close()
    raise InputError(
        f"plan file {label}: none of its {len(names)} sheets has the plan columns (a school id, "
        f"a group and a role) in its first {_SCAN_ROWS} rows ({'; '.join(starts[:5])}). Save "
        "the plan's rows on the first sheet under headers such as 学校编号, 集团编号, 角色 "
        "(or school_id, group_id, role)",
        code="plan.sheet",
        values={"label": label, "sheets": len(names)},
    )


def _from_geopackage(path: Path, label: str) -> PlanTable:
    import pyogrio

    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises several unrelated types
        raise InputError(
            f"plan file {label}: cannot open it as a GeoPackage ({type(exc).__name__}); give "
            "the plan.gpkg that geogroup wrote, or the plan as .csv or .xlsx",
            code="plan.gpkg",
            values={"label": label},
        ) from exc
    layer = "schools" if "schools" in names else (names[0] if len(names) == 1 else None)
    if layer is None:
        raise InputError(
            f"plan file {label}: no layer 'schools' among its {len(names)} layers "
            f"({_list(names)}); a plan GeoPackage holds its schools in a layer of that name",
            code="plan.layer",
            values={"label": label, "layers": _list(names)},
        )
    try:
        data = gpd.read_file(path, layer=layer)
    except Exception as exc:
        raise InputError(
            f"plan file {label}: cannot read its layer {layer!r} ({type(exc).__name__}: {exc})",
            code="plan.gpkg",
            values={"label": label},
        ) from exc
    meta = _gpkg_meta(path, label) if "meta" in names else {}
    notes = [] if "meta" in names else [_no_meta_note(label)]
    frame = pd.DataFrame(data.drop(columns=data.geometry.name)).reset_index(drop=True)
    loaded = _Loaded(frame, _positions(frame, 1), f"{label} [layer {layer!r}]", notes=notes)
    points = data.geometry.reset_index(drop=True)
    if data.crs is not None and not data.crs.equals(S.WGS84):
        points = points.to_crs(S.WGS84)
    table = _from_table(path, loaded, points=points, meta=meta)
    if meta.get("zones") and "groups" in names:
        zones = gpd.read_file(path, layer="groups").set_index(S.GROUP_ID)[["geometry"]]
        table.zones = zones.set_geometry(_single_parts(zones.geometry))
    return table


def _no_meta_note(label: str) -> str:
    return (
        f"{label} has no 'meta' layer (it was not written by geogroup): the plan has no "
        "policy of its own; give one with --policy"
    )


def _gpkg_meta(path: Path, label: str) -> dict[str, Any]:
    try:
        frame = gpd.read_file(path, layer="meta")
        meta = json.loads(str(frame["value"].iloc[0]))
    except Exception as exc:
        raise InputError(
            f"plan file {label}: its 'meta' layer cannot be read ({type(exc).__name__}); "
            "write the plan again with geogroup, or delete the layer",
            code="plan.meta",
            values={"label": label},
        ) from exc
    if not isinstance(meta, dict):
        raise InputError(
            f"plan file {label}: its 'meta' layer holds no plan description",
            code="plan.meta",
            values={"label": label},
        )
    return meta


def _single_parts(shapes: gpd.GeoSeries) -> gpd.GeoSeries:
    """GDAL writes a layer of polygons and multipolygons as multipolygons: a one-part
    multipolygon read back is the polygon it was."""
    single = (shapes.geom_type == "MultiPolygon") & (shapes.count_geometries() == 1)
    return shapes.where(~single, shapes.get_geometry(0))


def _from_table(
    path: Path,
    loaded: _Loaded,
    *,
    points: gpd.GeoSeries | None = None,
    meta: dict[str, Any] | None = None,
) -> PlanTable:
    label = loaded.label
    frame, rows = loaded.frame, loaded.rows
    headers = list(frame.columns)
    written = [loaded.written.get(h, h) for h in headers]
    columns = {f: headers[written.index(w)] for f, w in match_headers(written).items()}
    missing = missing_fields(columns)
    if missing:
        raise not_a_plan(label, missing, written)
    if loaded.problems:
        mask, column, cells, reason = loaded.problems[0]
        problems = Problems(label)
        problems.add(mask, rows, column, cells, reason)
        problems.raise_any()
    if loaded.text_cells:
        frame = csv_restored(frame)
    skip = rejected_rows(frame, columns)
    if skip.any():
        frame, rows = frame[~skip].reset_index(drop=True), rows[~skip]
        if points is not None:
            points = points[~skip].reset_index(drop=True)
    notes = list(loaded.notes)
    if frame.empty:
        raise InputError(
            f"{label}: no school rows below the header; a plan lists one school per row",
            code="plan.empty",
            values={"label": label},
        )
    problems = Problems(label)
    schools = plan_columns(frame, columns, rows, problems, text_cells=loaded.text_cells)
    has_points = points is not None or (LON in columns and LAT in columns)
    if points is None and has_points:
        points = read_points(frame, columns, rows, problems)
    problems.raise_any()
    need = not has_points or S.QUALITY not in schools
    companion = _companion(path, schools.index, need=need)
    if need:
        if companion is None:
            raise _needs_companion(label, has_points)
        points = _from_companion(schools, companion, rows, points)
        notes.append(
            f"the locations, quality and other school columns missing from {label} were "
            f"taken from the plan beside it, {companion.label} (by school id)"
        )
    if meta is None:
        meta = _sidecar(path, label)
        if not meta and companion is not None:
            meta = companion.meta
            notes.append(f"the policy of {label} is that of the plan beside it, {companion.label}")
    out = gpd.GeoDataFrame(schools, geometry=points.to_numpy(), crs=S.WGS84)
    out.index.name = S.SCHOOL_ID
    return PlanTable(out, meta, label, notes=notes)


def _needs_companion(label: str, has_points: bool) -> InputError:
    what = (
        "quality column (质量 / quality)"
        if has_points
        else "longitude and latitude columns (经度 / 纬度, lon / lat)"
    )
    return InputError(
        f"{label}: no {what}, and no plan beside it to take them from. Keep the file in the "
        "folder of the plan it came from (where geogroup wrote plan.gpkg or plan.csv and "
        "plan.json), or add the columns.",
        code="plan.locations" if not has_points else "plan.quality",
        values={"label": label},
    )


def _sidecar(path: Path, label: str) -> dict[str, Any]:
    """The ``.json`` a plan CSV is written with (policy, method, solver report)."""
    sidecar = path.with_suffix(".json")
    if path.suffix.lower() not in _TEXT_FORMATS or not sidecar.is_file():
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"plan file {label}: its description {str(sidecar)!r} cannot be read "
            f"({type(exc).__name__}); write the plan again, or move that file away",
            code="plan.sidecar",
            values={"label": label, "sidecar": repr(str(sidecar))},
        ) from exc
    return meta if isinstance(meta, dict) else {}


# --------------------------------------------------------------------------- the plan beside


@dataclass
class _Companion:
    schools: gpd.GeoDataFrame
    meta: dict[str, Any]
    label: str


def _companion(path: Path, ids: pd.Index, *, need: bool) -> _Companion | None:
    """The plan written in the same folder as ``path`` (a ``<stem>.json`` with a policy
    beside ``<stem>.gpkg`` or ``<stem>.csv``) that holds most of ``ids``: where an edited
    sheet takes its locations and policy from. Looked for only when needed, or when the
    file carries no description of its own."""
    own = path.with_suffix(".json")
    if not need and (path.suffix.lower() == ".gpkg" or own.is_file()):
        return None
    for sidecar in sorted(path.parent.glob("*.json"), key=lambda p: (p.stem != "plan", p.name)):
        if sidecar == own and path.suffix.lower() in _TEXT_FORMATS:
            continue
        for other in (sidecar.with_suffix(".gpkg"), sidecar.with_suffix(".csv")):
            if not other.is_file() or other.resolve() == path.resolve():
                continue
            try:
                table = read_plan_table(other)
            except InputError:
                continue
            shared = table.schools.index.isin(ids).sum()
            if shared < max(1, len(ids) // 2):
                continue
            return _Companion(table.schools, table.meta, repr(str(other)))
    return None


def _from_companion(
    schools: pd.DataFrame,
    companion: _Companion,
    rows: np.ndarray,
    points: gpd.GeoSeries | None,
) -> gpd.GeoSeries:
    """Fill ``schools`` from the plan beside the file, by school id: the quality and other
    school columns it lacks, and the points unless it has its own."""
    other = companion.schools
    absent = ~schools.index.isin(other.index)
    if absent.any():
        first = int(np.flatnonzero(absent)[0])
        listed = _list(schools.index[absent][:_SHOWN])
        raise InputError(
            f"{int(absent.sum())} school(s) of the file are not in the plan it came from, so "
            f"their locations are unknown: {listed} (the first on row {rows[first]}). Add "
            "their longitude and latitude (经度, 纬度) columns to the file, or correct the ids.",
            code="plan.unknown_ids",
            values={"count": int(absent.sum()), "ids": listed, "row": int(rows[first])},
        )
    matched = other.loc[schools.index]
    for column in matched.columns:
        if column not in _PLAN_ONLY and column != matched.geometry.name and column not in schools:
            schools[column] = matched[column].to_numpy()
    if points is not None:
        return points
    return gpd.GeoSeries(matched.geometry.to_numpy(), crs=S.WGS84)
