"""Request and response shapes of the Global Market Pulse."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["region", "country"]
MAX_DAYS = 730
MAX_OPPORTUNITIES = 200


class RegionsQuery(BaseModel):
    """Which regional figures to compute (validated by the service)."""

    by: Level = Field(default="region", description="region or country")
    days: int = Field(default=365, description=f"length of the period, 1-{MAX_DAYS} days")
    as_of: date | None = Field(default=None, description="last day; default last order day")


class MarketFigures(BaseModel):
    """One region or country over the period, in the reporting currency."""

    market: str
    region: str
    revenue: float
    orders: int
    customers: int
    average_order_value: float
    share: float = Field(description="share of company revenue in the period")
    revenue_90d: float
    revenue_90d_year_ago: float
    growth_90d_yoy: float | None
    revenue_30d: float
    revenue_prev_30d: float
    growth_30d: float | None
    growth_365d_yoy: float | None
    growth_per_customer_yoy: float | None = Field(
        description="purchase frequency per active customer, last 365 days vs the 365 before")


class RegionsReport(BaseModel):
    """Regional analysis of one period."""

    by: Level
    period_start: date
    period_end: date
    reporting_currency: str
    total_revenue: float
    markets: list[MarketFigures]


class Opportunity(BaseModel):
    """A (region, category) pair, its score and the figures behind it."""

    rank: int
    region: str
    category: str
    score: float = Field(description="0-100, weighted percentile ranks")
    revenue: float
    revenue_prior_year: float
    share_of_company: float
    category_share_in_region: float
    category_share_company: float
    penetration_index: float
    growth: float | None
    margin: float | None
    size_score: float
    growth_score: float
    headroom_score: float
    margin_score: float


class OpportunitiesReport(BaseModel):
    """Ranked market opportunities."""

    as_of: date
    reporting_currency: str
    weights: dict[str, float]
    total: int = Field(description="pairs ranked before the limit")
    items: list[Opportunity]
