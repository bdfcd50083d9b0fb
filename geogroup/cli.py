"""The ``geogroup`` command: parses arguments, calls the public API, writes files.

No logic of its own. A :class:`~geogroup.GeogroupError` prints ``Error: …`` and exits 1
without a traceback (``--debug`` shows it); bad usage exits 2 (click's convention).
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from geogroup._errors import GeogroupError

__all__ = ["main"]


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a GeogroupError into ``Error: …`` and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GeogroupError as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group()
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(package_name="geogroup")
def main(debug: bool) -> None:
    """Propose, measure and map 1+X school groups."""


def _parse_mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field or not header:
            raise click.BadParameter(f"expected FIELD=HEADER, got {pair!r}", param_hint="--column")
        mapping[field.strip()] = header.strip()
    return mapping


_READ_OPTIONS = [
    click.option(
        "--crs",
        "coords",
        type=click.Choice(["wgs84", "gcj02", "bd09"]),
        default="wgs84",
        show_default=True,
        help="Coordinate system of the file's longitude/latitude.",
    ),
    click.option(
        "--column",
        "columns",
        multiple=True,
        metavar="FIELD=HEADER",
        help="Map a contract field to a header of the file, e.g. quality=house_price.",
    ),
    click.option(
        "--lower-is-better",
        is_flag=True,
        help="The quality column is a rank: lower values are better.",
    ),
    click.option("--id-column", default=None, help="Header of the school id column."),
    click.option("--sheet", default=None, help="Sheet of an Excel workbook (default: the first)."),
    click.option(
        "--urban-boundary",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="Polygons of urban areas (any vector file) to derive urban/rural from.",
    ),
    click.option(
        "--strict", is_flag=True, help="Fail on any unusable row instead of reporting it."
    ),
]


def read_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that reads a school list."""
    for option in reversed(_READ_OPTIONS):
        func = option(func)
    return func


def read_from_options(path: str, opts: dict[str, Any]) -> Any:
    """Call :func:`geogroup.read_schools` with the parsed read options."""
    from geogroup.io import read_schools

    return read_schools(
        path,
        columns=_parse_mapping(opts["columns"]) or None,
        coords=opts["coords"],
        higher_is_better=not opts["lower_is_better"],
        id_column=opts["id_column"],
        sheet=opts["sheet"],
        urban_boundary=opts["urban_boundary"],
        strict=opts["strict"],
    )


@main.command()
@click.argument("schools", type=click.Path(exists=True, dir_okay=False))
@read_options
@_user_errors
def check(schools: str, **opts: Any) -> None:
    """Read and validate a school list and print what was kept, rejected and derived."""
    _, report = read_from_options(schools, opts)
    click.echo(report.to_text())


@main.command()
@click.argument("schools", type=click.Path(exists=True, dir_okay=False))
@click.option("--policy", "policy_name", required=True, metavar="NAME|FILE.toml",
              help="A policy preset (liangxi, shandong, shanxi-xuequ, ninghe, anshan-haicheng) or a TOML file.")
@click.option("--method", default=None, help="Grouping method (default: the policy's own).")
@click.option("--by", default=None, metavar="COLUMN",
              help="Group each administrative unit of this column on its own.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--time-limit", type=float, default=60.0, show_default=True,
              help="Seconds per unit for the solver.")
@click.option("--previous", type=click.Path(exists=True, dir_okay=False), default=None,
              help="An earlier plan (plan.gpkg or plan.csv): keep its group ids, count moves.")
@click.option("--on-infeasible", type=click.Choice(["raise", "unassign"]), default="raise",
              show_default=True,
              help="With --by: stop at a unit the policy cannot group, or list its schools as unassigned.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the report.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@read_options
@_user_errors
def propose(schools: str, policy_name: str, method: str | None, by: str | None, seed: int,
            time_limit: float, previous: str | None, on_infeasible: str, lang: str, out_dir: str,
            **opts: Any) -> None:
    """Propose 1+X groups for SCHOOLS under a policy; write the plan and its report to --out."""
    from geogroup.group import METHODS, get_method
    from geogroup.group import propose as propose_groups
    from geogroup.maps import save_map
    from geogroup.plan import read_plan
    from geogroup.policy import get_policy
    from geogroup.report import write_report

    if method is not None and method not in METHODS:
        raise click.BadParameter(f"{method!r} is not one of {', '.join(sorted(METHODS))}",
                                 param_hint="--method")
    policy = get_policy(policy_name)
    table, report = read_from_options(schools, opts)
    grouper = get_method(method or policy.method, policy=policy, random_state=seed,
                         time_limit=time_limit, on_infeasible=on_infeasible)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        plan = propose_groups(table, policy, method=grouper, by=by, rejected=report.rejected,
                              previous=read_plan(previous) if previous else None)
    for warning in caught:
        click.echo(f"Warning: {warning.message}", err=True)
    paths = plan.write(out_dir)
    paths.update(write_report(plan, out_dir, lang=lang))
    paths["map"] = save_map(plan, Path(out_dir) / "map.html", lang=lang)
    click.echo(_plan_line(plan.summary()))
    for path in paths.values():
        click.echo(f"  wrote {path}")


def _plan_line(summary: dict[str, Any]) -> str:
    gap = f", gap {summary['gap']:.4%}" if summary["gap"] is not None else ""
    moved = f"; {summary['moved']} schools moved" if summary["moved"] is not None else ""
    return (
        f"{summary['groups']} groups of {summary['schools']} schools by {summary['method']} "
        f"under {summary['policy']!r}: status {summary['status']}, objective {summary['objective']}"
        f"{gap}; {summary['unassigned']} unassigned, {summary['rejected_on_input']} rejected on input"
        f"{moved}"
    )


@main.command(name="map")
@click.argument("plan_path", metavar="PLAN", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="The HTML file to write.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--basemap", type=click.Choice(["osm", "light", "amap", "none"]), default="osm",
              show_default=True, help="amap (高德) shifts every shape into GCJ-02 to match its tiles.")
@click.option("--assets", default="cdn", show_default=True, metavar="cdn|URL|DIR",
              help="Where the map's JS/CSS come from: the CDNs, a mirror's base URL, or a folder "
                   "whose files are inlined (one file that opens offline).")
@click.option("--boundary", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A study boundary to draw (any vector file).")
@_user_errors
def map_command(plan_path: str, out_file: str, lang: str, basemap: str, assets: str,
                boundary: str | None) -> None:
    """Draw a plan (plan.gpkg, plan.csv or a hand-made grouping CSV) as an HTML map."""
    from geogroup.maps import save_map
    from geogroup.plan import read_plan

    plan = read_plan(plan_path)
    path = save_map(plan, out_file, lang=lang, basemap=basemap, assets=assets, boundary=boundary)
    click.echo(f"  wrote {path}")


@main.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(exists=True, dir_okay=False))
@click.option("--policy", "policy_name", default=None, metavar="NAME|FILE.toml",
              help="Check against this policy (default: the plan's own).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@_user_errors
def evaluate(plan_path: str, policy_name: str | None, out_dir: str, lang: str) -> None:
    """Measure a plan (plan.gpkg, plan.csv or a hand-made grouping CSV) and check its policy."""
    from geogroup.evaluate import check_plan
    from geogroup.plan import read_plan
    from geogroup.policy import get_policy
    from geogroup.report import write_report

    plan = read_plan(plan_path)
    policy = get_policy(policy_name) if policy_name else plan.policy
    paths = write_report(plan, out_dir, lang=lang, policy=policy)
    violations = check_plan(plan, policy)
    click.echo(f"{len(violations)} policy violations under {policy.name!r}")
    for row in violations.head(20).itertuples():
        click.echo(f"  {row.rule}: group {row.group_id}: {row.detail}")
    for path in paths.values():
        click.echo(f"  wrote {path}")


@main.command()
@click.argument("plan_a", type=click.Path(exists=True, dir_okay=False))
@click.argument("plan_b", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@_user_errors
def compare(plan_a: str, plan_b: str, out_dir: str, lang: str) -> None:
    """Compare two plans school by school (PLAN_A before, PLAN_B after)."""
    from geogroup.evaluate import compare_plans
    from geogroup.plan import read_plan
    from geogroup.report import write_report

    a, b = read_plan(plan_a), read_plan(plan_b)
    comparison = compare_plans(a, b)
    paths = write_report(b, out_dir, lang=lang, comparison=comparison)
    counts = comparison.summary()
    click.echo(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items()))
    for row in comparison.moves.head(20).itertuples(index=False):
        click.echo("  " + " ".join(str(v) for v in row))
    for path in paths.values():
        click.echo(f"  wrote {path}")
