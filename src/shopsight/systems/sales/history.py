"""Daily sales history for the daily analysis: pure SQL aggregations on a lake connection.

Every function takes a DuckDB connection from :func:`shopsight.lake.sql.connect` and
returns a DataFrame with a documented schema, one row per ``business_date`` (the local
business date of the selling store or web shop) and entity, up to and including the
``as_of`` cut-off, so a daily run or a backtest never sees the future.

What counts as a sale
    Order lines of every order whose status is not ``cancelled`` (a cancelled order never
    happened; a return or refund is a later event, so the sale stays on its day, as on the
    store's POS). Revenue is the line's net amount (``quantity * unit_price -
    discount_amount``) converted to USD with :data:`shopsight.analytics.fx.RATES_PER_USD`,
    so stores in different currencies add up. Order-level promo discounts are not
    spread over lines.

Channels
    ``store`` orders belong to their ``store_id``; ``web`` and ``mobile`` orders form the
    one ``web`` channel (location ``"web"``, region ``"Online"``).

Store uploads
    When the connection also has a ``store_sales`` table (the daily POS uploads), a
    store-day found there replaces that store-day's orders: the upload is what the store
    reported, and a corrected re-upload replaces the day.

String filters are written as ``coalesce(column, '') <> 'x'`` on purpose: DuckDB pushes
plain string comparisons down into the Arrow dataset scans of the Delta tables, which
fails on their string-view columns; wrapped comparisons are evaluated by DuckDB.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from shopsight.analytics.fx import RATES_PER_USD
from shopsight.errors import InvalidParameter

WEB_LOCATION = "web"
"""``location_id`` of web and mobile sales."""

WEB_REGION = "Online"
"""``region`` of web and mobile sales."""

UNKNOWN_CATEGORY = "Unknown"
"""``category`` of a product missing from the catalogue."""

EXCLUDED_STATUSES = ("cancelled",)
"""Order statuses that are not store sales as the POS reports them (a return counts on the
day it is made); net sales leave out more (:data:`shopsight.schema.NOT_SALES_STATUSES`)."""

STORE_DAILY_COLUMNS = ("business_date", "store_id", "region", "revenue", "units",
                       "transactions")
WEB_DAILY_COLUMNS = ("business_date", "revenue", "units", "transactions")
COMPANY_DAILY_COLUMNS = ("business_date", "revenue", "units", "transactions",
                         "store_revenue", "web_revenue")
PRODUCT_DAILY_COLUMNS = ("business_date", "channel", "location_id", "region", "product_id",
                         "category", "revenue", "units")
CATEGORY_DAILY_COLUMNS = ("business_date", "channel", "location_id", "region", "category",
                          "revenue", "units")


def _date_literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _has_table(con: Any, name: str) -> bool:
    rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [name]).fetchall()
    return bool(rows[0][0])


def _dense_days(first: str, last: str) -> str:
    """CTE ``grid``: every day from the first in ``per_day`` (not before ``first``) to
    ``last``, so days without sales appear with zeros."""
    return (f"grid AS (SELECT d.day::DATE AS business_date FROM (SELECT greatest("
            f"min(business_date), {first}) AS first_day FROM per_day) s, LATERAL "
            f"generate_series(s.first_day::TIMESTAMP, {last}::TIMESTAMP, INTERVAL 1 DAY) "
            f"d(day) WHERE s.first_day IS NOT NULL)")


def _window(as_of: date, start: date | None) -> tuple[str, str]:
    """SQL literals of the first and last business date to read."""
    first = start if start is not None else date(1900, 1, 1)
    return _date_literal(first), _date_literal(as_of)


def _lines_cte(con: Any, as_of: date, start: date | None) -> str:
    """A ``WITH`` clause ending in ``lines``: one row per sold line in the window.

    ``lines(business_date, channel, location_id, region, transaction_id, product_id,
    category, units, revenue)``.
    """
    first, last = _window(as_of, start)
    fx = ", ".join(f"('{c}', {r!r})" for c, r in RATES_PER_USD.items())
    excluded = ", ".join(f"'{s}'" for s in EXCLUDED_STATUSES)
    has_stores = _has_table(con, "stores")
    has_products = _has_table(con, "products")
    stores = ("SELECT store_id, region, currency FROM stores" if has_stores else
              "SELECT NULL::VARCHAR AS store_id, NULL::VARCHAR AS region, "
              "NULL::VARCHAR AS currency WHERE false")
    products = ("SELECT product_id, category FROM products" if has_products else
                "SELECT NULL::VARCHAR AS product_id, NULL::VARCHAR AS category WHERE false")
    is_store = "coalesce(o.channel, '') = 'store' AND o.store_id IS NOT NULL"
    order_lines = f"""
        SELECT o.order_date AS business_date,
               CASE WHEN {is_store} THEN 'store' ELSE 'web' END AS channel,
               CASE WHEN {is_store} THEN o.store_id ELSE '{WEB_LOCATION}' END
                   AS location_id,
               o.order_id AS transaction_id, i.product_id, i.quantity AS units,
               (i.quantity * i.unit_price - coalesce(i.discount_amount, 0)) / fx.per_usd
                   AS revenue
        FROM orders o
        JOIN order_items i ON i.order_id = o.order_id
        LEFT JOIN fx ON fx.currency = coalesce(o.currency, 'USD')
        WHERE o.order_date BETWEEN {first} AND {last}
          AND coalesce(o.status, '') NOT IN ({excluded})"""
    uploads = ""
    if _has_table(con, "store_sales"):
        uploads = f"""
        , uploaded_days AS (
            SELECT DISTINCT store_id, business_date FROM store_sales
            WHERE business_date BETWEEN {first} AND {last})
        , upload_lines AS (
            SELECT s.business_date, 'store' AS channel, s.store_id AS location_id,
                   s.transaction_id, s.product_id, s.quantity AS units,
                   s.net_amount / fx.per_usd AS revenue
            FROM store_sales s
            LEFT JOIN store_info si ON si.store_id = s.store_id
            LEFT JOIN fx ON fx.currency = coalesce(s.currency, si.currency, 'USD')
            WHERE s.business_date BETWEEN {first} AND {last})"""
        order_lines = f"""
        SELECT ol.* FROM ({order_lines}) ol
        WHERE NOT (ol.channel = 'store' AND EXISTS (
            SELECT 1 FROM uploaded_days u
            WHERE u.store_id = ol.location_id AND u.business_date = ol.business_date))
        UNION ALL SELECT * FROM upload_lines"""
    return f"""
        WITH fx(currency, per_usd) AS (VALUES {fx})
        , store_info AS ({stores})
        , product_info AS ({products})
        {uploads}
        , raw_lines AS ({order_lines})
        , lines AS (
            SELECT r.business_date::DATE AS business_date, r.channel, r.location_id,
                   CASE WHEN r.channel = 'web' THEN '{WEB_REGION}'
                        ELSE coalesce(si.region, 'Unknown') END AS region,
                   r.transaction_id, r.product_id,
                   coalesce(p.category, '{UNKNOWN_CATEGORY}') AS category,
                   r.units, r.revenue
            FROM raw_lines r
            LEFT JOIN store_info si ON si.store_id = r.location_id
            LEFT JOIN product_info p ON p.product_id = r.product_id)
    """


def _frame(con: Any, sql: str, columns: tuple[str, ...]) -> pd.DataFrame:
    frame: pd.DataFrame = con.execute(sql).df()
    frame["business_date"] = pd.to_datetime(frame["business_date"]).astype("datetime64[ns]")
    for name in ("revenue", "store_revenue", "web_revenue"):
        if name in frame:
            frame[name] = frame[name].astype("float64").round(2)
    for name in ("units", "transactions"):
        if name in frame:
            frame[name] = frame[name].astype("int64")
    return frame.loc[:, list(columns)].reset_index(drop=True)


def daily_store_sales(con: Any, as_of: date, start: date | None = None) -> pd.DataFrame:
    """Revenue (USD), units and transactions per store and business date.

    Dense: every store has a row for every day from its first sale in the window (or
    ``start``) to ``as_of``, zero when it sold nothing, because a silent day is itself
    a signal (a closed store, a failed upload, a collapse). Columns
    :data:`STORE_DAILY_COLUMNS`, sorted by store then date.
    """
    first, last = _window(as_of, start)
    sql = _lines_cte(con, as_of, start) + f"""
        , per_day AS (
            SELECT business_date, location_id AS store_id, any_value(region) AS region,
                   sum(revenue) AS revenue, sum(units) AS units,
                   count(DISTINCT transaction_id) AS transactions
            FROM lines WHERE channel = 'store' GROUP BY ALL)
        , spans AS (
            SELECT store_id, any_value(region) AS region,
                   greatest(min(business_date), {first}) AS first_day
            FROM per_day GROUP BY store_id)
        , grid AS (
            SELECT s.store_id, s.region, d.day::DATE AS business_date
            FROM spans s, LATERAL generate_series(s.first_day::TIMESTAMP,
                                                  {last}::TIMESTAMP, INTERVAL 1 DAY) d(day))
        SELECT g.business_date, g.store_id, g.region,
               coalesce(p.revenue, 0) AS revenue, coalesce(p.units, 0) AS units,
               coalesce(p.transactions, 0) AS transactions
        FROM grid g LEFT JOIN per_day p
          ON p.store_id = g.store_id AND p.business_date = g.business_date
        ORDER BY g.store_id, g.business_date"""
    return _frame(con, sql, STORE_DAILY_COLUMNS)


def daily_web_sales(con: Any, as_of: date, start: date | None = None) -> pd.DataFrame:
    """Revenue (USD), units and orders of the web channel (web and mobile) per day.

    Dense from the first web sale in the window to ``as_of``. Columns
    :data:`WEB_DAILY_COLUMNS`, sorted by date.
    """
    first, last = _window(as_of, start)
    sql = _lines_cte(con, as_of, start) + f"""
        , per_day AS (
            SELECT business_date, sum(revenue) AS revenue, sum(units) AS units,
                   count(DISTINCT transaction_id) AS transactions
            FROM lines WHERE channel = 'web' GROUP BY ALL)
        , {_dense_days(first, last)}
        SELECT g.business_date, coalesce(p.revenue, 0) AS revenue,
               coalesce(p.units, 0) AS units, coalesce(p.transactions, 0) AS transactions
        FROM grid g LEFT JOIN per_day p USING (business_date)
        ORDER BY g.business_date"""
    return _frame(con, sql, WEB_DAILY_COLUMNS)


def daily_company_sales(con: Any, as_of: date, start: date | None = None) -> pd.DataFrame:
    """Company totals per day: revenue (USD), units, transactions, and the revenue split
    between stores and web.

    Dense from the first sale in the window to ``as_of``. Columns
    :data:`COMPANY_DAILY_COLUMNS`, sorted by date.
    """
    first, last = _window(as_of, start)
    sql = _lines_cte(con, as_of, start) + f"""
        , per_day AS (
            SELECT business_date, sum(revenue) AS revenue, sum(units) AS units,
                   count(DISTINCT (location_id, transaction_id)) AS transactions,
                   sum(revenue) FILTER (WHERE channel = 'store') AS store_revenue,
                   sum(revenue) FILTER (WHERE channel = 'web') AS web_revenue
            FROM lines GROUP BY ALL)
        , {_dense_days(first, last)}
        SELECT g.business_date, coalesce(p.revenue, 0) AS revenue,
               coalesce(p.units, 0) AS units, coalesce(p.transactions, 0) AS transactions,
               coalesce(p.store_revenue, 0) AS store_revenue,
               coalesce(p.web_revenue, 0) AS web_revenue
        FROM grid g LEFT JOIN per_day p USING (business_date)
        ORDER BY g.business_date"""
    return _frame(con, sql, COMPANY_DAILY_COLUMNS)


def daily_product_sales(con: Any, as_of: date, start: date | None = None,
                        channel: str | None = None) -> pd.DataFrame:
    """Units and revenue (USD) per location (store id or ``"web"``), product and day.

    Sparse: only days on which the product sold at the location (a dense grid of
    locations x products x days would be mostly zeros; the anomaly detector fills the
    days it looks at). ``channel`` (``"store"`` or ``"web"``) keeps one channel. Columns
    :data:`PRODUCT_DAILY_COLUMNS`, sorted by location, product, date.
    """
    where = "" if channel is None else f"WHERE channel = '{_channel(channel)}'"
    sql = _lines_cte(con, as_of, start) + f"""
        SELECT business_date, channel, location_id, any_value(region) AS region,
               product_id, any_value(category) AS category,
               sum(revenue) AS revenue, sum(units) AS units
        FROM lines {where}
        GROUP BY business_date, channel, location_id, product_id
        ORDER BY location_id, product_id, business_date"""
    return _frame(con, sql, PRODUCT_DAILY_COLUMNS)


def daily_category_sales(con: Any, as_of: date, start: date | None = None,
                         channel: str | None = None) -> pd.DataFrame:
    """Units and revenue (USD) per location (store id or ``"web"``), category and day.

    Sparse like :func:`daily_product_sales`. Columns :data:`CATEGORY_DAILY_COLUMNS`,
    sorted by location, category, date.
    """
    where = "" if channel is None else f"WHERE channel = '{_channel(channel)}'"
    sql = _lines_cte(con, as_of, start) + f"""
        SELECT business_date, channel, location_id, any_value(region) AS region, category,
               sum(revenue) AS revenue, sum(units) AS units
        FROM lines {where}
        GROUP BY business_date, channel, location_id, category
        ORDER BY location_id, category, business_date"""
    return _frame(con, sql, CATEGORY_DAILY_COLUMNS)


def _channel(channel: str) -> str:
    if channel not in ("store", "web"):
        raise InvalidParameter("channel", channel, "'store' or 'web'")
    return channel


__all__ = [
    "CATEGORY_DAILY_COLUMNS", "COMPANY_DAILY_COLUMNS", "EXCLUDED_STATUSES",
    "PRODUCT_DAILY_COLUMNS", "STORE_DAILY_COLUMNS", "UNKNOWN_CATEGORY", "WEB_DAILY_COLUMNS",
    "WEB_LOCATION", "WEB_REGION", "daily_category_sales", "daily_company_sales",
    "daily_product_sales", "daily_store_sales", "daily_web_sales",
]
