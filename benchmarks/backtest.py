"""Benchmark: whole backtests in rustybt's engine and in zipline-reloaded, side by side.

Workloads (each engine in its own fresh process, so peak RSS is honest):

- ``dma``: the dual moving average (20/50 sessions) on 10 assets, 2018-03-15..2022-12-30 daily,
  zero commission and zero slippage: rustybt with ``history(..., return_type='array')``,
  rustybt with DataFrames (zipline's shapes), zipline-reloaded on its own bcolz world built
  from the same bundle. The script checks the three runs made identical transactions.
- ``rebalance``: 500 assets, 10 years, monthly rebalance to equal weights of the 50 assets with
  the best 60-session momentum (rustybt only; ``--zipline-rebalance`` adds zipline: slow).
- ``minute``: the dual moving average (20/50 minutes) in minute mode on 5 assets over one
  quarter (2019 Q1; ``--quick``: 3 assets, its first 5 sessions): every minute reads 50 minute bars,
  an asset is bought or sold when its signal flips; rustybt ('array', 'dataframe') and
  zipline-reloaded, with the same identical-transaction check.

Per run: wall and CPU seconds, seconds inside ``data.history``, seconds in the strategy's own
arithmetic, peak RSS; then ratios (zipline / rustybt) and, for rustybt 'array', a cProfile
table of where the framework's time goes and the framework : strategy ratio (the PRD's
overhead:computation, 74:1 in its baseline, target < 5:1).

    .venv/bin/python benchmarks/backtest.py --quick     # ~1-2 minutes: 1 year, 1 repeat
    .venv/bin/python benchmarks/backtest.py             # the figures of the engine issue
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
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

DMA_START, DMA_END = "2018-03-15", "2022-12-30"
MINUTE_START, MINUTE_END, MINUTE_END_QUICK = "2019-01-02", "2019-03-29", "2019-01-08"


# -- data -----------------------------------------------------------------------------------
def build_bundle(root: Path, n_assets: int, start: str, end: str, name: str) -> Any:
    """A cent-precision random-walk bundle covering ``start``..``end`` plus 80 warm-up sessions."""
    import exchange_calendars as xcals

    from rustybt.testing import BundleSpec, make_bundle, walk_ohlcv
    from rustybt.testing.spec import session_span

    cal = xcals.get_calendar("XNYS")
    first = cal.sessions_window(pd.Timestamp(start), -81)[0]
    n = len(cal.sessions_in_range(first, pd.Timestamp(end)))
    sessions = session_span(n, first, "XNYS")
    rng = np.random.default_rng(7)
    daily = {}
    for sid in range(n_assets):
        frame = walk_ohlcv(rng, n, 20.0 + (sid % 50) * 4)
        for col in ("open", "high", "low", "close"):
            frame[col] = frame[col].round(2)
        cols = ["open", "high", "low", "close"]
        frame["high"] = frame[cols].max(axis=1)
        frame["low"] = frame[cols].min(axis=1)
        frame.insert(0, "date", sessions)
        daily[sid] = frame
    return make_bundle(root, BundleSpec.from_bars(daily), name=name)


def build_minute_bundle(root: Path, n_assets: int, start: str, end: str, name: str) -> Any:
    """Minute bars (a cent-precision walk, every minute traded) for ``start``..``end`` plus
    two warm-up sessions, and their daily aggregates."""
    from rustybt.calendars import get_calendar
    from rustybt.testing import BundleSpec, make_bundle

    cal = get_calendar("XNYS", start="2018-12-01", end="2019-12-31")
    first = cal.sessions_window(pd.Timestamp(start), -3)[0]
    sessions = cal.sessions_in_range(first, pd.Timestamp(end))
    rng = np.random.default_rng(11)
    minute, daily = {}, {}
    for sid in range(n_assets):
        level, frames, days = 30.0 + 20 * sid, [], []
        for day in sessions:
            mins = cal.session_minutes(day)
            close = np.round(level * np.exp(np.cumsum(rng.normal(0, 0.0015, len(mins)))), 2)
            level = float(close[-1])
            open_ = np.concatenate([[close[0]], close[:-1]])
            volume = rng.integers(500, 30_000, len(mins))
            frames.append(pd.DataFrame({"dt": mins, "open": open_,
                                        "high": np.maximum(open_, close) + 0.01,
                                        "low": np.minimum(open_, close) - 0.01,
                                        "close": close, "volume": volume}))
            f = frames[-1]
            days.append((day.tz_localize(None) if day.tzinfo else day, f["open"].iloc[0],
                         f["high"].max(), f["low"].min(), f["close"].iloc[-1],
                         int(f["volume"].sum())))
        minute[sid] = pd.concat(frames, ignore_index=True)
        daily[sid] = pd.DataFrame(days, columns=["date", "open", "high", "low", "close",
                                                 "volume"])
    return make_bundle(root, BundleSpec.from_bars(daily, minute=minute), name=name)


# -- strategies (one definition, run by both engines) -----------------------------------------
class Clock:
    """Seconds spent in history() and in the strategy's own arithmetic."""

    history = 0.0
    strategy = 0.0


def dma(api: Any, n_assets: int, return_type: str | None) -> tuple[Any, Any]:
    """initialize/handle_data of the 20/50 dual moving average."""
    perf = time.perf_counter

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(n_assets)]
        api.set_commission(api.commission.PerShare(cost=0.0))
        api.set_slippage(api.slippage.FixedSlippage(spread=0.0))

    def handle_data(context: Any, data: Any) -> None:
        t0 = perf()
        if return_type is None:
            hist = data.history(context.assets, "price", 50, "1d")
        else:
            hist = data.history(context.assets, "price", 50, "1d", return_type=return_type)
        t1 = perf()
        if return_type == "array":
            long_ = hist.mean(axis=0)
            short = hist[-20:].mean(axis=0)
            longs = short > long_
            t2 = perf()
            weight = 1.0 / len(context.assets)
            for j, asset in enumerate(context.assets):
                api.order_target_percent(asset, weight if longs[j] else 0.0)
        else:
            long_s = hist.mean()
            short_s = hist.iloc[-20:].mean()
            longs_s = short_s > long_s
            t2 = perf()
            weight = 1.0 / len(context.assets)
            for asset in context.assets:
                api.order_target_percent(asset, weight if longs_s[asset] else 0.0)
        Clock.history += t1 - t0
        Clock.strategy += t2 - t1

    return initialize, handle_data


def rebalance(api: Any, n_assets: int, return_type: str | None) -> tuple[Any, Any]:
    """Monthly: hold the 50 best 60-session momentum assets, equal weight."""
    perf = time.perf_counter

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(n_assets)]
        api.set_commission(api.commission.PerShare(cost=0.0))
        api.set_slippage(api.slippage.FixedSlippage(spread=0.0))
        api.schedule_function(monthly, api.date_rules.month_start())

    def monthly(context: Any, data: Any) -> None:
        t0 = perf()
        kw = {} if return_type is None else {"return_type": return_type}
        hist = data.history(context.assets, "price", 61, "1d", **kw)
        t1 = perf()
        values = np.asarray(hist)
        momentum = values[-1] / values[0] - 1.0
        keep = set(np.argsort(-momentum)[:50].tolist())
        t2 = perf()
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 1.0 / 50 if j in keep else 0.0)
        Clock.history += t1 - t0
        Clock.strategy += t2 - t1

    return initialize, None


def dma_minute(api: Any, n_assets: int, return_type: str | None) -> tuple[Any, Any]:
    """The 20/50 dual moving average on minute bars; orders only when an asset's signal flips."""
    perf = time.perf_counter

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(n_assets)]
        context.long = [None] * n_assets
        api.set_commission(api.commission.PerShare(cost=0.0))
        api.set_slippage(api.slippage.FixedSlippage(spread=0.0))

    def handle_data(context: Any, data: Any) -> None:
        t0 = perf()
        if return_type is None:
            hist = data.history(context.assets, "price", 50, "1m")
        else:
            hist = data.history(context.assets, "price", 50, "1m", return_type=return_type)
        t1 = perf()
        values = hist if return_type == "array" else hist.to_numpy()
        longs = (values[-20:].mean(axis=0) > values.mean(axis=0)).tolist()
        t2 = perf()
        weight = 1.0 / len(context.assets)
        for j, asset in enumerate(context.assets):
            if longs[j] != context.long[j]:
                context.long[j] = longs[j]
                api.order_target_percent(asset, weight if longs[j] else 0.0)
        Clock.history += t1 - t0
        Clock.strategy += t2 - t1

    return initialize, handle_data


STRATEGIES = {"dma": dma, "rebalance": rebalance, "minute": dma_minute}


# -- one run in a fresh process ---------------------------------------------------------------
def worker(args: argparse.Namespace) -> None:
    """Run one engine once; print a JSON line with the measurements."""
    warnings.simplefilter("ignore")
    from rustybt import load

    bundle = load(args.name, root=args.root)
    make = STRATEGIES[args.workload]
    start, end = pd.Timestamp(args.start), pd.Timestamp(args.end)
    rt = None if args.return_type == "none" else args.return_type
    profile_text = ""
    if args.engine == "rustybt":
        import rustybt.api as api
        from rustybt import ArrowDataPortal, run_algorithm

        portal = ArrowDataPortal(bundle)
        init, handle = make(api, args.assets, rt)
        run = lambda: run_algorithm(start, end, init, handle, capital_base=1e6,  # noqa: E731
                                    data_portal=portal, data_frequency=args.frequency)
    else:
        import zipline.api as api
        from zipline.algorithm import TradingAlgorithm
        from zipline.finance.trading import SimulationParameters

        from rustybt.compat.zipline.reference import build_zipline_world

        # a fresh directory per process: zipline's writers refuse an existing world
        world = build_zipline_world(
            bundle, Path(args.root) / f"zipline-{args.workload}-{os.getpid()}")
        init, handle = make(api, args.assets, None)
        sessions = world.calendar.sessions_in_range(start, end)
        bench = pd.Series(0.0, index=pd.DatetimeIndex(sessions).tz_localize("UTC"))

        def run() -> Any:
            params = SimulationParameters(start_session=start, end_session=end,
                                          trading_calendar=world.calendar, capital_base=1e6,
                                          data_frequency=args.frequency,
                                          emission_rate="daily")
            algo = TradingAlgorithm(sim_params=params, data_portal=world.data_portal,
                                    trading_calendar=world.calendar, initialize=init,
                                    handle_data=handle, benchmark_returns=bench)
            return algo.run()
    Clock.history = Clock.strategy = 0.0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if args.profile:
        prof = cProfile.Profile()
        perf = prof.runcall(run)
        stream = io.StringIO()
        pstats.Stats(prof, stream=stream).sort_stats("tottime").print_stats(15)
        profile_text = stream.getvalue()
    else:
        perf = run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    # the same backtest again in this process: what each trial of an optimization costs once
    # the process has built its calendar and mapped the bundle
    history, strategy = Clock.history, Clock.strategy
    Clock.history = Clock.strategy = 0.0
    warm0 = time.perf_counter()
    run()
    warm = time.perf_counter() - warm0
    warm_history = Clock.history
    Clock.history, Clock.strategy = history, strategy
    txns = [(_when(d, t["dt"], args.frequency), int(getattr(t["sid"], "sid", t["sid"])),
             int(t["amount"]), round(float(t["price"]), 6))
            for d, day in perf["transactions"].items() for t in day]
    print(json.dumps({
        "wall": wall, "cpu": cpu, "history": Clock.history, "strategy": Clock.strategy,
        "warm": warm, "warm_history": warm_history,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sessions": len(perf), "transactions": txns, "profile": profile_text,
        "bars": len(perf) * (1 if args.frequency == "daily" else 390),
    }))


def _when(session: Any, dt: Any, frequency: str) -> str:
    """A transaction's session (daily) or UTC minute (minute mode), as text."""
    if frequency == "daily":
        return str(pd.Timestamp(session).date())
    ts = pd.Timestamp(dt)
    return str(ts.tz_convert("UTC") if ts.tzinfo is not None else ts.tz_localize("UTC"))


def spawn(args: argparse.Namespace, engine: str, return_type: str, workload: str,
          start: str, end: str, assets: int, name: str, profile: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", "--engine", engine, "--return-type",
           return_type, "--workload", workload, "--start", start, "--end", end,
           "--assets", str(assets), "--name", name, "--root", str(args.root),
           "--frequency", "minute" if workload == "minute" else "daily"]
    if profile:
        cmd.append("--profile")
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{engine} run failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def median_runs(args: argparse.Namespace, *spec: Any) -> dict[str, Any]:
    runs = [spawn(args, *spec) for _ in range(args.repeats)]
    out = {k: statistics.median(r[k] for r in runs)
           for k in ("wall", "cpu", "history", "strategy", "rss_mb", "warm", "warm_history")}
    out["transactions"] = runs[0]["transactions"]
    out["bars"] = runs[0]["bars"]
    out["sessions"] = runs[0]["sessions"]
    return out


def report(label: str, rows: dict[str, dict[str, Any]], baseline: str | None) -> None:
    print(f"\n## {label}\n")
    print("first: the first backtest in a fresh process; again: the same backtest run again in\n"
          "that process (an optimizer's trials); ratios are zipline / rustybt\n")
    print(f"{'engine':<22}{'first s':>9}{'cpu s':>8}{'again s':>9}{'history s':>11}"
          f"{'strategy s':>12}{'RSS MB':>8}{'vs zipline':>12}{'again vs':>10}")
    base = rows.get(baseline) if baseline else None
    for name, r in rows.items():
        ratio = f"{base['wall'] / r['wall']:.1f}x" if base is not None else "-"
        again = f"{base['warm'] / r['warm']:.1f}x" if base is not None else "-"
        print(f"{name:<22}{r['wall']:>9.3f}{r['cpu']:>8.3f}{r['warm']:>9.3f}"
              f"{r['warm_history']:>11.3f}{r['strategy']:>12.4f}{r['rss_mb']:>8.0f}{ratio:>12}"
              f"{again:>10}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1 year, 1 repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-zipline", action="store_true")
    p.add_argument("--zipline-rebalance", action="store_true")
    p.add_argument("--skip-rebalance", action="store_true")
    p.add_argument("--skip-minute", action="store_true")
    p.add_argument("--root", default=None)
    # worker mode
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--engine", default="rustybt", help=argparse.SUPPRESS)
    p.add_argument("--return-type", default="array", help=argparse.SUPPRESS)
    p.add_argument("--workload", default="dma", help=argparse.SUPPRESS)
    p.add_argument("--start", default=DMA_START, help=argparse.SUPPRESS)
    p.add_argument("--end", default=DMA_END, help=argparse.SUPPRESS)
    p.add_argument("--assets", type=int, default=10, help=argparse.SUPPRESS)
    p.add_argument("--name", default="bt-dma", help=argparse.SUPPRESS)
    p.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--frequency", default="daily", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return
    warnings.simplefilter("ignore")
    if args.quick:
        args.repeats = 1
    args.root = Path(args.root or tempfile.mkdtemp(prefix="rustybt-bt-"))
    end = "2019-03-15" if args.quick else DMA_END
    build_bundle(args.root, 10, DMA_START, end, "bt-dma")
    rows = {
        "rustybt (array)": median_runs(args, "rustybt", "array", "dma", DMA_START, end, 10,
                                       "bt-dma"),
        "rustybt (dataframe)": median_runs(args, "rustybt", "none", "dma", DMA_START, end, 10,
                                           "bt-dma"),
    }
    if not args.no_zipline:
        rows["zipline-reloaded"] = median_runs(args, "zipline", "none", "dma", DMA_START, end,
                                               10, "bt-dma")
    same = {k: r["transactions"] == rows["rustybt (array)"]["transactions"]
            for k, r in rows.items()}
    report(f"dual moving average 20/50, 10 assets, {DMA_START}..{end} "
           f"({rows['rustybt (array)']['sessions']} sessions), median of {args.repeats}",
           rows, None if args.no_zipline else "zipline-reloaded")
    print(f"\nidentical transactions: {same}")
    prof = spawn(args, "rustybt", "array", "dma", DMA_START, end, 10, "bt-dma", profile=True)
    arr = rows["rustybt (array)"]
    framework = arr["wall"] - arr["strategy"]
    print(f"\nframework : strategy = {framework / max(arr['strategy'], 1e-9):.0f} : 1 "
          f"(strategy arithmetic {arr['strategy'] * 1e3:.1f} ms of {arr['wall']:.3f} s)")
    print(f"per session: {arr['wall'] / arr['sessions'] * 1e6:.0f} µs first run, "
          f"{arr['warm'] / arr['sessions'] * 1e6:.0f} µs again")
    print("\ncProfile of rustybt (array), top 15 by own time:\n")
    print("\n".join(prof["profile"].splitlines()[:40]))
    if not args.skip_rebalance:
        years = 1 if args.quick else 10
        r_start = "2013-01-02" if not args.quick else "2021-01-04"
        r_end = "2022-12-30" if not args.quick else "2021-12-31"
        n = 100 if args.quick else 500
        build_bundle(args.root, n, r_start, r_end, "bt-rebalance")
        rows2 = {"rustybt (array)": median_runs(args, "rustybt", "array", "rebalance", r_start,
                                                r_end, n, "bt-rebalance")}
        if args.zipline_rebalance and not args.no_zipline:
            rows2["zipline-reloaded"] = median_runs(args, "zipline", "none", "rebalance",
                                                    r_start, r_end, n, "bt-rebalance")
        report(f"monthly rebalance, {n} assets, {years} years", rows2,
               "zipline-reloaded" if "zipline-reloaded" in rows2 else None)
    if not args.skip_minute:
        minute_benchmark(args)


def minute_benchmark(args: argparse.Namespace) -> None:
    """The minute variant: rustybt ('array', 'dataframe') and zipline, side by side."""
    n = 3 if args.quick else 5
    end = MINUTE_END_QUICK if args.quick else MINUTE_END
    build_minute_bundle(args.root, n, MINUTE_START, end, "bt-minute")
    spec = ("minute", MINUTE_START, end, n, "bt-minute")
    rows = {
        "rustybt (array)": median_runs(args, "rustybt", "array", *spec),
        "rustybt (dataframe)": median_runs(args, "rustybt", "none", *spec),
    }
    if not args.no_zipline:
        rows["zipline-reloaded"] = median_runs(args, "zipline", "none", *spec)
    arr = rows["rustybt (array)"]
    report(f"minute dual moving average 20/50, {n} assets, {MINUTE_START}..{end} "
           f"({arr['sessions']} sessions, {arr['bars']} minutes), median of {args.repeats}",
           rows, None if args.no_zipline else "zipline-reloaded")
    same = {k: r["transactions"] == arr["transactions"] for k, r in rows.items()}
    print(f"\nidentical transactions: {same} ({len(arr['transactions'])} each)")
    print(f"per minute bar: {arr['wall'] / arr['bars'] * 1e6:.0f} µs first run, "
          f"{arr['warm'] / arr['bars'] * 1e6:.0f} µs again")


if __name__ == "__main__":
    main()
