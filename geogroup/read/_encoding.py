"""Text encodings of school lists: which codec a file's bytes are in, and the bytes recoded
as UTF-8 for the parser.

Detection, when the caller gives no ``encoding``:

1. a byte-order mark decides (UTF-16, UTF-8);
2. a file that is UTF-8 throughout is UTF-8;
3. otherwise each line is tried on its own (:func:`decode_lines`): a line is UTF-8 when it
   decodes as UTF-8, else GBK/GB18030. A file whose non-ASCII lines are all GBK is GB18030;
   a file mixing both has each line decoded on its own, and a warning names the GBK rows;
4. except that a file none of whose non-ASCII lines is UTF-8 or common Chinese (GB2312) and
   whose accented characters all read as letters of Windows-1252, one at a time between
   ASCII (``Lycée``, ``José Martí``), is Windows-1252 (:func:`_reads_as_latin`). Chinese
   text in GBK is pairs of high bytes, nearly all in the GB2312 set; a Western file is
   single high bytes that GBK can only pair up into rare characters, or not at all.

An explicit ``encoding`` is always used as given, and every byte must decode in it.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from geogroup.errors import InputError

__all__ = [
    "UTF16_BOMS",
    "dbf_encoding",
    "first_bad_byte",
    "first_codec",
    "lenient",
    "rows_text",
    "sniff_codec",
    "to_utf8",
]

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LATIN = "cp1252"
# Punctuation a Western file writes in Windows-1252 besides accented letters.
_LATIN_MARKS = frozenset("’‘“”–—…«»°·€£§ºª")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3,}")


def rows_text(rows: list[int], limit: int = 10) -> str:
    """``'rows 3, 5, 9'`` or ``'rows 3, 5, … (40 in all)'``."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f", … ({len(rows):,} in all)" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def first_codec(data: bytes, encoding: str | None) -> str:
    """The codec to try first: the caller's, a UTF-16 byte-order mark's, else UTF-8."""
    if encoding is not None:
        return encoding
    if data[:2] in UTF16_BOMS:
        return "utf-16"  # Excel's "Unicode text"
    return "utf-8-sig"


def lenient(line: bytes) -> str:
    """One line decoded as UTF-8, else GB18030, never failing (for a first look only)."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("gb18030", errors="replace")


def first_bad_byte(data: bytes, codec: str, chunk: int = 1 << 20) -> int | None:
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


def _is_utf8(codec: str) -> bool:
    return codecs.lookup(codec).name in ("utf-8", "utf-8-sig")


def to_utf8(data: bytes, encoding: str | None, label: str) -> tuple[bytes, list[str]]:
    """The file's bytes recoded as UTF-8 (a UTF-8 byte-order mark may stay), and notes.

    Every byte is checked to decode; the codec is detected as the module docstring says
    unless ``encoding`` is given. Raises :class:`InputError` naming the first row that does
    not decode.
    """
    codec = first_codec(data, encoding)
    bad = first_bad_byte(data, codec)
    if bad is None:
        return (data if _is_utf8(codec) else data.decode(codec).encode("utf-8")), []
    if encoding is None and codec == "utf-8-sig":
        fixed, codec, notes = decode_lines(data, label)
        return (fixed if _is_utf8(codec) else fixed.decode(codec).encode("utf-8")), notes
    row = data.count(b"\n", 0, bad) + 1
    raise InputError(
        f"{label}: cannot decode the file as {codec}: row {row} has byte 0x{data[bad]:02x}, "
        f"which {codec} does not allow. Re-save it as CSV UTF-8 (Excel: Save As > "
        "'CSV UTF-8'), or pass the file's encoding=…",
        code="read.decode",
        values={"label": label, "codec": codec, "row": row, "byte": f"0x{data[bad]:02x}"},
    )


# --------------------------------------------------------------------------- line by line


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


def _is_gb2312(line: bytes) -> bool:
    try:
        line.decode("gb2312")
    except UnicodeDecodeError:
        return False
    return True


def _reads_as_latin(lines: list[bytes]) -> bool:
    """Whether non-ASCII, non-UTF-8 lines are Windows-1252 text rather than Chinese: none
    reads as common Chinese (GB2312), and in Windows-1252 each reads as accented letters
    standing alone among ASCII (a Chinese pair of bytes gives two or more in a row)."""
    if not lines or any(_is_gb2312(line) for line in lines):
        return False
    for line in lines:
        try:
            text = line.decode(_LATIN)
        except UnicodeDecodeError:
            return False
        odd = [c for c in text if not c.isascii() and not (c.isalpha() or c in _LATIN_MARKS)]
        if odd or _NON_ASCII_RUN.search(text):
            return False
    return True


def sniff_codec(pieces: list[bytes]) -> str | None:
    """The codec of text in ``pieces`` (lines, or a table's cells): None when all ASCII,
    else 'utf-8', 'cp1252' or 'gb18030' by the module docstring's rules, or None when no
    single codec fits."""
    utf8, gbk, bad = _classify_lines(pieces)
    if not (utf8 or gbk or bad):
        return None
    if not (gbk or bad):
        return "utf-8"
    if utf8:
        return None
    if _reads_as_latin([pieces[n - 1] for n in gbk] + [pieces[n - 1] for n, _ in bad]):
        return _LATIN
    return None if bad else "gb18030"


def decode_lines(data: bytes, label: str) -> tuple[bytes, str, list[str]]:
    """Decode a file that is not all UTF-8 line by line (module docstring, steps 3 and 4).

    Returns the bytes, their codec and notes. A line that is neither UTF-8 nor GBK, in a
    file that does not read as Windows-1252, is an error naming its row: the file is then in
    some third encoding (Latin-1, Big5, …) in which the other rows may be wrong too.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    lines = (data[len(codecs.BOM_UTF8) :] if bom else data).split(b"\n")
    utf8, gbk, bad = _classify_lines(lines)
    if not utf8 and not bom:
        latin = _latin_reading(data, lines, gbk + [n for n, _ in bad])
        if latin is not None:
            return latin
    if bad:
        rows = [number for number, _ in bad]
        raise InputError(
            f"{label}: {len(bad):,} rows can be decoded neither as UTF-8 nor as GBK/GB18030: "
            f"{rows_text(rows)} (row {bad[0][0]} has byte 0x{bad[0][1]:02x}). The file is in "
            "another encoding (Latin-1 / Windows-1252, Big5, Shift-JIS, …?). Re-save it as CSV "
            "UTF-8 (Excel: Save As > 'CSV UTF-8'), or pass its encoding=…",
            code="read.decode_rows",
            values={
                "label": label,
                "count": f"{len(bad):,}",
                "rest_rows": rows_text(rows),
                "row": bad[0][0],
                "byte": f"0x{bad[0][1]:02x}",
            },
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
        f"({rows_text(gbk)}), the others UTF-8; each row was decoded on its own. "
        "Re-save the file as CSV UTF-8 so that it has one encoding.",
    )
    return fixed, "utf-8", notes


def _latin_reading(
    data: bytes, lines: list[bytes], rows: list[int]
) -> tuple[bytes, str, list[str]] | None:
    """``data`` as Windows-1252 with a note, when its non-ASCII lines (``rows``) read so."""
    rows = sorted(rows)
    if not _reads_as_latin([lines[n - 1] for n in rows]) or first_bad_byte(data, _LATIN):
        return None
    example = lines[rows[0] - 1].decode(_LATIN).strip()[:60]
    return (
        data,
        _LATIN,
        [
            f"the file is not UTF-8; its accented letters read as Windows-1252 (Western "
            f"European), not as Chinese GBK, so it was decoded as cp1252 ({rows_text(rows)}; "
            f"row {rows[0]}: {example!r}). If the names read wrong, pass the file's "
            "encoding=… (e.g. 'gb18030'), or re-save it as CSV UTF-8."
        ],
    )


def _rare_gbk_note(lines: list[bytes], gbk: list[int]) -> list[str]:
    """Rows that decode as GBK only through characters outside the common GB2312 set: maybe
    a file in another encoding that no byte proves wrong."""
    rare = [number for number in gbk if not _is_gb2312(lines[number - 1])]
    if not rare:
        return []
    example = lines[rare[0] - 1].decode("gb18030").strip()[:60]
    return [
        f"{len(rare):,} rows read as GBK hold characters outside the common GB2312 set "
        f"({rows_text(rare)}; row {rare[0]}: {example!r}). If the file is in Latin-1 / "
        "Windows-1252 (accented letters) or Big5, pass its encoding=… (or re-save it as "
        "CSV UTF-8); if the names read right, ignore this."
    ]


# --------------------------------------------------------------------------- Shapefiles


def _sibling(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` with the same stem and ``suffix``, in any letter case."""
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _dbf_text(data: bytes) -> list[bytes]:
    """Field names and the text (type C) cells of a dBase table, as byte strings."""
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    names, spans, offset = [], [], 1  # each record starts with a deletion flag
    for pos in range(32, max(header_len - 1, 32), 32):
        if data[pos] == 0x0D:  # the end of the field descriptors
            break
        names.append(data[pos : pos + 11].split(b"\x00")[0])
        length = data[pos + 16]
        if chr(data[pos + 11]) == "C":
            spans.append((offset, offset + length))
        offset += length
    cells = [
        data[start + a : start + b]
        for start in range(header_len, len(data) - record_len + 1, max(record_len, 1))
        for a, b in spans
    ]
    return names + cells


def dbf_encoding(path: Path) -> str | None:
    """The encoding of a Shapefile's attributes when no ``.cpg`` file names it.

    GDAL reads such a ``.dbf`` as Latin-1 (or by its language-driver byte), which turns
    GBK text into mojibake; the bytes are sniffed instead (:func:`sniff_codec`). None when
    a ``.cpg`` exists, the text is ASCII, or no codec fits.
    """
    if path.suffix.lower() != ".shp" or _sibling(path, ".cpg") is not None:
        return None
    dbf = _sibling(path, ".dbf")
    if dbf is None:
        return None
    data = dbf.read_bytes()
    if len(data) < 32 or data.isascii():
        return None
    try:
        pieces = _dbf_text(data)
    except IndexError:  # a damaged header: leave the file to GDAL, which says what is wrong
        return None
    codec = sniff_codec([piece for piece in pieces if not piece.isascii()])
    return {"utf-8": "UTF-8", "gb18030": "GB18030", _LATIN: "CP1252"}.get(codec or "")
