"""Trials: what is run (:class:`TrialSpec`) and what comes back (:class:`TrialResult`).

Both are plain picklable records: specs travel to workers (processes, Ray) and results travel
back; neither ever carries market data. A trial's ``fidelity`` is the fraction of the
backtest period it runs (1.0 = the whole period): multi-fidelity searches run a trial in
rungs of growing fidelity and stop the clearly worse ones early.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["TrialResult", "TrialSpec", "TrialStatus"]

TrialStatus = Literal["ok", "failed", "pruned"]


@dataclass(frozen=True)
class TrialSpec:
    """One evaluation to run: trial ``number`` with ``params`` at ``fidelity``."""

    number: int
    params: dict[str, Any]
    fidelity: float = 1.0
    seed: int | None = None


@dataclass
class TrialResult:
    """The outcome of one trial (its last rung, for multi-fidelity searches).

    Attributes:
        number: The trial's number (its order of creation; stable across backends).
        params: The parameters.
        metrics: Metric name → value (floats; NaN when undefined).
        value: The objective's value (None when the trial failed).
        status: ``'ok'``, ``'failed'`` (``error`` says why) or ``'pruned'``.
        error: ``"ExceptionType: message"`` of a failed trial.
        duration: Seconds spent running it (all rungs).
        worker: Which worker ran it (``"serial"``, ``"pid:1234"``, a Ray node id).
        fidelity: The fidelity of the last rung run.
        intermediate: ``(fidelity, value)`` of each rung.
        cache_hit_rate: The worker's history-cache hit rate over this trial, when known.
    """

    number: int
    params: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    value: float | None = None
    status: TrialStatus = "ok"
    error: str | None = None
    duration: float = 0.0
    worker: str = ""
    fidelity: float = 1.0
    intermediate: list[tuple[float, float]] = field(default_factory=list)
    cache_hit_rate: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the trial finished and has a finite objective value."""
        return self.status == "ok" and self.value is not None and math.isfinite(self.value)
