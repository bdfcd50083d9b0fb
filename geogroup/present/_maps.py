"""Maps: a plan on an interactive Folium (Leaflet) map, one HTML file for a meeting.

:func:`plan_map` draws one plan: every school as a circle in its group's colour (leads
larger with a dark ring, rural schools lighter than urban ones), lead–member links, group
hulls or the district polygons of a zone plan (``plan.zones``), unassigned schools in grey
with their reason, a study boundary, popups with the school's and its group's figures,
tooltips with the name, a legend, layer control, fullscreen, search by school name, a
minimap and a scale bar. :func:`compare_map` puts two plans on one map (the second shown,
the first a toggle away) and rings the schools that changed group; :func:`save_map` writes
the HTML atomically.

Colours
    :func:`group_colors` colours the graph of groups (hulls that touch or overlap, and each
    group's nearest groups) greedily over :data:`PALETTE`, so neighbouring groups differ.
Basemaps
    ``'osm'`` (OpenStreetMap, CartoDB positron a click away), ``'light'`` (positron first),
    ``'amap'`` (高德; its tiles are GCJ-02, so every geometry drawn is shifted into GCJ-02
    vertex by vertex and sits on AMap's streets) and ``'none'`` (a blank background).
Assets
    Where the map's JavaScript and CSS come from: ``'cdn'`` (folium's defaults, needs the
    internet), a base URL of a mirror (each file is fetched as ``<base>/<file name>``), or a
    local folder whose files are inlined, which makes one self-contained file that opens
    offline (tiles aside). ``tests/browser/setup.sh`` fills such a folder from npm.
Size
    Schools are one GeoJSON layer of circle markers drawn on a canvas; above
    ``detail_limit`` schools the links are left out and the hulls simplified (the legend
    says so). The HTML grows linearly with the schools: ``bench/maps_results.md``.
Safety
    Every string from the input passes through :func:`html.escape` before it reaches HTML
    (popups, tooltips, legend, layer names, search labels), and data written into scripts
    is JSON with ``<``, ``>`` and ``&`` escaped.

folium is imported inside the functions (as in geopandas' ``explore``), so importing
geogroup does not import it.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geogroup import schema as S
from geogroup.read import wgs84_to_gcj02
from geogroup.errors import InputError
from geogroup.evaluate import compare_plans, distance_to_lead, group_metrics
from geogroup.plan import Plan, groups_table

if TYPE_CHECKING:
    import folium

__all__ = [
    "BASEMAPS",
    "DETAIL_LIMIT",
    "PALETTE",
    "compare_map",
    "group_colors",
    "plan_map",
    "save_map",
]

PALETTE: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#1b9e77", "#d95f02", "#7570b3",
)
"""Twelve qualitative colours (Tableau 10 without its grey, and three of ColorBrewer Dark2).
Grey is kept for unassigned schools."""

BASEMAPS = ("osm", "light", "amap", "none")
DETAIL_LIMIT = 5000
"""Above this many schools, links are left out and group polygons simplified."""

_UNASSIGNED_FILL, _UNASSIGNED_LINE = "#9e9e9e", "#616161"
_LEAD_RING = "#1a1a1a"
_HIGHLIGHT = "#111111"
_DIGITS = 6  # about 0.1 m: enough for a school, and a third fewer bytes than full floats
_SIMPLIFY_DEG = (1e-4, 5e-4)  # about 10 m, and 50 m above the detail limit
_LEGEND_GROUPS = 24  # list groups one by one up to this many
_NEAREST = 3  # each group's nearest groups (by lead) count as neighbours for colouring

_OSM_ATTR = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_TILES: dict[str, tuple[str, str, str]] = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "abc", _OSM_ATTR),
    "light": (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        "abcd",
        _OSM_ATTR + ' &copy; <a href="https://carto.com/attributions">CARTO</a>',
    ),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "1234",
        '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
    ),
}
_BASEMAP_LAYERS = {"osm": ("osm", "light"), "light": ("light", "osm"), "amap": ("amap",), "none": ()}

_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "legend": "图例",
        "schools": "学校",
        "layer_schools": "集团学校",
        "layer_unassigned": "未入集团学校",
        "layer_links": "龙头校—成员校连线",
        "layer_hulls": "集团范围",
        "layer_zones": "学区范围",
        "layer_boundary": "研究范围",
        "layer_highlight": "标记的学校",
        "layer_moved": "调整集团的学校",
        "basemap_osm": "OpenStreetMap",
        "basemap_light": "浅色底图（CARTO）",
        "basemap_amap": "高德地图",
        "id": "学校代码",
        "role": "角色",
        "group": "集团",
        "quality": "质量",
        "area": "城乡",
        "level": "学段",
        "students": "学生数",
        "teachers": "教师数",
        "distance": "距龙头校",
        "reason": "原因",
        "note": "说明",
        "lead": "龙头校",
        "size": "学校数",
        "mean_quality": "平均质量",
        "mean_distance": "成员校平均距离",
        "urban_rural": "城区 / 农村",
        "km": "公里",
        "v:lead": "龙头校",
        "v:member": "成员校",
        "v:unassigned": "未入集团",
        "v:urban": "城区",
        "v:rural": "农村",
        "v:primary": "小学",
        "v:middle": "初中",
        "v:secondary": "高中",
        "v:nine-year": "九年一贯制",
        "v:twelve-year": "十二年一贯制",
        "counts": "{schools} 所学校，{groups} 个集团，{unassigned} 所未入集团",
        "groups_many": "{groups} 个集团：颜色可重复使用，相邻集团颜色不同",
        "groups_title": "集团（相邻集团颜色不同）",
        "roles_title": "角色",
        "area_title": "城乡",
        "member_urban": "成员校（城区）",
        "member_rural": "成员校（农村，浅色）",
        "lead_symbol": "龙头校（大圆、深色外圈）",
        "detail": "学校超过 {limit} 所：未画连线，集团范围已简化。",
        "amap_note": "所有图形已转换为 GCJ-02 坐标，与高德底图对齐。",
        "rejected": "{n} 行输入数据无法使用，未在图上显示。",
        "moved": "{n} 所学校调整了集团（黑色外圈）",
        "search": "搜索学校名称",
        "search_none": "未找到该学校",
        "fullscreen": "全屏",
        "fullscreen_exit": "退出全屏",
        "plan": "方案",
        "compare_title": "方案对比：{a} → {b}",
        "moved_from": "{a}：{ga} → {b}：{gb}",
        "none": "无",
    },
    "en": {
        "legend": "Legend",
        "schools": "Schools",
        "layer_schools": "Schools in groups",
        "layer_unassigned": "Unassigned schools",
        "layer_links": "Lead–member links",
        "layer_hulls": "Group areas",
        "layer_zones": "District polygons",
        "layer_boundary": "Study boundary",
        "layer_highlight": "Marked schools",
        "layer_moved": "Schools that changed group",
        "basemap_osm": "OpenStreetMap",
        "basemap_light": "Light (CARTO)",
        "basemap_amap": "AMap (高德)",
        "id": "School id",
        "role": "Role",
        "group": "Group",
        "quality": "Quality",
        "area": "Urban/rural",
        "level": "Level",
        "students": "Students",
        "teachers": "Teachers",
        "distance": "Distance to lead",
        "reason": "Reason",
        "note": "Note",
        "lead": "Lead",
        "size": "Schools",
        "mean_quality": "Mean quality",
        "mean_distance": "Mean member distance",
        "urban_rural": "Urban / rural",
        "km": "km",
        "v:lead": "lead",
        "v:member": "member",
        "v:unassigned": "unassigned",
        "v:urban": "urban",
        "v:rural": "rural",
        "counts": "{schools} schools, {groups} groups, {unassigned} unassigned",
        "groups_many": "{groups} groups: colours repeat, but neighbouring groups differ",
        "groups_title": "Groups (neighbours differ in colour)",
        "roles_title": "Roles",
        "area_title": "Urban / rural",
        "member_urban": "member (urban)",
        "member_rural": "member (rural, lighter)",
        "lead_symbol": "lead (larger, dark ring)",
        "detail": "More than {limit} schools: links left out, group areas simplified.",
        "amap_note": "All shapes are shifted to GCJ-02 to sit on the AMap basemap.",
        "rejected": "{n} input rows could not be used and are not on the map.",
        "moved": "{n} schools changed group (black ring)",
        "search": "Search school name",
        "search_none": "No school of that name",
        "fullscreen": "Full screen",
        "fullscreen_exit": "Exit full screen",
        "plan": "Plan",
        "compare_title": "Plans compared: {a} → {b}",
        "moved_from": "{a}: {ga} → {b}: {gb}",
        "none": "none",
    },
}

_CSS = """
.gg-pop{font:12px/1.4 system-ui,"PingFang SC","Microsoft YaHei",sans-serif}
.gg-pop .gg-title{font-weight:600;font-size:13px;margin:2px 0 4px}
.gg-pop table{border-collapse:collapse}
.gg-pop th{text-align:left;font-weight:400;color:#555;padding:1px 10px 1px 0;white-space:nowrap}
.gg-pop td{padding:1px 0}
.gg-pop .gg-group{border-top:1px solid #ddd;margin-top:6px;padding-top:4px}
.gg-pop .gg-note{margin-top:6px;color:#111;font-weight:600}
.geogroup-legend{position:fixed;left:10px;bottom:36px;z-index:1000;max-width:300px;
 max-height:60vh;overflow:auto;background:rgba(255,255,255,.93);border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.4);padding:6px 10px;
 font:12px/1.45 system-ui,"PingFang SC","Microsoft YaHei",sans-serif}
.geogroup-legend summary{font-weight:600;cursor:pointer}
.geogroup-legend .gg-sec{margin-top:6px}
.geogroup-legend .gg-head{font-weight:600;margin-top:4px}
.geogroup-legend .gg-row{display:flex;align-items:center;gap:6px}
.geogroup-legend .gg-sw{display:inline-block;width:12px;height:12px;border-radius:2px;flex:none}
.geogroup-legend .gg-notes{color:#444;margin-top:4px}
"""


# --- colours ---------------------------------------------------------------------------


def _schools_of(plan: Plan | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
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
    zones = plan.zones if isinstance(plan, Plan) else None
    if zones is None:
        return None
    return zones.to_crs(S.WGS84) if zones.crs else zones.set_crs(S.WGS84)


def _group_shapes(schools: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
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
    schools = _schools_of(plan)
    groups = _group_shapes(schools, _zones_of(plan))
    if groups.empty:
        return pd.Series([], index=groups.index, dtype=object, name="color")
    indices = _colour_indices(groups, _lead_points(schools, groups), len(palette))
    return indices.map(lambda c: palette[c]).astype(object).rename("color")


# --- options -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    lang: str
    basemap: str
    assets: str | Path
    tiles_url: str | None
    detail_limit: int

    @property
    def labels(self) -> dict[str, str]:
        return _LABELS[self.lang]

    @property
    def gcj(self) -> bool:
        return self.basemap == "amap"


def _options(
    lang: str, basemap: str, assets: str | os.PathLike[str], tiles_url: str | None, detail_limit: int
) -> _Options:
    if lang not in _LABELS:
        raise InputError(f"lang: expected one of {', '.join(_LABELS)}, got {lang!r}")
    if basemap not in BASEMAPS:
        raise InputError(f"basemap: expected one of {', '.join(BASEMAPS)}, got {basemap!r}")
    if not isinstance(detail_limit, int) or detail_limit < 0:
        raise InputError(f"detail_limit: expected a whole number >= 0, got {detail_limit!r}")
    return _Options(lang, basemap, _asset_source(assets), tiles_url, detail_limit)


def _asset_source(assets: str | os.PathLike[str]) -> str | Path:
    """'cdn', a mirror base URL (no trailing slash), or an existing folder."""
    if isinstance(assets, str) and (assets == "cdn" or assets.startswith(("http://", "https://"))):
        return assets.rstrip("/")
    folder = Path(assets)
    if not folder.is_dir():
        raise InputError(
            f"assets: expected 'cdn', a base URL (https://…) or a folder of JS/CSS files, got "
            f"{str(assets)!r}, which is not a folder; fill one with tests/browser/setup.sh"
        )
    return folder


# --- geometry for display ----------------------------------------------------------------


def _display(geoms: np.ndarray, gcj: bool) -> np.ndarray:
    """Geometries as drawn: rounded, and shifted vertex by vertex into GCJ-02 for AMap."""

    def move(xy: np.ndarray) -> np.ndarray:
        if gcj and len(xy):
            xy = np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        return np.round(xy, _DIGITS)

    return shapely.transform(geoms, move)


def _geojson(geom: Any) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(geom))


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


# --- text --------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _js(value: Any) -> str:
    """JSON that is safe inside an HTML <script> element."""
    text = json.dumps(value, ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


# --- the pieces of one plan --------------------------------------------------------------


@dataclass
class _PlanData:
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
        r = "" if _missing(r) else str(r).strip().lower()
        roles.append(S.UNASSIGNED if _missing(g) or r == S.UNASSIGNED
                     else S.LEAD if r == S.LEAD else S.MEMBER)
    return np.array(roles, dtype=object)


def _plan_data(
    plan: Plan | gpd.GeoDataFrame, opts: _Options, colors: pd.Series | None,
    notes: dict[str, str],
) -> _PlanData:
    schools = _schools_of(plan)
    zones = _zones_of(plan)
    shapes = _group_shapes(schools, zones)
    figures = group_metrics(plan) if len(shapes) else pd.DataFrame(index=shapes.index)
    groups = shapes[["geometry"]].join(figures, how="left")
    if colors is None:
        colors = group_colors(plan) if len(groups) else pd.Series([], dtype=object)
    detailed = len(schools) <= opts.detail_limit
    tolerance = _SIMPLIFY_DEG[0] if detailed else _SIMPLIFY_DEG[1]
    simplified = shapely.simplify(groups.geometry.to_numpy(), tolerance, preserve_topology=True)
    groups = groups.set_geometry(gpd.GeoSeries(_display(simplified, opts.gcj), index=groups.index))
    points = _display(schools.geometry.to_numpy(), opts.gcj)
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    rejected = 0
    title = ""
    if isinstance(plan, Plan):
        rejected = 0 if plan.rejected is None else int(plan.rejected["row"].nunique())
        title = f"{plan.policy.name} · {plan.method}"
    return _PlanData(
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


def _school_style(role: str, area: Any, color: str) -> dict[str, Any]:
    rural = area == S.RURAL
    if role == S.LEAD:
        return {"radius": 9, "weight": 3, "color": _LEAD_RING, "opacity": 1, "fill": True,
                "fillColor": color, "fillOpacity": 0.6 if rural else 1}
    if role == S.UNASSIGNED:
        return {"radius": 5, "weight": 1.5, "color": _UNASSIGNED_LINE, "opacity": 1, "fill": True,
                "fillColor": _UNASSIGNED_FILL, "fillOpacity": 0.8}
    return {"radius": 5, "weight": 1.5 if rural else 1, "color": color if rural else "#ffffff",
            "opacity": 1, "fill": True, "fillColor": color, "fillOpacity": 0.45 if rural else 1}


class _Styles:
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
    if _missing(value):
        return None
    value = round(float(value), digits)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _text(value: Any) -> str | None:
    return None if _missing(value) else _e(value)


def _group_rows(data: _PlanData) -> list[list[Any]]:
    """Per group, for the popups: id, lead name, lead id, size, members, mean quality, mean
    member distance (km), urban and rural counts (strings escaped)."""
    g = data.groups
    columns = [
        [_e(i) for i in g.index],
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


def _school_features(data: _PlanData, styles: _Styles) -> tuple[list[dict], list[dict]]:
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
        s.index, _column(s, S.NAME), data.roles, groups, _column(s, S.QUALITY),
        _column(s, S.AREA), _column(s, S.LEVEL), _column(s, S.STUDENTS), _column(s, S.TEACHERS),
        data.distance.tolist(), _column(s, S.REASON), data.xy.tolist(), strict=True,
    )
    grouped, others = [], []
    for sid, name, role, g, quality, area, level, students, teachers, km, why, xy in columns:
        g = g if role != S.UNASSIGNED else -1
        color = data.colors.iloc[g] if g >= 0 else _UNASSIGNED_FILL
        props = {"id": _e(sid), "name": _e("" if _missing(name) else name), "g": g,
                 "s": styles(_school_style(role, area, color)), "r": role,
                 "q": _round(quality), "a": _text(area), "l": _text(level),
                 "st": _round(students), "te": _round(teachers), "d": _round(km)}
        if g < 0 and not _missing(why):
            props["why"] = _e(why)
        if str(sid) in data.notes:
            props["note"] = _e(data.notes[str(sid)])
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": xy},
                   "properties": props}
        (grouped if g >= 0 else others).append(feature)
    grouped.sort(key=lambda f: f["properties"]["r"] == S.LEAD)
    return grouped, others


def _area_features(data: _PlanData, styles: _Styles) -> list[dict[str, Any]]:
    features = []
    for g, geom in enumerate(data.groups.geometry):
        if geom is None or geom.is_empty:
            continue
        color = data.colors.iloc[g]
        style = {"color": color, "weight": 1.5, "opacity": 0.9, "fillColor": color,
                 "fillOpacity": 0.18 if data.zones else 0.12}
        features.append({"type": "Feature", "geometry": _geojson(geom),
                         "properties": {"g": g, "s": styles(style)}})
    return features


def _link_features(data: _PlanData, styles: _Styles) -> list[dict[str, Any]]:
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
        features.append({"type": "Feature",
                         "geometry": {"type": "MultiLineString", "coordinates": lines},
                         "properties": {"g": g, "s": styles(style)}})
    return features


# The page's popup builder. Every string it joins is escaped by Python before it is
# embedded (names, ids, reasons, notes, labels); numbers are numbers.
_PAGE_JS = """
var geogroup_text = %s;
function geogroupUnescape(s) {
  var raw = {lt: '<', gt: '>', quot: '"', '#x27': "'", amp: '&'};
  return String(s).replace(/&(lt|gt|quot|#x27|amp);/g, function (m, e) { return raw[e]; });
}
function geogroupOr(v) { return (v === null || v === undefined || v === '') ? '\u2014' : v; }
function geogroupCode(v) {
  return (v === null || v === undefined) ? '\u2014' : (geogroup_text['v:' + v] || v);
}
function geogroupRow(k, v) { return '<tr><th>' + geogroup_text[k] + '</th><td>' + v + '</td></tr>'; }
function geogroupGroup(g) {
  var rows = geogroupRow('lead', g[2] === null ? '\u2014' : g[1] + ' (' + g[2] + ')')
    + geogroupRow('size', geogroupOr(g[3]) + ' (1+' + geogroupOr(g[4]) + ')')
    + geogroupRow('mean_quality', geogroupOr(g[5]))
    + geogroupRow('mean_distance', geogroupOr(g[6]) + ' ' + geogroup_text.km);
  if (g[7] !== null) rows += geogroupRow('urban_rural', g[7] + ' / ' + g[8]);
  return '<div class="gg-group"><div class="gg-title">' + geogroup_text.group + ' ' + g[0]
    + '</div><table>' + rows + '</table></div>';
}
function geogroupSchool(p, groups) {
  var rows = geogroupRow('id', p.id) + geogroupRow('role', geogroupCode(p.r))
    + geogroupRow('group', p.g >= 0 ? groups[p.g][0] : '\u2014')
    + geogroupRow('quality', geogroupOr(p.q)) + geogroupRow('area', geogroupCode(p.a))
    + geogroupRow('level', geogroupCode(p.l)) + geogroupRow('students', geogroupOr(p.st))
    + geogroupRow('teachers', geogroupOr(p.te));
  if (p.g >= 0) rows += geogroupRow('distance', geogroupOr(p.d) + ' ' + geogroup_text.km);
  if (p.why) rows += geogroupRow('reason', p.why);
  return '<div class="gg-pop"><div class="gg-title">' + p.name + '</div><table>' + rows
    + '</table>' + (p.g >= 0 ? geogroupGroup(groups[p.g]) : '')
    + (p.note ? '<div class="gg-note">' + p.note + '</div>' : '') + '</div>';
}
function geogroupFeature(kind, groups, styles, feature, layer) {
  var p = feature.properties;
  p.kind = kind;
  if (p.s !== undefined) p.style = styles[p.s];
  if (kind === 'school') {
    p.label = geogroupUnescape(p.name) + ' (' + geogroupUnescape(p.id) + ')';  // text only
    layer.bindTooltip(p.name || p.id);
    layer.bindPopup(function () { return geogroupSchool(p, groups); }, {maxWidth: 360});
  } else if (kind === 'area') {
    layer.bindTooltip(geogroup_text.group + ' ' + groups[p.g][0]);
    layer.bindPopup(function () { return '<div class="gg-pop">' + geogroupGroup(groups[p.g])
      + '</div>'; }, {maxWidth: 360});
  }
}
"""


def _page_js(labels: dict[str, str]) -> str:
    escaped = {k: _e(v) for k, v in labels.items()}
    return _PAGE_JS % _js(escaped)


# --- folium elements (built on first use: folium is imported lazily) ----------------------


@functools.cache
def _search_elements() -> SimpleNamespace:
    from folium import FeatureGroup
    from folium.plugins import Search
    from folium.template import Template

    class LayerUnion(FeatureGroup):
        """A group of other layers, never on the map itself: what the search looks in."""

        _template = Template(
            "{% macro script(this, kwargs) %}var {{ this.get_name() }} = L.featureGroup(["
            "{% for layer in this.members %}{{ layer.get_name() }}, {% endfor %}]);"
            "{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__(name="search", control=False, show=False)
            self.members: list[Any] = []

    class SchoolSearch(Search):
        """folium's Search over the school layers, matching the names as typed.

        The page derives each school's ``label`` ("name (id)") by un-escaping its escaped
        name and id, so "St Mary's" and "A&B" are found as typed; tips are written with
        ``textContent`` (``buildTip``), so the raw label never reaches HTML.
        """

        _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new L.Control.Search({
            layer: {{ this.layer.get_name() }},
            propertyName: 'label',
            initial: false,
            collapsed: false,
            zoom: {{ this.search_zoom|tojson }},
            position: {{ this.position|tojson }},
            textPlaceholder: {{ this.placeholder|tojson }},
            textErr: {{ this.text_err|tojson }},
            hideMarkerOnCollapse: true,
            buildTip: function (text) {
                var tip = L.DomUtil.create('li', '');
                tip.textContent = text;
                return tip;
            }
        });
        {{ this.get_name() }}.on('search:locationfound', function (e) {
            if (e.layer && e.layer._popup) e.layer.openPopup();
        });
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """)

        def __init__(self, layer: Any, placeholder: str, text_err: str) -> None:
            super().__init__(layer, search_label="label", search_zoom=15, position="topleft",
                             placeholder=placeholder, collapsed=False)
            self.text_err = text_err

        def render(self, **kwargs: Any) -> None:
            if self.layer.members:
                super().render(**kwargs)

    return SimpleNamespace(LayerUnion=LayerUnion, SchoolSearch=SchoolSearch)


@functools.cache
def _elements() -> SimpleNamespace:
    from branca.element import CssLink, Element, JavascriptLink, MacroElement
    from folium.template import Template

    class Raw(Element):
        """Literal HTML, not a template (so ``{{`` in a library's code stays as it is)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def render(self, **kwargs: Any) -> str:
            return self.text

    class Script(MacroElement):
        """A script whose code is made at render time by ``make()``."""

        _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

        def __init__(self, make: Callable[[], str]) -> None:
            super().__init__()
            self.make = make
            self.code = ""

        def render(self, **kwargs: Any) -> None:
            self.code = self.make()
            super().render(**kwargs)

    class Legend(Element):
        def __init__(self) -> None:
            super().__init__()
            self.title = ""
            self.sections: list[str] = []

        def render(self, **kwargs: Any) -> str:
            body = "".join(f'<div class="gg-sec">{s}</div>' for s in self.sections)
            return (f'<div class="geogroup-legend" id="geogroup-legend"><details open>'
                    f"<summary>{self.title}</summary>{body}</details></div>")

    class Assets(Element):
        """Rewrites the page's JS/CSS links after the map has rendered (see _rewrite_links)."""

        def __init__(self, source: str | Path) -> None:
            super().__init__()
            self.source = source

        def render(self, **kwargs: Any) -> str:
            _rewrite_links(self.get_root().header, self.source, Raw, (JavascriptLink, CssLink))
            return ""

    return SimpleNamespace(Raw=Raw, Script=Script, Legend=Legend, Assets=Assets,
                           links=(JavascriptLink, CssLink), **vars(_search_elements()))


# --- assets ------------------------------------------------------------------------------

_MIME = {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
         ".jpeg": "image/jpeg", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
         ".eot": "application/vnd.ms-fontobject"}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
# Leaflet finds its default marker images through this one URL in its CSS: left as it is.
_KEEP_CSS_URLS = {"marker-icon.png"}


def _file_name(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css_urls(css: str, folder: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        name = _file_name(target.split("#", 1)[0])
        if target.startswith(("data:", "#", "http:", "https:")) or name in _KEEP_CSS_URLS:
            return match.group(0)
        path = folder / name
        return f'url("{_data_uri(path)}")' if path.is_file() else match.group(0)

    return _CSS_URL.sub(replace, css)


def _inline(url: str, folder: Path, is_js: bool) -> str:
    text = (folder / _file_name(url)).read_text(encoding="utf-8")
    if is_js:
        # "</script" would end the element early; "<\/script" is the same JavaScript.
        return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.I) + "</script>"
    css = _inline_css_urls(text, folder)
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", css, flags=re.I) + "</style>"


def _rewrite_links(header: Any, source: str | Path, raw: type, link_types: tuple[type, ...]) -> None:
    """Point every JS/CSS link of the page at a mirror, or inline it from a folder."""
    if source == "cdn":
        return
    links = {k: c for k, c in header._children.items() if isinstance(c, link_types)}
    if isinstance(source, str):
        for child in links.values():
            child.url = f"{source}/{_file_name(child.url)}"
        return
    _require_files(source, [c.url for c in links.values()])
    for key, child in links.items():
        header._children[key] = raw(_inline(child.url, source, isinstance(child, link_types[0])))


def _asset_urls(root: Any) -> list[str]:
    """The JS/CSS URLs that the elements of a figure will link."""
    urls, stack = [], [root]
    while stack:
        element = stack.pop()
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]:
            urls.append(url)
        stack.extend(element._children.values())
    return urls


def _require_files(folder: Path, urls: Iterable[str]) -> None:
    missing = sorted({u for u in urls if not (folder / _file_name(u)).is_file()})
    if missing:
        raise InputError(
            f"assets folder {str(folder)!r} lacks {len(missing)} file(s) the map uses: "
            + "; ".join(f"{_file_name(u)} (from {u})" for u in missing)
            + "; copy them there (tests/browser/setup.sh copies, from npm, those that "
            "geogroup's own maps use) or use assets='cdn'"
        )


def _check_assets(m: folium.Map, source: str | Path) -> None:
    if isinstance(source, Path):
        _require_files(source, _asset_urls(m))


# --- the map -----------------------------------------------------------------------------


@dataclass
class _State:
    """What geogroup added to a map, so that a second plan stacks onto the first."""

    legend: Any
    union: Any
    plans: list[dict[str, Any]] = field(default_factory=list)


def _tile_layer(key: str, opts: _Options, show: bool) -> Any:
    import folium

    url, subdomains, attr = _TILES[key]
    return folium.TileLayer(
        tiles=opts.tiles_url or url, attr=attr, name=_e(opts.labels[f"basemap_{key}"]),
        subdomains=subdomains, max_zoom=18, overlay=False, control=True, show=show,
    )


def _new_map(opts: _Options) -> folium.Map:
    import folium
    from folium.plugins import Fullscreen, MiniMap

    m = folium.Map(tiles=None, prefer_canvas=True, control_scale=False, zoom_start=10)
    # Bootstrap 3's glyphicon CSS and folium's icon-rotation CSS serve only icon markers,
    # which geogroup does not draw, and neither is published on npm for an offline copy.
    m.default_css = [(k, u) for k, u in m.default_css
                     if k not in {"glyphicons_css", "awesome_rotate_css"}]
    for i, key in enumerate(_BASEMAP_LAYERS[opts.basemap]):
        _tile_layer(key, opts, show=i == 0).add_to(m)
    labels = opts.labels
    Fullscreen(position="topleft", title=labels["fullscreen"],
               title_cancel=labels["fullscreen_exit"]).add_to(m)
    if opts.basemap != "none":
        url, subdomains, attr = _TILES[_BASEMAP_LAYERS[opts.basemap][0]]
        mini = folium.TileLayer(tiles=opts.tiles_url or url, attr=attr, subdomains=subdomains)
        MiniMap(tile_layer=mini, position="bottomright", toggle_display=True).add_to(m)
    el = _elements()
    el.Script(lambda: f"L.control.scale({{imperial: false}}).addTo({m.get_name()});").add_to(m)
    return m


def _state(m: folium.Map, opts: _Options) -> _State:
    state = getattr(m, "_geogroup", None)
    if state is not None:
        return state
    from folium import LayerControl

    el = _elements()
    root = m.get_root()
    root.header.add_child(el.Raw(f"<style>{_CSS}</style>"), name="geogroup_css")
    root.header.add_child(el.Raw(f"<script>{_page_js(opts.labels)}</script>"), name="geogroup_js")
    legend = el.Legend()
    legend.title = _e(opts.labels["legend"])
    root.html.add_child(legend, name="geogroup_legend")
    union = el.LayerUnion()
    m.add_child(union, name="geogroup_search_layers")
    search = el.SchoolSearch(union, opts.labels["search"], _e(opts.labels["search_none"]))
    m.add_child(search, name="geogroup_search")
    state = _State(legend=legend, union=union)
    m.add_child(el.Script(lambda: _registry_js(m, state)), name="geogroup_registry")
    if not any(isinstance(c, LayerControl) for c in m._children.values()):
        m.add_child(LayerControl(position="topright", collapsed=False), name="geogroup_layers")
    m._geogroup = state
    return state


def _registry_js(m: folium.Map, state: _State) -> str:
    """``window.geogroup``: the map and each plan's layers (for tests and for scripting);
    and, when a layer is switched back on, the draw order restored (areas at the back,
    schools on top) so that schools stay clickable on the shared canvas."""
    plans = ", ".join(
        "{" + ", ".join(f"{k}: {v if isinstance(v, str) and k != 'label' else _js(v)}"
                        for k, v in plan.items()) + "}"
        for plan in state.plans
    )
    return (
        f"window.geogroup = {{map: {m.get_name()}, plans: [{plans}]}};\n"
        f"{m.get_name()}.on('overlayadd', function () {{\n"
        "  var map = window.geogroup.map;\n"
        "  window.geogroup.plans.forEach(function (p) {\n"
        "    [p.areas, p.boundary].forEach(function (l) { if (l && map.hasLayer(l)) l.bringToBack(); });\n"
        "    [p.links, p.unassigned, p.schools, p.highlight].forEach(function (l) {\n"
        "      if (l && map.hasLayer(l)) l.bringToFront(); });\n"
        "  });\n"
        "});"
    )


def _finish(m: folium.Map, state: _State, opts: _Options) -> None:
    """Move geogroup's search, registry and the layer control after every layer (their
    scripts name the layers), and make the assets rewrite run after everything."""
    from folium import LayerControl

    for key in ("geogroup_search_layers", "geogroup_search", "geogroup_registry"):
        m._children[key] = m._children.pop(key)
    for key in [k for k, c in m._children.items() if isinstance(c, LayerControl)]:
        m._children[key] = m._children.pop(key)
    root = m.get_root()
    if opts.assets != "cdn":
        root._children.pop("geogroup_assets", None)
        root.add_child(_elements().Assets(opts.assets), name="geogroup_assets")
        _check_assets(m, opts.assets)


def _geojson_layer(data: dict, name: str, *, show: bool = True, points: bool = False,
                   on_each: str | None = None, interactive: bool = True) -> Any:
    import folium
    from folium.utilities import JsCode

    return folium.GeoJson(
        data, name=name, show=show, overlay=True, control=True,
        marker=folium.CircleMarker() if points else None,
        on_each_feature=JsCode(on_each) if on_each else None,
        interactive=interactive,
    )


def _feature_js(kind: str, table: str) -> str:
    return (f"function (feature, layer) {{ geogroupFeature('{kind}', {table}_groups, "
            f"{table}_styles, feature, layer); }}")


def _add_plan(m: folium.Map, plan: Plan | gpd.GeoDataFrame, opts: _Options, state: _State, *,
              label: str = "", show: bool = True, searchable: bool = True,
              colors: pd.Series | None = None, notes: dict[str, str] | None = None) -> _PlanData:
    """Draw one plan's layers onto ``m`` and register them."""
    labels = opts.labels
    data = _plan_data(plan, opts, colors, notes or {})
    styles = _Styles()
    prefix = f"{_e(label)}: " if label else ""
    table = _elements().Script(
        lambda: f"var {table.get_name()}_groups = {_js(_group_rows(data))};\n"
                f"var {table.get_name()}_styles = {_js(styles.items)};"
    )
    m.add_child(table)
    entry: dict[str, Any] = {"label": label}
    if len(data.groups):
        kind = "layer_zones" if data.zones else "layer_hulls"
        areas = _geojson_layer(_collection(_area_features(data, styles)),
                               prefix + _e(labels[kind]), show=show,
                               on_each=_feature_js("area", table.get_name()))
        entry["areas"] = areas.add_to(m).get_name()
    if len(data.groups) and data.detailed:
        links = _geojson_layer(_collection(_link_features(data, styles)),
                               prefix + _e(labels["layer_links"]), show=show, interactive=False,
                               on_each=_feature_js("link", table.get_name()))
        entry["links"] = links.add_to(m).get_name()
    grouped, others = _school_features(data, styles)
    for key, features in (("unassigned", others), ("schools", grouped)):
        if features:
            layer = _geojson_layer(_collection(features), prefix + _e(labels[f"layer_{key}"]),
                                   show=show, points=True,
                                   on_each=_feature_js("school", table.get_name())).add_to(m)
            entry[key] = layer.get_name()
            if searchable:
                state.union.members.append(layer)
    state.plans.append(entry)
    state.legend.sections.append(_legend_section(data, opts, label))
    return data


def _add_boundary(m: folium.Map, boundary: Any, opts: _Options, state: _State) -> np.ndarray:
    shapes = _boundary_shapes(boundary)
    geoms = _display(shapes, opts.gcj)
    style = {"color": "#333333", "weight": 2, "opacity": 0.9, "dashArray": "6 4", "fill": False}
    features = [{"type": "Feature", "geometry": _geojson(g),
                 "properties": {"kind": "boundary", "style": style}} for g in geoms]
    layer = _geojson_layer(_collection(features), _e(opts.labels["layer_boundary"]),
                           interactive=False).add_to(m)
    state.plans[-1]["boundary"] = layer.get_name()
    return np.asarray(shapely.total_bounds(geoms))


def _boundary_shapes(boundary: Any) -> np.ndarray:
    if isinstance(boundary, str | os.PathLike):
        path = Path(boundary)
        if not path.is_file():
            raise InputError(f"boundary: file {str(path)!r} does not exist")
        boundary = gpd.read_file(path)
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        series = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
        series = series.to_crs(S.WGS84) if series.crs else series.set_crs(S.WGS84)
        return series.to_numpy()
    if isinstance(boundary, shapely.Geometry):
        return np.array([boundary], dtype=object)
    raise InputError(
        "boundary: expected a GeoDataFrame, a GeoSeries, a shapely geometry (WGS-84) or a "
        f"path to a vector file, got {type(boundary).__name__}"
    )


def _highlight_notes(highlight: Any, schools: pd.DataFrame) -> dict[str, str]:
    notes = dict(highlight) if isinstance(highlight, Mapping | pd.Series) else {
        h: "" for h in highlight}
    notes = {str(k): "" if _missing(v) else str(v) for k, v in notes.items()}
    index = {str(i) for i in schools.index}
    unknown = [k for k in notes if k not in index]
    if unknown:
        raise InputError(
            f"highlight: {len(unknown)} school id(s) not in the plan, e.g. "
            f"{', '.join(map(repr, unknown[:5]))}"
        )
    return notes


def _add_highlight(m: folium.Map, data: _PlanData, name: str, state: _State) -> None:
    """Ring the schools of ``data.notes`` (their notes are in the schools' own popups; the
    rings take no clicks, so the school under each stays clickable)."""
    position = {str(i): p for p, i in enumerate(data.schools.index)}
    style = {"radius": 11, "weight": 3, "color": _HIGHLIGHT, "opacity": 1, "fill": False}
    features = [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": data.xy[position[sid]].tolist()},
         "properties": {"kind": "highlight", "id": _e(sid), "style": style}}
        for sid in data.notes
    ]
    if features:
        layer = _geojson_layer(_collection(features), _e(name), points=True, interactive=False)
        state.plans[-1]["highlight"] = layer.add_to(m).get_name()


def _bounds(data: list[_PlanData], extra: list[np.ndarray]) -> list[list[float]] | None:
    boxes = [np.r_[d.xy.min(axis=0), d.xy.max(axis=0)] for d in data if len(d.xy)] + extra
    if not boxes:
        return None
    box = np.vstack(boxes)
    return [[float(box[:, 1].min()), float(box[:, 0].min())],
            [float(box[:, 3].max()), float(box[:, 2].max())]]


# --- legend ------------------------------------------------------------------------------


def _dot(style: dict[str, Any], size: int = 18) -> str:
    r = min(style.get("radius", 5), size / 2 - 2)
    fill = style.get("fillColor", "none") if style.get("fill", True) else "none"
    return (f'<svg width="{size}" height="{size}" aria-hidden="true"><circle cx="{size / 2}" '
            f'cy="{size / 2}" r="{r}" fill="{fill}" fill-opacity="{style.get("fillOpacity", 1)}" '
            f'stroke="{style["color"]}" stroke-width="{style["weight"]}"/></svg>')


def _legend_row(symbol: str, text: str) -> str:
    return f'<div class="gg-row">{symbol}<span>{_e(text)}</span></div>'


def _legend_groups(data: _PlanData, labels: dict[str, str]) -> str:
    n = len(data.groups)
    if n == 0:
        return ""
    head = f'<div class="gg-head">{_e(labels["groups_title"])}</div>'
    if n > _LEGEND_GROUPS:
        return head + f"<div>{_e(labels['groups_many'].format(groups=n))}</div>"
    rows = "".join(
        f'<div class="gg-row"><span class="gg-sw" style="background:{data.colors.iloc[g]}"></span>'
        f"<span>{_e(gid)} · {_e(data.groups['lead_name'].iloc[g])}</span></div>"
        for g, gid in enumerate(data.groups.index)
    )
    return head + rows


def _legend_section(data: _PlanData, opts: _Options, label: str) -> str:
    labels = opts.labels
    roles = data.schools[S.ROLE].astype(str)
    counts = labels["counts"].format(
        schools=len(data.schools), groups=len(data.groups),
        unassigned=int((roles == S.UNASSIGNED).sum()))
    title = " · ".join(t for t in (label, data.title) if t)
    sample = PALETTE[0]
    symbols = [
        (_school_style(S.LEAD, S.URBAN, sample), labels["lead_symbol"]),
        (_school_style(S.MEMBER, S.URBAN, sample), labels["member_urban"]),
        (_school_style(S.MEMBER, S.RURAL, sample), labels["member_rural"]),
        (_school_style(S.UNASSIGNED, None, sample), labels["v:unassigned"]),
    ]
    notes = []
    if not data.detailed:
        notes.append(labels["detail"].format(limit=opts.detail_limit))
    if opts.gcj:
        notes.append(labels["amap_note"])
    if data.rejected:
        notes.append(labels["rejected"].format(n=data.rejected))
    return (
        (f'<div class="gg-head">{_e(title)}</div>' if title else "")
        + f"<div>{_e(counts)}</div>"
        + _legend_groups(data, labels)
        + f'<div class="gg-head">{_e(labels["roles_title"])} · {_e(labels["area_title"])}</div>'
        + "".join(_legend_row(_dot(style), text) for style, text in symbols)
        + "".join(f'<div class="gg-notes">{_e(n)}</div>' for n in notes)
    )


# --- public ------------------------------------------------------------------------------


def plan_map(
    plan: Plan | gpd.GeoDataFrame,
    *,
    m: folium.Map | None = None,
    lang: str = "zh",
    basemap: str = "osm",
    assets: str | os.PathLike[str] = "cdn",
    boundary: Any = None,
    highlight: Iterable[str] | Mapping[str, str] | None = None,
    name: str = "",
    tiles_url: str | None = None,
    detail_limit: int = DETAIL_LIMIT,
) -> folium.Map:
    """An interactive map of a plan: groups, leads, links, polygons, popups, legend.

    Parameters
    ----------
    plan
        A :class:`~geogroup.Plan`, or a schools frame with the plan columns (``group_id``,
        ``role``; ``reason`` for unassigned schools).
    m
        A folium map to draw onto (a second plan stacks onto the first: one legend, one
        search, one layer control). Its basemaps are kept; ``basemap='amap'`` still shifts
        the geometry into GCJ-02.
    lang
        ``'zh'`` or ``'en'``: labels, legend and popups.
    basemap
        ``'osm'``, ``'light'``, ``'amap'`` (GCJ-02: the geometry is shifted to match) or
        ``'none'``.
    assets
        ``'cdn'``, a mirror base URL, or a folder whose JS/CSS files are inlined.
    boundary
        A study boundary to draw: GeoDataFrame, GeoSeries, shapely geometry (WGS-84) or a
        path to a vector file.
    highlight
        School ids to ring in black, or a mapping of id to a note shown in the popup.
    name
        A label for this plan's layers and legend section (for stacked plans).
    tiles_url
        A tile URL template that replaces every basemap's (a local tile server, say).
    detail_limit
        Above this many schools, links are left out and polygons simplified.

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> type(plan_map(plan, lang="en")).__name__
    'Map'
    """
    opts = _options(lang, basemap, assets, tiles_url, detail_limit)
    if m is None:
        m = _new_map(opts)
        m.get_root().title = _e(f"geogroup · {_title(plan)}")
    notes = {} if highlight is None else _highlight_notes(highlight, _schools_of(plan))
    state = _state(m, opts)
    data = _add_plan(m, plan, opts, state, label=name, notes=notes)
    extra = []
    if boundary is not None:
        extra.append(_add_boundary(m, boundary, opts, state))
    _add_highlight(m, data, opts.labels["layer_highlight"], state)
    bounds = _bounds([data], extra)
    if bounds is not None:
        m.fit_bounds(bounds)
    _finish(m, state, opts)
    return m


def _title(plan: Plan | gpd.GeoDataFrame) -> str:
    return f"{plan.policy.name} · {plan.method}" if isinstance(plan, Plan) else "plan"


def compare_map(
    plan_a: Plan | gpd.GeoDataFrame,
    plan_b: Plan | gpd.GeoDataFrame,
    *,
    labels: tuple[str, str] | None = None,
    lang: str = "zh",
    basemap: str = "osm",
    assets: str | os.PathLike[str] = "cdn",
    boundary: Any = None,
    tiles_url: str | None = None,
    detail_limit: int = DETAIL_LIMIT,
) -> folium.Map:
    """Two plans on one map, ``plan_b`` shown and ``plan_a`` a toggle away in the layer
    control, with the schools that changed group (:func:`~geogroup.compare_plans`) ringed.

    Groups of ``plan_a`` take the colour of the group of ``plan_b`` they were matched with,
    so a school changes colour when it changes group. Search looks in ``plan_b``.

    Examples
    --------
    >>> import geogroup as gg
    >>> a = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> type(compare_map(a, a, lang="en")).__name__
    'Map'
    """
    opts = _options(lang, basemap, assets, tiles_url, detail_limit)
    words = opts.labels
    label_a, label_b = labels or (f"{words['plan']} A", f"{words['plan']} B")
    comparison = compare_plans(plan_a, plan_b)
    colors_b = group_colors(plan_b)
    matched = comparison.group_map.dropna().map(colors_b)
    moves = comparison.moves
    notes = {
        str(sid): words["moved_from"].format(
            a=label_a, b=label_b, ga=words["none"] if _missing(r.group_a) else r.group_a,
            gb=words["none"] if _missing(r.group_b) else r.group_b)
        for sid, r in zip(moves.index, moves.itertuples(index=False), strict=True)
    }
    m = _new_map(opts)
    m.get_root().title = _e(words["compare_title"].format(a=label_a, b=label_b))
    state = _state(m, opts)
    data_a = _add_plan(m, plan_a, opts, state, label=label_a, show=False, searchable=False,
                       colors=_colors_for(plan_a, matched))
    data_b = _add_plan(m, plan_b, opts, state, label=label_b, colors=colors_b, notes=notes)
    extra = [_add_boundary(m, boundary, opts, state)] if boundary is not None else []
    _add_highlight(m, data_b, words["layer_moved"], state)
    state.legend.sections.append(
        _legend_row(_dot({"radius": 7, "weight": 3, "color": _HIGHLIGHT, "fill": False}),
                    words["moved"].format(n=len(notes))))
    bounds = _bounds([data_a, data_b], extra)
    if bounds is not None:
        m.fit_bounds(bounds)
    _finish(m, state, opts)
    return m


def _colors_for(plan: Plan | gpd.GeoDataFrame, matched: pd.Series) -> pd.Series:
    """``matched`` colours where a group has one; the plan's own colouring elsewhere."""
    own = group_colors(plan)
    return matched.reindex(own.index).where(lambda c: c.notna(), own)


_FOLIUM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def _stable_ids(html: str) -> str:
    """Replace folium's random element ids by numbers in order of appearance, so the same
    plan always gives the same file."""
    numbers: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return numbers.setdefault(match.group(0), f"{len(numbers) + 1:032d}")

    return _FOLIUM_ID.sub(number, html)


def save_map(
    plan: Plan | gpd.GeoDataFrame | folium.Map, path: str | os.PathLike[str], **options: Any
) -> Path:
    """Write the map of ``plan`` (or a ready folium map) to one HTML file, atomically.

    ``options`` go to :func:`plan_map`. The HTML is written to a temporary file in the same
    folder and moved into place, so a reader never sees half a file.

    Examples
    --------
    >>> import tempfile, geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_map(plan, Path(tmp) / "map.html").stat().st_size > 10_000
    True
    """
    import folium

    if isinstance(plan, folium.Map):
        if options:
            raise InputError(f"save_map: options {sorted(options)} apply to a plan, not to a map")
        m = plan
    else:
        m = plan_map(plan, **options)
    text = _stable_ids(m.get_root().render())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
