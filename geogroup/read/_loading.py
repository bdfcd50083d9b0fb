"""A school list read into memory, before any field is interpreted: the types the
readers share (:class:`_Loaded`, :class:`_HeaderSpec`), their helpers and the vector reader.
Text files are read by :mod:`geogroup.read._text`, workbooks by :mod:`geogroup.read._excel`; the
checks that follow are in :mod:`geogroup.read`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._headers import resolve_columns

_SCAN_ROWS = 10  # rows searched for the header (text files and sheets)


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
    # Rows found unusable while loading: (mask over frame rows, column, cells, reason).
    problems: list[tuple[np.ndarray, str, pd.Series, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _HeaderSpec:
    """What makes a row the header: it holds the required fields, by alias or by ``columns=``."""

    columns: Mapping[str, str] | None
    quality: str | None
    id_column: str | None

    def resolve(
        self, headers: list[str], *, needs_coordinates: bool, source: str
    ) -> tuple[dict[str, str], list[str]]:
        """Field -> header and notes; raises :class:`InputError` naming what is missing."""
        return resolve_columns(
            headers,
            columns=self.columns,
            quality=self.quality,
            id_column=self.id_column,
            needs_coordinates=needs_coordinates,
            source=source,
        )

    def fits(self, headers: list[str]) -> bool:
        """Whether ``headers`` could be the header row of a school list (with coordinates)."""
        try:
            self.resolve(headers, needs_coordinates=True, source="")
        except InputError:
            return False
        return True


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


def _rows_text(rows: list[int], limit: int = 10) -> str:
    """``'rows 3, 5, 9'`` or ``'rows 3, 5, … (40 in all)'``."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f", … ({len(rows):,} in all)" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _read_vector(
    path: Path, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
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
