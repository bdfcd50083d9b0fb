"""The one-page meeting summary: one A4 landscape page as PDF and PNG, in Chinese and English,
the key figures in words, the groups on the county outline (sectors when the policy has
them), from the API, from ``propose`` and from ``geogroup summary``."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.collections import PolyCollection

import geogroup as gg
from geogroup.cli import main
from geogroup.present import LABELS
from geogroup.present._measure import measure
from geogroup.present._sentences import key_figures
from geogroup.present._summary import summary_figure

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo_county.csv"
BOUNDARY = ROOT / "data" / "demo_county_boundary.geojson"
A4_PIXELS = (int(297 / 25.4 * 150), int(210 / 25.4 * 150))  # 150 dpi, whole pixels


@pytest.fixture(scope="module")
def demo() -> gg.Plan:
    schools, report = gg.read_schools(DEMO)
    return gg.propose(
        schools,
        "shandong",
        method="fast",
        rejected=report.rejected.assign(source="demo_county.csv"),
    )


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def _pdf_size_mm(data: bytes) -> tuple[float, float]:
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert box is not None
    return float(box.group(1)) / 72 * 25.4, float(box.group(2)) / 72 * 25.4


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_a4_landscape_page_in_both_formats(demo: gg.Plan, tmp_path: Path, lang: str) -> None:
    pdf = gg.summary_page(demo, tmp_path / "s.pdf", lang=lang, boundary=BOUNDARY).read_bytes()
    png = gg.summary_page(demo, tmp_path / "s.png", lang=lang, boundary=BOUNDARY).read_bytes()
    assert pdf.startswith(b"%PDF") and _pdf_pages(pdf) == 1
    width, height = _pdf_size_mm(pdf)
    assert (round(width), round(height)) == (297, 210)
    assert _png_size(png) == A4_PIXELS


def test_the_same_plan_gives_the_same_bytes(demo: gg.Plan, tmp_path: Path) -> None:
    for suffix in (".pdf", ".png"):
        a = gg.summary_page(demo, tmp_path / f"a{suffix}", lang="zh").read_bytes()
        b = gg.summary_page(demo, tmp_path / f"b{suffix}", lang="zh").read_bytes()
        assert a == b, suffix


def test_the_key_figures_say_the_plans_numbers(demo: gg.Plan) -> None:
    lines = key_figures(measure(demo), "en")
    schools = demo.schools
    grouped = schools[schools["role"] != "unassigned"]
    n_groups = grouped["group_id"].nunique()
    sizes = grouped.groupby("group_id").size()
    assert lines[0] == (
        f"Groups: {n_groups} groups hold {len(grouped)} schools ({(schools['role'] == 'lead').sum()} "
        f"leads, {(schools['role'] == 'member').sum()} members), {sizes.min()}–{sizes.max()} "
        "schools each."
    )
    rows = len(schools) + demo.rejected["row"].nunique()
    assert f"of all {rows} input rows" in lines[1]
    means = grouped.groupby("group_id")["quality"].mean()
    assert f"between {means.min():.1f} and {means.max():.1f}" in lines[2]
    assert f"(county mean {schools['quality'].mean():.1f})" in lines[2]
    assert lines[-1].startswith("Rejected on input: 3 rows, because:")
    assert "Rule check: the plan keeps every rule" in " ".join(lines)


def test_the_chinese_summary_gives_the_reasons_in_chinese(demo: gg.Plan) -> None:
    """The demo's rejected rows (a missing longitude, a duplicate id, ...) are counted by
    reason in Chinese words, each reason's English kind translated by the labels' table."""
    kinds = {str(r).split(";", 1)[0] for r in demo.rejected.drop_duplicates("row")["reason"]}
    line = key_figures(measure(demo), "zh")[-1]
    assert line.startswith("读入时被拒绝：3 行")
    for kind in kinds:
        assert kind not in line
    assert re.search(r"[a-zA-Z]", line.split("原因：", 1)[1]) is None, line


def test_a_coverage_target_is_said_met_or_not(demo: gg.Plan) -> None:
    policy = demo.policy.replace(coverage_target=0.995)
    lines = key_figures(measure(demo, policy=policy), "zh")
    zh = LABELS["zh"]
    # every school read is in a group (met); 307 of 310 input rows is not what is compared
    assert f"{zh['target:coverage']} 100%，目标 99.5%：{zh['target_met']}。" in lines
    weak = [line for line in lines if line.startswith(zh["target:rural_with_urban_lead_share"])]
    assert weak and "未达标" in weak[0]


def test_chinese_text_is_drawn_in_a_cjk_font(demo: gg.Plan) -> None:
    fig = summary_figure(measure(demo), lang="zh", boundary=BOUNDARY)
    texts = [t for t in fig.texts if any(ord(ch) > 0x2E80 for ch in t.get_text())]
    assert texts
    family = gg.present._fonts.cjk_font()
    assert family is not None
    assert all(t.get_fontfamily()[0] == family for t in texts)


def test_the_map_draws_the_boundary_and_every_group(demo: gg.Plan) -> None:
    fig = summary_figure(measure(demo), lang="en", boundary=BOUNDARY)
    ax = fig.axes[0]
    polygons = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(polygons[0].get_paths()) == 1  # the county outline, one polygon
    assert len(polygons[1].get_paths()) == demo.schools["group_id"].nunique()  # group areas
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert LABELS["en"]["legend_boundary"] in legend


def test_without_a_boundary_the_extent_of_the_schools_is_drawn(demo: gg.Plan) -> None:
    fig = summary_figure(measure(demo), lang="en")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert LABELS["en"]["legend_outline"] in legend


def test_sectors_are_drawn_under_a_sector_policy() -> None:
    schools, _ = gg.read_schools(DEMO)
    policy = gg.Policy(members=(1, 200), n_groups=4, sectors=4, leads="top:0.3", levels="mixed")
    plan = gg.propose(schools, policy, method="fast")
    fig = summary_figure(measure(plan), lang="zh", boundary=BOUNDARY)
    ax = fig.axes[0]
    names = {t.get_text() for t in ax.texts}
    assert {"北", "东", "南", "西"} <= names
    rays = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(rays) == 4
    centre = plan.units[0].get("centre")
    assert centre is not None
    # each ray starts at the county's centre and leaves at a bearing between two sectors
    starts = {tuple(np.round(line.get_xydata()[0], 3)) for line in rays}
    assert len(starts) == 1


def test_propose_writes_the_summary_beside_the_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["propose", str(DEMO), "--policy", "shandong", "--out", str(tmp_path), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert _pdf_pages((tmp_path / "summary.pdf").read_bytes()) == 1
    assert _png_size((tmp_path / "summary.png").read_bytes()) == A4_PIXELS


def test_the_output_table_names_the_summary(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nbase = "shandong"\n\n[output]\nsummary = "会议/概要"\n', "utf-8")
    result = CliRunner().invoke(
        main, ["propose", str(DEMO), "--policy", str(policy), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "会议" / "概要.pdf").is_file()
    assert (tmp_path / "o" / "会议" / "概要.png").is_file()


def test_geogroup_summary_draws_any_saved_plan(demo: gg.Plan, tmp_path: Path) -> None:
    demo.write(tmp_path)
    out = tmp_path / "meeting.pdf"
    args = ["summary", str(tmp_path / "plan.gpkg"), "--out", str(out), "--lang", "en"]
    result = CliRunner().invoke(main, [*args, "--boundary", str(BOUNDARY)])
    assert result.exit_code == 0, result.output
    assert _pdf_pages(out.read_bytes()) == 1 and str(out) in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--out", "{dir}/x.jpg"], 2, ".pdf or .png"),
        (["--out", "{dir}/x.png", "--before", "quality"], 2, "--before needs --after"),
        (
            ["--out", "{dir}/x.png", "--before", "{dir}/nope.csv", "--after", "quality"],
            1,
            "neither",
        ),
        (["--out", "{dir}/x.png", "--exchange-rate", "150%"], 2, "above 0 to 100%"),
    ],
)
def test_geogroup_summary_refuses_bad_options(demo, tmp_path, args, code, message) -> None:
    demo.write(tmp_path)
    args = [a.format(dir=tmp_path) for a in args]
    result = CliRunner().invoke(main, ["summary", str(tmp_path / "plan.gpkg"), *args])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.jpg").exists()


def test_the_png_is_drawn_not_blank(demo: gg.Plan, tmp_path: Path) -> None:
    data = gg.summary_page(demo, tmp_path / "s.png", lang="zh").read_bytes()
    # decode the PNG's pixels: a page with a map and a chart has many distinct colours
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    assert len(set(raw[::97])) > 50


def test_a_summary_drawn_in_a_worker_is_the_same_page(demo: gg.Plan, tmp_path: Path) -> None:
    # geogroup propose has a pool worker draw the page while it writes the rest.
    from geogroup.outputs import write_set
    from geogroup.pool import pool
    from geogroup.present import meeting_writers

    here = write_set(tmp_path / "here", meeting_writers(demo, boundary=BOUNDARY))
    there = write_set(
        tmp_path / "there", meeting_writers(demo, boundary=BOUNDARY, executor=pool(2))
    )
    assert sorted(here) == sorted(there)
    for name in here:  # digests: a failure's message stays short
        assert _digest(here[name]) == _digest(there[name]), name


def test_a_page_that_fails_in_a_worker_fails_the_whole_set(demo: gg.Plan, tmp_path: Path) -> None:
    from geogroup.errors import GeogroupError
    from geogroup.outputs import write_set
    from geogroup.pool import pool
    from geogroup.present import meeting_writers

    missing = tmp_path / "no_such_outline.geojson"
    writers = meeting_writers(demo, boundary=missing, executor=pool(2))
    with pytest.raises((GeogroupError, OSError), match="no_such_outline"):
        write_set(tmp_path / "out", writers)
    assert not (tmp_path / "out").exists() or not any(
        p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")
    )


def test_a_summary_drawn_elsewhere_gives_its_warnings_here(
    demo: gg.Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The warnings of the drawing (here: no CJK font) reach the caller as when the page is
    # drawn in this process, once for both files (a thread stands in for the pool's worker).
    from concurrent.futures import ThreadPoolExecutor

    from geogroup.outputs import write_set
    from geogroup.present import _fonts
    from geogroup.present._summary import summary_writers

    monkeypatch.setattr(_fonts, "cjk_font", lambda: None)
    measured = measure(demo)
    with pytest.warns(UserWarning, match="no font with Chinese glyphs") as here:
        write_set(tmp_path / "here", summary_writers(measured))
    with (
        ThreadPoolExecutor(1) as executor,
        pytest.warns(UserWarning, match="no font with Chinese glyphs") as there,
    ):
        write_set(tmp_path / "there", summary_writers(measured, executor=executor))
    assert [str(w.message) for w in there] == [str(w.message) for w in here]
    assert _fonts.NO_CJK_FONT in {str(w.message) for w in there}
