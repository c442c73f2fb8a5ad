"""Named edge cases on a hand-made bundle: exact expected values, written out."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rustybt import (
    ArrowDataPortal,
    HistoryWindowStartsBeforeData,
    InvalidBarCount,
    InvalidField,
    InvalidFrequency,
    InvalidReturnType,
    NoDataForFrequency,
    NoDataOnDate,
    SidsNotFound,
)
from rustybt.testing import KNOWN, known_values_spec, make_bundle

N, SPLIT_AT, DIV_AT = KNOWN.N, KNOWN.SPLIT_AT, KNOWN.DIV_AT


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DatetimeIndex, ArrowDataPortal]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = known_values_spec()
        bundle = make_bundle(tmp_path_factory.mktemp("fixed"), spec, name="fixed")
    return spec.sessions, ArrowDataPortal(bundle)


def _div_ratio() -> float:
    # close of the session before the ex date is 100 + (DIV_AT - 1)
    return 1.0 - 1.0 / (100.0 + DIV_AT - 1)


def test_zero_copy_view_of_the_map(world: tuple) -> None:
    s, p = world
    arr = p.history(2, "close", 10, end_dt=s[20], return_type="array")
    mapped = p.store("daily").columns["close"]
    assert np.shares_memory(arr, mapped)
    assert not arr.flags.writeable
    np.testing.assert_array_equal(arr, 10.0 + np.arange(11, 21))
    with pytest.raises(ValueError):
        arr[0] = 1.0
    # a window spanning the split is adjusted: one new allocation, not a view
    adj = p.history(0, "close", 3, end_dt=s[SPLIT_AT + 1], return_type="array")
    assert not np.shares_memory(adj, mapped)
    np.testing.assert_allclose(adj, [(100 + 9) * 0.5, 100 + 10, 100 + 11])


def test_split_at_window_edges(world: tuple) -> None:
    s, p = world
    # window ends the day before the split: nothing adjusted yet
    before = p.history(0, "close", 3, end_dt=s[SPLIT_AT - 1], return_type="array")
    np.testing.assert_allclose(before, [107, 108, 109])
    # window ends on the split day: earlier rows adjusted, the end row never
    on = p.history(0, "close", 3, end_dt=s[SPLIT_AT], return_type="array")
    np.testing.assert_allclose(on, [108 * 0.5, 109 * 0.5, 110])
    # window starts on the split day: no row is before it
    start = p.history(0, "close", 2, end_dt=s[SPLIT_AT + 1], return_type="array")
    np.testing.assert_allclose(start, [110, 111])
    vol = p.history(0, "volume", 2, end_dt=s[SPLIT_AT], return_type="array")
    np.testing.assert_allclose(vol, [1009 * 2.0, 1010])


def test_dividend_and_split_compound(world: tuple) -> None:
    s, p = world
    out = p.history(0, "open", DIV_AT + 1, end_dt=s[DIV_AT], return_type="array")
    r = _div_ratio()
    assert out[0] == pytest.approx(99.5 * 0.5 * r, rel=1e-12)  # before split and dividend
    assert out[DIV_AT - 1] == pytest.approx((100 + DIV_AT - 1 - 0.5) * r, rel=1e-12)
    assert out[DIV_AT] == 100 + DIV_AT - 0.5
    vol = p.history(0, "volume", DIV_AT + 1, end_dt=s[DIV_AT], return_type="array")
    assert vol[-2] == 1000 + DIV_AT - 1  # volume ignores dividends
    assert vol[0] == 1000 * 2.0


def test_price_seeds_from_last_trade_across_halt_and_split(world: tuple) -> None:
    s, p = world
    # halts at 5, 6: a window starting at 5 seeds from session 4's close, adjusted for the
    # split at 10 as seen from the window end
    price = p.history(0, "price", 7, end_dt=s[11], return_type="array")
    np.testing.assert_allclose(price, [104 * 0.5, 104 * 0.5, 107 * 0.5, 108 * 0.5,
                                       109 * 0.5, 110, 111])
    close = p.history(0, "close", 7, end_dt=s[11], return_type="array")
    assert np.isnan(close[:2]).all()


def test_late_listing_and_delisting(world: tuple) -> None:
    s, p = world
    late = p.history(1, "price", 4, end_dt=s[9], return_type="array")
    np.testing.assert_allclose(late, [np.nan, np.nan, 58, 59])
    merged = p.history(1, "close", 6, end_dt=s[12], return_type="array")
    np.testing.assert_allclose(merged, [np.nan, 58 * 0.9, 59 * 0.9, 60 * 0.9, 61 * 0.9, 62])
    # after end_date (session 25) 'price' goes back to NaN even though ffill would fill it
    tail = p.history(1, "price", 6, end_dt=s[N - 1], return_type="array")
    np.testing.assert_allclose(tail, [74, 75, np.nan, np.nan, np.nan, np.nan])
    frame = p.history([1, 2], "price", 3, end_dt=s[N - 1])
    assert list(frame.columns) == [1, 2]
    assert frame[1].isna().all()
    assert p.get_spot_value(1, "price", s[N - 1], "daily") != p.get_spot_value(
        1, "price", s[N - 1], "daily")  # NaN after the asset's end
    assert p.get_spot_value(1, "volume", s[3], "daily") == 0


def test_never_traded_asset(world: tuple) -> None:
    s, p = world
    out = p.history(3, "price", 5, end_dt=s[10], return_type="array")
    assert np.isnan(out).all()
    assert p.get_last_traded_dt(3, s[10], "daily") is pd.NaT


def test_weekend_end_date_rolls_forward(world: tuple) -> None:
    s, p = world
    sat = pd.Timestamp("2024-06-29")  # a Saturday; the next session is Monday 07-01
    monday = s[s.searchsorted(sat)]
    assert monday == pd.Timestamp("2024-07-01")
    a = p.history(2, "close", 3, end_dt=sat, return_type="array")
    b = p.history(2, "close", 3, end_dt=monday, return_type="array")
    np.testing.assert_array_equal(a, b)
    frame = p.history([2], "close", 3, end_dt=sat)
    assert frame.index[-1] == monday
    # tz-aware close minute and np.datetime64 resolve to the same session
    close_minute = p.calendar.session_close(monday)
    np.testing.assert_array_equal(
        p.history(2, "close", 3, end_dt=close_minute, return_type="array"), b)
    np.testing.assert_array_equal(
        p.history(2, "close", 3, end_dt=np.datetime64("2024-07-01"), return_type="array"), b)
    # the July 4th holiday rolls to the 5th
    assert p.history([2], "close", 1, end_dt=pd.Timestamp("2024-07-04")).index[0] == \
        pd.Timestamp("2024-07-05")


def test_dataframe_shapes(world: tuple) -> None:
    s, p = world
    series = p.history(2, "close", 4, end_dt=s[5])
    assert isinstance(series, pd.Series) and series.name == 2
    assert series.index.equals(s[2:6])
    frame = p.history([0, 2], "close", 4, end_dt=s[5])
    assert frame.shape == (4, 2) and frame.index.equals(s[2:6])
    multi = p.history([2, 0], ["close", "volume"], 3, end_dt=s[5])
    assert multi.shape == (6, 2)
    assert list(multi.columns) == ["close", "volume"]
    assert multi.index.names[0] == "date"
    assert multi.loc[(s[5], 2), "close"] == 15.0
    arr = p.history([0, 2], ["close", "volume"], 3, end_dt=s[5], return_type="array")
    assert arr.shape == (2, 3, 2)
    one = p.history(2, ["close", "volume"], 3, end_dt=s[5], return_type="array")
    assert one.shape == (2, 3)
    np.testing.assert_array_equal(one[0], [13, 14, 15])
    empty = p.history([], "price", 3, end_dt=s[5])
    assert empty.shape == (3, 0) and empty.index.equals(s[3:6])
    assert p.history([], "close", 3, end_dt=s[5], return_type="array").shape == (3, 0)
    window = p.get_history_window([2], s[5], 3, "1d", "close", "daily")
    assert isinstance(window, pd.DataFrame) and list(window.columns) == [2]


class _Sid:
    def __init__(self, sid: int) -> None:
        self.sid = sid


def test_asset_like_objects(world: tuple) -> None:
    s, p = world
    finder_asset = p.asset_finder.retrieve_asset(2)
    for asset in (2, finder_asset, _Sid(2), np.int64(2)):
        np.testing.assert_array_equal(
            p.history(asset if not isinstance(asset, np.integer) else [asset], "close", 2,
                      end_dt=s[3], return_type="array").reshape(-1), [12, 13])


def test_errors(world: tuple) -> None:
    s, p = world
    with pytest.raises(HistoryWindowStartsBeforeData) as info:
        p.history(2, "close", 6, end_dt=s[4], return_type="array")
    assert info.value.bar_count == 6
    with pytest.raises(HistoryWindowStartsBeforeData):
        p.history([2], "close", 6, end_dt=s[4])
    with pytest.raises(InvalidField):
        p.history([2], "last_traded", 2, end_dt=s[4])
    with pytest.raises(InvalidField):
        p.get_history_window([2], s[4], 2, "1d", "vwap", "daily")
    with pytest.raises(InvalidFrequency):
        p.history([2], "close", 2, frequency="5m", end_dt=s[4])
    with pytest.raises(InvalidFrequency):
        p.history([2], "close", 2, end_dt=s[4], data_frequency="hourly")
    with pytest.raises(InvalidFrequency):
        p.history([2], "close", 2, "1m", end_dt=s[4], data_frequency="daily")
    with pytest.raises(InvalidBarCount):
        p.history(2, "close", 0, end_dt=s[4], return_type="array")
    with pytest.raises(InvalidBarCount):
        p.history([2], "close", 0, end_dt=s[4])
    with pytest.raises(InvalidReturnType, match="'polars'"):  # a ValueError; names the valid ones
        p.history([2], "close", 2, end_dt=s[4], return_type="xml")
    with pytest.raises(InvalidReturnType):
        p.history(2, "close", 2, end_dt=s[4], return_type="xml")
    with pytest.raises(SidsNotFound):
        p.history(99, "close", 2, end_dt=s[4], return_type="array")
    with pytest.raises(SidsNotFound):
        p.get_spot_value(99, "close", s[4], "daily")
    with pytest.raises(NoDataOnDate):
        p.history(2, "close", 2, end_dt=pd.Timestamp("2030-01-02"), return_type="array")
    with pytest.raises(NoDataForFrequency):
        p.history([2], "close", 2, "1m", end_dt=s[4])
    with pytest.raises(InvalidField):
        p.get_spot_value(2, "vwap", s[4], "daily")
    with pytest.raises(InvalidFrequency):
        p.get_spot_value(2, "open", s[4], "hourly")
    with pytest.raises(InvalidFrequency):
        p.store("hourly")


def test_spot_values(world: tuple) -> None:
    s, p = world
    assert p.get_spot_value(0, "close", s[4], "daily") == 104.0
    assert p.get_spot_value([0, 2], "close", s[4], "daily") == [104.0, 14.0]
    assert p.get_spot_value(0, "volume", s[4], "daily") == 1004
    assert isinstance(p.get_spot_value(0, "volume", s[4], "daily"), int)
    assert np.isnan(p.get_spot_value(0, "close", s[5], "daily"))  # halted
    assert p.get_spot_value(0, "volume", s[5], "daily") == 0
    assert p.get_spot_value(0, "price", s[6], "daily") == 104.0  # walks back, no adjustment
    # walking back over the split adjusts: halt at 15 is after the split -> no adjustment
    assert p.get_spot_value(0, "price", s[15], "daily") == 114.0
    assert p.get_spot_value(0, "last_traded", s[6], "daily") == s[4]
    assert p.get_last_traded_dt(0, s[6], "daily") == s[4]
    close_minute = p.calendar.session_close(s[4])
    assert p.get_scalar_asset_spot_value(0, "close", close_minute, "daily") == 104.0
    assert p.get_adjusted_value(0, "close", s[4], s[SPLIT_AT], "daily") == 52.0
    assert p.get_adjusted_value(0, "volume", s[4], s[SPLIT_AT], "daily") == 2008
    assert p.get_adjustments([0, 2], "close", s[4], s[DIV_AT]) == pytest.approx(
        [0.5 * _div_ratio(), 1.0])
    assert p.get_adjustments(0, "volume", s[4], s[DIV_AT]) == [2.0]
    assert p.contains(0, "price") and not p.contains(0, "vwap")


def test_splits_and_metadata(world: tuple) -> None:
    s, p = world
    splits = p.get_splits([p.asset_finder.retrieve_asset(0), 2], s[SPLIT_AT])
    assert [(int(a.sid), r) for a, r in splits] == [(0, 0.5)]
    assert p.get_splits([0], s[SPLIT_AT])[0][0].sid == 0
    assert p.get_splits([2], s[SPLIT_AT]) == []
    assert p.get_splits([], s[SPLIT_AT]) == []
    assert p.get_splits([0], s[1]) == []
    assert p.get_stock_dividends(0, s) == []
    (div,) = p.get_stock_dividends(2, s)
    assert div["payment_sid"] == 0 and div["ratio"] == 0.1 and div["sid"] == 2
    assert div["ex_date"] == s[15] and div["pay_date"] == s[18]
    assert p.get_stock_dividends(2, s[16:]) == []  # ex_date must be after the first day
    assert p.get_stock_dividends(0, s[:0]) == []
    assert p.version == p.bundle.version
    assert p.sessions.equals(s)
    assert p.first_trading_day == s[0]
    assert p.last_available_session == s[-1]
    assert p.last_available_minute == p.calendar.session_close(s[-1])
    assert p.store("daily").kind == "daily"
    assert "ArrowDataPortal" in repr(p) and "MappedStore" in repr(p.store("1d"))
    assert p.calendar_index.n_sessions == N


def test_zipline_exact_rounds_and_default_does_not(world: tuple) -> None:
    s, p = world
    exact = ArrowDataPortal(p.bundle, zipline_exact=True)
    r = _div_ratio()
    default = p.history(0, "open", 2, end_dt=s[DIV_AT], return_type="array")
    rounded = exact.history(0, "open", 2, end_dt=s[DIV_AT], return_type="array")
    assert default[0] == pytest.approx(118.5 * r, rel=1e-12)
    assert default[0] != round(default[0], 3)
    assert rounded[0] == round(118.5 * r, 3)
    np.testing.assert_allclose(
        exact.history([0, 1, 2], "price", 20, end_dt=s[N - 1], return_type="array"),
        np.round(p.history([0, 1, 2], "price", 20, end_dt=s[N - 1], return_type="array"), 3),
        atol=1e-9)


def test_from_path_and_name(world: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s, p = world
    q = ArrowDataPortal.from_path(p.bundle.path)
    assert q.version == p.version
    r = ArrowDataPortal(str(p.bundle.path))
    np.testing.assert_array_equal(
        r.history(2, "close", 3, end_dt=s[5], return_type="array"), [13, 14, 15])


def test_sql_delegates_to_the_sql_module(world: tuple) -> None:
    _s, p = world
    result = p.sql("SELECT count(*) AS n FROM daily_bars WHERE sid = ?", [2])
    assert int(result.df()["n"].iloc[0]) == N


def test_to_ns_accepts_every_datetime_form() -> None:
    import datetime as dt

    from rustybt.data.store.calendar_index import to_ns

    ns = pd.Timestamp("2024-07-01 14:31", tz="UTC").value
    assert to_ns(pd.Timestamp("2024-07-01 10:31", tz="America/New_York")) == ns
    assert to_ns(np.datetime64("2024-07-01T14:31")) == ns
    assert to_ns(ns) == ns and to_ns(np.int64(ns)) == ns
    assert to_ns(dt.datetime(2024, 7, 1, 14, 31)) == ns
    assert to_ns(dt.datetime(2024, 7, 1, 14, 31, tzinfo=dt.UTC)) == ns
    assert to_ns(dt.date(2024, 7, 1)) == pd.Timestamp("2024-07-01").value
    assert to_ns("2024-07-01 14:31") == ns
