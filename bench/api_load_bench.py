"""API load benchmark (issue 7): the real server under 50 concurrent read clients.

    .venv/bin/python bench/api_load_bench.py --scale medium --clients 50 --seconds 60
    .venv/bin/python bench/api_load_bench.py --scale medium --clients 50 --seconds 60 --workers 2

On the prepared demo home (``common.prepare_home``) this

1. creates an analyst key with ``shopsight keys create --name load --role analyst``;
2. starts ``shopsight serve --port P --workers W`` (uvicorn, 127.0.0.1) as a separate
   process with ``SHOPSIGHT_HOME`` set and ``ENABLE_SCHEDULED_ANALYSIS=false``;
3. calls every read endpoint once, in order, to warm it up (model-backed endpoints
   train on their first call) and records those first-call times; with several workers,
   as many warm-up clients run at once, so that each worker is likely warmed (which
   worker takes a connection is the kernel's choice), and the slowest is reported;
4. runs ``--clients`` concurrent clients (``httpx.AsyncClient``, one shared pool of
   ``--clients`` connections) for ``--seconds``: each client loops over the endpoints,
   starting at a different one, sending the next request as soon as the previous
   answered (a closed loop, so throughput is what the server sustains);
5. stops the server (SIGINT, then SIGTERM) and reports requests, errors (any non-200
   or transport error, with the endpoint and the first response bodies), throughput and
   p50/p95/p99 latency per endpoint and overall, plus the server's CPU seconds and peak
   RSS (``VmHWM``; with workers, the CPU of all its processes and the sum of their
   peaks).

Client and server share the machine's 2 cores, so the load generator takes some of the
CPU the server could use; its own CPU time is reported too. Traffic goes to 127.0.0.1
only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    OUT,
    SHOPSIGHT,
    home_env,
    last_upload_day,
    machine_line,
    percentile,
    prepare_home,
)


def endpoints(day: str) -> list[str]:
    """The read endpoints under load (GET, analyst role)."""
    return ["/health", "/market-pulse/regions", "/market-pulse/opportunities",
            "/compliance/flagged", "/sales/reports", f"/sales/reports/{day}",
            f"/sales/stores-status?business_date={day}",
            "/demand-insights/at-risk-customers", "/demand-insights/segments"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_key(env: dict[str, str]) -> str:
    done = subprocess.run([SHOPSIGHT, "keys", "create", "--name", "load", "--role", "analyst"],
                          env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1].strip()


def process_tree(pid: int) -> list[int]:
    """``pid`` and its child processes (uvicorn's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == pid:
                children.append(int(entry.name))
    return [pid, *children]


def tree_stats(pid: int) -> tuple[float, int]:
    """CPU seconds and summed peak RSS in MB of ``pid`` and its children."""
    stats = [proc_stats(p) for p in process_tree(pid)]
    return sum(c for c, _ in stats), sum(m for _, m in stats)


def proc_stats(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and peak RSS in MB of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    hwm = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmHWM"))
    return cpu, int(hwm.split()[1]) // 1024


async def warm_up_all(base: str, key: str, paths: list[str], workers: int) -> dict[str, Any]:
    """``workers`` warm-up clients at once; per path the slowest first call."""
    runs = await asyncio.gather(*(warm_up(base, key, paths) for _ in range(workers)))
    return {path: max((r[path] for r in runs), key=lambda v: v["ms"]) for path in paths}


async def warm_up(base: str, key: str, paths: list[str]) -> dict[str, Any]:
    import httpx

    out = {}
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key},
                                 timeout=600) as client:
        for path in paths:
            started = time.perf_counter()
            response = await client.get(path)
            out[path] = {"status": response.status_code,
                         "ms": round((time.perf_counter() - started) * 1000)}
            if response.status_code != 200:
                out[path]["body"] = response.text[:300]
    return out


async def load(base: str, key: str, paths: list[str], clients: int, seconds: float
               ) -> dict[str, Any]:
    import httpx

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits,
                                 timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def one_client(index: int) -> None:
            i = index
            while time.perf_counter() < deadline:
                path = paths[i % len(paths)]
                i += 1
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok, detail = response.status_code == 200, (
                        f"{response.status_code} {response.text[:200]}")
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"[:200]
                elapsed = (time.perf_counter() - started) * 1000
                latencies[path].append(elapsed)
                if not ok:
                    errors[path].append(detail)

        started = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        duration = time.perf_counter() - started
    return {"duration_s": duration, "latencies": latencies, "errors": errors}


def stop(server: subprocess.Popen[bytes]) -> int:
    server.send_signal(signal.SIGINT)
    try:
        return server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.terminate()
        return server.wait(timeout=20)


def summary(paths: list[str], warm: dict[str, Any], run: dict[str, Any], clients: int,
            server_cpu: float, server_peak: int, client_cpu: float, workers: int = 1) -> str:
    lat, errors, duration = run["latencies"], run["errors"], run["duration_s"]
    total = sum(len(v) for v in lat.values())
    n_errors = sum(len(v) for v in errors.values())
    out = ["| endpoint | first call ms | requests | errors | req/s | p50 ms | p95 ms | "
           "p99 ms | max ms |", "|---|---|---|---|---|---|---|---|---|"]

    def row(name: str, values: list[float], errs: int, first: str) -> str:
        return (f"| {name} | {first} | {len(values):,} | {errs} | {len(values) / duration:.1f} "
                f"| {percentile(values, 50):.0f} | {percentile(values, 95):.0f} | "
                f"{percentile(values, 99):.0f} | {max(values):.0f} |")

    for path in paths:
        if lat.get(path):
            out.append(row(f"`{path}`", lat[path], len(errors.get(path, [])),
                           f"{warm[path]['ms']:,}"))
    out.append(row("**overall**", [v for vs in lat.values() for v in vs], n_errors, "-"))
    out += ["", f"{clients} clients for {duration:.1f} s: {total:,} requests, {n_errors} "
            f"errors, {total / duration:.1f} requests/s. Server ("
            + ("one uvicorn process" if workers == 1 else f"uvicorn, {workers} workers")
            + "): "
            f"{server_cpu:.1f} CPU s during the load ({server_cpu / duration:.2f} cores), peak "
            f"RSS {server_peak:,} MB; load generator {client_cpu:.1f} CPU s."]
    for path, details in errors.items():
        out.append(f"\nErrors on `{path}` ({len(details)}): first: {details[0]!r}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--skip", default="", help="comma-separated endpoint prefixes to "
                        "leave out (e.g. /demand-insights to see the other endpoints alone)")
    args = parser.parse_args()
    home = prepare_home(args.scale, args.seed)
    env = home_env(home)
    key = create_key(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    skip = tuple(p for p in args.skip.split(",") if p)
    paths = [p for p in endpoints(last_upload_day(home).isoformat())
             if not (skip and p.startswith(skip))]
    log = (OUT / "api-server.log").open("wb")
    server = subprocess.Popen([SHOPSIGHT, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(args.workers)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        warm = asyncio.run(warm_up_all(base, key, paths, args.workers))
        print(json.dumps({"warm_up": warm}), flush=True)
        cpu_before, _ = tree_stats(server.pid)
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        run = asyncio.run(load(base, key, paths, args.clients, args.seconds))
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_after, peak = tree_stats(server.pid)
    finally:
        code = stop(server)
        log.close()
    client_cpu = (client_after.ru_utime + client_after.ru_stime
                  - client_before.ru_utime - client_before.ru_stime)
    suffix = f"{'-skip' if skip else ''}{f'-w{args.workers}' if args.workers > 1 else ''}"
    (OUT / f"api-load-{args.scale}{suffix}.json").write_text(json.dumps(
        {"warm_up": warm, **run, "server_exit": code}))
    print(json.dumps({"requests": sum(len(v) for v in run["latencies"].values()),
                      "errors": {k: len(v) for k, v in run["errors"].items()},
                      "duration_s": round(run["duration_s"], 1), "server_exit": code}))
    print(f"\n{machine_line()}\n")
    print(summary(paths, warm, run, args.clients, cpu_after - cpu_before, peak, client_cpu,
                  args.workers))


if __name__ == "__main__":
    main()
