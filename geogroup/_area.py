"""Deriving urban/rural for schools whose file does not say.

Two ways, chosen by :func:`geogroup.io.read_schools`:

* **boundary** — a school is urban when its point lies inside (or on the edge of) one of the
  given urban polygons, rural otherwise;
* **density** (the default) — a school is urban when at least ``k`` *other* schools lie within
  3 km of it, where ``k`` is the 75th percentile of that count over all schools read, and at
  least 5. Cities pack schools closely; villages do not. The percentile adapts the rule to
  the data (a province or a county), the floor of 5 stops a sparse county from calling its
  "densest" villages urban.

Distances are great-circle distances on a sphere of the Earth's mean radius, computed with a
scikit-learn ``BallTree`` (no n x n matrix). A single UTM zone would do for a county, but a
national list spans several zones (South Africa three, China eleven) and stray points far
outside the zone do not project at all; on a sphere the 3 km radius is within 0.5 % everywhere.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.neighbors import BallTree

from geogroup import schema
from geogroup._errors import InputError

__all__ = [
    "DENSITY_MIN_NEIGHBOURS",
    "DENSITY_QUANTILE",
    "DENSITY_RADIUS_M",
    "area_from_boundary",
    "area_from_density",
    "neighbour_counts",
    "read_boundary",
]

DENSITY_RADIUS_M = 3000.0
DENSITY_QUANTILE = 0.75
DENSITY_MIN_NEIGHBOURS = 5
_EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def neighbour_counts(lon: ArrayLike, lat: ArrayLike, radius_m: float) -> NDArray[np.int64]:
    """Number of *other* points within ``radius_m`` metres of each point.

    Examples
    --------
    >>> neighbour_counts([116.0, 116.01, 117.0], [40.0, 40.0, 40.0], 3000.0).tolist()
    [1, 1, 0]
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if lon.size == 0:
        return np.zeros(0, dtype=np.int64)
    points = np.radians(np.column_stack([lat, lon]))
    tree = BallTree(points, metric="haversine")
    counts = tree.query_radius(points, r=radius_m / _EARTH_RADIUS_M, count_only=True)
    return np.asarray(counts, dtype=np.int64) - 1


def area_from_density(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.str_], int]:
    """Urban/rural by the density rule of the module docstring.

    Returns the labels and the neighbour count from which a school is urban.

    Examples
    --------
    Ten schools within a few hundred metres and ten schools 20 km apart:

    >>> lon = [116.400 + 0.001 * i for i in range(10)] + [117.0 + 0.2 * i for i in range(10)]
    >>> lat = [39.9] * 10 + [41.0] * 10
    >>> labels, threshold = area_from_density(lon, lat)
    >>> labels.tolist()[:10] == ["urban"] * 10, labels.tolist()[10:] == ["rural"] * 10
    (True, True)
    >>> threshold
    9
    """
    counts = neighbour_counts(lon, lat, DENSITY_RADIUS_M)
    if counts.size == 0:
        return np.empty(0, dtype="<U5"), DENSITY_MIN_NEIGHBOURS
    # Counts are whole numbers: the smallest count >= the percentile is the real cut.
    threshold = max(int(np.ceil(np.quantile(counts, DENSITY_QUANTILE))), DENSITY_MIN_NEIGHBOURS)
    return np.where(counts >= threshold, schema.URBAN, schema.RURAL), threshold


def read_boundary(boundary: str | Path | gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    """Urban polygons in WGS-84 from a vector file or a (Geo)DataFrame.

    A layer without a CRS is taken to be WGS-84 longitude/latitude.
    """
    if isinstance(boundary, (str, Path)):
        path = Path(boundary)
        if not path.exists():
            raise InputError(f"urban_boundary: file {str(path)!r} does not exist.")
        try:
            boundary = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several unrelated types
            raise InputError(
                f"urban_boundary: cannot read {str(path)!r} as a vector file ({exc}). "
                "Give a GeoPackage, GeoJSON or Shapefile of polygons."
            ) from exc
    if not isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise InputError(
            "urban_boundary: expected a path or a GeoDataFrame of polygons, "
            f"got {type(boundary).__name__}."
        )
    shapes = boundary.geometry
    if shapes.crs is None:
        shapes = shapes.set_crs(schema.WGS84)
    shapes = shapes.to_crs(schema.WGS84)
    polygons = shapes[shapes.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise InputError(
            "urban_boundary: no polygons found (geometry types: "
            f"{', '.join(sorted(set(shapes.geom_type.dropna())))}). Give urban areas as polygons."
        )
    return polygons.reset_index(drop=True)


def area_from_boundary(lon: ArrayLike, lat: ArrayLike, polygons: gpd.GeoSeries) -> NDArray[np.str_]:
    """``'urban'`` for points inside or on the edge of a polygon, ``'rural'`` elsewhere.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> city = gpd.GeoSeries([box(116.0, 39.0, 117.0, 40.0)], crs="EPSG:4326")
    >>> area_from_boundary([116.5, 118.0], [39.5, 39.5], city).tolist()
    ['urban', 'rural']
    """
    points = gpd.points_from_xy(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    hits, _ = polygons.sindex.query(points, predicate="intersects")
    urban = np.zeros(len(points), dtype=bool)
    urban[hits] = True
    return np.where(urban, schema.URBAN, schema.RURAL)
