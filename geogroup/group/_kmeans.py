"""``kmeans``: the baseline planners recognise — cluster the map, best school leads.

scikit-learn's k-means clusters the school locations into as many groups as the policy
needs; in each cluster the best lead candidate (by quality) leads. When the clusters break a
rule (sizes, the distance cap, urban–rural pairing, the weak-school quota) the schools are
re-matched to those leads by the same capacity-respecting matching ``fast`` starts from.

k-means sees only places, not quality. Under ``balance_weight > 0`` the groups are then
balanced: schools move and swap between neighbouring groups while that lowers the shared
objective (``fast``'s local search, with the leads kept). ``balance_weight = 0`` keeps the
plain k-means groups: the baseline to beat.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from sklearn.cluster import KMeans

from geogroup.errors import InfeasibleError
from geogroup.group._assign import assign_to_leads, improve
from geogroup.group._base import ALL_RULES, BaseGrouper, solution_from
from geogroup.group._leads import _far_enough, target_group_count
from geogroup.group._problem import Problem, Solution, judge
from geogroup.locate import nearest

__all__ = ["KMeansGrouper"]

_FULL_KMEANS = 5_000_000  # schools x clusters up to which full k-means (n_init restarts) runs
_KMEANS_SHARE = 0.4  # of the time limit, the most a large unit's Lloyd passes may take


class KMeansGrouper(BaseGrouper):
    """k-means clusters of locations, the best candidate of each cluster as lead.

    Parameters
    ----------
    policy, random_state, time_limit, on_infeasible, n_jobs, backend, scheduler, progress
        As for every method.
    n_init
        k-means restarts (scikit-learn's ``n_init``).

    Examples
    --------
    >>> from geogroup import Policy, toy_schools
    >>> plan = KMeansGrouper(policy=Policy(members=(2, 2), leads="top:0.34")).fit(toy_schools()).plan_
    >>> sorted(plan.schools.loc[plan.schools.role == "lead"].index)
    ['A', 'D']
    """

    name = "kmeans"
    # its repair (a matching for fixed sizes) cannot promise a share of weak schools
    honours = ALL_RULES - {"min_weak_share", "sectors", "group_students", "capacity"}

    def __init__(
        self,
        *,
        n_init: int = 4,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.n_init = n_init

    def _solve(self, problem: Problem, rng: np.random.Generator) -> Solution:
        deadline = time.perf_counter() + self.time_limit
        g = target_group_count(problem)
        lowest = g if problem.policy.n_groups is not None else problem.n_groups_range[0]
        while True:
            try:
                return self._solve_with(problem, rng, g, deadline)
            except InfeasibleError:
                if g <= lowest:
                    raise
                g -= 1  # as many groups as the rules allow; fewer when the mix rules fail

    def _solve_with(
        self, problem: Problem, rng: np.random.Generator, g: int, deadline: float
    ) -> Solution:
        active = np.flatnonzero(problem.active)
        seed = int(rng.integers(2**31 - 1))
        xy = problem.xy[active]
        if len(active) * g > _FULL_KMEANS:  # Lloyd's passes cost n·g each: bounded by time
            budget = time.perf_counter() + _KMEANS_SHARE * self.time_limit
            labels, centres = _bounded_kmeans(xy, g, seed, min(budget, deadline))
        else:
            km = KMeans(n_clusters=g, n_init=self.n_init, random_state=seed)
            labels = km.fit_predict(xy)
            centres = km.cluster_centers_
        leads = _cluster_leads(problem, active, labels, g, centres)
        lead = np.full(problem.n, -1, dtype=np.int64)
        lead_of_cluster = {c: leads[c] for c in range(g)}
        lead[active] = [lead_of_cluster[c] for c in labels]
        lead[leads] = leads
        locked = problem.locked_to >= 0
        lead[locked] = problem.locked_to[locked]
        repaired = False
        if judge(problem, lead):
            lead = assign_to_leads(problem, np.unique(leads))
            repaired = True
        left = deadline - time.perf_counter()
        balanced = problem.policy.balance_weight > 0 and left > 0
        if balanced:
            lead = improve(problem, lead, rng=rng, time_limit=left)
        detail: dict[str, Any] = {"repaired": repaired, "balanced": balanced, "n_groups": g}
        if left <= 0:  # the first plan keeping every rule took longer than the limit
            detail["over_time_limit"] = (
                f"the first plan keeping every rule took {self.time_limit - left:.1f} s, "
                f"past time_limit={self.time_limit:g} s; it is returned unimproved"
            )
        return solution_from(problem, lead, "heuristic", **detail)


def _bounded_kmeans(xy: np.ndarray, g: int, seed: int, until: float):
    """k-means of a large unit within a time budget: the schools in ``g`` runs of a
    strip-by-strip sweep give the first centres (no k-means++ over n·g distances), then
    Lloyd's passes, a few at a time, until they settle or ``until`` (a ``perf_counter``
    time) passes. Returns the labels and the centres."""
    strips = max(1, math.isqrt(g))
    row = np.minimum(
        (np.argsort(np.argsort(xy[:, 1], kind="stable")) * strips) // len(xy), strips - 1
    )
    x = np.where(row % 2 == 0, xy[:, 0], -xy[:, 0])  # boustrophedon: runs stay compact
    order = np.lexsort((x, row))
    centres = np.array([xy[run].mean(axis=0) for run in np.array_split(order, g)])
    labels = None
    while True:
        km = KMeans(n_clusters=g, init=centres, n_init=1, max_iter=2, random_state=seed)
        labels = km.fit_predict(xy)
        centres = km.cluster_centers_
        if km.n_iter_ < 2 or time.perf_counter() > until:
            return labels, centres


def _cluster_leads(problem: Problem, active, labels, g, centres) -> np.ndarray:
    """Per cluster a lead: every fixed lead first (in its own cluster, else the nearest
    cluster still without one), then each cluster's best candidate that keeps the lead
    spacing, else the free candidate nearest the cluster's centre."""
    pool = set(problem.leads_pool.tolist())
    leads = np.full(g, -1, dtype=np.int64)
    centres = np.asarray(centres, dtype=float)
    must = [int(m) for m in np.flatnonzero(problem.must_lead & problem.active)]
    for m in sorted(must, key=lambda m: (-problem.quality[m], m)):
        open_clusters = np.flatnonzero(leads < 0)
        home = labels[np.searchsorted(active, m)] if m in set(active.tolist()) else -1
        if home in open_clusters:
            leads[home] = m
        elif len(open_clusters):
            d = np.hypot(*(centres[open_clusters] - problem.xy[m]).T)
            leads[open_clusters[np.argmin(d)]] = m
    taken: set[int] = {int(x) for x in leads if x >= 0}
    spaced = problem.spaced_m() > 0

    def fits(p: int) -> bool:
        return p not in taken and (not spaced or _far_enough(problem, p, sorted(taken)))

    by_label = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[by_label], np.arange(g + 1))
    for c in np.flatnonzero(leads < 0):
        members = active[by_label[bounds[c] : bounds[c + 1]]]
        options = [m for m in members.tolist() if m in pool and fits(m)]
        if options:
            best = max(options, key=lambda m: (problem.quality[m], -m))
            leads[c] = best
            taken.add(int(best))
    free = np.asarray(sorted(pool - taken), dtype=np.int64)
    open_clusters = np.flatnonzero(leads < 0)
    if len(open_clusters) == 0:
        return leads
    if len(free) == 0:
        raise _no_spaced_leads(problem, g)
    near = nearest(centres[open_clusters], problem.xy[free], k=min(16, len(free)))[0]
    for row, c in enumerate(open_clusters.tolist()):
        pick = next((int(free[o]) for o in np.ravel(near[row]) if fits(int(free[o]))), None)
        if pick is None:  # the 16 nearest are taken or too close: look at every candidate
            order = nearest(centres[c : c + 1], problem.xy[free], k=len(free))[0].ravel()
            pick = next((int(free[o]) for o in order if fits(int(free[o]))), None)
        if pick is None:
            raise _no_spaced_leads(problem, g)
        leads[c] = pick
        taken.add(pick)
    return leads


def _no_spaced_leads(problem: Problem, g: int) -> InfeasibleError:
    return InfeasibleError(
        f"{g} groups cannot all have a lead at least policy 'min_lead_spacing_km' = "
        f"{problem.policy.min_lead_spacing_km:g} km from the others; lower the spacing "
        "or ask for fewer groups"
    )
