"""The data contract is consistent and documents itself."""

from __future__ import annotations

import pytest

from shopsight.errors import ContractError, MappingError
from shopsight.schema import TABLES, get_table, table_for_name
from shopsight.schema.docs import contract_markdown
from shopsight.schema.mapping import parse_mapping
from shopsight.schema.model import Column, ColumnType, Masking, Privacy, Table


def test_every_table_has_a_declared_key_and_known_references() -> None:
    names = {t.name for t in TABLES}
    assert {"customers", "products", "stores", "orders", "order_items", "payments",
            "inventory", "store_sales"} <= names
    for table in TABLES:
        assert table.primary_key
        for column, ref_table, ref_column in table.foreign_keys:
            assert ref_table in names, (table.name, column)
            assert ref_column in get_table(ref_table).column_names
            assert get_table(ref_table).order < table.order, "referenced tables load first"


def test_a_file_replaces_groups_of_its_key_only() -> None:
    """store_sales files are whole store-days; a group outside the key could not be told
    from the rows a file holds."""
    assert get_table("store_sales").file_replaces == ("store_id", "business_date")
    assert "replaces every row of each (`store_id`, `business_date`)" in contract_markdown()
    columns = (Column("day", ColumnType.DATE, "Day."), Column("id", ColumnType.STRING, "Id."),
               Column("note", ColumnType.STRING, "Note."))
    with pytest.raises(ValueError, match="file_replaces"):
        Table(name="t", description="t", columns=columns, primary_key=("day", "id"),
              file_replaces=("note",))


def test_a_card_number_has_13_to_19_digits_however_it_is_spaced() -> None:
    """Anything else is not a card number: a 20-digit value used to be stored as '****'."""
    card = get_table("payments").column("card_number")
    for good in ("4111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111",
                 "6011 1111 1111 1111 117"):
        assert card.matches_pattern(good), good
    for bad in ("411111111111", "41111111111111111111", "4111  1111 1111 1111",
                "4111 1111 1111 1111 ", "-4111111111111111", "4111-1111-1111-111X"):
        assert not card.matches_pattern(bad), bad


def test_card_data_is_pci_and_never_reaches_curated_in_clear() -> None:
    payments = get_table("payments")
    assert payments.column("card_number").privacy is Privacy.PCI
    assert payments.column("card_number").masking is Masking.PAN
    assert payments.column("cvv").masking is Masking.DROP
    curated = [name for name, _, _ in payments.curated_columns]
    assert "cvv" not in curated and "card_number_token" in curated
    assert "ssn" not in [n for n, _, _ in get_table("customers").curated_columns]


def test_table_names_are_found_from_file_names() -> None:
    assert table_for_name("orders_full_20261120").name == "orders"  # type: ignore[union-attr]
    assert table_for_name("order_items_20261120").name == "order_items"  # type: ignore[union-attr]
    assert table_for_name("inventory_snapshots").name == "inventory"  # type: ignore[union-attr]
    assert table_for_name("ordersheet") is None
    # a table named for one of its rows is found as a table name, not as a file name's
    # start: "store" or "order" would claim folders and files of other tables
    assert get_table("customer").name == "customers"
    assert [getattr(table_for_name(n), "name", None) for n in (
        "store_exports", "order-items-2026", "store_sales_0001", "customer_list")] == [
        None, None, "store_sales", None]
    with pytest.raises(ContractError, match="known tables"):
        get_table("invoices")


def test_markdown_documents_every_column_with_its_privacy_class() -> None:
    text = contract_markdown()
    for table in TABLES:
        assert f"## `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    assert "| `cvv` | string | no | matches ^[0-9]{3,4}$ | PCI | dropped" in text


def test_mapping_is_checked_against_the_contract() -> None:
    mapping = parse_mapping({
        "table": "orders",
        "columns": {"order_id": "OrderNo", "order_date": {"from": "Date", "format": "%d/%m/%Y"}},
        "constants": {"currency": "EUR"},
    })
    assert mapping.date_formats == {"order_date": "%d/%m/%Y"}
    with pytest.raises(MappingError, match="'order_no' is not a column of orders"):
        parse_mapping({"table": "orders", "columns": {"order_no": "X"}})
    with pytest.raises(MappingError, match="`format` only applies to dates"):
        parse_mapping({"table": "orders", "columns": {"order_id": {"from": "X", "format": "%d"}}})
    with pytest.raises(MappingError, match="missing `table"):
        parse_mapping({"columns": {}})


@pytest.mark.parametrize(("document", "message"), [
    ({"columns": {"total_amount": {"from": "A", "decimal_comma": "false"}}},
     "decimal_comma must be true or false"),
    ({"columns": {"total_amount": {"from": "A", "decimal": True}}}, r"unknown keys \['decimal'\]"),
    ({"columns": ["order_id"]}, "`columns` must be a table"),
    ({"constants": {"currency": "eu"}}, "'eu' is not one of USD"),  # ('eur' is EUR)
    ({"table": "stores", "constants": {"store_id": "12"}}, "is not a four-digit store id"),
    ({"encoding": "klingon-8"}, "encoding 'klingon-8' is not known"),
])
def test_mapping_mistakes_are_named_when_it_is_read(document: dict[str, object],
                                                    message: str) -> None:
    """Caught when the mapping is read, not as every row rejected or amounts misread."""
    with pytest.raises(MappingError, match=message):
        parse_mapping({"table": "orders", **document})


def test_decimal_comma_reads_thousands_dots_and_leaves_decimal_points_alone() -> None:
    import duckdb

    from shopsight.schema.mapping import decimal_comma_sql

    values = ["1,50", "1.234,5", "1.500", "12.345.678,90", "-3,25", "1234.56", "1.5", "7",
              "1.234,50 €", "EUR 12,50", "€ -3,5"]  # a currency sign or code around it
    read = duckdb.sql(f"SELECT {decimal_comma_sql('v')} FROM unnest(?::VARCHAR[]) t(v)",
                      params=[values]).fetchall()
    assert [r[0] for r in read] == ["1.50", "1234.5", "1500", "12345678.90", "-3.25",
                                    "1234.56", "1.5", "7", "1234.50", "12.50", "-3.5"]


def test_committed_contract_document_is_up_to_date() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
    assert doc.read_text(encoding="utf-8") == contract_markdown(), (
        "run `shopsight schema --markdown > docs/contract.md`")
