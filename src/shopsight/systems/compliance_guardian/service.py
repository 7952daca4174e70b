"""The Compliance Guardian facade: fraud risk of payments and the PCI scan of the lake.

``ComplianceGuardian(lake)`` reads the curated ``payments`` (and ``customers``, for
account ages) once, scores every payment with :mod:`shopsight.analytics.fraud` and keeps
the result until :meth:`ComplianceGuardian.refresh`. The CLI, the API routes and the
curated-to-prod step call it and format the results.
"""

from __future__ import annotations

import math
import threading
from datetime import date
from typing import Any

import pandas as pd

from shopsight.errors import InvalidParameter, NotFound
from shopsight.lake.store import Lake
from shopsight.systems.compliance_guardian.models import (
    MAX_PAGE,
    FlaggedPage,
    RiskScore,
    ScanReport,
    risk_level,
)

PAYMENT_RISK_COLUMNS = (
    "payment_id", "order_id", "customer_id", "paid_at", "amount", "currency",
    "amount_reporting", "status", "risk_score", "risk_level", "scoring_method", "reasons",
)
"""Columns of the published ``payment_risk`` table (``reasons`` is a list of strings)."""


class ComplianceGuardian:
    """Fraud risk scores and PCI scans over one lake (handed in, never built here)."""

    def __init__(self, lake: Lake, *, min_labels: int = 30) -> None:
        self.lake = lake
        self.min_labels = min_labels
        self._scores: pd.DataFrame | None = None
        self._payments: pd.DataFrame | None = None
        self._last_scan: ScanReport | None = None
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- scoring

    def refresh(self) -> None:
        """Forget cached scores; the next call re-reads the lake."""
        with self._lock:
            self._scores = None
            self._payments = None

    def _scored(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        with self._lock:
            if self._scores is None or self._payments is None:
                self._payments, self._scores = self._score_lake()
            return self._payments, self._scores

    def _score_lake(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        from shopsight.analytics.fraud import score_payments
        from shopsight.lake.sql import connect

        con = connect(self.lake)
        names = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        if "payments" not in names:
            raise NotFound("table", "payments", "ingest the payments export first "
                           "(shopsight ingest)")
        payments = con.sql(
            "SELECT payment_id, order_id, customer_id, paid_at, amount, currency, method, "
            "status, card_number, card_number_token, billing_country, ip_address, "
            "ip_country FROM payments ORDER BY paid_at, payment_id"
        ).to_arrow_table().to_pandas()
        customers = None
        if "customers" in names:
            customers = con.sql(
                "SELECT customer_id, signup_date FROM customers").to_arrow_table().to_pandas()
        con.close()
        scores = score_payments(payments, customers, min_labels=self.min_labels)
        scores.index = pd.Index(scores["payment_id"].to_numpy(), name=None)
        payments.index = pd.Index(payments["payment_id"].to_numpy(), name=None)
        return payments, scores

    def _risk(self, payments: pd.DataFrame, scores: pd.DataFrame, payment_id: str) -> RiskScore:
        from shopsight.analytics.fraud import FEATURE_COLUMNS

        pay: Any = payments.loc[payment_id]
        row: Any = scores.loc[payment_id]
        score = float(row["risk_score"])
        return RiskScore(
            payment_id=payment_id,
            order_id=_text(pay["order_id"]), customer_id=_text(pay["customer_id"]),
            paid_at=None if pd.isna(pay["paid_at"]) else pay["paid_at"].to_pydatetime(),
            amount=float(pay["amount"]), currency=_text(pay["currency"]),
            amount_reporting=float(row["amount_reporting"]), status=_text(pay["status"]),
            method=_text(pay["method"]), risk_score=score, risk_level=risk_level(score),
            scoring_method=str(row["method"]), reasons=list(row["reasons"]),
            features={name: round(float(row[name]), 4) for name in FEATURE_COLUMNS},
        )

    def score_transaction(self, payment_id: str) -> RiskScore:
        """Risk score and reasons of one payment; unknown ids raise NotFound."""
        payments, scores = self._scored()
        if payment_id not in scores.index:
            raise NotFound("payment", payment_id, "use a payment_id of the curated "
                           "payments table, e.g. from `flagged`")
        return self._risk(payments, scores, payment_id)

    def flagged_transactions(self, min_score: float = 70.0, limit: int = 50,
                             offset: int = 0, since: date | None = None,
                             until: date | None = None) -> FlaggedPage:
        """Payments scoring at least ``min_score``, riskiest first, one page at a time;
        ``since``/``until`` (inclusive, UTC days of ``paid_at``) narrow it to a period."""
        if not isinstance(min_score, int | float) or math.isnan(min_score) \
                or not 0 <= min_score <= 100:
            raise InvalidParameter("min_score", min_score, "a number from 0 to 100")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidParameter("limit", limit, f"an integer from 1 to {MAX_PAGE}")
        if offset < 0:
            raise InvalidParameter("offset", offset, "an integer >= 0")
        if since is not None and until is not None and since > until:
            raise InvalidParameter("until", until.isoformat(),
                                   f"a date on or after since ({since.isoformat()})")
        payments, scores = self._scored()
        hits = scores[scores["risk_score"] >= min_score]
        if since is not None or until is not None:
            days = pd.to_datetime(payments.loc[hits.index, "paid_at"], utc=True).dt.floor("D")
            inside = days.notna()
            if since is not None:
                inside &= days >= pd.Timestamp(since, tz="UTC")
            if until is not None:
                inside &= days <= pd.Timestamp(until, tz="UTC")
            hits = hits[inside]
        hits = hits.sort_values(["risk_score", "payment_id"], ascending=[False, True])
        page = hits.iloc[offset:offset + limit]
        return FlaggedPage(min_score=float(min_score), total=len(hits), limit=limit,
                           offset=offset,
                           items=[self._risk(payments, scores, str(pid))
                                  for pid in page["payment_id"]])

    # ----------------------------------------------------------------- PCI scan

    def run_scan(self) -> ScanReport:
        """Scan the lake for unmasked card numbers, CVV columns and SSNs."""
        from shopsight.systems.compliance_guardian.pci_scan import scan_lake

        report = scan_lake(self.lake)
        with self._lock:
            self._last_scan = report
        return report

    def last_scan(self) -> ScanReport:
        """The report of the last scan run by this service; NotFound before the first."""
        with self._lock:
            if self._last_scan is None:
                raise NotFound("scan", "last", "no scan has run yet; run one first "
                               "(POST /compliance/scan or `compliance scan`)")
            return self._last_scan

    # ----------------------------------------------------------------- prod tables

    def publish(self) -> dict[str, Any]:
        """Prod tables of this system: ``payment_risk`` (:data:`PAYMENT_RISK_COLUMNS`)."""
        import pyarrow as pa

        payments, scores = self._scored()
        frame = pd.DataFrame({
            "payment_id": scores["payment_id"].astype("str").to_numpy(),
            "order_id": payments["order_id"].to_numpy(),
            "customer_id": payments["customer_id"].to_numpy(),
            "paid_at": payments["paid_at"].to_numpy(),
            "amount": payments["amount"].astype("float64").to_numpy(),
            "currency": payments["currency"].to_numpy(),
            "amount_reporting": scores["amount_reporting"].to_numpy(),
            "status": payments["status"].to_numpy(),
            "risk_score": scores["risk_score"].to_numpy(),
            "risk_level": [risk_level(float(s)) for s in scores["risk_score"]],
            "scoring_method": scores["method"].astype("str").to_numpy(),
            "reasons": list(scores["reasons"]),
        })
        schema = pa.schema([
            ("payment_id", pa.string()), ("order_id", pa.string()),
            ("customer_id", pa.string()), ("paid_at", pa.timestamp("us", tz="UTC")),
            ("amount", pa.float64()), ("currency", pa.string()),
            ("amount_reporting", pa.float64()), ("status", pa.string()),
            ("risk_score", pa.float64()), ("risk_level", pa.string()),
            ("scoring_method", pa.string()), ("reasons", pa.list_(pa.string())),
        ])
        return {"payment_risk": pa.Table.from_pandas(frame, schema=schema,
                                                     preserve_index=False)}


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) \
        or value is pd.NA else str(value)
