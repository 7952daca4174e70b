"""The workflow runner: once per date even when triggers race, resumable after a failure."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from pydantic import BaseModel

from shopsight.errors import InvalidParameter, NotFound
from shopsight.lake.store import Lake
from shopsight.pipeline.workflow import Step, StepContext, WorkflowRunner
from shopsight.state.store import State

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 20)


class Count(BaseModel):
    value: int


def make_runner(lake: Lake, state: State, calls: list[str], fail_once: set[str]) -> WorkflowRunner:
    def first(_ctx: StepContext) -> Count:
        calls.append("first")
        return Count(value=10)

    def second(ctx: StepContext) -> Count:
        calls.append("second")
        if "second" in fail_once:
            fail_once.discard("second")
            raise RuntimeError("disk full")
        return Count(value=ctx.outputs["first"].value + 1)

    def third(ctx: StepContext) -> Count:
        calls.append("third")
        return Count(value=ctx.outputs["second"].value * 2)

    return WorkflowRunner("test", [Step("first", first, Count), Step("second", second, Count),
                                   Step("third", third, Count)], lake, state)


def test_racing_triggers_run_the_date_once(lake: Lake, state: State) -> None:
    calls: list[str] = []
    runner = make_runner(lake, state, calls, set())
    results = []
    barrier = threading.Barrier(4)

    def trigger(name: str) -> None:
        barrier.wait()
        results.append(runner.run(DAY, name))

    threads = [threading.Thread(target=trigger, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == ["skipped", "skipped", "skipped", "succeeded"]
    assert calls == ["first", "second", "third"]
    again = runner.run(DAY, "schedule")
    assert again.status == "skipped" and "re-run explicitly" in again.message
    forced = runner.run(DAY, "manual", force=True)
    assert (forced.status, forced.attempt) == ("succeeded", 2)


def test_failed_run_resumes_from_the_failed_step(lake: Lake, state: State) -> None:
    calls: list[str] = []
    runner = make_runner(lake, state, calls, {"second"})
    failed = runner.run(DAY, "all_stores")
    assert (failed.status, failed.failed_step) == ("failed", "second")
    assert "disk full" in (failed.error or "")
    steps = runner.steps_of(failed.run_id or 0)
    assert [(s["step"], s["status"]) for s in steps] == [("first", "succeeded"),
                                                         ("second", "failed")]
    resumed = runner.resume(failed.run_id or 0)
    assert resumed.status == "succeeded"
    assert calls == ["first", "second", "second", "third"]  # first was not run again
    final = runner.steps_of(failed.run_id or 0)
    assert [s["status"] for s in final] == ["succeeded"] * 3
    assert all(s["duration_ms"] is not None for s in final)
    out = lake.read_bytes(final[-1]["output_key"])
    assert out == b'{"value":22}'
    # a run that succeeded is not run again (its alerts would go out twice), nor one
    # that does not exist
    with pytest.raises(InvalidParameter, match="this one succeeded"):
        runner.resume(failed.run_id or 0)
    with pytest.raises(NotFound, match="analysis run '999' not found"):
        runner.resume(999)
    assert calls == ["first", "second", "second", "third"]
