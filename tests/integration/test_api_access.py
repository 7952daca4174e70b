"""Every role against every endpoint, through a live uvicorn server: allowed calls get
past access control, refused ones get 403, calls without a valid key 401."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from shopsight.api.app import create_app
from shopsight.api.auth import PUBLIC_PATHS, SIGNED_PREFIXES, allowed_roles
from shopsight.config import load_settings
from shopsight.errors import InvalidParameter
from shopsight.lake.store import Lake
from shopsight.state.store import State
from tests.live import live_server

pytestmark = pytest.mark.integration

SAMPLE_PARAMS = {"store_id": "0001", "business_date": "2026-11-20", "payment_id": "PAY-1",
                 "conversation_id": "conv-x-1"}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: SAMPLE_PARAMS.get(m.group(1), "x"), path)


def test_every_role_against_every_endpoint(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSIGHT_HOME", str(tmp_path))
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    app = create_app(load_settings(), lake=Lake(str(tmp_path / "lake")), state=state)
    keys = {role: app.state.api_keys.create(
        role, role, store_ids=["0001"] if role == "store" else None)[0]
            for role in ("admin", "analyst", "store")}
    for name, role, stores, expected in (
            ("", "analyst", None, "not empty"), ("x", "admin", ["0001"], "none for an admin"),
            ("x", "store", ["12"], "four-digit store ids")):
        with pytest.raises(InvalidParameter, match=expected):
            app.state.api_keys.create(name, role, store_ids=stores)
    revoked, info = app.state.api_keys.create("gone", "admin")
    app.state.api_keys.revoke(info.key_id)
    routes = [(method.upper(), path) for path, item in app.openapi()["paths"].items()
              for method in sorted(item)]
    assert len(routes) >= 8
    checked = 0
    with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert client.get("/health").status_code == 200
        # the dashboard's page and files load without a key (its API calls need one)
        for path in ("/", "/app", "/app/", "/app/app.js", "/app/styles.css"):
            page = client.get(path, follow_redirects=True)
            assert page.status_code == 200 and page.content, path
        assert client.get("/app/app.js").text.count("X-API-Key") >= 1
        for method, path in routes:
            url = concrete(path)
            if path in PUBLIC_PATHS or url.startswith(SIGNED_PREFIXES):
                continue
            assert client.request(method, url).status_code == 401, (method, path)
            assert client.request(method, url, headers={"X-API-Key": revoked}
                                  ).status_code == 401
            for role, key in keys.items():
                status = client.request(method, url, headers={"X-API-Key": key},
                                        json={}).status_code
                if role in allowed_roles(method, url):
                    assert status not in (401, 403), (role, method, path, status)
                else:
                    assert status == 403, (role, method, path, status)
                checked += 1
    assert checked >= 24
    state.engine.dispose()
