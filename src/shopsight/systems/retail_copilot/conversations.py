"""Conversation history and learned examples of the copilot, in the state store (18.8).

Each conversation is one row holding the seed's DynamoDB item: ``conversation_id``
(``conv-<user>-<epoch>``), ``user_id`` (indexed, like the ``user_id-index`` GSI),
``created_at``, ``updated_at``, ``messages`` [{role, content, timestamp, metadata}],
``metadata`` {source} and ``ttl`` (epoch seconds). Expired conversations are never
returned and are purged on access, as DynamoDB's TTL would.

A user only ever sees their own conversations: another user's id answers
:class:`~shopsight.errors.NotFound`, exactly like an id that does not exist, so ids do
not leak.

Question/SQL pairs rated good go to ``copilot_examples`` and come back as few-shot
examples for the LLM, picked by token overlap with the new question.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shopsight.errors import InvalidParameter, NotFound
from shopsight.state.store import State, metadata, utc_now
from shopsight.systems.retail_copilot.models import (
    ChatMessage,
    Conversation,
    ConversationSummary,
)

DEFAULT_TTL = timedelta(days=30)
DEFAULT_CONVERSATION_TABLE = "retail-copilot-conversations"
"""The seed's ``CONVERSATION_TABLE`` default; settings may name another table."""


@functools.cache
def conversation_table(name: str = DEFAULT_CONVERSATION_TABLE) -> sa.Table:
    """The SQL table holding conversations under ``name`` (``CONVERSATION_TABLE``)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("conversation_id", sa.String(200), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("messages", sa.JSON, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("ttl", sa.BigInteger, nullable=False, index=True),
    )


examples_table = sa.Table(
    "copilot_examples",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("question", "sql", name="uq_copilot_example"),
)

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an the of for in on by me my show what whats is are was were to and "
                  "with please give list which how many much do does".split())


def tokens(text: str) -> set[str]:
    """Lowercase word tokens without stop words, for example retrieval."""
    return {t for t in _TOKEN.findall(text.lower()) if t not in _STOP}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ConversationStore:
    """Conversations and examples on the state store's database."""

    def __init__(self, state: State, *, ttl: timedelta = DEFAULT_TTL,
                 table_name: str = DEFAULT_CONVERSATION_TABLE) -> None:
        self.state = state
        self.ttl = ttl
        self.table = conversation_table(table_name)
        metadata.create_all(state.engine, tables=[self.table, examples_table])

    # conversations -------------------------------------------------------------------

    def create(self, user_id: str, *, source: str = "chat",
               now: datetime | None = None) -> Conversation:
        """A new empty conversation of ``user_id``."""
        now = now or utc_now()
        safe_user = re.sub(r"[^A-Za-z0-9_.@-]", "_", user_id)[:100] or "anonymous"
        epoch = int(now.timestamp())
        with self.state.engine.begin() as conn:
            while conn.execute(sa.select(self.table.c.conversation_id).where(
                    self.table.c.conversation_id == f"conv-{safe_user}-{epoch}")
                    ).first():
                epoch += 1
            conversation = Conversation(
                conversation_id=f"conv-{safe_user}-{epoch}", user_id=user_id,
                created_at=now, updated_at=now, messages=[], metadata={"source": source},
                ttl=int((now + self.ttl).timestamp()))
            conn.execute(self.table.insert().values(**self._row(conversation)))
        return conversation

    def get(self, user_id: str, conversation_id: str, *,
            now: datetime | None = None) -> Conversation:
        """The conversation, if it belongs to ``user_id`` and has not expired."""
        now = now or utc_now()
        query = sa.select(self.table).where(
            self.table.c.conversation_id == conversation_id,
            self.table.c.user_id == user_id,
            self.table.c.ttl > int(now.timestamp()))
        with self.state.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound("conversation", conversation_id,
                           "list your conversations with `shopsight ask history` or GET "
                           "/copilot/conversations")
        return self._model(row)

    def summaries(self, user_id: str, *, now: datetime | None = None,
             limit: int = 100) -> list[ConversationSummary]:
        """The user's live conversations, most recently updated first."""
        now = now or utc_now()
        self.purge_expired(now=now)
        query = (sa.select(self.table)
                 .where(self.table.c.user_id == user_id,
                        self.table.c.ttl > int(now.timestamp()))
                 .order_by(self.table.c.updated_at.desc()).limit(limit))
        with self.state.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        out = []
        for row in rows:
            conv = self._model(row)
            first = next((m.content for m in conv.messages if m.role == "user"), "")
            out.append(ConversationSummary(
                conversation_id=conv.conversation_id, created_at=conv.created_at,
                updated_at=conv.updated_at, title=first[:80], messages=len(conv.messages)))
        return out

    def append(self, conversation: Conversation, *messages: ChatMessage,
               now: datetime | None = None) -> Conversation:
        """Add messages, refresh ``updated_at`` and push the expiry ``ttl`` forward."""
        now = now or utc_now()
        updated = conversation.model_copy(update={
            "messages": [*conversation.messages, *messages], "updated_at": now,
            "ttl": int((now + self.ttl).timestamp())})
        self._save(updated)
        return updated

    def delete(self, user_id: str, conversation_id: str) -> None:
        """Delete one of the user's conversations (NotFound for anyone else's)."""
        with self.state.engine.begin() as conn:
            result = conn.execute(self.table.delete().where(
                self.table.c.conversation_id == conversation_id,
                self.table.c.user_id == user_id))
        if result.rowcount == 0:
            raise NotFound("conversation", conversation_id)

    def purge_expired(self, *, now: datetime | None = None) -> int:
        """Delete every conversation whose ``ttl`` has passed; returns how many."""
        now = now or utc_now()
        with self.state.engine.begin() as conn:
            result = conn.execute(self.table.delete().where(
                self.table.c.ttl <= int(now.timestamp())))
        return int(result.rowcount or 0)

    def set_message_metadata(self, user_id: str, conversation_id: str, index: int,
                             values: dict[str, Any]) -> tuple[Conversation, ChatMessage]:
        """Merge ``values`` into one message's metadata; returns the updated pair."""
        conversation = self.get(user_id, conversation_id)
        if not 0 <= index < len(conversation.messages):
            raise InvalidParameter("message_index", index,
                                   f"0 to {len(conversation.messages) - 1}")
        message = conversation.messages[index]
        changed = message.model_copy(update={"metadata": {**message.metadata, **values}})
        messages = list(conversation.messages)
        messages[index] = changed
        updated = conversation.model_copy(update={"messages": messages})
        self._save(updated)
        return updated, changed

    # examples ------------------------------------------------------------------------

    def add_example(self, question: str, sql: str, *, user_id: str,
                    conversation_id: str) -> bool:
        """Store a question/SQL pair rated good; False when it was already stored."""
        with self.state.engine.begin() as conn:
            exists = conn.execute(sa.select(examples_table.c.id).where(
                examples_table.c.question == question, examples_table.c.sql == sql)).first()
            if exists:
                return False
            conn.execute(examples_table.insert().values(
                question=question, sql=sql, user_id=user_id,
                conversation_id=conversation_id, created_at=utc_now()))
        return True

    def similar_examples(self, question: str, k: int = 3) -> list[tuple[str, str]]:
        """Up to ``k`` good (question, sql) pairs most similar to ``question``.

        Similarity is the Jaccard overlap of word tokens; pairs sharing no token are
        left out.
        """
        wanted = tokens(question)
        with self.state.engine.connect() as conn:
            rows = conn.execute(sa.select(examples_table.c.question, examples_table.c.sql)
                                .order_by(examples_table.c.id.desc()).limit(5000)).all()
        scored = []
        for q, s in rows:
            have = tokens(q)
            union = wanted | have
            score = len(wanted & have) / len(union) if union else 0.0
            if score > 0:
                scored.append((score, q, s))
        scored.sort(key=lambda t: -t[0])
        return [(q, s) for _, q, s in scored[:k]]

    # rows ----------------------------------------------------------------------------

    def _save(self, conversation: Conversation) -> None:
        row = self._row(conversation)
        with self.state.engine.begin() as conn:
            conn.execute(self.table.update().where(
                self.table.c.conversation_id == conversation.conversation_id,
                self.table.c.user_id == conversation.user_id).values(**row))

    @staticmethod
    def _row(conversation: Conversation) -> dict[str, Any]:
        return {
            "conversation_id": conversation.conversation_id,
            "user_id": conversation.user_id,
            "created_at": conversation.created_at.astimezone(UTC).replace(tzinfo=None),
            "updated_at": conversation.updated_at.astimezone(UTC).replace(tzinfo=None),
            "messages": [{"role": m.role, "content": m.content,
                          "timestamp": _iso(m.timestamp), "metadata": m.metadata}
                         for m in conversation.messages],
            "metadata": conversation.metadata,
            "ttl": conversation.ttl,
        }

    @staticmethod
    def _model(row: Any) -> Conversation:
        return Conversation(
            conversation_id=row["conversation_id"], user_id=row["user_id"],
            created_at=_aware(row["created_at"]), updated_at=_aware(row["updated_at"]),
            messages=[ChatMessage(**m) for m in row["messages"]],
            metadata=dict(row["metadata"]), ttl=int(row["ttl"]))
