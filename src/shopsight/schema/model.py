"""The building blocks of the data contract: columns, tables and their privacy classes.

A :class:`Table` declares everything shopsight needs to know about one kind of export:
validation (types, nullability, ranges, allowed values, foreign keys), deduplication
(primary key and version column), masking (privacy class and masking rule per column),
documentation and, later, the copilot's schema prompt. Pure data, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

CURRENCY_SIGN = r"(?:[$€£¥]|[A-Z]{3})"
"""A currency sign or three-letter code written beside an amount ('$12.50', '12,50 EUR')."""


class ColumnType(StrEnum):
    """Logical types; each maps to one Arrow/Delta and one DuckDB type."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    MONEY = "money"  # float64 rounded to cents; documented trade-off for analytics speed
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"  # UTC, microseconds

    @property
    def duckdb(self) -> str:
        return _DUCKDB_TYPES[self]


_DUCKDB_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.MONEY: "DOUBLE",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",  # an instant; typed in UTC
}


class Privacy(StrEnum):
    """Privacy class of a column: drives masking, API visibility and the PCI scan."""

    PUBLIC = "public"
    PII = "PII"
    PCI = "PCI"


class Masking(StrEnum):
    """What raw → curated does to a column's values."""

    KEEP = "keep"
    DROP = "drop"  # never leaves raw/ (CVV, SSN)
    PSEUDONYMISE = "pseudonymise"  # keyed hash, consistent so joins still work
    PAN = "pan"  # first 6 + last 4, plus a keyed <name>_token column for joins
    IP_TRUNCATE = "ip_truncate"  # IPv4 /24, IPv6 /48


@dataclass(frozen=True)
class Column:
    """One column of a table as exported by the retailer."""

    name: str
    type: ColumnType
    description: str
    required: bool = False
    privacy: Privacy = Privacy.PUBLIC
    masking: Masking = Masking.KEEP
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_text: str | None = None  # the pattern in words, for messages ("two letters")
    references: str | None = None  # "table.column"
    default: str | None = None  # applied when the column is absent from the file

    def __post_init__(self) -> None:
        if self.masking in (Masking.PAN, Masking.DROP) and self.privacy is Privacy.PUBLIC:
            raise ValueError(f"column {self.name}: masked columns must be PII or PCI")

    def matches_pattern(self, value: str) -> bool:
        """Whether ``value`` has this column's pattern (any value when it has none): the
        contract's rule, for the checks made in Python rather than in SQL."""
        return self.pattern is None or re.fullmatch(self.pattern.strip("^$"), value) is not None

    @property
    def is_free_text(self) -> bool:
        """Text kept as written with nothing constraining it (names, cities, brands):
        where a card number typed into the wrong field would otherwise land in curated.
        Identifiers and codes are not: a 13-digit EAN product code passes the card check
        one time in ten, gift-card promo codes are built to pass it, and a changed id or
        code would join or count nothing (the PCI scan reports one that holds a card)."""
        return (self.type is ColumnType.STRING and self.masking is Masking.KEEP
                and self.allowed is None and self.pattern is None and self.references is None
                and not self.name.endswith(("_id", "_code")))

    @property
    def is_sensitive_value(self) -> bool:
        """True when the raw value must never appear in a message, log or rejected row."""
        return self.masking in (Masking.DROP, Masking.PAN) or self.privacy is Privacy.PCI

    @property
    def pattern_words(self) -> str:
        """What a value not matching the pattern is not, for messages: in words when the
        contract has them (a retailer does not read regular expressions)."""
        return (f"is not {self.pattern_text}" if self.pattern_text
                else f"does not match {self.pattern}")

    @property
    def range_text(self) -> str:
        """Human description of allowed values, for docs and error messages."""
        parts: list[str] = []
        if self.allowed:
            parts.append("one of " + ", ".join(self.allowed))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{self.minimum:g} to {self.maximum:g}")
        elif self.minimum is not None:
            parts.append(f">= {self.minimum:g}")
        elif self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        if self.max_length is not None:
            parts.append(f"at most {self.max_length} characters")
        if self.pattern:
            parts.append(f"matches {self.pattern}"
                         + (f" ({self.pattern_text})" if self.pattern_text else ""))
        if self.references:
            parts.append(f"exists in {self.references}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Table:
    """One table of the contract: columns, keys and what makes a later row win."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    version_column: str | None = None  # later versions of a row replace earlier ones
    order: int = 100  # ingest order: referenced tables first
    aliases: tuple[str, ...] = field(default_factory=tuple)
    # A file holds every row of each group of these key columns it has rows of, so its
    # rows replace the group's rows: lines a corrected file no longer has are removed
    # (store_sales: a store's business day). Empty: rows are only ever added or updated.
    file_replaces: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        missing = [k for k in (*self.primary_key, self.version_column) if k and k not in names]
        if missing:
            raise ValueError(f"table {self.name}: key columns {missing} are not declared")
        if not set(self.file_replaces) <= set(self.primary_key):
            raise ValueError(f"table {self.name}: file_replaces {self.file_replaces} must be "
                             "primary key columns")

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def redacts(self, col: Column) -> bool:
        """Whether ``col``'s text has any card number or SSN in it redacted on the way to
        curated: free text, not part of the key (a changed key would join nothing)."""
        return col.is_free_text and col.name not in self.primary_key

    @property
    def required_columns(self) -> list[str]:
        """Columns a file must contain (key columns and required ones without default)."""
        return [
            c.name
            for c in self.columns
            if (c.required or c.name in self.primary_key) and c.default is None
        ]

    @property
    def curated_columns(self) -> list[tuple[str, ColumnType, Privacy]]:
        """Column names and types of the curated table, after masking."""
        return self.curated_columns_of(self.column_names)

    def curated_columns_of(self, names: Iterable[str]) -> list[tuple[str, ColumnType, Privacy]]:
        """The curated columns holding the contract columns ``names``, in contract order:
        a card number is two (the masked number and its token), a dropped column none."""
        chosen = set(names)
        out: list[tuple[str, ColumnType, Privacy]] = []
        for col in self.columns:
            if col.name not in chosen or col.masking is Masking.DROP:
                continue
            if col.masking is Masking.PAN:
                out.append((col.name, ColumnType.STRING, col.privacy))
                out.append((f"{col.name}_token", ColumnType.STRING, Privacy.PUBLIC))
            elif col.masking is Masking.PSEUDONYMISE:
                out.append((col.name, ColumnType.STRING, col.privacy))
            else:
                out.append((col.name, col.type, col.privacy))
        return out

    @property
    def foreign_keys(self) -> list[tuple[str, str, str]]:
        """(column, referenced table, referenced column) triples."""
        out = []
        for col in self.columns:
            if col.references:
                ref_table, ref_col = col.references.split(".")
                out.append((col.name, ref_table, ref_col))
        return out
