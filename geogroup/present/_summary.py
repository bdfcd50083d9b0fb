"""The one-page summary of a plan for a meeting: A4 landscape, as PDF or PNG, in Chinese or
English.

Left, the map of the groups on the county outline (:mod:`._summary_map`); right, the key
figures in plain words (:func:`._sentences.key_figures`: groups, coverage against the
policy's target, balance, distances, pairing, exchange, value added, the rule check, the
schools left out and why) and a chart of each group's mean quality against the county mean
(:func:`geogroup.charts.balance`), beside the value-added chart when two years of scores
were given. The same plan gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from geogroup.errors import InputError
from geogroup.evaluate import Comparison, ValueAdded
from geogroup.outputs import atomic_write
from geogroup.plan import Plan
from geogroup.policy import Policy
from geogroup.present import charts
from geogroup.present._fonts import chart_style, heavy
from geogroup.present._labels import LABELS, label
from geogroup.present._layout import measurer, wrap_text
from geogroup.present._measure import Measured, measure
from geogroup.present._report import report_writers
from geogroup.present._sentences import key_figures
from geogroup.present._summary_map import draw_map

__all__ = [
    "A4_LANDSCAPE",
    "FORMATS",
    "meeting_writers",
    "summary_figure",
    "summary_files",
    "summary_page",
    "summary_writers",
]

A4_LANDSCAPE = (297 / 25.4, 210 / 25.4)
"""The page, in inches."""

FORMATS = {".pdf": "pdf", ".png": "png"}
_DPI = 150  # the PNG: 1754 × 1240 pixels, sharp enough on a screen and a projector
_METADATA = {
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": "geogroup"},
    "png": {"Software": "geogroup"},
}
_TEXT_X, _TEXT_W = 0.505, 0.462  # the right column, in figure fractions
_CHART_BOTTOM, _CHART_MIN = 0.09, 0.24  # the chart under the key figures
_SIZES = (8.5, 7.6, 6.8, 6.0)  # type sizes of the key figures, largest that fits


def _key_figures(fig: Any, lines: list[str], top: float, bottom: float) -> float:
    """The key figures as bullets in the right column from ``top`` down (figure
    fractions), in the largest type that ends above ``bottom``; returns where they end."""
    page_w, page_h = (inches * 72.0 for inches in A4_LANDSCAPE)
    bullet, indent = "•  ", 11.0  # points
    for size in _SIZES:
        measure = measurer(size)
        wrapped = [wrap_text(line, _TEXT_W * page_w - indent - 4.0, measure) for line in lines]
        step = 1.42 * size / page_h
        gap = 0.35 * size / page_h
        end = top - sum(len(w) for w in wrapped) * step - gap * len(lines)
        if end >= bottom:
            break
    y = top
    for parts in wrapped:
        fig.text(_TEXT_X + 0.004, y, bullet, fontsize=size, va="top", color="#222")
        for part in parts:
            fig.text(
                _TEXT_X + 0.004 + indent / page_w, y, part, fontsize=size, va="top", color="#222"
            )
            y -= step
        y -= gap
    return y


def summary_figure(measured: Measured, *, lang: str = "zh", boundary: Any = None) -> Any:
    """The summary page of a measured plan as a matplotlib Figure (A4 landscape)."""
    from matplotlib.figure import Figure

    if lang not in LABELS:
        raise InputError(f"lang: expected one of {', '.join(LABELS)}, got {lang!r}")
    with chart_style(lang):
        fig = Figure(figsize=A4_LANDSCAPE)
        fig.text(
            0.025, 0.963, label("sum_title", lang), fontsize=15, fontweight=heavy(lang), va="top"
        )
        status = label(f"v:{measured.status}", lang)
        fig.text(
            0.025,
            0.925,
            label("sum_subtitle", lang).format(
                policy=measured.policy.name, method=measured.method, status=status
            ),
            fontsize=8.5,
            color="#444",
            va="top",
        )
        ax = fig.add_axes((0.015, 0.045, 0.475, 0.855))
        draw_map(ax, measured.view, measured.plan, lang, boundary)
        fig.text(
            _TEXT_X,
            0.905,
            label("key_figures", lang),
            fontsize=10.5,
            fontweight=heavy(lang),
            va="top",
        )
        end = _key_figures(
            fig, key_figures(measured, lang), 0.872, _CHART_BOTTOM + _CHART_MIN + 0.07
        )
        _charts(fig, measured, lang, top=min(end - 0.07, 0.5))
        fig.text(0.025, 0.012, label("sum_footer", lang), fontsize=6.5, color="#666")
    return fig


def _charts(fig: Any, measured: Measured, lang: str, top: float) -> None:
    """The balance chart (and the value-added one beside it) from ``top`` down, their
    titles wrapped to their width."""
    height = top - _CHART_BOTTOM - 0.03  # room for a second line of title
    if measured.value_added is None:
        ax = fig.add_axes((0.555, _CHART_BOTTOM, 0.425, height))
        charts.balance(measured.view, ax=ax, lang=lang, orientation="vertical")
        _wrap_title(ax)
        return
    ax = fig.add_axes((0.555, _CHART_BOTTOM, 0.2, height))
    charts.balance(measured.view, ax=ax, lang=lang, orientation="vertical")
    other = fig.add_axes((0.815, _CHART_BOTTOM, 0.165, height))
    charts.value_added(measured.value_added, ax=other, lang=lang)
    for each in (ax, other):
        _wrap_title(each)


def _wrap_title(ax: Any) -> None:
    title = ax.get_title()
    size = ax.title.get_fontsize()
    width = ax.get_position().width * A4_LANDSCAPE[0] * 72.0
    ax.set_title("\n".join(wrap_text(title, width, measurer(size))), fontsize=size)


def figure_bytes(fig: Any, fmt: str) -> bytes:
    """The file of ``fig`` in ``fmt`` (``'pdf'`` or ``'png'``): no date in it, so the same
    page gives the same bytes."""
    raw = io.BytesIO()
    fig.savefig(raw, format=fmt, dpi=_DPI, metadata=_METADATA[fmt])
    return raw.getvalue()


def summary_files(
    measured: Measured, *, lang: str = "zh", boundary: Any = None
) -> dict[str, bytes]:
    """The bytes of ``summary.pdf`` and ``summary.png`` by name, from the page drawn once."""
    fig = summary_figure(measured, lang=lang, boundary=boundary)
    with chart_style(lang, warn=False):
        return {f"summary{suffix}": figure_bytes(fig, fmt) for suffix, fmt in FORMATS.items()}


def summary_writers(
    measured: Measured, *, lang: str = "zh", boundary: Any = None, executor: Any = None
) -> dict[str, Callable[[Path], Path]]:
    """The writers of ``summary.pdf`` and ``summary.png`` by name, for
    :func:`~geogroup.outputs.write_set`. The page is drawn here, so a plan that cannot be
    drawn fails before any file is written; or, given an ``executor``
    (:class:`concurrent.futures.Executor` of processes), in one of its processes while this
    one goes on, each writer waiting for the page (a drawing that fails, fails the set)."""
    if executor is None:
        files = summary_files(measured, lang=lang, boundary=boundary)
        return {name: functools.partial(atomic_write, data=data) for name, data in files.items()}
    drawn = executor.submit(_drawn_elsewhere, measured, lang, boundary)
    said: list[bool] = []
    return {
        f"summary{suffix}": functools.partial(
            _write_drawn, drawn=drawn, name=f"summary{suffix}", said=said
        )
        for suffix in FORMATS
    }


def _drawn_elsewhere(measured: Measured, lang: str, boundary: Any) -> tuple[dict, list]:
    """:func:`summary_files` in another process, with the warnings it gave there."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = summary_files(measured, lang=lang, boundary=boundary)
    return files, [(str(w.message), w.category) for w in caught]


def _write_drawn(path: Path, *, drawn: Any, name: str, said: list[bool]) -> Path:
    """Write the file ``name`` of the pages ``drawn`` (a future) at ``path``; the warnings
    of the drawing are given here, once."""
    files, given = drawn.result()
    if not said:
        said.append(True)
        for message, category in given:
            warnings.warn(message, category, stacklevel=2)
    return atomic_write(path, files[name])


def summary_page(
    plan: Plan | pd.DataFrame,
    path: str | Path,
    *,
    lang: str = "zh",
    policy: str | Policy | None = None,
    boundary: Any = None,
    value_added: ValueAdded | None = None,
    scores: tuple[str, str] | None = None,
) -> Path:
    """Draw the one-page summary of a plan for a meeting and write it as PDF or PNG.

    Parameters
    ----------
    plan
        A :class:`~geogroup.plan.Plan` (or a schools frame with ``group_id`` and ``role``).
    path
        The file to write: ``.pdf`` or ``.png`` (A4 landscape; the PNG at 150 dpi).
    lang
        ``'zh'`` or ``'en'``.
    policy
        The policy the plan is measured against (its own when None).
    boundary
        The county outline: a vector file or a GeoDataFrame of polygons; None draws the
        extent of the schools instead (a dashed outline).
    value_added
        A :func:`~geogroup.evaluate.value_added` result, to add its chart and figures;
        ``scores`` names where its two years of scores came from.

    Returns
    -------
    Path
        ``path``, written atomically.

    Examples
    --------
    >>> import tempfile
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     path = gg.summary_page(plan, f"{out}/summary.png", lang="en")
    ...     path.read_bytes()[:4]
    b'\\x89PNG'
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"summary: expected a file name ending in .pdf or .png, got {str(path)!r}")
    measured = measure(plan, policy=policy, value_added=value_added, scores=scores)
    fig = summary_figure(measured, lang=lang, boundary=boundary)
    with chart_style(lang, warn=False):
        data = figure_bytes(fig, fmt)
    return atomic_write(path, data)


def meeting_writers(
    plan: Plan | pd.DataFrame,
    *,
    lang: str = "zh",
    policy: str | Policy | None = None,
    comparison: Comparison | None = None,
    value_added: ValueAdded | None = None,
    scores: tuple[str, str] | None = None,
    boundary: Any = None,
    executor: Any = None,
) -> dict[str, Callable[[Path], Path]]:
    """The writers of every file of a meeting, by name, for
    :func:`~geogroup.outputs.write_set`: ``report.html``, ``report.xlsx``,
    ``metrics.json`` (:func:`~geogroup.present.report_writers`) and ``summary.pdf``,
    ``summary.png`` (:func:`summary_writers`, drawn in a process of ``executor`` when one is
    given), from one measurement of the plan.

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> sorted(meeting_writers(plan, lang="en"))
    ['metrics.json', 'report.html', 'report.xlsx', 'summary.pdf', 'summary.png']
    """
    measured = measure(
        plan, policy=policy, comparison=comparison, value_added=value_added, scores=scores
    )
    # The summary first: given an executor, it is drawn there while this process does the rest.
    summary = summary_writers(measured, lang=lang, boundary=boundary, executor=executor)
    return report_writers(plan, lang=lang, measured=measured) | summary
