"""BundleWriter: writes one bundle version into a hidden temp dir, then publishes it atomically.

Nothing is visible until :meth:`BundleWriter.commit`: every file is written and fsynced inside
``<bundle_dir>/.tmp-<uuid>/``, hashed into ``manifest.json``, the directory is renamed to its
version name, and only then is the ``CURRENT`` pointer replaced (``os.replace``). A failing or
killed ingest leaves the previous version current and untouched.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rustybt.calendars import get_calendar
from rustybt.data.bundles import _validate
from rustybt.data.bundles.errors import IngestError
from rustybt.data.bundles.format import (
    ASSETS_FILE,
    ASSETS_SCHEMA,
    CURRENT_POINTER,
    DAILY_DIR,
    DAILY_SCHEMA,
    DIVIDENDS_FILE,
    DIVIDENDS_SCHEMA,
    FORMAT_VERSION,
    MANIFEST_FILE,
    MERGERS_FILE,
    MINUTE_DIR,
    MINUTE_SCHEMA,
    RATIO_SCHEMA,
    SPLITS_FILE,
    STOCK_DIVIDENDS_FILE,
    STOCK_DIVIDENDS_SCHEMA,
    SYMBOL_HISTORY_FILE,
    SYMBOL_HISTORY_SCHEMA,
    bar_file,
)
from rustybt.data.bundles.manifest import FileEntry, Manifest, content_hash, sha256_file

__all__ = ["BundleWriter", "fsync_dir"]

TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """fsync a directory so renames inside it are durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_table(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _date_col(values: Any) -> pa.Array:
    """Naive datetimes/dates (NaT allowed) → date32."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(values), errors="raise"))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return pa.array(idx.normalize().to_numpy(dtype="datetime64[ns]"), type=pa.timestamp("ns")).cast(
        pa.date32()
    )


class BundleWriter:
    """Write one version of a bundle.

    Use as a context manager: the version is committed on a clean exit and discarded on an
    exception. ``ingest`` functions registered with :func:`rustybt.data.bundles.register`
    receive a writer and call its ``write_*`` methods.

    Args:
        bundle_dir: ``<root>/bundles/<name>``; created if missing.
        name: Bundle name recorded in the manifest.
        calendar_name: exchange-calendars name of the bars' calendar.
        start_session: First session of the bundle (default: first bar).
        end_session: Last session of the bundle (default: last bar).
        show_progress: Whether sources should print progress bars.
        source: Free-form description of the source, recorded in the manifest (not hashed).
    """

    def __init__(
        self,
        bundle_dir: Path,
        *,
        name: str,
        calendar_name: str = "XNYS",
        start_session: pd.Timestamp | str | None = None,
        end_session: pd.Timestamp | str | None = None,
        show_progress: bool = False,
        source: dict[str, Any] | None = None,
    ) -> None:
        self.bundle_dir = Path(bundle_dir)
        self.name = name
        self.calendar_name = calendar_name
        self.start_session = None if start_session is None else pd.Timestamp(start_session)
        self.end_session = None if end_session is None else pd.Timestamp(end_session)
        self.show_progress = show_progress
        self.source = dict(source or {})
        self.calendar = get_calendar(
            calendar_name,
            start=self.start_session if self.start_session is not None else "1990-01-01",
            end=self.end_session,
        )
        self.bundle_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir = self.bundle_dir / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        self.tmp_dir.mkdir()
        self._sids: dict[str, set[int]] = {DAILY_DIR: set(), MINUTE_DIR: set()}
        self._first: pd.Timestamp | None = None
        self._last: pd.Timestamp | None = None
        self._assets: pd.DataFrame | None = None
        self._symbol_history: pd.DataFrame | None = None
        self._adjustments: dict[str, pd.DataFrame | None] = {}
        self._done = False
        self.manifest: Manifest | None = None

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    # ------------------------------------------------------------------ bars
    def _note_range(self, first: pd.Timestamp, last: pd.Timestamp) -> None:
        self._first = first if self._first is None else min(self._first, first)
        self._last = last if self._last is None else max(self._last, last)

    def write_daily_bars(self, sid: int, bars: pd.DataFrame, *, label: str | None = None) -> None:
        """Validate and write one asset's daily bars.

        Args:
            sid: The asset's sid.
            bars: Columns date (or a DatetimeIndex), open, high, low, close, volume.
            label: Name used in error messages (e.g. the CSV path); default ``daily sid N``.
        """
        label = label or f"daily bars of sid {sid}"
        frame = _validate.daily_bars(bars, self.calendar, label)
        if len(frame) == 0:
            return
        dates = frame["date"]
        table = pa.table(
            {
                "sid": pa.array(np.full(len(frame), int(sid), dtype=np.int64)),
                "date": _date_col(dates),
                **{
                    f: pa.array(frame[f].to_numpy(np.float64))
                    for f in ("open", "high", "low", "close")
                },
                "volume": pa.array(frame["volume"].to_numpy(np.int64)),
            },
            schema=DAILY_SCHEMA,
        )
        _write_table(table, self.tmp_dir / bar_file(DAILY_DIR, sid))
        self._sids[DAILY_DIR].add(int(sid))
        self._note_range(pd.Timestamp(dates.iloc[0]), pd.Timestamp(dates.iloc[-1]))

    def write_minute_bars(self, sid: int, bars: pd.DataFrame, *, label: str | None = None) -> None:
        """Validate and write one asset's minute bars (dt in UTC, right-labelled minutes)."""
        label = label or f"minute bars of sid {sid}"
        frame = _validate.minute_bars(bars, self.calendar, label)
        if len(frame) == 0:
            return
        dts = pd.DatetimeIndex(frame["dt"])
        table = pa.table(
            {
                "sid": pa.array(np.full(len(frame), int(sid), dtype=np.int64)),
                "dt": pa.array(dts.as_unit("ns"), type=pa.timestamp("ns", tz="UTC")),
                **{
                    f: pa.array(frame[f].to_numpy(np.float64))
                    for f in ("open", "high", "low", "close")
                },
                "volume": pa.array(frame["volume"].to_numpy(np.int64)),
            },
            schema=MINUTE_SCHEMA,
        )
        _write_table(table, self.tmp_dir / bar_file(MINUTE_DIR, sid))
        self._sids[MINUTE_DIR].add(int(sid))
        sessions = self.calendar.minutes_to_sessions(dts[[0, -1]])
        self._note_range(pd.Timestamp(sessions[0]), pd.Timestamp(sessions[-1]))

    # ------------------------------------------------------------------ metadata
    def write_assets(
        self, assets: pd.DataFrame, symbol_history: pd.DataFrame | None = None
    ) -> None:
        """Record the asset table (sid, symbol, asset_name, exchange, dates) and symbol spans."""
        self._assets = _validate.assets(assets)
        if symbol_history is not None:
            self._symbol_history = _validate.symbol_history(symbol_history, self._assets)

    def write_adjustments(
        self,
        *,
        splits: pd.DataFrame | None = None,
        mergers: pd.DataFrame | None = None,
        dividends: pd.DataFrame | None = None,
        stock_dividends: pd.DataFrame | None = None,
    ) -> None:
        """Record adjustment tables; validated against assets and bars at commit."""
        self._adjustments = {
            "splits": splits,
            "mergers": mergers,
            "dividends": dividends,
            "stock_dividends": stock_dividends,
        }

    # ------------------------------------------------------------------ commit / abort
    def abort(self) -> None:
        """Discard everything written so far."""
        if not self._done:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self._done = True

    def _write_metadata(self) -> None:
        if self._assets is None:
            raise IngestError("no assets were written (call write_assets)", file=self.name)
        assets = self._assets
        known = set(assets["sid"].tolist())
        for freq, sids in self._sids.items():
            unknown = sorted(sids - known)
            if unknown:
                raise IngestError(f"{freq} bars for sids missing from the asset table: {unknown}")
        table = pa.table(
            {
                "sid": pa.array(assets["sid"].to_numpy(np.int64)),
                "symbol": pa.array(assets["symbol"].astype(str).tolist(), type=pa.string()),
                "asset_name": pa.array(assets["asset_name"].astype(str).tolist(), type=pa.string()),
                "exchange": pa.array(assets["exchange"].astype(str).tolist(), type=pa.string()),
                **{
                    c: _date_col(assets[c])
                    for c in ("start_date", "end_date", "first_traded", "auto_close_date")
                },
            },
            schema=ASSETS_SCHEMA,
        )
        _write_table(table, self.tmp_dir / ASSETS_FILE)
        hist = self._symbol_history
        if hist is None:
            hist = assets[["sid", "symbol", "start_date", "end_date"]]
        _write_table(
            pa.table(
                {
                    "sid": pa.array(hist["sid"].to_numpy(np.int64)),
                    "symbol": pa.array(hist["symbol"].astype(str).tolist(), type=pa.string()),
                    "start_date": _date_col(hist["start_date"]),
                    "end_date": _date_col(hist["end_date"]),
                },
                schema=SYMBOL_HISTORY_SCHEMA,
            ),
            self.tmp_dir / SYMBOL_HISTORY_FILE,
        )

    def _previous_closes(self, dividends: pd.DataFrame) -> np.ndarray:
        """Raw close of the session before each ex_date (NaN when there is none)."""
        out = np.full(len(dividends), np.nan)
        if len(dividends) == 0:
            return out
        sessions = self.calendar.sessions
        for sid, group in dividends.groupby("sid"):
            path = self.tmp_dir / bar_file(DAILY_DIR, int(sid))
            if not path.exists():
                continue
            bars = pq.read_table(path, columns=["date", "close"]).to_pandas(date_as_object=False)
            closes = pd.Series(bars["close"].to_numpy(), index=pd.DatetimeIndex(bars["date"]))
            ex = pd.DatetimeIndex(group["ex_date"])
            pos = sessions.searchsorted(ex) - 1
            ok = pos >= 0
            prev = pd.DatetimeIndex(sessions[np.where(ok, pos, 0)])
            vals = closes.reindex(prev).to_numpy(dtype=np.float64)
            out[group.index.to_numpy()] = np.where(ok, vals, np.nan)
        return out

    def _write_adjustment_files(self) -> None:
        assert self._assets is not None
        adj = _validate.adjustments(
            self._adjustments,
            known_sids=set(self._assets["sid"].tolist()),
            bar_dates=self._bar_dates,
        )
        for key, path, schema in (
            ("splits", SPLITS_FILE, RATIO_SCHEMA),
            ("mergers", MERGERS_FILE, RATIO_SCHEMA),
        ):
            frame = adj[key]
            table = pa.table(
                {
                    "sid": pa.array(frame["sid"].to_numpy(np.int64)),
                    "effective_date": _date_col(frame["effective_date"]),
                    "ratio": pa.array(frame["ratio"].to_numpy(np.float64)),
                },
                schema=schema,
            )
            _write_table(table, self.tmp_dir / path)
        div = adj["dividends"].reset_index(drop=True)
        prev_close = self._previous_closes(div)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = 1.0 - div["amount"].to_numpy(np.float64) / prev_close
        ratio = np.where(ratio > 0, ratio, np.nan)
        date_cols = ("ex_date", "record_date", "declared_date", "pay_date")
        _write_table(
            pa.table(
                {
                    "sid": pa.array(div["sid"].to_numpy(np.int64)),
                    **{c: _date_col(div[c]) for c in date_cols},
                    "amount": pa.array(div["amount"].to_numpy(np.float64)),
                    "ratio": pa.array(ratio),
                },
                schema=DIVIDENDS_SCHEMA,
            ),
            self.tmp_dir / DIVIDENDS_FILE,
        )
        sd = adj["stock_dividends"]
        _write_table(
            pa.table(
                {
                    "sid": pa.array(sd["sid"].to_numpy(np.int64)),
                    **{c: _date_col(sd[c]) for c in date_cols},
                    "payment_sid": pa.array(sd["payment_sid"].to_numpy(np.int64)),
                    "ratio": pa.array(sd["ratio"].to_numpy(np.float64)),
                },
                schema=STOCK_DIVIDENDS_SCHEMA,
            ),
            self.tmp_dir / STOCK_DIVIDENDS_FILE,
        )

    def _bar_dates(self, sid: int) -> pd.DatetimeIndex | None:
        """Sessions on which ``sid`` has a daily bar (None when it has no daily bars)."""
        path = self.tmp_dir / bar_file(DAILY_DIR, sid)
        if not path.exists():
            return None
        dates = pq.read_table(path, columns=["date"]).column("date").cast(pa.timestamp("ns"))
        return pd.DatetimeIndex(dates.to_numpy())

    def _data_files(self) -> Iterable[Path]:
        yield from sorted(self.tmp_dir.rglob("*.parquet"))

    def commit(self) -> Manifest:
        """Finish the version: metadata, hashes, manifest, atomic publish. Returns the manifest."""
        if self._done:
            raise RuntimeError("this writer was already committed or aborted")
        try:
            self._write_metadata()
            self._write_adjustment_files()
            files = {
                p.relative_to(self.tmp_dir).as_posix(): FileEntry(sha256_file(p), p.stat().st_size)
                for p in self._data_files()
            }
            first = self.start_session if self.start_session is not None else self._first
            last = self.end_session if self.end_session is not None else self._last
            first_s = None if first is None else first.strftime("%Y-%m-%d")
            last_s = None if last is None else last.strftime("%Y-%m-%d")
            version = content_hash(
                format_version=FORMAT_VERSION,
                calendar_name=self.calendar_name,
                first_session=first_s,
                last_session=last_s,
                files=files,
            )
            assert self._assets is not None
            manifest = Manifest(
                name=self.name,
                version=version,
                calendar_name=self.calendar_name,
                frequencies=tuple(f for f in ("daily", "minute") if self._sids[f]),
                first_session=first_s,
                last_session=last_s,
                asset_count=len(self._assets),
                files=files,
                created_at=_dt.datetime.now(_dt.UTC).isoformat(),
                source=self.source,
            )
            mpath = self.tmp_dir / MANIFEST_FILE
            mpath.write_text(manifest.to_json())
            with open(mpath, "rb+") as fh:
                os.fsync(fh.fileno())
            for d in {p.parent for p in self.tmp_dir.rglob("*")} | {self.tmp_dir}:
                fsync_dir(d)
            self._publish()
        except BaseException:
            self.abort()
            raise
        self._done = True
        self.manifest = manifest
        return manifest

    def _publish(self) -> None:
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.bundle_dir / stamp
        n = 1
        while final.exists():
            final = self.bundle_dir / f"{stamp}-{n}"
            n += 1
        os.rename(self.tmp_dir, final)
        fsync_dir(self.bundle_dir)
        pointer_tmp = self.bundle_dir / f"{TMP_PREFIX}{CURRENT_POINTER}-{uuid.uuid4().hex}"
        pointer_tmp.write_text(final.name + "\n")
        with open(pointer_tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, self.bundle_dir / CURRENT_POINTER)
        fsync_dir(self.bundle_dir)
        self.version_dir = final
