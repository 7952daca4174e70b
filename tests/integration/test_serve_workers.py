"""`shopsight serve --workers 2`: two processes answer on one port, share the API keys of
the state store, and stop with the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live import free_port

pytestmark = pytest.mark.integration


def _children(pid: int) -> dict[int, str]:
    """Child processes of ``pid`` (Linux /proc) and their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_two_worker_processes_serve_one_port(tmp_path: Path) -> None:
    env = {**os.environ, "SHOPSIGHT_HOME": str(tmp_path / "home"),
           "ENABLE_SCHEDULED_ANALYSIS": "false", "COLUMNS": "200"}
    created = subprocess.run(
        [sys.executable, "-m", "shopsight.cli", "keys", "create", "--name", "t",
         "--role", "admin"], env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "shopsight.cli", "serve", "--port", str(port),
             "--workers", "2"], env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    workers = {p: c for p, c in _children(server.pid).items()
                               if "spawn_main" in c}
                    if len(workers) == 2:
                        break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start two workers"
            time.sleep(0.2)
        # new connections each time, so the workers take turns accepting them
        statuses = [httpx.get(f"{base}/version", headers={"X-API-Key": key},
                              timeout=30).status_code for _ in range(20)]
        assert statuses == [200] * 20
        assert httpx.get(f"{base}/version", timeout=30).status_code == 401
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            raise
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "a worker outlived the server"
