"""pandas wrapping of history arrays, with the calendar's DatetimeIndex built once.

The frames follow zipline's ``BarData.history`` shapes: a Series for one asset and one field,
dates × assets for one field, and for several fields zipline's layout — a DataFrame indexed
by a (date|date_time, asset) MultiIndex sorted by date then asset, with one column per field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FrameMaker"]


class FrameMaker:
    """Wraps arrays into zipline-shaped frames using index slices of precomputed indexes.

    Args:
        sessions_ns: Session labels (naive ns).
        minutes_ns: Trading minutes (UTC ns), or None until minute data is used.
    """

    def __init__(self, sessions_ns: np.ndarray) -> None:
        self.sessions = pd.DatetimeIndex(sessions_ns.astype("datetime64[ns]"))
        self.minutes: pd.DatetimeIndex | None = None
        self._columns: dict[tuple[int, ...], tuple[pd.Index, list[Any]]] = {}

    def columns(self, assets: Sequence[Any]) -> pd.Index:
        """The column Index for ``assets``, built once per list of asset objects.

        Keyed by the objects' ids; the cache holds the objects, so an id cannot be reused
        while its entry lives (bounded: cleared past 4,096 entries).
        """
        key = tuple(map(id, assets))
        hit = self._columns.get(key)
        if hit is not None:
            return hit[0]
        kept = list(assets)
        index = pd.Index(kept, dtype=object)
        if len(self._columns) >= 4096:
            self._columns.clear()
        self._columns[key] = (index, kept)
        return index

    def attach_minutes(self, minutes_ns: np.ndarray) -> None:
        """Build the UTC minute index once."""
        self.minutes = pd.DatetimeIndex(minutes_ns.astype("datetime64[ns]")).tz_localize("UTC")

    def index(self, frequency: str, start: int, stop: int) -> pd.DatetimeIndex:
        """Index slice ``[start, stop)`` of sessions ('1d') or minutes ('1m')."""
        if frequency == "1m":
            assert self.minutes is not None
            return self.minutes[start:stop]
        return self.sessions[start:stop]

    @staticmethod
    def series(values: np.ndarray, index: pd.DatetimeIndex, name: Any) -> pd.Series:
        """One asset, one field."""
        return pd.Series(values, index=index, name=name, copy=False)

    def frame(self, values: np.ndarray, index: pd.DatetimeIndex,
              columns: Sequence[Any]) -> pd.DataFrame:
        """One field: dates × assets (``values`` is (bar_count, n_assets))."""
        return pd.DataFrame(values, index=index, columns=self.columns(columns), copy=False)

    @staticmethod
    def multi_field(
        values: dict[str, np.ndarray],
        index: pd.DatetimeIndex,
        assets: Sequence[Any],
        frequency: str,
    ) -> pd.DataFrame:
        """Several fields: (date, asset) MultiIndex rows, one column per field (zipline)."""
        n_bars, n_assets = len(index), len(assets)
        label = "date" if frequency == "1d" else "date_time"
        dates = np.repeat(np.arange(n_bars), n_assets)
        who = np.tile(np.arange(n_assets), n_bars)
        mi = pd.MultiIndex(
            levels=[index, pd.Index(list(assets), dtype=object)],
            codes=[dates, who],
            names=[label, None],
        )
        data = {f: np.asarray(v).reshape(-1) for f, v in values.items()}
        frame = pd.DataFrame(data, index=mi)
        frame.columns.name = "fields"
        order = np.argsort(np.array([int(getattr(a, "sid", a)) for a in assets]), kind="stable")
        if not np.array_equal(order, np.arange(n_assets)):
            frame = frame.sort_index()
        return frame
