"""How the CLIs print: plain text as given, rows as a Rich table, or a result as JSON or a
table."""

from __future__ import annotations

import os
import sys
from typing import Any

PIPED_WIDTH = 200  # a table written to a file or a pipe is not cut at 80 columns


def output_console(stderr: bool = False) -> Any:
    """A Rich console that is as wide as the terminal, or, when the output is piped or
    redirected (and ``COLUMNS`` does not say), wide enough for the tables."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=PIPED_WIDTH if piped else None)


def print_text(text: str) -> None:
    """Print ``text`` as is (no highlighting, long lines kept whole)."""
    output_console().print(text, highlight=False, soft_wrap=True)


def print_table(title: str, columns: list[str], rows: list[list[str]],
                right: tuple[str, ...] = ()) -> None:
    """Print rows as a Rich table under ``title``; the columns named in ``right`` are
    right-aligned (counts, amounts)."""
    from rich.table import Table

    grid = Table(title=title, title_justify="left")
    for name in columns:
        grid.add_column(name, justify="right" if name in right else "left")
    for row in rows:
        grid.add_row(*row)
    output_console().print(grid)


def print_result(result: Any, as_json: bool, title: str, columns: list[str],
                 rows: list[list[str]]) -> None:
    """Print a response model as JSON, or the given rows as a table."""
    if as_json:
        print_text(result.model_dump_json(indent=2))
        return
    print_table(title, columns, rows)
