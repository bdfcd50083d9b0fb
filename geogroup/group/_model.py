"""The grouping as a linear model for HiGHS: the mixed-integer programme ``exact`` solves,
and its LP relaxation that ``fast`` rounds.

Variables: ``x[i, j] = 1`` when school i joins the group led by j, for j among the candidate
leads i may join (``y_j = x[j, j]`` says j leads); ``e_j >= 0`` the absolute total deviation
of group j's quality from the mean. Constraints::

    Σ_j x[i, j] = 1                       every school in exactly one group
    x[i, j] <= y_j                        only open leads take members
    min·y_j <= Σ_{i≠j} x[i, j] <= max·y_j  members per group
    Σ_{i rural} x[i, j] >= y_j             城乡结对, for urban j (when the policy asks)
    Σ_{i weak} x[i, j] >= w_min·y_j        weak-school quota (when the policy asks)
    Σ_i (weak_i − s)·x[i, j] >= 0           weak share s of each group (min_weak_share)
    -e_j <= Σ_i z_i x[i, j] <= e_j          balance
    y_j + y_k <= 1                         leads closer than the minimum spacing
    G_lo <= Σ_j y_j <= G_hi                number of groups (fixed when the policy says)

Objective: ``(Σ d_ij x_ij + balance_weight·Σ e_j + move_cost·Σ moved_ij x_ij) / N``: the
same objective every method reports.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geogroup import rules
from geogroup.errors import InfeasibleError
from geogroup.group._problem import Problem, nearest_pairs
from geogroup.locate import nearest, within_radius

__all__ = ["Model", "Relaxation", "Result", "quiet_highs"]

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kInterrupt: "time_limit",
    highspy.HighsModelStatus.kSolutionLimit: "feasible",
    highspy.HighsModelStatus.kIterationLimit: "feasible",
    highspy.HighsModelStatus.kMemoryLimit: "feasible",
}


def quiet_highs() -> highspy.Highs:
    """A HiGHS instance, without the banner its constructor prints on standard output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class Result:
    """What one HiGHS run found: a grouping (or None), the status, HiGHS's bound on the
    objective (None when it has none yet) and whether it proved the model infeasible."""

    status: str
    bound: float | None
    infeasible: bool = False
    lead: NDArray[np.int64] | None = None


class Model:
    """Column layout: pair variables x (n_pairs), then e (one per candidate lead).

    ``start``: a grouping whose pairs (each school and its lead) are always modelled, so a
    sparse model never loses it (a warm start stays feasible for HiGHS)."""

    def __init__(
        self,
        problem: Problem,
        k: int,
        *,
        linked: int | None = None,
        start: NDArray[np.int64] | None = None,
    ) -> None:
        # linked: the x[i, j] <= y_j row only for each school's ``linked`` nearest leads; the
        # others (``lazy``: their x and y columns) are left to the caller to add when a
        # solution breaks them. None: every row.
        self.linked = linked
        self.k = k
        self.p = problem
        self.pool = problem.leads_pool
        self.pool_index = {int(j): c for c, j in enumerate(self.pool)}
        active = np.flatnonzero(problem.active)
        self.active = active
        self.start = start
        pair_i, pair_j, dist = self._pairs(k)
        self.pair_i, self.pair_j, self.dist_km = pair_i, pair_j, dist
        self.n_pairs = len(pair_i)
        # position in ``pool`` of each pair's lead
        self.lead_c = np.array([self.pool_index[int(j)] for j in pair_j], dtype=np.int64)
        self.linked_cols, lazy = self._split_links(linked)
        self.lazy = (lazy, self._own_col()[self.lead_c[lazy]])

    def _split_links(self, linked: int | None) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Member pairs whose row x[i, j] <= y_j is in the model, and those left out."""
        members = np.flatnonzero(self.pair_i != self.pair_j)
        if linked is None:
            return members, members[:0]
        near = _rank_within(self.pair_i[members], self.dist_km[members]) < linked
        return members[near], members[~near]

    def _pairs(self, k: int):
        p = self.p
        idx, dist_km = nearest(p.xy[self.active], p.xy[self.pool], k=min(k, len(self.pool)))
        rows = np.repeat(self.active, idx.shape[1])
        leads = self.pool[idx.ravel()]
        dist = dist_km.ravel()
        keep = rules.within_cap(dist, p.policy.max_distance_km)
        # A lead's own pair (its y) is always there; locked schools see only their lead.
        rows, leads, dist = rows[keep], leads[keep], dist[keep]
        rows, leads, dist = self._with_required(k, rows, leads, dist)
        rows, leads, dist = self._with_start(rows, leads, dist)
        own = np.isin(self.pool, self.active)
        locked = self.active[p.locked_to[self.active] >= 0]
        locked_d = np.hypot(*(p.xy[locked] - p.xy[p.locked_to[locked]]).T) / 1000.0
        rows = np.concatenate([rows, self.pool[own], locked])
        leads = np.concatenate([leads, self.pool[own], p.locked_to[locked]])
        dist = np.concatenate([dist, np.zeros(int(own.sum())), locked_d])
        locked = p.locked_to[rows] >= 0
        keep = ~locked | (leads == p.locked_to[rows])
        keep &= ~p.must_lead[rows] | (leads == rows)
        if p.sector is not None:  # a school joins a lead of its own sector only
            keep &= p.sector[rows] == p.sector[leads]
        rows, leads, dist = rows[keep], leads[keep], dist[keep]
        pairs = np.unique(np.stack([rows, leads, np.round(dist * 1e6)], axis=1), axis=0)
        return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64), pairs[:, 2] / 1e6

    def _with_start(self, rows, leads, dist):
        """Add the pairs of the start grouping (its members and their leads)."""
        if self.start is None:
            return rows, leads, dist
        p = self.p
        member = np.flatnonzero((self.start >= 0) & (self.start != np.arange(p.n)) & p.active)
        member = member[np.isin(self.start[member], self.pool)]
        d_km = np.hypot(*(p.xy[member] - p.xy[self.start[member]]).T) / 1000.0
        return (
            np.concatenate([rows, member]),
            np.concatenate([leads, self.start[member]]),
            np.concatenate([dist, d_km]),
        )

    def _with_required(self, k, rows, leads, dist):
        """Add, for every candidate lead, its ``k`` nearest weak schools (under a weak-school
        quota) and, for an urban one, its ``k`` nearest rural schools (under 城乡结对): a
        city full of candidates may have none of them among its schools' nearest."""
        p, policy = self.p, self.p.policy
        wanted = []
        if policy.min_weak_per_group:
            wanted.append((p.weak[self.active], self.pool))
        if policy.pair_urban_rural:
            wanted.append((p.rural[self.active], self.pool[p.urban[self.pool]]))
        for eligible, heads in wanted:
            schools = self.active[eligible]
            if len(schools) == 0 or len(heads) == 0:
                continue
            head, school, d_km = nearest_pairs(p, heads, schools, k)
            near = rules.within_cap(d_km, policy.max_distance_km)
            rows = np.concatenate([rows, schools[school[near]]])
            leads = np.concatenate([leads, heads[head[near]]])
            dist = np.concatenate([dist, d_km[near]])
        return rows, leads, dist

    def surely_infeasible(self) -> bool:
        """Whether the candidate sets alone rule out every grouping: each school needs open
        leads among its candidates (Σ_{j in N(i)} y_j >= 1), and when covering every school
        so takes more leads than the most groups allowed (the covering LP, solved in
        milliseconds) no grouping of this model exists. A restricted model of a few large
        groups fails this way, and HiGHS can take minutes to find that out on the whole
        model."""
        most = self.p.n_groups_range[1]
        row = np.unique(self.pair_i, return_inverse=True)[1]
        leads, col = np.unique(self.pair_j, return_inverse=True)
        if len(leads) <= most * np.bincount(row).min():
            return False  # every y_j = 1 / (fewest candidates of a school) covers them all
        matrix = sp.csc_matrix((np.ones(len(row)), (row, col)))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
        lp.col_cost_ = np.ones(lp.num_col_)
        lp.col_lower_ = np.zeros(lp.num_col_)
        lp.col_upper_ = np.ones(lp.num_col_)
        lp.row_lower_ = np.ones(lp.num_row_)
        lp.row_upper_ = np.full(lp.num_row_, np.inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        h = quiet_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("parallel", "off")
        h.setOptionValue("random_seed", 0)
        h.passModel(lp)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        return h.getInfo().objective_function_value > most + 1e-6

    def start_values(self, lead: NDArray[np.int64]) -> NDArray[np.float64] | None:
        """Column values of a known grouping (a warm start), or None if it is not in the model."""
        x = (lead[self.pair_i] == self.pair_j).astype(float)
        if x.sum() != (lead >= 0).sum():
            return None
        z_sum = np.zeros(len(self.pool))
        lead_c = self.lead_c
        np.add.at(z_sum, lead_c, self.p.z[self.pair_i] * x)
        return np.concatenate([x, np.abs(z_sum)])

    def solve(
        self,
        *,
        time_limit: float,
        mip_gap: float,
        seed: int,
        threads: int | None = None,
        start: NDArray[np.int64] | None = None,
    ) -> Result:
        """Solve the MIP within ``time_limit`` seconds, from ``start`` when given."""
        h = quiet_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("random_seed", int(seed))
        if threads:
            h.setOptionValue("threads", int(threads))
        h.passModel(self._lp())
        values = None if start is None else self.start_values(start)
        if values is not None:
            warm = highspy.HighsSolution()
            warm.col_value = list(values)
            warm.value_valid = True
            h.setSolution(warm)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        bound = float(info.mip_dual_bound)
        result = Result(
            status=_STATUS.get(status, "feasible"),
            bound=bound if math.isfinite(bound) else None,
            infeasible=status == highspy.HighsModelStatus.kInfeasible,
        )
        if info.primal_solution_status == 2:  # a feasible solution was found
            x = np.asarray(h.getSolution().col_value)[: self.n_pairs] > 0.5
            result.lead = np.full(self.p.n, -1, dtype=np.int64)
            result.lead[self.pair_i[x]] = self.pair_j[x]
        return result

    def _lp(self) -> highspy.HighsLp:
        p, policy = self.p, self.p.policy
        n_pairs, n_pool = self.n_pairs, len(self.pool)
        n_active = len(self.active)
        scale = 1.0 / max(n_active, 1)
        move = np.zeros(n_pairs)
        if p.previous_lead is not None:
            prev = p.previous_lead[self.pair_i]
            move = np.where((prev >= 0) & (prev != self.pair_j), policy.move_cost, 0.0)
        cost = np.concatenate(
            [(self.dist_km + move) * scale, np.full(n_pool, policy.balance_weight * scale)]
        )
        lower = np.zeros(n_pairs + n_pool)
        upper = np.concatenate([np.ones(n_pairs), np.full(n_pool, np.inf)])
        own = self.pair_i == self.pair_j
        must = own & p.must_lead[self.pair_i]
        locked = (p.locked_to[self.pair_i] >= 0) & (p.locked_to[self.pair_i] == self.pair_j)
        lower[:n_pairs][must | locked] = 1.0
        rows = _Rows(n_pairs + n_pool)
        self._assignment_rows(rows)
        self._group_rows(rows)
        self._count_rows(rows)
        lp = highspy.HighsLp()
        lp.num_col_ = n_pairs + n_pool
        lp.num_row_ = rows.count
        lp.col_cost_ = cost
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = np.asarray(rows.lower)
        lp.row_upper_ = np.asarray(rows.upper)
        matrix = rows.matrix().tocsc()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_pairs + [
            highspy.HighsVarType.kContinuous
        ] * n_pool
        return lp

    def _own_col(self) -> NDArray[np.int64]:
        """Column of y_j (the pair (j, j)) for each candidate lead, -1 if j cannot lead here."""
        own = np.full(len(self.pool), -1, dtype=np.int64)
        cols = np.flatnonzero(self.pair_i == self.pair_j)
        own[[self.pool_index[int(j)] for j in self.pair_j[cols]]] = cols
        return own

    def _assignment_rows(self, rows: _Rows) -> None:
        pos_of = {int(i): r for r, i in enumerate(self.active)}
        row_ids = np.array([pos_of[int(i)] for i in self.pair_i], dtype=np.int64)
        missing = np.setdiff1d(np.arange(len(self.active)), row_ids)
        if len(missing):
            raise InfeasibleError(
                f"school {self.p.ids[self.active[missing[0]]]} has no candidate lead it may join; "
                "raise 'max_distance_km' or allow more leads"
            )
        rows.add_block(
            row_ids, np.arange(self.n_pairs), np.ones(self.n_pairs), 1.0, 1.0, len(self.active)
        )

    def _group_rows(self, rows: _Rows) -> None:
        p, policy = self.p, self.p.policy
        own = self._own_col()
        members = self.pair_i != self.pair_j
        lead_c = self.lead_c
        # x[i, j] - y_j <= 0
        mcols = self.linked_cols
        y = own[lead_c[mcols]]
        r = np.arange(len(mcols))
        rows.add_block(
            np.concatenate([r, r]),
            np.concatenate([mcols, y]),
            np.concatenate([np.ones(len(mcols)), -np.ones(len(mcols))]),
            -np.inf,
            0.0,
            len(mcols),
        )
        lo, hi = policy.members
        self._per_lead(rows, lead_c, members, -np.inf, 0.0, coef_y=-hi)
        if lo:
            self._per_lead(rows, lead_c, members, 0.0, np.inf, coef_y=-lo)
        if policy.pair_urban_rural:
            urban_leads = p.urban[self.pool]
            self._per_lead(
                rows,
                lead_c,
                members & p.rural[self.pair_i],
                0.0,
                np.inf,
                coef_y=-1.0,
                only=urban_leads,
            )
        if policy.min_weak_per_group:
            self._per_lead(
                rows,
                lead_c,
                members & p.weak[self.pair_i],
                0.0,
                np.inf,
                coef_y=-float(policy.min_weak_per_group),
            )
        if policy.min_weak_share:
            self._share_rows(rows, lead_c, members)
        self._balance_rows(rows, lead_c)

    def _share_rows(self, rows, lead_c, members) -> None:
        """Σ_i (weak member_i − share)·x[i, j] >= 0 for each lead j, its own pair included: the
        weak members are at least the share of the group's schools (0 >= 0 when j is closed)."""
        share = self.p.policy.min_weak_share
        coef = (members & self.p.weak[self.pair_i]).astype(float) - share
        rows.add_block(lead_c, np.arange(self.n_pairs), coef, 0.0, np.inf, len(self.pool))

    def _per_lead(self, rows, lead_c, mask, lower, upper, *, coef_y, only=None) -> None:
        """Σ_{i in mask} x[i, j] + coef_y·y_j within [lower, upper], one row per lead j."""
        own = self._own_col()
        leads = np.arange(len(self.pool)) if only is None else np.flatnonzero(only)
        leads = leads[own[leads] >= 0]
        row_of = np.full(len(self.pool), -1)
        row_of[leads] = np.arange(len(leads))
        cols = np.flatnonzero(mask & (row_of[lead_c] >= 0))
        r = np.concatenate([row_of[lead_c[cols]], row_of[leads]])
        c = np.concatenate([cols, own[leads]])
        v = np.concatenate([np.ones(len(cols)), np.full(len(leads), coef_y)])
        rows.add_block(r, c, v, lower, upper, len(leads))

    def _balance_rows(self, rows, lead_c) -> None:
        z = self.p.z[self.pair_i]
        e_col = self.n_pairs + np.arange(len(self.pool))
        for sign in (1.0, -1.0):
            r = np.concatenate([lead_c, np.arange(len(self.pool))])
            c = np.concatenate([np.arange(self.n_pairs), e_col])
            v = np.concatenate([sign * z, -np.ones(len(self.pool))])
            rows.add_block(r, c, v, -np.inf, 0.0, len(self.pool))

    def _count_rows(self, rows) -> None:
        p = self.p
        own = self._own_col()
        valid = np.flatnonzero(own >= 0)
        g_lo, g_hi = p.n_groups_range
        rows.add_block(
            np.zeros(len(valid), dtype=np.int64),
            own[valid],
            np.ones(len(valid)),
            float(g_lo),
            float(g_hi),
            1,
        )
        if p.sector is not None:  # one group a sector
            sector = p.sector[self.pool[valid]]
            kinds, row_of = np.unique(sector, return_inverse=True)
            rows.add_block(row_of, own[valid], np.ones(len(valid)), -np.inf, 1.0, len(kinds))
        spacing = p.policy.min_lead_spacing_km
        if spacing > 0 and len(valid) > 1:
            xy = p.xy[self.pool[valid]]
            near = within_radius(xy, spacing)
            pairs = [
                (a, b)
                for a, nb in enumerate(near)
                for b in nb
                if a < b and not rules.spaced(math.dist(xy[a], xy[b]) / 1000.0, spacing)
            ]
            if pairs:
                a, b = np.array(pairs).T
                r = np.arange(len(pairs))
                rows.add_block(
                    np.concatenate([r, r]),
                    np.concatenate([own[valid[a]], own[valid[b]]]),
                    np.ones(2 * len(pairs)),
                    -np.inf,
                    1.0,
                    len(pairs),
                )


def _rank_within(group: NDArray[np.int64], key: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rank of each element by ``key`` among the elements of its ``group`` (0 = smallest)."""
    order = np.lexsort((key, group))
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    starts = np.flatnonzero(first)
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - starts[np.cumsum(first) - 1]
    return rank


class Relaxation:
    """The LP relaxation of the exact model, for the ``fast`` method to round.

    On school grouping the relaxation is nearly integral: its open leads are close to the
    optimum's, and with the leads fixed its assignment (which, unlike a matching, weighs the
    balance term) leaves only a few schools split between groups.

    The rows ``x[i, j] <= y_j`` make most of the model, and only those of a school's nearest
    leads are ever binding: the others are added when a solution breaks them, so every solve
    returns the optimum of the full relaxation, on a model a fraction of its size.

    Parameters
    ----------
    problem
        The unit.
    k
        Candidate leads each school sees.
    deadline
        The ``time.perf_counter()`` by which every solve must end (a solve left without
        time returns nothing).
    linked
        Nearest leads of each school whose ``x[i, j] <= y_j`` row is there from the start;
        None: three times as many as there are candidates per group (every row when that
        reaches ``k``, as under a policy of four large groups).
    """

    def __init__(
        self, problem: Problem, k: int, deadline: float, linked: int | None = None
    ) -> None:
        if linked is None:
            # A school splits over more leads when few of the candidates will lead.
            fewest = max(problem.n_groups_range[0], 1)
            linked = math.ceil(3 * len(problem.leads_pool) / fewest)
        self.model = Model(problem, k, linked=linked if linked < k else None)
        if self.model.surely_infeasible():
            raise InfeasibleError(
                f"each school seeing its {k} nearest candidates, more schools need a lead of "
                f"their own than the {problem.n_groups_range[1]} groups allowed"
            )
        self.h = quiet_highs()
        h = self.h
        h.setOptionValue("output_flag", False)
        self.deadline = deadline
        # Serial dual simplex and a fixed seed: the same input gives the same relaxation.
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("parallel", "off")
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("presolve", "off")  # measured: presolve costs more than it saves here
        self._pending = np.ones(len(self.model.lazy[0]), dtype=bool)
        lp = self.model._lp()
        lp.integrality_ = []
        h.passModel(lp)
        self.lower = np.asarray(lp.col_lower_, dtype=float)
        self.upper = np.asarray(lp.col_upper_, dtype=float)
        if self.model.linked is None:
            # Every row kept means a few large groups: a degenerate relaxation, on which the
            # interior point method (with crossover to a basis) was measured 3x quicker.
            h.setOptionValue("solver", "ipm")
        self.x = self._run()
        self.x0 = self.x
        h.setOptionValue("solver", "simplex")  # the re-solves start from the last basis

    def _run(self) -> NDArray[np.float64] | None:
        """Solve; add the left-out rows x[i, j] <= y_j the solution breaks, until none."""
        x_col, y_col = self.model.lazy
        while True:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                return None
            self.h.setOptionValue("time_limit", left)
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            x = np.asarray(self.h.getSolution().col_value)
            broken = np.flatnonzero(self._pending & (x[x_col] > x[y_col] + 1e-7))
            if len(broken) == 0:
                return x[: self.model.n_pairs]
            if len(broken) > self.model.p.n // 4:  # far from the full model: every row
                broken = np.flatnonzero(self._pending)
            self._pending[broken] = False
            nr = len(broken)
            self.h.addRows(
                nr,
                np.full(nr, -np.inf),
                np.zeros(nr),
                2 * nr,
                np.arange(0, 2 * nr, 2, dtype=np.int32),
                np.stack([x_col[broken], y_col[broken]], axis=1).ravel().astype(np.int32),
                np.tile([1.0, -1.0], nr),
            )

    @property
    def y(self) -> NDArray[np.float64] | None:
        """The value of y_j for each candidate lead (``model.pool`` order); None if unsolved."""
        if self.x is None:
            return None
        own = self.model._own_col()
        return np.where(own >= 0, self.x[np.maximum(own, 0)], 0.0)

    def covering(self, leads: NDArray[np.int64]) -> NDArray[np.int64]:
        """``leads`` and, for every school none of whose candidates is among them, the
        candidate it leans on most in the first relaxation: with leads fixed, a school the
        sparse model joins to no open lead would make the assignment infeasible."""
        m = self.model
        is_open = np.zeros(m.p.n, dtype=bool)
        is_open[leads] = True
        covered = np.zeros(m.p.n, dtype=bool)
        covered[m.pair_i[is_open[m.pair_j]]] = True
        lonely = np.flatnonzero(~covered[m.pair_i])
        if len(lonely) == 0:
            return leads
        # per uncovered school, its pair with the largest first-relaxation value
        order = lonely[np.lexsort((m.pair_j[lonely], -self.x0[lonely], m.pair_i[lonely]))]
        first = np.r_[True, m.pair_i[order][1:] != m.pair_i[order][:-1]]
        return np.union1d(leads, m.pair_j[order][first])

    def dive(self, max_rounds: int = 30) -> NDArray[np.int64] | None:
        """Leads by diving: fix the most open fractional leads open (a quarter of the
        fractional ones at a time, at least one) and keep the leads already fully open,
        re-solve from the last basis, until every y_j is whole; None when a round turns
        infeasible or ``max_rounds`` run out. The fixings hold for the dive only: later
        solves see the model's own bounds."""
        m = self.model
        own = m._own_col()
        valid = np.flatnonzero(own >= 0)
        y = self.y
        lower = self.lower.copy()  # the model's own bounds stay for assignment()
        for _ in range(max_rounds):
            if y is None:
                return None
            frac = valid[(y[valid] > 1e-6) & (y[valid] < 1.0 - 1e-6)]
            if len(frac) == 0:
                return np.sort(m.pool[valid[y[valid] > 0.5]])
            ids = m.p.ids[m.pool[frac]].astype(str)
            order = frac[np.lexsort((ids, -np.round(y[frac], 9)))]
            fix = order[: max(1, len(frac) // 4)]
            whole = valid[(y[valid] >= 1.0 - 1e-6) & (lower[own[valid]] < 1.0)]
            fix = np.union1d(fix, whole)
            lower[own[fix]] = 1.0
            cols = own[fix].astype(np.int32)
            self.h.changeColsBounds(len(cols), cols, lower[cols], self.upper[cols])
            self.x = self._run()
            y = self.y
        return None

    def assignment(
        self, leads: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_]] | None:
        """The relaxation re-solved with exactly ``leads`` open: each school's lead (the one
        with the largest share of it) and whether it is split between groups; None if
        infeasible."""
        m = self.model
        open_pair = np.isin(m.pair_j, leads)
        lower, upper = self.lower.copy(), self.upper.copy()
        upper[: m.n_pairs][~open_pair] = 0.0
        own = np.flatnonzero(m.pair_i == m.pair_j)
        lower[own[np.isin(m.pair_j[own], leads)]] = 1.0
        cols = np.arange(len(lower), dtype=np.int32)
        self.h.changeColsBounds(len(cols), cols, lower, upper)
        x = self._run()
        if x is None:
            return None
        # Largest share first, ties by lead position: the same input gives the same rounding.
        order = np.lexsort((m.pair_j, -x, m.pair_i))
        first = np.r_[True, m.pair_i[order][1:] != m.pair_i[order][:-1]]
        lead = np.full(m.p.n, -1, dtype=np.int64)
        lead[m.pair_i[order][first]] = m.pair_j[order][first]
        split = np.zeros(m.p.n, dtype=bool)
        split[m.pair_i[(x > 1e-6) & (x < 1.0 - 1e-6)]] = True
        return lead, split


class _Rows:
    """Accumulates constraint rows as COO blocks."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.count = 0
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add_block(self, r, c, v, lower, upper, n_rows) -> None:
        self.r.append(np.asarray(r, dtype=np.int64) + self.count)
        self.c.append(np.asarray(c, dtype=np.int64))
        self.v.append(np.asarray(v, dtype=float))
        self.lower += [lower] * n_rows
        self.upper += [upper] * n_rows
        self.count += n_rows

    def matrix(self) -> sp.coo_matrix:
        return sp.coo_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(self.count, self.n_cols),
        )
