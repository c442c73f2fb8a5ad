"""A small bundle for algorithm tests (``rustybt run``, the examples): three assets, S0..S2.

70 daily sessions from 2023-01-03 of cent-precision random walks; the last three sessions also
have full minute bars for S0 and S1 (their daily bars there are the minutes' aggregates), so
one bundle serves daily and minute simulations. Deterministic (seeded).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rustybt import Bundle
from rustybt.calendars import get_calendar
from rustybt.testing import BundleSpec, make_bundle, session_span, walk_ohlcv

N_SESSIONS = 70
MINUTE_SESSIONS = 3
SYMBOLS = "S0,S1,S2"


def _minute_bars(rng: np.random.Generator, minutes: pd.DatetimeIndex, start: float) -> pd.DataFrame:
    bars = walk_ohlcv(rng, len(minutes), start)
    for column in ("open", "high", "low", "close"):  # a 0.1 % walk per minute, not 1.5 %
        bars[column] = np.round(start + (bars[column] - start) * 0.07, 2)
    bars["high"] = bars[["open", "high", "low", "close"]].max(axis=1)
    bars["low"] = bars[["open", "high", "low", "close"]].min(axis=1)
    bars.insert(0, "dt", minutes)
    return bars


def algo_spec() -> BundleSpec:
    """The spec of :func:`algo_bundle`."""
    rng = np.random.default_rng(11)
    sessions = session_span(N_SESSIONS, "2023-01-03")
    cal = get_calendar("XNYS", start="2023-01-01", end="2023-12-31")
    daily: dict[int, pd.DataFrame] = {}
    minute: dict[int, pd.DataFrame] = {}
    for sid in range(3):
        bars = walk_ohlcv(rng, N_SESSIONS, 40.0 + 10 * sid)
        bars.insert(0, "date", sessions)
        if sid < 2:
            frames = []
            for k in range(N_SESSIONS - MINUTE_SESSIONS, N_SESSIONS):
                mins = pd.DatetimeIndex(cal.session_minutes(sessions[k]))
                m = _minute_bars(rng, mins, float(bars.loc[k - 1, "close"]))
                frames.append(m)
                bars.loc[k, ["open", "high", "low", "close", "volume"]] = [
                    m["open"].iloc[0],
                    m["high"].max(),
                    m["low"].min(),
                    m["close"].iloc[-1],
                    m["volume"].sum(),
                ]
            minute[sid] = pd.concat(frames, ignore_index=True)
        daily[sid] = bars
    return BundleSpec.from_bars(daily, minute=minute)


def algo_bundle(root: Path | str, name: str = "algo") -> Bundle:
    """Write the bundle under ``root`` (a rustybt root) as ``name``."""
    return make_bundle(root, algo_spec(), name=name)
