"""A plan file read on the command line: :func:`geogroup.read_plan`, and what it noted."""

from __future__ import annotations

from typing import Any

from geogroup.cli._lang import say, translated
from geogroup.cli._text import echo

__all__ = ["read_plan_file"]


def read_plan_file(path: str) -> Any:
    """:func:`geogroup.read_plan` of ``path``, saying what the reader noted (a sheet
    chosen, locations taken from the plan beside an edited file) on standard error."""
    from geogroup.plan import read_plan

    plan = read_plan(path)
    for note in plan.notes:
        echo(say("note", message=translated(note) or note), err=True)
    return plan
