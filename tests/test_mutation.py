"""The mutation check runs with the suite: every deliberate bug of tests/mutants.toml must be
caught by some test (scripts/mutation_check.py; a few minutes on two cores)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from geogroup import rules

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = tomllib.loads((ROOT / "tests" / "mutants.toml").read_text(encoding="utf-8"))["mutant"]


def test_the_mutants_cover_the_review_and_every_rule_of_the_rulebook():
    names = {m["name"] for m in MUTANTS}
    review = {
        "exact-pairing-rows", "search-weak-quota", "time-limit-called-optimal",
        "fast-worst-start", "judge-weak-lead-counts", "exact-spacing-rows",
        "exact-size-off-by-one", "weak-count-plus-one", "gcj02-sign", "map-unescaped-name",
    }  # fmt: skip
    assert review <= names
    per_rule = {
        "role": "rule-role",
        "unassigned": "rule-unassigned",
        "one_lead": "rule-one-lead",
        "members": "rule-members-max",
        "group_students": "rule-group-students",
        "capacity": "rule-capacity",
        "n_groups": "rule-n-groups",
        "leads": "rule-lead-pool",
        "max_distance_km": "rule-distance-cap",
        "max_travel_min": "rule-travel",
        "pair_urban_rural": "rule-pairing",
        "min_weak_per_group": "rule-weak-quota",
        "min_weak_share": "rule-weak-share",
        "levels": "rule-levels",
        "by": "rule-by",
        "sectors": "rule-sectors",
        "min_lead_spacing_km": "rule-spacing",
        "fixed_group": "rule-fixed-together",
    }
    assert set(per_rule) == set(rules.RULES)
    assert set(per_rule.values()) <= names
    judge = {m["name"] for m in MUTANTS if m["file"] == "geogroup/rules/_judge.py"}
    assert set(per_rule.values()) <= judge


@pytest.mark.slow
def test_every_mutant_is_killed():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "mutation_check.py"), "--jobs", "2"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert f"{len(MUTANTS)} of {len(MUTANTS)} mutants killed" in done.stdout
