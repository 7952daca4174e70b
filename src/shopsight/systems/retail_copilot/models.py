"""Typed shapes of the Retail Copilot: answers, conversations, ratings.

Requests (``AskRequest``, ``RateRequest``) are separate from responses
(``CopilotAnswer``, ``Conversation``, ``ConversationSummary``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_PAGE_SIZE = 500


class Intent(StrEnum):
    """What a question asks for; the offline planner knows one plan per intent."""

    LOW_STOCK = "low_stock"
    ORDER_STATUS = "order_status"
    SALES = "sales"
    TOP_PRODUCTS = "top_products"
    TOP_CUSTOMERS = "top_customers"
    CUSTOMER_COUNT = "customer_count"
    CUSTOMER_SUMMARY = "customer_summary"
    CHURN = "churn"
    RECOMMENDATIONS = "recommendations"
    FORECAST = "forecast"
    SUSPICIOUS_PAYMENTS = "suspicious_payments"
    ANOMALIES = "anomalies"
    REVENUE_TREND = "revenue_trend"
    FREE_SQL = "free_sql"
    CLARIFY = "clarify"
    UNSUPPORTED = "unsupported"


QueryType = Literal["data_query", "tool_call", "clarification", "unsupported"]


class ChartSpec(BaseModel):
    """A small Vega-Lite-like chart: ``mark`` over ``x``/``y``, one line or bar per ``series``."""

    mark: Literal["bar", "line"]
    x: str
    y: str
    series: str | None = None
    title: str = ""


class RowsPage(BaseModel):
    """One page of the answer's rows (``total`` counts all rows, capped by the row limit)."""

    columns: list[str]
    rows: list[dict[str, Any]]
    page: int
    page_size: int
    total: int
    truncated: bool = Field(False, description="True when the row cap cut the result.")


class AnswerMetadata(BaseModel):
    """How the answer was produced."""

    query_type: QueryType
    intent: Intent
    latency_ms: int
    planner: Literal["offline", "llm", "none"] = "offline"
    llm_provider: str = "offline"
    tool: str | None = Field(None, description="Tool that answered (churn, forecast...).")
    repairs: int = Field(0, description="SQL repair attempts the LLM needed.")
    period_start: date | None = None
    period_end: date | None = None
    entities: dict[str, Any] = Field(default_factory=dict)


class CopilotAnswer(BaseModel):
    """The answer to one question, as shown in the chat."""

    conversation_id: str
    message_index: int = Field(description="Index of this answer in the conversation; "
                               "pass it to rate().")
    question: str
    answer: str
    data: RowsPage | None = None
    chart: ChartSpec | None = None
    sql: str | None = Field(None, description="The SQL that ran, after the safety gate.")
    system_call: str | None = Field(None, description="The tool call made instead of SQL.")
    suggestions: list[str] = Field(default_factory=list)
    metadata: AnswerMetadata


class ChatMessage(BaseModel):
    """One message of a conversation, as stored (seed item structure)."""

    role: Literal["user", "assistant"]
    content: str
    timestamp: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)


class Conversation(BaseModel):
    """A whole conversation of one user."""

    conversation_id: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    messages: list[ChatMessage]
    metadata: dict[str, Any] = Field(default_factory=dict)
    ttl: int = Field(description="Expiry, epoch seconds; expired conversations vanish.")


class ConversationSummary(BaseModel):
    """A conversation in a list: its first question and size."""

    conversation_id: str
    created_at: datetime
    updated_at: datetime
    title: str
    messages: int


class AskRequest(BaseModel):
    """Body of ``POST /copilot/ask``."""

    question: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class RateRequest(BaseModel):
    """Body of ``POST /copilot/rate``."""

    conversation_id: str
    message_index: int = Field(ge=0)
    rating: Literal["good", "bad"]


class RatingResult(BaseModel):
    """What a rating did: stored, and whether the question/SQL pair became an example."""

    conversation_id: str
    message_index: int
    rating: Literal["good", "bad"]
    stored_example: bool
