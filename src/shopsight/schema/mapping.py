"""Retailer column mappings: rename and convert an export's columns into the contract.

A mapping is a small TOML (or YAML) file, for example for a minimal orders export::

    table = "orders"
    encoding = "cp1252"         # optional, default utf-8; any encoding Python knows
    delimiter = ";"             # optional: by default, sniffed from the header line

    [columns]                   # contract column = export column
    order_id = "OrderNo"
    customer_id = "Customer"
    order_date = { from = "Date", format = "%d/%m/%Y" }
    total_amount = { from = "Amount", decimal_comma = true }

    [constants]                 # contract column = value for every row
    currency = "EUR"
    channel = "store"

Columns of the export that the mapping does not name are ignored (and reported); contract
columns that the export already names (in any case) need no entry. Mistakes (an unknown
column or option, a constant the contract does not allow, an unknown encoding) are
reported when the mapping is read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

from shopsight.errors import MappingError
from shopsight.schema import get_table
from shopsight.schema.model import CURRENCY_SIGN, Column, ColumnType, Table
from shopsight.schema.sql_text import quote_ident, sql_literal


@dataclass(frozen=True)
class ColumnMapping:
    """Where one contract column comes from and how to read it."""

    source: str
    date_format: str | None = None
    decimal_comma: bool = False


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file."""

    table: Table
    columns: dict[str, ColumnMapping] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    delimiter: str | None = None  # None: sniffed from the file's header line
    name: str = "<mapping>"

    @property
    def date_formats(self) -> dict[str, str]:
        return {k: v.date_format for k, v in self.columns.items() if v.date_format}


def parse_mapping(data: dict[str, Any], name: str = "<mapping>") -> Mapping:
    """Build a Mapping from the decoded TOML/YAML document, checking it against the contract."""
    if "table" not in data:
        raise MappingError(name, "missing `table = \"<contract table>\"`")
    try:
        table = get_table(str(data["table"]))
    except Exception as exc:  # ContractError: re-raise with the mapping's name
        raise MappingError(name, str(exc)) from None
    unknown_keys = set(data) - {"table", "columns", "constants", "encoding", "delimiter"}
    if unknown_keys:
        raise MappingError(name, f"unknown keys {sorted(unknown_keys)}; allowed: table, "
                           "columns, constants, encoding, delimiter")
    columns: dict[str, ColumnMapping] = {}
    for target, spec in _section(data, "columns", name).items():
        _check_column(table, target, name)
        if isinstance(spec, str):
            columns[target] = ColumnMapping(source=spec)
        elif isinstance(spec, dict) and "from" in spec:
            unknown = set(spec) - {"from", "format", "decimal_comma"}
            if unknown:
                raise MappingError(name, f"columns.{target}: unknown keys {sorted(unknown)}; "
                                   "allowed: from, format, decimal_comma")
            fmt = spec.get("format")
            if fmt is not None and table.column(target).type not in (
                    ColumnType.DATE, ColumnType.TIMESTAMP):
                raise MappingError(name, f"columns.{target}: `format` only applies to dates "
                                   "and timestamps")
            decimal_comma = spec.get("decimal_comma", False)
            if not isinstance(decimal_comma, bool):  # "false" is a true string
                raise MappingError(name, f"columns.{target}: decimal_comma must be true or "
                                   f"false (unquoted), not {decimal_comma!r}")
            columns[target] = ColumnMapping(source=str(spec["from"]), date_format=fmt,
                                            decimal_comma=decimal_comma)
        else:
            raise MappingError(name, f"columns.{target}: expected a column name or "
                               "{ from = \"...\", format = \"...\" }")
    constants = {}
    for target, value in _section(data, "constants", name).items():
        _check_column(table, target, name)
        constants[target] = str(value)
        _check_constant(table.column(target), constants[target], f"constants.{target}", name)
    delimiter = None if data.get("delimiter") is None else str(data["delimiter"])
    if delimiter is not None and len(delimiter) != 1:
        raise MappingError(name, "delimiter must be one character")
    encoding = str(data.get("encoding", "utf-8"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise MappingError(name, f"encoding {encoding!r} is not known; use a name such as "
                           "utf-8, cp1252 (Windows), latin-1 or utf-16") from None
    return Mapping(table=table, columns=columns, constants=constants,
                   encoding=encoding, delimiter=delimiter, name=name)


def _section(data: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    section = data.get(key, {})
    if not isinstance(section, dict):
        raise MappingError(name, f"`{key}` must be a table of <contract column> = <value> "
                           f"pairs, not a {type(section).__name__}")
    return section


def _check_constant(column: Column, value: str, where: str, name: str) -> None:
    """A constant breaking the contract would reject every row: say so once, here."""
    if column.allowed and value.lower() not in {v.lower() for v in column.allowed}:
        raise MappingError(name, f"{where}: {value!r} is not one of "
                           f"{', '.join(column.allowed)}")  # (in any case, as in a file)
    if not column.matches_pattern(value):
        raise MappingError(name, f"{where}: {value!r} {column.pattern_words}")


def _check_column(table: Table, target: str, name: str) -> None:
    if target not in table.column_names:
        raise MappingError(name, f"{target!r} is not a column of {table.name}; columns: "
                           f"{', '.join(table.column_names)}")


_DATA_LIKE = re.compile(r"[0-9][0-9 .,:/+-]*")


def header_description(columns: list[str], advice: str = "") -> str:
    """What a message says about a file's header: its column names (then ``advice``), or,
    when its first line looks like data (a field of only digits and separators: an amount,
    a date, a card number), that the header seems to be missing, without quoting it."""
    if any(_DATA_LIKE.fullmatch(c.strip()) for c in columns):
        return ("its first line looks like data, not column names: export the file with a "
                "header line")
    return f"the file has: {', '.join(columns)}" + (f" ({advice})" if advice else "")


_CURRENCY_AROUND = rf"^\s*{CURRENCY_SIGN}\s*|\s*{CURRENCY_SIGN}\s*$"


def decimal_comma_sql(text: str) -> str:
    """SQL reading a number written with a decimal comma: dots are thousands separators
    only between groups of three digits (``1.234,5``); a value with a dot anywhere else
    (``1234.56``) is left as it is, read with a decimal point, never made 100 times
    larger."""
    grouped = r"[-+]?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]*)?"
    # a currency sign or code around it goes first ('1.234,50 €', 'EUR 12,50')
    text = f"regexp_replace({text}, {sql_literal(_CURRENCY_AROUND)}, '', 'g')"
    return (f"CASE WHEN contains({text}, '.') AND NOT regexp_full_match(trim({text}), "
            f"{sql_literal(grouped)}) THEN {text} "
            f"ELSE replace(replace({text}, '.', ''), ',', '.') END")


def mapped_columns(
    file_columns: list[str], table: Table, mapping: Mapping | None
) -> tuple[dict[str, str], list[str]]:
    """SQL expression per contract column found in (or given by) the file, and the
    file's columns that are ignored. Other columns match the contract's by name, in any
    case (as SQL names do)."""
    present = set(file_columns)
    exprs: dict[str, str] = {}
    sources: set[str] = set()
    if mapping is not None:
        missing = [m.source for m in mapping.columns.values() if m.source not in present]
        if missing:
            raise MappingError(mapping.name, f"the file has no column(s) {', '.join(missing)}; "
                               + header_description(file_columns))
        for target, spec in mapping.columns.items():
            expr = quote_ident(spec.source)
            if spec.decimal_comma:
                expr = decimal_comma_sql(expr)
            exprs[target] = expr
            sources.add(spec.source)
        for target, value in mapping.constants.items():
            exprs[target] = sql_literal(value)
    contract = {c.lower(): c for c in table.column_names}  # Order_ID is order_id
    for name in file_columns:
        column = contract.get(name.lower())
        if column and column not in exprs and name not in sources:
            exprs[column] = quote_ident(name)
    ignored = [c for c in file_columns if c not in sources and c.lower() not in contract]
    return exprs, ignored
