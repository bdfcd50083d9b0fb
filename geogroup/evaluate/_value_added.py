"""Groups evaluated together on value added (集团捆绑评价): how the gaps moved between two
years of scores, given as columns of the plan or as files of school ids and scores
(:func:`read_scores`, :func:`scores_of`)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geogroup.errors import InputError
from geogroup.evaluate import _frame as F
from geogroup.evaluate._frame import PlanLike
from geogroup.evaluate._groups import _gap, _lead_quality, _quality
from geogroup.read import ID_HEADERS

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


# --- two years of scores from files --------------------------------------------------------

SCORE_HEADERS = (
    "score",
    "scores",
    "mean_score",
    "quality",
    "value",
    "得分",
    "成绩",
    "分数",
    "平均分",
    "综合得分",
    "质量",
    "评分",
)
"""Headers of the score column of a scores file (compared ignoring case and spaces)."""

_SHOWN = 5
_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


def _key(header: object) -> str:
    return "".join(str(header).split()).casefold().replace("-", "_")


def _read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, or GBK as Excel saves it on Chinese Windows; any usual delimiter) or
    the first sheet of a workbook, every cell as text."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            return pd.read_excel(path, dtype=str)
        except Exception as exc:  # openpyxl raises several unrelated types
            raise InputError(f"{path}: cannot read it as an Excel workbook ({exc})") from None
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, sep=None, engine="python")
        except (pd.errors.ParserError, csv.Error) as exc:
            raise InputError(f"{path}: cannot read it as a CSV table ({exc})") from None
    raise InputError(f"{path}: the text is neither UTF-8 nor GBK; save it as CSV UTF-8")


def _column(frame: pd.DataFrame, names: tuple[str, ...], exclude: str | None) -> str | None:
    keys = {_key(n) for n in names}
    found = [c for c in frame.columns if _key(c) in keys and c != exclude]
    return found[0] if found else None


def read_scores(path: str | Path, *, which: str = "scores") -> pd.Series:
    """A year's scores by school id from a file: a CSV (UTF-8 or GBK) or an ``.xlsx``
    workbook (its first sheet) with a school id column (``school_id``, ``学校代码``, …, see
    :data:`ID_HEADERS`) and a score column (``score``, ``得分``, ``成绩``, …, see
    :data:`SCORE_HEADERS`; or the one other column). A cell that is not a number leaves
    that school out of the comparison; an id given twice is an error naming its rows.

    ``which`` names the option in messages (``'--before'``).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "2023.csv"
    ...     _ = path.write_text("学校代码,成绩\\nA,81.5\\nB,缺考\\n", encoding="gbk")
    ...     read_scores(path).to_dict()
    {'A': 81.5, 'B': nan}
    """
    path = Path(path)
    frame = _read_table(path)
    columns = ", ".join(map(repr, map(str, frame.columns))) or "none"
    ids = _column(frame, ID_HEADERS, None)
    if ids is None:
        raise InputError(
            f"{which} {path}: no school id column (columns: {columns}); name one "
            f"'school_id' or '学校代码', with the ids of the school list"
        )
    score = _column(frame, SCORE_HEADERS, ids)
    others = [c for c in frame.columns if c != ids]
    if score is None and len(others) == 1:
        score = others[0]
    if score is None:
        raise InputError(
            f"{which} {path}: no score column (columns: {columns}); name it 'score' or "
            f"'成绩', or keep only the id and score columns"
        )
    keys = frame[ids].astype(str).str.strip()
    repeated = keys[keys.duplicated(keep=False) & frame[ids].notna()]
    if len(repeated):
        rows = ", ".join(str(i + 2) for i in repeated.index[:_SHOWN])
        raise InputError(
            f"{which} {path}: school id {repeated.iloc[0]!r} is given more than once "
            f"(rows {rows}, column {ids!r}); keep one score per school"
        )
    values = pd.to_numeric(frame[score].str.strip(), errors="coerce")
    return pd.Series(values.to_numpy(dtype=float), index=pd.Index(keys, name="school_id"))


def scores_of(plan: PlanLike, source: str | Path, *, which: str = "scores") -> pd.Series:
    """A year's scores for :func:`value_added`: a file (:func:`read_scores`) when
    ``source`` names one, else a column of the plan's schools.

    Examples
    --------
    >>> from geogroup.datasets import toy_schools
    >>> scores_of(toy_schools(), "quality").name
    'quality'
    """
    schools = F.schools_of(plan)
    path = Path(source)
    if path.is_file():
        return read_scores(path, which=which)
    if str(source) in schools:
        return schools[str(source)]
    hint = (
        " (a file name ending in .csv or .xlsx)" if path.suffix.lower() in _TABLE_SUFFIXES else ""
    )
    raise InputError(
        f"{which}: {str(source)!r} is neither a file{hint} nor a column of the plan; give a "
        f"CSV or Excel file of school ids and scores, or one of the plan's columns "
        f"({', '.join(map(str, schools.columns[:20]))})"
    )


def unmatched_ids(plan: PlanLike, scores: pd.Series) -> list[str]:
    """The ids of ``scores`` that are neither schools of the plan nor rows it rejected on
    input (a typo, or another school list)."""
    ids = set(map(str, F.schools_of(plan).index))
    rejected = getattr(plan, "rejected", None)
    if rejected is not None and "school_id" in rejected:
        ids |= set(map(str, rejected["school_id"].dropna()))
    return [i for i in map(str, scores.index) if i not in ids]
