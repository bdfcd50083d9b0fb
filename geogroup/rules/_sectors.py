"""Sectors by bearing from a centre: Haicheng's "four compass directions" as a rule.

Under ``sectors = n`` each ``by`` unit (a county) is cut into ``n`` equal sectors around its
centre, the first one centred on north and the others clockwise (for four: north, east,
south, west). The centre is the policy's ``centre`` (the county seat), else the mean place
of the unit's densest cluster of urban schools (the seat: the urban school with most urban
schools within 3 km, and the mean place of those), else of all its schools. A school's sector is the
one holding the bearing from the centre to it, on the ellipsoid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geogroup import schema as S
from geogroup.policy import Policy

__all__ = ["SECTOR_NAMES", "sector_centres", "sector_of", "sectors"]

SECTOR_NAMES = {4: ("north", "east", "south", "west")}
"""Names of the sectors, for the four compass directions."""

_GEOD = pyproj.Geod(ellps="WGS84")


def sector_of(
    lon: NDArray[np.float64], lat: NDArray[np.float64], centre: tuple[float, float], n: int
) -> NDArray[np.int64]:
    """The sector of each point around ``centre`` (lon, lat): 0 is centred on north.

    Examples
    --------
    >>> sector_of(np.array([0.0, 1.0, 0.0, -1.0]), np.array([1.0, 0.0, -1.0, 0.0]), (0.0, 0.0), 4)
    array([0, 1, 2, 3])
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    azimuth, _, _ = _GEOD.inv(np.full(len(lon), centre[0]), np.full(len(lat), centre[1]), lon, lat)
    width = 360.0 / n
    return (np.floor(((np.asarray(azimuth) + width / 2.0) % 360.0) / width) % n).astype(np.int64)


SEAT_RADIUS_KM = 3.0


def _centre(lon: NDArray, lat: NDArray, urban: NDArray[np.bool_]) -> tuple[float, float]:
    """The county seat: the densest place of urban schools (the urban school with most urban
    schools within 3 km on the ellipsoid, and the mean place of those), else the mean
    place of all."""
    if not urban.any():
        return float(np.mean(lon)), float(np.mean(lat))
    ux, uy = lon[urban], lat[urban]
    # a KD-tree on a local plane finds the candidates; the ellipsoid decides
    plane = np.column_stack([ux * 111.32 * np.cos(np.radians(np.mean(uy))), uy * 110.57])
    best: list[int] = []
    for a, near in enumerate(cKDTree(plane).query_ball_point(plane, SEAT_RADIUS_KM * 1.05)):
        near = np.asarray(near, dtype=np.int64)
        d = _GEOD.inv(np.full(len(near), ux[a]), np.full(len(near), uy[a]), ux[near], uy[near])[2]
        within = near[np.asarray(d) <= SEAT_RADIUS_KM * 1000.0].tolist()
        if len(within) > len(best):
            best = within
    return float(np.mean(ux[best])), float(np.mean(uy[best]))


def sector_centres(
    lonlat: NDArray[np.float64],
    urban: NDArray[np.bool_],
    by_code: NDArray[np.int64],
    policy: Policy,
) -> dict[int, tuple[float, float]]:
    """The centre of each ``by`` unit (code -> (lon, lat))."""
    out = {}
    for code in np.unique(by_code[by_code >= 0]):
        at = by_code == code
        out[int(code)] = (
            tuple(policy.centre) if policy.centre is not None else
            _centre(lonlat[at, 0], lonlat[at, 1], urban[at])
        )  # fmt: skip
    return out


def sectors(
    schools: pd.DataFrame, by: str | None, policy: Policy, by_code: NDArray[np.int64]
) -> tuple[NDArray[np.int64] | None, dict[int, tuple[float, float]]]:
    """Each school's sector under ``policy.sectors`` (None without the rule) and each
    ``by`` unit's centre."""
    if not policy.sectors:
        return None, {}
    wgs = schools.geometry.to_crs(S.WGS84)
    lonlat = np.column_stack([wgs.x.to_numpy(float), wgs.y.to_numpy(float)])
    urban = (
        (schools[S.AREA].astype(object) == S.URBAN).to_numpy(bool)
        if S.AREA in schools
        else np.zeros(len(schools), bool)
    )
    centres = sector_centres(lonlat, urban, by_code, policy)
    out = np.full(len(schools), -1, dtype=np.int64)
    for code, centre in centres.items():
        at = by_code == code
        out[at] = sector_of(lonlat[at, 0], lonlat[at, 1], centre, policy.sectors)
    return out, centres
