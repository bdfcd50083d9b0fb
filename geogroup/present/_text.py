"""Text that reaches a map page: every string from the input is escaped on its way in."""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd

__all__ = ["escape", "is_missing", "script_json"]

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
