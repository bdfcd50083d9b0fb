"""The road figures of a school's popup: travel time and straight line to its lead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["road_columns"]


def road_columns(
    arrays: Any, position: NDArray[np.int64], numbers: Callable[..., list[Any]]
) -> dict[str, list[Any]]:
    """With road distances (``arrays.table``; the popup's distance is then the road km):
    ``tm``, each grouped school's minutes to its lead, and ``sl``, its straight-line km,
    rounded by ``numbers``. Nothing without road distances."""
    if getattr(arrays, "table", None) is None:
        return {}
    grouped = position >= 0
    head = arrays.lead_position()
    to = np.where(arrays.member, head[np.maximum(arrays.group, 0)], -1)
    straight = np.full(len(position), np.nan)
    one = arrays.member & (to >= 0)
    at = np.flatnonzero(one)
    straight[at] = np.hypot(*(arrays.xy[at] - arrays.xy[to[at]]).T) / 1000.0
    straight[arrays.lead] = 0.0
    out = {"sl": numbers(np.where(grouped, straight, np.nan))}
    if arrays.table.has_minutes:
        out = {"tm": numbers(np.where(grouped, arrays.minutes(), np.nan), 1), **out}
    return out
