"""Masking of PCI and PII columns as SQL expressions, derived from the contract.

- card numbers keep the first 6 and last 4 digits, plus a keyed token for joins;
- CVVs and SSNs are dropped;
- emails, phones and card holders become keyed pseudonyms: the same input (after
  normalising case, spaces and punctuation) always gives the same pseudonym, so joins
  still work, and without the key they cannot be reversed by guessing;
- IP addresses keep their network (/24 for IPv4, /48 for IPv6).

The key is a secret from settings (``SHOPSIGHT_MASKING_KEY``). The hash is SHA-256 over
key and value, which DuckDB computes natively in the same pass as validation.
"""

from __future__ import annotations

from shopsight.schema.model import Column, Masking, Table
from shopsight.schema.sql_text import quote_ident, sql_literal


def _keyed_hash(key: str, value_sql: str, prefix: str, length: int) -> str:
    """Keyed SHA-256 written with the letters a-p instead of hex digits, so a pseudonym can
    never contain a digit run that looks like a card number to a PCI scan."""
    digest = f"left(sha256({sql_literal(key)} || {value_sql}), {length})"
    return (f"CASE WHEN {value_sql} IS NULL THEN NULL ELSE {sql_literal(prefix)} || "
            f"translate({digest}, '0123456789', 'ghijklmnop') END")


def pan_digits(value_sql: str) -> str:
    """SQL for the digits of a card number."""
    return f"regexp_replace({value_sql}, '[^0-9]', '', 'g')"


def masked_pan(value_sql: str) -> str:
    """SQL for first 6 + last 4 of a card number; anything too short becomes '****'."""
    d = pan_digits(value_sql)
    return (f"CASE WHEN {value_sql} IS NULL THEN NULL "
            f"WHEN length({d}) BETWEEN 13 AND 19 THEN "
            f"left({d}, 6) || repeat('*', length({d}) - 10) || right({d}, 4) "
            f"ELSE '****' END")


def pseudonym(key: str, value_sql: str) -> str:
    """SQL for a consistent keyed pseudonym of an email, phone or name."""
    normalised = f"lower(regexp_replace(trim({value_sql}), '[\\s()\\-]', '', 'g'))"
    return _keyed_hash(key, normalised, "pz_", 24)


def truncated_ip(value_sql: str) -> str:
    """SQL keeping the network part of an IP address."""
    return (f"CASE WHEN {value_sql} IS NULL THEN NULL "
            f"WHEN contains({value_sql}, ':') THEN "
            f"array_to_string(list_slice(string_split({value_sql}, ':'), 1, 3), ':') || '::' "
            f"ELSE regexp_replace({value_sql}, '\\.[0-9]+$', '.0') END")


def masked_select(
    table: Table, key: str, column_sql: dict[str, str] | None = None, extra: str = ""
) -> str:
    """SELECT list producing the curated columns of ``table`` from typed columns.

    ``column_sql`` overrides the expression read for a column (default: its quoted name).
    """
    column_sql = column_sql or {}
    items: list[str] = [extra] if extra else []
    for col in table.columns:
        src = column_sql.get(col.name, quote_ident(col.name))
        items.extend(_masked_items(col, src, key))
    return ", ".join(items)


def _masked_items(col: Column, src: str, key: str) -> list[str]:
    name = quote_ident(col.name)
    if col.masking is Masking.DROP:
        return []
    if col.masking is Masking.PAN:
        token = _keyed_hash(key, pan_digits(src), "tok_", 32)
        return [f"{masked_pan(src)} AS {name}", f"{token} AS {quote_ident(col.name + '_token')}"]
    if col.masking is Masking.PSEUDONYMISE:
        return [f"{pseudonym(key, src)} AS {name}"]
    if col.masking is Masking.IP_TRUNCATE:
        return [f"{truncated_ip(src)} AS {name}"]
    return [f"{src} AS {name}"]
