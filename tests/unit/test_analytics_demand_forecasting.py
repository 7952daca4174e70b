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


def _series(days: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    promo = (rng.random(days) < 0.15).astype(float)
    level = 50 + 0.05 * np.arange(days) + 15 * (dates.day_of_week >= 5) + 30 * promo
    return pd.DataFrame({"date": dates, "y": rng.poisson(level).astype(float),
                         "promo": promo})


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
        return DailyForecaster(exog=("promo",), n_estimators=80)

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
