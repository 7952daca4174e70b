"""One DuckDB connection with every curated and prod Delta table registered by name.

Tables are Arrow dataset scans of the Delta tables (read through ``deltalake``), so no
DuckDB extension is needed and nothing is copied: ``curated/orders`` becomes ``orders``,
``prod/demand_insights/segments`` becomes ``demand_insights_segments``.
"""

from __future__ import annotations

from typing import Any

from shopsight.lake.delta import open_table, table_exists
from shopsight.lake.store import CURATED, PROD, Lake


def lake_tables(lake: Lake) -> dict[str, str]:
    """SQL name -> Delta table URI for every curated and prod table in the lake."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    items = [*lake.list_files(CURATED), *lake.list_files(PROD)]
    for item in items:
        parts = item.key.split("/")
        if "_delta_log" not in parts:
            continue
        table_path = "/".join(parts[: parts.index("_delta_log")])
        if table_path in seen:
            continue
        seen.add(table_path)
        zone, _, rest = table_path.partition("/")
        if zone == CURATED and rest and "/" not in rest:
            found[rest] = lake.uri(table_path)
        elif zone == PROD and rest:
            found[rest.replace("/", "_")] = lake.uri(table_path)
    return dict(sorted(found.items()))


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
    for name, uri in lake_tables(lake).items():
        if table_exists(uri, lake.storage_options):
            con.register(name, open_table(uri, lake.storage_options).to_pyarrow_dataset())
    if read_only_files:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con
