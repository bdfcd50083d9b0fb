"""The one error hierarchy of geogroup.

Every user mistake raises a subclass of :class:`GeogroupError`; the CLI prints its message
as ``Error: …`` and exits 1. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["GeogroupError", "InfeasibleError", "InputError", "PolicyError"]


class GeogroupError(ValueError):
    """Base of every error a user can cause and fix."""


class InputError(GeogroupError):
    """A school list (or plan file) that cannot be read or used as given."""


class PolicyError(GeogroupError):
    """A policy that is invalid in itself (unknown key, min > max, negative distance)."""


class InfeasibleError(GeogroupError):
    """A valid policy that these schools cannot satisfy; the message names the rule to relax."""
