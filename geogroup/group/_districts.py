"""``districts``: contiguous 学区 zones grown from their leads on an adjacency graph.

Shanxi's 学区制 asks for districts of geographically close schools, roughly balanced in
quality, each headed by one quality school, primary and middle schools mixed. The method:

1. **Graph.** Two schools are neighbours when they share a Delaunay edge (on metric
   coordinates), or as the planner says: a networkx graph whose nodes are school ids, or a
   CSV edge list ``from,to[,length_km]`` (e.g. derived from roads). Delaunay edges that
   span an empty stretch (longer than 3 times the nearest-neighbour distance of both ends)
   are dropped, except those of the minimum spanning tree, which keep the graph connected:
   two towns are joined by their shortest link only, so a district can still cross the gap
   when the size rules leave no other way. ``max_distance_km`` bounds how far a member may
   be from its lead. A Delaunay pair is a pair of neighbours only when the two schools'
   Voronoi cells, clipped to the study boundary, touch (not across a bay of the county
   line), so that every district's polygon is one piece; with road
   distances (``distances=``), only when the road between them is also at most twice
   their straight line plus 0.5 km (schools facing each other across a river, far from
   its bridge, are not). The pairs that keep the unit connected stay (least road km, else
   least km first).
2. **Leads.** As many districts as the rules allow (or the policy's ``n_groups``, or the
   leads it names): fixed leads and locked groups first, then the leads of a previous plan,
   then leads spread over the map.
3. **Growth.** Locked schools join their lead first, with the schools on a shortest path
   of the graph between them, so the district is contiguous from the start. Then districts
   grow one neighbour at a time: while a district is below the minimum of ``members`` the
   smallest one takes its cheapest neighbour, after that the cheapest addition anywhere
   wins. The price of adding school i to district g is its part of the shared objective,
   ``d(i, lead_g) + w·(|S_g + z_i| − |S_g|)`` (plus the move cost against a previous plan),
   so districts stay near their lead and balanced in quality. A school joins only a
   district whose lead is within ``max_distance_km``.
4. **Repair.** A school that no district with room can reach enters a full neighbouring
   district, which passes one of its boundary schools on to the next, until a district with
   room is reached (the shortest such chain); a district below the minimum pulls schools in
   the same way. A district that cannot grow to the minimum (enclosed by others) is
   dissolved when the policy allows fewer districts. What is still impossible raises
   :class:`~geogroup.InfeasibleError` with the numbers and the rule to relax.
5. **Local search.** Boundary moves and swaps that lower the objective and keep every
   district contiguous and every rule met; then each district's lead may pass to the lead
   candidate of the district nearest its schools, and the search runs again. Given a
   previous plan whose districts still keep every rule and cost less, those are kept.

Under ``pair_urban_rural`` and ``min_weak_per_group`` the growth serves a district's missing
rural or weak school first, and a repair pass trades boundary schools with neighbouring
districts; when a district still lacks one, the method raises (``exact`` may still find a
grouping, without contiguity).

Zone polygons: the Voronoi cells of the schools (per school level when ``levels='same'``),
dissolved per district and clipped to the study boundary, in ``plan_.zones``.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import minimum_spanning_tree

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InfeasibleError, InputError, PolicyError
from geogroup.group._base import BaseGrouper, solution_from
from geogroup.group._leads import spread_leads, target_group_count
from geogroup.group._prepare import prepare_problem
from geogroup.group._problem import Problem, Solution, evaluate, judge
from geogroup.group._repair import Districts, settle, settle_mix
from geogroup.locate import (
    DistanceTable,
    boundary_metric,
    cells_touch,
    delaunay_edges,
    graph_from_edge_list,
    metric_crs,
    zone_polygons,
)
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy

__all__ = ["DistrictGrouper"]

_SHOWN = 10  # ids quoted in a message
ROAD_DETOUR = 2.0  # with road distances, neighbours are at most this many times …
ROAD_SLACK_KM = 0.5  # … their straight line apart by road, plus this


class DistrictGrouper(BaseGrouper):
    """Contiguous 学区 districts grown from their leads on an adjacency graph of the schools.

    Parameters
    ----------
    policy, random_state, time_limit, on_infeasible, n_jobs, backend, scheduler, progress
        As for every method; ``random_state`` seeds the choice of leads and the order of the
        local search, ``time_limit`` bounds the repairs and the local search per unit.
    graph
        Which schools are neighbours: ``'delaunay'`` (Delaunay triangulation of each unit's
        schools, without the edges across empty stretches; see :func:`delaunay_edges`), a
        :class:`networkx.Graph` whose nodes are school ids (edges of other units are
        ignored), or the path of a CSV edge list with columns ``from``, ``to`` and
        optionally ``length_km`` (school ids; see :func:`graph_from_edge_list`). A given
        graph must name every school and nothing else.
    boundary
        Study area the zone polygons are clipped to: a polygon as a shapely geometry (WGS-84),
        a GeoSeries or GeoDataFrame (its CRS; WGS-84 when it has none) or a vector file
        path. Default: the convex hull of the schools buffered by 2 km.

    Attributes
    ----------
    plan_
        The plan; ``plan_.zones`` holds one polygon per district (index ``group_id``).
    graph_
        The adjacency graph used, its nodes the school ids.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> g = DistrictGrouper(policy=Policy(members=(2, 2), leads="top:0.34")).fit(toy_schools())
    >>> sorted(g.plan_.schools.groupby("group_id").groups["G01"])
    ['A', 'B', 'C']
    >>> g.plan_.zones.geometry.is_valid.all()
    np.True_
    """

    name = "districts"
    honours = frozenset(
        {
            "members",
            "n_groups",
            "leads",
            "levels",
            "fixed_group",
            "max_distance_km",
            "max_travel_min",
            "previous",
            "min_lead_spacing_km",
            "pair_urban_rural",
            "min_weak_per_group",
        }
    )

    def __init__(
        self,
        *,
        graph: str | os.PathLike[str] | nx.Graph = "delaunay",
        boundary: Any = None,
        policy: str | Policy = "shanxi-xuequ",
        **common: Any,
    ) -> None:
        super().__init__(policy=policy, **common)
        self.graph = graph
        self.boundary = boundary

    def fit(
        self,
        schools: gpd.GeoDataFrame,
        *,
        by: str | None = None,
        previous: Plan | None = None,
        rejected: pd.DataFrame | None = None,
        distances: DistanceTable | None = None,
    ) -> DistrictGrouper:
        """Group ``schools`` into contiguous districts; see :meth:`BaseGrouper.fit`.

        Besides ``plan_``, sets ``graph_`` and the zone polygons ``plan_.zones``.
        """
        self._check_schools(schools, by, get_policy(self.policy))
        user_graph = _checked_graph(self.graph, schools)
        crs = metric_crs(schools)
        boundary_m = boundary_metric(self.boundary, schools, crs)
        policy = get_policy(self.policy)
        areas = _unit_areas(boundary_m, crs, schools, by, policy)
        self._user_graph = user_graph  # read by _solve, also in worker processes
        self._areas = areas
        try:
            super().fit(schools, by=by, previous=previous, rejected=rejected, distances=distances)
        finally:
            del self._user_graph, self._areas
        policy = self.plan_.policy
        # Rebuilt here rather than collected from _solve: units may run in other processes.
        self.graph_ = (
            user_graph
            if user_graph is not None
            else _delaunay_graph(schools, by, policy, distances, areas)
        )
        layer = S.LEVEL if policy.levels == "same" and S.LEVEL in schools else None
        self.plan_.zones = zone_polygons(self.plan_.schools, boundary_m, crs, layer=layer)
        return self

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        deadline = time.perf_counter() + self.time_limit
        area = None if self._areas is None else self._areas.get(problem.label)
        adj = _adjacency(problem, self._user_graph, area)
        g = target_group_count(problem)
        leads = _starting_leads(problem, g, rng)
        _check_lead_count(problem, leads, g)
        state = Districts(problem, adj, leads, deadline)
        state.seed_locked()
        state.grow()
        dissolved = settle(state) + settle_mix(state)
        for _ in range(3):
            state.improve(rng, deadline)
            if time.perf_counter() > deadline or not state.recentre():
                break
        lead, kept = _previous_if_better(problem, adj, state.zone.copy())
        return solution_from(
            problem,
            lead,
            "heuristic",
            kept_previous=kept,
            n_groups=len(np.unique(lead[lead >= 0])),
            dissolved=dissolved,
            graph_edges=sum(map(len, adj)) // 2,
        )


def _previous_if_better(
    problem: Problem, adj: list[list[int]], lead: NDArray[np.int64]
) -> tuple[NDArray[np.int64], bool]:
    """The previous plan's districts instead, when they still keep every rule and cost less
    (the search may end in a local optimum that moves schools for nothing)."""
    if problem.previous_lead is None:
        return lead, False
    before = np.where(problem.active, problem.previous_lead, -1)
    heads = np.unique(before[before >= 0])
    pool = problem.may_lead | problem.must_lead
    if not pool[heads].all() or judge(problem, before) or not _spaced(problem, heads):
        return lead, False
    zone = {int(h): np.flatnonzero(before == h).tolist() for h in heads}
    if not all(_is_connected(adj, members) for members in zone.values()):
        return lead, False
    if evaluate(problem, before)["objective"] < evaluate(problem, lead)["objective"] - 1e-12:
        return before, True
    return lead, False


def _spaced(problem: Problem, heads: NDArray[np.int64]) -> bool:
    return all(
        problem.must_lead[h] or _spaced_from(problem, int(h), [int(o) for o in heads if o != h])
        for h in heads
    )


def _is_connected(adj: list[list[int]], members: list[int]) -> bool:
    inside = set(members)
    seen = {members[0]}
    stack = [members[0]]
    while stack:
        for y in adj[stack.pop()]:
            if y in inside and y not in seen:
                seen.add(y)
                stack.append(y)
    return len(seen) == len(inside)


def _unit_pairs(
    problem: Problem, user_graph: nx.Graph | None, area: shapely.Geometry | None = None
) -> NDArray[np.int64]:
    """Neighbouring positions of the unit's active schools, as (m, 2) pairs: Delaunay
    neighbours whose cells touch inside the study ``area`` (when given) and that are near
    along the roads (with a table); or the planner's graph."""
    active = np.flatnonzero(problem.active)
    if user_graph is None:
        pairs = active[delaunay_edges(problem.xy[active])]
        if not len(pairs) or (area is None and problem.table is None):
            return pairs
        return _neighbours_kept(problem, pairs, area)
    pos = {sid: i for i, sid in enumerate(problem.ids)}
    sub = user_graph.subgraph(problem.ids[active].tolist())
    return np.array([(pos[a], pos[b]) for a, b in sub.edges if a != b], dtype=np.int64).reshape(
        -1, 2
    )


def _neighbours_kept(
    problem: Problem, pairs: NDArray[np.int64], area: shapely.Geometry | None
) -> NDArray[np.int64]:
    """Delaunay neighbours that stay neighbours:

    * inside the study area, their Voronoi cells clipped to it share a border (two schools
      on either side of a bay of the county line touch outside it only, and a district
      holding both would be cut in two by the clipping);
    * along the roads (a distance table), the road between them is at most
      ``ROAD_DETOUR`` times the straight line plus ``ROAD_SLACK_KM`` (two schools facing
      each other across a river, far from its bridge, are no neighbours).

    Where dropping pairs splits the unit, the pairs of least road km (else straight km;
    unknown ones last) that join the pieces again are put back (a minimum spanning tree)."""
    a, b = pairs[:, 0], pairs[:, 1]
    straight = np.hypot(*(problem.xy[a] - problem.xy[b]).T) / 1000.0
    keep = np.ones(len(pairs), dtype=bool) if area is None else cells_touch(problem.xy, pairs, area)
    cost = straight
    if problem.table is not None:
        road = np.minimum(problem.table.km(a, b), problem.table.km(b, a))
        keep &= road <= ROAD_DETOUR * straight + ROAD_SLACK_KM
        cost = np.where(np.isfinite(road), road, 1e6 + straight)
    weight = np.where(keep, 1e-9, cost + 1e-9)
    tree = minimum_spanning_tree(
        sp.coo_matrix((weight, (a, b)), shape=(problem.n, problem.n)).tocsr()
    ).tocoo()
    joined = {
        (min(x, y), max(x, y)) for x, y in zip(tree.row.tolist(), tree.col.tolist(), strict=True)
    }
    back = np.array([(min(x, y), max(x, y)) in joined for x, y in pairs.tolist()], dtype=bool)
    return pairs[keep | back]


def _unit_areas(
    boundary_m: shapely.Geometry,
    crs: pyproj.CRS,
    schools: gpd.GeoDataFrame,
    by: str | None,
    policy: Policy,
) -> dict[str, shapely.Geometry]:
    """The study area in each unit's metric CRS (the CRS its problem measures in)."""
    wgs = gpd.GeoSeries([boundary_m], crs=crs).to_crs(S.WGS84)
    return {
        label: wgs.to_crs(metric_crs(schools.loc[index])).iloc[0]
        for label, index in rules.split_units(schools, by, policy)
    }


def _adjacency(
    problem: Problem, user_graph: nx.Graph | None, area: shapely.Geometry | None = None
) -> list[list[int]]:
    """Neighbour positions of every school of the unit (inactive schools have none)."""
    adj: list[set[int]] = [set() for _ in range(problem.n)]
    for a, b in _unit_pairs(problem, user_graph, area).tolist():
        adj[a].add(b)
        adj[b].add(a)
    return [sorted(s) for s in adj]


def _delaunay_graph(
    schools: gpd.GeoDataFrame,
    by: str | None,
    policy: Policy,
    distances: DistanceTable | None,
    areas: dict[str, shapely.Geometry] | None,
) -> nx.Graph:
    """The Delaunay graphs of all units (along the roads, with a table), as _solve built them."""
    graph = nx.Graph()
    graph.add_nodes_from(schools.index)
    for label, index in rules.split_units(schools, by, policy):
        unit = schools.loc[index]
        try:
            table = None if distances is None else distances.for_unit(unit.index.to_numpy())
            problem = prepare_problem(unit, policy, label=label, table=table)
        except InfeasibleError:
            continue  # the unit was left unassigned
        pairs = _unit_pairs(problem, None, None if areas is None else areas.get(label))
        graph.add_edges_from(zip(problem.ids[pairs[:, 0]], problem.ids[pairs[:, 1]], strict=True))
    return graph


def _checked_graph(graph: Any, schools: pd.DataFrame) -> nx.Graph | None:
    """The planner's graph, checked against the school ids; None for Delaunay."""
    if isinstance(graph, str) and graph == "delaunay":
        return None
    if isinstance(graph, nx.Graph):
        user = nx.Graph(graph)  # an undirected copy (also of a DiGraph or MultiGraph)
    elif isinstance(graph, str | os.PathLike):
        user = graph_from_edge_list(graph)
    else:
        raise PolicyError(
            f"graph: expected 'delaunay', a networkx.Graph of school ids or the path of a CSV "
            f"edge list, got {type(graph).__name__}"
        )
    ids = set(schools.index)
    unknown = sorted((n for n in user.nodes if n not in ids), key=str)
    if unknown:
        hint = ""
        if all(str(n) in ids for n in unknown):
            hint = " (they match as text: the school ids are strings, convert the nodes with str)"
        raise InputError(
            f"graph: {len(unknown)} node(s) are not ids of the school list: "
            f"{_shown(unknown)}{hint}; the nodes must be the schools' ids (the index)"
        )
    absent = [s for s in schools.index if s not in user]
    if absent:
        raise InputError(
            f"graph: {len(absent)} school(s) are not in the graph: {_shown(absent)}; a school "
            "without neighbours cannot join a contiguous district: add its edges, or drop the "
            "school from the list"
        )
    return user


def _shown(items: list[Any]) -> str:
    return ", ".join(map(str, items[:_SHOWN])) + (
        f" … and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    )


def _starting_leads(problem: Problem, g: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """``g`` leads: fixed ones, then the leads of a previous plan (so districts that persist
    keep their head), then leads spread over the map, then the free candidates farthest from
    those chosen. Schools locked into another lead's group never lead."""
    locked = problem.locked_to
    usable = {int(c) for c in problem.leads_pool if locked[c] < 0 or locked[c] == c}
    must = np.flatnonzero(problem.must_lead & problem.active).tolist()
    before: list[int] = []
    if problem.previous_lead is not None:
        prev = problem.previous_lead
        before = [i for i in np.flatnonzero(prev == np.arange(problem.n)).tolist() if i in usable]
    spread = spread_leads(problem, g, rng=rng).tolist()
    chosen: list[int] = []
    for c in dict.fromkeys(must + before + spread):
        if (
            len(chosen) < g
            and c in usable
            and (problem.must_lead[c] or _spaced_from(problem, c, chosen))
        ):
            chosen.append(c)
    rest = sorted(usable - set(chosen))
    while len(chosen) < g and rest:
        gap = [
            min((math.dist(problem.xy[c], problem.xy[h]) for h in chosen), default=math.inf)
            for c in rest
        ]
        k = int(np.argmax(gap))
        if not _spaced_from(problem, rest[k], chosen):
            break
        chosen.append(rest.pop(k))
    return np.asarray(sorted(chosen), dtype=np.int64)


def _spaced_from(problem: Problem, c: int, chosen: list[int]) -> bool:
    spacing = problem.spaced_m()
    return spacing <= 0 or all(math.dist(problem.xy[c], problem.xy[h]) >= spacing for h in chosen)


def _check_lead_count(problem: Problem, leads: NDArray[np.int64], g: int) -> None:
    g_lo = problem.n_groups_range[0]
    if len(leads) >= max(g_lo, 1) and (problem.policy.n_groups is None or len(leads) == g):
        return
    raise InfeasibleError(
        f"{g} districts wanted but only {len(leads)} leads can be chosen "
        f"{problem.policy.min_lead_spacing_km:g} km apart; lower 'min_lead_spacing_km' or allow "
        "more leads ('leads')"
    )
