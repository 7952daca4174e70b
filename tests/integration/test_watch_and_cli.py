"""The watcher ingests files as they land and survives bad ones; the CLI reports errors as
one red line with an exit code; a minimal export with a mapping is enough for orders."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from shopsight.lake.sql import connect
from shopsight.lake.store import Lake
from shopsight.pipeline.ingest import Ingestor
from shopsight.pipeline.watch import RawWatcher
from shopsight.state.store import State
from tests.conftest import CUSTOMERS_CSV, MASKING_KEY, ORDERS_HEADER, STORES_CSV, write

pytestmark = pytest.mark.integration


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_watcher_ingests_new_files_and_survives_bad_ones(lake: Lake, state: State) -> None:
    raw = Path(lake.local_path("raw"))
    stop = threading.Event()
    changes: list[int] = []
    watcher = RawWatcher(Ingestor(lake, state, MASKING_KEY),
                         on_curated_change=lambda: changes.append(1))
    thread = threading.Thread(target=watcher.run, args=(stop, 0.2), daemon=True)
    thread.start()
    try:
        write(raw / "stores/stores.csv", STORES_CSV)
        write(raw / "orders/garbage.csv", b"\x00\x01\x02 binary")
        write(raw / "orders/empty.csv", b"")
        assert wait_for(lambda: len(state.ingest_history()) >= 3)
        write(raw / "customers/customers.csv", CUSTOMERS_CSV)
        write(raw / "orders/orders.csv", ORDERS_HEADER
              + "O1,C1,2026-01-02,completed,store,0001,USD,10.50,2026-01-02 10:00:00\n")
        assert wait_for(lambda: len(state.ingest_history()) >= 5)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(changes) >= 2  # curated changed: the prod step was asked to run
    by_file = {r.file_key: r.status for r in state.ingest_history()}
    assert by_file == {
        "raw/stores/stores.csv": "succeeded", "raw/orders/garbage.csv": "rejected",
        "raw/orders/empty.csv": "rejected", "raw/customers/customers.csv": "succeeded",
        "raw/orders/orders.csv": "succeeded",
    }
    con = connect(lake)
    assert con.execute("SELECT count(*) FROM orders").fetchall() == [(1,)]
    # the connection sees lake tables only, never files
    with pytest.raises(Exception, match="disabled"):
        con.execute(f"SELECT * FROM read_csv('{raw}/orders/orders.csv')").fetchall()


def test_a_failing_scan_is_retried_after_a_growing_pause(
    lake: Lake, state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lake or state store that is down: the files are retried, but not every second."""
    raw = Path(lake.local_path("raw"))
    write(raw / "stores/stores.csv", STORES_CSV)
    ingestor = Ingestor(lake, state, MASKING_KEY)
    calls: list[float] = []
    ingest_keys = Ingestor.ingest_keys

    def down(self: Ingestor, *args: Any, **kwargs: Any) -> Any:
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise OSError("state store unreachable")
        return ingest_keys(self, *args, **kwargs)

    monkeypatch.setattr(Ingestor, "ingest_keys", down)
    watcher = RawWatcher(ingestor)
    assert watcher.scan_once() == []  # the file is seen; ingested once its size is stable
    deadline = time.monotonic() + 10
    while not state.ingest_history() and time.monotonic() < deadline:
        watcher.scan_once()
        time.sleep(0.05)
    assert [r.status for r in state.ingest_history()] == ["succeeded"]
    assert len(calls) == 3  # not one attempt per scan
    assert calls[1] - calls[0] >= 1.0 and calls[2] - calls[1] >= 2.0


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOPSIGHT_HOME": str(home), "SHOPSIGHT_LOG_FORMAT": "json",
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "shopsight.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_errors_are_one_red_line_with_an_exit_code(tmp_path: Path) -> None:
    bad_mapping = write(tmp_path / "map.toml", 'table = "orders"\n[columns]\nnope = "X"\n')
    data = write(tmp_path / "orders.csv", ORDERS_HEADER)
    result = run_cli(tmp_path / "home", "ingest", str(data), "--mapping", str(bad_mapping))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"error: mapping {bad_mapping}: 'nope' is not a column of orders; "
                     "columns: " + lines[0].split("columns: ")[1]]
    assert "Traceback" not in result.stderr
    debug = run_cli(tmp_path / "home", "--debug", "ingest", str(data), "--mapping",
                    str(bad_mapping))
    assert debug.returncode == 2 and "Traceback" in debug.stderr


@pytest.mark.parametrize(("args", "home_is_a_file", "code", "message"), [
    (["sales", "upload", "missing.csv", "--store", "0001", "--date", "2026-11-21"], False, 3,
     "missing.csv: does not exist"),
    (["sales", "resume", "999"], False, 4, "analysis run '999' not found"),
    (["ask", "question", "top 5 products"], False, 4, "ingest an orders export first"),
    (["status"], True, 1, "state store: cannot create the folder of"),
    (["schema", "nosuch", "--markdown"], False, 2, "table 'nosuch': not in the data contract"),
    (["demo-data", "--seed", "-5"], False, 2, "-5 is not a seed"),
])
def test_common_mistakes_are_one_red_line_not_a_traceback(
    tmp_path: Path, args: list[str], home_is_a_file: bool, code: int, message: str
) -> None:
    home = write(tmp_path / "home", "a file") if home_is_a_file else tmp_path / "home"
    result = run_cli(home, *args)
    lines = [line for line in result.stderr.splitlines() if line.strip()
             and not line.startswith("{")]  # JSON log lines aside
    assert (result.returncode, len(lines)) == (code, 1), result.stderr
    assert lines[0].startswith("error: ") and message in lines[0]


def test_publish_with_failing_systems_exits_non_zero(tmp_path: Path) -> None:
    """Nothing ingested yet: every system that needs orders fails, says what to do (not
    an exception's class name), and the command says so with its exit code."""
    result = run_cli(tmp_path / "home", "publish")
    assert result.returncode == 1
    assert "ingest the orders export first" in result.stdout
    assert "NotFound" not in result.stdout


@pytest.mark.parametrize("command", ["serve", "up"])
def test_a_busy_port_is_refused_before_anything_is_done(tmp_path: Path, command: str) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(tmp_path / "home", command, "--port", str(port))
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is not free" in result.stderr
    assert "is up" not in result.stdout and not (tmp_path / "home/lake/raw").exists()


def test_ingest_with_nothing_to_do_says_so_and_piped_tables_are_not_cut(
    tmp_path: Path
) -> None:
    nothing = run_cli(tmp_path / "home", "ingest")
    assert nothing.returncode == 0 and "nothing to ingest" in nothing.stdout
    long_name = write(tmp_path / "in" / ("stores_" + "x" * 90 + ".csv"), STORES_CSV)
    assert run_cli(tmp_path / "home", "ingest", str(long_name)).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # piped, no width given
    piped = subprocess.run([sys.executable, "-m", "shopsight.cli", "status"], timeout=120,
                           env={**env, "SHOPSIGHT_HOME": str(tmp_path / "home")},
                           capture_output=True, text=True)
    assert long_name.name in piped.stdout  # the file name whole, not cut at 80 columns


def test_an_unexpected_error_is_one_red_line_naming_its_type(
    capsys: pytest.CaptureFixture[str]
) -> None:
    import typer

    from shopsight.cli_errors import handle_errors

    @handle_errors
    def broken() -> None:
        raise KeyError("card 4111111111111111")

    with pytest.raises(typer.Exit) as exit_info:
        broken()
    assert exit_info.value.exit_code == 1
    err = capsys.readouterr().err
    assert "unexpected KeyError" in err and "--debug" in err
    assert "4111111111111111" not in err and "Traceback" not in err


def test_cli_reports_rejected_files_with_exit_code_3(tmp_path: Path) -> None:
    data = write(tmp_path / "orders_broken.csv", b"\x00\x00 not a csv")
    result = run_cli(tmp_path / "home", "ingest", str(data))
    assert result.returncode == 3
    assert "orders_broken.csv: is not a CSV or Parquet file" in result.stdout
    # a file none of whose rows got in (US dates, say) is as good as rejected
    us = write(tmp_path / "orders_us.csv", "order_id,order_date,total_amount\n"
                                           "U1,11/05/2026,1.00\nU2,11/06/2026,2.00\n")
    result = run_cli(tmp_path / "home", "ingest", str(us))
    assert result.returncode == 3
    assert ("all 2 row(s) rejected, see rejected/orders/: does the file hold orders, and "
            "does it need a mapping") in " ".join(result.stdout.split())


def test_a_file_with_rejected_rows_is_read_again_once_they_can_pass(tmp_path: Path) -> None:
    """Rows rejected for an unknown customer pass once the customer is in: the same
    file is skipped (saying how to read it again), then read again with --reread."""
    home = tmp_path / "home"
    first = run_cli(home, "ingest", str(write(tmp_path / "stores.csv", STORES_CSV)),
                    str(write(tmp_path / "customers.csv", CUSTOMERS_CSV)))
    assert first.returncode == 0, first.stdout + first.stderr
    orders = write(tmp_path / "orders.csv", ORDERS_HEADER
                   + "O1,C1,2026-01-02,paid,store,0001,USD,5.00,2026-01-02 00:00:00\n"
                   + "O2,C77,2026-01-02,paid,store,0001,USD,6.00,2026-01-02 00:00:00\n")
    result = run_cli(home, "ingest", str(orders))
    assert "row 3 column customer_id: 'C77' is not a known customers.customer_id" in (
        result.stdout)
    run_cli(home, "ingest", str(write(tmp_path / "late.csv",
                                      "customer_id,first_name\nC77,Cem\n")), "--table",
            "customers")
    assert len(list((home / "lake/rejected/orders").glob("orders-*"))) == 2  # rows, reason
    skipped = run_cli(home, "ingest", str(orders))
    assert "same content already ingested from raw/orders/orders.csv" in skipped.stdout
    assert "with 1 row(s) rejected" in skipped.stdout and "--reread" in skipped.stdout
    again = run_cli(home, "ingest", str(orders), "--reread")
    assert again.returncode == 0, again.stdout + again.stderr
    rows = DeltaTable(str(home / "lake/curated/orders")).to_pyarrow_table(
        columns=["order_id", "_source_file"]).to_pylist()
    assert sorted(r["order_id"] for r in rows) == ["O1", "O2"]
    # the rejection reports of the first reading no longer stand
    assert list((home / "lake/rejected/orders").glob("orders-*")) == []


def test_a_table_that_contradicts_the_mapping_is_refused(tmp_path: Path) -> None:
    mapping = write(tmp_path / "map.toml", 'table = "orders"\n[columns]\norder_id = "Nr"\n')
    data = write(tmp_path / "export.csv", "Nr,customer_id,order_date,total_amount\n"
                                          "1,C1,2026-01-02,5.00\n")
    result = run_cli(tmp_path / "home", "ingest", str(data), "--table", "customers",
                     "--mapping", str(mapping))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2
    assert lines == [f"error: mapping {mapping}: maps onto table orders, but the files were "
                     "given as customers; drop the table option, or use a mapping for customers"]
    assert not (tmp_path / "home/lake/curated/customers").exists()
    assert not (tmp_path / "home/lake/raw").exists()  # refused before anything landed


def test_minimal_orders_export_with_a_mapping(tmp_path: Path) -> None:
    mapping = write(tmp_path / "shop-mapping.toml", """
table = "orders"
delimiter = ";"

[columns]
order_id = "Bestellnr"
customer_id = "Kunde"
order_date = { from = "Datum", format = "%d.%m.%Y" }
total_amount = { from = "Betrag", decimal_comma = true }

[constants]
currency = "EUR"
""")
    data = write(tmp_path / "export.csv",
                 "Bestellnr;Kunde;Datum;Betrag;Notiz\n"
                 "1001;K1;03.02.2026;1.234,50;first\n"
                 "1002;K2;04.02.2026;99,90;\n"
                 "1003;K1;31.02.2026;10,00;bad date\n")
    home = tmp_path / "home"
    result = run_cli(home, "ingest", str(data), "--mapping", str(mapping))
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("row 4 column order_date: '31.02.2026' is not a date in the mapping's format "
            "%d.%m.%Y") in result.stdout
    orders = DeltaTable(str(home / "lake/curated/orders")).to_pyarrow_table().to_pylist()
    assert sorted((o["order_id"], o["customer_id"], str(o["order_date"]), o["total_amount"],
                   o["currency"], o["status"]) for o in orders) == [
        ("1001", "K1", "2026-02-03", 1234.5, "EUR", "completed"),
        ("1002", "K2", "2026-02-04", 99.9, "EUR", "completed"),
    ]
    assert "ignored column(s) not in the contract: Notiz" in result.stdout

    # the next day's export, without versions either, corrects an amount
    write(tmp_path / "export-2.csv", "Bestellnr;Kunde;Datum;Betrag\n"
                                     "1001;K1;03.02.2026;1.234,50\n1002;K2;04.02.2026;89,90\n")
    result = run_cli(home, "ingest", str(tmp_path / "export-2.csv"), "--mapping", str(mapping))
    assert result.returncode == 0, result.stdout + result.stderr
    orders = DeltaTable(str(home / "lake/curated/orders")).to_pyarrow_table().to_pylist()
    assert sorted((o["order_id"], o["total_amount"], o["_source_file"].rsplit("/", 1)[-1])
                  for o in orders) == [("1001", 1234.5, "export.csv"),
                                       ("1002", 89.9, "export-2.csv")]
    # a third, forgotten its mapping, is rejected whole; given it, the file's first real
    # reading corrects like any other
    write(tmp_path / "export-3.csv", "Bestellnr;Kunde;Datum;Betrag\n1002;K2;04.02.2026;79,90\n")
    assert run_cli(home, "ingest", str(tmp_path / "export-3.csv"), "--table",
                   "orders").returncode == 3
    result = run_cli(home, "ingest", str(tmp_path / "export-3.csv"), "--mapping", str(mapping))
    assert result.returncode == 0, result.stdout + result.stderr
    orders = DeltaTable(str(home / "lake/curated/orders")).to_pyarrow_table().to_pylist()
    assert {o["order_id"]: o["total_amount"] for o in orders} == {"1001": 1234.5,
                                                                  "1002": 79.9}


def test_schema_markdown_command(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", "schema", "--markdown")
    assert result.returncode == 0
    assert result.stdout.startswith("# The shopsight data contract")
    assert "## `payments`" in result.stdout


def test_train_command_saves_every_systems_models(tmp_path: Path, demo_lake: Any) -> None:
    """`shopsight train` retrains Demand Insights and Market Intelligence into the lake;
    the next request loads those versions instead of training."""
    import shutil

    from shopsight.config import load_settings
    from shopsight.lake.models import ModelStore
    from shopsight.systems.demand_insights.models import ChurnRequest
    from shopsight.systems.demand_insights.service import DemandInsights

    home = tmp_path / "home"
    shutil.copytree(demo_lake.root / "lake", home / "lake",
                    ignore=shutil.ignore_patterns("models"))
    result = run_cli(home, "train")
    assert result.returncode == 0, result.stderr
    lake = Lake(str(home / "lake"))
    store = ModelStore(lake, load_settings().signing_key.get_secret_value())
    for system, name in (("demand_insights", "churn"), ("demand_insights", "clv"),
                         ("market_intelligence", "forecast-company-all-revenue")):
        assert len(store.versions(system, name)) == 1, (system, name)
        assert store.versions(system, name)[0] in result.stdout
    answer = DemandInsights(lake, store).churn(ChurnRequest())
    assert not answer.model.model_trained_now
    assert answer.model.version == store.versions("demand_insights", "churn")[0]
