"""curated → prod: tables per system, idempotent for unchanged input, failures isolated."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from shopsight.lake.sql import connect
from shopsight.notify import EmailNotifier
from shopsight.pipeline.ingest import Ingestor
from shopsight.pipeline.publish import publish
from tests.conftest import STORES_CSV, write
from tests.integration.test_notify import _Inbox, smtp_server  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


def test_publish_writes_prod_tables_once_and_isolates_failures(
        tmp_path: Path, ingestor: Ingestor, smtp_server: tuple[int, _Inbox]  # noqa: F811
) -> None:
    lake, state = ingestor.lake, ingestor.state
    ingestor.ingest_paths([write(tmp_path / "in/stores.csv", STORES_CSV)])
    calls: list[str] = []

    def good() -> dict[str, pa.Table]:
        calls.append("good")
        con = connect(lake)
        stores = con.sql("SELECT region, count(*) AS stores FROM stores GROUP BY 1 "
                         "ORDER BY 1").to_arrow_table()
        return {"stores_by_region": stores}

    def broken() -> dict[str, pa.Table]:
        raise RuntimeError("model file missing")

    port, inbox = smtp_server  # the failure alert goes out by mail, to a real SMTP server
    notifier = EmailNotifier("127.0.0.1", port, "shopsight@test", ["ops@shop.test"])
    first = publish(lake, state, {"market_pulse": good, "compliance_guardian": broken},
                    notifier)
    assert first.status == "partial"
    assert {s.system: s.tables for s in first.systems}["market_pulse"] == {"stores_by_region": 2}
    assert "model file missing" in (first.systems[1].error or "")
    assert [m["Subject"] for _, m in inbox.messages] == [
        "[shopsight] prod step failed for compliance_guardian"]
    prod = DeltaTable(lake.table_uri("prod", "market_pulse/stores_by_region")).to_pyarrow_table()
    assert prod.num_rows == 2
    assert "market_pulse_stores_by_region" in {
        n for (n,) in connect(lake).execute("SHOW TABLES").fetchall()}

    ok = publish(lake, state, {"market_pulse": good})
    assert ok.status == "succeeded" and ok.input_versions == {"stores": 0}
    again = publish(lake, state, {"market_pulse": good})
    assert again.status == "skipped" and "unchanged" in again.message
    assert calls == ["good", "good"]
    version = DeltaTable(lake.table_uri("prod", "market_pulse/stores_by_region")).version()
    assert version == 1  # the skipped run wrote nothing
