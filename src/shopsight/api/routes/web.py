"""The web dashboard: static files of ``shopsight/web`` served under ``/app/``.

The files themselves are public (they hold no data; every figure is fetched from the
API with the user's key). ``GET /app/session`` tells the page who a pasted key belongs
to, so the login screen can show the role and the menu can hide what the role may not
open; it checks the key itself because ``/app/`` is a public prefix.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel

from shopsight.api.auth import presented_key
from shopsight.errors import NotAuthenticated, NotFound
from shopsight.state.api_keys import ApiKeys

router = APIRouter(include_in_schema=False)

WEB_ROOT = Path(str(files("shopsight") / "web"))
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}


class DashboardSession(BaseModel):
    """Who a key belongs to, as the dashboard shows it."""

    user_id: str
    role: str
    store_ids: list[str]


def dashboard_file(path: str) -> Path:
    """The file under the web root for ``path``; NotFound for anything else."""
    target = (WEB_ROOT / (path or "index.html")).resolve()
    if (not target.is_relative_to(WEB_ROOT.resolve()) or not target.is_file()
            or target.suffix not in CONTENT_TYPES):
        raise NotFound("dashboard file", path)
    return target


@router.get("/")
def root() -> RedirectResponse:
    """The dashboard is the home page."""
    return RedirectResponse("/app/", status_code=307)


@router.get("/app")
def app_without_slash() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=307)


@router.get("/app/session", response_model=DashboardSession)
def session(request: Request) -> DashboardSession:
    """The role and store ids of the key in X-API-Key (401 when it is not valid)."""
    key = presented_key(request)
    keys: ApiKeys = request.app.state.api_keys
    principal = keys.verify(key) if key else None
    if principal is None:
        raise NotAuthenticated()
    return DashboardSession(user_id=principal.user_id, role=principal.role,
                            store_ids=principal.store_ids)


@router.get("/app/")
@router.get("/app/{path:path}")
def static_file(path: str = "") -> FileResponse:
    """index.html, app.js, charts.js, styles.css... (revalidated on every load)."""
    target = dashboard_file(path)
    return FileResponse(target, media_type=CONTENT_TYPES[target.suffix],
                        headers={"Cache-Control": "no-cache"})
