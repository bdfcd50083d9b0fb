"""Which rules bind, when no grouping keeps them all.

The counting checks of ``_problem`` catch what numbers alone rule out (too few leads, rural
or weak schools for the groups the sizes need, schools beyond the cap, leads that cannot be
spaced). When those pass and the model is still infeasible, the rules bind together: each
one is lifted in turn and the LP relaxation of the model solved again; a rule whose lifting
makes it feasible is one to relax. Used for the message of the error, never for a plan.
"""

from __future__ import annotations

import copy
import math

import highspy

from geogroup.errors import InfeasibleError
from geogroup.group._model import Model, quiet_highs
from geogroup.group._problem import Problem

__all__ = ["diagnose"]

_MAX_PAIRS = 400_000  # the full relaxation of a larger unit costs more than a message is worth


def diagnose(problem: Problem) -> str:
    """A sentence naming the rules whose relaxation alone would allow a grouping."""
    lifted = _liftable(problem)
    if not lifted:
        return (
            "relax 'members', 'max_distance_km', 'pair_urban_rural', 'min_weak_per_group', "
            "'n_groups' or 'min_lead_spacing_km'"
        )
    if int(problem.active.sum()) * len(problem.leads_pool) > _MAX_PAIRS:
        return f"the rules in play are {', '.join(_shown(r, problem) for r in lifted)}: relax one"
    helps = [rule for rule in lifted if _feasible(_without(problem, rule))]
    if helps:
        return (
            "the rules bind together: lifting "
            + " or ".join(_shown(rule, problem) for rule in helps)
            + " alone makes a grouping possible (the model's relaxation says so); relax it"
        )
    return (
        "no single rule is to blame: lifting any one of "
        + ", ".join(_shown(r, problem) for r in lifted)
        + " alone still leaves no grouping; relax several"
    )


def _liftable(problem: Problem) -> list[str]:
    policy = problem.policy
    out = []
    if policy.max_distance_km is not None:
        out.append("max_distance_km")
    if policy.pair_urban_rural:
        out.append("pair_urban_rural")
    if policy.min_weak_per_group:
        out.append("min_weak_per_group")
    if policy.min_weak_share:
        out.append("min_weak_share")
    if policy.min_lead_spacing_km:
        out.append("min_lead_spacing_km")
    if policy.n_groups is not None:
        out.append("n_groups")
    if policy.min_members:
        out.append("members")
    return out


def _shown(rule: str, problem: Problem) -> str:
    value = getattr(problem.policy, rule)
    if rule == "members":
        return f"the minimum of 'members' ({value[0]})"
    if isinstance(value, bool):
        return f"{rule!r}"
    return f"{rule!r} (= {value:g})"


def _without(problem: Problem, rule: str) -> Problem:
    """The unit with one rule lifted (and the number of groups the sizes then allow)."""
    policy = problem.policy
    changes = {
        "max_distance_km": {"max_distance_km": None},
        "pair_urban_rural": {"pair_urban_rural": False},
        "min_weak_per_group": {"min_weak_per_group": 0},
        "min_weak_share": {"min_weak_share": 0.0},
        "min_lead_spacing_km": {"min_lead_spacing_km": 0.0},
        "n_groups": {"n_groups": None},
        "members": {"members": (0, policy.max_members)},
    }[rule]
    lifted = copy.copy(problem)
    lifted.policy = policy.replace(**changes)
    n = int(problem.active.sum())
    lo, hi = lifted.policy.members
    g_lo, g_hi = math.ceil(n / (hi + 1)), n // (lo + 1)
    if lifted.policy.n_groups is not None:
        g_lo = g_hi = lifted.policy.n_groups
    lifted.n_groups_range = (max(g_lo, 1), max(min(g_hi, len(problem.leads_pool)), 1))
    return lifted


def _feasible(problem: Problem) -> bool:
    """Whether the LP relaxation of the full model has a solution."""
    try:
        lp = Model(problem, len(problem.leads_pool))._lp()
    except InfeasibleError:  # a school with no candidate lead at all
        return False
    lp.integrality_ = []
    h = quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", 10.0)
    h.passModel(lp)
    h.run()
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal
