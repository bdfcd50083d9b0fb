"""The road network as a sparse graph, and the quickest routes through it.

Road lines become segments between vertices (in the schools' metric CRS); a vertex shared
by two lines is a junction. Chains of segments through vertices that are no junction
(a road's bends) are contracted into one edge, so that the searches visit junctions only.
Schools are inserted where they snap (:mod:`geogroup.locate._snap`): the segment a school
sits on is cut at its point, and the school becomes a node of the graph.

:class:`Router` finds the **quickest** routes from some sources with
:func:`scipy.sparse.csgraph.dijkstra` (bounded by ``limit=`` minutes, sources in batches,
never a dense school × school matrix) and the length of each route in km along the tree
of quickest routes, as a map service reports the distance and the duration of one route.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra

from geogroup.errors import InputError

__all__ = ["Network", "Router", "Segments", "network_with_points", "segments_from_lines"]

_ROUND_M = 0.01  # vertices closer than this are one junction
_TINY = 1e-9  # the weight of a zero-length piece (sparse graphs drop zeros)
_AT_JUNCTION_M = 0.5  # a point this close to a segment's end stands at that junction
_ENTRIES = 12_000_000  # distances held at once by a batch of searches (sources × nodes)


@dataclass
class Segments:
    """Road segments between vertices: ``a`` → ``b`` (node indices into ``xy``, metres),
    their ``km`` and ``minutes``, and ``oneway`` (True: only from ``a`` to ``b``)."""

    xy: NDArray[np.float64]
    a: NDArray[np.int64]
    b: NDArray[np.int64]
    km: NDArray[np.float64]
    minutes: NDArray[np.float64]
    oneway: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.a)


def segments_from_lines(lines: gpd.GeoDataFrame, crs: pyproj.CRS) -> Segments:
    """The segments of road lines (from :func:`~geogroup.locate.read_roads`) in ``crs``."""
    metric = lines.geometry.to_crs(crs).to_numpy()
    coords, line = _vertices(metric)
    same = line[1:] == line[:-1]
    p, q, which = coords[:-1][same], coords[1:][same], line[:-1][same]
    metres = np.hypot(*(q - p).T)
    keep = metres > 0
    p, q, which, metres = p[keep], q[keep], which[keep], metres[keep]
    if not len(p):
        raise InputError(
            "roads: the road lines have no length; give road lines with two points or more"
        )
    node_xy, node = np.unique(
        np.round(np.concatenate([p, q]) / _ROUND_M).astype(np.int64), axis=0, return_inverse=True
    )
    node = node.ravel()
    a, b = node[: len(p)], node[len(p) :]
    kmh = lines["kmh"].to_numpy(float)[which]
    way = lines["oneway"].to_numpy(np.int8)[which]
    back = way < 0  # drawn against the traffic: turned round
    a, b = np.where(back, b, a), np.where(back, a, b)
    km = metres / 1000.0
    return Segments(
        xy=node_xy * _ROUND_M,
        a=a.astype(np.int64),
        b=b.astype(np.int64),
        km=km,
        minutes=km / kmh * 60.0,
        oneway=way != 0,
    )


def _vertices(geoms: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    return coords, index.astype(np.int64)


@dataclass
class Network:
    """A directed graph for the searches: ``u`` → ``v`` edges with ``km`` and ``minutes``;
    node ``base + i`` is point i (a school), nodes below ``base`` are junctions (their
    coordinates in ``xy``, metres)."""

    n_nodes: int
    base: int
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    km: NDArray[np.float64]
    minutes: NDArray[np.float64]
    xy: NDArray[np.float64]

    def router(self) -> Router:
        return Router(self.n_nodes, self.u, self.v, self.km, self.minutes)


def network_with_points(
    seg: Segments,
    segment: NDArray[np.int64],
    fraction: NDArray[np.float64],
    *,
    contract: bool = True,
) -> Network:
    """The graph of the segments with point i inserted on ``segment[i]`` at ``fraction[i]``
    (node ``base + i``); with ``contract``, chains through vertices that are no junction
    (and carry no point) become one edge. A point closer than ``_AT_JUNCTION_M`` to an end of a
    one-way segment stands at that junction: its piece to it runs both ways."""
    keep = np.ones(len(seg.xy), dtype=bool)
    if contract:
        keep = _junctions(seg)
        keep[seg.a[segment]] = keep[seg.b[segment]] = True
    new = np.cumsum(keep) - 1
    chain = _chains(seg, keep)
    u, v, km, minutes, both = _chain_edges(seg, keep, chain)
    base = int(keep.sum())
    pu, pv, pkm, pmin, pboth = _pieces(seg, segment, fraction, new, base)
    u, v = np.concatenate([new[u], pu]), np.concatenate([new[v], pv])
    km, minutes, both = np.r_[km, pkm], np.r_[minutes, pmin], np.r_[both, pboth]
    u, v, km, minutes = (
        np.r_[u, v[both]],
        np.r_[v, u[both]],
        np.r_[km, km[both]],
        np.r_[minutes, minutes[both]],
    )
    return Network(
        n_nodes=base + len(segment),
        base=base,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        km=km,
        minutes=minutes,
        xy=seg.xy[keep],
    )


def _junctions(seg: Segments) -> NDArray[np.bool_]:
    """Vertices to keep: every vertex but those inside a chain (two segments meet there,
    and traffic passes through in the same directions)."""
    n = len(seg.xy)
    ends = np.concatenate([seg.a, seg.b])
    owner = np.concatenate([np.arange(len(seg)), np.arange(len(seg))])
    is_tail = np.r_[np.ones(len(seg), bool), np.zeros(len(seg), bool)]
    degree = np.bincount(ends, minlength=n)
    keep = degree != 2
    two = np.flatnonzero(degree == 2)
    order = np.argsort(ends, kind="stable")
    start = np.searchsorted(ends[order], two)
    s1, s2 = owner[order[start]], owner[order[start + 1]]
    t1, t2 = is_tail[order[start]], is_tail[order[start + 1]]
    one1, one2 = seg.oneway[s1], seg.oneway[s2]
    through = np.where(one1 & one2, t1 != t2, ~one1 & ~one2) & (s1 != s2)
    keep[two[~through]] = True
    return keep


def _chains(seg: Segments, keep: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Each segment's chain: segments joined at vertices that are not kept."""
    m = len(seg)
    inner = ~keep[seg.a] | ~keep[seg.b]
    if not inner.any():
        return np.arange(m, dtype=np.int64)
    ends = np.concatenate([seg.a, seg.b])
    owner = np.concatenate([np.arange(m), np.arange(m)])
    at = ~keep[ends]
    ends, owner = ends[at], owner[at]
    order = np.argsort(ends, kind="stable")
    pairs = owner[order].reshape(-1, 2)  # every inner vertex joins exactly two segments
    links = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    return connected_components(links, directed=False)[1].astype(np.int64)


def _chain_edges(
    seg: Segments, keep: NDArray[np.bool_], chain: NDArray[np.int64]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """One edge per chain between its two kept ends (a closed loop is dropped), with its
    total km and minutes, and whether it runs both ways. A one-way chain runs from its
    kept tail to its kept head; a two-way chain's ends may be either."""
    n_chain = int(chain.max()) + 1
    km = np.bincount(chain, seg.km, minlength=n_chain)
    minutes = np.bincount(chain, seg.minutes, minlength=n_chain)
    oneway = np.zeros(n_chain, dtype=bool)
    oneway[chain] = seg.oneway
    tail, head = keep[seg.a], keep[seg.b]
    owner = np.concatenate([chain[tail], chain[head]])
    node = np.concatenate([seg.a[tail], seg.b[head]])
    is_head = np.r_[np.zeros(int(tail.sum()), bool), np.ones(int(head.sum()), bool)]
    order = np.lexsort((node, is_head, owner))
    owner, node = owner[order], node[order]
    counts = np.bincount(owner, minlength=n_chain)
    first = np.searchsorted(owner, np.arange(n_chain))
    ok = counts == 2  # a chain has two kept ends (none: a ring apart from every road)
    start = np.where(ok, node[np.minimum(first, len(node) - 1)], -1)
    end = np.where(ok, node[np.minimum(first + 1, len(node) - 1)], -1)
    ok &= start != end
    return start[ok], end[ok], km[ok], minutes[ok], ~oneway[ok]


def _pieces(
    seg: Segments,
    segment: NDArray[np.int64],
    fraction: NDArray[np.float64],
    new: NDArray[np.int64],
    base: int,
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """The cut segments: from the segment's start to its first point, point to point, and
    from its last point to its end."""
    if not len(segment):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    order = np.lexsort((np.arange(len(segment)), fraction, segment))
    s, t = segment[order], fraction[order]
    node = base + order
    first = np.r_[True, s[1:] != s[:-1]]
    last = np.r_[s[1:] != s[:-1], True]
    prev_node = np.where(first, new[seg.a[s]], np.r_[-1, node[:-1]])
    prev_t = np.where(first, 0.0, np.r_[0.0, t[:-1]])
    u = np.r_[prev_node, node[last]]
    v = np.r_[node, new[seg.b[s[last]]]]
    share = np.maximum(np.r_[t - prev_t, 1.0 - t[last]], 0.0)
    ss = np.r_[s, s[last]]
    km = np.maximum(share * seg.km[ss], _TINY)
    minutes = np.maximum(share * seg.minutes[ss], _TINY)
    return u, v, km, minutes, ~seg.oneway[ss] | (km * 1000.0 < _AT_JUNCTION_M)


class Router:
    """Quickest routes on a directed graph (minutes), with their length in km."""

    def __init__(
        self,
        n: int,
        u: NDArray[np.int64],
        v: NDArray[np.int64],
        km: NDArray[np.float64],
        minutes: NDArray[np.float64],
    ) -> None:
        key = u * n + v
        order = np.lexsort((km, minutes, key))  # of parallel edges, the quickest
        key, u, v = key[order], u[order], v[order]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        self.n = n
        self._keys = key[first]
        self._km = km[order][first]
        weights = np.maximum(minutes[order][first], _TINY)
        self.matrix = sp.csr_matrix((weights, (u[first], v[first])), shape=(n, n))

    def batch_size(self) -> int:
        return max(1, _ENTRIES // max(self.n, 1))

    def search(
        self, sources: NDArray[np.int64], limit: float, targets: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Minutes and km of the quickest routes from each source to each target node,
        shape ``(len(sources), len(targets))``; inf beyond ``limit`` minutes."""
        minutes, pred = dijkstra(
            self.matrix, directed=True, indices=sources, limit=limit, return_predecessors=True
        )
        minutes = np.atleast_2d(minutes)
        pred = np.atleast_2d(pred)
        km = self._route_km(minutes, pred, targets)
        return minutes[:, targets], km

    def predecessors(self, source: int) -> NDArray[np.int32]:
        return dijkstra(self.matrix, directed=True, indices=source, return_predecessors=True)[1]

    def _route_km(
        self, minutes: NDArray[np.float64], pred: NDArray[np.int32], targets: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """km along each source's tree of quickest routes, at the targets: every reached
        node adds the km of the edge from its predecessor, summed to the root by pointer
        jumping (log of the tree's depth passes over the reached nodes)."""
        n = self.n
        rows, cols = np.nonzero(np.isfinite(minutes))
        flat = rows.astype(np.int64) * n + cols
        parent = pred[rows, cols].astype(np.int64)
        linked = parent >= 0
        step = np.zeros(len(flat))
        step[linked] = self._edge_km(parent[linked], cols[linked])
        up = np.full(len(flat), -1, dtype=np.int64)
        up[linked] = np.searchsorted(flat, rows[linked].astype(np.int64) * n + parent[linked])
        total = step
        while True:
            live = np.flatnonzero(up >= 0)
            if not len(live):
                break
            total[live] += total[up[live]]
            up[live] = up[up[live]]
        out = np.full((minutes.shape[0], len(targets)), np.inf)
        b, t = np.nonzero(np.isfinite(minutes[:, targets]))
        out[b, t] = total[np.searchsorted(flat, b.astype(np.int64) * n + targets[t])]
        return out

    def _edge_km(self, u: NDArray[np.int64], v: NDArray[np.int64]) -> NDArray[np.float64]:
        return self._km[np.searchsorted(self._keys, u * self.n + v)]
