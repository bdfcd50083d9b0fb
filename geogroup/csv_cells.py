"""Text cells of a CSV file that a spreadsheet would run as a formula.

A school's name such as ``=HYPERLINK(…)`` or ``@cmd`` opens as a formula in Excel or
LibreOffice. Every text cell and header that would is written with a leading single quote
(as OWASP advises for CSV injection), and read back without it, so that the text is what it
was: :func:`csv_safe` and :func:`csv_restored`. Both are vectorised: a column is looked at
cell by cell only where a cell starts like a formula (nearly never).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["csv_restored", "csv_safe", "formula_like", "safe_cells"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# What a cell that may need quoting (or unquoting) starts with: quotes, then a formula sign.
_MAY_QUOTE = r"'*[=+\-@\t\r]"
_MAY_UNQUOTE = r"''*[=+\-@\t\r]"
_FIRST = np.array(list("'=+-@\t\r"))  # how a cell that may need quoting starts


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


def _is_text(dtype: Any) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def _candidates(values: pd.Series, start: str) -> pd.Series:
    """Cells that are text and start with ``start`` (a regular expression)."""
    try:
        found = values.str.match(start)
    except AttributeError:  # a column of objects that are not text (all booleans, say)
        return pd.Series(False, index=values.index)
    return found.fillna(False).astype(bool)


def _map_text(frame: pd.DataFrame, func: Callable[[Any], Any], start: str) -> pd.DataFrame:
    """``frame`` with ``func`` applied to its text cells that match ``start`` and to its
    headers; a column none of whose cells changes keeps its dtype."""
    out = frame.copy(deep=False)
    for i, dtype in enumerate(frame.dtypes):
        if not _is_text(dtype):
            continue
        values = frame.iloc[:, i]
        may = _candidates(values, start)
        if not may.any():
            continue
        at = may.to_numpy().nonzero()[0]
        mapped = [func(v) for v in values.iloc[at]]
        if all(m is v for m, v in zip(mapped, values.iloc[at], strict=True)):
            continue
        column = values.astype(object).copy()
        column.iloc[at] = mapped
        out.isetitem(i, column)
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
    return _map_text(frame, _quoted, _MAY_QUOTE)


def csv_restored(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a CSV written with :func:`csv_safe`, with the quotes it added
    removed, so the text is what it was.

    Examples
    --------
    >>> csv_restored(pd.DataFrame({"name": ["'=cmd", "'ok", "-1"]}))["name"].tolist()
    ['=cmd', "'ok", '-1']
    """
    return _map_text(frame, _unquoted, _MAY_UNQUOTE)


def safe_cells(values: np.ndarray) -> np.ndarray:
    """An array of cells (any shape, objects) with every text cell a spreadsheet would run
    as a formula quoted, as :func:`csv_safe` quotes a frame's; the array itself when none
    is. Only cells whose first character could start a formula are looked at one by one.

    Examples
    --------
    >>> safe_cells(np.array([["=1+2", 3.5], [None, "ok"]], dtype=object)).tolist()
    [["'=1+2", 3.5], [None, 'ok']]
    """
    flat = values.ravel()
    if not flat.size:
        return values
    # str() of every cell, cut to its first character, in C: numbers and None too, which
    # the exact test below then leaves alone.
    first = flat.astype("U1")
    at = np.flatnonzero(np.isin(first, _FIRST))
    if not at.size:
        return values
    mapped = [_quoted(v) for v in flat[at]]
    changed = [i for i, m in zip(at, mapped, strict=True) if m is not flat[i]]
    if not changed:
        return values
    out = flat.copy()
    out[changed] = [_quoted(v) for v in flat[changed]]
    return out.reshape(values.shape)
