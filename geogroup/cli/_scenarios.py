"""``geogroup scenarios``: the trade-off, alternatives and a recommendation, written out."""

from __future__ import annotations

import math
from typing import Any

import click

from geogroup.cli._errors import user_errors
from geogroup.cli._lang import current_lang, lang_option, say, warnings_said
from geogroup.cli._propose import MAX_SEED, Seconds
from geogroup.cli._read import SCHOOLS, echo_read_warnings, read_from_options, read_options
from geogroup.cli._summary import Share
from geogroup.cli._text import echo

__all__ = ["scenarios_command"]


class Difference(click.ParamType):
    """Schools two plans must differ in: ``5%`` (of the grouped schools) or ``16``."""

    name = "schools"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float | int:
        if isinstance(value, int | float):
            return value
        text = str(value).strip()
        try:
            if text.endswith("%"):
                share = float(text[:-1]) / 100.0
                if math.isfinite(share) and 0 < share < 1:
                    return share
            elif text.isdigit() and int(text) >= 1:
                return int(text)
        except ValueError:
            pass
        self.fail(
            f"expected a share of the schools such as 5% (above 0%, below 100%) or a whole "
            f"number of schools >= 1, got {value!r}",
            param,
            ctx,
        )


class Weights(click.ParamType):
    """Balance weights: numbers >= 0 separated by commas."""

    name = "weights"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> list[float]:
        if isinstance(value, list):
            return value
        try:
            weights = [float(part) for part in str(value).split(",") if part.strip()]
        except ValueError:
            weights = []
        if not weights or not all(math.isfinite(w) and w >= 0 for w in weights):
            self.fail(
                f"expected weights >= 0 separated by commas (0,0.5,1,2), got {value!r}", param, ctx
            )
        return weights


@click.command("scenarios")
@click.argument("schools", type=SCHOOLS)
@click.option(
    "--policy",
    "policy_name",
    required=True,
    metavar="NAME|FILE.toml",
    help="A policy preset (liangxi, shandong, shanxi-xuequ, ninghe, anshan-haicheng) or a TOML file.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder: scenarios.html, scenarios.csv, front.png/.svg and plans/<id>/.",
)
@click.option(
    "--weights",
    type=Weights(),
    default=None,
    help="Balance weights to sweep, e.g. 0,0.5,1,2,4 (default: the policy's weight times "
    "0, 1/4, 1/2, 1, 2, 4, 8, 16, 32).",
)
@click.option(
    "--method",
    default="auto",
    show_default=True,
    help="auto (exact within the time limit, fast too, the better kept) or one method for "
    "every point (exact, fast, kmeans, …).",
)
@click.option(
    "--alternatives",
    "n_alternatives",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="Alternative plans to find at the policy's weight.",
)
@click.option(
    "--within",
    type=Share(zero=True),
    default="2%",
    show_default=True,
    help="Each alternative's objective at most this much above the best plan's.",
)
@click.option(
    "--min-diff",
    type=Difference(),
    default="5%",
    show_default=True,
    help="Schools each alternative differs in from the best and the others: 5% or 16.",
)
@click.option(
    "--time-limit",
    type=Seconds(),
    default=10.0,
    show_default=True,
    help="Seconds for each run of exact.",
)
@click.option(
    "--total-time",
    type=Seconds(),
    default=300.0,
    show_default=True,
    help="Seconds for the whole study; then fast only, and the search stops.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    default=0,
    show_default=True,
    help=f"Random seed, a whole number from 0 to {MAX_SEED}.",
)
@click.option(
    "--by", default=None, metavar="COLUMN", help="Group each unit of this column on its own."
)
@lang_option()
@click.option(
    "--assets",
    default=None,
    metavar="auto|cdn|URL|DIR",
    help="Where the maps' JS/CSS come from (as for geogroup map); default: as geogroup propose.",
)
@click.option(
    "--boundary",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A study boundary to draw on the maps (any vector file).",
)
@read_options
@user_errors
def scenarios_command(
    schools: str,
    policy_name: str,
    out_dir: str,
    weights: list[float] | None,
    method: str,
    n_alternatives: int,
    within: float,
    min_diff: float | int,
    time_limit: float,
    total_time: float,
    seed: int,
    by: str | None,
    lang: str,
    assets: str | None,
    boundary: str | None,
    **opts: Any,
) -> None:
    """Scenarios for SCHOOLS (a file, or '-' for standard input) under a policy: the
    trade-off between travel and balance, alternative plans, one recommended plan; written
    to --out."""
    from geogroup.policy import get_policy
    from geogroup.scenarios import METHOD_CHOICES, scenarios

    if method not in METHOD_CHOICES:
        raise click.BadParameter(
            f"{method!r} is not one of {', '.join(METHOD_CHOICES)}", param_hint="--method"
        )
    policy = get_policy(policy_name)
    table, report = read_from_options(schools, opts)
    echo_read_warnings(report, schools)
    with warnings_said():
        found = scenarios(
            table, policy, weights=weights, method=method, alternatives=n_alternatives,
            within=within, min_diff=min_diff, time_limit=time_limit, total_time=total_time,
            random_state=seed, by=by, rejected=report.to_frame(),
        )  # fmt: skip
    given = {"assets": assets, "boundary": boundary}
    map_options = {name: value for name, value in given.items() if value is not None}
    written = found.write(out_dir, lang=lang, map_options=map_options)
    speaks = current_lang()  # the language of the messages (--lang, else the locale's)
    echo(_summary_line(found, within, speaks))
    echo(found.reason[speaks])
    for note in found.notes:
        echo(f"Note: {note}", err=True)
    echo(say("wrote", path=written["scenarios.html"]))
    echo(f"  (+ {len(written) - 1} files: scenarios.csv, front.png, plans/<id>/ …)")


def _summary_line(found: Any, within: float, lang: str) -> str:
    n_front, n_alt = len(found.front), len(found.alternatives)
    if lang == "zh":
        return (
            f"前沿上 {n_front} 个方案；{n_alt} 个备选方案，目标值与最优方案 {found.best} 相差不超过 "
            f"{within:.1%}；推荐 {found.recommended}"
        )
    return (
        f"{n_front} plans on the front; {n_alt} alternatives within {within:.1%} of the best "
        f"plan {found.best}; recommended: {found.recommended}"
    )
