"""Market Intelligence Hub on the demo lake: forecasts vs seasonal naive, planted trends and
holiday peaks, movers, change points, training, prod tables, API and CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from shopsight.errors import InvalidParameter, NotFound
from shopsight.lake.models import ModelStore
from shopsight.lake.store import Lake
from shopsight.systems.market_intelligence.service import SYSTEM, MarketIntelligence
from tests.conftest import SIGNING_KEY

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hub(demo_lake: Any, tmp_path_factory: pytest.TempPathFactory) -> MarketIntelligence:
    """The demo lake's data, models kept in a lake of this module's own."""
    models = ModelStore(Lake(str(tmp_path_factory.mktemp("mi-models"))), SIGNING_KEY)
    return MarketIntelligence(demo_lake.lake, models)


def test_forecasts_beat_seasonal_naive_and_are_reused(hub: MarketIntelligence) -> None:
    first = hub.forecast("company", None, 60, "revenue")
    assert first.model.model_trained_now and first.unit == "USD"
    assert first.backtest.wape < first.backtest.naive_wape  # company beats seasonal naive
    assert len(first.points) == 60 and first.points[0].date.isoformat() == "2026-11-21"
    assert all(p.lower <= p.value <= p.upper for p in first.points)
    again = hub.forecast("company", "all", 30)
    assert not again.model.model_trained_now and again.model.version == first.model.version
    assert [p.value for p in again.points] == [p.value for p in first.points[:30]]
    regions = {r: hub.forecast("region", r.upper(), 7).backtest for r in hub.keys("region")}
    assert any(bt.wape < bt.naive_wape for bt in regions.values())
    units = hub.forecast("category", "electronics", 365, "units")
    assert units.unit == "units" and units.key == "Electronics" and len(units.points) == 365


def test_bad_parameters_are_refused_with_the_valid_range(hub: MarketIntelligence) -> None:
    with pytest.raises(InvalidParameter, match="1 to 365"):
        hub.forecast(horizon_days=366)
    with pytest.raises(InvalidParameter, match="company, region, channel, category"):
        hub.forecast("planet")
    with pytest.raises(InvalidParameter, match="revenue, units"):
        hub.forecast(metric="profit")
    with pytest.raises(NotFound, match="'Mars'.*Asia Pacific, Europe, North America"):
        hub.forecast("region", "Mars")
    with pytest.raises(NotFound, match="mobile, store, web"):
        hub.change_points("channel", "fax")
    with pytest.raises(InvalidParameter, match="one of Asia Pacific"):
        hub.forecast("region", None)
    with pytest.raises(InvalidParameter, match="1 to 365"):
        hub.trends("region", [0])
    with pytest.raises(InvalidParameter, match="1 to 50"):
        hub.movers(limit=0)
    with pytest.raises(InvalidParameter, match="per_customer_growth_yoy"):
        hub.movers(measure="vibes")


def test_region_growth_per_customer_matches_planted_trends(hub: MarketIntelligence,
                                                           demo_lake: Any) -> None:
    truth = pd.read_csv(Path(demo_lake.truth) / "region_trends.csv")
    report = hub.trends("region", [28, 365])
    year = {k.key: next(g for g in k.growth if g.window_days == 365) for k in report.keys}
    growth = {region: g.per_customer_growth_yoy or 0.0 for region, g in year.items()}
    assert set(growth) == set(truth["region"])
    assert sorted(growth, key=growth.__getitem__) == \
        truth.sort_values("annual_growth")["region"].tolist()  # Europe < NA < APAC
    for row in truth.itertuples():
        assert growth[row.region] * row.annual_growth > 0  # same sign
    # Plain revenue grows everywhere: the demo keeps acquiring customers.
    assert all((g.revenue_growth_yoy or 0) > 0 for g in year.values())
    assert all(g.revenue_year_ago == g.revenue_prev_period for g in year.values())


def test_yearly_seasonality_peaks_at_black_friday_and_christmas(hub: MarketIntelligence,
                                                                demo_lake: Any) -> None:
    holidays = pd.read_csv(Path(demo_lake.truth) / "holidays.csv", parse_dates=["date"])
    report = hub.seasonality("company")
    assert report.summary.yearly_available and len(report.weeks) == 104
    peaks = report.summary.peak_weeks
    for name in ("Black Friday", "Christmas week"):
        for day in holidays.loc[holidays["name"] == name, "date"].dt.date:
            assert any(p.week_start <= day <= p.week_end for p in peaks), (name, day)
    assert all(p.yearly_factor > 1.2 for p in peaks)
    assert "Black Friday" in peaks[0].events
    profile = report.summary.weekly_profile
    assert profile is not None and max(profile, key=profile.__getitem__) == "Saturday"
    trends = hub.trends("company", [7])
    assert trends.keys[0].seasonality.peak_weeks == peaks


def test_movers_and_change_points(hub: MarketIntelligence) -> None:
    movers = hub.movers("all", 90, 3)
    assert 1 <= len(movers.risers) <= 3 and [m.rank for m in movers.risers] == \
        list(range(1, len(movers.risers) + 1))
    growths = [m.growth for m in movers.risers]
    assert growths == sorted(growths, reverse=True) and all(g > 0 for g in growths)
    per_customer = hub.movers("region", 365, 3, "per_customer_growth_yoy")
    assert [m.key for m in per_customer.fallers] == ["Europe"]
    assert [m.key for m in per_customer.risers] == ["Asia Pacific", "North America"]
    company = hub.change_points("company")
    assert company.series[0].seasonally_adjusted and company.series[0].weeks == 104
    # Steady growth and the holiday peaks are not breaks.
    assert company.series[0].change_points == []
    channels = hub.change_points("channel")
    assert [s.key for s in channels.series] == ["mobile", "store", "web"]


def test_train_then_publish_prod_tables(demo_lake: Any, tmp_path: Path) -> None:
    hub = MarketIntelligence(demo_lake.lake, ModelStore(Lake(str(tmp_path / "m")), SIGNING_KEY),
                             n_estimators=50)
    trained = hub.train(["company", "region"], ["revenue"])
    assert len(trained.versions) == 4
    assert trained.metrics["forecast-company-all-revenue.wape"] > 0
    assert not hub.forecast("region", "Europe").model.model_trained_now
    tables = hub.publish()
    assert {"forecasts_company", "forecasts_region", "forecasts_channel",
            "forecasts_category", "forecast_backtests", "trends", "movers",
            "seasonality", "change_points"} <= set(tables)
    assert tables["forecasts_category"].num_rows == 8 * 2 * 90
    assert tables["forecast_backtests"].num_rows == (1 + 3 + 3 + 8) * 2
    assert tables["trends"].num_rows == (1 + 3 + 3 + 8) * 4
    assert len(hub.models.versions(SYSTEM, "forecast-company-all-revenue")) == 1


def test_api_routes(hub: MarketIntelligence) -> None:
    from fastapi import FastAPI

    from shopsight.api.errors import install_error_handler
    from shopsight.api.routes.market_intelligence import router

    app = FastAPI()
    install_error_handler(app)
    app.include_router(router)
    app.state.market_intelligence = hub
    body = _get(app, "/market-intelligence/forecast",
                {"level": "region", "key": "Europe", "horizon_days": 5})
    assert body.status_code == 200 and len(body.json()["points"]) == 5
    assert "naive_wape" in body.json()["backtest"]
    trends = _get(app, "/market-intelligence/trends", {"level": "channel", "windows": [7, 28]})
    assert trends.json()["windows"] == [7, 28] and len(trends.json()["keys"]) == 3
    assert _get(app, "/market-intelligence/movers", {"days": 28}).status_code == 200
    assert _get(app, "/market-intelligence/change-points", {"level": "region"}).status_code \
        == 200
    bad = _get(app, "/market-intelligence/forecast", {"horizon_days": 0})
    assert bad.status_code == 422 and "1 to 365" in bad.json()["message"]
    missing = _get(app, "/market-intelligence/forecast", {"level": "category", "key": "Cars"})
    assert missing.status_code == 404 and "Books" in missing.json()["message"]


def test_cli_commands(hub: MarketIntelligence, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from shopsight.systems.market_intelligence import cli

    monkeypatch.setattr(cli, "_service", lambda: hub)
    runner = CliRunner()
    result = runner.invoke(cli.app, ["trends", "--level", "region", "--window", "365"])
    assert result.exit_code == 0 and "Europe" in result.output
    result = runner.invoke(cli.app, ["forecast", "--horizon-days", "3", "--json"])
    assert result.exit_code == 0 and '"naive_wape"' in result.output
    movers = runner.invoke(cli.app, ["movers", "--days", "90"])
    expected = hub.movers("all", 90, 5, "revenue_growth_yoy")
    assert movers.exit_code == 0
    assert all(m.key in movers.output for m in expected.risers + expected.fallers)
    breaks = runner.invoke(cli.app, ["change-points", "--level", "region"])
    found = hub.change_points("region", None, "revenue")
    count = sum(len(s.change_points) for s in found.series)
    assert breaks.exit_code == 0 and f"region revenue change points ({count})" in breaks.output
    bad = runner.invoke(cli.app, ["movers", "--days", "0"])
    assert bad.exit_code == 2


def _get(app: Any, url: str, params: dict[str, Any]) -> Any:
    """Call the ASGI app in process (httpx transport, no server)."""
    import httpx

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            return await client.get(url, params=params)

    return asyncio.run(go())
