"""Column names of the schools data contract and of plans: the one place they are spelled.

See ``docs/data-contract.md`` for the page that documents them.
"""

from __future__ import annotations

__all__ = [
    "AREA",
    "AREA_VALUES",
    "DISTANCE_KM",
    "FIXED_GROUP",
    "GEOMETRY",
    "GROUP_ID",
    "KEY_TEACHERS",
    "LEAD",
    "LEAD_CANDIDATE",
    "LEAD_ID",
    "LEVEL",
    "MEMBER",
    "NAME",
    "QUALITY",
    "REASON",
    "ROLE",
    "ROLES",
    "RURAL",
    "SCHOOL_ID",
    "STUDENTS",
    "TEACHERS",
    "UNASSIGNED",
    "URBAN",
    "WGS84",
]

WGS84 = "EPSG:4326"

# Schools
SCHOOL_ID = "school_id"  # the index name
NAME = "name"
QUALITY = "quality"  # float, higher is better
AREA = "area"  # 'urban' / 'rural'
LEVEL = "level"  # 'primary' / 'middle' / 'nine-year' / 'secondary' / ...
STUDENTS = "students"
TEACHERS = "teachers"
KEY_TEACHERS = "key_teachers"  # 骨干教师: optional, kept only when the file has the column
LEAD_CANDIDATE = "lead_candidate"  # bool
FIXED_GROUP = "fixed_group"  # str, locks a school into a group
GEOMETRY = "geometry"

URBAN = "urban"
RURAL = "rural"
AREA_VALUES = (URBAN, RURAL)

# Plans
GROUP_ID = "group_id"
ROLE = "role"
LEAD_ID = "lead_id"
DISTANCE_KM = "distance_km"
REASON = "reason"

LEAD = "lead"
MEMBER = "member"
UNASSIGNED = "unassigned"
ROLES = (LEAD, MEMBER, UNASSIGNED)
