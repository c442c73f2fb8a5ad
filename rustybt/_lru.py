"""LRU: the one bounded mapping of the house (least recently used entry forgotten first).

Used where a cache is a mapping filled by the caller (``functools.lru_cache`` serves where a
function's results are memoised): the history cache's second tier and the per-process
``BundleSQL`` engines. Built on ``OrderedDict`` (C ``move_to_end`` / ``popitem``).

Two bounds: ``maxsize`` entries, and optionally ``max_bytes``, the sum of the entries'
weights as a ``weigher(key, value) -> int`` measures them (bytes, for the history cache). A
weigher is called once per :meth:`LRU.put`, never on a hit, so reads cost what they did.

Invariants: after every :meth:`LRU.put`, ``len(lru) <= lru.maxsize`` and, with a byte bound,
``lru.nbytes <= lru.max_bytes`` (``nbytes`` is always the sum of the stored entries' weights
when there is a weigher, 0 without one); a value heavier than ``max_bytes`` is not stored
(and any older value under its key is dropped); a hit (:meth:`LRU.get`) makes the entry the
most recently used. Lowering ``maxsize`` or ``max_bytes`` applies on the next put. Not
thread-safe by itself: every user already holds a lock around its own bookkeeping, and takes
this mapping under the same lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LRU"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A mapping of at most ``maxsize`` entries (and ``max_bytes`` of weight) that evicts the
    least recently used.

    Args:
        maxsize: Capacity (entries); 0 keeps nothing.
        max_bytes: Capacity in weight (None: no weight bound); needs ``weigher``.
        weigher: ``weigher(key, value)``: the weight (an int >= 0) of an entry.

    Raises:
        ValueError: A negative bound, or ``max_bytes`` without a weigher.
    """

    __slots__ = ("_data", "_weights", "max_bytes", "maxsize", "nbytes", "weigher")

    def __init__(self, maxsize: int, *, max_bytes: int | None = None,
                 weigher: Callable[[K, V], int] | None = None) -> None:
        if maxsize < 0:
            raise ValueError(f"LRU maxsize must be >= 0, got {maxsize}")
        if max_bytes is not None:
            if max_bytes < 0:
                raise ValueError(f"LRU max_bytes must be >= 0, got {max_bytes}")
            if weigher is None:
                raise ValueError(f"LRU max_bytes={max_bytes} needs a weigher")
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.weigher = weigher
        self.nbytes = 0
        self._data: OrderedDict[K, V] = OrderedDict()
        self._weights: dict[K, int] = {}

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

    def put(self, key: K, value: V) -> bool:
        """Store ``value`` as the most recently used; evict the oldest entries beyond
        ``maxsize`` or ``max_bytes``. Returns whether ``value`` is stored (False: it alone
        weighs more than ``max_bytes``, or ``maxsize`` is 0).

        Raises:
            ValueError: The weigher gave a negative weight or not an int.
        """
        data = self._data
        weigher = self.weigher
        if weigher is not None:
            weight = weigher(key, value)
            if type(weight) is not int or weight < 0:
                raise ValueError(f"LRU weigher gave {weight!r} for key {key!r}: expected an "
                                 f"int >= 0")
            self._discard(key)
            limit = self.max_bytes
            if limit is not None and weight > limit:
                return False
            self._weights[key] = weight
            self.nbytes += weight
        data[key] = value
        data.move_to_end(key)
        limit = self.max_bytes
        while len(data) > self.maxsize or (limit is not None and self.nbytes > limit):
            old, _ = data.popitem(last=False)
            if weigher is not None:
                self.nbytes -= self._weights.pop(old, 0)
        return key in data

    def _discard(self, key: K) -> V | None:
        value = self._data.pop(key, None)
        weight = self._weights.pop(key, None)
        if weight is not None:
            self.nbytes -= weight
        return value

    def pop(self, key: K) -> V | None:
        """Remove ``key`` and return its value (None when absent)."""
        return self._discard(key)

    def clear(self) -> None:
        """Forget every entry."""
        self._data.clear()
        self._weights.clear()
        self.nbytes = 0

    def keys(self) -> list[K]:
        """Keys, least recently used first."""
        return list(self._data)
