"""A DataFrame source: long pandas or Polars frames of bars, keyed by symbol or sid.

Bars: one row per (asset, date) with ``symbol`` or ``sid``, ``date`` (daily) or ``dt``
(minute, UTC; naive means UTC), ``open, high, low, close, volume``. Rows of one asset must be
in increasing time order (they are checked, never sorted). Adjustment frames use the
columns of :meth:`BundleWriter.write_adjustments` with ``symbol`` or ``sid`` as the key.

Without an ``assets`` frame, sids are given to the sorted symbols (0, 1, …) and lifetimes come
from the bars. With one, symbols and sids must be in it: an unknown one raises IngestError
naming the frame, row, column and value.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from rustybt._progress import Progress
from rustybt.data.bundles.writer import BundleWriter
from rustybt.errors import IngestError

__all__ = ["DataFrameIngest", "dataframe_ingest", "to_pandas"]

_ADJUSTMENTS = ("splits", "mergers", "dividends", "stock_dividends")


def to_pandas(frame: Any, name: str) -> pd.DataFrame:
    """A pandas copy of a pandas or Polars frame (Polars via ``to_pandas()``)."""
    if isinstance(frame, pd.DataFrame):
        return frame.reset_index(drop=not _named_index(frame))
    if hasattr(frame, "to_pandas"):
        return frame.to_pandas()
    raise TypeError(f"{name}: expected a pandas or Polars DataFrame, got {type(frame).__name__}")


def _named_index(frame: pd.DataFrame) -> bool:
    return any(n is not None for n in frame.index.names)


def _key_column(frame: pd.DataFrame, name: str) -> str:
    for key in ("sid", "symbol"):
        if key in frame.columns:
            return key
    raise IngestError(
        f"missing key column: needs 'symbol' or 'sid'; found {list(map(str, frame.columns))}",
        file=name,
    )


class _Keys:
    """Maps a frame's symbol or sid column to sids, reporting unknown keys."""

    def __init__(self, assets: pd.DataFrame) -> None:
        self.sids = set(assets["sid"].astype(np.int64).tolist())
        self.by_symbol: dict[str, int] = {}
        for sid, symbol in zip(assets["sid"], assets["symbol"], strict=True):
            self.by_symbol.setdefault(str(symbol), int(sid))

    def sids_of(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        key = _key_column(frame, name)
        if key == "sid":
            values = pd.to_numeric(frame["sid"], errors="coerce")
            arr = values.to_numpy(dtype=np.float64)
            known = np.isin(arr, np.fromiter(self.sids, dtype=np.float64, count=len(self.sids)))
            out = np.where(known, arr, -1).astype(np.int64)
            reason = "unknown sid (not in the asset table)"
        else:
            symbols = frame["symbol"].astype(str)
            out = symbols.map(self.by_symbol).fillna(-1).to_numpy(dtype=np.int64)
            known = out >= 0
            reason = "unknown symbol (not in the asset table)"
        if not known.all():
            i = int(np.flatnonzero(~known)[0])
            raise IngestError(reason, file=name, row=i + 1, column=key, value=frame[key].iloc[i])
        return out


def _default_assets(frames: dict[str, pd.DataFrame], exchange: str) -> pd.DataFrame:
    symbols: set[str] = set()
    sids: set[int] = set()
    for name, frame in frames.items():
        if _key_column(frame, name) == "symbol":
            symbols |= set(frame["symbol"].astype(str).unique().tolist())
        else:
            sids |= set(pd.to_numeric(frame["sid"]).astype(np.int64).unique().tolist())
    if symbols and sids:
        raise IngestError(
            "bar frames mix 'symbol' and 'sid' keys; pass an assets frame to relate them",
            file=", ".join(frames),
        )
    if symbols:
        ordered = sorted(symbols)
        return pd.DataFrame(
            {
                "sid": np.arange(len(ordered)),
                "symbol": ordered,
                "asset_name": ordered,
                "exchange": exchange,
            }
        )
    ordered_sids = sorted(sids)
    names = [str(s) for s in ordered_sids]
    return pd.DataFrame(
        {"sid": ordered_sids, "symbol": names, "asset_name": names, "exchange": exchange}
    )


def _write_bars(
    writer: BundleWriter, frame: pd.DataFrame, name: str, sids: np.ndarray, bar: Progress
) -> None:
    minute = name.startswith("minute")
    frame = frame.drop(columns=[c for c in ("sid", "symbol") if c in frame.columns])
    order = np.argsort(sids, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(sids[order]) != 0, True])
    for a, b in itertools.pairwise(bounds):
        rows = order[a:b]
        sid = int(sids[rows[0]])
        part = frame.iloc[rows]
        try:
            if minute:
                writer.write_minute_bars(sid, part, label=name)
            else:
                writer.write_daily_bars(sid, part, label=name)
        except IngestError as err:
            if err.row is None:
                raise
            raise IngestError(
                f"{err.reason} (sid {sid})",
                file=name,
                row=int(rows[err.row - 1]) + 1,
                column=err.column,
                value=err.value,
            ) from None
        bar.update()


class DataFrameIngest:
    """The ingest function returned by :func:`dataframe_ingest`."""

    def __init__(self, frames: dict[str, Any], assets: Any, exchange: str) -> None:
        self.frames = {k: v for k, v in frames.items() if v is not None}
        self.assets = assets
        self.exchange = exchange

    def describe(self) -> str:
        """A short description for the manifest."""
        parts = [f"{k}={len(v)} rows" for k, v in self.frames.items()]
        return f"dataframe_ingest({', '.join(parts)})"

    def __call__(self, writer: BundleWriter) -> None:
        """Write assets, bars (grouped by asset, streamed) and adjustments."""
        frames = {k: to_pandas(v, f"{k} frame") for k, v in self.frames.items()}
        bar_frames = {f"{k} frame": frames[k] for k in ("daily", "minute") if k in frames}
        if self.assets is not None:
            assets = to_pandas(self.assets, "assets frame")
            if "exchange" not in assets.columns:
                assets["exchange"] = self.exchange
        else:
            assets = _default_assets(bar_frames, self.exchange)
        writer.write_assets(assets)
        keys = _Keys(assets)
        sids = {name: keys.sids_of(f, name) for name, f in bar_frames.items()}
        total = sum(len(np.unique(s)) for s in sids.values())
        with Progress(total, "dataframe", enabled=writer.show_progress, unit="asset") as bar:
            for name, frame in bar_frames.items():
                _write_bars(writer, frame, name, sids[name], bar)
        adjustments: dict[str, pd.DataFrame | None] = {}
        labels = {}
        for key in _ADJUSTMENTS:
            if key not in frames:
                continue
            frame = frames[key].copy()
            name = f"{key} frame"
            frame["sid"] = keys.sids_of(frame, name)
            adjustments[key] = frame.drop(columns=["symbol"], errors="ignore")
            labels[key] = name
        writer.write_adjustments(**adjustments, labels=labels)


def dataframe_ingest(
    daily: Any = None,
    minute: Any = None,
    *,
    assets: Any = None,
    splits: Any = None,
    mergers: Any = None,
    dividends: Any = None,
    stock_dividends: Any = None,
    exchange: str = "DATAFRAME",
) -> DataFrameIngest:
    """Return an ingest function writing long pandas/Polars frames into a bundle.

    Args:
        daily: Daily bars: symbol or sid, date, open, high, low, close, volume.
        minute: Minute bars: symbol or sid, dt (UTC), open, high, low, close, volume.
        assets: Optional asset table (sid, symbol[, asset_name, exchange, start_date,
            end_date, first_traded, auto_close_date]); default built from the bars' keys.
        splits: Optional (symbol|sid, effective_date, ratio).
        mergers: Optional (symbol|sid, effective_date, ratio).
        dividends: Optional (symbol|sid, ex_date, amount[, record_date, declared_date,
            pay_date]); the ratio is computed at ingest.
        stock_dividends: Optional (symbol|sid, ex_date, payment_sid, ratio[, dates]).
        exchange: Exchange recorded for assets that have none.

    Returns:
        A callable ``fn(writer)`` for :func:`rustybt.data.bundles.register`.
    """
    if daily is None and minute is None:
        raise ValueError("dataframe_ingest needs daily and/or minute bars")
    frames = {
        "daily": daily,
        "minute": minute,
        "splits": splits,
        "mergers": mergers,
        "dividends": dividends,
        "stock_dividends": stock_dividends,
    }
    return DataFrameIngest(frames, assets, exchange)
