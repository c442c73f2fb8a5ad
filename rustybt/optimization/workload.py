"""Workloads: what one trial computes, given its parameters.

A :class:`Workload` is picklable and holds no market data: a worker process (or Ray actor)
receives it once, calls :meth:`Workload.setup` once (open the bundle by path, map its files),
then :meth:`Workload.run` for each trial. Two kinds:

- :class:`FunctionWorkload`: a plain ``f(params, data) -> metrics`` function (the PRD's
  profiling workloads), with ``data`` made once per worker by a picklable loader;
- :class:`AlgorithmWorkload`: a zipline-style algorithm run by :func:`rustybt.run_algorithm`
  on a bundle, ``initialize`` reading ``context.params``; metrics are
  :func:`rustybt.engine.metrics.summary` of the results frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AlgorithmWorkload", "FunctionWorkload", "Workload"]


class Workload(ABC):
    """What a trial runs. Subclasses must be picklable (they travel to workers)."""

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Prepare this process (open data). Called once per worker before any trial."""

    @abstractmethod
    def run(self, params: dict[str, Any], fidelity: float = 1.0) -> dict[str, float]:
        """Run one trial (``fidelity``: fraction of the period to run) and return metrics."""

    def run_detailed(self, params: dict[str, Any],
                     fidelity: float = 1.0) -> tuple[dict[str, float], Any]:
        """``(metrics, details)``: details is the results frame when the workload has one
        (:class:`AlgorithmWorkload`: daily ``returns``...), else None."""
        return self.run(params, fidelity), None


@dataclass
class FunctionWorkload(Workload):
    """``fn(params, data) -> metrics``; ``data = loader()`` once per worker.

    Both must be picklable (module-level functions) for the process and Ray backends.
    ``fidelity`` is passed as ``params['_fidelity']`` when below 1.
    """

    fn: Callable[[dict[str, Any], Any], dict[str, float]]
    loader: Callable[[], Any] | None = None
    _data: Any = field(default=None, init=False, repr=False, compare=False)
    _ready: bool = field(default=False, init=False, repr=False, compare=False)

    def setup(self) -> None:
        if not self._ready:
            self._data = self.loader() if self.loader is not None else None
            self._ready = True

    def run(self, params: dict[str, Any], fidelity: float = 1.0) -> dict[str, float]:
        self.setup()
        args = dict(params)
        if fidelity < 1.0:
            args["_fidelity"] = fidelity
        return {k: float(v) for k, v in self.fn(args, self._data).items()}

    def __getstate__(self) -> dict[str, Any]:
        return {"fn": self.fn, "loader": self.loader}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.fn = state["fn"]
        self.loader = state["loader"]
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
    """

    algorithm: str | Path | Callable[[dict[str, Any]], dict[str, Any]]
    bundle: str
    start: Any
    end: Any
    root: str | Path | None = None
    capital_base: float = 1_000_000.0
    data_frequency: str = "daily"
    _portal: Any = field(default=None, init=False, repr=False, compare=False)

    def setup(self) -> None:
        if self._portal is None:
            from rustybt.optimization.pool import BundleConnectionPool

            self._portal = BundleConnectionPool.instance().portal(self.bundle, self.root)

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

        self.setup()
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        if fidelity < 1.0:
            sessions = self._portal.trading_calendar.sessions_in_range(start, end)
            end = pd.Timestamp(sessions[max(1, round(len(sessions) * fidelity)) - 1])
        hooks = self._hooks(params)
        perf = run_algorithm(start, end, capital_base=self.capital_base,
                             data_portal=self._portal, data_frequency=self.data_frequency,
                             params=params, **hooks)
        return summary(perf), perf

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_portal"] = None  # never ship the mapped data: workers map it themselves
        return state
