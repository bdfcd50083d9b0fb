"""The results table of bench/run.py: comparisons with exact, the machine, the targets of the
issue computed from the rows of the run, written as markdown and JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ("pmedian", "skater", "regionkmeans", "kmc")
GEOGROUP = ("exact", "fast", "fast-dask", "kmeans")
PACKAGES = (
    "highspy",
    "numpy",
    "pandas",
    "geopandas",
    "scipy",
    "scikit-learn",
    "dask",
    "distributed",
    "spopt",
    "libpysal",
    "pulp",
    "k-means-constrained",
)
# The targets of the issue.
WITHIN_PCT = 1.0  # fast within 1 % of the exact optimum
SPEEDUP = 50.0  # fast at least 50x faster than exact on the 829-school case
ZA_SECONDS, ZA_MIB = 30.0, 4096.0  # fast on all South African schools
COUNTRY_SECONDS = 300.0  # 200,000 synthetic schools by county, 2 cores


def ran(row: dict | None) -> bool:
    """A row with a scored result."""
    return bool(row) and row.get("objective") is not None


def not_run(row: dict) -> bool:
    return row["status"].startswith("not run")


def compare(rows: list[dict]) -> None:
    """Add vs-exact objective and bound (%) and the speedup over exact to every scored row."""
    exact = {r["case"]: r for r in rows if r["method"] == "exact" and ran(r)}
    for r in rows:
        ref = exact.get(r["case"])
        if not (ref and ran(r)):
            continue
        r["vs_exact_objective_pct"] = round(100 * (r["objective"] / ref["objective"] - 1), 3)
        if ref.get("bound") is not None and math.isfinite(ref["bound"]) and ref["bound"] > 0:
            r["vs_exact_bound_pct"] = round(100 * (r["objective"] / ref["bound"] - 1), 3)
        r["speedup_vs_exact"] = round(ref["seconds"] / max(r["seconds"], 1e-9), 1)


def machine(run: dict) -> dict:
    def ver(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "not installed"

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    dirty = git("status", "--porcelain", "--", "geogroup")
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "geogroup": ver("geogroup"),
        "commit_at_end": git("rev-parse", "--short", "HEAD")
        + (" + uncommitted changes in geogroup/" if dirty else ""),
        **{p: ver(p) for p in PACKAGES},
        **run,
    }


# -- targets ------------------------------------------------------------------------------
def _row(rows: list[dict], case: str, method: str) -> dict | None:
    return next((r for r in rows if r["case"] == case and r["method"] == method), None)


def _target(text: str, met: bool | None, detail: str) -> dict:
    return {"target": text, "met": met, "detail": detail}


def _within_one_pct(rows: list[dict], cases: list[str]) -> dict:
    text = f"fast within {WITHIN_PCT:g} % of the exact optimum on every case where exact finished"
    parts, met, missed = [], True, []
    for case in cases:
        exact, fast = _row(rows, case, "exact"), _row(rows, case, "fast")
        if exact is None or not_run(exact):
            continue
        if not ran(exact):
            missed.append(f"{case} ({exact['status'][:60]})")
            continue
        if not ran(fast):
            parts.append(f"{case}: fast has no result NOT MET")
            met = False
            continue
        pct = fast["vs_exact_objective_pct"]
        ok = pct <= WITHIN_PCT
        met &= ok
        gap = f", HiGHS gap {100 * exact['gap']:.3f} %" if exact.get("gap") is not None else ""
        parts.append(
            f"{case} {pct:.2f} % (exact {exact['status']}{gap})" + ("" if ok else " NOT MET")
        )
    if not parts:
        return _target(text, None, "exact finished on no case of this run")
    if missed:
        parts.append("exact did not finish on " + ", ".join(missed))
    return _target(text, met, "; ".join(parts))


def _speedup(rows: list[dict]) -> dict:
    text = f"fast at least {SPEEDUP:g}x faster than exact on the 829-school case (beijing)"
    exact, fast = _row(rows, "beijing", "exact"), _row(rows, "beijing", "fast")
    if not (ran(exact) and ran(fast)):
        return _target(text, None, "beijing exact or fast has no result in this run")
    speedup = exact["seconds"] / max(fast["seconds"], 1e-9)
    note = ""
    if exact["status"].startswith("time_limit"):
        note = " (exact stopped at its time limit, so its real time and the speedup are larger)"
    detail = f"{speedup:.0f}x: exact {exact['seconds']} s, fast {fast['seconds']} s{note}"
    return _target(text, speedup >= SPEEDUP, detail)


def _za_all(rows: list[dict]) -> dict:
    text = (
        f"fast on all South African schools by district: under {ZA_SECONDS:g} s "
        f"and under {ZA_MIB / 1024:g} GiB"
    )
    fast = _row(rows, "za_all", "fast")
    if not ran(fast):
        return _target(text, None, "za_all fast has no result in this run")
    ok_s, ok_m = fast["seconds"] < ZA_SECONDS, fast["peak_mib"] < ZA_MIB
    detail = (
        f"{fast['n']:,} schools in {fast['units']} units: {fast['seconds']} s"
        + ("" if ok_s else " NOT MET")
        + f", peak {fast['peak_mib'] / 1024:.2f} GiB"
        + ("" if ok_m else " NOT MET")
    )
    return _target(text, ok_s and ok_m, detail)


def _country(rows: list[dict], cpus: int | None) -> dict:
    text = f"fast on 200,000 synthetic schools by county: under {COUNTRY_SECONDS / 60:g} minutes on 2 cores"
    fast = _row(rows, "country", "fast")
    if not ran(fast):
        return _target(text, None, "country fast has no result in this run")
    ok = fast["seconds"] < COUNTRY_SECONDS
    detail = (
        f"{fast['n']:,} schools in {fast['units']:,} counties: {fast['seconds']} s on {cpus} cores"
        + ("" if ok else " NOT MET")
        + ("" if cpus == 2 else " (this machine does not have 2 cores)")
    )
    return _target(text, ok, detail)


def _anchor_seconds(row: dict) -> float | None:
    """Seconds an anchor took (at least the cap when it was stopped by it)."""
    return row.get("seconds") if (ran(row) or row.get("timeout")) else None


def _faster(rows: list[dict], cases: list[str]) -> dict:
    text = "fast faster than every anchor on every case"
    parts, met, compared = [], True, 0
    for case in cases:
        fast = _row(rows, case, "fast")
        anchors = [r for r in rows if r["case"] == case and r["method"] in ANCHORS]
        timed = [(r, _anchor_seconds(r)) for r in anchors]
        timed = [(r, s) for r, s in timed if s is not None]
        if not (ran(fast) and timed):
            continue
        compared += len(timed)
        slower = [f"{r['method']} {s} s" for r, s in timed if s <= fast["seconds"]]
        quickest, s = min(timed, key=lambda rs: rs[1])
        cap = ">=" if quickest.get("timeout") else ""
        item = (
            f"{case}: fast {fast['seconds']} s, quickest anchor {quickest['method']} "
            f"{cap}{s} s ({s / max(fast['seconds'], 1e-9):.1f}x)"
        )
        if slower:
            met = False
            item += " NOT MET (faster than fast: " + ", ".join(slower) + ")"
        parts.append(item)
    if not compared:
        return _target(text, None, "no case of this run has fast and an anchor")
    others = [
        f"{r['case']} {r['method']}"
        for r in rows
        if r["method"] in ANCHORS and not not_run(r) and _anchor_seconds(r) is None
    ]
    if others:
        parts.append("not compared (failed): " + ", ".join(others))
    return _target(text, met, f"{compared} anchor rows compared; " + "; ".join(parts))


def _clean_anchor(row: dict, fast: dict | None) -> str:
    """An anchor row that keeps every rule, beside fast's row of the same case."""
    text = f"{row['case']} {row['method']}"
    if fast is None or row.get("objective") is None or fast.get("objective") is None:
        return text
    worse = 100.0 * (row["objective"] / fast["objective"] - 1.0)
    return (
        f"{text}, {worse:+.2f} % objective against fast, {row['seconds']} s against "
        f"fast's {fast['seconds']} s"
    )


def _violations(rows: list[dict]) -> dict:
    text = "the anchors violate rules that geogroup keeps"
    ours = [r for r in rows if r["method"] in GEOGROUP and ran(r)]
    theirs = [r for r in rows if r["method"] in ANCHORS and ran(r)]
    if not (ours and theirs):
        return _target(text, None, "this run has no geogroup or no anchor result")
    broken_ours = [
        f"{r['case']} {r['method']} ({r['violations']})" for r in ours if r["violations"]
    ]
    fast = {r["case"]: r for r in ours if r["method"] == "fast"}
    clean_theirs = [_clean_anchor(r, fast.get(r["case"])) for r in theirs if not r["violations"]]
    parts = [
        f"geogroup rows without a violation: {len(ours) - len(broken_ours)} of {len(ours)}"
        + (" NOT MET: " + ", ".join(broken_ours) if broken_ours else ""),
        f"anchor rows breaking at least one rule: {len(theirs) - len(clean_theirs)} of "
        f"{len(theirs)}"
        + (" (keep every rule: " + ", ".join(clean_theirs) + ")" if clean_theirs else ""),
    ]
    return _target(text, not broken_ours and not clean_theirs, "; ".join(parts))


def targets(rows: list[dict], cases: list[str], cpus: int | None) -> list[dict]:
    return [
        _within_one_pct(rows, cases),
        _speedup(rows),
        _za_all(rows),
        _country(rows, cpus),
        _faster(rows, cases),
        _violations(rows),
    ]


# -- writing ------------------------------------------------------------------------------
COLUMNS = [
    ("case", "case"),
    ("method", "method"),
    ("n", "n"),
    ("seconds", "seconds"),
    ("peak_mib", "peak MiB"),
    ("status", "status"),
    ("objective", "objective"),
    ("bound", "bound"),
    ("gap_pct", "gap %"),
    ("vs_exact_objective_pct", "vs exact objective %"),
    ("vs_exact_bound_pct", "vs exact bound %"),
    ("violations", "violations"),
    ("violations_by_rule", "violations by rule"),
    ("speedup_vs_exact", "speedup vs exact"),
    ("groups", "groups"),
    ("unassigned", "unassigned"),
    ("commit", "commit"),
]


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if key == "gap_pct" and row.get("gap") is not None:
        value = round(100 * row["gap"], 3)
    if key == "bound" and value is not None:
        value = round(value, 6)
    if key == "violations_by_rule":
        value = ", ".join(f"{k}: {n}" for k, n in (value or {}).items())
    if key == "status":
        value = str(value).replace("|", "/").replace("\n", " ")
        value = value if len(value) <= 140 else value[:137] + "..."
    return "" if value is None else str(value)


def _finite(value):
    """The same structure with NaN and infinities as None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write(
    rows: list[dict], cases: dict[str, str], run: dict, out: Path, info: dict | None = None
) -> None:
    """``cases``: what each case of the run is; ``info``: the machine as recorded (``--rewrite``),
    else this machine with ``run``."""
    compare(rows)
    info = info or machine(run)
    goals = targets(rows, list(cases), info["cpus"])
    out.with_suffix(".json").write_text(
        json.dumps(
            _finite(
                {
                    "machine": info,
                    "cases": cases,
                    "rows": rows,
                    "targets": goals,
                }
            ),
            indent=2,
            allow_nan=False,
            ensure_ascii=False,
            default=str,
        )
        + "\n"
    )
    shown = [r for r in rows if not not_run(r)]
    lines = [
        "# Benchmark: geogroup's methods and the anchors, side by side",
        "",
        "Written by `.venv/bin/python bench/run.py` (see `bench/README.md`); the same run wrote "
        f"`{out.name}.json`. Lower objective is better (`docs/objective.md`). Every row is scored "
        "by the same code with geogroup's objective and `violations()` (plus: every lead is a "
        "lead candidate); a row with violations breaks the policy and is not a usable plan, "
        "whatever its objective. `vs exact *` compare with the exact row of the same case "
        "(its objective, HiGHS's bound); `gap %` is HiGHS's own. `commit`: geogroup's HEAD when "
        "the row started ('+dirty': with uncommitted changes in geogroup/).",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Cases",
        "",
        *[f"- `{c}`: {about}" for c, about in cases.items()],
        "",
        "## Results",
        "",
        "| " + " | ".join(h for _, h in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *["| " + " | ".join(_cell(r, k) for k, _ in COLUMNS) + " |" for r in shown],
    ]
    skipped = [r for r in rows if not_run(r)]
    if skipped:
        lines += ["", "Not run:", ""]
        lines += [
            f"- `{r['case']}` {r['method']}: {r['status'][len('not run: ') :]}" for r in skipped
        ]
    left = [(r["case"], r["method"], w) for r in rows for w in r.get("units_left_unassigned", [])]
    if left:
        lines += [
            "",
            "Units no grouping can fit the policy to (left unassigned by every method):",
            "",
        ]
        seen = set()
        for case, _method, why in left:
            if (case, why) not in seen:
                seen.add((case, why))
                lines.append(f"- `{case}` {why}")
    mark = {True: "met", False: "NOT MET", None: "not evaluated"}
    lines += ["", "## Targets", ""]
    lines += [f"- {g['target']}: **{mark[g['met']]}**: {g['detail']}" for g in goals]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
