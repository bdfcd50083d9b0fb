"""Alternative plans: near the best objective, and materially different from it and from
one another.

At the policy's own balance weight, plans are made that cannot simply repeat the best one:

1. ``fast`` with other seeds (another start, another local optimum);
2. ``fast`` with one lead of the sweep's plan left out of the lead pool (its group must
   re-form, and its neighbours with it): the leads taken spread out over the county (each
   next the farthest from those before), a batch of ``2k`` at a time;
3. two such leads left out at once, for the pairs of the cheapest single ones.

The seeds and the first batch always run; each later round only while fewer alternatives
qualify than asked (and time is left).

The plan with the lowest objective among the sweep's point at that weight and all the
plans tried is the **best**. The alternatives are then chosen greedily by objective: a plan qualifies
when its objective is within ``within`` (a share) of the best's and it differs from the
best and from every alternative already chosen in at least ``need`` schools. Two plans
differ in a school when it changed group between them (:func:`geogroup.compare_plans`:
groups matched one to one by the schools they share, so renaming moves no school).

Leaving leads out narrows the lead pool only: every plan keeps every rule of the policy
(checked by :func:`geogroup.check_plan`), and is written with the policy as given.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geogroup import rules
from geogroup import schema as S
from geogroup.errors import InfeasibleError
from geogroup.evaluate import allowed_leads, check_plan, compare_plans
from geogroup.plan import Plan
from geogroup.scenarios._run import Job, Scenario, same_plan

__all__ = ["Alternatives", "find_alternatives", "needed_difference"]

POOL_COLUMN = "scenario_lead_pool"


@dataclass
class Alternatives:
    """What the search found: the best plan, the alternatives, every plan tried, and the
    schools that changed group between each pair of the best and the alternatives."""

    best: Scenario
    chosen: list[Scenario]
    tried: list[Scenario]
    need: int
    within: float
    moved: dict[tuple[str, str], int] = field(default_factory=dict)
    moves: dict[str, pd.DataFrame] = field(default_factory=dict)
    note: str = ""


def needed_difference(min_diff: float | int, n_grouped: int) -> int:
    """Schools two plans must differ in: ``min_diff`` itself when it is a whole number, else
    that share of the grouped schools rounded up; at least 1.

    Examples
    --------
    >>> needed_difference(0.05, 307), needed_difference(4, 307), needed_difference(0.001, 20)
    (16, 4, 1)
    """
    if isinstance(min_diff, int | np.integer):
        return max(1, int(min_diff))
    return max(1, math.ceil(float(min_diff) * n_grouped - 1e-9))


def find_alternatives(
    job: Job, base: Scenario, k: int, within: float, min_diff: float | int, best_id: str
) -> Alternatives:
    """The best plan at ``base.weight`` and up to ``k`` alternatives ``A1``, ``A2``, …
    (see the module docstring); ``base`` is the sweep's point at the policy's weight, and a
    better plan found by the search is called ``best_id``."""
    search = _Search(job, base)
    tried: list[Scenario] = []
    best, chosen, need = base, [], 1
    batch = max(2 * k, 4)
    rounds = [
        functools.partial(search.seeds, k),
        *(functools.partial(search.singles, search.leads[i : i + batch])
          for i in range(0, len(search.leads), batch)),
        functools.partial(search.pairs, tried, max(k, len(search.leads))),
    ]  # fmt: skip
    for number, more in enumerate(rounds):
        enough = len(chosen) == k and number >= 2  # the seeds and one batch always run
        if k == 0 or enough or job.budget.left() <= 0:
            break
        tried += more()
        best, chosen, need = _select(base, tried, k, within, min_diff, search.moved)
    if best is not base:
        best.id, best.kind = best_id, "front"
    chosen = [_as_alternative(c, base, best.plan) for c in chosen]
    for number, alternative in enumerate(chosen, start=1):
        alternative.id = f"A{number}"
    for scenario in [best, *chosen]:
        if scenario is not base:
            scenario.bound = base.bound
            scenario.gap = scenario.gap_to(base.bound)
    found = Alternatives(best=best, chosen=chosen, tried=tried, need=need, within=within)
    for a, b in itertools.combinations([best, *chosen], 2):
        found.moved[(a.id, b.id)] = found.moved[(b.id, a.id)] = search.moved(a, b)
    found.moves = {c.id: compare_plans(best.plan, c.plan).moves for c in chosen}
    if len(chosen) < k:
        found.note = (
            f"{len(chosen)} of the {k} alternatives asked for: no other plan of the "
            f"{len(tried)} tried is within {within:.1%} of the best and differs in at least "
            f"{need} schools from it and from the others"
            + ("; the total time was spent" if job.budget.left() <= 0 else "")
        )
    return found


def _as_alternative(scenario: Scenario, base: Scenario, best: Plan) -> Scenario:
    """A chosen plan as an alternative: its groups named after the groups of the best plan
    they match (:func:`geogroup.compare_plans`), so that a school's move reads "from G24 to
    G18" with G18 the group that was G18 in the best plan. The sweep's own point, when a
    plan of the search beat it, is copied, so that the point keeps its name on the front."""
    if scenario is base:
        return dataclasses.replace(
            base, kind="alternative", how=f"weight sweep ({base.id})", same_as=base.id
        )
    scenario.plan = _named_like(scenario.plan, best)
    return scenario


def _named_like(plan: Plan, best: Plan) -> Plan:
    origin = compare_plans(best, plan).group_origin
    taken = set(best.schools[S.GROUP_ID].dropna().astype(str))
    width = max((len(g) - 1 for g in taken if g.startswith("G")), default=2)
    fresh = (f"G{k:0{width}d}" for k in itertools.count(1) if f"G{k:0{width}d}" not in taken)
    mapping = {str(g): (str(a) if isinstance(a, str) else next(fresh)) for g, a in origin.items()}
    schools = plan.schools.assign(
        **{
            S.GROUP_ID: plan.schools[S.GROUP_ID].map(
                lambda g: mapping.get(str(g), g) if isinstance(g, str) else g
            )
        }
    )
    zones = None if plan.zones is None else plan.zones.rename(index=mapping)
    return dataclasses.replace(plan, schools=schools, zones=zones)


class _Search:
    """The plans tried, and the moved counts between them (each pair compared once)."""

    def __init__(self, job: Job, base: Scenario) -> None:
        self.job = job
        self.base = base
        self.policy = base.plan.policy
        self.pool = allowed_leads(base.plan).to_numpy(dtype=bool)
        self.leads = _free_leads(base.plan, self.pool)
        self.counter = itertools.count(1)
        # keyed by the plans' identities; each entry holds its two plans, so that neither
        # can be freed and its id() reused by another plan while the entry lives
        self._moved: dict[tuple[int, int], tuple[Plan, Plan, int]] = {}

    def _scenario(self, plan: Plan, how: str, seconds: float, left_out=(), seed=None) -> Scenario:
        return Scenario(
            f"T{next(self.counter)}", "alternative", self.base.weight, plan, plan.method, how,
            plan.status, bound=None, seconds=seconds, left_out=tuple(left_out),
            seed=self.job.random_state if seed is None else seed,
        )  # fmt: skip

    def seeds(self, k: int) -> list[Scenario]:
        out = []
        for step in range(1, k + 1):
            if self.job.budget.left() <= 0:
                break
            seed = (self.job.random_state + step) % 2**32
            plan, seconds = self.job.solve(self.policy, "fast", random_state=seed)
            out.append(self._scenario(plan, f"fast, seed {seed}", seconds, seed=seed))
        return out

    def singles(self, leads: list[str]) -> list[Scenario]:
        return [s for s in (self._without((lead,)) for lead in leads) if s is not None]

    def pairs(self, tried: list[Scenario], limit: int) -> list[Scenario]:
        singles = sorted(
            (s for s in tried if len(s.left_out) == 1), key=lambda s: (round(s.objective, 12), s.id)
        )
        out: list[Scenario] = []
        for a, b in itertools.combinations(singles, 2):
            if len(out) >= limit:
                break
            found = self._without(tuple(sorted({*a.left_out, *b.left_out})))
            if found is not None:
                out.append(found)
        return out

    def _without(self, left_out: tuple[str, ...]) -> Scenario | None:
        """``fast`` with ``left_out`` out of the lead pool; None when no plan keeps the rules
        without them, or the time is spent."""
        if self.job.budget.left() <= 0:
            return None
        schools = self.job.schools
        column = _free_column(schools)
        pool = self.pool & ~schools.index.isin(left_out)
        narrowed = dataclasses.replace(self.policy, leads=f"column:{column}")
        try:
            plan, seconds = self.job.solve(
                narrowed, "fast", schools=schools.assign(**{column: pool})
            )
        except InfeasibleError:
            return None
        plan = _as_given(plan, self.base.plan, column, left_out)
        names = schools.loc[list(left_out), S.NAME].astype(str).tolist()
        shown = ", ".join(f"{i} {n}" for i, n in zip(left_out, names, strict=True))
        return self._scenario(plan, f"fast, without lead {shown}", seconds, left_out)

    def moved(self, a: Scenario, b: Scenario) -> int:
        key = (id(a.plan), id(b.plan))
        if key not in self._moved:
            self._moved[key] = (a.plan, b.plan, compare_plans(a.plan, b.plan).n_moved)
        return self._moved[key][2]


def _free_leads(plan: Plan, pool: np.ndarray) -> list[str]:
    """The leads of ``plan`` that leaving out of the pool can move (in the pool, heading no
    fixed group, not named by the policy), spread out: each next the farthest from those
    before it, from the one nearest the leads' centre; so that the first few tried lie in
    different parts of the county and make plans that differ from one another."""
    schools = plan.schools
    if plan.policy.lead_rule[0] == "ids":
        return []
    lead = (schools[S.ROLE] == S.LEAD).to_numpy() & pool
    if S.FIXED_GROUP in schools:
        lead &= schools[S.FIXED_GROUP].isna().to_numpy()
    ids = np.array(sorted(map(str, schools.index[lead])), dtype=object)
    if len(ids) < 3:
        return ids.tolist()
    xy = rules.metric_xy(schools.loc[ids])
    near = np.hypot(*(xy - xy.mean(axis=0)).T)
    order = [int(np.argmin(near))]
    gap = np.hypot(*(xy - xy[order[0]]).T)
    gap[order[0]] = -1.0
    while len(order) < len(ids):
        nxt = int(np.argmax(gap))  # ties: the first by id
        order.append(nxt)
        gap = np.minimum(gap, np.hypot(*(xy - xy[nxt]).T))
        gap[order] = -1.0
    return ids[order].tolist()


def _free_column(schools: pd.DataFrame) -> str:
    column = POOL_COLUMN
    while column in schools:
        column = f"_{column}"
    return column


def _as_given(plan: Plan, base: Plan, column: str, left_out: tuple[str, ...]) -> Plan:
    """A plan made with a narrowed lead pool, as a plan under the policy as given: the pool
    column dropped, the policy and the units' words on leads those of ``base``, the leads
    left out named in the parameters; every rule of the policy kept."""
    leads_of = {unit.get("unit"): unit.get("leads") for unit in base.units}
    units = [
        {**unit, "leads": f"{leads_of.get(unit.get('unit'))}; left out: {', '.join(left_out)}"}
        for unit in plan.units
    ]
    out = dataclasses.replace(
        plan,
        schools=plan.schools.drop(columns=[column]),
        policy=base.policy,
        units=units,
        params={**plan.params, "left_out_leads": list(left_out)},
    )
    broken = check_plan(out, base.policy)
    if len(broken):
        raise RuntimeError(
            f"internal error: a plan made without leads {', '.join(left_out)} breaks "
            f"{len(broken)} rule(s) of policy {base.policy.name!r}; this is a bug of geogroup"
        )
    return out


def _select(
    base: Scenario, tried: list[Scenario], k: int, within: float, min_diff: float | int, moved
) -> tuple[Scenario, list[Scenario], int]:
    """The best plan, the alternatives chosen greedily by objective, and the schools they
    must differ in."""
    plans = [base, *(s for s in tried if not same_plan(s.plan, base.plan))]
    best = min(plans, key=lambda s: round(s.objective, 12))  # ties: the sweep's point first
    n_grouped = int((best.plan.schools[S.ROLE] != S.UNASSIGNED).sum())
    need = needed_difference(min_diff, n_grouped)
    limit = best.objective * (1.0 + within) + 1e-12
    order = sorted(
        (s for s in plans if s is not best), key=lambda s: (round(s.objective, 12), plans.index(s))
    )
    chosen: list[Scenario] = []
    for candidate in order:
        if len(chosen) == k or candidate.objective > limit:
            break
        if all(moved(other, candidate) >= need for other in [best, *chosen]):
            chosen.append(candidate)
    return best, chosen, need
