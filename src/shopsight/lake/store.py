"""The object store under the lake: a local folder or ``s3://bucket/prefix``.

Zones: ``raw/`` (files as received, never modified), ``curated/`` and ``prod/`` (Delta
tables), ``rejected/`` (rejected rows and reason files), ``models/`` and ``exports/``;
a local lake also has ``_locks/`` (one empty file per table being merged into).
All paths inside the lake are *keys* relative to the root; a key that tries to escape
(``..``, absolute, NUL) is refused with :class:`PathOutsideLake`.
"""

from __future__ import annotations

import os
import posixpath
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shopsight.errors import LakeError, PathOutsideLake

RAW, CURATED, PROD, REJECTED = "raw", "curated", "prod", "rejected"


def safe_key(key: str) -> str:
    """Normalise a lake key and refuse anything that could escape the lake."""
    if "\x00" in key or key.startswith(("/", "\\")) or ":" in key.split("/")[0]:
        raise PathOutsideLake(key)
    parts = key.replace("\\", "/").split("/")
    if any(p == ".." for p in parts):
        raise PathOutsideLake(key)
    cleaned = posixpath.normpath("/".join(p for p in parts if p not in ("", ".")))
    if cleaned in ("", "."):
        raise PathOutsideLake(key)
    return cleaned


@dataclass(frozen=True)
class LakeFile:
    """A file in the lake."""

    key: str
    size: int
    modified: datetime


class Lake:
    """Files and Delta tables under one root, local or on S3.

    ``storage_options`` are passed to deltalake (e.g. ``AWS_ENDPOINT_URL`` for moto).
    A local folder is handled with the standard library (no pyarrow import, 0.2 s, on
    every command's path); S3 through pyarrow's file system.
    """

    def __init__(self, root: str, storage_options: dict[str, str] | None = None) -> None:
        self.storage_options = dict(storage_options or {})
        self.is_local = "://" not in root or root.startswith("file://")
        self._fs: Any = None
        if self.is_local:
            local_root = root.removeprefix("file://")
            self.root = os.path.abspath(local_root)
            self._base = self.root
        else:
            from pyarrow import fs

            if not root.startswith("s3://"):
                raise LakeError(root, "only local folders and s3:// roots are supported")
            self.root = root.rstrip("/")
            endpoint = self.storage_options.get("AWS_ENDPOINT_URL")
            scheme = "http" if endpoint and endpoint.startswith("http://") else "https"
            self._fs = fs.S3FileSystem(
                endpoint_override=endpoint.split("://", 1)[-1] if endpoint else None,
                scheme=scheme,
                region=self.storage_options.get("AWS_REGION"),
            )
            self._base = self.root.removeprefix("s3://")

    def __repr__(self) -> str:
        return f"Lake({self.root!r})"

    def _path(self, key: str) -> str:
        return f"{self._base}/{safe_key(key)}"

    def uri(self, key: str) -> str:
        """Absolute path or URI of a key, as deltalake and humans want it."""
        return f"{self.root}/{safe_key(key)}"

    def table_uri(self, zone: str, table: str) -> str:
        """URI of a Delta table such as curated/orders or prod/demand_insights/segments."""
        return self.uri(f"{zone}/{table}")

    @contextmanager
    def table_lock(self, zone: str, table: str) -> Iterator[None]:
        """The right to merge into the Delta table ``zone/table`` until the block ends.

        A merge reads the table, works out the rows that change and commits them; two
        processes doing that at once (``shopsight watch`` and an ``ingest``) would both
        insert a new key, since one Delta append never conflicts with another. A local
        lake locks a file under ``<lake>/_locks/`` (the system releases it if the process
        dies); on S3 the writes rely on Delta's own commit checks.
        """
        try:
            import fcntl
        except ImportError:  # not a POSIX system
            fcntl = None  # type: ignore[assignment]
        if not self.is_local or fcntl is None:
            yield
            return
        folder = os.path.join(self.root, "_locks")
        os.makedirs(folder, exist_ok=True)
        name = safe_key(f"{zone}/{table}").replace("/", "--")
        with open(os.path.join(folder, f"{name}.lock"), "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def write_bytes(self, key: str, data: bytes) -> None:
        """Write a whole object; local writes are atomic (temp file + rename)."""
        path = self._path(key)
        try:
            if self.is_local:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                tmp = f"{path}.{uuid.uuid4().hex}.tmp"
                with open(tmp, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            else:
                with self._fs.open_output_stream(path) as out:
                    out.write(data)
        except OSError as exc:
            raise LakeError(self.uri(key), f"cannot write ({exc.strerror or exc})") from exc

    def read_bytes(self, key: str) -> bytes:
        """Read a whole object."""
        try:
            with self.open_input(key) as src:
                data: bytes = src.read()
                return data
        except OSError as exc:
            raise LakeError(self.uri(key), f"cannot read ({exc})") from exc

    @contextmanager
    def open_input(self, key: str) -> Iterator[Any]:
        """A binary stream of an object, to read it piece by piece (``read(size)``)."""
        try:
            if self.is_local:
                with open(self._path(key), "rb") as handle:
                    yield handle
            else:
                with self._fs.open_input_stream(self._path(key)) as src:
                    yield src
        except FileNotFoundError:
            raise LakeError(self.uri(key), "no such file") from None

    def exists(self, key: str) -> bool:
        if self.is_local:
            return os.path.exists(self._path(key))
        from pyarrow import fs

        info = self._fs.get_file_info(self._path(key))
        return bool(info.type != fs.FileType.NotFound)

    def list_files(self, prefix: str = "") -> list[LakeFile]:
        """Files under a prefix, recursively, sorted by key; skips temp files."""
        base = self._path(prefix) if prefix else self._base
        if self.is_local:
            return sorted(self._local_files(base), key=lambda f: f.key)
        from pyarrow import fs

        selector = fs.FileSelector(base, recursive=True, allow_not_found=True)
        out: list[LakeFile] = []
        for info in self._fs.get_file_info(selector):
            if info.type != fs.FileType.File or info.path.endswith(".tmp"):
                continue
            key = info.path[len(self._base) + 1:]
            modified = info.mtime or datetime.fromtimestamp(0, UTC)
            out.append(LakeFile(key=key, size=info.size or 0, modified=modified))
        return sorted(out, key=lambda f: f.key)

    def _local_files(self, base: str) -> list[LakeFile]:
        if os.path.isfile(base):
            paths = [base]
        else:
            paths = [os.path.join(folder, name) for folder, _, names
                     in os.walk(base, followlinks=True) for name in names]
        out = []
        for path in paths:
            if path.endswith(".tmp"):
                continue
            try:
                info = os.stat(path)
            except FileNotFoundError:  # removed while listing
                continue
            key = os.path.relpath(path, self._base).replace(os.sep, "/")
            out.append(LakeFile(key=key, size=info.st_size,
                                modified=datetime.fromtimestamp(info.st_mtime, UTC)))
        return out

    def delete(self, key: str) -> None:
        """Delete one object if it exists."""
        if self.is_local:
            try:
                os.remove(self._path(key))
            except (FileNotFoundError, NotADirectoryError):
                pass
            return
        if self.exists(key):
            self._fs.delete_file(self._path(key))

    def local_path(self, key: str) -> str:
        """Filesystem path of a key on a local lake (for tools that need a path)."""
        if not self.is_local:
            raise LakeError(self.root, "a local path was requested on a remote lake")
        return self._path(key)
