"""A bundle with a single session: its calendar, sessions and a portal over it work.

exchange-calendars refuses ``start == end``; ``Bundle.calendar`` starts a week earlier then.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from rustybt import ArrowDataPortal, Bundle
from rustybt.testing import BundleSpec

DAY = pd.Timestamp("2024-01-05")  # a Friday


def _one_session(sid_bars: dict[int, float]) -> BundleSpec:
    assets = pd.DataFrame([
        {"sid": sid, "symbol": f"S{sid}", "asset_name": f"S{sid}", "exchange": "TEST",
         "start_date": DAY, "end_date": DAY, "first_traded": DAY, "auto_close_date": DAY}
        for sid in sid_bars
    ])
    daily = {
        sid: pd.DataFrame({"date": [DAY], "open": [close - 1], "high": [close + 1],
                           "low": [close - 2], "close": [close], "volume": [1000 + sid]})
        for sid, close in sid_bars.items()
    }
    # the range comes from the bars: registration passes no start/end session
    return BundleSpec(sessions=pd.DatetimeIndex([DAY]), assets=assets, daily=daily,
                      pin_sessions=False)


@pytest.fixture
def bundle(ingest_source: Callable[..., Bundle]) -> Bundle:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ingest_source(_one_session({0: 10.0, 1: 20.0}))


def test_single_session_bundle_has_a_calendar(bundle: Bundle) -> None:
    assert bundle.first_session == bundle.last_session == DAY
    cal = bundle.calendar
    assert cal.is_session(DAY)
    assert cal.last_session == DAY
    assert cal.first_session < DAY  # widened backwards: exchange-calendars needs start < end
    assert list(bundle.sessions) == [DAY]
    bundle.verify()  # raises BundleCorrupted on any mismatch


def test_portal_over_a_single_session_bundle(bundle: Bundle) -> None:
    portal = ArrowDataPortal(bundle)
    assert list(portal.sessions) == [DAY]
    assert portal.get_spot_value(1, "close", DAY, "daily") == 20.0
    assert portal.get_spot_value(0, "volume", DAY, "daily") == 1000
    window = portal.history([0, 1], "close", 1, end_dt=DAY)
    assert list(window.index) == [DAY]
    np.testing.assert_array_equal(window.to_numpy(), [[10.0, 20.0]])
    assert np.isnan(portal.get_spot_value(0, "close", DAY + pd.Timedelta(7, "D"), "daily"))
