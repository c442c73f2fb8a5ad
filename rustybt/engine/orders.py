"""Orders and execution styles, with zipline's semantics.

An :class:`Order` is mutable (the blotter fills it bar by bar); what the algorithm sees is a
snapshot (:meth:`Order.to_api`). Execution styles turn ``limit_price``/``stop_price`` into the
order's ``limit``/``stop`` with zipline's asymmetric rounding to the tick (a buy limit rounds
down, a buy stop rounds up, so rounding never makes an order more aggressive than asked).
Trigger rules (``check_triggers``) are zipline's: a stop triggers when the bar's close crosses
it; a stop-limit turns into a limit order once its stop is reached.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pandas as pd

from rustybt.errors import BadOrderParameters

__all__ = [
    "ExecutionStyle",
    "LimitOrder",
    "MarketOrder",
    "Order",
    "OrderSnapshot",
    "OrderStatus",
    "StopLimitOrder",
    "StopOrder",
]


class OrderStatus(IntEnum):
    """zipline's ``ORDER_STATUS`` values."""

    OPEN = 0
    FILLED = 1
    CANCELLED = 2
    REJECTED = 3
    HELD = 4


def _check_price(price: Any, label: str) -> float:
    try:
        value = float(price)
    except (TypeError, ValueError):
        raise BadOrderParameters(
            f"a {label} price must be a number, not {type(price).__name__} {price!r}"
        ) from None
    if not math.isfinite(value):
        raise BadOrderParameters(f"a {label} price must be finite, not {value!r}")
    if value < 0:
        raise BadOrderParameters(f"a {label} price cannot be negative: {value!r}")
    return value


def asymmetric_round_price(
    price: float, prefer_round_down: bool, tick_size: float = 0.01, diff: float = 0.95
) -> float:
    """Round ``price`` to ``tick_size``, towards the conservative side (zipline's rule).

    A price within ``1 - diff`` ticks above a tick rounds down when ``prefer_round_down`` (and
    symmetrically up otherwise): 10.051 → 10.05 for a buy limit, 10.059 → 10.06.
    """
    precision = max(0, -math.floor(math.log10(tick_size) + 1e-9)) if tick_size < 1 else 0
    multiplier = round(tick_size * 10**precision)
    shift = (diff - 0.5) * 10.0**-precision * multiplier - 2.220446049250313e-16 * 10
    value = (price - (shift if prefer_round_down else -shift)) / tick_size
    rounded = tick_size * _round_half_up(value)
    return 0.0 if abs(rounded) < 1e-15 else rounded


def _round_half_up(value: float) -> float:
    # zipline's ``consistent_round``: halves round away from zero, not to even.
    return float(math.floor(value + 0.5)) if value >= 0 else -float(math.floor(-value + 0.5))


class ExecutionStyle:
    """How an order executes: its limit and stop prices for a buy or a sell."""

    def get_limit_price(self, is_buy: bool) -> float | None:
        """The limit price of a buy (``is_buy``) or sell order, or None."""
        return None

    def get_stop_price(self, is_buy: bool) -> float | None:
        """The stop price of a buy (``is_buy``) or sell order, or None."""
        return None


class MarketOrder(ExecutionStyle):
    """Fill at the next bar's price (after slippage)."""

    def __repr__(self) -> str:
        return "MarketOrder()"


def _tick(asset: Any) -> float:
    return float(getattr(asset, "tick_size", 0.01) or 0.01) if asset is not None else 0.01


class LimitOrder(ExecutionStyle):
    """Fill only at ``limit_price`` or better."""

    def __init__(self, limit_price: float, asset: Any = None) -> None:
        self.limit_price = _check_price(limit_price, "limit")
        self.asset = asset

    def get_limit_price(self, is_buy: bool) -> float | None:
        return asymmetric_round_price(self.limit_price, is_buy, _tick(self.asset))

    def __repr__(self) -> str:
        return f"LimitOrder({self.limit_price!r})"


class StopOrder(ExecutionStyle):
    """Become a market order once the price crosses ``stop_price``."""

    def __init__(self, stop_price: float, asset: Any = None) -> None:
        self.stop_price = _check_price(stop_price, "stop")
        self.asset = asset

    def get_stop_price(self, is_buy: bool) -> float | None:
        return asymmetric_round_price(self.stop_price, not is_buy, _tick(self.asset))

    def __repr__(self) -> str:
        return f"StopOrder({self.stop_price!r})"


class StopLimitOrder(ExecutionStyle):
    """Become a limit order at ``limit_price`` once the price crosses ``stop_price``."""

    def __init__(self, limit_price: float, stop_price: float, asset: Any = None) -> None:
        self.limit_price = _check_price(limit_price, "limit")
        self.stop_price = _check_price(stop_price, "stop")
        self.asset = asset

    def get_limit_price(self, is_buy: bool) -> float | None:
        return asymmetric_round_price(self.limit_price, is_buy, _tick(self.asset))

    def get_stop_price(self, is_buy: bool) -> float | None:
        return asymmetric_round_price(self.stop_price, not is_buy, _tick(self.asset))

    def __repr__(self) -> str:
        return f"StopLimitOrder({self.limit_price!r}, {self.stop_price!r})"


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as the algorithm sees it (``get_order``, ``get_open_orders``)."""

    id: str
    dt: pd.Timestamp
    created: pd.Timestamp
    asset: Any
    amount: int
    filled: int
    commission: float
    status: OrderStatus
    limit: float | None
    stop: float | None
    limit_reached: bool
    stop_reached: bool
    reason: str | None

    @property
    def sid(self) -> Any:
        """zipline's alias of ``asset``."""
        return self.asset

    @property
    def open_amount(self) -> int:
        """Shares still to fill."""
        return self.amount - self.filled


#: Order ids: a per-process random prefix and a counter (uuid4 per order cost 9 µs; ids
#: only need to be unique within a run).
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count()


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


_ZERO = Decimal(0)


class Order:
    """One order: ``amount`` shares of ``asset`` (negative to sell), filled over bars."""

    __slots__ = ("amount", "asset", "commission", "created", "direction", "dt", "filled", "id",
                 "limit", "limit_reached", "reason", "status_", "stop", "stop_reached")

    def __init__(
        self,
        dt: pd.Timestamp,
        asset: Any,
        amount: int,
        stop: float | None = None,
        limit: float | None = None,
        id: str | None = None,
    ) -> None:
        self.id = _new_id() if id is None else id
        self.dt = dt
        self.created = dt
        self.asset = asset
        self.amount = amount
        self.filled = 0
        self.commission = _ZERO
        self.status_ = OrderStatus.OPEN
        self.stop = stop
        self.limit = limit
        self.stop_reached = False
        self.limit_reached = False
        self.direction = 1 if amount > 0 else -1
        self.reason: str | None = None

    @property
    def open_amount(self) -> int:
        """Shares still to fill."""
        return self.amount - self.filled

    @property
    def status(self) -> OrderStatus:
        """FILLED once nothing is left; a held order that has fills reads OPEN (zipline)."""
        if not self.open_amount:
            return OrderStatus.FILLED
        if self.status_ == OrderStatus.HELD and self.filled:
            return OrderStatus.OPEN
        return self.status_

    @property
    def open(self) -> bool:
        """Whether the order can still fill."""
        return self.status in (OrderStatus.OPEN, OrderStatus.HELD)

    @property
    def triggered(self) -> bool:
        """Whether its stop and limit conditions (if any) are met."""
        if self.stop is not None and not self.stop_reached:
            return False
        return not (self.limit is not None and not self.limit_reached)

    def check_triggers(self, price: float, dt: pd.Timestamp) -> None:
        """Update the stop/limit flags for a bar closing at ``price`` (zipline's rules)."""
        if self.triggered:
            return
        buy = self.amount > 0
        stop_reached = limit_reached = sl_stop_reached = False
        stop, limit = self.stop, self.limit
        if stop is not None and limit is not None:
            if (price >= stop) if buy else (price <= stop):
                sl_stop_reached = True
                limit_reached = (price <= limit) if buy else (price >= limit)
        elif stop is not None:
            stop_reached = (price >= stop) if buy else (price <= stop)
        elif limit is not None:
            limit_reached = (price <= limit) if buy else (price >= limit)
        if (stop_reached, limit_reached) != (self.stop_reached, self.limit_reached):
            self.dt = dt
        self.stop_reached = stop_reached
        self.limit_reached = limit_reached
        if sl_stop_reached:
            self.stop = None

    def handle_split(self, ratio: float) -> None:
        """Scale the order by a split ``ratio`` (zipline: shares ÷ ratio, prices × ratio)."""
        remaining = int(self.open_amount / ratio)
        self.filled = int(self.filled / ratio)
        self.amount = self.filled + remaining
        if self.limit is not None:
            self.limit = round(self.limit * ratio, 2)
        if self.stop is not None:
            self.stop = round(self.stop * ratio, 2)

    def to_api(self) -> OrderSnapshot:
        """The immutable view handed to the algorithm."""
        return OrderSnapshot(
            id=self.id, dt=self.dt, created=self.created, asset=self.asset, amount=self.amount,
            filled=self.filled, commission=float(self.commission), status=self.status,
            limit=self.limit, stop=self.stop, limit_reached=self.limit_reached,
            stop_reached=self.stop_reached, reason=self.reason,
        )

    def to_dict(self) -> dict[str, Any]:
        """zipline's order dict (the ``orders`` column of the results frame)."""
        # the status property inlined, with the two common codes as literals (two recorded
        # dicts per order: the property chain and int(IntEnum) were a third of this)
        filled = self.filled
        if self.amount == filled:
            status = 1  # FILLED
        elif self.status_ is OrderStatus.OPEN or (self.status_ is OrderStatus.HELD and filled):
            status = 0  # OPEN
        else:
            status = int(self.status_)
        return {
            "id": self.id, "dt": self.dt, "reason": self.reason, "created": self.created,
            "sid": self.asset, "amount": self.amount, "filled": filled,
            "commission": float(self.commission), "stop": self.stop, "limit": self.limit,
            "stop_reached": self.stop_reached, "limit_reached": self.limit_reached,
            "status": status,
        }

    def __repr__(self) -> str:
        return (f"Order({self.asset!r}, amount={self.amount}, filled={self.filled}, "
                f"status={self.status.name})")
