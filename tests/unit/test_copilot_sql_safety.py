"""The SQL gate refuses every hostile statement and caps what it lets through."""

from __future__ import annotations

import pytest

from shopsight.errors import UnsafeQuery
from shopsight.systems.retail_copilot.sql_safety import check_sql

HOSTILE: list[tuple[str, str]] = [
    ("DROP TABLE orders", "only read-only SELECT"),
    ("SELECT 1; DROP TABLE orders", "exactly one statement"),
    ("SELECT order_id FROM orders; DELETE FROM orders", "exactly one statement"),
    ("SELECT 1 /* ; */ ; DROP TABLE orders -- hidden", "exactly one statement"),
    ("DELETE FROM orders WHERE 1=1", "only read-only SELECT"),
    ("UPDATE orders SET status = 'paid'", "only read-only SELECT"),
    ("INSERT INTO orders (order_id) VALUES ('x')", "only read-only SELECT"),
    ("CREATE TABLE loot AS SELECT * FROM customers", "only read-only SELECT"),
    ("ALTER TABLE orders RENAME TO gone", "only read-only SELECT"),
    ("COPY orders TO '/tmp/orders.csv'", "only read-only SELECT"),
    ("COPY (SELECT order_id FROM orders) TO '/tmp/o.parquet' (FORMAT parquet)",
     "only read-only SELECT"),
    ("ATTACH '/tmp/evil.db' AS evil", "only read-only SELECT"),
    ("DETACH evil", "only read-only SELECT"),
    ("INSTALL httpfs", "only read-only SELECT"),
    ("LOAD httpfs", "only read-only SELECT"),
    ("PRAGMA database_list", "only read-only SELECT"),
    ("SET enable_external_access = true", "only read-only SELECT"),
    ("CALL pragma_version()", "only read-only SELECT"),
    ("EXPORT DATABASE '/tmp/dump'", "cannot parse"),
    ("SELECT * FROM read_csv('/etc/passwd')", "table functions"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "table functions"),
    ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "table functions"),
    ("SELECT * FROM read_json('/etc/hosts')", "table functions"),
    ("SELECT * FROM '/etc/passwd'", "unknown table"),
    ("SELECT * FROM glob('/*')", "table functions"),
    ("SELECT * FROM read_text('/etc/shadow')", "table functions"),
    ("SELECT * FROM read_blob('/etc/shadow')", "table functions"),
    ("SELECT * FROM parquet_scan('x.parquet')", "table functions"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "table functions"),
    ("SELECT * FROM query_table('orders')", "table functions"),
    ("SELECT * FROM duckdb_settings()", "table functions"),
    ("SELECT table_name FROM information_schema.tables", "qualified table"),
    ("SELECT order_id FROM main.orders", "qualified table"),
    ("SELECT getenv('AWS_SECRET_ACCESS_KEY')", "function getenv"),
    ("SELECT current_setting('enable_external_access')", "function current_setting"),
    ("SELECT order_id, (SELECT content FROM read_text('/etc/passwd')) FROM orders",
     "table functions"),
    ("SELECT card_number FROM payments", "cardholder data"),
    ("SELECT payment_id, CARD_HOLDER FROM payments", "cardholder data"),
    ("SELECT \"card_expiry\" AS e FROM payments", "cardholder data"),
    ("SELECT p.card_number AS safe FROM payments p", "cardholder data"),
    ("SELECT * FROM payments", "SELECT * over payments"),
    ("SELECT pa.* FROM payments pa", "SELECT * over payments"),
    ("FROM payments", "SELECT * over payments"),
    ("SELECT * EXCLUDE (cvv) FROM payments", "cardholder data"),
    ("WITH x AS (SELECT * FROM payments) SELECT payment_id FROM x",
     "SELECT * over payments"),
    ("SELECT p FROM payments p", "names a table"),
    ("SELECT p AS p FROM payments p", "names a table"),
    ("SELECT payments FROM payments", "names a table"),
    ("SELECT COLUMNS('card.*') FROM payments", "COLUMNS"),
    ("SELECT #9 FROM payments", "POSITIONALCOLUMN"),
    ("WITH gone AS (DELETE FROM orders RETURNING order_id) SELECT order_id FROM gone",
     "DELETE"),
    ("SELECT order_id INTO loot FROM orders", "INTO is not allowed"),
    ("SELECT order_id FROM copilot_conversations", "unknown table"),
    ("SELECT messages FROM copilot_conversations WHERE user_id = 'someone-else'",
     "unknown table"),
    ("SELECT ssn FROM customers", "unknown column"),
    ("SELECT order_id FROM orders\u200b; DROP TABLE orders", "invisible"),
    ("ＳＥＬＥＣＴ order_id FROM orders", "look-alike"),
    ("SELECT order_id FROM orders WHERE status = 'paid'\u202e", "invisible"),
    ("SELECT U&\"card\\005fnumber\" FROM payments", "unknown column"),
    ("SELECT order_id FROM orders WHERE order_id = ?", "PLACEHOLDER"),
    ("", "empty"),
    ("SELECT " + "1+" * 12000 + "1", "characters long"),
]


def test_hostile_corpus_is_large() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize(("sql", "reason"), HOSTILE)
def test_hostile_sql_refused_with_a_clear_reason(sql: str, reason: str) -> None:
    with pytest.raises(UnsafeQuery) as info:
        check_sql(sql)
    assert reason.lower() in info.value.reason.lower(), info.value.reason
    assert info.value.sql == sql
    assert str(info.value).startswith("refused query: ")


@pytest.mark.parametrize("sql", [
    "SELECT store_id, SUM(total_amount) AS revenue FROM orders GROUP BY store_id",
    "WITH x AS (SELECT order_id FROM orders) SELECT order_id FROM x",
    "SELECT order_id FROM orders UNION ALL SELECT order_id FROM order_items",
    "SELECT payment_id, card_number_token, amount FROM payments WHERE status = 'declined'",
    "SELECT COUNT(*) FROM payments",
    "SELECT * FROM orders",
    "SELECT o.order_date - INTERVAL 7 DAY AS d FROM orders o",
    "SELECT date_trunc('month', order_date) AS m, COUNT(*) AS n FROM orders GROUP BY 1",
])
def test_read_only_queries_pass_with_a_row_cap(sql: str) -> None:
    safe = check_sql(sql, max_rows=100)
    assert safe.endswith("LIMIT 100")


def test_limit_is_lowered_not_raised() -> None:
    assert check_sql("SELECT order_id FROM orders LIMIT 5").endswith("LIMIT 5")
    assert check_sql("SELECT order_id FROM orders LIMIT 50000").endswith("LIMIT 1000")
