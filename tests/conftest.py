"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

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
