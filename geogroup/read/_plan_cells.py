"""The cells of a plan file: ids, groups, roles, quality, locations and the school columns,
read as school lists read them (:mod:`geogroup.read._fields`), every cell that cannot be
read collected and reported at once with its row, column and value (:class:`Problems`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.read._fields import (
    as_text,
    missing_mask,
    normalise_area,
    normalise_id,
    normalise_level,
    parse_bool,
    parse_coordinate,
    parse_count,
    parse_float,
)
from geogroup.read._headers import LAT, LON, header_key
from geogroup.read._plan_words import DERIVED_HEADERS, REJECTED_PREFIXES, role_of

__all__ = ["Problems", "plan_columns", "points", "rejected_rows"]

_SHOWN = 10  # problems listed in one error


@dataclass
class Problems:
    """Cells that cannot be read, as (row, column header, value, reason)."""

    label: str
    found: list[tuple[int, str, str, str]] = field(default_factory=list)

    def add(self, mask: Any, rows: np.ndarray, header: str, cells: pd.Series, reason: str) -> None:
        at = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i in at[:_SHOWN]:
            value = cells.iloc[i]
            shown = (
                "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value
            )
            self.found.append((int(rows[i]), header, str(shown)[:40], reason))
        self.found += [(int(rows[i]), header, "", reason) for i in at[_SHOWN:]]

    def raise_any(self) -> None:
        if not self.found:
            return
        found = sorted(self.found, key=lambda p: p[0])
        shown = "; ".join(
            f"row {r}, column {c!r} ({v!r}): {why}" for r, c, v, why in found[:_SHOWN]
        )
        more = f"; … and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
        row, column, value, reason = found[0]
        raise InputError(
            f"{self.label}: {len(found)} cell(s) of the plan cannot be read: {shown}{more}. "
            "Correct them in the file (or delete those rows) and read the plan again.",
            code="plan.cells",
            values={
                "label": self.label,
                "count": len(found),
                "row": row,
                "column": column,
                "value": value,
                "reason": reason,
            },
        )


def _ids(frame: pd.DataFrame, column: str, rows: np.ndarray, problems: Problems) -> pd.Series:
    ids = normalise_id(frame[column])
    problems.add(ids.isna(), rows, column, frame[column], "no school id")
    repeated = ids.duplicated(keep="first") & ids.notna()
    if repeated.any():
        first = dict(zip(ids[~repeated & ids.notna()], rows[~(repeated | ids.isna())], strict=True))
        for i in np.flatnonzero(repeated.to_numpy())[:_SHOWN]:
            problems.add(
                np.arange(len(ids)) == i,
                rows,
                column,
                frame[column],
                f"school id {ids.iloc[i]!r} again (first on row {first[ids.iloc[i]]})",
            )
    return ids


def _text(values: pd.Series) -> pd.Series:
    """Text cells as written (a name keeps its spaces, tabs and marks); None where missing
    or blank."""
    cells = values.astype(object)
    blank = cells.isna() | cells.map(lambda v: isinstance(v, str) and not v.strip())
    return cells.where(~blank, None)


def rejected_rows(frame: pd.DataFrame, columns: dict[str, str]) -> np.ndarray:
    """Rows ``plan.csv`` lists as rejected on input: no location, and a reason saying so."""
    if S.REASON not in columns or LON not in columns:
        return np.zeros(len(frame), dtype=bool)
    reason = as_text(frame[columns[S.REASON]]).fillna("")
    said = reason.str.startswith(REJECTED_PREFIXES)
    return (said & missing_mask(frame[columns[LON]])).to_numpy(dtype=bool)


def _quality(cells: pd.Series, rows: np.ndarray, column: str, problems: Problems) -> Any:
    parsed = parse_float(cells)
    problems.add(parsed.missing, rows, column, cells, "no quality")
    problems.add(parsed.bad, rows, column, cells, "quality is not a number")
    return parsed.values.to_numpy(dtype=float)


def _area(cells: pd.Series) -> Any:
    """Areas as the school lists read them; a label they do not know is kept as written
    (the rules then count the school as neither urban nor rural)."""
    values, unknown = normalise_area(cells)
    kept = _text(cells).where(unknown.to_numpy(), values.astype(object))
    return kept.where(kept.notna(), None).to_numpy(dtype=object)


def _labels(cells: pd.Series) -> Any:
    labels = normalise_id(cells).astype(object)
    return labels.where(labels.notna(), None).to_numpy(dtype=object)


def _level(cells: pd.Series) -> Any:
    level = normalise_level(cells).astype(object)
    return level.where(level.notna(), None).to_numpy(dtype=object)


_READERS = {
    S.DISTANCE_KM: lambda cells: parse_float(cells).values.to_numpy(dtype=float),
    S.STUDENTS: lambda cells: parse_count(cells)[0].array,
    S.TEACHERS: lambda cells: parse_count(cells)[0].array,
    S.LEAD_CANDIDATE: lambda cells: parse_bool(cells)[0].to_numpy(dtype=bool),
    S.ROLE: lambda cells: np.array([role_of(v) for v in cells.tolist()], dtype=object),
    S.AREA: _area,
    S.LEVEL: _level,
    S.GROUP_ID: _labels,
    S.LEAD_ID: _labels,
    S.FIXED_GROUP: _labels,
}


def _typed(cells: pd.Series) -> Any:
    """A column of a text file as pandas would type it: numbers, True/False, else text."""
    if cells.isna().all():
        return cells.to_numpy(dtype=object)
    with contextlib.suppress(ValueError, TypeError):
        return pd.to_numeric(cells).to_numpy()
    words = cells.dropna()
    if words.isin(["True", "False"]).all():
        return cells.map({"True": True, "False": False}).to_numpy()
    return cells.astype(object).where(cells.notna(), None).to_numpy()


def plan_columns(
    frame: pd.DataFrame,
    columns: dict[str, str],
    rows: np.ndarray,
    problems: Problems,
    *,
    text_cells: bool = False,
) -> pd.DataFrame:
    """The contract and plan columns read from their cells, then every other column as it
    is, typed as pandas types a CSV's columns when the cells are text (the report's derived
    columns left out)."""
    out: dict[str, Any] = {}
    ids = _ids(frame, columns[S.SCHOOL_ID], rows, problems)
    for field_name, column in columns.items():
        cells = frame[column]
        if field_name in (S.SCHOOL_ID, LON, LAT):
            continue
        if field_name == S.QUALITY:
            out[field_name] = _quality(cells, rows, column, problems)
        else:
            read = _READERS.get(field_name, lambda c: _text(c).to_numpy(dtype=object))
            out[field_name] = read(cells)
    used = set(columns.values())
    for column in frame.columns:
        if column in used or header_key(column) in DERIVED_HEADERS or str(column) in out:
            continue
        out[str(column)] = _typed(frame[column]) if text_cells else frame[column].to_numpy()
    return pd.DataFrame(out, index=pd.Index(ids.astype(object).to_numpy(), name=S.SCHOOL_ID))


def points(
    frame: pd.DataFrame, columns: dict[str, str], rows: np.ndarray, problems: Problems
) -> gpd.GeoSeries:
    values = {}
    for axis, limit in ((LON, 180.0), (LAT, 90.0)):
        column = columns[axis]
        parsed = parse_coordinate(frame[column], axis)
        name = "longitude" if axis == LON else "latitude"
        problems.add(parsed.missing, rows, column, frame[column], f"no {name}")
        problems.add(parsed.bad, rows, column, frame[column], f"the {name} is not a number")
        outside = parsed.values.abs() > limit
        problems.add(outside, rows, column, frame[column], f"a {name} beyond ±{limit:g}°")
        values[axis] = parsed.values.to_numpy(dtype=float)
    return gpd.GeoSeries(gpd.points_from_xy(values[LON], values[LAT]), crs=S.WGS84)
