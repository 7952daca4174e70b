"""Regional figures and market opportunities on small hand-made tables."""

from __future__ import annotations

import pandas as pd
import pytest

from shopsight.analytics.regions import (
    OPPORTUNITY_COLUMNS,
    category_sales,
    located_orders,
    market_opportunities,
    regional_summary,
)

STORES = pd.DataFrame({"store_id": ["0001", "0002"], "region": ["North America", "Europe"],
                       "country": ["US", "DE"], "currency": ["USD", "EUR"]})
CUSTOMERS = pd.DataFrame({"customer_id": ["C1", "C2"], "country": ["DE", "US"]})
PRODUCTS = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["Toys", "Books"],
                         "unit_cost": [5.0, 2.0], "list_price": [10.0, 8.0],
                         "currency": ["USD", "USD"]})


def _orders() -> pd.DataFrame:
    rows = []
    for i, day in enumerate(pd.date_range("2025-01-01", "2026-12-31", freq="5D")):
        later = day.year == 2026
        rows.append({"order_id": f"S{i}", "customer_id": "C2", "order_date": day,
                     "status": "completed", "store_id": "0001", "currency": "USD",
                     "total_amount": 30.0 if later else 20.0})
        rows.append({"order_id": f"W{i}", "customer_id": "C1", "order_date": day,
                     "status": "delivered", "store_id": None, "currency": "EUR",
                     "total_amount": 9.2})
    rows.append({"order_id": "X", "customer_id": "C1", "order_date": day, "status": "cancelled",
                 "store_id": None, "currency": "EUR", "total_amount": 1e6})
    return pd.DataFrame(rows)


def _items(orders: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": orders["order_id"], "line_number": 1,
        "product_id": ["P1" if o.startswith("S") else "P2" for o in orders["order_id"]],
        "quantity": 1, "unit_price": orders["total_amount"], "discount_amount": 0.0,
    })


def test_orders_are_located_and_converted() -> None:
    located = located_orders(_orders(), STORES, CUSTOMERS)
    assert "X" not in set(located["order_id"])  # cancelled is not net sales
    web = located[located["order_id"] == "W0"].iloc[0]
    assert (web["country"], web["region"]) == ("DE", "Europe")
    assert web["revenue"] == pytest.approx(10.0)  # 9.20 EUR at 0.92 per USD


def test_summary_growth_and_shares() -> None:
    summary = regional_summary(located_orders(_orders(), STORES, CUSTOMERS))
    assert summary["share"].sum() == pytest.approx(1.0, abs=1e-5)
    na = summary.set_index("market").loc["North America"]
    assert na["growth_90d_yoy"] == pytest.approx(0.5, abs=0.01)
    eu = summary.set_index("market").loc["Europe"]
    assert eu["growth_90d_yoy"] == pytest.approx(0.0, abs=0.02)
    assert na["average_order_value"] == pytest.approx(na["revenue"] / na["orders"], abs=0.01)
    by_country = regional_summary(located_orders(_orders(), STORES, CUSTOMERS), by="country")
    assert set(by_country["market"]) == {"US", "DE"}


def test_opportunities_add_up_and_are_deterministic() -> None:
    orders = _orders()
    located = located_orders(orders, STORES, CUSTOMERS)
    sales = category_sales(located, _items(orders), PRODUCTS, orders)
    first = market_opportunities(sales)
    assert list(first.columns) == list(OPPORTUNITY_COLUMNS)
    assert first["share_of_company"].sum() == pytest.approx(1.0, abs=1e-5)
    for _, group in first.groupby("region"):
        assert group["category_share_in_region"].sum() == pytest.approx(1.0, abs=1e-5)
    assert first["rank"].tolist() == list(range(1, len(first) + 1))
    pd.testing.assert_frame_equal(first, market_opportunities(sales.sample(frac=1,
                                                                           random_state=1)))
    toys = first.set_index("category").loc["Toys"]
    assert toys["margin"] == pytest.approx(1 - 5 / 30, abs=1e-4)
    assert toys["growth"] == pytest.approx(0.5, abs=0.05)
