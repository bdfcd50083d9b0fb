"""Reading school lists: the first stage of the pipeline.

:func:`read_schools` turns a planner's file (CSV, Excel, GeoJSON, GeoPackage, Shapefile) or a
pandas frame into the schools frame of the data contract (``docs/data-contract.md``), and a
:class:`ReadReport` of every row it could not use, every row worth a second look and every
field it derived.

The headers recognised for each field (English and Chinese) are listed once, in
:data:`geogroup.read._headers.HEADER_ALIASES`. :mod:`geogroup.read._source` picks the reader
(a file, a named pipe, standard input); files are loaded by :mod:`geogroup.read._text`
(delimiters, title rows, rows longer than the header), :mod:`geogroup.read._encoding`
(encodings), :mod:`geogroup.read._excel` (workbooks) and :mod:`geogroup.read._loading`
(vector data, and what the loaders share). Every field of every row is checked by
:mod:`geogroup.read._rows`, and the report is worded by :mod:`geogroup.read._report`; this
module ties them together and assembles the schools frame.

What a bad file gets
--------------------
* **An error** (:class:`~geogroup.InputError`, naming the file, the row or the header and
  what to do) when the file as a whole cannot be read: missing, empty, only a header, not
  text (binary, a workbook renamed ``.csv``), a zero byte anywhere, a byte that is neither
  UTF-8 nor GBK (in a file that does not read as Windows-1252), a header that no delimiter
  splits, no header with the required columns (searched in the first 10 rows, so title rows
  above it are skipped; every sheet of a workbook is searched), two columns that could both
  be one field, a row with a non-empty field beyond the header, an unclosed quote, a merged
  header cell that hides a column, area labels that are neither urban nor rural (until
  ``area_values=`` says what they mean), every row unusable, or every school at one point.
* **A rejected row** (``report.rejected``) when one row cannot be used: see
  :func:`read_schools`, Notes.
* **A flagged row** (``report.flagged``: kept, but worth a look) when a row is usable but
  odd: far from all the other schools, sharing its name or its point with others, or a
  negative quality where every other school's is positive.
* **A warning** (``report.warnings``) for what concerns the whole file: rows in two
  encodings, an encoding detected (Windows-1252, a Shapefile's), a sheet chosen among
  several, merged cells filled in, title rows skipped, a sheet's table ended by 1,000 empty
  rows, an empty field dropped from the end of every row, counts too large to be one
  school's, a constant quality, a lead-candidate column that marks nobody.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._area import (
    DENSITY_MIN_NEIGHBOURS,
    DENSITY_RADIUS_M,
    StudyArea,
    area_from_boundary,
    area_from_density,
    read_boundary,
    read_study_area,
)
from geogroup.read._coords import COORDINATE_SYSTEMS
from geogroup.read._fields import ProblemLog, area_mapping
from geogroup.read._headers import LAT, LON
from geogroup.read._loading import _HeaderSpec
from geogroup.read._report import (
    _REJECTED_COLUMNS,
    ReadReport,
    ReadResult,
    _by_severity,
    _fail_if_unusable,
)
from geogroup.read._rows import (
    _check_coordinates,
    _check_far,
    _check_ids,
    _check_name_and_quality,
    _check_study_area,
    _Fields,
    _flag_quality,
    _flag_shared,
    _note_no_lead_candidate,
    _read_optional,
    _refuse_one_point,
)
from geogroup.read._source import load

__all__ = ["ReadReport", "ReadResult", "read_schools"]

_OUTPUT_COLUMNS = [
    schema.NAME,
    schema.QUALITY,
    schema.AREA,
    schema.LEVEL,
    schema.STUDENTS,
    schema.TEACHERS,
    schema.LEAD_CANDIDATE,
    schema.FIXED_GROUP,
]
_SYSTEM_NAMES = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
_FAR_POINTS = ("flag", "reject")


# --------------------------------------------------------------------------- the frame


def _extras(f: _Fields, keep: np.ndarray) -> pd.DataFrame:
    """Columns the contract does not know, kept as read: a CSV's as the text written ("007"
    stays "007", "01" and "1" stay two units of a ``by`` column), an empty cell missing."""
    used = set(f.column_map.values())
    frame = f.loaded.frame
    extras = frame[[c for c in frame.columns if c not in used]][keep]
    reserved = {*_OUTPUT_COLUMNS, schema.SCHOOL_ID, schema.GEOMETRY}
    clashes = {c: f"{c}_input" for c in extras.columns if c in reserved}
    for old, new in clashes.items():
        f.notes.append(
            f"the file's column {old!r} is not the one read for {old!r}; it was kept as {new!r}."
        )
    return extras.rename(columns=clashes).reset_index(drop=True)


def _quality(values: pd.Series, higher_is_better: bool, f: _Fields) -> pd.Series:
    if higher_is_better or values.empty:
        return values
    low, high = values.min(), values.max()
    f.derived[schema.QUALITY] = (
        f"column {f.column_map[schema.QUALITY]!r} is lower-is-better; "
        f"flipped as min + max - x ({low:g} + {high:g} - x), so the "
        "range is kept and higher is better."
    )
    return low + high - values


def _points(f: _Fields, keep: np.ndarray, coords: str) -> gpd.array.GeometryArray:
    """The kept schools' points, already converted to WGS-84 by :func:`_check_coordinates`."""
    if coords != "wgs84":
        lon, lat = f.values[LON][keep].to_numpy(), f.values[LAT][keep].to_numpy()
        outside = ~((lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271))
        if outside.any():
            f.notes.append(
                f"{int(outside.sum()):,} schools lie outside China, where "
                f"{_SYSTEM_NAMES[coords]} equals WGS-84: they were not shifted."
            )
        source = (
            "the geometry"
            if f.loaded.points is not None
            else (f"{f.column_map[LON]!r}, {f.column_map[LAT]!r}")
        )
        f.derived[schema.GEOMETRY] = (
            f"points from {source}, converted from {_SYSTEM_NAMES[coords]} to WGS-84."
        )
    return gpd.points_from_xy(f.wgs[0][keep], f.wgs[1][keep])


def _assemble(
    f: _Fields, keep: np.ndarray, coords: str, higher_is_better: bool
) -> gpd.GeoDataFrame:
    names = [*_OUTPUT_COLUMNS, *([schema.KEY_TEACHERS] if schema.KEY_TEACHERS in f.values else [])]
    data = {name: f.values[name][keep].reset_index(drop=True) for name in names}
    data[schema.QUALITY] = _quality(data[schema.QUALITY], higher_is_better, f)
    table = pd.concat([pd.DataFrame(data), _extras(f, keep)], axis=1)
    table.index = pd.Index(
        f.values[schema.SCHOOL_ID][keep].to_numpy(), dtype="str", name=schema.SCHOOL_ID
    )
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
        labels = area_from_density(lon, lat)[need]
        how = (
            f"density rule: urban when at least {DENSITY_MIN_NEIGHBOURS} other schools of the "
            f"file lie within {DENSITY_RADIUS_M / 1000:g} km, rural otherwise (a fixed "
            "threshold, the same for every file; give an area column, area_values= or "
            "urban_boundary= to replace it)"
        )
    n_urban = int((labels == schema.URBAN).sum())
    where = (
        f"column {f.column_map[schema.AREA]!r} had no usable value"
        if schema.AREA in f.column_map
        else "no area column"
    )
    f.derived[schema.AREA] = (
        f"derived for {int(need.sum()):,} of {len(schools):,} schools "
        f"({where}) by the {how}: {n_urban:,} urban, "
        f"{len(labels) - n_urban:,} rural."
    )
    area = schools[schema.AREA].copy()
    area[need] = labels
    return schools.assign(**{schema.AREA: area})


def _problem_frame(f: _Fields, log: ProblemLog) -> pd.DataFrame:
    problems = log.frame()
    pos = problems["pos"].to_numpy()
    return pd.DataFrame(
        {
            "row": f.loaded.rows[pos].astype(np.int64),
            "school_id": f.values[schema.SCHOOL_ID].to_numpy()[pos],
            "name": f.values[schema.NAME].to_numpy()[pos],
            "column": problems["column"].to_numpy(),
            "value": problems["value"].to_numpy(),
            "reason": problems["reason"].to_numpy(),
        }
    ).astype({c: "str" for c in _REJECTED_COLUMNS if c != "row"})


# --------------------------------------------------------------------------- public


def _check_arguments(coords: str, columns: Any, far_points: str, encoding: str | None) -> None:
    """Refuse a bad argument before any file is opened (``area_values`` is checked by
    :func:`~geogroup.read._fields.area_mapping`)."""
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
            raise InputError(
                f"encoding: unknown encoding {encoding!r}; give a Python codec "
                "name such as 'utf-8', 'gbk' or 'latin-1'."
            ) from None


def read_schools(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str | None] | None = None,
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
    area_values: Mapping[str, str] | None = None,
) -> ReadResult:
    """Read a school list into the schools frame of the data contract, and report on it.

    Parameters
    ----------
    source
        A CSV file (also ``.txt`` / ``.tsv``; comma, semicolon, tab or ``|``, found from the
        header; UTF-8, UTF-8 with BOM, GBK/GB18030, Windows-1252 or UTF-16 with BOM, found
        from the bytes, line by line when UTF-8 and GBK rows are mixed, see
        :mod:`geogroup.read._encoding`; any line ending, old Mac CR included), an Excel
        workbook (``.xlsx``, read row by row whatever extent the sheet claims), a GeoJSON,
        GeoPackage or Shapefile (geometry taken from the file and reprojected to WGS-84; a
        Shapefile without ``.cpg`` has its text encoding detected), a named pipe, ``'-'`` for
        standard input (CSV or a workbook, told apart by its first bytes), or a pandas
        DataFrame / GeoDataFrame (a named index, such as ``school_id`` from an earlier read,
        is read as a column). In a CSV or a sheet the header is the first of the first 10
        rows that holds the required columns: title rows above it are skipped and said so.
    columns
        Contract field -> header, for headers not recognised automatically (the recognised
        ones are listed in :data:`geogroup.read._fields.HEADER_ALIASES`), e.g.
        ``{'quality': 'house_price', 'lead_candidate': 'key_school'}``. Fields: ``school_id``
        (or ``id``), ``name``, ``lon``, ``lat``, ``quality``, ``area``, ``level``,
        ``students``, ``teachers``, ``lead_candidate``, ``fixed_group``. ``None`` says the
        file has no column for a field (``{'area': None}``: a column headed ``area`` is then
        an extra column, and the area is derived). Mapping ``lon`` and ``lat`` for a vector
        file uses those columns instead of its geometry. Two headers that could both be one
        field (``quality`` and ``score``, or the same header twice) are an error until this
        picks one (the rule: :mod:`geogroup.read._headers`).
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
        Text encoding of a CSV file, standard input or a pipe (or a Shapefile's
        attributes), when detection is wrong: any Python codec name (``'cp1252'``,
        ``'gb18030'``, ``'utf-16-le'``). It is used as given, and every byte must decode.
        Workbooks, GeoJSON and GeoPackage files say their own encoding.
    area_values
        What the area column's labels mean, for labels not understood without help: label
        -> ``'urban'`` or ``'rural'``, e.g. ``{'Bandar': 'urban', 'Luar Bandar': 'rural'}``
        (labels compared ignoring case and surrounding spaces; tried before the built-in
        words). A label neither this nor the built-in words know is an error listing the
        column's labels; the report says which mapping was used (``report.mapped``).

    Returns
    -------
    ReadResult
        ``(schools, report)``: a GeoDataFrame indexed by ``school_id`` with the contract's
        columns (``docs/data-contract.md``) plus any other columns of the file unchanged,
        and the :class:`ReadReport`. ``len(schools) + report.n_rejected == report.n_rows``.

    Raises
    ------
    InputError
        The source cannot be read (missing, empty, unknown type, not text, a zero byte,
        undecodable, no header with the required columns, two columns for one field, a row
        with a non-empty field more than the header, an unclosed quote, a merged header cell
        hiding a column), the area column holds labels that are neither urban nor rural, no
        row is usable, every school is at one point, or ``strict`` and some row is not
        usable. The message names the file, the row or header, and what to do.

    Notes
    -----
    Rows are numbered as a spreadsheet shows them: the header is row 1 and the first data
    row is row 2 (below title rows, the numbers follow the sheet); for a frame, row =
    position + 2. A row is rejected, with one entry per problem, for: a missing name;
    missing, unreadable, non-finite quality, or one beyond ±1e15 (sums of such values
    lose the others' digits and products overflow); missing or unreadable coordinates,
    ``0, 0``, longitude outside [-180, 180], latitude outside [-90, 90], or latitude and
    longitude probably swapped (``90 < |lat| <= 180`` with ``|lon| <= 90``; with
    GCJ-02/BD-09 also a latitude of 73-135 with a longitude of 18-54); a point outside
    ``study_area``; a missing id, or an id already used by an earlier row; a row of a CSV
    written with another delimiter than the header, or ending with an empty field the header
    does not have while other rows do not (when every row does, the empty field is dropped
    and said so). Unreadable students or teachers (not whole numbers from 0 to 1,000,000)
    and lead_candidate cells only leave the cell missing (or False) and are listed in
    ``report.warnings``. Placeholders (``.``, ``-``, ``NA``, ``N/A``, ``null``, ``none``,
    ``#N/A``, ``无``, ``空``, ``NOT APPLICABLE``, blank) are missing values. Coordinates with
    units are read when unambiguous (``116.39°E``, ``39°54'N``, ``116.4 度``). Negative
    quality is valid (z-scores, value added); only a few negatives among values otherwise
    >= 0 are flagged, as codes for "missing". Names and the file's other columns are kept
    as written (a CSV's as text: ``007`` stays ``'007'``); contract fields are parsed.
    The input frame or file is never modified.

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
    labels = area_mapping(area_values)
    # Read the areas first: a bad one is an error whatever the rows hold.
    polygons = None if urban_boundary is None else read_boundary(urban_boundary)
    area = None if study_area is None else read_study_area(study_area)
    spec = _HeaderSpec(columns, quality, id_column)
    loaded = load(source, sheet=sheet, encoding=encoding, spec=spec)
    if columns and LON in columns and LAT in columns and loaded.points is not None:
        loaded.points = None
        loaded.frame = loaded.frame.drop(columns=[loaded.geometry_column], errors="ignore")
    column_map, notes = spec.resolve(
        list(loaded.frame.columns),
        needs_coordinates=loaded.points is None,
        source=loaded.label,
        written=loaded.written,
        places=loaded.places,
    )
    f = _Fields(loaded, column_map, notes=loaded.notes + notes, area_values=labels)
    for problem in loaded.problems:
        f.log.add(*problem)
    _check_rows(f, coords, area)
    if area is None:
        _check_far(f, f.kept(), reject=far_points == "reject")
    keep = f.kept()
    if loaded.geometry_column is not None:
        column_map[schema.GEOMETRY] = loaded.geometry_column
    report = ReadReport(
        loaded.label,
        len(loaded.frame),
        int(keep.sum()),
        _problem_frame(f, f.log),
        column_map=column_map,
    )
    _fail_if_unusable(report, strict)
    _refuse_one_point(f, keep)
    _flag_shared(f, keep)
    _flag_quality(f, keep)
    _note_no_lead_candidate(f, keep)
    schools = _fill_area(_assemble(f, keep, coords, higher_is_better), f, polygons)
    return ReadResult(
        schools,
        replace(
            report,
            derived=f.derived,
            mapped=f.mapped,
            warnings=f.notes,
            flagged=_by_severity(_problem_frame(f, f.flags)),
        ),
    )


def _check_rows(f: _Fields, coords: str, area: gpd.GeoSeries | None) -> None:
    _check_ids(f)
    _check_name_and_quality(f)
    _check_coordinates(f, coords)
    _check_study_area(f, area)
    _read_optional(f)
