"""Customer segments: K-Means on scaled RFM features, with human names.

Features are log-transformed before scaling because frequency and spend are heavily
right-skewed; without it one big spender becomes a cluster of their own. The number of
clusters is given or chosen by the silhouette score. Each cluster is named by where its
centroid sits among customers (percentile ranks of recency, frequency and spend), so the
names stay meaningful whatever the currency or the size of the shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

FEATURES = ("recency_days", "frequency", "monetary")


@dataclass(frozen=True)
class Segment:
    """One cluster: its name, size, revenue share and centroid in real units."""

    segment_id: int
    name: str
    customers: int
    share_of_customers: float
    revenue_share: float
    recency_days: float
    frequency: float
    monetary: float


def _transform(rfm: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = rfm.loc[:, list(FEATURES)].to_numpy(dtype=np.float64)
    out: np.ndarray[Any, np.dtype[np.float64]] = np.log1p(np.maximum(values, 0.0))
    return out


def name_segment(r_pct: float, f_pct: float, m_pct: float) -> str:
    """Name from percentile ranks (0..1, higher = better; r_pct high = bought recently)."""
    value = (f_pct + m_pct) / 2
    if r_pct >= 0.6 and value >= 0.6:
        return "Champions"
    if r_pct >= 0.6 and f_pct < 0.4:
        return "New"
    if r_pct >= 0.4 and value >= 0.45:
        return "Loyal"
    if r_pct >= 0.4:
        return "Promising"
    if value >= 0.5:
        return "At risk"
    if r_pct >= 0.2:
        return "Need attention"
    return "Hibernating"


class RfmSegmenter:
    """K-Means over log-scaled RFM features (scikit-learn conventions).

    ``n_clusters=None`` tries ``k_range`` and keeps the best silhouette (computed on a
    sample of at most ``silhouette_sample`` customers to stay fast).
    """

    def __init__(self, n_clusters: int | None = None, k_range: tuple[int, int] = (3, 8),
                 random_state: int = 0, silhouette_sample: int = 3000) -> None:
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.random_state = random_state
        self.silhouette_sample = silhouette_sample

    def fit(self, rfm: pd.DataFrame) -> RfmSegmenter:
        """Fit scaler and K-Means; ``rfm`` as returned by :func:`analytics.rfm.rfm_features`."""
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        from sklearn.preprocessing import StandardScaler

        x = _transform(rfm)
        self.scaler_ = StandardScaler().fit(x)
        z = self.scaler_.transform(x)
        ks = [self.n_clusters] if self.n_clusters else list(
            range(self.k_range[0], min(self.k_range[1], len(z) - 1) + 1))
        best: tuple[float, Any] | None = None
        self.silhouettes_: dict[int, float] = {}
        for k in ks:
            model = KMeans(n_clusters=k, n_init=4, random_state=self.random_state).fit(z)
            score = float(silhouette_score(z, model.labels_, sample_size=min(
                self.silhouette_sample, len(z)), random_state=self.random_state))
            self.silhouettes_[k] = score
            if best is None or score > best[0]:
                best = (score, model)
        assert best is not None
        self.silhouette_, self.kmeans_ = best
        self.n_clusters_ = int(self.kmeans_.n_clusters)
        self._reference = x
        return self

    def predict(self, rfm: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Cluster index of each customer."""
        labels: np.ndarray[Any, np.dtype[np.int64]] = self.kmeans_.predict(
            self.scaler_.transform(_transform(rfm))).astype(np.int64)
        return labels

    def segments(self, rfm: pd.DataFrame) -> tuple[list[Segment], np.ndarray[Any, Any]]:
        """Named segments (largest revenue first) and each customer's cluster index."""
        labels = self.predict(rfm)
        total_revenue = float(rfm["monetary"].sum()) or 1.0
        ref = self._reference
        raw: list[tuple[int, float, float, float]] = []
        for k in range(self.n_clusters_):
            centre = self.scaler_.inverse_transform(self.kmeans_.cluster_centers_[k:k + 1])[0]
            r_pct = float((ref[:, 0] >= centre[0]).mean())  # more recent than most: high
            f_pct = float((ref[:, 1] <= centre[1]).mean())
            m_pct = float((ref[:, 2] <= centre[2]).mean())
            raw.append((k, r_pct, f_pct, m_pct))
        names = _unique([name_segment(r, f, m) for _, r, f, m in raw])
        out: list[Segment] = []
        for (k, *_), name in zip(raw, names, strict=True):
            members = rfm.loc[labels == k]
            out.append(Segment(
                segment_id=k, name=name, customers=len(members),
                share_of_customers=len(members) / max(len(rfm), 1),
                revenue_share=float(members["monetary"].sum()) / total_revenue,
                recency_days=float(members["recency_days"].mean()) if len(members) else 0.0,
                frequency=float(members["frequency"].mean()) if len(members) else 0.0,
                monetary=float(members["monetary"].mean()) if len(members) else 0.0,
            ))
        out.sort(key=lambda s: s.revenue_share, reverse=True)
        return out, labels


def _unique(names: list[str]) -> list[str]:
    """Suffix repeated names (``Loyal``, ``Loyal 2``) so every segment is addressable."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return out
