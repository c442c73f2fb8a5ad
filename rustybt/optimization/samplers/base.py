"""``Sampler``: the seam between a study and a search strategy (optuna's ``BaseSampler`` idea).

A study asks its sampler for the next trial's parameters (:meth:`Sampler.ask`) and tells it
each finished trial (:meth:`Sampler.tell`); the sampler never runs anything. A finite sampler
(grid) returns None when it has nothing left. Multi-fidelity samplers also say which
fidelities a trial runs at (:meth:`Sampler.rungs`) and whether to stop a trial after a rung
(:meth:`Sampler.should_stop`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rustybt.optimization.objective import Objective
from rustybt.optimization.space import ParameterSpace
from rustybt.optimization.trial import TrialResult

__all__ = ["Sampler"]


class Sampler(ABC):
    """A search strategy over a :class:`ParameterSpace`.

    Attributes:
        batch: None for samplers whose proposals do not depend on results (grid, random);
            an int for samplers that learn: the study then runs synchronous rounds of that
            many trials, telling results in trial order (deterministic on every backend).
    """

    batch: int | None = None

    def start(self, space: ParameterSpace, objective: Objective, seed: int | None) -> None:
        """Called once by the study before the first ``ask``."""
        self.space = space
        self.objective = objective
        self.seed = seed

    @abstractmethod
    def ask(self, number: int) -> dict[str, Any] | None:
        """Parameters of trial ``number`` (0, 1, 2, ...), or None when the search is done."""

    def tell(self, result: TrialResult) -> None:  # noqa: B027 - optional hook
        """Learn from a finished trial (ok, failed or pruned)."""

    def rungs(self) -> tuple[float, ...]:
        """Fidelities a trial runs at, in order (default: the whole period once)."""
        return (1.0,)

    def should_stop(self, number: int, fidelity: float, value: float) -> bool:
        """After a rung: whether to stop trial ``number`` (it reported ``value``)."""
        return False

    @property
    def size(self) -> int | None:
        """The number of trials when finite and known (for the progress bar), else None."""
        return None
