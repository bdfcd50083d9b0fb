"""Distances along roads between each school and its candidate leads: a sparse table.

:func:`network_distances` reads the roads (:func:`~geogroup.locate.read_roads`), snaps
every school to its nearest road (:mod:`~geogroup.locate._snap`), and searches the quickest
routes from every school (:class:`~geogroup.locate._roadgraph.Router`): it keeps, for each
school, its ``k`` quickest candidate leads of its own unit (within the caps) and the road
distances to its ``neighbours`` nearest schools in a straight line (the ``districts``
method judges its neighbours by them). Each pair's ``km`` is the length of its quickest
route and ``minutes`` that route's travel time, the off-road legs from each school to its
road included. Nothing builds a school × school matrix: each search stops at ``limit``
minutes, widened only for schools that have not yet found ``k`` candidates.

The result is cached on disk (:mod:`~geogroup.locate._cache`): the same schools, roads and
parameters give the table back without searching.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.locate import _cache
from geogroup.locate._roadgraph import Router, network_with_points, segments_from_lines
from geogroup.locate._roads import lines_fingerprint, read_roads, road_speeds
from geogroup.locate._snap import FAR_FROM_ROAD_M, snap_to_segments
from geogroup.locate._table import DistanceTable
from geogroup.policy import Policy, get_policy

__all__ = ["DEFAULT_K", "DEFAULT_NEIGHBOURS", "RoadDistances", "network_distances"]

DEFAULT_K = 30
"""Candidate leads kept per school (the quickest ``k`` of its unit)."""
DEFAULT_NEIGHBOURS = 8
"""Nearest schools (straight line) whose road distance is also kept, for adjacency."""
_GUESS_KMH = 30.0  # first search radius: the straight line at this speed …
_GUESS_DETOUR = 1.5  # … times this detour
_WIDENINGS = 6  # doublings of a search's limit before it runs unbounded
_MARGIN_KM = 5.0  # roads read beyond the schools' box


@dataclass
class RoadDistances(DistanceTable):
    """A :class:`DistanceTable` computed from roads, with each school's snapping.

    Attributes
    ----------
    snaps
        One row per school (index ``school_id``): ``snap_m``, the distance from the school
        to the nearest road (counted in its road distances), ``far`` (farther than the
        threshold) and the ``reason`` a far school is flagged.
    cached
        True when the table was read from the cache.
    """

    snaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    cached: bool = False

    @property
    def flagged(self) -> pd.DataFrame:
        """The schools far from every road, with the reason."""
        return self.snaps[self.snaps["far"]] if len(self.snaps) else self.snaps


def network_distances(
    schools: gpd.GeoDataFrame,
    roads: str | os.PathLike[str] | gpd.GeoDataFrame,
    *,
    policy: str | Policy | None = None,
    by: str | None = None,
    leads: Any = None,
    k: int = DEFAULT_K,
    neighbours: int = DEFAULT_NEIGHBOURS,
    max_km: float | None = None,
    max_minutes: float | None = None,
    speeds: Mapping[str, float] | None = None,
    far_from_road_m: float = FAR_FROM_ROAD_M,
    network: str = "driving",
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> RoadDistances:
    """Road distances (km) and travel times (minutes) from each school to its candidate leads.

    Parameters
    ----------
    schools
        The schools (:func:`~geogroup.read_schools`).
    roads
        An OpenStreetMap extract (``.osm.pbf``), a vector file of road lines or a
        GeoDataFrame of them (see :func:`~geogroup.locate.read_roads`).
    policy, by
        When a policy is given, its lead pool (per unit) gives ``leads``, its
        ``max_distance_km`` and ``max_travel_min`` give the caps, and its units (``by``
        and, under ``levels = 'same'``, the level) bound the pairs: a school is paired
        with schools of its own unit only. Without one, every school may lead and ``by``
        alone splits the units.
    leads
        The schools that may lead: ids, or a boolean mask in the schools' order.
    k
        Candidate leads kept per school (its quickest, within the caps).
    neighbours
        Each school's nearest schools in a straight line whose road distances are kept too.
    max_km, max_minutes
        Caps: pairs beyond them are no candidates (default: the policy's).
    speeds
        Speeds in km/h by road class, ``'default'`` and ``'access'`` (see
        :func:`~geogroup.locate.road_speeds`).
    far_from_road_m
        A school farther than this from every road is flagged (``snaps``) and warned about.
    network
        Which ways of an OSM extract: ``'driving'``, ``'walking'``, ``'cycling'``, ``'all'``.
    cache, cache_dir
        Keep the result on disk and reuse it for the same inputs (``cache_dir``, default
        ``$GEOGROUP_CACHE_DIR`` or the user's cache folder).

    Returns
    -------
    RoadDistances
        Pairs ``from_id``, ``to_id``, ``km``, ``minutes``: of the quickest route there and
        the quickest route back (one-way streets make them differ), the slower one, so a cap
        holds both ways; ``snaps`` per school.

    Examples
    --------
    >>> import shapely
    >>> schools = gpd.GeoDataFrame({"name": ["A", "B"], "quality": [1.0, 2.0]},
    ...     index=pd.Index(["A", "B"], name="school_id"), crs="EPSG:4326",
    ...     geometry=gpd.points_from_xy([122.0, 122.02], [40.001, 40.0]))
    >>> road = gpd.GeoDataFrame({"highway": ["secondary"]}, crs="EPSG:4326",
    ...     geometry=[shapely.LineString([(121.99, 40.0), (122.03, 40.0)])])
    >>> table = network_distances(schools, road, cache=False)
    >>> table.pairs.round(2).to_dict("records")[0]
    {'from_id': 'A', 'to_id': 'B', 'km': 1.82, 'minutes': 2.72}
    >>> float(table.snaps.loc["A", "snap_m"])
    110.9
    """
    _check_schools(schools)
    pol = None if policy is None else get_policy(policy)
    units, may_lead = _units_and_leads(schools, pol, by, leads)
    if pol is not None:
        max_km = pol.max_distance_km if max_km is None else max_km
        max_minutes = pol.max_travel_min if max_minutes is None else max_minutes
    _check_params(k, neighbours, far_from_road_m)
    table = road_speeds(speeds)
    params = (k, neighbours, max_km, max_minutes, far_from_road_m, network, sorted(table.items()))
    folder = _cache.cache_folder(cache_dir) if cache else None
    key = _key(schools, units, may_lead, roads, params) if cache else ""
    if folder is not None:
        stored = _cache.load(folder, key)
        if stored is not None:
            result = _from_arrays(stored)
            _warn_far(result.flagged)
            return result
    lines = read_roads(roads, speeds=speeds, network=network, bbox=_box(schools))
    search = _Search(schools, lines, table, units, may_lead, k, neighbours, max_km, max_minutes)
    pairs = search.pairs()
    snaps = search.snapped.report(schools.index.to_numpy(), far_from_road_m)
    source = lines.attrs.get("source", "roads")
    result = RoadDistances(pairs, source=source, snaps=snaps)
    if folder is not None:
        _cache.save(folder, key, _to_arrays(result))
    _warn_far(result.flagged)
    return result


# --- checks and units ----------------------------------------------------------------------


def _check_schools(schools: Any) -> None:
    if not isinstance(schools, gpd.GeoDataFrame):
        raise InputError(
            f"schools: expected the GeoDataFrame read_schools() returns, got {type(schools).__name__}"
        )
    if len(schools) == 0:
        raise InputError("schools: the list is empty; there is nothing to measure")
    points = schools.geometry
    bad = points.isna() | points.is_empty | (points.geom_type != "Point")
    if bad.any():
        shown = ", ".join(map(str, schools.index[bad.to_numpy()][:5]))
        raise InputError(
            f"schools: {int(bad.sum())} school(s) have no point location (e.g. {shown}); "
            "drop them or give their coordinates"
        )
    if not schools.index.is_unique:
        dup = schools.index[schools.index.duplicated()].unique()[:5]
        raise InputError(
            f"schools: school ids must be unique; repeated: {', '.join(map(str, dup))}"
        )


def _check_params(k: int, neighbours: int, far_m: float) -> None:
    if not (isinstance(k, int | np.integer) and k >= 1):
        raise InputError(f"k: expected a whole number >= 1 of candidate leads, got {k!r}")
    if not (isinstance(neighbours, int | np.integer) and neighbours >= 0):
        raise InputError(f"neighbours: expected a whole number >= 0, got {neighbours!r}")
    if not (isinstance(far_m, int | float) and far_m > 0):
        raise InputError(f"far_from_road_m: expected metres > 0, got {far_m!r}")


def _units_and_leads(
    schools: gpd.GeoDataFrame, policy: Policy | None, by: str | None, leads: Any
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Each school's unit code (-1: none) and whether it may lead."""
    n = len(schools)
    if by is not None and by not in schools:
        raise InputError(
            f"by: the schools have no column {by!r}; columns: {', '.join(map(str, schools.columns))}"
        )
    labels = rules.unit_labels(schools, by, policy or Policy(name="roads", levels="mixed"))
    codes, _ = pd.factorize(pd.Series(labels, dtype=object), sort=True)
    if leads is not None:
        may = _lead_mask(schools, leads)
    elif policy is not None:
        arrays = rules.plan_arrays(schools, policy, by)
        may = arrays.named.copy() if arrays.may_lead is None else arrays.may_lead | arrays.named
        if S.FIXED_GROUP in schools:  # a locked group's lead is chosen among its schools
            may |= np.array([v is not None for v in rules.words_kept(schools[S.FIXED_GROUP])])
    else:
        may = np.ones(n, dtype=bool)
    return codes.astype(np.int64), may


def _lead_mask(schools: gpd.GeoDataFrame, leads: Any) -> NDArray[np.bool_]:
    values = np.asarray(list(leads) if not isinstance(leads, np.ndarray) else leads)
    if values.dtype == bool:
        if len(values) != len(schools):
            raise InputError(
                f"leads: a mask of {len(values)} values for {len(schools)} schools; give one "
                "per school, or the ids of the schools that may lead"
            )
        return values.copy()
    ids = pd.Index([str(i) for i in schools.index])
    wanted = pd.Index([str(v) for v in values])
    unknown = wanted.difference(ids)
    if len(unknown):
        raise InputError(
            f"leads: {len(unknown)} id(s) are not in the school list (e.g. "
            f"{', '.join(unknown[:5])}); give the ids of schools that may lead"
        )
    return ids.isin(wanted)


def _box(schools: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    lon0, lat0, lon1, lat1 = schools.geometry.to_crs(S.WGS84).total_bounds
    dlat = _MARGIN_KM / 111.0
    dlon = _MARGIN_KM / (111.0 * max(0.1, math.cos(math.radians((lat0 + lat1) / 2))))
    return (lon0 - dlon, lat0 - dlat, lon1 + dlon, lat1 + dlat)


def _warn_far(flagged: pd.DataFrame) -> None:
    if len(flagged):
        shown = "; ".join(f"{sid}: {r}" for sid, r in flagged["reason"].head(5).items())
        more = f"; … and {len(flagged) - 5} more" if len(flagged) > 5 else ""
        warnings.warn(
            f"{len(flagged)} school(s) far from every road: {shown}{more}",
            UserWarning,
            stacklevel=3,
        )


def _warn_pieces(router: Router, nodes: NDArray[np.int64], ids: NDArray[np.object_]) -> None:
    """Say when the roads join the schools in separate pieces (no route between them)."""
    labels = connected_components(router.matrix, directed=True, connection="weak")[1][nodes]
    pieces, counts = np.unique(labels, return_counts=True)
    if len(pieces) < 2:
        return
    main = pieces[np.argmax(counts)]
    apart = ids[labels != main]
    warnings.warn(
        f"the roads join the schools in {len(pieces)} separate pieces: {len(apart)} school(s) "
        f"have no road to the other {int(counts.max())} (e.g. {', '.join(map(str, apart[:5]))}); "
        "lines that cross without sharing a vertex do not connect (a bridge), so check that "
        "the road data covers them and has junctions",
        UserWarning,
        stacklevel=4,
    )


# --- the search ------------------------------------------------------------------------------


class _Search:
    """The quickest routes from every school, bounded, and the pairs kept of them."""

    def __init__(self, schools, lines, speeds, units, may_lead, k, neighbours, max_km, max_minutes):
        crs = rules.metric_crs(schools)
        self.xy = rules.metric_xy(schools)
        self.ids = np.array([str(i) for i in schools.index], dtype=object)
        seg = segments_from_lines(lines, crs)
        self.snapped = snap_to_segments(self.xy, seg.xy[seg.a], seg.xy[seg.b])
        net = network_with_points(seg, self.snapped.segment, self.snapped.fraction)
        self.router = Router(net.n_nodes, net.u, net.v, net.km, net.minutes)
        # the same roads driven the other way: a pair's figure is its slower direction
        self.back = Router(net.n_nodes, net.v, net.u, net.km, net.minutes)
        self.nodes = net.base + np.arange(len(self.ids))
        _warn_pieces(self.router, self.nodes, self.ids)
        self.access_km = self.snapped.metres / 1000.0
        self.access_min = self.access_km / speeds["access"] * 60.0
        self.slowest = min(float(lines["kmh"].min()), speeds["access"])
        self.units, self.may_lead = units, may_lead
        self.k, self.n_neighbours = k, neighbours
        self.max_km, self.max_minutes = max_km, max_minutes

    def pairs(self) -> pd.DataFrame:
        parts = [self._unit(np.flatnonzero(self.units == u)) for u in np.unique(self.units)]
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame({"from_id": [], "to_id": [], "km": [], "minutes": []}).astype(
                {"from_id": object, "to_id": object}
            )
        rows = np.concatenate(parts)
        frm, to = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
        order = np.lexsort((to, frm))
        return pd.DataFrame(
            {
                "from_id": pd.Series(self.ids[frm[order]], dtype=object),
                "to_id": pd.Series(self.ids[to[order]], dtype=object),
                "km": np.round(rows[order, 2], 6),
                "minutes": np.round(rows[order, 3], 6),
            }
        )

    def _unit(self, members: NDArray[np.int64]) -> NDArray[np.float64]:
        """Rows (from, to, km, minutes) of the unit's kept pairs."""
        if len(members) < 2 or self.units[members[0]] < 0:
            return np.zeros((0, 4))
        leads = members[self.may_lead[members]]
        near = self._straight_neighbours(members)
        want = np.minimum(self.k, len(leads) - self.may_lead[members].astype(int))
        limits = self._first_limits(members, leads)
        out = []
        todo = np.arange(len(members))
        for _ in range(_WIDENINGS + 1):
            found = self._run(members[todo], limits[todo], leads, near[todo])
            done = (found[0] >= want[todo]) | (limits[todo] >= self._stop())
            out.append(found[1][np.repeat(done, found[2])])
            todo = todo[~done]
            if not len(todo):
                break
            limits[todo] = np.where(
                limits[todo] * 2 >= self._stop(), self._stop(), limits[todo] * 2
            )
        if len(todo):  # still short after the widenings: every route, unbounded
            limits[todo] = math.inf
            found = self._run(members[todo], limits[todo], leads, near[todo])
            out.append(found[1])
        return np.concatenate(out) if out else np.zeros((0, 4))

    def _stop(self) -> float:
        """The limit beyond which no search needs to go: the travel-time cap, or the time
        past which any route is longer than the km cap even at the slowest speed."""
        stop = math.inf
        if self.max_minutes is not None:
            stop = self.max_minutes + 1e-6
        if self.max_km is not None:
            stop = min(stop, (self.max_km + 1e-6) / self.slowest * 60.0)
        return stop

    def _first_limits(self, members: NDArray, leads: NDArray) -> NDArray[np.float64]:
        """A first search radius in minutes: the straight line to the k-th nearest lead (or
        the farthest straight-line neighbour) at a guessed speed and detour."""
        reach = np.zeros(len(members))
        if len(leads):
            kk = min(self.k + 1, len(leads))
            d, _ = cKDTree(self.xy[leads]).query(self.xy[members], k=kk)
            reach = np.atleast_2d(d.reshape(len(members), -1))[:, -1] / 1000.0
        if self.n_neighbours:
            kk = min(self.n_neighbours + 1, len(members))
            d, _ = cKDTree(self.xy[members]).query(self.xy[members], k=kk)
            reach = np.maximum(reach, np.atleast_2d(d.reshape(len(members), -1))[:, -1] / 1000.0)
        minutes = reach * _GUESS_DETOUR / _GUESS_KMH * 60.0 + 1.0
        return np.minimum(minutes, self._stop())

    def _straight_neighbours(self, members: NDArray[np.int64]) -> NDArray[np.int64]:
        kk = min(self.n_neighbours + 1, len(members))
        if self.n_neighbours == 0 or kk < 2:
            return np.zeros((len(members), 0), dtype=np.int64)
        _, idx = cKDTree(self.xy[members]).query(self.xy[members], k=kk)
        return members[np.atleast_2d(idx)]

    def _run(
        self, sources: NDArray, limits: NDArray, leads: NDArray, near: NDArray
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
        """Search from ``sources`` in batches of similar limits: per source the number of
        candidate leads found, the kept rows, and how many rows each source gave."""
        order = np.argsort(limits, kind="stable")
        size = self.router.batch_size()
        found = np.zeros(len(sources), dtype=np.int64)
        rows: list[list[NDArray]] = [[] for _ in sources]
        targets = np.unique(np.concatenate([leads, near.ravel()]))
        nodes = self.nodes[targets]
        col = {int(t): c for c, t in enumerate(targets.tolist())}
        lead_cols = np.array([col[int(t)] for t in leads.tolist()], dtype=np.int64)
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            limit = float(limits[batch].max())
            minutes, km = self.router.search(self.nodes[sources[batch]], limit, nodes)
            back_min, back_km = self.back.search(self.nodes[sources[batch]], limit, nodes)
            slower = back_min > minutes  # inf where either way is beyond the limit
            minutes, km = np.where(slower, back_min, minutes), np.where(slower, back_km, km)
            for r, s in enumerate(batch.tolist()):
                src = int(sources[s])
                got = self._keep(src, minutes[r], km[r], targets, lead_cols, near[s], col)
                found[s] = got[0]
                rows[s] = got[1]
        counts = np.array([len(r) for r in rows], dtype=np.int64)
        flat = np.concatenate([r for r in rows if len(r)]) if counts.sum() else np.zeros((0, 4))
        return found, flat, counts

    def _keep(self, src, minutes, km, targets, lead_cols, near, col) -> tuple[int, NDArray]:
        """The source's quickest k candidate leads within the caps, and its neighbours."""
        total_min = minutes + self.access_min[src] + self.access_min[targets]
        total_km = km + self.access_km[src] + self.access_km[targets]
        lm, lk, lt = total_min[lead_cols], total_km[lead_cols], targets[lead_cols]
        ok = np.isfinite(lm) & (lt != src)
        ok &= rules.within_minutes(lm, self.max_minutes) & rules.within_cap(lk, self.max_km)
        pick = np.flatnonzero(ok)
        pick = pick[np.lexsort((lt[pick], lm[pick]))][: self.k]
        chosen = list(zip(lt[pick].tolist(), lk[pick].tolist(), lm[pick].tolist(), strict=True))
        taken = set(lt[pick].tolist())
        for t in near.tolist():
            c = col[int(t)]
            if t != src and t not in taken and np.isfinite(total_min[c]):
                chosen.append((t, total_km[c], total_min[c]))
                taken.add(t)
        if not chosen:
            return len(pick), np.zeros((0, 4))
        arr = np.array(chosen, dtype=float)
        return len(pick), np.column_stack([np.full(len(arr), src), arr])


# --- the cache ---------------------------------------------------------------------------------


def _key(schools, units, may_lead, roads, params) -> str:
    lonlat = schools.geometry.to_crs(S.WGS84)
    coords = np.round(np.column_stack([lonlat.x, lonlat.y]), 7)
    ids = "\x1f".join(str(i) for i in schools.index)
    if isinstance(roads, gpd.GeoDataFrame):
        road_part = b"frame:" + lines_fingerprint(roads)
    else:
        path = Path(roads)
        if not path.is_file():
            raise InputError(f"roads: file {str(path)!r} does not exist")
        road_part = b"file:" + _cache.file_fingerprint(path)
    return _cache.key_of(
        [ids, coords.tobytes(), units.tobytes(), may_lead.tobytes(), road_part, repr(params)]
    )


def _to_arrays(result: RoadDistances) -> dict[str, NDArray]:
    p, s = result.pairs, result.snaps
    return {
        "from_id": p["from_id"].to_numpy(str),
        "to_id": p["to_id"].to_numpy(str),
        "km": p["km"].to_numpy(float),
        "minutes": p["minutes"].to_numpy(float),
        "snap_id": s.index.to_numpy(str),
        "snap_m": s["snap_m"].to_numpy(float),
        "far": s["far"].to_numpy(bool),
        "reason": s["reason"].to_numpy(str),
        "source": np.array([result.source]),
    }


def _from_arrays(a: dict[str, NDArray]) -> RoadDistances:
    pairs = pd.DataFrame(
        {
            "from_id": pd.Series(a["from_id"].tolist(), dtype=object),
            "to_id": pd.Series(a["to_id"].tolist(), dtype=object),
            "km": a["km"],
            "minutes": a["minutes"],
        }
    )
    snaps = pd.DataFrame(
        {"snap_m": a["snap_m"], "far": a["far"], "reason": a["reason"].astype(object)},
        index=pd.Index(a["snap_id"].tolist(), name="school_id", dtype=object),
    )
    return RoadDistances(pairs, source=str(a["source"][0]), snaps=snaps, cached=True)
