"""Daily analysis benchmark (issue 3): the last demo day's store uploads and the workflow.

    .venv/bin/python bench/daily_analysis_bench.py --scale medium
    .venv/bin/python bench/daily_analysis_bench.py --scale large

The demo home is prepared once per scale (``common.prepare_home``: raw files → ingest;
medium also publishes and runs the demo day, large stops after ingest because the daily
analysis reads only curated data and the uploads). One child process then

1. uploads the demo's POS files of the last day for all 11 stores through
   ``StoreUploads.process_upload`` (check, reject or publish, store-day metrics), timed
   per store, without triggers, so the upload does not start an analysis;
2. runs ``DailyAnalysis.run(day, "manual", missing, force=True)`` ``--rounds`` times, a
   fresh ``DailyAnalysis`` each round (its per-instance cache of the store history is
   empty every time), and reads each step's ``duration_ms`` from
   ``analysis.runner.steps_of(run_id)``.

Round 1 is the first run in the process (imports, DuckDB and Delta metadata cold); the
median is over all rounds. Prints one JSON line and Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    home_settings,
    last_upload_day,
    machine_line,
    peak_rss_mb,
    prepare_home,
    run_child,
)


def child(home: Path, rounds: int) -> None:
    from shopsight.lake.store import Lake
    from shopsight.pipeline.uploads import StoreUploads
    from shopsight.state.store import State
    from shopsight.systems.sales.daily_analysis import build_daily_analysis

    settings = home_settings(home)
    lake = Lake(settings.lake_root, settings.lake_storage_options)
    state = State(settings.state_database_url)
    uploads = StoreUploads(lake, state, signing_key=settings.signing_key.get_secret_value(),
                           base_url=settings.public_base_url,
                           ttl_seconds=settings.signed_url_ttl_seconds,
                           expected_stores=settings.expected_store_ids,
                           reporting_currency=settings.reporting_currency)
    day = last_upload_day(home)
    files = sorted((home / "demo-uploads" / day.isoformat()).glob("store_*.csv"))
    upload_ms, statuses, lines = [], {}, 0
    for path in files:
        started = time.perf_counter()
        result = uploads.process_upload(path.stem.removeprefix("store_"), day,
                                        path.read_bytes(), path.name)
        upload_ms.append((time.perf_counter() - started) * 1000)
        statuses[result.status] = statuses.get(result.status, 0) + 1
        lines += result.rows
    missing = uploads.check_all_stores(day).missing
    runs = []
    for _ in range(rounds):
        analysis, _triggers = build_daily_analysis(settings, lake, state, uploads)
        started = time.perf_counter()
        result = analysis.run(day, "manual", missing, force=True)
        wall_ms = (time.perf_counter() - started) * 1000
        if result.status != "succeeded" or result.run_id is None:
            raise RuntimeError(f"daily analysis {result.status}: {result.failed_step} "
                               f"{result.error}")
        steps = {s["step"]: s["duration_ms"] for s in analysis.runner.steps_of(result.run_id)}
        runs.append({"run_id": result.run_id, "wall_ms": round(wall_ms), "steps": steps})
    print(json.dumps({
        "business_date": day.isoformat(), "stores": len(files), "upload_lines": lines,
        "upload_statuses": statuses, "upload_ms": [round(v) for v in upload_ms],
        "missing": missing, "runs": runs, "peak_mb": round(peak_rss_mb())}))


def table(scale: str, seed: int, prep: dict[str, float], r: dict[str, Any]) -> str:
    runs = r["runs"]
    names = list(runs[0]["steps"])
    out = [f"### {scale} (seed {seed}), business date {r['business_date']}", "",
           f"Prepared once: {', '.join(f'{k} {v} s' for k, v in prep.items())}.", "",
           f"Uploads: {r['stores']} stores, {r['upload_lines']:,} POS lines "
           f"({', '.join(f'{n} {k}' for k, n in r['upload_statuses'].items())}); "
           f"{sum(r['upload_ms']) / 1000:.2f} s in total, per store median "
           f"{statistics.median(r['upload_ms']):.0f} ms, max {max(r['upload_ms'])} ms. "
           f"Missing stores: {', '.join(r['missing']) or 'none'}.", "",
           "| step | round 1 ms | median ms (" + f"{len(runs)} rounds) |", "|---|---|---|"]
    for name in names:
        values = [run["steps"][name] for run in runs]
        out.append(f"| {name} | {values[0]:,} | {statistics.median(values):,.0f} |")
    steps_total = [sum(run["steps"].values()) for run in runs]
    walls = [run["wall_ms"] for run in runs]
    out.append(f"| **sum of steps** | **{steps_total[0]:,}** | "
               f"**{statistics.median(steps_total):,.0f}** |")
    out.append(f"| **run() wall** (steps + bookkeeping + alerts) | **{walls[0]:,}** | "
               f"**{statistics.median(walls):,.0f}** |")
    out.append("")
    out.append(f"Peak RSS of the child (uploads + {len(runs)} runs): {r['peak_mb']:,} MB.")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.rounds)
        return
    home = prepare_home(args.scale, args.seed, publish=args.scale != "large")
    prep = json.loads((home / "ready").read_text())
    result = run_child([__file__, "--child", str(home), "--rounds", str(args.rounds)])
    print(json.dumps(result))
    print(f"\n{machine_line()}\n")
    print(table(args.scale, args.seed, prep, result))


if __name__ == "__main__":
    main()
