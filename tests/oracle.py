"""An independent judge of plans and their objective, for the tests.

Written from the rules as the policy documents and ``docs/data-contract.md`` state them, in
plain Python, without geogroup's rulebook, objective, distances or metric CRS: when a
method or the rulebook drops or bends a rule, this judge still sees it. It is slow on
purpose (loops, dictionaries), and meant for the small plans tests build.

The rules, as read here:
- every school is in one group with role lead or member, or unassigned with a reason (a
  role other than those three, or a lead or member without a group, is a ``role`` fault);
- a group has exactly one lead and ``members = [lo, hi]`` members;
- under ``n_groups``, every unit that holds a group holds exactly that many;
- a lead is in the lead pool of its unit (``top:S``: the ``max(1, ceil(S·n))`` best by
  quality, ties: the larger id first; ``column:C``: a yes-word in C; a list: those ids,
  each of which leads) — the head of a fixed group excepted;
- a member lies within ``max_distance_km`` (+1 mm) of its lead, measured in the UTM zone
  of its unit's centre (mean latitude, circular mean longitude);
- an urban lead has a rural member;
- a group has ``min_weak_per_group`` weak members, weak = the ``ceil(share·n)`` lowest of
  the unit by quality (ties: the smaller id first), and weak members make at least
  ``min_weak_share`` of the group's schools (the lead counted in the size);
- under ``levels='same'``, a group holds one level; a group stays within one ``by`` value;
- two leads of a unit are at least ``min_lead_spacing_km`` (−1 mm) apart;
- a fixed group's schools share one group, with no other fixed group's schools.
A unit is the ``by`` value, and the level under ``levels='same'``.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pyproj

YES = {"1", "true", "t", "yes", "y", "是", "√", "✓", "✔"}
MISSING = {"", ".", "-", "na", "n/a", "nan", "null", "none", "#n/a", "无", "空", "not applicable"}
SLACK_KM = 1e-6
GEOD = pyproj.Geod(ellps="WGS84")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    return None if text.casefold() in MISSING else text


def _yes(value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    return text is not None and text.casefold() in YES


def _records(schools) -> list[dict]:
    """One plain dict per school: id, lon, lat and every column as Python values."""
    out = []
    geometry = schools.geometry if hasattr(schools, "geometry") else None
    plane = geometry is not None and geometry.crs is None  # plain x/y in metres, as given
    wgs = geometry.to_crs("EPSG:4326") if geometry is not None and not plane else None
    for k, (sid, row) in enumerate(schools.iterrows()):
        rec = {c: row[c] for c in schools.columns if c != "geometry"}
        rec["_id"] = str(sid)
        if wgs is not None:
            rec["_lon"], rec["_lat"] = float(wgs.iloc[k].x), float(wgs.iloc[k].y)
        if plane:
            rec["_x"], rec["_y"] = float(geometry.iloc[k].x), float(geometry.iloc[k].y)
        out.append(rec)
    return out


def _utm(points: list[tuple[float, float]]) -> pyproj.Transformer:
    lat = sum(p[1] for p in points) / len(points)
    s = sum(math.sin(math.radians(p[0])) for p in points)
    c = sum(math.cos(math.radians(p[0])) for p in points)
    lon = math.degrees(math.atan2(s / len(points), c / len(points)))
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)


def _units(recs: list[dict], policy, by: str | None) -> dict[str, list[dict]]:
    units: dict[str, list[dict]] = defaultdict(list)
    for r in recs:
        parts = []
        if by:
            value = _text(r.get(by))
            if value is None:
                r["_unit"] = None
                continue
            parts.append(value)
        if policy.levels == "same" and "level" in r:
            parts.append(_level(r, policy))
        r["_unit"] = "-".join(parts)
        r["_by"] = parts[0] if by else ""
        units[r["_unit"]].append(r)
    return units


def _level(r: dict, policy) -> str:
    level = _text(r.get("level")) or "unknown-level"
    return dict(policy.join_levels).get(level, level)


def _seat(recs: list[dict]) -> tuple[float, float]:
    """The densest place of urban schools (most urban schools within 3 km), else the mean."""
    urban = [r for r in recs if _area(r) == "urban"] or recs
    if urban is recs:
        return sum(r["_lon"] for r in recs) / len(recs), sum(r["_lat"] for r in recs) / len(recs)
    best = []
    for a in urban:
        near = [b for b in urban if GEOD.inv(a["_lon"], a["_lat"], b["_lon"], b["_lat"])[2] <= 3000]
        best = near if len(near) > len(best) else best
    return sum(r["_lon"] for r in best) / len(best), sum(r["_lat"] for r in best) / len(best)


def _mark_sectors(recs: list[dict], policy, by: str | None) -> None:
    """Each school's sector around its county's seat (the policy's centre when given)."""
    counties: dict = defaultdict(list)
    for r in recs:
        if r.get("_unit") is not None:
            counties[r.get("_by", "")].append(r)
    width = 360.0 / policy.sectors
    for rs in counties.values():
        centre = tuple(policy.centre) if policy.centre is not None else _seat(rs)
        for r in rs:
            azimuth = GEOD.inv(centre[0], centre[1], r["_lon"], r["_lat"])[0]
            r["_sector"] = int(((azimuth + width / 2) % 360) // width) % policy.sectors


def _mark_unit(unit: list[dict], policy) -> None:
    """Weak flags, lead pool and metric coordinates of one unit's schools."""
    n = len(unit)
    low_first = sorted(unit, key=lambda r: (float(r["quality"]), r["_id"]))
    k_weak = math.ceil(policy.weak_share * n - 1e-9)
    for i, r in enumerate(low_first):
        r["_weak"] = i < k_weak
    _mark_pool(unit, policy)
    if "_lon" in unit[0]:
        to = _utm([(r["_lon"], r["_lat"]) for r in unit])
        for r in unit:
            r["_x"], r["_y"] = to.transform(r["_lon"], r["_lat"])


def _mark_pool(unit: list[dict], policy) -> None:
    """Who may lead, and who must (a list of ids)."""
    n = len(unit)
    leads = policy.leads
    column = None
    if isinstance(leads, str) and leads.startswith("column:"):
        column = leads.split(" or ")[0][len("column:") :].strip()
        if " or " in leads and not any(_yes(r.get(column)) for r in unit):
            column = None  # the column marks nobody here: the top share
    for r in unit:
        r["_named"] = isinstance(leads, tuple) and r["_id"] in {str(x) for x in leads}
        r["_pool"] = r["_named"] if isinstance(leads, tuple) else _yes(r.get(column))
    if isinstance(leads, str) and column is None:
        k = max(1, math.ceil(float(leads.rsplit(":", 1)[1]) * n - 1e-9))
        best_first = sorted(unit, key=lambda r: (float(r["quality"]), r["_id"]), reverse=True)
        for i, r in enumerate(best_first):
            r["_pool"] = i < k
    if policy.leads_from == "urban":
        for r in unit:
            r["_pool"] = r["_pool"] and _area(r) == "urban"


def _role(r: dict) -> str:
    group = _text(r.get("group_id"))
    role = _text(r.get("role"))
    if group is None or (role or "").lower() == "unassigned":
        return "unassigned"
    return "lead" if (role or "").lower() == "lead" else "member"


def violations(schools, policy, by: str | None = None, table=None) -> set[tuple[str, str | None]]:
    """Every (rule, group) the plan breaks; the group is None for a rule about the plan.

    ``table``: a frame of road distances (from_id, to_id, km[, minutes]); a pair it lacks,
    in either direction, is infinitely far."""
    global _TABLE
    _TABLE = None if table is None else _table_dict(table)
    recs = _records(schools)
    units = _units(recs, policy, by)
    for unit in units.values():
        _mark_unit(unit, policy)
    if policy.sectors:
        _mark_sectors(recs, policy, by)
    found: set[tuple[str, str | None]] = set()
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in recs:
        r["_role"] = _role(r)
        written = (_text(r.get("role")) or "").lower()
        if written not in {"lead", "member", "unassigned", ""} or (
            written in {"lead", "member"} and _text(r.get("group_id")) is None
        ):
            found.add(("role", None))
        if r["_role"] == "unassigned" and _text(r.get("reason")) is None:
            found.add(("unassigned", None))
        elif r["_role"] != "unassigned":
            groups[_text(r["group_id"])].append(r)
    for g, rs in groups.items():
        found |= {(rule, g) for rule in _group_faults(rs, policy, by)}
    _fixed_together(recs, found)
    _per_unit(units, policy, found)
    return found


def _group_faults(rs: list[dict], policy, by: str | None) -> set[str]:
    """The rules one group breaks."""
    leads = [r for r in rs if r["_role"] == "lead"]
    members = [r for r in rs if r["_role"] == "member"]
    lo, hi = policy.members
    checks = {
        "one_lead": len(leads) != 1,
        "members": not lo <= len(members) <= hi,
        "leads": any(not x.get("_pool") and _text(x.get("fixed_group")) is None for x in leads),
        "max_distance_km": _too_far(leads, members, policy),
        "max_travel_min": _too_long(leads, members, policy),
        "pair_urban_rural": policy.pair_urban_rural
        and any(_area(x) == "urban" for x in leads)
        and not any(_area(m) == "rural" for m in members),
        "min_weak_per_group": sum(1 for m in members if m.get("_weak")) < policy.min_weak_per_group,
        "min_weak_share": sum(1 for m in members if m.get("_weak"))
        < policy.min_weak_share * len(rs) - 1e-9,
        "levels": policy.levels == "same"
        and "level" in rs[0]
        and len({_level(r, policy) for r in rs}) > 1,
        "sectors": bool(policy.sectors) and len({r.get("_sector") for r in rs}) > 1,
        "by": bool(by) and len({r.get("_by") for r in rs}) > 1,
        "fixed_group": len({_text(r.get("fixed_group")) for r in rs} - {None}) > 1,
        "group_students": _students_broken(rs, policy),
        "capacity": _capacity_broken(leads, rs, policy),
    }
    return {rule for rule, broken in checks.items() if broken}


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _students(rs: list[dict]) -> float | None:
    """The students of a group, its lead's included; None when one of its schools has none."""
    counts = [_number(r.get("students")) for r in rs]
    return None if any(c is None for c in counts) else sum(counts)


def _students_broken(rs: list[dict], policy) -> bool:
    if policy.group_students is None:
        return False
    lo, hi = policy.group_students
    total = _students(rs)
    return total is None or not lo - 1e-6 <= total <= hi + 1e-6


def _capacity_broken(leads: list[dict], rs: list[dict], policy) -> bool:
    if not policy.capacity_column or len(leads) != 1:
        return False
    cap = _number(leads[0].get(policy.capacity_column))
    total = _students(rs)
    return cap is None or total is None or total > cap + 1e-6


def _too_far(leads: list[dict], members: list[dict], policy) -> bool:
    """A member farther than the cap from its lead (with several leads, the nearest)."""
    if not leads or policy.max_distance_km is None or "_x" not in leads[0]:
        return False
    cap = policy.max_distance_km + SLACK_KM
    return any(min(_km(m, lead) for lead in leads) > cap for m in members)


def _too_long(leads: list[dict], members: list[dict], policy) -> bool:
    """A member farther in minutes than ``max_travel_min`` from its lead (by the table)."""
    if not leads or policy.max_travel_min is None or _TABLE is None:
        return False
    limit = policy.max_travel_min + 1e-6
    return any(min(_look(m, lead, 1) for lead in leads) > limit for m in members)


_TABLE: dict | None = None


def _table_dict(table) -> dict:
    out = {}
    minutes = table["minutes"] if "minutes" in table else [math.nan] * len(table)
    for a, b, km, mins in zip(table["from_id"], table["to_id"], table["km"], minutes, strict=True):
        out.setdefault((str(a), str(b)), (float(km), float(mins)))
    return out


def _look(a: dict, b: dict, which: int) -> float:
    if a["_id"] == b["_id"]:
        return 0.0
    found = _TABLE.get((a["_id"], b["_id"])) or _TABLE.get((b["_id"], a["_id"]))
    return math.inf if found is None else found[which]


def _km(a: dict, b: dict) -> float:
    """In the UTM zone of their unit; across units, on the ellipsoid; by the table when
    there is one."""
    if _TABLE is not None:
        return _look(a, b, 0)
    if a["_unit"] == b["_unit"] or "_lon" not in a:  # one unit, or a plain plane
        return math.hypot(a["_x"] - b["_x"], a["_y"] - b["_y"]) / 1000.0
    return GEOD.inv(a["_lon"], a["_lat"], b["_lon"], b["_lat"])[2] / 1000.0


def _area(r: dict) -> str | None:
    text = _text(r.get("area"))
    return None if text is None else text.lower()


def _fixed_together(recs: list[dict], found: set) -> None:
    where: dict[str, set] = defaultdict(set)
    for r in recs:
        label = _text(r.get("fixed_group"))
        if label is not None:
            where[label].add(_text(r.get("group_id")) if r["_role"] != "unassigned" else None)
    for places in where.values():
        if len(places) > 1 or None in places:
            found.add(("fixed_group", None))


def _per_unit(units: dict[str, list[dict]], policy, found: set) -> None:
    for unit in units.values():
        assigned = [r for r in unit if r["_role"] != "unassigned"]
        groups = {_text(r["group_id"]) for r in assigned}
        if policy.n_groups is not None and assigned and len(groups) != policy.n_groups:
            found.add(("n_groups", None))
        for r in unit:
            if r.get("_named") and r["_role"] != "lead":
                found.add(("leads", None))
        spacing = policy.min_lead_spacing_km
        leads = [r for r in assigned if r["_role"] == "lead"]
        by_sector: dict = defaultdict(set)  # a sector holds one group: count groups
        for r in leads:
            by_sector[r.get("_sector")].add(_text(r["group_id"]))
        if policy.sectors and any(len(g) > 1 for g in by_sector.values()):
            found.add(("sectors", None))
        if spacing and "_x" in unit[0]:
            for i, a in enumerate(leads):
                for b in leads[i + 1 :]:
                    d = math.hypot(a["_x"] - b["_x"], a["_y"] - b["_y"]) / 1000.0
                    if d < spacing - SLACK_KM:
                        found.add(("min_lead_spacing_km", None))


def broken_rules(schools, policy, by: str | None = None, table=None) -> set[str]:
    """The names of the rules the plan breaks."""
    return {rule for rule, _ in violations(schools, policy, by, table)}


def objective(schools, policy) -> float:
    """The plan's objective, from ``docs/objective.md``: (Σ member-to-lead km + balance_weight
    · Σ_groups |Σ_i z_i|) / N over the assigned schools of one unit, z the quality in
    standard deviations of the unit (population sd; 0 when every quality is equal)."""
    recs = _records(schools)
    qs = [float(r["quality"]) for r in recs]
    mean = sum(qs) / len(qs)
    sd = math.sqrt(sum((q - mean) ** 2 for q in qs) / len(qs))
    to = _utm([(r["_lon"], r["_lat"]) for r in recs])
    xy = {r["_id"]: to.transform(r["_lon"], r["_lat"]) for r in recs}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in recs:
        if _role(r) != "unassigned":
            groups[_text(r["group_id"])].append(r)
    total_km, balance, n = 0.0, 0.0, 0
    for rs in groups.values():
        lead = next(r for r in rs if _role(r) == "lead")
        for r in rs:
            n += 1
            if r is not lead:
                (x1, y1), (x2, y2) = xy[r["_id"]], xy[lead["_id"]]
                total_km += math.hypot(x1 - x2, y1 - y2) / 1000.0
        balance += abs(sum((float(r["quality"]) - mean) / sd if sd > 0 else 0.0 for r in rs))
    return (total_km + policy.balance_weight * balance) / max(n, 1)


def brute_force(schools, policy) -> tuple[float, int]:
    """The best objective over every plan of a tiny single-unit input that keeps every rule,
    and how many such plans there are (``(inf, 0)`` when none does). Every school is
    grouped (no school is left unassigned)."""
    import itertools

    recs = _records(schools)
    _mark_unit(recs, policy)
    n = len(recs)
    qs = [float(r["quality"]) for r in recs]
    mean = sum(qs) / n
    sd = math.sqrt(sum((q - mean) ** 2 for q in qs) / n)
    z = [(q - mean) / sd if sd > 0 else 0.0 for q in qs]
    km = [[math.hypot(a["_x"] - b["_x"], a["_y"] - b["_y"]) / 1000.0 for b in recs] for a in recs]
    pool = [i for i, r in enumerate(recs) if r["_pool"] or _text(r.get("fixed_group"))]
    named = {i for i, r in enumerate(recs) if r["_named"]}
    fixed = [_text(r.get("fixed_group")) for r in recs]
    lo, hi = policy.members
    best, count = math.inf, 0
    for g in range(1, len(pool) + 1):
        if policy.n_groups is not None and g != policy.n_groups:
            continue
        for leads in itertools.combinations(pool, g):
            if not named <= set(leads) or not _spaced(leads, km, policy):
                continue
            others = [i for i in range(n) if i not in leads]
            for choice in itertools.product(leads, repeat=len(others)):
                lead_of = dict(zip(others, choice, strict=True)) | {h: h for h in leads}
                if _keeps(recs, leads, lead_of, km, policy, lo, hi, fixed):
                    count += 1
                    cost = sum(km[i][lead_of[i]] for i in others)
                    cost += policy.balance_weight * sum(
                        abs(sum(z[i] for i in range(n) if lead_of[i] == h)) for h in leads
                    )
                    best = min(best, cost / n)
    return best, count


def _spaced(leads, km, policy) -> bool:
    spacing = policy.min_lead_spacing_km
    return not spacing or all(km[a][b] >= spacing - SLACK_KM for a, b in itertools_pairs(leads))


def itertools_pairs(items):
    items = list(items)
    return [(a, b) for k, a in enumerate(items) for b in items[k + 1 :]]


def _keeps(recs, leads, lead_of, km, policy, lo, hi, fixed) -> bool:
    for h in leads:
        members = [i for i, x in lead_of.items() if x == h and i != h]
        if not _group_keeps(recs, h, members, km, policy, lo, hi, fixed):
            return False
    return all(
        len({lead_of[i] for i, f in enumerate(fixed) if f == label}) == 1
        for label in {f for f in fixed if f is not None}
    )


def _group_keeps(recs, h, members, km, policy, lo, hi, fixed) -> bool:
    cap = math.inf if policy.max_distance_km is None else policy.max_distance_km + SLACK_KM
    pairing_broken = (
        policy.pair_urban_rural
        and _area(recs[h]) == "urban"
        and not any(_area(recs[i]) == "rural" for i in members)
    )
    levels_broken = (
        policy.levels == "same"
        and "level" in recs[h]
        and len({_text(recs[i].get("level")) for i in [h, *members]}) > 1
    )
    group = [recs[i] for i in [h, *members]]
    return (
        lo <= len(members) <= hi
        and not _students_broken(group, policy)
        and not _capacity_broken([recs[h]], group, policy)
        and all(km[i][h] <= cap for i in members)
        and not pairing_broken
        and sum(1 for i in members if recs[i]["_weak"]) >= policy.min_weak_per_group
        and sum(1 for i in members if recs[i]["_weak"])
        >= policy.min_weak_share * (len(members) + 1) - 1e-9
        and not levels_broken
        and (recs[h]["_pool"] or fixed[h] is not None)
        and len({fixed[i] for i in [h, *members]} - {None}) <= 1
    )


def weak_members(schools, policy, by: str | None = None) -> dict[str, bool]:
    """Whether each school is weak, by the oracle's reading (members only count)."""
    recs = _records(schools)
    for unit in _units(recs, policy, by).values():
        _mark_unit(unit, policy)
    return {r["_id"]: bool(r.get("_weak")) and _role(r) == "member" for r in recs}
