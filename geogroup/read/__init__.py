"""Read: school lists from CSV, Excel and vector files into the schools data contract.

Sources (``_source`` picks one of ``_text``, ``_excel``, ``_loading``; ``_encoding``
detects text encodings), headers (``_headers``), fields and row checks (``_fields``,
``_rows``), the report (``_report``), urban/rural and study areas (``_area``) and coordinate
systems (``_coords``). :func:`read_schools` (``_schools``) is the one entry point; every row it
cannot use is reported with its row number, column and reason (:class:`ReadReport`).
"""

from __future__ import annotations

from geogroup.read._area import read_boundary
from geogroup.read._coords import (
    COORDINATE_SYSTEMS,
    gcj02_to_wgs84,
    in_china,
    to_wgs84,
    wgs84_to_gcj02,
)
from geogroup.read._schools import ReadReport, ReadResult, read_schools

__all__ = [
    "COORDINATE_SYSTEMS",
    "ReadReport",
    "ReadResult",
    "gcj02_to_wgs84",
    "in_china",
    "read_boundary",
    "read_schools",
    "to_wgs84",
    "wgs84_to_gcj02",
]
