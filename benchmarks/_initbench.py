"""Initialisation benchmarks of the suite, each measured in a fresh process (benchmarks/suite.py).

- batch initialisation: ingest a synthetic bundle of N assets, open an ArrowDataPortal on it,
  ask the first history window (which builds the mapped store); then, in another fresh
  process, what every later process pays: open the ingested bundle and ask a window;
- worker initialisation: what an optimization worker pays before its trials, with every
  OptimizationConfig flag off (the baseline) and on: imports, ``AlgorithmWorkload.setup()``
  (open the bundle and portal), its first trial and its second one.

Run as ``python benchmarks/_initbench.py MODE JSON-ARGS``; prints one JSON line. Times are wall
seconds measured inside the child (interpreter start-up excluded; imports included where
named); peak RSS is the child's ``ru_maxrss``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

T_START = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: Assets the worker-initialisation algorithm trades.
WORKER_ASSETS = 10


def _rss_mib() -> float:
    """This process's peak RSS. Linux: ``VmHWM``, the peak of this program's own memory
    (``ru_maxrss`` survives ``exec``, so it would report the forking parent's size when
    that is larger); elsewhere ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    scale = 2**20 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def batch_init(n_assets: int, years: float, root: str, name: str) -> dict[str, Any]:
    """Ingest, open, first history in this (fresh) process."""
    from rustybt import ArrowDataPortal, ingest, register
    from rustybt.data.bundles.sources.synthetic import synthetic_ingest

    imports = time.perf_counter() - T_START
    register(name, synthetic_ingest(n_assets, years, seed=2))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = ingest(name, root=root)
    t1 = time.perf_counter()
    portal = ArrowDataPortal(bundle)
    t2 = time.perf_counter()
    portal.history(list(portal.asset_finder.sids)[:10], "close", 20, return_type="array")
    t3 = time.perf_counter()
    return {"imports": imports, "ingest": t1 - t0, "open": t2 - t1, "first_history": t3 - t2,
            "rss_mib": _rss_mib()}


def reopen(root: str, name: str) -> dict[str, Any]:
    """Open an ingested bundle (store already built) and ask one window."""
    from rustybt import ArrowDataPortal, load

    imports = time.perf_counter() - T_START
    t0 = time.perf_counter()
    portal = ArrowDataPortal(load(name, root=root))
    t1 = time.perf_counter()
    portal.history(list(portal.asset_finder.sids)[:10], "close", 20, return_type="array")
    t2 = time.perf_counter()
    return {"imports": imports, "open": t1 - t0, "first_history": t2 - t1,
            "rss_mib": _rss_mib()}


def worker_algo(params: dict[str, Any]) -> dict[str, Any]:
    """A dual moving average over ``WORKER_ASSETS`` assets (module level: picklable)."""
    import rustybt.api as api

    short, long_ = int(params["short"]), int(params["long"])
    kind = "array" if params.get("_array_returns") else "dataframe"

    def initialize(context: Any) -> None:
        context.assets = [api.sid(s) for s in range(WORKER_ASSETS)]

    def handle_data(context: Any, data: Any) -> None:
        hist = data.history(context.assets, "price", long_, "1d", return_type=kind)
        values = hist if kind == "array" else hist.to_numpy()
        above = values[-short:].mean(axis=0) > values.mean(axis=0)
        for j, asset in enumerate(context.assets):
            if data.can_trade(asset):  # the synthetic bundle has late listings, delistings
                api.order_target_percent(asset, 1.0 / WORKER_ASSETS if above[j] else 0.0)

    return {"initialize": initialize, "handle_data": handle_data}


def worker_init(flags: str, root: str, name: str, start: str, end: str) -> dict[str, Any]:
    """A worker's start: imports, setup, first and second trial, with flags all off or on."""
    from rustybt.optimization import AlgorithmWorkload
    from rustybt.optimization.config import OptimizationConfig

    imports = time.perf_counter() - T_START
    config = OptimizationConfig.all_on() if flags == "on" else OptimizationConfig.all_off()
    workload = AlgorithmWorkload(worker_algo, name, start, end, root=root, config=config)
    t0 = time.perf_counter()
    workload.setup()
    t1 = time.perf_counter()
    first = workload.run({"short": 10, "long": 40})
    t2 = time.perf_counter()
    second = workload.run({"short": 20, "long": 60})
    t3 = time.perf_counter()
    return {"imports": imports, "setup": t1 - t0, "first_trial": t2 - t1,
            "second_trial": t3 - t2, "rss_mib": _rss_mib(),
            "metrics": [first.get("sharpe"), second.get("sharpe")]}


def main(argv: list[str]) -> int:
    mode, raw = argv
    kwargs = json.loads(raw)
    fn = {"batch": batch_init, "reopen": reopen, "worker": worker_init}[mode]
    print(json.dumps(fn(**kwargs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
