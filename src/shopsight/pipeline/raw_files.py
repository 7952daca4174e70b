"""Read a raw file (CSV or Parquet bytes) into an Arrow table of strings with row numbers.

Everything is read as text so the contract, not the reader, decides what is valid, and
every problem can be reported with its row and column:

- CSV rows with too few or too many fields are set aside with their line number;
- cells that are not valid UTF-8 are set to NULL and reported (row, column), unless the
  mapping declares another encoding;
- an empty file, a file that is neither CSV nor Parquet, or a CSV whose rows do not fit
  in memory blocks is rejected whole with a reason.

Row numbers are what a person sees in an editor: the CSV header is row 1, the first data
row is row 2 (for a Parquet file the first record is row 1). With quoted line breaks in
values, numbers count records rather than physical lines.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from shopsight.errors import InputRejected
from shopsight.quality.validation import ROW

PARQUET_MAGIC = b"PAR1"
_BLOCK_SIZE = 64 << 20  # longest CSV row we accept (64 MiB)


@dataclass
class ParsedFile:
    """Text columns plus ``_row``, and the rows/cells the reader had to set aside."""

    table: Any  # pyarrow.Table of string columns + int64 _row
    columns: list[str]
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, reason)
    file_format: str = "csv"


def detect_format(name: str, head: bytes) -> str:
    """'parquet' or 'csv', or reject a file that is neither."""
    if not head:
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


def read_raw_file(
    name: str, data: bytes, *, delimiter: str = ",", encoding: str = "utf-8"
) -> ParsedFile:
    """Parse raw bytes into text columns; raises InputRejected for unusable files."""
    fmt = detect_format(name, data[:65536])
    if fmt == "parquet":
        return _read_parquet(name, data)
    return _read_csv(name, data, delimiter=delimiter, encoding=encoding)


def _read_parquet(name: str, data: bytes) -> ParsedFile:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise InputRejected(name, f"is not a readable Parquet file ({exc})") from None
    columns = [_clean_header(c) for c in table.column_names]
    arrays = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            arrays.append(col.cast(pa.string()))
        elif pa.types.is_timestamp(col.type) and col.type.tz is not None:
            arrays.append(col.cast(pa.timestamp("us", tz="UTC")).cast(pa.string()))
        elif pa.types.is_boolean(col.type):
            arrays.append(col.cast(pa.int8()).cast(pa.string()))
        else:
            arrays.append(col.cast(pa.string()))
    rows = pa.array(range(1, table.num_rows + 1), pa.int64())
    out = pa.Table.from_arrays([*arrays, rows], names=[*columns, ROW])
    return ParsedFile(out, columns, file_format="parquet")


def _clean_header(name: str) -> str:
    return name.strip().strip("\ufeff").strip()


def _read_csv(name: str, data: bytes, *, delimiter: str, encoding: str) -> ParsedFile:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if encoding.lower().replace("-", "") not in ("utf8", "utf8sig"):
        try:
            data = data.decode(encoding).encode("utf-8")
        except (LookupError, UnicodeDecodeError) as exc:
            raise InputRejected(name, f"cannot be decoded as {encoding}: {exc}") from None
    data = data.removeprefix(b"\xef\xbb\xbf")
    first_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    if not first_line.strip():
        raise InputRejected(name, "has no header row (the first line is empty)")
    try:
        header_text = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise InputRejected(
            name, "header row is not valid UTF-8; re-export as UTF-8 or set `encoding` in "
            "the mapping file"
        ) from None
    header = next(iter(_split_header(header_text, delimiter)))
    columns = [_clean_header(c) for c in header]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        raise InputRejected(name, f"header repeats column(s) {', '.join(dupes)}")
    bad_lines: list[tuple[int, str]] = []

    def on_invalid(row: Any) -> str:
        bad_lines.append((int(row.number or 0), f"has {row.actual_columns} fields, "
                          f"the header has {row.expected_columns}"))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=_BLOCK_SIZE, column_names=columns, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.binary() for c in columns},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputRejected(name, f"cannot be parsed as CSV ({exc})") from None
    rows = _row_numbers(table.num_rows, sorted(line for line, _ in bad_lines))
    arrays, bad_cells = _decode_utf8(table, columns, rows)
    out = pa.Table.from_arrays([*arrays, pa.array(rows, pa.int64())], names=[*columns, ROW])
    bad_rows = [(line, "", f"row {reason}") for line, reason in bad_lines] + bad_cells
    return ParsedFile(out, columns, bad_rows=bad_rows)


def _split_header(text: str, delimiter: str) -> Any:
    import csv

    return csv.reader([text], delimiter=delimiter)


def _row_numbers(count: int, skipped_lines: list[int]) -> Any:
    """Row numbers of the parsed rows, stepping over the lines the parser set aside.

    Parsed row i sits on line i + 2 + k, where k counts the skipped lines before it;
    with skipped lines L_j sorted, k = #{j : L_j - j <= i + 2}.
    """
    import numpy as np

    base = np.arange(count, dtype=np.int64) + 2
    if not skipped_lines:
        return base
    shifted = np.asarray(skipped_lines, dtype=np.int64) - np.arange(len(skipped_lines))
    return base + np.searchsorted(shifted, base, side="right")


def _decode_utf8(table: Any, columns: list[str], rows: list[int]) -> tuple[list[Any], list[
        tuple[int, str, str]]]:
    """Binary columns to UTF-8 strings; invalid cells become NULL and are reported."""
    import pyarrow as pa

    arrays: list[Any] = []
    bad: list[tuple[int, str, str]] = []
    for name in columns:
        col = table.column(name)
        try:
            arrays.append(col.cast(pa.string()))
            continue
        except pa.ArrowInvalid:
            pass
        values = col.to_pylist()
        decoded: list[str | None] = []
        for i, raw in enumerate(values):
            try:
                decoded.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                decoded.append(None)
                bad.append((int(rows[i]), name, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} "
                            "at position " f"{exc.start}); re-export as UTF-8 or set "
                            "`encoding` in the mapping file"))
        arrays.append(pa.array(decoded, pa.string()))
    return arrays, bad
