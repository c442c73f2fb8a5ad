"""``BundleConnectionPool``: one mapped portal per bundle version per process, shared pages.

In-process: opened once, thread-safe, reopened when the bundle is re-ingested. Across worker
processes (``ProcessExecutor``): each worker opens the bundle once, and the store's pages it
maps are shared page-cache pages, not private copies (measured from ``/proc/<pid>/smaps_rollup``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from opt_workloads import bundle_root, import_portal, map_and_touch, write_bundle

from rustybt import ArrowDataPortal, Bundle
from rustybt.optimization import BundleConnectionPool, FunctionWorkload, ProcessExecutor, TrialSpec


def test_one_portal_per_bundle_version_shared_by_threads(tmp_path: Path) -> None:
    write_bundle(tmp_path, "p", 2, 30, seed=1)
    pool = BundleConnectionPool()
    with ThreadPoolExecutor(8) as threads:
        portals = list(threads.map(lambda _: pool.portal("p", tmp_path), range(32)))
    assert len({id(p) for p in portals}) == 1
    assert pool.opened == 1
    first = portals[0]
    assert pool.portal("p", str(tmp_path)) is first  # the same root spelled as a str

    again = write_bundle(tmp_path, "p", 2, 30, seed=2)  # re-ingest: a new version
    assert again.version != first.version
    fresh = pool.portal("p", tmp_path)
    assert fresh is not first and fresh.version == again.version
    assert pool.opened == 2
    assert pool.portal("p", tmp_path) is fresh
    pool.clear()
    assert pool.portal("p", tmp_path) is not fresh and pool.opened == 3


def test_the_singleton_is_one_per_process() -> None:
    assert BundleConnectionPool.instance() is BundleConnectionPool.instance()


def _rollup(pid: int) -> dict[str, int]:
    """``/proc/<pid>/smaps_rollup`` in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":")
        out[key.strip()] = int(value.split()[0]) * 1024
    return out


def _mapping(pid: int, path: Path) -> dict[str, int]:
    """The fields of ``/proc/<pid>/smaps`` summed over the mappings of ``path``, in bytes."""
    out: dict[str, int] = {}
    mine = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):  # a mapping
            mine = len(head) >= 6 and head[5] == str(path)
        elif mine and head[0].endswith(":") and len(head) == 3 and head[2] == "kB":
            out[head[0][:-1]] = out.get(head[0][:-1], 0) + int(head[1]) * 1024
    return out


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux /proc only")
def test_two_workers_map_the_same_pages_and_open_the_bundle_once(opt_bundle: Bundle) -> None:
    params = {"bundle": "opt", "root": str(bundle_root(opt_bundle))}
    store = ArrowDataPortal(opt_bundle).store("daily").path.resolve()
    executor = ProcessExecutor(2)
    executor.start(FunctionWorkload(map_and_touch, loader=import_portal))
    try:
        pids = executor.pids
        before = {pid: _rollup(pid) for pid in pids}
        for n in range(2):  # one per idle worker: each opens the bundle and reads every page
            executor.submit(TrialSpec(n, params))
        opened = _collect(executor, 2)
        after = {pid: _rollup(pid) for pid in pids}
        mapped = {pid: _mapping(pid, store) for pid in pids}
        for n in range(2, 6):  # again, and per-worker Parquet loading for comparison
            executor.submit(TrialSpec(n, {**params, "parquet": n >= 4}))
    finally:
        executor.close()  # finishes the queued trials first
    later = _collect(executor, 4)
    assert sorted(int(r.metrics["pid"]) for r in opened) == sorted(pids)
    assert all(r.metrics["opened"] == 1.0 for r in opened + later)  # once per process
    assert len({r.metrics["checksum"] for r in opened + later}) == 1
    size = opened[0].metrics["store_bytes"]
    assert size == store.stat().st_size
    for pid in pids:
        grew = {k: after[pid][k] - before[pid][k] for k in
                ("Rss", "Pss", "Shared_Clean", "Private_Clean", "Private_Dirty")}
        print(f"worker {pid}: store {size / 1e6:.2f} MB; its mapping: "
              + ", ".join(f"{k} {mapped[pid].get(k, 0) / 1e6:.2f} MB" for k in grew)
              + "; whole process growth: "
              + ", ".join(f"{k} {v / 1e6:+.2f} MB" for k, v in grew.items()))
        page = 4096
        assert mapped[pid]["Rss"] >= size - page  # every page of the store is mapped here...
        assert mapped[pid]["Shared_Clean"] >= size - page  # ... shared with other processes
        assert mapped[pid]["Private_Dirty"] == mapped[pid]["Private_Clean"] == 0
        assert mapped[pid]["Pss"] <= size / 2 + page  # this worker's share: half or less
        assert grew["Private_Dirty"] < 0.25 * size  # nor any private copy elsewhere
    parquet = [r.metrics for r in later if "parquet_s" in r.metrics]
    print("fresh worker: open via the pool (map) "
          + ", ".join(f"{r.metrics['open_s'] * 1e3:.1f} ms" for r in opened)
          + "; reading every asset's Parquet instead "
          + ", ".join(f"{m['parquet_s'] * 1e3:.1f} ms ({m['parquet_rows']:.0f} rows)"
                      for m in parquet))


def _collect(executor: Any, n: int) -> list[Any]:
    got: list[Any] = []
    while len(got) < n:
        got.extend(executor.results())
    assert all(r.status == "ok" for r in got), [r.error for r in got]
    return sorted(got, key=lambda r: r.number)
