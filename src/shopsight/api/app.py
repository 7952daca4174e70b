"""The FastAPI application: built once from Settings, adapters handed to the services."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from shopsight import __version__
from shopsight.api.auth import authorize
from shopsight.api.errors import install_error_handler
from shopsight.config import Settings
from shopsight.lake.store import Lake
from shopsight.pipeline.uploads import StoreUploads
from shopsight.state.api_keys import ApiKeys
from shopsight.state.store import State
from shopsight.systems.sales.access import SalesData


def create_app(settings: Settings, *, lake: Lake | None = None,
               state: State | None = None) -> FastAPI:
    """One app with every system's routes; tests pass their own lake and state."""
    lake = lake or Lake(settings.lake_root, settings.lake_storage_options)
    state = state or State(settings.state_database_url)
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Run the fallback schedule of the daily analysis while the server runs, and
        warm the systems' caches and follow the lake's changes in the background."""
        stop = threading.Event()
        if settings.enable_scheduled_analysis:
            threading.Thread(target=app.state.daily_triggers.run_scheduler, args=(stop,),
                             name="daily-analysis-schedule", daemon=True).start()
        threading.Thread(target=follow_lake, args=(app, stop), name="follow-lake",
                         daemon=True).start()
        yield
        stop.set()

    app = FastAPI(title="shopsight", version=__version__, lifespan=lifespan,
                  description="AI analytics for retail and e-commerce sales data. Send an "
                  "API key in the X-API-Key header (create one with `shopsight keys create`).",
                  dependencies=[Depends(authorize)])
    app.add_middleware(CORSMiddleware, allow_origins=[settings.frontend_origin],
                       allow_methods=["*"], allow_headers=["*"])
    install_error_handler(app)
    app.state.settings, app.state.lake, app.state.state = settings, lake, state
    app.state.warmed = threading.Event()  # set once the caches are warm (or not wanted)
    app.state.refreshed = threading.Event()  # set when a lake change refreshed the systems
    app.state.api_keys = ApiKeys(state)
    app.state.uploads = StoreUploads(
        lake, state, signing_key=settings.signing_key.get_secret_value(),
        base_url=settings.public_base_url, ttl_seconds=settings.signed_url_ttl_seconds,
        expected_stores=settings.expected_store_ids,
        reporting_currency=settings.reporting_currency)

    app.state.sales_data = SalesData(
        lake, state, signing_key=settings.signing_key.get_secret_value(),
        base_url=settings.public_base_url, ttl_seconds=settings.signed_url_ttl_seconds)

    from shopsight.systems.sales.daily_analysis import build_daily_analysis

    app.state.daily_analysis, app.state.daily_triggers = build_daily_analysis(
        settings, lake, state, app.state.uploads)

    @app.get("/health", tags=["meta"])
    async def health() -> dict[str, Any]:
        """Liveness: no key needed; async so it never waits for a worker thread."""
        return {"status": "ok"}

    @app.get("/version", tags=["meta"])
    def version() -> dict[str, str]:
        return {"version": __version__}

    from shopsight.api.routes import (
        compliance,
        copilot,
        demand_insights,
        market_intelligence,
        market_pulse,
        sales,
        web,
    )
    from shopsight.lake.models import ModelStore
    from shopsight.llm import make_llm
    from shopsight.systems.compliance_guardian.service import ComplianceGuardian
    from shopsight.systems.demand_insights.service import DemandInsights
    from shopsight.systems.market_intelligence.service import MarketIntelligence
    from shopsight.systems.market_pulse.service import MarketPulse
    from shopsight.systems.retail_copilot.service import RetailCopilot
    from shopsight.systems.retail_copilot.system_tools import SystemTools

    app.state.compliance_guardian = ComplianceGuardian(lake)
    app.state.market_pulse = MarketPulse(lake, settings.reporting_currency)
    models = ModelStore.from_settings(lake, settings)
    app.state.demand_insights = DemandInsights(lake, models)
    app.state.market_intelligence = MarketIntelligence(lake, models)
    app.state.retail_copilot = RetailCopilot(
        lake, state, make_llm(settings),
        SystemTools(lake, app.state.demand_insights, app.state.compliance_guardian),
        temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens,
        conversation_table=settings.conversation_table)
    for module in (sales, compliance, market_pulse, market_intelligence, demand_insights,
                   copilot, web):
        app.include_router(module.router)
    return app


def lake_fingerprint(lake: Lake) -> tuple[Any, ...]:
    """What the systems' caches depend on: every curated and prod table's version and the
    stored model versions (one listing of each)."""
    from shopsight.lake.models import MODELS
    from shopsight.lake.sql import lake_table_versions

    models = sorted(f.key for f in lake.list_files(MODELS) if f.key.endswith("/metadata.json"))
    return tuple(sorted(lake_table_versions(lake).items())), tuple(models)


def follow_lake(app: FastAPI, stop: threading.Event) -> None:
    """Warm the caches (when asked), then every ``refresh_seconds`` look for new data or
    models in the lake (a nightly ingest, ``shopsight train``); on a change, the systems
    forget what they cached and are warmed again. Sets ``app.state.warmed`` after the
    first warming, and ``app.state.refreshed`` after each refresh."""
    from shopsight.logs import get_logger

    log = get_logger("api")
    settings: Settings = app.state.settings
    lake: Lake = app.state.lake
    seen: tuple[Any, ...] | None = None  # a first listing that fails counts as a change
    try:
        seen = lake_fingerprint(lake)
    except Exception:  # noqa: BLE001 - a lake that cannot be listed now may be later
        log.exception("cannot list the lake")
    if settings.warm_on_start:
        warm_caches(app, stop)
    app.state.warmed.set()
    if not settings.refresh_seconds:
        return
    while not stop.wait(settings.refresh_seconds):
        try:
            now = lake_fingerprint(lake)
        except Exception:  # noqa: BLE001 - keep following; a request will show the error
            log.exception("cannot list the lake")
            continue
        if now == seen:
            continue
        seen = now
        for name in ("compliance_guardian", "market_pulse", "demand_insights",
                     "market_intelligence"):
            getattr(app.state, name).refresh()
        log.info("the lake changed: the systems' caches were dropped")
        if settings.warm_on_start:
            warm_caches(app, stop)
        app.state.refreshed.set()


def warm_caches(app: FastAPI, stop: threading.Event) -> None:
    """Compute what the first requests would otherwise wait for (each system caches it
    per data snapshot): the first analyst gets an answer in milliseconds rather than
    seconds, and so does each worker process. A system without data yet is skipped."""
    import time

    from shopsight.errors import ShopsightError
    from shopsight.logs import fields, get_logger

    log = get_logger("api")
    steps: dict[str, Any] = {
        "compliance_guardian": app.state.compliance_guardian.flagged_transactions,
        "demand_insights": app.state.demand_insights.at_risk_customers,
        "demand_insights_segments": app.state.demand_insights.segments,
        "market_pulse": app.state.market_pulse.regions,
    }
    for name, step in steps.items():
        if stop.is_set():
            return
        started = time.perf_counter()
        try:
            step()
        except ShopsightError as exc:  # e.g. no payments ingested yet
            log.info(f"not warmed: {name}: {exc}", extra=fields(system=name))
        except Exception:  # noqa: BLE001 - a request will show the error; keep going
            log.exception(f"warming {name} failed", extra=fields(system=name))
        else:
            log.info(f"warmed {name}", extra=fields(
                system=name, duration_ms=round((time.perf_counter() - started) * 1000)))


KEEP_ALIVE_SECONDS = 75
"""How long an idle keep-alive connection stays open. Longer than the idle timeout of
common clients and load balancers (httpx 5 s, AWS ALB 60 s), so the server never closes a
connection at the moment a client reuses it (which the client sees as a dropped read)."""


def ensure_port_free(host: str, port: int) -> None:
    """Refuse a port something already listens on, before anything is printed or done
    (uvicorn would only say so after start-up, in its own words)."""
    import socket

    from shopsight.errors import ConfigError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError("--host", f"{host!r} is not an address here ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError("--port", f"{host}:{port} is not free ({exc.strerror}); "
                              "stop what uses it or pass another --port") from None


def run_server(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn in this process until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_SECONDS)


def serve_workers(workers: int, host: str, port: int) -> None:
    """Serve the app in ``workers`` processes sharing the port, until interrupted. Each
    builds the app from the environment (:func:`app_from_environment`): they share the
    lake and the state store, and the daily analysis claims a business date in the state
    store, so the workers' schedules never run it twice."""
    import uvicorn

    uvicorn.run("shopsight.api.app:app_from_environment", factory=True, workers=workers,
                host=host, port=port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_SECONDS)


def app_from_environment() -> FastAPI:
    """The app of one worker process, from the environment's settings."""
    from shopsight.config import load_settings
    from shopsight.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
