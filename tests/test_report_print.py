"""report.html on paper: the demo county's report printed to PDF by headless Chromium (pages
counted), every table within the printable width of A4 under print media (Playwright), the
lead-name column wide enough to read; and South Africa's report (22,874 schools) summarised
under 1 MB with the full tables in the workbook."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import Browser

import geogroup as gg
from geogroup.present import LABELS, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo_county.csv"
ZA = ROOT.parent / "shared" / "datasets" / "za_schools_2017.csv"
# A4 portrait less the page margins of the print stylesheet (12 mm left and right), in CSS px
PRINTABLE_PX = (210 - 2 * 12) / 25.4 * 96
MAX_PAGES = 24  # the demo county: 307 schools and 46 groups listed in full


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    schools, report = gg.read_schools(DEMO)
    plan = gg.propose(schools, "shandong", method="fast", rejected=report.rejected)
    return write_report(plan, tmp_path_factory.mktemp("print"), lang="zh")


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_demo_report_prints_to_a_few_a4_pages(demo_report, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            chromium_path(),
            "--headless",
            *CHROMIUM_ARGS,
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            demo_report["html"].as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    data = pdf.read_bytes()
    pages = _pages(data)
    assert 1 < pages <= MAX_PAGES, pages
    sizes = set(re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", data))
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(595, 842)}  # A4


def _open_for_print(browser: Browser, path: Path):
    page = browser.new_page(viewport={"width": round(PRINTABLE_PX), "height": 1100})
    page.emulate_media(media="print")
    page.goto(path.as_uri())
    return page


def test_no_table_is_wider_than_the_printed_page(browser, demo_report) -> None:
    page = _open_for_print(browser, demo_report["html"])
    try:
        widths = page.evaluate(
            """() => [...document.querySelectorAll('table')].map(t => ({
                 scroll: t.scrollWidth, box: t.getBoundingClientRect().right,
                 cells: Math.max(...[...t.querySelectorAll('td,th')].map(
                     c => c.getBoundingClientRect().right))}))"""
        )
    finally:
        page.close()
    assert len(widths) >= 5
    for table in widths:
        assert table["scroll"] <= PRINTABLE_PX + 1, table
        assert table["box"] <= PRINTABLE_PX + 1 and table["cells"] <= PRINTABLE_PX + 1, table


def test_the_lead_name_column_is_readable_in_print(browser, demo_report) -> None:
    page = _open_for_print(browser, demo_report["html"])
    try:
        columns = page.evaluate(
            """(name) => [...document.querySelectorAll('thead th')]
                 .filter(th => th.textContent === name)
                 .map(th => th.getBoundingClientRect().width)""",
            LABELS["zh"]["lead_name"],
        )
        sample = page.evaluate(
            """() => { const s = document.createElement('span'); s.textContent = '海城市第一小学';
                 s.style.fontSize = '7.5pt'; document.body.appendChild(s);
                 return s.getBoundingClientRect().width; }"""
        )
    finally:
        page.close()
    assert columns  # the groups table and the schools table
    for width in columns:
        assert width >= sample  # a seven-character school name fits on one line


def test_numbers_are_right_aligned_and_rounded(demo_report) -> None:
    page = demo_report["html"].read_text(encoding="utf-8")
    cells = re.findall(r"<td class='num'>([^<]*)</td>", page)
    assert cells
    for cell in cells:
        assert re.fullmatch(r"—|-?[\d,]+(\.\d|\.\d{3})?%?|-?[\d.]+%", cell), cell


# --- a country: the page summarises -------------------------------------------------------------


@pytest.fixture(scope="module")
def za_plan() -> gg.Plan:
    """South Africa's schools in groups of six by district and position (a plan made here
    in a second: the report's size depends on the plan's size, not on how it was made)."""
    schools, report = gg.read_schools(ZA, columns={"quality": "quintile"}, id_column="emis")
    district = schools["education_district"].astype(str).str.strip().str.upper()
    order = np.lexsort((schools.geometry.x.to_numpy(), district.to_numpy()))
    frame = schools.iloc[order].copy()
    rank = frame.groupby(district.iloc[order].to_numpy()).cumcount().to_numpy()
    frame["group_id"] = district.iloc[order].to_numpy() + "-" + (rank // 6).astype(str)
    frame["role"] = np.where(rank % 6 == 0, "lead", "member")
    return gg.Plan(
        schools=frame,
        policy=gg.get_policy("ninghe"),
        method="hand",
        rejected=report.rejected,
    )


def test_a_countrys_report_is_a_summary_under_one_megabyte(za_plan, tmp_path: Path) -> None:
    assert len(za_plan.schools) == 22_874
    paths = write_report(za_plan, tmp_path, lang="en")
    size = paths["html"].stat().st_size
    assert size <= 1_000_000, size
    page = paths["html"].read_text(encoding="utf-8")
    en = LABELS["en"]
    assert "22,874 schools" in page and "report.xlsx" in page and en["units_title"] in page
    assert f"<h2>{en['schools']}</h2>" not in page  # not every school on the page
    book = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    schools = book[en["schools"]]
    assert schools.max_row == 1 + 22_874  # every school in the workbook
    rejected = book[en["rejected"]]
    assert rejected.max_row == 1 + len(za_plan.rejected)  # every problem of every row
    groups = book[en["groups"]]
    assert groups.max_row == 1 + za_plan.schools["group_id"].nunique()


def test_a_countrys_page_lists_the_first_rows_and_counts_the_rest(za_plan, tmp_path) -> None:
    paths = write_report(za_plan, tmp_path, lang="zh")
    page = paths["html"].read_text(encoding="utf-8")
    zh = LABELS["zh"]
    rows = za_plan.rejected["row"].nunique()
    more = rows - 200
    assert zh["list_more"].format(n=more, sheet=zh["rejected"]) in page
    assert zh["reasons_title"] in page  # rejected rows counted by reason
    counts = pd.Series(za_plan.rejected.drop_duplicates("row")["reason"]).value_counts()
    assert f"<td class='num'>{counts.iloc[0]:,}</td>" in page
