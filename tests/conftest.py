"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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


# Property tests draw their examples from a fixed sequence (derandomize): the same examples
# on every run and machine, so a failure is reproducible and CI never flakes on a new draw.
settings.register_profile(
    "geogroup",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("geogroup")
