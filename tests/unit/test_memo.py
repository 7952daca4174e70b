"""The compute-once store the systems share between requests."""

from __future__ import annotations

import threading
import time

from shopsight.systems.memo import Memo


def test_concurrent_callers_share_one_computation() -> None:
    memo = Memo()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    results: list[tuple[int, bool]] = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("k", slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert sorted(results) == [(42, False)] * 7 + [(42, True)]
    memo.clear()
    assert memo.get("k", lambda: 7) == (7, True)


def test_failures_are_not_remembered_and_size_is_bounded() -> None:
    memo = Memo(max_entries=2)

    def boom() -> int:
        raise ValueError("no data")

    for _ in range(2):
        try:
            memo.get("bad", boom)
        except ValueError:
            pass
        else:  # pragma: no cover - the assertion below explains
            raise AssertionError("the failure must propagate every time")
    for key in range(5):
        memo.get(key, lambda key=key: key * 10)
    assert memo.get(4, lambda: -1) == (40, False)
    assert memo.get(0, lambda: -1) == (-1, True)  # evicted
