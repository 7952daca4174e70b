"""raw → curated: validate, reject, deduplicate, mask and merge raw files.

For every file in ``raw/`` (files given elsewhere are first copied there, unchanged):

1. read it once (``raw_files``), the retailer's mapping applied if any, typed and checked
   against the contract as it is read, with row numbers (``quality``);
2. check it against the curated tables it references;
3. write rejected rows, masked, with their reasons to ``rejected/<table>/`` (the
   original stays in raw/);
4. keep the latest version of each primary key, mask PCI/PII, and merge into
   ``curated/<table>`` (a Delta table) so that only strictly newer versions win;
5. record the attempt in the state store.

Every step is idempotent: a file already ingested is skipped by content hash, re-merging
rows changes nothing, and a crash leaves curated at its last committed version. Files of
different tables run side by side (``schedule``); a table's files run in order, and a
file's references are checked once the tables it references are complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, computed_field

from shopsight.errors import InputRejected, LakeError, MappingError, ShopsightError
from shopsight.lake.delta import (
    Columns,
    MergeResult,
    Replacing,
    arrow_schema,
    create_table_from_query,
    is_commit_conflict,
    merge_query_into_table,
    merge_rows,
    register_table,
    table_exists,
)
from shopsight.lake.store import CURATED, RAW, REJECTED, Lake
from shopsight.logs import fields, get_logger
from shopsight.pipeline.connections import FileConnections
from shopsight.pipeline.raw_files import (
    RAW_RECORDS,
    RAW_RETRY,
    READ_CHUNK_BYTES,
    RawScan,
    RawText,
    line_count,
    line_feeds,
    load_raw_file,
)
from shopsight.pipeline.schedule import run_table_chains
from shopsight.quality.masking import masked_rows_sql
from shopsight.quality.pci import gist, redact, redact_text_columns
from shopsight.quality.validation import (
    FK_PROBLEMS,
    REJECTED_ROWS,
    ROW,
    TYPED,
    VALIDATED,
    add_reference_check,
    collect_rejections,
    keep_typed_rows,
    list_problems,
    optimizers_disabled,
    reader_type,
    rename_typed,
    typed_rows_sql,
)
from shopsight.schema import TABLES, get_table, table_for_name
from shopsight.schema.mapping import Mapping, header_description, mapped_columns
from shopsight.schema.model import ColumnType, Masking, Table
from shopsight.schema.sql_text import quote_ident, sql_literal
from shopsight.state.store import IngestRecord, State, utc_now

log = get_logger("ingest")

RAW_SUFFIXES = (".csv", ".parquet", ".txt", ".tsv")
HEAD_BYTES = 1 << 20  # read to sniff the format and the header
COMMIT_ATTEMPTS = 6  # a merge whose commit another writer beat is tried again
LINEAGE_COLUMNS = ("_source_file", "_source_row", "_ingested_at")


class IngestOutcome(BaseModel):
    """What happened to one raw file."""

    file_key: str
    table: str
    status: str  # succeeded | rejected | skipped | failed
    rows_read: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_removed: int = 0  # lines a corrected file no longer has (tables it replaces)
    table_version: int | None = None
    message: str = ""
    problems: list[str] = []
    rejected_key: str | None = None
    ignored_columns: list[str] = []

    @property
    def every_row_rejected(self) -> bool:
        """Nothing of the file got in: as good as a rejected file for whoever runs it."""
        return self.status == "succeeded" and self.rows_read > 0 and (
            self.rows_rejected == self.rows_read)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rows_unchanged(self) -> int:
        """Good rows that changed nothing: the table already had them as they are, or in
        a newer version. With the others, every row read is accounted for."""
        if self.status != "succeeded":
            return 0
        return max(0, self.rows_read - self.rows_rejected - self.rows_duplicate
                   - self.rows_inserted - self.rows_updated)


@dataclass
class IngestSummary:
    """Outcomes of one ingest run, in processing order."""

    outcomes: list[IngestOutcome] = field(default_factory=list)

    def by_table(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            t = out.setdefault(o.table, {"files": 0, "rows_read": 0, "rows_inserted": 0,
                                         "rows_updated": 0, "rows_unchanged": 0,
                                         "rows_removed": 0, "rows_rejected": 0,
                                         "rows_duplicate": 0, "files_rejected": 0,
                                         "files_skipped": 0})
            t["files"] += 1
            t["rows_read"] += o.rows_read
            t["rows_inserted"] += o.rows_inserted
            t["rows_updated"] += o.rows_updated
            t["rows_unchanged"] += o.rows_unchanged
            t["rows_removed"] += o.rows_removed
            t["rows_rejected"] += o.rows_rejected
            t["rows_duplicate"] += o.rows_duplicate
            t["files_rejected"] += o.status in ("rejected", "failed")
            t["files_skipped"] += o.status == "skipped"
        return out


_CURATED_TYPES = {
    ColumnType.STRING: "VARCHAR", ColumnType.INTEGER: "BIGINT", ColumnType.FLOAT: "DOUBLE",
    ColumnType.MONEY: "DOUBLE", ColumnType.BOOLEAN: "BOOLEAN", ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMP WITH TIME ZONE",  # Delta's timestamp: UTC
}


def curated_columns(table: Table) -> Columns:
    """Columns of ``curated/<table>`` with their DuckDB types: the masked contract
    columns plus lineage."""
    return [*((name, _CURATED_TYPES[kind]) for name, kind, _ in table.curated_columns),
            ("_source_file", "VARCHAR"), ("_source_row", "BIGINT"),
            ("_ingested_at", "TIMESTAMP WITH TIME ZONE")]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class _PendingFile:
    """A raw file about to be ingested."""

    key: str
    digest: str
    head: bytes
    table: Table
    lines: int  # line feeds, and a last line without one (see raw_files.line_count)
    started_at: Any
    started: float
    reread: bool = False  # its content was ingested before (see Ingestor._against_table)


@dataclass
class _CheckedFile:
    """A file checked and its rejected rows written; its kept rows wait in DuckDB."""

    key: str
    digest: str
    ordinal: int  # its rows are _latest_<ordinal>
    rows_read: int
    rows_rejected: int
    rows_good: int
    rows_unique: int
    rejected_key: str | None
    problems: list[tuple[int, str, str]]
    ignored: list[str]
    present: frozenset[str]  # contract columns the file has (or its mapping gives)
    check_ms: int
    conflicts: tuple[int, str] = (0, "")  # keys repeated with the same version but other
    # values (the last row kept), and one of them
    reread: bool = False  # its content was ingested before


MAX_GROUP_FILES = 16
MAX_GROUP_BYTES = 1 << 30  # raw bytes checked before one write: bounds what waits in memory


def _same_table_runs(files: list[_PendingFile],
                     sizes: dict[str, int] | None = None) -> list[list[_PendingFile]]:
    """Files to write together: consecutive files of one table with a version column
    (without one, a later file's row replaces an earlier one whenever it differs, which
    only merging one file at a time says) and whose files do not replace groups of rows,
    at most ``MAX_GROUP_FILES`` files and ``MAX_GROUP_BYTES`` of raw data (``sizes``, when
    known) per group."""
    groups: list[list[_PendingFile]] = []
    total = 0
    for file in files:
        size = (sizes or {}).get(file.key, 0)
        last = groups[-1] if groups else None
        if (last and last[0].table.name == file.table.name and file.table.version_column
                and not file.table.file_replaces and len(last) < MAX_GROUP_FILES
                and total + size <= MAX_GROUP_BYTES):
            last.append(file)
            total += size
        else:
            groups.append([file])
            total = size
    return groups


def _same_columns_runs(
        checked: list[tuple[int, _CheckedFile]]) -> list[list[tuple[int, _CheckedFile]]]:
    """``checked`` cut into runs of consecutive files with the same contract columns: each
    run is merged with one write, one run after the other, since a file changes only the
    columns it has."""
    runs: list[list[tuple[int, _CheckedFile]]] = []
    for item in checked:  # (a file read again goes alone: see Ingestor._against_table)
        last = runs[-1][-1][1] if runs else None
        if last and last.present == item[1].present and not (last.reread or item[1].reread):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _chosen_table(table: str | None, mapping: Mapping | None) -> Table | None:
    """The table files are given as (``table``, else the mapping's); a mapping for
    another table is refused before any file is landed."""
    chosen = get_table(table) if table else (mapping.table if mapping else None)
    if mapping is not None and chosen is not None and chosen.name != mapping.table.name:
        raise MappingError(mapping.name, f"maps onto table {mapping.table.name}, but the "
                           f"files were given as {chosen.name}; drop the table option, or "
                           f"use a mapping for {chosen.name}")
    return chosen


def safe_file_name(name: str) -> str:
    """A file name safe in any object store: no path parts, no odd characters."""
    base = name.replace("\\", "/").split("/")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    return cleaned[:200] or "unnamed"


def table_of_key(key: str) -> Table | None:
    """Table from ``raw/<table>/...`` or from the file name."""
    parts = key.split("/")
    if len(parts) >= 3 and parts[0] == RAW:
        found = table_for_name(parts[1])
        if found:
            return found
    stem = parts[-1].split(".")[0]
    return table_for_name(stem)


class Ingestor:
    """Runs raw → curated for files, folders and raw keys (see ``ingest_keys`` for order)."""

    def __init__(self, lake: Lake, state: State, masking_key: str) -> None:
        self.lake = lake
        self.state = state
        self.masking_key = masking_key
        self._cores = CoreShare(os.cpu_count() or 1)

    # -- entry points -----------------------------------------------------------------

    def ingest_paths(
        self,
        paths: Iterable[Path],
        *,
        table: str | None = None,
        mapping: Mapping | None = None,
        on_file: Callable[[IngestOutcome], None] | None = None,
        reread: bool = False,
    ) -> IngestSummary:
        """Land local files/folders in raw/ (unchanged) and ingest them in contract order
        (``reread``: see ``ingest_files``)."""
        chosen = _chosen_table(table, mapping)
        keys: list[str] = []
        for path in paths:
            keys.extend(self.land(path, table=chosen.name if chosen else None))
        return self.ingest_keys(keys, table=table, mapping=mapping, on_file=on_file,
                                reread=reread)

    def ingest_raw_zone(
        self, on_file: Callable[[IngestOutcome], None] | None = None
    ) -> IngestSummary:
        """Ingest every file in raw/ that has not been ingested yet."""
        keys = [f.key for f in self.lake.list_files(RAW) if f.key.lower().endswith(RAW_SUFFIXES)]
        return self.ingest_keys(keys, on_file=on_file)

    def ingest_keys(
        self,
        keys: Iterable[str],
        *,
        table: str | None = None,
        mapping: Mapping | None = None,
        on_file: Callable[[IngestOutcome], None] | None = None,
        workers: int | None = None,
        reread: bool = False,
    ) -> IngestSummary:
        """Ingest raw keys: a table's files in key order (full before incremental), files
        of different tables side by side on ``workers`` threads (default: one per core, at
        most 2), and a file's foreign keys checked once the tables they reference are in
        (see ``schedule``)."""
        chosen = _chosen_table(table, mapping)

        def table_of(key: str) -> Table | None:
            return chosen or table_of_key(key)

        def order(key: str) -> tuple[int, str]:
            t = table_of(key)
            return (t.order if t else 999, key)

        ordered = sorted(set(keys), key=order)
        by_table: dict[str, list[str]] = {}  # table -> its files, in order
        for key in ordered:
            t = table_of(key)
            by_table.setdefault(t.name if t else "", []).append(key)
        # a table's files go together; files of no known table are rejected one by one
        chains: dict[str, list[tuple[str, ...]]] = {
            name: [tuple(files)] if name else [(k,) for k in files]
            for name, files in by_table.items()}
        workers = workers or min(2, os.cpu_count() or 1)
        side_by_side = workers > 1 and len(chains) > 1
        outcomes: dict[str, IngestOutcome] = {}
        lock = threading.Lock()

        connections = FileConnections(workers if side_by_side else 1)

        def run(batch: tuple[str, ...],
                references_ready: Callable[[], None] | None = None) -> None:
            done = self.ingest_files(list(batch), table=chosen, mapping=mapping,
                                     references_ready=references_ready,
                                     connections=connections, reread=reread)
            with lock:
                for outcome in done:
                    outcomes[outcome.file_key] = outcome
                    if on_file:
                        on_file(outcome)

        with connections:
            if side_by_side:
                references = {name: {ref for _, ref, _ in get_table(name).foreign_keys}
                              for name in chains if name}
                run_table_chains(self._in_slot_order(chains, references, by_table),
                                 references, run, workers)
            else:
                for batches in chains.values():
                    for batch in batches:
                        run(batch)
        return IngestSummary(outcomes=[outcomes[k] for k in ordered])

    def _in_slot_order(self, chains: dict[str, list[tuple[str, ...]]],
                       references: dict[str, set[str]], by_table: dict[str, list[str]],
                       ) -> dict[str, list[tuple[str, ...]]]:
        """``chains`` in the order slots go to them: tables that others reference first,
        in contract order (the others wait for them), then the rest largest first, so the
        longest file does not start last and run alone at the end."""
        waited_on = {ref for refs in references.values() for ref in refs}
        leaves = sorted((name for name in chains if name and name not in waited_on),
                        key=lambda name: -sum(self._raw_size(k) for k in by_table[name]))
        order = [name for name in chains if name in waited_on] + leaves
        return {name: chains[name] for name in order + [n for n in chains if n not in order]}

    def land(self, path: Path, table: str | None = None) -> list[str]:
        """Copy a local file (or a folder's files) into raw/ unchanged; returns raw keys.

        Files already under the lake's raw/ are used where they are.
        """
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file()
                           and not p.name.startswith("."))
            return [k for f in files for k in self.land(f, table)]
        if not path.exists():
            raise InputRejected(str(path), "does not exist")
        if self.lake.is_local:
            raw_root = Path(self.lake.local_path(RAW)).resolve()
            resolved = path.resolve()
            if resolved.is_relative_to(raw_root):
                return [f"{RAW}/{resolved.relative_to(raw_root).as_posix()}"]
        data = path.read_bytes()
        name = safe_file_name(path.name)
        guessed = get_table(table) if table else (
            table_for_name(path.parent.name) or table_for_name(name.split(".")[0]))
        folder = guessed.name if guessed else "unsorted"
        key = f"{RAW}/{folder}/{name}"
        if self.lake.exists(key):
            if sha256_hex(self.lake.read_bytes(key)) == sha256_hex(data):
                return [key]
            stem, dot, suffix = name.partition(".")
            key = f"{RAW}/{folder}/{stem}.{sha256_hex(data)[:8]}{dot}{suffix}"
        if not self.lake.exists(key):
            self.lake.write_bytes(key, data)
        return [key]

    # -- files of one table -----------------------------------------------------------

    def ingest_files(
        self, keys: list[str], *, table: Table | None = None, mapping: Mapping | None = None,
        references_ready: Callable[[], None] | None = None,
        connections: FileConnections | None = None,
        reread: bool = False,
    ) -> list[IngestOutcome]:
        """Ingest raw files of one table, in order, with one write to the curated table;
        never raises for bad input, only records and reports.

        Each file is read, checked and has its rejected rows written on its own; their
        good rows are then merged as if the files had been merged one after the other
        (the same winners and per-file counts), but the curated table is written once:
        an incremental file ingested with the full export it updates no longer rewrites
        every row the full export just wrote. ``references_ready`` is called before
        foreign keys are checked (it returns once the referenced tables are complete when
        tables are ingested side by side); ``connections`` are the run's DuckDB
        connections (default: one of its own).

        Content already ingested is skipped, unless ``reread`` (after fixing what its
        rejected rows needed: the rows they reference, say) or a mapping is given for a
        file that was rejected whole or had rows rejected (the fix their reasons
        suggest). Reading a file again changes only what it now brings."""
        outcomes: dict[str, IngestOutcome] = {}
        pending: list[_PendingFile] = []
        copies: list[tuple[_PendingFile, _PendingFile]] = []  # (copy, the file it repeats)
        for key in keys:
            started_at, started = utc_now(), time.perf_counter()
            digest, head, lines = self._fingerprint(key)
            target = table or (mapping.table if mapping else None) or table_of_key(key)
            if target is None:
                outcomes[key] = self._file_rejected(key, digest, "unknown", InputRejected(
                    key, "cannot tell which table this file holds; put it under "
                    "raw/<table>/, name it <table>_....csv, or pass --table/--mapping"))
                self._record(outcomes[key], digest, started_at, started)
                continue
            file = _PendingFile(key, digest, head, target, lines, started_at, started)
            done = self.state.successful_ingest(digest, target.name)
            # a file rejected whole, or with rejected rows, is read again with a mapping
            # (the fix its reasons suggest, or a corrected one)
            if done and not reread and not (mapping is not None and (
                    done.status == "rejected" or done.rows_rejected)):
                when = f"{done.file_key} at {done.finished_at:%Y-%m-%d %H:%M:%S} UTC"
                outcomes[key] = self._skipped(file, when, done)
                continue
            file.reread = done is not None and done.status != "rejected"  # (read first now)
            earlier = next((f for f in pending if f.digest == digest
                            and f.table.name == target.name), None)
            if earlier:  # skipped if the earlier file succeeds, ingested if it does not
                copies.append((file, earlier))
                continue
            pending.append(file)
        sizes = {f.key: self._raw_size(f.key) for f in pending}
        with ExitStack() as stack:
            if connections is None:
                connections = stack.enter_context(FileConnections())
            for group in _same_table_runs(pending, sizes):
                self._run_group(group, mapping, references_ready, connections, outcomes)
            for copy, earlier in copies:
                if outcomes[earlier.key].status == "succeeded":
                    outcomes[copy.key] = self._skipped(copy, earlier.key)
                else:
                    self._run_group([copy], mapping, references_ready, connections,
                                    outcomes)
        return [outcomes[k] for k in keys]

    def _skipped(self, file: _PendingFile, source: str,
                 done: IngestRecord | None = None) -> IngestOutcome:
        """A file whose content was already ingested (``done``, when it was recorded)
        is not read again."""
        message = f"same content already ingested from {source}"
        if done is not None and done.status == "rejected":
            message = (f"same content was rejected from {source} ({done.message}); fix the "
                       "file, or ingest it again with --mapping")
        elif done is not None and done.rows_rejected:
            message += (f", with {done.rows_rejected} row(s) rejected; once what they need "
                        "is fixed (the rows they reference, a --mapping), read it again "
                        "with --reread")
        outcome = IngestOutcome(file_key=file.key, table=file.table.name, status="skipped",
                                message=message)
        log.info(outcome.message, extra=fields(file=file.key, table=file.table.name))
        return outcome

    def _run_group(self, group: list[_PendingFile], mapping: Mapping | None,
                   references_ready: Callable[[], None] | None,
                   connections: FileConnections, outcomes: dict[str, IngestOutcome]) -> None:
        for outcome, file in zip(self._ingest_group(group, mapping, references_ready,
                                                    connections), group, strict=True):
            outcomes[file.key] = outcome
            self._record(outcome, file.digest, file.started_at, file.started)

    def _record(self, outcome: IngestOutcome, digest: str, started_at: Any,
                started: float) -> None:
        self.state.record_ingest(IngestRecord(
            file_key=outcome.file_key, sha256=digest, table_name=outcome.table,
            status=outcome.status, rows_read=outcome.rows_read,
            rows_rejected=outcome.rows_rejected, rows_duplicate=outcome.rows_duplicate,
            rows_inserted=outcome.rows_inserted, rows_updated=outcome.rows_updated,
            table_version=outcome.table_version, message=outcome.message,
            started_at=started_at, finished_at=utc_now(),
            duration_ms=round((time.perf_counter() - started) * 1000),
        ))

    def _file_rejected(self, key: str, digest: str, table: str,
                       exc: InputRejected | MappingError) -> IngestOutcome:
        message = redact(str(exc))
        outcome = IngestOutcome(file_key=key, table=table, status="rejected", message=message)
        outcome.rejected_key = self._write_file_rejection(key, digest, table, message)
        log.warning(message, extra=fields(file=key, table=table))
        return outcome

    def _ingest_group(
        self, files: list[_PendingFile], mapping: Mapping | None,
        references_ready: Callable[[], None] | None, connections: FileConnections,
    ) -> list[IngestOutcome]:
        """Check each file, then write the good rows of all of them at once."""
        table = files[0].table
        outcomes: list[IngestOutcome | None] = [None] * len(files)
        checked: list[tuple[int, _CheckedFile]] = []
        try:
            with self._cores.working(), connections.connection() as con:
                for i, file in enumerate(files):
                    try:
                        checked.append((i, self._check_file(con, file, len(checked), mapping,
                                                            references_ready)))
                    except (InputRejected, MappingError) as exc:
                        outcomes[i] = self._file_rejected(file.key, file.digest, table.name,
                                                          exc)
                    except ShopsightError as exc:  # this file only: the others go on
                        outcomes[i] = self._file_failed(file.key, table.name, exc)
                if checked:
                    with self._cores.writing(), self.lake.table_lock(CURATED, table.name):
                        self._cores.share(con, writing=True)  # (another run may merge)
                        for run in _same_columns_runs(checked):
                            t1 = time.perf_counter()
                            result, counts = self._merge_retrying(con, table,
                                                                  [c for _, c in run])
                            merge_ms = round((time.perf_counter() - t1) * 1000)
                            # (only groups of one file remove rows: see _same_table_runs)
                            for (i, c), (inserted, updated) in zip(run, counts, strict=True):
                                outcomes[i] = self._succeeded(table, c, inserted, updated,
                                                              result.removed, result.version,
                                                              merge_ms)
        except ShopsightError as exc:  # the write failed: nothing of the group committed
            for i, file in enumerate(files):
                if outcomes[i] is None:
                    outcomes[i] = self._file_failed(file.key, table.name, exc)
        except Exception as exc:  # noqa: BLE001 - a bug: this group fails, the others go on
            log.exception("unexpected error while ingesting",
                          extra=fields(table=table.name, files=[f.key for f in files]))
            failure = ShopsightError(
                f"unexpected error ({type(exc).__name__}: {gist(str(exc), 200)}); nothing of "
                "this file was committed. This is a bug in shopsight: please report it with "
                "the log")
            for i, file in enumerate(files):
                if outcomes[i] is None:
                    outcomes[i] = self._file_failed(file.key, table.name, failure)
        return [o for o in outcomes if o is not None]

    @staticmethod
    def _file_failed(key: str, table: str, exc: ShopsightError) -> IngestOutcome:
        message = redact(str(exc))
        log.error(message, extra=fields(file=key, table=table))
        return IngestOutcome(file_key=key, table=table, status="failed", message=message)

    def _check_file(self, con: Any, file: _PendingFile, ordinal: int,
                    mapping: Mapping | None,
                    references_ready: Callable[[], None] | None) -> _CheckedFile:
        """Load, type and check one file and write its rejected rows; its good rows, latest
        version per key, stay in ``con`` as ``_latest_<ordinal>``."""
        t0 = time.perf_counter()
        table = file.table

        def wait_for_references() -> None:
            if references_ready is not None:
                with self._cores.waiting():
                    references_ready()
                self._cores.share(con)

        self._cores.share(con)
        with local_copy(self.lake, file.key) as path:
            raw, ignored, present = check_rows(con, file.key, path, file.head, table,
                                               mapping, self.lake, wait_for_references,
                                               records=f"{RAW_RECORDS}_{ordinal}",
                                               lines=file.lines)
        problems = sorted(raw.bad_rows + [(p.row, p.column, redact(p.reason))
                                          for p in list_problems(con)])
        rejected = self._rejected_rows(con, table, raw.bad_rows)
        rejected_key = None
        if rejected:
            rejected_key = self._write_row_rejections(con, file.key, file.digest, table,
                                                      rejected, problems)
        self._cores.share(con)
        good, unique, conflicts = self._keep_latest_rows(con, table, ordinal)
        return _CheckedFile(key=file.key, digest=file.digest, ordinal=ordinal,
                            rows_read=raw.rows,
                            rows_rejected=rejected, rows_good=good, rows_unique=unique,
                            rejected_key=rejected_key, problems=problems, ignored=ignored,
                            present=present, check_ms=round((time.perf_counter() - t0) * 1000),
                            conflicts=conflicts, reread=file.reread)

    def _succeeded(self, table: Table, c: _CheckedFile, inserted: int, updated: int,
                   removed: int, version: int | None, merge_ms: int) -> IngestOutcome:
        if not c.rows_rejected:  # an earlier reading's rejections of this content are
            # answered now (a mapping, the rows they referenced): their reports would mislead
            base = self._rejected_base(c.key, c.digest, table.name)
            for stale in (f"{base}.rows.csv", f"{base}.reason.json"):
                self.lake.delete(stale)
        outcome = IngestOutcome(
            file_key=c.key, table=table.name, status="succeeded",
            rows_read=c.rows_read, rows_rejected=c.rows_rejected,
            rows_duplicate=c.rows_good - c.rows_unique,
            rows_inserted=inserted, rows_updated=updated, rows_removed=removed,
            table_version=version,
            problems=[f"row {r} column {col or '-'}: {m}" for r, col, m in c.problems[:20]],
            rejected_key=c.rejected_key, ignored_columns=c.ignored,
        )
        outcome.message = _outcome_message(table, c.rows_rejected, c.ignored, removed,
                                           empty=c.rows_read == 0, conflicts=c.conflicts,
                                           every=outcome.every_row_rejected)
        log.info(
            f"{c.key}: {outcome.rows_inserted} inserted, {outcome.rows_updated} updated, "
            f"{outcome.rows_rejected} rejected, {outcome.rows_duplicate} duplicates",
            extra=fields(step="ingest", file=c.key, table=table.name,
                         validate_ms=c.check_ms, merge_ms=merge_ms,
                         **outcome.model_dump(include={"rows_read", "rows_rejected",
                                                       "rows_inserted", "rows_updated",
                                                       "rows_duplicate", "table_version"})),
        )
        return outcome

    def _raw_size(self, key: str) -> int:
        """Bytes of a local raw file (0 on an object store, or if it is gone)."""
        if not self.lake.is_local:
            return 0
        try:
            return os.path.getsize(self.lake.local_path(key))
        except OSError:
            return 0

    def _fingerprint(self, key: str) -> tuple[str, bytes, int]:
        """SHA-256, first MiB and lines (as text) of a raw file read as a stream (never
        held whole: a run may fingerprint every file of a table before checking the
        first)."""
        digest = hashlib.sha256()
        with self.lake.open_input(key) as handle:
            head = handle.read(HEAD_BYTES)
            digest.update(head)
            newlines, last = line_feeds(head), head[-1:]
            while chunk := handle.read(READ_CHUNK_BYTES):
                digest.update(chunk)
                newlines += line_feeds(chunk)
                last = chunk[-1:]
        return digest.hexdigest(), head, line_count(newlines, last)

    def _write_curated(self, con: Any, table: Table, sql: str,
                       replacing: Replacing | None = None) -> MergeResult:
        """Merge the curated rows into ``curated/<table>``. DuckDB writes a local table's
        files itself; tables in an object store are merged by delta-rs from Arrow rows."""
        uri = self.lake.table_uri(CURATED, table.name)
        columns = curated_columns(table)
        if self.lake.is_local:
            directory = self.lake.local_path(f"{CURATED}/{table.name}")
            if table_exists(uri):
                return merge_query_into_table(con, directory, sql, table.primary_key,
                                              table.version_column, columns, replacing)
            with _lookups_built_first(con):
                rows = create_table_from_query(con, directory, sql, columns)
            return MergeResult(version=0, inserted=rows, updated=0)
        curated = con.sql(sql).to_arrow_table().cast(arrow_schema(columns))
        return merge_rows(con, uri, curated, table.primary_key, table.version_column,
                          self.lake.storage_options, replacing)

    def _keep_latest_rows(self, con: Any, table: Table,
                          ordinal: int) -> tuple[int, int, tuple[int, str]]:
        """Keep the file's valid rows, latest version per key, as ``_latest_<ordinal>``
        (its typed rows and problem lists renamed out of the next file's way); returns how
        many valid rows there were, how many are kept, and the file's conflicting
        repeats (see ``_conflicting_repeats``)."""
        row = quote_ident(ROW)
        keys = ", ".join(quote_ident(k) for k in table.primary_key)
        version = quote_ident(table.version_column) if table.version_column else "NULL"
        said = ", ".join(quote_ident(c.name) for c in table.columns
                         if c.name not in table.primary_key and c.name != table.version_column)
        good = int(con.execute(
            f"SELECT count(*) FROM {VALIDATED} WHERE NOT _bad").fetchall()[0][0])
        # Most keys occur once: only rows of repeated keys (kept aside with what they say,
        # as one hash) go through the (sorting) window, which lists the rows superseded by
        # a later version; one scan then skips them. Repeated keys are found by their hash
        # (no probe of the key problems: a superset of the candidates); the window
        # partitions by the key itself, so a hash collision changes nothing.
        _find_repeated_hashes(con, keys)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _repeated_rows AS SELECT {row}, {keys}, "
                    f"{version} AS _v, hash({said or 'NULL'}) AS _said FROM {VALIDATED} "
                    f"WHERE NOT _bad AND hash({keys}) IN (SELECT h FROM _repeated)")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _superseded_{ordinal} AS SELECT {row} "
                    f"FROM _repeated_rows QUALIFY row_number() OVER (PARTITION BY {keys} "
                    f"ORDER BY _v DESC NULLS LAST, {row} DESC) > 1")
        superseded = int(con.execute(
            f"SELECT count(*) FROM _superseded_{ordinal}").fetchall()[0][0])
        conflicts = _conflicting_repeats(con, table) if superseded else (0, "")
        rename_typed(con, f"{TYPED}_{ordinal}")
        con.execute(f"ALTER TABLE {FK_PROBLEMS} RENAME TO {FK_PROBLEMS}_{ordinal}")
        columns = ", ".join(quote_ident(c.name) for c in table.columns)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _latest_{ordinal} AS SELECT {row}, {columns} FROM "
            f"{TYPED}_{ordinal} WHERE NOT _invalid AND {row} NOT IN (SELECT {row} FROM "
            f"{FK_PROBLEMS}_{ordinal}) AND {row} NOT IN (SELECT {row} FROM "
            f"_superseded_{ordinal})")
        return good, good - superseded, conflicts

    def _merge_retrying(self, con: Any, table: Table, files: list[_CheckedFile]
                        ) -> tuple[MergeResult, list[tuple[int, int]]]:
        """``_merge_checked``, worked out again when Delta refuses its commit because
        another process committed to the table first. A local lake's merges take turns
        (``Lake.table_lock``); on S3 two files landing at once (two watchers, or one
        Lambda per file) merge side by side, and Delta's commit checks make the later
        one start over against the table's new version, after a short random wait."""
        attempt = 1
        while True:
            try:
                return self._merge_checked(con, table, files)
            except Exception as exc:
                if self.lake.is_local or not is_commit_conflict(exc):
                    raise
                if attempt == COMMIT_ATTEMPTS:
                    raise LakeError(
                        f"{CURATED}/{table.name}",
                        f"other writers committed to the table {COMMIT_ATTEMPTS} times while "
                        "this merge was worked out; nothing of the file was committed: run "
                        f"the ingest again ({gist(str(exc), 200)})") from exc
                log.info("another writer committed first; merging again",
                         extra=fields(table=table.name, attempt=attempt, error=gist(str(exc)),
                                      files=[f.key for f in files]))
                time.sleep(random.uniform(0.05, 0.25) * 2 ** attempt)
                attempt += 1

    def _merge_checked(self, con: Any, table: Table,
                       files: list[_CheckedFile]) -> tuple[MergeResult, list[tuple[int, int]]]:
        """Merge the kept rows of ``files`` (in order) into ``curated/<table>`` with one
        write; returns the merge and each file's (inserted, updated) as if the files had
        been merged one after the other."""
        lineage = (f"{quote_ident(ROW)} AS _source_row", "now()::TIMESTAMPTZ AS _ingested_at")
        values = " UNION ALL BY NAME ".join(f"SELECT * FROM {TYPED}_{f.ordinal}" for f in files)
        counts = None  # one file: the merge's own counts
        rows = (f"(SELECT *, {sql_literal(files[0].key)} AS _source_file "
                f"FROM _latest_{files[0].ordinal})")
        if len(files) > 1:
            counts = self._sequential_winners(con, table, files)
            rows = "_batch_winners"
        sql = self._against_table(con, table, files[0], masked_rows_sql(
            table, self.masking_key, rows, after=("_source_file", *lineage),
            values_from=f"({values})"))
        replacing = None
        if table.file_replaces and not files[0].reread:  # every key the file holds,
            # rejected rows' too: the table's row of a line whose correction was rejected
            # is kept, not removed
            key_list = ", ".join(quote_ident(k) for k in table.primary_key)
            replacing = Replacing(table.file_replaces, (
                f"(SELECT {key_list} FROM ({values}) WHERE "
                + " AND ".join(f"{quote_ident(k)} IS NOT NULL" for k in table.primary_key)
                + ")"))
        result = self._write_curated(con, table, sql, replacing)
        return result, counts or [(result.inserted, result.updated)]

    def _against_table(self, con: Any, table: Table, file: _CheckedFile, sql: str) -> str:
        """``sql`` (the masked rows of a run of files like ``file``) joined once to the
        keys the table holds, for two rules:

        - The table keeps its own values in the columns the files do not have: an email
          update or a minimal export changes only what it says, and a contract default
          fills only new rows (not for a file replacing its groups: it says all there is
          of them).
        - A file read again (alone in its run) loses its rows that have no version and
          whose key the table holds: read first, they may since have been corrected by a
          later file, which a row without a version would undo. It is read again for the
          rows it had rejected (now let in by a mapping, or by the rows they reference),
          and does not replace its store-days again either."""
        absent = [] if table.file_replaces else [name for name, _, _ in table.curated_columns_of(
            c.name for c in table.columns
            if c.name not in file.present and c.name not in table.primary_key
            and c.name != table.version_column)]
        uri = self.lake.table_uri(CURATED, table.name)
        if not (absent or file.reread) or not table_exists(uri, self.lake.storage_options):
            return sql
        register_table(con, "_merge_table_keys", uri, self.lake.storage_options)
        keys = ", ".join(quote_ident(k) for k in table.primary_key)
        columns = [quote_ident(c) for c in absent]
        kept = ", ".join(f"CASE WHEN t._in_table THEN t.{c} ELSE s.{c} END AS {c}"
                         for c in columns)
        where = ""
        if file.reread:
            where = " WHERE t._in_table IS NULL" + (
                f" OR s.{quote_ident(table.version_column)} IS NOT NULL"
                if table.version_column else "")
        return (f"SELECT s.*{f' REPLACE ({kept})' if kept else ''} FROM ({sql}) s LEFT JOIN "
                f"(SELECT {', '.join([keys, *columns])}, true AS _in_table FROM "
                f"_merge_table_keys) t USING ({keys}){where}")

    def _sequential_winners(self, con: Any, table: Table,
                            files: list[_CheckedFile]) -> list[tuple[int, int]]:
        """``_batch_winners``: the rows of several files' ``_latest_<n>`` that merging the
        files one after the other would leave in the table, and per file (inserted,
        updated) counted the same way.

        A later file's row changes the table's when it is new, strictly newer, or (neither
        having a version) says something else, as a merge does; the winner of a key is
        the last row that changed it (the table's own row if none did). Only contested
        keys (in a later file, or already in the table) go through the window, their
        content compared masked, as the table holds it; the first file's other rows are
        simply inserted."""
        row = quote_ident(ROW)
        keys = [quote_ident(k) for k in table.primary_key]
        key_list = ", ".join(keys)
        version = quote_ident(table.version_column) if table.version_column else "NULL"
        con.execute("CREATE OR REPLACE TEMP VIEW _batch_rows AS " + " UNION ALL BY NAME ".join(
            f"SELECT *, {f.ordinal} AS _file, {sql_literal(f.key)} AS _source_file "
            f"FROM _latest_{f.ordinal}" for f in files))
        first = files[0].ordinal
        content = _content_sql(table, files[0].present)
        uri = self.lake.table_uri(CURATED, table.name)
        in_table = ""
        if table_exists(uri, self.lake.storage_options):
            # the table's rows of the batch's keys, read once for both uses below
            register_table(con, "_batch_table", uri, self.lake.storage_options)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _batch_in_table AS SELECT {key_list}, "
                        f"{version} AS _v, {content} AS _content FROM _batch_table "
                        f"SEMI JOIN _batch_rows USING ({key_list})")
            in_table = (f" UNION ALL SELECT {key_list}, _v, -1 AS _file, NULL::BIGINT AS "
                        f"{row}, _content FROM _batch_in_table")
        contested_keys = (f"SELECT DISTINCT {key_list} FROM _batch_rows WHERE _file <> {first}"
                          + (f" UNION SELECT {key_list} FROM _batch_in_table"
                             if in_table else ""))
        masked = masked_rows_sql(table, self.masking_key, f"(SELECT * FROM _batch_rows SEMI "
                                 f"JOIN ({contested_keys}) USING ({key_list}))",
                                 after=("_file", row))
        changed = ("_before = 0 OR _v > _newest_before OR (_v IS NOT NULL AND _newest_before "
                   "IS NULL) OR (_v IS NULL AND _newest_before IS NULL AND _content IS "
                   "DISTINCT FROM _previous)")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _contested AS SELECT *, row_number() OVER "
            f"(PARTITION BY {key_list} ORDER BY _changed DESC, _file DESC) AS _rank FROM ("
            f"SELECT *, {changed} AS _changed FROM (SELECT *, count(*) OVER earlier AS "
            f"_before, max(_v) OVER earlier AS _newest_before, lag(_content) OVER (PARTITION "
            f"BY {key_list} ORDER BY _file) AS _previous FROM (SELECT {key_list}, {version} "
            f"AS _v, _file, {row}, {content} AS _content FROM ({masked}){in_table}) WINDOW "
            f"earlier AS (PARTITION BY {key_list} ORDER BY _file ROWS BETWEEN UNBOUNDED "
            f"PRECEDING AND 1 PRECEDING)))")
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _batch_winners AS SELECT b.* FROM _batch_rows b "
            f"ANTI JOIN (SELECT _file, {row} FROM _contested WHERE _rank > 1 AND _file >= 0) "
            f"c USING (_file, {row})")
        tallies = {int(f): (int(i), int(u), int(n)) for f, i, u, n in con.execute(
            "SELECT _file, count(*) FILTER (WHERE _before = 0), count(*) FILTER (WHERE "
            "_before > 0 AND _changed), count(*) FROM _contested WHERE _file >= 0 "
            "GROUP BY _file").fetchall()}
        # the first file has one row per key: those not contested are simply inserted
        uncontested = files[0].rows_unique - tallies.get(first, (0, 0, 0))[2]
        counts = []
        for f in files:
            inserted, updated, _ = tallies.get(f.ordinal, (0, 0, 0))
            counts.append((inserted + (uncontested if f.ordinal == first else 0), updated))
        return counts

    def _rejected_rows(self, con: Any, table: Table, bad_rows: list[tuple[int, str, str]]) -> int:
        """``_rejected_out``: rejected rows with reasons and their raw values, masked like
        curated; returns how many."""
        raw = {c.name: quote_ident("_raw_" + c.name) for c in table.columns}
        reasons = ("array_to_string(list_transform(_reasons, lambda r: r.\"column\" || ': ' || "
                   "r.reason), '; ')")
        con.execute("CREATE OR REPLACE TEMP TABLE _rejected_out AS " + masked_rows_sql(
            table, self.masking_key, REJECTED_ROWS, column_sql=raw,
            before=(f"{quote_ident(ROW)} AS row", f"{reasons} AS reasons")))
        unread: dict[int, list[str]] = {}
        for r, c, m in bad_rows:
            unread.setdefault(r, []).append(f"{c}: {m}" if c else m)
        if unread:  # rows the reader could not split or decode: reasons only, no values
            con.execute("INSERT INTO _rejected_out (row, reasons) SELECT unnest(?::BIGINT[]), "
                        "unnest(?::VARCHAR[])",
                        [list(unread), ["; ".join(v) for v in unread.values()]])
        count = int(con.execute("SELECT count(*) FROM _rejected_out").fetchall()[0][0])
        if count:  # a card number or SSN in any other column of a bad row, or its reason
            redact_text_columns(con, "_rejected_out")
        return count

    def _write_row_rejections(self, con: Any, key: str, digest: str, table: Table, count: int,
                              problems: list[tuple[int, str, str]]) -> str:
        base = self._rejected_base(key, digest, table.name)
        with tempfile.TemporaryDirectory(prefix="shopsight-rejected-") as folder:
            path = os.path.join(folder, "rows.csv")
            con.execute(f"COPY (SELECT * FROM _rejected_out ORDER BY row) TO "
                        f"{sql_literal(path)} (FORMAT csv, HEADER true)")
            with open(path, "rb") as handle:
                self.lake.write_bytes(f"{base}.rows.csv", handle.read())
        self.lake.write_bytes(f"{base}.reason.json", json.dumps({
            "source": key, "sha256": digest, "table": table.name, "kind": "rows",
            "rows_rejected": count,
            "problems": [{"row": r, "column": c, "reason": m} for r, c, m in problems[:200]],
            "note": "The original file is kept unchanged in raw/; rows here are masked.",
        }, indent=2).encode())
        return f"{base}.rows.csv"

    def _write_file_rejection(self, key: str, digest: str, table: str, reason: str) -> str:
        base = self._rejected_base(key, digest, table)
        self.lake.delete(f"{base}.rows.csv")  # an earlier reading's rows no longer stand
        self.lake.write_bytes(f"{base}.reason.json", json.dumps({
            "source": key, "sha256": digest, "table": table, "kind": "file",
            "reason": reason,
            "note": "The whole file was rejected; the original is kept unchanged in raw/.",
        }, indent=2).encode())
        return f"{base}.reason.json"

    @staticmethod
    def _rejected_base(key: str, digest: str, table: str) -> str:
        stem = safe_file_name(key.split("/")[-1]).rsplit(".", 1)[0]
        return f"{REJECTED}/{table}/{stem}-{digest[:12]}"


class CoreShare:
    """How many files are being worked on at once, so that each file's DuckDB connection
    runs on its share of the cores: two files each running as many threads as there are
    cores cost about 10 % more CPU for the same work (measured on 2 cores), and a file
    left alone gets every core back. A file waiting for its referenced tables is not
    working.

    A statement keeps the threads it started with, so a file starting its curated write
    (one long statement) while every other file is in its own takes every core: the
    others end first, and the write would otherwise finish alone on its share."""

    def __init__(self, cores: int) -> None:
        self.cores = cores
        self._files = {"working": 0, "writing": 0}
        self._lock = threading.Lock()

    def working(self) -> AbstractContextManager[None]:
        """A file is being worked on."""
        return self._counted("working", 1)

    def waiting(self) -> AbstractContextManager[None]:
        """A working file waits for its referenced tables."""
        return self._counted("working", -1)

    def writing(self) -> AbstractContextManager[None]:
        """A working file is in its last step, the curated write."""
        return self._counted("writing", 1)

    @contextmanager
    def _counted(self, state: str, change: int) -> Iterator[None]:
        with self._lock:
            self._files[state] += change
        try:
            yield
        finally:
            with self._lock:
                self._files[state] -= change

    def threads(self, writing: bool = False) -> int:
        with self._lock:
            working = self._files["working"]
            if writing and self._files["writing"] == working:
                return self.cores
            return max(1, self.cores // max(1, working))

    def share(self, con: Any, writing: bool = False) -> None:
        """Set ``con``'s DuckDB threads to this file's share of the cores now (a file
        ``writing`` inside :meth:`writing`)."""
        con.execute(f"SET threads = {self.threads(writing)}")


@contextmanager
def _lookups_built_first(con: Any) -> Iterator[None]:
    """Joins planned as written: the curated rows probe the masking lookups (one row per
    distinct value, never more than the rows). DuckDB otherwise builds on the rows when
    it underestimates them after the rejected and superseded rows are filtered out
    (payments: 400k wide rows hashed to probe 125k cards, and the write's rows come out
    of the join on one thread)."""
    with optimizers_disabled(con, "build_side_probe_side"):
        yield


@contextmanager
def local_copy(lake: Lake, key: str, data: bytes | None = None) -> Iterator[str]:
    """A local path holding a lake file's bytes: the file itself when the lake is local,
    else a temporary copy of ``data`` (the bytes already read from the store) or, without
    it, of the object streamed from the store."""
    if lake.is_local:
        yield lake.local_path(key)
        return
    suffix = "." + key.rsplit(".", 1)[-1] if "." in key.split("/")[-1] else ""
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        if data is not None:
            handle.write(data)
        else:
            with lake.open_input(key) as src:
                while chunk := src.read(READ_CHUNK_BYTES):
                    handle.write(chunk)
        handle.flush()
        yield handle.name


class CheckedRows(NamedTuple):
    """What :func:`check_rows` loaded."""

    raw: RawText
    ignored: list[str]  # the file's columns not in the contract (or the mapping)
    present: frozenset[str]  # contract columns the file has, or its mapping gives


def check_rows(con: Any, name: str, path: str, head: bytes, table: Table,
               mapping: Mapping | None, lake: Lake,
               references_ready: Callable[[], None] | None = None, *,
               records: str = RAW_RECORDS,
               lines: int | None = None) -> CheckedRows:
    """Load the raw file at ``path`` (named ``name``) into ``records``, typed and
    checked against ``table`` as it is read, then check it against the curated tables it
    references, leaving ``_validated`` and ``_rejected`` in ``con``.

    Returns the loaded file, its columns that were ignored (not in the contract or the
    mapping) and the contract columns it has. Shared by raw → curated and by store uploads.
    """
    formats = mapping.date_formats if mapping else None
    chosen: dict[str, Any] = {}

    def typed_select(scan: RawScan) -> str:
        exprs, ignored = mapped_columns(scan.columns, table, mapping)
        missing = [c for c in table.required_columns if c not in exprs]
        if missing:
            raise InputRejected(
                name, f"required column(s) {', '.join(missing)} missing for table "
                f"{table.name}; " + header_description(
                    scan.columns, "add them, or map your names with --mapping"))
        # a column dropped on the way to curated (CVV, SSN) is not even read: it is never
        # checked, kept or shown, so it need not sit in memory either
        exprs = {c: e for c, e in exprs.items() if table.column(c).masking is not Masking.DROP}
        projection = ", ".join(f"{e} AS {quote_ident(c)}" for c, e in exprs.items())
        chosen.update(projection=projection, present=set(exprs), ignored=ignored)
        parsed = frozenset(scan.typed) if mapping is None else frozenset()
        return typed_rows_sql(table, set(exprs), f"(SELECT {projection} FROM {scan.relation})",
                              formats, parsed, with_row=False,
                              exact_tokens_read=scan.exact_tokens_read and mapping is None)

    raw = load_raw_file(con, name, path, head,
                        delimiter=mapping.delimiter if mapping else None,
                        encoding=mapping.encoding if mapping else "utf-8",
                        reader_types=reader_types(table, mapping), select=typed_select,
                        records=records, lines=lines)
    present: set[str] = chosen["present"]
    if raw.shifted:  # numbered by a join (and any retried rows): copied once, numbered
        typed = raw.rows_sql
        if raw.retried:
            typed += " UNION ALL BY NAME " + typed_rows_sql(
                table, present, f"(SELECT {chosen['projection']}, {quote_ident(ROW)} FROM "
                f"{RAW_RETRY})", formats)
        keep_typed_rows(con, typed)
        for done in (records, f"{records}_numbers"):
            con.execute(f"DROP TABLE {quote_ident(done)}")
    else:  # numbered by position: the typed rows as loaded
        keep_typed_rows(con, raw.rows_sql, copy=False)
    if references_ready is not None:
        references_ready()
    for column, ref_table, ref_column in table.foreign_keys:
        uri = lake.table_uri(CURATED, ref_table)
        if ref_table == table.name or not table_exists(uri, lake.storage_options):
            continue
        register_table(con, f"_ref_{ref_table}", uri, lake.storage_options)
        add_reference_check(con, column, f"_ref_{ref_table}", ref_column,
                            f"{ref_table}.{ref_column}")
    collect_rejections(con, table, present, formats)
    return CheckedRows(raw, list(chosen["ignored"]), frozenset(present))


def _content_sql(table: Table, present: frozenset[str]) -> str:
    """What a curated row of ``table`` says in the contract columns ``present`` (those a
    file has; the table keeps its other values), as one comparable value: the masked
    columns but the key and the version, in the curated types (a merge replaces a row
    without a version only when this differs)."""
    types = dict(curated_columns(table))
    said = [f"{quote_ident(name)} := CAST({quote_ident(name)} AS {types[name]})"
            for name, _, _ in table.curated_columns_of(
                c for c in present if c not in table.primary_key
                and c != table.version_column)]
    return f"struct_pack({', '.join(said)})" if said else "NULL::BOOLEAN"


def _find_repeated_hashes(con: Any, keys: str) -> None:
    """Create ``_repeated``: the hashes of the keys that more than one valid row of the
    file has. numpy sorts the file's key hashes (9.6M in ~0.06 s) where DuckDB's hash
    aggregate over as many distinct values took 1.4-2.5 CPU-s."""
    import numpy as np

    hashes = con.execute(
        f"SELECT hash({keys}) AS h FROM {TYPED} WHERE NOT _invalid").fetchnumpy()["h"]
    hashes.sort()
    repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    con.register("_repeated_hashes", {"h": repeated})
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _repeated AS SELECT h FROM _repeated_hashes")
    finally:
        con.unregister("_repeated_hashes")


def _conflicting_repeats(con: Any, table: Table) -> tuple[int, str]:
    """How many keys of the file just checked came more than once with the same version
    (or none) but other values, and the first of them: the file contradicts itself there,
    and which row is right is a guess (the last one is kept). Only the rows of repeated
    keys (``_repeated_rows``, kept aside by ``_keep_latest_rows``) are looked at."""
    keys = ", ".join(quote_ident(k) for k in table.primary_key)
    count, first = con.execute(  # (only the rows of the version kept: the newest, or none)
        f"SELECT count(DISTINCT ({keys})), min(concat_ws('/', {keys})) FROM (SELECT {keys} "
        f"FROM (SELECT *, max(_v) OVER (PARTITION BY {keys}) AS _kept FROM _repeated_rows) "
        f"WHERE _v IS NOT DISTINCT FROM _kept GROUP BY {keys} "
        f"HAVING count(DISTINCT _said) > 1)"
    ).fetchall()[0]
    return int(count), str(first or "")


def reader_types(table: Table, mapping: Mapping | None) -> dict[str, str] | None:
    """Types the CSV reader may parse the file's columns as (None with a mapping, whose
    renames and formats need the text)."""
    if mapping is not None:
        return None
    return {c.name: reader_type(c) for c in table.columns}


def _outcome_message(table: Table, rejected: int, ignored: list[str],
                     removed: int = 0, empty: bool = False,
                     conflicts: tuple[int, str] = (0, ""), every: bool = False) -> str:
    parts = ["no rows: the file has only its header; was the export cut short?"] if empty else []
    if conflicts[0]:
        parts.append(f"{conflicts[0]} key(s) came more than once with the same "
                     f"{table.version_column or 'version'} but other values (such as "
                     f"{conflicts[1]}); the last row of each was kept")
    if removed:
        parts.append(f"{removed} row(s) removed: the file replaces each "
                     f"({', '.join(table.file_replaces)}) it holds, and no longer has them")
    if every:
        parts.append(f"all {rejected} row(s) rejected, see rejected/{table.name}/: does the "
                     f"file hold {table.name}, and does it need a mapping (column names, a "
                     "date format, a decimal comma)?")
    elif rejected:
        parts.append(f"{rejected} row(s) rejected, see rejected/{table.name}/")
    if ignored:
        parts.append(f"ignored column(s) not in the contract: {', '.join(ignored)}")
    return "; ".join(parts)


def default_tables() -> list[str]:
    """Contract tables in ingest order."""
    return [t.name for t in sorted(TABLES, key=lambda t: t.order)]
