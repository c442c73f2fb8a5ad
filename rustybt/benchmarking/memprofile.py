"""Memory profile of one call with :mod:`tracemalloc`: the peak and the top allocation sites.

Design and invariants:
- tracemalloc sees the allocations made through Python's allocators (objects, and the buffers
  of NumPy arrays, which use them) but not memory a C library takes directly (Arrow's pool,
  DuckDB): the figures are a lower bound of the process's memory. It slows every allocation,
  so :mod:`~rustybt.benchmarking.profiling` runs it in a pass of its own, never under the
  timing profile.
- ``peak`` is tracemalloc's exact high-water mark of traced memory during the call, less what
  was traced when the call started (nothing, unless tracing was already on).
- Sites come from one snapshot (grouped by the line that allocated, the innermost frame): the
  one holding the most traced memory among the snapshot taken right after the call (the
  result is still alive then) and those a watcher thread takes during the call whenever the
  traced memory has grown by :data:`SNAPSHOT_GROWTH` since its last snapshot (checked every
  :data:`WATCH_INTERVAL` seconds). A short spike between two checks can be missed by the
  watcher: ``snapshot_size`` says how much of ``peak`` the listed sites' snapshot held.
- Allocations made in tracemalloc, in :mod:`threading` (the watcher's) and in this module are
  left out.
"""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["AllocationSite", "MemoryProfile", "trace_memory"]

#: Seconds between the watcher's looks at the traced memory.
WATCH_INTERVAL = 0.02
#: Growth factor of traced memory since the last snapshot that triggers a new one.
SNAPSHOT_GROWTH = 1.1


@dataclass(frozen=True)
class AllocationSite:
    """A source line and the traced memory its allocations held in the snapshot."""

    filename: str
    line: int
    size: int  #: bytes
    count: int  #: live blocks


@dataclass(frozen=True)
class MemoryProfile:
    """Peak traced memory of a call and its top allocation sites (module notes)."""

    peak: int  #: bytes, high-water mark of traced memory during the call above its start
    snapshot_size: int  #: bytes traced when the sites' snapshot was taken
    sites: tuple[AllocationSite, ...]

    def to_markdown(self) -> str:
        """A markdown section: the peak and a table of the sites."""
        lines = [
            f"Peak traced memory: {_mib(self.peak)} MiB; the sites below are from a snapshot "
            f"holding {_mib(self.snapshot_size)} MiB (tracemalloc: Python allocators only).",
            "",
            "| # | site | size MiB | share of snapshot | blocks |",
            "|---:|---|---:|---:|---:|",
        ]
        for i, s in enumerate(self.sites, 1):
            share = 100 * s.size / self.snapshot_size if self.snapshot_size else 0.0
            lines.append(
                f"| {i} | `{s.filename}:{s.line}` | {_mib(s.size)} | {share:.1f}% | {s.count} |"
            )
        return "\n".join(lines) + "\n"


def _mib(n: int) -> str:
    return f"{n / 2**20:,.2f}"


class _Watcher(threading.Thread):
    """Takes a snapshot whenever traced memory grew by ``SNAPSHOT_GROWTH`` (module notes)."""

    def __init__(self) -> None:
        super().__init__(name="rustybt-memprofile", daemon=True)
        self.best: tuple[int, tracemalloc.Snapshot | None] = (0, None)
        self._stop_event = threading.Event()

    def run(self) -> None:
        last = tracemalloc.get_traced_memory()[0]
        while not self._stop_event.wait(WATCH_INTERVAL):
            current = tracemalloc.get_traced_memory()[0]
            if current > last * SNAPSHOT_GROWTH:
                snapshot = tracemalloc.take_snapshot()
                last = current
                if current > self.best[0]:
                    self.best = (current, snapshot)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def trace_memory(call: Callable[[], Any], *, top: int = 20) -> tuple[Any, MemoryProfile]:
    """Run ``call()`` under tracemalloc; return its result and the :class:`MemoryProfile`.

    Tracing is stopped afterwards unless it was already on (then it is left on and the peak
    is reset first, so it is this call's).
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    watcher = _Watcher()
    try:
        watcher.start()
        try:
            result = call()
        finally:
            watcher.stop()
        current, peak = tracemalloc.get_traced_memory()
        final = tracemalloc.take_snapshot()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    size, snapshot = watcher.best
    if snapshot is None or current >= size:
        size, snapshot = current, final
    snapshot = snapshot.filter_traces(
        [tracemalloc.Filter(False, f) for f in (tracemalloc.__file__, threading.__file__, __file__)]
    )
    sites = tuple(
        AllocationSite(s.traceback[0].filename, s.traceback[0].lineno or 0, s.size, s.count)
        for s in snapshot.statistics("lineno")[:top]
    )
    return result, MemoryProfile(peak=max(peak - base, 0), snapshot_size=size, sites=sites)
