"""Layer 1 caches of an optimization worker: the asset list and pre-grouped bars.

- :func:`get_cached_assets` returns a bundle version's :class:`CachedAssetList` (sids, assets
  and the :class:`~rustybt.assets.AssetFinder`), read from the version's Parquet once per
  process: a ``functools.lru_cache`` keyed by the version hash (and the version directory it
  is read from). A version's content never changes, so an entry is never wrong; a re-ingest
  gives a new hash, hence a new entry (:func:`~.cache_invalidation.invalidate_stale` drops
  the old ones).
- :class:`PreGroupedData` maps asset → one C-contiguous, read-only ``(n_bars, 5)`` float64
  array of open, high, low, close, volume, built on first access from the bundle's mapped
  store, its Parquet, or a pandas/Polars frame of many assets (sorted once, so a miss is one
  gather, never a filter of the whole frame). It keeps arrays under a memory limit (default
  2 GB), evicting the least recently used. Invariants after every call: ``nbytes`` equals
  the sum of ``arr.nbytes`` of the arrays it holds and is ``<= max_bytes``; an array larger
  than ``max_bytes`` is handed out but not kept. Thread-safe (one lock).

This is what a :class:`~rustybt.optimization.workload.FunctionWorkload` loader builds once per
worker, instead of user code filtering a frame per asset on every trial. Values are the bars
as stored: raw (unadjusted) prices; from the store, one row per bundle session with NaN where
the asset has no bar; from Parquet or a frame, the asset's own rows in their order.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rustybt.assets import AssetFinder
from rustybt.data.bundles import Bundle
from rustybt.optimization.cache_invalidation import track

__all__ = ["OHLCV", "CachedAssetList", "PreGroupedData", "get_cached_assets"]

#: The columns of a pre-grouped array, in order.
OHLCV = ("open", "high", "low", "close", "volume")
_DEFAULT_MAX_BYTES = 2 * 2**30


@dataclass(frozen=True)
class CachedAssetList:
    """The assets of one bundle version.

    Attributes:
        version: The bundle version (content hash).
        sids: Every sid, ascending.
        assets: The assets, in ``sids`` order.
        finder: The version's AssetFinder (shared: treat it as read-only).
    """

    version: str
    sids: tuple[int, ...]
    assets: tuple[Any, ...]
    finder: AssetFinder


@functools.lru_cache(maxsize=32)
def _assets_of(version: str, version_dir: str) -> CachedAssetList:
    finder = Bundle(version_dir).asset_finder
    assets = tuple(sorted(finder.assets, key=lambda a: int(a.sid)))
    return CachedAssetList(version, tuple(int(a.sid) for a in assets), assets, finder)


def get_cached_assets(bundle: Bundle) -> CachedAssetList:
    """``bundle``'s asset list and finder, read once per process per bundle version."""
    return _assets_of(bundle.version, str(bundle.path))


def clear_asset_cache() -> None:
    """Forget every cached asset list (cheap to rebuild: one Parquet read per version)."""
    _assets_of.cache_clear()


class PreGroupedData:
    """asset → contiguous read-only ``(n_bars, 5)`` float64 OHLCV, LRU-bounded in bytes.

    Build it with :meth:`from_bundle` or :meth:`from_frame`; index it by asset (a sid, an
    Asset, or the frame's asset key).

    Args:
        build: asset key → its array (called on a miss; must raise ``KeyError`` for an
            unknown asset).
        assets: The asset keys the source holds.
        max_bytes: Memory limit of the kept arrays.
        version: The bundle version the arrays come from (None for a frame).
    """

    def __init__(self, build: Callable[[Hashable], np.ndarray], assets: Iterable[Hashable],
                 max_bytes: int = _DEFAULT_MAX_BYTES, version: str | None = None) -> None:
        if type(max_bytes) is not int or max_bytes < 0:
            raise ValueError(f"PreGroupedData max_bytes must be an int >= 0, not {max_bytes!r}")
        self._build = build
        self.assets: tuple[Hashable, ...] = tuple(assets)
        self.max_bytes = max_bytes
        self.version = version
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self._arrays: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_bundle(cls, bundle: Bundle, *, source: str = "store",
                    max_bytes: int = _DEFAULT_MAX_BYTES,
                    root: str | Path | None = None) -> PreGroupedData:
        """Pre-group a bundle's daily bars by sid.

        Args:
            bundle: The bundle version.
            source: ``'store'``: views of the mapped Arrow store (built if missing), one row
                per session; ``'parquet'``: the asset's Parquet file, its own rows.
            max_bytes: Memory limit.
            root: The rustybt root the bundle lives in: registers the cache so
                ``invalidate_stale(bundle.name, root)`` clears it after a re-ingest.
        """
        if source == "store":
            from rustybt.data.portal.stores import PortalStores

            daily = PortalStores(bundle).daily
            mats = [daily.matrix(c) for c in OHLCV]
            row_of = daily.row_of

            def build(sid: Hashable) -> np.ndarray:
                row = row_of[_sid(sid)]
                return np.column_stack([m[row] for m in mats]).astype(np.float64, copy=False)

            sids: Iterable[Hashable] = (int(s) for s in daily.sids)
        elif source == "parquet":

            def build(sid: Hashable) -> np.ndarray:
                key = _sid(sid)
                if key not in known:
                    raise KeyError(sid)
                frame = bundle.read_daily(key)
                return np.column_stack([frame[c].to_numpy(np.float64) for c in OHLCV])

            known = set(bundle.sids_with_bars("daily"))
            sids = sorted(known)
        else:
            raise ValueError(f"PreGroupedData source must be 'store' or 'parquet', not {source!r}")
        data = cls(build, sids, max_bytes, version=bundle.version)
        track(bundle.name, root, data)
        return data

    @classmethod
    def from_frame(cls, frame: Any, asset_column: str = "sid", *,
                   columns: tuple[str, ...] = OHLCV,
                   max_bytes: int = _DEFAULT_MAX_BYTES) -> PreGroupedData:
        """Pre-group a long pandas or Polars frame (one row per asset and bar) by asset.

        The frame is sorted by asset once (stable: each asset keeps its rows' order); a miss
        gathers that asset's rows of ``columns`` into one array.

        Raises:
            KeyError: A column is missing (named with the frame's columns).
            ValueError: A value column holds nulls.
        """
        names = list(frame.columns)
        for col in (asset_column, *columns):
            if col not in names:
                raise KeyError(f"column {col!r} not in the frame (columns: {names})")
        keys = _column(frame, asset_column, None)
        values = [_column(frame, c, np.float64) for c in columns]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        uniq, starts = np.unique(sorted_keys, return_index=True)
        ends = np.append(starts[1:], len(sorted_keys))
        spans = {_plain(k): (int(s), int(e)) for k, s, e in zip(uniq, starts, ends, strict=True)}

        def build(asset: Hashable) -> np.ndarray:
            key = asset if asset in spans else getattr(asset, "sid", asset)
            start, end = spans[key]
            rows = order[start:end]
            return np.column_stack([v[rows] for v in values])

        return cls(build, spans, max_bytes)

    # -- access ---------------------------------------------------------------------------
    def __getitem__(self, asset: Hashable) -> np.ndarray:
        """The asset's ``(n_bars, 5)`` read-only array (built on the first access)."""
        key = _key(asset)
        with self._lock:
            arr = self._arrays.get(key)
            if arr is not None:
                self._arrays.move_to_end(key)
                self.hits += 1
                return arr
            self.misses += 1
        arr = np.ascontiguousarray(self._build(asset), dtype=np.float64)
        if arr.base is not None:
            arr = arr.copy()  # own the data, so a read-only flag cannot be lifted
        arr.flags.writeable = False
        with self._lock:
            if key in self._arrays:  # another thread built it meanwhile
                self._arrays.move_to_end(key)
                return self._arrays[key]
            if arr.nbytes <= self.max_bytes:
                self._arrays[key] = arr
                self.nbytes += arr.nbytes
                while self.nbytes > self.max_bytes:
                    _, old = self._arrays.popitem(last=False)
                    self.nbytes -= old.nbytes
                    self.evictions += 1
        return arr

    def get(self, asset: Hashable, default: Any = None) -> Any:
        """The asset's array, or ``default`` for an asset the source does not hold."""
        try:
            return self[asset]
        except KeyError:
            return default

    def __contains__(self, asset: object) -> bool:
        return _key(asset) in self._arrays

    def __len__(self) -> int:
        return len(self._arrays)

    def keys(self) -> list[Hashable]:
        """Keys of the kept arrays, least recently used first."""
        with self._lock:
            return list(self._arrays)

    def clear(self) -> None:
        """Drop every kept array (the counters stay)."""
        with self._lock:
            self._arrays.clear()
            self.nbytes = 0

    def stats(self) -> dict[str, float]:
        """hits, misses, evictions, arrays kept, bytes kept and the limit."""
        return {"hits": self.hits, "misses": self.misses, "evictions": self.evictions,
                "arrays": len(self._arrays), "nbytes": self.nbytes,
                "max_bytes": self.max_bytes}

    def __repr__(self) -> str:
        return (f"PreGroupedData({len(self.assets)} assets, {len(self._arrays)} kept, "
                f"{self.nbytes}/{self.max_bytes} bytes)")


def _sid(asset: Any) -> int:
    return int(getattr(asset, "sid", asset))


def _key(asset: Any) -> Hashable:
    sid = getattr(asset, "sid", None)
    return int(sid) if sid is not None else asset


def _plain(value: Any) -> Hashable:
    """A NumPy scalar as the Python value users index with."""
    return value.item() if isinstance(value, np.generic) else value


def _column(frame: Any, name: str, dtype: Any) -> np.ndarray:
    col = frame[name]
    if type(frame).__module__.startswith("polars"):
        if col.null_count():
            raise ValueError(f"column {name!r} holds {col.null_count()} null(s)")
        arr = col.to_numpy()
    else:
        if dtype is not None and col.isna().any():
            raise ValueError(f"column {name!r} holds {int(col.isna().sum())} null(s)")
        arr = col.to_numpy()
    return arr if dtype is None else np.asarray(arr, dtype=dtype)
