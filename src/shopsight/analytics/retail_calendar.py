"""The retail calendar: the days that move store sales in most markets, by rule.

Pure. The anomaly detector leaves these days out of its baselines and judges each
against its own usual lift (learned from the earlier years in the data), so a normal
Black Friday or a quiet Christmas Day is not an alert. A retailer with other events
(Singles' Day, Diwali, its own sales) gives its calendar instead: a CSV file with
``date`` and ``name`` columns, named by ``SHOPSIGHT_HOLIDAYS_FILE``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pandas as pd

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years the built-in calendar covers


def black_friday(year: int) -> date:
    """The day after US Thanksgiving (the fourth Thursday of November)."""
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + timedelta(days=1)


def retail_holidays(years: Iterable[int] = range(FIRST_YEAR, LAST_YEAR + 1)) -> pd.DataFrame:
    """``date`` and ``name`` of Black Friday, Cyber Monday, the Christmas shopping week
    (18-23 December), Christmas Eve, Christmas Day, Boxing Day, New Year's Eve and New
    Year's Day in ``years``."""
    rows: list[tuple[date, str]] = []
    for year in years:
        friday = black_friday(year)
        rows += [(friday, "Black Friday"), (friday + timedelta(days=3), "Cyber Monday")]
        rows += [(date(year, 12, day), "Christmas week") for day in range(18, 24)]
        rows += [(date(year, 12, 24), "Christmas Eve"), (date(year, 12, 25), "Christmas Day"),
                 (date(year, 12, 26), "Boxing Day"), (date(year, 12, 31), "New Year's Eve"),
                 (date(year, 1, 1), "New Year's Day")]
    return pd.DataFrame(sorted(rows), columns=["date", "name"])
