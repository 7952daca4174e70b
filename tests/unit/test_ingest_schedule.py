"""Ingest scheduling: tables side by side, each after the tables it references."""

from __future__ import annotations

import threading
import time

from shopsight.pipeline.ingest import run_table_chains


def test_files_wait_for_referenced_tables_and_run_at_most_two_at_a_time() -> None:
    chains = {
        "products": ["raw/products/p.csv"],
        "customers": ["raw/customers/c.csv"],
        "orders": ["raw/orders/orders_full.csv", "raw/orders/orders_incr.csv"],
        "order_items": ["raw/order_items/i.csv"],
        "payments": ["raw/payments/p.csv"],
        "inventory": ["raw/inventory/i.csv"],
    }
    spans: dict[str, tuple[float, float]] = {}
    running: list[int] = [0, 0]  # now, most at once
    lock = threading.Lock()

    def run(key: str) -> None:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        started = time.perf_counter()
        time.sleep(0.05)
        with lock:
            running[0] -= 1
            spans[key] = (started, time.perf_counter())

    run_table_chains(chains, run, workers=2)

    assert set(spans) == {k for keys in chains.values() for k in keys}
    assert running[1] == 2  # independent tables did run side by side

    def after(later: str, earlier: str) -> bool:
        return spans[later][0] >= spans[earlier][1]

    assert after("raw/orders/orders_incr.csv", "raw/orders/orders_full.csv")
    assert after("raw/orders/orders_full.csv", "raw/customers/c.csv")
    for dependent in ("raw/order_items/i.csv", "raw/payments/p.csv"):
        assert after(dependent, "raw/orders/orders_incr.csv")
    assert after("raw/order_items/i.csv", "raw/products/p.csv")
    assert after("raw/inventory/i.csv", "raw/products/p.csv")


def test_a_failure_in_a_referenced_table_stops_its_dependents() -> None:
    ran: list[str] = []

    def run(key: str) -> None:
        if key.startswith("raw/orders/"):
            raise RuntimeError("disk full")
        ran.append(key)

    chains = {"customers": ["raw/customers/c.csv"], "orders": ["raw/orders/o.csv"],
              "payments": ["raw/payments/p.csv"]}
    try:
        run_table_chains(chains, run, workers=2)
    except RuntimeError as exc:
        assert "disk full" in str(exc)
    else:
        raise AssertionError("the failure was swallowed")
    assert ran == ["raw/customers/c.csv"]
