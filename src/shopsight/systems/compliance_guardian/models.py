"""Request and response shapes of the Compliance Guardian."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shopsight.systems.compliance_guardian.pci_scan import PciFinding, ScanReport

MAX_PAGE = 500
"""Largest page of flagged transactions one request may ask for."""

RiskLevel = Literal["low", "medium", "high"]


def risk_level(score: float) -> RiskLevel:
    """low < 40 <= medium < 70 <= high."""
    return "high" if score >= 70 else "medium" if score >= 40 else "low"


class FlaggedQuery(BaseModel):
    """Which flagged transactions to list (validated by the service)."""

    min_score: float = Field(default=70.0, description="lowest risk score listed, 0-100")
    limit: int = Field(default=50, description=f"page size, 1-{MAX_PAGE}")
    offset: int = Field(default=0, description="rows to skip, >= 0")


class RiskScore(BaseModel):
    """The fraud risk of one payment and why."""

    payment_id: str
    order_id: str | None
    customer_id: str | None
    paid_at: datetime | None
    amount: float
    currency: str | None
    amount_reporting: float = Field(description="amount in the reporting currency")
    status: str | None
    method: str | None
    risk_score: float = Field(description="0 (no evidence) to 100 (near certain)")
    risk_level: RiskLevel
    scoring_method: str = Field(description="unsupervised, or supervised on chargebacks")
    reasons: list[str] = Field(description="largest rule contributions, with numbers")
    features: dict[str, float] = Field(description="the features the score used")


class FlaggedPage(BaseModel):
    """One page of payments at or above a risk score, riskiest first."""

    min_score: float
    total: int
    limit: int
    offset: int
    items: list[RiskScore]


__all__ = ["MAX_PAGE", "FlaggedPage", "FlaggedQuery", "PciFinding", "RiskLevel", "RiskScore",
           "ScanReport", "risk_level"]
