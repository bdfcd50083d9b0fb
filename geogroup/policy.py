"""Policies: the rules a grouping must satisfy, as parameters.

A :class:`Policy` is a frozen value checked when it is made. It is written in Python, read
from a TOML file (:func:`read_policy`), or taken from a preset that encodes one of the policy
documents the project comes from (:func:`get_policy`, :data:`PRESETS`).

The TOML form::

    [policy]
    name = "my-county"
    members = [2, 6]          # min and max member schools per group (the X of 1+X)
    max_distance_km = 15      # member-to-lead cap; omit for none
    pair_urban_rural = true   # a group with an urban lead needs a rural member
    weak_share = 0.2          # the bottom share by quality counts as weak
    min_weak_per_group = 1
    leads = "top:0.2"         # or "column:lead_candidate", or a list of school ids
    levels = "same"           # or "mixed"
    balance_weight = 1.0      # balance against distance in the objective

    [output]                  # optional: file names inside the output folder
    plan = "plan"             # stem of plan.csv, plan.json, plan.gpkg
    report = "report"         # stem of report.html, report.xlsx
    map = "map.html"
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from geogroup.errors import PolicyError
from geogroup.outputs import output_problems

__all__ = ["PRESETS", "Policy", "get_policy", "policy_from_dict", "read_policy"]

LEVEL_RULES = ("same", "mixed")


@dataclass(frozen=True, kw_only=True)
class Policy:
    """The rules of one grouping reform.

    Parameters
    ----------
    name
        Short name, shown in reports and maps (never part of a file name: see ``output``).
    members
        ``(min, max)`` member schools per group, the lead not counted (the X of 1+X).
    n_groups
        Exact number of groups (per level when ``levels='same'``); ``None`` lets the method
        choose within what ``members`` allows.
    max_distance_km
        Longest allowed straight-line distance from a member to its lead; ``None`` for none.
    pair_urban_rural
        城乡结对: a group whose lead is urban must have at least one rural member.
    weak_share
        The bottom share of schools by quality that count as weak (0 < share < 1).
    min_weak_per_group
        Weak schools each group must hold (0 for no rule).
    min_weak_share
        The least share of weak schools in each group, its lead counted in the group's size
        (Ninghe's "weak schools must be a certain share"; 0 for no rule, below 1).
    leads
        ``'top:S'`` (the top share S by quality may lead), ``'column:C'`` (a boolean column,
        normally ``lead_candidate``), ``'column:C or top:S'`` (the schools column C marks,
        in a unit where it marks any; else the top share S: the presets' default, so a
        planner's own quality-school column is used when there is one), or a list of school
        ids that are the leads.
    min_lead_spacing_km
        Two leads may not be closer than this (0 for no rule).
    leads_from
        ``'any'``, or ``'urban'``: only urban schools (城区, 镇区) may lead — Haicheng's
        groups are headed by the city's and the towns' quality schools.
    sectors
        Cut each unit (a county) into this many equal sectors by bearing from its centre,
        the first centred on north (4: north, east, south, west); a group keeps to one
        sector and a sector holds one group per level (Haicheng's 东西南北四个方位). 0: no rule.
    centre
        ``[lon, lat]`` (WGS-84) of the centre of the sectors, the county seat; None: the
        seat found from the schools (the densest cluster of urban schools; else the mean
        place of all).
    levels
        ``'same'``: a group holds one school level only; ``'mixed'``: levels may be mixed.
    join_levels
        Levels counted as another under ``levels = 'same'``, e.g. ``{"nine-year": "middle"}``
        (a nine-year school joins the middle schools' groups); a mapping in TOML.
    balance_weight
        Weight of quality balance against distance in the objective (see ``docs/objective.md``).
    move_cost
        Cost, in the objective's units, of each school that leaves its group in a previous plan.
    allow_unassigned
        Leave a school that no lead can take (beyond the distance cap) unassigned with its
        reason instead of raising :class:`~geogroup.InfeasibleError`.
    keep_far
        Group a school that lies far from every other school of its unit (more than 50 km,
        and more than ten times the unit's usual spacing: usually a wrong coordinate). By
        default such a school is left unassigned with that reason, for the planner to check.
    method
        The grouping method the policy document implies, used when none is asked for.
    output
        File names inside the output folder, by key: ``plan`` and ``report`` (stems) and
        ``map`` (an ``.html`` name); the ``[output]`` table of the TOML form. Missing keys
        keep the defaults ``plan``, ``report`` and ``map.html``. A name that could lead
        outside the folder (absolute, a drive letter, ``..``) is an error. Not a rule: two
        policies that differ only here are equal.

    Examples
    --------
    >>> Policy(name="county", members=(2, 6), max_distance_km=15).members
    (2, 6)
    >>> Policy(members=(5, 3))
    Traceback (most recent call last):
    ...
    geogroup.errors.PolicyError: policy field 'members': min 5 is greater than max 3; ...
    """

    name: str = "custom"
    description: str = ""
    source: str = ""
    members: tuple[int, int] = (2, 6)
    n_groups: int | None = None
    max_distance_km: float | None = None
    pair_urban_rural: bool = False
    weak_share: float = 0.2
    min_weak_per_group: int = 0
    min_weak_share: float = 0.0
    leads: str | tuple[str, ...] = "top:0.2"
    min_lead_spacing_km: float = 0.0
    leads_from: str = "any"
    sectors: int = 0
    centre: tuple[float, float] | None = None
    levels: str = "mixed"
    join_levels: tuple[tuple[str, str], ...] = ()
    balance_weight: float = 1.0
    move_cost: float = 1.0
    allow_unassigned: bool = False
    keep_far: bool = False
    method: str = "fast"
    output: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.leads, list):
            object.__setattr__(self, "leads", tuple(str(x) for x in self.leads))
        if isinstance(self.members, list):
            object.__setattr__(self, "members", tuple(self.members))
        if isinstance(self.centre, list):
            object.__setattr__(self, "centre", tuple(self.centre))
        if isinstance(self.join_levels, Mapping):
            pairs = tuple(sorted((str(k), str(v)) for k, v in self.join_levels.items()))
            object.__setattr__(self, "join_levels", pairs)
        if isinstance(self.output, Mapping):
            object.__setattr__(self, "output", dict(self.output))
        problems = _problems(self) + output_problems(self.output)
        if problems:
            raise PolicyError("; ".join(problems))

    @property
    def min_members(self) -> int:
        """Fewest member schools a group may have."""
        return self.members[0]

    @property
    def max_members(self) -> int:
        """Most member schools a group may have."""
        return self.members[1]

    @property
    def lead_rule(self) -> tuple[str, Any]:
        """``('ids', ids)``, ``('column', name)``, ``('top', share)`` or, for
        ``'column:C or top:S'``, ``('either', (name, share))``."""
        if isinstance(self.leads, tuple):
            return "ids", self.leads
        if " or " in self.leads:
            column, top = (part.strip() for part in self.leads.split(" or ", 1))
            return "either", (column.partition(":")[2], float(top.partition(":")[2]))
        kind, _, value = self.leads.partition(":")
        return (kind, float(value)) if kind == "top" else (kind, value)

    def replace(self, **changes: Any) -> Policy:
        """A copy with some fields changed, checked again.

        Examples
        --------
        >>> get_policy("liangxi").replace(members=(2, 6)).members
        (2, 6)
        """
        unknown = sorted(set(changes) - _FIELD_NAMES - {"output"})
        if unknown:
            raise PolicyError(_unknown_message(unknown))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain values (the TOML ``[policy]`` table; not ``output``)."""
        out = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name in _FIELD_NAMES
        }
        out["members"] = list(self.members)
        if self.centre is not None:
            out["centre"] = list(self.centre)
        out["join_levels"] = dict(self.join_levels)
        if isinstance(self.leads, tuple):
            out["leads"] = list(self.leads)
        return {k: v for k, v in out.items() if v is not None}

    def to_toml(self) -> str:
        """The policy as a TOML document that :func:`read_policy` reads back.

        Examples
        --------
        >>> print(Policy(name="x", output={"map": "x.html"}).to_toml())
        [policy]
        name = "x"
        ...
        method = "fast"
        <BLANKLINE>
        [output]
        map = "x.html"
        <BLANKLINE>
        """
        lines = ["[policy]"]
        for key, value in self.to_dict().items():
            lines.append(f"{key} = {_toml_value(value)}")
        if self.output:
            lines += ["", "[output]"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in self.output.items()]
        return "\n".join(lines) + "\n"


_FIELD_NAMES = {f.name for f in dataclasses.fields(Policy)} - {"extra", "output"}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items())
            + "}"
        )
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


_MAX_KM = 20_000.0  # half the Earth's circumference: any distance beyond is a typo
_MAX_WEIGHT = 1e6  # a weight of a million already makes the other terms vanish


def _problems(p: Policy) -> list[str]:
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
    out += _placement_problems(p)
    if p.levels not in LEVEL_RULES:
        out.append(f"policy field 'levels': expected 'same' or 'mixed', got {p.levels!r}")
    out += _lead_problems(p.leads)
    return out


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
    "min_lead_spacing_km": (int, float),
    "leads_from": (str,),
    "sectors": (int,),
    "balance_weight": (int, float),
    "move_cost": (int, float),
    "weak_share": (int, float),
}
_KIND_WORDS = {str: "text", bool: "true or false", int: "a whole number", float: "a number"}


def _type_problems(p: Policy) -> list[str]:
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


def _placement_problems(p: Policy) -> list[str]:
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


def _member_problems(p: Policy) -> list[str]:
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


def _unknown_message(unknown: list[str]) -> str:
    return (
        f"unknown policy field(s) {', '.join(repr(u) for u in unknown)}; "
        f"known fields: {', '.join(sorted(_FIELD_NAMES))}"
    )


def policy_from_dict(
    values: Mapping[str, Any], *, where: str = "policy", output: Mapping[str, str] | None = None
) -> Policy:
    """Make a policy from plain values (the ``[policy]`` table) and the ``[output]`` table;
    unknown keys are an error naming the known ones.

    Examples
    --------
    >>> policy_from_dict({"name": "x", "members": [1, 3]}).max_members
    3
    >>> policy_from_dict({"member": [1, 3]})
    Traceback (most recent call last):
    ...
    geogroup.errors.PolicyError: policy: unknown policy field(s) 'member'; known fields: ...
    """
    unknown = sorted(set(values) - _FIELD_NAMES)
    if unknown:
        raise PolicyError(f"{where}: {_unknown_message(unknown)}")
    kwargs = dict(values)
    if "members" in kwargs and isinstance(kwargs["members"], list):
        kwargs["members"] = tuple(kwargs["members"])
    try:
        return Policy(**kwargs, output={} if output is None else output)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def read_policy(path: str | Path, *, _seen: tuple[str, ...] = ()) -> Policy:
    """Read a policy from a TOML file with a ``[policy]`` table and an optional ``[output]``.

    ``base = "shandong"`` in the table starts from that preset (or from another policy
    file: its rules and its output names) and changes what follows.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as Notepad writes it, is fine
    except FileNotFoundError:
        raise PolicyError(f"policy file {str(path)!r} does not exist") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"policy file {str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise PolicyError(f"policy file {str(path)!r} cannot be read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {str(path)!r} is not valid TOML: {exc}") from None
    return _policy_from_toml(data, str(path), _seen=(*_seen, str(path.resolve())))


def _policy_from_toml(
    data: Mapping[str, Any], where: str, *, _seen: tuple[str, ...] = ()
) -> Policy:
    extra_tables = sorted(set(data) - {"policy", "output"})
    if "policy" not in data or extra_tables:
        raise PolicyError(
            f"{where}: expected a [policy] table and optionally an [output] table, found "
            f"{sorted(data) or 'nothing'}; put every rule under [policy]"
        )
    for key in ("policy",):
        if not isinstance(data[key], Mapping):
            raise PolicyError(
                f"{where}: [{key}] must be one table, got {type(data[key]).__name__} "
                f"(write [{key}], not [[{key}]])"
            )
    table = dict(data["policy"])
    output = data.get("output", {})
    base = table.pop("base", None)
    if base is not None:
        start = _base_policy(base, where, _seen)
        table = {**start.to_dict(), **table}
        output = {**start.output, **output} if isinstance(output, Mapping) else output
    return policy_from_dict(table, where=where, output=output)


def _base_policy(base: Any, where: str, seen: tuple[str, ...]) -> Policy:
    if not isinstance(base, str) or not base.strip():
        raise PolicyError(f"{where}: 'base' must name a preset or a policy file, got {base!r}")
    if base in _PRESETS:
        return _PRESETS[base]
    path = Path(base)
    if not path.is_absolute() and where and Path(where).parent.exists():
        beside = Path(where).parent / path
        path = beside if beside.exists() else path
    if str(path.resolve()) in seen:
        chain = " -> ".join([*seen, str(path.resolve())])
        raise PolicyError(f"{where}: 'base' makes a cycle ({chain}); break it")
    if not path.is_file():
        raise PolicyError(
            f"{where}: 'base' = {base!r} is neither a preset ({', '.join(sorted(_PRESETS))}) "
            "nor a policy file"
        )
    return read_policy(path, _seen=seen)


_PRESETS: dict[str, Policy] = {}  # filled once the preset files are read, below


def _load_presets() -> dict[str, Policy]:
    out = {}
    for entry in sorted(resources.files("geogroup.presets").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            policy = _policy_from_toml(data, f"preset {entry.name}")
            out[policy.name] = policy
    return out


_PRESETS.update(_load_presets())
PRESETS: dict[str, Policy] = _PRESETS
"""The policy documents the project comes from, by name (see ``geogroup/presets/``)."""


def get_policy(policy: str | Path | Policy) -> Policy:
    """A policy from a preset name, a TOML path or a :class:`Policy` (returned as is).

    Examples
    --------
    >>> get_policy("shandong").max_members
    6
    >>> get_policy("nowhere")
    Traceback (most recent call last):
    ...
    geogroup.errors.PolicyError: no policy preset 'nowhere' and no such file; presets: ...
    """
    if isinstance(policy, Policy):
        return policy
    key = str(policy)
    if key in PRESETS:
        return PRESETS[key]
    if key.endswith(".toml") or Path(key).is_file():
        return read_policy(key)
    raise PolicyError(
        f"no policy preset {key!r} and no such file; presets: {', '.join(sorted(PRESETS))}, "
        "or give the path of a .toml policy file"
    )
