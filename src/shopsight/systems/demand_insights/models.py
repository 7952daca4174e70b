"""Request and response shapes of Demand Insights (pydantic v2, validated ranges)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from shopsight.systems.model_info import ModelInfo

MAX_CUSTOMER_IDS = 10_000


# ----------------------------------------------------------------------------- segments


class SegmentsRequest(BaseModel):
    """Customer segmentation parameters."""

    n_clusters: int | None = Field(None, ge=2, le=12,
                                   description="number of segments 2-12; default chosen by "
                                   "silhouette score")


class SegmentOut(BaseModel):
    """One segment with its centroid in real units (days, orders, USD)."""

    segment_id: int
    name: str = Field(description="Champions, Loyal, New, Promising, At risk, Hibernating...")
    customers: int
    share_of_customers: float
    revenue_share: float
    recency_days: float = Field(description="mean days since last order")
    frequency: float = Field(description="mean number of orders")
    monetary: float = Field(description="mean total spend, USD")


class SegmentsResponse(BaseModel):
    """Segments of all customers with orders."""

    as_of: date
    n_clusters: int
    silhouette: float
    customers: int
    segments: list[SegmentOut]
    model_trained_now: bool = Field(
        description="true when this call fitted the segments; later calls reuse them until "
        "the data changes")


# ----------------------------------------------------------------------------- forecast


class ForecastRequest(BaseModel):
    """What to forecast: a product, a category, or everything (neither given)."""

    product_id: str | None = Field(None, max_length=64, description="product (SKU)")
    category_id: str | None = Field(None, max_length=100,
                                    description="category name, e.g. Electronics")
    forecast_days: int = Field(30, ge=1, le=365, description="days ahead, 1-365")

    @model_validator(mode="after")
    def _one_target(self) -> ForecastRequest:
        if self.product_id and self.category_id:
            raise ValueError("give product_id or category_id, not both")
        return self


class ForecastPoint(BaseModel):
    """Forecast units for one day with a 90% prediction interval."""

    date: date
    units: float
    lower: float
    upper: float


class BacktestOut(BaseModel):
    """Rolling-origin backtest of the model against the weekly seasonal-naive baseline."""

    origins: list[date]
    horizon_days: int
    wape: float
    mase: float
    naive_wape: float
    naive_mase: float
    beats_naive: bool


class ForecastResponse(BaseModel):
    """Daily demand forecast."""

    level: Literal["product", "category", "company"]
    target: str
    history_end: date
    forecast: list[ForecastPoint]
    total_units: float
    interval_coverage: float
    feature_importance: dict[str, float]
    backtest: BacktestOut
    method: Literal["lightgbm", "seasonal_naive"] = Field(
        "lightgbm", description="What forecasts: the LightGBM model, or the weekly seasonal "
        "naive (with holiday lifts) when the model did not beat it in the backtest.")
    model: ModelInfo


# ----------------------------------------------------------------------------- elasticity


class ElasticityRequest(BaseModel):
    """Whose elasticity: a product, a category, or every category (neither given)."""

    product_id: str | None = Field(None, max_length=64)
    category: str | None = Field(None, max_length=100)
    control_promotions: bool = Field(
        False, description="add a promotion dummy (collinear with the discount; see docs)")

    @model_validator(mode="after")
    def _one_target(self) -> ElasticityRequest:
        if self.product_id and self.category:
            raise ValueError("give product_id or category, not both")
        return self


class ElasticityOut(BaseModel):
    """Log-log price elasticity of units with its 95% interval and diagnostics."""

    level: Literal["product", "category"]
    target: str
    elasticity: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    n_observations: int = Field(description="product-days with sales")
    n_products: int
    r_squared: float = Field(description="McFadden pseudo R² of the purchase model")
    purchase_elasticity: float
    basket_elasticity: float
    promo_effect: float | None
    price_min_usd: float
    price_max_usd: float
    interpretation: str


class ElasticityResponse(BaseModel):
    """One or more elasticity estimates."""

    method: str
    estimates: list[ElasticityOut]


# ----------------------------------------------------------------------------- pricing


class PriceOptimizationRequest(BaseModel):
    """Seed body plus optional elasticity and allowed change."""

    product_id: str = Field(max_length=64)
    current_price: float = Field(gt=0, le=1_000_000)
    current_quantity: float = Field(ge=0, le=1e9, description="units per period at the "
                                    "current price")
    cost_per_unit: float = Field(ge=0, le=1_000_000)
    elasticity: float | None = Field(None, ge=-20, le=5,
                                     description="default: estimated for the product")
    max_change: float = Field(0.2, gt=0, lt=1, description="max relative price change")


class PriceScenarioOut(BaseModel):
    """Expected outcome at one price."""

    price: float
    quantity: float
    revenue: float
    profit: float


class PriceOptimizationResponse(BaseModel):
    """Recommendation; ``status`` says whether an interior optimum exists."""

    product_id: str
    status: Literal["optimal", "bounded", "no_interior_optimum"]
    elasticity: float
    elasticity_source: Literal["given", "product", "category"]
    elasticity_reason: str = Field("", description="Why that elasticity was used.")
    unconstrained_optimum: float | None
    direction: Literal["increase", "decrease", "keep"]
    current: PriceScenarioOut
    recommended: PriceScenarioOut
    profit_change: float
    message: str


# ----------------------------------------------------------------------------- clv/churn


class CustomersRequest(BaseModel):
    """Customers to score; empty means all, one page at a time."""

    customer_ids: list[str] | None = Field(None, max_length=MAX_CUSTOMER_IDS)
    limit: int = Field(1000, ge=1, le=10_000, description="page size, 1-10000")
    offset: int = Field(0, ge=0, description="customers to skip")


class ClvRequest(CustomersRequest):
    """CLV horizon."""

    horizon_days: int = Field(365, ge=30, le=1825, description="days ahead, 30-1825")


class CustomerClv(BaseModel):
    """One customer's expected purchases and value (USD) over the horizon."""

    customer_id: str
    expected_purchases: float
    expected_value: float
    probability_alive: float | None
    note: str | None = None


class ClvBacktestOut(BaseModel):
    """Calibration/holdout comparison that chose the model."""

    calibration_end: date
    holdout_days: int
    mae: dict[str, float]
    total_error: dict[str, float]
    chosen: str


class ClvResponse(BaseModel):
    """Lifetime value over ``horizon_days``."""

    as_of: date
    horizon_days: int
    currency: str = "USD"
    method: str
    customers: list[CustomerClv]
    total_customers: int = Field(description="customers scored, before paging")
    total_expected_value: float = Field(description="over all scored customers, USD")
    backtest: ClvBacktestOut
    model: ModelInfo


class ChurnRequest(CustomersRequest):
    """Churn scoring; thresholds map probability to risk levels."""

    medium_threshold: float = Field(0.3, gt=0, lt=1)
    high_threshold: float = Field(0.6, gt=0, lt=1)


class CustomerChurn(BaseModel):
    """Churn probability and risk of one customer."""

    customer_id: str
    churn_probability: float | None
    risk_level: Literal["low", "medium", "high", "unknown"]
    recency_days: int | None
    frequency: int
    note: str | None = None


class ChurnEvaluationOut(BaseModel):
    """Time-split holdout quality."""

    train_cutoff: date
    test_cutoff: date
    train_customers: int
    test_customers: int
    churn_rate: float
    roc_auc: float
    pr_auc: float


class ChurnResponse(BaseModel):
    """Churn probabilities at ``as_of``."""

    as_of: date
    churn_definition: str
    customers: list[CustomerChurn]
    total_customers: int = Field(description="customers scored, before paging")
    evaluation: ChurnEvaluationOut
    model: ModelInfo


AT_RISK_THRESHOLD = 0.6
"""The churn probability from which a customer is at risk, wherever no other is asked for
(the dashboard, the API, the CLI and the copilot): the high risk level."""


class AtRiskRequest(BaseModel):
    """Threshold and limit of the at-risk list."""

    threshold: float = Field(AT_RISK_THRESHOLD, ge=0, le=1)
    limit: int = Field(100, ge=1, le=10_000)


class AtRiskCustomer(BaseModel):
    """A customer likely to churn and what is at stake."""

    customer_id: str
    churn_probability: float
    clv: float
    value_at_risk: float = Field(description="CLV x churn probability, USD")
    recency_days: int
    frequency: int


class AtRiskResponse(BaseModel):
    """Customers above the threshold, largest value at risk first."""

    as_of: date
    threshold: float
    total_at_risk: int
    total_value_at_risk: float
    customers: list[AtRiskCustomer]


class TrainResponse(BaseModel):
    """Versions written by :meth:`DemandInsights.train`."""

    versions: dict[str, str]
    metrics: dict[str, float]
