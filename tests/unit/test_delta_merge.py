"""Merging into a local Delta table with DuckDB: same outcome as delta-rs, fewer rewrites."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
from deltalake import DeltaTable, TableFeatures, write_deltalake

from shopsight.lake.delta import (
    create_table_from_query,
    merge_query_into_table,
    merge_rows,
    plain_parquet_files,
    register_table,
)

COLUMNS = [("id", "VARCHAR"), ("amount", "DOUBLE"),
           ("updated_at", "TIMESTAMP WITH TIME ZONE")]
SCHEMA = pa.schema([pa.field("id", pa.string()), pa.field("amount", pa.float64()),
                    pa.field("updated_at", pa.timestamp("us", tz="UTC"))])


def _rows(*rows: tuple[str, float, str]) -> str:
    values = ", ".join(f"('{i}', {a}, TIMESTAMPTZ '{t}')" for i, a, t in rows)
    return f"SELECT * FROM (VALUES {values}) v(id, amount, updated_at)"


def _table(path: Path) -> str:
    """Two files: ids a1..a3 in one, b1..b3 in the other."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for prefix in ("a", "b"):
        rows = con.sql(_rows(*[(f"{prefix}{i}", i, "2026-01-01 00:00:00") for i in (1, 2, 3)]))
        write_deltalake(str(path), rows.to_arrow_table().cast(SCHEMA), mode="append")
    return str(path)


def _content(path: str, version: int | None = None) -> list[tuple[object, ...]]:
    table = DeltaTable(path, version=version).to_pyarrow_table()
    return sorted(zip(*(table.column(c).to_pylist() for c in ("id", "amount")), strict=True))


def test_only_files_holding_a_replaced_key_are_rewritten(tmp_path: Path) -> None:
    path = _table(tmp_path / "t")
    before = set(DeltaTable(path).file_uris())
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    result = merge_query_into_table(
        con, path, _rows(("b2", 20.0, "2026-02-01 00:00:00"),   # newer: replaces b2
                         ("b3", 30.0, "2025-12-01 00:00:00"),   # older: ignored
                         ("c1", 5.0, "2026-02-01 00:00:00")),   # new key
        ("id",), "updated_at", COLUMNS)
    assert (result.version, result.inserted, result.updated) == (2, 1, 1)
    assert _content(path) == [("a1", 1.0), ("a2", 2.0), ("a3", 3.0), ("b1", 1.0),
                              ("b2", 20.0), ("b3", 3.0), ("c1", 5.0)]
    after = set(DeltaTable(path).file_uris())
    assert len(before & after) == 1 and len(after) == 2  # the a-file was not touched
    assert _content(path, version=1)[4] == ("b2", 2.0)  # history kept


def test_a_first_version_is_written_with_format_2_pages(tmp_path: Path) -> None:
    """Ids and timestamps delta-encoded (format 1 would write them plain); a column of a
    few values keeps its dictionary."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = create_table_from_query(
        con, str(tmp_path / "t"), "SELECT 'id-' || i AS id, (i % 3)::DOUBLE AS amount, "
        "TIMESTAMPTZ '2026-01-01' + i * INTERVAL 1 SECOND AS updated_at "
        "FROM range(20000) r(i)", COLUMNS)
    assert rows == 20_000
    (written,) = DeltaTable(str(tmp_path / "t")).file_uris()
    encodings = dict(con.sql(f"SELECT path_in_schema, encodings FROM parquet_metadata("
                             f"'{written}')").fetchall())
    assert encodings == {"id": "DELTA_LENGTH_BYTE_ARRAY", "amount": "RLE_DICTIONARY",
                         "updated_at": "DELTA_BINARY_PACKED"}
    assert _content(str(tmp_path / "t"))[:2] == [("id-0", 0.0), ("id-1", 1.0)]


def test_a_merge_of_nothing_new_commits_nothing_and_matches_delta_rs(tmp_path: Path) -> None:
    ours, theirs = _table(tmp_path / "ours"), _table(tmp_path / "theirs")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    stale = _rows(("a1", 9.0, "2025-01-01 00:00:00"))
    assert merge_query_into_table(con, ours, stale, ("id",), "updated_at",
                                  COLUMNS).changed == 0
    assert DeltaTable(ours).version() == 1
    change = _rows(("a1", 9.0, "2026-03-01 00:00:00"), ("z9", 1.0, "2026-03-01 00:00:00"))
    mine = merge_query_into_table(con, ours, change, ("id",), "updated_at", COLUMNS)
    other = merge_rows(con, theirs, con.sql(change).to_arrow_table().cast(SCHEMA), ("id",),
                       "updated_at")
    assert (mine.inserted, mine.updated) == (other.inserted, other.updated) == (1, 1)
    assert _content(ours) == _content(theirs)


def _unversioned(*rows: tuple[str, float]) -> str:
    values = ", ".join(f"('{i}', {a}, NULL::TIMESTAMPTZ)" for i, a in rows)
    return f"SELECT * FROM (VALUES {values}) v(id, amount, updated_at)"


def test_a_row_without_a_version_is_replaced_only_by_one_that_differs(
        tmp_path: Path) -> None:
    """An export without versions: the later file wins when it says something else,
    on both merge paths (a versioned row still beats an unversioned one)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    first = con.sql(_unversioned(("u1", 1.0), ("u2", 2.0))).to_arrow_table().cast(SCHEMA)
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    for path in (ours, theirs):
        write_deltalake(path, first, mode="error")
        write_deltalake(path, con.sql(_rows(("v1", 1.0, "2026-01-01 00:00:00")))
                        .to_arrow_table().cast(SCHEMA), mode="append")
    later = _unversioned(("u1", 1.0), ("u2", 20.0), ("v1", 10.0))  # same, differs, older
    mine = merge_query_into_table(con, ours, later, ("id",), "updated_at", COLUMNS)
    other = merge_rows(con, theirs, con.sql(later).to_arrow_table().cast(SCHEMA), ("id",),
                       "updated_at")
    assert (mine.inserted, mine.updated) == (other.inserted, other.updated) == (0, 1)
    assert _content(ours) == _content(theirs) == [("u1", 1.0), ("u2", 20.0), ("v1", 1.0)]


def test_a_registered_local_table_reads_its_current_version_only(tmp_path: Path) -> None:
    """DuckDB scans the current version's Parquet files itself, not the files a merge
    removed from the table (which are still on disk)."""
    path = _table(tmp_path / "t")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    merge_query_into_table(con, path, _rows(("b2", 20.0, "2026-02-01 00:00:00")), ("id",),
                           "updated_at", COLUMNS)
    assert len(list(Path(path).glob("*.parquet"))) == 3  # the replaced file is still there
    register_table(con, "t", path)
    assert "read_parquet" in con.execute(
        "SELECT sql FROM duckdb_views() WHERE view_name = 't'").fetchall()[0][0]
    assert sorted(con.execute("SELECT id, amount FROM t").fetchall()) == _content(path)


def test_a_table_with_reader_features_is_never_read_as_plain_parquet(tmp_path: Path) -> None:
    """With deletion vectors a file's rows are not all current: only a Delta reader may
    read such a table, never DuckDB's plain Parquet scan."""
    path = _table(tmp_path / "t")
    assert plain_parquet_files(DeltaTable(path)) is not None
    DeltaTable(path).alter.add_feature(TableFeatures.DeletionVectors,
                                       allow_protocol_versions_increase=True)
    assert plain_parquet_files(DeltaTable(path)) is None
