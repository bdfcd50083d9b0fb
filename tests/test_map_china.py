"""Maps in and out of China: where AMap's GCJ-02 shift applies (mainland China, a polygon
rather than a box), which basemap a map gets by default, and what the legend says."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import Polygon

import geogroup as gg
from geogroup import schema as S
from geogroup.cli import main
from geogroup.present import plan_map
from geogroup.present._china import in_mainland_china
from geogroup.read import wgs84_to_gcj02

LAYER = re.compile(r"geogroupLayer\(\n(.*)\n, '(\w+)'")

# Places at least 15 km from any land border of mainland China.
INSIDE = {
    "Beijing": (116.40, 39.90),
    "Shanghai": (121.47, 31.23),
    "Guangzhou": (113.26, 23.13),
    "Shenzhen, Longgang": (114.25, 22.72),
    "Urumqi": (87.62, 43.83),
    "Kashgar": (75.99, 39.47),
    "Lhasa": (91.12, 29.65),
    "Mohe": (122.53, 52.97),
    "Sanya": (109.51, 18.25),
    "Xiamen": (118.09, 24.48),
    "Haicheng": (122.75, 40.85),
    "Zhoushan": (122.21, 29.99),
    "Kunming": (102.83, 24.88),
    "Hohhot": (111.75, 40.84),
}
OUTSIDE = {
    "Kuala Lumpur": (101.69, 3.14),
    "Kota Kinabalu": (116.07, 5.98),
    "Hanoi": (105.85, 21.03),
    "Vientiane": (102.63, 17.97),
    "Yangon": (96.16, 16.84),
    "Kathmandu": (85.32, 27.72),
    "Almaty": (76.89, 43.24),
    "Ulaanbaatar": (106.92, 47.92),
    "Pyongyang": (125.75, 39.03),
    "Seoul": (126.98, 37.57),
    "Vladivostok": (131.89, 43.12),
    "Tokyo": (139.69, 35.69),
    "Taipei": (121.56, 25.03),
    "Hong Kong, Kowloon": (114.17, 22.32),
    "Macao": (113.54, 22.19),
    "Manila": (120.98, 14.60),
    "Johannesburg": (28.05, -26.20),
}


@pytest.fixture(autouse=True)
def no_downloaded_assets(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    monkeypatch.setenv("GEOGROUP_ASSETS", str(tmp_path_factory.mktemp("no-assets")))


def school_points(html: str) -> np.ndarray:
    """The schools' points of the page, (lon, lat) rows, in id order."""
    rows = []
    for match in LAYER.finditer(html):
        data, kind = json.loads(match.group(1)), match.group(2)
        if kind == "school":
            rows += list(zip(data["id"], data["x"], data["y"], strict=True))
    rows.sort()
    return np.array([[x, y] for _, x, y in rows])


def moved_plan(lon: float, lat: float) -> gg.Plan:
    """The toy plan moved so that its first school is at (lon, lat)."""
    plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    dx, dy = lon - 122.5, lat - 40.85
    points = shapely.transform(plan.schools.geometry.to_numpy(), lambda xy: xy + np.array([dx, dy]))
    schools = plan.schools.set_geometry(points, crs=S.WGS84)
    return gg.Plan(schools=schools, policy=plan.policy, method=plan.method)


# --- the polygon -------------------------------------------------------------------------------


def test_mainland_china_is_a_polygon_not_a_box() -> None:
    lon, lat = np.array(list(INSIDE.values()) + list(OUTSIDE.values())).T
    found = dict(zip(list(INSIDE) + list(OUTSIDE), in_mainland_china(lon, lat), strict=True))
    assert [k for k in INSIDE if not found[k]] == []
    assert [k for k in OUTSIDE if found[k]] == []
    assert in_mainland_china([np.nan, 116.4], [39.9, np.nan]).tolist() == [False, False]


def test_real_school_lists(shared_datasets: Path) -> None:
    beijing = pd.read_csv(shared_datasets / "beijing_primary_829.csv")
    assert in_mainland_china(beijing["lon"], beijing["lat"]).all()
    za = pd.read_csv(shared_datasets / "za_schools_2017.csv", usecols=["lon", "lat"])
    lon, lat = (pd.to_numeric(za[c], errors="coerce") for c in ("lon", "lat"))
    assert not in_mainland_china(lon, lat).any() and lon.notna().sum() > 24_000


# --- the basemap a map gets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lang", "tiles"),
    [
        ("Haicheng", "zh", "webrd0{s}.is.autonavi.com"),
        ("Haicheng", "en", "tile.openstreetmap.org"),
        ("Kuala Lumpur", "zh", "tile.openstreetmap.org"),
        ("Johannesburg", "zh", "tile.openstreetmap.org"),
    ],
)
def test_default_basemap_by_language_and_place(place: str, lang: str, tiles: str) -> None:
    lon, lat = {**INSIDE, **OUTSIDE}[place]
    plan = moved_plan(lon, lat)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: nothing is drawn off its place
        html = plan_map(plan, lang=lang).get_root().render()
    assert tiles in html
    amap = "autonavi" in tiles
    assert ("底图：高德地图。" in html) == amap
    points = school_points(html)
    plain = np.column_stack([plan.schools.geometry.x, plan.schools.geometry.y])
    if amap:  # shifted into GCJ-02, about 500 m east near Haicheng
        expected = np.column_stack(wgs84_to_gcj02(plain[:, 0], plain[:, 1]))
        np.testing.assert_allclose(points, expected, atol=2e-6)
        assert np.all(points[:, 0] - plain[:, 0] > 0.004)
    else:
        np.testing.assert_allclose(points, plain, atol=2e-6)


@pytest.mark.parametrize("place", ["Kuala Lumpur", "Johannesburg", "Seoul"])
def test_amap_outside_china_warns_and_does_not_shift(place: str) -> None:
    plan = moved_plan(*OUTSIDE[place])
    with pytest.warns(UserWarning, match=r"6 of 6 schools lie outside mainland China"):
        html = plan_map(plan, basemap="amap", lang="en").get_root().render()
    plain = np.column_stack([plan.schools.geometry.x, plan.schools.geometry.y])
    np.testing.assert_allclose(school_points(html), plain, atol=2e-6)
    assert "6 schools lie outside mainland China" in html  # and the legend says so
    assert "webrd0{s}.is.autonavi.com" in html


def test_only_what_lies_in_mainland_china_is_shifted() -> None:
    """Schools on both sides of the Hong Kong border, and a boundary across it."""
    schools = gg.toy_schools()
    shenzhen = [(114.06, 22.62), (114.10, 22.60), (114.12, 22.64)]
    places = [*shenzhen, (114.17, 22.32), (114.20, 22.30), (114.22, 22.34)]  # Hong Kong
    schools = schools.set_geometry(shapely.points(places), crs=S.WGS84)
    plan = gg.propose(schools, gg.Policy(members=(2, 2), leads="top:0.34"))
    boundary = Polygon([(114.0, 22.2), (114.3, 22.2), (114.3, 22.7), (114.0, 22.7)])
    with pytest.warns(UserWarning, match="3 of 6 schools lie outside"):
        html = plan_map(plan, basemap="amap", boundary=boundary).get_root().render()
    points = school_points(html)
    plain = np.array(places)[np.argsort(plan.schools.index)]
    moved = np.hypot(*(points - plain).T) > 1e-4
    assert moved.tolist() == [True, True, True, False, False, False]
    line = next(json.loads(m.group(1)) for m in LAYER.finditer(html) if m.group(2) == "boundary")[
        "features"
    ][0]["geometry"]["coordinates"][0]
    shifted = [
        not np.allclose(a, b, atol=1e-6)
        for a, b in zip(line, boundary.exterior.coords, strict=True)
    ]
    assert shifted == [False, False, True, True, False]  # the corners north of the border


def test_a_plan_stacked_onto_a_map_keeps_its_basemap() -> None:
    china, malaysia = moved_plan(*INSIDE["Haicheng"]), moved_plan(*OUTSIDE["Kuala Lumpur"])
    m = plan_map(china)  # zh in China: AMap
    with pytest.warns(UserWarning, match="outside mainland China"):
        html = plan_map(malaysia, m=m, name="B").get_root().render()
    assert html.count("webrd0{s}.is.autonavi.com") >= 1 and "tile.openstreetmap.org" not in html


def test_cli_map_basemap_auto_and_its_warning(tmp_path: Path) -> None:
    moved_plan(*OUTSIDE["Kuala Lumpur"]).write(tmp_path / "plan")
    runner = CliRunner()
    args = ["map", str(tmp_path / "plan" / "plan.gpkg"), "--out", str(tmp_path / "m.html")]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "tile.openstreetmap.org" in (tmp_path / "m.html").read_text(encoding="utf-8")
    result = runner.invoke(main, [*args, "--basemap", "amap"])
    assert result.exit_code == 0, result.output
    assert re.search(r"(Warning|警告).*6 of 6 schools lie outside mainland China", result.output)
