"""Trading controls: limits an algorithm sets on its own orders (zipline's ``set_*`` controls).

An order control checks each order before it reaches the blotter; an account control checks
the account at each session end. On a violation the control raises
:class:`rustybt.errors.TradingControlViolation` (``on_error='fail'``, the default) or logs a
warning and lets the order through (``on_error='log'``), as zipline does.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from rustybt.errors import TradingControlViolation

__all__ = [
    "AccountControl",
    "LongOnly",
    "MaxLeverage",
    "MaxOrderCount",
    "MaxOrderSize",
    "MaxPositionSize",
    "OrderControl",
]

log = logging.getLogger("rustybt.engine")


def _check_on_error(on_error: str) -> str:
    if on_error not in ("fail", "log"):
        raise ValueError(f"on_error must be 'fail' or 'log', not {on_error!r}")
    return on_error


class OrderControl:
    """Checks an order before it is placed."""

    def __init__(self, on_error: str = "fail") -> None:
        self.on_error = _check_on_error(on_error)

    def check(self, asset: Any, amount: int, held: int, price: float, dt: Any) -> str | None:
        """A reason the order breaks the control, or None."""
        raise NotImplementedError

    def new_session(self) -> None:
        """Called at each session start (per-session counters reset here)."""

    def validate(self, asset: Any, amount: int, held: int, price: float, dt: Any) -> None:
        """Raise or log when the order breaks the control."""
        reason = self.check(asset, amount, held, price, dt)
        if reason is None:
            return
        message = f"order for {amount} shares of {asset!r} at {dt} breaks {self!r}: {reason}"
        if self.on_error == "fail":
            raise TradingControlViolation(message)
        log.warning(message)


class LongOnly(OrderControl):
    """No order may leave a short position."""

    def check(self, asset: Any, amount: int, held: int, price: float, dt: Any) -> str | None:
        return "it would leave a short position" if held + amount < 0 else None

    def __repr__(self) -> str:
        return "LongOnly()"


class MaxOrderCount(OrderControl):
    """At most ``max_count`` orders per session."""

    def __init__(self, max_count: int, on_error: str = "fail") -> None:
        super().__init__(on_error)
        if type(max_count) is not int or max_count < 0:
            raise ValueError(f"max_count must be an int >= 0, not {max_count!r}")
        self.max_count = max_count
        self.count = 0

    def new_session(self) -> None:
        self.count = 0

    def check(self, asset: Any, amount: int, held: int, price: float, dt: Any) -> str | None:
        if self.count >= self.max_count:
            return f"{self.count} orders were already placed today"
        self.count += 1
        return None

    def __repr__(self) -> str:
        return f"MaxOrderCount({self.max_count})"


class _SizeLimit(OrderControl):
    def __init__(self, asset: Any = None, max_shares: int | None = None,
                 max_notional: float | None = None, on_error: str = "fail") -> None:
        super().__init__(on_error)
        if max_shares is None and max_notional is None:
            raise ValueError("give max_shares, max_notional or both")
        if max_shares is not None and max_shares < 0:
            raise ValueError(f"max_shares must be >= 0, not {max_shares!r}")
        if max_notional is not None and not max_notional >= 0:
            raise ValueError(f"max_notional must be >= 0, not {max_notional!r}")
        self.asset = asset
        self.max_shares = max_shares
        self.max_notional = max_notional

    def _breach(self, shares: int, price: float) -> str | None:
        if self.max_shares is not None and abs(shares) > self.max_shares:
            return f"{abs(shares)} shares > max_shares {self.max_shares}"
        if self.max_notional is not None and not math.isnan(price):
            notional = abs(shares * price)
            if notional > self.max_notional:
                return f"notional {notional:.2f} > max_notional {self.max_notional}"
        return None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(asset={self.asset!r}, max_shares={self.max_shares}, "
                f"max_notional={self.max_notional})")


class MaxOrderSize(_SizeLimit):
    """No single order larger than ``max_shares`` / ``max_notional``."""

    def check(self, asset: Any, amount: int, held: int, price: float, dt: Any) -> str | None:
        if self.asset is not None and asset != self.asset:
            return None
        return self._breach(amount, price)


class MaxPositionSize(_SizeLimit):
    """No position larger than ``max_shares`` / ``max_notional`` after the order."""

    def check(self, asset: Any, amount: int, held: int, price: float, dt: Any) -> str | None:
        if self.asset is not None and asset != self.asset:
            return None
        return self._breach(held + amount, price)


class AccountControl:
    """Checks the account at each session end."""

    def validate(self, leverage: float, dt: Any) -> None:
        """Raise when the account breaks the control."""
        raise NotImplementedError


class MaxLeverage(AccountControl):
    """Gross leverage must stay at or below ``max_leverage``."""

    def __init__(self, max_leverage: float) -> None:
        if not max_leverage > 0:
            raise ValueError(f"max_leverage must be > 0, not {max_leverage!r}")
        self.max_leverage = float(max_leverage)

    def validate(self, leverage: float, dt: Any) -> None:
        if leverage > self.max_leverage:
            raise TradingControlViolation(
                f"gross leverage {leverage:.4f} at {dt} exceeds max_leverage {self.max_leverage}")

    def __repr__(self) -> str:
        return f"MaxLeverage({self.max_leverage})"
