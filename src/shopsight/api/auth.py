"""Access control: every endpoint but health (and the API docs) needs an API key, and
what a key may do depends on its role. One policy table, checked for every request.

- admin: everything;
- analyst: reads everything except PCI (the PCI scan findings) and cannot upload;
- store: asks for upload URLs for its own store ids only (checked in the route).

Uploads themselves go to signed URLs and carry no key, like S3 presigned URLs.
"""

from __future__ import annotations

from fastapi import Request

from shopsight.errors import AccessDenied, NotAuthenticated
from shopsight.state.api_keys import ApiKeys, Principal

PUBLIC_PATHS = ("/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
                "/sales/download")  # the last one is authorised by its URL signature
SIGNED_PREFIXES = ("/sales/uploads/",)
# the dashboard's static files; its data comes from the API with the user's key
WEB_PATHS = ("/", "/app")
WEB_PREFIXES = ("/app/",)

# (method or "*", path prefix) -> roles allowed; first match wins
POLICY: list[tuple[str, str, frozenset[str]]] = [
    ("*", "/compliance/scan", frozenset({"admin"})),
    ("POST", "/sales/analysis", frozenset({"admin"})),
    ("POST", "/sales/upload-url", frozenset({"admin", "store"})),
    ("*", "/sales/files", frozenset({"admin", "analyst", "store"})),
    ("*", "/sales/download-url", frozenset({"admin", "analyst", "store"})),
    ("*", "/", frozenset({"admin", "analyst"})),
]


def allowed_roles(method: str, path: str) -> frozenset[str]:
    """Roles that may call ``method path``."""
    for rule_method, prefix, roles in POLICY:
        if rule_method in ("*", method) and path.startswith(prefix):
            return roles
    return frozenset()


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def authorize(request: Request) -> None:
    """App-wide dependency: authenticate the key and apply the policy.

    Synchronous on purpose: the key lookup is a database query, so FastAPI runs it in
    its thread pool instead of blocking the event loop."""
    path = request.url.path
    if path in PUBLIC_PATHS or path in WEB_PATHS or path.startswith(
            SIGNED_PREFIXES + WEB_PREFIXES):
        return
    key = presented_key(request)
    keys: ApiKeys = request.app.state.api_keys
    principal = keys.verify(key) if key else None
    if principal is None:
        raise NotAuthenticated()
    if principal.role not in allowed_roles(request.method, path):
        raise AccessDenied(principal.role, f"call {request.method} {path}")
    request.state.principal = principal
    request.state.user_id = principal.user_id


def principal_of(request: Request) -> Principal:
    """The caller, as set by :func:`authorize`."""
    principal: Principal = request.state.principal
    return principal
