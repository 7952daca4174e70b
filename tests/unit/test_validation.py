"""Typing of raw text by the contract."""

from __future__ import annotations

import duckdb


def test_timestamps_with_offsets_are_converted_to_utc() -> None:
    from shopsight.quality.validation import typed_value
    from shopsight.schema import get_table

    col = get_table("orders").column("ordered_at")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")

    def parse(text: str) -> str:
        return str(con.execute(f"SELECT {typed_value(col, repr(text))}").fetchall()[0][0])

    assert parse("2026-01-01 10:00:00") == "2026-01-01 10:00:00+00:00"
    assert parse("2026-01-01T10:00:00") == "2026-01-01 10:00:00+00:00"
    assert parse("2026-01-01 10:00+02") == "2026-01-01 08:00:00+00:00"
    assert parse("2026-01-01 10:00:00-05:00") == "2026-01-01 15:00:00+00:00"
    assert parse("2026-13-01 10:00:00") == "None"


def test_a_mapped_timestamp_format_gives_a_utc_instant() -> None:
    """A retailer's mapping may give a timestamp's format; without an offset in it the
    time is UTC (the contract's rule), with one it is converted."""
    from shopsight.quality.validation import typed_value
    from shopsight.schema.model import Column, ColumnType

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    col = Column("seen_at", ColumnType.TIMESTAMP, "seen_at")

    def parse(text: str, fmt: str) -> str:
        return str(con.execute(f"SELECT {typed_value(col, repr(text), fmt)}").fetchall()[0][0])

    assert parse("31/01/2026 10:05", "%d/%m/%Y %H:%M") == "2026-01-31 10:05:00+00:00"
    assert parse(" 31/01/2026 10:05 ", "%d/%m/%Y %H:%M") == "2026-01-31 10:05:00+00:00"
    assert parse("31/01/2026 10:05 +0200", "%d/%m/%Y %H:%M %z") == "2026-01-31 08:05:00+00:00"
    assert parse("2026-01-31 10:05", "%d/%m/%Y %H:%M") == "None"


def test_the_fast_paths_for_dates_timestamps_and_whole_numbers_agree_with_the_general_rule(
) -> None:
    """Plain 'YYYY-MM-DD HH:MM:SS', 'YYYY-MM-DD' and whole-number values take a fast path;
    for values of that shape with any character changed (zone letters, offsets, padding,
    impossible days and times, signs, exponents, separators, too many digits), it must
    give what the general rule gives to the same text."""
    import random

    from shopsight.quality.validation import typed_value
    from shopsight.schema.model import Column, ColumnType

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rng = random.Random(7)
    alphabet = "0123456789+-Z: T.aUex_"
    for kind, seed in ((ColumnType.TIMESTAMP, "2024-02-29 23:59:59"),
                       (ColumnType.DATE, "2024-02-29"),
                       (ColumnType.INTEGER, "1234567890123456789"),
                       (ColumnType.INTEGER, "-42")):
        values = {seed, " " + seed, seed + " ", seed.replace(" ", "T"), seed[1:], "007", "-0",
                  "9223372036854775807", "-123456789012345678", "1e3", "0x10", "1_000"}
        while len(values) < (20_000 if len(seed) > 3 else 2_000):
            chars = list(seed)
            for _ in range(rng.choice((1, 1, 2, 3))):
                chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            values.add("".join(chars))
        col = Column("v", kind, "v")
        cast = "TRY_CAST(v AS BIGINT)" if kind is ColumnType.INTEGER else None
        # a padded value never takes a fast path, and trims to the same text
        general = typed_value(col, "(' ' || v || ' ')")
        con.execute("CREATE OR REPLACE TABLE vals AS SELECT unnest(?::VARCHAR[]) AS v",
                    [sorted(values)])
        fast, differing = con.execute(
            f"SELECT count(*) FILTER (WHERE typed IS NOT NULL), list(v) FILTER (WHERE typed "
            f"IS DISTINCT FROM general) FROM (SELECT v, {typed_value(col, 'v', candidate=cast)}"
            f" AS typed, "
            f"{general} AS general FROM vals)").fetchall()[0]
        assert differing is None, differing[:10]
        assert fast > (50 if kind is ColumnType.INTEGER else 500), (kind, fast)


# Values a retailer's export may hold, per type: well-formed, padded, null spellings,
# other notations, and garbage. The CSV reader may parse a column only if it accepts a
# subset of what the text rules accept, as the same value (what it refuses is retried as
# text), so both paths must type every one of these identically.
_EDGE_VALUES = {
    "string": ["a", " a ", "a b", "", " ", "  ", "NULL", " NULL", "null ", "\\N", " \\N ",
               "NULLx", "N ULL", "\t"],
    "float": ["1", "1.5", " 2 ", "1e3", "-0", "+3", ".5", "5.", "1_000", "inf", "nan",
              "Infinity", "1,5", "0x10", "- 1", "abc", "", " ", "NULL", " null ", "\\N",
              "1e400", "12345678901234567890"],
    "money": ["10.005", "10.004", "-1.5", "1e2", " 3.25 ", "nan", "€3", "", "NULL"],
    "boolean": ["true", "TRUE", "True", "t", "T", "yes", "YES", "y", "1", "false", "F", "no",
                "N", "0", " true ", "on", "off", "2", "-1", "tru", "", "\\N"],
    "date": ["2026-01-01", " 2026-01-01 ", "2026-1-1", "20260101", "2026/01/01",
             "01/02/2026", "2026-01-01 10:00:00", "2026-01-01T00:00", "2026-02-29",
             "2024-02-29", "", "null", "2026-13-01", "2026-01-01 BC", "2026-01-01 10:00:00 BC",
             "2026-01-01 10:00:00 xyz", "0044-03-15 BC"],
    "timestamp": ["2026-01-01 10:00:00", "2026-01-01T10:00:00+02:00", "2026-01-01 10:00:00Z",
                  "2026-01-01 10:00", "2026-01-01", "2026-01-01 10:00:00.5",
                  "2026-01-01 10:00:00 +0200", " 2026-01-01 10:00:00 ",
                  "2026-01-01 10:00:00+05:30", "2026-01-01 10:00:00 UTC",
                  "2026-01-01 10:00:00-0800", "2026-01-01 25:00:00", "yesterday", "", "NULL",
                  "2026-01-01 10:00:00 BC", "2026-01-01 BC"],
}


def test_the_csv_reader_parses_exactly_what_the_text_rules_accept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    from shopsight.pipeline.raw_files import RAW_RETRY, RAW_TEXT, load_raw_file
    from shopsight.quality.validation import TYPED, reader_type, validate_rows
    from shopsight.schema.model import Column, ColumnType, Table

    width = max(len(v) for v in _EDGE_VALUES.values())
    columns = tuple(Column(name, ColumnType(name), name) for name in _EDGE_VALUES)
    table = Table(name="edge", description="edge", order=1, primary_key=("float",),
                  columns=columns)
    path = tmp_path / "edge.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(_EDGE_VALUES))
        for i in range(width):
            writer.writerow([v[i] if i < len(v) else "" for v in _EDGE_VALUES.values()])
        for combo in zip(*(v[:9] for v in _EDGE_VALUES.values()), strict=True):
            writer.writerow(combo)

    def typed(reader_types: dict[str, str] | None) -> list[tuple[object, ...]]:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        raw = load_raw_file(con, "edge.csv", str(path), path.read_bytes(),
                            reader_types=reader_types)
        names = ", ".join(f'"{c}"' for c in _EDGE_VALUES)
        retry = f"(SELECT {names}, _row FROM {RAW_RETRY})" if raw.retried else None
        validate_rows(con, table, f"(SELECT {names}, _row FROM {RAW_TEXT})",
                      set(_EDGE_VALUES), parsed=frozenset(raw.typed), retry_source=retry,
                      exact_tokens_read=raw.exact_tokens_read)
        if reader_types:  # both paths are exercised
            assert raw.typed and raw.retried > 0 and raw.exact_tokens_read
        return con.execute(
            f"SELECT _row, {names}, _invalid, _raw_values FROM {TYPED} ORDER BY _row"
        ).fetchall()

    def typed_while_read() -> list[tuple[object, ...]]:
        """The ingest path: rows typed and checked as the reader copies them in."""
        from shopsight.lake.store import Lake
        from shopsight.pipeline.ingest import check_rows

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        raw = check_rows(con, "edge.csv", str(path), path.read_bytes(), table, None,
                         Lake(str(tmp_path / "lake"))).raw
        assert raw.retried > 0 and raw.shifted
        names = ", ".join(f'"{c}"' for c in _EDGE_VALUES)
        return con.execute(
            f"SELECT _row, {names}, _invalid, _raw_values FROM {TYPED} ORDER BY _row"
        ).fetchall()

    as_text = typed(None)
    parsed = typed({c.name: reader_type(c) for c in columns})
    assert len(as_text) == width + 9
    assert [r[:8] for r in parsed] == [r[:8] for r in as_text]
    assert typed_while_read() == parsed
    # spaces around a text value are dropped (a tab is not a space)
    assert [r[1] for r in as_text[:14]] == ["a", "a", "a b"] + [None] * 8 + [
        "NULLx", "N ULL", "\t"]
    # a rejected row shows the value it was judged on, whichever path read it
    for p, t in zip(parsed, as_text, strict=True):
        if t[7]:
            assert [a is None for a in p[8]] == [b is None for b in t[8]]


def test_unparseable_rows_keep_their_line_in_a_large_parallel_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shopsight.pipeline.raw_files import RAW_RETRY, RAW_TEXT, load_raw_file

    n = 300_000
    bad_date = set(range(7, n, 997))
    ragged = set(range(500, n, 4999)) - bad_date
    lines = []
    for i in range(n):
        day = "2026-02-30" if i in bad_date else "2026-01-02"
        lines.append(f"{i},{day}\n" if i not in ragged else f"{i},{day},extra\n")
    path = tmp_path / "big.csv"
    path.write_text("id,day\n" + "".join(lines))
    con = duckdb.connect()
    raw = load_raw_file(con, "big.csv", str(path), path.read_bytes()[:1 << 20],
                        reader_types={"day": "DATE"})
    assert raw.rows == n and raw.retried == len(bad_date)
    assert sorted(r for r, _, _ in raw.bad_rows) == sorted(i + 2 for i in ragged)
    mismatched = con.execute(
        f"SELECT count(*) FROM {RAW_TEXT} WHERE CAST(id AS BIGINT) + 2 <> _row").fetchall()
    assert mismatched == [(0,)]
    retried = con.execute(f"SELECT CAST(id AS BIGINT), day, _row FROM {RAW_RETRY} "
                          "ORDER BY _row").fetchall()
    assert retried == [(i, "2026-02-30", i + 2) for i in sorted(bad_date)]


def test_rows_typed_while_read_keep_their_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The ingest path types rows as the reader copies them in and numbers them by
    position: by the position alone in a clean file, with the lines set aside counted
    otherwise; rows the reader could not parse keep their own line."""
    from shopsight.lake.store import Lake
    from shopsight.pipeline.ingest import check_rows
    from shopsight.quality.validation import TYPED
    from shopsight.schema.model import Column, ColumnType, Table

    table = Table(name="days", description="days", order=1, primary_key=("id",), columns=(
        Column("id", ColumnType.INTEGER, "id", required=True),
        Column("day", ColumnType.DATE, "day")))
    n = 200_000
    for dirty in (False, True):
        bad_date = set(range(7, n, 997)) if dirty else set()
        ragged = set(range(500, n, 4999)) - bad_date if dirty else set()
        lines = []
        for i in range(n):
            day = "2026-02-30" if i in bad_date else "2026-01-02"
            lines.append(f"{i},{day}\n" if i not in ragged else f"{i},{day},extra\n")
        path = tmp_path / f"days-{dirty}.csv"
        path.write_text("id,day\n" + "".join(lines))
        con = duckdb.connect()
        raw = check_rows(con, path.name, str(path), path.read_bytes()[:1 << 20], table,
                         None, Lake(str(tmp_path / "lake"))).raw
        assert raw.rows == n and raw.shifted == dirty
        counts = con.execute(f"SELECT count(*), count(*) FILTER (WHERE id + 2 <> _row), "
                             f"count(*) FILTER (WHERE _invalid) FROM {TYPED}").fetchall()
        assert counts == [(n - len(ragged), 0, len(bad_date))]


def test_a_date_before_the_common_era_or_with_trailing_text_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """DuckDB's own date parsing reads '2026-01-01 BC' as 2026 AD; neither the CSV reader
    nor the text rules may accept it (each value alone on an otherwise valid row)."""
    from shopsight.pipeline.raw_files import RAW_RETRY, RAW_TEXT, load_raw_file
    from shopsight.quality.validation import TYPED, reader_type, validate_rows
    from shopsight.schema.model import Column, ColumnType, Table

    refused = {"day": ["2026-01-01 BC", "0044-03-15 BC", "2026-01-01 10:00:00 BC",
                       "2026-01-01 10:00:00 xyz"],
               "seen_at": ["2026-01-01 10:00:00 BC", "2026-01-01 BC", "2026-01-01 10:00 BC"]}
    table = Table(name="era", description="era", order=1, primary_key=("day",), columns=(
        Column("day", ColumnType.DATE, "day"),
        Column("seen_at", ColumnType.TIMESTAMP, "seen_at")))
    rows = [("2026-01-02", "2026-01-02 10:00:00")]
    rows += [(text, "2026-01-02 10:00:00") for text in refused["day"]]
    rows += [("2026-01-02", text) for text in refused["seen_at"]]
    path = tmp_path / "era.csv"
    path.write_text("day,seen_at\n" + "".join(f"{d},{a}\n" for d, a in rows))
    for reader_types in (None, {c.name: reader_type(c) for c in table.columns}):
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        raw = load_raw_file(con, "era.csv", str(path), path.read_bytes(),
                            reader_types=reader_types)
        retry = f"(SELECT day, seen_at, _row FROM {RAW_RETRY})" if raw.retried else None
        validate_rows(con, table, f"(SELECT day, seen_at, _row FROM {RAW_TEXT})",
                      {"day", "seen_at"}, parsed=frozenset(raw.typed), retry_source=retry)
        result = con.execute(f"SELECT _invalid FROM {TYPED} ORDER BY _row").fetchall()
        assert result == [(False,)] + [(True,)] * (len(rows) - 1), reader_types


def test_every_contract_table_is_typed_by_projections_of_the_scan_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Rows are numbered by their position in the typed copy of a file, so typing must
    not reorder them: its plan is projections over the reader, whatever the contract's
    checks (a list of allowed values planned as a join, for one, need not keep order)."""
    import re

    from shopsight.pipeline.raw_files import _csv_scan
    from shopsight.quality.validation import reader_type, typed_rows_sql
    from shopsight.schema.tables import TABLES

    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'in_clause'")  # as the load sets it
    for table in TABLES:
        columns = [c.name for c in table.columns]
        path = tmp_path / f"{table.name}.csv"
        path.write_text(",".join(columns) + "\n" + ",".join("x" for _ in columns) + "\n")
        typed = {c.name: reader_type(c) for c in table.columns if reader_type(c) != "VARCHAR"}
        scan = _csv_scan(str(path), columns, typed, delimiter=",", native_encoding="utf-8",
                         null_tokens=True)
        sql = typed_rows_sql(table, set(columns), f"(SELECT * FROM {scan})",
                             parsed=frozenset(typed), exact_tokens_read=True, with_row=False)
        plan = con.execute(f"EXPLAIN {sql}").fetchall()[0][1]
        operators = set(re.findall(r"─ ([A-Z][A-Za-z_ ]+?) ─", plan))
        assert operators <= {"Projection", "READ_CSV", "Read Csv"}, (table.name, operators)


def test_a_dropped_column_is_never_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A CVV (dropped on the way to curated) is neither checked nor loaded: a malformed
    one costs nothing, and no value of it sits in DuckDB's tables."""
    from shopsight.lake.store import Lake
    from shopsight.pipeline.ingest import check_rows
    from shopsight.quality.validation import TYPED
    from shopsight.schema import get_table

    path = tmp_path / "payments.csv"
    path.write_text("payment_id,order_id,paid_at,amount,method,status,cvv\n"
                    "P1,O1,2026-01-02 10:00:00,5.00,card,captured,123\n"
                    "P2,O1,2026-01-02 10:00:00,5.00,card,captured,98765x\n")
    con = duckdb.connect()
    checked = check_rows(con, path.name, str(path), path.read_bytes(), get_table("payments"),
                         None, Lake(str(tmp_path / "lake")))
    assert "cvv" not in checked.present and checked.ignored == []
    assert con.execute(f"SELECT count(*), count(cvv), count(*) FILTER (WHERE _invalid) "
                       f"FROM {TYPED}").fetchall() == [(2, 0, 0)]
