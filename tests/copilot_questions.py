"""The copilot's question set: questions with expected answers computed independently.

Expectations are computed here with pandas over the demo lake (never through the
planner), following the documented semantics: "today" is the latest order date, revenue
in USD with ``analytics.fx`` rates, cancelled/returned/refunded orders are not sales.
Each :class:`Question` may be a conversation (several turns); the last answer is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from shopsight.analytics.fx import RATES_PER_USD

NOT_SALES = ("cancelled", "returned", "refunded")


class Truth:
    """The demo lake as pandas frames, plus independent computations."""

    def __init__(self, con: Any) -> None:
        def frame(sql: str) -> pd.DataFrame:
            return con.sql(sql).to_arrow_table().to_pandas()

        self.orders = frame("SELECT order_id, customer_id, order_date, status, channel, "
                            "store_id, currency, total_amount, promo_code FROM orders")
        self.orders["order_date"] = pd.to_datetime(self.orders["order_date"]).dt.date
        self.orders["usd"] = self.orders["total_amount"] / self.orders["currency"].map(
            RATES_PER_USD)
        self.items = frame("SELECT order_id, product_id, quantity, unit_price, "
                           "discount_amount FROM order_items")
        self.products = frame("SELECT product_id, name, category, discontinued FROM "
                              "products")
        self.inventory = frame("SELECT snapshot_date, location_id, product_id, on_hand, "
                               "reorder_point FROM inventory")
        self.payments = frame("SELECT payment_id, order_id, paid_at, amount, status, "
                              "card_number_token, billing_country, ip_country FROM payments")
        self.customers = frame("SELECT customer_id, country, city, signup_date FROM "
                               "customers")
        self.customers["signup_date"] = pd.to_datetime(self.customers["signup_date"]).dt.date
        stores = frame("SELECT store_id, region, country, city FROM stores")
        self.store_names = frame("SELECT store_id, name FROM stores")
        self.brands = frame("SELECT product_id, brand FROM products")
        self.orders = self.orders.merge(stores, on="store_id", how="left")  # web: no store
        self.today: date = max(self.orders["order_date"])
        self.sales = self.orders[~self.orders["status"].isin(NOT_SALES)]
        lines = self.items.merge(self.sales, on="order_id").merge(
            self.products, on="product_id", how="left")
        lines["line_usd"] = (lines["quantity"] * lines["unit_price"]
                             - lines["discount_amount"].fillna(0)) / lines["currency"].map(
            RATES_PER_USD)
        self.lines = lines

    # periods -----------------------------------------------------------------------

    def last_week(self) -> tuple[date, date]:
        monday = self.today - timedelta(days=self.today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)

    def this_month(self) -> tuple[date, date]:
        return self.today.replace(day=1), self.today

    def last_month(self) -> tuple[date, date]:
        end = self.today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end

    def yesterday(self) -> tuple[date, date]:
        d = self.today - timedelta(days=1)
        return d, d

    def last_days(self, n: int) -> tuple[date, date]:
        return self.today - timedelta(days=n - 1), self.today

    # computations ------------------------------------------------------------------

    def order_sales(self, period: tuple[date, date], by: str | None = None,
                    **filters: Any) -> dict[Any, float] | float:
        o = self.sales[(self.sales["order_date"] >= period[0])
                       & (self.sales["order_date"] <= period[1])]
        for key, value in filters.items():
            o = o[o[key].isin(value) if isinstance(value, tuple) else o[key] == value]
        if by is None:
            return float(o["usd"].sum())
        grouped = o.groupby(o[by].fillna("<none>"))["usd"].sum()
        return {(None if k == "<none>" else k): float(v) for k, v in grouped.items()}

    def line_sales(self, period: tuple[date, date], by: str, **filters: Any
                   ) -> pd.DataFrame:
        lines = self.lines[(self.lines["order_date"] >= period[0])
                           & (self.lines["order_date"] <= period[1])]
        for key, value in filters.items():
            lines = lines[lines[key] == value]
        return lines.groupby(by).agg(revenue=("line_usd", "sum"),
                                     units=("quantity", "sum")).reset_index()

    def top_products(self, period: tuple[date, date], n: int, metric: str = "revenue",
                     bottom: bool = False, **filters: Any) -> list[str]:
        frame = self.line_sales(period, "product_id", **filters)
        if bottom and set(filters) <= {"category"}:  # unsold products of the catalogue: 0
            catalogue = self.products[self.products["category"] == filters["category"]] \
                if filters else self.products
            frame = catalogue[["product_id", "discontinued"]].merge(frame, on="product_id",
                                                                    how="left")
            frame = frame[frame["revenue"].notna() | ~frame["discontinued"].fillna(False)
                          .astype(bool)]  # a discontinued product that sold nothing: out
            frame = frame.fillna({"revenue": 0.0, "units": 0})
        frame["revenue"] = frame["revenue"].round(2)
        frame = frame.sort_values([metric, "product_id"], ascending=[bottom, True])
        return list(frame["product_id"].head(n))

    def orders_of_status(self, period: tuple[date, date], status: str) -> tuple[int, float]:
        o = self.orders[(self.orders["order_date"] >= period[0])
                        & (self.orders["order_date"] <= period[1])
                        & (self.orders["status"] == status)]
        return len(o), float(o["usd"].sum())

    def promo_sales(self, period: tuple[date, date]) -> float:
        o = self.sales[(self.sales["order_date"] >= period[0])
                       & (self.sales["order_date"] <= period[1])]
        return float(o[o["promo_code"].fillna("").str.strip() != ""]["usd"].sum())

    def stock(self, as_of: date | None = None) -> pd.DataFrame:
        """The inventory snapshot of ``as_of`` (the last on or before it), else the latest."""
        days = self.inventory["snapshot_date"]
        day = days.max() if as_of is None else days[days <= as_of].max()
        return self.inventory[days == day]

    def low_stock(self, location: str | None = None, category: str | None = None,
                  out: bool = False, as_of: date | None = None) -> set[tuple[str, str]]:
        inv = self.stock(as_of)
        short = (inv["on_hand"] <= 0) if out else (inv["on_hand"] < inv["reorder_point"]) | (
            inv["on_hand"] <= 0)
        inv = inv[short].merge(self.products, on="product_id", how="left")
        if location:
            inv = inv[inv["location_id"] == location]
        if category:
            inv = inv[inv["category"] == category]
        return set(zip(inv["location_id"], inv["product_id"], strict=True))

    def customer_counts(self, period: tuple[date, date], country: str | None = None
                        ) -> tuple[int, int, int, int]:
        """(on record, signed up, first-time buyers, buying customers) over ``period``, of
        the customers living in ``country`` when given."""
        people = self.customers if country is None else self.customers[
            self.customers["country"] == country]
        known = set(people["customer_id"])
        sales = self.sales[self.sales["customer_id"].isin(known)]
        first = sales.groupby("customer_id")["order_date"].min()
        within = sales[(sales["order_date"] >= period[0]) & (sales["order_date"] <= period[1])]
        signed = people["signup_date"].between(period[0], period[1])
        return (len(people), int(signed.sum()),
                int(((first >= period[0]) & (first <= period[1])).sum()),
                within["customer_id"].nunique())

    def customer(self, customer_id: str) -> tuple[int, float]:
        o = self.sales[self.sales["customer_id"] == customer_id]
        return len(o), float(o["usd"].sum())

    def churn(self, limit: int) -> list[str]:
        return list(self.churn_ranked()["customer_id"].head(limit))

    def churn_ranked(self) -> pd.DataFrame:
        o = self.sales[self.sales["customer_id"].notna()
                       & (self.sales["order_date"] <= self.today)]
        g = o.groupby("customer_id").agg(n=("order_id", "nunique"),
                                         first=("order_date", "min"),
                                         last=("order_date", "max")).reset_index()
        g["since"] = [(self.today - d).days for d in g["last"]]
        g["gap"] = [(b - a).days for a, b in zip(g["first"], g["last"], strict=True)]
        g["gap"] = g["gap"] / (g["n"] - 1).clip(lower=1)
        g = g[(g["n"] >= 3) & (g["since"] >= 60) & (g["since"] <= 365)].copy()
        g["score"] = (g["since"] / g["gap"].clip(lower=1)).round(2)
        return g.sort_values(["score", "customer_id"], ascending=[False, True])

    def recommendations(self, customer_id: str, n: int = 5) -> list[str]:
        bought = self.lines[self.lines["customer_id"].notna()][
            ["product_id", "customer_id"]].drop_duplicates()
        owned = set(bought[bought["customer_id"] == customer_id]["product_id"])
        peers = set(bought[bought["product_id"].isin(owned)
                           & (bought["customer_id"] != customer_id)]["customer_id"])
        cand = bought[bought["customer_id"].isin(peers) & ~bought["product_id"].isin(owned)]
        counts = cand.groupby("product_id")["customer_id"].nunique().reset_index()
        counts = counts.sort_values(["customer_id", "product_id"], ascending=[False, True])
        return list(counts["product_id"].head(n))

    def forecast_total(self, product_id: str, days: int, weeks: int = 4) -> float:
        start = self.today - timedelta(days=7 * weeks - 1)
        lines = self.lines[(self.lines["product_id"] == product_id)
                           & (self.lines["order_date"] >= start)
                           & (self.lines["order_date"] <= self.today)]
        daily = lines.groupby("order_date")["quantity"].sum().to_dict()
        means = {}
        for wd in range(7):
            vals = [float(daily.get(start + timedelta(days=i), 0))
                    for i in range(7 * weeks) if (start + timedelta(days=i)).weekday() == wd]
            means[wd] = sum(vals) / len(vals)
        return sum(round(means[(self.today + timedelta(days=i)).weekday()], 2)
                   for i in range(1, days + 1))

    def flagged(self, since: date, until: date) -> set[str]:
        p = self.payments.copy()
        p["day"] = pd.to_datetime(p["paid_at"]).dt.date
        p = p[(p["day"] >= since - timedelta(days=1)) & (p["day"] <= until)]
        ts = pd.to_datetime(p["paid_at"])
        attempts = []
        for token, t in zip(p["card_number_token"], ts, strict=True):
            if token is None or pd.isna(token):
                attempts.append(0)
                continue
            same = ts[p["card_number_token"] == token]
            attempts.append(int(((same >= t - pd.Timedelta(hours=1)) & (same <= t)).sum()))
        p["attempts"] = attempts
        mismatch = p["billing_country"].notna() & p["ip_country"].notna() & (
            p["billing_country"] != p["ip_country"])
        flagged = mismatch | (p["attempts"] >= 3) | (p["status"] == "declined")
        p = p[flagged & (p["day"] >= since)]
        return set(p["payment_id"])

    def trend(self, period: tuple[date, date], grain: str) -> dict[date, float]:
        o = self.sales[(self.sales["order_date"] >= period[0])
                       & (self.sales["order_date"] <= period[1])].copy()
        if grain == "month":
            o["bucket"] = [d.replace(day=1) for d in o["order_date"]]
        elif grain == "week":
            o["bucket"] = [d - timedelta(days=d.weekday()) for d in o["order_date"]]
        else:
            o["bucket"] = o["order_date"]
        return {k: float(v) for k, v in o.groupby("bucket")["usd"].sum().items()}


# ---------------------------------------------------------------------------------------
# checks on an answer (``a`` is a CopilotAnswer)


def _rows(a: Any) -> list[dict[str, Any]]:
    return a.data.rows if a.data else []


def close(x: Any, y: float, tol: float = 0.02) -> bool:
    return x is not None and abs(float(x) - y) <= tol + 1e-6 * abs(y)


def by_key(key: str, expected: dict[Any, float], field: str = "revenue") -> Callable[..., bool]:
    def check(a: Any) -> bool:
        got = {r[key]: r[field] for r in _rows(a)}
        return set(got) == set(expected) and all(close(got[k], v) for k, v in
                                                  expected.items())
    return check


def total(expected: float, field: str = "revenue") -> Callable[..., bool]:
    return lambda a: len(_rows(a)) == 1 and close(_rows(a)[0][field], expected)


def ids(key: str, expected: list[str] | set[Any], ordered: bool = False
        ) -> Callable[..., bool]:
    def check(a: Any) -> bool:
        got = [r[key] for r in _rows(a)]
        return got == list(expected) if ordered else set(got) == set(expected)
    return check


def pairs(expected: set[tuple[str, str]]) -> Callable[..., bool]:
    return lambda a: {(r["location_id"], r["product_id"]) for r in _rows(a)} == expected


def intent(name: str) -> Callable[..., bool]:
    return lambda a: a.metadata.intent.value == name


@dataclass
class Question:
    """One question (or conversation) and how to check its last answer."""

    turns: list[str]
    check: Callable[..., bool]
    family: str


def build_questions(t: Truth) -> list[Question]:
    """The question set, with expectations computed from ``t``."""
    lw, tm, lm, yd = t.last_week(), t.this_month(), t.last_month(), t.yesterday()
    lw_prev = (lw[0] - timedelta(days=7), lw[1] - timedelta(days=7))
    oct_ = (date(2026, 10, 1), date(2026, 10, 31))
    orders = t.orders.sort_values("order_id")
    sample_orders = [orders.iloc[i] for i in (100, 10_481, 30_000, len(orders) - 5)]
    customers = ["C0000881", "C0000042", "C0001234"]
    q: list[Question] = []

    def add(turns: str | list[str], check: Callable[..., bool], family: str) -> None:
        q.append(Question([turns] if isinstance(turns, str) else turns, check, family))

    # low stock
    add("Show me low stock products", pairs(t.low_stock()), "low_stock")
    add("Low stock at store 0003", pairs(t.low_stock("0003")), "low_stock")
    add("Which Electronics products are running low?",
        pairs(t.low_stock(category="Electronics")), "low_stock")
    add("What needs to be reordered in store 0005?", pairs(t.low_stock("0005")), "low_stock")
    add(["Show me low stock products", "and for store 0002?"], pairs(t.low_stock("0002")),
        "low_stock")
    add("Which products are out of stock at store 0003?",
        pairs(t.low_stock("0003", out=True)), "low_stock")
    # order status
    for o in sample_orders:
        add(f"What's the status of order {o['order_id']}?",
            lambda a, o=o: len(_rows(a)) == 1 and _rows(a)[0]["status"] == o["status"]
            and close(_rows(a)[0]["total_amount"], float(o["total_amount"])), "order_status")
    add("Where is order 10482?", lambda a: _rows(a) and _rows(a)[0]["order_id"]
        == "ORD-000010482", "order_status")
    # sales
    add("Sales by store last week compared with the week before",
        lambda a: by_key("store_id", t.order_sales(lw, "store_id"))(a)  # type: ignore[arg-type]
        and by_key("store_id", t.order_sales(lw_prev, "store_id"),  # type: ignore[arg-type]
                   "previous_revenue")(a), "sales")
    add(["Sales by store last week compared with the week before", "and for store 0003?"],
        total(t.order_sales(lw, store_id="0003")), "sales")  # type: ignore[arg-type]
    add("Total sales yesterday", total(t.order_sales(yd)), "sales")  # type: ignore[arg-type]
    add("How much did store 0007 sell yesterday?",
        total(t.order_sales(yd, store_id="0007")), "sales")  # type: ignore[arg-type]
    add("Sales by channel in October 2026",
        by_key("channel", t.order_sales(oct_, "channel")), "sales")  # type: ignore[arg-type]
    add("mobile vs web sales in October 2026",  # those two channels, not the stores
        by_key("channel", t.order_sales(oct_, "channel", channel=("web", "mobile"))),  # type: ignore[arg-type]
        "sales")
    add("Sales by store in the last 7 days",
        by_key("store_id", t.order_sales(t.last_days(7), "store_id")),  # type: ignore[arg-type]
        "sales")
    add("Online sales last week",  # online: the web shop and the app
        total(t.order_sales(lw, channel=("web", "mobile"))), "sales")  # type: ignore[arg-type]
    add("Web shop sales last week", total(t.order_sales(lw, channel="web")),  # type: ignore[arg-type]
        "sales")
    # narrowed by place, status, promo code; rankings; quarters; weeks; order value
    year = (date(t.today.year, 1, 1), t.today)
    q3 = (date(2026, 7, 1), date(2026, 9, 30))
    monday = t.today - timedelta(days=t.today.weekday())
    week, same_days = (monday, t.today), (monday - timedelta(days=7),
                                          t.today - timedelta(days=7))
    add("Sales in Japan last month", total(t.order_sales(lm, country="JP")),  # type: ignore[arg-type]
        "sales")
    refunded = t.orders_of_status(lm, "refunded")
    add("How many orders were refunded last month?", lambda a: len(_rows(a)) == 1
        and _rows(a)[0]["orders"] == refunded[0] and close(_rows(a)[0]["revenue"],
                                                           refunded[1]), "sales")
    add("How much revenue came from orders with a promo code last month?",
        total(t.promo_sales(lm)), "sales")
    by_store = t.order_sales(year, "store_id")
    lowest = min((k for k in by_store if k), key=lambda k: by_store[k])  # type: ignore[union-attr]
    add("Which store had the lowest revenue this year?",
        lambda a: f"Lowest: store {lowest} " in a.answer, "sales")
    by_region = t.order_sales(year, "region")
    highest = max((k for k in by_region if k), key=lambda k: by_region[k])  # type: ignore[union-attr]
    add("Which region had the highest sales this year?",
        lambda a: f"Highest: {highest} " in a.answer, "sales")
    add("Compare Europe and North America sales in Q3 2026",  # those two regions only
        by_key("region", t.order_sales(q3, "region",  # type: ignore[arg-type]
                                       region=("Europe", "North America"))), "sales")
    add("Sales in Stockholm and Mumbai last month",
        by_key("store_id", t.order_sales(lm, "store_id",  # type: ignore[arg-type]
                                         city=("Stockholm", "Mumbai"))), "sales")
    add("Sales in the US and Canada this year",
        by_key("country", t.order_sales((tm[0].replace(month=1), tm[1]), "country",  # type: ignore[arg-type]
                                        country=("US", "CA"))), "sales")
    add("Week over week revenue change", lambda a: total(t.order_sales(lw))(a)  # type: ignore[arg-type]
        and total(t.order_sales(lw_prev), "previous_revenue")(a), "sales")  # type: ignore[arg-type]
    add("How did sales this week compare to last week?",
        lambda a: total(t.order_sales(week))(a)  # type: ignore[arg-type]
        and total(t.order_sales(same_days), "previous_revenue")(a), "sales")  # type: ignore[arg-type]
    add(["Sales at store 0009 last month", "what about the month before?"],
        total(t.order_sales(((lm[0] - timedelta(days=1)).replace(day=1),
                             lm[0] - timedelta(days=1)), store_id="0009")),  # type: ignore[arg-type]
        "sales")
    before_lm = ((lm[0] - timedelta(days=1)).replace(day=1), lm[0] - timedelta(days=1))
    now, then = t.order_sales(lm, "store_id"), t.order_sales(before_lm, "store_id")
    growth = {k: now[k] / then[k] - 1 for k in now if k and then.get(k)}  # type: ignore[index,union-attr]
    fastest = max(growth, key=lambda k: growth[k])
    add("Which store grew the fastest last month?",
        lambda a: f"Fastest growth: store {fastest} " in a.answer, "sales")
    ytd = (t.today.replace(month=1, day=1), t.today)
    ytd_before = (ytd[0].replace(year=ytd[0].year - 1), ytd[1].replace(year=ytd[1].year - 1))
    now, then = t.order_sales(ytd, "store_id"), t.order_sales(ytd_before, "store_id")
    down = sorted(k for k in now if k and then.get(k) and now[k] < then[k])  # type: ignore[index,union-attr,operator]
    add("which stores are down yoy",  # every store below the same dates last year
        lambda a: f"Down: {len(down)} of " in a.answer and all(
            f"store {k} (-" in a.answer for k in down), "sales")
    add("How did store 0003 do last week?",
        total(t.order_sales(lw, store_id="0003")), "sales")  # type: ignore[arg-type]
    tm_sales = t.sales[t.sales["order_date"] >= tm[0]]
    aov = float(tm_sales["usd"].sum()) / len(tm_sales)
    add("What was the average order value this month?",
        lambda a: f"${aov:,.2f}" in a.answer, "sales")
    # explicit comparisons, more dates, places by short name, a customer over a period
    def shifted(period: tuple[date, date], days: int = 0, years: int = 0
                ) -> tuple[date, date]:
        return (period[0].replace(year=period[0].year - years) - timedelta(days=days),
                period[1].replace(year=period[1].year - years) - timedelta(days=days))

    today = (t.today, t.today)
    q3_2025 = (date(2025, 7, 1), date(2025, 9, 30))
    for question, current, before in (
            ("revenue today vs yesterday", today, yd),
            ("revenue yesterday vs same day last week", yd, shifted(yd, days=7)),
            ("revenue this month vs the same month last year", tm, shifted(tm, years=1)),
            ("Q3 2025 vs Q3 2026 revenue", q3, q3_2025)):
        add(question, lambda a, c=current, b=before: total(t.order_sales(c))(a)  # type: ignore[arg-type]
            and total(t.order_sales(b), "previous_revenue")(a), "sales")  # type: ignore[arg-type]
    add("sales November 2025?", total(t.order_sales(  # type: ignore[arg-type]
        (date(2025, 11, 1), date(2025, 11, 30)))), "sales")
    add("sales in the last 12 months", total(t.order_sales(  # type: ignore[arg-type]
        (t.today.replace(year=t.today.year - 1) + timedelta(days=1), t.today))), "sales")
    add("groceries sales last month", total(float(t.line_sales(
        lm, "category", category="Grocery")["revenue"].sum())), "sales")
    add("NYC sales last month", total(t.order_sales(lm, city="New York")),  # type: ignore[arg-type]
        "sales")
    add("how much did we sell with promo code VIP20 last month",
        total(t.order_sales(lm, promo_code="VIP20")), "sales")  # type: ignore[arg-type]
    spent_lm = t.sales[(t.sales["customer_id"] == "C0000216") & (t.sales["order_date"]
                                                                 >= lm[0])
                       & (t.sales["order_date"] <= lm[1])]["usd"].sum()
    add("how much did C0000216 spend last month",
        total(float(spent_lm), "revenue_usd"), "customer")
    add("sales excluding electronics last month", intent("unsupported"), "clarify")
    add("revenue last month from orders without a coupon", intent("unsupported"), "clarify")
    add("black friday 2025 sales", intent("clarify"), "clarify")
    add("how is south america doing this year", intent("clarify"), "clarify")
    add("online sales in europe in september", intent("clarify"), "clarify")
    # a third round: numbers in words, order counts, statuses, stores by name
    add("top five products this month", ids("product_id", t.top_products(tm, 5), True), "top")
    add("least popular 3 items last month",
        ids("product_id", t.top_products(lm, 3, bottom=True), True), "top")
    add("bottom 5 products this month",
        ids("product_id", t.top_products(tm, 5, bottom=True), True), "top")
    counts = t.sales[(t.sales["order_date"] >= lm[0]) & (t.sales["order_date"] <= lm[1])
                     & t.sales["store_id"].notna()].groupby("store_id")["order_id"].count()
    busiest = counts.sort_values(ascending=False).index[0]
    add("which store had the most orders last month",
        lambda a: f"store {busiest} with {counts[busiest]:,} orders" in a.answer, "sales")
    delivered = t.orders_of_status(lw, "delivered")
    add("how many delivered orders last week", lambda a: len(_rows(a)) == 1
        and _rows(a)[0]["orders"] == delivered[0], "sales")
    for words, fragment in (("sales at the oxford st store this month", "Oxford Street"),
                            ("kurfurstendamm store sales this month", "Kurfürstendamm")):
        names = t.store_names[t.store_names["name"].str.contains(fragment)]
        if len(names) == 1:
            add(words, total(t.order_sales(tm, store_id=names.iloc[0]["store_id"])),  # type: ignore[arg-type]
                "sales")
    us_stores = t.order_sales(year, "store_id", country="US")
    lowest_us = min((k for k in us_stores if k), key=lambda k: us_stores[k])  # type: ignore[union-attr]
    add("which of our US stores had the lowest revenue this year",
        lambda a: f"Lowest: store {lowest_us} " in a.answer, "sales")
    add("slaes in electroncis last month", total(float(t.line_sales(
        lm, "category", category="Electronics")["revenue"].sum())), "sales")
    brands = t.lines.merge(t.brands, on="product_id")
    voltix = brands[(brands["brand"] == "Voltix") & (brands["order_date"] >= lm[0])
                    & (brands["order_date"] <= lm[1])]["line_usd"].sum()
    two_brands = brands[brands["brand"].isin(("Voltix", "Kairo")) & (brands["order_date"]
                        >= lm[0]) & (brands["order_date"] <= lm[1])].groupby("brand")[
        "line_usd"].sum()
    add("Sales for Voltix and Kairo last month", by_key("brand", dict(two_brands)), "sales")
    two_categories = t.line_sales(lm, "category").set_index("category")["revenue"]
    add("Sales in Home and Beauty last month", by_key("category", {
        c: float(two_categories[c]) for c in ("Home", "Beauty")}), "sales")
    add("Voltix sales last month", total(float(voltix)), "sales")
    add("sales since 2026-10-01", total(t.order_sales((date(2026, 10, 1), t.today))),  # type: ignore[arg-type]
        "sales")
    berlin = t.store_names[t.store_names["store_id"].isin(
        t.orders[t.orders["city"] == "Berlin"]["store_id"].dropna().unique())]["store_id"]
    if len(berlin) == 1:
        add("low stock at Berlin", pairs(t.low_stock(berlin.iloc[0])), "low_stock")
    # a busy Monday morning: abbreviations, year-on-year, rankings of stores and brands
    oct_25 = (date(2025, 10, 1), date(2025, 10, 31))
    add("oct sales vs oct last year", lambda a: total(t.order_sales(oct_))(a)  # type: ignore[arg-type]
        and total(t.order_sales(oct_25), "previous_revenue")(a), "sales")  # type: ignore[arg-type]
    add("rev last wk", total(t.order_sales(lw)), "sales")  # type: ignore[arg-type]
    add("sales 2026-11-01 to 2026-11-15",
        total(t.order_sales((date(2026, 11, 1), date(2026, 11, 15)))), "sales")  # type: ignore[arg-type]
    add("nov 1-15 sales", total(t.order_sales((date(2026, 11, 1), date(2026, 11, 15)))),  # type: ignore[arg-type]
        "sales")
    add("Sales in the first half of November",
        total(t.order_sales((date(2026, 11, 1), date(2026, 11, 15)))), "sales")  # type: ignore[arg-type]
    add("revenue in the last week of October",
        total(t.order_sales((date(2026, 10, 25), date(2026, 10, 31)))), "sales")  # type: ignore[arg-type]
    add("Sales in Munich last month", intent("clarify"), "clarify")  # no store there
    mtd_stores = t.order_sales(tm, "store_id")
    worst = min((k for k in mtd_stores if k), key=lambda k: mtd_stores[k])  # type: ignore[union-attr]
    add("worst performing store mtd", lambda a: f"Lowest: store {worst} " in a.answer,
        "sales")
    brand_units = t.lines[(t.lines["order_date"] >= lm[0]) & (t.lines["order_date"] <= lm[1])
                          ].merge(t.brands, on="product_id").groupby("brand")["quantity"].sum()
    add("which brand sold the most last month",
        lambda a: f"Highest units: {brand_units.idxmax()} " in a.answer, "sales")
    add("VIP20 sales last month", total(t.order_sales(lm, promo_code="VIP20")),  # type: ignore[arg-type]
        "sales")
    lw_units = int(t.lines[(t.lines["order_date"] >= lw[0])
                           & (t.lines["order_date"] <= lw[1])]["quantity"].sum())
    add("units sold last week", lambda a: f"{lw_units:,} units" in a.answer, "sales")
    add("declined card payments last week", intent("unsupported"), "clarify")
    add(["Top 10 products in Electronics last month", "bottom 5 instead"],
        ids("product_id", t.top_products(lm, 5, bottom=True, category="Electronics"), True),
        "top")
    add("What share of revenue came from the web channel this year?",
        lambda a: intent("unsupported")(a) and not _rows(a), "clarify")
    add("What is our gross margin by category last month?",
        lambda a: intent("unsupported")(a) and not _rows(a), "clarify")
    add("Sales in Brazil last month", intent("clarify"), "clarify")
    add("Sales by region last month",
        by_key("region", t.order_sales(lm, "region")), "sales")  # type: ignore[arg-type]
    add("Revenue per country in October 2026",
        by_key("country", t.order_sales(oct_, "country")), "sales")  # type: ignore[arg-type]
    add("Revenue by category last month", by_key("category", dict(zip(
        *t.line_sales(lm, "category")[["category", "revenue"]].T.values, strict=True))),
        "sales")
    add("Sales for store 0002 this month compared with last month",
        total(t.order_sales(tm, store_id="0002")), "sales")  # type: ignore[arg-type]
    add(["Sales by category this month", "and for Electronics?"], by_key("category", dict(
        zip(*t.line_sales(tm, "category", category="Electronics")[
            ["category", "revenue"]].T.values, strict=True))), "sales")
    # top products
    add("Top 10 products in Electronics this month",
        ids("product_id", t.top_products(tm, 10, category="Electronics"), True), "top")
    add("Top 5 products by units last month",
        ids("product_id", t.top_products(lm, 5, "units"), True), "top")
    add("Bottom 5 products in Books this month",
        ids("product_id", t.top_products(tm, 5, bottom=True, category="Books"), True), "top")
    add("Bottom 5 products by units in Grocery this month",
        ids("product_id", t.top_products(tm, 5, "units", bottom=True, category="Grocery"),
            True), "top")
    add("Best selling products last week",
        ids("product_id", t.top_products(lw, 10), True), "top")
    add("Top 3 products at store 0001 this month",
        ids("product_id", t.top_products(tm, 3, store_id="0001"), True), "top")
    add("top 10 products in Toys in October 2026",
        ids("product_id", t.top_products(oct_, 10, category="Toys"), True), "top")
    add("What are our 5 most sold products by units in the last 90 days?",
        ids("product_id", t.top_products(t.last_days(90), 5, "units"), True), "top")
    # customers
    spent = t.sales[(t.sales["order_date"] >= date(t.today.year, 1, 1))
                    & t.sales["customer_id"].notna()].groupby("customer_id")["usd"].sum()
    spenders = spent.round(2).reset_index().sort_values(["usd", "customer_id"],
                                                        ascending=[False, True])
    add("Top customers by spend this year",
        ids("customer_id", list(spenders["customer_id"].head(10)), True), "customer")
    for c in customers:
        n, usd = t.customer(c)
        add(f"Tell me about customer {c}", lambda a, n=n, usd=usd: len(_rows(a)) == 1
            and _rows(a)[0]["orders"] == n and close(_rows(a)[0]["revenue_usd"], usd),
            "customer")
    # churn
    at_risk = len(t.churn_ranked())  # all of them, not the 20 listed
    add("Which customers are likely to churn?", lambda a: ids("customer_id", t.churn(20),
                                                              True)(a)
        and a.answer.startswith(f"{at_risk:,} customers look likely to churn"), "churn")
    add("Show me the top 10 customers at risk of churn", ids("customer_id", t.churn(10),
                                                             True), "churn")
    # recommendations
    for c in ("C0000881", "C0000100"):
        add(f"Recommend products for customer {c}",
            ids("product_id", t.recommendations(c), True), "recommendations")
    # forecasts
    for text, sku, days in (("Forecast demand for SKU-00123 next 30 days", "SKU-00123", 30),
                            ("Forecast demand for SKU-00001 next 14 days", "SKU-00001", 14),
                            ("Predict demand for SKU 45 next week", "SKU-00045", 7)):
        add(text, lambda a, sku=sku, days=days: close(
            sum(r["forecast_units"] for r in _rows(a)), t.forecast_total(sku, days), 0.05)
            and len(_rows(a)) == days, "forecast")
    # suspicious payments
    add("Any suspicious payments yesterday?", ids("payment_id", t.flagged(*yd)), "payments")
    add("Show me flagged payments last week", ids("payment_id", t.flagged(*lw)), "payments")
    # trends
    add("Revenue trend by month this year",
        by_key("month", t.trend((date(t.today.year, 1, 1), t.today), "month")), "trend")
    add("Daily revenue last week", by_key("day", t.trend(lw, "day")), "trend")
    eight = t.last_days(56)  # cuts its first and last weeks: partial, not the best
    whole_weeks = {k: v for k, v in t.trend(eight, "week").items()
                   if k >= eight[0] and k + timedelta(days=6) <= eight[1]}
    best_week = max(whole_weeks, key=lambda k: whole_weeks[k])
    add("Weekly revenue over the last 8 weeks",
        lambda a: f"the best whole week was {best_week} " in a.answer
        and "is partial" in a.answer, "trend")
    add("Weekly sales trend over the last 8 weeks",
        by_key("week", t.trend(t.last_days(56), "week")), "trend")
    # clarifications and refusals
    add("Forecast demand next month", intent("clarify"), "clarify")
    add("Recommend something good", intent("clarify"), "clarify")
    add("Top products in Gadgets", intent("clarify"), "clarify")
    add("What's the weather in Paris?", intent("unsupported"), "clarify")
    add("Sales at store 0042 last week", intent("clarify"), "clarify")
    # the fifth audit (an operations manager, a merchandiser, a finance analyst)
    for question in ("Revenue from guest orders last month", "Sales for orders over $500 "
                     "last month", "Revenue on weekends this month", "Sales of discontinued "
                     "products this year", "Revenue in EUR last month", "Total revenue "
                     "including cancelled orders last month", "Sales by city last month",
                     "Sales by payment method last month"):
        add(question, intent("unsupported"), "clarify")  # refused, not answered unfiltered
    for question, current, before in (
            ("Sales in Q3 2026 compared to Q3 2025", q3, (date(2025, 7, 1), date(2025, 9, 30))),
            ("Revenue for the past 4 weeks compared with the same period last year",
             t.last_days(28), (t.last_days(28)[0].replace(year=t.today.year - 1),
                               t.today.replace(year=t.today.year - 1)))):
        add(question, lambda a, c=current, b=before: total(t.order_sales(c))(a)  # type: ignore[arg-type]
            and total(t.order_sales(b), "previous_revenue")(a), "sales")  # type: ignore[arg-type]
    monday = t.today - timedelta(days=(t.today.weekday() - 0) % 7 or 7)
    for question, period in (
            ("What was the revenue in the last quarter of 2025?",
             (date(2025, 10, 1), date(2025, 12, 31))),
            ("What were sales on November 3rd?", (date(2026, 11, 3), date(2026, 11, 3))),
            ("Revenue last Monday", (monday, monday)),
            ("Sales in the last fortnight", t.last_days(14)),
            ("Sales from Oct 15 to Nov 15", (date(2026, 10, 15), date(2026, 11, 15))),
            ("Revenue for the week of 2026-11-02", (date(2026, 11, 2), date(2026, 11, 8))),
            ("How many VIP20 orders were there this year?", None)):
        expected = t.order_sales(period) if period else t.order_sales(  # type: ignore[arg-type]
            (date(t.today.year, 1, 1), t.today), promo_code="VIP20")
        add(question, total(expected), "sales")  # type: ignore[arg-type]
    by_code = t.order_sales(oct_, "promo_code")
    best_code = max((k for k in by_code if k), key=lambda k: by_code[k])  # type: ignore[union-attr]
    add("Which promo code drove the most sales in October?",
        lambda a: f"Highest: {best_code} " in a.answer, "sales")
    by_category = t.line_sales(tm, "category").set_index("category")["revenue"]
    add("Worst selling category this month",
        lambda a: f"Lowest: {by_category.idxmin()} " in a.answer, "sales")
    mtd_now = t.order_sales(tm, "store_id")
    mtd_before = t.order_sales((lm[0], lm[0] + (tm[1] - tm[0])), "store_id")
    change = {k: mtd_now[k] / mtd_before[k] - 1 for k in mtd_now  # type: ignore[index,union-attr]
              if k and mtd_before.get(k)}  # type: ignore[union-attr]
    add("Which stores declined the most compared with last month?",
        lambda a: f"store {min(change, key=lambda k: change[k])} " in a.answer, "sales")
    online = t.order_sales(tm, "region")[None]  # type: ignore[index]
    add("Sales by region this month", lambda a: f"{_usd(online)} of it online" in a.answer,
        "sales")
    months = {k: v for k, v in t.trend((date(t.today.year, 1, 1), t.today), "month").items()
              if k.month < t.today.month}
    add("What was our best month this year?",
        lambda a: f"the best whole month was {max(months, key=lambda k: months[k])} "
        in a.answer, "trend")
    add("Which products are low on stock?", pairs(t.low_stock()), "low_stock")
    q3_now = (date(2026, 7, 1), date(2026, 9, 30))
    add("Compare the Shibuya and Pitt Street stores for Q3",
        lambda a: by_key("store_id", t.order_sales(q3_now, "store_id",  # type: ignore[arg-type]
                                                   store_id=("0009", "0010")))(a)
        and "online" not in a.answer, "sales")
    days = t.trend(lw, "day")
    add("Which day last week had the highest sales?",
        lambda a: f"the best day was {max(days, key=lambda k: days[k])} " in a.answer, "trend")
    add("Top products in Electronics vs last month", intent("unsupported"), "clarify")
    latest = t.inventory[t.inventory["snapshot_date"] == t.inventory["snapshot_date"].max()]
    held = latest[latest["product_id"] == "SKU-00010"]
    # the seventh audit: a customer narrows sales; several stores narrow stock
    mine = t.sales[(t.sales["customer_id"] == "C0000881")
                   & (t.sales["order_date"] >= date(t.today.year, 1, 1))]
    add("how many orders has C0000881 placed this year",
        lambda a: total(float(mine["usd"].sum()))(a) and _rows(a)[0]["orders"] == len(mine),
        "sales")
    add("low stock at stores 0003 and 0005",
        pairs(t.low_stock("0003") | t.low_stock("0005")), "low_stock")
    add("Stock levels for SKU-00010", lambda a: len(_rows(a)) == len(held) and
        f"{int(held['on_hand'].sum()):,} on hand" in a.answer, "low_stock")
    # the fifteenth session: past snapshots, low and out of stock together, the top N
    day = t.inventory["snapshot_date"].max() - timedelta(days=10)
    add(f"What was out of stock on {day:%B} {day.day}?",
        pairs(t.low_stock(out=True, as_of=day)), "low_stock")
    add("Low stock last week", pairs(t.low_stock(as_of=lw[1])), "low_stock")
    add("low stock and out of stock at store 0003", pairs(t.low_stock("0003")), "low_stock")
    then = t.stock(day)
    held_then = then[(then["product_id"] == "SKU-00010") & (then["location_id"] == "0004")]
    add(f"how many SKU-00010 did store 0004 have in stock on {day:%b} {day.day}",
        lambda a: f"{int(held_then['on_hand'].sum()):,} on hand" in a.answer, "low_stock")
    latest = t.stock()
    short = latest[(latest["on_hand"] < latest["reorder_point"]) | (latest["on_hand"] <= 0)]
    short = short.assign(shortfall=short["reorder_point"] - short["on_hand"]).sort_values(
        ["shortfall", "location_id", "product_id"], ascending=[False, True, True])
    largest = list(zip(short["location_id"], short["product_id"], strict=True))[:10]
    add("top 10 low stock products", lambda a: [
        (r["location_id"], r["product_id"]) for r in _rows(a)] == largest
        and a.answer.startswith(f"{len(short)} product/location pairs"), "low_stock")
    def counted(expected: tuple[int, int, int, int]) -> Callable[..., bool]:
        on_record, signed, first, buying = expected
        return lambda a: (f"{on_record:,} customers" in a.answer and f"{signed:,} signed up"
                          in a.answer and f"{first:,} bought for the first time" in a.answer
                          and f"{buying:,} customers bought" in a.answer)

    add("how many customers do we have", counted(t.customer_counts(t.last_days(30))),
        "customers")
    add("how many customers in Germany signed up last month",
        counted(t.customer_counts(lm, "DE")), "customers")
    at_store = t.sales[(t.sales["store_id"] == "0003") & t.sales["order_date"].between(*lw)]
    add("how many customers bought at store 0003 last week",
        lambda a: a.answer.startswith(f"{at_store['customer_id'].nunique():,} customers "
                                      "bought at store 0003"), "customers")
    monthly_counts = {}
    for month in range(1, t.today.month + 1):
        end = min(t.today, (date(t.today.year, month, 28) + timedelta(days=4)).replace(day=1)
                  - timedelta(days=1))
        monthly_counts[date(t.today.year, month, 1)] = t.customer_counts(
            (date(t.today.year, month, 1), end))[1:]
    add("new customers by month this year", lambda a: {
        r["month"]: (r["signed_up"], r["first_time_buyers"], r["buying_customers"])
        for r in _rows(a)} == monthly_counts, "customers")
    # the fifteenth session: a follow-up points back at the row the last answer named
    by_store = t.order_sales(lw, "store_id")
    best_store = max((k for k in by_store if k), key=lambda k: by_store[k])  # type: ignore[union-attr,index]
    add(["Which store had the highest sales last week?",
         "What were the top products at that store?"],
        ids("product_id", t.top_products(lw, 10, store_id=best_store), True), "sales")
    year_spend = t.sales[t.sales["order_date"] >= date(t.today.year, 1, 1)].groupby(
        "customer_id")["usd"].sum().sort_values(ascending=False)
    first_customer = str(year_spend.index[0])
    add(["Top 5 customers this year", "Tell me about the first one"],
        lambda a: a.answer.startswith(f"Customer {first_customer} "), "customer")
    add(["Sales last week", "and at that store?"], intent("clarify"), "clarify")
    orders, spent = t.customer("C0000881")
    add("what is the average order value of C0000881",
        lambda a: f"an average of {_usd(spent / orders)} an order" in a.answer, "customer")
    return q


def _usd(value: float) -> str:
    return f"${value:,.2f}"

