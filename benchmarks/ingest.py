"""Ingest time and peak memory of synthetic bundles, each run in a fresh subprocess.

    .venv/bin/python benchmarks/ingest.py            # daily 500 × 10 y, minute 100 × 1 y
    .venv/bin/python benchmarks/ingest.py --quick    # small sizes, a few seconds
    .venv/bin/python benchmarks/ingest.py --repeat 3 # median time over 3 runs per case

Data size is the bars' in-memory Arrow size (rows × bytes per row of the bundle schema:
daily 52 B = sid 8 + date 4 + 4 prices × 8 + volume 8; minute 56 B). Peak RSS is the child's
``ru_maxrss``; "baseline" is a child that imports rustybt and builds the calendar but ingests
nothing, so "RSS − base" is what the ingest itself costs. Target: peak ≤ 2 × data size.

Output (``rustybt.benchmarking.tables``): the table on the console; ``--json``, ``--markdown``
and ``--update-doc FILE`` (between ``<!-- BENCHMARK:ingest:START/END -->``) as every script has.
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
from collections.abc import Iterator
from typing import Any

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


def _mib(n: float, _: Any = None) -> str:
    return f"{n / 2**20:,.1f}"


def _columns() -> list[Any]:
    from rustybt.benchmarking.tables import Column

    return [
        Column("case", "case", width=34),
        Column("rows", "rows", "{value:,}", "right", width=11),
        Column("data", "data MiB", _mib, "right"),
        Column("disk", "disk MiB", _mib, "right"),
        Column("seconds", "time s", "{value:.2f}", "right", width=7),
        Column("rows_per_s", "rows/s", "{value:,.0f}", "right", width=10),
        Column("rss", "RSS MiB", _mib, "right"),
        Column("rss_per_data", "RSS/data", "{value:.2f}", "right"),
        Column("net_rss_per_data", "(RSS-base)/data", "{value:.2f}", "right"),
    ]


def _measure(quick: bool, repeat: int) -> None:
    """The measuring driver: spawn every child, print one JSON line per result.

    A child's ``ru_maxrss`` starts at its parent's RSS when it was forked (Linux keeps the
    high-water mark across exec), so the children are spawned by this light process (no
    rustybt imported), never by the report's process.
    """
    base = statistics.median(_spawn({})["rss"] for _ in range(repeat))
    print(json.dumps({"baseline": base}), flush=True)
    for name, params in (QUICK if quick else CASES).items():
        runs = [_spawn(params) for _ in range(repeat)]
        print(json.dumps({"name": name, "params": params, "runs": runs}), flush=True)


def _results(quick: bool, repeat: int) -> Iterator[dict[str, Any]]:
    cmd = [sys.executable, __file__, "--measure", json.dumps([quick, repeat])]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            yield json.loads(line)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)


def main(argv: list[str] | None = None) -> int:
    """Run every case in fresh subprocesses and print the table."""
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["--child"]:  # before any import of rustybt: the child's RSS is measured
        print(json.dumps(_child(json.loads(given[1]), given[2])))
        return 0
    if given[:1] == ["--measure"]:
        _measure(*json.loads(given[1]))
        return 0
    from rustybt.benchmarking.tables import ScriptReport, add_output_flags, emit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median time)")
    add_output_flags(parser, "ingest")
    args = parser.parse_args(given)
    repeat = max(1, args.repeat)
    report = ScriptReport("ingest")
    results = _results(args.quick, repeat)
    base = next(results)["baseline"]
    report.text(f"baseline RSS (imports + calendar, no ingest): {_mib(base)} MiB")
    report.data["baseline_rss"] = base
    table = report.table("ingest", _columns())
    for result in results:
        name, params, runs = result["name"], result["params"], result["runs"]
        secs = statistics.median(r["seconds"] for r in runs)
        rss = max(r["rss"] for r in runs)
        r0 = runs[0]
        table.add(
            case=f"{name} {params['n_assets']} assets × {params['years']:g} y",
            rows=int(r0["rows"]),
            data=r0["data"],
            disk=r0["disk"],
            seconds=secs,
            rows_per_s=r0["rows"] / secs,
            rss=rss,
            rss_per_data=rss / r0["data"],
            net_rss_per_data=(rss - base) / r0["data"],
        )
    report.text(
        f"(time: median of {repeat} run(s), each in a fresh subprocess; RSS: max over runs)"
    )
    emit(report, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
