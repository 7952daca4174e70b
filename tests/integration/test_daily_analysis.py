"""A business day end to end on the small demo: 10 of 11 stores upload, the fallback
fires, the analysis runs once, the report names the missing store and the planted
anomaly of the day, and the alerts arrive at a real SMTP server."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from shopsight.lake.store import Lake
from shopsight.llm import OfflineLlm
from shopsight.notify import EmailNotifier, FanOutNotifier
from shopsight.pipeline.triggers import DailyTriggers, FallbackSchedule
from shopsight.pipeline.uploads import StoreUploads
from shopsight.state.store import State
from shopsight.systems.retail_copilot import RetailCopilot
from shopsight.systems.sales.daily_analysis import DailyAnalysis
from tests.conftest import DemoLake
from tests.integration.test_notify import _Inbox, smtp_server  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 20)
STORES = [f"{i:04d}" for i in range(1, 12)]
MISSING = "0011"


def a_business_day(tmp_path: Path, demo_lake: DemoLake, smtp_port: int | None = None
                   ) -> tuple[Lake, State, StoreUploads, FanOutNotifier, DailyAnalysis]:
    """A private copy of the demo lake, a state store, the uploads and the analysis, its
    alerts mailed to the SMTP server on ``smtp_port`` (none without one)."""
    shutil.copytree(demo_lake.lake.root, tmp_path / "lake")
    lake = Lake(str(tmp_path / "lake"))
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    uploads = StoreUploads(lake, state, signing_key="k", base_url="http://127.0.0.1",
                           ttl_seconds=60, expected_stores=STORES)
    notifier = FanOutNotifier([] if smtp_port is None else [EmailNotifier(
        "127.0.0.1", smtp_port, "shopsight@test", ["ops@shop.test"])])
    return lake, state, uploads, notifier, DailyAnalysis(lake, state, uploads, notifier)


def test_the_day_end_to_end(tmp_path: Path, demo_lake: DemoLake,
                            smtp_server: tuple[int, _Inbox]) -> None:  # noqa: F811
    port, inbox = smtp_server
    lake, state, uploads, notifier, analysis = a_business_day(tmp_path, demo_lake, port)
    triggers = DailyTriggers(uploads, analysis.run, notifier,
                             FallbackSchedule("0 23 * * *", "America/New_York"))
    for store in STORES:
        if store == MISSING:
            continue
        data = (demo_lake.uploads / DAY.isoformat() / f"store_{store}.csv").read_bytes()
        result = uploads.process_upload(store, DAY, data)
        assert result.status == "processed"
        assert triggers.after_upload(result) is None  # not everyone has reported yet

    # 23:00 in New York on the business date is 04:00 UTC the next day
    fire = triggers.schedule.next_fire(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
    outcomes = []

    def trigger() -> None:
        outcomes.append(triggers.fallback(fire))

    racers = [threading.Thread(target=trigger) for _ in range(3)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(o.status for o in outcomes) == ["skipped", "skipped", "succeeded"]
    run = next(o for o in outcomes if o.status == "succeeded")
    assert analysis.run(DAY, "all_stores").status == "skipped"
    steps = [s["step"] for s in analysis.runner.steps_of(run.run_id or 0)]
    assert steps == ["get-store-summaries", "calc-company-metrics", "calc-product-metrics",
                     "detect-anomalies", "analyze-trends", "generate-recommendations",
                     "combine-insights", "generate-report", "export"]

    report = analysis.report(DAY)
    assert report.stores_missing == [MISSING]
    assert len(report.stores) == 10
    assert report.revenue == pytest.approx(sum(s.revenue for s in report.stores), abs=0.05)
    truth = pd.read_csv(demo_lake.truth / "anomalies.csv", dtype=str)
    planted = truth[(truth["start_date"] == str(DAY)) & truth["kind"].str.startswith("store")]
    assert len(planted) == 1
    store, kind = planted.iloc[0]["store_id"], planted.iloc[0]["kind"].removeprefix("store_")
    assert any(a.store_id == store and a.kind == kind and a.severity == "high"
               for a in report.anomalies), report.anomalies
    assert all(a.store_id != MISSING for a in report.anomalies)
    # every driver is a share of one change: the reporting stores' week over week
    totals = {d.dimension: d.change * 100 / d.contribution_pct for d in report.drivers
              if abs(d.contribution_pct) >= 5}
    assert {"store", "region", "category"} <= set(totals), report.drivers
    assert max(totals.values()) == pytest.approx(min(totals.values()), rel=0.05), totals
    assert "week over week" in report.drivers_period
    month = next(c for c in report.changes if c.label == "month over month")
    assert (month.current_end - month.current_start).days == 27  # type: ignore[operator]
    # the copilot answers from the same reports
    copilot = RetailCopilot(lake, state, OfflineLlm())
    found = copilot.ask("analyst", f"Were there any anomalies on {DAY}?")
    assert found.metadata.tool == "daily_analysis.anomalies" and found.data is not None
    assert sorted((r["store_id"], r["kind"], r["severity"]) for r in found.data.rows) == sorted(
        (a.store_id, a.kind, a.severity) for a in report.anomalies)
    assert f"store {store}" in found.answer or store in found.answer
    at_store = copilot.ask("analyst", f"anomalies at store {store} last week and this week")
    assert at_store.data is not None and {r["store_id"] for r in at_store.data.rows} == {store}
    none = copilot.ask("analyst", "any anomalies in October 2026?")
    assert none.answer.startswith("The daily analysis has not run for any day of October")
    html = analysis.report_html(DAY)
    assert "Missing stores: 0011" in html and "<svg" in html and store in html
    exported = [f.key for f in lake.list_files("exports/quicksight")]
    assert f"exports/quicksight/anomalies/business_date={DAY}/anomalies.parquet" in exported
    assert f"exports/quicksight/stores/business_date={DAY}/stores.csv" in exported
    sold = pd.read_csv(io.BytesIO(lake.read_bytes(
        f"exports/quicksight/products/business_date={DAY}/products.csv")))
    assert len(sold) > 10 and set(sold["currency"]) == {"USD"}  # every product, not the top

    subjects = [message["Subject"] for _, message in inbox.messages]
    assert f"[shopsight] Daily analysis {DAY} ran without 1 store(s)" in subjects
    assert f"[shopsight] Daily sales report {DAY}" in subjects
    assert any("high-severity sales anomalies" in s for s in subjects)
    report_mail = next(m for _, m in inbox.messages if "Daily sales report" in m["Subject"])
    body = next(p.get_payload(decode=True).decode() for p in report_mail.walk()
                if p.get_content_type() == "text/plain")
    assert "missing: 0011" in body and store in body
    state.engine.dispose()


def test_changes_compare_the_reporting_stores_like_for_like(tmp_path: Path,
                                                            demo_lake: DemoLake) -> None:
    lake, state, uploads, _, analysis = a_business_day(tmp_path, demo_lake)
    for store in ("0002", "0003"):
        data = (demo_lake.uploads / DAY.isoformat() / f"store_{store}.csv").read_bytes()
        uploads.process_upload(store, DAY, data)
    assert analysis.run(DAY, "manual", STORES[2:] + ["0001"]).status == "succeeded"
    report = analysis.report(DAY)
    assert {d.name for d in report.drivers if d.dimension == "store"} <= {"0002", "0003"}
    week = next(c for c in report.changes if c.label == "week over week")
    # two stores' week is compared with the same two stores' previous week, not 11 stores'
    assert week.previous is not None and week.previous < 3 * week.current
    state.engine.dispose()


def test_a_day_no_store_reported_is_not_analysed_and_says_so(
        tmp_path: Path, demo_lake: DemoLake, smtp_server: tuple[int, _Inbox]  # noqa: F811
) -> None:
    """A report of zeros would read as a day without sales: the run is skipped and the
    alert says that nothing arrived."""
    port, inbox = smtp_server
    lake, state, uploads, notifier, analysis = a_business_day(tmp_path, demo_lake, port)
    result = analysis.run(DAY, "fallback", STORES)
    assert (result.status, result.run_id) == ("skipped", None)
    assert "no store has reported sales for 2026-11-20" in result.message
    subjects = [message["Subject"] for _, message in inbox.messages]
    assert any("No store reported sales for 2026-11-20" in s for s in subjects), subjects
    assert not lake.list_files("reports")
    # every API worker runs the fallback: the others' runs say the same, alert no more
    other_worker = DailyAnalysis(lake, State(state.url), uploads, notifier)
    assert other_worker.run(DAY, "schedule", STORES).status == "skipped"
    assert analysis.run(DAY, "manual", STORES).message == result.message
    assert len(inbox.messages) == len(subjects)
    other_worker.state.engine.dispose()
    state.engine.dispose()


def test_the_last_store_uploaded_with_the_cli_starts_the_analysis(
        tmp_path: Path, demo_lake: DemoLake) -> None:
    """`shopsight sales upload` checks all stores like an upload through the API does."""
    shutil.copytree(demo_lake.lake.root, tmp_path / "lake")
    env = {**os.environ, "SHOPSIGHT_HOME": str(tmp_path / "home"),
           "SHOPSIGHT_LAKE": str(tmp_path / "lake"), "EXPECTED_STORES": "0001,0002",
           "SHOPSIGHT_LOG_FORMAT": "json", "COLUMNS": "200"}

    def upload(store: str) -> subprocess.CompletedProcess[str]:
        path = demo_lake.uploads / DAY.isoformat() / f"store_{store}.csv"
        return subprocess.run([sys.executable, "-m", "shopsight.cli", "sales", "upload",
                               str(path), "--store", store, "--date", DAY.isoformat()],
                              env=env, capture_output=True, text=True, timeout=300)

    first = upload("0001")
    assert first.returncode == 0, first.stderr
    assert "daily analysis" not in first.stdout
    second = upload("0002")
    assert second.returncode == 0, second.stderr
    assert f"every expected store has reported for {DAY}: succeeded daily analysis" in \
        " ".join(second.stdout.split()), second.stdout
    state = State(f"sqlite:///{tmp_path / 'home' / 'state.db'}")
    uploads = StoreUploads(Lake(str(tmp_path / "lake")), state, signing_key="k",
                           base_url="http://127.0.0.1", ttl_seconds=60,
                           expected_stores=["0001", "0002"])
    report = DailyAnalysis(uploads.lake, state, uploads, FanOutNotifier([])).report(DAY)
    assert report.stores_reported == ["0001", "0002"] and not report.stores_missing
    state.engine.dispose()
