"""Plans: the result of grouping, and how they are saved and re-opened.

A :class:`Plan` holds the schools frame with the plan columns (``group_id``, ``role``,
``lead_id``, ``distance_km``, ``reason``), a groups table derived from it, the policy and
method that made it and the solver's report. It round-trips through GeoPackage
(:meth:`Plan.to_gpkg`) and CSV (:meth:`Plan.to_csv`), read back by :func:`read_plan`.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.locate import group_hulls
from geogroup.outputs import atomic_path, atomic_write
from geogroup.policy import Policy, policy_from_dict

__all__ = ["PLAN_COLUMNS", "Plan", "groups_table", "read_plan"]

PLAN_COLUMNS = [S.GROUP_ID, S.ROLE, S.LEAD_ID, S.DISTANCE_KM, S.REASON]
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
        """Plain figures of the plan, as written to ``summary.json``."""
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
        """Write ``plan.csv`` (UTF-8 with BOM, so Excel shows Chinese names) and a
        ``.json`` beside it with the policy and the solver's report."""
        path = Path(path)
        atomic_write(path, self.to_frame().to_csv(index=False).encode("utf-8-sig"))
        atomic_write(
            path.with_suffix(".json"),
            json.dumps(self._meta(), ensure_ascii=False, indent=2).encode(),
        )
        return path

    def to_gpkg(self, path: str | Path) -> Path:
        """Write a GeoPackage with layers ``schools``, ``groups`` and ``meta``."""
        path = Path(path)
        with atomic_path(path) as tmp:
            schools = self.schools.reset_index()
            schools.to_file(tmp, layer="schools", driver="GPKG")
            self.groups.reset_index().to_file(tmp, layer="groups", driver="GPKG")
            meta = gpd.GeoDataFrame(
                {"key": ["meta"], "value": [json.dumps(self._meta(), ensure_ascii=False)]}
            )
            meta.to_file(tmp, layer="meta", driver="GPKG")
            # GeoPackage stamps each table with the time of writing: pin it so files compare.
            with contextlib.closing(sqlite3.connect(tmp)) as db, db:
                db.execute("UPDATE gpkg_contents SET last_change = '2000-01-01T00:00:00.000Z'")
        return path

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``plan.csv`` (with ``plan.json``), ``groups.csv``, ``plan.gpkg`` and ``summary.json`` into
        ``out_dir`` (created if needed), each atomically; returns their paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "plan_csv": self.to_csv(out / "plan.csv"),
            "plan_gpkg": self.to_gpkg(out / "plan.gpkg"),
            "groups_csv": out / "groups.csv",
            "summary": out / "summary.json",
        }
        groups = pd.DataFrame(self.groups.drop(columns="geometry")).round(4)
        atomic_write(paths["groups_csv"], groups.to_csv().encode("utf-8-sig"))
        summary = json.dumps(self.summary(), ensure_ascii=False, indent=2) + "\n"
        atomic_write(paths["summary"], summary.encode("utf-8"))
        return paths

    def _meta(self) -> dict[str, Any]:
        """What a saved plan carries besides its tables: no timings, so that the same plan
        always gives the same files (``summary.json`` has the seconds)."""
        meta = self.summary()
        meta.pop("seconds")
        meta["units"] = [
            {k: v for k, v in unit.items() if k != "seconds"} for unit in meta["units"]
        ]
        meta["zones"] = self.zones is not None
        meta["policy"] = self.policy.to_dict()
        if self.rejected is not None:
            meta["rejected"] = self.rejected.astype(str).to_dict(orient="records")
        return meta


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
            meta["zones_frame"] = gpd.read_file(path, layer="groups").set_index(S.GROUP_ID)[
                ["geometry"]
            ]
    elif path.suffix.lower() in {".csv", ".txt"}:
        schools, meta = _read_plan_csv(path)
    else:
        raise InputError(f"plan file {str(path)!r}: expected a .gpkg or .csv plan")
    return _plan_from_parts(schools, meta)


def _read_plan_csv(path: Path) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    df = pd.read_csv(
        path, encoding="utf-8-sig", dtype={S.SCHOOL_ID: str, S.GROUP_ID: str, S.LEAD_ID: str}
    )
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


def _lead_ids(schools: pd.DataFrame) -> pd.Series:
    leads = schools[schools[S.ROLE] == S.LEAD]
    lead_of_group = pd.Series(leads.index, index=leads[S.GROUP_ID])
    lead_of_group = lead_of_group[~lead_of_group.index.duplicated()]
    return schools[S.GROUP_ID].map(lead_of_group)
