"""Recommendation rules: evidence comes from the inputs, ranking by money at stake."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from shopsight.analytics.anomalies import SalesAnomaly
from shopsight.analytics.recommendations import (
    anomaly_recommendations,
    recommend_actions,
    restock_recommendations,
    trend_recommendations,
)

AS_OF = date(2026, 11, 20)


def inventory() -> pd.DataFrame:
    return pd.DataFrame({
        "snapshot_date": [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 20),
                          date(2026, 11, 20)],
        "location_id": ["0001", "0001", "0001", "WH01"],
        "product_id": ["SKU-00028", "SKU-00028", "SKU-00001", "SKU-00028"],
        "on_hand": [30, 3, 50, 5],
        "reorder_point": [10, 10, 10, 40],
        "on_order": [0, 0, 0, 120],
    })


def sales() -> pd.DataFrame:
    days = pd.date_range(end=pd.Timestamp(AS_OF), periods=28, freq="D")
    units = [3 if i % 3 == 0 else 2 for i in range(28)]  # 66 units in 28 days
    return pd.DataFrame({"business_date": days, "location_id": "0001",
                         "product_id": "SKU-00028", "units": units,
                         "revenue": [u * 12.5 for u in units]})


def test_restock_uses_the_latest_snapshot_and_the_sales_rate() -> None:
    found = restock_recommendations(inventory(), sales(), AS_OF)
    by_location = {r.store_id: r for r in found}
    assert set(by_location) == {"0001"}  # WH01 is below its reorder point, with 120 on order
    store = by_location["0001"]
    assert store.title == ("Restock SKU-00028 at store 0001: 3 on hand, sells 2.4/day "
                           "(1.3 days of cover), reorder point 10")
    assert store.evidence["on_hand"] == 3 and store.evidence["reorder_point"] == 10
    assert store.evidence["units_a_day"] == pytest.approx(66 / 28, abs=0.01)
    # revenue a day x days of the 7-day horizon not covered
    cover = 3 / (66 / 28)
    assert store.money_at_stake == pytest.approx(66 * 12.5 / 28 * (7 - cover), abs=0.01)
    short = inventory().assign(on_order=[0, 4, 0, 0])  # 3 + 4 on order: still below 10
    found = restock_recommendations(short, sales(), AS_OF)
    assert [r.store_id for r in found] == ["0001", "WH01"] and "4 on order" in found[0].title
    assert found[1].money_at_stake == 0  # a warehouse sells nothing of its own


def anomaly(kind: str, severity: str, observed: float, expected: float,
            product_id: str | None = None) -> SalesAnomaly:
    day = date(2026, 11, 20)
    return SalesAnomaly(
        level="store_product" if product_id else "store", store_id="0007",
        product_id=product_id, kind=kind, business_date=day,  # type: ignore[arg-type]
        start_date=date(2026, 11, 17) if product_id else day, end_date=day,
        metric="units" if product_id else "revenue", observed=observed, expected=expected,
        expected_low=expected / 2, expected_high=expected * 2, score=-7.0,
        severity=severity,  # type: ignore[arg-type]
        money_at_stake=abs(expected - observed) * (10 if product_id else 1), description="")


def test_anomalies_become_investigations_above_the_severity_bar() -> None:
    found = anomaly_recommendations([
        anomaly("collapse", "high", 1203, 4800), anomaly("spike", "low", 9000, 4000),
        anomaly("stockout", "high", 0, 8.4, "SKU-00090")])
    titles = [r.title for r in found]
    assert titles[0] == ("Investigate the revenue collapse at store 0007 on 2026-11-20: "
                         "$1,203 vs $4,800 expected")
    assert titles[1].startswith("Fix the stock-out of SKU-00090 at store 0007: no sales for "
                                "4 days")
    assert len(found) == 2
    assert found[0].evidence["observed"] == 1203 and found[0].money_at_stake == 3597


def test_trend_notes_and_ranking() -> None:
    segments = pd.DataFrame({"category": ["Electronics", "Books", "Toys"],
                             "region": ["Europe", "Europe", "Asia Pacific"],
                             "current": [11800.0, 1000.0, 3000.0],
                             "previous": [10000.0, 1100.0, 4000.0]})
    segments["change"] = segments["current"] - segments["previous"]
    segments["change_pct"] = segments["change"] / segments["previous"] * 100
    notes = trend_recommendations(segments, ["category", "region"])
    assert [r.title for r in notes] == [
        "Electronics in Europe growing +18% WoW ($10,000 -> $11,800)",
        "Toys in Asia Pacific declining -25% WoW ($4,000 -> $3,000)"]
    ranked = recommend_actions([anomaly("collapse", "high", 1203, 4800)], AS_OF,
                               inventory=inventory(), product_daily=sales(),
                               segments=segments, segment_dimensions=["category", "region"])
    money = [r.money_at_stake for r in ranked]
    assert money == sorted(money, reverse=True)
    assert ranked[0].kind == "investigate_collapse"
    assert {r.kind for r in ranked} == {"investigate_collapse", "restock", "grow_segment",
                                        "address_decline"}
