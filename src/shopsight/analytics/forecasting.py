"""A generic daily forecaster: LightGBM on calendar, lag, rolling and exogenous features.

One engine for every daily series (units of a product, a category, the company; revenue
of a region or channel): the input is a DataFrame with ``date``, ``y`` and optional
exogenous columns (e.g. ``price``, ``promo``). Forecasts are recursive (each predicted
day feeds the lags of the next), intervals are split-conformal from the absolute errors
of a rolling-origin backtest (per horizon step, so they widen with the horizon), and the
backtest reports WAPE and MASE next to a weekly seasonal-naive baseline so a user can see
whether the model earns its keep.

Holidays (:mod:`shopsight.analytics.retail_calendar`) are rare (one Black Friday a year),
too rare for the trees to learn their size, so each is a multiplicative lift learned from
the history: the median, over its earlier occurrences, of the day's value against the
median of the same weekday in the four weeks before. The trees learn the series with the
lifts divided out, and a forecast multiplies them back in. The backtest forecasts as
production does: future exogenous values are not known (the last 28 days' mean is carried
forward), and lifts are learned from the training window only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

LAGS = (1, 2, 7, 14, 28)
LIFT_WEEKS = 4  # same weekdays before a holiday that make its baseline
LIFT_BOUNDS = (0.1, 10.0)
WINDOWS = (7, 28)
SEASON = 7
MIN_HISTORY_DAYS = 90


def _thanksgiving(year: int) -> date:
    nov1 = date(year, 11, 1)
    return nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)


def calendar_features(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Day of week/month/year and distance to the big retail days (Black Friday, Christmas).

    Distances are signed and clipped to +-30 days so the trees can learn the run-up.
    """
    days = pd.Series(dates)
    black_friday = pd.to_datetime([_thanksgiving(y) + timedelta(days=1) for y in dates.year])
    christmas = pd.to_datetime([date(y, 12, 25) for y in dates.year])
    return pd.DataFrame({
        "dow": dates.day_of_week.to_numpy(),
        "month": dates.month.to_numpy(),
        "day_of_month": dates.day.to_numpy(),
        "day_of_year": dates.day_of_year.to_numpy(),
        "to_black_friday": np.clip((black_friday - dates).days.to_numpy(), -30, 30),
        "to_christmas": np.clip((christmas - dates).days.to_numpy(), -30, 30),
        "new_year": ((days.dt.month == 1) & (days.dt.day == 1)).to_numpy().astype(int),
    })


def holiday_lifts(dates: pd.DatetimeIndex, y: np.ndarray[Any, Any],
                  holidays: pd.DataFrame) -> dict[str, float]:
    """Each holiday's usual lift in the series (``name`` -> value / same-weekday median of
    the :data:`LIFT_WEEKS` weeks before, median over its occurrences); holidays never seen
    with a baseline are left out."""
    names = _holiday_days(holidays)
    position = {d: i for i, d in enumerate(dates)}
    ratios: dict[str, list[float]] = {}
    for day, name in names.items():
        i = position.get(day)
        if i is None:
            continue
        before = [y[j] for k in range(1, LIFT_WEEKS + 1)
                  if (j := i - 7 * k) >= 0 and dates[j] not in names]
        base = float(np.median(before)) if len(before) >= 2 else 0.0
        if base > 0:
            ratios.setdefault(name, []).append(float(y[i]) / base)
    return {name: float(np.clip(np.median(r), *LIFT_BOUNDS)) for name, r in ratios.items()}


def _holiday_days(holidays: pd.DataFrame) -> dict[pd.Timestamp, str]:
    return dict(zip(pd.to_datetime(holidays["date"]).dt.normalize(),
                    holidays["name"].astype(str), strict=True))


def complete_daily(series: pd.DataFrame, end: date | None = None) -> pd.DataFrame:
    """Every day from the first to ``end`` (default last) date: y = 0, exogenous carried."""
    frame = series.copy()
    frame["date"] = pd.to_datetime(frame["date"])
    frame = frame.groupby("date", sort=True).agg(
        {c: ("sum" if c == "y" else "mean") for c in frame.columns if c != "date"})
    last = pd.Timestamp(end) if end else frame.index.max()
    full = pd.date_range(frame.index.min(), last, freq="D", name="date")
    frame = frame.reindex(full)
    frame["y"] = frame["y"].fillna(0.0)
    exog = [c for c in frame.columns if c != "y"]
    frame[exog] = frame[exog].ffill().bfill()
    return frame.reset_index()


def _lag_features(y: np.ndarray[Any, Any], t: int) -> list[float]:
    """Lags and rolling means for position ``t`` using y[:t] only."""
    out = [float(y[t - lag]) if t - lag >= 0 else np.nan for lag in LAGS]
    for w in WINDOWS:
        lo = max(0, t - w)
        out.append(float(np.mean(y[lo:t])) if t > lo else np.nan)
    return out


def _feature_names(exog: list[str]) -> list[str]:
    return (["dow", "month", "day_of_month", "day_of_year", "to_black_friday",
             "to_christmas", "new_year", "trend"]
            + [f"lag_{lag}" for lag in LAGS] + [f"mean_{w}" for w in WINDOWS] + exog)


@dataclass
class BacktestReport:
    """Rolling-origin backtest of the model and of the weekly seasonal-naive baseline."""

    origins: list[date]
    horizon: int
    wape: float
    mase: float
    naive_wape: float
    naive_mase: float
    abs_errors: np.ndarray[Any, Any] = field(repr=False)  # (origins, horizon)
    naive_abs_errors: np.ndarray[Any, Any] | None = field(default=None, repr=False)


class DailyForecaster:
    """LightGBM daily forecaster (scikit-learn conventions).

    ``fit(series)`` takes a complete daily frame (see :func:`complete_daily`) with
    ``date``, ``y`` and the exogenous columns named in ``exog``; ``predict(horizon)``
    continues it recursively. Future exogenous values can be passed; by default the mean
    of the last 28 days is carried forward (promotions are not known in advance).
    """

    def __init__(self, exog: tuple[str, ...] = (), n_estimators: int = 200,
                 learning_rate: float = 0.05, num_leaves: int = 15,
                 random_state: int = 0, holidays: pd.DataFrame | None = None) -> None:
        self.exog = exog
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.random_state = random_state
        self.holidays = holidays

    def without_lifts(self, series: pd.DataFrame) -> pd.DataFrame:
        """Learn the holiday lifts of ``series``; the series with them divided out."""
        from shopsight.analytics.retail_calendar import retail_holidays

        frame = series.reset_index(drop=True)
        dates = pd.DatetimeIndex(pd.to_datetime(frame["date"]).dt.normalize())
        holidays = retail_holidays() if self.holidays is None else self.holidays
        self.holiday_names_ = _holiday_days(holidays)
        self.lifts_ = holiday_lifts(dates, frame["y"].to_numpy(dtype=np.float64), holidays)
        return frame.assign(y=frame["y"].to_numpy(dtype=np.float64) / self._lift_of(dates))

    def _lift_of(self, dates: pd.DatetimeIndex) -> np.ndarray[Any, Any]:
        """The learned lift of each date (1 on ordinary days)."""
        names: dict[pd.Timestamp, str] = getattr(self, "holiday_names_", {})
        lifts: dict[str, float] = getattr(self, "lifts_", {})  # (a model stored before)
        return np.array([lifts.get(names.get(d, ""), 1.0) for d in dates])

    def _design(self, frame: pd.DataFrame) -> pd.DataFrame:
        y = frame["y"].to_numpy(dtype=np.float64)
        cal = calendar_features(pd.DatetimeIndex(frame["date"]))
        lags = np.array([_lag_features(y, t) for t in range(len(y))])
        design = pd.concat([cal, pd.DataFrame({"trend": np.arange(len(y), dtype=float)})],
                           axis=1)
        names = _feature_names(list(self.exog))
        lag_names = names[8:8 + len(LAGS) + len(WINDOWS)]
        design[lag_names] = lags
        for col in self.exog:
            design[col] = frame[col].to_numpy(dtype=np.float64)
        return design.loc[:, names]

    def fit(self, series: pd.DataFrame) -> DailyForecaster:
        """Fit on a complete daily series; needs at least ``MIN_HISTORY_DAYS`` days."""
        import lightgbm as lgb

        frame = self.without_lifts(series)
        design = self._design(frame)
        start = max(LAGS)
        y = frame["y"].to_numpy(dtype=np.float64)
        objective = "poisson" if (y >= 0).all() else "regression"
        self.model_ = lgb.LGBMRegressor(
            objective=objective, n_estimators=self.n_estimators,
            learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=10, subsample=0.9, subsample_freq=1, colsample_bytree=0.9,
            random_state=self.random_state, verbose=-1, n_jobs=1)
        self.model_.fit(design.iloc[start:], y[start:])
        self.history_ = frame
        self.feature_names_ = list(design.columns)
        return self

    def feature_importance(self) -> dict[str, float]:
        """Share of total split gain per feature (sums to 1)."""
        gains = self.model_.booster_.feature_importance(importance_type="gain")
        total = float(np.sum(gains)) or 1.0
        pairs = sorted(zip(self.feature_names_, gains, strict=True), key=lambda p: -p[1])
        return {name: float(g) / total for name, g in pairs}

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Point forecasts for the ``horizon`` days after the history: ``date``, ``yhat``."""
        hist = self.history_
        last = pd.Timestamp(hist["date"].iloc[-1])
        dates = pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
        y = list(hist["y"].to_numpy(dtype=np.float64))
        n0 = len(y)
        cal = calendar_features(dates)
        exog_values: dict[str, np.ndarray[Any, Any]] = {}
        for col in self.exog:
            if future_exog is not None and col in future_exog:
                exog_values[col] = future_exog[col].to_numpy(dtype=np.float64)[:horizon]
            else:
                exog_values[col] = np.full(horizon, float(hist[col].tail(28).mean()))
        preds = []
        for step in range(horizon):
            row = [*cal.iloc[step].to_list(), float(n0 + step)]
            row += _lag_features(np.asarray(y), n0 + step)
            row += [float(exog_values[c][step]) for c in self.exog]
            x = pd.DataFrame([row], columns=self.feature_names_)
            value = max(float(self.model_.predict(x)[0]), 0.0)
            preds.append(value)
            y.append(value)  # the recursion stays on the scale without holiday lifts
        return pd.DataFrame({"date": dates, "yhat": np.asarray(preds) * self._lift_of(dates)})


def seasonal_naive(history: np.ndarray[Any, Any], horizon: int,
                   season: int = SEASON) -> np.ndarray[Any, Any]:
    """Repeat the last ``season`` days."""
    last = np.asarray(history[-season:], dtype=np.float64)
    return np.asarray(np.resize(last, horizon))


def mase_scale(history: np.ndarray[Any, Any], season: int = SEASON) -> float:
    """In-sample mean absolute error of the seasonal-naive forecast (the MASE divisor)."""
    values = np.asarray(history, dtype=np.float64)
    diffs = np.abs(values[season:] - values[:-season])
    scale = float(diffs.mean()) if diffs.size else 0.0
    return scale if scale > 0 else 1.0


def backtest(series: pd.DataFrame, horizon: int, n_origins: int = 3,
             make_model: Any = None) -> BacktestReport:
    """Rolling-origin backtest: refit at each origin, forecast ``horizon`` days, score.

    Origins step back ``horizon`` days from the end so the windows do not overlap. Each
    forecast is made as in production, without the window's actual exogenous values.
    """
    frame = series.reset_index(drop=True)
    make = make_model or (lambda: DailyForecaster())
    need = MIN_HISTORY_DAYS + n_origins * horizon
    if len(frame) < need:
        from shopsight.errors import NotEnoughHistory

        raise NotEnoughHistory("forecast backtest", f"{len(frame)} days",
                               f"{need} days ({MIN_HISTORY_DAYS} + {n_origins} x {horizon})")
    errors, naive_errors, actual_sum, origins = [], [], 0.0, []
    mase_model, mase_naive = [], []
    for k in range(n_origins, 0, -1):
        cut = len(frame) - k * horizon
        train, test = frame.iloc[:cut], frame.iloc[cut:cut + horizon]
        model = make().fit(train)
        pred = model.predict(horizon)["yhat"].to_numpy()  # the future's prices and
        # promotions are not known in production either
        actual = test["y"].to_numpy(dtype=np.float64)
        naive = seasonal_naive(train["y"].to_numpy(), horizon)
        scale = mase_scale(train["y"].to_numpy())
        errors.append(np.abs(actual - pred))
        naive_errors.append(np.abs(actual - naive))
        mase_model.append(float(np.mean(np.abs(actual - pred))) / scale)
        mase_naive.append(float(np.mean(np.abs(actual - naive))) / scale)
        actual_sum += float(np.abs(actual).sum())
        origins.append(pd.Timestamp(train["date"].iloc[-1]).date())
    err = np.vstack(errors)
    naive_err = np.vstack(naive_errors)
    denom = actual_sum or 1.0
    return BacktestReport(
        origins=origins, horizon=horizon,
        wape=float(err.sum()) / denom, mase=float(np.mean(mase_model)),
        naive_wape=float(naive_err.sum()) / denom, naive_mase=float(np.mean(mase_naive)),
        abs_errors=err, naive_abs_errors=naive_err)


class SeasonalNaiveForecaster:
    """The last week again, with the holiday lifts of :class:`DailyForecaster`: what is
    served when the model does not beat this baseline in the backtest."""

    def __init__(self, holidays: pd.DataFrame | None = None) -> None:
        self._lifted = DailyForecaster(holidays=holidays)

    def fit(self, series: pd.DataFrame) -> SeasonalNaiveForecaster:
        """Learn the holiday lifts and keep the history (the last week is the forecast)."""
        self.history_ = self._lifted.without_lifts(series)
        return self

    def feature_importance(self) -> dict[str, float]:
        """None: the forecast is the last week."""
        return {}

    def predict(self, horizon: int) -> pd.DataFrame:
        """The last seven days (holiday lifts divided out) repeated, lifts put back."""
        last = pd.Timestamp(self.history_["date"].iloc[-1])
        dates = pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
        values = seasonal_naive(self.history_["y"].to_numpy(dtype=np.float64), horizon)
        return pd.DataFrame({"date": dates, "yhat": values * self._lifted._lift_of(dates)})


@dataclass
class TrainedForecast:
    """The forecaster to serve, how it scored, and its interval half-widths per step."""

    forecaster: DailyForecaster | SeasonalNaiveForecaster
    backtest: BacktestReport
    widths: np.ndarray[Any, Any]
    method: str  # "lightgbm", or "seasonal_naive" when the model did not beat it


def train_forecast(series: pd.DataFrame, make_model: Any, horizon: int, n_origins: int,
                   max_horizon: int, coverage: float) -> TrainedForecast:
    """Backtest the model against seasonal naive and serve the better: the model only
    when it earns its keep. Intervals are from the served method's backtest errors."""
    report = backtest(series, horizon, n_origins, make_model)
    if report.wape < report.naive_wape or report.naive_abs_errors is None:
        return TrainedForecast(make_model().fit(series), report, conformal_widths(
            report.abs_errors, max_horizon, coverage), "lightgbm")
    return TrainedForecast(SeasonalNaiveForecaster().fit(series), report, conformal_widths(
        report.naive_abs_errors, max_horizon, coverage), "seasonal_naive")


def conformal_widths(abs_errors: np.ndarray[Any, Any], horizon: int,
                     coverage: float = 0.9) -> np.ndarray[Any, Any]:
    """Half-widths per horizon step from backtest absolute errors.

    Errors are pooled over a +-3-step neighbourhood (few origins give few errors per
    step) and the ``coverage`` quantile is taken; steps beyond the backtest horizon reuse
    the last width scaled by sqrt(step / backtest horizon).
    """
    h_bt = abs_errors.shape[1]
    widths = np.empty(horizon)
    for step in range(horizon):
        s = min(step, h_bt - 1)
        pool = abs_errors[:, max(0, s - 3):s + 4].ravel()
        width = float(np.quantile(pool, coverage))
        if step >= h_bt:
            width *= float(np.sqrt((step + 1) / h_bt))
        widths[step] = width
    return widths
