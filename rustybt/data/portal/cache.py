"""HistoryCache: a two-tier cache of history results that cost an allocation.

Tier 1 keeps entries for the common window lengths (20, 50, 200 bars) until the bundle version
changes (bounded by ``permanent_maxsize``, after which new tier-1 entries go to tier 2);
tier 2 is an LRU (:class:`rustybt._lru.LRU`, ``maxsize`` entries). Keys are
``(assets, field(s), bar_count, end position, perspective/mode)`` built by the portal.
It is thread-safe (one lock), counts hits and misses, and is cleared when it is bound to a
portal of another bundle version. Only results that are not views of the map are stored
(adjusted or forward-filled arrays, DataFrames), and cached arrays are made read-only.

Whether it pays off depends on the workload: ``benchmarks/history.py`` measures it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Hashable
from typing import Any

from rustybt._lru import LRU

__all__ = ["COMMON_BAR_COUNTS", "HistoryCache", "cache_from_env"]

COMMON_BAR_COUNTS = frozenset({20, 50, 200})


class HistoryCache:
    """Two-tier, thread-safe cache for history results.

    Args:
        maxsize: Capacity of the LRU tier.
        permanent_bar_counts: bar counts whose entries go to the permanent tier.
        permanent_maxsize: Capacity of the permanent tier.
        enabled: When False, ``get`` always misses and ``put`` does nothing.
    """

    def __init__(
        self,
        maxsize: int = 256,
        *,
        permanent_bar_counts: frozenset[int] = COMMON_BAR_COUNTS,
        permanent_maxsize: int = 100_000,
        enabled: bool = True,
    ) -> None:
        self.permanent_bar_counts = permanent_bar_counts
        self.permanent_maxsize = permanent_maxsize
        self.enabled = enabled
        self.version: str | None = None
        self.hits = 0
        self.misses = 0
        self._permanent: dict[Hashable, Any] = {}
        self._lru: LRU[Hashable, Any] = LRU(maxsize)
        self._lock = threading.Lock()

    @property
    def maxsize(self) -> int:
        """Capacity of the LRU tier."""
        return self._lru.maxsize

    @maxsize.setter
    def maxsize(self, value: int) -> None:
        self._lru.maxsize = value

    @property
    def hit_rate(self) -> float:
        """Hits / lookups (0.0 before any lookup)."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def __len__(self) -> int:
        return len(self._permanent) + len(self._lru)

    def bind(self, version: str) -> None:
        """Attach to a bundle version; a different version clears every entry."""
        with self._lock:
            if self.version != version:
                self._permanent.clear()
                self._lru.clear()
                self.version = version

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        with self._lock:
            self._permanent.clear()
            self._lru.clear()
            self.hits = self.misses = 0

    def get(self, key: Hashable, bar_count: int) -> Any:
        """The cached value for ``key`` or None (a miss)."""
        if not self.enabled:
            return None
        with self._lock:
            if bar_count in self.permanent_bar_counts:
                value = self._permanent.get(key)
                if value is not None:
                    self.hits += 1
                    return value
            value = self._lru.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            return value

    def put(self, key: Hashable, bar_count: int, value: Any) -> None:
        """Store ``value`` (arrays are made read-only first)."""
        if not self.enabled:
            return
        flags = getattr(value, "flags", None)
        if flags is not None:
            flags.writeable = False
        with self._lock:
            if (
                bar_count in self.permanent_bar_counts
                and len(self._permanent) < self.permanent_maxsize
            ):
                self._permanent[key] = value
                return
            self._lru.put(key, value)

    def stats(self) -> dict[str, float]:
        """hits, misses, hit_rate and sizes of both tiers."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": self.hit_rate,
            "permanent": len(self._permanent),
            "lru": len(self._lru),
        }


def cache_from_env() -> HistoryCache | None:
    """A cache configured by ``RUSTYBT_HISTORY_CACHE`` (``0``/``off`` → None; a number →
    the LRU size; anything else → defaults)."""
    raw = os.environ.get("RUSTYBT_HISTORY_CACHE", "").strip().lower()
    if raw in ("", "0", "off", "false", "no"):
        return None
    if raw.isdigit():
        return HistoryCache(maxsize=int(raw))
    return HistoryCache()
