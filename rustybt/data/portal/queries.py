"""zipline's DataPortal queries besides history: spot values, adjustments, splits, dividends.

:class:`Queries` is a part the portal composes; each method implements the portal method of the
same name (the portal keeps the daily-close spot lookup inline, the hottest call of a backtest,
and hands everything else here with the asset already resolved to its daily row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rustybt.assets import SidsNotFound
from rustybt.data.portal.request import DATA_FREQ, SPOT_FIELDS, is_single_asset, sid_of
from rustybt.data.portal.spot import SpotReader
from rustybt.data.portal.stores import PortalStores
from rustybt.data.store.adjustments import ratio_between
from rustybt.data.store.calendar_index import to_ns
from rustybt.errors import InvalidField, InvalidFrequency

__all__ = ["Queries"]


class Queries:
    """Spot values and adjustment queries over the stores.

    Args:
        stores: The portal's stores.
        spot: The spot reader.
    """

    def __init__(self, stores: PortalStores, spot: SpotReader) -> None:
        self._stores = stores
        self._row = stores.daily.row_of
        self._spot = spot

    def _drow(self, sid: int) -> int:
        row = self._row.get(sid)
        if row is None:
            raise SidsNotFound([sid])
        return row

    def spot(self, r: int, sid: int, field: str, dt: Any, data_frequency: str) -> Any:
        """Spot value of daily row ``r`` (sid ``sid``) for any field and frequency."""
        if field not in SPOT_FIELDS:
            raise InvalidField(f"Invalid column: {field}")
        freq = DATA_FREQ.get(data_frequency)
        if freq == "daily":
            return self._spot.daily(r, field, dt)
        if freq == "minute":
            self._stores.require_minutes()
            return self._spot.minute(r, sid, field, dt)
        raise InvalidFrequency(f"Invalid data_frequency: {data_frequency}")

    def get_last_traded_dt(self, asset: Any, dt: Any, data_frequency: str) -> Any:
        """Last session (daily) or minute (minute) at or before ``dt`` with volume, or NaT."""
        sid = sid_of(asset)
        r = self._drow(sid)
        if DATA_FREQ.get(data_frequency) == "minute":
            self._stores.require_minutes()
            return self._spot.minute_last_traded(r, sid, dt)
        return self._spot.daily_last_traded(r, dt)

    def get_adjustments(
        self, assets: Any, field: str, dt: Any, perspective_dt: Any
    ) -> list[float]:
        """Per asset, the product of ratios effective in (dt, perspective_dt] (zipline)."""
        if is_single_asset(assets):
            assets = [assets]
        events = self._stores.events().by_sid
        after, upto = to_ns(dt), to_ns(perspective_dt)
        return [
            ratio_between(events.get(sid_of(a)), after, upto, field == "volume")
            for a in assets
        ]

    def get_splits(self, assets: Iterable[Any], dt: Any) -> list[tuple[Any, float]]:
        """[(asset, ratio)] for splits effective exactly on session ``dt``."""
        if not assets:
            return []
        todays = self._stores.events().splits_on.get(to_ns(dt))
        if not todays:
            return []
        wanted = {sid_of(a): a for a in assets}
        finder = self._stores.bundle.asset_finder
        return [
            (wanted[sid] if hasattr(wanted[sid], "sid") else finder.retrieve_asset(sid), ratio)
            for sid, ratio in todays
            if sid in wanted
        ]

    def get_stock_dividends(self, sid: Any, trading_days: Any) -> list[dict[str, Any]]:
        """Stock dividends of ``sid`` with start < ex_date and pay_date < end (zipline)."""
        return self._spot.stock_dividends(sid_of(sid), trading_days)
