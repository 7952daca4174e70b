"""Demo retail data with planted truth: stores, catalogue, customers, orders, payments.

Pure (numpy and pandas, no I/O) and vectorised: Python loops run over stores, categories,
promotions, days or chunks of orders, never over orders or lines. The same seed gives the
same frames, hence byte-identical files once :mod:`shopsight.demo.export` writes them.

How the truth is planted (the ``truth`` frames hold the answers, never the data):

* customers buy by a heterogeneous BG/NBD-style process (rate ~ Gamma, dropout after
  each purchase ~ Beta), thinned by seasonality (weekly, yearly with a Q4 peak, holidays)
  and by the trend of their region;
* the first line of an order is drawn with probability proportional to
  ``popularity * (price / reference price) ** elasticity``; further lines are candidates
  accepted with that factor divided by the product's maximum factor, so daily units of a
  product scale as its relative price to the power of its category's elasticity;
* store anomalies add (anonymous walk-ins) or drop orders on chosen store-days and
  stock-outs drop a product's lines at one store for a few days;
* fraud orders are real orders whose payments follow four patterns;
* dirt is planted in the formatted exports by :mod:`shopsight.demo.dirt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopsight.analytics.fx import RATES_PER_USD
from shopsight.demo.dirt import DirtKeys, plant_dirt
from shopsight.errors import ConfigError

Scale = Literal["small", "medium", "large"]
Arr = npt.NDArray[Any]

GENERATOR_VERSION = "1.0"
HISTORY_DAYS = 730
UPLOAD_DAYS = 7
INVENTORY_DAYS = 30
WEB_TIMEZONE = "America/New_York"
WAREHOUSE_ID = "WH01"
FRAUD_SHARE = 0.015

REGION_TRENDS: dict[str, float] = {"North America": 0.05, "Europe": -0.03, "Asia Pacific": 0.20}
"""Planted annual growth of demand per region (also in truth ``region_trends``)."""

FX_RATES: dict[str, float] = {
    c: RATES_PER_USD[c] for c in ("USD", "CAD", "GBP", "EUR", "SEK", "JPY", "AUD", "INR")
}
"""Units of each currency per USD: local prices are USD prices times this rate."""

_REGIONS = list(REGION_TRENDS)
_CURRENCIES = list(FX_RATES)


@dataclass(frozen=True)
class _ScaleConfig:
    customers: int
    products: int
    anon_store_per_day: float  # anonymous walk-in orders per store-day at seasonal index 1
    guest_web_per_day: float  # guest web orders per day at seasonal index 1
    chunk_orders: int = 500_000


_SCALES: dict[str, _ScaleConfig] = {
    "small": _ScaleConfig(3_000, 150, 15.0, 3.4),
    "medium": _ScaleConfig(23_000, 400, 12.3, 23.0),
    "large": _ScaleConfig(230_000, 1_000, 123.0, 230.0),
}


@dataclass(frozen=True)
class _Country:
    code: str
    region: str
    currency: str
    phone: str
    cities: tuple[str, ...]
    ip_octets: tuple[int, ...]


_COUNTRIES = (
    _Country("US", "North America", "USD", "+1",
             ("New York", "Chicago", "Los Angeles", "Houston", "Seattle", "Boston"),
             (23, 34, 52, 64, 98)),
    _Country("CA", "North America", "CAD", "+1", ("Toronto", "Montreal", "Vancouver"),
             (24, 99, 142)),
    _Country("GB", "Europe", "GBP", "+44", ("London", "Manchester", "Leeds", "Bristol"),
             (31, 81, 86)),
    _Country("DE", "Europe", "EUR", "+49", ("Berlin", "Munich", "Hamburg", "Cologne"),
             (46, 79, 91)),
    _Country("FR", "Europe", "EUR", "+33", ("Paris", "Lyon", "Marseille", "Lille"),
             (37, 82, 90)),
    _Country("SE", "Europe", "SEK", "+46", ("Stockholm", "Gothenburg", "Malmo"), (78, 83)),
    _Country("JP", "Asia Pacific", "JPY", "+81", ("Tokyo", "Osaka", "Yokohama"),
             (43, 60, 126)),
    _Country("AU", "Asia Pacific", "AUD", "+61", ("Sydney", "Melbourne", "Brisbane"),
             (1, 49, 101)),
    _Country("IN", "Asia Pacific", "INR", "+91", ("Mumbai", "Delhi", "Bengaluru"),
             (49, 103, 117)),
)
_COUNTRY_CODES = [c.code for c in _COUNTRIES]
_COUNTRY_REGION = np.array([_REGIONS.index(c.region) for c in _COUNTRIES])
_COUNTRY_CURRENCY = np.array([_CURRENCIES.index(c.currency) for c in _COUNTRIES])
_WEB_COUNTRY_WEIGHTS = np.array([0.40, 0.08, 0.14, 0.12, 0.10, 0.03, 0.06, 0.05, 0.02])
_FOREIGN_IP_COUNTRIES = ("RU", "NG", "BR", "CN", "VN", "RO")
_FOREIGN_IP_OCTETS = (5, 41, 177, 36, 14, 79)


@dataclass(frozen=True)
class _Store:
    store_id: str
    name: str
    country: int
    city: str
    timezone: str
    opened_on: date
    square_meters: float


_STORES = (
    _Store("0001", "Shopsight Fifth Avenue", 0, "New York", "America/New_York",
           date(2012, 3, 15), 2400.0),
    _Store("0002", "Shopsight Michigan Avenue", 0, "Chicago", "America/Chicago",
           date(2014, 6, 1), 1900.0),
    _Store("0003", "Shopsight Santa Monica", 0, "Los Angeles", "America/Los_Angeles",
           date(2015, 9, 20), 2100.0),
    _Store("0004", "Shopsight Yonge Street", 1, "Toronto", "America/Toronto",
           date(2017, 4, 8), 1500.0),
    _Store("0005", "Shopsight Oxford Street", 2, "London", "Europe/London",
           date(2013, 11, 2), 2200.0),
    _Store("0006", "Shopsight Kurfürstendamm", 3, "Berlin", "Europe/Berlin",
           date(2016, 2, 12), 1800.0),
    _Store("0007", "Shopsight Rue de Rivoli", 4, "Paris", "Europe/Paris",
           date(2016, 10, 1), 1700.0),
    _Store("0008", "Shopsight Drottninggatan", 5, "Stockholm", "Europe/Stockholm",
           date(2019, 5, 17), 1100.0),
    _Store("0009", "Shopsight Shibuya", 6, "Tokyo", "Asia/Tokyo",
           date(2018, 8, 8), 1600.0),
    _Store("0010", "Shopsight Pitt Street", 7, "Sydney", "Australia/Sydney",
           date(2019, 11, 1), 1400.0),
    _Store("0011", "Shopsight Bandra", 8, "Mumbai", "Asia/Kolkata",
           date(2021, 3, 3), 1200.0),
)
_N_STORES = len(_STORES)
_WEB_LOC = _N_STORES  # location index of the web shop in per-location arrays
_STORE_WEIGHTS = np.array([s.square_meters for s in _STORES]) / 1800.0
_LOC_REGION = np.array([_COUNTRY_REGION[s.country] for s in _STORES] + [0])
_LOC_CURRENCY = np.array([_COUNTRY_CURRENCY[s.country] for s in _STORES] + [0])
_LOC_TIMEZONE = [s.timezone for s in _STORES] + [WEB_TIMEZONE]

CHANNELS = ("store", "web", "mobile")
_STORE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 6, 8, 8, 6, 6, 7, 8, 8, 6, 4, 2, 0, 0.0])
_WEB_HOURS = np.array([2, 1, 1, .5, .5, .5, 1, 2, 3, 4, 4, 5, 5, 5, 5, 5, 5, 6, 7, 8, 8, 7, 5, 3.0])


@dataclass(frozen=True)
class _Category:
    name: str
    median_price: float
    price_sigma: float
    extra_quantity: float  # mean units per line minus one
    brands: tuple[str, ...]
    items: tuple[tuple[str, str], ...]  # (subcategory, noun)


_CATEGORIES = (
    _Category("Electronics", 180.0, 0.9, 0.05, ("Voltix", "Nordlys", "Kairo", "Zentek"),
              (("Audio", "Headphones"), ("Audio", "Speaker"), ("Phones", "Smartphone"),
               ("Computers", "Laptop"), ("Computers", "Tablet"), ("Wearables", "Smartwatch"),
               ("Accessories", "Charger"), ("TV", "Television"))),
    _Category("Grocery", 3.5, 0.55, 0.3, ("FarmFresh", "Bonappe", "Daily Harvest"),
              (("Pantry", "Pasta"), ("Pantry", "Olive Oil"), ("Snacks", "Crackers"),
               ("Snacks", "Chocolate Bar"), ("Beverages", "Coffee Beans"),
               ("Beverages", "Sparkling Water"), ("Dairy", "Cheddar"))),
    _Category("Apparel", 38.0, 0.6, 0.1, ("Urbano", "Fjell", "Maison Lune"),
              (("Tops", "T-Shirt"), ("Tops", "Hoodie"), ("Bottoms", "Jeans"),
               ("Outerwear", "Rain Jacket"), ("Footwear", "Sneakers"))),
    _Category("Home", 45.0, 0.7, 0.1, ("Casa Nova", "Hygge Living", "Oakline"),
              (("Kitchen", "Chef Knife"), ("Kitchen", "Frying Pan"), ("Decor", "Table Lamp"),
               ("Bedding", "Duvet Cover"), ("Storage", "Storage Box"))),
    _Category("Beauty", 18.0, 0.5, 0.2, ("Luminelle", "Pure Botanica", "Skinlab"),
              (("Skincare", "Face Cream"), ("Skincare", "Serum"), ("Hair", "Shampoo"),
               ("Makeup", "Lipstick"), ("Fragrance", "Eau de Parfum"))),
    _Category("Toys", 24.0, 0.6, 0.1, ("Playfuls", "Brickworks", "Tiny Titans"),
              (("Building", "Brick Set"), ("Games", "Board Game"), ("Plush", "Teddy Bear"),
               ("Outdoor", "Water Blaster"), ("Puzzles", "Jigsaw Puzzle"))),
    _Category("Sports", 55.0, 0.7, 0.1, ("Strideon", "Peakform", "Aquafin"),
              (("Fitness", "Yoga Mat"), ("Fitness", "Dumbbell Set"), ("Running", "Running Shoes"),
               ("Cycling", "Bike Helmet"), ("Outdoor", "Camping Tent"))),
    _Category("Books", 16.0, 0.4, 0.1, ("Penwick Press", "Lantern Books", "Atlas House"),
              (("Fiction", "Novel"), ("Non-Fiction", "Biography"), ("Children", "Picture Book"),
               ("Cooking", "Cookbook"), ("Travel", "Travel Guide"))),
)

_FIRST_NAMES = np.array([
    "James", "Mary", "Liam", "Emma", "Noah", "Olivia", "Lucas", "Sophie", "Hugo", "Chloe",
    "Felix", "Hannah", "Lena", "Jonas", "Mia", "Elias", "Yuki", "Haruto", "Sakura", "Ren",
    "Aarav", "Priya", "Rohan", "Ananya", "Oliver", "Amelia", "Jack", "Isla", "William",
    "Charlotte", "Ethan", "Ava", "Mateo", "Lucia", "Erik", "Astrid", "Leo", "Alice", "Chen",
    "Mei",
])
_LAST_NAMES = np.array([
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Martin", "Bernard",
    "Dubois", "Muller", "Schmidt", "Schneider", "Fischer", "Andersson", "Johansson", "Sato",
    "Suzuki", "Takahashi", "Tanaka", "Sharma", "Patel", "Singh", "Gupta", "Taylor", "Walker",
    "Wright", "Thompson", "White", "Clarke", "Nguyen", "Kim", "Lee", "Rossi", "Moreau",
    "Lambert", "Weber", "Becker", "Lindqvist", "Murphy",
])
_EMAIL_DOMAINS = np.array(["example.com", "mail.example.org", "inbox.example.net",
                           "post.example.com"])
_PROMO_CODES = (("WELCOME10", 0.10), ("SAVE15", 0.15), ("VIP20", 0.20))
_BRANDS = ("visa", "mastercard", "amex", "discover")

FRAUD_PATTERNS = ("velocity", "card_testing", "country_mismatch", "high_amount")
ANOMALY_KINDS = ("store_spike", "store_collapse", "product_stockout")


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class RawFile:
    """One export file as the retailer would drop it into ``raw/``.

    ``frame`` holds the values as written: for CSV strings (None is written ``\\N``), for
    Parquet typed nullable columns.
    """

    key: str
    table: str
    frame: pd.DataFrame
    fmt: Literal["csv", "parquet"]


@dataclass(frozen=True)
class DemoDataset:
    """Raw exports, daily store uploads and the truth the analyses should recover."""

    files: list[RawFile]
    truth: dict[str, pd.DataFrame]
    uploads: dict[tuple[str, date], pd.DataFrame]
    manifest: dict[str, Any]

    def file(self, table: str) -> RawFile:
        """The first raw file of a table (the full export when there are several)."""
        for raw in self.files:
            if raw.table == table:
                return raw
        raise KeyError(table)


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class _Calendar:
    start: date
    end: date
    days: int
    dates: Arr  # datetime64[D]
    dow: Arr  # Monday = 0
    doy: Arr

    @classmethod
    def build(cls, end: date) -> _Calendar:
        start = end - timedelta(days=HISTORY_DAYS - 1)
        dates = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        day_numbers = dates.astype("int64")
        doy = pd.DatetimeIndex(dates).day_of_year.to_numpy()
        return cls(start, end, HISTORY_DAYS, dates, (day_numbers + 3) % 7, doy)

    @property
    def export_time(self) -> np.datetime64:
        """When the full export was taken: 06:00 UTC the day after the last business day."""
        return np.datetime64(self.end, "s") + np.timedelta64(30 * 3600, "s")


@dataclass(frozen=True)
class _Season:
    index: Arr  # (regions * 2, days): purchase intensity per (region, kind 0 store / 1 web)
    holidays: pd.DataFrame
    blocked: Arr  # bool per day: holidays and their neighbours


def _build_season(cal: _Calendar) -> _Season:
    weekly = np.array([[0.86, 0.90, 0.93, 1.0, 1.12, 1.32, 0.87],
                       [1.04, 1.00, 0.99, 0.98, 0.95, 0.97, 1.07]])
    dist = np.abs(cal.doy - 344.0)
    dist = np.minimum(dist, 365.25 - dist)
    yearly = (1 + 0.35 * np.exp(-0.5 * (dist / 28.0) ** 2)
              + 0.06 * np.cos(2 * np.pi * (cal.doy - 200) / 365.25))
    holiday = np.ones((2, cal.days))
    rows: list[tuple[date, str, float, float]] = []
    for year in range(cal.start.year, cal.end.year + 1):
        nov1 = date(year, 11, 1)
        thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        events = [
            (date(year, 1, 1), "New Year's Day", 0.35, 0.7),
            (thanksgiving + timedelta(days=1), "Black Friday", 2.2, 2.0),
            (thanksgiving + timedelta(days=4), "Cyber Monday", 1.2, 2.2),
            *[(date(year, 12, d), "Christmas week", 1.35, 1.3) for d in range(18, 24)],
            (date(year, 12, 24), "Christmas Eve", 1.2, 1.1),
            (date(year, 12, 25), "Christmas Day", 0.25, 0.6),
            (date(year, 12, 26), "Boxing Day", 1.45, 1.3),
        ]
        for day, name, store_factor, web_factor in events:
            i = (day - cal.start).days
            if 0 <= i < cal.days:
                holiday[:, i] = (store_factor, web_factor)
                rows.append((day, name, store_factor, web_factor))
    is_holiday = (holiday != 1.0).any(axis=0)
    blocked = is_holiday | np.roll(is_holiday, 1) | np.roll(is_holiday, -1)
    base = weekly[:, cal.dow] * yearly * holiday
    base /= base.mean(axis=1, keepdims=True)
    offset = (np.arange(cal.days) - (cal.days - 1)) / 365.25
    index = np.empty((len(_REGIONS) * 2, cal.days))
    for r, growth in enumerate(REGION_TRENDS.values()):
        trend = (1 + growth) ** offset
        index[2 * r] = base[0] * trend
        index[2 * r + 1] = base[1] * trend
    holidays = pd.DataFrame(rows, columns=["date", "name", "store_factor", "web_factor"])
    return _Season(index, holidays, blocked)


# --------------------------------------------------------------------------- small helpers


def _digits(rng: np.random.Generator, n: int, width: int, low: int = 0) -> pd.Series:
    """Zero-padded random numbers as strings."""
    values = rng.integers(low, 10**width, n)
    return pd.Series(values).astype("str").str.zfill(width)


def _letters(rng: np.random.Generator, n: int) -> pd.Series:
    return pd.Series(np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))[rng.integers(0, 23, n)])


def _ids(prefix: str, numbers: Arr, width: int) -> pd.Series:
    return prefix + pd.Series(numbers).astype("str").str.zfill(width)


def _money(values: Arr) -> pd.Series:
    """Amounts with exactly two decimals, as MySQL exports DECIMAL(…,2)."""
    cents = np.round(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
    sign = pd.Series(np.where(cents < 0, "-", ""), dtype="str")
    cents = np.abs(cents)
    whole = pd.Series(cents // 100).astype("str")
    frac = pd.Series(cents % 100).astype("str").str.zfill(2)
    out: pd.Series = sign + whole + "." + frac
    return out


def _timestamps(values: Arr) -> pd.Series:
    stamps: pd.Series = pd.Series(values.astype("datetime64[s]"))
    return stamps.dt.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[no-any-return]


def _day_strings(cal: _Calendar, days: Arr) -> pd.Series:
    values: pd.Series = pd.Series(cal.dates[days])
    return values.dt.strftime("%Y-%m-%d")  # type: ignore[no-any-return]


def _dates(values: Arr) -> pd.Series:
    """datetime64 days as Python dates, which Parquet stores as date32."""
    return pd.Series(values.astype("datetime64[D]").astype(object))


def _bool01(values: Arr) -> pd.Series:
    return pd.Series(np.where(values, "1", "0"))


def _nullable(values: pd.Series, is_null: Arr) -> pd.Series:
    """String values with NULL where ``is_null`` (kept Arrow-backed: no Python objects)."""
    return values.astype("str").reset_index(drop=True).where(~np.asarray(is_null, dtype=bool))


def _ipv4(rng: np.random.Generator, first_octet: Arr) -> pd.Series:
    rest = rng.integers(1, 255, (len(first_octet), 3))
    parts = [pd.Series(first_octet).astype("str")] + [
        pd.Series(rest[:, i]).astype("str") for i in range(3)
    ]
    return parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3]


def _ipv6(rng: np.random.Generator, n: int) -> pd.Series:
    groups = rng.integers(0, 65536, (n, 3))
    hexes = [pd.Series(groups[:, i]).map("{:x}".format) for i in range(3)]
    return "2a0" + pd.Series(rng.integers(1, 10, n)).astype("str") + ":" + hexes[0] + ":" \
        + hexes[1] + "::" + hexes[2]


def _ip_addresses(rng: np.random.Generator, country: Arr, ipv6_share: float) -> pd.Series:
    """Random client IPs; ``country`` indexes ``_COUNTRIES`` or, from 100 on, foreign ones."""
    first = np.empty(len(country), dtype=np.int64)
    for i, c in enumerate(_COUNTRIES):
        mask = country == i
        first[mask] = np.array(c.ip_octets)[rng.integers(0, len(c.ip_octets), mask.sum())]
    for i, octet in enumerate(_FOREIGN_IP_OCTETS):
        first[country == 100 + i] = octet
    out = _ipv4(rng, first)
    v6 = rng.random(len(country)) < ipv6_share
    if v6.any():
        out[v6] = _ipv6(rng, int(v6.sum())).to_numpy()
    return out


def _country_names(country: Arr) -> Arr:
    names = np.array(_COUNTRY_CODES + list(_FOREIGN_IP_COUNTRIES), dtype=object)
    lookup = np.where(country >= 100, country - 100 + len(_COUNTRY_CODES), country)
    return np.asarray(names[lookup])


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class _Catalogue:
    frame: pd.DataFrame
    category: Arr
    elasticity: Arr  # per category
    weight: Arr
    unit_cost: Arr  # USD
    price: Arr  # (products, days) price paid in USD
    promo: Arr  # (products, days) bool
    demand: Arr  # (products, days) availability * (price / reference) ** elasticity
    max_factor: Arr
    extra_quantity: Arr


def _round_price(x: Arr) -> Arr:
    """Psychological list prices: 19.99 above ten, 2.49 below."""
    return np.where(x >= 10, np.floor(x) + 0.99, np.maximum(np.round(x, 1) - 0.01, 0.49))


def _build_catalogue(rng: np.random.Generator, cfg: _ScaleConfig, cal: _Calendar) -> _Catalogue:
    n, days, n_cat = cfg.products, cal.days, len(_CATEGORIES)
    cat = np.sort(np.arange(n) % n_cat)
    elasticity = np.round(
        rng.permutation(np.linspace(-2.8, -0.6, n_cat)) + rng.uniform(-0.1, 0.1, n_cat), 2)
    median = np.array([c.median_price for c in _CATEGORIES])[cat]
    sigma = np.array([c.price_sigma for c in _CATEGORIES])[cat]
    list0 = _round_price(np.clip(np.exp(np.log(median) + sigma * rng.normal(size=n)), 0.6, 3000))
    cost = np.round(list0 * rng.uniform(0.35, 0.7, n), 2)

    is_new = rng.random(n) < 0.15
    launch = np.where(is_new, rng.integers(0, int(days * 0.75), n), -rng.integers(30, 2500, n))
    discontinued = ~is_new & (rng.random(n) < 0.04)
    last = np.where(discontinued, rng.integers(days - 300, days - 30, n), days - 1)
    day_idx = np.arange(days)
    avail = (day_idx >= launch[:, None]) & (day_idx <= last[:, None])

    # 2-4 permanent list price changes of 5-20%, drifting back towards the launch price.
    first_day = np.maximum(launch, 0) + 7
    n_changes = rng.integers(2, 5, n)
    change_days = first_day[:, None] + np.sort(rng.random((n, 4)), axis=1) * (
        days - 1 - first_day[:, None])
    delta = np.zeros((n, days))
    level = np.zeros(n)
    for k in range(4):
        size = rng.uniform(0.05, 0.20, n)
        sign = np.where(level > 0.05, -1.0, np.where(level < -0.05, 1.0,
                                                      rng.choice([-1.0, 1.0], n)))
        step = np.where(k < n_changes, np.log1p(sign * size), 0.0)
        level += step
        np.add.at(delta, (np.arange(n), change_days[:, k].astype(np.int64)), step)
    list_price = _round_price(list0[:, None] * np.exp(np.cumsum(delta, axis=1)))

    # Promotions: 10-40% off for 3-14 days, about ten a year per product.
    discount = np.zeros((n, days))
    n_promos = rng.integers(24, 37, n)
    for k in range(36):
        start = rng.integers(0, days, n)
        length = rng.integers(3, 15, n)
        depth = np.round((0.10 + 0.30 * np.sqrt(rng.random(n))) * 20) / 20
        window = (day_idx >= start[:, None]) & (day_idx < (start + length)[:, None])
        window &= (k < n_promos)[:, None]
        discount = np.where(window, np.maximum(discount, depth[:, None]), discount)
    price = np.round(list_price * (1 - discount), 2)
    factor = (price / list0[:, None]) ** elasticity[cat][:, None]
    demand = np.where(avail, factor, 0.0)
    max_factor = demand.max(axis=1)
    weight = rng.lognormal(0.0, 0.8, n)

    names, subcats, brands = [], [], []
    for c, spec in enumerate(_CATEGORIES):
        m = int((cat == c).sum())
        item = rng.integers(0, len(spec.items), m)
        brand = np.array(spec.brands)[rng.integers(0, len(spec.brands), m)]
        noun = np.array([i[1] for i in spec.items])[item]
        model = _letters(rng, m) + _digits(rng, m, 3, 100)
        names.append(pd.Series(brand) + " " + pd.Series(noun) + " " + model)
        subcats.append(pd.Series(np.array([i[0] for i in spec.items])[item]))
        brands.append(pd.Series(brand))
    last_change = np.where(n_changes > 0, change_days.max(axis=1, where=(
        np.arange(4) < n_changes[:, None]), initial=0), 0).astype(np.int64)
    updated_day = np.maximum(last_change, np.maximum(launch, 0))
    updated_day = np.where(discontinued, np.maximum(updated_day, last), updated_day)
    start_day = np.datetime64(cal.start, "D")
    frame = pd.DataFrame({
        "product_id": _ids("SKU-", np.arange(1, n + 1), 5),
        "name": pd.concat(names, ignore_index=True),
        "category": np.array([c.name for c in _CATEGORIES])[cat],
        "subcategory": pd.concat(subcats, ignore_index=True),
        "brand": pd.concat(brands, ignore_index=True),
        "unit_cost": cost,
        "list_price": list_price[:, -1],
        "currency": "USD",
        "launched_on": _dates(start_day + launch),
        "discontinued": pd.array(discontinued, dtype="boolean"),
        "updated_at": (start_day + updated_day).astype("datetime64[us]")
        + np.timedelta64(6, "h") + rng.integers(0, 3600, n).astype("timedelta64[s]"),
    })
    frame["currency"] = frame["currency"].astype("str")
    extra_q = np.array([c.extra_quantity for c in _CATEGORIES])[cat]
    return _Catalogue(frame, cat, elasticity, weight, cost, price, discount > 0, demand,
                      max_factor, extra_q)


# --------------------------------------------------------------------------- customers


@dataclass(frozen=True)
class _People:
    frame: pd.DataFrame
    country: Arr
    home_loc: Arr  # store index, or _WEB_LOC
    signup_day: Arr
    holder: Arr  # "FIRST LAST"
    rate: Arr
    dropout: Arr
    basket: Arr  # expected lines per order
    alive: Arr
    death_day: Arr  # -1 when alive
    event_customer: Arr
    event_time: Arr  # fractional day index
    ip: pd.Series
    cards: pd.DataFrame  # customer_index, card (index into card table)


def _build_customers(rng: np.random.Generator, cfg: _ScaleConfig, cal: _Calendar,
                     season: _Season) -> _People:
    n, days = cfg.customers, cal.days
    is_web = rng.random(n) < 0.25
    store = rng.choice(_N_STORES, n, p=_STORE_WEIGHTS / _STORE_WEIGHTS.sum())
    home_loc = np.where(is_web, _WEB_LOC, store)
    store_country = np.array([s.country for s in _STORES])
    country = np.where(is_web, rng.choice(len(_COUNTRIES), n, p=_WEB_COUNTRY_WEIGHTS),
                       store_country[store])
    region = _COUNTRY_REGION[country]

    rate = rng.gamma(1.6, 0.04 / 1.6, n)
    dropout = rng.beta(1.1, 26.0, n)
    basket = 1.0 + rng.gamma(2.0, 0.7, n)
    existing = rng.random(n) < 0.35
    acquired = np.where(existing, 0.0, rng.uniform(0, days, n))
    signup_day = np.where(existing, -rng.integers(1, 1100, n), np.floor(acquired)).astype(
        np.int64)

    # Candidate purchases at the peak seasonal rate, thinned to the season of the customer.
    group = region * 2 + is_web.astype(np.int64)
    peak = season.index.max(axis=1)
    n_cand = rng.poisson(rate * peak[group] * (days - acquired))
    cust = np.repeat(np.arange(n), n_cand)
    t = acquired[cust] + rng.random(cust.size) * (days - acquired[cust])
    day = np.minimum(t.astype(np.int64), days - 1)
    keep = rng.random(cust.size) * peak[group[cust]] < season.index[group[cust], day]
    cust = np.concatenate([cust[keep], np.flatnonzero(~existing)])
    t = np.concatenate([t[keep], acquired[~existing]])
    order = np.lexsort((t, cust))
    cust, t = cust[order], t[order]
    counts = np.bincount(cust, minlength=n)
    first = np.cumsum(counts) - counts
    rank = np.arange(cust.size) - first[cust] + 1
    # Dropout: after each purchase the customer leaves with probability ``dropout``.
    lifetime = rng.geometric(dropout)
    alive = lifetime > counts
    death_day = np.full(n, -1, dtype=np.int64)
    dead = np.flatnonzero(~alive)
    death_day[dead] = np.minimum(t[first[dead] + lifetime[dead] - 1].astype(np.int64), days - 1)
    keep = rank <= lifetime[cust]
    cust, t = cust[keep], t[keep]

    first_name = _FIRST_NAMES[rng.integers(0, len(_FIRST_NAMES), n)]
    last_name = _LAST_NAMES[rng.integers(0, len(_LAST_NAMES), n)]
    ids = _ids("C", np.arange(1, n + 1), 7)
    email = (pd.Series(first_name) + "." + pd.Series(last_name)
             + pd.Series(rng.integers(1, 999, n)).astype("str") + "@"
             + pd.Series(_EMAIL_DOMAINS[rng.integers(0, len(_EMAIL_DOMAINS), n)])).str.lower()
    phone_prefix = np.array([c.phone for c in _COUNTRIES])[country]
    phone = (pd.Series(phone_prefix) + " " + _digits(rng, n, 3, 200) + " "
             + _digits(rng, n, 3, 100) + " " + _digits(rng, n, 4))
    city = np.empty(n, dtype=object)
    postal = pd.Series(np.empty(n, dtype=object))
    for i, c in enumerate(_COUNTRIES):
        mask = country == i
        m = int(mask.sum())
        city[mask] = np.array(c.cities)[rng.integers(0, len(c.cities), m)]
        if c.code == "CA":
            code = (_letters(rng, m) + _digits(rng, m, 1) + _letters(rng, m) + " "
                    + _digits(rng, m, 1) + _letters(rng, m) + _digits(rng, m, 1))
        elif c.code == "GB":
            code = (_letters(rng, m) + _letters(rng, m) + _digits(rng, m, 1) + " "
                    + _digits(rng, m, 1) + _letters(rng, m) + _letters(rng, m))
        elif c.code == "SE":
            code = _digits(rng, m, 3, 100) + " " + _digits(rng, m, 2)
        elif c.code == "JP":
            code = _digits(rng, m, 3, 100) + "-" + _digits(rng, m, 4)
        elif c.code == "AU":
            code = _digits(rng, m, 4, 1000)
        elif c.code == "IN":
            code = _digits(rng, m, 6, 100000)
        else:
            code = _digits(rng, m, 5, 1000)
        postal[mask] = code.to_numpy()
    store_city = np.array([s.city for s in _STORES], dtype=object)
    city = np.where(is_web, city, store_city[store])
    is_us = country == 0
    has_ssn = is_us & (rng.random(n) < 0.6)
    area = rng.integers(1, 899, n)
    area = area + (area >= 666)
    ssn = (pd.Series(area).astype("str").str.zfill(3) + "-" + _digits(rng, n, 2, 1) + "-"
           + _digits(rng, n, 4, 1))
    updated = (np.datetime64(cal.start, "s") + (signup_day * 86400)
               + rng.integers(0, 86400 * 400, n)).astype("datetime64[s]")
    updated = np.minimum(updated, cal.export_time - np.timedelta64(3600, "s"))
    opt_in = pd.array(rng.random(n) < 0.45, dtype="boolean")
    opt_in[rng.random(n) < 0.03] = pd.NA
    frame = pd.DataFrame({
        "customer_id": ids,
        "first_name": first_name,
        "last_name": last_name,
        "email": _nullable(email, rng.random(n) < 0.01),
        "phone": _nullable(phone, rng.random(n) < 0.12),
        "ssn": _nullable(ssn, ~has_ssn),
        "country": np.array(_COUNTRY_CODES)[country],
        "city": city.astype(str),
        "postal_code": postal.astype("str"),
        "home_store_id": _nullable(
            pd.Series(np.array([s.store_id for s in _STORES])[store]), is_web),
        "signup_date": _dates(np.datetime64(cal.start, "D") + signup_day),
        "marketing_opt_in": opt_in,
        "updated_at": updated.astype("datetime64[us]"),
    })
    for col in ("first_name", "last_name", "country", "city"):
        frame[col] = frame[col].astype("str")
    holder = (pd.Series(first_name) + " " + pd.Series(last_name)).str.upper().to_numpy()
    n_cards = 1 + (rng.random(n) < 0.35)
    cards = pd.DataFrame({"customer": np.repeat(np.arange(n), n_cards)})
    cards["card"] = np.arange(len(cards))
    ip = _ip_addresses(rng, country, 0.04)
    return _People(frame, country, home_loc, signup_day, holder, rate, dropout, basket,
                   alive, death_day, cust, t, ip, cards)


# --------------------------------------------------------------------------- cards


def _luhn_numbers(rng: np.random.Generator, bins: Arr, lengths: Arr) -> tuple[Arr, Arr]:
    """Luhn-valid card numbers from 6-digit BINs (digit matrix rows) and lengths 15/16.

    Returns the digit matrix (padded with -1 for 15-digit numbers) and lengths.
    """
    n = len(lengths)
    digits = np.full((n, 16), -1, dtype=np.int64)
    for length in (15, 16):
        rows = np.flatnonzero(lengths == length)
        if rows.size == 0:
            continue
        body = rng.integers(0, 10, (rows.size, length - 1))
        body[:, :6] = bins[rows]
        pos_from_right = np.arange(length - 1, 0, -1)  # check digit is position 0
        doubled = np.where(pos_from_right % 2 == 1, body * 2, body)
        doubled = np.where(doubled > 9, doubled - 9, doubled)
        check = (10 - doubled.sum(axis=1) % 10) % 10
        digits[rows, :length - 1] = body
        digits[rows, length - 1] = check
    return digits, lengths


def _digit_strings(digits: Arr, groups: tuple[int, ...], sep: str) -> pd.Series:
    """Join a digit matrix into strings, with ``sep`` between the given group sizes."""
    cols = [pd.Series(digits[:, i]).astype("str") for i in range(digits.shape[1])]
    out = pd.Series([""] * digits.shape[0], dtype="str")
    pos = 0
    for g_index, size in enumerate(groups):
        for i in range(pos, pos + size):
            out = out + cols[i]
        pos += size
        if sep and g_index < len(groups) - 1:
            out = out + sep
    return out


def _make_cards(rng: np.random.Generator, holder: Arr, country: Arr, export: np.datetime64,
                brand: Arr | None = None, bins: Arr | None = None) -> pd.DataFrame:
    """Cards with brand, Luhn-valid number in three spellings, CVV, expiry and holder."""
    n = len(holder)
    if brand is None:
        brand = rng.choice(4, n, p=[0.52, 0.30, 0.11, 0.07])
    if bins is None:
        bins = _random_bins(rng, brand)
    lengths = np.where(brand == 2, 15, 16)
    digits, lengths = _luhn_numbers(rng, bins, lengths)
    plain = np.empty(n, dtype=object)
    spaced = np.empty(n, dtype=object)
    dashed = np.empty(n, dtype=object)
    for length, groups in ((16, (4, 4, 4, 4)), (15, (4, 6, 5))):
        rows = np.flatnonzero(lengths == length)
        if rows.size == 0:
            continue
        sub = digits[rows, :length]
        plain[rows] = _digit_strings(sub, (length,), "").to_numpy()
        spaced[rows] = _digit_strings(sub, groups, " ").to_numpy()
        dashed[rows] = _digit_strings(sub, groups, "-").to_numpy()
    cvv = np.where(brand == 2, _digits(rng, n, 4), _digits(rng, n, 3))
    export_year = int(str(export)[:4]) % 100
    expiry = (pd.Series(rng.integers(1, 13, n)).astype("str").str.zfill(2) + "/"
              + pd.Series(export_year + rng.integers(1, 5, n)).astype("str"))
    return pd.DataFrame({
        "plain": pd.array(plain, dtype="str"), "spaced": pd.array(spaced, dtype="str"),
        "dashed": pd.array(dashed, dtype="str"),
        "brand": np.array(_BRANDS)[brand], "cvv": cvv, "expiry": expiry,
        "holder": holder, "country": country,
    })


def _random_bins(rng: np.random.Generator, brand: Arr) -> Arr:
    n = len(brand)
    bins = rng.integers(0, 10, (n, 6))
    visa, mc, amex, disc = (brand == i for i in range(4))
    bins[visa, 0] = 4
    bins[mc, 0] = 5
    bins[mc, 1] = rng.integers(1, 6, int(mc.sum()))
    bins[amex, 0] = 3
    bins[amex, 1] = np.where(rng.random(int(amex.sum())) < 0.5, 4, 7)
    bins[disc, :4] = (6, 0, 1, 1)
    return bins


def _random_holders(rng: np.random.Generator, n: int) -> Arr:
    first = _FIRST_NAMES[rng.integers(0, len(_FIRST_NAMES), n)]
    last = _LAST_NAMES[rng.integers(0, len(_LAST_NAMES), n)]
    return (pd.Series(first) + " " + pd.Series(last)).str.upper().to_numpy()


# --------------------------------------------------------------------------- orders


_ORDER_COLUMNS = ("day", "loc", "channel", "cust", "sec", "basket", "country", "fraud")


def _hours(rng: np.random.Generator, channel: Arr) -> Arr:
    hour = np.where(
        channel == 0,
        rng.choice(24, len(channel), p=_STORE_HOURS / _STORE_HOURS.sum()),
        rng.choice(24, len(channel), p=_WEB_HOURS / _WEB_HOURS.sum()),
    )
    return np.asarray(hour * 3600 + rng.integers(0, 3600, len(channel)))


def _legit_orders(rng: np.random.Generator, cfg: _ScaleConfig, cal: _Calendar,
                  season: _Season, people: _People) -> pd.DataFrame:
    cust = people.event_customer
    day = np.minimum(people.event_time.astype(np.int64), cal.days - 1)
    home = people.home_loc[cust]
    u = rng.random(cust.size)
    at_web_home = home == _WEB_LOC
    channel = np.where(at_web_home, np.where(u < 0.55, 1, 2),
                       np.where(u < 0.85, 0, np.where(u < 0.95, 1, 2)))
    loc = np.where(channel == 0, home, _WEB_LOC)
    customer_orders = pd.DataFrame({
        "day": day, "loc": loc, "channel": channel, "cust": cust,
        "basket": people.basket[cust], "country": people.country[cust],
    })
    # Anonymous walk-ins per store-day and guest web orders per day.
    store_idx = np.arange(_N_STORES)
    lam = (cfg.anon_store_per_day * _STORE_WEIGHTS[:, None]
           * season.index[_LOC_REGION[store_idx] * 2])
    counts = rng.poisson(lam)
    walk_loc = np.repeat(np.repeat(store_idx, cal.days), counts.ravel())
    walk_day = np.repeat(np.tile(np.arange(cal.days), _N_STORES), counts.ravel())
    guests = rng.poisson(cfg.guest_web_per_day * season.index[1])
    guest_day = np.repeat(np.arange(cal.days), guests)
    store_country = np.array([s.country for s in _STORES])
    anon = pd.DataFrame({
        "day": np.concatenate([walk_day, guest_day]),
        "loc": np.concatenate([walk_loc, np.full(guest_day.size, _WEB_LOC)]),
        "channel": np.concatenate([np.zeros(walk_day.size, np.int64),
                                   np.where(rng.random(guest_day.size) < 0.6, 1, 2)]),
        "cust": -1,
        "basket": 1.0 + rng.gamma(2.0, 0.7, walk_day.size + guest_day.size),
        "country": np.concatenate([
            store_country[walk_loc],
            rng.choice(len(_COUNTRIES), guest_day.size, p=_WEB_COUNTRY_WEIGHTS)]),
    })
    orders = pd.concat([customer_orders, anon], ignore_index=True)
    orders["sec"] = _hours(rng, orders["channel"].to_numpy())
    orders["fraud"] = 0
    return orders


@dataclass(frozen=True)
class _Anomalies:
    frame: pd.DataFrame  # the truth rows
    store_days: list[tuple[int, int, str, float]]  # (store, day, kind, factor)
    stockouts: list[tuple[int, int, int, int]]  # (store, product, first day, last day)


def _choose_anomalies(rng: np.random.Generator, cal: _Calendar, season: _Season,
                      catalogue: _Catalogue) -> _Anomalies:
    days = cal.days
    n = int(rng.integers(8, 13))
    allowed = ~season.blocked
    recent = np.flatnonzero(allowed[days - 120:days - 1]) + days - 120
    older = np.flatnonzero(allowed[days - 365:days - 120]) + days - 365
    n_old = int(rng.integers(1, 3))
    picked = np.concatenate([[days - 1], rng.choice(recent, n - 1 - n_old, replace=False),
                             rng.choice(older, n_old, replace=False)]).astype(np.int64)
    stores = rng.integers(0, _N_STORES, n)
    kinds = rng.permutation(np.array(["store_spike"] * ((n + 1) // 2)
                                     + ["store_collapse"] * (n // 2)))
    # The last day's anomaly is a spike: on the small data set a store sells a handful of
    # baskets a day, so a one-day collapse there is indistinguishable from a quiet day,
    # while the daily analysis demo needs a detectable event on its business date.
    first_spike = int(np.flatnonzero(kinds == "store_spike")[0])
    kinds[[0, first_spike]] = kinds[[first_spike, 0]]
    factors = np.round(np.where(kinds == "store_spike", rng.uniform(2.5, 4.0, n),
                                rng.uniform(0.1, 0.3, n)), 2)
    store_days = [(int(s), int(d), str(k), float(f))
                  for s, d, k, f in zip(stores, picked, kinds, factors, strict=True)]

    n_out = int(rng.integers(4, 7))
    available_end = catalogue.demand[:, days - INVENTORY_DAYS:].min(axis=1) > 0
    popular = np.flatnonzero(available_end & (
        catalogue.weight >= np.quantile(catalogue.weight[available_end], 0.75)))
    products = rng.choice(popular, n_out, replace=False)
    out_stores = rng.choice(_N_STORES, n_out, replace=n_out > _N_STORES)
    length = rng.integers(3, 8, n_out)
    first = rng.integers(days - INVENTORY_DAYS + 2, days - length)
    stockouts = [(int(s), int(p), int(f), int(f + n_ - 1))
                 for s, p, f, n_ in zip(out_stores, products, first, length, strict=True)]

    store_ids = np.array([s.store_id for s in _STORES])
    product_ids = catalogue.frame["product_id"].to_numpy()
    rows = [(k, store_ids[s], "", cal.dates[d], cal.dates[d], f) for s, d, k, f in store_days]
    rows += [("product_stockout", store_ids[s], product_ids[p], cal.dates[a], cal.dates[b], 0.0)
             for s, p, a, b in stockouts]
    frame = pd.DataFrame(rows, columns=["kind", "store_id", "product_id", "start_date",
                                        "end_date", "factor"])
    frame["start_date"] = pd.to_datetime(frame["start_date"]).dt.date
    frame["end_date"] = pd.to_datetime(frame["end_date"]).dt.date
    frame = frame.sort_values(["start_date", "store_id"], kind="stable", ignore_index=True)
    return _Anomalies(frame, store_days, stockouts)


def _plant_store_anomalies(rng: np.random.Generator, cfg: _ScaleConfig, cal: _Calendar,
                           catalogue: _Catalogue, orders: pd.DataFrame, lines: pd.DataFrame,
                           anomalies: _Anomalies) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scale each anomaly store-day's revenue to ``factor`` times its usual revenue.

    Usual means the median revenue of the same weekday over the previous eight weeks, the
    baseline a detector would use. Spikes add anonymous walk-in orders (a store event),
    collapses drop orders.
    """
    loc, day = orders["loc"].to_numpy(), orders["day"].to_numpy()
    value = lines["quantity"].to_numpy() * lines["price_usd"].to_numpy()
    revenue = np.bincount(lines["order"].to_numpy(), weights=value, minlength=len(orders))
    keep = np.ones(len(orders), dtype=bool)
    extra_orders: list[pd.DataFrame] = []
    extra_lines: list[pd.DataFrame] = []
    offset = len(orders)
    mean_order = float(revenue.mean())
    for store, d, kind, factor in anomalies.store_days:
        hit = np.flatnonzero((loc == store) & (day == d))
        usual = np.median([revenue[(loc == store) & (day == d - 7 * w)].sum()
                           for w in range(1, 9)])
        target = factor * usual
        if kind == "store_collapse":
            shuffled = rng.permutation(hit)
            keep[shuffled[np.cumsum(revenue[shuffled]) > target]] = False
            continue
        need = target - revenue[hit].sum()
        n_batch = max(10, int(np.ceil(3 * max(need, 0) / mean_order)))
        batch = pd.DataFrame({
            "day": d, "loc": store, "channel": 0, "cust": -1,
            "basket": 1.0 + rng.gamma(2.0, 0.7, n_batch), "country": _STORES[store].country,
            "sec": _hours(rng, np.zeros(n_batch, np.int64)), "fraud": 0,
        })
        batch, batch_lines = _order_lines(rng, cfg, cal, catalogue, batch, anomalies)
        batch_value = np.bincount(
            batch_lines["order"].to_numpy(), minlength=len(batch),
            weights=batch_lines["quantity"].to_numpy() * batch_lines["price_usd"].to_numpy())
        n_take = max(1, int(np.searchsorted(np.cumsum(batch_value), need, side="right")))
        extra_orders.append(batch.iloc[:n_take])
        taken = batch_lines[batch_lines["order"] < n_take].copy()
        taken["order"] += offset
        extra_lines.append(taken)
        offset += n_take
    orders = pd.concat([orders, *extra_orders], ignore_index=True)
    lines = pd.concat([lines, *extra_lines], ignore_index=True)
    keep = np.concatenate([keep, np.ones(len(orders) - keep.size, dtype=bool)])
    new_index = np.cumsum(keep) - 1
    lines = lines[keep[lines["order"].to_numpy()]].copy()
    lines["order"] = new_index[lines["order"].to_numpy()]
    lines = lines.sort_values("order", kind="stable", ignore_index=True)
    return orders[keep].reset_index(drop=True), lines


def _order_lines(rng: np.random.Generator, cfg: _ScaleConfig, cal: _Calendar,
                 catalogue: _Catalogue, orders: pd.DataFrame,
                 anomalies: _Anomalies) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw lines for every order; drops orders left without a line (stock-outs)."""
    n_prod, days = len(catalogue.weight), cal.days
    share = catalogue.weight[:, None] * catalogue.demand
    cdf = np.cumsum(share, axis=0) / share.sum(axis=0)
    flat_cdf = (cdf.T + np.arange(days)[:, None]).ravel()
    cand_w = catalogue.weight * catalogue.max_factor
    cand_cdf = np.cumsum(cand_w) / cand_w.sum()
    accept = catalogue.demand / catalogue.max_factor[:, None]
    alpha = float((cand_w / cand_w.sum()) @ accept.mean(axis=1))
    out_keys = np.array([(s * n_prod + p) * days + d for s, p, a, b in anomalies.stockouts
                         for d in range(a, b + 1)], dtype=np.int64)

    chunks: list[pd.DataFrame] = []
    day_all = orders["day"].to_numpy()
    basket_all = orders["basket"].to_numpy()
    loc_all = orders["loc"].to_numpy()
    for lo in range(0, len(orders), cfg.chunk_orders):
        hi = min(lo + cfg.chunk_orders, len(orders))
        day, basket = day_all[lo:hi], basket_all[lo:hi]
        first = np.searchsorted(flat_cdf, rng.random(hi - lo) + day, side="right")
        first = np.clip(first - day * n_prod, 0, n_prod - 1)
        n_extra = rng.poisson((basket - 1.0) / alpha)
        extra_order = np.repeat(np.arange(hi - lo), n_extra)
        extra_prod = np.minimum(np.searchsorted(cand_cdf, rng.random(extra_order.size)),
                                n_prod - 1)
        ok = rng.random(extra_order.size) < accept[extra_prod, day[extra_order]]
        order_idx = np.concatenate([np.arange(hi - lo), extra_order[ok]]) + lo
        prod = np.concatenate([first, extra_prod[ok]])
        sort = np.argsort(order_idx, kind="stable")
        order_idx, prod = order_idx[sort], prod[sort]
        line_day = day_all[order_idx]
        line_loc = loc_all[order_idx]
        if out_keys.size:
            key = (line_loc * n_prod + prod) * days + line_day
            keep = ~((line_loc < _N_STORES) & np.isin(key, out_keys))
            order_idx, prod, line_day = order_idx[keep], prod[keep], line_day[keep]
        chunks.append(pd.DataFrame({
            "order": order_idx, "product": prod,
            "quantity": 1 + rng.poisson(catalogue.extra_quantity[prod]),
            "price_usd": catalogue.price[prod, line_day],
            "promo": catalogue.promo[prod, line_day],
        }))
    lines = pd.concat(chunks, ignore_index=True)
    has_lines = np.bincount(lines["order"].to_numpy(), minlength=len(orders)) > 0
    new_index = np.cumsum(has_lines) - 1
    lines["order"] = new_index[lines["order"].to_numpy()]
    return orders[has_lines].reset_index(drop=True), lines


# --------------------------------------------------------------------------- fraud


def _pick_products(rng: np.random.Generator, pool: Arr, day: Arr, accept: Arr) -> Arr:
    """Products from ``pool`` for lines on ``day``, thinned by the price response.

    Fraud lines follow the same ``(price / reference) ** elasticity`` law as legit ones,
    so they do not blur the planted elasticities.
    """
    out = rng.choice(pool, day.size)
    todo = rng.random(day.size) >= accept[out, day]
    for _ in range(200):
        if not todo.any():
            break
        out[todo] = rng.choice(pool, int(todo.sum()))
        todo[todo] = rng.random(int(todo.sum())) >= accept[out[todo], day[todo]]
    return out


def _fraud_orders(rng: np.random.Generator, cal: _Calendar, catalogue: _Catalogue,
                  people: _People, n_legit_payments: int, card_offset: int,
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fraud orders (with payment attributes), their lines and the new cards they use."""
    days = cal.days
    target = max(40, round(FRAUD_SHARE * n_legit_payments / (1 - FRAUD_SHARE)))
    price_year = catalogue.price[:, days - 365:]
    steady = catalogue.demand[:, days - 365:].min(axis=1) > 0
    pricey = np.flatnonzero(steady & (price_year.min(axis=1) >= 50))
    mid = np.flatnonzero(steady & (price_year.min(axis=1) >= 30))
    top = np.flatnonzero(steady & (catalogue.price[:, -1] >= np.quantile(
        catalogue.price[steady, -1], 0.85)))
    cheap = np.flatnonzero(steady & (price_year.max(axis=1) <= 5.0) & (price_year.min(
        axis=1) >= 0.5))
    if cheap.size == 0:
        cheap = np.argsort(np.where(steady, price_year.max(axis=1), np.inf))[:3]

    orders: list[pd.DataFrame] = []
    lines: list[pd.DataFrame] = []
    cards: list[pd.DataFrame] = []
    n_cards = 0
    n_orders = 0

    accept = catalogue.demand / catalogue.max_factor[:, None]

    def add(frame: pd.DataFrame, pool: Arr, line_order: Arr, quantity: Arr) -> None:
        nonlocal n_orders
        frame = frame.copy()
        products = _pick_products(rng, pool, frame["day"].to_numpy()[line_order], accept)
        orders.append(frame)
        lines.append(pd.DataFrame({"order": line_order + n_orders, "product": products,
                                   "quantity": quantity}))
        n_orders += len(frame)

    def new_cards(holder: Arr, country: Arr, bins: Arr | None = None,
                  brand: Arr | None = None) -> Arr:
        nonlocal n_cards
        frame = _make_cards(rng, holder, country, cal.export_time, brand, bins)
        cards.append(frame)
        idx = np.arange(n_cards, n_cards + len(frame)) + card_offset
        n_cards += len(frame)
        return idx

    def web_day(n: int) -> Arr:
        return np.asarray(rng.integers(days - 365, days - 1, n))

    # 1. Velocity: one stolen card, 5-15 web orders within an hour, guest checkout.
    sizes = rng.integers(5, 16, max(1, round(0.4 * target / 10)))
    burst = np.repeat(np.arange(sizes.size), sizes)
    b_country = rng.choice(len(_COUNTRIES), sizes.size, p=_WEB_COUNTRY_WEIGHTS)
    b_card = new_cards(_random_holders(rng, sizes.size), np.array(_COUNTRY_CODES)[b_country])
    b_ip_country = np.where(rng.random(sizes.size) < 0.5, b_country,
                            100 + rng.integers(0, len(_FOREIGN_IP_COUNTRIES), sizes.size))
    b_ip = _ip_addresses(rng, b_ip_country, 0.0).to_numpy()
    start = rng.integers(0, 86400 - 3600, sizes.size)
    rank = np.arange(burst.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    offsets = np.sort(rng.integers(0, 3600, burst.size))  # sorted within each burst below
    offsets = offsets[np.lexsort((offsets, burst))]
    n_declined_tail = rng.integers(0, 3, sizes.size)
    declined = rank >= (sizes - n_declined_tail)[burst]
    frame = pd.DataFrame({
        "day": web_day(sizes.size)[burst], "loc": _WEB_LOC,
        "channel": np.repeat(rng.integers(1, 3, sizes.size), sizes), "cust": -1,
        "sec": start[burst] + offsets, "basket": 1.0, "country": b_country[burst],
        "fraud": 1, "card": b_card[burst],
        "pay_status": np.where(declined, "declined", "captured"),
        "ip": b_ip[burst], "ip_country": b_ip_country[burst],
    })
    n_lines = rng.integers(1, 3, len(frame))
    line_order = np.repeat(np.arange(len(frame)), n_lines)
    add(frame, pricey, line_order, np.ones(line_order.size, int))

    # 2. Card testing: many tiny guest orders, new cards sharing a BIN, mostly declined.
    sizes = rng.integers(10, 31, max(1, round(0.3 * target / 20)))
    session = np.repeat(np.arange(sizes.size), sizes)
    s_brand = rng.choice(2, sizes.size)
    s_bins = _random_bins(rng, s_brand)
    t_card = new_cards(_random_holders(rng, session.size), np.full(session.size, "US"),
                       s_bins[session], s_brand[session])
    s_ip_country = np.where(rng.random(sizes.size) < 0.5, 0,
                            100 + rng.integers(0, len(_FOREIGN_IP_COUNTRIES), sizes.size))
    s_ip = _ip_addresses(rng, s_ip_country, 0.0).to_numpy()
    start = rng.integers(0, 86400 - 1200, sizes.size)
    offsets = rng.integers(0, 1200, session.size)
    offsets = offsets[np.lexsort((offsets, session))]
    frame = pd.DataFrame({
        "day": web_day(sizes.size)[session], "loc": _WEB_LOC, "channel": 1, "cust": -1,
        "sec": start[session] + offsets, "basket": 1.0, "country": 0, "fraud": 2,
        "card": t_card,
        "pay_status": np.where(rng.random(session.size) < 0.85, "declined", "captured"),
        "ip": s_ip[session], "ip_country": s_ip_country[session],
    })
    add(frame, cheap, np.arange(len(frame)), np.ones(len(frame), int))

    # 3 and 4 use old accounts, inside their lifetime, at least 180 days after signup.
    lo = np.maximum(people.signup_day + 180, days - 365)
    hi = np.where(people.alive, days - 1, people.death_day)
    n_orders_cust = np.bincount(people.event_customer, minlength=len(lo))
    eligible = np.flatnonzero((hi > lo) & (n_orders_cust >= 2))
    n_ato = max(1, round(0.2 * target / 2))
    n_high = max(1, round(0.1 * target))
    chosen = rng.choice(eligible, min(eligible.size, n_ato + n_high), replace=False)
    ato, high = chosen[:n_ato], chosen[n_ato:]

    # 3. Country mismatch: a new card on an old account, from an IP abroad.
    per = rng.integers(1, 4, ato.size)
    acc = np.repeat(ato, per)
    a_day = rng.integers(lo[ato], hi[ato] + 1)
    a_card = new_cards(_random_holders(rng, ato.size),
                       np.array(_COUNTRY_CODES)[people.country[ato]])
    a_ip_country = 100 + rng.integers(0, len(_FOREIGN_IP_COUNTRIES), ato.size)
    a_ip = _ip_addresses(rng, a_ip_country, 0.0).to_numpy()
    idx = np.repeat(np.arange(ato.size), per)
    start = rng.integers(0, 86400 - 4 * 3600, ato.size)
    frame = pd.DataFrame({
        "day": a_day[idx], "loc": _WEB_LOC, "channel": 1, "cust": acc,
        "sec": start[idx] + rng.integers(0, 4 * 3600, acc.size), "basket": 1.0,
        "country": people.country[acc], "fraud": 3, "card": a_card[idx],
        "pay_status": "captured", "ip": a_ip[idx], "ip_country": a_ip_country[idx],
    })
    n_lines = rng.integers(1, 4, len(frame))
    line_order = np.repeat(np.arange(len(frame)), n_lines)
    add(frame, mid, line_order, np.ones(line_order.size, int))

    # 4. High amount: the customer's own card and country, a basket far above usual.
    first_card = people.cards.groupby("customer")["card"].min().to_numpy()
    frame = pd.DataFrame({
        "day": rng.integers(lo[high], hi[high] + 1), "loc": _WEB_LOC, "channel": 1,
        "cust": high, "sec": _hours(rng, np.ones(high.size, np.int64)), "basket": 1.0,
        "country": people.country[high], "fraud": 4, "card": first_card[high],
        "pay_status": "captured", "ip": people.ip.to_numpy()[high],
        "ip_country": people.country[high],
    })
    n_lines = rng.integers(4, 9, len(frame))
    line_order = np.repeat(np.arange(len(frame)), n_lines)
    add(frame, top, line_order, rng.integers(1, 3, line_order.size))

    all_orders = pd.concat(orders, ignore_index=True)
    all_lines = pd.concat(lines, ignore_index=True)
    day = all_orders["day"].to_numpy()[all_lines["order"].to_numpy()]
    prod = all_lines["product"].to_numpy()
    all_lines["price_usd"] = catalogue.price[prod, day]
    all_lines["promo"] = catalogue.promo[prod, day]
    return all_orders, all_lines, pd.concat(cards, ignore_index=True)


# --------------------------------------------------------------------------- assembly


def _to_utc(cal: _Calendar, day: Arr, sec: Arr, loc: Arr) -> Arr:
    """Local business day + seconds at a location -> UTC datetime64[s]."""
    local = cal.dates[day].astype("datetime64[s]") + sec.astype("timedelta64[s]")
    out = np.empty(len(day), dtype="datetime64[s]")
    for i, tz in enumerate(_LOC_TIMEZONE):
        mask = loc == i
        if not mask.any():
            continue
        idx = pd.DatetimeIndex(local[mask]).tz_localize(
            tz, ambiguous=np.zeros(int(mask.sum()), dtype=bool), nonexistent="shift_forward")
        out[mask] = idx.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[s]")
    return out


@dataclass(frozen=True)
class _Sales:
    orders: pd.DataFrame  # numeric working columns + formatted contract columns
    lines: pd.DataFrame
    payments: pd.DataFrame
    cards: pd.DataFrame


def _local_prices(price_usd: Arr, currency: Arr) -> Arr:
    fx = np.array(list(FX_RATES.values()))[currency]
    decimals_zero = currency == _CURRENCIES.index("JPY")
    local = price_usd * fx
    return np.asarray(np.where(decimals_zero, np.round(local), np.round(local, 2)))


def _assemble_sales(rng: np.random.Generator, cal: _Calendar, catalogue: _Catalogue,
                    people: _People, orders: pd.DataFrame, lines: pd.DataFrame) -> _Sales:
    """Add fraud, currencies, statuses, payments and ids to the generated orders."""
    n_legit = len(orders)
    customer_cards = _make_cards(
        rng, people.holder[people.cards["customer"].to_numpy()],
        np.array(_COUNTRY_CODES)[people.country[people.cards["customer"].to_numpy()]],
        cal.export_time)
    legit_payments_estimate = int(n_legit * 1.03)
    fraud, fraud_lines, fraud_cards = _fraud_orders(
        rng, cal, catalogue, people, legit_payments_estimate, len(customer_cards))
    fraud_lines["order"] += n_legit
    orders = pd.concat([orders.assign(card=-1, pay_status="", ip=None, ip_country=-1), fraud],
                       ignore_index=True)
    lines = pd.concat([lines, fraud_lines], ignore_index=True)
    n = len(orders)
    channel = orders["channel"].to_numpy()
    cust = orders["cust"].to_numpy()
    loc = orders["loc"].to_numpy()
    is_fraud = orders["fraud"].to_numpy() > 0

    # Payment method and card for legit orders.
    u = rng.random(n)
    method = np.where(channel == 0, np.where(u < 0.68, "card", np.where(u < 0.9, "cash",
                                                                        "gift_card")),
                      np.where(u < 0.85, "card", "paypal"))
    method = np.where(is_fraud, "card", method)
    card = orders["card"].to_numpy().copy()
    cards_of = people.cards.groupby("customer")["card"]
    first_card = cards_of.min().to_numpy()
    last_card = cards_of.max().to_numpy()
    has_cust = cust >= 0
    legit_card = ~is_fraud & (method == "card")
    use_second = rng.random(n) < 0.3
    own = legit_card & has_cust
    card[own] = np.where(use_second[own], last_card[cust[own]], first_card[cust[own]])
    anon_card = legit_card & ~has_cust
    anon_country = np.array(_COUNTRY_CODES)[orders["country"].to_numpy()[anon_card]]
    anon_cards = _make_cards(rng, _random_holders(rng, int(anon_card.sum())), anon_country,
                             cal.export_time)
    card[anon_card] = np.arange(anon_card.sum()) + len(customer_cards) + len(fraud_cards)
    cards = pd.concat([customer_cards, fraud_cards, anon_cards], ignore_index=True)

    # Currency and time.
    country = orders["country"].to_numpy()
    currency = np.where(loc < _N_STORES, _LOC_CURRENCY[np.minimum(loc, _N_STORES)],
                        _COUNTRY_CURRENCY[country])
    currency = np.where(orders["fraud"].to_numpy() == 2, 0, currency)
    ordered_at = _to_utc(cal, orders["day"].to_numpy(), orders["sec"].to_numpy(), loc)
    sort = np.lexsort((np.arange(n), ordered_at))
    rank = np.empty(n, dtype=np.int64)
    rank[sort] = np.arange(n)
    orders = orders.iloc[sort].reset_index(drop=True)
    ordered_at, currency, method, card = (ordered_at[sort], currency[sort], method[sort],
                                          card[sort])
    lines["order"] = rank[lines["order"].to_numpy()]
    lines = lines.sort_values("order", kind="stable", ignore_index=True)
    channel, cust, loc, is_fraud = (channel[sort], cust[sort], loc[sort], is_fraud[sort])
    orders["currency"] = currency
    orders["ordered_at"] = ordered_at
    orders["method"] = method
    orders["card"] = card

    # Lines in local currency, promo codes, totals.
    line_order = lines["order"].to_numpy()
    counts = np.bincount(line_order, minlength=n)
    lines["line_number"] = np.arange(len(lines)) - np.repeat(np.cumsum(counts) - counts,
                                                              counts) + 1
    unit_price = _local_prices(lines["price_usd"].to_numpy(), currency[line_order])
    promo_pick = np.where(rng.random(n) < 0.05, rng.integers(0, len(_PROMO_CODES), n), -1)
    promo_pick = np.where(is_fraud, -1, promo_pick)
    pct = np.array([p for _, p in _PROMO_CODES] + [0.0])[promo_pick]
    quantity = lines["quantity"].to_numpy()
    discount = np.round(quantity * unit_price * pct[line_order], 2)
    lines["unit_price"] = unit_price
    lines["discount"] = discount
    lines["unit_cost"] = _local_prices(catalogue.unit_cost[lines["product"].to_numpy()],
                                       currency[line_order])
    net = np.round(quantity * unit_price - discount, 2)
    lines["net"] = net
    orders["discount"] = np.round(np.bincount(line_order, weights=discount, minlength=n), 2)
    orders["total"] = np.round(np.bincount(line_order, weights=net, minlength=n), 2)
    codes = np.array([c for c, _ in _PROMO_CODES] + [""], dtype=object)[promo_pick]
    codes[promo_pick < 0] = None
    orders["promo_code"] = codes

    # Order statuses and versions.
    age_seconds = (cal.export_time - ordered_at).astype(np.int64)
    age_days = age_seconds / 86400
    u = rng.random(n)
    web_done = np.where(u < 0.95, "delivered", np.where(u < 0.985, "returned", np.where(
        u < 0.995, "cancelled", "refunded")))
    web_status = np.where(age_days < 1, "paid", np.where(age_days < 4, "shipped", web_done))
    store_status = np.where(u < 0.975, "completed", np.where(u < 0.995, "returned", "refunded"))
    status = np.where(channel == 0, store_status, web_status)
    pay_status = orders["pay_status"].to_numpy()
    status = np.where(is_fraud & (pay_status == "declined"), "cancelled", status)
    status = np.where(is_fraud & (pay_status == "captured") & np.isin(
        status, ["returned", "cancelled", "refunded"]), "delivered", status)
    lag_hours = np.select(
        [status == "completed", status == "paid", status == "shipped", status == "delivered",
         status == "cancelled"],
        [rng.uniform(0, 0.1, n), rng.uniform(0.01, 0.5, n), rng.uniform(12, 48, n),
         rng.uniform(72, 150, n), rng.uniform(0.05, 24, n)],
        rng.uniform(200, 700, n))
    limit = age_seconds / 3600 - 0.05
    lag_hours = np.clip(np.minimum(lag_hours, limit * rng.uniform(0.5, 1.0, n)), 0, None)
    orders["status"] = status
    orders["updated_at"] = ordered_at + (lag_hours * 3600).astype("timedelta64[s]")

    # Payments: legit card orders sometimes have a declined attempt first.
    retry = (method == "card") & ~is_fraud & (rng.random(n) < 0.03)
    per_order = 1 + retry
    pay_order = np.repeat(np.arange(n), per_order)
    first_of = np.repeat(np.cumsum(per_order) - per_order, per_order)
    attempt = np.arange(pay_order.size) - first_of
    is_retry_decline = retry[pay_order] & (attempt == 0)
    final = np.where(np.isin(status, ["returned", "refunded"]), "refunded", "captured")
    final = np.where(is_fraud, pay_status, final)
    final = np.where(channel == 0, final, np.where(status == "cancelled", np.where(
        is_fraud, final, "refunded"), final))
    p_status = np.where(is_retry_decline, "declined", final[pay_order])
    paid_at = ordered_at[pay_order] + (np.where(is_retry_decline, rng.integers(5, 40, pay_order
                                                                                .size),
                                                rng.integers(45, 240, pay_order.size))
                                       ).astype("timedelta64[s]")
    p_updated = np.where(p_status == "refunded", orders["updated_at"].to_numpy()[pay_order],
                         paid_at)
    p_updated = np.maximum(p_updated, paid_at)

    # IPs for web and mobile orders.
    ip = orders["ip"].to_numpy().astype(object)
    ip_country = orders["ip_country"].to_numpy().copy()
    legit_web = (channel > 0) & ~is_fraud
    travel = legit_web & (rng.random(n) < 0.003)
    ip_country[legit_web] = country[sort][legit_web]
    ip_country[travel] = rng.integers(0, len(_COUNTRIES), int(travel.sum()))
    fresh = legit_web & (~has_cust[sort] | travel | (rng.random(n) < 0.1))
    ip[fresh] = _ip_addresses(rng, ip_country[fresh], 0.04).to_numpy()
    home_ip = legit_web & ~fresh
    ip[home_ip] = people.ip.to_numpy()[cust[home_ip]]
    ip_country_name = _country_names(np.maximum(ip_country, 0))
    ip_country_name[channel == 0] = None
    ip[channel == 0] = None

    payments = pd.DataFrame({
        "order": pay_order, "paid_at": paid_at, "status": p_status, "updated_at": p_updated,
        "fraud": orders["fraud"].to_numpy()[pay_order],
        "ip": ip[pay_order], "ip_country": ip_country_name[pay_order],
        "card": card[pay_order], "method": method[pay_order],
    })
    return _Sales(orders, lines, payments, cards)


# --------------------------------------------------------------------------- raw frames


def _frame_orders(cal: _Calendar, sales: _Sales) -> pd.DataFrame:
    o = sales.orders
    n = len(o)
    cust = o["cust"].to_numpy()
    store_ids = np.array([s.store_id for s in _STORES] + [""], dtype=object)
    return pd.DataFrame({
        "order_id": _ids("ORD-", np.arange(1, n + 1), 9),
        "customer_id": _nullable(_ids("C", cust + 1, 7), cust < 0),
        "order_date": _day_strings(cal, o["day"].to_numpy()),
        "ordered_at": _timestamps(o["ordered_at"].to_numpy()),
        "status": o["status"].astype("str"),
        "channel": pd.Series(np.array(CHANNELS)[o["channel"].to_numpy()]),
        "store_id": _nullable(pd.Series(store_ids[o["loc"].to_numpy()]),
                              o["loc"].to_numpy() == _WEB_LOC),
        "currency": pd.Series(np.array(_CURRENCIES)[o["currency"].to_numpy()]),
        "discount_amount": _money(o["discount"].to_numpy()),
        "total_amount": _money(o["total"].to_numpy()),
        "promo_code": o["promo_code"].astype("str"),
        "updated_at": _timestamps(o["updated_at"].to_numpy()),
    })


def _frame_items(sales: _Sales) -> pd.DataFrame:
    li = sales.lines
    order = li["order"].to_numpy()
    return pd.DataFrame({
        "order_id": _ids("ORD-", order + 1, 9),
        "line_number": li["line_number"].astype("str"),
        "product_id": _ids("SKU-", li["product"].to_numpy() + 1, 5),
        "quantity": li["quantity"].astype("str"),
        "unit_price": _money(li["unit_price"].to_numpy()),
        "discount_amount": _money(li["discount"].to_numpy()),
        "on_promotion": _bool01(li["promo"].to_numpy()),
        "updated_at": _timestamps(sales.orders["ordered_at"].to_numpy()[order]),
    }).astype("str")


def _frame_payments(rng: np.random.Generator, sales: _Sales, order_frame: pd.DataFrame,
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The payments export, and the working rows in the same (time) order."""
    p = sales.payments
    n = len(p)
    order = p["order"].to_numpy()
    sort = np.lexsort((np.arange(n), p["paid_at"].to_numpy()))
    p = p.iloc[sort].reset_index(drop=True)
    order = order[sort]
    card_idx = p["card"].to_numpy()
    is_card = card_idx >= 0
    cards = sales.cards.iloc[np.maximum(card_idx, 0)].reset_index(drop=True)
    style = rng.random(n)
    number = cards["plain"].where(style < 0.85, cards["spaced"].where(style < 0.95,
                                                                      cards["dashed"]))
    no_card = ~is_card

    def card_col(values: pd.Series) -> pd.Series:
        return _nullable(values, no_card)

    amount = sales.orders["total"].to_numpy()[order]
    return pd.DataFrame({
        "payment_id": _ids("PAY-", np.arange(1, n + 1), 9),
        "order_id": _ids("ORD-", order + 1, 9),
        "customer_id": order_frame["customer_id"].take(order).reset_index(drop=True),
        "paid_at": _timestamps(p["paid_at"].to_numpy()),
        "amount": _money(amount),
        "currency": order_frame["currency"].take(order).reset_index(drop=True),
        "method": p["method"].astype("str"),
        "status": p["status"].astype("str"),
        "card_number": card_col(number),
        "cvv": card_col(cards["cvv"]),
        "card_holder": card_col(cards["holder"]),
        "card_expiry": card_col(cards["expiry"]),
        "card_brand": card_col(cards["brand"]),
        "billing_country": card_col(cards["country"]),
        "ip_address": p["ip"].astype("str"),
        "ip_country": p["ip_country"].astype("str"),
        "updated_at": _timestamps(p["updated_at"].to_numpy()),
    }).astype("str"), p.assign(order=order)


def _frame_stores(cal: _Calendar) -> pd.DataFrame:
    return pd.DataFrame({
        "store_id": [s.store_id for s in _STORES],
        "name": [s.name for s in _STORES],
        "region": [_COUNTRIES[s.country].region for s in _STORES],
        "country": [_COUNTRY_CODES[s.country] for s in _STORES],
        "city": [s.city for s in _STORES],
        "timezone": [s.timezone for s in _STORES],
        "currency": [_COUNTRIES[s.country].currency for s in _STORES],
        "opened_on": [s.opened_on.isoformat() for s in _STORES],
        "square_meters": [f"{s.square_meters:.1f}" for s in _STORES],
        "updated_at": [f"{cal.start.isoformat()} 08:{i:02d}:00" for i in range(_N_STORES)],
    }).astype("str")


# --------------------------------------------------------------------------- inventory


def _inventory(rng: np.random.Generator, cal: _Calendar, catalogue: _Catalogue,
               sales: _Sales, anomalies: _Anomalies) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily end-of-day stock for the last days per store and the warehouse."""
    n_prod, days, window = len(catalogue.weight), cal.days, INVENTORY_DAYS
    n_loc = _N_STORES + 1
    li = sales.lines
    order = li["order"].to_numpy()
    loc = sales.orders["loc"].to_numpy()[order]
    day = sales.orders["day"].to_numpy()[order]
    recent = (loc < _N_STORES) & (day >= days - window - 60)
    sold = np.zeros((_N_STORES, n_prod, window + 60))
    np.add.at(sold, (loc[recent], li["product"].to_numpy()[recent],
                     day[recent] - (days - window - 60)), li["quantity"].to_numpy()[recent])
    mean_daily = sold[:, :, :60].mean(axis=2) + 0.05
    sold = sold[:, :, 60:]
    lead = rng.integers(2, 5, (_N_STORES, n_prod))
    reorder_point = np.ceil(mean_daily * 6 + 2)
    batch = np.ceil(mean_daily * 14 + 5)
    on_hand = reorder_point + np.floor(rng.random((_N_STORES, n_prod)) * batch)
    on_order = np.zeros_like(on_hand)
    arrival = np.full(on_hand.shape, -1)
    outage = np.zeros((_N_STORES, n_prod, window), dtype=bool)
    for s, p, a, b in anomalies.stockouts:
        outage[s, p, a - (days - window):b - (days - window) + 1] = True
    hist_hand = np.zeros((n_loc, n_prod, window))
    hist_order = np.zeros((n_loc, n_prod, window))
    wh_hand = np.ceil(mean_daily.sum(axis=0) * 40 + 20)
    wh_rp = np.ceil(mean_daily.sum(axis=0) * 20 + 10)
    wh_order = np.zeros(n_prod)
    wh_arrival = np.full(n_prod, -1)
    for d in range(window):
        arrived = arrival == d
        on_hand = np.where(arrived, on_hand + on_order, on_hand)
        on_order = np.where(arrived, 0, on_order)
        on_hand = np.maximum(on_hand - sold[:, :, d], 0)
        on_hand = np.where(outage[:, :, d], 0, on_hand)
        reorder = (on_hand < reorder_point) & (on_order == 0) & ~outage[:, :, d]
        on_order = np.where(reorder, batch, on_order)
        arrival = np.where(reorder, d + lead, arrival)
        wh_arr = wh_arrival == d
        wh_hand = np.where(wh_arr, wh_hand + wh_order, wh_hand)
        wh_order = np.where(wh_arr, 0, wh_order)
        wh_hand = np.maximum(wh_hand - (reorder * batch).sum(axis=0), 0)
        wh_reorder = (wh_hand < wh_rp) & (wh_order == 0)
        wh_order = np.where(wh_reorder, wh_rp * 3, wh_order)
        wh_arrival = np.where(wh_reorder, d + 7, wh_arrival)
        hist_hand[:_N_STORES, :, d], hist_order[:_N_STORES, :, d] = on_hand, on_order
        hist_hand[_N_STORES, :, d], hist_order[_N_STORES, :, d] = wh_hand, wh_order
    rp_all = np.concatenate([reorder_point, wh_rp[None, :]])

    loc_ids = np.array([s.store_id for s in _STORES] + [WAREHOUSE_ID], dtype=object)
    loc_types = np.array(["store"] * _N_STORES + ["warehouse"], dtype=object)
    grid = np.meshgrid(np.arange(window), np.arange(n_loc), np.arange(n_prod), indexing="ij")
    d_idx, l_idx, p_idx = (g.ravel() for g in grid)
    abs_day = d_idx + days - window
    product_ids = catalogue.frame["product_id"].to_numpy()
    updated = (cal.dates[abs_day].astype("datetime64[s]") + np.timedelta64(86400 + 2 * 3600, "s")
               + rng.integers(0, 1800, d_idx.size).astype("timedelta64[s]"))
    frame = pd.DataFrame({
        "snapshot_date": _day_strings(cal, abs_day),
        "location_id": loc_ids[l_idx],
        "location_type": loc_types[l_idx],
        "product_id": product_ids[p_idx],
        "on_hand": pd.Series(hist_hand[l_idx, p_idx, d_idx].astype(np.int64)).astype("str"),
        "reorder_point": pd.Series(rp_all[l_idx, p_idx].astype(np.int64)).astype("str"),
        "on_order": pd.Series(hist_order[l_idx, p_idx, d_idx].astype(np.int64)).astype("str"),
        "updated_at": _timestamps(updated),
    }).astype("str")
    low = np.argwhere(hist_hand[:, :, -1] < rp_all)
    truth = pd.DataFrame({"location_id": loc_ids[low[:, 0]],
                          "product_id": product_ids[low[:, 1]]}).astype("str")
    return frame, truth


# --------------------------------------------------------------------------- uploads


def _uploads(cal: _Calendar, sales: _Sales) -> dict[tuple[str, date], pd.DataFrame]:
    """The POS file of every store for the last days, built from that store's orders."""
    o = sales.orders
    li = sales.lines
    order = li["order"].to_numpy()
    loc = o["loc"].to_numpy()
    day = o["day"].to_numpy()
    first_day = cal.days - UPLOAD_DAYS
    pay_map = {"card": "card", "cash": "cash", "gift_card": "gift_card", "paypal": "mobile"}
    payment_type = o["method"].map(pay_map).to_numpy()
    pick = (loc[order] < _N_STORES) & (day[order] >= first_day)
    sel = np.flatnonzero(pick)
    so = order[sel]
    frame = pd.DataFrame({
        "store_id": np.array([s.store_id for s in _STORES], dtype=object)[loc[so]],
        "business_date": _day_strings(cal, day[so]).to_numpy(),
        "transaction_id": _ids("ORD-", so + 1, 9).to_numpy(),
        "line_number": li["line_number"].to_numpy()[sel].astype(str),
        "sold_at": _timestamps(o["ordered_at"].to_numpy()[so]).to_numpy(),
        "product_id": _ids("SKU-", li["product"].to_numpy()[sel] + 1, 5).to_numpy(),
        "quantity": li["quantity"].to_numpy()[sel].astype(str),
        "unit_price": _money(li["unit_price"].to_numpy()[sel]).to_numpy(),
        "discount_amount": _money(li["discount"].to_numpy()[sel]).to_numpy(),
        "net_amount": _money(li["net"].to_numpy()[sel]).to_numpy(),
        "unit_cost": _money(li["unit_cost"].to_numpy()[sel]).to_numpy(),
        "currency": np.array(_CURRENCIES, dtype=object)[_LOC_CURRENCY[loc[so]]],
        "payment_type": payment_type[so],
    }).astype("str")
    out: dict[tuple[str, date], pd.DataFrame] = {}
    groups = dict(frame.groupby(["store_id", "business_date"]).indices)
    for s in _STORES:
        for d in range(first_day, cal.days):
            business = cal.start + timedelta(days=d)
            idx = groups.get((s.store_id, business.isoformat()))
            part = frame.iloc[idx] if idx is not None else frame.iloc[:0]
            out[(s.store_id, business)] = part.reset_index(drop=True)
    return out


# --------------------------------------------------------------------------- entry point


def generate_demo_data(scale: Scale = "small", seed: int = 42,
                       end_date: date = date(2026, 11, 20)) -> DemoDataset:
    """Build two years of retail exports ending at ``end_date``, with the planted truth.

    Deterministic for a seed. ``small`` is about 3,000 customers and 130k order lines,
    ``medium`` about 1M lines, ``large`` about 10M.
    """
    if scale not in _SCALES:
        raise ConfigError("scale", f"{scale!r} is not a demo scale; use one of "
                          f"{', '.join(_SCALES)}")
    cfg = _SCALES[scale]
    rng = np.random.default_rng(seed)
    cal = _Calendar.build(end_date)
    season = _build_season(cal)
    catalogue = _build_catalogue(rng, cfg, cal)
    people = _build_customers(rng, cfg, cal, season)
    anomalies = _choose_anomalies(rng, cal, season, catalogue)
    orders = _legit_orders(rng, cfg, cal, season, people)
    orders, lines = _order_lines(rng, cfg, cal, catalogue, orders, anomalies)
    orders, lines = _plant_store_anomalies(rng, cfg, cal, catalogue, orders, lines, anomalies)
    sales = _assemble_sales(rng, cal, catalogue, people, orders, lines)

    order_frame = _frame_orders(cal, sales)
    items_frame = _frame_items(sales)
    payments_frame, pay_sorted = _frame_payments(rng, sales, order_frame)
    inventory_frame, low_stock = _inventory(rng, cal, catalogue, sales, anomalies)
    uploads = _uploads(cal, sales)

    end = end_date.strftime("%Y%m%d")
    incr = (end_date + timedelta(days=1)).strftime("%Y%m%d")
    keys = DirtKeys(
        orders=f"raw/orders/orders_full_{end}.csv",
        orders_incr=f"raw/orders/orders_incr_{incr}.csv",
        order_items=f"raw/order_items/order_items_{end}.csv",
        payments=f"raw/payments/payments_{end}.csv",
    )
    eligible = ((sales.orders["day"].to_numpy() < cal.days - UPLOAD_DAYS)
                & (sales.orders["fraud"].to_numpy() == 0))
    truth = _truth(cal, catalogue, people, sales, pay_sorted, payments_frame, anomalies,
                   low_stock, season)
    # Hand the clean exports over to plant_dirt and drop every other reference, so the
    # large scale never holds the clean and the dirty copy of a 10M-row frame at once.
    exports = {"orders": order_frame, "order_items": items_frame, "payments": payments_frame}
    del order_frame, items_frame, payments_frame, pay_sorted, sales, orders, lines
    dirty = plant_dirt(exports, keys=keys, eligible=eligible, rng=rng,
                       export_time=pd.Timestamp(cal.export_time))
    truth["dirt"] = dirty.dirt

    files = [
        RawFile(f"raw/stores/stores_{end}.csv", "stores", _frame_stores(cal), "csv"),
        RawFile(f"raw/products/products_{end}.parquet", "products", catalogue.frame,
                "parquet"),
        RawFile(f"raw/customers/customers_{end}.parquet", "customers", people.frame,
                "parquet"),
        RawFile(keys.orders, "orders", dirty.orders, "csv"),
        RawFile(keys.orders_incr, "orders", dirty.orders_incr, "csv"),
        RawFile(keys.order_items, "order_items", dirty.order_items, "csv"),
        RawFile(keys.payments, "payments", dirty.payments, "csv"),
        RawFile(f"raw/inventory/inventory_{end}.csv", "inventory", inventory_frame, "csv"),
    ]
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "scale": scale,
        "seed": seed,
        "start_date": cal.start.isoformat(),
        "end_date": end_date.isoformat(),
        "stores": [{"store_id": s.store_id, "name": s.name,
                    "region": _COUNTRIES[s.country].region,
                    "country": _COUNTRY_CODES[s.country], "timezone": s.timezone,
                    "currency": _COUNTRIES[s.country].currency} for s in _STORES],
        "web_timezone": WEB_TIMEZONE,
        "fx_rates_per_usd": FX_RATES,
        "files": {f.key: len(f.frame) for f in files},
        "truth": {name: len(frame) for name, frame in truth.items()},
        "uploads": len(uploads),
        "upload_lines": int(sum(len(f) for f in uploads.values())),
    }
    return DemoDataset(files, truth, uploads, manifest)


def _truth(cal: _Calendar, catalogue: _Catalogue, people: _People, sales: _Sales,
           pay_sorted: pd.DataFrame, payments_frame: pd.DataFrame, anomalies: _Anomalies,
           low_stock: pd.DataFrame, season: _Season) -> dict[str, pd.DataFrame]:
    """Truth tables except ``dirt``, which :func:`plant_dirt` adds."""
    legit = sales.lines[sales.orders["fraud"].to_numpy()[sales.lines["order"].to_numpy()] == 0]
    line_value = float((legit["quantity"] * legit["price_usd"]).mean())
    death = _dates(cal.dates[np.maximum(people.death_day, 0)]).astype(object)
    death[people.alive] = None
    customers = pd.DataFrame({
        "customer_id": people.frame["customer_id"],
        "purchase_rate": np.round(people.rate, 6),
        "dropout_prob": np.round(people.dropout, 6),
        "alive_at_end": people.alive,
        "death_date": death,
        "mean_spend": np.round(people.basket * line_value, 2),
    })
    fraud_rows = np.flatnonzero(pay_sorted["fraud"].to_numpy() > 0)
    fraud = pd.DataFrame({
        "payment_id": payments_frame["payment_id"].to_numpy()[fraud_rows],
        "order_id": payments_frame["order_id"].to_numpy()[fraud_rows],
        "pattern": np.array(FRAUD_PATTERNS)[pay_sorted["fraud"].to_numpy()[fraud_rows] - 1],
    })
    return {
        "region_trends": pd.DataFrame({"region": list(REGION_TRENDS),
                                       "annual_growth": list(REGION_TRENDS.values())}),
        "elasticity": pd.DataFrame({"category": [c.name for c in _CATEGORIES],
                                    "elasticity": catalogue.elasticity}),
        "customers": customers,
        "fraud": fraud,
        "anomalies": anomalies.frame,
        "low_stock": low_stock,
        "holidays": season.holidays,
    }


def luhn_valid(number: str) -> bool:
    """True when the digits of a card number (spaces and dashes allowed) pass Luhn."""
    digits = [int(c) for c in number if c.isdigit()]
    if not digits:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


__all__ = [
    "ANOMALY_KINDS", "CHANNELS", "FRAUD_PATTERNS", "FX_RATES", "GENERATOR_VERSION",
    "REGION_TRENDS", "DemoDataset", "RawFile", "Scale", "generate_demo_data", "luhn_valid",
]

