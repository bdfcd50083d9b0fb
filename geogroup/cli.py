"""The ``geogroup`` command: parses arguments, calls the public API, writes files.

No logic of its own. Exit status:

0
    Done.
1
    A user error: a :class:`~geogroup.GeogroupError` (input, policy, infeasible) or a file
    that cannot be read or written (:class:`OSError`). Prints ``Error: …`` on standard
    error, without a traceback.
2
    Bad usage (click's convention): a missing or malformed option, or options that conflict
    (``--scheduler`` with ``--backend`` other than ``dask``). Prints click's usage message.
3
    An internal error: anything else is a bug in geogroup. Prints ``Internal error: …``
    with a request to report it, and no traceback.

``--debug`` (before the command: ``geogroup --debug propose …``) lets an error of status
1 or 3 propagate instead, so that Python prints its full traceback (and exits 1).

``propose`` writes into ``--out`` only: the file names come from the policy's ``[output]``
table (default ``plan.*``, ``report.*``, ``map.html``), and a name that would lead outside
``--out`` is an error of status 1 before anything is written. ``evaluate --policy`` names
its report the same way.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any, NoReturn

import click

from geogroup.errors import GeogroupError
from geogroup.group import BACKENDS

__all__ = ["EXIT_INTERNAL_ERROR", "EXIT_USAGE", "EXIT_USER_ERROR", "main"]

EXIT_USER_ERROR = 1
EXIT_USAGE = 2  # click's own
EXIT_INTERNAL_ERROR = 3

_CLICK_EXITS = (click.ClickException, click.exceptions.Exit, click.exceptions.Abort)


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user error into ``Error: …`` (status 1) and a bug into a short request to report
    it (status 3); ``--debug`` lets either propagate with its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _CLICK_EXITS:
            raise
        except (GeogroupError, OSError) as exc:
            if _debugging():
                raise
            _fail(f"Error: {exc}", EXIT_USER_ERROR)
        except Exception as exc:
            if _debugging():
                raise
            _fail(
                f"Internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in geogroup, not a problem with your input: please report it "
                "with the command you ran. Rerun with --debug for the traceback.",
                EXIT_INTERNAL_ERROR,
            )

    return wrapper


def _debugging() -> bool:
    return bool(click.get_current_context().find_root().params.get("debug"))


def _fail(message: str, status: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(status)


_EXIT_STATUS = """\b
Exit status: 0 done; 1 an error in the input, the policy or a file ("Error: ..."); 2 bad
usage; 3 an internal error (a bug: please report it; --debug shows the traceback).
"""


@click.group(epilog=_EXIT_STATUS)
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
        "--study-area",
        default=None,
        metavar="MINLON,MINLAT,MAXLON,MAXLAT|FILE",
        help="Reject schools outside this box (WGS-84 degrees) or these polygons (a vector file).",
    ),
    click.option(
        "--far-points",
        type=click.Choice(["flag", "reject"]),
        default="flag",
        show_default=True,
        help="Schools far from all the others: list them for a check, or reject them.",
    ),
    click.option(
        "--strict", is_flag=True, help="Fail on any unusable row instead of reporting it."
    ),
]


def _study_area(value: str | None) -> Any:
    """A bounding box from four comma-separated numbers, else the path of a vector file."""
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) == 4:
        try:
            return tuple(float(p) for p in parts)
        except ValueError:
            pass
    return value


def read_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that reads a school list."""
    for option in reversed(_READ_OPTIONS):
        func = option(func)
    return func


def read_from_options(path: str, opts: dict[str, Any]) -> Any:
    """Call :func:`geogroup.read_schools` with the parsed read options."""
    from geogroup.read import read_schools

    return read_schools(
        path,
        columns=_parse_mapping(opts["columns"]) or None,
        coords=opts["coords"],
        higher_is_better=not opts["lower_is_better"],
        id_column=opts["id_column"],
        sheet=opts["sheet"],
        urban_boundary=opts["urban_boundary"],
        study_area=_study_area(opts["study_area"]),
        far_points=opts["far_points"],
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
@click.option(
    "--policy",
    "policy_name",
    required=True,
    metavar="NAME|FILE.toml",
    help="A policy preset (liangxi, shandong, shanxi-xuequ, ninghe, anshan-haicheng) or a TOML file.",
)
@click.option("--method", default=None, help="Grouping method (default: the policy's own).")
@click.option(
    "--by",
    default=None,
    metavar="COLUMN",
    help="Group each administrative unit of this column on its own.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--time-limit",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds per unit for the solver.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="An earlier plan (plan.gpkg or plan.csv): keep its group ids, count moves.",
)
@click.option(
    "--on-infeasible",
    type=click.Choice(["raise", "unassign"]),
    default="raise",
    show_default=True,
    help="With --by: stop at a unit the policy cannot group, or list its schools as unassigned.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the report.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder; the policy's [output] table may rename the files in it.",
)
@click.option(
    "--jobs",
    "n_jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Processes (or local Dask workers) for independent units "
    "(default: every core from 2,000 schools up).",
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Where the units run: this process, a process pool on this machine "
    "(the default), or a Dask cluster.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="A running Dask scheduler (tcp://host:8786); implies --backend dask.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A progress bar over the units on stderr (default: only on a terminal).",
)
@read_options
@_user_errors
def propose(
    schools: str,
    policy_name: str,
    method: str | None,
    by: str | None,
    seed: int,
    time_limit: float,
    previous: str | None,
    on_infeasible: str,
    lang: str,
    out_dir: str,
    n_jobs: int | None,
    backend: str | None,
    scheduler: str | None,
    progress: bool | None,
    **opts: Any,
) -> None:
    """Propose 1+X groups for SCHOOLS under a policy; write the plan, its report and its map
    to --out."""
    from geogroup.group import METHODS, get_method
    from geogroup.group import propose as propose_groups
    from geogroup.outputs import move_outputs, output_paths, staging_folder
    from geogroup.plan import read_plan
    from geogroup.policy import get_policy
    from geogroup.present import save_map, write_report

    if method is not None and method not in METHODS:
        raise click.BadParameter(
            f"{method!r} is not one of {', '.join(sorted(METHODS))}", param_hint="--method"
        )
    running = _running_params(n_jobs, backend, scheduler, progress)
    policy = get_policy(policy_name)
    paths = output_paths(out_dir, policy.output)  # before the run: a bad name costs nothing
    table, report = read_from_options(schools, opts)
    _echo_read_warnings(report, schools)
    grouper = get_method(
        method or policy.method,
        policy=policy,
        random_state=seed,
        time_limit=time_limit,
        on_infeasible=on_infeasible,
        **running,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        plan = propose_groups(
            table,
            policy,
            method=grouper,
            by=by,
            rejected=report.rejected,
            previous=read_plan(previous) if previous else None,
        )
    for warning in caught:
        click.echo(f"Warning: {warning.message}", err=True)
    # Plan.write and write_report choose their own file names: write them aside, then
    # move each file to the name the policy gives it.
    with staging_folder(out_dir) as stage:
        plan.write(stage)
        write_report(plan, stage, lang=lang)
        written = move_outputs(stage, paths)
    written.append(save_map(plan, paths["map.html"], lang=lang))
    click.echo(_plan_line(plan.summary()))
    for path in written:
        click.echo(f"  wrote {path}")


def _echo_read_warnings(report: Any, path: str) -> None:
    """What the reader found, in short, so that a run from a script does not hide it."""
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if report.n_rejected:
        click.echo(
            f"Warning: {report.n_rejected:,} rows could not be used; the plan lists them "
            f"as unassigned with the reason (geogroup check {path} shows them)",
            err=True,
        )
    n_flagged = report.flagged["row"].nunique() if len(report.flagged) else 0
    if n_flagged:
        click.echo(
            f"Warning: {n_flagged:,} rows were kept but deserve a look (far from the "
            f"others, a shared name or point); geogroup check {path} lists them",
            err=True,
        )


def _running_params(
    n_jobs: int | None, backend: str | None, scheduler: str | None, progress: bool | None
) -> dict[str, Any]:
    """The method parameters of where and how the units run, for the options given only (the
    others keep the method's defaults)."""
    if scheduler is not None and backend not in (None, "dask"):
        raise click.UsageError(
            f"--scheduler {scheduler} is a Dask scheduler address but --backend is {backend}; "
            "use --backend dask (or leave --backend out), or drop --scheduler"
        )
    if scheduler is not None:
        backend = "dask"
    given = {"n_jobs": n_jobs, "backend": backend, "scheduler": scheduler, "progress": progress}
    return {name: value for name, value in given.items() if value is not None}


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
@_user_errors
def map_command(
    plan_path: str, out_file: str, lang: str, basemap: str, assets: str, boundary: str | None
) -> None:
    """Draw a plan (plan.gpkg, plan.csv or a hand-made grouping CSV) as an HTML map."""
    from geogroup.plan import read_plan
    from geogroup.present import save_map

    plan = read_plan(plan_path)
    path = save_map(plan, out_file, lang=lang, basemap=basemap, assets=assets, boundary=boundary)
    click.echo(f"  wrote {path}")


@main.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(exists=True, dir_okay=False))
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
@_user_errors
def evaluate(plan_path: str, policy_name: str | None, out_dir: str, lang: str) -> None:
    """Measure a plan (plan.gpkg, plan.csv or a hand-made grouping CSV) and check its policy.
    A --policy with an [output] table names the report as propose does."""
    from geogroup.evaluate import check_plan
    from geogroup.outputs import move_outputs, output_paths, staging_folder
    from geogroup.plan import read_plan
    from geogroup.policy import get_policy
    from geogroup.present import write_report

    plan = read_plan(plan_path)
    policy = get_policy(policy_name) if policy_name else plan.policy
    paths = output_paths(out_dir, policy.output)  # before writing: a bad name costs nothing
    with staging_folder(out_dir) as stage:
        write_report(plan, stage, lang=lang, policy=policy)
        written = move_outputs(stage, paths)
    violations = check_plan(plan, policy)
    click.echo(f"{len(violations)} policy violations under {policy.name!r}")
    for row in violations.head(20).itertuples():
        click.echo(f"  {row.rule}: group {row.group_id}: {row.detail}")
    for path in written:
        click.echo(f"  wrote {path}")


@main.command()
@click.argument("plan_a", type=click.Path(exists=True, dir_okay=False))
@click.argument("plan_b", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@_user_errors
def compare(plan_a: str, plan_b: str, out_dir: str, lang: str) -> None:
    """Compare two plans school by school (PLAN_A before, PLAN_B after)."""
    from geogroup.evaluate import compare_plans
    from geogroup.plan import read_plan
    from geogroup.present import write_report

    a, b = read_plan(plan_a), read_plan(plan_b)
    comparison = compare_plans(a, b)
    paths = write_report(b, out_dir, lang=lang, comparison=comparison)
    counts = comparison.summary()
    click.echo(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items()))
    for row in comparison.moves.head(20).itertuples(index=False):
        click.echo("  " + " ".join(str(v) for v in row))
    for path in paths.values():
        click.echo(f"  wrote {path}")
