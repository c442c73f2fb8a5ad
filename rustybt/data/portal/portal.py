"""ArrowDataPortal: zipline-semantics history and spot values over memory-mapped Arrow stores.

A thin facade: :mod:`store` maps the files, :mod:`window` turns datetimes into positions,
:mod:`adjustments` and :mod:`_history` compute windows, :mod:`_spot` spot values,
:mod:`frame` wraps pandas around the arrays and :mod:`cache` optionally caches results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rustybt.data.portal.cache import HistoryCache
from rustybt.data.portal.fast import FastHistoryMixin
from rustybt.data.portal.history import HistoryEngine
from rustybt.data.portal.queries import (
    DATA_FREQ,
    HISTORY_FIELDS,
    SPOT_FIELDS,
    ZiplineQueriesMixin,
)
from rustybt.data.portal.shape import shape_result
from rustybt.data.portal.spot import SpotReader
from rustybt.data.store import build as _build
from rustybt.data.store import format as F
from rustybt.data.store.adjustments import AdjustmentEvents, load_events
from rustybt.data.store.calendar_index import CalendarIndex, to_ns
from rustybt.data.store.mapped import MappedStore, ensure_store
from rustybt.errors import (
    InvalidBarCount,
    InvalidField,
    InvalidFrequency,
    NoDataForFrequency,
    NotATradingMinute,
)

__all__ = ["HISTORY_FIELDS", "SPOT_FIELDS", "ArrowDataPortal"]

_DATA_FREQ = DATA_FREQ


def _as_bundle(bundle: Any) -> Any:
    if hasattr(bundle, "version") and hasattr(bundle, "cache_dir"):
        return bundle
    from rustybt.data.bundles import Bundle, load

    path = Path(bundle)
    if path.is_dir():
        return Bundle.from_path(path)
    return load(str(bundle))


class ArrowDataPortal(FastHistoryMixin, ZiplineQueriesMixin):
    """History and spot values of one bundle version, served from memory-mapped Arrow.

    Args:
        bundle: A :class:`rustybt.data.bundles.Bundle`, a version directory, or a bundle name.
        zipline_exact: Reproduce zipline bit for bit: ratios multiplied one at a time in
            zipline's order and history windows rounded to 3 decimals after adjustment.
            The default multiplies by precomputed cumulative factors and does not round.
        cache: An optional :class:`HistoryCache` for results that cost an allocation.
    """

    def __init__(
        self, bundle: Any, *, zipline_exact: bool = False, cache: HistoryCache | None = None
    ) -> None:
        self.bundle = _as_bundle(bundle)
        self.zipline_exact = bool(zipline_exact)
        self._cache_dir = Path(self.bundle.cache_dir)
        version = str(self.bundle.version)
        cal = ensure_store(self._cache_dir, F.CALENDAR_FILE, "calendar", version,
                           lambda: _build.build_calendar(self.bundle))
        self._cal = CalendarIndex(
            cal.columns["session"], cal.columns["first_minute"], cal.columns["last_minute"]
        )
        self._calendar_store = cal
        self._daily = ensure_store(
            self._cache_dir, F.store_file("daily"), "daily", version,
            lambda: _build.build_daily(self.bundle, self._cal.sessions, self._cal.last_minutes),
        )
        self._minute: MappedStore | None = None
        self._minute_checked = False
        self._events: AdjustmentEvents | None = None
        self._engine = HistoryEngine(self._cal, self._daily, self._minute_store,
                                     self._load_events, self.zipline_exact)
        self._spot = SpotReader(self._cal, self._engine, self._load_events, self.bundle)
        self._row = self._daily.row_of
        self._close = self._engine.d["close"]
        self._frames: Any = None
        self._row_views: dict[str, list[np.ndarray]] = {}
        self._end_list: list[int] = self._engine.end_index.tolist()
        self.cache = cache
        if cache is not None:
            cache.bind(version)

    @classmethod
    def from_path(
        cls, path: Path | str, *, zipline_exact: bool = False, cache: HistoryCache | None = None
    ) -> ArrowDataPortal:
        """Open the bundle version stored in directory ``path``."""
        from rustybt.data.bundles import Bundle

        return cls(Bundle.from_path(path), zipline_exact=zipline_exact, cache=cache)

    def __repr__(self) -> str:
        return f"ArrowDataPortal({self.bundle!r}, zipline_exact={self.zipline_exact})"

    # ------------------------------------------------------------------ lazy parts
    def _minute_store(self) -> MappedStore | None:
        if not self._minute_checked:
            if self.bundle.sids_with_bars("minute"):
                version = str(self.bundle.version)
                cal = self._cal
                index = ensure_store(
                    self._cache_dir, F.MINUTE_INDEX_FILE, "minute_index", version,
                    lambda: _build.build_minute_index(
                        self.bundle, cal.sessions, cal.first_minutes, cal.last_minutes),
                )
                cal.attach_minutes(index.columns["minute"], index.columns["session"])
                self._minute = ensure_store(
                    self._cache_dir, F.store_file("minute"), "minute", version,
                    lambda: _build.build_minute(self.bundle, index.columns["minute"]),
                )
            self._minute_checked = True
        return self._minute

    def _require_minutes(self) -> MappedStore:
        store = self._minute_store()
        if store is None:
            raise NoDataForFrequency(f"bundle {self.bundle.name!r} has no minute bars")
        return store

    def _load_events(self) -> AdjustmentEvents:
        if self._events is None:
            self._events = load_events(self.bundle, self._cal.sessions)
        return self._events

    def _frame_maker(self) -> Any:
        if self._frames is None:
            from rustybt.data.portal.frames import FrameMaker

            self._frames = FrameMaker(self._cal.sessions)
        if self._frames.minutes is None and self._cal.minutes is not None:
            self._frames.attach_minutes(self._cal.minutes)
        return self._frames

    # ------------------------------------------------------------------ properties
    @property
    def version(self) -> str:
        """The bundle version (content hash) the stores were built from."""
        return str(self.bundle.version)

    @property
    def sessions(self) -> Any:
        """All sessions of the bundle (naive DatetimeIndex)."""
        return self._frame_maker().sessions

    @property
    def calendar(self) -> Any:
        """The bundle's exchange calendar (exchange-calendars, right-sided minutes)."""
        return self.bundle.calendar

    trading_calendar = calendar

    @property
    def asset_finder(self) -> Any:
        """The bundle's AssetFinder."""
        return self.bundle.asset_finder

    @property
    def first_trading_day(self) -> Any:
        """First session of the bundle (naive Timestamp)."""
        import pandas as pd

        return pd.Timestamp(int(self._cal.sessions[0]))

    @property
    def last_available_session(self) -> Any:
        """Last session of the bundle (naive Timestamp)."""
        import pandas as pd

        return pd.Timestamp(int(self._cal.sessions[-1]))

    @property
    def last_available_minute(self) -> Any:
        """Close of the last session (UTC Timestamp)."""
        import pandas as pd

        return pd.Timestamp(int(self._cal.last_minutes[-1]), tz="UTC")

    def store(self, frequency: str = "daily") -> MappedStore:
        """The mapped store for ``'daily'``/``'1d'`` or ``'minute'``/``'1m'``."""
        freq = _DATA_FREQ.get(frequency)
        if freq is None:
            raise InvalidFrequency(f"unknown frequency {frequency!r}")
        return self._daily if freq == "daily" else self._require_minutes()

    @property
    def calendar_index(self) -> CalendarIndex:
        """Session/minute positions used by the stores (minutes attached on first use)."""
        return self._cal

    # ------------------------------------------------------------------ history
    def history(
        self,
        assets: Any,
        fields: str | Sequence[str],
        bar_count: int,
        frequency: str = "1d",
        end_dt: Any = None,
        data_frequency: str | None = None,
        return_type: str = "dataframe",
    ) -> Any:
        """A window of ``bar_count`` bars ending at ``end_dt`` (zipline semantics).

        Args:
            assets: One asset (object with ``.sid`` or int) or a list of them.
            fields: One of open/high/low/close/volume/price, or a list of them.
            bar_count: Number of bars (≥ 1).
            frequency: ``'1d'`` or ``'1m'``.
            end_dt: Last bar's datetime (default: the last session/minute). Resolved like
                zipline: sessions roll forward (a Saturday means Monday).
            data_frequency: ``'daily'`` or ``'minute'`` (default: daily for '1d', minute for
                '1m'). '1d' with minute data ends with today's partial bar.
            return_type: ``'dataframe'`` (zipline's shapes) or ``'array'``: 1-D for one asset
                and one field, ``(bar_count, n_assets)`` for a list of assets,
                ``(n_fields, bar_count[, n_assets])`` for a list of fields.

        Returns:
            A Series/DataFrame, or a float64 NumPy array (read-only when it is a view).
        """
        single_field = type(fields) is str
        single_asset = type(assets) is int or (type(assets) is not list
                                               and hasattr(assets, "sid"))
        cache = self.cache
        if cache is None:
            return self._compute(assets, fields, bar_count, frequency, end_dt, data_frequency,
                                 return_type, single_asset, single_field)
        if single_asset:
            sids: tuple[Any, ...] = (assets if type(assets) is int else assets.sid,)
        else:
            sids = tuple([a if type(a) is int else getattr(a, "sid", a) for a in assets])
        key = (sids, fields if single_field else tuple(fields), bar_count, frequency,
               data_frequency, None if end_dt is None else to_ns(end_dt), return_type,
               single_asset)
        hit = cache.get(key, bar_count)
        if hit is not None:
            return hit
        result = self._compute(assets, fields, bar_count, frequency, end_dt, data_frequency,
                               return_type, single_asset, single_field)
        if not (isinstance(result, np.ndarray) and not result.flags.writeable):
            cache.put(key, bar_count, result)  # views of the map cost nothing: not cached
        return result

    def _compute(
        self,
        assets: Any,
        fields: Any,
        bar_count: int,
        frequency: str,
        end_dt: Any,
        data_frequency: str | None,
        return_type: str,
        single_asset: bool,
        single_field: bool,
    ) -> Any:
        """Dispatch to a fast path when one applies, else to the general path."""
        if (
            single_field and not self.zipline_exact
            and fields in HISTORY_FIELDS and bar_count >= 1
        ):
            field = str(fields)
            if frequency == "1d" and data_frequency in (None, "daily"):
                if single_asset and return_type == "array":
                    return self._fast_one(assets, field, bar_count, end_dt)
                if not single_asset and type(assets) is list:
                    return self._fast_many(assets, field, bar_count, end_dt, return_type)
            elif (frequency == "1m" and single_asset and return_type == "array"
                  and data_frequency in (None, "minute", "1m")):
                out = self._fast_one_minute(assets, field, bar_count, end_dt)
                if out is not None:
                    return out
        return self._history(assets, fields, bar_count, frequency, end_dt, data_frequency,
                             return_type, single_asset, single_field)

    def _history(
        self,
        assets: Any,
        fields: Any,
        bar_count: int,
        frequency: str,
        end_dt: Any,
        data_frequency: str | None,
        return_type: str,
        single_asset: bool,
        single_field: bool,
    ) -> Any:
        field_list = [fields] if single_field else list(fields)
        for f in field_list:
            if f not in HISTORY_FIELDS:
                raise InvalidField(f"Invalid field: {f}")
        if frequency not in ("1d", "1m"):
            raise InvalidFrequency(f"Invalid frequency: {frequency}")
        if data_frequency is None:
            data_frequency = "daily" if frequency == "1d" else "minute"
        dfreq = _DATA_FREQ.get(data_frequency)
        if dfreq is None:
            raise InvalidFrequency(f"Invalid data_frequency: {data_frequency}")
        if frequency == "1m" and dfreq == "daily":
            raise InvalidFrequency("'1m' history needs minute data (data_frequency='minute')")
        if return_type not in ("dataframe", "array"):
            raise ValueError(f"return_type must be 'dataframe' or 'array', not {return_type!r}")
        if bar_count < 1:
            raise InvalidBarCount(f"bar_count must be >= 1, but got {bar_count}")
        asset_list = [assets] if single_asset else list(assets)
        sids = [self._sid(a) for a in asset_list]
        row_of = self._row.get
        found = [row_of(s) for s in sids]
        if None in found:
            self._drow(sids[found.index(None)])  # raises SidsNotFound
        drows: list[int] = found  # type: ignore[assignment]

        if frequency == "1d" and dfreq == "daily":
            s, e = self._window_bounds(bar_count, end_dt)
            arrays = {f: self._engine.daily_history(drows, f, s, e) for f in field_list}
            start, stop = s, e + 1
        elif frequency == "1d":
            self._require_minutes()
            if end_dt is None:
                end_dt = int(self._cal.last_minutes[-1])
            s, e = self._window_bounds(bar_count, end_dt)
            m = self._cal.minute_index(end_dt)
            arrays = {
                f: self._engine.minute_daily_history(sids, drows, f, s, e, m) for f in field_list
            }
            start, stop = s, e + 1
        else:
            self._require_minutes()
            if end_dt is not None and self.zipline_exact:  # zipline's minutes_window raises
                ns = to_ns(end_dt)
                if not self._cal.is_trading_minute(ns):
                    raise NotATradingMinute(self.calendar, ns)
            b = (len(self._cal.minutes) - 1  # type: ignore[arg-type]
                 if end_dt is None else self._cal.minute_index(end_dt))
            a = b - bar_count + 1
            if a < 0:
                self._starts_before_data_minute(bar_count)
            arrays = {f: self._engine.minute_history(sids, drows, f, a, b) for f in field_list}
            start, stop = a, b + 1

        return shape_result(arrays, field_list, asset_list, single_asset, single_field,
                            frequency, start, stop, return_type, self._frame_maker)

    def get_history_window(
        self,
        assets: Iterable[Any],
        end_dt: Any,
        bar_count: int,
        frequency: str,
        field: str,
        data_frequency: str,
        ffill: bool = True,
        return_type: str = "dataframe",
    ) -> Any:
        """zipline's DataPortal.get_history_window: one field, dates × assets.

        ``ffill`` is accepted and ignored, like zipline ('price' is always forward-filled).
        """
        if field not in HISTORY_FIELDS:
            raise InvalidField(f"Invalid field: {field}")
        return self._history(list(assets), field, bar_count, frequency, end_dt,
                             data_frequency, return_type, False, True)

    def sql(self, query: str, params: Any = None) -> Any:
        """Run an analyst SQL query over the bundle (see :mod:`.sql`, DuckDB)."""
        from rustybt.data.sql import engine as _sql

        return _sql.sql(self.bundle, query, params)
