"""The simulation's clock: sessions and their open/close minutes, without building a calendar.

Building an exchange-calendars calendar costs ~0.5 s (its holiday rules run through pandas),
more than a whole 5-year daily backtest should take. The engine needs, for a daily run, only
the data's sessions and each session's first and last market minute; a mapped portal
(:class:`~rustybt.ArrowDataPortal`) already holds exactly these, as int64 arrays in its
``calendar_index`` (written once per bundle version from the bundle's own exchange calendar,
so they are that calendar's values). :class:`SessionClock` reads them from there when the
portal has them, else from ``portal.trading_calendar``; the exchange calendar itself is built
only for what the arrays cannot answer: minute lists when the portal has no minute index,
early closes (``half_days=False``), the session before the data's first one, and date rules
that need whole weeks and months beyond the data (:mod:`rustybt.engine.simulation`).

Invariant: every answer equals the exchange calendar's answer for the same question.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from rustybt.data.portal.protocol import DataPortalLike

__all__ = ["SessionClock"]


def _naive(values: Any) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(values)
    return index.tz_localize(None) if index.tz is not None else index


class SessionClock:
    """Sessions (naive labels) and their first/last market minutes (UTC) of ``portal``'s data.

    Args:
        portal: The data portal. When it has a ``calendar_index`` (ArrowDataPortal), its
            arrays are used and ``portal.trading_calendar`` is read only on demand.
        minutes: A minute-mode run: attach the portal's minute index now.
    """

    def __init__(self, portal: DataPortalLike, minutes: bool = False) -> None:
        self._portal = portal
        index = getattr(portal, "calendar_index", None)
        self._index = index
        if index is not None:
            store = getattr(portal, "store", None)
            if minutes and store is not None and index.minutes is None:
                store("minute")  # attaches the minute index to ``index``
            self.sessions = pd.DatetimeIndex(np.asarray(index.sessions).astype("datetime64[ns]"))
            self._first = np.asarray(index.first_minutes, dtype=np.int64)
            self._last = np.asarray(index.last_minutes, dtype=np.int64)
            name = getattr(getattr(portal, "bundle", None), "calendar_name", None)
            self._name = name if isinstance(name, str) else None
        else:
            calendar = portal.trading_calendar
            self.sessions = _naive(calendar.sessions)
            self._first = pd.DatetimeIndex(calendar.first_minutes).asi8
            self._last = pd.DatetimeIndex(calendar.last_minutes).asi8
            name = getattr(calendar, "name", None)
            self._name = name if isinstance(name, str) else None

    @property
    def name(self) -> str | None:
        """The exchange calendar's name (the bundle's; else the calendar's, built for it)."""
        if self._name is None and self._index is not None:
            name = getattr(self.calendar, "name", None)
            self._name = name if isinstance(name, str) else None
        return self._name

    @cached_property
    def calendar(self) -> Any:
        """The portal's exchange calendar (built on first use)."""
        return self._portal.trading_calendar

    def covers_periods_of(self, first: pd.Timestamp, last: pd.Timestamp) -> bool:
        """Whether the clock's sessions include every session of the calendar weeks and months
        of ``first`` and ``last``: they start in an earlier week and month and end in a later
        one (the sessions are contiguous, so every session in between is there)."""
        if not len(self.sessions):
            return False
        lo, hi = self.sessions[0], self.sessions[-1]

        def week(ts: pd.Timestamp) -> tuple[int, int]:
            iso = ts.isocalendar()
            return iso[0], iso[1]

        return ((lo.year, lo.month) < (first.year, first.month) and week(lo) < week(first)
                and (hi.year, hi.month) > (last.year, last.month) and week(hi) > week(last))

    def positions(self, sessions: pd.DatetimeIndex) -> np.ndarray:
        """Positions of ``sessions`` among the clock's sessions (all must be there)."""
        where = self.sessions.get_indexer(sessions)
        if (where < 0).any():
            missing = sessions[where < 0]
            raise KeyError(f"session {missing[0].date()} is not a session of the data")
        return np.asarray(where)

    def opens_closes(
        self, sessions: pd.DatetimeIndex
    ) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
        """The first and the last market minute (UTC) of each of ``sessions``."""
        where = self.positions(sessions)
        firsts = pd.DatetimeIndex(self._first[where]).tz_localize("UTC")
        lasts = pd.DatetimeIndex(self._last[where]).tz_localize("UTC")
        return list(firsts), list(lasts)

    def previous_minute(self, session: pd.Timestamp, open_: pd.Timestamp) -> pd.Timestamp | None:
        """The market minute before ``open_``, the first minute of ``session``: the previous
        session's last minute (None before the calendar's first minute)."""
        i = int(self.sessions.get_indexer([session])[0])
        if i > 0:
            return pd.Timestamp(int(self._last[i - 1]), tz="UTC")
        try:
            return pd.Timestamp(self.calendar.previous_minute(open_))
        except ValueError:
            return None

    def previous_session(self, session: pd.Timestamp) -> pd.Timestamp | None:
        """The session before ``session`` (None before the calendar's first session)."""
        i = int(self.sessions.get_indexer([session])[0])
        if i > 0:
            return pd.Timestamp(self.sessions[i - 1])
        calendar = self.calendar
        if session == _naive([calendar.first_session])[0]:
            return None
        return pd.Timestamp(calendar.previous_session(session))

    def session_minutes(self, session: pd.Timestamp) -> pd.DatetimeIndex:
        """The market minutes of ``session`` (UTC)."""
        index = self._index
        if index is not None and getattr(index, "session_first_row", None) is not None:
            i = int(self.sessions.get_indexer([session])[0])
            if i >= 0:
                rows = index.session_first_row
                minutes = index.minutes[int(rows[i]):int(rows[i + 1])]
                return pd.DatetimeIndex(np.asarray(minutes).astype("datetime64[ns]"),
                                        tz="UTC")
        return pd.DatetimeIndex(self.calendar.session_minutes(session))
