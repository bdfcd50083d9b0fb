"""A plan as the rules see it: plain arrays, one row per school."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray

from geogroup import schema as S
from geogroup.policy import Policy
from geogroup.rules._sectors import sectors
from geogroup.rules._units import (
    is_planar,
    lead_flags,
    levels_of,
    unit_labels,
    unit_xy,
    weak_flags,
)


@dataclass
class PlanArrays:
    """A plan as the rules see it: one row per school, positions 0..n-1.

    ``group`` holds codes into ``group_names`` (-1: in no group); ``role`` is ``'lead'``,
    ``'member'``, ``'unassigned'`` or the unknown word as written; a school is *assigned*
    when it has a group and its role is not ``'unassigned'``; an assigned school that is not
    a lead counts as a member.
    """

    ids: NDArray[np.object_]
    quality: NDArray[np.float64]
    unit: NDArray[np.int64]  # codes into unit_names; -1 when the school has no unit
    unit_names: list[str]
    by_code: NDArray[np.int64]  # the unit of the ``by`` column alone (levels aside)
    xy: NDArray[np.float64]  # metres, each school in its unit's UTM zone
    epsg: NDArray[np.int64]
    lonlat: NDArray[np.float64]
    urban: NDArray[np.bool_] | None  # None: no area column
    rural: NDArray[np.bool_] | None
    level: NDArray[np.object_] | None
    weak: NDArray[np.bool_]
    may_lead: NDArray[np.bool_] | None  # None: the lead column is missing
    named: NDArray[np.bool_]
    fixed: NDArray[np.object_] | None
    group: NDArray[np.int64]
    group_names: list[str]
    role: NDArray[np.object_]
    has_reason: NDArray[np.bool_]
    sector: NDArray[np.int64] | None = None  # under the sector rule: each school's sector
    centres: dict[int, tuple[float, float]] = field(default_factory=dict)  # by unit -> centre
    table: Any = None  # distances along roads: km(a, b) and minutes(a, b) on positions
    students: NDArray[np.float64] | None = None  # enrolment; None: no students column
    capacity: NDArray[np.float64] | None = None  # each school's capacity as a lead (NaN: unknown)
    planar: bool = False  # no CRS: coordinates on a plain plane, in metres
    _index: dict[str, list[NDArray[np.int64]]] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def assigned(self) -> NDArray[np.bool_]:
        return (self.group >= 0) & (self.role != S.UNASSIGNED)

    @property
    def lead(self) -> NDArray[np.bool_]:
        return self.assigned & (self.role == S.LEAD)

    @property
    def member(self) -> NDArray[np.bool_]:
        return self.assigned & (self.role != S.LEAD)

    def per_group(self, flags: NDArray, mask: NDArray[np.bool_] | None = None) -> NDArray:
        """Sum of ``flags`` over the assigned schools (in ``mask``) of each group."""
        keep = self.assigned if mask is None else self.assigned & mask
        return np.bincount(
            self.group[keep],
            weights=np.asarray(flags, dtype=float)[keep],
            minlength=len(self.group_names),
        )

    def group_positions(self) -> list[NDArray[np.int64]]:
        """Positions of the assigned schools of each group, in position order."""
        if "group" not in self._index:
            self._index["group"] = _split(
                np.flatnonzero(self.assigned), self.group, len(self.group_names)
            )
        return self._index["group"]

    def unit_positions(self) -> list[NDArray[np.int64]]:
        """Positions of the schools of each unit, in position order."""
        if "unit" not in self._index:
            self._index["unit"] = _split(
                np.flatnonzero(self.unit >= 0), self.unit, len(self.unit_names)
            )
        return self._index["unit"]

    def lead_position(self) -> NDArray[np.int64]:
        """The position of each group's lead: -1 without one, -2 with several."""
        out = np.full(len(self.group_names), -1, dtype=np.int64)
        leads = np.flatnonzero(self.lead)
        counts = np.bincount(self.group[leads], minlength=len(self.group_names))
        out[self.group[leads]] = leads
        out[counts > 1] = -2
        return out

    def distance_km(self) -> NDArray[np.float64]:
        """Each school's distance to its group's lead (the nearest, when there are several);
        0 for a lead, NaN outside a group or in a group without a lead. Measured in the
        unit's UTM zone; across units (a broken plan), on the ellipsoid."""
        out = np.full(self.n, np.nan)
        head = self.lead_position()
        pos = np.flatnonzero(self.member)
        to = head[self.group[pos]]
        one = to >= 0
        out[pos[one]] = self._km(pos[one], to[one])
        groups = self.group_positions()
        for p in pos[to == -2]:
            leads = groups[self.group[p]][self.lead[groups[self.group[p]]]]
            out[p] = self._km(np.full(len(leads), p), leads).min()
        out[self.lead] = 0.0
        return out

    def minutes(self) -> NDArray[np.float64]:
        """Each member's travel time to its group's lead (the nearest, when several), from
        the table; NaN without a table, outside a group or without a lead."""
        out = np.full(self.n, np.nan)
        if self.table is None:
            return out
        head = self.lead_position()
        pos = np.flatnonzero(self.member)
        to = head[self.group[pos]]
        one = to >= 0
        out[pos[one]] = self.table.minutes(pos[one], to[one])
        out[self.lead] = 0.0
        return out

    def _km(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
        if self.table is not None:  # along the roads: a pair the table lacks has no way
            return self.table.km(a, b)
        km = np.hypot(*(self.xy[a] - self.xy[b]).T) / 1000.0
        other = self.unit[a] != self.unit[b]
        if other.any() and not self.planar:
            geod = pyproj.Geod(ellps="WGS84")
            lon1, lat1 = self.lonlat[a[other]].T
            lon2, lat2 = self.lonlat[b[other]].T
            km[other] = np.asarray(geod.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0
        return km


def _split(pos: NDArray[np.int64], codes: NDArray[np.int64], n: int) -> list[NDArray[np.int64]]:
    order = pos[np.argsort(codes[pos], kind="stable")]
    return np.split(order, np.searchsorted(codes[order], np.arange(1, n)))


def _labels(values: pd.Series) -> NDArray[np.object_]:
    """Trimmed text, None for missing or blank cells."""
    cells = np.asarray(values.astype(object).to_numpy(), dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty"):
        codes, words = pd.factorize(cells)  # text: each distinct label trimmed once
        trimmed = [str(w).strip() or None for w in words.tolist()]
        return np.array([*trimmed, None], dtype=object)[codes]  # code -1: missing
    missing = pd.isna(cells).tolist()  # one pass over the column, not one call a cell
    out = [
        None if m else (str(v).strip() or None)
        for v, m in zip(cells.tolist(), missing, strict=True)
    ]
    return np.array(out, dtype=object)


def plan_roles(schools: pd.DataFrame) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Each school's group label (None: in no group) and role, as the rules read them: labels
    trimmed, a blank cell is missing, roles lower-cased; a school without a role is
    ``'unassigned'`` when it has no group and ``''`` (unknown) when it has one."""
    n = len(schools)
    group = _labels(schools[S.GROUP_ID]) if S.GROUP_ID in schools else np.full(n, None, object)
    roles = _labels(schools[S.ROLE]) if S.ROLE in schools else np.full(n, None, object)
    lower = {r: r.lower() for r in set(roles.tolist()) if r is not None}  # few distinct roles
    role = np.array(
        [
            lower[r] if r is not None else (S.UNASSIGNED if g is None else "")
            for r, g in zip(roles.tolist(), group.tolist(), strict=True)
        ],
        dtype=object,
    )
    return group, role


def _codes(labels: NDArray[np.object_]) -> tuple[NDArray[np.int64], list[str]]:
    """Codes of the labels in sorted order (-1 for None), and the sorted labels."""
    codes, names = pd.factorize(pd.Series(labels, dtype=object), sort=True)
    return codes.astype(np.int64), [str(v) for v in names]


def plan_arrays(
    schools: gpd.GeoDataFrame, policy: Policy, by: str | None = None, distances: Any = None
) -> PlanArrays:
    """The arrays of a plan's schools frame (``group_id``, ``role`` and the contract
    columns), with the units, weak set and lead pool of the rules computed. ``distances``
    (a :class:`~geogroup.locate.DistanceTable`): distances along roads instead of
    straight lines.

    A frame without points gets NaN coordinates (rules on distances then see NaN)."""
    n = len(schools)
    ids = np.array([str(i) for i in schools.index], dtype=object)
    quality = pd.to_numeric(schools[S.QUALITY].astype(object), errors="coerce").to_numpy(float)
    group_text, role = plan_roles(schools)
    group, names = _codes(group_text)
    unit, unit_names = _codes(unit_labels(schools, by, policy))
    by_code = (
        _codes(unit_labels(schools, by, policy.replace(levels="mixed")))[0]
        if by
        else np.zeros(n, dtype=np.int64)
    )
    units = _split(np.flatnonzero(unit >= 0), unit, len(unit_names))
    planar = isinstance(schools, gpd.GeoDataFrame) and n > 0 and is_planar(schools)
    if planar:  # measured as they are: one plane for every unit
        xy = np.column_stack(
            [schools.geometry.x.to_numpy(float), schools.geometry.y.to_numpy(float)]
        )
        lonlat = np.full((n, 2), np.nan)
        epsg = np.zeros(n, dtype=np.int64)
    elif isinstance(schools, gpd.GeoDataFrame) and n:
        wgs = schools.geometry.to_crs(S.WGS84)
        lonlat = np.column_stack([wgs.x.to_numpy(float), wgs.y.to_numpy(float)])
        xy, epsg = unit_xy(lonlat, units)
    else:
        lonlat = xy = np.full((n, 2), np.nan)
        epsg = np.zeros(n, dtype=np.int64)
    kind, column_name = policy.lead_rule
    column_name = column_name[0] if kind == "either" else column_name
    column = None
    if kind in ("column", "either") and column_name in schools:
        column = schools[column_name].to_numpy(dtype=object)
    weak = np.zeros(n, dtype=bool)
    may: NDArray[np.bool_] | None = np.zeros(n, dtype=bool)
    named = np.zeros(n, dtype=bool)
    area = _labels(schools[S.AREA]) if S.AREA in schools else None
    urban = None if area is None else np.array([str(a).lower() == S.URBAN for a in area])
    for at in units:
        weak[at] = weak_flags(quality[at], ids[at], policy.weak_share)
        unit_may, named[at] = lead_flags(
            policy,
            quality[at],
            ids[at],
            None if column is None else column[at],
            None if urban is None else urban[at],
        )
        if unit_may is None:
            may = None
        elif may is not None:
            may[at] = unit_may
    sector, centres = (
        sectors(schools, by, policy, by_code)
        if n and isinstance(schools, gpd.GeoDataFrame) and not planar
        else (None, {})
    )  # fmt: skip
    level = levels_of(schools[S.LEVEL], policy) if S.LEVEL in schools else None
    students, capacity = enrolment(schools, policy)
    reason = _labels(schools[S.REASON]) if S.REASON in schools else np.full(n, None)
    return PlanArrays(
        ids=ids,
        quality=quality,
        unit=unit,
        unit_names=unit_names,
        by_code=by_code,
        xy=xy,
        epsg=epsg,
        lonlat=lonlat,
        urban=urban,
        rural=None if area is None else np.array([str(a).lower() == S.RURAL for a in area]),
        level=level,
        weak=weak,
        may_lead=may,
        named=named,
        fixed=_labels(schools[S.FIXED_GROUP]) if S.FIXED_GROUP in schools else None,
        group=group,
        group_names=names,
        role=role,
        has_reason=np.array([r is not None for r in reason], dtype=bool),
        sector=sector,
        centres=centres,
        table=None if distances is None else distances.for_unit(ids),
        students=students,
        capacity=capacity,
        planar=planar,
    )


def _numbers(values: pd.Series) -> NDArray[np.float64]:
    return pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=float)


def enrolment(
    schools: pd.DataFrame, policy: Policy
) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
    """Each school's students (None without a ``students`` column) and, under
    ``capacity_column``, its capacity as a lead (None when the column is missing; NaN where
    a cell is empty or not a number): the sizes the rules ``group_students`` and
    ``capacity`` weigh."""
    students = _numbers(schools[S.STUDENTS]) if S.STUDENTS in schools else None
    column = policy.capacity_column
    capacity = _numbers(schools[column]) if column and column in schools else None
    return students, capacity
