"""The data of the plan editor: what no edit changes, computed once by the rulebook.

The editor recomputes the policy check and the figures in the browser after every edit. To
keep each rule's meaning in one place (:mod:`geogroup.rules`), the page does not derive the
inputs of the rules itself: this module asks the rulebook for each school's unit, its metric
x/y in its unit's UTM zone, the weak set, the lead pool, urban/rural, level, sector and the
distance table (:func:`geogroup.rules.plan_arrays`), and hands them to the page as JSON. The
page (``static/editor_rules.js``) counts only what an edit changes.

The plan is first saved as ``plan.csv`` and read back (:func:`geogroup.read_plan`), exactly as
the page's export will be read: coordinates rounded as the CSV writes them, columns typed as
the reader types them. The figures of the page and of ``geogroup evaluate`` on the exported
file then start from the same numbers.
"""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.evaluate import plan_metrics
from geogroup.plan import Plan, formula_like, read_plan
from geogroup.policy import Policy, get_policy
from geogroup.present._colors import PALETTE, group_colors
from geogroup.present._numbers import known_kinds

__all__ = ["DYNAMIC_COLUMNS", "KEY_TEACHERS", "SavedPlan", "editor_data", "saved_plan"]

DYNAMIC_COLUMNS = (S.GROUP_ID, S.ROLE, S.LEAD_ID, S.DISTANCE_KM, S.REASON, S.FIXED_GROUP)
"""The plan.csv columns an edit changes; the page writes them, every other cell is kept."""

KEY_TEACHERS = "key_teachers"  # as geogroup.evaluate.KEY_TEACHERS


@dataclasses.dataclass
class SavedPlan:
    """A plan as its CSV file holds it: the plan read back, the CSV's header and cells
    (text as written), and ``plan.json``."""

    plan: Plan
    header: list[str]
    rows: list[list[str]]
    meta: dict[str, Any]
    text_columns: list[bool]


def saved_plan(plan: Plan, policy: str | Policy | None = None) -> SavedPlan:
    """``plan`` (under ``policy``, default its own) written as ``plan.csv`` and read back."""
    if not isinstance(plan, Plan):
        raise TypeError(
            f"plan: expected a geogroup.Plan, got {type(plan).__name__}; read a saved plan with "
            "geogroup.read_plan()"
        )
    chosen = plan.policy if policy is None else get_policy(policy)
    plan = dataclasses.replace(plan, policy=chosen)
    with tempfile.TemporaryDirectory(prefix="geogroup-editor-") as tmp:
        path = Path(tmp) / "plan.csv"
        plan.to_csv(path)
        back = read_plan(path)
        text = path.read_bytes().decode("utf-8-sig")
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    back.distances = plan.distances
    back.policy = chosen
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    frame = plan.to_frame()
    text_columns = [
        not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype))
        for dtype in frame.dtypes
    ]
    return SavedPlan(back, header, body, meta, text_columns)


def _floats(values: Any) -> list[float | None]:
    array = np.asarray(values, dtype=float)
    return [None if np.isnan(v) else float(v) for v in array]


def _flags(values: Any) -> list[int] | None:
    return None if values is None else [int(bool(v)) for v in values]


def _counts(schools: pd.DataFrame, column: str) -> list[float | None] | None:
    if column not in schools:
        return None
    return _floats(pd.to_numeric(schools[column].astype(object), errors="coerce"))


def _levels(level: np.ndarray | None) -> tuple[list[int] | None, list[str]]:
    if level is None:
        return None, []
    names, codes = np.unique(level.astype(str), return_inverse=True)
    return codes.astype(int).tolist(), [str(n) for n in names]


def _table(table: Any, n: int) -> dict[str, Any] | None:
    """The distance table on school positions, rows sorted, as the rulebook looks it up."""
    if table is None:
        return None
    a, b = table.pairs()
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    indptr = np.searchsorted(a, np.arange(n + 1)).astype(int).tolist()
    minutes = _floats(table.minutes(a, b)) if table.has_minutes else None
    return {
        "indptr": indptr,
        "indices": b.astype(int).tolist(),
        "km": _floats(table.km(a, b)),
        "minutes": minutes,
    }


def _leads_text(policy: Policy) -> str:
    """``policy.leads`` as the judge quotes it (geogroup.rules: ``_leads``)."""
    if isinstance(policy.leads, str):
        return repr(policy.leads)
    ids = [str(i) for i in policy.leads]
    extra = f" … and {len(ids) - 5} more" if len(ids) > 5 else ""
    return "[" + ", ".join(ids[:5]) + extra + "]"


def _policy(policy: Policy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "members": list(policy.members),
        "n_groups": policy.n_groups,
        "max_distance_km": policy.max_distance_km,
        "max_travel_min": policy.max_travel_min,
        "pair_urban_rural": bool(policy.pair_urban_rural),
        "weak_share": policy.weak_share,
        "min_weak_per_group": policy.min_weak_per_group,
        "min_weak_share": policy.min_weak_share,
        "levels": policy.levels,
        "sectors": policy.sectors,
        "min_lead_spacing_km": policy.min_lead_spacing_km,
        "group_students": None if policy.group_students is None else list(policy.group_students),
        "capacity_column": policy.capacity_column,
        "leadsText": _leads_text(policy),
    }


def _exchange_rate() -> float:
    """The rate :func:`geogroup.evaluate.plan_metrics` uses by default."""
    return float(inspect.signature(plan_metrics).parameters["exchange_rate"].default)


def _labels(values: pd.Series) -> list[str | None]:
    """Trimmed text, None for missing or blank cells (as the rulebook reads a plan)."""
    return [
        None if pd.isna(v) else (str(v).strip() or None) for v in values.astype(object).tolist()
    ]


def _state(arrays: rules.PlanArrays, schools: pd.DataFrame) -> dict[str, Any]:
    n = arrays.n
    reason = _labels(schools[S.REASON]) if S.REASON in schools else [None] * n
    fixed = (
        [None] * n
        if arrays.fixed is None
        else [None if f is None else str(f) for f in arrays.fixed]
    )
    return {
        "groupNames": list(arrays.group_names),
        "group": arrays.group.astype(int).tolist(),
        "role": [str(r) for r in arrays.role],
        "reason": reason,
        "fixed": fixed,
    }


def _cells(values: list[str], shared: dict[str, list[str]]) -> Any:
    """A static column's cells, as small as the page can read them: the name of an array the
    data holds already (``{"ref": "ids"}``), distinct values and a code per row, or the list."""
    for name, other in shared.items():
        if values == other:
            return {"ref": name}
    distinct = sorted(set(values))
    if len(distinct) * 4 <= len(values):
        code = {v: k for k, v in enumerate(distinct)}
        return {"values": distinct, "codes": [code[v] for v in values]}
    return values


def _csv(saved: SavedPlan, n: int, shared: dict[str, list[str]]) -> dict[str, Any]:
    """The CSV's cells: static columns as written, which columns the page writes, and the
    rows of input rejected on reading (kept as they are, after the schools)."""
    header = saved.header
    unquoted = [h[1:] if h.startswith("'") and formula_like(h[1:]) else h for h in header]
    dynamic = {name: unquoted.index(name) for name in DYNAMIC_COLUMNS if name in unquoted}
    static = [j for j in range(len(header)) if j not in dynamic.values()]
    body = saved.rows[:n]
    return {
        "header": header,
        "dynamic": dynamic,
        "text": saved.text_columns,
        "static": {str(j): _cells([r[j] for r in body], shared) for j in static},
        "extra": saved.rows[n:],
    }


def _colors(plan: Plan) -> dict[str, str]:
    if plan.schools[S.ROLE].ne(S.UNASSIGNED).any():
        return {str(k): str(v) for k, v in group_colors(plan).items()}
    return {}


def editor_data(
    plan: Plan, policy: str | Policy | None = None, *, saved: SavedPlan | None = None
) -> dict[str, Any]:
    """Everything the editor page reads, as plain JSON values (see the module's docstring);
    ``saved``: the plan already saved and read back by :func:`saved_plan`."""
    saved = saved if saved is not None else saved_plan(plan, policy)
    back = saved.plan
    schools = back.schools
    by = back.params.get("by")
    by = by if by in schools else None
    arrays = rules.plan_arrays(schools, back.policy, by, back.distances)
    n = arrays.n
    level, level_names = _levels(arrays.level)
    area = (
        [a.lower() if a else None for a in rules.words_kept(schools[S.AREA])]
        if S.AREA in schools
        else None
    )
    low = float(np.min(arrays.quality)) if n else 1.0
    names = (
        ["" if pd.isna(v) else str(v) for v in schools[S.NAME].astype(object)]
        if S.NAME in schools
        else [str(i) for i in arrays.ids]
    )
    kind, column = back.policy.lead_rule
    state = _state(arrays, schools)
    return {
        "ids": [str(i) for i in arrays.ids],
        "names": names,
        "quality": _floats(arrays.quality),
        "lon": _floats(arrays.lonlat[:, 0]),
        "lat": _floats(arrays.lonlat[:, 1]),
        "x": _floats(arrays.xy[:, 0]),
        "y": _floats(arrays.xy[:, 1]),
        "unit": arrays.unit.astype(int).tolist(),
        "unitNames": list(arrays.unit_names),
        "byCode": arrays.by_code.astype(int).tolist(),
        "urban": _flags(arrays.urban),
        "rural": _flags(arrays.rural),
        "area": area,
        "level": level,
        "levelNames": level_names,
        "weak": _flags(arrays.weak),
        "mayLead": _flags(arrays.may_lead),
        "named": _flags(arrays.named),
        "leadColumn": column if kind == "column" else None,
        "sector": None if arrays.sector is None else arrays.sector.astype(int).tolist(),
        "teachers": _counts(schools, S.TEACHERS),
        "keyTeachers": _counts(schools, KEY_TEACHERS),
        "students": _counts(schools, S.STUDENTS),
        "ruleStudents": None if arrays.students is None else _floats(arrays.students),
        "capacity": None if arrays.capacity is None else _floats(arrays.capacity),
        "table": _table(arrays.table, n),
        "toleranceKm": rules.TOLERANCE_KM,
        "numberKinds": known_kinds(),
        "theilShift": 0.0 if low > 0 else 1.0 - low,
        "exchangeRate": _exchange_rate(),
        "keyExchangeRate": _exchange_rate(),
        "policy": _policy(back.policy),
        "hasFixedColumn": S.FIXED_GROUP in schools,
        "state": state,
        "colors": _colors(back),
        "palette": list(PALETTE),
        "csv": _csv(saved, n, {"ids": [str(i) for i in arrays.ids], "names": names}),
        "meta": saved.meta,
    }
