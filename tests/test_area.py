"""Tests of geogroup.read._area: the absolute density rule and urban boundaries."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from geogroup.errors import InputError
from geogroup.read import read_schools
from geogroup.read._area import (
    DENSITY_MIN_NEIGHBOURS,
    DENSITY_RADIUS_M,
    area_from_boundary,
    area_from_density,
    great_circle_km,
    neighbour_counts,
    read_boundary,
)

DENSITY_CSV = Path(__file__).parent / "data" / "io" / "density.csv"
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo_county.csv"


@pytest.fixture
def density_fixture() -> pd.DataFrame:
    """Ten town schools within 1 km, a pair 1 km apart 9 km away, six villages far apart."""
    return pd.read_csv(DENSITY_CSV)


def test_rule_constants_are_the_documented_ones():
    assert DENSITY_RADIUS_M == 3000.0
    assert DENSITY_MIN_NEIGHBOURS == 8


def test_neighbour_counts_exclude_the_school_itself(density_fixture):
    counts = neighbour_counts(density_fixture["lon"], density_fixture["lat"], DENSITY_RADIUS_M)
    assert counts.tolist() == [9] * 10 + [1, 1] + [0] * 6


def test_neighbour_counts_use_metres_not_degrees():
    # 0.03° of longitude at 60°N is about 1.67 km; at the equator it is 3.34 km.
    assert neighbour_counts([10.0, 10.03], [60.0, 60.0], 3000.0).tolist() == [1, 1]
    assert neighbour_counts([10.0, 10.03], [0.0, 0.0], 3000.0).tolist() == [0, 0]


def test_neighbour_counts_of_nothing():
    assert neighbour_counts([], [], 3000.0).size == 0


def test_dense_cluster_is_urban_scattered_points_rural(density_fixture):
    labels = area_from_density(density_fixture["lon"], density_fixture["lat"])
    # Counts are 9 (x10), 1 (x2), 0 (x6): at least 8 is urban.
    assert labels.tolist() == density_fixture["expected_area"].tolist()


def test_a_small_hamlet_is_rural():
    # Four schools close together: three neighbours each, fewer than eight.
    lon = [100.0, 100.001, 100.002, 100.003, 101.0, 102.0, 103.0, 104.0]
    lat = [30.0] * 8
    assert set(area_from_density(lon, lat)) == {"rural"}


def test_the_threshold_is_absolute():
    # Nine schools within 1 km: eight neighbours each, urban; eight: seven each, rural.
    lon = 116.4 + 0.001 * np.arange(9)
    assert set(area_from_density(lon, np.full(9, 39.9))) == {"urban"}
    assert set(area_from_density(lon[:8], np.full(8, 39.9))) == {"rural"}


def test_a_schools_label_does_not_depend_on_the_rest_of_the_file():
    # The relative rule (a percentile of the file's counts) changed a town's label when a
    # city was added to the file; an absolute rule cannot.
    rng = np.random.default_rng(1)
    town_lon, town_lat = 112.5 + rng.uniform(0, 0.02, 12), 34.6 + rng.uniform(0, 0.02, 12)
    city_lon, city_lat = 116.3 + rng.uniform(0, 0.2, 800), 39.8 + rng.uniform(0, 0.2, 800)
    alone = area_from_density(town_lon, town_lat)
    together = area_from_density(
        np.concatenate([town_lon, city_lon]), np.concatenate([town_lat, city_lat])
    )[:12]
    assert alone.tolist() == together.tolist() == ["urban"] * 12


def grid(n: int, step_m: float, lon0: float = 116.0, lat0: float = 40.0):
    """An n x n grid of schools ``step_m`` apart."""
    dlat = step_m / 111_195.0
    dlon = dlat / np.cos(np.radians(lat0))
    lon, lat = np.meshgrid(lon0 + dlon * np.arange(n), lat0 + dlat * np.arange(n))
    return lon.ravel(), lat.ravel()


@pytest.mark.parametrize("n", [4, 10, 40])
def test_a_dense_city_grid_is_urban(n):
    # Schools every 500 m (4 per km²), corners and edges included.
    labels = area_from_density(*grid(n, 500.0))
    assert (labels == "urban").mean() >= 0.9
    assert set(labels) == {"urban"}


def test_a_new_york_like_city_is_urban():
    # About 1,800 schools over 780 km² (2.3 per km²), placed at random: the relative rule
    # called three quarters of such a city rural.
    rng = np.random.default_rng(2)
    side = np.sqrt(780.0) * 1000.0 / 111_195.0
    lon = -74.0 + rng.uniform(0, side / np.cos(np.radians(40.7)), 1800)
    lat = 40.6 + rng.uniform(0, side, 1800)
    assert (area_from_density(lon, lat) == "urban").mean() >= 0.9


def test_villages_2_5_km_apart_across_a_plain_are_rural():
    # A school every 2.5 km in every direction: four neighbours within 3 km each.
    assert set(area_from_density(*grid(12, 2500.0))) == {"rural"}


def test_demo_county_without_its_area_column():
    # The planner's own 城乡 column is the truth; the rule sees only the points.
    schools, report = read_schools(DEMO, columns={"area": None})
    truth = schools["城乡"]
    town, village = schools["area"][truth == "城区"], schools["area"][truth == "乡村"]
    assert (town == "urban").mean() >= 0.9
    assert (village == "rural").mean() >= 0.9
    assert "density rule" in report.derived["area"]
    assert "area" not in report.column_map  # the field was left without a column


def test_beijing_core_is_urban(shared_datasets):
    schools, _ = read_schools(
        shared_datasets / "beijing_primary_829.csv", coords="gcj02", quality="house_price"
    )
    km = great_circle_km(schools.geometry.x, schools.geometry.y, 116.391, 39.907)
    area = schools["area"].to_numpy()
    # Within 10 km of Tiananmen lies the old city (东城, 西城) and the inner parts of the
    # other core districts; within 15 km most of the six core districts.
    assert (area[km < 10] == "urban").mean() >= 0.95
    assert (area[km < 15] == "urban").mean() >= 0.85
    assert (area[km > 40] == "rural").mean() >= 0.75


def test_read_schools_derives_area_by_density_and_says_so():
    schools, report = read_schools(DENSITY_CSV)
    assert schools["area"].tolist() == schools["expected_area"].tolist()
    how = report.derived["area"]
    assert "18 of 18" in how
    assert "density rule: urban when at least 8 other schools of the file lie within 3 km" in how
    assert "a fixed threshold" in how
    assert "10 urban, 8 rural" in how


@pytest.fixture
def town() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[box(112.49, 34.59, 112.52, 34.61)], crs="EPSG:4326")


def test_boundary_inside_and_edge_are_urban(town):
    labels = area_from_boundary([112.5, 112.49, 113.0], [34.6, 34.6, 34.6], town.geometry)
    assert labels.tolist() == ["urban", "urban", "rural"]


def test_read_schools_with_boundary_frame(town):
    schools, report = read_schools(DENSITY_CSV, urban_boundary=town)
    assert schools["area"].tolist() == schools["expected_area"].tolist()
    assert "urban boundary" in report.derived["area"]


def test_read_schools_with_boundary_file_in_another_crs(town, tmp_path):
    path = tmp_path / "town.gpkg"
    town.to_crs("EPSG:3857").to_file(path)
    schools, _ = read_schools(DENSITY_CSV, urban_boundary=path)
    assert schools["area"].tolist() == schools["expected_area"].tolist()


def test_boundary_without_crs_is_taken_as_wgs84(town):
    polygons = read_boundary(town.set_crs(None, allow_override=True))
    assert polygons.crs == "EPSG:4326"


def test_boundary_keeps_only_polygons():
    mixed = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), Point(5, 5)], crs="EPSG:4326")
    assert len(read_boundary(mixed)) == 1


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("no/such/file.gpkg", "does not exist"),
        (
            gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs="EPSG:4326"),
            "no polygons found",
        ),
        ([1, 2, 3], "expected a path or a GeoDataFrame"),
    ],
)
def test_bad_boundaries(boundary, message):
    with pytest.raises(InputError, match=message):
        read_boundary(boundary)


def test_unreadable_boundary_file(tmp_path):
    path = tmp_path / "town.geojson"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read"):
        read_boundary(path)


def test_bad_boundary_is_an_error_even_when_every_area_is_given():
    with pytest.raises(InputError, match="does not exist"):
        read_schools(DENSITY_CSV.parent / "county_gbk.csv", urban_boundary="no/such.gpkg")
