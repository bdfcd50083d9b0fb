"""Policies: presets, TOML files, and the errors that name the field."""

from __future__ import annotations

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
