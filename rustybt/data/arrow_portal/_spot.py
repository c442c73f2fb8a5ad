"""Spot values (zipline's get_spot_value / get_last_traded_dt) from the mapped stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rustybt.data.arrow_portal._history import HistoryEngine, last_index
from rustybt.data.arrow_portal.adjustments import AdjustmentEvents, ratio_between
from rustybt.data.arrow_portal.window import CalendarIndex, to_ns

__all__ = ["SpotReader"]

_NS_PER_DAY = 86_400 * 1_000_000_000


def _nat() -> Any:
    import pandas as pd

    return pd.NaT


class SpotReader:
    """Daily and minute spot values with zipline's lifetime, 'price' and volume rules."""

    def __init__(
        self,
        cal: CalendarIndex,
        engine: HistoryEngine,
        events: Callable[[], AdjustmentEvents],
        bundle: Any,
    ) -> None:
        self.bundle = bundle
        self._stock_dividends: Any = None
        self.cal = cal
        self.engine = engine
        self.d = engine.d
        self._events = events

    def _alive(self, r: int, session: int) -> bool:
        e = self.engine
        return bool(e.start_index[r] <= session <= e.end_index[r])

    def _sid(self, r: int) -> int:
        return int(self.engine.daily.sids[r])

    # ------------------------------------------------------------------ daily
    def daily(self, r: int, field: str, dt: Any) -> Any:
        """Daily spot value of asset row ``r`` on the session of ``dt``."""
        e = self.cal.session_index(dt)
        if field == "last_traded":
            return self.daily_last_traded(r, dt)
        if not self._alive(r, e):
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
        return value * ratio_between(ev, int(self.cal.sessions[found]), to_ns(dt), False)

    def daily_last_traded(self, r: int, dt: Any) -> Any:
        """Last session ≤ the session of ``dt`` with volume > 0 (naive Timestamp) or NaT."""
        e = self.cal.session_index(dt)
        lt = last_index(self.d["volume"][r], e, volume=True)
        if lt < 0:
            return _nat()
        import pandas as pd

        return pd.Timestamp(int(self.cal.sessions[lt]))

    # ------------------------------------------------------------------ minute
    def minute(self, r: int, sid: int, field: str, dt: Any) -> Any:
        """Minute spot value of asset ``sid`` (daily row ``r``) at ``dt``."""
        if field == "last_traded":
            return self.minute_last_traded(sid, dt)
        session = self.cal.session_index(dt)
        if not self._alive(r, session):
            return 0 if field == "volume" else np.nan
        found = self.engine.spot_minute_row(sid)
        m = self.cal.minute_index(dt)
        if found is None:
            return 0 if field == "volume" else np.nan
        store, mr = found
        if field == "volume":
            return int(store.matrix("volume")[mr, m])
        price = self.engine._price
        if field != "price":
            return price(store.matrix(field)[mr, m])
        close = store.matrix("close")[mr]
        value = price(close[m])
        if value == value:
            return value
        lt = last_index(store.matrix("volume")[mr], m, volume=True)
        if lt < 0:
            return np.nan
        value = price(close[lt])
        assert self.cal.minutes is not None
        lt_ns = int(self.cal.minutes[lt])
        ns = to_ns(dt)
        if lt_ns // _NS_PER_DAY == ns // _NS_PER_DAY:
            return value
        ev = self._events().by_sid.get(sid)
        return value * ratio_between(ev, lt_ns, ns, False)

    def minute_last_traded(self, sid: int, dt: Any) -> Any:
        """Last minute ≤ ``dt`` with volume > 0 (UTC Timestamp) or NaT."""
        found = self.engine.spot_minute_row(sid)
        if found is None:
            return _nat()
        store, mr = found
        m = self.cal.minute_index(dt)
        lt = last_index(store.matrix("volume")[mr], m, volume=True)
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

    def _stock_dividend_table(self) -> Any:
        """The bundle's stock dividend table (read once)."""
        if self._stock_dividends is None:
            self._stock_dividends = self.bundle.read_stock_dividends()
        return self._stock_dividends
