"""Groups evaluated together on value added (集团捆绑评价): how the gaps moved between two
years of scores."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geogroup.errors import InputError
from geogroup.evaluate import _frame as F
from geogroup.evaluate._frame import PlanLike
from geogroup.evaluate._groups import _gap, _lead_quality, _quality

# --- value added ---------------------------------------------------------------------------


@dataclass
class ValueAdded:
    """How the gaps of a plan's groups moved between two years (see :func:`value_added`).

    Attributes
    ----------
    groups
        Per group: ``schools`` compared, ``mean_before``, ``mean_after``, ``mean_change``,
        ``gap_before``, ``gap_after``, ``gap_change`` (lead − members; a negative change
        means the members caught up), ``members_change`` and ``lead_change`` (the mean
        change of the members' and of the lead's scores).
    spread
        Between-group spread of the group means, rows ``sd`` and ``range``, columns
        ``before``, ``after``, ``change``.
    """

    groups: pd.DataFrame
    spread: pd.DataFrame


def _scores(plan: PlanLike, core: pd.DataFrame, scores: str | pd.Series, which: str) -> pd.Series:
    schools = F.schools_of(plan)
    if isinstance(scores, str):
        if scores not in schools:
            raise InputError(
                f"{which}: the plan has no column {scores!r}; give a column name or a Series"
            )
        values = schools[scores].set_axis(core.index)
    elif isinstance(scores, pd.Series):
        values = scores.set_axis(scores.index.map(str)).reindex(core.index)
    else:
        raise InputError(
            f"{which}: expected a column name or a Series by school_id, got {type(scores).__name__}"
        )
    return pd.Series(
        pd.to_numeric(values.astype(object), errors="coerce"), index=core.index, dtype=float
    )


def value_added(
    plan: PlanLike, before: str | pd.Series, after: str | pd.Series, *, standardize: bool = False
) -> ValueAdded:
    """Group evaluation on value added (集团捆绑评价, 增值评价): the change, from one year's
    scores to the next, of each group's lead–member gap and of the spread between groups.

    The groups are the plan's; ``before`` and ``after`` are columns of the plan or Series by
    ``school_id``. Only schools with both scores are compared, so each figure is on the
    same schools in both years. With ``standardize``, each year's scores become z-scores
    over those schools (``(q − mean) / sd``) first, for tests on different scales: the
    changes are then in standard deviations.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> later = plan["quality"] + pd.Series({"B": 10.0, "C": 10.0}).reindex(plan.index).fillna(0.0)
    >>> va = value_added(plan, "quality", later)
    >>> va.groups["gap_change"].to_dict()  # G1's members gained 10: its gap 35 → 25
    {'G1': -10.0, 'G2': 0.0}
    """
    core = F.core(plan)
    years = {
        "before": _scores(plan, core, before, "before"),
        "after": _scores(plan, core, after, "after"),
    }
    keep = years["before"].notna() & years["after"].notna()
    table = {"schools": F.per_group(core, keep, core["assigned"], "sum", "schools").astype(int)}
    means, cores = {}, {}
    for year, scores in years.items():
        if standardize:
            kept = scores[keep]
            sd = kept.std(ddof=0)
            scores = (scores - kept.mean()) / (sd if sd > 0 else 1.0)
        cores[year] = core[keep].assign(quality=scores[keep])
        means[year] = _quality(cores[year], "mean", "mean").reindex(F.groups(core))
        table[f"mean_{year}"] = means[year]
    table["mean_change"] = means["after"] - means["before"]
    for year in years:
        table[f"gap_{year}"] = _gap(cores[year]).reindex(F.groups(core))
    table["gap_change"] = table["gap_after"] - table["gap_before"]
    change = core.assign(quality=(years["after"] - years["before"])[keep])[keep]
    table["members_change"] = F.per_group(
        change, change["quality"], change["member"], "mean", "m"
    ).reindex(F.groups(core))
    table["lead_change"] = _lead_quality(change).reindex(F.groups(core))
    spread = pd.DataFrame(
        {year: [m.std(ddof=0), m.max() - m.min()] for year, m in means.items()},
        index=["sd", "range"],
    )
    spread["change"] = spread["after"] - spread["before"]
    return ValueAdded(groups=pd.DataFrame(table), spread=spread)
