"""Read: school lists from CSV, Excel and vector files into the schools data contract.

Sources (``_source`` picks one of ``_text``, ``_excel``, ``_loading``; ``_encoding``
detects text encodings), headers (``_headers``), fields and row checks (``_fields``,
``_rows``), the report (``_report``), urban/rural and study areas (``_area``) and coordinate
systems (``_coords``). :func:`read_schools` (``_schools``) is the one entry point; every row it
cannot use is reported with its row number, column and reason (:class:`ReadReport`).
Plan files (saved, or edited in Excel) are read by :func:`read_plan_table` (``_plans``),
their English and Chinese words in ``_plan_words``.
"""

from __future__ import annotations

from geogroup.read._area import read_boundary
from geogroup.read._boundary_cn import CN_PREFIX, china_boundary, gcj02_geometry_to_wgs84
from geogroup.read._coords import (
    COORDINATE_SYSTEMS,
    gcj02_to_wgs84,
    in_china,
    to_wgs84,
    wgs84_to_gcj02,
)
from geogroup.read._plan_words import (
    AREA_ZH,
    ID_HEADERS,
    LEVEL_ZH,
    PLAN_HEADERS_ZH,
    REJECTED_PREFIXES,
    ROLE_ZH,
    YES_NO_ZH,
)
from geogroup.read._plans import PlanTable, read_plan_table
from geogroup.read._schools import ReadReport, ReadResult, read_schools

__all__ = [
    "AREA_ZH",
    "CN_PREFIX",
    "COORDINATE_SYSTEMS",
    "ID_HEADERS",
    "LEVEL_ZH",
    "PLAN_HEADERS_ZH",
    "REJECTED_PREFIXES",
    "ROLE_ZH",
    "YES_NO_ZH",
    "PlanTable",
    "ReadReport",
    "ReadResult",
    "china_boundary",
    "gcj02_geometry_to_wgs84",
    "gcj02_to_wgs84",
    "in_china",
    "read_boundary",
    "read_plan_table",
    "read_schools",
    "to_wgs84",
    "wgs84_to_gcj02",
]
