"""``shopsight compliance``: score a payment, list flagged payments, scan the lake for PCI.

Thin: parse options, call :class:`ComplianceGuardian`, print. Errors go through the one
CLI error decorator of :mod:`shopsight.cli_errors`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

from shopsight.cli_errors import cli_settings as _settings
from shopsight.cli_errors import handle_errors as _errors
from shopsight.cli_output import print_text as _print

app = typer.Typer(name="compliance", no_args_is_help=True,
                  help="Fraud risk of payments and the PCI scan of the lake.")


def _service() -> Any:
    from shopsight.lake.store import Lake
    from shopsight.systems.compliance_guardian.service import ComplianceGuardian

    settings = _settings()
    return ComplianceGuardian(Lake(settings.lake_root, settings.lake_storage_options))


@app.command()
@_errors
def score(payment_id: Annotated[str, typer.Argument(help="Payment id, e.g. PAY-000000042.")],
          as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Risk score (0-100) of one payment and the reasons behind it."""
    risk = _service().score_transaction(payment_id)
    if as_json:
        _print(risk.model_dump_json(indent=2))
        return
    _print(f"{risk.payment_id}: risk {risk.risk_score:.1f} ({risk.risk_level}, "
           f"{risk.scoring_method}) amount {risk.amount:,.2f} {risk.currency} "
           f"status {risk.status}")
    for reason in risk.reasons or ["no rule fired"]:
        _print(f"  - {reason}")


@app.command()
@_errors
def flagged(
    min_score: Annotated[float, typer.Option(help="Lowest risk score, 0-100.")] = 70.0,
    limit: Annotated[int, typer.Option(help="Page size, 1-500.")] = 20,
    offset: Annotated[int, typer.Option(help="Rows to skip.")] = 0,
    since: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="First day paid (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Last day paid (UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Payments at or above a risk score, riskiest first, optionally within a period."""
    from rich.table import Table

    from shopsight.cli_output import output_console

    page = _service().flagged_transactions(
        min_score=min_score, limit=limit, offset=offset,
        since=since.date() if since else None, until=until.date() if until else None)
    if as_json:
        _print(page.model_dump_json(indent=2))
        return
    grid = Table(title=f"{page.total} payments with risk ≥ {page.min_score:g} "
                 f"(showing {page.offset + 1}-{page.offset + len(page.items)})",
                 title_justify="left")
    for name in ("payment", "risk", "amount", "status", "top reason"):
        grid.add_column(name)
    for item in page.items:
        grid.add_row(item.payment_id, f"{item.risk_score:.1f}",
                     f"{item.amount:,.2f} {item.currency}", item.status or "",
                     item.reasons[0] if item.reasons else "")
    output_console().print(grid)


@app.command()
@_errors
def scan(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Scan curated/prod tables and lake files (not raw/) for card numbers, CVVs, SSNs."""
    report = _service().run_scan()
    if as_json:
        _print(json.dumps(report.model_dump(mode="json"), indent=2))
    else:
        _print(f"scanned {report.tables_scanned} tables, {report.files_scanned} files, "
               f"{report.rows_scanned:,} rows: {report.findings_total} findings")
        for f in report.findings:
            where = f"{f.location}" + (f" column {f.column}" if f.column and f.table is None
                                       else "") + (f" row {f.row}" if f.row else "")
            _print(f"  [red]{f.kind}[/] {where}: {f.sample} — {f.detail}")
    if not report.clean:
        raise typer.Exit(5)
