"""Recency, frequency and monetary (RFM) features per customer at a cutoff date.

Pure pandas: the caller hands in orders already converted to one currency. Features are
what the segmentation, CLV and churn models share, so they are computed once here.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

RFM_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "tenure_days",
               "first_order", "last_order", "repeat_orders", "mean_order_value")


def rfm_features(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One row per customer with orders on or before ``as_of``.

    ``orders`` needs ``customer_id``, ``order_date`` (date) and ``amount`` (one currency).
    ``recency_days`` counts days from the last order to ``as_of``; ``frequency`` is the
    number of orders; ``monetary`` their total; ``tenure_days`` days since the first order;
    ``repeat_orders`` = frequency - 1 (the BTYD ``x``).
    """
    cutoff = pd.Timestamp(as_of)
    frame = orders.loc[pd.to_datetime(orders["order_date"]) <= cutoff,
                       ["customer_id", "order_date", "amount"]].copy()
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    grouped = frame.groupby("customer_id", sort=True)
    out = pd.DataFrame({
        "first_order": grouped["order_date"].min(),
        "last_order": grouped["order_date"].max(),
        "frequency": grouped.size().astype(np.int64),
        "monetary": grouped["amount"].sum().astype(np.float64),
    })
    out["recency_days"] = (cutoff - out["last_order"]).dt.days.astype(np.int64)
    out["tenure_days"] = (cutoff - out["first_order"]).dt.days.astype(np.int64)
    out["repeat_orders"] = out["frequency"] - 1
    out["mean_order_value"] = out["monetary"] / out["frequency"]
    out = out.reset_index()
    return out.loc[:, list(RFM_COLUMNS)]
