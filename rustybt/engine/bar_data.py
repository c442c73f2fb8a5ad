"""``BarData``: the ``data`` argument of ``handle_data`` (zipline's shapes and rules).

It reads market data only through :class:`rustybt.data.portal.protocol.DataPortalLike`
(``get_spot_value``, ``get_history_window``, ...), so any zipline-shaped portal works; when the
portal also has :meth:`rustybt.ArrowDataPortal.history`, ``data.history`` goes straight to it,
so ``return_type='array'`` is the portal's zero-copy view; when it has
:meth:`rustybt.ArrowDataPortal.hot_daily_spots`, daily close/price/volume are read through it
with the session resolved once per bar (values identical: the portal's own lookup is the same
function; anything it cannot answer goes through ``get_scalar_asset_spot_value``).

Which bar "now" is: in daily mode, during the bar, the current session's bar (the bar closes at
the session close, when ``handle_data`` runs); in minute mode, the current minute. In
``before_trading_start`` nothing of today has traded yet, so ``now`` is the previous session
(daily) or the previous market minute (minute), with today's adjustments applied (as
zipline's minute mode does): on a split day ``before_trading_start`` sees yesterday's close
already split.
zipline's daily mode reads *today's* close in ``before_trading_start`` (a look-ahead: its
``minute_to_session`` rolls 8:45 forward to today); rustybt does not.

Shapes (zipline's): ``current`` gives a scalar for one asset and one field, a Series for a list
of assets or of fields, a DataFrame (assets × fields) for both; ``history`` gives a Series, a
DataFrame (dates × assets, or dates × fields) or a (date, asset) × fields DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from rustybt.data.portal.protocol import DataPortalLike
from rustybt.data.portal.spot import GENERAL

__all__ = ["BarData"]


_MISSING = object()
_HOT_FIELDS = frozenset(("close", "price", "volume"))


def _is_asset(value: Any) -> bool:
    return hasattr(value, "sid")


class BarData:
    """The view of the market an algorithm gets at one simulation time."""

    def __init__(self, portal: DataPortalLike, data_frequency: str) -> None:
        self._portal = portal
        self._history = getattr(portal, "history", None)
        self.data_frequency = data_frequency
        self._daily = data_frequency == "daily"
        self._dt: pd.Timestamp = pd.NaT
        self._session: pd.Timestamp = pd.NaT
        self._now: Any = pd.NaT  # the dt handed to the portal
        self._adjust_to: pd.Timestamp | None = None  # minute BTS: perspective for adjustments
        #: Spot values already read at this simulation time, field → sid → value. A backtest
        #: asks the same few values many times per bar (order sizing, slippage, valuation): a
        #: dict hit is ~0.1 µs against ~1.5 µs through the portal. Keyed by the int sid (an
        #: asset's own ``__hash__`` is Python code; values depend on the sid alone).
        self._seen: dict[str, dict[int, Any]] = {}
        #: ArrowDataPortal's per-bar lookup (``HotDailySpots``), daily mode only: ``set_bar``
        #: resolves the session once, then close/price/volume cost ~0.4 µs instead of ~2 µs
        #: through ``get_scalar_asset_spot_value`` (measured). None: every value goes through
        #: the portal (other portals, minute mode, before trading start).
        source = getattr(portal, "hot_daily_spots", None) if self._daily else None
        self._spots = source() if source is not None else None
        self._hot_rows = self._spots.row_of if self._spots is not None else {}
        self._hot: Any = None  # the lookup while the view is on a daily bar
        self._hot_ns = self._hot_e = 0

    # -- the simulation moves the view ----------------------------------------------------
    def set_bar(self, dt: pd.Timestamp, session: pd.Timestamp) -> None:
        """Point the view at a bar: ``dt`` the UTC minute, ``session`` its naive label."""
        self._dt = dt
        self._session = session
        self._now = session if self._daily else dt
        self._adjust_to = None
        self._seen = {}
        spots = self._spots
        if spots is not None:
            self._hot_ns, self._hot_e = spots.session(session)
            self._hot = spots.value

    def set_before_trading_start(
        self, dt: pd.Timestamp, session: pd.Timestamp, previous: pd.Timestamp | None
    ) -> None:
        """Point the view before ``session`` opens (``previous``: the last bar before it)."""
        self._dt = dt
        self._session = session
        self._now = previous
        # values from before today are seen with today's adjustments (a split effective today
        # already applies), daily as in minute mode
        self._adjust_to = session if self._daily else dt
        self._seen = {}
        self._hot = None

    # -- zipline's properties -------------------------------------------------------------
    @property
    def current_dt(self) -> pd.Timestamp:
        """The simulation time (a UTC minute)."""
        return self._dt

    @property
    def current_session(self) -> pd.Timestamp:
        """The session being simulated (naive label)."""
        return self._session

    @property
    def current_session_minutes(self) -> pd.DatetimeIndex:
        """The market minutes of the current session."""
        return self._portal.trading_calendar.session_minutes(self._session)

    # -- values -------------------------------------------------------------------------
    def _spot(self, asset: Any, field: str) -> Any:
        hot = self._hot
        if hot is not None and field in _HOT_FIELDS:
            r = self._hot_rows.get(asset.sid)
            if r is not None:
                value = hot(r, self._hot_e, self._hot_ns, field)
                if value is not GENERAL:
                    return value
        seen = self._seen.get(field)
        if seen is None:
            seen = self._seen[field] = {}
        sid = asset.sid
        value = seen.get(sid, _MISSING)
        if value is _MISSING:
            value = seen[sid] = self._read(asset, field)
        return value

    def price_of(self, asset: Any) -> Any:
        """``current(asset, 'price')`` (the engine values positions with it)."""
        return self._spot(asset, "price")

    def _read(self, asset: Any, field: str) -> Any:
        if self._now is None or self._now is pd.NaT:  # before the first bar of the data
            return pd.NaT if field == "last_traded" else (0 if field == "volume" else np.nan)
        portal = self._portal
        if self._adjust_to is not None and field not in ("volume", "last_traded"):
            return portal.get_adjusted_value(asset, field, self._now, self._adjust_to,
                                             self.data_frequency)
        return portal.get_scalar_asset_spot_value(asset, field, self._now, self.data_frequency)

    def current(self, assets: Any, fields: Any) -> Any:
        """Spot values of ``fields`` for ``assets`` now (zipline's ``data.current``)."""
        if type(fields) is str and hasattr(assets, "sid"):  # the hot case, first
            return self._spot(assets, fields)
        one_field = isinstance(fields, str)
        if _is_asset(assets):
            if one_field:
                return self._spot(assets, fields)
            return pd.Series({f: self._spot(assets, f) for f in fields}, name=assets)
        assets = list(assets)
        if one_field:
            return pd.Series([self._spot(a, fields) for a in assets], index=assets, name=fields,
                             dtype=object if fields == "last_traded" else None)
        return pd.DataFrame({f: [self._spot(a, f) for a in assets] for f in fields},
                            index=assets)

    def history(
        self,
        assets: Any,
        fields: Any,
        bar_count: int,
        frequency: str,
        return_type: str = "dataframe",
    ) -> Any:
        """``bar_count`` bars of ``fields`` ending now (zipline's ``data.history``).

        ``return_type='array'`` (ArrowDataPortal) returns the portal's read-only view:
        ``(bar_count,)`` for one asset and field, ``(bar_count, n_assets)`` for a list of assets.
        """
        end = self._now
        if self._history is not None and self._adjust_to is None:
            if not _is_asset(assets) and not isinstance(assets, list):
                assets = list(assets)
            return self._history(assets, fields, bar_count, frequency, end_dt=end,
                                 data_frequency=self.data_frequency, return_type=return_type)
        frame = self._history_frame(assets, fields, bar_count, frequency, end)
        if return_type == "dataframe":
            return frame
        if return_type == "array":
            return frame.to_numpy()
        raise ValueError(f"return_type {return_type!r} needs an ArrowDataPortal; this portal "
                         "gives 'dataframe' or 'array'")

    def _history_frame(self, assets: Any, fields: Any, bar_count: int, frequency: str,
                       end: Any) -> Any:
        single_asset = _is_asset(assets)
        asset_list = [assets] if single_asset else list(assets)
        field_list = [fields] if isinstance(fields, str) else list(fields)
        frames = {}
        for field in field_list:
            df = self._portal.get_history_window(asset_list, end, bar_count, frequency, field,
                                                 self.data_frequency)
            if self._adjust_to is not None and field not in ("volume",):
                df = df * self._portal.get_adjustments(asset_list, field, end, self._adjust_to)
            frames[field] = df
        if isinstance(fields, str):
            df = frames[fields]
            return df[assets] if single_asset else df
        if single_asset:
            return pd.DataFrame({f: frames[f][assets] for f in field_list})
        label = "date" if frequency == "1d" else "date_time"
        stacked = pd.concat({f: frames[f].stack(future_stack=True) for f in field_list}, axis=1)
        stacked.index = stacked.index.set_names([label, "asset"])
        return stacked.sort_index()

    # -- tradability ----------------------------------------------------------------------
    def _can_trade(self, asset: Any) -> bool:
        session = self._session
        start, end = getattr(asset, "start_date", None), getattr(asset, "end_date", None)
        if (start is not None and session < start) or (end is not None and session > end):
            return False
        acd = getattr(asset, "auto_close_date", None)
        if acd is not None and session > acd:
            return False
        price = self._spot(asset, "price")
        return bool(price == price)

    def can_trade(self, assets: Any) -> Any:
        """Whether each asset is listed today, not past auto-close, and has a last price."""
        if _is_asset(assets):
            return self._can_trade(assets)
        assets = list(assets)
        return pd.Series([self._can_trade(a) for a in assets], index=assets, dtype=bool)

    def _is_stale(self, asset: Any) -> bool:
        session = self._session
        start, end = getattr(asset, "start_date", None), getattr(asset, "end_date", None)
        if (start is not None and session < start) or (end is not None and session > end):
            return False
        if self._spot(asset, "volume") > 0:
            return False
        return self._spot(asset, "last_traded") is not pd.NaT

    def is_stale(self, assets: Any) -> Any:
        """Whether each listed asset did not trade now but has traded before."""
        if _is_asset(assets):
            return self._is_stale(assets)
        assets = list(assets)
        return pd.Series([self._is_stale(a) for a in assets], index=assets, dtype=bool)

    def __repr__(self) -> str:
        return f"BarData({self._dt})"


def as_asset_list(assets: Any) -> list[Any]:
    """``assets`` as a list (one asset becomes a list of one)."""
    if _is_asset(assets):
        return [assets]
    if isinstance(assets, Iterable):
        return list(assets)
    return [assets]
