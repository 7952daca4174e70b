"""Read a raw file (CSV or Parquet) in DuckDB as text columns, and number its rows.

Everything is read as text so the contract, not the reader, decides what is valid, and
every problem can be reported with its row and column. :func:`open_raw_file` checks the
file and returns the SQL of its scan without reading it; the caller reads it once,
straight into validation (``CREATE TABLE ... AS SELECT ... FROM <scan>``, in file order),
and :func:`number_rows` then gives every loaded row its row number and collects the rows
DuckDB's reader set aside (those it cannot split into the header's columns, or whose
bytes are not valid in the file's encoding). An empty file, a file that is neither CSV nor
Parquet, or one with a broken header is rejected whole.

Row numbers are what a person sees in an editor: the CSV header is row 1, the first data
row is row 2 (for a Parquet file the first record is row 1). With quoted line breaks in
values, numbers after them count records rather than physical lines.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any

from shopsight.errors import InputRejected
from shopsight.quality.validation import ROW
from shopsight.schema.sql_text import quote_ident, sql_literal

PARQUET_MAGIC = b"PAR1"
MAX_LINE_BYTES = 2 << 20  # DuckDB's default; larger buffers slow every read down
_DUCKDB_ENCODINGS = {"utf8": "utf-8", "utf8sig": "utf-8", "latin1": "latin-1",
                     "iso88591": "latin-1", "utf16": "utf-16"}


@dataclass
class RawText:
    """A raw file ready to be read: its text columns and the SQL that scans it.

    ``rows`` and ``bad_rows`` are known once :func:`number_rows` has run after the scan."""

    columns: list[str]
    scan: str
    file_format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    rows: int = 0
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, why)


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
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputRejected(name, f"header repeats column(s) {', '.join(repeated)}")
    return columns


def open_raw_file(
    con: Any, name: str, path: str, head: bytes, *, delimiter: str = ",",
    encoding: str = "utf-8",
) -> RawText:
    """Check the file at ``path`` (named ``name`` in messages) and prepare its scan."""
    fmt = detect_format(name, head)
    if fmt == "parquet":
        return _open_parquet(con, name, path)
    return _open_csv(name, path, head, delimiter=delimiter, encoding=encoding)


def read_failure(name: str, raw: RawText, exc: Exception) -> InputRejected:
    """The rejection for a file DuckDB's reader failed on while scanning it."""
    what = "a readable Parquet file" if raw.file_format == "parquet" else "parsed as CSV"
    return InputRejected(name, f"cannot be {what} ({_first_line(exc)})")


def number_rows(con: Any, raw: RawText, table: str) -> None:
    """Set ``_row`` in ``table``, loaded from ``raw.scan`` in file order, and record the
    rows the reader set aside in ``raw.bad_rows``; ``raw.rows`` counts both."""
    row = quote_ident(ROW)
    if raw.file_format == "parquet":
        con.execute(f"UPDATE {table} SET {row} = rowid + 1")
    else:
        raw.bad_rows = _reader_rejects(con, raw)
        rejected_lines = sorted({line for line, _, _ in raw.bad_rows})
        if rejected_lines:
            # record r (0-based) sits on line r + 2 + k, k = #{j : L_j - j <= r + 2}
            con.execute("CREATE OR REPLACE TEMP TABLE _shifts AS SELECT * FROM (VALUES "
                        + ", ".join(f"({line - j}, {j + 1})" for j, line in
                                    enumerate(rejected_lines))
                        + ") v(s, k)")
            con.execute(f"UPDATE {table} SET {row} = rowid + 2 + coalesce((SELECT max(k) "
                        f"FROM _shifts WHERE s <= {table}.rowid + 2), 0)")
        else:
            con.execute(f"UPDATE {table} SET {row} = rowid + 2")
    loaded = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    raw.rows = int(loaded) + len({line for line, _, _ in raw.bad_rows})


def _open_parquet(con: Any, name: str, path: str) -> RawText:
    import duckdb

    source = f"read_parquet({sql_literal(path)})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise InputRejected(name, f"is not a readable Parquet file ({_first_line(exc)})") from None
    columns = [str(row[0]) for row in described]
    casts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in columns)
    return RawText(columns=columns, scan=f"(SELECT {casts} FROM {source})",
                   file_format="parquet")


def _open_csv(name: str, path: str, head: bytes, *, delimiter: str,
              encoding: str) -> RawText:
    native = duckdb_encoding(encoding)
    if native is None:
        raise InputRejected(name, f"encoding {encoding!r} is not supported; use utf-8, "
                            "latin-1 or utf-16")
    columns = csv_header(name, head, delimiter, "utf-8" if native == "utf-8" else encoding)
    types = "{" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in columns) + "}"
    scan = (
        f"read_csv({sql_literal(path)}, header = true, auto_detect = false, "
        f"columns = {types}, delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"', "
        f"encoding = {sql_literal(native)}, max_line_size = {MAX_LINE_BYTES}, "
        f"store_rejects = true, rejects_table = '_rejects', rejects_scan = '_rejects_scan')"
    )
    return RawText(columns=columns, scan=scan, delimiter=delimiter, encoding=encoding)


def _reader_rejects(con: Any, raw: RawText) -> list[tuple[int, str, str]]:
    """(line, column, reason) of every row DuckDB's CSV reader set aside."""
    rejects = con.execute(
        "SELECT line, coalesce(column_name, ''), error_type, csv_line FROM _rejects "
        "ORDER BY line"
    ).fetchall()
    bad_rows: list[tuple[int, str, str]] = []
    for line, column, kind, text in rejects:
        if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            if bad_rows and bad_rows[-1][0] == line:
                continue  # DuckDB reports a missing-columns row once per missing column
            fields = len(next(csv.reader([str(text)], delimiter=raw.delimiter), []))
            bad_rows.append((int(line), "", f"row has {fields} fields, the header has "
                             f"{len(raw.columns)}"))
        else:
            bad_rows.append((int(line), str(column), _reject_reason(str(kind), raw.encoding)))
    return bad_rows


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
    from shopsight.quality.pci import redact

    text = str(exc).split("Original Line", 1)[0].strip().splitlines()[0]
    return redact(text)[:300]
