"""Whatever the bytes, ``read_schools`` returns schools that keep the contract or raises
:class:`~geogroup.errors.InputError`: never another exception, never a row lost unsaid."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read import read_schools

VALID = (
    "school_id,name,lon,lat,score,area,students,note\n"
    "A,城关一小,116.40,39.90,80,城区,1200,x\n"
    "B,城关二小,116.41,39.91,70,乡村,900,\n"
    "C,河口小学,116.45,39.95,62,城区,300,y\n"
    "D,北关小学,116.47,39.93,55,乡村,250,z\n"
).encode()

# Bytes that break parsers: delimiters, quotes, line ends, zero, high bytes, a BOM, digits.
PIECES = st.sampled_from(
    [b",", b";", b"\t", b"|", b'"', b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xe9", b"\x81",
     b"\xef\xbb\xbf", b"1e400", b"-", b".", b" ", "第①".encode(), "城区".encode("gbk")]
)  # fmt: skip


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        piece = draw(PIECES)
        if kind == "insert":
            data[at:at] = piece
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "replace":
            data[at : at + len(piece)] = piece
        else:
            del data[at:]
    return bytes(data)


def check(path: Path, **options: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a library warning is a problem not handled
        try:
            schools, report = read_schools(path, **options)
        except InputError as err:
            message = str(err)
        else:
            message = None
    if message is not None:
        assert message.startswith(str(path))  # says which file, then what and where
        return
    assert len(schools) + report.n_rejected == report.n_rows
    assert schools.index.is_unique
    assert np.isfinite(schools["quality"]).all()
    assert schools["area"].isin(schema.AREA_VALUES).all()
    assert schools["name"].notna().all()


@settings(max_examples=150, deadline=None)
@given(damaged())
def test_damaged_csv_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("damaged") / "schools.csv"
    path.write_bytes(data)
    check(path)


@settings(max_examples=40, deadline=None)
@given(damaged(), st.sampled_from(["utf-8", "gb18030", "cp1252", "utf-16-le", "latin-1"]))
def test_damaged_csv_bytes_with_an_encoding(tmp_path_factory, data, encoding):
    path = tmp_path_factory.mktemp("damaged") / "schools.csv"
    path.write_bytes(data)
    check(path, encoding=encoding)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("random") / "schools.csv"
    path.write_bytes(VALID[:60] + data)
    check(path)
