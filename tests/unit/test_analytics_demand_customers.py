"""RFM, segments, MBG/NBD + Gamma-Gamma and churn on small synthetic customers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from shopsight.analytics.churn import churn_features, churn_labels, risk_level
from shopsight.analytics.clv import BtydClv, MbgNbd, btyd_summary
from shopsight.analytics.rfm import rfm_features
from shopsight.analytics.segmentation import RfmSegmenter, name_segment

END = date(2026, 6, 30)


def _orders(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers buying at a Poisson rate until they drop out (planted)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01")
    span = (pd.Timestamp(END) - start).days
    rows, dead = [], np.zeros(n, dtype=bool)
    for c in range(n):
        rate = rng.gamma(2.0, 0.02)
        first = rng.integers(0, span // 2)
        death = first + rng.exponential(200) if rng.random() < 0.5 else np.inf
        dead[c] = death < span
        t = float(first)
        while t < min(span, death):
            rows.append((f"C{c:04d}", start + pd.Timedelta(days=int(t)),
                         float(rng.gamma(4.0, 10.0))))
            t += rng.exponential(1 / rate)
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    return frame, dead


def test_rfm_features_by_hand() -> None:
    orders = pd.DataFrame({"customer_id": ["A", "A", "B"],
                           "order_date": pd.to_datetime(["2026-06-01", "2026-06-20",
                                                         "2026-07-05"]),
                           "amount": [10.0, 30.0, 5.0]})
    rfm = rfm_features(orders, END)
    assert rfm["customer_id"].tolist() == ["A"]  # B's order is after the cutoff
    row = rfm.iloc[0]
    assert (row["recency_days"], row["frequency"], row["monetary"], row["tenure_days"]) == (
        10, 2, 40.0, 29)


def test_segment_names_and_kmeans() -> None:
    assert name_segment(0.9, 0.9, 0.9) == "Champions"
    assert name_segment(0.9, 0.1, 0.2) == "New"
    assert name_segment(0.1, 0.8, 0.8) == "At risk"
    assert name_segment(0.05, 0.1, 0.1) == "Hibernating"
    orders, _ = _orders()
    rfm = rfm_features(orders, END)
    model = RfmSegmenter(n_clusters=4).fit(rfm)
    segments, labels = model.segments(rfm)
    assert len(segments) == 4 and len(labels) == len(rfm)
    assert sum(s.customers for s in segments) == len(rfm)
    assert sum(s.revenue_share for s in segments) == pytest.approx(1.0)
    assert len({s.name for s in segments}) == 4
    auto = RfmSegmenter().fit(rfm)
    assert 3 <= auto.n_clusters_ <= 8


def test_bgnbd_probability_alive_finds_dropouts() -> None:
    from sklearn.metrics import roc_auc_score

    orders, dead = _orders()
    summary = btyd_summary(orders, END)
    model = MbgNbd().fit(summary["x"], summary["t_x"], summary["T"])
    alive = model.probability_alive(summary["x"], summary["t_x"], summary["T"])
    assert ((alive > 0) & (alive <= 1)).all()
    ids = summary["customer_id"].str[1:].astype(int).to_numpy()
    assert roc_auc_score(dead[ids], -alive) > 0.7
    clv = BtydClv().fit(orders, END).predict(orders, END, 365)
    assert (clv["expected_value"] >= 0).all()
    single = summary["x"] == 0
    assert clv.loc[single.to_numpy(), "expected_purchases"].notna().all()
    # one order long ago is less alive than one order last week (plain BG/NBD: both 1.0)
    ones = summary.assign(alive=alive)[single]
    assert ones["alive"].max() < 1
    assert ones.loc[ones["T"].idxmax(), "alive"] < ones.loc[ones["T"].idxmin(), "alive"]
    longer = BtydClv().fit(orders, END).predict(orders, END, 730)
    assert (longer["expected_purchases"] >= clv["expected_purchases"] - 1e-9).all()


def test_churn_features_labels_and_levels() -> None:
    orders, _ = _orders(100)
    feats = churn_features(orders, date(2026, 3, 31))
    assert {"orders_90d", "recency_over_gap", "spend_trend"} <= set(feats.columns)
    labels = churn_labels(orders, feats["customer_id"], date(2026, 3, 31), 90)
    assert set(np.unique(labels)) <= {0, 1}
    # churned: no order in (as_of, as_of + 90 days]; an order on as_of itself is not after
    days = pd.DataFrame({"customer_id": ["A", "B", "C", "D"],
                         "order_date": ["2026-04-10", "2026-06-29", "2026-03-31", "2026-06-30"]})
    assert churn_labels(days, pd.Series(["A", "B", "C", "D", "E"]), date(2026, 3, 31),
                        90).tolist() == [0, 0, 1, 1, 1]
    assert risk_level(0.7) == "high" and risk_level(0.4) == "medium"
    assert risk_level(0.1) == "low"
