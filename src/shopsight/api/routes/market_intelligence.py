"""``/market-intelligence``: sales forecasts, trends, movers, seasonality, change points.

The service comes from ``request.app.state.market_intelligence``; errors (bad ranges,
unknown keys) become responses in the app's one error handler.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from shopsight.systems.market_intelligence.models import (
    MAX_HORIZON_DAYS,
    MAX_MOVERS,
    MAX_WINDOW_DAYS,
    ChangePointsResponse,
    ForecastResponse,
    MoversResponse,
    SeasonalityResponse,
    TrendsResponse,
)

router = APIRouter(prefix="/market-intelligence", tags=["market-intelligence"])

LevelQuery = Annotated[str, Query(description="company, region, channel or category")]
KeyQuery = Annotated[str | None, Query(description="the region, channel or category "
                                       "(case-insensitive); omit for company")]
MetricQuery = Annotated[str, Query(description="revenue (USD) or units")]


def _service(request: Request) -> Any:
    return request.app.state.market_intelligence


@router.get("/forecast", response_model=ForecastResponse)
def forecast(
    request: Request,
    level: LevelQuery = "company",
    key: KeyQuery = None,
    horizon_days: Annotated[int, Query(description=f"days ahead, 1-{MAX_HORIZON_DAYS}")] = 30,
    metric: MetricQuery = "revenue",
) -> ForecastResponse:
    """Daily forecast with 90% intervals and backtest WAPE/MASE against seasonal naive."""
    result: ForecastResponse = _service(request).forecast(level, key, horizon_days, metric)
    return result


@router.get("/trends", response_model=TrendsResponse)
def trends(
    request: Request,
    level: LevelQuery = "region",
    windows: Annotated[list[int] | None, Query(
        description=f"window lengths in days, 1-{MAX_WINDOW_DAYS} (repeatable); "
        "default 7, 28, 90, 365")] = None,
) -> TrendsResponse:
    """Growth over several windows and seasonality of every key of a level."""
    result: TrendsResponse = _service(request).trends(level, windows)
    return result


@router.get("/movers", response_model=MoversResponse)
def movers(
    request: Request,
    level: Annotated[str, Query(description="region, channel, category or all")] = "all",
    days: Annotated[int, Query(description=f"window, 1-{MAX_WINDOW_DAYS} days")] = 28,
    limit: Annotated[int, Query(description=f"risers and fallers each, 1-{MAX_MOVERS}")] = 5,
    measure: Annotated[str, Query(description="revenue_growth_yoy, revenue_growth_pop, "
                                  "units_growth_yoy, units_growth_pop or "
                                  "per_customer_growth_yoy")] = "revenue_growth_yoy",
) -> MoversResponse:
    """Top risers and fallers over a window."""
    result: MoversResponse = _service(request).movers(level, days, limit, measure)
    return result


@router.get("/change-points", response_model=ChangePointsResponse)
def change_points(
    request: Request,
    level: LevelQuery = "company",
    key: Annotated[str | None, Query(description="one key; omit for every key")] = None,
    metric: MetricQuery = "revenue",
) -> ChangePointsResponse:
    """Dated breaks in level or growth of the weekly series."""
    result: ChangePointsResponse = _service(request).change_points(level, key, metric)
    return result


@router.get("/seasonality", response_model=SeasonalityResponse)
def seasonality(
    request: Request,
    level: LevelQuery = "company",
    key: KeyQuery = None,
    metric: MetricQuery = "revenue",
) -> SeasonalityResponse:
    """Weekly and yearly seasonality of one series, week by week."""
    result: SeasonalityResponse = _service(request).seasonality(level, key, metric)
    return result
