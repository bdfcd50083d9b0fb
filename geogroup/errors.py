"""The one error hierarchy of geogroup.

Every user mistake raises a subclass of :class:`GeogroupError`; the CLI prints its message
as ``Error: …`` (``错误：…`` in Chinese) and exits 1. Anything else is a bug and keeps its
traceback.

An error may carry a stable ``code`` and the ``values`` its message was made of, so that
the command line can say it in another language (``geogroup/cli/messages/*.toml``);
``str()`` is always the English message.

Examples
--------
>>> err = InputError("plan.csv lacks column role", code="plan.columns",
...                  values={"label": "plan.csv", "missing": "role"})
>>> str(err), err.code, err.values["missing"]
('plan.csv lacks column role', 'plan.columns', 'role')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["GeogroupError", "InfeasibleError", "InputError", "PolicyError"]


class GeogroupError(ValueError):
    """Base of every error a user can cause and fix.

    Parameters
    ----------
    message
        What was expected, what arrived, where, and what to do (in English).
    code
        A stable key of the kind of error (``'plan.columns'``), or None.
    values
        The values the message names (file, row, column, value, …), by name.
    """

    def __init__(
        self, message: str = "", *, code: str | None = None, values: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.values: dict[str, Any] = dict(values or {})


class InputError(GeogroupError):
    """A school list (or plan file) that cannot be read or used as given."""


class PolicyError(GeogroupError):
    """A policy that is invalid in itself (unknown key, min > max, negative distance)."""


class InfeasibleError(GeogroupError):
    """A valid policy that these schools cannot satisfy; the message names the rule to relax."""
