"""Trained models in the lake: ``models/<system>/<name>/<version>/{model.pkl,metadata.json}``.

Versions are UTC timestamps (plus a short random suffix), so the newest sorts last and two
trainers never overwrite each other. The metadata file is written after the model bytes:
a version without metadata is an interrupted save and is ignored by :meth:`load_latest`.
Models are pickles, and unpickling runs code, so every model is signed when saved
(HMAC-SHA256 with a key derived from ``SHOPSIGHT_SIGNING_KEY``, kept in its metadata) and
its bytes are checked before they are unpickled: someone who can write to the lake but
does not hold the key cannot get a model of theirs loaded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
import platform
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

from shopsight.errors import ModelIntegrityError
from shopsight.lake.store import Lake, safe_key
from shopsight.logs import fields, get_logger

if TYPE_CHECKING:
    from shopsight.config import Settings

log = get_logger("models")

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
    """Save and load signed, versioned models under ``models/`` of a lake (handed in)."""

    def __init__(self, lake: Lake, signing_key: str) -> None:
        self.lake = lake
        self._signing_key = signing_key
        # its own key, derived, so a model signature is never a valid upload signature
        self._key = hashlib.sha256(b"shopsight-model-signature\0" + signing_key.encode()).digest()

    @classmethod
    def from_settings(cls, lake: Lake, settings: Settings) -> ModelStore:
        """The store of ``lake`` signed with the configured ``SHOPSIGHT_SIGNING_KEY``."""
        return cls(lake, settings.signing_key.get_secret_value())

    def on(self, lake: Lake) -> ModelStore:
        """The same store (same key) on another lake."""
        return ModelStore(lake, self._signing_key)

    def _signature(self, data: bytes) -> str:
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def _prefix(self, system: str, name: str) -> str:
        return safe_key(f"{MODELS}/{system}/{name}")

    def save(self, system: str, name: str, obj: Any, metadata: dict[str, Any]) -> str:
        """Pickle ``obj`` and write its metadata with its signature; returns the new
        version."""
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        prefix = f"{self._prefix(system, name)}/{version}"
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self.lake.write_bytes(f"{prefix}/model.pkl", data)
        meta = {**metadata, "system": system, "name": name, "version": version,
                "saved_at": datetime.now(UTC).isoformat(), "libraries": library_versions(),
                "signature": self._signature(data)}
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
        """One version; raises :class:`ModelIntegrityError` (and unpickles nothing) when
        its bytes do not match its signature."""
        prefix = f"{self._prefix(system, name)}/{safe_key(version)}"
        meta = json.loads(self.lake.read_bytes(f"{prefix}/metadata.json"))
        data = self.lake.read_bytes(f"{prefix}/model.pkl")
        if not hmac.compare_digest(str(meta.get("signature", "")), self._signature(data)):
            raise ModelIntegrityError(f"{system}/{name}", version)
        obj = pickle.loads(data)  # noqa: S301 - signed by this platform, checked above
        return StoredModel(system, name, version, obj, meta)

    def load_latest(self, system: str, name: str) -> StoredModel | None:
        """The newest complete version whose signature holds, or None when there is none
        (never trained, or every version refused: the caller trains a new one)."""
        for version in reversed(self.versions(system, name)):
            try:
                return self.load(system, name, version)
            except ModelIntegrityError as exc:
                log.error(str(exc), extra=fields(system=system, model=name, version=version))
        return None


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
