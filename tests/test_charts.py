"""geogroup.charts: each chart draws the plan's own figures, computed here again from the
plan's columns (not by the code under test), into a given Axes or a new figure."""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import geogroup as gg
from geogroup.present import _fonts, charts
from geogroup.present._labels import LABELS

matplotlib.use("Agg")

POLICY = gg.Policy(members=(2, 2), leads="top:0.34")


@pytest.fixture(scope="module")
def plan() -> gg.Plan:
    return gg.propose(gg.toy_schools(), POLICY, method="exact")


@pytest.fixture(scope="module")
def demo() -> gg.Plan:
    schools, report = gg.read_schools("data/demo_county.csv")
    return gg.propose(schools, "shandong", method="fast", rejected=report.rejected)


def _axes():
    return Figure(figsize=(6, 4)).add_subplot()


def _haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lon1, lat1, lon2, lat2 = map(np.radians, (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * np.arcsin(np.sqrt(h))


def test_balance_draws_each_group_mean_against_the_county_mean(demo: gg.Plan) -> None:
    ax = charts.balance(demo, ax=_axes(), lang="en")
    schools = demo.schools
    county = schools["quality"].mean()
    means = schools[schools["role"] != "unassigned"].groupby("group_id")["quality"].mean()
    bars = ax.containers[0]
    assert len(bars) == len(means)
    starts = {round(bar.get_x(), 9) for bar in bars}
    assert starts == {round(county, 9)}  # every bar starts at the county mean
    widths = sorted(bar.get_width() for bar in bars)
    assert widths == pytest.approx(sorted((means - county).tolist()))
    ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    top = (means - county).idxmax()
    assert ticks[-1][1].startswith(top)  # the highest group first, from the top
    assert f"{county:.1f}" in ax.get_legend().get_texts()[0].get_text()


def test_balance_across_units_draws_differences_from_each_unit_mean() -> None:
    schools, _ = gg.read_schools("data/demo_county.csv")
    schools = schools.assign(county=np.where(schools.geometry.x > 122.75, "东", "西"))
    made = gg.propose(
        schools, gg.Policy(members=(2, 8), leads="top:0.25"), method="fast", by="county"
    )
    frame = made.schools
    ax = charts.balance(made, ax=_axes(), lang="zh", limit=500)
    unit_mean = frame.groupby("county")["quality"].mean()
    grouped = frame[frame["role"] != "unassigned"]
    unit = grouped.groupby("group_id")["county"].first()
    deviation = grouped.groupby("group_id")["quality"].mean() - unit.map(unit_mean)
    bars = ax.containers[0]
    assert {bar.get_x() for bar in bars} == {0.0}
    assert sorted(b.get_width() for b in bars) == pytest.approx(sorted(deviation.tolist()))
    assert ax.get_title() == LABELS["zh"]["chart_balance_units"]


def test_balance_of_many_groups_is_a_histogram(demo: gg.Plan) -> None:
    ax = charts.balance(demo, ax=_axes(), lang="en", limit=10)
    n_groups = demo.schools["group_id"].nunique()
    assert sum(bar.get_height() for bar in ax.patches) == n_groups
    assert str(n_groups) in ax.get_title()


def test_vertical_balance_names_groups_when_there_is_room(plan: gg.Plan) -> None:
    ax = charts.balance(plan, ax=_axes(), lang="en", orientation="vertical")
    assert [t.get_text() for t in ax.get_xticklabels()] and len(ax.containers[0]) == 2
    with pytest.raises(gg.InputError, match="orientation"):
        charts.balance(plan, ax=_axes(), orientation="diagonal")


def test_distances_histogram_counts_every_member_and_marks_the_cap(demo: gg.Plan) -> None:
    capped = demo.policy.replace(max_distance_km=30)
    ax = charts.distances(demo, capped, ax=_axes(), lang="en")
    schools = demo.schools
    members = schools[schools["role"] == "member"]
    leads = schools.loc[members["lead_id"]]
    km = _haversine_km(
        np.column_stack([members.geometry.x, members.geometry.y]),
        np.column_stack([leads.geometry.x, leads.geometry.y]),
    )
    assert sum(bar.get_height() for bar in ax.containers[0]) == len(members)
    lines = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()}
    mean = next(v for k, v in lines.items() if k.startswith("mean"))
    assert mean == pytest.approx(km.mean(), rel=0.01)  # UTM against the sphere: within 1 %
    assert any(k.startswith("cap 30") for k in lines) and 30.0 in lines.values()


def test_group_sizes_count_groups_by_size(demo: gg.Plan) -> None:
    ax = charts.group_sizes(demo, ax=_axes(), lang="en")
    sizes = demo.schools[demo.schools["role"] != "unassigned"].groupby("group_id").size()
    drawn = {round(bar.get_x() + bar.get_width() / 2): bar.get_height() for bar in ax.containers[0]}
    assert drawn == sizes.value_counts().to_dict()


def test_before_after_draws_both_plans(plan: gg.Plan) -> None:
    other = gg.propose(gg.toy_schools(), gg.Policy(members=(1, 4), leads="top:0.34"))
    for what in ("balance", "distance", "sizes"):
        ax = charts.before_after(plan, other, what=what, names=("前", "后"), ax=_axes())
        assert ax.get_legend_handles_labels()[1] == ["前", "后"], what
    ax = charts.before_after(plan, other, what="sizes", ax=_axes())
    counts = [sum(b.get_height() for b in c) for c in ax.containers]
    assert counts == [plan.schools["group_id"].nunique(), other.schools["group_id"].nunique()]
    with pytest.raises(gg.InputError, match="what"):
        charts.before_after(plan, other, what="colour")


def test_value_added_draws_each_group_gap_in_both_years(plan: gg.Plan) -> None:
    later = plan.schools["quality"] + np.where(plan.schools["role"] == "member", 4.0, 0.0)
    va = gg.value_added(plan, "quality", later)
    ax = charts.value_added(va, ax=_axes(), lang="en")
    before, after = ax.containers
    for group, bar_b, bar_a in zip(va.groups.index, before, after, strict=True):
        members = plan.schools[(plan.schools["group_id"] == group)]
        lead_q = members.loc[members["role"] == "lead", "quality"].iloc[0]
        gap = lead_q - members.loc[members["role"] == "member", "quality"].mean()
        assert (bar_b.get_width(), bar_a.get_width()) == pytest.approx((gap, gap - 4.0))


def test_a_new_figure_when_no_axes_is_given(plan: gg.Plan) -> None:
    ax = charts.group_sizes(plan, lang="zh")
    try:
        assert ax.figure is not None and ax.get_title() == LABELS["zh"]["chart_sizes"]
    finally:
        import matplotlib.pyplot as plt

        plt.close(ax.figure)


def test_unknown_language_is_refused(plan: gg.Plan) -> None:
    with pytest.raises(gg.InputError, match="lang"):
        charts.distances(plan, ax=_axes(), lang="fr")


def test_chinese_labels_render_in_a_cjk_font(plan: gg.Plan) -> None:
    family = _fonts.cjk_font()
    assert family is not None, "no CJK font: apt-get install fonts-noto-cjk (scripts/_setup.sh)"
    fig = Figure(figsize=(6, 4))
    ax = charts.balance(plan, ax=fig.add_subplot(), lang="zh")
    assert ax.title.get_fontfamily()[0] == family
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font would warn here
        fig.canvas.draw()


def test_without_a_cjk_font_the_charts_warn_and_still_draw(plan, monkeypatch) -> None:
    monkeypatch.setattr(_fonts, "cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="fonts-noto-cjk"):
        ax = charts.balance(plan, ax=_axes(), lang="zh")
    assert len(ax.containers[0]) == 2
    assert math.isfinite(ax.get_xlim()[0])


def test_the_charts_leave_matplotlib_settings_as_they_were(plan: gg.Plan) -> None:
    before = dict(matplotlib.rcParams)
    charts.distances(plan, ax=_axes(), lang="zh")
    after = dict(matplotlib.rcParams)
    assert {k: v for k, v in after.items() if before.get(k) != v} == {}


def test_the_input_frame_is_not_changed(plan: gg.Plan) -> None:
    before = plan.schools.copy()
    charts.balance(plan.schools, ax=_axes())
    pd.testing.assert_frame_equal(plan.schools, before)
