"""``TradingAlgorithm``: a zipline-style algorithm and the API it calls.

The algorithm object is also the ``context`` handed to ``initialize(context)``,
``handle_data(context, data)``, ``before_trading_start(context, data)`` and
``analyze(context, perf)`` (as in zipline): users store their state on it, and it carries
``portfolio``, ``account``, ``params`` and the order/record/schedule methods that
:mod:`rustybt.api` exposes as functions.

Order sizing follows zipline exactly: ``order_value``/``order_percent``/``order_target_*``
divide by the current ``price`` in float, then :func:`round_order` snaps amounts within 1e-4
of an integer and truncates the rest toward zero.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from rustybt.engine.blotter import Blotter, CancelPolicy
from rustybt.engine.commission import CommissionModel
from rustybt.engine.controls import (
    AccountControl,
    LongOnly,
    MaxLeverage,
    MaxOrderCount,
    MaxOrderSize,
    MaxPositionSize,
    OrderControl,
)
from rustybt.engine.ledger import Ledger
from rustybt.engine.orders import (
    ExecutionStyle,
    LimitOrder,
    MarketOrder,
    OrderSnapshot,
    StopLimitOrder,
    StopOrder,
)
from rustybt.engine.portfolio import Account, Portfolio
from rustybt.engine.scheduling import DateRule, ScheduledFunction, TimeRule, date_rules, time_rules
from rustybt.engine.slippage import SlippageModel
from rustybt.errors import BadOrderParameters, CannotOrderDelistedAsset, OrderDuringInitialize

__all__ = ["TradingAlgorithm", "round_order"]

#: Market orders carry no state: one instance serves every order placed without a style.
MARKET = MarketOrder()

log = logging.getLogger("rustybt.engine")

Hook = Callable[..., Any]


def round_order(amount: float) -> int:
    """zipline's rounding: snap to an integer within 1e-4, else truncate toward zero."""
    nearest = round(amount)
    if abs(amount - nearest) <= 1e-4:
        return int(nearest)
    return int(amount)


class TradingAlgorithm:
    """A trading algorithm: user hooks plus the order/record/schedule API.

    Args:
        initialize: ``initialize(context)``, called once before the first session.
        handle_data: ``handle_data(context, data)``, called on every bar.
        before_trading_start: ``before_trading_start(context, data)``, before each session.
        analyze: ``analyze(context, perf)``, called with the results frame at the end.
        params: Parameters of this run (``context.params``; ``rustybt run --param``).
    """

    def __init__(
        self,
        initialize: Hook | None = None,
        handle_data: Hook | None = None,
        before_trading_start: Hook | None = None,
        analyze: Hook | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self._initialize = initialize
        self._handle_data = handle_data
        self._before_trading_start = before_trading_start
        self._analyze = analyze
        self.params: dict[str, Any] = dict(params or {})
        self.blotter = Blotter()
        self.recorded_vars: dict[str, Any] = {}
        self.order_controls: list[OrderControl] = []
        self.account_controls: list[AccountControl] = []
        self.scheduled: list[ScheduledFunction] = []
        self.benchmark_asset: Any = None
        self.initialized = False
        # set by the simulation
        self.sim: Any = None
        self.ledger: Ledger | None = None
        self.datetime: pd.Timestamp = pd.NaT
        #: asset → ``(asset, price_multiplier, passes)`` for assets that passed the checks
        #: of :meth:`_can_order` and :meth:`_value_to_shares` once this run; ``passes[i]``
        #: says whether they pass on the run's session ``i`` (they depend on the asset's
        #: dates and the session only), so sizing an order of the same object again skips
        #: them there (an int equal to a sid finds the entry but is not the asset: it takes
        #: the checks).
        self._orderable: dict[Any, tuple[Any, float, list[bool]]] = {}

    def new_run(self) -> None:
        """A simulation starts (its sessions are not the last run's)."""
        self._orderable = {}

    def _remember_orderable(self, asset: Any, multiplier: float) -> None:
        """Record on which sessions of the run ``asset`` passes the order checks: the
        vectorised form of :meth:`_can_order`'s and :meth:`_value_to_shares`'s tests."""
        sessions = self._sim().sessions
        passes = np.ones(len(sessions), dtype=bool)
        start = getattr(asset, "start_date", None)
        end = getattr(asset, "end_date", None)
        acd = getattr(asset, "auto_close_date", None)
        if start is not None:
            passes &= np.asarray(sessions >= start)
        if end is not None:
            passes &= np.asarray(sessions <= end)
        if acd is not None:
            passes &= np.asarray(sessions <= min(end or acd, acd))
        self._orderable[asset] = (asset, multiplier, passes.tolist())

    # -- hooks --------------------------------------------------------------------------
    def initialize(self) -> None:
        """Run the user's ``initialize``."""
        if self._initialize is not None:
            self._initialize(self)
        self.initialized = True

    def handle_data(self, data: Any) -> None:
        """Run the user's ``handle_data``."""
        if self._handle_data is not None:
            self._handle_data(self, data)

    def before_trading_start(self, data: Any) -> None:
        """Run the user's ``before_trading_start``."""
        if self._before_trading_start is not None:
            self._before_trading_start(self, data)

    def analyze(self, perf: pd.DataFrame) -> None:
        """Run the user's ``analyze``."""
        if self._analyze is not None:
            self._analyze(self, perf)

    # -- state --------------------------------------------------------------------------
    def _sim(self) -> Any:
        if self.sim is None:
            raise OrderDuringInitialize(
                "this API call needs a running simulation: call it from handle_data, "
                "before_trading_start or a scheduled function")
        return self.sim

    @property
    def portfolio(self) -> Portfolio:
        """The portfolio, valued at the current prices (floats; ``.exact`` is the ledger)."""
        sim = self._sim()
        sim.sync_prices()
        return sim.portfolio

    @property
    def account(self) -> Account:
        """The account (leverage, net liquidation, ...), valued at the current prices."""
        sim = self._sim()
        sim.sync_prices()
        return sim.account

    def get_datetime(self, tz: Any = None) -> pd.Timestamp:
        """The simulation time (UTC, or converted to ``tz``)."""
        dt = self.datetime
        return dt.tz_convert(tz) if tz is not None and dt is not pd.NaT else dt

    # -- assets -------------------------------------------------------------------------
    def symbol(self, symbol_str: str, country_code: str | None = None) -> Any:
        """The asset trading as ``symbol_str`` (on the simulation's last session)."""
        return self._finder().lookup_symbol(symbol_str, as_of_date=self._lookup_date())

    def symbols(self, *args: str, country_code: str | None = None) -> list[Any]:
        """Several :meth:`symbol` lookups."""
        return [self.symbol(s) for s in args]

    def sid(self, sid: int) -> Any:
        """The asset with id ``sid``."""
        return self._finder().retrieve_asset(sid)

    def _finder(self) -> Any:
        if self.sim is not None:
            return self.sim.portal.asset_finder
        if self._pending_portal is not None:
            return self._pending_portal.asset_finder
        raise OrderDuringInitialize("no data portal yet")

    _pending_portal: Any = None
    _lookup_end: pd.Timestamp | None = None

    def _lookup_date(self) -> pd.Timestamp | None:
        return self._lookup_end

    # -- orders -------------------------------------------------------------------------
    def _can_order(self, asset: Any) -> bool:
        if not hasattr(asset, "sid"):
            raise BadOrderParameters(
                f"order() takes an Asset, not {type(asset).__name__} {asset!r}: look it up "
                "with symbol() or sid() first")
        acd = getattr(asset, "auto_close_date", None)
        if acd is not None:
            session = self._sim().session
            end = getattr(asset, "end_date", None) or acd
            if session > min(end, acd):
                log.warning("cannot order %r: it was delisted; positions are closed on %s",
                            asset, acd)
                return False
        return True

    def _style(self, asset: Any, limit_price: float | None, stop_price: float | None,
               style: ExecutionStyle | None) -> ExecutionStyle:
        if style is not None:
            if limit_price is not None or stop_price is not None:
                raise BadOrderParameters("pass either style or limit_price/stop_price, not both")
            return style
        if limit_price is not None and stop_price is not None:
            return StopLimitOrder(limit_price, stop_price, asset=asset)
        if limit_price is not None:
            return LimitOrder(limit_price, asset=asset)
        if stop_price is not None:
            return StopOrder(stop_price, asset=asset)
        return MARKET

    def order(self, asset: Any, amount: float, limit_price: float | None = None,
              stop_price: float | None = None, style: ExecutionStyle | None = None) -> str | None:
        """Order ``amount`` shares (negative sells); returns the order id or None."""
        if not self._can_order(asset):
            return None
        return self._place(asset, amount, limit_price, stop_price, style)

    def _place(self, asset: Any, amount: float, limit_price: float | None,
               stop_price: float | None, style: ExecutionStyle | None) -> str | None:
        sim = self._sim()
        if not isinstance(amount, int | float) or amount != amount:
            raise BadOrderParameters(f"order amount must be a number, not {amount!r}")
        shares = round_order(amount)
        if style is None and limit_price is None and stop_price is None:
            execution: ExecutionStyle = MARKET
            if not shares:  # nothing to place (blotter.order returns None for 0 shares)
                return None
        else:
            execution = self._style(asset, limit_price, stop_price, style)
        if self.order_controls and shares:
            held = sim.ledger.amount(asset)
            price = sim.data.current(asset, "price")
            for control in self.order_controls:
                control.validate(asset, shares, held, price, self.datetime)
        return self.blotter.order(asset, shares, execution)

    def _market(self, asset: Any, amount: float) -> str | None:
        """:meth:`_place` for a market order when no order control is set (the common case
        of the order_target_* family, ~12 k calls in a 10-asset daily backtest): the same
        rounding, without the style and control steps."""
        if amount != amount:
            raise BadOrderParameters(f"order amount must be a number, not {amount!r}")
        nearest = round(amount)  # round_order inlined
        shares = int(nearest) if abs(amount - nearest) <= 1e-4 else int(amount)
        if not shares:
            return None
        return self.blotter.order(asset, shares, MARKET)

    def _value_to_shares(self, asset: Any, value: float) -> float:
        sim = self._sim()
        session = sim.session
        start, end = getattr(asset, "start_date", None), getattr(asset, "end_date", None)
        if start is not None and session < start:
            raise CannotOrderDelistedAsset(f"cannot order {asset!r} on {session.date()}: "
                                           f"it starts trading on {start.date()}")
        if end is not None and session > end:
            raise CannotOrderDelistedAsset(f"cannot order {asset!r} on {session.date()}: "
                                           f"it stopped trading on {end.date()}")
        price = sim.data.current(asset, "price")
        if price != price:
            raise CannotOrderDelistedAsset(
                f"cannot order {asset!r} by value on {session.date()}: it has no price yet")
        if abs(price) < 1e-8:
            return 0.0
        multiplier = getattr(asset, "price_multiplier", 1.0)
        if asset not in self._orderable:
            self._remember_orderable(asset, multiplier)
        return value / (price * multiplier)

    def order_value(self, asset: Any, value: float, limit_price: float | None = None,
                    stop_price: float | None = None,
                    style: ExecutionStyle | None = None) -> str | None:
        """Order ``value`` dollars' worth of ``asset``."""
        if not self._can_order(asset):
            return None
        return self._place(asset, self._value_to_shares(asset, value), limit_price, stop_price,
                          style)

    def order_percent(self, asset: Any, percent: float, limit_price: float | None = None,
                      stop_price: float | None = None,
                      style: ExecutionStyle | None = None) -> str | None:
        """Order ``percent`` of the portfolio value."""
        if not self._can_order(asset):
            return None
        value = self.portfolio.portfolio_value * percent
        return self._place(asset, self._value_to_shares(asset, value), limit_price, stop_price,
                          style)

    def order_target(self, asset: Any, target: float, limit_price: float | None = None,
                     stop_price: float | None = None,
                     style: ExecutionStyle | None = None) -> str | None:
        """Order up or down to ``target`` shares."""
        if not self._can_order(asset):
            return None
        held = self.portfolio.exact.amount(asset)
        return self._place(asset, target - held, limit_price, stop_price, style)

    def order_target_value(self, asset: Any, target: float, limit_price: float | None = None,
                           stop_price: float | None = None,
                           style: ExecutionStyle | None = None) -> str | None:
        """Order up or down to ``target`` dollars of ``asset``."""
        if not self._can_order(asset):
            return None
        shares = self._value_to_shares(asset, target) - self.portfolio.exact.amount(asset)
        return self._place(asset, shares, limit_price, stop_price, style)

    def order_target_percent(self, asset: Any, target: float, limit_price: float | None = None,
                             stop_price: float | None = None,
                             style: ExecutionStyle | None = None) -> str | None:
        """Order up or down to ``target`` of the portfolio value."""
        checked = self._orderable.get(asset)
        sim = self.sim
        if checked is not None and checked[0] is asset and checked[2][sim.index]:
            # the checks pass today (see _orderable): the same steps without them
            multiplier = checked[1]
            sim.sync_prices()
            price = sim.data.price_of(asset)
            if price == price and abs(price) >= 1e-8:
                ledger = sim.ledger
                position = ledger.positions.get(asset)
                shares = (ledger.portfolio_value_float() * target / (price * multiplier)
                          - (position.amount if position is not None else 0))
                if (style is None and limit_price is None and stop_price is None
                        and not self.order_controls):
                    return self._market(asset, shares)
                return self._place(asset, shares, limit_price, stop_price, style)
        if not self._can_order(asset):
            return None
        ledger = self.portfolio.exact  # valued at the current prices
        value = ledger.portfolio_value_float() * target
        shares = self._value_to_shares(asset, value) - ledger.amount(asset)
        return self._place(asset, shares, limit_price, stop_price, style)

    def cancel_order(self, order_param: Any) -> None:
        """Cancel an order (by id or by the order itself)."""
        order_id = order_param if isinstance(order_param, str) else order_param.id
        self.blotter.cancel(order_id)

    def get_order(self, order_id: str) -> OrderSnapshot | None:
        """The order with ``order_id``, or None."""
        order = self.blotter.orders.get(order_id)
        return order.to_api() if order is not None else None

    def get_open_orders(self, asset: Any = None) -> Any:
        """Open orders of ``asset`` (a list), or of every asset (a dict asset → list)."""
        if asset is None:
            return {a: [o.to_api() for o in orders]
                    for a, orders in self.blotter.open_orders.items() if orders}
        return [o.to_api() for o in self.blotter.open_orders.get(asset, [])]

    # -- recording and scheduling ---------------------------------------------------------
    def record(self, *args: Any, **kwargs: Any) -> None:
        """Record values for today (``record('x', 1)`` or ``record(x=1)``)."""
        if len(args) % 2:
            raise ValueError("record() takes name, value pairs or keyword arguments")
        for name, value in zip(args[::2], args[1::2], strict=True):
            self.recorded_vars[name] = value
        self.recorded_vars.update(kwargs)

    def schedule_function(self, func: Hook, date_rule: DateRule | None = None,
                          time_rule: TimeRule | None = None, half_days: bool = True,
                          calendar: Any = None) -> None:
        """Run ``func(context, data)`` on the sessions/minutes the rules pick."""
        if isinstance(date_rule, TimeRule):
            raise ValueError("schedule_function got a time rule as date_rule; pass it as "
                             "time_rule=")
        self.scheduled.append(ScheduledFunction(
            func, date_rule or date_rules.every_day(), time_rule or time_rules.every_minute(),
            half_days))

    # -- models and controls --------------------------------------------------------------
    def set_commission(self, us_equities: CommissionModel | None = None,
                       us_futures: Any = None) -> None:
        """Use ``us_equities`` as the commission model."""
        self._before_start("set_commission")
        if us_futures is not None:
            raise NotImplementedError("futures are not supported by rustybt's engine")
        if us_equities is not None:
            self.blotter.commission = us_equities

    def set_slippage(self, us_equities: SlippageModel | None = None,
                     us_futures: Any = None) -> None:
        """Use ``us_equities`` as the slippage model."""
        self._before_start("set_slippage")
        if us_futures is not None:
            raise NotImplementedError("futures are not supported by rustybt's engine")
        if us_equities is not None:
            self.blotter.slippage = us_equities

    def set_cancel_policy(self, cancel_policy: CancelPolicy) -> None:
        """Use ``cancel_policy`` (``EODCancel()`` or ``NeverCancel()``)."""
        self.blotter.cancel_policy = cancel_policy

    def set_benchmark(self, benchmark: Any) -> None:
        """Use ``benchmark``'s daily returns (an asset) as the benchmark."""
        self._before_start("set_benchmark")
        self.benchmark_asset = benchmark

    def set_long_only(self, on_error: str = "fail") -> None:
        """Forbid orders that would leave a short position."""
        self.order_controls.append(LongOnly(on_error))

    def set_max_order_count(self, max_count: int, on_error: str = "fail") -> None:
        """At most ``max_count`` orders per session."""
        self.order_controls.append(MaxOrderCount(max_count, on_error))

    def set_max_order_size(self, asset: Any = None, max_shares: int | None = None,
                           max_notional: float | None = None, on_error: str = "fail") -> None:
        """Limit each order's size (of ``asset``, or of every asset)."""
        self.order_controls.append(MaxOrderSize(asset, max_shares, max_notional, on_error))

    def set_max_position_size(self, asset: Any = None, max_shares: int | None = None,
                              max_notional: float | None = None,
                              on_error: str = "fail") -> None:
        """Limit positions' size (of ``asset``, or of every asset)."""
        self.order_controls.append(MaxPositionSize(asset, max_shares, max_notional, on_error))

    def set_max_leverage(self, max_leverage: float) -> None:
        """Fail when gross leverage exceeds ``max_leverage`` at a session end."""
        self.account_controls.append(MaxLeverage(max_leverage))

    def _before_start(self, what: str) -> None:
        if self.sim is not None and self.sim.started:
            raise ValueError(f"{what}() can only be called from initialize")

    def scheduled_functions(self) -> Iterable[ScheduledFunction]:
        """The functions registered with :meth:`schedule_function`."""
        return tuple(self.scheduled)
