"""Objectives: which number of a trial's metrics a search optimises, and in which direction.

Named metrics come from :func:`rustybt.engine.metrics.summary` (empyrical-reloaded's
definitions): ``sharpe``, ``sortino``, ``calmar``, ``total_return``, ``annual_return``,
``max_drawdown`` (a negative number: maximise it to prefer small drawdowns),
``annual_volatility``. A callable
receives the metrics dict and returns the value. NaN or infinite values make a trial rank
last, never first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["METRICS", "Objective"]

METRICS = ("sharpe", "sortino", "calmar", "total_return", "annual_return", "max_drawdown",
           "annual_volatility")

Direction = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class Objective:
    """A metric (name or callable) and a direction.

    Args:
        metric: One of :data:`METRICS`, another key the workload returns, or a callable
            ``metrics -> float``.
        direction: ``'maximize'`` or ``'minimize'``.
    """

    metric: str | Callable[[dict[str, float]], float] = "sharpe"
    direction: Direction = "maximize"

    def __post_init__(self) -> None:
        if self.direction not in ("maximize", "minimize"):
            raise ValueError(f"direction must be 'maximize' or 'minimize', not {self.direction!r}")
        if not callable(self.metric) and not isinstance(self.metric, str):
            raise TypeError(f"metric must be a name or a callable, not {self.metric!r}")

    @property
    def name(self) -> str:
        """The metric's name (a callable's ``__name__``)."""
        return self.metric if isinstance(self.metric, str) else getattr(
            self.metric, "__name__", "objective")

    def value(self, metrics: dict[str, float]) -> float:
        """The objective's value for ``metrics``.

        Raises:
            KeyError: a named metric the workload did not return.
        """
        if callable(self.metric):
            return float(self.metric(metrics))
        if self.metric not in metrics:
            raise KeyError(f"objective metric {self.metric!r} is not among the trial's "
                           f"metrics {sorted(metrics)}")
        return float(metrics[self.metric])

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b`` (non-finite values are worst)."""
        if not math.isfinite(a):
            return False
        if not math.isfinite(b):
            return True
        return a > b if self.direction == "maximize" else a < b

    def sort_key(self, value: float | None) -> float:
        """A key sorting better values first (None/NaN last)."""
        if value is None or not math.isfinite(value):
            return math.inf
        return -value if self.direction == "maximize" else value
