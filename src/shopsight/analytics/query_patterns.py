"""Query pattern analysis of the copilot's conversations (seed 002's Retail Copilot share
of prod): which kinds of questions people ask, which went unanswered or failed, and how
long answers took. Pure: conversation messages in, tables out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

UNANSWERED = ("unsupported", "clarification", "refused")
TYPE_COLUMNS = ["intent", "query_type", "questions", "share", "avg_latency_ms",
                "p95_latency_ms", "unanswered"]
UNANSWERED_COLUMNS = ["question", "query_type", "times_asked"]
SUMMARY_COLUMNS = ["conversations", "questions", "answered", "unanswered_share",
                   "avg_latency_ms", "p95_latency_ms"]


def question_answer_pairs(conversations: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per (user question, assistant answer) with the answer's metadata."""
    rows = []
    for conversation in conversations:
        messages = conversation.get("messages", [])
        for question, answer in zip(messages, messages[1:], strict=False):
            if question.get("role") != "user" or answer.get("role") != "assistant":
                continue
            meta = answer.get("metadata") or {}
            rows.append({"conversation_id": conversation.get("conversation_id"),
                         "question": str(question.get("content", "")).strip(),
                         "intent": meta.get("intent") or "unknown",
                         "query_type": meta.get("query_type") or "unknown",
                         "latency_ms": meta.get("latency_ms")})
    return pd.DataFrame(rows, columns=["conversation_id", "question", "intent", "query_type",
                                       "latency_ms"])


def query_patterns(pairs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Most asked question types, unanswered questions, and latency; empty tables (with
    their columns) when nobody has asked anything yet."""
    if pairs.empty:
        return {"question_types": pd.DataFrame(columns=TYPE_COLUMNS),
                "unanswered": pd.DataFrame(columns=UNANSWERED_COLUMNS),
                "summary": pd.DataFrame([{"conversations": 0, "questions": 0, "answered": 0,
                                          "unanswered_share": 0.0, "avg_latency_ms": 0.0,
                                          "p95_latency_ms": 0.0}], columns=SUMMARY_COLUMNS)}
    pairs = pairs.assign(unanswered=pairs["query_type"].isin(UNANSWERED),
                         latency_ms=pd.to_numeric(pairs["latency_ms"], errors="coerce"))
    types = (pairs.groupby(["intent", "query_type"], as_index=False)
             .agg(questions=("question", "size"), avg_latency_ms=("latency_ms", "mean"),
                  p95_latency_ms=("latency_ms", lambda s: s.quantile(0.95)),
                  unanswered=("unanswered", "sum")))
    types["share"] = types["questions"] / types["questions"].sum()
    types = types.sort_values(["questions", "intent"], ascending=[False, True])[TYPE_COLUMNS]
    missed = pairs[pairs["unanswered"]]
    unanswered = (missed.assign(question=missed["question"].str.lower())
                  .groupby(["question", "query_type"], as_index=False)
                  .agg(times_asked=("conversation_id", "size"))
                  .sort_values(["times_asked", "question"], ascending=[False, True]))
    summary = pd.DataFrame([{
        "conversations": int(pairs["conversation_id"].nunique()),
        "questions": len(pairs), "answered": int((~pairs["unanswered"]).sum()),
        "unanswered_share": float(pairs["unanswered"].mean()),
        "avg_latency_ms": float(pairs["latency_ms"].mean()),
        "p95_latency_ms": float(pairs["latency_ms"].quantile(0.95)),
    }], columns=SUMMARY_COLUMNS)
    return {"question_types": types.reset_index(drop=True),
            "unanswered": unanswered.reset_index(drop=True), "summary": summary}
