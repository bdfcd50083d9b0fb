"""What the command prints: data made safe for a terminal, and aligned tables.

Names, ids and messages come from the user's files; a name holding an ANSI escape
sequence could recolour the terminal, move the cursor, rewrite the window title or hide
what precedes it, so every printed line passes through :func:`printable` first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import click
import pandas as pd

__all__ = ["echo", "printable", "table"]

# Escape sequences are removed whole: stripping only the ESC byte would leave "[31m" behind.
# CSI (ESC [ or the C1 byte 0x9b), then strings ended by BEL or ST (OSC, DCS, SOS, PM,
# APC: a title or a hyperlink; never past a line end, so an unterminated one hides no more
# than its line), then two-byte escapes.
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# C0 and C1 controls and DEL, except tab and newline; CR too, which returns to the start
# of the line and lets what follows overwrite what was printed.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BLANKS = re.compile(r"\s+")
MISSING = "—"


def printable(value: Any, *, one_line: bool = False) -> str:
    """``value`` as text without control characters and escape sequences.

    Tab and newline stay unless ``one_line``, when every run of white space becomes one
    space (for a table cell or a one-line message).

    Examples
    --------
    >>> printable("\\x1b[31mred\\x1b[0m school\\x07")
    'red school'
    >>> printable("two\\nlines", one_line=True)
    'two lines'
    """
    text = _CONTROLS.sub("", _SEQUENCES.sub("", str(value)))
    return _BLANKS.sub(" ", text).strip() if one_line else text


def echo(message: Any = "", *, err: bool = False, one_line: bool = False) -> None:
    """Print a line made :func:`printable`."""
    click.echo(printable(message, one_line=one_line), err=err)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for a wide (CJK) character, none for a
    combining mark."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` columns, an ellipsis marking the cut."""
    if width(text) <= limit:
        return text
    out, used = [], 0
    for c in text:
        used += width(c)
        if used > limit - 1:
            break
        out.append(c)
    return "".join(out) + "…"


def cell(value: Any) -> str:
    """A value as the text of a table cell: one printable line, a dash when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return printable(value, one_line=True) or MISSING


def table(head: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 32) -> list[str]:
    """The lines of a table: a header, a rule under it, then the rows, columns aligned
    by display width and each cell cut at ``max_width`` columns.

    Examples
    --------
    >>> print("\\n".join(table(["id", "name"], [["S1", "第一小学"]])))
    id  name
    --  --------
    S1  第一小学
    """
    texts = [[_fit(cell(v), max_width) for v in row] for row in rows]
    header = [_fit(cell(h), max_width) for h in head]
    widths = [max(width(r[i]) for r in [header, *texts]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in texts)]
