"""``scenarios``: the trade-off, the alternatives and the recommendation, in one result."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema as S
from geogroup.errors import PolicyError
from geogroup.locate import DistanceTable
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy
from geogroup.scenarios._alternatives import Alternatives, find_alternatives
from geogroup.scenarios._figures import dominated_by, knee
from geogroup.scenarios._run import Budget, Job, Scenario, same_plan
from geogroup.scenarios._sweep import METHOD_CHOICES, sweep, sweep_weights
from geogroup.scenarios._words import reasons

__all__ = ["Scenarios", "scenarios"]

MAX_ALTERNATIVES = 10


@dataclass
class Scenarios:
    """What :func:`scenarios` found.

    Attributes
    ----------
    table
        One row per scenario (``id`` ``F1``, … for the weight sweep, ``A1``, … for the
        alternatives): how it was obtained (``weight``, ``method``, ``how``, ``status``,
        ``gap``), its figures (``distance_km``, ``balance_gap``, ``objective`` at its
        weight and ``objective_at_policy_weight``), whether it is ``on_front`` (and
        ``dominated_by`` which point), ``same_as`` an earlier row, ``pct_from_best`` and
        ``moved_from_best`` (alternatives and the best), ``moved_vs_A1``, … (each pair of
        alternatives), ``recommended``, ``best`` and a ``note``.
    plans
        Each distinct plan by its id.
    best, recommended
        The ids of the best plan at the policy's own weight and of the recommended plan.
    reason
        Why the recommended plan, in ``'zh'`` and ``'en'``.
    moves
        Schools in another group than in the best plan, per alternative: ``alternative``,
        ``school_id``, ``name``, ``group_best``, ``group_alternative``, ``role_best``,
        ``role_alternative``.
    differences
        Schools in another group between each pair of the best and the alternatives (a
        square table, by id).
    params, notes, seconds
        The settings of the study, what the reader should know about it (time spent,
        fewer alternatives than asked), and the seconds of each scenario and in all.
    """

    table: pd.DataFrame
    plans: dict[str, Plan]
    best: str
    recommended: str
    reason: dict[str, str]
    moves: pd.DataFrame
    differences: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def front(self) -> pd.DataFrame:
        """The rows on the front (each distinct plan once), by ascending distance."""
        on = self.table[self.table["on_front"] & self.table["same_as"].isna()]
        return on[on["kind"] == "front"].sort_values("distance_km", kind="stable")

    @property
    def alternatives(self) -> pd.DataFrame:
        """The rows of the alternatives."""
        return self.table[self.table["kind"] == "alternative"]

    def folder_of(self, sid: str) -> str:
        """The plan folder of a row: its own, or that of the plan it repeats."""
        same = self.table.set_index("id")["same_as"].get(sid)
        return str(same) if isinstance(same, str) else sid

    def chart(self, lang: str = "zh") -> Any:
        """The trade-off as a matplotlib ``Figure`` (not attached to pyplot)."""
        from geogroup.scenarios._chart import front_chart

        return front_chart(self.table, lang)

    def write(
        self,
        out_dir: str | Path,
        *,
        lang: str = "zh",
        map_options: Mapping[str, Any] | None = None,
    ) -> dict[str, Path]:
        """Write every plan's files into ``out_dir/plans/<id>/`` and then ``scenarios.csv``,
        ``scenarios.html``, ``front.png``, ``front.svg``, ``moves.csv``,
        ``scenarios.json`` and ``timings.json`` into ``out_dir``; returns their paths."""
        from geogroup.scenarios._page import write_scenarios

        return write_scenarios(self, out_dir, lang=lang, map_options=map_options)


def scenarios(
    schools: gpd.GeoDataFrame,
    policy: str | Policy,
    *,
    weights: Sequence[float] | None = None,
    method: str = "auto",
    alternatives: int = 3,
    within: float = 0.02,
    min_diff: float | int = 0.05,
    time_limit: float = 10.0,
    total_time: float = 300.0,
    random_state: int = 0,
    by: str | None = None,
    rejected: pd.DataFrame | None = None,
    distances: DistanceTable | None = None,
) -> Scenarios:
    """Scenarios a meeting can weigh: the trade-off between travel and balance, materially
    different alternatives to the best plan, and one recommended plan with the reason.

    Parameters
    ----------
    schools, policy
        As for :func:`geogroup.propose`.
    weights
        Balance weights of the sweep (each >= 0); default: the policy's weight times 0,
        1/4, 1/2, 1, 2, 4, 8, 16 and 32. The policy's own weight is always one of them.
    method
        ``'auto'``: each point by ``fast``, then by ``exact`` within ``time_limit`` while
        the total time lasts, the better plan kept; or one method's name for every point.
    alternatives
        How many alternatives to find (0 to 10), at the policy's own weight.
    within
        Each alternative's objective is at most this share above the best plan's (0.02:
        2 %).
    min_diff
        Schools in which each alternative differs from the best and from the other
        alternatives: a share of the grouped schools (a float below 1, e.g. 0.05) or a
        number of schools (an int).
    time_limit
        Seconds for each run of ``exact`` (and for each unit of ``fast``).
    total_time
        Seconds for the whole study; ``exact`` leaves a fifth of it to the alternatives.
        Once it is spent the remaining points are made by ``fast`` only and the search
        for alternatives stops (the notes say so).
    random_state
        Seed: the same schools, policy, parameters and seed give the same scenarios, as
        long as no run of ``exact`` stops at its time limit (where it stops depends on the
        machine) and the total time is not spent.
    by, rejected, distances
        As for :func:`geogroup.propose`.

    Returns
    -------
    Scenarios

    Examples
    --------
    >>> from geogroup import Policy, toy_schools
    >>> found = scenarios(toy_schools(), Policy(members=(2, 2), leads="top:0.5"),
    ...                   weights=[0, 4], method="exact", alternatives=0)
    >>> found.table[["id", "weight", "status", "on_front", "same_as"]]
       id  weight   status  on_front same_as
    0  F1     0.0  optimal      True    None
    1  F2     1.0  optimal      True      F1
    2  F3     4.0  optimal      True      F1
    >>> found.recommended, found.reason["en"][:46]
    ('F1', 'Recommended: F1 (balance weight 0, exact, prov')
    """
    policy = get_policy(policy)
    _check(method, alternatives, within, min_diff, time_limit, total_time, random_state)
    chosen_weights = sweep_weights(policy, weights)
    job = Job(
        schools=schools,
        policy=policy,
        time_limit=float(time_limit),
        budget=Budget(float(total_time)),
        random_state=int(random_state),
        by=by,
        rejected=rejected,
        distances=distances,
    )
    points = sweep(job, chosen_weights, method)
    base = next(p for p in points if p.weight == round(policy.balance_weight, 12))
    found = find_alternatives(job, base, alternatives, within, min_diff, f"F{len(points) + 1}")
    if found.best is not base:
        found.best.same_as = next(
            (p.id for p in points if same_plan(p.plan, found.best.plan)), None
        )
        points.append(found.best)
    result = _result(points, found, policy)
    result.params = {
        "policy": policy.name,
        "weights": chosen_weights,
        "policy_weight": policy.balance_weight,
        "method": method,
        "alternatives": alternatives,
        "within": within,
        "min_diff": min_diff,
        "need": found.need,
        "time_limit": time_limit,
        "total_time": total_time,
        "random_state": random_state,
        "by": by,
        "schools": len(schools),
        "plans_tried": len(found.tried),
    }
    result.notes = _notes(points, found, job)
    result.seconds = {s.id: round(s.seconds, 3) for s in [*points, *found.chosen]}
    result.seconds["total"] = round(job.budget.spent(), 3)
    return result


def _check(method, alternatives, within, min_diff, time_limit, total_time, random_state) -> None:
    problems = []
    if method not in METHOD_CHOICES:
        problems.append(f"method: expected one of {', '.join(METHOD_CHOICES)}, got {method!r}")
    if not (isinstance(alternatives, int) and 0 <= alternatives <= MAX_ALTERNATIVES):
        problems.append(
            f"alternatives: expected a whole number from 0 to {MAX_ALTERNATIVES}, got {alternatives!r}"
        )
    if not (_number(within) and 0 <= within <= 1):
        problems.append(f"within: expected a share from 0 to 1 (0.02 for 2 %), got {within!r}")
    whole = isinstance(min_diff, int | np.integer) and not isinstance(min_diff, bool)
    if not ((whole and min_diff >= 1) or (not whole and _number(min_diff) and 0 < min_diff < 1)):
        problems.append(
            "min_diff: expected a share of the schools above 0 and below 1 (0.05 for 5 %) or "
            f"a whole number of schools >= 1, got {min_diff!r}"
        )
    for name, value in (("time_limit", time_limit), ("total_time", total_time)):
        if not (_number(value) and value > 0):
            problems.append(f"{name}: expected seconds > 0, got {value!r}")
    if not (isinstance(random_state, int) and 0 <= random_state < 2**32):
        problems.append(
            f"random_state: expected a whole number from 0 to 2**32 - 1, got {random_state!r}"
        )
    if problems:
        raise PolicyError("; ".join(problems))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _result(points: list[Scenario], found: Alternatives, policy: Policy) -> Scenarios:
    distinct = [p for p in points if p.same_as is None]
    beaten = dominated_by([p.distance for p in distinct], [p.balance for p in distinct])
    dominator = {
        p.id: (None if j is None else distinct[j].id) for p, j in zip(distinct, beaten, strict=True)
    }
    for p in points:
        if p.same_as is not None:
            dominator[p.id] = dominator[p.same_as]
    front = sorted(
        (p for p in distinct if dominator[p.id] is None),
        key=lambda p: (p.distance, p.balance, p.id),
    )
    chosen = front[knee([p.distance for p in front], [p.balance for p in front])]
    rows = [_row(p, dominator.get(p.id), policy) for p in [*points, *found.chosen]]
    table = pd.DataFrame(rows)
    best = found.best
    group = [best, *found.chosen]
    table["pct_from_best"] = np.nan
    table["moved_from_best"] = pd.array([pd.NA] * len(table), dtype="Int64")
    for s in group:
        at = table["id"] == s.id
        table.loc[at, "pct_from_best"] = (
            round(100.0 * (s.objective / best.objective - 1.0), 6) if best.objective else 0.0
        )
        table.loc[at, "moved_from_best"] = 0 if s is best else found.moved[(best.id, s.id)]
    for other in found.chosen:
        column = f"moved_vs_{other.id}"
        table[column] = pd.array(
            [found.moved.get((sid, other.id)) if sid != other.id else 0 for sid in table["id"]],
            dtype="Int64",
        )
        table.loc[table["kind"] != "alternative", column] = pd.NA
    table["recommended"] = table["id"] == chosen.id
    table["best"] = table["id"] == best.id
    table["note"] = [p.note for p in [*points, *found.chosen]]
    for column in ("dominated_by", "same_as", "left_out"):  # text or None, never NaN
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    ids = [s.id for s in group]
    differences = pd.DataFrame(
        [[0 if a == b else found.moved[(a, b)] for b in ids] for a in ids], index=ids, columns=ids
    )
    plans = {p.id: p.plan for p in [*points, *found.chosen] if p.same_as is None}
    return Scenarios(
        table=table,
        plans=plans,
        best=best.id,
        recommended=chosen.id,
        reason=reasons(front, chosen, best),
        moves=_moves(found),
        differences=differences,
    )


def _row(s: Scenario, dominator: str | None, policy: Policy) -> dict[str, Any]:
    schools = s.plan.schools
    members = schools[schools[S.ROLE] == S.MEMBER]
    grouped = schools[schools[S.ROLE] != S.UNASSIGNED]
    return {
        "id": s.id,
        "kind": s.kind,
        "weight": s.weight,
        "method": s.method,
        "how": s.how,
        "seed": s.seed,
        "left_out": " ".join(s.left_out) or None,
        "status": s.status,
        "gap": None if s.gap is None else round(s.gap, 6),
        "objective": round(s.objective, 6),
        "objective_at_policy_weight": round(s.distance + policy.balance_weight * s.balance, 6),
        "distance_km": round(s.distance, 6),
        "balance_gap": round(s.balance, 6),
        "member_distance_km": round(float(members[S.DISTANCE_KM].mean()), 6)
        if len(members)
        else None,
        "groups": int(grouped[S.GROUP_ID].nunique()),
        "unassigned": int((schools[S.ROLE] == S.UNASSIGNED).sum()),
        "on_front": s.kind == "front" and dominator is None,
        "dominated_by": dominator if s.kind == "front" else None,
        "same_as": s.same_as,
    }


def _moves(found: Alternatives) -> pd.DataFrame:
    frames = []
    for sid, moves in found.moves.items():
        frame = moves.rename(
            columns={
                "group_a": "group_best",
                "group_b": "group_alternative",
                "role_a": "role_best",
                "role_b": "role_alternative",
            }
        ).reset_index()
        frame.insert(0, "alternative", sid)
        frames.append(frame)
    columns = ["alternative", S.SCHOOL_ID, "name", "group_best", "group_alternative",
               "role_best", "role_alternative"]  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _notes(points: list[Scenario], found: Alternatives, job: Job) -> list[str]:
    notes = [f"{p.id}: {p.note}" for p in points if p.note]
    if found.note:
        notes.append(found.note)
    if job.budget.left() <= 0:
        notes.append(
            f"the total time ({job.budget.total:g} s) was spent: the scenarios may differ on "
            "another run or machine; give more --total-time"
        )
    return notes
