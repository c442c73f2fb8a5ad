"""Benchmark: parameter searches (issue 11), rustybt against zipline-reloaded.

Workloads:

- ``engine`` (the issue's workload 2): the 100-pair dual moving average grid (short 5..50 step
  5, long 60..240 step 20) on 10 assets, 2018-03-15..2022-12-30 daily (1,209 sessions), through
  rustybt's engine on a bundle: serial, then on the ``processes`` backend with 2 workers when
  that backend is registered (``rustybt.optimization.registry.BACKENDS``; the script says so
  when it is not), checking both give identical per-trial metrics. zipline-reloaded has no
  optimizer: a few grid points run with its ``TradingAlgorithm`` on its own bcolz world built
  from the same bundle (as benchmarks/backtest.py does), and the mean is extrapolated to 100
  trials. The report says it is an extrapolation.
- ``function`` (the issue's workload 1, the PRD's own): the same 100 pairs as a plain function
  over a Polars frame (10 assets, 1 / 5 / 10 years of daily bars). The naive user code filters
  the frame per asset on every call; the pre-grouped path builds per-asset contiguous
  ``(n_bars × 5)`` float64 OHLCV arrays once per worker. The pre-grouped arrays are built here
  with NumPy (``PreGroupedData`` of ``rustybt/optimization/caching.py`` replaces them once that
  module lands). Both paths must return identical metrics.

    .venv/bin/python benchmarks/optimization.py --quick   # < 2 minutes: 1 year, fewer trials
    .venv/bin/python benchmarks/optimization.py           # the issue's figures
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backtest import DMA_START, build_bundle  # noqa: E402

N_ASSETS = 10
SHORTS = tuple(range(5, 51, 5))
LONGS = tuple(range(60, 241, 20))


# -- the strategy, one definition for both engines (module level: picklable) -------------------
def dma_hooks(params: dict[str, Any], api: Any = None) -> dict[str, Any]:
    """initialize/handle_data of the dual moving average with ``params['short'/'long']``."""
    if api is None:
        import rustybt.api as api
    short, long_ = int(params["short"]), int(params["long"])

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(N_ASSETS)]
        api.set_commission(api.commission.PerShare(cost=0.0))
        api.set_slippage(api.slippage.FixedSlippage(spread=0.0))

    def handle_data(context: Any, data: Any) -> None:
        if api.__name__.startswith("zipline"):
            hist = data.history(context.assets, "price", long_, "1d").to_numpy()
        else:
            hist = data.history(context.assets, "price", long_, "1d", return_type="array")
        above = hist[-short:].mean(axis=0) > hist.mean(axis=0)
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 1.0 / N_ASSETS if above[j] else 0.0)

    return {"initialize": initialize, "handle_data": handle_data}


def grid(n: int | None) -> list[dict[str, int]]:
    """The 100 pairs (the first ``n`` when given)."""
    pairs = [{"short": s, "long": lo} for s in SHORTS for lo in LONGS]
    return pairs if n is None else pairs[:n]


# -- workload 2: the grid through the engine --------------------------------------------------
def engine_grid(root: Path, end: str, n_trials: int | None) -> dict[str, Any]:
    from rustybt.optimization import (
        AlgorithmWorkload,
        GridSearch,
        IntRange,
        Objective,
        ParameterSpace,
        Study,
    )
    from rustybt.optimization.registry import BACKENDS, new_executor

    space = ParameterSpace({"short": IntRange(5, 50, 5), "long": IntRange(60, 240, 20)})
    workload = AlgorithmWorkload(dma_hooks, "opt-dma", DMA_START, end, root=root,
                                 capital_base=1e6)
    out: dict[str, Any] = {}
    for label, backend, workers in (("serial", "serial", 1), ("processes x2", "processes", 2)):
        if backend not in BACKENDS:
            print(f"  {label}: backend {backend!r} is not registered yet (skipped)")
            continue
        study = Study(workload, space, GridSearch(), Objective("sharpe"),
                      new_executor(backend, workers=workers), n_trials=n_trials, progress=False)
        t0 = time.perf_counter()
        result = study.optimize()
        wall = time.perf_counter() - t0
        frame = result.to_pandas()
        assert (frame["status"] == "ok").all(), frame.loc[frame["status"] != "ok", "error"]
        out[label] = {"wall": wall, "trials": len(frame), "frame": frame,
                      "best": result.best_params}
    if "processes x2" in out:
        cols = ["short", "long", "sharpe", "total_return", "max_drawdown"]
        pd.testing.assert_frame_equal(out["serial"]["frame"][cols],
                                      out["processes x2"]["frame"][cols])
    return out


def zipline_sample(root: Path, bundle: Any, end: str, n: int) -> float | None:
    """Mean seconds of ``n`` zipline-reloaded runs of grid points (None without zipline)."""
    try:
        import zipline.api as zapi
        from zipline.algorithm import TradingAlgorithm
        from zipline.finance.trading import SimulationParameters
    except ImportError:
        return None
    from rustybt.compat.zipline.reference import build_zipline_world

    world = build_zipline_world(bundle, root / "zipline-opt")
    start, stop = pd.Timestamp(DMA_START), pd.Timestamp(end)
    sessions = world.calendar.sessions_in_range(start, stop)
    bench = pd.Series(0.0, index=pd.DatetimeIndex(sessions).tz_localize("UTC"))
    times = []
    points = grid(None)[:: max(1, 100 // n)][:n]
    for params in [points[0], *points]:  # the first run warms zipline up and is not counted
        hooks = dma_hooks(params, zapi)
        sim = SimulationParameters(start_session=start, end_session=stop,
                                   trading_calendar=world.calendar, capital_base=1e6,
                                   data_frequency="daily")
        algo = TradingAlgorithm(sim_params=sim, data_portal=world.data_portal,
                                trading_calendar=world.calendar, benchmark_returns=bench,
                                **hooks)
        t0 = time.perf_counter()
        algo.run()
        times.append(time.perf_counter() - t0)
    return statistics.mean(times[1:])


# -- workload 1: a function over a Polars frame -----------------------------------------------
def polars_frame(years: int) -> Any:
    """10 assets × ``years`` × 252 daily bars in one long Polars frame."""
    import polars as pl

    from rustybt.testing import walk_ohlcv

    rng = np.random.default_rng(3)
    n = 252 * years
    frames = []
    for sid in range(N_ASSETS):
        bars = walk_ohlcv(rng, n, 20.0 + 4 * sid)
        bars.insert(0, "bar", np.arange(n))
        bars.insert(0, "sid", sid)
        frames.append(bars)
    return pl.from_pandas(pd.concat(frames, ignore_index=True))


def _score(close: np.ndarray, short: int, long_: int) -> float:
    """Total return of holding while the short mean of close is above the long one."""
    csum = np.concatenate([[0.0], np.cumsum(close)])
    idx = np.arange(long_, len(close))
    fast = (csum[idx] - csum[idx - short]) / short
    slow = (csum[idx] - csum[idx - long_]) / long_
    rets = close[idx[1:]] / close[idx[:-1]] - 1.0
    return float(np.prod(1.0 + rets * (fast[:-1] > slow[:-1])) - 1.0)


def naive(params: dict[str, Any], frame: Any) -> dict[str, float]:
    """What a user writes: list the assets, filter the frame per asset, on every call."""
    import polars as pl

    total = 0.0
    for sid in frame["sid"].unique().sort().to_list():
        asset = frame.filter(pl.col("sid") == sid).sort("bar")
        total += _score(asset["close"].to_numpy(), params["short"], params["long"])
    return {"total_return": total / N_ASSETS}


def pre_group(frame: Any) -> dict[int, np.ndarray]:
    """sid → contiguous (n_bars × 5) float64 OHLCV, built once (local stand-in for
    ``PreGroupedData``)."""
    out = {}
    for (sid,), part in frame.sort(["sid", "bar"]).group_by(["sid"], maintain_order=True):
        cols = ["open", "high", "low", "close", "volume"]
        out[int(sid)] = np.ascontiguousarray(part.select(cols).to_numpy().astype(np.float64))
    return out


def grouped(params: dict[str, Any], arrays: dict[int, np.ndarray]) -> dict[str, float]:
    """The same computation on the pre-grouped arrays."""
    total = 0.0
    for sid in sorted(arrays):
        total += _score(arrays[sid][:, 3], params["short"], params["long"])
    return {"total_return": total / N_ASSETS}


def function_grid(years: int) -> dict[str, float]:
    frame = polars_frame(years)
    pairs = grid(None)
    t0 = time.perf_counter()
    slow = [naive(p, frame) for p in pairs]
    t_naive = time.perf_counter() - t0
    t0 = time.perf_counter()
    arrays = pre_group(frame)
    fast = [grouped(p, arrays) for p in pairs]
    t_grouped = time.perf_counter() - t0
    assert slow == fast, "naive and pre-grouped results differ"
    return {"naive": t_naive, "grouped": t_grouped}


# -- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="1 year, 20 grid points, 1 zipline sample (< 2 minutes)")
    p.add_argument("--zipline-samples", type=int, default=3)
    p.add_argument("--no-zipline", action="store_true")
    p.add_argument("--root", default=None)
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    root = Path(args.root or tempfile.mkdtemp(prefix="rustybt-opt-"))
    end = "2019-03-15" if args.quick else "2022-12-30"
    n_trials = 20 if args.quick else None
    samples = 1 if args.quick else args.zipline_samples
    # data from 2017: the longest window (240 sessions) is full from the first simulated session
    bundle = build_bundle(root, N_ASSETS, "2017-01-03", end, "opt-dma")
    n_sessions = len(bundle.sessions[bundle.sessions >= pd.Timestamp(DMA_START)])

    print(f"workload 2: dual MA grid through the engine, {N_ASSETS} assets, {DMA_START}..{end} "
          f"(~{n_sessions} sessions), {n_trials or 100} trials")
    rows = engine_grid(root, end, n_trials)
    for label, row in rows.items():
        per = row["wall"] / row["trials"]
        print(f"  rustybt {label:<13} {row['wall']:8.2f} s  {row['trials'] / row['wall']:7.2f} "
              f"trials/s  ({per * 100:.1f} s per 100 trials)  best {row['best']}")
    zl = None if args.no_zipline else zipline_sample(root, bundle, end, samples)
    if zl is None:
        print("  zipline-reloaded: not run")
    else:
        print(f"  zipline-reloaded: {zl:.2f} s per trial, mean of {samples} sampled grid points "
              "after a warm-up run;"
              f" 100 trials extrapolated: {zl * 100:.0f} s (zipline has no optimizer: serial)")
        for label, row in rows.items():
            per100 = row["wall"] / row["trials"] * 100
            print(f"  speed-up vs zipline (extrapolated), {label}: {zl * 100 / per100:.1f}x")

    print("\nworkload 1: the same 100 pairs as f(params, polars frame), 10 assets")
    for years in (1,) if args.quick else (1, 5, 10):
        t = function_grid(years)
        print(f"  {years:>2} years: naive per-call filtering {t['naive']:7.3f} s, pre-grouped "
              f"arrays {t['grouped']:7.3f} s ({t['naive'] / t['grouped']:.1f}x; identical "
              "results)")


if __name__ == "__main__":
    main()
