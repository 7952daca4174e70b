"""The retail data contract: lookup of tables by name or alias, in ingest order."""

from __future__ import annotations

from shopsight.errors import ContractError
from shopsight.schema.model import Column, ColumnType, Masking, Privacy, Table
from shopsight.schema.tables import NOT_SALES_STATUSES, TABLES

__all__ = [
    "NOT_SALES_STATUSES", "TABLES", "Column", "ColumnType", "Masking", "Privacy", "Table",
    "get_table", "table_for_name",
]

_BY_NAME = {t.name: t for t in TABLES} | {a: t for t in TABLES for a in t.aliases}
# a table named for one of its rows (--table customer); not matched as a file name's start,
# where "store" or "order" would claim store_exports/ or order-items-2026.csv
_SINGULAR = {name[:-1]: t for name, t in _BY_NAME.items() if name.endswith("s")}


def get_table(name: str) -> Table:
    """The contract table called ``name`` (or one of its aliases)."""
    try:
        return _BY_NAME.get(name.lower()) or _SINGULAR[name.lower()]
    except KeyError:
        known = ", ".join(t.name for t in TABLES)
        raise ContractError(name, f"not in the data contract; known tables: {known}") from None


def table_for_name(stem: str) -> Table | None:
    """Guess the table from a file or folder name like ``orders_20260101`` or ``orders-incr``.

    The longest table name or alias that starts the stem wins, so ``order_items_2026``
    maps to order_items rather than orders.
    """
    lowered = stem.lower()
    best: Table | None = None
    best_len = 0
    for name, table in _BY_NAME.items():
        if lowered == name or (
            lowered.startswith(name) and not lowered[len(name)].isalpha()
        ):
            if len(name) > best_len:
                best, best_len = table, len(name)
    return best
