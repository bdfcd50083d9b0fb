"""Hand-worked answers for the grouping methods, and the exact method against brute force."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import highspy
import numpy as np
import pytest

from geogroup import rules
from geogroup import schema as S
from geogroup.datasets import toy_schools
from geogroup.errors import GeogroupError, InfeasibleError
from geogroup.group import METHODS, FastGrouper, propose
from geogroup.group._prepare import prepare_problem
from geogroup.group._problem import judge
from geogroup.locate import geodesic_km
from geogroup.policy import Policy
from tests import oracle
from tests.helpers import random_schools

TOY_POLICY = Policy(members=(2, 2), leads="top:0.34")
HEURISTICS = [m for m in ("exact", "fast", "kmeans") if m in METHODS]


@pytest.mark.parametrize("method", HEURISTICS)
def test_six_schools_fall_into_the_two_obvious_groups(method):
    plan = propose(toy_schools(), TOY_POLICY, method=method)
    groups = plan.schools.groupby(S.GROUP_ID).apply(
        lambda g: "".join(sorted(g.index)), include_groups=False
    )
    assert sorted(groups) == ["ABC", "DEF"]
    assert sorted(plan.schools.index[plan.schools[S.ROLE] == S.LEAD]) == ["A", "D"]


def test_objective_matches_the_hand_computation():
    schools = toy_schools()
    plan = propose(schools, TOY_POLICY, method="exact")
    # Quality 90 60 50 | 85 55 65, mean 67.5, population sd sqrt(1337.5 / 6) = 14.930.
    # Group deviation sums: West 22.5 - 7.5 - 17.5 = -2.5, East 17.5 - 12.5 - 2.5 = +2.5,
    # so the balance term is (2.5 + 2.5) / 14.930 / 6 = 0.05582.
    sd = np.sqrt(1337.5 / 6)
    balance = (2.5 + 2.5) / sd / 6
    g = schools.geometry
    d = [
        geodesic_km(g[m].x, g[m].y, g[lead].x, g[lead].y)
        for m, lead in [("B", "A"), ("C", "A"), ("E", "D"), ("F", "D")]
    ]
    # B and E sit 0.012 deg of longitude east of their leads (~1.011 km at 40.85 N),
    # C and F 0.009 deg of latitude north (~0.999 km): distance term ~ 4.02 / 6 = 0.670.
    distance = float(np.sum(d)) / 6
    assert plan.parts["balance"] == pytest.approx(balance, rel=1e-6)
    assert plan.parts["distance"] == pytest.approx(distance, rel=5e-3)  # UTM vs geodesic
    assert plan.objective == pytest.approx(distance + balance, rel=5e-3)
    assert plan.status == "optimal"
    assert plan.gap is not None and plan.gap <= 1e-4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_equals_brute_force_and_heuristics_never_beat_it(seed):
    schools = random_schools(7, seed=seed)
    policy = Policy(members=(1, 3), leads="top:0.5", pair_urban_rural=False, balance_weight=2.0)
    best, _ = oracle.brute_force(schools, policy)
    exact = propose(schools, policy, method="exact")
    assert exact.status == "optimal"
    assert exact.objective == pytest.approx(best, rel=1e-6)
    for method in ("fast", "kmeans"):
        assert propose(schools, policy, method=method).objective >= best - 1e-9


def test_exact_reports_highs_bound_and_gap():
    plan = propose(
        random_schools(60, seed=4), Policy(members=(1, 6), leads="top:0.3"), method="exact"
    )
    assert plan.bound is not None and plan.bound <= plan.objective * (1 + 1e-6)
    assert plan.status in {"optimal", "time_limit"}
    summary = plan.summary()
    assert {"status", "objective", "bound", "gap", "seconds"} <= set(summary)


def test_fixed_number_of_groups_and_fixed_leads():
    schools = random_schools(30, seed=6)
    plan = propose(schools, Policy(members=(1, 29), n_groups=3, leads="top:0.5"), method="fast")
    assert plan.schools[S.GROUP_ID].nunique() == 3
    ids = tuple(schools[S.QUALITY].nsmallest(3).index)  # the planner may name any leads
    plan = propose(schools, Policy(members=(1, 12), leads=ids), method="exact")
    assert sorted(plan.schools.index[plan.schools[S.ROLE] == S.LEAD]) == sorted(ids)


@pytest.mark.parametrize(
    ("policy", "fragments"),
    [
        (
            Policy(members=(1, 2), leads="top:0.1"),
            [
                "25 schools with 1-2 members",
                "need at least 9 leads",
                "only 3 schools may lead",
                "'leads'",
            ],
        ),
        (
            Policy(members=(5, 6), leads="top:0.5", n_groups=5),
            ["'n_groups' = 5", "between 4 and 4"],
        ),
        (
            Policy(members=(1, 10), max_distance_km=1.0, leads="top:0.1"),
            ["max_distance_km", "km away"],
        ),
        (
            Policy(members=(1, 3), min_weak_per_group=3, weak_share=0.1, leads="top:0.5"),
            [
                "'min_weak_per_group' = 3",
                "needs 21 weak members",
                "'weak_share' = 0.1 makes 3 weak",
            ],
        ),
    ],
)
def test_infeasible_policies_quote_numbers_and_the_rule(policy, fragments):
    with pytest.raises(InfeasibleError) as info:
        propose(random_schools(25, seed=2), policy, method="fast")
    for fragment in fragments:
        assert fragment in str(info.value)


def test_allow_unassigned_lists_far_schools_with_reason():
    schools = random_schools(25, seed=2)
    plan = propose(
        schools,
        Policy(members=(0, 10), max_distance_km=8.0, leads="top:0.2", allow_unassigned=True),
        method="fast",
    )
    out = plan.schools[plan.schools[S.ROLE] == S.UNASSIGNED]
    assert (
        len(out) > 0
        and out[S.REASON]
        .str.contains("no possible lead within policy 'max_distance_km' = 8 km")
        .all()
    )
    assert len(plan.schools) == 25


def test_previous_plan_keeps_ids_and_counts_moves():
    schools = random_schools(60, seed=9)
    policy = Policy(members=(1, 6), leads="top:0.3", move_cost=5.0)
    first = propose(schools, policy, method="fast")
    again = propose(schools, policy, method="fast", previous=first)
    assert again.moved == 0
    assert (again.schools[S.GROUP_ID] == first.schools[S.GROUP_ID]).all()
    closed = schools.drop(index=schools.index[schools[S.QUALITY] < schools[S.QUALITY].median()][:1])
    after = propose(closed, policy, method="fast", previous=first)
    assert after.moved is not None and after.moved <= 6
    kept = after.schools[S.GROUP_ID].isin(set(first.schools[S.GROUP_ID]))
    assert kept.mean() > 0.8


def test_sparse_exact_widens_until_feasible_and_says_it_is_restricted():
    from geogroup.group import ExactGrouper

    schools = random_schools(40, seed=12)
    policy = Policy(members=(2, 4), leads="top:0.4", min_weak_per_group=1, weak_share=0.3)
    plan = ExactGrouper(policy=policy, k=1, max_pairs=10, warm_start=False).fit(schools).plan_
    unit = plan.units[0]
    # One candidate lead per school cannot meet the size and weak-school rules: k widened,
    # and the plan says its optimum is for the restricted model.
    assert unit["k"] > 1
    assert unit["restricted"] is (unit["k"] < 16)
    assert plan.schools[S.ROLE].ne(S.UNASSIGNED).all()
    full = ExactGrouper(policy=policy).fit(schools).plan_
    assert full.units[0]["restricted"] is False
    assert plan.objective >= full.objective - 1e-9


def test_a_configured_method_object_brings_its_own_policy():
    from geogroup.group import get_method

    grouper = get_method("fast", policy=TOY_POLICY)
    plan = propose(toy_schools(), method=grouper)
    assert plan.policy == TOY_POLICY
    with pytest.raises(GeogroupError, match="policy: name a preset"):
        propose(toy_schools())


def test_violations_name_a_lead_that_may_not_lead_and_leads_too_close():
    # Toy schools: A (90) and D (85) are the top third; the West trio A B C sits ~1 km
    # apart, the East trio D E F likewise, the trios far from each other.
    problem = prepare_problem(toy_schools(), Policy(members=(2, 2), leads="top:0.34"))
    pos = {sid: i for i, sid in enumerate(problem.ids)}
    lead = np.array([pos[x] for x in "BBBDDD"])  # B (quality 60) leads the West group
    found = judge(problem, lead)
    assert [(v["rule"], v["school_ids"]) for v in found] == [("leads", ("B",))]
    spaced = prepare_problem(
        toy_schools(), Policy(members=(0, 4), leads="top:0.5", min_lead_spacing_km=1.5)
    )
    far_apart = np.array([pos[x] for x in "AAADDD"])  # A and D: trios far apart
    assert judge(spaced, far_apart) == []
    near = np.array([pos[x] for x in "AAADFF"])  # F leads ~1 km north of D (< 1.5 km)
    assert [(v["rule"], v["school_ids"]) for v in judge(spaced, near)] == [
        ("min_lead_spacing_km", ("D", "F"))
    ]


def test_a_matching_that_once_cycled_forever_now_finishes():
    # scipy's sparse LAPJV looped forever on the float costs of one matching met while
    # exact's warm start closed leads on these 80 schools; costs are now whole metres. Run
    # in a child process so that a regression fails here instead of hanging the suite.
    import subprocess
    import sys

    code = (
        "from tests.helpers import random_schools; from geogroup.group import propose; "
        "from geogroup.policy import Policy; "
        "p = propose(random_schools(80, seed=0), Policy(members=(2, 3), leads='top:0.35'), "
        "method='exact', time_limit=10); print(p.status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in {"optimal", "time_limit"}


@pytest.mark.parametrize("seed", range(40))
def test_the_quick_check_before_a_matching_agrees_with_the_matching(seed):
    # Whether every school can take a slot (a maximum flow over the slots gathered by lead
    # and kind) decides as scipy's matching does, which can take seconds to fail.
    import scipy.sparse as sp
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    from geogroup.group._assign import _can_place_all

    rng = np.random.default_rng(seed)
    n_free, n_leads = int(rng.integers(1, 30)), int(rng.integers(1, 8))
    slot_lead = np.repeat(np.arange(n_leads), rng.integers(1, 6, size=n_leads))
    slot_kind = rng.integers(0, 4, size=len(slot_lead))
    sees = rng.random((n_free, n_leads)) < rng.uniform(0.1, 0.6)  # a school's near leads
    fits = rng.random((n_free, 4)) < 0.7  # the kinds of slot a school may fill
    rows, cols = np.nonzero(sees[:, slot_lead] & fits[:, slot_kind])
    if len(rows) == 0:
        return
    graph = sp.csr_matrix(
        (rng.integers(1, 100, size=len(rows)).astype(float), (rows, cols)),
        shape=(n_free, len(slot_lead)),
    )
    try:
        min_weight_full_bipartite_matching(graph)
        matched = True
    except ValueError:
        matched = False
    quick = _can_place_all(n_free, slot_lead, slot_kind, rows, cols)
    assert quick == (matched and n_free <= len(slot_lead))


@pytest.mark.parametrize(
    "policy",
    [
        Policy(members=(2, 3), leads="top:0.3", balance_weight=1.0),
        Policy(members=(1, 10), leads="top:0.2", min_weak_per_group=1, pair_urban_rural=True),
        Policy(members=(1, 1000), n_groups=4, leads="top:0.35"),
    ],
    ids=["small groups", "weak and rural rules", "four large groups"],
)
def test_relaxation_with_rows_added_lazily_solves_the_full_relaxation(policy):
    from geogroup.group._relaxation import Relaxation

    problem = prepare_problem(random_schools(150, seed=5), policy)
    lazy = Relaxation(problem, 24, deadline=time.perf_counter() + 60, linked=2)
    full = Relaxation(problem, 24, deadline=time.perf_counter() + 60, linked=10**6)
    assert len(full.model.lazy[0]) == 0 and len(lazy.model.lazy[0]) > 0
    assert lazy.h.getInfo().objective_function_value == pytest.approx(
        full.h.getInfo().objective_function_value, rel=1e-9
    )
    x = lazy.x
    own = lazy.model._own_col()[[lazy.model.pool_index[int(j)] for j in lazy.model.pair_j]]
    assert np.all(x <= x[own] + 1e-6)  # every x[i, j] <= y_j holds, added or not


def test_assignment_after_a_dive_may_leave_out_a_lead_the_dive_fixed():
    from geogroup.group._relaxation import Relaxation

    policy = Policy(members=(2, 3), leads="top:0.3")
    problem = prepare_problem(random_schools(120, seed=3), policy)
    relaxed = Relaxation(problem, 24, deadline=time.perf_counter() + 60)
    dived = relaxed.dive()
    assert dived is not None
    fresh = Relaxation(problem, 24, deadline=time.perf_counter() + 60)
    for left_out in dived[:5]:
        leads = relaxed.covering(dived[dived != left_out])
        assert (relaxed.assignment(leads) is None) == (fresh.assignment(leads) is None)
    assert relaxed.assignment(dived[1:]) is not None


def test_a_restricted_model_that_cannot_cover_every_school_is_refused_before_highs():
    from geogroup.group._model import Model as _Model
    from geogroup.group._relaxation import Relaxation

    policy = Policy(members=(1, 1000), n_groups=3, leads="top:0.4")
    problem = prepare_problem(random_schools(120, seed=8), policy)
    # 48 candidates, each school seeing its 4 nearest: covering all takes far more than 3 leads
    narrow, wide = _Model(problem, 4), _Model(problem, len(problem.leads_pool))
    assert narrow.surely_infeasible() and not wide.surely_infeasible()
    # the proof is sound: HiGHS finds the same narrow relaxation infeasible
    lp = narrow._lp()
    lp.integrality_ = []
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(lp)
    solver.run()
    assert solver.getModelStatus() == highspy.HighsModelStatus.kInfeasible
    with pytest.raises(InfeasibleError, match="more schools need a lead of their own"):
        Relaxation(problem, 4, deadline=time.perf_counter() + 60)
    plan = propose(random_schools(120, seed=8), policy, method="fast")
    assert plan.schools[S.GROUP_ID].nunique() == 3


def test_exact_stopped_by_its_time_limit_says_so():
    schools = random_schools(250, seed=1)
    # the pair model alone: the group model can prove this case within the limit
    from geogroup.group import ExactGrouper

    grouper = ExactGrouper(
        policy=Policy(members=(2, 3), leads="top:0.3"), groups=False, time_limit=2
    )
    plan = grouper.fit(schools).plan_
    assert plan.status == "time_limit"
    if plan.bound is None:  # HiGHS stopped before its first bound: the plan says so
        assert plan.gap is None and plan.units[0]["bound"] is None
    else:
        assert plan.bound < plan.objective and plan.gap > 0


@pytest.mark.parametrize("preset", ["ninghe", "shandong"])
def test_fast_is_within_one_percent_of_the_proven_bound_on_the_demo_county(preset):
    from geogroup.read import read_schools

    schools, _ = read_schools(Path(__file__).resolve().parents[1] / "data" / "demo_county.csv")
    exact = propose(schools, preset, method="exact", time_limit=60)
    fast = propose(schools, preset, method="fast")
    # within one percent of HiGHS's proven bound (the optimum lies between the two)
    assert exact.bound is not None and fast.objective <= exact.bound * 1.01
    assert exact.objective <= fast.objective + 1e-9  # exact starts from fast: never worse


@pytest.mark.parametrize("seed", [0, 4, 7, 10])  # units where fast has two or three starts
def test_fast_keeps_the_best_of_its_starts(seed):
    """fast improves several starts (rounded relaxations, a dive) and must keep the best."""
    from geogroup.group._problem import evaluate as objective_of

    policy = Policy(members=(1, 6), leads="top:0.35", weak_share=0.3, min_weak_per_group=1)
    problem = prepare_problem(random_schools(160, seed=seed, spread_deg=0.3), policy)
    grouper = FastGrouper(policy=policy, recentre_rounds=0, polish_trials=0)
    worker = copy.copy(grouper)
    worker._trials_left, worker._relaxed = grouper.lead_trials, None
    worker._deadline, worker._match_seconds = time.perf_counter() + 60, 0.0
    starts = worker._relaxed_starts(problem)
    assert len(starts) >= 2
    rng = np.random.default_rng(rules.unit_seed(grouper.random_state, ""))
    improved = [
        objective_of(problem, worker._improve(problem, s, rng, time.perf_counter()))["objective"]
        for s in starts
    ]
    found = grouper._solve(problem, np.random.default_rng(rules.unit_seed(0, "")))
    assert found.objective <= min(improved) + 1e-9


def test_exact_is_never_worse_than_its_warm_start_outside_the_restricted_model():
    """A city-like unit: a restricted model (each school sees its 2 nearest leads) whose warm
    start joins schools to leads outside those 2; the start's pairs stay in the model, and
    exact returns a plan at least as good as fast's."""
    from geogroup.group import ExactGrouper

    schools = random_schools(300, seed=21, spread_deg=0.2)
    policy = Policy(members=(1, 6), leads="top:0.3", weak_share=0.3, min_weak_per_group=1)
    fast = propose(schools, policy, method="fast")
    exact = ExactGrouper(policy=policy, k=2, max_pairs=100, time_limit=20).fit(schools).plan_
    unit = exact.units[0]
    assert unit["restricted"] is True and unit["k"] == 2
    problem = prepare_problem(schools, policy)
    pos = {sid: i for i, sid in enumerate(problem.ids)}
    lead = np.array([pos[x] for x in fast.schools["lead_id"]])
    xy = problem.xy
    near = {
        i: set(np.argsort(np.hypot(*(xy[problem.leads_pool] - xy[i]).T))[:2])
        for i in range(problem.n)
    }
    outside = sum(
        1
        for i in range(problem.n)
        if lead[i] != i and int(np.flatnonzero(problem.leads_pool == lead[i])[0]) not in near[i]
    )
    assert outside > 0  # the start does lie outside the k nearest leads
    assert exact.objective <= fast.objective + 1e-9
    assert exact.bound is not None and exact.bound <= exact.objective + 1e-9


def test_kmeans_balances_quality_when_the_policy_weighs_it():
    schools = random_schools(120, seed=9, spread_deg=0.2)
    policy = Policy(members=(1, 6), leads="top:0.3")
    flat = propose(schools, policy.replace(balance_weight=0.0), method="kmeans")
    weighed = propose(schools, policy.replace(balance_weight=5.0), method="kmeans")
    assert not flat.schools[S.GROUP_ID].equals(weighed.schools[S.GROUP_ID])
    assert weighed.units[0]["balanced"] and not flat.units[0]["balanced"]
    # judged at weight 5, the balanced plan's balance term is the smaller
    problem = prepare_problem(schools, policy.replace(balance_weight=5.0))
    pos = {sid: i for i, sid in enumerate(problem.ids)}

    def balance(plan):
        lead = np.array([pos[x] for x in plan.schools["lead_id"]])
        from geogroup.group._problem import evaluate as objective_of

        return objective_of(problem, lead)["balance"]

    assert balance(weighed) < balance(flat)


@pytest.mark.parametrize("method", ["exact", "fast"])
def test_a_share_of_weak_schools_in_every_group(method):
    schools = random_schools(80, seed=13, spread_deg=0.2)
    policy = Policy(members=(2, 5), weak_share=0.4, min_weak_share=0.3, leads="top:0.3")
    plan = propose(schools, policy, method=method, time_limit=30)
    assert oracle.violations(plan.schools, policy) == set()
    grouped = plan.schools[plan.schools[S.ROLE] != S.UNASSIGNED]
    weak = oracle.weak_members(plan.schools, policy)
    for gid, g in grouped.groupby(S.GROUP_ID):
        assert sum(weak[i] for i in g.index) >= 0.3 * len(g) - 1e-9, gid


def test_methods_that_cannot_keep_a_weak_share_refuse_it():
    for method in ("kmeans", "districts", "pairs"):
        with pytest.raises(GeogroupError, match=r"cannot honour the policy rule.*min_weak_share"):
            propose(random_schools(30), Policy(min_weak_share=0.2), method=method)
