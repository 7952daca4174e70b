"""The one CLI error decorator and settings loader, shared by the main CLI and every
system's commands.

A module of its own so system CLIs can import it at start-up without importing
``shopsight.cli`` (which mounts them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
import typer
from rich.console import Console

from shopsight.errors import ShopsightError
from shopsight.quality.pci import gist

if TYPE_CHECKING:
    from shopsight.config import Settings

err_console = Console(stderr=True)
cli_state: dict[str, Any] = {"debug": False}  # set by the --debug option of `shopsight`

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn ShopsightError into one red line and its exit code (traceback with --debug);
    any other error (a bug, or a system error such as a full disk) is one red line too,
    naming its type, with exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort,
                click.ClickException):
            raise  # typer's and click's own exits and usage errors
        except ShopsightError as exc:
            _red_line(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:  # noqa: BLE001 - no raw traceback without --debug
            hint = "" if cli_state["debug"] else " (run with `shopsight --debug` for details)"
            _red_line(f"unexpected {type(exc).__name__}: {gist(str(exc))}{hint}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _red_line(message: str) -> None:
    if cli_state["debug"]:
        err_console.print_exception()
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)


def cli_settings() -> Settings:
    """The settings, with logging configured from them: the first step of every command,
    the systems' commands included (their logs are JSON lines when piped, at LOG_LEVEL,
    and redacted like every other)."""
    from shopsight.config import load_settings
    from shopsight.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings
