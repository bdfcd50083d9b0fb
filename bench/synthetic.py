"""Seeded synthetic school lists of a province and of a country, for the scale benchmark.

Counties are clusters: their seats are scattered over a lon/lat box (a province's or a
China-sized one), each county's schools lie around its seat, about a quarter of them urban and
close to the seat, the rest rural and spread over the county; quality is higher in town, with
noise. The result is the schools frame of the data contract (``docs/data-contract.md``): index
``school_id``; columns name, quality, area, level, students, teachers, lead_candidate,
fixed_group, county; EPSG:4326. Built with array operations, in memory, never written out.

>>> from bench.synthetic import province
>>> schools = province(n_schools=500, n_counties=5)
>>> len(schools), schools["county"].nunique(), schools.crs.to_epsg()
(500, 5, 4326)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema as S

__all__ = ["country", "province", "synthetic_schools"]

_KM_PER_DEG = 111.32
# lon_min, lon_max, lat_min, lat_max
_CHINA_BOX = (75.0, 133.0, 21.0, 50.0)
_PROVINCE_BOX = (114.8, 122.4, 34.4, 38.3)  # about Shandong's extent
_URBAN_SHARE = 0.25
_MIN_PER_COUNTY = 12  # the smallest county still holds a few groups


def province(n_schools: int = 20_000, n_counties: int = 100, seed: int = 0) -> gpd.GeoDataFrame:
    """A province: ``n_schools`` schools in ``n_counties`` counties."""
    return synthetic_schools(n_schools, n_counties, _PROVINCE_BOX, seed)


def country(n_schools: int = 200_000, n_counties: int = 2_800, seed: int = 0) -> gpd.GeoDataFrame:
    """A country: ``n_schools`` schools in ``n_counties`` counties over a China-sized box."""
    return synthetic_schools(n_schools, n_counties, _CHINA_BOX, seed)


def synthetic_schools(
    n_schools: int, n_counties: int, box: tuple[float, float, float, float], seed: int = 0
) -> gpd.GeoDataFrame:
    """``n_schools`` schools in ``n_counties`` county clusters whose seats lie in ``box``."""
    if n_schools < n_counties * _MIN_PER_COUNTY:
        raise ValueError(
            f"n_schools={n_schools} should be >= {_MIN_PER_COUNTY} * n_counties={n_counties}"
        )
    rng = np.random.default_rng(seed)
    lon0, lon1, lat0, lat1 = box
    seat_lon = rng.uniform(lon0, lon1, n_counties)
    seat_lat = rng.uniform(lat0, lat1, n_counties)
    # County sizes vary several-fold, as real counties do (lognormal weights).
    weights = rng.lognormal(0.0, 0.5, n_counties)
    extra = rng.multinomial(n_schools - n_counties * _MIN_PER_COUNTY, weights / weights.sum())
    sizes = extra + _MIN_PER_COUNTY
    county = np.repeat(np.arange(n_counties), sizes)

    # The county's radius is that of its share of the box; urban schools sit within a few km.
    mid_lat = np.radians((lat0 + lat1) / 2)
    box_km2 = (lon1 - lon0) * (lat1 - lat0) * _KM_PER_DEG**2 * np.cos(mid_lat)
    radius_km = np.sqrt(box_km2 / n_counties / np.pi)
    urban = rng.random(n_schools) < _URBAN_SHARE
    dist_km = np.where(
        urban,
        np.abs(rng.normal(0.0, 0.08 * radius_km, n_schools)),
        radius_km * np.sqrt(rng.uniform(0.02, 1.0, n_schools)),
    )
    angle = rng.uniform(0.0, 2 * np.pi, n_schools)
    lat = seat_lat[county] + dist_km * np.sin(angle) / _KM_PER_DEG
    lon = seat_lon[county] + dist_km * np.cos(angle) / (
        _KM_PER_DEG * np.cos(np.radians(seat_lat[county]))
    )

    quality = np.round(np.where(urban, 72.0, 58.0) + rng.normal(0.0, 10.0, n_schools), 1)
    level = np.where(rng.random(n_schools) < 0.7, "primary", "middle")
    students = np.round(rng.lognormal(np.where(urban, 7.0, 5.8), 0.5)).astype(np.int64)
    teachers = np.maximum(3, np.round(students / rng.uniform(12.0, 18.0, n_schools))).astype(
        np.int64
    )
    ids = np.char.add("S", np.char.zfill(np.arange(1, n_schools + 1).astype(str), 6))
    county_names = np.char.add("C", np.char.zfill(np.arange(1, n_counties + 1).astype(str), 4))
    return gpd.GeoDataFrame(
        {
            S.NAME: pd.array(np.char.add("学校", ids), dtype=object),
            S.QUALITY: quality,
            S.AREA: pd.array(np.where(urban, S.URBAN, S.RURAL), dtype=object),
            S.LEVEL: pd.array(level, dtype=object),
            S.STUDENTS: pd.array(students, dtype="Int64"),
            S.TEACHERS: pd.array(teachers, dtype="Int64"),
            S.LEAD_CANDIDATE: np.zeros(n_schools, dtype=bool),
            S.FIXED_GROUP: pd.array([None] * n_schools, dtype=object),
            "county": pd.array(county_names[county], dtype=object),
        },
        geometry=gpd.points_from_xy(lon, lat),
        index=pd.Index(ids.astype(object), name=S.SCHOOL_ID),
        crs=S.WGS84,
    )
