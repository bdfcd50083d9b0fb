"""What a map writes over the groups and around them: the legend's title in the map's
language, the groups' figures in the popups (the same as :func:`geogroup.group_metrics`),
the group labels, and the compass sectors of a plan under the sector rule."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import geogroup as gg
from geogroup import rules
from geogroup import schema as S
from geogroup.present import plan_map
from geogroup.read import wgs84_to_gcj02

DATA = Path(__file__).resolve().parents[1] / "data"
LAYER = re.compile(r"geogroupLayer\(\n(.*)\n, '(\w+)'")
LABELS = re.compile(r"geogroupLabels\((\[.*\]), (true|false)\)")
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(autouse=True)
def no_downloaded_assets(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    monkeypatch.setenv("GEOGROUP_ASSETS", str(tmp_path_factory.mktemp("no-assets")))


@pytest.fixture(scope="module")
def demo() -> tuple[object, pd.DataFrame]:
    schools, report = gg.read_schools(DATA / "demo_county.csv")
    return schools, report.rejected


@pytest.fixture(scope="module")
def sector_plan(demo) -> gg.Plan:
    schools, rejected = demo
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return gg.propose(schools, "anshan-haicheng", rejected=rejected)


def render(plan: gg.Plan, **options) -> str:
    return plan_map(plan, **options).get_root().render()


def groups_table(html: str) -> list[list]:
    return json.loads(re.search(r"_groups = (\[.*?\]);\n", html).group(1))


def control_layers(html: str) -> list[str]:
    """The names in the layer control."""
    block = re.search(r"_layers = \{(.*?)\};", html, re.S).group(1)
    return [json.loads(k) for k in re.findall(r"(\"[^\"]*\") : \w+,", block)]


def legend(html: str) -> str:
    return html.split('id="geogroup-legend"', 1)[1].split("</details>", 1)[0]


# --- the legend and the title in the map's language ---------------------------------------------


def test_legend_title_in_the_maps_language(demo) -> None:
    schools, rejected = demo
    plan = gg.propose(schools, "shandong", method="fast", rejected=rejected)
    zh, en = render(plan, lang="zh"), render(plan, lang="en")
    assert '<div class="gg-head">山东（2021） · 快速法</div>' in legend(zh)
    assert "<title>geogroup · 山东（2021） · 快速法</title>" in zh
    assert '<div class="gg-head">Shandong (2021) · fast heuristic</div>' in legend(en)
    assert "shandong" not in legend(zh) and "fast" not in legend(zh)
    own = gg.Plan(schools=plan.schools, policy=gg.Policy(name="我县方案"), method="kmeans")
    assert '<div class="gg-head">我县方案 · K 均值聚类</div>' in legend(render(own))
    assert "底图：高德地图。" in legend(zh) and "Basemap: OpenStreetMap." in legend(en)


# --- the popups' figures ------------------------------------------------------------------------


def _compare_with_group_metrics(plan: object) -> None:
    rows = groups_table(render(plan, lang="en"))
    metrics = gg.group_metrics(plan)
    assert [r[0] for r in rows] == list(metrics.index)
    for row, (gid, m) in zip(rows, metrics.iterrows(), strict=True):
        lead_name = None if pd.isna(m["lead_name"]) else str(m["lead_name"])
        assert row[1:3] == [lead_name, None if pd.isna(m["lead_id"]) else m["lead_id"]], gid
        assert row[3:5] == [m["size"], m["members"]], gid
        for value, expected in ((row[5], m["mean_quality"]), (row[6], m["mean_distance_km"])):
            if pd.isna(expected):
                assert value is None, gid
            else:
                assert value == pytest.approx(expected, abs=0.0051), gid  # rounded to 0.01
        assert row[7:9] == [m["n_urban"], m["n_rural"]], gid


def test_group_figures_are_those_of_group_metrics(demo) -> None:
    schools, rejected = demo
    _compare_with_group_metrics(gg.propose(schools, "shandong", method="fast", rejected=rejected))


def test_group_figures_of_a_broken_hand_made_plan() -> None:
    """Two leads in a group, a group without a lead, an unknown role word, a blank group."""
    schools = gg.toy_schools().assign(
        group_id=["G1", "G1", "G1", "G2", " G2 ", ""],
        role=["lead", "lead", "helper", "member", "member", "member"],
    )
    _compare_with_group_metrics(schools)


# --- group labels -------------------------------------------------------------------------------


def test_every_group_has_a_label_inside_its_area(demo) -> None:
    schools, rejected = demo
    plan = gg.propose(schools, "shandong", method="fast", rejected=rejected)
    html = render(plan, basemap="osm")
    items, collide = next(
        (json.loads(m.group(1)), m.group(2)) for m in LABELS.finditer(html) if "·" in m.group(1)
    )
    assert collide == "true"
    groups = plan.groups
    assert sorted(i[4] for i in items) == sorted(groups.index)
    for lon, lat, text, colour, short in items:
        lead = plan.schools.loc[groups.loc[short, "lead_id"], S.NAME]
        assert text == f"{short} · {lead}" and colour.startswith("#")
        assert groups.loc[short, "geometry"].buffer(1e-6).contains(shapely.Point(lon, lat))
    sizes = groups["size"].reindex([i[4] for i in items]).to_numpy()
    assert (np.diff(sizes) <= 0).all()  # the larger groups are placed first
    assert "集团名称" in control_layers(render(plan))


# --- sectors ------------------------------------------------------------------------------------


def _sector_layer(html: str) -> tuple[list[dict], list[list]]:
    lines = next(
        json.loads(m.group(1))["features"] for m in LAYER.finditer(html) if m.group(2) == "sector"
    )
    names = next(json.loads(m.group(1)) for m in LABELS.finditer(html) if m.group(2) == "false")
    return lines, names


def test_sector_boundaries_are_drawn_from_the_centre(sector_plan: gg.Plan) -> None:
    html = render(sector_plan, basemap="osm", lang="en")
    lines, names = _sector_layer(html)
    arrays = rules.plan_arrays(sector_plan.schools, sector_plan.policy)
    ((_, centre),) = arrays.centres.items()
    assert len(lines) == 4 and all(f["properties"]["kind"] == "sector" for f in lines)
    lonlat = sector_plan.schools.geometry.to_crs(S.WGS84)
    far = GEOD.inv(
        np.full(len(lonlat), centre[0]), np.full(len(lonlat), centre[1]), lonlat.x, lonlat.y
    )[2].max()
    bearings = []
    for f in lines:
        (x0, y0), *_, (x1, y1) = f["geometry"]["coordinates"]
        assert (x0, y0) == pytest.approx(centre, abs=1e-6)
        azimuth, _, length = GEOD.inv(x0, y0, x1, y1)
        assert length > far
        bearings.append(azimuth % 360)
    assert bearings == pytest.approx([45, 135, 225, 315], abs=0.01)
    assert [n[2] for n in names] == ["N", "E", "S", "W", "+"]
    for (lon, lat, *_), expected in zip(names[:4], (0, 90, 180, 270), strict=True):
        turn = (GEOD.inv(*centre, lon, lat)[0] - expected + 180) % 360 - 180
        assert turn == pytest.approx(0, abs=0.01)
    # the drawn boundaries part the schools as the rulebook's sectors do
    azimuth = (
        GEOD.inv(
            np.full(len(lonlat), centre[0]), np.full(len(lonlat), centre[1]), lonlat.x, lonlat.y
        )[0]
        % 360
    )
    drawn = (azimuth[:, None] >= np.array(bearings)[None, :]).sum(axis=1) % 4
    ruled = rules.sector_of(lonlat.x.to_numpy(), lonlat.y.to_numpy(), centre, 4)
    assert drawn.tolist() == ruled.tolist() and len(set(ruled)) == 4
    assert "Compass sectors" in html


def test_sectors_shift_with_amap_and_only_under_the_rule(sector_plan: gg.Plan, demo) -> None:
    lines, _ = _sector_layer(render(sector_plan, basemap="osm"))
    shifted, _ = _sector_layer(render(sector_plan, basemap="amap"))
    a = np.array(lines[0]["geometry"]["coordinates"])
    b = np.array(shifted[0]["geometry"]["coordinates"])
    np.testing.assert_allclose(b, np.column_stack(wgs84_to_gcj02(a[:, 0], a[:, 1])), atol=2e-6)
    schools, rejected = demo
    plain = gg.propose(schools, "shandong", method="fast", rejected=rejected)
    html = render(plain)
    assert [m.group(2) for m in LAYER.finditer(html) if m.group(2) == "sector"] == []
    assert "方位扇区分界" not in control_layers(html)
    assert "方位扇区分界" in control_layers(render(sector_plan))
