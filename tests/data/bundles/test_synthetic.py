"""The synthetic source: deterministic, realistic OHLCV, hard cases on the calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rustybt.calendars import get_calendar
from rustybt.data.bundles.sources import synthetic_frames, synthetic_ingest
from rustybt.data.bundles.sources._synthetic_paths import reflect


@pytest.fixture(scope="module")
def data():  # 8 assets cover every hard case (sid % 4, % 8, % 5)
    return synthetic_frames(8, 1.0, minute=True, minute_assets=5, seed=3)


def test_same_arguments_give_identical_frames(data):
    again = synthetic_frames(8, 1.0, minute=True, minute_assets=5, seed=3)
    pd.testing.assert_frame_equal(data.assets, again.assets)
    for sid in data.daily:
        pd.testing.assert_frame_equal(data.daily[sid], again.daily[sid])
    for sid in data.minute:
        pd.testing.assert_frame_equal(data.minute[sid], again.minute[sid])
    pd.testing.assert_frame_equal(data.dividends, again.dividends)


def test_other_seed_changes_prices_and_asset_does_not_depend_on_count(data):
    other = synthetic_frames(8, 1.0, seed=4)
    assert not np.array_equal(
        other.daily[0]["close"], synthetic_frames(8, 1.0, seed=3).daily[0]["close"]
    )
    fewer = synthetic_frames(2, 1.0, seed=4)
    pd.testing.assert_frame_equal(fewer.daily[1], other.daily[1])


def test_default_end_session_is_fixed():
    d = synthetic_frames(1, 0.1)
    assert d.sessions[-1] == pd.Timestamp("2024-12-31")


@pytest.mark.parametrize("freq", ["daily", "minute"])
def test_ohlc_relations_cents_and_bounds(data, freq):
    frames = data.daily if freq == "daily" else data.minute
    assert frames
    for frame in frames.values():
        o, h, lo, c = (frame[k].to_numpy() for k in ("open", "high", "low", "close"))
        assert (lo <= np.minimum(o, c)).all() and (np.maximum(o, c) <= h).all()
        assert (lo > 0).all() and (h < 4294.0).all()
        for col in (o, h, lo, c):
            np.testing.assert_array_equal(np.round(col, 2), col)  # cents
        assert frame["volume"].dtype == np.int64
        assert (frame["volume"] > 0).all() and (frame["volume"] < 2**32).all()


def test_hard_cases_are_built_in(data):
    a = data.assets.set_index("sid")
    first, last = data.sessions[0], data.sessions[-1]
    assert a.loc[1, "start_date"] > first  # late listing
    assert a.loc[2, "end_date"] < last  # early delisting
    assert set(data.splits["sid"]) >= {0, 3, 4}
    assert data.splits.set_index("sid").loc[4, "ratio"] == 2.0  # reverse split
    assert {0, 1} <= set(data.dividends["sid"])
    cal = get_calendar("XNYS", start=first, end=last)
    for sid in (2, 3):  # halts: sessions inside the listing without a bar
        life = cal.sessions_in_range(a.loc[sid, "start_date"], a.loc[sid, "end_date"])
        assert len(data.daily[sid]) < len(life)
    for sid, frame in data.daily.items():  # bars inside the listing only
        assert frame["date"].iloc[0] >= a.loc[sid, "start_date"]
        assert frame["date"].iloc[-1] <= a.loc[sid, "end_date"]
    hist = data.symbol_history
    assert len(hist[hist["sid"] == 7]) == 2  # a symbol change
    # every ex_date has a bar (and so does the session before it)
    for row in data.dividends.itertuples():
        dates = set(data.daily[row.sid]["date"])
        assert row.ex_date in dates


def test_split_appears_in_raw_prices(data):
    split = data.splits[data.splits["sid"] == 0].iloc[0]
    daily = data.daily[0].set_index("date")["close"]
    before = daily[daily.index < split.effective_date].iloc[-1]
    after = daily[daily.index >= split.effective_date].iloc[0]
    assert 0.3 < after / (before * split.ratio) < 3.0  # about ratio × the previous level
    assert after / before < 0.75


def test_minutes_follow_the_calendar_with_early_closes(data):
    cal = get_calendar("XNYS", start="2023-12-01", end="2025-01-31")
    minutes = data.minute[0]["dt"]
    assert minutes.dt.tz is not None
    assert pd.DatetimeIndex(minutes).isin(cal.minutes).all()
    per_session = (
        pd.Series(1, index=cal.minutes_to_sessions(pd.DatetimeIndex(minutes)))
        .groupby(level=0)
        .size()
    )
    early = pd.Timestamp("2024-11-29")  # the day after Thanksgiving closes at 13:00
    assert per_session[early] == 210
    assert per_session[pd.Timestamp("2024-11-27")] == 390


def test_daily_bars_of_minute_assets_aggregate_their_minutes(data):
    cal = get_calendar("XNYS", start="2023-12-01", end="2025-01-31")
    m = data.minute[4].copy()
    m["session"] = cal.minutes_to_sessions(pd.DatetimeIndex(m["dt"]))
    g = m.groupby("session")
    oracle = pd.DataFrame(
        {
            "date": g.size().index,
            "open": g["open"].first().to_numpy(),
            "high": g["high"].max().to_numpy(),
            "low": g["low"].min().to_numpy(),
            "close": g["close"].last().to_numpy(),
            "volume": g["volume"].sum().to_numpy(),
        }
    )
    got = data.daily[4].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, oracle, check_names=False, check_freq=False)


def test_thin_trading_asset_misses_some_minutes(data):
    assert 4 in data.minute
    full = len(data.minute[0])
    assert len(data.minute[4]) < full  # sid 4 % 5 == 4 drops ~2 % of minutes


def test_minute_assets_limits_which_sids_have_minutes(data):
    assert sorted(data.minute) == [0, 1, 2, 3, 4]
    assert sorted(data.daily) == list(range(8))


def test_twenty_four_seven_calendar():
    d = synthetic_frames(2, 0.02, minute=True, calendar_name="24/7")
    assert len(d.sessions) == 7
    assert len(d.minute[0]) == 7 * 1440


def test_ingest_function_carries_its_calendar_and_sessions():
    fn = synthetic_ingest(3, 0.5, calendar_name="XLON", end_session="2024-06-28")
    assert fn.calendar_name == "XLON"
    assert fn.end_session == pd.Timestamp("2024-06-28")
    assert "n_assets=3" in fn.describe() and repr(fn) == fn.describe()


def test_bad_arguments():
    with pytest.raises(ValueError, match="years"):
        synthetic_frames(1, 0)
    with pytest.raises(ValueError, match="n_assets"):
        synthetic_frames(0, 1)
    with pytest.raises(ValueError, match="no XNYS session"):
        synthetic_frames(1, 0.001, end_session="2024-12-28")


def test_reflect_keeps_paths_inside_bounds():
    x = np.linspace(-20, 20, 1001)
    y = reflect(x, 1.0, 2.0)
    assert (y >= 1.0).all() and (y <= 2.0).all()
    np.testing.assert_allclose(reflect(np.array([1.5]), 1.0, 2.0), [1.5])
