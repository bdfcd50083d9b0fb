"""The editor's edits in Python: the same moves as the page, for a notebook's calls.

A plan's state is, for every school, its group (a code into the list of group names, -1 for
none), its role, its reason for being in no group and its lock (``fixed_group``). The edits
-- move, make lead, new group, lock and unlock, take out -- and the names given to new groups
are those of the page (``static/editor_state.js``): keep the two in step. What the edits
mean for the policy is judged by the rulebook, on the plan they give (:func:`plan_of`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.plan import Plan

__all__ = ["EditState", "next_group_name", "plan_of"]

_NAME = re.compile(r"(.*?)([0-9]+)", re.DOTALL)


def _numbered(name: str) -> re.Match[str] | None:
    return _NAME.fullmatch(name)


def next_group_name(names: Sequence[str], current: str | None) -> str:
    """The name of a new group: the numbering of the school's group (or of the first group,
    by name, that is numbered) continued past every number it uses; ``G01``, ``G02`` … else.

    Examples
    --------
    >>> next_group_name(["primary-G01", "primary-G04", "middle-G01"], "primary-G01")
    'primary-G05'
    >>> next_group_name(["north", "south"], None)
    'G01'
    """
    template = current if current is not None and _numbered(current) else None
    if template is None:
        numbered = sorted(n for n in names if _numbered(n))
        template = numbered[0] if numbered else None
    prefix, width = "G", 2
    if template is not None:
        match = _numbered(template)
        prefix, width = match.group(1), len(match.group(2))
    taken = set(names)
    used = [int(m.group(2)) for m in map(_numbered, names) if m and m.group(1) == prefix]
    k = max(used, default=0) + 1
    while f"{prefix}{k:0{width}d}" in taken:
        k += 1
    return f"{prefix}{k:0{width}d}"


@dataclasses.dataclass
class _Edit:
    kind: str
    school_id: str | None
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    source: str | None = None
    target: str | None = None


class EditState:
    """Every school's group, role, reason and lock, and the edits that led there.

    Built from the state the page starts from (``editor_data(plan)["state"]``); an edit the
    plan cannot take raises :class:`~geogroup.InputError` and changes nothing.
    """

    def __init__(self, ids: Sequence[str], state: dict[str, Any], unassigned_reason: str) -> None:
        self.ids = [str(i) for i in ids]
        self.index = {sid: i for i, sid in enumerate(self.ids)}
        self.group_names: list[str] = list(state["groupNames"])
        self.code = {name: g for g, name in enumerate(self.group_names)}
        self.group: list[int] = [int(g) for g in state["group"]]
        self.role: list[str] = list(state["role"])
        self.reason: list[str | None] = list(state["reason"])
        self.fixed: list[str | None] = list(state["fixed"])
        self.unassigned_reason = unassigned_reason
        self.history: list[_Edit] = []
        self.future: list[_Edit] = []

    # --- reading ---------------------------------------------------------------------------

    def pos(self, school_id: Any) -> int:
        try:
            return self.index[str(school_id)]
        except KeyError:
            raise InputError(f"no school with id {str(school_id)!r} in the plan") from None

    def assigned(self, i: int) -> bool:
        return self.group[i] >= 0 and self.role[i] != S.UNASSIGNED

    def group_of(self, i: int) -> str | None:
        return self.group_names[self.group[i]] if self.group[i] >= 0 else None

    def leads_of(self, g: int) -> list[int]:
        return [
            j
            for j, code in enumerate(self.group)
            if code == g and self.assigned(j) and self.role[j] == S.LEAD
        ]

    def state(self) -> dict[str, Any]:
        """The state as the page's ``state()`` gives it."""
        return {
            "groupNames": list(self.group_names),
            "group": list(self.group),
            "role": list(self.role),
            "reason": list(self.reason),
            "fixed": list(self.fixed),
        }

    def edits(self) -> list[dict[str, Any]]:
        """The edits made, oldest first (undone ones left out)."""
        return [
            {"kind": e.kind, "school_id": e.school_id, "from": e.source, "to": e.target}
            for e in self.history
        ]

    # --- changing --------------------------------------------------------------------------

    def _now(self, i: int) -> dict[str, Any]:
        return {
            "i": i,
            "group": self.group[i],
            "role": self.role[i],
            "reason": self.reason[i],
            "fixed": self.fixed[i],
        }

    def _apply(self, changes: list[dict[str, Any]]) -> None:
        for c in changes:
            i = c["i"]
            self.group[i], self.role[i] = c["group"], c["role"]
            self.reason[i], self.fixed[i] = c["reason"], c["fixed"]

    def _commit(
        self, kind: str, i: int | None, changes: list[dict[str, Any]], **where: Any
    ) -> bool:
        before = [self._now(c["i"]) for c in changes]
        self._apply(changes)
        school = None if i is None else self.ids[i]
        self.history.append(
            _Edit(kind, school, before, changes, where.get("source"), where.get("target"))
        )
        self.future = []
        return True

    def _unlocked(self, i: int, what: str) -> None:
        if self.fixed[i] is not None:
            raise InputError(
                f"school {self.ids[i]} is locked (fixed_group {self.fixed[i]!r}): unlock it "
                f"before you {what} it"
            )

    def _group_code(self, name: str) -> int:
        if str(name) not in self.code:
            raise InputError(
                f"no group {str(name)!r} in the plan; its groups are "
                f"{', '.join(self.group_names[:8])}{' …' if len(self.group_names) > 8 else ''}"
            )
        return self.code[str(name)]

    def add_group(self, name: str) -> int:
        if name not in self.code:
            self.code[name] = len(self.group_names)
            self.group_names.append(name)
        return self.code[name]

    def move(self, school_id: Any, group_id: str | None) -> bool:
        """Move a school into a group as a member (``None``: out of every group)."""
        if group_id is None:
            return self.unassign(school_id)
        i = self.pos(school_id)
        g = self._group_code(group_id)
        if self.group[i] == g and self.assigned(i):
            return False
        self._unlocked(i, "move")
        change = self._now(i) | {"group": g, "role": S.MEMBER, "reason": None}
        return self._commit("move", i, [change], source=self.group_of(i), target=str(group_id))

    def set_lead(self, school_id: Any) -> bool:
        """Make a school the lead of its group; its lead(s) become members."""
        i = self.pos(school_id)
        if not self.assigned(i):
            raise InputError(f"school {self.ids[i]} is in no group: it cannot lead one")
        leads = self.leads_of(self.group[i])
        if leads == [i]:
            return False
        changes = [self._now(j) | {"role": S.MEMBER} for j in leads if j != i]
        changes.append(self._now(i) | {"role": S.LEAD})
        group = self.group_of(i)
        return self._commit("lead", i, changes, source=group, target=group)

    def new_group(self, school_id: Any) -> str:
        """Start a new group led by the school; returns its name."""
        i = self.pos(school_id)
        self._unlocked(i, "move")
        source = self.group_of(i)
        name = next_group_name(self.group_names, source if self.assigned(i) else None)
        g = self.add_group(name)
        change = self._now(i) | {"group": g, "role": S.LEAD, "reason": None}
        self._commit("new_group", i, [change], source=source, target=name)
        return name

    def lock(self, school_id: Any, on: bool = True) -> bool:
        """Lock a school in its group (its ``fixed_group``), or unlock it."""
        i = self.pos(school_id)
        group = self.group_of(i)
        if not on:
            if self.fixed[i] is None:
                return False
            return self._commit(
                "unlock", i, [self._now(i) | {"fixed": None}], source=group, target=group
            )
        if self.fixed[i] is not None:
            return False
        if not self.assigned(i):
            raise InputError(
                f"school {self.ids[i]} is in no group: only a school in a group can be locked"
            )
        g = self.group[i]
        labels = {
            self.fixed[j]
            for j, code in enumerate(self.group)
            if code == g and self.assigned(j) and self.fixed[j] is not None
        }
        label = next(iter(labels)) if len(labels) == 1 else group
        return self._commit(
            "lock", i, [self._now(i) | {"fixed": label}], source=group, target=group
        )

    def unassign(self, school_id: Any, reason: str | None = None) -> bool:
        """Take a school out of every group, with a reason."""
        i = self.pos(school_id)
        if self.group[i] < 0 and self.role[i] == S.UNASSIGNED:
            return False
        self._unlocked(i, "unassign")
        change = self._now(i) | {
            "group": -1,
            "role": S.UNASSIGNED,
            "reason": reason or self.unassigned_reason,
        }
        return self._commit("unassign", i, [change], source=self.group_of(i), target=None)

    def undo(self) -> bool:
        if not self.history:
            return False
        edit = self.history.pop()
        self._apply(edit.before)
        self.future.append(edit)
        return True

    def redo(self) -> bool:
        if not self.future:
            return False
        edit = self.future.pop()
        self._apply(edit.after)
        self.history.append(edit)
        return True

    def load(self, state: dict[str, Any], kind: str = "load") -> bool:
        """Bring the plan to ``state`` (the page's), as one edit."""
        codes = [self.add_group(str(name)) for name in state["groupNames"]]
        changes = []
        for i in range(len(self.ids)):
            g = codes[state["group"][i]] if state["group"][i] >= 0 else -1
            new = {
                "i": i,
                "group": g,
                "role": state["role"][i],
                "reason": state["reason"][i],
                "fixed": state["fixed"][i],
            }
            if new != self._now(i):
                changes.append(new)
        if not changes:
            return False
        return self._commit(kind, None, changes)


def plan_of(saved: Plan, state: EditState) -> Plan:
    """The plan the edits give: ``saved`` (the proposal as read back from its CSV) with every
    school's group, role, reason and lock from ``state``, and its lead and distance to it
    measured again (as the rulebook measures them)."""
    schools = saved.schools.copy()
    names = state.group_names
    schools[S.GROUP_ID] = pd.Series(
        [names[g] if g >= 0 else None for g in state.group], index=schools.index, dtype=object
    )
    schools[S.ROLE] = pd.Series(state.role, index=schools.index, dtype=object)
    schools[S.REASON] = pd.Series(state.reason, index=schools.index, dtype=object)
    if S.FIXED_GROUP in schools or any(f is not None for f in state.fixed):
        schools[S.FIXED_GROUP] = pd.Series(state.fixed, index=schools.index, dtype=object)
    by = saved.params.get("by")
    arrays = rules.plan_arrays(
        schools, saved.policy, by if by in schools else None, saved.distances
    )
    first = {}
    for i in np.flatnonzero(arrays.lead):
        first.setdefault(int(arrays.group[i]), str(arrays.ids[i]))
    assigned = arrays.assigned
    schools[S.LEAD_ID] = pd.Series(
        [first.get(int(g)) if a else None for g, a in zip(arrays.group, assigned, strict=True)],
        index=schools.index,
        dtype=object,
    )
    km = np.round(arrays.distance_km(), 3)
    schools[S.DISTANCE_KM] = np.where(assigned & np.isfinite(km), km, np.nan)
    moved = sum(
        1
        for before, after in zip(saved.schools[S.GROUP_ID], schools[S.GROUP_ID], strict=True)
        if (None if pd.isna(before) else before) != after
    )
    return dataclasses.replace(
        saved,
        schools=schools,
        status="edited",
        objective=math.nan,
        bound=None,
        gap=None,
        parts={},
        moved=moved,
    )
