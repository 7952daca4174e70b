"""The copilot's SQL gate: every statement, whoever wrote it, passes here before it runs.

:func:`check_sql` parses the text with sqlglot (DuckDB dialect) and accepts exactly one
read-only query (SELECT, WITH, UNION/INTERSECT/EXCEPT of SELECTs) that reads only the
contract's tables and non-PCI columns, calls only allow-listed scalar and aggregate
functions (no table functions, file readers or settings), and returns at most
``max_rows`` rows (a LIMIT is added or lowered). :func:`run_query` then executes it on a
connection from :func:`shopsight.lake.sql.connect` (external access already disabled),
in a worker thread that is interrupted after ``timeout_s`` seconds.

Anything else raises :class:`~shopsight.errors.UnsafeQuery` with the rule it broke;
nothing is executed.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shopsight.errors import UnsafeQuery
from shopsight.schema import TABLES, Privacy

DEFAULT_MAX_ROWS = 1000
DEFAULT_TIMEOUT_S = 10.0
MAX_SQL_LENGTH = 20_000

ALLOWED_COLUMNS: dict[str, frozenset[str]] = {
    t.name: frozenset(name for name, _type, privacy in t.curated_columns
                      if privacy is not Privacy.PCI)
    for t in TABLES
}
"""Tables the copilot may read, with the columns it may name (curated, non-PCI)."""

PCI_COLUMNS: frozenset[str] = frozenset(
    c.name for t in TABLES for c in t.columns if c.privacy is Privacy.PCI
)
"""Cardholder-data columns (card_number, card_holder, card_expiry, cvv): never returned."""

TABLES_WITH_PCI: frozenset[str] = frozenset(
    t.name for t in TABLES if any(c.privacy is Privacy.PCI for c in t.columns)
)

_ALL_COLUMNS = frozenset().union(*ALLOWED_COLUMNS.values())

# sqlglot expression keys (lowercased class names) of functions that only compute on
# values. Anything that reads files, settings, the catalog or the environment is absent.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset({
    # aggregates
    "count", "sum", "avg", "min", "max", "median", "quantile", "quantilecont",
    "quantiledisc", "percentilecont", "percentiledisc", "stddev", "stddevpop",
    "stddevsamp", "variance", "variancepop", "countif", "approxdistinct", "anyvalue",
    "argmax", "argmin", "first", "last", "groupconcat", "stringagg", "arrayagg",
    "bool_and", "logicaland", "logicalor", "corr", "covarpop", "covarsamp",
    # window functions
    "rownumber", "rank", "denserank", "percentrank", "cumedist", "ntile", "lag",
    "lead", "firstvalue", "lastvalue", "nthvalue",
    # numbers
    "round", "abs", "ceil", "floor", "sqrt", "pow", "ln", "log", "exp", "sign", "mod",
    "greatest", "least", "div", "safedivide",
    # conditionals and types
    "coalesce", "nullif", "if", "case", "cast", "trycast", "ifnull",
    # text
    "lower", "upper", "length", "concat", "concatws", "substring", "trim", "replace",
    "left", "right", "strposition", "initcap", "lpad", "rpad", "regexplike",
    "regexpextract", "startswith", "endswith", "contains", "split", "reverse",
    # dates
    "timestamptrunc", "datetrunc", "datediff", "dateadd", "datesub", "year", "month",
    "day", "dayofweek", "dayofweekiso", "dayofmonth", "dayofyear", "week", "weekofyear",
    "quarter", "extract", "currentdate", "currenttimestamp", "timetostr", "strtotime",
    "strtodate", "todate", "datestrtodate", "tsordstodate", "date", "datefromparts",
    "timestampdiff", "timestampadd", "timestampsub", "timeadd", "timesub", "lastday",
    "unixtotime", "timetounix", "epoch", "makeinterval", "interval", "hour", "minute",
    "second", "tsordstotime", "tsordsadd", "datetime", "monthsbetween", "generatedatearray",
})

ALLOWED_ANONYMOUS: frozenset[str] = frozenset({
    "date_diff", "date_part", "datepart", "date_add", "date_sub", "make_date", "strftime",
    "strptime", "dayname", "monthname", "isodow", "dow", "yearweek", "last_day",
    "epoch_ms", "to_days", "to_months", "to_years", "list_aggregate", "fsum", "favg",
    "bool_or", "bool_and", "count_star", "round_even", "even", "trunc", "printf",
    "format", "ifnull", "nvl", "struct_extract", "mode", "product", "kurtosis", "skewness",
    "entropy", "histogram", "list", "array_length", "len", "to_timestamp", "time_bucket",
})

# Statement kinds refused wherever they appear in the tree (a CTE that writes, SELECT
# INTO...). Looked up by name so older or newer sqlglot versions without one still work.
_FORBIDDEN_NODES = (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable",
    "TruncateTable", "Copy", "Command", "Set", "SetItem", "Pragma", "Use", "Attach",
    "Detach", "Install", "Load", "LoadData", "Export", "Describe", "Show", "Analyze",
    "Transaction", "Commit", "Rollback", "Into", "Placeholder", "Parameter",
    "SessionParameter", "Kill", "Grant", "Revoke", "Comment", "Refresh", "Cache",
    "Uncache", "Summarize", "Columns", "PositionalColumn",
)


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query that passed the gate, with the SQL that actually ran."""

    sql: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    tables: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """Rows as dictionaries keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _refuse(sql: str, reason: str) -> UnsafeQuery:
    return UnsafeQuery(sql, reason)


def _check_text(sql: str) -> None:
    if not sql.strip():
        raise _refuse(sql, "the query is empty; ask for one SELECT statement")
    if len(sql) > MAX_SQL_LENGTH:
        raise _refuse(sql, f"the query is {len(sql)} characters long; the limit is "
                      f"{MAX_SQL_LENGTH}")
    for ch in sql:
        cat = unicodedata.category(ch)
        if ch not in "\t\n\r" and cat in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp"):
            raise _refuse(sql, f"the query contains the invisible or control character "
                          f"U+{ord(ch):04X}; write plain SQL")
    if unicodedata.normalize("NFKC", sql) != sql:
        raise _refuse(sql, "the query contains look-alike Unicode characters (full-width "
                      "letters, ligatures...); write plain ASCII SQL")


def _parse(sql: str) -> Any:
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0][:200]
        raise _refuse(sql, f"cannot parse the query as DuckDB SQL ({first})") from None
    if len(statements) != 1:
        raise _refuse(sql, f"expected exactly one statement, found {len(statements)}; "
                      "stacked statements are not allowed")
    return statements[0]


def _forbidden_classes() -> tuple[type, ...]:
    from sqlglot import exp

    return tuple(getattr(exp, name) for name in _FORBIDDEN_NODES if hasattr(exp, name))


def _function_name(node: Any) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.key).lower()


def check_sql(sql: str, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The safe form of ``sql`` (row cap applied), or :class:`UnsafeQuery` explaining why not.

    Rules: one statement; a SELECT/WITH/set operation at the root; no DDL, DML, COPY,
    ATTACH, INSTALL, LOAD, PRAGMA, SET, CALL, EXPORT anywhere; only contract tables (or
    CTEs defined in the query); only allow-listed functions; no PCI columns; no ``*`` over
    a table holding PCI columns; LIMIT at most ``max_rows``.
    """
    from sqlglot import exp

    _check_text(sql)
    tree = _parse(sql)
    if not isinstance(tree, exp.Select | exp.SetOperation):
        kind = type(tree).__name__.upper()
        raise _refuse(sql, f"only read-only SELECT queries are allowed, this is {kind}")
    forbidden = _forbidden_classes()
    cte_names: set[str] = set()
    defined_names: set[str] = set()
    for node in tree.walk():
        if isinstance(node, forbidden):
            raise _refuse(sql, f"{type(node).__name__.upper()} is not allowed inside a "
                          "query; the copilot only reads")
        if isinstance(node, exp.CTE):
            cte_names.add(str(node.alias_or_name).lower())
        if isinstance(node, exp.Alias):
            defined_names.add(str(node.alias).lower())
        if isinstance(node, exp.TableAlias):
            defined_names.update(str(c.name).lower() for c in node.columns)
    tables = _check_tables(sql, tree, cte_names)
    _check_functions(sql, tree)
    _check_columns(sql, tree, tables, cte_names, defined_names)
    _check_stars(sql, tree, tables)
    return _cap_rows(sql, tree, max_rows)


def _check_tables(sql: str, tree: Any, cte_names: set[str]) -> set[str]:
    from sqlglot import exp

    used: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            name = _function_name(table.this) if isinstance(table.this, exp.Func) else \
                type(table.this).__name__
            raise _refuse(sql, f"table functions and file readers are not allowed "
                          f"({name}); query the lake tables by name")
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse(sql, f"qualified table {table.sql(dialect='duckdb')} is not "
                          f"allowed; use one of: {', '.join(sorted(ALLOWED_COLUMNS))}")
        name = str(table.name).lower()
        if name in cte_names:
            continue
        if name not in ALLOWED_COLUMNS:
            raise _refuse(sql, f"unknown table {table.name!r}; the copilot can read: "
                          f"{', '.join(sorted(ALLOWED_COLUMNS))}")
        used.add(name)
    return used


def _check_functions(sql: str, tree: Any) -> None:
    from sqlglot import exp

    for func in tree.find_all(exp.Func):
        if isinstance(func, exp.Connector):  # AND, OR: operators, not calls
            continue
        name = _function_name(func)
        allowed = (name in ALLOWED_ANONYMOUS if isinstance(func, exp.Anonymous)
                   else name in ALLOWED_FUNCTIONS)
        if not allowed:
            shown = func.name if isinstance(func, exp.Anonymous) else func.sql_name()
            raise _refuse(sql, f"function {str(shown).lower()}() is not allowed; the copilot "
                          "uses only scalar, date and aggregate functions")


def _check_columns(sql: str, tree: Any, tables: set[str], cte_names: set[str],
                   defined_names: set[str]) -> None:
    from sqlglot import exp

    table_aliases = {str(t.alias_or_name).lower() for t in tree.find_all(exp.Table)}
    table_aliases |= {str(s.alias).lower() for s in tree.find_all(exp.Subquery) if s.alias}
    clash = sorted(table_aliases & _ALL_COLUMNS)
    if clash:
        raise _refuse(sql, f"table alias {clash[0]!r} is also a column name; choose "
                      "another alias")
    readable = frozenset().union(*(ALLOWED_COLUMNS[t] for t in tables)) if tables \
        else frozenset()
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        name = str(column.name).lower()
        if name in PCI_COLUMNS:
            raise _refuse(sql, f"column {name} is cardholder data (PCI) and is never "
                          "returned; card_number_token identifies a card safely")
        if name in table_aliases or name in cte_names:
            raise _refuse(sql, f"{name!r} names a table, not a column; selecting a whole "
                          "row is not allowed, list the columns you need")
        if name in readable or name in defined_names:
            continue
        if name in _ALL_COLUMNS:
            continue
        known = ", ".join(sorted(readable)) or "none"
        raise _refuse(sql, f"unknown column {column.name!r}; columns of the tables used: "
                      f"{known}")


def _check_stars(sql: str, tree: Any, tables: set[str]) -> None:
    from sqlglot import exp

    pci_tables = tables & TABLES_WITH_PCI
    if not pci_tables:
        return
    for star in tree.find_all(exp.Star):
        parent = star.parent
        if isinstance(parent, exp.Count):
            continue
        names = ", ".join(sorted(frozenset().union(*(ALLOWED_COLUMNS[t] for t in pci_tables))))
        raise _refuse(sql, f"SELECT * over {', '.join(sorted(pci_tables))} would return "
                      f"cardholder data; list the columns you need from: {names}")


def _cap_rows(sql: str, tree: Any, max_rows: int) -> str:
    from sqlglot import exp

    limit = tree.args.get("limit")
    if limit is not None:
        value = limit.expression
        if not (isinstance(value, exp.Literal) and value.is_int):
            raise _refuse(sql, "LIMIT must be a whole number")
        if int(value.this) <= max_rows:
            return str(tree.sql(dialect="duckdb"))
    capped = tree.limit(max_rows, copy=True)
    return str(capped.sql(dialect="duckdb"))


def open_connection(lake: Any) -> Any:
    """A connection from :func:`shopsight.lake.sql.connect`: lake tables only, external
    access disabled and the configuration locked, so SQL cannot reach files."""
    from shopsight.lake.sql import connect

    return connect(lake)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def run_query(con: Any, sql: str, *, max_rows: int = DEFAULT_MAX_ROWS,
              timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Check ``sql`` with :func:`check_sql`, then run it on ``con`` with a time limit.

    ``con`` must come from :func:`shopsight.lake.sql.connect` (external access off). The
    query runs in a worker thread; after ``timeout_s`` seconds it is interrupted and
    :class:`UnsafeQuery` is raised. DuckDB errors (binder, conversion...) propagate as
    ``duckdb.Error`` so that callers can feed them back for repair.
    """
    safe = check_sql(sql, max_rows=max_rows)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            # Arrow, not fetchall(): fetchall() needs pytz for TIMESTAMPTZ columns.
            table = con.sql(safe).to_arrow_table()
            outcome["columns"] = list(table.column_names)
            outcome["rows"] = [tuple(_plain(v) for v in r.values()) for r in table.to_pylist()]
        except BaseException as exc:  # handed to the calling thread below
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="copilot-sql", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        con.interrupt()
        worker.join(5.0)
        raise UnsafeQuery(safe, f"the query ran longer than {timeout_s:g} s and was "
                          "stopped; narrow the period or add filters")
    if "error" in outcome:
        error: BaseException = outcome["error"]
        if "interrupt" in str(error).lower():
            raise UnsafeQuery(safe, f"the query ran longer than {timeout_s:g} s and was "
                              "stopped; narrow the period or add filters") from error
        raise error
    rows = outcome["rows"]
    return QueryResult(sql=safe, columns=outcome["columns"], rows=rows,
                       truncated=len(rows) >= max_rows)
