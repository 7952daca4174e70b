"""The demo generator plants recoverable truth in realistic, deliberately dirty exports."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from shopsight.demo.generate import FX_RATES, DemoDataset, generate_demo_data, luhn_valid
from shopsight.schema.tables import TABLES

END = date(2026, 11, 20)


@pytest.fixture(scope="module")
def ds() -> DemoDataset:
    return generate_demo_data("small", seed=42, end_date=END)


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop_duplicates(ignore_index=True)


def _valid_orders(ds: DemoDataset) -> pd.DataFrame:
    orders = _clean(ds.file("orders").frame)
    day = pd.to_datetime(orders["order_date"], format="%Y-%m-%d", errors="coerce")
    known = orders["customer_id"].isna() | orders["customer_id"].isin(
        ds.file("customers").frame["customer_id"])
    return orders[day.notna() & known].assign(day=day)


def _valid_items(ds: DemoDataset, orders: pd.DataFrame) -> pd.DataFrame:
    items = _clean(ds.file("order_items").frame)
    quantity = pd.to_numeric(items["quantity"])
    items = items[(quantity > 0) & items["product_id"].isin(
        ds.file("products").frame["product_id"])]
    items = items.assign(quantity=pd.to_numeric(items["quantity"]))
    return items.merge(orders[["order_id", "day", "currency", "store_id"]], on="order_id")


def test_files_use_exactly_the_contract_columns(ds: DemoDataset) -> None:
    contract = {t.name: t.column_names for t in TABLES}
    for raw in ds.files:
        assert list(raw.frame.columns) == contract[raw.table], raw.key
    for frame in ds.uploads.values():
        assert list(frame.columns) == contract["store_sales"]


def test_small_scale_sizes(ds: DemoDataset) -> None:
    stores = ds.file("stores").frame
    assert stores["store_id"].tolist() == [f"{i:04d}" for i in range(1, 12)]
    assert stores["region"].nunique() >= 3 and stores["country"].nunique() >= 6
    assert len(ds.file("customers").frame) == 3000
    products = ds.file("products").frame
    assert 120 <= len(products) <= 180 and products["category"].nunique() == 8
    assert (products["unit_cost"] < products["list_price"]).all()
    assert products["product_id"].str.fullmatch(r"SKU-\d{5}").all()
    assert 300_000 <= len(ds.file("order_items").frame) <= 420_000
    orders = _valid_orders(ds)
    assert (orders["day"].max() - orders["day"].min()).days == 729
    web = orders[orders["channel"] != "store"]
    assert web["store_id"].isna().all() and len(web) > 0.08 * len(orders)


def test_cards_are_luhn_valid_with_real_prefixes(ds: DemoDataset) -> None:
    pay = ds.file("payments").frame
    cards = pay[pay["method"] == "card"]
    assert cards["card_number"].notna().all()
    numbers = cards["card_number"].str.replace(r"[ -]", "", regex=True)
    assert all(luhn_valid(n) for n in numbers)
    assert cards["card_number"].str.contains(" ").any()
    assert cards["card_number"].str.contains("-").any()
    brand = cards["card_brand"]
    assert numbers[brand == "visa"].str.fullmatch(r"4\d{15}").all()
    assert numbers[brand == "mastercard"].str.fullmatch(r"5[1-5]\d{14}").all()
    assert numbers[brand == "amex"].str.fullmatch(r"3[47]\d{13}").all()
    assert numbers[brand == "discover"].str.fullmatch(r"6011\d{12}").all()
    assert cards.loc[brand == "amex", "cvv"].str.fullmatch(r"\d{4}").all()
    assert cards.loc[brand != "amex", "cvv"].str.fullmatch(r"\d{3}").all()
    assert cards["card_expiry"].str.fullmatch(r"(0[1-9]|1[0-2])/\d{2}").all()
    # Cards persist: customers reuse one or two cards.
    per_customer = cards.dropna(subset=["customer_id"]).assign(number=numbers).groupby(
        "customer_id")["number"].nunique()
    assert per_customer.median() <= 2


def test_ssns_look_valid(ds: DemoDataset) -> None:
    ssn = ds.file("customers").frame["ssn"].dropna()
    assert 0.1 < len(ssn) / 3000 < 0.5
    assert ssn.str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
    area = ssn.str[:3].astype(int)
    assert ((area > 0) & (area != 666) & (area < 900)).all()


def test_planted_dirt_is_where_truth_says(ds: DemoDataset) -> None:
    frames = {raw.key: raw.frame for raw in ds.files}
    dirt = ds.truth["dirt"]
    assert set(dirt["kind"]) == {"duplicate", "cross_file_duplicate", "late_update",
                                 "stale_update", "bad_date", "negative_quantity",
                                 "unknown_fk", "orphan"}
    products = set(ds.file("products").frame["product_id"])
    customers = set(ds.file("customers").frame["customer_id"])
    rejected: set[str] = set()
    for rec in dirt.itertuples():
        row = frames[rec.key].iloc[rec.row - 2]
        if rec.kind == "bad_date":
            assert pd.isna(pd.to_datetime(row["order_date"], format="%Y-%m-%d",
                                          errors="coerce"))
            rejected.add(row["order_id"])
        elif rec.kind == "unknown_fk" and rec.column == "customer_id":
            assert row["customer_id"] not in customers
            rejected.add(row["order_id"])
        elif rec.kind == "unknown_fk":
            assert row["product_id"] not in products
        elif rec.kind == "negative_quantity":
            assert int(row["quantity"]) < 0
        elif rec.kind in ("duplicate", "cross_file_duplicate", "late_update", "stale_update"):
            key, other = re.search(r"(raw/\S+) row (\d+)", rec.detail).groups()  # type: ignore[union-attr]
            original = frames[key].iloc[int(other) - 2]
            if rec.kind == "late_update":
                assert row["status"] == "returned" and original["status"] == "delivered"
                assert row["updated_at"] > original["updated_at"]
            elif rec.kind == "stale_update":
                assert row["updated_at"] < original["updated_at"]
                assert row["order_id"] == original["order_id"]
            else:
                assert row.equals(original)
    orphans = dirt[dirt["kind"] == "orphan"]
    for rec in orphans.itertuples():
        assert frames[rec.key].iloc[rec.row - 2]["order_id"] in rejected
    # Every line and payment of a rejected order is marked as an orphan.
    for table in ("order_items", "payments"):
        raw = ds.file(table)
        hits = np.flatnonzero(raw.frame["order_id"].isin(rejected).to_numpy()) + 2
        marked = orphans.loc[orphans["key"] == raw.key, "row"]
        assert sorted(hits) == sorted(marked)
    shares = dirt[dirt["kind"] == "duplicate"].groupby("key").size() / pd.Series(
        {k: len(f) for k, f in frames.items()})
    assert shares.dropna().between(0.003, 0.008).all()


def test_store_anomalies_stand_out(ds: DemoDataset) -> None:
    orders = _valid_orders(ds)
    store = orders.dropna(subset=["store_id"]).assign(
        total=lambda f: pd.to_numeric(f["total_amount"]))
    revenue = store.groupby(["store_id", "day"])["total"].sum()
    anomalies = ds.truth["anomalies"]
    assert (anomalies["end_date"] == END).any()
    store_level = anomalies[anomalies["kind"] != "product_stockout"]
    assert 8 <= len(store_level) <= 12
    assert (store_level["start_date"] >= date(2025, 11, 20)).all()
    holidays = set(ds.truth["holidays"]["date"])
    for rec in store_level.itertuples():
        day = pd.Timestamp(rec.start_date)
        assert rec.start_date not in holidays
        usual = [revenue.get((rec.store_id, day - pd.Timedelta(weeks=w)), 0.0)
                 for w in range(1, 9)]
        ratio = revenue.get((rec.store_id, day), 0.0) / np.median(usual)
        if rec.kind == "store_spike":
            assert ratio > 1.8, rec
        else:
            assert ratio < 0.5, rec
    items = _valid_items(ds, orders)
    inventory = ds.file("inventory").frame
    for rec in anomalies[anomalies["kind"] == "product_stockout"].itertuples():
        window = (items["day"] >= pd.Timestamp(rec.start_date)) & (
            items["day"] <= pd.Timestamp(rec.end_date))
        sold = items[window & (items["store_id"] == rec.store_id)
                     & (items["product_id"] == rec.product_id)]
        assert sold.empty
        snap = inventory[(inventory["location_id"] == rec.store_id)
                         & (inventory["product_id"] == rec.product_id)
                         & (inventory["snapshot_date"] >= rec.start_date.isoformat())
                         & (inventory["snapshot_date"] <= rec.end_date.isoformat())]
        assert len(snap) == (rec.end_date - rec.start_date).days + 1
        assert (snap["on_hand"] == "0").all()


def test_low_stock_truth_matches_last_snapshot(ds: DemoDataset) -> None:
    inv = ds.file("inventory").frame
    last = inv[inv["snapshot_date"] == END.isoformat()]
    low = last[pd.to_numeric(last["on_hand"]) < pd.to_numeric(last["reorder_point"])]
    truth = ds.truth["low_stock"]
    assert len(truth) > 0
    assert set(zip(low["location_id"], low["product_id"], strict=True)) == set(
        zip(truth["location_id"], truth["product_id"], strict=True))
    assert set(inv["location_id"]) == {f"{i:04d}" for i in range(1, 12)} | {"WH01"}


def _poisson_elasticities(y: np.ndarray, x: np.ndarray, mask: np.ndarray,
                          category: np.ndarray, n_cat: int) -> np.ndarray:
    """Poisson fit of y ~ exp(product + day + beta[category] * x) by block updates."""
    m = mask.astype(float)
    x = np.where(mask, x - (x * m).sum(1, keepdims=True) / np.maximum(m.sum(1, keepdims=True),
                                                                     1), 0.0)
    beta, g = np.zeros(n_cat), np.zeros(y.shape[1])
    for _ in range(300):
        eb = beta[category][:, None] * x
        a = np.log(np.maximum((m * y).sum(1), 1e-9) / np.maximum(
            (m * np.exp(g[None, :] + eb)).sum(1), 1e-300))
        g = np.log(np.maximum((m * y).sum(0), 1e-9) / np.maximum(
            (m * np.exp(a[:, None] + eb)).sum(0), 1e-300))
        mu = m * np.exp(a[:, None] + g[None, :] + eb)
        step = (np.bincount(category, (m * x * (y - mu)).sum(1), n_cat)
                / np.bincount(category, (m * x * x * mu).sum(1), n_cat))
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def test_elasticity_is_recoverable_from_the_data(ds: DemoDataset) -> None:
    """Pooled Poisson on product-days with product and day fixed effects.

    Prices are only seen on days with sales, so the price of a product-day is read from
    one half of the orders (exact on sale days, carried between sales at equal prices)
    and the units come from the other half, then the halves swap: the days kept do not
    depend on the units they explain, so zero-sale days do not bias the fit.
    """
    products = ds.file("products").frame
    items = _valid_items(ds, _valid_orders(ds))
    usd = pd.to_numeric(items["unit_price"]) / items["currency"].map(FX_RATES).astype(float)
    half = (items["order_id"].str[-1].astype(int) % 2).to_numpy()
    p_idx = pd.Index(products["product_id"]).get_indexer(items["product_id"])
    d_idx = (items["day"] - items["day"].min()).dt.days.to_numpy()
    n_prod, n_day = len(products), int(d_idx.max()) + 1
    units = np.zeros((2, n_prod, n_day))
    log_price = np.zeros((2, n_prod, n_day))
    q = items["quantity"].to_numpy()
    np.add.at(units, (half, p_idx, d_idx), q)
    np.add.at(log_price, (half, p_idx, d_idx), np.log(usd.to_numpy()) * q)
    seen = np.where(units > 0, log_price / np.maximum(units, 1), np.nan)
    xs, masks = [], []
    for h in (0, 1):
        f = pd.DataFrame(seen[h].T)
        ff, bf = f.ffill().to_numpy().T, f.bfill().to_numpy().T
        ok = np.isfinite(ff) & np.isfinite(bf) & (np.abs(ff - bf) < 0.01)
        xs.append(np.where(ok, ff, 0.0))
        masks.append(ok)
    names = sorted(products["category"].unique())
    cat = pd.Index(names).get_indexer(products["category"])
    beta = _poisson_elasticities(np.concatenate([units[1], units[0]]), np.concatenate(xs),
                                 np.concatenate(masks), np.tile(cat, 2), len(names))
    truth = ds.truth["elasticity"].set_index("category")["elasticity"]
    assert truth.between(-3, -0.5).all()
    for name, estimate in zip(names, beta, strict=True):
        assert abs(estimate - truth[name]) <= 0.15, (name, estimate, truth[name])


def test_churn_truth_is_consistent(ds: DemoDataset) -> None:
    truth = ds.truth["customers"]
    dead = truth[~truth["alive_at_end"]]
    assert 0.3 <= len(dead) / len(truth) <= 0.5
    assert truth["purchase_rate"].gt(0).all() and truth["dropout_prob"].between(0, 1).all()
    orders = _valid_orders(ds)
    last = orders.groupby("customer_id")["day"].max()
    death = pd.to_datetime(dead.set_index("customer_id")["death_date"])
    assert (last.reindex(death.index).dropna() <= death.reindex(
        last.reindex(death.index).dropna().index)).all()
    # Customers who spend more per order in truth spend more in the data.
    spend = orders.dropna(subset=["customer_id"]).assign(
        usd=lambda f: pd.to_numeric(f["total_amount"]) / f["currency"].map(FX_RATES))
    observed = spend.groupby("customer_id")["usd"].mean()
    joined = truth.set_index("customer_id")["mean_spend"].to_frame().join(observed,
                                                                          how="inner")
    assert joined.corr().iloc[0, 1] > 0.3


def test_fraud_is_rare_and_separable(ds: DemoDataset) -> None:
    pay = ds.file("payments").frame
    fraud = ds.truth["fraud"]
    assert 0.01 <= len(fraud) / len(pay) <= 0.02
    assert set(fraud["pattern"]) == {"velocity", "card_testing", "country_mismatch",
                                     "high_amount"}
    assert fraud["order_id"].isin(ds.file("orders").frame["order_id"]).all()
    is_fraud = pay["payment_id"].isin(fraud["payment_id"])
    legit_web = pay[~is_fraud & pay["ip_country"].notna() & pay["billing_country"].notna()]
    mismatch = (legit_web["ip_country"] != legit_web["billing_country"]).mean()
    assert mismatch <= 0.005
    testing = pay[pay["payment_id"].isin(fraud.loc[fraud["pattern"] == "card_testing",
                                                   "payment_id"])]
    assert pd.to_numeric(testing["amount"]).between(0.5, 5).all()
    assert (testing["status"] == "declined").mean() > 0.6
    velocity = pay[pay["payment_id"].isin(fraud.loc[fraud["pattern"] == "velocity",
                                                    "payment_id"])]
    numbers = velocity["card_number"].str.replace(r"[ -]", "", regex=True)
    span = pd.to_datetime(velocity["paid_at"]).groupby(numbers).agg(["min", "max", "size"])
    assert (span["size"] >= 5).all()
    assert ((span["max"] - span["min"]) <= pd.Timedelta(hours=1, minutes=5)).all()


def test_uploads_match_the_store_orders(ds: DemoDataset) -> None:
    assert len(ds.uploads) == 11 * 7
    orders = _valid_orders(ds)
    items = _valid_items(ds, orders)
    recent = items[(items["day"] > pd.Timestamp(END) - pd.Timedelta(days=7))
                   & items["store_id"].notna()]
    uploads = pd.concat(ds.uploads.values(), ignore_index=True)
    assert len(uploads) == len(recent) > 0
    key = ["transaction_id", "line_number", "product_id", "quantity", "unit_price"]
    left = uploads[key].astype(str).sort_values(key, ignore_index=True)
    right = recent.rename(columns={"order_id": "transaction_id"})[key].astype(str)
    pd.testing.assert_frame_equal(left, right.sort_values(key, ignore_index=True))
    for (store_id, business_date), frame in ds.uploads.items():
        assert (frame["store_id"] == store_id).all()
        assert (frame["business_date"] == business_date.isoformat()).all()
    net = (pd.to_numeric(uploads["quantity"]) * pd.to_numeric(uploads["unit_price"])
           - pd.to_numeric(uploads["discount_amount"]))
    assert np.allclose(net, pd.to_numeric(uploads["net_amount"]), atol=0.011)


def test_order_totals_match_their_lines(ds: DemoDataset) -> None:
    orders = _valid_orders(ds)
    items = _clean(ds.file("order_items").frame)
    net = (pd.to_numeric(items["quantity"]).abs() * pd.to_numeric(items["unit_price"])
           - pd.to_numeric(items["discount_amount"]))
    per_order = net.groupby(items["order_id"]).sum()
    totals = pd.to_numeric(orders.set_index("order_id")["total_amount"])
    assert np.allclose(per_order.reindex(totals.index), totals, atol=0.05)
