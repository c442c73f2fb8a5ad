"""The event loop: sessions, bars, fills, hooks and bookkeeping, in zipline's order.

Per session (all times UTC):
1. session start: dividends going ex today are earned and those paid today are paid; the
   session's starting cash and value are taken; splits effective today rescale positions and
   open orders (their fractional-share cash counts in today's ``capital_used``); trading
   controls reset;
2. ``before_trading_start`` 45 minutes before the open (8:45 New York time on XNYS);
3. each bar (the session close in daily mode, each market minute in minute mode): open
   orders fill against the bar, then ``handle_data``, then the scheduled functions due;
4. session end: positions past their auto-close date are closed and their orders cancelled;
   the cancel policy runs; positions are valued at today's prices; account controls check;
   the session's row is recorded.

The loop touches market data only through :class:`~rustybt.data.portal.protocol.DataPortalLike`.
"""

from __future__ import annotations

import decimal
import gc
from collections.abc import Callable
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from rustybt.calendars import covering_calendar
from rustybt.data.portal.protocol import DataPortalLike
from rustybt.engine.algorithm import TradingAlgorithm
from rustybt.engine.bar_data import BarData
from rustybt.engine.clock import SessionClock
from rustybt.engine.ledger import Ledger
from rustybt.engine.metrics import SessionRecorder
from rustybt.engine.money import MONEY_CONTEXT
from rustybt.engine.orders import Order
from rustybt.engine.portfolio import Account, Portfolio
from rustybt.errors import InvalidSimulation

__all__ = ["Simulation"]

BTS_BEFORE_OPEN = np.timedelta64(45, "m")
_MISSING = object()


class Simulation:
    """One backtest of ``algo`` over ``sessions`` of ``portal``'s data."""

    def __init__(
        self,
        algo: TradingAlgorithm,
        portal: DataPortalLike,
        sessions: pd.DatetimeIndex,
        capital_base: decimal.Decimal,
        data_frequency: str,
        benchmark_returns: pd.Series | None = None,
        progress: Callable[[int], None] | None = None,
        clock: SessionClock | None = None,
        details: bool = True,
    ) -> None:
        self.algo = algo
        self.portal = portal
        self.sessions = sessions
        self.data_frequency = data_frequency
        self.clock = clock or SessionClock(portal, minutes=data_frequency == "minute")
        self.ledger = Ledger(capital_base)
        self.portfolio = Portfolio(self.ledger, sessions[0])
        self.account = Account(self.ledger)
        self.data = BarData(portal, data_frequency)
        self.recorder = SessionRecorder(capital_base, details=details)
        #: Record positions/orders/transactions per session (``run_algorithm(details=...)``).
        self.details = details
        self.benchmark_input = benchmark_returns
        self.progress = progress
        self.session: pd.Timestamp = sessions[0]
        self.index = 0  # position of ``session`` in ``sessions``
        self.started = False
        self._orders_today: dict[str, Order] = {}
        self._txns_today: list[dict[str, Any]] = []
        self._synced_at: Any = None
        self._synced_changes = -1  # ledger.changes at the last sync
        self._auto_close: dict[Any, Any] = {}  # asset → naive auto-close date (or None)
        # first/last market minute of every session, looked up once (exchange-calendars
        # costs ~20 µs a call; the clock reads them without building a calendar)
        # per session position: open, close, UTC midnight (a Timestamp's tz_localize costs
        # ~5 µs and its hash ~0.5 µs: the loop indexes lists instead)
        self._open_list, self._close_list = self.clock.opens_closes(sessions)
        self._midnights = list(pd.DatetimeIndex(sessions).tz_localize("UTC"))

    @property
    def calendar(self) -> Any:
        """The portal's exchange calendar (built on first use: see :mod:`.clock`)."""
        return self.clock.calendar

    # -- valuing the portfolio -----------------------------------------------------------
    def sync_prices(self) -> None:
        """Value positions at the current prices, once per simulation time (zipline values
        the portfolio whenever the algorithm reads it)."""
        now = self.algo.datetime
        if now is self._synced_at or not self.ledger.positions or now == self._synced_at:
            return
        self._synced_at = now
        spot_dt = self.data._now
        if spot_dt is None or spot_dt is pd.NaT:
            self._synced_changes = -1  # nothing synced: the session end must
            return
        # the price ``data.current`` gives now: before the open, the last bar's price with
        # today's adjustments (a split effective today already applies to it)
        self.ledger.sync_last_sale_prices(self.data.price_of, now)
        self._synced_changes = self.ledger.changes

    # -- the run ------------------------------------------------------------------------
    def run(self) -> pd.DataFrame:
        """Simulate every session; returns the results frame (one row per session)."""
        algo = self.algo
        algo.sim = self
        algo.ledger = self.ledger
        algo.datetime = self._open_list[0]
        algo.blotter.current_dt = algo.datetime
        algo.new_run()
        with decimal.localcontext(MONEY_CONTEXT):
            if not algo.initialized:
                algo.initialize()
            self.started = True
            self._prepare_schedules()
            # The objects alive before the loop (modules, the portal, pandas' caches) are
            # parked outside the collector's generations for the loop: a full collection
            # over them cost ~0.15 s of a 0.4 s backtest. unfreeze() hands them back after.
            gc.freeze()
            try:
                for i, session in enumerate(self.sessions):
                    self._session(i, session)
                    if self.progress is not None:
                        self.progress(i + 1)
            finally:
                gc.unfreeze()
        perf = self.recorder.frame(self.sessions, self._benchmark_returns())
        return perf

    def _prepare_schedules(self) -> None:
        if not self.algo.scheduled:
            return
        # Date rules count sessions over whole weeks and months of the calendar, as zipline's
        # do: a run that starts on a Friday does not make that Friday a week start, nor a
        # run (or a portal's calendar) that ends mid-month its last session a month end.
        name = self.clock.name
        if self.clock.covers_periods_of(self.sessions[0], self.sessions[-1]):
            # the data's sessions hold every session of the weeks and months the run touches
            every = self.clock.sessions
        elif isinstance(name, str) and name in xcals.get_calendar_names(include_aliases=True):
            # whole years, a year each side (more than a month), shared with run_algorithm's
            every = pd.DatetimeIndex(
                covering_calendar(name, self.sessions[0], self.sessions[-1]).sessions)
        else:
            every = pd.DatetimeIndex(self.calendar.sessions)
        if every.tz is not None:
            every = every.tz_localize(None)
        where = every.get_indexer(self.sessions)
        if (where < 0).any():  # a calendar that disagrees with the simulation's sessions
            missing = self.sessions[where < 0]
            raise InvalidSimulation(
                f"session {missing[0].date()} is not a session of calendar {name!r}")
        for scheduled in self.algo.scheduled:
            scheduled.sessions = scheduled.date_rule.mask(every)[where]
            if not scheduled.half_days:
                early = self.calendar.early_closes
                scheduled.sessions &= ~self.sessions.isin(early)

    def _session(self, i: int, session: pd.Timestamp) -> None:
        algo, ledger, blotter, data = self.algo, self.ledger, self.algo.blotter, self.data
        self.session = session
        self.index = i
        self._orders_today = {}
        self._txns_today = []
        algo.recorded_vars = dict(algo.recorded_vars)
        open_, close = self._open_list[i], self._close_list[i]
        # 1. session start
        algo.datetime = blotter.current_dt = self._midnights[i]
        self._start_of_session(session)
        for control in algo.order_controls:
            control.new_session()
        # 2. before trading start
        if algo._before_trading_start is not None:
            bts = open_ - BTS_BEFORE_OPEN
            previous = self._previous_bar(i, open_)
            algo.datetime = blotter.current_dt = bts
            data.set_before_trading_start(bts, session, previous)
            algo.before_trading_start(data)
            self._collect_new_orders()
        # 3. bars
        if self.data_frequency == "daily":
            self._bar(close, session, i, None)
        else:
            minutes = self.clock.session_minutes(session)
            for j, minute in enumerate(minutes):
                self._bar(pd.Timestamp(minute), session, i, (j, len(minutes)))
        # 4. session end
        algo.datetime = blotter.current_dt = close
        self._close_expired(session, close)
        blotter.end_of_session()
        self._collect_new_orders()
        # the view still shows the session's last bar: value positions at its prices (unless
        # handle_data synced them on this very bar and no fill or split came since: daily
        # mode, where the bar is the close; the same prices again cost ~10 µs a session)
        if not (self._synced_at is close and ledger.changes == self._synced_changes):
            ledger.sync_last_sale_prices(data.price_of, close)
        for account_control in algo.account_controls:
            account_control.validate(self.account.leverage, close)
        self.recorder.end_of_session(
            ledger, open_, close,
            [o.to_dict() for o in self._orders_today.values()] if self.details else [],
            self._txns_today, dict(algo.recorded_vars))

    def _previous_bar(self, i: int, open_: pd.Timestamp) -> Any:
        if self.data_frequency == "daily":
            if i > 0:
                return self.sessions[i - 1]
            return self.clock.previous_session(self.sessions[0])
        return self.clock.previous_minute(self.sessions[i], open_)

    def _start_of_session(self, session: pd.Timestamp) -> None:
        ledger, blotter, portal = self.ledger, self.algo.blotter, self.portal
        reader = portal.adjustment_reader
        if reader is not None and ledger.positions:
            held = [getattr(a, "sid", a) for a in ledger.positions]
            ledger.earn_dividends(reader.get_dividends_with_ex_date(
                held, session, portal.asset_finder))
        ledger.pay_dividends(session)
        # the session's starting_* values are taken here, after the dividends and before the
        # splits (zipline's order: a split's cash for fractional shares is today's cash flow)
        self.recorder.start_of_session(ledger)
        care = set(ledger.positions) | set(blotter.open_orders)
        if care:
            splits = portal.get_splits(list(care), session)
            if splits:
                blotter.process_splits(splits)
                ledger.process_splits(splits)

    def _bar(self, dt: pd.Timestamp, session: pd.Timestamp, i: int,
             minute: tuple[int, int] | None) -> None:
        algo, blotter, data = self.algo, self.algo.blotter, self.data
        algo.datetime = blotter.current_dt = dt
        data.set_bar(dt, session)
        if blotter.open_orders:
            txns, commissions, _closed = blotter.get_transactions(data)
            details = self.details
            for txn in txns:
                self.ledger.process_transaction(txn)
                if details:
                    self._txns_today.append(txn.to_dict())
                    order = blotter.orders[txn.order_id] if txn.order_id else None
                    if order is not None:
                        self._orders_today[order.id] = order
            for asset, cost in commissions:
                self.ledger.process_commission(asset, cost)
        algo.handle_data(data)
        for scheduled in algo.scheduled:
            assert scheduled.sessions is not None
            if not scheduled.sessions[i]:
                continue
            if minute is not None:
                at = scheduled.time_rule.minute_index(minute[1])
                if at is not None and at != minute[0]:
                    continue
            scheduled.func(algo, data)
        self._collect_new_orders()

    def _collect_new_orders(self) -> None:
        blotter = self.algo.blotter
        if self.details:
            for order in blotter.new_orders:
                self._orders_today[order.id] = order
        blotter.new_orders = []

    def _close_expired(self, session: pd.Timestamp, close: pd.Timestamp) -> None:
        ledger, blotter = self.ledger, self.algo.blotter
        spot_dt: Any = session if self.data_frequency == "daily" else close

        auto_close = self._auto_close
        last = self.sessions[-1]
        expiring = []
        for asset in (*ledger.positions, *blotter.open_orders):
            acd = auto_close.get(asset, _MISSING)
            if acd is _MISSING:  # first sight: None unless it auto-closes inside the run
                acd = getattr(asset, "auto_close_date", None)
                acd = None if acd is None else acd.tz_localize(None)
                acd = auto_close[asset] = acd if acd is not None and acd <= last else None
            if acd is not None and acd <= session:
                expiring.append(asset)
        if not expiring:  # the common case: one dict lookup per held or ordered asset
            return

        def expired(asset: Any) -> bool:
            acd = auto_close.get(asset)
            return acd is not None and acd <= session

        for asset in [a for a in ledger.positions if expired(a)]:
            price = self.portal.get_scalar_asset_spot_value(asset, "price", spot_dt,
                                                            self.data_frequency)
            txn = ledger.close_position(asset, close, float(price))
            if txn is not None and self.details:
                self._txns_today.append(txn.to_dict())
        for asset in [a for a in blotter.open_orders if expired(a)]:
            blotter.cancel_all_orders_for_asset(asset)

    # -- benchmark ----------------------------------------------------------------------
    def _benchmark_returns(self) -> np.ndarray:
        n = len(self.sessions)
        given = self.benchmark_input
        asset = self.algo.benchmark_asset
        if asset is not None:
            closes = self.portal.get_history_window(
                [asset], self.sessions[-1], n + 1, "1d", "price", "daily")
            series = closes.iloc[:, 0].pct_change().iloc[1:]
            return np.nan_to_num(series.to_numpy(dtype=float), nan=0.0)
        if given is None:
            return np.zeros(n)
        index = pd.DatetimeIndex(given.index)
        if index.tz is not None:
            index = index.tz_convert(None)
        aligned = pd.Series(given.to_numpy(dtype=float), index=index.normalize())
        missing = self.sessions.difference(aligned.index)
        if len(missing):
            raise ValueError(f"benchmark_returns has no value for {len(missing)} session(s), "
                             f"first {missing[0].date()}")
        return aligned.reindex(self.sessions).to_numpy(dtype=float)
