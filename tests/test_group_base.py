"""Running the units: serial, a process pool or Dask give the same plan; the progress bar."""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest

from geogroup.errors import InfeasibleError, PolicyError
from geogroup.group import FastGrouper
from geogroup.group._units import progress_bar, run_jobs
from geogroup.policy import Policy
from geogroup.pool import pool, start_workers
from tests.helpers import random_schools

POLICY = Policy(name="units", members=(1, 4), leads="top:0.3")


@pytest.fixture
def four_units():
    schools = random_schools(48, seed=11)
    schools["county"] = np.where(schools.geometry.x < 122.75, "West", "East")
    return schools  # two counties, each with primary and middle schools: four units


def plan_with(schools, **params):
    grouper = FastGrouper(policy=POLICY.replace(levels="same"), **params)
    return grouper.fit(schools, by="county").plan_


def test_process_pool_gives_the_serial_plan(four_units):
    serial = plan_with(four_units, backend="serial")
    pooled = plan_with(four_units, backend="processes", n_jobs=2)
    assert len(serial.units) == 4
    pd.testing.assert_frame_equal(serial.schools, pooled.schools)
    # units of several sizes, whose reports come back in the units' order from the pool
    assert len({u["n"] for u in serial.units}) > 1
    assert [u["unit"] for u in pooled.units] == [u["unit"] for u in serial.units]


def test_dask_gives_the_serial_plan(four_units):
    distributed = pytest.importorskip("dask.distributed")
    serial = plan_with(four_units, backend="serial")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = plan_with(four_units, backend="dask", scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(serial.schools, on_dask.schools)
    assert serial.objective == on_dask.objective


def test_dask_missing_names_the_extra_to_install(four_units, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if absent
    with pytest.raises(PolicyError, match=r'pip install "geogroup\[scale\]"'):
        plan_with(four_units, backend="dask")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"backend": "threads"}, "backend: expected one of 'serial', 'processes', 'dask'"),
        ({"scheduler": "tcp://host:8786"}, "pass backend='dask'"),
        ({"progress": "yes"}, "progress: expected True, False or None"),
    ],
)
def test_bad_running_parameters_are_refused(four_units, params, fragment):
    with pytest.raises(PolicyError, match=fragment):
        plan_with(four_units, **params)


def test_progress_bar_on_stderr_only_when_asked(four_units, capsys):
    plan_with(four_units, backend="serial", progress=True)
    shown = capsys.readouterr()
    assert "4/4" in shown.err and "unit" in shown.err and shown.out == ""
    plan_with(four_units, backend="serial", progress=False)
    assert capsys.readouterr().err == ""
    plan_with(four_units, backend="serial")  # None: stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""


def test_the_pool_works_in_this_process_too_and_keeps_the_jobs_order():
    # Largest first, taken by whichever process is free; this one does not wait for the
    # workers to start, so it runs jobs as well. The results keep the jobs' order.
    jobs = list(range(12))
    with progress_bar("test", len(jobs), False) as bar:
        done = run_jobs(
            lambda job: (job, os.getpid()),
            jobs,
            backend="processes",
            n_workers=2,
            scheduler=None,
            bar=bar,
            sizes=[(7 * j) % 12 for j in jobs],
        )
    assert [job for job, _ in done] == jobs
    assert os.getpid() in {pid for _, pid in done}


@pytest.mark.parametrize("failing", [0, 2])  # the first jobs go to the worker, the third here
def test_a_failing_job_in_the_pool_raises_its_own_error(failing):
    def job(n):
        if n == failing:
            raise InfeasibleError(f"unit {n} cannot be grouped")
        return n

    with (
        progress_bar("test", 8, False) as bar,
        pytest.raises(InfeasibleError, match=f"unit {failing}"),
    ):
        run_jobs(job, list(range(8)), backend="processes", n_workers=2, scheduler=None, bar=bar)


def test_workers_started_early_are_the_ones_the_run_uses():
    # geogroup propose starts the workers before it imports the grouping stage; the run then
    # finds them (the same executor: same count, timeout and environment), not new ones.
    start_workers(2)
    early = pool(2).submit(os.getpid).result(timeout=120)
    with progress_bar("test", 6, False) as bar:
        done = run_jobs(
            lambda job: os.getpid(),
            list(range(6)),
            backend="processes",
            n_workers=2,
            scheduler=None,
            bar=bar,
        )
    assert early in done and early != os.getpid()
