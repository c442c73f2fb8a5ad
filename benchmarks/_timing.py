"""Timing helper shared by the benchmark scripts (run from benchmarks/, so importable as-is)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def per_call_us(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], repeats: int) -> float:
    """Median over ``repeats`` of the mean per-call time (µs) of running ``fn`` on ``calls``.

    The first call is made once beforehand to warm caches and lazy imports.
    """
    fn(*calls[0])
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        for args in calls:
            fn(*args)
        samples.append((time.perf_counter_ns() - t0) / len(calls) / 1000.0)
    return statistics.median(samples)
