"""Store uploads (the seed's Phase 1): signed upload URLs, process-upload, metrics, and
the check that all expected stores have reported.

- generate-upload-url: an HMAC-signed URL bound to store, business date and content
  type, with an expiry; on an s3:// lake the same call returns an S3 presigned PUT URL.
- process-upload: the original is kept under ``uploads/``; the file is checked against
  the store_sales contract (and must only hold rows of its store and date); a good file
  replaces ``processed/business_date=D/store_id=S/sales.parquet``, a bad one is
  described in ``rejected/uploads/...reason.json`` and the store is told why.
- calculate-metrics / write-metrics: per-store daily metrics into the state store.
- check-all-stores: which expected stores have reported for a date.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from pydantic import BaseModel

from shopsight.analytics.store_metrics import StoreDayMetrics, calculate_store_metrics
from shopsight.errors import InvalidParameter, ShopsightError
from shopsight.lake.delta import open_table, table_exists
from shopsight.lake.store import CURATED, REJECTED, Lake
from shopsight.logs import fields, get_logger
from shopsight.pipeline.connections import file_connection
from shopsight.pipeline.ingest import check_rows, local_copy, safe_file_name
from shopsight.pipeline.raw_files import line_count, line_feeds
from shopsight.quality.pci import redact
from shopsight.quality.validation import VALIDATED, list_problems
from shopsight.schema import get_table
from shopsight.schema.tables import STORES
from shopsight.state.store import State, store_metrics, uploads, utc_now

log = get_logger("uploads")

UPLOADS, PROCESSED = "uploads", "processed"
ALLOWED_CONTENT_TYPES = ("text/csv", "application/vnd.apache.parquet", "application/octet-stream")


class UploadTicket(BaseModel):
    """Where and until when a store may upload its file for one business date."""

    store_id: str
    business_date: date
    content_type: str
    method: str = "PUT"
    url: str
    expires_at: datetime


class UploadResult(BaseModel):
    """What happened to an uploaded file, in words a store manager can act on."""

    upload_id: int
    store_id: str
    business_date: date
    status: str  # processed | rejected
    rows: int
    message: str
    problems: list[str] = []
    original_key: str
    processed_key: str | None = None
    rejected_key: str | None = None
    metrics: StoreDayMetrics | None = None


class StoreCheck(BaseModel):
    """Which expected stores have reported for a business date."""

    business_date: date
    expected: list[str]
    reported: list[str]
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


def _parse_store(store_id: str) -> str:
    if not STORES.column("store_id").matches_pattern(store_id):
        raise InvalidParameter("store_id", store_id, "a four-digit store id such as 0001")
    return store_id


def upload_signature(key: str, store_id: str, business_date: date, content_type: str,
                     expires: int) -> str:
    """HMAC-SHA256 over everything the URL is bound to."""
    message = f"PUT\n{store_id}\n{business_date.isoformat()}\n{content_type}\n{expires}"
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


class StoreUploads:
    """The upload half of the sales platform; adapters and settings are handed in."""

    def __init__(self, lake: Lake, state: State, *, signing_key: str, base_url: str,
                 ttl_seconds: int, expected_stores: list[str],
                 reporting_currency: str = "USD") -> None:
        self.lake, self.state = lake, state
        self.signing_key, self.base_url, self.ttl = signing_key, base_url.rstrip("/"), ttl_seconds
        self.expected_stores = expected_stores
        self.reporting_currency = reporting_currency

    # -- generate-upload-url ------------------------------------------------------------

    def generate_upload_url(self, store_id: str, business_date: date,
                            content_type: str = "text/csv",
                            now: datetime | None = None) -> UploadTicket:
        """A signed, expiring URL for one store, date and content type."""
        _parse_store(store_id)
        if content_type not in ALLOWED_CONTENT_TYPES:
            raise InvalidParameter("content_type", content_type,
                                   "one of " + ", ".join(ALLOWED_CONTENT_TYPES))
        expires_at = (now or utc_now()) + timedelta(seconds=self.ttl)
        expires = int(expires_at.timestamp())
        if not self.lake.is_local:
            url = self._s3_presigned(store_id, business_date, content_type)
        else:
            signature = upload_signature(self.signing_key, store_id, business_date,
                                         content_type, expires)
            query = urlencode({"content_type": content_type, "expires": expires,
                               "signature": signature})
            url = f"{self.base_url}/sales/uploads/{store_id}/{business_date}?{query}"
        return UploadTicket(store_id=store_id, business_date=business_date,
                            content_type=content_type, url=url,
                            expires_at=datetime.fromtimestamp(expires, UTC))

    def verify_upload(self, store_id: str, business_date: date, content_type: str,
                      expires: int, signature: str, now: datetime | None = None) -> None:
        """Refuse an upload whose URL was not signed by us, was altered, or expired."""
        expected = upload_signature(self.signing_key, store_id, business_date, content_type,
                                    expires)
        if not hmac.compare_digest(expected, signature):
            raise InvalidParameter("signature", "…", "the signature of a URL from "
                                   "generate-upload-url for this store, date and content type")
        if (now or utc_now()).timestamp() > expires:
            raise InvalidParameter("expires", expires, "a time in the future; ask for a new "
                                   "upload URL")

    def _s3_presigned(self, store_id: str, business_date: date, content_type: str) -> str:
        import boto3

        bucket, _, prefix = self.lake.root.removeprefix("s3://").partition("/")
        key = "/".join(p for p in (prefix, UPLOADS, business_date.isoformat(),
                                   f"store_{store_id}", "sales.csv") if p)
        client = boto3.client("s3", endpoint_url=self.lake.storage_options.get(
            "AWS_ENDPOINT_URL"), region_name=self.lake.storage_options.get("AWS_REGION"))
        url: str = client.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=self.ttl)
        return url

    # -- process-upload -----------------------------------------------------------------

    def process_upload(self, store_id: str, business_date: date, data: bytes,
                       filename: str = "sales.csv") -> UploadResult:
        """Keep the original, check it, and either publish it or reject it with reasons."""
        _parse_store(store_id)
        received = utc_now()
        stamp = received.strftime("%Y%m%dT%H%M%S%f")
        name = safe_file_name(filename)
        original_key = f"{UPLOADS}/{business_date}/store_{store_id}/{stamp}-{name}"
        self.lake.write_bytes(original_key, data)
        try:
            lines, problems = self._check(original_key, data, store_id, business_date)
        except ShopsightError as exc:
            lines, problems = None, [str(exc)]
        if problems or lines is None:
            return self._reject(store_id, business_date, original_key, stamp, name, problems,
                                received)
        processed_key = (f"{PROCESSED}/business_date={business_date}/store_id={store_id}/"
                         "sales.parquet")
        self.lake.write_bytes(processed_key, _parquet_bytes(lines))
        metrics = calculate_store_metrics(
            lines.to_pandas(), store_id, business_date, self._store_currency(store_id),
            self.reporting_currency)
        upload_id = self._record(store_id, business_date, "processed", original_key,
                                 processed_key, None, lines.num_rows, "", received)
        self.write_metrics(upload_id, metrics)
        log.info(f"upload {store_id} {business_date}: {lines.num_rows} lines processed",
                 extra=fields(step="process-upload", store_id=store_id,
                              business_date=str(business_date)))
        return UploadResult(
            upload_id=upload_id, store_id=store_id, business_date=business_date,
            status="processed", rows=lines.num_rows, original_key=original_key,
            processed_key=processed_key, metrics=metrics,
            message=f"{lines.num_rows} lines accepted for store {store_id} on {business_date}; "
            "thank you",
        )

    def _check(self, key: str, data: bytes, store_id: str,
               business_date: date) -> tuple[Any, list[str]]:
        table = get_table("store_sales")
        with file_connection() as con:
            with local_copy(self.lake, key, data) as path:
                raw = check_rows(con, key, path, data[:1 << 20], table, None, self.lake,
                                 lines=line_count(line_feeds(data), data[-1:])).raw
            problems = [f"row {r} column {c or '-'}: {m}" for r, c, m in raw.bad_rows]
            problems += [f"row {p.row} column {p.column}: {p.reason}"
                         for p in list_problems(con, limit=200)]
            foreign = con.execute(
                f"SELECT _row, store_id, business_date FROM {VALIDATED} WHERE NOT _bad AND "
                "(store_id <> ? OR business_date <> ?) ORDER BY _row LIMIT 50",
                [store_id, business_date]).fetchall()
            problems += [f"row {r} belongs to store {s} on {d}, not to store {store_id} on "
                         f"{business_date}" for r, s, d in foreign]
            if raw.rows == 0:
                problems.append("the file has no sales lines")
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            lines = con.sql(f"SELECT {columns} FROM {VALIDATED} WHERE NOT _bad "
                            "ORDER BY transaction_id, line_number").to_arrow_table()
        return lines, sorted(problems, key=_row_order)

    def _reject(self, store_id: str, business_date: date, original_key: str, stamp: str,
                name: str, problems: list[str], received: datetime) -> UploadResult:
        rejected_key = f"{REJECTED}/{UPLOADS}/{business_date}/store_{store_id}/{stamp}-{name}"
        reason_key = f"{rejected_key}.reason.json"
        problems = [redact(p) for p in problems]  # they quote values: a card number, an SSN
        self.lake.write_bytes(reason_key, json.dumps({
            "store_id": store_id, "business_date": str(business_date),
            "original": original_key, "problems": problems[:500],
            "note": "Nothing from this file was used; fix the rows listed and upload the "
                    "whole file again with a new upload URL.",
        }, indent=2).encode())
        shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)"
                                           if len(problems) > 3 else "")
        message = (f"upload for store {store_id} on {business_date} rejected: {shown}. Fix the "
                   "file and upload it again.")
        upload_id = self._record(store_id, business_date, "rejected", original_key, None,
                                 reason_key, 0, message, received)
        log.warning(message, extra=fields(step="process-upload", store_id=store_id))
        return UploadResult(upload_id=upload_id, store_id=store_id, business_date=business_date,
                            status="rejected", rows=0, message=message, problems=problems[:200],
                            original_key=original_key, rejected_key=reason_key)

    def _record(self, store_id: str, business_date: date, status: str, original_key: str,
                processed_key: str | None, rejected_key: str | None, rows: int, message: str,
                received: datetime) -> int:
        with self.state.engine.begin() as conn:
            result = conn.execute(uploads.insert().values(
                store_id=store_id, business_date=business_date, status=status,
                original_key=original_key, processed_key=processed_key,
                rejected_key=rejected_key, rows=rows, message=message, received_at=received))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def _store_currency(self, store_id: str) -> str:
        uri = self.lake.table_uri(CURATED, "stores")
        if table_exists(uri, self.lake.storage_options):
            stores = open_table(uri, self.lake.storage_options).to_pyarrow_table(
                columns=["store_id", "currency"]).to_pylist()
            for row in stores:
                if row["store_id"] == store_id and row["currency"]:
                    return str(row["currency"])
        return self.reporting_currency

    # -- write-metrics and check-all-stores ----------------------------------------------

    def write_metrics(self, upload_id: int, metrics: StoreDayMetrics) -> None:
        """Upsert the store-day metrics (a corrected upload replaces them)."""
        values = {"upload_id": upload_id, "metrics": json.loads(metrics.model_dump_json()),
                  "updated_at": utc_now()}
        key = (store_metrics.c.store_id == metrics.store_id) & (
            store_metrics.c.business_date == metrics.business_date)
        with self.state.engine.begin() as conn:
            if conn.execute(sa.select(store_metrics.c.store_id).where(key)).first():
                conn.execute(store_metrics.update().where(key).values(**values))
            else:
                conn.execute(store_metrics.insert().values(
                    store_id=metrics.store_id, business_date=metrics.business_date, **values))

    def metrics_for(self, business_date: date) -> list[StoreDayMetrics]:
        """Metrics of every store that reported for a date."""
        with self.state.engine.connect() as conn:
            rows = conn.execute(sa.select(store_metrics.c.metrics).where(
                store_metrics.c.business_date == business_date).order_by(
                store_metrics.c.store_id)).scalars().all()
        return [StoreDayMetrics.model_validate(r) for r in rows]

    def check_all_stores(self, business_date: date) -> StoreCheck:
        """Compare the stores that reported with the expected ones."""
        reported = [m.store_id for m in self.metrics_for(business_date)]
        missing = [s for s in self.expected_stores if s not in reported]
        return StoreCheck(business_date=business_date, expected=self.expected_stores,
                          reported=reported, missing=missing)


def _row_order(problem: str) -> tuple[int, str]:
    parts = problem.split(" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, problem)


def _parquet_bytes(table: Any) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()

