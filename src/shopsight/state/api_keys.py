"""API keys: created and revoked by an admin, stored hashed, each with a role.

A key looks like ``ssk_<id>_<secret>``; only the id and a SHA-256 of the secret are kept
(the secret is 256 random bits, so a plain hash is as strong as a slow one and keeps
every request fast). Roles: ``admin`` (everything), ``analyst`` (read everything but
PCI), ``store`` (upload URLs and files of its own store ids only).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel

from shopsight.errors import InvalidParameter, NotFound
from shopsight.schema.tables import STORES
from shopsight.state.store import State, metadata, utc_now

Role = Literal["admin", "analyst", "store"]
ROLES: tuple[str, ...] = ("admin", "analyst", "store")

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("user_id", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("store_ids", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)


class Principal(BaseModel):
    """Who is calling: from a valid key."""

    key_id: str
    user_id: str
    role: Role
    store_ids: list[str] = []


class ApiKeyInfo(BaseModel):
    """A key as listed (never with its secret)."""

    key_id: str
    name: str
    user_id: str
    role: str
    store_ids: list[str]
    created_at: datetime
    revoked_at: datetime | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys:
    """Create, verify, list and revoke keys in the state store."""

    def __init__(self, state: State) -> None:
        self.state = state
        metadata.create_all(state.engine, tables=[api_keys])

    def create(self, name: str, role: str, user_id: str | None = None,
               store_ids: list[str] | None = None) -> tuple[str, ApiKeyInfo]:
        """A new key; the full key is returned once and never stored."""
        if role not in ROLES:
            raise InvalidParameter("role", role, "one of " + ", ".join(ROLES))
        if not name.strip():
            raise InvalidParameter("name", name, "who or what the key is for (not empty)")
        stores = sorted(set(store_ids or []))
        if role == "store" and not stores:
            raise InvalidParameter("store_ids", stores, "at least one store id for a store key")
        if role != "store" and stores:  # the role sees every store: a list would mislead
            raise InvalidParameter("store_ids", stores, f"none for an {role} key (store ids "
                                   "scope store keys only)")
        malformed = [s for s in stores if not STORES.column("store_id").matches_pattern(s)]
        if malformed:
            raise InvalidParameter("store_ids", malformed, "four-digit store ids such as 0001")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        row = {"key_id": key_id, "secret_sha256": _digest(secret), "name": name,
               "user_id": user_id or name, "role": role, "store_ids": stores,
               "created_at": utc_now(), "revoked_at": None}
        with self.state.engine.begin() as conn:
            conn.execute(api_keys.insert().values(**row))
        row.pop("secret_sha256")
        return f"ssk_{key_id}_{secret}", ApiKeyInfo(**row)

    def verify(self, presented: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None otherwise."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "ssk":
            return None
        with self.state.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == parts[1])
                               ).mappings().first()
        if row is None or row["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(row["secret_sha256"], _digest(parts[2])):
            return None
        return Principal(key_id=row["key_id"], user_id=row["user_id"], role=row["role"],
                         store_ids=list(row["store_ids"]))

    def revoke(self, key_id: str) -> None:
        with self.state.engine.begin() as conn:
            done = conn.execute(api_keys.update().where(
                (api_keys.c.key_id == key_id) & api_keys.c.revoked_at.is_(None)).values(
                revoked_at=utc_now()))
        if done.rowcount == 0:
            raise NotFound("active API key", key_id)

    def list(self) -> list[ApiKeyInfo]:
        with self.state.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at)).mappings()
            return [ApiKeyInfo(**{k: v for k, v in r.items() if k != "secret_sha256"})
                    for r in rows]
