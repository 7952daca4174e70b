"""Deliberate dirt in the demo exports, every instance recorded so tests can check it.

Real exports are messy; the ingester must deduplicate, let the latest version win and
reject exactly the bad rows. This module plants each kind of mess in a known share of rows
of the formatted (string) frames and returns a ``dirt`` table with one row per planted
instance: ``key`` (raw file), ``row`` (as the ingester counts: the header is row 1, the
first data row is row 2), ``table``, ``kind``, ``column`` and ``detail``.

Kinds: ``duplicate`` (exact copy within a file), ``cross_file_duplicate`` (the incremental
file repeats a row of the full export), ``late_update`` (newer version that must win),
``stale_update`` (older version that must not win), ``bad_date``, ``negative_quantity``,
``unknown_fk`` and ``orphan`` (a line or payment of an order that will be rejected).
Dirty rows are otherwise valid, so exactly the planted rows are rejectable. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Arr = npt.NDArray[Any]

DIRT_COLUMNS = ("key", "row", "table", "kind", "column", "detail")
BAD_DATES = ("2026-13-45", "31/02/2026", "2026-02-30", "2025-00-12", "2026-11-31")
_TS_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class DirtKeys:
    """Lake keys of the files that receive dirt."""

    orders: str
    orders_incr: str
    order_items: str
    payments: str


@dataclass(frozen=True)
class DirtyExports:
    """The exports with dirt planted, the incremental orders file and the dirt truth."""

    orders: pd.DataFrame
    orders_incr: pd.DataFrame
    order_items: pd.DataFrame
    payments: pd.DataFrame
    dirt: pd.DataFrame


class _Picker:
    """Draws disjoint random rows of one frame from the rows still allowed."""

    def __init__(self, rng: np.random.Generator, allowed: Arr) -> None:
        self.rng = rng
        self.used = ~np.asarray(allowed, dtype=bool)

    def take(self, share: float, minimum: int, where: Arr | None = None) -> Arr:
        pool = ~self.used if where is None else (~self.used & where)
        idx = np.flatnonzero(pool)
        count = min(idx.size, max(minimum, round(share * self.used.size)))
        pick = np.sort(self.rng.choice(idx, count, replace=False))
        self.used[pick] = True
        return pick


def _isin(values: pd.Series, candidates: Arr) -> Arr:
    """Hash-based membership for string ids (``np.isin`` is quadratic on objects)."""
    return np.asarray(values.isin(candidates).to_numpy(dtype=bool))


def _set(frame: pd.DataFrame, column: str, rows: Arr, values: Arr | list[str]) -> None:
    position = list(frame.columns).index(column)
    frame.iloc[rows, position] = np.asarray(values, dtype=object)


def _with_duplicates(rng: np.random.Generator, frame: pd.DataFrame, source: Arr,
                     ) -> tuple[pd.DataFrame, Arr, Arr]:
    """Insert exact copies of ``source`` rows somewhere after their original.

    Returns the new frame, the new position of every original row and of every copy.
    """
    n = len(frame)
    keys = np.concatenate([np.arange(n, dtype=np.float64),
                           rng.uniform(source + 0.5, n, source.size)])
    order = np.argsort(keys, kind="stable")
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    rows = np.concatenate([np.arange(n), source])[order]
    out = frame.iloc[rows].reset_index(drop=True)
    return out, position[:n], position[n:]


def _records(key: str, table: str, kind: str, column: str, rows: Arr,
             details: Arr | list[str]) -> pd.DataFrame:
    return pd.DataFrame({"key": key, "row": np.asarray(rows, dtype=np.int64) + 2,
                         "table": table, "kind": kind, "column": column,
                         "detail": np.asarray(details, dtype=object)})


def plant_dirt(exports: dict[str, pd.DataFrame], *, keys: DirtKeys, eligible: Arr,
               rng: np.random.Generator, export_time: pd.Timestamp) -> DirtyExports:
    """Plant dirt in the clean string frames ``orders``, ``order_items`` and ``payments``.

    The frames are taken out of ``exports`` (the dict is emptied) so a 10M-row export is
    not held twice; the callers' frame objects themselves are not modified (pandas
    copy-on-write). ``eligible`` marks orders that may get dirty: the others (recent days
    that the store uploads repeat, fraud) stay clean so other checks remain exact.
    """
    orders = exports.pop("orders").copy(deep=False)
    order_items = exports.pop("order_items").copy(deep=False)
    payments = exports.pop("payments").copy(deep=False)
    pick = _Picker(rng, eligible)
    status = orders["status"]
    ordered = pd.to_datetime(orders["ordered_at"], format=_TS_FORMAT).to_numpy()
    updated = pd.to_datetime(orders["updated_at"], format=_TS_FORMAT).to_numpy()
    has_customer = orders["customer_id"].notna().to_numpy()
    delivered = status.eq("delivered").to_numpy(dtype=bool)
    settled = delivered & ((updated - ordered) >= np.timedelta64(2, "D"))

    bad_date = pick.take(0.002, 3)
    unknown_customer = pick.take(0.001, 2, has_customer)
    late = pick.take(0.003, 5, delivered)
    stale = pick.take(0.0005, 3, settled)
    cross = pick.take(0.001, 3)
    duplicated = pick.take(0.005, 3)

    bad_values = np.array(BAD_DATES, dtype=object)[rng.integers(0, len(BAD_DATES),
                                                               bad_date.size)]
    _set(orders, "order_date", bad_date, bad_values)
    unknown_ids = np.array([f"C9{i:06d}" for i in rng.choice(999_999, unknown_customer.size,
                                                             replace=False)], dtype=object)
    _set(orders, "customer_id", unknown_customer, unknown_ids)
    order_ids = orders["order_id"]
    rejected = pd.Series(
        ["order_date is not a date"] * bad_date.size
        + ["customer_id is not in customers"] * unknown_customer.size,
        index=np.concatenate([order_ids.iloc[bad_date].to_numpy(dtype=object),
                              order_ids.iloc[unknown_customer].to_numpy(dtype=object)]),
        dtype="str")

    # Order lines and payments: orphans of rejected orders, bad values, duplicates.
    item_order = order_items["order_id"]
    clean_ids = order_ids[np.asarray(eligible, dtype=bool)].to_numpy(dtype=object)
    item_orphan = np.flatnonzero(_isin(item_order, rejected.index.to_numpy()))
    items_pick = _Picker(rng, _isin(item_order, clean_ids))
    items_pick.used[item_orphan] = True
    negative = items_pick.take(0.002, 3)
    unknown_product = items_pick.take(0.001, 2)
    item_dups = items_pick.take(0.005, 3)
    quantities = order_items["quantity"].iloc[negative].to_numpy(dtype=object)
    _set(order_items, "quantity", negative, np.array(["-" + q for q in quantities], dtype=object))
    bad_products = np.array([f"SKU-9{i:04d}" for i in rng.choice(9999, unknown_product.size,
                                                                 replace=False)], dtype=object)
    _set(order_items, "product_id", unknown_product, bad_products)

    pay_order = payments["order_id"]
    pay_orphan = np.flatnonzero(_isin(pay_order, rejected.index.to_numpy()))
    pay_pick = _Picker(rng, _isin(pay_order, clean_ids))
    pay_pick.used[pay_orphan] = True
    pay_dups = pay_pick.take(0.005, 3)

    # The incremental file: late updates, stale versions and rows repeated from the full.
    incr_rows = np.concatenate([late, stale, cross])
    incr = orders.iloc[incr_rows].reset_index(drop=True)
    n_late, n_stale = late.size, stale.size
    late_at = (export_time + pd.to_timedelta(rng.integers(3600, 17 * 3600, n_late), unit="s"))
    stale_at = pd.Series(ordered[stale] + np.timedelta64(1, "D"))
    _set(incr, "status", np.arange(n_late), ["returned"] * n_late)
    _set(incr, "updated_at", np.arange(n_late),
         pd.Series(late_at).dt.strftime(_TS_FORMAT).to_numpy(dtype=object))
    _set(incr, "status", np.arange(n_late, n_late + n_stale), ["shipped"] * n_stale)
    _set(incr, "updated_at", np.arange(n_late, n_late + n_stale),
         stale_at.dt.strftime(_TS_FORMAT).to_numpy(dtype=object))
    incr_order = np.argsort(incr_rows, kind="stable")
    incr = incr.iloc[incr_order].reset_index(drop=True)
    incr_position = np.empty(incr_rows.size, dtype=np.int64)
    incr_position[incr_order] = np.arange(incr_rows.size)

    # Exact duplicates inside each file, then row numbers as written.
    orders, order_pos, order_dup_pos = _with_duplicates(rng, orders, duplicated)
    order_items, item_pos, item_dup_pos = _with_duplicates(rng, order_items, item_dups)
    payments, pay_pos, pay_dup_pos = _with_duplicates(rng, payments, pay_dups)

    def copy_of(key: str, positions: Arr) -> list[str]:
        return [f"exact copy of {key} row {p + 2}" for p in positions]

    item_orphan_ids = item_order.iloc[item_orphan].to_numpy(dtype=object)
    pay_orphan_ids = pay_order.iloc[pay_orphan].to_numpy(dtype=object)
    reasons_items = rejected.loc[item_orphan_ids].to_numpy(dtype=object)
    reasons_pay = rejected.loc[pay_orphan_ids].to_numpy(dtype=object)
    parts = [
        _records(keys.orders, "orders", "bad_date", "order_date", order_pos[bad_date],
                 [f"{v!r} is not a date" for v in bad_values]),
        _records(keys.orders, "orders", "unknown_fk", "customer_id",
                 order_pos[unknown_customer],
                 [f"customer {v} does not exist" for v in unknown_ids]),
        _records(keys.orders, "orders", "duplicate", "", order_dup_pos,
                 copy_of(keys.orders, order_pos[duplicated])),
        _records(keys.order_items, "order_items", "orphan", "order_id", item_pos[item_orphan],
                 [f"order {o} is rejected: {r}" for o, r in zip(
                     item_orphan_ids, reasons_items, strict=True)]),
        _records(keys.order_items, "order_items", "negative_quantity", "quantity",
                 item_pos[negative], [f"quantity -{q}" for q in quantities]),
        _records(keys.order_items, "order_items", "unknown_fk", "product_id",
                 item_pos[unknown_product],
                 [f"product {v} does not exist" for v in bad_products]),
        _records(keys.order_items, "order_items", "duplicate", "", item_dup_pos,
                 copy_of(keys.order_items, item_pos[item_dups])),
        _records(keys.payments, "payments", "orphan", "order_id", pay_pos[pay_orphan],
                 [f"order {o} is rejected: {r}" for o, r in zip(
                     pay_orphan_ids, reasons_pay, strict=True)]),
        _records(keys.payments, "payments", "duplicate", "", pay_dup_pos,
                 copy_of(keys.payments, pay_pos[pay_dups])),
        _records(keys.orders_incr, "orders", "late_update", "status",
                 incr_position[:n_late],
                 [f"delivered -> returned, newer than {keys.orders} row {p + 2}"
                  for p in order_pos[late]]),
        _records(keys.orders_incr, "orders", "stale_update", "updated_at",
                 incr_position[n_late:n_late + n_stale],
                 [f"older than {keys.orders} row {p + 2}; must not win"
                  for p in order_pos[stale]]),
        _records(keys.orders_incr, "orders", "cross_file_duplicate", "",
                 incr_position[n_late + n_stale:],
                 [f"same as {keys.orders} row {p + 2}" for p in order_pos[cross]]),
    ]
    dirt = pd.concat(parts, ignore_index=True)
    dirt = dirt.sort_values(["key", "row"], kind="stable", ignore_index=True)
    for col in ("key", "table", "kind", "column", "detail"):
        dirt[col] = dirt[col].astype("str")
    return DirtyExports(orders, incr, order_items, payments, dirt)
