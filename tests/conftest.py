"""Shared fixtures."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import CHROMIUM_ARGS, chromium_path

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real school datasets kept beside the checkout (``../shared/datasets``).

    Missing data is a broken checkout, not a reason to skip: the test fails and says where
    the folder was expected.
    """
    if not SHARED_DATASETS.is_dir():
        pytest.fail(
            f"real datasets not found at {SHARED_DATASETS}; check out 'shared/' beside the "
            "repository (see shared/datasets/README.md)",
            pytrace=False,
        )
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session, driven by Playwright's sync API.

    One per session, not per module: a second sync Playwright started while the first is
    still open finds the first one's event loop running and refuses.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Property tests draw their examples from a fixed sequence (derandomize): the same examples
# on every run and machine, so a failure is reproducible and CI never flakes on a new draw.
settings.register_profile(
    "geogroup",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(  # the mutation check: any failing example kills, unshrunk
    "mutation",
    parent=settings.get_profile("geogroup"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.load_profile("mutation" if os.environ.get("GEOGROUP_HYPOTHESIS_NO_SHRINK") else "geogroup")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The mutation check first: it is the longest test by far, and run in parallel
    (``-n``) it should not be the last one left running on an otherwise idle machine."""
    first = [i for i in items if i.nodeid.endswith("test_every_mutant_is_killed")]
    items[:] = first + [i for i in items if i not in first]
