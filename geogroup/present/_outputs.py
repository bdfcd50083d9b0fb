"""Every file of a proposal by its default name, to be written as one set."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from geogroup.evaluate import Comparison
from geogroup.plan import Plan
from geogroup.policy import Policy
from geogroup.present._maps import save_map
from geogroup.present._summary import meeting_writers

__all__ = ["output_writers"]


def output_writers(
    plan: Plan,
    *,
    lang: str = "zh",
    policy: str | Policy | None = None,
    comparison: Comparison | None = None,
    map_options: Mapping[str, Any] | None = None,
    executor: Any = None,
) -> dict[str, Callable[[Path], Any]]:
    """The writers of every file ``geogroup propose`` writes, by default name, for
    :func:`geogroup.outputs.write_set`: the plan's (:meth:`~geogroup.plan.Plan.writers`),
    the report's and the one-page summary's (:func:`meeting_writers`, with ``lang``,
    ``policy`` and ``comparison``; the summary on the ``boundary`` of ``map_options`` when
    it has one) and ``map.html`` (:func:`save_map` with ``lang`` and ``map_options``).
    The summary's two files come last: given an ``executor`` (of processes), the page is
    drawn in one of them while this process writes the others.

    Examples
    --------
    >>> import tempfile, geogroup as gg
    >>> from geogroup.outputs import write_set
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     sorted(p.name for p in write_set(out, output_writers(plan, lang="en")).values())
    ... # doctest: +NORMALIZE_WHITESPACE
    ['groups.csv', 'map.html', 'metrics.json', 'plan.csv', 'plan.gpkg', 'plan.json',
     'report.html', 'report.xlsx', 'summary.json', 'summary.pdf', 'summary.png',
     'timings.json']
    """
    writers = plan.writers()
    boundary = (map_options or {}).get("boundary")
    meeting = meeting_writers(
        plan, lang=lang, policy=policy, comparison=comparison, boundary=boundary, executor=executor
    )
    summary = {name: meeting.pop(name) for name in list(meeting) if name.startswith("summary.")}
    writers |= meeting
    writers["map.html"] = functools.partial(save_map, plan, lang=lang, **(map_options or {}))
    return writers | summary
