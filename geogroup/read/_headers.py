"""Header matching for :func:`geogroup.read.read_schools`.

:data:`HEADER_ALIASES` is the one table of the headers recognised for each field of the data
contract (English and Chinese). Headers are compared after Unicode NFKC normalisation
(full-width letters become ASCII), trimming, case folding and turning runs of spaces and
hyphens into ``_``: ``" School-Name "`` matches ``school_name``. When several headers of a
file match one field, the one whose alias comes first in the table wins and the report says
so. An explicit mapping (``columns={'quality': 'house_price'}``) always wins.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from geogroup import schema
from geogroup.errors import InputError

__all__ = ["FIELDS", "HEADER_ALIASES", "LAT", "LON", "header_key", "resolve_columns"]

LON, LAT = "lon", "lat"

#: Headers recognised for each contract field, in order of preference.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    schema.SCHOOL_ID: (
        "school_id",
        "id",
        "code",
        "emis",
        "学校代码",
        "学校编码",
        "学校标识码",
        "编号",
    ),
    schema.NAME: ("name", "school_name", "school", "学校名称", "名称", "学校"),
    LON: ("lon", "lng", "longitude", "x", "经度"),
    LAT: ("lat", "latitude", "y", "纬度"),
    schema.QUALITY: ("quality", "score", "rating", "质量", "得分", "评分", "分数", "综合得分"),
    schema.AREA: ("area", "urban_rural", "城乡", "城乡类型", "城乡分类"),
    schema.LEVEL: ("level", "phase", "学段", "办学类型", "学校类型"),
    schema.STUDENTS: (
        "students",
        "learners",
        "enrolment",
        "enrollment",
        "学生数",
        "在校生数",
        "学生人数",
    ),
    schema.TEACHERS: ("teachers", "educators", "staff", "教师数", "专任教师数", "教师人数"),
    schema.LEAD_CANDIDATE: ("lead_candidate", "key_school", "龙头校", "核心校", "重点校", "优质校"),
    schema.FIXED_GROUP: ("fixed_group", "group", "集团", "所属集团"),
}

FIELDS: tuple[str, ...] = tuple(HEADER_ALIASES)

#: Keys accepted in ``columns=`` besides the field names themselves.
_FIELD_SYNONYMS = {"id": schema.SCHOOL_ID, "lng": LON, "longitude": LON, "latitude": LAT}


# --------------------------------------------------------------------------- headers


def header_key(header: object) -> str:
    """The form in which headers are compared (see the module docstring).

    Examples
    --------
    >>> header_key(" School-Name ")
    'school_name'
    >>> header_key("ＬＯＮ")
    'lon'
    """
    text = unicodedata.normalize("NFKC", str(header)).strip().casefold()
    return re.sub(r"[\s\-]+", "_", text)


def _field_of(key: str) -> str:
    key = key.strip()
    key = _FIELD_SYNONYMS.get(key, key)
    if key not in HEADER_ALIASES:
        raise InputError(
            f"columns: unknown field {key!r}; expected one of {', '.join(FIELDS)} "
            f"(or 'id' for {schema.SCHOOL_ID!r})."
        )
    return key


def _find_header(headers: Sequence[str], wanted: str, field_name: str, source: str) -> str:
    if wanted in headers:
        return wanted
    by_key = {header_key(h): h for h in headers}
    if header_key(wanted) in by_key:
        return by_key[header_key(wanted)]
    close = difflib.get_close_matches(wanted, [str(h) for h in headers], n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise InputError(
        f"{source}: no header {wanted!r} for {field_name!r}.{hint} Headers found: {_list(headers)}."
    )


def _explicit_map(
    columns: Mapping[str, str] | None, quality: str | None, id_column: str | None
) -> dict[str, str]:
    explicit = {_field_of(k): v for k, v in (columns or {}).items()}
    for name, value in ((schema.QUALITY, quality), (schema.SCHOOL_ID, id_column)):
        if value is None:
            continue
        if explicit.get(name, value) != value:
            raise InputError(
                f"{name!r} is mapped twice: {explicit[name]!r} in columns= and {value!r}; "
                "give it once."
            )
        explicit[name] = value
    return explicit


def _auto_match(
    headers: Sequence[str], field_name: str, taken: set[str]
) -> tuple[str | None, str | None]:
    keys = {h: header_key(h) for h in headers if h not in taken}
    aliases = [header_key(a) for a in HEADER_ALIASES[field_name]]
    matches = sorted(
        (h for h, k in keys.items() if k in aliases), key=lambda h: aliases.index(keys[h])
    )
    if not matches:
        return None, None
    note = None
    if len(matches) > 1:
        note = (
            f"several headers could be {field_name!r} ({_list(matches)}); used "
            f"{matches[0]!r}. Choose another with columns={{{field_name!r}: '<header>'}}."
        )
    return matches[0], note


def resolve_columns(
    headers: Sequence[str],
    *,
    columns: Mapping[str, str] | None,
    quality: str | None,
    id_column: str | None,
    needs_coordinates: bool,
    source: str,
) -> tuple[dict[str, str], list[str]]:
    """Map contract fields to the file's headers.

    Returns the map (field -> header, only for fields found) and notes for the report.
    Raises :class:`InputError` naming every required field it could not find.

    Examples
    --------
    >>> cmap, notes = resolve_columns(
    ...     ["学校名称", "经度", "纬度", "house_price"], columns={"quality": "house_price"},
    ...     quality=None, id_column=None, needs_coordinates=True, source="demo.csv")
    >>> cmap
    {'quality': 'house_price', 'name': '学校名称', 'lon': '经度', 'lat': '纬度'}
    """
    headers = [str(h) for h in headers]
    column_map = {
        f: _find_header(headers, h, f, source)
        for f, h in _explicit_map(columns, quality, id_column).items()
    }
    notes = []
    for field_name in FIELDS:
        # Without the need for coordinates (a vector file's geometry), lon/lat stay extras.
        skip = not needs_coordinates and field_name in (LON, LAT)
        if field_name in column_map or skip:
            continue
        header, note = _auto_match(headers, field_name, set(column_map.values()))
        if header is not None:
            column_map[field_name] = header
        if note:
            notes.append(note)
    _require(column_map, headers, needs_coordinates, source)
    return column_map, notes


def _require(
    column_map: Mapping[str, str], headers: Sequence[str], needs_coordinates: bool, source: str
) -> None:
    required = [schema.NAME, schema.QUALITY] + ([LON, LAT] if needs_coordinates else [])
    missing = [f for f in required if f not in column_map]
    if not missing:
        return
    known = "; ".join(f"{f}: {', '.join(HEADER_ALIASES[f])}" for f in missing)
    first = missing[0]
    raise InputError(
        f"{source}: no column for {_list(missing)} (required). Headers found: {_list(headers)}. "
        f"Say which header to use, e.g. columns={{{first!r}: '<header>'}} in Python or "
        f"--column {first}=<header> on the command line. Headers recognised without help: "
        f"{known}."
    )


def _list(items: Iterable[object], limit: int = 30, width: int = 60) -> str:
    """Items quoted and comma-separated; long lists and long items are cut (a junk file's
    "header" can be a whole line of binary)."""
    texts = [str(i) for i in items]
    quoted = [repr(t if len(t) <= width else t[:width] + "…") for t in texts[:limit]]
    more = f", … ({len(texts) - limit} more)" if len(texts) > limit else ""
    return ", ".join(quoted) + more
