"""The built-in workload of ``rustybt bench evaluate``: a dual-MA grid through the engine.

:func:`make_dma_grid` writes a deterministic synthetic bundle (random-walk daily bars,
cent prices, :mod:`rustybt.testing`) and returns a :class:`DmaGrid`: ``grid(config)`` runs a
grid search of the dual moving average (short 5..20 step 5 × long 30..60 step 10, the first
``n_trials`` pairs) with an :class:`~rustybt.optimization.AlgorithmWorkload` carrying
``config``, on the serial executor or the process pool, and returns the trials' frame.

Invariants:
- The frame holds what must not change with the flags (trial number, parameters, metrics,
  objective value, status) and drops what may (``duration``, ``worker``, ``fidelity``,
  ``cache_hit_rate``), so it is the functional-equivalence reference as it stands.
- A failed trial raises :class:`~rustybt.errors.BenchmarkRunFailed` naming it: two
  configurations failing alike must not pass as "equivalent" and be timed.
- :class:`DmaGrid` and the strategy factory are module level and picklable
  (``fresh_process`` measurements, the process pool); the strategy asks ``history`` for
  arrays when the workload passes ``_array_returns`` and for DataFrames otherwise, computing
  the same numbers either way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DmaGrid", "dma_hooks", "make_dma_grid"]

#: The grid: short and long window lengths (sessions); the longest sets the warm-up.
SHORTS = (5, 10, 15, 20)
LONGS = (30, 40, 50, 60)
_VOLATILE = ("duration", "worker", "fidelity", "cache_hit_rate")


def dma_hooks(params: dict[str, Any], n_assets: int) -> dict[str, Any]:
    """``initialize``/``handle_data`` of the dual moving average over sids ``0..n_assets-1``."""
    import rustybt.api as api

    short, long_ = int(params["short"]), int(params["long"])
    as_array = bool(params.get("_array_returns", False))

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(n_assets)]
        api.set_commission(api.commission.PerShare(cost=0.0))
        api.set_slippage(api.slippage.FixedSlippage(spread=0.0))

    def handle_data(context: Any, data: Any) -> None:
        if as_array:
            hist = data.history(context.assets, "price", long_, "1d", return_type="array")
        else:
            hist = data.history(context.assets, "price", long_, "1d").to_numpy()
        above = hist[-short:].mean(axis=0) > hist.mean(axis=0)
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 1.0 / n_assets if above[j] else 0.0)

    return {"initialize": initialize, "handle_data": handle_data}


@dataclass(frozen=True)
class DmaGrid:
    """``grid(config)``: the dual-MA grid on a bundle, the trials' frame as the result.

    Attributes:
        root: The rustybt root holding the bundle.
        bundle: The bundle's name.
        start: First simulated session (ISO date).
        end: Last simulated session (ISO date).
        n_assets: Assets traded (sids ``0..n_assets-1``).
        n_trials: Grid points run (the first ones, at most 16).
        backend: ``serial`` or ``processes``.
        workers: Worker processes of the ``processes`` backend.
    """

    root: str
    bundle: str
    start: str
    end: str
    n_assets: int
    n_trials: int
    backend: str = "serial"
    workers: int = 1

    def __post_init__(self) -> None:
        if type(self.n_trials) is not int or not 1 <= self.n_trials <= len(SHORTS) * len(LONGS):
            raise ValueError(f"n_trials must be 1..{len(SHORTS) * len(LONGS)}, "
                             f"not {self.n_trials!r}")
        if self.backend not in ("serial", "processes"):
            raise ValueError(f"backend must be 'serial' or 'processes', not {self.backend!r}")
        if type(self.workers) is not int or self.workers < 1:
            raise ValueError(f"workers must be an int >= 1, not {self.workers!r}")

    def describe(self) -> str:
        """One line: what a call runs."""
        return (f"engine dual-MA grid, {self.n_trials} trials (short {SHORTS[0]}..{SHORTS[-1]} "
                f"× long {LONGS[0]}..{LONGS[-1]}), {self.n_assets} synthetic assets, "
                f"{self.start}..{self.end} daily, {self.backend} executor"
                f"{f' with {self.workers} workers' if self.backend != 'serial' else ''}")

    def __call__(self, config: Any) -> Any:
        from rustybt.errors import BenchmarkRunFailed
        from rustybt.optimization import (
            AlgorithmWorkload,
            GridSearch,
            IntRange,
            Objective,
            ParameterSpace,
            Study,
        )
        from rustybt.optimization.registry import new_executor

        step = SHORTS[1] - SHORTS[0], LONGS[1] - LONGS[0]
        space = ParameterSpace({"short": IntRange(SHORTS[0], SHORTS[-1], step[0]),
                                "long": IntRange(LONGS[0], LONGS[-1], step[1])})
        workload = AlgorithmWorkload(functools.partial(dma_hooks, n_assets=self.n_assets),
                                     self.bundle, self.start, self.end, root=self.root,
                                     capital_base=1e6, config=config)
        kwargs = {"workers": self.workers} if self.backend != "serial" else {}
        study = Study(workload, space, GridSearch(), Objective("sharpe"),
                      new_executor(self.backend, **kwargs), n_trials=self.n_trials,
                      progress=False)
        frame = study.optimize().to_pandas()
        failed = frame[frame["status"] != "ok"]
        if len(failed):
            row = failed.iloc[0]
            raise BenchmarkRunFailed(
                f"trial {row['number']} (short={row['short']}, long={row['long']}) of the "
                f"dual-MA grid ended {row['status']!r}: {row['error']}")
        return frame.drop(columns=list(_VOLATILE)).reset_index(drop=True)


def make_dma_grid(root: str | Path, *, n_assets: int = 5, n_sessions: int = 120,
                  n_trials: int = 4, backend: str = "serial", workers: int = 1,
                  seed: int = 7, name: str = "bench-dma") -> DmaGrid:
    """Write the synthetic bundle ``name`` under ``root`` and return its :class:`DmaGrid`.

    The bundle holds ``max(LONGS) + 1`` warm-up sessions before the ``n_sessions`` simulated
    ones (from 2021-01-04, XNYS), so every window is full from the first simulated session.
    """
    import numpy as np

    from rustybt.testing import BundleSpec, make_bundle, session_span, walk_ohlcv

    if type(n_assets) is not int or n_assets < 1 or type(n_sessions) is not int or \
            n_sessions < 2:
        raise ValueError(f"need n_assets >= 1 and n_sessions >= 2, got {n_assets!r} and "
                         f"{n_sessions!r}")
    DmaGrid(str(root), name, "", "", n_assets, n_trials, backend, workers)  # checks, first
    warm = max(LONGS) + 1
    sessions = session_span(warm + n_sessions, "2021-01-04", "XNYS")
    rng = np.random.default_rng(seed)
    daily = {}
    for sid in range(n_assets):
        frame = walk_ohlcv(rng, len(sessions), 20.0 + 4 * sid)
        frame.insert(0, "date", sessions)
        daily[sid] = frame
    make_bundle(root, BundleSpec.from_bars(daily), name=name)
    return DmaGrid(str(root), name, sessions[warm].date().isoformat(),
                   sessions[-1].date().isoformat(), n_assets, n_trials, backend, workers)
