"""The scenarios on disk: every plan's files, the table, the chart, the page.

``write_scenarios`` writes each distinct plan's files (those of ``geogroup propose``:
:func:`geogroup.present.output_writers`) into ``plans/<id>/``, each folder as one set, and
then the study's own files into the output folder as one set (:func:`write_set`):
``scenarios.csv`` (the table), ``moves.csv`` (the schools in another group than in the best
plan, per alternative), ``front.png`` and ``front.svg`` (the chart), ``scenarios.html``
(the page: recommendation, chart, tables, maps side by side in frames) and
``scenarios.json``; ``timings.json`` holds the seconds, the one file that differs from run
to run. The page is rendered by jinja2 with autoescaping: every name is escaped.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from geogroup import schema as S
from geogroup.outputs import atomic_write, write_set
from geogroup.plan import csv_safe
from geogroup.present import output_writers
from geogroup.scenarios._chart import chart_bytes, front_chart
from geogroup.scenarios._words import LANGS, labels

# ``Scenarios`` (of ``_study``, which writes through this module) is annotated ``Any`` here:
# importing it would make the two modules import each other.
Scenarios = Any

__all__ = ["write_scenarios"]

MAX_MAPS = 4


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("geogroup.scenarios", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def write_scenarios(
    result: Scenarios,
    out_dir: str | Path,
    *,
    lang: str = "zh",
    map_options: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """See :meth:`Scenarios.write`."""
    labels(lang)  # a bad language fails before anything is written
    out = Path(out_dir)
    fig = front_chart(result.table, lang)
    own = {
        "scenarios.csv": _csv_writer(result.table),
        "moves.csv": _csv_writer(result.moves),
        "front.png": _bytes_writer(chart_bytes(fig, "png")),
        "front.svg": _bytes_writer(chart_bytes(fig, "svg")),
        "scenarios.html": _bytes_writer(page(result, lang).encode("utf-8")),
        "scenarios.json": _bytes_writer(_json(_summary(result))),
        "timings.json": _bytes_writer(_json({"seconds": result.seconds})),
    }
    paths: dict[str, Path] = {}
    for sid, plan in result.plans.items():
        writers = output_writers(plan, lang=lang, map_options=map_options)
        written = write_set(out / "plans" / sid, writers)
        paths |= {f"plans/{sid}/{name}": path for name, path in written.items()}
    return paths | write_set(out, own)


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], Any]:
    data = csv_safe(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    return _bytes_writer(data)


def _bytes_writer(data: bytes) -> Callable[[Path], Any]:
    return functools.partial(atomic_write, data=data)


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")


def _summary(result: Scenarios) -> dict[str, Any]:
    return {
        "params": result.params,
        "best": result.best,
        "recommended": result.recommended,
        "reason": result.reason,
        "front": result.front["id"].tolist(),
        "alternatives": result.alternatives["id"].tolist(),
        "differences": {
            a: result.differences.loc[a].astype(int).to_dict() for a in result.differences.index
        },
        "notes": result.notes,
    }


# --- the page -------------------------------------------------------------------------------


def page(result: Scenarios, lang: str = "zh") -> str:
    """The scenarios page as HTML text (every value escaped)."""
    L = labels(lang)  # noqa: N806  (reads as the page's labels, as in the template)
    other = next(x for x in LANGS if x != lang)
    table = result.table
    front = table[table["kind"] == "front"]
    alternatives = table[table["kind"] == "alternative"]
    context = {
        "L": L,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "other_lang": "zh-CN" if other == "zh" else "en",
        "policy": result.params.get("policy", ""),
        "subtitle": L["subtitle"].format(
            policy=result.params.get("policy", ""),
            schools=result.params.get("schools", ""),
            weights=", ".join(f"{w:g}" for w in result.params.get("weights", [])),
        ),
        "recommended": result.recommended,
        "reason": result.reason[lang],
        "other_reason": result.reason[other],
        "front_columns": [L[k] for k in _FRONT_COLUMNS] + [L["files"]],
        "front_rows": [_front_row(result, row, L, lang) for row in front.itertuples()],
        "front_maps": _maps(result, _front_picks(result), L, lang),
        "alternatives_help": L["alternatives_help"].format(
            weight=f"{result.params.get('policy_weight', 0):g}",
            best=result.best,
            within=f"{result.params.get('within', 0):.1%}",
            need=result.params.get("need", ""),
        ),
        "alternative_columns": [L[k] for k in _ALTERNATIVE_COLUMNS] + [L["files"]],
        "alternative_rows": [
            _alternative_row(result, row, L, lang) for row in alternatives.itertuples()
        ],
        "pairwise": _pairwise(result),
        "alternative_maps": _maps(result, [result.best, *alternatives["id"]], L, lang),
        "move_columns": [L["school_id"], L["school"], L["group_best"], L["group_alternative"]],
        "moves": _move_blocks(result),
        "notes": result.notes,
    }
    return _templates().get_template("scenarios.html.j2").render(**context)


_FRONT_COLUMNS = ("id", "weight", "method", "how", "status", "gap", "distance", "balance",
                  "member_distance", "groups", "on_front", "dominated_by", "same_as")  # fmt: skip
_ALTERNATIVE_COLUMNS = ("id", "how", "status", "objective", "pct_from_best", "moved_from_best",
                        "gap", "distance", "balance", "groups")  # fmt: skip


def _num(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    return format(value, fmt)


def _status(status: str, L: dict[str, str]) -> str:  # noqa: N803
    return L.get(f"status_{status}", status)


def how_words(result: Scenarios, row: Any, lang: str) -> str:
    """How a row's plan was obtained, in the page's language."""
    zh = lang == "zh"
    if isinstance(row.left_out, str):
        schools = result.plans[result.folder_of(result.best)].schools
        shown = ", ".join(
            f"{sid} {schools.loc[sid, S.NAME]}" if sid in schools.index else sid
            for sid in row.left_out.split(" ")
        )
        return f"{row.method}，不用龙头校 {shown}" if zh else f"{row.method}, without lead {shown}"
    if row.kind == "alternative" and isinstance(row.same_as, str):
        return f"权重扫描（{row.same_as}）" if zh else f"weight sweep ({row.same_as})"
    if row.kind == "alternative":
        return f"{row.method}，随机种子 {row.seed}" if zh else f"{row.method}, seed {row.seed}"
    return "权重扫描" if zh else "weight sweep"


def _css(row: Any, result: Scenarios) -> str:
    if row.id == result.recommended:
        return "recommended"
    return "dominated" if row.kind == "front" and not row.on_front else ""


def _front_row(result: Scenarios, row: Any, L: dict[str, str], lang: str) -> dict[str, Any]:  # noqa: N803
    cells = [
        row.id, f"{row.weight:g}", row.method, how_words(result, row, lang),
        _status(row.status, L), _percent(row.gap), _num(row.distance_km, ".3f"),
        _num(row.balance_gap, ".4f"), _num(row.member_distance_km, ".3f"), row.groups,
        L["yes"] if row.on_front else L["no"], row.dominated_by or "", row.same_as or "",
    ]  # fmt: skip
    return {"cells": cells, "css": _css(row, result), "folder": result.folder_of(row.id)}


def _alternative_row(result: Scenarios, row: Any, L: dict[str, str], lang: str) -> dict[str, Any]:  # noqa: N803
    cells = [
        row.id, how_words(result, row, lang), _status(row.status, L),
        _num(row.objective, ".4f"), _num(row.pct_from_best, ".2f"), row.moved_from_best,
        _percent(row.gap), _num(row.distance_km, ".3f"), _num(row.balance_gap, ".4f"),
        row.groups,
    ]  # fmt: skip
    return {"cells": cells, "css": "", "folder": result.folder_of(row.id)}


def _percent(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.2%}"


def _front_picks(result: Scenarios) -> list[str]:
    """Up to four plans of the front to show side by side: the shortest distances, the
    recommended, the best at the policy's weight and the best balanced, by distance."""
    front = result.front
    if front.empty:
        return [result.recommended]
    picks = [
        front["id"].iloc[0],
        result.recommended,
        result.folder_of(result.best),
        front.sort_values(["balance_gap", "distance_km"])["id"].iloc[0],
    ]
    unique = list(dict.fromkeys(picks))
    order = {sid: i for i, sid in enumerate(result.table["id"])}
    return sorted(
        unique, key=lambda s: (result.table.set_index("id").loc[s, "distance_km"], order[s])
    )[:MAX_MAPS]


def _maps(result: Scenarios, ids: list[str], L: dict[str, str], lang: str) -> list[dict[str, str]]:  # noqa: N803
    rows = result.table.set_index("id")
    out = []
    for sid in list(dict.fromkeys(ids))[:MAX_MAPS]:
        row = rows.loc[sid]
        caption = (
            f"{sid} · {L['weight']} {row['weight']:g} · {L['distance']} {row['distance_km']:.2f}"
            f" · {L['balance']} {row['balance_gap']:.3f}"
        )
        out.append({"folder": result.folder_of(sid), "caption": caption})
    return out


def _group(value: Any) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _pairwise(result: Scenarios) -> dict[str, Any]:
    ids = list(result.differences.index)
    rows = [{"id": a, "cells": [int(v) for v in result.differences.loc[a]]} for a in ids]
    return {"ids": ids, "rows": rows}


def _move_blocks(result: Scenarios) -> list[dict[str, Any]]:
    blocks = []
    for sid, moves in result.moves.groupby("alternative", sort=True):
        rows = [
            [r.school_id, r.name, _group(r.group_best), _group(r.group_alternative)]
            for r in moves.itertuples()
        ]
        blocks.append({"id": sid, "count": len(rows), "rows": rows})
    return blocks
