"""Group colours: neighbouring groups of a plan in different colours of :data:`PALETTE`.

Also the plan as the maps read it: its schools (WGS-84), the rulebook's arrays of it
(:func:`geogroup.rules.plan_arrays`, read once per map) and its groups' polygons (zones, or
hulls drawn in each unit's UTM zone as ``groups.csv`` has them), since the colouring and
the drawing need the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.locate import group_hulls
from geogroup.plan import Plan
from geogroup.policy import Policy

__all__ = ["PALETTE", "DrawnGroups", "colour_groups", "drawn_groups", "group_colors", "schools_of"]

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


def _zones_of(plan: Plan | gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The district polygons of a zone plan in WGS-84 (assumed when they have no CRS)."""
    zones = plan.zones if isinstance(plan, Plan) else None
    if zones is None:
        return None
    return zones.to_crs(S.WGS84) if zones.crs else zones.set_crs(S.WGS84)


@dataclass
class DrawnGroups:
    """A plan's groups as the maps draw them, from one reading of the rulebook."""

    arrays: rules.PlanArrays  # the rulebook's arrays of the plan's schools
    codes: np.ndarray  # the arrays' group code of each drawn group
    index: pd.Index  # the drawn groups' ids (the groups holding an assigned school), sorted
    shapes: np.ndarray  # WGS-84 polygon of each (None when it has none)
    zones: bool  # the shapes are a zone plan's districts

    def lead_points(self) -> np.ndarray:
        """Each group's lead as (lon, lat); the polygon's inner point without one."""
        head = self.arrays.lead_position()[self.codes]
        lonlat = self.arrays.lonlat[np.maximum(head, 0)]
        inner = shapely.point_on_surface(self.shapes)
        inner_xy = np.column_stack([shapely.get_x(inner), shapely.get_y(inner)])
        points = np.where((head >= 0)[:, None], lonlat, inner_xy)
        return np.where(np.isnan(points), self.mean_points(), points)

    def mean_points(self) -> np.ndarray:
        """The mean place (lon, lat) of each group's assigned schools."""
        a = self.arrays
        n = np.bincount(a.group[a.assigned], minlength=len(a.group_names))[self.codes]
        sums = [
            np.bincount(a.group[a.assigned], a.lonlat[a.assigned, k], len(a.group_names))
            for k in (0, 1)
        ]
        return np.column_stack([s[self.codes] / np.maximum(n, 1) for s in sums])


def drawn_groups(plan: Plan | gpd.GeoDataFrame, schools: gpd.GeoDataFrame) -> DrawnGroups:
    """The groups of ``plan`` (whose WGS-84 schools are ``schools``): the rulebook's arrays
    under the plan's policy, ``by`` and distances, and each group's polygon."""
    policy, by, table = Policy(name="unknown"), None, None
    if isinstance(plan, Plan):
        policy, by, table = plan.policy, plan.params.get("by"), plan.distances
    arrays = rules.plan_arrays(schools, policy, by if by in schools else None, table)
    held = np.bincount(arrays.group[arrays.assigned], minlength=len(arrays.group_names))
    codes = np.flatnonzero(held > 0)
    index = pd.Index([arrays.group_names[c] for c in codes], name=S.GROUP_ID, dtype=object)
    zones = _zones_of(plan)
    if zones is not None:
        found = zones.geometry.set_axis(zones.index.astype(str))
        shapes = found[~found.index.duplicated()].reindex(index).to_numpy(dtype=object)
    else:
        group = np.where(arrays.assigned, arrays.group, -1)
        hulls, _ = group_hulls(arrays.lonlat, arrays.epsg, group, len(arrays.group_names))
        shapes = hulls[codes]
    return DrawnGroups(arrays, codes, index, shapes, zones is not None)


def _neighbour_pairs(shapes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Pairs (i, j), i < j, of groups whose shapes intersect or whose anchors are near."""
    valid = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    geoms = np.where(valid, shapes, None)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
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


def _colour_indices(shapes: np.ndarray, anchors: np.ndarray, n_colors: int) -> list[int]:
    """Greedy colouring that spreads the palette: groups in largest-first order (most
    neighbours first, ties in group order, as networkx's ``strategy_largest_first``), each
    taking, of the colours its coloured neighbours do not use, the least used so far."""
    n = len(shapes)
    pairs = _neighbour_pairs(shapes, anchors)
    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else np.zeros((0, 2), int)
    both = both[np.argsort(both[:, 0], kind="stable")]
    starts = np.searchsorted(both[:, 0], np.arange(n + 1))
    neighbours = both[:, 1].tolist()
    degree = np.diff(starts)
    colour = [-1] * n
    used = [0] * n_colors
    for node in np.argsort(-degree, kind="stable").tolist():
        taken = {colour[v] for v in neighbours[starts[node] : starts[node + 1]]}
        free = [c for c in range(n_colors) if c not in taken]
        # A group with more neighbours than colours shares the least used colour.
        choice = min(free or range(n_colors), key=lambda c: (used[c], c))
        colour[node] = choice
        used[choice] += 1
    return colour


def colour_groups(groups: DrawnGroups, palette: tuple[str, ...] | list[str] = PALETTE) -> pd.Series:
    """A colour for each of ``groups`` (see :func:`group_colors`)."""
    if not palette:
        raise InputError("palette: expected at least one colour, got none")
    if not len(groups.index):
        return pd.Series([], index=groups.index, dtype=object, name="color")
    indices = _colour_indices(groups.shapes, groups.lead_points(), len(palette))
    return pd.Series([palette[c] for c in indices], index=groups.index, dtype=object, name="color")


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
    return colour_groups(drawn_groups(plan, schools_of(plan)), palette)
