"""Price optimisation under constant elasticity (pure)."""

from __future__ import annotations

import pytest

from shopsight.analytics.pricing import optimal_price


def test_interior_optimum_follows_lerner_rule() -> None:
    rec = optimal_price(100.0, 1000.0, 70.0, -3.0, max_change=0.2)
    assert rec.status == "optimal"
    assert rec.unconstrained_optimum == pytest.approx(105.0)  # 70 * 3 / 2
    assert rec.recommended.price == pytest.approx(105.0)
    assert rec.direction == "increase"
    assert rec.recommended.profit > rec.current.profit


def test_optimum_outside_the_band_is_bounded() -> None:
    rec = optimal_price(100.0, 1000.0, 60.0, -1.5, max_change=0.2)
    assert rec.status == "bounded"
    assert rec.unconstrained_optimum == pytest.approx(180.0)
    assert rec.recommended.price == pytest.approx(120.0)
    cheap = optimal_price(100.0, 1000.0, 10.0, -4.0, max_change=0.1)
    assert cheap.recommended.price == pytest.approx(90.0)
    assert cheap.direction == "decrease"


def test_inelastic_demand_has_no_interior_optimum() -> None:
    rec = optimal_price(100.0, 1000.0, 60.0, -0.5)
    assert rec.status == "no_interior_optimum"
    assert rec.unconstrained_optimum is None
    assert rec.direction == "increase"
    assert rec.recommended.price == pytest.approx(120.0)
    assert "inelastic" in rec.message
    with pytest.raises(ValueError):
        optimal_price(0.0, 1.0, 1.0, -2.0)
