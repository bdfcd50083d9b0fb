"""A school list read into memory, before any field is interpreted: the types the
readers share (:class:`ByteSource`, :class:`_Loaded`, :class:`_HeaderSpec`), their helpers
and the vector reader. Text files are read by :mod:`geogroup.read._text`, workbooks by
:mod:`geogroup.read._excel`; :mod:`geogroup.read._source` chooses the reader; the checks
that follow are in :mod:`geogroup.read`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._encoding import dbf_encoding
from geogroup.read._headers import AmbiguousHeadersError, match_columns, resolve_columns

_SCAN_ROWS = 10  # rows searched for the header (text files and sheets)


@dataclass
class ByteSource:
    """Bytes read once, in order: a file, a named pipe or standard input.

    ``path`` is set for a regular file only, which readers may open again (a workbook, a
    Shapefile) or rewind; a pipe gives its bytes once.
    """

    label: str
    handle: BinaryIO
    path: Path | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative), fewer only at the end."""
        try:
            if size < 0:
                return self.handle.read()
            parts, left = [], size
            while left > 0:
                part = self.handle.read(left)
                if not part:
                    break
                parts.append(part)
                left -= len(part)
            return b"".join(parts)
        except OSError as exc:
            raise InputError(f"{self.label}: cannot read it ({exc.strerror or exc}).") from exc

    def read_rest(self, head: bytes) -> bytes:
        """The whole content, ``head`` being what was read so far."""
        if self.path is not None and self.handle.seekable():
            self.handle.seek(0)  # one buffer, not the head and the rest joined
            return self.read()
        return head + self.read()


@dataclass
class _Loaded:
    """A source read into memory, before any field is interpreted."""

    frame: pd.DataFrame  # attribute columns, positional index
    rows: np.ndarray  # spreadsheet row number of each frame row
    label: str
    points: gpd.GeoSeries | None = None  # geometry of a vector source, in WGS-84
    geometry_column: str | None = None
    text_cells: bool = False  # every cell is text as written, an empty one missing (CSV)
    notes: list[str] = field(default_factory=list)
    # Frame column -> header as the file writes it, for repeated headers renamed 'name.1'.
    written: dict[str, str] = field(default_factory=dict)
    # Frame column -> 0-based column of the file, where the frame left empty columns out.
    places: dict[str, int] = field(default_factory=dict)
    # Rows found unusable while loading: (mask over frame rows, column, cells, reason).
    problems: list[tuple[np.ndarray, str, pd.Series, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _HeaderSpec:
    """What makes a row the header: it holds the required fields, by alias or by ``columns=``."""

    columns: Mapping[str, str] | None
    quality: str | None
    id_column: str | None

    def resolve(
        self,
        headers: list[str],
        *,
        needs_coordinates: bool,
        source: str,
        written: Mapping[str, str] | None = None,
        places: Mapping[str, int] | None = None,
    ) -> tuple[dict[str, str], list[str]]:
        """Field -> header and notes; raises :class:`InputError` naming what is missing or
        which columns could both be one field."""
        return resolve_columns(
            headers,
            columns=self.columns,
            quality=self.quality,
            id_column=self.id_column,
            needs_coordinates=needs_coordinates,
            source=source,
            written=written,
            places=places,
        )

    def fits(self, headers: list[str]) -> bool:
        """Whether ``headers`` could be the header row of a school list (with coordinates):
        every required field has a column, or two (an ambiguity is said once the row is
        taken as the header, not hidden behind "no header found")."""
        names, written = unique_headers(headers)
        try:
            match = match_columns(
                names,
                columns=self.columns,
                quality=self.quality,
                id_column=self.id_column,
                needs_coordinates=True,
                source="",
                written=written,
            )
        except AmbiguousHeadersError:
            return True
        except InputError:
            return False
        return not match.missing


def unique_headers(row: list[Any]) -> tuple[list[str], dict[str, str]]:
    """Column names for a header row, as pandas makes them (a blank header is ``Unnamed: i``,
    a repeated one ``name.1``), and each renamed repeat -> the header as written.

    Examples
    --------
    >>> unique_headers(["quality", "name", "quality", None])
    (['quality', 'name', 'quality.1', 'Unnamed: 3'], {'quality.1': 'quality'})
    """
    names, written, seen = [], {}, set()
    for i, value in enumerate(row):
        header = "" if value is None else str(value).strip()
        base = header or f"Unnamed: {i}"
        name, count = base, 0
        while name in seen:
            count += 1
            name = f"{base}.{count}"
        seen.add(name)
        names.append(name)
        if header and name != header:
            written[name] = header
    return names, written


def _positions(frame: pd.DataFrame, first: int = 2) -> np.ndarray:
    """Spreadsheet row numbers of a frame's rows, the first being row ``first``."""
    return np.arange(len(frame), dtype=np.int64) + first


def _from_frame(source: pd.DataFrame, label: str) -> _Loaded:
    if len(source) == 0:
        raise InputError(f"the {label} has no rows.")
    # A named index (such as school_id from an earlier read) is data: keep it as a column.
    named = any(name is not None for name in source.index.names)
    frame = source.reset_index(drop=not named).rename(columns=str)
    repeated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if repeated:
        raise InputError(
            f"the {label} has repeated column names {repeated}; rename them so "
            "each column has its own header."
        )
    loaded = _Loaded(frame, _positions(frame), label)
    if isinstance(source, gpd.GeoDataFrame) and source.geometry.name in frame.columns:
        _split_geometry(loaded, gpd.GeoDataFrame(frame, geometry=source.geometry.name))
    return loaded


def _split_geometry(loaded: _Loaded, gdf: gpd.GeoDataFrame) -> None:
    """Move a vector source's geometry into ``loaded.points`` (WGS-84 points)."""
    shapes = gdf.geometry
    loaded.geometry_column = shapes.name
    if shapes.crs is None:
        loaded.notes.append(
            "the geometry has no coordinate reference system; it was taken "
            "to be WGS-84 longitude/latitude."
        )
        shapes = shapes.set_crs(schema.WGS84)
    elif not shapes.crs.equals(schema.WGS84):
        loaded.notes.append(f"geometry reprojected from {shapes.crs.to_string()} to WGS-84.")
        shapes = shapes.to_crs(schema.WGS84)
    not_points = shapes.notna() & ~shapes.is_empty & (shapes.geom_type != "Point")
    if not_points.any():
        loaded.notes.append(
            f"{int(not_points.sum()):,} geometries are not points; each was "
            "replaced by a point inside it."
        )
        shapes = shapes.where(~not_points, shapes.representative_point())
    loaded.points = shapes.reset_index(drop=True)
    loaded.frame = pd.DataFrame(gdf.drop(columns=shapes.name)).reset_index(drop=True)


def _blank(column: pd.Series) -> np.ndarray:
    return np.array(column.astype("str").str.strip().fillna("") == "", dtype=bool)


def _drop_blank_rows(loaded: _Loaded) -> _Loaded:
    frame = loaded.frame
    blank = np.ones(len(frame), dtype=bool)
    for i in range(frame.shape[1]):
        if not blank.any():
            break
        # Only rows still blank are looked at: one pass over a large file, not one per column.
        blank[blank] = _blank(frame.iloc[blank, i])
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
    return [
        f"the file has {len(names)} {what}s ({', '.join(map(repr, names))}); read "
        f"{chosen!r}. Choose another with {option}."
    ]


def _read_vector(
    src: ByteSource, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
    import pyogrio

    label, path = src.label, src.path
    if path is None:
        raise InputError(
            f"{label}: vector data (GeoJSON, GeoPackage, Shapefile) is read from a file, not "
            "from a pipe or standard input. Save it to a file and give its path."
        )
    notes = []
    if encoding is None and (found := dbf_encoding(path)) is not None:
        encoding = found
        notes.append(
            f"the Shapefile has no .cpg file naming its encoding; its headers and text "
            f"columns were read as {found}, detected from their bytes (GDAL alone would read "
            "them as Latin-1). If names read wrong, pass encoding=…"
        )
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
    loaded = _Loaded(frame, _positions(frame), label, notes=notes)
    loaded.notes += _several_note(names, str(layer), "layer", "sheet=… / --sheet")
    if isinstance(data, gpd.GeoDataFrame):
        if data.geometry.notna().any():
            _split_geometry(loaded, gpd.GeoDataFrame(frame, geometry=data.geometry.name))
        else:  # a table without shapes: coordinates must come from columns
            loaded.frame = frame.drop(columns=data.geometry.name)
    return loaded
