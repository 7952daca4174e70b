"""Customer lifetime value: BG/NBD + Gamma-Gamma by maximum likelihood, and a forest.

MBG/NBD (Batislam, Denizel & Filiztekin 2007), the modified BG/NBD (Fader, Hardie & Lee
2005), models purchases as Poisson while a customer is alive and a coin flip after each
purchase, the first included, for dropping out; with heterogeneity (Gamma rates, Beta
dropouts) it gives, per customer, the expected purchases in the next ``t`` days and the
probability of still being alive from (repeat purchases x, time of last purchase t_x,
age T). The plain BG/NBD cannot lose a customer after the first purchase, so it calls
every one-order customer certainly alive, however long ago that order was; retail's many
one-time buyers need the modified model. Gamma-Gamma gives the expected order value,
shrinking a customer's mean towards the population mean when they have few orders. Both
are fitted with scipy (no ``lifetimes`` dependency). A random forest on RFM features is the
challenger; the caller picks by a calibration/holdout backtest (:func:`clv_backtest`).

Time is in weeks inside the models (better conditioned than days). Customers with a
single purchase have x = 0 and are handled by the formulas; customers without any
purchase are outside the model and must be reported as such by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from shopsight.analytics.rfm import rfm_features

Array = np.ndarray[Any, Any]
ArrayLike = Any  # numpy arrays or pandas Series
DAYS_PER_UNIT = 7.0


def btyd_summary(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per customer: ``x`` repeat purchases, ``t_x``, ``T`` (weeks), ``n`` orders, mean value.

    Orders on the same day count as one purchase (a basket split in two is one visit).
    """
    frame = orders.loc[pd.to_datetime(orders["order_date"]) <= pd.Timestamp(as_of)].copy()
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    daily = frame.groupby(["customer_id", "order_date"], as_index=False)["amount"].sum()
    g = daily.groupby("customer_id")
    first, last = g["order_date"].min(), g["order_date"].max()
    cutoff = pd.Timestamp(as_of)
    out = pd.DataFrame({
        "x": (g.size() - 1).astype(float),
        "t_x": (last - first).dt.days / DAYS_PER_UNIT,
        "T": (cutoff - first).dt.days / DAYS_PER_UNIT,
        "n": g.size().astype(float),
        "mean_value": g["amount"].mean(),
    })
    return out.reset_index()


class MbgNbd:
    """MBG/NBD purchase model fitted by maximum likelihood (scikit-learn conventions)."""

    def fit(self, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike) -> MbgNbd:
        """Fit (r, alpha, a, b) on repeat purchases, time of last purchase and age."""
        from scipy.optimize import minimize
        from scipy.special import betaln, gammaln

        x, t_x, big_t = (np.asarray(v, dtype=np.float64) for v in (x, t_x, big_t))

        def nll(log_params: Array) -> float:
            r, alpha, a, b = np.exp(log_params)
            base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            alive = betaln(a, b + x + 1) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
            dropped = betaln(a + 1, b + x) - betaln(a, b) - (r + x) * np.log(alpha + t_x)
            return float(-np.sum(base + np.logaddexp(alive, dropped)))

        start = np.log([0.5, max(float(np.mean(big_t)), 1.0), 1.5, 5.0])
        result = minimize(nll, start, method="Nelder-Mead",
                          options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-6})
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(result.x))
        self.log_likelihood_ = -float(result.fun)
        return self

    def _odds_dead(self, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike) -> Array:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.asarray((self.a_ / (self.b_ + x)) * (
                (self.alpha_ + big_t) / (self.alpha_ + t_x)) ** (self.r_ + x))

    def probability_alive(self, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike) -> Array:
        """P(still a customer at the end of the calibration period)."""
        return np.asarray(1.0 / (1.0 + self._odds_dead(
            np.asarray(x, float), np.asarray(t_x, float), np.asarray(big_t, float))))

    def expected_purchases(self, t: float, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
                           ) -> Array:
        """Expected purchases in the next ``t`` weeks."""
        from scipy.special import hyp2f1

        x, t_x, big_t = (np.asarray(v, dtype=np.float64) for v in (x, t_x, big_t))
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        if a <= 1:
            a = 1.0 + 1e-6  # the closed form needs a > 1
        z = t / (alpha + big_t + t)
        head = (a + b + x) / (a - 1)
        tail = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
            r + x, b + x + 1, a + b + x, z)
        return np.asarray(np.maximum(head * tail / (1 + self._odds_dead(x, t_x, big_t)), 0.0))


class GammaGamma:
    """Gamma-Gamma spend model: expected order value given a customer's orders."""

    def fit(self, n: ArrayLike, mean_value: ArrayLike) -> GammaGamma:
        """Fit (p, q, gamma) on number of orders and mean order value (> 0)."""
        from scipy.optimize import minimize
        from scipy.special import gammaln

        n, m = np.asarray(n, float), np.asarray(mean_value, float)
        keep = (n > 0) & (m > 0)
        n, m = n[keep], m[keep]

        def nll(log_params: Array) -> float:
            p, q, g = np.exp(log_params)
            ll = (gammaln(p * n + q) - gammaln(p * n) - gammaln(q) + q * np.log(g)
                  + (p * n - 1) * np.log(m) + p * n * np.log(n)
                  - (p * n + q) * np.log(g + m * n))
            return float(-np.sum(ll))

        start = np.log([2.0, 3.0, max(float(np.mean(m)), 1.0)])
        result = minimize(nll, start, method="Nelder-Mead",
                          options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-6})
        self.p_, self.q_, self.gamma_ = (float(v) for v in np.exp(result.x))
        return self

    def expected_value(self, n: ArrayLike, mean_value: ArrayLike) -> Array:
        """Expected value of a future order; the population mean when n = 0."""
        n, m = np.asarray(n, float), np.asarray(mean_value, float)
        p, q, g = self.p_, self.q_, self.gamma_
        if q <= 1:
            return np.where(n > 0, m, 0.0)
        m = np.where(n > 0, m, 0.0)
        return np.asarray((p * (g + n * m)) / (p * n + q - 1))


@dataclass
class ClvPrediction:
    """Per-customer predictions over a horizon."""

    frame: pd.DataFrame  # customer_id, expected_purchases, expected_value, probability_alive


class BtydClv:
    """MBG/NBD + Gamma-Gamma lifetime value at a cutoff."""

    def fit(self, orders: pd.DataFrame, as_of: date) -> BtydClv:
        """Fit both models on orders (customer_id, order_date, amount) up to ``as_of``."""
        summary = btyd_summary(orders, as_of)
        self.purchases_ = MbgNbd().fit(summary["x"], summary["t_x"], summary["T"])
        self.spend_ = GammaGamma().fit(summary["n"], summary["mean_value"])
        self.as_of_ = as_of
        return self

    def predict(self, orders: pd.DataFrame, as_of: date, horizon_days: int) -> pd.DataFrame:
        """Expected purchases, value and P(alive) for each customer with orders."""
        s = btyd_summary(orders, as_of)
        purchases = self.purchases_.expected_purchases(
            horizon_days / DAYS_PER_UNIT, s["x"], s["t_x"], s["T"])
        value = self.spend_.expected_value(s["n"], s["mean_value"])
        return pd.DataFrame({
            "customer_id": s["customer_id"],
            "expected_purchases": purchases,
            "expected_value": purchases * value,
            "probability_alive": self.purchases_.probability_alive(s["x"], s["t_x"], s["T"]),
        })


def _forest_features(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    rfm = rfm_features(orders, as_of)
    recent = orders.loc[pd.to_datetime(orders["order_date"]) > pd.Timestamp(
        as_of - timedelta(days=90))]
    recent = recent.loc[pd.to_datetime(recent["order_date"]) <= pd.Timestamp(as_of)]
    last90 = recent.groupby("customer_id")["amount"].sum()
    rfm["spend_90d"] = rfm["customer_id"].map(last90).fillna(0.0)
    return rfm


FOREST_FEATURES = ["recency_days", "frequency", "monetary", "tenure_days",
                   "mean_order_value", "spend_90d"]


class ForestClv:
    """Random forest: spend in the next ``window_days`` from RFM features at a cutoff."""

    def __init__(self, window_days: int, n_estimators: int = 100, random_state: int = 0
                 ) -> None:
        self.window_days = window_days
        self.n_estimators = n_estimators
        self.random_state = random_state

    def fit(self, orders: pd.DataFrame, as_of: date) -> ForestClv:
        """Learn spend in (as_of, as_of + window] from features at ``as_of``."""
        from sklearn.ensemble import RandomForestRegressor

        feats = _forest_features(orders, as_of)
        dates = pd.to_datetime(orders["order_date"])
        future = orders.loc[(dates > pd.Timestamp(as_of))
                            & (dates <= pd.Timestamp(as_of + timedelta(days=self.window_days)))]
        target = feats["customer_id"].map(future.groupby("customer_id")["amount"].sum())
        self.model_ = RandomForestRegressor(
            n_estimators=self.n_estimators, min_samples_leaf=5, random_state=self.random_state,
            n_jobs=1).fit(feats[FOREST_FEATURES].to_numpy(), target.fillna(0.0).to_numpy())
        return self

    def predict(self, orders: pd.DataFrame, as_of: date, horizon_days: int) -> pd.DataFrame:
        """Expected value, scaled linearly from the training window to the horizon."""
        feats = _forest_features(orders, as_of)
        value = self.model_.predict(feats[FOREST_FEATURES].to_numpy()) * (
            horizon_days / self.window_days)
        mean_value = feats["mean_order_value"].to_numpy()
        return pd.DataFrame({
            "customer_id": feats["customer_id"],
            "expected_purchases": value / np.where(mean_value > 0, mean_value, 1.0),
            "expected_value": value,
            "probability_alive": np.nan,
        })


@dataclass(frozen=True)
class ClvBacktest:
    """Holdout scores of each candidate; lower MAE wins."""

    calibration_end: date
    holdout_days: int
    customers: int
    actual_total: float
    mae: dict[str, float]
    total_error: dict[str, float]  # (predicted - actual) / actual of the holdout total
    chosen: str


def clv_backtest(orders: pd.DataFrame, end: date, holdout_days: int,
                 n_estimators: int = 100) -> ClvBacktest:
    """Fit on data up to ``end - holdout``, predict the holdout, compare with what happened.

    The forest needs a labelled window before the calibration end, so it is trained on
    ``end - 2 * holdout`` with the next ``holdout`` days as target.
    """
    cal_end = end - timedelta(days=holdout_days)
    dates = pd.to_datetime(orders["order_date"])
    holdout = orders.loc[(dates > pd.Timestamp(cal_end)) & (dates <= pd.Timestamp(end))]
    actual_by = holdout.groupby("customer_id")["amount"].sum()
    preds = {
        "bgnbd_gamma_gamma": BtydClv().fit(orders, cal_end).predict(orders, cal_end,
                                                                    holdout_days),
        "random_forest": ForestClv(holdout_days, n_estimators).fit(
            orders, cal_end - timedelta(days=holdout_days)).predict(orders, cal_end,
                                                                    holdout_days),
    }
    mae, total_error = {}, {}
    actual_total = 0.0
    for name, pred in preds.items():
        actual = pred["customer_id"].map(actual_by).fillna(0.0).to_numpy()
        actual_total = float(actual.sum())
        mae[name] = float(np.mean(np.abs(pred["expected_value"].to_numpy() - actual)))
        total_error[name] = (float(pred["expected_value"].sum()) - actual_total) / (
            actual_total or 1.0)
    chosen = min(mae, key=lambda k: mae[k])
    return ClvBacktest(calibration_end=cal_end, holdout_days=holdout_days,
                       customers=len(preds["bgnbd_gamma_gamma"]), actual_total=actual_total,
                       mae=mae, total_error=total_error, chosen=chosen)
