"""A file with only some of a table's columns (an email update, a minimal export) changes
only the columns it has: the table's other values are kept, and contract defaults fill
only new rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake import DeltaTable

from shopsight.pipeline.ingest import Ingestor
from tests.conftest import ORDERS_HEADER, write
from tests.integration import test_ingest_batches as batches
from tests.integration.test_ingest_batches import _dispose_states, order

pytestmark = pytest.mark.integration
__all__ = ["_dispose_states"]  # the fixture closes the states the tests open


# one refunded order O1 with a version
REFUNDED = ORDERS_HEADER + order("O1", 1, "2026-01-05 00:00:00").replace(",paid,", ",refunded,")


def prepared(root: Path) -> Ingestor:
    """Stores, customers, and the refunded order O1."""
    return batches.prepared(root, REFUNDED)


def rows(ingestor: Ingestor, table: str, columns: list[str]) -> list[tuple[object, ...]]:
    data = DeltaTable(ingestor.lake.table_uri("curated", table)).to_pyarrow_table(
        columns=columns)
    return sorted(zip(*(c.to_pylist() for c in data.columns), strict=True))


def test_a_file_with_some_columns_keeps_the_tables_other_values(tmp_path: Path) -> None:
    ingestor = prepared(tmp_path)
    before = {r[0]: r[1:] for r in rows(ingestor, "customers", [
        "customer_id", "first_name", "email", "phone", "home_store_id"])}
    outcome = ingestor.ingest_paths([write(
        tmp_path / "in/customers_email.csv",
        "customer_id,email,updated_at\nC1,ann@new.example,2026-02-01 00:00:00\n"
        "C3,cid@example.com,2026-02-01 00:00:00\n")]).outcomes[0]

    assert (outcome.rows_inserted, outcome.rows_updated) == (1, 1)
    after = {r[0]: r[1:] for r in rows(ingestor, "customers", [
        "customer_id", "first_name", "email", "phone", "home_store_id"])}
    assert after["C1"][0] == before["C1"][0] == "Ann"          # kept
    assert after["C1"][2:] == before["C1"][2:]                 # phone, store kept
    assert after["C1"][1] != before["C1"][1]                   # the email changed...
    assert after["C1"][1].startswith("pz_")                   # ...and is masked
    assert after["C2"] == before["C2"]
    assert after["C3"][0] is None and after["C3"][1].startswith("pz_")  # new: as given


def test_defaults_fill_new_rows_not_the_tables(tmp_path: Path) -> None:
    ingestor = prepared(tmp_path)
    minimal = "order_id,customer_id,order_date,total_amount\nO1,C1,2026-01-02,50.00\n" \
              "O2,C2,2026-01-03,7.00\n"
    outcome = ingestor.ingest_paths([write(tmp_path / "in/orders_min.csv", minimal)]).outcomes[0]
    # O1 has a version in the table and none here: unchanged; O2 is new, with defaults
    assert (outcome.rows_inserted, outcome.rows_updated) == (1, 0)
    assert rows(ingestor, "orders", ["order_id", "status", "currency", "total_amount"]) == [
        ("O1", "refunded", "USD", 1.0), ("O2", "completed", "USD", 7.0)]

    corrected = minimal.replace(",7.00", ",8.00")  # no version either: it differs, it wins
    write(tmp_path / "in/orders_1_status.csv",
          "order_id,order_date,total_amount,status\nO2,2026-01-03,7.00,cancelled\n")
    outcomes = ingestor.ingest_paths([tmp_path / "in/orders_1_status.csv",
                                      write(tmp_path / "in/orders_2_min.csv", corrected)]).outcomes
    assert [(o.rows_inserted, o.rows_updated) for o in outcomes] == [(0, 1), (0, 1)]
    # the status file left the amount alone; the minimal file left the status alone
    assert rows(ingestor, "orders", ["order_id", "status", "currency", "total_amount"]) == [
        ("O1", "refunded", "USD", 1.0), ("O2", "cancelled", "USD", 8.0)]


def test_files_of_different_columns_together_give_what_one_by_one_gives(
        tmp_path: Path) -> None:
    files = {
        "orders_a.csv": ORDERS_HEADER + order("O2", 5, "2026-01-06 00:00:00")
        + order("O1", 6, "2026-01-06 00:00:00"),
        "orders_b.csv": "order_id,order_date,total_amount,status,updated_at\n"
                        "O1,2026-01-02,6.00,cancelled,2026-01-07 00:00:00\n",
        "orders_c.csv": "order_id,order_date,total_amount,updated_at\n"
                        "O1,2026-01-02,9.00,2026-01-08 00:00:00\n"
                        "O2,2026-01-02,10.00,2026-01-04 00:00:00\n",
    }
    together, one_by_one, _ = batches.ingested_both_ways(tmp_path, files, REFUNDED)
    wanted = ["order_id", "status", "total_amount", "updated_at", "_source_file"]
    assert rows(together, "orders", wanted) == rows(one_by_one, "orders", wanted)
    assert [r[:3] for r in rows(together, "orders", wanted)] == [
        ("O1", "cancelled", 9.0), ("O2", "paid", 5.0)]
