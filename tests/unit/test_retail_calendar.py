"""The built-in retail calendar and a retailer's own holiday file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shopsight.analytics.retail_calendar import black_friday, retail_holidays
from shopsight.demo.generate import _build_season, _Calendar
from shopsight.errors import ConfigError
from shopsight.systems.sales.daily_analysis import load_holidays


@pytest.mark.parametrize(("year", "day"), [(2024, date(2024, 11, 29)), (2025, date(2025, 11, 28)),
                                           (2026, date(2026, 11, 27)), (2030, date(2030, 11, 29))])
def test_black_friday_is_the_day_after_thanksgiving(year: int, day: date) -> None:
    assert black_friday(year) == day


def test_the_calendar_has_every_day_the_demo_plants() -> None:
    """The demo plants real retail days; the product knows them without the truth."""
    planted = _build_season(_Calendar.build(date(2026, 11, 20))).holidays
    calendar = retail_holidays(range(2020, 2030))
    known = set(zip(calendar["date"], calendar["name"], strict=True))
    assert len(planted) >= 20
    assert set(zip(planted["date"], planted["name"], strict=True)) <= known


def test_a_holiday_file_is_read_and_its_errors_name_the_row(tmp_path: Path) -> None:
    good = tmp_path / "holidays.csv"
    good.write_text("date,name\n2026-11-11,Singles' Day\n2026-10-20, \n")
    frame = load_holidays(good)
    assert list(frame["date"]) == [date(2026, 11, 11), date(2026, 10, 20)]
    assert list(frame["name"]) == ["Singles' Day", "holiday"]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,name\n2026-11-11,a\n11/12/2026,b\n")
    with pytest.raises(ConfigError, match=r"row 3 column date: '11/12/2026'"):
        load_holidays(bad)
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("day,name\n2026-11-11,a\n")
    with pytest.raises(ConfigError, match="no column date"):
        load_holidays(nameless)
    with pytest.raises(ConfigError, match="cannot read"):
        load_holidays(tmp_path / "missing.csv")
