"""Validate raw rows against the data contract, in one DuckDB query per file.

The input is an Arrow table of *strings* as read from a raw file, plus a ``_row`` column
(the row number a person sees: the header is row 1 of a CSV). The query derived from the
contract types every column, checks nullability, ranges, allowed values, lengths and
patterns, and returns a report: the typed good rows, and every bad row with its reasons
as (row, column, reason). Messages quote the offending value except for sensitive columns
(card numbers, CVVs, SSNs), whose values are never repeated anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopsight.schema.model import Column, ColumnType, Table

NULL_TOKENS = ("", "NULL", "null", "\\N")
ROW = "_row"

_TYPE_EXPECTATION = {
    ColumnType.INTEGER: "is not a whole number",
    ColumnType.FLOAT: "is not a number",
    ColumnType.MONEY: "is not an amount (expected digits with a '.' decimal point)",
    ColumnType.BOOLEAN: "is not a boolean (expected 0/1 or true/false)",
    ColumnType.DATE: "is not a date (expected YYYY-MM-DD)",
    ColumnType.TIMESTAMP: "is not a timestamp (expected YYYY-MM-DD HH:MM:SS, UTC)",
}


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """A DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class RowProblem:
    """One reason a row was rejected."""

    row: int
    column: str
    reason: str


def cleaned_value(column: str) -> str:
    """SQL for the raw string with MySQL/CSV null tokens turned into NULL."""
    ident = quote_ident(column)
    tokens = ", ".join(sql_literal(t) for t in NULL_TOKENS)
    return f"(CASE WHEN trim({ident}) IN ({tokens}) THEN NULL ELSE {ident} END)"


def typed_value(col: Column, raw: str, date_format: str | None = None) -> str:
    """SQL that converts the cleaned string to the column's type, NULL when it can't."""
    t = col.type
    if t is ColumnType.STRING:
        return raw
    if t is ColumnType.INTEGER:
        return (f"(CASE WHEN regexp_full_match(trim({raw}), '[+-]?[0-9]{{1,18}}') "
                f"THEN TRY_CAST(trim({raw}) AS BIGINT) END)")
    if t in (ColumnType.FLOAT, ColumnType.MONEY):
        num = f"TRY_CAST(trim({raw}) AS DOUBLE)"
        finite = f"(CASE WHEN isfinite({num}) THEN {num} END)"
        return f"round({finite}, 2)" if t is ColumnType.MONEY else finite
    if t is ColumnType.BOOLEAN:
        return (f"(CASE WHEN lower(trim({raw})) IN ('1','true','t','yes','y') THEN TRUE "
                f"WHEN lower(trim({raw})) IN ('0','false','f','no','n') THEN FALSE END)")
    if t is ColumnType.DATE:
        if date_format:
            return f"TRY_STRPTIME(trim({raw}), {sql_literal(date_format)})::DATE"
        return f"TRY_CAST(trim({raw}) AS DATE)"
    if t is ColumnType.TIMESTAMP:
        if date_format:
            return f"TRY_STRPTIME(trim({raw}), {sql_literal(date_format)})::TIMESTAMP"
        return f"TRY_CAST(TRY_CAST(trim({raw}) AS TIMESTAMPTZ) AS TIMESTAMP)"
    raise AssertionError(t)


def _shown(col: Column, raw: str) -> str:
    """SQL for how the bad value is quoted in a message (never for sensitive columns)."""
    if col.is_sensitive_value:
        return "'value'"
    return f"('''' || left({raw}, 40) || CASE WHEN length({raw}) > 40 THEN '…' ELSE '' END || '''')"


def _checks(
    col: Column, raw: str, typed: str, present: bool, date_format: str | None = None
) -> list[tuple[str, str]]:
    """(condition, reason SQL) pairs; each condition is true when the value is bad."""
    out: list[tuple[str, str]] = []
    if col.required and not present and col.default is None:
        return [("TRUE", sql_literal("column is missing from the file (required)"))]
    if not present:
        return []
    shown = _shown(col, raw)
    if col.required:
        out.append((f"{raw} IS NULL", sql_literal("missing value (required)")))
    if col.max_length is not None:
        out.append((
            f"length({raw}) > {col.max_length}",
            f"'value is ' || length({raw}) || ' characters long (max {col.max_length})'",
        ))
    if col.type is not ColumnType.STRING:
        expectation = _TYPE_EXPECTATION[col.type]
        if date_format:
            expectation = f"is not a {col.type.value} in the mapping's format {date_format}"
        out.append((
            f"{raw} IS NOT NULL AND {typed} IS NULL",
            f"{shown} || {sql_literal(' ' + expectation)}",
        ))
    if col.pattern:
        what = "does not have the expected format" if col.is_sensitive_value else (
            f"does not match {col.pattern}")
        out.append((
            f"{raw} IS NOT NULL AND NOT regexp_full_match({raw}, {sql_literal(col.pattern)})",
            f"{shown} || {sql_literal(' ' + what)}",
        ))
    if col.allowed:
        allowed = ", ".join(sql_literal(v) for v in col.allowed)
        out.append((
            f"{typed} IS NOT NULL AND {typed} NOT IN ({allowed})",
            f"{shown} || {sql_literal(' is not one of ' + ', '.join(col.allowed))}",
        ))
    if col.minimum is not None:
        out.append((
            f"{typed} < {col.minimum}",
            f"{shown} || {sql_literal(f' is below the minimum {col.minimum:g}')}",
        ))
    if col.maximum is not None:
        out.append((
            f"{typed} > {col.maximum}",
            f"{shown} || {sql_literal(f' is above the maximum {col.maximum:g}')}",
        ))
    return out


def validation_sql(
    table: Table, present: set[str], source: str, date_formats: dict[str, str] | None = None
) -> str:
    """The SELECT that types and checks every row of ``source`` against ``table``.

    Output columns: ``_row``, ``_reasons`` (list of {column, reason}), then one typed
    column per contract column, then ``_raw_<name>`` with the raw string for rejected-row
    reporting.
    """
    date_formats = date_formats or {}
    selects = [quote_ident(ROW)]
    reason_items: list[str] = []
    typed_cols: list[str] = []
    raw_cols: list[str] = []
    for col in table.columns:
        is_present = col.name in present
        if is_present:
            raw = cleaned_value(col.name)
        elif col.default is not None:
            raw = sql_literal(col.default)
        else:
            raw = "NULL::VARCHAR"
        fmt = date_formats.get(col.name)
        typed = typed_value(col, raw, fmt)
        for cond, reason in _checks(col, raw, typed, is_present or col.default is not None, fmt):
            reason_items.append(
                f"CASE WHEN {cond} THEN {{'column': {sql_literal(col.name)}, "
                f"'reason': {reason}}} END"
            )
        typed_cols.append(f"CAST({typed} AS {col.type.duckdb}) AS {quote_ident(col.name)}")
        raw_cols.append(f"{raw} AS {quote_ident('_raw_' + col.name)}")
    reasons = (
        f"list_filter([{', '.join(reason_items)}], lambda x: x IS NOT NULL)"
        if reason_items else "[]::STRUCT(\"column\" VARCHAR, reason VARCHAR)[]"
    )
    selects.append(f"{reasons} AS _reasons")
    selects += typed_cols + raw_cols
    return f"SELECT {', '.join(selects)} FROM {source}"


VALIDATED = "_validated"


def validate_rows(
    con: Any, table: Table, source: str, present: set[str],
    date_formats: dict[str, str] | None = None,
) -> None:
    """Type and check every row of ``source`` into the temp table ``_validated``.

    Further checks (foreign keys) can add reasons with :func:`add_reference_check` before
    :func:`split_validated` splits good from rejected rows.
    """
    sql = validation_sql(table, present, source, date_formats)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {VALIDATED} AS {sql}")


def add_reference_check(
    con: Any, column: str, reference: str, ref_column: str, label: str
) -> int:
    """Reject valid rows whose ``column`` is not in ``reference.ref_column``; returns count."""
    col = quote_ident(column)
    reason = f"'''' || v.{col} || {sql_literal(chr(39) + ' is not a known ' + label)}"
    result = con.execute(
        f"UPDATE {VALIDATED} v SET _reasons = list_append(_reasons, "
        f"{{'column': {sql_literal(column)}, 'reason': {reason}}}) "
        f"WHERE len(v._reasons) = 0 AND v.{col} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {reference} r WHERE r.{quote_ident(ref_column)} = v.{col})"
    ).fetchall()
    return int(result[0][0]) if result else 0


def list_problems(con: Any, limit: int = 1000) -> list[RowProblem]:
    """The first (row, column, reason) problems of ``_validated``, in row order."""
    row = quote_ident(ROW)
    return [
        RowProblem(int(r), str(c), str(m))
        for r, c, m in con.execute(
            f'SELECT {row}, u.reason."column", u.reason.reason FROM '
            f"(SELECT {row}, unnest(_reasons) AS reason FROM {VALIDATED} "
            f"WHERE len(_reasons) > 0) u ORDER BY 1 LIMIT {int(limit)}"
        ).fetchall()
    ]
