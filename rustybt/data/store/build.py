"""Build the mapped store files of one bundle version (run once per version, then mapped).

Every bar file is laid out asset-major along the calendar: row ``i * length + t`` holds asset
``sids[i]`` at session (daily) or trading minute (minute) ``t``; NaN prices and 0 volume where
there is no bar; every column float64 in one record batch, so each column is one buffer that
NumPy can view without copying.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rustybt._progress import track
from rustybt.data.bundles.protocol import BundleLike
from rustybt.data.store import format as F
from rustybt.data.store.adjustments import build_factors, load_events
from rustybt.errors import StoreCorrupted

__all__ = ["build_calendar", "build_daily", "build_minute", "build_minute_index"]

_NS_PER_DAY = 86_400 * 1_000_000_000


def _meta(bundle: BundleLike, kind: str, **extra: Any) -> dict[bytes, bytes]:
    meta = {
        F.K_FORMAT: F.STORE_FORMAT.encode(),
        F.K_VERSION: str(bundle.version).encode(),
        F.K_KIND: kind.encode(),
    }
    for key, value in extra.items():
        meta[f"rustybt.{key}".encode()] = json.dumps(value).encode()
    return meta


def _batch(columns: dict[str, np.ndarray], meta: dict[bytes, bytes]) -> pa.RecordBatch:
    arrays = [pa.array(np.ascontiguousarray(v)) for v in columns.values()]
    schema = pa.schema(
        [pa.field(k, a.type, nullable=False) for k, a in zip(columns, arrays, strict=True)],
        metadata=meta,
    )
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def build_calendar(bundle: BundleLike) -> pa.RecordBatch:
    """Sessions (naive midnight ns) and each session's first/last trading minute (UTC ns)."""
    sessions = pd.DatetimeIndex(bundle.sessions).as_unit("ns")
    cal = bundle.calendar
    first = pd.DatetimeIndex(cal.first_minutes.reindex(sessions)).as_unit("ns").asi8
    last = pd.DatetimeIndex(cal.last_minutes.reindex(sessions)).as_unit("ns").asi8
    cols = {"session": sessions.asi8, "first_minute": first, "last_minute": last}
    return _batch(cols, _meta(bundle, "calendar"))


def build_minute_index(bundle: BundleLike, sessions: np.ndarray, first: np.ndarray,
                       last: np.ndarray) -> pa.RecordBatch:
    """Every trading minute of the bundle's sessions (UTC ns) with its session index."""
    cal = bundle.calendar
    if len(sessions) == 0:
        minutes = np.zeros(0, np.int64)
    else:
        minutes = pd.DatetimeIndex(
            cal.minutes_in_range(pd.Timestamp(first[0], tz="UTC"), pd.Timestamp(last[-1], tz="UTC"))
        ).as_unit("ns").asi8
    session = np.searchsorted(last, minutes, side="left").astype(np.int64)
    return _batch({"minute": minutes, "session": session}, _meta(bundle, "minute_index"))


def _lifetimes(assets: pd.DataFrame, sessions: np.ndarray) -> tuple[list[int], list[int]]:
    n = len(sessions)
    starts: list[int] = []
    ends: list[int] = []
    for start, end in zip(assets["start_date"], assets["end_date"], strict=True):
        starts.append(0 if pd.isna(start) else int(np.searchsorted(
            sessions, pd.Timestamp(start).value, side="left")))
        ends.append(n - 1 if pd.isna(end) else int(np.searchsorted(
            sessions, pd.Timestamp(end).value, side="right")) - 1)
    return starts, ends


def _positions(index: np.ndarray, values: np.ndarray, path: Path) -> np.ndarray:
    pos = np.searchsorted(index, values)
    bad = (pos >= len(index)) | (index[np.minimum(pos, len(index) - 1)] != values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StoreCorrupted(
            f"{path}: row {i + 1} is dated {pd.Timestamp(int(values[i]))}, "
            "which is not on the bundle's calendar"
        )
    return pos


def _read_bars(path: Path, time_col: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    table = pq.read_table(path, columns=[time_col, *F.BAR_COLUMNS])
    t = table.column(time_col)
    if time_col == "date":
        times = t.cast(pa.int32()).to_numpy().astype(np.int64) * _NS_PER_DAY
    else:
        times = t.cast(pa.int64()).to_numpy()
    vals = {c: table.column(c).to_numpy().astype(np.float64) for c in F.BAR_COLUMNS}
    return times, vals


def _aggregate_minutes(
    times: np.ndarray, vals: dict[str, np.ndarray], last: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Daily bars (session index, OHLCV) aggregated from one asset's minute bars."""
    sess = np.searchsorted(last, times, side="left")
    uniq, starts = np.unique(sess, return_index=True)
    ends = np.r_[starts[1:], len(sess)] - 1
    out = {
        "open": vals["open"][starts],
        "high": np.maximum.reduceat(vals["high"], starts),
        "low": np.minimum.reduceat(vals["low"], starts),
        "close": vals["close"][ends],
        "volume": np.add.reduceat(vals["volume"], starts),
    }
    return uniq, out


def build_daily(bundle: BundleLike, sessions: np.ndarray, last: np.ndarray) -> pa.RecordBatch:
    """The daily store: every asset of the bundle × every session, plus adjustment factors.

    When the bundle has no daily bars for an asset that has minute bars, its daily bars are
    aggregated from the minutes (open first, high max, low min, close last, volume sum).
    """
    assets = bundle.read_assets().sort_values("sid").reset_index(drop=True)
    sids = assets["sid"].to_numpy(np.int64)
    n, length = len(sids), len(sessions)
    cols = {c: np.full(n * length, np.nan) for c in F.BAR_COLUMNS}
    cols["volume"][:] = 0.0
    daily = set(bundle.sids_with_bars("daily"))
    minute = set(bundle.sids_with_bars("minute"))
    for row, sid in enumerate(sids.tolist()):
        base = row * length
        if sid in daily:
            path = bundle.bar_path("daily", sid)
            times, vals = _read_bars(path, "date")
            pos = _positions(sessions, times, path)
        elif sid in minute:
            times, mvals = _read_bars(bundle.bar_path("minute", sid), "dt")
            pos, vals = _aggregate_minutes(times, mvals, last)
        else:
            continue
        for c in F.BAR_COLUMNS:
            cols[c][base + pos] = vals[c]
    cols.update(build_factors(load_events(bundle, sessions), sids, length))
    starts, ends = _lifetimes(assets, sessions)
    meta = _meta(bundle, "daily", length=length, sids=sids.tolist(),
                 offsets=[i * length for i in range(n)], start_index=starts, end_index=ends)
    return _batch(cols, meta)


def build_minute(bundle: BundleLike, minutes: np.ndarray) -> pa.RecordBatch:
    """The minute store: each asset with minute bars × every trading minute of the sessions."""
    sids = np.asarray(bundle.sids_with_bars("minute"), dtype=np.int64)
    n, length = len(sids), len(minutes)
    cols = {c: np.full(n * length, np.nan) for c in F.BAR_COLUMNS}
    cols["volume"][:] = 0.0
    todo = track(sids.tolist(), "building minute store", unit="asset")
    for row, sid in enumerate(todo):  # the long build: a bar on a terminal, silent elsewhere
        path = bundle.bar_path("minute", sid)
        times, vals = _read_bars(path, "dt")
        pos = row * length + _positions(minutes, times, path)
        for c in F.BAR_COLUMNS:
            cols[c][pos] = vals[c]
    meta = _meta(bundle, "minute", length=length, sids=sids.tolist(),
                 offsets=[i * length for i in range(n)])
    return _batch(cols, meta)
