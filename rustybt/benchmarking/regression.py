"""The CI regression gate's rule: a speedup measured now against the one recorded in a file.

An optimization's speedup (baseline time / optimized time) is measured in one process, both
sides on the same machine within milliseconds of each other, so the machine's speed and load
cancel out of the ratio; absolute times would not survive a noisy shared machine.

Design and invariants:
- :func:`measure_pairs`: ``warmup`` unrecorded calls of each side, then ``pairs`` interleaved
  pairs, the order alternating (A B, B A, A B...) so neither side always runs on the caches
  the other left. The garbage collector runs once before and is off while measuring (a
  collection lands on whichever call triggers it). Each call is timed with the process's CPU
  clock (``time.process_time``: the time this process ran, not the time other processes held
  the core; the quantity that stays put when the machine is loaded) and the wall clock.
- The speedup of a check is the **median over pairs** of ``baseline / optimized`` CPU times
  (:func:`median_speedup`): one disturbed pair moves the median little.
- :class:`GateBaseline` is the committed record (``benchmarks/gate_baseline.json``): each
  check's recorded speedup, the command that wrote it, when, where. Reading it checks every
  field (:class:`~rustybt.errors.InvalidBenchmarkRecord` names the file and the field).
- :func:`evaluate`: a check passes iff ``measured >= recorded * (1 - tolerance)`` (default
  10 %: the PRD's "fail on > 10 % degradation"). A check the file does not record fails
  with :class:`~rustybt.errors.InvalidBenchmarkRecord` naming the file and the command that
  records it: an unrecorded check is never passed silently.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rustybt._fs import atomic_write
from rustybt.benchmarking._json import FieldReader, JsonRecord, check_finite, check_str_map
from rustybt.errors import InvalidBenchmarkRecord

__all__ = ["TOLERANCE", "GateBaseline", "GateOutcome", "PairedTimes", "evaluate",
           "measure_pairs", "median_speedup"]

#: Largest accepted fall of a speedup below its recorded value (0.10 = 10 %).
TOLERANCE = 0.10


@dataclass(frozen=True)
class PairedTimes:
    """Seconds of each measured call, pair ``i`` of both sides measured back to back."""

    baseline_cpu: tuple[float, ...]
    optimized_cpu: tuple[float, ...]
    baseline_wall: tuple[float, ...]
    optimized_wall: tuple[float, ...]

    @property
    def speedup(self) -> float:
        """Median over pairs of baseline / optimized CPU time."""
        return median_speedup(self.baseline_cpu, self.optimized_cpu)

    @property
    def wall_speedup(self) -> float:
        """The same median of wall-clock times (printed; noisier on a loaded machine)."""
        return median_speedup(self.baseline_wall, self.optimized_wall)


def median_speedup(baseline: tuple[float, ...], optimized: tuple[float, ...]) -> float:
    """Median of ``baseline[i] / optimized[i]``.

    Raises:
        ValueError: No pairs, unequal lengths, or a time that is not > 0.
    """
    if not baseline or len(baseline) != len(optimized):
        raise ValueError(f"median_speedup needs pairs: {len(baseline)} baseline and "
                         f"{len(optimized)} optimized times")
    bad = [t for t in (*baseline, *optimized) if not t > 0]
    if bad:
        raise ValueError(f"median_speedup: times must be > 0 seconds, got {bad[:3]} (a call "
                         "too short for the clock: give it more work)")
    return statistics.median(b / o for b, o in zip(baseline, optimized, strict=True))


def measure_pairs(baseline: Callable[[], object], optimized: Callable[[], object],
                  pairs: int, warmup: int = 1) -> PairedTimes:
    """Time ``pairs`` interleaved calls of each side (module docstring)."""
    if type(pairs) is not int or pairs < 1:
        raise ValueError(f"pairs must be an int >= 1, not {pairs!r}")
    for _ in range(warmup):
        baseline()
        optimized()
    times: dict[str, tuple[list[float], list[float]]] = {"b": ([], []), "o": ([], [])}
    sides = {"b": baseline, "o": optimized}
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(pairs):
            for side in ("b", "o") if i % 2 == 0 else ("o", "b"):
                c0, w0 = time.process_time(), time.perf_counter()
                sides[side]()
                w1, c1 = time.perf_counter(), time.process_time()
                times[side][0].append(c1 - c0)
                times[side][1].append(w1 - w0)
    finally:
        if enabled:
            gc.enable()
    return PairedTimes(tuple(times["b"][0]), tuple(times["o"][0]), tuple(times["b"][1]),
                       tuple(times["o"][1]))


@dataclass(frozen=True)
class GateBaseline(JsonRecord):
    """The recorded speedups the gate compares against.

    Attributes:
        ratios: Check name → recorded speedup (baseline / optimized CPU time, > 0).
        command: The command that recorded them.
        recorded_at: When (ISO 8601, UTC).
        pairs: Pairs per measurement.
        environment: The recording machine and interpreter.
    """

    ratios: dict[str, float]
    command: str
    recorded_at: str
    pairs: int
    environment: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        kind = type(self).__name__
        if not isinstance(self.ratios, Mapping) or not self.ratios:
            raise InvalidBenchmarkRecord(f"{kind}.ratios must name at least one check")
        for name, value in self.ratios.items():
            check_finite(kind, f"ratios[{name!r}]", value, low=0.0, low_open=True)
        check_str_map(kind, "environment", self.environment)
        if type(self.pairs) is not int or self.pairs < 1:
            raise InvalidBenchmarkRecord(f"{kind}.pairs must be an int >= 1, not "
                                         f"{self.pairs!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"ratios": dict(self.ratios), "command": self.command,
                "recorded_at": self.recorded_at, "pairs": self.pairs,
                "environment": dict(self.environment)}

    @classmethod
    def _read(cls, r: FieldReader) -> GateBaseline:
        raw = r.obj("ratios", "ratios")
        ratios = {name: raw.number(name) for name in raw.data}
        return cls(ratios, r.text("command"), r.text("recorded_at"), r.integer("pairs"),
                   r.str_map("environment"))

    @classmethod
    def load(cls, path: str | Path) -> GateBaseline:
        """Read ``path``; any problem raises InvalidBenchmarkRecord naming the file."""
        p = Path(path)
        try:
            return cls.from_json(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InvalidBenchmarkRecord(f"{p}: no gate baseline (record one with "
                                         "`benchmarks/gate.py --record`)") from exc
        except InvalidBenchmarkRecord as exc:
            raise InvalidBenchmarkRecord(f"{p}: {exc}") from exc

    def save(self, path: str | Path) -> None:
        """Write the record to ``path`` atomically (indented, keys sorted)."""
        import json

        data = {"kind": type(self).__name__, **self.to_dict()}
        atomic_write(Path(path), json.dumps(data, indent=2, sort_keys=True,
                                            allow_nan=False) + "\n")


@dataclass(frozen=True)
class GateOutcome:
    """One check's measured speedup against its recorded one."""

    name: str
    measured: float
    recorded: float
    tolerance: float = TOLERANCE

    @property
    def floor(self) -> float:
        """The least speedup that passes."""
        return self.recorded * (1.0 - self.tolerance)

    @property
    def passed(self) -> bool:
        """``measured >= floor``."""
        return self.measured >= self.floor

    @property
    def change(self) -> float:
        """Fractional change of the speedup (-0.12: 12 % below the recorded one)."""
        return self.measured / self.recorded - 1.0

    def line(self) -> str:
        """One line naming both numbers, the floor and the verdict."""
        verdict = "ok" if self.passed else (f"FAIL: more than {self.tolerance:.0%} below the "
                                            "recorded speedup")
        return (f"{self.name}: speedup {self.measured:.2f}x now, {self.recorded:.2f}x recorded "
                f"({self.change:+.1%}; floor {self.floor:.2f}x) {verdict}")


def evaluate(name: str, measured: float, baseline: GateBaseline, *,
             tolerance: float = TOLERANCE, source: str | Path = "the gate baseline"
             ) -> GateOutcome:
    """Compare a measured speedup with ``baseline``'s record of check ``name``.

    Raises:
        InvalidBenchmarkRecord: ``baseline`` records no speedup for ``name``.
        ValueError: ``tolerance`` is not in [0, 1).
    """
    if not 0.0 <= tolerance < 1.0:
        raise ValueError(f"tolerance must be in [0, 1), not {tolerance!r}")
    if name not in baseline.ratios:
        raise InvalidBenchmarkRecord(
            f"{source}: no recorded speedup for check {name!r} (it records "
            f"{sorted(baseline.ratios)}); record it with `benchmarks/gate.py --record`")
    return GateOutcome(name, measured, baseline.ratios[name], tolerance)
