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
    ``'amap'`` (高德, reachable in China; its tiles of mainland China are GCJ-02, so every
    vertex drawn there is shifted into GCJ-02 and sits on AMap's streets, and a place
    outside is drawn as it is, with a warning: ``_china``) and ``'none'`` (a blank
    background). Unset, a Chinese map of schools in mainland China gets AMap, any other
    OpenStreetMap; the legend names the basemap.
Assets
    Where the map's JavaScript and CSS come from: ``'auto'`` (the files that
    ``geogroup assets`` downloaded, inlined, when present; else the CDNs), ``'cdn'``
    (folium's defaults, needs the internet), a base URL of a mirror (each file is fetched as
    ``<base>/<file name>``), or a local folder whose files are inlined. Inlined, the map is
    one self-contained file that opens offline, tiles aside (``_assets``, ``_fetch``). A map
    whose scripts cannot load says so in the page, and which command makes maps that work
    offline.
Size
    Schools go to the page as columns that its script turns into one GeoJSON layer of
    circle markers drawn on a canvas; above ``detail_limit`` schools the links are left out
    and the hulls simplified (the legend says so). The HTML grows linearly with the
    schools: ``bench/maps_results.md``.
Labels and sectors
    Each group's id and lead are written at its centre while the groups in view are spread
    out enough to read (a county, not a province); under the sector rule the sector
    boundaries of each unit are drawn from its centre, with the sectors' names
    (``_overlays``).
Safety
    Every string from the input passes through :func:`html.escape` before it reaches HTML
    (popups, tooltips, legend, layer names, search labels), and data written into scripts
    is JSON with ``<``, ``>`` and ``&`` escaped (``_text``).
Modules
    This one adds the layers to a folium map and writes it; ``_options`` checks the options
    (labels from ``labels/*.toml``), ``_features`` turns a plan into GeoJSON features,
    ``_legend`` writes the legend, ``_overlays`` the labels and sectors, ``_mapjs`` and
    ``static/`` hold the page's JavaScript and CSS, ``_elements`` geogroup's folium
    elements.

folium is imported inside the functions (as in geopandas' ``explore``), so importing
geogroup does not import it.
"""

from __future__ import annotations

import dataclasses
import json
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
    feature_text,
    group_rows,
    link_features,
    plan_data,
    school_columns,
)
from geogroup.present._legend import legend_row, legend_section, plan_title, symbol
from geogroup.present._mapjs import (
    labels_js,
    layer_js,
    notice_js,
    page_css,
    page_js,
    registry_js,
)
from geogroup.present._options import (
    BASEMAP_LAYERS,
    BASEMAPS,
    DETAIL_LIMIT,
    TILES,
    MapOptions,
    chosen_basemap,
    map_options,
)
from geogroup.present._overlays import boundary_shapes, group_label_items, sector_overlay
from geogroup.present._routes import route_layer
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
    basemap: str | None
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
    basemap = opts.basemap or "osm"
    for i, key in enumerate(BASEMAP_LAYERS[basemap]):
        _tile_layer(key, opts, show=i == 0).add_to(m)
    labels = opts.labels
    Fullscreen(
        position="topleft", title=labels["fullscreen"], title_cancel=labels["fullscreen_exit"]
    ).add_to(m)
    if basemap != "none":
        url, subdomains, attr = TILES[BASEMAP_LAYERS[basemap][0]]
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
    root.header.add_child(el.Raw(notice_js(opts.labels)), name="geogroup_notice")
    root.header.add_child(el.Raw(page_css()), name="geogroup_css")
    root.header.add_child(el.Raw(page_js(opts.labels)), name="geogroup_js")
    legend = el.Legend()
    legend.title = escape(opts.labels["legend"])
    root.html.add_child(legend, name="geogroup_legend")
    union = el.LayerUnion()
    m.add_child(union, name="geogroup_search_layers")
    search = el.SchoolSearch(union, opts.labels["search"], escape(opts.labels["search_none"]))
    m.add_child(search, name="geogroup_search")
    state = _State(legend=legend, union=union, basemap=opts.basemap)
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
    if opts.assets.kind != "cdn":
        root._children.pop("geogroup_assets", None)
        root.add_child(elements().Assets(opts.assets), name="geogroup_assets")
        check_assets(m, opts.assets)


def _layer(code: str, name: str, *, show: bool = True) -> Any:
    """A layer made by ``code``, named ``name`` (escaped HTML) in the layer control; braces
    as entities, since folium's layer control reads its own output as a Jinja template."""
    name = name.replace("{", "&#123;").replace("}", "&#125;")
    return elements().JsLayer(code, name, show=show)


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
    rows = group_rows(data)
    table = elements().Script(
        lambda: (
            f"var {table.get_name()}_groups = {script_json(rows)};\n"
            f"var {table.get_name()}_styles = {script_json(styles.items)};"
        )
    )
    m.add_child(table)
    name = table.get_name()
    entry: dict[str, Any] = {"label": label}

    def add(key: str, code: str, layer_name: str) -> Any:
        layer = _layer(code, prefix + escape(layer_name), show=show)
        entry[key] = layer.add_to(m).get_name()
        return layer

    if len(data.groups):
        kind = "layer_zones" if data.zones else "layer_hulls"
        add("areas", layer_js(collection(area_features(data, styles)), "area", name), labels[kind])
    if len(data.groups) and data.detailed:
        links = collection(link_features(data, styles))
        add("links", layer_js(links, "link", name, interactive=False), labels["layer_links"])
    sectors = sector_overlay(data, data.sectors, opts)
    if sectors is not None:
        lines, items = sectors
        code = (
            f"L.layerGroup([{layer_js(lines, 'sector', None, interactive=False)}, "
            f"{labels_js(items, collide=False)}])"
        )
        add("sectors", code, labels["layer_sectors"])
    grouped, others = school_columns(data, styles, opts.lang)
    for key, columns in (("unassigned", others), ("schools", grouped)):
        if columns["x"]:
            layer = add(key, layer_js(script_json(columns), "school", name), labels[f"layer_{key}"])
            if searchable:
                state.union.members.append(layer)
    if len(data.groups):
        items = group_label_items(data)
        add("labels", labels_js(items, collide=True), labels["layer_labels"])
    state.plans.append(entry)
    state.legend.sections.append(legend_section(data, opts, label))
    return data


def _add_boundary(m: folium.Map, boundary: Any, opts: MapOptions, state: _State) -> np.ndarray:
    shapes = boundary_shapes(boundary)
    geoms = display(shapes, opts.gcj)
    style = {"color": "#333333", "weight": 2, "opacity": 0.9, "dashArray": "6 4", "fill": False}
    features = [
        feature_text(text, {"kind": "boundary", "style": style})
        for text in shapely.to_geojson(geoms).tolist()
    ]
    code = layer_js(collection(features), "boundary", None, interactive=False)
    layer = _layer(code, escape(opts.labels["layer_boundary"])).add_to(m)
    state.plans[-1]["boundary"] = layer.get_name()
    return np.asarray(shapely.total_bounds(geoms))


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
        feature_text(
            json.dumps({"type": "Point", "coordinates": data.xy[position[sid]].tolist()}),
            {"kind": "highlight", "id": escape(sid), "style": style},
        )
        for sid in data.notes
    ]
    if features:
        code = layer_js(collection(features), "highlight", None, interactive=False)
        state.plans[-1]["highlight"] = _layer(code, escape(name)).add_to(m).get_name()


def _bounds(data: list[PlanData], extra: list[np.ndarray]) -> list[list[float]] | None:
    boxes = [
        np.r_[np.nanmin(d.xy, axis=0), np.nanmax(d.xy, axis=0)]
        for d in data
        if np.isfinite(d.xy).all(axis=1).any()
    ] + extra
    if not boxes:
        return None
    box = np.vstack(boxes)
    return [
        [float(box[:, 1].min()), float(box[:, 0].min())],
        [float(box[:, 3].max()), float(box[:, 2].max())],
    ]


def _options_for(
    plans: list[Plan | gpd.GeoDataFrame], opts: MapOptions, m: folium.Map | None
) -> MapOptions:
    """``opts`` with the basemap decided: given, that of the map ``m`` stacks onto, or chosen
    for where the plans' schools are."""
    if opts.basemap is None and m is not None:
        state = getattr(m, "_geogroup", None)
        if state is None or state.basemap is None:  # a map of the user's: its tiles are theirs
            return opts
        opts = dataclasses.replace(opts, basemap=state.basemap)
    points = [schools_of(p).geometry for p in plans]
    lonlat = np.vstack(
        [
            np.column_stack([shapely.get_x(g.to_numpy()), shapely.get_y(g.to_numpy())])
            for g in points
        ]
    )
    return chosen_basemap(opts, lonlat)


# --- public ------------------------------------------------------------------------------


def plan_map(
    plan: Plan | gpd.GeoDataFrame,
    *,
    m: folium.Map | None = None,
    lang: str = "zh",
    basemap: str | None = None,
    assets: str | os.PathLike[str] = "auto",
    boundary: Any = None,
    highlight: Iterable[str] | Mapping[str, str] | None = None,
    name: str = "",
    tiles_url: str | None = None,
    detail_limit: int = DETAIL_LIMIT,
    routes: Any = None,
) -> folium.Map:
    """An interactive map of a plan: groups, leads, links, polygons, popups, legend.

    Parameters
    ----------
    plan
        A :class:`~geogroup.Plan`, or a schools frame with the plan columns (``group_id``,
        ``role``; ``reason`` for unassigned schools).
    m
        A folium map to draw onto (a second plan stacks onto the first: one legend, one
        search, one layer control). Its basemaps are kept, and so is the GCJ-02 shift of a
        map made with AMap; ``basemap='amap'`` shifts this plan all the same.
    lang
        ``'zh'`` or ``'en'``: labels, legend, popups, and the names of presets and methods.
    basemap
        ``'osm'``, ``'light'``, ``'amap'`` (高德: the geometry in mainland China is shifted
        into GCJ-02 to match its tiles; schools outside are drawn unshifted, with a warning)
        or ``'none'``. None: AMap when ``lang='zh'`` and most schools lie in mainland China,
        else OpenStreetMap.
    assets
        ``'auto'`` (the JS/CSS that :func:`~geogroup.present.download_assets` keeps, inlined,
        when present; the CDNs otherwise), ``'cdn'``, a mirror base URL, or a folder whose
        JS/CSS files are inlined.
    boundary
        A study boundary to draw: GeoDataFrame, GeoSeries, shapely geometry (WGS-84) or a
        path to a vector file of polygons.
    highlight
        School ids to ring in black, or a mapping of id to a note shown in the popup.
    name
        A label for this plan's layers and legend section (for stacked plans).
    tiles_url
        A tile URL template that replaces every basemap's (a local tile server, say).
    detail_limit
        Above this many schools, links are left out and polygons simplified.
    routes
        Road routes to draw (the lines of :func:`~geogroup.locate.route_lines`).

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> type(plan_map(plan, lang="en")).__name__
    'Map'
    """
    opts = _options_for([plan], map_options(lang, basemap, assets, tiles_url, detail_limit), m)
    if m is None:
        m = _new_map(opts)
        m.get_root().title = escape(f"geogroup · {_title(plan, opts)}")
    notes = {} if highlight is None else _highlight_notes(highlight, schools_of(plan))
    state = _state(m, opts)
    data = _add_plan(m, plan, opts, state, label=name, notes=notes)
    extra = []
    if boundary is not None:
        extra.append(_add_boundary(m, boundary, opts, state))
    if routes is not None:
        _layer(*route_layer(routes, opts)[:2]).add_to(m)
    _add_highlight(m, data, opts.labels["layer_highlight"], state)
    bounds = _bounds([data], extra)
    if bounds is not None:
        m.fit_bounds(bounds)
    _finish(m, state, opts)
    return m


def _title(plan: Plan | gpd.GeoDataFrame, opts: MapOptions) -> str:
    if not isinstance(plan, Plan):
        return opts.labels["plan"]
    return plan_title(plan.policy.name, plan.method, opts.labels)


def compare_map(
    plan_a: Plan | gpd.GeoDataFrame,
    plan_b: Plan | gpd.GeoDataFrame,
    *,
    labels: tuple[str, str] | None = None,
    lang: str = "zh",
    basemap: str | None = None,
    assets: str | os.PathLike[str] = "auto",
    boundary: Any = None,
    tiles_url: str | None = None,
    detail_limit: int = DETAIL_LIMIT,
) -> folium.Map:
    """Two plans on one map, ``plan_b`` shown and ``plan_a`` a toggle away in the layer
    control, with the schools that changed group (:func:`~geogroup.compare_plans`) ringed.

    Groups of ``plan_a`` take the colour of the group of ``plan_b`` they were matched with,
    so a school changes colour when it changes group. Search looks in ``plan_b``. The
    other options are those of :func:`plan_map`.

    Examples
    --------
    >>> import geogroup as gg
    >>> a = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> type(compare_map(a, a, lang="en")).__name__
    'Map'
    """
    opts = map_options(lang, basemap, assets, tiles_url, detail_limit)
    opts = _options_for([plan_a, plan_b], opts, None)
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
