"""The ``shopsight`` command line: thin commands over the pipeline and systems.

Every command builds Settings once, hands adapters down, and prints results with Rich.
Errors from the exception tree become one red line and a non-zero exit code
(``--debug`` shows the traceback).
"""

from __future__ import annotations

import sys
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from shopsight.cli_errors import cli_settings, cli_state, handle_errors
from shopsight.cli_output import output_console, print_table
from shopsight.config import Settings
from shopsight.errors import InputRejected
from shopsight.logs import get_logger, timed_step

log = get_logger("cli")
app = typer.Typer(
    name="shopsight",
    help="AI analytics for retail and e-commerce sales data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = output_console()
@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    cli_state["debug"] = debug


def _setup() -> Settings:
    return cli_settings()


def _adapters(settings: Settings) -> tuple[Any, Any]:
    from shopsight.lake.store import Lake
    from shopsight.state.store import State

    return (Lake(settings.lake_root, settings.lake_storage_options),
            State(settings.state_database_url))


# -- schema ---------------------------------------------------------------------------


@app.command()
@handle_errors
def schema(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print as Markdown.")] = False,
    table: Annotated[str | None, typer.Argument(help="One table only.")] = None,
) -> None:
    """Show the retail data contract (tables, columns, keys, privacy classes)."""
    from shopsight.schema import TABLES, get_table
    from shopsight.schema.docs import contract_markdown

    tables = [get_table(table)] if table else list(TABLES)  # an unknown name is an error
    if markdown:
        sys.stdout.write(contract_markdown())
        return
    for t in tables:
        print_table(f"{t.name}  (key: {', '.join(t.primary_key)})",
                    ["column", "type", "required", "privacy", "allowed"],
                    [[c.name, c.type.value, "yes" if c.required else "", c.privacy.value,
                      c.range_text] for c in t.columns])


# -- demo data ------------------------------------------------------------------------

Scale = Literal["small", "medium", "large"]


@app.command("demo-data")
@handle_errors
def demo_data(
    scale: Annotated[str, typer.Option(help="small (tests), medium (~1M lines), large "
                                       "(~10M lines).")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 42,
    end_date: Annotated[str, typer.Option(help="Last day of history (YYYY-MM-DD).")] =
    "2026-11-20",
) -> None:
    """Generate realistic demo exports into raw/, with planted truth kept outside the lake."""
    settings = _setup()
    lake, _ = _adapters(settings)
    summary = _generate_demo(settings, lake, scale, seed, end_date)
    console.print(f"[green]demo data[/] ({scale}, seed {seed}) written to "
                  f"{lake.uri('raw')}; truth in {settings.truth_path}")
    print_table("raw files", ["file", "table", "rows", "MB"],
                [[f.key, f.table, f"{f.rows:,}", f"{f.bytes / 1e6:,.1f}"]
                 for f in summary.files])
    truth = ", ".join(f"{name} ({rows:,})" for name, rows in summary.truth.items())
    console.print(f"truth: {truth}", highlight=False, soft_wrap=True)
    console.print(f"store uploads: {summary.uploads} files, {summary.upload_lines:,} lines "
                  f"in {summary.uploads_dir}", highlight=False, soft_wrap=True)


def _generate_demo(settings: Settings, lake: Any, scale: str, seed: int, end_date: str) -> Any:
    from shopsight.demo.export import write_demo_data
    from shopsight.demo.generate import generate_demo_data
    from shopsight.errors import ConfigError

    if scale not in ("small", "medium", "large"):
        raise ConfigError("--scale", f"{scale!r} is not one of small, medium, large")
    if not 0 <= seed < 2**32:
        raise ConfigError("--seed", f"{seed} is not a seed: use a whole number from 0 to "
                          f"{2**32 - 1}")
    try:
        last_day = date.fromisoformat(end_date)
    except ValueError:
        raise ConfigError("--end-date", f"{end_date!r} is not a date (YYYY-MM-DD)") from None
    with console.status(f"generating {scale} demo data..."):
        dataset = generate_demo_data(scale, seed, last_day)  # type: ignore[arg-type]
    with console.status("writing raw files..."):
        return write_demo_data(dataset, lake, settings.truth_path,
                               settings.home / "demo-uploads")


# -- ingest ---------------------------------------------------------------------------


@app.command()
@handle_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders; default: everything in raw/ not ingested yet.")] = None,
    table: Annotated[str | None, typer.Option(help="Contract table of the files.")] = None,
    mapping: Annotated[Path | None, typer.Option(
        help="TOML/YAML mapping of your columns onto the contract.")] = None,
    reread: Annotated[bool, typer.Option(
        help="Read files again whose content was already ingested (after fixing what "
        "their rejected rows needed, such as the customers they reference).")] = False,
) -> None:
    """Ingest files raw → curated: validate, reject, deduplicate, mask, merge.

    Content already ingested is skipped (a file with rejected rows is read again with
    --mapping or --reread). Exit code 3 when a file was rejected whole, failed, or had
    every row rejected."""
    settings = _setup()
    summary = _run_ingest(settings, paths or [], table, mapping, reread)
    _print_summary(summary, skips=bool(paths))
    if any(o.status in ("rejected", "failed") or o.every_row_rejected
           for o in summary.outcomes):
        raise typer.Exit(3)


def _run_ingest(settings: Settings, paths: list[Path], table: str | None,
                mapping_path: Path | None, reread: bool = False) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from shopsight.pipeline.ingest import Ingestor
    from shopsight.pipeline.mappings import load_mapping

    lake, state = _adapters(settings)
    ingestor = Ingestor(lake, state, settings.masking_key)
    mapping = load_mapping(mapping_path) if mapping_path else None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("ingesting", total=None)

        def on_file(outcome: Any) -> None:
            progress.update(task, advance=1, description=f"ingested {outcome.file_key}")

        if paths:
            return ingestor.ingest_paths(paths, table=table, mapping=mapping, on_file=on_file,
                                         reread=reread)
        return ingestor.ingest_raw_zone(on_file=on_file)


def _print_summary(summary: Any, skips: bool = False) -> None:
    """The ingest summary table, then what needs a look: rejected or failed files, rows
    rejected, and (``skips``: files were named) why a named file was skipped."""
    if not summary.outcomes:
        console.print("[dim]nothing to ingest:[/] no file given, and no .csv, .parquet, .txt "
                      "or .tsv file in raw/ (give files or folders: `shopsight ingest PATH`)",
                      highlight=False, soft_wrap=True)
        return
    by_table = summary.by_table()
    removals = any(t["rows_removed"] for t in by_table.values())  # only replacing tables
    counts = ["files", "read", "new", "updated", "unchanged",
              *(["removed"] if removals else []), "dupes", "rejected", "bad files", "skipped"]
    print_table("raw → curated", ["table", *counts], [
        [table, str(t["files"]), f"{t['rows_read']:,}", f"{t['rows_inserted']:,}",
         f"{t['rows_updated']:,}", f"{t['rows_unchanged']:,}",
         *([f"{t['rows_removed']:,}"] if removals else []),
         f"{t['rows_duplicate']:,}", f"{t['rows_rejected']:,}",
         str(t["files_rejected"]), str(t["files_skipped"])]
        for table, t in by_table.items()], right=tuple(counts))
    for o in summary.outcomes:
        if o.status in ("rejected", "failed"):
            console.print(f"[red]{o.status}[/] {o.message}", highlight=False, soft_wrap=True)
        elif o.rows_rejected or o.ignored_columns or o.rows_removed or (
                o.status == "succeeded" and not o.rows_read):
            console.print(f"[yellow]{o.file_key}[/]: {o.message}", highlight=False,
                          soft_wrap=True)
            for line in o.problems[:3]:
                console.print(f"    {line}", highlight=False, soft_wrap=True)
        elif skips and o.status == "skipped":
            console.print(f"[dim]{o.file_key}: {o.message}[/]", highlight=False,
                          soft_wrap=True)


# -- watch ----------------------------------------------------------------------------


@app.command()
@handle_errors
def watch(
    interval: Annotated[float, typer.Option(help="Seconds between scans.")] = 1.0,
    publish_changes: Annotated[bool, typer.Option(
        "--publish/--no-publish", help="Run curated → prod after curated changes.")] = True,
) -> None:
    """Ingest files as they land in raw/ (Ctrl+C to stop)."""
    from shopsight.pipeline.ingest import Ingestor
    from shopsight.pipeline.watch import run_watcher

    settings = _setup()
    lake, state = _adapters(settings)
    stop = threading.Event()

    def on_file(o: Any) -> None:
        colour = {"succeeded": "green", "skipped": "dim"}.get(o.status, "red")
        console.print(f"[{colour}]{o.status}[/] {o.file_key} {o.message}", highlight=False,
                      soft_wrap=True)

    console.print(f"watching {lake.uri('raw')} (Ctrl+C to stop)")
    try:
        run_watcher(Ingestor(lake, state, settings.masking_key), stop, interval, on_file,
                    (lambda: _print_publish(_run_publish(settings, force=False)))
                    if publish_changes else None)
    except KeyboardInterrupt:
        stop.set()


# -- status ---------------------------------------------------------------------------


@app.command()
@handle_errors
def status(limit: Annotated[int, typer.Option(help="How many files.")] = 20) -> None:
    """Show the last ingested files and the curated tables."""
    from shopsight.lake.sql import connect

    settings = _setup()
    lake, state = _adapters(settings)
    print_table("last ingested files",
                ["finished (UTC)", "file", "table", "status", "rows", "rejected", "ms"],
                [[f"{r.finished_at:%Y-%m-%d %H:%M:%S}", r.file_key, r.table_name, r.status,
                  f"{r.rows_inserted + r.rows_updated:,}", f"{r.rows_rejected:,}",
                  str(r.duration_ms)] for r in state.ingest_history(limit)])
    con = connect(lake)
    counts = []
    for (name,) in con.execute("SHOW TABLES").fetchall():
        count = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        counts.append([name, f"{count:,}"])
    print_table("lake tables", ["table", "rows"], counts, right=("rows",))


# -- store uploads -------------------------------------------------------------------

sales_app = typer.Typer(help="Store uploads and the daily analysis (the sales platform).",
                        no_args_is_help=True)
app.add_typer(sales_app, name="sales")


def _store_uploads(settings: Settings) -> Any:
    from shopsight.pipeline.uploads import StoreUploads

    lake, state = _adapters(settings)
    return StoreUploads(lake, state, signing_key=settings.signing_key.get_secret_value(),
                        base_url=settings.public_base_url,
                        ttl_seconds=settings.signed_url_ttl_seconds,
                        expected_stores=settings.expected_store_ids,
                        reporting_currency=settings.reporting_currency)


@sales_app.command("upload-url")
@handle_errors
def sales_upload_url(
    store: Annotated[str, typer.Option(help="Four-digit store id.")],
    business_date: Annotated[str, typer.Option("--date", help="Business date YYYY-MM-DD.")],
) -> None:
    """Print a signed, expiring upload URL for one store and date."""
    settings = _setup()
    ticket = _store_uploads(settings).generate_upload_url(store, _date(business_date))
    console.print(f"PUT {ticket.url}\nexpires {ticket.expires_at:%Y-%m-%d %H:%M:%S} UTC",
                  highlight=False, soft_wrap=True)


@sales_app.command("upload")
@handle_errors
def sales_upload(
    path: Annotated[Path, typer.Argument(help="The store's sales CSV.")],
    store: Annotated[str, typer.Option(help="Four-digit store id.")],
    business_date: Annotated[str, typer.Option("--date", help="Business date YYYY-MM-DD.")],
) -> None:
    """Process one store's daily upload from a local file (as an admin)."""
    settings = _setup()
    if not path.is_file():
        raise InputRejected(str(path), "is a folder, not a file" if path.is_dir() else
                            "does not exist")
    from shopsight.systems.sales.daily_analysis import build_daily_analysis

    uploads = _store_uploads(settings)
    result = uploads.process_upload(store, _date(business_date), path.read_bytes(), path.name)
    colour = "green" if result.status == "processed" else "red"  # the message says which
    console.print(f"[{colour}]{result.message}[/]", highlight=False, soft_wrap=True)
    if result.status != "processed":
        raise typer.Exit(3)
    # check-all-stores, as for an upload through the API: the last store starts the analysis
    triggers = build_daily_analysis(settings, uploads.lake, uploads.state, uploads)[1]
    with console.status(f"checking whether every store reported for {result.business_date}"):
        run = triggers.after_upload(result)
    if run is not None:
        console.print(f"every expected store has reported for {result.business_date}: ",
                      end="", highlight=False)
        _print_run(run)


@sales_app.command("stores")
@handle_errors
def sales_stores(
    business_date: Annotated[str, typer.Option("--date", help="Business date YYYY-MM-DD.")],
) -> None:
    """Which expected stores have reported for a date."""
    settings = _setup()
    check = _store_uploads(settings).check_all_stores(_date(business_date))
    console.print(f"reported: {', '.join(check.reported) or 'none'}\n"
                  f"missing:  {', '.join(check.missing) or 'none'}", highlight=False)


def _sales_data(settings: Settings) -> Any:
    from shopsight.systems.sales.access import SalesData

    lake, state = _adapters(settings)
    return SalesData(lake, state, signing_key=settings.signing_key.get_secret_value(),
                     base_url=settings.public_base_url,
                     ttl_seconds=settings.signed_url_ttl_seconds)


@sales_app.command("files")
@handle_errors
def sales_files(
    prefix: Annotated[str, typer.Option(help="uploads/, processed/, rejected/, reports/ or "
                                        "exports/ (default: all).")] = "",
    date_from: Annotated[str | None, typer.Option(help="First business date.")] = None,
    date_to: Annotated[str | None, typer.Option(help="Last business date.")] = None,
    page: Annotated[int, typer.Option(help="Page number.")] = 1,
    page_size: Annotated[int, typer.Option(help="Files per page (1-500).")] = 50,
) -> None:
    """list-files: the platform's files, newest first, with upload status and reasons."""
    settings = _setup()
    result = _sales_data(settings).list_files(
        prefix, _date(date_from) if date_from else None, _date(date_to) if date_to else None,
        page, page_size)
    print_table(f"files (page {result.page}, {result.total} in all)",
                ["key", "size", "store", "date", "status", "reason"],
                [[f.key, f"{f.size:,}", f.store_id or "", str(f.business_date or ""),
                  f.status or "", (f.reason or "")[:80]] for f in result.items])


@sales_app.command("download-url")
@handle_errors
def sales_download_url(key: Annotated[str, typer.Argument(help="A key from `sales files`.")]
                       ) -> None:
    """generate-download-url: a signed, expiring link to one file."""
    settings = _setup()
    ticket = _sales_data(settings).generate_download_url(key)
    console.print(f"{ticket.url}\nexpires {ticket.expires_at:%Y-%m-%d %H:%M:%S} UTC",
                  highlight=False, soft_wrap=True)


@sales_app.command("analytics")
@handle_errors
def sales_analytics(
    start: Annotated[str, typer.Option(help="First business date.")],
    end: Annotated[str, typer.Option(help="Last business date.")],
    store: Annotated[str | None, typer.Option(help="One store only.")] = None,
    company: Annotated[bool, typer.Option(help="Sum the stores per day.")] = False,
) -> None:
    """get-analytics: daily revenue, transactions and basket per store or company."""
    settings = _setup()
    result = _sales_data(settings).analytics(_date(start), _date(end), store,
                                             "company" if company else "store")
    columns = ["date", "store", "revenue", "transactions", "units", "basket"]
    print_table(f"analytics {result.start} – {result.end} ({settings.reporting_currency})",
                columns,
                [[str(r.business_date), r.store_id, f"{r.revenue:,.2f}", f"{r.transactions:,}",
                  f"{r.units:,}", f"{r.average_basket:,.2f}"] for r in result.rows],
                right=tuple(columns))
    if result.days_without_uploads:
        console.print(result.note, highlight=False, soft_wrap=True, style="dim")


@sales_app.command("trends")
@handle_errors
def sales_trends(
    business_date: Annotated[str, typer.Option("--date", help="Business date YYYY-MM-DD.")],
) -> None:
    """get-trends: the day's changes and what drove them (from the daily report)."""
    settings = _setup()
    insights = _daily_analysis(settings).report(_date(business_date))
    for change in insights.changes:
        pct = "n/a" if change.change_pct is None else f"{change.change_pct:+.1f}%"
        previous = "n/a" if change.previous is None else f"{change.previous:,.0f}"
        days = (f" [{change.current_start}..{change.current_end} vs "
                f"{change.previous_start}..{change.previous_end}]" if change.current_start
                else "")
        console.print(f"{change.label}: {change.current:,.0f} vs {previous} "
                      f"{insights.currency} ({pct}){days}", highlight=False, markup=False)
    if insights.drivers_period:
        console.print(f"What moved: {insights.drivers_period}", highlight=False)
    for d in insights.drivers:
        console.print(f"  {d.dimension} {d.name}: {d.change:+,.0f} {insights.currency} "
                      f"({d.contribution_pct:+.0f}% of the change)", highlight=False)


def _daily_analysis(settings: Settings) -> Any:
    from shopsight.systems.sales.daily_analysis import build_daily_analysis

    uploads = _store_uploads(settings)
    return build_daily_analysis(settings, uploads.lake, uploads.state, uploads)[0]


@sales_app.command("analyze")
@handle_errors
def sales_analyze(
    business_date: Annotated[str, typer.Option("--date", help="Business date YYYY-MM-DD.")],
    force: Annotated[bool, typer.Option(help="Run again even if it already ran.")] = False,
) -> None:
    """Run the daily analysis for a date with the stores that reported."""
    settings = _setup()
    analysis = _daily_analysis(settings)
    day = _date(business_date)
    check = analysis.uploads.check_all_stores(day)
    with console.status(f"daily analysis for {day}..."):
        result = analysis.run(day, "manual", check.missing, force=force)
    _print_run(result)


@sales_app.command("resume")
@handle_errors
def sales_resume(run_id: Annotated[int, typer.Argument(help="Run id of a failed run.")]
                 ) -> None:
    """Resume a failed daily analysis from its failed step."""
    settings = _setup()
    _print_run(_daily_analysis(settings).resume(run_id))


def _print_run(result: Any) -> None:
    colour = {"succeeded": "green", "skipped": "dim"}.get(result.status, "red")
    console.print(f"[{colour}]{result.status}[/] daily analysis {result.business_date} "
                  f"{result.message or ''}{result.error or ''}", highlight=False,
                  soft_wrap=True)
    if result.status == "failed":
        raise typer.Exit(1)


def _demo_day(settings: Settings) -> None:
    """Upload the demo's POS files of its last day, which starts the daily analysis."""
    from shopsight.systems.sales.daily_analysis import build_daily_analysis

    folder = settings.home / "demo-uploads"
    days = sorted(p for p in folder.glob("*") if p.is_dir()) if folder.exists() else []
    if not days:
        return
    uploads = _store_uploads(settings)
    day = date.fromisoformat(days[-1].name)
    if uploads.check_all_stores(day).reported:
        return
    analysis, triggers = build_daily_analysis(settings, uploads.lake, uploads.state, uploads)
    with console.status(f"store uploads and daily analysis for {day}..."):
        for path in sorted(days[-1].glob("store_*.csv")):
            store = path.stem.removeprefix("store_")
            triggers.after_upload(uploads.process_upload(store, day, path.read_bytes(),
                                                         path.name))
    if not analysis.reports(1):
        analysis.run(day, "manual", uploads.check_all_stores(day).missing)
    console.print(f"[green]daily analysis[/] for {day}: report in "
                  f"{uploads.lake.uri(f'reports/{day}/report.html')}", highlight=False,
                  soft_wrap=True)


def _date(text: str) -> date:
    from shopsight.errors import InvalidParameter

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter("date", text, "a date as YYYY-MM-DD") from None


# -- API keys ---------------------------------------------------------------------------

keys_app = typer.Typer(help="API keys for the REST API and dashboard.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _api_keys(settings: Settings) -> Any:
    from shopsight.state.api_keys import ApiKeys

    return ApiKeys(_adapters(settings)[1])


@keys_app.command("create")
@handle_errors
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    role: Annotated[str, typer.Option(help="admin, analyst or store.")] = "analyst",
    store: Annotated[list[str] | None, typer.Option(help="Store id (store keys; repeat).")]
    = None,
    user: Annotated[str | None, typer.Option(help="User id owning conversations.")] = None,
) -> None:
    """Create a key; it is shown once, only its hash is stored."""
    settings = _setup()
    key, info = _api_keys(settings).create(name, role, user, store)
    console.print(f"[green]created[/] {info.role} key {info.key_id} for {info.user_id}\n{key}",
                  highlight=False, soft_wrap=True)


@keys_app.command("list")
@handle_errors
def keys_list() -> None:
    """List keys (never their secrets)."""
    settings = _setup()
    print_table("API keys", ["id", "name", "user", "role", "stores", "created", "revoked"],
                [[k.key_id, k.name, k.user_id, k.role, ",".join(k.store_ids),
                  f"{k.created_at:%Y-%m-%d}", f"{k.revoked_at:%Y-%m-%d}" if k.revoked_at else ""]
                 for k in _api_keys(settings).list()])


@keys_app.command("revoke")
@handle_errors
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id from `keys list`.")]
                ) -> None:
    """Revoke a key immediately."""
    settings = _setup()
    _api_keys(settings).revoke(key_id)
    console.print(f"revoked {key_id}")


# -- the server -------------------------------------------------------------------------


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Processes serving requests (default SHOPSIGHT_API_WORKERS, 1); "
        "one per core uses every core.")] = None,
) -> None:
    """Serve the REST API (OpenAPI at /docs)."""
    from shopsight.api.app import create_app, ensure_port_free, run_server, serve_workers

    settings = _setup()
    ensure_port_free(host, port)
    processes = workers or settings.api_workers
    console.print(f"shopsight API on http://{host}:{port} (docs at /docs)"
                  + (f", {processes} processes" if processes > 1 else ""))
    if processes > 1:
        serve_workers(processes, host, port)
    else:
        run_server(create_app(settings), host, port)


# -- curated -> prod -----------------------------------------------------------------


@app.command()
@handle_errors
def publish(force: Annotated[bool, typer.Option(help="Run even if curated is unchanged.")]
            = False) -> None:
    """Run every system on curated data and write prod/<system>/ tables. A system that
    fails is reported and the others still run; the exit code is then 1."""
    settings = _setup()
    result = _run_publish(settings, force)
    _print_publish(result)
    if any(s.error for s in result.systems):
        raise typer.Exit(1)


@app.command()
@handle_errors
def train() -> None:
    """Retrain every system's models (Demand Insights, Market Intelligence forecasts) on
    curated data and save new versions in the lake; the API loads them on its next
    refresh. A system that cannot train is reported and the others still run."""
    from shopsight.errors import ShopsightError
    from shopsight.lake.models import ModelStore
    from shopsight.systems.demand_insights.service import DemandInsights
    from shopsight.systems.market_intelligence.service import MarketIntelligence

    settings = _setup()
    lake, _ = _adapters(settings)
    rows: list[list[str]] = []
    failures = []
    models = ModelStore.from_settings(lake, settings)
    for system, service in (("demand_insights", DemandInsights(lake, models)),
                            ("market_intelligence", MarketIntelligence(lake, models))):
        with console.status(f"training {system}..."):
            try:
                with timed_step(log, "train", system=system):
                    result = service.train()
            except ShopsightError as exc:
                failures.append(f"{system}: {exc}")
                rows.append([system, f"[red]{exc}[/]", "-"])
                continue
        rows += [[system, model, version] for model, version in result.versions.items()]
    print_table("trained models", ["system", "model", "version"], rows)
    if failures:
        raise typer.Exit(1)


def _run_publish(settings: Settings, force: bool) -> Any:
    from shopsight.lake.models import ModelStore
    from shopsight.notify import notifier_from_settings
    from shopsight.pipeline.publish import (
        conversation_versions,
        copilot_publisher,
        system_publishers,
    )
    from shopsight.pipeline.publish import publish as publish_to_prod

    lake, state = _adapters(settings)
    publishers = {**system_publishers(lake, ModelStore.from_settings(lake, settings),
                                      settings.reporting_currency),
                  "retail_copilot": copilot_publisher(state, settings.conversation_table)}
    with console.status("curated → prod: running the systems..."):
        return publish_to_prod(lake, state, publishers, notifier_from_settings(settings),
                               force=force, own_inputs={"retail_copilot": conversation_versions(
                                   state, settings.conversation_table)})


def _print_publish(result: Any) -> None:
    if result.status == "skipped":
        console.print(f"[dim]prod up to date[/] ({result.message})", highlight=False)
        return
    print_table(f"curated → prod (run {result.run_id})",
                ["system", "tables", "seconds", "status"],
                [[s.system, ", ".join(f"{t} ({n:,})" for t, n in s.tables.items()),
                  f"{s.seconds:.1f}", f"[red]{s.error}[/]" if s.error else "[green]ok[/]"]
                 for s in result.systems])


# -- the systems --------------------------------------------------------------------


def _mount_systems() -> None:
    """Each system brings its own Typer app; imported lazily inside their commands."""
    from shopsight.systems.compliance_guardian.cli import app as compliance_app
    from shopsight.systems.demand_insights.cli import app as demand_app
    from shopsight.systems.market_intelligence.cli import app as market_intelligence_app
    from shopsight.systems.market_pulse.cli import app as market_pulse_app
    from shopsight.systems.retail_copilot.cli import app as copilot_app

    app.add_typer(copilot_app, name="ask",
                  help="Retail Copilot: questions in plain language over the lake.")
    app.add_typer(demand_app, name="demand",
                  help="Demand Insights: segments, forecasts, prices, CLV and churn.")
    app.add_typer(compliance_app, name="compliance",
                  help="Compliance Guardian: payment risk and PCI scans.")
    app.add_typer(market_intelligence_app, name="market-intelligence",
                  help="Market Intelligence Hub: sales forecasts and market trends.")
    app.add_typer(market_pulse_app, name="market-pulse",
                  help="Global Market Pulse: regions and opportunities.")


_mount_systems()


# -- the main job ---------------------------------------------------------------------


@app.command()
@handle_errors
def up(
    scale: Annotated[str, typer.Option(help="Demo data scale when raw/ is empty.")] = "small",
    seed: Annotated[int, typer.Option(help="Demo data seed.")] = 42,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API and "
                                            "dashboard when done.")] = True,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Run the platform on embedded defaults: demo data if raw/ is empty, raw → curated,
    curated → prod, then serve the API and dashboard on 127.0.0.1."""
    settings = _setup()
    if serve_api:  # before any work, and before a new demo key is made and shown
        from shopsight.api.app import ensure_port_free

        ensure_port_free("127.0.0.1", port)
    lake, state = _adapters(settings)
    console.print(f"[bold]shopsight[/] lake: {lake.root}  state: {settings.state_database_url}")
    if not lake.list_files("raw"):
        _generate_demo(settings, lake, scale, seed, "2026-11-20")
        console.print(f"[green]generated[/] {scale} demo data (seed {seed}) in raw/; planted "
                      f"truth in {settings.truth_path}")
    summary = _run_ingest(settings, [], None, None)
    _print_summary(summary)
    _print_publish(_run_publish(settings, force=False))
    _demo_day(settings)
    key = _demo_login(state)
    if not serve_api:  # a key to log in with once it is served (`shopsight serve`)
        console.print("[green]done.[/] Inspect with `shopsight status`; the contract with "
                      "`shopsight schema --markdown`; serve with `shopsight serve`.\n"
                      f"[bold]demo login (admin API key):[/] {key}", highlight=False,
                      soft_wrap=True)
        return
    console.print(f"\n[bold green]shopsight is up:[/] http://127.0.0.1:{port}/  "
                  f"(API docs at /docs)\n[bold]demo login (admin API key):[/] {key}\n"
                  "Ctrl+C to stop.", highlight=False, soft_wrap=True)
    from shopsight.api.app import create_app, run_server

    run_server(create_app(settings, lake=lake, state=state), "127.0.0.1", port)


def _demo_login(state: Any) -> str:
    """A fresh admin key for the local demo; earlier demo keys are revoked."""
    from shopsight.state.api_keys import ApiKeys

    keys = ApiKeys(state)
    for info in keys.list():
        if info.name == "demo-admin" and info.revoked_at is None:
            keys.revoke(info.key_id)
    key, _ = keys.create("demo-admin", "admin", user_id="demo")
    return str(key)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
