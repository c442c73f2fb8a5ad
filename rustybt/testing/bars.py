"""Bar builders of the test-bundle factory: OHLCV frames from closes or from a seeded walk.

Every builder returns the frame ``BundleWriter.write_daily_bars`` (``date`` column) or
``write_minute_bars`` (``dt`` column, UTC right-labelled minutes) takes. Random ones draw from
the ``numpy.random.Generator`` they are given, in a fixed order, so a seed fixes the frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["bars_from_close", "minute_ramp", "random_ohlcv", "walk_ohlcv"]


def bars_from_close(dates: Any, close: Any, volume: Any) -> pd.DataFrame:
    """Daily OHLCV whose open/high/low are fixed multiples of ``close`` (0.99, 1.02, 0.97).

    Args:
        dates: Session labels, one a bar.
        close: Closes (any array-like of floats).
        volume: Volumes (integers).
    """
    close = np.asarray(close, dtype=float)
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex(dates),
            "open": close * 0.99,
            "high": close * 1.02,
            "low": close * 0.97,
            "close": close,
            "volume": np.asarray(volume, dtype=np.int64),
        }
    )


def minute_ramp(calendar: Any, session: pd.Timestamp, n: int, start_price: float) -> pd.DataFrame:
    """The first ``n`` right-labelled minutes of ``session``: close rising by 0.01 a minute.

    Args:
        calendar: An exchange-calendars calendar (``rustybt.calendars.get_calendar``).
        session: The session label.
        n: Number of minutes.
        start_price: Close of the first minute.
    """
    minutes = calendar.session_minutes(session)[:n]
    close = start_price + np.arange(n) * 0.01
    return pd.DataFrame(
        {
            "dt": minutes,
            "open": close,
            "high": close + 0.05,
            "low": close - 0.05,
            "close": close,
            "volume": np.arange(1, n + 1) * 10,
        }
    )


def random_ohlcv(rng: np.random.Generator, n: int, level: float) -> dict[str, np.ndarray]:
    """``n`` bars of a 2 % log-normal walk from ``level``, cents, ~5 % with zero volume."""
    close = np.round(level * np.exp(np.cumsum(rng.normal(0, 0.02, n))), 2)
    open_ = np.round(close * (1 + rng.normal(0, 0.005, n)), 2)
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n)), 2)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n)), 2)
    vol = rng.integers(1, 1_000_000, n).astype(np.int64)
    vol[rng.random(n) < 0.05] = 0  # bars that exist but did not trade
    return {"open": open_, "high": high, "low": low, "close": close, "volume": vol}


def walk_ohlcv(rng: np.random.Generator, n: int, start_price: float) -> pd.DataFrame:
    """``n`` bars of a 1.5 % log-normal walk from ``start_price``, cents, volume ≥ 1,000."""
    close = np.round(start_price * np.exp(np.cumsum(rng.normal(0, 0.015, n))), 2)
    open_ = np.round(close * (1 + rng.normal(0, 0.004, n)), 2)
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n)), 2)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n)), 2)
    volume = rng.integers(1_000, 500_000, n)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume})
