"""Policies: presets, TOML files, and the errors that name the field."""

from __future__ import annotations

import re

import pytest

from geogroup import PolicyError
from geogroup.policy import PRESETS, Policy, get_policy, policy_from_dict, read_policy

ISSUE_EXAMPLE = """
[policy]
name = "my-county"
members = [2, 6]          # min and max member schools per group (the X of 1+X)
max_distance_km = 15      # member-to-lead cap; omit for none
pair_urban_rural = true   # a group with an urban lead needs a rural member
weak_share = 0.2          # the bottom share by quality counts as weak
min_weak_per_group = 1
leads = "top:0.2"         # or "column:lead_candidate", or a list of school ids
levels = "same"           # or "mixed"
balance_weight = 1.0      # balance against distance in the objective
"""


def test_the_documented_toml_example_reads(tmp_path):
    path = tmp_path / "county.toml"
    path.write_text(ISSUE_EXAMPLE, encoding="utf-8")
    policy = read_policy(path)
    assert policy.members == (2, 6)
    assert policy.max_distance_km == 15
    assert policy.pair_urban_rural is True
    assert policy.lead_rule == ("top", 0.2)
    assert policy.levels == "same"


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("liangxi", lambda p: p.members == (2, 3)),
        ("shandong", lambda p: p.max_members == 6 and p.pair_urban_rural),
        ("shanxi-xuequ", lambda p: p.levels == "mixed" and p.method == "districts"),
        ("ninghe", lambda p: p.max_members == 10 and p.min_weak_per_group >= 1),
        ("anshan-haicheng", lambda p: p.n_groups == 4 and p.levels == "same"),
    ],
)
def test_presets_encode_their_documents(name, rule):
    policy = PRESETS[name]
    assert rule(policy)
    assert policy.source, "every preset cites the document it comes from"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_round_trips_through_toml(tmp_path, name):
    path = tmp_path / f"{name}.toml"
    path.write_text(PRESETS[name].to_toml(), encoding="utf-8")
    assert read_policy(path) == PRESETS[name]


def test_list_of_lead_ids_and_base_preset(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        '[policy]\nbase = "shandong"\nname = "x"\nleads = ["S1", "S2"]\n', encoding="utf-8"
    )
    policy = read_policy(path)
    assert policy.leads == ("S1", "S2")
    assert policy.max_members == 6  # from the base preset


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"members": [5, 3]}, "'members': min 5 is greater than max 3"),
        ({"members": [1]}, "'members'"),
        ({"max_distance_km": -2}, "'max_distance_km'"),
        ({"max_distance_km": 0}, "'max_distance_km'"),
        ({"weak_share": 1.5}, "'weak_share'"),
        ({"min_weak_per_group": -1}, "'min_weak_per_group'"),
        ({"leads": "best"}, "'leads'"),
        ({"leads": "top:2"}, "'leads'"),
        ({"levels": "any"}, "'levels'"),
        ({"balance_weight": -1.0}, "'balance_weight'"),
        ({"n_groups": 0}, "'n_groups'"),
        ({"colour": "red"}, "unknown policy field(s) 'colour'; known fields:"),
    ],
)
def test_invalid_policy_names_the_field(values, fragment):
    with pytest.raises(PolicyError, match=None) as info:
        policy_from_dict(values)
    assert fragment in str(info.value)


def test_unknown_key_in_file_lists_known_keys(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[policy]\nmembers = [1, 2]\nmax_members = 4\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        read_policy(path)
    message = str(info.value)
    assert "bad.toml" in message and "'max_members'" in message and "members" in message


def test_file_errors_are_policy_errors(tmp_path):
    with pytest.raises(PolicyError, match="does not exist"):
        read_policy(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[policy\nname=", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        read_policy(broken)
    other = tmp_path / "other.toml"
    other.write_text("[rules]\nmembers = [1, 2]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"\[policy\]"):
        read_policy(other)


def test_get_policy_accepts_names_paths_and_objects(tmp_path):
    policy = Policy(name="mine", members=(1, 4))
    assert get_policy(policy) is policy
    path = tmp_path / "mine.toml"
    path.write_text(policy.to_toml(), encoding="utf-8")
    assert get_policy(str(path)) == policy
    with pytest.raises(PolicyError, match="presets: "):
        get_policy("no-such-preset")


def test_replace_checks_again():
    with pytest.raises(PolicyError, match="'members'"):
        get_policy("liangxi").replace(members=(4, 3))
    with pytest.raises(PolicyError, match="unknown policy field"):
        get_policy("liangxi").replace(size=3)


OUTPUT_EXAMPLE = """
[policy]
base = "anshan-haicheng"

[output]
plan = "plan"              # stem of plan.csv / plan.gpkg
map = "haicheng_map.html"
report = "report"
"""


def test_output_table_is_read_and_kept_through_toml(tmp_path):
    path = tmp_path / "haicheng.toml"
    path.write_text(OUTPUT_EXAMPLE, encoding="utf-8")
    policy = read_policy(path)
    assert policy.output == {"plan": "plan", "map": "haicheng_map.html", "report": "report"}
    assert policy.n_groups == 4  # from the base preset
    again = tmp_path / "again.toml"
    again.write_text(policy.to_toml(), encoding="utf-8")
    assert read_policy(again).output == policy.output
    assert "output" not in policy.to_dict()  # not a rule: a plan's metadata stays as it was


def test_output_names_are_not_rules():
    policy = Policy(name="x", output={"map": "x.html"})
    assert policy == Policy(name="x")
    assert policy.replace(members=(1, 3)).output == {"map": "x.html"}
    assert policy.replace(output={}).output == {}
    assert all(not preset.output for preset in PRESETS.values())  # presets keep today's names


def test_output_names_from_a_base_file_are_inherited(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(
        '[policy]\nname = "b"\n[output]\nmap = "b.html"\nplan = "b"\n', encoding="utf-8"
    )
    child = tmp_path / "child.toml"
    child.write_text(
        f'[policy]\nbase = "{base.as_posix()}"\n[output]\nplan = "c"\n', encoding="utf-8"
    )
    assert read_policy(child).output == {"map": "b.html", "plan": "c"}


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ('[output]\nplan = "../plan"', "[output] key 'plan' = '../plan': a '..' component"),
        (
            '[output]\nmap = "/tmp/map.html"',
            "[output] key 'map' = '/tmp/map.html': an absolute path",
        ),
        ("[output]\nreport = 'C:\\report'", "[output] key 'report' = 'C:\\\\report': an absolute"),
        ('[output]\nplan = ""', "[output] key 'plan' = '': the name is empty"),
        ('[output]\nplot = "p"', "unknown key(s) 'plot'; known keys: map, plan, report"),
        ('output = "out"', "[output]: expected a table of file names, got 'out'"),
        ('[outputs]\nplan = "p"', "expected a [policy] table and optionally an [output] table"),
    ],
)
def test_bad_output_table_is_a_policy_error_naming_file_and_key(tmp_path, table, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(f'{table}\n[policy]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        read_policy(path)
    message = str(info.value)
    assert str(path) in message and fragment in message


def test_bad_output_in_python_is_refused_too():
    with pytest.raises(PolicyError, match=r"\[output\] key 'plan' = '\.\./x'"):
        Policy(output={"plan": "../x"})
    with pytest.raises(PolicyError, match=r"\[output\] key 'map'"):
        get_policy("ninghe").replace(output={"map": "../m.html"})


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("pair_urban_rural", "no", "'pair_urban_rural': expected true or false, got 'no'"),
        ("allow_unassigned", "yes", "'allow_unassigned': expected true or false"),
        ("n_groups", True, "'n_groups': expected a whole number"),
        ("name", 123, "'name': expected text, got 123"),
        ("balance_weight", float("inf"), "'balance_weight': expected a number from 0 to"),
        ("move_cost", float("inf"), "'move_cost': expected a number from 0 to"),
        ("max_distance_km", float("nan"), "'max_distance_km': expected a number from 0 to"),
        ("min_weak_per_group", 1.5, "'min_weak_per_group': expected a whole number"),
        ("keep_far", 1, "'keep_far': expected true or false"),
    ],
)
def test_policy_fields_are_type_checked(field, value, fragment):
    with pytest.raises(PolicyError, match=re.escape(fragment)):
        Policy(**{field: value})


def test_a_policy_file_with_a_bom_reads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf[policy]\nname = 'bom'\nmembers = [1, 4]\n")
    assert read_policy(path).members == (1, 4)


def test_an_array_of_policy_tables_is_refused(tmp_path):
    path = tmp_path / "array.toml"
    path.write_text("[[policy]]\nname = 'a'\n[[policy]]\nname = 'b'\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"write \[policy\], not \[\[policy\]\]"):
        read_policy(path)


def test_a_base_cycle_is_named(tmp_path):
    (tmp_path / "a.toml").write_text("[policy]\nbase = 'b.toml'\n", encoding="utf-8")
    (tmp_path / "b.toml").write_text("[policy]\nbase = 'a.toml'\n", encoding="utf-8")
    (tmp_path / "self.toml").write_text("[policy]\nbase = 'self.toml'\n", encoding="utf-8")
    for name in ("a.toml", "self.toml"):
        with pytest.raises(PolicyError, match="'base' makes a cycle"):
            read_policy(tmp_path / name)


def test_a_base_file_beside_the_policy(tmp_path):
    (tmp_path / "county.toml").write_text(
        "[policy]\nbase = 'shandong'\nname = 'county'\nmax_distance_km = 20\n", encoding="utf-8"
    )
    (tmp_path / "town.toml").write_text(
        "[policy]\nbase = 'county.toml'\nname = 'town'\n", encoding="utf-8"
    )
    town = read_policy(tmp_path / "town.toml")
    assert town.name == "town" and town.max_distance_km == 20 and town.max_members == 6
