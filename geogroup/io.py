"""Reading school lists: the first stage of the pipeline.

:func:`read_schools` turns a planner's file (CSV, Excel, GeoJSON, GeoPackage, Shapefile) or a
pandas frame into the schools frame of the data contract (``docs/data-contract.md``), and a
:class:`ReadReport` of every row it could not use and every field it derived.

The headers recognised for each field (English and Chinese) are listed once, in
:data:`geogroup._validate.HEADER_ALIASES`.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema
from geogroup._area import (
    DENSITY_MIN_NEIGHBOURS,
    DENSITY_QUANTILE,
    DENSITY_RADIUS_M,
    area_from_boundary,
    area_from_density,
    read_boundary,
)
from geogroup._coords import COORDINATE_SYSTEMS, to_wgs84
from geogroup._errors import InputError
from geogroup._validate import (
    LAT,
    LON,
    ProblemLog,
    as_text,
    display_values,
    missing_mask,
    normalise_area,
    normalise_id,
    normalise_level,
    parse_bool,
    parse_coordinate,
    parse_count,
    parse_float,
    resolve_columns,
)

__all__ = ["ReadReport", "ReadResult", "read_schools"]

_FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "excel", ".xlsm": "excel",
    ".geojson": "vector", ".json": "vector", ".gpkg": "vector", ".shp": "vector",
}
_REJECTED_COLUMNS = ["row", "school_id", "name", "column", "value", "reason"]
_OUTPUT_COLUMNS = [
    schema.NAME, schema.QUALITY, schema.AREA, schema.LEVEL, schema.STUDENTS, schema.TEACHERS,
    schema.LEAD_CANDIDATE, schema.FIXED_GROUP,
]
_STRICT_LIMIT = 50
_TEXT_LIMIT = 10
_SYSTEM_NAMES = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}


# --------------------------------------------------------------------------- the report


@dataclass
class ReadReport:
    """What :func:`read_schools` kept, rejected and derived.

    Attributes
    ----------
    source
        The file read (or ``'DataFrame'``).
    n_rows
        Data rows read (blank lines of a file are skipped and not counted).
    n_kept
        Rows that became schools.
    rejected
        One row per problem: ``row`` (spreadsheet row, header = row 1), ``school_id``,
        ``name``, ``column`` (the file's header), ``value`` (the cell as text) and ``reason``.
        A row with several problems appears once per problem.
    derived
        Field -> how it was derived rather than read (``area``, ``school_id``, …).
    column_map
        Contract field -> header of the file it was read from.
    warnings
        Everything else worth knowing: cells left missing, sheets not read, and so on.

    ``n_kept + n_rejected == n_rows`` always.
    """

    source: str
    n_rows: int
    n_kept: int
    rejected: pd.DataFrame
    derived: dict[str, str] = field(default_factory=dict)
    column_map: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        """Number of distinct rows rejected (a row with two problems counts once)."""
        return int(self.rejected["row"].nunique())

    def counts_by_reason(self) -> pd.Series:
        """Rows rejected per reason, most frequent first.

        A reason reads ``'<kind>'`` or ``'<kind>; <detail>'`` (``'duplicate school id; first
        at row 7'``); rows are counted by kind.
        """
        kinds = self.rejected["reason"].str.split(";", n=1).str[0]
        counts = (
            pd.DataFrame({"row": self.rejected["row"], "reason": kinds})
            .drop_duplicates()
            .value_counts("reason", sort=True)
        )
        return counts.rename("rows")

    def to_frame(self) -> pd.DataFrame:
        """The problems as a new frame with the source, ready to save for whoever fixes the file."""
        return self.rejected.assign(source=self.source)[["source", *_REJECTED_COLUMNS]]

    def to_text(self) -> str:
        """A readable summary: counts, reasons, the first problems, derivations, headers."""
        lines = [
            f"Read report for {self.source}",
            f"  rows read: {self.n_rows:,}",
            f"  kept:      {self.n_kept:,}",
            f"  rejected:  {self.n_rejected:,}",
        ]
        lines += self._rejection_lines()
        if self.derived:
            lines.append("Derived:")
            lines += [f"  {key}: {how}" for key, how in self.derived.items()]
        lines.append("Headers used:")
        lines += [f"  {key} <- {header!r}" for key, header in self.column_map.items()]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {text}" for text in self.warnings]
        return "\n".join(lines)

    def _rejection_lines(self) -> list[str]:
        if self.rejected.empty:
            return []
        lines = ["Rejected rows by reason:"]
        lines += [f"  {reason}: {count:,}" for reason, count in self.counts_by_reason().items()]
        lines.append("First problems:")
        lines += [f"  {_describe(p)}" for p in self.rejected.head(_TEXT_LIMIT).itertuples()]
        if len(self.rejected) > _TEXT_LIMIT:
            lines.append(f"  … and {len(self.rejected) - _TEXT_LIMIT:,} more (report.rejected)")
        return lines


def _describe(problem: Any) -> str:
    value = f" (value {problem.value!r})" if problem.value != "" else ""
    return f"row {problem.row}, column {problem.column!r}: {problem.reason}{value}"


class ReadResult(NamedTuple):
    """The schools frame and the report of how it was read."""

    schools: gpd.GeoDataFrame
    report: ReadReport


# --------------------------------------------------------------------------- loading


@dataclass
class _Loaded:
    """A source read into memory, before any field is interpreted."""

    frame: pd.DataFrame  # attribute columns, positional index
    rows: np.ndarray  # spreadsheet row number of each frame row
    label: str
    points: gpd.GeoSeries | None = None  # geometry of a vector source, in WGS-84
    geometry_column: str | None = None
    text_cells: bool = False  # every cell is text (CSV): extras get their types inferred
    notes: list[str] = field(default_factory=list)


def _load(source: Any, *, sheet: str | int | None, encoding: str | None) -> _Loaded:
    if isinstance(source, pd.DataFrame):
        kind = "GeoDataFrame" if isinstance(source, gpd.GeoDataFrame) else "DataFrame"
        return _from_frame(source, kind)
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(
            "source: expected a file path or a pandas DataFrame / GeoDataFrame, "
            f"got {type(source).__name__}."
        )
    path = Path(source)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise InputError(f"{str(path)!r} {what}. Check the path (relative paths start at "
                         f"{str(Path.cwd())!r}).")
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        old = path.suffix.lower() == ".xls"
        hint = " (the old Excel format: open it and save as .xlsx)" if old else ""
        raise InputError(
            f"{str(path)!r}: unknown file type {path.suffix!r}{hint}. Supported: "
            f"{', '.join(_FORMATS)}. Save the school list as CSV (UTF-8) or .xlsx."
        )
    readers: dict[str, Callable[..., _Loaded]] = {
        "csv": _read_csv, "excel": _read_excel, "vector": _read_vector,
    }
    loaded = readers[kind](path, sheet=sheet, encoding=encoding)
    if len(loaded.frame) == 0:
        raise InputError(
            f"{loaded.label}: no data rows (only a header, or nothing at all). "
            "Put one school per row below a header row."
        )
    return loaded


def _positions(frame: pd.DataFrame) -> np.ndarray:
    return np.arange(len(frame), dtype=np.int64) + 2


def _from_frame(source: pd.DataFrame, label: str) -> _Loaded:
    if len(source) == 0:
        raise InputError(f"the {label} has no rows.")
    # A named index (such as school_id from an earlier read) is data: keep it as a column.
    named = any(name is not None for name in source.index.names)
    frame = source.reset_index(drop=not named).rename(columns=str)
    repeated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if repeated:
        raise InputError(f"the {label} has repeated column names {repeated}; rename them so "
                         "each column has its own header.")
    loaded = _Loaded(frame, _positions(frame), label)
    if isinstance(source, gpd.GeoDataFrame) and source.geometry.name in frame.columns:
        _split_geometry(loaded, gpd.GeoDataFrame(frame, geometry=source.geometry.name))
    return loaded


def _split_geometry(loaded: _Loaded, gdf: gpd.GeoDataFrame) -> None:
    """Move a vector source's geometry into ``loaded.points`` (WGS-84 points)."""
    shapes = gdf.geometry
    loaded.geometry_column = shapes.name
    if shapes.crs is None:
        loaded.notes.append("the geometry has no coordinate reference system; it was taken "
                            "to be WGS-84 longitude/latitude.")
        shapes = shapes.set_crs(schema.WGS84)
    elif not shapes.crs.equals(schema.WGS84):
        loaded.notes.append(f"geometry reprojected from {shapes.crs.to_string()} to WGS-84.")
        shapes = shapes.to_crs(schema.WGS84)
    not_points = shapes.notna() & ~shapes.is_empty & (shapes.geom_type != "Point")
    if not_points.any():
        loaded.notes.append(f"{int(not_points.sum()):,} geometries are not points; each was "
                            "replaced by a point inside it.")
        shapes = shapes.where(~not_points, shapes.representative_point())
    loaded.points = shapes.reset_index(drop=True)
    loaded.frame = pd.DataFrame(gdf.drop(columns=shapes.name)).reset_index(drop=True)


def _decode(path: Path, encoding: str | None) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{str(path)!r}: cannot read the file ({exc.strerror}).") from exc
    if encoding is not None:
        tries = [encoding]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        tries = ["utf-16"]  # Excel's "Unicode text"
    else:
        tries = ["utf-8-sig", "gb18030"]
    for name in tries:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError(
        f"{str(path)!r}: cannot decode the file as {' or '.join(tries)}. Re-save it as CSV "
        "UTF-8 (Excel: Save As > 'CSV UTF-8'), or pass encoding=…"
    )


def _sniff_delimiter(text: str) -> str:
    """The delimiter among comma, semicolon and tab that splits the header into most fields."""
    header = text.lstrip().split("\n", 1)[0]
    fields = {d: len(next(csv.reader([header], delimiter=d))) for d in (",", ";", "\t")}
    return max(fields, key=lambda d: fields[d])  # ties go to the comma


def _read_csv(path: Path, *, sheet: str | int | None, encoding: str | None) -> _Loaded:
    text = _decode(path, encoding)
    label = str(path)
    if not text.strip():
        raise InputError(f"{label}: the file is empty. Put a header row and one school per row.")
    try:
        # All text, nothing turned into NaN: the report shows cells as they were written.
        frame = pd.read_csv(
            io.StringIO(text), sep=_sniff_delimiter(text), dtype=str, keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(
            f"{label}: cannot parse the file as a table ({exc}). Check that every row has "
            "as many delimiters as the header and that quotes are closed."
        ) from exc
    return _drop_blank_rows(_Loaded(frame, _positions(frame), label, text_cells=True))


def _drop_blank_rows(loaded: _Loaded) -> _Loaded:
    frame = loaded.frame
    text = frame.astype("str")
    blank = np.ones(len(frame), dtype=bool)
    for i in range(text.shape[1]):
        blank &= (text.iloc[:, i].str.strip().fillna("") == "").to_numpy(dtype=bool)
    if blank.any():
        loaded.notes.append(f"{int(blank.sum()):,} blank rows skipped.")
        loaded.frame = frame[~blank].reset_index(drop=True)
        loaded.rows = loaded.rows[~blank]
    return loaded


def _choose(names: list[str], wanted: str | int | None, what: str, label: str) -> str:
    if wanted is None:
        return names[0]
    if isinstance(wanted, str) and wanted not in names and wanted.isdigit():
        wanted = int(wanted)  # the command line passes numbers as text
    if isinstance(wanted, int) and not isinstance(wanted, bool) and 0 <= wanted < len(names):
        return names[wanted]
    if wanted in names:
        return str(wanted)
    raise InputError(
        f"{label}: no {what} {wanted!r}. It has {len(names)}: "
        f"{', '.join(map(repr, names))} (give a name, or a 0-based number)."
    )


def _several_note(names: list[str], chosen: str, what: str, option: str) -> list[str]:
    if len(names) < 2:
        return []
    return [f"the file has {len(names)} {what}s ({', '.join(map(repr, names))}); read "
            f"{chosen!r}. Choose another with {option}."]


def _read_excel(path: Path, *, sheet: str | int | None, encoding: str | None) -> _Loaded:
    label = str(path)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not affect cells.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            with pd.ExcelFile(path, engine="openpyxl") as book:
                names = [str(n) for n in book.sheet_names]
                chosen = _choose(names, sheet, "sheet", label)
                frame = pd.read_excel(book, sheet_name=chosen)
    except InputError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many unrelated types
        raise InputError(
            f"{label}: cannot read the workbook ({type(exc).__name__}: {exc}). Open it in "
            "Excel and save it again as .xlsx, or save the sheet as CSV UTF-8."
        ) from exc
    loaded = _Loaded(frame, _positions(frame), f"{label} [sheet {chosen!r}]")
    loaded.notes += _several_note(names, chosen, "sheet", "sheet=… / --sheet")
    return _drop_blank_rows(loaded)


def _read_vector(path: Path, *, sheet: str | int | None, encoding: str | None) -> _Loaded:
    import pyogrio

    label = str(path)
    options = {"encoding": encoding} if encoding else {}
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        layer = _choose(names, sheet, "layer", label) if names else None
        data = gpd.read_file(path, layer=layer, **options)
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises several unrelated types
        raise InputError(
            f"{label}: cannot read the file as vector data ({type(exc).__name__}: {exc}). "
            "Check that it opens in QGIS, or save the school list as CSV."
        ) from exc
    frame = pd.DataFrame(data).reset_index(drop=True)
    loaded = _Loaded(frame, _positions(frame), label)
    loaded.notes += _several_note(names, str(layer), "layer", "sheet=… / --sheet")
    if isinstance(data, gpd.GeoDataFrame):
        if data.geometry.notna().any():
            _split_geometry(loaded, gpd.GeoDataFrame(frame, geometry=data.geometry.name))
        else:  # a table without shapes: coordinates must come from columns
            loaded.frame = frame.drop(columns=data.geometry.name)
    return loaded


# --------------------------------------------------------------------------- checking rows


@dataclass
class _Fields:
    """Contract fields parsed from every row (positional), and what was found on the way."""

    loaded: _Loaded
    column_map: dict[str, str]
    log: ProblemLog = field(default_factory=ProblemLog)
    values: dict[str, pd.Series] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def raw(self, field_name: str) -> pd.Series:
        return self.loaded.frame[self.column_map[field_name]]

    def bad_cells(self, field_name: str, mask: pd.Series, outcome: str) -> None:
        """Note cells that could not be read, with a few examples, without rejecting rows."""
        if not mask.any():
            return
        header = self.column_map[field_name]
        rows = self.loaded.rows[mask.to_numpy()]
        cells = display_values(self.raw(field_name)[mask]).iloc[:5]
        examples = ", ".join(f"row {r}: {v!r}" for r, v in zip(rows[:5], cells, strict=True))
        more = ", …" if len(rows) > 5 else ""
        self.notes.append(f"{field_name} (column {header!r}): {len(rows):,} cells {outcome} "
                          f"({examples}{more}).")


def _check_ids(f: _Fields) -> None:
    rows = pd.Series(f.loaded.rows)
    if schema.SCHOOL_ID not in f.column_map:
        width = max(5, len(str(int(rows.max()) - 1)))
        f.values[schema.SCHOOL_ID] = ("S" + (rows - 1).astype("str").str.zfill(width)).astype("str")
        f.derived[schema.SCHOOL_ID] = (f"no id column: generated S{1:0{width}d}, S{2:0{width}d}, "
                                       "… from the spreadsheet row (row 2 is the first).")
        return
    header, raw = f.column_map[schema.SCHOOL_ID], f.raw(schema.SCHOOL_ID)
    ids = normalise_id(raw)
    f.values[schema.SCHOOL_ID] = ids
    f.log.add(ids.isna(), header, raw, "missing school id")
    repeated = ids.notna() & ids.duplicated(keep="first")
    if repeated.any():
        first_row = rows[~ids.duplicated(keep="first") & ids.notna()]
        first_row.index = ids[first_row.index]
        reason = "duplicate school id; first at row " + ids.map(first_row).astype("str")
        f.log.add(repeated, header, raw, reason)


def _check_name_and_quality(f: _Fields) -> None:
    names = as_text(f.raw(schema.NAME))
    absent = missing_mask(f.raw(schema.NAME))
    f.values[schema.NAME] = names.where(~absent)
    f.log.add(absent, f.column_map[schema.NAME], f.raw(schema.NAME), "missing name")
    header, raw = f.column_map[schema.QUALITY], f.raw(schema.QUALITY)
    quality = parse_float(raw)
    f.values[schema.QUALITY] = quality.values
    f.log.add(quality.missing, header, raw, "missing quality")
    f.log.add(quality.bad, header, raw, "quality is not a number")
    infinite = ~quality.missing & ~quality.bad & ~np.isfinite(quality.values)
    f.log.add(infinite, header, raw, "quality is not finite")


def _coordinate_cells(f: _Fields) -> tuple[pd.Series, pd.Series, str, str, pd.Series]:
    """Longitude and latitude of every row (NaN where unusable), with the problems logged."""
    points = f.loaded.points
    if points is not None:
        lon, lat = points.x.astype(float), points.y.astype(float)
        # NaN coordinates: no geometry, an empty one, or one the reprojection could not place.
        gone = lon.isna() | lat.isna()
        f.log.add(gone, "geometry", pd.Series("", index=points.index), "missing geometry")
        shown = display_values(lon) + ", " + display_values(lat)
        return lon, lat, "geometry", "geometry", shown
    lon_col, lat_col = f.column_map[LON], f.column_map[LAT]
    cells = {}
    for axis, header, word in ((LON, lon_col, "longitude"), (LAT, lat_col, "latitude")):
        parsed = parse_coordinate(f.raw(axis), axis)
        f.log.add(parsed.missing, header, f.raw(axis), f"missing {word}")
        f.log.add(parsed.bad, header, f.raw(axis), f"{word} not understood")
        cells[axis] = parsed.values
    shown = display_values(f.raw(LON)) + ", " + display_values(f.raw(LAT))
    return cells[LON], cells[LAT], lon_col, lat_col, shown


def _check_coordinates(f: _Fields, coords: str) -> None:
    lon, lat, lon_col, lat_col, shown = _coordinate_cells(f)
    pair = lon_col if lon_col == lat_col else f"{lon_col}, {lat_col}"
    both = lon.notna() & lat.notna()
    f.log.add(both & (lon == 0) & (lat == 0), pair, shown, "coordinates 0, 0 (a placeholder)")
    # |lat| in (90, 180] with |lon| <= 90 is a swap; |lat| in the millions is a lost decimal.
    swapped = both & lat.abs().gt(90) & lat.abs().le(180) & lon.abs().le(90)
    if coords != "wgs84":
        # Chinese web-map systems: a latitude that looks like a Chinese longitude and back.
        swapped |= both & lat.between(73, 135) & lon.between(18, 54)
    f.log.add(swapped, pair, shown, "latitude and longitude probably swapped")
    f.log.add(lon.notna() & ~swapped & ~lon.abs().le(180), lon_col, shown,
              "longitude outside [-180, 180]")
    f.log.add(lat.notna() & ~swapped & ~lat.abs().le(90), lat_col, shown,
              "latitude outside [-90, 90]")
    f.values[LON], f.values[LAT] = lon, lat


def _read_optional(f: _Fields) -> None:
    n = len(f.loaded.frame)
    missing_text = pd.Series(np.nan, index=range(n), dtype="str")
    area, unknown = (normalise_area(f.raw(schema.AREA)) if schema.AREA in f.column_map
                     else (missing_text, pd.Series(False, index=range(n))))
    f.values[schema.AREA] = area
    if schema.AREA in f.column_map:
        f.bad_cells(schema.AREA, unknown, "are not urban/rural and were derived instead")
    f.values[schema.LEVEL] = (normalise_level(f.raw(schema.LEVEL))
                              if schema.LEVEL in f.column_map else missing_text)
    f.values[schema.FIXED_GROUP] = (normalise_id(f.raw(schema.FIXED_GROUP))
                                    if schema.FIXED_GROUP in f.column_map else missing_text)
    for name in (schema.STUDENTS, schema.TEACHERS):
        if name not in f.column_map:
            f.values[name] = pd.Series(pd.NA, index=range(n), dtype="Int64")
            continue
        f.values[name], bad = parse_count(f.raw(name))
        f.bad_cells(name, bad, "are not whole numbers >= 0 and were left missing")
    _read_lead_candidate(f, n)


def _read_lead_candidate(f: _Fields, n: int) -> None:
    if schema.LEAD_CANDIDATE not in f.column_map:
        f.values[schema.LEAD_CANDIDATE] = pd.Series(False, index=range(n))
        f.derived[schema.LEAD_CANDIDATE] = ("no column: False for every school (the policy "
                                            "chooses leads by quality).")
        return
    flags, bad = parse_bool(f.raw(schema.LEAD_CANDIDATE))
    f.values[schema.LEAD_CANDIDATE] = flags
    f.bad_cells(schema.LEAD_CANDIDATE, bad, "are not yes/no (1/0, true/false, 是/否) and were "
                                            "taken as False")


# --------------------------------------------------------------------------- the frame


def _extras(f: _Fields, keep: np.ndarray) -> pd.DataFrame:
    """Columns the contract does not know, kept as read (CSV text gets pandas' number types)."""
    used = set(f.column_map.values())
    frame = f.loaded.frame
    extras = frame[[c for c in frame.columns if c not in used]]
    if f.loaded.text_cells and not extras.columns.empty:
        extras = extras.apply(_infer_type)  # over every row, so rejections cannot change types
    extras = extras[keep]
    reserved = {*_OUTPUT_COLUMNS, schema.SCHOOL_ID, schema.GEOMETRY}
    clashes = {c: f"{c}_input" for c in extras.columns if c in reserved}
    for old, new in clashes.items():
        f.notes.append(f"the file's column {old!r} is not the one read for {old!r}; it was kept "
                       f"as {new!r}.")
    return extras.rename(columns=clashes).reset_index(drop=True)


def _infer_type(column: pd.Series) -> pd.Series:
    """Blank -> missing; a column of numbers becomes numeric, as ``pandas.read_csv`` would."""
    column = column.where(column.str.strip() != "")
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _quality(values: pd.Series, higher_is_better: bool, f: _Fields) -> pd.Series:
    if higher_is_better or values.empty:
        return values
    low, high = values.min(), values.max()
    f.derived[schema.QUALITY] = (f"column {f.column_map[schema.QUALITY]!r} is lower-is-better; "
                                 f"flipped as min + max - x ({low:g} + {high:g} - x), so the "
                                 "range is kept and higher is better.")
    return low + high - values


def _points(f: _Fields, keep: np.ndarray, coords: str) -> gpd.array.GeometryArray:
    lon, lat = f.values[LON][keep].to_numpy(), f.values[LAT][keep].to_numpy()
    source = "the geometry" if f.loaded.points is not None else (
        f"{f.column_map[LON]!r}, {f.column_map[LAT]!r}")
    if coords != "wgs84":
        outside = ~((lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271))
        if outside.any():
            f.notes.append(f"{int(outside.sum()):,} schools lie outside China, where "
                           f"{_SYSTEM_NAMES[coords]} equals WGS-84: they were not shifted.")
        lon, lat = to_wgs84(lon, lat, coords)
        f.derived[schema.GEOMETRY] = (f"points from {source}, converted from "
                                      f"{_SYSTEM_NAMES[coords]} to WGS-84.")
    return gpd.points_from_xy(lon, lat)


def _assemble(f: _Fields, keep: np.ndarray, coords: str, higher_is_better: bool
              ) -> gpd.GeoDataFrame:
    data = {name: f.values[name][keep].reset_index(drop=True) for name in _OUTPUT_COLUMNS}
    data[schema.QUALITY] = _quality(data[schema.QUALITY], higher_is_better, f)
    table = pd.concat([pd.DataFrame(data), _extras(f, keep)], axis=1)
    table.index = pd.Index(f.values[schema.SCHOOL_ID][keep].to_numpy(), dtype="str",
                           name=schema.SCHOOL_ID)
    return gpd.GeoDataFrame(table, geometry=_points(f, keep, coords), crs=schema.WGS84)


def _fill_area(
    schools: gpd.GeoDataFrame, f: _Fields, polygons: gpd.GeoSeries | None
) -> gpd.GeoDataFrame:
    need = schools[schema.AREA].isna().to_numpy()
    if not need.any():
        return schools
    lon, lat = schools.geometry.x.to_numpy(), schools.geometry.y.to_numpy()
    if polygons is not None:
        labels = area_from_boundary(lon[need], lat[need], polygons)
        how = "inside a polygon of the urban boundary"
    else:
        all_labels, threshold = area_from_density(lon, lat)
        labels = all_labels[need]
        how = (f"density rule: urban when at least {threshold} other schools lie within "
               f"{DENSITY_RADIUS_M / 1000:g} km ({DENSITY_QUANTILE * 100:.0f}th percentile of the "
               f"{len(schools):,} schools' counts, and at least {DENSITY_MIN_NEIGHBOURS})")
    n_urban = int((labels == schema.URBAN).sum())
    where = (f"column {f.column_map[schema.AREA]!r} had no usable value"
             if schema.AREA in f.column_map else "no area column")
    f.derived[schema.AREA] = (f"derived for {int(need.sum()):,} of {len(schools):,} schools "
                              f"({where}) by the {how}: {n_urban:,} urban, "
                              f"{len(labels) - n_urban:,} rural.")
    area = schools[schema.AREA].copy()
    area[need] = labels
    return schools.assign(**{schema.AREA: area})


def _rejected(f: _Fields) -> pd.DataFrame:
    problems = f.log.frame()
    pos = problems["pos"].to_numpy()
    return pd.DataFrame({
        "row": f.loaded.rows[pos].astype(np.int64),
        "school_id": f.values[schema.SCHOOL_ID].to_numpy()[pos],
        "name": f.values[schema.NAME].to_numpy()[pos],
        "column": problems["column"].to_numpy(),
        "value": problems["value"].to_numpy(),
        "reason": problems["reason"].to_numpy(),
    }).astype({c: "str" for c in _REJECTED_COLUMNS if c != "row"})


def _problem_list(rejected: pd.DataFrame, limit: int) -> str:
    lines = [f"  {_describe(p)}" for p in rejected.head(limit).itertuples()]
    if len(rejected) > limit:
        lines.append(f"  … and {len(rejected) - limit:,} more")
    return "\n".join(lines)


def _fail_if_unusable(report: ReadReport, strict: bool) -> None:
    if strict and report.n_rejected:
        raise InputError(
            f"{report.source}: {report.n_rejected:,} of {report.n_rows:,} rows cannot be used "
            f"(strict=True):\n{_problem_list(report.rejected, _STRICT_LIMIT)}\n"
            "Fix these rows, or read without strict to keep the usable rows and get a report."
        )
    if report.n_kept == 0:
        reasons = ", ".join(f"{k} ({v:,})" for k, v in report.counts_by_reason().items())
        raise InputError(
            f"{report.source}: none of the {report.n_rows:,} rows can be used: {reasons}. "
            f"First problems:\n{_problem_list(report.rejected, _TEXT_LIMIT)}\n"
            "Check that columns= maps the right headers and that coords= is right."
        )


# --------------------------------------------------------------------------- public


def _check_arguments(coords: str, columns: Any) -> None:
    if coords not in COORDINATE_SYSTEMS:
        raise InputError(
            f"coords must be one of {', '.join(map(repr, COORDINATE_SYSTEMS))}, got {coords!r}."
        )
    if columns is not None and not isinstance(columns, Mapping):
        raise InputError(
            "columns must map contract fields to headers, e.g. {'quality': 'house_price'}; "
            f"got {type(columns).__name__}."
        )


def read_schools(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    coords: str = "wgs84",
    quality: str | None = None,
    higher_is_better: bool = True,
    id_column: str | None = None,
    sheet: str | int | None = None,
    urban_boundary: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    strict: bool = False,
    encoding: str | None = None,
) -> ReadResult:
    """Read a school list into the schools frame of the data contract, and report on it.

    Parameters
    ----------
    source
        A CSV file (also ``.txt`` / ``.tsv``; comma, semicolon or tab, found from the header;
        UTF-8, UTF-8 with BOM, GBK/GB18030 or UTF-16 with BOM, found from the bytes), an
        Excel workbook (``.xlsx``), a GeoJSON, GeoPackage or Shapefile (geometry taken from
        the file and reprojected to WGS-84), or a pandas DataFrame / GeoDataFrame (a named
        index, such as ``school_id`` from an earlier read, is read as a column).
    columns
        Contract field -> header, for headers not recognised automatically (the recognised
        ones are listed in :data:`geogroup._validate.HEADER_ALIASES`), e.g.
        ``{'quality': 'house_price', 'lead_candidate': 'key_school'}``. Fields: ``school_id``
        (or ``id``), ``name``, ``lon``, ``lat``, ``quality``, ``area``, ``level``,
        ``students``, ``teachers``, ``lead_candidate``, ``fixed_group``. Mapping ``lon`` and
        ``lat`` for a vector file uses those columns instead of its geometry.
    coords
        System of the longitudes/latitudes: ``'wgs84'``, ``'gcj02'`` (AMap, Tencent) or
        ``'bd09'`` (Baidu). The output is always WGS-84.
    quality
        Shorthand for ``columns={'quality': quality}``.
    higher_is_better
        False when the quality column is lower-is-better (a rank): it is flipped as
        ``min + max - x`` over the schools kept, so the range stays the same.
    id_column
        Shorthand for ``columns={'school_id': id_column}``. Without an id column, ids
        ``S00001``, ``S00002``, … are made from the spreadsheet row (row 2 -> ``S00001``).
    sheet
        Sheet of a workbook (or layer of a GeoPackage): a name, or a 0-based number (``'1'``
        counts as a number unless a sheet has that name). Default: the first, and the report
        says when there were others.
    urban_boundary
        Urban polygons (a vector file or GeoDataFrame) to derive ``area`` from where the file
        does not give it; without it, a density rule is used (see :mod:`geogroup._area`).
    strict
        Raise on any unusable row instead of rejecting it into the report.
    encoding
        Text encoding of a CSV file (or a Shapefile's attributes), when detection is wrong.

    Returns
    -------
    ReadResult
        ``(schools, report)``: a GeoDataFrame indexed by ``school_id`` with the contract's
        columns (``docs/data-contract.md``) plus any other columns of the file unchanged,
        and the :class:`ReadReport`. ``len(schools) + report.n_rejected == report.n_rows``.

    Raises
    ------
    InputError
        The source cannot be read (missing, empty, unknown type, undecodable), a required
        field has no column, no row is usable, or ``strict`` and some row is not.

    Notes
    -----
    Rows are numbered as a spreadsheet shows them: the header is row 1 and the first data
    row is row 2; for a frame, row = position + 2. A row is rejected, with one entry per
    problem, for: a missing name; missing, unreadable, non-finite quality; missing or
    unreadable coordinates, ``0, 0``, longitude outside [-180, 180], latitude outside
    [-90, 90], or latitude and longitude probably swapped (``90 < |lat| <= 180`` with
    ``|lon| <= 90``; with GCJ-02/BD-09 also a latitude of 73-135 with a longitude of 18-54);
    a missing id, or an id already used by an earlier row. Unreadable students, teachers,
    lead_candidate or area cells only leave the cell missing (or derived) and are listed in
    ``report.warnings``. Placeholders (``.``, ``-``, ``NA``, ``N/A``, ``null``, ``none``,
    ``#N/A``, ``无``, ``空``, ``NOT APPLICABLE``, blank) are missing values. The input frame
    or file is never modified.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({
    ...     "学校名称": ["实验小学", "城关小学", "河口小学"],
    ...     "经度": [116.391, 116.402, "."],
    ...     "纬度": [39.907, 39.913, 39.95],
    ...     "得分": [88.5, 92, 75],
    ... })
    >>> schools, report = read_schools(raw)
    >>> schools.index.tolist(), schools["quality"].tolist(), schools["name"].tolist()
    (['S00001', 'S00002'], [88.5, 92.0], ['实验小学', '城关小学'])
    >>> report.rejected[["row", "column", "reason"]].to_dict("records")
    [{'row': 4, 'column': '经度', 'reason': 'missing longitude'}]
    >>> report.column_map["quality"]
    '得分'
    """
    _check_arguments(coords, columns)
    # Read the boundary first: a bad one is an error even when every row has its area.
    polygons = None if urban_boundary is None else read_boundary(urban_boundary)
    loaded = _load(source, sheet=sheet, encoding=encoding)
    if columns and LON in columns and LAT in columns and loaded.points is not None:
        loaded.points = None
        loaded.frame = loaded.frame.drop(columns=[loaded.geometry_column], errors="ignore")
    column_map, notes = resolve_columns(
        list(loaded.frame.columns), columns=columns, quality=quality, id_column=id_column,
        needs_coordinates=loaded.points is None, source=loaded.label,
    )
    f = _Fields(loaded, column_map, notes=loaded.notes + notes)
    _check_ids(f)
    _check_name_and_quality(f)
    _check_coordinates(f, coords)
    _read_optional(f)
    keep = np.ones(len(loaded.frame), dtype=bool)
    keep[f.log.positions()] = False
    if loaded.geometry_column is not None:
        column_map[schema.GEOMETRY] = loaded.geometry_column
    report = ReadReport(loaded.label, len(loaded.frame), int(keep.sum()), _rejected(f),
                        column_map=column_map)
    _fail_if_unusable(report, strict)
    schools = _fill_area(_assemble(f, keep, coords, higher_is_better), f, polygons)
    return ReadResult(schools, replace(report, derived=f.derived, warnings=f.notes))
