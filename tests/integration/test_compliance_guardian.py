"""Compliance Guardian on the demo lake: fraud scores against the planted truth, the PCI
scan (clean lake, then planted leaks), and the API routes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shopsight.errors import InvalidParameter, NotFound
from shopsight.lake.store import Lake
from shopsight.systems.compliance_guardian.pci_scan import find_pans, find_ssns
from shopsight.systems.compliance_guardian.service import ComplianceGuardian
from tests.live import in_process_client

pytestmark = pytest.mark.integration

TEST_PAN = "4111111111111111"  # the well-known Visa test number


@pytest.fixture(scope="module")
def guardian(demo_lake: Any) -> ComplianceGuardian:
    return ComplianceGuardian(demo_lake.lake)


def test_scores_recover_planted_fraud(guardian: ComplianceGuardian, demo_lake: Any) -> None:
    from sklearn.metrics import average_precision_score

    table = guardian.publish()["payment_risk"].to_pandas()
    truth = pd.read_csv(Path(demo_lake.truth) / "fraud.csv")
    y = table["payment_id"].isin(truth["payment_id"]).to_numpy()
    scores = table["risk_score"].to_numpy()
    assert average_precision_score(y, scores) >= 0.8
    top = np.argsort(-scores, kind="stable")[: int(np.ceil(0.01 * len(scores)))]
    assert y[top].mean() >= 0.9
    assert table["risk_score"].between(0, 100).all()
    assert (table["scoring_method"] == "unsupervised").all()  # the demo has no chargebacks
    # every planted pattern is told apart from legitimate payments, not only the easy ones
    from sklearn.metrics import roc_auc_score

    legit = table.loc[~y, "risk_score"].to_numpy()
    by_pattern = {}
    for pattern, ids in truth.groupby("pattern")["payment_id"]:
        fraud = table.loc[table["payment_id"].isin(ids), "risk_score"].to_numpy()
        by_pattern[pattern] = roc_auc_score(
            np.r_[np.zeros(len(legit)), np.ones(len(fraud))], np.r_[legit, fraud])
    assert min(by_pattern.values()) >= 0.95, by_pattern
    # and most of each pattern is at least medium risk, where few legitimate payments are
    medium = set(table.loc[table["risk_score"] >= 40, "payment_id"])
    caught = truth.assign(hit=truth["payment_id"].isin(medium)).groupby("pattern")["hit"].mean()
    assert caught.min() >= 0.6 and (legit >= 40).mean() < 0.01, caught.to_dict()
    # high risk (the default flagged list) holds the clear patterns, and almost nothing
    # legitimate; a large basket on the customer's own card and IP stays medium mostly
    high = set(table.loc[table["risk_score"] >= 70, "payment_id"])
    high_share = truth.assign(hit=truth["payment_id"].isin(high)).groupby("pattern")["hit"].mean()
    clear = high_share.drop("high_amount")
    assert clear.min() >= 0.9 and (legit >= 70).mean() < 0.001, high_share.to_dict()


def test_score_flagged_and_errors(guardian: ComplianceGuardian) -> None:
    page = guardian.flagged_transactions(min_score=70, limit=5, offset=0)
    assert page.total >= 5 and len(page.items) == 5
    assert [i.risk_score for i in page.items] == sorted((i.risk_score for i in page.items),
                                                        reverse=True)
    first = page.items[0]
    assert first.reasons and any(ch.isdigit() for ch in first.reasons[0])
    again = guardian.score_transaction(first.payment_id)
    assert again.risk_score == first.risk_score and again.risk_level == "high"
    second = guardian.flagged_transactions(min_score=70, limit=5, offset=5)
    assert not {i.payment_id for i in page.items} & {i.payment_id for i in second.items}
    with pytest.raises(NotFound):
        guardian.score_transaction("PAY-NOPE")
    for kwargs in ({"min_score": 101}, {"limit": 0}, {"limit": 10_000}, {"offset": -1}):
        with pytest.raises(InvalidParameter, match="expected"):
            guardian.flagged_transactions(**kwargs)


def test_flagged_within_a_period(guardian: ComplianceGuardian) -> None:
    """The period is inclusive at both ends; the count is checked against the published
    risk table, filtered here by date on its own."""
    from datetime import date

    risk = guardian.publish()["payment_risk"].to_pandas()
    flagged = risk[risk["risk_score"] >= 70]
    days = sorted(flagged["paid_at"].dt.date.dropna().unique())
    since, until = days[len(days) // 2], days[len(days) // 2 + 6]  # both days have flags
    week = guardian.flagged_transactions(min_score=70, limit=500, since=since, until=until)
    in_week = flagged[flagged["paid_at"].dt.date.between(since, until)]
    assert 0 < week.total == len(in_week) < len(flagged)
    assert {i.payment_id for i in week.items} == set(in_week["payment_id"])
    assert {i.paid_at.date() for i in week.items if i.paid_at} >= {since, until}
    with pytest.raises(InvalidParameter, match="on or after"):
        guardian.flagged_transactions(since=date(2026, 2, 2), until=date(2026, 2, 1))


def test_pan_and_ssn_recognition() -> None:
    assert find_pans(f"card {TEST_PAN} used") == [TEST_PAN]
    assert find_pans("4111 1111 1111 1111") == [TEST_PAN]
    assert find_pans("3782-822463-10005") == ["378282246310005"]
    assert find_pans("411111******1111 and 1795428704311 and 2024-11-21 23:11:03") == []
    assert find_pans("order 1234567812345670") == []  # Luhn-valid, but no issuer range
    assert find_ssns("ssn 123-45-6789, 000-12-3456, 666-12-3456, 912-12-3456") == [
        "123-45-6789"]


def test_demo_lake_scan_is_clean(guardian: ComplianceGuardian) -> None:
    with pytest.raises(NotFound):
        ComplianceGuardian(guardian.lake).last_scan()
    report = guardian.run_scan()
    assert report.findings == [] and report.clean
    assert report.tables_scanned >= 6 and report.files_scanned > 0
    assert guardian.last_scan() == report


def test_scan_finds_planted_leaks(demo_lake: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    shutil.copytree(demo_lake.lake.root, tmp_path / "lake",
                    ignore=shutil.ignore_patterns("raw"))
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes("rejected/payments/leak.csv",
                     f"payment_id,card_number,note\nP1,{TEST_PAN},ok\n"
                     "P2,4111 1111 1111 1111,ssn 123-45-6789\n".encode())
    write_deltalake(lake.uri("prod/compliance_guardian/leaky"),
                    pa.table({"payment_id": ["P1", "P2"], "pan": ["x", TEST_PAN],
                              "cvv": ["123", "456"]}))
    report = ComplianceGuardian(lake).run_scan()
    found = {(f.kind, f.location, f.column, f.row) for f in report.findings}
    assert ("pan", "rejected/payments/leak.csv", "card_number", 1) in found
    assert ("pan", "rejected/payments/leak.csv", "card_number", 2) in found
    assert ("ssn", "rejected/payments/leak.csv", "note", 2) in found
    assert ("pan", "compliance_guardian_leaky.pan", "pan", 2) in found
    assert ("cvv_column", "compliance_guardian_leaky.cvv", "cvv", None) in found
    assert any(f.location.endswith(".json") and "_delta_log" in f.location
               for f in report.findings if f.kind == "pan")  # stats keep the PAN too
    assert all(TEST_PAN not in f.model_dump_json() for f in report.findings)
    assert {f.sample for f in report.findings if f.kind == "pan"} == {"411111******1111"}


def test_api_routes(guardian: ComplianceGuardian) -> None:
    from fastapi import FastAPI

    from shopsight.api.errors import install_error_handler
    from shopsight.api.routes.compliance import router

    app = FastAPI()
    install_error_handler(app)
    app.include_router(router)
    app.state.compliance_guardian = guardian
    client = in_process_client(app)
    page = client.get("/compliance/flagged", params={"limit": 2, "offset": 1}).json()
    assert len(page["items"]) == 2 and page["offset"] == 1
    pid = page["items"][0]["payment_id"]
    one = client.get(f"/compliance/transactions/{pid}/risk").json()
    assert one["risk_score"] == page["items"][0]["risk_score"]
    assert client.get("/compliance/transactions/NOPE/risk").status_code == 404
    bad = client.get("/compliance/flagged", params={"limit": 0})
    assert bad.status_code == 422 and "1 to 500" in bad.json()["message"]
    posted = client.post("/compliance/scan").json()
    assert posted["findings_total"] == 0
    assert client.get("/compliance/scan").json()["started_at"] == posted["started_at"]

