"""The API warms the systems' caches in the background when it starts, so the first
analyst is served from them; a lake without data is no error."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from shopsight.api.app import create_app
from shopsight.config import load_settings
from shopsight.lake.store import Lake
from shopsight.state.store import State
from tests.conftest import DemoLake
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
