"""The analysts' DuckDB connection: every lake table by name, read at its current Delta
version, and no other file on disk reachable from SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from shopsight.lake.sql import connect
from shopsight.lake.store import Lake

pytestmark = pytest.mark.integration

ORDERS = pa.table({"order_id": ["O1", "O2"], "amount": [10.0, 20.0]})


def _views(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(n): str(s) for n, s in con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall()}


def test_local_tables_are_read_by_duckdb_and_nothing_else_on_disk(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    orders = lake.table_uri("curated", "orders")
    write_deltalake(orders, ORDERS)
    # a second version replaces the first file, which stays on disk (Delta history)
    write_deltalake(orders, pa.table({"order_id": ["O3"], "amount": [30.0]}), mode="overwrite")
    write_deltalake(lake.table_uri("prod", "market_pulse/regions"),
                    pa.table({"region": ["West"], "revenue": [1.5]}))
    raw = tmp_path / "lake" / "raw" / "notes.csv"
    raw.parent.mkdir(parents=True)
    raw.write_text("secret\n1\n")

    con = connect(lake)
    views = _views(con)
    assert "read_parquet" in views["orders"] and "read_parquet" in views["market_pulse_regions"]
    assert con.execute("SELECT order_id, amount FROM orders").fetchall() == [("O3", 30.0)]
    assert con.execute("SELECT region FROM market_pulse_regions").fetchall() == [("West",)]

    replaced = next(str(f) for f in (tmp_path / "lake" / "curated" / "orders").glob("*.parquet")
                    if str(f) not in views["orders"])
    for sql in (f"SELECT * FROM read_parquet('{replaced}')",  # an old version's file
                f"SELECT * FROM read_csv('{raw}')",  # the raw zone
                "SELECT * FROM read_csv('/etc/hostname')",
                f"COPY (SELECT 1) TO '{tmp_path / 'lake' / 'curated' / 'x.csv'}'",
                "SET allowed_paths = ['/etc/hostname']"):
        with pytest.raises(duckdb.Error):
            con.execute(sql).fetchall()
    assert not (tmp_path / "lake" / "curated" / "x.csv").exists()
    con.close()


def test_a_partitioned_table_is_read_through_delta_with_its_partition_values(
        tmp_path: Path) -> None:
    """Partition values live in the Delta log, not in the files: a plain Parquet scan would
    lose the column, so such a table is read as an Arrow dataset."""
    lake = Lake(str(tmp_path / "lake"))
    uri = lake.table_uri("curated", "sales")
    write_deltalake(uri, pa.table({"amount": [1.0, 2.0, 3.0], "region": ["E", "W", "W"]}),
                    partition_by=["region"])
    assert DeltaTable(uri).metadata().partition_columns == ["region"]
    con = connect(lake)
    assert "read_parquet" not in _views(con)["sales"]
    assert con.execute("SELECT region, sum(amount) FROM sales GROUP BY 1 ORDER BY 1"
                       ).fetchall() == [("E", 1.0), ("W", 5.0)]
    # the Arrow path keeps string filters working (DuckDB 2.0 must not push them down)
    assert con.execute("SELECT count(*) FROM sales WHERE region = 'W'").fetchall() == [(2,)]
    con.close()


def test_files_written_before_a_column_was_added_read_it_as_null(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    uri = lake.table_uri("curated", "orders")
    write_deltalake(uri, ORDERS)
    write_deltalake(uri, pa.table({"order_id": ["O3"], "amount": [30.0], "channel": ["web"]}),
                    mode="append", schema_mode="merge")
    assert len(DeltaTable(uri).file_uris()) == 2  # the first one has no channel column
    con = connect(lake)
    assert "read_parquet" in _views(con)["orders"]
    assert con.execute("SELECT order_id, amount, channel FROM orders ORDER BY 1").fetchall() == [
        ("O1", 10.0, None), ("O2", 20.0, None), ("O3", 30.0, "web")]
    con.close()
