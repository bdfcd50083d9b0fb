"""Repairs and local search of the districts: chains of boundary moves, dissolving and
opening districts, moves and swaps that keep every district contiguous."""

from __future__ import annotations

import math
import time
from collections import deque

import networkx as nx
import numpy as np

from geogroup.errors import InfeasibleError
from geogroup.group._growth import Growth

__all__ = ["Districts", "settle", "settle_mix"]

_EPS = 1e-9  # km: smaller gains are rounding
_CHAIN_STATES = 5_000  # search budget of one repair chain
_CHAIN_VISITS = 2  # times one repair chain search may reach a district
_SHOWN = 10


def _shown(items: list) -> str:
    return ", ".join(map(str, items[:_SHOWN])) + (
        f" … and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    )


class Districts(Growth):
    """The districts of one unit, with the repairs and the local search."""

    # -- repair ------------------------------------------------------------------------
    def insert_by_chain(self, u: int) -> bool:
        """Place school u: into a neighbouring district, which may pass a school on, and so on.

        Breadth-first over (district, school it receives), so the shortest chain wins; a chain
        visits a district once.
        """
        parent: dict[tuple[int, int], tuple[int, int] | None] = {}
        visits: dict[int, int] = {}  # states per district: a few, so a search stays cheap
        queue: deque[tuple[int, int]] = deque()
        for h in self.zones_next_to(u):
            if self.reach(u, h):
                parent[h, u] = None
                queue.append((h, u))
        while queue and len(parent) < _CHAIN_STATES:
            h, incoming = node = queue.popleft()
            if self.room(h) > 0:
                self._apply_chain(parent, node)
                return True
            on_chain = self._chain_zones(parent, node)
            for b in sorted(self.members[h]):
                nxt = [
                    (h2, b)
                    for h2 in self.zones_next_to(b)
                    if h2 not in on_chain
                    and visits.get(h2, 0) < _CHAIN_VISITS
                    and (h2, b) not in parent
                    and self.reach(b, h2)
                ]
                if not nxt or not self.movable(b):
                    continue
                if self.keeps_mix(h, incoming, b) and self.connected(h, incoming, b):
                    for state in nxt:
                        parent[state] = node
                        visits[state[0]] = visits.get(state[0], 0) + 1
                        queue.append(state)
        return False

    @staticmethod
    def _chain_zones(parent: dict, node: tuple[int, int] | None) -> set[int]:
        zones = set()
        while node is not None:
            zones.add(node[0])
            node = parent[node]
        return zones

    def _apply_chain(self, parent: dict, node: tuple[int, int] | None) -> None:
        """Each district of the chain receives its school (taken from the next one up)."""
        while node is not None:
            h, school = node
            self.transfer(school, h)
            node = parent[node]

    def pull_by_chain(self, y: int) -> bool:
        """Give district y one more member, taken from a neighbour that can spare one, which
        may take a replacement from its own neighbour, and so on."""
        parent: dict[tuple[int, int], tuple[int, int] | None] = {
            (y, -1): None
        }  # (district, school it gives)
        queue: deque[tuple[int, int]] = deque([(y, -1)])
        visits: dict[int, int] = {}
        while queue and len(parent) < _CHAIN_STATES:
            h, out = node = queue.popleft()
            on_chain = self._chain_zones(parent, node)
            for b in self._pull_candidates(h, out):
                h2 = int(self.zone[b])
                if h2 in on_chain or (h2, b) in parent or visits.get(h2, 0) >= _CHAIN_VISITS:
                    continue
                if not (self.keeps_mix(h, b, out) and self.connected(h, b, out)):
                    continue
                parent[h2, b] = node
                visits[h2] = visits.get(h2, 0) + 1
                if self._can_spare(h2, b):
                    self._apply_pull(parent, (h2, b))
                    return True
                queue.append((h2, b))
        return False

    def _pull_candidates(self, h: int, out: int) -> list[int]:
        found = {
            b
            for i in self.members[h]
            if i != out
            for b in self.adj[i]
            if self.zone[b] >= 0 and self.zone[b] != h and self.movable(b) and self.reach(b, h)
        }
        return sorted(found)

    def _can_spare(self, h: int, b: int) -> bool:
        return (
            self.n_members(h) - 1 >= self.lo
            and self.keeps_mix(h, remove=b)
            and self.connected(h, remove=b)
        )

    def _apply_pull(self, parent: dict, node: tuple[int, int]) -> None:
        """Each district of the chain gives its school to the one below it."""
        while parent[node] is not None:
            receiver = parent[node][0]
            self.transfer(node[1], receiver)
            node = parent[node]

    def open_near(self, left: list[int]) -> bool:
        """Open a district led by the lead candidate nearest (in graph steps) to schools that
        no district can take; False when the policy allows no more districts."""
        p = self.p
        flexible = p.policy.n_groups is None and p.policy.lead_rule[0] != "ids"
        if not flexible or len(self.members) >= p.n_groups_range[1]:
            return False
        # Within `hi` steps only: a district led from farther could not take the school.
        depth = dict.fromkeys(left, 0)
        queue = deque(sorted(left))
        while queue:
            c = queue.popleft()
            if p.may_lead[c] and c not in self.opened and self._free_to_lead(c):
                if self.zone[c] >= 0:
                    self.remove(c)
                self.zone[c] = c
                self.members[c] = {c}
                self.zsum[c] = self.z[c]
                self.rural[c] = self.weak[c] = 0
                self.opened.add(c)  # never twice: a district that failed once would fail again
                return True
            for y in self.adj[c]:
                if y not in depth and p.active[y] and depth[c] < self.hi:
                    depth[y] = depth[c] + 1
                    queue.append(y)
        return False

    def _free_to_lead(self, c: int) -> bool:
        spacing = self.p.policy.min_lead_spacing_km
        if spacing > 0 and any(self.dist(c, o) < spacing for o in self.members):
            return False
        h = int(self.zone[c])
        return h < 0 or (self.movable(c) and self._can_spare(h, c))

    def hops_from_leads(self) -> list[float]:
        """Graph steps from the nearest lead: a district of at most ``hi`` members never
        reaches a school more than ``hi`` steps away, so no chain search is tried for it."""
        hops = [math.inf] * self.p.n
        queue = deque(self.members)
        for h in self.members:
            hops[h] = 0
        while queue:
            x = queue.popleft()
            for y in self.adj[x]:
                if hops[y] == math.inf:
                    hops[y] = hops[x] + 1
                    queue.append(y)
        return hops

    def can_dissolve(self, h: int) -> bool:
        p = self.p
        return (
            p.policy.n_groups is None
            and p.policy.lead_rule[0] != "ids"
            and not p.must_lead[h]
            and not any(self.fixed[i] for i in self.members[h])
            and len(self.members) - 1 >= max(p.n_groups_range[0], 1)
        )

    def repair_mix(self) -> list[int]:
        """Trade boundary schools until every district has its rural and weak schools;
        return the districts that still lack one."""
        # Each trade lowers the total shortage and raises no district's, so this ends.
        while True:
            short = [h for h in sorted(self.members) if self.short(h)]
            if not short or not any([self._fill(h) for h in short]):
                return short

    def _fill(self, h: int) -> bool:
        """Bring a school that district h lacks in from a neighbour (move, or swap for one)."""
        for j in self._pull_candidates(h, -1):
            b = int(self.zone[j])
            if not self.fills_gap(j, h) or not self.keeps_mix(b, remove=j):
                continue
            if self.room(h) > 0 and self._can_spare(b, j):
                self.transfer(j, h)
                return True
            for i in sorted(self.members[h]):
                if self._swappable(i, h, j, b):
                    self.transfer(i, b)
                    self.transfer(j, h)
                    return True
        return False

    def _swappable(self, i: int, a: int, j: int, b: int) -> bool:
        return (
            self.movable(i)
            and self.reach(i, b)
            and self.short(a, j, i) < self.short(a)
            and self.keeps_mix(b, i, j)
            and self.connected(a, j, i)
            and self.connected(b, i, j)
        )

    # -- local search ------------------------------------------------------------------
    def improve(self, rng: np.random.Generator, deadline: float) -> None:
        """Boundary moves and swaps that lower the objective, until none does."""
        for _ in range(50):
            schools = [i for i in np.flatnonzero(self.zone >= 0).tolist() if self.movable(i)]
            improved = False
            for k in rng.permutation(len(schools)).tolist():
                i = schools[k]
                improved |= self._try_move(i) or self._try_swap(i)
            if not improved or time.perf_counter() > deadline:
                return

    def _try_move(self, i: int) -> bool:
        a = int(self.zone[i])
        if self.n_members(a) - 1 < self.lo:
            return False
        z = self.z[i]
        base = self.price(i, a) - self.balance_delta(a, -z)
        for b in self.zones_next_to(i):
            if self.room(b) <= 0 or not self.reach(i, b):
                continue
            gain = base - self.price(i, b) - self.balance_delta(b, z)
            if gain <= _EPS or not self.keeps_mix(a, remove=i):
                continue
            if not self.connected(a, remove=i):
                return False
            self.transfer(i, b)
            return True
        return False

    def _try_swap(self, i: int) -> bool:
        a = int(self.zone[i])
        for b in self.zones_next_to(i):
            if not self.reach(i, b):
                continue
            for j in self._facing(b, a):
                if self._swap_gain(i, a, j, b) > _EPS and self._swap_ok(i, a, j, b):
                    self.transfer(i, b)
                    self.transfer(j, a)
                    return True
        return False

    def _facing(self, b: int, a: int) -> list[int]:
        """Movable members of district b next to district a."""
        return sorted(
            {
                y
                for x in self.members[a]
                for y in self.adj[x]
                if self.zone[y] == b and self.movable(y)
            }
        )

    def _swap_gain(self, i: int, a: int, j: int, b: int) -> float:
        if not self.reach(j, a):
            return -math.inf
        dz = self.z[j] - self.z[i]
        before = self.price(i, a) + self.price(j, b)
        after = self.price(i, b) + self.price(j, a)
        return before - after - self.balance_delta(a, dz) - self.balance_delta(b, -dz)

    def _swap_ok(self, i: int, a: int, j: int, b: int) -> bool:
        return (
            self.keeps_mix(a, j, i)
            and self.keeps_mix(b, i, j)
            and self.connected(a, j, i)
            and self.connected(b, i, j)
        )

    def recentre(self) -> bool:
        """Pass each district's lead to the candidate nearest its schools, where that is cheaper."""
        changed = False
        for h in sorted(self.members):
            if any(self.fixed[i] for i in self.members[h]):
                continue
            c = self._better_lead(h)
            if c is not None:
                self.relead(h, c)
                changed = True
        return changed

    def _better_lead(self, h: int) -> int | None:
        schools = sorted(self.members[h])
        options = [c for c in schools if self.p.may_lead[c] and c != h]
        now = sum(self.price(i, h) for i in schools)
        best, best_cost = None, now - 1e-6
        for c in options:
            cost = sum(self.price(i, c) for i in schools)
            if cost < best_cost and self._lead_ok(h, c, schools):
                best, best_cost = c, cost
        return best

    def _lead_ok(self, h: int, c: int, schools: list[int]) -> bool:
        if not all(self.reach(i, c) for i in schools):
            return False
        spacing = self.p.policy.min_lead_spacing_km
        if spacing > 0 and any(self.dist(c, o) < spacing for o in self.members if o != h):
            return False
        rural = sum(self.rural_flag[i] for i in schools if i != c)
        weak = sum(self.weak_flag[i] for i in schools if i != c)
        return not (
            (self.need_rural and self.urban_flag[c] and rural < 1)
            or (self.need_weak and weak < self.need_weak)
        )


def settle(state: Districts) -> int:
    """Place every school and fill every district to the minimum; return districts dissolved.

    A district that cannot reach the minimum is dissolved (when the policy allows fewer);
    schools that no district can take get a new district led by the nearest free lead
    candidate (when the policy allows more).
    """
    dissolved = 0
    while True:
        _place_all(state)
        for h in sorted(state.members):
            while state.n_members(h) < state.lo and state.pull_by_chain(h):
                pass
        stuck = [h for h in sorted(state.members) if state.n_members(h) < state.lo]
        if stuck:
            # Leads left alone (enclosed by other districts) go together, others one by one:
            # every round places all schools again.
            alone = [h for h in stuck if state.n_members(h) == 0] or [
                min(stuck, key=state.n_members)
            ]
            for h in alone:
                if not state.can_dissolve(h):
                    raise InfeasibleError(_short_message(state, h))
                state.dissolve(h)
                dissolved += 1
            continue
        left = np.flatnonzero((state.zone < 0) & state.p.active).tolist()
        if not left:
            return dissolved
        if not state.open_near(left):
            _leave_out(state, left)
            return dissolved


def settle_mix(state: Districts) -> int:
    """Meet the rural and weak quotas, dissolving districts that cannot (when allowed)."""
    dissolved = 0
    while True:
        short = state.repair_mix()
        if not short:
            return dissolved
        spare = [h for h in short if state.can_dissolve(h)]
        if not spare:
            raise InfeasibleError(_mix_message(state, short))
        state.dissolve(min(spare, key=lambda h: (state.n_members(h), h)))
        dissolved += 1 + settle(state)


def _place_all(state: Districts) -> None:
    """Chain-insert the unplaced schools that a district could still reach."""
    while True:
        hops = state.hops_from_leads()
        waiting = [
            u
            for u in np.flatnonzero((state.zone < 0) & state.p.active).tolist()
            if hops[u] <= state.hi and any(state.zone[y] >= 0 for y in state.adj[u])
        ]
        progress = False
        for u in waiting:
            if time.perf_counter() > state.deadline:
                return
            progress |= state.insert_by_chain(u)
        if not progress:
            return


def _leave_out(state: Districts, left: list[int]) -> None:
    p = state.p
    cap = p.policy.max_distance_km
    if p.policy.allow_unassigned and cap is not None:
        for u in left:
            p.unplaceable[u] = (
                f"no district within max_distance_km = {cap:g} km of its lead can take it "
                "through neighbouring schools"
            )
        return
    stopped = " (the search stopped at time_limit)" if time.perf_counter() > state.deadline else ""
    raise InfeasibleError(
        f"{len(left)} of {int(p.active.sum())} schools cannot join a contiguous district "
        f"({_shown([str(p.ids[u]) for u in left])}): {len(state.members)} districts of "
        f"{state.lo}-{state.hi} members{_cap_text(state)}{_graph_parts(state)} leave them no "
        f"place{stopped}; {_relax_hint(state)}"
    )


def _relax_hint(state: Districts) -> str:
    policy = state.p.policy
    rules = ["raise the maximum of 'members'"]
    if policy.max_distance_km is not None:
        rules.append("raise 'max_distance_km' (or set allow_unassigned = true)")
    mix = [f"'{r}'" for r in ("pair_urban_rural", "min_weak_per_group") if getattr(policy, r)]
    if mix:
        rules.append(f"relax {' or '.join(mix)}")
    rules.append("allow more lead candidates nearer these schools ('leads')")
    return ", ".join(rules[:-1]) + " or " + rules[-1]


def _graph_parts(state: Districts) -> str:
    active = np.flatnonzero(state.p.active).tolist()
    graph = nx.Graph()
    graph.add_nodes_from(active)
    graph.add_edges_from((a, b) for a in active for b in state.adj[a])
    k = nx.number_connected_components(graph)
    return f" on a graph in {k} disconnected parts" if k > 1 else ""


def _cap_text(state: Districts) -> str:
    cap = state.p.policy.max_distance_km
    return "" if cap is None else f" within max_distance_km = {cap:g} km"


def _short_message(state: Districts, h: int) -> str:
    p = state.p
    return (
        f"the district of lead {p.ids[h]} ({p.names[h]}) has {state.n_members(h)} members, fewer "
        f"than the minimum {state.lo} of 'members', and its neighbours cannot spare a school "
        f"without breaking their own contiguity or rules{_cap_text(state)}{_graph_parts(state)}; "
        "lower the minimum of 'members' or ask for fewer districts ('n_groups', 'leads')"
    )


def _mix_message(state: Districts, short: list[int]) -> str:
    p = state.p
    rules = []
    if state.need_rural and any(not state.rural_flag[h] and state.rural[h] < 1 for h in short):
        rules.append("'pair_urban_rural'")
    if state.need_weak and any(state.weak[h] < state.need_weak for h in short):
        rules.append("'min_weak_per_group'")
    return (
        f"{len(short)} of {len(state.members)} contiguous districts lack a school that "
        f"{' and '.join(rules)} asks for (leads {_shown([str(p.ids[h]) for h in short])}) and no "
        f"neighbouring district can spare one; relax {' or '.join(rules)}, or use method 'exact' "
        "or 'fast' (groups need not be contiguous there)"
    )
