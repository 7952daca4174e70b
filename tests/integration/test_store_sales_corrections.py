"""A store's daily sales file holds the whole day: a corrected file ingested later replaces
the store's day in curated, as a corrected upload does (lines it no longer has are
removed), and touches no other store or day."""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable

from shopsight.pipeline.ingest import Ingestor, IngestOutcome
from tests.conftest import write

HEADER = ("store_id,business_date,transaction_id,line_number,product_id,quantity,"
          "unit_price,net_amount\n")


def line(store: str, day: str, transaction: str, number: int, quantity: int) -> str:
    return f"{store},2026-01-{day},{transaction},{number},P1,{quantity},10,{quantity * 10}\n"


def ingest(ingestor: Ingestor, path: Path) -> IngestOutcome:
    (outcome,) = ingestor.ingest_paths([path], table="store_sales").outcomes
    return outcome


def curated(ingestor: Ingestor) -> dict[tuple[str, str, str, int], tuple[int, str]]:
    """(store, day, transaction, line) -> (quantity, the file it came from)."""
    rows = DeltaTable(ingestor.lake.table_uri("curated", "store_sales")).to_pyarrow_table()
    return {(r["store_id"], str(r["business_date"]), r["transaction_id"], r["line_number"]):
            (r["quantity"], r["_source_file"].rsplit("/", 1)[-1]) for r in rows.to_pylist()}


def test_a_corrected_file_replaces_its_store_day_and_nothing_else(
        tmp_path: Path, ingestor: Ingestor) -> None:
    first = ingest(ingestor, write(tmp_path / "in/sales_1.csv", HEADER
                                   + line("0001", "05", "T1", 1, 1)
                                   + line("0001", "05", "T1", 2, 2)
                                   + line("0001", "05", "T2", 1, 3)
                                   + line("0002", "05", "T1", 1, 4)    # another store
                                   + line("0001", "06", "T1", 1, 5)))  # another day
    assert (first.rows_inserted, first.rows_removed) == (5, 0)
    correction = write(tmp_path / "in/sales_1_fixed.csv", HEADER
                       + line("0001", "05", "T1", 1, 1)    # unchanged
                       + line("0001", "05", "T1", 2, 7))   # changed; T2 line 1 is gone
    fixed = ingest(ingestor, correction)
    assert (fixed.rows_inserted, fixed.rows_updated, fixed.rows_removed) == (0, 1, 1)
    assert "1 row(s) removed" in fixed.message
    assert curated(ingestor) == {
        ("0001", "2026-01-05", "T1", 1): (1, "sales_1.csv"),
        ("0001", "2026-01-05", "T1", 2): (7, "sales_1_fixed.csv"),
        ("0002", "2026-01-05", "T1", 1): (4, "sales_1.csv"),
        ("0001", "2026-01-06", "T1", 1): (5, "sales_1.csv"),
    }
    version = DeltaTable(ingestor.lake.table_uri("curated", "store_sales")).version()
    again = ingest(ingestor, write(tmp_path / "in/sales_1_fixed_again.csv", HEADER
                                   + line("0001", "05", "T1", 2, 7)   # the same lines,
                                   + line("0001", "05", "T1", 1, 1)))  # in another order
    assert (again.status, again.rows_updated, again.rows_removed) == ("succeeded", 0, 0)
    assert again.table_version == version  # nothing to change: nothing committed


def test_a_line_whose_correction_is_rejected_keeps_its_row(
        tmp_path: Path, ingestor: Ingestor) -> None:
    """Nothing is lost: the rejected line is in rejected/, and the table keeps the line
    it had until a readable correction arrives."""
    ingest(ingestor, write(tmp_path / "in/sales_1.csv", HEADER
                           + line("0001", "05", "T1", 1, 1) + line("0001", "05", "T2", 1, 3)))
    fixed = ingest(ingestor, write(tmp_path / "in/sales_2.csv", HEADER
                                   + line("0001", "05", "T1", 1, 2)
                                   + line("0001", "05", "T2", 1, 0)))  # quantity below 1
    assert (fixed.rows_updated, fixed.rows_rejected, fixed.rows_removed) == (1, 1, 0)
    assert curated(ingestor) == {("0001", "2026-01-05", "T1", 1): (2, "sales_2.csv"),
                                 ("0001", "2026-01-05", "T2", 1): (3, "sales_1.csv")}


def test_a_data_file_whose_rows_are_all_removed_leaves_the_table(
        tmp_path: Path, ingestor: Ingestor) -> None:
    """A line added by a later file sits in a data file of its own; when a correction
    removes it, the commit drops that file and adds none (no empty file)."""
    ingest(ingestor, write(tmp_path / "in/sales_1.csv", HEADER + line("0001", "05", "T1", 1, 1)))
    added = ingest(ingestor, write(tmp_path / "in/sales_2.csv", HEADER
                                   + line("0001", "05", "T1", 1, 1)
                                   + line("0001", "05", "T2", 1, 3)))
    assert (added.rows_inserted, added.rows_updated) == (1, 0)
    table = DeltaTable(ingestor.lake.table_uri("curated", "store_sales"))
    assert len(table.file_uris()) == 2
    fixed = ingest(ingestor, write(tmp_path / "in/sales_3.csv", HEADER
                                   + line("0001", "05", "T1", 1, 1) + "\n"))
    assert (fixed.rows_inserted, fixed.rows_updated, fixed.rows_removed) == (0, 0, 1)
    table = DeltaTable(ingestor.lake.table_uri("curated", "store_sales"))
    assert added.table_version is not None
    assert fixed.table_version == table.version() == added.table_version + 1
    assert len(table.file_uris()) == 1
    assert curated(ingestor) == {("0001", "2026-01-05", "T1", 1): (1, "sales_1.csv")}
    # the removed file stays on disk for time travel (until a vacuum); no new one
    folder = Path(ingestor.lake.local_path("curated/store_sales"))
    assert len(list(folder.glob("*.parquet"))) == 2


def test_a_correction_without_a_column_does_not_inherit_the_replaced_lines_values(
        tmp_path: Path, ingestor: Ingestor) -> None:
    """A file replacing its store-day says all there is of it: a discount the corrected
    file no longer has is gone, not carried over from the line it replaces."""
    ingest(ingestor, write(tmp_path / "in/sales_1.csv", HEADER.replace(
        "net_amount\n", "net_amount,discount_amount\n") + "0001,2026-01-05,T1,1,P1,1,10,5,5\n"))
    ingest(ingestor, write(tmp_path / "in/sales_2.csv", HEADER
                           + line("0001", "05", "T1", 1, 2)))
    rows = DeltaTable(ingestor.lake.table_uri("curated", "store_sales")).to_pyarrow_table(
        columns=["quantity", "discount_amount", "net_amount"]).to_pylist()
    assert rows == [{"quantity": 2, "discount_amount": None, "net_amount": 20.0}]
