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
    :func:`group_colors` (``_colors``) colours the graph of groups (hulls that touch or
    overlap, and each group's nearest groups) greedily over :data:`PALETTE`, so neighbouring
    groups differ.
Basemaps
    ``'osm'`` (OpenStreetMap, CartoDB positron a click away), ``'light'`` (positron first),
    ``'amap'`` (高德; its tiles are GCJ-02, so every geometry drawn is shifted into GCJ-02
    vertex by vertex and sits on AMap's streets) and ``'none'`` (a blank background).
Assets
    Where the map's JavaScript and CSS come from: ``'cdn'`` (folium's defaults, needs the
    internet), a base URL of a mirror (each file is fetched as ``<base>/<file name>``), or a
    local folder whose files are inlined, which makes one self-contained file that opens
    offline (tiles aside). ``tests/browser/setup.sh`` fills such a folder from npm
    (``_assets``).
Size
    Schools are one GeoJSON layer of circle markers drawn on a canvas; above
    ``detail_limit`` schools the links are left out and the hulls simplified (the legend
    says so). The HTML grows linearly with the schools: ``bench/maps_results.md``.
Safety
    Every string from the input passes through :func:`html.escape` before it reaches HTML
    (popups, tooltips, legend, layer names, search labels), and data written into scripts
    is JSON with ``<``, ``>`` and ``&`` escaped (``_text``).
Modules
    This one adds the layers to a folium map and writes it; ``_options`` checks the options
    (labels from ``labels/*.toml``), ``_features`` turns a plan into GeoJSON features,
    ``_legend`` writes the legend, ``_mapjs`` and ``static/`` hold the page's JavaScript and
    CSS, ``_elements`` geogroup's folium elements.

folium is imported inside the functions (as in geopandas' ``explore``), so importing
geogroup does not import it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.evaluate import compare_plans
from geogroup.outputs import atomic_write
from geogroup.plan import Plan
from geogroup.present._assets import check_assets
from geogroup.present._colors import PALETTE, group_colors, schools_of
from geogroup.present._elements import elements
from geogroup.present._features import (
    PlanData,
    Styles,
    area_features,
    collection,
    display,
    geojson,
    group_rows,
    link_features,
    plan_data,
    school_features,
)
from geogroup.present._legend import legend_row, legend_section, symbol
from geogroup.present._mapjs import feature_js, page_css, page_js, registry_js
from geogroup.present._options import (
    BASEMAP_LAYERS,
    BASEMAPS,
    DETAIL_LIMIT,
    TILES,
    MapOptions,
    map_options,
)
from geogroup.present._text import escape, is_missing, script_json

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

_HIGHLIGHT = "#111111"


# --- the map -----------------------------------------------------------------------------


@dataclass
class _State:
    """What geogroup added to a map, so that a second plan stacks onto the first."""

    legend: Any
    union: Any
    plans: list[dict[str, Any]] = field(default_factory=list)


def _tile_layer(key: str, opts: MapOptions, show: bool) -> Any:
    import folium

    url, subdomains, attr = TILES[key]
    return folium.TileLayer(
        tiles=opts.tiles_url or url,
        attr=attr,
        name=escape(opts.labels[f"basemap_{key}"]),
        subdomains=subdomains,
        max_zoom=18,
        overlay=False,
        control=True,
        show=show,
    )


def _new_map(opts: MapOptions) -> folium.Map:
    import folium
    from folium.plugins import Fullscreen, MiniMap

    m = folium.Map(tiles=None, prefer_canvas=True, control_scale=False, zoom_start=10)
    # Bootstrap 3's glyphicon CSS and folium's icon-rotation CSS serve only icon markers,
    # which geogroup does not draw, and neither is published on npm for an offline copy.
    m.default_css = [
        (k, u) for k, u in m.default_css if k not in {"glyphicons_css", "awesome_rotate_css"}
    ]
    for i, key in enumerate(BASEMAP_LAYERS[opts.basemap]):
        _tile_layer(key, opts, show=i == 0).add_to(m)
    labels = opts.labels
    Fullscreen(
        position="topleft", title=labels["fullscreen"], title_cancel=labels["fullscreen_exit"]
    ).add_to(m)
    if opts.basemap != "none":
        url, subdomains, attr = TILES[BASEMAP_LAYERS[opts.basemap][0]]
        mini = folium.TileLayer(tiles=opts.tiles_url or url, attr=attr, subdomains=subdomains)
        MiniMap(tile_layer=mini, position="bottomright", toggle_display=True).add_to(m)
    el = elements()
    el.Script(lambda: f"L.control.scale({{imperial: false}}).addTo({m.get_name()});").add_to(m)
    return m


def _state(m: folium.Map, opts: MapOptions) -> _State:
    state = getattr(m, "_geogroup", None)
    if state is not None:
        return state
    from folium import LayerControl

    el = elements()
    root = m.get_root()
    root.header.add_child(el.Raw(page_css()), name="geogroup_css")
    root.header.add_child(el.Raw(page_js(opts.labels)), name="geogroup_js")
    legend = el.Legend()
    legend.title = escape(opts.labels["legend"])
    root.html.add_child(legend, name="geogroup_legend")
    union = el.LayerUnion()
    m.add_child(union, name="geogroup_search_layers")
    search = el.SchoolSearch(union, opts.labels["search"], escape(opts.labels["search_none"]))
    m.add_child(search, name="geogroup_search")
    state = _State(legend=legend, union=union)
    registry = el.Script(lambda: registry_js(m.get_name(), state.plans))
    m.add_child(registry, name="geogroup_registry")
    if not any(isinstance(c, LayerControl) for c in m._children.values()):
        m.add_child(LayerControl(position="topright", collapsed=False), name="geogroup_layers")
    m._geogroup = state
    return state


def _finish(m: folium.Map, state: _State, opts: MapOptions) -> None:
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
        root.add_child(elements().Assets(opts.assets), name="geogroup_assets")
        check_assets(m, opts.assets)


def _geojson_layer(
    data: dict,
    name: str,
    *,
    show: bool = True,
    points: bool = False,
    on_each: str | None = None,
    interactive: bool = True,
) -> Any:
    import folium
    from folium.utilities import JsCode

    return folium.GeoJson(
        data,
        name=name,
        show=show,
        overlay=True,
        control=True,
        marker=folium.CircleMarker() if points else None,
        on_each_feature=JsCode(on_each) if on_each else None,
        interactive=interactive,
    )


def _add_plan(
    m: folium.Map,
    plan: Plan | gpd.GeoDataFrame,
    opts: MapOptions,
    state: _State,
    *,
    label: str = "",
    show: bool = True,
    searchable: bool = True,
    colors: pd.Series | None = None,
    notes: dict[str, str] | None = None,
) -> PlanData:
    """Draw one plan's layers onto ``m`` and register them."""
    labels = opts.labels
    data = plan_data(plan, opts, colors, notes or {})
    styles = Styles()
    prefix = f"{escape(label)}: " if label else ""
    table = elements().Script(
        lambda: (
            f"var {table.get_name()}_groups = {script_json(group_rows(data))};\n"
            f"var {table.get_name()}_styles = {script_json(styles.items)};"
        )
    )
    m.add_child(table)
    entry: dict[str, Any] = {"label": label}
    if len(data.groups):
        kind = "layer_zones" if data.zones else "layer_hulls"
        areas = _geojson_layer(
            collection(area_features(data, styles)),
            prefix + escape(labels[kind]),
            show=show,
            on_each=feature_js("area", table.get_name()),
        )
        entry["areas"] = areas.add_to(m).get_name()
    if len(data.groups) and data.detailed:
        links = _geojson_layer(
            collection(link_features(data, styles)),
            prefix + escape(labels["layer_links"]),
            show=show,
            interactive=False,
            on_each=feature_js("link", table.get_name()),
        )
        entry["links"] = links.add_to(m).get_name()
    grouped, others = school_features(data, styles)
    for key, features in (("unassigned", others), ("schools", grouped)):
        if features:
            layer = _geojson_layer(
                collection(features),
                prefix + escape(labels[f"layer_{key}"]),
                show=show,
                points=True,
                on_each=feature_js("school", table.get_name()),
            ).add_to(m)
            entry[key] = layer.get_name()
            if searchable:
                state.union.members.append(layer)
    state.plans.append(entry)
    state.legend.sections.append(legend_section(data, opts, label))
    return data


def _add_boundary(m: folium.Map, boundary: Any, opts: MapOptions, state: _State) -> np.ndarray:
    shapes = _boundary_shapes(boundary)
    geoms = display(shapes, opts.gcj)
    style = {"color": "#333333", "weight": 2, "opacity": 0.9, "dashArray": "6 4", "fill": False}
    features = [
        {
            "type": "Feature",
            "geometry": geojson(g),
            "properties": {"kind": "boundary", "style": style},
        }
        for g in geoms
    ]
    layer = _geojson_layer(
        collection(features), escape(opts.labels["layer_boundary"]), interactive=False
    ).add_to(m)
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
    notes = (
        dict(highlight)
        if isinstance(highlight, Mapping | pd.Series)
        else {h: "" for h in highlight}
    )
    notes = {str(k): "" if is_missing(v) else str(v) for k, v in notes.items()}
    index = {str(i) for i in schools.index}
    unknown = [k for k in notes if k not in index]
    if unknown:
        raise InputError(
            f"highlight: {len(unknown)} school id(s) not in the plan, e.g. "
            f"{', '.join(map(repr, unknown[:5]))}"
        )
    return notes


def _add_highlight(m: folium.Map, data: PlanData, name: str, state: _State) -> None:
    """Ring the schools of ``data.notes`` (their notes are in the schools' own popups; the
    rings take no clicks, so the school under each stays clickable)."""
    position = {str(i): p for p, i in enumerate(data.schools.index)}
    style = {"radius": 11, "weight": 3, "color": _HIGHLIGHT, "opacity": 1, "fill": False}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": data.xy[position[sid]].tolist()},
            "properties": {"kind": "highlight", "id": escape(sid), "style": style},
        }
        for sid in data.notes
    ]
    if features:
        layer = _geojson_layer(collection(features), escape(name), points=True, interactive=False)
        state.plans[-1]["highlight"] = layer.add_to(m).get_name()


def _bounds(data: list[PlanData], extra: list[np.ndarray]) -> list[list[float]] | None:
    boxes = [np.r_[d.xy.min(axis=0), d.xy.max(axis=0)] for d in data if len(d.xy)] + extra
    if not boxes:
        return None
    box = np.vstack(boxes)
    return [
        [float(box[:, 1].min()), float(box[:, 0].min())],
        [float(box[:, 3].max()), float(box[:, 2].max())],
    ]


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
    opts = map_options(lang, basemap, assets, tiles_url, detail_limit)
    if m is None:
        m = _new_map(opts)
        m.get_root().title = escape(f"geogroup · {_title(plan)}")
    notes = {} if highlight is None else _highlight_notes(highlight, schools_of(plan))
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
    opts = map_options(lang, basemap, assets, tiles_url, detail_limit)
    words = opts.labels
    label_a, label_b = labels or (f"{words['plan']} A", f"{words['plan']} B")
    comparison = compare_plans(plan_a, plan_b)
    colors_b = group_colors(plan_b)
    matched = comparison.group_map.dropna().map(colors_b)
    moves = comparison.moves
    notes = {
        str(sid): words["moved_from"].format(
            a=label_a,
            b=label_b,
            ga=words["none"] if is_missing(r.group_a) else r.group_a,
            gb=words["none"] if is_missing(r.group_b) else r.group_b,
        )
        for sid, r in zip(moves.index, moves.itertuples(index=False), strict=True)
    }
    m = _new_map(opts)
    m.get_root().title = escape(words["compare_title"].format(a=label_a, b=label_b))
    state = _state(m, opts)
    data_a = _add_plan(
        m,
        plan_a,
        opts,
        state,
        label=label_a,
        show=False,
        searchable=False,
        colors=_colors_for(plan_a, matched),
    )
    data_b = _add_plan(m, plan_b, opts, state, label=label_b, colors=colors_b, notes=notes)
    extra = [_add_boundary(m, boundary, opts, state)] if boundary is not None else []
    _add_highlight(m, data_b, words["layer_moved"], state)
    state.legend.sections.append(
        legend_row(
            symbol({"radius": 7, "weight": 3, "color": _HIGHLIGHT, "fill": False}),
            words["moved"].format(n=len(notes)),
        )
    )
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
    return atomic_write(path, text)
