"""The map legend: per plan, its counts, group colours, school symbols and notes.

The legend is HTML built here from escaped text: labels and names pass through
:func:`~geogroup.present._text.escape`; colours and sizes are geogroup's own.
"""

from __future__ import annotations

from typing import Any

from geogroup import schema as S
from geogroup.present._colors import PALETTE
from geogroup.present._features import PlanData, school_style
from geogroup.present._options import MapOptions
from geogroup.present._text import escape

__all__ = ["basemap_notes", "legend_row", "legend_section", "plan_title", "symbol"]

_LEGEND_GROUPS = 24  # list groups one by one up to this many


def symbol(style: dict[str, Any], size: int = 18) -> str:
    """An SVG circle drawn like a school of ``style`` (a Leaflet circle-marker style)."""
    r = min(style.get("radius", 5), size / 2 - 2)
    fill = style.get("fillColor", "none") if style.get("fill", True) else "none"
    return (
        f'<svg width="{size}" height="{size}" aria-hidden="true"><circle cx="{size / 2}" '
        f'cy="{size / 2}" r="{r}" fill="{fill}" fill-opacity="{style.get("fillOpacity", 1)}" '
        f'stroke="{style["color"]}" stroke-width="{style["weight"]}"/></svg>'
    )


def legend_row(symbol_html: str, text: str) -> str:
    """A row of the legend: a symbol (HTML) and its text (escaped here)."""
    return f'<div class="gg-row">{symbol_html}<span>{escape(text)}</span></div>'


def _legend_groups(data: PlanData, labels: dict[str, str]) -> str:
    n = len(data.groups)
    if n == 0:
        return ""
    head = f'<div class="gg-head">{escape(labels["groups_title"])}</div>'
    if n > _LEGEND_GROUPS:
        return head + f"<div>{escape(labels['groups_many'].format(groups=n))}</div>"
    rows = "".join(
        f'<div class="gg-row"><span class="gg-sw" style="background:{data.colors.iloc[g]}"></span>'
        f"<span>{escape(gid)} · {escape(data.groups['lead_name'].iloc[g])}</span></div>"
        for g, gid in enumerate(data.groups.index)
    )
    return head + rows


def plan_title(policy: str, method: str, labels: dict[str, str]) -> str:
    """A plan's policy and method in the map's language: a preset's or a method's known
    name translated, any other name (a planner's own policy) as it is.

    Examples
    --------
    >>> from geogroup.present._labels import MAP_LABELS
    >>> plan_title("shandong", "fast", MAP_LABELS["zh"])
    '山东（2021） · 快速法'
    >>> plan_title("my-county", "fast", MAP_LABELS["en"])
    'my-county · fast heuristic'
    """
    parts = [
        labels.get(f"policy:{policy}", policy) if policy else "",
        labels.get(f"method:{method}", method) if method else "",
    ]
    return labels["title_join"].join(p for p in parts if p)


def basemap_notes(opts: MapOptions, unshifted: int) -> list[str]:
    """What the basemap is, and what was done for AMap's GCJ-02 tiles."""
    labels = opts.labels
    if opts.basemap is None:  # drawn onto a map of the user's: its basemap is theirs
        return []
    if opts.basemap == "none":
        return [labels["basemap_none_note"]]
    notes = [labels["basemap_note"].format(name=labels[f"basemap_{opts.basemap}"])]
    if opts.gcj:
        notes.append(labels["amap_note"])
        if unshifted:
            notes.append(labels["amap_outside"].format(n=unshifted))
    return notes


def _notes(data: PlanData, opts: MapOptions) -> list[str]:
    labels = opts.labels
    notes = []
    if not data.detailed:
        notes.append(labels["detail"].format(limit=opts.detail_limit))
    notes.extend(basemap_notes(opts, data.unshifted))
    if data.rejected:
        notes.append(labels["rejected"].format(n=data.rejected))
    return notes


def legend_section(data: PlanData, opts: MapOptions, label: str) -> str:
    """The legend's section of one plan, titled with ``label`` and the plan's policy and
    method (in the map's language)."""
    labels = opts.labels
    counts = labels["counts"].format(
        schools=len(data.schools),
        groups=len(data.groups),
        unassigned=int((data.roles == S.UNASSIGNED).sum()),
    )
    title = labels["title_join"].join(
        t for t in (label, plan_title(data.policy, data.method, labels)) if t
    )
    sample = PALETTE[0]
    symbols = [
        (school_style(S.LEAD, S.URBAN, sample), labels["lead_symbol"]),
        (school_style(S.MEMBER, S.URBAN, sample), labels["member_urban"]),
        (school_style(S.MEMBER, S.RURAL, sample), labels["member_rural"]),
        (school_style(S.UNASSIGNED, None, sample), labels["v:unassigned"]),
    ]
    return (
        (f'<div class="gg-head">{escape(title)}</div>' if title else "")
        + f"<div>{escape(counts)}</div>"
        + _legend_groups(data, labels)
        + f'<div class="gg-head">{escape(labels["roles_title"])} · '
        + f"{escape(labels['area_title'])}</div>"
        + "".join(legend_row(symbol(style), text) for style, text in symbols)
        + "".join(f'<div class="gg-notes">{escape(n)}</div>' for n in _notes(data, opts))
    )
