"""Masking expressions: consistent pseudonyms, truncated card numbers and IPs."""

from __future__ import annotations

import duckdb

from shopsight.quality.masking import masked_pan, pseudonym, truncated_ip


def one(sql: str) -> object:
    return duckdb.sql(f"SELECT {sql}").fetchall()[0][0]


def test_pseudonyms_are_consistent_and_keyed() -> None:
    a = one(pseudonym("k1", "' Ann@Example.com'"))
    assert a == one(pseudonym("k1", "'ann@example.com'"))
    assert a != one(pseudonym("k2", "'ann@example.com'"))
    assert one(pseudonym("k1", "'(555) 123-4567'")) == one(pseudonym("k1", "'5551234567'"))
    assert isinstance(a, str) and a.startswith("pz_")
    assert one(pseudonym("k1", "NULL")) is None


def test_no_pseudonym_or_token_can_read_as_a_card_number() -> None:
    """Hex digests are full of digit runs; a letter every 8 characters keeps every run far
    below a card number's 13 digits, so the PCI scan never flags masked data."""
    import re

    from shopsight.quality.masking import masked_rows_sql
    from shopsight.quality.pci import redact
    from shopsight.schema import get_table

    table = get_table("payments")
    given = {"card_number": "'4111 1111 1111 ' || lpad(i::VARCHAR, 4, '0')",
             "card_holder": "'HOLDER ' || i"}
    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT " + ", ".join(
        f"{given.get(c.name, 'NULL')}::{c.type.duckdb} AS {c.name}" for c in table.columns)
        + " FROM range(10000) t(i)")
    sql = masked_rows_sql(table, "k", "p")
    values = [v for row in con.execute(f"SELECT card_number_token, card_holder FROM ({sql})")
              .fetchall() for v in row]
    assert len(set(values)) == 20000
    assert max(len(run) for v in values for run in re.findall("[0-9]+", v)) <= 8
    text = "\n".join(values)
    assert redact(text) == text


def test_card_numbers_keep_first_six_and_last_four() -> None:
    assert one(masked_pan("'4111 1111-1111 1111'")) == "411111******1111"
    assert one(masked_pan("'378282246310005'")) == "378282*****0005"
    assert one(masked_pan("'1234'")) == "****"
    # 13 to 19 digits are a card number; fewer or more say nothing about one
    assert one(masked_pan("'4111 1111 111'")) == "****"
    assert one(masked_pan("'4111111111111'")) == "411111***1111"
    assert one(masked_pan("'41111111111111111111'")) == "****"


def test_ip_addresses_keep_their_network() -> None:
    assert one(truncated_ip("'203.0.113.77'")) == "203.0.113.0"
    assert one(truncated_ip("'2001:db8:85a3:8d3:1319:8a2e:370:7348'")) == "2001:db8:85a3::"
    # '::' stands for the zero groups it leaves out, also within the first three
    assert one(truncated_ip("'2001:DB8::7'")) == "2001:db8:0::"
    assert one(truncated_ip("'2a01:4f8:c0c:1234::1'")) == "2a01:4f8:c0c::"
    assert one(truncated_ip("'::1'")) == "0:0:0::"
    assert one(truncated_ip("'fe80::'")) == "fe80:0:0::"
    assert one(truncated_ip("'::ffff:192.0.2.1'")) == "0:0:0::"



def test_masking_once_per_value_gives_exactly_the_per_row_result() -> None:
    """The curated write masks each distinct card and name once and joins it back; the
    rejected rows are masked row by row. Both must give the same values (joins across
    curated and rejected rows depend on it), NULLs included, whatever the row order."""
    from shopsight.quality.masking import masked_rows_sql
    from shopsight.schema import get_table

    table = get_table("payments")
    given = {"payment_id": "'P' || i",
             "card_number": "CASE WHEN i % 7 = 0 THEN NULL WHEN i % 2 = 0 THEN "
                            "'4111 1111 1111 ' || lpad((i % 50)::VARCHAR, 4, '0') "
                            "ELSE '4111-1111-1111-' || lpad((i % 50)::VARCHAR, 4, '0') END",
             "card_holder": "CASE WHEN i % 5 = 0 THEN NULL ELSE ' Holder ' || (i % 13) END",
             "ip_address": "'203.0.113.' || (i % 200)"}
    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT " + ", ".join(
        f"{given.get(c.name, 'NULL')}::{c.type.duckdb} AS {c.name}" for c in table.columns)
        + " FROM range(3000) t(i)")
    con.execute("CREATE TABLE superset AS SELECT * FROM p UNION ALL SELECT * FROM p "
                "UNION ALL SELECT * REPLACE ('4000 0000 0000 0002' AS card_number) FROM p")
    per_row = con.execute(f"{masked_rows_sql(table, 'k', 'p')} ORDER BY payment_id").fetchall()
    looked_up = con.execute(f"{masked_rows_sql(table, 'k', 'p', values_from='superset')} "
                            "ORDER BY payment_id").fetchall()
    assert len(per_row) == 3000
    assert looked_up == per_row
    names = [c for c, _, _ in table.curated_columns]
    tokens = {row[names.index("card_number_token")] for row in per_row}
    holders = {row[names.index("card_holder")] for row in per_row}
    assert (len(tokens), len(holders)) == (51, 14)  # 50 cards (either format) and NULL
