"""The state store: which files were ingested, when, with what counts (and, in later
issues, jobs, uploads, conversations, alerts and API keys).

SQLAlchemy Core over a SQLite file by default (WAL mode so the watcher and the CLI can
share it); any SQLAlchemy URL such as PostgreSQL works unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from shopsight.errors import StateError

metadata = sa.MetaData()

ingested_files = sa.Table(
    "ingested_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_key", sa.String(1024), nullable=False, index=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # succeeded | rejected | failed
    sa.Column("rows_read", sa.Integer, nullable=False, default=0),
    sa.Column("rows_rejected", sa.Integer, nullable=False, default=0),
    sa.Column("rows_duplicate", sa.Integer, nullable=False, default=0),
    sa.Column("rows_inserted", sa.Integer, nullable=False, default=0),
    sa.Column("rows_updated", sa.Integer, nullable=False, default=0),
    sa.Column("table_version", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
)


uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("store_id", sa.String(16), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # processed | rejected
    sa.Column("original_key", sa.String(1024), nullable=False),
    sa.Column("processed_key", sa.String(1024), nullable=True),
    sa.Column("rejected_key", sa.String(1024), nullable=True),
    sa.Column("rows", sa.Integer, nullable=False, default=0),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Index("ix_uploads_store_date", "store_id", "business_date"),
)

store_metrics = sa.Table(
    "store_metrics",
    metadata,
    sa.Column("store_id", sa.String(16), primary_key=True),
    sa.Column("business_date", sa.Date, primary_key=True),
    sa.Column("upload_id", sa.Integer, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

analysis_runs = sa.Table(
    "analysis_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),  # all_stores | schedule | manual
    sa.Column("status", sa.String(16), nullable=False),  # running | succeeded | failed
    sa.Column("missing_stores", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("business_date", "attempt", name="uq_analysis_once_per_attempt"),
)

analysis_steps = sa.Table(
    "analysis_steps",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_runs.id"), primary_key=True),
    sa.Column("step", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | succeeded | failed
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=True),
    sa.Column("output_key", sa.String(1024), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
)

sent_once = sa.Table(  # things done once however many processes try (an alert per day)
    "sent_once",
    metadata,
    sa.Column("kind", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("sent_at", sa.DateTime, nullable=False),
)


class IngestRecord(BaseModel):
    """One attempt to ingest one raw file."""

    file_key: str
    sha256: str
    table_name: str
    status: str
    rows_read: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    table_version: int | None = None
    message: str = ""
    started_at: datetime
    finished_at: datetime
    duration_ms: int


class State:
    """Access to the state store; create one per process and pass it down."""

    def __init__(self, url: str) -> None:
        where = url.split("@")[-1]  # never the password
        try:
            if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(url, future=True)
            if self.engine.dialect.name == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            metadata.create_all(self.engine)
        except OSError as exc:
            raise StateError(f"cannot create the folder of {where}: {exc.strerror or exc}; "
                             "check SHOPSIGHT_HOME or SHOPSIGHT_STATE_URL") from exc
        except ModuleNotFoundError as exc:  # e.g. postgresql:// without psycopg installed
            raise StateError(f"{where}: the database driver {exc.name!r} is not installed; "
                             f"pip install it next to shopsight") from exc
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(f"cannot open {where}: {exc.__class__.__name__}; "
                             "check SHOPSIGHT_STATE_URL") from exc
        self.url = url

    def first_to_send(self, kind: str, key: str) -> bool:
        """True for the first caller with this (kind, key), in any process sharing the
        store: the API's workers each run the daily fallback, and one alert is enough."""
        try:
            with self.engine.begin() as conn:
                conn.execute(sent_once.insert().values(kind=kind, key=key, sent_at=utc_now()))
        except sa.exc.IntegrityError:
            return False
        return True

    def record_ingest(self, record: IngestRecord) -> None:
        """Append one ingest attempt."""
        with self.engine.begin() as conn:
            conn.execute(ingested_files.insert().values(**record.model_dump()))

    def successful_ingest(self, sha256: str, table_name: str) -> IngestRecord | None:
        """The last successful ingest of this content into this table, if any."""
        query = (
            sa.select(ingested_files)
            .where(ingested_files.c.sha256 == sha256)
            .where(ingested_files.c.table_name == table_name)
            .where(ingested_files.c.status.in_(("succeeded", "rejected")))
            .order_by(ingested_files.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _record(row) if row else None

    def ingest_history(self, limit: int = 100) -> list[IngestRecord]:
        """Most recent ingest attempts first."""
        query = sa.select(ingested_files).order_by(ingested_files.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query).mappings()]


def _record(row: Any) -> IngestRecord:
    data = dict(row)
    data.pop("id", None)
    for key in ("started_at", "finished_at"):
        if data[key].tzinfo is None:
            data[key] = data[key].replace(tzinfo=UTC)
    return IngestRecord(**data)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def utc_now() -> datetime:
    """Timezone-aware now, UTC."""
    return datetime.now(UTC)
