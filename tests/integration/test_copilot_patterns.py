"""The Retail Copilot's share of prod: query patterns from stored conversations, and no
failure while there are none."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake import DeltaTable

from shopsight.lake.store import Lake
from shopsight.llm.offline import OfflineLlm
from shopsight.pipeline.publish import (
    PublishResult,
    conversation_versions,
    copilot_publisher,
    publish,
)
from shopsight.state.store import State
from shopsight.systems.retail_copilot.service import RetailCopilot
from tests.conftest import DemoLake

pytestmark = pytest.mark.integration


def test_query_patterns_from_conversations(tmp_path: Path, demo_lake: DemoLake) -> None:
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    lake = Lake(str(tmp_path / "lake"))
    empty = publish(lake, state, {"retail_copilot": copilot_publisher(state)})
    assert empty.status == "succeeded"
    summary = DeltaTable(lake.table_uri("prod", "retail_copilot/summary")).to_pyarrow_table()
    assert summary.column("questions").to_pylist() == [0]

    copilot = RetailCopilot(demo_lake.lake, state, OfflineLlm())
    latencies = [copilot.ask("ana", question).metadata.latency_ms for question in (
        "Show me low stock products", "Show me low stock products",
        "What's the status of order ORD-000000010?", "Write me a poem about socks")]
    result = publish(lake, state, {"retail_copilot": copilot_publisher(state)}, force=True)
    assert result.status == "succeeded"
    types = DeltaTable(lake.table_uri("prod", "retail_copilot/question_types")
                       ).to_pyarrow_table().to_pylist()
    assert types[0]["questions"] == 2 and sum(t["questions"] for t in types) == 4
    unanswered = DeltaTable(lake.table_uri("prod", "retail_copilot/unanswered")
                            ).to_pyarrow_table().to_pylist()
    assert [u["question"] for u in unanswered] == ["write me a poem about socks"]
    summary = DeltaTable(lake.table_uri("prod", "retail_copilot/summary")).to_pyarrow_table()
    row = summary.to_pylist()[0]
    assert row["questions"] == 4
    assert row["avg_latency_ms"] == pytest.approx(sum(latencies) / 4, abs=1)  # per answer
    state.engine.dispose()


def test_new_conversations_alone_rerun_only_the_copilot(tmp_path: Path,
                                                        demo_lake: DemoLake) -> None:
    """Curated unchanged but new conversations: the copilot's patterns are refreshed,
    the other systems are not run again, and a repeat run is skipped."""
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    lake = Lake(str(tmp_path / "lake"))  # prod goes here; the copilot reads the demo lake
    calls: list[str] = []

    def other() -> dict[str, object]:
        calls.append("other")
        return {}

    def run() -> PublishResult:
        return publish(lake, state, {"market_pulse": other,
                                     "retail_copilot": copilot_publisher(state)},
                       own_inputs={"retail_copilot": conversation_versions(state)})

    first = run()
    assert first.status == "succeeded" and calls == ["other"]
    assert run().status == "skipped"
    RetailCopilot(demo_lake.lake, state, OfflineLlm()).ask("ana", "Show me low stock products")
    refreshed = run()
    assert refreshed.status == "succeeded"
    assert [s.system for s in refreshed.systems] == ["retail_copilot"]
    assert calls == ["other"]
    summary = DeltaTable(lake.table_uri("prod", "retail_copilot/summary")).to_pyarrow_table()
    assert summary.to_pylist()[0]["questions"] == 1
    assert run().status == "skipped"
    state.engine.dispose()
