"""Zone polygons: the Voronoi cells of the schools dissolved per group, clipped to a
study boundary."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geogroup import schema as S
from geogroup.errors import InputError, PolicyError
from geogroup.read import read_boundary

__all__ = ["boundary_metric", "cells_touch", "one_piece", "zone_polygons"]

_BOUNDARY_BUFFER_M = 2000.0  # default study area: the schools' convex hull plus 2 km
_TOUCH_M = 1.0  # two zone parts closer than this touch


# -- zone polygons --------------------------------------------------------------------------


def boundary_metric(boundary: Any, schools: gpd.GeoDataFrame, crs: pyproj.CRS) -> shapely.Geometry:
    """The study area as one polygon in the metric CRS."""
    if boundary is None:
        pts = schools.geometry.to_crs(crs)
        return shapely.MultiPoint(list(pts)).convex_hull.buffer(_BOUNDARY_BUFFER_M)
    if isinstance(boundary, str | os.PathLike):  # a vector file, or 'cn:<name or adcode>'
        boundary = read_boundary(
            boundary if isinstance(boundary, str) else Path(boundary), argument="boundary"
        )
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
    lead = (schools[S.ROLE] == S.LEAD).to_numpy()
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key)
        cells = _voronoi_cells(xy[rows], extent)
        layer_shapes: dict[str, shapely.Geometry] = {}
        for gid in sorted({g for g in groups[rows] if g is not None}):
            mine = [
                cells[k] for k, g in enumerate(groups[rows]) if g == gid and cells[k] is not None
            ]
            zone = shapely.union_all(mine).intersection(boundary) if mine else shapely.Polygon()
            layer_shapes[gid] = _polygonal(shapely.make_valid(zone))
        shapes |= one_piece(layer_shapes, xy[rows], groups[rows], lead[rows])
    index = pd.Index(sorted(shapes), name=S.GROUP_ID, dtype=object)
    geo = gpd.GeoSeries([shapes[g] for g in index], index=index, crs=crs)
    out = gpd.GeoDataFrame(
        {"area_km2": (geo.area / 1e6).round(3)}, geometry=geo.to_crs(S.WGS84), crs=S.WGS84
    )
    invalid = ~out.geometry.is_valid
    if invalid.any():
        out.loc[invalid, "geometry"] = out.geometry[invalid].make_valid()
    return out


def cells_touch(
    xy: NDArray[np.float64], pairs: NDArray[np.int64], boundary: shapely.Geometry
) -> NDArray[np.bool_]:
    """Whether the Voronoi cells of each pair of points, clipped to ``boundary``, touch (a
    shared border, or a corner), each cell counted only in the part where its school stands:
    two schools on either side of a bay of the county line touch outside the county only,
    and their district would be cut in two there.

    Examples
    --------
    >>> u = shapely.Polygon([(0, 0), (3000, 0), (3000, 3000), (2000, 3000), (2000, 1000),
    ...                      (1000, 1000), (1000, 3000), (0, 3000)])  # a U, open at the top
    >>> xy = np.array([[500.0, 2500.0], [2500.0, 2500.0], [1500.0, 500.0]])
    >>> cells_touch(xy, np.array([[0, 1], [0, 2], [1, 2]]), u).tolist()
    [False, True, True]
    """
    if not len(pairs):
        return np.zeros(0, dtype=bool)
    box = shapely.box(*np.concatenate([xy.min(axis=0), xy.max(axis=0)]))
    extent = box.union(boundary).envelope.buffer(10_000)
    cells = np.array(_voronoi_cells(xy, extent), dtype=object)
    present = np.array([c is not None for c in cells], dtype=bool)
    cells[~present] = shapely.Polygon()
    clipped = _home_parts(shapely.intersection(cells, boundary), xy)
    a, b = clipped[pairs[:, 0]], clipped[pairs[:, 1]]
    return ~shapely.is_empty(a) & ~shapely.is_empty(b) & (shapely.distance(a, b) <= _TOUCH_M / 10)


def _home_parts(cells: NDArray[np.object_], xy: NDArray[np.float64]) -> NDArray[np.object_]:
    """Of each clipped cell, the part where its school stands (the nearest part for a school
    outside the area): the other parts are cut off from it by the boundary."""
    out = cells.copy()
    for i in np.flatnonzero(shapely.get_num_geometries(cells) > 1):
        parts = shapely.get_parts(cells[i])
        out[i] = parts[int(np.argmin(shapely.distance(parts, shapely.Point(xy[i]))))]
    return out


def one_piece(
    shapes: dict[str, shapely.Geometry],
    xy: NDArray[np.float64],
    groups: NDArray[np.object_],
    lead: NDArray[np.bool_],
) -> dict[str, shapely.Geometry]:
    """Each zone in one piece: a part cut off from its zone (by a bend of the boundary) that
    holds none of its schools joins the zone it shares the longest border with. A part that
    holds some of the zone's schools, or touches no other zone, stays, and a warning names
    it. The main part of a zone is the one with its lead (else the most schools, else the
    largest)."""
    out = dict(shapes)
    points = shapely.points(xy)
    stranded: list[str] = []
    for gid in sorted(shapes):
        parts = _touching(shapely.get_parts(out[gid]))
        if len(parts) < 2:
            continue
        mine = groups == gid
        main = _main_part(parts, points[mine], lead[mine])
        kept = [parts[main]]
        for k, part in enumerate(parts):
            if k == main:
                continue
            holds = bool(shapely.covers(part, points[mine]).any())
            other = None if holds else _longest_border(part, out, gid)
            if other is None:
                kept.append(part)
                stranded.append(
                    f"{gid} ({part.area / 1e6:,.2f} km², "
                    + ("with some of its schools" if holds else "next to no other district")
                    + ")"
                )
                continue
            out[other] = _merged(out[other], part)
        out[gid] = shapely.union_all(kept) if len(kept) > 1 else kept[0]
    if stranded:
        warnings.warn(
            f"{len(stranded)} district polygon(s) stay in more than one piece after clipping to "
            f"the boundary: {'; '.join(stranded[:10])}; the parts are drawn as they are",
            UserWarning,
            stacklevel=3,
        )
    return out


def _touching(parts: NDArray[np.object_]) -> list[shapely.Geometry]:
    """The polygons with an area, those that touch (even at one corner; closer than
    ``_TOUCH_M / 10``, for the rounding of the Voronoi cells) joined: the pieces a zone is
    really in."""
    parts = [p for p in parts if p.area > 0]
    if len(parts) < 2:
        return parts
    hits = shapely.STRtree(parts).query(parts, predicate="dwithin", distance=_TOUCH_M / 10)
    graph = sp.coo_matrix((np.ones(hits.shape[1]), (hits[0], hits[1])), shape=(len(parts),) * 2)
    n, label = connected_components(graph, directed=False)
    return [
        shapely.union_all([p for p, k in zip(parts, label, strict=True) if k == c])
        for c in range(n)
    ]


def _main_part(
    parts: list[shapely.Geometry], points: NDArray[np.object_], lead: NDArray[np.bool_]
) -> int:
    holds = np.array([shapely.covers(p, points) for p in parts])  # parts × schools
    with_lead = np.flatnonzero(holds[:, lead].any(axis=1)) if lead.any() else []
    if len(with_lead):
        return int(with_lead[0])
    counts = holds.sum(axis=1)
    return int(np.lexsort(([-p.area for p in parts], -counts))[0])


def _longest_border(
    part: shapely.Geometry, shapes: dict[str, shapely.Geometry], gid: str
) -> str | None:
    """The other zone that shares the longest border with ``part`` (None: none does)."""
    rim = part.buffer(_TOUCH_M)
    best, best_area = None, 0.0
    for other, shape in sorted(shapes.items()):
        if other == gid or shape.is_empty:
            continue
        shared = rim.intersection(shape).area
        if shared > best_area + 1e-9:
            best, best_area = other, shared
    return best


def _merged(shape: shapely.Geometry, part: shapely.Geometry) -> shapely.Geometry:
    """A zone with a part that touches it: one polygon, the hairline seams between them
    closed (both come from one clipped Voronoi diagram, but not to the last bit)."""
    joined = shapely.union_all([shape, part])
    if joined.geom_type == "MultiPolygon":
        closed = joined.buffer(_TOUCH_M / 10).buffer(-_TOUCH_M / 10)
        if closed.geom_type == "Polygon" or len(shapely.get_parts(closed)) < len(
            shapely.get_parts(joined)
        ):
            joined = closed
    return _polygonal(shapely.make_valid(joined))


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
    key = _hull_key(lonlat, epsg, group, n_groups, buffer_m)
    if key in _HULLS:  # the same plan drawn again (its table, report, summary and map)
        shapes, compact = _HULLS[key]
        return shapes.copy(), compact.copy()
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
    _HULLS[key] = (shapes.copy(), compact.copy())
    while len(_HULLS) > _HULLS_KEPT:
        _HULLS.pop(next(iter(_HULLS)))
    return shapes, compact


_HULLS: dict[tuple[Any, ...], tuple[NDArray[np.object_], NDArray[np.float64]]] = {}
_HULLS_KEPT = 4  # the last few plans' hulls (shapes are immutable; the arrays are copied)


def _hull_key(
    lonlat: NDArray[np.float64],
    epsg: NDArray[np.int64],
    group: NDArray[np.int64],
    n_groups: int,
    buffer_m: float,
) -> tuple[Any, ...]:
    digest = hashlib.blake2b(digest_size=16)
    for array, dtype in ((lonlat, np.float64), (epsg, np.int64), (group, np.int64)):
        values = np.ascontiguousarray(array, dtype=dtype)
        digest.update(repr(values.shape).encode())
        digest.update(values.tobytes())
    return digest.hexdigest(), int(n_groups), float(buffer_m)
