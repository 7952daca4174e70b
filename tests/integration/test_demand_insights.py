"""Demand Insights on the demo lake, checked against the planted truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from shopsight.errors import InvalidParameter, NotFound
from shopsight.lake.models import ModelStore
from shopsight.systems.demand_insights.models import (
    ChurnRequest,
    ClvRequest,
    ElasticityRequest,
    ForecastRequest,
    PriceOptimizationRequest,
    SegmentsRequest,
)
from shopsight.systems.demand_insights.service import DemandInsights
from tests.conftest import SIGNING_KEY
from tests.live import in_process_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def service(demo_lake: Any) -> DemandInsights:
    return DemandInsights(demo_lake.lake, ModelStore(demo_lake.lake, SIGNING_KEY),
                          n_estimators=100)


def test_elasticity_recovers_every_planted_category(service: DemandInsights,
                                                    demo_lake: Any) -> None:
    truth = pd.read_csv(Path(demo_lake.truth) / "elasticity.csv")
    result = service.price_elasticity()
    measured = {e.target: e for e in result.estimates}
    assert set(measured) == set(truth["category"])
    covered = 0
    for row in truth.itertuples():
        est = measured[row.category]
        assert est.elasticity == pytest.approx(row.elasticity, abs=0.1), row.category
        covered += est.ci_low <= row.elasticity <= est.ci_high  # the truth, not the estimate
        assert est.n_observations > 1000 and est.p_value < 0.001
    assert covered >= len(truth) - 1  # 95% intervals: at most one of eight may miss
    one = service.price_elasticity(ElasticityRequest(category="Books")).estimates
    assert [e.target for e in one] == ["Books"]
    with pytest.raises(NotFound, match="Gadgets"):
        service.price_elasticity(ElasticityRequest(category="Gadgets"))


def test_prices_follow_the_planted_elasticities(service: DemandInsights,
                                               demo_lake: Any) -> None:
    """Every product priced at list price and unit cost: the elasticity used is near its
    category's planted one, and the price moves the way the planted truth says."""
    from shopsight.analytics.pricing import optimal_price

    truth = pd.read_csv(Path(demo_lake.truth) / "elasticity.csv").set_index("category")
    from shopsight.lake.sql import connect

    products = connect(demo_lake.lake).execute(
        "SELECT product_id, category, list_price, unit_cost FROM products "
        "WHERE unit_cost IS NOT NULL ORDER BY product_id").df()
    used_errors, agree, reasons = [], 0, set()
    for p in products.itertuples():
        planted = float(truth.loc[p.category, "elasticity"])
        rec = service.price_optimization(PriceOptimizationRequest(
            product_id=p.product_id, current_price=float(p.list_price), current_quantity=100,
            cost_per_unit=float(p.unit_cost)))
        used_errors.append(abs(rec.elasticity - planted))
        expected = optimal_price(float(p.list_price), 100, float(p.unit_cost), planted)
        agree += rec.direction == expected.direction
        reasons.add(rec.elasticity_source)
        assert rec.elasticity < 0 and rec.elasticity_reason, rec
    assert np.quantile(used_errors, 0.95) < 0.15, sorted(used_errors)[-10:]
    assert agree >= 0.97 * len(products), agree
    assert "category" in reasons


def test_churn_finds_planted_dead_customers(service: DemandInsights, demo_lake: Any) -> None:
    from sklearn.metrics import roc_auc_score

    truth = pd.read_csv(Path(demo_lake.truth) / "customers.csv")
    result = service.churn(ChurnRequest(limit=10_000))
    assert result.total_customers == len(result.customers) > 2500
    assert result.evaluation.roc_auc > 0.75 and result.evaluation.pr_auc > 0.5
    assert "90 days" in result.churn_definition
    scores = {c.customer_id: c.churn_probability for c in result.customers}
    # Customers without any order cannot have churned: score them 0.
    proba = truth["customer_id"].map(scores).fillna(0.0)
    auc = roc_auc_score(~truth["alive_at_end"].astype(bool), proba)
    assert auc >= 0.8
    levels = {c.risk_level for c in result.customers}
    assert levels <= {"low", "medium", "high"} and "high" in levels
    unknown = service.churn(ChurnRequest(customer_ids=["C0000001"]))
    assert len(unknown.customers) == 1
    with pytest.raises(NotFound, match="C9999999"):
        service.churn(ChurnRequest(customer_ids=["C9999999"]))
    with pytest.raises(InvalidParameter):
        service.churn(ChurnRequest(medium_threshold=0.7, high_threshold=0.6))


def test_probability_alive_is_calibrated_against_the_planted_deaths(
        service: DemandInsights, demo_lake: Any) -> None:
    """P(alive) of the CLV model against who is alive in the truth, one-order customers
    included (the plain BG/NBD called every one of them certainly alive)."""
    from sklearn.metrics import roc_auc_score

    from shopsight.lake.sql import connect

    everyone = service.clv(ClvRequest(limit=10_000)).customers
    scored = pd.DataFrame([(c.customer_id, c.probability_alive) for c in everyone
                           if c.probability_alive is not None], columns=["customer_id", "alive"])
    days = connect(demo_lake.lake).execute(  # purchase days (one visit a day, as the model)
        "SELECT customer_id, count(DISTINCT order_date) AS orders FROM orders "
        "WHERE status <> 'cancelled' GROUP BY customer_id").df()
    truth = pd.read_csv(Path(demo_lake.truth) / "customers.csv")
    both = scored.merge(days, on="customer_id").merge(truth, on="customer_id")
    dead = ~both["alive_at_end"].astype(bool)
    assert roc_auc_score(dead, 1 - both["alive"]) > 0.9
    bins = pd.cut(both["alive"], [0, 0.2, 0.4, 0.6, 0.8, 1.0], include_lowest=True)
    table = both.assign(truly=~dead).groupby(bins, observed=True).agg(
        n=("alive", "size"), said=("alive", "mean"), truly=("truly", "mean"))
    big = table[table["n"] >= 100]
    assert len(big) >= 3 and ((big["said"] - big["truly"]).abs() < 0.1).all(), table
    once = both[both["orders"] == 1]
    assert len(once) > 100 and once["alive"].max() < 1
    assert roc_auc_score(dead[both["orders"] == 1], 1 - once["alive"]) > 0.75


def test_clv_and_at_risk(service: DemandInsights) -> None:
    result = service.clv(ClvRequest(customer_ids=["C0000001", "C0000002"]))
    assert [c.customer_id for c in result.customers] == ["C0000001", "C0000002"]
    assert set(result.backtest.mae) == {"bgnbd_gamma_gamma", "random_forest"}
    assert result.method == result.backtest.chosen
    assert all(c.expected_value >= 0 for c in result.customers)
    everyone = service.clv(ClvRequest(limit=10_000))
    assert len(everyone.customers) == everyone.total_customers > 2500
    page = service.clv(ClvRequest(limit=100, offset=100))
    assert [c.customer_id for c in page.customers] == [
        c.customer_id for c in everyone.customers[100:200]]
    assert page.total_expected_value == pytest.approx(everyone.total_expected_value)
    risk = service.at_risk_customers()
    values = [c.value_at_risk for c in risk.customers]
    assert values == sorted(values, reverse=True) and len(values) <= 100
    assert all(c.churn_probability > 0.6 for c in risk.customers)


def test_forecast_beats_seasonal_naive(service: DemandInsights) -> None:
    result = service.forecast(ForecastRequest(forecast_days=30))
    assert len(result.forecast) == 30
    assert result.backtest.wape < result.backtest.naive_wape
    assert result.backtest.beats_naive
    assert all(p.lower <= p.units <= p.upper for p in result.forecast)
    assert result.feature_importance
    cat = service.forecast(ForecastRequest(category_id="Toys", forecast_days=7))
    assert cat.level == "category" and len(cat.forecast) == 7
    with pytest.raises(NotFound, match="SKU-99999"):
        service.forecast(ForecastRequest(product_id="SKU-99999"))
    with pytest.raises(ValidationError, match="less than or equal to 365"):
        ForecastRequest(forecast_days=400)
    with pytest.raises(ValidationError, match="greater than or equal to 2"):
        SegmentsRequest(n_clusters=1)


def test_models_are_stored_and_reused(demo_lake: Any, tmp_path: Path) -> None:
    """A model store of its own (the demo lake's is shared by every test): trained on the
    first call, reused by a new service on the same store."""
    from shopsight.lake.store import Lake

    models = ModelStore(Lake(str(tmp_path / "models")), SIGNING_KEY)
    first = DemandInsights(demo_lake.lake, models, n_estimators=100).churn(
        ChurnRequest(customer_ids=["C0000001"]))
    assert first.model.model_trained_now
    again = DemandInsights(demo_lake.lake, models).churn(ChurnRequest(customer_ids=["C0000001"]))
    assert not again.model.model_trained_now
    assert again.customers[0].churn_probability == first.customers[0].churn_probability


def test_segments_and_pricing(service: DemandInsights) -> None:
    seg = service.segments(SegmentsRequest(n_clusters=5))
    assert seg.n_clusters == 5
    assert sum(s.revenue_share for s in seg.segments) == pytest.approx(1.0)
    names = {s.name for s in seg.segments}
    assert names & {"Champions", "Loyal", "At risk", "Hibernating", "New"}
    again = service.segments(SegmentsRequest(n_clusters=5))  # reused, not refitted
    assert seg.model_trained_now and not again.model_trained_now
    assert again.segments == seg.segments
    service.refresh()  # new data generation: fitted again, not served from before
    assert service.segments(SegmentsRequest(n_clusters=5)).model_trained_now
    body = PriceOptimizationRequest(product_id="SKU-00001", current_price=100.0,
                                    current_quantity=1000, cost_per_unit=60.0)
    rec = service.price_optimization(body)
    assert rec.elasticity_source in ("product", "category")
    assert 80.0 <= rec.recommended.price <= 120.0
    inelastic = service.price_optimization(body.model_copy(update={"elasticity": -0.5}))
    assert inelastic.status == "no_interior_optimum" and inelastic.direction == "increase"
    with pytest.raises(ValidationError):
        PriceOptimizationRequest(product_id="x", current_price=10, current_quantity=1,
                                 cost_per_unit=-1)


def test_api_routes(service: DemandInsights) -> None:
    from fastapi import FastAPI

    from shopsight.api.errors import install_error_handler
    from shopsight.api.routes.demand_insights import router

    app = FastAPI()
    install_error_handler(app)
    app.state.demand_insights = service
    app.include_router(router)
    client = in_process_client(app)
    assert client.get("/demand-insights/segments?n_clusters=4").json()["n_clusters"] == 4
    assert client.get("/demand-insights/segments?n_clusters=20").status_code == 422
    fc = client.post("/demand-insights/forecast", json={"forecast_days": 7})
    assert fc.status_code == 200 and len(fc.json()["forecast"]) == 7
    el = client.post("/demand-insights/price-elasticity", json={"category": "Home"})
    assert el.json()["estimates"][0]["target"] == "Home"
    po = client.post("/demand-insights/price-optimization", json={
        "product_id": "SKU-00001", "current_price": 100.0, "current_quantity": 1000,
        "cost_per_unit": 60.0})
    assert po.status_code == 200
    assert client.post("/demand-insights/clv", json={"customer_ids": ["C0000001"]}
                       ).status_code == 200
    missing = client.post("/demand-insights/churn", json={"customer_ids": ["nobody"]})
    assert missing.status_code == 404 and "nobody" in missing.json()["message"]
    risk = client.get("/demand-insights/at-risk-customers?threshold=0.6&limit=5")
    assert risk.status_code == 200 and len(risk.json()["customers"]) <= 5
    tables = service.publish()
    assert {"segments", "customer_scores", "elasticities", "forecast_company"} <= set(tables)
    assert tables["customer_scores"].num_rows > 2500


def test_refresh_during_a_computation_neither_deadlocks_nor_serves_old_results(
        service: DemandInsights) -> None:
    import threading

    from shopsight.systems.demand_insights.models import AtRiskRequest

    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(
        service.at_risk_customers(AtRiskRequest(limit=5))))
    worker.start()
    service.refresh()  # takes the service lock while the worker computes under the memo's
    worker.join(timeout=120)
    assert not worker.is_alive() and len(results) == 1
    assert service._memo.get((service._generation, "at_risk_scores"), lambda: None)[1]
