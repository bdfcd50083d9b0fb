"""The files of a plan: ``plan.csv``, ``plan.json``, ``plan.gpkg`` and ``groups.csv``.

What is written, and how fast. :class:`~geogroup.plan.Plan` calls these with its tables;
they are the same bytes for the same plan (a GeoPackage's timestamps are pinned).

* CSV files are UTF-8 with a byte-order mark (Excel then shows Chinese names), CRLF line
  ends, formula-like text quoted (:func:`geogroup.csv_cells.csv_safe`); with
  ``headers="zh"`` their headers and words are Chinese (学校编号, 集团编号, 角色 …; 龙头校 /
  成员校 / 未分组, 城区 / 乡村, 小学 / 初中 …, the words of
  :mod:`geogroup.read._plan_words`, which read them back).
* The GeoPackage has the layers ``schools``, ``groups``, ``meta`` and ``rejected``, written
  by pyogrio; its attribute columns are limited to :data:`GPKG_MAX_FIELDS`.

Everything is vectorised: writing every plan file of 22,874 schools takes well under a
second (``bench/bench_plan_files.py``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.csv_cells import safe_cells
from geogroup.outputs import atomic_path
from geogroup.read import (
    AREA_ZH,
    LEVEL_ZH,
    PLAN_HEADERS_ZH,
    REJECTED_PREFIXES,
    ROLE_ZH,
    YES_NO_ZH,
)

__all__ = [
    "GPKG_MAX_FIELDS",
    "HEADER_LANGS",
    "PLAN_COLUMNS",
    "csv_bytes",
    "gpkg_columns",
    "groups_csv_frame",
    "json_bytes",
    "plan_csv_frame",
    "plan_table",
    "rejected_table",
    "table_bytes",
    "write_gpkg",
]

PLAN_COLUMNS = [S.GROUP_ID, S.ROLE, S.LEAD_ID, S.DISTANCE_KM, S.REASON]
CONTRACT = [
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
HEADER_LANGS = ("en", "zh")
"""Languages of the headers and words of ``plan.csv`` and ``groups.csv``."""

GPKG_MAX_FIELDS = 1998
"""Attribute columns a GeoPackage layer can hold: SQLite's default limit of 2,000 columns
less the feature id and the geometry."""

_REJECTED = ["row", "school_id", "name", "column", "value", "reason"]
_WIDE = 64  # columns from which a CSV is written row by row (pandas slows with width)
_GROUPS_ZH = {
    S.GROUP_ID: "集团编号",
    "lead_id": "龙头校编号",
    "lead_name": "龙头校名称",
    "size": "学校数",
    "members": "成员校数",
    "mean_quality": "平均质量",
    "lead_quality": "龙头校质量",
    "min_quality": "最低质量",
    "max_quality": "最高质量",
    "mean_distance_km": "平均距离（公里）",
    "max_distance_km": "最远距离（公里）",
    "n_urban": "城区学校数",
    "n_rural": "乡村学校数",
    "lead_area": "龙头校城乡",
}
# "rejected on input (row 7): …" in Chinese; read back by its first words.
_REJECTED_EN = re.compile(REJECTED_PREFIXES[0] + r" \(row (\d+)\): ")
_REJECTED_ZH = REJECTED_PREFIXES[1] + "（第 {} 行）："


# --------------------------------------------------------------------------- text files


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as a CSV file for Excel: UTF-8 with a BOM (so it shows Chinese names), CRLF
    line ends (so a cell holding a lone carriage return is quoted, not a line break) and
    formula-like text quoted (:func:`~geogroup.csv_cells.csv_safe`).

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"name": ["=x", "甲"], "q": [1.5, None]}))
    b"\\xef\\xbb\\xbfname,q\\r\\n'=x,1.5\\r\\n\\xe7\\x94\\xb2,\\r\\n"
    """
    header = [str(c) for c in frame.columns]
    return table_bytes(header, frame.to_numpy(dtype=object, na_value=None))


def table_bytes(header: list[str], body: np.ndarray) -> bytes:
    """The CSV file of a header and a 2-D array of cells (objects; None is an empty cell),
    as :func:`csv_bytes` writes a frame. One block of objects: pandas writes a tall table
    fast, the standard ``csv`` module a wide one (thousands of columns)."""
    header = list(safe_cells(np.array(header, dtype=object)))
    body = safe_cells(body)
    if body.shape[1] <= _WIDE:
        text = pd.DataFrame(body, columns=header).to_csv(index=False, lineterminator="\r\n")
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in body.tolist())
        text = out.getvalue()
    return text.encode("utf-8-sig")


def json_bytes(value: Any, *, newline: bool = True) -> bytes:
    """``value`` as indented UTF-8 JSON, Chinese as written."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return (text + "\n" if newline else text).encode("utf-8")


def _check_lang(headers: str) -> None:
    if headers not in HEADER_LANGS:
        raise ValueError(f"headers must be one of {', '.join(HEADER_LANGS)}, got {headers!r}")


def _words(values: np.ndarray, words: dict[Any, str]) -> np.ndarray:
    """``values`` with each one ``words`` names replaced, the others as they are."""
    keys = list(words)
    known = pd.Series(values, dtype=object).isin(keys).to_numpy()
    if not known.any():
        return values
    out = values.copy()
    out[known] = [words[v] for v in values[known]]
    return out


def _rejected_reason_zh(reason: np.ndarray) -> np.ndarray:
    """ "rejected on input (row 7): …" as "读入时被拒绝（第 7 行）：…"."""
    out = reason.copy()
    for i, text in enumerate(reason):
        found = _REJECTED_EN.match(text) if isinstance(text, str) else None
        if found:
            out[i] = _REJECTED_ZH.format(found.group(1)) + text[found.end() :]
    return out


def plan_table(
    header: list[str], body: np.ndarray, headers: str = "en"
) -> tuple[list[str], np.ndarray]:
    """The header and cells of ``plan.csv`` in the language of ``headers``: as they are for
    ``'en'``; for ``'zh'`` Chinese headers (学校编号, 经度, 纬度, 集团编号, 角色 …) and words
    (龙头校 / 成员校 / 未分组, 城区 / 乡村, 小学 / 初中 / 九年一贯制 / 高中, 是 / 否). Other
    columns and values keep their own."""
    _check_lang(headers)
    if headers == "en":
        return header, body
    body = body.copy()
    at = {name: j for j, name in enumerate(header)}
    for column, words in (
        (S.ROLE, ROLE_ZH),
        (S.AREA, AREA_ZH),
        (S.LEVEL, LEVEL_ZH),
        (S.LEAD_CANDIDATE, YES_NO_ZH),
    ):
        if column in at:
            body[:, at[column]] = _words(body[:, at[column]], words)
    if S.REASON in at:
        body[:, at[S.REASON]] = _rejected_reason_zh(body[:, at[S.REASON]])
    return [PLAN_HEADERS_ZH.get(name, name) for name in header], body


def plan_csv_frame(frame: pd.DataFrame, headers: str = "en") -> pd.DataFrame:
    """The table of ``plan.csv`` (:meth:`~geogroup.plan.Plan.to_frame`) in the language of
    ``headers`` (:func:`plan_table`).

    Examples
    --------
    >>> frame = pd.DataFrame({"school_id": ["a"], "role": ["lead"], "area": ["rural"]})
    >>> plan_csv_frame(frame, "zh").to_dict("records")
    [{'学校编号': 'a', '角色': '龙头校', '城乡': '乡村'}]
    """
    if headers == "en":
        _check_lang(headers)
        return frame
    header, body = plan_table(
        [str(c) for c in frame.columns], frame.to_numpy(dtype=object, na_value=None), headers
    )
    return pd.DataFrame(body, columns=header)


def groups_csv_frame(groups: pd.DataFrame, headers: str = "en") -> pd.DataFrame:
    """The table of ``groups.csv`` (a groups table without its polygons, one row per group)
    in the language of ``headers``, numbers rounded to 4 decimals."""
    _check_lang(headers)
    table = pd.DataFrame(groups.drop(columns="geometry")).round(4).reset_index()
    if headers == "en":
        return table
    if "lead_area" in table:
        table["lead_area"] = _words(table["lead_area"].to_numpy(dtype=object), AREA_ZH)
    return table.rename(columns=_GROUPS_ZH)


# --------------------------------------------------------------------------- GeoPackage


def gpkg_columns(frame: pd.DataFrame, by: Any = None) -> tuple[list[str], list[str]]:
    """The columns of ``frame`` (not its geometry) a GeoPackage layer can hold, in their
    order, and those left out: the contract and plan columns and ``by`` always, the others
    while the layer stays within :data:`GPKG_MAX_FIELDS` and their names are new to SQLite
    (which ignores letter case, and keeps ``fid`` and ``geom`` for itself)."""
    names = [c for c in frame.columns if c != frame.geometry.name]
    must = {*CONTRACT, by}
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


def rejected_table(rejected: pd.DataFrame | None) -> pd.DataFrame:
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


def write_gpkg(
    path: Path,
    schools: gpd.GeoDataFrame,
    groups: gpd.GeoDataFrame,
    meta: dict[str, Any],
    rejected: pd.DataFrame | None,
    by: Any = None,
) -> Path:
    """Write a plan's GeoPackage atomically: layers ``schools`` (``schools`` with its index
    as ``school_id``, the columns of :func:`gpkg_columns`), ``groups``, ``meta`` (``meta``
    as JSON) and ``rejected`` (:func:`rejected_table`)."""
    import pyogrio

    frame = schools.reset_index()
    kept, _ = gpkg_columns(frame, by)
    layers = [
        ("schools", frame[[*kept, frame.geometry.name]]),
        ("groups", groups.reset_index()),
        ("meta", pd.DataFrame({"key": ["meta"], "value": [json.dumps(meta, ensure_ascii=False)]})),
        ("rejected", rejected_table(rejected)),
    ]
    with atomic_path(path) as tmp, _unsynced_sqlite(pyogrio):
        for layer, table in layers:
            pyogrio.write_dataframe(table, tmp, layer=layer, driver="GPKG")
        # GeoPackage stamps each table with the time of writing: pin it so files compare.
        with contextlib.closing(sqlite3.connect(tmp)) as db, db:
            db.execute("UPDATE gpkg_contents SET last_change = '2000-01-01T00:00:00.000Z'")
        _pin_change_counter(tmp)
    return path


@contextlib.contextmanager
def _unsynced_sqlite(pyogrio: Any) -> Iterator[None]:
    """SQLite not waiting for the disk after each of GDAL's transactions (the same bytes,
    sooner): the file is a staging copy, moved into place only once it is whole."""
    before = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": before})


def _pin_change_counter(path: Path) -> None:
    """Set SQLite's file change counter (header offset 24) and the version-valid-for number
    that must equal it (offset 92) to 1: how many transactions GDAL took to write the
    layers varies from run to run, and the same plan should give the same bytes."""
    with open(path, "r+b") as f:
        for offset in (24, 92):
            f.seek(offset)
            f.write((1).to_bytes(4, "big"))
