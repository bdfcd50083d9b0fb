"""The plan editor in a real browser: scripted edits, then the page's figures and violations
against Python's evaluation of the plan the page exports.

Each edit goes through ``window.geogroupEditor`` (move, setLead, newGroup, lock, unassign,
undo, redo); the page then exports the edited plan (CSV with its JSON), which
``geogroup.read_plan`` reads back and ``geogroup.check_plan`` / ``plan_metrics`` /
``group_metrics`` evaluate. The page must agree: the same violations (rule, group, schools),
the same figures to 1e-9; and the independent judge of ``tests/oracle.py`` must find the same
rules broken. The edits are chosen to break every rule the policies set.

The page is one self-contained file opened from disk; any request it makes is refused and
recorded, so the tests also show it needs no network. Chromium is Debian's (as in
``tests/test_browser.py``); without it these tests fail, they do not skip.
"""

from __future__ import annotations

import base64
import dataclasses
import http.server
import io
import math
import re
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page

import geogroup as gg
from geogroup import schema as S
from geogroup.cli import main as cli_main
from geogroup.evaluate import allowed_leads, weak_schools
from geogroup.locate import DistanceTable
from geogroup.present._numbers import shown
from geogroup.rules import plan_arrays

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle
from helpers import random_schools

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
TOL = 1e-9
IF_ASSIGNED = "(a) => window.geogroupEditorPage.editor.engine.assigned(window.geogroupEditorPage.editor.pos(a)) ? "
HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT_END = "</script><script>alert(2)</script>"

# --- the browser ------------------------------------------------------------------------------


@dataclass
class Opened:
    """An editor page and what it reported."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def js(self, expression: str, *args: object) -> object:
        return self.page.evaluate(expression, *args) if args else self.page.evaluate(expression)

    def clean(self) -> bool:
        return not (self.errors or self.dialogs or self.blocked)


def open_editor(browser: Browser, path: Path) -> Opened:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(f"uncaught: {e}"))
    page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))

    def route(r: object) -> None:
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            opened.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.geogroupEditor !== undefined", timeout=60_000)
    return opened


def editor_page(browser: Browser, plan: gg.Plan, tmp: Path, **options: object) -> Opened:
    return open_editor(browser, gg.save_editor(plan, tmp / "editor.html", **options))


# --- parity -----------------------------------------------------------------------------------


def exported(opened: Opened, folder: Path, stem: str = "edited") -> Path:
    """The page's CSV and JSON saved side by side; the CSV's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.csv"
    path.write_bytes(opened.js("geogroupEditor.exportCSV()").encode("utf-8"))
    path.with_suffix(".json").write_bytes(opened.js("geogroupEditor.exportJSON()").encode("utf-8"))
    return path


def _same(js: object, py: object) -> bool:
    if py is None or (isinstance(py, float) and math.isnan(py)) or py is pd.NA:
        return js is None
    if js is None:
        return False
    if isinstance(py, bool | np.bool_) or isinstance(js, bool):
        return bool(js) == bool(py)
    if isinstance(py, str):
        return js == py
    return math.isclose(float(js), float(py), rel_tol=TOL, abs_tol=TOL)


def _rows(rows: list[dict]) -> list[tuple]:
    return [(r["rule"], r["group_id"], tuple(r["school_ids"])) for r in rows]


def assert_parity(
    opened: Opened, folder: Path, distances: DistanceTable | None = None, stem: str = "edited"
) -> tuple[gg.Plan, list[dict]]:
    """The page's violations and figures equal Python's of the exported plan; returns the plan
    read back and the page's violations."""
    path = exported(opened, folder, stem)
    plan = gg.read_plan(path)
    plan.distances = distances
    page_rows = opened.js("geogroupEditor.violations()")
    py_rows = gg.check_plan(plan).to_dict("records")
    assert sorted(_rows(page_rows)) == sorted(_rows(py_rows))
    assert [r["rule"] for r in page_rows] == [r["rule"] for r in py_rows]  # in the rulebook's order
    by = plan.params.get("by")
    table = None if distances is None else distances.pairs
    judged = oracle.broken_rules(
        plan.schools, plan.policy, by if by in plan.schools else None, table
    )
    assert {r["rule"] for r in page_rows} == judged
    figures = opened.js("geogroupEditor.metrics()")
    py_plan = gg.plan_metrics(plan)
    assert set(py_plan) - set(figures["plan"]) == {"compactness_mean"}
    bad = {k: (v, py_plan[k]) for k, v in figures["plan"].items() if not _same(v, py_plan[k])}
    assert not bad
    py_groups = gg.group_metrics(plan).drop(columns="compactness", errors="ignore")
    assert sorted(figures["groups"]) == sorted(py_groups.index)
    for g, row in py_groups.iterrows():
        page = figures["groups"][g]
        bad = {
            c: (page.get(c), row[c]) for c in py_groups.columns if not _same(page.get(c), row[c])
        }
        assert not bad, g
    return plan, page_rows


def rules_of(rows: list[dict]) -> set[str]:
    return {r["rule"] for r in rows}


# --- plans --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_read() -> tuple[gg.ReadResult, pd.DataFrame]:
    schools, report = gg.read_schools(ROOT / "data" / "demo_county.csv")
    return schools, report.rejected


@pytest.fixture(scope="module")
def shandong_plan(demo_read) -> gg.Plan:
    schools, rejected = demo_read
    return gg.propose(schools, "shandong", method="fast", rejected=rejected)


@pytest.fixture(scope="module")
def anshan_plan(demo_read) -> gg.Plan:
    schools, rejected = demo_read
    return gg.propose(schools, "anshan-haicheng", method="fast", rejected=rejected)


def _lead_pairs_km(plan: gg.Plan) -> np.ndarray:
    leads = plan.schools[plan.schools[S.ROLE] == S.LEAD]
    xy = gg.metric_crs(leads)
    pts = leads.to_crs(xy)
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) / 1000
    return d[np.triu_indices(len(x), 1)]


def strict_shandong(plan: gg.Plan, base: str = "shandong") -> gg.Policy:
    """A policy (Shandong's) with a distance cap, a weak share and a lead spacing the
    proposal keeps."""
    dist = plan.schools[S.DISTANCE_KM].max()
    spacing = float(np.floor(_lead_pairs_km(plan).min() * 100) / 100)
    groups = gg.group_metrics(plan)
    share = float((groups["n_weak"] / groups["size"]).min())
    return gg.get_policy(base).replace(
        name=f"{base}-strict",
        max_distance_km=float(math.ceil(dist + 1)),
        min_weak_share=math.floor(share * 100) / 100,
        min_lead_spacing_km=spacing,
    )


def lead_km(plan: gg.Plan, school: str) -> pd.Series:
    """Straight-line km from the school to each group's lead, by group."""
    s = plan.schools
    crs = gg.metric_crs(s)
    leads = s[s[S.ROLE] == S.LEAD].to_crs(crs)
    here = s.loc[[school]].to_crs(crs).geometry.iloc[0]
    return pd.Series((leads.geometry.distance(here) / 1000).to_numpy(), index=leads[S.GROUP_ID])


def far_group(plan: gg.Plan, school: str, beyond_km: float) -> str | None:
    """A group whose lead lies more than ``beyond_km`` from the school (None: there is none)."""
    km = lead_km(plan, school)
    return str(km[km > beyond_km].index[0]) if (km > beyond_km).any() else None


# --- the demo county --------------------------------------------------------------------------


def test_demo_edits_break_each_rule_and_match_python(browser, shandong_plan, tmp_path):
    """Shandong (with a cap, a weak share and a lead spacing): moves that break members, the
    cap, the weak rules, one lead, who may lead, the pairing and the spacing; undo and redo."""
    policy = strict_shandong(shandong_plan)
    opened = editor_page(browser, shandong_plan, tmp_path, policy=policy, lang="en")
    _, rows = assert_parity(opened, tmp_path / "0")
    assert rows == []  # the proposal keeps the stricter policy too
    s = shandong_plan.schools
    groups = gg.group_metrics(shandong_plan)
    weak = weak_schools(shandong_plan, policy)
    # 1. a group's only weak member goes to a far full group: weak rules, cap, members
    full = set(groups.index[groups["members"] == policy.members[1]])
    g, mover, target = next(
        (g, m, t)
        for g in groups.index[(groups["n_weak"] == 1) & (groups["members"] >= 2)]
        for m in s[(s[S.GROUP_ID] == g) & (s[S.ROLE] == S.MEMBER) & weak].index
        for t, km in lead_km(shandong_plan, m).items()
        if t in full and km > policy.max_distance_km
    )
    assert opened.js("([a, b]) => geogroupEditor.move(a, b)", [mover, target])
    _, rows = assert_parity(opened, tmp_path / "1")
    assert {"min_weak_per_group", "min_weak_share", "max_distance_km", "members"} <= rules_of(rows)
    # 2. a lead moves out: its group has none
    lead = s[(s[S.ROLE] == S.LEAD) & (s[S.GROUP_ID] != g) & (s[S.GROUP_ID] != target)].index[0]
    other = s.loc[lead, S.GROUP_ID]
    assert opened.js("([a, b]) => geogroupEditor.move(a, b)", [lead, g])
    _, rows = assert_parity(opened, tmp_path / "2")
    assert ("one_lead", other) in {(r["rule"], r["group_id"]) for r in rows}
    # 3. a school outside the lead pool leads; locked, it may (a fixed group's lead)
    may = allowed_leads(shandong_plan, policy)
    plain = s[(s[S.ROLE] == S.MEMBER) & ~may & ~s[S.GROUP_ID].isin([g, target, other])].index[0]
    assert opened.js("(a) => geogroupEditor.setLead(a)", plain)
    _, rows = assert_parity(opened, tmp_path / "3")
    assert ("leads", s.loc[plain, S.GROUP_ID]) in {(r["rule"], r["group_id"]) for r in rows}
    assert opened.js("(a) => geogroupEditor.lock(a)", plain)
    locked, rows = assert_parity(opened, tmp_path / "3b")
    assert locked.schools.loc[plain, S.FIXED_GROUP] == s.loc[plain, S.GROUP_ID]
    assert ("leads", s.loc[plain, S.GROUP_ID]) not in {(r["rule"], r["group_id"]) for r in rows}
    with pytest.raises(Exception, match="locked"):
        opened.js("(a) => geogroupEditor.move(a, 'G01')", plain)
    # 4. an urban-led group loses its rural members
    led = groups[(groups["lead_area"] == S.URBAN) & (groups["n_rural"] >= 1)].index
    pair = next(x for x in led if x not in {g, target, other, s.loc[plain, S.GROUP_ID]})
    for sid in s[(s[S.GROUP_ID] == pair) & (s[S.AREA] == S.RURAL) & (s[S.ROLE] == S.MEMBER)].index:
        assert opened.js("([a, b]) => geogroupEditor.move(a, b)", [sid, other])
    _, rows = assert_parity(opened, tmp_path / "4")
    assert ("pair_urban_rural", pair) in {(r["rule"], r["group_id"]) for r in rows}
    # 5. a new group next to a lead: spacing, members, weak
    touched = {g, target, other, pair, s.loc[plain, S.GROUP_ID]}
    free = s[(s[S.ROLE] == S.MEMBER) & ~s[S.GROUP_ID].isin(touched)].index
    near = next(m for m in free if lead_km(shandong_plan, m).min() < policy.min_lead_spacing_km)
    new = opened.js("(a) => geogroupEditor.newGroup(a)", near)
    assert new not in set(s[S.GROUP_ID])
    _, rows = assert_parity(opened, tmp_path / "5")
    assert {"min_lead_spacing_km", "members"} <= rules_of(rows)
    # 6. undo twice, redo once; take a school out
    assert opened.js("geogroupEditor.undo()") and opened.js("geogroupEditor.undo()")
    assert opened.js("geogroupEditor.redo()")
    assert_parity(opened, tmp_path / "6")
    assert opened.js("(a) => geogroupEditor.unassign(a, 'closing in 2026')", s.index[-1])
    back, _ = assert_parity(opened, tmp_path / "7")
    assert back.schools.loc[s.index[-1], S.REASON] == "closing in 2026"
    assert opened.clean()


def test_anshan_levels_sectors_and_groups(browser, anshan_plan, tmp_path):
    """Anshan-Haicheng: a primary school in a middle-school group (levels, sectors, distances
    across two units on the ellipsoid), a fifth group (n_groups), a rural lead (leads_from)."""
    opened = editor_page(browser, anshan_plan, tmp_path)
    assert_parity(opened, tmp_path / "0")
    s = anshan_plan.schools
    sector = pd.Series(plan_arrays(s, anshan_plan.policy).sector, index=s.index)
    primary = s[(s[S.LEVEL] == "primary") & (s[S.ROLE] == S.MEMBER)].index[0]
    leads = s[(s[S.ROLE] == S.LEAD) & (s[S.LEVEL] != "primary")]
    target = leads[sector[leads.index] != sector[primary]][S.GROUP_ID].iloc[0]
    assert opened.js("([a, b]) => geogroupEditor.move(a, b)", [primary, target])
    _, rows = assert_parity(opened, tmp_path / "1")
    assert {"levels", "sectors"} <= rules_of(rows)
    rural = s[(s[S.AREA] == S.RURAL) & (s[S.ROLE] == S.MEMBER) & (s[S.LEVEL] == "primary")].index[1]
    name = opened.js("(a) => geogroupEditor.newGroup(a)", rural)
    assert name.startswith("primary-G")
    _, rows = assert_parity(opened, tmp_path / "2")
    assert {"n_groups", "leads", "members"} <= rules_of(rows)
    assert opened.clean()


def test_compare_shows_exactly_the_hand_moves(browser, shandong_plan, tmp_path):
    opened = editor_page(browser, shandong_plan, tmp_path)
    s = shandong_plan.schools
    members = s[s[S.ROLE] == S.MEMBER].drop_duplicates(S.GROUP_ID)
    moves = list(zip(members.index[:4], members[S.GROUP_ID].iloc[1:5], strict=True))
    for sid, group in moves:
        assert opened.js("([a, b]) => geogroupEditor.move(a, b)", [sid, group])
    assert opened.js("(a) => geogroupEditor.setLead(a)", members.index[5])  # a role, not a move
    proposal = tmp_path / "proposal.csv"
    shandong_plan.to_csv(proposal)
    edited = exported(opened, tmp_path)
    result = CliRunner().invoke(
        cli_main,
        ["compare", str(proposal), str(edited), "--out", str(tmp_path / "cmp"), "--lang", "en"],
    )
    assert result.exit_code == 0, result.output
    assert f"moved: {len(moves)} of {len(s)} schools" in result.output
    for sid, group in moves:
        line = next(x for x in result.output.splitlines() if x.strip().startswith(sid))
        assert s.loc[sid, S.GROUP_ID] in line and group in line
    assert sorted(opened.js("geogroupEditor.moved()")) == sorted(sid for sid, _ in moves)
    comparison = gg.compare_plans(gg.read_plan(proposal), gg.read_plan(edited))
    assert sorted(comparison.moves.index) == sorted(sid for sid, _ in moves)


# --- real schools: Beijing ----------------------------------------------------------------------


def test_beijing_random_edits_match_python(browser, shared_datasets, tmp_path):
    schools, report = gg.read_schools(
        shared_datasets / "beijing_primary_829.csv",
        coords="gcj02",
        columns={"quality": "house_price", "lead_candidate": "key_school"},
    )
    with warnings.catch_warnings(record=True):  # a far member, said in a warning
        warnings.simplefilter("always", UserWarning)
        plan = gg.propose(schools, "ninghe", method="fast", rejected=report.rejected)
    opened = editor_page(browser, plan, tmp_path, policy=strict_shandong(plan, "ninghe"))
    assert_parity(opened, tmp_path / "0")
    rng = np.random.default_rng(7)
    ids = list(plan.schools.index)
    broken: set[str] = set()
    for step in range(1, 61):
        sid = ids[rng.integers(len(ids))]
        kind = rng.choice(["near", "near", "near", "far", "lead", "new", "undo", "redo", "out"])
        if kind in ("near", "far"):
            near = opened.js("([a, k]) => geogroupEditor.nearbyGroups(a, k)", [sid, 1000])
            pick = near[rng.integers(3)] if kind == "near" else near[-1]
            opened.js("([a, b]) => geogroupEditor.move(a, b)", [sid, pick["group"]])
        elif kind == "lead":  # a school in a group (one out of every group cannot lead)
            opened.js(IF_ASSIGNED + "geogroupEditor.setLead(a) : null", sid)
        elif kind == "new":
            opened.js("(a) => geogroupEditor.newGroup(a)", sid)
        elif kind == "out":
            opened.js("(a) => geogroupEditor.unassign(a)", sid)
        else:
            opened.js(f"geogroupEditor.{kind}()")
        if step % 15 == 0:
            _, rows = assert_parity(opened, tmp_path / str(step))
            broken |= rules_of(rows)
    assert {"members", "max_distance_km", "min_weak_per_group"} <= broken
    assert opened.clean()


# --- units, road distances, enrolment ----------------------------------------------------------


def test_units_of_a_by_column(browser, tmp_path):
    """Grouped by county: a school moved into another county's group breaks ``by`` and is
    measured on the ellipsoid (two units, two UTM zones)."""
    schools = random_schools(80, seed=3, spread_deg=3.5)
    schools["county"] = np.where(schools.geometry.x < 122.75, "west", "east")
    plan = gg.propose(
        schools, gg.Policy(members=(2, 8), leads="top:0.3"), method="fast", by="county"
    )
    opened = editor_page(browser, plan, tmp_path, lang="en")
    assert_parity(opened, tmp_path / "0")
    s = plan.schools
    west = s[(s["county"] == "west") & (s[S.ROLE] == S.MEMBER)].index[0]
    east_group = s.loc[s["county"] == "east", S.GROUP_ID].iloc[0]
    assert opened.js("([a, b]) => geogroupEditor.move(a, b)", [west, east_group])
    back, rows = assert_parity(opened, tmp_path / "1")
    assert ("by", east_group) in {(r["rule"], r["group_id"]) for r in rows}
    assert back.params["by"] == "county"
    assert opened.clean()


def _road_table(plan: gg.Plan, detour: float = 1.3) -> DistanceTable:
    """Every school to every lead within 60 road km: straight line × detour, 1.5 minutes a
    road km."""
    s = plan.schools.to_crs(gg.metric_crs(plan.schools))
    leads = s[s[S.ROLE] == S.LEAD]
    rows = []
    for sid, p in s.geometry.items():
        d = leads.geometry.distance(p) / 1000 * detour
        for lid, km in d[d < 60].items():
            if lid != sid:
                rows.append((sid, lid, round(float(km), 3), round(float(km) * 1.5, 1)))
    pairs = pd.DataFrame(rows, columns=["from_id", "to_id", "km", "minutes"])
    return DistanceTable(pairs, source="test roads")


def test_road_distances_travel_time_and_enrolment(browser, shandong_plan, tmp_path):
    """A distance table (km and minutes) and the enrolment rules: a pair the table lacks is
    beyond any cap; a group over its students or its lead's capacity is at fault."""
    schools = shandong_plan.schools.assign(
        seats=shandong_plan.schools[S.STUDENTS].astype(float) * 6
    )
    table = _road_table(shandong_plan)
    plan = dataclasses.replace(shandong_plan, schools=schools, distances=table)
    loads = plan.schools.groupby(S.GROUP_ID)[S.STUDENTS].sum()  # a [min, max] the proposal keeps
    policy = gg.get_policy("shandong").replace(
        max_travel_min=120.0,
        max_distance_km=60.0,
        group_students=(int(loads.min()), int(loads.max())),
        capacity_column="seats",
    )
    opened = editor_page(browser, plan, tmp_path, policy=policy, lang="en")
    assert_parity(opened, tmp_path / "0", distances=table)
    s = plan.schools
    mover, far = next(
        (m, far_group(plan, m, 47.0))
        for m in s[s[S.ROLE] == S.MEMBER].index
        if far_group(plan, m, 47.0)
    )
    assert opened.js("([a, b]) => geogroupEditor.move(a, b)", [mover, far])
    biggest = loads.idxmax()
    for sid in s[(s[S.GROUP_ID] != biggest) & (s[S.ROLE] == S.MEMBER)].index[:3]:
        opened.js("([a, b]) => geogroupEditor.move(a, b)", [sid, biggest])
    _, rows = assert_parity(opened, tmp_path / "1", distances=table)
    assert {"max_distance_km", "max_travel_min", "group_students"} <= rules_of(rows)
    assert opened.clean()


# --- a hand-made plan ---------------------------------------------------------------------------


def test_a_hand_made_plan_with_faults(browser, tmp_path):
    """Unknown roles, a lead without a group, a school in no group without a reason, two leads
    in a group and a fixed group spread over two: shown as Python shows them, and mended."""
    schools = random_schools(12, seed=5)
    plan_frame = schools.assign(
        group_id=["A", "A", "A", "A", "B", "B", "B", "B", None, None, "A", "B"],
        role=["lead", "member", "helper", "member", "lead", "lead", "member", "member", "lead",
              None, "member", "member"],
        fixed_group=[None, "K", None, None, None, None, "K", None, None, None, None, None],
    )  # fmt: skip
    path = tmp_path / "hand.csv"
    table = plan_frame.drop(columns="geometry").assign(
        lon=schools.geometry.x.round(6), lat=schools.geometry.y.round(6)
    )
    table.reset_index().to_csv(path, index=False)
    plan = gg.read_plan(path)
    policy = gg.Policy(members=(1, 6), leads="top:0.5")
    opened = editor_page(browser, plan, tmp_path, policy=policy)
    _, rows = assert_parity(opened, tmp_path / "0")
    assert {"role", "unassigned", "one_lead", "fixed_group"} <= rules_of(rows)
    assert opened.js("geogroupEditor.move('S003', 'B')")  # the 'helper' becomes a member
    assert opened.js("geogroupEditor.setLead('S005')")  # B back to one lead
    assert opened.js("geogroupEditor.move('S010', 'A')")
    _, rows = assert_parity(opened, tmp_path / "1")
    assert "one_lead" not in rules_of(rows)
    assert [r["school_ids"] for r in rows if r["rule"] == "unassigned"] == [["S009"]]
    assert opened.clean()


# --- the page: escaping, exports, clicks, the widget ---------------------------------------------


def test_hostile_names_stay_text(browser, tmp_path):
    schools = random_schools(9, seed=1)
    schools.loc["S001", S.NAME] = HOSTILE
    schools.loc["S002", S.NAME] = SCRIPT_END
    schools.loc["S003", S.NAME] = '=HYPERLINK("http://x")'
    plan = gg.propose(schools, gg.Policy(members=(2, 2), leads="top:0.34"), method="exact")
    page_file = gg.save_editor(plan, tmp_path / "editor.html", lang="en")
    assert SCRIPT_END not in page_file.read_text(encoding="utf-8")
    opened = open_editor(browser, page_file)
    page = opened.page
    for sid, name in (("S001", HOSTILE), ("S002", SCRIPT_END)):
        opened.js("(a) => geogroupEditor.select(a)", sid)
        assert page.locator(".gge-name").text_content() == name
        opened.js("(a) => geogroupEditor.setLead(a)", sid)
        opened.js("geogroupEditor.select('S004')")
    assert page.locator("img[src='x'], .gge script").count() == 0
    page.wait_for_timeout(200)
    assert opened.js("geogroupEditor.unassign('S005', '=1+2')")  # a reason typed in the page
    text = opened.js("geogroupEditor.exportCSV()")
    assert "'=HYPERLINK" in text and "'=1+2" in text  # formulas quoted, as geogroup writes them
    back = gg.read_plan(exported(opened, tmp_path))
    assert back.schools.loc["S003", S.NAME] == '=HYPERLINK("http://x")'
    assert back.schools.loc["S005", S.REASON] == "=1+2"
    assert back.schools.loc["S001", S.NAME] == HOSTILE
    assert opened.dialogs == [] and opened.clean()


def test_xlsx_and_json_exports(browser, shandong_plan, tmp_path):
    opened = editor_page(browser, shandong_plan, tmp_path)
    s = shandong_plan.schools
    member = s[s[S.ROLE] == S.MEMBER].index[0]
    target = s.loc[s[S.GROUP_ID] != s.loc[member, S.GROUP_ID], S.GROUP_ID].iloc[0]
    opened.js("([a, b]) => geogroupEditor.move(a, b)", [member, target])
    data = base64.b64decode(opened.js("geogroupEditor.exportXLSX()"))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["方案", "调整记录"]
    sheet = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype={"school_id": str})
    csv = pd.read_csv(exported(opened, tmp_path), dtype={"school_id": str}, encoding="utf-8-sig")
    assert list(sheet.columns) == list(csv.columns)
    assert sheet["school_id"].tolist() == csv["school_id"].tolist()
    assert sheet.loc[sheet["school_id"] == member, S.GROUP_ID].item() == target
    assert np.allclose(sheet[S.QUALITY].dropna(), csv[S.QUALITY].dropna())  # numbers, not text
    assert pd.api.types.is_float_dtype(sheet["lon"])
    edits = pd.read_excel(io.BytesIO(data), sheet_name=1, dtype=str)
    assert edits.values.tolist() == [["move", member, s.loc[member, S.GROUP_ID], target]]
    meta = __import__("json").loads(opened.js("geogroupEditor.exportJSON()"))
    assert meta["status"] == "edited" and meta["moved"] == 1
    assert meta["edits"] == [{"kind": "move", "school_id": member, "from": s.loc[member, S.GROUP_ID],
                              "to": target}]  # fmt: skip
    assert meta["policy"]["name"] == "shandong"
    assert opened.clean()


def _school_point(opened: Opened, sid: str) -> tuple[float, float]:
    return opened.js(
        """(id) => {
          const v = window.geogroupEditorPage, i = v.editor.pos(id), p = v.map.px(i);
          const r = v.map.canvas.getBoundingClientRect();
          return [r.left + p[0], r.top + p[1]];
        }""",
        sid,
    )


def test_clicks_on_the_page(browser, shandong_plan, tmp_path):
    """By hand: click a school, make it lead, see the violation listed and its group marked,
    undo with the button; pick a target group on the map."""
    opened = editor_page(browser, shandong_plan, tmp_path, lang="en")
    page, s = opened.page, shandong_plan.schools
    may = allowed_leads(shandong_plan)
    weak_member = s[(s[S.ROLE] == S.MEMBER) & ~may].index[0]
    opened.js(
        """(id) => { const v = window.geogroupEditorPage;
                     const G = v.editor.engine.cache[v.editor.engine.group[v.editor.pos(id)]];
                     v.map.fit(G.at); v.map.draw(); }""",
        weak_member,
    )
    # the figures read as the report's: shares as percentages, km to 0.1 (Python's shown())
    metrics = opened.js("geogroupEditor.metrics()")["plan"]
    for key in ("coverage", "weak_coverage", "distance_mean_km", "group_mean_sd"):
        if metrics.get(key) is not None:
            cell = page.locator(f".gge-table tr[data-key='{key}'] td").first.text_content()
            assert cell == shown(metrics[key], key), (key, cell)
    x, y = _school_point(opened, weak_member)
    page.mouse.click(x, y)
    assert page.locator(".gge-card td").first.text_content() == weak_member
    page.locator("button[data-action='make_lead']").click()
    page.locator(".gge-violation").first.wait_for()  # the panels follow in the next frame
    assert "who may lead" in page.locator(".gge-violation .gge-rule").all_text_contents()
    assert page.locator(".gge-group-table tr.gge-fault").count() >= 1
    page.locator("button[data-action='undo']").click()
    page.locator(".gge-ok").wait_for()
    assert page.locator(".gge-violation").count() == 0
    assert page.locator(".gge-ok").text_content() == "The plan keeps every rule of the policy."
    # move by picking the target's lead on the map
    target = opened.js("(id) => geogroupEditor.nearbyGroups(id, 1)[0]", weak_member)
    page.locator("button[data-action='pick_on_map']").click()
    opened.js("(id) => { const v = window.geogroupEditorPage; v.map.fit([v.editor.pos(id)]); v.map.draw(); }",
              target["lead"])  # fmt: skip
    x, y = _school_point(opened, target["lead"])
    page.mouse.click(x, y)
    state = opened.js("geogroupEditor.edits()")
    assert state[-1] == {"kind": "move", "school_id": weak_member, "from": s.loc[weak_member, S.GROUP_ID],
                         "to": target["group"]}  # fmt: skip
    page.wait_for_function("!window.geogroupEditorPage._pending")
    assert page.locator("button[data-action='redo']").is_disabled()
    assert page.locator(".gge-canvas").count() == 1
    assert opened.clean()


def test_widget_module_talks_to_python(browser, shandong_plan):
    """The notebook widget's JavaScript (anywidget's ESM) on a stand-in model: an edit on the
    map is sent to Python, and a state sent by Python is shown."""
    editor = gg.edit_map(shandong_plan, lang="en")
    widget = editor.widget
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content("<div id='root'></div>")
    page.evaluate(
        """async ([esm, data, state]) => {
          const url = URL.createObjectURL(new Blob([esm], {type: 'text/javascript'}));
          const mod = await import(url);
          const values = {data: data, state: state, height: 600}, handlers = {};
          window.sent = [];
          window.model = {
            get: (k) => values[k],
            set: (k, v) => { values[k] = v; window.sent.push(v); },
            save_changes: () => {},
            on: (e, f) => { handlers[e] = f; }, off: () => {},
            push: (k, v) => { values[k] = v; handlers['change:' + k](); },
          };
          mod.default.render({model: window.model, el: document.getElementById('root')});
        }""",
        [widget._esm, widget.data, widget.state],
    )
    root = "document.getElementById('root').geogroupEditor"
    s = shandong_plan.schools
    member = s[s[S.ROLE] == S.MEMBER].index[0]
    target = s.loc[s[S.GROUP_ID] != s.loc[member, S.GROUP_ID], S.GROUP_ID].iloc[0]
    assert page.evaluate(f"([a, b]) => {root}.move(a, b)", [member, target])
    sent = page.evaluate("window.sent")
    assert len(sent) == 1 and sent[0]["origin"] == "js"
    widget.state = sent[0]  # what the front end's save_changes does
    assert editor.plan.schools.loc[member, S.GROUP_ID] == target
    assert editor.edits[-1]["kind"] == "browser"
    assert editor.undo()  # a call in Python, shown on the map
    assert widget.state["origin"] == "py"
    page.evaluate("(s) => window.model.push('state', s)", widget.state)
    pos = list(s.index).index(member)
    now = page.evaluate(f"{root}.state()")
    assert now["groupNames"][now["group"][pos]] == s.loc[member, S.GROUP_ID]
    assert page.evaluate("window.sent.length") == 1  # loading Python's state sends nothing back
    assert page.locator(".gge-canvas").count() == 1 and errors == []
    page.close()


LOADED_TILE = """() => Object.values(window.geogroupEditorPage.map.tiles)
  .some((image) => image.complete && image.naturalWidth > 0)"""


def test_tiles_are_drawn_only_when_asked(browser, shandong_plan, tmp_path):
    """With a tile URL the map fetches tiles under the schools; without one it fetches
    nothing (every other test shows that)."""
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    asked: list[str] = []

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        path = gg.save_editor(shandong_plan, tmp_path / "editor.html", tiles=url)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(path.resolve().as_uri())
        page.wait_for_function("window.geogroupEditor !== undefined")
        page.wait_for_function(LOADED_TILE)
        page.close()
    finally:
        server.shutdown()
        server.server_close()
    assert asked and all(re.fullmatch(r"/\d+/\d+/\d+\.png", p) for p in asked)
