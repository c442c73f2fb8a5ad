"""Decision records: why one optimization was accepted, rejected or not evaluated.

The sequential evaluation (:mod:`~rustybt.benchmarking.sequential`) makes one
:class:`DecisionRecord` per optimization; :func:`write_decisions` writes each as JSON (the
record, round trip through the models) and as Markdown a reviewer reads: what was compared,
the equivalence outcome, the runs, means, speedup with its confidence interval, the p-values,
the memory change, the decision and the rule that decided it, the environment, and the command
that regenerates it.

Design and invariants:
- A record is self-contained (its threshold, workload, environment and command included), so
  one file is enough to review or re-check one decision.
- The decision is never stored alone: it is recomputed from the record's two result sets with
  :func:`~rustybt.benchmarking.statistics.decide` (paired: the runs are interleaved), and a
  record whose status disagrees with it (or whose JSON's stored decision does) is refused with
  :class:`~rustybt.errors.InvalidBenchmarkRecord`. ``not_evaluated`` records hold no
  equivalence check and no runs; a non-equivalent candidate is ``rejected`` and never measured.
- Files: ``NN-flag.json`` and ``NN-flag.md`` (``NN`` the 1-based position, two digits), plus
  ``sequence.json`` (the whole :class:`~rustybt.benchmarking.sequential.SequentialEvaluation`)
  and ``README.md`` (an index). Writing replaces every ``NN-*.json``/``NN-*.md`` of the folder
  that the new sequence does not write, so no stale decision survives a shorter sequence.
  Files are replaced atomically. The command is shown in a ``text`` fence (the docs snippet
  test does not run it: it is a measurement).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rustybt._fs import atomic_write
from rustybt.benchmarking._json import (
    FieldReader,
    JsonRecord,
    check_finite,
    check_name,
    check_str_map,
)
from rustybt.benchmarking.components import _check_flags
from rustybt.benchmarking.equivalence import EquivalenceCheck
from rustybt.benchmarking.models import BenchmarkResultSet, PerformanceThreshold
from rustybt.benchmarking.statistics import Decision, decide
from rustybt.errors import InvalidBenchmarkRecord

if TYPE_CHECKING:
    from rustybt.benchmarking.sequential import SequentialEvaluation

__all__ = ["DEFAULT_DECISIONS_DIR", "STEP_STATUSES", "DecisionRecord", "render_decision",
           "write_decisions"]

#: Where ``rustybt bench evaluate`` writes the records (relative to the working directory).
DEFAULT_DECISIONS_DIR = Path("docs/internal/benchmarks/decisions")
#: Outcomes of one optimization in a sequence.
STEP_STATUSES = ("accepted", "rejected", "not_evaluated")
_RECORD_FILE = re.compile(r"^\d{2,}-[A-Za-z0-9_]+\.(json|md)$")
_MIB = 2.0**20


def _opt_set(r: FieldReader, name: str) -> BenchmarkResultSet | None:
    sub = r.opt_obj(name, "BenchmarkResultSet")
    return None if sub is None else BenchmarkResultSet._read(sub)


@dataclass(frozen=True)
class DecisionRecord(JsonRecord):
    """One optimization's outcome in a sequential evaluation (module docstring).

    Attributes:
        position: 1-based place in the sequence.
        flag: The OptimizationConfig flag evaluated.
        category: Its layer (``data``, ``caching``, ``engine``, ``execution``).
        status: One of :data:`STEP_STATUSES`.
        rule: The rule that decided (equivalence, the threshold, or why it was not evaluated).
        reasons: The rule's details, one line each (the threshold's failed rules first).
        baseline_flags: The flags of the side measured against (the accepted ones on).
        candidate_flags: ``baseline_flags`` with ``flag`` on.
        equivalence: The equivalence check, or None when not evaluated.
        baseline: The baseline's runs, or None when not measured.
        candidate: The candidate's runs, or None when not measured.
        threshold: The acceptance rule.
        cumulative_time_ratio: Product of the time ratios accepted up to and with this step.
        workload: What was run (one line).
        command: The command that regenerates the record.
        environment: Machine and software facts.
        created_at: ISO 8601 timestamp of the evaluation.
        strict: Whether the threshold's strict rule (CI bound) applied.
    """

    position: int
    flag: str
    category: str
    status: str
    rule: str
    reasons: tuple[str, ...]
    baseline_flags: dict[str, bool] = field(hash=False)
    candidate_flags: dict[str, bool] = field(hash=False)
    equivalence: EquivalenceCheck | None
    baseline: BenchmarkResultSet | None
    candidate: BenchmarkResultSet | None
    threshold: PerformanceThreshold
    cumulative_time_ratio: float
    workload: str
    command: str
    environment: dict[str, str] = field(hash=False)
    created_at: str
    strict: bool = False

    def __post_init__(self) -> None:
        kind = f"{type(self).__name__} {self.position!r}-{self.flag!r}"
        if type(self.position) is not int or self.position < 1:
            raise InvalidBenchmarkRecord(f"{kind}: position must be an int >= 1")
        _check_flags(kind, "flag", self.flag)
        for name in ("category", "rule", "workload", "command", "created_at"):
            check_name(kind, name, getattr(self, name))
        if self.status not in STEP_STATUSES:
            raise InvalidBenchmarkRecord(f"{kind}: status must be one of {STEP_STATUSES}, "
                                         f"not {self.status!r}")
        object.__setattr__(self, "reasons", tuple(self.reasons))
        if not all(isinstance(x, str) for x in self.reasons):
            raise InvalidBenchmarkRecord(f"{kind}: reasons must be strings")
        for name in ("baseline_flags", "candidate_flags"):
            flags = getattr(self, name)
            if not isinstance(flags, dict) or not all(type(v) is bool for v in flags.values()):
                raise InvalidBenchmarkRecord(f"{kind}.{name} must map flags to bools")
            _check_flags(kind, name, flags)
        if self.baseline_flags.get(self.flag, False) or self.candidate_flags != {
                **self.baseline_flags, self.flag: True}:
            raise InvalidBenchmarkRecord(
                f"{kind}: the candidate's flags must be the baseline's with {self.flag!r} "
                f"turned on; got {self.baseline_flags} and {self.candidate_flags}")
        check_finite(kind, "cumulative_time_ratio", self.cumulative_time_ratio, low=0,
                     low_open=True)
        check_str_map(kind, "environment", self.environment)
        if type(self.strict) is not bool:
            raise InvalidBenchmarkRecord(f"{kind}: strict must be a bool")
        self._check_outcome(kind)

    def _check_outcome(self, kind: str) -> None:
        measured = self.baseline is not None, self.candidate is not None
        if self.status == "not_evaluated" or self.equivalence is None:
            if self.status != "not_evaluated" or self.equivalence is not None or any(measured):
                raise InvalidBenchmarkRecord(f"{kind}: a not-evaluated step (status "
                                             f"{self.status!r}) has no equivalence check "
                                             "and no runs, and only it")
            return
        if not self.equivalence.equivalent:
            if self.status != "rejected" or any(measured):
                raise InvalidBenchmarkRecord(f"{kind}: a non-equivalent candidate is rejected "
                                             f"and not measured (status {self.status!r})")
            return
        if not all(measured):
            raise InvalidBenchmarkRecord(f"{kind}: an equivalent candidate has both sides' runs")
        if self.decision.accepted != (self.status == "accepted"):
            raise InvalidBenchmarkRecord(
                f"{kind}: status {self.status!r} disagrees with the decision its runs give "
                f"({'accepted' if self.decision.accepted else 'rejected'})")

    @cached_property
    def decision(self) -> Decision:
        """The decision recomputed from the runs (paired); raises when not measured."""
        if self.baseline is None or self.candidate is None:
            raise InvalidBenchmarkRecord(f"step {self.position} ({self.flag}) was not measured")
        return decide(self.baseline, self.candidate, self.threshold, paired=True,
                      strict=self.strict)

    @property
    def measured(self) -> bool:
        """Whether both sides were measured."""
        return self.baseline is not None and self.candidate is not None

    @property
    def file_stem(self) -> str:
        """``NN-flag``: the stable name of its files."""
        return f"{self.position:02d}-{self.flag}"

    def _decision_dict(self) -> dict[str, Any] | None:
        if not self.measured:
            return None
        d = self.decision
        return {"accepted": d.accepted, "paired": d.paired, "time_ratio": d.interval.ratio,
                "ci": [d.interval.low, d.interval.high], "confidence": d.interval.confidence,
                "interval_method": d.interval.method, "speedup": d.interval.speedup,
                "speedup_ci": list(d.interval.speedup_ci),
                "improvement": d.interval.improvement,
                "t_test": {"method": d.t_test.method, "statistic": d.t_test.statistic,
                           "p_value": d.t_test.p_value},
                "mann_whitney": {"method": d.mann_whitney.method,
                                 "statistic": d.mann_whitney.statistic,
                                 "p_value": d.mann_whitney.p_value},
                "memory_increase": d.memory_increase}

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values, plus the recomputed ``decision`` (or null)."""
        return {"position": self.position, "flag": self.flag, "category": self.category,
                "status": self.status, "rule": self.rule, "reasons": list(self.reasons),
                "baseline_flags": dict(self.baseline_flags),
                "candidate_flags": dict(self.candidate_flags),
                "equivalence": None if self.equivalence is None else self.equivalence.to_dict(),
                "baseline": None if self.baseline is None else self.baseline.to_dict(),
                "candidate": None if self.candidate is None else self.candidate.to_dict(),
                "threshold": self.threshold.to_dict(), "strict": self.strict,
                "cumulative_time_ratio": self.cumulative_time_ratio,
                "workload": self.workload, "command": self.command,
                "environment": dict(self.environment), "created_at": self.created_at,
                "decision": self._decision_dict()}

    @classmethod
    def _read(cls, r: FieldReader) -> DecisionRecord:
        eq = r.opt_obj("equivalence", "EquivalenceCheck")
        made = cls(r.integer("position"), r.text("flag"), r.text("category"), r.text("status"),
                   r.text("rule"), r.str_list("reasons"), r.bool_map("baseline_flags"),
                   r.bool_map("candidate_flags"),
                   None if eq is None else EquivalenceCheck._read(eq),
                   _opt_set(r, "baseline"), _opt_set(r, "candidate"),
                   PerformanceThreshold._read(r.obj("threshold", "PerformanceThreshold")),
                   r.number("cumulative_time_ratio"), r.text("workload"), r.text("command"),
                   r.str_map("environment"), r.text("created_at"), r.boolean("strict"))
        stored = r.opt_obj("decision", "decision")
        if (stored is None) != (not made.measured) or (stored is not None and (
                stored.boolean("accepted") != made.decision.accepted
                or not math.isclose(stored.number("time_ratio"), made.decision.interval.ratio,
                                    rel_tol=1e-9))):
            raise InvalidBenchmarkRecord(
                f"{r.kind} {made.file_stem}: the stored decision "
                f"{None if stored is None else stored.data} does not match the one its runs "
                "give; the record was edited")
        return made


# -- Markdown ------------------------------------------------------------------------------
def _flags_on(flags: dict[str, bool]) -> str:
    on = [f"`{k}`" for k, v in flags.items() if v]
    return ", ".join(on) if on else "none (every flag off)"


def _status_word(status: str) -> str:
    return status.replace("_", " ")


def _threshold_line(th: PerformanceThreshold, strict: bool) -> str:
    return (f"improvement ≥ {th.min_improvement:.2%} (time ratio of geometric means), paired t "
            f"(log) and Mann-Whitney U one-sided p < {th.alpha:.3g}, at least {th.min_runs} "
            f"runs per side, mean peak RSS increase ≤ {th.max_memory_increase:+.2%}"
            f"{', and the CI upper bound clears the improvement (strict)' if strict else ''}; "
            f"workflow `{th.workflow_type}`, dataset size `{th.dataset_size}`")


def _measurements(rec: DecisionRecord) -> list[str]:
    assert rec.baseline is not None and rec.candidate is not None
    b, c, d = rec.baseline, rec.candidate, rec.decision

    def both(label: str, fn: Any) -> str:
        return f"| {label} | {fn(b)} | {fn(c)} |"

    def ci(s: BenchmarkResultSet) -> str:
        low, high = s.ci(rec.threshold.confidence)
        return f"{low:.4f} – {high:.4f}"

    iv = d.interval
    low, high = iv.speedup_ci
    return [
        "Interleaved runs (baseline, candidate, baseline, ...); run *i* of each side forms a "
        "pair.", "",
        f"| | baseline (`{b.name}`) | candidate (`{c.name}`) |", "|---|---:|---:|",
        both("runs", lambda s: str(s.n)),
        both("mean wall time (s)", lambda s: f"{s.mean:.4f}"),
        both("median wall time (s)", lambda s: f"{s.median:.4f}"),
        both("std of wall time (s)", lambda s: f"{s.std:.4f}"),
        both(f"{rec.threshold.confidence:.0%} CI of the mean (s)", ci),
        both("mean CPU time (s)", lambda s: f"{s.cpu_mean:.4f}"),
        both("mean peak RSS (MiB)", lambda s: f"{s.peak_memory_mean / _MIB:.1f}"),
        both("mean RSS (MiB)", lambda s: f"{s.mean_memory_mean / _MIB:.1f}"), "",
        f"- **Speedup {iv.speedup:.3f}×** ({iv.confidence:.0%} CI {low:.3f}× – {high:.3f}×); "
        f"time ratio candidate / baseline {iv.ratio:.4f} (CI {iv.low:.4f} – {iv.high:.4f}, "
        f"{iv.method}); improvement {iv.improvement:.2%}",
        f"- {d.t_test.method}: t = {d.t_test.statistic:.3f}, one-sided p = "
        f"{d.t_test.p_value:.3g}",
        f"- {d.mann_whitney.method}: U = {d.mann_whitney.statistic:g}, one-sided p = "
        f"{d.mann_whitney.p_value:.3g}",
        f"- Memory: mean peak RSS {d.memory_increase:+.2%} (candidate vs baseline)",
    ]


def render_decision(rec: DecisionRecord) -> str:
    """The Markdown a reviewer reads for one decision (module docstring)."""
    lines = [f"# {rec.position:02d} · `{rec.flag}`: {_status_word(rec.status)}", "",
             "<!-- generated by rustybt.benchmarking.decisions; do not edit by hand -->", "",
             "Regenerate with:", "", "```text", rec.command, "```", "",
             "## What was compared", "",
             f"- Workload: {rec.workload}", f"- Layer: {rec.category}",
             f"- Baseline: the flags accepted before this step: {_flags_on(rec.baseline_flags)}",
             f"- Candidate: the baseline with `{rec.flag}` on",
             f"- Threshold: {_threshold_line(rec.threshold, rec.strict)}", "",
             "## Functional equivalence (blocking)", ""]
    eq = rec.equivalence
    if eq is None:
        lines.append("Not checked: the optimization was not evaluated.")
    else:
        outcome = "**equivalent**" if eq.equivalent else "**not equivalent**"
        lines.append(f"Result compared with {eq.reference}, {eq.method} comparison: {outcome}.")
        if eq.difference is not None:
            lines += ["", "First difference:", "", "```text", eq.difference, "```"]
    lines += ["", "## Measurements", ""]
    if rec.measured:
        lines += _measurements(rec)
    else:
        lines.append("Not measured: " + ("the optimization was not evaluated."
                                         if eq is None else "the results differ."))
    lines += ["", "## Decision", "", f"**{_status_word(rec.status)}**; decided by: {rec.rule}",
              ""]
    lines += [f"- {reason}" for reason in rec.reasons]
    ratio = rec.cumulative_time_ratio
    lines += ["", f"Cumulative speedup of the accepted optimizations after this step: "
              f"{1 / ratio:.3f}× (time ratio {ratio:.4f}: the product of the accepted steps' "
              "ratios).", "", "## Environment", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(rec.environment.items())]
    lines += [f"| evaluated at | {rec.created_at} |", ""]
    return "\n".join(lines)


def _render_index(ev: SequentialEvaluation) -> str:
    lines = ["# Optimization decisions", "",
             "<!-- generated by rustybt.benchmarking.decisions; do not edit by hand -->", "",
             f"Workload: {ev.workload}", "", "Regenerate with:", "", "```text", ev.command, "```",
             "", "| # | flag | outcome | speedup (95 % CI) | cumulative speedup | decided by |",
             "|---:|---|---|---|---:|---|"]
    for s in ev.steps:
        speed = "–"
        if s.measured:
            low, high = s.decision.interval.speedup_ci
            speed = f"{s.decision.interval.speedup:.3f}× ({low:.3f}× – {high:.3f}×)"
        lines.append(f"| {s.position:02d} | [`{s.flag}`]({s.file_stem}.md) | "
                     f"{_status_word(s.status)} | {speed} | {1 / s.cumulative_time_ratio:.3f}× | "
                     f"{s.rule} |")
    lines += ["", f"Accepted: {', '.join(f'`{f}`' for f in ev.accepted) or 'none'}; cumulative "
              f"speedup {ev.cumulative_speedup:.3f}× (improvement "
              f"{ev.cumulative_improvement:.2%}).",
              f"Stopped: {ev.stop_reason}." if ev.stop_reason else "Every optimization was "
              "evaluated.", ""]
    return "\n".join(lines)


def write_decisions(evaluation: SequentialEvaluation,
                    folder: str | Path = DEFAULT_DECISIONS_DIR) -> list[Path]:
    """Write every step's ``NN-flag.json``/``.md``, ``sequence.json`` and ``README.md`` into
    ``folder`` (created when missing); remove record files of earlier sequences that this one
    does not write. Returns the paths written, in order."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for step in evaluation.steps:
        for suffix, text in ((".json", step.to_json() + "\n"), (".md", render_decision(step))):
            path = out / f"{step.file_stem}{suffix}"
            atomic_write(path, text)
            written.append(path)
    for name, text in (("sequence.json", evaluation.to_json() + "\n"),
                       ("README.md", _render_index(evaluation))):
        atomic_write(out / name, text)
        written.append(out / name)
    keep = {p.name for p in written}
    for stale in sorted(out.iterdir()):
        if stale.is_file() and _RECORD_FILE.match(stale.name) and stale.name not in keep:
            stale.unlink()
    return written
