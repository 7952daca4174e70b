"""The generic daily forecaster on a synthetic weekly series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopsight.analytics.forecasting import (
    DailyForecaster,
    backtest,
    calendar_features,
    complete_daily,
    conformal_widths,
    seasonal_naive,
)
from shopsight.errors import NotEnoughHistory


def _series(days: int = 300, start: str = "2025-01-01",
            black_friday: float = 1.0) -> pd.DataFrame:
    """Weekly rhythm, a trend, a price index that moves little; Black Friday times
    ``black_friday``."""
    rng = np.random.default_rng(1)
    dates = pd.date_range(start, periods=days, freq="D")
    price = 1 + 0.02 * np.sin(np.arange(days) / 20)
    level = (50 + 0.05 * np.arange(days) + 15 * (dates.day_of_week >= 5)) / price
    lift = np.where(dates.isin([black_friday_of(y) for y in (2024, 2025, 2026)]),
                    black_friday, 1.0)
    return pd.DataFrame({"date": dates, "y": rng.poisson(level * lift).astype(float),
                         "price_index": price})


def black_friday_of(year: int) -> pd.Timestamp:
    from shopsight.analytics.retail_calendar import black_friday

    return pd.Timestamp(black_friday(year))


def test_complete_daily_fills_gaps() -> None:
    frame = pd.DataFrame({"date": ["2025-01-01", "2025-01-03"], "y": [2.0, 3.0],
                          "price": [1.0, 2.0]})
    full = complete_daily(frame)
    assert full["y"].tolist() == [2.0, 0.0, 3.0]
    assert full["price"].tolist() == [1.0, 1.0, 2.0]


def test_calendar_marks_black_friday() -> None:
    cal = calendar_features(pd.DatetimeIndex(["2026-11-27", "2026-11-20"]))
    assert cal["to_black_friday"].tolist() == [0, 7]


def test_forecaster_beats_seasonal_naive_and_reports() -> None:
    series = _series()

    def make() -> DailyForecaster:
        return DailyForecaster(exog=("price_index",), n_estimators=80)

    report = backtest(series, 14, 3, make)
    assert report.wape < report.naive_wape
    assert report.abs_errors.shape == (3, 14)
    model = make().fit(series)
    pred = model.predict(10)
    assert len(pred) == 10 and (pred["yhat"] >= 0).all()
    assert pred["date"].iloc[0] == series["date"].iloc[-1] + pd.Timedelta(days=1)
    importance = model.feature_importance()
    assert sum(importance.values()) == pytest.approx(1.0)
    widths = conformal_widths(report.abs_errors, 30)
    assert (widths > 0).all() and widths[-1] >= widths[13]
    assert seasonal_naive(np.arange(14.0), 9).tolist() == [7, 8, 9, 10, 11, 12, 13, 7, 8]
    with pytest.raises(NotEnoughHistory, match="need"):
        backtest(series.head(100), 14, 3, make)


def test_mase_scale_is_the_seasonal_naive_error() -> None:
    from shopsight.analytics.forecasting import mase_scale

    history = np.array([1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 7], dtype=float)
    assert mase_scale(history) == pytest.approx(2 / 7)  # only day 8 differs, by 2


def test_black_friday_is_forecast_with_its_learned_lift() -> None:
    """One Black Friday in the history at 2.5x a normal Friday: the next is forecast at
    about that, not at the trees' ordinary Friday; the backtest never sees the future."""
    series = _series(days=700, start="2024-12-01", black_friday=2.5)  # to 2026-10-31
    model = DailyForecaster(exog=("price_index",), n_estimators=80).fit(series)
    assert model.lifts_["Black Friday"] == pytest.approx(2.5, rel=0.2)
    pred = model.predict(40).set_index("date")["yhat"]
    friday = black_friday_of(2026)
    ordinary = pred[friday - pd.Timedelta(days=7)]
    assert pred[friday] / ordinary == pytest.approx(2.5, rel=0.2)
    naive = seasonal_naive(series["y"].to_numpy(), 40)[(friday - pd.Timestamp("2026-11-01")).days]
    assert abs(pred[friday] - 2.5 * ordinary) < abs(naive - 2.5 * ordinary)


def test_the_baseline_is_served_when_the_model_does_not_beat_it() -> None:
    """A week that repeats exactly: seasonal naive is perfect, so it is what forecasts."""
    from shopsight.analytics.forecasting import train_forecast

    dates = pd.date_range("2025-01-06", periods=200, freq="D")  # no retail holiday inside
    week = np.array([3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0])
    series = pd.DataFrame({"date": dates, "y": week[dates.day_of_week]})
    trained = train_forecast(series, lambda: DailyForecaster(n_estimators=20), 14, 3, 30, 0.9)
    assert trained.backtest.naive_wape == 0 and trained.backtest.wape > 0
    assert trained.method == "seasonal_naive"
    pred = trained.forecaster.predict(10)
    assert pred["yhat"].tolist() == week[pred["date"].dt.day_of_week].tolist()
    assert (trained.widths == 0).all()
    beaten = train_forecast(_series(), lambda: DailyForecaster(
        exog=("price_index",), n_estimators=80), 14, 3, 30, 0.9)
    assert beaten.method == "lightgbm" and beaten.backtest.wape < beaten.backtest.naive_wape
