"""The sales upload endpoints through a live uvicorn server: sign, upload, check."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from shopsight.api.app import create_app
from shopsight.config import load_settings
from shopsight.lake.store import Lake
from shopsight.state.store import State
from tests.conftest import DemoLake
from tests.live import live_server

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 20)


def test_signed_upload_round_trip(tmp_path: Path, demo_lake: DemoLake,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSIGHT_HOME", str(tmp_path))
    lake = Lake(str(tmp_path / "lake"))
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    app = create_app(load_settings(), lake=lake, state=state)
    admin = {"X-API-Key": app.state.api_keys.create("ops", "admin")[0]}
    store4 = {"X-API-Key": app.state.api_keys.create("till-4", "store", store_ids=["0004"])[0]}
    data = (demo_lake.uploads / DAY.isoformat() / "store_0004.csv").read_bytes()
    with live_server(app) as base:
        app.state.uploads.base_url = app.state.sales_data.base_url = base
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        assert httpx.post(f"{base}/sales/upload-url", json={
            "store_id": "0004", "business_date": str(DAY)}).status_code == 401
        assert httpx.post(f"{base}/sales/upload-url", headers=store4, json={
            "store_id": "0005", "business_date": str(DAY)}).status_code == 403
        ticket = httpx.post(f"{base}/sales/upload-url", headers=store4, json={
            "store_id": "0004", "business_date": str(DAY)}).json()
        assert ticket["url"].startswith(f"{base}/sales/uploads/0004/2026-11-20?")
        done = httpx.put(ticket["url"], content=data, headers={"Content-Type": "text/csv"})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "processed" and done.json()["rows"] > 0
        tampered = ticket["url"].replace("/0004/", "/0005/")
        refused = httpx.put(tampered, content=data)
        assert refused.status_code == 422
        assert refused.json()["error"] == "InvalidParameter"
        bad = httpx.put(ticket["url"], content=b"store_id,business_date\n0004,2026-11-20\n")
        assert bad.status_code == 422 and "required column" in bad.json()["message"]
        status = httpx.get(f"{base}/sales/stores-status", headers=admin,
                           params={"business_date": str(DAY)}).json()
        assert status["reported"] == ["0004"] and "0011" in status["missing"]
        files = httpx.get(f"{base}/sales/files", headers=store4,
                          params={"prefix": "processed/"}).json()
        assert [f["key"] for f in files["items"]] == [
            "processed/business_date=2026-11-20/store_id=0004/sales.parquet"]
        rejected = httpx.get(f"{base}/sales/files", headers=admin,
                             params={"prefix": "uploads/", "date_from": str(DAY)}).json()
        assert {f["status"] for f in rejected["items"]} == {"processed", "rejected"}
        assert any("required column" in (f["reason"] or "") for f in rejected["items"])
        store5 = {"X-API-Key": app.state.api_keys.create("till-5", "store",
                                                         store_ids=["0005"])[0]}
        assert httpx.get(f"{base}/sales/files", headers=store5).json()["total"] == 0
        original = next(f["key"] for f in rejected["items"] if f["status"] == "processed")
        denied = httpx.post(f"{base}/sales/download-url", headers=store5,
                            json={"key": original})
        assert denied.status_code == 403
        link = httpx.post(f"{base}/sales/download-url", headers=store4,
                          json={"key": original}).json()
        got = httpx.get(link["url"])
        assert got.status_code == 200 and got.content == data
        assert httpx.get(link["url"].replace("signature=", "signature=0")).status_code == 422
        company = httpx.get(f"{base}/sales/analytics", headers=admin, params={
            "start": str(DAY), "end": str(DAY), "level": "company"}).json()
        assert company["rows"][0]["store_id"] == "company"
        assert company["rows"][0]["revenue"] == done.json()["metrics"]["revenue_reporting"]
        backwards = httpx.get(f"{base}/sales/analytics", headers=admin, params={
            "start": str(DAY), "end": "2026-11-01"})
        assert backwards.status_code == 422 and "on or after start" in backwards.json()["message"]
        week = httpx.get(f"{base}/sales/analytics", headers=admin, params={
            "start": "2026-11-14", "end": str(DAY)}).json()
        assert len(week["days_without_uploads"]) == 6 and "no figure is not zero" in week["note"]
        unknown = httpx.get(f"{base}/sales/analytics", headers=admin, params={
            "start": str(DAY), "end": str(DAY), "store_id": "0099"})
        assert unknown.status_code == 404 and "stores with uploads: 0004" in \
            unknown.json()["message"]
        not_a_date = httpx.get(f"{base}/sales/reports/20261120", headers=admin)
        assert not_a_date.status_code == 422 and not_a_date.json()["message"] == (
            "business_date: '20261120' is not a date; give it as YYYY-MM-DD")
        run = httpx.post(f"{base}/sales/analysis/{DAY}", headers=admin)
        assert run.status_code == 200 and run.json()["status"] == "succeeded", run.text
        listed = httpx.get(f"{base}/sales/reports", headers=admin).json()
        assert [r["business_date"] for r in listed] == [str(DAY)]
        assert listed[0]["status"] == "partial" and "0011" in listed[0]["missing_stores"]
        day = httpx.get(f"{base}/sales/reports/{DAY}", headers=admin).json()
        assert day["stores_reported"] == ["0004"] and "0011" in day["stores_missing"]
        assert day["revenue"] == done.json()["metrics"]["revenue_reporting"]
        page = httpx.get(f"{base}/sales/reports/{DAY}/html", headers=admin)
        assert page.status_code == 200 and "Daily sales report" in page.text
        assert httpx.get(f"{base}/sales/trends", headers=admin,
                         params={"business_date": str(DAY)}).status_code == 200
        assert httpx.get(f"{base}/sales/reports/2026-01-01", headers=admin).status_code == 404
        assert httpx.post(f"{base}/sales/analysis/{DAY}", headers=admin
                          ).json()["status"] == "skipped"
        invalid = httpx.post(f"{base}/sales/upload-url", headers=admin, json={"store_id": "4",
                                                               "business_date": str(DAY)})
        assert invalid.status_code == 422
    state.engine.dispose()
