"""Crash safety and idempotency: a killed ingest leaves curated readable, a re-run finishes
the work with no duplicate and no lost row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from deltalake import DeltaTable

from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from shopsight.state.store import State
from tests.conftest import MASKING_KEY

pytestmark = pytest.mark.integration

ROWS = 150_000


def write_orders(path: Path, start: int, count: int, status: str, updated: str) -> Path:
    ids = [f"O{i:07d}" for i in range(start, start + count)]
    table = pa.table({
        "order_id": ids,
        "customer_id": [f"C{i % 997}" for i in range(count)],
        "order_date": ["2026-01-02"] * count,
        "status": [status] * count,
        "channel": ["web"] * count,
        "total_amount": [f"{(i % 500) + 0.99:.2f}" for i in range(count)],
        "updated_at": [updated] * count,
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)
    return path


def ingest_in_subprocess(home: Path, files: list[Path]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHOPSIGHT_HOME": str(home), "SHOPSIGHT_MASKING_KEY": MASKING_KEY,
           "SHOPSIGHT_LOG_FORMAT": "json"}
    return subprocess.Popen(
        [sys.executable, "-m", "shopsight.cli", "ingest", *map(str, files)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def curated_orders(lake: Lake) -> pa.Table:
    return DeltaTable(lake.table_uri("curated", "orders")).to_pyarrow_table(
        columns=["order_id", "status"])


def landed(home: Path) -> bool:
    """Both files are in raw/: the run is reading and checking them."""
    return len(list((home / "lake/raw/orders").glob("*.csv"))) == 2


def written_not_committed(home: Path) -> bool:
    """The curated data file is (being) written; the table's first commit is not made."""
    table = home / "lake/curated/orders"
    return any(table.glob("*.parquet")) and not any(table.glob("_delta_log/*.json"))


def committed(home: Path) -> bool:
    """The table is committed; the state store may not know yet."""
    return any((home / "lake/curated/orders").glob("_delta_log/*.json"))


def kill_when(proc: subprocess.Popen[bytes], reached: Callable[[], bool]) -> bool:
    """Kill the process as soon as ``reached()`` (the step it is in depends on the
    check's 2 ms resolution, not on the machine's speed); False if it finished first."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if reached():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    return proc.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.parametrize("reached", [landed, written_not_committed, committed])
def test_killed_ingest_then_rerun_gives_the_clean_result(
        tmp_path: Path, reached: Callable[[Path], bool]) -> None:
    files = [
        write_orders(tmp_path / "in/orders_1.csv", 0, ROWS, "paid", "2026-01-02 10:00:00"),
        write_orders(tmp_path / "in/orders_2.csv", ROWS // 2, ROWS, "shipped",
                     "2026-01-03 10:00:00"),
    ]
    home = tmp_path / "home"
    assert kill_when(ingest_in_subprocess(home, files), lambda: reached(home))

    lake = Lake(str(home / "lake"))
    state = State(f"sqlite:///{home / 'state.db'}")
    try:
        uri = lake.table_uri("curated", "orders")
        if DeltaTable.is_deltatable(uri):
            partial = curated_orders(lake)  # readable at its last committed version
            assert partial.num_rows in (0, ROWS, ROWS * 3 // 2)
        summary = Ingestor(lake, state, MASKING_KEY).ingest_paths(files)
        assert all(o.status in ("succeeded", "skipped") for o in summary.outcomes)
        final = curated_orders(lake)
        ids = final.column("order_id").to_pylist()
        assert len(ids) == len(set(ids)) == ROWS * 3 // 2  # no duplicate, no lost row
        status = dict(zip(ids, final.column("status").to_pylist(), strict=True))
        assert status["O0000000"] == "paid"
        assert status[f"O{ROWS - 1:07d}"] == "shipped"  # the newer version won
    finally:
        state.engine.dispose()


def test_crash_after_commit_before_bookkeeping_is_harmless(
    tmp_path: Path, lake: Lake, state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_orders(tmp_path / "in/orders_1.csv", 0, 1000, "paid", "2026-01-02 10:00:00")
    ingestor = Ingestor(lake, state, MASKING_KEY)

    def crash(_record: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(state, "record_ingest", crash)
    with pytest.raises(RuntimeError):
        ingestor.ingest_paths([path])
    monkeypatch.undo()
    version = DeltaTable(lake.table_uri("curated", "orders")).version()
    again = ingestor.ingest_paths([path]).outcomes[0]
    assert (again.status, again.rows_inserted, again.rows_updated) == ("succeeded", 0, 0)
    assert DeltaTable(lake.table_uri("curated", "orders")).version() == version
    assert curated_orders(lake).num_rows == 1000
    assert [r.status for r in state.ingest_history()] == ["succeeded"]


def test_a_merge_waits_for_another_writer_of_the_same_table(
    tmp_path: Path, lake: Lake, state: State
) -> None:
    """While another process merges into curated/orders (its lock held), an ingest of
    orders checks its file but commits only once the lock is released, and then merges
    against what the other wrote."""
    import threading

    ingestor = Ingestor(lake, state, MASKING_KEY)
    ingestor.ingest_paths([write_orders(tmp_path / "in/orders_1.csv", 0, 10, "paid",
                                        "2026-01-02 10:00:00")])
    version = DeltaTable(lake.table_uri("curated", "orders")).version()
    newer = write_orders(tmp_path / "in/orders_2.csv", 5, 10, "shipped", "2026-01-03 10:00:00")
    done: list[object] = []
    with lake.table_lock("curated", "orders"):
        worker = threading.Thread(target=lambda: done.append(ingestor.ingest_paths([newer])))
        worker.start()
        worker.join(timeout=3.0)  # time enough to check 10 rows and reach the merge
        assert worker.is_alive() and not done
        assert DeltaTable(lake.table_uri("curated", "orders")).version() == version
    worker.join(timeout=60)
    assert done and DeltaTable(lake.table_uri("curated", "orders")).version() == version + 1
    assert curated_orders(lake).num_rows == 15


def test_two_processes_adding_the_same_new_key_leave_one_row(tmp_path: Path) -> None:
    """`shopsight watch` and an `ingest` at once: without a lock both appended the key."""
    home = tmp_path / "home"
    base = write_orders(tmp_path / "in/orders_base.csv", 0, 2000, "paid", "2026-01-02 10:00:00")
    assert ingest_in_subprocess(home, [base]).wait(timeout=120) == 0
    first = write_orders(tmp_path / "in/orders_a.csv", 9000, 1, "paid", "2026-01-05 10:00:00")
    second = write_orders(tmp_path / "in/orders_b.csv", 9000, 1, "shipped",
                          "2026-01-06 10:00:00")
    runs = [ingest_in_subprocess(home, [first]), ingest_in_subprocess(home, [second])]
    assert [r.wait(timeout=120) for r in runs] == [0, 0]
    rows = curated_orders(Lake(str(home / "lake"))).to_pylist()
    assert len(rows) == 2001
    assert [r["status"] for r in rows if r["order_id"] == "O0009000"] == ["shipped"]


def test_an_unexpected_error_fails_its_file_and_the_other_tables_go_on(
    tmp_path: Path, lake: Lake, state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import STORES_CSV, write

    stores = write(tmp_path / "in/stores.csv", STORES_CSV)
    orders = write_orders(tmp_path / "in/orders.csv", 0, 100, "paid", "2026-01-02 10:00:00")
    keep_latest_rows = Ingestor._keep_latest_rows

    def broken(self: Ingestor, con: object, table: object, ordinal: int) -> tuple[int, int]:
        if getattr(table, "name", "") == "orders":
            raise RuntimeError("an internal bug")
        if getattr(table, "name", "") == "products":
            raise KeyError  # no message at all
        return keep_latest_rows(self, con, table, ordinal)  # type: ignore[arg-type]

    monkeypatch.setattr(Ingestor, "_keep_latest_rows", broken)
    ingestor = Ingestor(lake, state, MASKING_KEY)
    products = write(tmp_path / "in/products.csv", "product_id,name,category,unit_cost,"
                     "list_price\nP1,Socks,Apparel,1.00,2.00\n")
    outcomes = {o.table: o for o in ingestor.ingest_paths([stores, products, orders]).outcomes}
    assert outcomes["stores"].status == "succeeded"
    assert outcomes["orders"].status == "failed"
    assert "RuntimeError: an internal bug" in outcomes["orders"].message
    assert "nothing of this file was committed" in outcomes["orders"].message
    assert outcomes["products"].status == "failed"
    assert "unexpected error (KeyError: )" in outcomes["products"].message
    assert not lake.exists("curated/orders/_delta_log/00000000000000000000.json")
    monkeypatch.undo()
    again = ingestor.ingest_paths([orders]).outcomes[0]  # a failed file is tried again
    assert (again.status, again.rows_inserted) == ("succeeded", 100)

