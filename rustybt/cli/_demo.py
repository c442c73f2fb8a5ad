"""``rustybt demo``: the main job on the embedded synthetic bundle.

Ingests a deterministic synthetic bundle (once; later runs reuse it), opens it with
ArrowDataPortal, runs a moving-average crossover over every session with ``history(...,
return_type='array')``, shows the DataFrame view of a window, and asks DuckDB a question.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any

import numpy as np

__all__ = ["add_commands", "run_demo"]

DEMO_BUNDLE = "demo-synthetic"


def add_commands(sub: Any, bundles_sub: Any) -> None:
    """Register ``rustybt demo``."""
    p = sub.add_parser(
        "demo",
        help="ingest the embedded synthetic bundle and run the main job on it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--assets", type=int, default=50, help="number of synthetic assets (50)")
    p.add_argument("--years", type=float, default=3.0, help="years of daily bars (3)")
    p.add_argument("--fast", type=int, default=20, help="fast moving-average window (20)")
    p.add_argument("--slow", type=int, default=50, help="slow moving-average window (50)")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    run_demo(root=args.root, n_assets=args.assets, years=args.years, fast=args.fast, slow=args.slow)
    return 0


def _ensure_bundle(root: Any, n_assets: int, years: float) -> Any:
    from rustybt.data import bundles
    from rustybt.data.bundles.sources import synthetic_ingest
    from rustybt.errors import BundleNotFound

    name = f"{DEMO_BUNDLE}-{n_assets}x{years:g}y"
    bundles.register(name, synthetic_ingest(n_assets, years, seed=7))
    try:
        return bundles.load(name, root=root), False
    except BundleNotFound:
        return bundles.ingest(name, root=root), True


def run_demo(
    *, root: Any = None, n_assets: int = 50, years: float = 3.0, fast: int = 20, slow: int = 50
) -> dict[str, float]:
    """Run the demo job and print what it does; returns its headline numbers."""
    from rustybt import ArrowDataPortal, sql

    t0 = time.perf_counter()
    bundle, fresh = _ensure_bundle(root, n_assets, years)
    verb = "ingested" if fresh else "reused"
    print(f"bundle {bundle.name}: {verb} in {time.perf_counter() - t0:.2f}s")
    print(
        f"  version {bundle.version[:16]}…  {bundle.first_session.date()} → "
        f"{bundle.last_session.date()}  {bundle.manifest.asset_count} assets"
    )

    t0 = time.perf_counter()
    portal = ArrowDataPortal(bundle)
    print(f"portal opened (mapped Arrow store) in {(time.perf_counter() - t0) * 1e3:.1f} ms")

    assets = portal.asset_finder.retrieve_all(portal.asset_finder.sids)
    sessions = portal.sessions[slow:]
    per_call: list[float] = []
    position = np.zeros(len(assets))
    pnl = 0.0
    clock = time.perf_counter
    for session in sessions:
        t = clock()
        closes = portal.history(
            assets, "price", slow + 1, "1d", end_dt=session, return_type="array"
        )
        per_call.append(clock() - t)
        window = np.asarray(closes)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: unlisted assets
            ret = window[-1] / window[-2] - 1.0
            pnl += float(np.nansum(position * ret)) / max(len(assets), 1)
            fast_ma = np.nanmean(window[-fast:], axis=0)
            slow_ma = np.nanmean(window[:-1], axis=0)
        position = np.where(fast_ma > slow_ma, 1.0, 0.0)
    median_us = statistics.median(per_call) * 1e6
    print(
        f"moving-average crossover over {len(sessions)} sessions × {len(assets)} assets: "
        f"{len(per_call)} history() calls, median {median_us:.1f} µs/call "
        f"({len(assets)} assets × {slow + 1} bars, adjusted 'price')"
    )
    print(f"  cumulative equal-weight strategy return: {pnl:+.2%}")

    alive = [a for a in assets if a.end_date is None or a.end_date >= sessions[-1]][:3]
    frame = portal.history(alive, "close", 5, "1d", end_dt=sessions[-1])
    print("last 5 closes of three assets (return_type='dataframe'):")
    print(frame.to_string())

    top = sql(
        bundle,
        "SELECT symbol, round(stddev_samp(ret) * sqrt(252), 3) AS annual_vol "
        "FROM (SELECT sid, close / lag(close) OVER (PARTITION BY sid ORDER BY date) - 1 AS ret "
        "      FROM daily_bars_adjusted) JOIN assets USING (sid) "
        "GROUP BY symbol ORDER BY annual_vol DESC LIMIT ?",
        [3],
    ).df()
    print("DuckDB: the three most volatile assets (adjusted daily returns):")
    print(top.to_string(index=False))
    return {"median_us": median_us, "calls": float(len(per_call)), "pnl": pnl}
