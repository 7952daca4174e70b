"""``/demand-insights``: the seed's seven endpoints over :class:`DemandInsights`.

The service comes from ``request.app.state.demand_insights``; bodies and queries are the
typed request models (FastAPI answers 422 with the valid range when they do not
validate); errors of the exception tree become responses in the app's one handler.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from shopsight.systems.demand_insights.models import (
    AtRiskRequest,
    AtRiskResponse,
    ChurnRequest,
    ChurnResponse,
    ClvRequest,
    ClvResponse,
    ElasticityRequest,
    ElasticityResponse,
    ForecastRequest,
    ForecastResponse,
    PriceOptimizationRequest,
    PriceOptimizationResponse,
    SegmentsRequest,
    SegmentsResponse,
)

router = APIRouter(prefix="/demand-insights", tags=["demand-insights"])


def get_service(request: Request) -> Any:
    """The DemandInsights instance built once with the app."""
    return request.app.state.demand_insights


Service = Annotated[Any, Depends(get_service)]


@router.get("/segments", response_model=SegmentsResponse)
def segments(
    service: Service,
    n_clusters: Annotated[int | None, Query(ge=2, le=12,
                                            description="segments 2-12")] = None,
) -> SegmentsResponse:
    """Customer segments (RFM + K-Means)."""
    result: SegmentsResponse = service.segments(SegmentsRequest(n_clusters=n_clusters))
    return result


@router.post("/forecast", response_model=ForecastResponse)
def forecast(service: Service, body: ForecastRequest) -> ForecastResponse:
    """Daily demand forecast with intervals, feature importance and backtest."""
    result: ForecastResponse = service.forecast(body)
    return result


@router.post("/price-elasticity", response_model=ElasticityResponse)
def price_elasticity(service: Service, body: ElasticityRequest) -> ElasticityResponse:
    """Price elasticity of a product, a category, or every category."""
    result: ElasticityResponse = service.price_elasticity(body)
    return result


@router.post("/price-optimization", response_model=PriceOptimizationResponse)
def price_optimization(service: Service,
                       body: PriceOptimizationRequest) -> PriceOptimizationResponse:
    """Profit-maximising price within the allowed change."""
    result: PriceOptimizationResponse = service.price_optimization(body)
    return result


@router.post("/clv", response_model=ClvResponse)
def clv(service: Service, body: ClvRequest) -> ClvResponse:
    """Customer lifetime value predictions."""
    result: ClvResponse = service.clv(body)
    return result


@router.post("/churn", response_model=ChurnResponse)
def churn(service: Service, body: ChurnRequest) -> ChurnResponse:
    """Churn probability and risk level."""
    result: ChurnResponse = service.churn(body)
    return result


@router.get("/at-risk-customers", response_model=AtRiskResponse)
def at_risk_customers(
    service: Service,
    threshold: Annotated[float, Query(ge=0, le=1, description="churn probability 0-1")] = 0.6,
    limit: Annotated[int, Query(ge=1, le=10_000, description="how many, 1-10000")] = 100,
) -> AtRiskResponse:
    """Customers above the churn threshold, largest value at risk first."""
    result: AtRiskResponse = service.at_risk_customers(
        AtRiskRequest(threshold=threshold, limit=limit))
    return result
