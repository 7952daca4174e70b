"""Fraud features and scores on small hand-made payment histories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopsight.analytics.fraud import FEATURE_COLUMNS, payment_features, score_payments


def _history(n_customers: int = 150, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2026-01-01", tz="UTC")
    for c in range(n_customers):
        for k in range(8):
            rows.append({
                "customer_id": f"C{c:03d}",
                "paid_at": start + pd.Timedelta(days=int(k * 20 + rng.integers(0, 10)),
                                                hours=int(rng.integers(0, 24))),
                "amount": float(rng.uniform(20, 60)), "currency": "USD",
                "method": "card", "status": "captured",
                "card_number": f"411111******{c:04d}", "card_number_token": f"tok_{c}",
                "billing_country": "US", "ip_address": f"23.1.{c}.0", "ip_country": "US",
            })
    frame = pd.DataFrame(rows)
    frame["payment_id"] = [f"P{i:05d}" for i in range(len(frame))]
    frame["order_id"] = [f"O{i:05d}" for i in range(len(frame))]
    return frame


def _with_velocity_burst(frame: pd.DataFrame) -> pd.DataFrame:
    burst = pd.DataFrame({
        "payment_id": [f"V{i}" for i in range(7)], "order_id": [f"VO{i}" for i in range(7)],
        "customer_id": None,
        "paid_at": pd.Timestamp("2026-03-01 10:00", tz="UTC")
        + pd.to_timedelta(np.arange(7) * 6, unit="min"),
        "amount": 250.0, "currency": "USD", "method": "card", "status": "captured",
        "card_number": "522222******9999", "card_number_token": "tok_stolen",
        "billing_country": "US", "ip_address": "5.6.7.0", "ip_country": "RU",
    })
    return pd.concat([frame, burst], ignore_index=True)


def test_features_count_velocity_in_windows() -> None:
    frame = _with_velocity_burst(_history())
    features = payment_features(frame)
    assert list(features.columns) == ["payment_id", *FEATURE_COLUMNS]
    burst = features[features["payment_id"].str.startswith("V")]
    assert burst["card_1h"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert (burst["card_burst_1h"] == 7).all()
    assert (burst["country_mismatch"] == 1).all()
    assert (burst["guest"] == 1).all()


def test_velocity_burst_scores_highest_with_reasons() -> None:
    frame = _with_velocity_burst(_history())
    scores = score_payments(frame)
    assert scores["risk_score"].between(0, 100).all()
    top = scores.sort_values("risk_score", ascending=False).head(7)
    assert set(top["payment_id"]) == {f"V{i}" for i in range(7)}
    assert (scores["method"] == "unsupervised").all()
    reasons = top.iloc[0]["reasons"]
    assert any("7 payments on this card within an hour" in r for r in reasons)
    legit = scores[~scores["payment_id"].str.startswith("V")]
    assert legit["risk_score"].quantile(0.9) < 20


def test_unusual_amount_is_explained_with_numbers() -> None:
    frame = _history()
    frame.loc[5, "amount"] = 3000.0
    scores = score_payments(frame).set_index("payment_id")
    row = scores.loc[frame.loc[5, "payment_id"]]
    assert row["risk_score"] >= 40
    assert any("3,000.00 USD" in r and "customer's usual" in r for r in row["reasons"])


def test_new_card_from_abroad_on_an_old_account_is_high_risk_each_signal_alone_not() -> None:
    """A trip abroad with the usual card, or a replaced card at home, is medium risk at
    most; a new card on an old account used from abroad is an account takeover: high."""
    frame = _history()
    last = frame.groupby("customer_id")["paid_at"].max()
    later = pd.Timedelta(days=2)
    cases = {  # customer -> (card token, IP country)
        "C010": ("tok_10", "FR"),  # travel: the usual card, abroad
        "C020": ("tok_new20", "US"),  # a replaced card, at home
        "C030": ("tok_new30", "FR"),  # both: takeover
    }
    rows = [{**frame[frame["customer_id"] == c].iloc[-1].to_dict(),
             "payment_id": f"X{c}", "order_id": f"XO{c}", "paid_at": last[c] + later,
             "card_number_token": token, "card_number": f"522222******{c[1:]}",
             "ip_country": country, "ip_address": "80.1.2.0" if country == "FR" else "23.9.9.0"}
            for c, (token, country) in cases.items()]
    scores = score_payments(pd.concat([frame, pd.DataFrame(rows)], ignore_index=True))
    scored = scores.set_index("payment_id")
    travel, replaced, takeover = (scored.loc[f"X{c}"] for c in cases)
    assert takeover["risk_score"] >= 70
    assert any("as when an account is taken over" in r for r in takeover["reasons"])
    assert travel["risk_score"] < 70 and replaced["risk_score"] < 70
    assert any("billing country US differs from IP country FR" in r for r in travel["reasons"])
    assert any(r.startswith("new card on an account") for r in replaced["reasons"])
    others = ~scores["payment_id"].isin([f"X{c}" for c in cases])
    assert scores.loc[others, "risk_score"].max() < 70 <= scores["risk_score"].max() == \
        takeover["risk_score"]


def test_supervised_path_needs_enough_chargebacks() -> None:
    frame = _history(n_customers=80, seed=2)
    frame.loc[:9, "status"] = "chargeback"
    assert (score_payments(frame, min_labels=30)["method"] == "unsupervised").all()
    rng = np.random.default_rng(3)
    bad = rng.choice(len(frame), 40, replace=False)
    frame["status"] = "captured"
    frame.loc[bad, "status"] = "chargeback"
    frame.loc[bad, "ip_country"] = "NG"
    scored = score_payments(frame, min_labels=30)
    assert (scored["method"] == "supervised").all()
    flagged = scored["risk_score"].to_numpy()
    assert flagged[bad].mean() > np.delete(flagged, bad).mean() + 20


def test_pan_finder_ignores_digits_of_decimal_numbers() -> None:
    from shopsight.systems.compliance_guardian.pci_scan import find_pans

    assert find_pans("threshold=0.4111111111111111 leaf") == []
    assert find_pans("4111111111111111.25") == []
    assert find_pans("paid with 4111111111111111. Thanks") == ["4111111111111111"]


def test_pan_finder_ignores_lists_of_small_numbers() -> None:
    from shopsight.systems.compliance_guardian.pci_scan import find_pans

    assert find_pans("internal_count=628 624 497 483 463 453 164") == []
    assert find_pans("card 4111 1111 1111 1111 on file") == ["4111111111111111"]
    assert find_pans("tree_sizes=1594 1703 1716 1720 1721 1717 1713 1718") == []


def test_fit_score_equals_fit_then_score_on_both_paths() -> None:
    """``fit_score`` reuses the forest's scores of the training rows: the same numbers as
    fitting and then scoring, unsupervised and supervised."""
    from shopsight.analytics.fraud import FraudScorer

    frame = _with_velocity_burst(_history(n_customers=80, seed=4))
    features = payment_features(frame)
    labels = pd.Series(np.zeros(len(frame), dtype=np.int64))
    labels[np.random.default_rng(5).choice(len(frame), 40, replace=False)] = 1
    for given in (None, labels):
        scores, points = FraudScorer(min_labels=30).fit_score(features, given)
        fitted = FraudScorer(min_labels=30).fit(features, given)
        assert fitted.method_ == ("unsupervised" if given is None else "supervised")
        np.testing.assert_allclose(scores, fitted.score(features))
        pd.testing.assert_frame_equal(points, fitted.rule_score(features)[1])
