"""Tests of geogroup.read._area: the density rule and urban boundaries."""

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
    neighbour_counts,
    read_boundary,
)

DENSITY_CSV = Path(__file__).parent / "data" / "io" / "density.csv"


@pytest.fixture
def density_fixture() -> pd.DataFrame:
    """Ten town schools within 1 km, a pair 1 km apart 9 km away, six villages far apart."""
    return pd.read_csv(DENSITY_CSV)


def test_rule_constants_are_the_documented_ones():
    assert DENSITY_RADIUS_M == 3000.0
    assert DENSITY_MIN_NEIGHBOURS == 5


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
    labels, threshold = area_from_density(density_fixture["lon"], density_fixture["lat"])
    # Counts are 9 (x10), 1 (x2), 0 (x6): the 75th percentile is 9.
    assert threshold == 9
    assert labels.tolist() == density_fixture["expected_area"].tolist()


def test_floor_of_five_keeps_a_small_hamlet_rural():
    # Four schools close together and four far apart: the percentile alone would say urban.
    lon = [100.0, 100.001, 100.002, 100.003, 101.0, 102.0, 103.0, 104.0]
    lat = [30.0] * 8
    labels, threshold = area_from_density(lon, lat)
    assert threshold == DENSITY_MIN_NEIGHBOURS
    assert set(labels) == {"rural"}


def test_uniformly_dense_city_is_all_urban():
    rng = np.random.default_rng(7)
    lon, lat = 116.4 + rng.uniform(0, 0.01, 40), 39.9 + rng.uniform(0, 0.01, 40)
    labels, _ = area_from_density(lon, lat)
    assert set(labels) == {"urban"}


def test_read_schools_derives_area_by_density_and_says_so():
    schools, report = read_schools(DENSITY_CSV)
    assert schools["area"].tolist() == schools["expected_area"].tolist()
    how = report.derived["area"]
    assert "18 of 18" in how
    assert "density" in how
    assert "at least 9 other schools" in how
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
