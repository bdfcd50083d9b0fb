"""What a map is drawn with: its language, basemap (tile layers), assets and detail limit."""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass

import numpy as np

from geogroup.errors import InputError
from geogroup.present._assets import AssetSource, asset_source
from geogroup.present._china import in_mainland_china
from geogroup.present._labels import MAP_LABELS

__all__ = [
    "BASEMAPS",
    "BASEMAP_LAYERS",
    "DETAIL_LIMIT",
    "TILES",
    "MapOptions",
    "chosen_basemap",
    "map_options",
]

BASEMAPS = ("osm", "light", "amap", "none")
DETAIL_LIMIT = 5000
"""Above this many schools, links are left out and group polygons simplified."""

_OSM_ATTR = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
TILES: dict[str, tuple[str, str, str]] = {
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
"""Tile layers by key: URL template, subdomains, attribution (HTML)."""

BASEMAP_LAYERS = {"osm": ("osm", "light"), "light": ("light", "osm"), "amap": ("amap",), "none": ()}
"""The tile layers of each basemap, the one shown first."""


@dataclass(frozen=True)
class MapOptions:
    """The checked options of :func:`~geogroup.present.plan_map`; ``basemap`` None until
    the plan decides it (:func:`chosen_basemap`)."""

    lang: str
    basemap: str | None
    assets: AssetSource
    tiles_url: str | None
    detail_limit: int

    @property
    def labels(self) -> dict[str, str]:
        return MAP_LABELS[self.lang]

    @property
    def gcj(self) -> bool:
        """Whether geometry in mainland China is shifted into GCJ-02, AMap's datum."""
        return self.basemap == "amap"


def map_options(
    lang: str,
    basemap: str | None,
    assets: str | os.PathLike[str],
    tiles_url: str | None,
    detail_limit: int,
) -> MapOptions:
    """The options of a map, after checking each; raises InputError naming the bad one."""
    if lang not in MAP_LABELS:
        raise InputError(f"lang: expected one of {', '.join(MAP_LABELS)}, got {lang!r}")
    if basemap is not None and basemap not in BASEMAPS:
        raise InputError(
            f"basemap: expected one of {', '.join(BASEMAPS)} (or None: chosen by language and "
            f"place), got {basemap!r}"
        )
    if not isinstance(detail_limit, int) or detail_limit < 0:
        raise InputError(f"detail_limit: expected a whole number >= 0, got {detail_limit!r}")
    return MapOptions(lang, basemap, asset_source(assets), tiles_url, detail_limit)


def chosen_basemap(opts: MapOptions, lonlat: np.ndarray) -> MapOptions:
    """``opts`` with its basemap decided for schools at ``lonlat`` (WGS-84).

    Unset: AMap (高德, reachable in China) for a Chinese map whose schools lie mostly in
    mainland China, OpenStreetMap otherwise. AMap for schools outside mainland China warns:
    they are drawn where they are, without the GCJ-02 shift (AMap's tiles there are not
    shifted either).
    """
    known = lonlat[np.isfinite(lonlat).all(axis=1)] if len(lonlat) else lonlat
    inside = in_mainland_china(known[:, 0], known[:, 1]) if len(known) else np.zeros(0, bool)
    if opts.basemap is None:
        amap = opts.lang == "zh" and len(inside) > 0 and inside.mean() >= 0.5
        return dataclasses.replace(opts, basemap="amap" if amap else "osm")
    outside = int((~inside).sum())
    if opts.basemap == "amap" and outside:
        warnings.warn(
            f"basemap 'amap': {outside:,} of {len(inside):,} schools lie outside mainland "
            "China, where AMap's tiles are not GCJ-02: they are drawn without the shift "
            "(for a plan outside China, basemap='osm' has better tiles)",
            UserWarning,
            stacklevel=3,
        )
    return opts
