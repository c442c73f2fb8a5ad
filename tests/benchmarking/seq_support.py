"""Synthetic workloads with injected timings for the sequential evaluation's tests.

No sleeping and no real clock: the workload advances a :class:`VirtualClock` by a cost that
depends on the flags it is given (a product of per-flag factors), and :class:`FakeMeasure`
(a drop-in for ``run_interleaved``) calls both sides alternately and reads that clock, with a
small seeded multiplicative noise. The decisions are therefore exactly reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from rustybt.benchmarking import BenchmarkResult, BenchmarkResultSet, InterleavedRuns

RESULT = {"trials": [{"short": 5, "long": 30, "sharpe": 1.25}, {"short": 10, "long": 30,
                                                                 "sharpe": -0.5}]}


class VirtualClock:
    """Seconds of simulated work done so far."""

    def __init__(self) -> None:
        self.now = 0.0


def workload(clock: VirtualClock, factors: dict[str, float], wrong: Iterable[str] = (),
             calls: list[dict[str, bool]] | None = None) -> Callable[[Any], object]:
    """``run(config)``: costs ``1.0 × factor`` of every flag on; a flag of ``wrong`` changes
    the second trial's sharpe in the 9th significant digit."""
    wrong = set(wrong)

    def run(config: Any) -> object:
        flags = config.flags()
        if calls is not None:
            calls.append(flags)
        cost = 1.0
        for flag, on in flags.items():
            cost *= factors.get(flag, 1.0) if on else 1.0
        clock.now += cost
        trials = [dict(t) for t in RESULT["trials"]]
        if any(flags[f] for f in wrong):
            trials[1]["sharpe"] = -0.5000000001
        return {"trials": trials}

    return run


class FakeMeasure:
    """Interleaved A B runs timed on the virtual clock, times × (1 + noise · N(0, 1))."""

    def __init__(self, clock: VirtualClock, noise: float = 0.01, seed: int = 0) -> None:
        self.clock, self.noise = clock, noise
        self.rng = np.random.default_rng(seed)
        self.calls: list[tuple[str, str]] = []

    def __call__(self, baseline: Callable[[], object], candidate: Callable[[], object], *,
                 runs: int, warmup: int, names: tuple[str, str]) -> InterleavedRuns:
        self.calls.append(names)
        for _ in range(warmup):
            baseline(), candidate()
        sides: dict[str, list[BenchmarkResult]] = {"baseline": [], "candidate": []}
        order = []
        for _ in range(runs):
            for side, fn in (("baseline", baseline), ("candidate", candidate)):
                start = self.clock.now
                fn()
                wall = (self.clock.now - start) * (1.0 + self.noise * self.rng.standard_normal())
                sides[side].append(BenchmarkResult(wall, wall, 100 << 20, 90 << 20,
                                                   index=len(order)))
                order.append(side)
        return InterleavedRuns(BenchmarkResultSet(names[0], tuple(sides["baseline"])),
                               BenchmarkResultSet(names[1], tuple(sides["candidate"])),
                               tuple(order))
