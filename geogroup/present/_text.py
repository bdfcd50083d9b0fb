"""Text from the input on its way out: escaped for a page (:func:`escape`,
:func:`script_json`), stripped of control characters for a terminal (:func:`printable`)."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any

import pandas as pd

__all__ = ["escape", "is_missing", "printable", "script_json"]

# Escape sequences a terminal acts on: CSI (colours, cursor moves, erasing), OSC (window
# titles, hyperlinks), DCS/SOS/PM/APC strings, two-byte escapes, and the 8-bit CSI.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Marks that reorder the text shown around them ("Trojan Source"): dropped as well.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BREAKS = frozenset("\t\n\r\v\f\x85\u2028\u2029")

# Characters that JSON leaves alone but an HTML <script> element or old JavaScript does not:
# "</script>" or "<!--" would end or hide the script, U+2028/9 end a line in ES5 strings.
_SCRIPT_UNSAFE = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def escape(value: Any) -> str:
    """``value`` as HTML text, quotes escaped too (the page JavaScript un-escapes these five
    entities for the search labels: keep them in step)."""
    return html.escape(str(value), quote=True)


def is_missing(value: Any) -> bool:
    """None, NaN, NA or NaT (a string never is)."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def script_json(value: Any) -> str:
    """JSON that is safe inside an HTML <script> element.

    Examples
    --------
    >>> script_json({"name": "</script>"})
    '{"name": "\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False)
    for char, code in _SCRIPT_UNSAFE:
        text = text.replace(char, code)
    return text


def printable(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` safe to print on a terminal: escape sequences and control characters
    removed, tabs and line breaks turned into spaces (line feeds kept with
    ``keep_newlines``), bidirectional overrides dropped; other text, spaces and CJK
    included, as it is.

    Examples
    --------
    >>> printable("\\x1b[31m红旗小学\\x1b[0m\\tNo.\\x07 2")
    '红旗小学 No. 2'
    >>> printable("a\\r\\nb", keep_newlines=True)
    'a \\nb'
    """
    text = str(text)
    if text.isprintable():
        return text
    kept = []
    for char in _ESCAPES.sub("", text):
        if char == "\n" and keep_newlines:
            kept.append(char)
        elif char in _BREAKS:
            kept.append(" ")
        elif char not in _BIDI and unicodedata.category(char) != "Cc":
            kept.append(char)
    return "".join(kept)
