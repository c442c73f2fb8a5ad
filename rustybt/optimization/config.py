"""``OptimizationConfig``: one switch per optimization layer, and the caches' limits.

Flags (each only changes *how fast* a trial runs, never its result: every combination gives
the same trial metrics as :meth:`OptimizationConfig.all_off`, the baseline the benchmark
framework compares against; ``tests/optimization/test_config.py`` checks this):

- ``asset_caching``: a bundle version's asset list/finder is read once per process
  (:func:`~rustybt.optimization.caching.get_cached_assets`), also by fresh portals;
- ``pre_grouping``: loaders may group bars per asset once
  (:class:`~rustybt.optimization.caching.PreGroupedData`, bounded by ``cache_size_gb``);
- ``history_cache`` (off by default: the sequential evaluation rejected it on the engine grid,
  docs/internal/benchmarks/decisions/): the portal of an :class:`AlgorithmWorkload` gets one
  :class:`~rustybt.data.portal.cache.HistoryCache` (permanent ``permanent_windows``, and an
  LRU tier of at most ``lru_mb`` MiB and ``lru_size`` entries: the byte bound is the one that
  normally binds) shared by every trial the worker runs, so each worker process may hold
  ``lru_mb`` MiB of windows; its hit rate over each trial is the trial's ``cache_hit_rate``;
- ``array_returns``: strategies may ask ``data.history(..., return_type='array')``; a
  workload tells them by adding ``params['_array_returns'] = True`` (key absent when off: the
  strategy reads ``params.get('_array_returns', False)``; an algorithm file sees it in
  ``context.params``). It is the strategy's choice, so results are identical only for
  strategies whose two paths compute the same numbers;
- ``bundle_pooling``: the portal comes from the process's
  :class:`~rustybt.optimization.pool.BundleConnectionPool` (off: a fresh portal per trial);
- ``persistent_workers``: executors with worker processes keep them across trials (off: a
  worker per trial); the serial executor is always persistent;
- ``lean_results``: an :class:`AlgorithmWorkload`'s trial runs the engine with
  ``run_algorithm(details=False)``: its results frame has every column but the per-session
  ``positions``/``orders``/``transactions`` lists, which no objective reads (off: the full
  frame, as ``rustybt run`` writes it).

:meth:`OptimizationConfig.from_env` reads ``RUSTYBT_CACHE_SIZE_GB``, ``RUSTYBT_LRU_SIZE``,
``RUSTYBT_LRU_MB``, ``RUSTYBT_PERMANENT_WINDOWS`` (``20,50,200``) and ``RUSTYBT_OPT_<FLAG>``
(``0``/``1``, e.g. ``RUSTYBT_OPT_HISTORY_CACHE=1``); a bad value raises ``ValueError`` naming
the variable.
A workload resolves its config when it is made (``config=None`` → ``from_env()``), so the
config travels with it to every worker and all workers agree whatever their environment.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rustybt.data.portal.cache import HistoryCache

__all__ = ["FLAGS", "OptimizationConfig"]

#: The optimization switches, in the order the docs list them.
FLAGS = ("asset_caching", "pre_grouping", "history_cache", "array_returns",
         "bundle_pooling", "persistent_workers", "lean_results")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class OptimizationConfig:
    """Which optimization layers are on, and the limits of their caches.

    Attributes:
        asset_caching: Share a bundle version's asset list/finder within a process.
        pre_grouping: Let loaders pre-group bars per asset (:class:`PreGroupedData`).
        history_cache: Give the workload's portal a HistoryCache shared by its trials.
        array_returns: Tell strategies they may use ``return_type='array'``.
        bundle_pooling: Take portals from the process's BundleConnectionPool.
        persistent_workers: Keep worker processes across trials.
        lean_results: Run engine trials without the per-session positions/orders/transactions.
        cache_size_gb: Memory limit of :class:`PreGroupedData` (GB of 2**30 bytes).
        lru_size: Entries of the HistoryCache's LRU tier, at most.
        lru_mb: Memory of the HistoryCache's LRU tier, at most (MiB of 2**20 bytes, per
            worker process; 0 keeps nothing in that tier).
        permanent_windows: Bar counts the HistoryCache keeps until the bundle changes.
    """

    asset_caching: bool = True
    pre_grouping: bool = True
    # off by default: the sequential evaluation rejected it on the engine grid at every size
    # measured (docs/internal/benchmarks/decisions/): a fast-path window costs about what
    # finding it in the cache does
    history_cache: bool = False
    array_returns: bool = True
    bundle_pooling: bool = True
    persistent_workers: bool = True
    lean_results: bool = True
    cache_size_gb: float = 2.0
    lru_size: int = 1_000_000
    lru_mb: int = 512
    permanent_windows: tuple[int, ...] = (20, 50, 200)

    def __post_init__(self) -> None:
        for flag in FLAGS:
            value = getattr(self, flag)
            if type(value) is not bool:
                raise TypeError(f"OptimizationConfig.{flag} must be a bool, not {value!r}")
        size = self.cache_size_gb
        if isinstance(size, bool) or not isinstance(size, int | float) or not (
                math.isfinite(size) and size > 0):
            raise ValueError(f"OptimizationConfig.cache_size_gb must be a finite number > 0, "
                             f"not {size!r}")
        if type(self.lru_size) is not int or self.lru_size < 0:
            raise ValueError(f"OptimizationConfig.lru_size must be an int >= 0, "
                             f"not {self.lru_size!r}")
        if type(self.lru_mb) is not int or self.lru_mb < 0:
            raise ValueError(f"OptimizationConfig.lru_mb must be an int >= 0 (MiB), "
                             f"not {self.lru_mb!r}")
        windows = self.permanent_windows
        if not isinstance(windows, tuple) or not all(
                type(w) is int and w >= 1 for w in windows):
            raise ValueError(f"OptimizationConfig.permanent_windows must be a tuple of ints "
                             f">= 1, not {windows!r}")

    # -- presets --------------------------------------------------------------------------
    @classmethod
    def all_on(cls, **overrides: Any) -> OptimizationConfig:
        """Every flag on, then ``overrides`` (limits, or a flag to turn off)."""
        return cls(**{**dict.fromkeys(FLAGS, True), **overrides})

    @classmethod
    def all_off(cls, **overrides: Any) -> OptimizationConfig:
        """Every flag off (the baseline every combination must agree with), then
        ``overrides`` (limits, or a flag to turn on)."""
        return cls(**{**dict.fromkeys(FLAGS, False), **overrides})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 base: OptimizationConfig | None = None) -> OptimizationConfig:
        """``base`` (default: the defaults) with the ``RUSTYBT_*`` overrides of ``environ``.

        Raises:
            ValueError: A variable holds a value it cannot take; the message names it.
        """
        env = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for flag in FLAGS:
            var = f"RUSTYBT_OPT_{flag.upper()}"
            raw = env.get(var)
            if raw is None or not raw.strip():
                continue
            text = raw.strip().lower()
            if text not in _TRUE + _FALSE:
                raise ValueError(f"{var}={raw!r}: expected 0 or 1 (or true/false, on/off)")
            changes[flag] = text in _TRUE
        raw = env.get("RUSTYBT_CACHE_SIZE_GB", "").strip()
        if raw:
            try:
                size = float(raw)
            except ValueError:
                size = math.nan
            if not (math.isfinite(size) and size > 0):
                raise ValueError(f"RUSTYBT_CACHE_SIZE_GB={raw!r}: expected a number of GB > 0")
            changes["cache_size_gb"] = size
        raw = env.get("RUSTYBT_LRU_SIZE", "").strip()
        if raw:
            if not (raw.isascii() and raw.isdigit()):
                raise ValueError(f"RUSTYBT_LRU_SIZE={raw!r}: expected an int >= 0 (entries)")
            changes["lru_size"] = int(raw)
        raw = env.get("RUSTYBT_LRU_MB", "").strip()
        if raw:
            if not (raw.isascii() and raw.isdigit()):
                raise ValueError(f"RUSTYBT_LRU_MB={raw!r}: expected an int >= 0 (MiB)")
            changes["lru_mb"] = int(raw)
        raw = env.get("RUSTYBT_PERMANENT_WINDOWS", "").strip()
        if raw:
            parts = [p.strip() for p in raw.split(",")]
            if not all(p.isdigit() and int(p) >= 1 for p in parts):
                raise ValueError(f"RUSTYBT_PERMANENT_WINDOWS={raw!r}: expected bar counts "
                                 f">= 1 separated by commas, e.g. 20,50,200")
            changes["permanent_windows"] = tuple(int(p) for p in parts)
        return replace(base if base is not None else cls(), **changes)

    # -- derived --------------------------------------------------------------------------
    @property
    def cache_size_bytes(self) -> int:
        """``cache_size_gb`` in bytes (GB = 2**30 bytes)."""
        return int(self.cache_size_gb * 2**30)

    @property
    def lru_bytes(self) -> int:
        """``lru_mb`` in bytes (MiB = 2**20 bytes)."""
        return self.lru_mb * 2**20

    def flags(self) -> dict[str, bool]:
        """Flag name → value."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in FLAGS}

    def make_history_cache(self) -> HistoryCache | None:
        """A HistoryCache with this config's limits, or None when ``history_cache`` is off."""
        if not self.history_cache:
            return None
        from rustybt.data.portal.cache import HistoryCache

        return HistoryCache(maxsize=self.lru_size, max_bytes=self.lru_bytes,
                            permanent_bar_counts=frozenset(self.permanent_windows))
