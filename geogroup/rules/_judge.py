"""The judge: every rule a plan breaks, one small function per rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from scipy.spatial import cKDTree

from geogroup import schema as S
from geogroup.policy import Policy
from geogroup.rules._plan import PlanArrays
from geogroup.rules._units import spaced, within_cap, within_minutes

Row = dict[str, object]
_SHOWN = 5


def row(rule: str, group: str | None, ids: Iterable[object], detail: str) -> Row:
    return {
        "rule": rule,
        "group_id": group,
        "school_ids": tuple(sorted(map(str, ids))),
        "detail": detail,
    }


def _cannot(rule: str, detail: str) -> list[Row]:
    return [row(rule, None, [], f"cannot be checked: {detail}")]


def shown(ids: list[str]) -> str:
    extra = f" … and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return ", ".join(map(str, ids[:_SHOWN])) + extra


def _schools_of(p: PlanArrays, g: int) -> list[str]:
    return p.ids[p.group_positions()[g]].tolist()


def _distinct(p: PlanArrays, codes: np.ndarray) -> np.ndarray:
    """Distinct values of ``codes`` (integers) among the assigned schools of each group."""
    at = np.flatnonzero(p.assigned)
    pairs = np.unique(np.stack([p.group[at], codes[at]], axis=1), axis=0)
    return (
        np.bincount(pairs[:, 0], minlength=len(p.group_names))
        if len(pairs)
        else np.zeros(len(p.group_names), dtype=np.int64)
    )


def _role(p: PlanArrays, policy: Policy) -> list[Row]:
    out = []
    unknown = p.ids[~np.isin(p.role, list(S.ROLES))].tolist()
    if unknown:
        values = sorted({str(r) for r in p.role[~np.isin(p.role, list(S.ROLES))]})
        out.append(
            row(
                "role",
                None,
                unknown,
                f"role {', '.join(repr(v) for v in values)} is not one of "
                f"{', '.join(S.ROLES)} (schools {shown(unknown)}); counted as members",
            )
        )
    no_group = p.ids[np.isin(p.role, [S.LEAD, S.MEMBER]) & (p.group < 0)].tolist()
    if no_group:
        out.append(
            row(
                "role",
                None,
                no_group,
                f"{len(no_group)} lead or member school(s) have no group_id "
                f"({shown(no_group)}); counted as unassigned",
            )
        )
    return out


def _unassigned(p: PlanArrays, policy: Policy) -> list[Row]:
    silent = p.ids[~p.assigned & ~p.has_reason].tolist()
    if not silent:
        return []
    return [
        row(
            "unassigned",
            None,
            silent,
            f"{len(silent)} school(s) in no group and no reason given ({shown(silent)})",
        )
    ]


def _one_lead(p: PlanArrays, policy: Policy) -> list[Row]:
    n_leads = p.per_group(p.lead)
    out = []
    used = p.per_group(p.assigned) > 0
    for g in np.flatnonzero(used & (n_leads != 1)):
        name = p.group_names[g]
        at = p.group_positions()[g]
        leads = p.ids[at[p.lead[at]]].tolist()
        detail = (
            f"{name} has {len(leads)} leads ({', '.join(leads)})"
            if leads
            else f"{name} has no lead"
        )
        out.append(
            row("one_lead", name, leads or _schools_of(p, g), f"{detail}; a group has exactly one")
        )
    return out


def _members(p: PlanArrays, policy: Policy) -> list[Row]:
    lo, hi = policy.members
    size = p.per_group(p.member)
    used = p.per_group(p.assigned) > 0
    bad = np.flatnonzero(used & ((size < lo) | (size > hi)))
    return [
        row(
            "members",
            p.group_names[g],
            _schools_of(p, g),
            f"{p.group_names[g]} has {int(size[g])} members; policy members = [{lo}, {hi}]",
        )
        for g in bad
    ]


STUDENTS_TOLERANCE = 1e-6  # students: counts, compared with this slack for float sums


def _loads(p: PlanArrays) -> tuple[np.ndarray, np.ndarray]:
    """Students of each group (its lead's included) and how many of its schools have none."""
    students = np.asarray(p.students, dtype=float)
    unknown = np.isnan(students)
    return p.per_group(np.where(unknown, 0.0, students)), p.per_group(unknown)


def _group_students(p: PlanArrays, policy: Policy) -> list[Row]:
    limits = policy.group_students
    if limits is None:
        return []
    if p.students is None:
        return _cannot("group_students", f"the schools have no {S.STUDENTS!r} column")
    lo, hi = limits
    load, unknown = _loads(p)
    used = p.per_group(p.assigned) > 0
    out = []
    for g in np.flatnonzero(used):
        name = p.group_names[g]
        if unknown[g]:
            detail = f"{name}: {int(unknown[g])} of its schools have no student count"
        elif load[g] < lo - STUDENTS_TOLERANCE or load[g] > hi + STUDENTS_TOLERANCE:
            detail = f"{name} has {load[g]:g} students"
        else:
            continue
        out.append(
            row(
                "group_students",
                name,
                _schools_of(p, g),
                f"{detail}; policy group_students = [{lo}, {hi}]",
            )
        )
    return out


def _capacity(p: PlanArrays, policy: Policy) -> list[Row]:
    column = policy.capacity_column
    if not column:
        return []
    if p.capacity is None:
        return _cannot("capacity", f"the schools have no column {column!r}")
    if p.students is None:
        return _cannot("capacity", f"the schools have no {S.STUDENTS!r} column")
    load, unknown = _loads(p)
    head = p.lead_position()
    out = []
    for g in np.flatnonzero(head >= 0):
        name, lead = p.group_names[g], head[g]
        cap = p.capacity[lead]
        if np.isnan(cap):
            detail = f"its lead {p.ids[lead]} has no capacity in column {column!r}"
        elif unknown[g]:
            detail = f"{int(unknown[g])} of its schools have no student count"
        elif load[g] > cap + STUDENTS_TOLERANCE:
            detail = f"{load[g]:g} students, more than its lead {p.ids[lead]} holds ({cap:g})"
        else:
            continue
        out.append(row("capacity", name, _schools_of(p, g), f"{name}: {detail}"))
    return out


def _n_groups(p: PlanArrays, policy: Policy) -> list[Row]:
    wanted = policy.n_groups
    if wanted is None:
        return []
    at = np.flatnonzero(p.assigned & (p.unit >= 0))
    pairs = np.unique(np.stack([p.unit[at], p.group[at]], axis=1), axis=0).reshape(-1, 2)
    count = np.bincount(pairs[:, 0], minlength=len(p.unit_names))
    out = []
    for u in np.flatnonzero((count > 0) & (count != wanted)):  # a unit with no group: no plan
        where = f"unit {p.unit_names[u]!r}: " if p.unit_names[u] else ""
        out.append(
            row("n_groups", None, [], f"{where}{count[u]} groups; policy n_groups = {wanted}")
        )
    return out


def _leads(p: PlanArrays, policy: Policy) -> list[Row]:
    if p.may_lead is None:
        return _cannot(
            "leads",
            f"policy leads = {policy.leads!r} but the plan has no column {policy.lead_rule[1]!r}",
        )
    locked = np.zeros(p.n, bool) if p.fixed is None else np.array([f is not None for f in p.fixed])
    rule = repr(policy.leads) if isinstance(policy.leads, str) else f"[{shown(list(policy.leads))}]"
    out = [
        row(
            "leads",
            p.group_names[p.group[i]],
            [p.ids[i]],
            f"lead {p.ids[i]} of {p.group_names[p.group[i]]} (quality {p.quality[i]:g}) may "
            f"not lead under policy leads = {rule}",
        )
        for i in np.flatnonzero(p.lead & ~p.may_lead & ~locked)
    ]
    idle = p.ids[p.named & ~p.lead].tolist()
    if idle:
        out.append(
            row(
                "leads",
                None,
                idle,
                f"school(s) {shown(idle)} are named as leads by the policy but do not lead a group",
            )
        )
    return out


def _distance(p: PlanArrays, policy: Policy) -> list[Row]:
    cap = policy.max_distance_km
    if cap is None:
        return []
    km = p.distance_km()
    far = p.member & ~within_cap(np.nan_to_num(km, nan=0.0), cap)
    out = []
    for g in np.unique(p.group[far]):
        at = np.flatnonzero(far & (p.group == g))
        text = ", ".join(f"{p.ids[i]} {km[i]:.2f} km" for i in at)
        out.append(
            row(
                "max_distance_km",
                p.group_names[g],
                p.ids[at],
                f"{text} from the lead of {p.group_names[g]}; policy max_distance_km = {cap:g}",
            )
        )
    return out


def _travel(p: PlanArrays, policy: Policy) -> list[Row]:
    limit = policy.max_travel_min
    if limit is None:
        return []
    if p.table is None or not p.table.has_minutes:
        return _cannot("max_travel_min", "the plan has no travel times (road distances)")
    minutes = p.minutes()
    far = p.member & ~within_minutes(np.nan_to_num(minutes, nan=0.0), limit)
    out = []
    for g in np.unique(p.group[far]):
        at = np.flatnonzero(far & (p.group == g))
        text = ", ".join(f"{p.ids[i]} {minutes[i]:.0f} min" for i in at)
        out.append(row("max_travel_min", p.group_names[g], p.ids[at],
                       f"{text} from the lead of {p.group_names[g]}; policy max_travel_min = "
                       f"{limit:g}"))  # fmt: skip
    return out


def _pairing(p: PlanArrays, policy: Policy) -> list[Row]:
    if not policy.pair_urban_rural:
        return []
    if p.urban is None or p.rural is None:
        return _cannot("pair_urban_rural", "the plan has no 'area' column")
    urban_led = p.per_group(p.lead & p.urban) > 0
    rural = p.per_group(p.member & p.rural)
    return [
        row(
            "pair_urban_rural",
            p.group_names[g],
            _schools_of(p, g),
            f"{p.group_names[g]} has an urban lead and no rural member; "
            "policy pair_urban_rural = true",
        )
        for g in np.flatnonzero(urban_led & (rural < 1))
    ]


def _weak(p: PlanArrays, policy: Policy) -> list[Row]:
    need = policy.min_weak_per_group
    if not need:
        return []
    weak = p.per_group(p.member & p.weak)
    used = p.per_group(p.assigned) > 0
    return [
        row(
            "min_weak_per_group",
            p.group_names[g],
            _schools_of(p, g),
            f"{p.group_names[g]} has {int(weak[g])} weak members (bottom "
            f"{policy.weak_share:g} by quality); policy min_weak_per_group = {need}",
        )
        for g in np.flatnonzero(used & (weak < need))
    ]


def _weak_share(p: PlanArrays, policy: Policy) -> list[Row]:
    share = policy.min_weak_share
    if not share:
        return []
    weak = p.per_group(p.member & p.weak)
    size = p.per_group(p.assigned)
    short = (size > 0) & (weak < share * size - 1e-9)
    return [
        row(
            "min_weak_share",
            p.group_names[g],
            _schools_of(p, g),
            f"{p.group_names[g]} has {int(weak[g])} weak members of {int(size[g])} schools "
            f"({weak[g] / size[g]:.0%}); policy min_weak_share = {share:g}",
        )
        for g in np.flatnonzero(short)
    ]


def _levels(p: PlanArrays, policy: Policy) -> list[Row]:
    if policy.levels != "same":
        return []
    if p.level is None:
        return _cannot("levels", "the plan has no 'level' column")
    codes = np.unique(p.level.astype(str), return_inverse=True)[1]
    out = []
    for g in np.flatnonzero(_distinct(p, codes) > 1):
        at = p.group_positions()[g]
        levels = p.level[at]
        leads = levels[p.lead[at]]
        values, counts = np.unique(levels.astype(str), return_counts=True)
        ref = leads[0] if len(leads) else values[np.argmax(counts)]
        text = ", ".join(f"{v} ({c})" for v, c in zip(values, counts, strict=True))
        out.append(
            row(
                "levels",
                p.group_names[g],
                p.ids[at[levels != ref]],
                f"{p.group_names[g]} mixes levels {text}; policy levels = 'same'",
            )
        )
    return out


def _by(p: PlanArrays, policy: Policy) -> list[Row]:
    count = _distinct(p, p.by_code)
    return [
        row(
            "by",
            p.group_names[g],
            _schools_of(p, g),
            f"{p.group_names[g]} holds schools of {count[g]} units of the plan's 'by' "
            "column; a group stays within its unit",
        )
        for g in np.flatnonzero(count > 1)
    ]


def _sectors(p: PlanArrays, policy: Policy) -> list[Row]:
    if not policy.sectors or p.sector is None:
        return []
    out = [
        row("sectors", p.group_names[g], _schools_of(p, g),
            f"{p.group_names[g]} holds schools of {n} sectors; policy sectors = "
            f"{policy.sectors}: a group keeps to one sector")
        for g, n in enumerate(_distinct(p, p.sector)) if n > 1
    ]  # fmt: skip
    at = np.flatnonzero(p.lead & (p.unit >= 0))
    pairs = np.unique(np.stack([p.unit[at], p.sector[at], p.group[at]], axis=1), axis=0)
    keys, counts = np.unique(pairs[:, :2], axis=0, return_counts=True) if len(pairs) else ([], [])
    for (u, s), c in zip(keys, counts, strict=True):
        if c > 1:
            groups = sorted(
                p.group_names[g] for g in pairs[(pairs[:, 0] == u) & (pairs[:, 1] == s), 2]
            )
            out.append(row("sectors", ", ".join(groups), [],
                           f"{len(groups)} groups lead from sector {s} of unit "
                           f"{p.unit_names[u]!r}; policy sectors = {policy.sectors}: one group a "
                           "sector"))  # fmt: skip
    return out


def _spacing(p: PlanArrays, policy: Policy) -> list[Row]:
    spacing = policy.min_lead_spacing_km
    if not spacing:
        return []
    out = []
    for at in p.unit_positions():
        leads = at[p.lead[at]]
        if len(leads) < 2:
            continue
        pairs = cKDTree(p.xy[leads]).query_pairs(spacing * 1000.0 + 1.0, output_type="ndarray")
        for a, b in sorted(map(tuple, pairs)):
            i, j = sorted((leads[a], leads[b]))
            km = float(np.hypot(*(p.xy[i] - p.xy[j]))) / 1000.0
            if spaced(km, spacing):
                continue
            ga, gb = p.group_names[p.group[i]], p.group_names[p.group[j]]
            out.append(
                row(
                    "min_lead_spacing_km",
                    f"{ga}, {gb}",
                    [p.ids[i], p.ids[j]],
                    f"leads {p.ids[i]} ({ga}) and {p.ids[j]} ({gb}) are {km:.2f} km apart; "
                    f"policy min_lead_spacing_km = {spacing:g}",
                )
            )
    return out


def _fixed(p: PlanArrays, policy: Policy) -> list[Row]:
    if p.fixed is None:
        return []
    labels = np.array([f if f is not None else "" for f in p.fixed], dtype=object)
    names, codes = np.unique(labels.astype(str), return_inverse=True)
    where = np.where(p.assigned, p.group, -1)
    out = []
    order = np.argsort(codes, kind="stable")
    for at in np.split(order, np.searchsorted(codes[order], np.arange(1, len(names)))):
        if not len(at) or labels[at[0]] == "":
            continue
        groups, counts = np.unique(where[at], return_counts=True)
        if len(groups) == 1 and groups[0] >= 0:
            continue
        home = groups[np.argmax(counts)]
        left = at if home < 0 else at[where[at] != home]
        spread = ", ".join(
            f"{p.group_names[g] if g >= 0 else 'unassigned'} ({c})"
            for g, c in zip(groups, counts, strict=True)
        )
        out.append(
            row(
                "fixed_group",
                None if home < 0 else p.group_names[home],
                p.ids[left],
                f"fixed group {labels[at[0]]!r} is spread over {spread}; its schools stay together",
            )
        )
    labelled = np.where(labels != "", codes, -1)
    for g in np.flatnonzero(_distinct(p, labelled) > 1):
        at = p.group_positions()[g]
        found = sorted(set(labels[at]) - {""})
        if len(found) > 1:
            at = at[labels[at] != ""]
            out.append(
                row(
                    "fixed_group",
                    p.group_names[g],
                    p.ids[at],
                    f"{p.group_names[g]} holds schools of several fixed groups "
                    f"({', '.join(found)})",
                )
            )
    return out


JUDGES: tuple[Callable[[PlanArrays, Policy], list[Row]], ...] = (
    _role,
    _unassigned,
    _one_lead,
    _members,
    _group_students,
    _capacity,
    _n_groups,
    _leads,
    _distance,
    _travel,
    _pairing,
    _weak,
    _weak_share,
    _levels,
    _by,
    _sectors,
    _spacing,
    _fixed,
)


def violations(plan: PlanArrays, policy: Policy) -> list[Row]:
    """Every rule of ``policy`` the plan breaks: one dict per rule and group, with keys
    ``rule``, ``group_id`` (None for a rule about the whole plan), ``school_ids`` (a sorted
    tuple) and ``detail`` (the numbers and the policy's value)."""
    return [r for judge in JUDGES for r in judge(plan, policy)]
