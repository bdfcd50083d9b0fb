"""From the command line: value added (``evaluate --before --after``), teacher exchange quotas
(``--exchange-rate``, ``--key-exchange-rate``, a 骨干教师数 column) and coverage targets,
each checked in the files against figures computed here from the plan and the inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from geogroup.cli import main
from geogroup.present import LABELS

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo_county.csv"
EN = LABELS["en"]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo county with key teachers (as 骨干教师数) and two years of scores, proposed
    under shandong with a 19 % exchange rate; and the two years as files."""
    folder = tmp_path_factory.mktemp("va")
    frame = pd.read_csv(DEMO, encoding="utf-8-sig", dtype=str)
    rng = np.random.default_rng(19)
    teachers = pd.to_numeric(frame["教师数"], errors="coerce")
    frame["骨干教师数"] = (teachers * 0.2).round().astype("Int64").astype(str)
    score = pd.to_numeric(frame["得分"], errors="coerce")
    frame["成绩2023"] = score.round(1)
    frame["成绩2024"] = (score + rng.normal(1.0, 3.0, len(frame))).round(1)
    schools = folder / "schools.csv"
    frame.to_csv(schools, index=False, encoding="utf-8-sig")
    before = folder / "2023.csv"  # what Excel on Chinese Windows saves: GBK
    frame[["学校代码", "成绩2023"]].rename(columns={"成绩2023": "成绩"}).to_csv(
        before, index=False, encoding="gbk"
    )
    after = folder / "2024.xlsx"
    frame[["学校代码", "成绩2024"]].rename(
        columns={"学校代码": "school_id", "成绩2024": "score"}
    ).to_excel(after, index=False)
    out = folder / "out"
    result = CliRunner().invoke(
        main,
        [
            "propose",
            str(schools),
            "--policy",
            "shandong",
            "--out",
            str(out),
            "--lang",
            "en",
            "--exchange-rate",
            "19%",
        ],
    )
    assert result.exit_code == 0, result.output
    return {"schools": schools, "before": before, "after": after, "out": out, "folder": folder}


def _sheet(path: Path, name: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))


def _plan(county: dict[str, Path]) -> pd.DataFrame:
    plan = pd.read_csv(county["out"] / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str})
    return plan[plan["role"].isin(["lead", "member"])]


def _gaps(plan: pd.DataFrame, scores: pd.Series) -> pd.Series:
    """Each group's lead − mean of members on ``scores``, over schools with both years."""
    table = plan.assign(score=plan["school_id"].map(scores))
    lead = table[table["role"] == "lead"].set_index("group_id")["score"]
    members = table[table["role"] == "member"].groupby("group_id")["score"].mean()
    return lead - members


def test_propose_takes_the_exchange_rate_and_the_key_teacher_header(county) -> None:
    rows = _sheet(county["out"] / "report.xlsx", EN["sheet_exchange"])
    head = list(rows[0])
    for key in ("group_id", "teachers", "teachers_quota", "key_teachers", "key_teachers_quota"):
        assert EN[key] in head, key
    plan = _plan(county)
    raw = pd.read_csv(county["schools"], encoding="utf-8-sig", dtype=str).set_index("学校代码")
    for row in rows[1:]:
        record = dict(zip(head, row, strict=True))
        ids = plan.loc[plan["group_id"] == record[EN["group_id"]], "school_id"]
        teachers = pd.to_numeric(raw.loc[ids, "教师数"]).sum()
        key = pd.to_numeric(raw.loc[ids, "骨干教师数"]).sum()
        assert record[EN["teachers"]] == teachers
        assert record[EN["teachers_quota"]] == math.ceil(0.19 * teachers - 1e-9)
        assert record[EN["key_teachers"]] == key
        assert record[EN["key_teachers_quota"]] == math.ceil(0.15 * key - 1e-9)
    metrics = json.loads((county["out"] / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["exchange_rate"] == 0.19 and metrics["key_exchange_rate"] == 0.15
    saved = json.loads((county["out"] / "plan.json").read_text(encoding="utf-8"))
    assert saved["policy"]["exchange_rate"] == 0.19  # the plan keeps the rate it was made with


def test_evaluate_value_added_from_files(county, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(county["out"] / "plan.gpkg"),
            "--out",
            str(tmp_path),
            "--lang",
            "en",
            "--before",
            str(county["before"]),
            "--after",
            str(county["after"]),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "metrics.json",
        "report.html",
        "report.xlsx",
        "summary.pdf",
        "summary.png",
    ]
    raw = pd.read_csv(county["schools"], encoding="utf-8-sig", dtype=str).set_index("学校代码")
    before = pd.to_numeric(raw["成绩2023"])
    after = pd.to_numeric(raw["成绩2024"])
    plan = _plan(county)
    expected_before, expected_after = _gaps(plan, before), _gaps(plan, after)
    rows = _sheet(tmp_path / "report.xlsx", EN["sheet_value_added"])
    head = list(rows[0])
    for row in rows[1:]:
        record = dict(zip(head, row, strict=True))
        group = record[EN["group_id"]]
        assert record[EN["gap_before"]] == pytest.approx(expected_before[group])
        assert record[EN["gap_after"]] == pytest.approx(expected_after[group])
        assert record[EN["gap_change"]] == pytest.approx(
            expected_after[group] - expected_before[group]
        )
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert EN["value_added_title"] in page and EN["chart_value_added"] in page
    assert str(county["before"]) in page and str(county["after"]) in page
    narrowed = int(((expected_after - expected_before) < 0).sum())
    assert f"narrowed in {narrowed} of {len(expected_before)} groups" in page


def test_evaluate_value_added_from_columns_of_the_plan(county, tmp_path: Path) -> None:
    args = ["evaluate", str(county["out"] / "plan.csv"), "--out", str(tmp_path), "--lang", "en"]
    result = CliRunner().invoke(main, [*args, "--before", "成绩2023", "--after", "成绩2024"])
    assert result.exit_code == 0, result.output
    from_files = tmp_path.parent / "files"
    again = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(county["out"] / "plan.csv"),
            "--out",
            str(from_files),
            "--lang",
            "en",
            "--before",
            str(county["before"]),
            "--after",
            str(county["after"]),
        ],
    )
    assert again.exit_code == 0, again.output
    by_columns = _sheet(tmp_path / "report.xlsx", EN["sheet_value_added"])
    by_files = _sheet(from_files / "report.xlsx", EN["sheet_value_added"])
    assert by_columns == by_files


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "2 school id(s) are not in the plan (such as 'NOSUCH', 'NOSUCH2')"),
        ("zh", "有 2 个学校编号不在方案中（如 'NOSUCH', 'NOSUCH2'）"),
    ],
)
def test_ids_not_in_the_plan_are_named(county, tmp_path: Path, lang: str, said: str) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("school_id,score\n2103810001,80\nNOSUCH,70\nNOSUCH2,60\n", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(county["out"] / "plan.gpkg"),
            "--out",
            str(tmp_path / "o"),
            "--before",
            str(scores),
            "--after",
            str(scores),
            "--lang",
            lang,
        ],
    )
    assert result.exit_code == 0, result.output
    assert said in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("school_id,score\nA,1\nA,2\n", "school id 'A' is given more than once (rows 2, 3"),
        ("名称,score\nA,1\n", "no school id column"),
        ("school_id,x,y\nA,1,2\n", "no score column"),
    ],
)
def test_a_bad_scores_file_is_a_clear_error(county, tmp_path: Path, text, message) -> None:
    scores = tmp_path / "bad.csv"
    scores.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(county["out"] / "plan.gpkg"),
            "--out",
            str(tmp_path / "o"),
            "--before",
            str(scores),
            "--after",
            str(county["after"]),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and message in result.output and str(scores) in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_evaluate_takes_other_exchange_rates(county, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(county["out"] / "plan.gpkg"),
            "--out",
            str(tmp_path),
            "--lang",
            "en",
            "--key-exchange-rate",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = _sheet(tmp_path / "report.xlsx", EN["sheet_exchange"])
    head = list(rows[0])
    for row in rows[1:]:
        record = dict(zip(head, row, strict=True))
        assert record[EN["key_teachers_quota"]] == math.ceil(0.5 * record[EN["key_teachers"]])
        assert record[EN["teachers_quota"]] == math.ceil(0.19 * record[EN["teachers"]] - 1e-9)


def test_a_coverage_target_reaches_the_report_workbook_and_summary(county, tmp_path: Path) -> None:
    policy = tmp_path / "target.toml"
    policy.write_text('[policy]\nbase = "shandong"\ncoverage_target = 0.8\n', encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(county["out"] / "plan.gpkg"),
            "--out",
            str(tmp_path / "o"),
            "--policy",
            str(policy),
            "--lang",
            "zh",
        ],
    )
    assert result.exit_code == 0, result.output
    zh = LABELS["zh"]
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text(encoding="utf-8"))
    share = metrics["coverage"]
    verdict = zh["target_met"] if share >= 0.8 else zh["target_missed"]
    page = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert f"{zh['target:coverage']} {round(100 * share)}%，目标 80%：{verdict}。" in page
    rows = _sheet(tmp_path / "o" / "report.xlsx", zh["summary"])
    notes = {r[0]: r[2] for r in rows[1:]}
    assert notes[zh["coverage"]] == f"{zh['coverage_target']} 80%: {verdict}"
    assert metrics["coverage_target"] == 0.8
