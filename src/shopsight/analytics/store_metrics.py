"""Per-store daily metrics from a store's POS upload (the seed's calculate-metrics step).

Pure: a DataFrame of store_sales lines in, a typed summary out. Amounts stay in the
store's currency and are also given in the reporting currency, so the company can add
stores up.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from pydantic import BaseModel

from shopsight.analytics.fx import RATES_PER_USD


class TopProduct(BaseModel):
    """A best seller of the day."""

    product_id: str
    units: int
    revenue: float


class StoreDayMetrics(BaseModel):
    """What a store sold on one business day."""

    store_id: str
    business_date: date
    currency: str
    revenue: float
    revenue_reporting: float
    units: int
    transactions: int
    lines: int
    average_basket: float
    discounts: float
    margin: float | None  # revenue minus cost, when the POS knows unit costs
    margin_rate: float | None
    cost_coverage: float  # share of revenue whose cost is known
    top_products: list[TopProduct]


def calculate_store_metrics(lines: pd.DataFrame, store_id: str, business_date: date,
                            store_currency: str, reporting_currency: str = "USD",
                            top_n: int = 5) -> StoreDayMetrics:
    """Summarise one store-day of POS lines (columns of the store_sales contract)."""
    currency = store_currency
    if "currency" in lines and lines["currency"].notna().any():
        currency = str(lines["currency"].dropna().iloc[0])
    revenue = float(lines["net_amount"].sum())
    units = int(lines["quantity"].sum())
    transactions = int(lines["transaction_id"].nunique())
    discounts = float(lines["discount_amount"].fillna(0).sum()) if "discount_amount" in lines \
        else 0.0
    costed = lines.dropna(subset=["unit_cost"]) if "unit_cost" in lines else lines.iloc[0:0]
    cost_coverage = float(costed["net_amount"].sum() / revenue) if revenue else 0.0
    margin = margin_rate = None
    if len(costed):
        costed_revenue = float(costed["net_amount"].sum())
        margin = round(costed_revenue - float((costed["unit_cost"] * costed["quantity"]).sum()),
                       2)
        margin_rate = round(margin / costed_revenue, 4) if costed_revenue else None
    by_product = (lines.groupby("product_id", as_index=False)
                  .agg(units=("quantity", "sum"), revenue=("net_amount", "sum"))
                  .sort_values(["revenue", "product_id"], ascending=[False, True])
                  .head(top_n))
    rate = RATES_PER_USD[reporting_currency] / RATES_PER_USD[currency]
    return StoreDayMetrics(
        store_id=store_id, business_date=business_date, currency=currency,
        revenue=round(revenue, 2), revenue_reporting=round(revenue * rate, 2), units=units,
        transactions=transactions, lines=len(lines),
        average_basket=round(revenue / transactions, 2) if transactions else 0.0,
        discounts=round(discounts, 2), margin=margin, margin_rate=margin_rate,
        cost_coverage=round(cost_coverage, 4),
        top_products=[TopProduct(product_id=str(p), units=int(u), revenue=round(float(r), 2))
                      for p, u, r in zip(by_product["product_id"], by_product["units"],
                                         by_product["revenue"], strict=True)],
    )
