"""Trained models in the lake: ``models/<system>/<name>/<version>/{model.pkl,metadata.json}``.

Versions are UTC timestamps (plus a short random suffix), so the newest sorts last and two
trainers never overwrite each other. The metadata file is written after the model bytes:
a version without metadata is an interrupted save and is ignored by :meth:`load_latest`.
Pickles are only loaded from the lake the platform itself writes to; never point a
ModelStore at a lake other people can write.
"""

from __future__ import annotations

import json
import pickle
import platform
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from typing import Any

from shopsight.lake.store import Lake, safe_key

MODELS = "models"
_LIBRARIES = ("scikit-learn", "lightgbm", "numpy", "pandas", "scipy", "shopsight")


@dataclass(frozen=True)
class StoredModel:
    """A loaded model with its version and metadata."""

    system: str
    name: str
    version: str
    obj: Any
    metadata: dict[str, Any]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a pickled model depends on."""
    out = {"python": platform.python_version()}
    for lib in _LIBRARIES:
        try:
            out[lib] = importlib_metadata.version(lib)
        except importlib_metadata.PackageNotFoundError:
            continue
    return out


class ModelStore:
    """Save and load versioned models under ``models/`` of a lake (handed in)."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake

    def _prefix(self, system: str, name: str) -> str:
        return safe_key(f"{MODELS}/{system}/{name}")

    def save(self, system: str, name: str, obj: Any, metadata: dict[str, Any]) -> str:
        """Pickle ``obj`` and write its metadata; returns the new version."""
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        prefix = f"{self._prefix(system, name)}/{version}"
        self.lake.write_bytes(f"{prefix}/model.pkl",
                              pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        meta = {"system": system, "name": name, "version": version,
                "saved_at": datetime.now(UTC).isoformat(), "libraries": library_versions(),
                **metadata}
        self.lake.write_bytes(f"{prefix}/metadata.json",
                              json.dumps(meta, indent=2, default=str).encode("utf-8"))
        return version

    def versions(self, system: str, name: str) -> list[str]:
        """Complete versions (with metadata), oldest first."""
        prefix = self._prefix(system, name)
        found = {f.key[len(prefix) + 1:].split("/")[0]
                 for f in self.lake.list_files(prefix) if f.key.endswith("/metadata.json")}
        return sorted(found)

    def load(self, system: str, name: str, version: str) -> StoredModel:
        """One version."""
        prefix = f"{self._prefix(system, name)}/{safe_key(version)}"
        meta = json.loads(self.lake.read_bytes(f"{prefix}/metadata.json"))
        obj = pickle.loads(self.lake.read_bytes(f"{prefix}/model.pkl"))  # noqa: S301 - own lake
        return StoredModel(system, name, version, obj, meta)

    def load_latest(self, system: str, name: str) -> StoredModel | None:
        """The newest complete version, or None when the model was never trained."""
        versions = self.versions(system, name)
        return self.load(system, name, versions[-1]) if versions else None


class LoadedModels:
    """One system's models, loaded from its :class:`ModelStore` once per process.

    A request gets the cached model, else the newest stored version, else one trained now
    and saved (and is told so): requests only train when no version exists. ``lock`` is
    the owning service's lock, so loading, training and forgetting never interleave with
    its other state.
    """

    def __init__(self, store: ModelStore, system: str, lock: Any) -> None:
        self.store = store
        self.system = system
        self._lock = lock
        self._loaded: dict[str, StoredModel] = {}

    def get(self, name: str,
            trainer: Callable[[], tuple[Any, dict[str, Any]]]) -> tuple[StoredModel, bool]:
        """The model ``name`` and whether this call had to train it."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name], False
            stored = self.store.load_latest(self.system, name)
            trained_now = False
            if stored is None:
                obj, meta = trainer()
                version = self.store.save(self.system, name, obj, meta)
                stored = self.store.load(self.system, name, version)
                trained_now = True
            self._loaded[name] = stored
            return stored, trained_now

    def forget(self) -> None:
        """Drop the loaded models; the next request loads the newest stored versions."""
        with self._lock:
            self._loaded.clear()
