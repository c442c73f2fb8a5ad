"""Benchmark: whole backtests in rustybt's engine and in zipline-reloaded, side by side.

Workloads (each engine in its own fresh process, so peak RSS is honest; the strategies are in
``bt_strategies.py``, one definition run by both engines):

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

zipline's world (bcolz) is written once per bundle version into ``--zipline-cache`` (default:
under ``--root``; :func:`rustybt.compat.zipline.world_cache.cached_zipline_world`) and opened
by every zipline process, outside what is timed; peak RSS is counted from the start of the
first backtest of a process (Linux: the peak is reset there), so writing the world is not in
zipline's figure.

    .venv/bin/python benchmarks/backtest.py --quick     # ~1-2 minutes: 1 year, 1 repeat
    .venv/bin/python benchmarks/backtest.py             # the figures of the engine issue

Output (``rustybt.benchmarking.tables``; built in ``bt_tables.py``): one report ``backtest``
whose tables are the engines of each workload (``dma``, ``rebalance``, ``minute``) and the
cProfile table (``profile``); the identical-transactions verdicts, framework : strategy and
time per bar are text paragraphs (the verdicts also in ``data.identical_transactions``).
``--json``, ``--markdown`` and ``--update-doc FILE`` (between
``<!-- BENCHMARK:backtest:START/END -->``, or ``--marker NAME``) as every script has. Exit
status 1 when an engine's transactions differ from rustybt (array)'s (after writing the
report, which names the first difference).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from bt_strategies import STRATEGIES, Clock  # noqa: E402
from bt_tables import (  # noqa: E402
    engines_table,
    overhead_text,
    profile_table,
    transactions_text,
)

from rustybt.benchmarking.tables import ScriptReport, add_output_flags, emit  # noqa: E402

DMA_START, DMA_END, DMA_END_QUICK = "2018-03-15", "2022-12-30", "2019-03-15"
MINUTE_START, MINUTE_END, MINUTE_END_QUICK = "2019-01-02", "2019-03-29", "2019-01-08"
PROFILE_TOP = 15


# -- data -----------------------------------------------------------------------------------
def build_bundle(root: Path, n_assets: int, start: str, end: str, name: str) -> Any:
    """A cent-precision random-walk bundle covering ``start``..``end`` plus 80 warm-up sessions."""
    from rustybt.calendars import covering_calendar
    from rustybt.testing import BundleSpec, make_bundle, walk_ohlcv
    from rustybt.testing.spec import session_span

    # rustybt's cached calendar (the one the engine asks for), not another exchange-calendars
    # build of its default 20 years
    cal = covering_calendar("XNYS", pd.Timestamp(start) - pd.Timedelta(200, "D"), end)
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


# -- one run in a fresh process ---------------------------------------------------------------
def _profile_rows(prof: cProfile.Profile) -> dict[str, Any]:
    """The profile's total and its top functions by own time, as JSON-ready rows."""
    from rustybt.benchmarking import top_functions, total_time

    stats = pstats.Stats(prof, stream=io.StringIO())
    return {"total_s": total_time(stats), "functions": [
        {"function": f.key[2], "location": f.location, "calls": f.calls_text,
         "own_s": f.own_time, "own_share": f.own_share, "cumulative_s": f.cumulative_time,
         "cumulative_share": f.cumulative_share}
        for f in top_functions(stats, PROFILE_TOP, by="own")]}


def worker(args: argparse.Namespace) -> None:
    """Run one engine once (and again, unless profiling); print a JSON line of measurements."""
    warnings.simplefilter("ignore")
    from rustybt import load

    bundle = load(args.name, root=args.root)
    make = STRATEGIES[args.workload]
    start, end = pd.Timestamp(args.start), pd.Timestamp(args.end)
    rt = None if args.return_type == "none" else args.return_type
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

        from rustybt.compat.zipline.world_cache import cached_zipline_world

        world = cached_zipline_world(bundle, args.zipline_cache)
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
    from rustybt.benchmarking.runner import _peak_rss, _reset_peak_rss

    Clock.history = Clock.strategy = 0.0
    reset = _reset_peak_rss()  # Linux: the peak from here on (module notes)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if args.profile:  # only the profile is used: no second run
        prof = cProfile.Profile()
        prof.runcall(run)
        print(json.dumps({"profile": _profile_rows(prof)}))
        return
    perf = run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    # the same backtest again in this process: what each trial of an optimization costs once
    # the process has built its calendar and mapped the bundle
    history, strategy = Clock.history, Clock.strategy
    Clock.history = Clock.strategy = 0.0
    warm0 = time.perf_counter()
    run()
    warm = time.perf_counter() - warm0
    txns = [(_when(d, t["dt"], args.frequency), int(getattr(t["sid"], "sid", t["sid"])),
             int(t["amount"]), round(float(t["price"]), 6))
            for d, day in perf["transactions"].items() for t in day]
    print(json.dumps({
        "wall": wall, "cpu": cpu, "history": history, "strategy": strategy,
        "warm": warm, "warm_history": Clock.history, "rss_mb": _peak_rss(reset) / 2**20,
        "sessions": len(perf), "transactions": txns,
        "bars": len(perf) * (1 if args.frequency == "daily" else 390),
    }))


def _when(session: Any, dt: Any, frequency: str) -> str:
    """A transaction's session (daily) or UTC minute (minute mode), as text."""
    if frequency == "daily":
        return str(pd.Timestamp(session).date())
    ts = pd.Timestamp(dt)
    return str(ts.tz_convert("UTC") if ts.tzinfo is not None else ts.tz_localize("UTC"))


def run_child(argv: list[str]) -> dict[str, Any]:
    """Run this script's worker mode in a fresh process; its JSON line."""
    out = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True,
                         check=False)
    if out.returncode:
        raise SystemExit(f"backtest worker {' '.join(argv)} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def spawn(args: argparse.Namespace, engine: str, return_type: str, workload: str,
          start: str, end: str, assets: int, name: str, profile: bool = False) -> dict[str, Any]:
    argv = ["--worker", "--engine", engine, "--return-type", return_type, "--workload",
            workload, "--start", start, "--end", end, "--assets", str(assets), "--name", name,
            "--root", str(args.root), "--zipline-cache", str(args.zipline_cache),
            "--frequency", "minute" if workload == "minute" else "daily"]
    return run_child([*argv, "--profile"] if profile else argv)


def median_runs(args: argparse.Namespace, *spec: Any) -> dict[str, Any]:
    runs = [spawn(args, *spec) for _ in range(args.repeats)]
    out = {k: statistics.median(r[k] for r in runs)
           for k in ("wall", "cpu", "history", "strategy", "rss_mb", "warm", "warm_history")}
    out["transactions"] = runs[0]["transactions"]
    out["bars"] = runs[0]["bars"]
    out["sessions"] = runs[0]["sessions"]
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1 year, 1 repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-zipline", action="store_true")
    p.add_argument("--zipline-rebalance", action="store_true")
    p.add_argument("--skip-rebalance", action="store_true")
    p.add_argument("--skip-minute", action="store_true")
    p.add_argument("--dma-end", default=None,
                   help=f"last session of the dma workload (default {DMA_END}; --quick "
                   f"{DMA_END_QUICK})")
    p.add_argument("--root", default=None)
    p.add_argument("--zipline-cache", type=Path, default=None,
                   help="folder of zipline worlds, one per bundle version, reused by later "
                   "runs (default: under --root)")
    add_output_flags(p, "backtest")
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    warnings.simplefilter("ignore")
    if args.quick:
        args.repeats = 1
    args.root = Path(args.root or tempfile.mkdtemp(prefix="rustybt-bt-"))
    args.zipline_cache = args.zipline_cache or args.root / "zipline-worlds"
    report = ScriptReport("backtest")
    load = os.getloadavg()[0]
    report.text(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at the start; "
                f"median of {args.repeats} fresh process(es) per engine.")
    report.data.update(cpus=os.cpu_count(), load_average=load, quick=args.quick,
                       repeats=args.repeats)
    same = dma_benchmark(report, args)
    if args.skip_rebalance:
        report.text("Monthly rebalance (500 assets, 10 years): not run (--skip-rebalance).")
    else:
        rebalance_benchmark(report, args)
    if not args.skip_minute:
        same = minute_benchmark(report, args) and same
    emit(report, args)
    if not same:
        print("backtest.py: an engine's transactions differ from rustybt (array)'s (the "
              "report's 'Identical transactions' paragraphs name the first difference)",
              file=sys.stderr)
        return 1
    return 0


def _zipline_baseline(args: argparse.Namespace) -> str | None:
    return None if args.no_zipline else "zipline-reloaded"


def dma_benchmark(report: ScriptReport, args: argparse.Namespace) -> bool:
    """The daily dual moving average, its profile; whether the transactions are identical."""
    end = args.dma_end or (DMA_END_QUICK if args.quick else DMA_END)
    build_bundle(args.root, 10, DMA_START, end, "bt-dma")
    spec = ("dma", DMA_START, end, 10, "bt-dma")
    rows = {"rustybt (array)": median_runs(args, "rustybt", "array", *spec),
            "rustybt (dataframe)": median_runs(args, "rustybt", "none", *spec)}
    if not args.no_zipline:
        rows["zipline-reloaded"] = median_runs(args, "zipline", "none", *spec)
    arr = rows["rustybt (array)"]
    engines_table(report, "dma", f"dual moving average 20/50, 10 assets, {DMA_START}..{end} "
                  f"({arr['sessions']} sessions, daily)", rows, _zipline_baseline(args))
    same = transactions_text(report, "dma", rows)
    overhead_text(report, arr, "session", arr["sessions"])
    prof = spawn(args, "rustybt", "array", *spec, profile=True)
    profile_table(report, prof["profile"], PROFILE_TOP)
    return same


def rebalance_benchmark(report: ScriptReport, args: argparse.Namespace) -> None:
    """Monthly rebalance of 500 assets (100 with --quick) over 10 years (1)."""
    years = 1 if args.quick else 10
    r_start, r_end = ("2021-01-04", "2021-12-31") if args.quick else ("2013-01-02",
                                                                       "2022-12-30")
    n = 100 if args.quick else 500
    build_bundle(args.root, n, r_start, r_end, "bt-rebalance")
    spec = ("rebalance", r_start, r_end, n, "bt-rebalance")
    rows = {"rustybt (array)": median_runs(args, "rustybt", "array", *spec)}
    if args.zipline_rebalance and not args.no_zipline:
        rows["zipline-reloaded"] = median_runs(args, "zipline", "none", *spec)
    engines_table(report, "rebalance", f"monthly rebalance, {n} assets, {years} years", rows,
                  "zipline-reloaded" if "zipline-reloaded" in rows else None)


def minute_benchmark(report: ScriptReport, args: argparse.Namespace) -> bool:
    """The minute variant: rustybt ('array', 'dataframe') and zipline, side by side; whether
    the transactions are identical."""
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
    engines_table(report, "minute", f"minute dual moving average 20/50, {n} assets, "
                  f"{MINUTE_START}..{end} ({arr['sessions']} sessions, {arr['bars']} minutes)",
                  rows, _zipline_baseline(args))
    same = transactions_text(report, "minute", rows)
    overhead_text(report, arr, "minute bar", arr["bars"])
    return same


if __name__ == "__main__":
    raise SystemExit(main())
