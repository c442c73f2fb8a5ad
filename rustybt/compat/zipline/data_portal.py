"""DataPortal: zipline's ``DataPortal`` signature over rustybt's :class:`ArrowDataPortal`.

Change ``from zipline.data.data_portal import DataPortal`` to
``from rustybt.data import DataPortal`` and keep the rest: the constructor, the methods, their
return types, shapes, index types, column objects and exceptions are zipline's, with zipline's
rounding (the portal runs with ``zipline_exact=True``). zipline-reloaded's ``TradingAlgorithm``
accepts it as its ``data_portal``.

This class is a thin adapter: every method forwards to one ArrowDataPortal call and only maps
exceptions to zipline's classes (when zipline is importable). Readers:

- rustybt's ``ArrowDailyBarReader`` / ``ArrowMinuteBarReader``: their bundle is used directly,
  including its adjustments (``adjustment_reader`` may be left out; the exposed
  ``adjustment_reader`` is then a :class:`BundleAdjustmentReader` over the bundle);
- any zipline ``BarReader`` (bcolz, HDF5, in-memory ...) with zipline's
  ``SQLiteAdjustmentReader``: converted once into a rustybt bundle + mapped store under
  ``<rustybt root>/shim/``, keyed by a content hash of the readers' data, so a second
  construction over the same data is fast.

``minute_history_prefetch_length`` and ``daily_history_prefetch_length`` are accepted for
compatibility and unused: windows are views of a memory-mapped store, nothing is prefetched.

``get_history_window(..., return_type='array')`` is the one addition: the same window as a
``(bar_count, n_assets)`` float64 NumPy array.

Futures and fetcher: rustybt bundles hold equities. Future readers, a zipline ``Future`` or
``ContinuousFuture`` passed to any method, and ``get_current_future_chain`` raise
:class:`~rustybt.errors.FuturesNotSupported` (a ``NotImplementedError``) naming futures, never
another asset's data under the same sid. ``handle_extra_source`` raises ``NotImplementedError``
(``fetch_csv`` is not supported); ``get_fetcher_assets`` returns ``[]`` like zipline without a
fetcher source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rustybt.compat.zipline.conversion import resolve_source
from rustybt.compat.zipline.errors import translate_errors
from rustybt.errors import FuturesNotSupported

__all__ = ["BASE_FIELDS", "DataPortal"]

#: The fields zipline's ``DataPortal.contains`` knows without a fetcher source.
BASE_FIELDS = frozenset(
    ["open", "high", "low", "close", "volume", "price", "contract", "sid", "last_traded"]
)

try:
    from zipline.assets import ContinuousFuture as _ZContinuousFuture
    from zipline.assets import Future as _ZFuture

    _FUTURES: tuple[type, ...] = (_ZFuture, _ZContinuousFuture)
except ImportError:  # pragma: no cover - zipline is part of the dev extra
    _FUTURES = ()


def _equities(assets: Any, method: str) -> Any:
    """``assets`` (an iterator made a list), after refusing zipline futures among them."""
    if not _FUTURES:
        return assets
    if isinstance(assets, _FUTURES):
        raise FuturesNotSupported(_futures_message(assets, method))
    if isinstance(assets, (int, str)) or not hasattr(assets, "__iter__"):
        return assets
    if iter(assets) is assets:  # a generator: read it once, pass the list on
        assets = list(assets)
    for asset in assets:
        if isinstance(asset, _FUTURES):
            raise FuturesNotSupported(_futures_message(asset, method))
    return assets


def _futures_message(asset: Any, method: str) -> str:
    return (
        f"futures: DataPortal.{method} got {asset!r}, a zipline future; rustybt bundles "
        "hold equities (futures are not supported)"
    )


class DataPortal:
    """zipline's DataPortal interface, served by ``ArrowDataPortal(zipline_exact=True)``.

    Args:
        asset_finder: zipline's ``AssetFinder`` (or rustybt's); exposed as ``asset_finder``.
        trading_calendar: The trading calendar; exposed as ``trading_calendar``.
        first_trading_day: Accepted; history windows may not start before the data's first
            session (zipline's rule when ``first_trading_day`` is that session, as zipline's
            ``run_algorithm`` passes it).
        equity_daily_reader: A daily bar reader (rustybt's or any zipline ``BarReader``).
        equity_minute_reader: A minute bar reader.
        future_daily_reader: Accepted; futures are not supported (must be None).
        future_minute_reader: Accepted; futures are not supported (must be None).
        adjustment_reader: zipline's ``SQLiteAdjustmentReader`` (or None).
        last_available_session: Accepted for compatibility (the data's own end is used).
        last_available_minute: Accepted for compatibility (the data's own end is used).
        minute_history_prefetch_length: Accepted, unnecessary (nothing is prefetched).
        daily_history_prefetch_length: Accepted, unnecessary (nothing is prefetched).
        rustybt_root: Where converted foreign readers are cached (default ``$RUSTYBT_ROOT``
            or ``~/.rustybt``). Keyword-only, rustybt's addition.
        cache: An optional ``HistoryCache`` for the underlying portal, consulted by
            :meth:`get_history_window` (what zipline's ``BarData.history`` calls). Keys carry
            the bundle version and the mode, so the cache may be shared with a default-mode
            ``ArrowDataPortal`` without either being served the other's rounding. Keyword-only.
    """

    def __init__(
        self,
        asset_finder: Any,
        trading_calendar: Any,
        first_trading_day: Any,
        equity_daily_reader: Any = None,
        equity_minute_reader: Any = None,
        future_daily_reader: Any = None,
        future_minute_reader: Any = None,
        adjustment_reader: Any = None,
        last_available_session: Any = None,
        last_available_minute: Any = None,
        minute_history_prefetch_length: int = 1560,
        daily_history_prefetch_length: int = 40,
        *,
        rustybt_root: Path | str | None = None,
        cache: Any = None,
    ) -> None:
        from rustybt.data.portal.portal import ArrowDataPortal

        if future_daily_reader is not None or future_minute_reader is not None:
            raise FuturesNotSupported(
                "futures: rustybt bundles hold equities; future_daily_reader and "
                "future_minute_reader are not supported"
            )
        self.asset_finder = asset_finder
        self.trading_calendar = trading_calendar
        self._first_trading_day = (
            None if first_trading_day is None else pd.Timestamp(first_trading_day)
        )
        self._last_available_session = last_available_session
        self._last_available_minute = last_available_minute
        self.minute_history_prefetch_length = minute_history_prefetch_length
        self.daily_history_prefetch_length = daily_history_prefetch_length
        self.equity_daily_reader = equity_daily_reader
        self.equity_minute_reader = equity_minute_reader
        source = resolve_source(
            asset_finder,
            equity_daily_reader,
            equity_minute_reader,
            adjustment_reader,
            root=rustybt_root,
        )
        self.bundle = source.bundle
        self._adjustment_reader = source.adjustment_reader
        self._portal = ArrowDataPortal(source.bundle, zipline_exact=True, cache=cache)

    # ------------------------------------------------------------------ attributes
    @property
    def adjustment_reader(self) -> Any:
        """The adjustment reader (zipline's, or a BundleAdjustmentReader over the bundle)."""
        return self._adjustment_reader

    @property
    def portal(self) -> Any:
        """The underlying :class:`ArrowDataPortal` (``zipline_exact=True``)."""
        return self._portal

    # ------------------------------------------------------------------ history
    @translate_errors
    def get_history_window(
        self,
        assets: Any,
        end_dt: Any,
        bar_count: int,
        frequency: str,
        field: str,
        data_frequency: str,
        ffill: bool = True,
        return_type: str = "dataframe",
    ) -> pd.DataFrame | np.ndarray:
        """A window of ``bar_count`` bars ending at ``end_dt`` (zipline's rules and rounding).

        Returns:
            A DataFrame (index: naive sessions for ``'1d'``, UTC minutes for ``'1m'``; columns:
            the asset objects passed), or with ``return_type='array'`` the same values as a
            (bar_count × n_assets) float64 NumPy array.
        """
        return self._portal.get_history_window(
            _equities(assets, "get_history_window"),
            end_dt,
            bar_count,
            frequency,
            field,
            data_frequency,
            ffill=ffill,
            return_type=return_type,
        )

    # ------------------------------------------------------------------ spot values
    @translate_errors
    def get_spot_value(self, assets: Any, field: str, dt: Any, data_frequency: str) -> Any:
        """A scalar for one asset, a list for an iterable of assets (zipline's rules)."""
        return self._portal.get_spot_value(
            _equities(assets, "get_spot_value"), field, dt, data_frequency
        )

    @translate_errors
    def get_scalar_asset_spot_value(
        self, asset: Any, field: str, dt: Any, data_frequency: str
    ) -> Any:
        """The spot value of one asset."""
        return self._portal.get_scalar_asset_spot_value(
            _equities(asset, "get_scalar_asset_spot_value"), field, dt, data_frequency
        )

    @translate_errors
    def get_adjusted_value(
        self,
        asset: Any,
        field: str,
        dt: Any,
        perspective_dt: Any,
        data_frequency: str,
        spot_value: Any = None,
    ) -> Any:
        """The value at ``dt`` adjusted as seen from ``perspective_dt``."""
        return self._portal.get_adjusted_value(
            _equities(asset, "get_adjusted_value"),
            field,
            dt,
            perspective_dt,
            data_frequency,
            spot_value=spot_value,
        )

    @translate_errors
    def get_adjustments(self, assets: Any, field: str, dt: Any, perspective_dt: Any) -> Any:
        """One cumulative ratio per asset for ``dt < effective_date <= perspective_dt``."""
        return self._portal.get_adjustments(
            _equities(assets, "get_adjustments"), field, dt, perspective_dt
        )

    @translate_errors
    def get_last_traded_dt(self, asset: Any, dt: Any, data_frequency: str) -> Any:
        """The last session/minute at or before ``dt`` with a trade, or NaT."""
        return self._portal.get_last_traded_dt(
            _equities(asset, "get_last_traded_dt"), dt, data_frequency
        )

    # ------------------------------------------------------------------ corporate actions
    @translate_errors
    def get_splits(self, assets: Any, dt: Any) -> Any:
        """``[(asset, ratio), ...]`` for splits effective exactly on ``dt``."""
        return self._portal.get_splits(_equities(assets, "get_splits"), dt)

    @translate_errors
    def get_stock_dividends(self, sid: Any, trading_days: Any) -> Any:
        """Stock dividends of ``sid`` with ex_date within ``trading_days`` (list of dicts)."""
        return self._portal.get_stock_dividends(sid, trading_days)

    def contains(self, asset: Any, field: str) -> bool:
        """zipline's rule: True for its base fields (there are no fetcher fields here)."""
        return field in BASE_FIELDS

    # ------------------------------------------------------------------ futures / fetcher
    def get_current_future_chain(self, continuous_future: Any, dt: Any) -> Any:
        """Not supported: rustybt bundles hold equities (no continuous futures)."""
        raise FuturesNotSupported(
            "futures: get_current_future_chain needs continuous futures, which rustybt "
            "bundles do not hold"
        )

    def get_fetcher_assets(self, dt: Any) -> list[Any]:
        """Assets of a fetcher (``fetch_csv``) source on ``dt``: always ``[]`` (no fetcher)."""
        return []

    def handle_extra_source(self, source_df: Any, sim_params: Any) -> None:
        """Not supported: zipline's fetcher (``fetch_csv``) extra sources."""
        raise NotImplementedError(
            "fetcher: extra sources from fetch_csv are not supported by rustybt's DataPortal"
        )

    def __repr__(self) -> str:
        return f"DataPortal({self.bundle!r}, zipline_exact=True)"
