"""The one place where errors of the exception tree become HTTP responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shopsight.errors import (
    AccessDenied,
    ConfigError,
    ContractError,
    InputRejected,
    InvalidParameter,
    NotAuthenticated,
    NotEnoughHistory,
    NotFound,
    PathOutsideLake,
    ShopsightError,
    UnsafeQuery,
    ValidationFailed,
)
from shopsight.logs import get_logger

log = get_logger("api")

STATUS_BY_ERROR: list[tuple[type[ShopsightError], int]] = [
    (NotAuthenticated, 401),
    (AccessDenied, 403),
    (NotFound, 404),
    (InvalidParameter, 422),
    (InputRejected, 422),
    (ValidationFailed, 422),
    (PathOutsideLake, 400),
    (ContractError, 400),
    (NotEnoughHistory, 409),
    (UnsafeQuery, 422),
    (ConfigError, 500),
]


def status_for(exc: ShopsightError) -> int:
    """HTTP status of an error, by the most specific class that matches."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 500


_DATE_ERRORS = frozenset(("date_from_datetime_inexact", "date_from_datetime_parsing",
                          "date_parsing", "date_type"))


def validation_message(errors: Sequence[Any]) -> str:
    """One sentence per invalid field of a request, saying what to give instead."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
        given = error.get("input")
        if error.get("type") in _DATE_ERRORS:
            parts.append(f"{where}: {given!r} is not a date; give it as YYYY-MM-DD")
        elif error.get("type") == "missing":
            parts.append(f"{where}: required")
        else:
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handler(app: FastAPI) -> None:
    """Render every ShopsightError as ``{"error": <kind>, "message": <text>}``, and an
    invalid request the same way (with FastAPI's ``detail`` list kept beside it)."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return JSONResponse(status_code=422, content={
            "error": "InvalidParameter", "message": validation_message(errors),
            "detail": jsonable_encoder(errors)})

    @app.exception_handler(ShopsightError)
    async def _handle(_request: Request, exc: ShopsightError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.error(str(exc))
        return JSONResponse(status_code=status,
                            content={"error": type(exc).__name__, "message": str(exc)})
