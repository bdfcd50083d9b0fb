"""report.xlsx as a planner filters and prints it, read back with openpyxl: number formats by
kind, bold frozen headers, autofilter, widths fitted to the content (CJK counted double),
print titles, landscape A4 one page wide; and the fast sheet writer against the slow one."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import geogroup as gg
from geogroup.present import LABELS, write_report
from geogroup.present._workbook import Table, workbook_bytes

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo_county.csv"
ZH = LABELS["zh"]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    schools, report = gg.read_schools(DEMO)
    plan = gg.propose(schools, "shandong", method="fast", rejected=report.rejected)
    paths = write_report(plan, tmp_path_factory.mktemp("wb"), lang="zh")
    return openpyxl.load_workbook(paths["xlsx"])


def _column(sheet, header: str) -> int:
    heads = [c.value for c in sheet[1]]
    return heads.index(header) + 1


@pytest.mark.parametrize(
    ("sheet", "header", "number_format"),
    [
        ("schools", "distance_km", "0.0"),
        ("schools", "quality", "0.0"),
        ("groups", "mean_distance_km", "0.0"),
        ("groups", "mean_quality", "0.0"),
        ("groups", "compactness", "0.000"),
        ("groups", "size", "#,##0"),
    ],
)
def test_number_formats_by_kind(book, sheet: str, header: str, number_format: str) -> None:
    ws = book[ZH[sheet]]
    c = _column(ws, ZH[header])
    cells = [row[c - 1] for row in ws.iter_rows(min_row=2) if row[c - 1].value is not None]
    assert cells and {cell.number_format for cell in cells} == {number_format}
    assert all(isinstance(cell.value, int | float) for cell in cells)  # full values kept


def test_shares_on_the_summary_sheet_are_percent(book) -> None:
    ws = book[ZH["summary"]]
    rows = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert rows[ZH["coverage"]].number_format == "0.0%"
    assert rows[ZH["weak_coverage"]].number_format == "0.0%"
    assert rows[ZH["distance_mean_km"]].number_format == "0.0"
    assert rows[ZH["theil_total"]].number_format == "0.000"
    assert 0 < rows[ZH["coverage"]].value <= 1  # a share stored as a fraction


def test_every_sheet_is_set_up_to_filter_and_print(book) -> None:
    for ws in book.worksheets:
        width = ws.max_column
        last = openpyxl.utils.get_column_letter(width)
        assert ws.freeze_panes in ("A2", "B2", "C2"), ws.title
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", ws.title
        assert all(cell.font.b for cell in ws[1]), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title


def _shown_width(value) -> int:
    text = value if isinstance(value, str) else f"{value:,.1f}"
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def test_columns_fit_their_content_cjk_counted_double(book) -> None:
    ws = book[ZH["schools"]]
    c = _column(ws, ZH["name"])
    names = [row[c - 1].value for row in ws.iter_rows(min_row=2)]
    widest = max(_shown_width(n) for n in names)  # Chinese names: twice their length
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
    assert widest > max(len(n) for n in names) + 2
    assert widest <= width <= widest + 4
    ids = _column(ws, ZH["school_id"])
    id_width = ws.column_dimensions[openpyxl.utils.get_column_letter(ids)].width
    assert len("2103810001") <= id_width <= 20  # ten digits, not a name's width


def test_the_lead_name_is_on_every_school_row(book) -> None:
    ws = book[ZH["schools"]]
    at = {k: _column(ws, ZH[k]) - 1 for k in ("school_id", "name", "lead_id", "lead_name")}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    name_of = {r[at["school_id"]]: r[at["name"]] for r in rows}
    grouped = [r for r in rows if r[at["lead_id"]] is not None]
    assert len(grouped) == len(rows)  # the demo plan leaves no school out
    for r in grouped:
        assert r[at["lead_name"]] == name_of[r[at["lead_id"]]]


def test_the_rejected_sheet_lists_each_problem_with_row_and_column(book) -> None:
    rows = list(book[ZH["rejected"]].iter_rows(values_only=True))
    assert rows[0] == (
        ZH["row"],
        ZH["school_id"],
        ZH["name"],
        ZH["column"],
        ZH["cell"],
        ZH["reason"],
    )
    raw = pd.read_csv(DEMO, encoding="utf-8-sig", dtype=str)
    _, report = gg.read_schools(DEMO)
    assert {r[0] for r in rows[1:]} == set(report.rejected["row"].astype(int))
    assert len(rows) - 1 == len(report.rejected)  # one line per problem
    for row in rows[1:]:
        # the file's own header(s): "经度, 纬度" when a problem concerns two columns
        assert row[3] is None or set(row[3].split(", ")) <= set(raw.columns)
        assert row[5]


def test_the_summary_sheet_is_all_chinese(book) -> None:
    ws = book[ZH["summary"]]
    assert [c.value for c in ws[1]] == [ZH["label"], ZH["value"], ZH["notes"]]
    labels = [row[0].value for row in ws.iter_rows(min_row=2)]
    assert labels and all(any(ord(ch) > 0x2E80 for ch in text) for text in labels)


# --- the fast sheet writer -----------------------------------------------------------------------


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    names = np.array(["东庄小学", " lead space", "a&b<c>", "=SUM(A1)", "-1.5", "x\u0001y"])
    return pd.DataFrame(
        {
            "school_id": [f"S{i:05d}" for i in range(n)],
            "name": names[rng.integers(0, len(names), n)],
            "quality": rng.normal(70, 10, n).round(3),
            "distance_km": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 20),
            "students": pd.array(rng.integers(0, 2000, n), dtype="Int64"),
            "weak": rng.random(n) < 0.3,
            "role": rng.choice(["lead", "member", "unassigned"], n),
        }
    )


def test_the_fast_writer_reads_back_cell_for_cell() -> None:
    frame = _frame(500)
    frame.loc[3, "students"] = pd.NA
    data = workbook_bytes([Table("t", frame, coded=frozenset({"role"}))], "zh")
    ws = openpyxl.load_workbook(io.BytesIO(data))["t"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(frame)
    for row, (_, want) in zip(rows, frame.iterrows(), strict=True):
        assert row[0] == want["school_id"]
        assert row[1] == want["name"].replace("\u0001", "")  # Excel refuses control characters
        assert row[2] == pytest.approx(want["quality"], abs=0)
        assert (row[3] is None) == math.isnan(want["distance_km"])
        if row[3] is not None:
            assert row[3] == want["distance_km"]
        assert row[4] == (None if pd.isna(want["students"]) else int(want["students"]))
        assert row[5] == (ZH["v:true"] if want["weak"] else ZH["v:false"])
        assert row[6] == ZH[f"v:{want['role']}"]
    formula = [c for c in ws["B"][1:] if c.value == "=SUM(A1)"]
    assert formula and all(c.quotePrefix and c.data_type == "s" for c in formula)
    assert not [c for c in ws["B"][1:] if c.value == "-1.5" and c.quotePrefix]  # a number's text
    spaced = [c for c in ws["B"][1:] if c.value == " lead space"]
    assert spaced  # leading space kept


def test_the_same_tables_give_the_same_bytes() -> None:
    frame = _frame(300)
    first = workbook_bytes([Table("t", frame)], "en")
    second = workbook_bytes([Table("t", frame.copy())], "en")
    assert first == second
