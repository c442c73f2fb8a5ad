"""Engine fixes found by the zipline proof (tests/engine/test_vs_zipline.py), each pinned
without zipline: date rules count whole calendar weeks and months; ``market_close(minutes=n)``
is n minutes before the close; a split's fractional-share cash and a dividend paid at the
session start land in zipline's columns; daily ``before_trading_start`` sees today's split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import rustybt.api as api
from rustybt.engine import run_algorithm
from rustybt.engine.scheduling import time_rules
from rustybt.testing import BundleSpec, bars_from_close, make_bundle, session_span

# 2019-03-01 is a Friday; March 2019 ends on Friday the 29th
SESSIONS = session_span(30, "2019-02-19")


def _bundle(tmp_path: Path, **adjustments: Any) -> Any:
    close = np.round(100 + np.arange(len(SESSIONS)) * 0.5, 2)
    close[SESSIONS >= "2019-03-08"] = np.round(close[SESSIONS >= "2019-03-08"] / 2, 2)
    bars = bars_from_close(SESSIONS, close, np.full(len(SESSIONS), 1_000_000))
    for c in ("open", "high", "low"):
        bars[c] = bars[c].round(2)
    spec = BundleSpec.from_bars({0: bars}, end_date=SESSIONS[-1] + np.timedelta64(60, "D"),
                                **adjustments)
    return make_bundle(tmp_path, spec, name="fix")


def _split() -> pd.DataFrame:
    return pd.DataFrame({"sid": [0], "effective_date": [pd.Timestamp("2019-03-08")],
                         "ratio": [0.5]})


def test_date_rules_count_whole_calendar_weeks_and_months(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, splits=_split())
    ran: dict[str, list[pd.Timestamp]] = {"week_start": [], "month_end": []}

    def initialize(context: Any) -> None:
        for name in ran:
            api.schedule_function(
                lambda c, d, name=name: ran[name].append(d.current_session),
                getattr(api.date_rules, name)())

    # starts on Friday 2019-03-01 (not a week start), ends mid-month (not a month end)
    run_algorithm("2019-03-01", "2019-03-13", initialize, capital_base=1e5, bundle=bundle)
    assert ran["week_start"] == [pd.Timestamp("2019-03-04"), pd.Timestamp("2019-03-11")]
    assert ran["month_end"] == []


def test_market_close_offset_is_minutes_before_the_close() -> None:
    # zipline's BeforeClose: close - offset; the 16:00 bar (index 389) is never one
    assert time_rules.market_close().minute_index(390) == 388  # 15:59
    assert time_rules.market_close(minutes=15).minute_index(390) == 374  # 15:45
    assert time_rules.market_open().minute_index(390) == 0  # 9:31
    assert time_rules.market_open(minutes=30).minute_index(390) == 29  # 10:00
    # longer than an early-close session: never runs that session
    assert time_rules.market_open(hours=4).minute_index(210) not in range(210)


def test_split_cash_and_paid_dividend_land_in_zipline_columns(tmp_path: Path) -> None:
    dividends = pd.DataFrame({"sid": [0], "ex_date": [pd.Timestamp("2019-02-26")],
                              "pay_date": [pd.Timestamp("2019-02-28")], "amount": [1.0]})
    bundle = _bundle(tmp_path, splits=pd.DataFrame(
        {"sid": [0], "effective_date": [pd.Timestamp("2019-03-08")], "ratio": [3.0]}),
        dividends=dividends)

    def initialize(context: Any) -> None:
        context.asset = api.sid(0)

    def handle_data(context: Any, data: Any) -> None:
        if not context.portfolio.positions:
            api.order(context.asset, 100)

    perf = run_algorithm("2019-02-19", "2019-03-12", initialize, handle_data,
                         capital_base=1e5, bundle=bundle)
    pay, split = pd.Timestamp("2019-02-28"), pd.Timestamp("2019-03-08")
    # the dividend is paid before the session starts: in starting_cash and in capital_used
    assert perf["starting_cash"][pay] == perf["ending_cash"].shift()[pay] + 100.0
    assert perf["capital_used"][pay] == 100.0
    # 100 shares / 3 → 33 and a third of a share paid in cash: today's capital flow, not
    # part of starting_cash (zipline takes the snapshot before the split)
    assert perf["starting_cash"][split] == perf["ending_cash"].shift()[split]
    assert perf["capital_used"][split] > 0
    assert perf["ending_cash"][split] == pytest.approx(
        perf["starting_cash"][split] + perf["capital_used"][split], abs=1e-9)


def test_daily_before_trading_start_sees_todays_split(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, splits=_split())
    seen: dict[str, float] = {}

    def initialize(context: Any) -> None:
        context.asset = api.sid(0)

    def handle_data(context: Any, data: Any) -> None:
        if not context.portfolio.positions:
            api.order(context.asset, 100)

    def before_trading_start(context: Any, data: Any) -> None:
        if data.current_session == pd.Timestamp("2019-03-08"):
            seen["price"] = data.current(context.asset, "price")
            seen["value"] = context.portfolio.positions_value
            seen["amount"] = context.portfolio.positions[context.asset].amount

    run_algorithm("2019-02-19", "2019-03-12", initialize, handle_data, before_trading_start,
                  capital_base=1e5, bundle=bundle)
    previous_close = bundle.read_daily(0).set_index("date")["close"][pd.Timestamp("2019-03-07")]
    assert seen["amount"] == 200
    assert seen["price"] == pytest.approx(previous_close * 0.5, rel=1e-12)
    assert seen["value"] == pytest.approx(200 * previous_close * 0.5, rel=1e-12)
