"""The Demand Insights facade: one method per capability, models loaded once and reused.

``DemandInsights(lake, store)`` reads curated orders, order_items and products through
DuckDB once (until :meth:`refresh`), converts amounts to USD with ``analytics.fx``, and
answers with the pure models of ``analytics/``. Trained models (churn, CLV, forecasts,
category elasticities) live in the lake's ``models/demand_insights/`` and are cached in
the process; :meth:`train` retrains them. A request never trains unless no model exists
yet, and then the response says so (``model_trained_now``). Orders with status
``cancelled`` are ignored everywhere; returns still count as visits.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import asdict
from typing import Any, Literal

import numpy as np
import pandas as pd

from shopsight.errors import InvalidParameter, NotEnoughHistory, NotFound
from shopsight.lake.models import LoadedModels, ModelStore, StoredModel
from shopsight.lake.store import Lake
from shopsight.systems.demand_insights.models import (
    AtRiskCustomer,
    AtRiskRequest,
    AtRiskResponse,
    BacktestOut,
    ChurnEvaluationOut,
    ChurnRequest,
    ChurnResponse,
    ClvBacktestOut,
    ClvRequest,
    ClvResponse,
    CustomerChurn,
    CustomerClv,
    ElasticityOut,
    ElasticityRequest,
    ElasticityResponse,
    ForecastPoint,
    ForecastRequest,
    ForecastResponse,
    PriceOptimizationRequest,
    PriceOptimizationResponse,
    PriceScenarioOut,
    SegmentOut,
    SegmentsRequest,
    SegmentsResponse,
    TrainResponse,
)
from shopsight.systems.memo import Memo
from shopsight.systems.model_info import ModelInfo

SYSTEM = "demand_insights"
BACKTEST_HORIZON = 28
BACKTEST_ORIGINS = 3
INTERVAL_COVERAGE = 0.9
MIN_CUSTOMERS = 50
ELASTICITY_METHOD = ("zero-truncated Poisson of order lines per product-day on log price "
                     "with product, day-of-week and month fixed effects, plus the "
                     "units-per-line elasticity")


def _safe_name(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value)


class DemandInsights:
    """Demand and customer analytics over one lake (handed in) and its model store."""

    def __init__(self, lake: Lake, store: ModelStore, n_estimators: int = 200) -> None:
        self.lake = lake
        self.store = store
        self.n_estimators = n_estimators
        self._data: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._models = LoadedModels(self.store, SYSTEM, self._lock)
        self._memo = Memo()
        self._generation = 0  # bumped whenever data or models change; part of memo keys

    # ------------------------------------------------------------------ data

    def refresh(self) -> None:
        """Forget cached data and models; the next call re-reads the lake."""
        with self._lock:
            self._data = None
            self._models.forget()
            self._generation += 1
        # Outside the lock: a computation in flight holds the memo and may need the lock.
        self._memo.clear()

    def _memoized(self, key: tuple[Any, ...], compute: Any) -> tuple[Any, bool]:
        """A result computed once per data and model generation, and whether this call
        computed it; a refresh or retrain moves to a new generation, never serving old
        results."""
        return self._memo.get((self._generation, *key), compute)

    def _tables(self) -> dict[str, Any]:
        with self._lock:
            if self._data is None:
                self._data = self._load()
            return self._data

    def _load(self) -> dict[str, Any]:
        from shopsight.analytics.fx import RATES_PER_USD
        from shopsight.lake.sql import connect

        con = connect(self.lake)
        names = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        for needed in ("orders", "order_items", "products"):
            if needed not in names:
                raise NotFound("table", needed,
                               f"ingest the {needed} export first (shopsight ingest)")
        rates = pd.DataFrame({"currency": list(RATES_PER_USD),
                              "rate": list(RATES_PER_USD.values())})
        con.register("fx_rates", rates)
        orders = con.sql(
            "SELECT o.customer_id, o.order_date, o.total_amount / r.rate AS amount "
            "FROM orders o JOIN fx_rates r ON r.currency = coalesce(o.currency, 'USD') "
            "WHERE o.customer_id IS NOT NULL AND coalesce(o.status, '') <> 'cancelled'").df()
        daily = con.sql(
            "SELECT i.product_id, p.category, o.order_date AS date, "
            "count(*) AS lines, sum(i.quantity) AS units, "
            "median(i.unit_price / r.rate) AS price, "
            "avg(CASE WHEN i.on_promotion THEN 1.0 ELSE 0.0 END) AS promo "
            "FROM order_items i JOIN orders o USING (order_id) "
            "JOIN products p USING (product_id) "
            "JOIN fx_rates r ON r.currency = coalesce(o.currency, 'USD') "
            "WHERE coalesce(o.status, '') <> 'cancelled' GROUP BY ALL").df()
        products = con.sql("SELECT product_id, category FROM products").df()
        customers = (set(con.sql("SELECT customer_id FROM customers").df()["customer_id"])
                     if "customers" in names else set(orders["customer_id"]))
        if orders.empty or daily.empty:
            raise NotEnoughHistory("demand insights", "no orders", "orders with order lines")
        orders["order_date"] = pd.to_datetime(orders["order_date"])
        daily["date"] = pd.to_datetime(daily["date"])
        end = pd.Timestamp(daily["date"].max()).date()
        return {"orders": orders, "daily": daily, "products": products,
                "customers": customers, "end": end}

    # ------------------------------------------------------------------ models

    def train(self) -> TrainResponse:
        """Retrain and save every stored model (churn, CLV, forecasts, elasticities)."""
        self.refresh()
        data = self._tables()
        jobs: dict[str, Any] = {
            "churn": self._train_churn,
            "clv": self._train_clv,
            "elasticity-categories": self._train_elasticities,
            "forecast-company": lambda: self._train_forecast(None, None),
        }
        for category in sorted(data["products"]["category"].dropna().unique()):
            jobs[f"forecast-category-{_safe_name(category)}"] = (
                lambda c=category: self._train_forecast(None, c))
        versions: dict[str, str] = {}
        metrics: dict[str, float] = {}
        for name, trainer in jobs.items():
            obj, meta = trainer()
            versions[name] = self.store.save(SYSTEM, name, obj, meta)
            for key, value in meta.get("metrics", {}).items():
                metrics[f"{name}.{key}"] = float(value)
        with self._lock:
            self._models.forget()
            self._generation += 1
        self._memo.clear()
        return TrainResponse(versions=versions, metrics=metrics)

    # ------------------------------------------------------------------ segments

    def segments(self, req: SegmentsRequest | None = None) -> SegmentsResponse:
        """RFM K-Means segments with names, sizes, revenue shares and centroids."""
        from shopsight.analytics.rfm import rfm_features
        from shopsight.analytics.segmentation import RfmSegmenter

        req = req or SegmentsRequest()
        data = self._tables()

        def fit() -> tuple[Any, Any, int]:
            rfm = rfm_features(data["orders"], data["end"])
            need = max(MIN_CUSTOMERS, 5 * (req.n_clusters or 2))
            if len(rfm) < need:
                raise NotEnoughHistory("segmentation", f"{len(rfm)} customers with orders",
                                       f"at least {need}")
            model = RfmSegmenter(req.n_clusters).fit(rfm)
            return model, model.segments(rfm)[0], len(rfm)

        (model, segments, customers), fitted_now = self._memoized(
            ("segments", req.n_clusters), fit)
        return SegmentsResponse(
            as_of=data["end"], n_clusters=model.n_clusters_, silhouette=model.silhouette_,
            customers=customers, segments=[SegmentOut(**asdict(s)) for s in segments],
            model_trained_now=fitted_now)

    # ------------------------------------------------------------------ forecast

    def _series(self, product_id: str | None, category: str | None) -> pd.DataFrame:
        from shopsight.analytics.forecasting import complete_daily

        data = self._tables()
        daily: pd.DataFrame = data["daily"]
        products: pd.DataFrame = data["products"]
        if product_id is not None:
            if product_id not in set(products["product_id"]):
                raise NotFound("product", product_id, "see the products table for valid ids")
            rows = daily.loc[daily["product_id"] == product_id]
        elif category is not None:
            known = set(products["category"].dropna())
            if category not in known:
                raise NotFound("category", category, f"known: {', '.join(sorted(known))}")
            rows = daily.loc[daily["category"] == category]
        else:
            rows = daily
        if rows.empty:
            raise NotEnoughHistory("forecast", "no sales", f"at least {BACKTEST_HORIZON} days")
        rows = rows.copy()
        # A price index (price / the product's median price) makes prices comparable
        # across products when a category or the company is aggregated.
        rows["price_index"] = rows["price"] / rows.groupby("product_id")["price"].transform(
            "median")
        rows["w_price"] = rows["price_index"] * rows["lines"]
        rows["w_promo"] = rows["promo"] * rows["lines"]
        sums = rows.groupby("date")[["units", "lines", "w_price", "w_promo"]].sum()
        grouped = pd.DataFrame({
            "date": sums.index, "y": sums["units"].to_numpy(dtype=float),
            "price_index": (sums["w_price"] / sums["lines"]).to_numpy(),
            "promo": (sums["w_promo"] / sums["lines"]).to_numpy()})
        start = daily["date"].min()
        first = pd.DataFrame({"date": [start], "y": [0.0],
                              "price_index": [1.0], "promo": [0.0]})
        if grouped["date"].min() > start:
            grouped = pd.concat([first, grouped], ignore_index=True)
        return complete_daily(grouped, end=data["end"])

    def _train_forecast(self, product_id: str | None, category: str | None
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
        from shopsight.analytics.forecasting import (
            MIN_HISTORY_DAYS,
            DailyForecaster,
            train_forecast,
        )

        series = self._series(product_id, category)
        need = MIN_HISTORY_DAYS + BACKTEST_ORIGINS * BACKTEST_HORIZON
        if len(series) < need:
            raise NotEnoughHistory("forecast", f"{len(series)} days", f"{need} days")

        def make() -> DailyForecaster:
            return DailyForecaster(exog=("price_index", "promo"),
                                   n_estimators=self.n_estimators)

        trained = train_forecast(series, make, BACKTEST_HORIZON, BACKTEST_ORIGINS, 365,
                                 INTERVAL_COVERAGE)
        report = trained.backtest
        end = pd.Timestamp(series["date"].iloc[-1]).date()
        obj = {"forecaster": trained.forecaster, "backtest": report, "widths": trained.widths,
               "method": trained.method}
        meta = {"training_end": end.isoformat(), "training_days": len(series),
                "target": product_id or category or "company", "method": trained.method,
                "metrics": {"wape": report.wape, "mase": report.mase,
                            "naive_wape": report.naive_wape, "naive_mase": report.naive_mase}}
        return obj, meta

    def forecast(self, req: ForecastRequest) -> ForecastResponse:
        """Daily units ahead with 90% intervals, feature importance and backtest."""
        if req.product_id is not None:
            level, target, name = "product", req.product_id, f"forecast-product-{req.product_id}"
            self._series(req.product_id, None)  # NotFound before any training
        elif req.category_id is not None:
            level, target = "category", req.category_id
            name = f"forecast-category-{req.category_id}"
            self._series(None, req.category_id)
        else:
            level, target, name = "company", "all products", "forecast-company"
        stored, now = self._models.get(_safe_name(name), lambda: self._train_forecast(
            req.product_id, req.category_id))
        obj = stored.obj
        pred = obj["forecaster"].predict(req.forecast_days)
        widths = obj["widths"][:req.forecast_days]
        points = [ForecastPoint(date=d.date(), units=float(y), lower=max(float(y - w), 0.0),
                                upper=float(y + w))
                  for d, y, w in zip(pred["date"], pred["yhat"], widths, strict=True)]
        bt = obj["backtest"]
        return ForecastResponse(
            level=level, target=target,
            history_end=pd.Timestamp(obj["forecaster"].history_["date"].iloc[-1]).date(),
            forecast=points, total_units=float(pred["yhat"].sum()),
            interval_coverage=INTERVAL_COVERAGE,
            feature_importance=obj["forecaster"].feature_importance(),
            backtest=BacktestOut(origins=bt.origins, horizon_days=bt.horizon, wape=bt.wape,
                                 mase=bt.mase, naive_wape=bt.naive_wape,
                                 naive_mase=bt.naive_mase, beats_naive=bt.wape < bt.naive_wape),
            method=obj.get("method", "lightgbm"),
            model=ModelInfo.of(stored, now))

    # ------------------------------------------------------------------ elasticity

    def _estimate(self, level: str, target: str, panel: pd.DataFrame,
                  control_promotions: bool = False) -> ElasticityOut:
        from shopsight.analytics.elasticity import MIN_PRODUCT_DAYS, estimate_elasticity

        try:
            est = estimate_elasticity(panel, control_promotions=control_promotions)
        except ValueError as exc:
            raise NotEnoughHistory(f"price elasticity of {level} {target}", str(exc),
                                   f"{MIN_PRODUCT_DAYS} product-days with sales at more "
                                   "than one price") from None
        kind = ("elastic" if est.elasticity < -1 else "inelastic" if est.elasticity < 0
                else "not downward-sloping")
        text = (f"a 1% price increase changes units by {est.elasticity:+.2f}% "
                f"(95% CI {est.ci_low:+.2f} to {est.ci_high:+.2f}); demand is {kind}")
        return ElasticityOut(
            level=level, target=target,
            elasticity=est.elasticity, std_error=est.std_error,
            ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value,
            n_observations=est.n_observations, n_products=est.n_products,
            r_squared=est.pseudo_r2, purchase_elasticity=est.purchase_elasticity,
            basket_elasticity=est.basket_elasticity, promo_effect=est.promo_effect,
            price_min_usd=est.price_min, price_max_usd=est.price_max, interpretation=text)

    def _train_elasticities(self) -> tuple[dict[str, ElasticityOut], dict[str, Any]]:
        data = self._tables()
        daily: pd.DataFrame = data["daily"]
        out = {str(c): self._estimate("category", str(c), g)
               for c, g in daily.groupby("category", sort=True)}
        meta = {"training_end": data["end"].isoformat(), "method": ELASTICITY_METHOD,
                "metrics": {f"elasticity.{c}": e.elasticity for c, e in out.items()}}
        return out, meta

    def price_elasticity(self, req: ElasticityRequest | None = None) -> ElasticityResponse:
        """Elasticity of a product, a category, or every category."""
        req = req or ElasticityRequest()
        data = self._tables()
        daily: pd.DataFrame = data["daily"]
        if req.product_id is not None:
            if req.product_id not in set(data["products"]["product_id"]):
                raise NotFound("product", req.product_id, "see the products table")
            panel = daily.loc[daily["product_id"] == req.product_id]
            return ElasticityResponse(method=ELASTICITY_METHOD, estimates=[self._estimate(
                "product", req.product_id, panel, req.control_promotions)])
        if req.control_promotions or req.category is not None:
            cats = sorted(daily["category"].dropna().unique())
            if req.category is not None and req.category not in cats:
                raise NotFound("category", req.category, f"known: {', '.join(cats)}")
            chosen = [req.category] if req.category is not None else cats
            if not req.control_promotions:
                stored, _ = self._models.get("elasticity-categories", self._train_elasticities)
                return ElasticityResponse(method=ELASTICITY_METHOD,
                                          estimates=[stored.obj[c] for c in chosen])
            return ElasticityResponse(method=ELASTICITY_METHOD, estimates=[
                self._estimate("category", c, daily.loc[daily["category"] == c], True)
                for c in chosen])
        stored, _ = self._models.get("elasticity-categories", self._train_elasticities)
        return ElasticityResponse(method=ELASTICITY_METHOD, estimates=list(stored.obj.values()))

    # ------------------------------------------------------------------ pricing

    def price_optimization(self, req: PriceOptimizationRequest) -> PriceOptimizationResponse:
        """Profit-maximising price within ``max_change``, or a 'no optimum' answer."""
        from shopsight.analytics.pricing import optimal_price

        products: pd.DataFrame = self._tables()["products"]
        if req.product_id not in set(products["product_id"]):
            raise NotFound("product", req.product_id, "see the products table")
        if req.elasticity is not None:
            elasticity, source, reason = req.elasticity, "given", "given in the request"
        else:
            elasticity, source, reason = self._pricing_elasticity(req.product_id, products)
        rec = optimal_price(req.current_price, req.current_quantity, req.cost_per_unit,
                            elasticity, req.max_change)
        return PriceOptimizationResponse(
            product_id=req.product_id, status=rec.status, elasticity=elasticity,
            elasticity_source=source, elasticity_reason=reason,
            unconstrained_optimum=rec.unconstrained_optimum, direction=rec.direction,
            current=PriceScenarioOut(**asdict(rec.current)),
            recommended=PriceScenarioOut(**asdict(rec.recommended)),
            profit_change=rec.recommended.profit - rec.current.profit, message=rec.message)

    def _pricing_elasticity(self, product_id: str, products: pd.DataFrame
                            ) -> tuple[float, Literal["product", "category"], str]:
        """The elasticity to price a product with: its own estimate only when it is
        downward-sloping and clearly (95 %) different from its category's, which is
        measured on far more data; otherwise the category's. A product's own estimate is
        noisy (one product's price moves), and pricing on noise moves prices the wrong
        way."""
        category = str(products.loc[products["product_id"] == product_id,
                                    "category"].iloc[0])
        group = self.price_elasticity(ElasticityRequest(category=category)).estimates[0]
        try:
            own = self.price_elasticity(ElasticityRequest(product_id=product_id)).estimates[0]
        except NotEnoughHistory:
            return group.elasticity, "category", (
                f"too little price variation of {product_id} for its own estimate; "
                f"{category}'s")
        spread = math.hypot(own.std_error, group.std_error)
        z = abs(own.elasticity - group.elasticity) / spread if spread > 0 else 0.0
        if own.elasticity < 0 and z > 1.96:
            return own.elasticity, "product", (
                f"{product_id}'s own estimate ({own.elasticity:+.2f} ± {own.std_error:.2f}) "
                f"differs clearly from {category}'s ({group.elasticity:+.2f})")
        why = ("is not downward-sloping" if own.elasticity >= 0 else
               f"is within the noise of {category}'s")
        return group.elasticity, "category", (
            f"{product_id}'s own estimate ({own.elasticity:+.2f} ± {own.std_error:.2f}) {why}; "
            f"{category}'s ({group.elasticity:+.2f} ± {group.std_error:.2f}) is measured on "
            f"{group.n_products} products")

    # ------------------------------------------------------------------ CLV

    def _train_clv(self) -> tuple[dict[str, Any], dict[str, Any]]:
        from shopsight.analytics.clv import BtydClv, ForestClv, clv_backtest

        data = self._tables()
        orders, end = data["orders"], data["end"]
        span = (end - pd.Timestamp(orders["order_date"].min()).date()).days
        holdout = min(365, span // 3)
        if holdout < 30 or orders["customer_id"].nunique() < MIN_CUSTOMERS:
            raise NotEnoughHistory("CLV", f"{span} days, {orders['customer_id'].nunique()} "
                                   "customers", f"90 days and {MIN_CUSTOMERS} customers")
        report = clv_backtest(orders, end, holdout)
        model: Any = (BtydClv().fit(orders, end) if report.chosen == "bgnbd_gamma_gamma"
                      else ForestClv(holdout).fit(
                          orders, end - pd.Timedelta(days=holdout).to_pytimedelta()))
        meta = {"training_end": end.isoformat(), "chosen": report.chosen,
                "metrics": {f"mae.{k}": v for k, v in report.mae.items()}}
        return {"model": model, "backtest": report, "as_of": end}, meta

    def _check_customers(self, ids: list[str] | None) -> list[str] | None:
        if ids is None:
            return None
        known: set[str] = self._tables()["customers"]
        for cid in ids:
            if cid not in known:
                raise NotFound("customer", cid, "see the customers table")
        return ids

    def _clv_frame(self, horizon_days: int) -> tuple[pd.DataFrame, StoredModel, bool]:
        stored, now = self._models.get("clv", self._train_clv)
        data = self._tables()
        frame = stored.obj["model"].predict(data["orders"], data["end"], horizon_days)
        return frame, stored, now

    def clv(self, req: ClvRequest | None = None) -> ClvResponse:
        """Expected purchases, value (USD) and P(alive) over the horizon."""
        req = req or ClvRequest()
        ids = self._check_customers(req.customer_ids)
        frame, stored, now = self._clv_frame(req.horizon_days)
        by_id: dict[Any, dict[Any, Any]] = frame.set_index("customer_id").to_dict("index")
        wanted = ids if ids is not None else list(frame["customer_id"])
        out = []
        for cid in wanted:
            if cid not in by_id:
                out.append(CustomerClv(customer_id=cid, expected_purchases=0.0,
                                       expected_value=0.0, probability_alive=None,
                                       note="no purchases yet: outside the repeat-purchase "
                                       "model"))
                continue
            row = by_id[cid]
            alive = float(row["probability_alive"])
            out.append(CustomerClv(customer_id=cid,
                                   expected_purchases=float(row["expected_purchases"]),
                                   expected_value=float(row["expected_value"]),
                                   probability_alive=None if np.isnan(alive) else alive))
        bt = stored.obj["backtest"]
        return ClvResponse(
            as_of=self._tables()["end"], horizon_days=req.horizon_days,
            method=bt.chosen, customers=out[req.offset:req.offset + req.limit],
            total_customers=len(out),
            total_expected_value=float(sum(c.expected_value for c in out)),
            backtest=ClvBacktestOut(calibration_end=bt.calibration_end,
                                    holdout_days=bt.holdout_days, mae=bt.mae,
                                    total_error=bt.total_error, chosen=bt.chosen),
            model=ModelInfo.of(stored, now))

    # ------------------------------------------------------------------ churn

    def _train_churn(self, churn_days: int = 90) -> tuple[dict[str, Any], dict[str, Any]]:
        from shopsight.analytics.churn import evaluate_time_split

        data = self._tables()
        orders, end = data["orders"], data["end"]
        span = (end - pd.Timestamp(orders["order_date"].min()).date()).days
        if span < 3 * churn_days:
            raise NotEnoughHistory("churn model", f"{span} days of orders",
                                   f"{3 * churn_days} days (3 x the churn window)")
        try:
            model, evaluation = evaluate_time_split(orders, end, churn_days)
        except ValueError as exc:
            raise NotEnoughHistory("churn model", str(exc), "churned and active customers"
                                   ) from None
        meta = {"training_end": end.isoformat(), "churn_days": churn_days,
                "metrics": {"roc_auc": evaluation.roc_auc, "pr_auc": evaluation.pr_auc}}
        return {"model": model, "evaluation": evaluation}, meta

    def churn_scores(self) -> tuple[pd.DataFrame, StoredModel, bool]:
        """Churn probability and features for every customer with orders, at the end date."""
        stored, now = self._models.get("churn", self._train_churn)
        data = self._tables()
        return stored.obj["model"].predict_proba(data["orders"], data["end"]), stored, now

    def churn(self, req: ChurnRequest | None = None) -> ChurnResponse:
        """Calibrated churn probability and risk level per customer."""
        from shopsight.analytics.churn import risk_level

        req = req or ChurnRequest()
        if req.medium_threshold >= req.high_threshold:
            raise InvalidParameter("medium_threshold", req.medium_threshold,
                                   f"a value below high_threshold={req.high_threshold}")
        ids = self._check_customers(req.customer_ids)
        scores, stored, now = self.churn_scores()
        by_id: dict[Any, dict[Any, Any]] = scores.set_index("customer_id").to_dict("index")
        wanted = ids if ids is not None else list(scores["customer_id"])
        out = []
        for cid in wanted:
            if cid not in by_id:
                out.append(CustomerChurn(customer_id=cid, churn_probability=None,
                                         risk_level="unknown", recency_days=None, frequency=0,
                                         note="no purchases yet: cannot churn"))
                continue
            row = by_id[cid]
            p = float(row["churn_probability"])
            out.append(CustomerChurn(
                customer_id=cid, churn_probability=p,
                risk_level=risk_level(p, req.medium_threshold, req.high_threshold),
                recency_days=int(row["recency_days"]), frequency=int(row["frequency"])))
        ev = stored.obj["evaluation"]
        days = stored.obj["model"].churn_days
        return ChurnResponse(
            as_of=self._tables()["end"],
            churn_definition=f"no order in the {days} days after the scoring date",
            customers=out[req.offset:req.offset + req.limit], total_customers=len(out),
            evaluation=ChurnEvaluationOut(**asdict(ev)),
            model=ModelInfo.of(stored, now))

    def at_risk_customers(self, req: AtRiskRequest | None = None) -> AtRiskResponse:
        """Customers above the churn threshold, sorted by CLV x churn probability."""
        req = req or AtRiskRequest()

        def score_everyone() -> pd.DataFrame:
            scores, _, _ = self.churn_scores()
            clv, _, _ = self._clv_frame(365)
            merged = scores.merge(clv[["customer_id", "expected_value"]], on="customer_id",
                                  how="left").fillna({"expected_value": 0.0})
            merged["value_at_risk"] = merged["expected_value"] * merged["churn_probability"]
            return merged

        frame, _ = self._memoized(("at_risk_scores",), score_everyone)
        risky = frame.loc[frame["churn_probability"] > req.threshold].sort_values(
            "value_at_risk", ascending=False)
        top = risky.head(req.limit)
        return AtRiskResponse(
            as_of=self._tables()["end"], threshold=req.threshold, total_at_risk=len(risky),
            total_value_at_risk=float(risky["value_at_risk"].sum()),
            customers=[AtRiskCustomer(
                customer_id=str(r["customer_id"]),
                churn_probability=float(r["churn_probability"]),
                clv=float(r["expected_value"]), value_at_risk=float(r["value_at_risk"]),
                recency_days=int(r["recency_days"]), frequency=int(r["frequency"]))
                for r in top.to_dict("records")])

    # ------------------------------------------------------------------ publish

    def publish(self, lake: Lake | None = None) -> dict[str, Any]:
        """Tables for ``prod/demand_insights/<name>``: segments, customer_scores,
        elasticities, forecast_company (pyarrow Tables)."""
        import pyarrow as pa

        service = (self if lake is None or lake is self.lake
                   else DemandInsights(lake, self.store.on(lake)))
        segs = service.segments()
        scores, _, _ = service.churn_scores()
        clv, _, _ = service._clv_frame(365)
        from shopsight.analytics.churn import risk_level
        from shopsight.analytics.rfm import rfm_features
        from shopsight.analytics.segmentation import RfmSegmenter

        data = service._tables()
        rfm = rfm_features(data["orders"], data["end"])
        seg_model = RfmSegmenter(segs.n_clusters).fit(rfm)
        named, labels = seg_model.segments(rfm)
        names = {s.segment_id: s.name for s in named}
        customer = rfm[["customer_id", "recency_days", "frequency", "monetary"]].copy()
        customer["segment"] = [names[int(k)] for k in labels]
        customer = customer.merge(scores[["customer_id", "churn_probability"]],
                                  on="customer_id", how="left").merge(
            clv[["customer_id", "expected_value", "probability_alive"]],
            on="customer_id", how="left").rename(columns={"expected_value": "clv_365d"})
        customer["risk_level"] = customer["churn_probability"].map(
            lambda p: "unknown" if pd.isna(p) else risk_level(float(p)))
        customer["value_at_risk"] = customer["clv_365d"] * customer["churn_probability"]
        elastic = service.price_elasticity()
        fc = service.forecast(ForecastRequest(forecast_days=90))
        return {
            "segments": pa.Table.from_pylist([s.model_dump() for s in segs.segments]),
            "customer_scores": pa.Table.from_pandas(customer, preserve_index=False),
            "elasticities": pa.Table.from_pylist(
                [e.model_dump() for e in elastic.estimates]),
            "forecast_company": pa.Table.from_pylist(
                [p.model_dump() for p in fc.forecast]),
        }
