"""The key figures of a plan in plain words, the same on the summary page and in the report:
groups, coverage (and the policy's coverage target), balance, distances, urban–rural
pairing, assistance of weak schools, teacher exchange, the rule check, the schools left out
and why, and value added when two years of scores were given."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from geogroup import schema as S
from geogroup.present._labels import label, reason_text
from geogroup.present._measure import Measured, coverage_checks
from geogroup.present._numbers import percent, shown

__all__ = ["key_figures", "reason_counts", "target_lines"]

_SHOWN_REASONS = 3


def _q(value: Any) -> str:
    return shown(value, "quality") or "—"


def _km(value: Any) -> str:
    return shown(value, "distance_km") or "—"


def reason_counts(reasons: pd.Series | list[Any]) -> list[tuple[str, int]]:
    """Reasons by kind (the text before ``;`` or `` (``: ``'beyond the cap (12 km)'`` and
    ``'beyond the cap (15 km)'`` are one kind), most frequent first, then by name."""
    kinds = Counter()
    for reason in reasons:
        text = (
            ""
            if reason is None or (not isinstance(reason, str) and pd.isna(reason))
            else str(reason)
        )
        kind = text.split(";", 1)[0].split(" (", 1)[0].split("（", 1)[0].strip() or "—"
        kinds[kind] += 1
    return sorted(kinds.items(), key=lambda item: (-item[1], item[0]))


def _reasons(counts: list[tuple[str, int]], lang: str) -> str:
    parts = [
        label("sum_reason", lang).format(reason=reason_text(reason, lang), n=n)
        for reason, n in counts[:_SHOWN_REASONS]
    ]
    if len(counts) > _SHOWN_REASONS:
        parts.append(label("sum_more_reasons", lang).format(n=len(counts)))
    return label("list_sep", lang).join(parts)


def target_lines(measured: Measured, lang: str) -> list[str]:
    """One sentence per coverage figure against the policy's target ("参与率 82%，目标 80%：
    达标。"); none without a target."""
    out = []
    for key, value, target, met in coverage_checks(measured):
        gap = f"{100 * (target - value):.1f}"
        verdict = label("target_met", lang) if met else label("target_missed", lang).format(gap=gap)
        out.append(
            label("sum_target", lang).format(
                name=label(f"target:{key}", lang),
                value=percent(value),
                target=percent(target),
                verdict=verdict,
            )
        )
    return out


def _groups_line(m: dict[str, Any], lang: str) -> str:
    if not m.get("groups"):
        return label("sum_no_groups", lang)
    return label("sum_groups", lang).format(
        groups=m["groups"],
        assigned=m["schools"] - m["unassigned"],
        leads=m["leads"],
        members=m["members"],
        smin=m["group_size_min"],
        smax=m["group_size_max"],
    )


def _coverage_line(m: dict[str, Any], lang: str) -> str:
    return label("sum_coverage", lang).format(
        share=percent(m["coverage"] or 0.0),
        schools=m["schools"],
        share_rows=percent(m["coverage_input_rows"] or 0.0),
        rows=m["input_rows"],
    )


def _balance_line(measured: Measured, lang: str) -> str | None:
    m = measured.metrics
    if not m.get("groups") or m.get("group_mean_min") is None:
        return None
    groups = measured.view.groups
    if measured.view.one_unit:
        return label("sum_balance", lang).format(
            low=_q(m["group_mean_min"]),
            high=_q(m["group_mean_max"]),
            mean=_q(float(groups["unit_mean"].iloc[0])),
            sd=_q(m["group_mean_sd"]),
        )
    deviation = groups["deviation"].dropna()
    return label("sum_balance_units", lang).format(
        low=_q(deviation.min()), high=_q(deviation.max()), sd=_q(m["group_mean_sd"])
    )


def _distance_line(m: dict[str, Any], lang: str) -> str:
    if m.get("distance_mean_km") is None:
        return label("sum_no_distance", lang)
    return label("sum_distance", lang).format(
        mean=_km(m["distance_mean_km"]),
        p95=_km(m["distance_p95_km"]),
        max=_km(m["distance_max_km"]),
    )


def _pairing_lines(m: dict[str, Any], lang: str) -> list[str]:
    out = []
    if m.get("rural_schools"):
        out.append(
            label("sum_pairing", lang).format(
                share=percent(m["rural_with_urban_lead_share"] or 0.0),
                n=m["rural_with_urban_lead"],
                rural=m["rural_schools"],
                mixed=m["mixed_groups"] or 0,
            )
        )
    if m.get("weak_coverage") is not None and m.get("weak_schools"):
        out.append(
            label("sum_weak", lang).format(
                share=percent(m["weak_coverage"]), n=m["weak_covered"], weak=m["weak_schools"]
            )
        )
    return out


def _exchange_line(measured: Measured, lang: str) -> str | None:
    m = measured.metrics
    if m.get("teachers_quota") is None:
        return None
    key = ""
    if m.get("key_teachers_quota") is not None:
        key = label("sum_exchange_key", lang).format(
            rate=percent(measured.policy.key_exchange_rate), quota=m["key_teachers_quota"]
        )
    return label("sum_exchange", lang).format(
        rate=percent(measured.policy.exchange_rate), quota=m["teachers_quota"], key=key
    )


def _rules_line(measured: Measured, lang: str) -> str:
    violations = measured.violations
    if violations.empty:
        return label("sum_rules_ok", lang).format(policy=measured.policy.name)
    counts = violations["rule"].value_counts(sort=False)
    order = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    rules = label("list_sep", lang).join(
        label("sum_rule_count", lang).format(rule=label(f"rule:{rule}", lang), n=n)
        for rule, n in order
    )
    return label("sum_rules_bad", lang).format(n=len(violations), rules=rules)


def _left_out_lines(measured: Measured, lang: str) -> list[str]:
    unassigned = measured.unassigned
    rejected = measured.rejected_rows
    if unassigned.empty and rejected.empty:
        return [label("sum_left_out", lang)]
    out = []
    if unassigned.empty:
        out.append(label("sum_unassigned_none", lang))
    else:
        reasons = unassigned[S.REASON] if S.REASON in unassigned else [None] * len(unassigned)
        out.append(
            label("sum_unassigned", lang).format(
                n=len(unassigned), reasons=_reasons(reason_counts(reasons), lang)
            )
        )
    if rejected.empty:
        out.append(label("sum_rejected_none", lang))
    else:
        # a row's first problem names it: "经度: missing longitude" counts as its kind
        firsts = measured.rejected.drop_duplicates("row")["reason"]
        out.append(
            label("sum_rejected", lang).format(
                n=len(rejected), reasons=_reasons(reason_counts(firsts), lang)
            )
        )
    return out


def _value_added_line(measured: Measured, lang: str) -> str | None:
    va = measured.value_added
    if va is None:
        return None
    change = va.groups["gap_change"].dropna()
    if change.empty:
        return None
    spread = va.spread
    return label("sum_value_added", lang).format(
        n=len(change),
        better=int((change < 0).sum()),
        change=_q(float(change.mean())).replace("-0.0", "0.0"),
        before=_q(spread.loc["sd", "before"]),
        after=_q(spread.loc["sd", "after"]),
    )


def key_figures(measured: Measured, lang: str) -> list[str]:
    """The key figures of a plan as sentences, in the order a meeting reads them."""
    m = measured.metrics
    lines: list[str | None] = [
        _groups_line(m, lang),
        _coverage_line(m, lang),
        *target_lines(measured, lang),
        _balance_line(measured, lang),
        _distance_line(m, lang),
        *_pairing_lines(m, lang),
        _exchange_line(measured, lang),
        _value_added_line(measured, lang),
        _rules_line(measured, lang),
        *_left_out_lines(measured, lang),
    ]
    return [line for line in lines if line]
