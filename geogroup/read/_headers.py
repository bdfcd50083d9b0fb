"""Header matching for :func:`geogroup.read.read_schools`.

:data:`HEADER_ALIASES` is the one table of the headers recognised for each field of the data
contract (English and Chinese). Headers are compared after Unicode NFKC normalisation
(full-width letters become ASCII), trimming, case folding and turning runs of spaces and
hyphens into ``_``: ``" School-Name "`` matches ``school_name``. Only the comparison is
normalised: headers and cells keep the text the file has.

The rule for two columns that could be one field
------------------------------------------------
Every header that matches an alias of a field is a candidate for it, whatever the alias's
place in the table: ``quality`` and ``score``, ``lon`` and ``x``, or the same header written
twice. A field with two candidates is an error (:class:`AmbiguousHeadersError`) naming both
columns; nothing is chosen silently. The caller picks one with ``columns={'quality':
'score'}`` (the other is then kept as an extra column); of two columns with the very same
header, the second is called ``'<header>.1'`` (as pandas names it), so ``columns={'quality':
'quality.1'}`` picks it, and ``'quality'`` alone is ambiguous. An explicit mapping
(``columns=``, ``quality=``, ``id_column=``) always wins over the aliases, and ``None``
(``columns={'area': None}``) says the file has no column for that field.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from geogroup import schema
from geogroup.errors import InputError

__all__ = [
    "FIELDS",
    "HEADER_ALIASES",
    "LAT",
    "LON",
    "AmbiguousHeadersError",
    "Match",
    "header_key",
    "match_columns",
    "resolve_columns",
]

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
        "学校编号",  # as the report and plan.csv with --headers zh write it
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
    schema.KEY_TEACHERS: (
        "key_teachers",  # "key teachers", "Key-Teachers" … read as this one (header_key)
        "backbone_teachers",
        "骨干教师数",
        "骨干教师",
        "骨干教师人数",
    ),
    schema.LEAD_CANDIDATE: (
        "lead_candidate",
        "key_school",
        "龙头校",
        "核心校",
        "重点校",
        "优质校",
        "龙头校候选",  # as plan.csv writes it with --headers zh
    ),
    schema.FIXED_GROUP: ("fixed_group", "group", "集团", "所属集团", "锁定集团"),
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


#: Each field's aliases in the form headers are compared in.
_ALIAS_KEYS: dict[str, frozenset[str]] = {
    field_name: frozenset(map(header_key, aliases))
    for field_name, aliases in HEADER_ALIASES.items()
}


def _field_of(key: object) -> str:
    key = str(key).strip()
    key = _FIELD_SYNONYMS.get(key, key)
    if key not in HEADER_ALIASES:
        raise InputError(
            f"columns: unknown field {key!r}; expected one of {', '.join(FIELDS)} "
            f"(or 'id' for {schema.SCHOOL_ID!r}).",
            code="read.unknown_field",
            values={"key": repr(key), "fields": ", ".join(FIELDS)},
        )
    return key


class AmbiguousHeadersError(InputError):
    """Two columns of a file could both be one contract field (see the module docstring)."""


def _letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based position: 0 -> 'A', 26 -> 'AA'."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class _Header:
    """One column's header: its name in the frame, as written in the file, and its place."""

    name: str
    written: str
    position: int

    def describe(self) -> str:
        renamed = f", read as {self.name!r}" if self.name != self.written else ""
        return f"{self.written!r} (column {_letter(self.position)}{renamed})"


def _headers(
    names: Sequence[str], written: Mapping[str, str] | None, places: Mapping[str, int] | None
) -> list[_Header]:
    written, places = written or {}, places or {}
    return [
        _Header(n, str(written.get(n, n)), places.get(n, i)) for i, n in enumerate(map(str, names))
    ]


def _ambiguous(field_name: str, candidates: list[_Header], source: str) -> AmbiguousHeadersError:
    shown = " and ".join(h.describe() for h in candidates[:2])
    more = f" (and {len(candidates) - 2} more)" if len(candidates) > 2 else ""
    pick = candidates[1].name
    same = len({h.written for h in candidates}) < len(candidates)
    rename = " or rename one of the two same headers in the file," if same else ""
    return AmbiguousHeadersError(
        f"{source}: {len(candidates)} columns could be {field_name!r}: {shown}{more}. Say which "
        f"to read, e.g. columns={{{field_name!r}: {pick!r}}} in Python or --column "
        f"{field_name}={pick} on the command line,{rename} or delete the one that is not "
        f"{field_name!r}; the other is then kept as an extra column.",
        code="read.ambiguous",
        values={
            "rest_source": source,
            "count": len(candidates),
            "field": field_name,
            "rest_shown": [h.describe() for h in candidates[:2]],
            "rest_more": more.strip(),
            "pick": pick,
            "rest_rename": rename.strip(" ,"),
        },
    )


def _find_header(headers: list[_Header], wanted: str, field_name: str, source: str) -> _Header:
    exact = [h for h in headers if h.name == wanted]
    if exact:
        same = [h for h in headers if h.written == exact[0].written]
        if len(same) > 1 and exact[0].name == exact[0].written:
            raise _ambiguous(field_name, same, source)
        return exact[0]
    loose = [h for h in headers if header_key(h.written) == header_key(wanted)]
    if len(loose) > 1:
        raise _ambiguous(field_name, loose, source)
    if loose:
        return loose[0]
    names = [h.name for h in headers]
    close = difflib.get_close_matches(wanted, names, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise InputError(
        f"{source}: no header {wanted!r} for {field_name!r}.{hint} Headers found: {_list(names)}.",
        code="read.header_missing",
        values={
            "rest_source": source,
            "wanted": repr(wanted),
            "field": repr(field_name),
            "rest_hint": hint.strip(),
            "found": _list(names),
        },
    )


def _explicit_map(
    columns: Mapping[str, str | None] | None, quality: str | None, id_column: str | None
) -> dict[str, str | None]:
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
    for name, value in explicit.items():
        if value is not None and not isinstance(value, str):
            raise InputError(
                f"columns: the header for {name!r} must be text (or None for no column), "
                f"got {value!r}."
            )
    return explicit


@dataclass(frozen=True)
class Match:
    """Field -> header found, required fields with no candidate, fields with several."""

    column_map: dict[str, str]
    missing: list[str]
    ambiguous: dict[str, list[_Header]]


def match_columns(
    headers: Sequence[str],
    *,
    columns: Mapping[str, str | None] | None,
    quality: str | None,
    id_column: str | None,
    needs_coordinates: bool,
    source: str,
    written: Mapping[str, str] | None = None,
    places: Mapping[str, int] | None = None,
) -> Match:
    """Candidates for every field, without raising on ambiguity or absence (a header search
    asks whether a row *could* be the header)."""
    found = _headers(headers, written, places)
    explicit = _explicit_map(columns, quality, id_column)
    column_map = {
        f: _find_header(found, h, f, source).name for f, h in explicit.items() if h is not None
    }
    taken = set(column_map.values())
    keys = [(h, header_key(h.written)) for h in found if h.name not in taken]
    ambiguous = {}
    for field_name in FIELDS:
        # Without the need for coordinates (a vector file's geometry), lon/lat stay extras.
        skip = not needs_coordinates and field_name in (LON, LAT)
        if field_name in explicit or skip:
            continue
        aliases = _ALIAS_KEYS[field_name]
        candidates = [h for h, key in keys if key in aliases]
        if len(candidates) > 1:
            ambiguous[field_name] = candidates
        elif candidates:
            column_map[field_name] = candidates[0].name
    required = [schema.NAME, schema.QUALITY] + ([LON, LAT] if needs_coordinates else [])
    missing = [f for f in required if f not in column_map and f not in ambiguous]
    return Match(column_map, missing, ambiguous)


def resolve_columns(
    headers: Sequence[str],
    *,
    columns: Mapping[str, str | None] | None,
    quality: str | None,
    id_column: str | None,
    needs_coordinates: bool,
    source: str,
    written: Mapping[str, str] | None = None,
    places: Mapping[str, int] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Map contract fields to the file's headers.

    ``headers`` are the frame's (unique) column names; ``written`` maps a renamed one
    (``'quality.1'``) to the header as the file writes it (``'quality'``), and ``places``
    a column to its 0-based place in the file when the frame left columns out (messages
    name columns by their spreadsheet letter). Returns the map
    (field -> header, only for fields found) and notes for the report. Raises
    :class:`AmbiguousHeadersError` when two columns could be one field (the module docstring's
    rule), and :class:`InputError` naming every required field it could not find.

    Examples
    --------
    >>> cmap, notes = resolve_columns(
    ...     ["学校名称", "经度", "纬度", "house_price"], columns={"quality": "house_price"},
    ...     quality=None, id_column=None, needs_coordinates=True, source="demo.csv")
    >>> cmap
    {'quality': 'house_price', 'name': '学校名称', 'lon': '经度', 'lat': '纬度'}
    >>> resolve_columns(
    ...     ["name", "lon", "lat", "quality", "score"], columns=None, quality=None,
    ...     id_column=None, needs_coordinates=True, source="s.csv")
    Traceback (most recent call last):
    ...
    geogroup.read._headers.AmbiguousHeadersError: s.csv: 2 columns could be 'quality': ...
    """
    match = match_columns(
        headers,
        columns=columns,
        quality=quality,
        id_column=id_column,
        needs_coordinates=needs_coordinates,
        source=source,
        written=written,
        places=places,
    )
    if match.ambiguous:
        field_name, candidates = next(iter(match.ambiguous.items()))
        raise _ambiguous(field_name, candidates, source)
    _require(match.column_map, [str(h) for h in headers], needs_coordinates, source)
    return match.column_map, []


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
        f"{known}.",
        code="read.columns",
        values={
            "rest_source": source,
            "missing": _list(missing),
            "found": _list(headers),
            "first": first,
            "known": known,
        },
    )


def _list(items: Iterable[object], limit: int = 30, width: int = 60) -> str:
    """Items quoted and comma-separated; long lists and long items are cut (a junk file's
    "header" can be a whole line of binary)."""
    texts = [str(i) for i in items]
    quoted = [repr(t if len(t) <= width else t[:width] + "…") for t in texts[:limit]]
    more = f", … ({len(texts) - limit} more)" if len(texts) > limit else ""
    return ", ".join(quoted) + more
