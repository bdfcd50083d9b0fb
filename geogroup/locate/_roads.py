"""Road lines in: an OpenStreetMap extract or a lines file, with a class, a speed and a
direction for every line.

:func:`read_roads` turns what a planner has into one frame of road lines:

* an OpenStreetMap extract (``.osm.pbf``), read with `pyrosm` (``pip install
  "geogroup[roads]"``): its drivable ways (``network='driving'``; ``'walking'``,
  ``'cycling'``, ``'all'`` as pyrosm names them), with their ``highway``, ``maxspeed`` and
  ``oneway`` tags;
* a GeoPackage, Shapefile or GeoJSON of lines, with optional columns for the road class
  (``highway``, ``fclass``, ``class``, ``type``, 道路等级, …), the speed in km/h (``speed``,
  ``maxspeed``, ``kmh``, 限速, 速度, …) and one-way traffic (``oneway``, 单行; ``yes`` /
  ``1`` / ``true`` / ``F`` along the line, ``-1`` / ``T`` against it, anything else both
  ways).

Speeds: a line's own speed when its file gives a usable one (a number, or text such as
``50 km/h`` or ``30 mph``), else the speed of its class in :data:`ROAD_SPEEDS_KMH` (OSM
classes, and the Chinese ones mapped onto them by :data:`CLASS_ALIASES`), else
:data:`DEFAULT_KMH`. The table's speeds are typical travel speeds of a car or a school bus,
not legal limits; ``speeds={"primary": 50, "default": 25}`` overrides any of them.

Lines connect where they share a vertex (as OSM ways share nodes at a junction); two lines
that only cross, a bridge over a road, do not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogroup import schema as S
from geogroup.errors import InputError

__all__ = [
    "ACCESS_KMH",
    "CLASS_ALIASES",
    "DEFAULT_KMH",
    "ROAD_COLUMNS",
    "ROAD_SPEEDS_KMH",
    "read_roads",
    "road_speeds",
]

ROAD_SPEEDS_KMH: dict[str, float] = {
    "motorway": 90.0,
    "trunk": 70.0,
    "primary": 55.0,
    "secondary": 45.0,
    "tertiary": 35.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "track": 15.0,
    "motorway_link": 50.0,
    "trunk_link": 45.0,
    "primary_link": 40.0,
    "secondary_link": 35.0,
    "tertiary_link": 30.0,
}
"""Travel speed (km/h) of each road class when a line gives none of its own."""

DEFAULT_KMH = 30.0
"""Speed of a road whose class is unknown (key ``'default'`` of ``speeds=``)."""

ACCESS_KMH = 15.0
"""Speed on the leg between a school and the nearest point of a road, off the network
(key ``'access'`` of ``speeds=``)."""

CLASS_ALIASES: dict[str, str] = {
    "高速公路": "motorway",
    "高速": "motorway",
    "城市快速路": "trunk",
    "快速路": "trunk",
    "国道": "trunk",
    "省道": "primary",
    "主干路": "primary",
    "主干道": "primary",
    "县道": "secondary",
    "次干路": "secondary",
    "次干道": "secondary",
    "乡道": "tertiary",
    "支路": "tertiary",
    "村道": "unclassified",
    "专用公路": "service",
    "motorway_junction": "motorway_link",
}
"""Road classes of Chinese road data (国道, 省道, 县道, 乡道, 村道; 快速路, 主干路, 次干路,
支路) read as the OSM class of about the same speed."""

ROAD_COLUMNS: dict[str, tuple[str, ...]] = {
    "road_class": ("road_class", "highway", "fclass", "class", "type", "kind", "道路等级", "等级", "类型", "道路类型"),
    "kmh": ("kmh", "speed_kmh", "speed", "maxspeed", "max_speed", "速度", "限速", "设计速度", "车速"),
    "oneway": ("oneway", "one_way", "单行", "单向"),
}  # fmt: skip
"""Header names read (case-insensitive) for each column of a lines file, first match wins."""

_FORWARD = {"yes", "true", "1", "f", "ft", "forward", "是", "正向"}
_BACKWARD = {"-1", "t", "tf", "reverse", "backward", "反向"}
_MPH = 1.609344
_NETWORKS = ("driving", "walking", "cycling", "all", "driving+service")


def road_speeds(speeds: Mapping[str, float] | None = None) -> dict[str, float]:
    """The speed table in use: :data:`ROAD_SPEEDS_KMH`, ``'default'`` and ``'access'``,
    overridden by ``speeds``.

    Examples
    --------
    >>> table = road_speeds({"primary": 50})
    >>> table["primary"], table["residential"], table["default"], table["access"]
    (50.0, 25.0, 30.0, 15.0)
    """
    table = {**ROAD_SPEEDS_KMH, "default": DEFAULT_KMH, "access": ACCESS_KMH}
    for key, value in (speeds or {}).items():
        kmh = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
        if not (np.isfinite(kmh) and 0 < kmh <= 300):
            raise InputError(
                f"speeds: {key!r} = {value!r} is not a speed; give km/h above 0 and at most 300"
            )
        table[str(key).strip().lower()] = float(kmh)
    return table


def read_roads(
    roads: str | os.PathLike[str] | gpd.GeoDataFrame,
    *,
    speeds: Mapping[str, float] | None = None,
    network: str = "driving",
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Road lines with a class, a speed and a direction each.

    Parameters
    ----------
    roads
        An ``.osm.pbf`` extract, a vector file of lines (GeoPackage, Shapefile, GeoJSON, …)
        or a GeoDataFrame of lines.
    speeds
        Overrides of the speed table (km/h by class; ``'default'``, ``'access'``): see
        :func:`road_speeds`.
    network
        For an OSM extract: which ways (``'driving'``, ``'walking'``, ``'cycling'``,
        ``'all'``).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``: read only the roads in this box (a
        province's extract for one county's schools).

    Returns
    -------
    geopandas.GeoDataFrame
        One LineString per row in WGS-84, with ``road_class`` (str), ``kmh`` (float) and
        ``oneway`` (1 along the line, -1 against it, 0 both ways). ``attrs['source']`` says
        where the roads came from.

    Examples
    --------
    >>> lines = gpd.GeoDataFrame({"fclass": ["primary", "县道"], "oneway": ["B", "F"]},
    ...     geometry=[shapely.LineString([(122.0, 40.0), (122.01, 40.0)]),
    ...               shapely.LineString([(122.01, 40.0), (122.01, 40.01)])], crs="EPSG:4326")
    >>> read_roads(lines)[["road_class", "kmh", "oneway"]]
      road_class   kmh  oneway
    0    primary  55.0       0
    1  secondary  45.0       1
    """
    table = road_speeds(speeds)
    if network not in _NETWORKS:
        raise InputError(f"roads: network {network!r} is not one of {', '.join(_NETWORKS)}")
    if isinstance(roads, gpd.GeoDataFrame):
        frame, source = roads, "roads (frame)"
    elif isinstance(roads, str | os.PathLike):
        path = Path(roads)
        if not path.is_file():
            raise InputError(
                f"roads: file {str(path)!r} does not exist; give an .osm.pbf extract or a "
                "vector file of road lines (GeoPackage, Shapefile, GeoJSON)"
            )
        frame = _read_pbf(path, network, bbox) if _is_pbf(path) else _read_lines(path, bbox)
        source = f"roads {path.name}"
    else:
        raise InputError(
            f"roads: expected a file path or a GeoDataFrame of lines, got {type(roads).__name__}"
        )
    out = _normalised(frame, table, source)
    out.attrs["source"] = source
    return out


def _is_pbf(path: Path) -> bool:
    return path.name.lower().endswith((".pbf", ".osm.pbf"))


def _read_pbf(path: Path, network: str, bbox: Any) -> gpd.GeoDataFrame:
    try:
        import pyrosm
    except ImportError:
        raise InputError(
            f"roads: reading the OpenStreetMap extract {path.name!r} needs pyrosm: "
            'pip install "geogroup[roads]"; or give the roads as a GeoPackage, Shapefile or '
            "GeoJSON of lines"
        ) from None
    try:
        osm = pyrosm.OSM(str(path), bounding_box=None if bbox is None else list(bbox))
        edges = osm.get_network(network_type=network)
    except Exception as exc:  # pyrosm raises several unrelated types on a broken file
        raise InputError(
            f"roads: cannot read {str(path)!r} as an OpenStreetMap extract ({exc}); check that "
            "the file is a whole .osm.pbf"
        ) from None
    if edges is None or len(edges) == 0:
        raise InputError(
            f"roads: the extract {path.name!r} holds no {network} roads"
            + ("" if bbox is None else " near the schools")
            + "; check that it covers the schools"
        )
    keep = [c for c in ("highway", "maxspeed", "oneway") if c in edges]
    return gpd.GeoDataFrame(edges[keep], geometry=edges.geometry, crs=edges.crs or S.WGS84)


def _read_lines(path: Path, bbox: Any) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(path, bbox=bbox)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise InputError(
            f"roads: cannot read {str(path)!r} as a vector file ({exc}); give a GeoPackage, "
            "Shapefile or GeoJSON of road lines, or an .osm.pbf extract"
        ) from None


def _column(frame: pd.DataFrame, field: str) -> str | None:
    names = {str(c).strip().lower(): c for c in frame.columns if c != frame.geometry.name}
    return next((names[a] for a in ROAD_COLUMNS[field] if a in names), None)


def _normalised(frame: gpd.GeoDataFrame, table: dict[str, float], source: str) -> gpd.GeoDataFrame:
    lines = _lines_in_wgs84(frame, source)
    cls_col, kmh_col, way_col = (_column(lines, f) for f in ("road_class", "kmh", "oneway"))
    n = len(lines)
    road_class = (
        pd.Series(["road"] * n, index=lines.index, dtype=object)
        if cls_col is None
        else _classes(lines[cls_col])
    )
    by_class = road_class.map(table).fillna(table["default"]).to_numpy(float)
    own = np.full(n, np.nan) if kmh_col is None else _speeds(lines[kmh_col])
    kmh = np.where(np.isfinite(own), own, by_class)
    oneway = np.zeros(n, dtype=np.int8) if way_col is None else _oneway(lines[way_col])
    out = gpd.GeoDataFrame(
        {"road_class": road_class.to_numpy(object), "kmh": kmh, "oneway": oneway},
        geometry=lines.geometry.to_numpy(),
        crs=S.WGS84,
    )
    return out.reset_index(drop=True)


def _lines_in_wgs84(frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"roads: expected a GeoDataFrame of lines, got {type(frame).__name__}")
    if frame.crs is None:
        box = frame.total_bounds if len(frame) else np.zeros(4)
        if not (-180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90):
            raise InputError(
                f"roads: {source} has no coordinate system and its coordinates (bounds "
                f"{np.round(box, 1).tolist()}) are not longitude and latitude; save it with "
                "its CRS (a .prj beside a Shapefile)"
            )
        frame = frame.set_crs(S.WGS84)
    frame = frame.to_crs(S.WGS84)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    lines = frame[frame.geom_type.isin(["LineString", "MultiLineString"])]
    if lines.empty:
        kinds = ", ".join(sorted(set(frame.geom_type.dropna()))) or "none"
        raise InputError(
            f"roads: {source} holds no lines (geometry types: {kinds}); give road lines "
            "(LineString or MultiLineString)"
        )
    return lines.explode(index_parts=False)


def _classes(values: pd.Series) -> pd.Series:
    text = values.astype(object).where(values.notna(), "road").astype(str).str.strip()
    lower = text.str.lower()
    return lower.map(lambda v: CLASS_ALIASES.get(v, v)).where(lower != "", "road")


_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)


def _speeds(values: pd.Series) -> np.ndarray:
    """km/h from numbers or text such as ``50``, ``50 km/h``, ``30 mph``; NaN where none
    (``none``, ``signals``, a list ``50;30``: the class speed applies)."""
    out = pd.to_numeric(values, errors="coerce").to_numpy(float, copy=True)
    text = values.astype(object)
    for i in np.flatnonzero(np.isnan(out)):
        match = _NUMBER.match(str(text.iat[i])) if text.iat[i] is not None else None
        if match:
            kmh = float(match.group(1))
            out[i] = kmh * _MPH if (match.group(2) or "").lower() == "mph" else kmh
    out[~((out > 0) & (out <= 300))] = np.nan
    return out


def _oneway(values: pd.Series) -> np.ndarray:
    text = values.astype(object).map(
        lambda v: "" if v is None or v != v else str(v).strip().lower()
    )
    out = np.zeros(len(values), dtype=np.int8)
    out[text.isin(_FORWARD).to_numpy()] = 1
    out[text.isin(_BACKWARD).to_numpy()] = -1
    return out


def lines_fingerprint(lines: gpd.GeoDataFrame) -> bytes:
    """Bytes that change when the lines or their attributes change (for the cache key)."""
    wkb = shapely.to_wkb(lines.geometry.to_numpy(), hex=False)
    attrs = pd.util.hash_pandas_object(lines.drop(columns=lines.geometry.name), index=False)
    return b"".join(wkb) + attrs.to_numpy().tobytes()
