"""Writing the demo data into a real local lake: deterministic bytes, readable files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from shopsight.demo.export import DemoSummary, write_demo_data
from shopsight.demo.generate import DemoDataset, generate_demo_data
from shopsight.lake.store import Lake
from shopsight.schema.tables import TABLES

pytestmark = pytest.mark.integration


def _write(dataset: DemoDataset, root: Path) -> tuple[Lake, DemoSummary]:
    lake = Lake(str(root / "lake"))
    summary = write_demo_data(dataset, lake, root / "truth", root / "uploads")
    return lake, summary


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoDataset, Lake, Path,
                                                               DemoSummary]:
    root = tmp_path_factory.mktemp("demo")
    dataset = generate_demo_data("small", seed=7)
    lake, summary = _write(dataset, root)
    return dataset, lake, root, summary


def _read_csv(lake: Lake, key: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(lake.read_bytes(key)), dtype=str, keep_default_na=False)


def test_same_seed_gives_identical_bytes(written: tuple[DemoDataset, Lake, Path, DemoSummary],
                                         tmp_path: Path) -> None:
    _, _, root, _ = written
    _write(generate_demo_data("small", seed=7), tmp_path)
    first, second = _tree(root), _tree(tmp_path)
    assert first.keys() == second.keys()
    assert all(first[k] == second[k] for k in first)


def test_other_seed_gives_other_data(written: tuple[DemoDataset, Lake, Path, DemoSummary],
                                     tmp_path: Path) -> None:
    dataset, lake, _, _ = written
    other = generate_demo_data("small", seed=8)
    other_lake, _ = _write(other, tmp_path)
    key = dataset.file("orders").key
    assert lake.read_bytes(key) != other_lake.read_bytes(key)


def test_files_are_mysql_style_and_match_the_contract(
        written: tuple[DemoDataset, Lake, Path, DemoSummary]) -> None:
    dataset, lake, root, summary = written
    contract = {t.name: t.column_names for t in TABLES}
    assert {f.key for f in summary.files} == {f.key for f in dataset.files}
    assert [f.key for f in lake.list_files("raw")] == sorted(f.key for f in dataset.files)
    for raw in dataset.files:
        data = lake.read_bytes(raw.key)
        if raw.fmt == "parquet":
            table = pq.read_table(io.BytesIO(data))
            assert table.column_names == contract[raw.table]
            assert table.num_rows == len(raw.frame)
            continue
        header = data.split(b"\n", 1)[0].decode()
        assert header == ",".join(contract[raw.table])
        frame = _read_csv(lake, raw.key)
        assert len(frame) == len(raw.frame)
    payments = _read_csv(lake, dataset.file("payments").key)
    cash = payments[payments["method"] == "cash"]
    assert (cash["card_number"] == "\\N").all() and (cash["cvv"] == "\\N").all()
    assert payments["amount"].str.fullmatch(r"\d+\.\d{2}").all()
    assert payments["paid_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    items = _read_csv(lake, dataset.file("order_items").key)
    assert set(items["on_promotion"]) == {"0", "1"}
    customers = pq.read_table(io.BytesIO(lake.read_bytes(dataset.file("customers").key)))
    assert str(customers.schema.field("signup_date").type) == "date32[day]"
    assert str(customers.schema.field("marketing_opt_in").type) == "bool"
    assert customers.column("ssn").null_count > 0


def test_planted_dirt_is_in_the_written_files(
        written: tuple[DemoDataset, Lake, Path, DemoSummary]) -> None:
    dataset, lake, root, _ = written
    dirt = pd.read_csv(root / "truth" / "dirt.csv", dtype=str, keep_default_na=False)
    assert len(dirt) == len(dataset.truth["dirt"])
    files = {raw.key: _read_csv(lake, raw.key) for raw in dataset.files if raw.fmt == "csv"}
    for rec in dirt.itertuples():
        row = files[rec.key].iloc[int(rec.row) - 2]
        if rec.kind == "bad_date":
            assert row["order_date"] in rec.detail
        elif rec.kind == "negative_quantity":
            assert row["quantity"].startswith("-")
        elif rec.kind == "unknown_fk":
            assert row[rec.column] in rec.detail
        elif rec.kind == "late_update":
            assert row["status"] == "returned"
        elif rec.kind == "stale_update":
            assert row["status"] == "shipped"
        elif rec.kind in ("duplicate", "cross_file_duplicate"):
            key, _, other = rec.detail.rsplit(" ", 2)
            key = key.split(" ")[-1]
            assert row.equals(files[key].iloc[int(other) - 2])
        else:
            assert rec.kind == "orphan" and row["order_id"] in rec.detail


def test_truth_and_manifest_are_written(
        written: tuple[DemoDataset, Lake, Path, DemoSummary]) -> None:
    dataset, _, root, summary = written
    manifest = json.loads((root / "truth" / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["scale"] == "small"
    assert manifest["end_date"] == "2026-11-20"
    assert [s["store_id"] for s in manifest["stores"]] == [f"{i:04d}" for i in range(1, 12)]
    assert manifest["generator_version"]
    for name in ("region_trends", "elasticity", "customers", "fraud", "anomalies",
                 "low_stock", "dirt"):
        frame = pd.read_csv(root / "truth" / f"{name}.csv")
        assert len(frame) == len(dataset.truth[name]) == summary.truth[name] > 0


def test_store_uploads_are_one_file_per_store_and_day(
        written: tuple[DemoDataset, Lake, Path, DemoSummary]) -> None:
    dataset, _, root, summary = written
    paths = sorted((root / "uploads").rglob("store_*.csv"))
    assert len(paths) == summary.uploads == 77
    days = sorted({p.parent.name for p in paths})
    assert days[-1] == "2026-11-20" and len(days) == 7
    contract = next(t for t in TABLES if t.name == "store_sales").column_names
    total = 0
    for path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert list(frame.columns) == contract
        assert (frame["store_id"] == path.stem.removeprefix("store_")).all()
        assert (frame["business_date"] == path.parent.name).all()
        total += len(frame)
    assert total == summary.upload_lines == dataset.manifest["upload_lines"]
