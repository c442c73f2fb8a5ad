"""Workloads: what one trial computes, given its parameters.

A :class:`Workload` is picklable and holds no market data: a worker process (or Ray actor)
receives it once, calls :meth:`Workload.setup` once (open the bundle by path, map its files),
then :meth:`Workload.run` for each trial. Two kinds:

- :class:`FunctionWorkload`: a plain ``f(params, data) -> metrics`` function (the PRD's
  profiling workloads), with ``data`` made once per worker by a picklable loader;
- :class:`AlgorithmWorkload`: a zipline-style algorithm run by :func:`rustybt.run_algorithm`
  on a bundle, ``initialize`` reading ``context.params``; metrics are
  :func:`rustybt.engine.metrics.summary` of the results frame.

Both carry an :class:`~rustybt.optimization.config.OptimizationConfig` (``config=None``: read
from the environment when the workload is made, then shipped with it). The flags act here:
``array_returns`` adds ``params['_array_returns'] = True`` to what the strategy sees (absent
when off; the recorded trial params never hold it); for an algorithm, ``bundle_pooling``
takes the portal from the process's pool (off: a fresh portal per trial, whose asset finder
comes from :func:`~rustybt.optimization.caching.get_cached_assets` when ``asset_caching``) and
``history_cache`` gives that portal one HistoryCache shared by every trial of the worker (a
shallow copy of the pooled portal carries it, so the pool's portal stays uncached for other
workloads); :meth:`Workload.last_cache_hit_rate` is its hit rate over the last trial. Before
each trial an algorithm workload checks the bundle's ``CURRENT`` pointer
(:class:`~rustybt.optimization.cache_invalidation.VersionWatch`, one small file read): after
a re-ingest it drops the stale caches and reopens the portal, so the trial sees the new data.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rustybt.optimization.config import OptimizationConfig

__all__ = ["AlgorithmWorkload", "FunctionWorkload", "Workload"]


class Workload(ABC):
    """What a trial runs. Subclasses must be picklable (they travel to workers)."""

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Prepare this process (open data). Called once per worker before any trial."""

    @abstractmethod
    def run(self, params: dict[str, Any], fidelity: float = 1.0) -> dict[str, float]:
        """Run one trial (``fidelity``: fraction of the period to run) and return metrics."""

    def last_cache_hit_rate(self) -> float | None:
        """History-cache hit rate over the last trial this process ran (None: no cache, or
        no lookup)."""
        return None


    def run_detailed(self, params: dict[str, Any],
                     fidelity: float = 1.0) -> tuple[dict[str, float], Any]:
        """``(metrics, details)``: details is the results frame when the workload has one
        (:class:`AlgorithmWorkload`: daily ``returns``...), else None."""
        return self.run(params, fidelity), None


def _resolve(config: OptimizationConfig | None) -> OptimizationConfig:
    if config is None:
        return OptimizationConfig.from_env()
    if not isinstance(config, OptimizationConfig):
        raise TypeError(f"config must be an OptimizationConfig, not {type(config).__name__}")
    return config


@dataclass
class FunctionWorkload(Workload):
    """``fn(params, data) -> metrics``; ``data = loader()`` once per worker.

    Both must be picklable (module-level functions) for the process and Ray backends.
    ``fidelity`` is passed as ``params['_fidelity']`` when below 1.
    """

    fn: Callable[[dict[str, Any], Any], dict[str, float]]
    loader: Callable[[], Any] | None = None
    config: OptimizationConfig | None = None
    _data: Any = field(default=None, init=False, repr=False, compare=False)
    _ready: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.config = _resolve(self.config)

    def setup(self) -> None:
        if not self._ready:
            self._data = self.loader() if self.loader is not None else None
            self._ready = True

    def run(self, params: dict[str, Any], fidelity: float = 1.0) -> dict[str, float]:
        self.setup()
        args = dict(params)
        if fidelity < 1.0:
            args["_fidelity"] = fidelity
        if self.config is not None and self.config.array_returns:
            args["_array_returns"] = True
        return {k: float(v) for k, v in self.fn(args, self._data).items()}

    def __getstate__(self) -> dict[str, Any]:
        return {"fn": self.fn, "loader": self.loader, "config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.fn = state["fn"]
        self.loader = state["loader"]
        self.config = state.get("config")
        self._data = None
        self._ready = False


@dataclass
class AlgorithmWorkload(Workload):
    """A zipline-style algorithm on a bundle, run by rustybt's engine.

    Args:
        algorithm: A path to an algorithm file (``rustybt run``'s format) or a picklable
            module-level factory ``params -> dict of hooks`` (``initialize``,
            ``handle_data``, ``before_trading_start``, ``analyze``).
        bundle: The bundle's name.
        start: First session.
        end: Last session (fidelity < 1 runs the first part of start..end).
        root: The rustybt root holding the bundle.
        capital_base: Starting cash.
        data_frequency: ``'daily'`` or ``'minute'``.
        config: The optimization flags (None: :meth:`OptimizationConfig.from_env`).
    """

    algorithm: str | Path | Callable[[dict[str, Any]], dict[str, Any]]
    bundle: str
    start: Any
    end: Any
    root: str | Path | None = None
    capital_base: float = 1_000_000.0
    data_frequency: str = "daily"
    config: OptimizationConfig | None = None
    _portal: Any = field(default=None, init=False, repr=False, compare=False)
    _used: bool = field(default=False, init=False, repr=False, compare=False)
    _watch: Any = field(default=None, init=False, repr=False, compare=False)
    _cache: Any = field(default=None, init=False, repr=False, compare=False)
    _hit_rate: float | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.config = _resolve(self.config)

    def setup(self) -> None:
        """Open the portal and warm what every trial needs, so a worker's first trial costs
        what the others do: the calendar and the engine's imports, counted in the worker's
        setup."""
        self._ensure_portal()
        _ = self._portal.trading_calendar
        import rustybt.engine.metrics
        import rustybt.engine.run  # noqa: F401

    def _ensure_portal(self) -> None:
        """Open the portal once, again after a re-ingest, and per trial without pooling."""
        from rustybt.optimization.cache_invalidation import VersionWatch, invalidate_stale

        if self._watch is None:
            self._watch = VersionWatch(self.bundle, self.root)
        moved = self._watch.changed()
        if moved and self._portal is not None:
            invalidate_stale(self.bundle, self.root)
        assert self.config is not None
        if self._portal is None or moved or (self._used and not self.config.bundle_pooling):
            self._portal, self._used = self._open(), False

    def _open(self) -> Any:
        from rustybt.data.portal.portal import ArrowDataPortal

        cfg = self.config
        assert cfg is not None
        if cfg.history_cache and self._cache is None:
            from rustybt.optimization.cache_invalidation import track

            self._cache = cfg.make_history_cache()
            track(self.bundle, self.root, self._cache)
        cache = self._cache if cfg.history_cache else None
        if not cfg.bundle_pooling:
            from rustybt.data.bundles.registry import load

            bundle = load(self.bundle, root=self.root)
            if cfg.asset_caching:
                from rustybt.optimization.caching import get_cached_assets

                # prime the cached_property: this fresh Bundle shares the version's finder
                bundle.__dict__["asset_finder"] = get_cached_assets(bundle).finder
            return ArrowDataPortal(bundle, cache=cache)
        from rustybt.optimization.pool import BundleConnectionPool

        portal = BundleConnectionPool.instance().portal(self.bundle, self.root)
        if cache is None:
            return portal
        portal = copy.copy(portal)  # shares maps, stores and engine; only the cache differs
        portal.cache = cache
        cache.bind(portal.version)
        return portal

    def last_cache_hit_rate(self) -> float | None:
        return self._hit_rate

    def _hooks(self, params: dict[str, Any]) -> dict[str, Any]:
        if callable(self.algorithm):
            return dict(self.algorithm(params))
        from rustybt.engine.algofile import load_algorithm_file

        # loaded afresh for each trial: module-level state must not leak between trials
        return load_algorithm_file(Path(self.algorithm)).hooks()

    def run(self, params: dict[str, Any], fidelity: float = 1.0) -> dict[str, float]:
        return self.run_detailed(params, fidelity)[0]

    def run_detailed(self, params: dict[str, Any],
                     fidelity: float = 1.0) -> tuple[dict[str, float], Any]:
        """Like :meth:`run`, also returning the results frame (``perf``: daily returns,
        portfolio value...); walk-forward stitches the test windows' returns from it."""
        import pandas as pd

        from rustybt.engine.metrics import summary
        from rustybt.engine.run import run_algorithm

        self._ensure_portal()
        self._used = True
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        if fidelity < 1.0:
            sessions = self._portal.trading_calendar.sessions_in_range(start, end)
            end = pd.Timestamp(sessions[max(1, round(len(sessions) * fidelity)) - 1])
        assert self.config is not None
        if self.config.array_returns:
            params = {**params, "_array_returns": True}
        hooks = self._hooks(params)
        cache = self._portal.cache
        before = (cache.hits, cache.misses) if cache is not None else (0, 0)
        self._hit_rate = None
        perf = run_algorithm(start, end, capital_base=self.capital_base,
                             data_portal=self._portal, data_frequency=self.data_frequency,
                             params=params, details=not self.config.lean_results, **hooks)
        if cache is not None:
            hits, misses = cache.hits - before[0], cache.misses - before[1]
            self._hit_rate = hits / (hits + misses) if hits + misses else None
        return summary(perf), perf

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        # never ship the mapped data or cached values: workers map and fill their own
        state.update(_portal=None, _used=False, _watch=None, _cache=None, _hit_rate=None)
        return state
