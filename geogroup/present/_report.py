"""Report: a plan's figures for a meeting — one HTML page, one Excel workbook, metrics.json.

:func:`write_report` writes three files into a folder:

* ``metrics.json`` — :func:`~geogroup.evaluate.plan_metrics`, plain numbers;
* ``report.xlsx`` — one sheet per table: summary (the same numbers as ``metrics.json``,
  key by key), groups, schools, policy violations, and with a comparison the metrics of both
  plans and the schools that moved;
* ``report.html`` — the same tables and three charts drawn as inline SVG (quality of all
  schools against group means, group sizes, member-to-lead distances): no script, no
  external file, opens offline.

Labels are in Chinese (``lang='zh'``) or English (``'en'``), from :data:`LABELS`. Every
string that comes from the input (school names, ids, group ids, policy names) is escaped
before it reaches HTML, and text that a spreadsheet would run as a formula is stored as
text. Each file is written to a temporary file in the same folder, then moved into place,
so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.evaluate import (
    KEY_TEACHERS,
    Comparison,
    allowed_leads,
    check_plan,
    distance_to_lead,
    group_metrics,
    lead_of,
    plan_metrics,
    weak_schools,
)
from geogroup.plan import Plan
from geogroup.policy import Policy, get_policy

__all__ = ["LABELS", "write_report"]

_SHARES = {
    "coverage",
    "mixed_groups_share",
    "rural_with_urban_lead_share",
    "weak_coverage",
    "exchange_rate",
}

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        # titles
        "title": "“1+X”集团化办学方案评估报告",
        "policy": "政策",
        "method": "方法",
        "status": "求解状态",
        "summary": "概要",
        "charts": "图表",
        "violations": "政策规则检查",
        "groups": "集团",
        "schools": "学校",
        "comparison": "方案对比",
        "moves": "调整集团的学校",
        "notes": "说明",
        "no_violations": "未发现违反政策规则的情况。",
        "no_moves": "没有学校调整集团。",
        "no_data": "无数据",
        "key": "代码",
        "label": "指标",
        "value": "数值",
        # charts
        "chart_quality": "质量分布：全体学校与集团均值",
        "chart_sizes": "集团规模",
        "chart_distance": "成员校到龙头校的距离",
        "all_schools": "全体学校",
        "group_means": "集团均值",
        "share": "占比",
        "n_groups": "集团数",
        "n_schools": "学校数",
        "quality": "质量",
        "size_axis": "每集团学校数（含龙头校）",
        "km": "公里",
        # plan metrics
        "schools_n": "学校数",
        "groups_n": "集团数",
        "leads": "龙头校数",
        "members": "成员校数",
        "unassigned": "未入集团学校数",
        "coverage": "覆盖率（入集团学校占比）",
        "group_size_mean": "平均集团规模（含龙头校）",
        "group_size_min": "最小集团规模",
        "group_size_max": "最大集团规模",
        "quality_mean": "全体学校平均质量",
        "group_mean_min": "集团平均质量最低值",
        "group_mean_max": "集团平均质量最高值",
        "group_mean_sd": "集团平均质量标准差",
        "group_mean_range": "集团平均质量极差",
        "theil_total": "泰尔指数（总体）",
        "theil_between": "泰尔指数（集团间）",
        "theil_within": "泰尔指数（集团内）",
        "theil_shift": "泰尔指数计算时的质量平移量",
        "quality_gap_mean": "龙头校与成员校质量差（集团平均）",
        "distance_mean_km": "成员校到龙头校平均距离（公里）",
        "distance_p95_km": "成员校到龙头校距离第95百分位（公里）",
        "distance_max_km": "成员校到龙头校最远距离（公里）",
        "mixed_groups": "城乡混合集团数",
        "mixed_groups_share": "城乡混合集团占比",
        "rural_schools": "农村学校数",
        "rural_with_urban_lead": "由城区龙头校带领的农村学校数",
        "rural_with_urban_lead_share": "由城区龙头校带领的农村学校占比",
        "weak_schools": "薄弱学校数",
        "weak_covered": "受优质学校帮扶的薄弱学校数",
        "weak_coverage": "优质学校帮扶薄弱学校覆盖率",
        "compactness_mean": "平均紧凑度（Polsby–Popper）",
        "exchange_rate": "教师交流比例",
        "teachers": "教师数",
        "teachers_quota": "教师交流名额",
        "key_teachers": "骨干教师数",
        "key_teachers_quota": "骨干教师交流名额",
        # group and school columns
        "group_id": "集团编号",
        "lead_id": "龙头校编号",
        "lead_name": "龙头校",
        "size": "学校数",
        "lead_quality": "龙头校质量",
        "mean_quality": "平均质量",
        "min_quality": "最低质量",
        "max_quality": "最高质量",
        "quality_gap": "龙头校与成员校质量差",
        "mean_distance_km": "平均距离（公里）",
        "p95_distance_km": "距离第95百分位（公里）",
        "max_distance_km": "最远距离（公里）",
        "n_weak": "薄弱成员校数",
        "n_urban": "城区学校数",
        "n_rural": "农村学校数",
        "mixed": "城乡混合",
        "lead_area": "龙头校城乡",
        "compactness": "紧凑度",
        "school_id": "学校编号",
        "name": "学校名称",
        "area": "城乡",
        "level": "学段",
        "role": "角色",
        "distance_km": "到龙头校距离（公里）",
        "weak": "薄弱学校",
        "allowed_lead": "可任龙头校",
        "reason": "未入集团原因",
        # violations
        "rule": "规则",
        "school_ids": "涉及学校",
        "detail": "说明",
        "rule:role": "角色取值",
        "rule:unassigned": "未入集团且无原因",
        "rule:one_lead": "每个集团一所龙头校",
        "rule:members": "成员校数量",
        "rule:n_groups": "集团数量",
        "rule:leads": "龙头校资格",
        "rule:max_distance_km": "最远距离",
        "rule:pair_urban_rural": "城乡结对",
        "rule:min_weak_per_group": "每集团薄弱学校数",
        "rule:levels": "同一学段",
        "rule:min_lead_spacing_km": "龙头校间距",
        "rule:fixed_group": "锁定集团",
        # comparison
        "a": "方案A",
        "b": "方案B",
        "change": "变化",
        "group_a": "原集团",
        "group_b": "新集团",
        "role_a": "原角色",
        "role_b": "新角色",
        "moved": "调整集团的学校数",
        "added": "新增学校数",
        "removed": "减少学校数",
        "splits": "拆分的集团数",
        "merges": "合并的集团数",
        "new_groups": "新设集团数",
        "dissolved_groups": "撤销集团数",
        "relabelled_groups": "更名集团数",
        # values
        "v:lead": "龙头校",
        "v:member": "成员校",
        "v:unassigned": "未入集团",
        "v:urban": "城区",
        "v:rural": "农村",
        "v:true": "是",
        "v:false": "否",
        # notes
        "note_weak": "薄弱学校：按质量排在后 {share:.0%} 的学校；优质学校：政策允许担任龙头校的学校"
        "（{leads}）。覆盖率 = 作为成员校加入由优质学校带领的集团的薄弱学校 ÷ 薄弱学校数。",
        "note_distance": "距离为直线距离，按学校坐标在 UTM 投影中重新计算，不采用文件中的距离列。",
        "note_theil": "质量含 0 或负值，计算泰尔指数前平移为 q − min(q) + 1（平移量 {shift:g}）。",
        "note_key_teachers": "未提供骨干教师数（key_teachers 列），未计算骨干教师交流名额。",
        "note_hulls": "紧凑度按各集团学校的凸包计算（方案没有学区多边形）；一两所学校的集团不计。",
    },
    "en": {
        "title": "1+X school groups: evaluation of a plan",
        "policy": "Policy",
        "method": "Method",
        "status": "Solver status",
        "summary": "Summary",
        "charts": "Charts",
        "violations": "Policy check",
        "groups": "Groups",
        "schools": "Schools",
        "comparison": "Comparison of plans",
        "moves": "Schools that changed group",
        "notes": "Notes",
        "no_violations": "The plan keeps every rule of the policy.",
        "no_moves": "No school changed group.",
        "no_data": "no data",
        "key": "key",
        "label": "metric",
        "value": "value",
        "chart_quality": "Quality: all schools and group means",
        "chart_sizes": "Group sizes",
        "chart_distance": "Member-to-lead distance",
        "all_schools": "all schools",
        "group_means": "group means",
        "share": "share",
        "n_groups": "groups",
        "n_schools": "schools",
        "quality": "quality",
        "size_axis": "schools per group (lead included)",
        "km": "km",
        "schools_n": "Schools",
        "groups_n": "Groups",
        "leads": "Lead schools",
        "members": "Member schools",
        "unassigned": "Schools in no group",
        "coverage": "Coverage (share of schools in a group)",
        "group_size_mean": "Mean group size (lead included)",
        "group_size_min": "Smallest group",
        "group_size_max": "Largest group",
        "quality_mean": "Mean quality, all schools",
        "group_mean_min": "Lowest group mean",
        "group_mean_max": "Highest group mean",
        "group_mean_sd": "Standard deviation of group means",
        "group_mean_range": "Range of group means",
        "theil_total": "Theil index, total",
        "theil_between": "Theil index, between groups",
        "theil_within": "Theil index, within groups",
        "theil_shift": "Quality shift for Theil",
        "quality_gap_mean": "Lead − member quality gap (mean over groups)",
        "distance_mean_km": "Mean member-to-lead distance (km)",
        "distance_p95_km": "95th percentile member-to-lead distance (km)",
        "distance_max_km": "Longest member-to-lead distance (km)",
        "mixed_groups": "Groups with urban and rural schools",
        "mixed_groups_share": "Share of groups with urban and rural schools",
        "rural_schools": "Rural schools",
        "rural_with_urban_lead": "Rural schools with an urban lead",
        "rural_with_urban_lead_share": "Share of rural schools with an urban lead",
        "weak_schools": "Weak schools",
        "weak_covered": "Weak schools led by a quality school",
        "weak_coverage": "Weak-school coverage by quality leads",
        "compactness_mean": "Mean compactness (Polsby–Popper)",
        "exchange_rate": "Exchange rate",
        "teachers": "Teachers",
        "teachers_quota": "Teacher exchange quota",
        "key_teachers": "Key teachers",
        "key_teachers_quota": "Key-teacher exchange quota",
        "group_id": "group",
        "lead_id": "lead id",
        "lead_name": "lead",
        "size": "schools",
        "lead_quality": "lead quality",
        "mean_quality": "mean quality",
        "min_quality": "min quality",
        "max_quality": "max quality",
        "quality_gap": "lead − member gap",
        "mean_distance_km": "mean distance (km)",
        "p95_distance_km": "95th pct distance (km)",
        "max_distance_km": "max distance (km)",
        "n_weak": "weak members",
        "n_urban": "urban",
        "n_rural": "rural",
        "mixed": "urban and rural",
        "lead_area": "lead area",
        "compactness": "compactness",
        "school_id": "school id",
        "name": "name",
        "area": "area",
        "level": "level",
        "role": "role",
        "distance_km": "distance to lead (km)",
        "weak": "weak",
        "allowed_lead": "may lead",
        "reason": "reason unassigned",
        "rule": "rule",
        "school_ids": "schools",
        "detail": "detail",
        "rule:role": "role values",
        "rule:unassigned": "unassigned without reason",
        "rule:one_lead": "one lead per group",
        "rule:members": "members per group",
        "rule:n_groups": "number of groups",
        "rule:leads": "who may lead",
        "rule:max_distance_km": "distance cap",
        "rule:pair_urban_rural": "urban–rural pairing",
        "rule:min_weak_per_group": "weak schools per group",
        "rule:levels": "one level per group",
        "rule:min_lead_spacing_km": "lead spacing",
        "rule:fixed_group": "locked groups",
        "a": "plan A",
        "b": "plan B",
        "change": "change",
        "group_a": "group in A",
        "group_b": "group in B",
        "role_a": "role in A",
        "role_b": "role in B",
        "moved": "Schools that changed group",
        "added": "Schools added",
        "removed": "Schools removed",
        "splits": "Groups split",
        "merges": "Groups merged",
        "new_groups": "New groups",
        "dissolved_groups": "Dissolved groups",
        "relabelled_groups": "Renamed groups",
        "v:lead": "lead",
        "v:member": "member",
        "v:unassigned": "unassigned",
        "v:urban": "urban",
        "v:rural": "rural",
        "v:true": "yes",
        "v:false": "no",
        "note_weak": "Weak schools: the bottom {share:.0%} by quality. Quality schools: those the "
        "policy lets lead ({leads}). Coverage = weak schools that are members of a "
        "group led by a quality school ÷ weak schools.",
        "note_distance": "Distances are straight lines, recomputed from the coordinates in the "
        "UTM zone of the plan; a distance column of the file is not used.",
        "note_theil": "Some quality is 0 or negative: for the Theil index it is shifted to "
        "q − min(q) + 1 (shift {shift:g}).",
        "note_key_teachers": "Key teachers are unknown (no key_teachers column): their exchange "
        "quota is not computed.",
        "note_hulls": "Compactness is that of the convex hull of each group's schools (the plan "
        "has no district polygons); groups of one or two schools have none.",
    },
}
"""Every label of the report, by language and key; a key without a label shows as itself."""

_METRIC_LABEL_KEYS = {"schools": "schools_n", "groups": "groups_n"}  # keys that name sections too
_COLOURS = ("#3a6ea5", "#e0893a")
_CODED = {S.ROLE, S.AREA, "lead_area", "role_a", "role_b"}  # columns of codes shown translated


def _label(key: str, lang: str) -> str:
    return LABELS[lang].get(key, key)


def _metric_label(key: str, lang: str) -> str:
    return _label(_METRIC_LABEL_KEYS.get(key, key), lang)


# --- the tables ----------------------------------------------------------------------------


def _policy(plan: Plan | pd.DataFrame, policy: str | Policy | None) -> Policy:
    if policy is not None:
        return get_policy(policy)
    return plan.policy if isinstance(plan, Plan) else Policy(name="unknown")


def _school_table(plan: Plan | pd.DataFrame, policy: Policy) -> pd.DataFrame:
    schools = plan.schools if isinstance(plan, Plan) else plan
    table = pd.DataFrame(index=pd.Index([str(i) for i in schools.index], name=S.SCHOOL_ID))
    for column in (S.NAME, S.QUALITY, S.AREA, S.LEVEL, S.GROUP_ID, S.ROLE):
        if column in schools:
            table[column] = schools[column].to_numpy()
    table[S.LEAD_ID] = lead_of(plan).to_numpy()
    table[S.DISTANCE_KM] = distance_to_lead(plan).to_numpy()
    table["weak"] = weak_schools(plan, policy).to_numpy()
    with contextlib.suppress(InputError):  # no lead column: the policy check says so
        table["allowed_lead"] = allowed_leads(plan, policy).to_numpy()
    if S.REASON in schools:
        table[S.REASON] = schools[S.REASON].to_numpy()
    return table


def _notes(
    plan: Plan | pd.DataFrame, policy: Policy, metrics: dict[str, Any], lang: str
) -> list[str]:
    schools = plan.schools if isinstance(plan, Plan) else plan
    labels = LABELS[lang]
    leads = policy.leads if isinstance(policy.leads, str) else ", ".join(policy.leads)
    notes = [
        labels["note_weak"].format(share=policy.weak_share, leads=leads),
        labels["note_distance"],
    ]
    if metrics.get("theil_shift"):
        notes.append(labels["note_theil"].format(shift=metrics["theil_shift"]))
    if KEY_TEACHERS not in schools:
        notes.append(labels["note_key_teachers"])
    if not (isinstance(plan, Plan) and plan.zones is not None):
        notes.append(labels["note_hulls"])
    return notes


# --- writing files -------------------------------------------------------------------------


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then move it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_report(
    plan: Plan | pd.DataFrame,
    out_dir: str | Path,
    *,
    lang: str = "zh",
    policy: str | Policy | None = None,
    comparison: Comparison | None = None,
) -> dict[str, Path]:
    """Write ``report.html``, ``report.xlsx`` and ``metrics.json`` for a plan into ``out_dir``.

    Parameters
    ----------
    plan
        A :class:`~geogroup.plan.Plan`, or a schools GeoDataFrame with the plan columns.
    out_dir
        Folder for the three files; made when missing. Files of the same names are replaced.
    lang
        ``'zh'`` or ``'en'``: the language of labels, titles and notes.
    policy
        The policy the plan is checked and measured against (its own when None).
    comparison
        A :func:`~geogroup.evaluate.compare_plans` result to add (``plan`` is then its ``b``).

    Returns
    -------
    dict
        ``{'html': path, 'xlsx': path, 'metrics': path}``.

    Examples
    --------
    >>> import tempfile
    >>> from geogroup.datasets import toy_schools
    >>> plan = toy_schools().assign(group_id=["G1"] * 3 + ["G2"] * 3,
    ...                             role=["lead", "member", "member"] * 2)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     sorted(p.name for p in write_report(plan, out, lang="en").values())
    ['metrics.json', 'report.html', 'report.xlsx']
    """
    if lang not in LABELS:
        raise InputError(f"lang: expected one of {', '.join(LABELS)}, got {lang!r}")
    policy = _policy(plan, policy)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics = plan_metrics(plan, policy)
    tables = {
        "groups": group_metrics(plan, policy),
        "schools": _school_table(plan, policy),
        "violations": check_plan(plan, policy),
    }
    notes = _notes(plan, policy, metrics, lang)
    paths = {
        "html": out / "report.html",
        "xlsx": out / "report.xlsx",
        "metrics": out / "metrics.json",
    }
    text = json.dumps(metrics, ensure_ascii=False, indent=2) + "\n"
    _atomic(paths["metrics"], lambda p: p.write_text(text, encoding="utf-8"))
    book = _workbook(metrics, tables, comparison, lang)
    _atomic(paths["xlsx"], lambda p: book.save(p))
    page = _html_page(plan, policy, metrics, tables, comparison, notes, lang)
    _atomic(paths["html"], lambda p: p.write_text(page, encoding="utf-8"))
    return paths


# --- Excel ---------------------------------------------------------------------------------


def _cell_value(value: Any, lang: str, column: str = "") -> Any:
    """A value openpyxl can store: None for missing, Python numbers, clean text."""
    if isinstance(value, tuple | list):
        value = ", ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return _label(f"v:{str(bool(value)).lower()}", lang)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return LABELS[lang].get(f"v:{text}", text) if column in _CODED else text


def _put(sheet: Any, row: int, column: int, value: Any) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=…" from the input stays text, never a formula


def _sheet(
    book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    sheet = book.create_sheet(title=title[:31])
    for c, text in enumerate(header, start=1):
        _put(sheet, 1, c, text)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _put(sheet, r, c, value)
    sheet.freeze_panes = "A2"
    for c, text in enumerate(header, start=1):
        longest = max(
            [len(str(text))] + [len(str(v[c - 1])) for v in rows[:200] if v[c - 1] is not None]
        )
        sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, longest * 1.3 + 2))


def _frame_sheet(book: Workbook, title: str, frame: pd.DataFrame, lang: str) -> None:
    frame = frame.reset_index() if frame.index.name else frame
    header = [_label(str(c), lang) for c in frame.columns]
    columns = [str(c) for c in frame.columns]
    rows = [
        [_cell_value(v, lang, c) for c, v in zip(columns, row, strict=True)]
        for row in frame.itertuples(index=False)
    ]
    _sheet(book, title, header, rows)


def _workbook(
    metrics: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    comparison: Comparison | None,
    lang: str,
) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    summary = [[key, _metric_label(key, lang), value] for key, value in metrics.items()]
    _sheet(
        book, _label("summary", lang), [_label(k, lang) for k in ("key", "label", "value")], summary
    )
    violations = tables["violations"].assign(
        rule=[_label(f"rule:{r}", lang) for r in tables["violations"]["rule"]]
    )
    for name, frame in (
        ("groups", tables["groups"]),
        ("schools", tables["schools"]),
        ("violations", violations),
    ):
        _frame_sheet(book, _label(name, lang), frame, lang)
    if comparison is not None:
        side = comparison.metrics.reset_index()
        rows = [
            [
                r.metric,
                _metric_label(r.metric, lang),
                _cell_value(r.a, lang),
                _cell_value(r.b, lang),
                _cell_value(r.change, lang),
            ]
            for r in side.itertuples()
        ]
        header = [_label(k, lang) for k in ("key", "label", "a", "b", "change")]
        _sheet(book, _label("comparison", lang), header, rows)
        _frame_sheet(book, _label("moves", lang), comparison.moves, lang)
    return book


# --- HTML ----------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any, lang: str, key: str = "") -> str:
    """A value as escaped text for a table cell."""
    if isinstance(value, tuple | list):
        return _e(", ".join(map(str, value)))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return _e(_label(f"v:{str(bool(value)).lower()}", lang))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if key in _SHARES:
            return f"{100 * float(value):.2f}&#8239;%"
        if float(value).is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return _e(f"{float(value):,.2f}" if abs(value) >= 100 else f"{float(value):.4g}")
    return _e(LABELS[lang].get(f"v:{value}", value) if key in _CODED else value)


def _table(frame: pd.DataFrame, lang: str, *, index: bool = True) -> str:
    if index and frame.index.name:
        frame = frame.reset_index()
    head = "".join(f"<th>{_e(_label(str(c), lang))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{_fmt(v, lang, str(c))}</td>" for c, v in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary_table(metrics: dict[str, Any], lang: str) -> str:
    rows = "".join(
        f"<tr><th>{_e(_metric_label(k, lang))}</th><td>{_fmt(v, lang, k)}</td></tr>"
        for k, v in metrics.items()
    )
    return f"<table class='summary'><tbody>{rows}</tbody></table>"


def _bars(
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    x_label: str,
    y_label: str,
    percent: bool = False,
) -> str:
    """A bar chart as inline SVG: one bar per series in each category."""
    width, height, left, right, top, bottom = 640, 280, 56, 12, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for _, values in series for v in values] + [0.0]) or 1.0
    band = plot_w / max(len(categories), 1)
    bar_w = band * 0.8 / max(len(series), 1)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='{_e(y_label)}' class='chart'>",
        f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' stroke='#444'/>",
        f"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + plot_h}' stroke='#444'/>",
    ]
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        tick = f"{100 * peak * frac:.0f}%" if percent else f"{peak * frac:.3g}"
        parts.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end'>{_e(tick)}</text>")
    step = max(1, math.ceil(len(categories) / 12))  # at most a dozen labels under the axis
    for i, category in enumerate(categories):
        for k, (name, values) in enumerate(series):
            h = plot_h * values[i] / peak
            x = left + i * band + band * 0.1 + k * bar_w
            shown = f"{100 * values[i]:.1f}%" if percent else f"{values[i]:g}"
            parts.append(
                f"<rect x='{x:.1f}' y='{top + plot_h - h:.1f}' width='{bar_w:.1f}' "
                f"height='{h:.1f}' fill='{_COLOURS[k % 2]}'><title>{_e(name)} {_e(category)}: "
                f"{_e(shown)}</title></rect>"
            )
        if i % step == 0:
            parts.append(
                f"<text x='{left + (i + 0.5) * band:.1f}' y='{top + plot_h + 16}' "
                f"text-anchor='middle'>{_e(category)}</text>"
            )
    parts.append(
        f"<text x='{left + plot_w / 2:.1f}' y='{height - 8}' text-anchor='middle'>{_e(x_label)}</text>"
    )
    for k, (name, _) in enumerate(series):
        x = left + 10 + k * 160
        parts.append(
            f"<rect x='{x}' y='8' width='12' height='12' fill='{_COLOURS[k % 2]}'/>"
            f"<text x='{x + 18}' y='19'>{_e(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: Sequence[float], edges: np.ndarray) -> list[float]:
    counts, _ = np.histogram(np.asarray(values, dtype=float), bins=edges)
    return (counts / max(len(values), 1)).tolist()


def _bin_labels(edges: np.ndarray) -> list[str]:
    digits = 0 if (edges[-1] - edges[0]) >= 20 else 1 if (edges[-1] - edges[0]) >= 2 else 2
    return [f"{a:.{digits}f}–{b:.{digits}f}" for a, b in itertools.pairwise(edges)]


def _charts(tables: dict[str, pd.DataFrame], lang: str) -> list[tuple[str, str]]:
    groups, schools = tables["groups"], tables["schools"]
    out = []
    quality = schools[S.QUALITY].astype(float).dropna()
    means = groups["mean_quality"].dropna()
    if len(quality) and len(means):
        low, high = float(quality.min()), float(quality.max())
        edges = np.linspace(low, high if high > low else low + 1.0, 11)
        series = [
            (_label("all_schools", lang), _histogram(quality, edges)),
            (_label("group_means", lang), _histogram(means, edges)),
        ]
        out.append(
            (
                _label("chart_quality", lang),
                _bars(
                    _bin_labels(edges),
                    series,
                    percent=True,
                    x_label=_label("quality", lang),
                    y_label=_label("share", lang),
                ),
            )
        )
    if len(groups):
        sizes = groups["size"].value_counts().sort_index()
        out.append(
            (
                _label("chart_sizes", lang),
                _bars(
                    [str(s) for s in sizes.index],
                    [(_label("n_groups", lang), sizes.astype(float).tolist())],
                    x_label=_label("size_axis", lang),
                    y_label=_label("n_groups", lang),
                ),
            )
        )
    km = (
        schools.loc[schools.get(S.ROLE) == S.MEMBER, S.DISTANCE_KM].dropna()
        if S.ROLE in schools
        else []
    )
    if len(km):
        edges = np.linspace(0.0, max(float(km.max()), 0.001), 11)
        counts = (np.asarray(_histogram(km, edges)) * len(km)).round().tolist()
        out.append(
            (
                _label("chart_distance", lang),
                _bars(
                    _bin_labels(edges),
                    [(_label("n_schools", lang), counts)],
                    x_label=_label("km", lang),
                    y_label=_label("n_schools", lang),
                ),
            )
        )
    return out


_CSS = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
thead th{background:#f2f4f7}table.summary th{font-weight:normal;background:#fafafa}
.chart{width:100%;max-width:640px;font-size:11px}.charts figure{margin:1em 0}
.meta{color:#555}.ok{color:#2b7a2b}
"""


def _html_page(
    plan: Plan | pd.DataFrame,
    policy: Policy,
    metrics: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    comparison: Comparison | None,
    notes: list[str],
    lang: str,
) -> str:
    method = plan.method if isinstance(plan, Plan) else "—"
    status = plan.status if isinstance(plan, Plan) else "—"
    meta = " · ".join(
        f"{_e(_label(k, lang))}: {_e(v)}"
        for k, v in (("policy", policy.name), ("method", method), ("status", status))
    )
    charts = "".join(
        f"<figure><figcaption>{_e(title)}</figcaption>{svg}</figure>"
        for title, svg in _charts(tables, lang)
    )
    violations = tables["violations"].assign(
        rule=[_label(f"rule:{r}", lang) for r in tables["violations"]["rule"]]
    )
    checked = (
        _table(violations, lang, index=False)
        if len(violations)
        else f"<p class='ok'>{_e(_label('no_violations', lang))}</p>"
    )
    sections = [
        (
            _label("summary", lang),
            _summary_table(metrics, lang)
            + "<ul>"
            + "".join(f"<li>{_e(n)}</li>" for n in notes)
            + "</ul>",
        ),
        (
            _label("charts", lang),
            f"<div class='charts'>{charts or _e(_label('no_data', lang))}</div>",
        ),
        (_label("violations", lang), checked),
    ]
    if comparison is not None:
        sections.append((_label("comparison", lang), _comparison_html(comparison, lang)))
    sections += [
        (_label("groups", lang), _table(tables["groups"], lang)),
        (_label("schools", lang), _table(tables["schools"], lang)),
    ]
    body = "".join(
        f"<section><h2>{_e(title)}</h2>{content}</section>" for title, content in sections
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f"<!DOCTYPE html><html lang='{html_lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(_label('title', lang))} — {_e(policy.name)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{_e(_label('title', lang))}</h1><p class='meta'>{meta}</p>{body}</body></html>\n"
    )


def _comparison_html(comparison: Comparison, lang: str) -> str:
    counts = comparison.summary()
    rows = "".join(
        f"<tr><th>{_e(_label(k, lang))}</th><td>{_fmt(v, lang)}</td></tr>"
        for k, v in counts.items()
    )
    head = "".join(f"<th>{_e(_label(k, lang))}</th>" for k in ("label", "a", "b", "change"))
    body = "".join(
        f"<tr><td>{_e(_metric_label(key, lang))}</td>"
        + "".join(f"<td>{_fmt(v, lang, key)}</td>" for v in values)
        + "</tr>"
        for key, values in zip(comparison.metrics.index, comparison.metrics.to_numpy(), strict=True)
    )
    side = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    moves = (
        _table(comparison.moves, lang)
        if len(comparison.moves)
        else f"<p>{_e(_label('no_moves', lang))}</p>"
    )
    parts = [
        f"<table class='summary'><tbody>{rows}</tbody></table>",
        side,
        f"<h3>{_e(_label('moves', lang))}</h3>",
        moves,
    ]
    for name, frame in (("splits", comparison.splits), ("merges", comparison.merges)):
        if len(frame):
            parts += [f"<h3>{_e(_label(name, lang))}</h3>", _table(frame, lang, index=False)]
    return "".join(parts)
