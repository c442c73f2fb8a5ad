"""A real, small evaluation for the report tests: interleaved runs of three tiny workloads.

The runner collects garbage before every run; with the test session's large heap a full
collection takes a few hundred milliseconds, so the objects alive before measuring are frozen
(``gc.freeze``) while it runs: the collections then only walk what the runs allocate.
"""

from __future__ import annotations

import gc

from rustybt.benchmarking import (
    BaselineImplementation,
    OptimizationComponent,
    PerformanceReport,
    PerformanceThreshold,
    run_interleaved,
)


def slow() -> int:
    """The baseline workload."""
    return sum(range(150_000))


def mid() -> int:
    """A third of it."""
    return sum(range(50_000))


def fast() -> int:
    """A tenth of ``mid``."""
    return sum(range(5_000))


def real_report() -> PerformanceReport:
    """Two accepted steps (data, execution), one rejected, one not measured."""
    gc.freeze()
    try:
        a = run_interleaved(slow, mid, runs=10, warmup=1, names=("all_off", "history_cache on"))
        b = run_interleaved(mid, fast, runs=10, warmup=1,
                            names=("history_cache on", "array_returns on"))
    finally:
        gc.unfreeze()
    components = (
        OptimizationComponent("history cache", "history_cache", "data", "accepted",
                              a.baseline, a.candidate, ["measured faster"]),
        OptimizationComponent("array returns", "array_returns", "execution", "accepted",
                              b.baseline, b.candidate),
        # the same runs the other way round: slower, unpaired (indices do not interleave)
        OptimizationComponent("pre grouping", "pre_grouping", "execution", "rejected",
                              b.candidate, b.baseline, ["slower"]),
        OptimizationComponent("bundle pooling", "bundle_pooling", "caching"),
    )
    baseline = BaselineImplementation("all_off", "every flag off", {"history_cache": False},
                                      None, a.baseline)
    return PerformanceReport("Tiny evaluation", "2026-11-29T12:00:00", PerformanceThreshold(),
                             baseline, components)
