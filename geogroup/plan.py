"""Plans: the result of grouping, and how they are saved and re-opened.

A :class:`Plan` holds the schools frame with the plan columns (``group_id``, ``role``,
``lead_id``, ``distance_km``, ``reason``), a groups table derived from it, the policy and
method that made it and the solver's report. It round-trips through GeoPackage
(:meth:`Plan.to_gpkg`) and CSV (:meth:`Plan.to_csv`), read back by :func:`read_plan`.

Every file a plan writes is the same for the same plan, byte for byte, except
``timings.json``. Text cells of a CSV that a spreadsheet would run as a formula are written
with a leading quote (:func:`csv_safe`) and read back without it (:func:`csv_restored`).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.locate import DistanceTable, group_hulls
from geogroup.outputs import TIMINGS_NAME, atomic_path, atomic_write, write_set
from geogroup.policy import Policy, policy_from_dict

__all__ = [
    "GPKG_MAX_FIELDS",
    "PLAN_COLUMNS",
    "Plan",
    "csv_restored",
    "csv_safe",
    "formula_like",
    "groups_table",
    "read_plan",
]

PLAN_COLUMNS = [S.GROUP_ID, S.ROLE, S.LEAD_ID, S.DISTANCE_KM, S.REASON]
_CSV_FIRST = [S.SCHOOL_ID, S.NAME, "lon", "lat", S.QUALITY, S.AREA, S.LEVEL, *PLAN_COLUMNS]
_CONTRACT = [
    S.SCHOOL_ID,
    S.NAME,
    S.QUALITY,
    S.AREA,
    S.LEVEL,
    S.STUDENTS,
    S.TEACHERS,
    S.LEAD_CANDIDATE,
    S.FIXED_GROUP,
    *PLAN_COLUMNS,
]
_REJECTED = ["row", "school_id", "name", "column", "value", "reason"]

GPKG_MAX_FIELDS = 1998
"""Attribute columns a GeoPackage layer can hold: SQLite's default limit of 2,000 columns
less the feature id and the geometry."""


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

    def to_csv(self, path: str | Path) -> Path:
        """Write ``plan.csv`` (UTF-8 with BOM, so Excel shows Chinese names; formula-like
        text quoted, :func:`csv_safe`) and a ``.json`` beside it with the policy and the
        solver's report."""
        path = Path(path)
        self._write_csv(path)
        self._write_json(path.with_suffix(".json"))
        return path

    def to_gpkg(self, path: str | Path) -> Path:
        """Write a GeoPackage with layers ``schools``, ``groups``, ``meta`` and ``rejected``
        (a table of the input rows that never became schools, one line per problem).

        The schools layer holds the contract and plan columns, and the other columns as far
        as a layer can (:data:`GPKG_MAX_FIELDS`); the ``meta`` layer and ``plan.json`` list
        those left out (``plan.csv`` has them all).
        """
        path = Path(path)
        schools = self.schools.reset_index()
        kept, _ = _gpkg_columns(schools, self.params.get("by"))
        with atomic_path(path) as tmp:
            schools[[*kept, "geometry"]].to_file(tmp, layer="schools", driver="GPKG")
            self.groups.reset_index().to_file(tmp, layer="groups", driver="GPKG")
            meta = gpd.GeoDataFrame(
                {"key": ["meta"], "value": [json.dumps(self._meta(), ensure_ascii=False)]}
            )
            meta.to_file(tmp, layer="meta", driver="GPKG")
            gpd.GeoDataFrame(_rejected_table(self.rejected)).to_file(
                tmp, layer="rejected", driver="GPKG"
            )
            # GeoPackage stamps each table with the time of writing: pin it so files compare.
            with contextlib.closing(sqlite3.connect(tmp)) as db, db:
                db.execute("UPDATE gpkg_contents SET last_change = '2000-01-01T00:00:00.000Z'")
        return path

    def writers(self) -> dict[str, Callable[[Path], Any]]:
        """One writer per file of :meth:`write`, by its default name, for
        :func:`geogroup.outputs.write_set` (each writes one file at the path it is given)."""
        return {
            "plan.csv": self._write_csv,
            "plan.json": self._write_json,
            "plan.gpkg": self.to_gpkg,
            "groups.csv": self._write_groups,
            "summary.json": self._write_summary,
            TIMINGS_NAME: self._write_timings,
        }

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``plan.csv``, ``plan.json``, ``plan.gpkg``, ``groups.csv``, ``summary.json``
        and ``timings.json`` into ``out_dir`` (made if needed) as one set
        (:func:`geogroup.outputs.write_set`); returns their paths.

        ``timings.json`` holds the seconds of the run and of each unit: the one file that
        differs when the same plan is made again.
        """
        paths = write_set(out_dir, self.writers())
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

    def _write_csv(self, path: Path) -> None:
        atomic_write(path, _csv_bytes(self.to_frame()))

    def _write_json(self, path: Path) -> None:
        atomic_write(path, json.dumps(self._meta(), ensure_ascii=False, indent=2).encode())

    def _write_groups(self, path: Path) -> None:
        groups = pd.DataFrame(self.groups.drop(columns="geometry")).round(4).reset_index()
        atomic_write(path, _csv_bytes(groups))

    def _write_summary(self, path: Path) -> None:
        atomic_write(path, _json_text(_without_seconds(self.summary())))

    def _write_timings(self, path: Path) -> None:
        atomic_write(path, _json_text(self.timings()))

    def _meta(self) -> dict[str, Any]:
        """What a saved plan carries besides its tables: no timings, so that the same plan
        always gives the same files (``timings.json`` has the seconds)."""
        meta = _without_seconds(self.summary())
        meta["zones"] = self.zones is not None
        meta["policy"] = self.policy.to_dict()
        if self.rejected is not None:
            meta["rejected"] = self.rejected.astype(str).to_dict(orient="records")
        _, left_out = _gpkg_columns(self.schools.reset_index(), self.params.get("by"))
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


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as a CSV file for Excel: UTF-8 with a BOM (so it shows Chinese names), CRLF
    line ends (so a cell holding a lone carriage return is quoted, not a line break) and
    formula-like text quoted (:func:`csv_safe`)."""
    text = csv_safe(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _json_text(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _gpkg_columns(frame: pd.DataFrame, by: Any = None) -> tuple[list[str], list[str]]:
    """The columns of ``frame`` (not its geometry) a GeoPackage layer can hold, in their
    order, and those left out: the contract and plan columns and ``by`` always, the others
    while the layer stays within :data:`GPKG_MAX_FIELDS` and their names are new to SQLite
    (which ignores letter case, and keeps ``fid`` and ``geom`` for itself)."""
    names = [c for c in frame.columns if c != frame.geometry.name]
    must = {*_CONTRACT, by}
    taken = {"fid", "geom"} | {str(c).casefold() for c in names if c in must}
    room = GPKG_MAX_FIELDS - sum(c in must for c in names)
    kept, left_out = [], []
    for name in names:
        if name in must:
            kept.append(name)
        elif room > 0 and str(name).casefold() not in taken:
            kept.append(name)
            taken.add(str(name).casefold())
            room -= 1
        else:
            left_out.append(name)
    return kept, left_out


def _rejected_table(rejected: pd.DataFrame | None) -> pd.DataFrame:
    """The read report's rejected rows, one line per problem, as a table of text (the row
    number an integer)."""
    rejected = pd.DataFrame(columns=_REJECTED) if rejected is None else rejected
    table = pd.DataFrame(
        {
            c: [None if _missing(v) else str(v) for v in rejected[c]]
            if c in rejected
            else [None] * len(rejected)
            for c in _REJECTED[1:]
        }
    )
    rows = pd.to_numeric(pd.Series(rejected["row"], dtype=object), errors="coerce")
    table.insert(0, "row", rows.astype("Int64").to_numpy())
    return table.sort_values("row", kind="stable").reset_index(drop=True)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


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
    arrays = rules.plan_arrays(
        schools, policy or Policy(name="unknown"), by if by in schools else None
    )
    shapes, _ = group_hulls(arrays.lonlat, arrays.epsg, arrays.group, len(arrays.group_names))
    found = pd.Series(shapes, index=pd.Index(arrays.group_names, dtype=object))
    return gpd.GeoSeries(found.reindex(order.astype(str)).to_numpy(), index=order, crs=S.WGS84)


def read_plan(path: str | Path) -> Plan:
    """Re-open a plan saved by :meth:`Plan.to_gpkg` or :meth:`Plan.to_csv`, or read a
    planner's own grouping from a CSV with ``school_id``, ``lon``, ``lat``, ``quality``,
    ``group_id`` and ``role`` columns."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"plan file {str(path)!r} does not exist")
    if path.suffix.lower() == ".gpkg":
        schools = gpd.read_file(path, layer="schools").set_index(S.SCHOOL_ID)
        meta_df = gpd.read_file(path, layer="meta")
        meta = json.loads(meta_df["value"].iloc[0])
        if meta.get("zones"):  # a zone plan's groups layer holds its district polygons
            zones = gpd.read_file(path, layer="groups").set_index(S.GROUP_ID)[["geometry"]]
            meta["zones_frame"] = zones.set_geometry(_single_parts(zones.geometry))
    elif path.suffix.lower() in {".csv", ".txt"}:
        schools, meta = _read_plan_csv(path)
    else:
        raise InputError(f"plan file {str(path)!r}: expected a .gpkg or .csv plan")
    return _plan_from_parts(schools, meta)


def _read_plan_csv(path: Path) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    text = {S.SCHOOL_ID: str, S.NAME: str, S.GROUP_ID: str, S.LEAD_ID: str, S.REASON: str}
    df = csv_restored(pd.read_csv(path, encoding="utf-8-sig", dtype=text))
    missing = [c for c in (S.SCHOOL_ID, "lon", "lat", S.QUALITY, S.GROUP_ID, S.ROLE) if c not in df]
    if missing:
        raise InputError(
            f"plan file {str(path)!r} lacks column(s) {', '.join(missing)}; it has {', '.join(df.columns)}"
        )
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    rejected_mask = (
        df["lon"].isna() & df[S.REASON].astype(str).str.startswith("rejected on input")
        if S.REASON in df
        else df["lon"].isna()
    )
    df = df[~rejected_mask]
    geometry = gpd.points_from_xy(df.pop("lon"), df.pop("lat"), crs=S.WGS84)
    schools = gpd.GeoDataFrame(df, geometry=geometry).set_index(S.SCHOOL_ID)
    return schools, meta


def _plan_from_parts(schools: gpd.GeoDataFrame, meta: dict[str, Any]) -> Plan:
    schools.index = schools.index.astype(str)
    schools.index.name = S.SCHOOL_ID
    for col in (S.GROUP_ID, S.LEAD_ID, S.REASON, S.FIXED_GROUP, S.NAME, S.AREA, S.LEVEL):
        if col in schools:
            schools[col] = schools[col].astype(object).where(schools[col].notna(), None)
    for col in (S.STUDENTS, S.TEACHERS):
        if col in schools and pd.api.types.is_numeric_dtype(schools[col]):
            schools[col] = schools[col].astype("Int64")
    if S.LEAD_ID not in schools:
        schools[S.LEAD_ID] = _lead_ids(schools)
    if S.DISTANCE_KM not in schools:
        schools[S.DISTANCE_KM] = np.nan
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


def _single_parts(shapes: gpd.GeoSeries) -> gpd.GeoSeries:
    """GDAL writes a layer of polygons and multipolygons as multipolygons: a one-part
    multipolygon read back is the polygon it was."""
    single = (shapes.geom_type == "MultiPolygon") & (shapes.count_geometries() == 1)
    return shapes.where(~single, shapes.get_geometry(0))


def _lead_ids(schools: pd.DataFrame) -> pd.Series:
    leads = schools[schools[S.ROLE] == S.LEAD]
    lead_of_group = pd.Series(leads.index, index=leads[S.GROUP_ID])
    lead_of_group = lead_of_group[~lead_of_group.index.duplicated()]
    return schools[S.GROUP_ID].map(lead_of_group)


# --- CSV cells a spreadsheet would run ---------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` (quotes ahead of it aside) as a formula:
    it starts with ``= + - @``, a tab or a carriage return and is not a plain number.

    Examples
    --------
    >>> formula_like("=1+1"), formula_like("-1.5"), formula_like("'@x"), formula_like("a=b")
    (True, False, True, False)
    """
    text = text.lstrip("'")
    return text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text)


def _quoted(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and formula_like(value) else value


def _unquoted(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and formula_like(value[1:]):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list[int]:
    return [
        i
        for i, dtype in enumerate(frame.dtypes)
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype))
    ]


def _map_text(frame: pd.DataFrame, func: Callable[[Any], Any]) -> pd.DataFrame:
    """``frame`` with ``func`` applied to its text cells and headers; a column none of
    whose cells changes keeps its dtype (``func`` returns an unchanged value itself)."""
    out = frame.copy(deep=False)
    for i in _text_columns(frame):
        values = frame.iloc[:, i]
        mapped = [func(v) for v in values]
        if any(m is not v for m, v in zip(mapped, values, strict=True)):
            out.isetitem(i, pd.Series(mapped, index=frame.index, dtype=object))
    out.columns = [func(c) for c in frame.columns]
    return out


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header a spreadsheet would run as a formula
    prefixed with a single quote (as OWASP advises); numbers are left alone.
    :func:`csv_restored` undoes it.

    Examples
    --------
    >>> csv_safe(pd.DataFrame({"name": ["=cmd", "-1.5", "ok"], "x": [-1.5, 2, 3]}))
         name    x
    0   '=cmd -1.5
    1    -1.5  2.0
    2      ok  3.0
    """
    return _map_text(frame, _quoted)


def csv_restored(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a CSV written with :func:`csv_safe`, with the quotes it added
    removed, so the text is what it was."""
    return _map_text(frame, _unquoted)
