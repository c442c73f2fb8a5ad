"""Arrow tables of a bundle version, built from validated pandas frames, and fsynced writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rustybt._fs import fsync_file
from rustybt.data.bundles.format import (
    ASSETS_SCHEMA,
    DAILY_SCHEMA,
    DIVIDENDS_SCHEMA,
    MINUTE_SCHEMA,
    RATIO_SCHEMA,
    STOCK_DIVIDENDS_SCHEMA,
    SYMBOL_HISTORY_SCHEMA,
)

__all__ = [
    "assets_table",
    "bars_table",
    "date_col",
    "dividends_table",
    "ratio_table",
    "stock_dividends_table",
    "symbol_history_table",
    "write_table",
]

_PRICES = ("open", "high", "low", "close")
_DIV_DATES = ("ex_date", "record_date", "declared_date", "pay_date")


def write_table(table: pa.Table, path: Path) -> None:
    """Write Parquet (zstd) and fsync the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    fsync_file(path)


def date_col(values: Any) -> pa.Array:
    """Naive or tz-aware datetimes/dates (NaT allowed) → date32 (UTC date when tz-aware)."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(values), errors="raise"))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return pa.array(idx.normalize().to_numpy(dtype="datetime64[ns]"), type=pa.timestamp("ns")).cast(
        pa.date32()
    )


def _strings(values: pd.Series) -> pa.Array:
    return pa.array(values.astype(str).tolist(), type=pa.string())


def bars_table(sid: int, frame: pd.DataFrame, *, minute: bool) -> pa.Table:
    """One asset's validated bars → the daily or minute schema."""
    n = len(frame)
    if minute:
        dts = pd.DatetimeIndex(frame["dt"]).as_unit("ns")
        when = pa.array(dts, type=pa.timestamp("ns", tz="UTC"))
    else:
        when = date_col(frame["date"])
    return pa.table(
        {
            "sid": pa.array(np.full(n, int(sid), dtype=np.int64)),
            "dt" if minute else "date": when,
            **{f: pa.array(frame[f].to_numpy(np.float64)) for f in _PRICES},
            "volume": pa.array(frame["volume"].to_numpy(np.int64)),
        },
        schema=MINUTE_SCHEMA if minute else DAILY_SCHEMA,
    )


def assets_table(assets: pd.DataFrame) -> pa.Table:
    """The validated asset table → ``assets.parquet``."""
    return pa.table(
        {
            "sid": pa.array(assets["sid"].to_numpy(np.int64)),
            "symbol": _strings(assets["symbol"]),
            "asset_name": _strings(assets["asset_name"]),
            "exchange": _strings(assets["exchange"]),
            **{
                c: date_col(assets[c])
                for c in ("start_date", "end_date", "first_traded", "auto_close_date")
            },
        },
        schema=ASSETS_SCHEMA,
    )


def symbol_history_table(history: pd.DataFrame) -> pa.Table:
    """(sid, symbol, start_date, end_date) spans → ``symbol_history.parquet``."""
    return pa.table(
        {
            "sid": pa.array(history["sid"].to_numpy(np.int64)),
            "symbol": _strings(history["symbol"]),
            "start_date": date_col(history["start_date"]),
            "end_date": date_col(history["end_date"]),
        },
        schema=SYMBOL_HISTORY_SCHEMA,
    )


def ratio_table(frame: pd.DataFrame) -> pa.Table:
    """Splits or mergers (sid, effective_date, ratio), sorted by (sid, effective_date)."""
    frame = frame.sort_values(["sid", "effective_date"], kind="stable")
    return pa.table(
        {
            "sid": pa.array(frame["sid"].to_numpy(np.int64)),
            "effective_date": date_col(frame["effective_date"]),
            "ratio": pa.array(frame["ratio"].to_numpy(np.float64)),
        },
        schema=RATIO_SCHEMA,
    )


def dividends_table(frame: pd.DataFrame, ratio: np.ndarray) -> pa.Table:
    """Cash dividends with their ratio fixed at ingest (rows in the given order)."""
    return pa.table(
        {
            "sid": pa.array(frame["sid"].to_numpy(np.int64)),
            **{c: date_col(frame[c]) for c in _DIV_DATES},
            "amount": pa.array(frame["amount"].to_numpy(np.float64)),
            "ratio": pa.array(np.asarray(ratio, dtype=np.float64)),
        },
        schema=DIVIDENDS_SCHEMA,
    )


def stock_dividends_table(frame: pd.DataFrame) -> pa.Table:
    """Stock dividends (sid, ex_date, …, payment_sid, ratio), sorted by (sid, ex_date)."""
    frame = frame.sort_values(["sid", "ex_date"], kind="stable")
    return pa.table(
        {
            "sid": pa.array(frame["sid"].to_numpy(np.int64)),
            **{c: date_col(frame[c]) for c in _DIV_DATES},
            "payment_sid": pa.array(frame["payment_sid"].to_numpy(np.int64)),
            "ratio": pa.array(frame["ratio"].to_numpy(np.float64)),
        },
        schema=STOCK_DIVIDENDS_SCHEMA,
    )
