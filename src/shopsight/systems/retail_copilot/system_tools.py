"""The copilot's tools backed by the other systems (requirement 18.7): churn and
forecasts from Demand Insights, suspicious payments from Compliance Guardian.

Each call falls back to the built-in SQL tools when a system cannot answer (no model
yet, too little history), and says which one answered through ``name``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shopsight.errors import ShopsightError
from shopsight.lake.store import Lake
from shopsight.logs import get_logger
from shopsight.systems.retail_copilot.service import SqlTools

log = get_logger("copilot.tools")


class SystemTools:
    """Demand Insights and Compliance Guardian as copilot tools."""

    def __init__(self, lake: Lake, demand: Any, compliance: Any) -> None:
        self.demand, self.compliance = demand, compliance
        self.fallback = SqlTools(lake)
        self.name = "systems"

    def churn_risk(self, limit: int) -> tuple[list[dict[str, Any]], int]:
        from shopsight.systems.demand_insights.models import AtRiskRequest

        try:
            result = self.demand.at_risk_customers(AtRiskRequest(limit=limit))
        except ShopsightError as exc:
            log.info(f"demand insights could not answer churn ({exc}); using SQL")
            self.name = self.fallback.name
            return self.fallback.churn_risk(limit)
        self.name = "demand_insights"
        return [{"customer_id": c.customer_id,
                 "churn_probability": round(c.churn_probability, 3),
                 "clv_usd": round(c.clv, 2), "value_at_risk_usd": round(c.value_at_risk, 2),
                 "days_since_last_order": c.recency_days, "orders": c.frequency}
                for c in result.customers], result.total_at_risk

    def forecast(self, product_id: str, days: int) -> list[dict[str, Any]]:
        from shopsight.systems.demand_insights.models import ForecastRequest

        try:
            result = self.demand.forecast(ForecastRequest(product_id=product_id,
                                                          forecast_days=days))
        except ShopsightError as exc:
            log.info(f"demand insights could not forecast {product_id} ({exc}); using SQL")
            self.name = self.fallback.name
            return self.fallback.forecast(product_id, days)
        self.name = "demand_insights"
        return [{"date": p.date, "forecast_units": round(p.units, 2),
                 "lower": round(p.lower, 2), "upper": round(p.upper, 2)}
                for p in result.forecast]

    def flagged_payments(self, since: date, limit: int,
                         until: date | None = None) -> tuple[list[dict[str, Any]], int]:
        from shopsight.systems.compliance_guardian.models import MAX_PAGE

        try:
            page = self.compliance.flagged_transactions(
                min_score=70.0, limit=min(max(limit, 1), MAX_PAGE), since=since, until=until)
        except ShopsightError as exc:
            log.info(f"compliance guardian could not answer ({exc}); using SQL")
            self.name = self.fallback.name
            return self.fallback.flagged_payments(since, limit, until)
        self.name = "compliance_guardian"
        rows = [{"payment_id": item.payment_id, "order_id": item.order_id,
                 "customer_id": item.customer_id, "paid_at": item.paid_at,
                 "amount_usd": round(item.amount_reporting, 2),
                 "risk_score": round(item.risk_score, 1),
                 "reasons": "; ".join(item.reasons)} for item in page.items]
        return rows, page.total
