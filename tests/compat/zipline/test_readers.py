"""ArrowDailyBarReader / ArrowMinuteBarReader: zipline's BarReader interface over the store.

Checked against a plain-pandas oracle built from the bundle's Parquet files, against zipline's
own bcolz readers over the same data, and by plugging them into zipline's own DataPortal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rustybt import ArrowDataPortal
from rustybt.compat.zipline import ArrowDailyBarReader, ArrowMinuteBarReader
from rustybt.compat.zipline.readers import NoDataForSid, NoDataOnDate

FIELDS = ["open", "high", "low", "close", "volume"]


def _daily_oracle(bundle: Any, sid: int) -> pd.DataFrame:
    """One asset's bars on every session: NaN prices / 0 volume where there is no bar."""
    bars = bundle.read_daily(sid).set_index("date")
    frame = bars.reindex(pd.DatetimeIndex(bundle.sessions))[FIELDS].astype(float)
    frame["volume"] = frame["volume"].fillna(0.0)
    return frame


def _minute_oracle(bundle: Any, sid: int, minutes: pd.DatetimeIndex) -> pd.DataFrame:
    bars = bundle.read_minute(sid).set_index("dt")
    frame = bars.reindex(minutes)[FIELDS].astype(float)
    frame["volume"] = frame["volume"].fillna(0.0)
    return frame


def _same_ts(a: Any, b: Any) -> bool:
    return (a is pd.NaT and b is pd.NaT) or bool(a == b)


@pytest.fixture(scope="module")
def readers(world: Any) -> tuple[ArrowDailyBarReader, ArrowMinuteBarReader]:
    return ArrowDailyBarReader(world.bundle), ArrowMinuteBarReader(world.bundle)


def test_interface_attributes(world: Any, readers: Any) -> None:
    daily, minute = readers
    zd, zm = world.zipline.daily_reader, world.zipline.minute_reader
    assert daily.data_frequency == zd.data_frequency == "session"
    assert minute.data_frequency == zm.data_frequency == "minute"
    assert daily.last_available_dt == zd.last_available_dt
    assert minute.last_available_dt == zm.last_available_dt
    assert daily.first_trading_day == pd.Timestamp(world.bundle.first_session)
    assert minute.first_trading_day == pd.Timestamp(zm.first_trading_day)
    assert daily.sessions.equals(pd.DatetimeIndex(zd.sessions))
    assert daily.trading_calendar.name == zd.trading_calendar.name
    assert daily.sids == minute.sids == [0, 1, 2, 3]
    assert "ArrowDailyBarReader" in repr(daily)
    assert isinstance(daily.portal, ArrowDataPortal)
    from_portal = ArrowMinuteBarReader(daily.portal)
    assert from_portal.portal is daily.portal


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_daily_load_raw_arrays_matches_oracle(world: Any, readers: Any, data: Any) -> None:
    daily, _ = readers
    sessions = pd.DatetimeIndex(world.bundle.sessions)
    i = data.draw(st.integers(0, len(sessions) - 1))
    j = data.draw(st.integers(i, len(sessions) - 1))
    sids = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=5))
    columns = data.draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5))
    got = daily.load_raw_arrays(columns, sessions[i], sessions[j], sids)
    for column, arr in zip(columns, got, strict=True):
        assert arr.dtype == np.float64 and arr.shape == (j - i + 1, len(sids))
        want = np.column_stack(
            [_daily_oracle(world.bundle, s)[column].to_numpy()[i : j + 1] for s in sids]
        )
        np.testing.assert_array_equal(arr, want)


def test_daily_raw_arrays_match_bcolz(world: Any, readers: Any) -> None:
    daily, _ = readers
    zd = world.zipline.daily_reader
    sessions = pd.DatetimeIndex(world.bundle.sessions)
    ours = daily.load_raw_arrays(FIELDS, sessions[3], sessions[-2], [0, 1, 2, 3])
    theirs = zd.load_raw_arrays(FIELDS, sessions[3], sessions[-2], [0, 1, 2, 3])
    for a, b in zip(ours, theirs, strict=True):
        # bcolz stores uint32(price * 1000): equal to the last bit or two
        np.testing.assert_allclose(a, b.astype(np.float64), rtol=1e-15, atol=0)


def test_minute_load_raw_arrays_matches_oracle_and_bcolz(world: Any, readers: Any) -> None:
    _, minute = readers
    zm = world.zipline.minute_reader
    cal = world.zipline.calendar
    sessions = pd.DatetimeIndex(world.bundle.sessions)
    minutes = pd.DatetimeIndex(cal.sessions_minutes(sessions[10], sessions[12]))
    start, end = minutes[100], minutes[-50]
    window = minutes[(minutes >= start) & (minutes <= end)]
    ours = minute.load_raw_arrays(FIELDS, start, end, [3, 0])
    theirs = zm.load_raw_arrays(FIELDS, start, end, [3, 0])
    for column, a, b in zip(FIELDS, ours, theirs, strict=True):
        want = np.column_stack(
            [_minute_oracle(world.bundle, s, window)[column].to_numpy() for s in (3, 0)]
        )
        np.testing.assert_array_equal(a, want)
        np.testing.assert_allclose(a, b.astype(np.float64), rtol=1e-15, atol=0)


def test_get_value_and_last_traded(world: Any, readers: Any) -> None:
    daily, minute = readers
    zd, zm = world.zipline.daily_reader, world.zipline.minute_reader
    cal = world.zipline.calendar
    assets = world.assets
    for session in list(world.bundle.sessions)[::3]:
        for asset in assets:
            oracle = _daily_oracle(world.bundle, asset.sid).loc[session]
            for field in FIELDS:
                assert np.array_equal(
                    daily.get_value(asset.sid, session, field), oracle[field], equal_nan=True
                )
            assert _same_ts(
                daily.get_last_traded_dt(asset, session), zd.get_last_traded_dt(asset, session)
            )
            dt = cal.session_close(session) - pd.Timedelta(7, "min")
            for field in FIELDS:
                got, want = (
                    minute.get_value(asset.sid, dt, field),
                    zm.get_value(asset.sid, dt, field),
                )
                assert np.isclose(got, want, rtol=1e-15, atol=0, equal_nan=True)
            assert _same_ts(minute.get_last_traded_dt(asset, dt), zm.get_last_traded_dt(asset, dt))


def test_daily_last_traded_matches_oracle(world: Any, readers: Any) -> None:
    daily, _ = readers
    for sid in range(4):
        oracle = _daily_oracle(world.bundle, sid)
        for session in oracle.index[::5]:
            traded = oracle.loc[:session]
            traded = traded[traded["volume"] > 0]
            want = traded.index[-1] if len(traded) else pd.NaT
            assert _same_ts(daily.get_last_traded_dt(sid, session), want)


def test_errors(world: Any, readers: Any) -> None:
    daily, minute = readers
    saturday = pd.Timestamp("2020-01-04")
    with pytest.raises(NoDataOnDate):
        daily.get_value(0, saturday, "close")
    with pytest.raises(NoDataOnDate):
        minute.get_value(0, pd.Timestamp("2020-01-03 23:00", tz="UTC"), "close")
    with pytest.raises(NoDataForSid):
        daily.get_value(99, world.bundle.sessions[3], "close")
    with pytest.raises(ValueError, match="unknown bar column"):
        daily.get_value(0, world.bundle.sessions[3], "price")
    with pytest.raises(ValueError, match="unknown bar column"):
        daily.load_raw_arrays(["vwap"], world.bundle.sessions[0], world.bundle.sessions[1], [0])
    assert daily.get_last_traded_dt(99, world.bundle.sessions[3]) is pd.NaT
    assert daily.get_last_traded_dt(0, pd.Timestamp("1999-01-04")) is pd.NaT
    # zipline's NoDataOnDate is caught by zipline code
    from zipline.data.bar_reader import NoDataOnDate as ZNoDataOnDate

    with pytest.raises(ZNoDataOnDate):
        daily.get_value(0, saturday, "close")


def test_zipline_data_portal_runs_on_arrow_readers(world: Any) -> None:
    """zipline's own DataPortal accepts the Arrow readers and gives zipline's windows."""
    from zipline.data.data_portal import DataPortal as ZiplineDataPortal

    z = world.zipline
    daily = ArrowDailyBarReader(world.bundle, calendar=z.calendar)
    minute = ArrowMinuteBarReader(world.bundle, calendar=z.calendar)
    assert daily.trading_calendar is z.calendar
    portal = ZiplineDataPortal(
        z.asset_finder,
        z.calendar,
        z.first_trading_day,
        equity_daily_reader=daily,
        equity_minute_reader=minute,
        adjustment_reader=z.adjustment_reader,
    )
    assets = world.assets
    for end in list(world.bundle.sessions)[20::7]:
        for field in ("close", "price", "volume"):
            got = portal.get_history_window(assets, end, 15, "1d", field, "daily")
            want = z.data_portal.get_history_window(assets, end, 15, "1d", field, "daily")
            # the Arrow readers return the Parquet prices (56.97), bcolz uint32 * 0.001
            # (56.970000000000006): equal to the last bit or two
            pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-15, atol=0)
