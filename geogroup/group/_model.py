"""The grouping as a linear model for HiGHS: the mixed-integer programme ``exact`` solves
(its LP relaxation, which ``fast`` rounds, is in ``_relaxation``).

Variables: ``x[i, j] = 1`` when school i joins the group led by j, for j among the candidate
leads i may join (``y_j = x[j, j]`` says j leads); ``e_j >= 0`` the absolute total deviation
of group j's quality from the mean. Constraints::

    Σ_j x[i, j] = 1                       every school in exactly one group
    x[i, j] <= y_j                        only open leads take members
    min·y_j <= Σ_{i≠j} x[i, j] <= max·y_j  members per group
    Σ_{i rural} x[i, j] >= y_j             城乡结对, for urban j (when the policy asks)
    Σ_{i weak} x[i, j] >= w_min·y_j        weak-school quota (when the policy asks)
    Σ_i (weak_i − s)·x[i, j] >= 0           weak share s of each group (min_weak_share)
    lo·y_j <= Σ_i s_i x[i, j] <= hi_j·y_j   students of each group (group_students, capacity)
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
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geogroup import rules
from geogroup.errors import InfeasibleError
from geogroup.group._problem import Problem, nearest_pairs
from geogroup.locate import within_radius

__all__ = ["Model", "Result", "quiet_highs"]

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
    priced_out: int = 0  # pairs held at 0 by reduced-cost fixing
    proof: str = "pairs"  # the model whose bound is reported: "pairs", or "groups" (_columns)


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
        idx, dist_km = p.near(self.active, self.pool, k)
        known = idx.ravel() >= 0
        rows = np.repeat(self.active, idx.shape[1])[known]
        leads = self.pool[idx.ravel()[known]]
        dist = dist_km.ravel()[known]
        keep = rules.within_cap(dist, p.policy.max_distance_km)
        # A lead's own pair (its y) is always there; locked schools see only their lead.
        rows, leads, dist = rows[keep], leads[keep], dist[keep]
        rows, leads, dist = self._with_required(k, rows, leads, dist)
        rows, leads, dist = self._with_start(rows, leads, dist)
        own = np.isin(self.pool, self.active)
        locked = self.active[p.locked_to[self.active] >= 0]
        locked_d = p.km(locked, p.locked_to[locked])
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
        d_km = p.km(member, self.start[member])
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
        leads: NDArray[np.int64] | None = None,
        excluded: NDArray[np.int64] | None = None,
    ) -> Result:
        """Solve the MIP within ``time_limit`` seconds, from ``start`` when given; with
        ``leads``, exactly those lead (the assignment alone is optimised); the pair columns
        ``excluded`` (:meth:`priced_out`) are held at 0."""
        h = quiet_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("random_seed", int(seed))
        if threads:
            h.setOptionValue("threads", int(threads))
        lp = self._lp()
        if excluded is not None and len(excluded):
            upper = np.asarray(lp.col_upper_)
            upper[excluded] = 0.0
            lp.col_upper_ = upper
        free = self.n_pairs - (0 if excluded is None else len(excluded))
        if free > _PROBING_LIMIT:  # HiGHS's probing alone can outlast the time limit
            h.setOptionValue("presolve", "off")
        if leads is not None:
            lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
            is_open = np.isin(self.pair_j, leads)
            upper[: self.n_pairs][~is_open] = 0.0
            lower[: self.n_pairs][is_open & (self.pair_i == self.pair_j)] = 1.0
            lp.col_lower_, lp.col_upper_ = lower, upper
        h.passModel(lp)
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

    def priced_out(
        self, objective: float, time_limit: float, keep: NDArray[np.int64] | None = None
    ) -> tuple[NDArray[np.int64], float | None]:
        """Member pairs that no grouping better than ``objective`` can use, by reduced-cost
        fixing on the LP relaxation: a pair whose reduced cost exceeds ``objective`` minus
        the relaxation's optimum would lift every grouping using it above ``objective``.
        Returns those columns (never a pair of the grouping ``keep``) and the relaxation's
        optimum (None, and no column, when it is not solved within ``time_limit``); the
        relaxation's row duals are kept as ``relaxation_duals``."""
        h = quiet_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("parallel", "off")
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        lp = self._lp()
        lp.integrality_ = []
        h.passModel(lp)
        h.run()
        none = np.zeros(0, dtype=np.int64)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return none, None
        bound = float(h.getInfo().objective_function_value)
        self.relaxation_duals = np.asarray(h.getSolution().row_dual)
        reduced = np.asarray(h.getSolution().col_dual)[: self.n_pairs]
        margin = objective - bound + 1e-9 * max(1.0, abs(objective))
        out = np.flatnonzero((reduced > margin) & (self.pair_i != self.pair_j))
        if keep is not None:
            out = out[keep[self.pair_i[out]] != self.pair_j[out]]
        return out, bound

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
        if p.weighs_students:
            self._load_rows(rows)
        self._balance_rows(rows, lead_c)

    def _load_rows(self, rows) -> None:
        """lo·y_j <= Σ_i s_i·x[i, j] <= hi_j·y_j for each lead j, its own students included
        (x[j, j] = y_j), hi_j the lesser of the group maximum and j's capacity; and the
        cut Σ_j hi_j·y_j >= Σ_i s_i (the open groups hold every student)."""
        p = self.p
        lo, hi = p.load_limits()
        own_pair = self.pair_i == self.pair_j
        s = p.students[self.pair_i]
        cap = hi[self.pair_j]
        upper = np.flatnonzero(np.isfinite(cap))  # the pairs of leads with an upper limit
        coef = s[upper] - np.where(own_pair[upper], cap[upper], 0.0)
        rows.add_block(self.lead_c[upper], upper, coef, -np.inf, 0.0, len(self.pool))
        if math.isfinite(lo) and lo > 0:
            coef = s - np.where(own_pair, lo, 0.0)
            rows.add_block(self.lead_c, np.arange(self.n_pairs), coef, 0.0, np.inf, len(self.pool))
        own = np.flatnonzero(own_pair)
        if np.isfinite(cap[own]).all() and len(own):
            total = float(p.students[self.active].sum())
            rows.add_block(np.zeros(len(own)), own, cap[own], total, np.inf, 1)

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


_PROBING_LIMIT = 20_000  # pair columns beyond which HiGHS runs without presolve


def _rank_within(group: NDArray[np.int64], key: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rank of each element by ``key`` among the elements of its ``group`` (0 = smallest)."""
    order = np.lexsort((key, group))
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    starts = np.flatnonzero(first)
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - starts[np.cumsum(first) - 1]
    return rank


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
