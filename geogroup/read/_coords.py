"""Conversions between WGS-84 and the Chinese web-map systems GCJ-02 and BD-09.

GCJ-02 (AMap, Tencent) is WGS-84 shifted by a published, deliberately irregular function of
position, applied inside mainland China only; BD-09 (Baidu) is GCJ-02 turned into a second
offset. The forward shift is closed-form; the inverse has none and is found by fixed-point
iteration, to well under a metre.

All functions take and return numpy arrays (or scalars) of longitude and latitude in degrees.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "COORDINATE_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_PI = np.pi * 3000.0 / 180.0

Pair = tuple[NDArray[np.float64], NDArray[np.float64]]


def in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    # The shift is only applied inside this rough box; outside it GCJ-02 equals WGS-84.
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _shift(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Pair:
    x, y = lon - 105.0, lat - 35.0
    waves = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + waves
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + waves
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _arrays(lon: ArrayLike, lat: ArrayLike) -> Pair:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Shift WGS-84 coordinates into GCJ-02.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.391, 39.907)
    >>> bool(0.005 < lon - 116.391 < 0.007), bool(0.0005 < lat - 39.907 < 0.002)
    (True, True)
    """
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _shift(lon, lat)
    return lon + dlon, lat + dlat


def _invert(
    forward: Callable[[NDArray[np.float64], NDArray[np.float64]], Pair],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    start: Pair,
    tol_deg: float,
) -> Pair:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``start``.

    Both shifts change slowly with position, so subtracting the forward error converges
    in a few rounds.
    """
    xlon, xlat = start
    for _ in range(30):
        flon, flat = forward(xlon, xlat)
        elon, elat = flon - lon, flat - lat
        xlon, xlat = xlon - elon, xlat - elat
        if np.nanmax(np.abs(np.concatenate([np.ravel(elon), np.ravel(elat)])), initial=0) < tol_deg:
            break
    return xlon, xlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-9) -> Pair:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (error far below 1 m).

    Within a few hundred metres outside the edge of the box where the shift applies, a
    GCJ-02 point has two WGS-84 preimages (one shifted, one not); the unshifted one is
    returned there. China itself lies well inside the box.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(121.4737, 31.2304))
    >>> round(float(lon), 6), round(float(lat), 6)
    (121.4737, 31.2304)
    """
    glon, glat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, glon, glat, (glon.copy(), glat.copy()), tol_deg)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Shift GCJ-02 coordinates into Baidu's BD-09."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_closed(bx: NDArray[np.float64], by: NDArray[np.float64]) -> Pair:
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-9) -> Pair:
    """Invert :func:`gcj02_to_bd09`.

    The widely used closed form is off by up to about 0.25 m (it undoes the two small
    terms at the wrong point); a few fixed-point rounds from it make the round trip exact
    to well under a millimetre.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(116.404, 39.915))
    >>> round(float(lon), 7), round(float(lat), 7)
    (116.404, 39.915)
    """
    bx, by = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, bx, by, _bd09_to_gcj02_closed(bx, by), tol_deg)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Shift WGS-84 coordinates into BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Bring BD-09 coordinates back to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, system: str) -> Pair:
    """Convert from ``system`` ('wgs84', 'gcj02' or 'bd09') to WGS-84."""
    if system == "wgs84":
        return _arrays(lon, lat)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"coordinate system must be one of {COORDINATE_SYSTEMS}, got {system!r}")
