"""Commission models (zipline's rules), computed in ``Decimal``.

``calculate(order, amount, price)`` returns the *additional* commission for one fill of
``order`` (``order.commission`` holds what earlier fills of it already paid), so minimums
apply per order, as in zipline: :class:`PerShare` charges ``max(min_trade_cost, shares × cost)``
over the order's fills; :class:`PerTrade` charges ``cost`` once per order; :class:`PerDollar`
charges ``|amount| × price × cost`` per fill. zipline-reloaded's equity default is
``PerShare(cost=0.001, min_trade_cost=0)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal

from rustybt.engine.money import ZERO, to_money
from rustybt.engine.orders import Order

__all__ = ["CommissionModel", "NoCommission", "PerDollar", "PerShare", "PerTrade"]


def _non_negative(value: float, name: str) -> Decimal:
    money = to_money(value)
    if money < 0:
        raise ValueError(f"{name} must be >= 0, not {value!r}")
    return money


class CommissionModel(ABC):
    """Base class: the commission owed for one fill."""

    @abstractmethod
    def calculate(self, order: Order, amount: int, price: Decimal) -> Decimal:
        """Additional commission for a fill of ``amount`` shares of ``order`` at ``price``."""


class NoCommission(CommissionModel):
    """Trade for free."""

    def calculate(self, order: Order, amount: int, price: Decimal) -> Decimal:
        return ZERO

    def __repr__(self) -> str:
        return "NoCommission()"


class PerShare(CommissionModel):
    """``cost`` per share, at least ``min_trade_cost`` per order."""

    def __init__(self, cost: float = 0.001, min_trade_cost: float = 0.0) -> None:
        self.cost_per_share = _non_negative(cost, "cost")
        self.min_trade_cost = _non_negative(min_trade_cost or 0.0, "min_trade_cost")

    def calculate(self, order: Order, amount: int, price: Decimal) -> Decimal:
        additional = abs(amount * self.cost_per_share)
        if order.commission == 0:
            return max(self.min_trade_cost, additional)
        total = abs(order.filled * self.cost_per_share) + additional
        if total < self.min_trade_cost:
            return ZERO
        return total - to_money(order.commission)

    def __repr__(self) -> str:
        return (f"PerShare(cost_per_share={self.cost_per_share}, "
                f"min_trade_cost={self.min_trade_cost})")


class PerTrade(CommissionModel):
    """``cost`` per order, charged on its first fill."""

    def __init__(self, cost: float = 0.0) -> None:
        self.cost = _non_negative(cost, "cost")

    def calculate(self, order: Order, amount: int, price: Decimal) -> Decimal:
        return self.cost if order.commission == 0 else ZERO

    def __repr__(self) -> str:
        return f"PerTrade(cost_per_trade={self.cost})"


class PerDollar(CommissionModel):
    """``cost`` per dollar traded."""

    def __init__(self, cost: float = 0.0015) -> None:
        self.cost_per_dollar = _non_negative(cost, "cost")

    def calculate(self, order: Order, amount: int, price: Decimal) -> Decimal:
        return abs(amount) * price * self.cost_per_dollar

    def __repr__(self) -> str:
        return f"PerDollar(cost_per_dollar={self.cost_per_dollar})"
