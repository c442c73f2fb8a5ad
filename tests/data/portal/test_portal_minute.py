"""Minute data: early closes, today's partial '1d' bar, minute-only bundles, minute spots."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import Oracle

from rustybt import ArrowDataPortal
from rustybt.testing import make_bundle, random_spec


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    spec = random_spec(5, 3, 9, minute=True)  # 2024-06-24 .. 2024-07-05, early close 07-03
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = make_bundle(tmp_path_factory.mktemp("minute"), spec, name="t")
    return spec, bundle, ArrowDataPortal(bundle), Oracle(spec)


def test_early_close_minutes(world: tuple) -> None:
    _spec, _bundle, p, o = world
    close_0703 = pd.Timestamp("2024-07-03 17:00", tz="UTC")  # 13:00 New York
    frame = p.history([0, 1, 2], "close", 400, "1m", end_dt=close_0703)
    assert frame.index[-1] == close_0703
    assert frame.index.tz is not None and str(frame.index.tz) == "UTC"
    expected = o.minutes[o.minutes <= close_0703][-400:]
    assert frame.index.equals(expected)
    assert (frame.index.normalize() == pd.Timestamp("2024-07-03", tz="UTC")).sum() == 210
    # the evening after the early close resolves to that close for minute data
    evening = pd.Timestamp("2024-07-03 20:00", tz="UTC")
    np.testing.assert_array_equal(
        p.history(0, "close", 5, "1m", end_dt=evening, return_type="array"),
        p.history(0, "close", 5, "1m", end_dt=close_0703, return_type="array"))


@pytest.mark.parametrize("field", ["open", "high", "low", "close", "volume", "price"])
@pytest.mark.parametrize("minute", ["14:31", "14:35", "17:00"])
def test_partial_day_bar(world: tuple, field: str, minute: str) -> None:
    _spec, _bundle, p, o = world
    end = pd.Timestamp(f"2024-07-03 {minute}", tz="UTC")
    got = p.history([0, 1, 2], field, 4, "1d", end_dt=end, data_frequency="minute",
                    return_type="array")
    for j in range(3):
        np.testing.assert_allclose(got[:, j], o.minute_daily_history(j, field, 4, end),
                                   rtol=1e-12, equal_nan=True)
    frame = p.history([0, 1, 2], field, 4, "1d", end_dt=end, data_frequency="minute")
    assert frame.index[-1] == pd.Timestamp("2024-07-03")


def test_minute_spot_values(world: tuple) -> None:
    _spec, _bundle, p, o = world
    rng = np.random.default_rng(0)
    dts = [o.minutes[int(m)] for m in rng.choice(len(o.minutes), 60, replace=False)]
    for day in o.sessions:  # off hours: evening, the night after, before the data
        utc = pd.Timestamp(day).tz_localize("UTC")
        dts += [utc + pd.Timedelta(23, "h"), utc + pd.Timedelta(26, "h"), utc]
    dts += [dts[-1] + pd.Timedelta(30, "D"), o.minutes[0] - pd.Timedelta(30, "D")]
    for dt in dts:
        for sid in range(3):
            for field in ("open", "close", "volume", "price"):
                got = p.get_spot_value(sid, field, dt, "minute")
                np.testing.assert_allclose(got, o.minute_spot(sid, field, dt), rtol=1e-12,
                                           equal_nan=True)
            want = o.minute_spot(sid, "last_traded", dt)
            got = p.get_last_traded_dt(sid, dt, "minute")
            assert (pd.isna(got) and pd.isna(want)) or got == want


def test_minute_only_bundle_aggregates_daily(tmp_path: Path) -> None:
    spec = random_spec(9, 2, 5, minute=True)
    spec.dividends = spec.dividends.iloc[0:0]
    minute_only = copy.copy(spec)
    minute_only.daily = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = make_bundle(tmp_path, minute_only, name="t")
    p = ArrowDataPortal(bundle)
    o = Oracle(spec)  # the oracle's daily bars are the minute aggregates
    end = spec.sessions[-1]
    for sid in range(2):
        for field in ("open", "high", "low", "close", "volume", "price"):
            np.testing.assert_allclose(
                p.history(sid, field, 5, end_dt=end, return_type="array"),
                o.daily_history(sid, field, 5, end), rtol=1e-12, equal_nan=True)
    assert p.store("minute").kind == "minute" and p.store("1m") is p.store("minute")


def test_minute_history_default_end_and_index_cache(world: tuple) -> None:
    p = world[2]
    last = p.history([0], "volume", 3, "1m")
    assert last.index[-1] == p.last_available_minute
    again = p.history([0, 1], "close", 2, "1d", data_frequency="minute")
    assert again.index[-1] == p.last_available_session


def test_minute_zero_copy(world: tuple) -> None:
    _spec, _bundle, p, o = world
    store = p.store("minute")
    views = 0
    for sid in range(3):
        for end in o.minutes[500::700]:
            arr = p.history(sid, "volume", 30, "1m", end_dt=end, return_type="array")
            expected = o.minute_history(sid, "volume", 30, end).to_numpy()
            np.testing.assert_allclose(arr, expected, rtol=1e-12)
            if np.shares_memory(arr, store.columns["volume"]):
                assert not arr.flags.writeable
                views += 1
    assert views > 0


def test_zipline_exact_minute(world: tuple) -> None:
    _spec, bundle, p, o = world
    exact = ArrowDataPortal(bundle, zipline_exact=True)
    for end in o.minutes[800::900]:
        for field in ("open", "close", "volume", "price"):
            a = exact.history([0, 1, 2], field, 120, "1m", end_dt=end, return_type="array")
            b = p.history([0, 1, 2], field, 120, "1m", end_dt=end, return_type="array")
            np.testing.assert_allclose(a, b, atol=5e-4 + 1e-9, equal_nan=True)
            assert np.array_equal(a, np.round(a, 3), equal_nan=True)
            a = exact.history([0, 1, 2], field, 2, "1d", end_dt=end, data_frequency="minute",
                              return_type="array")
            b = p.history([0, 1, 2], field, 2, "1d", end_dt=end, data_frequency="minute",
                          return_type="array")
            np.testing.assert_allclose(a, b, atol=5e-4 + 1e-9, equal_nan=True)
            for sid in range(3):
                sa = exact.get_spot_value(sid, field, end, "minute")
                sb = p.get_spot_value(sid, field, end, "minute")
                np.testing.assert_allclose(sa, sb, rtol=1e-12, equal_nan=True)
