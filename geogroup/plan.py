"""Plans: the result of grouping, and how they are saved and re-opened.

A :class:`Plan` holds the schools frame with the plan columns (``group_id``, ``role``,
``lead_id``, ``distance_km``, ``reason``), a groups table derived from it, the policy and
method that made it and the solver's report. It round-trips through GeoPackage
(:meth:`Plan.to_gpkg`) and CSV (:meth:`Plan.to_csv`), read back by :func:`read_plan`,
which also reads a plan edited in Excel (``.xlsx``, or CSV in UTF-8 or GBK, with English or
Chinese headers: :func:`geogroup.read.read_plan_table`).

Every file a plan writes is the same for the same plan, byte for byte, except
``timings.json`` (:mod:`geogroup.plan_files` writes them). Text cells of a CSV that a
spreadsheet would run as a formula are written with a leading quote (:func:`csv_safe`) and
read back without it (:func:`csv_restored`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.csv_cells import csv_restored, csv_safe, formula_like
from geogroup.locate import DistanceTable, group_hulls
from geogroup.outputs import TIMINGS_NAME, atomic_write, write_set
from geogroup.plan_files import (
    GPKG_MAX_FIELDS,
    PLAN_COLUMNS,
    csv_bytes,
    gpkg_columns,
    groups_csv_frame,
    json_bytes,
    plan_table,
    table_bytes,
    write_gpkg,
)
from geogroup.policy import Policy, policy_from_dict
from geogroup.read import read_plan_table

__all__ = [
    "GPKG_MAX_FIELDS",
    "PLAN_COLUMNS",
    "Plan",
    "csv_restored",
    "csv_safe",
    "formula_like",
    "groups_table",
    "objective_figures",
    "read_plan",
]

_CSV_FIRST = [S.SCHOOL_ID, S.NAME, "lon", "lat", S.QUALITY, S.AREA, S.LEVEL, *PLAN_COLUMNS]


@dataclass
class Plan:
    """A proposal of 1+X groups.

    Attributes
    ----------
    schools
        Every usable input school with the plan columns; index ``school_id``.
    policy, method
        What made the plan (``method`` is a registry name).
    status
        ``'optimal'`` (proved by the solver), ``'time_limit'`` (stopped with a gap),
        ``'feasible'`` or ``'heuristic'`` (no optimality claim), or ``'mixed'`` across units.
    objective, bound, gap
        The objective (``docs/objective.md``), the solver's best bound and relative gap
        (``None`` when the method gives no bound).
    rejected
        Input rows that never became schools (from the read report): with them, every
        input school is accounted for.
    distances
        The road (or given) distances the plan was made with
        (:class:`~geogroup.locate.DistanceTable`); None: straight lines. The check and
        the figures of the plan read them.
    notes
        What :func:`read_plan` did that deserves a word (a sheet chosen, locations taken
        from the plan beside an edited file); empty for a plan made here.
    """

    schools: gpd.GeoDataFrame
    policy: Policy
    method: str
    status: str = "heuristic"
    objective: float = math.nan
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    moved: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    rejected: pd.DataFrame | None = None
    units: list[dict[str, Any]] = field(default_factory=list)
    zones: gpd.GeoDataFrame | None = None
    distances: DistanceTable | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def groups(self) -> gpd.GeoDataFrame:
        """One row per group: lead, sizes, quality, urban/rural counts and a polygon."""
        return groups_table(
            self.schools, zones=self.zones, policy=self.policy, by=self.params.get("by")
        )

    @property
    def n_unassigned(self) -> int:
        return int((self.schools[S.ROLE] == S.UNASSIGNED).sum())

    def summary(self) -> dict[str, Any]:
        """Plain figures of the plan: ``summary.json``, and the seconds of ``timings.json``."""
        roles = self.schools[S.ROLE].value_counts()
        return {
            "method": self.method,
            "policy": self.policy.name,
            "status": self.status,
            "objective": _num(self.objective),
            "bound": _num(self.bound),
            "gap": _num(self.gap),
            # a solver that bounds its answer but stopped before it had a bound says so
            "bound_note": "no bound"
            if self.bound is None and self.status in ("time_limit", "feasible")
            else None,
            "objective_parts": {k: _num(v) for k, v in self.parts.items()},
            "seconds": round(self.seconds, 3),
            "schools": len(self.schools),
            "groups": int(self.schools[S.GROUP_ID].nunique()),
            "leads": int(roles.get(S.LEAD, 0)),
            "members": int(roles.get(S.MEMBER, 0)),
            "unassigned": int(roles.get(S.UNASSIGNED, 0)),
            "rejected_on_input": 0
            if self.rejected is None
            else int(self.rejected["row"].nunique()),
            "moved": self.moved,
            "params": self.params,
            "units": self.units,
        }

    def to_frame(self) -> pd.DataFrame:
        """The plan as a flat table, one row per input school (rejected rows last)."""
        df = pd.DataFrame(self.schools.drop(columns="geometry"))
        df.insert(0, "lat", self.schools.geometry.y.round(7))
        df.insert(0, "lon", self.schools.geometry.x.round(7))
        df = df.reset_index()
        first = [c for c in _CSV_FIRST if c in df]
        df = df[first + [c for c in df.columns if c not in first]]
        if self.rejected is not None and len(self.rejected):
            df = pd.concat([df, _rejected_rows(self.rejected)], ignore_index=True)
        return df

    def to_csv(self, path: str | Path, *, headers: str = "en") -> Path:
        """Write ``plan.csv`` (UTF-8 with BOM, so Excel shows Chinese names; formula-like
        text quoted, :func:`csv_safe`) and a ``.json`` beside it with the policy and the
        solver's report. ``headers="zh"``: Chinese headers and words in the CSV
        (:func:`geogroup.plan_files.plan_csv_frame`); :func:`read_plan` reads either."""
        path = Path(path)
        self._write_csv(path, headers)
        self._write_json(path.with_suffix(".json"))
        return path

    def to_gpkg(self, path: str | Path) -> Path:
        """Write a GeoPackage with layers ``schools``, ``groups``, ``meta`` and ``rejected``
        (a table of the input rows that never became schools, one line per problem).

        The schools layer holds the contract and plan columns, and the other columns as far
        as a layer can (:data:`GPKG_MAX_FIELDS`); the ``meta`` layer and ``plan.json`` list
        those left out (``plan.csv`` has them all).
        """
        return self._write_gpkg(Path(path), self.groups)

    def writers(self, *, headers: str = "en") -> dict[str, Callable[[Path], Any]]:
        """One writer per file of :meth:`write`, by its default name, for
        :func:`geogroup.outputs.write_set` (each writes one file at the path it is given).

        The groups table is made once for all of them; ``headers`` is the language of the
        headers and words of ``plan.csv`` and ``groups.csv`` (``'en'`` or ``'zh'``)."""
        groups: list[gpd.GeoDataFrame] = []

        def table() -> gpd.GeoDataFrame:
            if not groups:
                groups.append(self.groups)
            return groups[0]

        return {
            "plan.csv": lambda path: self._write_csv(path, headers),
            "plan.json": self._write_json,
            "plan.gpkg": lambda path: self._write_gpkg(path, table()),
            "groups.csv": lambda path: self._write_groups(path, table(), headers),
            "summary.json": self._write_summary,
            TIMINGS_NAME: self._write_timings,
        }

    def write(self, out_dir: str | Path, *, headers: str = "en") -> dict[str, Path]:
        """Write ``plan.csv``, ``plan.json``, ``plan.gpkg``, ``groups.csv``, ``summary.json``
        and ``timings.json`` into ``out_dir`` (made if needed) as one set
        (:func:`geogroup.outputs.write_set`); returns their paths.

        ``timings.json`` holds the seconds of the run and of each unit: the one file that
        differs when the same plan is made again. ``headers="zh"`` writes ``plan.csv`` and
        ``groups.csv`` with Chinese headers and words.
        """
        paths = write_set(out_dir, self.writers(headers=headers))
        keys = ("plan_csv", "plan_json", "plan_gpkg", "groups_csv", "summary", "timings")
        return dict(zip(keys, paths.values(), strict=True))

    def timings(self) -> dict[str, Any]:
        """The seconds the plan took, in all and by unit: ``timings.json``."""
        return {
            "seconds": round(self.seconds, 3),
            "units": [
                {"unit": unit.get("unit"), "seconds": unit["seconds"]}
                for unit in self.units
                if "seconds" in unit
            ],
        }

    def objective_figures(self) -> dict[str, float | None]:
        """The objective in plain figures (``docs/objective.md``): the mean distance from a
        grouped school to its lead in km (a lead counting 0) and the balance gap, the
        size-weighted mean distance of the group means from their unit's mean quality, in
        points of quality. None when no school is grouped.

        Examples
        --------
        >>> from geogroup.datasets import toy_schools
        >>> schools = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
        ...     role=["lead", "member", "member"] * 2, distance_km=[0, 1.0, 2.0, 0, 3.0, 0])
        >>> Plan(schools, Policy(), "hand").objective_figures()
        {'mean_distance_km': 1.0, 'balance_gap': 0.833333}
        """
        return objective_figures(self.schools, self.policy, self.params.get("by"))

    def _write_csv(self, path: Path, headers: str = "en") -> None:
        atomic_write(path, table_bytes(*plan_table(*self._csv_table(), headers)))

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        """The header and cells of ``plan.csv``: :meth:`to_frame` as one array of objects,
        made without a frame of many blocks (a list of thousands of columns stays fast)."""
        frame = pd.DataFrame(self.schools)  # plain: no geometry checks on each column
        shape = self.schools.geometry.name
        names = [c for c in frame.columns if c != shape]
        fixed = {S.SCHOOL_ID, "lon", "lat"}
        first = [c for c in _CSV_FIRST if c in fixed or c in names]
        header = first + [c for c in names if c not in first]
        at = {c: j for j, c in enumerate(frame.columns)}
        take = np.array([at.get(c, 0) for c in header], dtype=np.int64)
        body = frame.to_numpy(dtype=object, na_value=None)[:, take]
        body[:, header.index(S.SCHOOL_ID)] = np.array(self.schools.index, dtype=object)
        points = self.schools.geometry
        for axis, values in (("lon", points.x), ("lat", points.y)):
            coords = values.round(7).to_numpy(dtype=float)
            body[:, header.index(axis)] = np.where(np.isnan(coords), None, coords.astype(object))
        if self.rejected is not None and len(self.rejected):
            rows = _rejected_rows(self.rejected)
            extra = np.full((len(rows), len(header)), None, dtype=object)
            for column in rows.columns:
                if column in header:
                    extra[:, header.index(column)] = rows[column].to_numpy(dtype=object)
            body = np.vstack([body, extra])
        return [str(c) for c in header], body

    def _write_json(self, path: Path) -> None:
        atomic_write(path, json_bytes(self._meta(), newline=False))

    def _write_gpkg(self, path: Path, groups: gpd.GeoDataFrame) -> Path:
        return write_gpkg(
            path, self.schools, groups, self._meta(), self.rejected, self.params.get("by")
        )

    def _write_groups(self, path: Path, groups: gpd.GeoDataFrame, headers: str = "en") -> None:
        atomic_write(path, csv_bytes(groups_csv_frame(groups, headers)))

    def _write_summary(self, path: Path) -> None:
        atomic_write(path, json_bytes(_without_seconds(self.summary())))

    def _write_timings(self, path: Path) -> None:
        atomic_write(path, json_bytes(self.timings()))

    def _meta(self) -> dict[str, Any]:
        """What a saved plan carries besides its tables: no timings, so that the same plan
        always gives the same files (``timings.json`` has the seconds)."""
        meta = _without_seconds(self.summary())
        meta["zones"] = self.zones is not None
        meta["policy"] = self.policy.to_dict()
        if self.rejected is not None:
            meta["rejected"] = self.rejected.astype(str).to_dict(orient="records")
        _, left_out = gpkg_columns(self.schools.reset_index(), self.params.get("by"))
        if left_out:
            meta["gpkg_columns_left_out"] = {
                "columns": left_out,
                "why": f"a GeoPackage layer holds at most {GPKG_MAX_FIELDS} columns, and "
                "none whose name differs from another's in letter case only or is fid or "
                "geom; plan.csv has every column",
            }
        return meta


def _without_seconds(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary without its timings, which differ from run to run."""
    summary = {k: v for k, v in summary.items() if k != "seconds"}
    summary["units"] = [{k: v for k, v in u.items() if k != "seconds"} for u in summary["units"]]
    return summary


def objective_figures(
    schools: pd.DataFrame, policy: Policy | None = None, by: str | None = None
) -> dict[str, float | None]:
    """The two terms of the objective in plain units (:meth:`Plan.objective_figures`):
    ``mean_distance_km`` and ``balance_gap`` (quality points), over the grouped schools,
    each unit against its own mean (the units of ``policy`` and ``by``)."""
    grouped = schools[
        schools[S.GROUP_ID].notna() & (schools[S.ROLE].astype(object) != S.UNASSIGNED)
    ]
    if grouped.empty:
        return {"mean_distance_km": None, "balance_gap": None}
    distance = (
        pd.to_numeric(grouped[S.DISTANCE_KM], errors="coerce")
        if S.DISTANCE_KM in grouped
        else pd.Series(np.nan, index=grouped.index)
    )
    quality = pd.to_numeric(grouped[S.QUALITY], errors="coerce")
    units = rules.unit_labels(
        grouped, by if by in grouped else None, policy or Policy(name="unknown")
    )
    unit = pd.Series(units, index=grouped.index).astype(object).fillna("")
    unit_mean = quality.groupby(unit).transform("mean")
    group_mean = quality.groupby(grouped[S.GROUP_ID].astype(str)).transform("mean")
    # Σ_g n_g·|μ_g − q̄| / N: each school carries its group's deviation.
    gap = float((group_mean - unit_mean).abs().mean())
    mean_km = float(distance.mean()) if distance.notna().any() else None
    return {
        "mean_distance_km": None if mean_km is None else round(mean_km, 6),
        "balance_gap": round(gap, 6) if math.isfinite(gap) else None,
    }


def _num(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), 6)


def _rejected_rows(rejected: pd.DataFrame) -> pd.DataFrame:
    by_row = rejected.groupby("row", sort=True).agg(
        {"school_id": "first", "name": "first", "reason": lambda r: "; ".join(map(str, r))}
    )
    return pd.DataFrame(
        {
            S.SCHOOL_ID: by_row["school_id"].astype(str).to_numpy(),
            S.NAME: by_row["name"].to_numpy(),
            S.ROLE: S.UNASSIGNED,
            S.REASON: (
                "rejected on input (row " + by_row.index.astype(str) + "): " + by_row["reason"]
            ).to_numpy(),
        }
    )


def groups_table(
    schools: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    policy: Policy | None = None,
    by: str | None = None,
) -> gpd.GeoDataFrame:
    """One row per group of a plan's schools frame: a zone polygon when given, else the
    group's hull (:func:`geogroup.locate.group_hulls`, drawn in its unit's UTM zone; the
    units are those of ``policy`` and ``by``).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> df = gpd.GeoDataFrame(
    ...     {"name": list("abc"), "quality": [90.0, 60.0, 30.0], "area": ["urban", "rural", "rural"],
    ...      "group_id": ["G01"] * 3, "role": ["lead", "member", "member"], "lead_id": ["a"] * 3,
    ...      "distance_km": [0.0, 1.0, 2.0]},
    ...     geometry=[Point(116.0, 40.0), Point(116.01, 40.0), Point(116.0, 40.01)],
    ...     index=pd.Index(list("abc"), name="school_id"), crs="EPSG:4326")
    >>> groups_table(df)[["lead_id", "size", "members", "mean_quality", "n_rural"]]
             lead_id  size  members  mean_quality  n_rural
    group_id
    G01            a     3        2          60.0        2
    """
    # Only the columns a group's row is made of: a list of thousands of columns stays fast.
    used = [S.GROUP_ID, S.ROLE, S.NAME, S.QUALITY, S.DISTANCE_KM, S.AREA, S.LEVEL, by]
    schools = schools[[c for c in dict.fromkeys(used) if c in schools] + [schools.geometry.name]]
    grouped = schools[schools[S.ROLE] != S.UNASSIGNED]
    if grouped.empty:
        return gpd.GeoDataFrame(
            {"lead_id": pd.Series(dtype=str)},
            geometry=gpd.GeoSeries([], crs=S.WGS84),
            index=pd.Index([], name=S.GROUP_ID, dtype=str),
        )
    if S.DISTANCE_KM not in grouped:  # a hand-made plan may not carry distances
        grouped = grouped.assign(**{S.DISTANCE_KM: np.nan})
    by_group = grouped.groupby(S.GROUP_ID, sort=True)
    is_lead = grouped[S.ROLE] == S.LEAD
    members = grouped[grouped[S.ROLE] == S.MEMBER]
    # A hand-made plan may name two leads in a group (check_plan reports it): show the first.
    leads = grouped[is_lead].reset_index().drop_duplicates(S.GROUP_ID).set_index(S.GROUP_ID)
    table = pd.DataFrame(
        {
            "lead_id": leads[S.SCHOOL_ID],
            "lead_name": leads[S.NAME] if S.NAME in leads else leads[S.SCHOOL_ID],
            "size": by_group.size(),
            "members": (grouped[S.ROLE] == S.MEMBER).groupby(grouped[S.GROUP_ID]).sum(),
            "mean_quality": by_group[S.QUALITY].mean(),
            "lead_quality": leads[S.QUALITY],
            "min_quality": by_group[S.QUALITY].min(),
            "max_quality": by_group[S.QUALITY].max(),
            # members only, as in geogroup.evaluate.mean_distance (a lead's 0 km not counted)
            "mean_distance_km": members[S.DISTANCE_KM].groupby(members[S.GROUP_ID]).mean(),
            "max_distance_km": members[S.DISTANCE_KM].groupby(members[S.GROUP_ID]).max(),
        }
    )
    if S.AREA in grouped:
        area = grouped[S.AREA].astype(object)
        table["n_urban"] = (area == S.URBAN).groupby(grouped[S.GROUP_ID]).sum()
        table["n_rural"] = (area == S.RURAL).groupby(grouped[S.GROUP_ID]).sum()
        table["lead_area"] = leads[S.AREA]
    table.index.name = S.GROUP_ID
    geometry = _group_shapes(schools, table.index, zones, policy, by)
    return gpd.GeoDataFrame(table, geometry=geometry, crs=S.WGS84)


def _group_shapes(
    schools: gpd.GeoDataFrame,
    order: pd.Index,
    zones: gpd.GeoDataFrame | None,
    policy: Policy | None,
    by: str | None,
) -> gpd.GeoSeries:
    if zones is not None:
        return zones.geometry.reindex(order).set_crs(S.WGS84, allow_override=True)
    # The groups and each unit's UTM zone as the rules have them (rules.plan_arrays), without
    # the rest of what the rules derive (weak set, lead pool, sectors), which a hull needs not.
    group_text, _ = rules.plan_roles(schools)
    group, names = pd.factorize(pd.Series(group_text, dtype=object), sort=True)
    labels = rules.unit_labels(schools, by if by in schools else None, policy or Policy())
    unit, unit_names = pd.factorize(pd.Series(labels, dtype=object), sort=True)
    order_by_unit = np.argsort(unit, kind="stable")
    starts = np.searchsorted(unit[order_by_unit], np.arange(len(unit_names) + 1))
    units = [order_by_unit[a:b] for a, b in pairwise(starts)]
    wgs = schools.geometry.to_crs(S.WGS84) if len(schools) else schools.geometry
    lonlat = np.column_stack([wgs.x.to_numpy(float), wgs.y.to_numpy(float)])
    _, epsg = rules.unit_xy(lonlat, units)
    shapes, _ = group_hulls(lonlat, epsg, group.astype(np.int64), len(names))
    found = pd.Series(shapes, index=pd.Index([str(n) for n in names], dtype=object))
    return gpd.GeoSeries(found.reindex(order.astype(str)).to_numpy(), index=order, crs=S.WGS84)


def read_plan(path: str | Path) -> Plan:
    """Re-open a plan: one saved by :meth:`Plan.to_gpkg` or :meth:`Plan.to_csv`, or a
    planner's own or edited one (a CSV in UTF-8 or GBK, an ``.xlsx`` such as the schools
    sheet of ``report.xlsx``; English or Chinese headers and role words), as
    :func:`geogroup.read.read_plan_table` reads it.

    Each school's lead (``lead_id``) is that of its group as the roles now say; a
    ``distance_km`` that was to another lead is measured again (a straight line). What the
    reader did that deserves a word (locations taken from the plan beside an edited
    sheet) is in ``plan.notes``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "mine.csv").write_text(
    ...     "学校编号,经度,纬度,质量,集团编号,角色\\na,122.5,40.8,90,G1,龙头校\\n"
    ...     "b,122.51,40.8,60,G1,成员校\\nc,122.7,40.9,70,,未分组\\n", encoding="gbk")
    >>> plan = read_plan(folder / "mine.csv")
    >>> plan.schools[["group_id", "role", "lead_id"]].to_dict("index")["b"]
    {'group_id': 'G1', 'role': 'member', 'lead_id': 'a'}
    """
    table = read_plan_table(path)
    meta = dict(table.meta)
    if table.zones is not None:
        meta["zones_frame"] = table.zones
    plan = _plan_from_parts(table.schools, meta)
    plan.notes = table.notes
    return plan


def _plan_from_parts(schools: gpd.GeoDataFrame, meta: dict[str, Any]) -> Plan:
    schools.index = schools.index.astype(str)
    schools.index.name = S.SCHOOL_ID
    for col in (S.GROUP_ID, S.LEAD_ID, S.REASON, S.FIXED_GROUP, S.NAME, S.AREA, S.LEVEL):
        if col in schools:
            schools[col] = schools[col].astype(object).where(schools[col].notna(), None)
    for col in (S.STUDENTS, S.TEACHERS):
        if col in schools and pd.api.types.is_numeric_dtype(schools[col]):
            schools[col] = schools[col].astype("Int64")
    _lead_and_distance(schools, meta)
    if S.REASON not in schools:
        schools[S.REASON] = None
    policy_values = meta.get("policy") if isinstance(meta.get("policy"), dict) else None
    policy = policy_from_dict(policy_values) if policy_values else Policy(name="unknown")
    rejected = pd.DataFrame(meta["rejected"]) if meta.get("rejected") else None
    return Plan(
        schools=schools,
        policy=policy,
        method=meta.get("method", "unknown"),
        status=meta.get("status", "unknown"),
        objective=meta.get("objective") if meta.get("objective") is not None else math.nan,
        bound=meta.get("bound"),
        gap=meta.get("gap"),
        seconds=meta.get("seconds", 0.0),
        parts=meta.get("objective_parts", {}),
        moved=meta.get("moved"),
        params=meta.get("params", {}),
        rejected=rejected,
        units=meta.get("units", []),
        zones=meta.get("zones_frame"),
    )


def _lead_and_distance(schools: gpd.GeoDataFrame, meta: dict[str, Any]) -> None:
    """``lead_id`` as the roles say; ``distance_km`` kept where the lead is the one it was
    measured to, measured again (in a straight line, in the unit's UTM zone) elsewhere."""
    derived = _lead_ids(schools).astype(object)
    derived = derived.where(derived.notna(), None)
    written = schools[S.LEAD_ID] if S.LEAD_ID in schools else pd.Series(None, index=schools.index)
    same = written.astype(object).eq(derived) | (written.isna() & derived.isna())
    schools[S.LEAD_ID] = derived
    distance = (
        pd.to_numeric(schools[S.DISTANCE_KM], errors="coerce")
        if S.DISTANCE_KM in schools
        else pd.Series(np.nan, index=schools.index)
    )
    stale = (~same | distance.isna()) & derived.notna()
    if stale.any():
        policy = meta.get("policy") if isinstance(meta.get("policy"), dict) else None
        params = meta.get("params") if isinstance(meta.get("params"), dict) else {}
        by = params.get("by") if params.get("by") in schools else None
        arrays = rules.plan_arrays(
            schools, policy_from_dict(policy) if policy else Policy(name="unknown"), by
        )
        distance = distance.where(~stale, arrays.distance_km().round(3))
    schools[S.DISTANCE_KM] = distance.astype(float)


def _lead_ids(schools: pd.DataFrame) -> pd.Series:
    leads = schools[schools[S.ROLE] == S.LEAD]
    lead_of_group = pd.Series(leads.index, index=leads[S.GROUP_ID])
    lead_of_group = lead_of_group[~lead_of_group.index.duplicated()]
    return schools[S.GROUP_ID].map(lead_of_group)
