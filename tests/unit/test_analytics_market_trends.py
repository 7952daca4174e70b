"""Market trends on synthetic series: change points, growth windows, movers, seasonality."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from shopsight.analytics import market_trends as mt

WEEKDAY = np.array([0.9, 0.95, 1.0, 1.0, 1.1, 1.3, 0.75])


def _daily(values: np.ndarray, start: str = "2025-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values)))


@pytest.mark.parametrize("seed", range(5))
def test_change_point_found_within_a_week_of_a_known_break(seed: int) -> None:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01", periods=364)
    level = np.where(np.arange(364) >= 200, 1.25, 1.0)
    trend = np.linspace(1.0, 1.15, 364)
    y = rng.poisson(300 * WEEKDAY[days.day_of_week] * trend * level).astype(float)
    found, adjusted = mt.weekly_change_points(_daily(y))
    assert not adjusted  # one year: no yearly component to remove
    assert len(found) == 1
    assert abs((pd.Timestamp(found["date"].iloc[0]) - days[200]).days) <= 7
    assert found["level_change"].iloc[0] == pytest.approx(0.25, abs=0.08)


def test_break_found_under_yearly_seasonality() -> None:
    rng = np.random.default_rng(1)
    days = pd.date_range("2024-11-21", periods=730)
    dist = np.abs(days.day_of_year.to_numpy() - 344.0)
    season = 1 + 0.35 * np.exp(-0.5 * (np.minimum(dist, 365 - dist) / 28) ** 2)
    level = np.where(np.arange(730) >= 500, 0.75, 1.0)
    y = rng.poisson(200 * season * level * np.linspace(1, 1.3, 730)).astype(float)
    found, adjusted = mt.weekly_change_points(_daily(y, "2024-11-21"))
    assert adjusted
    assert [abs((pd.Timestamp(d) - days[500]).days) <= 7 for d in found["date"]] == [True]


def test_steady_growth_is_not_a_change_point() -> None:
    rng = np.random.default_rng(7)
    y = rng.poisson(300 * np.linspace(1.0, 1.6, 500)).astype(float)
    assert mt.weekly_change_points(_daily(y))[0].empty
    # A constant-mean model would cut the same ramp into steps: why segments are lines.
    assert len(mt.detect_change_points(np.log(mt.weekly_totals(_daily(y)).to_numpy()),
                                       model="mean")) >= 1


def test_detect_change_points_on_a_step() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 1, 40), rng.normal(5, 1, 40)])
    assert mt.detect_change_points(values, model="mean") == [40]
    assert mt.detect_change_points(values[:10]) == []  # shorter than two segments
    with pytest.raises(ValueError, match="linear or mean"):
        mt.detect_change_points(values, model="cubic")


def _lines() -> pd.DataFrame:
    """Two regions over 2 years + 1 day; region A doubles its orders in the last year."""
    days = pd.date_range("2024-01-01", "2025-12-31")
    rows = []
    for i, day in enumerate(days):
        last_year = day > pd.Timestamp("2024-12-31")
        for n in range(2 if last_year else 1):
            rows.append((day, f"A{i}-{n}", "c1", "A", "web", "Books", 10.0, 1.0))
        rows.append((day, f"B{i}", None, "B", "store", "Toys", 5.0, 2.0))
    return pd.DataFrame(rows, columns=list(mt.LINE_COLUMNS))


def test_growth_table_windows_and_per_customer_growth() -> None:
    lines = _lines()
    table = mt.growth_table(lines, "region", (7, 365))
    assert list(table.columns) == list(mt.GROWTH_COLUMNS)
    a365 = table[(table["key"] == "A") & (table["window_days"] == 365)].iloc[0]
    assert a365["revenue"] == pytest.approx(7300.0)
    assert a365["revenue_year_ago"] == pytest.approx(3650.0)
    assert a365["revenue_growth_yoy"] == pytest.approx(1.0)
    assert a365["per_customer_growth_yoy"] == pytest.approx(1.0)  # one customer, 2x orders
    assert a365["period_start"] == date(2025, 1, 1)
    b7 = table[(table["key"] == "B") & (table["window_days"] == 7)].iloc[0]
    assert b7["units_growth_pop"] == pytest.approx(0.0)
    assert np.isnan(b7["per_customer_growth_yoy"])  # anonymous buyers only
    company = mt.growth_table(lines, "company", (400,))
    assert np.isnan(company["revenue_growth_yoy"].iloc[0])  # history too short to compare
    assert company["key"].tolist() == [mt.COMPANY_KEY]


def test_rank_movers_splits_risers_and_fallers() -> None:
    growth = pd.DataFrame({"level": ["region"] * 4, "key": ["a", "b", "c", "d"],
                           "revenue_growth_yoy": [0.1, -0.2, 0.3, np.nan]})
    risers, fallers = mt.rank_movers(growth, limit=5)
    assert risers["key"].tolist() == ["c", "a"] and risers["rank"].tolist() == [1, 2]
    assert fallers["key"].tolist() == ["b"]
    with pytest.raises(ValueError, match="measure"):
        mt.rank_movers(growth, measure="vibes")


def test_decompose_finds_weekly_profile_and_yearly_peak() -> None:
    days = pd.date_range("2024-11-21", periods=730)
    rng = np.random.default_rng(3)
    peak = np.isin(days.strftime("%m-%d"), ["11-28", "11-29", "11-30"]).astype(float)
    y = rng.poisson(200 * WEEKDAY[days.day_of_week] * (1 + 2.0 * peak)).astype(float)
    result = mt.decompose(_daily(y, "2024-11-21"))
    assert result.weekly_profile is not None
    assert max(result.weekly_profile, key=result.weekly_profile.__getitem__) == "Saturday"
    assert result.yearly_available and len(result.weeks) == 104
    top = mt.peak_weeks(result.weeks, limit=2)
    for start, end in zip(top["week_start"], top["week_end"], strict=True):
        assert any(start <= pd.Timestamp(year, 11, 29) <= end for year in (2024, 2025))
    short = mt.decompose(_daily(y[:200]))
    assert not short.yearly_available and short.yearly_strength is None


def test_weekly_totals_end_on_the_last_day_and_events() -> None:
    weeks = mt.weekly_totals(_daily(np.ones(10)))
    assert weeks.tolist() == [7.0]
    assert weeks.index[0] == pd.Timestamp("2025-01-04")
    events = mt.retail_events(date(2025, 11, 1), date(2025, 12, 31))
    assert events == {date(2025, 11, 28): "Black Friday", date(2025, 12, 1): "Cyber Monday",
                      date(2025, 12, 25): "Christmas Day"}
