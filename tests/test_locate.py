"""Tests of geogroup.locate: metric CRS, planar coordinates and neighbour queries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import LineString, Point

from geogroup.errors import InputError
from geogroup.locate import (
    distance_km,
    geodesic_km,
    metric_crs,
    metric_xy,
    nearest,
    pairwise_km,
    within_radius,
)

LINE = np.array([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0]])  # three schools 1 km apart


def _schools(lonlat: list[tuple[float, float]], crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"s{i}" for i in range(len(lonlat))]},
        geometry=[Point(lon, lat) for lon, lat in lonlat],
        index=pd.Index([f"S{i:05d}" for i in range(len(lonlat))], name="school_id"),
        crs=crs,
    )


# --- metric_crs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lonlat", "epsg"),
    [
        ("Beijing, zone 50N", [(116.39, 39.91), (116.2, 40.0), (116.6, 39.8)], 32650),
        ("Cape Town, zone 34S", [(18.42, -33.92), (18.6, -34.0)], 32734),
        ("Haicheng, zone 51N", [(122.75, 40.85), (122.5, 40.95), (123.0, 40.6)], 32651),
        ("east of 180°, zone 60N", [(179.5, 10.0), (-179.7, 10.0)], 32660),
        ("west of 180°, zone 1N", [(179.7, 10.0), (-179.5, 10.0)], 32601),
        ("Fiji, zone 60S", [(178.4, -18.1), (179.9, -16.8), (-179.9, -16.5)], 32760),
    ],
)
def test_metric_crs_picks_utm_zone_of_centre(
    place: str, lonlat: list[tuple[float, float]], epsg: int
) -> None:
    assert metric_crs(_schools(lonlat)).to_epsg() == epsg, place


def test_metric_crs_reprojects_other_crs_first() -> None:
    schools = _schools([(122.75, 40.85), (122.9, 40.7)]).to_crs("EPSG:3857")
    assert metric_crs(schools).to_epsg() == 32651


def test_metric_crs_accepts_geoseries() -> None:
    assert metric_crs(_schools([(116.39, 39.91)]).geometry).to_epsg() == 32650


@pytest.mark.parametrize(
    ("schools", "words"),
    [
        (_schools([(122.75, 40.85)], crs=None), "no CRS"),
        (_schools([]), "empty"),
        (
            gpd.GeoDataFrame(geometry=[Point(1, 1), None], crs="EPSG:4326"),
            r"1 row\(s\)",
        ),
        (
            gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs="EPSG:4326"),
            "Point",
        ),
        (pd.DataFrame({"lon": [1.0], "lat": [2.0]}), "GeoDataFrame"),
    ],
)
def test_metric_crs_rejects_unusable_input(schools: object, words: str) -> None:
    with pytest.raises(InputError, match=words) as info:
        metric_crs(schools)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_metric_crs_does_not_mutate_input() -> None:
    schools = _schools([(122.75, 40.85)]).to_crs("EPSG:3857")
    before = schools.copy()
    metric_crs(schools)
    metric_xy(schools)
    assert schools.crs == before.crs
    assert schools.geom_equals(before).all()


# --- metric_xy ---------------------------------------------------------------------------


def test_metric_xy_shape_and_order() -> None:
    schools = _schools([(122.75, 40.85), (122.75, 40.95), (122.85, 40.85)])
    xy = metric_xy(schools)
    assert xy.shape == (3, 2)
    assert xy.dtype == np.float64
    assert xy[1, 1] > xy[0, 1]  # north is up
    assert xy[2, 0] > xy[0, 0]  # east is right


def test_metric_xy_uses_given_crs() -> None:
    schools = _schools([(122.75, 40.85)])
    easting_50 = metric_xy(schools, crs="EPSG:32650")[0, 0]
    easting_51 = metric_xy(schools, crs=32651)[0, 0]
    assert easting_50 > 500_000 > easting_51  # east of zone 50, west of zone 51's meridian


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:2263"])  # degrees; US survey feet
def test_metric_xy_rejects_crs_not_in_metres(crs: str) -> None:
    with pytest.raises(InputError, match="projected CRS in metres"):
        metric_xy(_schools([(122.75, 40.85)]), crs=crs)


def test_utm_distances_match_geodesic_for_20km_pairs() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(122.3, 123.1, 50)
    lat = rng.uniform(40.5, 41.1, 50)
    bearing = rng.uniform(0, 360, 50)
    lon2, lat2, _ = pyproj.Geod(ellps="WGS84").fwd(lon, lat, bearing, np.full(50, 20_000.0))
    schools = _schools(list(zip(lon, lat, strict=True)) + list(zip(lon2, lat2, strict=True)))
    xy = metric_xy(schools)
    planar = distance_km(xy[:50], xy[50:])
    geodesic = geodesic_km(lon, lat, lon2, lat2)
    np.testing.assert_allclose(geodesic, 20.0, rtol=1e-9)
    np.testing.assert_allclose(planar, geodesic, rtol=0.005)


# --- nearest -----------------------------------------------------------------------------


def test_nearest_on_a_line_worked_by_hand() -> None:
    idx, km = nearest(LINE, k=2)
    assert idx.tolist() == [[1, 2], [0, 2], [1, 0]]
    np.testing.assert_allclose(km, [[1.0, 2.0], [1.0, 1.0], [1.0, 2.0]])
    assert idx.dtype == np.intp
    assert km.dtype == np.float64


def test_nearest_k1_shape() -> None:
    idx, km = nearest(LINE)
    assert idx.shape == km.shape == (3, 1)
    assert idx[:, 0].tolist() == [1, 0, 1]


def test_nearest_to_separate_targets() -> None:
    targets = [[0.0, 500.0], [2500.0, 0.0]]
    idx, km = nearest(LINE, targets, k=1)
    assert idx[:, 0].tolist() == [0, 0, 1]
    np.testing.assert_allclose(km[:, 0], [0.5, np.hypot(1.0, 0.5), 0.5])


def test_nearest_separate_targets_keep_distance_zero() -> None:
    idx, km = nearest(LINE, LINE, k=1)
    assert idx[:, 0].tolist() == [0, 1, 2]
    assert km[:, 0].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("target", "k", "width"),
    [(None, 5, 2), (None, 2, 2), ([[0.0, 0.0]], 3, 1), ([[0.0, 0.0], [1.0, 1.0]], 9, 2)],
)
def test_nearest_clips_k(target: list[list[float]] | None, k: int, width: int) -> None:
    idx, km = nearest(LINE, target, k=k)
    assert idx.shape == km.shape == (3, width)


def test_nearest_single_point_has_no_neighbours() -> None:
    idx, km = nearest([[5.0, 5.0]], k=3)
    assert idx.shape == km.shape == (1, 0)


def test_nearest_excludes_own_index_among_duplicates() -> None:
    xy = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [3000.0, 0.0]])
    idx, km = nearest(xy, k=2)
    for i in range(3):
        assert i not in idx[i]
        assert km[i].tolist() == [0.0, 0.0]
    assert 3 not in idx[3]
    np.testing.assert_allclose(km[3], [3.0, 3.0])


def test_nearest_agrees_with_brute_force() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 50_000, (200, 2))
    idx, km = nearest(xy, k=4)
    full = pairwise_km(xy)
    np.fill_diagonal(full, np.inf)
    np.testing.assert_allclose(km, np.sort(full, axis=1)[:, :4])
    np.testing.assert_allclose(np.take_along_axis(full, idx, axis=1), km)


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "2"])
def test_nearest_rejects_bad_k(k: object) -> None:
    with pytest.raises(InputError, match="k must be an integer"):
        nearest(LINE, k=k)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "target", "words"),
    [
        (np.zeros((3, 3)), None, r"source_xy must be an \(n, 2\) array"),
        (np.zeros(4), None, "got shape"),
        ([[0.0, np.nan], [1.0, 1.0]], None, "non-finite"),
        (LINE, [[np.inf, 0.0]], "target_xy has non-finite"),
    ],
)
def test_nearest_rejects_bad_arrays(source: object, target: object, words: str) -> None:
    with pytest.raises(InputError, match=words):
        nearest(source, target)  # type: ignore[arg-type]


def test_nearest_does_not_mutate_input() -> None:
    xy = LINE.copy()
    nearest(xy, k=2)
    within_radius(xy, 1.0)
    np.testing.assert_array_equal(xy, LINE)


# --- within_radius -----------------------------------------------------------------------


def test_within_radius_on_a_line() -> None:
    assert [a.tolist() for a in within_radius(LINE, 1.0)] == [[1], [0, 2], [1]]
    assert [a.tolist() for a in within_radius(LINE, 0.5)] == [[], [], []]
    assert [a.tolist() for a in within_radius(LINE, 2.0)] == [[1, 2], [0, 2], [0, 1]]


def test_within_radius_to_separate_targets_keeps_zero_distance() -> None:
    hits = within_radius(LINE, 0.0, LINE)
    assert [a.tolist() for a in hits] == [[0], [1], [2]]
    assert all(a.dtype == np.intp for a in hits)


def test_within_radius_empty_inputs() -> None:
    assert within_radius(np.empty((0, 2)), 1.0) == []
    assert [a.size for a in within_radius(LINE, 1.0, np.empty((0, 2)))] == [0, 0, 0]


@pytest.mark.parametrize("radius", [-1.0, np.nan, np.inf])
def test_within_radius_rejects_bad_radius(radius: float) -> None:
    with pytest.raises(InputError, match="radius_km"):
        within_radius(LINE, radius)


# --- distances ---------------------------------------------------------------------------


def test_distance_km_is_rowwise() -> None:
    np.testing.assert_allclose(distance_km(LINE, LINE[::-1]), [2.0, 0.0, 2.0])


def test_distance_km_rejects_mismatched_shapes() -> None:
    with pytest.raises(InputError, match="pairwise_km"):
        distance_km(LINE, LINE[:2])


def test_pairwise_km_by_hand() -> None:
    np.testing.assert_allclose(
        pairwise_km(LINE), [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]
    )
    assert pairwise_km(LINE, [[0.0, 0.0]]).shape == (3, 1)


def test_geodesic_km_vectorised_and_broadcast() -> None:
    one_degree_lat = geodesic_km(0.0, 0.0, 0.0, 1.0)
    assert one_degree_lat.shape == ()
    assert float(one_degree_lat) == pytest.approx(110.574, abs=1e-3)
    km = geodesic_km(122.75, 40.85, [122.75, 122.75], [40.85, 41.85])
    assert km.shape == (2,)
    assert km[0] == 0.0
    assert km[1] == pytest.approx(111.05, abs=0.05)
