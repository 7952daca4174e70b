"""Profit-maximising price under constant elasticity.

Demand is ``q(p) = q0 * (p / p0) ** e``. Profit ``(p - c) q(p)`` has an interior maximum
only when demand is elastic (``e < -1``): then ``p* = c * e / (1 + e)`` (the Lerner rule).
With ``e >= -1`` raising the price always raises profit, so there is no optimum to
recommend, only a direction; the recommendation then stops at the allowed change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["optimal", "bounded", "no_interior_optimum"]


@dataclass(frozen=True)
class PriceScenario:
    """Expected outcome at one price."""

    price: float
    quantity: float
    revenue: float
    profit: float


@dataclass(frozen=True)
class PriceRecommendation:
    """The recommended price, why, and the outcome at the current and recommended prices."""

    status: Status
    elasticity: float
    unconstrained_optimum: float | None
    recommended: PriceScenario
    current: PriceScenario
    direction: Literal["increase", "decrease", "keep"]
    message: str


def scenario(price: float, current_price: float, current_quantity: float, elasticity: float,
             unit_cost: float) -> PriceScenario:
    """Expected quantity, revenue and profit at ``price`` under constant elasticity."""
    quantity = current_quantity * (price / current_price) ** elasticity
    return PriceScenario(price=price, quantity=quantity, revenue=price * quantity,
                         profit=(price - unit_cost) * quantity)


def optimal_price(current_price: float, current_quantity: float, unit_cost: float,
                  elasticity: float, max_change: float = 0.2) -> PriceRecommendation:
    """Recommend a price within ``current_price * (1 +- max_change)``.

    Raises ``ValueError`` on non-positive price or negative cost/quantity (callers check
    ranges first and raise InvalidParameter).
    """
    if current_price <= 0 or unit_cost < 0 or current_quantity < 0 or not 0 < max_change < 1:
        raise ValueError("price must be > 0, cost and quantity >= 0, max_change in (0, 1)")
    low, high = current_price * (1 - max_change), current_price * (1 + max_change)
    now = scenario(current_price, current_price, current_quantity, elasticity, unit_cost)
    if elasticity >= -1:
        best = scenario(high, current_price, current_quantity, elasticity, unit_cost)
        return PriceRecommendation(
            status="no_interior_optimum", elasticity=elasticity, unconstrained_optimum=None,
            recommended=best, current=now, direction="increase",
            message=(f"demand is inelastic (elasticity {elasticity:.2f} >= -1): profit rises "
                     "with price without limit under this model, so there is no optimum; "
                     f"raising the price to the allowed maximum {high:.2f} "
                     f"(+{max_change:.0%}) is the bounded recommendation"))
    optimum = unit_cost * elasticity / (1 + elasticity)
    price = min(max(optimum, low), high)
    status: Status = "optimal" if low <= optimum <= high else "bounded"
    best = scenario(price, current_price, current_quantity, elasticity, unit_cost)
    direction: Literal["increase", "decrease", "keep"] = (
        "keep" if abs(price - current_price) < 1e-9 * current_price
        else "increase" if price > current_price else "decrease")
    message = (f"profit-maximising price {optimum:.2f} (cost x e/(1+e))" if status == "optimal"
               else f"profit-maximising price {optimum:.2f} is outside +-{max_change:.0%}; "
               f"recommending the bound {price:.2f}")
    return PriceRecommendation(status=status, elasticity=elasticity,
                               unconstrained_optimum=optimum, recommended=best, current=now,
                               direction=direction, message=message)
