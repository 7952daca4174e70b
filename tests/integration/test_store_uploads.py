"""Store uploads: signed URLs, process-upload, rejection with reasons, replacement, and
the all-stores check, on the demo's POS files."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyarrow.parquet as pq
import pytest

from shopsight.errors import InvalidParameter
from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from shopsight.pipeline.uploads import StoreUploads
from shopsight.state.store import State, utc_now
from tests.conftest import MASKING_KEY, DemoLake

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 20)
STORES = [f"{i:04d}" for i in range(1, 12)]


@pytest.fixture
def uploads(tmp_path: Path, demo_lake: DemoLake) -> StoreUploads:
    lake = Lake(str(tmp_path / "lake"))
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    stores_key = next(f.key for f in demo_lake.lake.list_files("raw/stores"))
    lake.write_bytes(stores_key, demo_lake.lake.read_bytes(stores_key))
    Ingestor(lake, state, MASKING_KEY).ingest_raw_zone()
    return StoreUploads(lake, state, signing_key="test-signing", base_url="http://127.0.0.1:8000",
                        ttl_seconds=900, expected_stores=STORES)


def pos_file(demo: DemoLake, store: str, day: date = DAY) -> bytes:
    return (demo.uploads / day.isoformat() / f"store_{store}.csv").read_bytes()


def test_upload_urls_are_signed_bound_and_expire(uploads: StoreUploads) -> None:
    ticket = uploads.generate_upload_url("0003", DAY)
    query = {k: v[0] for k, v in parse_qs(urlparse(ticket.url).query).items()}
    assert urlparse(ticket.url).path == "/sales/uploads/0003/2026-11-20"
    uploads.verify_upload("0003", DAY, query["content_type"], int(query["expires"]),
                          query["signature"])
    with pytest.raises(InvalidParameter, match="signature"):  # another store
        uploads.verify_upload("0004", DAY, query["content_type"], int(query["expires"]),
                              query["signature"])
    with pytest.raises(InvalidParameter, match="signature"):  # extended expiry
        uploads.verify_upload("0003", DAY, query["content_type"], int(query["expires"]) + 60,
                              query["signature"])
    with pytest.raises(InvalidParameter, match="new upload URL"):
        uploads.verify_upload("0003", DAY, query["content_type"], int(query["expires"]),
                              query["signature"], now=utc_now() + timedelta(hours=1))
    with pytest.raises(InvalidParameter, match="four-digit"):
        uploads.generate_upload_url("../0003", DAY)


def test_good_upload_is_processed_with_metrics(uploads: StoreUploads,
                                               demo_lake: DemoLake) -> None:
    data = pos_file(demo_lake, "0002")
    result = uploads.process_upload("0002", DAY, data, "store_0002.csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert result.status == "processed" and result.rows == len(rows)
    assert result.processed_key == "processed/business_date=2026-11-20/store_id=0002/sales.parquet"
    table = pq.read_table(io.BytesIO(uploads.lake.read_bytes(result.processed_key)))
    assert table.num_rows == len(rows)
    metrics = result.metrics
    assert metrics is not None
    assert metrics.revenue == pytest.approx(sum(float(r["net_amount"]) for r in rows), abs=0.01)
    assert metrics.transactions == len({r["transaction_id"] for r in rows})
    assert metrics.currency == rows[0]["currency"]
    assert uploads.lake.exists(result.original_key)


def test_bad_upload_is_rejected_with_reasons_and_a_fix_replaces_nothing_else(
        uploads: StoreUploads, demo_lake: DemoLake) -> None:
    good = uploads.process_upload("0005", DAY, pos_file(demo_lake, "0005"))
    other = uploads.process_upload("0006", DAY, pos_file(demo_lake, "0006"))
    lines = pos_file(demo_lake, "0005").decode().splitlines()
    header = lines[0].split(",")
    broken = lines[1].split(",")
    broken[header.index("quantity")] = "-2"
    bad = "\n".join([lines[0], ",".join(broken), *lines[2:]]) + "\n"
    rejected = uploads.process_upload("0005", DAY, bad.encode())
    assert rejected.status == "rejected"
    assert "row 2 column quantity: '-2' is below the minimum 1" in rejected.message
    assert uploads.lake.exists(rejected.rejected_key or "")
    # the earlier good file is still what counts
    assert uploads.metrics_for(DAY)[0].revenue == good.metrics.revenue  # type: ignore[union-attr]
    wrong_store = uploads.process_upload("0007", DAY, pos_file(demo_lake, "0005"))
    assert wrong_store.status == "rejected"
    assert "belongs to store 0005" in wrong_store.message
    # a corrected re-upload replaces the store's day and touches nothing else
    fixed_lines = [lines[0], *lines[1:-1]]
    fixed = uploads.process_upload("0005", DAY, ("\n".join(fixed_lines) + "\n").encode())
    assert fixed.status == "processed" and fixed.rows == len(lines) - 2
    by_store = {m.store_id: m for m in uploads.metrics_for(DAY)}
    assert by_store["0005"].lines == len(lines) - 2
    assert by_store["0006"] == other.metrics


def test_all_stores_check(uploads: StoreUploads, demo_lake: DemoLake) -> None:
    for store in STORES[:-1]:
        assert uploads.process_upload(store, DAY, pos_file(demo_lake, store)).status == (
            "processed")
    check = uploads.check_all_stores(DAY)
    assert check.missing == ["0011"] and not check.complete
    uploads.process_upload("0011", DAY, pos_file(demo_lake, "0011"))
    assert uploads.check_all_stores(DAY).complete
