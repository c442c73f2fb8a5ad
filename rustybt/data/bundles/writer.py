"""BundleWriter: writes one bundle version into a hidden temp dir, then publishes it atomically.

Nothing is visible until :meth:`BundleWriter.commit`: every file is written and fsynced
inside ``<bundle_dir>/.tmp-<uuid>/``, hashed into ``manifest.json``, the directory is renamed
to its version name, and only then is the ``CURRENT`` pointer replaced (``os.replace``). A
failing or killed ingest leaves the previous version current and untouched.

Memory: bars are validated and written one asset at a time; the writer keeps only each
asset's session list (8 bytes a session) for the checks at commit.

Strict by default: every ingest validates new data and raises on what it cannot trust. A
lenient writer (``strict=False``) is for data another system already holds and serves (the
zipline shim's conversion): see :mod:`rustybt.data.bundles._lenient` for what it keeps and the
one warning it emits.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import uuid
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd

from rustybt._fs import TMP_PREFIX, atomic_write, file_digest, fsync_dir, fsync_file
from rustybt.calendars import get_calendar
from rustybt.data.bundles import _validate, _validate_tables
from rustybt.data.bundles._bar_agreement import bar_disagreements
from rustybt.data.bundles._commit_checks import check_lifetimes, previous_closes
from rustybt.data.bundles._lenient import Unusual
from rustybt.data.bundles._tables import (
    assets_table,
    bars_table,
    dividends_table,
    ratio_table,
    stock_dividends_table,
    symbol_history_table,
    write_table,
)
from rustybt.data.bundles.format import (
    ASSETS_FILE,
    CURRENT_POINTER,
    DAILY_DIR,
    DIVIDENDS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    MERGERS_FILE,
    MINUTE_DIR,
    SPLITS_FILE,
    STOCK_DIVIDENDS_FILE,
    SYMBOL_HISTORY_FILE,
    bar_file,
)
from rustybt.data.bundles.manifest import FileEntry, Manifest, content_hash
from rustybt.errors import IngestError, IngestWarning

__all__ = ["TMP_PREFIX", "BundleWriter"]

DEFAULT_CALENDAR_START = pd.Timestamp("1970-01-01")
_MAX_RECORDED_WARNINGS = 100
_SINGLE_SESSION_LOOKBACK_DAYS = 7  # exchange-calendars needs start < end (as Bundle.calendar)


def _calendar(name: str, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Any:
    """The writer's calendar: from ``start`` (default 1970, or the calendar's lower bound).

    A single-session range (``start == end``) gets a calendar starting a week earlier:
    exchange-calendars refuses ``start == end``; the bundle's range stays ``start..end``.
    """
    if start is not None:
        if end is not None and start >= end:
            start = end - pd.DateOffset(days=_SINGLE_SESSION_LOOKBACK_DAYS)
        return get_calendar(name, start=start, end=end)
    try:
        return get_calendar(name, start=DEFAULT_CALENDAR_START, end=end)
    except ValueError:  # the calendar's holidays start later than 1970
        return get_calendar(name, end=end)


class BundleWriter:
    """Write one version of a bundle.

    Use as a context manager: the version is committed on a clean exit and discarded on an
    exception. ``ingest`` functions registered with :func:`rustybt.data.bundles.register`
    receive a writer and call its ``write_*`` methods, in any order.

    Args:
        bundle_dir: ``<root>/bundles/<name>``; created if missing.
        name: Bundle name recorded in the manifest.
        calendar_name: exchange-calendars name of the bars' calendar.
        start_session: First session of the bundle (default: first bar).
        end_session: Last session of the bundle (default: last bar).
        show_progress: Whether sources draw progress on stderr: True, False, or None for
            a bar on a terminal only (see :mod:`rustybt._progress`).
        source: Free-form description of the source, recorded in the manifest (not hashed).
        strict: True (every ingest): raise on data that cannot be trusted. False: keep data
            another system already serves as it serves it (bars outside the listing, high/low
            not bracketing open/close), counted in :attr:`unusual` and reported, with the
            other repairs, in ONE IngestWarning at commit. Only the zipline shim uses False.
    """

    def __init__(
        self,
        bundle_dir: Path,
        *,
        name: str,
        calendar_name: str = "XNYS",
        start_session: pd.Timestamp | str | None = None,
        end_session: pd.Timestamp | str | None = None,
        show_progress: bool | None = False,
        source: dict[str, Any] | None = None,
        strict: bool = True,
    ) -> None:
        self.bundle_dir = Path(bundle_dir)
        self.name = name
        self.calendar_name = calendar_name
        self.start_session = None if start_session is None else pd.Timestamp(start_session)
        self.end_session = None if end_session is None else pd.Timestamp(end_session)
        self.show_progress = show_progress
        self.source = dict(source or {})
        self.strict = strict
        #: What a lenient writer kept that a strict one refuses (None when strict).
        self.unusual = None if strict else Unusual.for_range(self.start_session, self.end_session)
        self.calendar = _calendar(calendar_name, self.start_session, self.end_session)
        self._closes_ns = pd.DatetimeIndex(self.calendar.closes).as_unit("ns").asi8
        self._sessions_ns = pd.DatetimeIndex(self.calendar.sessions).as_unit("ns").asi8
        self.warnings: list[str] = []
        self.notes: list[str] = []
        #: Sources whose data has halts by design (synthetic) set this to False: the halt
        #: summary is then kept in the manifest as a note instead of an IngestWarning.
        self.warn_halts = True
        self.bundle_dir.mkdir(parents=True, exist_ok=True)
        # The staging directory is made by the first write (see ``tmp_dir``), not here: a
        # Ctrl-C between construction and ``with`` (or a writer never used) leaves nothing.
        self._tmp_path = self.bundle_dir / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        self._tmp_made = False
        # sid -> sessions (int64 ns, sorted) that have a bar, per frequency
        self._sessions: dict[str, dict[int, np.ndarray]] = {DAILY_DIR: {}, MINUTE_DIR: {}}
        self._labels: dict[tuple[str, int], str] = {}
        self._assets: pd.DataFrame | None = None
        self._symbol_history: pd.DataFrame | None = None
        self._adjustments: dict[str, pd.DataFrame | None] = {}
        self._adjustment_labels: dict[str, str] = {}
        self._done = False
        self.manifest: Manifest | None = None
        self._version_dir: Path | None = None

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

    @property
    def tmp_dir(self) -> Path:
        """The staging directory ``<bundle_dir>/.tmp-<uuid>/``, made on first use."""
        if not self._tmp_made:
            if self._done:
                raise RuntimeError("this writer was already committed or aborted")
            self._tmp_path.mkdir()
            self._tmp_made = True
        return self._tmp_path

    @property
    def version_dir(self) -> Path:
        """The published version directory (after :meth:`commit`)."""
        if self._version_dir is None:
            raise RuntimeError("the version is not published yet (commit first)")
        return self._version_dir

    def warn(self, message: str) -> None:
        """Record a repair (kept in the manifest) and emit an :class:`IngestWarning`.

        A lenient writer only records it: its one warning at commit lists every repair.
        """
        self.warnings.append(message)
        if self.strict:
            warnings.warn(message, IngestWarning, stacklevel=3)

    # ------------------------------------------------------------------ bars
    def _check_new(self, freq: str, sid: int, label: str) -> None:
        if self._done:
            raise RuntimeError("this writer was already committed or aborted")
        if sid in self._sessions[freq]:
            first = self._labels[(freq, sid)]
            raise IngestError(
                f"{freq} bars of sid {sid} were already written from {first}", file=label
            )

    def write_daily_bars(
        self,
        sid: int,
        bars: pd.DataFrame,
        *,
        label: str | None = None,
        missing_prices: bool = False,
    ) -> None:
        """Validate and write one asset's daily bars (each sid at most once).

        Args:
            sid: The asset's sid.
            bars: Columns date (or a DatetimeIndex), open, high, low, close, volume.
            label: Name used in error messages (e.g. the CSV path); default ``daily bars of sid N``.
            missing_prices: Keep a row with some prices NaN as a bar, NaN in those fields only
                (zipline stores such bars: a 0 price it reads back as NaN). Default: an error.
        """
        sid = int(sid)
        label = label or f"daily bars of sid {sid}"
        self._check_new(DAILY_DIR, sid, label)
        frame = _validate.daily_bars(
            bars, self.calendar, label, self.warn, missing_prices, unusual=self.unusual
        )
        if len(frame) == 0:
            return
        write_table(bars_table(sid, frame, minute=False), self.tmp_dir / bar_file(DAILY_DIR, sid))
        self._sessions[DAILY_DIR][sid] = pd.DatetimeIndex(frame["date"]).as_unit("ns").asi8
        self._labels[(DAILY_DIR, sid)] = label

    def write_minute_bars(
        self,
        sid: int,
        bars: pd.DataFrame,
        *,
        label: str | None = None,
        missing_prices: bool = False,
    ) -> None:
        """Validate and write one asset's minute bars (dt in UTC, right-labelled minutes).

        ``label`` and ``missing_prices`` as for :meth:`write_daily_bars`.
        """
        sid = int(sid)
        label = label or f"minute bars of sid {sid}"
        self._check_new(MINUTE_DIR, sid, label)
        frame = _validate.minute_bars(
            bars, self.calendar, label, self.warn, missing_prices, unusual=self.unusual
        )
        if len(frame) == 0:
            return
        write_table(bars_table(sid, frame, minute=True), self.tmp_dir / bar_file(MINUTE_DIR, sid))
        ns = pd.DatetimeIndex(frame["dt"]).as_unit("ns").asi8
        pos = np.unique(np.searchsorted(self._closes_ns, ns, side="left"))
        self._sessions[MINUTE_DIR][sid] = self._sessions_ns[pos]
        self._labels[(MINUTE_DIR, sid)] = label

    # ------------------------------------------------------------------ metadata
    def write_assets(
        self, assets: pd.DataFrame, symbol_history: pd.DataFrame | None = None
    ) -> None:
        """Record the asset table (sid, symbol, asset_name, exchange, dates) and symbol spans.

        Missing start/end dates are filled from the bars at commit; a missing auto_close_date
        becomes end_date + 1 day (zipline's csvdir rule).
        """
        self._assets = _validate_tables.assets(assets)
        if symbol_history is not None:
            self._symbol_history = _validate_tables.symbol_history(symbol_history, self._assets)

    def write_adjustments(
        self,
        *,
        splits: pd.DataFrame | None = None,
        mergers: pd.DataFrame | None = None,
        dividends: pd.DataFrame | None = None,
        stock_dividends: pd.DataFrame | None = None,
        labels: dict[str, str] | None = None,
    ) -> None:
        """Record adjustment tables; validated against assets and bars at commit.

        ``labels`` names each table in error messages (e.g. the source file). A ``ratio``
        column in ``dividends`` gives each dividend's price ratio (finite > 0, or NaN for no
        price adjustment), e.g. the ratios zipline stored; then ex_dates need no bar and
        nothing is recomputed. Without it the ratio is ``1 - amount / previous close``.
        """
        self._adjustments = {
            "splits": splits,
            "mergers": mergers,
            "dividends": dividends,
            "stock_dividends": stock_dividends,
        }
        self._adjustment_labels = dict(labels or {})

    # ------------------------------------------------------------------ commit / abort
    def abort(self) -> None:
        """Discard everything written so far."""
        if not self._done:
            self._done = True
            shutil.rmtree(self._tmp_path, ignore_errors=True)

    def _bar_sessions(self, sid: int) -> pd.DatetimeIndex | None:
        ns = self._sessions[DAILY_DIR].get(sid)
        if ns is None:
            ns = self._sessions[MINUTE_DIR].get(sid)
        return None if ns is None else pd.DatetimeIndex(ns)

    def _write_metadata(self) -> pd.DataFrame:
        if self._assets is None:
            raise IngestError("no assets were written (call write_assets)", file=self.name)
        assets = check_lifetimes(
            self._assets,
            self._sessions,
            self._labels,
            self.calendar,
            self.warn if self.warn_halts else self.notes.append,
            bundle_range=self._session_range(),
            unusual=self.unusual,
        )
        write_table(assets_table(assets), self.tmp_dir / ASSETS_FILE)
        hist = self._symbol_history
        if hist is None:
            hist = assets[["sid", "symbol", "start_date", "end_date"]]
        write_table(symbol_history_table(hist), self.tmp_dir / SYMBOL_HISTORY_FILE)
        return assets

    def _dividend_ratios(self, div: pd.DataFrame) -> np.ndarray:
        """``1 - amount / raw close of the session before ex_date``; NaN (warned) if not > 0."""
        prev_close = previous_closes(div, self.tmp_dir, self.calendar, self._sessions)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = 1.0 - div["amount"].to_numpy(np.float64) / prev_close
        bad = ~(ratio > 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            self.warn(
                f"{int(bad.sum())} dividend(s) have no usable close on the session before "
                f"ex_date (no bar, or amount ≥ close); their ratio is NaN and adjustments "
                f"ignore them (first: sid {int(div['sid'].iloc[i])}, "
                f"ex_date {pd.Timestamp(div['ex_date'].iloc[i]).date()})"
            )
        return np.where(ratio > 0, ratio, np.nan)

    def _write_adjustment_files(self, assets: pd.DataFrame) -> None:
        adj = _validate_tables.adjustments(
            self._adjustments,
            known_sids=set(assets["sid"].tolist()),
            bar_sessions=self._bar_sessions,
            labels=self._adjustment_labels,
        )
        write_table(ratio_table(adj["splits"]), self.tmp_dir / SPLITS_FILE)
        write_table(ratio_table(adj["mergers"]), self.tmp_dir / MERGERS_FILE)
        div = adj["dividends"].sort_values(["sid", "ex_date"], kind="stable")
        div = div.reset_index(drop=True)
        if "ratio" in div.columns:  # given by the source (validated: > 0 or NaN)
            ratio = div["ratio"].to_numpy(np.float64)
        else:
            ratio = self._dividend_ratios(div)
        write_table(dividends_table(div, ratio), self.tmp_dir / DIVIDENDS_FILE)
        write_table(
            stock_dividends_table(adj["stock_dividends"]), self.tmp_dir / STOCK_DIVIDENDS_FILE
        )

    def _session_range(self) -> tuple[str | None, str | None]:
        firsts = [int(v[0]) for d in self._sessions.values() for v in d.values()]
        lasts = [int(v[-1]) for d in self._sessions.values() for v in d.values()]
        first = self.start_session
        if first is None and firsts:
            first = pd.Timestamp(min(firsts))
        last = self.end_session
        if last is None and lasts:
            last = pd.Timestamp(max(lasts))
        return (
            None if first is None else first.strftime("%Y-%m-%d"),
            None if last is None else last.strftime("%Y-%m-%d"),
        )

    def commit(self) -> Manifest:
        """Finish the version: metadata, hashes, manifest, atomic publish. Returns the manifest."""
        if self._done:
            raise RuntimeError("this writer was already committed or aborted")
        try:
            assets = self._write_metadata()
            self._write_adjustment_files(assets)
            disagreement = bar_disagreements(self.tmp_dir, self.calendar, self._sessions)
            if disagreement is not None:
                self.warn(disagreement)
            files = {
                p.relative_to(self.tmp_dir).as_posix(): FileEntry(file_digest(p), p.stat().st_size)
                for p in sorted(self.tmp_dir.rglob("*.parquet"))
            }
            first_s, last_s = self._session_range()
            version = content_hash(
                format_version=FORMAT_VERSION,
                calendar_name=self.calendar_name,
                first_session=first_s,
                last_session=last_s,
                files=files,
            )
            source = dict(self.source)
            lenient_warning = (
                None if self.unusual is None else self.unusual.warning(self.name, self.warnings)
            )
            if lenient_warning is not None:
                source["lenient"] = lenient_warning
            if self.warnings:
                source["warnings"] = self.warnings[:_MAX_RECORDED_WARNINGS]
                source["warning_count"] = len(self.warnings)
            if self.notes:
                source["notes"] = self.notes[:_MAX_RECORDED_WARNINGS]
            manifest = Manifest(
                name=self.name,
                version=version,
                calendar_name=self.calendar_name,
                frequencies=tuple(f for f in ("daily", "minute") if self._sessions[f]),
                first_session=first_s,
                last_session=last_s,
                asset_count=len(assets),
                files=files,
                created_at=_dt.datetime.now(_dt.UTC).isoformat(),
                source=source,
            )
            mpath = self.tmp_dir / MANIFEST_FILE
            mpath.write_text(manifest.to_json())
            fsync_file(mpath)
            for d in {p.parent for p in self.tmp_dir.rglob("*")} | {self.tmp_dir}:
                fsync_dir(d)
            self._publish()
        except BaseException:
            self.abort()
            raise
        self._done = True
        self.manifest = manifest
        if lenient_warning is not None:
            warnings.warn(lenient_warning, IngestWarning, stacklevel=2)
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
        atomic_write(self.bundle_dir / CURRENT_POINTER, final.name + "\n")
        self._version_dir = final
