"""``geogroup summary`` — the one-page summary of a saved plan — and the options that shape
the meeting's outputs: two years of scores for value added (``--before``/``--after``) and
the teacher exchange rates (``--exchange-rate``/``--key-exchange-rate``), shared by
``propose``, ``evaluate`` and ``summary``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import click

from geogroup.cli._errors import user_errors
from geogroup.cli._lang import lang_option, say
from geogroup.cli._text import echo

__all__ = [
    "exchange_options",
    "meeting_inputs",
    "scores_options",
    "summary_command",
    "with_rates",
]

_SHOWN = 5


class Share(click.ParamType):
    """A share written ``0.15`` or ``15%``: from 0 to 1, or above 0 with ``zero=False``."""

    name = "share"

    def __init__(self, *, zero: bool = False) -> None:
        self.zero = zero

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            share = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"expected a share such as 0.15 or 15%, got {value!r}", param, ctx)
        low_ok = share >= 0.0 if self.zero else share > 0.0
        if not (math.isfinite(share) and low_ok and share <= 1.0):
            lowest = "from 0%" if self.zero else "above 0"
            self.fail(f"expected a share {lowest} to 100%, got {value!r}", param, ctx)
        return share


def exchange_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--exchange-rate`` and ``--key-exchange-rate``: the policy's teacher exchange rates
    for this run."""
    command = click.option(
        "--key-exchange-rate",
        type=Share(),
        default=None,
        metavar="SHARE",
        help="Share of each group's key teachers to exchange (default: the policy's, 15%).",
    )(command)
    return click.option(
        "--exchange-rate",
        type=Share(),
        default=None,
        metavar="SHARE",
        help="Share of each group's teachers to exchange, e.g. 0.15 or 19% "
        "(default: the policy's, 15%); quotas are rounded up per group.",
    )(command)


def scores_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--before`` and ``--after``: two years of scores for value added."""
    command = click.option(
        "--after",
        default=None,
        metavar="FILE|COLUMN",
        help="The later year's scores (see --before).",
    )(command)
    return click.option(
        "--before",
        default=None,
        metavar="FILE|COLUMN",
        help="The earlier year's scores, for value added (集团捆绑评价): a CSV or Excel file "
        "of school ids and scores (see docs/data-contract.md), or a column of the plan. "
        "Needs --after.",
    )(command)


def with_rates(policy: Any, options: dict[str, Any]) -> Any:
    """``policy`` with the exchange rates of ``--exchange-rate`` and ``--key-exchange-rate``
    (taken out of ``options``) when given."""
    rates = {k: options.pop(k, None) for k in ("exchange_rate", "key_exchange_rate")}
    given = {k: v for k, v in rates.items() if v is not None}
    return policy.replace(**given) if given else policy


def meeting_inputs(
    plan: Any,
    policy: Any,
    *,
    before: str | None = None,
    after: str | None = None,
    exchange_rate: float | None = None,
    key_exchange_rate: float | None = None,
) -> tuple[Any, Any, tuple[str, str] | None]:
    """The policy with this run's exchange rates, and the value added of ``--before`` and
    ``--after`` (None without them) with the names of their sources."""
    from geogroup.evaluate import scores_of, unmatched_ids, value_added

    rates = {"exchange_rate": exchange_rate, "key_exchange_rate": key_exchange_rate}
    policy = with_rates(policy, rates)
    if (before is None) != (after is None):
        given_one, missing = ("--before", "--after") if before else ("--after", "--before")
        raise click.UsageError(f"{given_one} needs {missing}: value added compares two years")
    if before is None or after is None:
        return policy, None, None
    years = {"--before": scores_of(plan, before, which="--before")}
    years["--after"] = scores_of(plan, after, which="--after")
    for option, scores in years.items():
        lost = unmatched_ids(plan, scores)
        if lost:
            shown = ", ".join(map(repr, lost[:_SHOWN]))
            echo(
                say(
                    "warning",
                    message=say("scores_not_in_plan", option=option, n=len(lost), ids=shown),
                ),
                err=True,
            )
    result = value_added(plan, years["--before"], years["--after"])
    return policy, result, (before, after)


@click.command(name="summary")
@click.argument("plan_path", metavar="PLAN", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The file to write: .pdf or .png (A4 landscape).",
)
@click.option(
    "--policy",
    "policy_name",
    default=None,
    metavar="NAME|FILE.toml",
    help="Measure against this policy (default: the plan's own).",
)
@lang_option()
@click.option(
    "--boundary",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The county outline to draw (any vector file; default: the extent of the schools).",
)
@scores_options
@exchange_options
@user_errors
def summary_command(
    plan_path: str,
    out_file: str,
    policy_name: str | None,
    lang: str,
    boundary: str | None,
    **options: Any,
) -> None:
    """Draw the one-page summary of a saved plan (plan.gpkg, plan.csv or an edited
    report.xlsx) for a meeting: the groups on a map, the key figures in words and each
    group's mean quality against the county mean."""
    from geogroup.cli._plan_file import read_plan_file
    from geogroup.policy import get_policy
    from geogroup.present import summary_page

    if not out_file.lower().endswith((".pdf", ".png")):
        raise click.BadParameter(
            f"expected a file name ending in .pdf or .png, got {out_file!r}", param_hint="--out"
        )
    plan = read_plan_file(plan_path)
    policy = get_policy(policy_name) if policy_name else plan.policy
    policy, result, scores = meeting_inputs(plan, policy, **options)
    path = summary_page(
        plan,
        out_file,
        lang=lang,
        policy=policy,
        boundary=boundary,
        value_added=result,
        scores=scores,
    )
    echo(say("wrote", path=path))
