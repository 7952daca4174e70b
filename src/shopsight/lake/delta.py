"""Delta tables in the lake: create, merge on primary key, read.

The merge keeps exactly one row per key and lets a strictly newer version win, so
re-merging the same rows, or older ones, changes nothing and commits nothing. Each
commit is atomic (Delta's transaction log): a crash leaves the table at its last
committed version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopsight.schema.sql_text import quote_ident


@dataclass(frozen=True)
class MergeResult:
    """What a merge did to a table."""

    version: int | None  # table version after the merge (None: the table does not exist)
    inserted: int
    updated: int

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


def table_exists(uri: str, storage_options: dict[str, str] | None = None) -> bool:
    """True when a Delta table lives at ``uri``."""
    from deltalake import DeltaTable

    return bool(DeltaTable.is_deltatable(uri, storage_options=storage_options or None))


def open_table(uri: str, storage_options: dict[str, str] | None = None,
               version: int | None = None) -> Any:
    """The DeltaTable at ``uri`` (latest version unless one is given)."""
    from deltalake import DeltaTable

    return DeltaTable(uri, version=version, storage_options=storage_options or None)


def changed_rows_sql(keys: tuple[str, ...], version_column: str | None, columns: list[str]) -> str:
    """SELECT of the source rows ``s`` that would change target ``t``: new keys, strictly
    newer versions, or (tables without a version column) different content."""
    join = " AND ".join(f"s.{quote_ident(k)} = t.{quote_ident(k)}" for k in keys)
    first_key = quote_ident(keys[0])
    if version_column:
        v = quote_ident(version_column)
        newer = (f"(s.{v} > t.{v} OR (s.{v} IS NOT NULL AND t.{v} IS NULL))")
    else:
        diffs = " OR ".join(f"s.{quote_ident(c)} IS DISTINCT FROM t.{quote_ident(c)}"
                            for c in columns if c not in keys)
        newer = f"({diffs or 'FALSE'})"
    return (f"SELECT s.* FROM _merge_source s LEFT JOIN _merge_target t ON {join} "
            f"WHERE t.{first_key} IS NULL OR {newer}")


def merge_rows(
    con: Any,
    uri: str,
    rows: Any,
    keys: tuple[str, ...],
    version_column: str | None,
    storage_options: dict[str, str] | None = None,
) -> MergeResult:
    """Merge Arrow ``rows`` (already unique per key) into the Delta table at ``uri``.

    ``con`` is a DuckDB connection used to find the rows that would change, so a merge of
    nothing commits nothing.
    """
    from deltalake import write_deltalake

    if not table_exists(uri, storage_options):
        if rows.num_rows == 0:
            write_deltalake(uri, rows, mode="error", storage_options=storage_options or None)
            return MergeResult(version=0, inserted=0, updated=0)
        write_deltalake(uri, rows, mode="error", storage_options=storage_options or None)
        return MergeResult(version=0, inserted=rows.num_rows, updated=0)
    dt = open_table(uri, storage_options)
    con.register("_merge_source", rows)
    con.register("_merge_target", dt.to_pyarrow_dataset())
    try:
        changed = con.sql(
            changed_rows_sql(keys, version_column, rows.column_names)
        ).to_arrow_table()
    finally:
        con.unregister("_merge_source")
        con.unregister("_merge_target")
    if changed.num_rows == 0:
        return MergeResult(version=dt.version(), inserted=0, updated=0)
    predicate = " AND ".join(f"t.{quote_ident(k)} = s.{quote_ident(k)}" for k in keys)
    metrics = (
        dt.merge(source=changed, predicate=predicate, source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    return MergeResult(
        version=dt.version(),
        inserted=int(metrics.get("num_target_rows_inserted", 0)),
        updated=int(metrics.get("num_target_rows_updated", 0)),
    )


_DUCKDB_TYPES = {"string": "VARCHAR", "large_string": "VARCHAR", "int64": "BIGINT",
                 "double": "DOUBLE", "bool": "BOOLEAN", "date32[day]": "DATE"}


def duckdb_type(arrow_type: Any) -> str:
    """The DuckDB type that writes ``arrow_type`` to Parquet as Delta expects it."""
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    return _DUCKDB_TYPES[str(arrow_type)]


def create_table_from_query(con: Any, directory: str, sql: str, schema: Any) -> int:
    """Create the Delta table in the local ``directory`` from a DuckDB query; returns its
    row count.

    DuckDB writes the Parquet file itself (in parallel, never building the rows in Python)
    and the file is then committed as the table's first version, so a crash before the
    commit leaves no table (only an unreferenced file) and a crash after leaves a complete
    one. For local lakes; object stores go through :func:`merge_rows`.
    """
    import json
    import time
    import uuid
    from pathlib import Path

    from deltalake import Schema
    from deltalake.transaction import AddAction, create_table_with_add_actions

    from shopsight.schema.sql_text import sql_literal

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    casts = ", ".join(f"CAST({quote_ident(f.name)} AS {duckdb_type(f.type)}) AS "
                      f"{quote_ident(f.name)}" for f in schema)
    written = con.execute(f"COPY (SELECT {casts} FROM ({sql})) TO "
                          f"{sql_literal(str(folder / name))} (FORMAT parquet, "
                          "COMPRESSION snappy)").fetchall()
    rows = int(written[0][0]) if written else 0
    action = AddAction(path=name, size=(folder / name).stat().st_size, partition_values={},
                       modification_time=int(time.time() * 1000), data_change=True,
                       stats=json.dumps({"numRecords": rows}))
    create_table_with_add_actions(str(folder), Schema.from_arrow(schema), [action],
                                  mode="error")
    return rows
