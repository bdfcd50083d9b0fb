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

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers: the names of _HOME below, loaded on first use
    from geogroup.datasets import *  # noqa: F403
    from geogroup.errors import *  # noqa: F403
    from geogroup.evaluate import *  # noqa: F403
    from geogroup.group import *  # noqa: F403
    from geogroup.locate import *  # noqa: F403
    from geogroup.plan import *  # noqa: F403
    from geogroup.policy import *  # noqa: F403
    from geogroup.present import *  # noqa: F403
    from geogroup.read import *  # noqa: F403
    from geogroup.scenarios import *  # noqa: F403

# Where each public name lives. The package loads a stage on first use of one of its names:
# a worker process that runs one method (``by=`` units in a pool) then imports the grouping
# stage alone, not the maps, reports and charts (about a second of start-up each).
_HOME = {
    "geogroup.datasets": "toy_schools",
    "geogroup.errors": "GeogroupError InfeasibleError InputError PolicyError",
    "geogroup.evaluate": "Comparison check_plan compare_plans group_metrics plan_metrics "
    "value_added",
    "geogroup.group": "METHODS BaseGrouper DistrictGrouper ExactGrouper FastGrouper "
    "KMeansGrouper PairGrouper get_method propose",
    "geogroup.locate": "metric_crs nearest within_radius",
    "geogroup.plan": "Plan read_plan",
    "geogroup.policy": "PRESETS Policy get_policy read_policy",
    "geogroup.present": "PlanEditor charts compare_map download_assets edit_map group_colors "
    "plan_map save_editor save_map summary_page write_report",
    "geogroup.read": "ReadReport ReadResult read_schools",
    "geogroup.scenarios": "Scenarios scenarios",
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names.split()}

__all__ = sorted(_MODULE_OF)  # the names above, each loaded on first use
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """A public name (or a stage, ``geogroup.present``), imported on first use and kept."""
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package itself. Python sets a stage loaded as a submodule as an attribute of the
    package: where a public name is also a stage's name (``geogroup.scenarios``), the name
    keeps the function it stands for, as it did when the package loaded every stage."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name in _MODULE_OF
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{__name__}.{name}"
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
