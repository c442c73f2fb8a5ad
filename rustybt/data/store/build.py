"""Build the mapped store files of one bundle version (run once per version, then mapped).

Every bar file is laid out asset-major along the calendar: row ``i * length + t`` holds asset
``sids[i]`` at session (daily) or trading minute (minute) ``t``; NaN prices and 0 volume where
there is no bar; every column float64 in one record batch, so each column is one buffer that
NumPy can view without copying.

Nothing is built from unverified input: every bundle file the build reads is checked against
the bundle's manifest first (size and SHA256 of the very bytes that are parsed, the set of bar
files on disk against the manifest's, each bar file's ``sid`` column, one bar per date), and a
mismatch raises ``BundleCorrupted`` naming the file. The hashing runs once per version, at
sha256 speed (~1.4 GB/s here), on files the build reads anyway.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rustybt._progress import track
from rustybt.data.bundles.format import DAILY_DIR, MINUTE_DIR
from rustybt.data.bundles.protocol import BundleLike
from rustybt.data.store import format as F
from rustybt.data.store.adjustments import build_factors, load_events
from rustybt.errors import BundleCorrupted, StoreCorrupted

__all__ = ["build_calendar", "build_daily", "build_minute", "build_minute_index", "check_inputs"]

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


def _manifest(bundle: BundleLike) -> Any:
    """The bundle's manifest (``Bundle.manifest``), checked against the version; None for a
    ``BundleLike`` without one (a foreign bundle: its files are read as they are)."""
    manifest = getattr(bundle, "manifest", None)
    if manifest is not None and manifest.expected_hash() != str(bundle.version):
        raise BundleCorrupted(
            f"{getattr(bundle, 'path', bundle)}: manifest content hash does not match its files")
    return manifest


def _dir(frequency: str) -> str:
    return DAILY_DIR if frequency == "daily" else MINUTE_DIR


def _bar_sids(bundle: BundleLike, frequency: str) -> list[int]:
    """Sids with a bar file, checked against the manifest (a deleted or an added file raises)."""
    on_disk = bundle.sids_with_bars(frequency)
    manifest = _manifest(bundle)
    if manifest is None:
        return on_disk
    prefix = f"{_dir(frequency)}/"
    listed = sorted(int(Path(rel).stem) for rel in manifest.files
                    if rel.startswith(prefix) and rel.endswith(".parquet"))
    for sid in sorted(set(listed) - set(on_disk)):
        raise BundleCorrupted(
            f"{bundle.bar_path(frequency, sid)} is listed in the manifest but missing")
    for sid in sorted(set(on_disk) - set(listed)):
        raise BundleCorrupted(f"{bundle.bar_path(frequency, sid)} is not in the manifest")
    return listed


def _checked_bytes(bundle: BundleLike, path: Path) -> bytes | Path:
    """The file's bytes, after checking them against the manifest (the path when the bundle
    has none)."""
    manifest = _manifest(bundle)
    if manifest is None:
        return path
    rel = path.relative_to(Path(getattr(bundle, "path", path.parent))).as_posix()
    entry = manifest.files.get(rel)
    if entry is None:
        raise BundleCorrupted(f"{path} is not in the manifest")
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        missing = getattr(bundle, "missing", None)  # Bundle: says when the version was removed
        if missing is not None:
            raise missing(path) from exc
        raise BundleCorrupted(f"{path} is listed in the manifest but missing") from exc
    if len(data) != entry.bytes:
        raise BundleCorrupted(f"{path}: {len(data)} bytes, the manifest says {entry.bytes}")
    got = hashlib.sha256(data).hexdigest()
    if got != entry.sha256:
        raise BundleCorrupted(f"{path}: SHA256 {got} does not match manifest {entry.sha256}")
    return data


def check_inputs(bundle: BundleLike) -> None:
    """Check the bundle's files other than bars (assets, adjustments) against the manifest."""
    manifest = _manifest(bundle)
    if manifest is None:
        return
    root = Path(getattr(bundle, "path", ""))
    for rel in sorted(manifest.files):
        if not rel.startswith((f"{DAILY_DIR}/", f"{MINUTE_DIR}/")):
            _checked_bytes(bundle, root / rel)


def _read_bars(bundle: BundleLike, frequency: str, sid: int
               ) -> tuple[Path, np.ndarray, dict[str, np.ndarray]]:
    path = bundle.bar_path(frequency, sid)
    time_col = "date" if frequency == "daily" else "dt"
    data = _checked_bytes(bundle, path)
    source = pa.BufferReader(data) if isinstance(data, bytes) else path
    table = pq.read_table(source)
    if "sid" in table.column_names:
        sids = table.column("sid").to_numpy()
        wrong = np.flatnonzero(sids != sid)
        if len(wrong):
            raise BundleCorrupted(
                f"{path}: row {int(wrong[0]) + 1} holds sid {sids[wrong[0]]}, not {sid}")
    t = table.column(time_col)
    if time_col == "date":
        times = t.cast(pa.int32()).to_numpy().astype(np.int64) * _NS_PER_DAY
    else:
        times = t.cast(pa.int64()).to_numpy()
    if len(times) > 1 and not (np.diff(times) > 0).all() and len(np.unique(times)) < len(times):
        raise BundleCorrupted(f"{path}: two bars on one {time_col}")
    vals = {c: table.column(c).to_numpy().astype(np.float64) for c in F.BAR_COLUMNS}
    return path, times, vals


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
    check_inputs(bundle)
    assets = bundle.read_assets().sort_values("sid").reset_index(drop=True)
    sids = assets["sid"].to_numpy(np.int64)
    n, length = len(sids), len(sessions)
    cols = {c: np.full(n * length, np.nan) for c in F.BAR_COLUMNS}
    cols["volume"][:] = 0.0
    daily = set(_bar_sids(bundle, "daily"))
    minute = set(_bar_sids(bundle, "minute"))
    for row, sid in enumerate(sids.tolist()):
        base = row * length
        if sid in daily:
            path, times, vals = _read_bars(bundle, "daily", sid)
            pos = _positions(sessions, times, path)
        elif sid in minute:
            _, times, mvals = _read_bars(bundle, "minute", sid)
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
    sids = np.asarray(_bar_sids(bundle, "minute"), dtype=np.int64)
    n, length = len(sids), len(minutes)
    cols = {c: np.full(n * length, np.nan) for c in F.BAR_COLUMNS}
    cols["volume"][:] = 0.0
    todo = track(sids.tolist(), "building minute store", unit="asset")
    for row, sid in enumerate(todo):  # the long build: a bar on a terminal, silent elsewhere
        path, times, vals = _read_bars(bundle, "minute", sid)
        pos = row * length + _positions(minutes, times, path)
        for c in F.BAR_COLUMNS:
            cols[c][pos] = vals[c]
    meta = _meta(bundle, "minute", length=length, sids=sids.tolist(),
                 offsets=[i * length for i in range(n)])
    return _batch(cols, meta)
