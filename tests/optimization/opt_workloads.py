"""Picklable workloads for the executor tests (module level, so worker processes import them).

- :func:`dma_hooks`: the dual moving average of the engine issue as an ``AlgorithmWorkload``
  factory (``params -> hooks``) over assets 0..2 of the bundle.
- :func:`bowl`: a ``FunctionWorkload`` function with a known optimum; ``x == FAIL_AT`` raises,
  ``crash=True`` kills its worker process (``os._exit(3)``), ``sleep=s`` sleeps first.
- :func:`write_bundle`: a seeded daily bundle of random walks.
- :func:`map_and_touch` / :func:`import_portal`: open a bundle through the worker's
  ``BundleConnectionPool`` and read every page of its daily store (the memory test).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

import rustybt.api as api
from rustybt import Bundle
from rustybt.testing import BundleSpec, make_bundle, session_span, walk_ohlcv

FAIL_AT = 3


def dma_hooks(params: dict[str, Any]) -> dict[str, Any]:
    """Hold 30 % of each asset while its short mean is above its long mean."""
    short, long_ = int(params["short"]), int(params["long"])

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(3)]

    def handle_data(context: Any, data: Any) -> None:
        hist = data.history(context.assets, "price", long_, "1d", return_type="array")
        fast, slow = hist[-short:].mean(axis=0), hist.mean(axis=0)
        for j, asset in enumerate(context.assets):
            api.order_target_percent(asset, 0.3 if fast[j] > slow[j] else 0.0)

    return {"initialize": initialize, "handle_data": handle_data}


def bowl(params: dict[str, Any], data: Any) -> dict[str, float]:
    """``score = -(x - 7)² - (y - 0.25)²``; see the module docstring for fail/crash/sleep."""
    x, y = params["x"], params.get("y", 0.25)
    time.sleep(params.get("sleep", 0.0))
    if x == FAIL_AT:
        raise ValueError(f"x={x} is refused on purpose")
    if params.get("crash"):
        os._exit(3)
    return {"score": -((x - 7) ** 2) - (y - 0.25) ** 2, "pid": float(os.getpid())}


def import_portal() -> None:
    """Loader: import what opening a portal needs, so the memory test measures only the map."""
    import rustybt.data.portal.portal
    import rustybt.optimization.pool  # noqa: F401


def map_and_touch(params: dict[str, Any], data: Any) -> dict[str, float]:
    """Open ``params['bundle']`` under ``params['root']`` via the pool; read every store page."""
    from rustybt.optimization.pool import BundleConnectionPool

    pool = BundleConnectionPool.instance()
    t0 = time.perf_counter()
    portal = pool.portal(params["bundle"], params["root"])
    open_s = time.perf_counter() - t0
    store = portal.store("daily")
    total = 0.0
    for column in store.columns.values():
        total += float(np.nansum(column))
    metrics = {"pid": float(os.getpid()), "opened": float(pool.opened), "open_s": open_s,
               "store_bytes": float(os.path.getsize(store.path)), "checksum": total}
    if params.get("parquet"):  # what a worker without the pool would do: read every asset
        t0 = time.perf_counter()
        bundle = portal.bundle
        frames = [bundle.read_daily(sid) for sid in bundle.sids_with_bars("daily")]
        metrics["parquet_s"] = time.perf_counter() - t0
        metrics["parquet_rows"] = float(sum(len(f) for f in frames))
    return metrics


def failing_loader() -> None:
    """A loader that cannot load (the setup-failure test)."""
    raise FileNotFoundError("no such data: /nonexistent/prices.parquet")


def write_bundle(root: Path, name: str, n_assets: int, n_sessions: int, seed: int = 1) -> Bundle:
    """``n_assets`` random walks (sids 0..n-1) over ``n_sessions`` XNYS sessions from 2015."""
    rng = np.random.default_rng(seed)
    sessions = session_span(n_sessions, "2015-01-02", "XNYS")
    daily = {}
    for sid in range(n_assets):
        bars = walk_ohlcv(rng, n_sessions, 40.0 + 10 * sid)
        bars.insert(0, "date", sessions)
        daily[sid] = bars
    return make_bundle(root, BundleSpec.from_bars(daily), name=name)


def bundle_root(bundle: Bundle) -> Path:
    """The rustybt root holding ``bundle`` (``<root>/bundles/<name>/<version>``)."""
    return bundle.path.parents[2]
