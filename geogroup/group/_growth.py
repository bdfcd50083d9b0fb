"""The districts of one unit while they grow (the ``districts`` method's state)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from numpy.typing import NDArray

from geogroup.errors import InfeasibleError
from geogroup.group._problem import Problem

__all__ = ["Growth"]


class Growth:
    """The districts of one unit while they grow: members, quality sums, rural/weak counts."""

    def __init__(
        self,
        problem: Problem,
        adj: list[list[int]],
        leads: NDArray[np.int64],
        deadline: float = math.inf,
    ) -> None:
        p = problem
        self.p = p
        self.deadline = deadline  # repairs stop searching after it
        self.adj = adj
        self.lo, self.hi = p.policy.members
        self.cap = p.cap_m() / 1000.0
        self._km = p.scalar_km()
        self.w = p.policy.balance_weight
        self.x, self.y = p.xy[:, 0].tolist(), p.xy[:, 1].tolist()
        self.z = p.z.tolist()
        self.rural_flag = p.rural.tolist()
        self.urban_flag = p.urban.tolist()
        self.weak_flag = p.weak.tolist()
        self.fixed = ((p.locked_to >= 0) | p.must_lead).tolist()
        self.prev = None if p.previous_lead is None else p.previous_lead.tolist()
        self.need_rural = p.policy.pair_urban_rural
        self.need_weak = p.policy.min_weak_per_group
        self.zone = np.full(p.n, -1, dtype=np.int64)
        self.members: dict[int, set[int]] = {}
        self.zsum: dict[int, float] = {}
        self.rural: dict[int, int] = {}
        self.weak: dict[int, int] = {}
        self.opened: set[int] = set()  # leads of districts opened for stranded schools
        for h in leads.tolist():
            self.zone[h] = h
            self.members[h] = {h}
            self.zsum[h] = self.z[h]
            self.rural[h] = self.weak[h] = 0

    # -- measures ----------------------------------------------------------------------
    def dist(self, i: int, h: int) -> float:
        return self._km(i, h)

    def reach(self, i: int, h: int) -> bool:
        return self.dist(i, h) <= self.cap

    def price(self, i: int, h: int) -> float:
        """Distance plus move cost of school i as a member of district h (km)."""
        d = self.dist(i, h)
        if self.prev is not None and self.prev[i] >= 0 and self.prev[i] != h:
            d += self.p.policy.move_cost
        return d

    def n_members(self, h: int) -> int:
        return len(self.members[h]) - 1

    def room(self, h: int) -> int:
        return self.hi - self.n_members(h)

    def movable(self, i: int) -> bool:
        return not self.fixed[i] and self.zone[i] != i

    def short(self, h: int, add: int = -1, remove: int = -1) -> int:
        """Rural and weak schools district h lacks (after adding / removing one member)."""
        out = 0
        if self.need_rural and self.urban_flag[h]:
            n = (
                self.rural[h]
                + (add >= 0 and self.rural_flag[add])
                - (remove >= 0 and self.rural_flag[remove])
            )
            out += max(0, 1 - n)
        if self.need_weak:
            n = (
                self.weak[h]
                + (add >= 0 and self.weak_flag[add])
                - (remove >= 0 and self.weak_flag[remove])
            )
            out += max(0, self.need_weak - n)
        return out

    def keeps_mix(self, h: int, add: int = -1, remove: int = -1) -> bool:
        return self.short(h, add, remove) <= self.short(h)

    def fills_gap(self, i: int, h: int) -> bool:
        return self.short(h, add=i) < self.short(h)

    def balance_delta(self, h: int, dz: float) -> float:
        s = self.zsum[h]
        return self.w * (abs(s + dz) - abs(s))

    def connected(self, h: int, add: int = -1, remove: int = -1) -> bool:
        """Whether district h, with ``add`` in and ``remove`` out, is connected in the graph."""
        target = len(self.members[h]) + (add >= 0) - (remove >= 0)
        zone, adj = self.zone, self.adj
        seen = {h}
        stack = [h]
        while stack:
            for y in adj[stack.pop()]:
                if y not in seen and y != remove and (y == add or zone[y] == h):
                    seen.add(y)
                    stack.append(y)
        return len(seen) == target

    def zones_next_to(self, i: int) -> list[int]:
        own = self.zone[i]
        return sorted({int(self.zone[y]) for y in self.adj[i]} - {-1, int(own)})

    # -- changes -----------------------------------------------------------------------
    def add(self, i: int, h: int) -> None:
        self.zone[i] = h
        self.members[h].add(i)
        self.zsum[h] += self.z[i]
        self.rural[h] += self.rural_flag[i]
        self.weak[h] += self.weak_flag[i]

    def remove(self, i: int) -> None:
        h = int(self.zone[i])
        self.zone[i] = -1
        self.members[h].discard(i)
        self.zsum[h] -= self.z[i]
        self.rural[h] -= self.rural_flag[i]
        self.weak[h] -= self.weak_flag[i]

    def transfer(self, i: int, h: int) -> None:
        if self.zone[i] >= 0:
            self.remove(i)
        self.add(i, h)

    def dissolve(self, h: int) -> None:
        for i in sorted(self.members[h] - {h}):
            self.remove(i)
        self.zone[h] = -1
        for table in (self.members, self.zsum, self.rural, self.weak):
            del table[h]

    def relead(self, h: int, c: int) -> None:
        """Make member c the lead of district h (same schools)."""
        schools = self.members.pop(h)
        self.zone[list(schools)] = c
        self.members[c] = schools
        self.zsum[c] = self.zsum.pop(h)
        self.rural[c] = sum(self.rural_flag[i] for i in schools if i != c)
        self.weak[c] = sum(self.weak_flag[i] for i in schools if i != c)
        del self.rural[h], self.weak[h]

    # -- growth ------------------------------------------------------------------------
    def seed_locked(self) -> None:
        """Locked schools join their lead, with a graph path that keeps the district whole."""
        locked = np.flatnonzero((self.p.locked_to >= 0) & self.p.active)
        for i in locked.tolist():
            h = int(self.p.locked_to[i])
            if i == h:
                continue
            if not self.reach(i, h):
                raise InfeasibleError(
                    f"locked school {self.p.ids[i]} is {self.dist(i, h):.1f} km from the lead of its "
                    f"fixed group, {self.p.ids[h]}, beyond max_distance_km = {self.cap:g} km; unlock "
                    "it or raise 'max_distance_km'"
                )
            self.add(i, h)
        for h in sorted({int(self.p.locked_to[i]) for i in locked.tolist()}):
            self._join_up(h)
            if self.n_members(h) > self.hi:
                raise InfeasibleError(
                    f"the locked group of lead {self.p.ids[h]} needs {self.n_members(h)} members "
                    f"to be contiguous, more than the maximum {self.hi} of 'members'; raise the "
                    "maximum or unlock schools"
                )

    def _join_up(self, h: int) -> None:
        """Add the free schools on shortest paths from lead h to its locked members."""
        while True:
            reached = self._component(h)
            apart = sorted(self.members[h] - reached)
            if not apart:
                return
            path = self._path(reached, set(apart), h)
            if not path:
                raise InfeasibleError(
                    f"locked school {self.p.ids[apart[0]]} cannot be joined to its lead "
                    f"{self.p.ids[h]} by a chain of neighbouring schools within "
                    f"max_distance_km = {self.cap:g} km; unlock it or raise 'max_distance_km'"
                )
            for i in path:
                self.add(i, h)

    def _component(self, h: int) -> set[int]:
        seen, stack = {h}, [h]
        while stack:
            for y in self.adj[stack.pop()]:
                if y not in seen and self.zone[y] == h:
                    seen.add(y)
                    stack.append(y)
        return seen

    def _path(self, sources: set[int], targets: set[int], h: int) -> list[int] | None:
        """Free schools on a shortest path (in edges) from ``sources`` to any target."""
        parent: dict[int, int] = {s: -1 for s in sources}
        queue = deque(sorted(sources))
        while queue:
            x = queue.popleft()
            for y in self.adj[x]:
                if y in parent:
                    continue
                if y in targets:
                    path = []
                    while x not in sources:
                        path.append(x)
                        x = parent[x]
                    return path
                if self.zone[y] < 0 and self.p.active[y] and self.reach(y, h):
                    parent[y] = x
                    queue.append(y)
        return None

    def grow(self) -> None:
        """Add neighbours one at a time: districts below the minimum first, then the cheapest."""
        frontier: dict[int, set[int]] = {h: set() for h in self.members}
        for h, schools in self.members.items():
            for i in schools:
                self._extend(frontier[h], i, h)
        best = {h: self._best(frontier[h], h) for h in frontier}
        while True:
            h = self._next_district(best)
            if h is None:
                return
            i = best[h][2]
            self.add(i, h)
            stale = {h}
            for h2 in {int(self.zone[y]) for y in self.adj[i]} - {-1}:
                frontier[h2].discard(i)
                if best[h2] is not None and best[h2][2] == i:
                    stale.add(h2)
            self._extend(frontier[h], i, h)
            for h2 in stale:
                best[h2] = self._best(frontier[h2], h2)

    def _extend(self, front: set[int], i: int, h: int) -> None:
        for y in self.adj[i]:
            if self.zone[y] < 0 and self.reach(y, h):
                front.add(y)

    def _best(self, front: set[int], h: int) -> tuple[int, float, int] | None:
        if self.room(h) <= 0 or not front:
            return None
        # Filling a missing rural or weak place comes before cost.
        return min(
            (
                0 if self.fills_gap(i, h) else 1,
                self.price(i, h) + self.balance_delta(h, self.z[i]),
                i,
            )
            for i in front
        )

    def _next_district(self, best: dict[int, tuple | None]) -> int | None:
        open_ = [h for h, b in best.items() if b is not None]
        if not open_:
            return None
        needy = [h for h in open_ if self.n_members(h) < self.lo]
        if needy:
            return min(needy, key=lambda h: (self.n_members(h), best[h], h))
        return min(open_, key=lambda h: (best[h], h))
