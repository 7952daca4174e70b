"""Quoting for SQL generated from the contract (identifiers and string literals)."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """A DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"
