"""Recognising cardholder data and SSNs in free text: Luhn checks and redaction.

Used as the last line of defence in logs and error messages, and (later) by the PCI
compliance scan of the lake.
"""

from __future__ import annotations

import re

_PAN_CANDIDATE = re.compile(r"(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])")
_SSN = re.compile(r"(?<![0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![0-9])")


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum used by card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact(text: str) -> str:
    """Replace card numbers and SSNs in free text."""

    def _pan(match: re.Match[str]) -> str:
        digits = re.sub(r"[^0-9]", "", match.group(0))
        return "[REDACTED-PAN]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else (
            match.group(0))

    return _SSN.sub("[REDACTED-SSN]", _PAN_CANDIDATE.sub(_pan, text))
