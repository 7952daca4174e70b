"""Servers for tests on 127.0.0.1, each stopping by itself: the app under a live uvicorn
server (or an in-process client for route-level checks), and moto's AWS server."""

from __future__ import annotations

import socket
import subprocess
import sys
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
def live_server(app: Any, *, lifespan: str = "off") -> Iterator[str]:
    """Serve ``app`` on a free local port; yields the base URL. The app's lifespan
    (schedules, warming) runs only when asked (``lifespan="on"``)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan=lifespan))
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


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's AWS server (S3, SNS, SQS...) in its own process; yields the endpoint URL.
    Its own process because deltalake holds the GIL while it waits on the network, so an
    in-process server would deadlock."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
