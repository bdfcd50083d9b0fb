"""The routes of one group along the roads: from each member to its lead, as lines to draw."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.locate._roadgraph import network_with_points, segments_from_lines
from geogroup.locate._roads import read_roads, road_speeds
from geogroup.locate._snap import snap_to_segments

__all__ = ["route_lines"]

_MARGIN_DEG = 0.05  # roads read around the plan's schools (about 5 km)


def route_lines(
    plan: Any,
    roads: str | os.PathLike[str] | gpd.GeoDataFrame,
    group_id: str,
    *,
    speeds: Mapping[str, float] | None = None,
    network: str = "driving",
) -> gpd.GeoDataFrame:
    """The quickest road route from each member of a group to its lead.

    Parameters
    ----------
    plan
        A :class:`~geogroup.Plan` or its schools frame (``group_id``, ``role``).
    roads
        The roads (see :func:`~geogroup.locate.read_roads`): the same as the plan's
        distances came from, for routes that match its figures.
    group_id
        The group whose routes are drawn.
    speeds, network
        As for :func:`~geogroup.locate.network_distances`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per member (index ``school_id``): ``lead_id``, ``km``, ``minutes`` (the
        off-road legs at both ends included) and the route as a LineString in WGS-84, from
        the member through its nearest road point along the roads to the lead. A member no
        road joins to its lead has no line (None) and infinite km. Draw them with
        ``plan_map(plan, routes=...)``.

    Examples
    --------
    >>> schools = gpd.GeoDataFrame(
    ...     {"group_id": ["G1", "G1"], "role": ["lead", "member"]}, crs="EPSG:4326",
    ...     index=pd.Index(["A", "B"], name="school_id"),
    ...     geometry=gpd.points_from_xy([122.0, 122.02], [40.0, 40.0]))
    >>> road = gpd.GeoDataFrame({"highway": ["primary"]}, crs="EPSG:4326",
    ...     geometry=[shapely.LineString([(121.99, 40.0), (122.03, 40.0)])])
    >>> route_lines(schools, road, "G1")[["lead_id", "km"]].round(2)
              lead_id    km
    school_id
    B               A  1.71
    """
    schools = getattr(plan, "schools", plan)
    if not isinstance(schools, gpd.GeoDataFrame) or S.GROUP_ID not in schools:
        raise InputError(
            "route_lines: expected a Plan or a schools GeoDataFrame with group_id and role"
        )
    group, role = rules.plan_roles(schools)
    mine = np.flatnonzero(group == str(group_id).strip())
    if not len(mine):
        known = sorted({g for g in group if g is not None})
        raise InputError(
            f"route_lines: no group {group_id!r} in the plan (groups: "
            f"{', '.join(known[:10])}{' …' if len(known) > 10 else ''})"
        )
    heads = mine[role[mine] == S.LEAD]
    if len(heads) != 1:
        raise InputError(
            f"route_lines: group {group_id!r} has {len(heads)} leads; a route needs one"
        )
    members = mine[role[mine] != S.LEAD]
    box = schools.geometry.to_crs(S.WGS84).total_bounds + np.array([-1, -1, 1, 1]) * _MARGIN_DEG
    lines = read_roads(roads, speeds=speeds, network=network, bbox=tuple(box))
    access = road_speeds(speeds)["access"]
    at = schools.iloc[np.r_[heads, members]]
    crs = rules.metric_crs(at)
    xy = rules.metric_xy(at)
    seg = segments_from_lines(lines, crs)
    snapped = snap_to_segments(xy, seg.xy[seg.a], seg.xy[seg.b])
    net = network_with_points(seg, snapped.segment, snapped.fraction, contract=False)
    router = net.router()
    a, b = seg.xy[seg.a[snapped.segment]], seg.xy[seg.b[snapped.segment]]
    road_xy = a + snapped.fraction[:, None] * (b - a)
    node_xy = np.concatenate([net.xy, road_xy])
    rows = []
    for k in range(1, len(at)):
        src, dst = net.base + k, net.base
        minutes, km = router.search(np.array([src]), np.inf, np.array([dst]))
        off_km = (snapped.metres[k] + snapped.metres[0]) / 1000.0
        line = None
        if np.isfinite(minutes[0, 0]):
            path = _path(router.predecessors(src), src, dst)
            line = shapely.LineString(np.vstack([xy[k], node_xy[path], xy[0]]))
        rows.append(
            {
                "lead_id": str(at.index[0]),
                "km": float(km[0, 0]) + off_km,
                "minutes": float(minutes[0, 0]) + off_km / access * 60.0,
                "geometry": line,
            }
        )
    index = pd.Index([str(i) for i in at.index[1:]], name=S.SCHOOL_ID, dtype=object)
    out = gpd.GeoDataFrame(rows or None, index=index, geometry="geometry", crs=crs)
    if not rows:
        out = gpd.GeoDataFrame(
            {"lead_id": [], "km": [], "minutes": []}, geometry=[], index=index, crs=crs
        )
    return out.to_crs(S.WGS84)


def _path(pred: np.ndarray, src: int, dst: int) -> list[int]:
    path = [dst]
    while path[-1] != src:
        path.append(int(pred[path[-1]]))
    return path[::-1]
