"""Where a school list comes from, and which reader reads it.

A path names a regular file or a named pipe (FIFO); ``'-'`` is standard input. A pipe and
standard input are read once, in order, through the same :class:`ByteSource` as a file:
the text reader never opens its source twice. Their format comes from the name's suffix
when it has a known one, else from the first bytes (a workbook is a zip archive), else text.
A frame is taken as it is.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geogroup.errors import InputError
from geogroup.read._excel import _read_excel
from geogroup.read._loading import ByteSource, _from_frame, _HeaderSpec, _Loaded, _read_vector
from geogroup.read._text import _read_csv

__all__ = ["STDIN", "load"]

STDIN = "-"
_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".geojson": "vector",
    ".json": "vector",
    ".gpkg": "vector",
    ".shp": "vector",
}
_READERS: dict[str, Callable[..., _Loaded]] = {
    "csv": _read_csv,
    "excel": _read_excel,
    "vector": _read_vector,
}
_ZIP = b"PK\x03\x04"


def _unknown_type(path: Path) -> InputError:
    old = path.suffix.lower() == ".xls"
    hint = " (the old Excel format: open it and save as .xlsx)" if old else ""
    return InputError(
        f"{str(path)!r}: unknown file type {path.suffix!r}{hint}. Supported: "
        f"{', '.join(_FORMATS)}. Save the school list as CSV (UTF-8) or .xlsx."
    )


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode
    except FileNotFoundError:
        raise InputError(
            f"{str(path)!r} does not exist. Check the path (relative paths start at "
            f"{str(Path.cwd())!r})."
        ) from None
    except OSError as exc:
        raise InputError(f"{str(path)!r}: cannot read it ({exc.strerror or exc}).") from exc


@contextmanager
def _opened(path: Path) -> Iterator[Any]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{str(path)!r}: cannot read the file ({exc.strerror or exc}).") from exc
    with handle:
        yield handle


def _kind_of_stream(src: ByteSource, suffix: str) -> str:
    """A pipe's format: by its name's suffix when known, else by its first bytes (which are
    kept to be read again)."""
    if suffix in _FORMATS:
        return _FORMATS[suffix]
    first = src.read(len(_ZIP))
    src.handle = _Rewound(first, src.handle)
    return "excel" if first == _ZIP else "csv"


class _Rewound:
    """A one-way stream with its first bytes put back in front."""

    def __init__(self, first: bytes, rest: Any) -> None:
        self._first, self._rest = first, rest

    def read(self, size: int = -1) -> bytes:
        if not self._first:
            return self._rest.read(size)
        if size < 0:
            first, self._first = self._first, b""
            return first + self._rest.read()
        first, self._first = self._first[:size], self._first[size:]
        return first

    def seekable(self) -> bool:
        return False


def _stdin() -> Any:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # no console (pythonw), or standard input closed
        raise InputError(
            "'-' reads the school list from standard input, but this process has none. "
            "Give the file's path, or pipe the file in (… < schools.csv)."
        )
    return stream


def _read_stream(src: ByteSource, suffix: str, **options: Any) -> _Loaded:
    kind = _kind_of_stream(src, suffix)
    return _READERS[kind](src, **options)


def load(
    source: Any, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
    """Read ``source`` (a frame, a path, a named pipe or ``'-'``) into a :class:`_Loaded`."""
    if isinstance(source, pd.DataFrame):
        kind = "GeoDataFrame" if isinstance(source, gpd.GeoDataFrame) else "DataFrame"
        return _from_frame(source, kind)
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(
            "source: expected a file path, '-' for standard input, or a pandas DataFrame / "
            f"GeoDataFrame, got {type(source).__name__}."
        )
    options = {"sheet": sheet, "encoding": encoding, "spec": spec}
    if isinstance(source, str) and source == STDIN:
        loaded = _read_stream(ByteSource("standard input", _stdin()), "", **options)
    else:
        loaded = _read_path(Path(source), **options)
    if len(loaded.frame) == 0:
        raise InputError(
            f"{loaded.label}: no data rows (only a header, or nothing at all). "
            "Put one school per row below a header row."
        )
    return loaded


def _read_path(path: Path, **options: Any) -> _Loaded:
    mode = _mode(path)
    if stat.S_ISDIR(mode):
        raise InputError(f"{str(path)!r} is a folder, not a file. Give the school list's file.")
    suffix = path.suffix.lower()
    if stat.S_ISFIFO(mode):
        with _opened(path) as handle:
            return _read_stream(ByteSource(str(path), handle), suffix, **options)
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{str(path)!r} is not a regular file (a device or a socket). Give the school "
            "list's file, or '-' to read it from standard input."
        )
    if suffix not in _FORMATS:
        raise _unknown_type(path)
    with _opened(path) as handle:
        return _READERS[_FORMATS[suffix]](ByteSource(str(path), handle, path), **options)
