"""Process files as they appear in raw/: the local twin of the seed's S3 event trigger.

A scan lists raw/ and ingests every file whose size has been stable since the previous
scan and that has not been handled yet (content already ingested is skipped by hash in
the ingestor). On a local lake ``watchfiles`` wakes the loop as soon as something changes;
on S3 the loop polls. Nothing a file contains can stop the watcher: every error is
recorded and logged, and the loop goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from shopsight.lake.store import RAW
from shopsight.logs import fields, get_logger
from shopsight.pipeline.ingest import RAW_SUFFIXES, Ingestor, IngestOutcome

log = get_logger("watch")

MAX_BACKOFF_SECONDS = 300.0


class RawWatcher:
    """Ingests new raw files; ``scan_once`` is the unit of work, ``run`` the loop."""

    def __init__(self, ingestor: Ingestor,
                 on_file: Callable[[IngestOutcome], None] | None = None,
                 on_curated_change: Callable[[], object] | None = None) -> None:
        self.ingestor = ingestor
        self.on_file = on_file
        self.on_curated_change = on_curated_change
        self._handled: set[tuple[str, int, float]] = set()
        self._last_sizes: dict[str, int] = {}
        self._failures = 0  # scans failed in a row: the next waits 2^n s (at most 5 min)
        self._retry_at = 0.0

    def scan_once(self) -> list[IngestOutcome]:
        """Ingest files that are new and stable since the last scan (after a failed scan,
        not before its back-off has passed: a lake or state store that is down is not
        hammered every second)."""
        if time.monotonic() < self._retry_at:
            return []
        ready: list[str] = []
        sizes: dict[str, int] = {}
        for item in self.ingestor.lake.list_files(RAW):
            if not item.key.lower().endswith(RAW_SUFFIXES):
                continue
            ident = (item.key, item.size, item.modified.timestamp())
            if ident in self._handled:
                continue
            sizes[item.key] = item.size
            if self._last_sizes.get(item.key) == item.size:
                ready.append(item.key)
                self._handled.add(ident)
        self._last_sizes = sizes
        outcomes: list[IngestOutcome] = []
        if not ready:
            return outcomes
        try:
            summary = self.ingestor.ingest_keys(ready, on_file=self.on_file)
            outcomes = summary.outcomes
            if self.on_curated_change and any(o.rows_inserted or o.rows_updated or o.rows_removed
                                               for o in outcomes):
                self.on_curated_change()  # curated → prod, like the seed's S3 trigger
            self._failures = 0
        except Exception as exc:  # noqa: BLE001 - the watcher must survive anything
            delay = min(MAX_BACKOFF_SECONDS, 2.0 ** self._failures)
            self._failures += 1
            self._retry_at = time.monotonic() + delay
            log.exception(f"watcher scan failed; will retry these files in {delay:g} s",
                          extra=fields(error=str(exc)))
            for key in ready:
                self._handled = {h for h in self._handled if h[0] != key}
        return outcomes

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Scan until ``stop`` is set, waking on file events when the lake is local."""
        lake = self.ingestor.lake
        log.info("watching raw/ for new files", extra=fields(lake=lake.root))
        if lake.is_local:
            import os

            from watchfiles import watch

            raw_dir = lake.local_path(RAW)
            os.makedirs(raw_dir, exist_ok=True)
            self.scan_once()
            for _changes in watch(raw_dir, stop_event=stop, yield_on_timeout=True,
                                  rust_timeout=int(interval * 1000), debounce=200,
                                  raise_interrupt=False):
                self.scan_once()
                if stop.is_set():
                    break
        else:
            while not stop.is_set():
                self.scan_once()
                stop.wait(interval)


def run_watcher(ingestor: Ingestor, stop: threading.Event, interval: float = 1.0,
                on_file: Callable[[IngestOutcome], None] | None = None,
                on_curated_change: Callable[[], object] | None = None) -> Any:
    """Convenience wrapper used by the CLI."""
    RawWatcher(ingestor, on_file, on_curated_change).run(stop, interval)
