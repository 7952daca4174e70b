"""Daily sales history SQL on a tiny hand-made DuckDB database (no lake needed)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from shopsight.errors import InvalidParameter
from shopsight.systems.sales import history


@pytest.fixture
def con() -> Any:
    db = duckdb.connect(":memory:")
    db.execute("CREATE TABLE stores AS SELECT * FROM (VALUES ('0001', 'Europe', 'EUR'), "
               "('0002', 'North America', 'USD')) t(store_id, region, currency)")
    db.execute("CREATE TABLE products AS SELECT * FROM (VALUES ('P1', 'Toys'), "
               "('P2', 'Books')) t(product_id, category)")
    db.execute("""CREATE TABLE orders AS SELECT * FROM (VALUES
        ('O1', DATE '2026-01-01', 'completed', 'store', '0001', 'EUR'),
        ('O2', DATE '2026-01-03', 'completed', 'store', '0001', 'EUR'),
        ('O3', DATE '2026-01-03', 'cancelled', 'store', '0001', 'EUR'),
        ('O4', DATE '2026-01-02', 'returned', 'store', '0002', 'USD'),
        ('O5', DATE '2026-01-02', 'delivered', 'mobile', NULL, 'USD'),
        ('O6', DATE '2026-01-04', 'completed', 'store', '0002', 'USD'))
        t(order_id, order_date, status, channel, store_id, currency)""")
    db.execute("""CREATE TABLE order_items AS SELECT * FROM (VALUES
        ('O1', 1, 'P1', 2, 46.0, 0.0), ('O1', 2, 'P2', 1, 9.2, 0.0),
        ('O2', 1, 'P1', 1, 92.0, 0.0), ('O3', 1, 'P1', 5, 100.0, 0.0),
        ('O4', 1, 'P2', 3, 10.0, 5.0), ('O5', 1, 'P1', 1, 20.0, 0.0),
        ('O6', 1, 'P2', 1, 10.0, 0.0))
        t(order_id, line_number, product_id, quantity, unit_price, discount_amount)""")
    return db


def test_store_days_are_dense_in_usd_without_cancelled_orders(con: Any) -> None:
    daily = history.daily_store_sales(con, as_of=date(2026, 1, 3))
    assert list(daily.columns) == list(history.STORE_DAILY_COLUMNS)
    store1 = daily[daily["store_id"] == "0001"]
    assert store1["business_date"].dt.day.tolist() == [1, 2, 3]
    # (2 * 46 + 9.2) EUR / 0.92 = 110 USD; the cancelled O3 is left out
    assert store1["revenue"].tolist() == [110.0, 0.0, 100.0]
    assert store1["transactions"].tolist() == [1, 0, 1]
    store2 = daily[daily["store_id"] == "0002"]
    assert store2["revenue"].tolist() == [25.0, 0.0]  # returned still counts; 3*10 - 5
    assert daily["business_date"].max() == daily["business_date"].max().normalize()


def test_as_of_and_start_cut_the_window(con: Any) -> None:
    daily = history.daily_store_sales(con, as_of=date(2026, 1, 2), start=date(2026, 1, 2))
    assert set(daily["business_date"].dt.day) == {2}
    assert history.daily_company_sales(con, date(2026, 1, 4))["business_date"].dt.day.tolist(
    ) == [1, 2, 3, 4]


def test_web_and_company_totals_add_up(con: Any) -> None:
    company = history.daily_company_sales(con, as_of=date(2026, 1, 4))
    web = history.daily_web_sales(con, as_of=date(2026, 1, 4))
    assert web["revenue"].sum() == 20.0
    assert company["revenue"].sum() == pytest.approx(110 + 100 + 25 + 20 + 10)
    assert (company["store_revenue"] + company["web_revenue"]).sum() == pytest.approx(
        company["revenue"].sum())


def test_product_and_category_grains(con: Any) -> None:
    products = history.daily_product_sales(con, as_of=date(2026, 1, 4), channel="store")
    assert set(products["location_id"]) == {"0001", "0002"}
    p1 = products[(products["location_id"] == "0001") & (products["product_id"] == "P1")]
    assert p1["units"].tolist() == [2, 1]
    categories = history.daily_category_sales(con, as_of=date(2026, 1, 4))
    web = categories[categories["location_id"] == history.WEB_LOCATION]
    assert web[["region", "category", "revenue"]].values.tolist() == [
        [history.WEB_REGION, "Toys", 20.0]]
    with pytest.raises(InvalidParameter, match="channel"):
        history.daily_product_sales(con, as_of=date(2026, 1, 4), channel="phone")


def test_a_store_upload_replaces_the_orders_of_its_store_day(con: Any) -> None:
    con.execute("""CREATE TABLE store_sales AS SELECT * FROM (VALUES
        ('0001', DATE '2026-01-03', 'T1', 1, 'P2', 4, 46.0, NULL),
        ('0001', DATE '2026-01-03', 'T2', 1, 'P2', 1, 9.2, 'EUR'))
        t(store_id, business_date, transaction_id, line_number, product_id, quantity,
          net_amount, currency)""")
    daily = history.daily_store_sales(con, as_of=date(2026, 1, 3))
    day = daily[(daily["store_id"] == "0001") & (daily["business_date"].dt.day == 3)]
    assert day[["revenue", "units", "transactions"]].values.tolist() == [[60.0, 5, 2]]
    # other store-days still come from orders
    assert daily[daily["business_date"].dt.day == 1]["revenue"].sum() == 110.0
