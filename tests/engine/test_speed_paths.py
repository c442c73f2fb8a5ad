"""The engine's fast paths give the slow paths' answers (benchmarks/backtest.py measures them).

- A run on ArrowDataPortal reads sessions and open/close minutes from the portal's arrays and
  builds no exchange calendar (daily, minute, and date rules when the data hold the whole
  weeks and months of the run).
- Order sizing skips checks already passed this session, never for an object that merely
  equals an asset; the cached float portfolio value follows every ledger change.
- ``to_money``'s memo keeps the sign of zero; the collector is never left frozen.
- An asset remembered as orderable is checked again on the sessions past its end date.
"""

from __future__ import annotations

import gc
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import rustybt.api as api
from rustybt import ArrowDataPortal, BadOrderParameters, Bundle
from rustybt.engine import money as money_mod
from rustybt.engine import run_algorithm
from rustybt.engine.algorithm import round_order
from rustybt.engine.clock import SessionClock
from rustybt.engine.ledger import Ledger, Transaction
from rustybt.engine.money import to_money
from rustybt.testing import BundleSpec, make_bundle, session_span, walk_ohlcv

SESSIONS = session_span(60, "2019-02-19")  # Feb 19 .. mid-May 2019


def _bundle(tmp_path: Path, minute: bool = False) -> Bundle:
    rng = np.random.default_rng(3)
    daily: dict[int, pd.DataFrame] = {}
    for sid in range(2):
        frame = walk_ohlcv(rng, len(SESSIONS), 40.0 + 10 * sid)
        for c in ("open", "high", "low", "close"):
            frame[c] = frame[c].round(2)
        frame["high"] = frame[["open", "high", "low", "close"]].max(axis=1)
        frame["low"] = frame[["open", "high", "low", "close"]].min(axis=1)
        frame.insert(0, "date", SESSIONS)
        daily[sid] = frame
    minutes = None
    if minute:
        from rustybt.calendars import get_calendar

        cal = get_calendar("XNYS", start="2019-01-01", end="2019-12-31")
        minutes = {}
        for sid in range(2):
            mins = cal.minutes_in_range(cal.session_first_minute(SESSIONS[0]),
                                        cal.session_close(SESSIONS[2]))
            close = np.round(30.0 + 0.01 * np.arange(len(mins)) + sid, 2)
            minutes[sid] = pd.DataFrame({"dt": mins, "open": close, "high": close + 0.01,
                                         "low": close - 0.01, "close": close,
                                         "volume": np.full(len(mins), 1000)})
    bundle = make_bundle(tmp_path, BundleSpec.from_bars(daily, minute=minutes), name="fast")
    portal = ArrowDataPortal(bundle)  # writes the mapped stores (their build reads the calendar)
    if minute:
        portal.store("minute")
    return Bundle.from_path(bundle.path)  # a fresh object: nothing cached on it yet


def _orders_all(context: Any, data: Any) -> None:
    for s in range(2):
        api.order_target_percent(api.sid(s), 0.4)


def test_a_daily_run_builds_no_exchange_calendar(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    ran: list[pd.Timestamp] = []

    def initialize(context: Any) -> None:
        api.schedule_function(lambda c, d: ran.append(d.current_session),
                              api.date_rules.month_start())

    perf = run_algorithm(SESSIONS[5], SESSIONS[40], initialize, _orders_all,
                         before_trading_start=lambda c, d: None, capital_base=1e5,
                         data_portal=ArrowDataPortal(bundle))
    assert "calendar" not in vars(bundle)  # Bundle.calendar is a cached_property
    assert ran == [pd.Timestamp("2019-03-01"), pd.Timestamp("2019-04-01")]
    assert len(perf) == 36 and sum(map(len, perf["transactions"])) >= 2
    # the same run with the calendar built gives the same frame
    bundle.calendar  # noqa: B018
    again = run_algorithm(SESSIONS[5], SESSIONS[40], initialize, _orders_all,
                          capital_base=1e5, data_portal=ArrowDataPortal(bundle))
    pd.testing.assert_series_equal(perf["portfolio_value"], again["portfolio_value"])


def test_a_minute_run_builds_no_exchange_calendar(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, minute=True)
    perf = run_algorithm(SESSIONS[1], SESSIONS[2], None, _orders_all,
                         before_trading_start=lambda c, d: None, capital_base=1e5,
                         data_portal=ArrowDataPortal(bundle), data_frequency="minute")
    assert "calendar" not in vars(bundle)
    opens = {pd.Timestamp(t["dt"]) for day in perf["transactions"] for t in day}
    assert pd.Timestamp("2019-02-20 14:32", tz="UTC") in opens  # filled on the second minute


def test_date_rules_fall_back_on_the_calendar_when_the_data_start_in_the_run_s_month(
        tmp_path: Path) -> None:
    clock = SessionClock(ArrowDataPortal(_bundle(tmp_path)))
    assert clock.covers_periods_of(SESSIONS[8], SESSIONS[40])  # Mar 1 (Friday) .. Apr 17
    assert not clock.covers_periods_of(SESSIONS[0], SESSIONS[40])  # the data's first week
    assert not clock.covers_periods_of(SESSIONS[8], SESSIONS[-1])  # the data's last month


def test_an_int_equal_to_a_sid_takes_the_checks_after_the_asset_was_sized(
        tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)

    def handle_data(context: Any, data: Any) -> None:
        api.order_target_percent(api.sid(0), 0.2)  # checked and remembered for the session
        api.order_target_percent(0, 0.2)  # equal to sid 0, but not an asset

    with pytest.raises(BadOrderParameters, match="takes an Asset, not int 0"):
        run_algorithm(SESSIONS[5], SESSIONS[6], None, handle_data, capital_base=1e5,
                      data_portal=ArrowDataPortal(bundle))


def test_sizing_again_in_a_session_orders_what_the_first_sizing_did(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    expected: list[int] = []
    got: list[int] = []

    def handle_data(context: Any, data: Any) -> None:
        a = api.sid(1)
        value = context.portfolio.portfolio_value * 0.3
        held = context.portfolio.positions[a].amount
        shares = round_order(value / data.current(a, "price") - held)
        # the checked path, then the fast path (open orders do not count, as in zipline)
        for _ in range(2):
            order_id = api.order_target_percent(a, 0.3)
            assert (order_id is None) == (shares == 0)
            if order_id is not None:
                expected.append(shares)
                got.append(api.get_order(order_id).amount)

    run_algorithm(SESSIONS[5], SESSIONS[12], None, handle_data, capital_base=1e5,
                  data_portal=ArrowDataPortal(bundle))
    assert len(got) >= 4 and got == expected


def test_the_cached_float_portfolio_value_follows_every_ledger_change() -> None:
    ledger = Ledger(Decimal("100000"))
    a, b = 1, 2
    day = pd.Timestamp("2019-03-01", tz="UTC")

    def check() -> None:
        assert ledger.portfolio_value_float() == float(ledger.portfolio_value)

    check()
    ledger.process_transaction(Transaction(a, 100, day, to_money(10.25), None))
    check()
    _ = ledger.positions_value  # caches the Decimal sum before the float is asked again
    ledger.process_transaction(Transaction(b, -30, day, to_money(99.99), None))
    check()
    ledger.sync_last_sale_prices({a: 11.5, b: 98.0}.__getitem__, day)
    _ = ledger.portfolio_value
    check()
    ledger.process_commission(a, to_money(1.75))
    check()
    ledger.process_splits([(a, 0.5)])
    check()


def test_to_money_memo_keeps_the_sign_of_zero_and_stays_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert str(to_money(-0.0)) == "-0.0" and str(to_money(0.0)) == "0.0"
    assert str(to_money(0.0)) == "0.0" and str(to_money(-0.0)) == "-0.0"
    assert to_money(100.12) is to_money(100.12) and str(to_money(100.12)) == "100.12"
    monkeypatch.setattr(money_mod, "_SEEN_MAX", 4)
    monkeypatch.setattr(money_mod, "_SEEN", {})  # other tests in this process filled it
    for x in range(1, 20):
        assert to_money(x + 0.5) == Decimal(f"{x}.5")
        assert len(money_mod._SEEN) <= 4
    with pytest.raises(ValueError, match="finite"):
        to_money(float("nan"))


def test_the_collector_is_never_left_frozen(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)

    def handle_data(context: Any, data: Any) -> None:
        raise RuntimeError("boom")

    before = gc.get_freeze_count()
    with pytest.raises(RuntimeError, match="boom"):
        run_algorithm(SESSIONS[5], SESSIONS[6], None, handle_data, capital_base=1e5,
                      data_portal=ArrowDataPortal(bundle))
    assert gc.get_freeze_count() == before == 0


def test_a_remembered_asset_is_checked_again_once_delisted(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    daily = {}
    for sid, n in ((0, len(SESSIONS)), (1, 20)):  # sid 1 stops trading after session 19
        frame = walk_ohlcv(rng, n, 50.0).round(2)
        frame["high"] = frame[["open", "high", "low", "close"]].max(axis=1)
        frame["low"] = frame[["open", "high", "low", "close"]].min(axis=1)
        frame.insert(0, "date", SESSIONS[:n])
        daily[sid] = frame
    bundle = make_bundle(tmp_path, BundleSpec.from_bars(daily), name="delist")
    placed: dict[pd.Timestamp, Any] = {}

    def handle_data(context: Any, data: Any) -> None:
        target = 0.2 + 0.01 * len(placed)  # a new target each day: an order each day
        placed[data.current_session] = api.order_target_percent(api.sid(1), target)

    run_algorithm(SESSIONS[10], SESSIONS[30], None, handle_data, capital_base=1e5,
                  data_portal=ArrowDataPortal(bundle))
    end = bundle.asset_finder.retrieve_asset(1).end_date
    assert end == SESSIONS[19]
    assert all(v is not None for d, v in placed.items() if d <= end)
    assert all(v is None for d, v in placed.items() if d > end) and len(placed) == 21


def test_bar_data_s_per_bar_spot_lookup_equals_the_portal_on_every_session(
        tmp_path: Path) -> None:
    """BarData resolves the session once per bar and reads close/price/volume itself
    (HotDailySpots); on a bundle with late listings, delistings, halts and splits every value
    equals the portal's own (oracle-tested) answer, on sessions and on weekend labels."""
    from rustybt.engine.bar_data import BarData
    from rustybt.testing import random_spec

    spec = random_spec(11, 5, 70)
    portal = ArrowDataPortal(make_bundle(tmp_path, spec, name="spots"))
    data = BarData(portal, "daily")
    assert data._spots is not None  # the per-bar lookup is in use
    assets = [portal.asset_finder.retrieve_asset(s) for s in range(5)]
    days = [pd.Timestamp(d) for d in spec.sessions]
    days.append(days[10] + np.timedelta64(1, "D"))
    nan_prices = 0
    for day in days:
        data.set_bar(day, day)
        for asset in assets:
            for field in ("close", "price", "volume"):
                want = portal.get_scalar_asset_spot_value(asset, field, day, "daily")
                got = data.current(asset, field)
                assert type(got) is type(want), (day, asset, field)
                assert got == want or (got != got and want != want), (day, asset, field)
                nan_prices += field == "price" and want != want
    assert nan_prices > 0  # outside some asset's life: the general path answered


def test_results_keep_recorded_variables_and_typed_columns(tmp_path: Path) -> None:
    """The recorder keeps rows as tuples and builds typed columns at the end: recorded
    variables are NaN before their first record() and carried after, as with zipline."""
    bundle = _bundle(tmp_path)
    seen: list[int] = []

    def handle_data(context: Any, data: Any) -> None:
        seen.append(1)
        if len(seen) >= 3:
            api.record(n=len(seen))
        if len(seen) == 4:
            api.record(label="four")
        api.order_target_percent(api.sid(0), 0.5)

    perf = run_algorithm(SESSIONS[5], SESSIONS[12], None, handle_data, capital_base=1e5,
                         data_portal=ArrowDataPortal(bundle))
    assert perf["n"].isna().tolist() == [True, True] + [False] * 6
    assert perf["n"].iloc[2:].tolist() == [3, 4, 5, 6, 7, 8]
    assert perf["label"].iloc[4:].tolist() == ["four"] * 4 and perf["label"].iloc[:3].isna().all()
    assert str(perf["period_open"].dtype) == "datetime64[ns, UTC]"
    assert perf["longs_count"].dtype == np.int64 and perf["ending_cash"].dtype == np.float64
    assert perf["period_label"].iloc[0] == SESSIONS[5].strftime("%Y-%m")
    assert perf["positions"].iloc[-1][0]["amount"] > 0
    assert list(perf.index) == list(SESSIONS[5:13])


def test_a_run_without_details_has_every_other_column_equal(tmp_path: Path) -> None:
    """``details=False`` (an optimizer's trials) drops the positions/orders/transactions
    columns and nothing else: every other value is the full run's."""
    portal = ArrowDataPortal(_bundle(tmp_path))
    full = run_algorithm(SESSIONS[5], SESSIONS[40], None, _orders_all, capital_base=1e5,
                         data_portal=portal)
    lean = run_algorithm(SESSIONS[5], SESSIONS[40], None, _orders_all, capital_base=1e5,
                         data_portal=portal, details=False)
    nested = ["positions", "orders", "transactions"]
    assert sum(len(t) for t in full["transactions"]) > 0
    assert not set(nested) & set(lean.columns)
    pd.testing.assert_frame_equal(lean, full.drop(columns=nested))
