"""Global Market Pulse on the demo lake: planted regional trends, opportunities, API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from shopsight.errors import InvalidParameter
from shopsight.systems.market_pulse.service import MarketPulse
from tests.live import in_process_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pulse(demo_lake: Any) -> MarketPulse:
    return MarketPulse(demo_lake.lake)


def test_region_growth_matches_planted_trends(pulse: MarketPulse, demo_lake: Any) -> None:
    truth = pd.read_csv(Path(demo_lake.truth) / "region_trends.csv")
    report = pulse.regions()
    growth = {m.market: m.growth_per_customer_yoy for m in report.markets}
    assert set(growth) == set(truth["region"])
    planted = truth.sort_values("annual_growth")["region"].tolist()
    measured = sorted(growth, key=lambda r: growth[r] or 0.0)
    assert measured == planted  # Europe < North America < Asia Pacific
    for row in truth.itertuples():
        assert (growth[row.region] or 0.0) * row.annual_growth > 0  # same sign
    assert sum(m.share for m in report.markets) == pytest.approx(1.0, abs=1e-4)
    assert report.total_revenue == pytest.approx(sum(m.revenue for m in report.markets))
    countries = pulse.regions(by="country", days=90)
    assert {"US", "DE", "JP"} <= {m.market for m in countries.markets}
    with pytest.raises(InvalidParameter, match="1 to 730"):
        pulse.regions(days=0)
    with pytest.raises(InvalidParameter):
        pulse.regions(by="planet")


def test_opportunities_are_ranked_with_figures(pulse: MarketPulse) -> None:
    first = pulse.opportunities(limit=200)
    assert first.total == len(first.items) == 24  # 3 regions x 8 categories
    assert [o.rank for o in first.items] == list(range(1, 25))
    assert sum(o.share_of_company for o in first.items) == pytest.approx(1.0, abs=1e-4)
    scores = [o.score for o in first.items]
    assert scores == sorted(scores, reverse=True)
    assert pulse.opportunities(limit=200) == first
    top = pulse.opportunities(limit=3)
    assert top.items == first.items[:3]
    with pytest.raises(InvalidParameter):
        pulse.opportunities(limit=0)
    tables = pulse.publish()
    assert {"regions", "countries", "opportunities"} <= set(tables)


def test_api_routes(pulse: MarketPulse) -> None:
    from fastapi import FastAPI

    from shopsight.api.errors import install_error_handler
    from shopsight.api.routes.market_pulse import router

    app = FastAPI()
    install_error_handler(app)
    app.include_router(router)
    app.state.market_pulse = pulse
    client = in_process_client(app)
    body = client.get("/market-pulse/regions", params={"by": "country"}).json()
    assert body["by"] == "country" and body["markets"]
    assert client.get("/market-pulse/opportunities", params={"limit": 2}).json()[
        "items"][0]["rank"] == 1
    assert client.get("/market-pulse/regions", params={"days": 9999}).status_code == 422

