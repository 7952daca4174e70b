"""Churn: calibrated gradient boosting on behaviour at a cutoff.

Definition: a customer with at least one order by the cutoff has **churned** when they
place no order in the ``churn_days`` (default 90) days after it. Training is a time
split: features at ``end - 2N`` labelled by ``(end - 2N, end - N]`` to train, features at
``end - N`` labelled by ``(end - N, end]`` to evaluate (ROC AUC, PR AUC), then a refit on
the later window scores everyone at ``end``. Probabilities are calibrated (isotonic,
cross-validated) because the risk levels and value-at-risk multiply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from shopsight.analytics.rfm import rfm_features

FEATURES = ["recency_days", "frequency", "monetary", "tenure_days", "mean_order_value",
            "orders_30d", "orders_90d", "orders_180d", "mean_gap_days", "recency_over_gap",
            "spend_trend"]


def churn_features(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """RFM plus recent activity and rhythm (mean gap, recency relative to it) at ``as_of``."""
    feats = rfm_features(orders, as_of)
    dates = pd.to_datetime(orders["order_date"])
    cutoff = pd.Timestamp(as_of)
    for days in (30, 90, 180):
        window = orders.loc[(dates > cutoff - pd.Timedelta(days=days)) & (dates <= cutoff)]
        feats[f"orders_{days}d"] = feats["customer_id"].map(
            window.groupby("customer_id").size()).fillna(0).astype(float)
    prev = orders.loc[(dates > cutoff - pd.Timedelta(days=360))
                      & (dates <= cutoff - pd.Timedelta(days=180))]
    recent = orders.loc[(dates > cutoff - pd.Timedelta(days=180)) & (dates <= cutoff)]
    spend_prev = feats["customer_id"].map(prev.groupby("customer_id")["amount"].sum()).fillna(0)
    spend_recent = feats["customer_id"].map(
        recent.groupby("customer_id")["amount"].sum()).fillna(0)
    feats["spend_trend"] = (spend_recent - spend_prev) / (spend_recent + spend_prev + 1.0)
    gap: pd.Series = feats["tenure_days"] / np.maximum(feats["frequency"] - 1, 1)
    feats["mean_gap_days"] = np.where(feats["frequency"] > 1, gap, np.nan)
    feats["recency_over_gap"] = feats["recency_days"] / np.where(
        feats["frequency"] > 1, gap.clip(lower=1.0), np.nan)
    return feats


def churn_labels(orders: pd.DataFrame, customers: pd.Series, as_of: date,
                 churn_days: int) -> np.ndarray[Any, Any]:
    """1 when a customer has no order in ``(as_of, as_of + churn_days]``."""
    dates = pd.to_datetime(orders["order_date"])
    later = orders.loc[(dates > pd.Timestamp(as_of))
                       & (dates <= pd.Timestamp(as_of + timedelta(days=churn_days)))]
    active = set(later["customer_id"])
    return np.asarray([0 if c in active else 1 for c in customers], dtype=np.int64)


@dataclass(frozen=True)
class ChurnEvaluation:
    """Holdout quality of the time split."""

    train_cutoff: date
    test_cutoff: date
    train_customers: int
    test_customers: int
    churn_rate: float
    roc_auc: float
    pr_auc: float


class ChurnModel:
    """HistGradientBoosting + isotonic calibration (scikit-learn conventions)."""

    def __init__(self, churn_days: int = 90, max_iter: int = 150, random_state: int = 0
                 ) -> None:
        self.churn_days = churn_days
        self.max_iter = max_iter
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier

        base = HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=0.05,
                                              max_leaf_nodes=15, min_samples_leaf=20,
                                              random_state=self.random_state)
        return CalibratedClassifierCV(base, method="isotonic", cv=3)

    def fit(self, orders: pd.DataFrame, as_of: date) -> ChurnModel:
        """Train on features at ``as_of`` labelled by the next ``churn_days`` days."""
        feats = churn_features(orders, as_of)
        labels = churn_labels(orders, feats["customer_id"], as_of, self.churn_days)
        if len(np.unique(labels)) < 2:
            raise ValueError("every customer has the same churn label; no model to learn")
        self.model_ = self._estimator().fit(feats[FEATURES].to_numpy(dtype=float), labels)
        self.as_of_ = as_of
        return self

    def predict_proba(self, orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
        """``customer_id``, ``churn_probability`` and the features, at ``as_of``."""
        feats = churn_features(orders, as_of)
        proba = self.model_.predict_proba(feats[FEATURES].to_numpy(dtype=float))[:, 1]
        feats["churn_probability"] = proba
        return feats


def evaluate_time_split(orders: pd.DataFrame, end: date, churn_days: int = 90,
                        max_iter: int = 150) -> tuple[ChurnModel, ChurnEvaluation]:
    """Train at ``end - 2N``, score at ``end - N``; returns the refit model for ``end``."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    train_cut = end - timedelta(days=2 * churn_days)
    test_cut = end - timedelta(days=churn_days)
    model = ChurnModel(churn_days, max_iter).fit(orders, train_cut)
    scored = model.predict_proba(orders, test_cut)
    labels = churn_labels(orders, scored["customer_id"], test_cut, churn_days)
    proba = scored["churn_probability"].to_numpy()
    both = len(np.unique(labels)) == 2
    evaluation = ChurnEvaluation(
        train_cutoff=train_cut, test_cutoff=test_cut,
        train_customers=int(len(churn_features(orders, train_cut))),
        test_customers=len(scored), churn_rate=float(labels.mean()),
        roc_auc=float(roc_auc_score(labels, proba)) if both else float("nan"),
        pr_auc=float(average_precision_score(labels, proba)) if both else float("nan"))
    final = ChurnModel(churn_days, max_iter).fit(orders, test_cut)
    return final, evaluation


def risk_level(probability: float, medium: float = 0.3, high: float = 0.6) -> str:
    """low / medium / high by thresholds on the calibrated churn probability."""
    return "high" if probability >= high else "medium" if probability >= medium else "low"
