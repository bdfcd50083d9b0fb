"""The LP relaxation of the grouping model, for the ``fast`` method to round."""

from __future__ import annotations

import math
import time

import highspy
import numpy as np
from numpy.typing import NDArray

from geogroup.errors import InfeasibleError
from geogroup.group._model import Model, quiet_highs
from geogroup.group._problem import Problem

__all__ = ["Relaxation"]


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
