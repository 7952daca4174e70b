"""The daily analysis (the seed's Phase 2) as named, typed steps run by the workflow
runner: get-store-summaries → calc-company-metrics → calc-product-metrics →
detect-anomalies → analyze-trends → generate-recommendations → combine-insights →
generate-report → export.

The business date's figures come from the stores' uploads (``processed/``); history
before it comes from the curated tables. A store that did not report is left out of the
day (and named), never counted as a collapse. After a run the daily report, high-severity
anomalies and failures are sent through the notifier.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from shopsight.analytics.anomalies import SalesAnomaly, detect_sales_anomalies
from shopsight.analytics.fx import RATES_PER_USD
from shopsight.analytics.recommendations import Recommendation, recommend_actions
from shopsight.analytics.retail_calendar import retail_holidays
from shopsight.analytics.store_metrics import StoreDayMetrics
from shopsight.analytics.trends import PeriodChange, change_drivers, period_changes
from shopsight.errors import ConfigError, NotFound
from shopsight.lake.sql import connect
from shopsight.lake.store import Lake
from shopsight.notify import Alert, Notifier
from shopsight.pipeline.uploads import PROCESSED, StoreUploads
from shopsight.pipeline.workflow import RunResult, Step, StepContext, WorkflowRunner
from shopsight.state.store import State
from shopsight.systems.sales import history
from shopsight.systems.sales.insights import (
    AnomalyLine,
    ChangeLine,
    DailyInsights,
    DriverLine,
    ProductLine,
    RecommendationLine,
    StoreLine,
)
from shopsight.systems.sales.report import render_html, text_summary

HISTORY_DAYS = 400  # a year and a month: year-over-year needs 364 + 28 days
REPORTS, EXPORTS = "reports", "exports/quicksight"


class StoreSummaries(BaseModel):
    stores: list[StoreDayMetrics]
    missing: list[str]


class CompanyMetrics(BaseModel):
    revenue: float
    units: int
    transactions: int
    average_basket: float
    changes: list[PeriodChange]
    revenue_history: list[tuple[date, float]]


class ProductMetrics(BaseModel):
    top: list[ProductLine]
    bottom: list[ProductLine]
    sold: list[ProductLine] = []  # every product sold, for the export


class Anomalies(BaseModel):
    anomalies: list[SalesAnomaly]


class Trends(BaseModel):
    drivers: list[DriverLine]
    period: str = ""


class Recommendations(BaseModel):
    recommendations: list[Recommendation]


class ReportFiles(BaseModel):
    html_key: str
    json_key: str
    summary: str


class ExportFiles(BaseModel):
    keys: list[str]


class ReportListing(BaseModel):
    """A daily report in the archive."""

    business_date: date
    html_key: str
    json_key: str
    status: Literal["complete", "partial"] = Field(
        "complete", description="partial: some expected stores had not reported.")
    missing_stores: list[str] = Field(default_factory=list)


class DailyAnalysis:
    """Builds and runs the daily-analysis workflow; adapters are handed in."""

    def __init__(self, lake: Lake, state: State, uploads: StoreUploads, notifier: Notifier,
                 reporting_currency: str = "USD",
                 holidays: pd.DataFrame | None = None) -> None:
        self.lake, self.state, self.uploads = lake, state, uploads
        self.notifier, self.currency = notifier, reporting_currency
        self.holidays = retail_holidays() if holidays is None else holidays
        self.runner = WorkflowRunner("daily analysis", [
            Step("get-store-summaries", self.get_store_summaries, StoreSummaries),
            Step("calc-company-metrics", self.calc_company_metrics, CompanyMetrics),
            Step("calc-product-metrics", self.calc_product_metrics, ProductMetrics),
            Step("detect-anomalies", self.detect_anomalies, Anomalies),
            Step("analyze-trends", self.analyze_trends, Trends),
            Step("generate-recommendations", self.generate_recommendations, Recommendations),
            Step("combine-insights", self.combine_insights, DailyInsights),
            Step("generate-report", self.generate_report, ReportFiles),
            Step("export", self.export, ExportFiles),
        ], lake, state)
        self._store_daily: dict[date, pd.DataFrame] = {}

    # -- running --------------------------------------------------------------------------

    def run(self, business_date: date, trigger: str, missing: list[str] | None = None,
            force: bool = False) -> RunResult:
        """Run once for the date (unless forced), then alert about what it found. A day
        no store reported for is not analysed: a report of zeros would read as a day
        without sales; the alert (once per date, whoever asks) says that nothing arrived."""
        if not self.uploads.check_all_stores(business_date).reported:
            message = (f"no store has reported sales for {business_date}; nothing to "
                       "analyse (the stores upload their day's file first)")
            if self.state.first_to_send("no_store_reported", business_date.isoformat()):
                self.notifier.send(Alert(kind="missing_stores", severity="critical",
                                         subject=f"No store reported sales for "
                                         f"{business_date}", text=message))
            return RunResult(run_id=None, business_date=business_date, status="skipped",
                             trigger=trigger, message=message)
        result = self.runner.run(business_date, trigger, missing or [], force)
        self._alert(result)
        return result

    def resume(self, run_id: int) -> RunResult:
        """Continue a failed run from its failed step."""
        result = self.runner.resume(run_id)
        self._alert(result)
        return result

    def _alert(self, result: RunResult) -> None:
        if result.status == "failed":
            self.notifier.send(Alert(
                kind="failure", severity="critical",
                subject=f"Daily analysis {result.business_date} failed at {result.failed_step}",
                text=f"{result.error}\nResume with `shopsight sales resume {result.run_id}`."))
            return
        if result.status != "succeeded":
            return
        insights = self.report(result.business_date)
        high = [a for a in insights.anomalies if a.severity == "high"]
        if high:
            self.notifier.send(Alert(
                kind="anomaly", severity="critical",
                subject=f"{len(high)} high-severity sales anomalies on {result.business_date}",
                text="\n".join(a.description for a in high)))
        self.notifier.send(Alert(
            kind="daily_report", severity="warning" if insights.stores_missing else "info",
            subject=f"Daily sales report {result.business_date}", text=text_summary(insights),
            html=render_html(insights)))

    # -- data -----------------------------------------------------------------------------

    def _store_frame(self, ctx: StepContext) -> pd.DataFrame:
        """Store-days before the date from curated, the date itself from the uploads."""
        day = ctx.business_date
        if day not in self._store_daily:
            con = connect(self.lake)
            past = _or_empty(lambda: history.daily_store_sales(
                con, day - timedelta(days=1), day - timedelta(days=HISTORY_DAYS)),
                ["business_date", "store_id", "region", "revenue", "units", "transactions"])
            regions = past.drop_duplicates("store_id").set_index("store_id")["region"]
            summaries: StoreSummaries = ctx.outputs["get-store-summaries"]
            today = pd.DataFrame([{
                "business_date": pd.Timestamp(day), "store_id": m.store_id,
                "region": regions.get(m.store_id, ""), "revenue": m.revenue_reporting,
                "units": m.units, "transactions": m.transactions} for m in summaries.stores])
            frame = pd.concat([past.assign(business_date=pd.to_datetime(past["business_date"])),
                               today], ignore_index=True) if len(today) else past
            self._store_daily[day] = frame
        return self._store_daily[day]

    def _reported_frame(self, ctx: StepContext) -> pd.DataFrame:
        """History of the stores that reported today only, so that comparisons are like
        for like: a missing store must not read as a fall in company sales."""
        summaries: StoreSummaries = ctx.outputs["get-store-summaries"]
        frame = self._store_frame(ctx)
        reported = frame[frame["store_id"].isin([m.store_id for m in summaries.stores])]
        return reported

    def _day_lines(self, day: date) -> pd.DataFrame:
        """The POS lines of the date's processed uploads, amounts in reporting currency."""
        import pyarrow.parquet as pq

        frames = []
        for f in self.lake.list_files(f"{PROCESSED}/business_date={day}"):
            frames.append(pq.read_table(io.BytesIO(self.lake.read_bytes(f.key))).to_pandas())
        if not frames:
            return pd.DataFrame(columns=["store_id", "product_id", "quantity", "net_amount",
                                         "currency"])
        lines = pd.concat(frames, ignore_index=True)
        rate = lines["currency"].fillna("USD").map(
            lambda c: RATES_PER_USD[self.currency] / RATES_PER_USD.get(c, 1.0))
        converted: pd.DataFrame = lines.assign(revenue=lines["net_amount"] * rate)
        return converted

    @staticmethod
    def _inventory(con: Any, day: date) -> pd.DataFrame | None:
        frame = _or_empty(lambda: con.sql(
            "SELECT snapshot_date, location_id, product_id, on_hand, reorder_point, on_order "
            f"FROM inventory WHERE snapshot_date <= DATE '{day}'").df(), None)
        return frame if frame is not None and len(frame) else None

    # -- steps ----------------------------------------------------------------------------

    def get_store_summaries(self, ctx: StepContext) -> StoreSummaries:
        check = self.uploads.check_all_stores(ctx.business_date)
        return StoreSummaries(stores=self.uploads.metrics_for(ctx.business_date),
                              missing=check.missing)

    def calc_company_metrics(self, ctx: StepContext) -> CompanyMetrics:
        stores: StoreSummaries = ctx.outputs["get-store-summaries"]
        frame = self._reported_frame(ctx)
        company = (frame.groupby("business_date", as_index=False)[["revenue", "units",
                                                                   "transactions"]].sum())
        revenue = round(sum(m.revenue_reporting for m in stores.stores), 2)
        transactions = sum(m.transactions for m in stores.stores)
        history_28 = company[company["business_date"] > pd.Timestamp(
            ctx.business_date - timedelta(days=28))]
        return CompanyMetrics(
            revenue=revenue, units=sum(m.units for m in stores.stores),
            transactions=transactions,
            average_basket=round(revenue / transactions, 2) if transactions else 0.0,
            changes=period_changes(company, ctx.business_date) if len(company) else [],
            revenue_history=[(d.date(), round(float(v), 2)) for d, v in zip(
                history_28["business_date"], history_28["revenue"], strict=True)])

    def calc_product_metrics(self, ctx: StepContext) -> ProductMetrics:
        lines = self._day_lines(ctx.business_date)
        if lines.empty:
            return ProductMetrics(top=[], bottom=[])
        sold = lines.groupby("product_id", as_index=False).agg(
            units=("quantity", "sum"), revenue=("revenue", "sum"))
        catalogue = _or_empty(lambda: connect(self.lake).sql(
            "SELECT product_id, name, category FROM products").df(),
            ["product_id", "name", "category"])
        sold = sold.merge(catalogue, on="product_id", how="left").fillna(
            {"name": "", "category": ""})
        ranked = sold.sort_values(["revenue", "product_id"], ascending=[False, True])

        def line(r: Any) -> ProductLine:
            return ProductLine(product_id=str(r.product_id), name=str(r.name),
                               category=str(r.category), units=int(r.units),
                               revenue=round(float(r.revenue), 2))

        return ProductMetrics(top=[line(r) for r in ranked.head(10).itertuples()],
                              bottom=[line(r) for r in ranked.tail(10).iloc[::-1].itertuples()],
                              sold=[line(r) for r in ranked.itertuples()])

    def detect_anomalies(self, ctx: StepContext) -> Anomalies:
        day = ctx.business_date
        con = connect(self.lake)
        products = _or_empty(lambda: history.daily_product_sales(
            con, day, day - timedelta(days=90), channel="store"), None)
        inventory = self._inventory(con, day)
        found = detect_sales_anomalies(self._store_frame(ctx), products, day, day,
                                       self.holidays, inventory)
        reported = {m.store_id for m in ctx.outputs["get-store-summaries"].stores}
        return Anomalies(anomalies=[a for a in found if a.store_id in reported])

    def analyze_trends(self, ctx: StepContext) -> Trends:
        day = ctx.business_date
        frame = self._reported_frame(ctx)
        current = (day - timedelta(days=6), day)
        previous = (day - timedelta(days=13), day - timedelta(days=7))
        drivers: list[DriverLine] = []
        for dimension in ("store_id", "region"):
            report = change_drivers(frame, dimension, current, previous, top_n=5)
            drivers += [DriverLine(dimension=dimension.removesuffix("_id"), name=d.name,
                                   change=round(d.change, 2),
                                   contribution_pct=round((d.contribution or 0) * 100, 1))
                        for d in report.drivers]
        categories = _or_empty(lambda: history.daily_category_sales(
            connect(self.lake), day, day - timedelta(days=14), channel="store"), None)
        if categories is not None and len(categories):  # the same stores' sales as above
            categories = categories[categories["location_id"].isin(set(frame["store_id"]))]
            report = change_drivers(categories, "category", current, previous, top_n=5)
            drivers += [DriverLine(dimension="category", name=d.name, change=round(d.change, 2),
                                   contribution_pct=round((d.contribution or 0) * 100, 1))
                        for d in report.drivers]
        period = (f"store sales of the stores that reported, {current[0]} to {current[1]} "
                  f"against {previous[0]} to {previous[1]} (week over week)")
        return Trends(drivers=drivers, period=period)

    def generate_recommendations(self, ctx: StepContext) -> Recommendations:
        day = ctx.business_date
        con = connect(self.lake)
        inventory = self._inventory(con, day)
        products = _or_empty(lambda: history.daily_product_sales(
            con, day, day - timedelta(days=28)), None)
        anomalies: Anomalies = ctx.outputs["detect-anomalies"]
        recs = recommend_actions(anomalies.anomalies, day, inventory, products)
        return Recommendations(recommendations=recs[:25])

    def combine_insights(self, ctx: StepContext) -> DailyInsights:
        stores: StoreSummaries = ctx.outputs["get-store-summaries"]
        company: CompanyMetrics = ctx.outputs["calc-company-metrics"]
        products: ProductMetrics = ctx.outputs["calc-product-metrics"]
        anomalies: Anomalies = ctx.outputs["detect-anomalies"]
        trends: Trends = ctx.outputs["analyze-trends"]
        recs: Recommendations = ctx.outputs["generate-recommendations"]
        return DailyInsights(
            business_date=ctx.business_date, currency=self.currency,
            stores_reported=[m.store_id for m in stores.stores], stores_missing=stores.missing,
            revenue=company.revenue, units=company.units, transactions=company.transactions,
            average_basket=company.average_basket,
            changes=[ChangeLine(label=c.label, current=c.current, previous=c.previous,
                                change_pct=c.change_pct, current_start=c.current_start,
                                current_end=c.current_end, previous_start=c.previous_start,
                                previous_end=c.previous_end) for c in company.changes],
            revenue_history=company.revenue_history,
            stores=[StoreLine(store_id=m.store_id, revenue=m.revenue_reporting,
                              transactions=m.transactions, units=m.units,
                              average_basket=round(m.revenue_reporting / m.transactions, 2)
                              if m.transactions else 0.0, margin_rate=m.margin_rate)
                    for m in stores.stores],
            top_products=products.top, bottom_products=products.bottom,
            anomalies=[AnomalyLine(store_id=a.store_id, product_id=a.product_id, kind=a.kind,
                                   severity=a.severity, observed=a.observed,
                                   expected=a.expected, low=a.expected_low,
                                   high=a.expected_high, description=a.description)
                       for a in anomalies.anomalies],
            drivers=trends.drivers, drivers_period=trends.period,
            recommendations=[RecommendationLine(
                kind=r.kind, title=r.title, money_at_stake=r.money_at_stake,
                evidence=", ".join(f"{k} {v:,.2f}" if isinstance(v, float) else f"{k} {v}"
                                   for k, v in r.evidence.items()))
                for r in recs.recommendations])

    def generate_report(self, ctx: StepContext) -> ReportFiles:
        insights: DailyInsights = ctx.outputs["combine-insights"]
        base = f"{REPORTS}/{ctx.business_date}"
        self.lake.write_bytes(f"{base}/report.html", render_html(insights).encode())
        self.lake.write_bytes(f"{base}/report.json", insights.model_dump_json(indent=2).encode())
        return ReportFiles(html_key=f"{base}/report.html", json_key=f"{base}/report.json",
                           summary=text_summary(insights))

    def export(self, ctx: StepContext) -> ExportFiles:
        """The seed's export-to-quicksight: the day's tables as Parquet and CSV."""
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        insights: DailyInsights = ctx.outputs["combine-insights"]
        products: ProductMetrics = ctx.outputs["calc-product-metrics"]
        tables = {
            "stores": [s.model_dump() for s in insights.stores],
            "products": [p.model_dump() for p in products.sold or insights.top_products],
            "anomalies": [a.model_dump() for a in insights.anomalies],
            "recommendations": [r.model_dump() for r in insights.recommendations],
        }
        keys = []
        for name, rows in tables.items():  # amounts in the reporting currency, said per row
            table = pa.Table.from_pylist([{**r, "currency": insights.currency,
                                           "business_date": ctx.business_date}
                                          for r in rows])
            base = f"{EXPORTS}/{name}/business_date={ctx.business_date}/{name}"
            for suffix, write in (("parquet", pq.write_table), ("csv", pacsv.write_csv)):
                buffer = io.BytesIO()
                if table.num_columns:
                    write(table, buffer)
                self.lake.write_bytes(f"{base}.{suffix}", buffer.getvalue())
                keys.append(f"{base}.{suffix}")
        return ExportFiles(keys=keys)

    # -- reading reports ------------------------------------------------------------------

    def reports(self, limit: int = 60) -> list[ReportListing]:
        """Daily reports in the archive, newest first."""
        dates = sorted({f.key.split("/")[1] for f in self.lake.list_files(REPORTS)
                        if f.key.endswith("report.json")}, reverse=True)[:limit]
        listings = []
        for d in dates:
            missing = self.report(date.fromisoformat(d)).stores_missing
            listings.append(ReportListing(
                business_date=date.fromisoformat(d), html_key=f"{REPORTS}/{d}/report.html",
                json_key=f"{REPORTS}/{d}/report.json", missing_stores=missing,
                status="partial" if missing else "complete"))
        return listings

    def report(self, business_date: date) -> DailyInsights:
        key = f"{REPORTS}/{business_date}/report.json"
        if not self.lake.exists(key):
            raise NotFound("daily report", str(business_date),
                           "the daily analysis has not run for that date")
        return DailyInsights.model_validate(json.loads(self.lake.read_bytes(key)))

    def report_html(self, business_date: date) -> str:
        key = f"{REPORTS}/{business_date}/report.html"
        if not self.lake.exists(key):
            raise NotFound("daily report", str(business_date),
                           "the daily analysis has not run for that date")
        return self.lake.read_bytes(key).decode()


def _or_empty(read: Any, columns: list[str] | None) -> Any:
    """The frame ``read`` returns, or an empty one (None without columns) when the lake
    has no curated history yet: a platform fed only by store uploads still analyses."""
    import duckdb

    try:
        return read()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=columns) if columns is not None else None


def build_daily_analysis(settings: Any, lake: Lake, state: State,
                         uploads: StoreUploads) -> tuple[DailyAnalysis, Any]:
    """The analysis and its triggers as configured by settings."""
    from shopsight.notify import notifier_from_settings
    from shopsight.pipeline.triggers import DailyTriggers, FallbackSchedule

    notifier = notifier_from_settings(settings)
    holidays = None if settings.holidays_file is None else load_holidays(settings.holidays_file)
    analysis = DailyAnalysis(lake, state, uploads, notifier, settings.reporting_currency,
                             holidays)
    triggers = DailyTriggers(uploads, analysis.run, notifier, FallbackSchedule(
        settings.daily_analysis_schedule, settings.daily_analysis_timezone))
    return analysis, triggers


def load_holidays(path: Path) -> pd.DataFrame:
    """The holiday calendar of ``SHOPSIGHT_HOLIDAYS_FILE``: ``date`` and ``name`` per row."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ConfigError("SHOPSIGHT_HOLIDAYS_FILE", f"cannot read {path} as a CSV file "
                          f"({type(exc).__name__}); give a CSV with columns date,name") from exc
    columns = {c.strip().lower(): c for c in frame.columns}
    if missing := [c for c in ("date", "name") if c not in columns]:
        raise ConfigError("SHOPSIGHT_HOLIDAYS_FILE", f"{path} has no column "
                          f"{' or '.join(missing)}; give a CSV with columns date,name")
    dates = pd.to_datetime(frame[columns["date"]].str.strip(), format="%Y-%m-%d",
                           errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise ConfigError("SHOPSIGHT_HOLIDAYS_FILE", f"{path} row {row + 2} column date: "
                          f"{frame[columns['date']].iloc[row]!r} is not a date (YYYY-MM-DD)")
    names = frame[columns["name"]].str.strip()
    return pd.DataFrame({"date": dates.dt.date, "name": names.where(names != "", "holiday")})
