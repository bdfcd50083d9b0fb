"""``geogroup propose``: read a school list, group it under a policy, write every output."""

from __future__ import annotations

import math
import os
from typing import Any

import click

from geogroup.cli._errors import user_errors
from geogroup.cli._lang import lang_option, say, translated, warnings_said, word
from geogroup.cli._network import (
    boundary_from,
    boundary_option,
    distances_from,
    map_boundary,
    method_params,
    network_options,
)
from geogroup.cli._read import SCHOOLS, echo_read_warnings, read_from_options, read_options
from geogroup.cli._summary import exchange_options, with_rates
from geogroup.cli._text import echo
from geogroup.pool import BACKENDS, pool, start_workers, workers

__all__ = ["propose"]

JOBS_PER_CORE = 4
MAX_SEED = 2**32 - 1  # numpy's legacy seeds, which scikit-learn's k-means takes, stop here


class Seconds(click.ParamType):
    """A positive, finite number of seconds."""

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(say("seconds_not_number", value=value), param, ctx)
        if not math.isfinite(seconds) or seconds <= 0:
            self.fail(say("seconds_not_positive", value=value), param, ctx)
        return seconds


@click.command()
@click.argument("schools", type=SCHOOLS)
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
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    default=0,
    show_default=True,
    help=f"Random seed, a whole number from 0 to {MAX_SEED}.",
)
@click.option(
    "--time-limit",
    type=Seconds(),
    default=60.0,
    show_default=True,
    help="Seconds per unit for the solver.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="An earlier plan (plan.gpkg, plan.csv or an edited report.xlsx): keep its group ids, "
    "count moves.",
)
@click.option(
    "--on-infeasible",
    type=click.Choice(["raise", "unassign"]),
    default="raise",
    show_default=True,
    help="With --by: stop at a unit the policy cannot group, or list its schools as unassigned.",
)
@lang_option()
@click.option(
    "--headers",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the headers and words of plan.csv and groups.csv "
    "(plan.json and plan.gpkg stay in English).",
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
@exchange_options
@network_options
@boundary_option
@user_errors
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
    headers: str,
    out_dir: str,
    n_jobs: int | None,
    backend: str | None,
    scheduler: str | None,
    progress: bool | None,
    **opts: Any,
) -> None:
    """Propose 1+X groups for SCHOOLS (a file, or '-' for standard input) under a policy;
    write the plan, its report and its map to --out."""
    from geogroup.outputs import output_paths, write_set
    from geogroup.policy import METHOD_NAMES, get_policy

    if method is not None and method not in METHOD_NAMES:  # before the file is read
        raise click.BadParameter(
            say("method_unknown", method=method, methods=", ".join(sorted(METHOD_NAMES))),
            param_hint="--method",
        )
    running = _running_params(n_jobs, backend, scheduler, progress)
    policy = with_rates(get_policy(policy_name), opts)
    output_paths(out_dir, policy.output)  # before the run: a bad name costs nothing
    area = opts.pop("boundary")  # the method records it as given (a path or cn:NAME)
    boundary = boundary_from(area)
    table, report = read_from_options(schools, opts)
    n_workers = _start_workers(table, policy, by, running)
    # The grouping and drawing stages are imported here, while the workers import the first.
    from geogroup.group import get_method
    from geogroup.group import propose as propose_groups
    from geogroup.present import output_writers

    echo_read_warnings(report, schools)
    roads = (opts.pop("roads_file"), opts.pop("distances_file"))
    distances = distances_from(table, *roads, policy=policy, by=by)
    earlier = _previous_plan(previous, table)
    grouper = get_method(
        method or policy.method,
        policy=policy,
        random_state=seed,
        time_limit=time_limit,
        on_infeasible=on_infeasible,
        **running,
        **method_params(method or policy.method, area),
    )
    with warnings_said():
        plan = propose_groups(
            table,
            policy,
            method=grouper,
            by=by,
            rejected=report.to_frame(),
            previous=earlier,
            distances=distances,
        )
    # The pool's workers are idle now: one draws the summary page while this process writes.
    executor = pool(n_workers) if n_workers > 1 else None
    with warnings_said():  # e.g. no font for Chinese
        writers = output_writers(
            plan, lang=lang, map_options=map_boundary(boundary), executor=executor
        )
        if headers != "en":
            writers |= plan.writers(headers=headers)
        # The whole set is staged and moved in under a lock: all of this run's, or none.
        try:
            written = write_set(out_dir, writers, policy.output)
        finally:
            if executor is not None:  # the command ends: its workers need not linger
                executor.shutdown(wait=True, kill_workers=True)
    echo(plan_line(plan.summary(), plan.objective_figures()))
    for path in written.values():
        echo(say("wrote", path=path))


def _start_workers(table: Any, policy: Any, by: str | None, running: dict[str, Any]) -> int:
    """Start the processes that will group units beside this one now, when the run will
    use them (several units, enough schools, the process pool): they import the grouping
    stage (a second or so) while this process imports it too. Returns the processes of the
    run, this one included (1: no pool)."""
    if running.get("backend", "processes") != "processes" or (by is not None and by not in table):
        return 1  # not a pool run, or one the method refuses (it names the missing column)
    from geogroup import rules

    n_workers = workers(
        running.get("n_jobs"), sum(1 for _ in rules.split_units(table, by, policy)), len(table)
    )
    start_workers(n_workers)
    return n_workers


def _previous_plan(path: str | None, schools: Any) -> Any:
    """The plan of ``--previous``, or None (with a warning) when it holds none of these
    schools: there is then nothing to keep, and "0 schools moved" would be a false claim."""
    if path is None:
        return None
    from geogroup.plan import read_plan

    previous = read_plan(path)
    for note in previous.notes:
        echo(say("note", message=translated(note) or note), err=True)
    shared = previous.schools.index.astype(str).intersection(schools.index.astype(str))
    if len(shared) == 0:
        message = say(
            "previous_no_school",
            path=path,
            n_previous=len(previous.schools),
            previous=_examples(previous.schools.index),
            n_list=len(schools),
            listed=_examples(schools.index),
        )
        echo(say("warning", message=message), err=True)
        return None
    return previous


def _examples(ids: Any, n: int = 3) -> str:
    shown = ", ".join(repr(str(i)) for i in list(ids[:n]))
    return shown or say("none_word")


def _running_params(
    n_jobs: int | None, backend: str | None, scheduler: str | None, progress: bool | None
) -> dict[str, Any]:
    """The method parameters of where and how the units run, for the options given only (the
    others keep the method's defaults)."""
    if scheduler is not None and backend not in (None, "dask"):
        raise click.UsageError(say("scheduler_conflict", scheduler=scheduler, backend=backend))
    if scheduler is not None:
        backend = "dask"
    _check_jobs(n_jobs, scheduler)
    given = {"n_jobs": n_jobs, "backend": backend, "scheduler": scheduler, "progress": progress}
    return {name: value for name, value in given.items() if value is not None}


def _check_jobs(n_jobs: int | None, scheduler: str | None) -> None:
    """Refuse more local processes than the machine can use: each holds a copy of the data,
    and a local Dask cluster starts every worker asked for, however few the units."""
    cores = os.cpu_count() or 1
    limit = JOBS_PER_CORE * cores
    if n_jobs is not None and scheduler is None and n_jobs > limit:
        raise click.BadParameter(
            say("too_many_jobs", n=n_jobs, cores=cores, limit=limit), param_hint="--jobs"
        )


def plan_line(summary: dict[str, Any], figures: dict[str, Any]) -> str:
    """The one line that sums up a proposed plan, its objective in words: the mean distance
    to the lead and the balance gap (:meth:`geogroup.plan.Plan.objective_figures`)."""
    km, balance = figures["mean_distance_km"], figures["balance_gap"]
    objective = (
        say("objective_words", km=km, gap=balance or 0.0)
        if km is not None
        else say("objective_none")
    )
    if summary["gap"] is not None:
        gap = say("gap", gap=summary["gap"])
    elif summary["status"] in ("time_limit", "feasible"):  # a solver that bounds, no bound yet
        gap = say("no_bound")
    else:
        gap = ""
    moved = say("moved", moved=summary["moved"]) if summary["moved"] is not None else ""
    return say(
        "plan_line",
        groups=summary["groups"],
        schools=summary["schools"],
        method=summary["method"],
        policy=summary["policy"],
        objective=objective,
        status=word("status", summary["status"]),
        gap=gap,
        unassigned=summary["unassigned"],
        rejected=summary["rejected_on_input"],
        moved=moved,
    )
