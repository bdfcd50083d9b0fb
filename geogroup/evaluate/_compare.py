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
    n_shared
        Schools in both plans: the ones that can have moved.
    names
        What to call plans ``a`` and ``b`` in a report, such as their file names.
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
    n_shared: int = 0
    names: tuple[str, str] = ("A", "B")

    @property
    def n_moved(self) -> int:
        """Schools that changed group."""
        return len(self.moves)

    @property
    def group_origin(self) -> pd.Series:
        """Each group of ``b`` and the group of ``a`` it was matched with (None: new), so
        that a school's move can name the group it joined as ``a`` knew it."""
        origin = {b: a for a, b in self.group_map.items() if not pd.isna(b)}
        groups = sorted(set(origin) | set(self.new_groups))
        return pd.Series(
            [origin.get(g) for g in groups],
            index=pd.Index(groups, name="group_b", dtype=object),
            dtype=object,
            name="group_a",
        )

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
    """The one-to-one matching of groups with the most shared schools; among matchings that
    share as many, the one that keeps the most labels.

    Without the second rule a tie is broken by the order of the labels, and a group that
    split in two equal halves could be matched with the half that took a new label: the
    other half would then be listed as moved from G105 to G105. Groups that share no school
    never compete, so the assignment problem is solved on each connected block of the
    overlap graph alone: small blocks, whatever the plan's size.
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
        mapping |= _assign(part)
    return mapping


def _assign(part: pd.DataFrame) -> dict[str, str]:
    """The matching of one block: shared schools first, kept labels second."""
    table = part.pivot(index="a", columns="b", values="n").fillna(0.0)
    same = table.index.to_numpy()[:, None] == table.columns.to_numpy()[None, :]
    # Kept labels add at most min(rows, cols) < scale, never as much as one shared school.
    scale = min(table.shape) + 1.0
    rows, cols = linear_sum_assignment(-(table.to_numpy() * scale + same))
    return {
        str(table.index[r]): str(table.columns[c])
        for r, c in zip(rows, cols, strict=True)
        if table.iat[r, c] > 0
    }


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


def compare_plans(
    a: PlanLike,
    b: PlanLike,
    *,
    policy: str | Policy | None = None,
    names: tuple[str, str] | None = None,
) -> Comparison:
    """Compare two plans of the same schools, school by school and metric by metric.

    Groups are matched one-to-one by maximum overlap (the assignment problem on the table
    of schools shared by each pair of groups; among equal matchings, the one that keeps
    the most labels), so renaming groups moves no school: a school *moved* when the group
    of ``b`` it is in is not the match of its group in ``a`` (joining or leaving all groups
    counts). A school that moved therefore always changed company: a group whose schools
    (those in both plans) are exactly those of one group of the other plan is matched with
    it, whatever either is called. Both plans' metrics are computed under one policy:
    ``policy``, else ``a``'s. ``names`` (default ``('A', 'B')``) is kept on the result for
    a report to call the plans by, e.g. their file names.

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
    # A school of a group that was dissolved stays with no group of b: it left its group
    # even when it is in none now, so its expected group is one no school has.
    dissolved = object()
    expected = [None if g is None else mapping.get(g, dissolved) for g in ga.to_numpy()]
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
        n_shared=len(common),
        names=("A", "B") if names is None else (str(names[0]), str(names[1])),
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
