"""The Market Intelligence Hub facade: sales forecasts and market trends.

``MarketIntelligence(lake, models)`` reads curated orders, order_items, products, stores
and customers through DuckDB once (until :meth:`refresh`) into net-sales lines
(:data:`shopsight.analytics.market_trends.LINE_COLUMNS`):

- revenue is the net line amount, ``quantity x unit_price - line discount``, converted
  to USD with the fixed rate table of :mod:`shopsight.analytics.fx`; units are
  quantities; orders ``cancelled``, ``returned`` or ``refunded`` are left out (net
  sales, :data:`shopsight.schema.NOT_SALES_STATUSES`, as in the Global Market Pulse);
- an order's region is its store's, or for web and mobile orders the buyer's country's
  region (:func:`shopsight.analytics.regions.located_orders`); its channel is
  ``orders.channel``; a line's category is its product's.

Forecasts use the shared engine (:mod:`shopsight.analytics.forecasting`), one model per
(level, key, metric), stored under ``models/market_intelligence/`` and cached in the
process; a request trains only when no stored model exists, and says so
(``model_trained_now``). Trends, movers, seasonality and change points are computed on
request from :mod:`shopsight.analytics.market_trends` (cheap, no stored state).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from typing import Any

import pandas as pd

from shopsight.errors import InvalidParameter, NotEnoughHistory, NotFound
from shopsight.lake.models import LoadedModels, ModelStore
from shopsight.lake.store import Lake
from shopsight.systems.market_intelligence.models import (
    INTERVAL_COVERAGE,
    MAX_HORIZON_DAYS,
    MAX_MOVERS,
    MAX_WINDOW_DAYS,
    BacktestOut,
    ChangePointOut,
    ChangePointsRequest,
    ChangePointsResponse,
    ForecastPoint,
    ForecastRequest,
    ForecastResponse,
    KeyTrend,
    Mover,
    MoversRequest,
    MoversResponse,
    PeakWeek,
    SeasonalityResponse,
    SeasonalitySummary,
    SeasonalWeek,
    SeriesChangePoints,
    TrainResponse,
    TrendsRequest,
    TrendsResponse,
    WindowGrowth,
)
from shopsight.systems.model_info import ModelInfo

SYSTEM = "market_intelligence"
CURRENCY = "USD"
BACKTEST_HORIZON = 28
BACKTEST_ORIGINS = 3
PUBLISH_HORIZON_DAYS = 90
PUBLISH_MOVER_DAYS = (28, 90, 365)
LEVELS = ("company", "region", "channel", "category")
MOVER_LEVELS = ("region", "channel", "category", "all")
METRICS = ("revenue", "units")
GROWTH_DEFINITION = (
    "growth = value in the window / value in the comparison window - 1: _pop against the "
    "window just before, _yoy against the same window a year (365 days) earlier. Revenue "
    "is net line revenue in USD, cancelled, returned and refunded orders excluded. "
    "per_customer_growth_yoy compares purchase frequency (orders of registered customers "
    "per active registered customer) with a year earlier: it removes the growth of the "
    "customer base, which lifts plain revenue everywhere while customers are acquired.")
CHANGE_POINT_METHOD = (
    "exact optimal partitioning (PELT's search, unpruned) of log weekly totals into "
    "straight-line segments of at least 8 weeks; BIC-style penalty 3 x 3 x log(weeks) on "
    "the noise scale from week-to-week differences; with two years of history the yearly "
    "pattern is fitted jointly with the segments and removed first")


def _safe_name(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value)


def _opt(value: Any) -> float | None:
    """None for NaN, else a float (pydantic-friendly)."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


class MarketIntelligence:
    """Sales forecasting and trend analysis over one lake (handed in) and its model store."""

    def __init__(self, lake: Lake, models: ModelStore, n_estimators: int = 200) -> None:
        self.lake = lake
        self.models = models
        self.n_estimators = n_estimators
        self._data: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._loaded = LoadedModels(self.models, SYSTEM, self._lock)

    # ------------------------------------------------------------------ data

    def refresh(self) -> None:
        """Forget cached data and models; the next call re-reads the lake."""
        with self._lock:
            self._data = None
            self._loaded.forget()

    def _tables(self) -> dict[str, Any]:
        with self._lock:
            if self._data is None:
                self._data = self._load()
            return self._data

    def _load(self) -> dict[str, Any]:
        from shopsight.analytics.fx import RATES_PER_USD
        from shopsight.analytics.market_trends import LINE_COLUMNS
        from shopsight.analytics.regions import located_orders
        from shopsight.lake.sql import connect

        con = connect(self.lake)
        try:
            names = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
            for needed in ("orders", "order_items", "products", "stores"):
                if needed not in names:
                    raise NotFound("table", needed,
                                   f"ingest the {needed} export first (shopsight ingest)")

            def read(sql: str) -> pd.DataFrame:
                frame: pd.DataFrame = con.sql(sql).to_arrow_table().to_pandas()
                return frame

            orders = read("SELECT order_id, customer_id, order_date, status, channel, "
                          "store_id, currency, total_amount FROM orders")
            stores = read("SELECT store_id, region, country, currency FROM stores")
            customers = (read("SELECT customer_id, country FROM customers")
                         if "customers" in names else None)
            items = read("SELECT order_id, product_id, quantity, unit_price, discount_amount "
                         "FROM order_items")
            products = read("SELECT product_id, category FROM products")
        finally:
            con.close()
        located = located_orders(orders, stores, customers, CURRENCY)
        by_order = orders.drop_duplicates("order_id").set_index("order_id")
        lines = items.merge(located[["order_id", "customer_id", "day", "region"]],
                            on="order_id", how="inner")
        if lines.empty:
            raise NotEnoughHistory("market intelligence", "no net-sales order lines",
                                   "orders with order lines")
        rate = lines["order_id"].map(by_order["currency"]).map(RATES_PER_USD).fillna(1.0)
        net = (lines["quantity"].astype("float64") * lines["unit_price"].astype("float64")
               - lines["discount_amount"].astype("float64").fillna(0.0))
        lines["revenue"] = net / rate
        lines["units"] = lines["quantity"].astype("float64")
        lines["channel"] = lines["order_id"].map(by_order["channel"]).fillna("unknown")
        lines["category"] = lines["product_id"].map(
            products.drop_duplicates("product_id").set_index("product_id")["category"]
        ).fillna("Unknown")
        lines = lines[list(LINE_COLUMNS)].reset_index(drop=True)
        for column in ("region", "channel", "category"):
            lines[column] = lines[column].astype("str")
        end = pd.Timestamp(lines["day"].max()).date()
        keys = {level: sorted(lines[level].unique()) for level in ("region", "channel",
                                                                   "category")}
        return {"lines": lines, "end": end, "start": pd.Timestamp(lines["day"].min()).date(),
                "keys": keys}

    # ------------------------------------------------------------------ parameters

    @staticmethod
    def _check_choice(name: str, value: str, valid: Sequence[str]) -> None:
        if value not in valid:
            raise InvalidParameter(name, value, f"one of {', '.join(valid)}")

    @staticmethod
    def _check_range(name: str, value: int, low: int, high: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidParameter(name, value, f"an integer from {low} to {high}")

    def keys(self, level: str) -> list[str]:
        """Valid keys of a level (``company`` has the one key ``all``)."""
        from shopsight.analytics.market_trends import COMPANY_KEY

        self._check_choice("level", level, LEVELS)
        if level == "company":
            return [COMPANY_KEY]
        known: list[str] = self._tables()["keys"][level]
        return known

    def _resolve_key(self, level: str, key: str | None) -> str:
        """The canonical key (case-insensitive match), or NotFound listing valid keys."""
        from shopsight.analytics.market_trends import COMPANY_KEY

        valid = self.keys(level)
        if level == "company":
            if key not in (None, "", COMPANY_KEY):
                raise InvalidParameter("key", key, "no key (or 'all') for level company")
            return COMPANY_KEY
        if key is None or key == "":
            raise InvalidParameter("key", key, f"a {level}: one of {', '.join(valid)}")
        for candidate in valid:
            if candidate.casefold() == key.strip().casefold():
                return candidate
        raise NotFound(level, key, f"valid {level}s: {', '.join(valid)}")

    def _daily(self, level: str, key: str, metric: str) -> pd.DataFrame:
        from shopsight.analytics.market_trends import daily_series

        data = self._tables()
        return daily_series(data["lines"], level, key, metric, data["end"])

    # ------------------------------------------------------------------ forecasting

    @staticmethod
    def _model_name(level: str, key: str, metric: str) -> str:
        return _safe_name(f"forecast-{level}-{key}-{metric}")

    def _train_forecast(self, level: str, key: str, metric: str
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
        from shopsight.analytics.forecasting import (
            MIN_HISTORY_DAYS,
            DailyForecaster,
            train_forecast,
        )

        series = self._daily(level, key, metric)
        need = MIN_HISTORY_DAYS + BACKTEST_ORIGINS * BACKTEST_HORIZON
        if len(series) < need:
            raise NotEnoughHistory(f"forecast of {level} {key} {metric}",
                                   f"{len(series)} days", f"{need} days")

        def make() -> DailyForecaster:
            return DailyForecaster(n_estimators=self.n_estimators)

        trained = train_forecast(series, make, BACKTEST_HORIZON, BACKTEST_ORIGINS,
                                 MAX_HORIZON_DAYS, INTERVAL_COVERAGE)
        report = trained.backtest
        end = pd.Timestamp(series["date"].iloc[-1]).date()
        obj = {"forecaster": trained.forecaster, "backtest": report, "level": level,
               "key": key, "metric": metric, "widths": trained.widths,
               "method": trained.method}
        meta = {"training_end": end.isoformat(), "training_days": len(series),
                "level": level, "key": key, "metric": metric, "method": trained.method,
                "metrics": {"wape": report.wape, "mase": report.mase,
                            "naive_wape": report.naive_wape, "naive_mase": report.naive_mase}}
        return obj, meta

    def _forecast_request(self, level: str, key: str | None, horizon_days: int,
                          metric: str) -> ForecastRequest:
        self._check_choice("level", level, LEVELS)
        self._check_choice("metric", metric, METRICS)
        self._check_range("horizon_days", horizon_days, 1, MAX_HORIZON_DAYS)
        return ForecastRequest(level=level, key=self._resolve_key(level, key),
                               horizon_days=horizon_days, metric=metric)

    def forecast(self, level: str = "company", key: str | None = None,
                 horizon_days: int = 30, metric: str = "revenue") -> ForecastResponse:
        """Daily revenue (USD) or units ahead with 90% intervals and the backtest."""
        req = self._forecast_request(level, key, horizon_days, metric)
        assert req.key is not None
        name = self._model_name(req.level, req.key, req.metric)
        stored, now = self._loaded.get(name, lambda: self._train_forecast(
            req.level, req.key or "", req.metric))
        obj = stored.obj
        pred = obj["forecaster"].predict(req.horizon_days)
        widths = obj["widths"][:req.horizon_days]
        points = [ForecastPoint(date=d.date(), value=float(y), lower=max(float(y - w), 0.0),
                                upper=float(y + w))
                  for d, y, w in zip(pred["date"], pred["yhat"], widths, strict=True)]
        bt = obj["backtest"]
        return ForecastResponse(
            level=req.level, key=req.key, metric=req.metric,
            unit=CURRENCY if req.metric == "revenue" else "units",
            history_end=pd.Timestamp(obj["forecaster"].history_["date"].iloc[-1]).date(),
            horizon_days=req.horizon_days, interval_coverage=INTERVAL_COVERAGE,
            points=points, total=float(pred["yhat"].sum()),
            backtest=BacktestOut(origins=bt.origins, horizon_days=bt.horizon, wape=bt.wape,
                                 mase=bt.mase, naive_wape=bt.naive_wape,
                                 naive_mase=bt.naive_mase, beats_naive=bt.wape < bt.naive_wape),
            method=obj.get("method", "lightgbm"),
            model=ModelInfo.of(stored, now))

    def train(self, levels: Sequence[str] | None = None,
              metrics: Sequence[str] | None = None) -> TrainResponse:
        """Retrain and save the forecast of every key of the levels (default all) and metrics."""
        chosen_levels = list(levels or LEVELS)
        chosen_metrics = list(metrics or METRICS)
        for level in chosen_levels:
            self._check_choice("level", level, LEVELS)
        for metric in chosen_metrics:
            self._check_choice("metric", metric, METRICS)
        self.refresh()
        versions: dict[str, str] = {}
        scores: dict[str, float] = {}
        for level in chosen_levels:
            for key in self.keys(level):
                for metric in chosen_metrics:
                    name = self._model_name(level, key, metric)
                    obj, meta = self._train_forecast(level, key, metric)
                    versions[name] = self.models.save(SYSTEM, name, obj, meta)
                    for label, value in meta["metrics"].items():
                        scores[f"{name}.{label}"] = float(value)
        with self._lock:
            self._loaded.forget()
        return TrainResponse(versions=versions, metrics=scores)

    # ------------------------------------------------------------------ trends

    def _seasonality(self, level: str, key: str, metric: str = "revenue") -> Any:
        from shopsight.analytics.market_trends import decompose

        daily = self._daily(level, key, metric).set_index("date")["y"]
        return decompose(daily)

    @staticmethod
    def _summary(decomposition: Any) -> SeasonalitySummary:
        from shopsight.analytics.market_trends import peak_weeks

        peaks = peak_weeks(decomposition.weeks)
        return SeasonalitySummary(
            weekly_profile=decomposition.weekly_profile,
            weekly_strength=decomposition.weekly_strength,
            yearly_available=decomposition.yearly_available,
            yearly_strength=decomposition.yearly_strength,
            peak_weeks=[PeakWeek(week_start=pd.Timestamp(r["week_start"]).date(),
                                 week_end=pd.Timestamp(r["week_end"]).date(),
                                 yearly_factor=float(r["yearly_factor"]), events=r["events"])
                        for r in peaks.to_dict("records")])

    def _check_windows(self, windows: Sequence[int] | None) -> list[int]:
        from shopsight.analytics.market_trends import GROWTH_WINDOWS

        chosen = list(windows) if windows else list(GROWTH_WINDOWS)
        if len(chosen) > 10:
            raise InvalidParameter("windows", chosen, "at most 10 windows")
        for w in chosen:
            self._check_range("windows", w, 1, MAX_WINDOW_DAYS)
        return sorted(set(chosen))

    @staticmethod
    def _window_growth(row: dict[Any, Any]) -> WindowGrowth:
        fields = set(WindowGrowth.model_fields)
        values = {str(k): (_opt(v) if isinstance(v, float) else v)
                  for k, v in row.items() if k in fields}
        return WindowGrowth(**values)

    def trends(self, level: str = "region", windows: Sequence[int] | None = None
               ) -> TrendsResponse:
        """Growth over each window and the seasonality of every key of a level."""
        from shopsight.analytics.market_trends import growth_table

        self._check_choice("level", level, LEVELS)
        chosen = self._check_windows(windows)
        req = TrendsRequest(level=level, windows=chosen)
        data = self._tables()
        table = growth_table(data["lines"], req.level, tuple(req.windows), data["end"])
        keys = []
        for key in self.keys(req.level):
            rows = table[table["key"] == key].sort_values("window_days")
            keys.append(KeyTrend(
                key=key, growth=[self._window_growth(r) for r in rows.to_dict("records")],
                seasonality=self._summary(self._seasonality(req.level, key))))
        return TrendsResponse(level=req.level, as_of=data["end"], currency=CURRENCY,
                              windows=req.windows, growth_definition=GROWTH_DEFINITION,
                              keys=keys)

    def seasonality(self, level: str = "company", key: str | None = None,
                    metric: str = "revenue") -> SeasonalityResponse:
        """Weekly and yearly seasonality of one series, week by week."""
        req = self._forecast_request(level, key, 1, metric)
        assert req.key is not None
        decomposition = self._seasonality(req.level, req.key, req.metric)
        weeks = [SeasonalWeek(week_start=pd.Timestamp(r["week_start"]).date(),
                              week_end=pd.Timestamp(r["week_end"]).date(),
                              value=float(r["value"]), trend=float(r["trend"]),
                              yearly_factor=_opt(r["yearly_factor"]),
                              remainder_factor=float(r["remainder_factor"]))
                 for r in decomposition.weeks.to_dict("records")]
        return SeasonalityResponse(level=req.level, key=req.key, metric=req.metric,
                                   summary=self._summary(decomposition), weeks=weeks)

    def _mover_table(self, level: str, days: int) -> pd.DataFrame:
        from shopsight.analytics.market_trends import growth_table

        data = self._tables()
        levels = ("region", "channel", "category") if level == "all" else (level,)
        frames = [growth_table(data["lines"], lv, (days,), data["end"]) for lv in levels]
        return pd.concat(frames, ignore_index=True)

    def movers(self, level: str = "all", days: int = 28, limit: int = 5,
               measure: str = "revenue_growth_yoy") -> MoversResponse:
        """Top risers and fallers among regions, channels and/or categories."""
        from shopsight.analytics.market_trends import MOVER_MEASURES, rank_movers

        self._check_choice("level", level, MOVER_LEVELS)
        self._check_range("days", days, 1, MAX_WINDOW_DAYS)
        self._check_range("limit", limit, 1, MAX_MOVERS)
        self._check_choice("measure", measure, MOVER_MEASURES)
        req = MoversRequest(level=level, days=days, limit=limit,
                            measure=measure)
        table = self._mover_table(req.level, req.days)
        if table[req.measure].isna().all():
            need = req.days * 2 if req.measure.endswith("_pop") else req.days + 365
            raise NotEnoughHistory(f"{req.measure} over {req.days} days",
                                   f"{len(self._daily('company', 'all', 'revenue'))} days",
                                   f"{need} days")
        risers, fallers = rank_movers(table, req.measure, req.limit)
        base = ("revenue_prev_period" if req.measure.endswith("_pop")
                else "revenue_year_ago")

        def mover(row: dict[Any, Any]) -> Mover:
            before = _opt(row[base])
            return Mover(rank=int(row["rank"]), level=row["level"], key=row["key"],
                         growth=float(row[req.measure]), revenue=float(row["revenue"]),
                         revenue_before=before,
                         revenue_change=None if before is None else row["revenue"] - before,
                         per_customer_growth_yoy=_opt(row["per_customer_growth_yoy"]))

        unranked = table[table[req.measure].isna()]
        first = table.iloc[0]
        return MoversResponse(
            level=req.level, days=req.days, measure=req.measure,
            period_start=first["period_start"], period_end=first["period_end"],
            risers=[mover(r) for r in risers.to_dict("records")],
            fallers=[mover(r) for r in fallers.to_dict("records")],
            not_ranked=[f"{r['level']}:{r['key']}" for r in unranked.to_dict("records")])

    def change_points(self, level: str = "company", key: str | None = None,
                      metric: str = "revenue") -> ChangePointsResponse:
        """Breaks in the weekly series of one key, or of every key when none is given."""
        from shopsight.analytics.market_trends import weekly_change_points

        self._check_choice("level", level, LEVELS)
        self._check_choice("metric", metric, METRICS)
        keys = ([self._resolve_key(level, key)] if key or level == "company"
                else self.keys(level))
        req = ChangePointsRequest(level=level, key=key, metric=metric)
        series = []
        for k in keys:
            daily = self._daily(req.level, k, req.metric).set_index("date")["y"]
            frame, adjusted = weekly_change_points(daily)
            points = [ChangePointOut(date=r["date"], level_before=float(r["level_before"]),
                                     level_after=float(r["level_after"]),
                                     level_change=_opt(r["level_change"]),
                                     weekly_growth_before=float(r["weekly_growth_before"]),
                                     weekly_growth_after=float(r["weekly_growth_after"]))
                      for r in frame.to_dict("records")]
            series.append(SeriesChangePoints(key=k, weeks=len(daily) // 7,
                                             seasonally_adjusted=adjusted,
                                             change_points=points))
        return ChangePointsResponse(level=req.level, metric=req.metric,
                                    method=CHANGE_POINT_METHOD, series=series)

    # ------------------------------------------------------------------ publish

    def publish(self) -> dict[str, Any]:
        """Prod tables (pyarrow) for ``prod/market_intelligence/<name>``.

        ``forecasts_<level>`` (90 days, revenue and units, every key), ``forecast_backtests``,
        ``trends`` (every level, default windows), ``movers`` (28, 90 and 365 days),
        ``seasonality`` (weekly decomposition of revenue) and ``change_points``.
        Forecasts use stored models (trained here when missing).
        """
        import pyarrow as pa

        from shopsight.analytics.market_trends import growth_table

        data = self._tables()
        out: dict[str, Any] = {}
        backtests: list[dict[str, Any]] = []
        for level in LEVELS:
            rows: list[dict[str, Any]] = []
            for key in self.keys(level):
                for metric in METRICS:
                    fc = self.forecast(level, key, PUBLISH_HORIZON_DAYS, metric)
                    rows += [{"level": level, "key": key, "metric": metric, **p.model_dump()}
                             for p in fc.points]
                    backtests.append({"level": level, "key": key, "metric": metric,
                                      "model_version": fc.model.version,
                                      "method": fc.method,
                                      **fc.backtest.model_dump(exclude={"origins"})})
            out[f"forecasts_{level}"] = pa.Table.from_pylist(rows)
        out["forecast_backtests"] = pa.Table.from_pylist(backtests)
        trends = pd.concat([growth_table(data["lines"], lv, as_of=data["end"])
                            for lv in LEVELS], ignore_index=True)
        out["trends"] = pa.Table.from_pandas(trends, preserve_index=False)
        movers: list[dict[str, Any]] = []
        for days in PUBLISH_MOVER_DAYS:
            result = self.movers("all", days, MAX_MOVERS)
            for direction, items in (("riser", result.risers), ("faller", result.fallers)):
                movers += [{"days": days, "measure": result.measure, "direction": direction,
                            **m.model_dump()} for m in items]
        out["movers"] = pa.Table.from_pylist(movers, schema=pa.schema([
            ("days", pa.int64()), ("measure", pa.string()), ("direction", pa.string()),
            ("rank", pa.int64()), ("level", pa.string()), ("key", pa.string()),
            ("growth", pa.float64()), ("revenue", pa.float64()),
            ("revenue_before", pa.float64()), ("revenue_change", pa.float64()),
            ("per_customer_growth_yoy", pa.float64())]))
        seasonal: list[dict[str, Any]] = []
        points: list[dict[str, Any]] = []
        for level in LEVELS:
            seasonal += [{"level": level, "key": key, **w.model_dump()}
                         for key in self.keys(level)
                         for w in self.seasonality(level, key).weeks]
            for s in self.change_points(level).series:
                points += [{"level": level, "key": s.key, **c.model_dump()}
                           for c in s.change_points]
        out["seasonality"] = pa.Table.from_pylist(seasonal)
        schema = pa.schema([("level", pa.string()), ("key", pa.string()),
                            ("date", pa.date32()), ("level_before", pa.float64()),
                            ("level_after", pa.float64()), ("level_change", pa.float64()),
                            ("weekly_growth_before", pa.float64()),
                            ("weekly_growth_after", pa.float64())])
        out["change_points"] = pa.Table.from_pylist(points, schema=schema)
        return out
