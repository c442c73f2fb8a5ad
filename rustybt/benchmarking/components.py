"""The evaluation's records: optimization components, the baseline, alternatives, the report.

Same rules as :mod:`rustybt.benchmarking.models` (JSON round trip with a ``kind``, checked
reading, NaN refused). :class:`OptimizationComponent` is the one mutable model: the
sequential evaluation fills in its status, result sets and reasons as it goes; the others are
frozen records. Flags are checked against :data:`rustybt.optimization.config.FLAGS` (imported
when a record names one, so a measuring process never imports the optimization package).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rustybt.benchmarking._json import (
    FieldReader,
    JsonRecord,
    check_finite,
    check_name,
    check_str_map,
)
from rustybt.benchmarking.models import BenchmarkResultSet, PerformanceThreshold
from rustybt.errors import InvalidBenchmarkRecord

__all__ = [
    "ALTERNATIVE_STATUSES",
    "COMPONENT_STATUSES",
    "AlternativeSolution",
    "BaselineImplementation",
    "OptimizationComponent",
    "PerformanceReport",
]

#: States of an optimization component during the sequential evaluation.
COMPONENT_STATUSES = ("pending", "accepted", "rejected", "skipped")
#: States of an alternative solution.
ALTERNATIVE_STATUSES = ("considered", "adopted", "rejected", "deferred")


def _check_choice(kind: str, name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidBenchmarkRecord(f"{kind}.{name} must be one of {choices}, not {value!r}")


def _check_flags(kind: str, name: str, flags: object) -> None:
    from rustybt.optimization.config import FLAGS

    names = [flags] if isinstance(flags, str) else list(flags)  # type: ignore[call-overload]
    unknown = [f for f in names if f not in FLAGS]
    if unknown:
        raise InvalidBenchmarkRecord(f"{kind}.{name}: {unknown} are not OptimizationConfig "
                                         f"flags; known flags: {FLAGS}")


def _opt_set(r: FieldReader, name: str) -> BenchmarkResultSet | None:
    sub = r.opt_obj(name, "BenchmarkResultSet")
    return None if sub is None else BenchmarkResultSet._read(sub)


@dataclass
class OptimizationComponent(JsonRecord):
    """One optimization under evaluation (mutable: the evaluation fills it in).

    Attributes:
        name: Its name.
        flag: The :class:`~rustybt.optimization.OptimizationConfig` flag that turns it on,
            or None for a component that is not a flag.
        category: Its layer (``data``, ``caching``, ``execution``...).
        status: One of :data:`COMPONENT_STATUSES`.
        baseline: Runs without it (None until measured).
        optimized: Runs with it (None until measured).
        reasons: Why it was accepted, rejected or skipped.
    """

    name: str
    flag: str | None
    category: str
    status: str = "pending"
    baseline: BenchmarkResultSet | None = None
    optimized: BenchmarkResultSet | None = None
    reasons: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_name(kind, "name", self.name)
        if self.flag is not None:
            _check_flags(kind, "flag", self.flag)
        check_name(kind, "category", self.category)
        _check_choice(kind, "status", self.status, COMPONENT_STATUSES)
        self.reasons = list(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return {"name": self.name, "flag": self.flag, "category": self.category,
                "status": self.status, "reasons": list(self.reasons),
                "baseline": None if self.baseline is None else self.baseline.to_dict(),
                "optimized": None if self.optimized is None else self.optimized.to_dict()}

    @classmethod
    def _read(cls, r: FieldReader) -> OptimizationComponent:
        return cls(r.text("name"), r.opt_text("flag"), r.text("category"), r.text("status"),
                   _opt_set(r, "baseline"), _opt_set(r, "optimized"),
                   list(r.str_list("reasons")))



@dataclass(frozen=True)
class BaselineImplementation(JsonRecord):
    """The configuration every optimization is compared against.

    Attributes:
        name: Its name (``all_off``).
        description: What it is and how it runs.
        flags: The OptimizationConfig flags it runs with (flag → on).
        git_commit: The commit measured, or None.
        results: Its runs, or None until measured.
    """

    name: str
    description: str
    flags: dict[str, bool] = field(default_factory=dict, hash=False)
    git_commit: str | None = None
    results: BenchmarkResultSet | None = None

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_name(kind, "name", self.name)
        if not isinstance(self.description, str):
            raise InvalidBenchmarkRecord(f"{kind}.description must be a string, "
                                         f"not {self.description!r}")
        if not isinstance(self.flags, dict) or not all(
                type(v) is bool for v in self.flags.values()):
            raise InvalidBenchmarkRecord(f"{kind}.flags must map flags to bools, "
                                         f"not {self.flags!r}")
        _check_flags(kind, "flags", self.flags)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return {"name": self.name, "description": self.description, "flags": dict(self.flags),
                "git_commit": self.git_commit,
                "results": None if self.results is None else self.results.to_dict()}

    @classmethod
    def _read(cls, r: FieldReader) -> BaselineImplementation:
        return cls(r.text("name"), r.text("description"), r.bool_map("flags"),
                   r.opt_text("git_commit"), _opt_set(r, "results"))



@dataclass(frozen=True)
class AlternativeSolution(JsonRecord):
    """An approach considered instead of (or besides) an optimization, and what became of it.

    Attributes:
        name: Its name.
        description: What it would do.
        component: The optimization it is an alternative to.
        status: One of :data:`ALTERNATIVE_STATUSES`.
        rationale: Why it has that status.
        estimated_speedup: Expected speedup factor (2.0 = twice as fast), or None.
    """

    name: str
    description: str
    component: str
    status: str = "considered"
    rationale: str = ""
    estimated_speedup: float | None = None

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_name(kind, "name", self.name)
        check_name(kind, "component", self.component)
        for name in ("description", "rationale"):
            if not isinstance(getattr(self, name), str):
                raise InvalidBenchmarkRecord(f"{kind}.{name} must be a string, "
                                             f"not {getattr(self, name)!r}")
        _check_choice(kind, "status", self.status, ALTERNATIVE_STATUSES)
        if self.estimated_speedup is not None:
            check_finite(kind, "estimated_speedup", self.estimated_speedup, low=0, low_open=True)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return {"name": self.name, "description": self.description,
                "component": self.component, "status": self.status,
                "rationale": self.rationale, "estimated_speedup": self.estimated_speedup}

    @classmethod
    def _read(cls, r: FieldReader) -> AlternativeSolution:
        return cls(r.text("name"), r.text("description"), r.text("component"),
                   r.text("status"), r.text("rationale"), r.opt_number("estimated_speedup"))



@dataclass(frozen=True)
class PerformanceReport(JsonRecord):
    """Everything one evaluation found: threshold, baseline, components, alternatives.

    Attributes:
        title: Its title.
        created_at: ISO 8601 timestamp.
        threshold: The acceptance rule applied.
        baseline: The baseline compared against.
        components: The optimizations, in evaluation order.
        alternatives: Alternatives considered.
        environment: Facts about the machine and software (python, cpus, commit...).
    """

    title: str
    created_at: str
    threshold: PerformanceThreshold
    baseline: BaselineImplementation
    components: tuple[OptimizationComponent, ...] = ()
    alternatives: tuple[AlternativeSolution, ...] = ()
    environment: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        kind = type(self).__name__
        check_name(kind, "title", self.title)
        try:
            datetime.fromisoformat(self.created_at)
        except (TypeError, ValueError) as exc:
            raise InvalidBenchmarkRecord(f"{kind}.created_at must be an ISO 8601 timestamp, "
                                         f"not {self.created_at!r}") from exc
        object.__setattr__(self, "components", tuple(self.components))
        object.__setattr__(self, "alternatives", tuple(self.alternatives))
        check_str_map(kind, "environment", self.environment)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return {"title": self.title, "created_at": self.created_at,
                "threshold": self.threshold.to_dict(), "baseline": self.baseline.to_dict(),
                "components": [c.to_dict() for c in self.components],
                "alternatives": [a.to_dict() for a in self.alternatives],
                "environment": dict(self.environment)}

    @classmethod
    def _read(cls, r: FieldReader) -> PerformanceReport:
        return cls(
            r.text("title"), r.text("created_at"),
            PerformanceThreshold._read(r.obj("threshold", "PerformanceThreshold")),
            BaselineImplementation._read(r.obj("baseline", "BaselineImplementation")),
            tuple(OptimizationComponent._read(c)
                  for c in r.obj_list("components", "OptimizationComponent")),
            tuple(AlternativeSolution._read(a)
                  for a in r.obj_list("alternatives", "AlternativeSolution")),
            r.str_map("environment"))

