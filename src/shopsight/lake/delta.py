"""Delta tables in the lake: create, merge on primary key, read.

The merge keeps exactly one row per key and lets a strictly newer version win (a row
without a version: one that differs), so re-merging the same rows, or older ones, changes
nothing and commits nothing. A merge may
also replace groups whole (:class:`Replacing`): the table's rows of a group the merge holds
but of a key it does not are removed in the same commit. Each commit is atomic (Delta's
transaction log): a crash leaves the table at its last committed version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from shopsight.schema.sql_text import quote_ident, sql_literal


@dataclass(frozen=True)
class MergeResult:
    """What a merge did to a table."""

    version: int | None  # table version after the merge (None: the table does not exist)
    inserted: int
    updated: int
    removed: int = 0  # rows of replaced groups the merged rows no longer have

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.removed


@dataclass(frozen=True)
class Replacing:
    """Groups a merge replaces whole: ``groups`` are key columns, and ``keys`` a relation
    of the keys the new data holds (at least the merged rows' keys). A table row whose
    group is in ``keys`` but whose key is not is removed."""

    groups: tuple[str, ...]
    keys: str


def removed_rows_sql(keys: tuple[str, ...], replacing: Replacing, target: str,
                     extra: str = "") -> str:
    """SELECT of the key columns (and ``extra``) of the rows of ``target`` that
    ``replacing`` removes."""
    group_list = ", ".join(quote_ident(g) for g in replacing.groups)
    key_list = ", ".join(quote_ident(k) for k in keys)
    return (f"SELECT {key_list}{extra} FROM {target} SEMI JOIN (SELECT DISTINCT {group_list} "
            f"FROM {replacing.keys}) USING ({group_list}) ANTI JOIN (SELECT {key_list} FROM "
            f"{replacing.keys}) USING ({key_list})")


def table_exists(uri: str, storage_options: dict[str, str] | None = None) -> bool:
    """True when a Delta table lives at ``uri``."""
    from deltalake import DeltaTable

    return bool(DeltaTable.is_deltatable(uri, storage_options=storage_options or None))


def open_table(uri: str, storage_options: dict[str, str] | None = None,
               version: int | None = None) -> Any:
    """The DeltaTable at ``uri`` (latest version unless one is given)."""
    from deltalake import DeltaTable

    return DeltaTable(uri, version=version, storage_options=storage_options or None)


def plain_parquet_files(dt: Any) -> list[str] | None:
    """Local paths of the Parquet files of ``dt``'s version when a plain Parquet reader
    reads them correctly (no reader features such as deletion vectors or column mapping,
    no partition columns, whose values are not in the files), else None (object stores,
    such tables, or no file at all)."""
    uris = [str(u) for u in dt.file_uris()]
    if dt.protocol().min_reader_version > 1 or dt.metadata().partition_columns or (
            not uris) or any(
            "://" in u and not u.startswith("file://") for u in uris):
        return None
    return [u.removeprefix("file://") for u in uris]


def parquet_scan_sql(files: list[str], *, filename: bool = False) -> str:
    """DuckDB's scan of ``files`` (from :func:`plain_parquet_files`), with each row's
    file as ``filename`` when asked. Columns are matched by name: files written before a
    column was added to the table lack it (NULL for their rows, as Delta reads them)."""
    listed = ", ".join(sql_literal(f) for f in files)
    return (f"read_parquet([{listed}], union_by_name = true"
            f"{', filename = true' if filename else ''})")


def is_commit_conflict(exc: BaseException) -> bool:
    """Whether Delta refused a commit because another writer committed first: a version
    taken, files this transaction read changed, or a table created meanwhile. Worked out
    again against the table's new version, the same write can succeed. Other commit
    failures (an append-only table, a store refusing the write) are not: retrying them
    would only hide the cause."""
    from deltalake.exceptions import CommitFailedError, DeltaError

    text = str(exc).lower()
    if isinstance(exc, CommitFailedError):  # the kinds of Delta's conflict checker
        return any(kind in text for kind in ("concurrent", "already exists",
                                             "metadata changed", "protocol changed"))
    return isinstance(exc, DeltaError) and "already exists" in text


def register_table(con: Any, name: str, uri: str,
                   storage_options: dict[str, str] | None = None) -> None:
    """Make the Delta table at ``uri`` readable as ``name`` in DuckDB: a view over its
    Parquet files when DuckDB can read them itself (no pyarrow.dataset import, 0.25 s,
    and DuckDB's own scan), else an Arrow dataset."""
    dt = open_table(uri, storage_options)
    files = plain_parquet_files(dt)
    if files is None:
        con.register(name, dt.to_pyarrow_dataset())
        return
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS "
                f"SELECT * FROM {parquet_scan_sql(files)}")


def changed_rows_sql(keys: tuple[str, ...], version_column: str | None, columns: list[str],
                     source: str = "_merge_source", target: str = "_merge_target") -> str:
    """SELECT of the rows of ``source`` that would change ``target``: new keys, strictly
    newer versions, or different content where neither row has a version (a table
    without a version column, or an export without its values: the later file wins when
    it says something else). Lineage columns (``_source_file``, ``_ingested_at``...:
    names starting with ``_``) say where a row came from, not what it says, so the same
    row from another file changes nothing."""
    join = " AND ".join(f"s.{quote_ident(k)} = t.{quote_ident(k)}" for k in keys)
    first_key = quote_ident(keys[0])
    diffs = " OR ".join(f"s.{quote_ident(c)} IS DISTINCT FROM t.{quote_ident(c)}"
                        for c in columns if c not in keys and not c.startswith("_"))
    newer = f"({diffs or 'FALSE'})"
    if version_column:
        v = quote_ident(version_column)
        newer = (f"(s.{v} > t.{v} OR (s.{v} IS NOT NULL AND t.{v} IS NULL) "
                 f"OR (s.{v} IS NULL AND t.{v} IS NULL AND {newer}))")
    return (f"SELECT s.* FROM {source} s LEFT JOIN {target} t ON {join} "
            f"WHERE t.{first_key} IS NULL OR {newer}")


def merge_rows(
    con: Any,
    uri: str,
    rows: Any,
    keys: tuple[str, ...],
    version_column: str | None,
    storage_options: dict[str, str] | None = None,
    replacing: Replacing | None = None,
) -> MergeResult:
    """Merge Arrow ``rows`` (already unique per key) into the Delta table at ``uri``.

    ``con`` is a DuckDB connection used to find the rows that would change, so a merge of
    nothing commits nothing. With ``replacing``, the rows it removes are deleted by the
    same commit (they join the merge's source marked as removals).

    A missing table is created empty first and then merged into like any other: a plain
    first write racing another process's would be turned into an append by Delta's commit
    retry, and two first files holding the same key would both land. Creating is
    idempotent, and the merges' commit checks order the writers (see
    ``is_commit_conflict``).
    """
    from deltalake import DeltaTable

    if not table_exists(uri, storage_options):
        DeltaTable.create(uri, rows.schema, mode="ignore",
                          storage_options=storage_options or None)
    dt = open_table(uri, storage_options)
    con.register("_merge_source", rows)
    con.register("_merge_target", dt.to_pyarrow_dataset())
    try:
        changed_sql = changed_rows_sql(keys, version_column, rows.column_names)
        if replacing is not None:  # the removed rows' keys, the other columns NULL
            changed_sql = (f"SELECT *, false AS {REMOVE} FROM ({changed_sql}) UNION ALL BY NAME "
                           + removed_rows_sql(keys, replacing, "_merge_target",
                                              f", true AS {REMOVE}"))
        changed = con.sql(changed_sql).to_arrow_table()
    finally:
        con.unregister("_merge_source")
        con.unregister("_merge_target")
    if changed.num_rows == 0:
        return MergeResult(version=dt.version(), inserted=0, updated=0)
    predicate = " AND ".join(f"t.{quote_ident(k)} = s.{quote_ident(k)}" for k in keys)
    merger = dt.merge(source=changed, predicate=predicate, source_alias="s", target_alias="t")
    if replacing is not None:
        kept, hidden = f"NOT s.{REMOVE}", [REMOVE]
        merger = (merger.when_matched_delete(predicate=f"s.{REMOVE}")
                  .when_matched_update_all(predicate=kept, except_cols=hidden)
                  .when_not_matched_insert_all(predicate=kept, except_cols=hidden))
    else:
        merger = merger.when_matched_update_all().when_not_matched_insert_all()
    metrics = merger.execute()
    return MergeResult(
        version=dt.version(),
        inserted=int(metrics.get("num_target_rows_inserted", 0)),
        updated=int(metrics.get("num_target_rows_updated", 0)),
        removed=int(metrics.get("num_target_rows_deleted", 0)),
    )


REMOVE = "_merge_remove"  # marks a merge source row that deletes its key


# A table's columns as (name, DuckDB type): the types DuckDB writes to Parquet as Delta
# expects them. Delta's and Arrow's types follow from these, so the local write path
# needs no pyarrow import.
Columns = list[tuple[str, str]]

_DELTA_TYPES = {"VARCHAR": "string", "BIGINT": "long", "DOUBLE": "double",
                "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP WITH TIME ZONE": "timestamp",
                "TIMESTAMP": "timestamp_ntz"}


def delta_schema(columns: Columns) -> Any:
    """The Delta schema of ``columns`` (every column nullable)."""
    from deltalake import Field, Schema
    from deltalake.schema import PrimitiveType

    return Schema([Field(name, PrimitiveType(_DELTA_TYPES[kind]), nullable=True)
                   for name, kind in columns])


def arrow_schema(columns: Columns) -> Any:
    """The Arrow schema of ``columns``, for the paths that hand rows to delta-rs."""
    import pyarrow as pa

    types = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
             "BOOLEAN": pa.bool_(), "DATE": pa.date32(),
             "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
             "TIMESTAMP": pa.timestamp("us")}
    return pa.schema([pa.field(name, types[kind]) for name, kind in columns])


def create_table_from_query(con: Any, directory: str, sql: str, columns: Columns) -> int:
    """Create the Delta table in the local ``directory`` from a DuckDB query; returns its
    row count.

    DuckDB writes the Parquet file itself (in parallel, never building the rows in Python)
    and the file is then committed as the table's first version, so a crash before the
    commit leaves no table (only an unreferenced file) and a crash after leaves a complete
    one. For local lakes; object stores go through :func:`merge_rows`.
    """
    from deltalake.transaction import create_table_with_add_actions

    action, rows = _write_parquet(con, directory, sql, columns)
    create_table_with_add_actions(directory, delta_schema(columns), [action], mode="error")
    return rows


def merge_query_into_table(con: Any, directory: str, sql: str, keys: tuple[str, ...],
                           version_column: str | None, columns: Columns,
                           replacing: Replacing | None = None) -> MergeResult:
    """Merge the rows of a DuckDB query (unique per key) into the local Delta table in
    ``directory``, as :func:`merge_rows` does.

    Only the files holding a replaced or removed key are rewritten: DuckDB writes their
    kept rows and the changed rows to one new Parquet file, and one commit adds it and
    removes the files it replaces (a crash before the commit leaves only an unreferenced
    file). Tables using reader features (deletion vectors, column mapping) go through
    delta-rs.
    """
    import time

    from deltalake.transaction import RemoveAction

    dt = open_table(directory)
    con.execute("CREATE OR REPLACE TEMP TABLE _merge_query_rows AS "
                + conforming_sql(con, sql, columns))
    files = plain_parquet_files(dt)
    if files is None:
        source = con.sql("SELECT * FROM _merge_query_rows").to_arrow_table().cast(
            arrow_schema(columns))
        return merge_rows(con, directory, source, keys, version_column, replacing=replacing)
    con.execute("CREATE OR REPLACE TEMP VIEW _merge_table_rows AS SELECT * FROM "
                + parquet_scan_sql(files, filename=True))
    con.execute("CREATE OR REPLACE TEMP TABLE _merge_changed AS "
                + changed_rows_sql(keys, version_column, [name for name, _ in columns],
                                   source="_merge_query_rows",
                                   target="_merge_table_rows"))
    changed = int(con.execute("SELECT count(*) FROM _merge_changed").fetchall()[0][0])
    if changed == 0 and replacing is None:
        return MergeResult(version=dt.version(), inserted=0, updated=0)
    key_list = ", ".join(quote_ident(k) for k in keys)
    # the keys whose rows in the table are not kept as they are: replaced or removed
    gone = f"SELECT {key_list}, false AS _removed FROM _merge_changed"
    if replacing is not None:
        con.execute("CREATE OR REPLACE TEMP TABLE _merge_removed AS "
                    + removed_rows_sql(keys, replacing, "_merge_table_rows"))
        gone += f" UNION ALL SELECT {key_list}, true FROM _merge_removed"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _merge_gone AS SELECT t.filename, s._removed "
                f"FROM ({gone}) s JOIN _merge_table_rows t USING ({key_list})")
    counts = con.execute("SELECT count(*) FILTER (WHERE NOT _removed), count(*) FILTER "
                         "(WHERE _removed) FROM _merge_gone").fetchall()[0]
    updated, removed = int(counts[0]), int(counts[1])
    if changed == 0 and removed == 0:
        return MergeResult(version=dt.version(), inserted=0, updated=0)
    rewritten = [str(r[0]) for r in con.execute(
        "SELECT DISTINCT filename FROM _merge_gone ORDER BY 1").fetchall()]
    new_rows = "SELECT * FROM _merge_changed"
    if rewritten:  # the rewritten files' rows that are neither replaced nor removed
        new_rows += (f" UNION ALL BY NAME SELECT t.* EXCLUDE (filename) FROM "
                     f"_merge_table_rows t ANTI JOIN ({gone}) USING ({key_list}) "
                     f"WHERE t.filename IN ({', '.join(sql_literal(f) for f in rewritten)})")
    action, written = _write_parquet(con, directory, new_rows, columns)
    now = int(time.time() * 1000)
    removes = [RemoveAction(path=os.path.relpath(f, directory), data_change=True,
                            deletion_timestamp=now) for f in rewritten]
    adds = [action] if written else []  # every row of the rewritten files removed
    if not written:
        os.remove(os.path.join(directory, action.path))
    dt.create_write_transaction([*adds, *removes], mode="append",
                                schema=delta_schema(columns))
    return MergeResult(version=open_table(directory).version(), inserted=changed - updated,
                       updated=updated, removed=removed)


def conforming_sql(con: Any, sql: str, columns: Columns) -> str:
    """SELECT of the rows of ``sql`` with exactly ``columns`` (names and types).

    Casts only what the query does not already produce: an identity cast still costs a
    projection pass over every value."""
    produced = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {sql}").fetchall()}
    items = ", ".join(
        quote_ident(name) if produced.get(name) == kind else
        f"CAST({quote_ident(name)} AS {kind}) AS {quote_ident(name)}"
        for name, kind in columns)
    return f"SELECT {items} FROM ({sql})"


DICTIONARY_ENTRIES = 8192  # most distinct values a curated file's column keeps a dictionary for


def _write_parquet(con: Any, directory: str, sql: str, columns: Columns) -> tuple[Any, int]:
    """DuckDB writes the rows of ``sql`` as a new Parquet file of the table in the local
    ``directory`` with ``columns``' types; returns its Delta add action and row count."""
    import json
    import time
    import uuid
    from pathlib import Path

    from deltalake.transaction import AddAction

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    # format 2 pages (delta-encoded timestamps, row numbers and ids): on the large demo's
    # curated orders, lines and payments, 8 % less CPU to write and 20 % smaller files than
    # format 1, read as fast; delta-rs, pyarrow, DuckDB, Spark and Trino read them.
    # A column gives up its dictionary past 8,192 distinct values in a row group (DuckDB's
    # default: 24,576): ids, card tokens and timestamps never fit one, and stop paying for
    # it sooner (12-15 % less CPU on the large demo's payments, orders and order lines,
    # the same file sizes)
    written = con.execute(f"COPY ({conforming_sql(con, sql, columns)}) TO "
                          f"{sql_literal(str(folder / name))} (FORMAT parquet, "
                          "COMPRESSION snappy, PARQUET_VERSION V2, "
                          f"DICTIONARY_SIZE_LIMIT {DICTIONARY_ENTRIES})").fetchall()
    rows = int(written[0][0]) if written else 0
    action = AddAction(path=name, size=(folder / name).stat().st_size, partition_values={},
                       modification_time=int(time.time() * 1000), data_change=True,
                       stats=json.dumps({"numRecords": rows}))
    return action, rows
