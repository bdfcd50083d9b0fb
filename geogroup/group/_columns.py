"""The grouping as a choice of whole groups: a far tighter bound than the pair model's, and a
proof of optimality for policies of small groups.

The pair model (``_model``) lets its relaxation split a school between groups, and the
balance term ``|Σ_{i∈g} z_i|`` then nearly vanishes: each group takes fractions of schools
above and below the mean until its sum is zero. Here each *group* (a lead and its members) is
one column, costed as the integer group is, balance included; choosing groups so that every
school is in exactly one is the grouping problem again, and its relaxation keeps the balance.

The bound is Lagrangian. For multipliers π (one per school, on "every school in exactly one
group") and ν (on the rows that tie leads together: the number of groups, sectors, lead
spacing), every grouping X costs at least

    L(π, ν) = Σ_i π_i + Σ_r ν_r·b_r + Σ_j min(0, r_j)

where ``r_j`` is the lowest reduced cost of a group led by j (a lead whose group is fixed
counts r_j itself): every group of reduced cost below 0 is listed among the lead's
members (they are few: the members sorted by reduced cost bound how far the list reaches),
or, when the list would be long, a small mixed-integer programme over the pair model's own
rows for that lead (sizes, weak schools, shares, pairing, students, balance) gives HiGHS's
bound on it, so L stays valid when a pricing stops early. Column generation from the pair
relaxation's duals moves (π, ν) to the relaxation's optimum (between exact rounds, each
lead is priced among its cheapest members only); the groups generated also make plans
(the choice among them is a small MIP).

Reduced costs then prune: a group g can be part of a grouping that costs at most U only when
``rc(g) − min(0, r_j) <= U − L``. For policies of small groups every such group is listed
(:meth:`GroupBound.enumerate`) and HiGHS chooses among them; its optimum over that list is
then the optimum of the whole problem, and its gap a gap on the whole problem.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geogroup.group._model import Model, quiet_highs

__all__ = ["GroupBound", "Proof"]

_TOL = 1e-9
_MAX_ENUMERATED = 400_000
_PRICING_ROOM = 20_000  # groups of negative reduced cost listed per lead when pricing, at most
_PER_LEAD = 5
_HEAD = 14  # the cheapest members whose groups give pricing its first limit
_MAX_COMBOS = 60_000  # member sets of one size looked at per lead when pricing, at most
_MAX_LISTED = 6_000_000  # ... and when listing the groups for a proof
_CHUNK = 200_000  # of which the lowest are added  # groups listed for a proof, at most
ENUMERABLE_MEMBERS = 3  # the most members a group may have for its groups to be listed


@dataclass
class Proof:
    """What the group model found: its best bound, the best grouping among its groups (the
    lead of every school, or None), that grouping's objective, and whether that grouping
    was proven optimal (``bound`` is then HiGHS's bound over every group that could be in
    a better one)."""

    bound: float
    lead: NDArray[np.int64] | None = None
    objective: float = math.inf
    proven: bool = False


class GroupBound:
    """Column generation on the group model of ``model`` (a full or sparse pair model);
    ``excluded``: pair columns held at 0 (priced out by a known grouping's objective: the
    bound then holds for every grouping better than it); ``duals``: row duals of the pair
    relaxation, the starting multipliers."""

    def __init__(
        self,
        model: Model,
        duals: NDArray[np.float64],
        excluded: NDArray[np.int64] | None = None,
    ) -> None:
        self.m = model
        self.lp = lp = model._lp()
        n_cols = lp.num_col_
        a = sp.csc_matrix(
            (lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_),
            shape=(lp.num_row_, n_cols),
        ).tocsr()
        self.cost = np.asarray(lp.col_cost_)
        self.lower = np.asarray(lp.col_lower_)
        self.row_lo, self.row_hi = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
        n_pairs, n_active = model.n_pairs, len(model.active)
        owner = np.concatenate([model.lead_c, np.arange(len(model.pool))])  # lead of each column
        own = model._own_col()
        self.own = own
        is_y = np.zeros(n_cols, dtype=bool)
        is_y[own[own >= 0]] = True
        # the row "school i in exactly one group" of each pair column
        row_of = np.full(model.p.n, -1, dtype=np.int64)
        row_of[model.active] = np.arange(n_active)
        self.school_row = row_of[model.pair_i]
        self.n_active = n_active
        free = np.ones(n_pairs, dtype=bool)
        if excluded is not None:
            free[excluded] = False
        self.free = free
        per_lead: list[list[int]] = [[] for _ in model.pool]
        global_rows: list[int] = []
        for r in range(n_active, lp.num_row_):
            cols = a.indices[a.indptr[r] : a.indptr[r + 1]]
            vals = a.data[a.indptr[r] : a.indptr[r + 1]]
            leads = np.unique(owner[cols])
            if len(leads) == 1:
                if not _is_link(cols, vals, is_y, self.row_hi[r]):
                    per_lead[int(leads[0])].append(r)
            elif is_y[cols].all():
                global_rows.append(r)
            else:
                raise ValueError(f"row {r} of the pair model ties several leads' members")
        self.a = a
        self.global_rows = np.array(global_rows, dtype=np.int64)
        self.g = a[self.global_rows] if len(global_rows) else None
        self.e_col = n_pairs + np.arange(len(model.pool))
        self.leads = [c for c in range(len(model.pool)) if own[c] >= 0]
        self._pricing = {c: _Pricing(self, c, per_lead[c]) for c in self.leads}
        self.pi, self.nu = self._signed(duals)
        self.columns: dict[tuple[int, ...], float] = {}  # x columns of a group -> its cost
        self.best = -math.inf
        self.best_pi, self.best_nu = self.pi, self.nu
        self.lowest: dict[int, float] = {}  # each lead's lowest reduced cost at the best

    # -- multipliers ---------------------------------------------------------------------
    def _signed(self, duals: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        """π from the school rows; ν from the global rows, each with the sign its bound
        allows (a row without a lower bound cannot have a positive multiplier)."""
        duals = np.asarray(duals, dtype=float)
        pi = duals[: self.n_active].copy()
        nu = duals[self.global_rows].copy() if len(self.global_rows) else np.zeros(0)
        lo, hi = self.row_lo[self.global_rows], self.row_hi[self.global_rows]
        nu = np.where(np.isfinite(lo), nu, np.minimum(nu, 0.0))
        nu = np.where(np.isfinite(hi), nu, np.maximum(nu, 0.0))
        return pi, nu

    def _y_price(self, nu: NDArray[np.float64]) -> NDArray[np.float64]:
        """Σ_r ν_r·A[r, y_j] of each column (nonzero on the y columns only)."""
        out = np.zeros(len(self.cost))
        if self.g is not None and len(nu):
            out = np.asarray(self.g.T @ nu).ravel()
        return out

    def lagrangian(self, pi, nu, deadline: float) -> tuple[float, dict[int, float], list]:
        """L(π, ν), each lead's lowest reduced cost (HiGHS's bound on it), and the groups of
        negative reduced cost found on the way."""
        lo, hi = self.row_lo[self.global_rows], self.row_hi[self.global_rows]
        side = np.where(nu > 0, lo, hi)  # the bound each multiplier prices
        total = float(pi.sum()) + float(np.sum(nu[nu != 0] * side[nu != 0]))
        reduced = self._reduced(pi, nu)
        lowest, found = {}, []
        for c in self.leads:
            bound, groups = self._pricing[c].solve(reduced, deadline)
            if bound is None:
                return -math.inf, {}, found
            lowest[c] = bound
            forced = self.lower[self.own[c]] >= 1.0
            total += bound if forced else min(0.0, bound)
            found += groups
        return total, lowest, found

    # -- column generation ---------------------------------------------------------------
    def run(
        self, deadline: float, start: NDArray[np.int64] | None = None, target: float = -math.inf
    ) -> float:
        """Column generation until the master's value meets the best bound (to 1e-6), the
        bound reaches ``target``, or the deadline; returns the best bound found. Between
        exact rounds (every lead priced exactly: a bound) the groups of small policies are
        priced among each lead's cheapest members only, which is fast and finds most."""
        if start is not None:
            for cols in self._groups_of(start):
                self.add(cols)
        master = _Master(self)
        pi, nu = self.pi, self.nu
        exact = True
        while time.perf_counter() < deadline:
            if exact:
                bound, lowest, found = self.lagrangian(pi, nu, deadline)
                if bound > self.best:
                    self.best, self.best_pi, self.best_nu, self.lowest = bound, pi, nu, lowest
            else:
                found = self._cheap(pi, nu)
            added = sum(self.add(cols) for cols in found)
            if self.best >= target > -math.inf or (exact and not added):
                break  # (no group prices below 0: the master's value is the bound)
            value, pi, nu = master.solve(self)
            if value is None or value - self.best <= 1e-6 * max(1.0, abs(value)):
                break
            exact = not self._small or (not exact and not added)
        return self.best

    @property
    def _small(self) -> bool:
        return self.m.p.policy.members[1] <= ENUMERABLE_MEMBERS

    def _cheap(self, pi, nu) -> list[tuple[int, ...]]:
        """Groups of negative reduced cost among each lead's cheapest members."""
        reduced = self._reduced(pi, nu)
        found: list[tuple[int, ...]] = []
        for c in self.leads:
            pricing = self._pricing[c]
            order = np.argsort(reduced[pricing.members], kind="stable")[:_HEAD]
            listed = pricing._head(reduced, order, -_TOL, top=_PER_LEAD)
            if listed is not None:
                found += listed[0]
        return found

    def _reduced(self, pi, nu) -> NDArray[np.float64]:
        reduced = self.cost.copy()
        pairs = len(self.school_row)
        reduced[:pairs] -= pi[self.school_row] + self._y_price(nu)[:pairs]
        return reduced

    def add(self, cols: tuple[int, ...]) -> bool:
        if cols in self.columns:
            return False
        self.columns[cols] = self.group_cost(np.array(cols))
        return True

    def group_cost(self, cols: NDArray[np.int64]) -> float:
        """The objective's part of one group: its pairs' costs and its balance."""
        c = int(self.m.lead_c[cols[0]])
        return float(self.cost[cols].sum()) + self.cost[self.e_col[c]] * self._pricing[c].e_min(
            cols
        )

    def _groups_of(self, lead: NDArray[np.int64]) -> list[tuple[int, ...]]:
        m = self.m
        x = lead[m.pair_i] == m.pair_j
        out = []
        for c in np.unique(m.lead_c[x]):
            cols = np.flatnonzero(x & (m.lead_c == c))
            out.append(tuple(int(v) for v in cols))
        return out

    # -- plans from the groups -------------------------------------------------------------
    def choose(
        self, deadline: float, columns: list[tuple[int, ...]] | None = None, mip_gap: float = 0.0
    ) -> tuple[NDArray[np.int64] | None, float, float | None, bool]:
        """The best grouping made of ``columns`` (default: the groups generated), by HiGHS:
        (the lead of every school or None, its objective, HiGHS's bound, proven)."""
        cols = list(self.columns) if columns is None else columns
        h = _Master(self, cols, integer=True).h
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:
            return None, math.inf, None, False
        chosen = np.asarray(h.getSolution().col_value) > 0.5
        m = self.m
        lead = np.full(m.p.n, -1, dtype=np.int64)
        for k in np.flatnonzero(chosen):
            group = np.array(cols[k])
            lead[m.pair_i[group]] = m.pair_j[group]
        proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        bound = float(info.mip_dual_bound)
        return lead, float(info.objective_function_value), bound, proven

    def enumerate(self, upper: float, deadline: float) -> list[tuple[int, ...]] | None:
        """Every group that a grouping of objective at most ``upper`` may use, by the best
        multipliers' reduced costs; None when there would be too many (or time ran out)."""
        if self.best == -math.inf:
            return None
        slack = upper - self.best + 1e-7 * max(1.0, abs(upper))  # rounding, to be safe
        reduced = self._reduced(self.best_pi, self.best_nu)
        out: list[tuple[int, ...]] = []
        for c in self.leads:
            limit = min(0.0, self.lowest.get(c, 0.0)) + slack
            listed = self._pricing[c].enumerate(reduced, limit, _MAX_ENUMERATED - len(out))
            if listed is None or time.perf_counter() > deadline:
                return None
            out += listed[0]
        return out


def _is_link(cols, vals, is_y, upper) -> bool:
    """Whether a row is ``x[i, j] − y_j <= 0`` (trivial once j leads)."""
    return (
        len(cols) == 2
        and upper == 0.0
        and sorted(vals) == [-1.0, 1.0]
        and bool(is_y[cols[vals < 0]].all())
    )


class _Pricing:
    """The group of lead ``c`` of lowest reduced cost: a MIP over its pairs (its y held at
    1) and its balance variable, with the pair model's rows for that lead."""

    def __init__(self, gb: GroupBound, c: int, rows: list[int]) -> None:
        m = gb.m
        self.y = int(gb.own[c])
        pairs = np.flatnonzero((m.lead_c == c) & gb.free)
        self.members = pairs[pairs != self.y]
        self.cols = np.concatenate([[self.y], self.members, [gb.e_col[c]]]).astype(np.int64)
        sub = gb.a[rows][:, self.cols].tocsc() if rows else sp.csc_matrix((0, len(self.cols)))
        self.sub = sub.tocsr()
        self.lo, self.hi = gb.row_lo[rows], gb.row_hi[rows]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cols), len(rows)
        lp.col_cost_ = np.zeros(len(self.cols))
        lower = gb.lower[self.cols].copy()
        upper = np.ones(len(self.cols))
        lower[0] = upper[0] = 1.0
        upper[-1] = np.inf
        lp.col_lower_, lp.col_upper_ = lower, upper
        lp.row_lower_, lp.row_upper_ = self.lo, self.hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = sub.indptr
        lp.a_matrix_.index_ = sub.indices
        lp.a_matrix_.value_ = sub.data
        lp.integrality_ = [highspy.HighsVarType.kInteger] * (len(self.cols) - 1) + [
            highspy.HighsVarType.kContinuous
        ]
        h = quiet_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-9)
        h.setOptionValue("random_seed", 0)
        h.passModel(lp)
        self.h = h
        self.e_cost = float(gb.cost[self.cols[-1]])
        # the balance rows: e >= ±Σ a·x, read as e_min = max(0, max_rows Σ a·x)
        e_coef = self.sub[:, -1].toarray().ravel()
        self.balance = np.flatnonzero((e_coef == -1.0) & (self.hi == 0.0))
        self.position = {int(col): k for k, col in enumerate(self.cols[:-1])}
        self.forced = np.zeros(len(self.cols) - 1, dtype=bool)  # by position
        self.forced[1:] = gb.lower[self.members] >= 1.0
        self.forced_lead = bool(gb.lower[self.y] >= 1.0)
        self.small = m.p.policy.members[1] <= ENUMERABLE_MEMBERS

    def solve(self, reduced: NDArray[np.float64], deadline: float):
        """(A bound on the lowest reduced cost, below 0 only when exact, and the groups of
        negative reduced cost found, the best first), or (None, []) when the deadline
        passed. Small groups are listed (every group of reduced cost below 0), larger ones
        priced by HiGHS (its bound, its group)."""
        left = deadline - time.perf_counter()
        if left <= 0:
            return None, []
        if self.small and not self.forced_lead:
            listed = self.enumerate(reduced, -_TOL, _PRICING_ROOM, least=True, top=_PER_LEAD)
            if listed is not None:
                groups, rc = listed
                if not len(groups):
                    return -_TOL, []  # none below -_TOL: the least is at least that
                return float(rc[0]), groups
        costs = np.concatenate([reduced[self.cols[:-1]], [self.e_cost]])
        self.h.changeColsCost(len(self.cols), np.arange(len(self.cols), dtype=np.int32), costs)
        self.h.setOptionValue("time_limit", left)
        self.h.run()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return math.inf, []
        info = self.h.getInfo()
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound):
            return None, []
        if info.primal_solution_status == 2 and info.objective_function_value < -_TOL:
            x = np.asarray(self.h.getSolution().col_value)[:-1] > 0.5
            return bound, [tuple(sorted(int(v) for v in self.cols[:-1][x]))]
        return bound, []

    def e_min(self, cols: NDArray[np.int64]) -> float:
        """The least balance variable the lead's rows allow for the group ``cols``."""
        if not len(self.balance):
            return 0.0
        x = np.zeros(len(self.cols) - 1)
        x[[self.position[int(v)] for v in cols]] = 1.0
        activity = self.sub[self.balance][:, :-1] @ x
        return max(0.0, float(np.max(activity - self.hi[self.balance])))

    def enumerate(self, reduced, limit: float, room: int, *, least: bool = False, top=None):
        """Every group of this lead (up to ``ENUMERABLE_MEMBERS`` members) whose reduced
        cost is at most ``limit`` and that keeps the lead's rows, and their reduced costs
        (None past ``room`` groups). ``least``: the limit falls, size after size, to the
        lowest reduced cost found (the groups then include one of least reduced cost), from
        the least among the ``_HEAD`` cheapest members; ``top``: only that many groups, the
        lowest first."""
        base = float(reduced[self.y])
        c = reduced[self.members]
        order = np.argsort(c, kind="stable")
        cs = c[order]
        members = self.members[order]
        if least and top is None and len(cs) > _HEAD:
            head = self._head(reduced, order[:_HEAD], limit)
            if head is not None and len(head[1]):
                limit = min(limit, float(head[1].min()))
        found: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []
        dense = self.sub.toarray()
        pos = np.array([self.position[int(v)] for v in members], dtype=np.int64)
        count = 0
        for size in self._sizes(len(cs), least):
            # a group of `size` members all among the first k: the cheapest others fill it
            rest = cs[: max(size - 1, 0)].sum()
            k = int(np.searchsorted(cs, limit - base - rest, side="right")) if size else 0
            if size and k < size:
                continue
            if math.comb(k, size) > (_MAX_COMBOS if least else _MAX_LISTED):
                return None
            combos_all = itertools.combinations(range(k), size)
            while True:
                chunk = list(itertools.islice(combos_all, _CHUNK))
                if not chunk:
                    break
                combos = np.array(chunk, dtype=np.int64).reshape(len(chunk), size)
                ok, rc = self._keeps(dense, pos[combos], base + cs[combos].sum(axis=1))
                ok &= rc <= limit
                count += int(ok.sum())
                if count > room:
                    return None
                if ok.any():
                    found.append((members[combos[ok]], rc[ok]))
                    if least:
                        limit = min(limit, float(rc[ok].min()))
                if size == 0:
                    break
        costs = np.concatenate([rc for _, rc in found]) if found else np.zeros(0)
        rows = [row for chosen, _ in found for row in chosen]
        keep = np.argsort(costs, kind="stable")[:top] if top is not None else range(len(rows))
        groups = [tuple(sorted([self.y, *rows[k].tolist()])) for k in keep]
        return groups, costs[np.asarray(list(keep), dtype=np.int64)]

    def _head(self, reduced, head, limit, top=1):
        """The groups among the members at positions ``head`` only (a first limit)."""
        kept = self.members
        self.members = kept[np.sort(head)]
        try:
            return self.enumerate(reduced, limit, _PRICING_ROOM, least=True, top=top)
        finally:
            self.members = kept

    def _keeps(self, dense, pick, rc):
        """Which member sets (positions ``pick``, one row each) keep the lead's rows, and
        their reduced costs: ``rc`` (without balance) plus the balance they make."""
        act = dense[:, 0][None, :] + dense[:, pick].sum(axis=2).T
        e = np.zeros(len(pick))
        if len(self.balance):
            e = np.maximum(0.0, (act[:, self.balance] - self.hi[self.balance]).max(axis=1))
        act = act + e[:, None] * dense[:, -1][None, :]
        ok = ((act >= self.lo - 1e-7) & (act <= self.hi + 1e-7)).all(axis=1)
        forced = np.flatnonzero(self.forced)
        if len(forced):  # a school locked to this lead is in each of its groups
            ok &= np.isin(pick, forced).sum(axis=1) == len(forced)
        return ok, rc + self.e_cost * e

    @staticmethod
    def _sizes(n: int, least: bool) -> list[int]:
        """Member counts to list: all, or (for the least) the largest first, whose cheapest
        groups usually lower the limit most."""
        sizes = list(range(0, min(ENUMERABLE_MEMBERS, n) + 1))
        return sizes[::-1] if least else sizes


class _Master:
    """The restricted master: the groups in ``gb.columns`` (or ``cols``), every school in
    exactly one, the global rows; an LP (its duals price new groups) or a MIP."""

    def __init__(self, gb: GroupBound, cols=None, integer: bool = False) -> None:
        self.cols = list(gb.columns) if cols is None else cols
        self.h = _master_highs(gb, self.cols, integer)

    def solve(self, gb: GroupBound):
        new = [c for c in gb.columns if c not in self._known()]
        if new:
            a = _column_matrix(gb, new)
            costs = np.array([gb.columns[c] for c in new])
            self.h.addCols(
                len(new), costs, np.zeros(len(new)), np.full(len(new), np.inf),
                a.nnz, a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data,
            )  # fmt: skip
            self.cols += new
            self._seen = None
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, gb.pi, gb.nu
        duals = np.asarray(self.h.getSolution().row_dual)
        pi = duals[: gb.n_active]
        nu = duals[gb.n_active :]
        lo, hi = gb.row_lo[gb.global_rows], gb.row_hi[gb.global_rows]
        nu = np.where(np.isfinite(lo), nu, np.minimum(nu, 0.0))
        nu = np.where(np.isfinite(hi), nu, np.maximum(nu, 0.0))
        return float(self.h.getInfo().objective_function_value), pi, nu

    _seen: set | None = None

    def _known(self) -> set:
        if self._seen is None:
            self._seen = set(self.cols)
        return self._seen


def _column_matrix(gb: GroupBound, cols: list[tuple[int, ...]]) -> sp.csc_matrix:
    """Rows: the schools (exactly one group), then the global rows (a group counts as its
    lead's y column)."""
    rows, where, vals = [], [], []
    g = gb.g.tocsc() if gb.g is not None else None
    for k, group in enumerate(cols):
        group = np.asarray(group)
        r = gb.school_row[group]
        rows.append(r)
        where.append(np.full(len(r), k))
        vals.append(np.ones(len(r)))
        if g is not None:
            y = group[gb.m.pair_i[group] == gb.m.pair_j[group]][0]
            col = g[:, y]
            rows.append(col.indices + gb.n_active)
            where.append(np.full(col.nnz, k))
            vals.append(col.data)
    n_rows = gb.n_active + len(gb.global_rows)
    return sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(where))),
        shape=(n_rows, len(cols)),
    )


def _master_highs(gb: GroupBound, cols, integer: bool) -> highspy.Highs:
    a = _column_matrix(gb, cols)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.array([gb.columns.get(c, None) or gb.group_cost(np.array(c)) for c in cols])
    lp.col_lower_ = np.zeros(len(cols))
    lp.col_upper_ = np.full(len(cols), 1.0 if integer else np.inf)
    lp.row_lower_ = np.concatenate([np.ones(gb.n_active), gb.row_lo[gb.global_rows]])
    lp.row_upper_ = np.concatenate([np.ones(gb.n_active), gb.row_hi[gb.global_rows]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cols)
    h = quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    return h


def prove(
    model: Model,
    start: NDArray[np.int64],
    upper: float,
    excluded: NDArray[np.int64],
    deadline: float,
    mip_gap: float,
) -> Proof | None:
    """The group model's bound on the pair model ``model`` (its relaxation solved by
    :meth:`Model.priced_out` at the objective ``upper`` of ``start``, whose priced-out pair
    columns are ``excluded``) and, when it can, a proven optimum: the bound first (the start
    is optimal if the bound meets it), then the best plan of the groups generated, then for
    small groups every group a better plan may use, chosen among by HiGHS. None when the
    model has rows the group model does not take."""
    try:
        gb = GroupBound(model, model.relaxation_duals, excluded)
    except ValueError:
        return None
    now = time.perf_counter()
    target = upper - mip_gap * abs(upper)
    bound = gb.run(now + _BOUND_SHARE * (deadline - now), start, target=target)
    proof = Proof(bound=min(bound, upper), lead=start, objective=upper)
    if bound >= target:
        proof.proven = True
        return proof
    now = time.perf_counter()
    lead, objective, _, _ = gb.choose(now + _CHOOSE_SHARE * (deadline - now))
    if lead is not None and objective < upper:
        proof.lead, proof.objective = lead, objective
    if not gb._small:
        return proof
    listed = gb.enumerate(proof.objective, deadline)
    if listed is None:
        return proof
    listed = list(dict.fromkeys([*listed, *gb._groups_of(proof.lead)]))
    lead, objective, found_bound, solved = gb.choose(deadline, listed, mip_gap=mip_gap)
    if lead is not None and objective <= proof.objective:
        proof.lead, proof.objective = lead, objective
    if solved and found_bound is not None:
        # a plan outside the list costs more than the objective the list was made for
        proof.bound = min(found_bound, proof.objective)
        proof.proven = True
    return proof


_BOUND_SHARE = 0.5  # of the time left, at most, for the bound
_CHOOSE_SHARE = 0.25  # of the time then left, at most, for the best plan of the groups made
