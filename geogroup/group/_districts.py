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
   be from its lead.
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

import itertools
import math
import os
import time
from collections import deque
from pathlib import Path
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
from scipy.spatial import Delaunay, QhullError

from geogroup import schema as S
from geogroup._errors import InfeasibleError, InputError, PolicyError
from geogroup.group._base import BaseGrouper, _units, solution_from
from geogroup.group._leads import spread_leads, target_group_count
from geogroup.group._problem import Problem, Solution, evaluate, prepare_problem, violations
from geogroup.locate import metric_crs
from geogroup.plan import Plan
from geogroup.policy import Policy

__all__ = ["DistrictGrouper", "delaunay_edges", "graph_from_edge_list", "zone_polygons"]

_EPS = 1e-9  # km: smaller gains are rounding
_BOUNDARY_BUFFER_M = 2000.0  # default study area: the schools' convex hull plus 2 km
_SHOWN = 10  # ids quoted in a message
_LONG_EDGE = 3.0  # Delaunay edges longer than this many nearest-neighbour distances are gaps
_CHAIN_STATES = 5_000  # search budget of one repair chain
_CHAIN_VISITS = 2  # times one repair chain search may reach a district


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
            "previous",
            "min_lead_spacing_km",
            "pair_urban_rural",
            "min_weak_per_group",
        }
    )

    def __init__(
        self,
        *,
        policy: str | Policy = "shanxi-xuequ",
        random_state: int | None = 0,
        time_limit: float = 60.0,
        on_infeasible: str = "raise",
        n_jobs: int | None = None,
        backend: str = "processes",
        scheduler: str | None = None,
        progress: bool | None = None,
        graph: str | os.PathLike[str] | nx.Graph = "delaunay",
        boundary: Any = None,
    ) -> None:
        super().__init__(
            policy=policy,
            random_state=random_state,
            time_limit=time_limit,
            on_infeasible=on_infeasible,
            n_jobs=n_jobs,
            backend=backend,
            scheduler=scheduler,
            progress=progress,
        )
        self.graph = graph
        self.boundary = boundary

    def fit(
        self,
        schools: gpd.GeoDataFrame,
        *,
        by: str | None = None,
        previous: Plan | None = None,
        rejected: pd.DataFrame | None = None,
    ) -> DistrictGrouper:
        """Group ``schools`` into contiguous districts; see :meth:`BaseGrouper.fit`.

        Besides ``plan_``, sets ``graph_`` and the zone polygons ``plan_.zones``.
        """
        self._check_schools(schools, by)
        user_graph = _checked_graph(self.graph, schools)
        crs = metric_crs(schools)
        boundary_m = _boundary_metric(self.boundary, schools, crs)
        self._user_graph = user_graph  # read by _solve, also in worker processes
        try:
            super().fit(schools, by=by, previous=previous, rejected=rejected)
        finally:
            del self._user_graph
        policy = self.plan_.policy
        # Rebuilt here rather than collected from _solve: units may run in other processes.
        self.graph_ = user_graph if user_graph is not None else _delaunay_graph(schools, by, policy)
        layer = S.LEVEL if policy.levels == "same" and S.LEVEL in schools else None
        self.plan_.zones = zone_polygons(self.plan_.schools, boundary_m, crs, layer=layer)
        return self

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        deadline = time.perf_counter() + self.time_limit
        adj = _adjacency(problem, self._user_graph)
        g = target_group_count(problem)
        leads = _starting_leads(problem, g, rng)
        _check_lead_count(problem, leads, g)
        state = _Districts(problem, adj, leads, deadline)
        state.seed_locked()
        state.grow()
        dissolved = _settle(state) + _settle_mix(state)
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
    if not pool[heads].all() or violations(problem, before) or not _spaced(problem, heads):
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


# -- graphs ---------------------------------------------------------------------------------


def _unit_pairs(problem: Problem, user_graph: nx.Graph | None) -> NDArray[np.int64]:
    """Neighbouring positions of the unit's active schools, as (m, 2) pairs."""
    active = np.flatnonzero(problem.active)
    if user_graph is None:
        return active[delaunay_edges(problem.xy[active])]
    pos = {sid: i for i, sid in enumerate(problem.ids)}
    sub = user_graph.subgraph(problem.ids[active].tolist())
    return np.array([(pos[a], pos[b]) for a, b in sub.edges if a != b], dtype=np.int64).reshape(
        -1, 2
    )


def _adjacency(problem: Problem, user_graph: nx.Graph | None) -> list[list[int]]:
    """Neighbour positions of every school of the unit (inactive schools have none)."""
    adj: list[set[int]] = [set() for _ in range(problem.n)]
    for a, b in _unit_pairs(problem, user_graph).tolist():
        adj[a].add(b)
        adj[b].add(a)
    return [sorted(s) for s in adj]


def _delaunay_graph(schools: gpd.GeoDataFrame, by: str | None, policy: Policy) -> nx.Graph:
    """The Delaunay graphs of all units, as the methods's _solve built them."""
    graph = nx.Graph()
    graph.add_nodes_from(schools.index)
    for _label, unit in _units(schools, by, policy):
        try:
            problem = prepare_problem(unit, policy)
        except InfeasibleError:
            continue  # the unit was left unassigned
        pairs = _unit_pairs(problem, None)
        graph.add_edges_from(zip(problem.ids[pairs[:, 0]], problem.ids[pairs[:, 1]], strict=True))
    return graph


def delaunay_edges(
    xy: NDArray[np.float64], *, long_edge: float | None = _LONG_EDGE
) -> NDArray[np.int64]:
    """Pairs of positions that are neighbours in the Delaunay triangulation of ``xy``.

    Delaunay triangles also span empty stretches (across a lake, between two towns, along
    the convex hull), where "neighbours" 30 km apart would let a district jump the gap. An
    edge longer than ``long_edge`` times the nearest-neighbour distance of *both* its ends
    is dropped, unless it belongs to the Euclidean minimum spanning tree: the graph stays
    connected, and two separate clusters are joined by their shortest link only.
    ``long_edge=None`` keeps every Delaunay edge. Schools at one spot are linked to each
    other and to every neighbour of the spot; points on one line are linked in order.

    Examples
    --------
    >>> delaunay_edges([[0, 0], [1000, 0], [0, 1000], [1200, 900]]).tolist()
    [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    >>> delaunay_edges([[0, 0], [2000, 0], [1000, 0]]).tolist()
    [[0, 2], [1, 2]]
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return np.empty((0, 2), dtype=np.int64)
    spots, spot_of = np.unique(np.round(xy, 3), axis=0, return_inverse=True)
    spot_of = spot_of.ravel()
    spot_edges = _spot_edges(spots)
    if long_edge is not None and spot_edges:
        spot_edges = _without_long_edges(
            spots, np.sort(np.asarray(spot_edges, dtype=np.int64), axis=1), long_edge
        )
    at = [np.flatnonzero(spot_of == s) for s in range(len(spots))]
    pairs = [(a, b) for s, t in spot_edges for a in at[s] for b in at[t]]
    pairs += [(a, b) for group in at for k, a in enumerate(group) for b in group[k + 1 :]]
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    out = np.sort(np.asarray(pairs, dtype=np.int64), axis=1)
    return np.unique(out, axis=0)


def _without_long_edges(
    spots: NDArray[np.float64], edges: NDArray[np.int64], factor: float
) -> list[tuple[int, int]]:
    length = np.hypot(*(spots[edges[:, 0]] - spots[edges[:, 1]]).T)
    n = len(spots)
    # A point's nearest neighbour is always one of its Delaunay neighbours.
    nn = np.full(n, np.inf)
    np.minimum.at(nn, edges[:, 0], length)
    np.minimum.at(nn, edges[:, 1], length)
    keep = length <= factor * np.maximum(nn[edges[:, 0]], nn[edges[:, 1]])
    graph = sp.coo_matrix((length + 1e-9, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    in_tree = {
        (min(a, b), max(a, b)) for a, b in zip(tree.row.tolist(), tree.col.tolist(), strict=True)
    }
    return [
        (int(a), int(b))
        for (a, b), k in zip(edges.tolist(), keep, strict=True)
        if k or (a, b) in in_tree
    ]


def _spot_edges(spots: NDArray[np.float64]) -> list[tuple[int, int]]:
    if len(spots) < 2:
        return []
    centred = spots - spots.mean(axis=0)
    scale = float(np.abs(centred).max()) or 1.0
    if len(spots) >= 3 and np.linalg.matrix_rank(centred / scale, tol=1e-9) == 2:
        try:
            tri = Delaunay(spots)
        except QhullError:
            pass
        else:
            simplices = tri.simplices
            edges = np.concatenate(
                [simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]]
            )
            return [tuple(e) for e in np.unique(np.sort(edges, axis=1), axis=0).tolist()]
    # On one line: link the points in order along the line's main direction.
    direction = np.linalg.svd(centred, full_matrices=False)[2][0]
    order = np.argsort(centred @ direction, kind="stable")
    return [(int(a), int(b)) for a, b in itertools.pairwise(order)]


def graph_from_edge_list(path: str | os.PathLike[str]) -> nx.Graph:
    """Read a CSV edge list of school ids (``from``, ``to``, optional ``length_km``).

    ``length_km`` (e.g. the road distance) is kept as an edge attribute; the grouping itself
    measures straight-line distances, like every method. Self-loops are dropped.
    """
    path = Path(path)
    what = "expected a CSV edge list with columns from,to[,length_km] of school ids"
    if not path.is_file():
        raise InputError(f"graph: file {str(path)!r} does not exist; {what}, or graph='delaunay'")
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"graph: file {str(path)!r} cannot be read ({exc}); {what}") from None
    cols = {str(c).strip().lower(): c for c in df.columns}
    missing = [c for c in ("from", "to") if c not in cols]
    if missing:
        raise InputError(
            f"graph: file {str(path)!r} lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, df.columns)) or 'none'}; {what}"
        )
    src = df[cols["from"]].astype(str).str.strip()
    dst = df[cols["to"]].astype(str).str.strip()
    problems = _row_problems(src.eq("") | dst.eq(""), "an empty school id")
    length = None
    if "length_km" in cols:
        length = pd.to_numeric(df[cols["length_km"]], errors="coerce")
        problems += _row_problems(
            length.isna() | (length < 0), "a length_km that is not a number >= 0"
        )
    if problems:
        raise InputError(f"graph: file {str(path)!r}: {'; '.join(problems)}")
    graph = nx.Graph()
    for k, (a, b) in enumerate(zip(src, dst, strict=True)):
        if a != b:
            graph.add_edge(a, b, **({} if length is None else {"length_km": float(length.iat[k])}))
    return graph


def _row_problems(bad: pd.Series, what: str) -> list[str]:
    if not bad.any():
        return []
    rows = (np.flatnonzero(bad.to_numpy()) + 2).tolist()  # the header is row 1
    shown = ", ".join(map(str, rows[:_SHOWN])) + (" …" if len(rows) > _SHOWN else "")
    return [f"{len(rows)} row(s) with {what} (rows {shown})"]


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
    spacing = problem.policy.min_lead_spacing_km * 1000.0
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


# -- the districts --------------------------------------------------------------------------


class _Districts:
    """The districts of one unit while they grow: members, quality sums, rural/weak counts."""

    def __init__(
        self,
        problem: Problem,
        adj: list[list[int]],
        leads: NDArray[np.int64],
        deadline: float = math.inf,
    ) -> None:
        p = problem
        self.p = p
        self.deadline = deadline  # repairs stop searching after it
        self.adj = adj
        self.lo, self.hi = p.policy.members
        self.cap = p.cap_m() / 1000.0
        self.w = p.policy.balance_weight
        self.x, self.y = p.xy[:, 0].tolist(), p.xy[:, 1].tolist()
        self.z = p.z.tolist()
        self.rural_flag = (~p.urban).tolist()
        self.weak_flag = p.weak.tolist()
        self.fixed = ((p.locked_to >= 0) | p.must_lead).tolist()
        self.prev = None if p.previous_lead is None else p.previous_lead.tolist()
        self.need_rural = p.policy.pair_urban_rural
        self.need_weak = p.policy.min_weak_per_group
        self.zone = np.full(p.n, -1, dtype=np.int64)
        self.members: dict[int, set[int]] = {}
        self.zsum: dict[int, float] = {}
        self.rural: dict[int, int] = {}
        self.weak: dict[int, int] = {}
        self.opened: set[int] = set()  # leads of districts opened for stranded schools
        for h in leads.tolist():
            self.zone[h] = h
            self.members[h] = {h}
            self.zsum[h] = self.z[h]
            self.rural[h] = self.weak[h] = 0

    # -- measures ----------------------------------------------------------------------
    def dist(self, i: int, h: int) -> float:
        return math.hypot(self.x[i] - self.x[h], self.y[i] - self.y[h]) / 1000.0

    def reach(self, i: int, h: int) -> bool:
        return self.dist(i, h) <= self.cap + 1e-9

    def price(self, i: int, h: int) -> float:
        """Distance plus move cost of school i as a member of district h (km)."""
        d = self.dist(i, h)
        if self.prev is not None and self.prev[i] >= 0 and self.prev[i] != h:
            d += self.p.policy.move_cost
        return d

    def n_members(self, h: int) -> int:
        return len(self.members[h]) - 1

    def room(self, h: int) -> int:
        return self.hi - self.n_members(h)

    def movable(self, i: int) -> bool:
        return not self.fixed[i] and self.zone[i] != i

    def short(self, h: int, add: int = -1, remove: int = -1) -> int:
        """Rural and weak schools district h lacks (after adding / removing one member)."""
        out = 0
        if self.need_rural and not self.rural_flag[h]:
            n = (
                self.rural[h]
                + (add >= 0 and self.rural_flag[add])
                - (remove >= 0 and self.rural_flag[remove])
            )
            out += max(0, 1 - n)
        if self.need_weak:
            n = (
                self.weak[h]
                + (add >= 0 and self.weak_flag[add])
                - (remove >= 0 and self.weak_flag[remove])
            )
            out += max(0, self.need_weak - n)
        return out

    def keeps_mix(self, h: int, add: int = -1, remove: int = -1) -> bool:
        return self.short(h, add, remove) <= self.short(h)

    def fills_gap(self, i: int, h: int) -> bool:
        return self.short(h, add=i) < self.short(h)

    def balance_delta(self, h: int, dz: float) -> float:
        s = self.zsum[h]
        return self.w * (abs(s + dz) - abs(s))

    def connected(self, h: int, add: int = -1, remove: int = -1) -> bool:
        """Whether district h, with ``add`` in and ``remove`` out, is connected in the graph."""
        target = len(self.members[h]) + (add >= 0) - (remove >= 0)
        zone, adj = self.zone, self.adj
        seen = {h}
        stack = [h]
        while stack:
            for y in adj[stack.pop()]:
                if y not in seen and y != remove and (y == add or zone[y] == h):
                    seen.add(y)
                    stack.append(y)
        return len(seen) == target

    def zones_next_to(self, i: int) -> list[int]:
        own = self.zone[i]
        return sorted({int(self.zone[y]) for y in self.adj[i]} - {-1, int(own)})

    # -- changes -----------------------------------------------------------------------
    def add(self, i: int, h: int) -> None:
        self.zone[i] = h
        self.members[h].add(i)
        self.zsum[h] += self.z[i]
        self.rural[h] += self.rural_flag[i]
        self.weak[h] += self.weak_flag[i]

    def remove(self, i: int) -> None:
        h = int(self.zone[i])
        self.zone[i] = -1
        self.members[h].discard(i)
        self.zsum[h] -= self.z[i]
        self.rural[h] -= self.rural_flag[i]
        self.weak[h] -= self.weak_flag[i]

    def transfer(self, i: int, h: int) -> None:
        if self.zone[i] >= 0:
            self.remove(i)
        self.add(i, h)

    def dissolve(self, h: int) -> None:
        for i in sorted(self.members[h] - {h}):
            self.remove(i)
        self.zone[h] = -1
        for table in (self.members, self.zsum, self.rural, self.weak):
            del table[h]

    def relead(self, h: int, c: int) -> None:
        """Make member c the lead of district h (same schools)."""
        schools = self.members.pop(h)
        self.zone[list(schools)] = c
        self.members[c] = schools
        self.zsum[c] = self.zsum.pop(h)
        self.rural[c] = sum(self.rural_flag[i] for i in schools if i != c)
        self.weak[c] = sum(self.weak_flag[i] for i in schools if i != c)
        del self.rural[h], self.weak[h]

    # -- growth ------------------------------------------------------------------------
    def seed_locked(self) -> None:
        """Locked schools join their lead, with a graph path that keeps the district whole."""
        locked = np.flatnonzero((self.p.locked_to >= 0) & self.p.active)
        for i in locked.tolist():
            h = int(self.p.locked_to[i])
            if i == h:
                continue
            if not self.reach(i, h):
                raise InfeasibleError(
                    f"locked school {self.p.ids[i]} is {self.dist(i, h):.1f} km from the lead of its "
                    f"fixed group, {self.p.ids[h]}, beyond max_distance_km = {self.cap:g} km; unlock "
                    "it or raise 'max_distance_km'"
                )
            self.add(i, h)
        for h in sorted({int(self.p.locked_to[i]) for i in locked.tolist()}):
            self._join_up(h)
            if self.n_members(h) > self.hi:
                raise InfeasibleError(
                    f"the locked group of lead {self.p.ids[h]} needs {self.n_members(h)} members "
                    f"to be contiguous, more than the maximum {self.hi} of 'members'; raise the "
                    "maximum or unlock schools"
                )

    def _join_up(self, h: int) -> None:
        """Add the free schools on shortest paths from lead h to its locked members."""
        while True:
            reached = self._component(h)
            apart = sorted(self.members[h] - reached)
            if not apart:
                return
            path = self._path(reached, set(apart), h)
            if not path:
                raise InfeasibleError(
                    f"locked school {self.p.ids[apart[0]]} cannot be joined to its lead "
                    f"{self.p.ids[h]} by a chain of neighbouring schools within "
                    f"max_distance_km = {self.cap:g} km; unlock it or raise 'max_distance_km'"
                )
            for i in path:
                self.add(i, h)

    def _component(self, h: int) -> set[int]:
        seen, stack = {h}, [h]
        while stack:
            for y in self.adj[stack.pop()]:
                if y not in seen and self.zone[y] == h:
                    seen.add(y)
                    stack.append(y)
        return seen

    def _path(self, sources: set[int], targets: set[int], h: int) -> list[int] | None:
        """Free schools on a shortest path (in edges) from ``sources`` to any target."""
        parent: dict[int, int] = {s: -1 for s in sources}
        queue = deque(sorted(sources))
        while queue:
            x = queue.popleft()
            for y in self.adj[x]:
                if y in parent:
                    continue
                if y in targets:
                    path = []
                    while x not in sources:
                        path.append(x)
                        x = parent[x]
                    return path
                if self.zone[y] < 0 and self.p.active[y] and self.reach(y, h):
                    parent[y] = x
                    queue.append(y)
        return None

    def grow(self) -> None:
        """Add neighbours one at a time: districts below the minimum first, then the cheapest."""
        frontier: dict[int, set[int]] = {h: set() for h in self.members}
        for h, schools in self.members.items():
            for i in schools:
                self._extend(frontier[h], i, h)
        best = {h: self._best(frontier[h], h) for h in frontier}
        while True:
            h = self._next_district(best)
            if h is None:
                return
            i = best[h][2]
            self.add(i, h)
            stale = {h}
            for h2 in {int(self.zone[y]) for y in self.adj[i]} - {-1}:
                frontier[h2].discard(i)
                if best[h2] is not None and best[h2][2] == i:
                    stale.add(h2)
            self._extend(frontier[h], i, h)
            for h2 in stale:
                best[h2] = self._best(frontier[h2], h2)

    def _extend(self, front: set[int], i: int, h: int) -> None:
        for y in self.adj[i]:
            if self.zone[y] < 0 and self.reach(y, h):
                front.add(y)

    def _best(self, front: set[int], h: int) -> tuple[int, float, int] | None:
        if self.room(h) <= 0 or not front:
            return None
        # Filling a missing rural or weak place comes before cost.
        return min(
            (
                0 if self.fills_gap(i, h) else 1,
                self.price(i, h) + self.balance_delta(h, self.z[i]),
                i,
            )
            for i in front
        )

    def _next_district(self, best: dict[int, tuple | None]) -> int | None:
        open_ = [h for h, b in best.items() if b is not None]
        if not open_:
            return None
        needy = [h for h in open_ if self.n_members(h) < self.lo]
        if needy:
            return min(needy, key=lambda h: (self.n_members(h), best[h], h))
        return min(open_, key=lambda h: (best[h], h))

    # -- repair ------------------------------------------------------------------------
    def insert_by_chain(self, u: int) -> bool:
        """Place school u: into a neighbouring district, which may pass a school on, and so on.

        Breadth-first over (district, school it receives), so the shortest chain wins; a chain
        visits a district once.
        """
        parent: dict[tuple[int, int], tuple[int, int] | None] = {}
        visits: dict[int, int] = {}  # states per district: a few, so a search stays cheap
        queue: deque[tuple[int, int]] = deque()
        for h in self.zones_next_to(u):
            if self.reach(u, h):
                parent[h, u] = None
                queue.append((h, u))
        while queue and len(parent) < _CHAIN_STATES:
            h, incoming = node = queue.popleft()
            if self.room(h) > 0:
                self._apply_chain(parent, node)
                return True
            on_chain = self._chain_zones(parent, node)
            for b in sorted(self.members[h]):
                nxt = [
                    (h2, b)
                    for h2 in self.zones_next_to(b)
                    if h2 not in on_chain
                    and visits.get(h2, 0) < _CHAIN_VISITS
                    and (h2, b) not in parent
                    and self.reach(b, h2)
                ]
                if not nxt or not self.movable(b):
                    continue
                if self.keeps_mix(h, incoming, b) and self.connected(h, incoming, b):
                    for state in nxt:
                        parent[state] = node
                        visits[state[0]] = visits.get(state[0], 0) + 1
                        queue.append(state)
        return False

    @staticmethod
    def _chain_zones(parent: dict, node: tuple[int, int] | None) -> set[int]:
        zones = set()
        while node is not None:
            zones.add(node[0])
            node = parent[node]
        return zones

    def _apply_chain(self, parent: dict, node: tuple[int, int] | None) -> None:
        """Each district of the chain receives its school (taken from the next one up)."""
        while node is not None:
            h, school = node
            self.transfer(school, h)
            node = parent[node]

    def pull_by_chain(self, y: int) -> bool:
        """Give district y one more member, taken from a neighbour that can spare one, which
        may take a replacement from its own neighbour, and so on."""
        parent: dict[tuple[int, int], tuple[int, int] | None] = {
            (y, -1): None
        }  # (district, school it gives)
        queue: deque[tuple[int, int]] = deque([(y, -1)])
        visits: dict[int, int] = {}
        while queue and len(parent) < _CHAIN_STATES:
            h, out = node = queue.popleft()
            on_chain = self._chain_zones(parent, node)
            for b in self._pull_candidates(h, out):
                h2 = int(self.zone[b])
                if h2 in on_chain or (h2, b) in parent or visits.get(h2, 0) >= _CHAIN_VISITS:
                    continue
                if not (self.keeps_mix(h, b, out) and self.connected(h, b, out)):
                    continue
                parent[h2, b] = node
                visits[h2] = visits.get(h2, 0) + 1
                if self._can_spare(h2, b):
                    self._apply_pull(parent, (h2, b))
                    return True
                queue.append((h2, b))
        return False

    def _pull_candidates(self, h: int, out: int) -> list[int]:
        found = {
            b
            for i in self.members[h]
            if i != out
            for b in self.adj[i]
            if self.zone[b] >= 0 and self.zone[b] != h and self.movable(b) and self.reach(b, h)
        }
        return sorted(found)

    def _can_spare(self, h: int, b: int) -> bool:
        return (
            self.n_members(h) - 1 >= self.lo
            and self.keeps_mix(h, remove=b)
            and self.connected(h, remove=b)
        )

    def _apply_pull(self, parent: dict, node: tuple[int, int]) -> None:
        """Each district of the chain gives its school to the one below it."""
        while parent[node] is not None:
            receiver = parent[node][0]
            self.transfer(node[1], receiver)
            node = parent[node]

    def open_near(self, left: list[int]) -> bool:
        """Open a district led by the lead candidate nearest (in graph steps) to schools that
        no district can take; False when the policy allows no more districts."""
        p = self.p
        flexible = p.policy.n_groups is None and p.policy.lead_rule[0] != "ids"
        if not flexible or len(self.members) >= p.n_groups_range[1]:
            return False
        # Within `hi` steps only: a district led from farther could not take the school.
        depth = dict.fromkeys(left, 0)
        queue = deque(sorted(left))
        while queue:
            c = queue.popleft()
            if p.may_lead[c] and c not in self.opened and self._free_to_lead(c):
                if self.zone[c] >= 0:
                    self.remove(c)
                self.zone[c] = c
                self.members[c] = {c}
                self.zsum[c] = self.z[c]
                self.rural[c] = self.weak[c] = 0
                self.opened.add(c)  # never twice: a district that failed once would fail again
                return True
            for y in self.adj[c]:
                if y not in depth and p.active[y] and depth[c] < self.hi:
                    depth[y] = depth[c] + 1
                    queue.append(y)
        return False

    def _free_to_lead(self, c: int) -> bool:
        spacing = self.p.policy.min_lead_spacing_km
        if spacing > 0 and any(self.dist(c, o) < spacing for o in self.members):
            return False
        h = int(self.zone[c])
        return h < 0 or (self.movable(c) and self._can_spare(h, c))

    def hops_from_leads(self) -> list[float]:
        """Graph steps from the nearest lead: a district of at most ``hi`` members never
        reaches a school more than ``hi`` steps away, so no chain search is tried for it."""
        hops = [math.inf] * self.p.n
        queue = deque(self.members)
        for h in self.members:
            hops[h] = 0
        while queue:
            x = queue.popleft()
            for y in self.adj[x]:
                if hops[y] == math.inf:
                    hops[y] = hops[x] + 1
                    queue.append(y)
        return hops

    def can_dissolve(self, h: int) -> bool:
        p = self.p
        return (
            p.policy.n_groups is None
            and p.policy.lead_rule[0] != "ids"
            and not p.must_lead[h]
            and not any(self.fixed[i] for i in self.members[h])
            and len(self.members) - 1 >= max(p.n_groups_range[0], 1)
        )

    def repair_mix(self) -> list[int]:
        """Trade boundary schools until every district has its rural and weak schools;
        return the districts that still lack one."""
        # Each trade lowers the total shortage and raises no district's, so this ends.
        while True:
            short = [h for h in sorted(self.members) if self.short(h)]
            if not short or not any([self._fill(h) for h in short]):
                return short

    def _fill(self, h: int) -> bool:
        """Bring a school that district h lacks in from a neighbour (move, or swap for one)."""
        for j in self._pull_candidates(h, -1):
            b = int(self.zone[j])
            if not self.fills_gap(j, h) or not self.keeps_mix(b, remove=j):
                continue
            if self.room(h) > 0 and self._can_spare(b, j):
                self.transfer(j, h)
                return True
            for i in sorted(self.members[h]):
                if self._swappable(i, h, j, b):
                    self.transfer(i, b)
                    self.transfer(j, h)
                    return True
        return False

    def _swappable(self, i: int, a: int, j: int, b: int) -> bool:
        return (
            self.movable(i)
            and self.reach(i, b)
            and self.short(a, j, i) < self.short(a)
            and self.keeps_mix(b, i, j)
            and self.connected(a, j, i)
            and self.connected(b, i, j)
        )

    # -- local search ------------------------------------------------------------------
    def improve(self, rng: np.random.Generator, deadline: float) -> None:
        """Boundary moves and swaps that lower the objective, until none does."""
        for _ in range(50):
            schools = [i for i in np.flatnonzero(self.zone >= 0).tolist() if self.movable(i)]
            improved = False
            for k in rng.permutation(len(schools)).tolist():
                i = schools[k]
                improved |= self._try_move(i) or self._try_swap(i)
            if not improved or time.perf_counter() > deadline:
                return

    def _try_move(self, i: int) -> bool:
        a = int(self.zone[i])
        if self.n_members(a) - 1 < self.lo:
            return False
        z = self.z[i]
        base = self.price(i, a) - self.balance_delta(a, -z)
        for b in self.zones_next_to(i):
            if self.room(b) <= 0 or not self.reach(i, b):
                continue
            gain = base - self.price(i, b) - self.balance_delta(b, z)
            if gain <= _EPS or not self.keeps_mix(a, remove=i):
                continue
            if not self.connected(a, remove=i):
                return False
            self.transfer(i, b)
            return True
        return False

    def _try_swap(self, i: int) -> bool:
        a = int(self.zone[i])
        for b in self.zones_next_to(i):
            if not self.reach(i, b):
                continue
            for j in self._facing(b, a):
                if self._swap_gain(i, a, j, b) > _EPS and self._swap_ok(i, a, j, b):
                    self.transfer(i, b)
                    self.transfer(j, a)
                    return True
        return False

    def _facing(self, b: int, a: int) -> list[int]:
        """Movable members of district b next to district a."""
        return sorted(
            {
                y
                for x in self.members[a]
                for y in self.adj[x]
                if self.zone[y] == b and self.movable(y)
            }
        )

    def _swap_gain(self, i: int, a: int, j: int, b: int) -> float:
        if not self.reach(j, a):
            return -math.inf
        dz = self.z[j] - self.z[i]
        before = self.price(i, a) + self.price(j, b)
        after = self.price(i, b) + self.price(j, a)
        return before - after - self.balance_delta(a, dz) - self.balance_delta(b, -dz)

    def _swap_ok(self, i: int, a: int, j: int, b: int) -> bool:
        return (
            self.keeps_mix(a, j, i)
            and self.keeps_mix(b, i, j)
            and self.connected(a, j, i)
            and self.connected(b, i, j)
        )

    def recentre(self) -> bool:
        """Pass each district's lead to the candidate nearest its schools, where that is cheaper."""
        changed = False
        for h in sorted(self.members):
            if any(self.fixed[i] for i in self.members[h]):
                continue
            c = self._better_lead(h)
            if c is not None:
                self.relead(h, c)
                changed = True
        return changed

    def _better_lead(self, h: int) -> int | None:
        schools = sorted(self.members[h])
        options = [c for c in schools if self.p.may_lead[c] and c != h]
        now = sum(self.price(i, h) for i in schools)
        best, best_cost = None, now - 1e-6
        for c in options:
            cost = sum(self.price(i, c) for i in schools)
            if cost < best_cost and self._lead_ok(h, c, schools):
                best, best_cost = c, cost
        return best

    def _lead_ok(self, h: int, c: int, schools: list[int]) -> bool:
        if not all(self.reach(i, c) for i in schools):
            return False
        spacing = self.p.policy.min_lead_spacing_km
        if spacing > 0 and any(self.dist(c, o) < spacing for o in self.members if o != h):
            return False
        rural = sum(self.rural_flag[i] for i in schools if i != c)
        weak = sum(self.weak_flag[i] for i in schools if i != c)
        return not (
            (self.need_rural and not self.rural_flag[c] and rural < 1)
            or (self.need_weak and weak < self.need_weak)
        )


def _settle(state: _Districts) -> int:
    """Place every school and fill every district to the minimum; return districts dissolved.

    A district that cannot reach the minimum is dissolved (when the policy allows fewer);
    schools that no district can take get a new district led by the nearest free lead
    candidate (when the policy allows more).
    """
    dissolved = 0
    while True:
        _place_all(state)
        for h in sorted(state.members):
            while state.n_members(h) < state.lo and state.pull_by_chain(h):
                pass
        stuck = [h for h in sorted(state.members) if state.n_members(h) < state.lo]
        if stuck:
            # Leads left alone (enclosed by other districts) go together, others one by one:
            # every round places all schools again.
            alone = [h for h in stuck if state.n_members(h) == 0] or [
                min(stuck, key=state.n_members)
            ]
            for h in alone:
                if not state.can_dissolve(h):
                    raise InfeasibleError(_short_message(state, h))
                state.dissolve(h)
                dissolved += 1
            continue
        left = np.flatnonzero((state.zone < 0) & state.p.active).tolist()
        if not left:
            return dissolved
        if not state.open_near(left):
            _leave_out(state, left)
            return dissolved


def _settle_mix(state: _Districts) -> int:
    """Meet the rural and weak quotas, dissolving districts that cannot (when allowed)."""
    dissolved = 0
    while True:
        short = state.repair_mix()
        if not short:
            return dissolved
        spare = [h for h in short if state.can_dissolve(h)]
        if not spare:
            raise InfeasibleError(_mix_message(state, short))
        state.dissolve(min(spare, key=lambda h: (state.n_members(h), h)))
        dissolved += 1 + _settle(state)


def _place_all(state: _Districts) -> None:
    """Chain-insert the unplaced schools that a district could still reach."""
    while True:
        hops = state.hops_from_leads()
        waiting = [
            u
            for u in np.flatnonzero((state.zone < 0) & state.p.active).tolist()
            if hops[u] <= state.hi and any(state.zone[y] >= 0 for y in state.adj[u])
        ]
        progress = False
        for u in waiting:
            if time.perf_counter() > state.deadline:
                return
            progress |= state.insert_by_chain(u)
        if not progress:
            return


def _leave_out(state: _Districts, left: list[int]) -> None:
    p = state.p
    cap = p.policy.max_distance_km
    if p.policy.allow_unassigned and cap is not None:
        for u in left:
            p.unplaceable[u] = (
                f"no district within max_distance_km = {cap:g} km of its lead can take it "
                "through neighbouring schools"
            )
        return
    stopped = " (the search stopped at time_limit)" if time.perf_counter() > state.deadline else ""
    raise InfeasibleError(
        f"{len(left)} of {int(p.active.sum())} schools cannot join a contiguous district "
        f"({_shown([str(p.ids[u]) for u in left])}): {len(state.members)} districts of "
        f"{state.lo}-{state.hi} members{_cap_text(state)}{_graph_parts(state)} leave them no "
        f"place{stopped}; {_relax_hint(state)}"
    )


def _relax_hint(state: _Districts) -> str:
    policy = state.p.policy
    rules = ["raise the maximum of 'members'"]
    if policy.max_distance_km is not None:
        rules.append("raise 'max_distance_km' (or set allow_unassigned = true)")
    mix = [f"'{r}'" for r in ("pair_urban_rural", "min_weak_per_group") if getattr(policy, r)]
    if mix:
        rules.append(f"relax {' or '.join(mix)}")
    rules.append("allow more lead candidates nearer these schools ('leads')")
    return ", ".join(rules[:-1]) + " or " + rules[-1]


def _graph_parts(state: _Districts) -> str:
    active = np.flatnonzero(state.p.active).tolist()
    graph = nx.Graph()
    graph.add_nodes_from(active)
    graph.add_edges_from((a, b) for a in active for b in state.adj[a])
    k = nx.number_connected_components(graph)
    return f" on a graph in {k} disconnected parts" if k > 1 else ""


def _cap_text(state: _Districts) -> str:
    cap = state.p.policy.max_distance_km
    return "" if cap is None else f" within max_distance_km = {cap:g} km"


def _short_message(state: _Districts, h: int) -> str:
    p = state.p
    return (
        f"the district of lead {p.ids[h]} ({p.names[h]}) has {state.n_members(h)} members, fewer "
        f"than the minimum {state.lo} of 'members', and its neighbours cannot spare a school "
        f"without breaking their own contiguity or rules{_cap_text(state)}{_graph_parts(state)}; "
        "lower the minimum of 'members' or ask for fewer districts ('n_groups', 'leads')"
    )


def _mix_message(state: _Districts, short: list[int]) -> str:
    p = state.p
    rules = []
    if state.need_rural and any(not state.rural_flag[h] and state.rural[h] < 1 for h in short):
        rules.append("'pair_urban_rural'")
    if state.need_weak and any(state.weak[h] < state.need_weak for h in short):
        rules.append("'min_weak_per_group'")
    return (
        f"{len(short)} of {len(state.members)} contiguous districts lack a school that "
        f"{' and '.join(rules)} asks for (leads {_shown([str(p.ids[h]) for h in short])}) and no "
        f"neighbouring district can spare one; relax {' or '.join(rules)}, or use method 'exact' "
        "or 'fast' (groups need not be contiguous there)"
    )


# -- zone polygons --------------------------------------------------------------------------


def _boundary_metric(boundary: Any, schools: gpd.GeoDataFrame, crs: pyproj.CRS) -> shapely.Geometry:
    """The study area as one polygon in the metric CRS."""
    if boundary is None:
        pts = schools.geometry.to_crs(crs)
        return shapely.MultiPoint(list(pts)).convex_hull.buffer(_BOUNDARY_BUFFER_M)
    if isinstance(boundary, str | os.PathLike):
        try:
            boundary = gpd.read_file(boundary)
        except Exception as exc:  # pyogrio raises its own DataSourceError family
            raise InputError(
                f"boundary: cannot read {str(boundary)!r} as a vector file ({exc})"
            ) from None
    if isinstance(boundary, gpd.GeoDataFrame):
        boundary = boundary.geometry
    if isinstance(boundary, shapely.Geometry):
        boundary = gpd.GeoSeries([boundary], crs=S.WGS84)
    if not isinstance(boundary, gpd.GeoSeries):
        raise PolicyError(
            f"boundary: expected a polygon (shapely, GeoSeries, GeoDataFrame or a file path), "
            f"got {type(boundary).__name__}"
        )
    if boundary.crs is None:
        boundary = boundary.set_crs(S.WGS84)
    shape = shapely.make_valid(boundary.to_crs(crs).union_all())
    shape = _polygonal(shape)
    if shape.is_empty:
        raise InputError(
            "boundary: expected a polygon with an area, got none; give the study area's outline"
        )
    return shape


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of a geometry (an intersection may leave lines and points too)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def zone_polygons(
    schools: gpd.GeoDataFrame,
    boundary: shapely.Geometry,
    crs: pyproj.CRS,
    *,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """District polygons of a plan: Voronoi cells of the schools, dissolved per group.

    Parameters
    ----------
    schools
        A plan's schools frame (``group_id`` per school; unassigned schools get no zone,
        their cells stay blank).
    boundary
        Study area in ``crs``; every zone is clipped to it.
    crs
        Metric CRS the cells are drawn in.
    layer
        Column whose values are drawn separately (the school level under ``levels='same'``:
        the primary and the middle districts each cover the map).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``group_id``, columns ``area_km2`` and ``geometry`` (WGS-84).
    """
    pts = schools.geometry.to_crs(crs)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    grouped = (schools[S.ROLE] != S.UNASSIGNED) & schools[S.GROUP_ID].notna()
    groups = np.array(
        [g if ok else None for g, ok in zip(schools[S.GROUP_ID], grouped, strict=True)],
        dtype=object,
    )
    keys = (
        np.zeros(len(schools), dtype=object)
        if layer is None
        else schools[layer].astype(object).fillna("").to_numpy()
    )
    extent = (
        shapely.box(*np.concatenate([xy.min(axis=0), xy.max(axis=0)]))
        .union(boundary)
        .envelope.buffer(10_000)
    )
    shapes: dict[str, shapely.Geometry] = {}
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key)
        cells = _voronoi_cells(xy[rows], extent)
        for gid in sorted({g for g in groups[rows] if g is not None}):
            mine = [
                cells[k] for k, g in enumerate(groups[rows]) if g == gid and cells[k] is not None
            ]
            zone = shapely.union_all(mine).intersection(boundary) if mine else shapely.Polygon()
            shapes[gid] = _polygonal(shapely.make_valid(zone))
    index = pd.Index(sorted(shapes), name=S.GROUP_ID, dtype=object)
    geo = gpd.GeoSeries([shapes[g] for g in index], index=index, crs=crs)
    out = gpd.GeoDataFrame(
        {"area_km2": (geo.area / 1e6).round(3)}, geometry=geo.to_crs(S.WGS84), crs=S.WGS84
    )
    invalid = ~out.geometry.is_valid
    if invalid.any():
        out.loc[invalid, "geometry"] = out.geometry[invalid].make_valid()
    return out


def _voronoi_cells(
    xy: NDArray[np.float64], extent: shapely.Geometry
) -> list[shapely.Geometry | None]:
    """The Voronoi cell of every point (schools at one spot: the first one gets the cell)."""
    spots, first, spot_of = np.unique(
        np.round(xy, 3), axis=0, return_index=True, return_inverse=True
    )
    spot_of = spot_of.ravel()
    if len(spots) == 1:
        spot_cells = [extent]
    else:
        diagram = shapely.voronoi_polygons(shapely.MultiPoint(spots), extend_to=extent)
        polys = list(diagram.geoms)
        hit = shapely.STRtree(polys).query(shapely.points(spots), predicate="within")
        spot_cells = [None] * len(spots)
        for s, c in zip(hit[0].tolist(), hit[1].tolist(), strict=True):
            spot_cells[s] = polys[c]
    return [spot_cells[spot_of[k]] if first[spot_of[k]] == k else None for k in range(len(xy))]
