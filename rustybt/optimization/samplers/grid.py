"""``GridSearch``: every point of the space's grid that meets the constraints, in order."""

from __future__ import annotations

from typing import Any

from rustybt.optimization.objective import Objective
from rustybt.optimization.samplers.base import Sampler
from rustybt.optimization.space import ParameterSpace

__all__ = ["GridSearch"]


class GridSearch(Sampler):
    """Exhaustive search (trial ``n`` is the ``n``-th grid point; the last parameter varies
    fastest)."""

    def start(self, space: ParameterSpace, objective: Objective, seed: int | None) -> None:
        super().start(space, objective, seed)
        self._points = list(space.grid())
        if not self._points:
            raise ValueError("the grid is empty: no point meets the constraints")

    def ask(self, number: int) -> dict[str, Any] | None:
        return dict(self._points[number]) if number < len(self._points) else None

    @property
    def size(self) -> int | None:
        return len(self._points) if hasattr(self, "_points") else None

    def __repr__(self) -> str:
        return "GridSearch()"
