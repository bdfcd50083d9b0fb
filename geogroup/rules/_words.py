"""Words in cells: the yes-words, the no-words and the placeholders that mean "missing"."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from numpy.typing import NDArray

YES_WORDS = frozenset({"1", "true", "t", "yes", "y", "是", "√", "✓", "✔"})
"""Cells that mean yes (compared after trimming and case folding; 1.0 reads as 1)."""
NO_WORDS = frozenset({"0", "false", "f", "no", "n", "否", "×", "✗"})
"""Cells that mean no."""
PLACEHOLDERS = frozenset(
    {"", ".", "-", "na", "n/a", "nan", "null", "none", "#n/a", "无", "空", "not applicable"}
)
"""Cells that mean "missing" in every contract column (case-insensitive)."""


_WHOLE = re.compile(r"^([-+]?\d+)\.0*$")  # "1.0" is 1, as a spreadsheet wrote it


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def words(values: pd.Series | NDArray | list) -> NDArray[np.object_]:
    """Cells as trimmed, case-folded text; whole numbers without ``.0``; None when missing.

    Examples
    --------
    >>> words([" Yes", 1.0, "1.0", None, "N/A", "√"]).tolist()
    ['yes', '1', '1', None, None, '√']
    """
    out = []
    for v in pd.Series(values, dtype=object).tolist():
        if _missing(v):
            out.append(None)
            continue
        if isinstance(v, bool | np.bool_):
            out.append("1" if v else "0")
            continue
        if isinstance(v, int | float | np.integer | np.floating) and float(v).is_integer():
            out.append(str(int(v)))
            continue
        text = str(v).strip().casefold()
        whole = _WHOLE.match(text)
        out.append(None if text in PLACEHOLDERS else whole.group(1) if whole else text)
    return np.array(out, dtype=object)


def yes_no(values: pd.Series | NDArray | list) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Yes/no flags of a column and a mask of cells that are neither (missing reads as no).

    Examples
    --------
    >>> flags, odd = yes_no(["1", "是", "no", "", "√", "maybe"])
    >>> flags.tolist(), odd.tolist()
    ([True, True, False, False, True, False], [False, False, False, False, False, True])
    """
    text = words(values)
    flags = np.array([t in YES_WORDS for t in text], dtype=bool)
    odd = np.array([t is not None and t not in YES_WORDS and t not in NO_WORDS for t in text])
    return flags, odd.astype(bool)


def words_kept(values: pd.Series) -> NDArray[np.object_]:
    """Cells as trimmed text with their case and digits as written; None when missing."""
    out = []
    seen: dict[str, str | None] = {}  # a column repeats few words: each is trimmed once
    for v in values.astype(object).tolist():
        if type(v) is str and v in seen:
            out.append(seen[v])
            continue
        if _missing(v):
            out.append(None)
            continue
        word = v
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = str(v).strip()
        kept = None if text.casefold() in PLACEHOLDERS else text
        if type(word) is str:
            seen[word] = kept
        out.append(kept)
    return np.array(out, dtype=object)
