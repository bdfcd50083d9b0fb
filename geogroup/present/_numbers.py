"""Numbers by kind, the same in the page, the workbook and the summary: distances in km and
quality to 0.1, shares as percentages, indices (Theil, compactness) to 0.001, counts whole.

:func:`kind_of` names the kind of a metric key or a table column; :func:`shown` writes a
value as text for a page or the summary; :data:`EXCEL_FORMATS` gives the workbook's number
format of each kind (the workbook keeps the full value; only its display is rounded).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EXCEL_FORMATS", "kind_of", "known_kinds", "percent", "shown"]

_SHARES = {
    "coverage",
    "coverage_input_rows",
    "coverage_target",
    "mixed_groups_share",
    "rural_with_urban_lead_share",
    "weak_coverage",
    "exchange_rate",
    "key_exchange_rate",
    "share",
}
_KM = {
    "distance_mean_km",
    "distance_p95_km",
    "distance_max_km",
    "mean_distance_km",
    "p95_distance_km",
    "max_distance_km",
    "distance_km",
}
_QUALITY = {
    "quality",
    "lead_quality",
    "mean_quality",
    "min_quality",
    "max_quality",
    "quality_gap",
    "quality_mean",
    "group_mean_min",
    "group_mean_max",
    "group_mean_sd",
    "group_mean_range",
    "quality_gap_mean",
    "theil_shift",
    "group_size_mean",
    "mean_before",
    "mean_after",
    "mean_change",
    "gap_before",
    "gap_after",
    "gap_change",
    "members_change",
    "lead_change",
    "unit_mean",
    "deviation",
    "before",
    "after",
    "change",
}
_INDEX = {"theil_total", "theil_between", "theil_within", "compactness", "compactness_mean"}

EXCEL_FORMATS = {
    "share": "0.0%",
    "km": "0.0",
    "quality": "0.0",
    "index": "0.000",
    "count": "#,##0",
    "text": "@",
}
"""The workbook's number format of each kind."""


def kind_of(key: str) -> str:
    """``'share'``, ``'km'``, ``'quality'``, ``'index'`` or ``'count'`` for a metric key or
    a column name (``'quality'`` for another number: one decimal).

    Examples
    --------
    >>> kind_of("weak_coverage"), kind_of("mean_distance_km"), kind_of("theil_total")
    ('share', 'km', 'index')
    """
    if key in _SHARES:
        return "share"
    if key in _KM or key.endswith("_km"):
        return "km"
    if key in _INDEX:
        return "index"
    if key in _QUALITY:
        return "quality"
    return "count"


def known_kinds() -> dict[str, str]:
    """The kind of every key named above (a page's script rounds by it: the editor)."""
    return {key: kind_of(key) for key in sorted(_SHARES | _KM | _QUALITY | _INDEX)}


def percent(value: float) -> str:
    """A share as a percentage to 0.1 (``0.8236`` → ``'82.4%'``); 100 % and 0 % whole.

    Examples
    --------
    >>> percent(0.8236), percent(1.0), percent(0.0)
    ('82.4%', '100%', '0%')
    """
    text = f"{100 * float(value):.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def shown(value: Any, key: str = "") -> str | None:
    """``value`` rounded by the kind of ``key`` as text, or None when it is not a number.

    Examples
    --------
    >>> shown(4.455120022421568, "mean_distance_km"), shown(0.6346, "coverage")
    ('4.5', '63.5%')
    >>> shown(1.115e-05, "theil_total"), shown(1272, "schools"), shown(2.5, "group_size_mean")
    ('0.000', '1,272', '2.5')
    """
    if isinstance(value, bool | np.bool_) or value is None or isinstance(value, str):
        return None
    if not isinstance(value, int | float | np.integer | np.floating) or pd.isna(value):
        return None
    kind = kind_of(key)
    if kind == "share":
        return percent(value)
    if kind == "index":
        return f"{float(value):.3f}"
    if kind in ("km", "quality"):
        return f"{float(value):,.1f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.1f}"
