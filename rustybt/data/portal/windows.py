"""The general history path: a resolved request → calendar positions → NumPy windows.

Handles every request the fast paths (:mod:`.fast`) leave: several fields, zipline-exact
mode, '1d' windows over minute data (today's partial bar), '1m' windows of several assets,
pandas/Polars/Arrow results. Positions come from the calendar index (``end_ns`` is already an
int, so nothing is converted again); the arrays come from :class:`HistoryEngine`.
"""

from __future__ import annotations

from typing import NoReturn

import numpy as np

from rustybt.data.portal.history import HistoryEngine
from rustybt.data.portal.request import HistoryRequest
from rustybt.data.portal.stores import PortalStores
from rustybt.data.store.calendar_index import CalendarIndex
from rustybt.errors import HistoryWindowStartsBeforeData, NotATradingMinute

__all__ = ["WindowReader", "session_window", "starts_before_data", "starts_before_data_minute"]


def starts_before_data(cal: CalendarIndex, bar_count: int) -> NoReturn:
    """Raise zipline's ``HistoryWindowStartsBeforeData`` for a '1d' window."""
    import pandas as pd

    first = pd.Timestamp(int(cal.sessions[0]))
    idx = min(bar_count, cal.n_sessions - 1)
    raise HistoryWindowStartsBeforeData(
        first_trading_day=first.date(),
        bar_count=bar_count,
        suggested_start_day=pd.Timestamp(int(cal.sessions[idx])).date(),
    )


def starts_before_data_minute(cal: CalendarIndex, bar_count: int) -> NoReturn:
    """Raise zipline's ``HistoryWindowStartsBeforeData`` for a '1m' window."""
    import pandas as pd

    assert cal.minutes is not None
    minutes = cal.minutes
    first = pd.Timestamp(int(cal.sessions[0]))
    idx = min(bar_count, len(minutes) - 1)
    suggested = cal.session_index(int(minutes[idx]), instant=True)
    raise HistoryWindowStartsBeforeData(
        first_trading_day=first.date(),
        bar_count=bar_count,
        suggested_start_day=pd.Timestamp(int(cal.sessions[min(
            suggested + 1, cal.n_sessions - 1)])).date(),
    )


def session_window(
    cal: CalendarIndex, bar_count: int, end: object, instant: bool | None = None
) -> tuple[int, int]:
    """First and last session position of a '1d' window ending at ``end`` (None: the last);
    ``instant`` as in :meth:`CalendarIndex.session_index`."""
    e = cal.n_sessions - 1 if end is None else cal.session_index(end, instant)
    s = e - bar_count + 1
    if s < 0:
        starts_before_data(cal, bar_count)
    return s, e


class WindowReader:
    """Reads the windows of a :class:`HistoryRequest` as ``(bar_count, n_assets)`` arrays.

    Args:
        stores: The portal's stores.
        engine: The array engine over them.
        exact: zipline-exact mode (a '1m' end that is not a trading minute raises).
    """

    def __init__(self, stores: PortalStores, engine: HistoryEngine, exact: bool) -> None:
        self._stores = stores
        self._cal = stores.cal
        self._engine = engine
        self._exact = exact

    def read(self, req: HistoryRequest) -> tuple[dict[str, np.ndarray], int, int]:
        """One array per field, and the calendar range ``[start, stop)`` they cover
        (sessions for '1d', trading minutes for '1m')."""
        cal, engine = self._cal, self._engine
        rows = list(req.rows)
        end = req.end_ns
        n = req.bar_count
        if req.frequency == "1d" and req.data_frequency == "daily":
            s, e = session_window(cal, n, end, req.end_instant)
            return {f: engine.daily_history(rows, f, s, e) for f in req.fields}, s, e + 1
        self._stores.require_minutes()
        sids = list(req.sids)
        if req.frequency == "1d":
            if end is None:
                end = int(cal.last_minutes[-1])
            s, e = session_window(cal, n, end, req.end_instant)
            m = cal.minute_index(end)
            arrays = {f: engine.minute_daily_history(sids, rows, f, s, e, m) for f in req.fields}
            return arrays, s, e + 1
        assert cal.minutes is not None
        if end is not None and self._exact and not cal.is_trading_minute(end):
            raise NotATradingMinute(self._stores.bundle.calendar, end)  # zipline's minutes_window
        b = len(cal.minutes) - 1 if end is None else cal.minute_index(end)
        a = b - n + 1
        if a < 0:
            starts_before_data_minute(cal, n)
        return {f: engine.minute_history(sids, rows, f, a, b) for f in req.fields}, a, b + 1
