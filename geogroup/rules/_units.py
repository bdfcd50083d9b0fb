"""Units, their metric CRS, the distance tolerance, the weak set and the lead pool."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.policy import Policy
from geogroup.rules._words import words_kept, yes_no

TOLERANCE_KM = 1e-6
"""Slack of every distance comparison (1 mm): float noise, never a real margin."""

UNKNOWN_LEVEL = "unknown-level"
"""The level of a school without one, under ``levels = 'same'``."""


# --- the metric CRS of a unit -------------------------------------------------------------


def is_planar(schools: gpd.GeoDataFrame | gpd.GeoSeries) -> bool:
    """Whether the schools lie on a plain x/y plane: no CRS, coordinates taken as metres
    and measured as they are. (Schools in a CRS, projected or not, are measured in the UTM
    zone of their unit: a projected CRS such as Web Mercator is not true to scale.)

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> is_planar(gpd.GeoSeries([Point(3, 4)])), is_planar(gpd.GeoSeries([Point(3, 4)], crs=4326))
    (True, False)
    """
    return schools.crs is None


def _points(
    schools: gpd.GeoDataFrame | gpd.GeoSeries, argument: str, *, planar: bool = False
) -> gpd.GeoSeries:
    if not isinstance(schools, gpd.GeoDataFrame | gpd.GeoSeries):
        raise InputError(
            f"{argument} must be a GeoDataFrame of school points, got {type(schools).__name__}; "
            "build one with geopandas.GeoDataFrame(..., geometry=..., crs='EPSG:4326')"
        )
    geoms = schools if isinstance(schools, gpd.GeoSeries) else schools.geometry
    if geoms.crs is None and not planar:
        raise InputError(
            f"{argument} has no CRS, so its coordinates cannot be measured; "
            "set it with .set_crs('EPSG:4326') if they are longitude/latitude in WGS-84"
        )
    if len(geoms) == 0:
        raise InputError(f"{argument} is empty: at least one school is needed to choose a CRS")
    bad = geoms.isna() | geoms.is_empty | (geoms.geom_type != "Point")
    if bad.any():
        shown = ", ".join(map(str, geoms.index[bad][:5]))
        raise InputError(
            f"{argument} must hold one non-empty Point per school; {int(bad.sum())} row(s) do "
            f"not (index {shown}); drop or fix them before locating"
        )
    return geoms


def _utm_epsg(lon: float, lat: float) -> int:
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def _centre(lon_deg: NDArray[np.float64], lat_deg: NDArray[np.float64]) -> tuple[float, float]:
    """Mean latitude and circular mean longitude (data across 180° stays near 180°)."""
    lon = np.radians(lon_deg)
    mean_lon = float(np.degrees(np.arctan2(np.sin(lon).mean(), np.cos(lon).mean())))
    return mean_lon, float(np.mean(lat_deg))


def metric_crs(schools: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """The WGS-84 / UTM zone that holds the centre of the schools: where a unit is measured.

    The centre is the mean latitude and the circular mean longitude of the points. The
    plain 6° zones are used (not Norway's or Svalbard's). Meant for one unit at a time:
    within a county the scale error is a few parts in ten thousand.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> haicheng = gpd.GeoSeries([Point(122.75, 40.85), Point(122.9, 40.7)], crs="EPSG:4326")
    >>> metric_crs(haicheng).to_epsg()
    32651
    """
    geoms = _points(schools, "schools").to_crs(S.WGS84)
    lon, lat = _centre(geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float))
    return pyproj.CRS.from_epsg(_utm_epsg(lon, lat))


def metric_xy(
    schools: gpd.GeoDataFrame | gpd.GeoSeries, crs: pyproj.CRS | str | int | None = None
) -> NDArray[np.float64]:
    """Planar coordinates of the schools in metres (``(n, 2)``, frame order), in ``crs``
    or, when None, in :func:`metric_crs` of these schools — or as they are when the schools
    have no CRS (:func:`is_planar`: a plain x/y plane in metres).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoSeries([Point(122.75, 40.85), Point(122.75, 40.95)], crs="EPSG:4326")
    >>> xy = metric_xy(pts)
    >>> xy.shape, round(float(xy[1, 1] - xy[0, 1]))
    ((2, 2), 11101)
    """
    if crs is None and isinstance(schools, gpd.GeoDataFrame | gpd.GeoSeries) and is_planar(schools):
        geoms = _points(schools, "schools", planar=True)
        return np.column_stack([geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float)])
    geoms = _points(schools, "schools")
    target = metric_crs(geoms) if crs is None else pyproj.CRS.from_user_input(crs)
    unit = target.axis_info[0].unit_name if target.axis_info else None
    if not target.is_projected or unit != "metre":
        raise InputError(
            f"crs must be a projected CRS in metres, got {target.to_string()} "
            f"(unit: {unit}); leave crs=None to use the data's UTM zone"
        )
    projected = geoms.to_crs(target)
    return np.column_stack([projected.x.to_numpy(dtype=float), projected.y.to_numpy(dtype=float)])


def unit_xy(
    lonlat: NDArray[np.float64], units: list[NDArray[np.int64]]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Each school's coordinates in metres in its own unit's UTM zone (``units``: the
    positions of each unit's schools), and the EPSG code of that zone per school (0 for a
    school in no unit, measured in the zone of all of them); units sharing a zone are
    projected together."""
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    epsg = np.zeros(len(lonlat), dtype=np.int64)
    if len(lonlat):
        epsg[:] = _utm_epsg(*_centre(lon, lat))
    for at in units:
        if len(at):
            epsg[at] = _utm_epsg(*_centre(lon[at], lat[at]))
    xy = np.empty((len(lonlat), 2))
    for code in np.unique(epsg):
        at = epsg == code
        to = pyproj.Transformer.from_crs(S.WGS84, f"EPSG:{code}", always_xy=True)
        xy[at, 0], xy[at, 1] = to.transform(lon[at], lat[at])
    return xy, epsg


def within_cap(d_km: NDArray[np.float64] | float, cap_km: float | None) -> NDArray[np.bool_]:
    """Whether a member at ``d_km`` from its lead keeps ``max_distance_km = cap_km``."""
    cap = math.inf if cap_km is None else cap_km
    return np.asarray(d_km) <= cap + TOLERANCE_KM


def within_minutes(minutes: NDArray[np.float64] | float, limit: float | None) -> NDArray[np.bool_]:
    """Whether a member ``minutes`` from its lead keeps ``max_travel_min = limit``."""
    cap = math.inf if limit is None else limit
    return np.asarray(minutes) <= cap + 1e-6


def spaced(d_km: NDArray[np.float64] | float, spacing_km: float) -> NDArray[np.bool_]:
    """Whether two leads ``d_km`` apart keep ``min_lead_spacing_km = spacing_km``."""
    return np.asarray(d_km) >= spacing_km - TOLERANCE_KM


# --- units ----------------------------------------------------------------------------------


def unit_labels(schools: pd.DataFrame, by: str | None, policy: Policy) -> NDArray[np.object_]:
    """The unit of every school: its ``by`` value, and its level under ``levels = 'same'``,
    joined by ``-``; ``''`` for a plan of one unit. A ``by`` value that is missing or a
    placeholder gives None (the school has no unit)."""
    n = len(schools)
    parts: list[NDArray[np.object_]] = []
    if by:
        parts.append(words_kept(schools[by]))
    if policy.levels == "same" and S.LEVEL in schools:
        parts.append(levels_of(schools[S.LEVEL], policy))
    if not parts:
        return np.full(n, "", dtype=object)
    out = []
    for values in zip(*parts, strict=True):
        out.append(None if values[0] is None else "-".join(values))
    return np.array(out, dtype=object)


def levels_of(values: pd.Series, policy: Policy) -> NDArray[np.object_]:
    """Each school's level as the rules count it: as written, ``unknown-level`` when
    missing, and through the policy's ``join_levels`` (a nine-year school as middle)."""
    joined = dict(policy.join_levels)
    return np.array(
        [joined.get(v, v) if v is not None else UNKNOWN_LEVEL for v in words_kept(values)],
        dtype=object,
    )


def split_units(
    schools: pd.DataFrame, by: str | None, policy: Policy
) -> Iterator[tuple[str, pd.Index]]:
    """``(label, index)`` of every unit, in label order; schools without a unit are left out."""
    labels = unit_labels(schools, by, policy)
    known = np.array([v is not None for v in labels], dtype=bool)
    if not known.any():
        return
    frame = pd.Series(labels[known], index=schools.index[known])
    for label, part in frame.groupby(frame, sort=True):
        yield str(label), part.index


def unit_seed(random_state: int | None, label: str) -> list[int] | None:
    """The seed of a unit's generator: the method's seed and the unit's label (so a unit's
    plan does not depend on the other units, nor on the order they run in)."""
    if random_state is None:
        return None
    return [int(random_state), zlib.crc32(label.encode("utf-8"))]


# --- the weak set and the lead pool (one unit) -------------------------------------------


def rank_order(quality: NDArray[np.float64], ids: NDArray[np.object_]) -> NDArray[np.int64]:
    """Positions from the lowest to the highest quality, ties broken by id."""
    return np.lexsort((np.asarray(ids).astype(str), quality))


def weak_flags(
    quality: NDArray[np.float64], ids: NDArray[np.object_], share: float
) -> NDArray[np.bool_]:
    """The weak schools of one unit: the ``ceil(share · n)`` lowest by quality.

    Examples
    --------
    >>> weak_flags(np.array([5.0, 1.0, 3.0, 1.0]), np.array(list("abcd")), 0.4).tolist()
    [False, True, False, True]
    """
    weak = np.zeros(len(quality), dtype=bool)
    k = math.ceil(share * len(quality) - 1e-9)
    weak[rank_order(quality, ids)[:k]] = True
    return weak


def leads_used(policy: Policy, column: pd.Series | NDArray | None = None) -> str:
    """The lead rule that applies to a unit whose lead column holds ``column``, in words."""
    kind, value = policy.lead_rule
    if kind != "either":
        return str(policy.leads) if kind != "ids" else f"{len(value)} named school(s)"
    name, share = value
    marked = 0 if column is None else int(yes_no(column)[0].sum())
    if marked:
        return f"column:{name} ({marked} school(s) marked)"
    return f"top:{share:g} (column {name!r} marks no school here)"


def lead_flags(
    policy: Policy,
    quality: NDArray[np.float64],
    ids: NDArray[np.object_],
    column: pd.Series | NDArray | None = None,
    urban: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.bool_] | None, NDArray[np.bool_]]:
    """``(may_lead, named)`` of one unit under ``policy.leads``: the lead pool, and the
    schools a list of ids names (each must lead). ``column`` holds the unit's values of
    the lead column of ``'column:C'``; ``may_lead`` is None when that column is missing.
    Under ``leads_from = 'urban'`` only the schools ``urban`` marks may lead.

    Examples
    --------
    >>> q, ids = np.array([1.0, 2.0, 3.0]), np.array(list("abc"))
    >>> lead_flags(Policy(leads="column:key"), q, ids, ["√", "", "1"])[0].tolist()
    [True, False, True]
    >>> lead_flags(Policy(leads="top:0.34"), q, ids)[0].tolist()  # ceil(1.02) = 2
    [False, True, True]
    """
    may, named = _pool(policy, quality, ids, column)
    if may is not None and policy.leads_from == "urban":
        may = may & (np.zeros(len(may), bool) if urban is None else np.asarray(urban, bool))
    return may, named


def _pool(policy: Policy, quality, ids, column) -> tuple[NDArray[np.bool_] | None, NDArray]:
    n = len(quality)
    kind, value = policy.lead_rule
    if kind == "ids":
        named = np.isin(np.asarray(ids).astype(str), [str(v) for v in value])
        return named.copy(), named
    named = np.zeros(n, dtype=bool)
    if kind == "either":
        flags = np.zeros(n, dtype=bool) if column is None else yes_no(column)[0]
        if flags.any():
            return flags, named
        value = value[1]  # no school marked here: the top share
    elif kind == "column":
        if column is None:
            return None, named
        return yes_no(column)[0], named
    may = np.zeros(n, dtype=bool)
    k = max(1, math.ceil(value * n - 1e-9))
    may[rank_order(quality, ids)[::-1][:k]] = True
    return may, named
