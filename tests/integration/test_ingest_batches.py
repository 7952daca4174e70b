"""Several files of one table ingested together: checked one by one, written once, with
exactly the result of merging them one after the other (winners, lineage and counts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from deltalake import DeltaTable

from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor, IngestOutcome
from shopsight.state.store import State
from tests.conftest import CUSTOMERS_CSV, MASKING_KEY, ORDERS_HEADER, STORES_CSV, write

pytestmark = pytest.mark.integration


def order(order_id: str, amount: int, updated_at: str, customer: str = "C1",
          date: str = "2026-01-02") -> str:
    """An order row; its amount tells the versions of a key apart."""
    return f"{order_id},{customer},{date},paid,store,0001,USD,{amount}.00,{updated_at}\n"


EXISTING = ORDERS_HEADER + (order("O1", 1, "2026-01-05 00:00:00")
                            + order("O2", 2, "2026-01-05 00:00:00")
                            + order("O3", 3, ""))
FILES = {
    "orders_a.csv": ORDERS_HEADER + (
        order("O1", 4, "2026-01-06 00:00:00")      # newer than the table: update
        + order("O2", 5, "2026-01-04 00:00:00")    # older than the table: no change
        + order("O3", 6, "2026-01-01 00:00:00")    # the table's row has no version: update
        + order("O4", 7, "2026-01-03 00:00:00")    # new key
        + order("O5", 8, "2026-01-03 00:00:00")    # new key
        + order("O4", 9, "2026-01-02 00:00:00")    # older duplicate within the file
        + order("O8", 10, "2026-01-03 00:00:00", date="2026-13-45")),  # rejected row 8
    "orders_b.csv": ORDERS_HEADER + (
        order("O1", 11, "2026-01-06 00:00:00")     # same version as file a: a stays
        + order("O4", 12, "2026-01-07 00:00:00")   # updates file a's new row
        + order("O5", 13, "2026-01-01 00:00:00")   # older than file a's
        + order("O6", 14, "")                      # new, no version
        + order("O6", 15, "")                      # same key, no version: later row wins
        + order("O2", 16, "2026-01-05 00:00:00")   # same version as the table: table stays
        + order("O9", 17, "2026-01-03 00:00:00", customer="C9")  # rejected row 8
        + order("O3", 21, "2026-01-01 00:00:00")),  # same version as file a: a stays
    "orders_c.csv": ORDERS_HEADER + (
        order("O6", 18, "2026-01-02 00:00:00")     # a version beats none
        + order("O7", 19, "2026-01-02 00:00:00")   # new key
        + order("O1", 20, "2026-01-09 00:00:00")),  # newest of all
}


_STATES: list[State] = []


@pytest.fixture(autouse=True)
def _dispose_states() -> Iterator[None]:
    """Close the SQLite engines of the test's ingestors (their files live in tmp_path)."""
    yield
    while _STATES:
        _STATES.pop().engine.dispose()


def prepared(root: Path, orders: str = EXISTING) -> Ingestor:
    """A lake with stores, customers and a first version of orders."""
    state = State(f"sqlite:///{root / 'state.db'}")
    _STATES.append(state)
    ingestor = Ingestor(Lake(str(root / "lake")), state, MASKING_KEY)
    ingestor.ingest_paths([write(root / "in/stores.csv", STORES_CSV),
                           write(root / "in/customers.csv", CUSTOMERS_CSV)])
    ingestor.ingest_paths([write(root / "in/orders_0.csv", orders)])
    return ingestor


def ingested_both_ways(tmp_path: Path, files: dict[str, str], orders: str = EXISTING,
                       ) -> tuple[Ingestor, Ingestor, list[IngestOutcome]]:
    """``files`` ingested in one run into one lake and one by one into another, both
    prepared alike; the per-file counts must agree. Returns both and the run's outcomes."""
    together = prepared(tmp_path / "together", orders)
    one_by_one = prepared(tmp_path / "alone", orders)
    paths = {root: [write(root / "in" / name, text) for name, text in files.items()]
             for root in (tmp_path / "together", tmp_path / "alone")}
    batch = together.ingest_paths(paths[tmp_path / "together"]).outcomes
    single = [one_by_one.ingest_paths([p]).outcomes[0] for p in paths[tmp_path / "alone"]]
    assert [counts(o) for o in batch] == [counts(o) for o in single]
    return together, one_by_one, batch


def curated_orders(ingestor: Ingestor) -> list[tuple[object, ...]]:
    table = DeltaTable(ingestor.lake.table_uri("curated", "orders")).to_pyarrow_table(
        columns=["order_id", "total_amount", "updated_at", "_source_file", "_source_row"])
    return sorted(zip(*(c.to_pylist() for c in table.columns), strict=True))


def counts(outcome: IngestOutcome) -> tuple[object, ...]:
    return (outcome.file_key, outcome.status, outcome.rows_read, outcome.rows_rejected,
            outcome.rows_duplicate, outcome.rows_inserted, outcome.rows_updated)


def test_files_written_together_give_what_one_by_one_gives(tmp_path: Path) -> None:
    together, one_by_one = prepared(tmp_path / "together"), prepared(tmp_path / "alone")
    paths = {root: [write(root / "in" / name, text) for name, text in FILES.items()]
             for root in (tmp_path / "together", tmp_path / "alone")}
    versions_before = DeltaTable(together.lake.table_uri("curated", "orders")).version()

    batch = together.ingest_paths(paths[tmp_path / "together"]).outcomes
    single = [one_by_one.ingest_paths([p]).outcomes[0] for p in paths[tmp_path / "alone"]]

    assert [counts(o) for o in batch] == [counts(o) for o in single]
    assert curated_orders(together) == curated_orders(one_by_one)
    # written once: one new table version for the three files
    after = DeltaTable(together.lake.table_uri("curated", "orders")).version()
    assert after == versions_before + 1 and {o.table_version for o in batch} == {after}
    winners = {row[0]: (row[1], row[3].rsplit("/", 1)[-1]) for row in curated_orders(together)}
    assert winners == {
        "O1": (20, "orders_c.csv"), "O2": (2, "orders_0.csv"), "O3": (6, "orders_a.csv"),
        "O4": (12, "orders_b.csv"), "O5": (8, "orders_a.csv"), "O6": (18, "orders_c.csv"),
        "O7": (19, "orders_c.csv")}
    by_file = {o.file_key.rsplit("/", 1)[-1]: o for o in batch}
    # (inserted, updated): file a inserts O4, O5 and updates O1, O3; file b updates O4 and
    # inserts O6; file c updates O6, O1 and inserts O7
    assert [(by_file[f].rows_inserted, by_file[f].rows_updated)
            for f in ("orders_a.csv", "orders_b.csv", "orders_c.csv")] == [(2, 2), (1, 1), (1, 2)]
    # every row read is accounted for: file a's O2 and file b's O1, O5, O2, O3 are older
    # than (or as old as) what the table has by then
    assert [by_file[f].rows_unchanged for f in ("orders_a.csv", "orders_b.csv",
                                                 "orders_c.csv")] == [1, 4, 0]


def test_rejected_rows_of_a_later_file_keep_their_own_row_numbers(tmp_path: Path) -> None:
    ingestor = prepared(tmp_path)
    outcomes = ingestor.ingest_paths([write(tmp_path / "in" / n, t)
                                      for n, t in FILES.items()]).outcomes
    problems = {o.file_key.rsplit("/", 1)[-1]: o.problems for o in outcomes}
    assert problems["orders_a.csv"] == [
        "row 8 column order_date: '2026-13-45' is not a day of the calendar (YYYY-MM-DD)"]
    assert problems["orders_b.csv"] == [
        "row 8 column customer_id: 'C9' is not a known customers.customer_id"]


def test_a_repeated_or_unreadable_file_in_the_same_run_does_not_stop_the_others(
        tmp_path: Path) -> None:
    ingestor = prepared(tmp_path)
    first = write(tmp_path / "in/orders_a.csv", FILES["orders_a.csv"])
    copy = write(tmp_path / "in/orders_a2.csv", FILES["orders_a.csv"])
    empty = write(tmp_path / "in/orders_a3.csv", "")
    later = write(tmp_path / "in/orders_c.csv", FILES["orders_c.csv"])
    outcomes = {o.file_key.rsplit("/", 1)[-1]: o
                for o in ingestor.ingest_paths([first, copy, empty, later]).outcomes}
    assert outcomes["orders_a2.csv"].status == "skipped"
    assert "raw/orders/orders_a.csv" in outcomes["orders_a2.csv"].message
    assert outcomes["orders_a3.csv"].status == "rejected"
    assert "empty" in outcomes["orders_a3.csv"].message
    assert (outcomes["orders_a.csv"].status, outcomes["orders_c.csv"].status) == (
        "succeeded", "succeeded")
    statuses = {r.file_key.rsplit("/", 1)[-1]: r.status
                for r in ingestor.state.ingest_history()}
    assert {k: statuses.get(k) for k in outcomes} == {  # a skip is not an ingest
        "orders_a.csv": "succeeded", "orders_a2.csv": None,
        "orders_a3.csv": "rejected", "orders_c.csv": "succeeded"}


def plant_unwritable_rejection(ingestor: Ingestor, name: str, text: str) -> None:
    """A folder where the file's rejected rows would be written: writing them fails for
    real (the lake cannot replace a folder with a file)."""
    import hashlib

    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    stem = name.rsplit(".", 1)[0]
    Path(ingestor.lake.local_path(f"rejected/orders/{stem}-{digest}.rows.csv")).mkdir(
        parents=True)


def test_a_file_that_fails_fails_alone(tmp_path: Path) -> None:
    together, one_by_one = prepared(tmp_path / "together"), prepared(tmp_path / "alone")
    for ingestor in (together, one_by_one):
        plant_unwritable_rejection(ingestor, "orders_b.csv", FILES["orders_b.csv"])
    paths = {root: [write(root / "in" / name, text) for name, text in FILES.items()]
             for root in (tmp_path / "together", tmp_path / "alone")}

    batch = together.ingest_paths(paths[tmp_path / "together"]).outcomes
    single = [one_by_one.ingest_paths([p]).outcomes[0] for p in paths[tmp_path / "alone"]]

    assert [o.status for o in batch] == ["succeeded", "failed", "succeeded"]
    assert "cannot write" in batch[1].message
    assert [counts(o) for o in batch] == [counts(o) for o in single]
    assert curated_orders(together) == curated_orders(one_by_one)


def test_a_copy_of_a_file_that_failed_is_ingested_not_skipped(tmp_path: Path) -> None:
    ingestor = prepared(tmp_path)
    plant_unwritable_rejection(ingestor, "orders_b.csv", FILES["orders_b.csv"])
    outcomes = ingestor.ingest_paths([write(tmp_path / "in/orders_b.csv", FILES["orders_b.csv"]),
                                      write(tmp_path / "in/orders_b2.csv",
                                            FILES["orders_b.csv"])]).outcomes
    assert [o.status for o in outcomes] == ["failed", "succeeded"]
    assert (outcomes[1].rows_inserted, outcomes[1].rows_rejected) == (3, 1)


# An export without versions (an empty updated_at, or none at all with a mapping): a row
# of a later file replaces the table's when it says something else, and only then.
UNVERSIONED = {
    "orders_d.csv": ORDERS_HEADER + (
        order("O3", 30, "")                        # corrects the table's unversioned row
        + order("O2", 31, "")                      # the table's row has a version: it stays
        + order("O10", 32, "")),                   # new key
    "orders_e.csv": ORDERS_HEADER + (
        order("O3", 30, "")                        # what file d said: no change
        + order("O10", 33, "")),                   # corrects file d's row
    "orders_f.csv": ORDERS_HEADER + (
        order("O10", 32, "")),                     # back to file d's value: a change
}


def test_a_later_file_corrects_rows_without_a_version(tmp_path: Path) -> None:
    together, one_by_one, batch = ingested_both_ways(tmp_path, UNVERSIONED)
    assert curated_orders(together) == curated_orders(one_by_one)
    winners = {row[0]: (row[1], row[3].rsplit("/", 1)[-1]) for row in curated_orders(together)}
    assert {k: winners[k] for k in ("O2", "O3", "O10")} == {
        "O2": (2, "orders_0.csv"), "O3": (30, "orders_d.csv"), "O10": (32, "orders_f.csv")}
    by_file = {o.file_key.rsplit("/", 1)[-1]: o for o in batch}
    assert [(by_file[f].rows_inserted, by_file[f].rows_updated)
            for f in ("orders_d.csv", "orders_e.csv", "orders_f.csv")] == [(1, 1), (0, 1), (0, 1)]

    # the same rows again, in a file of another name: nothing changes
    same = UNVERSIONED["orders_e.csv"].replace(",33.00,", ",32.00,")
    again = together.ingest_paths([write(tmp_path / "together/in/orders_g.csv", same)])
    assert (again.outcomes[0].rows_inserted, again.outcomes[0].rows_updated) == (0, 0)
    assert curated_orders(together) == curated_orders(one_by_one)


def test_a_file_read_again_brings_its_rejected_rows_and_undoes_no_correction(
        tmp_path: Path) -> None:
    """Read again once the customer its rejected order references is in, a file brings
    that order; its row without a version does not undo a later file's correction."""
    ingestor = prepared(tmp_path)
    first = write(tmp_path / "in/orders_1.csv", ORDERS_HEADER + order("O21", 1, "")
                  + order("O22", 2, "", customer="C3"))
    assert ingestor.ingest_paths([first]).outcomes[0].rows_rejected == 1
    ingestor.ingest_paths([write(tmp_path / "in/orders_2.csv",
                                 ORDERS_HEADER + order("O21", 5, ""))])
    ingestor.ingest_paths([write(tmp_path / "in/customers_2.csv",
                                 "customer_id,first_name\nC3,Cem\n")])
    (again,) = ingestor.ingest_paths([first], reread=True).outcomes
    assert (again.rows_rejected, again.rows_inserted, again.rows_updated) == (0, 1, 0)
    amounts = {row[0]: row[1] for row in curated_orders(ingestor)}
    assert (amounts["O21"], amounts["O22"]) == (5, 2)
