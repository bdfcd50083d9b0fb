"""Text school lists: the delimiter, title rows above the header, line endings, and rows
whose fields do not line up with the header.

The bytes are read once (a named pipe or standard input cannot be read twice): first the
head, where the header must be, then the rest. They are recoded as UTF-8
(:mod:`geogroup.read._encoding`), old Mac line endings (CR alone) become line feeds, and a
zero byte anywhere refuses the file, naming its row. The header row is split here, so that
two columns with one header stay two columns (:func:`~geogroup.read._loading.unique_headers`),
and the rows are parsed against it with one field to spare: a row longer than the header is
caught, never read shifted (:func:`_extra_fields`).
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from geogroup.errors import InputError
from geogroup.read._encoding import UTF16_BOMS, first_codec, lenient, rows_text, to_utf8
from geogroup.read._loading import (
    _SCAN_ROWS,
    ByteSource,
    _blank,
    _drop_blank_rows,
    _HeaderSpec,
    _Loaded,
    _positions,
    unique_headers,
)

_HEAD_BYTES = 1 << 16  # read before the rest: the header and any title rows above it
_MAX_HEAD_BYTES = 1 << 24  # a header row longer than 16 MiB is not a school list's
_FEW_ZEROS = 8  # zero bytes in the head of a damaged text file, not of binary data
_DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|'"}
_OTHER_SEPARATORS = {"，": "full-width commas '，'", "、": "'、'", ":": "colons", " ": "spaces"}
_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook under another name?)",
    b"\xd0\xcf\x11\xe0": "an old Office file (an .xls workbook?)",
    b"%PDF": "a PDF document",
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# --------------------------------------------------------------------------- the head


def _read_head(src: ByteSource, encoding: str | None) -> tuple[bytes, bool]:
    """The first bytes, up to the end of the first rows, and whether that is the whole file.

    A header of thousands of columns can be longer than the first read: the head grows
    until it holds the first rows, up to a limit."""
    head = src.read(_HEAD_BYTES)
    _refuse_binary(head, src.label, encoding)  # before reading more of a large binary file
    if len(head) < _HEAD_BYTES:
        return head, True
    while max(head.count(b"\n"), head.count(b"\r")) < _SCAN_ROWS:
        if len(head) >= _MAX_HEAD_BYTES:
            if b"\n" in head or b"\r" in head:
                break
            raise InputError(
                f"{src.label}: no line break in the first {_MAX_HEAD_BYTES >> 20} MiB: this is "
                "not a table of schools (one school per row). Save the school list as CSV.",
                code="read.no_line_break",
                values={"label": src.label, "mib": _MAX_HEAD_BYTES >> 20},
            )
        more = src.read(len(head))
        if not more:
            return head, True
        head += more
    return head, False


def _refuse_binary(head: bytes, label: str, encoding: str | None) -> None:
    """A school list is text: say what the file is when it is not, before reading it all.

    Zero bytes are refused unless ``encoding`` is given (UTF-16 text without a byte-order
    mark is full of them); a few in otherwise plain text are damage, named by
    :func:`_refuse_zero_byte`."""
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise InputError(
                f"{label}: this is {what}, not a text file. Give the file its real extension "
                "(.xlsx), or open it and save the school list as CSV UTF-8.",
                code="read.binary",
                values={"label": label, "rest_what": what},
            )
    if encoding is not None or head[:2] in UTF16_BOMS or b"\x00" not in head:
        return
    if head.count(b"\x00") <= _FEW_ZEROS:
        _refuse_zero_byte(head, label)
    at = head.index(b"\x00")
    row = head.count(b"\n", 0, at) + 1
    raise InputError(
        f"{label}: not a text file: row {row} holds a zero byte (at byte {at:,}), which text "
        "never does. It is binary data, or UTF-16 text without a byte-order mark: open it and "
        "save the school list as CSV UTF-8 (Excel: Save As > 'CSV UTF-8'), or pass "
        "encoding='utf-16-le' if that is what it is.",
        code="read.not_text",
        values={"label": label, "row": row, "at": f"{at:,}"},
    )


def _refuse_zero_byte(data: bytes, label: str) -> None:
    """A zero byte (NUL) in text: refused, not stripped, since a school list never holds
    one and the bytes around it are likely damaged too."""
    at = data.find(b"\x00")
    if at < 0:
        return
    row = data.count(b"\n", 0, at) + 1
    raise InputError(
        f"{label}: row {row} holds a zero byte (NUL, at byte {at:,}), which a text school list "
        "never holds: that part of the file is damaged (two files joined, a copy cut short, "
        "binary data pasted in). Open the file in a text editor, delete that character (or "
        "the row) and check the row, then save it as CSV UTF-8 and read it again.",
        code="read.zero_byte",
        values={"label": label, "row": row, "at": f"{at:,}"},
    )


def _head_lines(head: bytes, complete: bool, encoding: str | None) -> list[str]:
    """The first rows of a text file, decoded leniently (the whole file is checked later)."""
    if not complete:
        cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
        head = head[:cut] if cut > 0 else head  # the last line may be cut mid-character
    codec = first_codec(head, encoding)
    if codec == "utf-8-sig":
        text = "\n".join(lenient(line) for line in head.split(b"\n"))
    else:
        text = head.decode(codec, errors="replace")
    return _LINE_BREAK.split(text.lstrip("\ufeff"))[:_SCAN_ROWS]


def _fields(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a stray control character: the line is no header
        return [line]


def _find_header(lines: list[str], spec: _HeaderSpec) -> tuple[str, int] | None:
    """The delimiter and index of the first line that is a header with the required columns;
    among delimiters that find one, the one that splits it into most fields (ties: the
    comma)."""
    found = []
    for delimiter in _DELIMITERS:
        for index, line in enumerate(lines):
            fields = _fields(line, delimiter)
            if line.strip() and spec.fits(fields):
                found.append((len(fields), delimiter, index))
                break
    if not found:
        return None
    _, delimiter, index = max(found, key=lambda item: item[0])
    return delimiter, index


def _no_header(lines: list[str], spec: _HeaderSpec, label: str) -> InputError:
    """The error for a text file none of whose first rows is a usable header."""
    index = next(i for i, line in enumerate(lines) if line.strip())
    line = lines[index].strip()
    delimiter = max(_DELIMITERS, key=lambda d: len(_fields(line, d)))
    headers = _fields(line, delimiter)
    if len(headers) < 2:
        seen = [name for sep, name in _OTHER_SEPARATORS.items() if sep in line]
        guess = f" It seems to be separated by {seen[0]}." if seen else ""
        return InputError(
            f"{label}: row {index + 1}, the header, is one single column ({line[:80]!r}): no "
            f"comma, semicolon, tab or '|' separates its headers.{guess} Save the file as CSV "
            "with commas (Excel: Save As > 'CSV UTF-8'), one header per column.",
            code="read.one_column",
            values={
                "label": label,
                "row": index + 1,
                "line": repr(line[:80]),
                "rest_guess": guess.strip(),
            },
        )
    try:
        spec.resolve(headers, needs_coordinates=True, source=f"{label}, row {index + 1}")
    except InputError as exc:
        return exc
    return InputError(
        f"{label}: no header row with the school columns in the first {_SCAN_ROWS} rows.",
        code="read.no_header",
        values={"label": label, "rows": _SCAN_ROWS},
    )


def _title_notes(lines: list[str], start: int, delimiter: str) -> list[str]:
    above = [line.strip().strip(delimiter).strip() for line in lines[:start]]
    filled = [text for text in above if text]
    if not filled:
        return []
    return [
        f"the header is on row {start + 1}; the {start} row(s) above it were not read "
        f"as data ({filled[0][:60]!r})."
    ]


# --------------------------------------------------------------------------- the whole file


def _line_feeds(data: bytes) -> bytes:
    """Old Mac line endings (CR alone) as line feeds, so that rows are counted alike
    everywhere; Windows CR LF stays."""
    if b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"):
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _header_fields(data: bytes, start: int, delimiter: str) -> list[str]:
    """The header row (line ``start``) of the recoded file, split into fields."""
    pos = 0
    for _ in range(start):
        pos = data.index(b"\n", pos) + 1
    end = data.find(b"\n", pos)
    line = data[pos : end if end >= 0 else len(data)].decode("utf-8", errors="replace")
    return _fields(line.lstrip("\ufeff").rstrip("\r"), delimiter)


def _parse(data: bytes, start: int, delimiter: str, width: int, label: str) -> pd.DataFrame:
    """The rows below the header, all text, with one column more than the header (the
    column ``width``) to catch rows with a field too many."""
    try:
        # All text as written ("NA" stays "NA", for the report to show): only an empty cell
        # is missing, as a missing field at the end of a short row is.
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding="utf-8",
            sep=delimiter,
            header=None,
            names=range(width + 1),
            skiprows=start + 1,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame({i: pd.Series(dtype="str") for i in range(width + 1)})
    except (pd.errors.ParserError, ValueError) as exc:
        raise _parse_error(exc, label, delimiter, width) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes a first row with two fields more than the names for an index column.
        raise _too_many(label, delimiter, width, start + 2, width + 2)
    return frame


def _too_many(
    label: str, delimiter: str, width: int, row: int, seen: int, rest_held: str = ""
) -> InputError:
    return InputError(
        f"{label}: row {row} has {seen} fields but the header has {width}: a delimiter too many "
        f"in that row ({_DELIMITERS[delimiter]} separate the columns: is one inside a name? put "
        "the name in double quotes), or a column without a header (give it one). The cells "
        "after the extra delimiter would land one column to the right, so the file is not read."
        + (f" {rest_held}" if rest_held else ""),
        code="read.too_many",
        values={
            "label": label,
            "row": row,
            "seen": seen,
            "width": width,
            "rest_sep": _DELIMITERS[delimiter],
            "rest_held": rest_held,
        },
    )


def _parse_error(exc: Exception, label: str, delimiter: str, width: int) -> InputError:
    text = " ".join(str(exc).split())
    fields = re.search(r"Expected \d+ fields in line (\d+), saw (\d+)", text)
    if fields is not None:
        row, seen = fields.groups()
        return _too_many(label, delimiter, width, int(row), int(seen))
    quote = re.search(r"EOF inside string starting at row (\d+)", text)
    if quote is not None:  # pandas counts rows from 0
        row = int(quote.group(1)) + 1
        return InputError(
            f'{label}: row {row} opens a quote (") that is never closed, so every row after '
            "it ran into one cell. Close the quote, or double a quote that is part of a cell "
            '("" inside a quoted cell), then read the file again.',
            code="read.unclosed_quote",
            values={"label": label, "row": row},
        )
    return InputError(
        f"{label}: cannot parse the file as a table ({text}). Check that every row has "
        "as many delimiters as the header and that quotes are closed.",
        code="read.parse",
        values={"label": label, "detail": text},
    )


def _field_counts(data: bytes, start: int, delimiter: str) -> np.ndarray | None:
    """Fields in each row below the header, counted by the standard ``csv`` module (pandas
    pads short rows, so it cannot say which rows ended with an empty field); None when the
    module cannot split the file (a cell over its size limit)."""
    reader = csv.reader(
        io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""), delimiter=delimiter
    )
    try:
        for _ in range(start + 1):
            next(reader, None)
        return np.fromiter((len(row) for row in reader), dtype=np.int64)
    except csv.Error:
        return None


def _extra_fields(
    frame: pd.DataFrame, data: bytes, start: int, delimiter: str, label: str
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Drop the spare column; refuse a row that put a cell in it.

    Returns the frame and, when some rows (not all) end with an empty field the header does
    not have, the mask of those rows; when every row does (a writer that ends each data row
    with a delimiter), the empty fields are dropped and the mask is all True."""
    width = frame.shape[1] - 1
    spare = frame.pop(width)
    filled = np.flatnonzero(spare.notna().to_numpy())  # nearly always none: strip only these
    filled = filled[~_blank(spare.iloc[filled])]
    if filled.size:
        row, value = start + 2 + int(filled[0]), str(spare.iloc[filled[0]])[:40]
        others = [start + 2 + int(i) for i in filled[1:]]
        also = f" (also {rows_text(others)})" if others else ""
        held = f"Row {row} holds {value!r} after the last header{also}."
        raise _too_many(label, delimiter, width, row, width + 1, held)
    if not re.search(re.escape(delimiter.encode()) + rb"[ \t]*(?:\r?\n|$)", data):
        return frame, None  # no row ends with a delimiter: none has an empty extra field
    counts = _field_counts(data, start, delimiter)
    if counts is None or len(counts) != len(frame):  # the two parsers split rows differently
        raise InputError(
            f"{label}: some rows end with a delimiter more than the header, and quoted cells "
            "spanning lines make it impossible to say which. Remove the delimiters at the end "
            "of the rows (or give the last column a header) and read the file again."
        )
    return frame, counts > width


def _note_extra_fields(loaded: _Loaded, longer: np.ndarray | None, start: int) -> None:
    """Say that every row's empty last field was dropped, or reject the rows that have one
    when the others do not (a delimiter inside an unquoted cell shifts a row the same way)."""
    if longer is None:
        return
    longer = longer[loaded.rows - (start + 2)]
    if not longer.any():
        return
    last = str(loaded.frame.columns[-1])
    if longer.all():
        loaded.notes.append(
            f"every data row ends with one delimiter more than the header (an empty field "
            f"after {last!r}); that empty field was dropped, and no column moved."
        )
        return
    reason = (
        f"one field more than the header (an empty one after {last!r}): a delimiter at the end "
        "of this row only, or one inside an unquoted cell, which moves the cells after it one "
        "column right; check the row, quote a cell that holds the delimiter"
    )
    loaded.problems.append((longer, last, loaded.frame[last], reason))


def _read_csv(
    src: ByteSource, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
    label = src.label
    head, complete = _read_head(src, encoding)
    lines = _head_lines(head, complete, encoding)
    if not any(line.strip() for line in lines):
        raise InputError(f"{label}: the file is empty. Put a header row and one school per row.")
    found = _find_header(lines, spec)
    if found is None:  # before reading the rest: a 100 MB file of junk fails at once
        raise _no_header(lines, spec, label)
    delimiter, start = found
    data, notes = to_utf8(head if complete else src.read_rest(head), encoding, label)
    del head
    data = _line_feeds(data)
    _refuse_zero_byte(data, label)
    headers = _header_fields(data, start, delimiter)
    frame, longer = _extra_fields(
        _parse(data, start, delimiter, len(headers), label), data, start, delimiter, label
    )
    del data
    names, written = unique_headers(headers)
    frame.columns = names
    loaded = _Loaded(
        frame,
        _positions(frame, start + 2),
        label,
        text_cells=True,
        notes=notes + _title_notes(lines, start, delimiter),
        written=written,
        places={name: i for i, name in enumerate(names)},
    )
    loaded = _drop_blank_rows(loaded)
    _drop_unnamed_blank(loaded, headers)
    _note_extra_fields(loaded, longer, start)
    _check_row_delimiters(loaded, delimiter)
    return loaded


def _drop_unnamed_blank(loaded: _Loaded, headers: list[str]) -> None:
    """Columns without a header and without a value (a header row ending in a delimiter)."""
    unnamed = [
        name
        for name, header in zip(loaded.frame.columns, headers, strict=True)
        if not header.strip() and _blank(loaded.frame[name]).all()
    ]
    if unnamed:
        loaded.frame = loaded.frame.drop(columns=unnamed)


def _check_row_delimiters(loaded: _Loaded, delimiter: str) -> None:
    """A row written with another delimiter than the header's lands whole in the first
    column: reject it, naming both delimiters."""
    frame = loaded.frame
    width = frame.shape[1]
    if width < 2:
        return
    suspects = _blank(frame.iloc[:, -1])
    for i in range(1, width - 1):
        if not suspects.any():
            return
        suspects[suspects] = _blank(frame.iloc[suspects, i])
    if not suspects.any():
        return
    first = frame.iloc[:, 0].fillna("")
    others = {**_DELIMITERS, **_OTHER_SEPARATORS}
    for other, name in others.items():
        if other == delimiter or other == " ":
            continue
        mask = suspects.copy()
        mask[suspects] = first[suspects].str.count(re.escape(other)).to_numpy() >= width - 1
        if mask.any():
            reason = f"row separated by {name}, the header by {_DELIMITERS[delimiter]}"
            loaded.problems.append((mask, str(frame.columns[0]), first, reason))
            suspects = suspects & ~mask
