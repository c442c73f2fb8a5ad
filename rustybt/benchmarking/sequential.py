"""Sequential evaluation: turn optimizations on one at a time, keep only those that pay.

Given an ordered list of :class:`~rustybt.optimization.config.OptimizationConfig` flags (by
default all of :data:`~rustybt.optimization.config.FLAGS`, in their declared order), a
workload ``run(config) -> result`` and a :class:`~rustybt.benchmarking.PerformanceThreshold`,
:func:`evaluate_sequence` evaluates each flag on top of the ones accepted before it:

1. Functional equivalence (blocking): the candidate's result (accepted flags + this one) is
   compared with the result of the all-off configuration
   (:func:`~rustybt.benchmarking.equivalence.first_difference`, exact unless a tolerance is
   given). Any difference rejects the flag, names the first difference, and nothing is
   measured: a wrong result is never "faster".
2. Measurement: the accepted configuration (baseline) and the candidate in interleaved runs
   (:func:`~rustybt.benchmarking.run_interleaved`, ``runs`` ≥ ``threshold.min_runs`` per
   side, after ``warmup`` unrecorded calls of each).
3. Decision: :func:`~rustybt.benchmarking.decide` on the paired runs: accepted iff the
   improvement ≥ ``min_improvement``, paired t and Mann–Whitney p < ``alpha``, and memory within
   ``max_memory_increase``; else rejected.

The sequence stops when the cumulative speedup reaches ``goal_speedup`` or after
``max_consecutive_rejections`` (2) rejections in a row; the remaining flags are recorded as
``not_evaluated`` with the reason. Cumulative improvement is multiplicative: the product of
the accepted steps' time ratios (each measured against the configuration accepted before
it), never a sum of percentages. A workload that raises stops the evaluation with
:class:`~rustybt.errors.BenchmarkRunFailed` naming the configuration: a crash is reported,
not recorded as a rejection.

The result is a frozen :class:`SequentialEvaluation` (JSON round trip) holding one
:class:`~rustybt.benchmarking.decisions.DecisionRecord` per flag; ``measure`` may be replaced
(same signature as ``run_interleaved``'s keywords used here) to inject timings in tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from rustybt.benchmarking._json import (
    FieldReader,
    JsonRecord,
    check_finite,
    check_name,
    check_str_map,
)
from rustybt.benchmarking.components import (
    BaselineImplementation,
    OptimizationComponent,
    PerformanceReport,
)
from rustybt.benchmarking.decisions import DecisionRecord
from rustybt.benchmarking.equivalence import EquivalenceCheck, describe_tolerance, first_difference
from rustybt.benchmarking.models import PerformanceThreshold
from rustybt.benchmarking.runner import InterleavedRuns, environment, run_interleaved
from rustybt.benchmarking.statistics import cumulative_time_ratio, decide
from rustybt.errors import BenchmarkRunFailed, InvalidBenchmarkRecord

if TYPE_CHECKING:
    from rustybt.optimization.config import OptimizationConfig

    Workload = Callable[[OptimizationConfig], object]

__all__ = ["FLAG_CATEGORIES", "Measure", "SequentialEvaluation", "evaluate_sequence",
           "resolve_optimizations"]

#: The layer each OptimizationConfig flag belongs to (a record's ``category``).
FLAG_CATEGORIES = {"asset_caching": "data", "pre_grouping": "data", "history_cache": "caching",
                   "array_returns": "engine", "bundle_pooling": "data",
                   "persistent_workers": "execution", "lean_results": "engine"}
_REFERENCE = "the all-off configuration's result (every flag off)"


class Measure(Protocol):
    """Measures a baseline and a candidate callable in interleaved runs."""

    def __call__(self, baseline: Callable[[], object], candidate: Callable[[], object], *,
                 runs: int, warmup: int, names: tuple[str, str]) -> InterleavedRuns: ...


def _config_name(flags: Mapping[str, bool]) -> str:
    on = [k for k, v in flags.items() if v]
    return "all_off" + "".join(f"+{k}" for k in on)


@dataclass(frozen=True)
class SequentialEvaluation(JsonRecord):
    """A whole sequence: its settings and one decision record per flag, in order.

    Attributes:
        workload: What was run (one line).
        threshold: The acceptance rule.
        optimizations: The flags, in evaluation order.
        steps: One record per flag, in the same order.
        goal_speedup: The cumulative speedup that stops the sequence, or None.
        max_consecutive_rejections: Rejections in a row that stop it.
        equivalence_method: ``exact`` or the tolerance of the equivalence check.
        stop_reason: Why the sequence stopped early, or None when every flag was evaluated.
        command: The command that regenerates it.
        environment: Machine and software facts.
        created_at: ISO 8601 timestamp.
    """

    workload: str
    threshold: PerformanceThreshold
    optimizations: tuple[str, ...]
    steps: tuple[DecisionRecord, ...]
    goal_speedup: float | None
    max_consecutive_rejections: int
    equivalence_method: str
    stop_reason: str | None
    command: str
    environment: dict[str, str] = field(hash=False)
    created_at: str

    def __post_init__(self) -> None:
        kind = type(self).__name__
        object.__setattr__(self, "optimizations", tuple(self.optimizations))
        object.__setattr__(self, "steps", tuple(self.steps))
        for name in ("workload", "equivalence_method", "command", "created_at"):
            check_name(kind, name, getattr(self, name))
        check_str_map(kind, "environment", self.environment)
        if self.goal_speedup is not None:
            check_finite(kind, "goal_speedup", self.goal_speedup, low=1, low_open=True)
        if type(self.max_consecutive_rejections) is not int or \
                self.max_consecutive_rejections < 1:
            raise InvalidBenchmarkRecord(f"{kind}.max_consecutive_rejections must be an int "
                                         f">= 1, not {self.max_consecutive_rejections!r}")
        flags = tuple(s.flag for s in self.steps)
        if flags != self.optimizations or [s.position for s in self.steps] != list(
                range(1, len(self.steps) + 1)):
            raise InvalidBenchmarkRecord(f"{kind}: steps {flags} must be the optimizations "
                                         f"{self.optimizations} in order, numbered from 1")
        statuses = [s.status for s in self.steps]
        skipped = statuses.index("not_evaluated") if "not_evaluated" in statuses else None
        if skipped is not None and (self.stop_reason is None or any(
                x != "not_evaluated" for x in statuses[skipped:])):
            raise InvalidBenchmarkRecord(f"{kind}: not-evaluated steps must come last, after a "
                                         f"stop reason (statuses {statuses})")
        ratios: list[float] = []
        for s in self.steps:
            if s.threshold != self.threshold:
                raise InvalidBenchmarkRecord(f"{kind}: step {s.file_stem} has another threshold")
            if s.status == "accepted":
                ratios.append(s.decision.interval.ratio)
            want = cumulative_time_ratio(ratios)
            if abs(s.cumulative_time_ratio - want) > 1e-9 * want:
                raise InvalidBenchmarkRecord(
                    f"{kind}: step {s.file_stem} records a cumulative time ratio "
                    f"{s.cumulative_time_ratio!r}; its accepted steps give {want!r}")

    @property
    def accepted(self) -> tuple[str, ...]:
        """The accepted flags, in order."""
        return tuple(s.flag for s in self.steps if s.status == "accepted")

    @property
    def cumulative_time_ratio(self) -> float:
        """Product of the accepted steps' time ratios (1.0 when none)."""
        return cumulative_time_ratio(s.decision.interval.ratio for s in self.steps
                                     if s.status == "accepted")

    @property
    def cumulative_speedup(self) -> float:
        """``1 / cumulative_time_ratio``."""
        return 1.0 / self.cumulative_time_ratio

    @property
    def cumulative_improvement(self) -> float:
        """``1 - cumulative_time_ratio`` (two 10 % steps: 19 %)."""
        return 1.0 - self.cumulative_time_ratio

    def to_performance_report(self, title: str | None = None) -> PerformanceReport:
        """The sequence as a :class:`~rustybt.benchmarking.PerformanceReport` (what
        ``rustybt bench report`` renders): the all-off baseline, then one component per flag
        with the runs it was measured on; a not-evaluated flag is a ``skipped`` component."""
        status = {"accepted": "accepted", "rejected": "rejected", "not_evaluated": "skipped"}
        first = next((s.baseline for s in self.steps if s.baseline is not None), None)
        if self.steps and self.steps[0].status != "not_evaluated" and self.steps[0].baseline \
                is not first:
            first = None  # the first measured baseline is not the all-off configuration
        components = tuple(
            OptimizationComponent(s.flag, s.flag, s.category, status[s.status], s.baseline,
                                  s.candidate, list(s.reasons)) for s in self.steps)
        baseline = BaselineImplementation(
            "all_off", f"every OptimizationConfig flag off; workload: {self.workload}",
            dict.fromkeys(self.optimizations, False), None, first)
        return PerformanceReport(title or f"Sequential evaluation: {self.workload}",
                                 self.created_at, self.threshold, baseline, components,
                                 environment=dict(self.environment))

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values, plus the cumulative figures."""
        return {"workload": self.workload, "threshold": self.threshold.to_dict(),
                "optimizations": list(self.optimizations),
                "steps": [s.to_dict() for s in self.steps], "goal_speedup": self.goal_speedup,
                "max_consecutive_rejections": self.max_consecutive_rejections,
                "equivalence_method": self.equivalence_method, "stop_reason": self.stop_reason,
                "command": self.command, "environment": dict(self.environment),
                "created_at": self.created_at, "accepted": list(self.accepted),
                "cumulative_time_ratio": self.cumulative_time_ratio}

    @classmethod
    def _read(cls, r: FieldReader) -> SequentialEvaluation:
        return cls(r.text("workload"),
                   PerformanceThreshold._read(r.obj("threshold", "PerformanceThreshold")),
                   r.str_list("optimizations"),
                   tuple(DecisionRecord._read(s) for s in r.obj_list("steps", "DecisionRecord")),
                   r.opt_number("goal_speedup"), r.integer("max_consecutive_rejections"),
                   r.text("equivalence_method"), r.opt_text("stop_reason"), r.text("command"),
                   r.str_map("environment"), r.text("created_at"))


def _call(run: Workload, config: OptimizationConfig, what: str) -> object:
    try:
        return run(config)
    except Exception as exc:
        raise BenchmarkRunFailed(f"the workload raised on {what} ({_config_name(config.flags())}"
                                 f") during the equivalence check: {exc!r}") from exc


def _with(config: OptimizationConfig, flags: Sequence[str], on: bool) -> OptimizationConfig:
    changes: dict[str, Any] = dict.fromkeys(flags, on)
    return replace(config, **changes)


def resolve_optimizations(optimizations: Sequence[str] | None = None) -> tuple[str, ...]:
    """The flags to evaluate: ``optimizations`` checked (distinct OptimizationConfig flags, at
    least one), or every flag in declared order when None.

    Raises:
        ValueError: An unknown or repeated flag, or none; the message lists the known ones.
    """
    from rustybt.optimization.config import FLAGS as flags

    chosen = flags if optimizations is None else tuple(optimizations)
    unknown = [f for f in chosen if f not in flags]
    repeated = sorted({f for f in chosen if chosen.count(f) > 1})
    if unknown or repeated or not chosen:
        raise ValueError(f"optimizations must be distinct OptimizationConfig flags, at least "
                         f"one; unknown {unknown}, repeated {repeated}; known flags: {flags}")
    return chosen


def evaluate_sequence(
    run: Workload,
    threshold: PerformanceThreshold | None = None,
    *,
    workload: str,
    command: str,
    optimizations: Sequence[str] | None = None,
    base: OptimizationConfig | None = None,
    goal_speedup: float | None = None,
    runs: int | None = None,
    warmup: int = 1,
    rtol: float = 0.0,
    atol: float = 0.0,
    max_consecutive_rejections: int = 2,
    strict: bool = False,
    fresh_process: bool = False,
    seed: int | None = 0,
    measure: Measure | None = None,
    extra_environment: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SequentialEvaluation:
    """Evaluate ``optimizations`` one at a time on top of the accepted ones (module docstring).

    Args:
        run: ``run(config) -> result`` for an OptimizationConfig; the result is what must
            be identical whatever the flags (e.g. a frame of trial metrics). With
            ``fresh_process`` it must be picklable (a module-level function or object).
        threshold: The acceptance rule (default :class:`PerformanceThreshold`).
        workload: What ``run`` runs, one line (recorded).
        command: The command that regenerates the evaluation (recorded).
        optimizations: Flags in evaluation order (default: every flag, declared order).
        base: The OptimizationConfig whose limits (cache sizes...) every side uses; its flags
            are ignored (default: the defaults).
        goal_speedup: Stop once the cumulative speedup reaches it (> 1), or None.
        runs: Measured runs per side (default and minimum ``threshold.min_runs``).
        warmup: Unrecorded calls per side before each measurement.
        rtol: Relative tolerance of the equivalence check (0: exact).
        atol: Absolute tolerance of the equivalence check (0: exact).
        max_consecutive_rejections: Rejections in a row that stop the sequence.
        strict: Also ask the interval's bound to clear ``min_improvement``.
        fresh_process: Measure each call in a new process (per-run peak RSS).
        seed: Seed of ``random``/NumPy before every measured call.
        measure: Replaces :func:`run_interleaved` (injected timings in tests).
        extra_environment: Facts recorded besides :func:`environment` (git commit...).
        progress: Called with one line per event (e.g. ``print``), or None.

    Raises:
        ValueError: Unknown or repeated flags, ``runs`` below ``threshold.min_runs``, a goal
            not above 1, or a bad tolerance.
        BenchmarkRunFailed: The workload raised.
        ResultsNotComparable: A result the equivalence check cannot compare.
    """
    from rustybt.optimization.config import FLAGS, OptimizationConfig

    th = threshold if threshold is not None else PerformanceThreshold()
    flags = resolve_optimizations(optimizations)
    n_runs = th.min_runs if runs is None else runs
    if type(n_runs) is not int or n_runs < th.min_runs:
        raise ValueError(f"runs must be an int >= the threshold's min_runs ({th.min_runs}), "
                         f"not {n_runs!r}")
    if goal_speedup is not None and not goal_speedup > 1:
        raise ValueError(f"goal_speedup must be > 1 (a speedup factor), not {goal_speedup!r}")
    if type(max_consecutive_rejections) is not int or max_consecutive_rejections < 1:
        raise ValueError(f"max_consecutive_rejections must be an int >= 1, "
                         f"not {max_consecutive_rejections!r}")
    method = describe_tolerance(rtol, atol)
    if measure is None:
        measure = functools.partial(run_interleaved, fresh_process=fresh_process, seed=seed)
    say = progress if progress is not None else (lambda _line: None)
    env = {**environment(), **dict(extra_environment or {})}
    created = datetime.now(UTC).isoformat(timespec="seconds")
    all_off = OptimizationConfig.all_off() if base is None else _with(base, FLAGS, False)
    say(f"reference: {_config_name(all_off.flags())}")
    reference = _call(run, all_off, "the all-off reference")
    accepted: list[str] = []
    ratios: list[float] = []
    rejected_in_a_row: list[str] = []
    stop: str | None = None
    steps: list[DecisionRecord] = []
    for position, flag in enumerate(flags, 1):
        base_cfg = _with(all_off, accepted, True)
        cand_cfg = _with(base_cfg, (flag,), True)

        def record(status: str, rule: str, reasons: Sequence[str],
                   check: EquivalenceCheck | None, sides: InterleavedRuns | None,
                   position: int = position, flag: str = flag,
                   base_cfg: OptimizationConfig = base_cfg,
                   cand_cfg: OptimizationConfig = cand_cfg) -> DecisionRecord:
            return DecisionRecord(
                position=position, flag=flag, category=FLAG_CATEGORIES.get(flag, "other"),
                status=status, rule=rule, reasons=tuple(reasons),
                baseline_flags=base_cfg.flags(), candidate_flags=cand_cfg.flags(),
                equivalence=check, baseline=None if sides is None else sides.baseline,
                candidate=None if sides is None else sides.candidate, threshold=th,
                cumulative_time_ratio=cumulative_time_ratio(ratios), workload=workload,
                command=command, environment=env, created_at=created, strict=strict)

        if stop is not None:
            steps.append(record("not_evaluated", f"the stop rule: {stop}", (), None, None))
            say(f"{position:02d} {flag}: not evaluated ({stop})")
            continue
        diff = first_difference(reference, _call(run, cand_cfg, f"candidate {flag!r}"),
                                rtol=rtol, atol=atol)
        check = EquivalenceCheck(_REFERENCE, method, diff is None, diff)
        if diff is not None:
            step = record("rejected", "functional equivalence (blocking): the result differs "
                          "from the all-off result", (diff,), check, None)
        else:
            names = (_config_name(base_cfg.flags()), _config_name(cand_cfg.flags()))
            say(f"{position:02d} {flag}: equivalent; measuring {n_runs} interleaved runs per "
                "side")
            try:
                sides = measure(functools.partial(run, base_cfg),
                                functools.partial(run, cand_cfg), runs=n_runs, warmup=warmup,
                                names=names)
            except BenchmarkRunFailed as exc:
                raise BenchmarkRunFailed(f"measuring {flag!r} ({names[0]} against {names[1]}): "
                                         f"{exc}") from exc
            decision = decide(sides.baseline, sides.candidate, th, paired=True, strict=strict)
            if decision.accepted:
                ratios.append(decision.interval.ratio)
            # failed rules come first in the reasons: the first one decided
            step = record("accepted" if decision.accepted else "rejected",
                          "the threshold (every rule held)" if decision.accepted
                          else f"the threshold: {decision.reasons[0]}",
                          decision.reasons, check, sides)
        steps.append(step)
        say(f"{position:02d} {flag}: {step.status} ({step.rule})")
        if step.status == "accepted":
            accepted.append(flag)
            rejected_in_a_row = []
            speedup = 1.0 / cumulative_time_ratio(ratios)
            if goal_speedup is not None and speedup >= goal_speedup:
                stop = (f"the goal was reached: cumulative speedup {speedup:.3f}× ≥ "
                        f"{goal_speedup:g}× after {flag!r}")
        else:
            rejected_in_a_row.append(flag)
            if len(rejected_in_a_row) >= max_consecutive_rejections:
                stop = (f"{len(rejected_in_a_row)} consecutive rejections "
                        f"({', '.join(rejected_in_a_row)})")
    return SequentialEvaluation(workload, th, flags, tuple(steps), goal_speedup,
                                max_consecutive_rejections, method, stop, command, env, created)
