"""The value checks of a policy: every problem named by its field, so one error lists them all.

:class:`geogroup.policy.Policy` calls :func:`policy_problems` when it is made; the checks live
here so the policy module holds the fields and their reading alone.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["LEVEL_RULES", "policy_problems"]

LEVEL_RULES = ("same", "mixed")


_MAX_KM = 20_000.0  # half the Earth's circumference: any distance beyond is a typo
_MAX_WEIGHT = 1e6  # a weight of a million already makes the other terms vanish


def policy_problems(p: Any) -> list[str]:
    """Every problem of a policy, each naming its field, so one error lists them all."""
    out: list[str] = []
    out += _type_problems(p)
    if out:
        return out  # the value checks below assume the types are right
    out += _member_problems(p)
    if p.n_groups is not None and p.n_groups < 1:
        out.append(f"policy field 'n_groups': expected a whole number >= 1, got {p.n_groups!r}")
    limits = {
        "max_distance_km": _MAX_KM,
        "max_travel_min": 10_000.0,
        "min_lead_spacing_km": _MAX_KM,
        "balance_weight": _MAX_WEIGHT,
        "move_cost": _MAX_WEIGHT,
    }
    for name, most in limits.items():
        value = getattr(p, name)
        if value is None:
            continue
        if not math.isfinite(value) or not 0 <= value <= most:
            out.append(
                f"policy field {name!r}: expected a number from 0 to {most:g}, got {value!r}"
            )
    if p.max_travel_min == 0:
        out.append("policy field 'max_travel_min': 0 minutes allows no member; omit it")
    if p.max_distance_km == 0:
        out.append(
            "policy field 'max_distance_km': 0 km allows no member at all; omit it for no cap"
        )
    if not 0 < p.weak_share < 1:
        out.append(
            f"policy field 'weak_share': expected a share between 0 and 1, got {p.weak_share!r}"
        )
    if not 0 <= p.min_weak_share < 1:
        out.append(
            "policy field 'min_weak_share': expected a share from 0 to below 1, got "
            f"{p.min_weak_share!r}"
        )
    if p.min_weak_per_group < 0:
        out.append(
            "policy field 'min_weak_per_group': expected a whole number >= 0, got "
            f"{p.min_weak_per_group!r}"
        )
    out += _placement_problems(p) + _share_problems(p)
    if p.levels not in LEVEL_RULES:
        out.append(f"policy field 'levels': expected 'same' or 'mixed', got {p.levels!r}")
    out += _lead_problems(p.leads) + _join_problems(p.join_levels)
    return out


def _join_problems(joined: Any) -> list[str]:
    """``join_levels``: pairs of level names (a TOML table, made pairs by the policy)."""
    ok = isinstance(joined, tuple) and all(
        isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(v, str) for v in pair)
        for pair in joined
    )
    if ok:
        return []
    return [
        "policy field 'join_levels': expected a table of levels, e.g. "
        f'{{"nine-year" = "middle"}}, got {joined!r}'
    ]


_KINDS = {
    "name": (str,),
    "description": (str,),
    "source": (str,),
    "method": (str,),
    "levels": (str,),
    "pair_urban_rural": (bool,),
    "allow_unassigned": (bool,),
    "keep_far": (bool,),
    "n_groups": (int, type(None)),
    "min_weak_per_group": (int,),
    "min_weak_share": (int, float),
    "max_distance_km": (int, float, type(None)),
    "max_travel_min": (int, float, type(None)),
    "min_lead_spacing_km": (int, float),
    "leads_from": (str,),
    "capacity_column": (str, type(None)),
    "coverage_target": (int, float, type(None)),
    "exchange_rate": (int, float),
    "key_exchange_rate": (int, float),
    "sectors": (int,),
    "balance_weight": (int, float),
    "move_cost": (int, float),
    "weak_share": (int, float),
}
_KIND_WORDS = {str: "text", bool: "true or false", int: "a whole number", float: "a number"}


def _type_problems(p: Any) -> list[str]:
    """Fields of the wrong type: a TOML ``"no"`` where true/false belongs is not false."""
    out = []
    for name, kinds in _KINDS.items():
        value = getattr(p, name)
        # True is an int to Python: a bool passes only where a bool is wanted.
        ok = isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))
        if not ok:
            wanted = " or ".join(
                _KIND_WORDS.get(k, "nothing") for k in kinds if k is not type(None)
            )
            if type(None) in kinds:
                wanted += " (or left out)"
            out.append(f"policy field {name!r}: expected {wanted}, got {value!r}")
    return out


def _share_problems(p: Any) -> list[str]:
    """Shares and enrolment limits, each checked for its range."""
    out = []
    for name in ("coverage_target", "exchange_rate", "key_exchange_rate"):
        value = getattr(p, name)
        if value is not None and not 0 < value <= 1:
            out.append(
                f"policy field {name!r}: expected a share above 0 and at most 1, got {value!r}"
            )
    limits = p.group_students
    if limits is not None:
        ok = (
            isinstance(limits, tuple)
            and len(limits) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in limits)
            and 0 <= limits[0] <= limits[1]
            and limits[1] >= 1
        )
        if not ok:
            out.append(
                "policy field 'group_students': expected [min, max] whole numbers of students "
                f"with 0 <= min <= max, got {limits!r}"
            )
    return out


def _placement_problems(p: Any) -> list[str]:
    """The sector rule and where leads may come from."""
    out = []
    if not 0 <= p.sectors <= 36:
        out.append(f"policy field 'sectors': expected 0 (no rule) to 36, got {p.sectors!r}")
    if p.leads_from not in ("any", "urban"):
        out.append(f"policy field 'leads_from': expected 'any' or 'urban', got {p.leads_from!r}")
    return out + _centre_problems(p.centre)


def _centre_problems(centre: Any) -> list[str]:
    if centre is None:
        return []
    ok = (
        isinstance(centre, tuple)
        and len(centre) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in centre)
        and all(math.isfinite(v) for v in centre)
        and -180 <= centre[0] <= 180
        and -90 <= centre[1] <= 90
    )
    if ok:
        return []
    return [f"policy field 'centre': expected [longitude, latitude] in degrees, got {centre!r}"]


def _member_problems(p: Any) -> list[str]:
    members = p.members
    if (
        not isinstance(members, tuple)
        or len(members) != 2
        or not all(isinstance(m, int) and not isinstance(m, bool) for m in members)
    ):
        return [f"policy field 'members': expected [min, max] whole numbers, got {members!r}"]
    lo, hi = members
    if lo < 0 or hi < 1:
        return [f"policy field 'members': expected 0 <= min and 1 <= max, got [{lo}, {hi}]"]
    if lo > hi:
        return [f"policy field 'members': min {lo} is greater than max {hi}; swap them"]
    return []


def _lead_problems(leads: Any) -> list[str]:
    if isinstance(leads, str) and " or " in leads:
        first, _, second = (part.strip() for part in leads.partition(" or "))
        if first.startswith("column:") and second.startswith("top:"):
            return _lead_problems(first) + _lead_problems(second)
        return [
            f"policy field 'leads': expected 'column:C or top:S' (the column when it marks "
            f"schools, else the top share), got {leads!r}"
        ]
    if isinstance(leads, tuple):
        return [] if leads else ["policy field 'leads': the list of lead ids is empty"]
    if not isinstance(leads, str):
        return [
            f"policy field 'leads': expected 'top:S', 'column:C' or a list of ids, got {leads!r}"
        ]
    kind, sep, value = leads.partition(":")
    if kind == "column" and sep and value:
        return []
    if kind == "top" and sep:
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if 0 < share <= 1:
            return []
        return [f"policy field 'leads': 'top:S' needs a share 0 < S <= 1, got {leads!r}"]
    return [
        f"policy field 'leads': expected 'top:0.2', 'column:lead_candidate' or a list of school ids, "
        f"got {leads!r}"
    ]
