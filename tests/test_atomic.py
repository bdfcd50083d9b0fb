"""An interrupted run leaves every output whole: the previous version or the new one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geogroup.outputs import atomic_path, atomic_write
from geogroup.plan import read_plan

DEMO = "data/demo_county.csv"
COLUMNS = ["name", "quality", "group_id", "role", "lead_id", "distance_km"]
OUTPUTS = (
    "plan.csv",
    "plan.json",
    "groups.csv",
    "plan.gpkg",
    "summary.json",
    "metrics.json",
    "report.html",
    "report.xlsx",
    "summary.pdf",
    "summary.png",
    "map.html",
    "timings.json",
)
# timings.json, the one file that differs from run to run, is checked for being whole JSON;
# every other file byte for byte.
EXACT = tuple(name for name in OUTPUTS if name != "timings.json")


def _propose(policy: str, out: Path) -> subprocess.Popen:
    code = "import sys; from geogroup.cli import main; sys.exit(main())"
    return subprocess.Popen(
        [sys.executable, "-c", code, "propose", DEMO, "--policy", policy, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def test_killing_a_run_mid_write_leaves_old_or_new_files(tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    assert _propose("ninghe", old_dir).wait() == 0
    assert _propose("shandong", new_dir).wait() == 0
    old, new = _snapshot(old_dir), _snapshot(new_dir)
    old_gpkg = read_plan(old_dir / "plan.gpkg").schools[COLUMNS]
    new_gpkg = read_plan(new_dir / "plan.gpkg").schools[COLUMNS]
    times = []
    for attempt in range(2):  # the fastest of two: a slow first run would let kills miss
        start = time.perf_counter()
        assert _propose("shandong", tmp_path / f"timing{attempt}").wait() == 0
        times.append(time.perf_counter() - start)
    run = min(times)
    kills = 0
    # From early in the run (certain kills, even when a run goes faster than the timed ones
    # did on a busy machine) to its very end (mid-write, most likely).
    for fraction in (0.35, 0.45, 0.55, 0.65, 0.75, 0.8, 0.85, 0.9, 0.95):
        work = tmp_path / f"kill{fraction}"
        shutil.copytree(old_dir, work)
        proc = _propose("shandong", work)
        time.sleep(run * fraction)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        for name in EXACT:
            assert (work / name).read_bytes() in (old[name], new[name]), (fraction, name)
        assert "seconds" in json.loads((work / "timings.json").read_text(encoding="utf-8"))
        schools = read_plan(work / "plan.gpkg").schools[COLUMNS]
        assert any(schools.equals(whole) for whole in (old_gpkg, new_gpkg)), fraction
        assert {p.name for p in work.iterdir() if not p.name.startswith(".")} == set(OUTPUTS)
    assert kills >= 3  # the test really interrupted runs


def test_atomic_path_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "plan.gpkg"
    target.write_text("old", encoding="utf-8")
    seen = []

    def write_half() -> None:
        with atomic_path(target) as tmp:
            seen.append((tmp.parent, tmp.suffix, tmp.name[0], tmp.exists()))
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("killed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        write_half()
    # beside the target, hidden, its suffix (GDAL picks the driver by it), not yet made
    # (GDAL would try to open an existing file)
    assert seen == [(tmp_path, ".gpkg", ".", False)]
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]


def test_atomic_write_replaces_text_and_bytes(tmp_path):
    target = tmp_path / "summary.json"
    assert atomic_write(target, "{}\n") == target and target.read_bytes() == b"{}\n"
    atomic_write(target, "名".encode("utf-8-sig"))
    assert target.read_bytes() == b"\xef\xbb\xbf\xe5\x90\x8d"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
