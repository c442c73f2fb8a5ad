"""Module-level callables for the runner's tests (a spawned process imports them by name)."""

from __future__ import annotations

import random


def busy_small() -> int:
    """A short CPU-bound loop (no sleep)."""
    return sum(i * i for i in range(20_000))


def busy_large() -> int:
    """A longer CPU-bound loop (no sleep)."""
    return sum(i * i for i in range(60_000))


def fails() -> None:
    """A workload that raises."""
    raise ZeroDivisionError("deliberate failure in the benchmarked callable")


DRAWS: list[float] = []


def draw() -> None:
    """Record one draw of ``random`` (checks the runner's seeding, in process)."""
    DRAWS.append(random.random())
