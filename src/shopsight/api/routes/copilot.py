"""``/copilot``: ask the Retail Copilot, list, read and delete conversations, rate answers.

The service comes from ``request.app.state.retail_copilot``. The user is
``request.state.user_id`` when authentication set it, else the ``X-User-Id`` header
(to be replaced by API-key auth). Errors of the exception tree become responses in the
app's one handler (a conversation of another user is a plain 404).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from shopsight.api.auth import principal_of
from shopsight.systems.retail_copilot.models import (
    AskRequest,
    Conversation,
    ConversationSummary,
    CopilotAnswer,
    RateRequest,
    RatingResult,
)

router = APIRouter(prefix="/copilot", tags=["copilot"])



def _service(request: Request) -> Any:
    return request.app.state.retail_copilot


def _user(request: Request) -> str:
    """The caller's user id, from their API key (set by the access policy)."""
    return principal_of(request).user_id


@router.post("/ask", response_model=CopilotAnswer)
def ask(body: AskRequest, request: Request) -> CopilotAnswer:
    """Answer a question; pass ``conversation_id`` to follow up."""
    result: CopilotAnswer = _service(request).ask(
        _user(request), body.question, body.conversation_id, body.page,
        body.page_size)
    return result


@router.get("/conversations", response_model=list[ConversationSummary])
def conversations(request: Request) -> list[ConversationSummary]:
    """The caller's live conversations, most recent first."""
    result: list[ConversationSummary] = _service(request).conversations(
        _user(request))
    return result


@router.get("/conversations/{conversation_id}", response_model=Conversation)
def conversation(conversation_id: str, request: Request) -> Conversation:
    """One of the caller's conversations (404 for anyone else's)."""
    result: Conversation = _service(request).conversation(_user(request),
                                                          conversation_id)
    return result


@router.delete("/conversations/{conversation_id}", status_code=204)
def delete_conversation(conversation_id: str, request: Request) -> Response:
    """Delete one of the caller's conversations."""
    _service(request).delete_conversation(_user(request), conversation_id)
    return Response(status_code=204)


@router.post("/rate", response_model=RatingResult)
def rate(body: RateRequest, request: Request) -> RatingResult:
    """Rate an answer good or bad; good SQL answers become examples for the LLM."""
    result: RatingResult = _service(request).rate(
        _user(request), body.conversation_id, body.message_index, body.rating)
    return result
