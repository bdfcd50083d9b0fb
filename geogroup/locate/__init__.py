"""Locate: where the schools are, in metres, and who is near whom.

A metric CRS per unit (``_measure``: UTM zone, planar coordinates, k-nearest and radius
queries by KD-tree, never an n × n matrix), neighbour graphs (``_graphs``) and the
polygons that partition a unit's area (``_zones``). Distances along roads: road lines in
(``_roads``), schools snapped to them (``_snap``), the graph and its quickest routes
(``_roadgraph``), the sparse table of each school's candidate leads (``_network``, cached
by ``_cache``), a table a planner already has (``_table``) and a group's routes drawn
(``_routes``).
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
from geogroup.locate._network import (
    DEFAULT_K,
    DEFAULT_NEIGHBOURS,
    RoadDistances,
    network_distances,
)
from geogroup.locate._roads import (
    ACCESS_KMH,
    CLASS_ALIASES,
    DEFAULT_KMH,
    ROAD_SPEEDS_KMH,
    read_roads,
    road_speeds,
)
from geogroup.locate._routes import route_lines
from geogroup.locate._snap import FAR_FROM_ROAD_M
from geogroup.locate._table import DistanceTable, UnitDistances, read_distance_table
from geogroup.locate._zones import (
    HULL_BUFFER_M,
    boundary_metric,
    cells_touch,
    group_hulls,
    one_piece,
    zone_polygons,
)

__all__ = [
    "ACCESS_KMH",
    "CLASS_ALIASES",
    "DEFAULT_K",
    "DEFAULT_KMH",
    "DEFAULT_NEIGHBOURS",
    "FAR_FROM_ROAD_M",
    "HULL_BUFFER_M",
    "LONG_EDGE",
    "ROAD_SPEEDS_KMH",
    "DistanceTable",
    "RoadDistances",
    "UnitDistances",
    "boundary_metric",
    "cells_touch",
    "delaunay_edges",
    "distance_km",
    "geodesic_km",
    "graph_from_edge_list",
    "group_hulls",
    "metric_crs",
    "metric_xy",
    "nearest",
    "network_distances",
    "one_piece",
    "pairwise_km",
    "read_distance_table",
    "read_roads",
    "road_speeds",
    "route_lines",
    "within_radius",
    "zone_polygons",
]
