"""Scenarios: the trade-off between travel and balance, alternatives, the recommendation.

Judged from the outside: the front by a dominance check of its own, each plan by the
oracle (its rules, and its objective parts recomputed in plain Python), the differences by
a recount from the plans' groups, the page by what a hostile name becomes in it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape
from scipy.optimize import linear_sum_assignment

import geogroup as gg
from geogroup import schema as S
from geogroup.cli import main
from geogroup.errors import PolicyError
from geogroup.scenarios import dominated_by, knee, needed_difference, non_dominated
from tests import oracle
from tests.helpers import random_schools

POLICY = gg.Policy(name="test", members=(2, 4), leads="top:0.3", balance_weight=1.0)
WEIGHTS = [0, 0.5, 1, 2, 4, 8]
WITHIN = 0.03
NEED = 3
HOSTILE = ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>")


def _study(schools=None, **options):
    settings = {
        "weights": WEIGHTS,
        "method": "fast",
        "alternatives": 3,
        "within": WITHIN,
        "min_diff": NEED,
        "time_limit": 5,
        "total_time": 120,
    } | options
    return gg.scenarios(
        random_schools(30, seed=4) if schools is None else schools, POLICY, **settings
    )


@pytest.fixture(scope="module")
def study():
    return _study()


def _hostile():
    """A small study (few plans, so that writing them all is quick) of schools whose names
    are hostile to a page."""
    schools = random_schools(30, seed=4)
    schools[S.NAME] = [HOSTILE[i % 2] + f" {i}" for i in range(len(schools))]
    return _study(schools, weights=[0, 1, 4], alternatives=2)


@pytest.fixture(scope="module")
def hostile():
    return _hostile()


@pytest.fixture(scope="module")
def written(hostile, tmp_path_factory):
    out = tmp_path_factory.mktemp("scenarios")
    hostile.write(out, lang="zh")
    return out


# --- independent judgements ---------------------------------------------------------------


def _dominates(p, q) -> bool:
    return p[0] <= q[0] and p[1] <= q[1] and (p[0] < q[0] or p[1] < q[1])


def _parts(plan, weight_policy) -> tuple[float, float]:
    """Distance and balance parts of the objective, by the oracle's own formula."""
    d = oracle.objective(plan.schools, dataclasses.replace(weight_policy, balance_weight=0.0))
    both = oracle.objective(plan.schools, dataclasses.replace(weight_policy, balance_weight=1.0))
    return d, both - d


def _groups(plan) -> dict[str, str | None]:
    schools = plan.schools
    return {
        str(sid): (None if role == S.UNASSIGNED or not isinstance(g, str) else g)
        for sid, g, role in zip(schools.index, schools[S.GROUP_ID], schools[S.ROLE], strict=True)
    }


def _recount(a, b) -> int:
    """Schools in another group: all shared schools less those kept by the best one-to-one
    matching of groups (most shared schools), and those in no group in either plan."""
    ga, gb = _groups(a), _groups(b)
    shared = sorted(set(ga) & set(gb))
    names_a = sorted({ga[s] for s in shared if ga[s] is not None})
    names_b = sorted({gb[s] for s in shared if gb[s] is not None})
    overlap = np.zeros((len(names_a), len(names_b)))
    for s in shared:
        if ga[s] is not None and gb[s] is not None:
            overlap[names_a.index(ga[s]), names_b.index(gb[s])] += 1
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    kept = overlap[rows, cols].sum() + sum(1 for s in shared if ga[s] is None and gb[s] is None)
    return len(shared) - int(kept)


def _plan(study, sid):
    return study.plans[study.folder_of(sid)]


# --- the front --------------------------------------------------------------------------------


def test_front_is_the_set_no_point_dominates(study):
    front = study.table[(study.table["kind"] == "front") & study.table["same_as"].isna()]
    points = {row.id: (row.distance_km, row.balance_gap) for row in front.itertuples()}
    for row in front.itertuples():
        beaten = [o for o, p in points.items() if _dominates(p, points[row.id])]
        assert row.on_front == (not beaten), (row.id, beaten)
        if beaten:
            assert row.dominated_by in beaten
    assert len(study.front) >= 3
    assert study.front["id"].tolist() == [r.id for r in front.itertuples() if r.on_front] or set(
        study.front["id"]
    ) == {r.id for r in front.itertuples() if r.on_front}


def test_figures_are_the_oracles_objective_parts(study):
    for row in study.table.itertuples():
        policy = dataclasses.replace(POLICY, balance_weight=row.weight)
        distance, balance = _parts(_plan(study, row.id), policy)
        assert row.distance_km == pytest.approx(distance, abs=1e-5)
        assert row.balance_gap == pytest.approx(balance, abs=1e-5)
        assert row.objective == pytest.approx(distance + row.weight * balance, abs=1e-5)


def test_sweep_points_are_labelled_and_weights_kept(study):
    sweep = study.table[study.table["how"] == "weight sweep"]
    assert sorted(sweep["weight"]) == sorted(WEIGHTS)
    assert set(sweep["method"]) == {"fast"} and set(sweep["status"]) == {"heuristic"}
    assert sweep["gap"].isna().all()  # a heuristic claims no proof


def test_repeated_plans_point_to_an_identical_plan(study):
    for row in study.table[study.table["same_as"].notna()].itertuples():
        a, b = _plan(study, row.id).schools, study.plans[row.same_as].schools
        assert (a[S.LEAD_ID].fillna("") == b[S.LEAD_ID].fillna("")).all()


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=12))
def test_non_dominated_matches_a_pairwise_check(points):
    d = [float(x) for x, _ in points]
    b = [float(y) for _, y in points]
    expected = [not any(_dominates(q, p) for q in points) for p in points]
    assert non_dominated(d, b) == expected
    for i, j in enumerate(dominated_by(d, b)):
        assert (j is None) == expected[i]
        if j is not None:
            assert _dominates(points[j], points[i])


def test_non_dominated_by_hand():
    assert non_dominated([1.0, 2.0, 2.0, 3.0, 3.0], [3.0, 2.0, 2.5, 1.0, 1.0]) == [
        True, True, False, True, True,
    ]  # fmt: skip


def test_knee_is_on_the_front_and_recommended(study):
    rec = study.table.set_index("id").loc[study.recommended]
    assert rec["on_front"] and rec["kind"] == "front"
    front = study.front
    assert (
        study.recommended
        == front["id"].iloc[knee(front["distance_km"].tolist(), front["balance_gap"].tolist())]
    )
    assert knee([7.0, 7.1, 7.2, 7.6], [0.11, 0.07, 0.05, 0.015]) == 2


def test_reason_in_both_languages_quotes_the_figures(study):
    rec = study.table.set_index("id").loc[study.recommended]
    for lang, word in (("zh", "公里"), ("en", "km")):
        text = study.reason[lang]
        assert study.recommended in text and word in text
        assert f"{rec['distance_km']:.2f}" in text and f"{rec['balance_gap']:.3f}" in text


# --- alternatives ---------------------------------------------------------------------------


def test_alternatives_are_within_the_stated_share(study):
    alternatives = study.alternatives
    assert len(alternatives) == 3, study.notes
    best = _plan(study, study.best)
    w0 = POLICY.balance_weight
    best_objective = oracle.objective(best.schools, POLICY)
    for row in alternatives.itertuples():
        assert row.weight == w0
        objective = oracle.objective(_plan(study, row.id).schools, POLICY)
        assert objective <= best_objective * (1 + WITHIN) + 1e-9, row.id
        assert row.pct_from_best == pytest.approx(100 * (objective / best_objective - 1), abs=1e-4)


def test_a_tight_share_admits_fewer_alternatives_and_says_so():
    tight = 0.001
    found = _study(weights=[1.0], within=tight)
    best = oracle.objective(_plan(found, found.best).schools, POLICY)
    for row in found.alternatives.itertuples():
        assert oracle.objective(_plan(found, row.id).schools, POLICY) <= best * (1 + tight) + 1e-9
    assert len(found.alternatives) < 3
    assert any("alternatives asked for" in note for note in found.notes)


def test_best_is_the_lowest_objective_at_the_policy_weight(study):
    at_w0 = study.table[study.table["weight"] == POLICY.balance_weight]
    assert study.table.set_index("id").loc[study.best, "objective"] == at_w0["objective"].min()


def test_differences_are_recounted_from_the_plans(study):
    ids = [study.best, *study.alternatives["id"]]
    for a, b in itertools.combinations(ids, 2):
        count = _recount(_plan(study, a), _plan(study, b))
        assert study.differences.loc[a, b] == study.differences.loc[b, a] == count
        assert count >= NEED, (a, b, count)
    table = study.table.set_index("id")
    for sid in study.alternatives["id"]:
        assert table.loc[sid, "moved_from_best"] == study.differences.loc[study.best, sid]
        moved = study.moves[study.moves["alternative"] == sid]
        assert len(moved) == study.differences.loc[study.best, sid]
        for other in study.alternatives["id"]:
            assert table.loc[sid, f"moved_vs_{other}"] == study.differences.loc[sid, other]


def test_a_count_of_moved_schools_never_outlives_its_plans():
    """The search remembers the schools moved between two plans by the plans' identities:
    a plan made after another was freed (often at the same address) gets its own count."""
    from geogroup.scenarios._alternatives import _Search

    schools = random_schools(30, seed=4)
    plans = [
        gg.FastGrouper(policy=dataclasses.replace(POLICY, balance_weight=w)).fit(schools).plan_
        for w in (0, 1, 8)
    ]
    truth = [_recount(plans[0], plans[1]), _recount(plans[0], plans[2])]
    assert truth[0] != truth[1]
    search = _Search.__new__(_Search)
    search._moved = {}
    best = _Held(plans[0])
    for _ in range(20):
        assert search.moved(_Held(dataclasses.replace(plans[1])), best) == truth[0]
        assert search.moved(_Held(dataclasses.replace(plans[2])), best) == truth[1]


@dataclasses.dataclass
class _Held:
    plan: gg.Plan


def test_a_large_difference_holds_between_every_pair():
    found = _study(weights=[1.0], within=0.2, min_diff=8)
    ids = [found.best, *found.alternatives["id"]]
    assert len(ids) >= 2
    for a, b in itertools.combinations(ids, 2):
        assert _recount(_plan(found, a), _plan(found, b)) >= 8, (a, b)


def test_needed_difference():
    assert needed_difference(0.05, 307) == 16
    assert needed_difference(5, 307) == 5
    assert needed_difference(0.0001, 10) == 1


# --- every plan -------------------------------------------------------------------------------


def test_every_plan_keeps_the_policy_by_the_oracle(study):
    assert len(study.plans) >= 5
    for sid, plan in study.plans.items():
        assert oracle.broken_rules(plan.schools, POLICY) == set(), sid
        assert plan.policy.leads == POLICY.leads  # written under the policy as given
        assert plan.n_unassigned == 0


def test_auto_proves_each_point_on_a_small_county():
    schools = random_schools(12, seed=2)
    found = _study(schools, weights=[0, 1, 4], method="auto", alternatives=0, time_limit=20)
    sweep = found.table[found.table["kind"] == "front"]
    assert set(sweep["method"]) == {"exact"}
    assert (sweep["status"] == "optimal").all() and (sweep["gap"] <= 1e-4).all()
    for sid, plan in found.plans.items():
        assert oracle.broken_rules(plan.schools, POLICY) == set(), sid
    assert "proven optimal" in found.reason["en"] and "已证明最优" in found.reason["zh"]


def test_spent_total_time_leaves_fast_points_and_says_so():
    found = _study(weights=[0, 1], method="auto", alternatives=1, total_time=0.01)
    sweep = found.table[found.table["kind"] == "front"]
    assert set(sweep["method"]) == {"fast"}
    assert any("total time" in note for note in found.notes)


# --- files, page, chart ------------------------------------------------------------------------


def test_files_are_written(written, hostile):
    for name in ("scenarios.csv", "scenarios.html", "front.png", "front.svg", "moves.csv",
                 "scenarios.json", "timings.json"):  # fmt: skip
        assert (written / name).is_file(), name
    assert (written / "front.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (written / "front.svg").read_bytes()
    table = pd.read_csv(written / "scenarios.csv", encoding="utf-8-sig")
    assert table["id"].tolist() == hostile.table["id"].tolist()
    moves = pd.read_csv(written / "moves.csv", encoding="utf-8-sig")
    assert len(moves) == hostile.differences.loc[hostile.best].sum() > 0
    for sid in hostile.plans:
        plan = pd.read_csv(written / "plans" / sid / "plan.csv", encoding="utf-8-sig")
        assert len(plan) == 30  # every school in every plan's files
        assert (written / "plans" / sid / "map.html").is_file()
    page = (written / "scenarios.html").read_text(encoding="utf-8")
    for sid in hostile.table["id"]:
        assert f">{sid}<" in page
        assert f"plans/{hostile.folder_of(sid)}/map.html" in page
    assert str(escape(hostile.reason["zh"])) in page and str(escape(hostile.reason["en"])) in page


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "timings.json"
    }


def test_same_seed_same_files(written, tmp_path):
    _hostile().write(tmp_path, lang="zh")
    first, again = _files(written), _files(tmp_path)
    assert first.keys() == again.keys() and len(first) > 20
    assert [name for name in first if first[name] != again[name]] == []


def test_hostile_names_are_escaped(written, hostile):
    page = (written / "scenarios.html").read_text(encoding="utf-8")
    assert len(hostile.moves)  # the names reach the page through the moved schools
    assert "<img src=x" not in page and "<script>" not in page and "</script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in page


def test_bad_parameters_are_policy_errors():
    schools = random_schools(12, seed=2)
    for options in (
        {"within": 2.0},
        {"within": -0.1},
        {"min_diff": 0},
        {"min_diff": 1.5},
        {"weights": [-1.0]},
        {"weights": [math.inf]},
        {"method": "nope"},
        {"alternatives": 11},
        {"time_limit": 0},
    ):
        with pytest.raises(PolicyError):
            _study(schools, **options)


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def school_file(tmp_path):
    schools = random_schools(24, seed=5)
    frame = pd.DataFrame(
        {
            "school_id": schools.index,
            "name": schools[S.NAME],
            "lon": schools.geometry.x,
            "lat": schools.geometry.y,
            "quality": schools[S.QUALITY],
            "area": schools[S.AREA],
        }
    )
    path = tmp_path / "schools.csv"
    frame.to_csv(path, index=False)
    return path


def test_cli_writes_the_study(school_file, tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nname = "t"\nmembers = [2, 4]\nleads = "top:0.3"\n', "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["scenarios", str(school_file), "--policy", str(policy), "--out", str(out),
         "--weights", "0,4", "--method", "fast", "--alternatives", "1", "--within", "5%",
         "--min-diff", "2", "--lang", "en"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recommended: " in result.output and "on the front" in result.output
    assert (out / "scenarios.html").is_file()


@pytest.mark.parametrize(
    ("args", "status", "text"),
    [
        (["--within", "abc"], 2, "--within"),
        (["--within", "150%"], 2, "--within"),
        (["--min-diff", "0"], 2, "--min-diff"),
        (["--min-diff", "100%"], 2, "--min-diff"),
        (["--weights", "a,b"], 2, "--weights"),
        (["--weights", "-1"], 2, "--weights"),
        (["--method", "nope"], 2, "--method"),
        (["--time-limit", "0"], 2, "--time-limit"),
        (["--alternatives", "99"], 2, "--alternatives"),
        (["--policy", "no-such-policy"], 1, "Error:"),
    ],
)
def test_cli_bad_input(school_file, tmp_path, args, status, text):
    base = ["scenarios", str(school_file), "--out", str(tmp_path / "o")]
    if "--policy" not in args:
        base += ["--policy", "shandong"]
    result = CliRunner().invoke(main, [*base, *args])
    assert result.exit_code == status, result.output
    assert text in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_cli_missing_file_and_infeasible_policy(school_file, tmp_path):
    missing = CliRunner().invoke(
        main,
        ["scenarios", str(tmp_path / "none.csv"), "--policy", "shandong", "--out", str(tmp_path)],
    )
    assert missing.exit_code == 2
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nname = "t"\nmembers = [30, 40]\n', "utf-8")
    infeasible = CliRunner().invoke(
        main, ["scenarios", str(school_file), "--policy", str(policy), "--out", str(tmp_path / "o")]
    )
    assert infeasible.exit_code == 1
    assert infeasible.output.count("Error:") == 1 and "members" in infeasible.output
