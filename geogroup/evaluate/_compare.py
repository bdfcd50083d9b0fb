"""Two plans compared school by school and metric by metric."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geogroup import schema as S
from geogroup.evaluate import _frame as F
from geogroup.evaluate._figures import plan_metrics
from geogroup.evaluate._frame import PlanLike
from geogroup.policy import Policy

# --- comparison ----------------------------------------------------------------------------


@dataclass
class Comparison:
    """What changed from plan ``a`` to plan ``b`` (see :func:`compare_plans`).

    Attributes
    ----------
    moves
        One row per school that is in both plans and changed group: ``name``,
        ``group_a``, ``group_b`` (each plan's own label, None when unassigned), ``role_a``,
        ``role_b``; index ``school_id``.
    group_map
        Each group of ``a`` and the group of ``b`` it was matched with (None: dissolved).
    splits
        Groups of ``a`` that became several groups of ``b``: ``group_a``, ``groups_b``.
    merges
        Groups of ``b`` made of several groups of ``a``: ``group_b``, ``groups_a``.
    new_groups, dissolved_groups
        Groups of ``b`` matched with no group of ``a``, and the other way round.
    added, removed
        Schools only in ``b``, only in ``a``.
    metrics
        :func:`plan_metrics` of both side by side: columns ``a``, ``b``, ``change`` (b − a).
    """

    moves: pd.DataFrame
    group_map: pd.Series
    splits: pd.DataFrame
    merges: pd.DataFrame
    new_groups: list[str] = field(default_factory=list)
    dissolved_groups: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_moved(self) -> int:
        """Schools that changed group."""
        return len(self.moves)

    def summary(self) -> dict[str, int]:
        """Counts of every kind of change, as plain numbers."""
        relabelled = sum(1 for a, b in self.group_map.items() if b is not None and a != b)
        return {
            "moved": self.n_moved,
            "added": len(self.added),
            "removed": len(self.removed),
            "splits": len(self.splits),
            "merges": len(self.merges),
            "new_groups": len(self.new_groups),
            "dissolved_groups": len(self.dissolved_groups),
            "relabelled_groups": relabelled,
        }


def _overlaps(ga: pd.Series, gb: pd.Series) -> pd.DataFrame:
    """Schools shared by each pair of groups (a, b) that share any: columns a, b, n."""
    both = (ga.notna() & gb.notna()).to_numpy()
    pairs = pd.DataFrame(
        {"a": ga[both].astype(str).to_numpy(), "b": gb[both].astype(str).to_numpy()}
    )
    return pairs.groupby(["a", "b"], sort=True).size().rename("n").reset_index()


def _match_groups(pairs: pd.DataFrame) -> dict[str, str]:
    """The one-to-one matching of groups with the most shared schools.

    Groups that share no school never compete, so the assignment problem is solved on each
    connected block of the overlap graph alone: small blocks, whatever the plan's size.
    """
    if pairs.empty:
        return {}
    a_codes, a_names = pd.factorize(pairs["a"], sort=True)
    b_codes, b_names = pd.factorize(pairs["b"], sort=True)
    n = len(a_names) + len(b_names)
    graph = coo_matrix((np.ones(len(pairs)), (a_codes, len(a_names) + b_codes)), shape=(n, n))
    _, block = connected_components(graph, directed=False)
    block = block[a_codes]
    single = pd.Series(block).map(pd.Series(block).value_counts()).to_numpy() == 1
    # a pair alone in its block (a group kept whole, or renamed) matches without solving
    mapping = dict(zip(pairs["a"][single], pairs["b"][single], strict=True))
    for _, part in pairs[~single].groupby(block[~single], sort=True):
        table = part.pivot(index="a", columns="b", values="n").fillna(0.0)
        rows, cols = linear_sum_assignment(-table.to_numpy())
        mapping |= {
            str(table.index[r]): str(table.columns[c])
            for r, c in zip(rows, cols, strict=True)
            if table.iat[r, c] > 0
        }
    return mapping


def _largest(pairs: pd.DataFrame, of: str, other: str) -> pd.Series:
    """For each group on side ``of``, the group on side ``other`` it shares most schools
    with (ties: the first id)."""
    ranked = pairs.sort_values([of, "n", other], ascending=[True, False, True], kind="stable")
    first = ranked.drop_duplicates(of)
    return pd.Series(first[other].to_numpy(), index=first[of].to_numpy(), dtype=object)


def _splits_merges(pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A split: an a-group that is the largest source of two or more b-groups; a merge: a
    b-group that is the largest destination of two or more a-groups. A few schools moving
    between groups is neither."""
    source = _largest(pairs, "b", "a")  # b group -> its largest a group
    dest = _largest(pairs, "a", "b")  # a group -> its largest b group
    splits = [(a, tuple(sorted(bs.index))) for a, bs in source.groupby(source) if len(bs) > 1]
    merges = [(b, tuple(sorted(a_s.index))) for b, a_s in dest.groupby(dest) if len(a_s) > 1]
    return (
        pd.DataFrame(splits, columns=["group_a", "groups_b"], dtype=object),
        pd.DataFrame(merges, columns=["group_b", "groups_a"], dtype=object),
    )


def _assigned_groups(core: pd.DataFrame, index: pd.Index) -> pd.Series:
    return core["group"].where(core["assigned"], None).reindex(index).astype(object)


def compare_plans(a: PlanLike, b: PlanLike, *, policy: str | Policy | None = None) -> Comparison:
    """Compare two plans of the same schools, school by school and metric by metric.

    Groups are matched one-to-one by maximum overlap (the assignment problem on the table
    of schools shared by each pair of groups), so renaming groups moves no school: a school
    *moved* when the group of ``b`` it is in is not the match of its group in ``a`` (joining
    or leaving all groups counts). Both plans' metrics are computed under one policy:
    ``policy``, else ``a``'s.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> a = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                          role=["lead", "member", "member"] * 2)
    >>> b = a.assign(group_id=["X"] + ["Y"] * 5)
    >>> b.loc["B", "group_id"] = "X"
    >>> cmp = compare_plans(a, b)
    >>> cmp.moves[["group_a", "group_b"]].to_dict("index")
    {'C': {'group_a': 'G1', 'group_b': 'Y'}}
    >>> cmp.group_map.to_dict()
    {'G1': 'X', 'G2': 'Y'}
    """
    ca, cb = F.core(a), F.core(b)
    common = ca.index.intersection(cb.index, sort=False)
    ga, gb = _assigned_groups(ca, common), _assigned_groups(cb, common)
    pairs = _overlaps(ga, gb)
    mapping = _match_groups(pairs)
    expected = [None if g is None else mapping.get(g) for g in ga.to_numpy()]
    changed = [e != g for e, g in zip(expected, gb.to_numpy(), strict=True)]
    moved = common[np.asarray(changed, dtype=bool)].tolist()
    moves = pd.DataFrame(
        {
            "name": _names(a, moved),
            "group_a": ga[moved].to_numpy(dtype=object),
            "group_b": gb[moved].to_numpy(dtype=object),
            "role_a": ca.loc[moved, "role"].to_numpy(dtype=object),
            "role_b": cb.loc[moved, "role"].to_numpy(dtype=object),
        },
        index=pd.Index(moved, name=S.SCHOOL_ID, dtype=object),
    )
    splits, merges = _splits_merges(pairs)
    groups_a, groups_b = list(F.groups(ca)), list(F.groups(cb))
    policy = F.policy_of(a, policy)
    return Comparison(
        moves=moves,
        group_map=pd.Series({g: mapping.get(g) for g in groups_a}, dtype=object, name="group_b"),
        splits=splits,
        merges=merges,
        new_groups=[g for g in groups_b if g not in set(mapping.values())],
        dissolved_groups=[g for g in groups_a if g not in mapping],
        added=cb.index.difference(ca.index, sort=False).tolist(),
        removed=ca.index.difference(cb.index, sort=False).tolist(),
        metrics=_side_by_side(plan_metrics(a, policy), plan_metrics(b, policy)),
    )


def _names(plan: PlanLike, ids: list[str]) -> NDArray[np.object_]:
    schools = F.schools_of(plan)
    if S.NAME not in schools:
        return np.array(ids, dtype=object)
    names = schools[S.NAME].astype(object).set_axis([str(i) for i in schools.index])
    return names[ids].to_numpy(dtype=object)


def _side_by_side(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    table = pd.DataFrame({"a": pd.Series(a, dtype=float), "b": pd.Series(b, dtype=float)})
    table["change"] = table["b"] - table["a"]
    table.index.name = "metric"
    return table
