"""``RandomSearch``: independent random points, reproducible from the seed.

Trial ``n`` draws from ``numpy.random.default_rng((seed, n))``: its parameters depend only on
the seed and its number, never on which worker asks or when.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rustybt.optimization.samplers.base import Sampler

__all__ = ["RandomSearch"]


class RandomSearch(Sampler):
    """``n_trials`` random points (give ``n_trials`` to the study or here)."""

    def __init__(self, n_trials: int | None = None) -> None:
        if n_trials is not None and (type(n_trials) is not int or n_trials < 1):
            raise ValueError(f"n_trials must be an int >= 1, not {n_trials!r}")
        self.n_trials = n_trials

    def ask(self, number: int) -> dict[str, Any] | None:
        if self.n_trials is not None and number >= self.n_trials:
            return None
        seed = 0 if self.seed is None else self.seed
        return self.space.sample(np.random.default_rng((seed, number)))

    @property
    def size(self) -> int | None:
        return self.n_trials

    def __repr__(self) -> str:
        return f"RandomSearch(n_trials={self.n_trials})"
