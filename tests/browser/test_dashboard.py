"""The web dashboard in a real browser: Playwright driving Debian's Chromium against the
real app on a copy of the small demo lake, through a live uvicorn server.

Each test logs in through the UI, opens a page, and checks that the numbers shown are
the API's. Screenshots go to ``test-artifacts/screenshots/``. Endpoints that are not
deployed yet must show a "not available" state, never break a page.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopsight.api.app import create_app
from shopsight.config import load_settings
from shopsight.lake.store import Lake
from shopsight.state.store import State
from tests.conftest import DemoLake
from tests.live import live_server

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--headless=new"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000


@dataclass
class Dashboard:
    """The running app, its base URL, a browser, and keys of each role."""

    app: Any
    base: str
    browser: Any
    keys: dict[str, str]
    store_ids: list[str]
    upload_day: str
    upload_files: list[Path]
    tmp: Path

    def api(self, path: str, role: str = "admin", **params: Any) -> Any:
        response = httpx.get(f"{self.base}{path}", params=params,
                             headers={"X-API-Key": self.keys[role]}, timeout=60)
        response.raise_for_status()
        return response.json()



@pytest.fixture(scope="module")
def dashboard(demo_lake: DemoLake, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Dashboard]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium "
                    "(apt-get install -y --no-install-recommends chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="browser tests need `pip install playwright`")
    tmp = tmp_path_factory.mktemp("dashboard")
    # A private copy of the demo lake: the uploads below must not leak into other tests.
    shutil.copytree(demo_lake.root / "lake", tmp / "lake")
    lake = Lake(str(tmp / "lake"))
    state = State(f"sqlite:///{tmp / 'state.db'}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SHOPSIGHT_HOME", str(tmp))
        app = create_app(load_settings(), lake=lake, state=state)
        day = sorted(p.name for p in demo_lake.uploads.iterdir() if p.is_dir())[0]
        files = sorted((demo_lake.uploads / day).glob("store_*.csv"))[:2]
        store_ids = [f.stem.removeprefix("store_") for f in files]
        keys = {role: app.state.api_keys.create(f"browser-{role}", role,
                                                store_ids=store_ids if role == "store"
                                                else None)[0]
                for role in ("admin", "analyst", "store")}
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with live_server(app) as base, sync_api.sync_playwright() as playwright:
            for name in ("uploads", "sales_data"):
                service = getattr(app.state, name, None)
                if service is not None and hasattr(service, "base_url"):
                    service.base_url = base
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            try:
                yield Dashboard(app, base, browser, keys, store_ids, day, files, tmp)
            finally:
                browser.close()
    state.engine.dispose()


@pytest.fixture
def page_for(dashboard: Dashboard) -> Iterator[Any]:
    """A function that opens a fresh tab signed in with a role's key."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_as(role: str) -> Any:
        context = dashboard.browser.new_context(viewport={"width": 1440, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{dashboard.base}/")
        page.fill("#api-key", dashboard.keys[role])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#shell:not([hidden])")
        assert page.inner_text("[data-testid=role]").lower() == role
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def goto(page: Any, base: str, hash_route: str) -> None:
    """Open a hash route and wait until the page (not every panel) has rendered."""
    page.goto(f"{base}/app/#/{hash_route}")
    page.wait_for_selector("#view[data-ready=true]")


def settle(page: Any) -> None:
    """Wait for the panels that load by themselves."""
    page.wait_for_function("!document.querySelector('#view .loading')", timeout=TIMEOUT_MS * 2)


def shot(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def money(value: float) -> str:
    return f"{value:,.2f}"


# -- tests -------------------------------------------------------------------------------


def test_root_redirects_to_the_dashboard_and_files_are_public(dashboard: Dashboard) -> None:
    response = httpx.get(f"{dashboard.base}/", follow_redirects=True)
    assert response.status_code == 200 and str(response.url).endswith("/app/")
    assert "<title>shopsight</title>" in response.text
    js = httpx.get(f"{dashboard.base}/app/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{dashboard.base}/app/../config.py").status_code == 404
    assert httpx.get(f"{dashboard.base}/app/nothing.js").status_code == 404
    assert "cdn" not in js.text.lower() and "https://" not in js.text


def test_login_refuses_a_bad_key_and_a_revoked_key_returns_to_login(
        dashboard: Dashboard) -> None:
    context = dashboard.browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{dashboard.base}/")
    page.fill("#api-key", "ssk_nope_nope")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "not accepted" in page.inner_text("#login-error")
    shot(page, "00-login")
    key, info = dashboard.app.state.api_keys.create("short-lived", "analyst")
    page.fill("#api-key", key)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#shell:not([hidden])")
    dashboard.app.state.api_keys.revoke(info.key_id)
    goto_hash = f"{dashboard.base}/app/#/markets"
    page.goto(goto_hash)
    page.wait_for_selector("#login:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('shopsight.apiKey')") is None
    context.close()


def test_markets_show_the_api_region_revenue(dashboard: Dashboard, page_for: Any) -> None:
    page = page_for("analyst")
    goto(page, dashboard.base, "markets")
    settle(page)
    report = dashboard.api("/market-pulse/regions", "analyst", by="region", days=365)
    assert report["markets"], "the demo data has regions"
    for market in report["markets"]:
        cell = page.locator(f"[data-testid=markets] tr[data-key='{market['market']}'] "
                            "td[data-col=revenue]")
        assert cell.inner_text() == money(market["revenue"])
    total = page.locator("[data-testid=markets-total]")
    assert float(total.get_attribute("data-value")) == pytest.approx(report["total_revenue"])
    assert page.locator("[data-testid=markets-chart] rect.bar").count() == len(report["markets"])
    opportunities = dashboard.api("/market-pulse/opportunities", "analyst", limit=50)
    assert page.locator("[data-testid=opportunities] tbody tr").count() == len(
        opportunities["items"])
    # hover shows a tooltip; clicking a bar filters the opportunities to its region
    first = report["markets"][0]["market"]
    page.locator(f"[data-testid=markets-chart] rect.bar[data-category='{first}']").hover()
    assert first in page.inner_text("[data-testid=markets-chart] .chart-tip")
    shot(page, "06-markets")
    page.locator(f"[data-testid=markets-chart] rect.bar[data-category='{first}']").click()
    page.wait_for_selector("#view[data-ready=true]")
    settle(page)
    regions = set(page.locator("[data-testid=opportunities] td[data-col=region]").all_inner_texts())
    assert regions == {first}  # the region's opportunities, and only they
    goto(page, dashboard.base, "markets?by=country&days=90")
    settle(page)
    countries = dashboard.api("/market-pulse/regions", "analyst", by="country", days=90)
    assert page.locator("[data-testid=markets] tbody tr").count() == len(countries["markets"])


def test_compliance_shows_the_api_flagged_count_and_reasons(dashboard: Dashboard,
                                                            page_for: Any) -> None:
    page = page_for("admin")
    goto(page, dashboard.base, "compliance")
    settle(page)
    flagged = dashboard.api("/compliance/flagged", min_score=70, limit=25, offset=0)
    kpi = page.locator("[data-testid=flagged-total]")
    assert int(kpi.get_attribute("data-value")) == flagged["total"]
    assert f"{flagged['total']:,}" in kpi.inner_text()
    rows = page.locator("[data-testid=flagged] tbody tr")
    assert rows.count() == len(flagged["items"])
    assert flagged["items"], "the demo data plants fraud: some payments are flagged"
    first = flagged["items"][0]
    rows.first.click()
    page.wait_for_selector("[data-testid=risk-detail]")
    risk = dashboard.api(f"/compliance/transactions/{first['payment_id']}/risk")
    shown = page.inner_text("#view")
    assert risk["reasons"] and risk["reasons"][0] in shown
    # the PCI scan: none yet, then an admin runs one from the page
    page.get_by_role("button", name="Run a scan now").click()
    page.wait_for_selector("[data-testid=scan-findings]", timeout=TIMEOUT_MS * 3)
    scan = dashboard.api("/compliance/scan")
    assert int(page.get_attribute("[data-testid=scan-findings]", "data-value")) == len(
        scan["findings"])
    shot(page, "05-compliance")
    analyst = page_for("analyst")
    goto(analyst, dashboard.base, "compliance")
    settle(analyst)
    assert "PCI scan results are for admins" in analyst.inner_text("#view")


def test_store_uploads_two_files_with_progress_and_the_stores_page_shows_them(
        dashboard: Dashboard, page_for: Any) -> None:
    page = page_for("store")
    nav = page.locator("#nav a").all_inner_texts()
    assert nav == ["Uploads"], "a store key only sees the upload page"
    goto(page, dashboard.base, "uploads")
    for path, store_id in zip(dashboard.upload_files, dashboard.store_ids, strict=True):
        page.select_option("#upload-store", store_id)
        page.fill("#upload-date", dashboard.upload_day)
        page.set_input_files("#upload-file", str(path))
        page.click("[data-testid=upload-form] button[type=submit]")
        page.wait_for_selector("[data-testid=upload-result] [data-status]")
        result = page.locator("[data-testid=upload-result] .result")
        assert result.get_attribute("data-status") == "processed", result.inner_text()
        assert page.get_attribute("[data-testid=upload-progress]", "value") == "100"
        assert page.inner_text("[data-testid=upload-percent]").startswith("100%")
        assert f"store {store_id}" in result.inner_text()
    shot(page, "08-uploads")
    # a broken file is rejected with its reasons
    broken = dashboard.tmp / "broken.csv"
    lines = dashboard.upload_files[0].read_text().splitlines()
    broken.write_text("\n".join([lines[0], *(re.sub(r"^[^,]*", "", line) for line in lines[1:3])]))
    page.select_option("#upload-store", dashboard.store_ids[0])
    page.set_input_files("#upload-file", str(broken))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=upload-result] [data-status=rejected]")
    assert page.locator("[data-testid=upload-result] ol li").count() >= 1
    assert page.locator("[data-testid=session-uploads] tbody tr").count() == 3
    page.wait_for_selector("[data-testid=files] tbody tr")
    statuses = set(page.locator("[data-testid=files] td[data-col=status]").all_inner_texts())
    assert {"processed", "rejected"} <= statuses
    shot(page, "08-uploads-rejected")

    analyst = page_for("analyst")
    goto(analyst, dashboard.base, f"stores?date={dashboard.upload_day}")
    settle(analyst)
    status = dashboard.api("/sales/stores-status", "analyst",
                           business_date=dashboard.upload_day)
    assert sorted(status["reported"]) == sorted(dashboard.store_ids)
    shown = analyst.locator("[data-testid=reported-list] li").all_inner_texts()
    assert shown == status["reported"]
    missing = analyst.locator("[data-testid=missing-list] li").all_inner_texts()
    assert missing == status["missing"]
    assert analyst.get_attribute("[data-testid=kpi-reported]", "data-value") == str(
        len(status["reported"]))
    shot(analyst, "02-stores")


def test_every_page_loads_without_errors(dashboard: Dashboard, page_for: Any) -> None:
    page = page_for("analyst")
    for number, route in (("01", "overview"), ("03", "products"), ("04", "customers"),
                          ("09", "reports")):
        goto(page, dashboard.base, route)
        settle(page)
        text = page.inner_text("#view")
        assert "The server could not answer" not in text, f"{route}: {text[:500]}"
        assert page.locator("#nav a.active").inner_text()
        shot(page, f"{number}-{route}")
    header, first_line = dashboard.upload_files[0].read_text().splitlines()[:2]
    product = dict(zip(header.split(","), first_line.split(","), strict=False))["product_id"]
    body = {"product_id": product, "current_price": 100.0, "current_quantity": 50.0,
            "cost_per_unit": 60.0}
    goto(page, dashboard.base, "products")
    for name, value in body.items():
        page.fill(f"#price-{name}", str(value))
    page.get_by_role("button", name="Recommend a price").click()
    page.wait_for_selector("[data-testid=price-result] .result", timeout=TIMEOUT_MS * 2)
    expected = httpx.post(f"{dashboard.base}/demand-insights/price-optimization", json=body,
                          headers={"X-API-Key": dashboard.keys["analyst"]}, timeout=60).json()
    assert money(expected["recommended"]["price"]) in page.inner_text(
        "[data-testid=price-result]")
    shot(page, "03-products-price")
    reports = dashboard.api("/sales/reports", "analyst", limit=1)
    goto(page, dashboard.base, "overview")
    settle(page)
    if not reports:  # (the upload test has not run: one more store's sales, by the API)
        assert "No daily report yet" in page.inner_text("#view")
        other = sorted(dashboard.upload_files[0].parent.glob("store_*.csv"))[2]
        admin = {"X-API-Key": dashboard.keys["admin"]}
        ticket = httpx.post(f"{dashboard.base}/sales/upload-url", headers=admin, json={
            "store_id": other.stem.removeprefix("store_"),
            "business_date": dashboard.upload_day}, timeout=30).json()
        sent = httpx.put(ticket["url"], content=other.read_bytes(), timeout=60,
                         headers={"Content-Type": "text/csv"})
        assert sent.json()["status"] == "processed", sent.text
        run = httpx.post(f"{dashboard.base}/sales/analysis/{dashboard.upload_day}", timeout=120,
                         headers={"X-API-Key": dashboard.keys["admin"]})
        assert run.json()["status"] == "succeeded", run.text
        reports = dashboard.api("/sales/reports", "analyst", limit=1)
        page.reload()  # same hash route: reload so the overview asks again
        page.wait_for_selector("#view[data-ready=true]")
        settle(page)
    assert reports
    day = str(reports[0]["business_date"])[:10]
    insights = dashboard.api(f"/sales/reports/{day}", "analyst")
    kpi = page.locator("[data-testid=kpi-revenue]")
    assert float(kpi.get_attribute("data-value")) == pytest.approx(insights["revenue"])
    assert int(page.get_attribute("[data-testid=kpi-transactions]", "data-value")) == (
        insights["transactions"])
    # the stores' revenue trend carries Market Intelligence's forecast band
    page.wait_for_selector("[data-testid=revenue-trend] svg", timeout=TIMEOUT_MS * 2)
    assert "Forecast" in page.inner_text("[data-testid=revenue-trend]")
    shot(page, "01-overview")
    # the low-stock panel says how many rows the day's snapshot has, not only the 50 shown
    answer = httpx.post(f"{dashboard.base}/copilot/ask", timeout=60, headers={
        "X-API-Key": dashboard.keys["analyst"]}, json={
        "question": f"Show me low stock products on {day}", "page_size": 50}).json()
    assert answer["data"]["total"] > 50, answer["answer"]
    goto(page, dashboard.base, "products")
    page.wait_for_selector("[data-testid=low-stock-count]", timeout=TIMEOUT_MS * 2)
    counted = page.inner_text("[data-testid=low-stock-count]")
    assert f"the 50 largest shortfalls of {answer['data']['total']:,}" in counted, counted


def test_copilot_answers_with_rows(dashboard: Dashboard, page_for: Any) -> None:
    page = page_for("analyst")
    goto(page, dashboard.base, "copilot")
    question = "What were the top 5 products by revenue last month?"
    page.fill("input[name=question]", question)
    page.click(".ask-form button[type=submit]")
    page.wait_for_selector("[data-testid=answer]", timeout=TIMEOUT_MS * 3)
    answer = httpx.post(f"{dashboard.base}/copilot/ask", json={"question": question},
                        headers={"X-API-Key": dashboard.keys["analyst"]}, timeout=60).json()
    rows = answer.get("rows") or (answer.get("data") or {}).get("rows") or []
    shown = page.locator("[data-testid=answer] [data-testid=answer-rows] tbody tr")
    assert shown.count() == min(len(rows), 200)
    if answer.get("chart") and rows:
        assert page.locator("[data-testid=answer] .answer-chart svg").count() == 1
    shot(page, "07-copilot")
