"""The catalogue of bad inputs (``tests/bad_inputs/catalogue.toml``), one test per case.

Every case runs twice: through the Python API (the error class and the words of its message,
or the report's lines) and through the ``geogroup`` command (exit status 1 and ``Error: …``
without a traceback for an error; status 0 and the same lines in the printed report
otherwise). A few cases also run the installed command in its own process, and a genuine
bug is checked to be told apart from a user error.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import tomllib
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from geogroup.cli import main
from geogroup.errors import InfeasibleError, InputError, PolicyError
from geogroup.group import propose
from geogroup.read import read_schools

HERE = Path(__file__).parent / "bad_inputs"
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "catalogue.toml").read_text(encoding="utf-8"))[
    "case"
]
ERRORS = {"InputError": InputError, "PolicyError": PolicyError, "InfeasibleError": InfeasibleError}
OUTCOMES = {*ERRORS, "report", "flagged", "warning", "ok"}
# The bad inputs the issue lists: each must have a case at least.
ISSUE_ITEMS = [
    "empty file",
    "header only",
    "wrong delimiter",
    "wrong encoding",
    "mixed encodings",
    "coordinates as text with units or degree signs",
    "swapped latitude/longitude",
    "coordinates outside the study area",
    "all schools at one point",
    "duplicate ids",
    "duplicate names",
    "NaN quality",
    "inf quality",
    "negative quality",
    "non-numeric quality",
    "constant quality",
    "a single school",
    "more leads than schools",
    "no lead candidate",
    "no rural school when pairing is required",
    "a distance cap nobody meets",
    "a policy file with unknown keys",
    "a 100 MB file",
    "an Excel file with several sheets",
    "an Excel file with merged header cells",
    # Hostile input (the reader's second round): each class of problem has a case.
    "unknown urban/rural labels",
    "urban/rural derived by density",
    "trailing delimiter on data rows",
    "extra columns kept as text",
    "names kept as written",
    "two columns for one field",
    "GBK Shapefile without .cpg",
    "a zero byte in the file",
    "old Mac line endings",
    "10,000 columns",
    "a stray cell far down a sheet",
    "an unclosed quote",
    "standard input or a named pipe",
    "an explicit encoding",
    "huge counts",
    "huge quality",
]
# What a message must name: a row, a column or header, or a rule (a quoted policy field).
NAMES_A_PLACE = re.compile(
    r"rows? \d+|column|header|sheet|'[a-z_]+'|[A-Z]+\d+:[A-Z]+\d+|\.csv|\.toml"
)
SCHOOLS = [
    ("城关第一小学", 116.40, 39.90, 88),
    ("河口镇中心小学", 116.52, 39.97, 75),
    ("实验中学", 116.45, 39.93, 62),
]
MB = 1 << 20


def api_params() -> list[Any]:
    return [pytest.param(case, id=case["id"], marks=_xfail(case.get("xfail"))) for case in CASES]


def cli_params() -> list[Any]:
    return [
        pytest.param(case, id=case["id"], marks=_xfail(case.get("xfail") or case.get("cli_xfail")))
        for case in CASES
        if case.get("cli", True)
    ]


def _xfail(reason: str | None) -> list[Any]:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


# --------------------------------------------------------------------------- generated inputs

GENERATORS: dict[str, Callable[[Path], Path]] = {}


def generator(func: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Register a function that writes one input into a folder and returns its path."""
    GENERATORS[func.__name__] = func
    return func


@generator
def latin1_undecodable(folder: Path) -> Path:
    # 'é' followed by a space is no GBK pair either: no decoding fits.
    text = "school_id,name,lon,lat,score\nS1,City School,2.35,48.85,1\nS2,José Martí School,2.36,48.86,2\n"
    path = folder / "ecoles_latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    return path


@generator
def latin1_decodable_as_gbk(folder: Path) -> Path:
    # 'é' followed by a letter is a valid GBK pair: the file decodes, wrongly.
    text = (
        "school_id,name,lon,lat,score\nS1,Lycée Pasteur,2.35,48.85,1\nS2,City School,2.36,48.86,2\n"
    )
    path = folder / "lycees_latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    return path


@generator
def cp1252_reads_as_chinese(folder: Path) -> Path:
    # 'çã' is two high bytes that GBK reads as one common Chinese character: only the
    # caller can say the file is Windows-1252.
    text = (
        "school_id,name,lon,lat,score\nS1,Escola Ação Social,-46.63,-23.55,1\n"
        "S2,City School,-46.64,-23.56,2\n"
    )
    path = folder / "escolas_cp1252.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


@generator
def gbk_with_a_broken_row(folder: Path) -> Path:
    # 0x81 before a space is neither UTF-8 nor GBK, and row 2 is common Chinese: no guess.
    data = (
        b"school_id,name,lon,lat,score\n"
        + "S1,城关一小,116.40,39.90,80\n".encode("gbk")
        + b"S2,\x81 damaged,116.41,39.91,70\n"
    )
    path = folder / "damaged_gbk.csv"
    path.write_bytes(data)
    return path


@generator
def zero_byte_after_64_kib(folder: Path) -> Path:
    rows = "".join(
        f"S{i},学校{i},116.{10 + i % 80},39.{10 + i % 85},{50 + i % 50}\n" for i in range(5000)
    )
    data = ("school_id,name,lon,lat,score\n" + rows).encode() + b"S5000,x\x00y,116.4,39.9,1\n"
    assert len(data) > 1 << 16 and data.index(b"\x00") > 1 << 16
    path = folder / "joined.csv"
    path.write_bytes(data)
    return path


THREE_ROWS = (
    "S1,城关一小,116.40,39.90,80",
    "S2,城关二小,116.41,39.91,70",
    "S3,河口小学,116.45,39.95,62",
)


@generator
def cr_line_endings(folder: Path) -> Path:
    path = folder / "old_mac.csv"
    path.write_bytes("\r".join(["school_id,name,lon,lat,score", *THREE_ROWS, ""]).encode())
    return path


@generator
def csv_through_a_named_pipe(folder: Path) -> Path:
    """A FIFO fed by a thread: the reader may open it once and read it once."""
    path = folder / "schools.csv"
    os.mkfifo(path)
    data = "\n".join(["school_id,name,lon,lat,score", *THREE_ROWS, ""]).encode()

    def feed() -> None:
        # Opening blocks until the reader opens the other end; a reader that stops early
        # closes it, and the write then breaks the pipe.
        with contextlib.suppress(BrokenPipeError), path.open("wb") as pipe:
            pipe.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return path


@generator
def ten_thousand_columns(folder: Path) -> Path:
    # The school columns come last, after a header longer than the first 64 KiB read.
    extra = [f"extra_column_{j:05d}" for j in range(10_000)]
    lines = [",".join([*extra, "school_id", "name", "lon", "lat", "score"])]
    for i, row in enumerate(THREE_ROWS):
        lines.append(",".join([*(str((i * j) % 97) for j in range(10_000)), row]))
    path = folder / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(lines[0]) > 1 << 16
    return path


@generator
def dense_city_grid(folder: Path) -> Path:
    # 400 schools every 500 m: a city centre.
    step = 500.0 / 111_195.0
    rows = [
        f"第{20 * r + c + 1}小学,{116.3 + c * step / 0.766:.6f},{39.8 + r * step:.6f},{60 + (r + c) % 30}"
        for r in range(20)
        for c in range(20)
    ]
    path = folder / "city.csv"
    path.write_text("\n".join(["name,lon,lat,score", *rows]) + "\n", encoding="utf-8")
    return path


def _forty_schools(book: Any) -> Any:
    sheet = book.create_sheet("学校名单")
    sheet.append(["学校名称", "经度", "纬度", "得分"])
    for i in range(40):
        sheet.append([f"第{i + 1}小学", 116.3 + 0.01 * (i % 8), 39.8 + 0.01 * (i // 8), 60 + i])
    return sheet


@generator
def excel_stray_cell_xfd1048576(folder: Path) -> Path:
    def stray(book: Any) -> None:
        _forty_schools(book).cell(row=1_048_576, column=16_384, value="x")

    return _workbook(folder / "stray_corner.xlsx", stray)


@generator
def excel_stray_cell_a1048576(folder: Path) -> Path:
    def stray(book: Any) -> None:
        _forty_schools(book).cell(row=1_048_576, column=1, value="备注")

    return _workbook(folder / "stray_bottom.xlsx", stray)


@generator
def shapefile_gbk_without_cpg(folder: Path) -> Path:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {
            "学校名称": [name for name, *_ in SCHOOLS],
            "得分": [score for *_, score in SCHOOLS],
            "城乡": ["城区", "乡村", "城区"],
        },
        geometry=gpd.points_from_xy([s[1] for s in SCHOOLS], [s[2] for s in SCHOOLS]),
        crs="EPSG:4326",
    )
    path = folder / "schools.shp"
    frame.to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink()  # as many Chinese GIS exports come: no encoding said
    return path


@generator
def utf16_without_bom(folder: Path) -> Path:
    path = folder / "unicode_text.csv"
    path.write_bytes("school_id,name,lon,lat,score\nS1,城关一小,116.4,39.9,1\n".encode("utf-16-le"))
    return path


@generator
def mixed_utf8_gbk(folder: Path) -> Path:
    rows = [
        ("S1", "城关第一小学", "utf-8"),
        ("S2", "河口镇中心小学", "gbk"),
        ("S3", "实验中学", "utf-8"),
        ("S4", "北关小学", "gbk"),
    ]
    data = b"school_id,name,lon,lat,score\n" + b"".join(
        f"{sid},{name},116.{40 + i},39.9{i},{70 + i}\n".encode(codec)
        for i, (sid, name, codec) in enumerate(rows)
    )
    path = folder / "pasted_rows.csv"
    path.write_bytes(data)
    return path


@generator
def workbook_named_csv(folder: Path) -> Path:
    path = folder / "schools.csv"
    _workbook(folder / "real.xlsx", _school_sheet).rename(path)
    return path


@generator
def binary_100_mb(folder: Path) -> Path:
    path = folder / "dump.csv"
    with path.open("wb") as handle:
        rng = np.random.default_rng(7)
        for _ in range(100):
            handle.write(rng.bytes(MB))
    return path


@generator
def text_100_mb_without_header(folder: Path) -> Path:
    path = folder / "log_export.csv"
    block = "lorem,ipsum,dolor,sit,amet,consectetur\n" * (MB // 40)
    with path.open("w", encoding="utf-8") as handle:
        while handle.tell() < 100 * MB:
            handle.write(block)
    return path


def _workbook(path: Path, *builders: Callable[[Any], None]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for build in builders:
        build(book)
    book.save(path)
    return path


def _school_sheet(book: Any, title: str = "学校名单", town: bool = False) -> Any:
    sheet = book.create_sheet(title)
    sheet.append(["学校名称", "经度", "纬度", "得分", *(["乡镇"] if town else [])])
    for row in SCHOOLS:
        sheet.append([*row, *(["河口镇"] if town else [])])
    return sheet


def _notes_sheet(book: Any) -> None:
    sheet = book.create_sheet("说明")
    sheet.append(["本表由县教育局填写"])
    sheet.append(["数据截至 2024 年 9 月"])


@generator
def excel_data_on_second_sheet(folder: Path) -> Path:
    return _workbook(folder / "schools.xlsx", _notes_sheet, _school_sheet)


@generator
def excel_no_sheet_has_the_columns(folder: Path) -> Path:
    def summary(book: Any) -> None:
        sheet = book.create_sheet("汇总")
        sheet.append(["乡镇", "学校数"])
        sheet.append(["城关镇", 12])

    return _workbook(folder / "summary.xlsx", _notes_sheet, summary)


@generator
def excel_title_row(folder: Path) -> Path:
    def titled(book: Any) -> None:
        sheet = _school_sheet(book)
        sheet.insert_rows(1)
        sheet["A1"] = "某某县中小学名单"
        sheet.merge_cells("A1:D1")

    return _workbook(folder / "titled.xlsx", titled)


@generator
def excel_two_row_header(folder: Path) -> Path:
    def two_rows(book: Any) -> None:
        sheet = book.create_sheet("学校名单")
        sheet.append(["学校名称", "坐标", None, "得分"])
        sheet.append([None, "经度", "纬度", None])
        for cells in ("A1:A2", "B1:C1", "D1:D2"):
            sheet.merge_cells(cells)
        for row in SCHOOLS:
            sheet.append(list(row))

    return _workbook(folder / "two_rows.xlsx", two_rows)


@generator
def excel_merged_header_hides_a_column(folder: Path) -> Path:
    def merged(book: Any) -> None:
        sheet = book.create_sheet("学校名单")
        sheet.append(["学校名称", "经纬度", None, "得分"])
        sheet.merge_cells("B1:C1")
        for row in SCHOOLS:
            sheet.append(list(row))

    return _workbook(folder / "merged_header.xlsx", merged)


@generator
def excel_merged_data_cells(folder: Path) -> Path:
    def towns(book: Any) -> None:
        sheet = _school_sheet(book, town=True)
        sheet["E2"] = "城关镇"
        sheet.merge_cells("E2:E3")

    return _workbook(folder / "towns.xlsx", towns)


# --------------------------------------------------------------------------- running a case


def materialise(case: dict[str, Any], folder: Path) -> Path:
    name = case["input"]
    if name.startswith("gen:"):
        return GENERATORS[name.removeprefix("gen:")](folder)
    return HERE / name


def policy_argument(case: dict[str, Any]) -> str:
    policy = case["policy"]
    return str(HERE / policy) if policy.endswith(".toml") else policy


def run_api(case: dict[str, Any], path: Path) -> Any:
    result = read_schools(path, **case.get("read", {}))
    if case.get("stage", "read") == "propose":
        return propose(result.schools, policy_argument(case), method="fast")
    return result


def cli_arguments(case: dict[str, Any], path: Path, out: Path) -> list[str]:
    options = {
        "quality": "--column",
        "id_column": "--id-column",
        "sheet": "--sheet",
        "study_area": "--study-area",
    }
    read: list[str] = []
    for key, value in case.get("read", {}).items():
        if key == "quality":
            value = f"quality={value}"
        elif key == "study_area":
            value = ",".join(f"{v:g}" for v in value)
        read += [options[key], str(value)]
    if case.get("stage", "read") == "propose":
        return [
            "propose",
            str(path),
            "--policy",
            policy_argument(case),
            "--method",
            "fast",
            "--out",
            str(out),
            *read,
        ]
    return ["check", str(path), *read]


SECTIONS = (
    "Rejected rows by reason:",
    "Kept, but check these rows:",
    "Derived:",
    "Mapped values:",
    "Headers used:",
    "Warnings:",
)


def section(text: str, title: str) -> str:
    """The part of a report's text under ``title``, up to the next section."""
    if title not in text:
        return ""
    body = text.split(title, 1)[1]
    ends = [body.index(other) for other in SECTIONS if other != title and other in body]
    return body[: min(ends, default=len(body))]


def assert_fragments(text: str, case: dict[str, Any]) -> None:
    for fragment in case.get("fragments", []):
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    for fragment in case.get("absent", []):
        assert fragment not in text, f"{fragment!r} in:\n{text}"


# --------------------------------------------------------------------------- the table


def test_catalogue_is_well_formed():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in CASES:
        assert case["expect"] in OUTCOMES, case["id"]
        assert case.get("stage", "read") in ("read", "propose"), case["id"]
        name = case["input"]
        if name.startswith("gen:"):
            assert name.removeprefix("gen:") in GENERATORS, case["id"]
        else:
            assert (HERE / name).is_file(), case["id"]
        if case.get("stage") == "propose":
            policy = case["policy"]
            assert not policy.endswith(".toml") or (HERE / policy).is_file(), case["id"]
        if case["expect"] != "ok":
            assert any(NAMES_A_PLACE.search(f) for f in case["fragments"]), (
                f"{case['id']}: no fragment names a row, a column or a rule"
            )
    generated = {case["input"].removeprefix("gen:") for case in CASES}
    assert set(GENERATORS) <= generated, "a generator that no case uses"


@pytest.mark.parametrize("item", ISSUE_ITEMS)
def test_every_bad_input_of_the_issue_has_a_case(item):
    assert any(item in case["covers"] for case in CASES)


# --------------------------------------------------------------------------- the API


@pytest.mark.parametrize("case", api_params())
def test_api(case, tmp_path):
    path = materialise(case, tmp_path)
    limit = case.get("max_seconds")
    if limit:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        if case["expect"] in ERRORS:
            with pytest.raises(ERRORS[case["expect"]]) as err:
                run_api(case, path)
            assert_fragments(str(err.value), case)
        else:
            check_report(case, *run_api(case, path))
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if limit else 0
        tracemalloc.stop()
    if limit:
        size = path.stat().st_size
        assert seconds < limit, f"{seconds:.1f} s for a {size / MB:.0f} MB file"
        assert peak < size / 10, f"{peak / MB:.0f} MB used: the whole file was read"


def check_report(case: dict[str, Any], schools: Any, report: Any) -> None:
    text = report.to_text()
    assert len(schools) + report.n_rejected == report.n_rows  # every row kept or rejected
    if "n_kept" in case:
        assert len(schools) == case["n_kept"]
    if "names" in case:
        assert schools["name"].tolist() == case["names"]
    expect = case["expect"]
    if expect == "report":
        assert report.n_rejected > 0
        assert_fragments(section(text, "Rejected rows by reason:"), case)
    elif expect == "flagged":
        assert set(report.flagged["school_id"]) <= set(schools.index)  # flagged, not dropped
        assert_fragments(section(text, "Kept, but check these rows:"), case)
    elif expect == "warning":
        assert_fragments("\n".join(report.warnings), case)
    else:
        assert report.n_rejected == 0 and report.flagged.empty and not report.warnings
        assert_fragments(text, case)


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("case", cli_params())
def test_cli(case, tmp_path):
    path = materialise(case, tmp_path)
    args = cli_arguments(case, path, tmp_path / "out")
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    if case["expect"] in ERRORS:
        assert result.exit_code == 1, result.output
        # the reader's warnings may come first; the error is the last thing said
        lines = result.stderr.splitlines()
        errors = [i for i, line in enumerate(lines) if line.startswith("Error: ")]
        assert len(errors) == 1 and all(
            not line.startswith("Warning: ") for line in lines[errors[0] :]
        ), result.stderr
        assert_fragments("\n".join(lines[errors[0] :]), case)
        return
    assert result.exit_code == 0, result.output
    assert_fragments(result.stdout, case)
    if case["expect"] == "report":
        strict = CliRunner().invoke(main, [*args, "--strict"])
        assert strict.exit_code == 1
        assert strict.stderr.startswith("Error: ")
        assert "strict" in strict.stderr
        assert_fragments(strict.stderr, case)


def run_geogroup(*args: str, code: str = "") -> subprocess.CompletedProcess:
    """The command in a process of its own, as a planner runs it."""
    program = f"import sys\n{code}\nfrom geogroup.cli import main\nsys.exit(main())"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", str(HERE / "empty.csv")], "the file is empty"),
        (
            [
                "propose",
                str(HERE / "county.csv"),
                "--policy",
                str(HERE / "policy_unknown_keys.toml"),
                "--out",
                "{out}",
            ],
            "'max_distance', 'size'",
        ),
    ],
    ids=["empty_file", "policy_unknown_keys"],
)
def test_user_error_in_a_real_process(tmp_path, args, fragment):
    done = run_geogroup(*[a.format(out=tmp_path / "out") for a in args])
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ")
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


BUG = (
    "import geogroup.read._schools\n"
    "def broken(*args, **kwargs):\n"
    "    raise ZeroDivisionError('division by zero in a test')\n"
    "geogroup.read._schools._check_rows = broken"
)


def test_a_bug_is_not_a_user_error(tmp_path):
    done = run_geogroup("check", str(HERE / "county.csv"), code=BUG)
    assert done.returncode not in (0, 1, 2)  # neither success, a user error nor bad usage
    assert "Traceback" not in done.stderr
    assert "internal error" in done.stderr.lower()
    assert "ZeroDivisionError" in done.stderr
    assert "report" in done.stderr
    assert "--debug" in done.stderr
    assert not done.stderr.startswith("Error: ")


def test_debug_shows_the_traceback_of_a_bug():
    done = run_geogroup("--debug", "check", str(HERE / "county.csv"), code=BUG)
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "ZeroDivisionError: division by zero in a test" in done.stderr


def test_debug_shows_the_traceback_of_a_user_error():
    done = run_geogroup("--debug", "check", str(HERE / "empty.csv"))
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "InputError" in done.stderr
