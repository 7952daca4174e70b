"""Own-price elasticity of demand from product-day sales.

Why this model: order lines only tell us the price on days a product sold, so the
product-day panel has no zeros. Filling the missing days with neighbouring prices biases
the estimate towards zero (the unseen days are the expensive ones), and an ordinary
Poisson fit on the sold days only does too (truncation). A **zero-truncated Poisson**
on the number of order lines of each product-day models exactly that selection:

    lines ~ Poisson(mu) conditioned on lines >= 1,
    log mu = b * log(price) + product + day-of-week + month-of-sample [+ c * promo]

with product, day-of-week and month fixed effects absorbing popularity and seasonality.
Demand in units is lines x units-per-line, so the unit elasticity adds the elasticity of
units per line (a weighted least squares of log(units/lines) on log price with product
effects); in most shops it is close to zero. Pure numpy/scipy, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MIN_PRODUCT_DAYS = 30
Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class ElasticityEstimate:
    """Elasticity of units with respect to price, its uncertainty and fit diagnostics."""

    elasticity: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    n_observations: int
    n_products: int
    pseudo_r2: float
    purchase_elasticity: float
    basket_elasticity: float
    promo_effect: float | None
    price_min: float
    price_max: float


def _truncated_poisson(y: Array, x: Array, iters: int = 100) -> tuple[Array, Array, float]:
    """Newton-Raphson for the zero-truncated Poisson; returns (beta, covariance, loglik)."""

    from scipy.special import gammaln

    log_factorial = gammaln(y + 1)

    def loglik(beta: Array) -> float:
        eta = x @ beta
        mu = np.exp(eta)
        return float(np.sum(y * eta - mu - np.log(-np.expm1(-mu)) - log_factorial))

    beta = np.zeros(x.shape[1])
    ll = loglik(beta)
    hess = np.eye(x.shape[1])
    for _ in range(iters):
        mu = np.exp(x @ beta)
        denom = -np.expm1(-mu)
        grad = x.T @ (y - mu / denom)
        weight = mu * (denom - mu * np.exp(-mu)) / denom**2
        hess = (x * weight[:, None]).T @ x + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-6:
            new = beta + t * step
            new_ll = loglik(new)
            if new_ll >= ll - 1e-10:
                break
            t /= 2
        beta, improvement, ll = new, new_ll - ll, new_ll
        if abs(improvement) < 1e-9 and float(np.max(np.abs(t * step))) < 1e-7:
            break
    return beta, np.linalg.inv(hess), ll


def _dummies(codes: Array, drop_first: bool) -> Array:
    levels = int(codes.max()) + 1 if codes.size else 0
    out = np.zeros((codes.size, levels))
    out[np.arange(codes.size), codes] = 1.0
    return out[:, 1:] if drop_first else out


def estimate_elasticity(panel: pd.DataFrame, control_promotions: bool = False,
                        confidence: float = 0.95) -> ElasticityEstimate:
    """Estimate the unit price elasticity over a product-day panel.

    ``panel`` columns: ``product_id``, ``date``, ``lines`` (order lines that day, >= 1),
    ``units``, ``price`` (price paid that day, one currency, > 0) and optionally ``promo``
    (share of lines on promotion). ``control_promotions`` adds a promotion dummy; it is
    off by default because promotions act through the price paid, so the dummy is nearly
    collinear with the discount and takes part of its effect (on the demo data it moves
    estimates by up to 0.4). Seasonality is always controlled. Raises ``ValueError`` when
    the panel is too small or the price never moves (the service turns it into NotEnoughHistory).
    """
    from scipy import stats

    frame = panel.loc[(panel["lines"] >= 1) & (panel["price"] > 0)].reset_index(drop=True)
    if len(frame) < MIN_PRODUCT_DAYS:
        raise ValueError(f"{len(frame)} product-days with sales, need {MIN_PRODUCT_DAYS}")
    log_price = np.log(frame["price"].to_numpy(dtype=np.float64))
    product = pd.factorize(frame["product_id"])[0]
    within = log_price - pd.Series(log_price).groupby(product).transform("mean").to_numpy()
    if float(np.std(within)) < 1e-4:
        raise ValueError("the price never changes, so its effect cannot be measured")
    dates = pd.to_datetime(frame["date"])
    dow = dates.dt.day_of_week.to_numpy()
    month = pd.factorize(dates.dt.year * 12 + dates.dt.month)[0]
    columns = [log_price[:, None], _dummies(product, False), _dummies(dow, True),
               _dummies(month, True)]
    has_promo = control_promotions and "promo" in frame and frame["promo"].nunique() > 1
    if has_promo:
        columns.append(frame["promo"].to_numpy(dtype=np.float64)[:, None])
    x = np.hstack(columns)
    keep = np.flatnonzero(x.std(axis=0) > 0)
    keep = np.union1d(keep, np.arange(1, 1 + int(product.max()) + 1))  # product intercepts
    x = x[:, keep]
    lines = frame["lines"].to_numpy(dtype=np.float64)
    beta, cov, ll = _truncated_poisson(lines, x)
    _, _, ll_null = _truncated_poisson(lines, np.ones((len(lines), 1)))
    purchase, purchase_var = float(beta[0]), float(cov[0, 0])

    # Units per line: WLS of log(units/lines) on within-product log price.
    per_line = np.log(frame["units"].to_numpy(dtype=np.float64) / lines)
    per_line_within = per_line - pd.Series(per_line).groupby(product).transform(
        "mean").to_numpy()
    sxx = float(np.sum(lines * within**2))
    basket = float(np.sum(lines * within * per_line_within)) / sxx
    resid = per_line_within - basket * within
    dof = max(len(frame) - int(product.max()) - 2, 1)
    basket_var = float(np.sum(lines * resid**2)) / dof / sxx

    value = purchase + basket
    se = math.sqrt(purchase_var + basket_var)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p_value = float(2 * stats.norm.sf(abs(value) / se)) if se > 0 else 0.0
    return ElasticityEstimate(
        elasticity=value, std_error=se, ci_low=value - z * se, ci_high=value + z * se,
        p_value=p_value, n_observations=len(frame), n_products=int(product.max()) + 1,
        pseudo_r2=float(1 - ll / ll_null) if ll_null < 0 else 0.0,
        purchase_elasticity=purchase, basket_elasticity=basket,
        promo_effect=float(beta[-1]) if has_promo else None,
        price_min=float(frame["price"].min()), price_max=float(frame["price"].max()))
