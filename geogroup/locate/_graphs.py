"""Neighbour graphs of schools: Delaunay edges without the long jumps, and edge lists."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError

from geogroup.errors import InputError

__all__ = ["LONG_EDGE", "delaunay_edges", "graph_from_edge_list"]

LONG_EDGE = 3.0  # Delaunay edges longer than this many nearest-neighbour distances are gaps
_SHOWN = 10


def delaunay_edges(
    xy: NDArray[np.float64], *, long_edge: float | None = LONG_EDGE
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
