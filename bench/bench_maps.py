"""Benchmark of the maps: time to make and write a map, HTML size and time to load;
writes bench/maps_results.md.

Run:  .venv/bin/python bench/bench_maps.py [--sizes 1000,5000,25000] [--no-za] [--no-browser]

Cases:
- ``tiled-N``: the demo county's plan (307 schools, shandong, fast) copied side by side until
  there are N schools (ids and groups suffixed per copy, each copy 0.8° further east and
  south): a province-sized plan with the demo's real group shapes, made in a second.
- ``za``: every usable South African school (22,874), grouped within its case-normalised
  education district under ``ninghe`` (fast; about 15 s to group, not timed here).

For each: ``build_s`` (plan_map: the rulebook's reading of the plan, colours, hulls, the
page's data), ``render_s`` (the HTML string), ``save_s`` (save_map to a file: build,
render and write, CDN links; ``save_cpu_s`` its CPU time), ``save_inline_s`` (the same
with every JS/CSS file inlined from tests/browser/assets, the offline file), ``cold_s``
(save_map of the saved plan in a fresh Python process, folium's import included: what the
map costs ``geogroup propose``; ``cold_cpu_s`` its CPU time), the HTML size with the CDN
links (``cdn_mb``) and inlined (``inline_mb``), bytes per school, and ``load_s``: headless
Chromium (Debian's, driven by Playwright) from opening the inlined file to the map drawn,
tiles served blank from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.server
import os
import platform
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zlib
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets"
ASSETS = ROOT / "tests" / "browser" / "assets"
OUT = ROOT / "bench" / "maps_results.md"
sys.path.insert(0, str(ROOT))

import geogroup as gg  # noqa: E402
from geogroup import schema as S  # noqa: E402
from geogroup.present import DETAIL_LIMIT, plan_map, save_map  # noqa: E402

_COLD = """
import sys, time
import geogroup as gg
plan = gg.read_plan(sys.argv[1])
start, start_cpu = time.perf_counter(), time.process_time()
from geogroup.present import save_map
save_map(plan, sys.argv[2], lang="en", assets="cdn")
print(time.perf_counter() - start, time.process_time() - start_cpu)
"""


def demo_plan() -> gg.Plan:
    schools, report = gg.read_schools(ROOT / "data" / "demo_county.csv")
    return gg.propose(schools, "shandong", method="fast", rejected=report.rejected)


def tiled(plan: gg.Plan, n: int) -> gg.Plan:
    """Copies of ``plan`` side by side, cut to ``n`` schools (the last copy's groups may be
    cut short: they are drawn all the same)."""
    copies = []
    for k in range(-(-n // len(plan.schools))):
        part = plan.schools.copy()
        part.index = part.index + f"-{k}"
        part.index.name = S.SCHOOL_ID
        for col in (S.GROUP_ID, S.LEAD_ID):
            part[col] = [None if pd.isna(v) else f"{v}-{k}" for v in part[col]]
        dx, dy = 0.8 * (k % 10), -0.8 * (k // 10)
        part = part.set_geometry(
            shapely.transform(
                part.geometry.to_numpy(), lambda xy, dx=dx, dy=dy: np.add(xy, (dx, dy))
            ),
            crs=S.WGS84,
        )
        copies.append(part)
    schools = pd.concat(copies).iloc[:n]
    return gg.Plan(schools=schools, policy=plan.policy, method=plan.method)


def za_plan() -> gg.Plan:
    schools, _ = gg.read_schools(
        DATA / "za_schools_2017.csv", columns={"quality": "quintile"}, id_column="emis"
    )
    schools["district"] = schools["education_district"].astype(str).str.strip().str.upper()
    grouper = gg.get_method("fast", policy="ninghe", on_infeasible="unassign")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # units left unassigned, with reasons
        return gg.propose(schools, "ninghe", method=grouper, by="district")


class _Tiles(http.server.BaseHTTPRequestHandler):
    png = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


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


def _seconds(make: object, repeat: int = 2) -> tuple[float, float]:
    """The best of ``repeat`` runs of ``make()``: wall-clock and CPU seconds (this process's;
    on a machine others load, the CPU time is the steadier figure)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        make()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def _cold(plan: gg.Plan, out_dir: Path) -> tuple[float, float]:
    """save_map in a fresh process (folium imported there), the plan read first, untimed:
    wall-clock and CPU seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        saved = plan.to_gpkg(Path(tmp) / "plan.gpkg")
        out = subprocess.run(
            [sys.executable, "-c", _COLD, str(saved), str(out_dir / "cold.html")],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def measure(plan: gg.Plan, tiles: str | None, browser: object | None, out_dir: Path) -> dict:
    row: dict[str, object] = {
        "schools": len(plan.schools),
        "groups": int(plan.schools[S.GROUP_ID].nunique()),
    }
    row["build_s"] = _seconds(lambda: plan_map(plan, assets="cdn"))[0]
    m = plan_map(plan, assets="cdn")
    start = time.perf_counter()
    html = m.get_root().render()
    row["render_s"] = time.perf_counter() - start
    row["cdn_mb"] = len(html.encode()) / 1e6
    path = out_dir / f"map-{len(plan.schools)}-cdn.html"
    row["save_s"], row["save_cpu_s"] = _seconds(lambda: save_map(plan, path, assets="cdn"))
    row["cold_s"], row["cold_cpu_s"] = _cold(plan, out_dir)
    if ASSETS.is_dir():
        path = out_dir / f"map-{len(plan.schools)}.html"
        row["save_inline_s"] = _seconds(
            lambda: save_map(plan, path, assets=ASSETS, tiles_url=tiles)
        )[0]
        size = path.stat().st_size
        row["inline_mb"] = size / 1e6
        row["bytes_per_school"] = (size - _empty_size(tiles)) / len(plan.schools)
        if browser is not None:
            row["load_s"] = _load(browser, path)
    return row


BEFORE = """## Before: the map as folium objects per layer

Until the maps read the plan once through the rulebook and sent the schools to the page as
columns, South Africa's map (za) took build_s 1.86, render_s 0.47 (this benchmark, earlier
version, same machine) and `save_map` 3.9-4.0 s (two runs, load average about 2), with a
7.8 MB page (CDN links), 9.95 MB inlined. The time went on one Python dict and one
`json.dumps` per school, `group_metrics` and `groups_table` (the rulebook read six
times), networkx's colouring, and folium re-reading every rendered script, data included,
as a Jinja template (which also read `{{ … }}` in a school's name as template code)."""


_EMPTY: dict[str | None, int] = {}


def _empty_size(tiles: str | None) -> int:
    """The inlined page of a one-school plan: what every map carries besides its data."""
    if tiles not in _EMPTY:
        one = gg.toy_schools().iloc[:1].assign(group_id=[None], role=["unassigned"])
        html = plan_map(one, assets=ASSETS, tiles_url=tiles, basemap="osm").get_root().render()
        _EMPTY[tiles] = len(html.encode())
    return _EMPTY[tiles]


def _load(browser: object, path: Path) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    start = time.perf_counter()
    page.goto(path.as_uri(), timeout=120_000)
    page.wait_for_function("window.geogroup !== undefined", timeout=120_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    seconds = time.perf_counter() - start
    page.close()
    if errors:
        raise RuntimeError(f"{path.name}: {errors}")
    return seconds


def write(rows: list[dict], note: str) -> None:
    cols = [
        "case",
        "schools",
        "groups",
        "build_s",
        "render_s",
        "save_s",
        "save_cpu_s",
        "save_inline_s",
        "cold_s",
        "cold_cpu_s",
        "cdn_mb",
        "inline_mb",
        "bytes_per_school",
        "load_s",
    ]
    table = pd.DataFrame(rows).reindex(columns=cols)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        cells = []
        for col, value in zip(cols, row, strict=True):
            if isinstance(value, float) and np.isnan(value):
                cells.append("—")
            elif col in {"schools", "groups"} or col == "bytes_per_school":
                cells.append(f"{value:,.0f}")
            elif isinstance(value, float):
                cells.append(f"{value:.2f}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    OUT.write_text(
        "# Maps: HTML size and time\n\n"
        "Written by `bench/bench_maps.py` (see its docstring for the cases and columns).\n\n"
        + "\n".join(lines)
        + "\n\n"
        + note
        + "\n\n"
        + BEFORE
        + "\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,25000")
    parser.add_argument("--no-za", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--out-dir", default="/tmp/geogroup-bench-maps")
    args = parser.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    _Tiles.png = _blank_png()
    server = _Server(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tiles = f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"

    base = demo_plan()
    cases = [(f"tiled-{n}", lambda n=n: tiled(base, n)) for n in map(int, args.sizes.split(","))]
    if not args.no_za and (DATA / "za_schools_2017.csv").is_file():
        cases.append(("za", za_plan))

    playwright = browser = None
    if not args.no_browser:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
    rows = []
    try:
        for name, make in cases:
            row = {"case": name, **measure(make(), tiles, browser, out_dir)}
            print(row, flush=True)
            rows.append(row)
    finally:
        if browser is not None:
            browser.close()
            playwright.stop()
        server.shutdown()

    load = os.getloadavg()[0]
    note = (
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"folium {folium.__version__}, {len(os.sched_getaffinity(0))} cores (load average "
        f"{load:.1f} when the run ended), Chromium headless. Times are the best of two runs "
        "in one process, except ``cold_s``. "
        f"Links are left out and group areas simplified above {DETAIL_LIMIT:,} schools "
        "(`detail_limit`), so `bytes_per_school` steps down there; within each regime the HTML "
        "grows linearly with the schools. `inline_mb` includes about "
        f"{_EMPTY.get(tiles, 0) / 1e6:.1f} MB of inlined Leaflet, plugins, Bootstrap, jQuery "
        "and Font Awesome (with its fonts), the same for every map."
    )
    write(rows, note)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
