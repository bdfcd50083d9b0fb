"""What a map writes over the groups: the groups' names, the compass sectors of a plan made
under the sector rule (Haicheng's 东西南北四个方位), and the study boundary's shapes."""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geogroup import rules
from geogroup.errors import InputError
from geogroup.present._features import PlanData, collection, display, feature_text
from geogroup.present._options import MapOptions
from geogroup.present._text import escape
from geogroup.read import read_boundary

__all__ = ["boundary_shapes", "group_label_items", "sector_overlay"]

_RAY_STEPS = 16  # points along each boundary: a geodesic, drawn as a line through them
_SECTOR_STYLE = {"color": "#37474f", "weight": 2, "opacity": 0.85, "dashArray": "8 6"}
_SECTOR_INK = "#37474f"


def group_label_items(data: PlanData) -> list[list[Any]]:
    """One label per group at its anchor, larger groups first (they are placed first where
    labels crowd): ``[lon, lat, "id · lead name", colour, "id"]``, the text escaped."""
    names = data.groups["lead_name"].astype(object).where(data.groups["lead_name"].notna(), None)
    rows = []
    for (x, y), gid, lead, color in zip(
        data.anchors.tolist(), data.groups.index, names, data.colors, strict=True
    ):
        short = escape(gid)
        full = short if lead is None else f"{short} · {escape(lead)}"
        rows.append([float(x), float(y), full, color, short])
    order = np.argsort(-data.groups["size"].to_numpy(dtype=float), kind="stable")
    return [rows[i] for i in order.tolist()]


def _sector_names(n: int, labels: dict[str, str]) -> list[str]:
    known = rules.SECTOR_NAMES.get(n)
    if known:
        return [labels.get(f"sector:{name}", name) for name in known]
    return [labels["sector_n"].format(k=k + 1) for k in range(n)]


def sector_overlay(data: PlanData, n: int, opts: MapOptions) -> tuple[str, list[list[Any]]] | None:
    """Under ``sectors = n``: the boundaries between the sectors of each unit (rays from its
    centre along the bearings (k + ½)·360°/n, on the ellipsoid, a little beyond its farthest
    school) as GeoJSON text, and each sector's name half-way out along its own bearing.
    None without the rule."""
    a = data.drawn.arrays
    if n <= 0 or not a.centres:
        return None
    geod = pyproj.Geod(ellps="WGS84")
    width = 360.0 / n
    names = _sector_names(n, opts.labels)
    rays, spots, texts = [], [], []
    known = np.isfinite(a.lonlat).all(axis=1)
    for code, (lon0, lat0) in sorted(a.centres.items()):
        at = (a.by_code == code) & known
        if not at.any():
            continue
        far = geod.inv(
            np.full(at.sum(), lon0), np.full(at.sum(), lat0), a.lonlat[at, 0], a.lonlat[at, 1]
        )[2]
        radius = max(float(np.max(far)) * 1.1, 1000.0)
        steps = np.linspace(0.0, radius, _RAY_STEPS)
        for k in range(n):
            lon, lat, _ = geod.fwd(
                np.full(_RAY_STEPS, lon0), np.full(_RAY_STEPS, lat0),
                np.full(_RAY_STEPS, (k + 0.5) * width), steps,
            )  # fmt: skip
            rays.append(shapely.linestrings(np.column_stack([lon, lat])))
            spot = geod.fwd(lon0, lat0, k * width, radius * 0.55)
            spots.append(shapely.Point(spot[0], spot[1]))
            texts.append(names[k])
        spots.append(shapely.Point(lon0, lat0))
        texts.append("+")
    if not rays:
        return None
    shown = display(np.array(rays, dtype=object), opts.gcj)
    features = [
        feature_text(text, {"kind": "sector", "style": _SECTOR_STYLE})
        for text in shapely.to_geojson(shown).tolist()
    ]
    points = display(np.array(spots, dtype=object), opts.gcj)
    items = [
        [float(shapely.get_x(p)), float(shapely.get_y(p)), escape(t), _SECTOR_INK, escape(t)]
        for p, t in zip(points, texts, strict=True)
    ]
    return collection(features), items


def boundary_shapes(boundary: Any) -> np.ndarray:
    """The boundary's shapes in WGS-84, from a file (read by :func:`geogroup.read.read_boundary`:
    a file that is not a vector file of polygons is an InputError), a (Geo)DataFrame or a
    shapely geometry; refused unless they are longitude and latitude."""
    if isinstance(boundary, str | os.PathLike | gpd.GeoDataFrame | gpd.GeoSeries):
        shapes = read_boundary(boundary, argument="boundary").to_numpy()
    elif isinstance(boundary, shapely.Geometry):
        shapes = np.array([boundary], dtype=object)
    else:
        raise InputError(
            "boundary: expected a GeoDataFrame, a GeoSeries, a shapely geometry (WGS-84) or a "
            f"path to a vector file, got {type(boundary).__name__}"
        )
    shapes = shapes[~(shapely.is_missing(shapes) | shapely.is_empty(shapes))]
    box = shapely.total_bounds(shapes) if len(shapes) else np.full(4, np.nan)
    shown = ", ".join(f"{v:.6g}" for v in box)
    if not (np.isfinite(box).all() and box[0] >= -180 and box[2] <= 180):
        raise InputError(
            f"boundary: expected shapes in longitude and latitude (WGS-84), got bounds [{shown}]; "
            "give a file with its CRS set, or one in WGS-84"
        )
    if not (box[1] >= -90 and box[3] <= 90):
        raise InputError(f"boundary: latitudes beyond ±90 (bounds [{shown}])")
    return shapes
