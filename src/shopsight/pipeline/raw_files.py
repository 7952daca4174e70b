"""Load a raw file (CSV or Parquet) into DuckDB with row numbers.

DuckDB's parallel reader copies the file once into a temp table, in file order, so a
row's position (``rowid``) gives its row number; rows the CSV reader cannot split into the
header's columns, or whose bytes are not valid in the file's encoding, are set aside with
their line and reported. An empty file, a file that is neither CSV nor Parquet, or one
with a broken header is rejected whole. The caller may give the projection that copy
applies (``select``: the contract's typing and checks), so the file's rows are copied
once, already typed.

Columns are read as text so the contract, not the reader, decides what is valid; except
that the caller may let the CSV reader parse some columns itself (``reader_types``: the
ingest lets it parse amounts and booleans), which is cheaper than parsing text afterwards. The
reader's parsing accepts a subset of what the contract's text rules accept, with the same
values, and a row the reader cannot parse is not lost: its text is kept in
``_raw_retry`` so validation judges it by the contract's text rules like any other row.

Row numbers are what a person sees in an editor: the CSV header is row 1, the first data
row is row 2 (for a Parquet file the first record is row 1). A record whose quoted value
has a line break in it is numbered by the line it starts on.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from shopsight.errors import InputRejected
from shopsight.quality.validation import NULL_TOKENS, ROW, optimizers_disabled
from shopsight.schema.sql_text import quote_ident, sql_literal

PARQUET_MAGIC = b"PAR1"
MAX_LINE_BYTES = 2 << 20  # DuckDB's default; larger buffers slow every read down
_DUCKDB_ENCODINGS = {"utf8": "utf-8", "utf8sig": "utf-8", "latin1": "latin-1",
                     "iso88591": "latin-1", "utf16": "utf-16"}


RAW_TEXT = "_raw_text"
RAW_RECORDS = "_raw_records"
RAW_RETRY = "_raw_retry"  # text of the rows the reader could not parse with reader_types


@dataclass(frozen=True)
class RawScan:
    """A raw file about to be read: its columns and the SQL relation of its records."""

    columns: list[str]
    relation: str
    file_format: str
    # columns the reader parses itself (name -> DuckDB type); the rest are text
    typed: dict[str, str]
    exact_tokens_read: bool  # the reader reads exact null tokens as NULL, in every column


@dataclass
class RawText:
    """A raw file loaded as the temp view ``_raw_text`` (its columns, or what the
    caller's ``select`` made of them, and ``_row``)."""

    columns: list[str]
    rows: int
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, why)
    file_format: str = "csv"
    # columns the reader parsed itself (name -> DuckDB type); the rest are text, and
    # exact null tokens are already NULL in every column
    typed: dict[str, str] = field(default_factory=dict)
    retried: int = 0  # rows the reader could not parse, kept as text in _raw_retry
    exact_tokens_read: bool = False  # the reader read exact null tokens as NULL
    # SELECT of the loaded rows with ``_row`` (the body of ``_raw_text``, which the next
    # file's load replaces: this stays valid as long as the records table is kept)
    rows_sql: str = f"SELECT * FROM {RAW_TEXT}"
    # rows were set aside, so ``_row`` is looked up by position rather than computed
    shifted: bool = False


READ_CHUNK_BYTES = 4 << 20  # raw files are hashed, scanned and copied in pieces this size


def line_feeds(data: bytes) -> int:
    """How many line feeds ``data`` holds. Raw files are counted as they are hashed, and
    numpy counts the large demo's 624 MB payments file in ~0.03 CPU-s where
    ``bytes.count`` takes ~0.2."""
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == 10))


def line_count(newlines: int, last_byte: bytes) -> int:
    """Lines of a text with ``newlines`` line feeds ending in ``last_byte`` (empty for
    an empty text): a last line without a line end counts too."""
    return newlines + (last_byte not in (b"", b"\n"))


@dataclass(frozen=True)
class RecordlessLines:
    """Lines of a CSV on which no record starts: DuckDB's reader counts neither."""

    empty: list[int]  # empty lines (outside quoted values), which the reader skips
    continued: list[int]  # lines a quoted value goes on to, after a line break in it
    lines: int = 0  # lines of the file
    blank: list[int] = field(default_factory=list)  # empty lines, quotes or not

    def records(self) -> int:
        """How many records (header included) the lines hold, if the quotes were read
        right: a stray quote inside an unquoted value (``TV 55"``), which DuckDB reads as
        a character, throws the count of the lines after it off."""
        return self.lines - len(self.empty) - len(self.continued)

    def without_quotes(self) -> RecordlessLines:
        """The empty lines alone, quotes ignored: what to number around when the quotes
        were not read right (records after a quoted line break then count records)."""
        return RecordlessLines(empty=self.blank, continued=[], lines=self.lines,
                               blank=self.blank)

    def line_of(self, counted: int) -> int:
        """The file's line number of what DuckDB's reader numbers ``counted`` (it counts
        records and empty lines, not the lines a quoted value goes on to)."""
        line = counted  # the first line with ``counted`` lines not continued up to it
        while (shifted := counted + bisect.bisect_right(self.continued, line)) != line:
            line = shifted
        return line


def recordless_lines(path: str, chunk_bytes: int = READ_CHUNK_BYTES) -> RecordlessLines:
    """The empty lines of the CSV at ``path`` (an ASCII-compatible encoding, quotes
    doubled inside quoted values) and the lines its quoted values go on to. DuckDB's
    reader skips the first and numbers records without the second, so records are
    numbered around both, like the lines it rejects, to give each the line it starts on.
    numpy finds the quotes and line feeds (a line feed is inside a quoted value when an
    odd number of quotes precede it); only files whose records do not fill their lines
    are scanned."""
    import numpy as np

    empty: list[int] = []
    continued: list[int] = []
    blank_lines: list[int] = []
    base, line, quotes = 0, 1, 0  # bytes, line and quotes before the chunk
    last_feed, last_byte = -1, b""  # the last line feed before the chunk, its last byte
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            data = np.frombuffer(chunk, np.uint8)
            feeds = np.flatnonzero(data == 10)
            quoted = np.flatnonzero(data == 34)
            inside = ((np.searchsorted(quoted, feeds) + quotes) & 1).astype(bool)
            numbers = line + np.arange(len(feeds))  # the line each feed ends
            continued.extend((numbers[inside] + 1).tolist())
            at = feeds + base
            before = np.concatenate(([last_feed], at[:-1]))
            gap = at - before
            cr_before = np.zeros(len(feeds), bool)
            local = feeds - 1
            cr_before[local >= 0] = data[local[local >= 0]] == 13
            cr_before[local < 0] = last_byte == b"\r"
            blank = (gap == 1) | ((gap == 2) & cr_before)
            blank_lines.extend(numbers[blank].tolist())
            empty.extend(numbers[blank & ~inside].tolist())
            if len(feeds):
                last_feed = int(at[-1])
            base += len(chunk)
            line += len(feeds)
            quotes += len(quoted)
            last_byte = chunk[-1:]
    return RecordlessLines(empty=empty, continued=continued,
                           lines=line_count(line - 1, last_byte), blank=blank_lines)


def _mixed_line_ends(path: str) -> bool:
    """Whether the lines of the file at ``path`` end in both CRLF and LF."""
    import numpy as np

    crlf = lf = 0
    last = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            data = np.frombuffer(last + chunk, np.uint8)
            feeds = np.flatnonzero(data[1:] == 10) + 1
            crlf += int(np.count_nonzero(data[feeds - 1] == 13))
            lf += len(feeds)
            last = chunk[-1:]
            if 0 < crlf < lf:
                return True
    return False


def detect_format(name: str, head: bytes) -> str:
    """'parquet' or 'csv', or reject a file that is neither."""
    if not head.strip():
        raise InputRejected(name, "the file is empty; export it again with a header row")
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if name.lower().endswith(".parquet"):
        raise InputRejected(name, "named .parquet but is not a Parquet file")
    sample = head[:65536]
    if b"\x00" in sample or sample.startswith((b"PK\x03\x04", b"\x1f\x8b", b"%PDF", b"\x89PNG")):
        raise InputRejected(
            name, "is not a CSV or Parquet file (binary content); export the table as CSV "
            "with a header row, or as Parquet"
        )
    return "csv"


def duckdb_encoding(encoding: str) -> str | None:
    """DuckDB's name for an encoding it reads natively, else None."""
    return _DUCKDB_ENCODINGS.get(encoding.lower().replace("-", "").replace("_", ""))


def csv_header(name: str, head: bytes, delimiter: str, encoding: str) -> list[str]:
    """Column names from the first line, checked for emptiness and repeats."""
    first_line = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    if not first_line.strip():
        raise InputRejected(name, "has no header row (the first line is empty)")
    try:
        text = first_line.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputRejected(
            name, f"header row is not valid {encoding}; re-export as UTF-8 or set `encoding` "
            "in the mapping file"
        ) from None
    columns = [c.strip().strip("\ufeff").strip() for c in next(csv.reader([text],
                                                                          delimiter=delimiter))]
    if any(not c for c in columns):
        raise InputRejected(name, "header has an empty column name")
    lowered = [c.lower() for c in columns]
    repeated = sorted({c for c in columns if lowered.count(c.lower()) > 1})
    if repeated:
        raise InputRejected(name, f"header repeats column(s) {', '.join(repeated)} (names "
                            "that differ only in case are the same column); rename them")
    return columns


def sniff_delimiter(name: str, head: bytes) -> str:
    """The delimiter of a CSV file that no mapping gives one for: a tab for ``.tsv``,
    else whichever of comma, semicolon, tab and bar splits the header line most often
    (outside quotes), comma when none does."""
    if name.lower().endswith(".tsv"):
        return "\t"
    first_line = head.split(b"\n", 1)[0].decode("latin-1")
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def load_raw_file(
    con: Any, name: str, path: str, head: bytes, *, delimiter: str | None = None,
    encoding: str = "utf-8", reader_types: dict[str, str] | None = None,
    select: Callable[[RawScan], str] | None = None, records: str = RAW_RECORDS,
    lines: int | None = None,
) -> RawText:
    """Load the file at ``path`` (named ``name`` in messages) into the temp table
    ``records``, seen with row numbers as ``_raw_text``.

    Row numbers are the file's line numbers, around the lines the reader rejects or
    skips (empty ones) and the lines quoted values go on to. ``lines`` is how
    many lines the file has, when the caller counted them (see ``line_count``): a CSV whose
    header, records and rejected lines fill them all has no empty line to look for.

    ``delimiter`` is sniffed from the header line when not given (``sniff_delimiter``).
    ``encoding`` is any Python codec: DuckDB reads UTF-8, UTF-16 and Latin-1 itself, a
    CSV in another (``cp1252``, Excel's "CSV" on Windows) is read from a UTF-8 copy.
    ``reader_types`` (column -> DuckDB type) lets a CSV's reader parse those columns.
    ``select`` turns the scan into the SELECT that is copied instead of the raw columns: a
    projection (one row out per row in, nothing reordered, no ``_row``); it may raise to
    refuse the file before it is read. Leaves ``con`` free to reorder rows
    (``preserve_insertion_order`` off).
    """
    def load(from_path: str, from_head: bytes, counted: int | None) -> RawText:
        return _load_raw_file(con, name, from_path, from_head, delimiter=delimiter,
                              encoding=encoding, reader_types=reader_types, select=select,
                              records=records, lines=counted)

    with ExitStack() as copies:
        if duckdb_encoding(encoding) is None and detect_format(name, head) == "csv":
            path = copies.enter_context(_utf8_copy(name, path, encoding))
            with open(path, "rb") as handle:
                head = handle.read(len(head))
            encoding, lines = "utf-8", None  # (the lines were counted in other bytes)
        try:
            loaded = load(path, head, lines)
            # the reader may also take a mix for rows it cannot split, merging lines
            if not (loaded.bad_rows and loaded.file_format == "csv"
                    and _mixed_line_ends(path)):
                return loaded
        except _MixedLineEnds:
            pass  # read again below, from a copy with LF line ends
        try:
            return load(copies.enter_context(_lf_copy(path)), head, None)
        except _MixedLineEnds:  # a CR before a CRLF: not a CSV line structure
            raise InputRejected(name, "cannot be parsed as CSV: its lines end in both CRLF "
                                "and LF, and some in CR CRLF; save it with one kind of "
                                "line end") from None


class _MixedLineEnds(Exception):
    """DuckDB's CSV reader refuses a file whose lines end in both LF and CRLF."""


@contextmanager
def _lf_copy(path: str, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[str]:
    """A temporary copy of the text file at ``path`` with every CRLF line end written as
    LF: the same lines, so the same row numbers (a CRLF inside a quoted value becomes LF
    too). Files pasted together from Windows and Unix tools mix the two, which DuckDB's
    strict reader refuses, and its lenient mode would drop the extra fields of a ragged
    row without a word."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv") as out, open(path, "rb") as src:
        carry = b""
        while chunk := src.read(chunk_bytes):
            data = carry + chunk
            carry = b"\r" if data.endswith(b"\r") else b""  # its LF may be in the next
            out.write(data[:len(data) - len(carry)].replace(b"\r\n", b"\n"))
        out.write(carry)
        out.flush()
        yield out.name


@contextmanager
def _utf8_copy(name: str, path: str, encoding: str) -> Iterator[str]:
    """A temporary UTF-8 copy of a text file in ``encoding`` (the same lines, so the same
    row numbers); a byte the encoding does not define rejects the file, naming its line."""
    import codecs
    import tempfile

    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise InputRejected(name, f"encoding {encoding!r} is not known; use a name such as "
                            "utf-8, cp1252 (Windows), latin-1 or utf-16") from None
    with tempfile.NamedTemporaryFile(suffix=".csv") as out, open(path, "rb") as src:
        line = 1
        while chunk := src.read(READ_CHUNK_BYTES):
            try:
                out.write(decoder.decode(chunk).encode("utf-8"))
            except UnicodeDecodeError as exc:
                bad = chunk[exc.start:exc.start + 1].hex()
                at = line + chunk[:exc.start].count(b"\n")
                raise InputRejected(name, f"line {at}: byte 0x{bad} is not valid {encoding}; "
                                    "set the file's real `encoding` in the mapping") from None
            line += chunk.count(b"\n")
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
        out.flush()
        yield out.name


def _load_raw_file(
    con: Any, name: str, path: str, head: bytes, *, delimiter: str | None,
    encoding: str, reader_types: dict[str, str] | None,
    select: Callable[[RawScan], str] | None, records: str, lines: int | None,
) -> RawText:
    import duckdb

    fmt = detect_format(name, head)
    typed: dict[str, str] = {}
    tokens_read = fmt == "csv" and reader_types is not None
    if fmt == "parquet":
        columns, relation = _parquet_scan(con, name, path)
    else:
        delimiter = delimiter or sniff_delimiter(name, head)
        native = _encoding(encoding)
        columns = csv_header(name, head, delimiter, "utf-8" if native == "utf-8" else encoding)
        typed = {c: t for c, t in (reader_types or {}).items()
                 if c in columns and t != "VARCHAR"}
        relation = _csv_scan(path, columns, typed, delimiter=delimiter, native_encoding=native,
                             null_tokens=tokens_read)
    scan = RawScan(columns, relation, fmt, typed, tokens_read)
    copied = select(scan) if select is not None else f"SELECT * FROM {relation}"
    # A connection may load several files: the reader's reject tables would collect the
    # rejects of every file, and the order must be kept again for this copy.
    con.execute("DROP TABLE IF EXISTS _rejects")
    con.execute("DROP TABLE IF EXISTS _rejects_scan")
    con.execute("SET preserve_insertion_order = true")
    table = quote_ident(records)
    # A copy of a projection of the scan keeps the file's order: rowid is the position.
    # DuckDB may plan a list of allowed values (``x IN (...)``) as a join against the
    # list, which need not keep the order: lists stay expressions here.
    try:
        with optimizers_disabled(con, "in_clause"):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {copied}")
    except duckdb.Error as exc:
        if fmt == "csv" and "state machine reached an invalid state" in str(exc) and (
                _mixed_line_ends(path)):
            raise _MixedLineEnds from None
        what = "a readable Parquet file" if fmt == "parquet" else "parsed as CSV"
        hint = ("; a file from Windows or Excel is often cp1252: set `encoding = "
                "\"cp1252\"` in the mapping" if "latin-1" in str(exc).lower() else "")
        raise InputRejected(name, f"cannot be {what} ({_first_line(exc)}){hint}") from None
    bad_rows, retry = ([], {}) if fmt == "parquet" else _reader_rejects(
        con, columns, delimiter or ",", encoding)
    rejected_lines = sorted({line for line, _, _ in bad_rows} | set(retry))
    loaded = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    gaps = rejected_lines  # lines holding no record: rejected ones, empty ones, and the
    # lines quoted values go on to
    if fmt == "csv" and _encoding(encoding) != "utf-16" and (
            lines is None or 1 + loaded + len(rejected_lines) < lines):
        recordless = recordless_lines(path)
        if recordless.records() != 1 + loaded + len(rejected_lines):
            recordless = recordless.without_quotes()  # a stray quote: see records()
        if recordless.continued:  # the reader numbered its rejects without them
            bad_rows = [(recordless.line_of(n), c, why) for n, c, why in bad_rows]
            retry = {recordless.line_of(n): fields for n, fields in retry.items()}
            rejected_lines = sorted({line for line, _, _ in bad_rows} | set(retry))
        gaps = sorted({*rejected_lines, *recordless.empty, *recordless.continued})
    if retry:
        _load_retry(con, columns, retry)
    if fmt == "parquet":
        source, row_sql = f"{table} r", "r.rowid + 1"
    elif gaps:
        # record p (0-based) sits on line p + 2 + k, k = #{j : L_j - j <= p + 2}: the k of
        # the last shift at or before p + 2. An as-of join finds it for the positions
        # alone (sorting the records themselves costs 30x more on millions of wide rows),
        # and a hash join on the position brings the numbers to the records.
        shifts = quote_ident(f"{records}_shifts")
        numbers = quote_ident(f"{records}_numbers")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {shifts} AS SELECT s, max(k) AS k FROM "
                    "(SELECT unnest(?::BIGINT[]) AS s, unnest(?::BIGINT[]) AS k) GROUP BY s",
                    [[line - j for j, line in enumerate(gaps)],
                     list(range(1, len(gaps) + 1))])
        con.execute(f"CREATE OR REPLACE TEMP TABLE {numbers} AS SELECT p, p + 2 + "
                    f"coalesce(sh.k, 0) AS line FROM (SELECT range AS p, range + 2 AS _line "
                    f"FROM range({loaded})) r ASOF LEFT JOIN {shifts} sh ON r._line >= sh.s")
        source = f"{table} r JOIN {numbers} n ON r.rowid = n.p"
        row_sql = "n.line"
    else:
        source, row_sql = f"{table} r", "r.rowid + 2"
    loaded_columns = [str(c[0]) for c in con.execute(f"DESCRIBE {table}").fetchall()]
    select_list = ", ".join(f"r.{quote_ident(c)}" for c in loaded_columns)
    rows_sql = f"SELECT {select_list}, {row_sql} AS {quote_ident(ROW)} FROM {source}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {RAW_TEXT} AS {rows_sql}")
    # Positions are fixed now and every row carries _row from here on, so later queries
    # may reorder rows freely (DuckDB's parallel writes are faster without the order).
    con.execute("SET preserve_insertion_order = false")
    return RawText(columns=columns, rows=loaded + len(rejected_lines),
                   bad_rows=bad_rows, file_format=fmt, typed=typed, retried=len(retry),
                   exact_tokens_read=tokens_read, rows_sql=rows_sql,
                   shifted=bool(gaps))


def _load_retry(con: Any, columns: list[str], retry: dict[int, list[str]]) -> None:
    """``_raw_retry``: the text of the rows the reader could not parse, with ``_row``
    (written back as CSV and read as text: no Python-side Arrow, which imports pandas)."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="",
                                     encoding="utf-8") as handle:
        writer = csv.writer(handle)
        # a file column of that name is not the contract's: it is ignored, renamed here
        writer.writerow([*(f"{c}_in_file" if c.lower() == ROW else c for c in columns), ROW])
        for line in sorted(retry):
            writer.writerow([*retry[line], line])
        handle.flush()
        types = ", ".join(f"{sql_literal(f'{c}_in_file' if c.lower() == ROW else c)}: "
                          "'VARCHAR'" for c in columns)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {RAW_RETRY} AS SELECT * FROM "
            f"read_csv({sql_literal(handle.name)}, header = true, auto_detect = false, "
            f"columns = {{{types}, {sql_literal(ROW)}: 'BIGINT'}}, quote = '\"', "
            f"escape = '\"', max_line_size = {MAX_LINE_BYTES * 2})")


def _parquet_scan(con: Any, name: str, path: str) -> tuple[list[str], str]:
    import duckdb

    source = f"read_parquet({sql_literal(path)})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise InputRejected(name, f"is not a readable Parquet file ({_first_line(exc)})") from None
    columns = [str(row[0]) for row in described]
    casts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in columns)
    return columns, f"(SELECT {casts} FROM {source})"


def _encoding(encoding: str) -> str:
    """DuckDB's name for the file's encoding: load_raw_file copied a file in any other
    encoding to UTF-8 first."""
    native = duckdb_encoding(encoding)
    assert native is not None, encoding
    return native


def _csv_scan(path: str, columns: list[str], typed: dict[str, str], *, delimiter: str,
              native_encoding: str, null_tokens: bool) -> str:
    types = "{" + ", ".join(f"{sql_literal(c)}: {sql_literal(typed.get(c, 'VARCHAR'))}"
                            for c in columns) + "}"
    nulls = (", nullstr = [" + ", ".join(sql_literal(t) for t in NULL_TOKENS) + "]"
             if null_tokens else "")
    # DuckDB's default date parsing ignores what follows the date ('2026-01-01 BC' is read
    # as 2026 AD); an explicit format refuses it, and the text rules then judge the value.
    dates = ", dateformat = '%Y-%m-%d'" if "DATE" in typed.values() else ""
    return (
        f"read_csv({sql_literal(path)}, header = true, auto_detect = false, "
        f"columns = {types}, delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"', "
        f"encoding = {sql_literal(native_encoding)}{nulls}{dates}, "
        f"max_line_size = {MAX_LINE_BYTES}, store_rejects = true, "
        f"rejects_table = '_rejects', rejects_scan = '_rejects_scan')"
    )


def _reader_rejects(con: Any, columns: list[str], delimiter: str,
                    encoding: str) -> tuple[list[tuple[int, str, str]], dict[int, list[str]]]:
    """(line, column, reason) of every row DuckDB's CSV reader set aside, and the text
    fields of the rows it set aside only because a typed column did not parse."""
    rejects = con.execute(
        "SELECT line, coalesce(column_name, ''), error_type, csv_line FROM _rejects "
        "ORDER BY line"
    ).fetchall()
    structural = {int(line) for line, _, kind, _ in rejects if kind != "CAST"}
    retry: dict[int, list[str]] = {}
    bad_rows: list[tuple[int, str, str]] = []
    for line, _, kind, text in rejects:
        if kind != "CAST" or int(line) in structural or int(line) in retry:
            continue
        fields = _fields(text, delimiter)
        if len(fields) == len(columns):
            retry[int(line)] = fields
        elif not bad_rows or bad_rows[-1][0] != line:
            bad_rows.append((int(line), "", "row cannot be split into the header's columns"))
    for line, column, kind, text in rejects:
        if kind == "CAST":
            continue
        if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            if bad_rows and bad_rows[-1][0] == line:
                continue  # DuckDB reports a missing-columns row once per missing column
            count = len(_fields(text, delimiter))
            bad_rows.append((int(line), "", f"row has {count} fields, the header has "
                             f"{len(columns)}"))
        else:
            bad_rows.append((int(line), str(column), _reject_reason(str(kind), encoding)))
    return sorted(bad_rows), retry


def _fields(line: object, delimiter: str) -> list[str]:
    """The fields of a line the reader set aside. The reader keeps the ``\\n`` of a CRLF
    line end (or of a blank line) at the start of the next line; Python's csv module
    refuses a line end inside an unquoted field."""
    record = str(line).strip("\r\n")
    return next(csv.reader(io.StringIO(record), delimiter=delimiter), [])


def _reject_reason(kind: str, encoding: str) -> str:
    """A person's wording for DuckDB's CSV reject types."""
    if kind == "INVALID ENCODING":
        return (f"is not valid {encoding.upper()}; re-export as UTF-8 or set `encoding` in the "
                "mapping file")
    if kind == "LINE SIZE OVER MAXIMUM":
        return f"row is longer than {MAX_LINE_BYTES >> 20} MiB"
    if kind == "UNQUOTED VALUE":
        return "has a quote character inside an unquoted value"
    return f"cannot be read ({kind.lower()})"


def _first_line(exc: Exception) -> str:
    """The gist of a DuckDB error, without the file content it may quote (PAN, CVV...)."""
    from shopsight.quality.pci import gist

    return gist(str(exc).split("Original Line", 1)[0])
