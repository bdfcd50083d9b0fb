"""Cell parsing for :func:`geogroup.read.read_schools`.

Everything here is vectorised over whole columns and never raises on a bad cell: parsers
return the values they could read plus masks of the cells they could not, and the caller
turns those masks into rejected rows or report warnings.

Missing values
--------------
Blank cells and the placeholders in :data:`PLACEHOLDERS` (``.``, ``-``, ``NA``, ``N/A``,
``null``, ``none``, ``#N/A``, ``无``, ``空``, ``NOT APPLICABLE``, compared case-insensitively)
count as missing in every contract column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._headers import LAT, LON
from geogroup.rules import NO_WORDS, PLACEHOLDERS, YES_WORDS

__all__ = [
    "MAX_COUNT",
    "PLACEHOLDERS",
    "CellPairs",
    "ProblemLog",
    "area_mapping",
    "as_text",
    "label_key",
    "missing_mask",
    "normalise_area",
    "normalise_id",
    "normalise_level",
    "parse_bool",
    "parse_coordinate",
    "parse_count",
    "parse_float",
]

_AREA_WORDS = {
    "urban": schema.URBAN,
    "rural": schema.RURAL,
    "城区": schema.URBAN,
    "城镇": schema.URBAN,
    "城市": schema.URBAN,
    "市区": schema.URBAN,
    "县城": schema.URBAN,
    "镇区": schema.URBAN,
    "乡村": schema.RURAL,
    "农村": schema.RURAL,
    "乡镇": schema.RURAL,
    "村": schema.RURAL,
}
#: The largest head count read for one school: more is a typing or unit mistake (1e20), and
#: would overflow the integer column.
MAX_COUNT = 1_000_000

# China's statistical urban-rural codes (统计用城乡划分代码): 1xx are 城镇, 2xx are 乡村.
# A numeric column with a gap holds them as floats: 111.0.
_AREA_CODE = re.compile(r"^([12])\d\d(?:\.0+)?$")

_LEVEL_WORDS = {
    "primary": "primary",
    "小学": "primary",
    "middle": "middle",
    "junior_secondary": "middle",
    "初中": "middle",
    "初级中学": "middle",
    "secondary": "secondary",
    "high": "secondary",
    "senior_secondary": "secondary",
    "高中": "secondary",
    "高级中学": "secondary",
    "nine_year": "nine-year",
    "九年一贯制": "nine-year",
    "twelve_year": "twelve-year",
    "十二年一贯制": "twelve-year",
    "combined": "combined",
    "intermediate": "intermediate",
}
_LEVEL_SUFFIX = re.compile(r"(_school|学校)$")


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_INTEGRAL_TEXT = re.compile(r"^([-+]?\d+)\.0*$")

# Degrees with optional minutes/seconds and a hemisphere before or after: 116.39°E,
# 39.9 N, 北纬39°54′, 116°23'24"E. Text is upper-cased and NFKC-normalised first.
_DMS = re.compile(
    r"^(?P<pre>[NSEW]|东经|西经|北纬|南纬)?\s*(?P<sign>[-+])?\s*"
    r"(?P<deg>\d+(?:\.\d+)?)\s*(?:°|度)?\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*(?:'|′|分))?\s*"
    r"(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:\"|″|′′|''|秒))?\s*"
    r"(?P<post>[NSEW]|东经|西经|北纬|南纬|东|西|北|南)?$"
)
_HEMISPHERES = {
    LON: {"E": 1.0, "东经": 1.0, "东": 1.0, "W": -1.0, "西经": -1.0, "西": -1.0},
    LAT: {"N": 1.0, "北纬": 1.0, "北": 1.0, "S": -1.0, "南纬": -1.0, "南": -1.0},
}


# --------------------------------------------------------------------------- cells


def as_text(s: pd.Series) -> pd.Series:
    """Cells as trimmed, NFKC-normalised text (``str`` dtype); missing stays missing."""
    # 'º' (ordinal) would become 'o' under NFKC; degree signs must survive.
    text = s.astype("str").str.replace("º", "°", regex=False)
    return text.str.normalize("NFKC").str.strip()


def _is_number_column(s: pd.Series) -> bool:
    return is_numeric_dtype(s) and not is_bool_dtype(s)


def missing_mask(s: pd.Series) -> pd.Series:
    """True where a cell is blank, missing or a placeholder such as ``.`` or ``NA``."""
    if _is_number_column(s):
        return s.isna()
    return s.isna() | as_text(s).str.casefold().isin(PLACEHOLDERS)


@dataclass(frozen=True)
class Parsed:
    """Values read from one column, with masks of missing and unreadable cells."""

    values: pd.Series
    missing: pd.Series
    bad: pd.Series


def parse_float(s: pd.Series, *, decimal_comma: bool = False) -> Parsed:
    """Read numbers; full-width digits and a comma between digits are understood.

    A comma is a thousands separator when it fits one (``1,234.5``) and a decimal comma
    otherwise (``12,5``, as semicolon-separated European files write). With
    ``decimal_comma=True`` (coordinates, which never have thousands) ``39,912`` is 39.912.

    Examples
    --------
    >>> p = parse_float(pd.Series(["1,234.5", ".", "abc", "７", "12,5"]))
    >>> p.values.tolist()[::3], p.missing.tolist(), p.bad.tolist()
    ([1234.5, 7.0], [False, True, False, False, False], [False, False, True, False, False])
    >>> float(p.values.iloc[4])
    12.5
    """
    if _is_number_column(s):
        return Parsed(s.astype(float), s.isna(), pd.Series(False, index=s.index))
    # Plain numbers (nearly every cell of a large file) need none of the text handling below.
    values = pd.to_numeric(s.astype("str"), errors="coerce").astype(float)
    rest = values.isna().to_numpy()
    missing = np.zeros(len(s), dtype=bool)
    missing[rest] = missing_mask(s[rest]).to_numpy(dtype=bool)
    text = rest & ~missing
    if text.any():
        values.iloc[np.flatnonzero(text)] = _parse_text_numbers(s[text], decimal_comma)
    missing = pd.Series(missing, index=s.index)
    return Parsed(values, missing, values.isna() & ~missing)


def _parse_text_numbers(s: pd.Series, decimal_comma: bool) -> np.ndarray:
    """Numbers written with full-width digits, thousands separators or a decimal comma."""
    text = as_text(s)
    decimal = _matches(text, _DECIMAL_COMMA)
    grouped = _matches(text, _THOUSANDS) & ~(decimal & decimal_comma)
    text = text.where(~grouped, text.str.replace(",", "", regex=False))
    text = text.where(grouped | ~decimal, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def _matches(text: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    return text.str.match(pattern).fillna(False).astype(bool)


def parse_coordinate(s: pd.Series, axis: str) -> Parsed:
    """Read longitudes (``axis='lon'``) or latitudes (``'lat'``) in decimal degrees.

    Besides plain numbers (``39,912`` with a decimal comma is 39.912), degrees with a unit
    or hemisphere are read when unambiguous:
    ``116.39°E``, ``39.9 N``, ``33.9 S`` (negative), ``北纬39°54′``, ``116°23'24"E``. A
    hemisphere of the other axis (``N`` in a longitude), a sign together with a hemisphere,
    or minutes above 59 leave the cell unreadable.

    Examples
    --------
    >>> parse_coordinate(pd.Series(["116.39°E", "39 N", "33°54'S"]), "lon").bad.tolist()
    [False, True, True]
    >>> parse_coordinate(pd.Series(["33°54'S", "北纬39.9"]), "lat").values.round(4).tolist()
    [-33.9, 39.9]
    """
    parsed = parse_float(s, decimal_comma=True)
    if not parsed.bad.any():
        return parsed
    text = as_text(s[parsed.bad]).str.upper()
    degrees = _degrees(text.str.extract(_DMS), axis)
    values = parsed.values.copy()
    values.loc[degrees.index] = degrees.to_numpy()
    return Parsed(values, parsed.missing, parsed.bad & values.isna())


def _degrees(parts: pd.DataFrame, axis: str) -> pd.Series:
    hemis = _HEMISPHERES[axis]
    pre, post = parts["pre"], parts["post"]
    hemi = pre.fillna(post)
    minutes = pd.to_numeric(parts["min"], errors="coerce")
    seconds = pd.to_numeric(parts["sec"], errors="coerce")
    value = (
        pd.to_numeric(parts["deg"], errors="coerce")
        + minutes.fillna(0.0) / 60.0
        + seconds.fillna(0.0) / 3600.0
    )
    sign = hemi.map(hemis).fillna(1.0).astype(float)
    sign = sign.where(parts["sign"] != "-", -1.0)
    ambiguous = (
        (pre.notna() & post.notna())  # two hemispheres
        | (hemi.notna() & ~hemi.isin(list(hemis)))  # the other axis's hemisphere
        | (hemi.notna() & parts["sign"].notna())  # both a sign and a hemisphere
        | (minutes >= 60)
        | (seconds >= 60)
        | (parts["deg"].str.contains(".", regex=False).fillna(False).astype(bool) & minutes.notna())
    )
    return (value * sign).where(~ambiguous).astype(float)


def parse_count(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read whole counts from 0 to :data:`MAX_COUNT` as nullable ``Int64``; return them and a
    mask of unreadable cells (not a number, negative, fractional, or implausibly large).

    Examples
    --------
    >>> counts, bad = parse_count(pd.Series(["12", "12.0", "-3", "x", ".", "1e20"]))
    >>> counts.tolist(), bad.tolist()
    ([12, 12, <NA>, <NA>, <NA>, <NA>], [False, False, True, True, False, True])
    """
    parsed = parse_float(s)
    values = parsed.values
    usable = (
        np.isfinite(values) & (values >= 0) & (values <= MAX_COUNT) & (values == np.floor(values))
    )
    bad = parsed.bad | (values.notna() & ~usable)
    return values.where(usable).astype("Int64"), bad


def label_key(label: object) -> str:
    """The form in which area labels are compared: NFKC-normalised, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", str(label)).strip().casefold()


def area_mapping(area_values: Mapping[object, object] | None) -> dict[str, str] | None:
    """Check ``area_values=`` (label -> 'urban' / 'rural') and key it by :func:`label_key`.

    Examples
    --------
    >>> area_mapping({" Bandar ": "urban", "Luar Bandar": "Rural"})
    {'bandar': 'urban', 'luar bandar': 'rural'}
    >>> area_mapping({"Bandar": "city"})
    Traceback (most recent call last):
    ...
    geogroup.errors.InputError: area_values: 'Bandar' -> 'city'; each label must map to ...
    """
    if area_values is None:
        return None
    if not isinstance(area_values, Mapping):
        raise InputError(
            "area_values must map the file's labels to 'urban' or 'rural', e.g. "
            f"{{'Bandar': 'urban', 'Luar Bandar': 'rural'}}; got {type(area_values).__name__}."
        )
    mapping: dict[str, str] = {}
    for label, value in area_values.items():
        key, meaning = label_key(label), label_key(value)
        if not key or meaning not in schema.AREA_VALUES:
            raise InputError(
                f"area_values: {label!r} -> {value!r}; each label must map to 'urban' or "
                "'rural', and a label cannot be blank."
            )
        if mapping.get(key, meaning) != meaning:
            raise InputError(
                f"area_values: {label!r} is given twice (labels are compared ignoring case "
                "and surrounding spaces), once as urban and once as rural; give it once."
            )
        mapping[key] = meaning
    return mapping


def normalise_area(
    s: pd.Series, mapping: Mapping[str, str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map area labels to ``'urban'`` / ``'rural'``; return them and a mask of unknown labels.

    ``mapping`` (from :func:`area_mapping`) is tried first, so a caller may give any label,
    even one read otherwise. Then English words in any case, the Chinese terms 城区, 城镇,
    城市, 市区, 县城, 镇区 (urban) and 乡村, 农村, 乡镇, 村 (rural), and the national
    statistical codes (1xx urban, 2xx rural) are understood. Placeholders are missing;
    anything else is unknown (and missing).

    Examples
    --------
    >>> values, unknown = normalise_area(pd.Series(["URBAN", "农村", "121", ".", "suburb"]))
    >>> values.tolist(), unknown.tolist()
    (['urban', 'rural', 'urban', nan, nan], [False, False, False, False, True])
    >>> normalise_area(pd.Series(["Bandar", "luar bandar"]), {"bandar": "urban",
    ...     "luar bandar": "rural"})[0].tolist()
    ['urban', 'rural']
    """
    text = as_text(s).str.casefold()
    mapped = (text.map(dict(mapping)) if mapping else pd.Series(np.nan, index=s.index)).astype(
        "str"
    )
    missing = missing_mask(s) & mapped.isna()
    text = text.where(~missing)
    code = text.str.extract(_AREA_CODE)[0].map({"1": schema.URBAN, "2": schema.RURAL})
    values = mapped.fillna(text.map(_AREA_WORDS)).fillna(code).astype("str")
    return values, values.isna() & ~missing


def normalise_level(s: pd.Series) -> pd.Series:
    """Map school levels to lower-case English; unrecognised levels are lower-cased as given.

    ``PRIMARY SCHOOL`` and 小学 are ``'primary'``; 初中 and 初级中学 ``'middle'``;
    ``SECONDARY SCHOOL``, 高中 and 高级中学 ``'secondary'``; 九年一贯制(学校) ``'nine-year'``;
    十二年一贯制 ``'twelve-year'``; ``COMBINED SCHOOL`` ``'combined'``; ``INTERMEDIATE
    SCHOOL`` ``'intermediate'``. A bare 中学 is kept as ``'中学'``: it may be a complete
    middle school with senior grades, so it is not guessed.

    Examples
    --------
    >>> levels = pd.Series(["PRIMARY SCHOOL", "九年一贯制学校", "Special School", "."])
    >>> normalise_level(levels).tolist()
    ['primary', 'nine-year', 'special school', nan]
    """
    missing = missing_mask(s)
    text = as_text(s).str.casefold().where(~missing)
    key = text.str.replace(r"[\s\-]+", "_", regex=True).str.replace(_LEVEL_SUFFIX, "", regex=True)
    return key.map(_LEVEL_WORDS).fillna(text).astype("str")


def parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read yes/no flags (1/0, true/false, yes/no, 是/否, √); missing is False.

    Returns the flags and a mask of cells that are neither (also False).

    Examples
    --------
    >>> flags, bad = parse_bool(pd.Series(["1", "是", "no", "", "maybe"]))
    >>> flags.tolist(), bad.tolist()
    ([True, True, False, False, False], [False, False, False, False, True])
    """
    if is_bool_dtype(s):
        return s.fillna(False).astype(bool), pd.Series(False, index=s.index)
    missing = missing_mask(s)
    text = normalise_id(s).str.casefold()
    flags = text.isin(YES_WORDS)
    bad = ~(flags | text.isin(NO_WORDS) | missing)
    return flags.astype(bool), bad


def normalise_id(s: pd.Series) -> pd.Series:
    """Ids and labels as trimmed text; numbers lose a ``.0`` (``200300002.0`` -> ``'200300002'``).

    Examples
    --------
    >>> normalise_id(pd.Series([200300002.0, None])).tolist()
    ['200300002', nan]
    >>> normalise_id(pd.Series([" 0012 ", "7.00", "NA"])).tolist()
    ['0012', '7', nan]
    """
    if _is_number_column(s):
        missing = s.isna()
        integral = np.isfinite(s) & (s == np.floor(s))
        as_int = s.where(integral).astype("str").str.replace(_INTEGRAL_TEXT, r"\1", regex=True)
        return as_int.where(integral, s.astype("str")).where(~missing).astype("str")
    text = s.astype("str")
    # ASCII letters and digits (nearly every id) need no normalising, only the placeholder test.
    plain = (text.str.isascii() & text.str.isalnum()).fillna(False).to_numpy(dtype=bool)
    out = text.where(~text.str.casefold().isin(PLACEHOLDERS))
    rest = ~plain
    if rest.any():
        cells = text[rest]
        clean = as_text(cells).where(~missing_mask(cells))
        out[rest] = clean.str.replace(_INTEGRAL_TEXT, r"\1", regex=True).to_numpy()
    return out.astype("str")


# --------------------------------------------------------------------------- problems


def display_values(s: pd.Series) -> pd.Series:
    """Cells as text for the report; missing cells are ''."""
    return s.astype("str").fillna("")


class _PairRows:
    def __init__(self, pairs: CellPairs) -> None:
        self.pairs = pairs

    def __getitem__(self, rows: np.ndarray | pd.Series | list[int]) -> pd.Series:
        first = display_values(self.pairs.first.iloc[rows])
        second = display_values(self.pairs.second.iloc[rows])
        return first + ", " + second


@dataclass(frozen=True)
class CellPairs:
    """Two columns shown as ``'a, b'`` (a longitude and a latitude), made only for the rows
    asked for through ``.iloc``: a large file has millions of rows and few problems.

    Examples
    --------
    >>> CellPairs(pd.Series([116.4, None]), pd.Series(["39.9", "40"])).iloc[[0, 1]].tolist()
    ['116.4, 39.9', ', 40']
    """

    first: pd.Series
    second: pd.Series

    @property
    def iloc(self) -> _PairRows:
        """Rows by position or boolean mask, as text."""
        return _PairRows(self)


@dataclass
class ProblemLog:
    """Problems found in rows, one entry per (row, column, reason)."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(
        self,
        mask: pd.Series | np.ndarray,
        column: str,
        values: pd.Series | CellPairs,
        reason: str | pd.Series,
    ) -> None:
        """Record ``reason`` for every position where ``mask`` is True."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        reasons = reason.to_numpy()[mask] if isinstance(reason, pd.Series) else reason
        self.parts.append(
            pd.DataFrame(
                {
                    "pos": np.flatnonzero(mask),
                    "column": column,
                    "value": display_values(values.iloc[mask]).to_numpy(),
                    "reason": reasons,
                }
            )
        )

    def positions(self) -> np.ndarray:
        """Distinct positions with at least one problem."""
        if not self.parts:
            return np.empty(0, dtype=int)
        return np.unique(np.concatenate([p["pos"].to_numpy() for p in self.parts]))

    def frame(self) -> pd.DataFrame:
        """All problems, ordered by position (and, within a row, by the order found)."""
        if not self.parts:
            return pd.DataFrame(
                {
                    "pos": pd.Series(dtype=int),
                    "column": pd.Series(dtype="str"),
                    "value": pd.Series(dtype="str"),
                    "reason": pd.Series(dtype="str"),
                }
            )
        problems = pd.concat(self.parts, ignore_index=True)
        return problems.sort_values("pos", kind="stable", ignore_index=True)
