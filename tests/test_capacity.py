"""Enrolment-weighted sizes: ``group_students = [min, max]`` and a lead's capacity column.

Plans are judged by ``tests/oracle.py``, which sums the students of each group itself; tiny
inputs are solved by enumeration, so ``exact`` must reach the enumerated optimum under the
students rules and ``fast`` must keep them whenever a plan exists.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st

import geogroup as gg
from geogroup.cli import main
from geogroup.errors import GeogroupError, InfeasibleError, InputError, PolicyError
from tests import oracle
from tests.helpers import random_schools

DEMO = "data/demo_county.csv"


def _with_capacity(schools, seed: int, low: int = 1500, high: int = 4000):
    rng = np.random.default_rng(seed + 100)
    schools = schools.copy()
    schools["capacity"] = rng.integers(low, high, len(schools))
    return schools


@st.composite
def tiny(draw):
    n = draw(st.integers(min_value=3, max_value=7))
    seed = draw(st.integers(0, 10_000))
    lo = draw(st.sampled_from([0, 500, 1200]))
    limits = draw(st.sampled_from([None, (lo, lo + 2500), (lo, lo + 4000)]))
    capacity = draw(st.booleans()) if limits is not None else True
    policy = gg.Policy(
        name="tiny",
        members=(0, 4),
        leads=f"top:{draw(st.sampled_from([0.4, 0.6, 1.0]))}",
        max_distance_km=draw(st.sampled_from([None, 15.0])),
        pair_urban_rural=draw(st.booleans()),
        n_groups=draw(st.sampled_from([None, 2])),
        balance_weight=draw(st.sampled_from([0.0, 1.0])),
        group_students=limits,
        capacity_column="capacity" if capacity else None,
    )
    return n, seed, policy


@settings(max_examples=40, deadline=None)
@given(tiny())
def test_exact_reaches_the_enumerated_optimum_under_students_rules(case):
    n, seed, policy = case
    schools = _with_capacity(random_schools(n, seed=seed, spread_deg=0.05), seed)
    best, count = oracle.brute_force(schools, policy)
    if count == 0:
        event("no plan keeps the students rules")
        for method in ("exact", "fast"):
            with pytest.raises(GeogroupError):
                gg.propose(schools, policy, method=method, time_limit=20)
        return
    event("a plan exists")
    exact = gg.propose(schools, policy, method="exact", time_limit=20)
    assert exact.status == "optimal"
    assert oracle.violations(exact.schools, policy) == set()
    assert oracle.objective(exact.schools, policy) == pytest.approx(best, rel=1e-6, abs=1e-9)
    fast = gg.propose(schools, policy, method="fast", time_limit=20)
    assert oracle.violations(fast.schools, policy) == set()
    assert oracle.objective(fast.schools, policy) >= best - 1e-9


@pytest.fixture(scope="module")
def demo():
    schools, _ = gg.read_schools(DEMO)
    return schools


@pytest.mark.parametrize(
    ("method", "limits"),
    [("fast", (1500, 6000)), ("fast", (2500, 5000)), ("exact", (2500, 5000))],
)
def test_demo_groups_hold_students_within_the_limits(demo, method, limits):
    policy = gg.get_policy("shandong").replace(group_students=limits)
    plan = gg.propose(demo, policy, method=method, time_limit=8 if method == "exact" else 20)
    assert oracle.violations(plan.schools, policy) == set()
    totals = plan.schools[plan.schools["role"] != "unassigned"].groupby("group_id")["students"]
    assert totals.sum().between(*limits).all()
    assert gg.check_plan(plan, policy).empty
    if method == "fast":  # found by the heuristics, not handed to the full model
        assert plan.units[0]["start"] != "model"


def test_a_lead_holds_no_more_than_its_capacity(demo):
    schools = _with_capacity(demo, 7, 2000, 7000)
    policy = gg.get_policy("shandong").replace(capacity_column="capacity")
    plan = gg.propose(schools, policy, method="fast", time_limit=20)
    assert oracle.violations(plan.schools, policy) == set()
    s = plan.schools
    grouped = s[s["role"] != "unassigned"]
    load = grouped.groupby("group_id")["students"].sum()
    cap = grouped[grouped["role"] == "lead"].set_index("group_id")["capacity"]
    assert (load <= cap.reindex(load.index)).all()
    # the capacity binds: without it, some group would hold more than its lead's capacity
    free = gg.propose(schools, gg.get_policy("shandong"), method="fast", time_limit=20)
    assert "capacity" in oracle.broken_rules(free.schools, policy)


def test_a_lead_without_a_capacity_never_leads(demo):
    schools = _with_capacity(demo, 3, 3000, 9000)
    marked = schools.index[schools["lead_candidate"].astype(bool)]
    blank = marked[:2].union(schools.index[~schools["lead_candidate"].astype(bool)][::3])
    schools.loc[blank, "capacity"] = np.nan
    policy = gg.get_policy("shandong").replace(capacity_column="capacity")
    plan = gg.propose(schools, policy, method="fast", time_limit=20)
    leads = plan.schools[plan.schools["role"] == "lead"]
    assert leads["capacity"].notna().all()
    assert oracle.violations(plan.schools, policy) == set()


def test_the_rulebook_names_a_group_outside_its_limits(demo):
    policy = gg.get_policy("shandong").replace(group_students=(1500, 6000))
    plan = gg.propose(demo, policy, method="fast", time_limit=20)
    s = plan.schools.copy()
    biggest = s.groupby("group_id")["students"].sum().idxmax()
    s.loc[s["group_id"] == biggest, "students"] += 5000
    found = gg.check_plan(s, policy)
    assert set(found["rule"]) == {"group_students"} and set(found["group_id"]) == {biggest}
    assert oracle.violations(s, policy) == {("group_students", biggest)}


def test_missing_students_are_named(demo):
    schools = demo.copy()
    schools.loc[schools.index[:3], "students"] = np.nan
    policy = gg.get_policy("shandong").replace(group_students=(1000, 6000))
    with pytest.raises(InputError, match=r"3 school\(s\) have no student count") as info:
        gg.propose(schools, policy, method="fast")
    assert str(schools.index[0]) in str(info.value)
    with pytest.raises(InputError, match="no 'students' column"):
        gg.propose(schools.drop(columns="students"), policy, method="fast")


def test_impossible_limits_say_which_numbers_bind(demo):
    small = gg.get_policy("shandong").replace(group_students=(0, 2000))
    with pytest.raises(InfeasibleError, match=r"has 2495 students, more than any group may hold"):
        gg.propose(demo, small, method="fast")
    big = gg.get_policy("shandong").replace(group_students=(20_000, 30_000))
    with pytest.raises(InfeasibleError, match=r"hold at least 20000 each"):
        gg.propose(demo, big, method="fast")


def test_methods_that_cannot_weigh_students_say_so(demo):
    policy = gg.get_policy("shandong").replace(group_students=(1500, 6000))
    for method in ("kmeans", "pairs", "districts"):
        with pytest.raises(PolicyError, match=r"cannot honour the policy rule.*group_students"):
            gg.propose(demo, policy, method=method)


def test_students_limits_from_the_command_line(tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text(
        '[policy]\nbase = "shandong"\ngroup_students = [1500, 6000]\n', encoding="utf-8"
    )
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["propose", DEMO, "--policy", str(policy), "--out", str(out), "--time-limit", "20"]
    )
    assert result.exit_code == 0, result.output
    plan = gg.read_plan(out / "plan.csv")
    assert oracle.violations(plan.schools, plan.policy) == set()
    schools = plan.schools.copy()
    g = schools["group_id"].dropna().iloc[0]
    schools.loc[schools["group_id"] == g, "students"] = 10_000
    edited = tmp_path / "edited.csv"
    schools.drop(columns="geometry").assign(
        lon=plan.schools.geometry.x, lat=plan.schools.geometry.y
    ).to_csv(edited)
    result = runner.invoke(
        main, ["evaluate", str(edited), "--policy", str(policy), "--out", str(tmp_path / "e")]
    )
    assert "group_students" in result.output


def test_a_published_capacitated_p_median_optimum_is_proved(shared_datasets):
    """OR-Library pmedcap1 instance 1 through the benchmark's own reading: on a plain plane
    (no CRS), exactly 5 groups, capacities by demand, the truncated distance table."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_pmedcap", "bench/bench_pmedcap.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    inst = bench.read_instance(shared_datasets / "pmedcap" / "pmedcap1_01.txt")
    assert (inst["n"], inst["p"], inst["capacity"], inst["optimum"]) == (50, 5, 120, 713)
    schools, policy, table = bench.geogroup_inputs(inst)
    assert schools.crs is None
    plan = gg.propose(schools, policy, method="exact", time_limit=60, distances=table)
    assert plan.status == "optimal"
    assert plan.objective * inst["n"] == pytest.approx(713, abs=1e-6)
    assert oracle.violations(plan.schools, policy, table=table.pairs) == set()
    fast = gg.propose(schools, policy, method="fast", time_limit=10, distances=table)
    assert oracle.violations(fast.schools, policy, table=table.pairs) == set()
    assert 713 - 1e-6 <= fast.objective * inst["n"] <= 713 * 1.03
