"""Write a demo dataset: raw exports into the lake, truth and store uploads onto disk.

CSV files are written MySQL-export style: header row, comma separated, double quotes only
where a value needs them, ``\\N`` for NULL, UTF-8, ``\\n`` line ends. Parquet files keep
their typed nullable columns. Encoding is deterministic, so a seed gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, Field

from shopsight.demo.generate import DemoDataset, RawFile
from shopsight.lake.store import Lake

NULL = "\\N"
_NEEDS_QUOTES = r'[,"\r\n]'


class FileSummary(BaseModel):
    """One written raw file."""

    key: str = Field(description="Lake key of the file.")
    table: str = Field(description="Contract table the file feeds.")
    rows: int = Field(description="Data rows (header excluded).")
    bytes: int = Field(description="Size of the written file.")


class DemoSummary(BaseModel):
    """What :func:`write_demo_data` wrote, for the CLI to print and tests to check."""

    scale: str
    seed: int
    end_date: str
    files: list[FileSummary]
    truth: dict[str, int] = Field(description="Rows per truth table in truth_dir.")
    uploads: int = Field(description="Store upload files written under uploads_dir.")
    upload_lines: int
    truth_dir: str
    uploads_dir: str


def encode_csv(frame: pd.DataFrame) -> bytes:
    """A string frame as MySQL-style CSV bytes (``\\N`` for NULL, minimal quoting)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    text = frame.astype("str")
    needs_quotes = any(
        bool(text[col].str.contains(_NEEDS_QUOTES, regex=True, na=False).any())
        for col in text.columns
    )
    if needs_quotes or any(set(c) & set(',"\r\n') for c in text.columns):
        buffer = io.StringIO()
        text.to_csv(buffer, index=False, na_rep=NULL, lineterminator="\n",
                    quoting=csv.QUOTE_MINIMAL)
        return buffer.getvalue().encode("utf-8")
    table = pa.Table.from_pandas(text, preserve_index=False)
    columns = [pc.fill_null(table.column(i).cast(pa.string()), NULL)
               for i in range(table.num_columns)]
    table = pa.Table.from_arrays(columns, names=list(text.columns))
    out = io.BytesIO()
    out.write((",".join(text.columns) + "\n").encode("utf-8"))
    if table.num_rows:
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False,
                                                       quoting_style="none"))
    return out.getvalue()


def encode_parquet(frame: pd.DataFrame) -> bytes:
    """A typed frame as Parquet bytes (no pandas index, snappy)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    out = io.BytesIO()
    pq.write_table(table, out, compression="snappy")
    return out.getvalue()


def encode_raw_file(raw: RawFile) -> bytes:
    """The bytes of one raw file in its declared format."""
    return encode_parquet(raw.frame) if raw.fmt == "parquet" else encode_csv(raw.frame)


def write_demo_data(dataset: DemoDataset, lake: Lake, truth_dir: Path,
                    uploads_dir: Path) -> DemoSummary:
    """Write raw files into ``lake``, truth CSVs + manifest to ``truth_dir`` and the daily
    store uploads to ``uploads_dir/<YYYY-MM-DD>/store_<id>.csv``.

    Truth stays outside the lake on purpose: the platform must never see the answers.
    """
    files: list[FileSummary] = []
    for raw in dataset.files:
        data = encode_raw_file(raw)
        lake.write_bytes(raw.key, data)
        files.append(FileSummary(key=raw.key, table=raw.table, rows=len(raw.frame),
                                 bytes=len(data)))

    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in dataset.truth.items():
        (truth_dir / f"{name}.csv").write_bytes(
            frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    manifest = dict(dataset.manifest)
    manifest["file_bytes"] = {f.key: f.bytes for f in files}
    (truth_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")

    lines = 0
    for (store_id, business_date), frame in sorted(dataset.uploads.items()):
        folder = uploads_dir / business_date.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"store_{store_id}.csv").write_bytes(encode_csv(frame))
        lines += len(frame)

    return DemoSummary(
        scale=str(dataset.manifest["scale"]), seed=int(dataset.manifest["seed"]),
        end_date=str(dataset.manifest["end_date"]), files=files,
        truth={name: len(frame) for name, frame in dataset.truth.items()},
        uploads=len(dataset.uploads), upload_lines=lines,
        truth_dir=str(truth_dir), uploads_dir=str(uploads_dir),
    )
