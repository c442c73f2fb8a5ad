"""Benchmark: the DataPortal shim against zipline-reloaded's DataPortal, in one process.

One synthetic bundle; zipline's side is written from it with zipline's own bcolz/SQLite writers
(``rustybt.compat.zipline.reference.build_zipline_world``); the shim is built from rustybt's
Arrow readers over the same bundle (and, for the construction timings, from zipline's readers).
Figures: medians over repeats of the mean per-call time of a batch of calls, and ratios
zipline / shim measured in the same run. Then zipline's ``TradingAlgorithm`` runs the same
multi-asset strategy (``rustybt.compat.zipline.reference_algo``) with each portal: total time
and the share of it spent inside the portal's methods.

    .venv/bin/python benchmarks/compat.py --quick     # ~1 minute on 2 cores
    .venv/bin/python benchmarks/compat.py             # larger bundle, longer backtest

Target (issue 4): the shim's get_history_window ≥ 5× faster than zipline's with DataFrame output
and zipline's rounding.

Output (``rustybt.benchmarking.tables``): tables on the console; ``--json``, ``--markdown`` and
``--update-doc FILE`` (between ``<!-- BENCHMARK:compat:START/END -->``) as every script has.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402
from _timing import per_call_us  # noqa: E402

from rustybt import ingest, register, unregister  # noqa: E402
from rustybt.benchmarking.tables import (  # noqa: E402
    Column,
    ScriptReport,
    Table,
    add_output_flags,
    emit,
)
from rustybt.compat.zipline import ArrowDailyBarReader  # noqa: E402
from rustybt.compat.zipline.reference import build_zipline_world  # noqa: E402
from rustybt.compat.zipline.reference_algo import run_compat_algorithm  # noqa: E402
from rustybt.data import DataPortal  # noqa: E402
from rustybt.data.bundles.sources.synthetic import synthetic_ingest  # noqa: E402

TARGET_RATIO = 5.0


class TimedPortal:
    """Forwards every attribute to a portal, timing calls of its public methods."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._wrapped: dict[str, Any] = {}
        self.ns = 0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        wrapped = self._wrapped.get(name)
        if wrapped is not None:
            return wrapped
        attr = getattr(self._inner, name)
        if name.startswith("_") or not callable(attr) or isinstance(attr, type):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter_ns()
            try:
                return attr(*args, **kwargs)
            finally:
                self.ns += time.perf_counter_ns() - t0
                self.calls += 1

        self._wrapped[name] = timed
        return timed


CALL_COLUMNS = [
    Column("case", "case (µs per call, median)", width=56),
    Column("shim_us", "shim", "{value:,.1f}", "right", width=10),
    Column("zipline_us", "zipline", "{value:,.1f}", "right", width=10),
    Column("ratio", "ratio", "{value:.1f}x", "right", width=7),
    Column("target", "target", missing=""),
]


def _row(table: Table, case: str, shim: float, zipline: float) -> dict[str, Any]:
    ratio = zipline / shim
    mark = None
    if case.startswith("get_history_window") and "array" not in case:
        mark = "ok" if ratio >= TARGET_RATIO else "MISS"
    return table.add(case=case, shim_us=shim, zipline_us=zipline, ratio=ratio, target=mark)


def bench_calls(
    report: ScriptReport,
    z: Any,
    shim: Any,
    assets: list[Any],
    sessions: pd.DatetimeIndex,
    n_calls: int,
    repeats: int,
) -> list[dict[str, Any]]:
    rng = random.Random(0)
    lo = 120
    rows = []
    table = report.table("calls", CALL_COLUMNS)
    for n_assets in (1, 10):
        subset = assets[:n_assets]
        for field in ("close", "price"):
            for order in ("forward", "random"):
                ends = list(sessions[lo : lo + n_calls])
                if order == "random":
                    ends = [rng.choice(sessions[lo:]) for _ in range(n_calls)]
                calls = [(subset, e, 20, "1d", field, "daily") for e in ends]
                case = f"get_history_window {n_assets:>2} assets {field} n=20 {order}"
                zt = per_call_us(z.get_history_window, calls, repeats)
                st = per_call_us(shim.get_history_window, calls, repeats)
                rows.append(_row(table, case, st, zt))
        calls = [(subset, e, 20, "1d", "close", "daily") for e in sessions[lo : lo + n_calls]]
        at = per_call_us(
            lambda *a: shim.get_history_window(*a, return_type="array"), calls, repeats
        )
        zt = per_call_us(z.get_history_window, calls, repeats)
        rows.append(
            _row(table, f"get_history_window {n_assets:>2} assets close array (shim)", at, zt)
        )
    for field in ("close", "price", "volume"):
        calls = [
            (assets[i % len(assets)], field, s, "daily")
            for i, s in enumerate(sessions[lo : lo + n_calls])
        ]
        zt = per_call_us(z.get_spot_value, calls, repeats)
        st = per_call_us(shim.get_spot_value, calls, repeats)
        rows.append(_row(table, f"get_spot_value 1 asset {field}", st, zt))
    return rows


def bench_backtest(
    report: ScriptReport,
    world: Any,
    shim: Any,
    sessions: pd.DatetimeIndex,
    n_assets: int,
    n_sessions: int,
) -> list[dict[str, Any]]:
    start, end = sessions[30], sessions[min(len(sessions) - 1, 30 + n_sessions)]
    rows = []
    table = report.table(
        "backtest",
        [
            Column("portal", "portal", width=10),
            Column("total_s", "total s", "{value:.2f}", "right", width=8),
            Column("portal_s", "in portal s", "{value:.2f}", "right"),
            Column("share", "share", "{value:.0%}", "right", width=6),
            Column("calls", "calls", "{value:,}", "right", width=7),
        ],
        title=f"backtest {n_assets} assets, {start.date()}..{end.date()} (daily)",
    )
    results = {}
    for label, portal in (("zipline", world.data_portal), ("shim", shim)):
        timed = TimedPortal(portal)
        t0 = time.perf_counter()
        perf = run_compat_algorithm(timed, world.calendar, start, end, list(range(n_assets)))
        total = time.perf_counter() - t0
        results[label] = perf
        rows.append(
            table.add(
                portal=label,
                total_s=total,
                portal_s=timed.ns / 1e9,
                share=timed.ns / 1e9 / total,
                calls=timed.calls,
            )
        )
    same = results["zipline"]["portfolio_value"].equals(results["shim"]["portfolio_value"])
    report.text(
        f"identical portfolio_value: {same}; "
        f"backtest speed-up {rows[0]['total_s'] / rows[1]['total_s']:.2f}x, "
        f"portal time ratio {rows[0]['portal_s'] / rows[1]['portal_s']:.1f}x"
    )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print medians and ratios (``--json``/``--markdown``/``--update-doc``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small bundle and short backtest")
    parser.add_argument("--assets", type=int, default=None, help="assets in the bundle")
    parser.add_argument("--years", type=float, default=None, help="years of daily bars")
    add_output_flags(parser, "compat")
    args = parser.parse_args(argv)
    report = ScriptReport("compat")
    assets = args.assets or (20 if args.quick else 100)
    years = args.years or (2.0 if args.quick else 5.0)
    n_calls, repeats = (200, 3) if args.quick else (500, 7)
    backtest_assets, backtest_sessions = (10, 120) if args.quick else (20, 500)
    warnings.simplefilter("ignore")

    with tempfile.TemporaryDirectory(prefix="rustybt-compat-bench-") as tmp:
        root = Path(tmp)
        name = "compat-bench"
        register(name, synthetic_ingest(assets, years, seed=3))
        t0 = time.perf_counter()
        try:
            bundle = ingest(name, root=root)
        finally:
            unregister(name)
        report.text(
            f"bundle: {assets} assets × {len(bundle.sessions)} sessions "
            f"(ingest {time.perf_counter() - t0:.1f} s); per call: the median of {repeats} "
            f"batches of {n_calls} calls"
        )
        t0 = time.perf_counter()
        world = build_zipline_world(bundle, root / "zipline")
        report.log(f"zipline world written in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        shim = DataPortal(
            world.asset_finder,
            world.calendar,
            bundle.first_session,
            equity_daily_reader=ArrowDailyBarReader(bundle),
        )
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        kwargs = {
            "equity_daily_reader": world.daily_reader,
            "adjustment_reader": world.adjustment_reader,
            "rustybt_root": root / "r",
        }
        DataPortal(world.asset_finder, world.calendar, world.first_trading_day, **kwargs)
        converted = time.perf_counter() - t0
        t0 = time.perf_counter()
        DataPortal(world.asset_finder, world.calendar, world.first_trading_day, **kwargs)
        again = time.perf_counter() - t0
        report.text(
            f"shim construction: rustybt readers {built * 1000:.0f} ms; zipline readers "
            f"{converted * 1000:.0f} ms first (conversion), {again * 1000:.0f} ms second"
        )
        report.data["construction_ms"] = {
            "rustybt_readers": built * 1000,
            "zipline_readers_first": converted * 1000,
            "zipline_readers_second": again * 1000,
        }

        za = world.assets()
        sessions = pd.DatetimeIndex(bundle.sessions)
        bench_calls(report, world.data_portal, shim, za, sessions, n_calls, repeats)
        bench_backtest(report, world, shim, sessions, backtest_assets, backtest_sessions)
    emit(report, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
