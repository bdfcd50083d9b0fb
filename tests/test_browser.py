"""Maps in a real browser: headless Chromium, driven by Playwright over the DevTools protocol.

Each page is one self-contained file: its JS/CSS are inlined from ``tests/browser/assets``
(filled from npm by ``tests/browser/setup.sh``, which ``scripts/test.sh`` runs), and its
tiles come from a server on 127.0.0.1 that answers every tile with a blank PNG. Any other
request is refused and recorded, so the tests also show that the page needs no internet.

Chromium is Debian's (``/usr/bin/chromium``, or ``$GEOGROUP_CHROMIUM``); Playwright's own
browser download is not used. Without Chromium or the assets these tests fail, they do not
skip.
"""

from __future__ import annotations

import http.server
import re
import struct
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

import geogroup as gg
from geogroup import schema as S
from geogroup.present import compare_map, save_map

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "tests" / "browser" / "assets"
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
DATA = ROOT / "data"
NASTY = "<script>alert(1)</script>"

# Layers on the map, by the kind geogroup gives them and the Leaflet class that draws them.
COUNT_JS = """() => {
  const n = {};
  geogroup.map.eachLayer(function (l) {
    const p = l.feature && l.feature.properties;
    if (!p || !p.kind) return;
    const shape = l instanceof L.CircleMarker ? 'circle' : l instanceof L.Polygon ? 'polygon'
      : l instanceof L.Polyline ? 'line' : 'other';
    n[p.kind + ':' + shape] = (n[p.kind + ':' + shape] || 0) + 1;
  });
  return n;
}"""

FIND_JS = """(id) => {
  let found = null;
  geogroup.map.eachLayer(function (l) {
    const p = l.feature && l.feature.properties;
    if (p && p.kind === 'school' && p.id === id) found = l;
  });
  return found;
}"""


# --- the browser, the tiles, the assets ----------------------------------------------------


def _blank_png(size: int = 256) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xf2\xef\xe9" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class _TileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A page closed while its tiles load: nothing to report."""


def _tile_handler(png: bytes) -> type[http.server.BaseHTTPRequestHandler]:
    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    return Tiles


@pytest.fixture(scope="session")
def tiles() -> Iterator[str]:
    """A tile URL template served on 127.0.0.1: a blank PNG for every tile."""
    server = _TileServer(("127.0.0.1", 0), _tile_handler(_blank_png()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def assets() -> Path:
    if not (ASSETS / "leaflet.js").is_file():
        pytest.fail(
            f"browser assets missing in {ASSETS}; run: bash tests/browser/setup.sh", pytrace=False
        )
    return ASSETS


@dataclass
class Opened:
    """A map page and what it reported: console errors, uncaught errors, dialogs, and the
    requests that would have left the machine."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self) -> dict[str, int]:
        return self.page.evaluate(COUNT_JS)


def open_map(browser: Browser, path: Path, tiles: str, timeout_s: float = 30.0) -> Opened:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(f"uncaught: {e}"))
    page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
    local = tiles.split("{z}")[0]

    def route(r: object) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:", local)):
            r.continue_()
        else:
            opened.blocked.append(url)
            r.abort()

    page.route("**/*", route)
    start = time.perf_counter()
    page.goto(path.resolve().as_uri(), timeout=timeout_s * 1000)
    page.wait_for_function("window.geogroup !== undefined", timeout=timeout_s * 1000)
    # let the first fit-to-bounds finish (it may animate) and a frame be drawn
    page.evaluate("""() => new Promise(function (done) {
      const map = geogroup.map;
      const frame = () => requestAnimationFrame(() => requestAnimationFrame(done));
      if (map._animatingZoom) map.once('zoomend', frame); else frame();
    })""")
    opened.seconds = time.perf_counter() - start
    return opened


def leaflet_is_running(opened: Opened) -> None:
    page = opened.page
    assert page.evaluate("typeof L !== 'undefined' && L.version") == "1.9.3"
    assert page.locator(".folium-map.leaflet-container").count() == 1  # (the minimap is another)
    assert page.evaluate("geogroup.map.getContainer().classList.contains('leaflet-container')")
    assert page.evaluate("geogroup.map instanceof L.Map && geogroup.map._loaded")
    assert page.evaluate("Object.keys(geogroup.map._layers).length") > 10
    assert page.locator(".leaflet-overlay-pane canvas").count() >= 1  # drawn on a canvas
    page.wait_for_function("document.querySelectorAll('.leaflet-tile-loaded').length > 0")


# --- the demo county ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_plan() -> gg.Plan:
    schools, report = gg.read_schools(ROOT / "data" / "demo_county.csv")
    return gg.propose(schools, "shandong", method="fast", rejected=report.rejected)


@pytest.fixture(scope="module")
def demo_file(demo_plan: gg.Plan, assets: Path, tiles: str, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "map.html"
    return save_map(
        demo_plan,
        path,
        assets=assets,
        tiles_url=tiles,
        boundary=ROOT / "data" / "demo_county_boundary.geojson",
    )


@pytest.fixture
def demo(browser: Browser, demo_file: Path, tiles: str) -> Iterator[Opened]:
    opened = open_map(browser, demo_file, tiles)
    yield opened
    opened.page.close()


def test_demo_map_loads_and_draws_every_school_and_group(demo: Opened, demo_plan: gg.Plan) -> None:
    leaflet_is_running(demo)
    n_groups = demo_plan.schools[S.GROUP_ID].nunique()
    assert demo.count() == {
        "school:circle": len(demo_plan.schools),
        "area:polygon": n_groups,
        "link:line": n_groups,
        "boundary:polygon": 1,
    }
    assert demo.page.locator("#geogroup-legend").is_visible()
    assert f"307 所学校，{n_groups} 个集团" in demo.page.locator("#geogroup-legend").inner_text()
    for control in (
        ".leaflet-control-zoom-fullscreen",
        ".leaflet-control-minimap",
        ".leaflet-control-search",
        ".leaflet-control-scale",
        ".leaflet-control-layers",
    ):
        assert demo.page.locator(control).count() == 1, control
    assert demo.errors == [] and demo.blocked == [] and demo.dialogs == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    demo.page.screenshot(path=str(ARTIFACTS / "demo_map.png"))


def test_layer_control_switches_a_layer_off_and_on(demo: Opened, demo_plan: gg.Plan) -> None:
    n_groups = demo_plan.schools[S.GROUP_ID].nunique()
    page = demo.page
    layers_before = page.evaluate("Object.keys(geogroup.map._layers).length")
    box = page.locator(".leaflet-control-layers-overlays label", has_text="集团范围").locator(
        "input"
    )
    assert box.is_checked()
    box.click()
    assert demo.count().get("area:polygon", 0) == 0
    # one polygon per group, and the layer group that holds them
    assert page.evaluate("Object.keys(geogroup.map._layers).length") == layers_before - n_groups - 1
    box.click()
    assert demo.count()["area:polygon"] == n_groups
    # switched back on, the areas go behind the schools again (so schools stay clickable)
    assert page.evaluate("""() => {
      const first = geogroup.map.getRenderer(geogroup.map)._drawFirst.layer;
      return first.feature.properties.kind;
    }""") in {"area", "boundary"}
    assert demo.errors == []


def test_clicking_a_school_opens_its_popup(demo: Opened, demo_plan: gg.Plan) -> None:
    page = demo.page
    lead = demo_plan.schools[demo_plan.schools[S.ROLE] == S.LEAD].iloc[0]
    sid = lead.name
    x, y = page.evaluate(
        f"""(id) => {{
      const layer = ({FIND_JS})(id);
      geogroup.map.setView(layer.getLatLng(), 16, {{animate: false}});
      const p = geogroup.map.latLngToContainerPoint(layer.getLatLng());
      const r = geogroup.map.getContainer().getBoundingClientRect();
      return [r.left + p.x, r.top + p.y];
    }}""",
        sid,
    )
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip")
    assert page.locator(".leaflet-tooltip").inner_text() == lead[S.NAME]
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert text.startswith(lead[S.NAME])
    assert sid in text and "龙头校" in text and f"集团 {lead[S.GROUP_ID]}" in text
    assert demo.errors == []


def test_search_finds_a_school_by_name(demo: Opened, demo_plan: gg.Plan) -> None:
    page = demo.page
    school = demo_plan.schools.iloc[10]
    box = page.locator(".leaflet-control-search input")
    # Chinese text arrives from an input method, which ends with a keyup (key code 229)
    box.fill(school[S.NAME])
    box.dispatch_event("keyup")
    tip = page.locator(".search-tip", has_text=f"{school[S.NAME]} ({school.name})")
    tip.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().startswith(school[S.NAME])
    assert demo.errors == []


# --- no network at all ------------------------------------------------------------------------

LABEL_BOXES_JS = """() => Array.from(document.querySelectorAll('.gg-label span')).map(function (e) {
  const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];
})"""


def open_blocked(browser: Browser, path: Path, *, wait_for: str, timeout_s: float = 30) -> Opened:
    """Open ``path`` with every request that is not the file itself or a data: URI refused
    (no CDN, no tiles), and wait for ``wait_for`` (a JavaScript condition)."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    opened = Opened(page)
    page.on("pageerror", lambda e: opened.errors.append(f"uncaught: {e}"))

    def route(r: object) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            opened.blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri())
    page.wait_for_function(wait_for, timeout=timeout_s * 1000)
    return opened


def overlapping(boxes: list[list[float]]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[:i])
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_a_map_made_with_the_downloaded_assets_needs_no_network(
    browser: Browser, demo_plan: gg.Plan, assets: Path, tmp_path: Path, monkeypatch
) -> None:
    """The default map (assets='auto', the files of `geogroup assets`), Chinese, with every
    request refused: the schools and groups are drawn, named, and searchable."""
    monkeypatch.setenv("GEOGROUP_ASSETS", str(assets))
    path = save_map(
        demo_plan, tmp_path / "map.html", boundary=DATA / "demo_county_boundary.geojson"
    )
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)=\"https?:", html)
    opened = open_blocked(browser, path, wait_for="window.geogroup !== undefined")
    page = opened.page
    page.wait_for_timeout(300)
    n_groups = demo_plan.schools[S.GROUP_ID].nunique()
    assert opened.count() == {
        "school:circle": len(demo_plan.schools),
        "area:polygon": n_groups,
        "link:line": n_groups,
        "boundary:polygon": 1,
    }
    assert page.locator("#geogroup-offline").count() == 0
    assert all("autonavi.com" in u for u in opened.blocked)  # only the tiles were asked for
    # group names at county zoom: most groups, none over another
    labels = page.locator(".gg-label span").all_inner_texts()
    assert len(labels) >= n_groups // 2, labels
    assert all(re.fullmatch(r"G\d+( · .+)?", t) for t in labels)
    assert overlapping(page.evaluate(LABEL_BOXES_JS)) == []
    # the Chinese search box shows its placeholder and a typed name whole
    box = page.locator(".leaflet-control-search input")
    assert box.get_attribute("placeholder") == "搜索学校名称"
    longest = max(demo_plan.schools[S.NAME], key=len)
    for text in ("搜索学校名称", longest):
        box.fill(text)
        assert page.evaluate("(e) => e.scrollWidth <= e.clientWidth", box.element_handle()), text
    box.fill("")
    assert "山东（2021） · 快速法" in page.locator("#geogroup-legend").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_zh_offline.png"))
    # zoomed far out, the names give way; zoomed in on the town, they come back
    page.evaluate("() => { geogroup.map.setZoom(6, {animate: false}); }")
    page.wait_for_timeout(200)
    assert page.locator(".gg-label").count() <= 3
    page.evaluate("() => { geogroup.map.setZoom(13, {animate: false}); }")
    page.wait_for_timeout(200)
    assert page.locator(".gg-label").count() >= 1
    assert overlapping(page.evaluate(LABEL_BOXES_JS)) == []
    assert opened.errors == []
    page.close()


@pytest.mark.parametrize(
    ("lang", "title"),
    [("zh", "地图脚本未能加载"), ("en", "The map's scripts could not load")],
)
def test_a_map_that_cannot_load_its_scripts_says_what_to_run(
    browser: Browser, demo_plan: gg.Plan, tmp_path: Path, lang: str, title: str
) -> None:
    path = save_map(demo_plan, tmp_path / "map.html", assets="cdn", lang=lang)
    # as soon as the page has loaded (its scripts failed), not only after the 15 s fallback
    opened = open_blocked(
        browser, path, wait_for="document.getElementById('geogroup-offline')", timeout_s=8
    )
    page = opened.page
    assert page.evaluate("typeof L") == "undefined"
    notice = page.locator("#geogroup-offline")
    assert notice.is_visible()
    text = notice.inner_text()
    assert text.startswith(title) and "geogroup assets" in text and "--mirror" in text
    assert page.locator("#geogroup-offline code").inner_text() == "geogroup assets"
    assert any("cdn.jsdelivr.net" in u for u in opened.blocked)
    if lang == "zh":
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_cdn_blocked.png"))
    page.close()


def test_the_notice_stays_away_when_the_scripts_load(
    browser: Browser, demo_file: Path, tiles: str
) -> None:
    opened = open_map(browser, demo_file, tiles)
    opened.page.wait_for_load_state("load")
    assert opened.page.locator("#geogroup-offline").count() == 0
    opened.page.close()


def test_sector_boundaries_on_the_map(
    browser: Browser, assets: Path, tiles: str, tmp_path: Path
) -> None:
    schools, report = gg.read_schools(ROOT / "data" / "demo_county.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = gg.propose(schools, "anshan-haicheng", rejected=report.rejected)
    path = save_map(plan, tmp_path / "sectors.html", assets=assets, tiles_url=tiles)
    opened = open_map(browser, path, tiles)
    assert opened.count()["sector:line"] == 4
    names = opened.page.locator(".gg-label span").all_inner_texts()
    assert {"北", "东", "南", "西"} <= set(names)
    assert opened.errors == []
    opened.page.close()


# --- escaping -------------------------------------------------------------------------------


def test_a_script_as_a_school_name_stays_text(
    browser: Browser, assets: Path, tiles: str, tmp_path: Path
) -> None:
    schools = gg.toy_schools()
    schools.loc["A", S.NAME] = NASTY
    schools.loc["B", S.NAME] = '"><img src=x onerror=alert(2)>'
    plan = gg.propose(schools, gg.Policy(members=(2, 2), leads="top:0.34"), method="exact")
    opened = open_map(
        browser,
        save_map(plan, tmp_path / "map.html", assets=assets, tiles_url=tiles, lang="en"),
        tiles,
    )
    page = opened.page
    leaflet_is_running(opened)
    for sid, name in (("A", NASTY), ("B", '"><img src=x onerror=alert(2)>')):
        page.evaluate(f"(id) => ({FIND_JS})(id).openPopup()", sid)
        assert page.locator(".leaflet-popup-content .gg-title").first.text_content() == name
        page.evaluate(f"(id) => ({FIND_JS})(id).openTooltip()", sid)
        assert page.locator(".leaflet-tooltip").last.text_content() == name
        page.evaluate("geogroup.map.closePopup()")
        page.locator(".leaflet-popup").wait_for(state="detached")
    assert NASTY in page.locator("#geogroup-legend").inner_text()  # lead of G01
    page.locator(".leaflet-control-search input").press_sequentially("<scr")
    assert page.locator(".search-tip").first.text_content() == f"{NASTY} (A)"
    page.wait_for_timeout(300)
    assert page.locator(".leaflet-popup-content script, .leaflet-popup-content img").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert opened.dialogs == [] and opened.errors == [] and opened.blocked == []
    page.close()


# --- two plans ------------------------------------------------------------------------------


def test_compare_map_toggles_between_plans(
    browser: Browser, demo_plan: gg.Plan, assets: Path, tiles: str, tmp_path: Path
) -> None:
    schools = demo_plan.schools.copy()
    members = schools[schools[S.ROLE] == S.MEMBER].drop_duplicates(S.GROUP_ID).index[:3]
    schools.loc[members, S.GROUP_ID] = schools.loc[members[::-1], S.GROUP_ID].to_numpy()
    after = gg.Plan(schools=schools, policy=demo_plan.policy, method="hand")
    moved = gg.compare_plans(demo_plan, after).n_moved
    assert moved >= 2
    m = compare_map(demo_plan, after, labels=("A", "B"), assets=assets, tiles_url=tiles)
    opened = open_map(browser, save_map(m, tmp_path / "compare.html"), tiles)
    counts = opened.count()
    assert counts["school:circle"] == len(schools) and counts["highlight:circle"] == moved
    opened.page.locator(".leaflet-control-layers-overlays label", has_text="A: 集团学校").locator(
        "input"
    ).click()
    assert opened.count()["school:circle"] == 2 * len(schools)
    assert opened.errors == [] and opened.blocked == []
    opened.page.close()


# --- a country's schools ----------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_thousand_schools_load_in_the_browser(
    browser: Browser, shared_datasets: Path, assets: Path, tiles: str, tmp_path: Path
) -> None:
    schools, _ = gg.read_schools(
        shared_datasets / "za_schools_2017.csv", columns={"quality": "quintile"}, id_column="emis"
    )
    schools["district"] = schools["education_district"].astype(str).str.strip().str.upper()
    grouper = gg.get_method("fast", policy="ninghe", on_infeasible="unassign")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        plan = gg.propose(schools, "ninghe", method=grouper, by="district")
    said = [str(w.message) for w in caught]
    assert any(m.startswith("left unassigned") for m in said)
    kinds = ("left unassigned", "have no value in the 'district' column", "lie more than")
    assert all(any(kind in m for kind in kinds) for m in said), said
    assert len(plan.schools) > 20_000
    path = save_map(plan, tmp_path / "za.html", assets=assets, tiles_url=tiles, lang="en")
    assert path.stat().st_size < 30e6
    opened = open_map(browser, path, tiles, timeout_s=60)
    assert opened.seconds < 60
    leaflet_is_running(opened)
    counts = opened.count()
    assert counts["school:circle"] == len(plan.schools)
    assert counts["area:polygon"] == plan.schools[S.GROUP_ID].nunique()
    assert "link:line" not in counts  # above the detail limit, and the legend says so
    assert "links left out" in opened.page.locator("#geogroup-legend").inner_text()
    sid = plan.schools.index[0]
    opened.page.evaluate(f"(id) => ({FIND_JS})(id).openPopup()", sid)
    assert sid in opened.page.locator(".leaflet-popup-content").inner_text()
    assert opened.errors == [] and opened.blocked == []
    opened.page.close()
