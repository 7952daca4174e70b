"""Results computed once per data snapshot and shared by every request.

The systems load the lake once and keep it until ``refresh``; whatever they derive from
that snapshot (fitted segments, scored customers, regional summaries) is the same for every
caller, so it is computed by the first request and reused by the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """A thread-safe compute-once store keyed by the call's parameters."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.RLock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
        """The value for ``key`` and whether this call computed it (concurrent callers of
        the same key wait for the first instead of computing it again)."""
        with self._lock:
            if key in self._values:
                return self._values[key], False
            value = compute()
            if len(self._values) >= self.max_entries:
                self._values.clear()
            self._values[key] = value
            return value, True

    def clear(self) -> None:
        """Forget everything (the data changed)."""
        with self._lock:
            self._values.clear()
