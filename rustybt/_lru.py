"""LRU: the one bounded mapping of the house (least recently used entry forgotten first).

Used where a cache is a mapping filled by the caller (``functools.lru_cache`` serves where a
function's results are memoised): the history cache's second tier and the per-process
``BundleSQL`` engines. Built on ``OrderedDict`` (C ``move_to_end`` / ``popitem``).

Invariants: ``len(lru) <= lru.maxsize`` after every :meth:`LRU.put`; a hit (:meth:`LRU.get`)
makes the entry the most recently used. Not thread-safe by itself: every user already holds a
lock around its own bookkeeping, and takes this mapping under the same lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["LRU"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A mapping of at most ``maxsize`` entries that evicts the least recently used.

    Args:
        maxsize: Capacity (entries); 0 keeps nothing.
    """

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 0:
            raise ValueError(f"LRU maxsize must be >= 0, got {maxsize}")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K) -> V | None:
        """The value of ``key`` (now the most recently used), or None (a stored None reads as
        absent)."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value`` as the most recently used; evict the oldest beyond ``maxsize``."""
        data = self._data
        data[key] = value
        data.move_to_end(key)
        while len(data) > self.maxsize:
            data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Remove ``key`` and return its value (None when absent)."""
        return self._data.pop(key, None)

    def clear(self) -> None:
        """Forget every entry."""
        self._data.clear()

    def keys(self) -> list[K]:
        """Keys, least recently used first."""
        return list(self._data)
