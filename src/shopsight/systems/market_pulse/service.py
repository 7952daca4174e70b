"""The Global Market Pulse facade: regional figures and market opportunities.

``MarketPulse(lake)`` reads curated orders, stores, customers, order_items and products
once (until :meth:`MarketPulse.refresh`) and computes with
:mod:`shopsight.analytics.regions`.
"""

from __future__ import annotations

import math
import threading
from datetime import date
from typing import Any

import pandas as pd

from shopsight.errors import InvalidParameter, NotFound
from shopsight.lake.store import Lake
from shopsight.systems.market_pulse.models import (
    MAX_DAYS,
    MAX_OPPORTUNITIES,
    MarketFigures,
    OpportunitiesReport,
    Opportunity,
    RegionsReport,
)
from shopsight.systems.memo import Memo


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


class MarketPulse:
    """Regional analysis over one lake (handed in)."""

    def __init__(self, lake: Lake, reporting_currency: str = "USD") -> None:
        from shopsight.analytics.fx import RATES_PER_USD

        if reporting_currency not in RATES_PER_USD:
            raise InvalidParameter("reporting_currency", reporting_currency,
                                   f"one of {', '.join(RATES_PER_USD)}")
        self.lake = lake
        self.reporting_currency = reporting_currency
        self._data: dict[str, pd.DataFrame] | None = None
        self._lock = threading.Lock()
        self._memo = Memo()

    def refresh(self) -> None:
        """Forget cached tables; the next call re-reads the lake."""
        with self._lock:
            self._data = None
        self._memo.clear()

    def _tables(self) -> dict[str, pd.DataFrame]:
        with self._lock:
            if self._data is None:
                self._data = self._load()
            return self._data

    def _load(self) -> dict[str, pd.DataFrame]:
        from shopsight.analytics.regions import category_sales, located_orders
        from shopsight.lake.sql import connect

        con = connect(self.lake)
        names = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        for needed in ("orders", "stores"):
            if needed not in names:
                raise NotFound("table", needed, f"ingest the {needed} export first")

        def read(sql: str) -> pd.DataFrame:
            frame: pd.DataFrame = con.sql(sql).to_arrow_table().to_pandas()
            return frame

        orders = read("SELECT order_id, customer_id, order_date, status, store_id, currency, "
                      "total_amount FROM orders")
        stores = read("SELECT store_id, region, country, currency FROM stores")
        customers = read("SELECT customer_id, country FROM customers") \
            if "customers" in names else None
        located = located_orders(orders, stores, customers, self.reporting_currency)
        data = {"located": located}
        if "order_items" in names and "products" in names:
            items = read("SELECT order_id, product_id, quantity, unit_price, discount_amount "
                         "FROM order_items")
            products = read("SELECT product_id, category, unit_cost, list_price, currency "
                            "FROM products")
            data["sales"] = category_sales(located, items, products, orders,
                                           self.reporting_currency)
        con.close()
        return data

    def regions(self, by: str = "region", days: int = 365,
                as_of: date | None = None) -> RegionsReport:
        """Revenue, orders, customers, AOV, share and growth per region or country."""
        from shopsight.analytics.regions import period_start, regional_summary

        if by not in ("region", "country"):
            raise InvalidParameter("by", by, "region or country")
        if not 1 <= days <= MAX_DAYS:
            raise InvalidParameter("days", days, f"an integer from 1 to {MAX_DAYS}")
        located = self._tables()["located"]
        if located.empty:
            raise NotFound("orders", "any", "the orders table has no net sales yet")
        end = as_of or located["day"].max().date()
        first = located["day"].min().date()
        if not first <= end <= located["day"].max().date():
            raise InvalidParameter("as_of", end.isoformat(),
                                   f"a date from {first} to {located['day'].max().date()}")
        frame, _ = self._memo.get(("regions", by, days, end), lambda: regional_summary(
            located, by=by, as_of=end, days=days))
        markets = [MarketFigures(**{str(k): _clean(v) for k, v in row.items()})
                   for row in frame.to_dict(orient="records")]
        return RegionsReport(by=by,
                             period_start=period_start(end, days), period_end=end,
                             reporting_currency=self.reporting_currency,
                             total_revenue=round(float(frame["revenue"].sum()), 2),
                             markets=markets)

    def opportunities(self, limit: int = 20) -> OpportunitiesReport:
        """The best (region, category) opportunities, with the figures behind each score."""
        from shopsight.analytics.regions import OPPORTUNITY_WEIGHTS, market_opportunities

        if not 1 <= limit <= MAX_OPPORTUNITIES:
            raise InvalidParameter("limit", limit, f"an integer from 1 to {MAX_OPPORTUNITIES}")
        data = self._tables()
        if "sales" not in data:
            raise NotFound("table", "order_items", "ingest order_items and products first")
        sales = data["sales"]
        ranked, _ = self._memo.get(("opportunities",), lambda: market_opportunities(sales))
        items = [Opportunity(**{str(k): _clean(v) for k, v in row.items()})
                 for row in ranked.head(limit).to_dict(orient="records")]
        return OpportunitiesReport(as_of=sales["day"].max().date(),
                                   reporting_currency=self.reporting_currency,
                                   weights=dict(OPPORTUNITY_WEIGHTS), total=len(ranked),
                                   items=items)

    def publish(self) -> dict[str, Any]:
        """Prod tables: ``regions`` and ``countries`` (last 365 days) and ``opportunities``."""
        import pyarrow as pa

        from shopsight.analytics.regions import market_opportunities, regional_summary

        data = self._tables()
        out: dict[str, Any] = {}
        for by, name in (("region", "regions"), ("country", "countries")):
            frame = regional_summary(data["located"], by=by)
            out[name] = pa.Table.from_pandas(frame, preserve_index=False)
        if "sales" in data:
            out["opportunities"] = pa.Table.from_pandas(market_opportunities(data["sales"]),
                                                        preserve_index=False)
        return out
