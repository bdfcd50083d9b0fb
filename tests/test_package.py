"""The package's top level: every public name reachable, each stage loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import geogroup


def test_every_public_name_is_reachable_and_listed():
    for name in geogroup.__all__:
        assert getattr(geogroup, name) is not None, name
    assert set(geogroup.__all__) <= set(dir(geogroup))
    assert geogroup.present.save_map is geogroup.save_map  # a stage, as an attribute


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'propse'"):
        geogroup.propse  # noqa: B018


def test_a_worker_of_the_pool_imports_the_grouping_stage_alone():
    # Each worker of a by-unit run imports the method's module: not the maps, the reports
    # and their plotting libraries (about a second more of start-up per worker).
    code = (
        "import sys, geogroup.group._fast; "
        "print(sorted(m for m in ('matplotlib', 'folium', 'openpyxl', 'geogroup.present', "
        "'geogroup.evaluate', 'geogroup.scenarios') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_name_shared_by_a_stage_and_its_function_stays_the_function():
    # geogroup.scenarios is the function (as gg.scenarios(...) is called), even once the
    # stage of the same name has been imported as a module.
    code = (
        "import geogroup.scenarios._study, geogroup as gg; "
        "print(callable(gg.scenarios), gg.scenarios is gg.scenarios.__globals__['scenarios'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "True True"
