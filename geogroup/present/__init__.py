"""Present: plans as a planner meets them — interactive maps and the meeting report.

Maps (``_maps``: Folium/Leaflet, colours, legend, offline assets) and the report
(``_report``: HTML, Excel workbook, metrics.json).
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
from geogroup.present._report import LABELS, write_report

__all__ = [
    "BASEMAPS",
    "DETAIL_LIMIT",
    "LABELS",
    "PALETTE",
    "compare_map",
    "group_colors",
    "plan_map",
    "save_map",
    "write_report",
]
