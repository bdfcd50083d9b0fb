"""Reading school lists: the first stage of the pipeline.

:func:`read_schools` turns a planner's file (CSV, Excel, GeoJSON, GeoPackage, Shapefile) or a
pandas frame into the schools frame of the data contract (``docs/data-contract.md``), and a
:class:`ReadReport` of every row it could not use, every row worth a second look and every
field it derived.

The headers recognised for each field (English and Chinese) are listed once, in
:data:`geogroup.read._fields.HEADER_ALIASES`. Files are loaded by :mod:`geogroup.read._text` (text:
encodings, delimiters, title rows), :mod:`geogroup.read._excel` (workbooks) and
:mod:`geogroup.read._loading` (vector data, and what the loaders share); this module checks
every field of every row.

What a bad file gets
--------------------
* **An error** (:class:`~geogroup.InputError`, naming the file, the row or the header and
  what to do) when the file as a whole cannot be read: missing, empty, only a header, not
  text (binary, a workbook renamed ``.csv``), a byte that is neither UTF-8 nor GBK, a header
  that no delimiter splits, no header with the required columns (searched in the first 10
  rows, so title rows above it are skipped; every sheet of a workbook is searched), a merged
  header cell that hides a column, every row unusable, or every school at one point.
* **A rejected row** (``report.rejected``) when one row cannot be used: see
  :func:`read_schools`, Notes.
* **A flagged row** (``report.flagged``: kept, but worth a look) when a row is usable but
  odd: far from all the other schools, sharing its name or its point with others, or a
  negative quality where every other school's is positive.
* **A warning** (``report.warnings``) for what concerns the whole file: rows in two
  encodings, a sheet chosen among several, merged cells filled in, title rows skipped, a
  constant quality, a lead-candidate column that marks nobody.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema
from geogroup.read._area import (
    DENSITY_MIN_NEIGHBOURS,
    DENSITY_QUANTILE,
    DENSITY_RADIUS_M,
    FAR_FACTOR,
    StudyArea,
    area_from_boundary,
    area_from_density,
    far_from_the_rest,
    inside,
    read_boundary,
    read_study_area,
)
from geogroup.read._coords import COORDINATE_SYSTEMS, to_wgs84
from geogroup.errors import InputError
from geogroup.read._excel import _read_excel
from geogroup.read._loading import _from_frame, _HeaderSpec, _Loaded, _read_vector
from geogroup.read._text import _read_csv
from geogroup.read._fields import (
    LAT,
    LON,
    PLACEHOLDERS,
    CellPairs,
    ProblemLog,
    as_text,
    display_values,
    normalise_area,
    normalise_id,
    normalise_level,
    parse_bool,
    parse_coordinate,
    parse_count,
    parse_float,
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
_FAR_POINTS = ("flag", "reject")


# --------------------------------------------------------------------------- the report


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str")
                         for c in _REJECTED_COLUMNS})


def _rows_by_reason(problems: pd.DataFrame) -> pd.Series:
    kinds = problems["reason"].str.split(";", n=1).str[0]
    counts = (
        pd.DataFrame({"row": problems["row"], "reason": kinds})
        .drop_duplicates()
        .value_counts("reason", sort=True)
    )
    return counts.rename("rows")


@dataclass
class ReadReport:
    """What :func:`read_schools` kept, rejected, flagged and derived.

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
        Everything else worth knowing about the file as a whole: cells left missing, sheets
        not read, rows in another encoding, and so on.
    flagged
        Rows that were *kept* but deserve a second look, in the columns of ``rejected``: far
        from all the other schools, a name or a point shared with other schools, a negative
        quality among positive ones.

    ``n_kept + n_rejected == n_rows`` always.
    """

    source: str
    n_rows: int
    n_kept: int
    rejected: pd.DataFrame
    derived: dict[str, str] = field(default_factory=dict)
    column_map: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    flagged: pd.DataFrame = field(default_factory=_empty_problems)

    @property
    def n_rejected(self) -> int:
        """Number of distinct rows rejected (a row with two problems counts once)."""
        return int(self.rejected["row"].nunique())

    def counts_by_reason(self) -> pd.Series:
        """Rows rejected per reason, most frequent first.

        A reason reads ``'<kind>'`` or ``'<kind>; <detail>'`` (``'duplicate school id; first
        at row 7'``); rows are counted by kind.
        """
        return _rows_by_reason(self.rejected)

    def to_frame(self) -> pd.DataFrame:
        """The problems as a new frame with the source, ready to save for whoever fixes the file."""
        return self.rejected.assign(source=self.source)[["source", *_REJECTED_COLUMNS]]

    def to_text(self) -> str:
        """A readable summary: counts, reasons, the first problems and flags, derivations,
        headers, warnings."""
        lines = [
            f"Read report for {self.source}",
            f"  rows read: {self.n_rows:,}",
            f"  kept:      {self.n_kept:,}",
            f"  rejected:  {self.n_rejected:,}",
        ]
        lines += _problem_lines(self.rejected, "Rejected rows by reason:", "report.rejected")
        lines += _problem_lines(self.flagged, "Kept, but check these rows:", "report.flagged")
        if self.derived:
            lines.append("Derived:")
            lines += [f"  {key}: {how}" for key, how in self.derived.items()]
        lines.append("Headers used:")
        lines += [f"  {key} <- {header!r}" for key, header in self.column_map.items()]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {text}" for text in self.warnings]
        return "\n".join(lines)


def _problem_lines(problems: pd.DataFrame, title: str, where: str) -> list[str]:
    if problems.empty:
        return []
    lines = [title]
    lines += [f"  {reason}: {count:,}" for reason, count in _rows_by_reason(problems).items()]
    lines.append("First problems:" if where == "report.rejected" else "First rows:")
    lines += [f"  {_describe(p)}" for p in problems.head(_TEXT_LIMIT).itertuples()]
    if len(problems) > _TEXT_LIMIT:
        lines.append(f"  … and {len(problems) - _TEXT_LIMIT:,} more ({where})")
    return lines


def _describe(problem: Any) -> str:
    value = f" (value {problem.value!r})" if problem.value != "" else ""
    return f"row {problem.row}, column {problem.column!r}: {problem.reason}{value}"


class ReadResult(NamedTuple):
    """The schools frame and the report of how it was read."""

    schools: gpd.GeoDataFrame
    report: ReadReport


# --------------------------------------------------------------------------- loading


def _load(
    source: Any, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
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
    loaded = readers[kind](path, sheet=sheet, encoding=encoding, spec=spec)
    if len(loaded.frame) == 0:
        raise InputError(
            f"{loaded.label}: no data rows (only a header, or nothing at all). "
            "Put one school per row below a header row."
        )
    return loaded


# --------------------------------------------------------------------------- checking rows


@dataclass
class _Fields:
    """Contract fields parsed from every row (positional), and what was found on the way."""

    loaded: _Loaded
    column_map: dict[str, str]
    log: ProblemLog = field(default_factory=ProblemLog)  # rows rejected
    flags: ProblemLog = field(default_factory=ProblemLog)  # rows kept, worth a look
    values: dict[str, pd.Series] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Coordinates: which rows have usable ones, the same in WGS-84, and how to show them.
    coords_ok: np.ndarray | None = None
    wgs: tuple[np.ndarray, np.ndarray] | None = None
    coord_column: str = ""
    coord_cells: CellPairs | None = None

    def raw(self, field_name: str) -> pd.Series:
        return self.loaded.frame[self.column_map[field_name]]

    def kept(self) -> np.ndarray:
        """Rows with no problem so far."""
        keep = np.ones(len(self.loaded.frame), dtype=bool)
        keep[self.log.positions()] = False
        return keep

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
    raw_names = f.raw(schema.NAME)
    names = as_text(raw_names)
    absent = names.isna() | names.str.casefold().isin(PLACEHOLDERS)
    f.values[schema.NAME] = names.where(~absent)
    f.log.add(absent, f.column_map[schema.NAME], raw_names, "missing name")
    header, raw = f.column_map[schema.QUALITY], f.raw(schema.QUALITY)
    quality = parse_float(raw)
    f.values[schema.QUALITY] = quality.values
    f.log.add(quality.missing, header, raw, "missing quality")
    f.log.add(quality.bad, header, raw, "quality is not a number")
    infinite = ~quality.missing & ~quality.bad & ~np.isfinite(quality.values)
    f.log.add(infinite, header, raw, "quality is not finite")


def _coordinate_cells(f: _Fields) -> tuple[pd.Series, pd.Series, str, str, CellPairs]:
    """Longitude and latitude of every row (NaN where unusable), with the problems logged."""
    points = f.loaded.points
    if points is not None:
        lon, lat = points.x.astype(float), points.y.astype(float)
        # NaN coordinates: no geometry, an empty one, or one the reprojection could not place.
        gone = lon.isna() | lat.isna()
        f.log.add(gone, "geometry", pd.Series("", index=points.index), "missing geometry")
        return lon, lat, "geometry", "geometry", CellPairs(lon, lat)
    lon_col, lat_col = f.column_map[LON], f.column_map[LAT]
    cells = {}
    for axis, header, word in ((LON, lon_col, "longitude"), (LAT, lat_col, "latitude")):
        parsed = parse_coordinate(f.raw(axis), axis)
        f.log.add(parsed.missing, header, f.raw(axis), f"missing {word}")
        f.log.add(parsed.bad, header, f.raw(axis), f"{word} not understood")
        cells[axis] = parsed.values
    return cells[LON], cells[LAT], lon_col, lat_col, CellPairs(f.raw(LON), f.raw(LAT))


def _check_coordinates(f: _Fields, coords: str) -> None:
    lon, lat, lon_col, lat_col, shown = _coordinate_cells(f)
    pair = lon_col if lon_col == lat_col else f"{lon_col}, {lat_col}"
    both = lon.notna() & lat.notna()
    zero = both & (lon == 0) & (lat == 0)
    f.log.add(zero, pair, shown, "coordinates 0, 0 (a placeholder)")
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
    ok = (both & ~zero & ~swapped & lon.abs().le(180) & lat.abs().le(90)).to_numpy(dtype=bool)
    wlon, wlat = np.full(len(ok), np.nan), np.full(len(ok), np.nan)
    wlon[ok], wlat[ok] = to_wgs84(lon.to_numpy(dtype=float)[ok], lat.to_numpy(dtype=float)[ok],
                                  coords)
    f.coords_ok, f.wgs, f.coord_column, f.coord_cells = ok, (wlon, wlat), pair, shown


def _check_study_area(f: _Fields, area: gpd.GeoSeries | None) -> None:
    """Reject rows whose point lies outside the study area, saying when a swap would fix it."""
    if area is None:
        return
    lon, lat = f.wgs
    outside = f.coords_ok.copy()
    outside[f.coords_ok] = ~inside(lon[f.coords_ok], lat[f.coords_ok], area)
    if not outside.any():
        return
    swap = outside & (np.abs(lon) <= 90)
    fits_swapped = np.zeros(len(outside), dtype=bool)
    if swap.any():
        fits_swapped[swap] = inside(lat[swap], lon[swap], area)
    reason = pd.Series(np.where(
        fits_swapped,
        "outside the study area; inside it with latitude and longitude swapped",
        "outside the study area",
    ))
    f.log.add(outside, f.coord_column, f.coord_cells, reason)


def _check_far(f: _Fields, keep: np.ndarray, reject: bool) -> None:
    """Flag (or reject) kept schools far from all the others (:func:`far_from_the_rest`)."""
    pos = np.flatnonzero(keep)
    lon, lat = f.wgs[0][pos], f.wgs[1][pos]
    far, km, limit = far_from_the_rest(lon, lat)
    if not far.any():
        return
    centre = f"{np.median(lon):.2f}, {np.median(lat):.2f}"
    reasons = pd.Series("", index=range(len(keep)), dtype="str")
    reasons.iloc[pos[far]] = [
        f"far from all the other schools; {d:,.0f} km from their median point ({centre}), "
        f"more than {limit:,.0f} km ({FAR_FACTOR:g} times their median distance from it)"
        for d in km[far]
    ]
    mask = np.zeros(len(keep), dtype=bool)
    mask[pos[far]] = True
    (f.log if reject else f.flags).add(mask, f.coord_column, f.coord_cells, reasons)


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


# --------------------------------------------------------------------------- kept schools


def _refuse_one_point(f: _Fields, keep: np.ndarray) -> None:
    """Every school at one point: the coordinates cannot be real, and grouping by nearness
    would be meaningless; say so instead of grouping by quality alone in silence."""
    pos = np.flatnonzero(keep)
    if len(pos) < 3:
        return
    lon, lat = f.wgs[0][pos], f.wgs[1][pos]
    if np.ptp(lon) > 0 or np.ptp(lat) > 0:
        return
    rows = f.loaded.rows[pos]
    raise InputError(
        f"{f.loaded.label}: all {len(pos):,} schools (rows {rows[0]}-{rows[-1]}) are at one "
        f"point, {f.coord_cells.iloc[pos[:1]].iloc[0]} in column(s) {f.coord_column!r}, so every "
        "distance between them is 0 and no grouping by nearness is possible. The coordinates "
        "were probably filled with one place (a town centre or the bureau's address): give "
        "each school its own coordinates (geocode the addresses) and read again."
    )


def _flag_shared(f: _Fields, keep: np.ndarray) -> None:
    """Flag kept schools that share a name, a name and a point, or a point with 2 others."""
    pos = np.flatnonzero(keep)
    table = pd.DataFrame({
        "name": f.values[schema.NAME].iloc[pos].str.casefold().to_numpy(),
        "lon": f.wgs[0][pos], "lat": f.wgs[1][pos], "row": f.loaded.rows[pos],
    })
    same_name = table.groupby("name", sort=False)["row"].transform("first").to_numpy()
    same_both = table.groupby(["name", "lon", "lat"], sort=False)["row"].transform("first")
    by_point = table.groupby(["lon", "lat"], sort=False)["row"]
    point_first = by_point.transform("first").to_numpy()
    point_size = by_point.transform("size").to_numpy()
    rows = table["row"].to_numpy()
    twice = same_both.to_numpy() != rows
    named = (same_name != rows) & ~twice
    crowded = (point_first != rows) & (point_size >= 3) & ~twice
    name_header, name_cells = f.column_map[schema.NAME], f.raw(schema.NAME)
    _flag(f, pos, twice, name_header, name_cells, [
        f"same name and point as another school; first at row {r}: probably entered twice"
        for r in same_both.to_numpy()[twice]])
    _flag(f, pos, named, name_header, name_cells, [
        f"name used by another school; first at row {r}: kept (ids differ); tell them apart "
        "by id" for r in same_name[named]])
    _flag(f, pos, crowded, f.coord_column, f.coord_cells, [
        f"point shared by several schools; {k} at this point, first at row {r}: check their "
        "coordinates" for k, r in zip(point_size[crowded], point_first[crowded], strict=True)])


def _flag(f: _Fields, pos: np.ndarray, mask: np.ndarray, column: str,
          cells: pd.Series | CellPairs, reasons: list[str]) -> None:
    """Flag the kept rows ``pos[mask]`` with one reason each."""
    if not mask.any():
        return
    full = np.zeros(len(f.loaded.frame), dtype=bool)
    full[pos[mask]] = True
    text = pd.Series("", index=range(len(full)), dtype="str")
    text.iloc[pos[mask]] = reasons
    f.flags.add(full, column, cells, text)


def _flag_quality(f: _Fields, keep: np.ndarray) -> None:
    """A few negative values on a scale otherwise >= 0 are likely codes for 'missing'
    (-99, -999); a quality equal for every school ranks nothing."""
    header, quality = f.column_map[schema.QUALITY], f.values[schema.QUALITY]
    kept = quality[keep]
    negative = keep & (quality < 0).to_numpy()
    n_neg = int(negative.sum())
    if n_neg and n_neg <= max(1, 0.1 * len(kept)) and int((kept >= 0).sum()) >= 2:
        f.flags.add(negative, header, f.raw(schema.QUALITY),
                    "negative quality where the other schools' are >= 0; a code such as -99 "
                    "may mean 'missing': blank it if so")
    if len(kept) >= 2 and kept.nunique() == 1:
        f.notes.append(
            f"quality (column {header!r}) is {kept.iloc[0]:g} for all {len(kept):,} schools: "
            "it cannot rank them, so a policy taking the top share by quality as leads "
            "(leads = 'top:…') would pick them arbitrarily, and balancing quality means "
            "nothing. Check that the right column is read as quality (columns={'quality': …} "
            "/ --column quality=…)."
        )


def _note_no_lead_candidate(f: _Fields, keep: np.ndarray) -> None:
    if schema.LEAD_CANDIDATE in f.column_map and not f.values[schema.LEAD_CANDIDATE][keep].any():
        f.notes.append(
            f"lead_candidate (column {f.column_map[schema.LEAD_CANDIDATE]!r}) marks no school: "
            "a policy with leads = 'column:lead_candidate' will find no lead. Mark the lead "
            "schools (1 / 是), or let the policy choose leads by quality."
        )


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
    """The kept schools' points, already converted to WGS-84 by :func:`_check_coordinates`."""
    if coords != "wgs84":
        lon, lat = f.values[LON][keep].to_numpy(), f.values[LAT][keep].to_numpy()
        outside = ~((lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271))
        if outside.any():
            f.notes.append(f"{int(outside.sum()):,} schools lie outside China, where "
                           f"{_SYSTEM_NAMES[coords]} equals WGS-84: they were not shifted.")
        source = "the geometry" if f.loaded.points is not None else (
            f"{f.column_map[LON]!r}, {f.column_map[LAT]!r}")
        f.derived[schema.GEOMETRY] = (f"points from {source}, converted from "
                                      f"{_SYSTEM_NAMES[coords]} to WGS-84.")
    return gpd.points_from_xy(f.wgs[0][keep], f.wgs[1][keep])


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


def _problem_frame(f: _Fields, log: ProblemLog) -> pd.DataFrame:
    problems = log.frame()
    pos = problems["pos"].to_numpy()
    return pd.DataFrame({
        "row": f.loaded.rows[pos].astype(np.int64),
        "school_id": f.values[schema.SCHOOL_ID].to_numpy()[pos],
        "name": f.values[schema.NAME].to_numpy()[pos],
        "column": problems["column"].to_numpy(),
        "value": problems["value"].to_numpy(),
        "reason": problems["reason"].to_numpy(),
    }).astype({c: "str" for c in _REJECTED_COLUMNS if c != "row"})


_SEVERITY = (
    "far from all the other schools", "same name and point as another school",
    "negative quality where the other schools' are >= 0", "point shared by several schools",
    "name used by another school",
)


def _by_severity(flagged: pd.DataFrame) -> pd.DataFrame:
    """Flagged rows, the likeliest mistakes first (then by row)."""
    kind = flagged["reason"].str.split(";", n=1).str[0]
    rank = kind.map({k: i for i, k in enumerate(_SEVERITY)}).fillna(len(_SEVERITY))
    order = np.lexsort((flagged["row"].to_numpy(), rank.to_numpy()))
    return flagged.iloc[order].reset_index(drop=True)


def _problem_list(rejected: pd.DataFrame, limit: int) -> str:
    lines = [f"  {_describe(p)}" for p in rejected.head(limit).itertuples()]
    if len(rejected) > limit:
        lines.append(f"  … and {len(rejected) - limit:,} more")
    return "\n".join(lines)


def _advice(report: ReadReport) -> str:
    """What to do when no row is usable, from the most common reason."""
    reason = report.counts_by_reason().index[0]
    lon, lat = report.column_map.get(LON), report.column_map.get(LAT)
    if reason == "latitude and longitude probably swapped" and lon and lat:
        return (f"The columns look exchanged: read {lat!r} as longitude and {lon!r} as "
                f"latitude, columns={{'lon': {lat!r}, 'lat': {lon!r}}} in Python or "
                f"--column lon={lat} --column lat={lon} on the command line.")
    if reason == "outside the study area":
        return ("Check study_area= (min_lon, min_lat, max_lon, max_lat, in WGS-84 degrees) and "
                "coords=.")
    if reason.startswith("row separated by"):
        return "Use one delimiter throughout the file (save it again as CSV UTF-8)."
    return "Check that columns= maps the right headers and that coords= is right."


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
            f"First problems:\n{_problem_list(report.rejected, _TEXT_LIMIT)}\n{_advice(report)}"
        )


# --------------------------------------------------------------------------- public


def _check_arguments(coords: str, columns: Any, far_points: str, encoding: str | None) -> None:
    if coords not in COORDINATE_SYSTEMS:
        raise InputError(
            f"coords must be one of {', '.join(map(repr, COORDINATE_SYSTEMS))}, got {coords!r}."
        )
    if columns is not None and not isinstance(columns, Mapping):
        raise InputError(
            "columns must map contract fields to headers, e.g. {'quality': 'house_price'}; "
            f"got {type(columns).__name__}."
        )
    if far_points not in _FAR_POINTS:
        raise InputError(f"far_points must be 'flag' or 'reject', got {far_points!r}.")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"encoding: unknown encoding {encoding!r}; give a Python codec "
                             "name such as 'utf-8', 'gbk' or 'latin-1'.") from None


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
    study_area: StudyArea | None = None,
    far_points: str = "flag",
    strict: bool = False,
    encoding: str | None = None,
) -> ReadResult:
    """Read a school list into the schools frame of the data contract, and report on it.

    Parameters
    ----------
    source
        A CSV file (also ``.txt`` / ``.tsv``; comma, semicolon, tab or ``|``, found from the
        header; UTF-8, UTF-8 with BOM, GBK/GB18030 or UTF-16 with BOM, found from the bytes,
        line by line when UTF-8 and GBK rows are mixed), an Excel workbook (``.xlsx``), a
        GeoJSON, GeoPackage or Shapefile (geometry taken from the file and reprojected to
        WGS-84), or a pandas DataFrame / GeoDataFrame (a named index, such as ``school_id``
        from an earlier read, is read as a column). In a CSV or a sheet the header is the
        first of the first 10 rows that holds the required columns: title rows above it are
        skipped and said so.
    columns
        Contract field -> header, for headers not recognised automatically (the recognised
        ones are listed in :data:`geogroup.read._fields.HEADER_ALIASES`), e.g.
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
        counts as a number unless a sheet has that name). Default: the first sheet whose
        header has the school columns (the first layer), and the report says when there
        were others.
    urban_boundary
        Urban polygons (a vector file or GeoDataFrame) to derive ``area`` from where the file
        does not give it; without it, a density rule is used (see :mod:`geogroup.read._area`).
    study_area
        Where the schools must be: a bounding box ``(min_lon, min_lat, max_lon, max_lat)`` in
        WGS-84 degrees, a shapely polygon, or polygons (a GeoDataFrame or a vector file).
        Rows outside it are rejected ("outside the study area", and "inside it with latitude
        and longitude swapped" when that is so).
    far_points
        Without a study area, schools far from all the others (the rule of
        :func:`geogroup.read._area.far_from_the_rest`: more than 10 times the median distance
        from the schools' median point, and 50 km) are ``'flag'``-ged in
        ``report.flagged`` and kept, or ``'reject'``-ed.
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
        The source cannot be read (missing, empty, unknown type, not text, undecodable, no
        header with the required columns, a merged header cell hiding a column), no row is
        usable, every school is at one point, or ``strict`` and some row is not usable. The
        message names the file, the row or header, and what to do.

    Notes
    -----
    Rows are numbered as a spreadsheet shows them: the header is row 1 and the first data
    row is row 2 (below title rows, the numbers follow the sheet); for a frame, row =
    position + 2. A row is rejected, with one entry per problem, for: a missing name;
    missing, unreadable, non-finite quality; missing or unreadable coordinates, ``0, 0``,
    longitude outside [-180, 180], latitude outside [-90, 90], or latitude and longitude
    probably swapped (``90 < |lat| <= 180`` with ``|lon| <= 90``; with GCJ-02/BD-09 also a
    latitude of 73-135 with a longitude of 18-54); a point outside ``study_area``; a missing
    id, or an id already used by an earlier row; a row of a CSV written with another
    delimiter than the header. Unreadable students, teachers, lead_candidate or area cells
    only leave the cell missing (or derived) and are listed in ``report.warnings``.
    Placeholders (``.``, ``-``, ``NA``, ``N/A``, ``null``, ``none``, ``#N/A``, ``无``,
    ``空``, ``NOT APPLICABLE``, blank) are missing values. Coordinates with units are read
    when unambiguous (``116.39°E``, ``39°54'N``, ``116.4 度``). Negative quality is valid
    (z-scores, value added); only a few negatives among values otherwise >= 0 are flagged,
    as codes for "missing". The input frame or file is never modified.

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
    _check_arguments(coords, columns, far_points, encoding)
    # Read the areas first: a bad one is an error whatever the rows hold.
    polygons = None if urban_boundary is None else read_boundary(urban_boundary)
    area = None if study_area is None else read_study_area(study_area)
    spec = _HeaderSpec(columns, quality, id_column)
    loaded = _load(source, sheet=sheet, encoding=encoding, spec=spec)
    if columns and LON in columns and LAT in columns and loaded.points is not None:
        loaded.points = None
        loaded.frame = loaded.frame.drop(columns=[loaded.geometry_column], errors="ignore")
    column_map, notes = spec.resolve(
        list(loaded.frame.columns), needs_coordinates=loaded.points is None, source=loaded.label
    )
    f = _Fields(loaded, column_map, notes=loaded.notes + notes)
    for problem in loaded.problems:
        f.log.add(*problem)
    _check_rows(f, coords, area)
    if area is None:
        _check_far(f, f.kept(), reject=far_points == "reject")
    keep = f.kept()
    if loaded.geometry_column is not None:
        column_map[schema.GEOMETRY] = loaded.geometry_column
    report = ReadReport(loaded.label, len(loaded.frame), int(keep.sum()),
                        _problem_frame(f, f.log), column_map=column_map)
    _fail_if_unusable(report, strict)
    _refuse_one_point(f, keep)
    _flag_shared(f, keep)
    _flag_quality(f, keep)
    _note_no_lead_candidate(f, keep)
    schools = _fill_area(_assemble(f, keep, coords, higher_is_better), f, polygons)
    return ReadResult(schools, replace(report, derived=f.derived, warnings=f.notes,
                                       flagged=_by_severity(_problem_frame(f, f.flags))))


def _check_rows(f: _Fields, coords: str, area: gpd.GeoSeries | None) -> None:
    _check_ids(f)
    _check_name_and_quality(f)
    _check_coordinates(f, coords)
    _check_study_area(f, area)
    _read_optional(f)
