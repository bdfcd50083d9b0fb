"""The commands that take saved plans: ``map``, ``evaluate`` and ``compare``."""

from __future__ import annotations

from typing import Any

import click

from geogroup.cli._errors import user_errors
from geogroup.cli._lang import current_lang, lang_option, say, translated, warnings_said, word
from geogroup.cli._network import (
    BOUNDARY,
    distances_from,
    network_options,
    plan_units,
    route_option,
    routes_from,
    with_distances,
)
from geogroup.cli._plan_file import read_plan_file
from geogroup.cli._summary import exchange_options, meeting_inputs, scores_options
from geogroup.cli._text import echo, table

__all__ = ["compare", "evaluate", "map_command"]

PLAN = click.Path(exists=True, dir_okay=False)
SHOWN_MOVES = 50
MOVES_HEAD = ["school id", "name", "group in A", "group in B", "role in A", "role in B"]


_of = plan_units


@click.command(name="map")
@click.argument("plan_path", metavar="PLAN", type=PLAN)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)
@lang_option()
@click.option(
    "--basemap",
    type=click.Choice(["auto", "osm", "light", "amap", "none"]),
    default="auto",
    show_default=True,
    help="auto: amap (高德, reachable in China) for --lang zh and a plan in mainland China, "
    "else osm. amap shifts the shapes in mainland China into GCJ-02 to match its tiles.",
)
@click.option(
    "--assets",
    default="auto",
    show_default=True,
    metavar="auto|cdn|URL|DIR",
    help="Where the map's JS/CSS come from: auto inlines those `geogroup assets` downloaded "
    "(one file that opens offline), else links the CDNs; cdn; a mirror's base URL; or a "
    "folder whose files are inlined.",
)
@click.option(
    "--boundary",
    type=BOUNDARY,
    default=None,
    metavar="FILE|cn:NAME",
    help="A study boundary to draw: a vector file, or cn:NAME or cn:ADCODE (a Chinese "
    "county, city or province).",
)
@network_options
@route_option
@user_errors
def map_command(
    plan_path: str,
    out_file: str,
    lang: str,
    basemap: str,
    assets: str,
    boundary: str | None,
    roads_file: str | None = None,
    distances_file: str | None = None,
    routes_group: str | None = None,
) -> None:
    """Draw a plan (plan.gpkg, plan.csv, report.xlsx or a hand-made grouping CSV) as an
    HTML map."""
    from geogroup.present import save_map

    plan = read_plan_file(plan_path)
    roads = (roads_file, distances_file)
    plan = with_distances(plan, distances_from(plan.schools, *roads, **_of(plan)))
    routes = routes_from(plan, roads_file, routes_group)
    with warnings_said():
        path = save_map(
            plan,
            out_file,
            lang=lang,
            basemap=None if basemap == "auto" else basemap,
            assets=assets,
            boundary=boundary,
            **routes,
        )
    echo(say("wrote", path=path))


@click.command()
@click.argument("plan_path", metavar="PLAN", type=PLAN)
@click.option(
    "--policy",
    "policy_name",
    default=None,
    metavar="NAME|FILE.toml",
    help="Check against this policy (default: the plan's own).",
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@lang_option()
@scores_options
@exchange_options
@network_options
@user_errors
def evaluate(
    plan_path: str, policy_name: str | None, out_dir: str, lang: str, **options: Any
) -> None:
    """Measure a plan (plan.gpkg, plan.csv, a report.xlsx edited in Excel or a hand-made
    grouping CSV) and check its policy: the report and the one-page summary. A --policy
    with an [output] table names them as propose does."""
    from geogroup.evaluate import check_plan
    from geogroup.outputs import output_paths, write_set
    from geogroup.policy import get_policy
    from geogroup.present import LABELS, meeting_writers

    plan = read_plan_file(plan_path)
    policy = get_policy(policy_name) if policy_name else plan.policy
    output_paths(out_dir, policy.output)  # before writing: a bad name costs nothing
    roads = (options.pop("roads_file"), options.pop("distances_file"))
    plan = with_distances(plan, distances_from(plan.schools, *roads, **_of(plan, policy)))
    policy, result, scores = meeting_inputs(plan, policy, **options)
    writers = meeting_writers(plan, lang=lang, policy=policy, value_added=result, scores=scores)
    written = list(write_set(out_dir, writers, policy.output).values())
    violations = check_plan(plan, policy)
    echo(say("violations", n=len(violations), policy=policy.name))
    words = LABELS["zh"] if current_lang() == "zh" else {}  # rule names in Chinese
    for row in violations.head(20).itertuples():
        rule = words.get(f"rule:{row.rule}", row.rule)
        detail = translated(str(row.detail)) or row.detail
        text = say("violation", rule=rule, group=row.group_id, detail=detail)
        echo(text, one_line=True)
    for path in written:
        echo(say("wrote", path=path))


@click.command()
@click.argument("plan_a", type=PLAN)
@click.argument("plan_b", type=PLAN)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@lang_option()
@user_errors
def compare(plan_a: str, plan_b: str, out_dir: str, lang: str) -> None:
    """Compare two plans school by school (PLAN_A before, PLAN_B after): the schools that
    changed group, once groups are matched whatever their names, and a report in --out."""
    from geogroup.evaluate import compare_plans
    from geogroup.present import write_report

    a, b = read_plan_file(plan_a), read_plan_file(plan_b)
    comparison = compare_plans(a, b, names=(plan_a, plan_b))
    paths = write_report(b, out_dir, lang=lang, comparison=comparison)
    echo(say("plan_a", path=plan_a))
    echo(say("plan_b", path=plan_b))
    if comparison.n_shared == 0:
        echo(say("warning", message=say("plans_share_none")), err=True)
    for line in moves_lines(comparison):
        echo(line)
    echo(summary_line(comparison))
    for path in paths.values():
        echo(say("wrote", path=path))


def moves_lines(comparison: Any, limit: int = SHOWN_MOVES) -> list[str]:
    """The schools that moved as a table, the first ``limit`` of them."""
    moves = comparison.moves
    if moves.empty:
        return [say("no_moves")]
    origin = comparison.group_origin
    rows = [
        [r.Index, r.name, r.group_a, _joined(r.group_b, origin), r.role_a, r.role_b]
        for r in moves.head(limit).itertuples()
    ]
    more = [say("more_moves", n=len(moves) - limit)] if len(moves) > limit else []
    return table(say("moves_head").split("|"), rows) + more


def _joined(group_b: str | None, origin: Any) -> str | None:
    """The group of B a school joined, with what it was in A when that differs: a reused
    label ("G105 (new)") or a renamed group ("南 (G02 in A)") then reads as what it is."""
    if group_b is None:
        return None
    was = origin.get(group_b)
    if was is None:
        return say("group_new", group=group_b)
    return group_b if was == group_b else say("group_was", group=group_b, was=was)


def summary_line(comparison: Any) -> str:
    """Every count of the comparison on one line."""
    counts = comparison.summary()
    moved = counts.pop("moved")
    rest = ", ".join(
        say("compare_count", key=word("counts", key).replace("_", " "), value=value)
        for key, value in counts.items()
    )
    return say("compare_summary", moved=moved, shared=comparison.n_shared, rest=rest)
