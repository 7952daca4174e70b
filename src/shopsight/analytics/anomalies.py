"""Sales anomalies in each store's and each store-product's own daily history.

Pure: daily DataFrames in (the shapes of :mod:`shopsight.systems.sales.history`), a
list of typed :class:`SalesAnomaly` out. Works for one business date (the daily run:
``start == end``) or a range (a backtest); a date is only ever compared with days before
it, so a backtest sees what the daily run would have seen.

Store spikes and collapses (:func:`detect_store_anomalies`)
    Retail has a strong weekly rhythm, so each day is compared with the same weekday:
    the *baseline* is the median of that weekday over the previous ``weeks`` weeks
    (holidays left out). The *residual* is ``log((x + c) / (baseline + c))`` with
    ``c = 0.1 * baseline``: a ratio, so a big store and a small one are judged alike,
    bounded below so a zero day is very low but finite. Its *scale* is the robust spread
    (interquartile range / 1.349, which equals the standard deviation for normal data and
    ignores outliers like the MAD does) of the store's residuals over the previous
    ``scale_days`` days, so a noisy store needs a bigger move than a steady one. The
    *score* is the residual in units of that scale. When transactions are given, the
    score is the average of the revenue and the transactions scores times sqrt(2):
    a real event (a promotion, a closure, a till outage) moves footfall as well as
    money, while a single large basket moves only money, so corroborated moves score
    higher than uncorroborated ones.

Holidays
    With a holiday calendar (``date``, ``name``), holiday dates are left out of every
    baseline and scale. A holiday is judged against its usual lift: the median, over
    the earlier occurrences of the same holiday name in the data and over all stores, of
    revenue / baseline. So Black Friday is expected at about twice a normal Friday and
    is not flagged, while a store whose Black Friday flopped still is. A holiday seen
    for the first time is not scored (there is nothing to compare it with). The daily
    analysis uses :mod:`shopsight.analytics.retail_calendar` (or the retailer's own file).

Stock-outs (:func:`detect_stockouts`)
    A product that usually sells at a store and then sells nothing for several
    consecutive days is probably out of stock. For a run of ``k`` zero-sale days
    starting on day ``s``, ``p0`` is the share of zero-sale days in the
    ``lookback_days`` before ``s`` (smoothed: ``(zeros + 1) / (days + 2)``), and the run's
    probability if demand were as usual is ``p0 ** k``. The score is ``-log10`` of that.
    One anomaly per run: dated the first day the run became significant, with the run's
    first and last zero-sale day in the evaluated range. Money at stake is the usual
    daily revenue times the days of the run.

Severity
    ``high`` is the level to alert on; ``medium`` and ``low`` are shown in the report.
    Store anomalies: ``|score| >= 5 / 4.25 / 3.5`` (high / medium / low). Sales-only
    stock-outs: ``score >= 5 / 4 / 3``; inventory-confirmed ones as described in
    :func:`detect_stockouts`.

Measured on the demo data (medium scale, seed 42; ``tests/integration/
test_sales_analytics_truth.py`` defines the matching): high-severity store anomalies over
the last 365 days find 12 of 12 planted ones with 14 alerts (recall 1.0, precision 0.86);
inventory-confirmed stock-outs over the last 30 days find 6 of 6 with 6 alerts. On the
small demo a store sells about five baskets a day and normal days swing as much as the
planted anomalies, so no detector separates them there.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

AnomalyKind = Literal["spike", "collapse", "stockout"]
Severity = Literal["low", "medium", "high"]
EntityLevel = Literal["store", "store_product"]

SEVERITY_RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
"""Order of severities, for sorting and filtering."""


class AnomalySettings(BaseModel):
    """Tuning of the detectors; the defaults suit daily store data."""

    weeks: int = Field(8, ge=2, description="Same-weekday weeks in the baseline median.")
    min_weeks: int = Field(4, ge=1, description="Fewest usable weeks to judge a day.")
    scale_days: int = Field(182, ge=28, description="Days of residuals behind the scale.")
    min_scale_days: int = Field(28, ge=7, description="Fewest residuals to set a scale.")
    scale_floor: float = Field(0.05, gt=0, description="Smallest scale of a log residual.")
    store_thresholds: tuple[float, float, float] = Field(
        (3.5, 4.25, 5.0), description="|score| for low, medium, high store anomalies.")
    lookback_days: int = Field(56, ge=7, description="Days before a zero run that set p0.")
    min_selling_share: float = Field(
        0.5, ge=0, le=1, description="Share of selling days for a product to 'usually sell'.")
    min_run_days: int = Field(2, ge=1, description="Fewest zero-sale days of a stock-out.")
    min_daily_units: float = Field(
        0.1, ge=0, description="Units a day for a product to 'usually sell' (inventory path).")
    replenishment_days: int = Field(
        4, ge=1, description="Usual resupply lead time; longer stock-outs are high severity.")
    stockout_thresholds: tuple[float, float, float] = Field(
        (3.0, 4.0, 5.0), description="-log10 probability for low, medium, high stock-outs.")


class SalesAnomaly(BaseModel):
    """One flagged store-day or store-product zero-sale run, with what was expected."""

    level: EntityLevel
    store_id: str
    product_id: str | None = None
    kind: AnomalyKind
    business_date: date = Field(description="Day flagged (first significant day of a run).")
    start_date: date = Field(description="First day of the anomaly (a run's first zero day).")
    end_date: date = Field(description="Last day of the anomaly within the evaluated range.")
    metric: Literal["revenue", "units"]
    observed: float = Field(description="Revenue (USD) of the day, or units of the run.")
    expected: float = Field(description="Usual value: the baseline, holiday lift applied.")
    expected_low: float = Field(description="Low end of the usual range.")
    expected_high: float = Field(description="High end of the usual range.")
    score: float = Field(description="Signed robust score (stores) or -log10 p (stock-outs).")
    severity: Severity
    money_at_stake: float = Field(description="USD gained or lost against the usual level.")
    holiday: str | None = None
    description: str


def _thresholds_severity(value: float, thresholds: tuple[float, float, float]) -> Severity | None:
    low, medium, high = thresholds
    if value >= high:
        return "high"
    if value >= medium:
        return "medium"
    if value >= low:
        return "low"
    return None


def _holiday_names(holidays: pd.DataFrame | None) -> dict[pd.Timestamp, str]:
    if holidays is None or holidays.empty:
        return {}
    dates = pd.to_datetime(holidays["date"]).dt.normalize()
    names = holidays["name"].astype(str) if "name" in holidays else pd.Series(
        ["holiday"] * len(holidays), index=holidays.index)
    return dict(zip(dates, names, strict=True))


def _dense(frame: pd.DataFrame, key: str, columns: list[str]) -> pd.DataFrame:
    """One row per entity and calendar day from its first to the last day (zeros filled)."""
    frame = frame.assign(business_date=pd.to_datetime(frame["business_date"]).dt.normalize())
    last = frame["business_date"].max()
    parts = []
    for entity, group in frame.groupby(key, sort=True):
        days = pd.date_range(group["business_date"].min(), last, freq="D")
        values = (group.groupby("business_date")[columns].sum()
                  .reindex(days, fill_value=0).astype("float64"))
        values.index.name = "business_date"
        parts.append(values.reset_index().assign(**{key: entity}))
    if not parts:
        return pd.DataFrame(columns=["business_date", key, *columns])
    return pd.concat(parts, ignore_index=True)


def _weekday_baseline(values: pd.Series, holiday: pd.Series, weeks: int,
                      min_weeks: int) -> pd.Series:
    """Median of the same weekday over the previous weeks, holidays left out."""
    clean = values.where(~holiday)
    lags = np.column_stack([clean.shift(7 * w).to_numpy() for w in range(1, weeks + 1)])
    usable = (~np.isnan(lags)).sum(axis=1)
    baseline = np.full(len(values), np.nan)
    rows = usable >= min_weeks
    if rows.any():
        baseline[rows] = np.nanmedian(lags[rows], axis=1)
    return pd.Series(baseline, index=values.index)


def _log_residual(values: pd.Series, baseline: pd.Series) -> pd.Series:
    offset = 0.1 * baseline
    ratio: pd.Series = (values + offset) / (baseline + offset)
    return ratio.where(baseline > 0).transform(np.log)


def _rolling_scale(residual: pd.Series, holiday: pd.Series,
                   settings: AnomalySettings) -> pd.Series:
    """Robust spread (IQR / 1.349) of the residuals of the previous days."""
    clean = residual.where(~holiday).shift(1)
    window = clean.rolling(settings.scale_days, min_periods=settings.min_scale_days)
    spread = (window.quantile(0.75) - window.quantile(0.25)) / 1.349
    return spread.clip(lower=settings.scale_floor)


def _store_scores(daily: pd.DataFrame, holidays: dict[pd.Timestamp, str],
                  settings: AnomalySettings, has_transactions: bool) -> pd.DataFrame:
    """Baselines, residuals and scores for every store-day (holiday lift not yet applied)."""
    columns = ["revenue", "transactions"] if has_transactions else ["revenue"]
    dense = _dense(daily, "store_id", columns)
    dense["holiday"] = dense["business_date"].map(holidays)
    parts = []
    for _, group in dense.groupby("store_id", sort=True):
        group = group.reset_index(drop=True)
        is_holiday = group["holiday"].notna()
        for column in columns:
            baseline = _weekday_baseline(group[column], is_holiday, settings.weeks,
                                         settings.min_weeks)
            group[f"{column}_baseline"] = baseline
            residual = _log_residual(group[column], baseline)
            group[f"{column}_scale"] = _rolling_scale(residual, is_holiday, settings)
        parts.append(group)
    return pd.concat(parts, ignore_index=True) if parts else dense


def _apply_holiday_lift(scored: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Multiply holiday baselines by the holiday's usual lift learned from earlier years.

    A holiday's lift on a date is the median ratio value / baseline over all stores on
    earlier dates with the same holiday name; without an earlier occurrence the baseline
    becomes NaN and the day is not judged.
    """
    on_holiday = scored["holiday"].notna()
    if not on_holiday.any():
        return scored
    scored = scored.copy()
    for column in columns:
        base = f"{column}_baseline"
        ratio = (scored[column] / scored[base]).where(on_holiday & (scored[base] > 0))
        per_day = (pd.DataFrame({"business_date": scored["business_date"],
                                 "holiday": scored["holiday"], "ratio": ratio})
                   .dropna().groupby(["holiday", "business_date"])["ratio"].median()
                   .reset_index().sort_values("business_date"))
        lift: dict[pd.Timestamp, float] = {}
        for _, occurrences in per_day.groupby("holiday"):
            dates = occurrences["business_date"].to_list()
            ratios = occurrences["ratio"].to_numpy()
            for i, day in enumerate(dates):
                earlier = [r for d, r in zip(dates[:i], ratios[:i], strict=True)
                           if (day - d).days > 300]
                lift[day] = float(np.median(earlier)) if earlier else math.nan
        factor = scored["business_date"].map(lift).astype("float64")
        scored[base] = scored[base].where(~on_holiday, scored[base] * factor)
    return scored


def _band(baseline: float, scale: float, z: float) -> tuple[float, float]:
    """Values whose log residual is within ``±z`` scales of the baseline."""
    offset = 0.1 * baseline
    low = (baseline + offset) * math.exp(-z * scale) - offset
    high = (baseline + offset) * math.exp(z * scale) - offset
    return max(low, 0.0), high


def detect_store_anomalies(daily: pd.DataFrame, start: date, end: date | None = None,
                           holidays: pd.DataFrame | None = None,
                           settings: AnomalySettings | None = None) -> list[SalesAnomaly]:
    """Revenue spikes and collapses of each store between ``start`` and ``end``.

    ``daily``: one row per store and day with ``business_date``, ``store_id``,
    ``revenue`` (USD) and optionally ``transactions`` (missing days count as zero);
    give at least ``weeks`` weeks (better half a year) of history before ``start``.
    ``holidays``: optional calendar with ``date`` and ``name``. Returns anomalies of
    every severity, highest score first.
    """
    settings = settings or AnomalySettings()
    end = end or start
    has_tx = "transactions" in daily.columns
    columns = ["revenue", "transactions"] if has_tx else ["revenue"]
    if daily.empty:
        return []
    holiday_names = _holiday_names(holidays)
    scored = _apply_holiday_lift(_store_scores(daily, holiday_names, settings, has_tx),
                                 columns)
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    scored = scored[(scored["business_date"] >= first) & (scored["business_date"] <= last)]
    z = {c: _log_residual(scored[c], scored[f"{c}_baseline"]) / scored[f"{c}_scale"]
         for c in columns}
    score = (z["revenue"] + z["transactions"]) / math.sqrt(2) if has_tx else z["revenue"]
    scored = scored.assign(score=score).dropna(subset=["score"])
    flagged = scored[scored["score"].abs() >= settings.store_thresholds[0]]
    found: list[SalesAnomaly] = []
    for row in flagged.to_dict("records"):
        value = float(row["score"])
        severity = _thresholds_severity(abs(value), settings.store_thresholds)
        assert severity is not None
        observed, expected = float(row["revenue"]), float(row["revenue_baseline"])
        low, high = _band(expected, float(row["revenue_scale"]), settings.store_thresholds[0])
        kind: AnomalyKind = "spike" if value > 0 else "collapse"
        day = pd.Timestamp(row["business_date"]).date()
        holiday = None if pd.isna(row["holiday"]) else str(row["holiday"])
        change = (observed - expected) / expected if expected else 0.0
        usual = f"usual range ${low:,.0f}-${high:,.0f}"
        if has_tx and low <= observed <= high:  # unusual only with its transactions
            usual = (f"revenue alone is within its usual range ${low:,.0f}-${high:,.0f}, "
                     f"but with {float(row['transactions']):,.0f} transactions against "
                     f"{float(row['transactions_baseline']):,.0f} usual the day is not")
        found.append(SalesAnomaly(
            level="store", store_id=str(row["store_id"]), kind=kind, business_date=day,
            start_date=day, end_date=day, metric="revenue", observed=round(observed, 2),
            expected=round(expected, 2), expected_low=round(low, 2),
            expected_high=round(high, 2), score=round(value, 2), severity=severity,
            money_at_stake=round(abs(observed - expected), 2), holiday=holiday,
            description=(f"Revenue {kind} at store {row['store_id']} on {day}"
                         f"{f' ({holiday})' if holiday else ''}: ${observed:,.0f} vs "
                         f"${expected:,.0f} expected ({change:+.0%}; {usual})"),
        ))
    return sorted(found, key=lambda a: (-abs(a.score), a.business_date, a.store_id))


Matrix = np.ndarray[tuple[int, int], np.dtype[np.float64]]


def _sales_matrix(product_daily: pd.DataFrame, keys_from: pd.DataFrame | None,
                  days: pd.DatetimeIndex) -> tuple[pd.DataFrame, Matrix, Matrix]:
    """Units and revenue per (store, product) x day, zero where nothing sold."""
    frame = product_daily
    key_frame = frame[["store_id", "product_id"]] if keys_from is None else pd.concat(
        [frame[["store_id", "product_id"]], keys_from[["store_id", "product_id"]]])
    keys = key_frame.drop_duplicates().sort_values(["store_id", "product_id"]).reset_index(
        drop=True)
    day_index = pd.Series(np.arange(len(days)), index=days)
    units = np.zeros((len(keys), len(days)))
    revenue = np.zeros((len(keys), len(days)))
    if len(frame):
        rows = pd.MultiIndex.from_frame(keys).get_indexer(
            pd.MultiIndex.from_frame(frame[["store_id", "product_id"]]))
        cols = day_index.reindex(frame["business_date"]).to_numpy()
        np.add.at(units, (rows, cols), frame["units"].to_numpy(dtype="float64"))
        np.add.at(revenue, (rows, cols), frame["revenue"].to_numpy(dtype="float64"))
    return keys, units, revenue


def _runs(flags: np.ndarray[tuple[int], np.dtype[np.bool_]]) -> list[tuple[int, int]]:
    """(first, last) index of every run of True values."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def detect_stockouts(product_daily: pd.DataFrame, start: date, end: date | None = None,
                     inventory: pd.DataFrame | None = None,
                     settings: AnomalySettings | None = None) -> list[SalesAnomaly]:
    """Runs of zero-sale days of products that usually sell at a store.

    ``product_daily``: sparse rows of ``business_date``, ``store_id`` (or
    ``location_id``), ``product_id``, ``units`` and optionally ``revenue`` (USD), as
    :func:`shopsight.systems.sales.history.daily_product_sales` returns for the store
    channel; days without a row sold nothing. Give ``lookback_days`` of history before
    ``start``.

    ``inventory``: optional end-of-day snapshots (``snapshot_date``, ``location_id`` or
    ``store_id``, ``product_id``, ``on_hand``, optionally ``on_order``). When given, a
    stock-out is a fact rather than an inference: a run of days with nothing on hand and
    nothing sold, for a product that sells at least ``min_daily_units`` a day at the
    store. It is ``high`` when replenishment has failed and someone must act: nothing was
    on order on ``min_run_days`` days of the run (no resupply is coming), or the run
    outlasted ``replenishment_days`` (the usual lead time, after which a normal reorder
    would have refilled the shelf). A stock-out with a reorder under way is the normal
    cycle: ``medium`` from ``min_run_days`` days, else ``low``. The score is the run's
    days divided by ``replenishment_days``. Without inventory, the
    sales-only probability test of the module docstring is used.

    Returns one anomaly per run, highest severity and score first.
    """
    settings = settings or AnomalySettings()
    end = end or start
    if product_daily.empty and inventory is None:
        return []
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    window_start = first - pd.Timedelta(days=settings.lookback_days + 60)
    days = pd.date_range(window_start, last, freq="D")
    frame = _store_keyed(product_daily, "business_date")
    if "revenue" not in frame.columns:
        frame = frame.assign(revenue=0.0)
    frame = frame[(frame["business_date"] >= window_start) & (frame["business_date"] <= last)]
    stock = None if inventory is None else _store_keyed(inventory, "snapshot_date")
    if stock is not None:
        stock = stock[(stock["business_date"] >= window_start)
                      & (stock["business_date"] <= last)]
    keys, units, revenue = _sales_matrix(frame, stock, days)
    first_col = int(days.searchsorted(first))
    if stock is not None:
        return _inventory_stockouts(keys, units, revenue, stock, days, first_col, settings)
    return _sales_only_stockouts(keys, units, revenue, days, first_col, settings)


def _store_keyed(frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
    """The frame with ``store_id`` (from ``location_id``) and a normalised business_date."""
    if "store_id" not in frame.columns and "location_id" in frame.columns:
        frame = frame.rename(columns={"location_id": "store_id"})
    return frame.assign(
        business_date=pd.to_datetime(frame[date_column]).dt.normalize(),
        store_id=frame["store_id"].astype(str), product_id=frame["product_id"].astype(str))


def _inventory_stockouts(keys: pd.DataFrame,
                         units: Matrix,
                         revenue: Matrix,
                         stock: pd.DataFrame, days: pd.DatetimeIndex, first_col: int,
                         settings: AnomalySettings) -> list[SalesAnomaly]:
    empty = np.zeros(units.shape, dtype=bool)
    rows = pd.MultiIndex.from_frame(keys).get_indexer(
        pd.MultiIndex.from_frame(stock[["store_id", "product_id"]]))
    cols = np.searchsorted(days, stock["business_date"].to_numpy())
    zero = stock["on_hand"].to_numpy(dtype="float64") <= 0
    empty[rows[zero], cols[zero]] = True
    out = empty & (units == 0)
    unordered = np.zeros(units.shape, dtype=bool)
    if "on_order" in stock.columns:
        none_ordered = zero & (stock["on_order"].fillna(0).to_numpy(dtype="float64") <= 0)
        unordered[rows[none_ordered], cols[none_ordered]] = True
    unordered &= out
    found: list[SalesAnomaly] = []
    for k in map(int, np.flatnonzero(out[:, first_col:].any(axis=1))):
        for run_start, run_end in _runs(out[k]):
            if run_end < first_col or run_start - settings.lookback_days < 0:
                continue
            base = slice(run_start - settings.lookback_days, run_start)
            daily_units = float(units[k, base].mean())
            if daily_units < settings.min_daily_units:
                continue
            length = run_end - run_start + 1
            stalled = np.flatnonzero(unordered[k, run_start:run_end + 1])
            evidence = "nothing on hand and nothing sold"
            if len(stalled) >= settings.min_run_days:
                severity: Severity = "high"
                alert_col = run_start + int(stalled[settings.min_run_days - 1])
                evidence = "nothing on hand, nothing on order and nothing sold"
            elif length > settings.replenishment_days:
                severity = "high"
                alert_col = run_start + settings.replenishment_days
            else:
                severity = "medium" if length >= settings.min_run_days else "low"
                alert_col = run_start
            found.append(_stockout(
                keys, k, days, run_start, run_end, max(alert_col, first_col), daily_units,
                float(revenue[k, base].mean()), float((units[k, base] > 0).mean()),
                round(length / settings.replenishment_days, 2), severity, evidence))
    return sorted(found, key=lambda a: (-SEVERITY_RANK[a.severity], -a.score,
                                        a.business_date, a.store_id))


def _sales_only_stockouts(keys: pd.DataFrame,
                          units: Matrix,
                          revenue: Matrix,
                          days: pd.DatetimeIndex, first_col: int,
                          settings: AnomalySettings) -> list[SalesAnomaly]:
    sold = units > 0
    lookback = settings.lookback_days
    found: list[SalesAnomaly] = []
    for k in range(len(keys)):
        for run_start, run_end in _runs(~sold[k]):
            if run_end < first_col or run_start - lookback < 0:
                continue
            base = slice(run_start - lookback, run_start)
            selling_share = float(sold[k, base].mean())
            if selling_share < settings.min_selling_share:
                continue
            p0 = (lookback - int(sold[k, base].sum()) + 1) / (lookback + 2)
            per_day_score = -math.log10(p0)
            needed = max(settings.min_run_days,
                         math.ceil(settings.stockout_thresholds[0] / per_day_score))
            if run_start + needed - 1 > run_end:
                continue
            length = run_end - run_start + 1
            severity = _thresholds_severity(length * per_day_score,
                                            settings.stockout_thresholds)
            assert severity is not None
            found.append(_stockout(
                keys, k, days, run_start, run_end, max(run_start + needed - 1, first_col),
                float(units[k, base].mean()), float(revenue[k, base].mean()), selling_share,
                round(length * per_day_score, 2), severity, "nothing sold"))
    return sorted(found, key=lambda a: (-SEVERITY_RANK[a.severity], -a.score,
                                        a.business_date, a.store_id))


def _stockout(keys: pd.DataFrame, k: int, days: pd.DatetimeIndex, run_start: int,
              run_end: int, alert_col: int, daily_units: float, daily_revenue: float,
              selling_share: float, score: float, severity: Severity,
              evidence: str) -> SalesAnomaly:
    length = run_end - run_start + 1
    expected = daily_units * length
    low_units, high_units = _poisson_band(expected)
    store_id, product_id = str(keys.iloc[k, 0]), str(keys.iloc[k, 1])
    since = days[run_start].date()
    money = daily_revenue * length
    return SalesAnomaly(
        level="store_product", store_id=store_id, product_id=product_id, kind="stockout",
        business_date=days[alert_col].date(), start_date=since,
        end_date=days[run_end].date(), metric="units", observed=0.0,
        expected=round(expected, 2), expected_low=low_units, expected_high=high_units,
        score=score, severity=severity, money_at_stake=round(money, 2),
        description=(f"{product_id} at store {store_id}: {evidence} for {length} day"
                     f"{'s' if length > 1 else ''} since {since} (usually "
                     f"{daily_units:.1f} units/day, sold on {selling_share:.0%} of days): "
                     f"about ${money:,.0f} of sales missed"),
    )


def _poisson_band(mean: float) -> tuple[float, float]:
    """1st and 99th percentile of a Poisson count with this mean."""
    from scipy.stats import poisson

    return float(poisson.ppf(0.01, mean)), float(poisson.ppf(0.99, mean))


def detect_sales_anomalies(store_daily: pd.DataFrame, product_daily: pd.DataFrame | None,
                           start: date, end: date | None = None,
                           holidays: pd.DataFrame | None = None,
                           inventory: pd.DataFrame | None = None,
                           settings: AnomalySettings | None = None) -> list[SalesAnomaly]:
    """Store spikes and collapses plus stock-outs, most severe first, then by score."""
    found = detect_store_anomalies(store_daily, start, end, holidays, settings)
    if product_daily is not None:
        found += detect_stockouts(product_daily, start, end, inventory, settings)
    return sorted(found, key=lambda a: (-SEVERITY_RANK[a.severity], -abs(a.score),
                                        a.business_date, a.store_id))


__all__ = [
    "SEVERITY_RANK", "AnomalyKind", "AnomalySettings", "EntityLevel", "SalesAnomaly",
    "Severity", "detect_sales_anomalies", "detect_stockouts", "detect_store_anomalies",
]
