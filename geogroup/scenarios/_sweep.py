"""The trade-off between travel and balance, by a sweep over the balance weight.

Each weight gives one point: the plan that minimises ``distance + w · balance``. Under
``method='auto'`` the point is solved by ``fast`` and then, while the total time lasts, by
``exact`` within the time limit of a point; the better plan of the two at that weight is
kept, labelled with its method, its status and its proven gap (HiGHS's bound, when HiGHS
modelled every school with every candidate lead, bounds the objective at that weight for
any plan). A minimiser of a weighted sum is never dominated by another plan when it is
optimal; a plan stopped by the time limit may be, and is then listed as dominated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from geogroup.errors import InfeasibleError, PolicyError
from geogroup.group import METHODS
from geogroup.policy import Policy
from geogroup.scenarios._run import Job, Scenario, proven_bound, same_plan

__all__ = ["FACTORS", "METHOD_CHOICES", "MIN_EXACT_SECONDS", "sweep", "sweep_weights"]

FACTORS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
"""The default weights, as multiples of the policy's own (of 1 when the policy's is 0)."""

METHOD_CHOICES = ("auto", *METHODS)
MIN_EXACT_SECONDS = 1.0  # less time left than this, and exact is not started
KEPT_FOR_ALTERNATIVES = 0.2  # of the total time: exact never eats into it
MAX_WEIGHTS = 50


def sweep_weights(policy: Policy, weights: Sequence[float] | None = None) -> list[float]:
    """The weights of a sweep, ascending and without repeats, the policy's own always among
    them: ``weights``, or the policy's weight times :data:`FACTORS`.

    Examples
    --------
    >>> from geogroup import Policy
    >>> sweep_weights(Policy(balance_weight=2.0))
    [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
    >>> sweep_weights(Policy(), [3, 0])
    [0.0, 1.0, 3.0]
    """
    scale = policy.balance_weight if policy.balance_weight > 0 else 1.0
    given = [scale * f for f in FACTORS] if weights is None else list(weights)
    bad = [w for w in given if not _weight(w)]
    if bad:
        raise PolicyError(
            f"weights: expected balance weights >= 0 (finite numbers), got {bad[0]!r}; "
            "give e.g. weights=[0, 0.5, 1, 2, 4]"
        )
    chosen = sorted({round(float(w), 12) for w in [*given, policy.balance_weight]})
    if len(chosen) > MAX_WEIGHTS:
        raise PolicyError(
            f"weights: {len(chosen)} weights; give at most {MAX_WEIGHTS} (each is a whole "
            "grouping run)"
        )
    return chosen


def _weight(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def sweep(job: Job, weights: Sequence[float], method: str) -> list[Scenario]:
    """One scenario per weight, ``F1``, ``F2``, … in the order of ``weights``; a plan equal
    to an earlier one says so (``same_as``)."""
    points: list[Scenario] = []
    for number, weight in enumerate(weights, start=1):
        point = _point(job, weight, method, f"F{number}")
        point.same_as = next((p.id for p in points if same_plan(p.plan, point.plan)), None)
        points.append(point)
    return points


def _point(job: Job, weight: float, method: str, sid: str) -> Scenario:
    policy = job.at(weight)
    if method != "auto":
        plan, seconds = job.solve(policy, method)
        bound = proven_bound(plan) if plan.method == "exact" else None
        return Scenario(
            sid, "front", weight, plan, method, "weight sweep", plan.status,
            gap=plan.gap, bound=bound, seconds=seconds, note=_restricted_note(plan),
            seed=job.random_state,
        )  # fmt: skip
    fast_plan, fast_seconds = job.solve(policy, "fast")
    fast = Scenario(
        sid, "front", weight, fast_plan, "fast", "weight sweep", fast_plan.status,
        seconds=fast_seconds, seed=job.random_state,
    )  # fmt: skip
    left = job.budget.left() - KEPT_FOR_ALTERNATIVES * job.budget.total
    if left < MIN_EXACT_SECONDS:
        fast.note = "exact not run: the total time was spent"
        return fast
    try:
        exact_plan, exact_seconds = job.solve(policy, "exact", time_limit=min(job.time_limit, left))
    except InfeasibleError as exc:  # fast found a plan: exact's model should too
        fast.note = f"exact found no plan: {exc}"
        return fast
    exact = Scenario(
        sid, "front", weight, exact_plan, "exact", "weight sweep", exact_plan.status,
        gap=exact_plan.gap, bound=proven_bound(exact_plan),
        seconds=fast_seconds + exact_seconds, note=_restricted_note(exact_plan),
        seed=job.random_state,
    )  # fmt: skip
    if exact.objective <= fast.objective + 1e-12:
        return exact
    fast.bound = exact.bound
    fast.gap = fast.gap_to(exact.bound)
    fast.seconds += exact_seconds
    fast.note = (
        f"exact stopped at its time limit with a worse plan (objective {exact.objective:.4f}, "
        f"status {exact.status})" + ("; its bound gives the gap" if exact.bound is not None else "")
    )
    return fast


def _restricted_note(plan) -> str:
    if any(unit.get("restricted") for unit in plan.units):
        return "exact modelled each school's nearest candidate leads only: its bound and gap hold for that model"
    return ""
