"""Synthetic school sets for tests: seeded, small, with every contract column."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geogroup import schema as S


def random_schools(
    n: int, seed: int = 0, *, spread_deg: float = 0.3, urban_share: float = 0.3
) -> gpd.GeoDataFrame:
    """``n`` schools scattered around (122.75E, 40.85N), ids S001…, seeded."""
    rng = np.random.default_rng(seed)
    lon = 122.75 + rng.uniform(-spread_deg, spread_deg, n)
    lat = 40.85 + rng.uniform(-spread_deg * 0.75, spread_deg * 0.75, n)
    urban = rng.random(n) < urban_share
    quality = np.round(np.where(urban, 70, 55) + rng.normal(0, 10, n), 1)
    ids = [f"S{i + 1:03d}" for i in range(n)]
    frame = gpd.GeoDataFrame(
        {
            S.NAME: pd.array([f"学校{i + 1}" for i in range(n)], dtype=object),
            S.QUALITY: quality,
            S.AREA: pd.array(np.where(urban, S.URBAN, S.RURAL), dtype=object),
            S.LEVEL: pd.array(rng.choice(["primary", "middle"], n, p=[0.7, 0.3]), dtype=object),
            S.STUDENTS: pd.array(rng.integers(50, 1500, n), dtype="Int64"),
            S.TEACHERS: pd.array(rng.integers(5, 120, n), dtype="Int64"),
            S.LEAD_CANDIDATE: quality >= np.quantile(quality, 0.7),
            S.FIXED_GROUP: pd.array([None] * n, dtype=object),
        },
        geometry=gpd.points_from_xy(lon, lat),
        index=pd.Index(ids, name=S.SCHOOL_ID),
        crs=S.WGS84,
    )
    return frame


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


def chromium_path() -> str:
    """Debian's Chromium (``/usr/bin/chromium``, or ``$GEOGROUP_CHROMIUM``); missing, the test
    fails and says what to install."""
    chromium = (
        os.environ.get("GEOGROUP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    )
    if not Path(chromium).is_file():
        pytest.fail(
            f"Chromium not found at {chromium!r}; install Debian's package 'chromium' "
            "(bash scripts/test.sh does) or set GEOGROUP_CHROMIUM",
            pytrace=False,
        )
    return chromium
