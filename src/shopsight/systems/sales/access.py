"""Data access for the sales platform (the seed's Phase 3): list-files, signed download
URLs, and per-store / company metrics over a date range.

Store keys only see their own stores' files: a store's files carry ``store_<id>`` or
``store_id=<id>`` in their key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

import sqlalchemy as sa
from pydantic import BaseModel, Field

from shopsight.analytics.store_metrics import StoreDayMetrics
from shopsight.errors import AccessDenied, InvalidParameter, NotFound
from shopsight.lake.store import Lake, safe_key
from shopsight.state.store import State, store_metrics, uploads, utc_now

FILE_PREFIXES = ("uploads/", "processed/", "rejected/", "reports/", "exports/")
MAX_PAGE_SIZE = 500
_STORE_IN_KEY = re.compile(r"store(?:_id=|_)([0-9]{4})")
_DATE_IN_KEY = re.compile(r"(20[0-9]{2}-[01][0-9]-[0-3][0-9])")


class FileItem(BaseModel):
    """A file of the sales platform."""

    key: str
    size: int
    modified: datetime
    store_id: str | None
    business_date: date | None
    status: str | None = None  # processed | rejected, for uploads
    reason: str | None = None


class FilePage(BaseModel):
    """One page of files, newest first."""

    items: list[FileItem]
    page: int
    page_size: int
    total: int


class DownloadTicket(BaseModel):
    """A signed, expiring URL for one file."""

    key: str
    url: str
    expires_at: datetime


class MetricsRow(BaseModel):
    """A store's (or the company's) figures for one day, in reporting currency."""

    business_date: date
    store_id: str  # "company" for the sum of stores
    revenue: float
    transactions: int
    units: int
    average_basket: float


class AnalyticsResponse(BaseModel):
    """Daily figures for a date range, per store and for the company."""

    start: date
    end: date
    level: Literal["store", "company"]
    rows: list[MetricsRow]
    days_without_uploads: list[date] = Field(
        default_factory=list, description="Days of the range with no processed upload.")
    note: str = Field("", description="What the rows are, and what is not in them.")


def download_signature(key: str, secret: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"GET\n{key}\n{expires}".encode(),
                    hashlib.sha256).hexdigest()


class SalesData:
    """Files and metrics of the sales platform."""

    def __init__(self, lake: Lake, state: State, *, signing_key: str, base_url: str,
                 ttl_seconds: int) -> None:
        self.lake, self.state = lake, state
        self.signing_key, self.base_url, self.ttl = signing_key, base_url.rstrip("/"), ttl_seconds

    def list_files(self, prefix: str = "", date_from: date | None = None,
                   date_to: date | None = None, page: int = 1, page_size: int = 50,
                   store_ids: list[str] | None = None) -> FilePage:
        """Files under the platform's prefixes, filtered and paged (newest first)."""
        if page < 1:
            raise InvalidParameter("page", page, "1 or more")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidParameter("page_size", page_size, f"1 to {MAX_PAGE_SIZE}")
        if prefix and not prefix.startswith(FILE_PREFIXES):
            raise InvalidParameter("prefix", prefix, "a path under " + ", ".join(FILE_PREFIXES))
        roots = [prefix] if prefix else list(FILE_PREFIXES)
        statuses = self._upload_statuses()
        items: list[FileItem] = []
        for root in roots:
            for f in self.lake.list_files(safe_key(root.rstrip("/"))):
                store = _STORE_IN_KEY.search(f.key)
                day = _DATE_IN_KEY.search(f.key)
                item = FileItem(key=f.key, size=f.size, modified=f.modified,
                                store_id=store.group(1) if store else None,
                                business_date=date.fromisoformat(day.group(1)) if day else None,
                                **statuses.get(f.key, {}))
                if store_ids is not None and item.store_id not in store_ids:
                    continue
                if date_from and (item.business_date is None or item.business_date < date_from):
                    continue
                if date_to and (item.business_date is None or item.business_date > date_to):
                    continue
                items.append(item)
        items.sort(key=lambda i: (i.modified, i.key), reverse=True)
        start = (page - 1) * page_size
        return FilePage(items=items[start:start + page_size], page=page, page_size=page_size,
                        total=len(items))

    def _upload_statuses(self) -> dict[str, dict[str, str | None]]:
        with self.state.engine.connect() as conn:
            rows = conn.execute(sa.select(uploads.c.original_key, uploads.c.status,
                                          uploads.c.message)).all()
        return {key: {"status": status, "reason": message or None}
                for key, status, message in rows}

    def generate_download_url(self, key: str, store_ids: list[str] | None = None,
                              now: datetime | None = None) -> DownloadTicket:
        """A signed URL for one file (store keys: their own stores' files only)."""
        key = safe_key(key)
        if not key.startswith(FILE_PREFIXES):
            raise InvalidParameter("key", key, "a file under " + ", ".join(FILE_PREFIXES))
        if store_ids is not None:
            store = _STORE_IN_KEY.search(key)
            if store is None or store.group(1) not in store_ids:
                raise AccessDenied("store", f"download {key}")
        if not self.lake.exists(key):
            raise NotFound("file", key)
        expires_at = (now or utc_now()) + timedelta(seconds=self.ttl)
        expires = int(expires_at.timestamp())
        query = urlencode({"key": key, "expires": expires,
                           "signature": download_signature(key, self.signing_key, expires)})
        return DownloadTicket(key=key, url=f"{self.base_url}/sales/download?{query}",
                              expires_at=expires_at)

    def read_signed(self, key: str, expires: int, signature: str,
                    now: datetime | None = None) -> bytes:
        """The bytes of a file, if the signature is ours and not expired."""
        expected = download_signature(key, self.signing_key, expires)
        if not hmac.compare_digest(expected, signature):
            raise InvalidParameter("signature", "…", "the signature from generate-download-url")
        if (now or utc_now()).timestamp() > expires:
            raise InvalidParameter("expires", expires, "a time in the future; ask for a new "
                                   "download URL")
        return self.lake.read_bytes(safe_key(key))

    def analytics(self, start: date, end: date, store_id: str | None = None,
                  level: Literal["store", "company"] = "store") -> AnalyticsResponse:
        """Daily metrics from the stores' uploads, per store or summed for the company."""
        if end < start:
            raise InvalidParameter("end", end, f"a date on or after start ({start})")
        if (end - start).days > 366:
            raise InvalidParameter("end", end, "at most 366 days after start")
        query = sa.select(store_metrics.c.metrics).where(
            store_metrics.c.business_date.between(start, end))
        if store_id:
            query = query.where(store_metrics.c.store_id == store_id)
        with self.state.engine.connect() as conn:
            metrics = [StoreDayMetrics.model_validate(m) for m in conn.execute(query).scalars()]
            if store_id and not metrics:  # an unknown store is not a store without sales
                known = sorted(conn.execute(sa.select(store_metrics.c.store_id).distinct())
                               .scalars())
                if store_id not in known:
                    raise NotFound("store", store_id, "no upload from it was ever processed; "
                                   f"stores with uploads: {', '.join(known) or 'none yet'}")
        rows = [MetricsRow(business_date=m.business_date, store_id=m.store_id,
                           revenue=m.revenue_reporting, transactions=m.transactions,
                           units=m.units,
                           average_basket=round(m.revenue_reporting / m.transactions, 2)
                           if m.transactions else 0.0) for m in metrics]
        if level == "company":
            by_day: dict[date, list[MetricsRow]] = {}
            for r in rows:
                by_day.setdefault(r.business_date, []).append(r)
            rows = []
            for day, parts in by_day.items():
                revenue = round(sum(p.revenue for p in parts), 2)
                transactions = sum(p.transactions for p in parts)
                rows.append(MetricsRow(
                    business_date=day, store_id="company", revenue=revenue,
                    transactions=transactions, units=sum(p.units for p in parts),
                    average_basket=round(revenue / transactions, 2) if transactions else 0.0))
        rows.sort(key=lambda r: (r.business_date, r.store_id))
        uploaded = {r.business_date for r in rows}
        missing = [start + timedelta(days=i) for i in range((end - start).days + 1)
                   if start + timedelta(days=i) not in uploaded]
        note = ("Store sales from the stores' processed POS uploads, in the reporting "
                "currency." + (f" {len(missing)} of the {(end - start).days + 1} days have no "
                               "processed upload: no figure is not zero sales (the daily "
                               "report's revenue history comes from the curated orders)."
                               if missing else ""))
        return AnalyticsResponse(start=start, end=end, level=level, rows=rows,
                                 days_without_uploads=missing, note=note)
