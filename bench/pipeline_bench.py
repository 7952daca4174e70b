"""raw → curated benchmark: shopsight next to a DuckDB floor and a pandas baseline.

    .venv/bin/python bench/pipeline_bench.py --scale medium --repeat 5
    .venv/bin/python bench/pipeline_bench.py --scale large --repeat 3

Each variant runs in its own process on the same raw files (generated once per scale and
seed under bench/out/), so peak memory (max RSS) is measured per variant:

- floor:     DuckDB reads every raw file and writes it as Parquet, no checks at all;
- shopsight: the real pipeline (validate, reject, dedupe, mask, merge into Delta) over a
             fresh lake whose raw/ links to the same files (set up before the clock starts);
- pandas:    a straightforward pandas version of the same validate/dedupe/mask step, the
             way the seeds' Lambda functions did it (read_csv, to_numeric/to_datetime,
             drop_duplicates, hashlib per value, to_parquet).

Prints one JSON line per variant and a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from common import OUT, machine_line, peak_rss_mb, raw_base, run_child


def prepare(scale: str, seed: int) -> Path:
    """Generate the demo raw files once per scale/seed; returns the lake with raw/."""
    base = OUT / f"{scale}-{seed}"
    lake = base / "lake"
    if not (base / "ready").exists():
        shutil.rmtree(base, ignore_errors=True)
        from shopsight.demo.export import write_demo_data
        from shopsight.demo.generate import generate_demo_data
        from shopsight.lake.store import Lake

        started = time.perf_counter()
        dataset = generate_demo_data(scale, seed)  # type: ignore[arg-type]
        write_demo_data(dataset, Lake(str(lake)), base / "truth", base / "uploads")
        (base / "ready").write_text(f"{time.perf_counter() - started:.1f}s\n")
    return lake


def raw_files(lake: Path) -> list[Path]:
    return sorted(p for p in (lake / "raw").rglob("*") if p.suffix in (".csv", ".parquet"))


def run_floor(lake: Path, work: Path) -> int:
    import duckdb

    con = duckdb.connect()
    rows = 0
    for i, path in enumerate(raw_files(lake)):
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        con.execute(f"COPY (SELECT * FROM {reader}('{path}')) TO '{work}/{i}.parquet' "
                    "(FORMAT parquet)")
        rows += con.execute(f"SELECT count(*) FROM '{work}/{i}.parquet'").fetchall()[0][0]
    return int(rows)


def setup_shopsight(lake: Path, work: Path) -> None:
    """The raw files in a fresh lake, as hard links: nothing is copied (raw/ is never
    written to) and the files are read from the same page cache as the floor's."""
    shutil.copytree(lake / "raw", work / "lake" / "raw", copy_function=os.link)


def run_shopsight(_lake: Path, work: Path) -> int:
    from shopsight.lake.store import Lake
    from shopsight.pipeline.ingest import Ingestor
    from shopsight.state.store import State

    ingestor = Ingestor(Lake(str(work / "lake")), State(f"sqlite:///{work}/state.db"),
                        "bench-key")
    summary = ingestor.ingest_raw_zone()
    return sum(o.rows_read for o in summary.outcomes)


def run_pandas(lake: Path, work: Path) -> int:
    import hashlib

    import pandas as pd

    from shopsight.pipeline.ingest import table_of_key
    from shopsight.schema.model import ColumnType, Masking

    rows = 0
    for i, path in enumerate(raw_files(lake)):
        table = table_of_key(str(path.relative_to(lake)))
        if table is None:
            continue
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path).astype("string")
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                                na_values=["", "\\N", "NULL"], on_bad_lines="skip")
        rows += len(frame)
        bad = pd.Series(False, index=frame.index)
        for col in table.columns:
            if col.name not in frame:
                continue
            values = frame[col.name]
            if col.type in (ColumnType.INTEGER, ColumnType.FLOAT, ColumnType.MONEY):
                typed = pd.to_numeric(values, errors="coerce")
            elif col.type in (ColumnType.DATE, ColumnType.TIMESTAMP):
                typed = pd.to_datetime(values, errors="coerce", format="mixed")
            else:
                typed = values
            bad |= values.notna() & typed.isna()
            if col.required:
                bad |= values.isna()
            if col.allowed:
                bad |= typed.notna() & ~typed.isin(col.allowed)
            if col.minimum is not None:
                bad |= typed < col.minimum
            frame[col.name] = typed
        good = frame[~bad]
        if table.version_column and table.version_column in good:
            good = good.sort_values(table.version_column)
        good = good.drop_duplicates(subset=list(table.primary_key), keep="last")
        for col in table.columns:
            if col.name not in good:
                continue
            if col.masking is Masking.DROP:
                good = good.drop(columns=[col.name])
            elif col.masking in (Masking.PSEUDONYMISE, Masking.PAN):
                good[col.name] = good[col.name].map(
                    lambda v: None if pd.isna(v) else
                    hashlib.sha256(f"bench-key{v}".encode()).hexdigest()[:24])
        good.to_parquet(work / f"{i}.parquet")
    return rows


VARIANTS = {"floor": run_floor, "shopsight": run_shopsight, "pandas": run_pandas}


SETUP = {"shopsight": setup_shopsight}


def child(variant: str, lake: Path, work: Path) -> None:
    if variant in SETUP:
        SETUP[variant](lake, work)
    started = time.perf_counter()
    rows = VARIANTS[variant](lake, work)
    seconds = time.perf_counter() - started
    print(json.dumps({"variant": variant, "rows": rows, "seconds": round(seconds, 2),
                      "rows_per_second": round(rows / seconds),
                      "peak_mb": round(peak_rss_mb())}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--variants", default="floor,shopsight,pandas")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of all variants, interleaved; the median is reported")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, lake, work = args.child.split("|")
        child(variant, Path(lake), Path(work))
        return
    if args.prepare_only:
        prepare(args.scale, args.seed)
        return
    lake = raw_base(args.scale, args.seed) / "lake"  # generated in a child process
    variants = args.variants.split(",")
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(args.repeat):  # interleaved, so a slow spell of the machine hits all
        for variant in variants:
            result = run_variant(variant, lake)
            print(json.dumps(result))
            runs[variant].append(result)
    results = [median_run(v, runs[v]) for v in variants]
    floor = next((r for r in results if r["variant"] == "floor"), None)
    print(f"\n{args.scale} (seed {args.seed}), {machine_line()}, "
          f"median of {args.repeat} run(s)\n")
    print("| variant | rows | seconds | rows/s | × floor | peak MB |")
    print("|---|---|---|---|---|---|")
    for r in results:
        ratio = f"{r['seconds'] / floor['seconds']:.1f}" if floor else "-"
        print(f"| {r['variant']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_second']:,} | "
              f"{ratio} | {r['peak_mb']:,} |")
    if args.repeat > 1 and floor:
        ratios = [s["seconds"] / f["seconds"] for f, s in
                  zip(runs["floor"], runs.get("shopsight", []), strict=False)]
        if ratios:
            print(f"\nshopsight ÷ floor per round: {', '.join(f'{r:.2f}' for r in ratios)}")


def run_variant(variant: str, lake: Path) -> dict[str, Any]:
    """One variant in a fresh process (peak memory is its own) on a fresh work folder."""
    work = OUT / f"run-{variant}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result = run_child([__file__, "--child", f"{variant}|{lake}|{work}"])
    shutil.rmtree(work, ignore_errors=True)
    return result


def median_run(variant: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median time of a variant's runs, with the highest peak memory seen."""
    seconds = statistics.median(r["seconds"] for r in runs)
    return {"variant": variant, "rows": int(runs[0]["rows"]), "seconds": round(seconds, 2),
            "rows_per_second": round(runs[0]["rows"] / seconds),
            "peak_mb": max(int(r["peak_mb"]) for r in runs)}


if __name__ == "__main__":
    main()
