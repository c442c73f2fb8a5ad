"""Property tests: the portal equals the plain-pandas oracle on Hypothesis-generated bundles.

Each example writes a random bundle (listings, delistings, halts, zero-volume bars, splits,
mergers, dividends; daily or minute) and runs a batch of random queries: every field, both
return types, bar counts 1–1000, end dates anywhere (sessions, weekends, minutes,
np.datetime64, tz-aware), spot values and last-traded dates.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BeforeData, Oracle

from rustybt import (
    ArrowDataPortal,
    HistoryWindowStartsBeforeData,
    NoDataOnDate,
)
from rustybt.testing import make_bundle, random_spec

FIELDS = ["open", "high", "low", "close", "volume", "price"]
RTOL = 1e-12


def same(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=RTOL, atol=0, equal_nan=True)


def _dt_form(day: pd.Timestamp, form: int, cal: Any) -> Any:
    if form == 0:
        return day
    if form == 1:
        return np.datetime64(day.to_datetime64())
    if form == 2:
        return cal.session_close(day)  # tz-aware close minute (can_trade style)
    if form == 3:
        return day.tz_localize("UTC")
    if form == 4:
        return dt.date(day.year, day.month, day.day)
    return day - pd.Timedelta(1, "D")  # maybe a weekend/holiday: rolls forward


query = st.tuples(
    st.integers(0, 3),  # sid (mod n_assets)
    st.sampled_from(FIELDS),
    st.one_of(st.integers(1, 25), st.integers(1, 1000)),
    st.integers(0, 10_000),  # end position (mod length)
    st.integers(0, 5),  # dt form
    st.booleans(),  # several assets?
)


def _check_daily(spec: Any, portal: ArrowDataPortal, oracle: Oracle, queries: list) -> None:
    n = len(spec.sessions)
    n_assets = len(spec.assets)
    for sid, field, bar_count, pos, form, multi in queries:
        sid %= n_assets
        end = _dt_form(spec.sessions[pos % n], form, oracle.cal)
        sids = list(range(n_assets)) if multi else [sid]
        try:
            expected = {s: oracle.daily_history(s, field, bar_count, end) for s in sids}
        except (BeforeData, IndexError) as exc:
            err = HistoryWindowStartsBeforeData if isinstance(exc, BeforeData) else NoDataOnDate
            with pytest.raises(err):
                portal.history(sid, field, bar_count, end_dt=end, return_type="array")
            continue
        if multi:
            arr = portal.history(sids, field, bar_count, end_dt=end, return_type="array")
            assert arr.shape == (bar_count, n_assets)
            frame = portal.history(sids, field, bar_count, end_dt=end)
            generic = portal.get_history_window(sids, end, bar_count, "1d", field, "daily")
            for j, s in enumerate(sids):
                same(arr[:, j], expected[s])
                same(frame[s], expected[s])
                same(generic[s], expected[s])
            assert frame.index.equals(expected[sids[0]].index)
            assert generic.index.equals(frame.index)
        else:
            arr = portal.history(sid, field, bar_count, end_dt=end, return_type="array")
            assert arr.shape == (bar_count,)
            same(arr, expected[sid])
            series = portal.history(sid, field, bar_count, end_dt=end)
            same(series, expected[sid])
            assert series.index.equals(expected[sid].index)
        spot_field = "last_traded" if field == "high" else field
        got = portal.get_spot_value(sid, spot_field, end, "daily")
        want = oracle.daily_spot(sid, spot_field, end)
        if spot_field == "last_traded":
            assert (pd.isna(got) and pd.isna(want)) or got == want
        else:
            same(got, want)


def _check_minute(spec: Any, portal: ArrowDataPortal, oracle: Oracle, queries: list) -> None:
    minutes = oracle.minutes
    n_assets = len(spec.assets)
    for sid, field, bar_count, pos, form, multi in queries:
        sid %= n_assets
        end = minutes[pos % len(minutes)]
        if form == 1:
            end = np.datetime64(end.tz_convert("UTC").tz_localize(None).to_datetime64())
        sids = list(range(n_assets)) if multi else [sid]
        try:
            exp_1m = {s: oracle.minute_history(s, field, bar_count, end) for s in sids}
        except BeforeData:
            with pytest.raises(HistoryWindowStartsBeforeData):
                portal.history(sids, field, bar_count, "1m", end_dt=end, return_type="array")
        else:
            arr = portal.history(sids, field, bar_count, "1m", end_dt=end, return_type="array")
            frame = portal.history(sids, field, bar_count, "1m", end_dt=end)
            for j, s in enumerate(sids):
                same(arr[:, j], exp_1m[s])
                same(frame[s], exp_1m[s])
                one = portal.history(s, field, bar_count, "1m", end_dt=end, return_type="array")
                same(one, exp_1m[s])
            assert frame.index.equals(exp_1m[sids[0]].index)
        days = max(1, bar_count % 12)
        try:
            exp_1d = {s: oracle.minute_daily_history(s, field, days, end) for s in sids}
        except BeforeData:
            with pytest.raises(HistoryWindowStartsBeforeData):
                portal.history(sids, field, days, "1d", end_dt=end, data_frequency="minute")
        else:
            arr = portal.history(sids, field, days, "1d", end_dt=end, data_frequency="minute",
                                 return_type="array")
            for j, s in enumerate(sids):
                same(arr[:, j], exp_1d[s])
        spot_field = "last_traded" if field == "high" else field
        got = portal.get_spot_value(sid, spot_field, end, "minute")
        want = oracle.minute_spot(sid, spot_field, end)
        if spot_field == "last_traded":
            assert (pd.isna(got) and pd.isna(want)) or got == want
        else:
            same(got, want)


def _world(seed: int, n_assets: int, n_sessions: int, minute: bool,
           root: Path) -> tuple[Any, ArrowDataPortal, Oracle]:
    spec = random_spec(seed, n_assets, n_sessions, minute=minute)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = make_bundle(root, spec, name="t")
    return spec, ArrowDataPortal(bundle), Oracle(spec)


def _daily_property(seed: int, n_assets: int, n_sessions: int, queries: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spec, portal, oracle = _world(seed, n_assets, n_sessions, False, Path(tmp))
        _check_daily(spec, portal, oracle, queries)


def _minute_property(seed: int, n_assets: int, n_sessions: int, queries: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spec, portal, oracle = _world(seed, n_assets, n_sessions, True, Path(tmp))
        _check_minute(spec, portal, oracle, queries)


_daily_args = (st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(2, 80),
               st.lists(query, min_size=1, max_size=8))
_minute_args = (st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(2, 6),
                st.lists(query, min_size=1, max_size=5))
_fast = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
_slow = settings(max_examples=1000, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


@_fast
@given(*_daily_args)
def test_daily_matches_oracle(seed: int, n_assets: int, n_sessions: int, queries: list) -> None:
    _daily_property(seed, n_assets, n_sessions, queries)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(*_minute_args)
def test_minute_matches_oracle(seed: int, n_assets: int, n_sessions: int, queries: list) -> None:
    _minute_property(seed, n_assets, n_sessions, queries)


@pytest.mark.slow
@_slow
@given(*_daily_args)
def test_daily_matches_oracle_slow(seed: int, n_assets: int, n_sessions: int,
                                   queries: list) -> None:
    _daily_property(seed, n_assets, n_sessions, queries)


@pytest.mark.slow
@_slow
@given(*_minute_args)
def test_minute_matches_oracle_slow(seed: int, n_assets: int, n_sessions: int,
                                    queries: list) -> None:
    _minute_property(seed, n_assets, n_sessions, queries)
