"""pandas wrapping of history arrays, with the calendar's DatetimeIndex built once.

The frames follow zipline's ``BarData.history`` shapes: a Series for one asset and one field,
dates × assets for one field, and for several fields zipline's layout — a DataFrame indexed
by a (date|date_time, asset) MultiIndex sorted by date then asset, with one column per field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FrameMaker"]

# pandas' public constructors validate and infer (~7 µs for a small frame); a frame of one
# float64 block over known axes can be assembled directly from pandas' internals (~3 µs).
# The internals are version-specific, so they are checked once against the public
# constructor and the public path is used when anything differs or fails.
_FastFrame = Callable[[np.ndarray, pd.Index, pd.Index], pd.DataFrame]


def _internal_frame_builder() -> _FastFrame | None:
    try:
        from pandas._libs.internals import BlockPlacement
        from pandas.core.internals import BlockManager
        from pandas.core.internals.blocks import new_block_2d

        from_mgr = pd.DataFrame._from_mgr
    except (ImportError, AttributeError):  # pragma: no cover - other pandas versions
        return None

    def build(values: np.ndarray, index: pd.Index, columns: pd.Index) -> pd.DataFrame:
        block = new_block_2d(values.T, placement=BlockPlacement(slice(0, len(columns))))
        mgr = BlockManager((block,), [columns, index], verify_integrity=False)
        return from_mgr(mgr, axes=mgr.axes)

    try:
        probe = np.arange(6.0).reshape(3, 2)
        index = pd.DatetimeIndex(np.arange(3).astype("datetime64[D]").astype("datetime64[ns]"))
        columns = pd.Index([object(), object()], dtype=object)
        want = pd.DataFrame(probe, index=index, columns=columns, copy=False)
        got = build(probe, index, columns)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        if not np.shares_memory(got.to_numpy(), probe):  # pragma: no cover
            return None
    except Exception:  # pragma: no cover - other pandas versions
        return None
    return build


_BUILD_FRAME = _internal_frame_builder()


def _index_slicer(full: pd.DatetimeIndex) -> Callable[[int, int], pd.DatetimeIndex]:
    """``lambda a, b: full[a:b]``, built from the underlying array without re-validation.

    Checked once against ``full[a:b]`` (values, dtype, tz, freq, name); plain slicing is
    used when anything differs or pandas' internals are not the expected ones.
    """

    def plain(a: int, b: int) -> pd.DatetimeIndex:
        return full[a:b]

    try:
        from pandas.core.arrays import DatetimeArray

        values = full._data._ndarray
        dtype = full.dtype
        new_array = DatetimeArray._simple_new
        new_index = pd.DatetimeIndex._simple_new

        def cut(a: int, b: int) -> pd.DatetimeIndex:
            return new_index(new_array(values[a:b], dtype=dtype))

        if full.freq is not None or full.name is not None:
            return plain
        for a, b in ((0, min(3, len(full))), (len(full) // 2, len(full))):
            got, want = cut(a, b), plain(a, b)
            pd.testing.assert_index_equal(got, want, exact=True)
            if got.freq != want.freq or got.name != want.name:  # pragma: no cover
                return plain
    except Exception:  # pragma: no cover - other pandas versions
        return plain
    return cut


class FrameMaker:
    """Wraps arrays into zipline-shaped frames using index slices of precomputed indexes.

    Args:
        sessions_ns: Session labels (naive ns).
        minutes_ns: Trading minutes (UTC ns), or None until minute data is used.
    """

    def __init__(self, sessions_ns: np.ndarray) -> None:
        self.sessions = pd.DatetimeIndex(sessions_ns.astype("datetime64[ns]"))
        self._session_slice = _index_slicer(self.sessions)
        self.minutes: pd.DatetimeIndex | None = None
        self._minute_slice: Callable[[int, int], pd.DatetimeIndex] | None = None
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
        self._minute_slice = _index_slicer(self.minutes)

    def index(self, frequency: str, start: int, stop: int) -> pd.DatetimeIndex:
        """Index slice ``[start, stop)`` of sessions ('1d') or minutes ('1m')."""
        if frequency == "1m":
            assert self._minute_slice is not None
            return self._minute_slice(start, stop)
        return self._session_slice(start, stop)

    @staticmethod
    def series(values: np.ndarray, index: pd.DatetimeIndex, name: Any) -> pd.Series:
        """One asset, one field."""
        return pd.Series(values, index=index, name=name, copy=False)

    def frame(self, values: np.ndarray, index: pd.DatetimeIndex,
              columns: Sequence[Any]) -> pd.DataFrame:
        """One field: dates × assets (``values`` is (bar_count, n_assets), float64).

        Same frame as ``pd.DataFrame(values, index=index, columns=..., copy=False)`` (one
        float64 block sharing ``values``), assembled without the constructor's inference.
        """
        cols = self.columns(columns)
        if (_BUILD_FRAME is not None and values.dtype == np.float64 and values.ndim == 2
                and values.shape == (len(index), len(cols))):
            return _BUILD_FRAME(values, index, cols)
        return pd.DataFrame(values, index=index, columns=cols, copy=False)

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
