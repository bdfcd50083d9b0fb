"""geogroup: propose, measure and map "1+X" school groups for education planners.

The pipeline, one module per stage::

    io (read & validate) -> locate -> group -> evaluate -> report, maps (present) -> cli

Examples
--------
>>> import geogroup as gg
>>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
>>> plan.summary()["groups"]
2
"""

from __future__ import annotations

from geogroup.datasets import toy_schools
from geogroup.errors import GeogroupError, InfeasibleError, InputError, PolicyError
from geogroup.evaluate import (
    Comparison,
    check_plan,
    compare_plans,
    group_metrics,
    plan_metrics,
    value_added,
)
from geogroup.group import (
    METHODS,
    BaseGrouper,
    DistrictGrouper,
    ExactGrouper,
    FastGrouper,
    KMeansGrouper,
    PairGrouper,
    get_method,
    propose,
)
from geogroup.locate import metric_crs, nearest, within_radius
from geogroup.plan import Plan, read_plan
from geogroup.policy import PRESETS, Policy, get_policy, read_policy
from geogroup.present import (
    PlanEditor,
    charts,
    compare_map,
    download_assets,
    edit_map,
    group_colors,
    plan_map,
    save_editor,
    save_map,
    summary_page,
    write_report,
)
from geogroup.read import ReadReport, ReadResult, read_schools
from geogroup.scenarios import Scenarios, scenarios

__all__ = [
    "METHODS",
    "PRESETS",
    "BaseGrouper",
    "Comparison",
    "DistrictGrouper",
    "ExactGrouper",
    "FastGrouper",
    "GeogroupError",
    "InfeasibleError",
    "InputError",
    "KMeansGrouper",
    "PairGrouper",
    "Plan",
    "PlanEditor",
    "Policy",
    "PolicyError",
    "ReadReport",
    "ReadResult",
    "Scenarios",
    "charts",
    "check_plan",
    "compare_map",
    "compare_plans",
    "download_assets",
    "edit_map",
    "get_method",
    "get_policy",
    "group_colors",
    "group_metrics",
    "metric_crs",
    "nearest",
    "plan_map",
    "plan_metrics",
    "propose",
    "read_plan",
    "read_policy",
    "read_schools",
    "save_editor",
    "save_map",
    "scenarios",
    "summary_page",
    "toy_schools",
    "value_added",
    "within_radius",
    "write_report",
]

__version__ = "0.1.0"
