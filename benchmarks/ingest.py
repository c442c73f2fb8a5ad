"""Ingest time and peak memory of synthetic bundles, each run in a fresh subprocess.

    .venv/bin/python benchmarks/ingest.py            # daily 500 × 10 y, minute 100 × 1 y
    .venv/bin/python benchmarks/ingest.py --quick    # small sizes, a few seconds
    .venv/bin/python benchmarks/ingest.py --repeat 3 # median time over 3 runs per case

Data size is the bars' in-memory Arrow size (rows × bytes per row of the bundle schema:
daily 52 B = sid 8 + date 4 + 4 prices × 8 + volume 8; minute 56 B). Peak RSS is the child's
``ru_maxrss``; "baseline" is a child that imports rustybt and builds the calendar but ingests
nothing, so "RSS − base" is what the ingest itself costs. Target: peak ≤ 2 × data size.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    "daily": {"n_assets": 500, "years": 10.0, "minute": False},
    "minute": {"n_assets": 100, "years": 1.0, "minute": True},
}
QUICK = {
    "daily": {"n_assets": 50, "years": 2.0, "minute": False},
    "minute": {"n_assets": 10, "years": 0.25, "minute": True},
}
ROW_BYTES = {"daily": 52, "minute": 56}


def _child(params: dict[str, object], root: str) -> dict[str, float]:
    """Run one ingest in this process and report time, peak RSS and data size."""
    import pyarrow.parquet as pq

    from rustybt.calendars import get_calendar
    from rustybt.data.bundles import ingest, register
    from rustybt.data.bundles.sources import synthetic_ingest

    get_calendar("XNYS", start="1970-01-01")  # what every writer builds
    if not params:  # baseline: imports and calendar only
        return {"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0}
    fn = synthetic_ingest(**params)  # type: ignore[arg-type]
    register("bench", fn)
    t0 = time.perf_counter()
    bundle = ingest("bench", root=root)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0
    rows = {"daily": 0, "minute": 0}
    for freq in rows:
        for sid in bundle.sids_with_bars(freq):
            rows[freq] += pq.ParquetFile(bundle.bar_path(freq, sid)).metadata.num_rows
    data = sum(rows[f] * ROW_BYTES[f] for f in rows)
    return {
        "seconds": seconds,
        "rss": rss,
        "data": float(data),
        "rows": float(sum(rows.values())),
        "disk": float(bundle.manifest.total_bytes),
    }


def _spawn(params: dict[str, object]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="rustybt-bench-") as root:
        out = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(params), root],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f}"


def main(argv: list[str] | None = None) -> int:
    """Run every case in fresh subprocesses and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median time)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(json.loads(args.child[0]), args.child[1])))
        return 0
    cases = QUICK if args.quick else CASES
    base = statistics.median(_spawn({})["rss"] for _ in range(max(1, args.repeat)))
    print(f"baseline RSS (imports + calendar, no ingest): {_mib(base)} MiB")
    header = (
        f"{'case':<34} {'rows':>11} {'data MiB':>9} {'disk MiB':>9} {'time s':>7} "
        f"{'rows/s':>10} {'RSS MiB':>8} {'RSS/data':>8} {'(RSS-base)/data':>15}"
    )
    print(header)
    print("-" * len(header))
    for name, params in cases.items():
        runs = [_spawn(params) for _ in range(max(1, args.repeat))]
        secs = statistics.median(r["seconds"] for r in runs)
        rss = max(r["rss"] for r in runs)
        r0 = runs[0]
        label = f"{name} {params['n_assets']} assets × {params['years']:g} y"
        print(
            f"{label:<34} {int(r0['rows']):>11,} {_mib(r0['data']):>9} {_mib(r0['disk']):>9} "
            f"{secs:>7.2f} {r0['rows'] / secs:>10,.0f} {_mib(rss):>8} "
            f"{rss / r0['data']:>8.2f} {(rss - base) / r0['data']:>15.2f}"
        )
    print(
        f"(time: median of {max(1, args.repeat)} run(s), each in a fresh subprocess; "
        "RSS: max over runs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
