"""curated → prod: run every system's models and write their outputs to prod/<system>/.

One step (``shopsight publish``, the watcher after curated changes, an S3 event on AWS)
that asks each system for its tables and overwrites ``prod/<system>/<table>`` (Delta, so
readers keep the last good version until the new one commits). A run records its id,
the input table versions and the output row counts; a run whose input versions equal the
last successful run's is skipped, and when curated is unchanged only the systems whose own
inputs changed run (the copilot's stored conversations); one system failing does not stop
the others, the failure is recorded and alerted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel

from shopsight.errors import ShopsightError
from shopsight.lake.delta import open_table
from shopsight.lake.sql import lake_tables
from shopsight.lake.store import CURATED, PROD, Lake
from shopsight.logs import fields, get_logger
from shopsight.notify import Alert, Notifier
from shopsight.state.store import State, metadata, utc_now

if TYPE_CHECKING:
    from shopsight.lake.models import ModelStore

log = get_logger("publish")

Publisher = Callable[[], Mapping[str, Any]]  # table name -> pyarrow.Table

publish_runs = sa.Table(
    "publish_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False),  # succeeded | partial | skipped
    sa.Column("input_versions", sa.JSON, nullable=False),
    sa.Column("outputs", sa.JSON, nullable=False),  # system -> {table: rows} or {"error": ...}
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
)


class SystemOutcome(BaseModel):
    """What one system wrote, or why it could not."""

    system: str
    tables: dict[str, int] = {}
    error: str | None = None
    seconds: float = 0.0


class PublishResult(BaseModel):
    """One curated → prod run."""

    run_id: int
    status: str
    input_versions: dict[str, int]
    systems: list[SystemOutcome]
    message: str = ""


def curated_versions(lake: Lake) -> dict[str, int]:
    """Current Delta version of every curated table: the input of a prod run."""
    versions: dict[str, int] = {}
    for name, uri in lake_tables(lake).items():
        if uri.startswith(lake.uri(CURATED) + "/"):
            versions[name] = int(open_table(uri, lake.storage_options).version())
    return versions


def publish(lake: Lake, state: State, publishers: Mapping[str, Publisher],
            notifier: Notifier | None = None, force: bool = False,
            own_inputs: Mapping[str, Mapping[str, int]] | None = None) -> PublishResult:
    """Run every publisher and write its tables under prod/<system>/.

    ``own_inputs`` gives, per system, versions of what it reads besides curated (recorded
    as ``<system>:<name>``): when only those changed, only that system runs."""
    from deltalake import write_deltalake

    metadata.create_all(state.engine, tables=[publish_runs])
    started = utc_now()
    curated = curated_versions(lake)
    own = {f"{system}:{name}": version for system, inputs in (own_inputs or {}).items()
           for name, version in inputs.items()}
    versions = {**curated, **own}
    last = _last_success(state)
    message = ""
    if not force and last is not None:
        before: dict[str, int] = last["input_versions"]
        if before == versions:
            return _record(state, "skipped", versions, {}, started,
                           f"inputs unchanged since run {last['id']}; nothing to do")
        if {k: v for k, v in before.items() if ":" not in k} == curated:
            changed = {key.split(":", 1)[0] for key, version in own.items()
                       if before.get(key) != version}
            publishers = {s: p for s, p in publishers.items() if s in changed}
            message = (f"curated unchanged since run {last['id']}; ran only "
                       f"{', '.join(publishers)} (its own inputs changed)")
    outcomes: list[SystemOutcome] = []
    for system, produce in publishers.items():
        t0 = time.perf_counter()
        try:
            tables = produce()
            counts = {}
            for table, data in tables.items():
                write_deltalake(lake.table_uri(PROD, f"{system}/{table}"), data,
                                mode="overwrite", schema_mode="overwrite",
                                storage_options=lake.storage_options or None)
                counts[table] = int(data.num_rows)
            outcomes.append(SystemOutcome(system=system, tables=counts,
                                          seconds=round(time.perf_counter() - t0, 2)))
            log.info(f"publish {system}: {sum(counts.values())} rows in {len(counts)} "
                     "table(s)", extra=fields(step="publish", system=system, tables=counts,
                                              duration_ms=round((time.perf_counter() - t0)
                                                                * 1000)))
        except Exception as exc:  # noqa: BLE001 - one system must not stop the others
            # a ShopsightError says what to do; anything else is named by its type
            error = str(exc) if isinstance(exc, ShopsightError) else (
                f"unexpected {type(exc).__name__}: {exc}")
            outcomes.append(SystemOutcome(system=system, error=error,
                                          seconds=round(time.perf_counter() - t0, 2)))
            log.error(f"publish {system} failed: {error}", extra=fields(system=system))
            if notifier is not None:
                notifier.send(Alert(kind="failure", severity="critical",
                                    subject=f"prod step failed for {system}",
                                    text=f"curated → prod could not publish {system}: {error}. "
                                    "Other systems were published; fix and run "
                                    "`shopsight publish` again."))
    status = "partial" if any(o.error for o in outcomes) else "succeeded"
    outputs = {o.system: ({"error": o.error} if o.error else o.tables) for o in outcomes}
    result = _record(state, status, versions, outputs, started, message)
    result.systems = outcomes
    return result


def _last_success(state: State) -> Any:
    with state.engine.connect() as conn:
        return conn.execute(sa.select(publish_runs).where(publish_runs.c.status == "succeeded")
                            .order_by(publish_runs.c.id.desc()).limit(1)).mappings().first()


def _record(state: State, status: str, versions: dict[str, int], outputs: dict[str, Any],
            started: Any, message: str) -> PublishResult:
    with state.engine.begin() as conn:
        result = conn.execute(publish_runs.insert().values(
            status=status, input_versions=versions, outputs=json.loads(json.dumps(outputs)),
            started_at=started, finished_at=utc_now()))
        key = result.inserted_primary_key
        assert key is not None
    return PublishResult(run_id=int(key[0]), status=status, input_versions=versions,
                         systems=[], message=message)


def system_publishers(lake: Lake, models: ModelStore,
                      reporting_currency: str = "USD") -> dict[str, Publisher]:
    """Every system's prod tables, built lazily so one import failing is one system failing."""

    def compliance() -> Mapping[str, Any]:
        from shopsight.systems.compliance_guardian.service import ComplianceGuardian

        return ComplianceGuardian(lake).publish()

    def market_pulse() -> Mapping[str, Any]:
        from shopsight.systems.market_pulse.service import MarketPulse

        return MarketPulse(lake, reporting_currency).publish()

    def demand_insights() -> Mapping[str, Any]:
        from shopsight.systems.demand_insights.service import DemandInsights

        service = DemandInsights(lake, models)
        service.train()
        return service.publish()

    def market_intelligence() -> Mapping[str, Any]:
        from shopsight.systems.market_intelligence.service import MarketIntelligence

        service = MarketIntelligence(lake, models)
        service.train()
        return service.publish()

    return {"demand_insights": demand_insights, "market_intelligence": market_intelligence,
            "compliance_guardian": compliance, "market_pulse": market_pulse}


def conversation_versions(state: State,
                          conversation_table_name: str | None = None) -> dict[str, int]:
    """The copilot publisher's own inputs: how many stored conversations are live and
    when the latest changed (a new, updated or expired conversation changes them)."""
    from shopsight.systems.retail_copilot.conversations import (
        DEFAULT_CONVERSATION_TABLE,
        conversation_table,
    )

    table = conversation_table(conversation_table_name or DEFAULT_CONVERSATION_TABLE)
    metadata.create_all(state.engine, tables=[table])
    with state.engine.connect() as conn:
        live, latest = conn.execute(sa.select(sa.func.count(), sa.func.max(table.c.updated_at))
                                    .where(table.c.ttl > int(utc_now().timestamp()))).one()
    return {"conversations": int(live),
            "last_updated": int(latest.timestamp() * 1_000_000) if latest else 0}


def copilot_publisher(state: State, conversation_table_name: str | None = None) -> Publisher:
    """The Retail Copilot's share of prod: query patterns of stored conversations."""

    def publish_patterns() -> Mapping[str, Any]:
        import pyarrow as pa

        from shopsight.analytics.query_patterns import query_patterns, question_answer_pairs
        from shopsight.systems.retail_copilot.conversations import (
            DEFAULT_CONVERSATION_TABLE,
            conversation_table,
        )

        table = conversation_table(conversation_table_name or DEFAULT_CONVERSATION_TABLE)
        metadata.create_all(state.engine, tables=[table])
        now = int(utc_now().timestamp())
        with state.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(sa.select(table).where(
                table.c.ttl > now)).mappings()]
        tables = query_patterns(question_answer_pairs(rows))
        return {name: pa.Table.from_pandas(frame, preserve_index=False)
                for name, frame in tables.items()}

    return publish_patterns
