"""Text laid out for matplotlib: its width in points in the charts' fonts, and lines cut to
a width (between CJK characters anywhere, between other words at spaces, never before
closing punctuation)."""

from __future__ import annotations

import functools
from collections.abc import Callable

__all__ = ["measurer", "text_width", "wrap_text"]

_NO_BREAK_BEFORE = set("，。；：、）」』》〉!,.;:)%")  # never at the start of a line


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` cut into lines no wider than ``width`` points (``measure`` gives a token's
    width): between CJK characters anywhere, between other words at spaces, never before
    closing punctuation."""
    lines, line, used = [], "", 0.0
    for token in _tokens(text):
        size = measure(token)
        if used + size > width and line.strip() and token[0] not in _NO_BREAK_BEFORE:
            lines.append(line.rstrip())
            token = token.lstrip()
            line, used, size = "", 0.0, measure(token)
        line += token
        used += size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Words with their leading space, and each CJK character on its own."""
    out: list[str] = []
    for char in text:
        wide = ord(char) >= 0x2E80
        if wide or not out or char == " " or ord(out[-1][-1]) >= 0x2E80:
            out.append(char)
        else:
            out[-1] += char
    return out


def measurer(size: float) -> Callable[[str], float]:
    """The width in points of a text at ``size`` in the fonts of the charts' style now in
    force (:func:`~geogroup.present._fonts.chart_style`)."""
    import matplotlib

    return _measurer(size, tuple(matplotlib.rcParams["font.family"]))


@functools.cache
def _measurer(size: float, family: tuple[str, ...]) -> Callable[[str], float]:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=list(family), size=size)
    engine = TextToPath()

    @functools.cache
    def width(token: str) -> float:
        return float(engine.get_text_width_height_descent(token, prop, ismath=False)[0])

    return width


def text_width(text: str, size: float, lang: str | None = None) -> float:
    """The width of ``text`` in points at ``size`` in the fonts of ``lang``'s charts (or,
    when None, of the charts' style now in force).

    Examples
    --------
    >>> text_width("G01", 7.0, "zh") < text_width("G01 海城市第一小学", 7.0, "zh")
    True
    """
    if lang is None:
        return measurer(size)(text)
    from geogroup.present._fonts import families

    return _measurer(size, tuple(families(lang)))(text)
