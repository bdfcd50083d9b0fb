"""Fonts and style of the charts: a font with Chinese glyphs, found once, and the figures'
fixed settings (so the same plan draws the same bytes).

Matplotlib's own default font (DejaVu Sans) has no Chinese glyphs: a school name or a label
in Chinese would print as empty boxes. :func:`cjk_font` looks for one of the common CJK fonts
(Noto Sans CJK, Source Han Sans, WenQuanYi, Droid Sans Fallback; Microsoft YaHei, SimHei or
PingFang on Windows and macOS), first among the fonts matplotlib knows, then among the font
files of the system (a font installed after matplotlib built its cache). When there is none,
the charts are still drawn, with a warning that says what to install.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "CJK_FAMILIES",
    "NO_CJK_FONT",
    "chart_style",
    "cjk_font",
    "families",
    "heavy",
    "restyle",
]

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Arial Unicode MS",
)
"""Fonts with Chinese glyphs, in order of preference."""

# Parts of the file names of those fonts, for a font that matplotlib's cache does not list yet.
_FILE_HINTS = ("notosanscjk", "notosanssc", "sourcehansans", "wqy-", "droidsansfallback")

NO_CJK_FONT = (
    "no font with Chinese glyphs found: Chinese text in the charts and the summary page will "
    "show as empty boxes. Install one (Debian/Ubuntu: apt-get install fonts-noto-cjk, or "
    "fonts-wqy-microhei; Windows and macOS have one already) and draw it again."
)


@functools.cache
def cjk_font() -> str | None:
    """The family name of a font with Chinese glyphs, or None when the system has none.

    Examples
    --------
    >>> cjk_font() in (None, *CJK_FAMILIES)
    True
    """
    from matplotlib import font_manager

    def known() -> str | None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = known()
    if found is not None:
        return found
    for path in sorted(font_manager.findSystemFonts()):
        if any(hint in Path(path).name.lower().replace("_", "") for hint in _FILE_HINTS):
            with contextlib.suppress(Exception):  # an unreadable font file: try the next one
                font_manager.fontManager.addfont(path)
    return known()


def heavy(lang: str) -> str:
    """``'bold'`` when the first font of ``lang``'s charts has a bold face, else
    ``'normal'`` (WenQuanYi has none: matplotlib would log a complaint for each title).

    Examples
    --------
    >>> heavy("en")
    'bold'
    """
    from matplotlib import font_manager

    family = cjk_font() if lang == "zh" else None
    if family is None:
        return "bold"
    faces = [e for e in font_manager.fontManager.ttflist if e.name == family]
    return "bold" if any(_weight(e.weight) >= 600 for e in faces) else "normal"


def _weight(weight: int | str) -> int:
    names = {"bold": 700, "heavy": 800, "black": 900, "semibold": 600, "demibold": 600}
    return weight if isinstance(weight, int) else names.get(str(weight).lower(), 400)


def families(lang: str) -> list[str]:
    """The fonts of ``lang``'s charts, in order: a CJK font first for Chinese, after DejaVu
    Sans (whose Latin glyphs it keeps) for English."""
    family = cjk_font()
    if family is None:
        return ["DejaVu Sans"]
    return [family, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", family]


def restyle(ax: Any, lang: str) -> None:
    """Give the texts of an Axes made outside :func:`chart_style` (a user's, through
    ``ax=``) the charts' fonts: its title, axis labels, tick labels and legend."""
    fonts = families(lang)
    for text in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label):
        text.set_fontfamily(fonts)
    ax.tick_params(labelfontfamily=fonts)
    legend = ax.get_legend()
    if legend is not None:
        for text in [*legend.get_texts(), legend.get_title()]:
            text.set_fontfamily(fonts)


@contextlib.contextmanager
def chart_style(lang: str = "zh", *, warn: bool = True) -> Iterator[None]:
    """Matplotlib settings for every chart of geogroup, for the time of the block: a CJK
    font (first for Chinese, after DejaVu Sans for English, whose Latin glyphs it keeps),
    small print sizes, and no date or random id in the files, so that the same figure gives
    the same bytes. Warns when no CJK font is found (:data:`NO_CJK_FONT`), unless told not
    to (a figure being saved was warned of when it was drawn)."""
    import matplotlib

    family = cjk_font()
    if family is None and warn:
        warnings.warn(NO_CJK_FONT, UserWarning, stacklevel=3)
    fonts = families(lang)
    settings = {
        # by name, not "sans-serif": a text keeps these when drawn after the block
        "font.family": fonts,
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 7,
        "axes.unicode_minus": False,  # U+2212 is missing from some CJK fonts
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "geogroup",
        "svg.fonttype": "path",  # the page needs no font to show the glyphs
        "pdf.fonttype": 3,  # subset, fast; 42 takes seconds for a CJK font
        "path.simplify": True,
    }
    # A CJK font without a bold face falls back to its regular one; matplotlib logs that.
    fonts_log = logging.getLogger("matplotlib.font_manager")
    level = fonts_log.level
    fonts_log.setLevel(logging.ERROR)
    try:
        with matplotlib.rc_context(settings), warnings.catch_warnings():
            # a missing glyph (no CJK font: said once above; a control character in a
            # name from the user's file) draws as a box, not a warning per character
            warnings.filterwarnings(
                "ignore", message="Glyph .* missing from font", category=UserWarning
            )
            yield
    finally:
        fonts_log.setLevel(level)
