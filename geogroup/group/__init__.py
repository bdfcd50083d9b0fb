"""Grouping: one interface, several methods, one registry.

Every method is a class with the same constructor parameters (``policy``, ``random_state``,
``time_limit``, ``on_infeasible`` and its own), ``fit(schools, by=None, previous=None)`` and
the fitted ``plan_``. :data:`METHODS` finds them by name for the CLI and notebooks alike;
:func:`propose` is the one-call form.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from geogroup.errors import PolicyError
from geogroup.group._base import ALL_RULES, BaseGrouper
from geogroup.group._districts import DistrictGrouper
from geogroup.group._exact import ExactGrouper
from geogroup.group._fast import FastGrouper
from geogroup.group._kmeans import KMeansGrouper
from geogroup.group._pairs import PairGrouper
from geogroup.locate import DistanceTable
from geogroup.plan import Plan
from geogroup.policy import PRESETS, Policy, get_policy
from geogroup.pool import BACKENDS

__all__ = [
    "ALL_RULES",
    "BACKENDS",
    "METHODS",
    "BaseGrouper",
    "DistrictGrouper",
    "ExactGrouper",
    "FastGrouper",
    "KMeansGrouper",
    "PairGrouper",
    "get_method",
    "propose",
]

METHODS: dict[str, type[BaseGrouper]] = BaseGrouper.registry
"""Grouping methods by name: every subclass of :class:`BaseGrouper` with a ``name`` is in
it once its class is defined (``exact``, ``fast``, ``kmeans``, ``districts``, ``pairs``)."""
for _cls in (ExactGrouper, FastGrouper, KMeansGrouper, DistrictGrouper, PairGrouper):
    METHODS[_cls.name] = METHODS.pop(_cls.name)  # in this order in messages and menus


def get_method(name: str, **params: Any) -> BaseGrouper:
    """An instance of the method called ``name`` with the given constructor parameters.

    Examples
    --------
    >>> get_method("fast", policy="shandong", random_state=1)
    FastGrouper(policy='shandong', random_state=1)
    """
    if name not in METHODS:
        raise PolicyError(f"unknown method {name!r}; methods: {', '.join(sorted(METHODS))}")
    return METHODS[name](**params)


def propose(
    schools: gpd.GeoDataFrame,
    policy: str | Policy | None = None,
    *,
    method: str | BaseGrouper | None = None,
    by: str | None = None,
    random_state: int | None = 0,
    time_limit: float = 60.0,
    previous: Plan | None = None,
    rejected: pd.DataFrame | None = None,
    distances: DistanceTable | None = None,
) -> Plan:
    """Propose 1+X groups for ``schools`` under ``policy``.

    Parameters
    ----------
    schools
        The frame :func:`~geogroup.read_schools` returns.
    policy
        A preset name (see :data:`~geogroup.PRESETS`), a TOML path or a :class:`Policy`;
        may be left out when ``method`` is a configured method object (its own policy
        is used). When both are given, ``policy`` wins.
    method
        A registry name (``'exact'``, ``'fast'``, ``'kmeans'``, ``'districts'``, ``'pairs'``)
        or a configured method object (e.g. ``get_method("districts", policy=…,
        boundary=…)``); default: the policy's own ``method``.
    by
        Column of administrative units, each grouped on its own.
    random_state, time_limit
        Passed to the method when ``method`` is a name.
    previous
        An earlier plan whose group ids to keep; moves cost the policy's ``move_cost``.
    rejected
        The read report's rejected rows, carried into the plan (``report.rejected``).
    distances
        Distances along roads or from a table (:class:`~geogroup.locate.DistanceTable`,
        e.g. :func:`~geogroup.locate.read_distance_table`) instead of straight lines.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = propose(toy_schools(), Policy(members=(2, 2), leads="top:0.34"), method="exact")
    >>> plan.schools.groupby("group_id")["lead_id"].first().tolist()
    ['A', 'D']
    """
    if policy is None:
        if not isinstance(method, BaseGrouper):
            raise PolicyError(
                "policy: name a preset ("
                + ", ".join(sorted(PRESETS))
                + "), give a .toml file or a Policy, or pass a configured method object"
            )
        policy = method.policy
    policy = get_policy(policy)
    if method is None or isinstance(method, str):
        method = get_method(
            method or policy.method, policy=policy, random_state=random_state, time_limit=time_limit
        )
    elif isinstance(method, BaseGrouper):
        method = type(method)(**{**method.get_params(), "policy": policy})
    else:
        raise PolicyError(
            f"method: expected a name or a method object, got {type(method).__name__}"
        )
    return method.fit(
        schools, by=by, previous=previous, rejected=rejected, distances=distances
    ).plan_
