"""``shopsight market-pulse``: regional figures and market opportunities.

Thin: parse options, call :class:`MarketPulse`, print. Errors go through the one CLI
error decorator of :mod:`shopsight.cli_errors`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from shopsight.cli_errors import cli_settings as _settings
from shopsight.cli_errors import handle_errors as _errors

app = typer.Typer(name="market-pulse", no_args_is_help=True,
                  help="Regional performance and market opportunities.")



def _service() -> Any:
    from shopsight.lake.store import Lake
    from shopsight.systems.market_pulse.service import MarketPulse

    settings = _settings()
    return MarketPulse(Lake(settings.lake_root, settings.lake_storage_options),
                       settings.reporting_currency)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1%}"


@app.command()
@_errors
def regions(
    by: Annotated[str, typer.Option(help="region or country.")] = "region",
    days: Annotated[int, typer.Option(help="Length of the period in days (1-730).")] = 365,
    as_of: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Revenue, orders, customers, AOV, share and growth by region or country."""
    from rich.table import Table

    from shopsight.cli_output import output_console
    from shopsight.errors import InvalidParameter

    try:
        end = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise InvalidParameter("as_of", as_of, "a date YYYY-MM-DD") from None
    report = _service().regions(by=by, days=days, as_of=end)
    console = output_console()
    if as_json:
        console.print(report.model_dump_json(indent=2), highlight=False, soft_wrap=True)
        return
    grid = Table(title=f"{report.period_start} to {report.period_end}, "
                 f"{report.reporting_currency}", title_justify="left")
    for name in ("market", "revenue", "orders", "AOV", "share", "90d YoY", "30d",
                 "per customer YoY"):
        grid.add_column(name, justify="left" if name == "market" else "right")
    for m in report.markets:
        grid.add_row(m.market if by == "region" else f"{m.market} ({m.region})",
                     f"{m.revenue:,.0f}", f"{m.orders:,}", f"{m.average_order_value:,.2f}",
                     f"{m.share:.1%}", _pct(m.growth_90d_yoy), _pct(m.growth_30d),
                     _pct(m.growth_per_customer_yoy))
    console.print(grid)


@app.command()
@_errors
def opportunities(
    limit: Annotated[int, typer.Option(help="How many (1-200).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ranked (region, category) opportunities and the figures behind each score."""
    from rich.table import Table

    from shopsight.cli_output import output_console

    report = _service().opportunities(limit=limit)
    console = output_console()
    if as_json:
        console.print(report.model_dump_json(indent=2), highlight=False, soft_wrap=True)
        return
    grid = Table(title=f"market opportunities as of {report.as_of} "
                 f"({report.reporting_currency})", title_justify="left")
    for name in ("#", "region", "category", "score", "revenue", "growth", "penetration",
                 "margin"):
        grid.add_column(name)
    for o in report.items:
        grid.add_row(str(o.rank), o.region, o.category, f"{o.score:.1f}", f"{o.revenue:,.0f}",
                     _pct(o.growth), f"{o.penetration_index:.2f}",
                     "n/a" if o.margin is None else f"{o.margin:.1%}")
    console.print(grid)
