"""The report of a read: what :func:`geogroup.read.read_schools` kept, rejected, flagged and
derived, and the text that explains it.

:class:`ReadReport` and :class:`ReadResult` are public (re-exported by :mod:`geogroup.read`).
The error raised when a file yields no usable row (or any unusable row under ``strict``) is
worded here too, so the summary of a report and the refusal of a file list problems alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup.errors import InputError
from geogroup.read._headers import LAT, LON

__all__ = ["ReadReport", "ReadResult"]

_REJECTED_COLUMNS = ["row", "school_id", "name", "column", "value", "reason"]
_STRICT_LIMIT = 50
_TEXT_LIMIT = 10


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "row" else "str") for c in _REJECTED_COLUMNS}
    )


def _rows_by_reason(problems: pd.DataFrame) -> pd.Series:
    kinds = problems["reason"].str.split(";", n=1).str[0]
    counts = (
        pd.DataFrame({"row": problems["row"], "reason": kinds})
        .drop_duplicates()
        .value_counts("reason", sort=True)
    )
    return counts.rename("rows")


@dataclass
class ReadReport:
    """What :func:`read_schools` kept, rejected, flagged and derived.

    Attributes
    ----------
    source
        The file read (or ``'DataFrame'``).
    n_rows
        Data rows read (blank lines of a file are skipped and not counted).
    n_kept
        Rows that became schools.
    rejected
        One row per problem: ``row`` (spreadsheet row, header = row 1), ``school_id``,
        ``name``, ``column`` (the file's header), ``value`` (the cell as text) and ``reason``.
        A row with several problems appears once per problem.
    derived
        Field -> how it was derived rather than read (``area``, ``school_id``, …).
    mapped
        Field -> how its cells were read through a mapping the caller gave
        (``area_values=``): each label, what it was taken to mean, and how many rows had it.
    column_map
        Contract field -> header of the file it was read from.
    warnings
        Everything else worth knowing about the file as a whole: cells left missing, sheets
        not read, rows in another encoding, and so on.
    flagged
        Rows that were *kept* but deserve a second look, in the columns of ``rejected``: far
        from all the other schools, a name or a point shared with other schools, a negative
        quality among positive ones.

    ``n_kept + n_rejected == n_rows`` always.
    """

    source: str
    n_rows: int
    n_kept: int
    rejected: pd.DataFrame
    derived: dict[str, str] = field(default_factory=dict)
    column_map: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    flagged: pd.DataFrame = field(default_factory=_empty_problems)
    mapped: dict[str, str] = field(default_factory=dict)

    @property
    def n_rejected(self) -> int:
        """Number of distinct rows rejected (a row with two problems counts once)."""
        return int(self.rejected["row"].nunique())

    def counts_by_reason(self) -> pd.Series:
        """Rows rejected per reason, most frequent first.

        A reason reads ``'<kind>'`` or ``'<kind>; <detail>'`` (``'duplicate school id; first
        at row 7'``); rows are counted by kind.
        """
        return _rows_by_reason(self.rejected)

    def to_frame(self) -> pd.DataFrame:
        """The problems as a new frame with the source, ready to save for whoever fixes the file."""
        return self.rejected.assign(source=self.source)[["source", *_REJECTED_COLUMNS]]

    def to_text(self) -> str:
        """A readable summary: counts, reasons, the first problems and flags, derivations,
        value mappings, headers, warnings."""
        lines = [
            f"Read report for {self.source}",
            f"  rows read: {self.n_rows:,}",
            f"  kept:      {self.n_kept:,}",
            f"  rejected:  {self.n_rejected:,}",
        ]
        lines += _problem_lines(self.rejected, "Rejected rows by reason:", "report.rejected")
        lines += _problem_lines(self.flagged, "Kept, but check these rows:", "report.flagged")
        if self.derived:
            lines.append("Derived:")
            lines += [f"  {key}: {how}" for key, how in self.derived.items()]
        if self.mapped:
            lines.append("Mapped values:")
            lines += [f"  {key}: {how}" for key, how in self.mapped.items()]
        lines.append("Headers used:")
        lines += [f"  {key} <- {header!r}" for key, header in self.column_map.items()]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {text}" for text in self.warnings]
        return "\n".join(lines)


def _problem_lines(problems: pd.DataFrame, title: str, where: str) -> list[str]:
    if problems.empty:
        return []
    lines = [title]
    lines += [f"  {reason}: {count:,}" for reason, count in _rows_by_reason(problems).items()]
    lines.append("First problems:" if where == "report.rejected" else "First rows:")
    lines += [f"  {_describe(p)}" for p in problems.head(_TEXT_LIMIT).itertuples()]
    if len(problems) > _TEXT_LIMIT:
        lines.append(f"  … and {len(problems) - _TEXT_LIMIT:,} more ({where})")
    return lines


def _describe(problem: Any) -> str:
    value = f" (value {problem.value!r})" if problem.value != "" else ""
    return f"row {problem.row}, column {problem.column!r}: {problem.reason}{value}"


class ReadResult(NamedTuple):
    """The schools frame and the report of how it was read."""

    schools: gpd.GeoDataFrame
    report: ReadReport


# --------------------------------------------------------------------------- flags and refusals


_SEVERITY = (
    "far from all the other schools",
    "same name and point as another school",
    "negative quality where the other schools' are >= 0",
    "point shared by several schools",
    "name used by another school",
)


def _by_severity(flagged: pd.DataFrame) -> pd.DataFrame:
    """Flagged rows, the likeliest mistakes first (then by row)."""
    kind = flagged["reason"].str.split(";", n=1).str[0]
    rank = kind.map({k: i for i, k in enumerate(_SEVERITY)}).fillna(len(_SEVERITY))
    order = np.lexsort((flagged["row"].to_numpy(), rank.to_numpy()))
    return flagged.iloc[order].reset_index(drop=True)


def _first_problems(rejected: pd.DataFrame, limit: int) -> list[str]:
    lines = [_describe(p) for p in rejected.head(limit).itertuples()]
    if len(rejected) > limit:
        lines.append(f"… and {len(rejected) - limit:,} more rows")
    return lines


def _problem_list(lines: list[str]) -> str:
    return "\n".join(f"  {line}" for line in lines)


def _advice(report: ReadReport) -> str:
    """What to do when no row is usable, from the most common reason."""
    reason = report.counts_by_reason().index[0]
    lon, lat = report.column_map.get(LON), report.column_map.get(LAT)
    if reason == "latitude and longitude probably swapped" and lon and lat:
        return (
            f"The columns look exchanged: read {lat!r} as longitude and {lon!r} as "
            f"latitude, columns={{'lon': {lat!r}, 'lat': {lon!r}}} in Python or "
            f"--column lon={lat} --column lat={lon} on the command line."
        )
    if reason == "outside the study area":
        return (
            "Check study_area= (min_lon, min_lat, max_lon, max_lat, in WGS-84 degrees) and coords=."
        )
    if reason.startswith("row separated by"):
        return "Use one delimiter throughout the file (save it again as CSV UTF-8)."
    return "Check that columns= maps the right headers and that coords= is right."


def _fail_if_unusable(report: ReadReport, strict: bool) -> None:
    if strict and report.n_rejected:
        lines = _first_problems(report.rejected, _STRICT_LIMIT)
        raise InputError(
            f"{report.source}: {report.n_rejected:,} of {report.n_rows:,} rows cannot be used "
            f"(strict=True):\n{_problem_list(lines)}\n"
            "Fix these rows, or read without strict to keep the usable rows and get a report.",
            code="read.strict",
            values={
                "rest_source": report.source,
                "count": f"{report.n_rejected:,}",
                "rows": f"{report.n_rows:,}",
                "rest_problems": lines,
            },
        )
    if report.n_kept == 0:
        counts = list(report.counts_by_reason().items())
        reasons = ", ".join(f"{k} ({v:,})" for k, v in counts)
        lines, advice = _first_problems(report.rejected, _TEXT_LIMIT), _advice(report)
        raise InputError(
            f"{report.source}: none of the {report.n_rows:,} rows can be used: {reasons}. "
            f"First problems:\n{_problem_list(lines)}\n{advice}",
            code="read.unusable",
            values={
                "rest_source": report.source,
                "rows": f"{report.n_rows:,}",
                "rest_reasons": [f"{k} ({v:,} rows)" for k, v in counts],
                "rest_problems": lines,
                "rest_advice": advice,
            },
        )
