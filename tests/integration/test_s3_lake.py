"""The same pipeline on an s3:// lake, against moto's S3 server."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopsight.config import load_settings
from shopsight.lake.sql import connect
from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from shopsight.state.store import State
from tests.conftest import MASKING_KEY, ORDERS_HEADER, STORES_CSV
from tests.live import moto_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def s3_lake(endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A lake at s3://<bucket>/acme on moto's server, configured as a user would."""
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
                        "SHOPSIGHT_LAKE": f"s3://{bucket}/acme"}.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket)
    settings = load_settings()
    return Lake(settings.lake_root, settings.lake_storage_options)


def test_ingest_and_query_on_an_s3_lake(s3_endpoint: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    lake = s3_lake(s3_endpoint, "shop-lake", monkeypatch)
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    ingestor = Ingestor(lake, state, MASKING_KEY)
    lake.write_bytes("raw/stores/stores.csv", STORES_CSV.encode())
    lake.write_bytes("raw/orders/orders.csv", (
        ORDERS_HEADER + "O1,,2026-01-02,completed,store,0001,USD,10.50,2026-01-02 10:00:00\n"
        "O2,,2026-01-02,completed,store,0099,USD,1.00,2026-01-02 10:00:00\n").encode())
    lake.write_bytes("raw/orders/orders_update.csv", (  # written with orders.csv, at once
        ORDERS_HEADER + "O1,,2026-01-02,returned,store,0001,USD,10.50,2026-01-05 10:00:00\n"
        "O3,,2026-01-03,completed,store,0002,USD,3.00,2026-01-03 10:00:00\n").encode())
    outcomes = ingestor.ingest_raw_zone().outcomes
    assert [(o.table, o.rows_inserted, o.rows_updated, o.rows_rejected)
            for o in outcomes] == [("stores", 2, 0, 0), ("orders", 1, 0, 1), ("orders", 1, 1, 0)]
    assert any(f.key.startswith("rejected/orders/") for f in lake.list_files("rejected"))
    con = connect(lake)
    assert con.execute("SELECT order_id, status, store_id FROM orders ORDER BY 1").fetchall() == [
        ("O1", "returned", "0001"), ("O3", "completed", "0002")]
    again = ingestor.ingest_raw_zone().outcomes
    assert {o.status for o in again} == {"skipped"}
    # a file with some of the columns keeps the table's other values
    lake.write_bytes("raw/orders/orders_amounts.csv", (
        b"order_id,order_date,total_amount,updated_at\n"
        b"O3,2026-01-03,4.00,2026-01-04 10:00:00\n"))
    (amounts,) = [o for o in ingestor.ingest_raw_zone().outcomes if o.status == "succeeded"]
    assert (amounts.rows_inserted, amounts.rows_updated) == (0, 1)
    assert connect(lake).execute("SELECT status, store_id, total_amount FROM orders WHERE "
                                 "order_id = 'O3'").fetchall() == [("completed", "0002", 4.0)]
    state.engine.dispose()


def test_a_corrected_store_day_replaces_the_day_on_an_s3_lake(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On an object store delta-rs merges: the lines a corrected file no longer has are
    deleted by the same commit that updates the others."""
    import boto3
    from deltalake import DeltaTable

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_ENDPOINT_URL": s3_endpoint, "AWS_REGION": "us-east-1",
                        "SHOPSIGHT_LAKE": "s3://sales-lake/acme"}.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket="sales-lake")
    settings = load_settings()
    lake = Lake(settings.lake_root, settings.lake_storage_options)
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    ingestor = Ingestor(lake, state, MASKING_KEY)
    header = ("store_id,business_date,transaction_id,line_number,product_id,quantity,"
              "unit_price,net_amount\n")
    lake.write_bytes("raw/store_sales/day.csv", (
        header + "0001,2026-01-05,T1,1,P1,1,10,10\n0001,2026-01-05,T2,1,P1,2,10,20\n"
        "0002,2026-01-05,T1,1,P1,3,10,30\n").encode())
    first = ingestor.ingest_raw_zone().outcomes
    assert [(o.rows_inserted, o.rows_removed) for o in first] == [(3, 0)]
    lake.write_bytes("raw/store_sales/day_fixed.csv", (
        header + "0001,2026-01-05,T1,1,P1,4,10,40\n").encode())
    (fixed,) = [o for o in ingestor.ingest_raw_zone().outcomes if o.status == "succeeded"]
    assert (fixed.rows_inserted, fixed.rows_updated, fixed.rows_removed) == (0, 1, 1)
    table = DeltaTable(lake.table_uri("curated", "store_sales"),
                       storage_options=lake.storage_options)
    assert table.version() == fixed.table_version == first[0].table_version + 1  # one commit
    assert sorted((r["store_id"], r["transaction_id"], r["quantity"])
                  for r in table.to_pyarrow_table().to_pylist()) == [
        ("0001", "T1", 4), ("0002", "T1", 3)]
    state.engine.dispose()


def _ingest_at(start: float, key: str, state_db: str) -> tuple[str, int, int]:
    """Ingest one raw key of the lake the environment names, from ``start`` on (run in a
    process of its own, as one Lambda per landed file would)."""
    settings = load_settings()
    lake = Lake(settings.lake_root, settings.lake_storage_options)
    ingestor = Ingestor(lake, State(f"sqlite:///{state_db}"), MASKING_KEY)
    time.sleep(max(0.0, start - time.time()))
    (outcome,) = ingestor.ingest_keys([key]).outcomes
    return outcome.status, outcome.rows_inserted, outcome.rows_updated


def test_files_landing_at_once_merge_side_by_side_on_an_s3_lake(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four processes ingest four orders files into a table none of them finds: one
    creates it, and every merge whose commit another beat is worked out again. Every row
    lands once, and the shared key ends at its latest version whatever the commit order."""
    lake = s3_lake(s3_endpoint, "busy-lake", monkeypatch)
    state_db = tmp_path / "state.db"
    state = State(f"sqlite:///{state_db}")
    lake.write_bytes("raw/stores/stores.csv", STORES_CSV.encode())
    Ingestor(lake, state, MASKING_KEY).ingest_raw_zone()
    keys = []
    for w in range(4):
        rows = "".join(f"W{w}-{i},,2026-01-02,completed,store,0001,USD,{i}.00,"
                       "2026-01-02 10:00:00\n" for i in range(30))
        shared = (f"O0,,2026-01-02,returned,store,000{1 + w % 2},USD,1.00,"
                  f"2026-01-0{3 + w} 10:00:00\n")
        keys.append(f"raw/orders/orders_w{w}.csv")
        lake.write_bytes(keys[-1], (ORDERS_HEADER + rows + shared).encode())
    start = time.time() + 4  # every process ready (imports done) before the first merges
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_ingest_at, [(start, key, str(state_db)) for key in keys])
    assert [status for status, _, _ in results] == ["succeeded"] * 4
    assert sum(inserted for _, inserted, _ in results) == 4 * 30 + 1
    con = connect(lake)
    assert con.execute("SELECT count(*), count(DISTINCT order_id) FROM orders"
                       ).fetchall() == [(121, 121)]
    assert con.execute("SELECT store_id, updated_at::VARCHAR FROM orders WHERE order_id = 'O0'"
                       ).fetchall() == [("0002", "2026-01-06 10:00:00+00")]
    state.engine.dispose()


def test_a_merge_another_writer_beat_is_worked_out_again(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Delta refusing a commit because another writer committed first (what S3's
    conditional writes report) makes the merge start over; a writer that keeps losing
    fails its file with a message saying what to do, not as a bug; a commit failure that
    is no race is not retried."""
    from deltalake.exceptions import CommitFailedError

    import shopsight.pipeline.ingest as ingest_module

    lake = s3_lake(s3_endpoint, "race-lake", monkeypatch)
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    merge_checked = Ingestor._merge_checked
    beaten = {"orders": 1}  # commits of the table another writer beats
    calls = {"orders": 0}
    failure = "Commit failed: a concurrent transactions added new data."

    def racing(self: Ingestor, con: object, table: object, files: object) -> object:
        name = getattr(table, "name", "")
        calls[name] = calls.get(name, 0) + 1
        if beaten.get(name, 0) > 0:
            beaten[name] -= 1
            raise CommitFailedError(failure)
        return merge_checked(self, con, table, files)  # type: ignore[arg-type]

    monkeypatch.setattr(Ingestor, "_merge_checked", racing)
    monkeypatch.setattr(ingest_module, "COMMIT_ATTEMPTS", 3)
    ingestor = Ingestor(lake, state, MASKING_KEY)
    lake.write_bytes("raw/stores/stores.csv", STORES_CSV.encode())
    rows = "".join(f"O{i},,2026-01-02,completed,store,0001,USD,1.00,2026-01-02 10:00:00\n"
                   for i in range(20))
    lake.write_bytes("raw/orders/orders.csv", (ORDERS_HEADER + rows).encode())
    first = {o.table: o for o in ingestor.ingest_raw_zone().outcomes}
    assert (first["orders"].status, first["orders"].rows_inserted) == ("succeeded", 20)
    assert calls["orders"] == 2

    lake.write_bytes("raw/orders/orders_later.csv", (
        ORDERS_HEADER + "O99,,2026-01-03,completed,store,0001,USD,1.00,"
        "2026-01-03 10:00:00\n").encode())
    beaten["orders"] = 3
    (lost,) = [o for o in ingestor.ingest_raw_zone().outcomes if o.status != "skipped"]
    assert lost.status == "failed" and "bug" not in lost.message
    assert "other writers committed to the table 3 times" in lost.message
    assert "run the ingest again" in lost.message
    assert connect(lake).execute("SELECT count(*) FROM orders").fetchall() == [(20,)]

    failure = "Commit failed: the table is append-only"  # no race: not retried
    beaten["orders"], calls["orders"] = 5, 0
    (broken,) = [o for o in ingestor.ingest_raw_zone().outcomes if o.status != "skipped"]
    assert broken.status == "failed" and calls["orders"] == 1
    assert "append-only" in broken.message
    beaten["orders"] = 0
    (again,) = [o for o in ingestor.ingest_raw_zone().outcomes if o.status != "skipped"]
    assert (again.status, again.rows_inserted) == ("succeeded", 1)
    state.engine.dispose()
