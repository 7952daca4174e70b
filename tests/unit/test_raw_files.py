"""Loading raw files into DuckDB: formats, row numbers, ragged rows and encodings."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shopsight.errors import InputRejected
from shopsight.pipeline.raw_files import (
    RAW_TEXT,
    line_count,
    line_feeds,
    load_raw_file,
    recordless_lines,
)


def load(tmp_path: Path, content: bytes, name: str = "x.csv", **kw: str):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(content)
    con = duckdb.connect()
    raw = load_raw_file(con, name, str(path), content, **kw)
    rows = con.execute(f"SELECT * FROM {RAW_TEXT} ORDER BY _row").fetchall()
    return raw, rows


def test_csv_is_read_as_text_with_row_numbers(tmp_path: Path) -> None:
    raw, rows = load(tmp_path, b'a,b\n1,"x, y"\n\\N,\n')
    assert raw.columns == ["a", "b"] and raw.rows == 2
    assert rows == [("1", "x, y", 2), ("\\N", None, 3)]


def test_ragged_rows_are_set_aside_and_later_rows_keep_their_line(tmp_path: Path) -> None:
    raw, rows = load(tmp_path, b"a,b\n1,2\n3\n4,5\n6,7,8\n9,10\n")
    assert [r[-1] for r in rows] == [2, 4, 6]
    assert raw.rows == 5
    assert [(r, m) for r, _, m in raw.bad_rows] == [
        (3, "row has 1 fields, the header has 2"), (5, "row has 3 fields, the header has 2")]


def test_bom_and_crlf_are_handled(tmp_path: Path) -> None:
    raw, rows = load(tmp_path, b"\xef\xbb\xbfa,b\r\n1,2\r\n")
    assert raw.columns == ["a", "b"]
    assert rows == [("1", "2", 2)]


def test_latin1_is_read_when_declared(tmp_path: Path) -> None:
    _, rows = load(tmp_path, "a\nCaf\xe9\n".encode("latin-1"), encoding="latin-1")
    assert rows == [("Café", 2)]


def test_repeated_header_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="repeats column"):
        load(tmp_path, b"a,a\n1,2\n")


def test_parquet_rows_keep_their_record_number_across_row_groups(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 300_000
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"id": pa.array(range(n), pa.int64()),
                             "v": pa.array([f"x{i}" for i in range(n)])}),
                   path, row_group_size=10_000)
    con = duckdb.connect()
    raw = load_raw_file(con, "big.parquet", str(path), path.read_bytes()[:1 << 20])
    assert raw.rows == n and raw.file_format == "parquet"
    mismatched = con.execute(
        f"SELECT count(*) FROM {RAW_TEXT} WHERE CAST(id AS BIGINT) + 1 <> _row").fetchall()
    assert mismatched == [(0,)]


def test_csv_rows_keep_their_line_number_in_a_large_file(tmp_path: Path) -> None:
    n = 300_000
    path = tmp_path / "big.csv"
    path.write_text("id,v\n" + "".join(f"{i},x{i}\n" for i in range(n)))
    con = duckdb.connect()
    raw = load_raw_file(con, "big.csv", str(path), path.read_bytes()[:1 << 20])
    assert raw.rows == n
    mismatched = con.execute(
        f"SELECT count(*) FROM {RAW_TEXT} WHERE CAST(id AS BIGINT) + 2 <> _row").fetchall()
    assert mismatched == [(0,)]


@pytest.mark.parametrize("text", [
    b"h\n1\n\n2\n\n\n3\n", b"h\r\n\r\n1\r\n\r\n", b"h\n1\n", b"h\n1\n\n", b"h\n\n"])
def test_empty_lines_are_found_across_chunk_boundaries(tmp_path: Path, text: bytes) -> None:
    """The scan agrees with a plain split wherever its chunks cut the line ends, and the
    line count with the split's lines."""
    lines = text.replace(b"\r\n", b"\n").split(b"\n")[:-1]
    expected = [n for n, line in enumerate(lines, start=1) if not line]
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    for size in (1, 2, 3, 4, 1 << 20):
        found = recordless_lines(str(path), size)
        assert (found.empty, found.continued) == (expected, []), size
    assert line_count(line_feeds(text), text[-1:]) == len(lines)
    assert line_count(1, b"1") == 2 and line_count(0, b"") == 0  # "h\n1": no last line end


QUOTED_BREAKS = (b'a,b\n1,"x\ny"\n\n2,z\n3,w,extra\n4,"\n\n"\n5,"p\r\nq\nr"\n'
                 b'6,u,x\n7,"say ""hi""\nthere"\n8,t\n')


def test_records_with_quoted_line_breaks_keep_the_line_they_start_on(tmp_path: Path) -> None:
    """A value with a line break in it (an address, a note) spans lines: the records after
    it keep their own line numbers, rejected ones too, and an empty line inside a quoted
    value is part of the value."""
    raw, rows = load(tmp_path, QUOTED_BREAKS)
    assert [(r[0], r[2]) for r in rows] == [
        ("1", 2), ("2", 5), ("4", 7), ("5", 10), ("7", 14), ("8", 16)]
    assert rows[2][1] == "\n\n" and rows[4][1] == 'say "hi"\nthere'
    assert [line for line, _, _ in raw.bad_rows] == [6, 13]
    # the same with the line count the ingest passes: the scan is not skipped
    lines = line_count(line_feeds(QUOTED_BREAKS), QUOTED_BREAKS[-1:])
    path = tmp_path / "counted.csv"
    path.write_bytes(QUOTED_BREAKS)
    con = duckdb.connect()
    counted = load_raw_file(con, path.name, str(path), QUOTED_BREAKS, lines=lines)
    assert counted.bad_rows == raw.bad_rows
    assert con.execute(f"SELECT list(_row ORDER BY _row) FROM {RAW_TEXT}").fetchall() == [
        ([2, 5, 7, 10, 14, 16],)]


def test_a_stray_quote_in_an_unquoted_value_does_not_shift_the_row_numbers(
        tmp_path: Path) -> None:
    """DuckDB reads the quote of 'TV 55"' as a character; counting it as the start of a
    quoted value would take every later line for a continued one."""
    text = b'a,b\n1,TV 55"\n2,x\n3,y,extra\n4,z\n\n'
    raw, rows = load(tmp_path, text)
    assert [(r[0], r[2]) for r in rows] == [("1", 2), ("2", 3), ("4", 5)]
    assert [line for line, _, _ in raw.bad_rows] == [4]
    raw, rows = load(tmp_path, b'a,b\n1,TV 55" caf\xe9\n2,x\n3,y,extra\n4,z\n',
                     encoding="cp1252")
    assert [(r[0], r[2]) for r in rows] == [("1", 2), ("2", 3), ("4", 5)]
    assert [line for line, _, _ in raw.bad_rows] == [4]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 1 << 20])
def test_recordless_lines_are_found_wherever_the_chunks_cut(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(QUOTED_BREAKS)
    found = recordless_lines(str(path), size)
    assert (found.empty, found.continued) == ([4], [3, 8, 9, 11, 12, 15])
    assert (found.lines, found.records(), found.blank) == (16, 9, [4, 8])
    # what the reader numbers 5 (rejected "3,w,extra") and 8 ("6,u,x") start on
    assert (found.line_of(5), found.line_of(8), found.line_of(1)) == (6, 13, 1)


def test_mixed_line_ends_are_read_with_their_line_numbers(tmp_path: Path) -> None:
    """Files pasted together from Windows and Unix tools end lines in both CRLF and LF,
    which DuckDB's strict reader refuses: they are read from a copy with LF line ends,
    ragged rows still rejected one by one."""
    raw, rows = load(tmp_path, b"a,b\n1,x\r\n2,y,extra\n\r\n3,z\n4,w\r\n")
    assert rows == [("1", "x", 2), ("3", "z", 5), ("4", "w", 6)]
    assert raw.bad_rows == [(3, "", "row has 3 fields, the header has 2")]
    with pytest.raises(InputRejected, match="line end"):
        load(tmp_path, b"a,b\n1,x\r\r\n2,y\n")
    # a mix the strict reader does not refuse but misreads (a quoted CRLF, then LF ends)
    raw, rows = load(tmp_path, b'a,b,c\r\n1,x,\r\n2,y,"p\r\nq"\n3,z,\n4,w,\r\n\r\n5,v,\n')
    assert rows == [("1", "x", None, 2), ("2", "y", "p\nq", 3), ("3", "z", None, 5),
                    ("4", "w", None, 6), ("5", "v", None, 8)]
    assert raw.bad_rows == []
    # a file read from a UTF-8 copy (cp1252) has its line ends made alike too
    _, rows = load(tmp_path, b"a,b\n1,caf\xe9\r\n2,y\n", encoding="cp1252")
    assert rows == [("1", "caf\u00e9", 2), ("2", "y", 3)]


@pytest.mark.parametrize("size", [1, 2, 3, 1 << 20])
def test_the_lf_copy_keeps_every_line_wherever_the_chunks_cut(tmp_path: Path,
                                                              size: int) -> None:
    from shopsight.pipeline.raw_files import _lf_copy

    path = tmp_path / "f.csv"
    path.write_bytes(b"h\r\n1\r\n\r\n2\n3\r\r\n")
    with _lf_copy(str(path), size) as copy:
        assert Path(copy).read_bytes() == b"h\n1\n\n2\n3\r\n"
