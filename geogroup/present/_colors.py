"""Group colours: neighbouring groups of a plan in different colours of :data:`PALETTE`.

Also the plan's schools, zones and group polygons as the maps read them (WGS-84), since
the colouring and the drawing need the same ones.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.plan import Plan, groups_table

__all__ = ["PALETTE", "group_colors", "group_shapes", "schools_of", "zones_of"]

PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
)
"""Twelve qualitative colours (Tableau 10 without its grey, and three of ColorBrewer Dark2).
Grey is kept for unassigned schools."""

_NEAREST = 3  # each group's nearest groups (by lead) count as neighbours for colouring


def schools_of(plan: Plan | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The plan's schools in WGS-84, after checking they can be drawn."""
    schools = plan.schools if isinstance(plan, Plan) else plan
    if not isinstance(schools, gpd.GeoDataFrame):
        raise InputError(
            f"plan: expected a Plan or a GeoDataFrame of schools with group_id and role, got "
            f"{type(plan).__name__}; read a saved plan with geogroup.read_plan()"
        )
    missing = [c for c in (S.NAME, S.QUALITY, S.GROUP_ID, S.ROLE) if c not in schools]
    if missing:
        raise InputError(
            f"plan: missing column(s) {', '.join(missing)} needed for a map; "
            f"it has {', '.join(map(str, schools.columns))}"
        )
    if schools.crs is None:
        raise InputError("plan: the schools have no CRS; set it with set_crs('EPSG:4326')")
    return schools.to_crs(S.WGS84)


def zones_of(plan: Plan | gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The district polygons of a zone plan in WGS-84 (assumed when they have no CRS)."""
    zones = plan.zones if isinstance(plan, Plan) else None
    if zones is None:
        return None
    return zones.to_crs(S.WGS84) if zones.crs else zones.set_crs(S.WGS84)


def group_shapes(schools: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """:func:`~geogroup.plan.groups_table` (its polygons: zones, or hulls given a body), also
    for a hand-made plan without ``distance_km``."""
    if S.DISTANCE_KM not in schools:
        schools = schools.assign(**{S.DISTANCE_KM: np.nan})
    return groups_table(schools, zones=zones)


def _neighbour_pairs(shapes: gpd.GeoSeries, anchors: np.ndarray) -> np.ndarray:
    """Pairs (i, j), i < j, of groups whose shapes intersect or whose anchors are near."""
    geoms = shapes.to_numpy()
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    tree = shapely.STRtree(np.where(valid, geoms, None))
    left, right = tree.query(np.where(valid, geoms, None), predicate="intersects")
    pairs = [np.column_stack([left, right])]
    n = len(anchors)
    if n > 1:
        scale = np.cos(np.radians(np.nanmean(anchors[:, 1])))
        xy = np.column_stack([anchors[:, 0] * scale, anchors[:, 1]])
        k = min(_NEAREST + 1, n)
        _, idx = cKDTree(xy).query(xy, k=k)
        pairs.append(np.column_stack([np.repeat(np.arange(n), k - 1), idx[:, 1:].ravel()]))
    both = np.sort(np.concatenate(pairs), axis=1)
    return np.unique(both[both[:, 0] != both[:, 1]], axis=0)


def _lead_points(schools: gpd.GeoDataFrame, groups: gpd.GeoDataFrame) -> np.ndarray:
    """Each group's lead as (lon, lat); the polygon's centre for a group without a lead."""
    leads = schools[schools[S.ROLE].astype(str) == S.LEAD]
    leads = leads[~leads[S.GROUP_ID].duplicated()].set_index(S.GROUP_ID).geometry
    points = leads.reindex(groups.index)
    centres = groups.geometry.representative_point()
    points = points.where(points.notna(), centres)
    return np.column_stack([shapely.get_x(points.to_numpy()), shapely.get_y(points.to_numpy())])


def _colour_indices(groups: gpd.GeoDataFrame, anchors: np.ndarray, n_colors: int) -> pd.Series:
    """Greedy colouring that spreads the palette: groups in networkx's largest-first order,
    each taking, of the colours its coloured neighbours do not use, the least used so far."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(groups)))
    graph.add_edges_from(map(tuple, _neighbour_pairs(groups.geometry, anchors)))
    colour: dict[int, int] = {}
    used = np.zeros(n_colors, dtype=int)
    for node in nx.coloring.strategy_largest_first(graph, colour):
        taken = {colour[v] for v in graph[node] if v in colour}
        free = [c for c in range(n_colors) if c not in taken]
        # A group with more neighbours than colours shares the least used colour.
        choice = min(free or range(n_colors), key=lambda c: (used[c], c))
        colour[node] = choice
        used[choice] += 1
    return pd.Series([colour[i] for i in range(len(groups))], index=groups.index)


def group_colors(
    plan: Plan | gpd.GeoDataFrame, palette: tuple[str, ...] | list[str] = PALETTE
) -> pd.Series:
    """A colour for every group, different for neighbouring groups where the palette allows.

    Two groups are neighbours when their polygons (hulls, or zones of a zone plan) touch or
    overlap, or when one's lead is among the other's three nearest leads. The groups are
    coloured greedily, most neighbours first (networkx's largest-first order), each with the
    least used colour that none of its neighbours has, so the whole palette is used. Two
    neighbours share a colour only when a group has more neighbours than the palette has
    colours.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> colors = group_colors(plan)
    >>> colors.index.tolist(), colors["G1"] != colors["G2"]
    (['G1', 'G2'], True)
    """
    if not palette:
        raise InputError("palette: expected at least one colour, got none")
    schools = schools_of(plan)
    groups = group_shapes(schools, zones_of(plan))
    if groups.empty:
        return pd.Series([], index=groups.index, dtype=object, name="color")
    indices = _colour_indices(groups, _lead_points(schools, groups), len(palette))
    return indices.map(lambda c: palette[c]).astype(object).rename("color")
