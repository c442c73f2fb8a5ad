"""Where the hard cases of a synthetic asset fall (lifetime, halts, splits, dividends, renames)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AssetPlan", "plan_asset"]

_DIVIDEND_EVERY = 63  # sessions, about a quarter


@dataclass(frozen=True)
class AssetPlan:
    """Session indices (into the bundle's sessions) of one asset's life and events.

    Attributes:
        first: First session of the listing.
        last: Last session of the listing.
        halts: Sessions inside the life without a bar.
        splits: (effective session, ratio) pairs; ratio multiplies earlier prices.
        dividends: Ex-date sessions of cash dividends (each has a bar, as has the session before).
        symbol_change: Session from which the asset trades under its current symbol, or None.
    """

    first: int
    last: int
    halts: tuple[int, ...]
    splits: tuple[tuple[int, float], ...]
    dividends: tuple[int, ...]
    symbol_change: int | None


def plan_asset(sid: int, n_sessions: int, rng: np.random.Generator) -> AssetPlan:
    """Plan the hard cases of asset ``sid`` (draws a fixed number of values from ``rng``)."""
    kind = sid % 4
    u = rng.random(4)
    first, last = 0, n_sessions - 1
    if kind == 1 and n_sessions >= 20:
        first = int(n_sessions * (0.2 + 0.3 * u[0]))
    if kind == 2 and n_sessions >= 20:
        last = int(n_sessions * (0.6 + 0.25 * u[1]))
    life = last - first + 1
    halts: tuple[int, ...] = ()
    if kind in (2, 3) and life >= 12:
        single = first + 2 + int(u[2] * (life - 8))
        run = first + 2 + int(u[3] * (life - 8))
        halts = tuple(sorted({single, run, run + 1}))
    splits: tuple[tuple[int, float], ...] = ()
    if kind == 0 and life >= 10:
        splits = ((first + max(1, int(0.4 * life)), 2.0 if sid % 8 == 4 else 0.5),)
    elif kind == 3 and life >= 10:
        splits = ((first + max(1, int(0.7 * life)), 1.0 / 3.0),)
    dividends: tuple[int, ...] = ()
    if kind in (0, 1) and life >= 25:
        start = first + 20 + (sid * 7) % 40
        dividends = tuple(
            i
            for i in range(start, last + 1, _DIVIDEND_EVERY)
            if i not in halts and i - 1 not in halts
        )
    symbol_change = first + int(0.55 * life) if sid % 8 == 7 and life >= 10 else None
    return AssetPlan(first, last, halts, splits, dividends, symbol_change)
