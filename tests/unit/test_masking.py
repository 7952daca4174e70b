"""Masking expressions: consistent pseudonyms, truncated card numbers and IPs."""

from __future__ import annotations

import duckdb

from shopsight.quality.masking import masked_pan, pseudonym, truncated_ip


def one(sql: str) -> object:
    return duckdb.sql(f"SELECT {sql}").fetchall()[0][0]


def test_pseudonyms_are_consistent_keyed_and_digit_free() -> None:
    a = one(pseudonym("k1", "' Ann@Example.com'"))
    assert a == one(pseudonym("k1", "'ann@example.com'"))
    assert a != one(pseudonym("k2", "'ann@example.com'"))
    assert one(pseudonym("k1", "'(555) 123-4567'")) == one(pseudonym("k1", "'5551234567'"))
    assert isinstance(a, str) and a.startswith("pz_") and not any(c.isdigit() for c in a[3:])
    assert one(pseudonym("k1", "NULL")) is None


def test_card_numbers_keep_first_six_and_last_four() -> None:
    assert one(masked_pan("'4111 1111-1111 1111'")) == "411111******1111"
    assert one(masked_pan("'378282246310005'")) == "378282*****0005"
    assert one(masked_pan("'1234'")) == "****"


def test_ip_addresses_keep_their_network() -> None:
    assert one(truncated_ip("'203.0.113.77'")) == "203.0.113.0"
    assert one(truncated_ip("'2001:db8:85a3:8d3:1319:8a2e:370:7348'")) == "2001:db8:85a3::"

