"""Tests of geogroup.present: the HTML page, the Excel workbook and metrics.json."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geogroup.datasets import toy_schools
from geogroup.errors import InputError
from geogroup.evaluate import compare_plans
from geogroup.group import propose
from geogroup.plan import Plan, read_plan
from geogroup.policy import Policy, read_policy
from geogroup.present import LABELS, write_report

DATA = Path(__file__).parent / "data" / "evaluate"
POLICY = Policy(members=(2, 2), leads="top:0.34", pair_urban_rural=True)
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def plan() -> Plan:
    schools = toy_schools()
    schools.loc["B", "name"] = SCRIPT
    schools.loc["C", "name"] = '=HYPERLINK("http://x")'  # would run as a formula in Excel
    schools.loc["E", "name"] = "东庄小学"
    return propose(schools, POLICY, method="exact")


@pytest.fixture(scope="module")
def written(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_report(plan, tmp_path_factory.mktemp("report"), lang="zh")


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_three_files_are_written(written: dict[str, Path]) -> None:
    assert {k: p.name for k, p in written.items()} == {
        "html": "report.html",
        "xlsx": "report.xlsx",
        "metrics": "metrics.json",
    }
    folder = written["html"].parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "metrics.json",
        "report.html",
        "report.xlsx",
    ]


def _assert_summary_is_metrics_json(paths: dict[str, Path], lang: str) -> dict:
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    rows = _rows(openpyxl.load_workbook(paths["xlsx"])[LABELS[lang]["summary"]])
    assert rows[0] == tuple(LABELS[lang][k] for k in ("key", "label", "value"))
    in_excel = {key: value for key, _, value in rows[1:]}
    assert list(in_excel) == list(metrics)
    for key, value in metrics.items():
        assert in_excel[key] == value, key  # exactly: the same floats, None as an empty cell
    return metrics


def test_excel_summary_holds_the_numbers_of_metrics_json(written: dict[str, Path]) -> None:
    metrics = _assert_summary_is_metrics_json(written, "zh")
    assert metrics["groups"] == 2 and metrics["key_teachers_quota"] is None
    assert LABELS["zh"]["key"] == "代码"


def test_excel_has_a_sheet_per_table(written: dict[str, Path], plan: Plan) -> None:
    book = openpyxl.load_workbook(written["xlsx"])
    zh = LABELS["zh"]
    assert book.sheetnames == [
        zh["summary"],
        zh["groups"],
        zh["schools"],
        zh["rejected"],
        zh["violations"],
    ]
    assert _rows(book[zh["rejected"]]) == [(zh["row"], zh["school_id"], zh["name"], zh["problems"])]
    groups = _rows(book[zh["groups"]])
    assert groups[0][:3] == (zh["group_id"], zh["lead_id"], zh["lead_name"])
    assert [r[0] for r in groups[1:]] == ["G01", "G02"]
    schools = _rows(book[zh["schools"]])
    assert len(schools) == 1 + len(plan.schools)
    assert ("B", SCRIPT) in {r[:2] for r in schools}
    assert ("E", "东庄小学") in {r[:2] for r in schools}
    assert _rows(book[zh["violations"]]) == [
        (zh["rule"], zh["group_id"], zh["school_ids"], zh["detail"])
    ]


def test_excel_keeps_formula_like_names_as_text(written: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(written["xlsx"])[LABELS["zh"]["schools"]]
    cells = [row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "C"]
    assert cells[0].value == '=HYPERLINK("http://x")' and cells[0].data_type == "s"
    assert cells[0].quotePrefix  # Excel keeps it text when the cell is edited
    plain = [row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "E"]
    assert not plain[0].quotePrefix


def test_html_escapes_every_input_string(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()  # the page runs no script at all
    assert "东庄小学" in page


def test_html_has_the_charts_and_tables(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    zh = LABELS["zh"]
    assert page.count("<svg") == 3
    for key in (
        "chart_quality",
        "chart_sizes",
        "chart_distance",
        "summary",
        "violations",
        "no_violations",
    ):
        assert zh[key] in page, key
    assert "<html lang='zh-CN'>" in page and "<meta charset='utf-8'>" in page
    assert "100.00&#8239;%" in page  # coverage, as a percentage
    assert not re.search(r"(src|href)=['\"]https?:", page)  # opens offline


def test_english_report(plan: Plan, tmp_path: Path) -> None:
    paths = write_report(plan, tmp_path / "en", lang="en")
    page = paths["html"].read_text(encoding="utf-8")
    assert LABELS["en"]["title"] in page and "<html lang='en'>" in page
    book = openpyxl.load_workbook(paths["xlsx"])
    assert book.sheetnames[0] == "Summary"


def test_unknown_language_is_refused(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="lang"):
        write_report(plan, tmp_path, lang="fr")
    assert not any(tmp_path.iterdir())


def test_violations_of_a_handmade_plan_reach_both_files(tmp_path: Path) -> None:
    handmade = read_plan(DATA / "handmade_plan.csv")
    paths = write_report(
        handmade, tmp_path, lang="en", policy=read_policy(DATA / "handmade_policy.toml")
    )
    rows = _rows(openpyxl.load_workbook(paths["xlsx"])["Policy check"])
    assert len(rows) == 1 + 4
    assert ("members per group", "G2", "L2, M21, M22, M23, M24") in {r[:3] for r in rows}
    page = paths["html"].read_text(encoding="utf-8")
    assert "one lead per group" in page and "城关三小" in page
    metrics = _assert_summary_is_metrics_json(paths, "en")
    assert metrics["schools"] == 19 and metrics["unassigned"] == 1


def test_comparison_adds_its_sheets_and_section(plan: Plan, tmp_path: Path) -> None:
    schools = plan.schools.copy()
    schools.loc["B", "group_id"] = "G02"
    moved = Plan(schools=schools, policy=POLICY, method="hand")
    paths = write_report(moved, tmp_path, lang="zh", comparison=compare_plans(plan, moved))
    zh = LABELS["zh"]
    book = openpyxl.load_workbook(paths["xlsx"])
    assert book.sheetnames[-2:] == [zh["comparison"], zh["moves"]]
    moves = _rows(book[zh["moves"]])
    assert len(moves) == 2 and moves[1][:4] == ("B", SCRIPT, "G01", "G02")
    side = {r[0]: r[2:] for r in _rows(book[zh["comparison"]])[1:]}
    assert side["group_size_max"] == (3, 4, 1)
    page = paths["html"].read_text(encoding="utf-8")
    assert zh["comparison"] in page and "<script" not in page.lower()


def test_files_are_replaced_whole(plan: Plan, tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("old", encoding="utf-8")
    write_report(plan, tmp_path)
    write_report(plan, tmp_path)
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "metrics.json",
        "report.html",
        "report.xlsx",
    ]


# --- every input row accounted for -----------------------------------------------------------


def _with_rejected(n: int) -> Plan:
    rejected = pd.DataFrame(
        {
            "row": [r + 2 for r in range(n) for _ in (0, 1)],
            "school_id": [f"R{r}" for r in range(n) for _ in (0, 1)],
            "name": [f"坏学校{r}" for r in range(n) for _ in (0, 1)],
            "column": ["经度", "得分"] * n,
            "value": ["", "缺"] * n,
            "reason": ["missing longitude", "quality is not a number"] * n,
        }
    )
    return propose(toy_schools(), POLICY, method="exact", rejected=rejected)


def test_the_report_counts_input_rows_and_lists_the_rejected_ones(tmp_path: Path) -> None:
    paths = write_report(_with_rejected(60), tmp_path, lang="en")
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    keys = list(metrics)
    assert keys[keys.index("schools") + 1 : keys.index("schools") + 3] == [
        "input_rows",
        "rejected_on_input",
    ]
    assert (metrics["schools"], metrics["input_rows"], metrics["rejected_on_input"]) == (6, 66, 60)
    assert metrics["coverage"] == 1.0 and metrics["coverage_input_rows"] == 6 / 66
    _assert_summary_is_metrics_json(paths, "en")
    page = paths["html"].read_text(encoding="utf-8")
    en = LABELS["en"]
    assert en["input_rows"] in page and en["coverage_input_rows"] in page
    assert "66 input rows: 6 schools read and 60 rows rejected on input" in page
    assert "9.09&#8239;%" in page and "100.00&#8239;%" in page  # both coverages
    assert "<td>51</td><td>R49</td><td>坏学校49</td>" in page  # the 50th, with its row number
    assert "<td>R50</td>" not in page and "… and 10 more rows" in page
    assert "经度: missing longitude; 得分 &#39;缺&#39;: quality is not a number" in page
    rows = _rows(openpyxl.load_workbook(paths["xlsx"])[en["rejected"]])
    assert rows[0] == (en["row"], en["school_id"], en["name"], en["problems"])
    assert [r[0] for r in rows[1:]] == list(range(2, 62))  # every one, by row number
    assert rows[-1][1:] == (
        "R59",
        "坏学校59",
        "经度: missing longitude; 得分 '缺': quality is not a number",
    )


def test_a_report_without_rejected_rows_says_so(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    assert LABELS["zh"]["no_rejected"] in page
    metrics = json.loads(written["metrics"].read_text(encoding="utf-8"))
    assert metrics["input_rows"] == metrics["schools"] and metrics["rejected_on_input"] == 0


def test_the_same_report_is_the_same_bytes(plan: Plan, tmp_path: Path) -> None:
    first = write_report(plan, tmp_path / "a", lang="zh")
    time.sleep(2.1)  # a zip entry's time has a resolution of two seconds
    second = write_report(plan, tmp_path / "b", lang="zh")
    for key, path in first.items():
        assert path.read_bytes() == second[key].read_bytes(), key
