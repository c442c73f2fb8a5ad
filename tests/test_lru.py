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


def _weigh(key: str, value: str) -> int:
    return len(value)


def test_byte_bound_evicts_least_recently_used_first_and_stays_under() -> None:
    lru: LRU[str, str] = LRU(100, max_bytes=10, weigher=_weigh)
    lru.put("a", "xxxx")
    lru.put("b", "xxxx")
    assert lru.nbytes == 8 and lru.get("a") == "xxxx"  # a is now the most recent
    assert lru.put("c", "xxx")  # 11 > 10: b (the least recently used) goes, not a
    assert lru.keys() == ["a", "c"] and lru.nbytes == 7
    lru.put("a", "x")  # overwrite: its old weight is released
    assert lru.nbytes == 4 and lru.keys() == ["c", "a"]
    lru.put("d", "xxxxxx")
    assert lru.keys() == ["c", "a", "d"] and lru.nbytes == 10  # exactly the bound is kept
    lru.put("e", "xx")  # two oldest go to make room for 2
    assert lru.keys() == ["a", "d", "e"] and lru.nbytes == 9
    assert lru.pop("d") == "xxxxxx" and lru.nbytes == 3
    lru.clear()
    assert lru.nbytes == 0 and len(lru) == 0


def test_entry_heavier_than_the_byte_bound_is_not_stored() -> None:
    lru: LRU[str, str] = LRU(100, max_bytes=5, weigher=_weigh)
    assert lru.put("a", "xx")
    assert not lru.put("big", "xxxxxx")
    assert lru.keys() == ["a"] and lru.nbytes == 2  # nothing else was evicted for it
    lru.put("a", "xxxxxxx")  # a too heavy new value drops the old one under its key
    assert "a" not in lru and lru.nbytes == 0


def test_entry_bound_still_applies_with_a_weigher() -> None:
    lru: LRU[int, str] = LRU(2, max_bytes=1000, weigher=lambda k, v: len(v))
    for i in range(4):
        lru.put(i, "x")
    assert lru.keys() == [2, 3] and lru.nbytes == 2
    lru.max_bytes = 1  # lowering a bound applies on the next put
    lru.put(9, "x")
    assert lru.keys() == [9] and lru.nbytes == 1


def test_byte_bound_refuses_bad_bounds_and_weights() -> None:
    with pytest.raises(ValueError, match="max_bytes must be >= 0, got -1"):
        LRU(1, max_bytes=-1, weigher=_weigh)
    with pytest.raises(ValueError, match="max_bytes=5 needs a weigher"):
        LRU(1, max_bytes=5)
    lru: LRU[str, str] = LRU(4, weigher=lambda k, v: -1)
    with pytest.raises(ValueError, match="weigher gave -1 for key 'k'"):
        lru.put("k", "v")
    assert len(lru) == 0 and lru.nbytes == 0
