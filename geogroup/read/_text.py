"""Text school lists: encodings (UTF-8, GBK, GB18030, mixed lines), the delimiter, title
rows above the header, and rows whose fields do not line up."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import pandas as pd

from geogroup.errors import InputError
from geogroup.read._loading import (
    _SCAN_ROWS,
    _blank,
    _drop_blank_rows,
    _HeaderSpec,
    _Loaded,
    _positions,
    _rows_text,
)

_HEAD_BYTES = 1 << 16  # read before the rest: the header and any title rows above it
_DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|'"}
_OTHER_SEPARATORS = {"，": "full-width commas '，'", "、": "'、'", ":": "colons", " ": "spaces"}
_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook under another name?)",
    b"\xd0\xcf\x11\xe0": "an old Office file (an .xls workbook?)",
    b"%PDF": "a PDF document",
}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _read_bytes(path: Path, size: int = -1) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise InputError(f"{str(path)!r}: cannot read the file ({exc.strerror}).") from exc


def _refuse_binary(head: bytes, label: str, encoding: str | None) -> None:
    """A school list is text: say what the file is when it is not, before reading it all.

    Zero bytes are refused unless ``encoding`` is given (UTF-16 text without a byte-order
    mark is full of them)."""
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise InputError(
                f"{label}: this is {what}, not a text file. Give the file its real extension "
                "(.xlsx), or open it and save the school list as CSV UTF-8."
            )
    if encoding is not None or head[:2] in _UTF16_BOMS or b"\x00" not in head:
        return
    at = head.index(b"\x00")
    row = head.count(b"\n", 0, at) + 1
    raise InputError(
        f"{label}: not a text file: row {row} holds a zero byte (at byte {at:,}), which text "
        "never does. It is binary data, or UTF-16 text without a byte-order mark: open it and "
        "save the school list as CSV UTF-8 (Excel: Save As > 'CSV UTF-8'), or pass "
        "encoding='utf-16-le' if that is what it is."
    )


def _first_codec(data: bytes, encoding: str | None) -> str:
    if encoding is not None:
        return encoding
    if data[:2] in _UTF16_BOMS:
        return "utf-16"  # Excel's "Unicode text"
    return "utf-8-sig"


def _lenient(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("gb18030", errors="replace")


def _head_lines(head: bytes, complete: bool, encoding: str | None) -> list[str]:
    """The first rows of a text file, decoded leniently (the whole file is checked later)."""
    if not complete and head.rfind(b"\n") > 0:
        head = head[: head.rfind(b"\n")]  # the last line may be cut mid-character
    codec = _first_codec(head, encoding)
    if codec == "utf-8-sig":
        text = "\n".join(_lenient(line) for line in head.split(b"\n"))
    else:
        text = head.decode(codec, errors="replace")
    lines = text.lstrip("\ufeff").split("\n")
    return [line.rstrip("\r") for line in lines[:_SCAN_ROWS]]


def _decoded(data: bytes, encoding: str | None, label: str) -> tuple[bytes, str, list[str]]:
    """The file's bytes for pandas, their codec, and notes; every byte is checked to decode.

    Without ``encoding``, a byte-order mark decides (UTF-16, UTF-8), else UTF-8 when the
    whole file is UTF-8, else each line on its own (:func:`_decode_lines`).
    """
    codec = _first_codec(data, encoding)
    bad = _first_bad_byte(data, codec)
    if bad is None:
        return data, codec, []
    if encoding is None and codec == "utf-8-sig":
        return _decode_lines(data, label)
    row = data.count(b"\n", 0, bad) + 1
    raise InputError(
        f"{label}: cannot decode the file as {codec}: row {row} has byte 0x{data[bad]:02x}, "
        f"which {codec} does not allow. Re-save it as CSV UTF-8 (Excel: Save As > "
        "'CSV UTF-8'), or pass the file's encoding=…"
    )


def _first_bad_byte(data: bytes, codec: str, chunk: int = 1 << 20) -> int | None:
    """Where ``data`` stops decoding as ``codec`` (None: it decodes), a chunk at a time so
    that a large file is never held twice."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    for start in range(0, len(data), chunk):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            decoder.decode(view[start : start + chunk])
        except UnicodeDecodeError as exc:
            return max(start - pending + exc.start, 0)
    pending = len(decoder.getstate()[0])
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return len(data) - pending
    return None


def _classify_lines(lines: list[bytes]) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Row numbers of non-ASCII lines that are UTF-8, that are GBK only, and that are neither
    (with the first byte that fails)."""
    utf8, gbk, bad = [], [], []
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8.append(number)
            continue
        except UnicodeDecodeError:
            pass
        try:
            line.decode("gb18030")
            gbk.append(number)
        except UnicodeDecodeError as exc:
            bad.append((number, line[exc.start]))
    return utf8, gbk, bad


def _decode_lines(data: bytes, label: str) -> tuple[bytes, str, list[str]]:
    """Decode a file that is not all UTF-8 line by line: UTF-8 where a line is, else GBK.

    A file whose non-ASCII lines are all GBK is read as GB18030. A file mixing both (rows
    pasted from two sources) has each line decoded on its own, and a warning names the GBK
    rows. A line that is neither is an error naming its row: the file is then in some third
    encoding (Latin-1, Big5, …) in which the other rows may be wrong too.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    lines = (data[len(codecs.BOM_UTF8) :] if bom else data).split(b"\n")
    utf8, gbk, bad = _classify_lines(lines)
    if bad:
        rows = [number for number, _ in bad]
        raise InputError(
            f"{label}: {len(bad):,} rows can be decoded neither as UTF-8 nor as GBK/GB18030: "
            f"{_rows_text(rows)} (row {bad[0][0]} has byte 0x{bad[0][1]:02x}). The file is in "
            "another encoding (Latin-1 / Windows-1252, Big5, Shift-JIS, …?). Re-save it as CSV "
            "UTF-8 (Excel: Save As > 'CSV UTF-8'), or pass its encoding=…"
        )
    notes = _rare_gbk_note(lines, gbk)
    if not utf8 and not bom:
        return data, "gb18030", notes
    wrong = set(gbk)
    fixed = b"\n".join(
        line.decode("gb18030").encode("utf-8") if number in wrong else line
        for number, line in enumerate(lines, start=1)
    )
    notes.insert(
        0,
        f"rows in two encodings: {len(gbk):,} rows are GBK/GB18030 "
        f"({_rows_text(gbk)}), the others UTF-8; each row was decoded on its own. "
        "Re-save the file as CSV UTF-8 so that it has one encoding.",
    )
    return fixed, "utf-8", notes


def _rare_gbk_note(lines: list[bytes], gbk: list[int]) -> list[str]:
    """Rows that decode as GBK only through characters outside the common GB2312 set: the
    signature of a Latin-1 / Windows-1252 file (``é`` followed by a letter is a valid GBK
    pair), which no byte can prove wrong."""
    rare = []
    for number in gbk:
        try:
            lines[number - 1].decode("gb2312")
        except UnicodeDecodeError:
            rare.append(number)
    if not rare:
        return []
    example = lines[rare[0] - 1].decode("gb18030").strip()[:60]
    return [
        f"{len(rare):,} rows read as GBK hold characters outside the common GB2312 set "
        f"({_rows_text(rare)}; row {rare[0]}: {example!r}). If the file is in Latin-1 / "
        "Windows-1252 (accented letters) or Big5, pass its encoding=… (or re-save it as "
        "CSV UTF-8); if the names read right, ignore this."
    ]


def _fields(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


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
            "with commas (Excel: Save As > 'CSV UTF-8'), one header per column."
        )
    try:
        spec.resolve(headers, needs_coordinates=True, source=f"{label}, row {index + 1}")
    except InputError as exc:
        return exc
    return InputError(
        f"{label}: no header row with the school columns in the first {_SCAN_ROWS} rows."
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


def _read_csv(
    path: Path, *, sheet: str | int | None, encoding: str | None, spec: _HeaderSpec
) -> _Loaded:
    label = str(path)
    head = _read_bytes(path, _HEAD_BYTES)
    complete = len(head) < _HEAD_BYTES
    _refuse_binary(head, label, encoding)
    lines = _head_lines(head, complete, encoding)
    if not any(line.strip() for line in lines):
        raise InputError(f"{label}: the file is empty. Put a header row and one school per row.")
    found = _find_header(lines, spec)
    if found is None:  # before reading the rest: a 100 MB file of junk fails at once
        raise _no_header(lines, spec, label)
    delimiter, start = found
    data, codec, notes = _decoded(head if complete else _read_bytes(path), encoding, label)
    try:
        # All text, nothing turned into NaN: the report shows cells as they were written.
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding=codec,
            sep=delimiter,
            skiprows=start,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise _parse_error(exc, label, delimiter) from exc
    del data
    loaded = _Loaded(
        frame,
        _positions(frame, start + 2),
        label,
        text_cells=True,
        notes=notes + _title_notes(lines, start, delimiter),
    )
    loaded = _drop_blank_rows(loaded)
    _check_row_delimiters(loaded, delimiter)
    return loaded


def _parse_error(exc: Exception, label: str, delimiter: str) -> InputError:
    text = " ".join(str(exc).split())
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields is None:
        return InputError(
            f"{label}: cannot parse the file as a table ({text}). Check that every row has "
            "as many delimiters as the header and that quotes are closed."
        )
    expected, row, seen = fields.groups()
    return InputError(
        f"{label}: row {row} has {seen} fields but the header has {expected}: a delimiter too "
        f"many in that row ({_DELIMITERS[delimiter]} separate the columns: is one inside a "
        "name? put the name in double quotes), or a column without a header."
    )


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
