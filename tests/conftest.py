"""Shared fixtures: real local adapters on temporary folders (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from shopsight.state.store import State

MASKING_KEY = "test-masking-key"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(str(tmp_path / "lake"))


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    st = State(f"sqlite:///{tmp_path / 'state.db'}")
    yield st
    st.engine.dispose()


@pytest.fixture
def ingestor(lake: Lake, state: State) -> Ingestor:
    return Ingestor(lake, state, MASKING_KEY)


STORES_CSV = (
    "store_id,name,region,country,timezone,currency,updated_at\n"
    "0001,Fifth Avenue,North America,US,America/New_York,USD,2026-01-01 00:00:00\n"
    "0002,Mitte,Europe,DE,Europe/Berlin,EUR,2026-01-01 00:00:00\n"
)
CUSTOMERS_CSV = (
    "customer_id,first_name,email,phone,ssn,home_store_id,updated_at\n"
    "C1,Ann,Ann@Example.com,(555) 123-4567,123-45-6789,0001,2026-01-01 00:00:00\n"
    "C2,Bob,bob@example.com,555-987-6543,234-56-7890,0002,2026-01-01 00:00:00\n"
)
ORDERS_HEADER = (
    "order_id,customer_id,order_date,status,channel,store_id,currency,total_amount,updated_at\n"
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


@pytest.fixture
def base_tables(tmp_path: Path, ingestor: Ingestor) -> Ingestor:
    """Stores and customers already curated, so orders have something to reference."""
    src = tmp_path / "in"
    ingestor.ingest_paths([write(src / "stores.csv", STORES_CSV),
                           write(src / "customers.csv", CUSTOMERS_CSV)])
    return ingestor
