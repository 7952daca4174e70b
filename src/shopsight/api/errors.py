"""The one place where errors of the exception tree become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
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


def install_error_handler(app: FastAPI) -> None:
    """Render every ShopsightError as ``{"error": <kind>, "message": <text>}``."""

    @app.exception_handler(ShopsightError)
    async def _handle(_request: Request, exc: ShopsightError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.error(str(exc))
        return JSONResponse(status_code=status,
                            content={"error": type(exc).__name__, "message": str(exc)})
