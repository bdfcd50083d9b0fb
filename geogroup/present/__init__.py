"""Present: plans as a planner meets them — interactive maps and the meeting report.

Maps (``_maps``: Folium/Leaflet layers, and writing the file; ``_colors``: group colours;
``_features``: a plan as GeoJSON; ``_legend``; ``_assets``: offline JS/CSS; ``_options``,
``_elements``, ``_mapjs`` with ``static/``: the page's own code) and the report
(``_report``: the HTML page from ``templates/``, and metrics.json; ``_charts``: its SVG
charts; ``_workbook``: the Excel workbook). Labels of both, in Chinese and English, are in
``labels/<lang>.toml`` (``_labels``). ``_outputs`` gives the writers of every file of a
proposal, for :func:`geogroup.outputs.write_set`; ``_text`` escapes text from the input for
a page, and :func:`printable` strips it of control characters for a terminal.
"""

from __future__ import annotations

from geogroup.present._maps import (
    BASEMAPS,
    DETAIL_LIMIT,
    PALETTE,
    compare_map,
    group_colors,
    plan_map,
    save_map,
)
from geogroup.present._outputs import output_writers
from geogroup.present._report import LABELS, report_writers, write_report
from geogroup.present._text import printable

__all__ = [
    "BASEMAPS",
    "DETAIL_LIMIT",
    "LABELS",
    "PALETTE",
    "compare_map",
    "group_colors",
    "output_writers",
    "plan_map",
    "printable",
    "report_writers",
    "save_map",
    "write_report",
]
