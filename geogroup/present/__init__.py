"""Present: plans as a planner meets them — interactive maps and the meeting report.

Maps (``_maps``: Folium/Leaflet layers, and writing the file; ``_colors``: group colours;
``_features``: a plan as GeoJSON; ``_legend``; ``_overlays``: group names and sectors;
``_assets``: where JS/CSS come from, and inlining; ``_fetch``: the pinned JS/CSS downloaded
and kept (``geogroup assets``); ``_china``: where AMap's GCJ-02 applies; ``_options``,
``_elements``, ``_mapjs`` with ``static/``: the page's own code) and the report
(``_report``: the HTML page from ``templates/``, and metrics.json; ``_measure``: a plan
measured once for every output; ``_sentences``: the key figures in words; ``_numbers``:
rounding by kind; ``_sheets`` and ``_workbook``: the Excel workbook), the one-page summary
(``_summary``, ``_summary_map``: :func:`summary_page`, PDF or PNG) and the public
:mod:`~geogroup.present.charts` (matplotlib; ``_fonts``: a CJK font, ``_view``: a plan as
the charts read it). Labels of both, in Chinese and English, are in
``labels/<lang>.toml`` (``_labels``). ``_outputs`` gives the writers of every file of a
proposal, for :func:`geogroup.outputs.write_set`; ``_text`` escapes text from the input for
a page, and :func:`printable` strips it of control characters for a terminal. The plan
editor (``_editor``: the page of ``geogroup edit``; ``_editor_data``: what the rulebook
computes for it; ``_editor_ops``: its edits in Python; ``_widget``: :class:`PlanEditor` and
:func:`edit_map` for notebooks; ``static/editor_*.js``: its rules, edits, exports and map).
"""

from __future__ import annotations

from geogroup.present import charts
from geogroup.present._editor import editor_html, save_editor
from geogroup.present._fetch import ASSETS_ENV, assets_dir, cached_assets, download_assets
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
from geogroup.present._summary import meeting_writers, summary_page
from geogroup.present._text import printable
from geogroup.present._widget import PlanEditor, edit_map

__all__ = [
    "ASSETS_ENV",
    "BASEMAPS",
    "DETAIL_LIMIT",
    "LABELS",
    "PALETTE",
    "PlanEditor",
    "assets_dir",
    "cached_assets",
    "charts",
    "compare_map",
    "download_assets",
    "edit_map",
    "editor_html",
    "group_colors",
    "meeting_writers",
    "output_writers",
    "plan_map",
    "printable",
    "report_writers",
    "save_editor",
    "save_map",
    "summary_page",
    "write_report",
]
