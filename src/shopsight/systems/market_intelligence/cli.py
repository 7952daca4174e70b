"""``shopsight market-intelligence``: forecasts, trends, movers, change points, training.

Thin: parse options, call :class:`MarketIntelligence`, print a Rich table (or JSON).
Errors go through the one CLI error decorator of :mod:`shopsight.cli_errors`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shopsight.cli_errors import cli_settings as _settings
from shopsight.cli_errors import handle_errors as _errors
from shopsight.cli_output import print_result as _print

app = typer.Typer(name="market-intelligence", no_args_is_help=True,
                  help="Market Intelligence Hub: sales forecasts and market trends.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
LevelOpt = Annotated[str, typer.Option(help="company, region, channel or category.")]
KeyOpt = Annotated[str | None, typer.Option(help="Region, channel or category name.")]
MetricOpt = Annotated[str, typer.Option(help="revenue (USD) or units.")]


def _service() -> Any:
    from shopsight.lake.models import ModelStore
    from shopsight.lake.store import Lake
    from shopsight.systems.market_intelligence.service import MarketIntelligence

    settings = _settings()
    lake = Lake(settings.lake_root, settings.lake_storage_options)
    return MarketIntelligence(lake, ModelStore.from_settings(lake, settings))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1%}"


@app.command()
@_errors
def forecast(
    level: LevelOpt = "company",
    key: KeyOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Days ahead (1-365).")] = 30,
    metric: MetricOpt = "revenue",
    as_json: JsonOpt = False,
) -> None:
    """Daily forecast with 90% intervals and the backtest against seasonal naive."""
    r = _service().forecast(level, key, horizon_days, metric)
    bt = r.backtest
    trained = " (model trained now)" if r.model.model_trained_now else ""
    title = (f"{r.level} {r.key} {r.metric} ({r.unit}), total {r.total:,.0f}; backtest WAPE "
             f"{bt.wape:.3f} vs seasonal naive {bt.naive_wape:.3f}, MASE {bt.mase:.2f} vs "
             f"{bt.naive_mase:.2f}; forecast by "
             f"{'the model' if r.method == 'lightgbm' else 'seasonal naive (the model lost)'}"
             f"{trained}")
    _print(r, as_json, title, ["date", "forecast", "lower", "upper"],
           [[p.date.isoformat(), f"{p.value:,.1f}", f"{p.lower:,.1f}", f"{p.upper:,.1f}"]
            for p in r.points])


@app.command()
@_errors
def trends(
    level: LevelOpt = "region",
    window: Annotated[list[int] | None, typer.Option(
        help="Window in days (1-365, repeatable); default 7, 28, 90, 365.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Growth over several windows (revenue, per active customer) and seasonal peaks."""
    r = _service().trends(level, window)
    rows = []
    for k in r.keys:
        peak = k.seasonality.peak_weeks[0] if k.seasonality.peak_weeks else None
        for g in k.growth:
            rows.append([k.key, str(g.window_days), f"{g.revenue:,.0f}",
                         _pct(g.revenue_growth_pop), _pct(g.revenue_growth_yoy),
                         _pct(g.per_customer_growth_yoy),
                         f"{peak.week_start} x{peak.yearly_factor:.2f}" if peak else "n/a"])
    _print(r, as_json, f"{r.level} trends as of {r.as_of} ({r.currency})",
           ["key", "days", "revenue", "vs prior", "vs year ago", "per customer YoY",
            "seasonal peak"], rows)


@app.command()
@_errors
def movers(
    level: Annotated[str, typer.Option(help="region, channel, category or all.")] = "all",
    days: Annotated[int, typer.Option(help="Window in days (1-365).")] = 28,
    limit: Annotated[int, typer.Option(help="Risers and fallers each (1-50).")] = 5,
    measure: Annotated[str, typer.Option(help="revenue_growth_yoy, revenue_growth_pop, "
                                         "units_growth_yoy, units_growth_pop or "
                                         "per_customer_growth_yoy.")] = "revenue_growth_yoy",
    as_json: JsonOpt = False,
) -> None:
    """Top risers and fallers among regions, channels and categories."""
    r = _service().movers(level, days, limit, measure)
    rows = [[direction, str(m.rank), m.level, m.key, _pct(m.growth), f"{m.revenue:,.0f}"]
            for direction, items in (("riser", r.risers), ("faller", r.fallers))
            for m in items]
    _print(r, as_json, f"movers {r.period_start} to {r.period_end} by {r.measure}",
           ["", "#", "level", "key", "growth", "revenue"], rows)


@app.command("change-points")
@_errors
def change_points(
    level: LevelOpt = "company",
    key: Annotated[str | None, typer.Option(help="One key; default every key.")] = None,
    metric: MetricOpt = "revenue",
    as_json: JsonOpt = False,
) -> None:
    """Dated breaks in the level or growth of weekly sales."""
    r = _service().change_points(level, key, metric)
    rows = [[s.key, c.date.isoformat(), f"{c.level_before:,.0f}", f"{c.level_after:,.0f}",
             _pct(c.level_change)] for s in r.series for c in s.change_points]
    _print(r, as_json, f"{r.level} {r.metric} change points ({len(rows)})",
           ["key", "week of", "before", "after", "change"], rows)


@app.command()
@_errors
def train(
    level: Annotated[list[str] | None, typer.Option(
        help="Level to train (repeatable); default all.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Retrain and store every forecast model (backtests included)."""
    r = _service().train(level)
    rows = [[name, version, f"{r.metrics.get(name + '.wape', float('nan')):.3f}",
             f"{r.metrics.get(name + '.naive_wape', float('nan')):.3f}"]
            for name, version in r.versions.items()]
    _print(r, as_json, f"{len(rows)} models trained", ["model", "version", "WAPE",
                                                        "naive WAPE"], rows)
