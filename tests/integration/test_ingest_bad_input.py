"""Bad input: each case gives a clear message naming file, row and column, and loses nothing.

Everything runs through the real pipeline: files land in a temporary lake's raw/, curated
tables are real Delta tables, and the state store is a real SQLite file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from shopsight.errors import PathOutsideLake
from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from tests.conftest import ORDERS_HEADER, write

pytestmark = pytest.mark.integration

GOOD_ORDER = "O1,C1,2026-01-02,completed,store,0001,USD,10.50,2026-01-02 10:00:00\n"


def curated_ids(lake: Lake, table: str, key: str) -> list[str]:
    dt = DeltaTable(lake.table_uri("curated", table))
    return sorted(str(v) for v in dt.to_pyarrow_table(columns=[key]).column(key).to_pylist())


def rejected_rows(lake: Lake, rejected_key: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(lake.read_bytes(rejected_key).decode())))


def ingest_one(ingestor: Ingestor, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    summary = ingestor.ingest_paths([path], **kw)  # type: ignore[arg-type]
    assert len(summary.outcomes) == 1
    return summary.outcomes[0]


def test_missing_required_column_rejects_the_file_and_names_the_column(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    path = write(tmp_path / "in/orders_nodate.csv",
                 "order_id,customer_id,total_amount\nO1,C1,3.00\n")
    out = ingest_one(base_tables, path)
    assert out.status == "rejected"
    assert "orders_nodate.csv" in out.message and "order_date" in out.message
    reason = json.loads(base_tables.lake.read_bytes(out.rejected_key or ""))
    assert reason["kind"] == "file" and "order_date" in reason["reason"]
    assert base_tables.lake.exists("raw/orders/orders_nodate.csv")  # original kept


def test_wrong_type_and_bad_date_reject_only_those_rows(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER + GOOD_ORDER
                 + "O2,C1,2026-13-45,completed,store,0001,USD,5.00,2026-01-02 10:00:00\n"
                 + "O3,C1,2026-01-03,completed,store,0001,USD,ten,2026-01-03 10:00:00\n"
                 + "O4,C1,31/02/2026,completed,store,0001,USD,4.00,2026-01-03 10:00:00\n")
    out = ingest_one(base_tables, path)
    assert out.status == "succeeded"
    assert (out.rows_read, out.rows_inserted, out.rows_rejected) == (4, 1, 3)
    assert ("row 3 column order_date: '2026-13-45' is not a day of the calendar "
            "(YYYY-MM-DD)") in out.problems
    assert any(p.startswith("row 4 column total_amount: 'ten' is not an amount")
               for p in out.problems)
    assert "row 5 column order_date: '31/02/2026' is not a date (expected YYYY-MM-DD)" in (
        out.problems)
    rows = rejected_rows(base_tables.lake, out.rejected_key or "")
    assert [r["row"] for r in rows] == ["3", "4", "5"]
    assert rows[0]["order_id"] == "O2" and "order_date" in rows[0]["reasons"]
    assert curated_ids(base_tables.lake, "orders", "order_id") == ["O1"]
    # a pattern is said in words, not as a regular expression
    stores = ingest_one(base_tables, write(
        tmp_path / "in/stores_more.csv", "store_id,name,region,country,timezone,currency\n"
        "1,Shop,Europe,de,Europe/Berlin,EUR\n"))
    assert stores.problems == [
        "row 2 column country: 'de' is not a two-letter country code in capitals, such as US",
        "row 2 column store_id: '1' is not a four-digit store id, such as 0001"]


def test_allowed_values_match_in_any_case(tmp_path: Path, base_tables: Ingestor) -> None:
    """'Completed', 'usd', 'Store': stored as the contract spells them; a value that is
    not allowed in any case is still rejected."""
    path = write(tmp_path / "in/orders_case.csv", ORDERS_HEADER
                 + "O1,C1,2026-01-02,Completed,Store,0001,usd,1.00,2026-01-02 10:00:00\n"
                 + "O2,C1,2026-01-02,SHIPPED,web,,Usd,1.00,2026-01-02 10:00:00\n"
                 + "O3,C1,2026-01-02,Versendet,web,,USD,1.00,2026-01-02 10:00:00\n")
    out = ingest_one(base_tables, path)
    rows = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table(
        columns=["order_id", "status", "channel", "currency"]).to_pylist()
    assert sorted(tuple(r.values()) for r in rows) == [
        ("O1", "completed", "store", "USD"), ("O2", "shipped", "web", "USD")]
    assert [p.split(" is not one of")[0] for p in out.problems] == [
        "row 4 column status: 'Versendet'"]


def test_amounts_as_spreadsheets_show_them_are_read(tmp_path: Path,
                                                    base_tables: Ingestor) -> None:
    """A currency sign or code, and thousands commas before a '.' decimal point, are how
    exports often write amounts; '1,234' alone is ambiguous and stays refused."""
    rows = {"O1": "\"$1,234.50\"", "O2": "€9.99", "O3": "12.50 USD", "O4": "USD 5.00",
            "O5": "\"1,234\"", "O6": "$"}
    path = write(tmp_path / "in/orders_amounts.csv", ORDERS_HEADER + "".join(
        f"{k},C1,2026-01-02,completed,store,0001,USD,{v},2026-01-02 10:00:00\n"
        for k, v in rows.items()))
    out = ingest_one(base_tables, path)
    amounts = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table(
        columns=["order_id", "total_amount"]).to_pylist()
    assert sorted((r["order_id"], r["total_amount"]) for r in amounts) == [
        ("O1", 1234.5), ("O2", 9.99), ("O3", 12.5), ("O4", 5.0)]
    assert [p.split(": ", 1)[0] for p in out.problems] == [
        "row 6 column total_amount", "row 7 column total_amount"]
    assert "'1,234' is not an amount (expected digits with a '.' decimal point" in (
        out.problems[0]) and "decimal_comma" in out.problems[0]


@pytest.mark.parametrize("content", [b"", b"\n", b"   \n"])
def test_empty_file_is_rejected_whole(tmp_path: Path, base_tables: Ingestor,
                                      content: bytes) -> None:
    out = ingest_one(base_tables, write(tmp_path / "in/orders_empty.csv", content))
    assert out.status == "rejected"
    assert "orders_empty.csv" in out.message
    assert "empty" in out.message or "header" in out.message


def test_header_only_file_loads_nothing_and_succeeds(tmp_path: Path,
                                                     base_tables: Ingestor) -> None:
    out = ingest_one(base_tables, write(tmp_path / "in/orders_none.csv", ORDERS_HEADER))
    assert (out.status, out.rows_read, out.rows_inserted) == ("succeeded", 0, 0)
    assert out.message.startswith("no rows: the file has only its header")


def test_non_utf8_cells_are_reported_with_row_and_column(tmp_path: Path,
                                                         ingestor: Ingestor) -> None:
    text = (b"store_id,name,region,country,timezone,currency\n"
            b"0001,Fifth Avenue,North America,US,America/New_York,USD\n")
    text += "0002,Caf\xe9 M\xfcnchen,Europe,DE,Europe/Berlin,EUR\n".encode("latin-1")
    out = ingest_one(ingestor, write(tmp_path / "in/stores_latin1.csv", text))
    assert out.status == "succeeded" and out.rows_rejected == 1
    assert any(p.startswith("row 3 column name: is not valid UTF-8") for p in out.problems)
    assert curated_ids(ingestor.lake, "stores", "store_id") == ["0001"]


def test_non_utf8_file_loads_with_an_encoding_in_the_mapping(tmp_path: Path,
                                                             ingestor: Ingestor) -> None:
    from shopsight.schema.mapping import parse_mapping

    text = ("store_id,name,region,country,timezone,currency\n"
            "0002,Caf\xe9 M\xfcnchen,Europe,DE,Europe/Berlin,EUR\n").encode("latin-1")
    mapping = parse_mapping({"table": "stores", "encoding": "latin-1"})
    out = ingest_one(ingestor, write(tmp_path / "in/stores_latin1.csv", text), mapping=mapping)
    assert (out.status, out.rows_inserted, out.rows_rejected) == ("succeeded", 1, 0)
    names = DeltaTable(ingestor.lake.table_uri("curated", "stores")).to_pyarrow_table()
    assert names.column("name").to_pylist() == ["Café München"]


def test_a_windows_cp1252_file_loads_with_its_encoding_in_the_mapping(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    """Excel's "CSV" on Windows: DuckDB reads no cp1252, so the file is read from a UTF-8
    copy, with the same row numbers; a byte cp1252 does not define names its line."""
    from shopsight.schema.mapping import parse_mapping

    text = ("store_id,name,region,country,timezone,currency\n"
            "0002,Caf\xe9 \u20ac M\xfcnchen,Europe,DE,Europe/Berlin,EUR\n"
            "12,Bad id,Europe,DE,Europe/Berlin,EUR\n").encode("cp1252")
    mapping = parse_mapping({"table": "stores", "encoding": "cp1252"})
    out = ingest_one(ingestor, write(tmp_path / "in/stores_excel.csv", text), mapping=mapping)
    assert (out.status, out.rows_inserted, out.rows_rejected) == ("succeeded", 1, 1)
    assert out.problems[0].startswith("row 3 column store_id")
    names = DeltaTable(ingestor.lake.table_uri("curated", "stores")).to_pyarrow_table()
    assert names.column("name").to_pylist() == ["Café € München"]
    broken = write(tmp_path / "in/stores_broken.csv", text.replace(b"Bad", b"B\x81d"))
    out = ingest_one(ingestor, broken, mapping=mapping)
    assert out.status == "rejected" and "line 3: byte 0x81 is not valid cp1252" in out.message


def test_a_file_rejected_whole_is_read_again_with_a_mapping(tmp_path: Path,
                                                           ingestor: Ingestor) -> None:
    """The fix a whole-file rejection suggests (a mapping) is not skipped as "already
    done"; the same file without one is skipped, saying it was rejected."""
    from shopsight.schema.mapping import parse_mapping

    path = write(tmp_path / "in/stores_de.csv",
                 "Filiale,Name,Region,Land,Zeitzone,Waehrung\n"
                 "0002,Berlin Mitte,Europe,DE,Europe/Berlin,EUR\n")
    first = ingest_one(ingestor, path, table="stores")
    assert first.status == "rejected" and "--mapping" in first.message
    again = ingest_one(ingestor, path, table="stores")
    assert again.status == "skipped" and "was rejected" in again.message
    mapping = parse_mapping({"table": "stores", "columns": {
        "store_id": "Filiale", "name": "Name", "region": "Region", "country": "Land",
        "timezone": "Zeitzone", "currency": "Waehrung"}})
    fixed = ingest_one(ingestor, path, mapping=mapping)
    assert (fixed.status, fixed.rows_inserted) == ("succeeded", 1)
    assert curated_ids(ingestor.lake, "stores", "store_id") == ["0002"]
    assert ingest_one(ingestor, path, mapping=mapping).status == "skipped"


@pytest.mark.parametrize(("name", "delimiter"), [
    ("orders_semicolons.csv", ";"), ("orders.tsv", "\t"), ("orders_bars.txt", "|")])
def test_the_delimiter_is_sniffed_from_the_header_and_names_match_in_any_case(
    tmp_path: Path, base_tables: Ingestor, name: str, delimiter: str
) -> None:
    text = (ORDERS_HEADER.upper() + GOOD_ORDER.replace("10.50", '"10.50"')).replace(
        ",", delimiter)
    out = ingest_one(base_tables, write(tmp_path / "in" / name, text), table="orders")
    assert (out.status, out.rows_inserted, out.rows_rejected) == ("succeeded", 1, 0)
    amounts = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table()
    assert amounts.column("total_amount").to_pylist() == [10.5]


def test_header_names_repeated_in_another_case_reject_the_file(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    path = write(tmp_path / "in/orders_notes.csv",
                 ORDERS_HEADER.rstrip("\n") + ",Note,NOTE\n" + GOOD_ORDER.rstrip("\n") + ",a,b\n")
    out = ingest_one(base_tables, path)
    assert out.status == "rejected"
    assert "repeats column(s) NOTE, Note" in out.message


def test_a_file_column_named_like_an_internal_one_is_ignored(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    """``_row`` numbers rows inside the pipeline; a file's own ``_row`` is not the
    contract's, also when a row the reader could not parse is read again as text."""
    path = write(tmp_path / "in/orders_rowcol.csv",
                 ORDERS_HEADER.rstrip("\n") + ",_row\n" + GOOD_ORDER.rstrip("\n") + ",x\n"
                 + "O2,C1,2026-01-02,completed,store,0001,USD,abc,2026-01-02 10:00:00,y\n")
    out = ingest_one(base_tables, path)
    assert (out.status, out.rows_inserted, out.rows_rejected) == ("succeeded", 1, 1)
    assert out.ignored_columns == ["_row"]
    assert "row 3 column total_amount: 'abc' is not an amount" in out.problems[0]


def test_ragged_rows_are_rejected_with_their_line(tmp_path: Path,
                                                  base_tables: Ingestor) -> None:
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER
                 + "O9,C1,2026-01-02\n" + GOOD_ORDER
                 + "O8,C1,2026-01-02,completed,store,0001,USD,1.00,2026-01-02 10:00:00,extra\n"
                 + "O7,C2,2026-01-05,completed,store,0002,EUR,2.00,2026-01-05 10:00:00\n")
    out = ingest_one(base_tables, path)
    assert (out.rows_read, out.rows_inserted, out.rows_rejected) == (4, 2, 2)
    assert "row 2 column -: row has 3 fields, the header has 9" in out.problems
    assert "row 4 column -: row has 10 fields, the header has 9" in out.problems
    rows = rejected_rows(base_tables.lake, out.rejected_key or "")
    assert [r["row"] for r in rows] == ["2", "4"]
    assert curated_ids(base_tables.lake, "orders", "order_id") == ["O1", "O7"]
    sources = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table()
    assert sorted(sources.column("_source_row").to_pylist()) == [3, 5]


@pytest.mark.parametrize(("line_end", "lines"), [("\r\n", (2, 3, 4)), ("\n\n", (3, 5, 7))],
                         ids=["crlf", "blank-lines"])
def test_ragged_rows_after_crlf_or_blank_line_ends_are_rejected_not_fatal(
    tmp_path: Path, base_tables: Ingestor, line_end: str, lines: tuple[int, int, int]
) -> None:
    """DuckDB keeps a line end at the start of the line it sets aside after a CRLF line
    end or a blank line; the row is still rejected with its field count, not the run.
    Rows keep their line numbers around the empty lines the reader skips."""
    text = (ORDERS_HEADER + GOOD_ORDER + "O9,C1,2026-01-02\n"
            + "O7,C2,2026-01-05,completed,store,0002,EUR,2.00,2026-01-05 10:00:00\n")
    path = write(tmp_path / "in/orders.csv", text.replace("\n", line_end).encode())
    out = ingest_one(base_tables, path)
    assert out.status == "succeeded"
    assert (out.rows_inserted, out.rows_rejected) == (2, 1)
    assert f"row {lines[1]} column -: row has 3 fields, the header has 9" in out.problems
    assert curated_ids(base_tables.lake, "orders", "order_id") == ["O1", "O7"]
    rows = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table()
    assert sorted(zip(rows.column("order_id").to_pylist(),
                      rows.column("_source_row").to_pylist(), strict=True)) == [
        ("O1", lines[0]), ("O7", lines[2])]


def test_rows_after_empty_lines_keep_their_line_numbers(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    """An export with empty lines (between blocks, after the header): curated rows and
    rejected rows name the file's own line numbers."""
    text = (ORDERS_HEADER + "\n" + GOOD_ORDER + "\n\n"
            + "O8,C1,2026-13-45,paid,store,0001,USD,1.00,2026-01-02 10:00:00\n\n"
            + "O7,C2,2026-01-05,completed,store,0002,EUR,2.00,2026-01-05 10:00:00\n")
    out = ingest_one(base_tables, write(tmp_path / "in/orders.csv", text))
    assert (out.rows_read, out.rows_inserted, out.rows_rejected) == (3, 2, 1)
    assert [r["row"] for r in rejected_rows(base_tables.lake, out.rejected_key or "")] == ["6"]
    rows = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table()
    assert sorted(zip(rows.column("order_id").to_pylist(),
                      rows.column("_source_row").to_pylist(), strict=True)) == [
        ("O1", 3), ("O7", 8)]


def test_duplicate_key_within_a_file_keeps_the_latest_version(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER
                 + "O1,C1,2026-01-02,shipped,store,0001,USD,10.50,2026-01-03 09:00:00\n"
                 + GOOD_ORDER + GOOD_ORDER)
    out = ingest_one(base_tables, path)
    assert (out.rows_inserted, out.rows_duplicate, out.rows_rejected) == (1, 2, 0)
    table = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table()
    assert table.column("status").to_pylist() == ["shipped"]  # newest updated_at wins
    assert "came more than once" not in out.message  # a newer version, and a plain copy


def test_duplicate_keys_without_a_newer_version_keep_the_last_dated_row(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    """Ties: a row with a version beats one without (whatever their order), and between
    equal versions the later row in the file wins (the export's last word)."""
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER
                 + "O1,C1,2026-01-02,shipped,store,0001,USD,1.00,2026-01-02 10:00:00\n"
                 + "O1,C1,2026-01-02,cancelled,store,0001,USD,2.00,\n"
                 + "O6,C1,2026-01-02,paid,store,0001,USD,14.00,2026-01-02 10:00:00\n"
                 + "O6,C1,2026-01-02,shipped,store,0001,USD,15.00,2026-01-02 10:00:00\n")
    out = ingest_one(base_tables, path)
    assert (out.rows_inserted, out.rows_duplicate) == (2, 2)
    rows = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table()
    amounts = dict(zip(rows.column("order_id").to_pylist(),
                       rows.column("total_amount").to_pylist(), strict=True))
    assert amounts == {"O1": 1.0, "O6": 15.0}
    # O6's two rows contradict each other (same version, other values): said, not guessed
    # silently
    assert ("1 key(s) came more than once with the same updated_at but other values "
            "(such as O6); the last row of each was kept") in out.message


def test_a_table_without_versions_takes_changed_rows_only(tmp_path: Path,
                                                          ingestor: Ingestor) -> None:
    """store_sales has no version column: a later file's row replaces a different one;
    the same row from another file (lineage aside) changes nothing."""
    header = ("store_id,business_date,transaction_id,line_number,product_id,quantity,"
              "unit_price,net_amount\n")
    first = ingest_one(ingestor, write(tmp_path / "in/store_sales_1.csv", header
                                       + "0001,2026-01-05,T1,1,P1,1,10,10\n"
                                       + "0001,2026-01-05,T2,1,P3,2,7,14\n"))
    assert (first.rows_inserted, first.rows_updated) == (2, 0)
    second = ingest_one(ingestor, write(tmp_path / "in/store_sales_2.csv", header
                                        + "0001,2026-01-05,T1,1,P1,1,10,10\n"
                                        + "0001,2026-01-05,T2,1,P3,3,7,21\n"))
    assert (second.rows_inserted, second.rows_updated) == (0, 1)
    rows = DeltaTable(ingestor.lake.table_uri("curated", "store_sales")).to_pyarrow_table()
    by_id = {r["transaction_id"]: r for r in rows.to_pylist()}
    assert by_id["T2"]["quantity"] == 3 and by_id["T2"]["_source_file"].endswith("_2.csv")
    assert by_id["T1"]["_source_file"].endswith("_1.csv")  # unchanged, not rewritten


def test_spaces_around_values_are_dropped_so_padded_keys_match(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    """A fixed-width export pads its values: 'O1  ' is order O1, and 'Ann ' is Ann."""
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER
                 + "O1,C1,2026-01-02,paid,store,0001,USD,1.00,2026-01-02 10:00:00\n"
                 + "O1  ,C1 ,2026-01-02,shipped ,store,0001,USD,2.00,2026-01-03 10:00:00\n")
    out = ingest_one(base_tables, path)
    assert (out.rows_inserted, out.rows_duplicate, out.rows_rejected) == (1, 1, 0)
    rows = DeltaTable(base_tables.lake.table_uri("curated", "orders")).to_pyarrow_table()
    assert rows.select(["order_id", "customer_id", "status"]).to_pylist() == [
        {"order_id": "O1", "customer_id": "C1", "status": "shipped"}]


def test_duplicate_key_across_files_newer_wins_and_older_changes_nothing(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    lake = base_tables.lake
    first = ingest_one(base_tables, write(tmp_path / "in/orders_1.csv",
                                          ORDERS_HEADER + GOOD_ORDER))
    newer = ingest_one(base_tables, write(
        tmp_path / "in/orders_2.csv", ORDERS_HEADER
        + "O1,C1,2026-01-02,returned,store,0001,USD,10.50,2026-01-09 10:00:00\n"))
    assert (first.rows_inserted, newer.rows_updated) == (1, 1)
    version = DeltaTable(lake.table_uri("curated", "orders")).version()
    older = ingest_one(base_tables, write(
        tmp_path / "in/orders_0.csv", ORDERS_HEADER
        + "O1,C1,2026-01-02,pending,store,0001,USD,10.50,2026-01-01 10:00:00\n"))
    again = ingest_one(base_tables, tmp_path / "in/orders_2.csv")
    assert (older.rows_inserted, older.rows_updated) == (0, 0)
    assert again.status == "skipped" and "already ingested" in again.message
    dt = DeltaTable(lake.table_uri("curated", "orders"))
    assert dt.version() == version  # nothing committed
    assert dt.to_pyarrow_table().column("status").to_pylist() == ["returned"]


def test_file_name_with_dot_dot_cannot_escape_the_lake(tmp_path: Path,
                                                       ingestor: Ingestor) -> None:
    with pytest.raises(PathOutsideLake, match="rename the file"):
        ingestor.ingest_keys(["raw/orders/../../../etc/passwd"])
    with pytest.raises(PathOutsideLake):
        ingestor.lake.write_bytes("../outside.csv", b"x")
    assert not (tmp_path / "outside.csv").exists()
    # a local file whose name looks like a traversal lands under raw/ with a safe name
    odd = write(tmp_path / "in" / "..orders..csv", ORDERS_HEADER)
    keys = ingestor.land(odd, table="orders")
    assert keys == ["raw/orders/orders..csv"]


def test_very_long_field_is_rejected_with_its_length(tmp_path: Path,
                                                     base_tables: Ingestor) -> None:
    long_id = "X" * 200_000
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER + GOOD_ORDER
                 + f"{long_id},C1,2026-01-02,completed,store,0001,USD,1.00,2026-01-02 10:00:00\n")
    out = ingest_one(base_tables, path)
    assert (out.rows_inserted, out.rows_rejected) == (1, 1)
    assert "row 3 column order_id: value is 200000 characters long (max 64)" in out.problems
    assert len(out.message) < 500


def test_line_over_the_reader_limit_is_set_aside_and_the_rest_kept(
        tmp_path: Path, base_tables: Ingestor) -> None:
    huge = "X" * (3 << 20)
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER + GOOD_ORDER
                 + f"{huge},C1,2026-01-02,completed,store,0001,USD,1.00,2026-01-02 10:00:00\n"
                 + "O3,C1,2026-01-02,completed,web,,USD,4.00,2026-01-02 10:00:00\n")
    out = ingest_one(base_tables, path)
    assert (out.rows_read, out.rows_inserted, out.rows_rejected) == (3, 2, 1)
    assert "row 3 column -: row is longer than 2 MiB" in out.problems
    assert "XXXX" not in out.message and len(out.message) < 500


@pytest.mark.parametrize("name,content", [
    ("orders.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)),
    ("orders.csv", b"PK\x03\x04" + bytes(100)),
    ("orders.parquet", b"this is not parquet"),
])
def test_file_that_is_not_csv_or_parquet_is_rejected(tmp_path: Path, base_tables: Ingestor,
                                                     name: str, content: bytes) -> None:
    out = ingest_one(base_tables, write(tmp_path / "in" / name, content))
    assert out.status == "rejected"
    assert name in out.message
    assert "CSV" in out.message or "Parquet" in out.message


def test_unknown_foreign_key_is_rejected_naming_the_reference(
    tmp_path: Path, base_tables: Ingestor
) -> None:
    path = write(tmp_path / "in/orders.csv", ORDERS_HEADER + GOOD_ORDER
                 + "O2,C404,2026-01-02,completed,web,,USD,3.00,2026-01-02 10:00:00\n"
                 + "O3,C1,2026-01-0x,completed,web,,USD,4.00,2026-01-02 10:00:00\n")
    out = ingest_one(base_tables, path)
    assert "row 3 column customer_id: 'C404' is not a known customers.customer_id" in (
        out.problems)
    assert out.rows_rejected == 2 and out.rejected_key
    rows = {r["row"]: r for r in rejected_rows(base_tables.lake, out.rejected_key)}
    # a row rejected only for its reference keeps its values; a bad value is kept as sent
    assert rows["3"]["order_id"] == "O2" and rows["3"]["total_amount"] == "3.0"
    assert rows["3"]["reasons"] == ("customer_id: 'C404' is not a known "
                                    "customers.customer_id")
    assert rows["4"]["order_id"] == "O3" and rows["4"]["order_date"] == "2026-01-0x"
    assert "order_date: '2026-01-0x' is not a date" in rows["4"]["reasons"]


def test_parquet_input_is_validated_like_csv(tmp_path: Path, base_tables: Ingestor) -> None:
    table = pa.table({
        "order_id": ["P1", "P2"], "customer_id": ["C1", "C2"],
        "order_date": pa.array([19000, None], pa.date32()),
        "total_amount": [12.5, 3.0],
    })
    path = tmp_path / "in/orders_export.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    out = ingest_one(base_tables, path)
    assert (out.rows_inserted, out.rows_rejected) == (1, 1)
    assert "row 2 column order_date: missing value (required)" in out.problems


def test_a_file_for_no_known_table_is_rejected_with_advice(tmp_path: Path,
                                                           ingestor: Ingestor) -> None:
    out = ingest_one(ingestor, write(tmp_path / "in/misc/notes.csv", "a,b\n1,2\n"))
    assert out.status == "rejected"
    assert "--table" in out.message


def test_a_key_repeated_with_a_newer_version_is_not_a_conflict(
        tmp_path: Path, base_tables: Ingestor) -> None:
    """Two rows of a version that is not kept disagree: the newest version decides, no
    guess is made, nothing is reported."""
    out = ingest_one(base_tables, write(tmp_path / "in/orders.csv", ORDERS_HEADER
                     + "O7,C1,2026-01-02,paid,store,0001,USD,1.00,2026-01-02 10:00:00\n"
                     + "O7,C1,2026-01-02,paid,store,0001,USD,2.00,2026-01-02 10:00:00\n"
                     + "O7,C1,2026-01-02,paid,store,0001,USD,3.00,2026-01-04 10:00:00\n"))
    assert (out.rows_inserted, out.rows_duplicate) == (1, 2)
    assert "came more than once" not in out.message
