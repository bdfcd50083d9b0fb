"""What a map draws of one plan: its data in display coordinates, as JSON for the page.

The plan is read once through the rulebook (:func:`geogroup.rules.plan_arrays`, in
``_colors.drawn_groups``): groups, roles, leads and distances are the ones
:func:`geogroup.check_plan` and :func:`geogroup.group_metrics` judge by. Schools go to the
page as columns (one list per property, built with numpy and pandas, no object per
school), which ``static/page.js`` turns into GeoJSON points; group areas and lead–member
links are GeoJSON text made by shapely in one call. Features carry a group position and a
style index into one list of styles that the page holds once. Every string from the input
is escaped here, before it reaches the page.
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
from geogroup.plan import Plan
from geogroup.present._china import in_mainland_china
from geogroup.present._colors import PALETTE, DrawnGroups, colour_groups, drawn_groups, schools_of
from geogroup.present._labels import reasons_in
from geogroup.present._options import MapOptions
from geogroup.present._road_popups import road_columns
from geogroup.present._text import escape
from geogroup.read import wgs84_to_gcj02

__all__ = [
    "PlanData",
    "Styles",
    "area_features",
    "collection",
    "display",
    "display_xy",
    "feature_text",
    "group_rows",
    "link_features",
    "plan_data",
    "school_columns",
    "school_style",
]

_UNASSIGNED_FILL, _UNASSIGNED_LINE = "#9e9e9e", "#616161"
_LEAD_RING = "#1a1a1a"
_DIGITS = 6  # about 0.1 m: enough for a school, and a third fewer bytes than full floats
_SIMPLIFY_DEG = (1e-4, 5e-4)  # about 10 m, and 50 m above the detail limit


# --- geometry for display ----------------------------------------------------------------


def display(geoms: np.ndarray, gcj: bool) -> np.ndarray:
    """Geometries as drawn: rounded, and for AMap each vertex in mainland China shifted
    into GCJ-02 (AMap's tiles elsewhere are not shifted, so neither is the drawing)."""

    return shapely.transform(geoms, lambda xy: display_xy(xy, gcj))


def display_xy(lonlat: np.ndarray, gcj: bool) -> np.ndarray:
    """Points (rows of lon, lat) as drawn: :func:`display` for coordinates."""
    xy = np.asarray(lonlat, dtype=float)
    if gcj and len(xy):
        inside = in_mainland_china(xy[:, 0], xy[:, 1])
        if inside.any():
            xy = xy.copy()
            xy[inside] = np.column_stack(wgs84_to_gcj02(xy[inside, 0], xy[inside, 1]))
    return np.round(xy, _DIGITS)


def collection(features: list[str]) -> str:
    """A GeoJSON FeatureCollection (text) of ``features`` (each a feature's JSON text)."""
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def feature_text(geometry: str, properties: dict[str, Any]) -> str:
    """A GeoJSON feature as text, from its geometry's GeoJSON text and its properties."""
    return (
        '{"type":"Feature","geometry":'
        + geometry
        + ',"properties":'
        + json.dumps(properties, separators=(",", ":"), ensure_ascii=False)
        + "}"
    )


# --- the pieces of one plan --------------------------------------------------------------


@dataclass
class PlanData:
    """Everything drawn for one plan, in display coordinates."""

    schools: gpd.GeoDataFrame
    drawn: DrawnGroups
    groups: pd.DataFrame  # one row per group: figures of the popups, as group_metrics has them
    shapes: np.ndarray  # display polygon of each group (None when it has none)
    anchors: np.ndarray  # display (lon, lat) of each group's label
    colors: pd.Series
    xy: np.ndarray  # display coordinates of the schools
    roles: np.ndarray  # 'lead', 'member' (any other role in a group) or 'unassigned'
    distance: np.ndarray  # km to the lead, as the rulebook measures it
    detailed: bool
    rejected: int
    policy: str
    method: str
    notes: dict[str, str]  # school id -> note, for the highlighted schools
    unshifted: int  # schools outside mainland China on an AMap map (drawn as they are)
    sectors: int  # the policy's sector rule (0: none)

    @property
    def zones(self) -> bool:
        return self.drawn.zones

    @property
    def position(self) -> np.ndarray:
        """Each school's group position in :attr:`groups` (-1: in no group)."""
        a = self.drawn.arrays
        pos = np.full(len(a.group_names) + 1, -1, dtype=np.int64)  # the last: no group
        pos[self.drawn.codes] = np.arange(len(self.drawn.codes))
        return np.where(a.assigned, pos[np.where(a.group >= 0, a.group, -1)], -1)


def _figures(drawn: DrawnGroups, schools: pd.DataFrame) -> pd.DataFrame:
    """The popups' figures of each group, read from the rulebook's arrays as
    :func:`geogroup.group_metrics` reads them (a test holds the two together): lead id and
    name (joined by ", " for a group with several leads), size, members, mean quality, mean
    member-to-lead km, urban and rural schools."""
    a, codes = drawn.arrays, drawn.codes
    n = len(a.group_names)

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(a.group[mask], weights=w, minlength=n)[codes]

    size = count(a.assigned)
    km = a.distance_km()
    measured = a.member & np.isfinite(km)
    names = schools[S.NAME].astype(object).to_numpy() if S.NAME in schools else a.ids
    lead_ids, lead_names = _leads(a, names)
    table = pd.DataFrame(
        {
            "lead_id": lead_ids[codes],
            "lead_name": lead_names[codes],
            "size": size.astype(int),
            "members": count(a.member).astype(int),
            "mean_quality": count(a.assigned, a.quality) / size,
            "mean_distance_km": count(measured, km)
            / np.where(count(measured) > 0, count(measured), np.nan),
        },
        index=drawn.index,
    )
    if a.urban is not None and a.rural is not None:
        table["n_urban"] = count(a.assigned & a.urban).astype(int)
        table["n_rural"] = count(a.assigned & a.rural).astype(int)
    return table


def _leads(a: Any, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group's lead id and name (None without a lead; a group with several leads, a
    broken plan, has them joined by ", " in the order of the schools)."""
    ids = np.full(len(a.group_names), None, dtype=object)
    text = np.full(len(a.group_names), None, dtype=object)
    head = a.lead_position()
    one = np.flatnonzero(head >= 0)
    ids[one] = a.ids[head[one]]
    text[one] = [str(v) for v in names[head[one]]]
    for g in np.flatnonzero(head == -2):
        at = np.flatnonzero(a.lead & (a.group == g))
        ids[g] = ", ".join(str(v) for v in a.ids[at])
        text[g] = ", ".join(str(v) for v in names[at])
    return ids, text


def _anchors(shapes: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Where each group's label goes: its polygon's centroid, or a point inside the polygon
    when the centroid falls outside it (a bent district); ``fallback`` without a polygon."""
    centre = shapely.centroid(shapes)
    inside = shapely.contains(shapes, centre)
    point = np.where(inside, centre, shapely.point_on_surface(shapes))
    xy = np.column_stack([shapely.get_x(point), shapely.get_y(point)])
    return np.round(np.where(np.isnan(xy), fallback, xy), _DIGITS)


def plan_data(
    plan: Plan | gpd.GeoDataFrame,
    opts: MapOptions,
    colors: pd.Series | None,
    notes: dict[str, str],
) -> PlanData:
    """The data of one plan as drawn with ``opts``; ``colors`` by group (None: its own
    :func:`group_colors`), ``notes`` by school id for the highlighted schools."""
    schools = schools_of(plan)
    drawn = drawn_groups(plan, schools)
    if colors is None:
        colors = colour_groups(drawn)
    detailed = len(schools) <= opts.detail_limit
    tolerance = _SIMPLIFY_DEG[0] if detailed else _SIMPLIFY_DEG[1]
    # A hull is convex, and so is any subset of its vertices: only zones need the slower
    # simplification that keeps a polygon valid.
    simplified = shapely.simplify(drawn.shapes, tolerance, preserve_topology=drawn.zones)
    shapes = display(simplified, opts.gcj)
    xy = display_xy(drawn.arrays.lonlat, opts.gcj)
    a = drawn.arrays
    roles = np.where(a.lead, S.LEAD, np.where(a.member, S.MEMBER, S.UNASSIGNED)).astype(object)
    unshifted = 0
    if opts.gcj:
        known = np.isfinite(a.lonlat).all(axis=1)
        unshifted = int((known & ~in_mainland_china(a.lonlat[:, 0], a.lonlat[:, 1])).sum())
    is_plan = isinstance(plan, Plan)
    rejected = 0 if not is_plan or plan.rejected is None else int(plan.rejected["row"].nunique())
    return PlanData(
        schools=schools,
        drawn=drawn,
        groups=_figures(drawn, schools),
        shapes=shapes,
        anchors=_anchors(shapes, display_xy(drawn.mean_points(), opts.gcj)),
        colors=colors.reindex(drawn.index).fillna(PALETTE[0]),
        xy=xy,
        roles=roles,
        distance=a.distance_km(),
        detailed=detailed,
        rejected=rejected,
        policy=plan.policy.name if is_plan else "",
        method=plan.method if is_plan else "",
        notes=notes,
        unshifted=unshifted,
        sectors=int(plan.policy.sectors) if is_plan else 0,
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


# --- columns, escaped ----------------------------------------------------------------------


def _numbers(values: Any, digits: int = 2) -> list[Any]:
    """Numbers rounded for a popup (whole numbers without a decimal point), None if missing."""
    x = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    x = np.round(x, digits)
    finite = np.isfinite(x)
    whole = finite & (np.abs(x) < 1e15)
    whole[whole] = x[whole] == np.round(x[whole])
    out = x.astype(object)
    out[whole] = x[whole].astype(np.int64).astype(object)
    out[~finite] = None
    return out.tolist()


def _texts(values: pd.Series) -> list[str | None]:
    """Text escaped for the page (each distinct value once), None where missing."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    escaped = np.array([escape(v) for v in uniques] + [None], dtype=object)
    return escaped[codes].tolist()


def _column(schools: pd.DataFrame, name: str) -> pd.Series:
    return schools[name] if name in schools else pd.Series(None, index=schools.index, dtype=object)


def group_rows(data: PlanData) -> list[list[Any]]:
    """Per group, for the popups and labels: id, lead name, lead id, size, members, mean
    quality, mean member distance (km), urban and rural counts (strings escaped)."""
    g = data.groups
    columns = [
        _texts(pd.Series(g.index, dtype=object)),
        _texts(_column(g, "lead_name")),
        _texts(_column(g, "lead_id")),
        _numbers(_column(g, "size")),
        _numbers(_column(g, "members")),
        _numbers(_column(g, "mean_quality")),
        _numbers(_column(g, "mean_distance_km")),
        _numbers(_column(g, "n_urban")),
        _numbers(_column(g, "n_rural")),
    ]
    return [list(row) for row in zip(*columns, strict=True)]


def _style_indices(data: PlanData, position: np.ndarray, styles: Styles) -> np.ndarray:
    """Each school's style index: one style per (role, rural, colour) that occurs."""
    rural = (_column(data.schools, S.AREA).astype(object) == S.RURAL).to_numpy(bool)
    palette = data.colors.to_numpy(dtype=object)
    colours, colour = np.unique(np.append(palette, _UNASSIGNED_FILL), return_inverse=True)
    colour = np.where(position >= 0, colour[np.maximum(position, 0)], colour[-1])
    roles = (S.LEAD, S.MEMBER, S.UNASSIGNED)
    role = np.select([data.roles == r for r in roles[:2]], [0, 1], 2)
    key = (role * 2 + rural) * len(colours) + colour
    kinds, codes = np.unique(key, return_inverse=True)
    index = [
        styles(
            school_style(
                roles[k // 2 // len(colours)],
                S.RURAL if (k // len(colours)) % 2 else S.URBAN,
                colours[k % len(colours)],
            )
        )
        for k in kinds.tolist()
    ]
    return np.asarray(index, dtype=np.int64)[codes]


def school_columns(
    data: PlanData, styles: Styles, lang: str = "en"
) -> tuple[dict[str, list], dict[str, list]]:
    """The schools in groups (leads last, drawn on top) and the others, each as columns.

    Keys (the page makes one point per position): ``x``, ``y``; ``id``, ``name`` (escaped);
    ``g`` (group position, -1 for none), ``s`` (style), ``r`` (role), ``q`` (quality),
    ``a`` (area), ``l`` (level), ``st``/``te`` (students, teachers), ``d`` (km to the lead),
    ``why`` (reason in ``lang``, schools in no group), ``note`` (highlighted schools); with road
    distances also ``tm`` (minutes to the lead) and ``sl`` (straight-line km); None where
    a value is missing.
    """
    s = data.schools
    position = data.position
    grouped = np.flatnonzero(position >= 0)
    grouped = grouped[np.argsort(data.roles[grouped] == S.LEAD, kind="stable")]
    others = np.flatnonzero(position < 0)
    reason = pd.Series(reasons_in(_column(s, S.REASON), lang), index=s.index, dtype=object)
    reason = reason.where(position < 0)
    ids = pd.Series([str(i) for i in s.index], dtype=object)
    note = ids.map(data.notes) if data.notes else pd.Series(None, index=ids.index, dtype=object)
    full = {
        "x": data.xy[:, 0].tolist(),
        "y": data.xy[:, 1].tolist(),
        "id": _texts(ids),
        "name": _texts(_column(s, S.NAME).fillna("")),
        "g": position.tolist(),
        "s": _style_indices(data, position, styles).tolist(),
        "r": data.roles.tolist(),
        "q": _numbers(_column(s, S.QUALITY)),
        "a": _texts(_column(s, S.AREA)),
        "l": _texts(_column(s, S.LEVEL)),
        "st": _numbers(_column(s, S.STUDENTS)),
        "te": _numbers(_column(s, S.TEACHERS)),
        "d": _numbers(np.where(position >= 0, data.distance, np.nan)),
        **road_columns(data.drawn.arrays, position, _numbers),  # minutes, straight km
        "why": _texts(reason),
        "note": _texts(note),
    }

    columns = {
        k: np.asarray(v, dtype=object if k not in ("x", "y") else float) for k, v in full.items()
    }

    def pick(rows: np.ndarray) -> dict[str, list]:
        out = {k: v[rows].tolist() for k, v in columns.items()}
        return {k: v for k, v in out.items() if k in ("x", "y") or any(x is not None for x in v)}

    return pick(grouped), pick(others)


def area_features(data: PlanData, styles: Styles) -> list[str]:
    """One feature per group polygon (a zone, or the hull of its schools)."""
    shapes = data.shapes
    keep = np.flatnonzero(~(shapely.is_missing(shapes) | shapely.is_empty(shapes)))
    opacity = 0.18 if data.zones else 0.12
    style_of = {
        color: styles(
            {
                "color": color,
                "weight": 1.5,
                "opacity": 0.9,
                "fillColor": color,
                "fillOpacity": opacity,
            }
        )
        for color in data.colors.unique()
    }
    colors = data.colors.to_numpy(dtype=object)
    return [
        f'{{"type":"Feature","geometry":{text},"properties":{{"g":{g},"s":{style_of[colors[g]]}}}}}'
        for g, text in zip(keep.tolist(), shapely.to_geojson(shapes[keep]).tolist(), strict=True)
    ]


def link_features(data: PlanData, styles: Styles) -> list[str]:
    """One MultiLineString per group: a line from its lead to each member."""
    a = data.drawn.arrays
    head = a.lead_position()
    position = data.position
    members = np.flatnonzero(a.member & (position >= 0))
    members = members[head[a.group[members]] >= 0]
    out = []
    if not len(members):
        return out
    order = members[np.argsort(position[members], kind="stable")]
    groups = position[order]
    cuts = np.flatnonzero(np.diff(groups)) + 1
    for rows in np.split(order, cuts):
        g = int(position[rows[0]])
        lead = data.xy[head[a.group[rows[0]]]].tolist()
        lines = [[lead, p] for p in data.xy[rows].tolist()]
        style = {"color": data.colors.iloc[g], "weight": 1.2, "opacity": 0.75}
        geometry = json.dumps({"type": "MultiLineString", "coordinates": lines})
        out.append(feature_text(geometry, {"g": g, "s": styles(style)}))
    return out
