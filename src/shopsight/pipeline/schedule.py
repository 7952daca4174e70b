"""Running raw files side by side while keeping the order that matters.

Two orders matter in raw → curated: a table's files go in key order (a full export before
the incremental ones), and a file's foreign keys are checked only once the tables they
reference are complete. Everything before the reference check (reading, typing,
checking values) depends on nothing, so a file of ``order_items`` is read while
``orders`` is still being written, and only its reference check waits.

At most ``workers`` files hold a slot at a time; a file waiting for referenced tables
gives its slot up, and a free slot goes to the file whose table comes first in contract
order, because the others wait for it.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Work = TypeVar("Work")  # a file, or files written together


class PrioritySlots:
    """A counting semaphore that hands a free slot to the best (lowest) priority."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: list[tuple[int, int]] = []
        self._ticket = itertools.count()
        self._changed = threading.Condition()

    def acquire(self, priority: int) -> None:
        with self._changed:
            mine = (priority, next(self._ticket))
            heapq.heappush(self._waiting, mine)
            while not (self._free > 0 and self._waiting[0] == mine):
                self._changed.wait()
            heapq.heappop(self._waiting)
            self._free -= 1
            self._changed.notify_all()

    def release(self) -> None:
        with self._changed:
            self._free += 1
            self._changed.notify_all()


def run_table_chains(chains: dict[str, list[Work]], references: dict[str, set[str]],
                     run: Callable[[Work, Callable[[], None]], None], workers: int) -> None:
    """Run every table's work in order (``chains``, in contract order), each item's
    reference check after the chains of the tables it references (``references``) are
    done, at most ``workers`` items at a time. ``run(item, references_ready)`` calls
    ``references_ready()`` before checking foreign keys. Re-raises the first failure; a
    table whose referenced table failed stops at its reference check."""
    slots = PrioritySlots(workers)
    finished: dict[str, Future[None]] = {}

    def chain(priority: int, name: str, after: list[Future[None]]) -> None:
        def references_ready() -> None:
            if all(f.done() for f in after):
                for f in after:
                    f.result()
                return
            slots.release()
            try:
                for f in after:
                    f.result()
            finally:
                slots.acquire(priority)

        for item in chains[name]:
            slots.acquire(priority)
            try:
                run(item, references_ready)
            finally:
                slots.release()

    with ThreadPoolExecutor(max_workers=len(chains), thread_name_prefix="ingest") as pool:
        for priority, name in enumerate(chains):
            after = [finished[r] for r in references.get(name, set()) - {name}
                     if r in finished]
            finished[name] = pool.submit(chain, priority, name, after)
    for future in finished.values():
        future.result()
