"""One DuckDB connection with every curated and prod Delta table registered by name.

``curated/orders`` becomes ``orders``, ``prod/demand_insights/segments`` becomes
``demand_insights_segments``. The Delta log is read through ``deltalake`` (no DuckDB
extension), and a table's current files are then read by DuckDB's own Parquet reader
when they are local plain Parquet (filters and joins pushed into the scan, row groups
skipped by their statistics); tables in an object store, or using Delta reader features,
are Arrow dataset scans. Nothing is copied.
"""

from __future__ import annotations

import threading
from typing import Any

from shopsight.lake.delta import open_table, parquet_scan_sql, plain_parquet_files
from shopsight.lake.store import CURATED, PROD, Lake
from shopsight.schema.sql_text import quote_ident, sql_literal


def lake_table_versions(lake: Lake) -> dict[str, tuple[str, int]]:
    """SQL name -> (Delta table URI, latest version) for every curated and prod table,
    from one listing of the lake (the version is the highest commit in ``_delta_log``)."""
    found: dict[str, tuple[str, int]] = {}
    paths: dict[str, int] = {}
    for item in [*lake.list_files(CURATED), *lake.list_files(PROD)]:
        parts = item.key.split("/")
        if "_delta_log" not in parts:
            continue
        table_path = "/".join(parts[: parts.index("_delta_log")])
        name = parts[-1]
        stem = name.split(".")[0]
        committed = name.endswith((".json", ".checkpoint.parquet")) and stem.isdigit()
        version = int(stem) if committed else -1
        paths[table_path] = max(paths.get(table_path, -1), version)
    for table_path, version in paths.items():
        zone, _, rest = table_path.partition("/")
        if zone == CURATED and rest and "/" not in rest:
            found[rest] = (lake.uri(table_path), version)
        elif zone == PROD and rest:
            found[rest.replace("/", "_")] = (lake.uri(table_path), version)
    return dict(sorted(found.items()))


def lake_tables(lake: Lake) -> dict[str, str]:
    """SQL name -> Delta table URI for every curated and prod table in the lake."""
    return {name: uri for name, (uri, _) in lake_table_versions(lake).items()}


_SOURCES: dict[tuple[str, int], Any] = {}
_SOURCES_LOCK = threading.Lock()


def _source(lake: Lake, uri: str, version: int) -> Any:
    """A Delta table version's local Parquet files (a list), or else its Arrow dataset;
    worked out once per process: opening reads the table's log, which dominated the cost
    of a connection."""
    key = (uri, version)
    with _SOURCES_LOCK:
        cached = _SOURCES.get(key)
    if cached is not None:
        return cached
    table = open_table(uri, lake.storage_options, version)
    files = plain_parquet_files(table) if lake.is_local else None
    source = files if files is not None else table.to_pyarrow_dataset()
    with _SOURCES_LOCK:
        if len(_SOURCES) > 512:
            _SOURCES.clear()
        _SOURCES[key] = source
    return source


def connect(lake: Lake, *, read_only_files: bool = True) -> Any:
    """A fresh in-memory DuckDB connection with every lake table registered as a view.

    ``read_only_files`` disables DuckDB's access to the file system and network except
    the registered tables' own Parquet files, so SQL run on this connection can only see
    the registered tables.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    files: list[str] = []
    arrow = False
    for name, (uri, version) in lake_table_versions(lake).items():
        if version < 0:
            continue  # a table whose first commit is still being written
        source = _source(lake, uri, version)
        if isinstance(source, list):
            con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM "
                        f"{parquet_scan_sql(source)}")
            files += source
        else:
            con.register(name, source)
            arrow = True
    if arrow:
        # DuckDB 2.0 pushes string filters into Arrow dataset scans as string_view
        # literals, which pyarrow cannot compare with its string columns.
        con.execute("SET disabled_optimizers = 'filter_pushdown'")
    if read_only_files:
        # the tables' own files stay readable, nothing else on disk or on the network
        if files:
            con.execute(f"SET allowed_paths = [{', '.join(sql_literal(f) for f in files)}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con
