"""PCI compliance scan of the lake: unmasked card numbers, CVV columns and SSNs.

What is scanned
    * every curated and prod Delta table (current version, read with pyarrow in record
      batches): every string and integer column, reported as ``table.column`` and row;
    * every file under the lake except ``raw/`` (which legitimately holds data as
      received): CSV (column-aware), JSON and text (line-aware), Parquet (column-aware).
      Parquet files that belong to the current version of a Delta table are covered by the
      table scan; stale ones (older versions, still on disk) are scanned as files, since
      deleting a row from a table does not delete it from old files.
      ``_delta_log`` JSON is parsed and only its string values (min/max statistics,
      partition values, schema field names) are scanned, so commit timestamps, sizes and
      metrics never look like card numbers; the statistics are still scanned because a
      leaked PAN survives there after the data is rewritten.

What counts as a finding
    * ``pan``: a run of 13-19 digits, contiguous or separated by spaces/dashes, that passes
      the Luhn check and either starts with a known issuer range (Visa 4, Mastercard
      51-55/2221-2720, Amex 34/37, Discover 6011/644-649/65, JCB 3528-3589, Diners
      300-305/36/38/39, UnionPay 62, Maestro 50/56-69, Mir 2200-2204) or is written in card
      grouping (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3). Ids and timestamps rarely pass both.
    * ``cvv_column``: a column (or JSON key) named like cvv, cvc, cvv2, cvc2, cid, csc or
      card security/verification code.
    * ``ssn``: ddd-dd-dddd with a valid area (not 000, 666, 9xx), group (not 00) and
      serial (not 0000).

Samples are redacted (first 6 and last 4 digits of a PAN, last 4 of an SSN); no finding
ever carries a full number.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from shopsight.lake.store import CURATED, PROD, RAW, Lake
from shopsight.quality.pci import luhn_valid

_PAN_CANDIDATE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
_DIGIT_RUN = re.compile(r"[0-9][0-9 \-]{11,}[0-9]")
_SSN = re.compile(r"(?<![0-9-])([0-9]{3})-([0-9]{2})-([0-9]{4})(?![0-9-])")
_CVV_NAME = re.compile(
    r"^(cvv2?|cvc2?|cid|csc|cav2|security_?code|card_?security_?code|"
    r"card_?verification(_?(value|code))?|verification_?code|card_?cvv2?|card_?cvc2?)$",
    re.IGNORECASE,
)
_CARD_GROUPINGS = {(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3), (4, 4, 4, 3)}
_TEXT_SUFFIXES = (".csv", ".json", ".txt", ".log", ".jsonl", ".ndjson", ".md", ".tsv")
MAX_FINDINGS_PER_LOCATION = 20
"""Findings kept per file or table column; the count still includes the rest."""


class PciFinding(BaseModel):
    """One suspected leak of cardholder data or an SSN."""

    kind: str = Field(description="pan, cvv_column or ssn")
    location: str = Field(description="lake key of the file, or table.column")
    table: str | None = Field(default=None, description="SQL table name, for tables")
    column: str | None = Field(default=None, description="column or JSON key, if known")
    row: int | None = Field(default=None, description="1-based row (data rows) or line")
    sample: str = Field(description="redacted sample, never the full value")
    detail: str = Field(description="why this was flagged and what to do")


class ScanReport(BaseModel):
    """Result of one PCI scan of the lake."""

    started_at: datetime
    finished_at: datetime
    tables_scanned: int
    files_scanned: int
    rows_scanned: int
    findings: list[PciFinding]
    findings_total: int = Field(description="all findings, including ones not listed")

    @property
    def clean(self) -> bool:
        """True when nothing was found."""
        return self.findings_total == 0


def iin_known(digits: str) -> bool:
    """True when a number starts with a known card issuer range."""
    two, three, four, six = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    return (digits[0] == "4" or 51 <= two <= 55 or 2221 <= four <= 2720 or two in (34, 37)
            or four == 6011 or 644 <= three <= 649 or two == 65 or 3528 <= four <= 3589
            or 300 <= three <= 305 or two in (36, 38, 39) or two == 62 or two == 50
            or 56 <= two <= 69 or 2200 <= four <= 2204 or 622126 <= six <= 622925)


def _card_like(text: str) -> bool:
    groups = tuple(len(g) for g in re.split(r"[ -]", text))
    return len(groups) > 1 and groups in _CARD_GROUPINGS and len(set(re.findall(r"[ -]",
                                                                                  text))) == 1


def find_pans(text: str) -> list[str]:
    """Digit strings in ``text`` that look like unmasked card numbers (see module doc)."""
    out: list[str] = []
    for match in _PAN_CANDIDATE.finditer(text):
        raw = match.group(0)
        before = text[match.start() - 1:match.start()]
        after = text[match.end():match.end() + 2]
        if before == "." or (len(after) == 2 and after[0] in ".eE" and after[1].isdigit()):
            continue  # digits of a decimal number (model weights, statistics), not a card
        around = text[max(0, match.start() - 2):match.start()] + "|" + after
        if re.fullmatch(r"[0-9][ -]\|.*|.*\|[ -][0-9]", around):
            continue  # part of a longer list of numbers ("1594 1703 1716 ..."), not a card
        digits = re.sub(r"[^0-9]", "", raw)
        if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
            continue
        separated = digits != raw
        # separated digits count only in a card's printed grouping (4-4-4-4, 4-6-5...):
        # runs of small numbers such as "628 624 497 483" are lists, not cards
        if (not separated and iin_known(digits)) or (separated and _card_like(raw)):
            out.append(digits)
    return out


def find_ssns(text: str) -> list[str]:
    """Valid-looking US social security numbers in ``text``."""
    out: list[str] = []
    for area, group, serial in _SSN.findall(text):
        if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
            continue
        out.append(f"{area}-{group}-{serial}")
    return out


def redact_pan(digits: str) -> str:
    """First 6 and last 4 digits of a PAN."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def is_cvv_name(name: str) -> bool:
    """True when a column name looks like a card verification value."""
    return bool(_CVV_NAME.match(name.strip()))


class _Collector:
    """Findings with a cap per location, counting everything."""

    def __init__(self) -> None:
        self.findings: list[PciFinding] = []
        self.total = 0
        self._per_location: dict[str, int] = {}

    def add(self, finding: PciFinding) -> None:
        self.total += 1
        key = f"{finding.kind}:{finding.location}:{finding.column}"
        seen = self._per_location.get(key, 0)
        self._per_location[key] = seen + 1
        if seen < MAX_FINDINGS_PER_LOCATION:
            self.findings.append(finding)

    def text_value(self, value: str, location: str, *, table: str | None = None,
                   column: str | None = None, row: int | None = None) -> None:
        if not _DIGIT_RUN.search(value) and "-" not in value:
            return
        for digits in find_pans(value):
            self.add(PciFinding(
                kind="pan", location=location, table=table, column=column, row=row,
                sample=redact_pan(digits),
                detail=f"unmasked card number ({len(digits)} digits, Luhn-valid); mask it "
                "to first 6 + last 4 and keep only the token"))
        for ssn in find_ssns(value):
            self.add(PciFinding(
                kind="ssn", location=location, table=table, column=column, row=row,
                sample="***-**-" + ssn[-4:],
                detail="social security number; drop the column or pseudonymise it"))

    def cvv_column(self, name: str, location: str, table: str | None = None) -> None:
        self.add(PciFinding(
            kind="cvv_column", location=location, table=table, column=name,
            sample=name,
            detail=f"column {name!r} looks like a card verification value, which must "
            "never be stored after authorisation (PCI DSS 3.3.1); drop it"))


def _arrow_string_columns(batch: Any) -> list[tuple[str, Any]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    out: list[tuple[str, Any]] = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = kind.value_type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) \
                or pa.types.is_string_view(kind):
            out.append((name, column))
        elif pa.types.is_integer(kind):
            out.append((name, pc.cast(column, pa.string())))
    return out


def _scan_batches(batches: Iterator[Any], location_of: Any, collector: _Collector,
                  table: str | None) -> int:
    """Scan Arrow record batches; returns the number of rows."""
    import pyarrow.compute as pc

    offset = 0
    for batch in batches:
        for name, column in _arrow_string_columns(batch):
            mask = pc.match_substring_regex(column, r"[0-9][0-9 \-]{11,}[0-9]|"
                                                    r"[0-9]{3}-[0-9]{2}-[0-9]{4}")
            hits = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
            for index in hits:
                value = column[index].as_py()
                collector.text_value(str(value), location_of(name), table=table,
                                     column=name, row=offset + index + 1)
        offset += batch.num_rows
    return offset


def _delta_tables(lake: Lake) -> dict[str, tuple[str, str]]:
    """SQL name -> (table key, uri) of every curated and prod Delta table."""
    from shopsight.lake.sql import lake_tables

    out: dict[str, tuple[str, str]] = {}
    prefix = lake.root + "/"
    for name, uri in lake_tables(lake).items():
        out[name] = (uri.removeprefix(prefix), uri)
    return out


def scan_lake(lake: Lake) -> ScanReport:
    """Scan the lake for cardholder data and SSNs outside ``raw/`` (see module doc)."""
    from shopsight.lake.delta import open_table, table_exists

    started = datetime.now(UTC)
    collector = _Collector()
    rows = 0
    covered: set[str] = set()
    tables = _delta_tables(lake)
    scanned_tables = 0
    for name, (_key, uri) in tables.items():
        if not table_exists(uri, lake.storage_options):
            continue
        dt = open_table(uri, lake.storage_options)
        covered.update(uri_.removeprefix(lake.root + "/") for uri_ in dt.file_uris())
        dataset = dt.to_pyarrow_dataset()
        for field_name in dataset.schema.names:
            if is_cvv_name(field_name):
                collector.cvv_column(field_name, f"{name}.{field_name}", table=name)
        rows += _scan_batches(iter(dataset.to_batches()), lambda col, n=name: f"{n}.{col}",
                              collector, name)
        scanned_tables += 1
    files = 0
    for item in lake.list_files():
        zone = item.key.split("/", 1)[0]
        if zone == RAW or item.key in covered:
            continue
        files += 1
        rows += _scan_file(lake, item.key, collector, delta_log="/_delta_log/" in
                           f"/{item.key}" and zone in (CURATED, PROD))
    return ScanReport(started_at=started, finished_at=datetime.now(UTC),
                      tables_scanned=scanned_tables, files_scanned=files, rows_scanned=rows,
                      findings=collector.findings, findings_total=collector.total)


def _scan_file(lake: Lake, key: str, collector: _Collector, delta_log: bool) -> int:
    """Scan one file by its kind; returns rows (or lines) scanned."""
    lower = key.lower()
    data = lake.read_bytes(key)
    if lower.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - a corrupt file is scanned as bytes below
            return _scan_text(data.decode("utf-8", "replace"), key, collector)
        for field_name in parquet.schema_arrow.names:
            if is_cvv_name(field_name):
                collector.cvv_column(field_name, key)
        return _scan_batches(parquet.iter_batches(), lambda _col: key, collector, None)
    text = data.decode("utf-8", "replace")
    if delta_log and lower.endswith(".json"):
        return _scan_delta_log(text, key, collector)
    if lower.endswith((".csv", ".tsv")):
        return _scan_csv(text, key, collector, "\t" if lower.endswith(".tsv") else ",")
    if lower.endswith((".json", ".jsonl", ".ndjson")):
        _scan_json_keys(text, key, collector)
    return _scan_text(text, key, collector)


def _scan_text(text: str, key: str, collector: _Collector) -> int:
    if not _DIGIT_RUN.search(text) and not _SSN.search(text):
        return text.count("\n") + 1
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        collector.text_value(line, key, row=number)
    return len(lines)


def _scan_csv(text: str, key: str, collector: _Collector, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    for name in header:
        if is_cvv_name(name):
            collector.cvv_column(name, key)
    if not _DIGIT_RUN.search(text) and not _SSN.search(text):
        return max(text.count("\n") - 1, 0)
    count = 0
    for count, record in enumerate(reader, start=1):
        for index, value in enumerate(record):
            column = header[index] if index < len(header) else f"column {index + 1}"
            collector.text_value(value, key, column=column, row=count)
    return count


def _scan_json_keys(text: str, key: str, collector: _Collector) -> None:
    for name in sorted(set(re.findall(r'"([A-Za-z0-9_ ]{2,40})"\s*:', text))):
        if is_cvv_name(name):
            collector.cvv_column(name, key)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _scan_delta_log(text: str, key: str, collector: _Collector) -> int:
    """Scan only the string values of a Delta commit (stats, partitions, schema)."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            action = json.loads(line)
        except ValueError:
            collector.text_value(line, key, row=number)
            continue
        for kind in ("add", "remove", "cdc"):
            entry = action.get(kind) if isinstance(action, dict) else None
            if not isinstance(entry, dict):
                continue
            for value in _strings(entry.get("partitionValues") or {}):
                collector.text_value(value, key, row=number)
            stats = entry.get("stats")
            if isinstance(stats, str):
                try:
                    parsed = json.loads(stats)
                except ValueError:
                    parsed = stats
                for value in _strings({k: v for k, v in parsed.items()
                                       if k in ("minValues", "maxValues")}
                                      if isinstance(parsed, dict) else parsed):
                    collector.text_value(value, key, row=number)
    return len(lines)
