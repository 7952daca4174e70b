"""Recognising cardholder data and SSNs in free text: Luhn checks and redaction.

Used as the last line of defence in logs, error messages and rejected rows (a card number
in the wrong column of a bad row must not leave raw/ either), and by the PCI compliance
scan of the lake.
"""

from __future__ import annotations

import re
from typing import Any

_PAN_CANDIDATE = re.compile(r"(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])")
_SSN = re.compile(r"(?<![0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![0-9])")


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum used by card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact(text: str) -> str:
    """Replace card numbers and SSNs in free text."""

    def _pan(match: re.Match[str]) -> str:
        digits = re.sub(r"[^0-9]", "", match.group(0))
        return "[REDACTED-PAN]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else (
            match.group(0))

    return _SSN.sub("[REDACTED-SSN]", _PAN_CANDIDATE.sub(_pan, text))


def gist(text: str, limit: int = 300) -> str:
    """The first line of an error's text, redacted and at most ``limit`` characters: what
    a one-line message may quote of an error nobody worded for the user."""
    return redact((text.strip().splitlines() or [""])[0])[:limit]


# What ``redact`` may change, in DuckDB's (RE2) spelling: 13-19 digits with single spaces
# or dashes between them, or an SSN. A superset of what it redacts (no Luhn check, no
# look-around), so only the values it matches need the Python function.
_SUSPECT_SQL = r"[0-9](?:[ -]?[0-9]){12,18}|[0-9]{3}-[0-9]{2}-[0-9]{4}"
_REDACT_FUNCTION = "shopsight_redact"


def register_redaction(con: Any) -> None:
    """Make ``redact`` callable from DuckDB's SQL on ``con`` (see ``redacted_sql``)."""
    if not con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?",
                       [_REDACT_FUNCTION]).fetchall()[0][0]:
        con.create_function(_REDACT_FUNCTION, redact, ["VARCHAR"], "VARCHAR",
                            side_effects=False)


def redacted_sql(value: str) -> str:
    """SQL of the text ``value`` with card numbers and SSNs redacted (``redact``); a
    pattern filters the values first, so few ever call Python. Needs
    ``register_redaction`` on the connection that runs it."""
    from shopsight.schema.sql_text import sql_literal

    return (f"CASE WHEN regexp_matches({value}, {sql_literal(_SUSPECT_SQL)}) "
            f"THEN {_REDACT_FUNCTION}({value}) ELSE {value} END")


def redact_text_columns(con: Any, table: str) -> None:
    """Apply ``redact`` to every text value of DuckDB's temp ``table`` that could hold a
    card number or an SSN (a pattern filters them first: few values ever call Python)."""
    from shopsight.schema.sql_text import quote_ident, sql_literal

    register_redaction(con)
    texts = [str(name) for name, kind, *_ in con.execute(
        f"DESCRIBE {quote_ident(table)}").fetchall() if kind == "VARCHAR"]
    for name in texts:
        column = quote_ident(name)
        con.execute(f"UPDATE {quote_ident(table)} SET {column} = {_REDACT_FUNCTION}({column}) "
                    f"WHERE regexp_matches({column}, {sql_literal(_SUSPECT_SQL)})")
