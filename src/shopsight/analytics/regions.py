"""Regional analysis and market opportunities across countries and regions.

Pure: DataFrames of curated tables in, DataFrames with documented columns out.

Where an order happened
    A store order belongs to its store's country and region. A web or mobile order
    belongs to the buyer's country (``customers.country``); a guest order without a
    known country falls back to the region whose stores sell in the order's currency,
    when exactly one region does (country ``"??"``), and otherwise to ``"Unknown"``.
    Regions of countries come from the ``stores`` table; a country without a store is
    region ``"Other"``.

Money
    Net sales: orders ``cancelled``, ``returned`` or ``refunded`` are left out
    (:data:`shopsight.schema.NOT_SALES_STATUSES`). Every
    amount is converted to one reporting currency with the fixed rate table
    :data:`shopsight.analytics.fx.RATES_PER_USD` (``reporting = local /
    rate[local] * rate[reporting]``), so countries add up and growth is not an exchange
    rate effect. Product costs and list prices are in ``products.currency``.

Growth
    As of the last order date (or ``as_of``): the last 90 days against the same 90 days a
    year earlier (year over year, seasonality cancels out) and the last 30 days against
    the 30 before, and the last 365 days against the 365 before. Total growth mixes the
    growth of the customer base (acquisition) with demand per customer, so
    ``growth_per_customer_yoy`` isolates the market trend like a like-for-like figure:
    purchase frequency, i.e. orders of registered customers per active registered customer
    (at least one order in the window), last 365 days against the 365 before (frequency
    is steadier than spend, whose basket sizes are noisy). On the demo data it recovers the
    planted regional trends (Asia Pacific fastest, Europe declining) while total growth is
    positive everywhere because the customer base grows. A growth with no base is
    ``None``.

Opportunities
    Each (region, category) pair over the last 365 days gets four component scores in
    [0, 1], each the percentile rank of the pair among all pairs (ties share a rank):
    size (revenue), growth (last 365 days against the 365 before), headroom
    (1 / penetration index, where the index is the category's share of the region's
    revenue divided by its company-wide share: under-penetrated categories have room to
    grow) and margin (realised: 1 - cost / net revenue, unit costs from products).
    ``score = 100 * (0.35 size + 0.30 growth + 0.15 headroom + 0.20 margin)``; ties are
    broken by region then category, so the ranking is deterministic. The figures behind
    each score are returned beside it: shares of company revenue sum to 1 over all pairs,
    category shares sum to 1 within each region.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from shopsight.analytics.fx import RATES_PER_USD
from shopsight.schema import NOT_SALES_STATUSES

EXCLUDED_STATUSES = NOT_SALES_STATUSES
"""Order statuses that are not net sales."""

OPPORTUNITY_WEIGHTS: dict[str, float] = {"size": 0.35, "growth": 0.30, "headroom": 0.15,
                                         "margin": 0.20}
"""Weights of the opportunity score components (they sum to 1)."""

SUMMARY_COLUMNS: tuple[str, ...] = (
    "market", "region", "revenue", "orders", "customers", "average_order_value", "share",
    "revenue_90d", "revenue_90d_year_ago", "growth_90d_yoy", "revenue_30d",
    "revenue_prev_30d", "growth_30d", "growth_365d_yoy", "growth_per_customer_yoy",
)
"""Columns of :func:`regional_summary` (``market`` is the region or the country)."""

OPPORTUNITY_COLUMNS: tuple[str, ...] = (
    "rank", "region", "category", "score", "revenue", "revenue_prior_year",
    "share_of_company", "category_share_in_region", "category_share_company",
    "penetration_index", "growth", "margin", "size_score", "growth_score",
    "headroom_score", "margin_score",
)
"""Columns of :func:`market_opportunities`."""


def _rate(currency: pd.Series, reporting: str) -> np.ndarray[Any, Any]:
    """Multiplier from each row's currency to the reporting currency (unknown -> 1)."""
    per_usd = currency.map(RATES_PER_USD).astype("float64")
    return np.asarray(RATES_PER_USD[reporting] / per_usd.fillna(RATES_PER_USD[reporting]),
                      dtype=np.float64)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.tz_localize(None).dt.normalize() \
        if getattr(pd.to_datetime(values).dt, "tz", None) is not None \
        else pd.to_datetime(values).dt.normalize()


def _single_region(regions: pd.Series) -> Any:
    return regions.iloc[0] if regions.nunique() == 1 else None


def located_orders(orders: pd.DataFrame, stores: pd.DataFrame,
                   customers: pd.DataFrame | None = None,
                   reporting_currency: str = "USD") -> pd.DataFrame:
    """Net-sales orders with ``country``, ``region``, ``day`` and ``revenue`` (reporting).

    Columns: order_id, customer_id, day (datetime64, midnight), country, region, revenue.
    """
    if reporting_currency not in RATES_PER_USD:
        raise ValueError(f"reporting currency {reporting_currency!r} is not in the rate table")
    o = orders[~orders["status"].isin(EXCLUDED_STATUSES)].reset_index(drop=True) \
        if "status" in orders else orders.reset_index(drop=True)
    store_country = stores.set_index("store_id")["country"]
    country_region = stores.drop_duplicates("country").set_index("country")["region"]
    country = o["store_id"].map(store_country) if "store_id" in o else pd.Series(
        [None] * len(o), dtype="object")
    if customers is not None and "country" in customers:
        buyer = o["customer_id"].map(customers.set_index("customer_id")["country"])
        country = country.fillna(buyer)
    region = country.map(country_region)
    region = region.where(country.isna() | region.notna(), "Other")
    by_currency = stores.groupby("currency")["region"].agg(_single_region)
    fallback = o["currency"].map(by_currency)
    region = region.fillna(fallback).fillna("Unknown")
    country = country.fillna(pd.Series(np.where(fallback.notna(), "??", "Unknown"),
                                       index=country.index))
    return pd.DataFrame({
        "order_id": o["order_id"].astype("str"),
        "customer_id": o["customer_id"],
        "day": _dates(o["order_date"]),
        "country": country.astype("str"),
        "region": region.astype("str"),
        "revenue": o["total_amount"].astype("float64").fillna(0.0).to_numpy()
        * _rate(o["currency"], reporting_currency),
    })


def _growth(now: float, before: float) -> float | None:
    return None if before <= 0 else round(now / before - 1, 4)


def regional_summary(located: pd.DataFrame, *, by: str = "region", as_of: date | None = None,
                     days: int = 365) -> pd.DataFrame:
    """Revenue, orders, customers, AOV, share and growth per region or country.

    ``located`` is the output of :func:`located_orders`; ``by`` is ``region`` or
    ``country``; the period is the ``days`` days up to ``as_of`` (default: last order
    day). Columns: :data:`SUMMARY_COLUMNS`, sorted by revenue (then name).
    """
    if by not in ("region", "country"):
        raise ValueError(f"by={by!r}: expected region or country")
    end = pd.Timestamp(as_of) if as_of else located["day"].max()
    if pd.isna(end):
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))

    def window(first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
        return located[(located["day"] >= first) & (located["day"] <= last)]

    one = pd.Timedelta(days=1)
    period = window(end - pd.Timedelta(days=days) + one, end)
    windows = {
        "revenue_90d": window(end - pd.Timedelta(days=90) + one, end),
        "revenue_90d_year_ago": window(end - pd.Timedelta(days=365 + 90) + one,
                                       end - pd.Timedelta(days=365)),
        "revenue_30d": window(end - pd.Timedelta(days=30) + one, end),
        "revenue_prev_30d": window(end - pd.Timedelta(days=60) + one,
                                   end - pd.Timedelta(days=30)),
    }
    keys = [by, "region"] if by == "country" else ["region"]
    year_now = window(end - pd.Timedelta(days=365) + one, end)
    year_before = window(end - pd.Timedelta(days=730) + one, end - pd.Timedelta(days=365))

    def per_customer(frame: pd.DataFrame) -> pd.Series:
        known = frame[frame["customer_id"].notna()]
        grouped = known.groupby(keys)
        return grouped["order_id"].count() / grouped["customer_id"].nunique()

    base = period.groupby(keys, dropna=False).agg(
        revenue=("revenue", "sum"), orders=("order_id", "count"),
        customers=("customer_id", "nunique"))
    for name, frame in windows.items():
        base = base.join(frame.groupby(keys)["revenue"].sum().rename(name), how="outer")
    base = base.join(year_now.groupby(keys)["revenue"].sum().rename("_year_now"), how="outer")
    base = base.join(year_before.groupby(keys)["revenue"].sum().rename("_year_before"),
                     how="outer")
    base = base.join(per_customer(year_now).rename("_pc_now"), how="outer")
    base = base.join(per_customer(year_before).rename("_pc_before"), how="outer")
    base = base.fillna(0.0).reset_index()
    total = float(base["revenue"].sum())
    out = pd.DataFrame({
        "market": base[by].astype("str"),
        "region": base["region"].astype("str"),
        "revenue": base["revenue"].round(2),
        "orders": base["orders"].astype("int64"),
        "customers": base["customers"].astype("int64"),
        "average_order_value": np.where(base["orders"] > 0, base["revenue"]
                                        / base["orders"].where(base["orders"] > 0, 1), 0.0
                                        ).round(2),
        "share": (base["revenue"] / total if total else base["revenue"] * 0).round(6),
    })
    for name in windows:
        out[name] = base[name].round(2)
    out["growth_90d_yoy"] = [_growth(a, b) for a, b in zip(
        base["revenue_90d"], base["revenue_90d_year_ago"], strict=True)]
    out["growth_30d"] = [_growth(a, b) for a, b in zip(
        base["revenue_30d"], base["revenue_prev_30d"], strict=True)]
    out["growth_365d_yoy"] = [_growth(a, b) for a, b in zip(
        base["_year_now"], base["_year_before"], strict=True)]
    out["growth_per_customer_yoy"] = [_growth(a, b) for a, b in zip(
        base["_pc_now"], base["_pc_before"], strict=True)]
    out = out.sort_values(["revenue", "market"], ascending=[False, True], kind="stable")
    return out[list(SUMMARY_COLUMNS)].reset_index(drop=True)


def category_sales(located: pd.DataFrame, order_items: pd.DataFrame, products: pd.DataFrame,
                   orders: pd.DataFrame, reporting_currency: str = "USD") -> pd.DataFrame:
    """Order lines with region, day, category, net revenue and cost in reporting currency.

    Columns: region, day, category, revenue, cost (cost NaN when unit_cost is unknown).
    """
    lines = order_items.merge(located[["order_id", "region", "day"]], on="order_id",
                              how="inner")
    currency = orders.set_index("order_id")["currency"]
    lines["currency"] = lines["order_id"].map(currency)
    prod = products.set_index("product_id")
    lines["category"] = lines["product_id"].map(prod["category"]).fillna("Unknown")
    net = (lines["quantity"].astype("float64") * lines["unit_price"].astype("float64")
           - lines["discount_amount"].astype("float64").fillna(0.0)
           if "discount_amount" in lines else
           lines["quantity"].astype("float64") * lines["unit_price"].astype("float64"))
    revenue = net.to_numpy() * _rate(lines["currency"], reporting_currency)
    cost_currency = lines["product_id"].map(prod["currency"]) if "currency" in prod \
        else pd.Series(["USD"] * len(lines))
    unit_cost = lines["product_id"].map(prod["unit_cost"]).astype("float64")
    cost = unit_cost.to_numpy() * lines["quantity"].astype("float64").to_numpy() \
        * _rate(cost_currency.fillna("USD"), reporting_currency)
    return pd.DataFrame({"region": lines["region"], "day": lines["day"],
                         "category": lines["category"].astype("str"), "revenue": revenue,
                         "cost": cost})


def market_opportunities(sales: pd.DataFrame, *, as_of: date | None = None,
                         limit: int | None = None) -> pd.DataFrame:
    """Ranked (region, category) opportunities with the figures behind each score.

    ``sales`` is the output of :func:`category_sales`. Columns:
    :data:`OPPORTUNITY_COLUMNS`, best first (see the module docstring for the score).
    """
    end = pd.Timestamp(as_of) if as_of else sales["day"].max()
    if pd.isna(end) or sales.empty:
        return pd.DataFrame(columns=list(OPPORTUNITY_COLUMNS))
    year = pd.Timedelta(days=365)
    recent = sales[(sales["day"] > end - year) & (sales["day"] <= end)]
    prior = sales[(sales["day"] > end - 2 * year) & (sales["day"] <= end - year)]
    keys = ["region", "category"]
    pairs = recent.groupby(keys).agg(revenue=("revenue", "sum"))
    costed = recent.dropna(subset=["cost"]).groupby(keys).agg(
        costed_revenue=("revenue", "sum"), cost=("cost", "sum"))
    pairs = pairs.join(costed, how="left").join(
        prior.groupby(keys)["revenue"].sum().rename("revenue_prior_year"), how="left")
    pairs = pairs.fillna({"revenue_prior_year": 0.0}).reset_index()
    pairs = pairs[pairs["revenue"] > 0].reset_index(drop=True)
    total = float(pairs["revenue"].sum())
    region_total = pairs.groupby("region")["revenue"].transform("sum")
    category_total = pairs.groupby("category")["revenue"].transform("sum")
    pairs["share_of_company"] = pairs["revenue"] / total
    pairs["category_share_in_region"] = pairs["revenue"] / region_total
    pairs["category_share_company"] = category_total / total
    pairs["penetration_index"] = pairs["category_share_in_region"] \
        / pairs["category_share_company"]
    pairs["growth"] = np.where(pairs["revenue_prior_year"] > 0,
                               pairs["revenue"] / pairs["revenue_prior_year"].where(
                                   pairs["revenue_prior_year"] > 0, 1.0) - 1, np.nan)
    pairs["margin"] = np.where(pairs["costed_revenue"].fillna(0) > 0,
                               1 - pairs["cost"] / pairs["costed_revenue"].where(
                                   pairs["costed_revenue"] > 0, 1.0), np.nan)

    def pct(values: pd.Series) -> pd.Series:
        return values.rank(pct=True, method="average").fillna(0.0)

    pairs["size_score"] = pct(pairs["revenue"])
    pairs["growth_score"] = pct(pairs["growth"])
    pairs["headroom_score"] = pct(1 / pairs["penetration_index"])
    pairs["margin_score"] = pct(pairs["margin"])
    w = OPPORTUNITY_WEIGHTS
    pairs["score"] = 100 * (w["size"] * pairs["size_score"] + w["growth"]
                            * pairs["growth_score"] + w["headroom"] * pairs["headroom_score"]
                            + w["margin"] * pairs["margin_score"])
    pairs = pairs.sort_values(["score", "region", "category"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)
    pairs["rank"] = np.arange(1, len(pairs) + 1)
    for col in ("revenue", "revenue_prior_year"):
        pairs[col] = pairs[col].round(2)
    for col in ("score",):
        pairs[col] = pairs[col].round(2)
    for col in ("share_of_company", "category_share_in_region", "category_share_company",
                "penetration_index", "growth", "margin", "size_score", "growth_score",
                "headroom_score", "margin_score"):
        pairs[col] = pairs[col].round(6)
    out = pairs[list(OPPORTUNITY_COLUMNS)]
    return out.head(limit).reset_index(drop=True) if limit else out


def period_start(end: date, days: int) -> date:
    """First day of a ``days``-long period ending on ``end`` (inclusive)."""
    return end - timedelta(days=days - 1)
