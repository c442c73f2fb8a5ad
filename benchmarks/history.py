"""Benchmark: rustybt's ArrowDataPortal against zipline-reloaded's DataPortal, in one process.

Both portals read the same synthetic bundle (zipline's side is written from it with zipline's
own bcolz/SQLite writers by ``rustybt.compat.zipline.reference.build_zipline_world``). Every
figure is the median over repeats of the mean per-call time of a batch of calls; ratios are
zipline / rustybt from the same run.

    .venv/bin/python benchmarks/history.py --quick          # ~1-2 minutes
    .venv/bin/python benchmarks/history.py                  # the figures in docs/performance

Options set the sizes (``--assets``, ``--years``, ``--minute-assets``, ``--minute-sessions``);
``--no-zipline`` times rustybt alone. Output (``rustybt.benchmarking.tables``): the table on the
console; ``--json``, ``--markdown`` and ``--update-doc FILE`` (between
``<!-- BENCHMARK:history:START/END -->``, or ``--marker NAME``) as every script has.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _timing import per_call_us  # noqa: E402

from rustybt import ArrowDataPortal, HistoryCache, ingest, register  # noqa: E402
from rustybt.benchmarking.tables import (  # noqa: E402
    Column,
    ScriptReport,
    add_output_flags,
    emit,
)
from rustybt.data.bundles.sources.synthetic import synthetic_ingest  # noqa: E402

TARGETS_US = {  # daily medians from the issue
    "array 1 asset close n=20 forward": 1.5,
    "array 10 assets close n=20 forward": 6.0,
    "dataframe 10 assets close n=20 forward": 30.0,
    "spot close": 1.0,
}


def _target(target: float, row: dict[str, Any]) -> str:
    return f"≤ {target:g} µs: " + ("met" if row["rustybt"] <= target else "missed")


COLUMNS = [
    Column("case", "case", width=52),
    Column("rustybt", "rustybt", "{value:,.2f} {row[unit]}", "right", width=12),
    Column("zipline", "zipline", "{value:,.1f} {row[unit]}", "right", width=12),
    Column("ratio", "zipline / rustybt", lambda v, _: f"{v:,.0f}×", "right"),
    Column("target", "target", _target, missing=""),
]


class HistoryTable:
    """Rows of (case, rustybt, zipline, ratio, target) of the report, printed as they come."""

    def __init__(self, report: ScriptReport) -> None:
        self.report = report
        self.table = report.table("history", COLUMNS)

    def add(self, case: str, ours: float, theirs: float | None = None, unit: str = "µs") -> None:
        ratio = None if theirs is None else theirs / ours
        self.table.add(case=case, rustybt=ours, zipline=theirs, ratio=ratio,
                       target=TARGETS_US.get(case), unit=unit)


def _ingest(root: Path, name: str, **params: Any) -> Any:
    register(name, synthetic_ingest(**params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ingest(name, root=root)


def _zipline_world(bundle: Any, path: Path) -> Any:
    from rustybt.compat.zipline.reference import build_zipline_world, zipline_available

    if not zipline_available():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_zipline_world(bundle, path)


_OPEN = textwrap.dedent("""
    import sys, time, warnings
    warnings.simplefilter("ignore")
    import numpy as np, pandas as pd, pyarrow as pa
    from rustybt.data.bundles import Bundle
    from rustybt import ArrowDataPortal
    t0 = time.perf_counter()
    p = ArrowDataPortal(Bundle(sys.argv[1]))
    t1 = time.perf_counter()
    p.history(0, "close", 20, return_type="array")
    t2 = time.perf_counter()
    print((t1 - t0) * 1e3, (t2 - t0) * 1e3)
""")

_ZOPEN = textwrap.dedent("""
    import sys, time, warnings
    warnings.simplefilter("ignore")
    import pandas as pd
    from zipline.assets import AssetFinder
    from zipline.data.adjustments import SQLiteAdjustmentReader
    from zipline.data.bcolz_daily_bars import BcolzDailyBarReader
    from zipline.data.data_portal import DataPortal
    from zipline.assets.asset_db_schema import ASSET_DB_VERSION
    from zipline.utils.calendar_utils import get_calendar
    cal = get_calendar(sys.argv[2])
    t0 = time.perf_counter()
    d = sys.argv[1]
    finder = AssetFinder(f"{d}/assets-{ASSET_DB_VERSION}.sqlite")
    daily = BcolzDailyBarReader(f"{d}/daily_equities.bcolz")
    adj = SQLiteAdjustmentReader(f"{d}/adjustments.sqlite")
    p = DataPortal(finder, cal, daily.first_trading_day, equity_daily_reader=daily,
                   adjustment_reader=adj)
    t1 = time.perf_counter()
    print((t1 - t0) * 1e3)
""")


def _fresh_open_ms(script: str, *args: str, runs: int = 5) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                             text=True, env=env, check=True).stdout.split()
        times.append(float(out[0]))
    return statistics.median(times)


def daily_cases(table: HistoryTable, p: ArrowDataPortal, zw: Any, repeats: int, batch: int,
                zbatch: int, rng: np.random.Generator) -> None:
    sessions = p.sessions
    finder = p.asset_finder
    sids = list(finder.sids)
    ten = [finder.retrieve_asset(s) for s in sids[:10]]
    one = ten[0]
    zten = zw.assets([a.sid for a in ten]) if zw is not None else None
    zp = zw.data_portal if zw is not None else None

    def ends(kind: str, n: int, count: int) -> list[pd.Timestamp]:
        lo = n + 1
        if kind == "forward":
            start = int(rng.integers(lo, len(sessions) - count)) if len(sessions) - count > lo \
                else lo
            return [sessions[min(start + i, len(sessions) - 1)] for i in range(count)]
        return [sessions[int(i)] for i in rng.integers(lo, len(sessions), count)]

    for n in (20, 50, 200):
        for kind in ("forward", "random"):
            e = ends(kind, n, batch)
            ze = e[:zbatch]
            ours = per_call_us(lambda dt, n=n: p.history(one, "close", n, end_dt=dt,
                                                         return_type="array"),
                               [(d,) for d in e], repeats)
            theirs = None if zp is None else per_call_us(
                lambda dt, n=n: zp.get_history_window(zten[:1], dt, n, "1d", "close", "daily"),
                [(d,) for d in ze], repeats)
            table.add(f"array 1 asset close n={n} {kind}", ours, theirs)
            ours = per_call_us(lambda dt, n=n: p.history(ten, "close", n, end_dt=dt,
                                                         return_type="array"),
                               [(d,) for d in e], repeats)
            theirs = None if zp is None else per_call_us(
                lambda dt, n=n: zp.get_history_window(zten, dt, n, "1d", "close", "daily"),
                [(d,) for d in ze], repeats)
            table.add(f"array 10 assets close n={n} {kind}", ours, theirs)
            if n == 20 or kind == "random":
                ours = per_call_us(lambda dt, n=n: p.history(ten, "close", n, end_dt=dt),
                                   [(d,) for d in e], repeats)
                table.add(f"dataframe 10 assets close n={n} {kind}", ours, theirs)
    e = ends("forward", 50, batch)
    ze = e[:zbatch]
    theirs = None if zp is None else per_call_us(
        lambda dt: zp.get_history_window(zten, dt, 50, "1d", "price", "daily"),
        [(d,) for d in ze], repeats)
    table.add("dataframe 10 assets price n=50 forward (adjusted)",
              per_call_us(lambda dt: p.history(ten, "price", 50, end_dt=dt), [(d,) for d in e],
                          repeats), theirs)
    table.add("array 10 assets price n=50 forward (adjusted)",
              per_call_us(lambda dt: p.history(ten, "price", 50, end_dt=dt,
                                               return_type="array"), [(d,) for d in e],
                          repeats), theirs)
    adjusted = [a for a in (finder.retrieve_asset(s) for s in sids) if a.sid % 4 == 0][:1]
    if adjusted:
        a = adjusted[0]
        table.add("array 1 asset price n=200 random (split+divs)",
                  per_call_us(lambda dt: p.history(a, "price", 200, end_dt=dt,
                                                   return_type="array"),
                              [(d,) for d in ends("random", 200, batch)], repeats))
    spots = [(ten[int(i)], sessions[int(j)]) for i, j in
             zip(rng.integers(0, 10, batch), rng.integers(0, len(sessions), batch), strict=True)]
    zspots = None if zten is None else [(zten[ten.index(a)], d) for a, d in spots[:zbatch * 5]]
    for field in ("close", "price"):
        ours = per_call_us(lambda a, d, f=field: p.get_spot_value(a, f, d, "daily"), spots,
                           repeats)
        theirs = None if zp is None else per_call_us(
            lambda a, d, f=field: zp.get_spot_value(a, f, d, "daily"), zspots, repeats)
        table.add(f"spot {field}", ours, theirs)


def minute_cases(table: HistoryTable, p: ArrowDataPortal, zw: Any, repeats: int, batch: int,
                 zbatch: int, rng: np.random.Generator) -> None:
    p.store("minute")
    minutes = p.calendar_index.minutes
    assert minutes is not None
    finder = p.asset_finder
    ten = [finder.retrieve_asset(s) for s in list(finder.sids)[:10]]
    zten = zw.assets([a.sid for a in ten]) if zw is not None else None
    zp = zw.data_portal if zw is not None else None
    n_days = 20 if len(minutes) > 45 * 390 else 5
    lo = (n_days + 1) * 390
    ends = [pd.Timestamp(int(minutes[i]), tz="UTC") for i in rng.integers(lo, len(minutes), batch)]
    start = int(rng.integers(lo, len(minutes) - batch))
    fwd = [pd.Timestamp(int(m), tz="UTC") for m in minutes[start : start + batch]]
    for n, kind, e in ((60, "random", ends), (390, "random", ends), (60, "forward", fwd)):
        ze = e[:zbatch]
        table.add(f"minute: array 1 asset close n={n} {kind}",
                  per_call_us(lambda dt, n=n: p.history(ten[0], "close", n, "1m", end_dt=dt,
                                                        return_type="array"),
                              [(d,) for d in e], repeats),
                  None if zp is None else per_call_us(
                      lambda dt, n=n: zp.get_history_window(zten[:1], dt, n, "1m", "close",
                                                            "minute"),
                      [(d,) for d in ze], repeats))
        table.add(f"minute: dataframe 10 assets close n={n} {kind}",
                  per_call_us(lambda dt, n=n: p.history(ten, "close", n, "1m", end_dt=dt),
                              [(d,) for d in e], repeats),
                  None if zp is None else per_call_us(
                      lambda dt, n=n: zp.get_history_window(zten, dt, n, "1m", "close",
                                                            "minute"),
                      [(d,) for d in ze], repeats))
    ze = fwd[:zbatch]
    table.add(f"minute: '1d' 10 assets price n={n_days} forward (partial day)",
              per_call_us(lambda dt: p.history(ten, "price", n_days, "1d", end_dt=dt,
                                               data_frequency="minute"),
                          [(d,) for d in fwd], repeats),
              None if zp is None else per_call_us(
                  lambda dt: zp.get_history_window(zten, dt, n_days, "1d", "price", "minute"),
                  [(d,) for d in ze], repeats))
    spots = [(ten[int(i)], d) for i, d in zip(rng.integers(0, 10, batch), ends, strict=True)]
    zspots = None if zten is None else [(zten[ten.index(a)], d) for a, d in spots]
    table.add("minute: spot close",
              per_call_us(lambda a, d: p.get_spot_value(a, "close", d, "minute"), spots,
                          repeats),
              None if zp is None else per_call_us(
                  lambda a, d: zp.get_spot_value(a, "close", d, "minute"), zspots, repeats))


def cache_cases(table: HistoryTable, bundle: Any, repeats: int, batch: int,
                rng: np.random.Generator) -> dict[str, Any]:
    """Repeated passes over the same windows (an optimizer's parameter sweep), with and
    without HistoryCache, plus a single pass where the cache can only add overhead."""
    plain = ArrowDataPortal(bundle)
    sessions = plain.sessions
    finder = plain.asset_finder
    ten = [finder.retrieve_asset(s) for s in list(finder.sids)[:10]]
    start = int(rng.integers(201, max(202, len(sessions) - batch)))
    walk = [(sessions[min(start + i, len(sessions) - 1)],) for i in range(batch)]
    out: dict[str, Any] = {}
    for label, field, rt in (("dataframe price n=50", "price", "dataframe"),
                             ("array price n=50", "price", "array")):
        def run(p: ArrowDataPortal, dt: pd.Timestamp, field: str = field,
                rt: str = rt) -> Any:
            return p.history(ten, field, 50, end_dt=dt, return_type=rt)

        uncached = per_call_us(lambda dt: run(plain, dt), walk, repeats)
        cache = HistoryCache()
        cached_p = ArrowDataPortal(bundle, cache=cache)
        for (dt,) in walk:  # first pass fills the cache (the sweep's first backtest)
            run(cached_p, dt)
        cached = per_call_us(lambda dt, cp=cached_p: run(cp, dt), walk, repeats)
        gain = (uncached - cached) / uncached
        table.add(f"cache: repeated {label}, uncached", uncached)
        table.add(f"cache: repeated {label}, cached (hit rate {cache.hit_rate:.0%})", cached)
        samples = []
        for _ in range(repeats):  # a single pass: every call misses a fresh cache
            cold_p = ArrowDataPortal(bundle, cache=HistoryCache())
            t0 = time.perf_counter_ns()
            for (dt,) in walk:
                run(cold_p, dt)
            samples.append((time.perf_counter_ns() - t0) / len(walk) / 1000.0)
        single = statistics.median(samples)
        table.add(f"cache: single pass {label}, cached (all misses)", single)
        verdict = "YES" if gain >= 0.05 else "NO"
        table.report.log(f"  -> HistoryCache beats the uncached path by >=5% on repeated "
                         f"{label}: {verdict} ({gain:+.0%}); on a single pass it costs "
                         f"{(single - uncached) / uncached:+.0%}")
        out[label] = {"gain": gain, "beats_5pct": gain >= 0.05,
                      "single_pass_overhead": (single - uncached) / uncached}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    ap.add_argument("--assets", type=int, default=None, help="daily assets (default 500)")
    ap.add_argument("--years", type=float, default=None, help="daily years (default 10)")
    ap.add_argument("--minute-assets", type=int, default=None, help="minute assets (50)")
    ap.add_argument("--minute-sessions", type=int, default=None,
                    help="minute bundle length in sessions (default 63, a quarter)")
    ap.add_argument("--no-zipline", action="store_true", help="time rustybt only")
    ap.add_argument("--no-minute", action="store_true", help="skip the minute bundle")
    ap.add_argument("--root", type=Path, default=None, help="work dir (default: a temp dir)")
    add_output_flags(ap, "history")
    args = ap.parse_args(argv)
    report = ScriptReport("history")
    log = report.log
    q = args.quick
    n_assets = args.assets or (50 if q else 500)
    years = args.years or (2.0 if q else 10.0)
    m_assets = args.minute_assets or (10 if q else 50)
    m_sessions = args.minute_sessions or (20 if q else 63)
    repeats, batch, zbatch = (3, 200, 20) if q else (9, 2000, 200)
    rng = np.random.default_rng(42)
    root = args.root or Path(tempfile.mkdtemp(prefix="rustybt-bench-"))
    log(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}; "
        f"work dir {root}")
    t0 = time.perf_counter()
    daily = _ingest(root, "bench_daily", n_assets=n_assets, years=years)
    log(f"daily bundle: {n_assets} assets x {years:g} years, ingest "
        f"{time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    p = ArrowDataPortal(daily)
    size = p.store("daily").path.stat().st_size / 2**20
    log(f"daily store built in {time.perf_counter() - t0:.2f} s ({size:.0f} MB)")
    zw = None
    if not args.no_zipline:
        t0 = time.perf_counter()
        zw = _zipline_world(daily, root / "zipline_daily")
        log("zipline world: " + ("not installed" if zw is None else
                                 f"written in {time.perf_counter() - t0:.1f} s"))
    log()
    table = HistoryTable(report)
    daily_cases(table, p, zw, repeats, batch, zbatch, rng)
    opens = 3 if q else 5  # fresh processes per side (each imports rustybt or zipline)
    ours = _fresh_open_ms(_OPEN, str(daily.path), runs=opens)
    theirs = None
    if zw is not None:
        theirs = _fresh_open_ms(_ZOPEN, str(zw.path), daily.calendar_name, runs=opens)
    table.add(f"open portal in a fresh process (ms, after imports; median of {opens})", ours,
              theirs, unit="ms")
    cache = cache_cases(table, daily, repeats, min(batch, 500), rng)
    if not args.no_minute:
        years_m = m_sessions / 252.0
        t0 = time.perf_counter()
        mb = _ingest(root, "bench_minute", n_assets=m_assets, years=years_m, minute=True)
        log(f"\nminute bundle: {m_assets} assets x {m_sessions} sessions, ingest "
            f"{time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        mp = ArrowDataPortal(mb)
        mp.store("minute")
        msize = mp.store("minute").path.stat().st_size / 2**20
        log(f"minute store built in {time.perf_counter() - t0:.2f} s ({msize:.0f} MB)")
        mzw = None
        if not args.no_zipline:
            t0 = time.perf_counter()
            mzw = _zipline_world(mb, root / "zipline_minute")
            if mzw is not None:
                log(f"zipline minute world written in {time.perf_counter() - t0:.1f} s")
        minute_cases(table, mp, mzw, repeats, min(batch, 1000), zbatch, rng)
    report.data["cache"] = cache
    emit(report, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
