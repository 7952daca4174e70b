"""Trends on synthetic data with known answers."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from shopsight.analytics.trends import (
    change_drivers,
    moving_averages,
    period_changes,
    segment_changes,
)
from shopsight.errors import InvalidParameter

AS_OF = date(2026, 3, 31)


def linear_daily(days: int, start_value: float = 100.0, step: float = 1.0) -> pd.DataFrame:
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=days, freq="D")
    values = [start_value + step * i for i in range(days)]
    return pd.DataFrame({"business_date": dates, "revenue": values})


def test_period_changes_on_a_straight_line() -> None:
    changes = {c.label: c for c in period_changes(linear_daily(60), AS_OF)}
    assert set(changes) == {"day over day", "week over week", "month over month"}
    day = changes["day over day"]
    assert (day.current, day.previous, day.change) == (159.0, 158.0, 1.0)
    week = changes["week over week"]
    assert week.change == 49.0  # seven days, each seven higher
    assert week.previous_end == AS_OF - timedelta(days=7)
    month = changes["month over month"]
    assert month.change == 28 * 28
    assert month.change_pct == pytest.approx(784 / month.previous * 100, abs=0.01)


def test_year_over_year_needs_a_year_of_history() -> None:
    changes = {c.label: c for c in period_changes(linear_daily(400, step=0.0), AS_OF)}
    yoy = changes["year over year"]
    assert yoy.change == 0 and yoy.change_pct == 0
    assert yoy.previous_end == AS_OF - timedelta(days=364)


def test_moving_averages_fill_missing_days_with_zero() -> None:
    frame = linear_daily(30).drop(index=[10])
    averages = moving_averages(frame, windows=(7, 28))
    assert len(averages) == 30
    assert averages["ma_7"].isna().sum() == 6
    assert averages["ma_28"].iloc[-1] == pytest.approx(
        (sum(100.0 + i for i in range(2, 30)) - 110.0) / 28)


def test_drivers_are_signed_shares_of_the_change() -> None:
    rows = []
    for day, offset in ((date(2026, 1, 1), 0), (date(2026, 1, 8), 1)):
        rows += [(day, "A", 100 + 80 * offset), (day, "B", 50 + 40 * offset),
                 (day, "C", 60 - 20 * offset)]
    frame = pd.DataFrame(rows, columns=["business_date", "store_id", "revenue"])
    report = change_drivers(frame, "store_id", current=(date(2026, 1, 8), date(2026, 1, 8)),
                            previous=(date(2026, 1, 1), date(2026, 1, 1)))
    assert report.change == 100 and report.change_pct == pytest.approx(100 / 210 * 100,
                                                                       abs=0.01)
    assert [(d.name, d.change, d.contribution) for d in report.drivers] == [
        ("A", 80, 0.8), ("B", 40, 0.4), ("C", -20, -0.2)]
    assert sum(d.contribution or 0 for d in report.drivers) == pytest.approx(1.0)
    with pytest.raises(InvalidParameter, match="dimension"):
        change_drivers(frame, "region", (AS_OF, AS_OF), (AS_OF, AS_OF))


def test_segment_changes_week_over_week() -> None:
    days = pd.date_range(end=pd.Timestamp(AS_OF), periods=14, freq="D")
    rows = [(d, "Europe", "Toys", 100.0 if d > days[6] else 80.0) for d in days]
    rows += [(d, "Europe", "Books", 50.0) for d in days]
    frame = pd.DataFrame(rows, columns=["business_date", "region", "category", "revenue"])
    out = segment_changes(frame, ["region", "category"], AS_OF)
    first = out.iloc[0]
    assert (first["category"], first["change"], first["change_pct"]) == ("Toys", 140.0, 25.0)
    assert out.iloc[1]["change"] == 0
