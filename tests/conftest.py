"""Shared fixtures: real local adapters on temporary folders (no mocks)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from shopsight.state.store import State

# Servers started by tests do not warm their caches in the background unless a test asks
# (test_api_warm): each test sees exactly the work of the requests it sends.
os.environ.setdefault("SHOPSIGHT_WARM_ON_START", "false")

MASKING_KEY = "test-masking-key"
SIGNING_KEY = "test-signing-key"


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


class DemoLake:
    """The small demo data set generated and ingested once per test session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lake = Lake(str(root / "lake"))
        self.truth = root / "truth"
        self.uploads = root / "uploads"
        self.state = State(f"sqlite:///{root / 'state.db'}")
        self.ingestor = Ingestor(self.lake, self.state, MASKING_KEY)


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoLake]:
    """Small demo data (seed 42) in raw/, ingested to curated; truth kept beside the lake."""
    from shopsight.demo.export import write_demo_data
    from shopsight.demo.generate import generate_demo_data

    demo = DemoLake(tmp_path_factory.mktemp("demo"))
    write_demo_data(generate_demo_data("small", 42), demo.lake, demo.truth, demo.uploads)
    demo.summary = demo.ingestor.ingest_raw_zone()  # type: ignore[attr-defined]
    yield demo
    demo.state.engine.dispose()
