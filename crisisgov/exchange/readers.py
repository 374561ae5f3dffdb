"""Uploaded tables as a stream of rows: CSV/TSV text, XLSX workbooks, JSON arrays and JSON Lines.

This is the file-reading layer under an import (issue 3, "Imports" and "Bad input"). It knows
nothing of schemas or datasets: it finds the format and the text encoding, checks the header, and
hands the validator one row at a time with the row number a person sees in the file, so the error
report can say "row 7". Memory stays bounded by one row plus fixed-size buffers, whatever the file
size; for XLSX add openpyxl's shared-text table (which has its own limit) and ~80 bytes a row
that openpyxl's streaming parser keeps (capped by Excel's 1,048,576 rows).

The protocol: `open_table` raises `FileProblem` when the file as a whole cannot be read (too big,
not a workbook, no header, ...). Iterating the reader yields `(row_number, row)` where `row` is a
`dict` of header name to cell, or a `RowProblem` for a row that cannot be shaped into one (ragged,
over-long cell, a JSON item that is not a flat object). A `RowProblem` is yielded, not raised, so
one bad row never stops the stream; it is an exception so an all-or-nothing import can raise it.
A `FileProblem` can also be raised during iteration (a late encoding error, too many rows, a
damaged workbook): the import must stop there.

Pure: no Django, so the reader can be benchmarked and tested alone.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import json
import re
import struct
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import charset_normalizer
import ijson
import openpyxl

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# The same cell types as `crisisgov.exchange.cells.Cell`: what the validator accepts.
Value = str | int | float | bool | datetime.date | datetime.datetime | None
Row = dict[str, Value]
TableFormat = Literal["csv", "xlsx", "json", "jsonl"]


@dataclass(frozen=True, slots=True)
class Limits:
    """What an import accepts before it refuses a file; every refusal names the limit it hit."""

    max_upload_bytes: int = 1 * GiB
    max_rows: int = 5_000_000  # data rows, not counting the header
    max_columns: int = 1_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_line_chars: int = 1_000_000  # one physical text line: a file with no line breaks stops here
    max_xlsx_uncompressed_bytes: int = 2 * GiB
    # openpyxl holds a workbook's whole shared-text table in memory (about 3x its XML size).
    max_xlsx_shared_strings_bytes: int = 100 * MiB
    # Sheets compress about 5-30x (8x measured for 100k rows); deflate tops out near 1000x,
    # which is what zip bombs use.
    max_compression_ratio: float = 200.0
    max_zip_entries: int = 10_000
    # How far to look for the first non-ASCII byte when choosing a text encoding.
    encoding_scan_bytes: int = 16 * MiB


DEFAULT_LIMITS = Limits()


class ReadProblem(Exception):
    """Something the uploader must fix. `code` is stable (for translation); `params` fill it."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class FileProblem(ReadProblem):
    """The file, as a whole, cannot be read (any further): the import stops here."""


class RowProblem(ReadProblem):
    """One row cannot be shaped into header -> value; the rows after it are still read.

    `field` names the column when one is to blame; `cells` is the raw row, each text cut to 200
    characters, for the error report (mask personal data before showing it).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        row_number: int,
        field: str | None = None,
        cells: Sequence[Value] = (),
        **params: object,
    ) -> None:
        super().__init__(code, message, **params)
        self.row_number = row_number
        self.field = field
        self.cells = tuple(_preview(cell) for cell in cells[:_PREVIEW_CELLS])


_PREVIEW_CHARS = 200
_PREVIEW_CELLS = 1_000


def _preview(cell: Value) -> Value:
    if isinstance(cell, str) and len(cell) > _PREVIEW_CHARS:
        return cell[:_PREVIEW_CHARS] + "…"
    return cell


def _size_text(size: int) -> str:
    for unit, scale in (("GB", GiB), ("MB", MiB), ("KB", KiB)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _column_label(index: int) -> str:
    """Column `index` (0-based) as a person finds it: "3 (C)"."""
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{index + 1} ({letters})"


class TableReader:
    """An opened table: its header, and when iterated, its rows in file order.

    `format` is "csv", "xlsx", "json" (an array of objects) or "jsonl". `header` holds the column
    names (trimmed, NFKC-normalised, unique, none blank); `header_row_number` is where the header
    was found (0 for JSON, whose header is the first object's keys). `encoding` is the text
    encoding read ("utf-8-sig", "gb18030", ...) or None for XLSX; `encoding_guessed` is True when
    it was a statistical guess the uploader should confirm on the preview. Iterate once; close
    when done (a `with` block does it).
    """

    def __init__(
        self,
        *,
        format: TableFormat,
        header: list[str],
        header_row_number: int,
        rows: Iterator[tuple[int, list[Value] | Row | RowProblem]],  # a list: cells in header order
        size: int,
        position: Callable[[], int],
        closers: list[Callable[[], object]],
        encoding: str | None = None,
        encoding_guessed: bool = False,
        delimiter: str | None = None,
        sheet_name: str | None = None,
    ) -> None:
        self.format = format
        self.header = header
        self.header_row_number = header_row_number
        self.size = size
        self.encoding = encoding
        self.encoding_guessed = encoding_guessed
        self.delimiter = delimiter
        self.sheet_name = sheet_name
        self._rows = rows
        self._position = position
        self._closers = closers
        self._finished = False

    def __iter__(self) -> Iterator[tuple[int, Row | RowProblem]]:
        header = self.header
        for number, row in self._rows:
            yield number, (dict(zip(header, row, strict=True)) if type(row) is list else row)
        self._finished = True

    def cells(self) -> Iterator[tuple[int, list[Value] | RowProblem]]:
        """The rows as lists of cells in header order: what an import validates by position,
        without building a dict per row (iterate either this or the reader, once)."""
        header = self.header
        for number, row in self._rows:
            yield number, ([row.get(h) for h in header] if isinstance(row, dict) else row)
        self._finished = True

    @property
    def bytes_read(self) -> int:
        """How much of the file has been consumed (for XLSX, estimated within the sheet)."""
        if self._finished:
            return self.size
        return max(0, min(self.size, self._position()))

    @property
    def progress(self) -> float:
        """The fraction of the file consumed, 0.0 to 1.0, for a progress bar."""
        return 1.0 if self._finished or not self.size else self.bytes_read / self.size

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- opening ---------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et", ".ods"}
_DELIMITED_SUFFIXES = {".csv", ".tsv", ".tab", ".txt"}
_CHUNK = 64 * KiB


def open_table(
    source: BinaryIO | Path,
    *,
    filename: str,
    limits: Limits = DEFAULT_LIMITS,
    sheet: str | None = None,
    delimiter: str | None = None,
    header_row: int = 1,
) -> TableReader:
    """Open an uploaded table, choosing the format from its content and then its name.

    `source` is read from its start; a file object stays the caller's to close, a path is opened
    and closed by the reader. `sheet` picks a workbook sheet by name (default: the first);
    `delimiter` forces the CSV delimiter (default: sniffed from the header line); `header_row`
    skips a title above the header in CSV and XLSX: the header is the first row at or after it
    that is not blank. Raises `FileProblem` when the file cannot be read at all.
    """
    options = _Options(sheet=sheet, delimiter=delimiter, header_row=max(header_row, 1))
    stream, size, owned = _open_source(source, limits)
    closers: list[Callable[[], object]] = [stream.close] if owned else []
    try:
        reader = _open_stream(stream, size, filename, limits, options)
    except BaseException:
        for close in reversed(closers):
            close()
        raise
    reader._closers[:0] = closers  # the stream is closed last, after the workbook
    return reader


@dataclass(frozen=True, slots=True)
class _Options:
    sheet: str | None
    delimiter: str | None
    header_row: int


def _open_source(source: BinaryIO | Path, limits: Limits) -> tuple[BinaryIO, int, bool]:
    """A seekable binary stream positioned at 0, its size, and whether the reader owns it."""
    if isinstance(source, Path):
        size = source.stat().st_size
        _check_size(size, limits)  # before reading a byte
        return source.open("rb"), size, True
    if source.seekable():
        size = source.seek(0, io.SEEK_END)
        _check_size(size, limits)
        source.seek(0)
        return source, size, False
    # A pipe: copy it aside (to disk past 8 MiB), refusing as soon as it passes the limit.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * MiB)  # noqa: SIM115 - the reader closes it
    size = 0
    while chunk := source.read(_CHUNK):
        size += len(chunk)
        if size > limits.max_upload_bytes:
            spool.close()
            _check_size(size, limits)
        spool.write(chunk)
    spool.seek(0)
    return spool, size, True  # type: ignore[return-value]


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_upload_bytes:
        raise FileProblem(
            "too_large",
            f"The file is {_size_text(size)}; the largest file accepted is "
            f"{_size_text(limits.max_upload_bytes)}. Split it into smaller files and upload each.",
            size=size,
            limit=limits.max_upload_bytes,
        )
    if size == 0:
        raise FileProblem("empty", "The file is empty: there is no header and no rows.")


def _open_stream(
    stream: BinaryIO,
    size: int,
    filename: str,
    limits: Limits,
    options: _Options,
) -> TableReader:
    suffix = Path(filename).suffix.lower()
    head = stream.read(8)
    stream.seek(0)
    # Binary signatures decide before the name does: a workbook renamed .csv is still a workbook.
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return _open_xlsx(stream, size, filename, limits, options)
    if head.startswith(_OLE_MAGIC):
        raise _ole_problem(stream, filename)
    if suffix in _WORKBOOK_SUFFIXES:
        looks = "a web page" if head.lstrip().startswith(b"<") else "text"
        raise FileProblem(
            "not_a_workbook",
            f"{filename} is named like a spreadsheet but is not an Excel workbook: it is {looks}."
            " Open it in Excel or WPS and save it as .xlsx, or as CSV (UTF-8) and upload that.",
            filename=filename,
        )
    encoding = _detect_encoding(stream, size, limits)
    if suffix in _DELIMITED_SUFFIXES:
        kind = "csv"
    elif suffix in {".jsonl", ".ndjson"}:
        kind = "jsonl"
    else:
        # No telling name (or .json): the first character decides.
        first = _first_text_char(stream, encoding)
        kind = {"[": "json", "{": "jsonl"}.get(first, "json" if suffix == ".json" else "csv")
    if kind == "json":
        return _open_json_array(stream, size, encoding, limits)
    if kind == "jsonl":
        return _open_json_lines(stream, size, encoding, limits, single_object=suffix == ".json")
    return _open_csv(stream, size, encoding, limits, suffix, options)


# --- text encodings --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Encoding:
    codec: str  # what decodes the bytes after the byte-order mark
    name: str  # what the reader reports
    bom_length: int
    guessed: bool = False
    ascii_until: int | None = None  # set when only this many bytes were seen, all ASCII


_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_WINDOW = 64 * KiB
# Multi-byte East Asian codecs: a statistical guess of one of these on a file that GB18030 reads
# is how short Chinese files get mis-read (charset-normalizer calls "张三" Big5-HKSCS).
_CJK_CODECS = {
    codecs.lookup(name).name
    for name in (
        "gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950", "cp949", "euc_kr",
        "johab", "euc_jp", "shift_jis", "cp932", "iso2022_jp", "euc_jis_2004", "shift_jis_2004",
    )
}  # fmt: skip


def _detect_encoding(stream: BinaryIO, size: int, limits: Limits) -> _Encoding:
    """The text encoding, decided in order of certainty; strict decoding later proves it.

    1. A byte-order mark (UTF-8, UTF-16 and UTF-32: Excel's "Unicode text" is UTF-16 with one).
    2. NUL bytes in the first 64 KiB: UTF-16 without a mark, or not text at all.
    3. The first non-ASCII byte, looked for up to `encoding_scan_bytes` so a UTF-8 file whose
       first Chinese character sits deep in the file is still UTF-8; the 64 KiB from there decode
       strictly as UTF-8, else as GB18030 (which contains GBK and GB2312).
    4. charset-normalizer, last: it guesses short Chinese text as Big5 or Korean, so it is only
       asked when GB18030 fails, or reads something unlike Chinese (Latin-1 "Müller" decodes as
       GB18030 too, into rare ideographs outside GB2312).
    """
    stream.seek(0)
    head = stream.read(4)
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return _Encoding(codec, name, len(bom))
    stream.seek(0)
    sample = stream.read(_WINDOW)
    if b"\x00" in sample:
        return _utf16_without_bom(sample)
    window, at_eof, scanned = _first_non_ascii_window(stream, sample, size, limits)
    if window is None:
        # All ASCII as far as we looked: UTF-8 reads it; a late surprise is reported by line.
        return _Encoding("utf-8", "utf-8", 0, ascii_until=None if at_eof else scanned)
    if _decodes(window, "utf-8", at_eof) is not None:
        return _Encoding("utf-8", "utf-8", 0)
    chinese = _decodes(window, "gb18030", at_eof)
    if chinese is not None and _gb2312_share(chinese) >= 0.5:
        return _Encoding("gb18030", "gb18030", 0)
    guess = charset_normalizer.from_bytes(window).best()
    if chinese is not None:
        if guess is not None and codecs.lookup(guess.encoding).name not in _CJK_CODECS:
            return _Encoding(guess.encoding, guess.encoding, 0, guessed=True)
        return _Encoding("gb18030", "gb18030", 0, guessed=True)
    if guess is not None:
        return _Encoding(guess.encoding, guess.encoding, 0, guessed=True)
    raise FileProblem(
        "unknown_encoding",
        "The text encoding of the file is not recognised (not UTF-8, GBK/GB18030 or UTF-16). "
        "Save it as CSV (UTF-8) and upload again.",
    )


def _utf16_without_bom(sample: bytes) -> _Encoding:
    # UTF-16 without a mark has the zero byte of every ASCII character (digits, delimiters, line
    # breaks) on one side of each pair; only the rare U+xx00 character puts one on the other.
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    codec = "utf-16-le" if odd > even else "utf-16-be"
    lopsided = min(even, odd) * 20 <= max(even, odd)
    if lopsided and _decodes(sample[: len(sample) // 2 * 2], codec, False) is not None:
        return _Encoding(codec, codec, 0)
    raise FileProblem(
        "not_text",
        "The file contains NUL bytes: it is not a text file (CSV or JSON). If it is a "
        "spreadsheet, upload the .xlsx itself.",
    )


def _first_non_ascii_window(
    stream: BinaryIO, sample: bytes, size: int, limits: Limits
) -> tuple[bytes | None, bool, int]:
    """64 KiB from the first non-ASCII byte (a character start in UTF-8 and GBK alike)."""
    offset, chunk = 0, sample
    while chunk:
        found = _NON_ASCII.search(chunk) if not chunk.isascii() else None
        if found:
            stream.seek(offset + found.start())
            window = stream.read(_WINDOW)
            return window, offset + found.start() + len(window) >= size, offset
        offset += len(chunk)
        if offset >= limits.encoding_scan_bytes:
            return None, offset >= size, offset
        chunk = stream.read(MiB)
    return None, True, offset


def _decodes(data: bytes, codec: str, final: bool) -> str | None:
    """`data` decoded strictly, a character cut at the end forgiven unless `final`; else None."""
    try:
        return codecs.getincrementaldecoder(codec)("strict").decode(data, final)
    except UnicodeDecodeError:
        return None


def _gb2312_share(text: str) -> float:
    """Of the non-ASCII characters, the share that are in GB2312 (everyday Chinese)."""
    counts = Counter(ch for ch in text if ord(ch) > 0x7F)
    total = sum(counts.values())
    common = 0
    for ch, n in counts.items():
        try:
            ch.encode("gb2312")
            common += n
        except UnicodeEncodeError:
            pass
    return common / total if total else 1.0


class _CountingReader(io.RawIOBase):
    """The source as a raw stream that counts what was read (for progress); never closes it."""

    def __init__(self, source: BinaryIO, start: int) -> None:
        self._source = source
        self.position = start
        source.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _text_stream(stream: BinaryIO, encoding: _Encoding) -> tuple[io.TextIOWrapper, _CountingReader]:
    raw = _CountingReader(stream, encoding.bom_length)
    # newline="": the csv module needs line ends as written, to keep newlines inside quotes.
    text = io.TextIOWrapper(
        io.BufferedReader(raw, _CHUNK), encoding=encoding.codec, errors="strict", newline=""
    )
    return text, raw


def _first_text_char(stream: BinaryIO, encoding: _Encoding) -> str:
    text, _ = _text_stream(stream, encoding)
    try:
        start = text.read(4 * KiB).lstrip()
    except UnicodeDecodeError:
        start = ""
    text.detach()
    return start[:1]


def _lines(
    stream: BinaryIO, text: io.TextIOWrapper, encoding: _Encoding, limits: Limits
) -> Iterator[str]:
    """The physical lines of the text, strictly decoded, each at most `max_line_chars` long."""
    number = 0
    limit = limits.max_line_chars
    while True:
        try:
            line = text.readline(limit + 1)
        except UnicodeDecodeError as exc:
            raise _decode_problem(stream, encoding, exc) from exc
        if not line:
            return
        number += 1
        if len(line) > limit:
            raise FileProblem(
                "line_too_long",
                f"Line {number:,} is longer than {limit:,} characters: the file may have no "
                "line breaks, or is not a table.",
                line=number,
                limit=limit,
            )
        yield line


def _decode_problem(
    stream: BinaryIO, encoding: _Encoding, error: UnicodeDecodeError
) -> FileProblem:
    """Name the line of a decoding error, found by decoding again from the start, by chunks."""
    line, offset, bad = _locate_decode_error(stream, encoding)
    if not bad:  # only if the source changed under us: report what the first pass saw
        bad = error.object[error.start : error.end]
    where = f"Line {line:,}" if line else "A line"
    why = (
        f" The first {_size_text(encoding.ascii_until)} were plain ASCII, so the file was read "
        "as UTF-8."
        if encoding.ascii_until
        else ""
    )
    return FileProblem(
        "encoding_error",
        f"{where} is not valid {encoding.name} (bytes {bad.hex(' ')} at byte {offset:,}).{why} "
        "Save the whole file in one encoding, preferably CSV (UTF-8), and upload again.",
        line=line,
        offset=offset,
        encoding=encoding.name,
    )


def _locate_decode_error(stream: BinaryIO, encoding: _Encoding) -> tuple[int, int, bytes]:
    """(line, byte offset, offending bytes) of the first decoding error; (0, 0, b"") if none."""
    decoder = codecs.getincrementaldecoder(encoding.codec)("strict")
    stream.seek(encoding.bom_length)
    newlines, fed = 0, encoding.bom_length
    while True:
        chunk = stream.read(_CHUNK)
        try:
            newlines += decoder.decode(chunk, not chunk).count("\n")
        except UnicodeDecodeError as exc:
            # exc.object is the bytes the decoder held back followed by this chunk.
            before = exc.object[: exc.start].decode(encoding.codec)
            offset = fed + len(chunk) - len(exc.object) + exc.start
            return newlines + before.count("\n") + 1, offset, exc.object[exc.start : exc.end]
        if not chunk:
            return 0, 0, b""
        fed += len(chunk)


# --- header and row shaping ------------------------------------------------------------------


def _header_name(cell: Value) -> str:
    """A header cell as a column name: NFKC, BOM and zero-width marks gone, whitespace collapsed.

    A name typed with Alt+Enter in Excel ("身份证\\n号码") keeps one space for the line break.
    """
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        text = str(int(cell))
    elif isinstance(cell, datetime.date):
        text = cell.isoformat()
    else:
        text = str(cell)
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "").replace("\u200b", "")
    return " ".join(text.split())


def _make_header(cells: Sequence[Value], where: str, limits: Limits) -> tuple[list[str], int]:
    """Column names from the header cells, and how many empty columns come before them.

    Empty columns around the names are a table placed at B3 rather than A1, or columns Excel
    keeps after the last one; a blank name between names, or a repeated one, refuses the file.
    """
    names = [_header_name(cell) for cell in cells]
    while names and not names[-1]:
        names.pop()
    skip = 0
    while skip < len(names) and not names[skip]:
        skip += 1
    names = names[skip:]
    if len(names) > limits.max_columns:
        raise FileProblem(
            "too_many_columns",
            f"{where} has {len(names):,} columns; at most {limits.max_columns:,} are accepted.",
            columns=len(names),
            limit=limits.max_columns,
        )
    blank = [i for i, name in enumerate(names) if not name]
    if blank:
        places = ", ".join(_column_label(i + skip) for i in blank)
        raise FileProblem(
            "blank_header",
            f"{where} has no name for column {places}. Name every column.",
            columns=[i + skip + 1 for i in blank],
        )
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i)
    twice = {name: places for name, places in seen.items() if len(places) > 1}
    if twice:
        parts = "; ".join(
            f"{name} in columns {', '.join(_column_label(i + skip) for i in places)}"
            for name, places in twice.items()
        )
        raise FileProblem(
            "duplicate_header",
            f"{where} names a column more than once: {parts}. Give each column its own name.",
            names=sorted(twice),
        )
    too_long = [name for name in names if len(name) > limits.max_cell_chars]
    if too_long:
        raise FileProblem(
            "header_too_long",
            f"{where} has a name longer than {limits.max_cell_chars:,} characters: is the "
            "header row missing?",
        )
    return names, skip


def _is_blank(cell: Value) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _is_blank_record(cells: Sequence[Value]) -> bool:
    return all(_is_blank(cell) for cell in cells)


def _shape_rows(
    records: Iterator[tuple[int, Sequence[Value]]],
    header: list[str],
    header_row: int,
    limits: Limits,
    *,
    pad_short: bool,
    skip: int = 0,
    text_only: bool = False,
) -> Iterator[tuple[int, list[Value] | RowProblem]]:
    """Records as lists of cells in header order; blank rows skipped (their numbers still count).

    Extra cells that are all blank (a trailing delimiter) are dropped; extra values, or missing
    cells in a text file, make a `RowProblem`. A workbook row that stops early is padded with
    None, since spreadsheets do not store empty trailing cells.
    """
    width = len(header)
    last_allowed = header_row + limits.max_rows
    max_chars = limits.max_cell_chars
    for number, cells in records:
        if number > last_allowed:
            raise FileProblem(
                "too_many_rows",
                f"The file has more than {limits.max_rows:,} rows; split it into smaller files.",
                limit=limits.max_rows,
            )
        # Text cells: one join instead of a call per cell (this runs on every row of a CSV).
        if (not "".join(cells).strip()) if text_only else _is_blank_record(cells):  # type: ignore[arg-type]
            continue
        if skip:
            if not _is_blank_record(cells[:skip]):
                yield number, _value_without_name(number, cells, skip)
                continue
            cells = cells[skip:]
        if len(cells) != width:
            if len(cells) > width and _is_blank_record(cells[width:]):
                cells = cells[:width]
            elif len(cells) < width and pad_short:
                cells = [*cells, *([None] * (width - len(cells)))]
            else:
                yield number, _ragged(number, cells, header)
                continue
        if text_only and max(map(len, cells)) <= max_chars:  # type: ignore[arg-type]
            yield number, cells  # type: ignore[misc]  # the common case, made fast
            continue
        for i, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > max_chars:
                yield (
                    number,
                    RowProblem(
                        "cell_too_long",
                        f"{header[i]} is {len(cell):,} characters long; at most {max_chars:,} "
                        "are accepted.",
                        row_number=number,
                        field=header[i],
                        cells=cells,
                        limit=max_chars,
                    ),
                )
                break
        else:
            yield number, list(cells)


def _value_without_name(number: int, cells: Sequence[Value], skip: int) -> RowProblem:
    first = next(i for i in range(skip) if not _is_blank(cells[i]))
    return RowProblem(
        "too_many_cells",
        f"This row has a value in column {_column_label(first)}, which has no name in the header.",
        row_number=number,
        cells=cells,
    )


def _ragged(number: int, cells: Sequence[Value], header: list[str]) -> RowProblem:
    if len(cells) > len(header):
        last = max(i for i, cell in enumerate(cells) if not _is_blank(cell))
        return RowProblem(
            "too_many_cells",
            f"This row has a value in column {_column_label(last)}, but the header has only "
            f"{_count(len(header), 'column')}: a delimiter inside a value, or a shifted row?",
            row_number=number,
            cells=cells,
            cell_count=len(cells),
            column_count=len(header),
        )
    return RowProblem(
        "too_few_cells",
        f"This row has {_count(len(cells), 'cell')} but the header has "
        f"{_count(len(header), 'column')} (the first missing is {header[len(cells)]}).",
        row_number=number,
        field=header[len(cells)],
        cells=cells,
        cell_count=len(cells),
        column_count=len(header),
    )


# --- CSV and TSV -----------------------------------------------------------------------------

_DELIMITERS = (",", "\t", ";", "|")
# Separators people type by mistake, or that a Chinese input method puts in: never sniffed.
_LOOKALIKE_DELIMITERS = ("，", "；", "、", "｜", "︱")


def _count_outside_quotes(line: str, char: str) -> int:
    return sum(part.count(char) for part in line.split('"')[::2])


def _sniff_delimiter(line: str, suffix: str) -> str:
    """The candidate seen most often in the header line outside quotes; ties go by the name."""
    order = ("\t", *_DELIMITERS) if suffix in {".tsv", ".tab", ".txt"} else _DELIMITERS
    counts = {char: _count_outside_quotes(line, char) for char in order}
    best = max(order, key=lambda char: counts[char])  # max keeps the first of equals
    return best if counts[best] else order[0]


def _open_csv(
    stream: BinaryIO,
    size: int,
    encoding: _Encoding,
    limits: Limits,
    suffix: str,
    options: _Options,
) -> TableReader:
    text, raw = _text_stream(stream, encoding)
    lines = _lines(stream, text, encoding, limits)
    number = 0
    first = ""
    for line in lines:  # lines above the header are taken as one line per row
        number += 1
        if number >= options.header_row and line.strip():
            first = line
            break
    if not first:
        raise FileProblem(
            "no_header",
            "The file has no header row: it is empty or holds only blank lines.",
        )
    chosen = options.delimiter or _sniff_delimiter(first, suffix)
    reader = csv.reader(
        itertools.chain([first], lines), delimiter=chosen, quotechar='"', strict=False
    )
    records = _csv_records(reader, number)
    header_row, header_cells = 0, None
    for record_number, cells in records:
        if not _is_blank_record(cells):  # skips a first line of only delimiters: ",,,"
            header_row, header_cells = record_number, cells
            break
    if header_cells is None:
        raise FileProblem("no_header", "The file has no header row: it holds no values.")
    header, skip = _make_header(header_cells, f"The header (row {header_row})", limits)
    if len(header) == 1:
        _check_single_column(first, chosen, forced=options.delimiter is not None)
    return TableReader(
        format="csv",
        header=header,
        header_row_number=header_row,
        rows=_shape_rows(
            records, header, header_row, limits, pad_short=False, skip=skip, text_only=True
        ),
        size=size,
        position=lambda: raw.position,
        closers=[],
        encoding=encoding.name,
        encoding_guessed=encoding.guessed,
        delimiter=chosen,
    )


def _csv_records(reader: Any, first_number: int) -> Iterator[tuple[int, list[str]]]:
    """Numbered records (blank lines included, as the csv module gives them: [])."""
    number = first_number - 1
    try:
        for record in reader:
            number += 1
            yield number, record
    except csv.Error as exc:
        raise FileProblem(
            "csv_syntax",
            f"Row {number + 1:,} cannot be read as CSV ({exc}): an opening quote with no closing "
            "quote makes the rest of the file one cell.",
            row=number + 1,
        ) from exc


def _check_single_column(line: str, chosen: str, *, forced: bool) -> None:
    """One column is a legitimate table, unless the header line shows another separator."""
    candidates = [c for c in _DELIMITERS if c != chosen] if forced else []
    for char in [*candidates, *_LOOKALIKE_DELIMITERS]:
        if _count_outside_quotes(line, char):
            shown = "tab" if char == "\t" else char
            raise FileProblem(
                "wrong_delimiter",
                f"The header has one column: is the delimiter `{shown}`? Separate the columns "
                "with commas (,) and upload again.",
                delimiter=char,
            )


# --- XLSX ------------------------------------------------------------------------------------

_RATIO_FLOOR = 1 * MiB  # a small member may compress as it likes: it cannot expand to much


def _open_xlsx(
    stream: BinaryIO, size: int, filename: str, limits: Limits, options: _Options
) -> TableReader:
    _check_zip(stream, size, filename, limits)
    stream.seek(0)
    try:
        # read_only streams the sheet; data_only gives each formula's cached value (what the
        # person saw), and openpyxl never evaluates a formula; keep_links skips external links.
        workbook = openpyxl.load_workbook(
            stream, read_only=True, data_only=True, keep_links=False, keep_vba=False
        )
    except FileProblem:
        raise
    except Exception as exc:  # openpyxl raises whatever its parsers meet in a damaged file
        raise _damaged(filename, exc) from exc
    try:
        return _open_sheet(workbook, stream, size, filename, limits, options)
    except BaseException:
        workbook.close()
        raise


def _open_sheet(
    workbook: Any,
    stream: BinaryIO,
    size: int,
    filename: str,
    limits: Limits,
    options: _Options,
) -> TableReader:
    sheets = {each.title: each for each in workbook.worksheets}  # chart sheets hold no table
    if not sheets:
        raise FileProblem("no_sheet", f"{filename} has no worksheet.")
    sheet = options.sheet
    if sheet is not None and sheet not in sheets:
        raise FileProblem(
            "no_such_sheet",
            f"{filename} has no sheet named {sheet!r}; its sheets are {', '.join(sheets)}.",
            sheets=list(sheets),
        )
    worksheet = sheets[sheet] if sheet is not None else workbook.worksheets[0]
    # The <dimension> a file declares can be wrong or hostile ("A1:XFD1048576" pads every row
    # to 16,384 cells); without it each row is as wide as its last stored cell.
    worksheet.reset_dimensions()
    records = _xlsx_records(worksheet, filename)
    header_row, header_cells = 0, None
    for number, cells in records:
        if number > limits.max_rows + options.header_row:
            break
        if number >= options.header_row and not _is_blank_record(cells):
            header_row, header_cells = number, cells
            break
    if header_cells is None:
        raise FileProblem(
            "no_header",
            f"The sheet {worksheet.title!r} has no header row: it is empty.",
            sheet=worksheet.title,
        )
    header, skip = _make_header(header_cells, f"The header (row {header_row})", limits)
    member = _sheet_member(workbook, worksheet)

    def position() -> int:
        # Where the zip reader stands inside the sheet's compressed bytes, scaled to the file.
        if member is None:
            return 0
        done = (stream.tell() - member.header_offset) / max(member.compress_size, 1)
        return int(min(max(done, 0.0), 1.0) * size)

    return TableReader(
        format="xlsx",
        header=header,
        header_row_number=header_row,
        rows=_shape_rows(records, header, header_row, limits, pad_short=True, skip=skip),
        size=size,
        position=position,
        closers=[workbook.close],
        sheet_name=worksheet.title,
    )


def _sheet_member(workbook: Any, worksheet: Any) -> zipfile.ZipInfo | None:
    try:  # openpyxl keeps these private; progress is a nicety, so do without when they move
        return workbook._archive.getinfo(worksheet._worksheet_path)
    except (AttributeError, KeyError):
        return None


_EXCEL_MAX_ROWS = 1_048_576


def _xlsx_records(worksheet: Any, filename: str) -> Iterator[tuple[int, tuple[Value, ...]]]:
    """The sheet's rows, numbered; openpyxl fills rows missing from the file with empty ones.

    openpyxl's streaming parser empties each row's XML element but leaves it in the tree, about
    80 bytes a row: Excel's own row limit, enforced here, caps that at about 85 MB.
    """
    try:
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if number > _EXCEL_MAX_ROWS:
                raise FileProblem(
                    "too_many_rows",
                    f"The sheet has more than {_EXCEL_MAX_ROWS:,} rows, which Excel cannot hold: "
                    "it was not saved by Excel. Upload the data as CSV.",
                    limit=_EXCEL_MAX_ROWS,
                )
            yield number, tuple(_xlsx_value(cell) for cell in cells)
    except FileProblem:
        raise
    except Exception as exc:  # a damaged or truncated sheet, found only as it streams
        raise _damaged(filename, exc) from exc


def _xlsx_value(cell: object) -> Value:
    """A cell as typed: numbers stay numbers (so an ID stored as a number shows as one)."""
    if cell is None or isinstance(cell, str | int | float | datetime.date):
        return cell  # type: ignore[return-value]
    if isinstance(cell, datetime.time):  # a time-of-day cell: as Excel shows it
        return cell.isoformat()
    if isinstance(cell, datetime.timedelta):  # a duration cell ([h]:mm:ss)
        hours, rest = divmod(int(cell.total_seconds()), 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(cell)


def _damaged(filename: str, error: Exception) -> FileProblem:
    return FileProblem(
        "damaged_workbook",
        f"{filename} could not be read as an Excel workbook; it may be damaged ({error}). Open "
        "it in Excel or WPS, save it again as .xlsx, and upload that.",
        detail=str(error),
    )


def _check_zip(stream: BinaryIO, size: int, filename: str, limits: Limits) -> None:
    """Refuse a zip that would expand too far, before any XML in it is parsed.

    The sizes checked are the declared ones; zipfile stops each member at its declared size and
    fails its CRC, so a member that lies about its size cannot expand further than declared.
    """
    entries = _zip_entry_count(stream, size)
    if entries is not None and entries > limits.max_zip_entries:
        raise FileProblem(
            "zip_bomb",
            f"{filename} holds {entries:,} files; a workbook has a few dozen. It is refused.",
            entries=entries,
        )
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(filename, exc) from exc
    total = sum(member.file_size for member in members)
    if total > limits.max_xlsx_uncompressed_bytes:
        raise FileProblem(
            "zip_too_large",
            f"{filename} would expand to {_size_text(total)}; at most "
            f"{_size_text(limits.max_xlsx_uncompressed_bytes)} is accepted. Split the workbook.",
            uncompressed=total,
            limit=limits.max_xlsx_uncompressed_bytes,
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise FileProblem(
                "zip_bomb",
                f"{filename} is refused: its part {member.filename} expands {ratio:,.0f} times "
                f"(to {_size_text(member.file_size)}), as a zip bomb does; real workbooks "
                f"expand less than {limits.max_compression_ratio:,.0f} times.",
                member=member.filename,
                ratio=ratio,
            )
        if (
            member.filename.lower().endswith("sharedstrings.xml")
            and member.file_size > limits.max_xlsx_shared_strings_bytes
        ):
            raise FileProblem(
                "too_much_text",
                f"{filename} holds {_size_text(member.file_size)} of text in its shared text "
                f"table; at most {_size_text(limits.max_xlsx_shared_strings_bytes)} can be "
                "read. Save the sheet as CSV (UTF-8) and upload that instead.",
                limit=limits.max_xlsx_shared_strings_bytes,
            )
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        kind = (
            "a binary workbook (.xlsb)"
            if "xl/workbook.bin" in names
            else "an OpenDocument spreadsheet"
            if "content.xml" in names
            else "a zip archive"
        )
        raise FileProblem(
            "not_a_workbook",
            f"{filename} is {kind}, not an Excel workbook (.xlsx). Save it as .xlsx or as CSV "
            "(UTF-8) and upload that.",
        )


def _zip_entry_count(stream: BinaryIO, size: int) -> int | None:
    """The entry count from the end-of-archive record, read before zipfile loads the directory.

    zipfile builds an object per entry up front; a crafted archive with millions of entries
    would exhaust memory before any size could be checked.
    """
    tail_length = min(size, 22 + 65_535)
    stream.seek(size - tail_length)
    tail = stream.read(tail_length)
    at = tail.rfind(_EMPTY_ZIP_MAGIC)
    if at < 0 or at + 22 > len(tail):
        return None  # zipfile will call it damaged
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    if entries == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        (record_offset,) = struct.unpack_from("<Q", tail, at - 20 + 8)
        stream.seek(record_offset)
        record = stream.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            (entries,) = struct.unpack_from("<Q", record, 32)
    return entries


def _ole_problem(stream: BinaryIO, filename: str) -> FileProblem:
    """An Office 97-2003 container: an old .xls, or a workbook saved with a password.

    The stream names sit in the compound file's directory; its first sector is enough to tell.
    """
    stream.seek(0)
    header = stream.read(512)
    if len(header) < 512:
        header = header.ljust(512, b"\xff")  # too short to hold a directory: say "old .xls"
    sector_size = 1 << struct.unpack_from("<H", header, 0x1E)[0]
    (first_directory,) = struct.unpack_from("<I", header, 0x30)
    names: set[str] = set()
    if sector_size in (512, 4096) and first_directory < 0xFFFFFFFA:
        stream.seek((first_directory + 1) * sector_size)
        directory = stream.read(sector_size)
        for start in range(0, len(directory) - 127, 128):
            (length,) = struct.unpack_from("<H", directory, start + 0x40)
            raw = directory[start : start + min(length, 64)]
            names.add(raw.decode("utf-16-le", errors="replace").rstrip("\x00"))
    if names & {"EncryptedPackage", "EncryptionInfo"}:
        return FileProblem(
            "encrypted_workbook",
            f"{filename} is protected with a password. Open it in Excel or WPS, remove the "
            "password (File > Info > Protect Workbook), save it, and upload again.",
        )
    return FileProblem(
        "old_excel",
        f"{filename} is an old Excel 97-2003 workbook (.xls), or a password-protected one. Open "
        "it in Excel or WPS and save it as .xlsx (Excel Workbook), then upload that.",
    )


# --- JSON ------------------------------------------------------------------------------------


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs in order (so repeated keys are seen)."""


_NESTED = object()  # stands for an object or array value: not a cell


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


class _JsonRows:
    """Turns JSON objects into rows against the header taken from the first object's keys."""

    def __init__(self, first: _Pairs, where: str, limits: Limits) -> None:
        if not first:
            raise FileProblem("no_header", f"{where} is an empty object: there are no columns.")
        self.header, _ = _make_header([key for key, _ in first], f"{where}'s keys", limits)
        self._columns = set(self.header)
        self._names: dict[str, str] = {}
        self._limits = limits

    def _name(self, key: str) -> str:
        name = self._names.get(key)
        if name is None:
            name = _header_name(key)
            if len(self._names) < 10_000:  # keys are a table's columns: few, and repeated
                self._names[key] = name
        return name

    def row(self, number: int, pairs: _Pairs) -> Row | RowProblem:
        row: Row = dict.fromkeys(self.header)
        seen: set[str] = set()
        cells = [value if value is not _NESTED else "…" for _, value in pairs]
        for key, value in pairs:
            name = self._name(key)
            if name not in self._columns:
                return RowProblem(
                    "unknown_key",
                    f"{key!r} is not one of the keys of the first object.",
                    row_number=number,
                    field=key,
                    cells=cells,
                )
            if name in seen:
                return RowProblem(
                    "duplicate_key",
                    f"{key!r} appears twice in this object.",
                    row_number=number,
                    field=name,
                    cells=cells,
                )
            if value is _NESTED:
                return RowProblem(
                    "nested_value",
                    f"{name} holds an object or a list; a table cell holds a single value.",
                    row_number=number,
                    field=name,
                    cells=cells,
                )
            if isinstance(value, str) and len(value) > self._limits.max_cell_chars:
                return RowProblem(
                    "cell_too_long",
                    f"{name} is {len(value):,} characters long; at most "
                    f"{self._limits.max_cell_chars:,} are accepted.",
                    row_number=number,
                    field=name,
                    cells=cells,
                )
            seen.add(name)
            row[name] = value
        return row


def _limited_rows(
    items: Iterator[tuple[int, _Pairs | RowProblem]],
    shaper: _JsonRows,
    limits: Limits,
) -> Iterator[tuple[int, Row | RowProblem]]:
    for number, item in items:
        if number > limits.max_rows:
            raise FileProblem(
                "too_many_rows",
                f"The file has more than {limits.max_rows:,} rows; split it into smaller files.",
                limit=limits.max_rows,
            )
        yield number, item if isinstance(item, RowProblem) else shaper.row(number, item)


def _not_an_object(number: int, what: str, value: object) -> RowProblem:
    return RowProblem(
        "not_an_object",
        f"{what} is not an object with named values (it is {type(value).__name__}).",
        row_number=number,
    )


def _first_object(
    items: Iterator[tuple[int, _Pairs | RowProblem]], what: str
) -> tuple[int, _Pairs]:
    first = next(items, None)
    if first is None:
        raise FileProblem("no_header", f"The file holds no {what}s: there is nothing to import.")
    number, item = first
    if isinstance(item, RowProblem):
        raise FileProblem(
            "not_a_table",
            f"The first {what} cannot give the column names: {item.message} Expected an array "
            'of objects ([{"name": ...}, ...]) or JSON Lines (one object per line).',
        )
    return number, item


def _open_json_array(
    stream: BinaryIO, size: int, encoding: _Encoding, limits: Limits
) -> TableReader:
    raw = _CountingReader(stream, encoding.bom_length)
    source: Any = raw
    if encoding.codec != "utf-8":  # the JSON parser reads UTF-8 only
        text, raw = _text_stream(stream, encoding)
        source = _Utf8Recoder(stream, text, encoding)
    items = _json_array_items(source, limits)
    number, first = _first_object(items, "item")
    shaper = _JsonRows(first, "The first item", limits)
    return TableReader(
        format="json",
        header=shaper.header,
        header_row_number=0,
        rows=_limited_rows(itertools.chain([(number, first)], items), shaper, limits),
        size=size,
        position=lambda: raw.position,
        closers=[],
        encoding=encoding.name,
        encoding_guessed=encoding.guessed,
    )


class _Utf8Recoder:
    """A text stream re-encoded as UTF-8 bytes, for a JSON file in GB18030 or UTF-16."""

    def __init__(self, stream: BinaryIO, text: io.TextIOWrapper, encoding: _Encoding) -> None:
        self._stream, self._text, self._encoding = stream, text, encoding

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to see whether it gets bytes
            return b""
        try:
            # A character is at most 4 bytes in UTF-8; reading a quarter keeps near `size`.
            return self._text.read(max(size // 4, 1) if size > 0 else -1).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise _decode_problem(self._stream, self._encoding, exc) from exc


def _json_array_items(source: Any, limits: Limits) -> Iterator[tuple[int, _Pairs | RowProblem]]:
    """The items of a top-level JSON array, streamed: one item in memory at a time."""
    events = ijson.basic_parse(source, use_float=True)
    number = 0
    try:
        event, _ = next(events, ("end", None))
        if event == "end":
            raise FileProblem("no_header", "The file holds no JSON value.")
        if event != "start_array":
            raise FileProblem(
                "not_a_table",
                'The JSON is not an array of objects ([{"name": ...}, ...]) nor JSON Lines.',
            )
        for event, value in events:
            if event == "end_array":
                break
            number += 1
            if event == "start_map":
                yield number, _collect_object(events, number, limits)
            else:
                if event == "start_array":
                    _skip_nested(events)
                    value = []
                yield number, _not_an_object(number, f"Item {number}", value)
        for _ in events:  # the parser rejects anything after the closing bracket
            pass
    except ijson.JSONError as exc:
        raise FileProblem(
            "invalid_json",
            f"The JSON is broken after item {number:,}: {exc}. Nothing after that can be read.",
            item=number,
        ) from exc


def _collect_object(events: Iterator[Any], number: int, limits: Limits) -> _Pairs | RowProblem:
    pairs = _Pairs()
    key = ""
    too_wide = False
    for event, value in events:
        if event == "end_map":
            break
        if event == "map_key":
            key = value
            continue
        if event in ("start_map", "start_array"):
            _skip_nested(events)
            value = _NESTED
        if len(pairs) < limits.max_columns:
            pairs.append((key, value))
        else:  # keep reading to the end of the object, but not storing
            too_wide = True
    if too_wide:
        return RowProblem(
            "too_many_cells",
            f"This object has more than {limits.max_columns:,} keys.",
            row_number=number,
        )
    return pairs


def _skip_nested(events: Iterator[Any]) -> None:
    depth = 1
    for event, _ in events:
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return


def _open_json_lines(
    stream: BinaryIO, size: int, encoding: _Encoding, limits: Limits, *, single_object: bool
) -> TableReader:
    text, raw = _text_stream(stream, encoding)
    items = _json_lines_items(_lines(stream, text, encoding, limits))
    try:
        number, first = _first_object(items, "line")
    except FileProblem as problem:
        if single_object:
            raise FileProblem(
                "not_a_table",
                "The JSON is a single object, not a table: expected an array of objects "
                '([{"name": ...}, ...]) or JSON Lines (one object per line).',
            ) from problem
        raise
    shaper = _JsonRows(first, "The first line", limits)
    return TableReader(
        format="jsonl",
        header=shaper.header,
        header_row_number=0,
        rows=_limited_rows(itertools.chain([(number, first)], items), shaper, limits),
        size=size,
        position=lambda: raw.position,
        closers=[],
        encoding=encoding.name,
        encoding_guessed=encoding.guessed,
    )


def _json_lines_items(lines: Iterator[str]) -> Iterator[tuple[int, _Pairs | RowProblem]]:
    """One object per line; a bad line is a `RowProblem` numbered by its line, and is skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, object_pairs_hook=_Pairs, parse_constant=_reject_constant)
        except ValueError as exc:  # json.JSONDecodeError, or a NaN/Infinity refused above
            if isinstance(exc, json.JSONDecodeError):
                reason = f"{exc.msg} at column {exc.colno}"
            else:
                reason = str(exc)
            yield (
                number,
                RowProblem(
                    "invalid_json", f"This line is not valid JSON: {reason}.", row_number=number
                ),
            )
            continue
        if not isinstance(value, _Pairs):
            yield number, _not_an_object(number, f"Line {number}", value)
            continue
        yield (
            number,
            _Pairs(
                (key, _NESTED if isinstance(item, list | dict) else item) for key, item in value
            ),
        )
