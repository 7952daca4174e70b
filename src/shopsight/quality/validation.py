"""Validate raw rows against the data contract, in one DuckDB query per file.

The input is the rows of a raw file in DuckDB, plus a ``_row`` column (the row number a
person sees: the header is row 1 of a CSV): text, except the columns the CSV reader was
allowed to parse (``reader_type``), which must then be exactly what these text rules
would have made of them. The query derived from the contract types every column, checks
nullability, ranges, allowed values, lengths and patterns, and returns a report: the
typed good rows, and every bad row with its reasons as (row, column, reason). Messages
quote the offending value except for sensitive columns (card numbers, CVVs, SSNs), whose
values are never repeated anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from shopsight.schema.model import CURRENCY_SIGN, Column, ColumnType, Masking, Table
from shopsight.schema.sql_text import quote_ident, sql_literal

NULL_TOKENS = ("", "NULL", "null", "\\N")
ROW = "_row"

_TYPE_EXPECTATION = {
    ColumnType.INTEGER: "is not a whole number",
    ColumnType.FLOAT: "is not a number",
    ColumnType.MONEY: "is not an amount (expected digits with a '.' decimal point, such as "
                      "1234.50 or $1,234.50; a decimal comma needs decimal_comma in a mapping)",
    ColumnType.BOOLEAN: "is not a boolean (expected 0/1 or true/false)",
    ColumnType.DATE: "is not a date (expected YYYY-MM-DD)",
    ColumnType.TIMESTAMP: "is not a timestamp (expected YYYY-MM-DD HH:MM:SS, UTC)",
}


@dataclass
class RowProblem:
    """One reason a row was rejected."""

    row: int
    column: str
    reason: str


# An amount as spreadsheets and shop systems show it: a currency sign or code before or
# after it, and commas between groups of three digits when a '.' decimal point follows
# ('1,234' alone could be 1.234 written with a decimal comma: it stays refused).
_SHOWN_AMOUNT = (rf"[-+]?\s*(?:{CURRENCY_SIGN}\s*)?[-+]?(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+"
                 rf"\.[0-9]+|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*{CURRENCY_SIGN}?")


def cleaned_value(column: str, *, exact_tokens_read: bool = False) -> str:
    """SQL for the raw string with MySQL/CSV null tokens (spaces around them allowed)
    turned into NULL and the spaces around a value dropped (a fixed-width export pads its
    ids: ``'O1  '`` is order ``O1``). Cheap on purpose: only short or space-padded values
    are looked at.

    ``exact_tokens_read``: the CSV reader already read the exact tokens as NULL, so only
    space-padded values are left to look at; a value that is not padded is taken first,
    as is (most of a file, and DuckDB then skips the other branches of the CASE)."""
    ident = quote_ident(column)
    tokens = ", ".join(sql_literal(t) for t in NULL_TOKENS)
    longest = max(len(t) for t in NULL_TOKENS)
    padded = (f"WHEN NOT (prefix({ident}, ' ') OR suffix({ident}, ' ')) THEN {ident} "
              f"WHEN trim({ident}) IN ({tokens}) THEN NULL ELSE trim({ident}) END)")
    if exact_tokens_read:
        return f"(CASE {padded}"
    return f"(CASE WHEN strlen({ident}) <= {longest} AND {ident} IN ({tokens}) THEN NULL {padded}"


def parsed_value(col: Column, column: str) -> str:
    """SQL that finishes a value the CSV reader already parsed (see ``reader_type``):
    NULL for what the contract's text rules would refuse, the contract's type."""
    ident = quote_ident(column)
    if col.type in (ColumnType.FLOAT, ColumnType.MONEY):
        finite = f"(CASE WHEN isfinite({ident}) THEN {ident} END)"
        return f"round({finite}, 2)" if col.type is ColumnType.MONEY else finite
    return ident


def reader_type(col: Column) -> str:
    """The type DuckDB's CSV reader may parse a column as, or VARCHAR when the contract's
    text rules must see the text. The reader parses numbers with a fraction and booleans;
    whatever it parses, the text rules accept too, as the same value, and what it cannot
    parse is retried as text. Everything else is typed from the text: strings; whole
    numbers, which the reader would round; anything with a length or pattern rule; and
    dates and timestamps, whose text rules' fast paths cost less than the reader's
    parsing (a timestamp parsed in a time zone, then cast), and a bad date parsed by the
    reader sets its line aside, which costs every later step a join to number the rows."""
    if col.pattern or col.max_length is not None:
        return "VARCHAR"
    return {ColumnType.FLOAT: "DOUBLE", ColumnType.MONEY: "DOUBLE",
            ColumnType.BOOLEAN: "BOOLEAN"}.get(col.type, "VARCHAR")


def typed_value(col: Column, raw: str, date_format: str | None = None,
                candidate: str | None = None) -> str:
    """SQL that converts the cleaned string to the column's type, NULL when it can't.

    ``candidate``, for a whole number, is DuckDB's own (lenient) cast of the value, worked
    out in an earlier projection: when it prints back as exactly the text, the text was
    a plain whole number and the candidate is the answer, without the regular expression
    (a third of the cost of typing a whole-number column)."""
    t = col.type
    if t is ColumnType.STRING and col.allowed:
        # allowed values in any case ('Completed', 'usd'), stored as the contract spells
        # them; NULL for any other value. The listed spelling is looked at first.
        listed = ", ".join(sql_literal(v) for v in col.allowed)
        folded = " ".join(f"WHEN {sql_literal(v.lower())} THEN {sql_literal(v)}"
                          for v in col.allowed)
        return f"(CASE WHEN {raw} IN ({listed}) THEN {raw} ELSE CASE lower({raw}) {folded} END END)"
    if t is ColumnType.STRING:
        return raw
    if t is ColumnType.INTEGER:
        general = (f"(CASE WHEN regexp_full_match(trim({raw}), '[+-]?[0-9]{{1,18}}') "
                   f"THEN TRY_CAST(trim({raw}) AS BIGINT) END)")
        if candidate is None:
            return general
        return (f"(CASE WHEN CAST({candidate} AS VARCHAR) = {raw} AND strlen({raw}) <= 18 "
                f"THEN {candidate} ELSE {general} END)")
    if t in (ColumnType.FLOAT, ColumnType.MONEY):
        num = f"TRY_CAST(trim({raw}) AS DOUBLE)"
        if t is ColumnType.MONEY:  # an amount as a spreadsheet shows it: '$1,234.50'
            num = (f"coalesce({num}, CASE WHEN regexp_full_match(trim({raw}), "
                   f"{sql_literal(_SHOWN_AMOUNT)}) THEN TRY_CAST(regexp_replace("
                   f"trim({raw}), '[^0-9.+-]', '', 'g') AS DOUBLE) END)")
        finite = f"(CASE WHEN isfinite({num}) THEN {num} END)"
        return f"round({finite}, 2)" if t is ColumnType.MONEY else finite
    if t is ColumnType.BOOLEAN:
        return (f"(CASE WHEN {raw} = '1' THEN TRUE WHEN {raw} = '0' THEN FALSE "
                f"WHEN lower(trim({raw})) IN ('true','t','yes','y','1') THEN TRUE "
                f"WHEN lower(trim({raw})) IN ('false','f','no','n','0') THEN FALSE END)")
    if t is ColumnType.DATE:
        if date_format:
            return f"TRY_STRPTIME(trim({raw}), {sql_literal(date_format)})::DATE"
        # DuckDB's date cast ignores what follows a time ('2026-01-01 10:00:00 BC' or
        # '... xyz' gives 2026-01-01): a value longer than a date must be a timestamp.
        # Fast path: ten characters with no space at either end are their own trim.
        return (f"(CASE WHEN length({raw}) = 10 AND NOT (prefix({raw}, ' ') OR "
                f"suffix({raw}, ' ')) THEN TRY_CAST({raw} AS DATE) "
                f"WHEN length(trim({raw})) <= 10 THEN TRY_CAST(trim({raw}) AS DATE) "
                f"WHEN TRY_CAST(trim({raw}) AS TIMESTAMPTZ) IS NOT NULL "
                f"THEN TRY_CAST(trim({raw}) AS DATE) END)")
    if t is ColumnType.TIMESTAMP:
        # an instant (TIMESTAMPTZ): a value without an offset is UTC
        if date_format:
            return (f"timezone('UTC', TRY_STRPTIME(trim({raw}), "
                    f"{sql_literal(date_format)})::TIMESTAMP)")
        # Fast path for 'YYYY-MM-DD HH:MM:SS' (or with 'T'): with an explicit UTC offset
        # it parses several times faster than read in the session's time zone (UTC). If
        # that parses, the value had no zone of its own, so it is the same instant;
        # if not (a zone letter, padding), the general rule decides.
        general = f"TRY_CAST(trim({raw}) AS TIMESTAMPTZ)"
        return (f"(CASE WHEN {raw} LIKE '____-__-__ __:__:__' OR "
                f"{raw} LIKE '____-__-__T__:__:__' THEN "
                f"coalesce(TRY_CAST({raw} || '+00' AS TIMESTAMPTZ), {general}) "
                f"ELSE {general} END)")
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
    if not present or col.masking is Masking.DROP:  # a value never kept (CVV, SSN) does
        return []  # not cost its row: the customer and their orders stay
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
        reason = sql_literal(" " + expectation)
        if col.type is ColumnType.DATE and not date_format:  # '2026-11-31': the right
            # shape, but no such day
            reason = (f"CASE WHEN regexp_full_match({raw}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                      "THEN ' is not a day of the calendar (YYYY-MM-DD)' "
                      f"ELSE {reason} END")
        out.append((f"{raw} IS NOT NULL AND {typed} IS NULL", f"{shown} || {reason}"))
    if col.pattern:
        what = ("does not have the expected format" if col.is_sensitive_value
                and not col.pattern_text else col.pattern_words)
        out.append((
            f"{raw} IS NOT NULL AND NOT regexp_full_match({raw}, {sql_literal(col.pattern)})",
            f"{shown} || {sql_literal(' ' + what)}",
        ))
    if col.allowed:
        listed = ", ".join(sql_literal(v) for v in col.allowed)
        out.append((
            # (a string's typed value is an allowed one, or NULL: see typed_value)
            f"{raw} IS NOT NULL AND {typed} IS NULL" if col.type is ColumnType.STRING
            else f"{typed} IS NOT NULL AND {typed} NOT IN ({listed})",
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


TYPED = "_typed"  # _row, typed contract columns, _invalid, _raw_values
RAW_VALUES = "_raw_values"  # the text of an invalid row's columns, in contract order
VALIDATED = "_validated"  # view: TYPED plus _bad (invalid, or a foreign key not found)
REJECTED_ROWS = "_rejected"  # _row, _reasons, _raw_<column> for every bad row
FK_PROBLEMS = "_fk_problems"


@dataclass(frozen=True)
class _ColumnSql:
    name: str
    raw: str
    typed: str
    checks: list[tuple[str, str]]


def _column_sql(table: Table, present: set[str],
                date_formats: dict[str, str] | None) -> list[_ColumnSql]:
    date_formats = date_formats or {}
    out = []
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
        checks = _checks(col, raw, typed, is_present or col.default is not None, fmt)
        out.append(_ColumnSql(col.name, raw, typed, checks))
    return out


def typed_rows_sql(table: Table, present: set[str], source: str,
                   date_formats: dict[str, str] | None = None,
                   parsed: frozenset[str] = frozenset(), *,
                   exact_tokens_read: bool = False, with_row: bool = True) -> str:
    """SELECT of ``_row``, every contract column typed, ``_invalid`` (a check failed)
    and, for invalid rows only, the cleaned text as ``_raw_values`` (a list in the
    table's column order, NULL for a column the file lacks: one column rather than one
    per contract column, which cost 10 % of reading a wide file for mostly NULLs).

    ``parsed`` names the columns the CSV reader already parsed (``reader_type``), and
    ``exact_tokens_read`` says it read the exact null tokens as NULL. Without
    ``with_row``, ``source`` has no ``_row`` and the SELECT neither (a projection of the
    source's rows in their order, to be numbered by position).
    Cheap on purpose: each value is cleaned once and typed once (layered projections),
    and reasons are only built later for the few bad rows.
    """
    date_formats = date_formats or {}
    row = f"{quote_ident(ROW)}, " if with_row else ""
    cleaned, typed, final, kept, conditions = [], [], [], [], []
    for i, col in enumerate(table.columns):
        is_present = col.name in present
        is_parsed = is_present and col.name in parsed
        if is_parsed:
            raw = quote_ident(col.name)
            kept.append(f"CAST(s{i} AS VARCHAR)")  # as parsed: what the text rules re-check
        elif is_present:
            raw = cleaned_value(col.name, exact_tokens_read=exact_tokens_read)
            kept.append(f"s{i}")
        else:  # not in the file: no text of its own
            raw = sql_literal(col.default) if col.default is not None else "NULL::VARCHAR"
            kept.append("NULL::VARCHAR")
        fmt = date_formats.get(col.name)
        cleaned.append(f"{raw} AS s{i}")
        candidate = None
        if col.type is ColumnType.INTEGER and is_present and not is_parsed:
            # the cast of the uncleaned text: it differs from the cleaned one only for a
            # padded value, whose cleaned text is trimmed (a padded null token's is NULL,
            # which never equals a printed number)
            cleaned.append(f"TRY_CAST({quote_ident(col.name)} AS BIGINT) AS c{i}")
            candidate = f"c{i}"
        value = (parsed_value(col, f"s{i}") if is_parsed
                 else typed_value(col, f"s{i}", fmt, candidate))
        typed.append(f"s{i}, {value} AS t{i}")
        final.append(f"CAST(t{i} AS {col.type.duckdb}) AS {quote_ident(col.name)}"
                     + (f", s{i}" if is_present else "")
                     + (f", t{i}" if is_parsed else ""))
        checks = _checks(col, f"s{i}", f"t{i}", is_present or col.default is not None, fmt)
        conditions += [f"({cond})" for cond, _ in checks]
    # TRUE when any check is (NULL is not a failure): one coalesce for the whole chain
    bad = f"coalesce({' OR '.join(conditions)}, FALSE)" if conditions else "FALSE"
    names = ", ".join(quote_ident(c.name) for c in table.columns)
    return (f"SELECT {row}{names}, _invalid, CASE WHEN _invalid THEN [{', '.join(kept)}] "
            f"END AS {RAW_VALUES} FROM "
            f"(SELECT {row}{', '.join(final)}, ({bad}) AS _invalid FROM "
            f"(SELECT {row}{', '.join(typed)} FROM "
            f"(SELECT {row}{', '.join(cleaned)} FROM {source})))")


def reasons_sql(table: Table, present: set[str], source: str,
                date_formats: dict[str, str] | None = None) -> str:
    """SELECT of ``_row``, ``_reasons`` (list of {column, reason}) and the cleaned raw
    values as ``_raw_<column>``, for every row of ``source``."""
    parts = _column_sql(table, present, date_formats)
    items = [
        f"CASE WHEN {cond} THEN {{'column': {sql_literal(p.name)}, 'reason': {reason}}} END"
        for p in parts for cond, reason in p.checks
    ]
    reasons = (f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)" if items
               else "[]::STRUCT(\"column\" VARCHAR, reason VARCHAR)[]")
    raw = [f"{p.raw} AS {quote_ident('_raw_' + p.name)}" for p in parts]
    return f"SELECT {quote_ident(ROW)}, {reasons} AS _reasons, {', '.join(raw)} FROM {source}"


def validate_rows(
    con: Any, table: Table, source: str, present: set[str],
    date_formats: dict[str, str] | None = None, *, parsed: frozenset[str] = frozenset(),
    retry_source: str | None = None, exact_tokens_read: bool = False,
) -> None:
    """Type and check every row of ``source`` (columns and ``_row``; ``parsed`` names
    the columns the reader already parsed, the others are text) and of ``retry_source``
    (all text: rows the reader could not parse) into the temp table ``_typed``;
    ``exact_tokens_read``: the reader of ``source`` read the exact null tokens as NULL.

    Foreign keys are checked next with :func:`add_reference_check`; then
    :func:`collect_rejections` explains every bad row.
    """
    query = typed_rows_sql(table, present, source, date_formats, parsed,
                           exact_tokens_read=exact_tokens_read)
    if retry_source is not None:
        query += (" UNION ALL BY NAME "
                  + typed_rows_sql(table, present, retry_source, date_formats))
    keep_typed_rows(con, query)


def keep_typed_rows(con: Any, typed_sql: str, *, copy: bool = True) -> None:
    """Make the rows of ``typed_sql`` (a :func:`typed_rows_sql` result, or a union of
    them) the checked file's ``_typed``: a temp table, or without ``copy`` a view (rows
    already typed in a table of their own, which must outlive the view), with empty
    foreign key problems and the ``_validated`` view over both."""
    row = quote_ident(ROW)
    drop_relation(con, TYPED)
    kind = "TABLE" if copy else "VIEW"
    con.execute(f"CREATE TEMP {kind} {TYPED} AS {typed_sql}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FK_PROBLEMS} "
                f"({row} BIGINT, \"column\" VARCHAR, reason VARCHAR)")
    # A view rather than an UPDATE of the typed rows: marking a few thousand scattered
    # rows of a table of millions costs seconds, a semi-join on each read milliseconds.
    con.execute(f"CREATE OR REPLACE TEMP VIEW {VALIDATED} AS SELECT *, (_invalid OR {row} "
                f"IN (SELECT {row} FROM {FK_PROBLEMS})) AS _bad FROM {TYPED}")


@contextmanager
def optimizers_disabled(con: Any, names: str) -> Iterator[None]:
    """DuckDB's optimizers ``names`` (comma-separated) off for the statements inside, and
    back on after them: the connection goes on to check more files."""
    con.execute(f"SET disabled_optimizers = {sql_literal(names)}")
    try:
        yield
    finally:
        con.execute("RESET disabled_optimizers")


def drop_relation(con: Any, name: str) -> None:
    """Drop the temp table or view ``name``, if there is one."""
    kinds = con.execute(
        "SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = ? UNION ALL "
        "SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ?",
        [name, name]).fetchall()
    for (kind,) in kinds:
        con.execute(f"DROP {kind} {quote_ident(name)}")


def rename_typed(con: Any, new_name: str) -> None:
    """Move ``_typed`` (a table or a view) out of the next file's way."""
    is_view = con.execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND "
                          "view_name = ?", [TYPED]).fetchall()[0][0]
    con.execute(f"ALTER {'VIEW' if is_view else 'TABLE'} {TYPED} RENAME TO "
                f"{quote_ident(new_name)}")


def add_reference_check(
    con: Any, column: str, reference: str, ref_column: str, label: str
) -> int:
    """Record valid rows whose ``column`` is not in ``reference.ref_column`` (they become
    ``_bad`` in ``_validated``); returns how many."""
    col = quote_ident(column)
    row = quote_ident(ROW)
    reason = f"'''' || v.{col} || {sql_literal(chr(39) + ' is not a known ' + label)}"
    con.execute(
        f"INSERT INTO {FK_PROBLEMS} SELECT v.{row}, {sql_literal(column)}, {reason} "
        f"FROM {TYPED} v WHERE NOT v._invalid AND v.{col} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {reference} r WHERE r.{quote_ident(ref_column)} = v.{col})"
    )
    count = con.execute(
        f"SELECT count(*) FROM {FK_PROBLEMS} WHERE \"column\" = {sql_literal(column)}"
    ).fetchall()[0][0]
    return int(count)


def collect_rejections(
    con: Any, table: Table, present: set[str], date_formats: dict[str, str] | None = None,
) -> int:
    """Build ``_rejected`` (reasons + values) for every bad row of ``_validated``; returns
    the count. Rows that failed a check are explained from their kept text; rows rejected
    only for a foreign key show their (valid) typed values."""
    row = quote_ident(ROW)
    invalid_rows, key_problems = con.execute(
        f"SELECT (SELECT count(*) FROM {TYPED} WHERE _invalid), "
        f"(SELECT count(*) FROM {FK_PROBLEMS})").fetchall()[0]
    if not invalid_rows and not key_problems:  # a clean file: skip planning the reasons
        raw_columns = ", ".join(f"{quote_ident('_raw_' + c.name)} VARCHAR"
                                for c in table.columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {REJECTED_ROWS} ({row} BIGINT, "
                    f"_reasons STRUCT(\"column\" VARCHAR, reason VARCHAR)[], {raw_columns})")
        return 0
    # The failed rows' text is copied out first: scattered through millions of rows, they
    # reach the (wide) reasons projection a few per chunk, and its per-chunk cost made it
    # 10x slower than on the same rows copied together (order lines, large: 0.46 s).
    if invalid_rows:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _invalid_text AS SELECT {row}, "
                    + ", ".join(f"{RAW_VALUES}[{i + 1}] AS {quote_ident(c.name)}"
                                for i, c in enumerate(table.columns) if c.name in present)
                    + f" FROM {TYPED} WHERE _invalid")
    texts = ", ".join(f"CAST({quote_ident(c.name)} AS VARCHAR) AS "
                      f"{quote_ident('_raw_' + c.name)}" for c in table.columns)
    only_keys = (f"SELECT {row}, []::STRUCT(\"column\" VARCHAR, reason VARCHAR)[] AS "
                 f"_reasons, {texts} FROM {TYPED} WHERE NOT _invalid AND {row} IN "
                 f"(SELECT {row} FROM {FK_PROBLEMS})")
    # The reasons query is wide (every check of every column), and planning it costs
    # more than running it on a few thousand rows: only plan it for rows that failed a
    # check, and then without the search for common subexpressions (50 ms for order
    # lines' 12 columns).
    explained = (f"{reasons_sql(table, present, '_invalid_text', date_formats)} "
                 f"UNION ALL BY NAME "
                 f"{only_keys}" if invalid_rows else only_keys)
    with optimizers_disabled(con, "common_subexpressions"):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {REJECTED_ROWS} AS "
            f"SELECT c.{row}, list_concat(c._reasons, coalesce(fk.reasons, [])) AS _reasons, "
            f"c.* EXCLUDE ({row}, _reasons) "
            f"FROM ({explained}) c "
            f"LEFT JOIN (SELECT {row}, list({{'column': \"column\", 'reason': reason}}) AS reasons "
            f"FROM {FK_PROBLEMS} GROUP BY {row}) fk USING ({row})"
        )
    return int(con.execute(f"SELECT count(*) FROM {REJECTED_ROWS}").fetchall()[0][0])


def list_problems(con: Any, limit: int = 1000) -> list[RowProblem]:
    """The first (row, column, reason) problems of ``_rejected``, in row order."""
    row = quote_ident(ROW)
    return [
        RowProblem(int(r), str(c), str(m))
        for r, c, m in con.execute(
            f'SELECT {row}, u.reason."column", u.reason.reason FROM '
            f"(SELECT {row}, unnest(_reasons) AS reason FROM {REJECTED_ROWS}) u "
            f"ORDER BY 1 LIMIT {int(limit)}"
        ).fetchall()
    ]
