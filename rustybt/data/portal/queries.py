"""zipline's DataPortal query methods of ``ArrowDataPortal``: spots, adjustments, splits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rustybt.assets import SidsNotFound
from rustybt.data.portal.history import HistoryEngine
from rustybt.data.portal.spot import SpotReader
from rustybt.data.store.adjustments import AdjustmentEvents, ratio_between
from rustybt.data.store.calendar_index import CalendarIndex, to_ns
from rustybt.data.store.mapped import MappedStore
from rustybt.errors import InvalidField, InvalidFrequency

__all__ = ["HISTORY_FIELDS", "SPOT_FIELDS", "ZiplineQueriesMixin"]

HISTORY_FIELDS = frozenset({"open", "high", "low", "close", "volume", "price"})
SPOT_FIELDS = HISTORY_FIELDS | {"last_traded"}
DATA_FREQ = {"daily": "daily", "minute": "minute", "1d": "daily", "1m": "minute"}


class ZiplineQueriesMixin:
    """Spot values and adjustment queries; mixed into :class:`ArrowDataPortal`."""

    _cal: CalendarIndex
    _engine: HistoryEngine
    _row: dict[int, int]
    _close: np.ndarray
    _spot: SpotReader
    zipline_exact: bool
    _load_events: Callable[[], AdjustmentEvents]
    asset_finder: Any

    def _sid(self, asset: Any) -> int:  # pragma: no cover - provided by FastHistoryMixin
        raise NotImplementedError

    def _drow(self, sid: int) -> int:  # pragma: no cover - provided by FastHistoryMixin
        raise NotImplementedError

    def _require_minutes(self) -> MappedStore:  # pragma: no cover - provided by the portal
        raise NotImplementedError

    def get_spot_value(self, assets: Any, field: str, dt: Any, data_frequency: str) -> Any:
        """Value of ``field`` at ``dt``: a scalar for one asset, a list for an iterable."""
        if type(assets) is int or hasattr(assets, "sid"):
            return self.get_scalar_asset_spot_value(assets, field, dt, data_frequency)
        return [self.get_scalar_asset_spot_value(a, field, dt, data_frequency) for a in assets]

    def get_scalar_asset_spot_value(
        self, asset: Any, field: str, dt: Any, data_frequency: str
    ) -> Any:
        """Spot value for one asset (float; int for volume; Timestamp/NaT for last_traded)."""
        sid = asset if type(asset) is int else int(asset.sid)
        r = self._row.get(sid)
        if r is None:
            raise SidsNotFound([sid])
        if data_frequency == "daily" and field == "close":  # the hot path of a backtest
            ns = to_ns(dt)
            e = self._cal.spot_session(ns)
            spot = self._spot
            if spot.start_ns[r] <= ns and e <= spot.end_pos[r]:
                if self.zipline_exact:
                    return self._engine._price(self._close[r, e])
                return float(self._close[r, e])
            return np.nan
        if field not in SPOT_FIELDS:
            raise InvalidField(f"Invalid column: {field}")
        freq = DATA_FREQ.get(data_frequency)
        if freq == "daily":
            return self._spot.daily(r, field, dt)
        if freq == "minute":
            self._require_minutes()
            return self._spot.minute(r, sid, field, dt)
        raise InvalidFrequency(f"Invalid data_frequency: {data_frequency}")

    def get_last_traded_dt(self, asset: Any, dt: Any, data_frequency: str) -> Any:
        """Last session (daily) or minute (minute) at or before ``dt`` with volume, or NaT."""
        sid = self._sid(asset)
        r = self._drow(sid)
        if DATA_FREQ.get(data_frequency) == "minute":
            self._require_minutes()
            return self._spot.minute_last_traded(sid, dt)
        return self._spot.daily_last_traded(r, dt)

    def get_adjustments(
        self, assets: Any, field: str, dt: Any, perspective_dt: Any
    ) -> list[float]:
        """Per asset, the product of ratios effective in (dt, perspective_dt] (zipline)."""
        if type(assets) is int or hasattr(assets, "sid"):
            assets = [assets]
        events = self._load_events().by_sid
        after, upto = to_ns(dt), to_ns(perspective_dt)
        return [
            ratio_between(events.get(self._sid(a)), after, upto, field == "volume")
            for a in assets
        ]

    def get_adjusted_value(
        self,
        asset: Any,
        field: str,
        dt: Any,
        perspective_dt: Any,
        data_frequency: str,
        spot_value: float | None = None,
    ) -> Any:
        """Spot value at ``dt`` adjusted for ratios effective in (dt, perspective_dt]."""
        if spot_value is None:
            spot_value = self.get_spot_value(asset, field, dt, data_frequency)
        ratio = self.get_adjustments(asset, field, dt, perspective_dt)[0]
        return spot_value * ratio

    def get_splits(self, assets: Any, dt: Any) -> list[tuple[Any, float]]:
        """[(asset, ratio)] for splits effective exactly on session ``dt``."""
        if not assets:
            return []
        ns = to_ns(dt)
        todays = self._load_events().splits_on.get(ns)
        if not todays:
            return []
        wanted = {self._sid(a): a for a in assets}
        finder = self.asset_finder
        return [
            (wanted[sid] if hasattr(wanted[sid], "sid") else finder.retrieve_asset(sid), ratio)
            for sid, ratio in todays
            if sid in wanted
        ]

    def get_stock_dividends(self, sid: Any, trading_days: Any) -> list[dict[str, Any]]:
        """Stock dividends of ``sid`` with start < ex_date and pay_date < end (zipline)."""
        return self._spot.stock_dividends(self._sid(sid), trading_days)

    def contains(self, asset: Any, field: str) -> bool:
        """True for the bar fields (open, high, low, close, volume, price, last_traded)."""
        return field in SPOT_FIELDS

