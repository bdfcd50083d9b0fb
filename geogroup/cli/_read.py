"""The options of every command that reads a school list, and ``geogroup check``."""

from __future__ import annotations

import codecs
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from geogroup import schema as S
from geogroup.cli._errors import user_errors
from geogroup.cli._lang import lang_option, say, translated
from geogroup.cli._text import echo
from geogroup.errors import InputError

__all__ = [
    "SCHOOLS",
    "check",
    "check_hint",
    "echo_read_warnings",
    "read_from_options",
    "read_options",
]

SCHOOLS = click.Path(exists=True, dir_okay=False, allow_dash=True)
"""The SCHOOLS argument: a file, or '-' for standard input."""


def _pairs(value: str, option: str, shape: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` pairs separated by commas, each side trimmed and not empty."""
    out = []
    for pair in value.split(","):
        key, sep, item = (part.strip() for part in pair.partition("="))
        if not sep or not key or not item:
            raise click.BadParameter(
                say("pairs_expected", shape=shape, pair=pair.strip()), param_hint=option
            )
        out.append((key, item))
    return out


def parse_columns(pairs: tuple[str, ...]) -> dict[str, str | None]:
    """``--column FIELD=HEADER`` options as a mapping (a header may hold a comma);
    ``FIELD=`` maps the field to None: the file has no column for it."""
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(say("column_expected", pair=pair), param_hint="--column")
        mapping[field.strip()] = header.strip() or None
    return mapping


def parse_area_values(values: tuple[str, ...]) -> dict[str, str]:
    """``--area-values "Bandar=urban,Luar Bandar=rural"`` options as one mapping from a
    value of the file's area column to ``urban`` or ``rural``."""
    mapping: dict[str, str] = {}
    shape = say("area_pairs_shape")
    for value in values:
        for key, area in _pairs(value, "--area-values", shape):
            area = area.lower()
            if area not in S.AREA_VALUES:
                raise click.BadParameter(
                    say("area_not_urban_rural", key=key, area=area), param_hint="--area-values"
                )
            if mapping.get(key, area) != area:
                raise click.BadParameter(
                    say("area_twice", key=key, first=mapping[key], second=area),
                    param_hint="--area-values",
                )
            mapping[key] = area
    return mapping


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(say("unknown_encoding", value=value)) from None
    return value


def _check_area_values(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    parse_area_values(value)  # refused before the run; kept as typed for the check hint
    return value


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
        help="Map a contract field to a header of the file, e.g. quality=house_price; "
        "FIELD= leaves out the column that would be read as FIELD.",
    ),
    click.option(
        "--lower-is-better",
        is_flag=True,
        help="The quality column is a rank: lower values are better.",
    ),
    click.option("--id-column", default=None, help="Header of the school id column."),
    click.option("--sheet", default=None, help="Sheet of an Excel workbook (default: the first)."),
    click.option(
        "--encoding",
        default=None,
        metavar="NAME",
        callback=_check_encoding,
        help="Text encoding of a CSV, e.g. gbk (default: found from the bytes).",
    ),
    click.option(
        "--area-values",
        multiple=True,
        metavar="VALUE=urban|rural,...",
        callback=_check_area_values,
        help='What the values of the area column mean, e.g. "Bandar=urban,Luar Bandar=rural".',
    ),
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
_READ_NAMES = (
    "coords",
    "columns",
    "lower_is_better",
    "id_column",
    "sheet",
    "encoding",
    "area_values",
    "urban_boundary",
    "study_area",
    "far_points",
    "strict",
)


def read_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that reads a school list."""
    for option in reversed(_READ_OPTIONS):
        func = option(func)
    return func


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
    if "," in value and not Path(value).exists():  # a box mistyped, not a missing file
        raise InputError(
            f"--study-area {value!r}: neither a box of four numbers (MINLON,MINLAT,MAXLON,MAXLAT, "
            "in WGS-84 degrees) nor a file that exists",
            code="cli.study_area",
            values={"value": repr(value)},
        )
    return value


def read_from_options(path: str, opts: dict[str, Any]) -> Any:
    """Call :func:`geogroup.read_schools` with the parsed read options."""
    from geogroup.read import read_schools

    extra = {}
    if opts["area_values"]:  # only when given: a reader without the parameter still runs
        extra["area_values"] = parse_area_values(opts["area_values"])
    return read_schools(
        path,
        columns=parse_columns(opts["columns"]) or None,
        coords=opts["coords"],
        higher_is_better=not opts["lower_is_better"],
        id_column=opts["id_column"],
        sheet=opts["sheet"],
        urban_boundary=opts["urban_boundary"],
        study_area=_study_area(opts["study_area"]),
        far_points=opts["far_points"],
        strict=opts["strict"],
        encoding=opts["encoding"],
        **extra,
    )


def check_hint(path: str) -> str:
    """The ``geogroup check`` command that reads ``path`` as this command did: the read
    options the user gave, quoted for a POSIX shell, so that it runs as printed."""
    ctx = click.get_current_context()
    words = ["geogroup", "check", path]
    for param in ctx.command.params:
        if param.name not in _READ_NAMES or ctx.get_parameter_source(param.name) in (
            None,
            ParameterSource.DEFAULT,
        ):
            continue
        value = ctx.params[param.name]
        flag = param.opts[0]
        if getattr(param, "is_flag", False):
            words += [flag] if value else []
        elif getattr(param, "multiple", False):
            words += [w for item in value for w in (flag, str(item))]
        elif value is not None:
            words += [flag, str(value)]
    command = " ".join(shlex.quote(w) for w in words)
    return say("with_stdin", command=command) if path == "-" else command


def echo_read_warnings(report: Any, path: str) -> None:
    """What the reader found, in short, so that a run from a script does not hide it."""
    for warning in report.warnings:
        echo(say("warning", message=translated(str(warning)) or warning), err=True)
    if report.n_rejected:
        message = say("rows_unused", n=report.n_rejected, hint=check_hint(path))
        echo(say("warning", message=message), err=True)
    n_flagged = report.flagged["row"].nunique() if len(report.flagged) else 0
    if n_flagged:
        message = say("rows_flagged", n=n_flagged, hint=check_hint(path))
        echo(say("warning", message=message), err=True)


@click.command()
@click.argument("schools", type=SCHOOLS)
@read_options
@lang_option(report=False)
@user_errors
def check(schools: str, **opts: Any) -> None:
    """Read and validate a school list (a file, or '-' for standard input) and print what
    was kept, rejected and derived."""
    _, report = read_from_options(schools, opts)
    for line in report.to_text().splitlines():
        echo(translated(line, "check") or line)
