"""Store-day metrics from POS lines."""

from __future__ import annotations

from datetime import date

import pandas as pd

from shopsight.analytics.store_metrics import calculate_store_metrics


def test_metrics_of_a_small_day() -> None:
    lines = pd.DataFrame({
        "transaction_id": ["T1", "T1", "T2", "T3"],
        "product_id": ["A", "B", "A", "C"],
        "quantity": [2, 1, 1, 5],
        "net_amount": [20.0, 5.0, 10.0, 50.0],
        "discount_amount": [0.0, 1.0, 0.0, 0.0],
        "unit_cost": [6.0, None, 6.0, 4.0],
        "currency": ["EUR"] * 4,
    })
    m = calculate_store_metrics(lines, "0005", date(2026, 11, 20), "EUR")
    assert (m.revenue, m.units, m.transactions, m.average_basket) == (85.0, 9, 3, 28.33)
    assert m.revenue_reporting == round(85.0 / 0.92, 2)
    assert m.margin == 80.0 - (2 * 6 + 6 + 20)  # costed lines only: 20 + 10 + 50
    assert m.cost_coverage == round(80 / 85, 4)
    assert [p.product_id for p in m.top_products] == ["C", "A", "B"]
