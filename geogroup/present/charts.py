"""Charts of plans on matplotlib: balance, distances, group sizes, two plans side by side,
value added.

Each function draws into ``ax`` when given one (to compose a page of several charts), else
into a new figure, and returns the Axes; the figure is ``ax.figure``. Labels are in Chinese
(``lang='zh'``) or English (``'en'``), from the report's labels (``labels/<lang>.toml``), in
a font with Chinese glyphs when the system has one (:mod:`geogroup.present._fonts`: a
warning says what to install when it has none). The same charts are drawn on the one-page
summary (:func:`geogroup.present.summary_page`), embedded in ``report.html`` and used by the
notebooks.

* :func:`balance` — each group's mean quality against the mean of its unit (the county);
* :func:`distances` — how far members are from their leads, with the policy's cap;
* :func:`group_sizes` — how many groups have each size, against the sizes the policy allows;
* :func:`before_after` — the balance, distances or sizes of two plans on one chart;
* :func:`value_added` — each group's lead–member gap in two years (:func:`geogroup.value_added`);
* :func:`quality` — how a school list's quality is spread, by area or level.

Examples
--------
>>> import geogroup as gg
>>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
>>> ax = gg.charts.balance(plan, lang="en")
>>> [round(float(bar.get_width()), 2) for bar in ax.patches]  # group means - county mean
[0.83, -0.83]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geogroup.evaluate import ValueAdded
from geogroup.plan import Plan
from geogroup.policy import Policy
from geogroup.present._fonts import chart_style, restyle
from geogroup.present._labels import LABELS, label
from geogroup.present._view import PlanView, plan_view

__all__ = [
    "ABOVE",
    "BELOW",
    "balance",
    "before_after",
    "distances",
    "group_sizes",
    "quality",
    "value_added",
]

ABOVE, BELOW = "#3a6ea5", "#e0893a"  # groups above and below their unit's mean
_NEUTRAL = "#5b7f95"
_PAIR = ("#9aa5b1", "#3a6ea5")  # plan A (before), plan B (after)
_LIMIT = 60  # above this many groups, a chart of groups shows their distribution instead
_WHAT = ("balance", "distance", "sizes")

PlanLike = Plan | pd.DataFrame


def _check_lang(lang: str) -> None:
    if lang not in LABELS:
        from geogroup.errors import InputError

        raise InputError(f"lang: expected one of {', '.join(LABELS)}, got {lang!r}")


@contextlib.contextmanager
def _axes(ax: Any, lang: str, size: tuple[float, float]) -> Iterator[Any]:
    """``ax``, or the Axes of a new figure, within the charts' style."""
    _check_lang(lang)
    with chart_style(lang):
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=size, layout="constrained")
        yield ax
        restyle(ax, lang)  # an Axes made before: its title and ticks in the charts' fonts


def _view(plan: PlanLike | PlanView, policy: str | Policy | None) -> PlanView:
    return plan if isinstance(plan, PlanView) else plan_view(plan, policy)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


# --- balance ---------------------------------------------------------------------------------


def balance(
    plan: PlanLike | PlanView,
    policy: str | Policy | None = None,
    *,
    ax: Any = None,
    lang: str = "zh",
    limit: int = _LIMIT,
    orientation: str = "horizontal",
) -> Any:
    """Each group's mean quality against the mean quality of its unit (the county, or the
    ``by`` unit and level the plan was grouped in): one bar per group from the unit mean to
    the group mean, blue above and orange below, sorted from the highest (from the top, or
    from the left with ``orientation='vertical'``: the groups by id only).

    With groups in one unit the axis reads in the unit's quality scale, the unit mean marked;
    across several units each bar is the group mean minus its own unit's mean. Above
    ``limit`` groups, the chart shows how those differences are distributed instead.

    Parameters
    ----------
    plan
        A :class:`~geogroup.plan.Plan` or a schools frame with ``group_id`` and ``role``.
    policy
        The policy whose units count (its ``levels``); the plan's own when None.
    ax
        A matplotlib Axes to draw into; a new figure's when None.
    lang
        ``'zh'`` or ``'en'``.
    limit
        Most groups drawn one bar each.
    orientation
        ``'horizontal'`` bars (labelled with the group and its lead's name) or
        ``'vertical'`` ones (a wide, low chart).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> balance(plan, lang="en").get_title()
    "Each group's mean quality against the county mean"
    """
    if orientation not in ("horizontal", "vertical"):
        from geogroup.errors import InputError

        raise InputError(f"orientation: expected 'horizontal' or 'vertical', got {orientation!r}")
    view = _view(plan, policy)
    groups = view.groups.sort_values(["deviation", "mean_quality"], ascending=False, kind="stable")
    groups = groups.dropna(subset=["deviation"])
    size = (6.4, max(2.4, min(9.0, 0.9 + 0.16 * len(groups))))
    with _axes(ax, lang, size if orientation == "horizontal" else (7.0, 3.2)) as ax:
        if groups.empty:
            _empty(ax, lang)
        elif len(groups) > limit:
            _deviation_histogram(ax, groups["deviation"].to_numpy(float), lang)
        else:
            _balance_bars(ax, groups, view.one_unit, lang, orientation == "vertical")
    return ax


def _balance_bars(ax: Any, groups: pd.DataFrame, one_unit: bool, lang: str, vertical: bool) -> None:
    deviation = groups["deviation"].to_numpy(float)
    base = float(groups["unit_mean"].iloc[0]) if one_unit else 0.0
    colours = [ABOVE if d >= 0 else BELOW for d in deviation]
    span = float(np.nanmax(np.abs(deviation))) or 1.0
    small = 5.5 if len(groups) > 30 else 7
    if vertical:
        x = np.arange(len(groups))
        ax.bar(x, deviation, bottom=base, color=colours, width=0.7)
        ax.axhline(base, color="#333", linewidth=0.8)
        if _points_per_bar(ax, len(groups)) >= small + 1.0:
            ax.set_xticks(x, [str(g) for g in groups.index], rotation=90)
        else:  # too narrow to name each group legibly
            ax.set_xticks([])
            ax.set_xlabel(label("axis_groups_sorted", lang))
        ax.set_xlim(-0.7, len(groups) - 0.3)
        ax.tick_params(axis="x", length=0, labelsize=small)
        ax.set_ylim(base - 1.15 * span, base + 1.15 * span)
    else:
        y = np.arange(len(groups))[::-1]
        ax.barh(y, deviation, left=base, color=colours, height=0.7)
        ax.axvline(base, color="#333", linewidth=0.8)
        ax.set_yticks(y, _group_labels(groups, lang))
        ax.set_ylim(-0.7, len(groups) - 0.3)
        ax.tick_params(axis="y", length=0, labelsize=small + 0.5)
        ax.set_xlim(base - 1.15 * span, base + 1.15 * span)
    if one_unit:
        ax.set_title(label("chart_balance", lang))
        axis = label("axis_group_mean", lang)
        note = label("unit_mean_at", lang).format(mean=_fmt(base))
    else:
        ax.set_title(label("chart_balance_units", lang))
        axis = label("axis_deviation", lang)
        note = label("unit_mean_zero", lang)
    (ax.set_ylabel if vertical else ax.set_xlabel)(axis)
    # the mean's line, named in a legend where the bars leave room (they fall to its right)
    ax.lines[-1].set_label(note)
    ax.legend(loc="upper right" if vertical else "lower right", frameon=False)


def _points_per_bar(ax: Any, n: int) -> float:
    """The width of the Axes in points, shared by ``n`` bars."""
    width = ax.get_position().width * ax.figure.get_figwidth() * 72.0
    return width / max(n, 1)


def _group_labels(groups: pd.DataFrame, lang: str) -> list[str]:
    """``G01 海城市第一小学`` (the lead's name cut to 12 characters), or the id alone."""
    out = []
    for group_id, name in zip(groups.index, groups["lead_name"], strict=True):
        name = str(name)
        short = name if len(name) <= 12 else name[:11] + "…"
        out.append(f"{group_id} {short}" if short and short != str(group_id) else str(group_id))
    return out


def _deviation_histogram(ax: Any, deviation: np.ndarray, lang: str) -> None:
    span = float(np.max(np.abs(deviation))) or 1.0
    edges = np.linspace(-span, span, 31)
    counts, _ = np.histogram(deviation, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    colours = [ABOVE if c >= 0 else BELOW for c in centres]
    ax.bar(centres, counts, width=np.diff(edges) * 0.9, color=colours)
    ax.axvline(0.0, color="#333", linewidth=0.8)
    ax.set_title(label("chart_balance_many", lang).format(n=len(deviation)))
    ax.set_xlabel(label("axis_deviation", lang))
    ax.set_ylabel(label("n_groups", lang))


def _empty(ax: Any, lang: str) -> None:
    ax.text(0.5, 0.5, label("no_data", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


# --- distances -------------------------------------------------------------------------------


def distances(
    plan: PlanLike | PlanView,
    policy: str | Policy | None = None,
    *,
    ax: Any = None,
    lang: str = "zh",
    bins: int = 20,
) -> Any:
    """How far members are from their leads: a histogram of the members' distances (km),
    their mean and 95th percentile marked, and the policy's ``max_distance_km`` when it
    has one.

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> int(sum(bar.get_height() for bar in distances(plan, lang="en").patches))  # 4 members
    4
    """
    view = _view(plan, policy)
    km = view.member_km
    with _axes(ax, lang, (6.4, 3.2)) as ax:
        if not len(km):
            _empty(ax, lang)
            return ax
        cap = view.policy.max_distance_km
        top = max(float(km.max()), cap or 0.0) or 1.0
        counts, edges = np.histogram(km, bins=np.linspace(0.0, top, bins + 1))
        ax.bar(edges[:-1], counts, width=np.diff(edges) * 0.92, align="edge", color=_NEUTRAL)
        marks = [
            (float(km.mean()), "mean_line", "#222", "-"),
            (float(np.percentile(km, 95)), "p95_line", "#222", ":"),
        ]
        if cap is not None:
            marks.append((float(cap), "cap_line", "#b22222", "--"))
        for value, key, colour, style in marks:
            ax.axvline(
                value,
                color=colour,
                linestyle=style,
                linewidth=1.0,
                label=label(key, lang).format(km=_fmt(value)),
            )
        ax.legend(loc="upper right", frameon=False)
        ax.set_title(label("chart_distance", lang))
        ax.set_xlabel(label("km", lang))
        ax.set_ylabel(label("n_schools", lang))
    return ax


# --- group sizes -----------------------------------------------------------------------------


def group_sizes(
    plan: PlanLike | PlanView,
    policy: str | Policy | None = None,
    *,
    ax: Any = None,
    lang: str = "zh",
) -> Any:
    """How many groups have each size (schools, the lead included), with the sizes the
    policy allows shaded (``members`` + 1).

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> [float(bar.get_height()) for bar in group_sizes(plan, lang="en").containers[0]]
    [2.0]
    """
    view = _view(plan, policy)
    sizes = view.groups["size"].value_counts().sort_index()
    with _axes(ax, lang, (6.4, 3.0)) as ax:
        if sizes.empty:
            _empty(ax, lang)
            return ax
        low, high = view.policy.min_members + 1, view.policy.max_members + 1
        if high - low <= 60:
            ax.axvspan(
                low - 0.5, high + 0.5, color="#e8f0e8", zorder=0, label=label("allowed_sizes", lang)
            )
        ax.bar(sizes.index.to_numpy(), sizes.to_numpy(float), color=_NEUTRAL, width=0.7)
        ax.set_xlim(sizes.index.min() - 1, sizes.index.max() + 1)
        ax.set_title(label("chart_sizes", lang))
        ax.set_xlabel(label("size_axis", lang))
        ax.set_ylabel(label("n_groups", lang))
        ax.legend(loc="upper left", frameon=False)
    return ax


# --- two plans -------------------------------------------------------------------------------


def before_after(
    a: PlanLike | PlanView,
    b: PlanLike | PlanView,
    *,
    what: str = "balance",
    policy: str | Policy | None = None,
    names: Sequence[str] = ("A", "B"),
    ax: Any = None,
    lang: str = "zh",
) -> Any:
    """Two plans on one chart (``a`` before, grey; ``b`` after, blue): ``what='balance'``
    the distribution of the group means minus their unit means, ``'distance'`` of the
    members' distances to their leads, ``'sizes'`` of the group sizes.

    Examples
    --------
    >>> import geogroup as gg
    >>> schools = gg.toy_schools()
    >>> a = gg.propose(schools, gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> b = gg.propose(schools, gg.Policy(members=(1, 4), leads="top:0.34"))
    >>> before_after(a, b, what="sizes", names=("2+2", "1+4"), lang="en").get_legend_handles_labels()[1]
    ['2+2', '1+4']
    """
    if what not in _WHAT:
        from geogroup.errors import InputError

        raise InputError(f"what: expected one of {', '.join(_WHAT)}, got {what!r}")
    views = [_view(a, policy), _view(b, policy)]
    if what == "balance":
        data = [v.groups["deviation"].dropna().to_numpy(float) for v in views]
    elif what == "distance":
        data = [v.member_km for v in views]
    else:
        data = [v.groups["size"].to_numpy(float) for v in views]
    with _axes(ax, lang, (6.4, 3.2)) as ax:
        if not any(len(d) for d in data):
            _empty(ax, lang)
            return ax
        _paired(ax, data, what, [str(n) for n in names])
        ax.set_title(label(f"chart_compare_{what}", lang))
        ax.set_xlabel(
            label({"balance": "axis_deviation", "distance": "km", "sizes": "size_axis"}[what], lang)
        )
        ax.set_ylabel(label("n_groups" if what != "distance" else "n_schools", lang))
        ax.legend(loc="upper right", frameon=False)
    return ax


def _paired(ax: Any, data: list[np.ndarray], what: str, names: list[str]) -> None:
    values = np.concatenate([d for d in data if len(d)])
    if what == "sizes":
        sizes = np.arange(int(values.min()), int(values.max()) + 1)
        for k, d in enumerate(data):
            counts = np.array([(d == s).sum() for s in sizes], dtype=float)
            ax.bar(sizes + (k - 0.5) * 0.38, counts, width=0.36, color=_PAIR[k], label=names[k])
        return
    low = 0.0 if what == "distance" else -float(np.max(np.abs(values))) or -1.0
    high = float(np.max(values)) if what == "distance" else -low
    edges = np.linspace(low, high if high > low else low + 1.0, 26)
    for k, d in enumerate(data):
        counts, _ = np.histogram(d, bins=edges)
        ax.stairs(
            counts,
            edges,
            color=_PAIR[k],
            linewidth=1.6 if k else 1.2,
            label=names[k],
            fill=k == 0,
            alpha=0.55 if k == 0 else 1.0,
        )
    if what == "balance":
        ax.axvline(0.0, color="#333", linewidth=0.8)


# --- quality of a school list ------------------------------------------------------------------


def quality(
    schools: PlanLike,
    *,
    by: str | None = None,
    ax: Any = None,
    lang: str = "zh",
    bins: int = 12,
) -> Any:
    """How the schools' quality is spread: a histogram, one series per value of ``by`` (such
    as ``'area'``: urban and rural side by side), the mean of all schools marked.

    Examples
    --------
    >>> import geogroup as gg
    >>> ax = quality(gg.toy_schools(), by="area", lang="en")
    >>> ax.get_legend_handles_labels()[1]
    ['rural', 'urban', 'mean 67.5']
    """
    frame = schools.schools if isinstance(schools, Plan) else schools
    values = pd.to_numeric(frame["quality"], errors="coerce")
    with _axes(ax, lang, (6.4, 3.0)) as ax:
        known = values.dropna()
        if known.empty:
            _empty(ax, lang)
            return ax
        low, high = float(known.min()), float(known.max())
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
        if by is None:
            series = [(label("all_schools", lang), known.to_numpy(float))]
        else:
            keys = frame[by].astype(object).where(frame[by].notna(), "—")
            series = [
                (LABELS[lang].get(f"v:{k}", str(k)), values[keys == k].dropna().to_numpy(float))
                for k in sorted(keys.unique(), key=str)
            ]
        colours = [_NEUTRAL, "#e0893a", "#59a14f", "#b07aa1", "#9c755f"]
        ax.hist(
            [s for _, s in series],
            bins=edges,
            label=[n for n, _ in series],
            color=[colours[k % len(colours)] for k in range(len(series))],
        )
        ax.axvline(
            float(known.mean()),
            color="#222",
            linewidth=1.0,
            label=label("mean_quality_line", lang).format(mean=_fmt(float(known.mean()))),
        )
        ax.set_title(label("chart_quality", lang))
        ax.set_xlabel(label("quality", lang))
        ax.set_ylabel(label("n_schools", lang))
        ax.legend(loc="upper left", frameon=False)
    return ax


# --- value added -----------------------------------------------------------------------------


def value_added(result: ValueAdded, *, ax: Any = None, lang: str = "zh", limit: int = 40) -> Any:
    """Each group's quality gap between its lead and its members in the two years of
    :func:`geogroup.value_added` (grey before, blue after; a shorter blue bar: the members
    caught up). Above ``limit`` groups, the distribution of the changes of the gap instead.

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> later = plan.schools["quality"] + 5.0 * (plan.schools["role"] == "member")
    >>> ax = value_added(gg.value_added(plan, "quality", later), lang="en")
    >>> ax.get_legend_handles_labels()[1]
    ['gap before', 'gap after']
    """
    _check_lang(lang)
    groups = result.groups.dropna(subset=["gap_before", "gap_after"])
    with _axes(ax, lang, (6.4, max(2.4, min(9.0, 0.9 + 0.2 * len(groups))))) as ax:
        if groups.empty:
            _empty(ax, lang)
        elif len(groups) > limit:
            change = groups["gap_change"].to_numpy(float)
            counts, edges = np.histogram(change, bins=25)
            colours = [ABOVE if c <= 0 else BELOW for c in (edges[:-1] + edges[1:]) / 2]
            ax.bar(edges[:-1], counts, width=np.diff(edges) * 0.9, align="edge", color=colours)
            ax.axvline(0.0, color="#333", linewidth=0.8)
            ax.set_title(label("chart_value_added_many", lang).format(n=len(change)))
            ax.set_xlabel(label("gap_change", lang))
            ax.set_ylabel(label("n_groups", lang))
        else:
            y = np.arange(len(groups))[::-1]
            ax.barh(
                y + 0.18,
                groups["gap_before"],
                height=0.36,
                color=_PAIR[0],
                label=label("gap_before", lang),
            )
            ax.barh(
                y - 0.18,
                groups["gap_after"],
                height=0.36,
                color=_PAIR[1],
                label=label("gap_after", lang),
            )
            ax.axvline(0.0, color="#333", linewidth=0.8)
            ax.set_yticks(y, [str(g) for g in groups.index])
            ax.tick_params(axis="y", length=0)
            ax.set_title(label("chart_value_added", lang))
            ax.set_xlabel(label("quality_gap", lang))
            ax.legend(loc="lower right", frameon=False)
    return ax
