"""raw → curated: validate, reject, deduplicate, mask and merge raw files.

For every file in ``raw/`` (files given elsewhere are first copied there, unchanged):

1. read it with row numbers (``raw_files``), apply the retailer's mapping if any;
2. check it against the contract and the curated tables it references (``quality``);
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
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shopsight.errors import InputRejected, MappingError, ShopsightError
from shopsight.lake.delta import (
    Columns,
    MergeResult,
    arrow_schema,
    create_table_from_query,
    merge_query_into_table,
    merge_rows,
    register_table,
    table_exists,
)
from shopsight.lake.store import CURATED, RAW, REJECTED, Lake
from shopsight.logs import fields, get_logger
from shopsight.pipeline.raw_files import RAW_RETRY, RAW_TEXT, RawText, load_raw_file
from shopsight.pipeline.schedule import run_table_chains
from shopsight.quality.masking import masked_rows_sql
from shopsight.quality.validation import (
    REJECTED_ROWS,
    ROW,
    TYPED,
    VALIDATED,
    add_reference_check,
    collect_rejections,
    list_problems,
    reader_type,
    validate_rows,
)
from shopsight.schema import TABLES, get_table, table_for_name
from shopsight.schema.mapping import Mapping, mapped_columns
from shopsight.schema.model import ColumnType, Table
from shopsight.schema.sql_text import quote_ident, sql_literal
from shopsight.state.store import IngestRecord, State, utc_now

log = get_logger("ingest")

RAW_SUFFIXES = (".csv", ".parquet", ".txt", ".tsv")
HEAD_BYTES = 1 << 20  # read to sniff the format and the header
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
    table_version: int | None = None
    message: str = ""
    problems: list[str] = []
    rejected_key: str | None = None
    ignored_columns: list[str] = []


@dataclass
class IngestSummary:
    """Outcomes of one ingest run, in processing order."""

    outcomes: list[IngestOutcome] = field(default_factory=list)

    def by_table(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            t = out.setdefault(o.table, {"files": 0, "rows_read": 0, "rows_inserted": 0,
                                         "rows_updated": 0, "rows_rejected": 0,
                                         "rows_duplicate": 0, "files_rejected": 0,
                                         "files_skipped": 0})
            t["files"] += 1
            t["rows_read"] += o.rows_read
            t["rows_inserted"] += o.rows_inserted
            t["rows_updated"] += o.rows_updated
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

    # -- entry points -----------------------------------------------------------------

    def ingest_paths(
        self,
        paths: Iterable[Path],
        *,
        table: str | None = None,
        mapping: Mapping | None = None,
        on_file: Callable[[IngestOutcome], None] | None = None,
    ) -> IngestSummary:
        """Land local files/folders in raw/ (unchanged) and ingest them in contract order."""
        keys: list[str] = []
        for path in paths:
            keys.extend(self.land(path, table=table or (mapping.table.name if mapping else None)))
        return self.ingest_keys(keys, table=table, mapping=mapping, on_file=on_file)

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
    ) -> IngestSummary:
        """Ingest raw keys: a table's files in key order (full before incremental), files
        of different tables side by side on ``workers`` threads (default: one per core, at
        most 2), and a file's foreign keys checked once the tables they reference are in
        (see ``schedule``)."""
        chosen = get_table(table) if table else (mapping.table if mapping else None)

        def table_of(key: str) -> Table | None:
            return chosen or table_of_key(key)

        def order(key: str) -> tuple[int, str]:
            t = table_of(key)
            return (t.order if t else 999, key)

        ordered = sorted(set(keys), key=order)
        chains: dict[str, list[str]] = {}  # table -> its files, in order
        for key in ordered:
            t = table_of(key)
            chains.setdefault(t.name if t else "", []).append(key)
        workers = workers or min(2, os.cpu_count() or 1)
        side_by_side = workers > 1 and len(chains) > 1
        outcomes: dict[str, IngestOutcome] = {}
        lock = threading.Lock()

        def run(key: str, references_ready: Callable[[], None] | None = None) -> None:
            outcome = self.ingest_key(key, table=chosen, mapping=mapping,
                                      references_ready=references_ready,
                                      files_at_once=workers if side_by_side else 1)
            with lock:
                outcomes[key] = outcome
                if on_file:
                    on_file(outcome)

        if side_by_side:
            references = {name: {ref for _, ref, _ in get_table(name).foreign_keys}
                          for name in chains if name}
            run_table_chains(chains, references, run, workers)
        else:
            for key in ordered:
                run(key)
        return IngestSummary(outcomes=[outcomes[k] for k in ordered])

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

    # -- one file ---------------------------------------------------------------------

    def ingest_key(
        self, key: str, *, table: Table | None = None, mapping: Mapping | None = None,
        references_ready: Callable[[], None] | None = None, files_at_once: int = 1,
    ) -> IngestOutcome:
        """Ingest one raw file; never raises for bad input, only records and reports.

        ``references_ready`` is called before foreign keys are checked (it returns once the
        referenced tables are complete when files are ingested side by side, and
        ``files_at_once`` says how many share the machine)."""
        started_at = utc_now()
        started = time.perf_counter()
        digest, head, data = self._fingerprint(key)
        target = table or (mapping.table if mapping else None) or table_of_key(key)
        table_name = target.name if target else "unknown"
        outcome: IngestOutcome
        if target is not None and (done := self.state.successful_ingest(digest, target.name)):
            outcome = IngestOutcome(
                file_key=key, table=target.name, status="skipped",
                message=f"same content already ingested from {done.file_key} at "
                f"{done.finished_at:%Y-%m-%d %H:%M:%S} UTC",
            )
            log.info(outcome.message, extra=fields(file=key, table=target.name))
            return outcome
        try:
            if target is None:
                raise InputRejected(key, "cannot tell which table this file holds; put it "
                                    "under raw/<table>/, name it <table>_....csv, or pass "
                                    "--table/--mapping")
            outcome = self._ingest(key, head, data, digest, target, mapping,
                                   references_ready, files_at_once)
        except (InputRejected, MappingError) as exc:
            outcome = IngestOutcome(file_key=key, table=table_name, status="rejected",
                                    message=str(exc))
            outcome.rejected_key = self._write_file_rejection(key, digest, table_name, str(exc))
            log.warning(str(exc), extra=fields(file=key, table=table_name))
        except ShopsightError as exc:
            outcome = IngestOutcome(file_key=key, table=table_name, status="failed",
                                    message=str(exc))
            log.error(str(exc), extra=fields(file=key, table=table_name))
        finished_at = utc_now()
        self.state.record_ingest(IngestRecord(
            file_key=key, sha256=digest, table_name=outcome.table, status=outcome.status,
            rows_read=outcome.rows_read, rows_rejected=outcome.rows_rejected,
            rows_duplicate=outcome.rows_duplicate, rows_inserted=outcome.rows_inserted,
            rows_updated=outcome.rows_updated, table_version=outcome.table_version,
            message=outcome.message, started_at=started_at, finished_at=finished_at,
            duration_ms=round((time.perf_counter() - started) * 1000),
        ))
        return outcome

    def _fingerprint(self, key: str) -> tuple[str, bytes, bytes | None]:
        """SHA-256, first MiB and (remote lakes only) the content of a raw file. A local
        file is hashed as a stream, never held in memory whole."""
        if self.lake.is_local:
            with open(self.lake.local_path(key), "rb") as handle:
                head = handle.read(HEAD_BYTES)
                handle.seek(0)
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            return digest, head, None
        data = self.lake.read_bytes(key)
        return sha256_hex(data), data[:HEAD_BYTES], data

    def _ingest(
        self, key: str, head: bytes, data: bytes | None, digest: str, table: Table,
        mapping: Mapping | None, references_ready: Callable[[], None] | None = None,
        files_at_once: int = 1,
    ) -> IngestOutcome:
        t0 = time.perf_counter()
        with file_connection(files_at_once) as con:
            with local_copy(self.lake, key, data) as path:
                raw = load_raw_file(
                    con, key, path, head,
                    delimiter=mapping.delimiter if mapping else ",",
                    encoding=mapping.encoding if mapping else "utf-8",
                    reader_types=reader_types(table, mapping),
                )
            ignored = check_rows(con, key, raw, table, mapping, self.lake, references_ready)
            problems = sorted(raw.bad_rows + [(p.row, p.column, p.reason)
                                              for p in list_problems(con)])
            rejected = self._rejected_rows(con, table, raw.bad_rows)
            curated_sql, rows_good = self._curated_rows(con, table, key)
            t1 = time.perf_counter()
            rejected_key = None
            if rejected:
                rejected_key = self._write_row_rejections(con, key, digest, table, rejected,
                                                          problems)
            result, rows_unique = self._write_curated(con, table, curated_sql)
        outcome = IngestOutcome(
            file_key=key, table=table.name, status="succeeded",
            rows_read=raw.rows, rows_rejected=rejected,
            rows_duplicate=rows_good - rows_unique,
            rows_inserted=result.inserted, rows_updated=result.updated,
            table_version=result.version,
            problems=[f"row {r} column {c or '-'}: {m}" for r, c, m in problems[:20]],
            rejected_key=rejected_key, ignored_columns=ignored,
            message=_outcome_message(table.name, rejected, ignored),
        )
        log.info(
            f"{key}: {outcome.rows_inserted} inserted, {outcome.rows_updated} updated, "
            f"{outcome.rows_rejected} rejected, {outcome.rows_duplicate} duplicates",
            extra=fields(step="ingest", file=key, table=table.name,
                         validate_ms=round((t1 - t0) * 1000),
                         merge_ms=round((time.perf_counter() - t1) * 1000),
                         **outcome.model_dump(include={"rows_read", "rows_rejected",
                                                       "rows_inserted", "rows_updated",
                                                       "rows_duplicate", "table_version"})),
        )
        return outcome

    def _write_curated(self, con: Any, table: Table, sql: str) -> tuple[MergeResult, int]:
        """Merge the curated rows into ``curated/<table>``; returns the merge and how many
        rows there were. DuckDB writes a local table's files itself; tables in an object
        store are merged by delta-rs from Arrow rows."""
        uri = self.lake.table_uri(CURATED, table.name)
        columns = curated_columns(table)
        if self.lake.is_local:
            directory = self.lake.local_path(f"{CURATED}/{table.name}")
            if table_exists(uri):
                return merge_query_into_table(con, directory, sql, table.primary_key,
                                              table.version_column, columns)
            rows = create_table_from_query(con, directory, sql, columns)
            return MergeResult(version=0, inserted=rows, updated=0), rows
        curated = con.sql(sql).to_arrow_table().cast(arrow_schema(columns))
        result = merge_rows(con, uri, curated, table.primary_key, table.version_column,
                            self.lake.storage_options)
        return result, curated.num_rows

    def _curated_rows(self, con: Any, table: Table, key: str) -> tuple[str, int]:
        """SQL of the valid rows, latest version per key, masked as curated/<table>, and
        how many valid rows there were before deduplication."""
        row = quote_ident(ROW)
        keys = ", ".join(quote_ident(k) for k in table.primary_key)
        order = (f"{quote_ident(table.version_column)} DESC NULLS LAST, " if
                 table.version_column else "") + f"{row} DESC"
        good = int(con.execute(
            f"SELECT count(*) FROM {VALIDATED} WHERE NOT _bad").fetchall()[0][0])
        lineage = (f"{sql_literal(key)} AS _source_file", f"{row} AS _source_row",
                   "now()::TIMESTAMPTZ AS _ingested_at")
        # Most keys occur once: only rows of repeated keys go through the (sorting) window,
        # which lists the rows superseded by a later version; one scan then skips them.
        join = " AND ".join(f"v.{quote_ident(k)} IS NOT DISTINCT FROM d.{quote_ident(k)}"
                            for k in table.primary_key)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _repeated AS SELECT {keys} FROM "
                    f"{VALIDATED} WHERE NOT _bad GROUP BY ALL HAVING count(*) > 1")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _superseded AS SELECT {row} FROM "
                    f"{VALIDATED} v SEMI JOIN _repeated d ON {join} WHERE NOT _bad "
                    f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) > 1")
        latest = (f"SELECT * FROM {VALIDATED} WHERE NOT _bad AND {row} NOT IN "
                  f"(SELECT {row} FROM _superseded)")
        sql = masked_rows_sql(table, self.masking_key, f"({latest})", after=lineage,
                              values_from=TYPED)
        return sql, good

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
        return int(con.execute("SELECT count(*) FROM _rejected_out").fetchall()[0][0])

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


@contextmanager
def file_connection(files_at_once: int = 1) -> Iterator[Any]:
    """An in-memory DuckDB connection for checking one file, in UTC. It spills to a
    private temporary folder (DuckDB's default is ``.tmp`` in the current directory), and
    when several files are checked at once each gets an equal share of DuckDB's usual
    memory budget (80 % of RAM), so together they stay within it."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="shopsight-spill-") as spill:
        con = duckdb.connect(":memory:", config={"temp_directory": spill})
        try:
            con.execute("SET TimeZone = 'UTC'")
            ram = _physical_memory()
            if files_at_once > 1 and ram:
                con.execute(f"SET memory_limit = '{int(ram * 0.8 / files_at_once) >> 20}MB'")
            yield con
        finally:
            con.close()


def _physical_memory() -> int | None:
    """Bytes of RAM, where the platform says (Linux, macOS)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


@contextmanager
def local_copy(lake: Lake, key: str, data: bytes | None) -> Iterator[str]:
    """A local path holding a lake file's bytes: the file itself when the lake is local,
    else a temporary copy of ``data`` (the bytes already read from the store)."""
    if lake.is_local:
        yield lake.local_path(key)
        return
    if data is None:
        data = lake.read_bytes(key)
    suffix = "." + key.rsplit(".", 1)[-1] if "." in key.split("/")[-1] else ""
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        yield handle.name


def check_rows(con: Any, name: str, raw: RawText, table: Table, mapping: Mapping | None,
               lake: Lake, references_ready: Callable[[], None] | None = None) -> list[str]:
    """Map, type and check the loaded ``_raw_text`` against ``table`` and the curated
    tables it references, leaving ``_validated`` and ``_rejected`` in ``con``.

    Returns the file's columns that were ignored (not in the contract or the mapping).
    Shared by raw → curated and by store uploads.
    """
    exprs, ignored = mapped_columns(raw.columns, table, mapping)
    missing = [c for c in table.required_columns if c not in exprs]
    if missing:
        raise InputRejected(
            name, f"required column(s) {', '.join(missing)} missing for table "
            f"{table.name}; the file has: {', '.join(raw.columns)} (add them, or map "
            "your names with --mapping)")
    projection = ", ".join(f"{e} AS {quote_ident(c)}" for c, e in exprs.items())
    present = set(exprs)
    formats = mapping.date_formats if mapping else None
    parsed = frozenset(raw.typed) if mapping is None else frozenset()
    retry = (f"(SELECT {projection}, {quote_ident(ROW)} FROM {RAW_RETRY})"
             if raw.retried else None)
    validate_rows(con, table, f"(SELECT {projection}, {quote_ident(ROW)} FROM {RAW_TEXT})",
                  present, formats, parsed=parsed, retry_source=retry)
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
    return ignored


def reader_types(table: Table, mapping: Mapping | None) -> dict[str, str] | None:
    """Types the CSV reader may parse the file's columns as (None with a mapping, whose
    renames and formats need the text)."""
    if mapping is not None:
        return None
    return {c.name: reader_type(c) for c in table.columns}


def _outcome_message(table: str, rejected: int, ignored: list[str]) -> str:
    parts = []
    if rejected:
        parts.append(f"{rejected} row(s) rejected, see rejected/{table}/")
    if ignored:
        parts.append(f"ignored column(s) not in the contract: {', '.join(ignored)}")
    return "; ".join(parts)


def default_tables() -> list[str]:
    """Contract tables in ingest order."""
    return [t.name for t in sorted(TABLES, key=lambda t: t.order)]
