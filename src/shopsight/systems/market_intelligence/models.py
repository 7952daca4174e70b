"""Request and response shapes of the Market Intelligence Hub.

Requests are validated by the service (out-of-range values raise ``InvalidParameter``
with the valid range, unknown keys ``NotFound`` with the valid ones), so the request
models here only document and carry the normalised values.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from shopsight.systems.model_info import ModelInfo

Level = Literal["company", "region", "channel", "category"]
MoverLevel = Literal["region", "channel", "category", "all"]
Metric = Literal["revenue", "units"]
MoverMeasure = Literal["revenue_growth_yoy", "revenue_growth_pop", "units_growth_yoy",
                       "units_growth_pop", "per_customer_growth_yoy"]

MAX_HORIZON_DAYS = 365
MAX_WINDOW_DAYS = 365
MAX_MOVERS = 50
INTERVAL_COVERAGE = 0.9


# ----------------------------------------------------------------------------- forecast


class ForecastRequest(BaseModel):
    """What to forecast (normalised by the service: canonical key spelling)."""

    level: Level = Field("company", description="company, region, channel or category")
    key: str | None = Field(None, description="the region, channel or category; none for "
                            "company")
    horizon_days: int = Field(30, description=f"days ahead, 1-{MAX_HORIZON_DAYS}")
    metric: Metric = Field("revenue", description="revenue (USD) or units")


class ForecastPoint(BaseModel):
    """One forecast day with its prediction interval."""

    date: date
    value: float
    lower: float
    upper: float


class BacktestOut(BaseModel):
    """Rolling-origin backtest of the model against the weekly seasonal-naive baseline."""

    origins: list[date]
    horizon_days: int
    wape: float
    mase: float
    naive_wape: float
    naive_mase: float
    beats_naive: bool = Field(description="model WAPE below the seasonal-naive WAPE")


class ForecastResponse(BaseModel):
    """Daily sales forecast of one series."""

    level: Level
    key: str
    metric: Metric
    unit: str = Field(description="USD for revenue, units for units")
    history_end: date
    horizon_days: int
    interval_coverage: float
    points: list[ForecastPoint]
    total: float = Field(description="sum of the point forecasts over the horizon")
    backtest: BacktestOut
    method: Literal["lightgbm", "seasonal_naive"] = Field(
        "lightgbm", description="What forecasts: the LightGBM model, or the weekly seasonal "
        "naive (with holiday lifts) when the model did not beat it in the backtest.")
    model: ModelInfo


# ----------------------------------------------------------------------------- trends


class TrendsRequest(BaseModel):
    """Growth windows of one level."""

    level: Level = "region"
    windows: list[int] = Field(default_factory=lambda: [7, 28, 90, 365],
                               description=f"window lengths, 1-{MAX_WINDOW_DAYS} days")


class WindowGrowth(BaseModel):
    """Revenue (USD), units and purchase frequency of one window against earlier ones.

    ``_pop``: against the window just before; ``_yoy``: against the same window a year
    earlier. None when history does not cover the comparison window or its base is 0.
    """

    window_days: int
    period_start: date
    period_end: date
    revenue: float
    revenue_prev_period: float | None
    revenue_year_ago: float | None
    revenue_growth_pop: float | None
    revenue_growth_yoy: float | None
    units: float
    units_prev_period: float | None
    units_year_ago: float | None
    units_growth_pop: float | None
    units_growth_yoy: float | None
    orders: int
    active_customers: int
    orders_per_customer: float | None
    orders_per_customer_year_ago: float | None
    per_customer_growth_yoy: float | None = Field(
        description="orders per active registered customer against a year earlier: the "
        "market trend without the growth of the customer base")


class PeakWeek(BaseModel):
    """A week of the yearly seasonal peak and the retail events it contains."""

    week_start: date
    week_end: date
    yearly_factor: float = Field(description="1.3 = 30% above the trend")
    events: str


class SeasonalitySummary(BaseModel):
    """Seasonal shape of a series' revenue (STL on logs, so factors)."""

    weekly_profile: dict[str, float] | None = Field(
        description="day of week -> factor (1.0 = average day), last 8 weeks")
    weekly_strength: float | None
    yearly_available: bool = Field(description="needs 104 weeks (two yearly cycles)")
    yearly_strength: float | None
    peak_weeks: list[PeakWeek]


class KeyTrend(BaseModel):
    """Growth over every window and the seasonality of one key."""

    key: str
    growth: list[WindowGrowth]
    seasonality: SeasonalitySummary


class TrendsResponse(BaseModel):
    """Trend analysis of every key of a level."""

    level: Level
    as_of: date
    currency: str
    windows: list[int]
    growth_definition: str
    keys: list[KeyTrend]


class SeasonalWeek(BaseModel):
    """One week of the decomposition (revenue or units)."""

    week_start: date
    week_end: date
    value: float
    trend: float
    yearly_factor: float | None
    remainder_factor: float


class SeasonalityResponse(BaseModel):
    """Full decomposition of one series."""

    level: Level
    key: str
    metric: Metric
    summary: SeasonalitySummary
    weeks: list[SeasonalWeek]


# ----------------------------------------------------------------------------- movers


class MoversRequest(BaseModel):
    """Which movers: level, window, how many, ranked by which growth."""

    level: MoverLevel = "all"
    days: int = Field(28, description=f"window, 1-{MAX_WINDOW_DAYS} days")
    limit: int = Field(5, description=f"risers and fallers each, 1-{MAX_MOVERS}")
    measure: MoverMeasure = "revenue_growth_yoy"


class Mover(BaseModel):
    """A key that rose or fell, with the figures behind its growth."""

    rank: int
    level: Level
    key: str
    growth: float
    revenue: float
    revenue_before: float | None = Field(description="the comparison window's revenue")
    revenue_change: float | None
    per_customer_growth_yoy: float | None


class MoversResponse(BaseModel):
    """Top risers and fallers over one window."""

    level: MoverLevel
    days: int
    measure: MoverMeasure
    period_start: date
    period_end: date
    risers: list[Mover]
    fallers: list[Mover]
    not_ranked: list[str] = Field(description="keys without a comparable base")


# ----------------------------------------------------------------------------- change points


class ChangePointsRequest(BaseModel):
    """Whose change points: one key, or every key of the level (key omitted)."""

    level: Level = "company"
    key: str | None = None
    metric: Metric = "revenue"


class ChangePointOut(BaseModel):
    """A break in the weekly series: a jump in level and/or a change of growth.

    ``date`` is the first day of the first week after the break.
    """

    date: date
    level_before: float = Field(description="fitted weekly value just before the break")
    level_after: float = Field(description="fitted weekly value just after the break")
    level_change: float | None
    weekly_growth_before: float
    weekly_growth_after: float


class SeriesChangePoints(BaseModel):
    """Change points of one key's weekly series."""

    key: str
    weeks: int
    seasonally_adjusted: bool
    change_points: list[ChangePointOut]


class ChangePointsResponse(BaseModel):
    """Change points of one or every key of a level."""

    level: Level
    metric: Metric
    method: str
    series: list[SeriesChangePoints]


# ----------------------------------------------------------------------------- training


class TrainResponse(BaseModel):
    """Versions of the models just trained and their backtest figures."""

    versions: dict[str, str]
    metrics: dict[str, float]
