"""``DataPortalLike``: the contract the engine reads market data through.

These are the members of zipline's ``DataPortal`` that zipline's own engine calls during a
backtest (counted over a 1,209-session daily run: ``trading_calendar``, ``get_spot_value``,
``get_scalar_asset_spot_value``, ``get_history_window``, ``get_splits``, ``adjustment_reader``,
``asset_finder``, ``get_stock_dividends``), plus the other per-asset queries ``BarData`` uses
(``get_last_traded_dt``, ``get_adjustments``, ``get_adjusted_value``, ``contains``).
:class:`rustybt.ArrowDataPortal` and the zipline shim :class:`rustybt.data.DataPortal` satisfy
it (checked by tests, statically with mypy and with ``isinstance``), so an engine written
against it runs on either.

Conventions shared by every member: ``dt`` is a naive session label or a tz-aware UTC minute
(zipline passes both); ``data_frequency`` is ``'daily'`` or ``'minute'``; assets are asset
objects (anything with ``.sid``) or int sids.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

__all__ = ["AdjustmentReaderLike", "DataPortalLike"]


@runtime_checkable
class AdjustmentReaderLike(Protocol):
    """What zipline's ledger asks an adjustment reader: the dividends going ex on a date."""

    def get_dividends_with_ex_date(
        self, assets: Iterable[Any], date: Any, asset_finder: Any
    ) -> list[Any]:
        """Cash dividends of ``assets`` (sids) going ex on session ``date``: records with
        ``asset``, ``amount``, ``pay_date``."""

    def get_stock_dividends_with_ex_date(
        self, assets: Iterable[Any], date: Any, asset_finder: Any
    ) -> list[Any]:
        """Stock dividends going ex on ``date``: records with ``asset``, ``payment_asset``,
        ``ratio``, ``pay_date``."""


@runtime_checkable
class DataPortalLike(Protocol):
    """zipline's ``DataPortal`` as its engine uses it."""

    @property
    def trading_calendar(self) -> Any:
        """The exchange calendar of the data (exchange-calendars)."""

    @property
    def asset_finder(self) -> Any:
        """Asset lookups (``retrieve_asset``, ``lookup_symbol``, ...)."""

    @property
    def adjustment_reader(self) -> Any:
        """An :class:`AdjustmentReaderLike` for dividends, or None when there is none."""

    def get_spot_value(self, assets: Any, field: str, dt: Any, data_frequency: str) -> Any:
        """``field`` at ``dt``: a scalar for one asset, a list for an iterable of assets."""

    def get_scalar_asset_spot_value(
        self, asset: Any, field: str, dt: Any, data_frequency: str
    ) -> Any:
        """``field`` of one asset at ``dt`` (float; int volume; Timestamp/NaT last_traded)."""

    def get_history_window(
        self,
        assets: Any,
        end_dt: Any,
        bar_count: int,
        frequency: str,
        field: str,
        data_frequency: str,
        ffill: bool = True,
    ) -> Any:
        """A dates × assets DataFrame of ``bar_count`` bars of ``field`` ending at
        ``end_dt`` ('1d': naive sessions, '1m': UTC minutes), adjusted as seen from the end."""

    def get_splits(self, assets: Any, dt: Any) -> Any:
        """``[(asset, ratio), ...]`` for splits effective exactly on session ``dt``."""

    def get_stock_dividends(self, sid: Any, trading_days: Any) -> Any:
        """Stock dividends of ``sid`` going ex within ``trading_days`` (list of dicts)."""

    def get_last_traded_dt(self, asset: Any, dt: Any, data_frequency: str) -> Any:
        """The last session/minute at or before ``dt`` with a trade, or NaT."""

    def get_adjustments(self, assets: Any, field: str, dt: Any, perspective_dt: Any) -> Any:
        """Per asset, the product of the ratios effective in ``(dt, perspective_dt]``."""

    def get_adjusted_value(
        self,
        asset: Any,
        field: str,
        dt: Any,
        perspective_dt: Any,
        data_frequency: str,
        spot_value: Any = None,
    ) -> Any:
        """The spot value at ``dt`` adjusted as seen from ``perspective_dt``."""

    def contains(self, asset: Any, field: str) -> bool:
        """Whether ``field`` is a known field for ``asset``."""
