"""The chart of the trade-off, drawn with matplotlib.

Across, the mean distance from a school to its lead; up, the balance gap. Points on the
front are filled and joined, dominated points hollow, alternatives drawn as diamonds and the
recommended plan ringed. The same table gives the same PNG and SVG, byte for byte (no
dates, a fixed SVG id salt). Chinese labels need a CJK font; without one the chart is
labelled in English.
"""

from __future__ import annotations

import io
import itertools
from typing import Any

import pandas as pd

from geogroup.scenarios._words import labels

__all__ = ["CJK_FONTS", "chart_bytes", "front_chart"]

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)
_FRONT, _DOMINATED, _ALTERNATIVE, _RING = "#3a6ea5", "#9a9a9a", "#e0893a", "#c0392b"
_MARKERS = {"exact": "o", "fast": "^"}
_SAVING = {"svg.hashsalt": "geogroup-scenarios", "svg.fonttype": "path"}


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    for name in CJK_FONTS:
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:
            continue
        return name
    return None


def _rc(lang: str) -> tuple[dict[str, Any], str]:
    """matplotlib settings for the chart, and the language it can be labelled in."""
    font = _cjk_font() if lang == "zh" else None
    if lang == "zh" and font is None:
        lang = "en"
    # Named families, not "sans-serif": each text keeps them, whenever it is drawn.
    rc = {"font.family": [*([font] if font else []), "DejaVu Sans"], "axes.unicode_minus": False}
    return rc, lang


def front_chart(table: pd.DataFrame, lang: str = "zh") -> Any:
    """The trade-off of a scenarios table (:attr:`Scenarios.table`) as a matplotlib
    ``Figure`` (not attached to pyplot)."""
    import matplotlib
    from matplotlib.figure import Figure

    rc, lang = _rc(lang)
    words = labels(lang)
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(8.0, 5.0), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        _draw(ax, table, words)
        ax.set_xlabel(words["chart_x"])
        ax.set_ylabel(words["chart_y"])
        ax.set_title(words["chart_title"])
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    return fig


def _draw(ax: Any, table: pd.DataFrame, words: dict[str, str]) -> None:
    front = table[(table["kind"] == "front") & table["same_as"].isna()]
    on = front[front["on_front"]].sort_values(["distance_km", "balance_gap"])
    off = front[~front["on_front"]]
    ax.plot(on["distance_km"], on["balance_gap"], color=_FRONT, linewidth=1.2, zorder=1)
    for method, marker in (*_MARKERS.items(), (None, "s")):
        known = list(_MARKERS)
        pick_on = on["method"].isin([method]) if method else ~on["method"].isin(known)
        pick_off = off["method"].isin([method]) if method else ~off["method"].isin(known)
        if pick_on.any():
            ax.scatter(
                on.loc[pick_on, "distance_km"], on.loc[pick_on, "balance_gap"], marker=marker,
                s=46, color=_FRONT, zorder=3, label=f"{words['chart_front']} ({method or 'other'})",
            )  # fmt: skip
        if pick_off.any():
            ax.scatter(
                off.loc[pick_off, "distance_km"], off.loc[pick_off, "balance_gap"], marker=marker,
                s=46, facecolors="none", edgecolors=_DOMINATED, zorder=2,
                label=f"{words['chart_dominated']} ({method or 'other'})",
            )  # fmt: skip
    alternatives = table[table["kind"] == "alternative"]
    if len(alternatives):
        ax.scatter(
            alternatives["distance_km"], alternatives["balance_gap"], marker="D", s=26,
            color=_ALTERNATIVE, alpha=0.85, zorder=2.5, label=words["chart_alternative"],
        )  # fmt: skip
    recommended = table[table["recommended"]]
    ax.scatter(
        recommended["distance_km"], recommended["balance_gap"], marker="o", s=260,
        facecolors="none", edgecolors=_RING, linewidths=1.6, zorder=5,
        label=words["chart_recommended"],
    )  # fmt: skip
    # Labels beside their points: front above right, dominated below right, alternatives
    # below left one under another (they lie close together), so that labels stay readable.
    stagger = itertools.count()
    for row in pd.concat([front, alternatives]).itertuples():
        if row.kind == "alternative":
            text = row.id if pd.isna(row.same_as) else f"{row.id} = {row.same_as}"
            offset, align = (-6, -10 - 8 * next(stagger)), "right"
        else:
            text = f"{row.id} w={row.weight:g}"
            offset, align = ((5, 4), "left") if row.on_front else ((5, -11), "left")
        ax.annotate(
            text, (row.distance_km, row.balance_gap), xytext=offset, ha=align,
            textcoords="offset points", fontsize=7, color="#333333",
        )  # fmt: skip


def chart_bytes(fig: Any, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, the same for the same figure."""
    import matplotlib

    metadata = {"Software": None} if fmt == "png" else {"Date": None}
    buffer = io.BytesIO()
    with matplotlib.rc_context(_SAVING):
        fig.savefig(buffer, format=fmt, dpi=120, metadata=metadata)
    return buffer.getvalue()
