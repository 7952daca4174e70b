"""Card numbers, CVVs and SSNs never leave raw/ unmasked: not in curated, not in
rejected rows, not in reason files, not in the state store, not in logs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from tests.conftest import CUSTOMERS_CSV, MASKING_KEY, STORES_CSV, write

pytestmark = pytest.mark.integration

PANS = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"]
SSNS = ["123-45-6789", "234-56-7890"]
PAYMENTS_HEADER = ("payment_id,order_id,customer_id,paid_at,amount,method,status,card_number,"
                   "cvv,card_holder,ip_address,ip_country,billing_country\n")


def spaced(pan: str) -> str:
    return " ".join(pan[i:i + 4] for i in range(0, len(pan), 4))


def payments_csv() -> str:
    return PAYMENTS_HEADER + "".join([
        f"P1,O1,C1,2026-01-02 10:00:00,10.50,card,captured,{PANS[0]},123,ANN A,10.1.2.3,US,US\n",
        f"P2,O1,C1,2026-01-02 10:01:00,10.50,card,declined,{spaced(PANS[1])},456,ANN A,"
        "10.1.2.3,US,US\n",
        # rejected for its amount: the rejected row must carry the card masked
        f"P3,O1,C1,2026-01-02 10:02:00,lots,card,captured,{PANS[2]},7890,ANN A,10.1.2.3,US,US\n",
        # rejected by the reader (too many fields): reasons only, no values
        f"P4,O1,C1,2026-01-02 10:03:00,1.00,card,captured,{PANS[3]},321,ANN A,10.1.2.3,US,US,x\n",
        # rejected for an unknown order: values masked
        f"P5,O404,C1,2026-01-02 10:04:00,1.00,card,captured,{PANS[0]},999,ANN A,10.1.2.3,US,US\n",
    ])


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOPSIGHT_HOME": str(home), "SHOPSIGHT_LOG_FORMAT": "json",
           "LOG_LEVEL": "DEBUG", "SHOPSIGHT_MASKING_KEY": MASKING_KEY}
    return subprocess.run([sys.executable, "-m", "shopsight.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def leaks(text: str) -> list[str]:
    found = [p for p in PANS if p in text or spaced(p) in text]
    found += [s for s in SSNS if s in text or s.replace("-", "") in text]
    return found


def files_outside_raw_without_leaks(home: Path) -> int:
    """Check every file of the lake outside raw/, and the state store; returns how many
    lake files were checked."""
    lake = home / "lake"
    checked = 0
    for path in sorted(lake.rglob("*")):
        if not path.is_file() or path.relative_to(lake).parts[0] == "raw":
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".parquet":
            text = str(pq.read_table(path).to_pylist())
        assert leaks(text) == [], path
        if path.suffix == ".csv":
            assert "cvv" not in text.splitlines()[0].split(","), path
        checked += 1
    assert leaks((home / "state.db").read_bytes().decode("latin-1")) == []
    return checked


def test_sensitive_values_never_leave_raw(tmp_path: Path) -> None:
    src = tmp_path / "in"
    write(src / "stores.csv", STORES_CSV)
    write(src / "customers.csv", CUSTOMERS_CSV)
    write(src / "orders.csv", "order_id,customer_id,order_date,total_amount\n"
                              "O1,C1,2026-01-02,10.50\n")
    write(src / "payments.csv", payments_csv())
    # a file the CSV reader cannot parse at all, with a card number in the broken line
    write(src / "payments_broken.csv", PAYMENTS_HEADER
          + f'P9,O1,C1,2026-01-02,1.00,card,captured,"{PANS[1]},999,"unterminated\n')
    home = tmp_path / "home"
    result = run_cli(home, "ingest", *(str(src / n) for n in (
        "stores.csv", "customers.csv", "orders.csv", "payments.csv", "payments_broken.csv")))
    assert "payments.csv" in result.stdout
    assert leaks(result.stdout + result.stderr) == []

    lake = home / "lake"
    payments = DeltaTable(str(lake / "curated/payments")).to_pyarrow_table()
    assert "cvv" not in payments.column_names
    rows = {r["payment_id"]: r for r in payments.to_pylist()}
    assert set(rows) == {"P1", "P2"}
    assert rows["P1"]["card_number"] == "411111******1111"
    assert rows["P2"]["card_number"] == "555555******4444"
    assert rows["P1"]["card_number_token"].startswith("tok_")
    assert rows["P1"]["ip_address"] == "10.1.2.0"
    customers = DeltaTable(str(lake / "curated/customers")).to_pyarrow_table()
    assert "ssn" not in customers.column_names
    # pseudonyms are consistent across tables and formats, so joins still work
    assert rows["P1"]["card_holder"] == rows["P2"]["card_holder"]

    assert files_outside_raw_without_leaks(home) >= 6
    rejected = sorted((lake / "rejected/payments").glob("*.rows.csv"))
    assert rejected and "378282*****0005" in rejected[0].read_text()
    # the originals are kept, unchanged, in raw/
    assert PANS[2] in (lake / "raw/payments/payments.csv").read_text()


def test_card_numbers_and_ssns_in_the_wrong_columns_never_leave_raw(tmp_path: Path) -> None:
    """A card number or SSN where none belongs (an amount, a status, an IP address, a
    country) or in a file without its header: the row or file is rejected, and neither
    its reasons nor its values, the messages or the state store hold it whole."""
    src = tmp_path / "in"
    write(src / "stores.csv", STORES_CSV)
    write(src / "customers.csv", CUSTOMERS_CSV)
    write(src / "customers_more.csv", f"customer_id,country\nC8,{SSNS[0]}\n")
    # a malformed SSN: dropped on the way to curated anyway, so the customer is kept
    write(src / "customers_ssn.csv", "customer_id,first_name,ssn\nC9,Ida,12-345-6789\n")
    write(src / "orders.csv", "order_id,customer_id,order_date,total_amount\n"
                              "O1,C1,2026-01-02,10.50\n")
    write(src / "payments.csv", PAYMENTS_HEADER + "".join([
        f"P1,O1,C1,2026-01-02 10:00:00,{PANS[0]},card,captured,,,,10.1.2.3,US,US\n",
        f"P2,O1,C1,2026-01-02 10:00:00,5.00,card,{spaced(PANS[1])},,,,10.1.2.3,US,US\n",
        f"P3,O1,C1,2026-01-02 10:00:00,5.00,card,captured,,,,{PANS[2]},US,US\n",
        "P4,O1,C1,2026-01-02 10:00:00,5.00,card,captured,,,,2001:db8::7,US,US\n",
        # malformed card data: its reasons never quote it (no pattern would redact it)
        "P5,O1,C1,2026-01-02 10:00:00,5.00,card,captured,4111-1111-1111-111X,98765,,"
        "10.1.2.3,US,US\n",
    ]))
    write(src / "payments_noheader.csv",
          f"P9,O1,C1,2026-01-02 10:00:00,1.00,card,captured,{PANS[3]},321\n")
    home = tmp_path / "home"
    result = run_cli(home, "ingest", *(str(src / n) for n in (
        "stores.csv", "customers.csv", "customers_more.csv", "customers_ssn.csv",
        "orders.csv", "payments.csv", "payments_noheader.csv")))
    assert leaks(result.stdout + result.stderr) == []
    assert "first line looks like data" in result.stdout
    assert "321" not in result.stdout  # the CVV of the header-less file is not quoted
    payments = DeltaTable(str(home / "lake/curated/payments")).to_pyarrow_table()
    assert payments.column("payment_id").to_pylist() == ["P4"]  # IPv6 kept, truncated
    assert payments.column("ip_address").to_pylist() == ["2001:db8:0::"]
    rejected = (home / "lake/rejected/payments").glob("payments-*.rows.csv")
    text = "".join(p.read_text() for p in rejected)
    assert text.count("[REDACTED-PAN]") >= 3 and "ip_address:" in text
    assert "card_number: value is not a card number of 13 to 19 digits" in text
    assert "cvv:" not in text  # a dropped column is not checked
    customers = DeltaTable(str(home / "lake/curated/customers")).to_pyarrow_table()
    assert "C9" in customers.column("customer_id").to_pylist()
    assert "ssn" not in customers.column_names
    everything = result.stdout + result.stderr + text + "".join(
        p.read_text() for p in (home / "lake/rejected").rglob("*.json"))
    assert "98765" not in everything and "111X" not in everything
    assert files_outside_raw_without_leaks(home) >= 6


def test_card_numbers_and_ssns_typed_into_free_text_are_redacted_in_curated(
        tmp_path: Path) -> None:
    """A card number or SSN typed into a name or a city: the row is kept (nothing wrong
    with it otherwise) and curated holds the text redacted. Identifiers and codes are left
    as they are: a product or gift-card code that happens to pass the card check is a
    code."""
    src = tmp_path / "in"
    write(src / "stores.csv", STORES_CSV)
    write(src / "customers.csv", CUSTOMERS_CSV)
    write(src / "customers_names.csv", "customer_id,last_name,city,updated_at\n"
                                       f"C1,Smith {spaced(PANS[0])},Berlin,2026-01-02\n"
                                       f"C2,Jones,ssn {SSNS[1]},2026-01-02\n")
    write(src / "orders.csv", "order_id,customer_id,order_date,total_amount,promo_code\n"
                              "O1,C1,2026-01-02,10.50,6006497777333355554\n"
                              "O2,C2,2026-01-02,3.00,SPRING-2026\n")
    write(src / "products.csv", "product_id,name,category,unit_cost,list_price\n"
                                f"P1,Gift card {PANS[1]},Gifts,1.00,2.00\n")
    ean = "4006381333023"  # an EAN-13 product code that also passes the Luhn check
    write(src / "store_sales.csv", "store_id,business_date,transaction_id,line_number,"
                                   f"product_id,quantity,unit_price,net_amount\n"
                                   f"0001,2026-01-05,T1,1,{ean},1,10,10\n")
    home = tmp_path / "home"
    result = run_cli(home, "ingest", *(str(src / n) for n in (
        "stores.csv", "customers.csv", "customers_names.csv", "products.csv", "orders.csv",
        "store_sales.csv")))
    assert result.returncode == 0, result.stdout + result.stderr
    lake = home / "lake"
    customers = {r["customer_id"]: r for r in DeltaTable(
        str(lake / "curated/customers")).to_pyarrow_table().to_pylist()}
    assert customers["C1"]["last_name"] == "Smith [REDACTED-PAN]"
    assert customers["C1"]["city"] == "Berlin"
    assert customers["C2"]["city"] == "ssn [REDACTED-SSN]"
    assert customers["C2"]["last_name"] == "Jones"
    orders = {r["order_id"]: r["promo_code"] for r in DeltaTable(
        str(lake / "curated/orders")).to_pyarrow_table().to_pylist()}
    # a code is an identifier (gift-card codes pass the card check): kept, like ids
    assert orders == {"O1": "6006497777333355554", "O2": "SPRING-2026"}
    (product,) = DeltaTable(str(lake / "curated/products")).to_pyarrow_table().to_pylist()
    assert product["name"] == "Gift card [REDACTED-PAN]"
    sales = DeltaTable(str(lake / "curated/store_sales")).to_pyarrow_table()
    assert sales.column("product_id").to_pylist() == [ean]
    assert files_outside_raw_without_leaks(home) >= 4
