"""Sales trends: period-over-period changes, moving averages, and the drivers of a change.

Pure: daily DataFrames in (the shapes of :mod:`shopsight.systems.sales.history`), typed
results out.

Periods (:func:`period_changes`, all ending on ``as_of``)
    * day over day: the day against the day before;
    * week over week: the last 7 days against the 7 before;
    * month over month: the last 28 days against the 28 before (four whole weeks, so
      both periods hold the same weekdays and the weekly rhythm cancels out);
    * year over year: the last 28 days against the same 28 days 364 days earlier (52
      weeks back, same weekdays), only when the history reaches that far.

    A change is ``current - previous``; the percentage is ``None`` when the previous
    period sold nothing, and a period the history does not cover is left out.

Drivers (:func:`change_drivers`)
    Which parts (stores, categories, products, regions...) explain the change of the
    whole between two periods: each part's change divided by the whole's change, signed,
    so contributions add up to 1 over all parts; a part moving against the whole has a
    negative contribution. Ranked by the size of the part's change.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from pydantic import BaseModel, Field

from shopsight.errors import InvalidParameter

PERIODS: tuple[tuple[str, int, int], ...] = (
    ("day over day", 1, 1),
    ("week over week", 7, 7),
    ("month over month", 28, 28),
    ("year over year", 28, 364),
)
"""(label, days in the period, days back to the comparison period)."""


class PeriodChange(BaseModel):
    """A metric in a period and in the comparison period."""

    label: str
    metric: str
    current: float
    previous: float
    change: float
    change_pct: float | None = Field(description="Percent change; None without a base.")
    current_start: date
    current_end: date
    previous_start: date
    previous_end: date


class Driver(BaseModel):
    """One part's share of the whole's change between two periods."""

    dimension: str
    name: str
    previous: float
    current: float
    change: float
    change_pct: float | None
    contribution: float | None = Field(
        description="change of the part / change of the whole (signed); None when the "
        "whole did not change.")


class DriverReport(BaseModel):
    """The change of the whole and its largest drivers."""

    dimension: str
    metric: str
    previous: float
    current: float
    change: float
    change_pct: float | None
    drivers: list[Driver]


def _pct(current: float, previous: float) -> float | None:
    return round((current - previous) / previous * 100, 2) if previous else None


def _series(daily: pd.DataFrame, metric: str) -> pd.Series:
    if metric not in daily.columns:
        raise InvalidParameter("metric", metric, f"a column of the daily frame: "
                               f"{', '.join(map(str, daily.columns))}")
    dates = pd.to_datetime(daily["business_date"]).dt.normalize()
    series: pd.Series = daily[metric].astype("float64").groupby(dates.to_numpy()).sum()
    return series.sort_index()


def period_changes(daily: pd.DataFrame, as_of: date, metric: str = "revenue"
                   ) -> list[PeriodChange]:
    """Day, week, month and year over year changes of ``metric`` ending on ``as_of``.

    ``daily``: ``business_date`` and the metric column (several rows a day are summed;
    days without a row count as zero once inside the history).
    """
    series = _series(daily, metric)
    if series.empty:
        return []
    first = series.index.min().date()
    changes: list[PeriodChange] = []
    for label, length, back in PERIODS:
        current_start = as_of - timedelta(days=length - 1)
        previous_end = as_of - timedelta(days=back)
        previous_start = previous_end - timedelta(days=length - 1)
        if previous_start < first:
            continue
        current = float(series.loc[pd.Timestamp(current_start):pd.Timestamp(as_of)].sum())
        previous = float(series.loc[pd.Timestamp(previous_start):
                                    pd.Timestamp(previous_end)].sum())
        changes.append(PeriodChange(
            label=label, metric=metric, current=round(current, 2),
            previous=round(previous, 2), change=round(current - previous, 2),
            change_pct=_pct(current, previous), current_start=current_start,
            current_end=as_of, previous_start=previous_start, previous_end=previous_end))
    return changes


def moving_averages(daily: pd.DataFrame, metric: str = "revenue",
                    windows: tuple[int, ...] = (7, 28)) -> pd.DataFrame:
    """The daily metric with trailing moving averages.

    Columns ``business_date``, ``value`` and ``ma_<window>`` for each window (NaN until
    the history holds a full window). Missing days count as zero.
    """
    series = _series(daily, metric)
    if not series.empty:
        series = series.reindex(pd.date_range(series.index.min(), series.index.max()),
                                fill_value=0.0)
    frame = pd.DataFrame({"business_date": series.index, "value": series.to_numpy()})
    for window in windows:
        frame[f"ma_{window}"] = frame["value"].rolling(window, min_periods=window).mean()
    return frame


def change_drivers(frame: pd.DataFrame, dimension: str,
                   current: tuple[date, date], previous: tuple[date, date],
                   metric: str = "revenue", top_n: int | None = 10) -> DriverReport:
    """How each value of ``dimension`` contributed to the change of the total.

    ``frame``: rows with ``business_date``, the ``dimension`` column and ``metric``
    (e.g. :func:`shopsight.systems.sales.history.daily_category_sales`). ``current`` and
    ``previous`` are inclusive date ranges. Drivers are sorted by absolute change;
    ``top_n`` keeps the largest (``None`` keeps all).
    """
    for column in (dimension, metric):
        if column not in frame.columns:
            raise InvalidParameter("dimension" if column == dimension else "metric", column,
                                   f"a column of the frame: {', '.join(map(str, frame.columns))}")
    dates = pd.to_datetime(frame["business_date"]).dt.normalize()

    def total(span: tuple[date, date]) -> pd.Series:
        inside = (dates >= pd.Timestamp(span[0])) & (dates <= pd.Timestamp(span[1]))
        part: pd.Series = frame.loc[inside].groupby(dimension)[metric].sum()
        return part.astype("float64")

    now, before = total(current), total(previous)
    parts = pd.DataFrame({"current": now, "previous": before}).fillna(0.0)
    parts["change"] = parts["current"] - parts["previous"]
    whole_now, whole_before = float(parts["current"].sum()), float(parts["previous"].sum())
    whole_change = whole_now - whole_before
    parts = parts.reindex(parts["change"].abs().sort_values(ascending=False, kind="stable")
                          .index)
    if top_n is not None:
        parts = parts.head(top_n)
    drivers = [Driver(
        dimension=dimension, name=str(name), previous=round(before_, 2),
        current=round(now_, 2), change=round(now_ - before_, 2), change_pct=_pct(now_, before_),
        contribution=(round((now_ - before_) / whole_change, 4) if whole_change else None),
    ) for name, now_, before_ in zip(parts.index, parts["current"].astype(float).tolist(),
                                     parts["previous"].astype(float).tolist(), strict=True)]
    return DriverReport(dimension=dimension, metric=metric, previous=round(whole_before, 2),
                        current=round(whole_now, 2), change=round(whole_change, 2),
                        change_pct=_pct(whole_now, whole_before), drivers=drivers)


def segment_changes(frame: pd.DataFrame, by: list[str], as_of: date, days: int = 7,
                    back: int = 7, metric: str = "revenue") -> pd.DataFrame:
    """Change of ``metric`` per segment (e.g. region x category) between two periods.

    The last ``days`` days ending ``as_of`` against the same length ``back`` days
    earlier (7/7: week over week; 28/364: year over year). Columns ``by`` +
    ``current``, ``previous``, ``change``, ``change_pct`` (NaN without a base), sorted
    by absolute change.
    """
    dates = pd.to_datetime(frame["business_date"]).dt.normalize()
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=days - 1)
    previous_end = end - pd.Timedelta(days=back)
    previous_start = previous_end - pd.Timedelta(days=days - 1)
    now = frame.loc[(dates >= start) & (dates <= end)].groupby(by)[metric].sum()
    before = frame.loc[(dates >= previous_start) & (dates <= previous_end)].groupby(by)[
        metric].sum()
    out = pd.DataFrame({"current": now, "previous": before}).fillna(0.0).astype("float64")
    out["change"] = out["current"] - out["previous"]
    base = out["previous"].where(out["previous"] > 0)
    out["change_pct"] = (out["change"] / base * 100).round(2)
    out = out.reindex(out["change"].abs().sort_values(ascending=False, kind="stable").index)
    return out.reset_index()


__all__ = ["PERIODS", "Driver", "DriverReport", "PeriodChange", "change_drivers",
           "moving_averages", "period_changes", "segment_changes"]
