"""Structured logging: JSON lines off a terminal, Rich on one, timings per step.

A redaction filter is the last line of defence for PCI: anything that looks like a card
number (a Luhn-valid run of 13-19 digits, with or without separators) or an SSN is
replaced before a record is written, whatever code logged it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from shopsight.quality.pci import redact

LOGGER_NAME = "shopsight"
class RedactingFilter(logging.Filter):
    """Redacts the rendered message and string extras of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        for key, value in list(record.__dict__.items()):
            if key.startswith("f_") and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields passed as ``extra={"f_name": ...}`` appear as name."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key.startswith("f_"):
                payload[key[2:]] = value
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Install shopsight's handler once; safe to call again with new settings."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler: logging.Handler
    if use_json:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    else:
        from rich.logging import RichHandler

        handler = RichHandler(show_path=False, markup=False)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)


def get_logger(name: str) -> logging.Logger:
    """A child of the shopsight logger."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}")


def fields(**values: Any) -> dict[str, Any]:
    """``extra=`` for structured fields: ``log.info("x", extra=fields(rows=3))``."""
    return {f"f_{k}": v for k, v in values.items()}


@contextmanager
def timed_step(logger: logging.Logger, step: str, **values: Any) -> Iterator[dict[str, Any]]:
    """Log the start and end of a step with its duration; yields a dict for result fields."""
    result: dict[str, Any] = {}
    started = time.perf_counter()
    logger.debug(f"{step} started", extra=fields(step=step, **values))
    try:
        yield result
    except Exception:
        ms = round((time.perf_counter() - started) * 1000)
        logger.warning(f"{step} failed after {ms} ms", extra=fields(
            step=step, duration_ms=ms, **values))
        raise
    ms = round((time.perf_counter() - started) * 1000)
    logger.info(f"{step} done in {ms} ms", extra=fields(
        step=step, duration_ms=ms, **values, **result))
