"""The plan editor without a browser: the page's file, the rules it carries, the edits made
from Python (PlanEditor), the widget's link to Python, and ``geogroup edit``.

The page's rules and figures are tested against Python in a browser
(``tests/test_editor_browser.py``); here, what can be checked from Python alone.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import geogroup as gg
from geogroup import rules
from geogroup import schema as S
from geogroup.cli import main as cli_main
from geogroup.present import editor_html
from geogroup.present._editor import EDITOR_SCRIPTS

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "geogroup" / "present" / "static"
LABELS = ROOT / "geogroup" / "present" / "labels" / "editor.toml"
POLICY = gg.Policy(members=(2, 2), leads="top:0.34")


@pytest.fixture(scope="module")
def toy_plan() -> gg.Plan:
    return gg.propose(gg.toy_schools(), POLICY, method="exact")


@pytest.fixture(scope="module")
def demo_plan() -> gg.Plan:
    schools, report = gg.read_schools(ROOT / "data" / "demo_county.csv")
    return gg.propose(schools, "shandong", method="fast", rejected=report.rejected)


# --- the page's rules follow the rulebook -------------------------------------------------------


def _js_rules() -> list[str]:
    text = (STATIC / "editor_rules.js").read_text(encoding="utf-8")
    block = text[text.index("var RULES = [") : text.index("];", text.index("var RULES = ["))]
    return re.findall(r"\{name: '(\w+)'", block)


def test_the_page_judges_every_rule_of_the_rulebook_in_its_order():
    assert _js_rules() == list(rules.RULES)


def test_every_rule_has_a_label_in_both_languages():
    tables = tomllib.loads(LABELS.read_text(encoding="utf-8"))
    for lang in ("zh", "en"):
        missing = [r for r in rules.RULES if f"rule:{r}" not in tables[lang]]
        assert not missing, (lang, missing)
    plain = {lang: {k for k in t if not k.startswith("detail:")} for lang, t in tables.items()}
    assert plain["zh"] == plain["en"]
    details = {k.split(":")[1] for k in tables["zh"] if k.startswith("detail:")}
    assert details == set(rules.RULES)  # a Chinese sentence for every rule's detail


# --- the page file ------------------------------------------------------------------------------


def test_the_page_is_one_file_and_the_same_every_time(toy_plan):
    a = editor_html(toy_plan, lang="en")
    assert a == editor_html(toy_plan, lang="en")
    assert not re.search(r"<script[^>]*\bsrc=", a) and not re.search(r"<link[^>]*\bhref=", a)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", a))  # no CDN, no tiles unless asked
    assert {u.split("/")[2] for u in urls} == {"schemas.openxmlformats.org"}  # XML names only
    for name in EDITOR_SCRIPTS:
        first = (STATIC / name).read_text(encoding="utf-8").splitlines()[0]
        assert first in a
    assert editor_html(toy_plan, lang="zh") != a


def test_a_name_cannot_end_the_script_or_become_markup():
    schools = gg.toy_schools()
    schools.loc["A", S.NAME] = "</script><script>alert(1)</script>"
    schools.loc["B", S.NAME] = "<img src=x onerror=alert(2)>"
    plan = gg.propose(schools, POLICY, method="exact")
    page = editor_html(plan)
    assert "</script><script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page
    assert page.count("<script") == page.count("</script>") == 3  # data, code, start


def test_a_policy_given_replaces_the_plans_own(toy_plan):
    page = editor_html(toy_plan, policy="liangxi", lang="en")
    assert '"name": "liangxi"' in page and '"members": [2, 3]' in page


def test_bad_language_is_a_clear_error(toy_plan):
    with pytest.raises(gg.InputError, match="lang: expected one of zh, en"):
        editor_html(toy_plan, lang="fr")


# --- edits from Python ---------------------------------------------------------------------------


def test_edits_by_calls_and_their_check(toy_plan):
    editor = gg.PlanEditor(toy_plan, lang="en")
    assert editor.violations().empty
    assert editor.move("B", "G02") and not editor.move("B", "G02")
    assert editor.plan.schools.loc["B", [S.GROUP_ID, S.ROLE, S.LEAD_ID]].tolist() == [
        "G02",
        S.MEMBER,
        "D",
    ]
    assert sorted(editor.violations()["group_id"]) == ["G01", "G02"]
    assert editor.set_lead("C")  # C leads G01; A becomes a member
    roles = editor.plan.schools[S.ROLE]
    assert roles["C"] == S.LEAD and roles["A"] == S.MEMBER
    new = editor.new_group("E")
    assert new == "G03" and editor.plan.schools.loc["E", [S.GROUP_ID, S.ROLE]].tolist() == [
        "G03",
        S.LEAD,
    ]
    assert editor.unassign("F", "closed")
    assert editor.plan.schools.loc["F", [S.ROLE, S.REASON]].tolist() == [S.UNASSIGNED, "closed"]
    assert [e["kind"] for e in editor.edits] == ["move", "lead", "new_group", "unassign"]
    while editor.undo():
        pass
    assert editor.violations().empty and editor.edits == []
    assert editor.redo() and editor.plan.schools.loc["B", S.GROUP_ID] == "G02"


def test_edits_the_plan_cannot_take_are_refused_and_change_nothing(toy_plan):
    editor = gg.PlanEditor(toy_plan)
    assert editor.lock("B")
    assert editor.plan.schools.loc["B", S.FIXED_GROUP] == "G01"
    before = editor.state()
    with pytest.raises(gg.InputError, match="locked"):
        editor.move("B", "G02")
    with pytest.raises(gg.InputError, match="locked"):
        editor.new_group("B")
    with pytest.raises(gg.InputError, match="no school with id 'Z'"):
        editor.move("Z", "G01")
    with pytest.raises(gg.InputError, match="no group 'G9'"):
        editor.move("A", "G9")
    assert editor.unassign("C")
    with pytest.raises(gg.InputError, match="in no group"):
        editor.set_lead("C")
    with pytest.raises(gg.InputError, match="in no group"):
        editor.lock("C")
    assert editor.undo() and editor.state() == before
    assert editor.unlock("B") and editor.move("B", "G02")


def test_locking_keeps_a_group_together_in_the_next_proposal(toy_plan):
    editor = gg.PlanEditor(toy_plan)
    editor.move("B", "G02")
    editor.move("E", "G01")
    for school in ("B", "D"):
        editor.lock(school)
    assert editor.plan.schools.loc[["B", "D"], S.FIXED_GROUP].tolist() == ["G02", "G02"]
    again = gg.propose(editor.plan.schools, POLICY, method="exact")
    assert again.schools.loc["B", S.GROUP_ID] == again.schools.loc["D", S.GROUP_ID]


def test_the_edited_plan_is_judged_alike_by_the_oracle(demo_plan):
    editor = gg.edit_map(demo_plan, policy="shandong")
    s = demo_plan.schools
    members = s[s[S.ROLE] == S.MEMBER]
    for sid, group in zip(members.index[:6], members[S.GROUP_ID].iloc[10:16], strict=True):
        editor.move(sid, group)
    editor.set_lead(members.index[20])
    editor.new_group(members.index[30])
    found = {r for r in editor.violations()["rule"]}
    assert found == oracle.broken_rules(editor.plan.schools, editor.plan.policy)
    assert "members" in found


def test_python_and_page_name_new_groups_alike():
    from geogroup.present._editor_ops import next_group_name

    assert (
        next_group_name(["primary-G01", "primary-G04", "middle-G01"], "middle-G01") == "middle-G02"
    )
    assert next_group_name(["北区1", "北区3"], "北区1") == "北区4"
    assert next_group_name(["G009", "G010"], None) == "G011"
    assert next_group_name([], None) == "G01"
    assert next_group_name(["a", "G01", "G02"], "a") == "G03"


# --- the widget ----------------------------------------------------------------------------------


def test_the_widget_and_python_share_the_plan(toy_plan):
    editor = gg.edit_map(toy_plan, lang="en")
    widget = editor.widget
    assert "geogroupEditorView.mount" in widget._esm and "export default" in widget._esm
    assert widget.state["origin"] == "py" and widget.data["ids"] == list("ABCDEF")
    editor.move("B", "G02")  # a call: the map is told
    assert widget.state["groupNames"][widget.state["group"][1]] == "G02"
    assert widget.state["origin"] == "py"
    from_page = dict(widget.state, origin="js", rev=9)  # an edit on the map, as the page sends it
    from_page["group"] = list(from_page["group"])
    from_page["group"][1] = 0
    widget.state = from_page
    assert editor.plan.schools.loc["B", S.GROUP_ID] == "G01"
    assert editor.edits[-1]["kind"] == "browser"
    bundle = editor._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.model_id


def test_the_page_can_open_on_edits_made_in_python(toy_plan, tmp_path):
    editor = gg.PlanEditor(toy_plan, lang="en")
    editor.move("B", "G02")
    page = editor.save_html(tmp_path / "e.html").read_text(encoding="utf-8")
    assert '"current": {"groupNames": ["G01", "G02"], "group": [0, 1, 0, 1, 1, 1]' in page


# --- the command --------------------------------------------------------------------------------


def test_geogroup_edit_writes_the_page(toy_plan, tmp_path):
    toy_plan.to_csv(tmp_path / "plan.csv")
    out = tmp_path / "editor.html"
    runner = CliRunner()
    result = runner.invoke(
        cli_main,
        [
            "edit",
            str(tmp_path / "plan.csv"),
            "--out",
            str(out),
            "--lang",
            "en",
            "--policy",
            "liangxi",
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and "wrote" in result.output
    assert '"name": "liangxi"' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (["--out", "e.html", "--policy", "no-such-policy"], 1, "Error:"),
        (["--out", "e.html", "--lang", "fr"], 2, "Invalid value for '--lang'"),
        ([], 2, "Missing option '--out'"),
    ],
)
def test_geogroup_edit_bad_usage(toy_plan, tmp_path, args, status, words):
    toy_plan.to_csv(tmp_path / "plan.csv")
    args = [str(tmp_path / a) if a == "e.html" else a for a in args]
    result = CliRunner().invoke(cli_main, ["edit", str(tmp_path / "plan.csv"), *args])
    assert result.exit_code == status, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "e.html").exists()


def test_geogroup_edit_into_a_folder_is_a_user_error(toy_plan, tmp_path):
    toy_plan.to_csv(tmp_path / "plan.csv")
    result = CliRunner().invoke(
        cli_main, ["edit", str(tmp_path / "plan.csv"), "--out", str(tmp_path)]
    )
    assert result.exit_code in (1, 2) and "Traceback" not in result.output


def test_geogroup_edit_measures_along_a_distance_table(toy_plan, tmp_path):
    toy_plan.to_csv(tmp_path / "plan.csv")
    ids = [str(i) for i in toy_plan.schools.index]
    rows = ["from_id,to_id,km,minutes"] + [
        f"{a},{b},12.345678,30" for a in ids for b in ids if a != b
    ]
    (tmp_path / "table.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    pages = {}
    for name, extra in (("plain", []), ("table", ["--distances", str(tmp_path / "table.csv")])):
        out = tmp_path / f"{name}.html"
        args = ["edit", str(tmp_path / "plan.csv"), "--out", str(out), "--lang", "en", *extra]
        result = CliRunner().invoke(cli_main, args)
        assert result.exit_code == 0, result.output
        pages[name] = out.read_text(encoding="utf-8")
    assert '"table": null' in pages["plain"] and "12.345678" not in pages["plain"]
    assert '"table": {"indptr"' in pages["table"] and "12.345678" in pages["table"]
