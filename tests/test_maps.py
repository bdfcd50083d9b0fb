"""Maps, at the HTML level: render the map and read back what the page will draw.

Every layer's data sits in the page on a line of its own after ``geogroupLayer(``: GeoJSON
text, or the schools as columns (one list per property) that the page turns into points;
these tests parse it back (:func:`layers`) and check it against the plan. What a browser
makes of the page is in ``tests/test_browser.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

import geogroup as gg
from geogroup import schema as S
from geogroup.cli import main
from geogroup.errors import InputError
from geogroup.present import PALETTE, compare_map, group_colors, plan_map, save_map
from geogroup.read._coords import wgs84_to_gcj02

DATA = Path(__file__).resolve().parents[1] / "data"
NASTY = "<script>alert(1)</script>"
NASTY_ATTR = '"><img src=x onerror=alert(2)>'
LINK_TAGS = re.compile(r"<(?:script|link)\b[^>]*?(?:src|href)=\"([^\"]+)\"", re.I)
LAYER = re.compile(r"geogroupLayer\(\n(.*)\n, '(\w+)'")
KINDS = {"area": "areas", "link": "links", "sector": "sectors"}


@pytest.fixture(autouse=True)
def no_downloaded_assets(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Maps link the CDNs here, whatever this machine's cache of ``geogroup assets`` holds."""
    monkeypatch.setenv("GEOGROUP_ASSETS", str(tmp_path_factory.mktemp("no-assets")))


# --- reading the page back -----------------------------------------------------------------


def points(columns: dict[str, list]) -> list[dict]:
    """The schools' columns as GeoJSON points, as the page makes them (a null left out)."""
    keys = [k for k in columns if k not in ("x", "y")]
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {k: columns[k][i] for k in keys if columns[k][i] is not None},
        }
        for i, (x, y) in enumerate(zip(columns["x"], columns["y"], strict=True))
    ]


def layers(html: str) -> dict[str, list[dict]]:
    """The features of each layer of the page, by kind: schools (grouped), unassigned,
    areas, links, boundary, highlight, sectors."""
    out: dict[str, list[dict]] = {}
    for match in LAYER.finditer(html):
        data, kind = json.loads(match.group(1)), match.group(2)
        features = data["features"] if "features" in data else points(data)
        if kind == "school":
            key = "unassigned" if features and features[0]["properties"]["g"] < 0 else "schools"
        else:
            key = KINDS.get(kind, kind)
        out.setdefault(key, []).extend(features)
    return out


def control_layers(html: str) -> dict[str, str]:
    """The layer control's entries: layer name -> JavaScript variable."""
    block = re.search(r"_layers = \{(.*?)\};", html, re.S).group(1)
    return {json.loads(k): v for k, v in re.findall(r"(\"[^\"]*\") : (\w+),", block)}


def render(m) -> str:
    return m.get_root().render()


@pytest.fixture(scope="module")
def demo_plan() -> gg.Plan:
    schools, report = gg.read_schools(DATA / "demo_county.csv")
    return gg.propose(schools, "shandong", method="fast", rejected=report.rejected)


@pytest.fixture(scope="module")
def demo_html(demo_plan: gg.Plan, tmp_path_factory: pytest.TempPathFactory) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GEOGROUP_ASSETS", str(tmp_path_factory.mktemp("no-assets")))
        return render(plan_map(demo_plan, boundary=DATA / "demo_county_boundary.geojson"))


@pytest.fixture
def toy_plan() -> gg.Plan:
    return gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"), method="exact")


def hand_plan(**names: str) -> gg.Plan:
    """The toy schools in two hand-made groups, F unassigned; ``names`` renames schools."""
    schools = gg.toy_schools().assign(
        group_id=["G1", "G1", "G1", "G2", "G2", None],
        role=["lead", "member", "member", "lead", "member", "unassigned"],
        reason=[None] * 5 + ["no lead within 15 km <b>sic</b>"],
    )
    for sid, name in names.items():
        schools.loc[sid, S.NAME] = name
    return gg.Plan(schools=schools, policy=gg.Policy(name="hand"), method="hand")


# --- the demo plan ---------------------------------------------------------------------------


def test_one_marker_per_school(demo_plan: gg.Plan, demo_html: str) -> None:
    found = layers(demo_html)
    schools = found["schools"] + found.get("unassigned", [])
    assert len(schools) == len(demo_plan.schools) == 307
    assert sorted(f["properties"]["id"] for f in schools) == sorted(demo_plan.schools.index)
    assert all(f["geometry"]["type"] == "Point" for f in schools)
    # every point layer is drawn as circle markers on the canvas
    assert demo_html.count("return L.circleMarker(latlng") == 1
    assert '"preferCanvas": true' in demo_html


def test_one_polygon_and_one_link_bundle_per_group(demo_plan: gg.Plan, demo_html: str) -> None:
    found = layers(demo_html)
    n_groups = demo_plan.schools[S.GROUP_ID].nunique()
    assert n_groups >= 307 // 7  # shandong: at most 6 members, so at least 44 groups
    assert len(found["areas"]) == n_groups
    assert sorted(f["properties"]["g"] for f in found["areas"]) == list(range(n_groups))
    assert {f["geometry"]["type"] for f in found["areas"]} <= {"Polygon", "MultiPolygon"}
    assert len(found["links"]) == n_groups
    lines = sum(len(f["geometry"]["coordinates"]) for f in found["links"])
    assert lines == (demo_plan.schools[S.ROLE] == S.MEMBER).sum()
    assert len(found["boundary"]) == 1


def test_leads_are_drawn_larger_and_last(demo_html: str) -> None:
    schools = layers(demo_html)["schools"]
    styles = json.loads(re.search(r"_styles = (\[.*?\]);", demo_html).group(1))
    radius = {f["properties"]["r"]: styles[f["properties"]["s"]]["radius"] for f in schools}
    assert radius[S.LEAD] > radius[S.MEMBER]
    roles = [f["properties"]["r"] for f in schools]
    assert roles == sorted(roles, key=lambda r: r == S.LEAD)  # leads on top of the canvas


def test_legend_controls_and_layer_names(demo_plan: gg.Plan, demo_html: str) -> None:
    n_groups = demo_plan.schools[S.GROUP_ID].nunique()
    assert 'id="geogroup-legend"' in demo_html
    assert f"307 所学校，{n_groups} 个集团，0 所未入集团" in demo_html
    # the demo's three broken rows: how many, that they cannot be drawn, where they are listed
    assert "3 行输入数据在读入时被拒绝，无法在图上显示" in demo_html
    assert "plan.csv、报告和 plan.gpkg 的 rejected 表逐行列出其行号与原因" in demo_html
    for control in (
        "L.control.fullscreen",
        "L.Control.MiniMap",
        "L.Control.Search",
        "L.control.scale",
        "L.control.layers",
        ".fitBounds(",
    ):
        assert control in demo_html, control
    # a Chinese map of a county in China: AMap, the basemap reachable there
    assert list(control_layers(demo_html)) == [
        "高德地图",
        "集团范围",
        "龙头校—成员校连线",
        "集团学校",
        "集团名称",
        "研究范围",
    ]


def test_legend_says_where_the_rows_rejected_on_input_are(tmp_path: Path) -> None:
    rejected = pd.DataFrame(
        {
            "row": [4, 4, 9],
            "school_id": ["X1", "X1", "X2"],
            "name": ["a", "a", "b"],
            "column": ["lon", "lat", "quality"],
            "value": ["", "", "?"],
            "reason": ["missing longitude", "missing latitude", "quality is not a number"],
        }
    )
    policy = gg.Policy(members=(2, 2), leads="top:0.34")
    plan = gg.propose(gg.toy_schools(), policy, method="exact", rejected=rejected)
    back = gg.read_plan(plan.to_gpkg(tmp_path / "plan.gpkg"))  # as `geogroup map` draws it
    for drawn in (plan, back):
        legend = render(plan_map(drawn, lang="en")).split('id="geogroup-legend"', 1)[1]
        assert (
            "2 input rows were rejected on input and cannot be drawn (no usable coordinates "
            "or data); plan.csv, the report and the table rejected of plan.gpkg list each "
            "with its row number and reason."
        ) in legend
    alone = render(plan_map(gg.propose(gg.toy_schools(), policy), lang="en"))
    assert not re.search(r"\d input rows? were rejected", alone)  # (its labels are in the page)


def test_english_labels(toy_plan: gg.Plan) -> None:
    html = render(plan_map(toy_plan, lang="en"))
    assert "6 schools, 2 groups, 0 unassigned" in html
    assert {"Schools in groups", "Group areas", "Lead–member links"} <= set(control_layers(html))


def test_neighbouring_groups_get_different_colours(demo_plan: gg.Plan) -> None:
    colors = group_colors(demo_plan)
    groups = demo_plan.groups
    assert colors.index.equals(groups.index)
    assert set(colors) <= set(PALETTE) and len(set(colors)) == len(PALETTE)
    tree = shapely.STRtree(groups.geometry.to_numpy())
    left, right = tree.query(groups.geometry.to_numpy(), predicate="intersects")
    pairs = [(a, b) for a, b in zip(left, right, strict=True) if a < b]
    assert pairs
    assert all(colors.iloc[a] != colors.iloc[b] for a, b in pairs)


def test_colours_need_a_palette(toy_plan: gg.Plan) -> None:
    with pytest.raises(InputError, match="palette"):
        group_colors(toy_plan, palette=())


# --- escaping ------------------------------------------------------------------------------


def test_input_strings_are_escaped_everywhere() -> None:
    plan = hand_plan(A=NASTY, B=NASTY_ATTR)
    plan.schools = plan.schools.rename(index={"C": "C'<i>"})
    plan.schools.loc[plan.schools[S.GROUP_ID] == "G2", S.GROUP_ID] = "<b>G2</b>"
    plan.policy = gg.Policy(name="<u>policy</u>")
    html = render(plan_map(plan, highlight={"E": "<em>look</em>"}, name="<s>plan</s>"))
    for raw in (
        NASTY,
        NASTY_ATTR,
        "<img",
        "<b>G2</b>",
        "C'<i>",
        "<u>policy",
        "<em>",
        "<s>plan",
        "<b>sic",
    ):
        assert raw not in html, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # legend: lead of G1
    found = layers(html)
    names = {f["properties"]["id"]: f["properties"]["name"] for f in found["schools"]}
    assert names["A"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert names["B"] == "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
    assert "C&#x27;&lt;i&gt;" in names
    assert (
        found["unassigned"][0]["properties"]["why"] == "no lead within 15 km &lt;b&gt;sic&lt;/b&gt;"
    )
    assert (
        next(f for f in found["schools"] if f["properties"]["id"] == "E")["properties"]["note"]
        == "&lt;em&gt;look&lt;/em&gt;"
    )
    assert "<title>geogroup · &lt;u&gt;policy&lt;/u&gt; · hand</title>" in html
    # text from the input is not read as a template: "{{ 7*7 }}" stays as written
    plan = hand_plan(A="{{ 7*7 }}", B="{% raw %}", C="{{")
    html = render(plan_map(plan, name="{{ 6*6 }}"))
    names = {f["properties"]["id"]: f["properties"]["name"] for f in layers(html)["schools"]}
    assert (names["A"], names["B"], names["C"]) == ("{{ 7*7 }}", "{% raw %}", "{{")
    assert "G1 · {{ 7*7 }}" in html  # the lead's name in the legend and the group labels
    assert '<div class="gg-head">{{ 6*6 }} · hand · hand</div>' in html
    assert "&#123;&#123; 6*6 &#125;&#125;: 集团学校" in control_layers(html)  # as HTML


# --- unassigned, zones, highlight, boundary, stacking ----------------------------------------


def test_unassigned_schools_are_grey_with_their_reason() -> None:
    html = render(plan_map(hand_plan(), lang="en"))
    found = layers(html)
    (school,) = found["unassigned"]
    assert school["properties"]["id"] == "F" and school["properties"]["g"] == -1
    styles = json.loads(re.search(r"_styles = (\[.*?\]);", html).group(1))
    assert styles[school["properties"]["s"]]["fillColor"] == "#9e9e9e"
    assert "within 15 km" in school["properties"]["why"]
    assert "Unassigned schools" in control_layers(html)
    assert len(found["schools"]) == 5 and len(found["areas"]) == 2


def test_a_plan_without_any_group() -> None:
    schools = gg.toy_schools().assign(group_id=None, role="unassigned", reason="no lead near")
    found = layers(render(plan_map(schools, lang="en")))
    assert sorted(found) == ["unassigned"] and len(found["unassigned"]) == 6
    assert {f["properties"]["why"] for f in found["unassigned"]} == {"no lead near"}
    one = schools.iloc[:1]
    assert len(layers(render(plan_map(one, lang="en")))["unassigned"]) == 1


def test_zone_plans_draw_their_districts() -> None:
    plan = hand_plan()
    plan.zones = gpd.GeoDataFrame(
        geometry=[box(122.4, 40.8, 122.6, 40.9), box(122.6, 40.8, 122.8, 40.9)],
        index=pd.Index(["G1", "G2"], name=S.GROUP_ID),
        crs=S.WGS84,
    )
    html = render(plan_map(plan, basemap="osm"))
    areas = layers(html)["areas"]
    names = control_layers(html)
    assert len(areas) == 2 and "学区范围" in names and "集团范围" not in names
    drawn = shapely.from_geojson(json.dumps(areas[0]["geometry"]))
    assert drawn.equals_exact(box(122.4, 40.8, 122.6, 40.9), 1e-6)


def test_highlight_rings_the_given_schools(toy_plan: gg.Plan) -> None:
    found = layers(render(plan_map(toy_plan, highlight=["B", "E"])))
    assert sorted(f["properties"]["id"] for f in found["highlight"]) == ["B", "E"]
    with pytest.raises(InputError, match=r"not in the plan.*'Z'"):
        plan_map(toy_plan, highlight=["B", "Z"])


@pytest.mark.parametrize("kind", ["path", "frame", "geometry"])
def test_boundary_inputs(toy_plan: gg.Plan, kind: str) -> None:
    outline = box(122.4, 40.8, 122.8, 40.9)
    boundary = {
        "path": None,
        "frame": gpd.GeoDataFrame(geometry=[outline], crs=S.WGS84),
        "geometry": outline,
    }[kind]
    if kind == "path":
        boundary = DATA / "demo_county_boundary.geojson"
    found = layers(render(plan_map(toy_plan, boundary=boundary)))
    assert len(found["boundary"]) == 1


@pytest.mark.parametrize(
    ("boundary", "message"),
    [("no/such/file.geojson", "does not exist"), (42, "expected a GeoDataFrame")],
)
def test_bad_boundary(toy_plan: gg.Plan, boundary: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        plan_map(toy_plan, boundary=boundary)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"boundary: cannot read .*shapes\.geojson.* as a vector file"),
        (b"garbage", r"boundary: cannot read .*shapes\.geojson"),
        (b'{"type": "FeatureCollection", "features": []}', r"no polygons found in '.*shapes"),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "Point", "coordinates": [122.7, 40.8]}}]}',
            r"no polygons found in '.*\(geometry types: Point\)",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "Polygon", "coordinates": [[[1e308, 1e308], [-1e308, 0], '
            b"[0, 1e308], [1e308, 1e308]]]}}]}",
            r"boundary: expected shapes in longitude and latitude",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "Polygon", "coordinates": [[[500000, 4500000], [510000, '
            b"4500000], [510000, 4510000], [500000, 4500000]]]}}]}",
            r"expected shapes in longitude and latitude \(WGS-84\), got bounds \[500000",
        ),
    ],
)
def test_bad_boundary_files(
    toy_plan: gg.Plan, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "shapes.geojson"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        plan_map(toy_plan, boundary=path)
    result = CliRunner().invoke(
        main,
        [
            "map",
            _saved(toy_plan, tmp_path),
            "--out",
            str(tmp_path / "m.html"),
            "--lang",
            "en",
            "--boundary",
            str(path),
        ],
    )
    assert result.exit_code == 1 and "boundary:" in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "m.html").exists()


def _saved(plan: gg.Plan, folder: Path) -> str:
    return str(plan.to_gpkg(folder / "plan.gpkg"))


def test_second_plan_stacks_onto_the_first(toy_plan: gg.Plan) -> None:
    m = plan_map(toy_plan, name="A")
    m = plan_map(hand_plan(), m=m, name="B")
    html = render(m)
    assert html.count("L.control.layers(") == 1 and html.count("new L.Control.Search(") == 1
    assert html.count("L.Control.MiniMap(") == 1
    assert {"A: 集团学校", "B: 集团学校", "B: 未入集团学校"} <= set(control_layers(html))
    assert html.count('class="gg-sec"') == 2
    # the layer control comes after every layer it names
    assert html.index("L.control.layers(") > max(m.start() for m in LAYER.finditer(html))


def test_large_plans_leave_out_links(toy_plan: gg.Plan) -> None:
    html = render(plan_map(toy_plan, detail_limit=5))
    assert "links" not in layers(html)
    assert "学校超过 5 所：未画连线，集团范围已简化。" in html


# --- AMap and GCJ-02 -------------------------------------------------------------------------


def test_amap_shifts_every_vertex_into_gcj02(demo_plan: gg.Plan) -> None:
    osm = layers(render(plan_map(demo_plan, basemap="osm")))
    amap_html = render(plan_map(demo_plan, basemap="amap"))
    amap = layers(amap_html)
    assert "webrd0{s}.is.autonavi.com" in amap_html and "tile.openstreetmap.org" not in amap_html
    assert "GCJ-02" in amap_html

    def xy(features: list[dict]) -> np.ndarray:
        return np.array([f["geometry"]["coordinates"] for f in features])

    plain, shifted = xy(osm["schools"]), xy(amap["schools"])
    expected = np.column_stack(wgs84_to_gcj02(plain[:, 0], plain[:, 1]))
    np.testing.assert_allclose(shifted, expected, atol=2e-6)
    offset = shifted - plain  # GCJ-02 near Haicheng: about 500 m east, 100-300 m north
    assert np.all((offset[:, 0] > 0.004) & (offset[:, 0] < 0.008))
    assert np.all((offset[:, 1] > 0.001) & (offset[:, 1] < 0.003))
    for kind in ("areas", "links"):
        a = shapely.get_coordinates(
            shapely.from_geojson([json.dumps(f["geometry"]) for f in osm[kind]])
        )
        b = shapely.get_coordinates(
            shapely.from_geojson([json.dumps(f["geometry"]) for f in amap[kind]])
        )
        np.testing.assert_allclose(b, np.column_stack(wgs84_to_gcj02(a[:, 0], a[:, 1])), atol=2e-6)


# --- assets ----------------------------------------------------------------------------------


def _cdn_urls(html: str) -> list[str]:
    return LINK_TAGS.findall(html)


@pytest.fixture
def fake_assets(tmp_path: Path, toy_plan: gg.Plan) -> Path:
    """A folder with a stand-in for every file the map links, each naming itself."""
    for url in _cdn_urls(render(plan_map(toy_plan))):
        name = url.rsplit("/", 1)[-1]
        if name.endswith(".js"):
            (tmp_path / name).write_text(f"/* {name} */ var s = '</script>';", encoding="utf-8")
        else:
            (tmp_path / name).write_text(
                f"/* {name} */ .x {{ background: url(images/layers.png) }}", encoding="utf-8"
            )
    (tmp_path / "layers.png").write_bytes(b"\x89PNG fake")
    return tmp_path


def test_cdn_assets_are_folium_defaults(toy_plan: gg.Plan) -> None:
    urls = _cdn_urls(render(plan_map(toy_plan)))
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in urls
    assert "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js" in urls
    assert all(u.startswith("https://") for u in urls)


def test_assets_folder_inlines_everything(toy_plan: gg.Plan, fake_assets: Path) -> None:
    html = render(plan_map(toy_plan, assets=fake_assets))
    assert _cdn_urls(html) == []
    assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)=", html)
    for path in fake_assets.glob("*.js"):
        assert f"/* {path.name} */ var s = '<\\/script>';" in html
    assert '/* leaflet.css */ .x { background: url("data:image/png;base64,' in html
    # tile templates are the only addresses left (AMap's: a Chinese map of a plan in China)
    assert "webrd0{s}.is.autonavi.com/appmaptile?" in html


def test_assets_folder_must_hold_every_file(toy_plan: gg.Plan, fake_assets: Path) -> None:
    (fake_assets / "leaflet.js").unlink()
    with pytest.raises(InputError, match=r"lacks 1 file\(s\).*leaflet\.js \(from https://"):
        plan_map(toy_plan, assets=fake_assets)


def test_mirror_url_replaces_every_cdn(toy_plan: gg.Plan) -> None:
    html = render(plan_map(toy_plan, assets="https://mirror.example.cn/libs/"))
    urls = _cdn_urls(html)
    assert urls and all(u.startswith("https://mirror.example.cn/libs/") for u in urls)
    assert "https://mirror.example.cn/libs/leaflet.js" in urls


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("lang", "fr", "lang: expected one of zh, en"),
        ("basemap", "google", "basemap: expected one of"),
        ("assets", "no/such/folder", "not a folder"),
        ("detail_limit", -1, "detail_limit"),
    ],
)
def test_bad_options(toy_plan: gg.Plan, option: str, value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        plan_map(toy_plan, **{option: value})


def test_plan_must_be_a_plan() -> None:
    with pytest.raises(InputError, match="expected a Plan"):
        plan_map(pd.DataFrame({"a": [1]}))


# --- compare --------------------------------------------------------------------------------


def test_compare_map_rings_exactly_the_moved_schools(demo_plan: gg.Plan) -> None:
    schools = demo_plan.schools.copy()
    members = schools[schools[S.ROLE] == S.MEMBER]
    first, second = members[S.GROUP_ID].unique()[:2]
    move_a = members.index[members[S.GROUP_ID] == first][:2]
    move_b = members.index[members[S.GROUP_ID] == second][:1]
    schools.loc[move_a, S.GROUP_ID] = second
    schools.loc[move_b, S.GROUP_ID] = first
    after = gg.Plan(schools=schools, policy=demo_plan.policy, method="hand")
    moved = set(gg.compare_plans(demo_plan, after).moves.index)
    assert moved == {*move_a, *move_b}

    html = render(compare_map(demo_plan, after, labels=("before", "after")))
    found = layers(html)
    assert {f["properties"]["id"] for f in found["highlight"]} == moved
    notes = {f["properties"]["id"]: f["properties"].get("note") for f in found["schools"]}
    assert all(notes[sid] for sid in moved) and sum(map(bool, notes.values())) == len(moved)
    assert f"before：{first} → after：{second}" in notes[move_a[0]]
    assert "3 所学校调整了集团" in html
    # before is a toggle away (not added to the map), after is shown
    names = control_layers(html)
    before, after = names["before: 集团学校"], names["after: 集团学校"]
    assert f"{before}.addTo(" not in html and f"{after}.addTo(" in html


def test_compare_keeps_colours_of_matched_groups(toy_plan: gg.Plan) -> None:
    html = render(compare_map(toy_plan, toy_plan))
    assert "highlight" not in layers(html)
    assert "0 所学校调整了集团" in html


# --- files and the command line ---------------------------------------------------------------


def test_save_map_writes_atomically(tmp_path: Path, toy_plan: gg.Plan) -> None:
    path = save_map(toy_plan, tmp_path / "out" / "map.html", lang="en")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in path.parent.iterdir()) == ["map.html"]
    m = plan_map(toy_plan)
    assert save_map(m, tmp_path / "again.html").stat().st_size > 0
    with pytest.raises(InputError, match="apply to a plan"):
        save_map(m, tmp_path / "x.html", lang="en")


def test_cli_map_and_propose_write_maps(tmp_path: Path, toy_plan: gg.Plan) -> None:
    toy_plan.write(tmp_path / "plan")
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "map",
            str(tmp_path / "plan" / "plan.gpkg"),
            "--out",
            str(tmp_path / "map.html"),
            "--lang",
            "en",
            "--boundary",
            str(DATA / "demo_county_boundary.geojson"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(layers((tmp_path / "map.html").read_text(encoding="utf-8"))["schools"]) == 6
    result = runner.invoke(
        main,
        [
            "map",
            str(tmp_path / "plan" / "plan.gpkg"),
            "--out",
            str(tmp_path / "m2.html"),
            "--assets",
            "no/such/dir",
        ],
    )
    assert result.exit_code == 1 and "Error: assets:" in result.output
    result = runner.invoke(
        main,
        [
            "propose",
            str(DATA / "demo_county.csv"),
            "--policy",
            "shandong",
            "--method",
            "fast",
            "--out",
            str(tmp_path / "demo"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "map.html").is_file() and "map.html" in result.output


def test_importing_geogroup_does_not_import_folium() -> None:
    code = "import sys, geogroup; print('folium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
