"""What a map is drawn with: its language, basemap (tile layers), assets and detail limit."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geogroup.errors import InputError
from geogroup.present._assets import asset_source
from geogroup.present._labels import MAP_LABELS

__all__ = ["BASEMAPS", "BASEMAP_LAYERS", "DETAIL_LIMIT", "TILES", "MapOptions", "map_options"]

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
    """The checked options of :func:`~geogroup.present.plan_map`."""

    lang: str
    basemap: str
    assets: str | Path
    tiles_url: str | None
    detail_limit: int

    @property
    def labels(self) -> dict[str, str]:
        return MAP_LABELS[self.lang]

    @property
    def gcj(self) -> bool:
        """Whether geometry is shifted into GCJ-02, the datum of AMap's tiles."""
        return self.basemap == "amap"


def map_options(
    lang: str,
    basemap: str,
    assets: str | os.PathLike[str],
    tiles_url: str | None,
    detail_limit: int,
) -> MapOptions:
    """The options of a map, after checking each; raises InputError naming the bad one."""
    if lang not in MAP_LABELS:
        raise InputError(f"lang: expected one of {', '.join(MAP_LABELS)}, got {lang!r}")
    if basemap not in BASEMAPS:
        raise InputError(f"basemap: expected one of {', '.join(BASEMAPS)}, got {basemap!r}")
    if not isinstance(detail_limit, int) or detail_limit < 0:
        raise InputError(f"detail_limit: expected a whole number >= 0, got {detail_limit!r}")
    return MapOptions(lang, basemap, asset_source(assets), tiles_url, detail_limit)
