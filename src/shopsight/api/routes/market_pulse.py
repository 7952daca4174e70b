"""``/market-pulse``: regional figures and market opportunities (Global Market Pulse).

The service comes from ``request.app.state.market_pulse``; errors become responses in
the app's one error handler.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from shopsight.systems.market_pulse.models import (
    MAX_DAYS,
    MAX_OPPORTUNITIES,
    OpportunitiesReport,
    RegionsReport,
)

router = APIRouter(prefix="/market-pulse", tags=["market-pulse"])


def _service(request: Request) -> Any:
    return request.app.state.market_pulse


@router.get("/regions", response_model=RegionsReport)
def regions(
    request: Request,
    by: Annotated[str, Query(description="region or country")] = "region",
    days: Annotated[int, Query(description=f"period length, 1-{MAX_DAYS} days")] = 365,
    as_of: Annotated[date | None, Query(description="last day, YYYY-MM-DD")] = None,
) -> RegionsReport:
    """Revenue, orders, customers, AOV, share and growth per region or country."""
    result: RegionsReport = _service(request).regions(by=by, days=days, as_of=as_of)
    return result


@router.get("/opportunities", response_model=OpportunitiesReport)
def opportunities(
    request: Request,
    limit: Annotated[int, Query(description=f"how many, 1-{MAX_OPPORTUNITIES}")] = 20,
) -> OpportunitiesReport:
    """Ranked (region, category) opportunities with the figures behind each score."""
    result: OpportunitiesReport = _service(request).opportunities(limit=limit)
    return result
