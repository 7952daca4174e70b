"""Calling the app in tests: a live uvicorn server on 127.0.0.1 (stops by itself), or an
in-process client for route-level checks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free local port; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def in_process_client(app: Any) -> Any:
    """Call the ASGI app in process (httpx transport, no server, no deprecated client)."""
    import asyncio

    import httpx

    class _Client:
        def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
            async def go() -> httpx.Response:
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                             base_url="http://test") as client:
                    return await client.request(method, url, **kwargs)

            return asyncio.run(go())

        def get(self, url: str, **kwargs: Any) -> httpx.Response:
            return self.request("GET", url, **kwargs)

        def post(self, url: str, **kwargs: Any) -> httpx.Response:
            return self.request("POST", url, **kwargs)

    return _Client()
