"""Road routes drawn on a plan's map: the lines of :func:`~geogroup.locate.route_lines`."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.present._features import collection, display, feature_text
from geogroup.present._mapjs import layer_js
from geogroup.present._options import MapOptions
from geogroup.present._text import escape

__all__ = ["ROUTE_STYLE", "route_layer"]

ROUTE_STYLE = {"color": "#1f4e9c", "weight": 4, "opacity": 0.8}
_NAMES = {"zh": "道路路线", "en": "Routes along roads"}


def route_layer(routes: Any, opts: MapOptions) -> tuple[str, str, np.ndarray]:
    """The layer of road routes: its JavaScript, its name in the layer control (escaped)
    and the bounds of the lines drawn (display coordinates).

    ``routes`` is a GeoDataFrame of lines in any CRS (WGS-84 without one), as
    :func:`~geogroup.locate.route_lines` returns; rows without a line are left out."""
    if not isinstance(routes, gpd.GeoDataFrame | gpd.GeoSeries):
        raise InputError(
            "routes: expected the GeoDataFrame of lines that route_lines() returns, got "
            f"{type(routes).__name__}"
        )
    lines = routes.geometry
    lines = lines.set_crs(S.WGS84) if lines.crs is None else lines.to_crs(S.WGS84)
    lines = lines[lines.notna() & ~lines.is_empty]
    geoms = display(lines.to_numpy(), opts.gcj)
    features = [
        feature_text(text, {"kind": "route", "style": ROUTE_STYLE})
        for text in shapely.to_geojson(geoms).tolist()
    ]
    code = layer_js(collection(features), "route", None, interactive=False)
    name = opts.labels.get("layer_routes", _NAMES.get(opts.lang, _NAMES["en"]))
    bounds = np.asarray(shapely.total_bounds(geoms)) if len(geoms) else np.full(4, np.nan)
    return code, escape(name), bounds
