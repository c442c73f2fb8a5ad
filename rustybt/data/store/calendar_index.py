"""Calendar index arithmetic: datetimes → session / minute positions, windows → row ranges.

All times are int64 nanoseconds: sessions as naive-midnight labels, minutes as UTC. A ``dt``
may be a naive session label, a tz-aware minute, a ``pd.Timestamp``, an ``np.datetime64``, a
``datetime``/``date`` or a string; naive values are read as UTC, like zipline.

Session resolution follows zipline's ``trading_calendar.minute_to_session(dt)``: the session
whose last minute is the first one at or after ``dt`` — a trading minute maps to its session,
a time outside trading hours (a weekend, a holiday, an evening) rolls *forward* to the next
session. Minute resolution takes the last trading minute at or before ``dt``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from rustybt.errors import NoDataOnDate

__all__ = ["CalendarIndex", "to_ns"]

_NS_PER_DAY = 86_400 * 1_000_000_000


def to_ns(dt: Any) -> int:
    """Nanoseconds since the epoch (UTC; naive values read as UTC)."""
    value = getattr(dt, "value", None)
    if type(value) is int:  # pd.Timestamp (tz-aware: UTC value)
        return value
    if isinstance(dt, np.datetime64):
        return int(dt.astype("datetime64[ns]").astype(np.int64))
    if isinstance(dt, int | np.integer):
        return int(dt)
    if isinstance(dt, _dt.datetime):
        if dt.tzinfo is not None:
            dt = dt.astimezone(_dt.UTC).replace(tzinfo=None)
        delta = dt - _dt.datetime(1970, 1, 1)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if isinstance(dt, _dt.date):
        return (dt - _dt.date(1970, 1, 1)).days * _NS_PER_DAY
    import pandas as pd  # strings and other exotic inputs only

    return int(pd.Timestamp(dt).value)


class CalendarIndex:
    """Sessions and trading minutes of a bundle as int64 arrays, with fast lookups.

    Args:
        sessions: Session labels (naive midnight ns).
        first_minutes: First trading minute of each session (UTC ns, right-labelled).
        last_minutes: Last trading minute (the close) of each session (UTC ns).
    """

    def __init__(
        self, sessions: np.ndarray, first_minutes: np.ndarray, last_minutes: np.ndarray
    ) -> None:
        self.sessions = sessions
        self.first_minutes = first_minutes
        self.last_minutes = last_minutes
        self.n_sessions = len(sessions)
        pos = {int(v): i for i, v in enumerate(sessions.tolist())}
        pos.update({int(v): i for i, v in enumerate(last_minutes.tolist())})
        self._session_pos = pos
        self.minutes: np.ndarray | None = None
        self.minute_session: np.ndarray | None = None
        self.session_first_row: np.ndarray | None = None

    def attach_minutes(self, minutes: np.ndarray, minute_session: np.ndarray) -> None:
        """Add the trading-minute index (needed for minute data)."""
        self.minutes = minutes
        self.minute_session = minute_session
        self.session_first_row = np.searchsorted(minute_session, np.arange(self.n_sessions + 1))

    def session_index(self, dt: Any) -> int:
        """Position of ``minute_to_session(dt)`` (roll forward); NoDataOnDate past the end."""
        ns = dt if type(dt) is int else to_ns(dt)
        idx = self._session_pos.get(ns)
        if idx is not None:
            return idx
        idx = int(np.searchsorted(self.last_minutes, ns, side="left"))
        if idx >= self.n_sessions:
            raise NoDataOnDate(f"{_label(ns)} is after the bundle's last session")
        return idx

    def spot_session(self, ns: int) -> int:
        """Like :meth:`session_index` for int ns, but ``n_sessions`` past the end (no raise).

        Spot values treat a dt outside the bundle's sessions as outside every asset's life.
        """
        idx = self._session_pos.get(ns)
        if idx is None:
            idx = int(np.searchsorted(self.last_minutes, ns, side="left"))
        return idx

    def spot_minute(self, ns: int) -> int:
        """Last trading minute ≤ ``ns`` (int ns): -1 before the first, the last one after."""
        assert self.minutes is not None
        return int(np.searchsorted(self.minutes, ns, side="right")) - 1

    def is_trading_minute(self, ns: int) -> bool:
        """True when ``ns`` is one of the data's trading minutes (UTC ns)."""
        m = self.spot_minute(ns)
        return m >= 0 and int(self.minutes[m]) == ns  # type: ignore[index]

    def minute_index(self, dt: Any) -> int:
        """Position of the last trading minute at or before ``dt``; NoDataOnDate outside."""
        assert self.minutes is not None
        ns = dt if type(dt) is int else to_ns(dt)
        idx = int(np.searchsorted(self.minutes, ns, side="right")) - 1
        if idx < 0:
            raise NoDataOnDate(f"{_label(ns)} is before the bundle's first trading minute")
        if idx == len(self.minutes) - 1 and ns > int(self.minutes[-1]) + _NS_PER_DAY:
            raise NoDataOnDate(f"{_label(ns)} is after the bundle's last trading minute")
        return idx


def _label(ns: int) -> str:
    return str(np.datetime64(ns, "ns"))
