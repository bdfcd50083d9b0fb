"""The map of the summary page, drawn with matplotlib in the plan's UTM zone (no tiles, no
network): the county outline (a boundary file, else the extent of the schools), each
group's area in its colour (the colours of the interactive map), lead–member links, leads
ringed, schools in no group in grey, compass sectors when the policy has them, a scale bar
and a north arrow."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from matplotlib import patheffects
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.spatial import ConvexHull, QhullError, cKDTree

from geogroup import rules
from geogroup import schema as S
from geogroup.locate import group_hulls
from geogroup.plan import Plan
from geogroup.present._colors import PALETTE, group_colors
from geogroup.present._fonts import heavy
from geogroup.present._labels import label
from geogroup.present._view import PlanView
from geogroup.read import read_boundary

__all__ = ["draw_map"]

_DETAIL = 5_000  # above this many schools: no links, no group labels, small points
_LABELS = 60  # group ids written on the map up to this many groups
_GEOD = pyproj.Geod(ellps="WGS84")
_HALO = [patheffects.withStroke(linewidth=1.6, foreground="white")]


def _rings_of(shapes: Any) -> tuple[list[np.ndarray], np.ndarray]:
    """The exterior rings of polygons (and of each part of multipolygons) as arrays, and
    the position in ``shapes`` each ring comes from."""
    geoms = np.asarray(shapes, dtype=object)
    keep = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    parts, owner = shapely.get_parts(geoms[keep], return_index=True)
    polygons = shapely.get_type_id(parts) == 3
    parts, owner = parts[polygons], keep[owner[polygons]]
    if not len(parts):
        return [], np.zeros(0, dtype=np.int64)
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    cuts = np.flatnonzero(np.diff(index)) + 1
    return np.split(coords, cuts), owner


def _rings(shapes: Any) -> list[np.ndarray]:
    """The exterior rings of polygons (and of each part of multipolygons) as arrays."""
    return _rings_of(shapes)[0]


def _project(shapes: gpd.GeoSeries, crs: pyproj.CRS) -> gpd.GeoSeries:
    return shapes.set_crs(S.WGS84, allow_override=True).to_crs(crs) if len(shapes) else shapes


def _outline(boundary: Any, xy: np.ndarray, crs: pyproj.CRS) -> tuple[list[np.ndarray], bool]:
    """The rings of the boundary in the map's CRS, and whether they are a real boundary
    (False: the schools' hull grown by 3 % of their extent, at least 1 km)."""
    if boundary is not None:
        shapes = read_boundary(boundary, argument="boundary")
        return _rings(shapes.to_crs(crs).to_numpy()), True
    finite = np.unique(xy[np.all(np.isfinite(xy), axis=1)], axis=0)
    if not len(finite):
        return [], False
    extent = float(np.max(np.ptp(finite, axis=0))) if len(finite) > 1 else 0.0
    try:
        corners = finite[ConvexHull(finite).vertices]
    except QhullError:  # fewer than three points, or all on one line
        corners = finite
    hull = shapely.convex_hull(shapely.multipoints(corners)).buffer(max(1000.0, 0.03 * extent))
    return _rings([hull]), False


def _colours(view: PlanView, plan: Plan | pd.DataFrame) -> list[str]:
    """Each group's colour: the interactive map's (:func:`group_colors`: neighbours
    differ) up to :data:`_DETAIL` schools; above, a quicker greedy colouring in which each
    group differs from the groups of its four nearest leads."""
    a = view.arrays
    if a.n <= _DETAIL and isinstance(plan, Plan | gpd.GeoDataFrame):
        found = group_colors(plan).reindex(a.group_names)
        return [c if isinstance(c, str) else "#999999" for c in found]
    head = a.lead_position()
    anchors = a.lonlat[np.maximum(head, 0)].copy()
    anchors[head < 0] = 0.0
    anchors = np.where(np.isfinite(anchors), anchors, 0.0)
    anchors[:, 0] *= np.cos(np.radians(np.clip(anchors[:, 1], -89.0, 89.0)))
    n = len(anchors)
    if n == 0:
        return []
    _, near = cKDTree(anchors).query(anchors, k=min(5, n))
    near = np.asarray(near).reshape(n, -1)
    colour = np.full(n, -1, dtype=np.int64)
    used = np.zeros(len(PALETTE), dtype=np.int64)
    for g in range(n):
        taken = set(colour[near[g]].tolist())
        free = [c for c in range(len(PALETTE)) if c not in taken] or list(range(len(PALETTE)))
        colour[g] = min(free, key=lambda c: (used[c], c))
        used[colour[g]] += 1
    return [PALETTE[c] for c in colour]


def _group_shapes(view: PlanView, plan: Plan | pd.DataFrame) -> np.ndarray:
    """Each group's polygon in WGS-84: the plan's zones, else its schools' hull."""
    a = view.arrays
    zones = plan.zones if isinstance(plan, Plan) else None
    if zones is not None:
        zones = zones.to_crs(S.WGS84) if zones.crs else zones.set_crs(S.WGS84)
        found = zones.geometry.set_axis(zones.index.map(str))
        return found.reindex(a.group_names).to_numpy(dtype=object)
    group = np.where(a.assigned, a.group, -1)
    shapes, _ = group_hulls(a.lonlat, a.epsg, group, len(a.group_names))
    return shapes


def _nice_km(span_m: float) -> float:
    """A round length near a fifth of ``span_m``, in km."""
    target = max(span_m / 5000.0, 0.1)
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000):
        if step >= target * 0.6:
            return float(step)
    return 5000.0


def _scale_and_north(ax: Any, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km = _nice_km(x1 - x0)
    left, base = x0 + 0.04 * (x1 - x0), y0 + 0.035 * (y1 - y0)
    ax.plot(
        [left, left + km * 1000.0], [base, base], color="#222", linewidth=2.2, solid_capstyle="butt"
    )
    ax.text(
        left,
        base + 0.012 * (y1 - y0),
        label("scale_km", lang).format(km=km),
        fontsize=7,
        va="bottom",
        path_effects=_HALO,
    )
    ax.annotate(
        label("north", lang),
        xy=(0.955, 0.955),
        xytext=(0.955, 0.875),
        xycoords="axes fraction",
        ha="center",
        va="top",
        fontsize=8,
        fontweight=heavy(lang),
        arrowprops={"arrowstyle": "-|>", "color": "#222", "linewidth": 1.2},
    )


def _sectors(ax: Any, view: PlanView, crs: pyproj.CRS, xy: np.ndarray, lang: str) -> bool:
    """The sector boundaries (rays from each unit's centre) and the sectors' names."""
    n = view.policy.sectors
    a = view.arrays
    if not n or not a.centres:
        return False
    transformer = pyproj.Transformer.from_crs(S.WGS84, crs, always_xy=True)
    names = rules.SECTOR_NAMES.get(n)
    for code, (lon, lat) in sorted(a.centres.items()):
        at = (a.by_code == code) & np.all(np.isfinite(xy), axis=1)
        cx, cy = transformer.transform(lon, lat)
        if not at.any():
            continue
        radius = 1.08 * float(np.max(np.hypot(xy[at, 0] - cx, xy[at, 1] - cy))) or 1000.0
        width = 360.0 / n
        for k in range(n):
            bearing = (k + 0.5) * width
            end_lon, end_lat, _ = _GEOD.fwd(lon, lat, bearing, radius)
            path = [(lon, lat), *_GEOD.npts(lon, lat, end_lon, end_lat, 24), (end_lon, end_lat)]
            px, py = transformer.transform(*np.asarray(path).T)
            ax.plot(px, py, color="#8b1a1a", linewidth=0.9, linestyle=(0, (5, 3)), zorder=5)
            mid_lon, mid_lat, _ = _GEOD.fwd(lon, lat, k * width, 0.9 * radius)
            mx, my = transformer.transform(mid_lon, mid_lat)
            name = label(f"sector:{names[k]}", lang) if names else str(k + 1)
            ax.text(
                mx,
                my,
                name,
                color="#8b1a1a",
                fontsize=10,
                fontweight=heavy(lang),
                ha="center",
                va="center",
                zorder=7,
                path_effects=_HALO,
            )
        ax.plot(
            [cx],
            [cy],
            marker="P",
            color="#8b1a1a",
            markersize=7,
            zorder=8,
            markeredgecolor="white",
            markeredgewidth=0.6,
        )
    return True


def _box(xy: np.ndarray, finite: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The map's extent (lower-left, upper-right): every school, or, for more than 50, the
    central 99 % of them in each direction and a tenth more, so that a few schools far away
    (an island, a wrong coordinate) do not shrink the county to a dot."""
    points = xy[finite]
    if len(points) < 50:
        return points.min(axis=0), points.max(axis=0)
    low, high = np.percentile(points, 0.5, axis=0), np.percentile(points, 99.5, axis=0)
    span = np.maximum(high - low, 1000.0)
    return np.maximum(points.min(axis=0), low - 0.1 * span), np.minimum(
        points.max(axis=0), high + 0.1 * span
    )


def _projected(view: PlanView) -> tuple[np.ndarray, np.ndarray, pyproj.CRS]:
    """The schools in the UTM zone of the plan (NaN where a point is missing)."""
    a = view.arrays
    finite = np.all(np.isfinite(a.lonlat), axis=1)
    points = gpd.GeoSeries(gpd.points_from_xy(*a.lonlat[finite].T), crs=S.WGS84)
    crs = rules.metric_crs(points)
    xy = np.full_like(a.lonlat, np.nan)
    xy[finite] = np.column_stack(
        pyproj.Transformer.from_crs(S.WGS84, crs, always_xy=True).transform(*a.lonlat[finite].T)
    )
    return xy, finite, crs


def draw_map(ax: Any, view: PlanView, plan: Plan | pd.DataFrame, lang: str, boundary: Any) -> None:
    """Draw the plan's map into ``ax`` (see the module docstring)."""
    a = view.arrays
    if not np.isfinite(a.lonlat).all(axis=1).any():
        ax.set_axis_off()
        return
    xy, finite, crs = _projected(view)
    low, high = _box(xy, finite)
    inside = finite & np.all((xy >= low) & (xy <= high), axis=1)
    rings, real = _outline(boundary, np.where(inside[:, None], xy, np.nan), crs)
    ax.add_collection(
        PolyCollection(
            rings,
            facecolor="#f6f4ee",
            edgecolor="#555" if real else "#999",
            linewidth=0.9 if real else 0.7,
            linestyle="-" if real else "--",
            zorder=1,
        )
    )
    colours = _draw_groups(ax, view, plan, crs, xy, finite)
    _draw_schools(ax, view, xy, finite, colours)
    sectors = _sectors(ax, view, crs, xy, lang)
    if real and rings:
        corners = np.concatenate(rings)
        low, high = np.minimum(low, corners.min(axis=0)), np.maximum(high, corners.max(axis=0))
    pad = 0.04 * max(float(np.max(high - low)), 1000.0)
    ax.set_xlim(low[0] - pad, high[0] + pad)
    ax.set_ylim(low[1] - pad, high[1] + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#bbb")
    off = int((finite & ~inside).sum())
    if off:
        ax.text(
            0.02,
            0.975,
            label("off_map", lang).format(n=off),
            transform=ax.transAxes,
            fontsize=6.5,
            va="top",
            color="#555",
            path_effects=_HALO,
        )
    _scale_and_north(ax, lang)
    _legend(ax, lang, real, sectors, bool((~a.assigned & finite).any()))


def _draw_groups(
    ax: Any,
    view: PlanView,
    plan: Plan | pd.DataFrame,
    crs: pyproj.CRS,
    xy: np.ndarray,
    finite: np.ndarray,
) -> np.ndarray:
    """Each group's area in its colour, and the lead–member links up to :data:`_DETAIL`
    schools; returns each group's colour (grey last, for schools in no group)."""
    a = view.arrays
    detail = a.n <= _DETAIL
    shapes = _group_shapes(view, plan)
    colours = _colours(view, plan) if len(shapes) else []
    polys, owner = _rings_of(_project(gpd.GeoSeries(shapes), crs).to_numpy())
    fills = [colours[k] for k in owner.tolist()]
    ax.add_collection(
        PolyCollection(
            polys,
            facecolors=fills,
            edgecolors=fills,
            alpha=0.28,
            linewidth=0.5,
            zorder=2,
            rasterized=not detail,
        )
    )
    group_colour = np.array([*colours, "#999999"], dtype=object)
    if detail:
        head = a.lead_position()
        members = np.flatnonzero(a.member & finite)
        lead_of = head[a.group[members]]
        ok = (lead_of >= 0) & finite[np.maximum(lead_of, 0)]
        segments = np.stack([xy[members[ok]], xy[lead_of[ok]]], axis=1)
        ax.add_collection(
            LineCollection(
                segments,
                colors=list(group_colour[a.group[members[ok]]]),
                linewidth=0.5,
                alpha=0.7,
                zorder=3,
            )
        )
    return group_colour


def _draw_schools(
    ax: Any, view: PlanView, xy: np.ndarray, finite: np.ndarray, group_colour: np.ndarray
) -> None:
    """Members, leads (ringed), schools in no group (grey crosses) and the groups' ids."""
    a = view.arrays
    detail = a.n <= _DETAIL
    code = np.where(a.assigned, a.group, -1)
    for mask, size, edge, width, zorder in (
        (a.member & finite, 9.0 if detail else 1.5, "white", 0.25 if detail else 0.0, 4),
        (a.lead & finite, 26.0 if detail else 4.0, "#111", 0.8 if detail else 0.2, 6),
    ):
        ax.scatter(
            xy[mask, 0],
            xy[mask, 1],
            s=size,
            c=list(group_colour[code[mask]]),
            edgecolors=edge,
            linewidths=width,
            zorder=zorder,
            rasterized=not detail,
        )
    out = ~a.assigned & finite
    ax.scatter(
        xy[out, 0],
        xy[out, 1],
        s=14.0 if detail else 3.0,
        marker="x",
        c="#777",
        linewidths=0.8,
        zorder=6,
    )
    if not detail or len(a.group_names) > _LABELS:
        return
    for g, h in enumerate(a.lead_position()):
        if h >= 0 and finite[h]:
            ax.annotate(
                a.group_names[g],
                xy=tuple(xy[h]),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=5.5,
                zorder=9,
                path_effects=_HALO,
            )


def _legend(ax: Any, lang: str, real: bool, sectors: bool, unassigned: bool) -> None:
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=6,
            markerfacecolor=PALETTE[0],
            markeredgecolor="#111",
            label=label("legend_lead", lang),
        ),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=4,
            markerfacecolor=PALETTE[0],
            markeredgecolor="white",
            label=label("legend_member", lang),
        ),
        Patch(
            facecolor="#f6f4ee",
            edgecolor="#555" if real else "#999",
            linestyle="-" if real else "--",
            label=label("legend_boundary" if real else "legend_outline", lang),
        ),
    ]
    if unassigned:
        handles.insert(
            2,
            Line2D(
                [],
                [],
                marker="x",
                linestyle="",
                color="#777",
                label=label("legend_unassigned", lang),
            ),
        )
    if sectors:
        handles.append(
            Line2D(
                [], [], color="#8b1a1a", linestyle=(0, (5, 3)), label=label("legend_sectors", lang)
            )
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="P",
                linestyle="",
                color="#8b1a1a",
                label=label("legend_centre", lang),
            )
        )
    ax.legend(
        handles=handles,
        loc="lower right",
        fontsize=6.5,
        frameon=True,
        framealpha=0.85,
        edgecolor="#ccc",
    )
