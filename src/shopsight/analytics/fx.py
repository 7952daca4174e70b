"""The reporting-currency rate table: units of each currency per US dollar.

A fixed, documented table (mid-2026 averages, rounded) so that multi-country figures are
reproducible; a retailer with its own treasury rates replaces it through settings later.
Amounts convert as ``usd = local / RATES_PER_USD[currency]``.
"""

from __future__ import annotations

RATES_PER_USD: dict[str, float] = {
    "USD": 1.0,
    "CAD": 1.36,
    "GBP": 0.79,
    "EUR": 0.92,
    "JPY": 150.0,
    "AUD": 1.52,
    "CHF": 0.88,
    "SEK": 10.6,
    "MXN": 17.1,
    "BRL": 5.0,
    "INR": 83.0,
    "CNY": 7.2,
}


def to_reporting(amount: float, currency: str, reporting: str = "USD") -> float:
    """Convert an amount between currencies of the table."""
    return amount / RATES_PER_USD[currency] * RATES_PER_USD[reporting]
