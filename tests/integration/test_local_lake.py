"""A local lake folder, handled with the standard library: listing, streaming, deleting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shopsight.errors import LakeError
from shopsight.lake.store import Lake

pytestmark = pytest.mark.integration


def test_listing_follows_linked_folders_and_skips_temp_files(tmp_path: Path) -> None:
    elsewhere = tmp_path / "exports"
    (elsewhere / "deep").mkdir(parents=True)
    (elsewhere / "deep" / "orders_2.csv").write_text("x")
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes("raw/orders/orders_1.csv", b"a,b\n")
    lake.write_bytes("raw/orders/.hidden", b"")
    Path(lake.local_path("raw/orders/half-written.csv.1234.tmp")).write_bytes(b"")
    os.symlink(elsewhere, lake.local_path("raw/linked"))

    keys = [f.key for f in lake.list_files("raw")]
    assert keys == ["raw/linked/deep/orders_2.csv", "raw/orders/.hidden",
                    "raw/orders/orders_1.csv"]
    assert lake.list_files("raw/missing") == []
    listed = {f.key: f for f in lake.list_files()}
    assert listed["raw/orders/orders_1.csv"].size == 4
    assert listed["raw/orders/orders_1.csv"].modified.tzinfo is not None


def test_streams_and_deletes_like_an_object_store(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes("raw/orders/o.csv", b"0123456789" * 1000)
    with lake.open_input("raw/orders/o.csv") as stream:
        assert stream.read(5) == b"01234" and len(stream.read()) == 9995
    with pytest.raises(LakeError, match="no such file"), lake.open_input("raw/none.csv"):
        pass
    lake.delete("raw/orders/o.csv")
    lake.delete("raw/orders/o.csv")  # already gone: nothing to do
    lake.write_bytes("raw/orders/p.csv", b"x")
    lake.delete("raw/orders/p.csv/inside")  # a path through a file: nothing there either
    assert not lake.exists("raw/orders/o.csv") and lake.exists("raw/orders/p.csv")
