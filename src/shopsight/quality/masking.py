"""Masking of PCI and PII columns as SQL expressions, derived from the contract.

- card numbers keep the first 6 and last 4 digits, plus a keyed token for joins;
- CVVs and SSNs are dropped;
- emails, phones and card holders become keyed pseudonyms: the same input (after
  normalising case, spaces and punctuation) always gives the same pseudonym, so joins
  still work, and without the key they cannot be reversed by guessing;
- IP addresses keep their network (/24 for IPv4, /48 for IPv6).

The key is a secret from settings (``SHOPSIGHT_MASKING_KEY``). The hash is SHA-256 over
key and value, which DuckDB computes natively in the same pass as the curated write.
"""

from __future__ import annotations

from shopsight.quality.pci import redacted_sql
from shopsight.schema.model import Column, Masking, Table
from shopsight.schema.sql_text import quote_ident, sql_literal


def _keyed_hash(key: str, value_sql: str, prefix: str, length: int) -> str:
    """Keyed SHA-256 in hex with a letter after every 8 characters, so a pseudonym never
    holds more than 8 digits in a row: nothing in it can read as a card number (13-19
    digits) to a PCI scan. NULL stays NULL. Written without CASE so DuckDB hashes each
    value once however often the digest is referenced."""
    digest = f"sha256({sql_literal(key)} || {value_sql})"
    groups = " || 'g' || ".join(f"substr({digest}, {i + 1}, 8)" for i in range(0, length, 8))
    return f"({sql_literal(prefix)} || {groups})"


def pan_digits(value_sql: str) -> str:
    """SQL for the digits of a card number."""
    return f"regexp_replace({value_sql}, '[^0-9]', '', 'g')"


def masked_pan(value_sql: str, digits_sql: str | None = None) -> str:
    """SQL for first 6 + last 4 of a card number; anything too short becomes '****'.
    ``digits_sql`` names the card's digits when a query computed them once already."""
    d = digits_sql or pan_digits(value_sql)
    return (f"CASE WHEN {value_sql} IS NULL THEN NULL "
            f"WHEN length({d}) BETWEEN 13 AND 19 THEN "
            f"left({d}, 6) || repeat('*', length({d}) - 10) || right({d}, 4) "
            f"ELSE '****' END")


def pseudonym(key: str, value_sql: str) -> str:
    """SQL for a consistent keyed pseudonym of an email, phone or name."""
    normalised = f"lower(regexp_replace(trim({value_sql}), '[\\s()\\-]', '', 'g'))"
    return _keyed_hash(key, normalised, "pz_", 24)


def truncated_ip(value_sql: str) -> str:
    """SQL keeping the network part of an IP address: IPv4 /24, IPv6 /48 (its first three
    groups once ``::`` is written out as the zero groups it stands for), in lower case."""
    v = value_sql

    def groups(part: str) -> str:
        return f"list_filter(string_split({part}, ':'), lambda g: g <> '')"

    head, tail = groups(f"split_part({v}, '::', 1)"), groups(f"split_part({v}, '::', 2)")
    written_out = (f"CASE WHEN contains({v}, '::') THEN list_concat({head}, list_transform("
                   f"range(greatest(0, 8 - len({head}) - len({tail}))), lambda z: '0'), {tail}) "
                   f"ELSE string_split({v}, ':') END")
    return (f"CASE WHEN {v} IS NULL THEN NULL "
            f"WHEN contains({v}, ':') THEN "
            f"lower(array_to_string(list_slice({written_out}, 1, 3), ':')) || '::' "
            f"ELSE regexp_replace({v}, '\\.[0-9]+$', '.0') END")


def masked_rows_sql(
    table: Table, key: str, source: str, *, column_sql: dict[str, str] | None = None,
    before: tuple[str, ...] = (), after: tuple[str, ...] = (), values_from: str | None = None,
) -> str:
    """SELECT of the curated columns of ``table`` from the typed rows of ``source``, with
    the select items ``before`` and ``after`` them.

    ``column_sql`` overrides the expression read for a column (default: its quoted name).
    A card number's digits are computed once per row in an inner projection (DuckDB does
    not share work inside CASE branches). When ``values_from`` names a relation holding
    (at least) every value of ``source``, card numbers and pseudonymised columns are
    masked once per distinct value there and joined back: payments repeat the same card
    and card holder many times (medium demo: 125k cards and 1.6k names in 408k rows), and
    the keyed hashes are most of the cost of a curated write. Free text (names, cities)
    has any card number or SSN in it redacted, by a function ``register_redaction`` puts
    on the connection that runs the SELECT.
    """
    column_sql = column_sql or {}
    # only plain columns are joined back (``before``/``after`` items must not name them)
    looked_up = {c.name for c in table.columns if values_from
                 and c.masking in (Masking.PAN, Masking.PSEUDONYMISE)
                 and _is_identifier(column_sql.get(c.name, quote_ident(c.name)))}
    digits = {c.name: quote_ident(f"_digits_{c.name}") for c in table.columns
              if c.masking is Masking.PAN and c.name not in looked_up}
    inner = "".join(
        f", {pan_digits(column_sql.get(name, quote_ident(name)))} AS {alias}"
        for name, alias in digits.items())
    items: list[str] = list(before)
    joins: list[str] = []
    for i, col in enumerate(table.columns):
        src = column_sql.get(col.name, quote_ident(col.name))
        if table.redacts(col):  # a card number or SSN typed into a name is not kept
            items.append(f"{redacted_sql(src)} AS {quote_ident(col.name)}")
            continue
        if col.name not in looked_up:
            items.extend(_masked_items(col, src, key, digits.get(col.name)))
            continue
        lookup = f"_mask{i}"
        values = f"(SELECT DISTINCT {src} AS v FROM {values_from})"
        if col.masking is Masking.PAN:
            values = f"(SELECT v, {pan_digits('v')} AS d FROM {values})"
        masked = _masked_items(col, "v", key, "d" if col.masking is Masking.PAN else None)
        joins.append(f" LEFT JOIN (SELECT v, {', '.join(masked)} FROM {values}) {lookup} "
                     f"ON _rows.{src} = {lookup}.v")
        items.extend(f"{lookup}.{quote_ident(name)}" for name, _, _ in table.curated_columns
                     if name in (col.name, f"{col.name}_token"))
    items.extend(after)
    return (f"SELECT {', '.join(items)} FROM (SELECT *{inner} FROM {source}) _rows"
            + "".join(joins))


def _is_identifier(sql: str) -> bool:
    return len(sql) > 2 and sql[0] == sql[-1] == '"' and '"' not in sql[1:-1]


def _masked_items(col: Column, src: str, key: str, digits: str | None) -> list[str]:
    name = quote_ident(col.name)
    if col.masking is Masking.DROP:
        return []
    if col.masking is Masking.PAN:
        d = digits or pan_digits(src)
        return [f"{masked_pan(src, d)} AS {name}",
                f"{_keyed_hash(key, d, 'tok_', 32)} AS {quote_ident(col.name + '_token')}"]
    if col.masking is Masking.PSEUDONYMISE:
        return [f"{pseudonym(key, src)} AS {name}"]
    if col.masking is Masking.IP_TRUNCATE:
        return [f"{truncated_ip(src)} AS {name}"]
    return [f"{src} AS {name}"]
