"""The map page's own JavaScript and CSS: files in ``static/``, and the scripts that name
the page's layers (built when the map renders, once folium has named them).

``static/page.js`` builds the popups by joining strings that Python escaped before it
embedded them (names, ids, reasons, notes, labels); numbers are numbers.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from geogroup.present._text import escape, script_json

__all__ = ["feature_js", "page_css", "page_js", "registry_js"]


@functools.cache
def _static(name: str) -> str:
    return (resources.files("geogroup.present") / "static" / name).read_text(encoding="utf-8")


def page_css() -> str:
    """The ``<style>`` element of popups and legend."""
    return f"<style>\n{_static('map.css')}</style>"


def page_js(labels: dict[str, str]) -> str:
    """The ``<script>`` element of popups and tooltips, with the labels it shows (escaped)."""
    escaped = {k: escape(v) for k, v in labels.items()}
    return f"<script>\nvar geogroup_text = {script_json(escaped)};\n{_static('page.js')}</script>"


def feature_js(kind: str, table: str) -> str:
    """The ``onEachFeature`` of a layer of ``kind`` ('school', 'area', 'link'), reading the
    groups and styles of the script element named ``table``."""
    return (
        f"function (feature, layer) {{ geogroupFeature('{kind}', {table}_groups, "
        f"{table}_styles, feature, layer); }}"
    )


def registry_js(map_name: str, plans: list[dict[str, Any]]) -> str:
    """``window.geogroup``: the map and each plan's layers (for tests and for scripting);
    and, when a layer is switched back on, the draw order restored (areas at the back,
    schools on top) so that schools stay clickable on the shared canvas.

    ``plans`` maps, per plan, 'label' to its label and each layer kind to the layer's
    JavaScript name.
    """
    entries = ", ".join(
        "{"
        + ", ".join(
            f"{k}: {v if isinstance(v, str) and k != 'label' else script_json(v)}"
            for k, v in plan.items()
        )
        + "}"
        for plan in plans
    )
    return (
        f"window.geogroup = {{map: {map_name}, plans: [{entries}]}};\n"
        f"{map_name}.on('overlayadd', function () {{\n"
        "  var map = window.geogroup.map;\n"
        "  window.geogroup.plans.forEach(function (p) {\n"
        "    [p.areas, p.boundary].forEach(function (l) { if (l && map.hasLayer(l)) l.bringToBack(); });\n"
        "    [p.links, p.unassigned, p.schools, p.highlight].forEach(function (l) {\n"
        "      if (l && map.hasLayer(l)) l.bringToFront(); });\n"
        "  });\n"
        "});"
    )
