"""The one CLI error decorator, shared by the main CLI and every system's commands.

A module of its own so system CLIs can import it at start-up without importing
``shopsight.cli`` (which mounts them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from shopsight.errors import ShopsightError

err_console = Console(stderr=True)
cli_state: dict[str, Any] = {"debug": False}  # set by the --debug option of `shopsight`

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn ShopsightError into one red line and its exit code (traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ShopsightError as exc:
            if cli_state["debug"]:
                err_console.print_exception()
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]
