"""History windows as NumPy arrays: raw slices, adjustments, 'price' forward fill, minute '1d'.

Everything here works on sid rows of the mapped stores and calendar positions; the portal
resolves assets and datetimes first. Results are ``(bar_count, n_assets)`` float64 arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rustybt.data.store.adjustments import AdjustmentEvents, apply_exact, ratio_between
from rustybt.data.store.calendar_index import CalendarIndex
from rustybt.data.store.mapped import MappedStore

__all__ = ["HistoryEngine", "last_index"]

PRICE_FIELDS = ("open", "high", "low", "close")
_INF = float("inf")


def last_index(row: np.ndarray, upto: int, volume: bool) -> int:
    """Last position ≤ ``upto`` where ``row`` is > 0 (volume) or not NaN (prices); -1 if none.

    Searches backwards in growing chunks, so a recent hit costs one small slice.
    """
    hi = upto + 1
    size = 64
    while hi > 0:
        lo = max(0, hi - size)
        seg = row[lo:hi]
        hits = np.flatnonzero(seg > 0) if volume else np.flatnonzero(seg == seg)
        if len(hits):
            return lo + int(hits[-1])
        hi = lo
        size *= 4
    return -1


def zipline_quantize(values: Any) -> Any:
    """zipline's bcolz round trip of a price: ``round(price * 1000) * 0.001``."""
    return np.round(np.multiply(values, 1000.0)) * 0.001


def _ffill(out: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs down each column (vectorised)."""
    valid = ~np.isnan(out)
    idx = np.where(valid, np.arange(out.shape[0])[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    return np.take_along_axis(out, idx, axis=0)


class HistoryEngine:
    """Computes history windows from the mapped daily and minute stores.

    Args:
        cal: The calendar index.
        daily: The daily store (bars, adjustment factors, lifetimes in its metadata).
        minute: A callable returning the minute store (built on first use) or None.
        events: A callable returning the adjustment events (loaded on first use).
        exact: zipline-exact mode (sequential ratios, 3-decimal rounding of windows).
    """

    def __init__(
        self,
        cal: CalendarIndex,
        daily: MappedStore,
        minute: Callable[[], MappedStore | None],
        events: Callable[[], AdjustmentEvents],
        exact: bool,
    ) -> None:
        self.cal = cal
        self.daily = daily
        self.d = {name: daily.matrix(name) for name in daily.columns}
        self.start_index = np.asarray(daily.metadata.get("start_index", []), dtype=np.int64)
        self.end_index = np.asarray(daily.metadata.get("end_index", []), dtype=np.int64)
        self._minute = minute
        self._events = events
        self.exact = exact

    # ------------------------------------------------------------------ helpers
    def _adjust(
        self,
        out: np.ndarray,
        drows: Sequence[int],
        row_sessions: np.ndarray | slice,
        perspective: int,
        volume: bool,
        need: Sequence[int] | None = None,
    ) -> None:
        """Apply adjustments seen from session ``perspective`` to ``out`` in place.

        ``row_sessions`` gives each row's session: a slice for daily windows, an index array
        for minute windows. ``need`` (the columns to adjust) is computed when not given.
        """
        first = row_sessions.start if isinstance(row_sessions, slice) else row_sessions[0]
        rows = list(drows)
        if need is None:
            need = self.needs_adjustment(rows, int(first), perspective, volume)
        if len(need) == 0:
            return
        if self.exact:
            sessions = (np.arange(row_sessions.start, row_sessions.stop)
                        if isinstance(row_sessions, slice) else row_sessions)
            events = self._events().by_sid
            sids = self.daily.sids
            for j in list(need):
                apply_exact(out[:, j], sessions, perspective, events.get(int(sids[rows[j]])),
                            volume)
            return
        fac = self.d["volume_factor" if volume else "price_factor"]
        sub = [rows[j] for j in list(need)]
        window = fac[sub, row_sessions] if isinstance(row_sessions, slice) else \
            fac[sub][:, row_sessions]
        mult = window / fac[sub, perspective][:, None]
        if len(need) == len(rows):
            out *= mult.T
        else:
            out[:, need] *= mult.T

    def needs_adjustment(
        self, rows: list[int], s0: int, perspective: int, volume: bool
    ) -> Sequence[int]:
        """Positions in ``rows`` with an adjustment effective in ``(s0, perspective]``."""
        count = self.d["volume_adj_count" if volume else "price_adj_count"]
        if len(rows) == 1:
            r = rows[0]
            return [0] if count[r, s0] != count[r, perspective] else []
        return np.flatnonzero(count[rows, s0] != count[rows, perspective])  # type: ignore[return-value]

    def _seed_ratio(self, drow: int, from_session: int, to_session: int, volume: bool) -> float:
        if self.exact:
            sid = int(self.daily.sids[drow])
            ev = self._events().by_sid.get(sid)
            s = self.cal.sessions
            return ratio_between(ev, int(s[from_session]), int(s[to_session]), volume)
        fac = self.d["volume_factor" if volume else "price_factor"]
        return float(fac[drow, from_session] / fac[drow, to_session])

    def _finish_price(
        self,
        out: np.ndarray,
        drows: Sequence[int],
        row_sessions: np.ndarray,
        end_session: int,
        seed: Callable[[int, int], float],
    ) -> np.ndarray:
        """zipline's 'price': seed leading NaNs, forward fill, NaN after each asset's end.

        Assets listed after the window start, or delisted before it, need no seed: there is
        no earlier trade (bars lie inside lifetimes), or every row ends up NaN anyway.
        """
        rows = list(drows)
        first = int(row_sessions[0])
        starts = self.start_index[rows]
        ends = self.end_index[rows]
        for j in np.flatnonzero(np.isnan(out[0])).tolist():
            if starts[j] <= first <= ends[j]:
                out[0, j] = seed(j, rows[j])
        if np.isnan(out).any():
            out = _ffill(out)
        late = np.flatnonzero(ends < end_session)
        if len(late):
            cuts = np.searchsorted(row_sessions, ends[late], side="right")
            for j, cut in zip(late.tolist(), cuts.tolist(), strict=True):
                out[cut:, j] = np.nan
        return out

    # ------------------------------------------------------------------ daily data
    def daily_window(
        self, drows: Sequence[int], field: str, s: int, e: int, perspective: int | None = None
    ) -> np.ndarray:
        """Rows ``s..e`` of daily data, adjusted as seen from ``perspective`` (default ``e``)."""
        p = e if perspective is None else perspective
        base = "close" if field == "price" else field
        rows = list(drows)
        volume = base == "volume"
        if self.exact:
            return self._exact_daily_window(rows, base, s, e, p, volume)
        out = self.d[base][rows, s : e + 1].T.copy()
        if e >= s:
            self._adjust(out, rows, slice(s, e + 1), p, volume)
        return out

    def _exact_daily_window(
        self, rows: list[int], base: str, s: int, e: int, p: int, volume: bool
    ) -> np.ndarray:
        """zipline's daily window: quantized prices, ratios one at a time, rounded to 3 dp.

        Works in place on the gathered ``(assets, bars)`` copy and returns its transpose.
        Without adjustments, ``round(quantize(x), 3)`` is exactly ``rint(x * 1000) / 1000``
        and rounding integral volumes is a no-op.
        """
        raw = self.d[base][rows, s : e + 1]
        need = self.needs_adjustment(rows, s, p, volume) if e >= s else []
        if len(need) == 0:
            if not volume:
                np.multiply(raw, 1000.0, out=raw)
                np.rint(raw, out=raw)
                np.divide(raw, 1000.0, out=raw)
            return np.ascontiguousarray(raw.T)
        if not volume:  # zipline_quantize, in place
            np.multiply(raw, 1000.0, out=raw)
            np.rint(raw, out=raw)
            np.multiply(raw, 0.001, out=raw)
        out = raw.T
        self._adjust(out, rows, slice(s, e + 1), p, volume, need)
        np.round(raw, 3, out=raw)
        return np.ascontiguousarray(out)

    def daily_history(self, drows: Sequence[int], field: str, s: int, e: int) -> np.ndarray:
        """A '1d' window of daily data ending at session ``e``."""
        out = self.daily_window(drows, field, s, e)
        if field != "price":
            return out
        volume = self.d["volume"]

        def seed(j: int, r: int) -> float:
            lt = last_index(volume[r], s, volume=True)
            if lt < 0:
                return np.nan
            return self.daily_price_at(r, lt) * self._seed_ratio(r, lt, e, False)

        return self._finish_price(out, drows, np.arange(s, e + 1), e, seed)

    def daily_price_at(self, r: int, e: int) -> float:
        """zipline's daily spot 'price' of row ``r`` at session ``e``: the last close at or
        before ``e`` (a traded bar may lack its close), adjusted as seen from ``e``."""
        close = self.d["close"][r]
        found = last_index(close, e, volume=False)
        if found < 0:
            return np.nan
        value = self._price(close[found])
        return value if found == e else value * self._seed_ratio(r, found, e, False)

    def _price(self, value: Any) -> float:
        """A raw price as zipline reads it back in exact mode (bcolz round trip)."""
        v = float(value)
        if not self.exact or v != v or v in (_INF, -_INF):
            return v
        return round(v * 1000.0) * 0.001  # == zipline_quantize(v): both round half to even

    # ------------------------------------------------------------------ minute data
    def minute_store(self) -> MappedStore | None:
        """The minute store (built and mapped on first use), None if the bundle has none."""
        return self._minute()

    def _minute_block(self, sids: Sequence[int], base: str, a: int, b: int) -> np.ndarray:
        store = self._minute()
        n = b - a + 1
        out = np.full((n, len(sids)), 0.0 if base == "volume" else np.nan)
        if store is None:
            return out
        mat = store.matrix(base)
        for j, sid in enumerate(sids):
            r = store.row_of.get(int(sid))
            if r is not None:
                out[:, j] = mat[r, a : b + 1]
        if self.exact and base != "volume":
            out = zipline_quantize(out)
        return out

    def minute_history(
        self, sids: Sequence[int], drows: Sequence[int], field: str, a: int, b: int
    ) -> np.ndarray:
        """A '1m' window of minute rows ``a..b``."""
        base = "close" if field == "price" else field
        out = self._minute_block(sids, base, a, b)
        assert self.cal.minute_session is not None and self.cal.minutes is not None
        row_sessions = self.cal.minute_session[a : b + 1]
        end_session = int(row_sessions[-1])
        self._adjust(out, drows, row_sessions, end_session, base == "volume")
        if self.exact:
            out = out.round(3)
        if field != "price":
            return out
        store = self._minute()
        minutes = self.cal.minutes
        msess = self.cal.minute_session

        def seed(j: int, r: int) -> float:
            mr = None if store is None else store.row_of.get(int(sids[j]))
            if mr is None:
                return np.nan
            lt = last_index(store.matrix("volume")[mr], a, volume=True)  # type: ignore[union-attr]
            if lt < 0 or msess[lt] < self.start_index[r]:  # zipline: never before start_date
                return np.nan
            value = self._price(store.matrix("close")[mr, lt])  # type: ignore[union-attr]
            if self.exact:
                sid = int(self.daily.sids[r])
                ev = self._events().by_sid.get(sid)
                return value * ratio_between(ev, int(minutes[lt]), int(minutes[b]), False)
            return value * self._seed_ratio(r, int(msess[lt]), end_session, False)

        return self._finish_price(out, drows, row_sessions, end_session, seed)

    def partial_day(
        self, sids: Sequence[int], drows: Sequence[int], field: str, e: int, m: int
    ) -> np.ndarray:
        """Today's bar so far (session ``e``, minutes up to position ``m``), like zipline's
        DailyHistoryAggregator: first open, max high, min low, last close, summed volume."""
        assert self.cal.session_first_row is not None
        first = int(self.cal.session_first_row[e])
        base = "close" if field == "price" else field
        if m < first:
            block = np.full((0, len(sids)), np.nan)
        else:
            block = self._minute_block(sids, base, first, m)
        out = np.full(len(sids), 0.0 if base == "volume" else np.nan)
        alive = (self.start_index[list(drows)] <= e) & (self.end_index[list(drows)] >= e)
        for j in range(len(sids)):
            if not alive[j] or block.shape[0] == 0:
                continue
            col = block[:, j]
            if base == "volume":
                out[j] = float(np.nansum(col))
                continue
            ok = col[~np.isnan(col)]
            if len(ok) == 0:
                continue
            if base == "open":
                out[j] = ok[0]
            elif base == "close":
                out[j] = ok[-1]
            elif base == "high":
                out[j] = ok.max()
            else:
                out[j] = ok.min()
        return out

    def minute_daily_history(
        self, sids: Sequence[int], drows: Sequence[int], field: str, s: int, e: int, m: int
    ) -> np.ndarray:
        """A '1d' window in minute mode: completed sessions ``s..e-1`` adjusted as seen from
        session ``e``, then today's partial bar up to minute position ``m``."""
        out = np.empty((e - s + 1, len(drows)))
        out[:-1] = self.daily_window(drows, field, s, e - 1, perspective=e)
        out[-1] = self.partial_day(sids, drows, field, e, m)
        if field != "price":
            return out
        volume = self.d["volume"]

        def seed(j: int, r: int) -> float:
            lt = last_index(volume[r], s - 1, volume=True) if s > 0 else -1
            if lt < 0:
                return np.nan
            return self.daily_price_at(r, lt) * self._seed_ratio(r, lt, e, False)

        return self._finish_price(out, drows, np.arange(s, e + 1), e, seed)

    def spot_minute_row(self, sid: int) -> tuple[MappedStore, int] | None:
        """(minute store, row) of ``sid``, or None when it has no minute bars."""
        store = self._minute()
        if store is None:
            return None
        r = store.row_of.get(int(sid))
        return None if r is None else (store, r)


def as_float_list(values: Any) -> list[float]:
    """Plain floats (used by spot lists)."""
    return [float(v) for v in values]
