"""The API's caches: warmed in the background when it starts, so the first analyst is
served from them (a lake without data is no error), and dropped when the lake changes, so
answers follow the nightly ingest without a restart."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from shopsight.api.app import create_app
from shopsight.config import load_settings
from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from shopsight.state.store import State
from tests.conftest import (
    CUSTOMERS_CSV,
    MASKING_KEY,
    ORDERS_HEADER,
    STORES_CSV,
    DemoLake,
    write,
)
from tests.live import live_server

pytestmark = pytest.mark.integration

SYSTEMS = ("compliance_guardian", "demand_insights", "demand_insights_segments",
           "market_pulse")


def _warm_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "shopsight.api"]


def test_the_first_request_is_served_from_warmed_caches(
        tmp_path: Path, demo_lake: DemoLake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="shopsight.api")
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    settings = load_settings(warm_on_start=True, enable_scheduled_analysis=False)
    app = create_app(settings, lake=demo_lake.lake, state=state)
    key, _ = app.state.api_keys.create("ana", "analyst")
    with live_server(app, lifespan="on") as base, httpx.Client(
            base_url=base, timeout=120, headers={"X-API-Key": key}) as client:
        assert app.state.warmed.wait(timeout=180)
        assert _warm_messages(caplog) == [f"warmed {name}" for name in SYSTEMS]
        segments = client.get("/demand-insights/segments")
        assert segments.status_code == 200
        assert segments.json()["model_trained_now"] is False  # computed while warming
    state.engine.dispose()


def test_an_empty_lake_is_skipped_while_warming(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="shopsight.api")
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    app = create_app(load_settings(warm_on_start=True, enable_scheduled_analysis=False),
                     lake=Lake(str(tmp_path / "lake")), state=state)
    with live_server(app, lifespan="on") as base:
        assert app.state.warmed.wait(timeout=60)
        assert httpx.get(f"{base}/health", timeout=30).status_code == 200
    messages = _warm_messages(caplog)
    assert len(messages) == len(SYSTEMS)
    assert all(m.startswith("not warmed: ") for m in messages), messages
    state.engine.dispose()


def test_answers_follow_new_data_without_a_restart(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    ingestor = Ingestor(lake, state, MASKING_KEY)
    ingestor.ingest_paths([write(tmp_path / "in/stores.csv", STORES_CSV),
                           write(tmp_path / "in/customers.csv", CUSTOMERS_CSV)])
    order = "{},C1,2026-01-02,paid,store,0001,USD,{}.00,2026-01-02 10:00:00\n"
    ingestor.ingest_paths([write(tmp_path / "in/orders_1.csv",
                                 ORDERS_HEADER + order.format("O1", 100))])
    settings = load_settings(refresh_seconds=0.2, warm_on_start=False,
                             enable_scheduled_analysis=False)
    app = create_app(settings, lake=lake, state=state)
    key, _ = app.state.api_keys.create("ana", "analyst")
    with live_server(app, lifespan="on") as base, httpx.Client(
            base_url=base, timeout=60, headers={"X-API-Key": key}) as client:
        assert client.get("/market-pulse/regions").json()["total_revenue"] == 100.0
        ingestor.ingest_paths([write(tmp_path / "in/orders_2.csv",
                                     ORDERS_HEADER + order.format("O2", 50))])
        assert app.state.refreshed.wait(timeout=30)
        assert client.get("/market-pulse/regions").json()["total_revenue"] == 150.0
    state.engine.dispose()
