"""The typed result of a daily analysis: what the report, the alert, the export and the
API show. Built by the daily-analysis steps from the analytics' own result types."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class StoreLine(BaseModel):
    """One store's day."""

    store_id: str
    revenue: float  # reporting currency
    transactions: int
    units: int
    average_basket: float
    margin_rate: float | None = None


class ProductLine(BaseModel):
    """A product's day across reporting stores."""

    product_id: str
    name: str = ""
    category: str = ""
    units: int
    revenue: float  # reporting currency


class AnomalyLine(BaseModel):
    """A flagged value with what was expected."""

    store_id: str
    product_id: str | None = None
    kind: str  # spike | collapse | stockout
    severity: str  # low | medium | high
    observed: float
    expected: float
    low: float
    high: float
    description: str


class ChangeLine(BaseModel):
    """A metric now and in a comparison period."""

    label: str  # e.g. "day over day"
    current: float
    previous: float | None
    change_pct: float | None
    current_start: date | None = None  # the windows compared ("month over month" is the
    current_end: date | None = None  # last 28 days against the 28 before)
    previous_start: date | None = None
    previous_end: date | None = None


class DriverLine(BaseModel):
    """What moved the company's revenue, and by how much."""

    dimension: str  # store | category | product
    name: str
    change: float
    contribution_pct: float


class RecommendationLine(BaseModel):
    """An action tied to evidence, ranked by money at stake."""

    kind: str
    title: str
    evidence: str
    money_at_stake: float


class DailyInsights(BaseModel):
    """Everything the day's analysis found, in reporting currency."""

    business_date: date
    currency: str = "USD"
    stores_reported: list[str]
    stores_missing: list[str]
    revenue: float
    units: int
    transactions: int
    average_basket: float
    changes: list[ChangeLine] = Field(default_factory=list)
    revenue_history: list[tuple[date, float]] = Field(default_factory=list)
    stores: list[StoreLine] = Field(default_factory=list)
    top_products: list[ProductLine] = Field(default_factory=list)
    bottom_products: list[ProductLine] = Field(default_factory=list)
    anomalies: list[AnomalyLine] = Field(default_factory=list)
    drivers: list[DriverLine] = Field(default_factory=list)
    drivers_period: str = Field("", description="What the drivers compare, in words.")
    recommendations: list[RecommendationLine] = Field(default_factory=list)
