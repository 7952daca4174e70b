"""One DuckDB connection with every curated and prod Delta table registered by name.

Tables are Arrow dataset scans of the Delta tables (read through ``deltalake``), so no
DuckDB extension is needed and nothing is copied: ``curated/orders`` becomes ``orders``,
``prod/demand_insights/segments`` becomes ``demand_insights_segments``.
"""

from __future__ import annotations

import threading
from typing import Any

from shopsight.lake.delta import open_table
from shopsight.lake.store import CURATED, PROD, Lake


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


_DATASETS: dict[tuple[str, int], Any] = {}
_DATASETS_LOCK = threading.Lock()


def _dataset(lake: Lake, uri: str, version: int) -> Any:
    """The Arrow dataset of a Delta table version, opened once per process: opening
    reads the table's log, which dominated the cost of a connection."""
    key = (uri, version)
    with _DATASETS_LOCK:
        cached = _DATASETS.get(key)
    if cached is not None:
        return cached
    dataset = open_table(uri, lake.storage_options, version).to_pyarrow_dataset()
    with _DATASETS_LOCK:
        if len(_DATASETS) > 512:
            _DATASETS.clear()
        _DATASETS[key] = dataset
    return dataset


def connect(lake: Lake, *, read_only_files: bool = True) -> Any:
    """A fresh in-memory DuckDB connection with every lake table registered as a view.

    ``read_only_files`` disables DuckDB's access to the file system and network, so SQL
    run on this connection can only see the registered tables.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB 2.0 pushes string filters into Arrow dataset scans as string_view literals,
    # which pyarrow cannot compare with its string columns; filter in DuckDB instead.
    con.execute("SET disabled_optimizers = 'filter_pushdown'")
    for name, (uri, version) in lake_table_versions(lake).items():
        if version < 0:
            continue  # a table whose first commit is still being written
        con.register(name, _dataset(lake, uri, version))
    if read_only_files:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con
