"""Locate: a metric CRS for the schools, their planar coordinates and neighbour queries.

Schools are stored in WGS-84; every distance in geogroup is measured in the UTM zone of the
data instead. Within one county (or one education district) the UTM scale error is a few
parts in ten thousand, far below what matters for grouping, and planar coordinates let a
KD-tree answer "who is near whom" without ever building an n × n distance matrix.

The pipeline is ``metric_xy(schools)`` once, then :func:`nearest`, :func:`within_radius`,
:func:`distance_km` or :func:`pairwise_km` on the ``(n, 2)`` array of metres it returns.
:func:`geodesic_km` (on the ellipsoid) is the reference the planar distances are checked
against.
"""

from __future__ import annotations

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from geogroup.errors import InputError
from geogroup.rules import metric_crs, metric_xy

__all__ = [
    "distance_km",
    "geodesic_km",
    "metric_crs",
    "metric_xy",
    "nearest",
    "pairwise_km",
    "within_radius",
]

_GEOD = pyproj.Geod(ellps="WGS84")
_M_PER_KM = 1000.0
_SHOWN = 5  # offending rows quoted in a message


def _xy(values: ArrayLike, argument: str) -> NDArray[np.float64]:
    xy = np.asarray(values, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputError(
            f"{argument} must be an (n, 2) array of metres, got shape {xy.shape}; "
            "make one with metric_xy(schools)"
        )
    if not np.isfinite(xy).all():
        rows = np.flatnonzero(~np.isfinite(xy).all(axis=1))
        raise InputError(
            f"{argument} has non-finite coordinates in {rows.size} row(s) "
            f"(rows {rows[:_SHOWN].tolist()}); drop schools without a location first"
        )
    return xy


def _drop_self(
    indices: NDArray[np.intp], distances: NDArray[np.float64], k: int
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Remove each row's own index from ``k + 1`` neighbours, keeping ``k``."""
    n = indices.shape[0]
    own = indices == np.arange(n)[:, None]
    # With several points at one spot the own index may lose the tie and be missing from the
    # k + 1 found; the farthest one is dropped instead.
    own[~own.any(axis=1), -1] = True
    keep = ~own
    return indices[keep].reshape(n, k), distances[keep].reshape(n, k)


def nearest(
    source_xy: ArrayLike, target_xy: ArrayLike | None = None, k: int = 1
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """The ``k`` nearest targets of every source point, by a KD-tree (no n × n matrix).

    Parameters
    ----------
    source_xy
        ``(n, 2)`` coordinates in metres (from :func:`metric_xy`).
    target_xy
        ``(m, 2)`` coordinates in metres; the sources themselves when None, and then a
        point is never its own neighbour (its own index is left out, even at distance 0
        from a duplicate).
    k
        Neighbours wanted per source, at least 1. Clipped to the number of targets
        available (``m``, or ``n - 1`` when the targets are the sources), so asking for more
        than exist returns all of them rather than raising.

    Returns
    -------
    indices : numpy.ndarray
        ``(n, k')`` int positions into the targets, nearest first, ``k'`` the clipped ``k``;
        equal distances in index order (which of several targets tied at the ``k``-th
        distance makes the cut is not specified).
    distances_km : numpy.ndarray
        ``(n, k')`` straight-line distances in kilometres, ascending along each row.

    Raises
    ------
    InputError
        When an array is not ``(n, 2)``, has NaN or infinite values, or ``k < 1``.

    Examples
    --------
    Three schools on a line, 1 km apart:

    >>> xy = [[0, 0], [1000, 0], [2000, 0]]
    >>> idx, km = nearest(xy, k=2)
    >>> idx.tolist()
    [[1, 2], [0, 2], [1, 0]]
    >>> km.tolist()
    [[1.0, 2.0], [1.0, 1.0], [1.0, 2.0]]
    >>> nearest(xy, [[900, 0]], k=5)[0].tolist()  # k clipped to the one target
    [[0], [0], [0]]
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k must be an integer >= 1, got {k!r}")
    source = _xy(source_xy, "source_xy")
    exclude_self = target_xy is None
    target = source if exclude_self else _xy(target_xy, "target_xy")
    k = min(int(k), len(target) - 1 if exclude_self else len(target))
    if k <= 0 or len(source) == 0:
        return np.empty((len(source), max(k, 0)), np.intp), np.empty((len(source), max(k, 0)))
    wanted = k + 1 if exclude_self else k
    distances, indices = cKDTree(target).query(source, k=list(range(1, wanted + 1)))
    # Equal distances come back in tree order; sorting by (distance, index) makes ties
    # deterministic and independent of how the tree was built.
    order = np.lexsort((indices, distances), axis=1)
    indices = np.take_along_axis(indices, order, axis=1).astype(np.intp)
    distances = np.take_along_axis(distances, order, axis=1)
    if exclude_self:
        indices, distances = _drop_self(indices, distances, k)
    return indices, distances / _M_PER_KM


def within_radius(
    source_xy: ArrayLike, radius_km: float, target_xy: ArrayLike | None = None
) -> list[NDArray[np.intp]]:
    """The targets within ``radius_km`` of every source point (boundary included).

    Parameters
    ----------
    source_xy
        ``(n, 2)`` coordinates in metres.
    radius_km
        Search radius in kilometres, finite and >= 0.
    target_xy
        ``(m, 2)`` coordinates in metres; the sources themselves when None, and then a
        point's own index is left out.

    Returns
    -------
    list of numpy.ndarray
        One int array per source: positions into the targets, in ascending order (not by
        distance; use :func:`distance_km` to measure them).

    Raises
    ------
    InputError
        When an array is not ``(n, 2)`` or not finite, or ``radius_km`` is negative.

    Examples
    --------
    >>> xy = [[0, 0], [1000, 0], [2000, 0]]
    >>> [a.tolist() for a in within_radius(xy, 1.0)]
    [[1], [0, 2], [1]]
    >>> [a.tolist() for a in within_radius(xy, 1.5, [[0, 0], [3000, 0]])]
    [[0], [0], [1]]
    """
    radius = float(radius_km)
    if not np.isfinite(radius) or radius < 0:
        raise InputError(f"radius_km must be a finite number >= 0, got {radius_km!r}")
    source = _xy(source_xy, "source_xy")
    exclude_self = target_xy is None
    target = source if exclude_self else _xy(target_xy, "target_xy")
    if len(source) == 0:
        return []
    if len(target) == 0:
        return [np.empty(0, np.intp) for _ in range(len(source))]
    found = cKDTree(target).query_ball_point(source, radius * _M_PER_KM, return_sorted=True)
    result = [np.asarray(hits, dtype=np.intp) for hits in found]
    if exclude_self:
        result = [hits[hits != i] for i, hits in enumerate(result)]
    return result


def distance_km(a_xy: ArrayLike, b_xy: ArrayLike) -> NDArray[np.float64]:
    """Row-wise straight-line distances in kilometres: ``a_xy[i]`` to ``b_xy[i]``.

    Parameters
    ----------
    a_xy, b_xy
        ``(n, 2)`` coordinates in metres, the same ``n``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``.

    Examples
    --------
    >>> distance_km([[0, 0], [0, 0]], [[3000, 4000], [0, 1000]]).tolist()
    [5.0, 1.0]
    """
    a, b = _xy(a_xy, "a_xy"), _xy(b_xy, "b_xy")
    if a.shape != b.shape:
        raise InputError(
            f"a_xy and b_xy must have the same shape for paired distances, got {a.shape} and "
            f"{b.shape}; use pairwise_km for every pair"
        )
    return np.hypot(*(a - b).T) / _M_PER_KM


def pairwise_km(a_xy: ArrayLike, b_xy: ArrayLike | None = None) -> NDArray[np.float64]:
    """Dense matrix of straight-line distances in kilometres, every ``a`` to every ``b``.

    Only for small blocks (the schools of one group, a few hundred leads against their
    members): memory grows as ``len(a) × len(b)``. For whole counties or provinces use
    :func:`nearest` or :func:`within_radius`.

    Parameters
    ----------
    a_xy
        ``(n, 2)`` coordinates in metres.
    b_xy
        ``(m, 2)`` coordinates in metres; ``a_xy`` when None.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, m)``.

    Examples
    --------
    >>> pairwise_km([[0, 0], [1000, 0]], [[0, 0], [0, 2000], [4000, 0]]).tolist()
    [[0.0, 2.0, 4.0], [1.0, 2.23606797749979, 3.0]]
    """
    a = _xy(a_xy, "a_xy")
    b = a if b_xy is None else _xy(b_xy, "b_xy")
    return cdist(a, b) / _M_PER_KM


def geodesic_km(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Distances on the WGS-84 ellipsoid in kilometres, element-wise (arrays broadcast).

    The reference that planar UTM distances are checked against; slower, and not needed
    for grouping.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Degrees, WGS-84; scalars or arrays of one broadcastable shape.

    Returns
    -------
    numpy.ndarray
        Kilometres, in the broadcast shape of the inputs.

    Examples
    --------
    >>> km = geodesic_km([122.75, 0.0], [40.85, 0.0], [122.75, 1.0], [40.95, 0.0])
    >>> [round(float(x), 3) for x in km]
    [11.105, 111.319]
    """
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    shape = arrays[0].shape
    flat = [np.ravel(a) for a in arrays]
    _, _, metres = _GEOD.inv(*flat)
    return np.asarray(metres, dtype=float).reshape(shape) / _M_PER_KM
