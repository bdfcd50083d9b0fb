"""The report's charts: bar charts laid out here, drawn as inline SVG by the template
(``templates/macros.html.j2``, macro ``bar_chart``), which escapes every text.

Three charts: quality of all schools against group means, group sizes, and member-to-lead
distances.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.present._labels import label

__all__ = ["BarChart", "charts"]

_COLOURS = ("#3a6ea5", "#e0893a")
_WIDTH, _HEIGHT = 640, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 34, 58  # margins around the plot: room for the labels
_MAX_CATEGORY_LABELS = 12


@dataclass(frozen=True)
class Text:
    """A text of a chart at (x, y), in SVG user units."""

    x: str
    y: str
    text: str


@dataclass(frozen=True)
class Bar:
    """One bar, with the tooltip ``title``."""

    x: str
    y: str
    width: str
    height: str
    colour: str
    title: str


@dataclass(frozen=True)
class Category:
    """The bars of one category (one per series) and its label under the axis, if shown."""

    bars: list[Bar]
    label: Text | None


@dataclass(frozen=True)
class Key:
    """An entry of the chart's key: a swatch at ``x`` and the series' name."""

    x: int
    colour: str
    name: str


@dataclass(frozen=True)
class BarChart:
    """A laid-out bar chart: the plot area, ticks, categories, axis title and key."""

    caption: str
    name: str  # what the bars count, the chart's accessible name
    ticks: list[Text]
    categories: list[Category]
    axis: Text
    keys: list[Key]
    width: int = _WIDTH
    height: int = _HEIGHT
    left: int = _LEFT
    top: int = _TOP
    plot_w: int = _WIDTH - _LEFT - _RIGHT
    plot_h: int = _HEIGHT - _TOP - _BOTTOM


def _bars(
    caption: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    x_label: str,
    y_label: str,
    percent: bool = False,
) -> BarChart:
    """A bar chart with one bar per series in each category."""
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    peak = max([v for _, values in series for v in values] + [0.0]) or 1.0
    band = plot_w / max(len(categories), 1)
    bar_w = band * 0.8 / max(len(series), 1)
    ticks = [
        Text(
            str(_LEFT - 6),
            f"{_TOP + plot_h * (1 - frac) + 4:.1f}",
            f"{100 * peak * frac:.0f}%" if percent else f"{peak * frac:.3g}",
        )
        for frac in (0.0, 0.5, 1.0)
    ]
    step = max(1, math.ceil(len(categories) / _MAX_CATEGORY_LABELS))
    columns = []
    for i, category in enumerate(categories):
        bars = []
        for k, (name, values) in enumerate(series):
            h = plot_h * values[i] / peak
            x = _LEFT + i * band + band * 0.1 + k * bar_w
            shown = f"{100 * values[i]:.1f}%" if percent else f"{values[i]:g}"
            bars.append(
                Bar(
                    f"{x:.1f}",
                    f"{_TOP + plot_h - h:.1f}",
                    f"{bar_w:.1f}",
                    f"{h:.1f}",
                    _COLOURS[k % 2],
                    f"{name} {category}: {shown}",
                )
            )
        under = Text(f"{_LEFT + (i + 0.5) * band:.1f}", str(_TOP + plot_h + 16), category)
        columns.append(Category(bars, under if i % step == 0 else None))
    axis = Text(f"{_LEFT + plot_w / 2:.1f}", str(_HEIGHT - 8), x_label)
    keys = [Key(_LEFT + 10 + k * 160, _COLOURS[k % 2], name) for k, (name, _) in enumerate(series)]
    return BarChart(caption, y_label, ticks, columns, axis, keys)


def _histogram(values: Sequence[float], edges: np.ndarray) -> list[float]:
    counts, _ = np.histogram(np.asarray(values, dtype=float), bins=edges)
    return (counts / max(len(values), 1)).tolist()


def _bin_labels(edges: np.ndarray) -> list[str]:
    digits = 0 if (edges[-1] - edges[0]) >= 20 else 1 if (edges[-1] - edges[0]) >= 2 else 2
    return [f"{a:.{digits}f}–{b:.{digits}f}" for a, b in itertools.pairwise(edges)]


def _quality_chart(schools: pd.DataFrame, groups: pd.DataFrame, lang: str) -> BarChart | None:
    quality = schools[S.QUALITY].astype(float).dropna()
    means = groups["mean_quality"].dropna()
    if not (len(quality) and len(means)):
        return None
    low, high = float(quality.min()), float(quality.max())
    edges = np.linspace(low, high if high > low else low + 1.0, 11)
    series = [
        (label("all_schools", lang), _histogram(quality, edges)),
        (label("group_means", lang), _histogram(means, edges)),
    ]
    return _bars(
        label("chart_quality", lang),
        _bin_labels(edges),
        series,
        percent=True,
        x_label=label("quality", lang),
        y_label=label("share", lang),
    )


def _size_chart(groups: pd.DataFrame, lang: str) -> BarChart | None:
    if not len(groups):
        return None
    sizes = groups["size"].value_counts().sort_index()
    return _bars(
        label("chart_sizes", lang),
        [str(s) for s in sizes.index],
        [(label("n_groups", lang), sizes.astype(float).tolist())],
        x_label=label("size_axis", lang),
        y_label=label("n_groups", lang),
    )


def _distance_chart(schools: pd.DataFrame, lang: str) -> BarChart | None:
    if S.ROLE not in schools:
        return None
    km = schools.loc[schools[S.ROLE] == S.MEMBER, S.DISTANCE_KM].dropna()
    if not len(km):
        return None
    edges = np.linspace(0.0, max(float(km.max()), 0.001), 11)
    counts = (np.asarray(_histogram(km, edges)) * len(km)).round().tolist()
    return _bars(
        label("chart_distance", lang),
        _bin_labels(edges),
        [(label("n_schools", lang), counts)],
        x_label=label("km", lang),
        y_label=label("n_schools", lang),
    )


def charts(tables: dict[str, pd.DataFrame], lang: str) -> list[BarChart]:
    """The charts of the report's ``groups`` and ``schools`` tables that have data."""
    groups, schools = tables["groups"], tables["schools"]
    drawn = [
        _quality_chart(schools, groups, lang),
        _size_chart(groups, lang),
        _distance_chart(schools, lang),
    ]
    return [chart for chart in drawn if chart is not None]
