"""The command in Chinese and in English: which language a run speaks, the message
catalogue, and what a planner on a Chinese system sees (usage errors, a missing file, a
policy the schools cannot meet, a proposal's summary line, the help)."""

from __future__ import annotations

import functools
import math
import re
import string
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import click
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geogroup import Policy, propose
from geogroup import schema as S
from geogroup.cli import main
from geogroup.cli._lang import CATALOGUE, lang_from_args, locale_lang, say, translated
from geogroup.cli._text import width
from geogroup.errors import InfeasibleError
from geogroup.group._prepare import prepare_problem
from geogroup.present._fonts import NO_CJK_FONT
from tests.helpers import random_schools

ZH = {"LANG": "zh_CN.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
EN = {"LANG": "en_US.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
DEMO = "data/demo_county.csv"
MINE = ("check", "propose", "map", "evaluate", "compare")  # the commands this file covers
# Three English words in a row: what a Chinese message must not hold (paths and policy
# keys aside, which it quotes).
ENGLISH = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")


def _chinese(line: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", line)) and not ENGLISH.search(
        re.sub(r"'[^']*'|/\S+|--[\w-]+", "", line)
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.Big5"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL first
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US"}, "zh"),  # then LC_MESSAGES
        ({"LC_ALL": "", "LANG": "zh_CN"}, "zh"),  # an empty one does not count
    ],
)
def test_the_locale_decides_without_lang(environ, expected):
    assert locale_lang(environ) == expected


def test_lang_on_the_command_line_wins():
    assert lang_from_args(["propose", "s.csv", "--lang", "en"]) == "en"
    assert lang_from_args(["map", "p.gpkg", "--lang=zh"]) == "zh"
    assert lang_from_args(["map", "p.gpkg", "--lang", "fr"]) is None
    assert lang_from_args(["check", "--", "--lang", "zh"]) is None


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_exists_in_both_languages_with_the_same_values():
    en, zh = CATALOGUE["en"]["messages"], CATALOGUE["zh"]["messages"]
    assert set(en) == set(zh)
    for key in en:
        assert _fields(en[key]) == _fields(zh[key]), key
    assert set(CATALOGUE["en"]["status"]) == set(CATALOGUE["zh"]["status"])


def test_every_error_code_raised_has_chinese_words():
    """Each ``code="…"`` in the package is said in Chinese, from values it carries."""
    root = Path(__file__).resolve().parents[1] / "geogroup"
    raised = set()
    for path in root.rglob("*.py"):
        raised |= set(re.findall(r'code="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert raised >= {"plan.columns", "plan.cells", "plan.missing", "read.columns"}
    missing = raised - set(CATALOGUE["zh"]["errors"])
    assert not missing, f"codes without Chinese words: {sorted(missing)}"


def _commands() -> list[tuple[str, click.Command]]:
    return [(name, main.commands[name]) for name in MINE]


def test_every_help_text_of_these_commands_is_chinese():
    from geogroup.cli._lang import help_text

    untranslated = []
    for name, command in [("geogroup", main), *_commands()]:
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        for text in texts:
            if text and help_text(text, "zh") == text:
                untranslated.append(f"{name}: {text[:60]}")
    assert not untranslated, "\n".join(untranslated)


def test_help_in_chinese_fits_the_terminal():
    runner = CliRunner(env=ZH)
    for name, _ in _commands():
        result = runner.invoke(main, [name, "--help"], terminal_width=80)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("用法：") and "选项：" in result.output
        too_wide = [line for line in result.output.splitlines() if width(line) > 80]
        assert not too_wide, too_wide
        assert "显示本帮助并退出。" in result.output


def test_a_usage_error_in_chinese():
    result = CliRunner(env=ZH).invoke(main, ["propose", DEMO, "--out", "x"])
    assert result.exit_code == 2
    assert "用法：" in result.stderr and "运行“" in result.stderr
    assert "错误：缺少选项 '--policy'。" in result.stderr
    assert "Error" not in result.stderr and "Usage" not in result.stderr
    wrong = CliRunner(env=ZH).invoke(main, ["propose", DEMO, "--policy", "x", "--seed", "-1"])
    assert wrong.exit_code == 2
    (line,) = [x for x in wrong.stderr.splitlines() if x.startswith("错误：")]
    assert line == "错误：'--seed' 的值无效：-1 不在范围 0<=x<=4294967295 之内。"


def test_a_missing_file_in_chinese(tmp_path):
    for args in (
        ["check", str(tmp_path / "nope.csv")],
        ["evaluate", str(tmp_path / "nope.gpkg"), "--out", str(tmp_path / "o")],
    ):
        result = CliRunner(env=ZH).invoke(main, args)
        assert result.exit_code == 2
        (line,) = [x for x in result.stderr.splitlines() if x.startswith("错误：")]
        assert "nope" in line and line.endswith("不存在。") and _chinese(line), line
    from geogroup.errors import InputError
    from geogroup.plan import read_plan

    with pytest.raises(InputError) as err:
        read_plan(tmp_path / "gone.csv")
    from geogroup.cli._errors import user_message

    assert (
        user_message(err.value, "zh")
        == f"计划文件 {str(tmp_path / 'gone.csv')!r} 不存在；请检查路径"
    )


def _schools(tmp_path: Path) -> Path:
    path = tmp_path / "schools.csv"
    rows = [f"S{i},学校{i},{122.5 + 0.01 * i:.2f},40.85,{50 + 5 * i}" for i in range(6)]
    path.write_text("学校代码,学校名称,经度,纬度,得分\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_infeasible_policy_in_chinese(tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text("[policy]\nmembers = [1, 1]\nleads = 'top:0.2'\n", encoding="utf-8")
    args = [
        "propose",
        str(_schools(tmp_path)),
        "--policy",
        str(policy),
        "--out",
        str(tmp_path / "o"),
    ]
    result = CliRunner(env=ZH).invoke(main, args)
    assert result.exit_code == 1, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("错误：")]
    # 6 schools in pairs need 3 leads; the top 20 % is 2 schools
    assert (
        "6 所学校" in line and "至少需要 3 所龙头校" in line and "只有 2 所学校可任龙头校" in line
    )
    assert _chinese(line), line
    english = CliRunner(env=EN).invoke(main, args)
    assert "need at least 3 leads, but only 2 schools may lead" in english.stderr


def _gap(plan_csv: Path) -> tuple[float, float]:
    """Mean distance to the lead and the balance gap of a plan.csv, from its cells: the
    size-weighted mean distance of the group means from the mean of the grouped schools."""
    table = pd.read_csv(plan_csv, encoding="utf-8-sig")
    grouped = table[table["role"].isin(["lead", "member"])]
    means = grouped.groupby("group_id")["quality"].agg(["mean", "size"])
    gap = (means["size"] * (means["mean"] - grouped["quality"].mean()).abs()).sum() / len(grouped)
    return grouped["distance_km"].mean(), gap


@pytest.fixture(scope="module")
def proposed(tmp_path_factory) -> tuple[CliRunner, Path]:
    out = tmp_path_factory.mktemp("zh") / "c"
    result = CliRunner(env=ZH).invoke(
        main, ["propose", DEMO, "--policy", "shandong", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return result, out


def test_the_summary_line_in_chinese_says_the_objective_in_words(proposed):
    result, out = proposed
    km, gap = _gap(out / "plan.csv")
    line = next(x for x in result.stdout.splitlines() if "个集团" in x)
    assert f"平均距离 {km:.1f} 公里，均衡偏差 {gap:.1f} 分" in line
    assert "按“shandong”政策" in line and "求解状态：启发式" in line and "objective" not in line
    assert _chinese(line), line
    assert all(x.startswith("  已写入 ") for x in result.stdout.splitlines()[1:])
    assert any(x.startswith("警告：有 3 行无法使用") for x in result.stderr.splitlines())


def test_the_summary_line_in_english(proposed, tmp_path):
    result = CliRunner(env=ZH).invoke(
        main, ["propose", DEMO, "--policy", "shandong", "--lang", "en", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    km, gap = _gap(tmp_path / "plan.csv")
    line = result.stdout.splitlines()[0]
    assert f": mean distance {km:.1f} km, balance gap {gap:.1f} points (status heuristic)" in line
    assert "  wrote " in result.stdout and "已写入" not in result.stdout


def test_the_balance_gap_is_the_objective_term_in_points():
    """docs/objective.md: balance = w · Σ_g n_g |μ_g − q̄| / (σ_q N), so the gap in points is
    balance / w · σ_q (one unit, straight lines)."""
    from geogroup.group import propose
    from geogroup.policy import Policy
    from tests.helpers import random_schools

    policy = Policy(name="t", members=(1, 4), leads="top:0.3", balance_weight=2.0)
    plan = propose(random_schools(40, seed=5), policy, method="fast")
    figures = plan.objective_figures()
    sigma = plan.schools["quality"].std(ddof=0)
    assert figures["balance_gap"] == pytest.approx(plan.parts["balance"] / 2.0 * sigma, rel=1e-4)
    assert figures["mean_distance_km"] == pytest.approx(plan.parts["distance"], rel=1e-3)
    assert math.isfinite(figures["balance_gap"]) and figures["balance_gap"] > 0


def test_lang_overrides_the_locale_both_ways(tmp_path):
    missing = ["check", str(tmp_path / "nope.csv")]
    assert "Error: " in CliRunner(env=ZH).invoke(main, [*missing, "--lang", "en"]).stderr
    assert "错误：" in CliRunner(env=EN).invoke(main, [*missing, "--lang", "zh"]).stderr


def test_check_reports_in_chinese():
    result = CliRunner(env=ZH).invoke(main, ["check", DEMO])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"读入报告：{DEMO}" and "  读入行数：310" in lines
    assert "  第 152 行 '得分' 列：质量不是数字（值 '缺'）" in lines


def test_a_bad_plan_cell_and_a_full_disk_in_chinese(tmp_path, monkeypatch):
    plan = tmp_path / "p.csv"
    plan.write_text(
        "school_id,lon,lat,quality,group_id,role\na,122.5,40.8,90,G1,lead\nb,abc,40.8,60,G1,member\n",
        encoding="utf-8",
    )
    result = CliRunner(env=ZH).invoke(main, ["evaluate", str(plan), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("错误：")]
    assert "第 3 行“lon”列（'abc'）：经度不是数字" in line and _chinese(line), line

    import errno

    import geogroup.plan

    def full(path, *tables):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(geogroup.plan, "write_gpkg", full)
    out = CliRunner(env=ZH).invoke(
        main, ["propose", DEMO, "--policy", "shandong", "--out", str(tmp_path / "full")]
    )
    assert out.exit_code == 1
    (line,) = [x for x in out.stderr.splitlines() if x.startswith("错误：")]
    assert "无法写入" in line and "磁盘空间不足" in line and "磁盘已满" in line, line
    assert _chinese(line), line


def test_an_internal_error_in_chinese(monkeypatch, tmp_path):
    import geogroup.plan

    def broken(path, *tables):
        raise RuntimeError("boom")

    monkeypatch.setattr(geogroup.plan, "write_gpkg", broken)
    result = CliRunner(env=ZH).invoke(
        main, ["propose", DEMO, "--policy", "shandong", "--out", str(tmp_path)]
    )
    assert result.exit_code == 3
    assert "\n内部错误：RuntimeError：boom\n这是 geogroup 的程序缺陷" in result.stderr


def test_patterns_translate_whole_messages_only():
    assert translated("Missing option '--out'.", "click", "zh") == "缺少选项 '--out'。"
    assert translated("Missing option '--out'. And more", "click", "zh") is None
    assert translated("Missing option '--out'.", "click", "en") is None
    assert say("wrote", "en", path="x") == "  wrote x"


# --------------------------------------------------------------------------- the library's
# warnings in Chinese: each message is made by the library itself (a warning caught, an
# error raised, or the function that words it) and read through the [patterns] of zh.toml.

WORD = re.compile(r"[A-Za-z]{3,}")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# What a Chinese message quotes as it is: 'quoted' names, policy keys (max_distance_km),
# key=value, and the policy words without an underscore.
QUOTED = re.compile(r"'[^']*'|[\w.-]*_[\w.-]*(?: = [\w.]+)?|\S+=\S+")
KEYS = {"members", "leads", "sectors", "HiGHS", "exact", "fast", "by"}


def _english_left(text: str, allowed: frozenset[str] = frozenset()) -> set[str]:
    """Words of three letters or more in ``text`` that are not quoted names, policy keys or
    ``allowed`` (the ids, names and columns of the case)."""
    return set(WORD.findall(QUOTED.sub(" ", text))) - KEYS - set(allowed)


def _in_chinese(english: str, allowed: frozenset[str] = frozenset()) -> str:
    """``english`` through the patterns: said, with no English left and every number kept."""
    chinese = translated(english, "patterns", "zh")
    assert chinese is not None, english
    left = _english_left(chinese, allowed)
    assert not left, f"{sorted(left)} left in {chinese!r}"
    lost = Counter(NUMBER.findall(english)) - Counter(NUMBER.findall(chinese))
    assert not lost, f"numbers {sorted(lost)} lost in {chinese!r}"
    return chinese


def _caught(run: Callable[[], object]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        run()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _raised(run: Callable[[], object]) -> str:
    with pytest.raises(InfeasibleError) as info:
        run()
    return str(info.value)


def _one(texts: list[str], start: str) -> str:
    (text,) = [x for x in texts if x.startswith(start)]
    return text


def _spot(xy_km: list[tuple[float, float]], quality: list[float] | None = None, **columns):
    """Schools at (x, y) km east/north of 122.75 E, 40.85 N, ids S00…, all rural."""
    schools = random_schools(len(xy_km), seed=1).copy()
    schools.index = pd.Index([f"S{k:02d}" for k in range(len(xy_km))], name="school_id")
    schools[S.AREA] = pd.array(["rural"] * len(xy_km), dtype=object)
    schools[S.LEAD_CANDIDATE] = False
    schools.geometry = gpd.points_from_xy(
        [122.75 + x / 84.3 for x, _ in xy_km], [40.85 + y / 111.0 for _, y in xy_km], crs=S.WGS84
    )
    if quality is not None:
        schools[S.QUALITY] = np.asarray(quality, dtype=float)
    for name, values in columns.items():
        schools[name] = pd.array(values, dtype=object)
    return schools


def _cluster(n: int, spread_km: float = 1.0, seed: int = 0) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    return [tuple(p) for p in rng.uniform(0, spread_km, (n, 2))]


@functools.cache
def _unit_warnings() -> tuple[str, ...]:
    """The warnings of one run by county: SOUTH has a member 120 km out, ONE a single school,
    SAME two schools of equal quality, and two schools have no county."""
    from geogroup import get_method

    xy = [*_cluster(10), (120.0, 0.0), (50.0, 50.0), (80.0, 80.0), (81.0, 80.0), (5.0, 5.0)]
    xy += [(6.0, 5.0)]
    quality = [90, 80, *range(70, 62, -1), 40, 70, 60, 60, 50, 55]
    county = ["SOUTH"] * 11 + ["ONE", "SAME", "SAME", None, "."]
    schools = _spot(xy, quality, county=county)
    policy = Policy(name="t", members=(1, 20), leads="top:0.1", keep_far=True)
    method = get_method("fast", policy=policy, on_infeasible="unassign", random_state=0)
    return tuple(_caught(lambda: propose(schools, policy, method=method, by="county")))


def _left_unassigned(schools, policy: Policy, by: str | None = None) -> str:
    from geogroup import get_method

    method = get_method("fast", policy=policy, on_infeasible="unassign")
    texts = _caught(lambda: propose(schools, policy, method=method, by=by))
    return _one(texts, "left unassigned: ")


def _all_urban() -> tuple[gpd.GeoDataFrame, Policy]:
    """Twelve urban schools under a policy that pairs urban leads with rural members."""
    policy = Policy(name="t", members=(1, 3), pair_urban_rural=True)
    return random_schools(12, seed=1, urban_share=1.0), policy


WEAK_RULES = {"members": (1, 3), "min_weak_per_group": 2, "min_weak_share": 0.5}
WEAK_RULES |= {"weak_share": 0.2, "leads": "top:0.5"}


def _with_unit(start: str) -> str:
    return _one(list(_unit_warnings()), start)


def _prepared(schools, policy) -> str:
    return _raised(lambda: prepare_problem(schools, policy))


def _ids_policy(named: tuple[str, ...], **rules) -> Policy:
    return Policy(name="t", leads=named, **rules)


def _stub_state(**fields):
    """A contiguous-district state (geogroup.group._repair.Districts) with only what the
    messages read."""
    policy = fields.pop("policy", Policy(name="t", members=(2, 4), max_distance_km=8.0))
    p = SimpleNamespace(
        ids=np.array(["L1", "L2", "S3", "S4"], dtype=object),
        names=np.array(["一中", "二中", "三小", "四小"], dtype=object),
        active=np.ones(4, dtype=bool),
        policy=policy,
    )
    state = SimpleNamespace(
        p=p,
        lo=2,
        hi=4,
        adj=[[1], [0], [3], [2]],  # two parts
        members={0: {0, 2}, 1: {1}},
        deadline=math.inf,
        n_members=lambda h: 1,
        need_rural=True,
        need_weak=1,
        rural_flag=[False, False, True, True],
        rural={0: 0, 1: 0},
        weak={0: 0, 1: 0},
    )
    vars(state).update(fields)
    return state


def _fast_gave_up() -> str:
    """FastGrouper when the heuristics break a rule and the unit is too large for the model."""
    from geogroup.group import _fast

    problem = prepare_problem(random_schools(12, seed=3), Policy(name="t", members=(1, 5)))
    grouper = _fast.FastGrouper(policy=problem.policy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast.FastGrouper, "_search", lambda self, p, rng: SimpleNamespace(lead=0))
        patch.setattr(_fast, "judge", lambda problem, lead: ["a broken rule"])
        patch.setattr(_fast.FastGrouper, "_model_plan", lambda self, p, t: None)
        return _raised(lambda: grouper._solve(problem, np.random.default_rng(0)))


def _fast_spacing() -> str:
    from geogroup.group import _fast

    policy = Policy(name="t", members=(1, 4), n_groups=4, min_lead_spacing_km=3.0, leads="top:0.5")
    problem = prepare_problem(_spot(_cluster(16, 20.0)), policy)
    grouper = _fast.FastGrouper(policy=policy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "spread_leads", lambda *a, **k: np.array([0, 1]))
        return _raised(lambda: grouper._first_grouping(problem, np.random.default_rng(0), 0.0))


def _diagnosed(feasible: bool) -> str:
    from geogroup.group import _diagnose

    problem = SimpleNamespace(
        policy=Policy(name="t", members=(2, 6), max_distance_km=5.0, pair_urban_rural=True),
        active=np.ones(30, dtype=bool),
        leads_pool=np.arange(8),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_diagnose, "_feasible", lambda p: feasible)
        return _diagnose.diagnose(problem)


def _no_grouping(infeasible: bool, **rules) -> str:
    from geogroup.group._exact import _no_grouping

    problem = SimpleNamespace(
        policy=Policy(name="county", **rules),
        active=np.ones(900, dtype=bool),
        leads_pool=np.arange(500),
    )
    return str(_no_grouping(problem, SimpleNamespace(infeasible=infeasible), 30.0))


def _growth(kind: str) -> str:
    from geogroup.group._growth import Growth

    p = SimpleNamespace(
        ids=np.array(["L1", "S2", "S3"], dtype=object),
        active=np.ones(3, dtype=bool),
        locked_to=np.array([0, 0, -1]),
    )
    state = SimpleNamespace(
        p=p,
        cap=5.0,
        hi=3,
        reach=lambda i, h: kind != "far",
        dist=lambda i, h: 12.34,
        add=lambda i, h: None,
        _join_up=lambda h: None,
        n_members=lambda h: 6,
        members={0: {0, 1}},
        _component=lambda h: {h},
        _path=lambda reached, apart, h: None,
    )
    if kind == "chain":
        return _raised(lambda: Growth._join_up(state, 0))
    return _raised(lambda: Growth.seed_locked(state))


def _line_of_pairs(rows, policy) -> str:
    from geogroup.group._pairs import PairGrouper

    ids, xs, qs = zip(*rows, strict=True)
    schools = _spot([(x, 0.0) for x in xs], list(qs))
    schools.index = pd.Index(ids, name="school_id")
    return _raised(lambda: PairGrouper(policy=policy).fit(schools))


FONT_WORDS = {"Debian", "Ubuntu", "apt", "get", "install", "fonts", "noto", "cjk", "wqy"}
FONT_WORDS |= {"microhei", "Windows", "macOS"}
ONE_TO_ONE = Policy(name="t", members=(1, 1), leads="top:0.5", weak_share=0.5, balance_weight=0)
FOUR = [("P", 0, 90), ("Q", 4, 88), ("R", 20, 86), ("T", 26, 84)]


def _zones() -> str:
    from shapely.geometry import MultiPolygon, box

    from geogroup.locate._zones import one_piece

    shapes = {
        "G1": MultiPolygon([box(0, 0, 1000, 1000), box(5000, 0, 6000, 1000)]),
        "G2": MultiPolygon([box(1000, 0, 2000, 1000), box(9000, 9000, 9500, 9500)]),
    }
    xy = np.array([[500.0, 500], [5500, 500], [1500, 500]])
    groups = np.array(["G1", "G1", "G2"], dtype=object)
    lead = np.array([True, False, True])
    return _one(_caught(lambda: one_piece(shapes, xy, groups, lead)), "2 district polygon(s)")


def _far_from_roads() -> str:
    from geogroup.locate._network import _warn_far
    from geogroup.locate._snap import Snapped

    metres = np.array([2500.0, 30.0, 1800.0, 1200.0, 5000.0, 3100.0, 4000.0])
    snapped = Snapped(np.zeros(7, dtype=np.int64), np.zeros(7), metres)
    report = snapped.report(np.array([f"S{k}" for k in range(7)], dtype=object), 1000.0)
    return _one(_caught(lambda: _warn_far(report[report["far"]])), "6 school(s)")


def _road_pieces() -> str:
    import scipy.sparse as sp

    from geogroup.locate._network import _warn_pieces

    matrix = sp.csr_matrix((np.ones(2), ([0, 2], [1, 3])), shape=(4, 4))
    ids = np.array(["A", "B", "C", "D"], dtype=object)
    router = SimpleNamespace(matrix=matrix)
    return _one(_caught(lambda: _warn_pieces(router, np.arange(4), ids)), "the roads join")


def _amap() -> str:
    from geogroup.present._options import chosen_basemap, map_options

    opts = map_options("zh", "amap", "cdn", None, 0)
    lonlat = np.array([[122.75, 40.85], [2.35, 48.85], [13.4, 52.5]])
    return _one(_caught(lambda: chosen_basemap(opts, lonlat)), "basemap 'amap'")


def _wide() -> str:
    schools = random_schools(30, seed=4, spread_deg=3.0)
    schools["county"] = pd.array(["A", "B", "C"] * 10, dtype=object)
    policy = Policy(name="t", members=(1, 6))
    return _one(_caught(lambda: propose(schools, policy, method="fast")), "these 30 schools")


def _wide_without_hint() -> str:
    schools = random_schools(30, seed=4, spread_deg=3.0)
    policy = Policy(name="t", members=(1, 6))
    return _one(_caught(lambda: propose(schools, policy, method="fast")), "these 30 schools")


def _capacity() -> str:
    schools = _spot(_cluster(8), cap=[None, 300, 300, 300, 300, 300, 300, 300])
    schools["cap"] = pd.to_numeric(schools["cap"])
    return _prepared(schools, _ids_policy(("S00", "S01"), members=(1, 6), capacity_column="cap"))


def _students(limits: tuple[int, int], n: int = 20) -> str:
    policy = Policy(name="t", members=(1, n - 1), group_students=limits)
    return _prepared(random_schools(n, seed=6), policy)


def _sector(lacking: bool) -> str:
    from geogroup.group._prepare import _sector_bound

    problem = SimpleNamespace(
        policy=Policy(name="t", sectors=4, leads="top:0.2"),
        sector=np.array([0, 0, 1, 2, 2, 3]),
        active=np.ones(6, dtype=bool),
        leads_pool=np.array([0, 3]) if lacking else np.arange(6),
        n_groups_range=(6, 6),
    )
    return _sector_bound(problem)


def _assignment(kind: str) -> str:
    from geogroup.group import _assign

    problem = SimpleNamespace(
        policy=Policy(name="t", members=(1, 3), max_distance_km=5.0, min_weak_per_group=1),
        ids=np.array(["L1", "L2", "S3"], dtype=object),
        locked_to=np.array([-1, 0, 0]),
        n=3,
    )
    if kind == "matching":
        return _assign._no_matching(problem, 7, 2, np.array([0, 1, 2, 3]))
    if kind == "unfilled":
        kinds = np.array([1, 2, 3, 0])
        return _raised(
            lambda: _assign._raise_unfilled(
                problem, np.array([0, 1]), np.array([0, 0, 1, 1]), kinds, np.zeros(4, bool)
            )
        )
    problem.policy = Policy(name="t", members=(1, 1))
    return _raised(lambda: _assign._slot_table(problem, np.array([0]), problem.locked_to, 0))


def _room() -> str:
    from geogroup.group._assign import assign_to_leads

    problem = prepare_problem(_spot(_cluster(9)), Policy(name="t", members=(1, 2), leads="top:0.5"))
    return _raised(lambda: assign_to_leads(problem, np.array([0])))


def _model_without_lead() -> str:
    from geogroup.group._model import Model

    model = SimpleNamespace(
        active=np.array([0, 1, 2]), pair_i=np.array([0, 1]), p=SimpleNamespace(ids=ID3)
    )
    return _raised(lambda: Model._assignment_rows(model, None))


ID3 = np.array(["L1", "S2", "S3"], dtype=object)


def _relaxation() -> str:
    from geogroup.group._relaxation import Relaxation

    problem = prepare_problem(
        random_schools(120, seed=8),
        Policy(name="t", members=(1, 1000), n_groups=3, leads="top:0.4"),
    )
    return _raised(lambda: Relaxation(problem, 4, deadline=time.perf_counter() + 60))


def _district_leads() -> str:
    from geogroup.group._districts import _check_lead_count

    problem = SimpleNamespace(
        n_groups_range=(5, 9), policy=Policy(name="t", min_lead_spacing_km=4.0)
    )
    return _raised(lambda: _check_lead_count(problem, np.array([0, 1, 2]), 5))


def _kmeans_spacing() -> str:
    from geogroup.group._kmeans import _no_spaced_leads

    return str(_no_spaced_leads(SimpleNamespace(policy=Policy(min_lead_spacing_km=2.5)), 6))


def _repair(kind: str) -> str:
    from geogroup.group import _repair

    if kind == "short":
        return _repair._short_message(_stub_state(), 0)
    if kind == "mix":
        return _repair._mix_message(_stub_state(), [0, 1])
    stopped = {"deadline": -math.inf} if kind == "stopped" else {}
    policy = Policy(name="t", members=(2, 4), pair_urban_rural=True, min_weak_per_group=1)
    if kind == "left-capped":
        policy = policy.replace(max_distance_km=8.0)
    state = _stub_state(policy=policy, **stopped)
    return _raised(lambda: _repair._leave_out(state, [2, 3]))


# (name, how the library makes the message, words of the case a translation may keep)
MESSAGES: list[tuple[str, Callable[[], str], set[str]]] = [
    ("unit-missing", lambda: _with_unit("2 school(s) have no value"), {"S14", "S15"}),
    ("unit-far-member", lambda: _with_unit("1 member school(s) lie"), {"SOUTH"}),
    ("unit-left-split", lambda: _with_unit("left unassigned: ONE:"), {"ONE"}),
    ("unit-left-leads-tie", lambda: _with_unit("left unassigned: SAME:"), {"SAME"}),
    (  # a unit's name may hold ': ' itself: the reason starts after the whole name
        "unit-name-with-colon",
        lambda: _with_unit("left unassigned: ONE:").replace("ONE:", "EAST: ONE:", 1),
        {"EAST", "ONE"},
    ),
    (
        "left-one-unit",  # no unit named: the reason follows at once, ': ' and all
        lambda: _left_unassigned(*_all_urban()),
        set(),
    ),
    (
        "left-two-reasons",
        lambda: _left_unassigned(
            random_schools(25, seed=2).assign(county="North-East"),
            Policy(name="t", **WEAK_RULES),
            by="county",
        ),
        {"North", "East"},
    ),
    ("wide-area", _wide, set()),
    ("wide-area-no-column", _wide_without_hint, set()),
    (
        "leads-column-missing",
        lambda: _prepared(_spot(_cluster(6)), Policy(name="t", leads="column:key_school")),
        {"name", "quality", "area", "level", "students", "teachers", "geometry"},
    ),
    (
        "leads-quality-tie",
        lambda: _prepared(_spot(_cluster(6), [70] * 6), Policy(name="t", leads="top:0.2")),
        set(),
    ),
    (
        "must-lead-too-many",
        lambda: _prepared(_spot(_cluster(6)), _ids_policy(("S00", "S01", "S02"), members=(2, 5))),
        set(),
    ),
    (
        "leads-ids-none",
        lambda: _prepared(_spot(_cluster(6)), _ids_policy(("X1",), members=(1, 5))),
        set(),
    ),
    (
        "leads-ids-too-few",
        lambda: _prepared(_spot(_cluster(10)), _ids_policy(("S00",), members=(1, 3))),
        set(),
    ),
    (
        "must-lead-too-close",
        lambda: _prepared(
            _spot(_cluster(8)), _ids_policy(("S00", "S01"), members=(1, 6), min_lead_spacing_km=5)
        ),
        {"S00", "S01"},
    ),
    (
        "locked-beyond-cap",
        lambda: _prepared(
            _spot([*_cluster(5), (30.0, 0.0)], fixed_group=[None, None, None, "F", None, "F"]),
            Policy(name="t", members=(1, 5), max_distance_km=10.0),
        ),
        set(),
    ),
    (
        "no-possible-lead",
        lambda: _prepared(
            _spot([(3.0 * k, 0.0) for k in range(14)]),
            Policy(name="t", members=(1, 13), max_distance_km=0.5),
        ),
        set(),
    ),
    ("capacity-missing", _capacity, {"S00"}),
    ("pairing-bound", lambda: _prepared(*_all_urban()), set()),
    (
        "weak-above-max",
        lambda: _prepared(
            random_schools(12), Policy(name="t", members=(1, 3), min_weak_per_group=4)
        ),
        set(),
    ),
    (
        "weak-too-few-and-share",
        lambda: _prepared(
            random_schools(25, seed=2),
            Policy(
                name="t",
                members=(1, 3),
                min_weak_per_group=2,
                min_weak_share=0.5,
                weak_share=0.2,
                leads="top:0.5",
            ),
        ),
        set(),
    ),
    (
        "spacing-bound",
        lambda: _prepared(
            _spot(_cluster(30, 6.0)),
            Policy(name="t", members=(1, 2), leads="top:0.6", min_lead_spacing_km=5.0),
        ),
        set(),
    ),
    ("sector-no-lead", lambda: _sector(lacking=True), set()),
    ("sector-too-few", lambda: _sector(lacking=False), set()),
    ("students-one-too-big", lambda: _students((0, 1000)), set()),
    ("students-too-many", lambda: _students((0, 1600)), set()),
    ("students-too-few", lambda: _students((20000, 30000)), set()),
    ("locked-group-too-big", lambda: _assignment("slots"), {"L1"}),
    ("no-room", _room, set()),
    ("no-matching", lambda: _assignment("matching"), set()),
    ("places-empty", lambda: _assignment("unfilled"), {"L1", "L2"}),
    (
        "pairs-weak-above-max",
        lambda: _line_of_pairs([*FOUR, ("a", 3, 40)], ONE_TO_ONE.replace(min_weak_per_group=2)),
        set(),
    ),
    (
        "pairs-beyond-cap",
        lambda: _line_of_pairs(
            [*FOUR, ("a", 3, 40), ("b", 7, 42), ("c", 21, 44), ("d", 24, 46)],
            ONE_TO_ONE.replace(max_distance_km=2.5),
        ),
        set(),
    ),
    (
        "pairs-no-partner",
        lambda: _line_of_pairs(
            [*FOUR, ("a", 3.8, 40), ("b", 7, 42), ("c", 21, 44), ("d", 24, 46)],
            ONE_TO_ONE.replace(max_distance_km=3.5),
        ),
        set(),
    ),
    ("exact-proved", lambda: _no_grouping(True, members=(2, 6)), {"county"}),
    ("exact-time", lambda: _no_grouping(False), set()),
    ("diagnose-nothing-to-lift", lambda: _no_grouping(True, members=(0, 6)), {"county"}),
    ("diagnose-lifting-helps", lambda: _diagnosed(True), set()),
    ("diagnose-nothing-helps", lambda: _diagnosed(False), set()),
    ("fast-gave-up", _fast_gave_up, set()),
    ("fast-spacing", _fast_spacing, set()),
    ("relaxation", _relaxation, set()),
    ("model-no-candidate", _model_without_lead, {"S3"}),
    ("kmeans-spacing", _kmeans_spacing, set()),
    ("districts-spacing", _district_leads, set()),
    ("growth-locked-far", lambda: _growth("far"), {"S2", "L1"}),
    ("growth-locked-big", lambda: _growth("big"), {"L1"}),
    ("growth-locked-chain", lambda: _growth("chain"), {"S2", "L1"}),
    ("repair-short", lambda: _repair("short"), {"L1"}),
    ("repair-mix", lambda: _repair("mix"), {"L1", "L2"}),
    ("repair-left", lambda: _repair("left"), {"S3", "S4"}),
    ("repair-left-capped", lambda: _repair("left-capped"), {"S3", "S4"}),
    ("repair-left-stopped", lambda: _repair("stopped"), {"S3", "S4"}),
    ("roads-far", _far_from_roads, {"S0", "S2", "S3", "S4", "S5"}),
    ("roads-pieces", _road_pieces, set()),
    ("zones-pieces", _zones, set()),
    ("map-amap", _amap, {"amap", "GCJ"}),
    ("no-cjk-font", lambda: NO_CJK_FONT, FONT_WORDS),
]


@pytest.mark.parametrize(
    ("make", "allowed"), [m[1:] for m in MESSAGES], ids=[m[0] for m in MESSAGES]
)
def test_the_library_warnings_in_chinese(make, allowed):
    _in_chinese(make(), frozenset(allowed))


def test_a_unit_left_unassigned_is_warned_of_in_chinese(tmp_path):
    path = _schools(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    units = ["东区", "东区", "东区", "东区", "西区", ""]  # 西区: one school; the last: none
    rows = [f"{row},{unit}" for row, unit in zip(lines[1:], units, strict=True)]
    path.write_text("\n".join([lines[0] + ",区县", *rows]) + "\n", encoding="utf-8")
    policy = tmp_path / "p.toml"
    policy.write_text("[policy]\nmembers = [1, 3]\nleads = 'top:0.5'\n", encoding="utf-8")
    args = ["propose", str(path), "--policy", str(policy), "--by", "区县"]
    args += ["--on-infeasible", "unassign", "--out", str(tmp_path / "o"), "--lang", "zh"]
    result = CliRunner(env=EN).invoke(main, args)
    assert result.exit_code == 0, result.output
    warned = [x for x in result.stderr.splitlines() if x.startswith("警告：")]
    assert "警告：单元 西区 的学校未分入集团：1 所学校无法按每个集团 1–3 所成员校划分" in "\n".join(
        warned
    )
    assert any(x.startswith("警告：1 所学校的 '区县' 列没有值") for x in warned), warned
    english = {x: _english_left(x) for x in warned if _english_left(x)}
    assert not english, english


def test_a_unit_that_cannot_be_grouped_is_an_error_in_chinese(tmp_path):
    # By default (--on-infeasible raise) such a unit stops the run: the error names the unit
    # and says why, in Chinese.
    path = _schools(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    units = ["东区", "东区", "东区", "东区", "西区", "东区"]  # 西区: one school
    rows = [f"{row},{unit}" for row, unit in zip(lines[1:], units, strict=True)]
    path.write_text("\n".join([lines[0] + ",区县", *rows]) + "\n", encoding="utf-8")
    policy = tmp_path / "p.toml"
    policy.write_text("[policy]\nmembers = [1, 3]\nleads = 'top:0.5'\n", encoding="utf-8")
    args = ["propose", str(path), "--policy", str(policy), "--by", "区县"]
    args += ["--out", str(tmp_path / "o"), "--lang", "zh"]
    result = CliRunner(env=EN).invoke(main, args)
    assert result.exit_code == 1, result.output
    (error,) = [x for x in result.stderr.splitlines() if x.startswith("错误：")]
    assert error.startswith("错误：单元 西区 无法分组：1 所学校无法按每个集团 1–3 所成员校划分"), (
        error
    )
    assert not _english_left(error), error


def test_a_warning_while_writing_is_said_in_chinese_once(tmp_path, monkeypatch):
    # Warnings of the outputs (here: no font with Chinese glyphs) are said as the run's
    # other warnings are, in its language, each once.
    from geogroup.present import _fonts

    monkeypatch.setattr(_fonts, "cjk_font", lambda: None)
    args = ["propose", str(_schools(tmp_path)), "--policy", "shandong"]
    args += ["--out", str(tmp_path / "o"), "--lang", "zh"]
    result = CliRunner(env=EN).invoke(main, args)
    assert result.exit_code == 0, result.output
    said = [x for x in result.stderr.splitlines() if x.startswith("警告：未找到含中文字形的字体")]
    assert len(said) == 1, result.stderr
