"""Fuzzing the ``geogroup`` command: generated files, policies and options, judged by the
command's contract.

Whatever it is given, the command

* exits 0 (done), 1 (a user error) or 2 (bad usage): never 3 (a bug) nor an uncaught
  exception, and never prints a traceback;
* on status 1 prints exactly one line starting with ``Error:``, which names something
  specific (a file, a row, a column, an option, a field, a quoted value);
* prints no control character or escape sequence, whatever the data held;
* finishes each run within :data:`SECONDS` of CPU time (a wall-clock alarm backs that up)
  and :data:`MEMORY` of extra address space.

The generated inputs start from a small valid school list (:data:`ROWS`) and a valid plan,
then damage their bytes and shapes (random bytes, truncation, other delimiters, odd and
huge numbers, odd headers, BOMs, CR/LF mixes, NUL bytes, long lines, many columns), the
fields of a policy TOML (wrong types, inf/nan, negative, huge, unknown keys, array
tables, base cycles), the vector files of ``--boundary``, ``--urban-boundary`` and
``--study-area``, and the options (seeds, time limits, methods, missing ``--by`` columns,
encodings, map options). Examples are derandomised (tests/conftest.py) and few, so the
file runs in about two minutes; the inputs the issue lists are fixed cases
(``test_listed_input``), and the heaviest run in their own process under resource limits
(``test_heavy_input``: a long line, huge numbers, a full disk).

A fuzzer runs all its examples and then fails once, listing every kind of breach with the
first run that showed it (:class:`Findings`): one bug does not hide another, and no
example needs shrinking (which is off: the fixed cases are the minimal reproductions).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from geogroup.cli import main

SECONDS = 20
WALL_FACTOR = 6  # the wall-clock backstop of a run, in multiples of SECONDS
MEMORY = 2 << 30  # bytes of address space a run may add


def fuzz(examples: int) -> settings:
    """Hypothesis settings of a fuzzer: ``examples`` examples, drawn (derandomised, as in
    tests/conftest.py) but not shrunk."""
    return settings(
        max_examples=examples,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )


HEAD = ["学校代码", "学校名称", "经度", "纬度", "得分", "城乡", "学段", "学生数", "教师数"]
ENGLISH = ["school_id", "name", "lon", "lat", "quality", "area", "level", "students", "teachers"]
ROWS = [
    [
        f"S{i + 1:03d}",
        f"第{i + 1}小学",
        f"{122.70 + 0.01 * (i % 4) + 0.001 * i:.4f}",
        f"{40.80 + 0.01 * (i // 4):.4f}",
        f"{50 + 4 * i}",
        "城区" if i % 3 == 0 else "乡村",
        "小学",
        str(200 + 10 * i),
        str(20 + i),
    ]
    for i in range(10)
]
PLAN_HEAD = ["school_id", "name", "lon", "lat", "quality", "area", "level", "group_id", "role"]
PLAN_ROWS = [  # three groups of three, the first school of each leading
    [
        *row[:5],
        "urban" if row[5] == "城区" else "rural",
        "primary",
        f"G{i // 3 + 1}",
        "member" if i % 3 else "lead",
    ]
    for i, row in enumerate(ROWS[:9])
]
POLICY = "[policy]\nname = 'fuzz'\nmembers = [1, 3]\nleads = 'top:0.4'\n"

# What an Error line must name: where (a file, row, column, sheet, line) or what (an
# option, a field or parameter, a quoted value, a number).
SPECIFIC = re.compile(
    r"'[^']+'|\"[^\"]+\"|--[a-z]|\brows?\b|\bcolumns?\b|\bheader|\bsheet\b|\bline \d|"
    r"\bfield\b|\b[a-z]+_[a-z_]+\b|\.csv|\.toml|\.gpkg|\.html|/|\d"
)
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ERROR_PREFIX = r"^(?:Error:|错误：)"  # the error line in English, or with --lang zh in Chinese

ODD_NUMBERS = [
    "1e20", "-1e20", "1e307", "-1e307", "1e309", "-1e309", "nan", "NaN", "inf", "-inf",
    "Infinity", "0", "-0", "1e-320", "0x1F", "１２３", "1,000", "1 000", "12°", "12.5.3",
    "", " ", "NULL", "#N/A", "9" * 400, "-", "+", "1e", "١٢٣", "½", "99999999999999999999",
]  # fmt: skip
ODD_TEXT = [
    "\x1b[31mred\x1b[0m", "a\x00b", "=cmd|' /C calc'!A0", "x" * 5000, "\u202eevil", '"',
    '""q""', "a,b", "\t", "名称\r\n换行", "🙂", "S001", "城区", "urban", "\x85\x9b2J",
]  # fmt: skip
CELLS = st.sampled_from(ODD_NUMBERS + ODD_TEXT)


# --------------------------------------------------------------------------- running


class TookTooLong(BaseException):
    """A run past its time (BaseException: the command's own handlers let it through)."""


@contextlib.contextmanager
def _bounded(seconds: int = SECONDS, memory: int = MEMORY) -> Iterator[None]:
    """At most ``seconds`` and ``memory`` more bytes of address space for what runs inside,
    and Python's default warnings (as a user's shell shows them, not as errors)."""

    def expire(signum: int, frame: Any) -> None:
        raise TookTooLong(f"a run took more than {seconds} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + memory
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    # Seconds of CPU (SIGPROF), which a busy machine does not stretch as it does the wall
    # clock; a wall-clock alarm at WALL_FACTOR times that catches a run that hangs idle.
    previous = {s: signal.signal(s, expire) for s in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.alarm(seconds * WALL_FACTOR)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.alarm(0)
        for s, handler in previous.items():
            signal.signal(s, handler)


def _address_space() -> int:
    status = Path("/proc/self/status").read_text(encoding="ascii")
    return int(re.search(r"VmSize:\s+(\d+) kB", status).group(1)) * 1024


def invoke(args: list[str], *, input: bytes | None = None) -> Result:
    """Run the command in this process, bounded in time and memory (a run stopped at its
    time has status -1 and the :class:`TookTooLong` as its exception)."""
    runner = CliRunner()
    try:
        with _bounded():
            return runner.invoke(main, args, input=input)
    except TookTooLong as exc:
        return Result(runner, b"", b"", b"", None, -1, exc)


def breaches(result: Result) -> list[str]:
    """How a run broke the contract of the module docstring, one short kind per breach
    (none: it kept it). An internal error's kind is its first line, numbers blanked, so
    that one bug met at many positions counts once."""
    out = []
    if result.exit_code == 3:
        line = next((x for x in result.stderr.splitlines() if x.startswith("Internal error")), "")
        line = re.sub(r"geogroup-fuzz-\w+", "…", line)
        line = re.sub(r"\d+", "N", re.sub(r"0x[0-9a-fA-F]+|\\x[0-9a-f]{2}", "0x..", line))
        out.append(line[:120] or "status 3 without a message")
    elif isinstance(result.exception, TookTooLong):
        out.append(f"took more than {SECONDS} s")
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        out.append(f"uncaught {type(result.exception).__name__}: {result.exception}"[:120])
    elif result.exit_code not in (0, 1, 2):
        out.append(f"exit status {result.exit_code}")
    if "Traceback" in result.output:
        out.append("a traceback printed")
    if CONTROLS.search(result.output):
        out.append("a control character printed")
    if result.exit_code == 1:
        out += _error_line_breaches(result.stderr)
    if result.exit_code == 2 and not re.search(ERROR_PREFIX, result.stderr, re.MULTILINE):
        out.append("bad usage without a message")
    return out


def _error_line_breaches(stderr: str) -> list[str]:
    errors = [line for line in stderr.splitlines() if re.match(ERROR_PREFIX, line)]
    if len(errors) != 1:
        return [f"{len(errors)} lines starting with Error:"]
    message = re.sub(ERROR_PREFIX, "", errors[0]).strip()
    if len(message) < 12 or not SPECIFIC.search(message):
        return [f"a vague error: {message[:80]!r}"]
    return []


def _described(result: Result, args: list[str], data: bytes) -> str:
    return (
        f"    command: geogroup {' '.join(a[:200] for a in args)}\n"
        f"    input: {data[:300]!r}\n"
        f"    stderr: {result.stderr[-600:]!r}"
    )


def check_contract(result: Result, args: list[str], data: bytes = b"") -> None:
    """Fail, with the command, the input and what it printed, when ``result`` broke the
    contract."""
    found = breaches(result)
    assert not found, "; ".join(found) + "\n" + _described(result, args, data)


class Findings:
    """The breaches of many runs by kind: how many runs met each, and the first of them.

    A fuzzer records every example and fails once at the end with the whole list, so that
    one bug does not hide the others (and no example needs shrinking to be read)."""

    def __init__(self) -> None:
        self.kinds: dict[str, list[Any]] = {}
        self.runs = 0

    def record(self, result: Result, args: list[str], data: bytes = b"") -> None:
        self.runs += 1
        for kind in breaches(result):
            self.kinds.setdefault(kind, [0, _described(result, args, data)])[0] += 1

    def assert_none(self) -> None:
        lines = [
            f"{kind} ({count} of {self.runs} runs); first:\n{first}"
            for kind, (count, first) in sorted(self.kinds.items())
        ]
        assert not lines, f"{len(lines)} kinds of breach:\n" + "\n".join(lines)


# --------------------------------------------------------------------------- generating


def _csv(rows: list[list[str]], head: list[str], sep: str = ",", newline: str = "\n") -> str:
    def cell(value: str) -> str:
        special = sep in value or '"' in value or "\n" in value or "\r" in value
        return '"' + value.replace('"', '""') + '"' if special else value

    return "".join(sep.join(cell(v) for v in row) + newline for row in [head, *rows])


HEADERS = st.sampled_from(
    [
        HEAD,
        ENGLISH,
        [*HEAD[:2], "经度", "经度", *HEAD[4:]],  # a repeated header
        [*HEAD[:4], "", *HEAD[5:]],  # an empty one
        [*HEAD[:1], "\x1b[2J名称", *HEAD[2:]],
        [*HEAD[:4], "质量 ", *HEAD[5:]],
        [h.upper() for h in ENGLISH],
        [*ENGLISH[:2], "lat", "lon", *ENGLISH[4:]],  # swapped
        ENGLISH[:4],  # no quality
        [f"列{i}" for i in range(9)],
    ]
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r", "\n\r"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le"])


@st.composite
def school_files(draw: st.DrawFn) -> bytes:
    """A school list's bytes: the valid one with some cells, its header, delimiter, line
    ends, encoding, shape and bytes damaged."""
    rows = [list(r) for r in ROWS]
    for _ in range(draw(st.integers(0, 4))):
        rows[draw(st.integers(0, 9))][draw(st.integers(0, 8))] = draw(CELLS)
    head = list(draw(HEADERS))
    shape = draw(st.sampled_from(["rows", "rows", "rows", "header", "empty", "wide", "long"]))
    if shape == "header":
        rows = []
    elif shape == "wide":
        extra = draw(st.integers(10, 400))
        head += [f"x{i}" for i in range(extra)]
        rows = [r + ["1"] * extra for r in rows]
    elif shape == "long":
        rows[0][1] = "长" * draw(st.sampled_from([10_000, 300_000]))
    sep = draw(st.sampled_from([",", ",", ";", "\t", "|", " "]))
    text = _csv(rows, head, sep, draw(NEWLINES)) if shape != "empty" else ""
    data = text.encode(draw(ENCODINGS), errors="replace")
    return _damage(draw, data)


def _damage(draw: st.DrawFn, data: bytes) -> bytes:
    how = draw(st.sampled_from(["none", "none", "truncate", "nul", "flip", "random", "bom"]))
    if how == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "nul" and data:
        at = draw(st.integers(0, len(data)))
        return data[:at] + b"\x00" * draw(st.integers(1, 3)) + data[at:]
    if how == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1 :]
    if how == "random":
        return draw(st.binary(min_size=0, max_size=2000))
    if how == "bom":
        return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + data
    return data


def _toml(value: Any) -> str:
    """A TOML value (json's strings are TOML basic strings; inf and nan are TOML's own)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=True)


NUMBERS = st.sampled_from(
    [0, 1, -1, 2, 0.5, 1e-300, 1e307, -1e307, 10**18, float("inf"), float("-inf"), float("nan")]
)
WRONG = st.sampled_from(["2", "yes", True, [1], [1, 2, 3], "", "\x1b[31m"])
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": st.sampled_from(["x", "", "\x1b[2Jname", "名" * 300]),
    "members": st.lists(st.sampled_from([-1, 0, 1, 2, 3, 10**18, 1.5]), min_size=0, max_size=3)
    | WRONG,
    "n_groups": NUMBERS | WRONG,
    "max_distance_km": NUMBERS | WRONG,
    "pair_urban_rural": st.booleans() | WRONG,
    "weak_share": NUMBERS | WRONG,
    "min_weak_per_group": NUMBERS | WRONG,
    "leads": st.sampled_from(
        ["top:0.2", "top:0", "top:nan", "top:inf", "column:nope", "column:lead_candidate", "x", ""]
    )
    | st.lists(st.sampled_from(["S001", "S002", "nope"]), max_size=3)
    | WRONG,
    "min_lead_spacing_km": NUMBERS | WRONG,
    "levels": st.sampled_from(["same", "mixed", "x"]) | WRONG,
    "balance_weight": NUMBERS | WRONG,
    "move_cost": NUMBERS | WRONG,
    "allow_unassigned": st.booleans() | WRONG,
    "method": st.sampled_from(["fast", "exact", "kmeans", "districts", "pairs", "nope"]),
    "base": st.sampled_from(["liangxi", "ninghe", "shandong", "nope", "SELF", "OTHER"]),
    "size": st.just(3),  # unknown
}
STRUCTURES = st.sampled_from(["table", "table", "table", "array", "bare", "extra", "bom", "broken"])


@st.composite
def policy_files(draw: st.DrawFn) -> tuple[str, str]:
    """A policy TOML (SELF and OTHER stand for its own path and a file basing on it) and
    the policy the OTHER file holds."""
    keys = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=5, unique=True))
    body = "".join(f"{k} = {_toml(draw(FIELDS[k]))}\n" for k in keys)
    if draw(st.booleans()):
        body = "members = [1, 3]\nleads = 'top:0.4'\n" + body
    structure = draw(STRUCTURES)
    header = {"array": "[[policy]]\n", "bare": ""}.get(structure, "[policy]\n")
    text = header + body
    if structure == "extra":
        text += "[rules]\nx = 1\n"
    if draw(st.booleans()):
        text += f"[output]\nplan = {_toml(draw(st.sampled_from(['p', '../x', '', 'a/b', '名'])))}\n"
    if structure == "bom":
        text = "\ufeff" + text
    if structure == "broken":
        text = text.replace("=", "", 1) if "=" in text else "[policy"
    return text, "[policy]\nbase = 'SELF'\n"


# --------------------------------------------------------------------------- fixtures


@contextlib.contextmanager
def _folder() -> Iterator[Path]:
    # (per example: tmp_path would be shared by every example of a test)
    with tempfile.TemporaryDirectory(prefix="geogroup-fuzz-") as name:
        yield Path(name)


def _good_list(folder: Path) -> str:
    path = folder / "schools.csv"
    path.write_text(_csv(ROWS, HEAD), encoding="utf-8")
    return str(path)


def _good_plan(folder: Path) -> str:
    path = folder / "good_plan.csv"
    path.write_text(_csv(PLAN_ROWS, PLAN_HEAD), encoding="utf-8")
    return str(path)


def _policy_file(folder: Path, text: str = POLICY) -> str:
    path = folder / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _propose(folder: Path, schools: str, *extra: str) -> list[str]:
    policy = _policy_file(folder)
    out = str(folder / "out")
    return ["propose", schools, "--policy", policy, "--time-limit", "5", "--out", out, *extra]


# --------------------------------------------------------------------------- the fuzzers


Run = tuple[list[str], bytes]


def fuzzer(examples: int, **strategies: st.SearchStrategy[Any]) -> Callable[..., Any]:
    """A test that draws ``examples`` examples of ``strategies``, runs the command that
    the decorated function makes of each (its arguments, and the input's bytes for the
    message) and fails at the end with every kind of breach found (:class:`Findings`)."""

    def decorate(make: Callable[..., Run]) -> Callable[[], None]:
        def test() -> None:
            findings = Findings()

            @fuzz(examples)
            @given(**strategies)
            def each(**drawn: Any) -> None:
                with _folder() as folder:
                    args, data = make(folder, **drawn)
                    stdin = data if "-" in args else None  # '-': the input on standard input
                    findings.record(invoke(args, input=stdin), args, data)

            each()
            findings.assert_none()

        # (not functools.wraps: pytest would read the drawn values as fixtures)
        test.__name__, test.__doc__ = make.__name__, make.__doc__
        return test

    return decorate


@fuzzer(150, data=school_files(), stdin=st.booleans())
def test_check_any_school_file(folder: Path, data: bytes, stdin: bool) -> Run:
    """``check`` of a damaged school list, from a file or from standard input."""
    path = folder / "schools.csv"
    path.write_bytes(data)
    return ["check", "-" if stdin else str(path)], data


@fuzzer(50, data=school_files())
def test_propose_any_school_file(folder: Path, data: bytes) -> Run:
    """``propose`` of a damaged school list."""
    path = folder / "schools.csv"
    path.write_bytes(data)
    return _propose(folder, str(path)), data


@fuzzer(60, policy=policy_files())
def test_propose_any_policy_file(folder: Path, policy: tuple[str, str]) -> Run:
    """``propose`` under a policy of odd fields and shapes (with ``--previous`` when it
    sets a move cost)."""
    text, other_text = policy
    path, other = folder / "policy.toml", folder / "other.toml"
    path.write_text(text.replace("SELF", str(path)).replace("OTHER", str(other)), "utf-8")
    other.write_text(other_text.replace("SELF", str(path)), encoding="utf-8")
    args = _propose(folder, _good_list(folder))
    args[3] = str(path)
    previous = ["--previous", _good_plan(folder)] if "move_cost" in text else []
    return args + previous, text.encode()


OPTIONS: dict[str, st.SearchStrategy[str]] = {
    "--seed": st.sampled_from(["-1", "0", "7", "4294967295", "4294967296", "9" * 25, "1.5", "x"]),
    "--time-limit": st.sampled_from(["0", "-1", "nan", "inf", "1e-9", "0.01", "1e308", "x"]),
    "--method": st.sampled_from(["fast", "exact", "kmeans", "districts", "pairs", "nope", ""]),
    "--by": st.sampled_from(["nope", "城乡", "area", "level", "name", "geometry", "学段", ""]),
    "--jobs": st.sampled_from(["1", "2", "0", "-3", "64", "100000"]),
    "--backend": st.sampled_from(["serial", "processes", "threads"]),  # (dask: slow to start)
    "--on-infeasible": st.sampled_from(["raise", "unassign"]),
    "--lang": st.sampled_from(["zh", "en", "fr"]),
    "--crs": st.sampled_from(["wgs84", "gcj02", "bd09", "utm"]),
    "--column": st.sampled_from(["quality=nope", "quality=学校名称", "lon=得分", "nope=x", "x"]),
    "--id-column": st.sampled_from(["nope", "学校名称", "城乡", ""]),
    "--study-area": st.sampled_from(["0,0,1,1", "nan,nan,nan,nan", "122,40,123,41", "a,b,c,d"]),
    "--encoding": st.sampled_from(["gbk", "utf-16", "ascii", "nope", "utf-8-sig"]),
    "--area-values": st.sampled_from(["城区=urban,乡村=rural", "x=y", "城区=urban,城区=rural"]),
    "--far-points": st.sampled_from(["flag", "reject"]),
}
FLAGS = st.lists(st.sampled_from(["--strict", "--lower-is-better", "--no-progress"]), max_size=2)


@st.composite
def option_lists(draw: st.DrawFn) -> list[str]:
    """One to four of :data:`OPTIONS` with a value each, and up to two flags."""
    chosen = draw(st.lists(st.sampled_from(sorted(OPTIONS)), min_size=1, max_size=4, unique=True))
    return [w for name in chosen for w in (name, draw(OPTIONS[name]))] + draw(FLAGS)


@fuzzer(100, options=option_lists())
def test_propose_any_options(folder: Path, options: list[str]) -> Run:
    """``propose`` of a good school list with odd options."""
    return _propose(folder, _good_list(folder), *options), b""


PLAN_CELLS = st.sampled_from(ODD_NUMBERS + ODD_TEXT + ["LEAD", "boss", "unassigned", "G1"])


@st.composite
def plan_files(draw: st.DrawFn) -> bytes:
    """A plan CSV's bytes: the valid one damaged as school lists are, plus dropped
    columns, repeated ids and roles and groups out of shape."""
    rows = [list(r) for r in PLAN_ROWS]
    head = list(PLAN_HEAD)
    for _ in range(draw(st.integers(0, 4))):
        rows[draw(st.integers(0, 8))][draw(st.integers(0, 8))] = draw(PLAN_CELLS)
    if draw(st.integers(0, 4)) == 0:
        drop = draw(st.integers(0, 8))
        head.pop(drop)
        rows = [r[:drop] + r[drop + 1 :] for r in rows]
    text = _csv(rows, head, draw(st.sampled_from([",", ",", ";"])), draw(NEWLINES))
    return _damage(draw, text.encode(draw(ENCODINGS), errors="replace"))


PLAN_COMMANDS: dict[str, Callable[[Path, str], list[str]]] = {
    "evaluate": lambda f, p: ["evaluate", p, "--out", str(f / "out")],
    "map": lambda f, p: ["map", p, "--out", str(f / "map.html")],
    "compare A": lambda f, p: ["compare", p, _good_plan(f), "--out", str(f / "out")],
    "compare B": lambda f, p: ["compare", _good_plan(f), p, "--out", str(f / "out")],
    "previous": lambda f, p: _propose(f, _good_list(f), "--previous", p),
}


@fuzzer(150, data=plan_files(), command=st.sampled_from(sorted(PLAN_COMMANDS)))
def test_any_plan_file(folder: Path, data: bytes, command: str) -> Run:
    """A damaged plan CSV given to ``evaluate``, ``map``, ``compare`` or ``--previous``."""
    path = folder / "plan.csv"
    path.write_bytes(data)
    return PLAN_COMMANDS[command](folder, str(path)), data


def _geojson(*features: str) -> bytes:
    return ('{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}").encode()


def _feature(kind: str, coordinates: str) -> str:
    return f'{{"type": "Feature", "properties": {{}}, "geometry": {{"type": "{kind}", "coordinates": {coordinates}}}}}'


VECTORS = st.sampled_from(
    [
        b"",
        b"garbage",
        b"{",
        _geojson(),
        _geojson(_feature("Point", "[122.7, 40.8]")),
        _geojson(_feature("Polygon", "[[[0, 0], [1, 0], [1, 1], [0, 0]]]")),
        _geojson(_feature("Polygon", "[[[122, 40], [123, 40], [123, 41], [122, 40]]]")),
        _geojson(_feature("Polygon", "[[[122, 40], [123, 40], [122, 40]]]")),  # degenerate
        _geojson(
            _feature("Polygon", "[[[1e308, 1e308], [-1e308, 0], [0, 1e308], [1e308, 1e308]]]")
        ),
        _geojson(_feature("LineString", "[[122, 40], [123, 41]]")),
    ]
)
VECTOR_COMMANDS: dict[str, Callable[[Path, str], list[str]]] = {
    "map --boundary": lambda f, v: [
        "map",
        _good_plan(f),
        "--out",
        str(f / "m.html"),
        "--boundary",
        v,
    ],
    "check --urban-boundary": lambda f, v: ["check", _good_list(f), "--urban-boundary", v],
    "check --study-area": lambda f, v: ["check", _good_list(f), "--study-area", v],
}


@fuzzer(30, data=VECTORS, command=st.sampled_from(sorted(VECTOR_COMMANDS)))
def test_any_vector_file_option(folder: Path, data: bytes, command: str) -> Run:
    """A damaged or odd vector file given as a boundary or a study area."""
    path = folder / "shapes.geojson"
    path.write_bytes(data)
    return VECTOR_COMMANDS[command](folder, str(path)), data


MAP_OPTIONS = {
    "--basemap": st.sampled_from(["osm", "light", "amap", "none", "google"]),
    "--assets": st.sampled_from(
        ["cdn", "", "/nonexistent", "ftp://x", "https://mirror.example/libs"]
    ),
    "--lang": st.sampled_from(["zh", "en", ""]),
}


@fuzzer(20, options=st.fixed_dictionaries(MAP_OPTIONS))
def test_map_any_options(folder: Path, options: dict[str, str]) -> Run:
    """``map`` of a good plan with odd options."""
    args = ["map", _good_plan(folder), "--out", str(folder / "m.html")]
    return args + [w for item in options.items() for w in item], b""


# --------------------------------------------------------------------------- fixed cases


def _changed(rows: list[list[str]], *cells: tuple[int, int, str]) -> list[list[str]]:
    """A copy of ``rows`` with each (row, column, value) put in."""
    out = [list(r) for r in rows]
    for row, column, value in cells:
        out[row][column] = value
    return out


# Each: the bytes of the school list (None: the good one), the policy TOML (None: the
# good one), a plan file's bytes for the plan commands (None: none), and extra options.
LISTED: dict[str, dict[str, Any]] = {
    "policy base is itself": {"policy": "[policy]\nbase = 'SELF'\n"},
    "policy bases form a cycle": {"policy": "[policy]\nbase = 'OTHER'\n"},
    "balance_weight = inf": {"policy": POLICY + "balance_weight = inf\n"},
    "move_cost = inf": {"policy": POLICY + "move_cost = inf\n", "previous": True},
    "quality near 1e307": {"schools": _csv(_changed(ROWS, (2, 4, "1e307")), HEAD).encode()},
    "quality near -1e307 and 1e307": {
        "schools": _csv(_changed(ROWS, (2, 4, "1e307"), (3, 4, "-1e307")), HEAD).encode()
    },
    "[[policy]] array table": {"policy": "[[policy]]\nbase = 'liangxi'\n"},
    "policy with a UTF-8 BOM loads": {"policy": "\ufeff" + POLICY, "loads": True},
    "seed -1": {"options": ["--seed", "-1"], "status": 2},
    "1e20 students": {"schools": _csv(_changed(ROWS, (2, 7, "1e20")), HEAD).encode()},
    "CR-only line endings": {"schools": _csv(ROWS, HEAD, newline="\r").encode()},
    "10,000 columns": {
        "schools": _csv(
            [r + ["1"] * 10_000 for r in ROWS], HEAD + [f"x{i}" for i in range(10_000)]
        ).encode()
    },
    "plan with longitude 'abc'": {
        "plan": _csv(_changed(PLAN_ROWS, (1, 2, "abc")), PLAN_HEAD).encode()
    },
    "GBK plan CSV": {"plan": _csv(PLAN_ROWS, PLAN_HEAD).encode("gbk")},
    "CR-only plan CSV": {"plan": _csv(PLAN_ROWS, PLAN_HEAD, newline="\r").encode()},
    "empty plan CSV": {"plan": b""},
    "plan.gpkg that is no GeoPackage": {"plan": b"garbage", "suffix": ".gpkg"},
    "GeoPackage plan without a meta layer": {"plan": "no meta", "suffix": ".gpkg"},
    "--by a column that does not exist": {"options": ["--by", "nope"]},
}
OTHER_POLICY = "[policy]\nbase = 'SELF'\n"


@pytest.mark.parametrize("case", sorted(LISTED))
def test_listed_input(case: str) -> None:
    """Each input the issue lists as ending in "Internal error", through every command it
    reaches."""
    spec = LISTED[case]
    with _folder() as folder:
        for args, data in _listed_runs(folder, spec):
            result = invoke(args)
            check_contract(result, args, data)
            if "status" in spec:
                assert result.exit_code == spec["status"], result.output
            if spec.get("loads"):
                assert result.exit_code == 0, f"the policy did not load: {result.stderr}"


def _listed_runs(folder: Path, spec: dict[str, Any]) -> Iterator[tuple[list[str], bytes]]:
    policy, other = folder / "policy.toml", folder / "other.toml"
    text = spec.get("policy", POLICY)
    policy.write_text(text.replace("SELF", str(policy)).replace("OTHER", str(other)), "utf-8")
    other.write_text(OTHER_POLICY.replace("SELF", str(policy)), encoding="utf-8")
    schools = folder / "schools.csv"
    schools.write_bytes(spec.get("schools") or _csv(ROWS, HEAD).encode())
    options = list(spec.get("options", []))
    if spec.get("previous"):
        options += ["--previous", _good_plan(folder)]
    propose = ["propose", str(schools), "--policy", str(policy), "--time-limit", "5"]
    if "plan" not in spec:
        if "schools" in spec:
            yield ["check", str(schools)], spec["schools"]
        yield [*propose, "--out", str(folder / "out"), *options], text.encode()
        return
    plan = folder / f"plan{spec.get('suffix', '.csv')}"
    if spec["plan"] == "no meta":
        _schools_layer_only(plan)
    else:
        plan.write_bytes(spec["plan"])
    for command in PLAN_COMMANDS.values():
        yield command(folder, str(plan)), plan.read_bytes()[:300]


def _schools_layer_only(path: Path) -> None:
    """A planner's GeoPackage: the schools layer of a plan, without geogroup's meta layer."""
    import geopandas as gpd

    frame = pd.DataFrame(PLAN_ROWS, columns=PLAN_HEAD)
    points = gpd.points_from_xy(frame.pop("lon").astype(float), frame.pop("lat").astype(float))
    gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326").to_file(path, layer="schools")


# --------------------------------------------------------------------------- heavy cases


def _limits(fsize: int | None) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 * MEMORY, 4 * MEMORY))
        if fsize is not None:
            # A write past the limit then fails with EFBIG, as on a full disk, instead of
            # killing the process with SIGXFSZ.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return apply


def run_apart(args: list[str], *, fsize: int | None = None) -> Result:
    """Run the installed command in its own process, under an address-space limit (and a
    file-size limit), and read its outcome as a click Result."""
    code = "import sys; from geogroup.cli import main; sys.argv[0] = 'geogroup'; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        timeout=SECONDS + 10,  # (the interpreter, pandas and GDAL load first)
        preexec_fn=_limits(fsize),
        env={**os.environ, "PYTHONWARNINGS": "default"},
        check=False,
    )
    runner = CliRunner()
    return Result(
        runner=runner,
        stdout_bytes=done.stdout,
        stderr_bytes=done.stderr,
        output_bytes=done.stdout + done.stderr,
        return_value=None,
        exit_code=done.returncode,
        exception=None,
    )


HEAVY: dict[str, tuple[str, bytes, int | None]] = {
    "a name of 10 million characters": (
        "check",
        _csv(_changed(ROWS, (0, 1, "长" * 10_000_000)), HEAD).encode(),
        None,
    ),
    "quality 1e307 and students 1e20": (
        "propose",
        _csv(_changed(ROWS, (1, 7, "1e20"), (1, 4, "1e307")), HEAD).encode(),
        None,
    ),
    "a full disk before anything is written": ("propose", _csv(ROWS, HEAD).encode(), 0),
    "a full disk after 4 kB": ("propose", _csv(ROWS, HEAD).encode(), 4096),
    "a full disk after 100 kB": ("propose", _csv(ROWS, HEAD).encode(), 100_000),
}


@pytest.mark.parametrize("case", sorted(HEAVY))
def test_heavy_input(case: str) -> None:
    command, data, fsize = HEAVY[case]
    with _folder() as folder:
        schools = folder / "schools.csv"
        schools.write_bytes(data)
        args = (
            ["check", str(schools)]
            if command == "check"
            else _propose(folder, str(schools), "--no-progress")
        )
        result = run_apart(args, fsize=fsize)
        check_contract(result, args, data)
        if fsize is not None:
            assert result.exit_code == 1, result.stderr
