"""Shared helpers of the benchmarks: a prepared demo home per scale, child processes,
peak memory and percentiles.

A *home* is what ``SHOPSIGHT_HOME`` points at: ``lake/`` (raw, curated, prod),
``state.db``, ``truth/`` and ``demo-uploads/``. It is built once per scale and seed under
``bench/out/<scale>-<seed>-home`` from the raw files that ``pipeline_bench.prepare()``
generates under ``bench/out/<scale>-<seed>/`` (hard links, so nothing is copied), by the
real CLI in child processes: ``shopsight ingest``, ``shopsight publish`` and
``shopsight up --no-serve`` (which then only uploads the demo's last day for every store
and runs the daily analysis once).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
VENV_BIN = Path(sys.executable).parent
SHOPSIGHT = str(VENV_BIN / "shopsight")


def raw_base(scale: str, seed: int) -> Path:
    """``bench/out/<scale>-<seed>``: raw files, truth and uploads, generated once."""
    base = OUT / f"{scale}-{seed}"
    if not (base / "ready").exists():
        # in a child: Linux keeps the parent's peak RSS across fork+exec
        subprocess.run([sys.executable, str(BENCH / "pipeline_bench.py"), "--prepare-only",
                        "--scale", scale, "--seed", str(seed)], check=True)
    return base


def home_env(home: Path) -> dict[str, str]:
    """Environment of a CLI child working on ``home`` (no scheduler, no notifiers)."""
    env = dict(os.environ)
    env.update({"SHOPSIGHT_HOME": str(home), "ENABLE_SCHEDULED_ANALYSIS": "false",
                "SHOPSIGHT_NOTIFIERS": "", "LOG_LEVEL": "WARNING"})
    return env


def prepare_home(scale: str, seed: int = 42, publish: bool = True) -> Path:
    """A demo home for the scale, ingested (and, with ``publish``, published and with the
    demo day uploaded); built once, then reused.

    ``ready`` holds the seconds of each completed step as JSON. The daily analysis needs
    only curated data, so it prepares the large scale without ``publish`` (the systems'
    training on 10M lines would take most of the time budget).
    """
    home = OUT / f"{scale}-{seed}-home"
    ready = home / "ready"
    seconds: dict[str, float] = json.loads(ready.read_text()) if ready.exists() else {}
    steps = [("ingest", ["ingest"]), ("publish", ["publish"]),
             ("demo_day", ["up", "--no-serve"])][:3 if publish else 1]
    if all(step in seconds for step, _ in steps):
        return home
    if not seconds:
        base = raw_base(scale, seed)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        shutil.copytree(base / "lake" / "raw", home / "lake" / "raw", copy_function=os.link)
        shutil.copytree(base / "uploads", home / "demo-uploads", copy_function=os.link)
        shutil.copytree(base / "truth", home / "truth", copy_function=os.link)
    env = home_env(home)
    for step, args in steps:
        if step in seconds:
            continue
        started = time.perf_counter()
        done = subprocess.run([SHOPSIGHT, *args], env=env, capture_output=True, text=True)
        seconds[step] = round(time.perf_counter() - started, 1)
        print(f"prepare {scale}: {step} {seconds[step]} s (exit {done.returncode})",
              file=sys.stderr)
        # `ingest` exits 3 when the demo's planted dirt rejects rows or files: expected
        if done.returncode not in ((0, 3) if step == "ingest" else (0,)):
            raise RuntimeError(f"`shopsight {' '.join(args)}` failed for {home}:\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        ready.write_text(json.dumps(seconds) + "\n")
    return home


def home_settings(home: Path) -> Any:
    """Settings of a prepared home, as the CLI would build them (scheduler off)."""
    from shopsight.config import load_settings

    return load_settings(home=home, enable_scheduled_analysis=False, notifiers="")


def last_upload_day(home: Path) -> date:
    """The demo's last business day with store upload files."""
    days = sorted(p.name for p in (home / "demo-uploads").iterdir() if p.is_dir())
    return date.fromisoformat(days[-1])


def peak_rss_mb() -> float:
    """Max RSS of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: list[str], timeout: float | None = None,
              env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python <args>`` in a fresh process; its last stdout line is a JSON result."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def machine_line() -> str:
    """One line describing the machine and software, for RESULTS.md."""
    import duckdb
    import pandas as pd

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__}"
            f", {date.today()}")
