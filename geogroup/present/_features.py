"""What a map draws of one plan: its data in display coordinates, as GeoJSON features.

Schools are points whose short properties the page turns into popups; group areas and
lead–member links carry a group position and a style index into one list of styles that
the page holds once. Every string from the input is escaped here, before it reaches the
page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogroup import schema as S
from geogroup.evaluate import distance_to_lead, group_metrics
from geogroup.plan import Plan
from geogroup.present._colors import PALETTE, group_colors, group_shapes, schools_of, zones_of
from geogroup.present._options import MapOptions
from geogroup.present._text import escape, is_missing
from geogroup.read import wgs84_to_gcj02

__all__ = [
    "PlanData",
    "Styles",
    "area_features",
    "collection",
    "display",
    "geojson",
    "group_rows",
    "link_features",
    "plan_data",
    "school_features",
    "school_style",
]

_UNASSIGNED_FILL, _UNASSIGNED_LINE = "#9e9e9e", "#616161"
_LEAD_RING = "#1a1a1a"
_DIGITS = 6  # about 0.1 m: enough for a school, and a third fewer bytes than full floats
_SIMPLIFY_DEG = (1e-4, 5e-4)  # about 10 m, and 50 m above the detail limit


# --- geometry for display ----------------------------------------------------------------


def display(geoms: np.ndarray, gcj: bool) -> np.ndarray:
    """Geometries as drawn: rounded, and shifted vertex by vertex into GCJ-02 for AMap."""

    def move(xy: np.ndarray) -> np.ndarray:
        if gcj and len(xy):
            xy = np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        return np.round(xy, _DIGITS)

    return shapely.transform(geoms, move)


def geojson(geom: Any) -> dict[str, Any]:
    """A shapely geometry as a GeoJSON geometry object."""
    return json.loads(shapely.to_geojson(geom))


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``features``."""
    return {"type": "FeatureCollection", "features": features}


# --- the pieces of one plan --------------------------------------------------------------


@dataclass
class PlanData:
    """Everything drawn for one plan, in display coordinates."""

    schools: gpd.GeoDataFrame
    groups: gpd.GeoDataFrame  # groups_table + group_metrics figures, display geometry
    colors: pd.Series
    xy: np.ndarray  # display coordinates of the schools
    roles: np.ndarray  # 'lead', 'member' (any other role in a group) or 'unassigned'
    distance: pd.Series
    zones: bool
    detailed: bool
    rejected: int
    title: str
    notes: dict[str, str]  # school id -> note, for the highlighted schools


def _roles(schools: pd.DataFrame) -> np.ndarray:
    """Roles as evaluate reads them: no group means unassigned, a non-lead in a group is a
    member."""
    group = _column(schools, S.GROUP_ID)
    roles = []
    for r, g in zip(_column(schools, S.ROLE), group, strict=True):
        r = "" if is_missing(r) else str(r).strip().lower()
        roles.append(
            S.UNASSIGNED
            if is_missing(g) or r == S.UNASSIGNED
            else S.LEAD
            if r == S.LEAD
            else S.MEMBER
        )
    return np.array(roles, dtype=object)


def plan_data(
    plan: Plan | gpd.GeoDataFrame,
    opts: MapOptions,
    colors: pd.Series | None,
    notes: dict[str, str],
) -> PlanData:
    """The data of one plan as drawn with ``opts``; ``colors`` by group (None: its own
    :func:`group_colors`), ``notes`` by school id for the highlighted schools."""
    schools = schools_of(plan)
    zones = zones_of(plan)
    shapes = group_shapes(schools, zones)
    figures = group_metrics(plan) if len(shapes) else pd.DataFrame(index=shapes.index)
    groups = shapes[["geometry"]].join(figures, how="left")
    if colors is None:
        colors = group_colors(plan) if len(groups) else pd.Series([], dtype=object)
    detailed = len(schools) <= opts.detail_limit
    tolerance = _SIMPLIFY_DEG[0] if detailed else _SIMPLIFY_DEG[1]
    simplified = shapely.simplify(groups.geometry.to_numpy(), tolerance, preserve_topology=True)
    groups = groups.set_geometry(gpd.GeoSeries(display(simplified, opts.gcj), index=groups.index))
    points = display(schools.geometry.to_numpy(), opts.gcj)
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    rejected = 0
    title = ""
    if isinstance(plan, Plan):
        rejected = 0 if plan.rejected is None else int(plan.rejected["row"].nunique())
        title = f"{plan.policy.name} · {plan.method}"
    return PlanData(
        schools=schools,
        groups=groups,
        colors=colors.reindex(groups.index).fillna(PALETTE[0]),
        xy=xy,
        roles=_roles(schools),
        distance=distance_to_lead(schools),
        zones=zones is not None,
        detailed=detailed,
        rejected=rejected,
        title=title,
        notes=notes,
    )


def school_style(role: str, area: Any, color: str) -> dict[str, Any]:
    """The circle of a school: leads larger with a dark ring, rural schools lighter."""
    rural = area == S.RURAL
    if role == S.LEAD:
        return {
            "radius": 9,
            "weight": 3,
            "color": _LEAD_RING,
            "opacity": 1,
            "fill": True,
            "fillColor": color,
            "fillOpacity": 0.6 if rural else 1,
        }
    if role == S.UNASSIGNED:
        return {
            "radius": 5,
            "weight": 1.5,
            "color": _UNASSIGNED_LINE,
            "opacity": 1,
            "fill": True,
            "fillColor": _UNASSIGNED_FILL,
            "fillOpacity": 0.8,
        }
    return {
        "radius": 5,
        "weight": 1.5 if rural else 1,
        "color": color if rural else "#ffffff",
        "opacity": 1,
        "fill": True,
        "fillColor": color,
        "fillOpacity": 0.45 if rural else 1,
    }


class Styles:
    """Distinct styles in a list that the page holds once; features carry an index."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def __call__(self, style: dict[str, Any]) -> int:
        key = json.dumps(style, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(style)
        return self._index[key]


def _column(schools: pd.DataFrame, name: str) -> list[Any]:
    if name not in schools:
        return [None] * len(schools)
    return schools[name].astype(object).where(schools[name].notna(), None).tolist()


def _round(value: Any, digits: int = 2) -> float | int | None:
    if is_missing(value):
        return None
    value = round(float(value), digits)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _text(value: Any) -> str | None:
    return None if is_missing(value) else escape(value)


def group_rows(data: PlanData) -> list[list[Any]]:
    """Per group, for the popups: id, lead name, lead id, size, members, mean quality, mean
    member distance (km), urban and rural counts (strings escaped)."""
    g = data.groups
    columns = [
        [escape(i) for i in g.index],
        [_text(v) for v in _column(g, "lead_name")],
        [_text(v) for v in _column(g, "lead_id")],
        [_round(v) for v in _column(g, "size")],
        [_round(v) for v in _column(g, "members")],
        [_round(v) for v in _column(g, "mean_quality")],
        [_round(v) for v in _column(g, "mean_distance_km")],
        [_round(v) for v in _column(g, "n_urban")],
        [_round(v) for v in _column(g, "n_rural")],
    ]
    return [list(row) for row in zip(*columns, strict=True)]


def school_features(data: PlanData, styles: Styles) -> tuple[list[dict], list[dict]]:
    """GeoJSON features of the grouped schools (leads last, drawn on top) and the others.

    Properties are short (the page builds popups from them): ``id``, ``name`` (escaped),
    ``g`` (group position, -1 for none), ``s`` (style), ``r`` (role), ``q`` (quality),
    ``a`` (area), ``l`` (level), ``st``/``te`` (students, teachers), ``d`` (km to the lead),
    ``why`` (reason, unassigned only), ``note`` (highlighted only).
    """
    s = data.schools
    group_index = {str(g): i for i, g in enumerate(data.groups.index)}
    groups = [group_index.get(str(g), -1) for g in _column(s, S.GROUP_ID)]
    columns = zip(
        s.index,
        _column(s, S.NAME),
        data.roles,
        groups,
        _column(s, S.QUALITY),
        _column(s, S.AREA),
        _column(s, S.LEVEL),
        _column(s, S.STUDENTS),
        _column(s, S.TEACHERS),
        data.distance.tolist(),
        _column(s, S.REASON),
        data.xy.tolist(),
        strict=True,
    )
    grouped, others = [], []
    for sid, name, role, g, quality, area, level, students, teachers, km, why, xy in columns:
        g = g if role != S.UNASSIGNED else -1
        color = data.colors.iloc[g] if g >= 0 else _UNASSIGNED_FILL
        props = {
            "id": escape(sid),
            "name": escape("" if is_missing(name) else name),
            "g": g,
            "s": styles(school_style(role, area, color)),
            "r": role,
            "q": _round(quality),
            "a": _text(area),
            "l": _text(level),
            "st": _round(students),
            "te": _round(teachers),
            "d": _round(km),
        }
        if g < 0 and not is_missing(why):
            props["why"] = escape(why)
        if str(sid) in data.notes:
            props["note"] = escape(data.notes[str(sid)])
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": xy},
            "properties": props,
        }
        (grouped if g >= 0 else others).append(feature)
    grouped.sort(key=lambda f: f["properties"]["r"] == S.LEAD)
    return grouped, others


def area_features(data: PlanData, styles: Styles) -> list[dict[str, Any]]:
    """One feature per group polygon (a zone, or the hull of its schools)."""
    features = []
    for g, geom in enumerate(data.groups.geometry):
        if geom is None or geom.is_empty:
            continue
        color = data.colors.iloc[g]
        style = {
            "color": color,
            "weight": 1.5,
            "opacity": 0.9,
            "fillColor": color,
            "fillOpacity": 0.18 if data.zones else 0.12,
        }
        features.append(
            {
                "type": "Feature",
                "geometry": geojson(geom),
                "properties": {"g": g, "s": styles(style)},
            }
        )
    return features


def link_features(data: PlanData, styles: Styles) -> list[dict[str, Any]]:
    """One MultiLineString per group: a line from its lead to each member."""
    group = data.schools[S.GROUP_ID].astype(object).to_numpy()
    pos = np.arange(len(group))
    is_lead, is_member = data.roles == S.LEAD, data.roles == S.MEMBER
    leads = pd.Series(pos[is_lead], index=group[is_lead])
    leads = leads[~leads.index.duplicated()]
    order = {str(g): i for i, g in enumerate(data.groups.index)}
    features = []
    for gid, idx in pd.Series(pos[is_member]).groupby(group[is_member]):
        if gid not in leads.index or str(gid) not in order:
            continue
        lead_xy = data.xy[leads[gid]].tolist()
        lines = [[lead_xy, data.xy[i].tolist()] for i in idx.to_numpy()]
        g = order[str(gid)]
        style = {"color": data.colors.iloc[g], "weight": 1.2, "opacity": 0.75}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": lines},
                "properties": {"g": g, "s": styles(style)},
            }
        )
    return features
