"""Market trends: growth over windows, seasonality, risers and fallers, change points.

Pure: DataFrames in, DataFrames (documented columns) or dataclasses out.

Sales lines
    The input is one row per net-sales order line (:data:`LINE_COLUMNS`): ``day``
    (datetime64, midnight), ``order_id``, ``customer_id`` (None for anonymous buyers),
    ``region``, ``channel``, ``category``, ``revenue`` (reporting currency) and
    ``units``. A *level* is ``company`` (one key, :data:`COMPANY_KEY`), ``region``,
    ``channel`` or ``category``.

Growth
    For a window of ``w`` days ending on ``as_of`` (default: last day) a key's revenue
    and units are compared with the ``w`` days before (period over period, ``_pop``) and
    the same ``w`` days a year (365 days) earlier (year over year, ``_yoy``; seasonality
    cancels). A comparison is only made when the history covers the whole comparison
    window, and a growth with a zero base is None. Plain revenue growth mixes the growth
    of the customer base (acquisition) with demand per customer, so
    ``per_customer_growth_yoy`` isolates the market trend like a like-for-like figure:
    purchase frequency, i.e. distinct orders of registered customers per active
    registered customer (one order or more in the window), against the same window a
    year earlier. Frequency is steadier than spend per customer, whose basket sizes are
    noisy; it is the measure the Global Market Pulse uses too.

Seasonality
    STL (statsmodels, robust) on the log of the series, so components are factors:
    a weekly (day-of-week) profile from daily values (period 7, needs 28 days) and a
    yearly component from weekly totals (period 52, needs 104 weeks: two full cycles).
    Weeks end on the last day of the history, so the latest week is complete.

Change points
    Exact optimal partitioning (the search that PELT prunes; the weekly series is short
    enough not to need pruning) of the log weekly series, seasonally adjusted when the
    yearly component is available. Each segment is a straight line (``model="linear"``:
    a break is a jump in level or a change of slope, so steady growth is not cut into
    steps) or a constant (``"mean"``). The noise scale comes from the median absolute
    deviation of week-to-week differences, and the penalty per extra segment is
    ``penalty_scale x (parameters + 1) x log(n)`` (BIC when the scale is 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd

from shopsight.analytics.forecasting import complete_daily

LEVELS: tuple[str, ...] = ("company", "region", "channel", "category")
"""Levels a series can be cut at; every level but ``company`` has one key per value."""

COMPANY_KEY = "all"
"""The one key of the ``company`` level."""

METRICS: tuple[str, ...] = ("revenue", "units")

GROWTH_WINDOWS: tuple[int, ...] = (7, 28, 90, 365)
"""Default growth windows, in days."""

YEAR_DAYS = 365
WEEKLY_PERIOD = 7
YEARLY_PERIOD_WEEKS = 52
MIN_WEEKLY_DAYS = 28
MIN_YEARLY_WEEKS = 2 * YEARLY_PERIOD_WEEKS

LINE_COLUMNS: tuple[str, ...] = ("day", "order_id", "customer_id", "region", "channel",
                                 "category", "revenue", "units")
"""Columns of the sales lines every function here reads."""

GROWTH_COLUMNS: tuple[str, ...] = (
    "level", "key", "window_days", "period_start", "period_end",
    "revenue", "revenue_prev_period", "revenue_year_ago", "revenue_growth_pop",
    "revenue_growth_yoy", "units", "units_prev_period", "units_year_ago", "units_growth_pop",
    "units_growth_yoy", "orders", "active_customers", "orders_per_customer",
    "orders_per_customer_year_ago", "per_customer_growth_yoy",
)
"""Columns of :func:`growth_table` (growths are ratios - 1, NaN when not comparable)."""

MOVER_MEASURES: tuple[str, ...] = ("revenue_growth_yoy", "revenue_growth_pop",
                                   "units_growth_yoy", "units_growth_pop",
                                   "per_customer_growth_yoy")
"""Growth columns movers can be ranked by."""

WEEK_COLUMNS: tuple[str, ...] = ("week_start", "week_end", "value", "trend", "yearly_factor",
                                 "remainder_factor")
"""Columns of :attr:`Decomposition.weeks`."""

CHANGE_POINT_COLUMNS: tuple[str, ...] = ("date", "week_index", "level_before", "level_after",
                                         "level_change", "weekly_growth_before",
                                         "weekly_growth_after")
"""Columns of :func:`weekly_change_points`."""

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --------------------------------------------------------------------------- series


def level_column(level: str) -> str | None:
    """The sales-line column that holds a level's keys (None for ``company``)."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}: expected one of {', '.join(LEVELS)}")
    return None if level == "company" else level


def level_keys(lines: pd.DataFrame, level: str) -> list[str]:
    """Sorted keys of a level that have sales."""
    column = level_column(level)
    if column is None:
        return [COMPANY_KEY]
    return sorted(str(k) for k in lines[column].dropna().unique())


def daily_series(lines: pd.DataFrame, level: str, key: str, metric: str = "revenue",
                 end: date | None = None) -> pd.DataFrame:
    """Complete daily series ``date``, ``y`` of one key, from the first day of ``lines``.

    Days without sales are 0; the series starts on the first day of all sales so every
    key of a level has the same calendar.
    """
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r}: expected one of {', '.join(METRICS)}")
    column = level_column(level)
    rows = lines if column is None else lines[lines[column] == key]
    sums = rows.groupby("day")[metric].sum()
    start = pd.Timestamp(lines["day"].min())
    frame = pd.DataFrame({"date": sums.index, "y": sums.to_numpy(dtype=np.float64)})
    if frame.empty or frame["date"].min() > start:
        frame = pd.concat([pd.DataFrame({"date": [start], "y": [0.0]}), frame],
                          ignore_index=True)
    last = end or pd.Timestamp(lines["day"].max()).date()
    return complete_daily(frame, end=last)


# --------------------------------------------------------------------------- growth


def _growth(now: float, before: float) -> float:
    return float("nan") if not before > 0 else float(now / before - 1.0)


def _window(lines: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    return lines[(lines["day"] >= first) & (lines["day"] <= last)]


def _window_sums(frame: pd.DataFrame, column: str | None) -> pd.DataFrame:
    keys = frame[column].astype("str") if column else pd.Series(COMPANY_KEY, index=frame.index)
    known = frame["customer_id"].notna()
    grouped = frame.assign(_key=keys).groupby("_key")
    out = grouped.agg(revenue=("revenue", "sum"), units=("units", "sum"))
    registered = frame[known].assign(_key=keys[known]).groupby("_key")
    out["orders"] = grouped["order_id"].nunique()
    out["registered_orders"] = registered["order_id"].nunique()
    out["customers"] = registered["customer_id"].nunique()
    return out.fillna(0.0)


def growth_table(lines: pd.DataFrame, level: str,
                 windows: tuple[int, ...] = GROWTH_WINDOWS,
                 as_of: date | None = None) -> pd.DataFrame:
    """Growth of every key of a level over each window; columns :data:`GROWTH_COLUMNS`.

    Rows are sorted by window, then key.
    """
    column = level_column(level)
    keys = level_keys(lines, level)
    end = pd.Timestamp(as_of) if as_of else pd.Timestamp(lines["day"].max())
    first_day = pd.Timestamp(lines["day"].min())
    one = pd.Timedelta(days=1)
    rows: list[dict[str, Any]] = []
    for w in windows:
        span = pd.Timedelta(days=w)
        year = pd.Timedelta(days=YEAR_DAYS)
        nan = float("nan")

        def sums(first: pd.Timestamp, last: pd.Timestamp) -> dict[Any, dict[str, Any]] | None:
            if first < first_day:  # the history does not cover the comparison window
                return None
            table = _window_sums(_window(lines, first, last), column)
            return cast(dict[Any, dict[str, Any]],
                        table.reindex(keys).fillna(0.0).to_dict("index"))

        now = sums(end - span + one, end)
        assert now is not None
        prev = sums(end - 2 * span + one, end - span)
        ago = sums(end - year - span + one, end - year)
        for key in keys:
            cur = now[key]
            p = prev[key] if prev is not None else None
            a = ago[key] if ago is not None else None
            opc = (cur["registered_orders"] / cur["customers"] if cur["customers"] > 0
                   else nan)
            opc_ago = (a["registered_orders"] / a["customers"]
                       if a is not None and a["customers"] > 0 else nan)
            row: dict[str, Any] = {
                "level": level, "key": key, "window_days": w,
                "period_start": (end - span + one).date(), "period_end": end.date(),
                "orders": int(cur["orders"]), "active_customers": int(cur["customers"]),
                "orders_per_customer": float(opc),
                "orders_per_customer_year_ago": float(opc_ago),
                "per_customer_growth_yoy": _growth(opc, opc_ago) if opc == opc else nan,
            }
            for metric in METRICS:
                row[metric] = float(cur[metric])
                row[f"{metric}_prev_period"] = float(p[metric]) if p is not None else nan
                row[f"{metric}_year_ago"] = float(a[metric]) if a is not None else nan
                row[f"{metric}_growth_pop"] = (_growth(cur[metric], p[metric])
                                               if p is not None else nan)
                row[f"{metric}_growth_yoy"] = (_growth(cur[metric], a[metric])
                                               if a is not None else nan)
            rows.append(row)
    return pd.DataFrame(rows, columns=list(GROWTH_COLUMNS))


def rank_movers(growth: pd.DataFrame, measure: str = "revenue_growth_yoy",
                limit: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top risers (growth > 0, fastest first) and fallers (growth < 0, steepest first).

    ``growth`` holds rows of :func:`growth_table` for one window (any levels); keys
    whose ``measure`` is NaN are left out. Both frames keep the growth columns and add
    ``rank`` (1 = strongest move in its direction).
    """
    if measure not in MOVER_MEASURES:
        raise ValueError(f"measure {measure!r}: expected one of {', '.join(MOVER_MEASURES)}")
    ranked = growth.dropna(subset=[measure])
    risers = ranked[ranked[measure] > 0].sort_values(
        [measure, "level", "key"], ascending=[False, True, True], kind="stable").head(limit)
    fallers = ranked[ranked[measure] < 0].sort_values(
        [measure, "level", "key"], ascending=[True, True, True], kind="stable").head(limit)
    out = []
    for frame in (risers, fallers):
        frame = frame.reset_index(drop=True)
        frame.insert(0, "rank", np.arange(1, len(frame) + 1))
        out.append(frame)
    return out[0], out[1]


# --------------------------------------------------------------------------- seasonality


def weekly_totals(daily: pd.Series) -> pd.Series:
    """Sums of full 7-day weeks ending on the last day, indexed by each week's first day."""
    values = daily.sort_index()
    values = values.iloc[len(values) % WEEKLY_PERIOD:]
    if values.empty:
        return pd.Series(dtype="float64")
    groups = np.arange(len(values)) // WEEKLY_PERIOD
    sums = values.groupby(groups).sum()
    sums.index = pd.DatetimeIndex(values.index[::WEEKLY_PERIOD], name="week_start")
    return sums.astype("float64")


def retail_events(start: date, end: date) -> dict[date, str]:
    """Black Friday, Cyber Monday, Christmas Day and New Year's Day between two dates."""
    events: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        nov1 = date(year, 11, 1)
        thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        for day, name in ((date(year, 1, 1), "New Year's Day"),
                          (thanksgiving + timedelta(days=1), "Black Friday"),
                          (thanksgiving + timedelta(days=4), "Cyber Monday"),
                          (date(year, 12, 25), "Christmas Day")):
            if start <= day <= end:
                events[day] = name
    return events


@dataclass(frozen=True)
class Decomposition:
    """STL decomposition of one daily series (factors: 1.2 = 20% above trend).

    ``weekly_profile`` maps day names to the mean day-of-week factor of the last 8
    weeks (None below 28 days); ``weeks`` has :data:`WEEK_COLUMNS` (``yearly_factor``
    NaN when there are fewer than 104 weeks); strengths follow Hyndman's definition,
    ``1 - var(remainder) / var(seasonal + remainder)``, clipped to [0, 1].
    """

    weekly_profile: dict[str, float] | None
    weekly_strength: float | None
    yearly_available: bool
    yearly_strength: float | None
    weeks: pd.DataFrame


def _strength(seasonal: np.ndarray[Any, Any], remainder: np.ndarray[Any, Any]) -> float:
    total = float(np.var(seasonal + remainder))
    return 0.0 if total <= 0 else float(np.clip(1 - np.var(remainder) / total, 0.0, 1.0))


def decompose(daily: pd.Series) -> Decomposition:
    """Weekly and (with two years of history) yearly seasonality of a daily series."""
    from statsmodels.tsa.seasonal import STL

    series = daily.sort_index().astype("float64")
    profile: dict[str, float] | None = None
    weekly_strength: float | None = None
    if len(series) >= MIN_WEEKLY_DAYS:
        fit = STL(np.log1p(series.to_numpy()), period=WEEKLY_PERIOD, robust=True).fit()
        recent = slice(-8 * WEEKLY_PERIOD, None)
        days = pd.DatetimeIndex(series.index)[recent].day_of_week.to_numpy()
        by_day = pd.Series(fit.seasonal[recent]).groupby(days).mean()
        profile = {DAY_NAMES[d]: float(np.exp(by_day[d])) for d in sorted(by_day.index)}
        weekly_strength = _strength(fit.seasonal, fit.resid)
    weeks = weekly_totals(series)
    logs = np.log1p(weeks.to_numpy())
    yearly_available = len(weeks) >= MIN_YEARLY_WEEKS
    yearly_strength: float | None = None
    if yearly_available:
        fit = STL(logs, period=YEARLY_PERIOD_WEEKS, seasonal_deg=0, robust=True).fit()
        trend, yearly, remainder = fit.trend, fit.seasonal, fit.resid
        yearly_strength = _strength(yearly, remainder)
    else:
        trend = pd.Series(logs).rolling(13, center=True, min_periods=1).mean().to_numpy()
        yearly = np.full(len(logs), np.nan)
        remainder = logs - trend
    frame = pd.DataFrame({
        "week_start": weeks.index,
        "week_end": pd.DatetimeIndex(weeks.index) + pd.Timedelta(days=WEEKLY_PERIOD - 1),
        "value": weeks.to_numpy(),
        "trend": np.expm1(trend),
        "yearly_factor": np.exp(yearly),
        "remainder_factor": np.exp(remainder),
    })
    return Decomposition(profile, weekly_strength, yearly_available, yearly_strength,
                         frame.reset_index(drop=True))


def peak_weeks(weeks: pd.DataFrame, limit: int = 6) -> pd.DataFrame:
    """The weeks with the highest yearly factor, with the retail events they contain.

    Columns: week_start, week_end, yearly_factor, events (names joined by ", ").
    """
    ranked = weeks.dropna(subset=["yearly_factor"]).sort_values(
        ["yearly_factor", "week_start"], ascending=[False, True], kind="stable").head(limit)
    if ranked.empty:
        return pd.DataFrame(columns=["week_start", "week_end", "yearly_factor", "events"])
    events = retail_events(pd.Timestamp(weeks["week_start"].min()).date(),
                           pd.Timestamp(weeks["week_end"].max()).date())
    names = []
    for start, end in zip(ranked["week_start"], ranked["week_end"], strict=True):
        inside = [name for day, name in sorted(events.items())
                  if pd.Timestamp(start).date() <= day <= pd.Timestamp(end).date()]
        names.append(", ".join(inside))
    out = ranked[["week_start", "week_end", "yearly_factor"]].copy()
    out["events"] = names
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- change points


def _segment_costs(y: np.ndarray[Any, Any], model: str) -> Any:
    """A function cost(s, e): residual sum of squares of y[s:e] under the segment model."""
    t = np.arange(len(y), dtype=np.float64)
    cum = {name: np.concatenate([[0.0], np.cumsum(v)])
           for name, v in (("t", t), ("tt", t * t), ("y", y), ("yy", y * y), ("ty", t * y))}

    def cost(s: int, e: int) -> float:
        n = e - s
        sy = cum["y"][e] - cum["y"][s]
        syy_c = cum["yy"][e] - cum["yy"][s] - sy * sy / n
        if model == "mean" or n < 3:
            return max(float(syy_c), 0.0)
        st = cum["t"][e] - cum["t"][s]
        stt_c = cum["tt"][e] - cum["tt"][s] - st * st / n
        sty_c = cum["ty"][e] - cum["ty"][s] - st * sy / n
        return max(float(syy_c - sty_c * sty_c / stt_c), 0.0)

    return cost


def noise_scale(y: np.ndarray[Any, Any]) -> float:
    """Robust noise standard deviation: MAD of first differences / sqrt(2)."""
    diffs = np.diff(np.asarray(y, dtype=np.float64))
    if diffs.size == 0:
        return 1.0
    mad = float(np.median(np.abs(diffs - np.median(diffs)))) * 1.4826 / float(np.sqrt(2.0))
    if mad > 0:
        return mad
    spread = float(np.std(diffs))
    return spread if spread > 0 else 1.0


def detect_change_points(values: np.ndarray[Any, Any], *, model: str = "linear",
                         min_size: int = 8, penalty_scale: float = 3.0) -> list[int]:
    """Indices where new segments start (sorted), by exact optimal partitioning.

    Minimises ``sum(RSS of each segment) / sigma^2 + penalty x (segments - 1)`` with
    segments of at least ``min_size`` points; see the module docstring.
    """
    if model not in ("linear", "mean"):
        raise ValueError(f"model {model!r}: expected linear or mean")
    if min_size < 2:
        raise ValueError("min_size must be at least 2")
    y = np.asarray(values, dtype=np.float64)
    n = len(y)
    if n < 2 * min_size:
        return []
    y = y / noise_scale(y)
    params = 2 if model == "linear" else 1
    beta = penalty_scale * (params + 1) * float(np.log(n))
    cost = _segment_costs(y, model)
    best = np.full(n + 1, np.inf)
    best[0] = -beta
    last = np.zeros(n + 1, dtype=int)
    for e in range(min_size, n + 1):
        starts = [s for s in range(e - min_size + 1) if s == 0 or s >= min_size]
        totals = [best[s] + cost(s, e) + beta for s in starts]
        k = int(np.argmin(totals))
        best[e], last[e] = totals[k], starts[k]
    points: list[int] = []
    e = n
    while e > 0:
        s = int(last[e])
        if s > 0:
            points.append(s)
        e = s
    return sorted(points)


def _seasonal_given_breaks(logs: np.ndarray[Any, Any], points: list[int], model: str,
                           period: int = YEARLY_PERIOD_WEEKS,
                           smoothness: float = 1e-3) -> np.ndarray[Any, Any]:
    """Seasonal effects (sum to zero over a cycle) fitted jointly with the segments.

    Least squares of ``logs`` on one line (or constant) per segment plus effect-coded
    week-of-cycle dummies, so a break is not mistaken for seasonality (as it would be by
    a smoother that averages the two years). A small penalty on week-to-week changes of
    the seasonal effects picks one answer when breaks one cycle apart make the fit
    ambiguous (a saw-tooth seasonal traded against the segments' slopes).
    """
    n = len(logs)
    t = np.arange(n, dtype=np.float64)
    bounds = [0, *points, n]
    columns = []
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        inside = ((t >= s) & (t < e)).astype(np.float64)
        columns.append(inside)
        if model == "linear":
            columns.append(inside * (t - s))
    coding = np.vstack([-np.ones(period - 1), np.eye(period - 1)])  # effects per position
    dummies = coding[np.arange(n) % period]
    design = np.column_stack([*columns, dummies])
    steps = np.roll(np.eye(period), -1, axis=1) - np.eye(period)  # circular differences
    penalty = np.column_stack([np.zeros((period, len(columns))),
                               np.sqrt(smoothness) * steps @ coding])
    coef, *_ = np.linalg.lstsq(np.vstack([design, penalty]),
                               np.concatenate([logs, np.zeros(period)]), rcond=None)
    seasonal: np.ndarray[Any, Any] = dummies @ coef[len(columns):]
    return seasonal


def weekly_change_points(daily: pd.Series, *, model: str = "linear", min_size: int = 8,
                         penalty_scale: float = 3.0, max_rounds: int = 5
                         ) -> tuple[pd.DataFrame, bool]:
    """Change points of a daily series' weekly totals; columns :data:`CHANGE_POINT_COLUMNS`.

    Returns the frame and whether the series was seasonally adjusted (two years of
    history). With two years, breaks and the yearly pattern are estimated in turn (as
    BFAST does) until the breaks stop changing: seasonal effects fitted jointly with the
    current segments, breaks searched on the adjusted series. ``date`` is the first day of
    the first week of the new segment; levels are the fitted weekly values (seasonally
    adjusted) on either side of the break and ``level_change`` their ratio - 1; weekly
    growths are the segments' slopes as week-over-week rates. Known limit: with exactly
    two years, a large break can now and then leave an echo one year earlier.
    """
    weeks = weekly_totals(daily)
    logs = np.log1p(weeks.to_numpy())
    adjusted = len(weeks) >= MIN_YEARLY_WEEKS

    def search(values: np.ndarray[Any, Any]) -> list[int]:
        return detect_change_points(values, model=model, min_size=min_size,
                                    penalty_scale=penalty_scale)

    values = logs
    points: list[int] = []
    if adjusted:
        seen: list[list[int]] = []
        for _ in range(max_rounds):
            values = logs - _seasonal_given_breaks(logs, points, model)
            points = search(values)
            if points in seen:
                break
            seen.append(points)
        values = logs - _seasonal_given_breaks(logs, points, model)
    else:
        points = search(values)
    bounds = [0, *points, len(values)]
    fits: list[tuple[float, float, float]] = []  # (start value, end value, slope)
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        t = np.arange(s, e, dtype=np.float64)
        if model == "linear":
            slope, intercept = np.polyfit(t, values[s:e], 1)
        else:
            slope, intercept = 0.0, float(np.mean(values[s:e]))
        fits.append((float(intercept + slope * s), float(intercept + slope * (e - 1)),
                     float(slope)))
    rows = []
    for i, point in enumerate(points):
        before, after = fits[i], fits[i + 1]
        level_before, level_after = float(np.expm1(before[1])), float(np.expm1(after[0]))
        rows.append({
            "date": pd.Timestamp(weeks.index[point]).date(), "week_index": point,
            "level_before": level_before, "level_after": level_after,
            "level_change": _growth(level_after, level_before),
            "weekly_growth_before": float(np.expm1(before[2])),
            "weekly_growth_after": float(np.expm1(after[2])),
        })
    return pd.DataFrame(rows, columns=list(CHANGE_POINT_COLUMNS)), adjusted
