"""What a benchmark report shows: configurations, comparisons and the cumulative waterfall.

:class:`BenchmarkReport` is the view ``rustybt bench report`` renders (Markdown and JSON:
:mod:`~rustybt.benchmarking.report`; PNG charts: :mod:`~rustybt.benchmarking.charts`). It
is built from either input:

- a :class:`~rustybt.benchmarking.PerformanceReport` (:func:`from_performance_report`): the
  configurations are the baseline's runs (or, when it has none, the first measured
  component's baseline) then each measured component's optimized runs, in evaluation order;
  each measured component is one comparison, with the status the evaluation recorded; the
  cumulative chain is the accepted components (a rejected one was turned off again), each
  measured against the configuration before it;
- result sets (:func:`from_result_sets`, a folder of ``BenchmarkResultSet`` JSONs in file
  name order): an ordered chain of configurations, each compared with the one before; every
  step is in the chain and its status is :func:`~rustybt.benchmarking.decide`'s under the
  default threshold (``undecided`` below its run count).

Statistics (:mod:`~rustybt.benchmarking.statistics`): a comparison is paired when both sides
have as many runs and each candidate run came right after its baseline run (``index + 1``,
as :func:`~rustybt.benchmarking.run_interleaved` records them), else unpaired (Welch). The
time ratio (candidate / baseline) and its interval are the log-ratio t interval at the
threshold's confidence; p-values are the one-sided t-test on log times and Mann–Whitney.
The waterfall multiplies the chain's ratios: :attr:`BenchmarkReport.total_ratio` is
:func:`~rustybt.benchmarking.cumulative_time_ratio` of them, and each step's ``after`` is
the running product. Every set needs two runs (an interval needs them), else
:class:`~rustybt.errors.InsufficientRuns` names it.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from rustybt.benchmarking.components import PerformanceReport
from rustybt.benchmarking.models import BenchmarkResultSet, PerformanceThreshold
from rustybt.benchmarking.statistics import (
    RatioInterval,
    TestResult,
    cumulative_time_ratio,
    decide,
    log_ratio_ci,
    mann_whitney,
    paired_t_test,
    welch_t_test,
)
from rustybt.errors import BenchmarkInputNotFound, InsufficientRuns, InvalidBenchmarkRecord

__all__ = [
    "BenchmarkReport",
    "Comparison",
    "Configuration",
    "WaterfallStep",
    "format_seconds",
    "from_performance_report",
    "from_result_sets",
    "load_report_input",
]


@dataclass(frozen=True)
class Configuration:
    """One measured configuration: its label, its runs and what became of it.

    Attributes:
        label: Shown on charts and tables (the component's name, or the set's).
        results: Its runs.
        status: ``baseline``, or the status of the comparison that produced it.
    """

    label: str
    results: BenchmarkResultSet
    status: str = "baseline"

    @property
    def ci(self) -> tuple[float, float]:
        """95% interval of the mean wall time."""
        return self.results.ci95


@dataclass(frozen=True)
class Comparison:
    """A candidate's runs against its baseline's, with the statistics the report shows.

    Attributes:
        name: The component (or result set) compared.
        layer: Its layer (the component's category; the set's name for result sets).
        flag: Its OptimizationConfig flag, or None.
        baseline: The runs it is compared with.
        optimized: Its runs.
        status: ``accepted``, ``rejected`` (or another recorded status, or ``undecided``).
        paired: Whether the runs were compared as interleaved pairs.
        interval: Time ratio (optimized / baseline) and its interval.
        t_test: One-sided t-test on log times (paired or Welch).
        mann_whitney: One-sided Mann–Whitney U test.
        in_chain: Whether it counts in the cumulative waterfall.
        reasons: Reasons recorded (or decided) for its status.
    """

    name: str
    layer: str
    flag: str | None
    baseline: BenchmarkResultSet
    optimized: BenchmarkResultSet
    status: str
    paired: bool
    interval: RatioInterval
    t_test: TestResult
    mann_whitney: TestResult
    in_chain: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class WaterfallStep:
    """One step of the cumulative waterfall: its ratio and the running product around it."""

    name: str
    layer: str
    ratio: float
    low: float
    high: float
    before: float
    after: float


@dataclass(frozen=True)
class BenchmarkReport:
    """The report's content (module docstring).

    Attributes:
        title: Its title.
        source: What it was built from (``PerformanceReport of <date>``, ``N result sets``).
        threshold: The acceptance rule (confidence of the intervals).
        configurations: Measured configurations, baseline first.
        comparisons: Comparisons, in order.
        not_measured: Components without both result sets, as ``(name, status)``.
    """

    title: str
    source: str
    threshold: PerformanceThreshold
    configurations: tuple[Configuration, ...]
    comparisons: tuple[Comparison, ...]
    not_measured: tuple[tuple[str, str], ...] = ()

    @property
    def waterfall(self) -> tuple[WaterfallStep, ...]:
        """The chain's steps with the running product of their time ratios."""
        steps, before = [], 1.0
        for c in self.comparisons:
            if c.in_chain:
                after = before * c.interval.ratio
                steps.append(WaterfallStep(c.name, c.layer, c.interval.ratio, c.interval.low,
                                           c.interval.high, before, after))
                before = after
        return tuple(steps)

    @property
    def total_ratio(self) -> float:
        """Time ratio of the whole chain (the product of its steps' ratios)."""
        return cumulative_time_ratio(c.interval.ratio for c in self.comparisons if c.in_chain)

    @property
    def layer_ratios(self) -> dict[str, float]:
        """Each layer's product of chain ratios, in the order layers first appear."""
        out: dict[str, float] = {}
        for step in self.waterfall:
            out[step.layer] = out.get(step.layer, 1.0) * step.ratio
        return out


def _interleaved(b: BenchmarkResultSet, c: BenchmarkResultSet) -> bool:
    return b.n == c.n and all(y.index == x.index + 1 for x, y in zip(b.runs, c.runs,
                                                                      strict=True))


def _need_two(s: BenchmarkResultSet) -> BenchmarkResultSet:
    if s.n < 2:
        raise InsufficientRuns(f"result set {s.name!r} has {s.n} run; a report needs at least "
                               "2 per configuration (for its confidence interval)")
    return s


def _compare(name: str, layer: str, baseline: BenchmarkResultSet,
             optimized: BenchmarkResultSet, threshold: PerformanceThreshold, *, status: str,
             in_chain: bool, flag: str | None = None,
             reasons: tuple[str, ...] = ()) -> Comparison:
    """The statistics of ``optimized`` against ``baseline`` (module docstring)."""
    b, c = _need_two(baseline), _need_two(optimized)
    paired = _interleaved(b, c)
    interval = log_ratio_ci(b, c, threshold.confidence, paired=paired)
    test = (paired_t_test if paired else welch_t_test)(b, c, log=True)
    return Comparison(name, layer, flag, b, c, status, paired, interval, test,
                      mann_whitney(b, c), in_chain, reasons)


def from_performance_report(report: PerformanceReport) -> BenchmarkReport:
    """The report view of an evaluation (module docstring)."""
    th = report.threshold
    comparisons: list[Comparison] = []
    not_measured: list[tuple[str, str]] = []
    for comp in report.components:
        if comp.baseline is None or comp.optimized is None:
            not_measured.append((comp.name, comp.status))
            continue
        comparisons.append(_compare(comp.name, comp.category, comp.baseline, comp.optimized, th,
                                    status=comp.status, in_chain=comp.status == "accepted",
                                    flag=comp.flag, reasons=tuple(comp.reasons)))
    first = report.baseline.results
    if first is None and comparisons:
        first = comparisons[0].baseline
    configs = [] if first is None else [Configuration(report.baseline.name, _need_two(first))]
    configs += [Configuration(c.name, c.optimized, c.status) for c in comparisons]
    if not configs:
        raise InsufficientRuns(f"performance report {report.title!r} holds no measured "
                               "configuration (no baseline results and no measured component)")
    return BenchmarkReport(report.title, f"PerformanceReport of {report.created_at}", th,
                           tuple(configs), tuple(comparisons), tuple(not_measured))


def from_result_sets(sets: list[BenchmarkResultSet], title: str = "Benchmark report",
                     threshold: PerformanceThreshold | None = None) -> BenchmarkReport:
    """The report of an ordered chain of configurations (module docstring)."""
    th = threshold if threshold is not None else PerformanceThreshold()
    if not sets:
        raise InsufficientRuns("a report needs at least one result set")
    names = [s.name for s in sets]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidBenchmarkRecord(f"result set names repeat: {repeated}; each configuration "
                                     "of a report needs its own name")
    comparisons = []
    for prev, cur in itertools.pairwise(sets):
        try:
            d = decide(prev, cur, th, paired=_interleaved(prev, cur))
            status, reasons = ("accepted" if d.accepted else "rejected"), d.reasons
        except InsufficientRuns as exc:
            status, reasons = "undecided", (str(exc),)
        comparisons.append(_compare(cur.name, cur.name, prev, cur, th, status=status,
                                    in_chain=True, reasons=tuple(reasons)))
    configs = [Configuration(sets[0].name, _need_two(sets[0]))]
    configs += [Configuration(c.name, c.optimized, c.status) for c in comparisons]
    return BenchmarkReport(title, f"{len(sets)} result sets", th, tuple(configs),
                           tuple(comparisons))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkInputNotFound(f"{path}: cannot be read: {exc}") from exc


def _kind(text: str) -> object:
    try:
        data = json.loads(text)
    except ValueError:
        return None  # PerformanceReport.from_json names the error
    return data.get("kind") if isinstance(data, dict) else None


def load_report_input(path: str | Path, title: str | None = None) -> BenchmarkReport:
    """Read a PerformanceReport or SequentialEvaluation JSON file (``rustybt bench evaluate``
    writes ``sequence.json``), or a folder of BenchmarkResultSet JSON files.

    Raises:
        BenchmarkInputNotFound: ``path`` does not exist, or the folder holds no ``*.json``.
        InvalidBenchmarkRecord: A file is not the record it should be (message names it).
    """
    p = Path(path)
    if not p.exists():
        raise BenchmarkInputNotFound(f"{p}: no such file or folder (a PerformanceReport JSON "
                                     "or a folder of BenchmarkResultSet JSON files)")
    try:
        if p.is_dir():
            files = sorted(f for f in p.glob("*.json") if f.is_file())
            if not files:
                raise BenchmarkInputNotFound(f"{p}: the folder holds no *.json result set")
            sets = []
            for f in files:
                try:
                    sets.append(BenchmarkResultSet.from_json(_read(f)))
                except InvalidBenchmarkRecord as exc:
                    raise InvalidBenchmarkRecord(f"{f}: {exc}") from exc
            return from_result_sets(sets, title or f"Benchmark report: {p.name}")
        text = _read(p)
        if _kind(text) == "SequentialEvaluation":
            from rustybt.benchmarking.sequential import SequentialEvaluation

            report = SequentialEvaluation.from_json(text).to_performance_report()
        else:
            report = PerformanceReport.from_json(text)
        rep = from_performance_report(report)
    except (InvalidBenchmarkRecord, InsufficientRuns) as exc:
        if str(p) in str(exc):
            raise
        raise type(exc)(f"{p}: {exc}") from exc
    if title is not None:
        rep = BenchmarkReport(title, rep.source, rep.threshold, rep.configurations,
                              rep.comparisons, rep.not_measured)
    return rep


def format_seconds(seconds: float) -> str:
    """A time with a unit chosen by its size (``1.234 s``, ``12.34 ms``, ``123.4 µs``)."""
    if not math.isfinite(seconds):
        raise InvalidBenchmarkRecord(f"time {seconds!r} is not finite")
    if abs(seconds) >= 1.0:
        return f"{seconds:.4g} s"
    if abs(seconds) >= 1e-3:
        return f"{seconds * 1e3:.4g} ms"
    return f"{seconds * 1e6:.4g} µs"
