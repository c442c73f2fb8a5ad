"""Vectorised NumPy price paths for the synthetic source (one asset at a time).

Everything here is pure NumPy on arrays of one asset, so generating an asset costs a few
milliseconds and memory stays proportional to one asset's bars.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "LOG_HIGH",
    "LOG_LOW",
    "aggregate_sessions",
    "daily_base",
    "finish",
    "minute_base",
    "reflect",
]

# Base (unadjusted, pre-event) prices live in [5, 800]; a 1:2 reverse split doubles them and
# dividends only lower them, so raw prices stay far below zipline's uint32 limit (4,294.967).
LOG_LOW = float(np.log(5.0))
LOG_HIGH = float(np.log(800.0))

Float = np.ndarray


def reflect(x: Float, lo: float = LOG_LOW, hi: float = LOG_HIGH) -> Float:
    """Fold a path into [lo, hi] by reflection at both ends (continuous, no flat stretches)."""
    span = hi - lo
    y = np.mod(x - lo, 2.0 * span)
    return lo + span - np.abs(y - span)


def finish(
    open_: Float, high: Float, low: Float, close: Float, factor: Float
) -> tuple[Float, Float, Float, Float]:
    """Apply the raw-price factor, round to cents, keep low ≤ min(o, c) ≤ max(o, c) ≤ high."""
    o, h, lo, c = (np.round(a * factor, 2) for a in (open_, high, low, close))
    o = np.maximum(o, 0.02)
    c = np.maximum(c, 0.02)
    h = np.maximum(h, np.maximum(o, c))
    lo = np.minimum(np.maximum(lo, 0.01), np.minimum(o, c))
    return o, h, lo, c


def daily_base(rng: np.random.Generator, n: int) -> tuple[Float, Float, Float, Float, np.ndarray]:
    """Base (event-free, unrounded) daily bars of one asset over ``n`` sessions.

    Returns:
        open, high, low, close and integer volume; :func:`finish` turns prices into raw bars.
    """
    log0 = rng.uniform(np.log(20.0), np.log(300.0))
    log_close = reflect(log0 + np.cumsum(rng.normal(0.0003, 0.018, n)))
    gap = rng.normal(0.0, 0.006, n)
    log_open = np.empty(n)
    log_open[0] = log_close[0] + gap[0]
    log_open[1:] = log_close[:-1] + gap[1:]
    close = np.exp(log_close)
    open_ = np.exp(log_open)
    wick_hi = np.abs(rng.normal(0.0, 0.008, n))
    wick_lo = np.abs(rng.normal(0.0, 0.008, n))
    high = np.maximum(open_, close) * (1.0 + wick_hi)
    low = np.minimum(open_, close) * (1.0 - wick_lo)
    volume = np.floor(rng.lognormal(np.log(1.5e6), 0.6, n)).astype(np.int64)
    return open_, high, low, close, np.clip(volume, 100, 1_000_000_000)


def minute_base(
    rng: np.random.Generator, session_of_minute: np.ndarray
) -> tuple[Float, Float, Float, Float, np.ndarray]:
    """Base (event-free, unrounded) minute bars of one asset.

    Args:
        rng: The asset's generator.
        session_of_minute: For each minute, the index (non-decreasing) of its session.

    Returns:
        open, high, low, close and integer volume, one entry per minute.
    """
    m = len(session_of_minute)
    first_of_session = np.ones(m, dtype=bool)
    first_of_session[1:] = session_of_minute[1:] != session_of_minute[:-1]
    eps = rng.normal(0.0, 0.0009, m)
    gap = np.where(first_of_session, rng.normal(0.0, 0.006, m), 0.0)
    log0 = rng.uniform(np.log(20.0), np.log(300.0))
    log_close = reflect(log0 + np.cumsum(eps + gap))
    log_open = reflect(log0 + np.cumsum(eps + gap) - eps)
    close = np.exp(log_close)
    open_ = np.exp(log_open)
    wick_hi = np.abs(rng.normal(0.0, 0.0004, m))
    wick_lo = np.abs(rng.normal(0.0, 0.0004, m))
    high = np.maximum(open_, close) * (1.0 + wick_hi)
    low = np.minimum(open_, close) * (1.0 - wick_lo)
    return open_, high, low, close, rng.integers(100, 20_000, m).astype(np.int64)


def aggregate_sessions(
    session_of_minute: np.ndarray,
    o: Float,
    h: Float,
    lo: Float,
    c: Float,
    v: np.ndarray,
) -> tuple[np.ndarray, Float, Float, Float, Float, np.ndarray]:
    """Daily OHLCV from minute bars: (session indices with minutes, open, high, low, close, vol)."""
    if len(session_of_minute) == 0:
        empty = np.empty(0)
        return np.empty(0, dtype=np.int64), empty, empty, empty, empty, np.empty(0, np.int64)
    starts = np.flatnonzero(np.r_[True, session_of_minute[1:] != session_of_minute[:-1]])
    ends = np.r_[starts[1:], len(session_of_minute)] - 1
    return (
        session_of_minute[starts].astype(np.int64),
        o[starts],
        np.maximum.reduceat(h, starts),
        np.minimum.reduceat(lo, starts),
        c[ends],
        np.add.reduceat(v, starts),
    )
