"""DuckDB connections for checking raw files, reused from one table's files to the next.

Each table's files are checked in an in-memory DuckDB database of their own (their temp
tables never meet another table's). Opening one and closing it costs about 25 ms, and a
fresh database gets its memory from the system again, page by page: on a large ingest,
reusing the databases saved ~0.8 s of 18 (2 CPU-s). A database goes back to the pool
clean (every temp table and view dropped); one whose work raised is closed instead.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from shopsight.quality.pci import register_redaction
from shopsight.schema.sql_text import quote_ident


@contextmanager
def file_connection(files_at_once: int = 1) -> Iterator[Any]:
    """An in-memory DuckDB connection for checking files, in UTC. It spills to a
    private temporary folder (DuckDB's default is ``.tmp`` in the current directory), and
    when several files are checked at once each gets an equal share of DuckDB's usual
    memory budget (80 % of RAM), so together they stay within it."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="shopsight-spill-") as spill:
        con = duckdb.connect(":memory:", config={"temp_directory": spill})
        try:
            con.execute("SET TimeZone = 'UTC'")
            register_redaction(con)  # curated free text is redacted (masked_rows_sql)
            # Temp tables are never persisted, but without this DuckDB compresses them as
            # if checkpointing a database after every 16 MB written: 1.4 s stalls on
            # statements that write a few rows next to a large file's tables.
            con.execute("SET checkpoint_threshold = '1TB'")
            ram = physical_memory()
            if files_at_once > 1 and ram:
                con.execute(f"SET memory_limit = '{int(ram * 0.8 / files_at_once) >> 20}MB'")
            yield con
        finally:
            con.close()


class FileConnections:
    """A pool of :func:`file_connection` s for one run; close it when the run is done."""

    def __init__(self, files_at_once: int = 1) -> None:
        self.files_at_once = files_at_once
        self._idle: list[tuple[Any, ExitStack]] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A clean connection, for one table's files at a time."""
        with self._lock:
            held = self._idle.pop() if self._idle else None
        if held is None:
            stack = ExitStack()
            held = (stack.enter_context(file_connection(self.files_at_once)), stack)
        con, stack = held
        try:
            yield con
            _drop_temp_objects(con)
        except BaseException:
            stack.close()
            raise
        with self._lock:
            self._idle.append(held)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _, stack in idle:
            stack.close()

    def __enter__(self) -> FileConnections:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _drop_temp_objects(con: Any) -> None:
    """Drop every temp view and table, and reset the settings a check may change."""
    objects = con.execute(
        "SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND NOT internal "
        "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE temporary"
    ).fetchall()
    for kind, name in objects:
        con.execute(f"DROP {kind} IF EXISTS {quote_ident(str(name))}")
    con.execute("RESET disabled_optimizers")
    con.execute("SET preserve_insertion_order = true")


def physical_memory() -> int | None:
    """Bytes of RAM, where the platform says (Linux, macOS)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
