"""Zone polygons: the Voronoi cells of the schools dissolved per group, clipped to a
study boundary."""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geogroup import schema as S
from geogroup.errors import InputError, PolicyError

__all__ = ["boundary_metric", "zone_polygons"]

_BOUNDARY_BUFFER_M = 2000.0  # default study area: the schools' convex hull plus 2 km


# -- zone polygons --------------------------------------------------------------------------


def boundary_metric(boundary: Any, schools: gpd.GeoDataFrame, crs: pyproj.CRS) -> shapely.Geometry:
    """The study area as one polygon in the metric CRS."""
    if boundary is None:
        pts = schools.geometry.to_crs(crs)
        return shapely.MultiPoint(list(pts)).convex_hull.buffer(_BOUNDARY_BUFFER_M)
    if isinstance(boundary, str | os.PathLike):
        try:
            boundary = gpd.read_file(boundary)
        except Exception as exc:  # pyogrio raises its own DataSourceError family
            raise InputError(
                f"boundary: cannot read {str(boundary)!r} as a vector file ({exc})"
            ) from None
    if isinstance(boundary, gpd.GeoDataFrame):
        boundary = boundary.geometry
    if isinstance(boundary, shapely.Geometry):
        boundary = gpd.GeoSeries([boundary], crs=S.WGS84)
    if not isinstance(boundary, gpd.GeoSeries):
        raise PolicyError(
            f"boundary: expected a polygon (shapely, GeoSeries, GeoDataFrame or a file path), "
            f"got {type(boundary).__name__}"
        )
    if boundary.crs is None:
        boundary = boundary.set_crs(S.WGS84)
    shape = shapely.make_valid(boundary.to_crs(crs).union_all())
    shape = _polygonal(shape)
    if shape.is_empty:
        raise InputError(
            "boundary: expected a polygon with an area, got none; give the study area's outline"
        )
    return shape


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of a geometry (an intersection may leave lines and points too)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def zone_polygons(
    schools: gpd.GeoDataFrame,
    boundary: shapely.Geometry,
    crs: pyproj.CRS,
    *,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """District polygons of a plan: Voronoi cells of the schools, dissolved per group.

    Parameters
    ----------
    schools
        A plan's schools frame (``group_id`` per school; unassigned schools get no zone,
        their cells stay blank).
    boundary
        Study area in ``crs``; every zone is clipped to it.
    crs
        Metric CRS the cells are drawn in.
    layer
        Column whose values are drawn separately (the school level under ``levels='same'``:
        the primary and the middle districts each cover the map).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``group_id``, columns ``area_km2`` and ``geometry`` (WGS-84).
    """
    pts = schools.geometry.to_crs(crs)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    grouped = (schools[S.ROLE] != S.UNASSIGNED) & schools[S.GROUP_ID].notna()
    groups = np.array(
        [g if ok else None for g, ok in zip(schools[S.GROUP_ID], grouped, strict=True)],
        dtype=object,
    )
    keys = (
        np.zeros(len(schools), dtype=object)
        if layer is None
        else schools[layer].astype(object).fillna("").to_numpy()
    )
    extent = (
        shapely.box(*np.concatenate([xy.min(axis=0), xy.max(axis=0)]))
        .union(boundary)
        .envelope.buffer(10_000)
    )
    shapes: dict[str, shapely.Geometry] = {}
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key)
        cells = _voronoi_cells(xy[rows], extent)
        for gid in sorted({g for g in groups[rows] if g is not None}):
            mine = [
                cells[k] for k, g in enumerate(groups[rows]) if g == gid and cells[k] is not None
            ]
            zone = shapely.union_all(mine).intersection(boundary) if mine else shapely.Polygon()
            shapes[gid] = _polygonal(shapely.make_valid(zone))
    index = pd.Index(sorted(shapes), name=S.GROUP_ID, dtype=object)
    geo = gpd.GeoSeries([shapes[g] for g in index], index=index, crs=crs)
    out = gpd.GeoDataFrame(
        {"area_km2": (geo.area / 1e6).round(3)}, geometry=geo.to_crs(S.WGS84), crs=S.WGS84
    )
    invalid = ~out.geometry.is_valid
    if invalid.any():
        out.loc[invalid, "geometry"] = out.geometry[invalid].make_valid()
    return out


def _voronoi_cells(
    xy: NDArray[np.float64], extent: shapely.Geometry
) -> list[shapely.Geometry | None]:
    """The Voronoi cell of every point (schools at one spot: the first one gets the cell)."""
    spots, first, spot_of = np.unique(
        np.round(xy, 3), axis=0, return_index=True, return_inverse=True
    )
    spot_of = spot_of.ravel()
    if len(spots) == 1:
        spot_cells = [extent]
    else:
        diagram = shapely.voronoi_polygons(shapely.MultiPoint(spots), extend_to=extent)
        polys = list(diagram.geoms)
        hit = shapely.STRtree(polys).query(shapely.points(spots), predicate="within")
        spot_cells = [None] * len(spots)
        for s, c in zip(hit[0].tolist(), hit[1].tolist(), strict=True):
            spot_cells[s] = polys[c]
    return [spot_cells[spot_of[k]] if first[spot_of[k]] == k else None for k in range(len(xy))]


HULL_BUFFER_M = 300.0
"""A group's shape is the convex hull of its schools grown by 300 m: one or two schools,
or schools in a row, still make an area."""


def group_hulls(
    lonlat: NDArray[np.float64],
    epsg: NDArray[np.int64],
    group: NDArray[np.int64],
    n_groups: int,
    buffer_m: float = HULL_BUFFER_M,
) -> tuple[NDArray[np.object_], NDArray[np.float64]]:
    """The shape of every group (WGS-84) and its Polsby–Popper compactness ``4πA / P²``.

    Each group is drawn in the metric CRS of its schools' unit (``epsg`` per school; the
    first school's, for a group across units): the convex hull of its schools grown by
    ``buffer_m``, measured there, then returned in WGS-84. ``group`` holds codes
    ``0..n_groups-1`` (-1: no group).

    Examples
    --------
    >>> lonlat = np.array([[122.0, 40.0], [122.01, 40.0], [122.0, 40.01]])
    >>> shapes, pp = group_hulls(lonlat, np.full(3, 32651), np.zeros(3, dtype=int), 1)
    >>> shapes[0].geom_type, round(float(pp[0]), 2)
    ('Polygon', 0.81)
    """
    shapes = np.full(n_groups, None, dtype=object)
    compact = np.full(n_groups, np.nan)
    at = np.flatnonzero(group >= 0)
    if not len(at):
        return shapes, compact
    first = np.full(n_groups, -1, dtype=np.int64)
    first[group[at[::-1]]] = at[::-1]
    home = np.where(first >= 0, epsg[np.maximum(first, 0)], 0)
    for code in np.unique(home[first >= 0]):
        mine = at[home[group[at]] == code]
        if code == 0:
            continue
        to = pyproj.Transformer.from_crs(S.WGS84, f"EPSG:{code}", always_xy=True)
        back = pyproj.Transformer.from_crs(f"EPSG:{code}", S.WGS84, always_xy=True)
        x, y = to.transform(lonlat[mine, 0], lonlat[mine, 1])
        order = np.argsort(group[mine], kind="stable")
        points = shapely.points(np.column_stack([x, y])[order])
        gids, local = np.unique(group[mine][order], return_inverse=True)
        hulls = shapely.convex_hull(shapely.multipoints(points, indices=local))
        grown = shapely.buffer(hulls, buffer_m)
        compact[gids] = 4.0 * np.pi * shapely.area(grown) / shapely.length(grown) ** 2
        shapes[gids] = shapely.transform(
            grown, lambda xy, b=back: np.column_stack(b.transform(*xy.T))
        )
    return shapes, compact
