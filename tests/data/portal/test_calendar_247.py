"""Session labels on 24-hour calendars and on calendars whose sessions cross midnight UTC.

On "24/7" (and "24/5") the label midnight of session D is also the close minute of session D-1
(right-labelled minutes). A naive label must mean D everywhere (portal history and spot, the
zipline shim, SQL's ``daily_bars.date``); a tz-aware midnight is an instant, read like zipline's
``minute_to_session``: the close of D-1 (what zipline's engine passes for valuations). Every
bundle here is real, written through ``rustybt.testing``; closes encode the session
(``100 + i`` for sid 0, ``200 + i`` for sid 1) so a wrong session shows as a wrong number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rustybt
from rustybt import ArrowDataPortal, HistoryCache
from rustybt.calendars import get_calendar
from rustybt.testing import BundleSpec, make_bundle, session_span

N = 8
POSITIONS = (0, N // 2, N - 1)  # first, middle, last session


def _bars(sessions: pd.DatetimeIndex, base: float) -> pd.DataFrame:
    close = base + np.arange(len(sessions), dtype=float)
    return pd.DataFrame({"date": sessions, "open": close, "high": close + 0.5,
                         "low": close - 0.5, "close": close, "volume": 1000})


def _minute_bars(cal_name: str, sessions: pd.DatetimeIndex, base: float) -> pd.DataFrame:
    """Every trading minute; close = base + session position + minute-of-session / 10_000."""
    cal = get_calendar(cal_name, start=sessions[0], end=sessions[-1])
    frames = []
    for i, s in enumerate(sessions):
        mins = cal.session_minutes(s)
        close = base + i + np.arange(len(mins)) / 10_000
        frames.append(pd.DataFrame({"dt": mins, "open": close, "high": close, "low": close,
                                    "close": close, "volume": 10}))
    return pd.concat(frames, ignore_index=True)


def _world(tmp_path: Path, cal_name: str, first: str, minute: bool = False) -> tuple[
        pd.DatetimeIndex, object, ArrowDataPortal]:
    sessions = session_span(N, first, cal_name)
    if minute:
        mins = {sid: _minute_bars(cal_name, sessions, 100.0 * (sid + 1)) for sid in (0, 1)}
        cal = get_calendar(cal_name, start=sessions[0], end=sessions[-1])
        daily = {}
        for sid, frame in mins.items():
            by = frame.groupby(pd.DatetimeIndex(cal.minutes_to_sessions(
                pd.DatetimeIndex(frame["dt"]))).tz_localize(None))
            daily[sid] = pd.DataFrame({
                "date": by["close"].last().index, "open": by["open"].first().values,
                "high": by["high"].max().values, "low": by["low"].min().values,
                "close": by["close"].last().values, "volume": by["volume"].sum().values})
        spec = BundleSpec.from_bars(daily, minute=mins, calendar_name=cal_name)
    else:
        spec = BundleSpec.from_bars({0: _bars(sessions, 100.0), 1: _bars(sessions, 200.0)},
                                    calendar_name=cal_name)
    bundle = make_bundle(tmp_path, spec, name="cal")
    return sessions, bundle, ArrowDataPortal(bundle)


def _shim(bundle: object, cal_name: str, sessions: pd.DatetimeIndex, minute: bool = False):
    from rustybt.compat.zipline import ArrowDailyBarReader, ArrowMinuteBarReader, DataPortal

    return DataPortal(
        bundle.asset_finder,  # type: ignore[attr-defined]
        get_calendar(cal_name, start=sessions[0], end=sessions[-1]), sessions[0],
        equity_daily_reader=ArrowDailyBarReader(bundle),
        equity_minute_reader=ArrowMinuteBarReader(bundle) if minute else None,
    )


def _sql_close(bundle: object, sid: int, label: pd.Timestamp) -> float:
    frame = rustybt.sql(bundle, "SELECT close FROM daily_bars WHERE sid = ? AND date = ?",
                        [sid, label.date()]).df()
    assert len(frame) == 1, (sid, label)
    return float(frame["close"].iloc[0])


def _all_reads(portal: ArrowDataPortal, shim: object, dt: object) -> dict[str, float]:
    """The daily close at ``dt`` through every door (fast and general paths, spot, shim)."""
    a0, assets = portal.asset_finder.retrieve_asset(0), [0, 1]
    frame = portal.history(assets, "close", 1, end_dt=dt)
    general = portal.history(0, ["close", "volume"], 1, end_dt=dt)
    window = shim.get_history_window([a0], dt, 1, "1d", "close", "daily")  # type: ignore[attr-defined]
    return {
        "fast one": float(portal.history(0, "close", 1, end_dt=dt, return_type="array")[-1]),
        "fast many": float(frame[0].iloc[-1]),
        "general": float(general["close"].iloc[-1]),
        "spot close": float(portal.get_spot_value(0, "close", dt, "daily")),
        "spot price": float(portal.get_spot_value(a0, "price", dt, "daily")),
        "shim spot": float(shim.get_spot_value(a0, "close", dt, "daily")),  # type: ignore[attr-defined]
        "shim window": float(window[a0].iloc[-1]),
    }


@pytest.mark.parametrize("cal_name,first", [("24/7", "2024-01-01"), ("24/5", "2024-01-03"),
                                            ("CMES", "2024-01-02"), ("XNZE", "2023-12-18"),
                                            ("XNYS", "2024-01-02")])
def test_a_naive_session_label_means_that_session(tmp_path: Path, cal_name: str,
                                                   first: str) -> None:
    sessions, bundle, portal = _world(tmp_path, cal_name, first)
    shim = _shim(bundle, cal_name, sessions)
    for i in POSITIONS:
        label = sessions[i]
        expected = _sql_close(bundle, 0, label)
        assert expected == 100.0 + i
        got = _all_reads(portal, shim, label)
        assert got == dict.fromkeys(got, expected), (cal_name, i)
        for spelling in (label.to_pydatetime(), label.date(), np.datetime64(label),
                         str(label.date())):
            assert portal.history(0, "close", 1, end_dt=spelling, return_type="array")[-1] \
                == expected, (cal_name, i, spelling)
            assert portal.get_spot_value(0, "close", spelling, "daily") == expected
        frame = portal.history([0, 1], "close", 1, end_dt=label)
        assert frame.index[-1] == label
        assert frame.iloc[-1].tolist() == [100.0 + i, 200.0 + i]
        assert portal.get_last_traded_dt(0, label, "daily") == label


@pytest.mark.parametrize("cal_name,first", [("24/7", "2024-01-01"), ("24/5", "2024-01-03"),
                                            ("CMES", "2024-01-02"), ("XNZE", "2023-12-18"),
                                            ("XNYS", "2024-01-02")])
def test_a_tz_aware_instant_reads_like_zipline_minute_to_session(
        tmp_path: Path, cal_name: str, first: str) -> None:
    """UTC midnights, the session's first and last minutes and a minute in between: the
    session of a tz-aware value is exchange-calendars' ``minute_to_session`` (zipline's rule),
    except a UTC midnight that is no trading minute, which is the session it labels."""
    sessions, bundle, portal = _world(tmp_path, cal_name, first)
    shim = _shim(bundle, cal_name, sessions)
    cal = get_calendar(cal_name, start=sessions[0] - pd.Timedelta(7, "D"),
                       end=sessions[-1] + pd.Timedelta(14, "D"))
    for i in POSITIONS:
        label = sessions[i]
        first_minute, last_minute = cal.session_first_minute(label), cal.session_last_minute(label)
        middle = first_minute + (last_minute - first_minute) / 2
        for minute in (first_minute, middle.floor("min"), last_minute):
            got = _all_reads(portal, shim, minute)
            assert got == dict.fromkeys(got, 100.0 + i), (cal_name, i, minute)
        utc = label.tz_localize("UTC")
        j = i  # a UTC midnight outside trading hours (an XNZE early close): the label
        if cal.is_trading_minute(utc):
            owner = cal.minute_to_session(utc)
            j = int(sessions.get_loc(owner)) if owner in sessions else -1
        if j < 0:  # the close of a session before the bundle: nothing to read there
            continue
        got = _all_reads(portal, shim, utc)
        assert got == dict.fromkeys(got, 100.0 + j), (cal_name, i, utc)


def test_on_24_7_the_label_and_the_previous_close_are_both_reachable(tmp_path: Path) -> None:
    """The bug: on 24/7 a naive label read the session before, the last session had no label."""
    sessions, _bundle, portal = _world(tmp_path, "24/7", "2024-01-01")
    cal = get_calendar("24/7", start=sessions[0], end=sessions[-1])
    last = sessions[-1]
    assert portal.history(0, "close", 1, end_dt=last, return_type="array")[-1] == 100.0 + N - 1
    assert portal.get_spot_value(0, "close", pd.Timestamp(last), "daily") == 100.0 + N - 1
    # zipline's engine values positions at the tz-aware close of D: session D, never D+1
    for i in range(N - 1):
        close = cal.session_close(sessions[i])
        assert close == sessions[i + 1].tz_localize("UTC")
        assert portal.get_scalar_asset_spot_value(0, "close", close, "daily") == 100.0 + i
        assert portal.get_spot_value(0, "close", sessions[i + 1], "daily") == 100.0 + i + 1
    amb = portal.calendar_index.ambiguous_labels
    assert sorted(amb) == [int(s.value) for s in sessions[1:]]


def test_the_cache_keeps_a_naive_label_and_an_aware_minute_apart(tmp_path: Path) -> None:
    sessions, bundle, _ = _world(tmp_path, "24/7", "2024-01-01")
    portal = ArrowDataPortal(bundle, cache=HistoryCache())
    label = sessions[3]
    for _ in range(2):  # second round from the cache
        naive = portal.history([0], "close", 2, end_dt=label)
        aware = portal.history([0], "close", 2, end_dt=label.tz_localize("UTC"))
        assert naive[0].tolist() == [102.0, 103.0]
        assert aware[0].tolist() == [101.0, 102.0]


@pytest.mark.parametrize("cal_name,first", [("24/7", "2024-01-01"), ("CMES", "2024-01-02")])
def test_minute_data_on_calendars_that_cross_midnight_utc(tmp_path: Path, cal_name: str,
                                                          first: str) -> None:
    sessions, bundle, portal = _world(tmp_path, cal_name, first, minute=True)
    shim = _shim(bundle, cal_name, sessions, minute=True)
    a0 = portal.asset_finder.retrieve_asset(0)
    cal = get_calendar(cal_name, start=sessions[0], end=sessions[-1])
    for i in POSITIONS:
        label = sessions[i]
        mins = cal.session_minutes(label)
        n = len(mins)
        day_close = _sql_close(bundle, 0, label)
        assert day_close == 100.0 + i + (n - 1) / 10_000
        for k in (0, n // 2, n - 1):
            m = mins[k]
            want = 100.0 + i + k / 10_000
            assert portal.history(0, "close", 1, "1m", end_dt=m, return_type="array")[-1] \
                == pytest.approx(want)
            assert portal.get_spot_value(0, "close", m, "minute") == pytest.approx(want)
            assert shim.get_spot_value(a0, "close", m, "minute") == pytest.approx(want)
            # '1d' over minute data: the session of the minute, its bar so far
            daily = portal.history(0, "close", 1, "1d", end_dt=m, data_frequency="minute")
            assert daily.index[-1] == label
            assert daily.iloc[-1] == pytest.approx(want)
        # the close minute gives the whole session, equal to the Parquet daily bar
        full = portal.history(0, "close", 1, "1d", end_dt=mins[-1], data_frequency="minute")
        assert full.iloc[-1] == pytest.approx(day_close)
        assert portal.history(0, "close", 1, end_dt=label, return_type="array")[-1] \
            == pytest.approx(day_close)
