"""Import zipline data into rustybt bundles: from an ingested zipline bundle, or from its readers.

:func:`import_zipline_bundle` converts a bundle ingested by zipline-reloaded (bcolz daily and
minute bars, or an HDF5 daily file, the assets db and the adjustments db) into a rustybt Parquet
bundle. :func:`zipline_readers_ingest` does the same from reader objects (any object with
zipline's ``BarReader`` interface, zipline's ``AssetFinder`` and ``SQLiteAdjustmentReader``);
the DataPortal shim uses it for foreign readers.

What is carried over, losslessly for what zipline stores:

- bars: every session / minute where zipline has a price or a volume (zipline stores a missing
  bar as zeros and reads NaN prices, volume 0); prices as zipline reads them (``uint32 ×
  0.001``), a single price stored as 0 stays NaN in that field only (the bar is still a trade:
  its close, volume, ``last_traded`` count), volume as int64;
- assets: sid, symbol, asset_name, exchange, start/end dates, first_traded, auto_close_date (as
  dates: rustybt's asset table has no time of day), and the symbol history of
  ``equity_symbol_mappings``;
- splits, mergers, dividend payouts (amount and all four dates) with the price ratio zipline
  stored for each in its ``dividends`` table (not recomputed: zipline computed it from the
  daily reader it was given at write time; a payout it stored no ratio for adjusts no price,
  whether or not the asset has a bar on its ex_date), and stock dividend payouts.

Not carried: futures (rustybt bundles hold equities).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.compat.zipline._import_readers import (
    adjustment_frames,
    asset_frames,
    probe_daily,
    probe_minute,
    reader_sids,
    write_daily,
    write_minute,
)
from rustybt.data.bundles.bundle import Bundle
from rustybt.data.bundles.registry import bundle_root
from rustybt.data.bundles.writer import BundleWriter
from rustybt.errors import IngestError, ZiplineBundleNotFound

__all__ = [
    "ImportSummary",
    "ZiplineBundleNotFound",
    "import_zipline_bundle",
    "write_zipline_readers",
    "zipline_readers_ingest",
]


@dataclass
class ImportSummary:
    """What an import wrote.

    Attributes:
        daily_bars: Daily bars written.
        minute_bars: Minute bars written.
        partial_bars: Of those, bars with some price missing (NaN in that field only).
        assets: Assets written.
        adjustments: Rows written per adjustment table.
        ratio_only_dividends: Dividend ratios zipline stored without a payout, written as
            payouts of amount 0 (they adjust prices, pay nothing).
    """

    daily_bars: int = 0
    minute_bars: int = 0
    partial_bars: int = 0
    assets: int = 0
    adjustments: dict[str, int] = field(default_factory=dict)
    ratio_only_dividends: int = 0


# ---------------------------------------------------------------------------- entry points
def write_zipline_readers(
    writer: BundleWriter,
    *,
    asset_finder: Any,
    daily_reader: Any = None,
    minute_reader: Any = None,
    adjustment_reader: Any = None,
) -> ImportSummary:
    """Write everything the zipline readers hold into ``writer``.

    Args:
        writer: An open :class:`BundleWriter` (the caller commits it).
        asset_finder: zipline's ``AssetFinder`` (or any object with ``sids`` and
            ``retrieve_all``).
        daily_reader: A daily ``BarReader`` (bcolz, HDF5, in-memory ...), or None.
        minute_reader: A minute ``BarReader``, or None.
        adjustment_reader: zipline's ``SQLiteAdjustmentReader``, or None.

    Returns:
        An :class:`ImportSummary`.
    """
    summary = ImportSummary()
    assets, history = asset_frames(asset_finder)
    writer.write_assets(assets, history)
    summary.assets = len(assets)
    sids = assets["sid"].astype(int).tolist()
    if daily_reader is not None:
        have = reader_sids(daily_reader, sids, probe_daily)
        if not have:
            raise IngestError(f"the daily reader {daily_reader!r} has data for none of {sids}")
        write_daily(writer, daily_reader, have, summary)
    if minute_reader is not None:
        have = reader_sids(minute_reader, sids, probe_minute)
        if have:
            write_minute(writer, minute_reader, have, summary)
    if adjustment_reader is not None:
        writer.write_adjustments(**adjustment_frames(adjustment_reader, summary))
    return summary


def zipline_readers_ingest(
    *,
    asset_finder: Any,
    daily_reader: Any = None,
    minute_reader: Any = None,
    adjustment_reader: Any = None,
) -> Callable[[BundleWriter], None]:
    """An ingest function (for ``register``) writing what the zipline readers hold."""

    def ingest(writer: BundleWriter) -> None:
        write_zipline_readers(
            writer,
            asset_finder=asset_finder,
            daily_reader=daily_reader,
            minute_reader=minute_reader,
            adjustment_reader=adjustment_reader,
        )

    return ingest


def _calendar_name(reader: Any) -> str | None:
    try:
        calendar = reader.trading_calendar
    except NotImplementedError:  # zipline's HDF5 daily reader has no calendar
        return None
    return None if calendar is None else str(calendar.name)


def _reader_span(
    daily: Any, minute: Any, calendar_name: str | None = None
) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """Calendar name and first/last session covered by the readers.

    The calendar comes from ``calendar_name``, else the readers, else ``XNYS`` (zipline's
    HDF5 daily files carry no calendar; zipline itself assumes the NYSE one for US equities).
    """
    starts, ends, names = [], [], []
    if daily is not None:
        sessions = pd.DatetimeIndex(daily.sessions)
        starts.append(sessions[0])
        ends.append(sessions[-1])
        names.append(_calendar_name(daily))
    if minute is not None:
        cal = minute.trading_calendar
        starts.append(pd.Timestamp(minute.first_trading_day))
        ends.append(pd.Timestamp(cal.minute_to_session(pd.Timestamp(minute.last_available_dt))))
        names.append(str(cal.name))
    if not starts:
        raise IngestError("zipline import needs a daily or a minute bar reader")
    known = [n for n in names if n]
    name = calendar_name or (known[0] if known else "XNYS")
    return name, min(starts), max(ends)


def _zipline_ingestion(name: str, zipline_root: Path, timestamp: Any) -> Path:
    base = zipline_root / "data" / name
    if not base.is_dir():
        raise ZiplineBundleNotFound(f"no zipline bundle {name!r} under {zipline_root / 'data'}")
    dirs = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    if timestamp is not None:
        dirs = [p for p in dirs if p.name == str(timestamp)]
    if not dirs:
        raise ZiplineBundleNotFound(
            f"zipline bundle {name!r} has no ingestion {timestamp or ''} under {base}"
        )
    return dirs[-1]


def _open_ingestion(path: Path) -> dict[str, Any]:
    """zipline's readers over one ingestion directory (bcolz, or an HDF5 daily file)."""
    from zipline.assets import AssetFinder
    from zipline.data.adjustments import SQLiteAdjustmentReader
    from zipline.data.bcolz_daily_bars import BcolzDailyBarReader
    from zipline.data.bcolz_minute_bars import BcolzMinuteBarReader

    assets_db = sorted(path.glob("assets-*.sqlite"))
    if not assets_db:
        raise ZiplineBundleNotFound(f"{path} holds no assets-N.sqlite: not a zipline ingestion")
    out: dict[str, Any] = {"asset_finder": AssetFinder(str(assets_db[-1]))}
    daily_bcolz = path / "daily_equities.bcolz"
    h5 = sorted(path.glob("*.h5"))
    if daily_bcolz.exists():
        out["daily_reader"] = BcolzDailyBarReader(str(daily_bcolz))
    elif h5:
        from zipline.data.hdf5_daily_bars import HDF5DailyBarReader

        out["daily_reader"] = HDF5DailyBarReader.from_path(str(h5[0]), "US")
    minute = path / "minute_equities.bcolz"
    if (minute / "metadata.json").exists():
        reader = BcolzMinuteBarReader(str(minute))
        out["minute_reader"] = reader
    adj = path / "adjustments.sqlite"
    if adj.exists():
        out["adjustment_reader"] = SQLiteAdjustmentReader(str(adj))
    return out


def import_zipline_bundle(
    zipline_bundle: str,
    *,
    zipline_root: Path | str | None = None,
    as_name: str | None = None,
    root: Path | str | None = None,
    timestamp: str | None = None,
    calendar_name: str | None = None,
    show_progress: bool | None = None,
) -> tuple[Bundle, ImportSummary]:
    """Convert an ingested zipline bundle into a new version of a rustybt bundle.

    Args:
        zipline_bundle: The zipline bundle name (a directory under ``<zipline_root>/data``).
        zipline_root: zipline's root (default ``$ZIPLINE_ROOT`` or ``~/.zipline``).
        as_name: rustybt bundle name (default: the zipline name).
        root: rustybt root (default ``$RUSTYBT_ROOT`` or ``~/.rustybt``).
        timestamp: A specific ingestion directory name (default: the newest).
        calendar_name: Calendar of the bars (default: the readers'; ``XNYS`` for an HDF5 daily
            file, which records none).
        show_progress: Progress on stderr: True, False, or None for a bar on a terminal only.

    Returns:
        The new rustybt bundle version and an :class:`ImportSummary`.
    """
    zroot = Path(
        zipline_root or os.environ.get("ZIPLINE_ROOT") or Path.home() / ".zipline"
    ).expanduser()
    ingestion = _zipline_ingestion(zipline_bundle, zroot, timestamp)
    readers = _open_ingestion(ingestion)
    # a zipline ingestion always has both bcolz stores; one is empty for a one-frequency bundle
    sids = sorted(int(s) for s in readers["asset_finder"].sids)
    for key, probe in (("daily_reader", probe_daily), ("minute_reader", probe_minute)):
        if readers.get(key) is not None and not reader_sids(readers[key], sids, probe):
            readers[key] = None
    daily, minute = readers.get("daily_reader"), readers.get("minute_reader")
    calendar_name, first, last = _reader_span(daily, minute, calendar_name)
    name = as_name or zipline_bundle
    with BundleWriter(
        bundle_root(root) / "bundles" / name,
        name=name,
        calendar_name=calendar_name,
        start_session=first,
        end_session=last,
        source={"zipline_bundle": zipline_bundle, "zipline_ingestion": str(ingestion)},
        show_progress=show_progress,
    ) as writer:
        summary = write_zipline_readers(writer, **readers)
    return Bundle(writer.version_dir, name=name), summary
