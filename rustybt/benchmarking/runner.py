"""Measure a baseline and a candidate callable in interleaved runs (A B A B ...).

Design and invariants:
- ``warmup`` unrecorded calls of each side (A then B), then ``runs`` measured pairs in the
  order baseline, candidate, baseline, candidate...: slow drift of the machine (thermal, other
  load) falls on both sides alike, and run ``i`` of each side forms a pair for the paired
  tests of :mod:`~rustybt.benchmarking.statistics`. ``BenchmarkResult.index`` is a run's
  position in that measured order (baseline even, candidate odd).
- Per run: wall time ``time.perf_counter``; CPU time ``time.process_time`` (all threads of
  the measuring process, the sampler's few microseconds included); peak memory the run's own
  peak RSS (below); mean memory the mean of RSS samples taken with psutil by a daemon thread
  every ``sample_interval`` seconds, plus one sample just before and one just after the call
  (so at least two). psutil, not tracemalloc: tracemalloc slows every allocation (it would
  distort the times) and sees only Python's allocations, not NumPy's or Arrow's buffers.
- Peak RSS is a high-water mark. On Linux the run's own peak is read as ``VmHWM`` of
  ``/proc/self/status`` after resetting it (writing ``5`` to ``/proc/self/clear_refs``)
  just before the call, so every run's peak is its own, in this process too; ``VmHWM``
  belongs to the address space, which ``exec`` replaces, so a spawned child does not
  start at its parent's peak either (``getrusage``'s ``ru_maxrss`` does: the kernel
  carries it across ``exec``). Where that reset or file is unavailable (other systems,
  a locked-down /proc) the peak is ``ru_maxrss``, which in one process never decreases, so a
  run's peak is only its own when it exceeds everything before it: use
  ``fresh_process=True``. That runs every call (warm-up included) in a new process started
  with ``multiprocessing``'s ``spawn`` and measured there; the callables must then be
  picklable (module-level functions), else :class:`~rustybt.errors.BenchmarkNotPicklable` is
  raised before anything runs. Process start-up is never inside the measured time.
- With ``seed``, ``random`` and NumPy's global generator are seeded before every call (warm-up
  included), so every run does the same work; the seed is recorded in each result.
- A call that raises stops the measurement with :class:`~rustybt.errors.BenchmarkRunFailed`
  naming the side, the run and the process; the original exception is its ``__cause__``.
"""

from __future__ import annotations

import gc
import os
import pickle
import platform
import random
import resource
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import psutil

from rustybt.benchmarking.models import BenchmarkResult, BenchmarkResultSet
from rustybt.errors import BenchmarkNotPicklable, BenchmarkRunFailed

__all__ = ["InterleavedRuns", "environment", "measure", "run_interleaved"]

#: Seconds between RSS samples of a run (mean memory).
SAMPLE_INTERVAL = 0.005
#: ``ru_maxrss`` unit in bytes: KiB on Linux and the BSDs, bytes on macOS.
_MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024


@dataclass(frozen=True)
class InterleavedRuns:
    """The two sides of an interleaved measurement.

    Attributes:
        baseline: The baseline's runs.
        candidate: The candidate's runs.
        order: Sides in measured order (``'baseline'``/``'candidate'``), warm-up excluded.
    """

    baseline: BenchmarkResultSet
    candidate: BenchmarkResultSet
    order: tuple[str, ...]

    @property
    def pairs(self) -> tuple[tuple[BenchmarkResult, BenchmarkResult], ...]:
        """``(baseline run i, candidate run i)``, measured one right after the other."""
        return tuple(zip(self.baseline.runs, self.candidate.runs, strict=True))


def environment() -> dict[str, str]:
    """Facts about the measuring machine and interpreter, recorded with every run."""
    return {"python": platform.python_version(), "implementation": sys.implementation.name,
            "platform": platform.platform(), "machine": platform.machine(),
            "cpu_count": str(os.cpu_count()), "numpy": np.__version__}


def _seed(seed: int | None) -> None:
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed % 2**32)


def _reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux ``clear_refs``); False where it cannot be."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _peak_rss(reset: bool) -> int:
    """Peak RSS in bytes since the reset (``VmHWM``), else ``ru_maxrss`` (module docstring)."""
    if reset or sys.platform.startswith("linux"):
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _MAXRSS_UNIT


def measure(fn: Callable[[], object], *, seed: int | None = None, workload_size: int = 1,
            index: int = 0, sample_interval: float = SAMPLE_INTERVAL) -> BenchmarkResult:
    """Call ``fn()`` once in this process and measure it (module docstring)."""
    proc = psutil.Process()
    samples = [proc.memory_info().rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(sample_interval):
            samples.append(proc.memory_info().rss)

    _seed(seed)
    gc.collect()
    reset = _reset_peak_rss()
    sampler = threading.Thread(target=sample, name="rustybt-rss-sampler", daemon=True)
    sampler.start()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        fn()
    finally:
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        stop.set()
        sampler.join()
    samples.append(proc.memory_info().rss)
    peak = max(_peak_rss(reset), max(samples))
    return BenchmarkResult(wall_time_s=wall, cpu_time_s=cpu, peak_memory_bytes=int(peak),
                           mean_memory_bytes=int(sum(samples) / len(samples)),
                           workload_size=workload_size, environment=environment(), seed=seed,
                           index=index, pid=os.getpid())


def _measure_in_child(fn: Callable[[], object], seed: int | None, workload_size: int,
                      index: int, sample_interval: float) -> BenchmarkResult:
    return measure(fn, seed=seed, workload_size=workload_size, index=index,
                   sample_interval=sample_interval)


def _check_picklable(fn: Callable[[], object], side: str) -> None:
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise BenchmarkNotPicklable(
            f"the {side} callable {fn!r} cannot be sent to a spawned process ({exc}); "
            "fresh_process=True needs a module-level function (or a picklable object)"
        ) from exc


def run_interleaved(baseline: Callable[[], object], candidate: Callable[[], object],
                    runs: int = 10, warmup: int = 1, fresh_process: bool = False, *,
                    names: tuple[str, str] = ("baseline", "candidate"),
                    seed: int | None = None, workload_size: int = 1,
                    sample_interval: float = SAMPLE_INTERVAL) -> InterleavedRuns:
    """Run ``warmup`` unrecorded calls of each side, then ``runs`` measured A B pairs.

    Args:
        baseline: The reference callable (A), called without arguments.
        candidate: The callable compared with it (B).
        runs: Measured runs per side (>= 1; the decision rule wants >= 10).
        warmup: Unrecorded calls per side before measuring (>= 0).
        fresh_process: Run every call in a new spawned process (per-run peak RSS).
        names: The result sets' names.
        seed: Seed ``random`` and NumPy's global generator with before every call.
        workload_size: Units of work one call does, recorded with each run.
        sample_interval: Seconds between RSS samples.

    Raises:
        ValueError: ``runs < 1``, ``warmup < 0`` or ``sample_interval <= 0``.
        BenchmarkNotPicklable: ``fresh_process`` with a callable a spawned process can't get.
        BenchmarkRunFailed: A call raised.
    """
    if type(runs) is not int or runs < 1:
        raise ValueError(f"runs must be an int >= 1, not {runs!r}")
    if type(warmup) is not int or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, not {warmup!r}")
    if not sample_interval > 0:
        raise ValueError(f"sample_interval must be > 0 seconds, not {sample_interval!r}")
    sides = {"baseline": baseline, "candidate": candidate}
    if fresh_process:
        for side, fn in sides.items():
            _check_picklable(fn, side)

    def call(side: str, index: int, label: str) -> BenchmarkResult:
        fn = sides[side]
        args: tuple[Any, ...] = (fn, seed, workload_size, index, sample_interval)
        try:
            if not fresh_process:
                return _measure_in_child(*args)
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                return pool.submit(_measure_in_child, *args).result()
        except Exception as exc:
            where = "a spawned process" if fresh_process else f"process {os.getpid()}"
            raise BenchmarkRunFailed(f"{side} ({names[side == 'candidate']!r}) {label} raised "
                                     f"in {where}: {exc!r}") from exc

    for i in range(warmup):
        for side in sides:
            call(side, 0, f"warm-up call {i}")
    measured: dict[str, list[BenchmarkResult]] = {"baseline": [], "candidate": []}
    order: list[str] = []
    for i in range(runs):
        for side in sides:
            measured[side].append(call(side, len(order), f"run {i}"))
            order.append(side)
    return InterleavedRuns(BenchmarkResultSet(names[0], tuple(measured["baseline"])),
                           BenchmarkResultSet(names[1], tuple(measured["candidate"])),
                           tuple(order))
