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

    .venv/bin/python benchmarks/optimization.py --quick   # a few minutes: 1 year, fewer trials
    .venv/bin/python benchmarks/optimization.py           # the issue's figures

Output (``rustybt.benchmarking.tables``; built in ``opt_tables.py``): one report
``optimization`` whose tables are the engine grid's runs (``engine``), its ratios against the
issue's targets (``checks``), the other frameworks (``rivals``: zipline-reloaded, backtrader,
vectorbt, each present when it ran) and the function workload (``function``); the equivalence
checks and the extrapolations are text paragraphs. ``--json`` holds every figure unformatted
(the Bayesian search's in ``data.bayes``), ``--markdown`` and ``--update-doc FILE`` (between
``<!-- BENCHMARK:optimization:START/END -->``, or ``--marker NAME``) as every script has.
"""

from __future__ import annotations

import argparse
import os
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

from _dma import dma_score  # noqa: E402
from backtest import DMA_START, build_bundle  # noqa: E402
from opt_tables import (  # noqa: E402
    FUNCTION_COLUMNS,
    bayes_text,
    checks_table,
    engine_table,
    rivals_table,
)

from rustybt.benchmarking.tables import ScriptReport, add_output_flags, emit  # noqa: E402

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
        if params.get("_array_returns"):  # OptimizationConfig.array_returns on (rustybt)
            hist = data.history(context.assets, "price", long_, "1d", return_type="array")
        else:  # zipline, and rustybt with every flag off: DataFrames
            hist = data.history(context.assets, "price", long_, "1d").to_numpy()
        above = hist[-short:].mean(axis=0) > hist.mean(axis=0)
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 1.0 / N_ASSETS if above[j] else 0.0)

    return {"initialize": initialize, "handle_data": handle_data}


def factory() -> Any:
    """``dma_hooks`` by an importable name: run as a script it lives in ``__main__``, which
    Ray's workers cannot import (spawned processes re-import the script themselves)."""
    if __name__ == "__main__":
        import importlib

        return importlib.import_module("optimization").dma_hooks
    return dma_hooks


def grid(n: int | None) -> list[dict[str, int]]:
    """The 100 pairs (the first ``n`` when given)."""
    pairs = [{"short": s, "long": lo} for s in SHORTS for lo in LONGS]
    return pairs if n is None else pairs[:n]


# -- workload 2: the grid through the engine --------------------------------------------------
COLS = ["short", "long", "sharpe", "total_return", "max_drawdown"]


def _study(root: Path, end: str, executor: Any, n_trials: int | None, config: Any = None,
           sampler: Any = None, on_result: Any = None) -> tuple[Any, float]:
    from rustybt.optimization import (
        AlgorithmWorkload,
        GridSearch,
        IntRange,
        Objective,
        ParameterSpace,
        Study,
    )

    space = ParameterSpace({"short": IntRange(5, 50, 5), "long": IntRange(60, 240, 20)})
    workload = AlgorithmWorkload(factory(), "opt-dma", DMA_START, end, root=root,
                                 capital_base=1e6, config=config)
    study = Study(workload, space, sampler or GridSearch(), Objective("sharpe"), executor,
                  n_trials=n_trials, progress=False, on_result=on_result)
    t0 = time.perf_counter()
    result = study.optimize()
    return result, time.perf_counter() - t0


def _row(result: Any, wall: float, executor: Any) -> dict[str, Any]:
    frame = result.to_pandas()
    assert (frame["status"] == "ok").all(), frame.loc[frame["status"] != "ok", "error"]
    workers = getattr(executor, "workers", [])
    return {"wall": wall, "trials": len(frame), "frame": frame, "best": result.best_params,
            "trial_s": float(frame["duration"].mean()),
            "hit_rate": float(frame["cache_hit_rate"].mean()),
            "boot": max((w.boot_s for w in workers), default=None),  # None: no worker
            "setup": max((w.setup_s for w in workers), default=None)}


def engine_grid(report: ScriptReport, root: Path, end: str, n_trials: int | None,
                serial_trials: int, off_trials: int, ray_trials: int) -> dict[str, Any]:
    """The grid on 2 processes (every flag on), Ray (2 actors), serial and every flag off
    (the first trials only, identical metrics checked)."""
    from rustybt.optimization import OptimizationConfig, ProcessExecutor, SerialExecutor

    out: dict[str, Any] = {}
    executor = ProcessExecutor(2)
    result, wall = _study(root, end, executor, n_trials, OptimizationConfig.all_on())
    out["processes x2"] = _row(result, wall, executor)
    full = out["processes x2"]["frame"][COLS]
    result, wall = _study(root, end, SerialExecutor(), serial_trials, OptimizationConfig.all_on())
    out["serial"] = _row(result, wall, None)
    executor = ProcessExecutor(2)
    result, wall = _study(root, end, executor, off_trials, OptimizationConfig.all_off())
    out["flags off x2"] = _row(result, wall, executor)
    if ray_trials:
        out.update(_ray_grid(report, root, end, ray_trials))
    else:
        report.text("Ray: not run (--ray-trials 0; the suite's --quick leaves Ray to the full "
                    "run).")
    for label, row in out.items():  # every backend and flag set: the same trials, metrics
        part = row["frame"][COLS]
        pd.testing.assert_frame_equal(full.iloc[:len(part)], part, obj=label)
    return out


def _ray_grid(report: ScriptReport, root: Path, end: str, n_trials: int) -> dict[str, Any]:
    try:
        import ray
    except ImportError:
        report.text("ray: not installed (pip install 'rustybt[ray]'), skipped.")
        return {}
    from rustybt.optimization import OptimizationConfig, RayExecutor

    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    init_s = time.perf_counter() - t0
    try:
        executor = RayExecutor(2)
        result, wall = _study(root, end, executor, n_trials, OptimizationConfig.all_on())
    finally:
        ray.shutdown()
    row = _row(result, wall, executor)
    row["init"] = init_s
    return {"ray x2": row}


def bayes_to_grid_best(root: Path, end: str, target: float, n_trials: int) -> dict[str, Any]:
    """Bayesian search (TPE, Hyperband pruning over rungs 1/4, 1/2, 1 of the period) on 2
    processes: seconds and trials until it finds the grid's best Sharpe ratio."""
    from rustybt.optimization import BayesianSearch, OptimizationConfig, ProcessExecutor

    t0 = time.perf_counter()
    reached: dict[str, Any] = {}
    count = [0, 0.0]

    def on_result(trial: Any) -> None:
        count[0] += 1
        count[1] += trial.fidelity
        if not reached and trial.ok and trial.value >= target:
            reached.update(seconds=time.perf_counter() - t0, trials=count[0],
                           period_runs=count[1], params=trial.params)

    executor = ProcessExecutor(2)
    result, wall = _study(root, end, executor, n_trials, OptimizationConfig.all_on(),
                          BayesianSearch(n_trials, batch=2, multi_fidelity=True), on_result)
    frame = result.to_pandas()
    return {"wall": wall, "trials": len(frame), "pruned": int((frame["status"] == "pruned").sum()),
            "period_runs": count[1], "best": result.best_value, "reached": reached}


def trial_overhead(root: Path, end: str, repeats: int) -> dict[str, float]:
    """Median CPU seconds of this process (``time.process_time``: steadier than wall time on
    a shared machine) of a warm trial through ``AlgorithmWorkload.run`` (flags on) and of the
    bare ``run_algorithm`` on the same portal, alternated."""
    from rustybt.engine.run import run_algorithm
    from rustybt.optimization import AlgorithmWorkload, OptimizationConfig

    workload = AlgorithmWorkload(dma_hooks, "opt-dma", DMA_START, end, root=root,
                                 capital_base=1e6, config=OptimizationConfig.all_on())
    workload.setup()
    params = {"short": 10, "long": 100}
    workload.run(params)
    portal = workload._portal
    flagged = {**params, "_array_returns": True}
    trial, bare = [], []
    for _ in range(repeats):
        t0 = time.process_time()
        workload.run(params)
        trial.append(time.process_time() - t0)
        t0 = time.process_time()
        run_algorithm(pd.Timestamp(DMA_START), pd.Timestamp(end), capital_base=1e6,
                      data_portal=portal, params=flagged, **dma_hooks(flagged))
        bare.append(time.process_time() - t0)
    return {"trial": statistics.median(trial), "bare": statistics.median(bare)}


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


def naive(params: dict[str, Any], frame: Any) -> dict[str, float]:
    """What a user writes: list the assets, filter the frame per asset, on every call."""
    import polars as pl

    total = 0.0
    for sid in frame["sid"].unique().sort().to_list():
        asset = frame.filter(pl.col("sid") == sid).sort("bar")
        total += dma_score(asset["close"].to_numpy(), params["short"], params["long"])
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
        total += dma_score(arrays[sid][:, 3], params["short"], params["long"])
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


# -- backtrader and vectorbt ------------------------------------------------------------------
def rivals(report: ScriptReport, bundle: Any, end: str,
           bt_samples: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """backtrader's ``optstrategy`` on a sample of the grid and vectorbt on all of it (None:
    not installed, said so in the report)."""
    from opt_rivals import backtrader_grid, bars, vectorbt_grid

    data = {sid: frame.loc[:end] for sid, frame in bars(bundle, N_ASSETS).items()}
    half = max(1, bt_samples // 2)
    shorts = SHORTS[:: max(1, len(SHORTS) // half)][:half]
    pairs = [{"short": s, "long": lo} for s in shorts for lo in (LONGS[0], LONGS[-1])]
    report.log("backtrader and vectorbt on the same grid ...")
    bt = backtrader_grid(data, pairs, DMA_START, cpus=2)
    if bt is None:
        report.text("backtrader: not installed (pip install 'rustybt[bench]'), skipped.")
    vb = vectorbt_grid(data, grid(None), DMA_START)
    if vb is None:
        report.text("vectorbt: not installed (pip install 'rustybt[bench]'), skipped.")
    return bt, vb


# -- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="1 year, 20 grid points, few samples (a few minutes)")
    p.add_argument("--zipline-samples", type=int, default=3)
    p.add_argument("--backtrader-samples", type=int, default=4,
                   help="grid pairs run in backtrader (a 2 x N/2 product), extrapolated")
    p.add_argument("--serial-trials", type=int, default=10)
    p.add_argument("--off-trials", type=int, default=10,
                   help="grid points run with every OptimizationConfig flag off")
    p.add_argument("--bayes-trials", type=int, default=40)
    p.add_argument("--ray-trials", type=int, default=20,
                   help="grid points run on Ray (0: skip Ray)")
    p.add_argument("--no-zipline", action="store_true")
    p.add_argument("--no-rivals", action="store_true", help="skip backtrader and vectorbt")
    p.add_argument("--root", default=None)
    add_output_flags(p, "optimization")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    report = ScriptReport("optimization")
    root = Path(args.root or tempfile.mkdtemp(prefix="rustybt-opt-"))
    end = "2019-03-15" if args.quick else "2022-12-30"
    n_trials = 10 if args.quick else None
    if args.quick:
        args.zipline_samples = min(args.zipline_samples, 1)
        args.backtrader_samples = min(args.backtrader_samples, 1)
        args.serial_trials, args.off_trials = min(args.serial_trials, 4), min(args.off_trials, 2)
        args.bayes_trials = min(args.bayes_trials, 6)
        args.ray_trials = min(args.ray_trials, 6)
    samples = args.zipline_samples
    # data from 2017: the longest window (240 sessions) is full from the first simulated session
    bundle = build_bundle(root, N_ASSETS, "2017-01-03", end, "opt-dma")
    n_sessions = len(bundle.sessions[bundle.sessions >= pd.Timestamp(DMA_START)])
    load = os.getloadavg()[0]
    report.text(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at the start.")
    report.data.update(cpus=os.cpu_count(), load_average=load, quick=args.quick,
                       assets=N_ASSETS, start=DMA_START, end=end, sessions=n_sessions,
                       trials=n_trials or 100)

    report.log("the grid through the engine: process pool, serial, flags off, Ray ...")
    rows = engine_grid(report, root, end, n_trials, args.serial_trials, args.off_trials,
                       args.ray_trials)
    full = rows["processes x2"]
    per100 = engine_table(report, rows, (
        f"Workload 2: the dual MA grid through the engine, {N_ASSETS} assets, {DMA_START}..{end} "
        f"(~{n_sessions} sessions), {n_trials or 100} trials"))
    over = trial_overhead(root, end, 3 if args.quick else 5)
    checks_table(report, rows, per100, over)

    bayes_text(report, bayes_to_grid_best(root, end, full["frame"]["sharpe"].max(),
                                          args.bayes_trials), full)
    if args.no_zipline:
        zl = None
        report.text("zipline-reloaded: not run (--no-zipline).")
    else:
        report.log("zipline-reloaded on sampled grid points ...")
        zl = zipline_sample(root, bundle, end, samples)
        if zl is None:
            report.text("zipline-reloaded: not installed, not run.")
    if args.no_rivals:
        bt = vb = None
        report.text("backtrader and vectorbt: not run (--no-rivals; the suite's --quick leaves "
                    "them to the full run).")
    else:
        bt, vb = rivals(report, bundle, end, args.backtrader_samples)
    rivals_table(report, per100, zl, samples, bt, vb)

    report.log("\nthe same grid as a function over a Polars frame ...")
    table = report.table("function", FUNCTION_COLUMNS, title=(
        f"Workload 1: the same 100 pairs as f(params, polars frame), {N_ASSETS} assets"),
        note="Seconds for the 100 pairs, naive per-call filtering against pre-grouped arrays.")
    for years in (1,) if args.quick else (1, 5, 10):
        t = function_grid(years)
        table.add(years=years, naive_s=t["naive"], grouped_s=t["grouped"],
                  ratio=t["naive"] / t["grouped"])
    report.text("Identical results of the naive and the pre-grouped function at every size: "
                "yes.")
    emit(report, args)


if __name__ == "__main__":
    main()
