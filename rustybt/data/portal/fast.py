"""Fast paths of ``ArrowDataPortal.history`` for the common calls (default mode, one field).

One asset: a read-only view of the map when the window needs no adjustment or fill, else one
multiply. A list of assets: one fancy-indexed gather, adjusted by one vectorised multiply
when any asset has an adjustment inside the window (``F[t] / F[end]`` is exactly 1.0 for the
others). ``'1m'`` for one asset: a view of the minute map when possible; for a list of assets
as an array, one gather from the minute map. Anything else (and a minute path returning None)
goes to the general path (:mod:`.windows`).

Every ``(bars, assets)`` array is C-contiguous, as the general path's and zipline's are
(``pd.DataFrame(array)`` wraps a row-major array): numpy sums a column-major column in another
order (pairwise), so a strategy's mean could differ in the last bits between two bars whose
windows took different paths. A gather is ``(assets, bars)``; transposing it back costs one
copy (~1 µs for 10 × 50). ``tests/data/portal/test_portal_layout.py`` pins this.

These take the user's raw arguments and build no :class:`~.request.HistoryRequest`: at ~1.3 µs
per call for one asset, building a request (≥ 1 µs) would double the cost. ``end_dt`` is still
converted once (by ``CalendarIndex.session_index``/``minute_index``, which pass ints through,
and raise there for an ``end_dt`` before the data or NaT: no window ever rolls forward onto the
first session). Assets are read the cheap way first (``int`` or ``.sid``); anything else
(``np.int64`` sids, or a float/bool/str that :func:`~.request.sid_of` refuses) falls back on
``sid_of`` only when the cheap way raised.
Hot code reads attributes copied onto this object at construction (one lookup, not a chain
through the stores) and inlines small helpers where a call costs ~0.1 µs (measured).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rustybt.assets import SidsNotFound
from rustybt.data.portal.history import HistoryEngine
from rustybt.data.portal.request import rows_of, sid_of
from rustybt.data.portal.stores import PortalStores
from rustybt.data.portal.windows import starts_before_data

__all__ = ["FastHistory"]

#: Row lists whose :class:`_Group` is kept (beyond: the table is cleared and rebuilt as used).
_MAX_GROUPS = 256
#: After this many '1m' price windows of one group in a row need the general path, the next
#: _MINUTE_SKIP go there without trying (see ``_Group``).
_MINUTE_MISSES = 4
_MINUTE_SKIP = 64


class _Group:
    """What :meth:`FastHistory.many` checks per window, precomputed for one list of rows.

    A strategy asks the same assets every bar. Per window the plain path tested
    ``isnan(block).any()``, the lowest end index and every row's adjustment count (~8 µs for
    10 assets and 50 bars, ~100 µs for 500 assets, measured); here each test is two lookups in
    a prefix count over the sessions, built once from the whole rows:

    - ``dirty``: prefix count of the sessions where some row's close is NaN (no trade, before
      listing) or that come after the earliest end: a 'price' window ``[s, e]`` needs the
      general path iff ``dirty[e + 1] != dirty[s]``;
    - ``counts[volume]``: the rows' adjustment counts summed; the counts only grow along the
      sessions, so the sum is equal at ``s`` and ``e`` iff no row has an adjustment between.
    """

    __slots__ = ("counts", "dirty", "minute_misses", "minute_skip")

    def __init__(self) -> None:
        self.dirty: np.ndarray | None = None
        self.counts: dict[bool, np.ndarray] = {}
        #: '1m' price windows of these rows that needed the general path in a row, and how
        #: many more go there without trying: on minute data with gaps the gather and NaN test
        #: are wasted work (~15-40 µs a call, measured), and a prefix count over every minute
        #: would cost 8 bytes a minute per group; a retry every _MINUTE_SKIP calls finds
        #: gap-free stretches again.
        self.minute_misses = 0
        self.minute_skip = 0


class FastHistory:
    """The fast history paths over the daily and minute maps.

    Args:
        stores: The portal's stores.
        engine: The array engine (the general computation a fast path falls back on).
    """

    def __init__(self, stores: PortalStores, engine: HistoryEngine) -> None:
        self._stores = stores
        self._cal = stores.cal
        self._row = stores.daily.row_of
        self._engine = engine
        self._d = engine.d
        self._end_list: list[int] = engine.end_index.tolist()
        self._row_views: dict[str, list[np.ndarray]] = {}
        self._groups: dict[tuple[int, ...], _Group] = {}
        self._once: dict[tuple[int, ...], bool] = {}  # row lists asked once so far

    def one(self, asset: Any, field: str, bar_count: int, end_dt: Any) -> np.ndarray:
        """One asset, one field, daily: a view of the map when nothing needs changing."""
        cal = self._cal
        e = cal.n_sessions - 1 if end_dt is None else cal.session_index(end_dt)
        s = e - bar_count + 1
        if s < 0:
            starts_before_data(cal, bar_count)
        if type(asset) is int:
            sid = asset
        else:
            try:
                sid = int(asset.sid)
            except AttributeError:  # np.integer sids (free when not raised), or InvalidAsset
                sid = sid_of(asset)
        r = self._row.get(sid)
        if r is None:
            raise SidsNotFound([sid])
        d = self._d
        volume = field == "volume"
        w = d["close" if field == "price" else field][r, s : e + 1]
        count = d["volume_adj_count" if volume else "price_adj_count"][r]
        adjust = count[s] != count[e]
        if field == "price" and (self._end_list[r] < e or np.isnan(w).any()):
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
            views = self._row_views[name] = list(self._d[name])
        return views

    def many(
        self, assets: list[Any], field: str, bar_count: int, end_dt: Any, as_array: bool
    ) -> Any:
        """A list of assets, one field, daily: one fancy-indexed block.

        Returns the ``(bar_count, n_assets)`` array, or a dates × assets DataFrame when
        ``as_array`` is False.
        """
        # session_window inlined: the extra call costs ~0.1 µs on this hot path (measured).
        cal = self._cal
        e = cal.n_sessions - 1 if end_dt is None else cal.session_index(end_dt)
        s = e - bar_count + 1
        if s < 0:
            starts_before_data(cal, bar_count)
        row_of = self._row
        try:
            rows = [row_of[a if type(a) is int else a.sid] for a in assets]
        except (KeyError, AttributeError):  # np.integer sids; sid_of refuses floats and bools
            rows = list(rows_of(row_of, [sid_of(a) for a in assets]))
        d = self._d
        block = d["close" if field == "price" else field][rows, s : e + 1]
        group = self._group(rows)
        volume = field == "volume"
        if field == "price" and rows and (
            self._dirty(group, rows, s, e) if group is not None
            else np.isnan(block).any() or min(self._end_list[r] for r in rows) < e
        ):  # needs seeding, forward fill or NaNs after a delisting
            out = self._engine.daily_history(rows, field, s, e)
        else:
            if self._adjusts(group, rows, volume, s, e):
                # F[t] / F[e] is exactly 1.0 for rows without adjustments in the window
                fac = d["volume_factor" if volume else "price_factor"][rows, s : e + 1]
                block *= fac / fac[:, -1:]
            out = np.ascontiguousarray(block.T)
        if as_array:
            return out
        maker = self._stores.frames()
        return maker.frame(out, maker.index("1d", s, e + 1), assets)

    def _group(self, rows: list[int]) -> _Group | None:
        """The precomputed tests of ``rows`` from their second request on (None before: a
        list asked once, as a strategy that changes its assets every bar does, costs a
        window's tests, not a whole-history pass)."""
        key = tuple(rows)
        group = self._groups.get(key)
        if group is None:
            if self._once.pop(key, None) is None:
                if len(self._once) >= _MAX_GROUPS:
                    self._once.clear()
                self._once[key] = True
                return None
            if len(self._groups) >= _MAX_GROUPS:
                self._groups.clear()
            group = self._groups[key] = _Group()
        return group

    def _dirty(self, group: _Group, rows: list[int], s: int, e: int) -> bool:
        """Whether the 'price' window ``[s, e]`` of ``rows`` needs the general path."""
        dirty = group.dirty
        if dirty is None:
            bad = np.isnan(self._d["close"][rows]).any(axis=0)
            bad[min(self._end_list[r] for r in rows) + 1 :] = True
            dirty = group.dirty = np.concatenate(([0], np.cumsum(bad, dtype=np.int64)))
        return bool(dirty[e + 1] != dirty[s])

    def _adjusts(self, group: _Group | None, rows: list[int], volume: bool, s: int,
                 e: int) -> bool:
        """Whether some row has an adjustment inside ``[s, e]``."""
        if group is not None:
            total = group.counts.get(volume)
            if total is None:
                name = "volume_adj_count" if volume else "price_adj_count"
                total = group.counts[volume] = self._d[name][rows].sum(axis=0)
            return bool(total[s] != total[e])
        counts = self._row_views.get("volume_adj_count" if volume else "price_adj_count")
        if counts is None:
            counts = self._count_rows(volume)
        return any(counts[r][s] != counts[r][e] for r in rows)

    def many_minute(self, assets: list[Any], field: str, bar_count: int, end_dt: Any) -> Any:
        """A list of assets, one field, '1m', as an array: one gather from the minute map
        (adjusted by one multiply) when :meth:`one_minute` would serve each asset, else None
        (the general path then raises, pads or fills). ~100 µs → ~10 µs for 5 assets."""
        store = self._stores.require_minutes()
        cal = self._cal
        assert cal.minutes is not None and cal.minute_session is not None
        b = len(cal.minutes) - 1 if end_dt is None else cal.minute_index(end_dt)
        a = b - bar_count + 1
        if a < 0 or not assets:
            return None
        try:
            sids = [x if type(x) is int else int(x.sid) for x in assets]
        except AttributeError:  # np.integer sids, or InvalidAsset: the general path says
            return None
        rows: list[int] = []
        mrows: list[int] = []
        for sid in sids:
            r, mr = self._row.get(sid), store.row_of.get(sid)
            if r is None or mr is None:
                return None
            rows.append(r)
            mrows.append(mr)
        group = self._group(rows) if field == "price" else None
        if group is not None and group.minute_skip:
            group.minute_skip -= 1
            return None
        ms, me = int(cal.minute_session[a]), int(cal.minute_session[b])
        block = store.matrix("close" if field == "price" else field)[mrows, a : b + 1]
        if field == "price":
            if min(self._end_list[r] for r in rows) < me or np.isnan(block).any():
                if group is not None:
                    group.minute_misses += 1
                    if group.minute_misses >= _MINUTE_MISSES:
                        group.minute_misses, group.minute_skip = 0, _MINUTE_SKIP
                return None
            if group is not None:
                group.minute_misses = 0
        volume = field == "volume"
        counts = self._count_rows(volume)
        if any(counts[r][ms] != counts[r][me] for r in rows):
            fac = self._d["volume_factor" if volume else "price_factor"][rows][
                :, cal.minute_session[a : b + 1]]
            block *= fac / fac[:, -1:]  # F[t] / F[session of b]: 1.0 for unadjusted rows
        return np.ascontiguousarray(block.T)

    def one_minute(self, asset: Any, field: str, bar_count: int, end_dt: Any) -> Any:
        """One asset, one field, '1m': a view of the minute map when possible, else None
        (the general path then raises, pads or fills)."""
        store = self._stores.require_minutes()
        cal = self._cal
        assert cal.minutes is not None and cal.minute_session is not None
        b = len(cal.minutes) - 1 if end_dt is None else cal.minute_index(end_dt)
        a = b - bar_count + 1
        if type(asset) is int:
            sid = asset
        else:
            try:
                sid = int(asset.sid)
            except AttributeError:  # np.integer sids, or InvalidAsset
                sid = sid_of(asset)
        r = self._row.get(sid)
        mr = store.row_of.get(sid)
        if a < 0 or r is None or mr is None:
            return None
        w = store.matrix("close" if field == "price" else field)[mr, a : b + 1]
        ms, me = int(cal.minute_session[a]), int(cal.minute_session[b])
        if field == "price" and (self._end_list[r] < me or np.isnan(w).any()):
            return None
        volume = field == "volume"
        counts = self._count_rows(volume)[r]
        if counts[ms] == counts[me]:
            return w
        fac = self._d["volume_factor" if volume else "price_factor"][r]
        return w * (fac[cal.minute_session[a : b + 1]] / fac[me])
