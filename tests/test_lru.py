"""rustybt._lru.LRU: the bounded mapping behind the history cache and the BundleSQL engines."""

from __future__ import annotations

import pytest

from rustybt._lru import LRU


def test_evicts_the_least_recently_used() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now the most recent
    lru.put("c", 3)
    assert "b" not in lru and lru.keys() == ["a", "c"] and len(lru) == 2
    lru.put("a", 10)  # overwrite refreshes
    lru.put("d", 4)
    assert lru.keys() == ["a", "d"] and lru.get("a") == 10


def test_misses_pop_clear_and_zero_capacity() -> None:
    lru: LRU[int, str] = LRU(3)
    assert lru.get(1) is None and lru.pop(1) is None
    lru.put(1, "x")
    assert lru.pop(1) == "x" and len(lru) == 0
    lru.put(2, "y")
    lru.clear()
    assert len(lru) == 0
    none: LRU[int, str] = LRU(0)
    none.put(1, "x")
    assert len(none) == 0


def test_shrinking_maxsize_applies_on_the_next_put() -> None:
    lru: LRU[int, int] = LRU(4)
    for i in range(4):
        lru.put(i, i)
    lru.maxsize = 2
    lru.put(9, 9)
    assert lru.keys() == [3, 9]


def test_negative_capacity_is_refused() -> None:
    with pytest.raises(ValueError, match="maxsize must be >= 0, got -1"):
        LRU(-1)
