"""The command in Chinese and in English: which language a run speaks, the message
catalogue, and what a planner on a Chinese system sees (usage errors, a missing file, a
policy the schools cannot meet, a proposal's summary line, the help)."""

from __future__ import annotations

import math
import re
import string
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from geogroup.cli import main
from geogroup.cli._lang import CATALOGUE, lang_from_args, locale_lang, say, translated
from geogroup.cli._text import width

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
