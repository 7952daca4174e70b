"""raw → curated on the demo data, checked against the dirt planted in truth/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from deltalake import DeltaTable

from shopsight.lake.sql import connect
from shopsight.quality.pci import redact
from tests.conftest import DemoLake

pytestmark = pytest.mark.integration

REJECTABLE = {"bad_date", "negative_quantity", "unknown_fk", "orphan"}


def dirt(demo: DemoLake) -> list[dict[str, str]]:
    with (demo.truth / "dirt.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def rejected_positions(demo: DemoLake) -> set[tuple[str, int]]:
    found = set()
    for item in demo.lake.list_files("rejected"):
        if item.key.endswith(".rows.csv"):
            source = item.key  # rejected/<table>/<stem>-<sha>.rows.csv
            outcome = next(o for o in demo.summary.outcomes  # type: ignore[attr-defined]
                           if o.rejected_key == source)
            rows = csv.DictReader(demo.lake.read_bytes(item.key).decode().splitlines())
            found |= {(outcome.file_key, int(r["row"])) for r in rows}
    return found


def test_exactly_the_planted_bad_rows_are_rejected(demo_lake: DemoLake) -> None:
    planted = {(d["key"], int(d["row"])) for d in dirt(demo_lake) if d["kind"] in REJECTABLE}
    assert len(planted) > 500
    assert rejected_positions(demo_lake) == planted


def test_every_file_landed_and_counts_add_up(demo_lake: DemoLake) -> None:
    outcomes = demo_lake.summary.outcomes  # type: ignore[attr-defined]
    assert {o.status for o in outcomes} == {"succeeded"}
    assert {o.table for o in outcomes} == {"stores", "products", "customers", "orders",
                                           "order_items", "payments", "inventory"}
    duplicates = [d for d in dirt(demo_lake) if d["kind"] == "duplicate"]
    assert sum(o.rows_duplicate for o in outcomes) >= len(duplicates)
    history = demo_lake.state.ingest_history()
    assert {r.file_key for r in history} == {o.file_key for o in outcomes}
    assert all(r.finished_at >= r.started_at and r.rows_read > 0 for r in history)


def test_late_updates_win_and_stale_ones_do_not(demo_lake: DemoLake) -> None:
    orders = DeltaTable(demo_lake.lake.table_uri("curated", "orders")).to_pyarrow_table(
        columns=["order_id", "status", "_source_file"])
    source = dict(zip(orders.column("order_id").to_pylist(),
                      orders.column("_source_file").to_pylist(), strict=True))
    incr = next(d["key"] for d in dirt(demo_lake) if d["kind"] == "late_update")
    lines = demo_lake.lake.read_bytes(incr).decode().splitlines()
    checked = 0
    for d in (d for d in dirt(demo_lake) if d["key"] == incr):
        order_id = lines[int(d["row"]) - 1].split(",")[0]
        if d["kind"] == "late_update":
            assert source[order_id] == incr, order_id
        elif d["kind"] == "stale_update":
            assert source[order_id] != incr, order_id
        checked += d["kind"] in ("late_update", "stale_update")
    assert checked > 20


def test_curated_is_queryable_and_free_of_card_numbers(demo_lake: DemoLake) -> None:
    con = connect(demo_lake.lake)
    tables = {name for (name,) in con.execute("SHOW TABLES").fetchall()}
    assert {"orders", "order_items", "payments", "customers", "products", "stores",
            "inventory"} <= tables
    (unmasked,) = con.execute(
        "SELECT count(*) FROM payments WHERE card_number IS NOT NULL "
        "AND NOT regexp_full_match(card_number, '[0-9]{6}\\*+[0-9]{4}')").fetchall()[0]
    assert unmasked == 0
    root = Path(demo_lake.lake.root)
    import pyarrow as pa
    import pyarrow.parquet as pq

    for path in [*root.glob("curated/**/*.parquet"), *root.glob("rejected/**/*")]:
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            text = "\n".join(str(v) for name in table.column_names
                             if pa.types.is_string(table.schema.field(name).type)
                             for v in table.column(name).to_pylist())
        else:
            text = path.read_text()
        assert redact(text) == text, f"card number or SSN in {path}"


def test_lake_connection_filters_on_text_columns(demo_lake: DemoLake) -> None:
    con = connect(demo_lake.lake)
    (count,) = con.execute("SELECT count(*) FROM stores WHERE store_id = '0003'").fetchall()[0]
    assert count == 1
    (count,) = con.execute("SELECT count(*) FROM orders WHERE store_id IN ('0001', '0002') "
                           "AND channel = 'store'").fetchall()[0]
    assert count > 100


def test_curated_tables_have_the_contract_schema(demo_lake: DemoLake) -> None:
    """First versions are written by DuckDB and committed to Delta: the Delta schema must
    be exactly the contract's curated schema, and the row counts in the log right."""
    from deltalake import Schema

    from shopsight.lake.delta import arrow_schema, delta_schema
    from shopsight.pipeline.ingest import curated_columns
    from shopsight.schema import get_table

    for name in ("stores", "products", "customers", "orders", "order_items", "payments",
                 "inventory"):
        table = DeltaTable(demo_lake.lake.table_uri("curated", name))
        columns = curated_columns(get_table(name))
        assert table.schema() == delta_schema(columns), name
        # object-store lakes write through Arrow: the same Delta schema that way
        assert Schema.from_arrow(arrow_schema(columns)) == delta_schema(columns), name
        logged = sum(table.get_add_actions(flatten=True).column("num_records").to_pylist())
        assert logged == table.to_pyarrow_dataset().count_rows() > 0, name
