"""Build zipline-reloaded's world from a rustybt bundle, for compatibility tests and benchmarks.

Two ways, both driven by zipline's own writers so the reference is what zipline itself stores:

- :func:`build_zipline_world` writes a bundle's bars with ``BcolzDailyBarWriter`` /
  ``BcolzMinuteBarWriter``, its assets with ``AssetDBWriter`` and its splits, mergers, dividends
  and stock dividends with ``SQLiteAdjustmentWriter``, then opens zipline's readers and
  ``DataPortal`` over them.
  (:mod:`~rustybt.compat.zipline.world_cache` keeps one such world per bundle version.)
- :func:`write_csvdir` + :func:`ingest_zipline_csvdir` write the bundle's bars as zipline
  ``csvdir`` CSVs (with ``dividend``/``split`` columns) and ingest them with zipline's csvdir
  bundle: the "same CSVs into both" route.

zipline stores prices as ``uint32(round(price × 1000))`` and a zero as "no data", so a session
without a bar inside an asset's first..last bar range (a halt) is written as a zero row, which
zipline reads back as NaN prices and volume 0 — the same meaning as rustybt's missing bar.

zipline-reloaded must be importable (the ``dev`` extra); importing this module does not import
zipline, the functions do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rustybt.data.bundles import Bundle

__all__ = [
    "ZiplineWorld",
    "build_zipline_world",
    "csvdir_frames",
    "ingest_zipline_csvdir",
    "write_csvdir",
    "zipline_available",
]

_OHLCV = ["open", "high", "low", "close", "volume"]
# zipline's own file names in a world (also those of a zipline ingestion)
_ASSETS_DB = "assets-{version}.sqlite"
_DAILY_BCOLZ = "daily_equities.bcolz"
_MINUTE_BCOLZ = "minute_equities.bcolz"
_ADJUSTMENTS = "adjustments.sqlite"


def zipline_available() -> bool:
    """True when zipline-reloaded can be imported."""
    try:
        import zipline  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class ZiplineWorld:
    """zipline's objects over data written from one rustybt bundle.

    Attributes:
        path: Directory holding zipline's files.
        data_portal: zipline's ``DataPortal`` over the readers below.
        daily_reader: ``BcolzDailyBarReader`` (None when the bundle has no daily bars).
        minute_reader: ``BcolzMinuteBarReader`` (None when the bundle has no minute bars).
        adjustment_reader: ``SQLiteAdjustmentReader``.
        asset_finder: zipline's ``AssetFinder``.
        calendar: zipline's (right-sided exchange-calendars) trading calendar.
        first_trading_day: First session of the bars.
    """

    path: Path
    data_portal: Any
    daily_reader: Any
    minute_reader: Any
    adjustment_reader: Any
    asset_finder: Any
    calendar: Any
    first_trading_day: pd.Timestamp

    def assets(self, sids: list[int] | None = None) -> list[Any]:
        """zipline's asset objects for ``sids`` (default: all)."""
        finder = self.asset_finder
        return list(finder.retrieve_all(finder.sids if sids is None else sids))


def _zipline_calendar(bundle: Bundle) -> Any:
    from zipline.utils.calendar_utils import get_calendar

    return get_calendar(bundle.calendar_name)


def _equities_frame(bundle: Bundle) -> pd.DataFrame:
    """The asset table in AssetDBWriter's layout (indexed by sid)."""
    assets = bundle.read_assets().set_index("sid").sort_index()
    frame = pd.DataFrame(index=assets.index)
    frame["symbol"] = assets["symbol"].astype(str)
    frame["asset_name"] = assets["asset_name"].fillna("").astype(str)
    for col in ("start_date", "end_date", "first_traded", "auto_close_date"):
        frame[col] = pd.to_datetime(assets[col]).astype("datetime64[ns]")
    exchange = assets["exchange"].fillna("").astype(str)
    frame["exchange"] = exchange.where(exchange != "", bundle.calendar_name)
    frame.index.name = "sid"
    return frame


def _exchanges_frame(equities: pd.DataFrame, calendar_name: str) -> pd.DataFrame:
    names = sorted(set(equities["exchange"]))
    return pd.DataFrame(
        {"exchange": names, "canonical_name": [calendar_name] * len(names), "country_code": "US"}
    )


def _daily_rows(bundle: Bundle, sid: int, calendar: Any) -> pd.DataFrame:
    """One asset's daily bars on every session of its first..last bar range (halts as zeros)."""
    bars = bundle.read_daily(sid)
    idx = pd.DatetimeIndex(bars["date"])
    sessions = calendar.sessions_in_range(idx[0], idx[-1])
    frame = bars.set_index(idx)[_OHLCV].reindex(sessions)
    frame[["open", "high", "low", "close"]] = frame[["open", "high", "low", "close"]].fillna(0.0)
    frame["volume"] = frame["volume"].fillna(0).astype(np.int64)
    frame.index.name = "day"
    return frame


def _minute_rows(bundle: Bundle, sid: int) -> pd.DataFrame:
    bars = bundle.read_minute(sid)
    frame = bars.set_index(pd.DatetimeIndex(bars["dt"]))[_OHLCV]
    frame["volume"] = frame["volume"].astype(np.int64)
    return frame


def _adjustments(bundle: Bundle) -> dict[str, pd.DataFrame]:
    """The bundle's adjustment tables in SQLiteAdjustmentWriter's layout."""
    out: dict[str, pd.DataFrame] = {}
    for key, reader in (("splits", bundle.read_splits), ("mergers", bundle.read_mergers)):
        frame = reader()
        out[key] = pd.DataFrame(
            {
                "sid": frame["sid"].astype(np.int64),
                "effective_date": pd.to_datetime(frame["effective_date"]).astype("datetime64[ns]"),
                "ratio": frame["ratio"].astype(np.float64),
            }
        )
    dates = ("ex_date", "record_date", "declared_date", "pay_date")
    div = bundle.read_dividends()
    out["dividends"] = pd.DataFrame(
        {
            "sid": div["sid"].astype(np.int64),
            **{c: pd.to_datetime(div[c]).astype("datetime64[ns]") for c in dates},
            "amount": div["amount"].astype(np.float64),
        }
    )
    sd = bundle.read_stock_dividends()
    out["stock_dividends"] = pd.DataFrame(
        {
            "sid": sd["sid"].astype(np.int64),
            **{c: pd.to_datetime(sd[c]).astype("datetime64[ns]") for c in dates},
            "payment_sid": sd["payment_sid"].astype(np.int64),
            "ratio": sd["ratio"].astype(np.float64),
        }
    )
    return out


def build_zipline_world(bundle: Bundle, directory: Path | str) -> ZiplineWorld:
    """Write ``bundle`` with zipline's writers into ``directory`` and open zipline's portal.

    Args:
        bundle: A rustybt bundle (daily and/or minute bars).
        directory: An empty (or new) directory for zipline's files.

    Returns:
        A :class:`ZiplineWorld` whose ``data_portal`` is zipline's ``DataPortal``.
    """
    from zipline.assets import AssetDBWriter, AssetFinder
    from zipline.data.adjustments import SQLiteAdjustmentReader, SQLiteAdjustmentWriter
    from zipline.data.bcolz_daily_bars import BcolzDailyBarReader, BcolzDailyBarWriter
    from zipline.data.bcolz_minute_bars import BcolzMinuteBarReader, BcolzMinuteBarWriter

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    calendar = _zipline_calendar(bundle)
    first, last = bundle.first_session, bundle.last_session

    equities = _equities_frame(bundle)
    from zipline.assets.asset_db_schema import ASSET_DB_VERSION

    # zipline's own file names, so the directory is also a zipline ingestion (importable)
    assets_db = path / _ASSETS_DB.format(version=ASSET_DB_VERSION)
    AssetDBWriter(str(assets_db)).write(
        equities=equities, exchanges=_exchanges_frame(equities, bundle.calendar_name)
    )
    asset_finder = AssetFinder(str(assets_db))

    daily_reader = None
    daily_sids = bundle.sids_with_bars("daily")
    if daily_sids:
        daily_path = str(path / _DAILY_BCOLZ)
        BcolzDailyBarWriter(daily_path, calendar, first, last).write(
            ((sid, _daily_rows(bundle, sid, calendar)) for sid in daily_sids),
            assets=set(daily_sids),
        )
        daily_reader = BcolzDailyBarReader(daily_path)

    minute_reader = None
    minute_sids = bundle.sids_with_bars("minute")
    if minute_sids:
        minute_path = path / _MINUTE_BCOLZ
        minute_path.mkdir(exist_ok=True)
        minutes_per_day = int(
            (calendar.closes[first:last] - calendar.opens[first:last]).max().total_seconds() // 60
        )
        writer = BcolzMinuteBarWriter(
            str(minute_path), calendar, first, last, minutes_per_day=max(minutes_per_day, 1)
        )
        writer.write((sid, _minute_rows(bundle, sid)) for sid in minute_sids)
        minute_reader = BcolzMinuteBarReader(str(minute_path))

    # (rustybt bundles carry dividends only for sids with daily bars, which zipline's
    # writer needs to compute their ratios)
    adjustments = _adjustments(bundle)
    adj_path = str(path / _ADJUSTMENTS)
    with SQLiteAdjustmentWriter(adj_path, daily_reader, overwrite=True) as writer:
        writer.write(**adjustments)
    adjustment_reader = SQLiteAdjustmentReader(adj_path)

    return zipline_world(path, asset_finder, calendar, daily_reader, minute_reader,
                         adjustment_reader, first)


def zipline_world(path: Path, asset_finder: Any, calendar: Any, daily_reader: Any,
                  minute_reader: Any, adjustment_reader: Any, first: Any) -> ZiplineWorld:
    """The :class:`ZiplineWorld` over readers already opened (built or reopened from disk)."""
    return ZiplineWorld(
        path=path,
        data_portal=_zipline_portal(asset_finder, calendar, daily_reader, minute_reader,
                                    adjustment_reader),
        daily_reader=daily_reader,
        minute_reader=minute_reader,
        adjustment_reader=adjustment_reader,
        asset_finder=asset_finder,
        calendar=calendar,
        first_trading_day=pd.Timestamp(first),
    )


def _zipline_portal(
    asset_finder: Any, calendar: Any, daily: Any, minute: Any, adjustments: Any
) -> Any:
    from zipline.data.data_portal import DataPortal

    reader = daily if daily is not None else minute
    first = reader.first_trading_day
    if minute is not None and daily is not None:
        first = max(pd.Timestamp(daily.first_trading_day), pd.Timestamp(minute.first_trading_day))
    return DataPortal(
        asset_finder,
        calendar,
        first_trading_day=first,
        equity_daily_reader=daily,
        equity_minute_reader=minute,
        adjustment_reader=adjustments,
    )


# ---------------------------------------------------------------------------- csvdir route
def csvdir_frames(bundle: Bundle, frequency: str = "daily") -> dict[str, pd.DataFrame]:
    """The bundle's bars as zipline csvdir frames, keyed by symbol.

    Each frame has a ``date`` index and open, high, low, close, volume columns; daily frames add
    ``dividend`` and ``split`` (minute frames carry none: csvdir reads them from every frequency)
    and carry every session of the asset's first..last bar range with halts as zero
    rows. csvdir numbers sids by sorted symbol, so the bundle's sids must be 0..n-1 in symbol order
    for the two sides to agree (checked).
    """
    assets = bundle.read_assets().sort_values("sid")
    symbols = assets["symbol"].astype(str).tolist()
    sids = assets["sid"].astype(int).tolist()
    if sids != list(range(len(sids))) or symbols != sorted(symbols):
        raise ValueError(
            f"bundle {bundle.name}: csvdir needs sids 0..n-1 in sorted symbol order, "
            f"got sids {sids} for symbols {symbols}"
        )
    calendar = _zipline_calendar(bundle)
    adj = _adjustments(bundle)
    if len(adj["mergers"]) or len(adj["stock_dividends"]):
        raise ValueError(f"bundle {bundle.name}: csvdir cannot carry mergers or stock dividends")
    with_bars = set(bundle.sids_with_bars(frequency))
    out: dict[str, pd.DataFrame] = {}
    for sid, symbol in zip(sids, symbols, strict=True):
        if sid not in with_bars:
            raise ValueError(f"bundle {bundle.name}: sid {sid} has no {frequency} bars")
        if frequency == "minute":
            # adjustments travel in the daily CSVs: csvdir reads them from every frequency
            # (minute split dates would be counted twice and cannot be tz-aware there).
            frame = _minute_rows(bundle, sid).copy()
            frame.index.name = "date"
            out[symbol] = frame
            continue
        frame = _daily_rows(bundle, sid, calendar).copy()
        frame.index.name = "date"
        split = adj["splits"][adj["splits"]["sid"] == sid]
        div = adj["dividends"][adj["dividends"]["sid"] == sid]
        split_by_day = pd.Series(1.0 / split["ratio"].to_numpy(), index=split["effective_date"])
        div_by_day = pd.Series(div["amount"].to_numpy(), index=div["ex_date"])
        frame["dividend"] = div_by_day.reindex(frame.index).fillna(0.0).to_numpy()
        frame["split"] = split_by_day.reindex(frame.index).fillna(1.0).to_numpy()
        out[symbol] = frame
    return out


def write_csvdir(
    bundle: Bundle, directory: Path | str, frequencies: tuple[str, ...] = ("daily",)
) -> Path:
    """Write ``bundle``'s bars as zipline csvdir CSVs under ``directory/<frequency>/<SYMBOL>.csv``.

    Returns:
        ``directory`` (the csvdir root).
    """
    root = Path(directory)
    for frequency in frequencies:
        folder = root / frequency
        folder.mkdir(parents=True, exist_ok=True)
        for symbol, frame in csvdir_frames(bundle, frequency).items():
            frame.to_csv(folder / f"{symbol}.csv", float_format="%.10g")
    return root


def _csv_sessions(csvdir: Path, frequencies: tuple[str, ...], calendar: Any) -> pd.DatetimeIndex:
    """First and last session found in the CSVs of each frequency."""
    found: list[pd.Timestamp] = []
    for frequency in frequencies:
        for f in sorted((csvdir / frequency).glob("*.csv")):
            dates = pd.DatetimeIndex(pd.to_datetime(pd.read_csv(f, usecols=[0]).iloc[:, 0]))
            ends = dates[[0, -1]]
            if frequency == "minute":
                utc = ends.tz_localize("UTC") if ends.tz is None else ends.tz_convert("UTC")
                ends = pd.DatetimeIndex(calendar.minutes_to_sessions(utc))
            found += list(ends)
    return pd.DatetimeIndex(found)


def ingest_zipline_csvdir(
    csvdir: Path | str,
    zipline_root: Path | str,
    *,
    name: str = "csvdir-compat",
    calendar_name: str = "XNYS",
    start_session: pd.Timestamp | str | None = None,
    end_session: pd.Timestamp | str | None = None,
    frequencies: tuple[str, ...] = ("daily",),
) -> ZiplineWorld:
    """Ingest a csvdir directory with zipline's own csvdir bundle and open its portal.

    Args:
        csvdir: The csvdir root (holding ``daily/`` and/or ``minute/``).
        zipline_root: Used as ``ZIPLINE_ROOT`` for this ingest.
        name: zipline bundle name to register.
        calendar_name: Calendar of the bars.
        start_session: First session (default: first date in the CSVs).
        end_session: Last session (default: last date in the CSVs).
        frequencies: ``('daily',)``, ``('minute',)`` or both.
    """
    from zipline.data import bundles as zb
    from zipline.data.bundles.csvdir import csvdir_equities
    from zipline.utils.calendar_utils import get_calendar

    calendar = get_calendar(calendar_name)
    csvdir = Path(csvdir)
    if start_session is None or end_session is None:
        found = _csv_sessions(csvdir, frequencies, calendar)
        start_session = found.min() if start_session is None else start_session
        end_session = found.max() if end_session is None else end_session
    # csvdir writes the asset table once per frequency into one db and fails on the second, so
    # each frequency is its own zipline bundle; the daily one's adjustments are used.
    loaded: dict[str, Any] = {}
    environ = {**os.environ, "ZIPLINE_ROOT": str(zipline_root)}
    for frequency in frequencies:
        sub = f"{name}-{frequency}"
        zb.register(
            sub,
            csvdir_equities([frequency], str(csvdir)),
            calendar_name=calendar_name,
            start_session=pd.Timestamp(start_session),
            end_session=pd.Timestamp(end_session),
        )
        try:
            zb.ingest(sub, environ=environ, show_progress=False)
            loaded[frequency] = zb.load(sub, environ=environ)
        finally:
            zb.unregister(sub)
    data = loaded["daily"] if "daily" in loaded else loaded["minute"]
    daily = loaded["daily"].equity_daily_bar_reader if "daily" in loaded else None
    minute = loaded["minute"].equity_minute_bar_reader if "minute" in loaded else None
    portal = _zipline_portal(data.asset_finder, calendar, daily, minute, data.adjustment_reader)
    return ZiplineWorld(
        path=Path(zipline_root),
        data_portal=portal,
        daily_reader=daily,
        minute_reader=minute,
        adjustment_reader=data.adjustment_reader,
        asset_finder=data.asset_finder,
        calendar=calendar,
        first_trading_day=pd.Timestamp(start_session),
    )
