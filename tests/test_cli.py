"""The geogroup command: propose, evaluate, compare; exit codes and messages."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from geogroup import schema as S
from geogroup.cli import main

DEMO = "data/demo_county.csv"


@pytest.fixture
def runner():
    return CliRunner()


def test_propose_writes_every_output_and_accounts_for_every_row(runner, tmp_path):
    result = runner.invoke(main, ["propose", DEMO, "--policy", "shandong", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("plan.csv", "plan.gpkg", "groups.csv", "summary.json", "metrics.json",
                 "report.html", "report.xlsx"):
        assert (tmp_path / name).is_file(), name
    plan = pd.read_csv(tmp_path / "plan.csv", encoding="utf-8-sig", dtype={S.SCHOOL_ID: str})
    raw = pd.read_csv(DEMO, encoding="utf-8-sig")
    assert len(plan) == len(raw)  # every input row: 307 schools and 3 rejected rows
    expected = ["school_id", "name", "lon", "lat", "quality", "area", "level", "group_id", "role",
                "lead_id", "distance_km", "reason"]
    assert list(plan.columns[: len(expected)]) == expected
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["method"] == "fast" and summary["rejected_on_input"] == 3
    assert summary["schools"] + summary["rejected_on_input"] == len(raw)
    assert {"status", "objective", "bound", "gap", "seconds"} <= set(summary)


def test_propose_exact_reports_its_gap(runner, tmp_path):
    result = runner.invoke(main, ["propose", DEMO, "--policy", "ninghe", "--method", "exact",
                                  "--time-limit", "30", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in {"optimal", "time_limit"}
    assert summary["bound"] is not None and summary["gap"] is not None


def test_infeasible_policy_exits_1_with_numbers(runner, tmp_path):
    policy = tmp_path / "tight.toml"
    policy.write_text('[policy]\nname = "tight"\nmembers = [1, 2]\nleads = "top:0.05"\n', encoding="utf-8")
    result = runner.invoke(main, ["propose", DEMO, "--policy", str(policy), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") or "Error: " in result.stderr
    assert "need at least 103 leads" in result.output and "'leads'" in result.output
    assert "Traceback" not in result.output


def test_unknown_policy_key_exits_1(runner, tmp_path):
    policy = tmp_path / "bad.toml"
    policy.write_text('[policy]\nmembers = [1, 2]\nsize = 3\n', encoding="utf-8")
    result = runner.invoke(main, ["propose", DEMO, "--policy", str(policy), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "'size'" in result.output and "known fields" in result.output


def test_bad_usage_exits_2(runner, tmp_path):
    assert runner.invoke(main, ["propose", DEMO, "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(main, ["propose", DEMO, "--policy", "ninghe", "--method", "magic",
                                "--out", str(tmp_path)]).exit_code == 2


def test_regenerate_with_previous_and_compare(runner, tmp_path):
    first, second, diff = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert runner.invoke(main, ["propose", DEMO, "--policy", "ninghe", "--out", str(first)]).exit_code == 0
    result = runner.invoke(main, ["propose", DEMO, "--policy", "ninghe", "--previous",
                                  str(first / "plan.gpkg"), "--out", str(second)])
    assert result.exit_code == 0, result.output
    assert "0 schools moved" in result.output
    result = runner.invoke(main, ["compare", str(first / "plan.csv"), str(second / "plan.gpkg"),
                                  "--out", str(diff)])
    assert result.exit_code == 0, result.output
    assert "moved: 0" in result.output
    result = runner.invoke(main, ["evaluate", str(second / "plan.gpkg"), "--out", str(diff)])
    assert result.exit_code == 0 and "0 policy violations" in result.output


def test_same_command_twice_gives_byte_identical_plan_files_and_map(runner, tmp_path):
    import geopandas as gpd

    outs = [tmp_path / "one", tmp_path / "two"]
    for out in outs:
        result = runner.invoke(main, ["propose", DEMO, "--policy", "ninghe", "--out", str(out)])
        assert result.exit_code == 0, result.output
    for name in ("plan.csv", "plan.json", "groups.csv", "metrics.json", "report.html", "map.html"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    # plan.gpkg: the same tables; SQLite's own page bookkeeping may differ between runs
    for layer in ("schools", "groups", "meta"):
        a, b = (gpd.read_file(out / "plan.gpkg", layer=layer) for out in outs)
        pd.testing.assert_frame_equal(a, b)
