"""Labels of the report and the maps, read once from ``labels/<lang>.toml``.

Each file has a ``[report]`` table (:data:`LABELS`) and a ``[map]`` table
(:data:`MAP_LABELS`): translators edit text files, not code.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from geogroup import schema as S

__all__ = [
    "CODED",
    "LABELS",
    "LANGS",
    "MAP_LABELS",
    "label",
    "metric_label",
    "reason_text",
    "reasons_in",
]

LANGS = ("zh", "en")
"""The languages, in the order error messages list them."""

CODED = {S.ROLE, S.AREA, "lead_area", "role_a", "role_b"}
"""Report columns of codes (``lead``, ``urban``, …), shown translated by their ``v:`` labels."""

# Metric keys that also name a report section get a label of their own.
_METRIC_LABEL_KEYS = {"schools": "schools_n", "groups": "groups_n"}


def _read(lang: str) -> dict[str, Any]:
    path = resources.files("geogroup.present") / "labels" / f"{lang}.toml"
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    for part in ("report", "map"):
        table = tables.get(part)
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise RuntimeError(f"geogroup: labels/{lang}.toml needs a [{part}] table of strings")
    return tables


_TABLES = {lang: _read(lang) for lang in LANGS}

LABELS: dict[str, dict[str, str]] = {lang: t["report"] for lang, t in _TABLES.items()}
"""Every label of the report, by language and key; a key without a label shows as itself."""

MAP_LABELS: dict[str, dict[str, str]] = {lang: t["map"] for lang, t in _TABLES.items()}
"""Every label of the maps, by language and key."""

_REASONS: dict[str, list[tuple[str, str]]] = {
    lang: sorted(t.get("reasons", {}).items(), key=lambda item: -len(item[0]))
    for lang, t in _TABLES.items()
}


def reason_text(reason: str, lang: str) -> str:
    """A reason (of a rejected row or a school left out) in ``lang``: the ``[reasons]``
    phrase of the longest English words it begins with (after a unit's ``label: ``, if
    any), else as written.

    Examples
    --------
    >>> reason_text("missing longitude", "zh"), reason_text("Vhembe: no grouping of 9", "zh")
    ('缺少经度', 'Vhembe: 没有满足全部规则的分组方案')
    >>> reason_text("missing longitude", "en")
    'missing longitude'
    """
    head, sep, rest = reason.partition(": ")
    for words, text in _REASONS.get(lang, []):
        if reason.startswith(words):
            return text
        if sep and rest.startswith(words):
            return f"{head}: {text}"
    return reason


def reasons_in(values: Any, lang: str) -> list[Any]:
    """Each reason of ``values`` (a column of them; None and NaN kept) by
    :func:`reason_text` in ``lang``; several joined by ``; `` (a rejected row's problems,
    ``column 'cell': reason``), each one.

    Examples
    --------
    >>> reasons_in(["lat '.': missing latitude; lon '.': missing longitude", None], "zh")
    ["lat '.': 缺少纬度; lon '.': 缺少经度", None]
    """
    shown: dict[str, str] = {}
    out = []
    for value in values:
        if not isinstance(value, str):
            out.append(value)
            continue
        if value not in shown:
            shown[value] = "; ".join(reason_text(part, lang) for part in value.split("; "))
        out.append(shown[value])
    return out


def label(key: str, lang: str) -> str:
    """The report's label of ``key``, or ``key`` itself.

    Examples
    --------
    >>> label("summary", "en"), label("no such key", "en")
    ('Summary', 'no such key')
    """
    return LABELS[lang].get(key, key)


def metric_label(key: str, lang: str) -> str:
    """The label of a metric of :func:`~geogroup.evaluate.plan_metrics`.

    Examples
    --------
    >>> metric_label("schools", "zh"), label("schools", "zh")
    ('读入学校数', '学校')
    """
    return label(_METRIC_LABEL_KEYS.get(key, key), lang)
