"""Choosing which candidate schools open a group, for the heuristic methods."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans

from geogroup.group._problem import Problem
from geogroup.locate import nearest

__all__ = ["spread_leads", "target_group_count"]


def target_group_count(problem: Problem) -> int:
    """The policy's number of groups, else as many as the rules allow (nearer leads)."""
    if problem.policy.lead_rule[0] == "ids":
        return int((problem.must_lead & problem.active).sum())
    if problem.policy.n_groups is not None:
        return problem.policy.n_groups
    return problem.n_groups_range[1]


def spread_leads(problem: Problem, g: int, *, rng: np.random.Generator) -> NDArray[np.int64]:
    """``g`` leads spread over the schools: fixed leads first, then the candidate nearest to
    each k-means centre of the schools, keeping the policy's minimum spacing."""
    must = np.flatnonzero(problem.must_lead & problem.active)
    pool = problem.leads_pool
    if g <= len(must) or len(pool) <= g:
        chosen = must if g <= len(must) else pool
        return _spaced(problem, chosen, g)
    active = np.flatnonzero(problem.active)
    km = KMeans(n_clusters=g, n_init=1, random_state=int(rng.integers(2**31 - 1)))
    km.fit(problem.xy[active])
    centres = km.cluster_centers_
    order = nearest(centres, problem.xy[pool], k=min(len(pool), 16))[0]
    chosen = list(must)
    taken = set(chosen)
    # Fixed leads claim their nearest centres; the other centres take a free candidate.
    claimed = (
        set(nearest(problem.xy[must], centres, k=1)[0].ravel().tolist()) if len(must) else set()
    )
    for c in range(g):
        if c in claimed or len(chosen) >= g:
            continue
        for p in pool[order[c]]:
            if p not in taken and _far_enough(problem, p, chosen):
                chosen.append(int(p))
                taken.add(int(p))
                break
    for p in pool:  # fill up (spacing or clashes left too few)
        if len(chosen) >= g:
            break
        if p not in taken and _far_enough(problem, p, chosen):
            chosen.append(int(p))
            taken.add(int(p))
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _far_enough(problem: Problem, p: int, chosen: list[int]) -> bool:
    spacing = problem.spaced_m()
    if spacing <= 0 or not chosen:
        return True
    d = np.hypot(*(problem.xy[chosen] - problem.xy[p]).T)
    return bool(d.min() >= spacing)


def _spaced(problem: Problem, chosen: NDArray[np.int64], g: int) -> NDArray[np.int64]:
    ranked = sorted(
        chosen, key=lambda p: (not problem.must_lead[p], -problem.quality[p], str(problem.ids[p]))
    )
    out: list[int] = []
    for p in ranked:
        if len(out) < g and (problem.must_lead[p] or _far_enough(problem, p, out)):
            out.append(int(p))
    return np.sort(np.asarray(out, dtype=np.int64))
