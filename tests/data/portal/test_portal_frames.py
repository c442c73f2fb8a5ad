"""FrameMaker's shortcuts build exactly what pandas' public constructors build."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rustybt.data.portal.frames import FrameMaker, _index_slicer

SESSIONS = pd.DatetimeIndex(pd.bdate_range("2024-01-01", periods=60).to_numpy())  # no freq


class _Asset:
    def __init__(self, sid: int) -> None:
        self.sid = sid


@pytest.fixture
def maker() -> FrameMaker:
    m = FrameMaker(SESSIONS.asi8)
    m.attach_minutes(pd.date_range("2024-01-02 14:31", periods=500, freq="min",
                                   tz="UTC").asi8)
    return m


@pytest.mark.parametrize(("start", "stop", "n_assets"), [(0, 1, 1), (10, 30, 3), (0, 60, 10),
                                                         (59, 60, 2), (5, 5, 2)])
def test_frame_equals_the_public_constructor(maker: FrameMaker, start: int, stop: int,
                                             n_assets: int) -> None:
    rng = np.random.default_rng(start + n_assets)
    assets = [_Asset(i) for i in range(n_assets)]
    gathered = rng.random((n_assets, stop - start))  # (assets, bars) like a fancy-index gather
    gathered[0, ::3] = np.nan
    values = gathered.T
    index = maker.index("1d", start, stop)
    got = maker.frame(values, index, assets)
    want = pd.DataFrame(values, index=SESSIONS[start:stop], columns=pd.Index(assets, dtype=object))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.columns) == assets and got.columns[0] is assets[0]
    assert got.index.freq is None and got.index.dtype == "datetime64[ns]"
    if values.size:
        assert np.shares_memory(got.to_numpy(), gathered)  # no copy of the window
    assert got.shape == (stop - start, n_assets)


def test_non_float_values_take_the_public_constructor(maker: FrameMaker) -> None:
    assets = [_Asset(0), _Asset(1)]
    values = np.arange(8, dtype=np.int64).reshape(4, 2)
    got = maker.frame(values, maker.index("1d", 2, 6), assets)
    pd.testing.assert_frame_equal(
        got, pd.DataFrame(values, index=SESSIONS[2:6], columns=pd.Index(assets, dtype=object)))


def test_minute_index_slices_are_utc_and_equal(maker: FrameMaker) -> None:
    assert maker.minutes is not None
    for a, b in ((0, 1), (100, 490), (499, 500), (7, 7)):
        got = maker.index("1m", a, b)
        pd.testing.assert_index_equal(got, maker.minutes[a:b], exact=True)
        assert str(got.tz) == "UTC" and got.freq is None


def test_index_slicer_keeps_names_and_freqs_by_plain_slicing() -> None:
    named = pd.DatetimeIndex(SESSIONS, name="when")
    with_freq = pd.date_range("2024-01-01", periods=30, freq="D")
    for full in (named, with_freq, SESSIONS):
        cut = _index_slicer(full)
        for a, b in ((0, 3), (4, 30), (10, 10)):
            got, want = cut(a, b), full[a:b]
            pd.testing.assert_index_equal(got, want, exact=True)
            assert got.freq == want.freq and got.name == want.name
