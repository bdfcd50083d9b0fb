"""The commands that take saved plans: ``map``, ``evaluate`` and ``compare``."""

from __future__ import annotations

from typing import Any

import click

from geogroup.cli._errors import user_errors
from geogroup.cli._text import echo, table

__all__ = ["compare", "evaluate", "map_command"]

PLAN = click.Path(exists=True, dir_okay=False)
SHOWN_MOVES = 50
MOVES_HEAD = ["school id", "name", "group in A", "group in B", "role in A", "role in B"]


@click.command(name="map")
@click.argument("plan_path", metavar="PLAN", type=PLAN)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--basemap",
    type=click.Choice(["osm", "light", "amap", "none"]),
    default="osm",
    show_default=True,
    help="amap (高德) shifts every shape into GCJ-02 to match its tiles.",
)
@click.option(
    "--assets",
    default="cdn",
    show_default=True,
    metavar="cdn|URL|DIR",
    help="Where the map's JS/CSS come from: the CDNs, a mirror's base URL, or a folder "
    "whose files are inlined (one file that opens offline).",
)
@click.option(
    "--boundary",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A study boundary to draw (any vector file).",
)
@user_errors
def map_command(
    plan_path: str, out_file: str, lang: str, basemap: str, assets: str, boundary: str | None
) -> None:
    """Draw a plan (plan.gpkg, plan.csv or a hand-made grouping CSV) as an HTML map."""
    from geogroup.plan import read_plan
    from geogroup.present import save_map

    plan = read_plan(plan_path)
    path = save_map(plan, out_file, lang=lang, basemap=basemap, assets=assets, boundary=boundary)
    echo(f"  wrote {path}")


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
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@user_errors
def evaluate(plan_path: str, policy_name: str | None, out_dir: str, lang: str) -> None:
    """Measure a plan (plan.gpkg, plan.csv or a hand-made grouping CSV) and check its policy.
    A --policy with an [output] table names the report as propose does."""
    from geogroup.evaluate import check_plan
    from geogroup.outputs import output_paths, write_set
    from geogroup.plan import read_plan
    from geogroup.policy import get_policy
    from geogroup.present import report_writers

    plan = read_plan(plan_path)
    policy = get_policy(policy_name) if policy_name else plan.policy
    output_paths(out_dir, policy.output)  # before writing: a bad name costs nothing
    writers = report_writers(plan, lang=lang, policy=policy)
    written = list(write_set(out_dir, writers, policy.output).values())
    violations = check_plan(plan, policy)
    echo(f"{len(violations)} policy violations under {policy.name!r}")
    for row in violations.head(20).itertuples():
        echo(f"  {row.rule}: group {row.group_id}: {row.detail}", one_line=True)
    for path in written:
        echo(f"  wrote {path}")


@click.command()
@click.argument("plan_a", type=PLAN)
@click.argument("plan_b", type=PLAN)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@user_errors
def compare(plan_a: str, plan_b: str, out_dir: str, lang: str) -> None:
    """Compare two plans school by school (PLAN_A before, PLAN_B after): the schools that
    changed group, once groups are matched whatever their names, and a report in --out."""
    from geogroup.evaluate import compare_plans
    from geogroup.plan import read_plan
    from geogroup.present import write_report

    a, b = read_plan(plan_a), read_plan(plan_b)
    comparison = compare_plans(a, b, names=(plan_a, plan_b))
    paths = write_report(b, out_dir, lang=lang, comparison=comparison)
    echo(f"A: {plan_a}")
    echo(f"B: {plan_b}")
    if comparison.n_shared == 0:
        echo(
            "Warning: the two plans share no school id, so no school can have moved; "
            "were they made from the same school list?",
            err=True,
        )
    for line in moves_lines(comparison):
        echo(line)
    echo(summary_line(comparison))
    for path in paths.values():
        echo(f"  wrote {path}")


def moves_lines(comparison: Any, limit: int = SHOWN_MOVES) -> list[str]:
    """The schools that moved as a table, the first ``limit`` of them."""
    moves = comparison.moves
    if moves.empty:
        return ["No school changed group."]
    origin = comparison.group_origin
    rows = [
        [r.Index, r.name, r.group_a, _joined(r.group_b, origin), r.role_a, r.role_b]
        for r in moves.head(limit).itertuples()
    ]
    more = (
        [f"… and {len(moves) - limit:,} more, listed in the report"] if len(moves) > limit else []
    )
    return table(MOVES_HEAD, rows) + more


def _joined(group_b: str | None, origin: Any) -> str | None:
    """The group of B a school joined, with what it was in A when that differs: a reused
    label ("G105 (new)") or a renamed group ("南 (G02 in A)") then reads as what it is."""
    if group_b is None:
        return None
    was = origin.get(group_b)
    if was is None:
        return f"{group_b} (new)"
    return group_b if was == group_b else f"{group_b} ({was} in A)"


def summary_line(comparison: Any) -> str:
    """Every count of the comparison on one line."""
    counts = comparison.summary()
    moved = counts.pop("moved")
    rest = ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items())
    return f"moved: {moved} of {comparison.n_shared} schools in both plans, {rest}"
