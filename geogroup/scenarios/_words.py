"""The words of the scenarios: labels (``labels.toml``, Chinese and English) and the reason
for the recommended plan, written out with its numbers in both languages."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

from geogroup.errors import PolicyError
from geogroup.scenarios._run import Scenario

__all__ = ["LANGS", "labels", "proof_words", "reasons"]

LANGS = ("zh", "en")


@functools.cache
def _all_labels() -> dict[str, dict[str, str]]:
    text = resources.files("geogroup.scenarios").joinpath("labels.toml").read_text("utf-8")
    return tomllib.loads(text)


def labels(lang: str) -> dict[str, str]:
    """The labels of one language.

    Examples
    --------
    >>> labels("en")["balance"], labels("zh")["balance"]
    ('balance gap (SD)', '均衡偏差（标准差）')
    """
    if lang not in LANGS:
        raise PolicyError(f"lang: expected one of {', '.join(LANGS)}, got {lang!r}")
    return dict(_all_labels()[lang])


def proof_words(s: Scenario, lang: str) -> str:
    """What is proven of a plan at its weight, in words."""
    if s.status == "optimal" and s.gap is not None and s.gap <= 1e-4:
        return "已证明最优" if lang == "zh" else "proven optimal"
    if s.gap is not None:
        return (
            f"已证明与最优相差不超过 {s.gap:.2%}"
            if lang == "zh"
            else f"proven within {s.gap:.2%} of the optimum"
        )
    if s.method == "exact":
        return (
            "到时限停止，尚无下界，无最优性证明"
            if lang == "zh"
            else "stopped at its time limit before a bound, no proof of optimality"
        )
    return (
        "启发式方案，无最优性证明" if lang == "zh" else "a heuristic plan, no proof of optimality"
    )


def _weight(w: float) -> str:
    return f"{w:g}"


def reasons(front: list[Scenario], chosen: Scenario, best: Scenario) -> dict[str, str]:
    """Why ``chosen`` (the knee of ``front``, the non-dominated plans by ascending distance)
    is recommended, in Chinese and English; ``best`` is the best plan at the policy's own
    weight."""
    return {lang: _reason(front, chosen, best, lang) for lang in LANGS}


def _reason(front: list[Scenario], chosen: Scenario, best: Scenario, lang: str) -> str:
    zh = lang == "zh"
    head = (
        f"推荐 {chosen.id}（均衡权重 {_weight(chosen.weight)}，{chosen.method}，"
        f"{proof_words(chosen, lang)}）："
        if zh
        else f"Recommended: {chosen.id} (balance weight {_weight(chosen.weight)}, "
        f"{chosen.method}, {proof_words(chosen, lang)}). "
    )
    parts = [head + _where(front, chosen, zh)]
    position = front.index(chosen)
    if position + 1 < len(front):
        nxt = front[position + 1]
        extra = nxt.distance - chosen.distance
        parts.append(
            f"再往前一步的 {nxt.id} 可将均衡偏差降到 {nxt.balance:.3f}，但每校平均距离再多 "
            f"{extra:.2f} 公里。"
            if zh
            else f"The next point, {nxt.id}, would lower the gap to {nxt.balance:.3f} for "
            f"{extra:.2f} km more per school."
        )
    elif len(front) > 1:
        parts.append(
            "前沿上没有更均衡的方案。" if zh else "No plan on the front is better balanced."
        )
    if chosen.id not in (best.id, best.same_as):
        parts.append(
            f"按政策自身的权重（{_weight(best.weight)}），最优方案是 {best.id}"
            f"（平均距离 {best.distance:.2f} 公里，均衡偏差 {best.balance:.3f}）。"
            if zh
            else f"At the policy's own weight ({_weight(best.weight)}) the best plan is "
            f"{best.id} ({best.distance:.2f} km, balance gap {best.balance:.3f})."
        )
    return "".join(parts) if zh else " ".join(parts)


def _where(front: list[Scenario], chosen: Scenario, zh: bool) -> str:
    """Where the plan sits against the plan with the shortest distances."""
    shortest = front[0]
    if len(front) == 1:
        return (
            f"唯一不被支配的方案，学校到龙头校的平均距离 {chosen.distance:.2f} 公里，均衡偏差 "
            f"{chosen.balance:.3f} 个标准差。"
            if zh
            else f"The only plan on the front: a school is on average {chosen.distance:.2f} km "
            f"from its lead, and the balance gap is {chosen.balance:.3f} standard deviations."
        )
    if chosen is shortest:
        return (
            f"它是权衡曲线的拐点，也是距离最短的方案：学校到龙头校的平均距离 "
            f"{chosen.distance:.2f} 公里，均衡偏差 {chosen.balance:.3f} 个标准差。"
            if zh
            else f"It is the knee of the trade-off and the plan with the shortest distances: a "
            f"school is on average {chosen.distance:.2f} km from its lead, and the balance gap "
            f"is {chosen.balance:.3f} standard deviations."
        )
    more = chosen.distance - shortest.distance
    less = 1.0 - chosen.balance / shortest.balance if shortest.balance > 0 else 0.0
    return (
        f"它是权衡曲线的拐点。学校到龙头校的平均距离 {chosen.distance:.2f} 公里，比距离最短的"
        f"方案 {shortest.id}（{shortest.distance:.2f} 公里）多 {more:.2f} 公里；均衡偏差 "
        f"{chosen.balance:.3f} 个标准差，比 {shortest.id}（{shortest.balance:.3f}）减少 "
        f"{less:.0%}。"
        if zh
        else f"It is the knee of the trade-off: a school is on average {chosen.distance:.2f} km "
        f"from its lead, {more:.2f} km more than in the plan with the shortest distances "
        f"({shortest.id}, {shortest.distance:.2f} km), and the balance gap is "
        f"{chosen.balance:.3f} standard deviations, {less:.0%} less than there "
        f"({shortest.balance:.3f})."
    )
