"""Tests of the meeting report: the HTML page, the Excel workbook's contents and metrics.json.

The workbook's set-up (formats, frozen headers, print settings) is in test_workbook.py, the
printed page in test_report_print.py, the one-page summary in test_summary.py.
"""

from __future__ import annotations

import base64
import json
import math
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
IMG = "<img src=x onerror=alert(1)>"
CLOSE = "</script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def plan() -> Plan:
    schools = toy_schools()
    schools.loc["B", "name"] = SCRIPT
    schools.loc["C", "name"] = '=HYPERLINK("http://x")'  # would run as a formula in Excel
    schools.loc["E", "name"] = "东庄小学"
    schools.loc["A", "name"] = IMG  # a lead: its name is in the groups table too
    schools.loc["D", "name"] = CLOSE
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
    """The summary sheet holds every figure of metrics.json, in order, by its label only
    (no English key column), as the same number."""
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    words = LABELS[lang]
    rows = _rows(openpyxl.load_workbook(paths["xlsx"])[words["summary"]])
    assert rows[0] == (words["label"], words["value"], words["notes"])
    assert len(rows) == 1 + len(metrics)
    names = {"schools": "schools_n", "groups": "groups_n"}
    for (key, value), row in zip(metrics.items(), rows[1:], strict=True):
        assert row[0] == words[names.get(key, key)], key
        assert row[1] == value, key  # exactly: the same floats, None as an empty cell
    return metrics


def test_excel_summary_holds_the_numbers_of_metrics_json(written: dict[str, Path]) -> None:
    metrics = _assert_summary_is_metrics_json(written, "zh")
    assert metrics["groups"] == 2 and metrics["key_teachers_quota"] is None
    assert metrics["exchange_rate"] == metrics["key_exchange_rate"] == 0.15


def test_the_zh_summary_sheet_has_no_english(written: dict[str, Path]) -> None:
    rows = _rows(openpyxl.load_workbook(written["xlsx"])[LABELS["zh"]["summary"]])
    texts = [cell for row in rows for cell in row if isinstance(cell, str)]
    assert texts and not [t for t in texts if re.search(r"[A-Za-z]{3,}", t) and "Polsby" not in t]


def test_excel_has_a_sheet_per_table(written: dict[str, Path], plan: Plan) -> None:
    book = openpyxl.load_workbook(written["xlsx"])
    zh = LABELS["zh"]
    assert book.sheetnames == [
        zh["summary"],
        zh["groups"],
        zh["schools"],
        zh["rejected"],
        zh["violations"],
        zh["sheet_exchange"],  # the toy schools have teachers
    ]
    assert _rows(book[zh["rejected"]]) == [
        (zh["row"], zh["school_id"], zh["name"], zh["column"], zh["cell"], zh["reason"])
    ]
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


def test_every_school_row_names_its_lead(written: dict[str, Path], plan: Plan) -> None:
    zh = LABELS["zh"]
    rows = _rows(openpyxl.load_workbook(written["xlsx"])[zh["schools"]])
    head = list(rows[0])
    at = {name: head.index(zh[name]) for name in ("school_id", "lead_id", "lead_name", "role")}
    names = plan.schools["name"]
    for row in rows[1:]:
        lead = plan.schools.loc[row[at["school_id"]], "lead_id"]
        assert row[at["lead_id"]] == lead
        assert row[at["lead_name"]] == names[lead]  # the lead's name, from the input
    assert {row[at["role"]] for row in rows[1:]} == {zh["v:lead"], zh["v:member"]}


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
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "<img src=x" not in page
    assert "东庄小学" in page


def test_charts_are_self_contained_svg_images_without_input_text(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    images = re.findall(r"<img src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 3  # balance, distances, group sizes
    for data in images:
        svg = base64.b64decode(data).decode("utf-8")
        assert svg.startswith("<?xml") and "<svg" in svg
        # the text is drawn as shapes: no name from the input reaches the page through it
        assert "alert" not in svg and "东庄" not in svg
    assert not re.search(r"(src|href)=['\"]https?:", page)  # opens offline


def test_html_has_the_sections(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    zh = LABELS["zh"]
    for key in (
        "key_figures",
        "chart_balance",
        "chart_sizes",
        "chart_distance",
        "summary",
        "violations",
        "no_violations",
        "exchange_title",
        "no_rejected",
        "no_unassigned",
    ):
        assert zh[key] in page, key
    assert "<html lang='zh-CN'>" in page and "<meta charset='utf-8'>" in page
    assert "@page{size:A4" in page and "@media print" in page


def _cells(page: str) -> list[str]:
    return re.findall(r"<td class='num'>([^<]*)</td>", page)


def test_numbers_are_rounded_by_kind(written: dict[str, Path], plan: Plan) -> None:
    page = written["html"].read_text(encoding="utf-8")
    numbers = _cells(page)
    assert "100%" in numbers  # coverage, a share
    decimals = {len(n.split(".")[1]) for n in numbers if "." in n and "%" not in n}
    assert decimals <= {1, 3}  # km and quality to 0.1, Theil and compactness to 0.001
    assert not [n for n in numbers if "e-" in n or "e+" in n]
    metrics = json.loads(written["metrics"].read_text(encoding="utf-8"))
    assert f"{metrics['distance_mean_km']:.1f}" in numbers
    assert f"{metrics['quality_mean']:.1f}" in numbers


def test_english_report(plan: Plan, tmp_path: Path) -> None:
    paths = write_report(plan, tmp_path / "en", lang="en")
    page = paths["html"].read_text(encoding="utf-8")
    assert LABELS["en"]["title"] in page and "<html lang='en'>" in page
    assert f"{LABELS['en']['status']}: {LABELS['en'][f'v:{plan.status}']}" in page
    book = openpyxl.load_workbook(paths["xlsx"])
    assert book.sheetnames[0] == "Summary"
    _assert_summary_is_metrics_json(paths, "en")


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


def test_unassigned_schools_are_listed_with_their_reason(tmp_path: Path) -> None:
    handmade = read_plan(DATA / "handmade_plan.csv")
    paths = write_report(handmade, tmp_path, lang="en")
    page = paths["html"].read_text(encoding="utf-8")
    title = f"<h2>{LABELS['en']['unassigned_title']}</h2>"
    section = page.split(title, 1)[1].split("</section>", 1)[0]
    reasons = handmade.schools.loc[handmade.schools["role"] == "unassigned", "reason"]
    assert len(reasons) == 1
    for school_id, reason in reasons.items():
        assert f"<td class='text'>{school_id}</td>" in section and str(reason) in section


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
    side = {r[0]: r[1:] for r in _rows(book[zh["comparison"]])[1:]}
    assert side[zh["group_size_max"]] == (3, 4, 1)
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


def test_writing_the_report_leaves_the_plan_untouched(plan: Plan, tmp_path: Path) -> None:
    before = plan.schools.copy()
    write_report(plan, tmp_path, lang="zh")  # the workbook translates roles: on a copy
    pd.testing.assert_frame_equal(plan.schools, before)


# --- exchange quotas and coverage targets -------------------------------------------------------


def test_exchange_quotas_follow_the_policy_rates(tmp_path: Path) -> None:
    schools = toy_schools().assign(key_teachers=[10, 3, 2, 9, 2, 3])
    policy = POLICY.replace(exchange_rate=0.19, key_exchange_rate=0.5)
    made = propose(schools, policy, method="exact")
    paths = write_report(made, tmp_path, lang="en")
    rows = _rows(openpyxl.load_workbook(paths["xlsx"])["Teacher exchange"])
    head = list(rows[0])
    en = LABELS["en"]
    at = {k: head.index(en[k]) for k in ("group_id", "teachers", "teachers_quota")}
    key_at = head.index(en["key_teachers_quota"])
    for row in rows[1:]:
        members = made.schools[made.schools["group_id"] == row[at["group_id"]]]
        assert row[at["teachers"]] == members["teachers"].sum()
        assert row[at["teachers_quota"]] == math.ceil(0.19 * members["teachers"].sum())
        assert row[key_at] == math.ceil(0.5 * members["key_teachers"].sum())
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    assert metrics["key_teachers_quota"] == sum(r[key_at] for r in rows[1:])
    assert (metrics["exchange_rate"], metrics["key_exchange_rate"]) == (0.19, 0.5)
    page = paths["html"].read_text(encoding="utf-8")
    assert "19%" in page and "50%" in page


@pytest.mark.parametrize(("target", "verdict"), [(0.8, "target_met"), (1.0, "target_met")])
def test_a_coverage_target_is_compared_in_words(plan: Plan, tmp_path: Path, target, verdict):
    paths = write_report(plan, tmp_path, lang="zh", policy=POLICY.replace(coverage_target=target))
    page = paths["html"].read_text(encoding="utf-8")
    zh = LABELS["zh"]
    line = f"{zh['target:coverage']} 100%，目标 {target:.0%}：{zh[verdict]}。"
    assert line in page
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    assert metrics["coverage_target"] == target


def test_a_missed_target_says_by_how_much(tmp_path: Path) -> None:
    handmade = read_plan(DATA / "handmade_plan.csv")  # 18 of 19 schools in a group
    policy = read_policy(DATA / "handmade_policy.toml").replace(coverage_target=0.99)
    paths = write_report(handmade, tmp_path, lang="en", policy=policy)
    page = paths["html"].read_text(encoding="utf-8")
    share = 18 / 19
    gap = f"{100 * (0.99 - share):.1f}"
    assert f"target 99%: not met ({gap} percentage points short)." in page
    rows = _rows(openpyxl.load_workbook(paths["xlsx"])["Summary"])
    notes = {r[0]: r[2] for r in rows[1:]}
    assert notes[LABELS["en"]["coverage"]].endswith(f"not met ({gap} percentage points short)")


def test_no_target_no_comparison(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    assert "目标" not in page
    assert "coverage_target" not in json.loads(written["metrics"].read_text(encoding="utf-8"))


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
            "source": ["schools.csv"] * (2 * n),
        }
    )
    return propose(toy_schools(), POLICY, method="exact", rejected=rejected)


def test_the_report_counts_input_rows_and_lists_every_rejected_one(tmp_path: Path) -> None:
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
    assert "9.1%" in page and "100%" in page  # both coverages
    for r in range(60):  # a small plan's page lists every rejected row
        assert f"<td class='text'>R{r}</td><td class='wide'>坏学校{r}</td>" in page
    assert "经度: missing longitude; 得分 &#39;缺&#39;: quality is not a number" in page
    rows = _rows(openpyxl.load_workbook(paths["xlsx"])[en["rejected"]])
    assert rows[0] == (
        en["file"],
        en["row"],
        en["school_id"],
        en["name"],
        en["column"],
        en["cell"],
        en["reason"],
    )
    assert [r[1] for r in rows[1:]] == [r + 2 for r in range(60) for _ in (0, 1)]
    assert rows[-2:] == [
        ("schools.csv", 61, "R59", "坏学校59", "经度", None, "missing longitude"),
        ("schools.csv", 61, "R59", "坏学校59", "得分", "缺", "quality is not a number"),
    ]


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


def test_reasons_are_shown_in_the_reports_language(tmp_path: Path) -> None:
    # A Chinese report gives every reason in Chinese: the rows rejected on input (the page's
    # list and the workbook's sheet), the schools in no group (page, workbook, map popups).
    import geogroup as gg

    demo = Path(__file__).resolve().parents[1] / "data" / "demo_county.csv"
    schools, report = gg.read_schools(demo)
    schools["unit"] = "U1"
    schools.loc[schools.index[0], "unit"] = None  # in no unit: left out, with its reason
    with pytest.warns(UserWarning, match="no value in the 'unit' column"):
        plan = propose(schools, "shandong", method="fast", by="unit", rejected=report.rejected)
    english = {"missing longitude", "latitude and longitude probably swapped", "no value in the"}
    chinese = {"缺少经度", "经纬度可能颠倒", "所属单元未知（该列无值）"}
    for lang, shown, hidden in (("zh", chinese, english), ("en", english, chinese)):
        out = write_report(plan, tmp_path / lang, lang=lang)
        page = Path(out["html"]).read_text(encoding="utf-8")
        book = openpyxl.load_workbook(out["xlsx"], read_only=True)
        cells = " ".join(
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
        )
        map_page = gg.save_map(plan, tmp_path / f"{lang}.html", lang=lang).read_text("utf-8")
        for words in shown:
            assert words in page and words in cells, (lang, words)
        assert all(words not in page and words not in cells for words in hidden), lang
        unit_words = "所属单元未知" if lang == "zh" else "no value in the"
        assert unit_words in map_page, lang
