"""Benchmark: 20-bar rolling mean and std per asset through rustybt SQL vs pandas vs Polars.

Run from the repository root::

    .venv/bin/python benchmarks/sql.py            # daily 500 assets × 10 years + minute case
    .venv/bin/python benchmarks/sql.py --quick    # small sizes, a few seconds
    .venv/bin/python benchmarks/sql.py --update-doc docs/user-guide/sql.md  # the doc's figures

Output (``rustybt.benchmarking.tables``): tables on the console; ``--json``, ``--markdown`` and
``--update-doc FILE`` (between ``<!-- BENCHMARK:sql:START/END -->``) as every script has.

It ingests synthetic bundles into a temporary root (Engineer 1's
``rustybt.data.bundles.sources.synthetic`` when available, else a local random-walk writer),
then measures in one run:

* first query in a fresh process, including building the SQL views (``BundleSQL(bundle)``)
  and the rolling query, with the sessions cache cold and warm;
* medians of repeated whole-table rolling mean + std (window 20) per asset through
  ``BundleSQL.query`` (plain SQL window over ``daily_bars``), ``BundleSQL.rolling`` (the
  history()-exact helper: session grid, adjusted as seen from each date), pandas
  ``groupby().rolling()`` and Polars ``.over('sid')`` on frames already in memory (their load
  time from the bundle is reported separately);
* the same plain SQL / pandas / Polars comparison on a minute bundle.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow.dataset as pds

from rustybt import Bundle, BundleError, ingest, load, register
from rustybt.benchmarking.tables import Column, ScriptReport, Table, add_output_flags, emit
from rustybt.data.bundles.sources.synthetic import synthetic_ingest
from rustybt.data.sql.engine import BundleSQL

WINDOW = 20
SQL_ROLLING = """
SELECT sid, {t}, avg(close) OVER w AS mean_20, stddev_samp(close) OVER w AS std_20
FROM {rel} WINDOW w AS (PARTITION BY sid ORDER BY {t} ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)
"""


def _bundle(name: str, fn: Any, root: Path) -> Bundle:
    """Ingest once per root (reused when --root points at an earlier run)."""
    register(name, fn)
    try:
        return load(name, root=root)
    except BundleError:
        return ingest(name, root=root)


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


_FIRST = """
import sys, time, json
from rustybt.data.bundles import Bundle
from rustybt.data.sql.engine import BundleSQL
b = Bundle(sys.argv[1])
t = time.perf_counter()
s = BundleSQL(b)
setup = time.perf_counter() - t
s.query(sys.argv[2])
print(json.dumps({"setup": setup, "total": time.perf_counter() - t}))
"""


def _first_query(bundle: Bundle, query: str, cold: bool) -> dict[str, float]:
    if cold:
        shutil.rmtree(bundle.cache_dir / "sql", ignore_errors=True)
    out = subprocess.run(
        [sys.executable, "-c", _FIRST, str(bundle.path), query],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _pandas_rolling(frame: pd.DataFrame) -> object:
    g = frame.groupby("sid", sort=False)["close"]
    return (g.rolling(WINDOW, min_periods=1).mean(), g.rolling(WINDOW, min_periods=2).std())


def _polars_rolling(frame: pl.DataFrame) -> object:
    return frame.select(
        "sid",
        pl.col("close").rolling_mean(WINDOW, min_samples=1).over("sid").alias("mean_20"),
        pl.col("close").rolling_std(WINDOW, min_samples=2).over("sid").alias("std_20"),
    )


WAYS = [
    Column("way", "way", width=36),
    Column("median_s", "median s", "{value:.3f}", "right"),
    Column("ratio", "ratio to rustybt SQL", "{value:.2f}", "right"),
]


def _compare(report: ScriptReport, name: str, s: BundleSQL, rel: str, t: str, folder: Path,
             repeat: int) -> tuple[Table, float]:
    query = SQL_ROLLING.format(rel=rel, t=t)
    t0 = time.perf_counter()
    table = pds.dataset(sorted(str(p) for p in folder.glob("*.parquet"))).to_table()
    load_arrow = time.perf_counter() - t0
    pdf = table.to_pandas()
    plf = pl.from_arrow(table)
    assert isinstance(plf, pl.DataFrame)
    rows = table.num_rows
    res = {
        "rustybt SQL (reads Parquet)": _median(lambda: s.query(query), repeat),
        "pandas groupby-rolling (in memory)": _median(lambda: _pandas_rolling(pdf), repeat),
        "Polars .over() (in memory)": _median(lambda: _polars_rolling(plf), repeat),
    }
    base = res["rustybt SQL (reads Parquet)"]
    out = report.table(
        name,
        WAYS,
        title=f"{name}: {rows:,} rows (pandas/Polars load from Parquet first: "
        f"{load_arrow:.3f} s)",
    )
    for way, sec in res.items():
        out.add(way=way, median_s=sec, ratio=sec / base)
    return out, base


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print Markdown tables of medians and ratios."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (100 assets × 2 y)")
    p.add_argument("--assets", type=int, default=500)
    p.add_argument("--years", type=float, default=10)
    p.add_argument("--minute-assets", type=int, default=100)
    p.add_argument("--minute-days", type=int, default=60)
    p.add_argument("--first-runs", type=int, default=3, help="fresh processes per first-query case")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--root", default=None, help="reuse this root (default: a temp dir)")
    add_output_flags(p, "sql")
    args = p.parse_args(argv)
    report = ScriptReport("sql")
    if args.quick:
        args.assets, args.years, args.minute_assets, args.minute_days, args.repeat = (
            100, 2, 5, 5, 3)  # fmt: skip
    root = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="rustybt-bench-sql-"))
    t = time.perf_counter()
    daily = _bundle(
        f"bench_sql_d{args.assets}_{args.years}",
        synthetic_ingest(args.assets, args.years, seed=0),
        root,
    )
    minute_years = args.minute_days / 252
    minute = _bundle(
        f"bench_sql_m{args.minute_assets}_{args.minute_days}",
        synthetic_ingest(args.minute_assets, minute_years, minute=True, seed=1),
        root,
    )
    cmd = " ".join([".venv/bin/python", "benchmarks/sql.py", *(argv or sys.argv[1:])])
    report.text(
        f"Measured by `{cmd}`.\n"
        f"Synthetic bundles (rustybt.data.bundles.sources.synthetic): daily {args.assets} assets "
        f"× {args.years:g} years; minute {args.minute_assets} assets × {args.minute_days} "
        f"sessions (ingest/load {time.perf_counter() - t:.1f} s). Medians of {args.repeat} runs; "
        f"DuckDB uses all {os.cpu_count()} cores; load average at start "
        f"{os.getloadavg()[0]:.1f} (other work on the shared machine adds noise)."
    )
    query = SQL_ROLLING.format(rel="daily_bars", t="date")
    first = report.table(
        "first_query",
        [
            Column("cache", "sessions cache"),
            Column("setup_s", "view setup s", "{value:.3f}", "right"),
            Column("total_s", "setup + query s", "{value:.3f}", "right"),
            Column("target", "target"),
        ],
        title="First query in a fresh process: `BundleSQL(bundle)` + 20-day rolling mean/std",
        note=f"Median of {args.first_runs} fresh processes (imports not counted). Cold = the "
        "sessions cache under `.cache/<version>/sql/` is absent, so the exchange calendar is "
        "built.",
    )
    for cold in (True, False):
        runs = [_first_query(daily, query, cold) for _ in range(args.first_runs)]
        first.add(
            cache="cold" if cold else "warm",
            setup_s=statistics.median(r["setup"] for r in runs),
            total_s=statistics.median(r["total"] for r in runs),
            target="≤ 0.3 s",
        )
    with BundleSQL(daily) as s:
        helper = _median(lambda: s.rolling(WINDOW, stats=("mean", "std")), args.repeat)
        table, base = _compare(report, "daily", s, "daily_bars", "date", daily.daily_dir,
                               args.repeat)  # fmt: skip
        table.add(way="`BundleSQL.rolling(20)` (session grid, adjusted as history() sees it)",
                  median_s=helper, ratio=helper / base)  # fmt: skip
    with BundleSQL(minute) as s:
        helper = _median(
            lambda: s.rolling(WINDOW, stats=("mean", "std"), frequency="minute"), args.repeat
        )
        table, base = _compare(report, "minute", s, "minute_bars", "dt", minute.minute_dir,
                               args.repeat)  # fmt: skip
        table.add(way="`BundleSQL.rolling(20, frequency='minute')` (every market minute, "
                  "adjusted)", median_s=helper, ratio=helper / base)  # fmt: skip
    emit(report, args)
    if not args.root:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
