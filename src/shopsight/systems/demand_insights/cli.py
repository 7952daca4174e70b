"""``shopsight demand``: segments, forecasts, elasticity, pricing, CLV, churn, training.

Thin: parse options, call :class:`DemandInsights`, print a Rich table (or JSON). Errors
go through the one CLI error decorator of :mod:`shopsight.cli_errors`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shopsight.cli_errors import cli_settings as _settings
from shopsight.cli_errors import handle_errors as _errors
from shopsight.cli_output import print_result as _print

app = typer.Typer(name="demand", no_args_is_help=True,
                  help="Demand Insights: segments, forecasts, prices, CLV and churn.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CustomersOpt = Annotated[list[str] | None, typer.Option(
    "--customer", help="Customer id (repeatable); default all.")]


def _service() -> Any:
    from shopsight.lake.models import ModelStore
    from shopsight.lake.store import Lake
    from shopsight.systems.demand_insights.service import DemandInsights

    settings = _settings()
    lake = Lake(settings.lake_root, settings.lake_storage_options)
    return DemandInsights(lake, ModelStore.from_settings(lake, settings))


# request fields whose command-line option has another name
_OPTIONS = {"forecast_days": "--days", "category_id": "--category", "customer_ids": "--customer"}


def _request(model: Any, **values: Any) -> Any:
    """Build a request model; pydantic range errors become InvalidParameter, named as
    the option the user typed (``--days``, not ``forecast_days``)."""
    from pydantic import ValidationError

    from shopsight.errors import InvalidParameter

    try:
        return model(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "request"
        option = _OPTIONS.get(field, "--" + field.replace("_", "-"))
        expected = str(err["msg"]).removeprefix("Input should be ").removeprefix("Value error, ")
        raise InvalidParameter(option, err.get("input"), expected) from None


@app.command()
@_errors
def segments(
    n_clusters: Annotated[int | None, typer.Option(help="Segments (2-12); default by "
                                                   "silhouette.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """RFM customer segments with names, sizes and revenue shares."""
    from shopsight.systems.demand_insights.models import SegmentsRequest

    r = _service().segments(_request(SegmentsRequest, n_clusters=n_clusters))
    _print(r, as_json, f"{r.n_clusters} segments of {r.customers} customers, as of {r.as_of}",
           ["segment", "customers", "revenue share", "recency (d)", "orders", "spend USD"],
           [[s.name, f"{s.customers:,}", f"{s.revenue_share:.1%}", f"{s.recency_days:.0f}",
             f"{s.frequency:.1f}", f"{s.monetary:,.0f}"] for s in r.segments])


@app.command()
@_errors
def forecast(
    product_id: Annotated[str | None, typer.Option(help="Product id.")] = None,
    category: Annotated[str | None, typer.Option(help="Category.")] = None,
    days: Annotated[int, typer.Option(help="Days ahead (1-365).")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Daily demand forecast with intervals and the backtest against seasonal naive."""
    from shopsight.systems.demand_insights.models import ForecastRequest

    r = _service().forecast(_request(ForecastRequest, product_id=product_id,
                                     category_id=category, forecast_days=days))
    b = r.backtest
    _print(r, as_json, f"{r.target}: WAPE {b.wape:.1%} (seasonal naive {b.naive_wape:.1%}), "
           f"MASE {b.mase:.2f} ({b.naive_mase:.2f}); forecast by "
           f"{'the model' if r.method == 'lightgbm' else 'seasonal naive (the model lost)'}",
           ["date", "units", "90% interval"],
           [[str(p.date), f"{p.units:,.1f}", f"{p.lower:,.1f} - {p.upper:,.1f}"]
            for p in r.forecast])


@app.command()
@_errors
def elasticity(
    product_id: Annotated[str | None, typer.Option(help="Product id.")] = None,
    category: Annotated[str | None, typer.Option(help="Category; default all.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Price elasticity per category (or of one product) with 95% intervals."""
    from shopsight.systems.demand_insights.models import ElasticityRequest

    r = _service().price_elasticity(_request(ElasticityRequest, product_id=product_id,
                                             category=category))
    _print(r, as_json, "price elasticity of units", ["target", "elasticity", "95% CI", "n",
                                                     "pseudo R2", "p"],
           [[e.target, f"{e.elasticity:+.2f}", f"{e.ci_low:+.2f} .. {e.ci_high:+.2f}",
             f"{e.n_observations:,}", f"{e.r_squared:.2f}", f"{e.p_value:.1e}"]
            for e in r.estimates])


@app.command("optimize-price")
@_errors
def optimize_price(
    product_id: Annotated[str, typer.Option(help="Product id.")],
    current_price: Annotated[float, typer.Option(help="Current price (> 0).")],
    current_quantity: Annotated[float, typer.Option(help="Units per period now.")],
    cost_per_unit: Annotated[float, typer.Option(help="Unit cost (>= 0).")],
    elasticity_value: Annotated[float | None, typer.Option(
        "--elasticity", help="Elasticity; default estimated.")] = None,
    max_change: Annotated[float, typer.Option(help="Max relative change (0-1).")] = 0.2,
    as_json: JsonOpt = False,
) -> None:
    """Profit-maximising price within the allowed change."""
    from shopsight.systems.demand_insights.models import PriceOptimizationRequest

    r = _service().price_optimization(_request(
        PriceOptimizationRequest, product_id=product_id, current_price=current_price,
        current_quantity=current_quantity, cost_per_unit=cost_per_unit,
        elasticity=elasticity_value, max_change=max_change))
    _print(r, as_json, f"{r.status}: {r.message}", ["", "price", "quantity", "revenue",
                                                     "profit"],
           [[label, f"{s.price:,.2f}", f"{s.quantity:,.1f}", f"{s.revenue:,.2f}",
             f"{s.profit:,.2f}"] for label, s in (("current", r.current),
                                                  ("recommended", r.recommended))])


@app.command()
@_errors
def clv(
    customer: CustomersOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Days ahead (30-1825).")] = 365,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Customer lifetime value (USD), expected purchases and P(alive)."""
    from shopsight.systems.demand_insights.models import ClvRequest

    r = _service().clv(_request(ClvRequest, customer_ids=customer or None,
                                horizon_days=horizon_days))
    top = sorted(r.customers, key=lambda c: -c.expected_value)[:limit]
    _print(r, as_json, f"CLV over {r.horizon_days} days ({r.method}), total "
           f"{r.total_expected_value:,.0f} USD", ["customer", "purchases", "value", "P(alive)"],
           [[c.customer_id, f"{c.expected_purchases:.2f}", f"{c.expected_value:,.2f}",
             "n/a" if c.probability_alive is None else f"{c.probability_alive:.2f}"]
            for c in top])


@app.command()
@_errors
def churn(
    customer: CustomersOpt = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Churn probability and risk level per customer."""
    from shopsight.systems.demand_insights.models import ChurnRequest

    r = _service().churn(_request(ChurnRequest, customer_ids=customer or None))
    rows = sorted(r.customers, key=lambda c: -(c.churn_probability or 0))[:limit]
    _print(r, as_json, f"churn = {r.churn_definition}; holdout ROC AUC "
           f"{r.evaluation.roc_auc:.3f}, PR AUC {r.evaluation.pr_auc:.3f}",
           ["customer", "probability", "risk", "recency (d)", "orders"],
           [[c.customer_id, "n/a" if c.churn_probability is None
             else f"{c.churn_probability:.2f}", c.risk_level, str(c.recency_days),
             str(c.frequency)] for c in rows])


@app.command("at-risk")
@_errors
def at_risk(
    threshold: Annotated[float, typer.Option(help="Churn probability above (0-1).")] = 0.6,
    limit: Annotated[int, typer.Option(help="How many (1-10000).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Customers likely to churn, largest value at risk first."""
    from shopsight.systems.demand_insights.models import AtRiskRequest

    r = _service().at_risk_customers(_request(AtRiskRequest, threshold=threshold,
                                              limit=limit))
    _print(r, as_json, f"{r.total_at_risk} customers above {r.threshold:.2f}, "
           f"{r.total_value_at_risk:,.0f} USD at risk",
           ["customer", "churn", "CLV", "value at risk", "recency (d)"],
           [[c.customer_id, f"{c.churn_probability:.2f}", f"{c.clv:,.2f}",
             f"{c.value_at_risk:,.2f}", str(c.recency_days)] for c in r.customers])


@app.command()
@_errors
def train(as_json: JsonOpt = False) -> None:
    """Retrain every Demand Insights model and save it in the lake."""
    r = _service().train()
    _print(r, as_json, "trained models", ["model", "version"],
           [[k, v] for k, v in r.versions.items()])
