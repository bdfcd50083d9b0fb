"""Tiny built-in school sets for examples and tests, small enough to check by hand."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geogroup import schema as S

__all__ = ["toy_schools"]


def toy_schools() -> gpd.GeoDataFrame:
    """Six schools in two obvious clusters about 20 km apart, near Haicheng.

    West cluster: A (urban, 90), B (rural, 60), C (rural, 50); east cluster: D (urban, 85),
    E (rural, 55), F (rural, 65). The members of each cluster lie about 1 km from its best
    school, so any sensible 1+2 grouping is {A, B, C} and {D, E, F}, led by A and D.

    Examples
    --------
    >>> toy_schools()[["name", "quality", "area"]].head(2)
                 name  quality   area
    school_id
    A          West A     90.0  urban
    B          West B     60.0  rural
    """
    rows = [
        ("A", "West A", 122.50, 40.85, 90.0, S.URBAN, "primary"),
        ("B", "West B", 122.512, 40.85, 60.0, S.RURAL, "primary"),
        ("C", "West C", 122.50, 40.859, 50.0, S.RURAL, "primary"),
        ("D", "East D", 122.74, 40.85, 85.0, S.URBAN, "primary"),
        ("E", "East E", 122.752, 40.85, 55.0, S.RURAL, "primary"),
        ("F", "East F", 122.74, 40.859, 65.0, S.RURAL, "primary"),
    ]
    frame = pd.DataFrame(
        rows, columns=[S.SCHOOL_ID, S.NAME, "lon", "lat", S.QUALITY, S.AREA, S.LEVEL]
    )
    geometry = [Point(x, y) for x, y in zip(frame.pop("lon"), frame.pop("lat"), strict=True)]
    out = gpd.GeoDataFrame(frame.set_index(S.SCHOOL_ID), geometry=geometry, crs=S.WGS84)
    out[S.NAME] = out[S.NAME].astype(object)
    out[S.AREA] = out[S.AREA].astype(object)
    out[S.LEVEL] = out[S.LEVEL].astype(object)
    out[S.STUDENTS] = pd.array([900, 200, 150, 800, 180, 220], dtype="Int64")
    out[S.TEACHERS] = pd.array([70, 18, 14, 62, 15, 19], dtype="Int64")
    out[S.LEAD_CANDIDATE] = [True, False, False, True, False, False]
    out[S.FIXED_GROUP] = pd.array([None] * 6, dtype=object)
    return out
