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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from geogroup.errors import PolicyError
from geogroup.outputs import output_problems
from geogroup.policy_checks import policy_problems

__all__ = ["METHOD_NAMES", "PRESETS", "Policy", "get_policy", "policy_from_dict", "read_policy"]

METHOD_NAMES = ("exact", "fast", "kmeans", "districts", "pairs")
"""The built-in grouping methods, known here without loading the grouping stage (whose
registry, ``geogroup.group.METHODS``, holds them in this order, and any method a user adds):
the command checks ``--method`` against them before it reads a school list."""


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
        Longest allowed distance from a member to its lead, in km (straight, or along the
        roads when the plan has road distances); ``None`` for none.
    max_travel_min
        Longest allowed travel time from a member to its lead, in minutes (needs travel
        times: road distances or a table with minutes); ``None`` for none.
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
    group_students
        ``(min, max)`` students per group, its lead's included (enrolment-weighted sizes, from
        the ``students`` column); None for no rule.
    capacity_column
        A column of each lead's capacity in students: a group led by a school holds at most
        that many students (its lead's included); None for no rule.
    coverage_target
        The share of schools a plan should group (Liangxi's 80 %: ``0.8``); the report
        compares the plan's coverage with it. Not a rule a method must keep.
    exchange_rate, key_exchange_rate
        Shares of a group's teachers and of its key teachers to exchange each year
        (Liangxi's "two 15 %": 0.15 and 0.15; Anshan 19 %); the report gives each group's
        quotas.
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
    max_travel_min: float | None = None
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
    group_students: tuple[int, int] | None = None
    capacity_column: str | None = None
    coverage_target: float | None = None
    exchange_rate: float = 0.15
    key_exchange_rate: float = 0.15
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
        if isinstance(self.group_students, list):
            object.__setattr__(self, "group_students", tuple(self.group_students))
        if isinstance(self.join_levels, Mapping):
            pairs = tuple(sorted((str(k), str(v)) for k, v in self.join_levels.items()))
            object.__setattr__(self, "join_levels", pairs)
        if isinstance(self.output, Mapping):
            object.__setattr__(self, "output", dict(self.output))
        problems = policy_problems(self) + output_problems(self.output)
        if problems:
            said = {"rest_problems": problems}  # each said in Chinese by the command
            raise PolicyError("; ".join(problems), code="policy.problems", values=said)

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
            raise _unknown_error(unknown, "")
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
        if self.group_students is not None:
            out["group_students"] = list(self.group_students)
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


def _unknown_error(unknown: list[str], where: str) -> PolicyError:
    fields, known = ", ".join(repr(u) for u in unknown), ", ".join(sorted(_FIELD_NAMES))
    return PolicyError(
        f"{where}{': ' if where else ''}unknown policy field(s) {fields}; known fields: {known}",
        code="policy.unknown_in" if where else "policy.unknown",
        values={"where": where, "fields": fields, "known": known},
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
        raise _unknown_error(unknown, where)
    kwargs = dict(values)
    if "members" in kwargs and isinstance(kwargs["members"], list):
        kwargs["members"] = tuple(kwargs["members"])
    try:
        return Policy(**kwargs, output={} if output is None else output)
    except PolicyError as exc:
        coded = exc.code == "policy.problems"
        raise PolicyError(
            f"{where}: {exc}",
            code="policy.problems_in" if coded else None,
            values={**exc.values, "where": where},
        ) from None


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
