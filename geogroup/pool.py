"""Where the units of a grouping run, and the worker processes that run them beside this one.

The workers are joblib's loky processes (one reusable executor). Each takes a second or so
to start, importing the grouping stage: :func:`start_workers` starts them without importing
that stage here, so that ``geogroup propose`` has them import it while it does the same
(the stage imports this module, not the other way round).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["BACKENDS", "pool", "start_workers", "workers"]

BACKENDS = ("serial", "processes", "dask")
_PARALLEL_FROM = 2000  # schools: below this, starting processes costs more than it saves
_IDLE_WORKER_S = 300  # a worker left idle this long stops (joblib's choice)
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def workers(n_jobs: int | None, n_units: int, n_schools: int) -> int:
    """Processes to use, this one included: ``n_jobs`` when given; else serial for one unit
    or a small input, and every core otherwise.

    Examples
    --------
    >>> workers(None, 100, 22_874) == min(os.cpu_count() or 1, 100)
    True
    >>> workers(None, 100, 500), workers(None, 1, 22_874), workers(3, 2, 10)
    (1, 1, 2)
    """
    if n_jobs is not None:
        return max(1, min(int(n_jobs), n_units))
    if n_units < 2 or n_schools < _PARALLEL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, n_units))


def pool(n_workers: int) -> Any:
    """The executor of the ``n_workers - 1`` worker processes that work beside this one:
    loky's reusable executor, the same processes on every call with the same count."""
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(
        max_workers=n_workers - 1, timeout=_IDLE_WORKER_S, env=_worker_env(n_workers)
    )


def start_workers(n_workers: int) -> None:
    """Start the worker processes of a run on ``n_workers`` processes now, each importing
    the grouping stage, without waiting for them (nothing when the run is serial)."""
    if n_workers < 2:
        return
    executor = pool(n_workers)
    for _ in range(n_workers - 1):
        # exec of a statement: a task picklable without the stage, whose result is None
        executor.submit(exec, "import geogroup.group")


def _worker_env(n_workers: int) -> dict[str, str]:
    """Thread counts of the numerical libraries in a worker: the cores shared among the
    processes (as joblib sets them), unless the environment sets its own."""
    threads = str(max(1, (os.cpu_count() or 1) // n_workers))
    return {name: os.environ.get(name, threads) for name in _THREAD_VARIABLES}
