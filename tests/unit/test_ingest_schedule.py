"""Ingest scheduling: files side by side, reference checks after the referenced tables."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shopsight.pipeline.schedule import PrioritySlots, run_table_chains

CHAINS = {
    "products": ["raw/products/p.csv"],
    "customers": ["raw/customers/c.csv"],
    "orders": ["raw/orders/orders_full.csv", "raw/orders/orders_incr.csv"],
    "order_items": ["raw/order_items/i.csv"],
    "payments": ["raw/payments/p.csv"],
    "inventory": ["raw/inventory/i.csv"],
}
REFERENCES = {"orders": {"customers"}, "order_items": {"orders", "products"},
              "payments": {"orders", "customers"}, "inventory": {"products"}}


def test_reference_checks_wait_for_referenced_tables_and_two_files_run_at_once() -> None:
    spans: dict[str, tuple[float, float]] = {}  # file: start, end
    checked: dict[str, float] = {}  # file: when its references were checked
    running = [0, 0]  # now, most at once
    lock = threading.Lock()

    def run(key: str, references_ready: Callable[[], None]) -> None:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        started = time.perf_counter()
        time.sleep(0.03)  # read and type
        with lock:
            running[0] -= 1
        references_ready()
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        checked[key] = time.perf_counter()
        time.sleep(0.03)  # check references, write
        with lock:
            running[0] -= 1
            spans[key] = (started, time.perf_counter())

    run_table_chains(CHAINS, REFERENCES, run, workers=2)

    assert set(spans) == {k for keys in CHAINS.values() for k in keys}
    assert running[1] == 2  # never more than two, and two did run together

    def done_before_check(dependent: str, referenced: str) -> bool:
        return checked[dependent] >= spans[referenced][1]

    assert spans["raw/orders/orders_incr.csv"][0] >= spans["raw/orders/orders_full.csv"][1]
    assert done_before_check("raw/orders/orders_full.csv", "raw/customers/c.csv")
    for dependent in ("raw/order_items/i.csv", "raw/payments/p.csv"):
        assert done_before_check(dependent, "raw/orders/orders_incr.csv")
    assert done_before_check("raw/order_items/i.csv", "raw/products/p.csv")
    assert done_before_check("raw/inventory/i.csv", "raw/products/p.csv")
    # reading did not wait: order lines were read while orders were still being written
    assert spans["raw/order_items/i.csv"][0] < spans["raw/orders/orders_incr.csv"][1]


def test_a_failure_in_a_referenced_table_stops_its_dependents_at_their_check() -> None:
    checked: list[str] = []

    def run(key: str, references_ready: Callable[[], None]) -> None:
        if key.startswith("raw/orders/"):
            raise RuntimeError("disk full")
        references_ready()
        checked.append(key)

    chains = {"customers": ["raw/customers/c.csv"], "orders": ["raw/orders/o.csv"],
              "payments": ["raw/payments/p.csv"]}
    try:
        run_table_chains(chains, {"payments": {"orders"}}, run, workers=2)
    except RuntimeError as exc:
        assert "disk full" in str(exc)
    else:
        raise AssertionError("the failure was swallowed")
    assert checked == ["raw/customers/c.csv"]


def test_a_free_slot_goes_to_the_table_others_wait_for() -> None:
    slots = PrioritySlots(1)
    slots.acquire(0)
    order: list[int] = []

    def take(priority: int) -> None:
        slots.acquire(priority)
        order.append(priority)
        slots.release()

    waiters = [threading.Thread(target=take, args=(p,)) for p in (5, 3, 4)]
    for w in waiters:
        w.start()
    time.sleep(0.1)  # all three are waiting
    slots.release()
    for w in waiters:
        w.join(5)
    assert order == [3, 4, 5]


def test_files_checked_side_by_side_share_memory_and_spill_privately(
        tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from shopsight.pipeline.connections import file_connection, physical_memory

    monkeypatch.chdir(tmp_path)
    with file_connection(1) as alone:
        whole = alone.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    with file_connection(2) as con:
        spill = Path(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
        share = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        ram = physical_memory()
        assert ram and share != whole  # an explicit share of RAM, not DuckDB's default
        # a sort far larger than a tiny budget completes by spilling to the private folder
        con.execute("SET memory_limit = '64MB'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("CREATE TEMP TABLE big AS SELECT (i * 7919) % 1000003 AS k, "
                    "repeat('x', 100) AS pad FROM range(3000000) t(i)")
        assert con.execute("SELECT count(DISTINCT k) FROM (SELECT * FROM big ORDER BY k)"
                           ).fetchall() == [(1000003,)]
        assert spill.is_dir() and spill.name.startswith("shopsight-spill-")
    assert not spill.exists()  # removed with the connection
    assert not (tmp_path / ".tmp").exists()  # nothing left in the working directory


def test_files_worked_on_at_once_share_the_cores() -> None:
    import duckdb

    from shopsight.pipeline.ingest import CoreShare

    cores = CoreShare(4)
    con = duckdb.connect()
    with cores.working():
        assert cores.threads() == 4  # alone: every core
        with cores.working():
            with cores.working():
                cores.share(con)
                assert con.execute("SELECT current_setting('threads')").fetchall() == [(1,)]
            assert cores.threads() == 2
            with cores.waiting():  # waiting for referenced tables uses no core
                cores.share(con)
                assert con.execute("SELECT current_setting('threads')").fetchall() == [(4,)]
            # a write starting while the other file still checks takes its share; once
            # every other file is writing too (they end first), it takes every core
            with cores.writing():
                assert cores.threads(writing=True) == 2
                with cores.writing():
                    cores.share(con, writing=True)
                    assert con.execute("SELECT current_setting('threads')").fetchall() == [(4,)]
                    assert cores.threads() == 2  # a statement that is not the write
    assert cores.threads() == 4


def test_tables_nothing_waits_for_start_largest_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Referenced tables keep contract order (the others wait for them); the rest start
    by size, so the longest file does not start last and run alone at the end."""
    from shopsight.lake.store import Lake
    from shopsight.pipeline.ingest import Ingestor
    from shopsight.state.store import State

    lake = Lake(str(tmp_path / "lake"))
    sizes = {"raw/payments/p.csv": 900, "raw/order_items/i.csv": 500,
             "raw/inventory/i.csv": 100, "raw/orders/orders_full.csv": 50}
    for key, size in sizes.items():
        lake.write_bytes(key, b"x" * size)
    ingestor = Ingestor(lake, State(f"sqlite:///{tmp_path}/state.db"), "key")
    chains = {name: [tuple(files)] for name, files in CHAINS.items()}
    ordered = ingestor._in_slot_order(chains, REFERENCES, CHAINS)
    assert list(ordered) == ["products", "customers", "orders", "payments", "order_items",
                             "inventory"]
    assert ordered == chains


def test_file_connections_are_reused_clean_and_a_failed_one_is_closed() -> None:
    from pathlib import Path

    import duckdb
    import pytest

    from shopsight.pipeline.connections import FileConnections

    with FileConnections(2) as pool:
        with pool.connection() as first:
            first.execute("CREATE TEMP TABLE t AS SELECT 1 AS x")
            first.execute("CREATE TEMP VIEW v AS SELECT * FROM t")
            first.execute("SET preserve_insertion_order = false")
            spill = Path(first.execute("SELECT current_setting('temp_directory')")
                         .fetchall()[0][0])
        with pool.connection() as again:
            assert again is first  # the same database, handed back clean
            assert again.execute(
                "SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary), "
                "(SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal), "
                "current_setting('preserve_insertion_order'), current_setting('TimeZone')"
            ).fetchall() == [(0, 0, True, "UTC")]
            with pytest.raises(duckdb.Error), pool.connection() as other:
                assert other is not first  # the first is still in use
                other.execute("SELECT * FROM missing")
            with pytest.raises(duckdb.ConnectionException):
                other.execute("SELECT 1")  # closed
        with pool.connection() as after_failure:
            assert after_failure is first  # the failed one was closed, not pooled
        assert spill.is_dir()
    assert not spill.exists()  # closing the pool closes its databases and their folders
