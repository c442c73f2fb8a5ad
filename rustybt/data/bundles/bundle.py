"""Bundle: one loaded, immutable bundle version (paths, manifest, assets, calendar, readers).

A loaded version can be removed under its reader (``clean`` in another process): every read
then raises :class:`BundleVersionRemoved` naming the version, never an empty result. A file
the manifest lists that is missing while the version is present is ``BundleCorrupted``; only a
bar file the manifest does not list reads as empty (an asset without bars).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rustybt._fs import file_digest
from rustybt.assets import AssetFinder
from rustybt.calendars import get_calendar
from rustybt.data.bundles.format import (
    ASSETS_FILE,
    DAILY_DIR,
    DIVIDENDS_FILE,
    MANIFEST_FILE,
    MERGERS_FILE,
    MINUTE_DIR,
    SPLITS_FILE,
    STOCK_DIVIDENDS_FILE,
    SYMBOL_HISTORY_FILE,
    bar_file,
)
from rustybt.data.bundles.manifest import Manifest
from rustybt.errors import BundleCorrupted, BundleError, BundleVersionRemoved

__all__ = ["CACHE_DIR", "Bundle"]

CACHE_DIR = ".cache"
_SINGLE_SESSION_LOOKBACK_DAYS = 7  # exchange-calendars needs start < end


def _dates_to_timestamps(table: pa.Table) -> pd.DataFrame:
    """Arrow table → pandas, date32 columns as datetime64[ns] (naive)."""
    frame = table.to_pandas(date_as_object=False)
    for name, field in zip(table.column_names, table.schema, strict=True):
        if pa.types.is_date32(field.type):
            frame[name] = frame[name].astype("datetime64[ns]")
    return frame


class Bundle:
    """A bundle version on disk. Cheap to create; everything is read lazily.

    Args:
        path: The version directory (holding ``manifest.json``).
        name: Bundle name (default: from the manifest).
    """

    def __init__(self, path: Path | str, name: str | None = None) -> None:
        self.path = Path(path).resolve()
        if not (self.path / MANIFEST_FILE).exists():
            raise BundleCorrupted(f"{self.path} has no {MANIFEST_FILE}: not a bundle version")
        self.manifest = Manifest.read(self.path)
        self.name = name or self.manifest.name

    @classmethod
    def from_path(cls, path: Path | str) -> Bundle:
        """Open a version directory directly."""
        return cls(path)

    def __repr__(self) -> str:
        return f"Bundle({self.name!r}, version={self.version[:12]}, path={str(self.path)!r})"

    # ---------------------------------------------------------------- identity
    @property
    def version(self) -> str:
        """Content hash of the bundle; the key for every derived cache."""
        return self.manifest.version

    @property
    def calendar_name(self) -> str:
        """exchange-calendars name of the bundle's calendar."""
        return self.manifest.calendar_name

    @property
    def frequencies(self) -> tuple[str, ...]:
        """Bar frequencies present: ``('daily',)``, ``('minute',)`` or both."""
        return self.manifest.frequencies

    @property
    def cache_dir(self) -> Path:
        """Directory for derived data of this version (e.g. the mapped Arrow store)."""
        return self.path.parent / CACHE_DIR / self.version

    # ---------------------------------------------------------------- calendar
    @property
    def first_session(self) -> pd.Timestamp:
        """First session of the bundle (naive label)."""
        return pd.Timestamp(self.manifest.first_session)

    @property
    def last_session(self) -> pd.Timestamp:
        """Last session of the bundle (naive label)."""
        return pd.Timestamp(self.manifest.last_session)

    @cached_property
    def calendar(self) -> Any:
        """The right-sided exchange calendar covering the bundle's sessions.

        exchange-calendars needs ``start < end``: for a bundle with a single session the
        calendar starts a week earlier (it still ends on the bundle's last session).
        """
        first, last = self.first_session, self.last_session
        if first >= last:
            first = last - pd.DateOffset(days=_SINGLE_SESSION_LOOKBACK_DAYS)
        return get_calendar(self.calendar_name, start=first, end=last)

    @cached_property
    def sessions(self) -> pd.DatetimeIndex:
        """All calendar sessions from first to last session."""
        return pd.DatetimeIndex(
            self.calendar.sessions_in_range(self.first_session, self.last_session)
        )

    @cached_property
    def asset_finder(self) -> AssetFinder:
        """Lookups by sid and by symbol as of a date."""
        try:
            return AssetFinder.from_parquet(
                self.path / ASSETS_FILE, self.path / SYMBOL_HISTORY_FILE)
        except FileNotFoundError as exc:
            raise self.missing(Path(exc.filename or self.path / ASSETS_FILE)) from exc

    # ---------------------------------------------------------------- presence
    def check_present(self, path: Path | None = None) -> None:
        """Raise :class:`BundleVersionRemoved` when the version directory is gone."""
        if not (self.path / MANIFEST_FILE).exists():
            raise BundleVersionRemoved(self.name, self.version, self.path, path or self.path)

    def missing(self, path: Path) -> BundleError:
        """The error for a file of this version that is not there: the version was removed
        (:class:`BundleVersionRemoved`), else the file is missing (``BundleCorrupted``)."""
        try:
            self.check_present(path)
        except BundleVersionRemoved as exc:
            return exc
        path = Path(path)
        rel = path.relative_to(self.path).as_posix() if path.is_relative_to(self.path) else None
        what = "listed in the manifest but missing" if rel in self.manifest.files else "missing"
        return BundleCorrupted(f"{path} is {what}")

    # ---------------------------------------------------------------- paths
    @property
    def daily_dir(self) -> Path:
        """Directory of per-asset daily Parquet files."""
        return self.path / DAILY_DIR

    @property
    def minute_dir(self) -> Path:
        """Directory of per-asset minute Parquet files."""
        return self.path / MINUTE_DIR

    def bar_path(self, frequency: str, sid: int) -> Path:
        """Path of one asset's bar file for ``'daily'`` or ``'minute'``."""
        return self.path / bar_file(DAILY_DIR if frequency == "daily" else MINUTE_DIR, sid)

    def sids_with_bars(self, frequency: str) -> list[int]:
        """Sids that have a bar file for the frequency, sorted."""
        folder = self.daily_dir if frequency == "daily" else self.minute_dir
        if not folder.exists():
            self.check_present(folder)
            return []
        return sorted(int(p.stem) for p in folder.glob("*.parquet"))

    # ---------------------------------------------------------------- readers
    def read_bars(self, frequency: str, sid: int) -> pd.DataFrame:
        """One asset's bars as stored (date/dt, open, high, low, close, volume); empty if none."""
        path = self.bar_path(frequency, sid)
        if not path.exists():
            if path.relative_to(self.path).as_posix() in self.manifest.files:
                raise self.missing(path)
            self.check_present(path)
            col = "date" if frequency == "daily" else "dt"
            empty = pd.DataFrame(
                {c: pd.Series([], dtype="float64") for c in ("open", "high", "low", "close")}
            )
            empty.insert(0, col, pd.DatetimeIndex([], tz=None if frequency == "daily" else "UTC"))
            empty["volume"] = pd.Series([], dtype="int64")
            return empty
        return self._read(path).drop(columns=["sid"])

    def read_daily(self, sid: int) -> pd.DataFrame:
        """One asset's daily bars."""
        return self.read_bars("daily", sid)

    def read_minute(self, sid: int) -> pd.DataFrame:
        """One asset's minute bars (dt in UTC)."""
        return self.read_bars("minute", sid)

    def read_table(self, relpath: str) -> pd.DataFrame:
        """Any Parquet file of the version as pandas (dates as datetime64)."""
        return self._read(self.path / relpath)

    def _read(self, path: Path) -> pd.DataFrame:
        try:
            table = pq.read_table(path)
        except FileNotFoundError as exc:  # removed under us, or never there
            raise self.missing(path) from exc
        return _dates_to_timestamps(table)

    def read_assets(self) -> pd.DataFrame:
        """The asset table."""
        return self.read_table(ASSETS_FILE)

    def read_splits(self) -> pd.DataFrame:
        """Splits (sid, effective_date, ratio)."""
        return self.read_table(SPLITS_FILE)

    def read_mergers(self) -> pd.DataFrame:
        """Mergers (sid, effective_date, ratio)."""
        return self.read_table(MERGERS_FILE)

    def read_dividends(self) -> pd.DataFrame:
        """Cash dividends with the ratio fixed at ingest."""
        return self.read_table(DIVIDENDS_FILE)

    def read_stock_dividends(self) -> pd.DataFrame:
        """Stock dividends (sid, ex_date, ..., payment_sid, ratio)."""
        return self.read_table(STOCK_DIVIDENDS_FILE)

    # ---------------------------------------------------------------- integrity
    def verify(self) -> None:
        """Re-hash every file against the manifest; raise BundleCorrupted on any mismatch."""
        for rel, entry in self.manifest.files.items():
            path = self.path / rel
            if not path.exists():
                raise self.missing(path)
            got = file_digest(path)
            if got != entry.sha256:
                raise BundleCorrupted(
                    f"{path}: SHA256 {got} does not match manifest {entry.sha256}"
                )
        if self.manifest.expected_hash() != self.version:
            raise BundleCorrupted(f"{self.path}: manifest content hash does not match its files")
