"""Spot values (zipline's get_spot_value / get_last_traded_dt) from the mapped stores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rustybt.data.bundles.protocol import BundleLike
from rustybt.data.portal.history import HistoryEngine, last_index
from rustybt.data.store.adjustments import AdjustmentEvents, ratio_between
from rustybt.data.store.calendar_index import CalendarIndex, to_ns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GENERAL", "HotDailySpots", "SpotReader"]

#: What :meth:`SpotReader.hot_daily` returns when the general path must answer (a 'price' on a
#: session without a trade walks back to the last one; an asset outside its life).
GENERAL: Any = object()

_NS_PER_DAY = 86_400 * 1_000_000_000
_NEVER = 2**63 - 1  # start of an asset listed after the bundle's last session


def _nat() -> Any:
    import pandas as pd

    return pd.NaT


@dataclass(frozen=True)
class HotDailySpots:
    """The daily close/price/volume lookup, for a caller that resolves the session once per bar.

    ``get_scalar_asset_spot_value`` resolves the dt (``to_ns``, a dict lookup), the asset and
    the field on every call (~1.5-2.5 µs); an engine asks these three fields of one session
    for every held asset, every order and every fill. With this it resolves ``(ns, e) =
    session(dt)`` once per bar, then per value ``value(row_of[sid], e, ns, field)`` (~0.4 µs),
    falling back on the portal when that returns :data:`GENERAL`.

    Attributes:
        row_of: sid → daily row.
        value: :meth:`SpotReader.hot_daily`.
        session: dt → ``(ns, e)``: its int ns and its session position (``n_sessions`` past
            the data, where every asset is outside its life).
    """

    row_of: Mapping[int, int]
    value: Callable[[int, int, int, str], Any]
    session: Callable[[Any], tuple[int, int]]


class SpotReader:
    """Daily and minute spot values with zipline's lifetime, 'price' and volume rules."""

    def __init__(
        self,
        cal: CalendarIndex,
        engine: HistoryEngine,
        events: Callable[[], AdjustmentEvents],
        bundle: BundleLike,
    ) -> None:
        self.bundle = bundle
        self._stock_dividends: pd.DataFrame | None = None
        self.cal = cal
        self.engine = engine
        self.d = engine.d
        self._events = events
        n = cal.n_sessions
        sessions = cal.sessions
        #: Per daily row: where the asset's life starts (ns), and its last session position.
        #: The start is its first session's label, or that session's first minute when it is
        #: earlier (CMES, XASX, XNZE open on the UTC day before the label): those minutes
        #: belong to the first session, the asset trades in them (zipline reads them as
        #: before ``start_date`` and returns NaN).
        first_minutes = cal.first_minutes
        self.start_ns: list[int] = [
            min(int(sessions[i]), int(first_minutes[i])) if i < n else _NEVER
            for i in engine.start_index.tolist()
        ]
        self.end_pos: list[int] = engine.end_index.tolist()
        self._close = self.d["close"]
        self._volume = self.d["volume"]
        self._exact = engine.exact
        self._exact_price = engine._price

    def alive(self, r: int, ns: int, session: int) -> bool:
        """zipline's lifetime rule: ``dt >= start_date`` and ``session <= end_date``.

        ``session`` is :meth:`CalendarIndex.spot_session` (``n_sessions`` after the data), so
        a dt outside the bundle's sessions is outside every asset's life.
        """
        return self.start_ns[r] <= ns and session <= self.end_pos[r]

    def hot_daily(self, r: int, e: int, ns: int, field: str) -> Any:
        """close/price/volume of row ``r`` on session position ``e`` (``ns``: the dt asked),
        or :data:`GENERAL` when only :meth:`daily` can answer ('price' with no trade that
        session, or outside the asset's life).

        The one implementation of the hot daily lookup: ``get_scalar_asset_spot_value`` and
        the engine's ``BarData`` (which resolves ``e`` and ``ns`` once per bar) both call it.
        A float, an int for volume; exact mode's rounding applied.
        """
        if self.start_ns[r] <= ns and e <= self.end_pos[r]:
            if field == "volume":
                return int(self._volume[r, e])
            value = float(self._close[r, e])
            if value == value or field == "close":  # a traded session's 'price' is its close
                return self._exact_price(value) if self._exact else value
            return GENERAL
        if field == "volume":
            return 0
        return np.nan if field == "close" else GENERAL

    def spot_position(self, dt: Any) -> tuple[int, int]:
        """``(ns, e)`` of ``dt`` for :meth:`hot_daily`."""
        ns = to_ns(dt)
        return ns, self.cal.spot_session(ns, dt)

    def _sid(self, r: int) -> int:
        return int(self.engine.daily.sids[r])

    # ------------------------------------------------------------------ daily
    def daily(self, r: int, field: str, dt: Any) -> Any:
        """Daily spot value of asset row ``r`` on the session of ``dt``.

        NaN (volume 0) outside the asset's life, including any dt outside the bundle.
        """
        if field == "last_traded":
            return self.daily_last_traded(r, dt)
        ns = to_ns(dt)
        e = self.cal.spot_session(ns, dt)
        if not (self.start_ns[r] <= ns and e <= self.end_pos[r]):
            return 0 if field == "volume" else np.nan
        if field == "volume":
            return int(self.d["volume"][r, e])
        price = self.engine._price
        if field != "price":
            return price(self.d[field][r, e])
        close = self.d["close"][r]
        found = last_index(close, e, volume=False)
        if found < 0:
            return np.nan
        value = price(close[found])
        if found == e:
            return value
        ev = self._events().by_sid.get(self._sid(r))
        return value * ratio_between(ev, int(self.cal.sessions[found]),
                                     int(self.cal.sessions[e]), False)

    def daily_last_traded(self, r: int, dt: Any) -> Any:
        """Last session ≤ the session of ``dt`` with volume > 0 (naive Timestamp) or NaT.

        NaT for a dt before the first or after the last session of the bundle (zipline's
        daily reader knows no session there).
        """
        ns = to_ns(dt)
        e = self.cal.spot_session(ns, dt)
        if e >= self.cal.n_sessions or ns < int(self.cal.sessions[0]):
            return _nat()
        lt = last_index(self.d["volume"][r], e, volume=True)
        if lt < 0:
            return _nat()
        import pandas as pd

        return pd.Timestamp(int(self.cal.sessions[lt]))

    # ------------------------------------------------------------------ minute
    def minute(self, r: int, sid: int, field: str, dt: Any) -> Any:
        """Minute spot value of asset ``sid`` (daily row ``r``) at ``dt`` (zipline's rules).

        OHLCV exist only at trading minutes: at any other time (an evening, a weekend, before
        the first minute) they are NaN (volume 0). 'price' is the last traded close at or
        before ``dt``, adjusted when it comes from an earlier (UTC) day.
        """
        if field == "last_traded":
            return self.minute_last_traded(r, sid, dt)
        ns = to_ns(dt)
        if not self.alive(r, ns, self.cal.spot_session(ns, instant=True)):  # dt is a minute
            return 0 if field == "volume" else np.nan
        found = self.engine.spot_minute_row(sid)
        if found is None:
            return 0 if field == "volume" else np.nan
        store, mr = found
        minutes = self.cal.minutes
        assert minutes is not None
        m = self.cal.spot_minute(ns)
        at_bar = m >= 0 and int(minutes[m]) == ns
        if field == "volume":
            return int(store.matrix("volume")[mr, m]) if at_bar else 0
        price = self.engine._price
        if field != "price":
            return price(store.matrix(field)[mr, m]) if at_bar else np.nan
        if m < 0:
            return np.nan
        close = store.matrix("close")[mr]
        if at_bar:
            value = price(close[m])
            if value == value:
                return value
        lt = self._minute_last(r, store, mr, m)
        if lt < 0:
            return np.nan
        value = price(close[lt])
        lt_ns = int(minutes[lt])
        if lt_ns // _NS_PER_DAY == ns // _NS_PER_DAY:
            return value
        ev = self._events().by_sid.get(sid)
        return value * ratio_between(ev, lt_ns, ns, False)

    def _minute_last(self, r: int, store: Any, mr: int, m: int) -> int:
        """Last minute position ≤ ``m`` with volume > 0 on or after the asset's start date, or
        -1: zipline's minute reader never looks before ``start_date`` (its daily reader does,
        and so does :meth:`daily_last_traded`). Only bars of a lenient (zipline shim)
        conversion lie before a start date."""
        lt = last_index(store.matrix("volume")[mr], m, volume=True)
        if lt >= 0 and int(self.cal.minutes[lt]) < self.start_ns[r]:  # type: ignore[index]
            return -1
        return lt

    def minute_last_traded(self, r: int, sid: int, dt: Any) -> Any:
        """Last minute ≤ ``dt`` with volume > 0, not before the start date of asset row ``r``
        (UTC Timestamp), or NaT (none, or no minutes)."""
        found = self.engine.spot_minute_row(sid)
        if found is None:
            return _nat()
        store, mr = found
        m = self.cal.spot_minute(to_ns(dt))
        if m < 0:
            return _nat()
        lt = self._minute_last(r, store, mr, m)
        if lt < 0:
            return _nat()
        import pandas as pd

        assert self.cal.minutes is not None
        return pd.Timestamp(int(self.cal.minutes[lt]), tz="UTC")

    # ------------------------------------------------------------------ stock dividends
    def stock_dividends(self, sid: int, trading_days: Any) -> list[dict[str, Any]]:
        """zipline's get_stock_dividends: ex_date > first day and pay_date < last day."""
        if trading_days is None or len(trading_days) == 0:
            return []
        import pandas as pd

        frame = self._stock_dividend_table()
        if len(frame) == 0:
            return []
        start = pd.Timestamp(trading_days[0]).tz_localize(None)
        end = pd.Timestamp(trading_days[-1]).tz_localize(None)
        sel = frame[(frame["sid"] == sid) & (frame["ex_date"] > start) & (frame["pay_date"] < end)]
        cols = ("declared_date", "ex_date", "pay_date", "payment_sid", "ratio", "record_date",
                "sid")
        out: list[dict[str, Any]] = []
        for row in sel.itertuples(index=False):
            item = {c: getattr(row, c) for c in cols}
            item["payment_sid"] = int(item["payment_sid"])
            item["sid"] = int(item["sid"])
            item["ratio"] = float(item["ratio"])
            out.append(item)
        return out

    def _stock_dividend_table(self) -> pd.DataFrame:
        """The bundle's stock dividend table (read once)."""
        if self._stock_dividends is None:
            self._stock_dividends = self.bundle.read_stock_dividends()
        return self._stock_dividends
