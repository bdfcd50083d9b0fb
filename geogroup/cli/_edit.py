"""The command ``edit``: a saved plan as the offline editor page."""

from __future__ import annotations

import click

from geogroup.cli._errors import user_errors
from geogroup.cli._lang import say
from geogroup.cli._network import distances_from, network_options, plan_units, with_distances
from geogroup.cli._text import echo

__all__ = ["edit"]


@click.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)
@click.option(
    "--policy",
    "policy_name",
    default=None,
    metavar="NAME|FILE.toml",
    help="Check against this policy (default: the plan's own).",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--title", default=None, help="The page's title.")
@click.option(
    "--tiles",
    default=None,
    metavar="URL",
    help="A tile URL template ({z}/{x}/{y}) drawn under the schools when online; the page "
    "needs no network without it.",
)
@network_options
@user_errors
def edit(
    plan_path: str,
    out_file: str,
    policy_name: str | None,
    lang: str,
    title: str | None,
    tiles: str | None,
    roads_file: str | None = None,
    distances_file: str | None = None,
) -> None:
    """Write an editor of a plan (plan.gpkg, plan.csv or a hand-made grouping CSV): one HTML
    file that opens offline, moves schools by hand with the policy check after every edit,
    and exports the edited plan as CSV (with its JSON), XLSX and JSON. With --roads or
    --distances the page measures and checks every edit along them."""
    from geogroup.plan import read_plan
    from geogroup.policy import get_policy
    from geogroup.present import save_editor

    plan = read_plan(plan_path)
    policy = get_policy(policy_name) if policy_name else None
    table = distances_from(plan.schools, roads_file, distances_file, **plan_units(plan, policy))
    plan = with_distances(plan, table)
    path = save_editor(plan, out_file, policy=policy_name, lang=lang, title=title, tiles=tiles)
    echo(say("wrote", path=path))
