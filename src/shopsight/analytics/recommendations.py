"""Recommendations of the daily analysis: rules from anomalies, trends and stock levels.

Pure: typed anomalies and DataFrames in, ranked :class:`Recommendation` objects out.
Every number in a recommendation comes from its inputs; nothing is invented, and each
recommendation carries its evidence so a reader can check it.

Rules
    * **restock**: a location whose latest stock snapshot has its stock position
      (``on_hand`` + ``on_order``) below ``reorder_point``: stock below the reorder point
      with enough already on order needs no new order. Daily sales rate = units sold at
      the location over the last ``rate_days`` days / ``rate_days``; days of cover =
      on_hand / rate. Money at stake = revenue a day x the days of the next
      ``horizon_days`` the stock will not cover (nothing is at stake when the stock
      lasts the horizon or the rate is unknown, e.g. a warehouse without sales of its
      own).
    * **investigate_collapse** / **investigate_spike**: store anomalies of at least
      ``min_severity``; money at stake is the gap to the expected revenue (a spike worth
      repeating is money too).
    * **fix_stockout**: stock-out anomalies of at least ``min_severity``; money at stake
      is the usual revenue of the days without sales.
    * **grow_segment** / **address_decline**: segments (e.g. region x category) whose
      revenue changed by at least ``min_change_pct`` percent and ``min_change`` USD
      between the two periods of :func:`shopsight.analytics.trends.segment_changes`;
      money at stake is the size of the change.

Ranking: money at stake, largest first; ties by kind and entity so the order is stable.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field

from shopsight.analytics.anomalies import SEVERITY_RANK, SalesAnomaly, Severity

RecommendationKind = Literal["restock", "investigate_collapse", "investigate_spike",
                             "fix_stockout", "grow_segment", "address_decline"]


class RecommendationSettings(BaseModel):
    """Thresholds of the rules."""

    rate_days: int = Field(28, ge=1, description="Days of sales behind a daily sales rate.")
    horizon_days: int = Field(7, ge=1, description="Days ahead a restock must cover.")
    min_severity: Severity = Field("high", description="Least severity that is acted on.")
    min_change_pct: float = Field(15.0, ge=0, description="Segment change worth a note, %.")
    min_change: float = Field(500.0, ge=0, description="Segment change worth a note, USD.")
    period_label: str = Field("WoW", description="Label of the segment comparison.")


class Recommendation(BaseModel):
    """One action, the entity it concerns, and the numbers behind it."""

    kind: RecommendationKind
    title: str
    store_id: str | None = None
    product_id: str | None = None
    segment: dict[str, str] = Field(default_factory=dict)
    business_date: date | None = None
    evidence: dict[str, float | None] = Field(description="The input numbers behind it.")
    money_at_stake: float = Field(description="USD, used for ranking.")


def restock_recommendations(inventory: pd.DataFrame, product_daily: pd.DataFrame | None,
                            as_of: date, settings: RecommendationSettings | None = None
                            ) -> list[Recommendation]:
    """A restock for every location and product whose stock position (on hand plus on
    order) is below its reorder point.

    ``inventory``: snapshots with ``snapshot_date``, ``location_id`` (or ``store_id``),
    ``product_id``, ``on_hand``, ``reorder_point`` and optionally ``on_order``; the latest
    snapshot on or before ``as_of`` counts. ``product_daily``: sales with
    ``business_date``, ``location_id`` (or ``store_id``), ``product_id``, ``units``,
    ``revenue`` (USD).
    """
    settings = settings or RecommendationSettings()
    stock = _with_location(inventory)
    stock = stock.assign(snapshot_date=pd.to_datetime(stock["snapshot_date"]).dt.normalize())
    stock = stock[stock["snapshot_date"] <= pd.Timestamp(as_of)]
    if stock.empty:
        return []
    latest = stock[stock["snapshot_date"] == stock.groupby(
        ["location_id", "product_id"])["snapshot_date"].transform("max")]
    coming = latest["on_order"].fillna(0) if "on_order" in latest else 0
    low = latest[latest["on_hand"] + coming < latest["reorder_point"]]
    rates = _daily_rates(product_daily, as_of, settings.rate_days)
    low = low.merge(rates, on=["location_id", "product_id"], how="left")
    found: list[Recommendation] = []
    for row in low.to_dict("records"):
        on_hand, reorder_point = float(row["on_hand"]), float(row["reorder_point"])
        units_a_day = None if pd.isna(row["units_a_day"]) else float(row["units_a_day"])
        revenue_a_day = 0.0 if pd.isna(row["revenue_a_day"]) else float(row["revenue_a_day"])
        on_order = None if pd.isna(row.get("on_order")) else float(row["on_order"])
        cover = on_hand / units_a_day if units_a_day else None
        short_days = settings.horizon_days if cover is None else max(
            0.0, settings.horizon_days - cover)
        money = revenue_a_day * short_days if units_a_day else 0.0
        location_id, product_id = str(row["location_id"]), str(row["product_id"])
        where = _where(location_id)
        rate_text = f", sells {units_a_day:.1f}/day" if units_a_day else ""
        cover_text = f" ({cover:.1f} days of cover)" if cover is not None else ""
        order_text = f", {on_order:.0f} on order" if on_order else ""
        found.append(Recommendation(
            kind="restock", store_id=location_id, product_id=product_id,
            business_date=as_of,
            title=(f"Restock {product_id} at {where}: {on_hand:.0f} on hand{rate_text}"
                   f"{cover_text}, reorder point {reorder_point:.0f}{order_text}"),
            evidence={"on_hand": on_hand, "reorder_point": reorder_point,
                      "on_order": on_order, "units_a_day": _round(units_a_day),
                      "days_of_cover": _round(cover), "revenue_a_day": round(revenue_a_day, 2)},
            money_at_stake=round(money, 2)))
    return found


def anomaly_recommendations(anomalies: list[SalesAnomaly],
                            settings: RecommendationSettings | None = None
                            ) -> list[Recommendation]:
    """An investigation or a stock fix for every anomaly of at least ``min_severity``."""
    settings = settings or RecommendationSettings()
    least = SEVERITY_RANK[settings.min_severity]
    found: list[Recommendation] = []
    for anomaly in anomalies:
        if SEVERITY_RANK[anomaly.severity] < least:
            continue
        evidence: dict[str, float | None] = {
            "observed": anomaly.observed, "expected": anomaly.expected,
            "expected_low": anomaly.expected_low, "expected_high": anomaly.expected_high,
            "score": anomaly.score}
        day = anomaly.business_date
        if anomaly.kind == "stockout":
            days = (anomaly.end_date - anomaly.start_date).days + 1
            found.append(Recommendation(
                kind="fix_stockout", store_id=anomaly.store_id, product_id=anomaly.product_id,
                business_date=day,
                title=(f"Fix the stock-out of {anomaly.product_id} at store "
                       f"{anomaly.store_id}: no sales for {days} days since "
                       f"{anomaly.start_date}, {anomaly.expected:.1f} units expected"),
                evidence={**evidence, "days": float(days)},
                money_at_stake=anomaly.money_at_stake))
            continue
        kind: RecommendationKind = ("investigate_collapse" if anomaly.kind == "collapse"
                                    else "investigate_spike")
        what = "revenue collapse" if anomaly.kind == "collapse" else "revenue spike"
        found.append(Recommendation(
            kind=kind, store_id=anomaly.store_id, business_date=day,
            title=(f"Investigate the {what} at store {anomaly.store_id} on {day}: "
                   f"${anomaly.observed:,.0f} vs ${anomaly.expected:,.0f} expected"),
            evidence=evidence, money_at_stake=anomaly.money_at_stake))
    return found


def trend_recommendations(segments: pd.DataFrame, dimensions: list[str],
                          settings: RecommendationSettings | None = None
                          ) -> list[Recommendation]:
    """Notes on segments that grew or declined markedly.

    ``segments``: :func:`shopsight.analytics.trends.segment_changes` output, with the
    ``dimensions`` columns (e.g. ``["category", "region"]``).
    """
    settings = settings or RecommendationSettings()
    found: list[Recommendation] = []
    for _, row in segments.iterrows():
        pct = row["change_pct"]
        change = float(row["change"])
        if pd.isna(pct) or abs(float(pct)) < settings.min_change_pct or abs(
                change) < settings.min_change:
            continue
        segment = {d: str(row[d]) for d in dimensions}
        name = " in ".join(segment.values())
        growing = change > 0
        found.append(Recommendation(
            kind="grow_segment" if growing else "address_decline", segment=segment,
            title=(f"{name} {'growing' if growing else 'declining'} {float(pct):+.0f}% "
                   f"{settings.period_label} (${float(row['previous']):,.0f} -> "
                   f"${float(row['current']):,.0f})"),
            evidence={"current": round(float(row["current"]), 2),
                      "previous": round(float(row["previous"]), 2),
                      "change": round(change, 2), "change_pct": float(pct)},
            money_at_stake=round(abs(change), 2)))
    return found


def recommend_actions(anomalies: list[SalesAnomaly], as_of: date,
                      inventory: pd.DataFrame | None = None,
                      product_daily: pd.DataFrame | None = None,
                      segments: pd.DataFrame | None = None,
                      segment_dimensions: list[str] | None = None,
                      settings: RecommendationSettings | None = None,
                      ) -> list[Recommendation]:
    """All rules together, ranked by money at stake (largest first)."""
    settings = settings or RecommendationSettings()
    found = anomaly_recommendations(anomalies, settings)
    if inventory is not None:
        found += restock_recommendations(inventory, product_daily, as_of, settings)
    if segments is not None and segment_dimensions:
        found += trend_recommendations(segments, segment_dimensions, settings)
    return sorted(found, key=lambda r: (-r.money_at_stake, r.kind, r.store_id or "",
                                        r.product_id or "", r.title))


def _with_location(frame: pd.DataFrame) -> pd.DataFrame:
    if "location_id" not in frame.columns and "store_id" in frame.columns:
        frame = frame.rename(columns={"store_id": "location_id"})
    return frame.assign(location_id=frame["location_id"].astype(str),
                        product_id=frame["product_id"].astype(str))


def _daily_rates(product_daily: pd.DataFrame | None, as_of: date,
                 rate_days: int) -> pd.DataFrame:
    columns = ["location_id", "product_id", "units_a_day", "revenue_a_day"]
    if product_daily is None or product_daily.empty:
        return pd.DataFrame({c: pd.Series(dtype="object" if "_id" in c else "float64")
                             for c in columns})
    sales = _with_location(product_daily)
    dates = pd.to_datetime(sales["business_date"]).dt.normalize()
    first = pd.Timestamp(as_of - timedelta(days=rate_days - 1))
    recent = sales[(dates >= first) & (dates <= pd.Timestamp(as_of))]
    revenue = recent["revenue"] if "revenue" in recent.columns else 0.0
    rates = (recent.assign(revenue=revenue).groupby(["location_id", "product_id"])[
        ["units", "revenue"]].sum() / rate_days).reset_index()
    return rates.rename(columns={"units": "units_a_day", "revenue": "revenue_a_day"})


def _where(location_id: str) -> str:
    return f"store {location_id}" if location_id.isdigit() else location_id


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


__all__ = ["Recommendation", "RecommendationKind", "RecommendationSettings",
           "anomaly_recommendations", "recommend_actions", "restock_recommendations",
           "trend_recommendations"]
