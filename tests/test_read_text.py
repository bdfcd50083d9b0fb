"""Hostile text files through ``read_schools``: rows longer than the header, cells kept as
written, zero bytes, line endings, wide files, unclosed quotes, encodings, standard input
and named pipes. Each test pins the exact outcome (an error's words, or the values read)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from geogroup.errors import InputError
from geogroup.read import read_schools

HEADER = "school_id,name,lon,lat,score\n"
ROWS = ["A,城关一小,116.40,39.90,80", "B,城关二小,116.41,39.91,70", "C,河口小学,116.45,39.95,62"]


def write(tmp_path: Path, data: str | bytes, name: str = "schools.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- 3. extra fields


def test_a_delimiter_at_the_end_of_every_data_row_is_dropped_and_said(tmp_path):
    path = write(tmp_path, HEADER + "".join(row + ",\n" for row in ROWS))
    schools, report = read_schools(path)
    # Was: every column shifted (id = name, lat = score …) and every row rejected.
    assert schools.index.tolist() == ["A", "B", "C"]
    assert schools["name"].tolist() == ["城关一小", "城关二小", "河口小学"]
    assert schools["quality"].tolist() == [80.0, 70.0, 62.0]
    assert schools.geometry.y.tolist() == [39.90, 39.91, 39.95]
    assert report.warnings == [
        "every data row ends with one delimiter more than the header (an empty field after "
        "'score'); that empty field was dropped, and no column moved."
    ]


def test_a_delimiter_at_the_end_of_some_rows_rejects_those_rows(tmp_path):
    path = write(tmp_path, HEADER + f"{ROWS[0]}\n{ROWS[1]},\n{ROWS[2]}, \n")
    schools, report = read_schools(path)
    assert schools.index.tolist() == ["A"]
    assert report.rejected["row"].tolist() == [3, 4]
    assert report.rejected["column"].tolist() == ["score", "score"]
    assert (
        report.rejected["reason"]
        .iloc[0]
        .startswith("one field more than the header (an empty one after 'score')")
    )


def test_a_cell_beyond_the_header_is_refused_naming_its_row(tmp_path):
    path = write(tmp_path, HEADER + f"{ROWS[0]},x\n{ROWS[1]},\n{ROWS[2]},y\n")
    with pytest.raises(InputError) as err:
        read_schools(path)
    text = str(err.value)
    assert "row 2 has 6 fields but the header has 5" in text
    assert "Row 2 holds 'x' after the last header (also row 4)." in text
    assert str(path) in text


def test_a_first_row_with_two_fields_too_many_is_refused(tmp_path):
    # pandas would take the first column for an index and shift every other one.
    path = write(tmp_path, HEADER + f"{ROWS[0]},x,y\n{ROWS[1]},\n")
    with pytest.raises(InputError, match="row 2 has 7 fields but the header has 5"):
        read_schools(path)


def test_a_later_row_with_two_fields_too_many_is_refused(tmp_path):
    path = write(tmp_path, HEADER + f"{ROWS[0]}\n{ROWS[1]},x,y\n")
    with pytest.raises(InputError, match="row 3 has 7 fields but the header has 5"):
        read_schools(path)


def test_a_header_ending_in_a_delimiter_adds_no_column(tmp_path):
    path = write(tmp_path, HEADER.replace("\n", ",\n") + "".join(row + ",\n" for row in ROWS))
    schools, report = read_schools(path)
    assert schools["quality"].tolist() == [80.0, 70.0, 62.0]
    assert not any(c.startswith("Unnamed") for c in schools.columns)
    assert report.warnings == []


# --------------------------------------------------------------------------- 4, 5. as written


def test_extra_columns_keep_the_text_written(tmp_path):
    text = (
        "school_id,name,lon,lat,score,postcode,phone,county,note\n"
        "A,一小,116.40,39.90,80,007,13800138000,01, spaced \n"
        "B,二小,116.41,39.91,70,0012,010-6512 3456,1,\n"
    )
    schools, _ = read_schools(write(tmp_path, text))
    # Was: 7, 13800138000 (an integer), 1 and 1: a `by` column of '01' and '1' merged.
    assert schools["postcode"].tolist() == ["007", "0012"]
    assert schools["phone"].tolist() == ["13800138000", "010-6512 3456"]
    assert schools["county"].tolist() == ["01", "1"]
    assert schools["county"].nunique() == 2
    assert schools["note"].iloc[0] == " spaced "
    assert pd.isna(schools["note"].iloc[1])  # an empty cell is missing
    assert schools["county"].dtype == "str"


def test_extra_columns_do_not_depend_on_rejected_rows(tmp_path):
    text = HEADER.replace("\n", ",zone\n") + "A,a,116.4,39.9,1,01\nB,b,116.5,39.9,x,abc\n"
    schools, _ = read_schools(write(tmp_path, text))
    assert schools["zone"].tolist() == ["01"]


def test_names_are_kept_as_written(tmp_path):
    text = (
        HEADER
        + "A,第①中学,116.40,39.90,80\nB, 城关小学（分校） ,116.41,39.91,70\nC,ＡＢＣ学校,116.45,39.95,62\n"
    )
    schools, _ = read_schools(write(tmp_path, text))
    # Was: NFKC turned ① into 1, （） into (), ＡＢＣ into ABC.
    assert schools["name"].tolist() == ["第①中学", "城关小学（分校）", "ＡＢＣ学校"]


def test_headers_are_still_matched_loosely(tmp_path):
    text = "ＳＣＨＯＯＬ_ＩＤ,Name ,ＬＯＮ,lat,Score\n" + "\n".join(ROWS) + "\n"
    schools, report = read_schools(write(tmp_path, text))
    assert report.column_map["lon"] == "ＬＯＮ"
    assert report.column_map["name"] == "Name"
    assert schools.index.tolist() == ["A", "B", "C"]


# --------------------------------------------------------------------------- 8. zero bytes


def test_a_zero_byte_after_the_first_64_kib_is_refused_with_its_row(tmp_path):
    rows = "".join(f"S{i},学校{i},116.{10 + i % 80},39.{10 + i % 85},60\n" for i in range(5000))
    data = (HEADER + rows).encode() + b"S5000,x\x00y,116.4,39.9,1\n"
    with pytest.raises(InputError) as err:
        read_schools(write(tmp_path, data))
    assert "row 5002 holds a zero byte (NUL" in str(err.value)
    assert "delete that character" in str(err.value)


def test_a_zero_byte_in_the_first_rows_of_text_is_damage_not_binary(tmp_path):
    data = (HEADER + ROWS[0] + "\n").encode() + b"B,b\x00,116.41,39.91,70\n"
    with pytest.raises(InputError, match=r"row 3 holds a zero byte \(NUL, at byte 63\)"):
        read_schools(write(tmp_path, data))


def test_a_zero_byte_is_refused_with_an_explicit_encoding_too(tmp_path):
    data = (HEADER + ROWS[0] + "\nB,b\x00,116.41,39.91,70\n").encode("utf-16-le")
    with pytest.raises(InputError, match="row 3 holds a zero byte"):
        read_schools(write(tmp_path, data), encoding="utf-16-le")


# --------------------------------------------------------------------------- 9. line endings


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_line_endings(tmp_path, ending):
    bad = "D,北关小学,116.50,39.90,bad"
    text = ending.join(["县学校名单", HEADER.strip(), *ROWS, bad, ""])
    schools, report = read_schools(write(tmp_path, text))
    # Was (CR alone): an internal csv.Error.
    assert schools["name"].tolist() == ["城关一小", "城关二小", "河口小学"]
    assert report.rejected[["row", "reason"]].values.tolist() == [[6, "quality is not a number"]]
    assert any("header is on row 2" in w for w in report.warnings)


# --------------------------------------------------------------------------- 10. wide files


def test_ten_thousand_columns_are_read_and_kept(tmp_path):
    extra = [f"extra_column_{j:05d}" for j in range(10_000)]
    lines = [",".join([*extra, *HEADER.strip().split(",")])]
    lines += [",".join([*(f"{i}-{j}" for j in range(10_000)), row]) for i, row in enumerate(ROWS)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    started = time.perf_counter()
    schools, report = read_schools(path)
    assert time.perf_counter() - started < 30
    assert schools.index.tolist() == ["A", "B", "C"]
    assert schools.shape[1] == 8 + 10_000 + 1  # the contract's, the extras, the geometry
    assert schools["extra_column_09999"].tolist() == ["0-9999", "1-9999", "2-9999"]
    assert report.n_rejected == 0


def test_a_first_line_without_any_line_break_is_refused(tmp_path, monkeypatch):
    import geogroup.read._text as text

    monkeypatch.setattr(text, "_MAX_HEAD_BYTES", 1 << 17)
    path = write(tmp_path, "name," * 60_000)
    with pytest.raises(InputError, match=r"no line break in the first 0 MiB"):
        read_schools(path)


# --------------------------------------------------------------------------- 12. quotes


@pytest.mark.parametrize("title", ["", "县学校名单\n\n"])
def test_an_unclosed_quote_names_its_row(tmp_path, title):
    text = title + HEADER + f'{ROWS[0]}\nB,"城关二小,116.41,39.91,70\n{ROWS[2]}\n'
    row = 3 + title.count("\n")
    with pytest.raises(InputError) as err:
        read_schools(write(tmp_path, text))
    # Was: one row too early (pandas counts rows from 0).
    assert f'row {row} opens a quote (") that is never closed' in str(err.value)


# --------------------------------------------------------------------------- 13. streams


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_standard_input_is_read_with_dash(monkeypatch):
    monkeypatch.setattr(sys, "stdin", FakeStdin((HEADER + "\n".join(ROWS)).encode("gbk")))
    schools, report = read_schools("-")
    assert schools["name"].tolist() == ["城关一小", "城关二小", "河口小学"]
    assert report.source == "standard input"


def test_standard_input_with_an_explicit_encoding(monkeypatch):
    text = HEADER + "A,Escola Ação,-46.63,-23.55,1\nB,b,-46.64,-23.56,2\n"
    monkeypatch.setattr(sys, "stdin", FakeStdin(text.encode("cp1252")))
    schools, _ = read_schools("-", encoding="cp1252")
    assert schools["name"].tolist() == ["Escola Ação", "b"]


def test_a_workbook_on_standard_input_is_told_by_its_bytes(monkeypatch, tmp_path):
    frame = pd.DataFrame([r.split(",") for r in ROWS], columns=HEADER.strip().split(","))
    frame.to_excel(tmp_path / "s.xlsx", index=False)
    monkeypatch.setattr(sys, "stdin", FakeStdin((tmp_path / "s.xlsx").read_bytes()))
    schools, report = read_schools("-")
    assert schools.index.tolist() == ["A", "B", "C"]
    assert report.source == "standard input [sheet 'Sheet1']"


def test_empty_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", FakeStdin(b""))
    with pytest.raises(InputError, match="standard input: the file is empty"):
        read_schools("-")


def test_no_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputError, match="reads the school list from standard input, but"):
        read_schools("-")


def test_standard_input_of_a_real_process(tmp_path):
    program = (
        "from geogroup.read import read_schools\n"
        "schools, report = read_schools('-')\n"
        "print(len(schools), report.source, schools['name'].iloc[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        input=(HEADER + "\r".join(ROWS)).encode("utf-8"),
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "3 standard input 城关一小"


def feed_fifo(path: Path, data: bytes) -> threading.Thread:
    os.mkfifo(path)

    def feed() -> None:
        # A reader that refuses the pipe closes it unread: the write then breaks the pipe.
        with contextlib.suppress(BrokenPipeError), path.open("wb") as pipe:
            pipe.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def test_a_named_pipe_is_read_once(tmp_path):
    # Larger than the first read, so the head and the rest come from the one open pipe.
    rows = "".join(f"S{i},学校{i},116.{10 + i % 80},39.{10 + i % 85},60\n" for i in range(4000))
    thread = feed_fifo(tmp_path / "schools.csv", (HEADER + rows).encode())
    schools, report = read_schools(tmp_path / "schools.csv")
    thread.join(timeout=10)
    assert len(schools) == 4000
    assert report.source == str(tmp_path / "schools.csv")


def test_a_named_pipe_without_a_suffix_holding_a_workbook(tmp_path):
    frame = pd.DataFrame([r.split(",") for r in ROWS], columns=HEADER.strip().split(","))
    frame.to_excel(tmp_path / "s.xlsx", index=False)
    thread = feed_fifo(tmp_path / "pipe", (tmp_path / "s.xlsx").read_bytes())
    schools, _ = read_schools(tmp_path / "pipe")
    thread.join(timeout=10)
    assert schools.index.tolist() == ["A", "B", "C"]


def test_vector_data_through_a_pipe_is_refused(tmp_path):
    thread = feed_fifo(tmp_path / "schools.geojson", b"{}")
    with pytest.raises(InputError, match="is read from a file, not from a pipe"):
        read_schools(tmp_path / "schools.geojson")
    thread.join(timeout=10)
    assert not thread.is_alive()  # the pipe was opened (once) and the writer let go


def test_a_device_is_not_a_school_list():
    with pytest.raises(InputError, match="'/dev/null' is not a regular file"):
        read_schools("/dev/null")


# --------------------------------------------------------------------------- 14. encodings


def test_an_explicit_encoding_is_used_as_given(tmp_path):
    text = HEADER + "A,Escola Ação Social,-46.63,-23.55,1\nB,City School,-46.64,-23.56,2\n"
    path = write(tmp_path, text.encode("cp1252"))
    # 'çã' is a common Chinese character in GBK: only the caller can tell.
    assert read_schools(path).schools["name"].iloc[0] != "Escola Ação Social"
    schools, report = read_schools(path, encoding="cp1252")
    assert schools["name"].tolist() == ["Escola Ação Social", "City School"]
    assert report.warnings == []


@pytest.mark.parametrize(
    "names",
    [
        ["Lycée Pasteur", "École Molière"],
        ["José Martí", "São Paulo"],
        ["Müller Schule", "Ñandú"],
        ["l’École", "Straße"],
    ],
)
def test_windows_1252_is_told_from_gbk(tmp_path, names):
    text = HEADER + "".join(f"{i},{n},2.3{i},48.8{i},{i}\n" for i, n in enumerate(names))
    schools, report = read_schools(write(tmp_path, text.encode("cp1252")))
    assert schools["name"].tolist() == names
    assert "decoded as cp1252" in report.warnings[0]


def test_chinese_gbk_with_rare_characters_stays_gbk(tmp_path):
    # 喆 and 堃 are outside GB2312; the other rows are common Chinese.
    names = ["喆安小学", "城关小学", "堃元中学"]
    text = HEADER + "".join(f"{i},{n},116.4{i},39.9{i},{i}\n" for i, n in enumerate(names))
    schools, report = read_schools(write(tmp_path, text.encode("gbk")))
    assert schools["name"].tolist() == names
    assert not any("cp1252" in w for w in report.warnings)
