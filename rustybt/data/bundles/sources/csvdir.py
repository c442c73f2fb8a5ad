"""The csvdir source: zipline's directory of per-symbol CSV files, read unchanged.

Layout (as in zipline's ``csvdir`` bundle)::

    DIR/daily/<SYMBOL>.csv      first column the session date
    DIR/minute/<SYMBOL>.csv     first column the minute (UTC; right-labelled like zipline)

Columns ``open, high, low, close, volume`` and optionally ``dividend`` and ``split``. A data
file is ``<SYMBOL>.csv`` or ``<SYMBOL>.csv.gz`` (read compressed). Sids are given to the
sorted symbols of all frequencies (0, 1, …), exchange ``CSVDIR``, lifetimes from the first/last
bar, ``auto_close_date`` = last bar + 1 day.

``dividend``: a value other than 0 is a cash dividend with that row's date as ex_date.
``split``: a value other than 1 is a split effective on that row's date with
ratio = 1 / split (``split=2`` is a 2-for-1 split, earlier prices × 0.5). Empty cells mean none.
When a symbol has both a daily and a minute file, adjustments come from the daily file.

Unlike zipline, rows are never sorted: unsorted or duplicate dates are an IngestError. What
zipline would read silently but wrongly is refused or warned about (rules in
:mod:`rustybt.data.bundles.sources._csv_files` and docs/bundles.md): two data files for one
symbol, other files in the folder (one IngestWarning lists them), unreadable or corrupt gzip,
a header-only file (refused, not skipped: it is almost always a failed download and would
leave an asset without bars), duplicate column names, and pandas' default ``to_csv()`` index
column (dropped). Bar values are checked by the writer (:mod:`rustybt.data.bundles._validate`):
volumes are read exactly, daily dates with a non-zero UTC offset and columns mixing dates
with and without an offset are refused; at commit, daily bars that disagree with the same
asset's minutes give one IngestWarning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rustybt._progress import Progress
from rustybt.data.bundles.sources._csv_files import read_csv, scan_folder
from rustybt.data.bundles.writer import BundleWriter
from rustybt.errors import IngestError

__all__ = ["CsvdirIngest", "csvdir_ingest", "csvdir_symbols"]

FREQUENCIES = ("daily", "minute")
EXCHANGE = "CSVDIR"


def _scan(
    path: Path | str, frequencies: tuple[str, ...] | None
) -> tuple[dict[str, dict[str, Path]], dict[str, list[str]]]:
    """({frequency: {symbol: file}}, {folder: ignored file names})."""
    root = Path(path)
    if not root.is_dir():
        raise IngestError("csvdir path is not a directory", file=str(root))
    freqs = frequencies or tuple(f for f in FREQUENCIES if (root / f).is_dir())
    if not freqs:
        raise IngestError("no 'daily' or 'minute' directory found", file=str(root))
    out: dict[str, dict[str, Path]] = {}
    ignored: dict[str, list[str]] = {}
    for freq in freqs:
        if freq not in FREQUENCIES:
            raise ValueError(f"unknown frequency {freq!r}; expected one of {FREQUENCIES}")
        folder = root / freq
        files, skipped = scan_folder(folder) if folder.is_dir() else ({}, [])
        if not files:
            raise IngestError("no <symbol>.csv files found", file=str(folder))
        out[freq] = files
        if skipped:
            ignored[str(folder)] = skipped
    return out, ignored


def csvdir_symbols(
    path: Path | str, frequencies: tuple[str, ...] | None = None
) -> dict[str, dict[str, Path]]:
    """{frequency: {symbol: file}} of a csvdir directory (raises IngestError when empty)."""
    return _scan(path, frequencies)[0]


def _event_rows(
    frame: pd.DataFrame, column: str, neutral: float, path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, values) of the non-neutral, non-empty cells of an event column."""
    raw = frame[column]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64)
    bad = np.isnan(num) & raw.notna().to_numpy()
    bad |= np.isinf(num)
    bad |= (num <= 0) if column == "split" else (num < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        need = "a number > 0" if column == "split" else "a finite number ≥ 0"
        raise IngestError(
            f"{column} must be {need}",
            file=str(path),
            row=i + 1,
            column=column,
            value=raw.iloc[i],
        )
    rows = np.flatnonzero(~np.isnan(num) & (num != neutral))
    return rows, num[rows]


def _sessions_of(times: pd.Series, minute: bool, calendar: Any) -> pd.DatetimeIndex:
    if not minute:
        return pd.DatetimeIndex(pd.to_datetime(times)).normalize()
    idx = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return pd.DatetimeIndex(calendar.minutes_to_sessions(idx))


class CsvdirIngest:
    """The ingest function returned by :func:`csvdir_ingest`."""

    def __init__(
        self, path: Path, frequencies: tuple[str, ...] | None, calendar_name: str | None
    ) -> None:
        self.path = path
        self.frequencies = frequencies
        if calendar_name is not None:
            self.calendar_name = calendar_name

    def describe(self) -> str:
        """A short description for the manifest."""
        return f"csvdir_ingest({str(self.path)!r}, frequencies={self.frequencies!r})"

    def __call__(self, writer: BundleWriter) -> None:
        """Read every CSV (one at a time) into ``writer``."""
        files, ignored = _scan(self.path, self.frequencies)
        if ignored:
            listed = "; ".join(f"{folder}: {', '.join(names)}" for folder, names in ignored.items())
            writer.warn(
                f"files that are not <symbol>.csv or <symbol>.csv.gz were ignored: {listed}"
            )
        symbols = sorted(set().union(*(f.keys() for f in files.values())))
        sid_of = {s: i for i, s in enumerate(symbols)}
        writer.write_assets(
            pd.DataFrame(
                {
                    "sid": np.arange(len(symbols)),
                    "symbol": symbols,
                    "asset_name": symbols,
                    "exchange": EXCHANGE,
                }
            )
        )
        splits: list[pd.DataFrame] = []
        dividends: list[pd.DataFrame] = []
        total = sum(len(f) for f in files.values())
        with Progress(
            total, f"csvdir {self.path.name}", enabled=writer.show_progress, unit="file"
        ) as bar:
            for freq in ("daily", "minute"):
                for symbol, path in files.get(freq, {}).items():
                    sid = sid_of[symbol]
                    frame = read_csv(path, "date" if freq == "daily" else "dt")
                    if freq == "daily":
                        writer.write_daily_bars(sid, frame, label=str(path))
                    else:
                        writer.write_minute_bars(sid, frame, label=str(path))
                    if freq == "daily" or symbol not in files.get("daily", {}):
                        s, d = self._adjustments(frame, sid, path, freq == "minute", writer)
                        splits.append(s)
                        dividends.append(d)
                    bar.update()
        writer.write_adjustments(
            splits=pd.concat(splits, ignore_index=True) if splits else None,
            dividends=pd.concat(dividends, ignore_index=True) if dividends else None,
            labels={
                "splits": f"{self.path} (split columns)",
                "dividends": f"{self.path} (dividend columns)",
            },
        )

    @staticmethod
    def _adjustments(
        frame: pd.DataFrame, sid: int, path: Path, minute: bool, writer: BundleWriter
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        time_col = frame.columns[0]
        split = pd.DataFrame({"sid": [], "effective_date": [], "ratio": []})
        div = pd.DataFrame({"sid": [], "ex_date": [], "amount": []})
        if "split" in frame.columns:
            rows, values = _event_rows(frame, "split", 1.0, path)
            if len(rows):
                when = _sessions_of(frame[time_col].iloc[rows], minute, writer.calendar)
                split = pd.DataFrame({"sid": sid, "effective_date": when, "ratio": 1.0 / values})
        if "dividend" in frame.columns:
            rows, values = _event_rows(frame, "dividend", 0.0, path)
            if len(rows):
                when = _sessions_of(frame[time_col].iloc[rows], minute, writer.calendar)
                div = pd.DataFrame({"sid": sid, "ex_date": when, "amount": values})
        return split, div


def csvdir_ingest(
    path: Path | str,
    *,
    frequencies: tuple[str, ...] | None = None,
    calendar_name: str | None = None,
) -> CsvdirIngest:
    """Return an ingest function reading a zipline csvdir directory.

    Args:
        path: The directory holding ``daily/`` and/or ``minute/``.
        frequencies: Which sub-directories to read; default those present.
        calendar_name: Calendar to register with (default: the registry's, ``XNYS``).

    Returns:
        A callable ``fn(writer)`` for :func:`rustybt.data.bundles.register`.
    """
    return CsvdirIngest(Path(path).expanduser(), frequencies, calendar_name)
