"""HistoryCache: a two-tier cache of history results that cost an allocation.

Tier 1 keeps entries for the common window lengths (20, 50, 200 bars) until the bundle version
changes (bounded by ``permanent_maxsize``, after which new tier-1 entries go to tier 2);
tier 2 is an LRU (:class:`rustybt._lru.LRU`) bounded by ``maxsize`` entries and, when
``max_bytes`` is given, by the bytes its entries hold: the least recently used go first while
either bound is exceeded, and a value weighing more than ``max_bytes`` on its own is handed
back without being stored. It is thread-safe (one lock) and counts hits and misses.

What an entry weighs (:func:`entry_bytes`, computed once when it is stored): the data the cache
keeps alive (``ndarray.nbytes``; a frame's values and axes; pandas ``memory_usage(index=True,
deep=False)``, i.e. the objects of an object column are shared, not owned; polars
``estimated_size()``; Arrow ``Table.nbytes``), plus the key's tuples, a fixed
:data:`ENTRY_OVERHEAD` for the Python objects around them (entry tuple, array header, the
LRU's slots) and :data:`OBJECT_OVERHEAD` for values that are graphs of Python objects. It is
a memory budget, not an exact accounting (arrays within ~5 % of what ``tracemalloc`` sees,
one-field frames, polars and Arrow within ~0.9-1.3×, multi-field frames ~0.5-0.7×): axes
shared between entries are counted by each. The permanent tier is bounded by entries only
(``permanent_maxsize``).

What a key holds (built by the portal, :meth:`ArrowDataPortal.history` and
``get_history_window``, hence also the zipline ``DataPortal`` shim): everything that changes
the result. That is the portal's namespace ``(bundle version, zipline_exact)`` — results
depend on nothing else of the portal, so one cache may be shared by several portals, of one
bundle or of several, in either mode, without one ever being served another's values — then
the method, the assets *as column labels* (their sids and their types: ``0`` and ``Asset(0)``
are equal and hash alike, but a frame keyed by ints is not one keyed by Assets), the
field(s), the bar count, frequencies, ``end_dt`` as nanoseconds and the return type. Calls
the portal cannot key exactly (a non-int ``bar_count``, fields that are neither a str nor a
list/tuple, unhashable assets, an ``end_dt`` it cannot convert) bypass the cache, so they get
exactly the uncached result or error. Binding a portal of another bundle version still clears
the cache (a re-ingested bundle's old entries would otherwise stay in the permanent tier);
correctness does not depend on it.

Nothing the cache hands out is an alias the caller can corrupt: arrays are stored read-only
and handed out as read-only views (a view of a read-only array cannot be made writeable
again); pandas objects are stored and handed out as deep copies, polars frames as clones
(O(1), copy-on-write); Arrow tables are immutable. Views of the map (already read-only) are not
stored, nor values of any other type.

Whether it pays off depends on the workload: ``benchmarks/history.py`` measures it.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from rustybt._lru import LRU
from rustybt.data.store.calendar_index import is_aware, to_ns

__all__ = ["COMMON_BAR_COUNTS", "ENTRY_OVERHEAD", "OBJECT_OVERHEAD", "HistoryCache",
           "cache_from_env", "entry_bytes", "history_key"]

COMMON_BAR_COUNTS = frozenset({20, 50, 200})

#: Bytes counted per entry for the Python objects around its data: the entry tuple (56), an
#: array header (112), the key's ints (~100: ``end_dt`` ns, big sids) and the LRU's slots
#: (ordered-dict and weight-dict entries, ~150). With it an array entry's weight is within a
#: few % of what ``tracemalloc`` sees the cache hold (10 assets × 5 or 100 bars).
ENTRY_OVERHEAD = 400

#: Bytes counted on top for a value that is a graph of Python objects (pandas, polars and
#: Arrow values, a frame's axes): ~0.9-1.2× of what ``tracemalloc`` sees for one-field frames,
#: Series, polars and Arrow tables; multi-field pandas frames (a MultiIndex, its hash engine)
#: hold up to ~2× their weight.
OBJECT_OVERHEAD = 2_048

#: An entry: the stored value and how to hand out a fresh copy of it (None: immutable).
_Entry = tuple[Any, Callable[[Any], Any] | None]


def _freezer(value: Any) -> tuple[Any, Callable[[Any], Any] | None] | None:
    """(value to store, how to hand it out) for a value the cache knows, else None."""
    if isinstance(value, np.ndarray):
        if value.base is not None:  # a view: own the data, so nothing can re-enable writes
            value = value.copy(order="K")
        value.flags.writeable = False
        return value, np.ndarray.view
    module = type(value).__module__
    if module.startswith("pandas."):
        frame = _frame_parts(value)
        if frame is not None:
            return frame, _rebuild_frame
        return value.copy(), type(value).copy
    if module.startswith("polars."):
        return value.clone(), type(value).clone
    if module.startswith("pyarrow.") and type(value).__name__ == "Table":
        return value, None  # immutable
    return None


def _frame_parts(value: Any) -> tuple[np.ndarray, Any, Any] | None:
    """(read-only values, index, columns) of a one-block float64 DataFrame (a one-field
    window), else None. Rebuilding one from its parts costs about half of ``copy()``."""
    from rustybt.data.portal.frames import _BUILD_FRAME

    if (_BUILD_FRAME is None or type(value).__name__ != "DataFrame"
            or len(value._mgr.blocks) != 1 or value._mgr.blocks[0].dtype != np.float64):
        return None
    values = value.to_numpy().copy(order="K")
    values.flags.writeable = False
    return values, value.index._view(), value.columns._view()


def _rebuild_frame(parts: tuple[np.ndarray, Any, Any]) -> Any:
    """A fresh frame: its own values, and views of the axes (an Index's name is mutable)."""
    from rustybt.data.portal.frames import _BUILD_FRAME

    values, index, columns = parts
    assert _BUILD_FRAME is not None
    return _BUILD_FRAME(values.copy(order="K"), index._view(), columns._view())


def _value_bytes(value: Any) -> int:
    """Bytes a stored value (as :func:`_freezer` stores it) keeps alive, less
    :data:`ENTRY_OVERHEAD`."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    return OBJECT_OVERHEAD + _data_bytes(value)


def _data_bytes(value: Any) -> int:
    """Bytes of the data buffers of a stored value that is not an array."""
    if type(value) is tuple:  # frame parts: (values, index, columns)
        values, index, columns = value
        return int(values.nbytes + index.memory_usage() + columns.memory_usage())
    module = type(value).__module__
    if module.startswith("pandas.") and hasattr(value, "memory_usage"):
        if type(value).__name__ == "DataFrame":
            return int(value.memory_usage(index=True, deep=False).sum())
        return int(value.memory_usage(index=True, deep=False))
    if module.startswith("polars.") and hasattr(value, "estimated_size"):
        return int(value.estimated_size())
    if module.startswith("pyarrow.") and hasattr(value, "nbytes"):
        return int(value.nbytes)
    return sys.getsizeof(value)


def _key_bytes(key: Hashable) -> int:
    """``sys.getsizeof`` of a key and of its tuples two levels down (the labels' sid and type
    tuples are the deepest a :func:`history_key` has), without scanning those: O(1) in the
    number of assets."""
    total = sys.getsizeof(key)
    if type(key) is tuple:
        for x in key:
            if type(x) is tuple:
                total += sys.getsizeof(x)
                for y in x:
                    if type(y) is tuple:
                        total += sys.getsizeof(y)
    return total


def entry_bytes(key: Hashable, entry: _Entry) -> int:
    """The weight of one LRU entry in bytes: its stored value's data (plus
    :data:`OBJECT_OVERHEAD` unless it is an array), its key's tuples and
    :data:`ENTRY_OVERHEAD`."""
    return ENTRY_OVERHEAD + _key_bytes(key) + _value_bytes(entry[0])


def history_key(
    namespace: Hashable,
    method: str,
    assets: Any,
    fields: Any,
    bar_count: Any,
    frequency: Any,
    data_frequency: Any,
    end_dt: Any,
    return_type: Any,
    single_asset: bool,
) -> tuple[Any, ...] | None:
    """The cache key of one history call, or None when the call cannot be keyed exactly.

    ``assets`` must be re-iterable (the caller materializes an iterator first). The assets
    enter as sids *and* types, because they are the result's labels: ``0``, ``np.int64(0)``,
    ``True``-like values and ``Asset(0)`` compare equal but label a frame differently.
    """
    if type(bar_count) is not int:
        return None  # 5.0 == 5 and True == 1: leave those to the uncached path
    tf = type(fields)
    if tf is str:
        fkey: Any = fields
    elif tf is list or tf is tuple:
        fkey = (tuple(fields), tuple(map(type, fields)))
    else:
        return None  # a generator of fields would be consumed by the key
    try:
        if single_asset:
            labels: Any = (assets if type(assets) is int else assets.sid, type(assets))
        else:
            labels = (tuple([a if type(a) is int else getattr(a, "sid", a) for a in assets]),
                      tuple(map(type, assets)))
        key = (namespace, method, labels, fkey, bar_count, frequency, data_frequency,
               None if end_dt is None else to_ns(end_dt), return_type, single_asset,
               is_aware(end_dt))  # on 24/7 a naive label and an aware minute differ
        hash(key)
    except Exception:  # unkeyable input (unhashable, bad end_dt): the uncached path reports it
        return None
    return key


class HistoryCache:
    """Two-tier, thread-safe cache for history results.

    Args:
        maxsize: Capacity of the LRU tier (entries).
        max_bytes: Capacity of the LRU tier in bytes (:func:`entry_bytes`); None: entries
            only.
        permanent_bar_counts: bar counts whose entries go to the permanent tier.
        permanent_maxsize: Capacity of the permanent tier.
        enabled: When False, ``get`` always misses and ``put`` does nothing.
    """

    def __init__(
        self,
        maxsize: int = 256,
        *,
        max_bytes: int | None = None,
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
        self._permanent: dict[Hashable, _Entry] = {}
        self._lru: LRU[Hashable, _Entry] = LRU(maxsize, max_bytes=max_bytes,
                                               weigher=entry_bytes)
        self._lock = threading.Lock()

    @property
    def maxsize(self) -> int:
        """Capacity of the LRU tier."""
        return self._lru.maxsize

    @maxsize.setter
    def maxsize(self, value: int) -> None:
        self._lru.maxsize = value

    @property
    def max_bytes(self) -> int | None:
        """Capacity of the LRU tier in bytes (None: no byte bound)."""
        return self._lru.max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int | None) -> None:
        if value is not None and value < 0:
            raise ValueError(f"HistoryCache max_bytes must be >= 0 or None, got {value}")
        self._lru.max_bytes = value

    @property
    def nbytes(self) -> int:
        """Bytes held by the LRU tier (the sum of its entries' :func:`entry_bytes`)."""
        return self._lru.nbytes

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
        """A fresh copy (arrays: a read-only view) of the value cached for ``key``, or None."""
        if not self.enabled:
            return None
        with self._lock:
            entry = None
            if bar_count in self.permanent_bar_counts:
                entry = self._permanent.get(key)
            if entry is None:
                entry = self._lru.get(key)
                if entry is None:
                    self.misses += 1
                    return None
            self.hits += 1
        value, fresh = entry
        return value if fresh is None else fresh(value)

    def put(self, key: Hashable, bar_count: int, value: Any) -> Any:
        """Store ``value`` and return what the caller should hand out in its place.

        Arrays are stored read-only (a view is copied first) and a read-only view is returned;
        pandas/polars objects are stored as a copy and ``value`` is returned as it is; values
        of other types are not stored, nor those heavier than ``max_bytes`` (what is returned
        is the same either way).
        """
        if not self.enabled:
            return value
        frozen = _freezer(value)
        if frozen is None:
            return value
        stored, fresh = frozen
        with self._lock:
            if (
                bar_count in self.permanent_bar_counts
                and len(self._permanent) < self.permanent_maxsize
            ):
                self._permanent[key] = frozen
            else:
                self._lru.put(key, frozen)
        return stored.view() if fresh is np.ndarray.view else value

    def stats(self) -> dict[str, float]:
        """hits, misses, hit_rate, entries of both tiers and bytes of the LRU tier."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": self.hit_rate,
            "permanent": len(self._permanent),
            "lru": len(self._lru),
            "lru_bytes": self._lru.nbytes,
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
