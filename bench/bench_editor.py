"""Benchmark of the plan editor in the browser; writes bench/editor_results.md.

Run:  .venv/bin/python bench/bench_editor.py [--sizes 3000,25000] [--moves 60] [--jobs 1]

Cases: a synthetic province (``bench/synthetic.py``: county clusters, a quarter urban) of N
schools in N/250 counties, grouped county by county (``by='county'``) under Shandong's
policy (the size, lead, pairing and weak-school rules active) by the ``fast`` method
(``--jobs`` processes; a county the policy cannot group is left unassigned, with its
reason). Grouping is not timed. For each case, in Debian's headless Chromium driven by
Playwright:

- ``build_s``: :func:`geogroup.save_editor` (the rulebook's data, colours, the page);
- ``html_mb``: the page's size (scripts and data inlined);
- ``open_s``: from opening the file to the editor ready and its map drawn (two frames);
- ``engine_ms``: the page's rules and figures computed for the whole plan, from scratch
  (what every edit would cost without incremental recomputation);
- ``move_ms``: one scripted move (``geogroupEditor.move`` to a group among the school's five
  nearest) and its recomputation: the touched groups and units, then every violation and
  every figure of the plan; median, 95th percentile and maximum over ``--moves`` moves;
- ``shown_ms``: the move, its recomputation and the work of the next frame, in which the
  page refreshes its panels (violations, figures, groups) and redraws the map: ``move_ms +
  refresh_ms + draw_ms`` of each move (median, 95th percentile; the wait for the frame
  itself is left out);
- ``refresh_ms``, ``draw_ms``: the panels' refresh and the map's redraw in that frame (median);
- ``undo_ms``: an undo and its recomputation (median).

The moves run inside the page (one ``evaluate`` for all of them), timed by
``performance.now``. The machine and its load are written with the results.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "editor_results.md"
sys.path.insert(0, str(ROOT))

import geogroup as gg  # noqa: E402
from bench.synthetic import province  # noqa: E402

SCHOOLS_PER_COUNTY = 250
POLICY = gg.get_policy("shandong")

MOVES_JS = """async ([n, seed]) => {
  const api = window.geogroupEditor, view = window.geogroupEditorPage, ed = view.editor;
  const e = ed.engine, ids = ed.data.ids;
  let s = seed >>> 0;
  const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const members = [];
  for (let j = 0; j < ids.length; j++) if (e.assigned(j) && e.role[j] === 'member') members.push(j);
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  const move = [], shown = [], draw = [], refresh = [], undo = [];
  const t0 = performance.now();
  const engine = new window.geogroupEditorRules.Engine(ed.data);
  engine.violations(); engine.metrics();
  const engineMs = performance.now() - t0;
  for (let k = 0; k < n; k++) {
    const i = members[Math.floor(rand() * members.length)];
    const near = ed.nearbyGroups(ids[i], 5);
    const target = near[Math.floor(rand() * near.length)].group;
    await frame();
    const a = performance.now();
    api.move(ids[i], target);
    e.violations(); e.metrics();  // what the panels show, recomputed
    move.push(performance.now() - a);
    await frame();  // the page's own frame callback has refreshed the panels and drawn the map
    const t = api.timings();
    refresh.push(t.lastRefreshMs);
    draw.push(t.drawMs);
    shown.push(move[move.length - 1] + t.lastRefreshMs + t.drawMs);
    if (k % 4 === 3) {
      const b = performance.now();
      api.undo(); e.violations(); e.metrics();
      undo.push(performance.now() - b);
    }
  }
  return {move, shown, refresh, draw, undo, engineMs, violations: api.violations().length};
}"""


def make_plan(n: int, jobs: int) -> gg.Plan:
    schools = province(n_schools=n, n_counties=max(1, n // SCHOOLS_PER_COUNTY), seed=0)
    grouper = gg.get_method("fast", policy=POLICY, on_infeasible="unassign", n_jobs=jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # units left unassigned, with reasons
        return gg.propose(schools, POLICY, method=grouper, by="county")


def chromium() -> str:
    found = os.environ.get("GEOGROUP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).is_file():
        raise SystemExit(f"Chromium not found at {found}; install Debian's package 'chromium'")
    return found


def measure(plan: gg.Plan, browser: object, folder: Path, moves: int) -> dict:
    row: dict[str, object] = {
        "schools": len(plan.schools),
        "groups": int(plan.schools["group_id"].nunique()),
    }
    start = time.perf_counter()
    path = gg.save_editor(plan, folder / f"editor-{len(plan.schools)}.html")
    row["build_s"] = time.perf_counter() - start
    row["html_mb"] = path.stat().st_size / 1e6
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    start = time.perf_counter()
    page.goto(path.as_uri(), timeout=300_000)
    page.wait_for_function("window.geogroupEditor !== undefined", timeout=300_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    row["open_s"] = time.perf_counter() - start
    result = page.evaluate(MOVES_JS, [moves, 12345])
    page.close()
    if errors:
        raise RuntimeError(f"{path.name}: {errors}")
    move, shown = np.array(result["move"]), np.array(result["shown"])
    row |= {
        "engine_ms": result["engineMs"],
        "move_ms_median": float(np.median(move)),
        "move_ms_p95": float(np.percentile(move, 95)),
        "move_ms_max": float(move.max()),
        "shown_ms_median": float(np.median(shown)),
        "shown_ms_p95": float(np.percentile(shown, 95)),
        "refresh_ms": float(np.median(result["refresh"])),
        "draw_ms": float(np.median(result["draw"])),
        "undo_ms": float(np.median(result["undo"])) if result["undo"] else float("nan"),
        "violations": result["violations"],
    }
    return row


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    version = subprocess.run([chromium(), "--version"], capture_output=True, text=True).stdout
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, {version.strip()} headless; load average at the end "
        f"(1, 5, 15 min): {load}"
    )


COLUMNS = [
    ("schools", "{:,}"),
    ("groups", "{:,}"),
    ("build_s", "{:.2f}"),
    ("html_mb", "{:.1f}"),
    ("open_s", "{:.2f}"),
    ("engine_ms", "{:.0f}"),
    ("move_ms_median", "{:.1f}"),
    ("move_ms_p95", "{:.1f}"),
    ("move_ms_max", "{:.1f}"),
    ("shown_ms_median", "{:.1f}"),
    ("shown_ms_p95", "{:.1f}"),
    ("refresh_ms", "{:.1f}"),
    ("draw_ms", "{:.1f}"),
    ("undo_ms", "{:.1f}"),
]


def write(rows: list[dict], note: str) -> None:
    lines = [
        "# Plan editor: open and edit in the browser",
        "",
        "Written by `bench/bench_editor.py` (see its docstring for the cases and columns).",
        "Targets: a move and its recomputation within 50 ms for 3,000 schools; the page open",
        "within 3 s for 25,000 schools.",
        "",
        "| " + " | ".join(c for c, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        lines.append("| " + " | ".join(f.format(row[c]) for c, f in COLUMNS) + " |")
    lines += ["", note, ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3000,25000")
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        for n in (int(x) for x in args.sizes.split(",")):
            start = time.perf_counter()
            plan = make_plan(n, args.jobs)
            print(f"{n} schools grouped in {time.perf_counter() - start:.0f} s", flush=True)
            row = measure(plan, browser, Path(tmp), args.moves)
            print(row, flush=True)
            rows.append(row)
        browser.close()
    write(rows, f"Machine: {machine()}.")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
