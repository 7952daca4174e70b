"""Anomaly detectors on synthetic histories where the answer is known."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from shopsight.analytics.anomalies import (
    SalesAnomaly,
    detect_sales_anomalies,
    detect_stockouts,
    detect_store_anomalies,
)

START = date(2025, 1, 1)
WEEKLY = np.array([0.9, 0.9, 0.95, 1.0, 1.15, 1.4, 0.8])


def store_history(days: int = 400, seed: int = 1, stores: tuple[str, ...] = ("0001", "0002"),
                  events: dict[tuple[str, date], float] | None = None) -> pd.DataFrame:
    """Weekly-seasonal revenue and transactions with lognormal noise, times event factors."""
    rng = np.random.default_rng(seed)
    rows = []
    for store in stores:
        for i in range(days):
            day = START + timedelta(days=i)
            factor = (events or {}).get((store, day), 1.0)
            level = 3000 * WEEKLY[day.weekday()] * factor
            revenue = level * float(np.exp(rng.normal(0, 0.15)))
            transactions = int(rng.poisson(30 * WEEKLY[day.weekday()] * factor))
            rows.append((pd.Timestamp(day), store, revenue, transactions))
    return pd.DataFrame(rows, columns=["business_date", "store_id", "revenue", "transactions"])


def test_planted_spike_and_collapse_are_found_with_expected_ranges() -> None:
    spike, collapse = date(2025, 12, 3), date(2025, 12, 10)
    daily = store_history(events={("0001", spike): 3.0, ("0002", collapse): 0.2})
    found = detect_store_anomalies(daily, date(2025, 11, 1), date(2026, 2, 4))
    high = [a for a in found if a.severity == "high"]
    assert {(a.store_id, a.business_date, a.kind) for a in high} == {
        ("0001", spike, "spike"), ("0002", collapse, "collapse")}
    for anomaly in high:
        assert not anomaly.expected_low <= anomaly.observed <= anomaly.expected_high
        assert anomaly.expected_low < anomaly.expected < anomaly.expected_high
        assert anomaly.money_at_stake == round(abs(anomaly.observed - anomaly.expected), 2)
    # the expected value is the same-weekday median, so a Saturday is judged as a Saturday
    saturday = next(a for a in high if a.kind == "spike")
    assert 3000 * WEEKLY[spike.weekday()] * 0.8 < saturday.expected < \
        3000 * WEEKLY[spike.weekday()] * 1.2


def test_daily_run_judges_only_the_target_date() -> None:
    day = date(2025, 12, 3)
    daily = store_history(events={("0001", day): 0.1})
    found = detect_store_anomalies(daily, day)
    assert [(a.store_id, a.kind, a.severity) for a in found] == [("0001", "collapse", "high")]
    assert "collapse at store 0001 on 2025-12-03" in found[0].description


def test_a_day_unusual_only_with_its_transactions_says_so() -> None:
    """Revenue +40 % is within its own range; with 4x the transactions the day is not."""
    day = date(2025, 12, 3)
    daily = store_history()
    that_day = (daily["store_id"] == "0001") & (daily["business_date"] == pd.Timestamp(day))
    daily.loc[that_day, "revenue"] *= 1.4
    daily.loc[that_day, "transactions"] *= 4
    [found] = detect_store_anomalies(daily, day)
    assert found.expected_low <= found.observed <= found.expected_high
    assert "revenue alone is within its usual range" in found.description
    assert f"with {int(daily.loc[that_day, 'transactions'].iloc[0])} transactions" in \
        found.description


def test_holiday_lift_learned_from_last_year_is_not_flagged() -> None:
    black_fridays = [date(2025, 1, 31), date(2026, 1, 30)]  # any recurring named date works
    events = {(s, d): 2.2 for s in ("0001", "0002") for d in black_fridays}
    daily = store_history(days=420, events=events)
    holidays = pd.DataFrame({"date": black_fridays, "name": ["Black Friday"] * 2})
    blind = detect_store_anomalies(daily, black_fridays[1])
    assert {a.kind for a in blind if a.severity == "high"} == {"spike"}
    aware = detect_store_anomalies(daily, black_fridays[1], holidays=holidays)
    assert aware == []
    # a store whose holiday flopped is still flagged, against the holiday's usual lift
    flop = store_history(days=420, events={**events, ("0002", black_fridays[1]): 0.6})
    found = detect_store_anomalies(flop, black_fridays[1], holidays=holidays)
    assert [(a.store_id, a.kind, a.holiday) for a in found if a.severity != "low"] == [
        ("0002", "collapse", "Black Friday")]


def test_a_quiet_history_raises_no_high_alerts() -> None:
    found = detect_store_anomalies(store_history(seed=7), date(2025, 6, 1), date(2026, 2, 4))
    assert [a for a in found if a.severity == "high"] == []


def product_history(days: int = 120, out: tuple[int, int] | None = None,
                    seed: int = 3) -> pd.DataFrame:
    """Sparse daily units of two products at one store; P1 sells most days."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(days):
        day = pd.Timestamp(START + timedelta(days=i))
        for product, rate in (("P1", 4.0), ("P2", 0.1)):
            units = int(rng.poisson(rate))
            if product == "P1" and out and out[0] <= i <= out[1]:
                units = 0
            if units:
                rows.append((day, "0001", product, units, units * 10.0))
    return pd.DataFrame(rows, columns=["business_date", "store_id", "product_id", "units",
                                       "revenue"])


def test_sales_only_stockout_of_a_product_that_usually_sells() -> None:
    sales = product_history(out=(100, 105))
    found = detect_stockouts(sales, START + timedelta(days=90), START + timedelta(days=119))
    assert len(found) == 1
    stockout = found[0]
    assert (stockout.product_id, stockout.kind, stockout.severity) == ("P1", "stockout", "high")
    assert stockout.start_date == START + timedelta(days=100)
    assert stockout.end_date == START + timedelta(days=105)
    assert stockout.observed == 0 and stockout.expected > 15
    assert stockout.money_at_stake > 150
    # the rarely-selling P2 is never called out of stock
    assert all(a.product_id == "P1" for a in found)


def test_inventory_confirms_a_stockout_with_nothing_on_order() -> None:
    sales = product_history(out=(100, 102))
    snapshots = [(pd.Timestamp(START + timedelta(days=i)), "0001", "P1",
                  0 if 100 <= i <= 102 else 20, 0) for i in range(90, 120)]
    inventory = pd.DataFrame(snapshots, columns=["snapshot_date", "location_id", "product_id",
                                                 "on_hand", "on_order"])
    found = detect_stockouts(sales, START + timedelta(days=95), START + timedelta(days=119),
                             inventory=inventory)
    assert [(a.product_id, a.severity, a.start_date) for a in found] == [
        ("P1", "high", START + timedelta(days=100))]
    assert "nothing on order" in found[0].description
    # the same gap with a reorder under way is the normal cycle, not an alert
    ordered = inventory.assign(on_order=10)
    found = detect_stockouts(sales, START + timedelta(days=95), START + timedelta(days=119),
                             inventory=ordered)
    assert [a.severity for a in found] == ["medium"]


def test_combined_detection_is_sorted_by_severity() -> None:
    daily = store_history(events={("0001", date(2025, 4, 20)): 0.15})
    sales = product_history(out=(100, 105))
    found = detect_sales_anomalies(daily, sales, START + timedelta(days=100),
                                   START + timedelta(days=120))
    assert all(isinstance(a, SalesAnomaly) for a in found)
    ranks = [{"low": 1, "medium": 2, "high": 3}[a.severity] for a in found]
    assert ranks == sorted(ranks, reverse=True)
    assert {a.kind for a in found if a.severity == "high"} == {"collapse", "stockout"}
