"""Demand Insights scale benchmark (issue 4): 1M customers, 10k product series.

    .venv/bin/python bench/demand_bench.py
    .venv/bin/python bench/demand_bench.py --parts rfm,segments --customers 1000000

The demo's large scale has about 230k customers, so the customer side runs on a
synthetic order history generated directly with numpy (seed 7, written once to
``bench/out/demand-<customers>/orders.parquet``):

- ``customers`` customers (default 1,000,000), ids ``C0000000``...; each has a first
  order day uniform over two years ending 2026-11-20, an exponential active lifetime
  (mean 365 days), a Gamma-distributed order rate (mean one order per 40 active days) and
  Poisson repeat orders spread uniformly over the active span; order amounts are a
  per-customer log-normal level (median 60) times per-order log-normal noise. This gives
  a few million orders with the skewed frequency/recency mix the models expect; it is
  not meant to be realistic beyond that.

The pure ``shopsight.analytics`` functions are timed on it, each part in its own child
process (fresh ``ru_maxrss``; the parent only starts children), with fit and scoring
timed separately:

- ``rfm``: ``rfm_features(orders, as_of)``;
- ``segments``: ``RfmSegmenter().fit(rfm)`` (K-Means for k = 3..8, silhouette on a
  sample) and ``segments(rfm)`` (scoring + naming);
- ``clv_btyd``: ``BtydClv().fit`` and ``predict`` (365-day horizon);
- ``clv_forest``: ``ForestClv`` with ``--forest-trees`` trees (default 10; the system
  uses 100, the fit time is extrapolated linearly in the number of trees and labelled so);
- ``churn``: ``ChurnModel().fit`` at ``as_of - 90 d`` and ``predict_proba`` at ``as_of``.

Forecasts use the shared engine ``analytics.forecasting.DailyForecaster`` (LightGBM, one
model per series, ``n_jobs=1``) on synthetic daily series of 730 days (weekly and
yearly seasonality, trend, Poisson noise, a promo flag and a price index):

- ``forecast``: ``fit`` + ``predict(28)`` on ``--series`` series (default 200);
- ``forecast_system``: what Demand Insights does per target, a 3-origin × 28-day
  ``backtest`` and the final ``fit``, on ``--system-series`` series (default 50).

10k series are extrapolated from the per-series time (one core, and two worker
processes on this 2-core machine), and labelled as extrapolations. The engine has no
pooled/global mode (no series id; one model per series), so none is measured.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, machine_line, peak_rss_mb, run_child  # noqa: E402

AS_OF = date(2026, 11, 20)
DAYS = 730
PARTS = ("rfm", "segments", "clv_btyd", "clv_forest", "churn", "forecast", "forecast_system")


def synth_orders(customers: int, seed: int = 7) -> Any:
    """The synthetic order history described in the module docstring."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    first = rng.integers(0, DAYS, customers)
    life = rng.exponential(365.0, customers)
    span = (np.minimum(first + life, DAYS - 1) - first).astype(np.int64)
    rate = rng.gamma(shape=0.6, scale=1 / (40 * 0.6), size=customers)
    counts = 1 + np.minimum(rng.poisson(rate * span), 300)
    cust = np.repeat(np.arange(customers), counts)
    starts = np.cumsum(counts) - counts
    offset = np.floor(rng.random(len(cust)) * (span[cust] + 1)).astype(np.int64)
    offset[starts] = 0
    day = first[cust] + offset
    level = rng.lognormal(np.log(60.0), 0.6, customers)
    amount = np.round(level[cust] * rng.lognormal(0.0, 0.4, len(cust)), 2)
    ids = np.char.add("C", np.char.zfill(np.arange(customers).astype(str), 7))
    start = pd.Timestamp(AS_OF - timedelta(days=DAYS - 1))
    return pd.DataFrame({
        "customer_id": pd.array(ids[cust], dtype="string"),
        "order_date": start + pd.to_timedelta(day, unit="D"),
        "amount": amount,
    })


def synth_series(n: int, seed: int = 11) -> list[Any]:
    """``n`` complete daily frames: date, y (units), price_index, promo."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=DAYS, freq="D")
    t = np.arange(DAYS)
    out = []
    for _ in range(n):
        base = rng.lognormal(1.0, 1.0)
        weekly = 1 + rng.uniform(0, 0.4) * np.sin(2 * np.pi * (t + rng.integers(7)) / 7)
        yearly = 1 + rng.uniform(0, 0.5) * np.sin(2 * np.pi * (t + rng.integers(365)) / 365)
        trend = 1 + rng.uniform(-0.3, 0.3) * t / DAYS
        promo = (rng.random(DAYS) < 0.08).astype(float)
        price_index = 1 - 0.15 * promo + rng.normal(0, 0.02, DAYS)
        mean = base * weekly * yearly * trend * (1 + 0.6 * promo)
        out.append(pd.DataFrame({"date": dates, "y": rng.poisson(mean).astype(float),
                                 "price_index": price_index, "promo": promo}))
    return out


def orders_path(customers: int) -> Path:
    path = OUT / f"demand-{customers}" / "orders.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        synth_orders(customers).to_parquet(path)
    return path


def timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - started, 2)


def run_part(part: str, customers: int, args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    if part.startswith("forecast"):
        return run_forecast(part, args)
    if part == "generate":
        path, seconds = timed(lambda: orders_path(customers))
        return {"generate_s": seconds, "orders": pd.read_parquet(path).shape[0]}
    orders, load_s = timed(lambda: pd.read_parquet(orders_path(customers)))
    result: dict[str, Any] = {"orders": len(orders), "load_s": load_s}
    if part == "rfm":
        from shopsight.analytics.rfm import rfm_features

        rfm, result["features_s"] = timed(lambda: rfm_features(orders, AS_OF))
        result["customers"] = len(rfm)
    elif part == "segments":
        from shopsight.analytics.rfm import rfm_features
        from shopsight.analytics.segmentation import RfmSegmenter

        rfm, result["features_s"] = timed(lambda: rfm_features(orders, AS_OF))
        model, result["fit_s"] = timed(lambda: RfmSegmenter().fit(rfm))
        _, result["predict_s"] = timed(lambda: model.predict(rfm))
        (segments, _), result["score_s"] = timed(lambda: model.segments(rfm))
        result.update(customers=len(rfm), k=model.n_clusters_,
                      silhouette=round(model.silhouette_, 3),
                      segments={s.name: s.customers for s in segments})
    elif part == "clv_btyd":
        from shopsight.analytics.clv import BtydClv

        model, result["fit_s"] = timed(lambda: BtydClv().fit(orders, AS_OF))
        pred, result["score_s"] = timed(lambda: model.predict(orders, AS_OF, 365))
        result.update(customers=len(pred),
                      expected_value_total=round(float(pred["expected_value"].sum())))
    elif part == "clv_forest":
        from shopsight.analytics.clv import ForestClv

        cut = AS_OF - timedelta(days=365)
        model, result["fit_s"] = timed(
            lambda: ForestClv(365, n_estimators=args.forest_trees).fit(orders, cut))
        pred, result["score_s"] = timed(lambda: model.predict(orders, AS_OF, 365))
        result.update(customers=len(pred), trees=args.forest_trees)
    elif part == "churn":
        from shopsight.analytics.churn import ChurnModel

        model, result["fit_s"] = timed(
            lambda: ChurnModel().fit(orders, AS_OF - timedelta(days=90)))
        scored, result["score_s"] = timed(lambda: model.predict_proba(orders, AS_OF))
        result.update(customers=len(scored), mean_probability=round(
            float(scored["churn_probability"].mean()), 3))
    return result


def forecast_chunk(part: str, n: int, seed: int) -> tuple[float, float, float]:
    """Generate ``n`` series and forecast them one by one; (generate, fit, predict) s."""
    from shopsight.analytics.forecasting import DailyForecaster, backtest

    def make() -> DailyForecaster:
        return DailyForecaster(exog=("price_index", "promo"))

    series, gen_s = timed(lambda: synth_series(n, seed))
    fit_s = predict_s = 0.0
    for frame in series:
        if part == "forecast":
            model, s = timed(lambda frame=frame: make().fit(frame))
            fit_s += s
            _, s = timed(lambda model=model: model.predict(28))
            predict_s += s
        else:
            _, s = timed(lambda frame=frame: (backtest(frame, 28, 3, make), make().fit(frame)))
            fit_s += s
    return gen_s, fit_s, predict_s


def run_forecast(part: str, args: argparse.Namespace) -> dict[str, Any]:
    """Forecast ``--series`` series, split over ``--workers`` processes (one LightGBM
    thread each), timed end to end; generation is timed apart and excluded."""
    from concurrent.futures import ProcessPoolExecutor

    n = args.series if part == "forecast" else args.system_series
    workers = max(1, args.workers)
    sizes = [n // workers + (i < n % workers) for i in range(workers)]
    started = time.perf_counter()
    if workers == 1:
        parts = [forecast_chunk(part, n, 11)]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(forecast_chunk, [part] * workers, sizes,
                                  [11 + i for i in range(workers)]))
    wall = time.perf_counter() - started
    gen_s = max(g for g, _, _ in parts)  # generation overlaps across workers
    total = wall - gen_s
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"series": n, "workers": workers, "days": DAYS, "generate_s": round(gen_s, 2),
            "total_s": round(total, 2),
            "fit_s": round(sum(f for _, f, _ in parts), 2),
            "predict_s": round(sum(p for _, _, p in parts), 2),
            "per_series_s": round(total / n, 3), "worker_peak_mb": round(children)}


def child(part: str, customers: int, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    result = run_part(part, customers, args)
    result.update(part=part, seconds=round(time.perf_counter() - started, 2),
                  peak_mb=round(peak_rss_mb()))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--system-series", type=int, default=50)
    parser.add_argument("--forest-trees", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for the forecast parts (each one LightGBM thread)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.customers, args)
        return
    passthrough = ["--customers", str(args.customers), "--series", str(args.series),
                   "--system-series", str(args.system_series),
                   "--forest-trees", str(args.forest_trees), "--workers", str(args.workers)]
    if not (OUT / f"demand-{args.customers}" / "orders.parquet").exists():
        print(json.dumps(run_child([__file__, "--child", "generate", *passthrough])))
    results = []
    for part in args.parts.split(","):
        result = run_child([__file__, "--child", part, *passthrough])
        print(json.dumps(result), flush=True)
        results.append(result)
    (OUT / "demand-results.json").write_text(json.dumps(results, indent=1))
    print(f"\n{machine_line()}\n")
    print(markdown(results))


def markdown(results: list[dict[str, Any]]) -> str:
    """The tables for bench/RESULTS.md."""
    out = ["| part | customers | orders | features s | fit s | scoring s | peak MB | notes |",
           "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r["part"] not in ("rfm", "segments", "clv_btyd", "clv_forest", "churn"):
            continue
        notes = ""
        if r["part"] == "segments":
            notes = f"k = {r['k']}, silhouette {r['silhouette']}; scoring = segments()"
        elif r["part"] == "clv_forest":
            notes = (f"{r['trees']} trees; 100 trees ≈ {r['fit_s'] * 100 / r['trees']:.0f} s "
                     "fit (extrapolated, linear in trees)")
        elif r["part"] == "clv_btyd":
            notes = "fit and predict both rebuild the BTYD summary"
        elif r["part"] == "churn":
            notes = "fit and predict both rebuild the features"
        out.append(f"| {r['part']} | {r['customers']:,} | {r['orders']:,} | "
                   f"{r.get('features_s', '-')} | {r.get('fit_s', '-')} | "
                   f"{r.get('score_s', '-')} | {r['peak_mb']:,} | {notes} |")
    forecasts = [r for r in results if r["part"].startswith("forecast")]
    if forecasts:
        out += ["", "| part | series | processes | wall s (excl. generation) | wall s per "
                "series | fit s (sum) | predict s (sum) | peak MB (parent / worker) |",
                "|---|---|---|---|---|---|---|---|"]
        for r in forecasts:
            out.append(f"| {r['part']} | {r['series']:,} | {r.get('workers', 1)} | "
                       f"{r['total_s']:,} | {r['per_series_s']} | {r['fit_s']:,} | "
                       f"{r['predict_s']:,} | {r['peak_mb']:,} / "
                       f"{r.get('worker_peak_mb', '-')} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
