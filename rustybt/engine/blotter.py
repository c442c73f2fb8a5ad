"""The blotter: open orders, and their fills on each bar (zipline's ``SimulationBlotter``).

Orders placed during a bar fill from the *next* bar on (``get_transactions`` runs before
``handle_data``). Per asset, orders fill in the order they were placed, through the asset's
slippage model, and each fill is charged by the commission model. Splits rescale open orders;
an asset past its auto-close date has its orders cancelled. The cancel policy is zipline's:
``NeverCancel`` by default, ``EODCancel`` cancels what is still open at each session end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from rustybt.engine.commission import CommissionModel, PerShare
from rustybt.engine.ledger import Transaction
from rustybt.engine.money import to_money
from rustybt.engine.orders import ExecutionStyle, MarketOrder, Order, OrderStatus
from rustybt.engine.slippage import BarLike, FixedBasisPointsSlippage, SlippageModel

__all__ = ["Blotter", "CancelPolicy", "EODCancel", "NeverCancel"]

#: zipline's cap on one order's size.
MAX_SHARES = int(1e11)


class CancelPolicy:
    """Whether open orders are cancelled at a session's end."""

    def should_cancel(self) -> bool:
        """True to cancel everything still open when the session ends."""
        return False


class NeverCancel(CancelPolicy):
    """Orders stay open until filled or cancelled (zipline's default)."""

    def __repr__(self) -> str:
        return "NeverCancel()"


class EODCancel(CancelPolicy):
    """Cancel whatever is still open at the end of each session."""

    def should_cancel(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "EODCancel()"


class Blotter:
    """Open orders and the models that fill them."""

    def __init__(
        self,
        slippage: SlippageModel | None = None,
        commission: CommissionModel | None = None,
        cancel_policy: CancelPolicy | None = None,
    ) -> None:
        self.slippage = slippage or FixedBasisPointsSlippage()
        self.commission = commission or PerShare()
        self.cancel_policy = cancel_policy or NeverCancel()
        self.open_orders: dict[Any, list[Order]] = {}
        self.orders: dict[str, Order] = {}
        #: Orders created or changed since the ledger last saw them.
        self.new_orders: list[Order] = []
        self.current_dt: pd.Timestamp | None = None

    def order(self, asset: Any, amount: int, style: ExecutionStyle) -> str | None:
        """Place an order; returns its id (None for a zero amount)."""
        if amount == 0:
            return None
        if abs(amount) > MAX_SHARES:
            raise OverflowError(f"cannot order more than {MAX_SHARES} shares: {amount}")
        assert self.current_dt is not None
        if type(style) is MarketOrder:  # no prices to round
            order = Order(self.current_dt, asset, amount)
        else:
            is_buy = amount > 0
            order = Order(self.current_dt, asset, amount, stop=style.get_stop_price(is_buy),
                          limit=style.get_limit_price(is_buy))
        orders = self.open_orders.get(asset)  # setdefault would build a list per call
        if orders is None:
            self.open_orders[asset] = [order]
        else:
            orders.append(order)
        self.orders[order.id] = order
        self.new_orders.append(order)
        return order.id

    def cancel(self, order_id: str, relay_status: bool = True) -> None:
        """Cancel an open order (unknown or closed ids are ignored, as in zipline)."""
        order = self.orders.get(order_id)
        if order is None or not order.open:
            return
        orders = self.open_orders.get(order.asset, [])
        if order in orders:
            orders.remove(order)
            if not orders:
                del self.open_orders[order.asset]
        if order in self.new_orders:
            self.new_orders.remove(order)
        order.status_ = OrderStatus.CANCELLED
        assert self.current_dt is not None
        order.dt = self.current_dt
        if relay_status:
            self.new_orders.append(order)

    def cancel_all_orders_for_asset(self, asset: Any, relay_status: bool = True) -> None:
        """Cancel every open order of ``asset``."""
        for order in list(self.open_orders.get(asset, ())):
            self.cancel(order.id, relay_status)
        self.open_orders.pop(asset, None)

    def end_of_session(self) -> None:
        """Apply the cancel policy when a session ends."""
        if self.cancel_policy.should_cancel():
            for asset in list(self.open_orders):
                self.cancel_all_orders_for_asset(asset, relay_status=False)

    def process_splits(self, splits: Iterable[tuple[Any, float]]) -> None:
        """Rescale open orders of split assets; drop orders that round to nothing."""
        for asset, ratio in splits:
            orders = self.open_orders.get(asset)
            if not orders:
                continue
            for order in orders:
                order.handle_split(ratio)
            for order in [o for o in orders if o.open_amount == 0]:
                orders.remove(order)
                if order in self.new_orders:
                    self.new_orders.remove(order)
            if not orders:
                del self.open_orders[asset]

    def get_transactions(
        self, data: BarLike
    ) -> tuple[list[Transaction], list[tuple[Any, Any]], list[Order]]:
        """Fill open orders on the current bar.

        Returns:
            ``(transactions, commissions, closed_orders)``; commissions are
            ``(asset, Decimal cost)`` pairs for fills that cost something.
        """
        transactions: list[Transaction] = []
        commissions: list[tuple[Any, Any]] = []
        closed: list[Order] = []
        if not self.open_orders:
            return transactions, commissions, closed
        dt = data.current_dt
        simulate, calculate = self.slippage.simulate, self.commission.calculate
        for asset, orders in list(self.open_orders.items()):
            for order, price, amount in simulate(data, asset, orders):
                fill_price = to_money(price)
                cost = calculate(order, amount, fill_price)
                if cost > 0:
                    commissions.append((asset, cost))
                order.filled += amount
                order.commission += cost
                order.dt = dt
                transactions.append(Transaction(asset, amount, dt, fill_price, order.id))
                if order.amount == order.filled:  # filled: an open order that fills can
                    closed.append(order)          # only close by filling (``Order.open``)
        for order in closed:
            remaining = self.open_orders.get(order.asset)
            if remaining is not None and order in remaining:
                remaining.remove(order)
                if not remaining:
                    del self.open_orders[order.asset]
        return transactions, commissions, closed
