"""The offline planner: a plain-language question becomes an intent, entities and a SQL tree.

No model and no network. :func:`plan_question` classifies the question by keywords,
extracts entities (order, customer, product and store ids, categories resolved against
the data, channels, periods, top-N, metric, comparison), and the ``*_sql`` builders turn
a plan into a sqlglot expression tree whose every column is looked up in the data
contract (:func:`col`), so a typo fails at build time, not in DuckDB.

Periods resolve against the data's latest order date ("today" is ``max(order_date)``):

- ``today``/``yesterday``: that day, the day before;
- ``this week``/``last week``: ISO week (Monday-Sunday) to date / the full week before;
  ``week over week``: last week against the week before;
- ``this month``/``last month``, ``this year``/``last year``: calendar, to date or full;
- ``this quarter``/``last quarter``, ``Q3 [2026]``: calendar quarters;
- ``last N days|weeks|months``: the N*1/7/30 days ending today;
- ``in October [2026]``, ``on 2026-11-03``, ``between 2026-10-01 and 2026-10-15``.

The comparison period has the same length and ends the day before; a week to date
compares with the same weekdays of the week before; a calendar month, quarter or year with
the previous one (whole when the period is whole, else clipped to the same number of days).

A question may narrow the orders by status ("refunded orders"), by a promo code, by the
stores' region, country or city, or by channel ("online" is web and app). A word the planner
cannot honour (a margin, a share or rate, an average other than the order value, new or
returning customers) makes it say so instead of answering without it.

Revenue is in USD (``analytics.fx`` rates): order level (``orders.total_amount``) for
totals, stores and channels; line level (quantity * unit_price - discount) for categories
and products. Cancelled, returned and refunded orders are not sales.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from shopsight.analytics.fx import RATES_PER_USD
from shopsight.errors import ContractError
from shopsight.schema import NOT_SALES_STATUSES, get_table
from shopsight.systems.retail_copilot.models import Intent

DEFAULT_PERIOD_DAYS = 30
DEFAULT_TOP_N = 10
MAX_HORIZON_DAYS = 365  # the longest forecast asked of the tools
MAX_TOP_N = 100

# ---------------------------------------------------------------------------------------
# periods


@dataclass(frozen=True)
class Period:
    """An inclusive date range with a label and how to find the previous one."""

    start: date
    end: date
    label: str
    kind: str = "days"  # days | month | year

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The comparison period (see the module docstring)."""
        if self.kind == "week":
            start, end = self.start - timedelta(days=7), self.end - timedelta(days=7)
            return Period(start, end, "the same days of the week before"
                          if self.days < 7 else "the week before", "week")
        if self.kind in ("month", "quarter"):
            months = 1 if self.kind == "month" else 3
            prev_end = self.start - timedelta(days=1)
            start = _months_back(self.start, months)
            whole = self.end == month_end(self.end)
            end = prev_end if whole else min(start + (self.end - self.start), prev_end)
            label = (f"{calendar.month_name[start.month]} {start.year}" if months == 1
                     else f"Q{(start.month - 1) // 3 + 1} {start.year}")
            return Period(start, end, label + ("" if end == prev_end else " (same days)"),
                          self.kind)
        if self.kind == "year":
            start = self.start.replace(year=self.start.year - 1)
            end = _safe_replace_year(self.end, self.end.year - 1)
            return Period(start, end, f"{start.year}", "year")
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        return Period(start, end, "the previous period" if self.days > 1 else
                      "the day before", "days")


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _months_back(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _quarter(year: int, number: int, today: date) -> Period:
    start, last = date(year, 3 * number - 2, 1), month_end(date(year, 3 * number, 1))
    end = min(last, today)
    return Period(start, end, f"Q{number} {year}" + (f" to date ({start} to {end})"
                  if end < last else ""), "quarter")


def _safe_replace_year(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS.pop("may", None)
_MONTHS["may"] = 5
_ISO_DATE = r"(\d{4}-\d{2}-\d{2})"
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
_VERSUS = re.compile(r"\b(?:vs\.?|versus|compared (?:to|with)|against)\b", re.I)


_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4}


def _year_of(month: int, today: date) -> int:
    """The year of a month named without one: the latest that has begun."""
    return today.year if month <= today.month else today.year - 1


def resolve_period(text: str, today: date) -> Period | None:
    """The period a question names, relative to ``today`` (the data's latest date)."""
    t = text.lower()
    m = re.search(rf"(?:between|from)\s+{_ISO_DATE}\s+(?:and|to|until)\s+{_ISO_DATE}", t)
    if m:
        a, b = sorted((date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))))
        return Period(a, b, f"{a} to {b}")
    m = re.search(rf"{_ISO_DATE}\s*(?:to|until|through|-|–)\s*{_ISO_DATE}", t)
    if m:
        a, b = sorted((date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))))
        return Period(a, b, f"{a} to {b}")
    m = re.search(rf"\b({_MONTH_WORDS})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|until)\s*"
                  rf"(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", t)
    if m:  # "nov 1-15"
        month = _MONTHS[m.group(1)]
        year = int(m.group(4)) if m.group(4) else _year_of(month, today)
        last_day = calendar.monthrange(year, month)[1]
        first_day, end_day = sorted((int(m.group(2)), int(m.group(3))))
        if 1 <= first_day and end_day <= last_day:
            a, b = date(year, month, first_day), min(date(year, month, end_day), today)
            return Period(a, b, f"{a} to {b}")
    m = re.search(rf"\b(?:from\s+|between\s+)?({_MONTH_WORDS})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*"
                  rf"(?:-|–|to|until|through|and)\s*({_MONTH_WORDS})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b"
                  rf"(?:,?\s+(\d{{4}}))?", t)
    if m:  # "from Oct 15 to Nov 15"
        end_month = _MONTHS[m.group(3)]
        end_year = int(m.group(5)) if m.group(5) else _year_of(end_month, today)
        first_month = _MONTHS[m.group(1)]
        start_year = end_year if first_month <= end_month else end_year - 1
        try:
            a = date(start_year, first_month, int(m.group(2)))
            b = min(date(end_year, end_month, int(m.group(4))), today)
        except ValueError:
            a = b = today
        if a < b:
            return Period(a, b, f"{a} to {b}")
    m = re.search(rf"\bfrom\s+({_MONTH_WORDS})(?:\s+(\d{{4}}))?\s+(?:to|until|through|-)\s+"
                  rf"({_MONTH_WORDS})(?:\s+(\d{{4}}))?\b", t)
    if m:  # "from March to June [2026]"
        first_month, last_month = _MONTHS[m.group(1)], _MONTHS[m.group(3)]
        year_end = int(m.group(4) or m.group(2) or 0) or _year_of(last_month, today)
        year_start = int(m.group(2)) if m.group(2) else (
            year_end if first_month <= last_month else year_end - 1)
        start = date(year_start, first_month, 1)
        end = min(month_end(date(year_end, last_month, 1)), today)
        return Period(start, end, f"{start} to {end}")
    m = re.search(rf"\b(?:since|after|from)\s+(?:{_ISO_DATE}|({_MONTH_WORDS})(?:\s+(\d{{1,2}})"
                  rf"(?:st|nd|rd|th)?\b)?(?:,?\s+(\d{{4}}))?)\b", t)
    if m:  # "since 2026-10-01", "since March", "since March 3": to today
        if m.group(1):
            start = date.fromisoformat(m.group(1))
        else:
            month = _MONTHS[m.group(2)]
            year = int(m.group(4)) if m.group(4) else _year_of(month, today)
            try:
                start = date(year, month, int(m.group(3) or 1))
            except ValueError:
                start = date(year, month, 1)
        if start <= today:
            return Period(start, today, f"{start} to {today}")
    m = re.search(r"\b(first|second|third|fourth|last|1st|2nd|3rd|4th) quarter\b(?: (?:of )?"
                  r"(?:(\d{4})|(last) year|(?:this|the) year))?", t)
    if m and not re.search(r"\blast quarter\b(?! of)", t):  # "the fourth quarter of 2025"
        number = {**_ORDINALS, "last": 4}[m.group(1)]
        year = int(m.group(2)) if m.group(2) else today.year - 1 if m.group(3) else (
            today.year if date(today.year, 3 * number - 2, 1) <= today else today.year - 1)
        return _quarter(year, number, today)
    m = re.search(rf"\b(week|weekend) of\s+(?:{_ISO_DATE}|({_MONTH_WORDS})\s+(\d{{1,2}})"
                  rf"(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?)", t)
    if m:  # "the week of 2026-11-02" (Monday to Sunday), "the weekend of November 14"
        try:
            if m.group(2):
                day = date.fromisoformat(m.group(2))
            else:
                month = _MONTHS[m.group(3)]
                day = date(int(m.group(5)) if m.group(5) else _year_of(month, today), month,
                           int(m.group(4)))
        except ValueError:
            day = today + timedelta(days=1)
        monday = day - timedelta(days=day.weekday())
        first = monday + timedelta(days=5) if m.group(1) == "weekend" else monday
        end = min(monday + timedelta(days=6), today)
        if first <= today:
            return Period(first, end, f"the {m.group(1)} of {day} ({first} to {end})", "week")
    m = re.search(r"\b(?:the )?weekend before last\b|\b(\d|two|three|four) weekends ago\b", t)
    if m:  # Saturday and Sunday, whole weeks before last weekend
        back = {"two": 2, "three": 3, "four": 4}.get(m.group(1) or "", 0) or int(
            m.group(1) or 2)
        last_saturday = today - timedelta(days=today.weekday()) - timedelta(days=2)
        saturday = last_saturday - timedelta(days=7 * (back - 1))
        return Period(saturday, saturday + timedelta(days=1),
                      f"the weekend of {saturday} ({saturday} to "
                      f"{saturday + timedelta(days=1)})", "week")
    if m := re.search(r"\b(?:last|past|previous) (fortnight|two weeks)\b", t):
        start = today - timedelta(days=13)
        return Period(start, today, f"the last 14 days ({start} to {today})")
    m = re.search(r"\b(?:last|on) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
                  r"\b", t)
    if m:  # "last Monday": the latest one before today; "last week on Monday": that week's
        weekday = list(calendar.day_name).index(m.group(1).capitalize())
        if re.search(r"\b(last|previous) week\b", t):
            day = today - timedelta(days=today.weekday() + 7 - weekday)
        else:
            day = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
        return Period(day, day, f"{m.group(1).capitalize()} {day}")
    m = re.search(rf"\b(?:on\s+)?({_MONTH_WORDS})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:-|–|"
                  rf"to\b|until|:))(?:,?\s+(\d{{4}}))?|(?<!top )(?<!bottom )(?<!best )(?<!worst )"
                  rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_WORDS})\b(?:,?\s+(\d{{4}}))?",
                  t)
    if m:  # "November 3rd", "on 3 November 2025": that day
        month = _MONTHS[m.group(1) or m.group(5)]
        given = m.group(3) or m.group(6)
        year = int(given) if given else _year_of(month, today)
        try:
            named: date | None = date(year, month, int(m.group(2) or m.group(4)))
        except ValueError:
            named = None
        if named is not None and named <= today:
            return Period(named, named, named.isoformat())
    m = re.search(rf"\b(first|second|third|fourth|last|1st|2nd|3rd|4th) (half|week) of "
                  rf"({_MONTH_WORDS})\b(?:,?\s+(\d{{4}}))?", t)
    if m:  # "the first half of November", "the last week of October": part of a month
        month = _MONTHS[m.group(3)]
        year = int(m.group(4)) if m.group(4) else _year_of(month, today)
        last_day = calendar.monthrange(year, month)[1]
        ordinal = m.group(1)
        if m.group(2) == "half" and ordinal in ("first", "1st", "second", "2nd", "last"):
            first_day, end_day = (1, 15) if ordinal in ("first", "1st") else (16, last_day)
        elif m.group(2) == "week" and ordinal == "last":
            first_day, end_day = last_day - 6, last_day
        elif m.group(2) == "week":
            number = _ORDINALS[ordinal]
            first_day, end_day = 7 * number - 6, 7 * number
        else:  # "third half"
            first_day = end_day = 0
        if first_day and (part := date(year, month, first_day)) <= today:
            end = min(date(year, month, end_day), today)
            return Period(part, end, f"the {ordinal} {m.group(2)} of "
                          f"{calendar.month_name[month]} {year} ({part} to {end})")
    m = re.search(r"\b(first|second) half (?:of )?(?:(\d{4})|(?:the|this) year|(last) year)\b|"
                  r"\b(first|second) half\b(?! of)|\bh([12])(?: (\d{4}))?\b", t)
    if m:
        half = 1 if "first" in (m.group(1), m.group(4)) or m.group(5) == "1" else 2
        year = int(m.group(2) or m.group(6) or (today.year - 1 if m.group(3) else today.year))
        start = date(year, 1 if half == 1 else 7, 1)
        end = min(date(year, 6, 30) if half == 1 else date(year, 12, 31), today)
        return Period(start, end, f"H{half} {year} ({start} to {end})")
    m = re.search(r"\b(?:last|past) (\d) quarters\b", t)
    if m:  # whole quarters before the current one
        quarter_now = (today.month - 1) // 3 + 1
        first_of_this = date(today.year, 3 * quarter_now - 2, 1)
        start = _months_back(first_of_this, 3 * int(m.group(1)))
        end = first_of_this - timedelta(days=1)
        return Period(start, end, f"the last {m.group(1)} quarters ({start} to {end})")
    if m := re.search(r"\bpast (month|week)\b", t):
        days = 30 if m.group(1) == "month" else 7
        start = today - timedelta(days=days - 1)
        return Period(start, today, f"the last {days} days ({start} to {today})")
    m = re.search(_ISO_DATE, t)
    if m:
        d = date.fromisoformat(m.group(1))
        return Period(d, d, d.isoformat())
    if re.search(r"\byesterday\b", t):
        d = today - timedelta(days=1)
        return Period(d, d, f"yesterday ({d})")
    if re.search(r"\btoday\b", t):
        return Period(today, today, f"today ({today})")
    monday = today - timedelta(days=today.weekday())
    if re.search(r"\bthis week\b|\bweek to date\b|\bwtd\b", t):
        return Period(monday, today, f"this week ({monday} to {today})", "week")
    if re.search(r"\b(last|previous|past) week\b|\bweek[- ]over[- ]week\b|\bwow\b", t) \
            and not re.search(r"\b(last|past) \d+ weeks?\b", t):
        start = monday - timedelta(days=7)
        return Period(start, monday - timedelta(days=1), f"last week ({start} to "
                      f"{monday - timedelta(days=1)})", "week")
    quarter_now = (today.month - 1) // 3 + 1
    if m := re.search(r"\bq([1-4])(?:\s*(\d{4})|\s+(?:of\s+)?(last) year)?\b", t):
        number = int(m.group(1))
        year = int(m.group(2)) if m.group(2) else today.year - 1 if m.group(3) else (
            today.year if number <= quarter_now else today.year - 1)
        return _quarter(year, number, today)
    if re.search(r"\bthis quarter\b|\bquarter to date\b|\bqtd\b", t):
        return _quarter(today.year, quarter_now, today)
    if re.search(r"\b(last|previous) quarter\b", t):
        year, number = (today.year, quarter_now - 1) if quarter_now > 1 else (
            today.year - 1, 4)
        return _quarter(year, number, today)
    if re.search(r"\bthis month\b|\bmonth to date\b|\bmtd\b", t):
        start = today.replace(day=1)
        return Period(start, today, f"this month ({start} to {today})", "month")
    if re.search(r"\b(last|previous) month\b", t):
        end = today.replace(day=1) - timedelta(days=1)
        start = end.replace(day=1)
        return Period(start, end, f"{calendar.month_name[start.month]} {start.year}", "month")
    if re.search(r"\bthis year\b|\byear to date\b|\bytd\b", t):
        start = date(today.year, 1, 1)
        return Period(start, today, f"this year ({start} to {today})", "year")
    if m := re.search(rf"\b({_MONTH_WORDS})\s+(?:of\s+)?(last|this) year\b", t):
        month = _MONTHS[m.group(1)]
        year = today.year - (m.group(2) == "last")
        start = date(year, month, 1)
        end = min(month_end(start), today)
        return Period(start, end, f"{calendar.month_name[month]} {year}", "month")
    if re.search(r"\b(last|previous) year\b", t):
        start = date(today.year - 1, 1, 1)
        return Period(start, date(today.year - 1, 12, 31), f"{today.year - 1}", "year")
    if re.search(r"\b(last|past|previous) weekend\b", t):
        saturday = monday - timedelta(days=2)
        return Period(saturday, saturday + timedelta(days=1), f"last weekend ({saturday} to "
                      f"{saturday + timedelta(days=1)})", "week")
    m = re.search(r"\b(?:last|past|previous)\s+(\d{1,4}|twelve)\s+(day|week|month)s?\b|"
                  r"\b(?:last|past|previous) (year)\b(?= *$|[^0-9])", t)
    if m and m.group(3):  # "the past year": the 12 months to today, not a calendar year
        start = _safe_replace_year(today, today.year - 1) + timedelta(days=1)
        return Period(start, today, f"the last 12 months ({start} to {today})")
    if m:
        count = 12 if m.group(1) == "twelve" else int(m.group(1))
        if m.group(2) == "month":  # calendar months back, to the day
            first = _months_back(today.replace(day=1), count)
            start = first.replace(day=min(today.day, calendar.monthrange(
                first.year, first.month)[1])) + timedelta(days=1)
        else:
            start = today - timedelta(days=count * (7 if m.group(2) == "week" else 1) - 1)
        return Period(start, today, f"the last {count} {m.group(2)}s ({start} to {today})")
    m = re.search(rf"(?:\b(?:in|for|during|of)\s+({_MONTH_WORDS})\b(?:\s+(\d{{4}}))?(?!\s*\d)|"
                  rf"\b({_MONTH_WORDS})\s+(\d{{4}})\b|^\s*({_MONTH_WORDS})\b(?=\s+(?:sales|"
                  rf"revenue|orders|units|vs|versus)\b))", t)
    m2 = re.search(r"\b(20\d{2})-(0[1-9]|1[0-2])\b", t)
    if m or m2:
        if m2:
            month, year = int(m2.group(2)), int(m2.group(1))
        else:
            assert m is not None
            month = _MONTHS[m.group(1) or m.group(3) or m.group(5)]
            given = m.group(2) or m.group(4)
            year = int(given) if given else _year_of(month, today)
        start = date(year, month, 1)
        end = min(month_end(start), today)
        return Period(start, end, f"{calendar.month_name[month]} {year}", "month")
    m = re.search(r"(?<![\d-])(20\d{2})(?![\d-])(?!\s+(?:customers?|orders?|units?|products?|"
                  r"items?|stores?|people|rows|pieces|dollars|usd|eur))", t)
    if m and today.year - 30 <= int(m.group(1)) <= today.year:
        year = int(m.group(1))
        start, end = date(year, 1, 1), min(date(year, 12, 31), today)
        return Period(start, end, f"{year}" + (f" to date ({start} to {end})"
                                             if end < date(year, 12, 31) else ""), "year")
    return None


def default_period(today: date, days: int = DEFAULT_PERIOD_DAYS) -> Period:
    """The last ``days`` days up to ``today``."""
    start = today - timedelta(days=days - 1)
    return Period(start, today, f"the last {days} days ({start} to {today})")


# ---------------------------------------------------------------------------------------
# entities and plans


@dataclass(frozen=True)
class Catalog:
    """What the planner resolves names against: read once from the lake."""

    today: date
    categories: tuple[str, ...]
    stores: dict[str, str]  # store_id -> "name, city"
    # a place the stores are in, lower case -> (stores column, value): regions, cities and
    # countries by name ("japan" -> ("country", "JP"))
    places: dict[str, tuple[str, str]] = field(default_factory=dict)
    first_day: date | None = None  # the earliest order date: comparisons before it are partial
    brands: tuple[str, ...] = ()
    promo_codes: tuple[str, ...] = ()  # the codes the orders use, so "VIP20 sales" is read


@dataclass
class Entities:
    """Everything extracted from a question (and carried over in follow-ups)."""

    order_id: str | None = None
    customer_id: str | None = None
    product_id: str | None = None
    store_id: str | None = None
    store_ids: tuple[str, ...] | None = None  # several stores named ("Fifth Ave and Mitte")
    warehouse: bool = False  # stock at the warehouses only
    category: str | None = None
    brand: str | None = None
    channel: str | None = None  # store | web | mobile | online (web and mobile)
    place: tuple[str, str] | None = None  # (stores column, value): ("country", "JP")
    places: tuple[tuple[str, str], ...] | None = None  # several ("Stockholm and Mumbai")
    categories: tuple[str, ...] | None = None  # several categories ("Home and Beauty")
    brands: tuple[str, ...] | None = None  # several brands ("Voltix and Kairo")
    status: str | None = None  # orders of this status only (refunded...), not sales
    promo: bool = False  # orders with a promo code only
    stockout: bool = False  # out of stock (nothing on hand), not merely low
    levels: bool = False  # a product's stock everywhere, not only where it is low
    period: Period | None = None
    compare: bool = False
    dimension: str | None = None  # store | region | country | category | product | channel | total
    grain: str | None = None  # day | week | month
    top_n: int | None = None
    direction: str = "top"  # top | bottom
    metric: str = "revenue"  # revenue | units | order_value | growth | orders
    horizon_days: int | None = None
    versus: Period | None = None  # the comparison a question names ("vs the same day last
    # week"); by default the period before
    promo_code: str | None = None  # one promo code ("VIP20")
    picks: dict[str, str] | None = None  # the ids of the row an answer named, its main id
    # first: what "that store", "the first one" or "its" refer to in the next question

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form, stored in the conversation for follow-ups."""
        data = asdict(self)
        for name in ("period", "versus"):
            value = getattr(self, name)
            if value:
                data[name] = {"start": value.start.isoformat(), "end": value.end.isoformat(),
                              "label": value.label, "kind": value.kind}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entities:
        """Inverse of :meth:`to_json`."""
        values = dict(data)
        for name in ("place", "store_ids", "categories", "brands"):
            if values.get(name):
                values[name] = tuple(values[name])
        if values.get("places"):
            values["places"] = tuple(tuple(p) for p in values["places"])
        for name in ("period", "versus"):
            if p := values.get(name):
                values[name] = Period(date.fromisoformat(p["start"]),
                                      date.fromisoformat(p["end"]), p["label"], p["kind"])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class Plan:
    """The planner's decision: an intent with its entities, or a question back."""

    intent: Intent
    entities: Entities = field(default_factory=Entities)
    confident: bool = True
    message: str = ""  # clarifying question or why it cannot answer
    follow_up: bool = False


_ORDER = re.compile(r"\bORD-?(\d{1,9})\b", re.I)
_CUSTOMER = re.compile(r"\bC(\d{7})\b", re.I)
_SKU = re.compile(r"\bSKU[-\s]?(\d{1,5})\b", re.I)
_STORE = re.compile(r"\bstore\s*(?:#|no\.?|number)?\s*(\d{1,4})\b", re.I)
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "fifty": 50, "hundred": 100})
_TOP = re.compile(r"\b(top|best|bottom|worst|lowest|highest)\s+(\d{1,3})\b", re.I)
_BARE_RANKING = re.compile(r"\s*(and |now |ok |but )?(the )?(top|bottom|best|worst) \d{1,3}"
                           r"( instead)?\s*\??\s*")
_COMPARISON_ONLY = re.compile(
    r"\s*(and |but |ok |now )?((compared? (it |that )?(to|with) |vs\.? |versus |against )(the )?"
    r"(same (day|days|week|month|quarter|period|time|dates?)( of| in)? last (week|year)|last "
    r"year|a year (ago|earlier))|(what about |how about )?(the )?same (day|days|week|month|"
    r"quarter|period|time|dates?)( of| in)? last (week|year)|year over year|yoy)\s*\??\s*")
"""A follow-up that only names what to compare the last answer with ("vs last year?")."""
_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|same for|now for|also for|only|"
                        r"for|but|then|ok(ay)?,? (and|now|what about))\b", re.I)

CAPABILITIES = (
    "low stock or out-of-stock products (per store, category or brand), or one product's "
    "stock everywhere",
    "the status of an order, e.g. ORD-000010482",
    "sales by store, region, country, category, brand, product, channel or promo code over a "
    "period, compared with the period before or a year earlier, for stores, places, "
    "categories, brands, a customer or orders with a promo code",
    "refunded, returned or cancelled orders over a period",
    "the average order value over a period",
    "top or bottom N products by revenue or units",
    "the top N customers by spend or orders over a period",
    "a customer's summary, e.g. C0000881",
    "how many customers signed up, bought for the first time or bought over a period (by "
    "day, week or month, or for stores, places or a channel)",
    "customers likely to churn",
    "product recommendations for a customer",
    "a demand forecast for a SKU, e.g. SKU-00123 next 30 days",
    "suspicious payments over a period",
    "the sales anomalies the daily analysis found over a period (spikes, collapses, "
    "stock-outs), e.g. 'any anomalies last week?'",
    "the revenue trend by day, week or month",
)


_KEYWORDS = ("sales", "revenue", "order", "orders", "product", "products", "customer",
             "customers", "store", "stores", "category", "categories", "region", "regions",
             "channel", "channels", "yesterday", "forecast", "recommend", "suspicious",
             "payment", "payments", "inventory", "refunded", "returned", "cancelled",
             "delivered", "average", "compare", "trend", "trends", "monthly", "weekly",
             "quarter", "quarters", "country", "countries", "stock", "month", "week")
"""Words a typo is corrected to: only these, and the catalogue's names."""


def _one_slip(word: str, target: str) -> bool:
    """Whether ``word`` is ``target`` with two neighbouring letters swapped, one letter
    missing or extra (not a "d" ending), or a letter doubled in the wrong place
    ("reccomend"); not another letter in its place: "worth" is not "worst"."""
    if word != target and re.sub(r"(\w)\1+", r"\1", word) == re.sub(r"(\w)\1+", r"\1", target):
        return True
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and (
            word[diff[0]] == target[diff[1]] and word[diff[1]] == target[diff[0]])
    if word == target + "d":  # an ending ("compared", "stored"), not a slip ("storee")
        return False
    short, long_ = sorted((word, target), key=len)
    return len(long_) - len(short) == 1 and any(
        long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _typos_corrected(question: str, catalog: Catalog) -> str:
    """``question`` with slips of the keyboard in the planner's keywords and the
    catalogue's names put right (two letters swapped, one dropped or doubled), in words of
    five letters or more; codes (capitals, digits) are left as typed."""
    names = [*catalog.categories, *catalog.brands]
    known = {*_KEYWORDS, *(n.lower() for n in names if " " not in n)}

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if len(low) < 5 or low in known or word.isupper():
            return word
        return next((k for k in sorted(known) if _one_slip(low, k)), word)

    return re.sub(r"(?<![\w-])[A-Za-z]+(?![\w-])", fix, question)


_ABBREVIATIONS = {"rev": "revenue", "wk": "week", "wks": "weeks", "wknd": "weekend",
                  "qtr": "quarter", "qtrs": "quarters", "ly": "last year", "prev": "previous",
                  "recs": "recommendations", "yday": "yesterday", "txns": "transactions",
                  "mo": "month", "mos": "months", "yr": "year", "yrs": "years",
                  "cust": "customer", "custs": "customers", "qty": "units", "lst": "last"}
"""Short forms a busy analyst types, read as the words they stand for."""


def _abbreviations_expanded(question: str) -> str:
    return re.sub(r"\b(" + "|".join(_ABBREVIATIONS) + r")\b",
                  lambda m: _ABBREVIATIONS[m.group(1).lower()], question, flags=re.I)


def _numbers_written_out(question: str) -> str:
    """"top five" as "top 5", so the rest of the planner reads one spelling."""
    return re.sub(r"\b(top|best|bottom|worst|lowest|highest)\s+(" + "|".join(_NUMBER_WORDS)
                  + r")\b", lambda m: f"{m.group(1)} {_NUMBER_WORDS[m.group(2).lower()]}",
                  question, flags=re.I)


def _dimension_named(word: str) -> str:
    """The breakdown a noun of the question names ("stores" -> store, "markets" -> region)."""
    for prefixes, dimension in ((("store", "location", "shop"), "store"),
                                (("region", "market"), "region"), (("countr",), "country"),
                                (("categor",), "category"), (("brand",), "brand")):
        if word.startswith(prefixes):
            return dimension
    return "channel"


def _normalised(question: str, catalog: Catalog) -> str:
    """``question`` in the one spelling the planner reads: abbreviations written out,
    numbers in figures, slips of the keyboard put right."""
    return _typos_corrected(_numbers_written_out(_abbreviations_expanded(question)), catalog)


_CHANNEL_WORDS = (("online", r"\b(online|e-?commerce|digital)\b"),
                  ("web", r"\b(web|website|web ?shop)\b"), ("mobile", r"\b(mobile|app)\b"),
                  ("store", r"\bin[- ]stores?\b(?!\s*(#|no\.?|number)?\s*\d)|"
                            r"\bstore channel\b"))
"""Words naming a sales channel, most general first ("online" is web and app)."""


def extract_entities(question: str, catalog: Catalog) -> tuple[Entities, list[str]]:
    """Entities found in ``question``; the second value lists names that did not resolve."""
    return _entities(_normalised(question, catalog), catalog)


def _entities(question: str, catalog: Catalog) -> tuple[Entities, list[str]]:
    """``extract_entities`` of a question already ``_normalised``."""
    q = question
    low = q.lower()
    ent = Entities()
    problems: list[str] = []
    if m := _ORDER.search(q):
        ent.order_id = f"ORD-{int(m.group(1)):09d}"
    elif m := re.search(r"\border\s*(?:#|no\.?|number|:)?\s*#?(\d{3,9})\b", low):
        ent.order_id = f"ORD-{int(m.group(1)):09d}"
    if m := _CUSTOMER.search(q):
        ent.customer_id = f"C{m.group(1)}"
    if m := _SKU.search(q):
        ent.product_id = f"SKU-{int(m.group(1)):05d}"
    numbers = _store_numbers(q, catalog)
    if len(numbers) > 1:  # "stores 0003 and 0005": those, store by store
        unknown = [n for n in numbers if n not in catalog.stores]
        if unknown:
            problems.append(f"store {unknown[0]}")
        ent.dimension, ent.store_ids = "store", tuple(numbers)
    elif numbers:
        store = numbers[0]
        if store in catalog.stores:
            ent.store_id = store
        else:
            problems.append(f"store {store}")
    else:
        plain = _plain(low)
        named_stores = []
        for store_id, label in catalog.stores.items():
            name, _, city = label.partition(", ")
            short = _plain(name.lower().removeprefix("shopsight ").strip())
            if (short and re.search(rf"\b{_street_pattern(short)}\b", plain)) or (
                    city and re.search(rf"\b{re.escape(_plain(city.lower()))}\s+store\b",
                                       plain)):
                named_stores.append(store_id)
        if not named_stores and (m := re.search(r"\b(?:at|in)\s+(?:the\s+)?([a-z][a-z'-]{3,})"
                                                r"(?:\s+stores?)?\b", plain)):
            named_stores = _stores_called(m.group(1), catalog)  # "sales at Oxford"
        if len(named_stores) == 1:
            ent.store_id = named_stores[0]
        elif named_stores:  # "the Shibuya and Pitt Street stores": those, store by store
            ent.dimension, ent.store_ids = "store", tuple(named_stores)
    brands = [brand for brand in sorted(catalog.brands, key=len, reverse=True)
              if len(brand) > 2 and re.search(rf"\b{re.escape(brand.lower())}\b", low)]
    if len(brands) == 1:
        ent.brand = brands[0]
    elif brands:  # "Voltix and Kairo": those brands, brand by brand
        ent.dimension, ent.brands = "brand", tuple(sorted(brands))
    unbranded = _without_names(low, brands)  # "Lantern Books" is a brand, not Books
    found = [category for category in sorted(catalog.categories, key=len, reverse=True)
             if _names_category(category, unbranded)]
    if len(found) == 1:
        ent.category = found[0]
    elif found:  # "apparel and beauty": those categories, category by category
        ent.dimension, ent.categories = "category", tuple(sorted(found))
    else:
        m = re.search(r"\b(?:in|for) (?:the )?(?:category )?([A-Z][a-zA-Z&]+)\b", q)
        name = m.group(1) if m else ""
        if m and name.lower() not in _MONTHS and name not in ("Store",) and (
                name.lower() not in catalog.places) and _country_named(name) is None and (
                re.search(r"\bcategor", low) or re.search(r"\bproducts?\s+(in|for)\b", low)):
            problems.append(f"category {m.group(1)}")
    channels = [c for c, pattern in _CHANNEL_WORDS if re.search(pattern, low)]
    if channels and "by channel" not in low:  # the first named: "online" before "web"
        ent.channel = channels[0]
    named: set[tuple[str, str]] = set()
    rest = low  # a name inside a longer one found first ("america" in "north america")
    for code, token in (("US", "US"), ("GB", "UK")):  # capitals only: "us" is a pronoun
        if re.search(rf"\b{token}\b", q) and ("country", code) in catalog.places.values():
            named.add(("country", code))
    for name in sorted(catalog.places, key=len, reverse=True):
        pattern = rf"\b{re.escape(name)}\b"
        if not ent.store_id and re.search(pattern, rest):
            named.add(catalog.places[name])
            rest = re.sub(pattern, " ", rest)
    if len(named) == 1:
        ent.place = named.pop()
    elif named:  # "Europe and North America": those places, place by place
        kinds = {kind for kind, _ in named}
        kind = kinds.pop() if len(kinds) == 1 else "store"
        ent.dimension = kind if kind in ("region", "country") else "store"
        ent.places = tuple(sorted(named))
    else:
        if (country := _country_named(q)) is not None and not ent.store_id:
            problems.append(f"country {country}")
    if m := re.search(r"\b(refund|return|cancel)(?:s|ed|led|lation|lations)\b|\b(refund)\b",
                      low):
        if not re.search(r"\b(net of|excluding|without|not including|minus|after) "
                         r"(refunds?|returns?|cancell?ations?)", low):
            ent.status = {"refund": "refunded", "return": "returned",
                          "cancel": "cancelled"}[m.group(1) or m.group(2)]
    elif m := re.search(r"\b(pending|paid|shipped|delivered|completed) orders\b|\borders "
                        r"(?:that |which )?(?:were |are |have been )?(pending|paid|shipped|"
                        r"delivered|completed)\b", low):
        ent.status = m.group(1) or m.group(2)
    if re.search(r"\b(promo(tion(al)?)?|coupon|voucher|discount) codes?\b|\bcoupons?\b|"
                 r"\bvouchers?\b", low):
        ent.promo = True
    if re.search(r"\bwarehouses?\b|\bdistribution cent(er|re)s?\b|\bdcs?\b", low):
        ent.warehouse = True
    if re.search(r"\bout[- ]of[- ]stock\b|\bstock[- ]?outs?\b|\b(zero|no) stock\b|"
                 r"\bsold out\b", low) and not re.search(
            r"\blow[- ]stock|\blow (on|in) (stock|inventory)|\brunning low|\bbelow (the )?"
            r"reorder|\blow or out\b", low):  # "low and out of stock": the low list has both
        ent.stockout = True
    elif ent.product_id and re.search(r"\b(stock|inventory) (levels?|positions?|status|of|"
                                      r"for)\b|\bon hand\b|\bin stock\b|\bhow (much|many)"
                                      r"\b.{0,40}\bleft\b", low):
        ent.levels = True  # "stock levels for SKU-00010": everywhere it is held
    if re.search(r"\baverage (order|basket|ticket|transaction)( value| size)?\b|\baov\b|"
                 r"\bbasket size\b", low):
        ent.metric = "order_value"
    elif re.search(r"\b(most|fewest|least|highest number of|lowest number of) orders\b|"
                   r"\b(by|in) (the )?(number|count) of orders\b|\bby orders\b|"
                   r"\border counts?\b", low):
        ent.metric = "orders"
        if re.search(r"\b(fewest|least|lowest number of) orders\b", low):
            ent.direction = "bottom"
    elif re.search(r"\b(fastest|most|quickest)[- ]grow\w*|\bgrow\w* (the )?(fastest|most)\b|"
                   r"\bgrew (the )?(most|fastest)\b|"
                   r"\b(biggest|largest|steepest|sharpest) (growth|increase|rise|decline|"
                   r"drop|fall)\b|\b(declined|dropped|fell) (the )?most\b|"
                   r"\b(stores?|regions?|countr(?:y|ies)|categor(?:y|ies)|channels?|brands?) "
                   r"(?:are|were|is|was) (?:down|up|declining|growing|falling|shrinking|"
                   r"rising)\b|\bwhich (?:stores?|regions?|countr(?:y|ies)|categor(?:y|ies)|"
                   r"channels?|brands?|one|ones) (?:grew|declined|dropped|fell|shrank|rose)\b"
                   r"|\b(declining|falling|shrinking|growing|rising) (sales|"
                   r"revenue)\b", low):
        ent.metric = "growth"  # "which stores are down yoy": ranked by their change
        ent.compare = True
        if re.search(r"\b(decline|drop|fall|declined|dropped|fell|down|declining|falling|"
                     r"shrinking|shrank)\b", low):
            ent.direction = "bottom"
        if ent.dimension is None and (m := re.search(
                r"\b(stores?|regions?|countr(?:y|ies)|categor(?:y|ies)|channels?)\b", low)):
            ent.dimension = _dimension_named(m.group(1))
    before_versus = _VERSUS.split(q, maxsplit=1)[0]
    ent.period = resolve_period(before_versus, catalog.today)
    against = re.search(r"\b(?:vs\.?|versus|compared (?:to|with)|against) (?:the )?(?:last|"
                        r"previous) (week|month|quarter|year)\b", low)
    if ent.period is None and re.search(r"\b(yoy|year over year)\b", low):
        ent.period = resolve_period("this year", catalog.today)  # year to date vs last
    elif ent.period is None and against:  # "compared with last month": this one to date
        ent.period = resolve_period(f"this {against.group(1)}", catalog.today)
    elif ent.period is None:
        ent.period = resolve_period(q, catalog.today)
    if m := re.search(r"\b(black friday|cyber monday|christmas|xmas|thanksgiving|easter|"
                      r"holidays?|holiday season|back[- ]to[- ]school|boxing day|new year'?s?|"
                      r"prime day|singles'? day|ramadan|diwali|lunar new year|"
                      r"(spring|summer|autumn|fall|winter) (sale|season))\b", low):
        problems.append(f"dates '{m.group(1)}'")
    if ent.period is not None:
        ent.versus = _versus(q, ent, catalog.today)
    if m := re.search(r"\b(?:promo(?:tion(?:al)?)?|coupon|voucher|discount) code\s+"
                      r"([A-Z0-9][A-Z0-9_-]{2,})\b", q):
        ent.promo_code = m.group(1)
    else:
        for code in catalog.promo_codes:
            if len(code) > 3 and re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", q, re.I):
                ent.promo_code = code.upper()
                break
    if len(channels) > 1 and re.search(r"\b(vs\.?|versus|and|or|compared)\b", low):
        # "mobile vs web": the breakdown of those two (the online orders), "store vs web":
        # of every channel
        ent.channel = "online" if set(channels) == {"web", "mobile"} else None
        ent.dimension = "channel"
    ent.compare = bool(re.search(r"\b(compar\w*|vs\.?|versus|week before|month before|"
                                 r"day before|year before|previous period|change|growth|"
                                 r"against)\b", low))
    if m := re.search(r"\bwhich(?: of (?:our|the))?(?: (?!products?|items?|skus?|customers?|"
                      r"orders?|payments?)[\w'-]+){0,2}? (stores?|locations?|shops?|"
                      r"regions?|markets?|countr(y|ies)|categor(y|ies)|channels?|brands?)\b",
                      low):
        ent.dimension = _dimension_named(m.group(1))
        if re.search(r"\b(lowest|least|worst|weakest|smallest|fewest|bottom)\b", low):
            ent.direction = "bottom"
    elif m := re.search(r"\b(?:top|bottom|best|worst)(?:\s+\d{1,3})?\s+(?:performing\s+|"
                        r"selling\s+)?(stores?|regions?|categor(?:y|ies)|channels?|countr(?:y|ies)|"
                        r"brands?|locations?|markets?)\b|\b(stores?|regions?|categor(?:y|ies)|"
                        r"brands?) (?:ranked|ranking|performance)\b|\branking of (?:the )?(stores?|"
                        r"regions?|categor(?:y|ies)|brands?)\b", low):
        ent.dimension = _dimension_named(m.group(1) or m.group(2) or m.group(3))
        if re.search(r"\b(bottom|worst)\b", low):
            ent.direction = "bottom"
    elif re.search(r"\b(by|per|each|across|for all|for every) (stores?|locations?|shops?)\b|"
                   r"\bstores? breakdown\b", low):
        ent.dimension = "store"
    elif re.search(r"\b(by|per|each|across) (regions?|markets?)\b|\bregions\b", low):
        ent.dimension = "region"  # the stores' regions; web orders have none
    elif re.search(r"\b(by|per|each|across) (countr(y|ies))\b|\bcountries\b", low):
        ent.dimension = "country"
    elif re.search(r"\b(by|per|each|across) (categor(y|ies))\b|\bcategories\b", low):
        ent.dimension = "category"
    elif re.search(r"\b(by|per|each) (products?|skus?|items?)\b", low):
        ent.dimension = "product"
    elif re.search(r"\b(by|per|each|across) brands?\b|\bbrands\b", low):
        ent.dimension = "brand"
    elif re.search(r"\b(by|per|each|across) channels?\b|\bchannels\b", low):
        ent.dimension = "channel"
    if re.search(r"\b(which|what|top|best|worst|by|per|each|across) (\d+ )?(promo(tion(al)?)?|"
                 r"coupon|voucher|discount) codes?\b|\bpromo codes? (ranked|ranking)\b", low):
        ent.dimension, ent.promo = "promo_code", True  # "which promo code drove the most"
    if re.search(r"\b(daily|by day|per day|each day|day by day)\b", unbranded):
        ent.grain = "day"  # (not in a brand: "Daily Harvest")
    elif re.search(r"\b(weekly|by week|per week|each week|week by week)\b", unbranded):
        ent.grain = "week"
    elif re.search(r"\b(monthly|by month|per month|each month|month by month)\b", unbranded):
        ent.grain = "month"
    elif m := re.search(r"\b(?:best|worst|strongest|weakest|biggest|busiest|slowest) (day|week|"
                        r"month)\b(?![ -](?:over|on)\b)|\bwhich (day|week|month)\b", low):
        ent.grain = m.group(1) or m.group(2)  # "our best month this year": the trend by month
    if m := _TOP.search(q):
        ent.top_n = min(int(m.group(2)), MAX_TOP_N)
        ent.direction = "bottom" if m.group(1).lower() in ("bottom", "worst", "lowest") \
            else "top"
    elif m := re.search(r"\b(\d{1,3})\s+(most|best|top|highest|least|worst|lowest|"
                        r"bottom)\b", low):
        ent.top_n = min(int(m.group(1)), MAX_TOP_N)
        ent.direction = "bottom" if m.group(2) in ("least", "worst", "lowest", "bottom") \
            else "top"
    elif m := re.search(r"\b(least|most) (popular|sold|selling)\s+(\d{1,3})\b", low):
        ent.top_n = min(int(m.group(3)), MAX_TOP_N)
        ent.direction = "bottom" if m.group(1) == "least" else "top"
    elif re.search(r"\b(bottom|worst|least|slowest)\b", low):
        ent.direction = "bottom"
    if ent.metric == "revenue" and re.search(
            r"\b(units?|quantity|quantities|volume|most sold|sold the most|least sold|"
            r"pieces)\b", low):
        ent.metric = "units"
    if m := re.search(r"\bnext\s+(\d{1,4})\s+(day|week|month)s?\b", low):
        ent.horizon_days = min(MAX_HORIZON_DAYS, int(m.group(1)) * {
            "day": 1, "week": 7, "month": 30}[m.group(2)])
    elif re.search(r"\bnext quarter\b", low):
        ent.horizon_days = 91
    elif re.search(r"\bnext year\b|\bnext 12 months\b", low):
        ent.horizon_days = MAX_HORIZON_DAYS
    elif re.search(r"\bnext week\b", low):
        ent.horizon_days = 7
    elif re.search(r"\bnext month\b", low):
        ent.horizon_days = 30
    return ent, problems


_WEEKDAYS = frozenset(d.lower() for d in (*calendar.day_name, *calendar.day_abbr))
_VOCABULARY = frozenset((*_KEYWORDS, "all", "last", "this", "next", "previous", "week",
                         "month", "year", "quarter", "day", "today", "mobile", "app", "web",
                         "website", "online", "promo", "promotion", "code", "codes",
                         "warehouse", "warehouses", "fy", "total", "unit", "units", "brand",
                         "brands", "customer", "our", "my", "every", "each", "item", "items",
                         "sku", "skus", "stock", "inventory", "net", "gross", "in-store",
                         "physical", "retail", "ecommerce", "e-commerce", "guest", "guests"))
"""Ordinary words of a question, never taken for a place in Title Case ("Revenue For Last
Month", "Sales for All Stores")."""
_NOT_NAMES = re.compile(r"(?i)^(q[1-4]|h[12]|ytd|mtd|wtd|qtd|yoy|wow|aov|sku\b.*|ord-?\d.*|"
                        r"c\d{7}|stores?|total|all|web|website|online|mobile|app|the|our|"
                        r"each|every|any|i|me|us)$")


_PERIOD_WORDS = frozenset((
    "compare", "vs", "vs.", "versus", "and", "with", "to", "against", "the", "of", "this",
    "last", "previous", "same", "month", "week", "quarter", "year", "day", "h1", "h2", "q1",
    "q2", "q3", "q4", "ytd", "mtd", "qtd", "wtd", "first", "second", "half", "?"))


def _compares_periods_only(low: str) -> bool:
    """Whether ``low`` is only periods compared ("compare Q3 2026 vs Q3 2025"): without a
    subject it is about sales, where "compare inventory ..." is about something else."""
    words = re.findall(r"[\w.?-]+", low)
    return bool(words) and words[0] == "compare" and all(
        w in _PERIOD_WORDS or w in _MONTHS or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", w)
        for w in words)


def _unknown_name(q: str, catalog: Catalog) -> str | None:
    """A capitalised name after "in", "at", "for", "from" or "about" that is no store, place,
    category, brand, currency, month or day the planner knows: most often a city without
    a store ("sales in Munich"), where the answer for everything would mislead."""
    import pycountry

    known = {*catalog.places, *(c.lower() for c in catalog.categories),
             *(b.lower() for b in catalog.brands), *(p.lower() for p in catalog.promo_codes),
             *_MONTHS, *_WEEKDAYS}
    store_words = " ".join(_plain(label.lower()) for label in catalog.stores.values())
    for m in re.finditer(r"\b(?i:in|at|for|from|about)\s+(?:the\s+)?([A-Z][\w'.&-]*"
                         r"(?:(?:\s+|\s*,\s*|\s+(?:and|or)\s+)[A-Z][\w'.&-]*)*)", q):
        for name in re.split(r"\s*,\s*|\s+(?:and|or)\s+", m.group(1)):
            name = name.rstrip(".'")  # each of "Berlin and Munich"
            low = _plain(name.lower())
            words = low.split()
            if (low in known or words[0] in known or _NOT_NAMES.match(low)
                    or words[0] in _VOCABULARY or any(c.isdigit() for c in low)
                    or re.search(rf"\b{re.escape(low)}\b", store_words)
                    or pycountry.currencies.get(alpha_3=name.upper()) is not None
                    or _names_category_of(catalog, low)):
                continue
            return name
    return None


def _names_category_of(catalog: Catalog, low: str) -> bool:
    return any(_names_category(category, low) for category in catalog.categories)


COUNTRY_ALIASES = {"US": ("usa", "the us", "united states"),
                   "GB": ("uk", "britain", "great britain", "england", "united kingdom")}
"""Everyday names of countries that ISO's names miss (lower case)."""

PLACE_ALIASES = {"apac": "asia pacific", "asia-pacific": "asia pacific", "nyc": "new york",
                 "emea": "europe", "latam": "latin america"}
"""Short names of regions and cities (lower case) -> the name the stores table uses."""


def _iso_country(code: str) -> Any:
    """pycountry's record of the country with ISO code ``code`` (None if unknown)."""
    import pycountry

    return pycountry.countries.get(alpha_2=code.upper())


def country_names(code: str) -> list[str]:
    """Lower-case names of the country with ISO code ``code`` (none if unknown)."""
    country = _iso_country(code)
    if country is None:
        return []
    names = {getattr(country, a, "") for a in ("name", "common_name", "official_name")}
    return sorted({n.lower() for n in names if n} | set(COUNTRY_ALIASES.get(code.upper(), ())))


def country_label(code: str) -> str:
    """The everyday name of the country with ISO code ``code`` ("United States")."""
    country = _iso_country(code)
    return str(getattr(country, "common_name", country.name)) if country else code


def _plain(text: str) -> str:
    """``text`` without accents ("kurfürstendamm" -> "kurfurstendamm")."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _store_numbers(q: str, catalog: Catalog) -> list[str]:
    """Store numbers a question names: "store 3", "stores 0003 and 0005", "at 0003" (four
    digits that are a store's id)."""
    m = re.search(r"\bstores?\s*(?:#|no\.?|number)?\s*(\d{1,4})((?:\s*(?:,|and|&|or|vs\.?)"
                  r"\s*(?:store\s*)?#?\d{1,4}\b)*)", q, re.I)
    if m:
        return [f"{int(n):04d}" for n in [m.group(1), *re.findall(r"\d{1,4}", m.group(2))]]
    bare = re.search(r"\b(?:at|in|for)\s+#?(\d{4})\b", q)
    return [bare.group(1)] if bare and bare.group(1) in catalog.stores else []


def _without_names(low: str, names: Iterable[str | None]) -> str:
    """``low`` with the catalogue ``names`` it holds taken out, so words inside a brand or
    category name ("Daily Harvest", "Lantern Books") are not read as keywords."""
    for name in names:
        if name:
            low = re.sub(rf"\s*\b{re.escape(name.lower())}\b", "", low)
    return low


def _stores_called(word: str, catalog: Catalog) -> list[str]:
    """The one store whose name has ``word`` in it, but not its city or a street word
    ("oxford" -> Oxford Street); none when the word is in several names."""
    generic = {"shopsight", "street", "avenue", "road", "store", "the"}
    found = [store_id for store_id, label in catalog.stores.items()
             if word not in generic and word not in _plain(label.partition(", ")[2].lower())
             and word in _plain(label.partition(", ")[0].lower()).split()]
    return found if len(found) == 1 else []


def _street_pattern(name: str) -> str:
    """A regex for a store name that accepts "st"/"st." for "street" and "ave" for
    "avenue"."""
    pattern = re.escape(name)
    for word, short in (("street", r"st\.?"), ("avenue", r"ave\.?"), ("road", r"rd\.?")):
        pattern = re.sub(rf"\b{word}\b", f"(?:{word}|{short})", pattern)
    return pattern


def _names_category(category: str, low: str) -> bool:
    """Whether ``low`` names ``category``: its name, its plural ("groceries"), or its
    singular used as a noun ("toy sales", "in book"), not a verb ("did we book")."""
    name = category.lower()
    stem = name[:-1] if name.endswith("s") else name
    plural = stem[:-1] + "ies" if stem.endswith("y") else stem + "s"
    if re.search(rf"\b({re.escape(name)}|{re.escape(plural)})\b", low):
        return True
    return bool(re.search(rf"(\b(in|for|of|the)\s+{re.escape(stem)}\b|\b{re.escape(stem)}"
                          r"\s+(sales|revenue|products?|items?|category|section|department|"
                          r"units?|orders?|sold)\b)", low))


_YEAR_EARLIER = "the same dates a year earlier"


def _versus(question: str, ent: Entities, today: date) -> Period | None:
    """The comparison ``question`` names for ``ent.period``, if not the period before: the
    same day(s) a week or a year earlier, or a second period ("Q3 2025 vs Q3 2026": the
    later one is answered, against the earlier)."""
    period = ent.period
    assert period is not None
    low = question.lower()
    if re.search(r"\bsame (day|days|weekday)s? (of )?last week\b|\bweek before\b.*\bsame day", low):
        return Period(period.start - timedelta(days=7), period.end - timedelta(days=7),
                      "the same day of the week before" if period.days == 1
                      else "the same days of the week before", period.kind)
    if re.search(r"\bsame (day|days|week|month|quarter|period|time|dates?) (of |in )?last "
                 r"year\b|\b(a|one) year (ago|earlier|before)\b|\byear over year\b|\byoy\b|"
                 r"\b(vs\.?|versus|compared (to|with)|against) last year\b", low):
        start = _safe_replace_year(period.start, period.start.year - 1)
        end = _safe_replace_year(period.end, period.end.year - 1)
        return Period(start, end, _YEAR_EARLIER, period.kind)
    parts = _VERSUS.split(question, maxsplit=1)
    if len(parts) == 2:
        years = [re.search(r"\b(?:19|20)\d{2}\b", part) for part in parts]
        if bool(years[0]) != bool(years[1]):  # "the first quarter vs the second of 2025"
            year = (years[0] or years[1]).group(0)  # type: ignore[union-attr]
            parts = [part if found or re.search(r"\b(last|this|next|previous|past|ago)\b",
                                                part, re.I) or not re.search(
                rf"\b(q[1-4]|h[12]|quarter|half|{_MONTH_WORDS})\b", part, re.I)
                else f"{part.rstrip()} {year}" for part, found in zip(parts, years, strict=True)]
        first, second = (resolve_period(part, today) for part in parts)
        if first and second and (first.start, first.end) != (second.start, second.end):
            later, earlier = (first, second) if first.start > second.start else (second, first)
            ent.period = later
            if (earlier.start, earlier.end) == (later.previous().start,
                                                later.previous().end) or (
                    earlier.kind == later.kind and earlier.start == later.previous().start):
                return None  # the usual comparison, clipped to the same days
            if earlier.kind == later.kind and later.end == today and (
                    later.end - later.start) < (earlier.end - earlier.start):
                end = earlier.start + (later.end - later.start)  # a period to date: the
                return Period(earlier.start, end, f"{earlier.label} (same days)",  # same days
                              earlier.kind)
            return earlier
    return None


_REGIONS_OF_THE_WORLD = ("south america", "latin america", "central america", "africa",
                         "middle east", "oceania", "caribbean", "scandinavia", "nordics",
                         "asia", "europe", "north america", "asia pacific")


def _country_named(question: str) -> str | None:
    """A country or part of the world named in ``question``, for one no store is in."""
    import pycountry

    low = question.lower()
    for region in _REGIONS_OF_THE_WORLD:
        if re.search(rf"\b{region}\b", low):
            return region.title()
    for country in pycountry.countries:
        for name in {country.name, getattr(country, "common_name", country.name),
                     *COUNTRY_ALIASES.get(country.alpha_2, ())}:
            if len(name) > 3 and re.search(rf"\b{re.escape(name.lower())}\b", low):
                return str(country.name)
    return None


# Words the planner cannot honour yet: answering without them would mislead, so it says
# what it cannot do instead (or hands the question to the LLM when one is configured).
_UNHONOURED: tuple[tuple[str, str], ...] = (
    (r"\b(gross )?margins?\b|\bprofit\w*|\bcogs\b|\bcost of goods\b|\bmarkups?\b",
     "margins or profit"),
    (r"\b(share|proportion|fraction)s? of\b|\bratios?\b|\bwhat (percent(age)?|%) of\b|"
     r"\b(return|refund|cancell?ation|conversion|churn|repeat[- ]purchase|retention|"
     r"attach|sell[- ]through) rates?\b", "shares, percentages or rates"),
    (r"\b(average|avg|mean|median)\b", "averages other than the average order value"),
    (r"\b(new|first[- ]time|returning|repeat|loyal) (customers?|buyers?|shoppers?)\b|"
     r"\bsign[- ]?ups?\b|\brepeat (purchases?|buyers?)\b", "new or returning customers"),
    (r"\b(rent|shipping costs?|marketing|expenses?|costs?|budget|targets?|quotas?|"
     r"competitors?|payroll|salar(y|ies)|wages?)\b|\b(spend|spent|pay|paid) on\b",
     "costs, budgets, targets or competitors"),
    (r"\banomal\w*|\boutliers?\b|\bunusual (sales|days?|revenue)\b",
     "sales anomalies (the daily analysis reports them: /sales/reports)"),
    (r"\b(declined|authori[sz]ed|captured|charged ?back)( card)? (payments?|transactions?)\b|"
     r"\bpayments? (that )?(were|was|got) (declined|authori[sz]ed|captured)\b|"
     r"\bchargebacks?\b|\bdeclines\b", "payment statuses"),
    (r"\bwhat will (sales|revenue)\b|\b(sales|revenue) (forecast|will be)\b|"
     r"\bforecast (total )?(sales|revenue)\b", "a forecast of total sales (forecasts are "
     "per product, e.g. SKU-00123 next 30 days)"),
    (r"\bper (customer|head|capita|employee|square (foot|feet|meters?|metres?))\b|"
     r"\bfoot ?(fall|traffic)\b|\bstaff\b|\bemployees?\b|\bweather\b",
     "data the lake does not hold (per customer, staff, traffic or weather)"),
    (r"\bguests?\b|\b(anonymous|unregistered|logged[- ]in|registered) (customers?|orders?|"
     r"buyers?)\b", "guest or registered customers"),
    (r"\b(who|that) (live|lives|living|reside|resides|are based|is based)\b|\bliving in\b",
     "where customers live (a place is the stores they bought at)"),
    (r"\b(orders?|baskets?|transactions?|sales) (over|above|under|below|of more than|of less "
     r"than|bigger than|larger than|smaller than|worth more than) (?:[$€£¥]\s?\d|(?!(?:19|20)"
     r"\d\d\b)\d[\d,.]*\s?(?:k\b)?(?!\s*(?:days?|weeks?|months?|years?|quarters?|orders?|"
     r"items?|units?)\b))|\b(more|less|greater|fewer) than [$€£¥]\d",
     "orders above or below an amount"),
    (r"\bweekends?\b(?! (?:of|before last)\b)(?<!last weekend)(?<!past weekend)"
     r"(?<!previous weekend)(?<!\d weekends)(?<!two weekends)(?<!three weekends)"
     r"(?<!four weekends)|\bweekdays?\b|\bworking days?\b|\bbusiness days?\b|"
     r"\b(in|during|by|per|each|every) (the )?(mornings?|evenings?|nights?|afternoons?|"
     r"hours?)\b|\b(morning|evening|night|afternoon|hourly) (sales|revenue|orders)\b|"
     r"\bhours? of the day\b|\bhourly\b", "days of the week or times of day"),
    (r"\b(in|paid in|by|per) (eur|euros?|gbp|pounds?|jpy|yen|currency|"
     r"currencies|local currency)\b", "currencies (every amount is converted to USD)"),
    (r"\bdiscontinued\b|\bnew (products?|items?|arrivals?|launches?)\b",
     "product launches or discontinued products"),
    (r"\b(including|with|plus|and) (the )?(cancell?ed|returned|refunded) (orders?|ones?|sales)\b",
     "cancelled, returned or refunded orders together with sales (ask for them apart)"),
    (r"\b(by|per|each) (payment method|payment type|card type|card brand|method of payment|"
     r"subcategor(y|ies)|sub-categor(y|ies)|city|cities|age|gender|segment)\b|"
     r"\bsubcategor(y|ies)\b", "that breakdown (by store, region, country, category, brand, "
     "product or channel only)"),
)


_STORES_NAMED = ("store_id", "store_ids", "place", "places")
_PRODUCTS_NAMED = ("category", "categories", "brand", "brands")
_NARROWS: dict[Intent, frozenset[str]] = {
    Intent.SALES: frozenset({*_STORES_NAMED, *_PRODUCTS_NAMED, "channel", "product_id",
                             "status", "promo", "promo_code", "customer_id"}),
    Intent.TOP_PRODUCTS: frozenset({*_STORES_NAMED, *_PRODUCTS_NAMED, "channel", "status",
                                    "promo", "promo_code"}),
    Intent.TOP_CUSTOMERS: frozenset({*_STORES_NAMED, "channel", "status", "promo",
                                     "promo_code"}),
    Intent.REVENUE_TREND: frozenset({*_STORES_NAMED, *_PRODUCTS_NAMED, "channel", "product_id",
                                     "status", "promo", "promo_code"}),
    Intent.LOW_STOCK: frozenset({*_STORES_NAMED, *_PRODUCTS_NAMED, "product_id", "warehouse"}),
    Intent.FORECAST: frozenset({"product_id", *_PRODUCTS_NAMED}),
    Intent.SUSPICIOUS_PAYMENTS: frozenset(),
    Intent.ANOMALIES: frozenset({"store_id", "store_ids"}),
    Intent.CHURN: frozenset(),
    Intent.CUSTOMER_SUMMARY: frozenset({"customer_id"}),
    Intent.CUSTOMER_COUNT: frozenset({*_STORES_NAMED, "channel", "promo", "promo_code"}),
    Intent.RECOMMENDATIONS: frozenset({"customer_id"}),
}
"""What each plan can narrow its answer by; anything else a question names is refused."""

_NARROWING_INTENTS = frozenset((Intent.SALES, Intent.TOP_PRODUCTS, Intent.TOP_CUSTOMERS,
                                Intent.REVENUE_TREND, Intent.LOW_STOCK))
"""Answers over the orders or the stock, which stores, places and products narrow."""

_NARROWING_WORDS = {"store_id": "a store", "store_ids": "several stores",
                    "warehouse": "the warehouses", "place": "a place", "places": "places",
                    "category": "a category", "categories": "categories", "brand": "a brand",
                    "brands": "brands", "channel": "a channel", "product_id": "a product",
                    "status": "an order status", "promo": "a promo code",
                    "promo_code": "a promo code", "customer_id": "a customer",
                    "order_id": "an order"}


def _not_narrowed(intent: Intent, ent: Entities) -> list[str]:
    """What ``ent`` names that a plan of ``intent`` would leave out of its answer."""
    allowed = _NARROWS.get(intent)
    if allowed is None:
        return []
    named = [name for name in _NARROWING_WORDS if getattr(ent, name) not in (None, False)]
    left = sorted({_NARROWING_WORDS[n] for n in named if n not in allowed})
    if intent is Intent.REVENUE_TREND and ent.metric not in ("revenue", "growth"):
        left.append("units or order counts")
    if intent is Intent.TOP_CUSTOMERS and ent.metric not in ("revenue", "orders"):
        left.append("anything but spend or orders")
    if intent in (Intent.REVENUE_TREND, Intent.CUSTOMER_COUNT) and ent.dimension not in (
            None, "total"):
        left.append(f"a breakdown by {ent.dimension.replace('_', ' ')}")
    if intent is Intent.CUSTOMER_COUNT and any(kind == "region" for kind, _ in places_of(ent)):
        left.append("a region (customers have a country and a city)")
    if intent in (Intent.TOP_PRODUCTS, Intent.TOP_CUSTOMERS) and (
            ent.versus is not None or ent.compare):
        left.append("a comparison with another period (a ranking is of one period)")
    return left


def _unhonoured(low: str, ent: Entities, intent: Intent | None = None) -> list[str]:
    """What of ``low`` a sales, product or trend answer would silently leave out."""
    found = []
    for pattern, what in _UNHONOURED:
        if re.search(pattern, low) and not (
                what.startswith("averages") and ent.metric == "order_value") and not (
                what.startswith("guest") and intent is Intent.TOP_CUSTOMERS):
            found.append(what)
    return found


_INTENT_RULES: tuple[tuple[Intent, str], ...] = (
    (Intent.RECOMMENDATIONS, r"\brecommend\w*|\bsuggest\w* (products?|items?)|"
     r"\bcross[- ]sell|\bup[- ]?sell|\bwhat (else )?(should|could|would|might) .* buy\b|"
     r"\bnext best (product|offer)"),
    (Intent.CHURN, r"\bchurn\w*|\blikely to (leave|lapse|stop)|\bat[- ]risk customers?|"
     r"\blapsed|\bstopped (buying|shopping)|\bwin[- ]?back|\bcustomers? (at risk|we are "
     r"losing)"),
    (Intent.FORECAST, r"\bforecast\w*|\bpredict\w*|\bprojected? demand|\bdemand for\b|"
     r"\bhow many .* will (we )?sell|\bexpected (demand|sales) (for|of)\b"),
    (Intent.SUSPICIOUS_PAYMENTS, r"\bsuspicious|\bfraud\w*|\bflagged payments?|"
     r"\brisky (payments?|transactions?)|\bunusual (payments?|transactions?)"),
    (Intent.ANOMALIES, r"\banomal\w*|\b(sales |revenue )?(spikes?|collapses?|outliers?)\b|"
     r"\bunusual (sales|days?|revenue|stores?)\b|\b(anything|something) (unusual|odd|"
     r"strange|wrong)\b|\bwhat went wrong\b"),
    (Intent.LOW_STOCK, r"\blow[- ]stock|\bout[- ]of[- ]stock|\bstock[- ]?outs?|\breorder\w*|"
     r"\bsold out\b|"
     r"\brunning (low|out)|\brestock|\bbelow (the )?reorder|\binventory (levels?|status)|"
     r"\bstock levels?|\bneed to order|\blow (on|in) (stock|inventory)|\bon hand\b|"
     r"\bstock position\b|\b(stock|inventory) (of|for)\b|\bin stock\b|"
     r"\bhow (much|many) (of )?sku[- ]?\d+\b.{0,20}\bleft\b"),
    (Intent.SALES, r"\b(top|bottom|best|worst)(\s+\d{1,3})?\s+(performing\s+|selling\s+)?(stores?|"
     r"regions?|categor(y|ies)|channels?|countr(y|ies)|brands?|locations?|markets?)\b|"
     r"\b(stores?|regions?|categor(y|ies)|brands?) (ranked|ranking)\b|\branking of (the )?"
     r"(stores?|regions?|categor(y|ies)|brands?)\b"),
    (Intent.TOP_CUSTOMERS, r"\b(top|best|biggest|largest|most valuable|highest[- ]spending|"
     r"bottom|smallest)\b(\s+\d{1,3})?\s+(customers?|clients?|buyers?|shoppers?)\b|"
     r"\b(customers?|clients?) (who|that) (spent|spend|bought|ordered) the most\b|"
     r"\bwhich (customers?|clients?|buyers?|shoppers?)\b.{0,40}\b(most|highest|biggest|"
     r"largest)\b|"
     r"\bwho (are|were) our (best|top|biggest) customers"),
    (Intent.CUSTOMER_COUNT, r"\bhow many (new |active |unique |distinct |different |"
     r"first[- ]time |repeat |returning )?(customers|clients|shoppers|buyers)\b|\bnumber of "
     r"(new |active |unique |distinct |first[- ]time )?(customers|clients|shoppers|buyers)\b|"
     r"\bnew (customers|clients|shoppers|buyers|sign[- ]?ups)\b|\bcustomer (count|base)\b|"
     r"\bsign[- ]?ups?\b|\bsigned up\b|\bregistrations?\b|\bactive (customers|buyers)\b|"
     r"\bfirst[- ]time (customers|buyers|shoppers)\b|\bcustomer acquisition\b"),
    (Intent.ORDER_STATUS, r"\bstatus of (my |the |an )?order|\border status|"
     r"\bwhere is (my |the )?order|\btrack\w* (my |the )?order|\border\s+ORD-|\bORD-\d"),
    (Intent.TOP_PRODUCTS, r"\b(top|bottom|best|worst)[- ]?(\d+ )?(selling|sellers?|"
     r"performing|products?|items?|skus?)|\bbest[- ]sellers?|\bmost (sold|popular)|"
     r"\bsold the most|\bslowest|\bleast (sold|popular)|\b(top|bottom) \d+\b"),
    (Intent.REVENUE_TREND, r"\btrend\w*|\bover time|\b(daily|weekly|monthly) ([\w&'-]+ ){0,3}"
     r"(sales|revenue)|\bwhich (day|week|month)\b.*\b(highest|lowest|most|least|best|"
     r"worst)\b|\b(sales|revenue) (by|per) (day|week|month)\b|\b(best|worst|strongest|"
     r"weakest|biggest|busiest|slowest) (day|week|month)\b(?![ -](over|on)\b)"),
    (Intent.SALES, r"\bsales|\brevenue|\bturnover|\bsold|\bsell\b|\bhow much did (we|the store)|"
     r"\bperformance|\bincome|\bearn\w*|\bnumber of orders|\bhow many (?!customers|people|"
     r"users|clients|buyers|shoppers)(\w+ ){0,2}orders|\bhow much did .{1,40} (make|bring in)\b|"
     r"\bhow (did|is|was|are|were) .{1,40} (do|doing|perform\w*)\b|\bgrow\w*\b|\bgrew\b|"
     r"\bperform\w*\b|\bmost orders\b|\bfewest orders\b|"
     r"\bdeclin\w*|\bdropped\b"),
    (Intent.CUSTOMER_SUMMARY, r"\bcustomer\b|\bclient\b|\bspent\b|\bspend\b"),
)


def _classify(low: str, ent: Entities) -> Intent | None:
    for intent, pattern in _INTENT_RULES:
        if re.search(pattern, low, re.I):
            if intent is Intent.CUSTOMER_SUMMARY and not ent.customer_id:
                continue
            if intent is Intent.ANOMALIES and (ent.order_id or ent.customer_id):
                continue  # "anything wrong with order ORD-...": that order, not the stores
            if intent is Intent.CUSTOMER_COUNT and re.search(
                    r"\b(sales|revenue|turnover|spen[dt])\b", low) and not re.search(
                    r"\bhow many\b|\bnumber of\b|\bcount\b", low):
                continue  # "sales to new customers": sales, not a count of customers
            if intent is Intent.SALES and ent.order_id and not ent.store_id:
                return Intent.ORDER_STATUS
            return intent
    if ent.order_id:
        return Intent.ORDER_STATUS
    if ent.customer_id:
        return Intent.CUSTOMER_SUMMARY
    return None


_PICK_WORDS = (("store_id", r"stores?|shops?|locations?", "store 0003"),
               ("product_id", r"products?|items?|skus?", "SKU-00010"),
               ("customer_id", r"customers?|clients?|buyers?|shoppers?", "C0000881"),
               ("order_id", r"orders?|payments?", "ORD-000010482"),
               ("category", r"categor(?:y|ies)", "Electronics"))
"""(entity, the words that name one, an example) of what a question can point back to."""
_REFERRED_INTENT = {"customer_id": Intent.CUSTOMER_SUMMARY, "order_id": Intent.ORDER_STATUS,
                    "product_id": Intent.SALES, "store_id": Intent.SALES,
                    "category": Intent.SALES}


def _referred_back(low: str, ent: Entities, previous: Plan | None) -> str | None:
    """Fill what "that store", "the first one" or "its" refer to from the row the last
    answer named; the entity filled, if any."""
    picks = previous.entities.picks if previous is not None else None
    if not picks:
        return None
    for key, words, _ in _PICK_WORDS:
        if key in picks and getattr(ent, key) is None and re.search(
                rf"\b(that|this|the same|the top|the first|the best|the worst|the "
                rf"(highest|lowest|biggest|busiest|weakest)|#?1)\s+({words})\b", low):
            setattr(ent, key, picks[key])
            return key
    main = next(iter(picks))
    if getattr(ent, main) is None and (re.search(
            r"\b(the first|the top|that|this|the last) one\b|\bnumber one\b|\bthe winner\b|"
            r"\b#1\b", low) or (main in ("store_id", "customer_id") and re.search(
                r"\b(its|their|they|he|she|him|her)\b", low))):
        setattr(ent, main, picks[main])
        return main
    return None


def plan_question(question: str, catalog: Catalog, previous: Plan | None = None) -> Plan:
    """Decide what to do with ``question``; ``previous`` is the last answered plan."""
    question = _normalised(question, catalog)
    ent, problems = _entities(question, catalog)
    low = question.lower()
    referred = _referred_back(low, ent, previous)
    for key, words, example in _PICK_WORDS:  # "that store" when the last answer named none
        if getattr(ent, key) is None and re.search(rf"\b(that|the same)\s+({words})\b", low):
            noun = key.removesuffix("_id")
            return Plan(Intent.CLARIFY, ent, message=(
                f"Which {noun}? The last answer named none: name it (e.g. {example})."))
    # "Daily Harvest sales" is no daily trend, "top Voltix products" are top products
    intent = _classify(_without_names(low, (*(ent.brands or (ent.brand,)),
                                            *(ent.categories or (ent.category,)))), ent)
    if referred is not None and previous is not None:
        # "tell me about the first one", "top products at that store": about the row the
        # last answer named, over the same period unless one is named
        intent = intent or _REFERRED_INTENT[referred]
        ent.period = ent.period or previous.entities.period
    mentions = any(getattr(ent, k) is not None for k in (
        "store_id", "category", "channel", "period", "dimension", "grain", "top_n",
        "product_id", "customer_id", "horizon_days", "place", "brand", "status",
        "promo_code")) or ent.promo or bool(problems) or ent.metric != "revenue" or (
        ent.direction != "top")
    if previous is not None and _BARE_RANKING.fullmatch(low):
        intent = None  # "bottom 5?" after a store ranking: that ranking turned round
    # "bottom 5 instead", "same but top 3": the last plan with one thing changed
    changes_one_thing = previous is not None and intent is previous.intent and bool(
        re.search(r"\binstead\b|^\s*(same|ok|okay|now|and)\b", low))
    follow = previous is not None and previous.intent not in (
        Intent.CLARIFY, Intent.UNSUPPORTED, Intent.FREE_SQL) and (
        (intent is None and (mentions or bool(_FOLLOW_UP.search(question))))
        or changes_one_thing
        or (bool(_FOLLOW_UP.search(question)) and intent in (
            Intent.SALES, Intent.CUSTOMER_SUMMARY) and previous.intent is not intent
            and not re.search(r"\b(sales|revenue)\b", low)))
    if follow and previous is not None and ent.customer_id and "customer_id" not in (
            _NARROWS.get(previous.intent) or frozenset()) and not any(
            getattr(ent, k) is not None for k in ("store_id", "category", "product_id",
                                                  "place", "brand", "channel")):
        intent, follow = Intent.CUSTOMER_SUMMARY, False  # "what about C0002256?": that
        # customer, where the last answer (top products, stock) cannot be narrowed by one
    answered = previous is not None and previous.intent in _NARROWING_INTENTS
    comparison_only = answered and previous is not None and previous.entities.period is not None \
        and previous.intent in (Intent.SALES, Intent.REVENUE_TREND) \
        and bool(_COMPARISON_ONLY.fullmatch(low))
    # "how many orders was that?", "which one grew the most?": a short question without a
    # period of its own goes on from the last answer (its period, store, category...)
    short = answered and previous is not None and not follow and ent.period is None and (
        intent is not None or mentions or ent.compare) and (
        len(low.split()) <= 8) and intent in (None, Intent.SALES, previous.intent) and not (
        ent.customer_id or ent.order_id) and not re.search(r"\b(sales|revenue)\b", low)
    if comparison_only and previous is not None:
        ent = replace(previous.entities)
        ent.versus = _versus(question, ent, catalog.today)
        return Plan(previous.intent, ent, follow_up=True)
    if short and previous is not None:
        keep = intent is None or re.match(r"\s*(and |but |now )?by\b", low)
        ent = _merge(previous.entities, ent, question)
        intent = previous.intent if keep else intent
        follow = True
    elif follow and previous is not None:
        ent = _merge(previous.entities, ent, question)
        intent = previous.intent
    if intent is Intent.SALES and re.search(r"\b(by|per|each|every) (day|week|month)\b", low):
        intent, ent.dimension = Intent.REVENUE_TREND, None  # "sales of Electronics by week",
        # "and online only, by month": a trend, not the total
    if intent is Intent.REVENUE_TREND and (ent.categories or ent.brands or ent.places
                                           or ent.store_ids):
        ent.dimension = None  # "weekly Toys and Books sales": the trend of them together
    if follow and intent is Intent.REVENUE_TREND and re.search(
            r"\b(all|every) (stores?|categor\w+|brands?|regions?|countr\w+|channels?)\b", low):
        ent.dimension = None  # "and for all categories?": the trend, not a breakdown
    if previous is not None and re.search(r"\b(it|its|this|that|the same)\b", low):
        # "forecast it for the next 2 weeks": the product (or customer) talked about
        if intent is Intent.FORECAST and not ent.product_id:
            ent.product_id = previous.entities.product_id
        if intent in (Intent.RECOMMENDATIONS, Intent.CUSTOMER_SUMMARY) and not ent.customer_id:
            ent.customer_id = previous.entities.customer_id
    if problems:
        return Plan(Intent.CLARIFY, ent, message=_unresolved(problems, catalog))
    if intent is Intent.FORECAST and ent.period is not None and ent.period.end <= (
            catalog.today) and not re.search(r"\b(forecast\w*|predict\w*|project\w*|next|will|"
                                             r"expect\w*|upcoming|future|coming)\b", low):
        intent, ent.metric = Intent.SALES, "units"  # "what was the demand ... last month"
    if intent is Intent.FORECAST and ent.horizon_days is None and (month := re.search(
            rf"\b(?:in|for|during|over|of)\s+({_MONTH_WORDS})\b", low)):
        first = date(catalog.today.year, _MONTHS[month.group(1)], 1)
        if first <= catalog.today:
            first = date(first.year + 1, first.month, 1)
        days = (month_end(first) - catalog.today).days
        return Plan(Intent.CLARIFY, ent, message=(
            f"I forecast from the day after the data's last date ({catalog.today}) for a "
            f"number of days, not for a month on its own: ask for the next {days} days to "
            f"reach the end of {calendar.month_name[first.month]} {first.year}."))
    orders = re.findall(r"\border\s*(?:#|no\.?|number|:)?\s*#?(\d{3,9})\b|\bORD-?(\d{1,9})\b",
                        question, re.I)
    for found, what in (({int(a or b) for a, b in orders}, "order"),
                        (set(_CUSTOMER.findall(question)), "customer"),
                        ({int(n) for n in _SKU.findall(question)}, "product")):
        if len(found) > 1:  # "order 10482 and order 151693"
            return Plan(Intent.CLARIFY, ent, message=(
                f"I answer for one {what} at a time, and answering for the first alone "
                f"would leave the others out: ask for each {what} on its own."))
    if intent in (Intent.SUSPICIOUS_PAYMENTS, Intent.CHURN, Intent.LOW_STOCK) and re.search(
            r"\b(over|above|under|below|more than|less than|at least|at most)\s+[$€£¥]?\d|"
            r"\b(in|paid in) (usd|eur|gbp|jpy|dollars?|euros?|pounds?|yen)\b|\bon order\b|"
            r"\bwho (spent|bought|ordered)\b|\bchurned (last|in|during)\b", low):
        return Plan(Intent.UNSUPPORTED, ent, confident=False, message=(
            "I can't narrow that list by an amount, a currency, what is on order or a past "
            "period yet, and the whole list would mislead, so I won't give it. Ask for the "
            "list itself (e.g. 'suspicious payments last week'), and narrow it in the table."))
    if intent is None and (ent.status or ent.metric in ("order_value", "growth")
                           or ent.dimension == "promo_code" or (
            ent.period is not None and (ent.compare or ent.versus is not None) and (
                any(getattr(ent, k) for k in (*_STORES_NAMED, *_PRODUCTS_NAMED))
                or _compares_periods_only(low)))):
        intent = Intent.SALES  # "how many orders were refunded", "average order value"
    if intent is Intent.TOP_PRODUCTS and re.search(
            r"\bwhich (brand|categor\w*|store|region|countr\w*|channel)s?\b", low):
        intent = Intent.SALES  # "which brand sold the most": a ranking of brands
    narrowing = intent in _NARROWING_INTENTS
    negatable = re.sub(r"\b(net of|excluding|without|not including|minus|after) (refunds?|"
                       r"returns?|cancell?ations?|cancelled orders|returned orders|refunded "
                       r"orders)\b", " ", low)
    if narrowing and re.search(r"\b(exclud\w*|except|other than|apart from|besides|but not|"
                               r"without|non[- ]\w+|not (in|at|from|on|the|including))\b|"
                               r"\bno (coupon|promo|voucher|discount)", negatable) and (
            any(getattr(ent, k) for k in (*_STORES_NAMED, *_PRODUCTS_NAMED)) or ent.promo
            or ent.channel or ent.status or ent.product_id):
        return Plan(Intent.UNSUPPORTED, ent, confident=False, message=(
            "I can't leave a store, place, category, channel, status or promo code out yet "
            "('excluding', 'without', 'except'), and answering for it instead would be "
            "wrong. Ask for it on its own, or broken down (e.g. 'sales by category last "
            "month'), and take it from the total."))
    if narrowing and (name := _unknown_name(question, catalog)):
        return Plan(Intent.CLARIFY, ent, message=_unresolved([f"name {name}"], catalog))
    if intent is not None and (places_of(ent) or ent.store_id or ent.store_ids or ent.dimension in (
            "store", "region", "country")) and ent.channel in ("online", "web", "mobile"):
        return Plan(Intent.CLARIFY, ent, message=(
            "Web and app orders have no store, so they have no store country, region or "
            "city: I can give online sales overall, or the sales of the stores "
            + (f"in {' and '.join(v for _, v in places_of(ent))}." if places_of(ent)
               else "(by store, region or country) — ask for the two apart.")))
    if intent is not None and (left := _not_narrowed(intent, ent)):
        return Plan(Intent.UNSUPPORTED, ent, confident=False, message=(
            f"I can't narrow that answer by {' or '.join(left)} yet, and the answer for "
            "everything would mislead, so I won't give it. Ask without it, or ask about: "
            + "; ".join(CAPABILITIES) + "."))
    if intent in (Intent.SALES, Intent.TOP_PRODUCTS, Intent.TOP_CUSTOMERS,
                  Intent.REVENUE_TREND, Intent.CHURN) and (
            ignored := _unhonoured(low, ent, intent)):
        return Plan(Intent.UNSUPPORTED, ent, confident=False, message=(
            f"I can't take {' or '.join(ignored)} into account yet, and an answer without "
            "it would mislead, so I won't give one. I can tell you about: "
            + "; ".join(CAPABILITIES) + "."))
    if intent is None:
        return Plan(Intent.UNSUPPORTED, ent, confident=False,
                    message="I can't answer that from the retail data yet. I can tell you "
                    "about: " + "; ".join(CAPABILITIES) + ".")
    plan = Plan(intent, ent, follow_up=follow)
    return _complete(plan, low)


def _merge(old: Entities, new: Entities, question: str) -> Entities:
    low = question.lower()
    merged = replace(old)
    for name in ("order_id", "customer_id", "product_id", "channel", "status", "period",
                 "dimension", "grain", "top_n", "horizon_days"):
        value = getattr(new, name)
        if value is not None:
            setattr(merged, name, value)
    compared = re.search(r"\b(compare[ds]?|vs\.?|versus|against)\b", low)
    for slot in _SLOTS:  # a store replaces a place, a brand a category, and so on
        if any(getattr(new, name) is not None for name in slot):
            both = [getattr(o, slot[0]) for o in (old, new)]
            if compared and all(both) and both[0] != both[1]:  # "compare with Pitt Street"
                setattr(merged, slot[1], tuple(both))
                setattr(merged, slot[0], None)
                merged.dimension = {"store_id": "store", "category": "category"}[slot[0]]
                continue
            for name in slot:
                setattr(merged, name, getattr(new, name))
    if new.warehouse:  # the warehouses, not a store
        merged.warehouse = True
        for name in _SLOTS[0]:
            setattr(merged, name, None)
    elif any(getattr(new, name) is not None for name in _SLOTS[0]):
        merged.warehouse = False
    if new.channel in ("online", "web", "mobile") and new.store_id is None:
        for name in _SLOTS[0]:  # online orders have no store
            setattr(merged, name, None)
    if new.channel is None and old.channel in ("web", "mobile") and re.search(
            r"\b(both|combined|together)\b", low):
        merged.channel = "online"  # the web shop, then the app, then "both combined?"
    if re.search(r"\b(overall|in total|all orders|everything|all stores|everywhere)\b", low):
        for name in (*_SLOTS[0], *_SLOTS[1], "status", "channel", "product_id"):
            setattr(merged, name, None)  # "and overall?": nothing narrowed any more
        merged.promo, merged.promo_code, merged.warehouse = False, None, False
    merged.promo = merged.promo or new.promo
    merged.promo_code = new.promo_code or merged.promo_code
    merged.versus = new.versus if new.period is not None else old.versus
    if new.period is not None and new.versus is None and old.versus is not None and (
            old.versus.label == _YEAR_EARLIER):  # "and just Q3?" in a year-on-year talk
        merged.versus = Period(_safe_replace_year(new.period.start, new.period.start.year - 1),
                               _safe_replace_year(new.period.end, new.period.end.year - 1),
                               _YEAR_EARLIER, new.period.kind)
    merged.stockout = new.stockout or (old.stockout and not re.search(
        r"\blow[- ]stock|\blow on stock|\bbelow (the )?reorder|\brunning low", low))
    if new.metric == "order_value":
        merged.metric = new.metric
    if new.period is None and old.period is not None and re.search(
            r"\b(day|week|month|quarter|year|period) (before|earlier)\b|"
            r"\bprevious (day|week|month|quarter|year|period)\b", low) and not re.search(
            r"\b(vs\.?|versus|compared? (to|with)|against) (the )?(day|week|month|quarter|year|"
            r"period) before\b", low):  # ("vs the week before" is the comparison, kept)
        merged.period = old.period.previous()
        merged.versus = None
    if new.compare:
        merged.compare = True
    if new.metric != "revenue" or re.search(r"\b(revenue|sales)\b", low):
        merged.metric = new.metric
    if new.direction != "top" or re.search(r"\btop\b|\bbest\b", low):
        merged.direction = new.direction
    if new.store_id and old.dimension == "store":
        merged.dimension = "total" if new.dimension is None else new.dimension
    if re.search(r"\ball stores\b|\bevery store\b", low):
        merged.store_id = merged.store_ids = None
    if re.search(r"\ball categories\b", low):
        merged.category = merged.categories = None
    return merged


_SLOTS = (_STORES_NAMED, _PRODUCTS_NAMED)
"""Entities a follow-up replaces together: what it names of a slot is all there is of it."""


def _unresolved(problems: list[str], catalog: Catalog) -> str:
    what = problems[0]
    if what.startswith("dates"):
        return (f"I don't know which dates {what.removeprefix('dates ')} covers in your "
                "calendar, so I won't guess: give them, e.g. 'sales between 2025-11-28 and "
                "2025-12-01', or a month, week or quarter.")
    if what.startswith("country"):
        places = sorted({country_label(value) for kind, value in catalog.places.values()
                         if kind == "country"})
        return (f"No store is in {what.removeprefix('country ')}, and web and app orders have "
                "no country, so I can't give sales there. Stores are in: "
                + ", ".join(places) + ".")
    if what.startswith("name"):
        name = what.removeprefix("name ")
        cities = sorted({value for kind, value in catalog.places.values() if kind == "city"}
                        | {label.partition(", ")[2] for label in catalog.stores.values()} - {""})
        return (f"I don't know a store, city, region, category or brand called {name}, and "
                "an answer for everything would mislead. Stores are in: "
                + ", ".join(cities) + "; web and app orders have no city. Which do you mean?")
    if what.startswith("store"):
        return (f"I don't know {what}. Which store do you mean? Stores: "
                + ", ".join(f"{k} ({v})" for k, v in catalog.stores.items()) + ".")
    return (f"I don't know the {what}. Which category do you mean: "
            + ", ".join(catalog.categories) + "?")


def _complete(plan: Plan, low: str) -> Plan:
    ent = plan.entities
    if plan.intent is Intent.ORDER_STATUS and not ent.order_id:
        return Plan(Intent.CLARIFY, ent, message="Which order? Give its id, e.g. "
                    "ORD-000010482.")
    if plan.intent is Intent.RECOMMENDATIONS and not ent.customer_id:
        return Plan(Intent.CLARIFY, ent, message="Which customer should I recommend "
                    "products for? Give the customer id, e.g. C0000881.")
    if plan.intent is Intent.FORECAST and not ent.product_id:
        return Plan(Intent.CLARIFY, ent, message="Which product should I forecast? Give "
                    "its SKU, e.g. SKU-00123, and optionally the horizon (next 30 days).")
    if plan.intent is Intent.TOP_PRODUCTS and not plan.follow_up and not (
            re.search(r"\b(products?|items?|skus?|sell\w*|sold|popular|performing)\b", low)
            or ent.category or ent.categories):
        return Plan(Intent.CLARIFY, ent, message="Top of what? I can rank products by "
                    "revenue or by units, in a category or store, over a period — e.g. "
                    "'top 10 products in Electronics this month'.")
    if plan.intent is Intent.SALES and ent.dimension is None:
        ent.dimension = "total"
    return plan


# ---------------------------------------------------------------------------------------
# SQL trees built from the contract


def col(alias: str, table: str, name: str) -> Any:
    """A column reference, checked against the contract (``ContractError`` on a typo)."""
    from sqlglot import exp

    known = {c for c, _t, _p in get_table(table).curated_columns}
    if name not in known:
        raise ContractError(table, f"has no column {name!r}")
    return exp.column(name, table=alias)


def _table(name: str, alias: str) -> Any:
    from sqlglot import exp

    get_table(name)
    return exp.to_table(name).as_(alias)


def _date(value: date) -> Any:
    from sqlglot import exp

    return exp.cast(exp.Literal.string(value.isoformat()), "DATE")


def _str(value: str) -> Any:
    from sqlglot import exp

    return exp.Literal.string(value)


def _num(value: float | int) -> Any:
    from sqlglot import exp

    return exp.Literal.number(value)


def _alias(expr: Any, name: str) -> Any:
    from sqlglot import exp

    return exp.alias_(expr, name)


def _fn(name: str, *args: Any) -> Any:
    from sqlglot import exp

    return exp.func(name, *args, dialect="duckdb")


def _desc(expr: Any) -> Any:
    from sqlglot import exp

    return exp.Ordered(this=expr, desc=True)


def _asc(expr: Any) -> Any:
    from sqlglot import exp

    return exp.Ordered(this=expr, desc=False)


def usd(amount: Any, currency: Any) -> Any:
    """``amount`` converted to USD with the fixed rate table (a CASE on the currency)."""
    from sqlglot import exp

    case = exp.Case(this=currency)
    for code, rate in RATES_PER_USD.items():
        case = case.when(_str(code), _num(rate))
    return exp.Div(this=exp.paren(amount), expression=exp.paren(case.else_(_num(1.0))),
                   safe=False, typed=False)


def _between(expr: Any, start: date, end: date) -> Any:
    from sqlglot import exp

    return exp.Between(this=expr, low=_date(start), high=_date(end))


def _is_sale(alias: str) -> Any:
    from sqlglot import exp

    return exp.not_(col(alias, "orders", "status").isin(*map(_str, NOT_SALES_STATUSES)))


ONLINE_CHANNELS = ("web", "mobile")


def _order_filters(query: Any, ent: Entities, stores_joined: bool = False) -> Any:
    """``query`` (over orders ``o``) narrowed to what ``ent`` names of the orders: their
    status (sales by default), store, channel, the stores' place, a promo code."""
    from sqlglot import exp

    status = col("o", "orders", "status")
    query = query.where(status.eq(_str(ent.status)) if ent.status else _is_sale("o"))
    if ent.store_id:
        query = query.where(col("o", "orders", "store_id").eq(_str(ent.store_id)))
    if ent.store_ids:
        query = query.where(col("o", "orders", "store_id").isin(*map(_str, ent.store_ids)))
    if ent.customer_id:  # "how many orders did C0002711 place last week"
        query = query.where(col("o", "orders", "customer_id").eq(_str(ent.customer_id)))
    if ent.channel == "online":
        query = query.where(col("o", "orders", "channel").isin(*map(_str, ONLINE_CHANNELS)))
    elif ent.channel:
        query = query.where(col("o", "orders", "channel").eq(_str(ent.channel)))
    if places := places_of(ent):
        if not stores_joined:
            query = query.join(_table("stores", "s"), on=col("s", "stores", "store_id").eq(
                col("o", "orders", "store_id")), join_type="left")
        query = query.where(_in_places(places))
    if ent.promo_code:
        query = query.where(_fn("upper", col("o", "orders", "promo_code")).eq(
            _str(ent.promo_code.upper())))
    elif ent.promo:
        promo = col("o", "orders", "promo_code")
        query = query.where(exp.not_(promo.is_(exp.null())), exp.NEQ(
            this=_fn("trim", promo), expression=_str("")))
    return query


def places_of(ent: Entities) -> list[tuple[str, str]]:
    """The places ``ent`` narrows the stores to: (stores column, value) each."""
    return list(ent.places or ()) or ([ent.place] if ent.place else [])


def _in_places(places: list[tuple[str, str]]) -> Any:
    from sqlglot import exp

    return exp.or_(*(col("s", "stores", kind).eq(_str(value)) for kind, value in places))


def _product_filters(query: Any, ent: Entities, products: str,
                     product_id: Any | None = None) -> Any:
    """``query`` narrowed to the category and brand ``ent`` names (on the products table
    aliased ``products``) and, given the column holding it, to its product."""
    for name, values in (("category", ent.categories or (ent.category,)),
                         ("brand", ent.brands or (ent.brand,))):
        named = [v for v in values if v]
        column = col(products, "products", name)
        if named:
            query = query.where(column.eq(_str(named[0])) if len(named) == 1
                                else column.isin(*map(_str, named)))
    if ent.product_id and product_id is not None:
        query = query.where(product_id.eq(_str(ent.product_id)))
    return query


def _round(expr: Any, digits: int = 2) -> Any:
    return _fn("round", expr, _num(digits))


def _sum_if(cond: Any, value: Any) -> Any:
    from sqlglot import exp

    return _fn("sum", exp.Case().when(cond, value))


def _line_amount(alias: str) -> Any:
    from sqlglot import exp

    qty = col(alias, "order_items", "quantity")
    price = col(alias, "order_items", "unit_price")
    disc = _fn("coalesce", col(alias, "order_items", "discount_amount"), _num(0))
    return exp.Sub(this=exp.Mul(this=qty, expression=price), expression=disc)


def stock_as_of(ent: Entities, today: date) -> date | None:
    """The day whose inventory snapshot answers a stock question naming a past period (its
    last day), or None for the latest snapshot."""
    return ent.period.end if ent.period is not None and ent.period.end < today else None


def snapshot_range_sql() -> Any:
    """The first and last inventory snapshot dates."""
    from sqlglot import exp

    day = col("i", "inventory", "snapshot_date")
    return exp.select(_alias(_fn("min", day), "first_snapshot"),
                      _alias(_fn("max", day), "last_snapshot")).from_(_table("inventory", "i"))


def low_stock_sql(ent: Entities, as_of: date | None = None) -> Any:
    """Inventory snapshot rows (the latest, or the last on or before ``as_of``) with
    on_hand below the reorder point or nothing on hand (for stock-outs, nothing on hand
    only; for a product's levels, all of them); with ``top_n``, the largest shortfalls and
    how many rows there are in all."""
    from sqlglot import exp

    latest = exp.select(_fn("max", col("i2", "inventory", "snapshot_date"))).from_(
        _table("inventory", "i2"))
    if as_of is not None:
        latest = latest.where(exp.LTE(this=col("i2", "inventory", "snapshot_date"),
                                      expression=_date(as_of)))
    shortfall = exp.Sub(this=col("i", "inventory", "reorder_point"),
                        expression=col("i", "inventory", "on_hand"))
    on_hand = col("i", "inventory", "on_hand")
    query = (exp.select(
        col("i", "inventory", "location_id"), col("i", "inventory", "product_id"),
        col("p", "products", "name"), col("p", "products", "category"),
        on_hand, col("i", "inventory", "reorder_point"),
        col("i", "inventory", "on_order"), _alias(shortfall, "shortfall"),
        col("i", "inventory", "snapshot_date"))
        .from_(_table("inventory", "i"))
        .join(_table("products", "p"), on=col("p", "products", "product_id").eq(
            col("i", "inventory", "product_id")), join_type="left")
        .where(col("i", "inventory", "snapshot_date").eq(exp.Subquery(this=latest))))
    if ent.top_n and not ent.levels:
        query = query.select(_alias(exp.Window(this=_fn("count", exp.Star())), "rows_in_all"))
    if ent.stockout:
        query = query.where(exp.LTE(this=on_hand, expression=_num(0)))
    elif not ent.levels:  # nothing on hand is low, whatever the reorder point
        query = query.where(exp.or_(
            exp.LT(this=on_hand, expression=col("i", "inventory", "reorder_point")),
            exp.LTE(this=on_hand, expression=_num(0))))
    if ent.store_id:
        query = query.where(col("i", "inventory", "location_id").eq(_str(ent.store_id)))
    if ent.store_ids:
        query = query.where(col("i", "inventory", "location_id").isin(
            *map(_str, ent.store_ids)))
    if places := places_of(ent):  # the stores of a place (warehouses are in none)
        query = query.join(_table("stores", "s"), on=col("s", "stores", "store_id").eq(
            col("i", "inventory", "location_id"))).where(_in_places(places))
    query = _product_filters(query, ent, "p", col("i", "inventory", "product_id"))
    if ent.warehouse:
        query = query.where(col("i", "inventory", "location_type").eq(_str("warehouse")))
    query = query.order_by(_desc(exp.column("shortfall")),
                           _asc(col("i", "inventory", "location_id")),
                           _asc(col("i", "inventory", "product_id")))
    return query.limit(ent.top_n) if ent.top_n and not ent.levels else query


def order_status_sql(ent: Entities) -> Any:
    """One order with its line count, units and latest payment status."""
    from sqlglot import exp

    assert ent.order_id
    order_id = ent.order_id

    def items(measure: Any) -> Any:
        return exp.Subquery(this=exp.select(measure).from_(_table("order_items", "oi"))
                            .where(col("oi", "order_items", "order_id").eq(
                                _str(order_id))))

    payment = (exp.select(col("pa", "payments", "status")).from_(_table("payments", "pa"))
               .where(col("pa", "payments", "order_id").eq(_str(ent.order_id)))
               .order_by(_desc(col("pa", "payments", "paid_at"))).limit(1))
    return (exp.select(
        col("o", "orders", "order_id"), col("o", "orders", "status"),
        col("o", "orders", "order_date"), col("o", "orders", "channel"),
        col("o", "orders", "store_id"), col("o", "orders", "customer_id"),
        col("o", "orders", "total_amount"), col("o", "orders", "currency"),
        _alias(items(_fn("count", exp.Star())), "lines"),
        _alias(items(_fn("sum", col("oi", "order_items", "quantity"))), "units"),
        _alias(exp.Subquery(this=payment), "payment_status"),
        col("o", "orders", "updated_at"))
        .from_(_table("orders", "o"))
        .where(col("o", "orders", "order_id").eq(_str(ent.order_id))))


def scope_text(ent: Entities) -> str:
    """What ``ent`` narrows the orders to, as words for an answer (" at store 0003 ...")."""
    place = ""
    if places := places_of(ent):
        place = " at the stores in " + " and ".join(
            country_label(value) if kind == "country" else value for kind, value in places)
    channel = {"online": " online (web and app)", "web": " on the web shop",
               "mobile": " in the app", "store": " in stores"}.get(ent.channel or "", "")
    return "".join([f" for customer {ent.customer_id}" if ent.customer_id else "",
                    f" at store {ent.store_id}" if ent.store_id else "",
                    f" at stores {', '.join(ent.store_ids)}" if ent.store_ids else "",
                    " at the warehouses" if ent.warehouse else "", place,
                    f" in {ent.category}" if ent.category else "",
                    f" in {' and '.join(ent.categories)}" if ent.categories else "",
                    f" of the {ent.brand} brand" if ent.brand else "",
                    f" of the {' and '.join(ent.brands)} brands" if ent.brands else "",
                    f" for {ent.product_id}" if ent.product_id else "", channel,
                    f" with promo code {ent.promo_code}" if ent.promo_code else
                    " with a promo code" if ent.promo and ent.dimension != "promo_code"
                    else ""])


def _uses_lines(ent: Entities) -> bool:
    return ent.dimension in ("category", "product", "brand") or ent.metric == "units" or bool(
        ent.category or ent.product_id or ent.brand or ent.categories or ent.brands)


def sales_sql(ent: Entities, current: Period, previous: Period) -> Any:
    """Revenue, orders (and units at line level) per dimension, this period vs previous."""
    from sqlglot import exp

    lines = _uses_lines(ent)
    day = col("o", "orders", "order_date")
    in_cur = _between(day, current.start, current.end)
    in_prev = _between(day, previous.start, previous.end)
    if lines:
        amount = usd(_line_amount("oi"), col("o", "orders", "currency"))
        query = (exp.select().from_(_table("order_items", "oi"))
                 .join(_table("orders", "o"), on=col("o", "orders", "order_id").eq(
                     col("oi", "order_items", "order_id")))
                 .join(_table("products", "p"), on=col("p", "products", "product_id").eq(
                     col("oi", "order_items", "product_id")), join_type="left"))
    else:
        amount = usd(col("o", "orders", "total_amount"), col("o", "orders", "currency"))
        query = exp.select().from_(_table("orders", "o"))
    order_id = col("o", "orders", "order_id")
    stores_joined = ent.dimension in ("region", "country")
    if stores_joined:
        query = query.join(_table("stores", "s"), on=col("s", "stores", "store_id").eq(
            col("o", "orders", "store_id")), join_type="left")
    dims = {
        "store": [col("o", "orders", "store_id")],
        "region": [col("s", "stores", "region")],
        "country": [col("s", "stores", "country")],
        "channel": [col("o", "orders", "channel")],
        "category": [col("p", "products", "category")],
        "brand": [col("p", "products", "brand")],
        "promo_code": [_alias(_fn("upper", col("o", "orders", "promo_code")), "promo_code")],
        "product": [col("oi", "order_items", "product_id"), col("p", "products", "name")],
        "total": [],
    }[ent.dimension or "total"]
    revenue = _round(_sum_if(in_cur, amount))
    prev_revenue = _round(_sum_if(in_prev, amount))
    measures = [
        _alias(revenue, "revenue"),
        _alias(prev_revenue, "previous_revenue"),
        _alias(_round(exp.Div(this=exp.Mul(this=_num(100), expression=exp.paren(exp.Sub(
            this=_sum_if(in_cur, amount), expression=_sum_if(in_prev, amount)))),
            expression=_fn("nullif", _sum_if(in_prev, amount), _num(0)),
            safe=False, typed=False), 1), "change_pct"),
        _alias(_fn("count", exp.Distinct(expressions=[exp.Case().when(in_cur, order_id)])),
               "orders"),
        _alias(_fn("count", exp.Distinct(expressions=[exp.Case().when(in_prev, order_id)])),
               "previous_orders"),
    ]
    if lines:
        measures.append(_alias(_sum_if(in_cur, col("oi", "order_items", "quantity")),
                               "units"))
    query = _order_filters(query.select(*dims, *measures).where(
        exp.Between(this=day, low=_date(previous.start), high=_date(current.end))),
        ent, stores_joined)
    query = _product_filters(query, ent, "p", col("oi", "order_items", "product_id"))
    if dims:
        keys = [d.this if isinstance(d, exp.Alias) else d for d in dims]
        query = query.group_by(*keys).order_by(
            exp.Ordered(this=exp.column("revenue"), desc=True, nulls_first=False),
            *[_asc(k.copy()) for k in keys])
    return query


def top_products_sql(ent: Entities, period: Period) -> Any:
    """Top (or bottom) N products by revenue or units over ``period``."""
    from sqlglot import exp

    amount = usd(_line_amount("oi"), col("o", "orders", "currency"))
    units = _fn("sum", col("oi", "order_items", "quantity"))
    revenue = _round(_fn("sum", amount))
    query = (exp.select(col("oi", "order_items", "product_id"), col("p", "products", "name"),
                        col("p", "products", "category"), _alias(units, "units"),
                        _alias(revenue, "revenue"))
             .from_(_table("order_items", "oi"))
             .join(_table("orders", "o"), on=col("o", "orders", "order_id").eq(
                 col("oi", "order_items", "order_id")))
             .join(_table("products", "p"), on=col("p", "products", "product_id").eq(
                 col("oi", "order_items", "product_id")), join_type="left")
             .where(_between(col("o", "orders", "order_date"), period.start, period.end)))
    query = _product_filters(_order_filters(query, ent), ent, "p")
    key = exp.column("units" if ent.metric == "units" else "revenue")
    desc = ent.direction != "bottom"
    query = query.group_by(col("oi", "order_items", "product_id"),
                           col("p", "products", "name"), col("p", "products", "category"))
    if includes_unsold(ent):  # the slowest sellers of the catalogue sold nothing at all
        sold = query.subquery("s")
        query = (exp.select(col("c", "products", "product_id"), col("c", "products", "name"),
                            col("c", "products", "category"),
                            _alias(_fn("coalesce", exp.column("units", "s"), _num(0)),
                                   "units"),
                            _alias(_fn("coalesce", exp.column("revenue", "s"), _num(0)),
                                   "revenue"))
                 .from_(_table("products", "c"))
                 .join(sold, on=exp.column("product_id", "s").eq(
                     col("c", "products", "product_id")), join_type="left"))
        query = _product_filters(query, ent, "c")
        # a discontinued product that sold nothing is not a slow seller
        query = query.where(exp.or_(
            exp.not_(exp.column("product_id", "s").is_(exp.null())),
            exp.not_(_fn("coalesce", col("c", "products", "discontinued"), exp.false()))))
        return query.order_by(exp.Ordered(this=key, desc=False),
                              _asc(col("c", "products", "product_id"))).limit(
            ent.top_n or DEFAULT_TOP_N)
    return query.order_by(exp.Ordered(this=key, desc=desc),
                          _asc(col("oi", "order_items", "product_id"))).limit(
        ent.top_n or DEFAULT_TOP_N)


def includes_unsold(ent: Entities) -> bool:
    """Whether a bottom-N list ranks every product of the catalogue, unsold ones at 0: the
    catalogue is not per store, channel or place, so only when the orders are not narrowed
    to one."""
    return ent.direction == "bottom" and not (
        ent.store_id or ent.store_ids or ent.channel or ent.place or ent.places or ent.promo
        or ent.promo_code or ent.status)


def top_customers_sql(ent: Entities, period: Period) -> Any:
    """Customers ranked by what they spent (USD, sales only) over ``period``, or by their
    orders, with their orders and last order; guests (no customer id) are left out."""
    from sqlglot import exp

    customer = col("o", "orders", "customer_id")
    revenue = _round(_fn("sum", usd(col("o", "orders", "total_amount"),
                                    col("o", "orders", "currency"))))
    query = (exp.select(customer, _alias(_fn("count", col("o", "orders", "order_id")),
                                         "orders"),
                        _alias(revenue, "revenue"),
                        _alias(_fn("max", col("o", "orders", "order_date")), "last_order"))
             .from_(_table("orders", "o"))
             .where(_between(col("o", "orders", "order_date"), period.start, period.end),
                    exp.not_(customer.is_(exp.null()))))
    query = _order_filters(query, ent).group_by(customer)
    key = "orders" if ent.metric == "orders" else "revenue"
    return query.order_by(exp.Ordered(this=exp.column(key), desc=ent.direction != "bottom"),
                          _desc(exp.column("revenue")), _asc(customer)).limit(
        ent.top_n or DEFAULT_TOP_N)


def customer_summary_sql(ent: Entities) -> Any:
    """One customer's profile with order count, revenue (USD) and first/last order, over
    the period the question names (else all time)."""
    from sqlglot import exp

    assert ent.customer_id
    o_cust = col("o", "orders", "customer_id")
    count = _fn("count", col("o", "orders", "order_id"))
    spent = _fn("sum", usd(col("o", "orders", "total_amount"), col("o", "orders", "currency")))
    orders = (exp.select(
        _alias(count, "orders"),
        _alias(_fn("coalesce", _round(spent), _num(0)), "revenue_usd"),  # nothing spent is
        # 0, not unknown
        _alias(_round(exp.Div(this=spent, expression=_fn("nullif", count, _num(0)))),
               "average_order_usd"),
        _alias(_fn("min", col("o", "orders", "order_date")), "first_order"),
        _alias(_fn("max", col("o", "orders", "order_date")), "last_order"))
        .from_(_table("orders", "o"))
        .where(o_cust.eq(_str(ent.customer_id)), _is_sale("o")))
    if ent.period is not None:  # "how much did C0000216 spend last month"
        orders = orders.where(_between(col("o", "orders", "order_date"), ent.period.start,
                                       ent.period.end))
    return (exp.select(
        col("c", "customers", "customer_id"), col("c", "customers", "first_name"),
        col("c", "customers", "country"), col("c", "customers", "city"),
        col("c", "customers", "home_store_id"), col("c", "customers", "signup_date"),
        exp.column("orders", table="s"), exp.column("revenue_usd", table="s"),
        exp.column("average_order_usd", table="s"),
        exp.column("first_order", table="s"), exp.column("last_order", table="s"))
        .from_(_table("customers", "c"))
        .join(exp.Subquery(this=orders, alias=exp.TableAlias(this=exp.to_identifier("s"))),
              join_type="cross")
        .where(col("c", "customers", "customer_id").eq(_str(ent.customer_id))))


def recommendations_sql(ent: Entities, limit: int = 5) -> Any:
    """Products bought by customers who bought what this customer bought, minus owned."""
    from sqlglot import exp

    assert ent.customer_id
    bought = (exp.select(col("oi", "order_items", "product_id"),
                         _alias(col("o", "orders", "customer_id"), "customer_id"))
              .from_(_table("order_items", "oi"))
              .join(_table("orders", "o"), on=col("o", "orders", "order_id").eq(
                  col("oi", "order_items", "order_id")))
              .where(_is_sale("o"), exp.not_(exp.Is(this=col("o", "orders", "customer_id"),
                                                     expression=exp.Null())))
              .distinct())
    owned = (exp.select(exp.column("product_id", table="b")).from_(exp.to_table("bought")
                                                                   .as_("b"))
             .where(exp.column("customer_id", table="b").eq(_str(ent.customer_id))))
    peers = (exp.select(exp.column("customer_id", table="b")).from_(
        exp.to_table("bought").as_("b"))
        .join(exp.to_table("owned").as_("w"), on=exp.column("product_id", table="w").eq(
            exp.column("product_id", table="b")))
        .where(exp.column("customer_id", table="b").neq(_str(ent.customer_id)))
        .distinct())
    return (exp.select(
        exp.column("product_id", table="b"), col("p", "products", "name"),
        col("p", "products", "category"),
        _alias(_fn("count", exp.Distinct(expressions=[exp.column("customer_id", table="b")])),
               "co_buyers"))
        .with_("bought", as_=bought).with_("owned", as_=owned).with_("peers", as_=peers)
        .from_(exp.to_table("bought").as_("b"))
        .join(exp.to_table("peers").as_("x"), on=exp.column("customer_id", table="x").eq(
            exp.column("customer_id", table="b")))
        .join(_table("products", "p"), on=col("p", "products", "product_id").eq(
            exp.column("product_id", table="b")), join_type="left")
        .where(exp.not_(exp.column("product_id", table="b").isin(
            query=exp.select("product_id").from_("owned"))))
        .group_by(exp.column("product_id", table="b"), col("p", "products", "name"),
                  col("p", "products", "category"))
        .order_by(_desc(exp.column("co_buyers")), _asc(exp.column("product_id", table="b")))
        .limit(limit))


def revenue_trend_sql(ent: Entities, period: Period, grain: str) -> Any:
    """Revenue (USD) and orders per day, week or month over ``period``, of the orders (or,
    for a category, brand or product, of its lines) ``ent`` narrows to."""
    from sqlglot import exp

    day = col("o", "orders", "order_date")
    bucket = day if grain == "day" else exp.cast(
        _fn("date_trunc", _str(grain), day), "DATE")
    lines = bool(ent.category or ent.brand or ent.product_id or ent.categories or ent.brands)
    amount = usd(_line_amount("oi") if lines else col("o", "orders", "total_amount"),
                 col("o", "orders", "currency"))
    orders = (exp.Distinct(expressions=[col("o", "orders", "order_id")]) if lines
              else col("o", "orders", "order_id"))
    query = exp.select(_alias(bucket, grain), _alias(_round(_fn("sum", amount)), "revenue"),
                       _alias(_fn("count", orders), "orders"))
    if lines:  # a category, brand or product: its lines of the orders
        query = (query.from_(_table("order_items", "oi"))
                 .join(_table("orders", "o"), on=col("o", "orders", "order_id").eq(
                     col("oi", "order_items", "order_id")))
                 .join(_table("products", "p"), on=col("p", "products", "product_id").eq(
                     col("oi", "order_items", "product_id")), join_type="left"))
        query = _product_filters(query, ent, "p", col("oi", "order_items", "product_id"))
    else:
        query = query.from_(_table("orders", "o"))
    query = query.where(_between(day, period.start, period.end))
    return _order_filters(query, ent).group_by(exp.column(grain)).order_by(_asc(exp.column(grain)))


def customer_count_sql(ent: Entities, period: Period, grain: str | None = None) -> Any:
    """Customers on record, signed up, buying for the first time and buying over
    ``period`` (per ``grain`` bucket when given). A country or city is where customers
    live; narrowed by store, channel or promo code (what orders have, sign-ups have not),
    only the buying customers are counted."""
    from sqlglot import exp

    def bucketed(day: Any) -> Any:
        return day if grain in (None, "day") else exp.cast(
            _fn("date_trunc", _str(str(grain)), day), "DATE")

    def living(query: Any, alias: str) -> Any:  # the customers of a country or city
        if not (places := places_of(ent)):
            return query
        return query.where(exp.or_(*(col(alias, "customers", kind).eq(_str(value))
                                     for kind, value in places)))

    def with_customers(query: Any) -> Any:
        if not places_of(ent):
            return query
        return living(query.join(_table("customers", "c"), on=col(
            "c", "customers", "customer_id").eq(col("o", "orders", "customer_id"))), "c")

    o_day = col("o", "orders", "order_date")
    buyers = with_customers(_order_filters(exp.select(_alias(_fn("count", exp.Distinct(
        expressions=[col("o", "orders", "customer_id")])), "buying_customers")).from_(
        _table("orders", "o")).where(_between(o_day, period.start, period.end)),
        replace(ent, place=None, places=None)))
    signup = col("c", "customers", "signup_date")
    signed = living(exp.select(_alias(_fn("count", exp.Star()), "signed_up")).from_(
        _table("customers", "c")).where(_between(signup, period.start, period.end)), "c")
    firsts = with_customers(
        exp.select(col("o", "orders", "customer_id"), _alias(_fn("min", o_day), "first_order"))
        .from_(_table("orders", "o"))
        .where(_is_sale("o"), exp.not_(col("o", "orders", "customer_id").is_(exp.null())))
        .group_by(col("o", "orders", "customer_id")))
    first_day = exp.column("first_order", table="f")
    first = exp.select(_alias(_fn("count", exp.Star()), "first_time_buyers")).from_(
        exp.Subquery(this=firsts, alias=exp.TableAlias(this=exp.to_identifier("f")))).where(
        _between(first_day, period.start, period.end))
    orders_only = bool(ent.store_id or ent.store_ids or ent.channel or ent.promo
                       or ent.promo_code)
    if grain is None:
        columns = [_alias(exp.Subquery(this=buyers), "buying_customers")]
        if not orders_only:
            on_record = living(exp.select(_fn("count", exp.Star())).from_(
                _table("customers", "c")), "c")
            columns = [_alias(exp.Subquery(this=on_record), "customers_on_record"),
                       _alias(exp.Subquery(this=signed), "signed_up"),
                       _alias(exp.Subquery(this=first), "first_time_buyers"), *columns]
        return exp.select(*columns)
    parts = [("b", buyers, o_day)]
    if not orders_only:
        parts += [("s", signed, signup), ("f1", first, first_day)]
    tables = [(alias, query.select(_alias(bucketed(day), grain)).group_by(exp.column(grain)))
              for alias, query, day in parts]
    names = {"b": "buying_customers", "s": "signed_up", "f1": "first_time_buyers"}
    query = exp.select(
        _alias(_fn("coalesce", *(exp.column(grain, table=a) for a, _ in tables)), grain),
        *(_alias(_fn("coalesce", exp.column(names[a], table=a), _num(0)), names[a])
          for a in ("s", "f1", "b") if any(a == t for t, _ in tables)))
    query = query.from_(exp.Subquery(this=tables[0][1], alias=exp.TableAlias(
        this=exp.to_identifier(tables[0][0]))))
    for i, (alias, sub) in enumerate(tables[1:], start=1):  # a bucket of any of them
        seen = _fn("coalesce", *(exp.column(grain, table=a) for a, _ in tables[:i]))
        query = query.join(exp.Subquery(this=sub, alias=exp.TableAlias(
            this=exp.to_identifier(alias))), on=exp.column(grain, table=alias).eq(seen),
            join_type="full")
    return query.order_by(_asc(exp.column(grain)))


def churn_count_sql(today: date) -> Any:
    """How many customers :func:`churn_sql` finds in all (``customers``)."""
    from sqlglot import exp

    ranked = churn_sql(None, today)
    return exp.select(_alias(_fn("count", exp.Star()), "customers")).from_(
        exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("c"))))


def churn_sql(limit: int | None, today: date, min_orders: int = 3, min_days: int = 60,
              max_days: int = 365) -> Any:
    """Recency-based churn: repeat buyers silent for longer than usual, riskiest first.

    ``churn_score`` = days since the last order / average days between orders; only
    customers with at least ``min_orders`` orders whose last order is ``min_days`` to
    ``max_days`` days old (older ones have already gone).
    """
    from sqlglot import exp

    per = (exp.select(
        col("o", "orders", "customer_id"),
        _alias(_fn("count", exp.Distinct(expressions=[col("o", "orders", "order_id")])),
               "orders"),
        _alias(_fn("min", col("o", "orders", "order_date")), "first_order"),
        _alias(_fn("max", col("o", "orders", "order_date")), "last_order"),
        _alias(_round(_fn("sum", usd(col("o", "orders", "total_amount"),
                                     col("o", "orders", "currency")))), "revenue_usd"))
        .from_(_table("orders", "o"))
        .where(_is_sale("o"), exp.not_(exp.Is(this=col("o", "orders", "customer_id"),
                                              expression=exp.Null())),
               exp.LTE(this=col("o", "orders", "order_date"), expression=_date(today)))
        .group_by(col("o", "orders", "customer_id")))
    since = exp.Sub(this=_date(today), expression=exp.column("last_order", table="s"))
    span = exp.Sub(this=exp.column("last_order", table="s"),
                   expression=exp.column("first_order", table="s"))
    gap = exp.Div(this=exp.cast(span, "DOUBLE"), expression=exp.paren(exp.Sub(
        this=exp.column("orders", table="s"), expression=_num(1))), safe=False, typed=False)
    score = exp.Div(this=exp.cast(since, "DOUBLE"), expression=_fn(
        "greatest", gap, _num(1)), safe=False, typed=False)
    query = (exp.select(
        exp.column("customer_id", table="s"), exp.column("orders", table="s"),
        exp.column("last_order", table="s"), _alias(since, "days_since_last_order"),
        _alias(_round(gap, 1), "avg_days_between_orders"),
        _alias(_round(score, 2), "churn_score"), exp.column("revenue_usd", table="s"))
        .from_(exp.Subquery(this=per, alias=exp.TableAlias(this=exp.to_identifier("s"))))
        .where(exp.GTE(this=exp.column("orders", table="s"), expression=_num(min_orders)),
               exp.GTE(this=since, expression=_num(min_days)),
               exp.LTE(this=since.copy(), expression=_num(max_days)))
        .order_by(_desc(exp.column("churn_score")), _asc(exp.column("customer_id", table="s"))))
    return query if limit is None else query.limit(limit)


def daily_units_sql(product_id: str, start: date, end: date) -> Any:
    """Units of one product sold per day between ``start`` and ``end`` (sales only)."""
    from sqlglot import exp

    return (exp.select(_alias(col("o", "orders", "order_date"), "day"),
                       _alias(_fn("sum", col("oi", "order_items", "quantity")), "units"))
            .from_(_table("order_items", "oi"))
            .join(_table("orders", "o"), on=col("o", "orders", "order_id").eq(
                col("oi", "order_items", "order_id")))
            .where(col("oi", "order_items", "product_id").eq(_str(product_id)),
                   _between(col("o", "orders", "order_date"), start, end), _is_sale("o"))
            .group_by(col("o", "orders", "order_date")).order_by(_asc(exp.column("day"))))


FLAGGED_TOTAL = "flagged_total"


def flagged_payments_sql(since: date, until: date | None, limit: int,
                         attempts_per_hour: int = 3) -> Any:
    """Payments a rule flags: billing/IP country mismatch, many attempts per card token in
    an hour, or a decline; ``flagged_total`` counts them all before the limit."""
    from sqlglot import exp

    paid_at = col("pa", "payments", "paid_at")
    token = col("pa", "payments", "card_number_token")
    window = exp.Window(
        this=_fn("count", exp.Star()), partition_by=[token],
        order=exp.Order(expressions=[_asc(paid_at)]),
        spec=exp.WindowSpec(kind="RANGE", start=exp.Interval(this=_str("1"), unit=exp.var(
            "HOUR")), start_side="PRECEDING", end="CURRENT ROW"))
    attempts = exp.Case().when(exp.Is(this=token, expression=exp.Null()), _num(0)).else_(
        window)
    mismatch = exp.and_(
        exp.not_(exp.Is(this=col("pa", "payments", "billing_country"),
                        expression=exp.Null())),
        exp.not_(exp.Is(this=col("pa", "payments", "ip_country"), expression=exp.Null())),
        col("pa", "payments", "billing_country").neq(col("pa", "payments", "ip_country")))
    day = exp.cast(paid_at, "DATE")
    scored = (exp.select(
        col("pa", "payments", "payment_id"), col("pa", "payments", "order_id"),
        col("pa", "payments", "paid_at"), col("pa", "payments", "amount"),
        col("pa", "payments", "currency"), col("pa", "payments", "method"),
        col("pa", "payments", "status"), col("pa", "payments", "billing_country"),
        col("pa", "payments", "ip_country"),
        _alias(mismatch, "country_mismatch"), _alias(attempts, "attempts_last_hour"),
        _alias(col("pa", "payments", "status").eq(_str("declined")), "declined"))
        .from_(_table("payments", "pa"))
        .where(exp.GTE(this=day, expression=_date(since - timedelta(days=1)))))
    if until is not None:
        scored = scored.where(exp.LTE(this=day, expression=_date(until)))
    f = exp.column
    flags = exp.Add(this=exp.Add(
        this=exp.cast(f("country_mismatch", table="s"), "INTEGER"),
        expression=exp.cast(exp.GTE(this=f("attempts_last_hour", table="s"),
                                    expression=_num(attempts_per_hour)), "INTEGER")),
        expression=exp.cast(f("declined", table="s"), "INTEGER"))
    out = (exp.select(
        f("payment_id", table="s"), f("order_id", table="s"), f("paid_at", table="s"),
        f("amount", table="s"), f("currency", table="s"), f("method", table="s"),
        f("status", table="s"), f("billing_country", table="s"), f("ip_country", table="s"),
        f("country_mismatch", table="s"), f("attempts_last_hour", table="s"),
        f("declined", table="s"), _alias(flags, "rules_fired"),
        _alias(exp.Window(this=_fn("count", exp.Star())), FLAGGED_TOTAL))
        .from_(exp.Subquery(this=scored, alias=exp.TableAlias(
            this=exp.to_identifier("s"))))
        .where(exp.GTE(this=exp.cast(f("paid_at", table="s"), "DATE"),
                       expression=_date(since)),
               exp.GT(this=flags.copy(), expression=_num(0)))
        .order_by(_desc(exp.column("rules_fired")), _desc(f("amount", table="s")),
                  _asc(f("payment_id", table="s")))
        .limit(limit))
    return out


def first_order_date_sql() -> Any:
    """The earliest order date: where the data starts."""
    from sqlglot import exp

    return exp.select(_alias(_fn("min", col("o", "orders", "order_date")), "first_day")
                      ).from_(_table("orders", "o"))


def exp_max_order_date() -> Any:
    """The latest order date: the data's "today"."""
    from sqlglot import exp

    return exp.select(_alias(_fn("max", col("o", "orders", "order_date")), "today")).from_(
        _table("orders", "o"))


def categories_sql(column: str = "category") -> Any:
    """Distinct product categories (or brands), for resolving names in questions."""
    from sqlglot import exp

    category = col("p", "products", column)
    return exp.select(category).from_(_table("products", "p")).distinct().order_by(
        _asc(category))


def promo_codes_sql(limit: int = 500) -> Any:
    """The promo codes orders use (the most used first), so a bare code is recognised."""
    from sqlglot import exp

    code = col("o", "orders", "promo_code")
    return (exp.select(code).from_(_table("orders", "o"))
            .where(exp.not_(code.is_(exp.null()))).group_by(code)
            .order_by(_desc(_fn("count", exp.Star()))).limit(limit))


def stores_sql() -> Any:
    """Store ids with name, city, region and country, for resolving stores and places in
    questions."""
    from sqlglot import exp

    return (exp.select(col("s", "stores", "store_id"), col("s", "stores", "name"),
                       col("s", "stores", "city"), col("s", "stores", "region"),
                       col("s", "stores", "country"))
            .from_(_table("stores", "s")).order_by(_asc(col("s", "stores", "store_id"))))


def product_sql(product_id: str) -> Any:
    """One product's id, name and category."""
    from sqlglot import exp

    return (exp.select(col("p", "products", "product_id"), col("p", "products", "name"),
                       col("p", "products", "category"))
            .from_(_table("products", "p"))
            .where(col("p", "products", "product_id").eq(_str(product_id))))
