"""The words of a plan file: headers and values in English and Chinese.

One table for both directions: :data:`PLAN_ALIASES` are the headers a plan file may use
for each column (what ``geogroup propose`` writes, what the report's schools sheet shows
in either language, and what a planner types), compared as :func:`header_key` compares
school-list headers; :data:`PLAN_HEADERS_ZH` and the ``*_ZH`` value tables are what
``--headers zh`` writes, and each of them reads back as what it stands for.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from geogroup import schema as S
from geogroup.errors import InputError
from geogroup.read._headers import LAT, LON, _list, header_key

__all__ = [
    "AREA_ZH",
    "DERIVED_HEADERS",
    "LEVEL_ZH",
    "PLAN_ALIASES",
    "PLAN_HEADERS_ZH",
    "REJECTED_PREFIXES",
    "REQUIRED",
    "ROLE_WORDS",
    "ROLE_ZH",
    "YES_NO_ZH",
    "alias_keys",
    "match_headers",
    "missing_fields",
    "not_a_plan",
    "role_of",
]

#: Headers of a school id column in a plan or a scores file, in order of preference.
ID_HEADERS: tuple[str, ...] = (
    "school_id",
    "school id",
    "id",
    "code",
    "emis",
    "学校编号",
    "学校代码",
    "学校编码",
    "学校标识码",
    "编号",
)

#: Headers recognised for each column of a plan file, in order of preference.
PLAN_ALIASES: dict[str, tuple[str, ...]] = {
    S.SCHOOL_ID: ID_HEADERS,
    S.NAME: ("name", "school_name", "school", "学校名称", "名称", "学校"),
    LON: ("lon", "lng", "longitude", "x", "经度"),
    LAT: ("lat", "latitude", "y", "纬度"),
    S.QUALITY: ("quality", "score", "rating", "质量", "得分", "评分", "分数", "综合得分"),
    S.AREA: ("area", "urban_rural", "城乡", "城乡类型", "城乡分类"),
    S.LEVEL: ("level", "phase", "学段", "办学类型", "学校类型"),
    S.GROUP_ID: ("group_id", "group", "集团编号", "集团", "所属集团", "集团代码", "学区"),
    S.ROLE: ("role", "角色", "身份"),
    S.LEAD_ID: ("lead_id", "lead id", "龙头校编号", "龙头校代码"),
    S.DISTANCE_KM: (
        "distance_km",
        "distance to lead (km)",
        "distance",
        "到龙头校距离（公里）",
        "到龙头校距离",
        "距离（公里）",
        "距离",
    ),
    S.REASON: ("reason", "reason unassigned", "未分组原因", "未入集团原因", "原因"),
    S.STUDENTS: ("students", "learners", "enrolment", "enrollment", "学生数", "在校生数"),
    S.TEACHERS: ("teachers", "educators", "staff", "教师数", "专任教师数"),
    S.LEAD_CANDIDATE: ("lead_candidate", "龙头校候选", "key_school"),
    S.FIXED_GROUP: ("fixed_group", "锁定集团"),
}

#: The Chinese header ``--headers zh`` writes for each column (each is one of its aliases).
PLAN_HEADERS_ZH: dict[str, str] = {
    S.SCHOOL_ID: "学校编号",
    S.NAME: "学校名称",
    LON: "经度",
    LAT: "纬度",
    S.QUALITY: "质量",
    S.AREA: "城乡",
    S.LEVEL: "学段",
    S.GROUP_ID: "集团编号",
    S.ROLE: "角色",
    S.LEAD_ID: "龙头校编号",
    S.DISTANCE_KM: "到龙头校距离（公里）",
    S.REASON: "未分组原因",
    S.STUDENTS: "学生数",
    S.TEACHERS: "教师数",
    S.LEAD_CANDIDATE: "龙头校候选",
    S.FIXED_GROUP: "锁定集团",
}

#: Columns of the report's schools sheet that the report derives from the plan (the weak
#: set, the lead pool, the lead's name): left out when a plan is read, since the rules
#: derive them again.
DERIVED_HEADERS = frozenset(
    header_key(h)
    for h in (
        *("weak", "薄弱学校", "allowed_lead", "may lead", "可任龙头校"),
        *("lead_name", "lead name", "lead", "龙头校", "龙头校名称"),
    )
)

ROLE_ZH = {S.LEAD: "龙头校", S.MEMBER: "成员校", S.UNASSIGNED: "未分组"}
AREA_ZH = {S.URBAN: "城区", S.RURAL: "乡村"}
LEVEL_ZH = {
    "primary": "小学",
    "middle": "初中",
    "nine-year": "九年一贯制",
    "secondary": "高中",
    "twelve-year": "十二年一贯制",
}
YES_NO_ZH = {True: "是", False: "否"}

#: Role words a plan file may use (compared trimmed, NFKC and case-folded).
ROLE_WORDS: dict[str, str] = {
    **{w: S.LEAD for w in ("lead", "leader", "龙头校", "龙头", "核心校", "牵头校", "学区长学校")},
    **{w: S.MEMBER for w in ("member", "成员校", "成员", "成员学校")},
    **{w: S.UNASSIGNED for w in ("unassigned", "未分组", "未入集团", "未入组", "不分组")},
}

#: How the reason of a row rejected on input starts, in each language of ``plan.csv``.
REJECTED_PREFIXES = ("rejected on input", "读入时被拒绝")

#: The columns that make a table a plan.
REQUIRED = (S.SCHOOL_ID, S.GROUP_ID, S.ROLE)


def alias_keys() -> dict[str, list[str]]:
    """Each column's aliases in the form headers are compared in, in order of preference."""
    return {f: [header_key(a) for a in aliases] for f, aliases in PLAN_ALIASES.items()}


def role_of(word: object) -> str | None:
    """The role a cell names (``'lead'``, ``'member'``, ``'unassigned'``), None when blank,
    and the word itself, trimmed, when it names none (the plan check reports it).

    Examples
    --------
    >>> role_of(" 龙头校 "), role_of("MEMBER"), role_of("boss"), role_of("")
    ('lead', 'member', 'boss', None)
    """
    if word is None or (not isinstance(word, str) and bool(pd.isna(word))):
        return None
    text = unicodedata.normalize("NFKC", str(word)).strip()
    if not text:
        return None
    return ROLE_WORDS.get(text.casefold(), text)


_KEYS = alias_keys()


def match_headers(headers: list[Any]) -> dict[str, str]:
    """Field -> header of the first column with the field's most preferred alias."""
    keys = [(h, header_key(h)) for h in headers]
    found: dict[str, str] = {}
    for field_name, aliases in _KEYS.items():
        for alias in aliases:
            hit = next((h for h, key in keys if key == alias and h not in found.values()), None)
            if hit is not None:
                found[field_name] = hit
                break
    return found


def missing_fields(columns: dict[str, str]) -> list[str]:
    return [f for f in REQUIRED if f not in columns]


def not_a_plan(label: str, missing: list[str], headers: list[Any]) -> InputError:
    wanted = "; ".join(f"{f}: {', '.join(a for a in _aliases(f))}" for f in missing)
    return InputError(
        f"{label}: this is not a plan: it lacks column(s) {', '.join(missing)}; it has "
        f"{_list(headers, limit=20)}. A plan file needs a school id, a group and a role column "
        f"({wanted}); save the plan with those headers (plan.csv, report.xlsx's schools sheet).",
        code="plan.columns",
        values={"label": label, "missing": ", ".join(missing), "found": _list(headers, limit=20)},
    )


def _aliases(field_name: str) -> list[str]:
    return (
        list(PLAN_ALIASES[field_name][:2])
        + [a for a in PLAN_ALIASES[field_name] if not a.isascii()][:2]
    )
