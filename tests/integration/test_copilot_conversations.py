"""Conversations (18.8): item structure, follow-ups, isolation between users, TTL, API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shopsight.errors import InvalidParameter, NotFound
from shopsight.llm import OfflineLlm
from shopsight.state.store import State
from shopsight.systems.retail_copilot import RetailCopilot
from shopsight.systems.retail_copilot.conversations import ConversationStore

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    st = State(f"sqlite:///{tmp_path / 'copilot.db'}")
    yield st
    st.engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def copilot(demo_lake: Any, state: State, clock: Clock) -> RetailCopilot:
    return RetailCopilot(demo_lake.lake, state, OfflineLlm(), clock=clock)


def test_item_structure_and_follow_up(copilot: RetailCopilot, clock: Clock) -> None:
    first = copilot.ask("user123", "Show me low stock products")
    assert first.conversation_id == f"conv-user123-{int(clock.now.timestamp())}"
    follow = copilot.ask("user123", "and for store 0003?", first.conversation_id)
    assert follow.conversation_id == first.conversation_id
    assert follow.metadata.intent.value == "low_stock"
    assert follow.data and {r["location_id"] for r in follow.data.rows} == {"0003"}
    conv = copilot.conversation("user123", first.conversation_id)
    assert [m.role for m in conv.messages] == ["user", "assistant"] * 2
    assert conv.metadata == {"source": "chat"}
    assert conv.ttl == int((clock.now + timedelta(days=30)).timestamp())
    meta = conv.messages[1].metadata
    assert meta["query_type"] == "data_query" and meta["has_data"] is True
    assert follow.message_index == 3


def test_one_user_never_sees_another_users_conversation(copilot: RetailCopilot) -> None:
    mine = copilot.ask("alice", "Top 10 products in Electronics this month")
    copilot.ask("bob", "Show me low stock products")
    assert [c.conversation_id for c in copilot.conversations("alice")] == [
        mine.conversation_id]
    for action in (
        lambda: copilot.conversation("bob", mine.conversation_id),
        lambda: copilot.delete_conversation("bob", mine.conversation_id),
        lambda: copilot.rate("bob", mine.conversation_id, 1, "good"),
        lambda: copilot.ask("bob", "and for store 0003?", mine.conversation_id),
    ):
        with pytest.raises(NotFound) as info:
            action()
        assert "not found" in str(info.value)
    # the same error as for an id that does not exist: nothing leaks
    with pytest.raises(NotFound) as missing:
        copilot.conversation("bob", "conv-nobody-1")
    assert type(missing.value) is NotFound
    assert copilot.conversation("alice", mine.conversation_id).messages
    copilot.delete_conversation("alice", mine.conversation_id)
    assert copilot.conversations("alice") == []


def test_expired_conversations_are_hidden_and_purged(copilot: RetailCopilot, clock: Clock,
                                                     state: State) -> None:
    old = copilot.ask("carol", "Show me low stock products")
    clock.now += timedelta(days=31)
    with pytest.raises(NotFound):
        copilot.conversation("carol", old.conversation_id)
    assert copilot.conversations("carol") == []
    store = ConversationStore(state)
    assert store.purge_expired(now=clock.now) == 0  # already purged by the listing
    fresh = copilot.ask("carol", "Show me low stock products")
    assert [c.conversation_id for c in copilot.conversations("carol")] == [
        fresh.conversation_id]


def test_conversation_table_follows_the_setting(state: State) -> None:
    """CONVERSATION_TABLE names the SQL table, as it names the DynamoDB table on AWS."""
    import sqlalchemy as sa

    named = ConversationStore(state, table_name="acme-copilot-conversations")
    mine = named.create("erin")
    assert "acme-copilot-conversations" in sa.inspect(state.engine).get_table_names()
    assert named.get("erin", mine.conversation_id).conversation_id == mine.conversation_id
    with pytest.raises(NotFound):
        ConversationStore(state).get("erin", mine.conversation_id)


def test_rating_validation(copilot: RetailCopilot) -> None:
    answer = copilot.ask("dave", "Show me low stock products")
    with pytest.raises(InvalidParameter):
        copilot.rate("dave", answer.conversation_id, 0, "good")  # the question itself
    result = copilot.rate("dave", answer.conversation_id, answer.message_index, "bad")
    assert not result.stored_example
    conv = copilot.conversation("dave", answer.conversation_id)
    assert conv.messages[1].metadata["rating"] == "bad"


def test_api_routes(copilot: RetailCopilot, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from shopsight.api.app import create_app
    from shopsight.config import load_settings
    from tests.live import live_server

    monkeypatch.setenv("SHOPSIGHT_HOME", str(tmp_path))
    app = create_app(load_settings(), lake=copilot.lake, state=copilot.state)
    app.state.retail_copilot = copilot
    keys = {user: {"X-API-Key": app.state.api_keys.create(user, "analyst", user_id=user)[0]}
            for user in ("alice", "bob")}
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        _exercise_api(client, keys["alice"], keys["bob"])


def _exercise_api(client: Any, alice: dict[str, str], bob: dict[str, str]) -> None:
    r = client.post("/copilot/ask", json={"question": "What's the status of order "
                                          "ORD-000010482?"}, headers=alice)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["metadata"]["intent"] == "order_status" and body["data"]["total"] == 1
    cid = body["conversation_id"]
    assert [c["conversation_id"] for c in client.get(
        "/copilot/conversations", headers=alice).json()] == [cid]
    assert client.get(f"/copilot/conversations/{cid}", headers=alice).status_code == 200
    assert client.get(f"/copilot/conversations/{cid}",
                      headers=bob).status_code == 404
    assert client.post("/copilot/rate", json={"conversation_id": cid, "message_index": 1,
                                              "rating": "good"},
                       headers=alice).json()["stored_example"] is True
    assert client.post("/copilot/ask", json={"question": "hi"}).status_code == 401
    assert [c["conversation_id"] for c in client.get("/copilot/conversations",
                                                     headers=bob).json()] == []
    assert client.delete(f"/copilot/conversations/{cid}",
                         headers=bob).status_code == 404
    assert client.delete(f"/copilot/conversations/{cid}", headers=alice).status_code == 204
