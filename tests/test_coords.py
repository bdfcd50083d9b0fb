"""Tests of geogroup.read._coords: published reference points and round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geogroup.read._coords import (
    COORDINATE_SYSTEMS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")

# (WGS-84 lon, lat) -> (GCJ-02 lon, lat), from the test suite of googollee/eviltransform.
EVILTRANSFORM_WGS_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]
# Results printed in wandergis/coordtransform's test/app.js for the input (116.404, 39.915).
COORDTRANSFORM = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
    "gcj02_to_wgs84": (116.39775550083061, 39.91359571849836),  # their one-step approximation
}

# Longitude/latitude box around mainland China, Hainan and Taiwan.
china_lon = st.floats(73.5, 135.0, allow_nan=False)
china_lat = st.floats(18.0, 53.5, allow_nan=False)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_points(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-9)
    assert lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_published_points(wgs, gcj):
    assert metres(gcj02_to_wgs84(*gcj), wgs) < 0.01


@pytest.mark.parametrize("name", ["wgs84_to_gcj02", "gcj02_to_bd09"])
def test_forward_shifts_match_coordtransform(name):
    func = {"wgs84_to_gcj02": wgs84_to_gcj02, "gcj02_to_bd09": gcj02_to_bd09}[name]
    lon, lat = func(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM[name], abs=1e-9)


@pytest.mark.parametrize(
    ("name", "tolerance_m"),
    [("bd09_to_gcj02", 0.3), ("gcj02_to_wgs84", 1.0)],  # both published inverses approximate
)
def test_inverses_agree_with_coordtransform_within_its_approximation(name, tolerance_m):
    func = {"bd09_to_gcj02": bd09_to_gcj02, "gcj02_to_wgs84": gcj02_to_wgs84}[name]
    assert metres(func(116.404, 39.915), COORDTRANSFORM[name]) < tolerance_m


def test_shift_in_beijing_is_a_few_hundred_metres():
    shifted = wgs84_to_gcj02(116.391, 39.907)
    assert 100 < metres(shifted, (116.391, 39.907)) < 1000
    assert 100 < metres(wgs84_to_bd09(116.391, 39.907), (116.391, 39.907)) < 2000


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_gcj02_round_trip_under_a_metre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres(back, (lon, lat)) < 1.0


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_bd09_round_trip_under_a_metre(lon, lat):
    assert metres(bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), (lon, lat)) < 1.0
    assert metres(bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), (lon, lat)) < 1.0


def test_round_trip_on_a_grid_is_far_under_a_metre():
    lon, lat = np.meshgrid(np.linspace(73.5, 135, 60), np.linspace(18, 53.5, 40))
    lon, lat = lon.ravel(), lat.ravel()
    for forward, inverse in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)):
        blon, blat = inverse(*forward(lon, lat))
        assert GEOD.inv(blon, blat, lon, lat)[2].max() < 0.01


def test_outside_china_gcj02_is_wgs84():
    lon, lat = np.array([2.35, -74.0, 28.14]), np.array([48.85, 40.7, -32.3])
    np.testing.assert_array_equal(wgs84_to_gcj02(lon, lat)[0], lon)
    np.testing.assert_array_equal(gcj02_to_wgs84(lon, lat)[1], lat)


def test_missing_values_pass_through():
    lon, lat = to_wgs84(np.array([np.nan, 116.4]), np.array([np.nan, 39.9]), "gcj02")
    assert np.isnan(lon[0])
    assert np.isnan(lat[0])
    assert np.isfinite(lon[1])
    assert np.isfinite(lat[1])


def test_to_wgs84_dispatches_and_keeps_wgs84():
    assert COORDINATE_SYSTEMS == ("wgs84", "gcj02", "bd09")
    lon, lat = to_wgs84([116.4], [39.9], "wgs84")
    assert lon.tolist() == [116.4]
    assert lat.tolist() == [39.9]
    np.testing.assert_allclose(to_wgs84(116.4, 39.9, "bd09"), bd09_to_wgs84(116.4, 39.9))


def test_to_wgs84_rejects_unknown_system():
    with pytest.raises(ValueError, match="wgs84"):
        to_wgs84(116.4, 39.9, "utm")
