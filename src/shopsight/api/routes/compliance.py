"""``/compliance``: fraud risk of payments and the PCI scan (Compliance Guardian).

The service comes from ``request.app.state.compliance_guardian``; errors from the
exception tree are turned into responses by the app's one error handler.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from shopsight.systems.compliance_guardian.models import (
    MAX_PAGE,
    FlaggedPage,
    RiskScore,
    ScanReport,
)

router = APIRouter(prefix="/compliance", tags=["compliance"])


def _service(request: Request) -> Any:
    return request.app.state.compliance_guardian


@router.get("/transactions/{payment_id}/risk", response_model=RiskScore)
def transaction_risk(payment_id: str, request: Request) -> RiskScore:
    """Risk score (0-100) of one payment with its reasons."""
    result: RiskScore = _service(request).score_transaction(payment_id)
    return result


@router.get("/flagged", response_model=FlaggedPage)
def flagged(
    request: Request,
    min_score: Annotated[float, Query(description="lowest risk score, 0-100")] = 70.0,
    limit: Annotated[int, Query(description=f"page size, 1-{MAX_PAGE}")] = 50,
    offset: Annotated[int, Query(description="rows to skip")] = 0,
    since: Annotated[date | None, Query(description="first day paid (UTC), YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="last day paid (UTC), YYYY-MM-DD")] = None,
) -> FlaggedPage:
    """Payments at or above ``min_score``, riskiest first, optionally within a period."""
    result: FlaggedPage = _service(request).flagged_transactions(
        min_score, limit, offset, since=since, until=until)
    return result


@router.post("/scan", response_model=ScanReport)
def run_scan(request: Request) -> ScanReport:
    """Run the PCI scan of the lake now and return its report."""
    result: ScanReport = _service(request).run_scan()
    return result


@router.get("/scan", response_model=ScanReport)
def last_scan(request: Request) -> ScanReport:
    """The report of the last scan (404 before the first)."""
    result: ScanReport = _service(request).last_scan()
    return result
