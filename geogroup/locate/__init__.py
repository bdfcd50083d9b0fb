"""Locate: where the schools are, in metres, and who is near whom.

A metric CRS per unit (``_measure``: UTM zone, planar coordinates, k-nearest and radius
queries by KD-tree, never an n × n matrix), neighbour graphs (``_graphs``) and the
polygons that partition a unit's area (``_zones``).
"""

from __future__ import annotations

from geogroup.locate._graphs import LONG_EDGE, delaunay_edges, graph_from_edge_list
from geogroup.locate._measure import (
    distance_km,
    geodesic_km,
    metric_crs,
    metric_xy,
    nearest,
    pairwise_km,
    within_radius,
)
from geogroup.locate._table import DistanceTable, UnitDistances, read_distance_table
from geogroup.locate._zones import HULL_BUFFER_M, boundary_metric, group_hulls, zone_polygons

__all__ = [
    "HULL_BUFFER_M",
    "LONG_EDGE",
    "DistanceTable",
    "UnitDistances",
    "boundary_metric",
    "delaunay_edges",
    "distance_km",
    "geodesic_km",
    "graph_from_edge_list",
    "group_hulls",
    "metric_crs",
    "metric_xy",
    "nearest",
    "pairwise_km",
    "read_distance_table",
    "within_radius",
    "zone_polygons",
]
