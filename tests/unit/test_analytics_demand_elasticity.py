"""Elasticity from a synthetic product-day panel where only sold days are observed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopsight.analytics.elasticity import estimate_elasticity


def _panel(elasticity: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01", periods=400, freq="D")
    rows = []
    for p in range(8):
        base = rng.uniform(10, 100)
        level = rng.uniform(0.3, 2.0)
        promo = rng.random(len(days)) < 0.2
        price = base * np.where(promo, rng.uniform(0.6, 0.9, len(days)), 1.0)
        mu = level * (price / base) ** elasticity * (1 + 0.3 * (days.day_of_week >= 5))
        lines = rng.poisson(mu)
        sold = lines > 0  # prices are only seen on days with sales
        rows.append(pd.DataFrame({"product_id": f"P{p}", "date": days[sold],
                                  "lines": lines[sold], "units": lines[sold],
                                  "price": price[sold], "promo": promo[sold].astype(float)}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("truth", [-2.5, -1.2, -0.6])
def test_truncated_poisson_recovers_planted_elasticity(truth: float) -> None:
    est = estimate_elasticity(_panel(truth))
    assert est.elasticity == pytest.approx(truth, abs=0.2)
    assert est.ci_low < est.elasticity < est.ci_high
    assert est.n_products == 8
    assert 0 <= est.pseudo_r2 < 1
    assert est.p_value < 0.01


def test_refuses_constant_price_and_tiny_panels() -> None:
    panel = _panel(-2.0)
    flat = panel.assign(price=10.0)
    with pytest.raises(ValueError, match="never changes"):
        estimate_elasticity(flat)
    with pytest.raises(ValueError, match="need"):
        estimate_elasticity(panel.head(5))
