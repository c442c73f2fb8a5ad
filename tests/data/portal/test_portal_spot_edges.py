"""Spot values outside trading hours and outside the data, in both modes (zipline's rules).

- A minute spot value at a time that is not a trading minute (an evening, a night, before the
  first minute) has no bar: OHLC NaN, volume 0; 'price' is the last traded close at or before
  it; 'last_traded' the last minute with volume.
- A dt before the bundle's first session or after its last one is outside every asset's life:
  NaN / volume 0, and NaT for the daily last traded session (zipline's daily reader knows no
  session there); nothing raises.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from rustybt import ArrowDataPortal
from rustybt.testing import BundleSpec as Spec
from rustybt.testing import known_values_spec, make_bundle

OHLC = ("open", "high", "low", "close")


@pytest.fixture(scope="module", params=[False, True], ids=["default", "zipline_exact"])
def fixed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[pd.DatetimeIndex, ArrowDataPortal]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = known_values_spec()
        bundle = make_bundle(tmp_path_factory.mktemp("spot_fixed"), spec, name="fixed")
    return spec.sessions, ArrowDataPortal(bundle, zipline_exact=request.param)


def _dead(p: ArrowDataPortal, sid: int, dt: object, freq: str) -> None:
    for field in (*OHLC, "price"):
        assert math.isnan(p.get_spot_value(sid, field, dt, freq)), (field, dt, freq)
    volume = p.get_spot_value(sid, "volume", dt, freq)
    assert volume == 0 and type(volume) is int


@pytest.mark.parametrize("days", [1, 30, 400])
def test_daily_spot_before_the_first_session_is_nan(fixed: tuple, days: int) -> None:
    s, p = fixed
    dt = s[0] - pd.Timedelta(days, "D")
    for sid in (0, 1, 2, 3):
        _dead(p, sid, dt, "daily")
        assert p.get_spot_value(sid, "last_traded", dt, "daily") is pd.NaT
        assert p.get_last_traded_dt(sid, dt, "daily") is pd.NaT
    listed = p.get_spot_value([0, 2], "close", dt, "daily")
    assert len(listed) == 2 and all(math.isnan(v) for v in listed)


@pytest.mark.parametrize("days", [1, 30, 400])
def test_daily_spot_after_the_last_session_is_nan_not_an_error(fixed: tuple, days: int) -> None:
    s, p = fixed
    dt = s[-1] + pd.Timedelta(days, "D")
    for sid in (0, 1, 2, 3):
        _dead(p, sid, dt, "daily")
        assert p.get_spot_value(sid, "last_traded", dt, "daily") is pd.NaT
        assert p.get_last_traded_dt(sid, dt, "daily") is pd.NaT
    close_minute = pd.Timestamp(s[-1]).tz_localize("UTC") + pd.Timedelta(30, "h")
    _dead(p, 2, close_minute, "daily")


def test_daily_spot_at_the_edges_of_the_data_still_reads_bars(fixed: tuple) -> None:
    s, p = fixed
    assert p.get_spot_value(2, "close", s[0], "daily") == 10.0
    assert p.get_spot_value(2, "close", s[-1], "daily") == 10.0 + len(s) - 1
    assert p.get_last_traded_dt(2, s[-1], "daily") == s[-1]


def test_holiday_label_before_a_listing_is_outside_the_life(fixed: tuple) -> None:
    s, p = fixed
    holiday = pd.Timestamp("2024-07-04")  # rolls forward to 07-05 = session 8, LATE's listing
    assert s[8] == pd.Timestamp("2024-07-05") and holiday not in s
    _dead(p, 1, holiday, "daily")  # dt < start_date: NaN, like zipline
    assert p.get_spot_value(1, "close", s[8], "daily") == 58.0
    assert p.get_spot_value(2, "close", holiday, "daily") == 18.0  # listed: Monday's bar


# ---------------------------------------------------------------------------- minute data
def _last_trade(spec: Spec, sid: int, t: pd.Timestamp) -> pd.Series | None:
    m = spec.minute[sid]
    hit = m[(m["dt"] <= t) & (m["volume"] > 0)]
    return None if hit.empty else hit.iloc[-1]


def _live_sid(spec: Spec) -> tuple[int, pd.Timestamp]:
    """An asset with minute bars and a traded session in the middle of its life."""
    for row in spec.assets.itertuples():
        traded = pd.DatetimeIndex(spec.daily[row.sid]["date"]) if row.sid in spec.daily else []
        if row.sid in spec.minute and len(traded) >= 3:
            return int(row.sid), traded[len(traded) // 2]
    raise AssertionError("no asset trades 3 sessions")  # pragma: no cover


@pytest.mark.parametrize("exact", [False, True])
def test_minute_spot_off_hours_has_no_bar_but_a_price(minute_world: tuple, exact: bool) -> None:
    spec, bundle, _ = minute_world
    p = ArrowDataPortal(bundle, zipline_exact=exact)
    sid, day = _live_sid(spec)
    evening = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(23, "h")
    for field in OHLC:
        assert math.isnan(p.get_spot_value(sid, field, evening, "minute")), field
    assert p.get_spot_value(sid, "volume", evening, "minute") == 0
    last = _last_trade(spec, sid, evening)
    assert last is not None
    assert p.get_spot_value(sid, "price", evening, "minute") == pytest.approx(last["close"],
                                                                              abs=5e-4)
    assert p.get_spot_value(sid, "last_traded", evening, "minute") == last["dt"]
    assert p.get_last_traded_dt(sid, evening, "minute") == last["dt"]
    # the same asset at its last traded minute has a bar
    assert p.get_spot_value(sid, "volume", last["dt"], "minute") == int(last["volume"])
    assert p.get_spot_value(sid, "close", last["dt"], "minute") == pytest.approx(
        last["close"], abs=5e-4)


def test_minute_spot_before_the_first_trading_minute(minute_world: tuple) -> None:
    spec, _, p = minute_world
    first = pd.Timestamp(spec.sessions[0]).tz_localize("UTC") + pd.Timedelta(2, "h")
    for sid in spec.minute:
        _dead(p, sid, first, "minute")
        assert p.get_spot_value(sid, "last_traded", first, "minute") is pd.NaT
        assert p.get_last_traded_dt(sid, first, "minute") is pd.NaT
    before = pd.Timestamp(spec.sessions[0]).tz_localize("UTC") - pd.Timedelta(20, "D")
    for sid in spec.minute:
        _dead(p, sid, before, "minute")
        assert p.get_last_traded_dt(sid, before, "minute") is pd.NaT


def test_minute_spot_after_the_data(minute_world: tuple) -> None:
    spec, _, p = minute_world
    after = pd.Timestamp(spec.sessions[-1]).tz_localize("UTC") + pd.Timedelta(20, "D")
    for sid in spec.minute:
        _dead(p, sid, after, "minute")
        last = _last_trade(spec, sid, after)
        assert last is not None
        # like zipline's minute reader: the last traded minute of the data
        assert p.get_last_traded_dt(sid, after, "minute") == last["dt"]


def test_minute_spot_at_trading_minutes_is_the_bar(minute_world: tuple) -> None:
    spec, _, p = minute_world
    sid, day = _live_sid(spec)
    m = spec.minute[sid]
    minutes = p.calendar.session_minutes(day)
    rows = m[pd.DatetimeIndex(m["dt"]).isin(minutes)]
    assert len(rows) > 0
    for row in rows.iloc[:: max(1, len(rows) // 7)].itertuples():
        for field in OHLC:
            assert p.get_spot_value(sid, field, row.dt, "minute") == getattr(row, field)
        assert p.get_spot_value(sid, "volume", row.dt, "minute") == row.volume
    missing = minutes.difference(pd.DatetimeIndex(m["dt"]))
    if len(missing):
        t = missing[len(missing) // 2]
        assert math.isnan(p.get_spot_value(sid, "close", t, "minute"))
        last = _last_trade(spec, sid, t)
        assert last is not None
        assert p.get_spot_value(sid, "price", t, "minute") == pytest.approx(last["close"])
    assert np.isfinite(p.get_spot_value(sid, "price", rows["dt"].iloc[-1], "minute"))


# ---------------------------------------------------------------------------- '1m' windows
def test_minute_window_ending_off_hours(minute_world: tuple) -> None:
    """Default: ends at the last trading minute before; zipline_exact: raises like zipline."""
    from exchange_calendars.errors import NotTradingMinuteError

    from rustybt import NotATradingMinute

    spec, bundle, p = minute_world
    sid, day = _live_sid(spec)
    evening = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(23, "h")
    close = p.calendar.session_close(day)
    got = p.history(sid, "close", 5, frequency="1m", end_dt=evening, return_type="array")
    want = p.history(sid, "close", 5, frequency="1m", end_dt=close, return_type="array")
    np.testing.assert_array_equal(got, want)

    exact = ArrowDataPortal(bundle, zipline_exact=True)
    for end in (evening, pd.Timestamp(day), close - pd.Timedelta(30, "s")):
        with pytest.raises(NotATradingMinute, match="not a trading minute") as info:
            exact.history([sid], "close", 5, frequency="1m", end_dt=end)
        assert isinstance(info.value, NotTradingMinuteError) and isinstance(info.value,
                                                                            ValueError)
        utc = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
        assert info.value.minute == utc
    assert exact.history([sid], "close", 1, frequency="1m", end_dt=close).shape == (1, 1)
