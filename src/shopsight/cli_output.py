"""How the system CLIs print: plain text as given, or a result as JSON or a Rich table."""

from __future__ import annotations

from typing import Any


def print_text(text: str) -> None:
    """Print ``text`` as is (no highlighting, long lines kept whole)."""
    from rich.console import Console

    Console().print(text, highlight=False, soft_wrap=True)


def print_result(result: Any, as_json: bool, title: str, columns: list[str],
                 rows: list[list[str]]) -> None:
    """Print a response model as JSON, or the given rows as a table."""
    from rich.console import Console
    from rich.table import Table

    if as_json:
        print_text(result.model_dump_json(indent=2))
        return
    grid = Table(title=title, title_justify="left")
    for name in columns:
        grid.add_column(name)
    for row in rows:
        grid.add_row(*row)
    Console().print(grid)
