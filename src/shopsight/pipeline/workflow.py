"""A small workflow runner: ordered steps with typed outputs, recorded in the state store.

Each run of a workflow for a business date is claimed once in ``analysis_runs`` (a unique
(business_date, attempt) row), so two triggers racing for the same date start it exactly
once; an explicit re-run takes the next attempt. Every step's status, duration and error
is recorded in ``analysis_steps`` and its output saved as JSON in the lake, so a failed run
can resume from the failed step with the earlier outputs reloaded, locally as in a
Step Functions state machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from shopsight.errors import InvalidParameter, NotFound
from shopsight.lake.store import Lake
from shopsight.logs import fields, get_logger
from shopsight.state.store import State, analysis_runs, analysis_steps, utc_now

log = get_logger("workflow")


@dataclass
class StepContext:
    """What a step sees: the date, the run, and the outputs of the steps before it."""

    business_date: date
    run_id: int
    trigger: str
    missing_stores: list[str]
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """A named step; ``output_model`` reloads its saved output when a run resumes."""

    name: str
    run: Callable[[StepContext], BaseModel]
    output_model: type[BaseModel]


class RunResult(BaseModel):
    """How a run ended."""

    run_id: int | None
    business_date: date
    status: str  # succeeded | failed | skipped
    trigger: str
    attempt: int | None = None
    failed_step: str | None = None
    error: str | None = None
    message: str = ""


class WorkflowRunner:
    """Runs ``steps`` in order for a business date, once unless forced."""

    def __init__(self, name: str, steps: Sequence[Step], lake: Lake, state: State) -> None:
        self.name, self.steps, self.lake, self.state = name, list(steps), lake, state

    # -- claiming -----------------------------------------------------------------------

    def claim(self, business_date: date, trigger: str, missing: list[str],
              force: bool = False) -> tuple[int, int] | None:
        """Insert the run row; None if this date already has a run and force is False."""
        with self.state.engine.begin() as conn:
            last = conn.execute(sa.select(sa.func.max(analysis_runs.c.attempt)).where(
                analysis_runs.c.business_date == business_date)).scalar()
        if last is not None and not force:
            return None
        attempt = (last or 0) + 1
        try:
            with self.state.engine.begin() as conn:
                result = conn.execute(analysis_runs.insert().values(
                    business_date=business_date, attempt=attempt, trigger=trigger,
                    status="running", missing_stores=missing, started_at=utc_now()))
                key = result.inserted_primary_key
                assert key is not None
                return int(key[0]), attempt
        except sa.exc.IntegrityError:
            return None  # another trigger claimed it a moment ago

    # -- running ------------------------------------------------------------------------

    def run(self, business_date: date, trigger: str, missing: list[str] | None = None,
            force: bool = False) -> RunResult:
        """Start the workflow for a date (exactly once unless ``force``)."""
        missing = missing or []
        claimed = self.claim(business_date, trigger, missing, force)
        if claimed is None:
            return RunResult(run_id=None, business_date=business_date, status="skipped",
                             trigger=trigger, message=f"{self.name} for {business_date} "
                             "already ran or is running; re-run explicitly to repeat it "
                             "(`shopsight sales analyze --force`, or the API's force=true)")
        run_id, attempt = claimed
        context = StepContext(business_date, run_id, trigger, missing)
        return self._execute(context, attempt, start=0)

    def resume(self, run_id: int) -> RunResult:
        """Re-run a failed run from its failed step, reloading earlier outputs (a run
        that succeeded is not run again: its steps' effects, alerts included, are done)."""
        with self.state.engine.connect() as conn:
            run = conn.execute(sa.select(analysis_runs).where(
                analysis_runs.c.id == run_id)).mappings().first()
            if run is None:
                raise NotFound("analysis run", str(run_id),
                               "`shopsight sales analyze` starts one and prints its id")
            if run["status"] == "succeeded":
                raise InvalidParameter("run_id", run_id, "a run that failed or was "
                                       "interrupted; this one succeeded (run the day again "
                                       "with `shopsight sales analyze --force`)")
            done = {r.step: r.output_key for r in conn.execute(sa.select(analysis_steps).where(
                (analysis_steps.c.run_id == run_id)
                & (analysis_steps.c.status == "succeeded")))}
        context = StepContext(run["business_date"], run_id, run["trigger"],
                              list(run["missing_stores"]))
        start = 0
        for index, step in enumerate(self.steps):
            if step.name not in done:
                start = index
                break
            data = json.loads(self.lake.read_bytes(done[step.name]))
            context.outputs[step.name] = step.output_model.model_validate(data)
        else:
            start = len(self.steps)
        with self.state.engine.begin() as conn:
            conn.execute(analysis_runs.update().where(analysis_runs.c.id == run_id).values(
                status="running", error=None, finished_at=None))
        return self._execute(context, run["attempt"], start=start)

    def _execute(self, context: StepContext, attempt: int, start: int) -> RunResult:
        for position, step in enumerate(self.steps[start:], start=start):
            started, t0 = utc_now(), time.perf_counter()
            self._record_step(context.run_id, step.name, position, "running", started)
            try:
                output = step.run(context)
            except Exception as exc:  # noqa: BLE001 - recorded, reported, resumable
                error = f"{type(exc).__name__}: {exc}"
                self._record_step(context.run_id, step.name, position, "failed", started,
                                  round((time.perf_counter() - t0) * 1000), error=error)
                self._finish(context.run_id, "failed", error)
                log.error(f"{self.name} {context.business_date} failed at {step.name}: "
                          f"{error}", extra=fields(step=step.name, run_id=context.run_id))
                return RunResult(run_id=context.run_id, business_date=context.business_date,
                                 status="failed", trigger=context.trigger, attempt=attempt,
                                 failed_step=step.name, error=error,
                                 message=f"failed at {step.name}; resume with run id "
                                 f"{context.run_id}")
            key = (f"analysis/{context.business_date}/run-{context.run_id}/"
                   f"{position:02d}-{step.name}.json")
            self.lake.write_bytes(key, output.model_dump_json().encode())
            context.outputs[step.name] = output
            duration = round((time.perf_counter() - t0) * 1000)
            self._record_step(context.run_id, step.name, position, "succeeded", started,
                              duration, output_key=key)
            log.info(f"{step.name} done in {duration} ms", extra=fields(
                step=step.name, run_id=context.run_id, duration_ms=duration))
        self._finish(context.run_id, "succeeded", None)
        return RunResult(run_id=context.run_id, business_date=context.business_date,
                         status="succeeded", trigger=context.trigger, attempt=attempt)

    def _record_step(self, run_id: int, step: str, position: int, status: str,
                     started: Any, duration_ms: int | None = None, error: str | None = None,
                     output_key: str | None = None) -> None:
        values = {"position": position, "status": status, "started_at": started,
                  "finished_at": None if status == "running" else utc_now(),
                  "duration_ms": duration_ms, "error": error, "output_key": output_key}
        key = (analysis_steps.c.run_id == run_id) & (analysis_steps.c.step == step)
        with self.state.engine.begin() as conn:
            if conn.execute(sa.select(analysis_steps.c.step).where(key)).first():
                conn.execute(analysis_steps.update().where(key).values(**values))
            else:
                conn.execute(analysis_steps.insert().values(run_id=run_id, step=step, **values))

    def _finish(self, run_id: int, status: str, error: str | None) -> None:
        with self.state.engine.begin() as conn:
            conn.execute(analysis_runs.update().where(analysis_runs.c.id == run_id).values(
                status=status, error=error, finished_at=utc_now()))

    def steps_of(self, run_id: int) -> list[dict[str, Any]]:
        """Recorded steps of a run, in order."""
        with self.state.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(analysis_steps).where(
                analysis_steps.c.run_id == run_id).order_by(analysis_steps.c.position))
                .mappings()]
