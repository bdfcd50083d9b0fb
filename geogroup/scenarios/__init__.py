"""Scenarios: plans a meeting can weigh against one another.

:func:`scenarios` makes three things from one school list and one policy:

* **the trade-off** between travel and balance — a sweep over the policy's
  ``balance_weight`` (``_sweep``), each point solved by ``exact`` within a time limit and
  by ``fast``, labelled with how it was obtained and its proven gap; the points no other
  beats on both figures form the front (``_figures``);
* **alternatives** to the best plan at the policy's own weight — near its objective and
  differing from it and from one another in a stated number of schools (``_alternatives``);
* **a recommendation** — the knee of the front, with the reason in Chinese and English
  (``_words``).

:meth:`Scenarios.write` writes every plan's files, the table, the chart (``_chart``,
matplotlib) and one page with the maps side by side (``_page``).
"""

from __future__ import annotations

from geogroup.scenarios._alternatives import needed_difference
from geogroup.scenarios._figures import (
    balance_gap,
    dominated_by,
    knee,
    mean_distance,
    non_dominated,
)
from geogroup.scenarios._study import Scenarios, scenarios
from geogroup.scenarios._sweep import FACTORS, METHOD_CHOICES, sweep_weights

__all__ = [
    "FACTORS",
    "METHOD_CHOICES",
    "Scenarios",
    "balance_gap",
    "dominated_by",
    "knee",
    "mean_distance",
    "needed_difference",
    "non_dominated",
    "scenarios",
    "sweep_weights",
]
