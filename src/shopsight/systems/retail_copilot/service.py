"""The Retail Copilot facade: plain-language questions about the lake, answered (18.1-18.8).

``RetailCopilot(lake, state, llm, tools=None)`` answers with the offline planner when it
recognises the question (no key, no network), and otherwise, when an LLM is configured,
with text-to-SQL: a schema prompt from the contract (no PCI columns), up to three good
examples rated by users, and up to three repairs that feed the DuckDB error back. Every
statement goes through :mod:`.sql_safety`. Churn, forecasts and suspicious payments are
asked of a :class:`Tools` object so the real systems can be plugged in (18.7); the
built-in :class:`SqlTools` answers with simple SQL rules meanwhile.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from shopsight.errors import InvalidParameter, NotFound, UnsafeQuery
from shopsight.lake.store import Lake
from shopsight.llm.base import Llm, Message
from shopsight.schema import TABLES, Privacy
from shopsight.state.store import State, utc_now
from shopsight.systems.demand_insights.models import AT_RISK_THRESHOLD
from shopsight.systems.retail_copilot import planner as P
from shopsight.systems.retail_copilot.conversations import (
    DEFAULT_CONVERSATION_TABLE,
    ConversationStore,
)
from shopsight.systems.retail_copilot.models import (
    MAX_PAGE_SIZE,
    AnswerMetadata,
    ChartSpec,
    ChatMessage,
    Conversation,
    ConversationSummary,
    CopilotAnswer,
    Intent,
    QueryType,
    RatingResult,
    RowsPage,
)
from shopsight.systems.retail_copilot.sql_safety import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_S,
    QueryResult,
    open_connection,
    run_query,
)

MAX_REPAIRS = 3
FLAGGED_LIST_LIMIT = 500  # flagged payments listed when the question names no number

# ---------------------------------------------------------------------------------------
# tools (18.7)


class Tools(Protocol):
    """What the copilot asks of the other systems; rows are JSON-friendly dicts."""

    name: str

    def churn_risk(self, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Customers likely to churn, at most ``limit`` (riskiest or most valuable first,
        as the tool ranks them), and how many are likely to churn in all."""
        ...

    def forecast(self, product_id: str, days: int) -> list[dict[str, Any]]:
        """Daily demand forecast (``date``, ``forecast_units``) for the next ``days``."""
        ...

    def flagged_payments(self, since: date, limit: int,
                         until: date | None = None) -> tuple[list[dict[str, Any]], int]:
        """Suspicious payments from ``since`` (to ``until``), most suspicious first, at
        most ``limit`` of them, and how many were flagged in all."""
        ...


class SqlTools:
    """Built-in fallback tools on the lake: recency churn, seasonal-naive forecast, rules.

    - churn: :func:`planner.churn_sql` (silence / usual gap between orders);
    - forecast: each weekday's mean units over the last ``weeks`` weeks, repeated;
    - flagged payments: billing/IP country mismatch, >= 3 attempts per card token within
      an hour, or a decline.
    """

    name = "builtin_sql"

    def __init__(self, lake: Lake, *, weeks: int = 4,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.lake = lake
        self.weeks = weeks
        self.timeout_s = timeout_s
        self.last_sql: str | None = None

    def _run(self, tree: Any, max_rows: int = DEFAULT_MAX_ROWS) -> QueryResult:
        con = open_connection(self.lake)
        try:
            result = run_query(con, tree.sql(dialect="duckdb"), max_rows=max_rows,
                               timeout_s=self.timeout_s)
        finally:
            con.close()
        self.last_sql = result.sql
        return result

    def _today(self) -> date:
        con = open_connection(self.lake)
        try:
            return latest_order_date(con)
        finally:
            con.close()

    def churn_risk(self, limit: int) -> tuple[list[dict[str, Any]], int]:
        """See :func:`planner.churn_sql`."""
        today = self._today()
        total = self._run(P.churn_count_sql(today)).records()[0]["customers"]
        return self._run(P.churn_sql(limit, today)).records(), int(total)

    def forecast(self, product_id: str, days: int) -> list[dict[str, Any]]:
        """Seasonal-naive (weekly) forecast from the last ``weeks`` weeks of sales."""
        today = self._today()
        start = today - timedelta(days=7 * self.weeks - 1)
        history = {r["day"]: float(r["units"]) for r in self._run(
            P.daily_units_sql(product_id, start, today)).records()}
        by_weekday: dict[int, list[float]] = {i: [] for i in range(7)}
        for offset in range(7 * self.weeks):
            day = start + timedelta(days=offset)
            by_weekday[day.weekday()].append(history.get(day, 0.0))
        means = {wd: sum(v) / len(v) for wd, v in by_weekday.items()}
        return [{"date": today + timedelta(days=i),
                 "forecast_units": round(means[(today + timedelta(days=i)).weekday()], 2)}
                for i in range(1, days + 1)]

    def flagged_payments(self, since: date, limit: int,
                         until: date | None = None) -> tuple[list[dict[str, Any]], int]:
        """See :func:`planner.flagged_payments_sql`."""
        rows = self._run(P.flagged_payments_sql(since, until, limit),
                         max_rows=max(limit, 1)).records()
        total = int(rows[0][P.FLAGGED_TOTAL]) if rows else 0
        return [{k: v for k, v in r.items() if k != P.FLAGGED_TOTAL} for r in rows], total


def latest_order_date(con: Any) -> date:
    """The data's "today": the latest order date in the lake."""
    import duckdb

    tree = P.exp_max_order_date()
    try:
        value = run_query(con, tree.sql(dialect="duckdb"), max_rows=1).rows[0][0]
    except duckdb.CatalogException:  # no curated orders table yet
        value = None
    if value is None:
        raise NotFound("table", "orders", "ingest an orders export first (shopsight ingest)")
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# ---------------------------------------------------------------------------------------
# answers


@dataclass
class _Draft:
    """An answer before paging and storing."""

    text: str
    intent: Intent
    query_type: QueryType
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    chart: ChartSpec | None = None
    sql: str | None = None
    system_call: str | None = None
    suggestions: list[str] = field(default_factory=list)
    tool: str | None = None
    planner: Literal["offline", "llm", "none"] = "offline"
    repairs: int = 0
    period: P.Period | None = None
    entities: P.Entities | None = None
    pick: dict[str, Any] | None = None  # the row the answer names, when not the first


DATA_ENDS = "The data ends on"


def _during(period: P.Period) -> str:
    """When, as words after a verb: "in October 2026", but "last week (...)", "yesterday"."""
    bare = period.label.startswith(("last ", "this ", "yesterday", "today"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period.label):
        return f"on {period.label}"
    return period.label if bare else f"in {period.label}"


_PICKED_FIRST = {Intent.TOP_PRODUCTS: "product_id", Intent.TOP_CUSTOMERS: "customer_id",
                 Intent.CHURN: "customer_id", Intent.SUSPICIOUS_PAYMENTS: "order_id",
                 Intent.LOW_STOCK: "product_id", Intent.ANOMALIES: "store_id",
                 Intent.SALES: "store_id", Intent.REVENUE_TREND: "store_id"}


def _picks(intent: Intent, draft: _Draft) -> dict[str, str] | None:
    """What "that store", "the first one" or "its" refer to next: the ids of the row the
    answer names (a ranking's first, or the one its text names), its main id first."""
    row = draft.pick or (draft.rows[0] if draft.rows and intent in _PICKED_FIRST else None)
    if row is None:  # not a ranking: the answer's subject ("forecast SKU-00019")
        ent = draft.entities
        subject = {key: value for key in ("product_id", "customer_id", "order_id", "store_id")
                   if ent is not None and (value := getattr(ent, key)) is not None}
        return subject or None
    ids = {key: str(row[key]) for key in ("store_id", "product_id", "customer_id", "order_id",
                                          "category") if row.get(key) is not None}
    if "store_id" not in ids and re.fullmatch(r"\d{4}", str(row.get("location_id") or "")):
        ids["store_id"] = str(row["location_id"])  # a store's stock (warehouses are no store)
    main = _PICKED_FIRST[intent] if intent in _PICKED_FIRST and _PICKED_FIRST[intent] in ids \
        else next(iter(ids), None)
    if main is None:
        return None
    return {main: ids.pop(main), **ids}


def _named(period: P.Period) -> str:
    """A period's label without the dates it may end with, for text that adds them."""
    return period.label.removesuffix(f" ({period.start} to {period.end})")


def _money(value: Any) -> str:
    return f"${float(value or 0):,.2f}"


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):+.1f}%"


def schema_prompt() -> str:
    """The contract as the LLM sees it: tables, non-PCI columns, types, descriptions."""
    lines = ["DuckDB tables (read-only):"]
    for table in TABLES:
        lines.append(f"\n{table.name}: {table.description}")
        descriptions = {c.name: c.description for c in table.columns}
        for name, kind, privacy in table.curated_columns:
            if privacy is Privacy.PCI:
                continue
            text = descriptions.get(name, "keyed token of the card, safe to join on")
            lines.append(f"  - {name} {kind.duckdb}: {text}")
    return "\n".join(lines)


SYSTEM_PROMPT = """You write one DuckDB SELECT query that answers a retail analyst's question.
Rules: a single read-only SELECT (WITH and UNION allowed); only the tables and columns below;
no file readers or table functions; never card_number, card_holder, card_expiry or cvv;
no SELECT * on payments. Amounts are in each order's currency. Orders with status
cancelled, returned or refunded are not sales. "Today" is {today}, the latest order date.
Reply with the SQL only, in a ```sql block.

{schema}"""


def extract_sql(reply: str) -> str:
    """The SQL in an LLM reply: the first fenced block, else the whole text."""
    m = re.search(r"```(?:sql|duckdb)?\s*(.*?)```", reply, re.S | re.I)
    return (m.group(1) if m else reply).strip()


class RetailCopilot:
    """Ask questions, keep conversations, learn from ratings."""

    def __init__(self, lake: Lake, state: State, llm: Llm, tools: Tools | None = None, *,
                 temperature: float = 0.0, max_tokens: int = 2000,
                 max_rows: int = DEFAULT_MAX_ROWS, timeout_s: float = DEFAULT_TIMEOUT_S,
                 clock: Callable[[], datetime] = utc_now,
                 conversation_table: str = DEFAULT_CONVERSATION_TABLE) -> None:
        self.lake = lake
        self.state = state
        self.llm = llm
        self.tools: Tools = tools or SqlTools(lake, timeout_s=timeout_s)
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self.clock = clock
        self.store = ConversationStore(state, table_name=conversation_table)

    # conversations --------------------------------------------------------------------

    def conversations(self, user_id: str) -> list[ConversationSummary]:
        """The user's live conversations, most recent first."""
        return self.store.summaries(user_id, now=self.clock())

    def conversation(self, user_id: str, conversation_id: str) -> Conversation:
        """One of the user's conversations (NotFound for anyone else's)."""
        return self.store.get(user_id, conversation_id, now=self.clock())

    def delete_conversation(self, user_id: str, conversation_id: str) -> None:
        """Delete one of the user's conversations (NotFound for anyone else's)."""
        self.store.get(user_id, conversation_id, now=self.clock())
        self.store.delete(user_id, conversation_id)

    def rate(self, user_id: str, conversation_id: str, message_index: int,
             rating: Literal["good", "bad"]) -> RatingResult:
        """Rate an answer; a good answer's question/SQL pair becomes an example."""
        if rating not in ("good", "bad"):
            raise InvalidParameter("rating", rating, "'good' or 'bad'")
        conversation = self.store.get(user_id, conversation_id, now=self.clock())
        messages = conversation.messages
        if not 0 <= message_index < len(messages) or messages[message_index].role != \
                "assistant":
            answers = [i for i, m in enumerate(messages) if m.role == "assistant"]
            raise InvalidParameter("message_index", message_index,
                                   f"the index of an answer: {answers}")
        _, message = self.store.set_message_metadata(
            user_id, conversation_id, message_index, {"rating": rating})
        stored = False
        sql = message.metadata.get("sql")
        question = next((m.content for m in reversed(messages[:message_index])
                         if m.role == "user"), "")
        if rating == "good" and sql and question:
            stored = self.store.add_example(question, str(sql), user_id=user_id,
                                            conversation_id=conversation_id)
        return RatingResult(conversation_id=conversation_id, message_index=message_index,
                            rating=rating, stored_example=stored)

    # asking ---------------------------------------------------------------------------

    def ask(self, user_id: str, question: str, conversation_id: str | None = None,
            page: int = 1, page_size: int = 50) -> CopilotAnswer:
        """Answer ``question`` for ``user_id``, continuing ``conversation_id`` if given.

        Raises :class:`UnsafeQuery` (after recording the refusal in the conversation)
        when the only SQL on offer breaks a safety rule.
        """
        started = time.perf_counter()
        question = question.strip()
        if not question or len(question) > 2000:
            raise InvalidParameter("question", question[:40], "1 to 2000 characters")
        if page < 1:
            raise InvalidParameter("page", page, "1 or more")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidParameter("page_size", page_size, f"1 to {MAX_PAGE_SIZE}")
        now = self.clock()
        conversation = (self.store.get(user_id, conversation_id, now=now) if conversation_id
                        else self.store.create(user_id, now=now))
        asked = ChatMessage(role="user", content=question, timestamp=now)
        con = open_connection(self.lake)
        try:
            catalog = self._catalog(con)
            previous = self._previous_plan(conversation)
            plan = P.plan_question(question, catalog, previous)
            try:
                if plan.intent is Intent.UNSUPPORTED and self.llm.available:
                    draft = self._text_to_sql(con, question, catalog)
                else:
                    draft = self._answer_plan(con, plan, catalog)
                    said = any(DATA_ENDS in m.content for m in conversation.messages)
                    if draft.period is not None and (now.date() - catalog.today).days > 1 \
                            and not said and re.search(
                                r"\b(today|yesterday|this|last|past|previous|ago|to date|mtd|"
                                r"ytd|wtd|qtd)\b", question, re.I):  # once a conversation
                        draft.text += (f" ({DATA_ENDS} {catalog.today}, so 'today' and the "
                                       "dates relative to it are counted from that day.)")
            except UnsafeQuery as exc:
                refusal = ChatMessage(
                    role="assistant", content=f"I refused to run that query: {exc.reason}",
                    timestamp=self.clock(), metadata={"query_type": "refused",
                                                      "has_data": False})
                self.store.append(conversation, asked, refusal, now=self.clock())
                raise
        finally:
            con.close()
        return self._finish(conversation, asked, question, draft, page, page_size, started)

    def _finish(self, conversation: Conversation, asked: ChatMessage, question: str,
                draft: _Draft, page: int, page_size: int, started: float) -> CopilotAnswer:
        latency = int((time.perf_counter() - started) * 1000)
        meta = AnswerMetadata(
            query_type=draft.query_type, intent=draft.intent, latency_ms=latency,
            planner=draft.planner, llm_provider=self.llm.name, tool=draft.tool,
            repairs=draft.repairs,
            period_start=draft.period.start if draft.period else None,
            period_end=draft.period.end if draft.period else None,
            entities=draft.entities.to_json() if draft.entities else {})
        data = None
        if draft.columns:
            lo = (page - 1) * page_size
            data = RowsPage(columns=draft.columns, rows=draft.rows[lo:lo + page_size],
                            page=page, page_size=page_size, total=len(draft.rows),
                            truncated=draft.truncated)
        stored_meta: dict[str, Any] = {
            "query_type": draft.query_type, "intent": draft.intent.value,
            "has_data": bool(draft.rows), "rows": len(draft.rows), "planner": draft.planner,
            "latency_ms": latency,
        }
        if draft.sql:
            stored_meta["sql"] = draft.sql
        if draft.system_call:
            stored_meta["system_call"] = draft.system_call
        if draft.tool:
            stored_meta["tool"] = draft.tool
        if draft.entities is not None and draft.intent not in (Intent.FREE_SQL,):
            stored_meta["plan"] = {"intent": draft.intent.value,
                                   "entities": draft.entities.to_json()}
        reply = ChatMessage(role="assistant", content=draft.text, timestamp=self.clock(),
                            metadata=stored_meta)
        updated = self.store.append(conversation, asked, reply, now=self.clock())
        return CopilotAnswer(
            conversation_id=updated.conversation_id,
            message_index=len(updated.messages) - 1, question=question, answer=draft.text,
            data=data, chart=draft.chart, sql=draft.sql, system_call=draft.system_call,
            suggestions=draft.suggestions, metadata=meta)

    def _catalog(self, con: Any) -> P.Catalog:
        today = latest_order_date(con)
        categories = tuple(r[0] for r in self._run(con, P.categories_sql()).rows if r[0])
        rows = self._run(con, P.stores_sql()).rows
        stores = {str(r[0]): f"{r[1]}, {r[2] or ''}".rstrip(", ") for r in rows}
        places: dict[str, tuple[str, str]] = {}
        for _, _, city, region, country in rows:
            if country:
                places.update((name, ("country", country)) for name in P.country_names(country))
            if region:
                places[str(region).lower()] = ("region", region)
            if city:
                places[str(city).lower()] = ("city", city)
        for alias, name in P.PLACE_ALIASES.items():
            if name in places:
                places.setdefault(alias, places[name])
        first = self._run(con, P.first_order_date_sql()).rows[0][0]
        brands = tuple(r[0] for r in self._run(con, P.categories_sql("brand")).rows if r[0])
        codes = tuple(str(r[0]) for r in self._run(con, P.promo_codes_sql()).rows if r[0])
        return P.Catalog(today=today, categories=categories, stores=stores, places=places,
                         first_day=first if isinstance(first, date) else None, brands=brands,
                         promo_codes=codes)

    @staticmethod
    def _previous_plan(conversation: Conversation) -> P.Plan | None:
        for message in reversed(conversation.messages):
            plan = message.metadata.get("plan") if message.role == "assistant" else None
            if plan and plan["intent"] not in (Intent.CLARIFY.value, Intent.UNSUPPORTED.value):
                # (a question back or a refusal: the conversation goes on from the last answer)
                return P.Plan(Intent(plan["intent"]), P.Entities.from_json(plan["entities"]))
        return None

    def _run(self, con: Any, tree: Any) -> QueryResult:
        return run_query(con, tree.sql(dialect="duckdb"), max_rows=self.max_rows,
                         timeout_s=self.timeout_s)

    # offline plans --------------------------------------------------------------------

    def _answer_plan(self, con: Any, plan: P.Plan, catalog: P.Catalog) -> _Draft:
        ent = plan.entities
        if plan.intent is Intent.CLARIFY:
            return _Draft(plan.message, Intent.CLARIFY, "clarification", entities=ent,
                          planner="none", suggestions=_examples(catalog))
        if plan.intent is Intent.UNSUPPORTED:
            return _Draft(plan.message, Intent.UNSUPPORTED, "unsupported", planner="none",
                          suggestions=_examples(catalog))
        handler = {
            Intent.LOW_STOCK: self._low_stock,
            Intent.ORDER_STATUS: self._order_status,
            Intent.SALES: self._sales,
            Intent.TOP_PRODUCTS: self._top_products,
            Intent.TOP_CUSTOMERS: self._top_customers,
            Intent.CUSTOMER_COUNT: self._customer_count,
            Intent.CUSTOMER_SUMMARY: self._customer,
            Intent.RECOMMENDATIONS: self._recommendations,
            Intent.REVENUE_TREND: self._trend,
            Intent.CHURN: self._churn,
            Intent.FORECAST: self._forecast,
            Intent.SUSPICIOUS_PAYMENTS: self._suspicious,
            Intent.ANOMALIES: self._anomalies,
        }[plan.intent]
        draft = handler(con, ent, catalog)
        draft.entities = ent
        ent.picks = _picks(plan.intent, draft)
        return draft

    def _sql_draft(self, con: Any, intent: Intent, tree: Any, text: Callable[
            [QueryResult], str]) -> _Draft:
        result = self._run(con, tree)
        return _Draft(text(result), intent, "data_query", columns=result.columns,
                      rows=result.records(), truncated=result.truncated, sql=result.sql)

    def _low_stock(self, con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        where = P.scope_text(ent)
        as_of = P.stock_as_of(ent, catalog.today)
        if as_of is not None:
            first, last = self._run(con, P.snapshot_range_sql()).rows[0]
            if first is None or as_of < first:
                return _Draft(
                    f"There is no inventory snapshot on or before {as_of}: the snapshots "
                    f"go from {first} to {last}. Ask about a day in that range.",
                    Intent.LOW_STOCK, "data_query", columns=[], rows=[])
        last_day = "" if as_of is None or ent.period is None or ent.period.days == 1 else \
            f", the last day of {ent.period.label}"
        snapshot = "the latest inventory snapshot" if as_of is None else \
            f"the snapshot of {as_of}{last_day}"

        def stockouts(r: QueryResult) -> str:
            recs = r.records()
            if not recs:
                return f"Nothing is out of stock{where} in {snapshot}."
            per_location: dict[str, int] = {}
            for x in recs:
                per_location[x["location_id"]] = per_location.get(x["location_id"], 0) + 1
            most = max(sorted(per_location), key=lambda k: per_location[k])
            return (f"{_count(len(recs), 'product')} out of stock (nothing on hand){where} "
                    f"in the snapshot of {recs[0]['snapshot_date']}{last_day}, at "
                    f"{_count(len(per_location), 'location')}; the most at {most} "
                    f"({per_location[most]}).")

        def levels(r: QueryResult) -> str:
            recs = r.records()
            if not recs:
                return f"No stock is recorded{where} in {snapshot}."
            low = [x for x in recs if x["reorder_point"] is not None
                   and x["on_hand"] is not None and x["on_hand"] < x["reorder_point"]]
            return (f"Stock{where} in the snapshot of {recs[0]['snapshot_date']}: "
                    f"{sum(int(x['on_hand'] or 0) for x in recs):,} on hand at "
                    f"{_count(len(recs), 'location')}, {len(low)} of them below the reorder "
                    "point" + (": " + ", ".join(f"{x['location_id']} ({x['on_hand']} vs "
                                                f"{x['reorder_point']})" for x in low[:10])
                               if low else "") + ".")

        def text(r: QueryResult) -> str:
            if ent.stockout:
                return stockouts(r)
            if ent.levels:
                return levels(r)
            if not r.rows:
                return f"No products are below their reorder point{where} in {snapshot}."
            recs = r.records()
            worst = recs[0]
            pairs = int(worst.get("rows_in_all") or len(recs))
            out = sum(1 for x in recs if (x["on_hand"] or 0) <= 0)
            head = (f"{pairs} product/location pairs are below their reorder point{where} "
                    f"in the snapshot of {worst['snapshot_date']}{last_day}")
            if len(recs) < pairs:  # "top 10 low stock products"
                return (f"{head}. The {len(recs)} largest shortfalls: " + "; ".join(
                    f"{x['product_id']} at {x['location_id']} ({x['on_hand']} vs "
                    f"{x['reorder_point']})" for x in recs[:10])
                    + ("; …" if len(recs) > 10 else "")
                    + f". {out} of these {len(recs)} {'is' if out == 1 else 'are'} out of "
                    "stock.")
            return (f"{head}, across {_count(len({x['location_id'] for x in recs}), 'location')}"
                    f". Largest shortfall: {worst['product_id']} ({worst['name']}) at "
                    f"{worst['location_id']}: {worst['on_hand']} on hand vs reorder point "
                    f"{worst['reorder_point']}."
                    + (f" {out} of them {'is' if out == 1 else 'are'} out of stock (nothing "
                       "on hand)." if out else ""))

        draft = self._sql_draft(con, Intent.LOW_STOCK, P.low_stock_sql(ent, as_of), text)
        first = ent.store_id or next(iter(catalog.stores), "0001")
        draft.suggestions = [f"And for store {first if not ent.store_id else '0001'}?",
                             "Top 10 products by units this month",
                             "Forecast demand for "
                             f"{draft.rows[0]['product_id'] if draft.rows else 'SKU-00001'}"
                             " next 30 days"]
        return draft

    def _order_status(self, con: Any, ent: P.Entities, _catalog: P.Catalog) -> _Draft:
        def text(r: QueryResult) -> str:
            if not r.rows:
                return f"I couldn't find order {ent.order_id}. Check the id (format " \
                       "ORD-000000001)."
            o = r.records()[0]
            where = f"store {o['store_id']}" if o["store_id"] else f"the {o['channel']} shop"
            return (f"Order {o['order_id']} is {o['status']}. It was placed on "
                    f"{o['order_date']} at {where}: {o['lines']} lines, {o['units']} units, "
                    f"{o['total_amount']:,.2f} {o['currency']}; payment "
                    f"{o['payment_status'] or 'not recorded'}.")

        draft = self._sql_draft(con, Intent.ORDER_STATUS, P.order_status_sql(ent), text)
        cust = draft.rows[0]["customer_id"] if draft.rows else None
        draft.suggestions = ([f"Tell me about customer {cust}",
                              f"Recommend products for customer {cust}"] if cust else []) + [
            "Any suspicious payments yesterday?"]
        return draft

    def _sales(self, con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        period = ent.period or P.default_period(catalog.today)
        previous = ent.versus or period.previous()
        ent.period = period
        dim = ent.dimension or "total"
        dim_words = dim.replace("_", " ")  # "promo code"
        scope = P.scope_text(ent)
        what = f"{ent.status.capitalize()} orders" if ent.status else "Sales"

        named: dict[str, dict[str, Any]] = {}  # the row a ranking's answer names

        def order_value(revenue: Any, orders: Any) -> str:
            return _money(float(revenue or 0) / orders) if orders else "n/a"

        def text(r: QueryResult) -> str:
            recs = r.records()
            if dim == "total":
                t = recs[0] if recs else {}
                if ent.metric == "order_value":
                    before = order_value(t.get("previous_revenue"), t.get("previous_orders"))
                    return (f"Average order value{scope} for {period.label}: "
                            f"{order_value(t.get('revenue'), t.get('orders'))} "
                            f"({_money(t.get('revenue'))} over {t.get('orders', 0)} orders), "
                            f"against {before} in {_named(previous)} ({previous.start} to "
                            f"{previous.end}).")
                units = (f"{t['units']:,} units, " if ent.metric == "units"
                         and t.get("units") is not None else "")
                return (f"{what}{scope} for {period.label}: {units}{t.get('orders', 0)} orders, "
                        f"{_money(t.get('revenue'))}, {_pct(t.get('change_pct'))} vs "
                        f"{_named(previous)} ({previous.start} to {previous.end}: "
                        f"{_money(t.get('previous_revenue'))}).")
            # web and app orders have no store: they are not ranked among stores or places
            key = "store_id" if dim == "store" else dim
            ranked = [x for x in recs if dim not in ("store", "region", "country")
                      or x.get(key) is not None]
            storeless_rows = [x for x in recs if dim in ("store", "region", "country")
                              and x.get(key) is None]
            if ent.metric == "order_value":
                values = sorted(((float(x["revenue"] or 0) / x["orders"], _dim_label(dim, x))
                                 for x in ranked if x["orders"]), reverse=True)
                listed = ", ".join(f"{label} {_money(v)}" for v, label in values[:12])
                return (f"Average order value by {dim_words}{scope} for {period.label}: {listed}"
                        f"{' ...' if len(values) > 12 else ''}.")
            total = sum(float(x["revenue"] or 0) for x in recs)
            prev_total = sum(float(x["previous_revenue"] or 0) for x in recs)
            change = (total - prev_total) / prev_total * 100 if prev_total else None
            word = "Lowest" if ent.direction == "bottom" else "Highest"
            if ent.metric in ("orders", "units") and ranked and ent.metric in ranked[0]:
                ranked = sorted(ranked, key=lambda x: float(x[ent.metric] or 0), reverse=True)
                most = ranked[-1] if ent.direction == "bottom" else ranked[0]
                named["row"] = most
                return (f"{what} by {dim_words}{scope} for {period.label}: {word} {ent.metric}: "
                        f"{_dim_label(dim, most)} with {most[ent.metric]:,} {ent.metric} "
                        f"({_money(most['revenue'])}); {_money(total)} in total.")
            if ent.metric == "growth":  # ranked by the change against the period before
                ranked = sorted((x for x in ranked if x["change_pct"] is not None),
                                key=lambda x: float(x["change_pct"]))
                ranked.reverse()
                word = "Fastest growth"
            pick = (ranked[-1] if ent.direction == "bottom" else ranked[0]) if ranked else None
            if ent.metric == "growth" and ent.direction == "bottom" and pick:
                word = ("Steepest decline" if float(pick["change_pct"]) < 0
                        else "Weakest growth")
            storeless = sum(float(x["revenue"] or 0) for x in storeless_rows)
            head = (f"{what} by {dim_words}{scope} for {period.label}: {_money(total)} in total"
                    + (f" ({_money(storeless)} of it online, with no store)"
                       if storeless else "")
                    + f", {_pct(change)} vs {_named(previous)} ({previous.start} to "
                    f"{previous.end}, {_money(prev_total)}).")
            if pick is None:
                return head
            named["row"] = pick
            answer = (f"{head} {word}: {_dim_label(dim, pick)} with "
                      f"{_money(pick['revenue'])} ({_pct(pick['change_pct'])}).")
            if ent.metric == "growth":  # "which stores are down": every one of them
                falling = ent.direction == "bottom"
                moved = [x for x in (reversed(ranked) if falling else ranked)
                         if (float(x["change_pct"]) < 0) == falling
                         and float(x["change_pct"]) != 0]
                listed = ", ".join(f"{_dim_label(dim, x)} ({_pct(x['change_pct'])})"
                                   for x in moved[:12])
                answer += (f" {'Down' if falling else 'Up'}: {len(moved)} of {len(ranked)}"
                           + (f": {listed}{' ...' if len(moved) > 12 else ''}." if moved
                              else "."))
            return answer

        def noted(r: QueryResult) -> str:
            partial = catalog.first_day is not None and previous.start < catalog.first_day
            return text(r) + (f" Note: the data starts on {catalog.first_day}, so "
                              f"{previous.label} is only partly covered." if partial else "")

        draft = self._sql_draft(con, Intent.SALES, P.sales_sql(ent, period, previous), noted)
        draft.pick = named.get("row")
        draft.period = period
        if dim != "total":
            x = "product_id" if dim == "product" else (
                "store_id" if dim == "store" else dim)
            draft.chart = ChartSpec(mark="bar", x=x, y="revenue", title=f"Revenue by {dim_words}")
        store = "0003" if ent.store_id != "0003" else "0001"
        draft.suggestions = [f"And for store {store}?", "Sales by category last month",
                             "Revenue trend by week over the last 12 weeks"]
        return draft

    def _top_products(self, con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        period, word, scope = _ranking(ent, catalog)
        n = ent.top_n or P.DEFAULT_TOP_N
        metric = "units" if ent.metric == "units" else "revenue"

        def text(r: QueryResult) -> str:
            recs = r.records()
            if not recs:
                return f"No products{scope} sold in {period.label}."
            first = recs[0]
            value = first["units"] if metric == "units" else _money(first["revenue"])
            unsold = (" Products of the catalogue that sold nothing count as 0."
                      if P.includes_unsold(ent) else "")
            return (f"{word} {len(recs)} products{scope} by {metric} for {period.label}. "
                    f"#1 is {first['product_id']} ({first['name']}) with {value} "
                    f"({first['units']} units, {_money(first['revenue'])}).{unsold}")

        draft = self._sql_draft(con, Intent.TOP_PRODUCTS, P.top_products_sql(ent, period),
                                text)
        draft.period = period
        draft.chart = ChartSpec(mark="bar", x="product_id", y=metric,
                                title=f"{word} {n} products by {metric}")
        sku = draft.rows[0]["product_id"] if draft.rows else "SKU-00001"
        draft.suggestions = [f"Forecast demand for {sku} next 30 days",
                             f"{'Top' if word == 'Bottom' else 'Bottom'} {n} products"
                             f"{scope} {period.label.split(' (')[0]}",
                             "Show me low stock products"]
        return draft

    def _top_customers(self, con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        period, word, scope = _ranking(ent, catalog)

        def text(r: QueryResult) -> str:
            recs = r.records()
            if not recs:
                return f"No customer{scope} bought anything in {period.label}."
            first = recs[0]
            by = "orders" if ent.metric == "orders" else "spend"
            return (f"{word} {len(recs)} customers{scope} by {by} for {period.label} "
                    f"(USD, guest orders left out). #1 is {first['customer_id']} with "
                    f"{_money(first['revenue'])} over {first['orders']} orders, the last on "
                    f"{first['last_order']}.")

        draft = self._sql_draft(con, Intent.TOP_CUSTOMERS, P.top_customers_sql(ent, period),
                                text)
        draft.period = period
        draft.chart = ChartSpec(mark="bar", x="customer_id", y="revenue",
                                title=f"{word} customers by spend")
        best = draft.rows[0]["customer_id"] if draft.rows else "C0000881"
        draft.suggestions = [f"Tell me about customer {best}",
                             f"Recommend products for customer {best}",
                             "Which customers are likely to churn?"]
        return draft

    def _customer_count(self, con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        grain = ent.grain
        period = ent.period or P.default_period(catalog.today, 84 if grain else
                                                P.DEFAULT_PERIOD_DAYS)
        ent.period = period
        places = P.places_of(ent)
        scope = P.scope_text(replace(ent, place=None, places=None)) + (
            " living in " + " and ".join(P.country_label(value) if kind == "country" else value
                                         for kind, value in places) if places else "")

        def text(r: QueryResult) -> str:
            recs = r.records()
            if grain is not None:
                if not recs:
                    return f"No customer signed up or bought{scope} in {period.label}."
                buyers = [int(x["buying_customers"] or 0) for x in recs]
                head = (f"Customers{scope} by {grain} for {period.label}: "
                        f"{_count(len(recs), grain)}, from {min(buyers):,} to "
                        f"{max(buyers):,} buying customers a {grain}")
                if "signed_up" in recs[0]:
                    return (f"{head}; {sum(int(x['signed_up'] or 0) for x in recs):,} sign-ups "
                            f"and {sum(int(x['first_time_buyers'] or 0) for x in recs):,} "
                            "first-time buyers in all.")
                return head + "."
            c = recs[0]
            if "customers_on_record" not in c:
                return (f"{c['buying_customers']:,} customers bought{scope} {_during(period)} "
                        "(sales, guest orders left out); sign-ups have no store or channel, "
                        "so they are not counted for one.")
            when = _during(period)
            return (f"{c['customers_on_record']:,} customers{scope} on record. "
                    f"{when[0].upper()}{when[1:]}: {c['signed_up']:,} signed up, "
                    f"{c['first_time_buyers']:,} bought for the first time, and "
                    f"{c['buying_customers']:,} customers bought (sales, guest orders left "
                    "out).")

        draft = self._sql_draft(con, Intent.CUSTOMER_COUNT,
                                P.customer_count_sql(ent, period, grain), text)
        draft.period = period
        if grain is not None:
            draft.chart = ChartSpec(mark="line", x=grain, y="buying_customers",
                                    title=f"Buying customers by {grain}")
        draft.suggestions = ["New customers by month this year", "Top 10 customers this month",
                             "Which customers are likely to churn?"]
        return draft

    def _customer(self, con: Any, ent: P.Entities, _catalog: P.Catalog) -> _Draft:
        def text(r: QueryResult) -> str:
            if not r.rows:
                return f"I couldn't find customer {ent.customer_id}."
            c = r.records()[0]
            who = (f"Customer {c['customer_id']} ({c['first_name'] or 'no name'}, "
                   f"{c['city'] or '?'}, {c['country'] or '?'})")
            average = (f" (an average of {_money(c['average_order_usd'])} an order)"
                       if c["orders"] else "")
            if ent.period is not None:
                return (f"{who} placed {_count(c['orders'], 'order')} worth "
                        f"{_money(c['revenue_usd'])}"
                        f"{average} {_during(ent.period)}"
                        + (f", the last on {c['last_order']}." if c["orders"] else "."))
            if not c["orders"]:
                return (f"{who} has no orders (as sales) yet; home store "
                        f"{c['home_store_id'] or 'none'}.")
            return (f"{who} has {_count(c['orders'], 'order')} worth "
                    f"{_money(c['revenue_usd'])}{average} "
                    f"since {c['first_order']}; last order on {c['last_order']}; home store "
                    f"{c['home_store_id'] or 'none'}.")

        draft = self._sql_draft(con, Intent.CUSTOMER_SUMMARY, P.customer_summary_sql(ent),
                                text)
        draft.suggestions = [f"Recommend products for customer {ent.customer_id}",
                             "Which customers are likely to churn?"]
        return draft

    def _recommendations(self, con: Any, ent: P.Entities, _catalog: P.Catalog) -> _Draft:
        def text(r: QueryResult) -> str:
            recs = r.records()
            if not recs:
                return (f"I have no recommendations for {ent.customer_id}: no purchases "
                        "found for this customer, or nothing they don't already own.")
            names = ", ".join(f"{x['product_id']} ({x['name']})" for x in recs[:3])
            return (f"For customer {ent.customer_id} I recommend {names}: products bought "
                    f"by the most customers who bought the same things "
                    f"({recs[0]['co_buyers']} co-buyers for the first), excluding what "
                    "they already own.")

        draft = self._sql_draft(con, Intent.RECOMMENDATIONS, P.recommendations_sql(ent),
                                text)
        draft.chart = ChartSpec(mark="bar", x="product_id", y="co_buyers",
                                title="Co-purchase strength")
        draft.suggestions = [f"Tell me about customer {ent.customer_id}",
                             "Which customers are likely to churn?"]
        return draft

    def _trend(self, con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        period = ent.period or P.default_period(catalog.today, 84)
        ent.period = period
        grain = ent.grain or ("day" if period.days <= 31 else
                              "week" if period.days <= 190 else "month")
        ent.grain = grain

        def text(r: QueryResult) -> str:
            recs = r.records()
            if not recs:
                return f"No sales in {period.label}."
            total = sum(float(x["revenue"] or 0) for x in recs)
            partial = {str(x[grain]): days for x in recs
                       if (days := _days_in_period(grain, x[grain], period)) is not None}
            whole = [x for x in recs if str(x[grain]) not in partial] or recs
            best = max(whole, key=lambda x: float(x["revenue"] or 0))
            worst = min(whole, key=lambda x: float(x["revenue"] or 0))
            caveat = "".join(f" The {grain} of {b} is partial ({d[0]} of its {d[1]} days "
                             "are in the period)." for b, d in partial.items())
            return (f"Revenue by {grain}{P.scope_text(ent)} for {period.label}: "
                    f"{_money(total)} over "
                    f"{len(recs)} {grain}s; the best {'whole ' if partial else ''}{grain} "
                    f"was {best[grain]} with {_money(best['revenue'])}"
                    + (f", the weakest {worst[grain]} with {_money(worst['revenue'])}"
                       if len(whole) > 1 else "") + f".{caveat}")

        draft = self._sql_draft(con, Intent.REVENUE_TREND,
                                P.revenue_trend_sql(ent, period, grain), text)
        draft.period = period
        draft.chart = ChartSpec(mark="line", x=grain, y="revenue",
                                title=f"Revenue by {grain}")
        draft.suggestions = ["Sales by store last week compared with the week before",
                             "Top 10 products this month"]
        return draft

    def _tool_draft(self, intent: Intent, call: str, rows: list[dict[str, Any]],
                    text: str) -> _Draft:
        columns = list(rows[0]) if rows else []
        sql = getattr(self.tools, "last_sql", None)
        return _Draft(text, intent, "tool_call", columns=columns, rows=rows,
                      system_call=call, tool=f"{self.tools.name}.{call.split('(')[0]}",
                      sql=sql if isinstance(sql, str) else None)

    def _churn(self, _con: Any, ent: P.Entities, _catalog: P.Catalog) -> _Draft:
        limit = ent.top_n or 20
        rows, total = self.tools.churn_risk(limit)
        if rows:
            ranked = ("largest value at risk first" if "value_at_risk_usd" in rows[0]
                      else "longest silence against their usual gap first")
            at_stake = sum(float(r["value_at_risk_usd"]) for r in rows) if (
                "value_at_risk_usd" in rows[0]) else None
            how_likely = (f" (a churn probability of {AT_RISK_THRESHOLD} or more)"
                          if "churn_probability" in rows[0] else "")
            text = (f"{total:,} customers look likely to churn{how_likely}; the {len(rows)} "
                    "shown are "
                    f"{ranked}" + (f" ({_money(at_stake)} of expected value at risk among "
                                   "them)" if at_stake is not None else "")
                    + f". First: {rows[0]['customer_id']}, "
                    f"{rows[0].get('days_since_last_order', '?')} days since their last "
                    "order." + (" Ask for the top 50 or 100 to see more."
                                if total > len(rows) else ""))
        else:
            text = "No customers look likely to churn."
        draft = self._tool_draft(Intent.CHURN, f"churn_risk(limit={limit})", rows, text)
        draft.suggestions = ([f"Recommend products for customer {rows[0]['customer_id']}",
                              f"Tell me about customer {rows[0]['customer_id']}"] if rows
                             else []) + ["Revenue trend by month this year"]
        return draft

    def _forecast(self, con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        assert ent.product_id
        days = ent.horizon_days or 30
        exists = self._run(con, P.product_sql(ent.product_id)).records()
        if not exists:
            return _Draft(f"I don't know product {ent.product_id}; product ids look like "
                          "SKU-00123.", Intent.CLARIFY, "clarification", planner="none",
                          suggestions=_examples(catalog))
        rows = self.tools.forecast(ent.product_id, days)
        total = sum(float(r["forecast_units"]) for r in rows)
        name = exists[0]["name"]
        text = (f"Forecast for {ent.product_id} ({name}): about {total:,.0f} units over the "
                f"next {days} days ({total / max(days, 1):.1f} per day), after "
                f"{catalog.today}.")
        draft = self._tool_draft(Intent.FORECAST, f"forecast(product_id="
                                 f"{ent.product_id!r}, days={days})", rows, text)
        draft.chart = ChartSpec(mark="line", x="date", y="forecast_units",
                                title=f"Forecast for {ent.product_id}")
        draft.suggestions = [f"Sales for {ent.product_id} last month",
                             "Show me low stock products"]
        return draft

    def _suspicious(self, _con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        period = ent.period or P.default_period(catalog.today, 7)
        ent.period = period
        limit = ent.top_n or FLAGGED_LIST_LIMIT
        rows, flagged = self.tools.flagged_payments(period.start, limit, until=period.end)
        if rows:
            shown = (f"{flagged:,} payments were flagged for {period.label}"
                     if len(rows) == flagged else
                     f"{flagged:,} payments were flagged for {period.label}; the "
                     f"{len(rows):,} most suspicious are listed")
            if "amount_usd" in rows[0]:
                amount = (f"{sum(float(r['amount_usd'] or 0) for r in rows):,.2f} USD"
                          f"{'' if len(rows) == flagged else ' for those listed'}")
            else:
                amount = (f"{sum(float(r.get('amount') or 0) for r in rows):,.2f} in their "
                          f"currencies{'' if len(rows) == flagged else ' for those listed'}")
            text = (f"{shown} (amount {amount}). The most suspicious is "
                    f"{rows[0]['payment_id']} for order {rows[0]['order_id']}.")
        else:
            text = f"No suspicious payments for {period.label}."
        draft = self._tool_draft(Intent.SUSPICIOUS_PAYMENTS,
                                 f"flagged_payments(since={period.start.isoformat()!r}, "
                                 f"limit={limit}, until={period.end.isoformat()!r})",
                                 rows, text)
        draft.period = period
        draft.suggestions = ([f"What's the status of order {rows[0]['order_id']}?"]
                             if rows else []) + ["Any suspicious payments last week?"]
        return draft

    def _anomalies(self, _con: Any, ent: P.Entities, catalog: P.Catalog) -> _Draft:
        """The anomalies of the daily reports (the daily analysis's own findings)."""
        from shopsight.systems.sales.daily_analysis import REPORTS
        from shopsight.systems.sales.insights import DailyInsights

        period = ent.period or P.default_period(catalog.today, 7)
        ent.period = period
        stores = set(ent.store_ids or ()) | ({ent.store_id} if ent.store_id else set())
        days = sorted({f.key.split("/")[1] for f in self.lake.list_files(REPORTS)
                       if f.key.endswith("/report.json")})
        inside = [d for d in days if period.start.isoformat() <= d <= period.end.isoformat()]
        rows: list[dict[str, Any]] = []
        for day in inside:
            report = DailyInsights.model_validate_json(
                self.lake.read_bytes(f"{REPORTS}/{day}/report.json"))
            rows += [{"business_date": day, "store_id": a.store_id, "product_id": a.product_id,
                      "kind": a.kind, "severity": a.severity, "observed": a.observed,
                      "expected": a.expected, "description": a.description}
                     for a in report.anomalies if not stores or a.store_id in stores]
        rank = {"high": 0, "medium": 1, "low": 2}
        rows.sort(key=lambda r: (rank.get(r["severity"], 3), r["business_date"], r["store_id"]))
        scope = P.scope_text(ent)
        if not inside:
            latest = f"; its latest report is of {days[-1]}" if days else (
                "; it has not run yet (it runs once the stores' uploads are in)")
            text = f"The daily analysis has not run for any day of {period.label}{latest}."
        elif not rows:
            text = (f"No anomalies{scope} in the daily reports of {period.label} "
                    f"({_count(len(inside), 'day')} analysed).")
        else:
            counts = ", ".join(f"{sum(r['severity'] == s for r in rows)} {s}"
                               for s in rank if any(r["severity"] == s for r in rows))
            text = (f"{len(rows)} anomal{'y' if len(rows) == 1 else 'ies'}{scope} "
                    f"in the daily reports of {period.label} ({_count(len(inside), 'day')} "
                    f"analysed): {counts}. First: {rows[0]['description']}.")
        draft = _Draft(text, Intent.ANOMALIES, "tool_call", columns=list(rows[0]) if rows
                       else [], rows=rows, system_call=f"daily_reports({period.start}, "
                       f"{period.end})", tool="daily_analysis.anomalies")
        draft.period = period
        draft.suggestions = ([f"Sales at store {rows[0]['store_id']} on "
                              f"{rows[0]['business_date']}"] if rows else []) + [
            "Any suspicious payments last week?"]
        return draft

    # text-to-SQL ----------------------------------------------------------------------

    def _text_to_sql(self, con: Any, question: str, catalog: P.Catalog) -> _Draft:
        import duckdb

        messages: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT.format(
            today=catalog.today.isoformat(), schema=schema_prompt())}]
        for q, s in self.store.similar_examples(question):
            messages.append({"role": "user", "content": q})
            messages.append({"role": "assistant", "content": f"```sql\n{s}\n```"})
        messages.append({"role": "user", "content": question})
        repairs = 0
        last_error = ""
        while True:
            reply = self.llm.complete(messages, self.temperature, self.max_tokens)
            sql = extract_sql(reply)
            try:
                result = run_query(con, sql, max_rows=self.max_rows,
                                   timeout_s=self.timeout_s)
                break
            except duckdb.Error as exc:
                last_error = str(exc).splitlines()[0][:500]
            except UnsafeQuery as exc:
                if not exc.reason.startswith("unknown column"):
                    raise
                last_error = exc.reason
            if repairs >= MAX_REPAIRS:
                return _Draft(f"I couldn't write a working query for that after "
                              f"{MAX_REPAIRS} repairs (last error: {last_error}). Try "
                              "rephrasing, or ask about: " + "; ".join(P.CAPABILITIES),
                              Intent.FREE_SQL, "unsupported", planner="llm",
                              repairs=repairs, suggestions=_examples(catalog))
            repairs += 1
            messages.append({"role": "assistant", "content": reply})
            messages.append({"role": "user", "content": f"That query failed in DuckDB: "
                             f"{last_error}\nReturn a corrected query."})
        recs = result.records()
        if len(result.columns) == 1 and len(recs) == 1:
            text = f"The answer is {recs[0][result.columns[0]]}."
        else:
            text = f"I found {len(recs)} rows{' (capped)' if result.truncated else ''}."
        chart = None
        if len(result.columns) == 2 and recs and isinstance(
                recs[0][result.columns[1]], int | float):
            chart = ChartSpec(mark="bar", x=result.columns[0], y=result.columns[1])
        return _Draft(text, Intent.FREE_SQL, "data_query", columns=result.columns, rows=recs,
                      truncated=result.truncated, sql=result.sql, chart=chart,
                      planner="llm", repairs=repairs,
                      suggestions=["Rate this answer good to teach me this question"])


def _ranking(ent: P.Entities, catalog: P.Catalog) -> tuple[P.Period, str, str]:
    """A top-N answer's period (the last 30 days unless named, kept in ``ent``), its
    "Top"/"Bottom" and what narrows it, in words."""
    ent.period = ent.period or P.default_period(catalog.today)
    return ent.period, "Bottom" if ent.direction == "bottom" else "Top", P.scope_text(ent)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _days_in_period(grain: str, bucket: Any, period: P.Period) -> tuple[int, int] | None:
    """(days of the ``grain`` starting ``bucket`` that fall in ``period``, its days), or
    None when all do: a trend's first and last weeks or months are often cut by the
    period, and their lower totals are not a fall."""
    if grain not in ("week", "month"):
        return None
    start = bucket if isinstance(bucket, date) else date.fromisoformat(str(bucket)[:10])
    end = start + timedelta(days=6) if grain == "week" else P.month_end(start)
    covered = (min(end, period.end) - max(start, period.start)).days + 1
    full = (end - start).days + 1
    return None if covered >= full else (covered, full)


def _dim_label(dim: str, row: dict[str, Any]) -> str:
    if dim == "store":
        return f"store {row['store_id']}" if row["store_id"] else "online (no store)"
    if dim == "product":
        return f"{row['product_id']} ({row['name']})"
    if row.get(dim) is None and dim in ("region", "country", "city"):
        return "online (no store)"
    return str(row.get(dim))


def _examples(catalog: P.Catalog) -> list[str]:
    cat = catalog.categories[0] if catalog.categories else "Electronics"
    return ["Show me low stock products", f"Top 10 products in {cat} this month",
            "Sales by store last week compared with the week before"]
