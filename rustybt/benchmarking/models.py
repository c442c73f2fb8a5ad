"""The measurement records: a threshold, one run, a set of runs (and its statistics).

The evaluation's records (component, baseline, alternative, report) are in
:mod:`rustybt.benchmarking.components`; both modules follow the same rules.

Design:
- Records are frozen dataclasses.
- Every model has ``to_json()`` and ``from_json(text)``, with
  ``Model.from_json(m.to_json()) == m``. The JSON names its ``kind``; reading checks every
  field's type and raises :class:`~rustybt.errors.InvalidBenchmarkRecord` naming the record,
  field and value (``_json.FieldReader``). NaN and infinity are refused when writing and
  reading, and by the constructors.
- Units: seconds (wall and CPU time), bytes (memory), fractions (``0.05`` is 5 %).
- :class:`BenchmarkResultSet`'s statistics are of the wall time (the quantity decisions are
  made on); its JSON carries them as a ``summary`` that reading recomputes and compares, so a
  record whose runs were edited without its summary is refused.
- No scipy at import time: a spawned measuring process (``runner``) imports this module, and
  the t quantile of :meth:`BenchmarkResultSet.ci` is the only use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rustybt.benchmarking._json import (
    FieldReader,
    JsonRecord,
    check_finite,
    check_name,
    check_str_map,
)
from rustybt.errors import InsufficientRuns, InvalidBenchmarkRecord

__all__ = ["DATASET_SIZES", "BenchmarkResult", "BenchmarkResultSet", "PerformanceThreshold"]

#: Dataset size categories of a threshold (the PRD's small → production scale).
DATASET_SIZES = ("small", "medium", "large", "production")


def _check_choice(kind: str, name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidBenchmarkRecord(f"{kind}.{name} must be one of {choices}, not {value!r}")


@dataclass(frozen=True)
class PerformanceThreshold(JsonRecord):
    """What an optimization must achieve to be accepted.

    Attributes:
        min_improvement: Least fractional reduction of the mean wall time (0.05 = 5 %).
        confidence: Confidence of the test and intervals (p must be < ``1 - confidence``).
        min_runs: Least number of measured runs per side.
        max_memory_increase: Largest fractional increase of the mean peak RSS.
        workflow_type: The workflow measured (``grid_search``, ``walk_forward``...).
        dataset_size: One of :data:`DATASET_SIZES`.
    """

    min_improvement: float = 0.05
    confidence: float = 0.95
    min_runs: int = 10
    max_memory_increase: float = 0.02
    workflow_type: str = "grid_search"
    dataset_size: str = "small"

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_finite(kind, "min_improvement", self.min_improvement, low=0, high=1, low_open=True)
        check_finite(kind, "confidence", self.confidence, low=0, high=1, low_open=True)
        if self.confidence == 1:
            raise InvalidBenchmarkRecord(f"{kind}.confidence must be < 1, not 1")
        if type(self.min_runs) is not int or self.min_runs < 2:
            raise InvalidBenchmarkRecord(f"{kind}.min_runs must be an int >= 2, "
                                         f"not {self.min_runs!r}")
        check_finite(kind, "max_memory_increase", self.max_memory_increase, low=0)
        check_name(kind, "workflow_type", self.workflow_type)
        _check_choice(kind, "dataset_size", self.dataset_size, DATASET_SIZES)

    @property
    def alpha(self) -> float:
        """The significance level, ``1 - confidence``."""
        return 1.0 - self.confidence

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return {"min_improvement": self.min_improvement, "confidence": self.confidence,
                "min_runs": self.min_runs, "max_memory_increase": self.max_memory_increase,
                "workflow_type": self.workflow_type, "dataset_size": self.dataset_size}

    @classmethod
    def _read(cls, r: FieldReader) -> PerformanceThreshold:
        return cls(r.number("min_improvement"), r.number("confidence"), r.integer("min_runs"),
                   r.number("max_memory_increase"), r.text("workflow_type"),
                   r.text("dataset_size"))



@dataclass(frozen=True)
class BenchmarkResult(JsonRecord):
    """One measured run.

    Attributes:
        wall_time_s: Elapsed time (``time.perf_counter``).
        cpu_time_s: CPU time of the measuring process (``time.process_time``).
        peak_memory_bytes: Peak RSS (``ru_maxrss``; the process's high-water mark, so per
            run only when each run has its own process).
        mean_memory_bytes: Mean of the RSS samples taken during the run.
        workload_size: Units of work the run did (backtests, bars...), as the caller counts.
        environment: Free-form facts (python, platform, cpu count, git commit...).
        seed: The seed the run's random generators were given, or None.
        index: Position of the run in the measured order (0-based, both sides counted).
        pid: Process that ran it, or None when not recorded.
    """

    wall_time_s: float
    cpu_time_s: float
    peak_memory_bytes: int
    mean_memory_bytes: int
    workload_size: int = 1
    environment: dict[str, str] = field(default_factory=dict, hash=False)
    seed: int | None = None
    index: int = 0
    pid: int | None = None

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_finite(kind, "wall_time_s", self.wall_time_s, low=0)
        check_finite(kind, "cpu_time_s", self.cpu_time_s, low=0)
        for name in ("peak_memory_bytes", "mean_memory_bytes", "workload_size", "index"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise InvalidBenchmarkRecord(f"{kind}.{name} must be an int >= 0, not {value!r}")
        if self.workload_size < 1:
            raise InvalidBenchmarkRecord(f"{kind}.workload_size must be >= 1, "
                                         f"not {self.workload_size!r}")
        check_str_map(kind, "environment", self.environment)
        for name in ("seed", "pid"):
            value = getattr(self, name)
            if value is not None and type(value) is not int:
                raise InvalidBenchmarkRecord(f"{kind}.{name} must be an int or None, "
                                             f"not {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return {"wall_time_s": self.wall_time_s, "cpu_time_s": self.cpu_time_s,
                "peak_memory_bytes": self.peak_memory_bytes,
                "mean_memory_bytes": self.mean_memory_bytes,
                "workload_size": self.workload_size, "environment": dict(self.environment),
                "seed": self.seed, "index": self.index, "pid": self.pid}

    @classmethod
    def _read(cls, r: FieldReader) -> BenchmarkResult:
        return cls(r.number("wall_time_s"), r.number("cpu_time_s"),
                   r.integer("peak_memory_bytes"), r.integer("mean_memory_bytes"),
                   r.integer("workload_size"), r.str_map("environment"), r.opt_integer("seed"),
                   r.integer("index"), r.opt_integer("pid"))



@dataclass(frozen=True)
class BenchmarkResultSet(JsonRecord):
    """The runs of one configuration, and the statistics of their wall times.

    Attributes:
        name: The configuration measured (``baseline``, ``history_cache``...).
        runs: The runs, in the order they were measured (a list is stored as a tuple).
    """

    name: str
    runs: tuple[BenchmarkResult, ...]

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_name(kind, "name", self.name)
        object.__setattr__(self, "runs", tuple(self.runs))
        if not self.runs or not all(isinstance(r, BenchmarkResult) for r in self.runs):
            raise InvalidBenchmarkRecord(f"{kind} {self.name!r}: runs must be one or more "
                                         f"BenchmarkResult, not {self.runs!r:.80}")

    @property
    def n(self) -> int:
        """Number of runs."""
        return len(self.runs)

    @property
    def wall_times(self) -> np.ndarray:
        """Wall times in seconds, in run order."""
        return np.array([r.wall_time_s for r in self.runs], dtype=float)

    @property
    def mean(self) -> float:
        """Mean wall time."""
        return float(self.wall_times.mean())

    @property
    def median(self) -> float:
        """Median wall time."""
        return float(np.median(self.wall_times))

    def _need(self, runs: int, what: str) -> None:
        if self.n < runs:
            raise InsufficientRuns(f"result set {self.name!r} has {self.n} run(s); "
                                   f"{what} needs at least {runs}")

    @property
    def std(self) -> float:
        """Sample standard deviation of the wall time (ddof=1; needs 2 runs)."""
        self._need(2, "a standard deviation")
        return float(self.wall_times.std(ddof=1))

    def ci(self, confidence: float = 0.95) -> tuple[float, float]:
        """Student-t confidence interval of the mean wall time (needs 2 runs)."""
        from scipy import stats

        self._need(2, "a confidence interval")
        half = float(stats.t.ppf(0.5 + confidence / 2, self.n - 1)) * self.std / math.sqrt(self.n)
        return self.mean - half, self.mean + half

    @property
    def ci95(self) -> tuple[float, float]:
        """95 % confidence interval of the mean wall time."""
        return self.ci(0.95)

    @property
    def cpu_mean(self) -> float:
        """Mean CPU time."""
        return float(np.mean([r.cpu_time_s for r in self.runs]))

    @property
    def peak_memory_mean(self) -> float:
        """Mean of the runs' peak RSS in bytes."""
        return float(np.mean([r.peak_memory_bytes for r in self.runs]))

    @property
    def mean_memory_mean(self) -> float:
        """Mean of the runs' mean RSS in bytes."""
        return float(np.mean([r.mean_memory_bytes for r in self.runs]))

    def summary(self) -> dict[str, Any]:
        """n, mean, median, std and 95 % CI of the wall time (std/CI null under 2 runs)."""
        two = self.n >= 2
        return {"n": self.n, "mean": self.mean, "median": self.median,
                "std": self.std if two else None, "ci95": list(self.ci95) if two else None}

    def to_dict(self) -> dict[str, Any]:
        """The runs and the summary as JSON-ready values."""
        return {"name": self.name, "runs": [r.to_dict() for r in self.runs],
                "summary": self.summary()}

    @classmethod
    def _read(cls, r: FieldReader) -> BenchmarkResultSet:
        made = cls(r.text("name"), tuple(BenchmarkResult._read(x)
                                         for x in r.obj_list("runs", "BenchmarkResult")))
        stored = r.obj("summary", "summary")
        if stored.integer("n") != made.n or not all(
                math.isclose(stored.number(k), getattr(made, k), rel_tol=1e-9, abs_tol=1e-12)
                for k in ("mean", "median")):
            raise InvalidBenchmarkRecord(
                f"{cls.__name__} {made.name!r}: the stored summary {stored.data} does not "
                f"match its runs (n={made.n}, mean={made.mean!r}, median={made.median!r})")
        return made

