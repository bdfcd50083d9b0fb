"""Schools put on the road network: each at the nearest point of the nearest road segment.

The leg from a school to that point is off the network; its length is the *snapping
distance*, reported for every school and counted in the school's road distances (at the
access speed, :data:`~geogroup.locate.ACCESS_KMH`). A school farther than
:data:`FAR_FROM_ROAD_M` from every road is *flagged*: it is still connected, but its
coordinates or the road data deserve a look (a mistyped coordinate, or a village whose
roads the extract lacks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

__all__ = ["FAR_FROM_ROAD_M", "Snapped", "snap_to_segments"]

FAR_FROM_ROAD_M = 1000.0
"""A school farther than this (metres) from every road is flagged (``far_from_road_m=``)."""


@dataclass
class Snapped:
    """Where each point meets the network.

    ``segment``: index of the nearest segment; ``fraction``: position along it (0 at its
    first end, 1 at its second); ``metres``: distance from the point to the segment."""

    segment: NDArray[np.int64]
    fraction: NDArray[np.float64]
    metres: NDArray[np.float64]

    def report(
        self, ids: NDArray[np.object_], far_m: float, road_xy: NDArray[np.float64] | None = None
    ) -> pd.DataFrame:
        """One row per school: ``snap_m`` and, beyond ``far_m``, ``far`` True and a ``reason``."""
        far = self.metres > far_m
        reason = np.full(len(ids), "", dtype=object)
        reason[far] = [
            f"{m:,.0f} m from the nearest road (more than {far_m:,.0f} m): check its "
            "coordinates, or use road data that covers it"
            for m in self.metres[far]
        ]
        out = pd.DataFrame(
            {
                "snap_m": np.round(self.metres, 1),
                "far": far,
                "reason": reason,  # an object array: a Series would align on its own index
            },
            index=pd.Index([str(i) for i in ids], name="school_id", dtype=object),
        )
        if road_xy is not None:
            out["road_x"], out["road_y"] = road_xy[:, 0], road_xy[:, 1]
        return out


def snap_to_segments(
    points: NDArray[np.float64], a: NDArray[np.float64], b: NDArray[np.float64]
) -> Snapped:
    """The nearest segment ``a[j]``–``b[j]`` of each point (metres); ties go to the
    segment of the lowest index, so that the result never depends on the tree's order.

    Examples
    --------
    >>> s = snap_to_segments(np.array([[5.0, 3.0]]), np.array([[0.0, 0.0], [0.0, 10.0]]),
    ...                      np.array([[10.0, 0.0], [10.0, 10.0]]))
    >>> s.segment.tolist(), s.fraction.tolist(), s.metres.tolist()
    ([0], [0.5], [3.0])
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    tree = shapely.STRtree(lines)
    (which, seg), _ = tree.query_nearest(
        shapely.points(points), return_distance=True, all_matches=True
    )
    order = np.lexsort((seg, which))
    which, seg = which[order], seg[order]
    first = np.r_[True, which[1:] != which[:-1]]
    segment = np.full(len(points), -1, dtype=np.int64)
    segment[which[first]] = seg[first]
    fraction, metres = _project(points, a[segment], b[segment])
    return Snapped(segment=segment, fraction=fraction, metres=metres)


def _project(
    p: NDArray[np.float64], a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    ab = b - a
    length2 = (ab**2).sum(axis=1)
    t = np.where(length2 > 0, ((p - a) * ab).sum(axis=1) / np.where(length2 > 0, length2, 1), 0)
    t = np.clip(t, 0.0, 1.0)
    foot = a + t[:, None] * ab
    return t, np.hypot(*(p - foot).T)
