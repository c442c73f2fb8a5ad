"""zipline ``BarReader``s over the mapped store: ArrowDailyBarReader and ArrowMinuteBarReader.

They give zipline-era code (and zipline's own ``DataPortal``) the reader interface it expects —
``data_frequency``, ``load_raw_arrays``, ``get_value``, ``get_last_traded_dt``,
``last_available_dt``, ``first_trading_day``, ``trading_calendar``, ``sessions`` — reading the
same memory-mapped Arrow store as :class:`ArrowDataPortal`. Values are the bundle's raw
(unadjusted) bars: NaN prices and volume 0 where an asset has no bar.

Passing these readers to ``rustybt.data.DataPortal`` uses their bundle's portal directly (no
conversion); passing them to zipline's ``DataPortal`` works too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rustybt.compat.zipline.errors import NoDataForSid, NoDataOnDate
from rustybt.data.portal.history import last_index

__all__ = ["ArrowDailyBarReader", "ArrowMinuteBarReader", "NoDataForSid", "NoDataOnDate"]

_FIELDS = ("open", "high", "low", "close", "volume")

class _ArrowBarReader:
    """Shared machinery; subclasses set ``data_frequency`` and the time index."""

    data_frequency: str = ""
    _store_frequency: str = ""

    def __init__(self, source: Any, *, calendar: Any = None) -> None:
        """Create a reader.

        Args:
            source: A rustybt :class:`~rustybt.data.bundles.Bundle` or an ``ArrowDataPortal``.
            calendar: The object to report as ``trading_calendar`` (default: the bundle's).
                zipline's DataPortal requires all readers to share its calendar object, so
                pass zipline's calendar when plugging these readers into zipline itself.
        """
        self._calendar = calendar
        if hasattr(source, "store") and hasattr(source, "bundle"):
            self._portal: Any = source
            self.bundle = source.bundle
        else:
            self._portal = None
            self.bundle = source
        self._times: np.ndarray | None = None

    # ------------------------------------------------------------------ plumbing
    @property
    def portal(self) -> Any:
        """The ``ArrowDataPortal`` whose store this reader reads (zipline_exact when created)."""
        if self._portal is None:
            from rustybt.data.portal.portal import ArrowDataPortal

            self._portal = ArrowDataPortal(self.bundle, zipline_exact=True)
        return self._portal

    @property
    def _store(self) -> Any:
        return self.portal.store(self._store_frequency)

    def _index(self) -> np.ndarray:
        raise NotImplementedError

    def _pos(self, dt: Any, side: str = "left") -> int:
        if side == "left":
            return int(np.searchsorted(self._index(), self._key(dt), side="left"))
        return int(np.searchsorted(self._index(), self._key(dt), side="right"))

    def _row(self, sid: Any) -> int:
        row = self._store.row_of.get(int(sid))
        if row is None:
            raise NoDataForSid(
                f"sid {int(sid)} has no {self._store_frequency} bars in {self.bundle}", int(sid)
            )
        return int(row)

    # ------------------------------------------------------------------ zipline interface
    @property
    def trading_calendar(self) -> Any:
        """The bundle's (right-sided) exchange calendar, or the one given at construction."""
        return self.bundle.calendar if self._calendar is None else self._calendar

    @property
    def sessions(self) -> pd.DatetimeIndex:
        """All sessions of the bundle (naive labels)."""
        return pd.DatetimeIndex(self.bundle.sessions)

    @property
    def first_trading_day(self) -> pd.Timestamp:
        """First session of the bundle."""
        return pd.Timestamp(self.bundle.first_session)

    @property
    def sids(self) -> list[int]:
        """Sids this reader holds bars for."""
        return [int(s) for s in self._store.sids]

    def load_raw_arrays(
        self, columns: list[str], start_date: Any, end_date: Any, assets: Any
    ) -> list[np.ndarray]:
        """Raw (unadjusted) bars from ``start_date`` to ``end_date`` inclusive.

        Returns:
            One (T × N) float64 array per column, N in the order of ``assets``.
        """
        lo = self._pos(start_date, side="left")
        hi = self._pos(end_date, side="right")
        rows = np.fromiter((self._row(a) for a in assets), dtype=np.intp)
        store = self._store
        out = []
        for column in columns:
            if column not in _FIELDS:
                raise ValueError(f"unknown bar column {column!r}; expected one of {_FIELDS}")
            block = store.matrix(column)[rows, lo:hi]
            out.append(np.array(block.T, dtype=np.float64, order="C"))
        return out

    def get_value(self, sid: Any, dt: Any, field: str) -> float:
        """The raw value of ``field`` for ``sid`` at ``dt`` (NaN price / 0 volume when no bar).

        Raises:
            NoDataOnDate: ``dt`` is not a session (daily) / trading minute (minute).
            NoDataForSid: the sid has no bars.
        """
        if field not in _FIELDS:
            raise ValueError(f"unknown bar column {field!r}; expected one of {_FIELDS}")
        pos = self._exact_pos(dt)
        value = float(self._store.matrix(field)[self._row(sid), pos])
        return value

    def get_last_traded_dt(self, asset: Any, dt: Any) -> pd.Timestamp:
        """The last session/minute at or before ``dt`` with volume > 0, or NaT."""
        row = self._store.row_of.get(int(asset))
        if row is None:
            return pd.NaT
        hi = self._pos(dt, side="right")
        if hi == 0:
            return pd.NaT
        # searches backwards in growing chunks: a recent trade costs one small slice
        found = last_index(self._store.matrix("volume")[row], hi - 1, volume=True)
        return pd.NaT if found < 0 else self._label(found)

    def _exact_pos(self, dt: Any) -> int:
        index = self._index()
        value = self._key(dt)
        pos = int(np.searchsorted(index, value))
        if pos >= len(index) or index[pos] != value:
            raise NoDataOnDate(f"{dt} is not a {self._store_frequency} bar time of {self.bundle}")
        return pos

    def _key(self, dt: Any) -> int:
        raise NotImplementedError

    def _label(self, pos: int) -> pd.Timestamp:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.bundle!r})"


class ArrowDailyBarReader(_ArrowBarReader):
    """zipline's ``SessionBarReader`` interface over a bundle's daily mapped store."""

    #: zipline's name for daily readers (``SessionBarReader.data_frequency``).
    data_frequency = "session"
    _store_frequency = "daily"

    def _index(self) -> np.ndarray:
        if self._times is None:
            self._times = self.sessions.as_unit("ns").asi8
        return self._times

    def _key(self, dt: Any) -> int:
        ts = pd.Timestamp(dt)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return int(ts.as_unit("ns").value)

    def _label(self, pos: int) -> pd.Timestamp:
        return pd.Timestamp(int(self._index()[pos]))

    @property
    def last_available_dt(self) -> pd.Timestamp:
        """Last session of the bundle."""
        return pd.Timestamp(self.bundle.last_session)


class ArrowMinuteBarReader(_ArrowBarReader):
    """zipline's ``MinuteBarReader`` interface over a bundle's minute mapped store."""

    data_frequency = "minute"
    _store_frequency = "minute"

    def _index(self) -> np.ndarray:
        if self._times is None:
            cal = self.bundle.calendar
            sessions = self.sessions
            first = cal.session_first_minute(sessions[0])
            last = cal.session_last_minute(sessions[-1])
            self._times = pd.DatetimeIndex(cal.minutes_in_range(first, last)).as_unit("ns").asi8
        return self._times

    def _key(self, dt: Any) -> int:
        ts = pd.Timestamp(dt)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return int(ts.as_unit("ns").value)

    def _label(self, pos: int) -> pd.Timestamp:
        return pd.Timestamp(int(self._index()[pos]), tz="UTC")

    @property
    def last_available_dt(self) -> pd.Timestamp:
        """Last trading minute of the bundle (its last session's close)."""
        return pd.Timestamp(self.bundle.calendar.session_close(self.bundle.last_session))
