"""Calendar index arithmetic: datetimes → session / minute positions, windows → row ranges.

All times are int64 nanoseconds: sessions as naive-midnight labels, minutes as UTC. A ``dt``
may be a naive session label, a tz-aware minute, a ``pd.Timestamp``, an ``np.datetime64``, a
``datetime``/``date`` or a string; naive values are read as UTC, like zipline.

Session resolution: a session label (its naive midnight) always means that session. Any other
``dt`` follows zipline's ``trading_calendar.minute_to_session(dt)``: the session whose last
minute is the first one at or after ``dt`` — a trading minute maps to its session, a time
outside trading hours (a weekend, a holiday, an evening) rolls *forward* to the next session.
Minute resolution takes the last trading minute at or before ``dt``.

Labels that are also trading minutes of another session: on a 24-hour calendar ("24/7",
"24/5") the label midnight of session D is the close (last right-labelled minute) of the
session before; a calendar whose session closes after the next label's midnight has the same
overlap. These keys are *ambiguous*. A naive value (a ``Timestamp`` without tz, a ``date``,
``np.datetime64``, an int, a string without an offset) is read as the label: session D. A
tz-aware value is an instant and is read as a minute, like zipline: the session before. That
is what keeps a zipline backtest right on 24/7 calendars: zipline passes the naive label D for
``data.current``/``history`` and the tz-aware close minute of D (= D+1 00:00 UTC) for
valuations and ``can_trade``; both must read session D, never D+1's bars. The ambiguous keys
live in their own small dict consulted only after the main dict misses, so the hit path of
every other calendar (and of every non-midnight key) costs what it did.

Before the data: a ``dt`` earlier than the first session (its label and its first minute)
raises :class:`~rustybt.errors.NoDataOnDate` naming the date and the first session, in both
lookups, and never rolls forward onto the first session: that would hand a window of future
bars to a backtest that starts before the bundle (zipline's calendar raises there too). An int
``dt`` is nanoseconds since the epoch, so ``20240102`` is a 1970 date and raises the same way.
``NaT`` raises :class:`~rustybt.errors.InvalidDate`. Both checks sit on branches the lookups
already take (a dict miss, then a compare when the search lands on position 0): the hit path
costs nothing more.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, NoReturn

import numpy as np

from rustybt.errors import InvalidDate, NoDataOnDate

__all__ = ["CalendarIndex", "is_aware", "to_ns"]

_NS_PER_DAY = 86_400 * 1_000_000_000
_NAT_NS = -(2**63)  # pd.NaT.value and np.datetime64('NaT') as int64


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


def is_aware(dt: Any) -> bool:
    """True when ``dt`` is a tz-aware instant (a ``Timestamp``/``datetime`` with a tz, or a string
    with an offset); False for naive values, dates, ``np.datetime64``, ints and None."""
    if getattr(dt, "tzinfo", None) is not None:
        return True
    if isinstance(dt, str):
        import pandas as pd

        return pd.Timestamp(dt).tzinfo is not None
    return False


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
        # closes first, then labels: a label always names its own session
        pos = {int(v): i for i, v in enumerate(last_minutes.tolist())}
        pos.update({int(v): i for i, v in enumerate(sessions.tolist())})
        #: label ns → (its session, the session it is a trading minute of), see the module doc
        self._ambiguous: dict[int, tuple[int, int]] = {}
        if len(sessions):
            trades_in = np.searchsorted(last_minutes, sessions, side="left")
            for j in np.flatnonzero(trades_in != np.arange(len(sessions))).tolist():
                k = int(trades_in[j])
                if k < len(sessions) and first_minutes[k] <= sessions[j]:
                    label = int(sessions[j])
                    self._ambiguous[label] = (j, k)
                    del pos[label]
        self._session_pos = pos
        #: Earliest instant that belongs to the data: the first session's label or first
        #: minute, whichever is earlier (a session can open the UTC day before its label).
        self.first_ns = min(int(sessions[0]), int(first_minutes[0])) if len(sessions) else 0
        self.minutes: np.ndarray | None = None
        self.minute_session: np.ndarray | None = None
        self.session_first_row: np.ndarray | None = None

    def attach_minutes(self, minutes: np.ndarray, minute_session: np.ndarray) -> None:
        """Add the trading-minute index (needed for minute data)."""
        self.minutes = minutes
        self.minute_session = minute_session
        self.session_first_row = np.searchsorted(minute_session, np.arange(self.n_sessions + 1))

    def session_index(self, dt: Any, instant: bool | None = None) -> int:
        """Position of the session of ``dt``: its own for a label, else ``minute_to_session(dt)``
        (roll forward); NoDataOnDate past the end.

        Args:
            dt: Any datetime spelling, or int ns.
            instant: Read an ambiguous midnight as a minute (True) or a label (False); None
                decides by ``dt`` (tz-aware: a minute). Consulted only for ambiguous keys.
        """
        ns = dt if type(dt) is int else to_ns(dt)
        idx = self._session_pos.get(ns)
        if idx is not None:
            return idx
        if self._ambiguous and ns in self._ambiguous:
            return self._resolve_ambiguous(ns, dt, instant)
        idx = int(np.searchsorted(self.last_minutes, ns, side="left"))
        if idx >= self.n_sessions:
            raise NoDataOnDate(f"{_label(ns)} is after the bundle's last session")
        if idx == 0 and ns < self.first_ns:
            self.before_data(ns)
        return idx

    def before_data(self, ns: int, first_minute: int | None = None) -> NoReturn:
        """Raise for a ``dt`` before the data: NoDataOnDate naming it and the first session
        (and the first trading minute for a minute lookup); InvalidDate for NaT."""
        if ns == _NAT_NS:
            raise InvalidDate("end_dt is NaT: a history window needs a date")
        first = f"first session {_label(int(self.sessions[0]))}"
        if first_minute is not None:
            first = f"first trading minute {_label(first_minute)} (UTC, {first})"
        raise NoDataOnDate(
            f"end_dt {_label(ns)} is before the data's {first}: no bars exist there "
            "(later bars are never served in their place)"
        )

    def spot_session(self, ns: int, dt: Any = None, instant: bool | None = None) -> int:
        """Like :meth:`session_index` for int ns, but ``n_sessions`` past the end (no raise).

        Spot values treat a dt outside the bundle's sessions as outside every asset's life.
        ``dt`` (the value ``ns`` came from) and ``instant`` decide an ambiguous midnight, as in
        :meth:`session_index`; they are read only for such a key.
        """
        idx = self._session_pos.get(ns)
        if idx is None:
            if self._ambiguous and ns in self._ambiguous:
                return self._resolve_ambiguous(ns, dt, instant)
            idx = int(np.searchsorted(self.last_minutes, ns, side="left"))
        return idx

    def _resolve_ambiguous(self, ns: int, dt: Any, instant: bool | None) -> int:
        """The session of an ambiguous midnight: the label's, or (an instant) the minute's."""
        label_session, minute_session = self._ambiguous[ns]
        if instant is None:
            instant = is_aware(dt)
        return minute_session if instant else label_session

    @property
    def ambiguous_labels(self) -> dict[int, tuple[int, int]]:
        """Label ns → (its session, the session it is a trading minute of): the midnights a
        naive and a tz-aware value read differently (every label but the first on 24/7)."""
        return dict(self._ambiguous)

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
            self.before_data(ns, int(self.minutes[0]))
        if idx == len(self.minutes) - 1 and ns > int(self.minutes[-1]) + _NS_PER_DAY:
            raise NoDataOnDate(f"{_label(ns)} is after the bundle's last trading minute")
        return idx


def _label(ns: int) -> str:
    """``ns`` for a message: a date for midnight, else date and time (UTC)."""
    text = str(np.datetime64(ns, "ns"))
    return text[:10] if text.endswith("T00:00:00.000000000") else text.replace(
        "T", " ").removesuffix(".000000000")
