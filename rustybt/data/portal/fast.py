"""Fast paths of ``ArrowDataPortal.history`` for the common calls (default mode, one field).

One asset: a read-only view of the map when the window needs no adjustment or fill, else one
multiply. A list of assets: one fancy-indexed gather, adjusted by one vectorised multiply
when any asset has an adjustment inside the window (``F[t] / F[end]`` is exactly 1.0 for the
others). Anything else falls back to the general path in :mod:`.portal`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rustybt.assets import SidsNotFound
from rustybt.data.portal.history import HistoryEngine
from rustybt.data.store.calendar_index import CalendarIndex
from rustybt.data.store.mapped import MappedStore
from rustybt.errors import HistoryWindowStartsBeforeData

__all__ = ["FastHistoryMixin"]


class FastHistoryMixin:
    """Fast history paths; mixed into :class:`ArrowDataPortal` (which sets the attributes)."""

    _cal: CalendarIndex
    _engine: HistoryEngine
    _row: dict[int, int]
    _row_views: dict[str, list[np.ndarray]]
    _end_list: list[int]

    def _frame_maker(self) -> Any:  # pragma: no cover - provided by the portal
        raise NotImplementedError

    def _require_minutes(self) -> MappedStore:  # pragma: no cover - provided by the portal
        raise NotImplementedError

    def _sid(self, asset: Any) -> int:
        return asset if type(asset) is int else int(getattr(asset, "sid", asset))

    def _drow(self, sid: int) -> int:
        row = self._row.get(sid)
        if row is None:
            raise SidsNotFound([sid])
        return row

    def _window_bounds(self, bar_count: int, end_dt: Any) -> tuple[int, int]:
        e = self._cal.n_sessions - 1 if end_dt is None else self._cal.session_index(end_dt)
        s = e - bar_count + 1
        if s < 0:
            self._starts_before_data(bar_count)
        return s, e

    def _fast_one(self, asset: Any, field: str, bar_count: int, end_dt: Any) -> np.ndarray:
        """One asset, one field, daily, default mode: a view when nothing needs changing."""
        s, e = self._window_bounds(bar_count, end_dt)
        sid = asset if type(asset) is int else int(asset.sid)
        r = self._row.get(sid)
        if r is None:
            raise SidsNotFound([sid])
        d = self._engine.d
        volume = field == "volume"
        w = d["close" if field == "price" else field][r, s : e + 1]
        count = d["volume_adj_count" if volume else "price_adj_count"][r]
        adjust = count[s] != count[e]
        if field == "price" and (self._engine.end_index[r] < e or np.isnan(w).any()):
            return self._engine.daily_history([r], field, s, e)[:, 0]
        if not adjust:
            return w
        fac = d["volume_factor" if volume else "price_factor"][r]
        return w * (fac[s : e + 1] / fac[e])

    def _count_rows(self, volume: bool) -> list[np.ndarray]:
        """Per-asset 1-D views of an adjustment-count column (scalar lookups are cheapest)."""
        name = "volume_adj_count" if volume else "price_adj_count"
        views = self._row_views.get(name)
        if views is None:
            views = self._row_views[name] = list(self._engine.d[name])
        return views

    def _fast_many(
        self, assets: list[Any], field: str, bar_count: int, end_dt: Any, return_type: str
    ) -> Any:
        """A list of assets, one field, daily, default mode: one fancy-indexed block."""
        if return_type not in ("array", "dataframe"):
            raise ValueError(f"return_type must be 'dataframe' or 'array', not {return_type!r}")
        # _window_bounds inlined: the extra call costs ~0.1 µs on this hot path (measured).
        cal = self._cal
        e = cal.n_sessions - 1 if end_dt is None else cal.session_index(end_dt)
        s = e - bar_count + 1
        if s < 0:
            self._starts_before_data(bar_count)
        row_of = self._row
        try:
            rows = [row_of[a if type(a) is int else a.sid] for a in assets]
        except (KeyError, AttributeError):
            rows = [self._drow(self._sid(a)) for a in assets]
        d = self._engine.d
        block = d["close" if field == "price" else field][rows, s : e + 1]
        if field == "price" and rows and (
            np.isnan(block).any() or min(self._end_list[r] for r in rows) < e
        ):  # needs seeding, forward fill or NaNs after a delisting
            out = self._engine.daily_history(rows, field, s, e)
        else:
            volume = field == "volume"
            counts = self._row_views.get("volume_adj_count" if volume else "price_adj_count")
            if counts is None:
                counts = self._count_rows(volume)
            for r in rows:
                if counts[r][s] != counts[r][e]:
                    # F[t] / F[e] is exactly 1.0 for rows without adjustments in the window
                    fac = d["volume_factor" if volume else "price_factor"][rows, s : e + 1]
                    block *= fac / fac[:, -1:]
                    break
            out = block.T
        if return_type == "array":
            return out
        maker = self._frame_maker()
        return maker.frame(out, maker.index("1d", s, e + 1), assets)

    def _starts_before_data(self, bar_count: int) -> None:
        import pandas as pd

        first = pd.Timestamp(int(self._cal.sessions[0]))
        idx = min(bar_count, self._cal.n_sessions - 1)
        raise HistoryWindowStartsBeforeData(
            first_trading_day=first.date(),
            bar_count=bar_count,
            suggested_start_day=pd.Timestamp(int(self._cal.sessions[idx])).date(),
        )


    def _starts_before_data_minute(self, bar_count: int) -> None:
        import pandas as pd

        assert self._cal.minutes is not None
        minutes = self._cal.minutes
        first = pd.Timestamp(int(self._cal.sessions[0]))
        idx = min(bar_count, len(minutes) - 1)
        suggested = self._cal.session_index(int(minutes[idx]))
        raise HistoryWindowStartsBeforeData(
            first_trading_day=first.date(),
            bar_count=bar_count,
            suggested_start_day=pd.Timestamp(int(self._cal.sessions[min(
                suggested + 1, self._cal.n_sessions - 1)])).date(),
        )

    def _fast_one_minute(self, asset: Any, field: str, bar_count: int, end_dt: Any) -> Any:
        """One asset, one field, '1m', default mode: a view of the minute map when possible."""
        store = self._require_minutes()
        cal = self._cal
        assert cal.minutes is not None and cal.minute_session is not None
        b = len(cal.minutes) - 1 if end_dt is None else cal.minute_index(end_dt)
        a = b - bar_count + 1
        sid = asset if type(asset) is int else int(asset.sid)
        r = self._row.get(sid)
        mr = store.row_of.get(sid)
        if a < 0 or r is None or mr is None:
            return None  # the general path raises or pads
        w = store.matrix("close" if field == "price" else field)[mr, a : b + 1]
        ms, me = int(cal.minute_session[a]), int(cal.minute_session[b])
        if field == "price" and (self._end_list[r] < me or np.isnan(w).any()):
            return None
        volume = field == "volume"
        if self._count_rows(volume)[r][ms] == self._count_rows(volume)[r][me]:
            return w
        fac = self._engine.d["volume_factor" if volume else "price_factor"][r]
        return w * (fac[cal.minute_session[a : b + 1]] / fac[me])
