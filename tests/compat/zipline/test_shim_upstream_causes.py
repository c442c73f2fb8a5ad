"""Causes found by running zipline's own portal tests on the shim (tests/.../upstream/).

Each world is written with zipline's own writers (``AssetDBWriter``, bcolz daily and minute
bars, ``SQLiteAdjustmentWriter``), and the shim built from those readers must answer like
zipline's ``DataPortal`` over the same files:

- bars outside an asset's listing dates (zipline applies the listing when it is queried; its
  minute reader never looks for a last trade before ``start_date``, its daily reader does);
- bars whose high/low do not bracket open/close, and data covering a single session;
- the shim warns once, listing what is unusual; rustybt's own ingest still refuses such data;
- building the shim leaves zipline's cached calendar object alone;
- a zipline future passed to the shim raises an error naming futures.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rustybt.errors import FuturesNotSupported, IngestError, IngestWarning
from tests.compat.zipline._calls import SPOT_FIELDS
from tests.compat.zipline._compare import mismatches

OUTSIDE = 1  # listed 2015-01-07..2015-01-13, bars on every session
ODD = 2  # listed throughout; one daily and one minute bar with high/low not bracketing
SESSIONS = ("2015-01-05", "2015-01-16")
LISTING = (pd.Timestamp("2015-01-07"), pd.Timestamp("2015-01-13"))
QUIET_MINUTES = 30  # OUTSIDE trades no minute before this on its start date
_PRICES = ["open", "high", "low", "close"]


@dataclass
class Side:
    """zipline's DataPortal and the shim over the same zipline files."""

    zipline: Any
    shim: Any
    assets: list[Any]
    sessions: pd.DatetimeIndex
    calendar: Any
    caught: list[warnings.WarningMessage]


def _bars(index: pd.DatetimeIndex, sid: int) -> pd.DataFrame:
    k = np.arange(len(index), dtype=np.float64)
    close = np.round(20.0 + sid + 0.01 * (k % 89), 3)
    return pd.DataFrame(
        {
            "open": close - 0.05,
            "high": close + 0.1,
            "low": close - 0.1,
            "close": close,
            "volume": (500 + k).astype(np.int64),
        },
        index=index,
    )


def _world(
    path: Path,
    sessions: tuple[str, str],
    listings: dict[int, tuple[pd.Timestamp, pd.Timestamp]],
    shape: Any = None,
    futures: bool = False,
) -> Side:
    """zipline's files for ``listings`` (sid -> start, end); bars on every session and minute.

    ``shape(sid, frame, minute)`` may edit the bars before zipline writes them.
    """
    from zipline.assets import AssetDBWriter, AssetFinder
    from zipline.data.adjustments import SQLiteAdjustmentReader, SQLiteAdjustmentWriter
    from zipline.data.bcolz_daily_bars import BcolzDailyBarReader, BcolzDailyBarWriter
    from zipline.data.bcolz_minute_bars import BcolzMinuteBarReader, BcolzMinuteBarWriter
    from zipline.data.data_portal import DataPortal as ZiplinePortal
    from zipline.utils.calendar_utils import get_calendar

    from rustybt.data import DataPortal

    calendar = get_calendar("XNYS")
    first, last = pd.Timestamp(sessions[0]), pd.Timestamp(sessions[1])
    days = calendar.sessions_in_range(first, last)
    minutes = calendar.sessions_minutes(first, last)
    equities = pd.DataFrame(
        {
            "symbol": [f"S{sid}" for sid in listings],
            "asset_name": [f"asset {sid}" for sid in listings],
            "start_date": [s for s, _ in listings.values()],
            "end_date": [e for _, e in listings.values()],
            "exchange": "XNYS",
        },
        index=pd.Index(list(listings), name="sid"),
    )
    future_frame = None
    if futures:
        future_frame = pd.DataFrame(
            {
                "symbol": ["CLF15"],
                "root_symbol": ["CL"],
                "start_date": [first],
                "end_date": [last],
                "notice_date": [last],
                "expiration_date": [last],
                "multiplier": [1000.0],
                "exchange": ["XNYS"],
            },
            index=pd.Index([1000], name="sid"),
        )
    db = path / "assets-8.sqlite"
    AssetDBWriter(str(db)).write(
        equities=equities,
        futures=future_frame,
        exchanges=pd.DataFrame(
            {"exchange": ["XNYS"], "canonical_name": ["XNYS"], "country_code": ["US"]}
        ),
    )
    finder = AssetFinder(str(db))
    shape = shape or (lambda sid, frame, minute: frame)
    BcolzDailyBarWriter(str(path / "daily.bcolz"), calendar, first, last).write(
        ((sid, shape(sid, _bars(days, sid), False)) for sid in listings), assets=set(listings)
    )
    daily = BcolzDailyBarReader(str(path / "daily.bcolz"))
    (path / "minute.bcolz").mkdir()
    BcolzMinuteBarWriter(
        str(path / "minute.bcolz"), calendar, first, last, minutes_per_day=390
    ).write((sid, shape(sid, _bars(minutes, sid), True)) for sid in listings)
    minute = BcolzMinuteBarReader(str(path / "minute.bcolz"))
    with SQLiteAdjustmentWriter(str(path / "adj.sqlite"), daily, overwrite=True) as writer:
        writer.write()
    adjustments = SQLiteAdjustmentReader(str(path / "adj.sqlite"))
    readers = {
        "equity_daily_reader": daily,
        "equity_minute_reader": minute,
        "adjustment_reader": adjustments,
    }
    reference = ZiplinePortal(finder, calendar, first, **readers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shim = DataPortal(finder, calendar, first, **readers, rustybt_root=path / "rustybt")
    return Side(
        reference,
        shim,
        finder.retrieve_all(list(listings)),
        pd.DatetimeIndex(days),
        calendar,
        [w for w in caught if issubclass(w.category, IngestWarning)],
    )


def _outside_shape(sid: int, frame: pd.DataFrame, minute: bool) -> pd.DataFrame:
    """OUTSIDE: no trade in the first minutes of its start date. ODD: high/low inverted once."""
    if sid == OUTSIDE and minute:
        start = frame.index.tz_convert(None).normalize() == LISTING[0]
        frame.loc[start & (np.cumsum(start) <= QUIET_MINUTES), :] = 0
    if sid == ODD:
        row = frame.index[3 if not minute else 1000]
        frame.loc[row, "high"] = frame.loc[row, "close"] - 0.02  # high below close
        frame.loc[row, "low"] = frame.loc[row, "open"] + 0.01  # low above open
    return frame


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Side:
    path = tmp_path_factory.mktemp("outside-listing")
    whole = (pd.Timestamp(SESSIONS[0]), pd.Timestamp(SESSIONS[1]))
    return _world(path, SESSIONS, {OUTSIDE: LISTING, ODD: whole}, _outside_shape)


def _spot_calls(side: Side) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []
    for asset in side.assets:
        for day in side.sessions:
            for f in SPOT_FIELDS:
                calls.append(
                    (
                        f"daily {asset.sid} {f} {day.date()}",
                        lambda p, a=asset, f=f, d=day: p.get_spot_value(a, f, d, "daily"),
                    )
                )
            mins = side.calendar.session_minutes(day)
            for m in [*mins[: QUIET_MINUTES + 5], mins[-1]]:
                for f in ("close", "high", "low", "price", "volume", "last_traded"):
                    calls.append(
                        (
                            f"minute {asset.sid} {f} {m}",
                            lambda p, a=asset, f=f, m=m: p.get_spot_value(a, f, m, "minute"),
                        )
                    )
    return calls


def _history_calls(side: Side) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []
    assets = side.assets
    for day in side.sessions[2:]:
        for f in ("close", "high", "low", "volume", "price"):
            calls.append(
                (
                    f"1d {f} {day.date()}",
                    lambda p, f=f, d=day: p.get_history_window(assets, d, 3, "1d", f, "daily"),
                )
            )
    for day in (LISTING[0], LISTING[1] + pd.Timedelta(days=1)):
        mins = side.calendar.session_minutes(day)
        for m in mins[: QUIET_MINUTES + 5 : 3]:
            for f, n in itertools.product(("close", "price", "volume"), (5, 40)):
                calls.append(
                    (
                        f"1m {f} {n} {m}",
                        lambda p, f=f, m=m, n=n: p.get_history_window(
                            assets, m, n, "1m", f, "minute"
                        ),
                    )
                )
    return calls


def test_bars_outside_the_listing_are_served_as_zipline_serves_them(outside: Side) -> None:
    assert mismatches(outside.zipline, outside.shim, _spot_calls(outside)) == []


def test_history_over_bars_outside_the_listing_matches_zipline(outside: Side) -> None:
    assert mismatches(outside.zipline, outside.shim, _history_calls(outside)) == []


def test_minute_last_traded_does_not_look_before_the_start_date(outside: Side) -> None:
    asset = outside.assets[0]
    quiet = outside.calendar.session_minutes(LISTING[0])[QUIET_MINUTES - 1]
    for portal in (outside.zipline, outside.shim):
        assert portal.get_last_traded_dt(asset, quiet, "minute") is pd.NaT
        assert np.isnan(portal.get_spot_value(asset, "price", quiet, "minute"))
    # the daily reader does look before the start date (zipline's rule, kept)
    day_before = pd.Timestamp("2015-01-06")
    for portal in (outside.zipline, outside.shim):
        assert portal.get_last_traded_dt(asset, LISTING[0] - pd.Timedelta(days=1), "daily") == (
            day_before
        )


def test_one_warning_lists_what_is_unusual(outside: Side) -> None:
    assert len(outside.caught) == 1
    message = str(outside.caught[0].message)
    assert "outside the asset's listing" in message
    assert "high/low do not bracket open/close" in message
    assert "sid 1" in message and "2015-01-05" in message


def test_single_session_data_is_served_as_zipline_serves_it(tmp_path: Path) -> None:
    day = ("2015-01-07", "2015-01-07")
    listing = (pd.Timestamp(day[0]), pd.Timestamp(day[1]))
    side = _world(tmp_path, day, {OUTSIDE: listing, ODD: listing})
    calls = _spot_calls(side) + [
        (
            f"1m {f}",
            lambda p, f=f: p.get_history_window(
                side.assets, side.calendar.session_close(listing[0]), 30, "1m", f, "minute"
            ),
        )
        for f in ("close", "price", "volume")
    ]
    assert mismatches(side.zipline, side.shim, calls) == []
    assert len(side.caught) == 1
    assert "data covering a single session: 2015-01-07" in str(side.caught[0].message)


def test_rustybt_ingest_still_refuses_what_the_shim_accepts(tmp_path: Path) -> None:
    from rustybt.data.bundles import BundleWriter

    days = pd.DatetimeIndex(pd.to_datetime(["2015-01-05", "2015-01-06", "2015-01-07"]))
    assets = pd.DataFrame(
        {"sid": [1], "symbol": ["A"], "start_date": [days[1]], "end_date": [days[2]]}
    )
    refused = pytest.raises(IngestError, match="outside the listing of sid 1")
    with refused, BundleWriter(tmp_path / "a", name="a") as writer:
        writer.write_assets(assets)
        writer.write_daily_bars(1, _bars(days, 1).rename_axis("date"))
    bars = _bars(days, 1).rename_axis("date")
    bars.loc[days[1], "high"] = bars.loc[days[1], "close"] - 1
    refused = pytest.raises(IngestError, match=r"high < max\(open, close\)")
    with refused, BundleWriter(tmp_path / "b", name="b") as writer:
        writer.write_assets(assets.assign(start_date=days[0]))
        writer.write_daily_bars(1, bars)


def test_building_the_shim_keeps_zipline_calendar_object(tmp_path: Path) -> None:
    from zipline.utils.calendar_utils import get_calendar as zipline_calendar

    from rustybt.calendars import get_calendar

    before = zipline_calendar("XNYS")
    get_calendar("XNYS", start="2011-03-01", end="2011-06-30")  # a range nobody asked for yet
    assert zipline_calendar("XNYS") is before
    side = _world(tmp_path, ("2012-02-01", "2012-02-10"), {OUTSIDE: LISTING})
    assert zipline_calendar("XNYS") is before
    assert side.calendar is before


def test_a_future_raises_an_error_naming_futures(tmp_path: Path) -> None:
    whole = (pd.Timestamp(SESSIONS[0]), pd.Timestamp(SESSIONS[1]))
    side = _world(tmp_path, SESSIONS, {ODD: whole}, futures=True)
    future = side.shim.asset_finder.retrieve_asset(1000)
    day = side.sessions[3]
    calls = [
        lambda: side.shim.get_spot_value(future, "close", day, "daily"),
        lambda: side.shim.get_spot_value([side.assets[0], future], "close", day, "daily"),
        lambda: side.shim.get_scalar_asset_spot_value(future, "price", day, "daily"),
        lambda: side.shim.get_history_window(
            iter([side.assets[0], future]), day, 2, "1d", "close", "daily"
        ),
        lambda: side.shim.get_last_traded_dt(future, day, "daily"),
        lambda: side.shim.get_adjustments([future], "close", day, day),
    ]
    for fn in calls:
        with pytest.raises(FuturesNotSupported, match="futures") as info:
            fn()
        assert "CLF15" in str(info.value)
        assert isinstance(info.value, NotImplementedError)
    # equities are still served, from a generator too
    window = side.shim.get_history_window(iter(side.assets), day, 2, "1d", "close", "daily")
    assert list(window.columns) == side.assets
