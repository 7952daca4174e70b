"""``shopsight ask``: ask the Retail Copilot a question, list or show conversations.

Thin: parse options, call :class:`RetailCopilot`, print. Errors go through the one CLI
error decorator of :mod:`shopsight.cli_errors`. sqlglot and DuckDB are imported only when a
command runs, so the CLI starts fast.
"""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from shopsight.cli_errors import cli_settings as _settings
from shopsight.cli_errors import handle_errors as _errors
from shopsight.cli_output import print_text as _print

app = typer.Typer(name="ask", no_args_is_help=True,
                  help="Ask the Retail Copilot about stock, orders, sales and customers.")


def _service() -> Any:
    """The copilot with the same tools as the API's (churn and forecasts from Demand
    Insights, suspicious payments scored by Compliance Guardian), so a question gets the
    same answer on the command line as on the dashboard."""
    from shopsight.lake.models import ModelStore
    from shopsight.lake.store import Lake
    from shopsight.llm import make_llm
    from shopsight.state.store import State
    from shopsight.systems.compliance_guardian.service import ComplianceGuardian
    from shopsight.systems.demand_insights.service import DemandInsights
    from shopsight.systems.retail_copilot.service import RetailCopilot
    from shopsight.systems.retail_copilot.system_tools import SystemTools

    settings = _settings()
    lake = Lake(settings.lake_root, settings.lake_storage_options)
    tools = SystemTools(lake, DemandInsights(lake, ModelStore.from_settings(lake, settings)),
                        ComplianceGuardian(lake))
    return RetailCopilot(lake, State(settings.state_database_url), make_llm(settings), tools,
                         temperature=settings.llm_temperature,
                         max_tokens=settings.llm_max_tokens,
                         conversation_table=settings.conversation_table)


UserOption = Annotated[str, typer.Option("--user", help="User id (default: login name).")]


@app.command("question")
@_errors
def question(
    text: Annotated[list[str], typer.Argument(help="The question, e.g. 'Show me low stock "
                                              "products'.")],
    user: UserOption = "",
    conversation: Annotated[str, typer.Option(help="Continue this conversation.")] = "",
    page: Annotated[int, typer.Option(help="Page of rows.")] = 1,
    page_size: Annotated[int, typer.Option(help="Rows per page, 1-500.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_sql: Annotated[bool, typer.Option("--sql", help="Print the SQL that ran.")] = False,
) -> None:
    """Ask one question (follow-ups: pass --conversation with the id printed)."""
    from rich.table import Table

    from shopsight.cli_output import output_console

    answer = _service().ask(user or getpass.getuser(), " ".join(text),
                            conversation or None, page, page_size)
    if as_json:
        _print(answer.model_dump_json(indent=2))
        return
    _print(answer.answer)
    if answer.data and answer.data.rows:
        grid = Table(title=f"rows {(page - 1) * page_size + 1}-"
                     f"{(page - 1) * page_size + len(answer.data.rows)} of "
                     f"{answer.data.total}", title_justify="left")
        for name in answer.data.columns:
            grid.add_column(name)
        for row in answer.data.rows:
            grid.add_row(*("" if row[c] is None else str(row[c]) for c in answer.data.columns))
        output_console().print(grid)
    if show_sql and (answer.sql or answer.system_call):
        _print(f"[dim]{answer.system_call or ''}\n{answer.sql or ''}[/]")
    for suggestion in answer.suggestions:
        _print(f"  → {suggestion}")
    _print(f"[dim]conversation {answer.conversation_id}, answer #{answer.message_index}, "
           f"{answer.metadata.intent.value}, {answer.metadata.latency_ms} ms[/]")


@app.command()
@_errors
def history(
    conversation: Annotated[str, typer.Argument(help="Show this conversation.")] = "",
    user: UserOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List your conversations, or show one."""
    service = _service()
    who = user or getpass.getuser()
    if conversation:
        conv = service.conversation(who, conversation)
        if as_json:
            _print(conv.model_dump_json(indent=2))
            return
        for i, m in enumerate(conv.messages):
            _print(f"[bold]{i} {m.role}[/] {m.timestamp:%Y-%m-%d %H:%M}: {m.content}")
        return
    items = service.conversations(who)
    if as_json:
        _print("[" + ",".join(c.model_dump_json() for c in items) + "]")
        return
    for c in items:
        _print(f"{c.conversation_id}  {c.updated_at:%Y-%m-%d %H:%M}  {c.messages:>3} "
               f"messages  {c.title}")
    if not items:
        _print("no conversations yet; ask one with: shopsight ask question '...'")
