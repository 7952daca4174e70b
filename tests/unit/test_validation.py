"""Typing of raw text by the contract."""

from __future__ import annotations

import duckdb


def test_timestamps_with_offsets_are_converted_to_utc() -> None:
    from shopsight.quality.validation import typed_value
    from shopsight.schema import get_table

    col = get_table("orders").column("ordered_at")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")

    def parse(text: str) -> str:
        return str(con.execute(f"SELECT {typed_value(col, repr(text))}").fetchall()[0][0])

    assert parse("2026-01-01 10:00:00") == "2026-01-01 10:00:00"
    assert parse("2026-01-01T10:00:00") == "2026-01-01 10:00:00"
    assert parse("2026-01-01 10:00+02") == "2026-01-01 08:00:00"
    assert parse("2026-01-01 10:00:00-05:00") == "2026-01-01 15:00:00"
    assert parse("2026-13-01 10:00:00") == "None"
