"""Reading raw bytes: formats, row numbers, ragged rows and encodings."""

from __future__ import annotations

import pytest

from shopsight.errors import InputRejected
from shopsight.pipeline.raw_files import _row_numbers, read_raw_file


def test_row_numbers_step_over_skipped_lines() -> None:
    assert list(_row_numbers(4, [])) == [2, 3, 4, 5]
    assert list(_row_numbers(3, [3])) == [2, 4, 5]
    assert list(_row_numbers(3, [2, 3, 6])) == [4, 5, 7]


def test_csv_is_read_as_text_with_nulls_left_to_the_contract() -> None:
    parsed = read_raw_file("x.csv", b'a,b\n1,"x, y"\n\\N,\n')
    assert parsed.columns == ["a", "b"]
    assert parsed.table.column("a").to_pylist() == ["1", "\\N"]
    assert parsed.table.column("b").to_pylist() == ["x, y", ""]
    assert parsed.table.column("_row").to_pylist() == [2, 3]


def test_bom_and_crlf_are_handled() -> None:
    parsed = read_raw_file("x.csv", b"\xef\xbb\xbfa,b\r\n1,2\r\n")
    assert parsed.columns == ["a", "b"]
    assert parsed.table.column("b").to_pylist() == ["2"]


def test_repeated_header_columns_are_refused() -> None:
    with pytest.raises(InputRejected, match="repeats column"):
        read_raw_file("x.csv", b"a,a\n1,2\n")
