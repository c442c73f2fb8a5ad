"""Slippage models: how much of an order fills on a bar, and at what price (zipline's rules).

A model implements :meth:`SlippageModel.process_order` (one order, one bar → ``(price,
amount)`` or ``(None, None)``); :meth:`SlippageModel.simulate` walks an asset's open orders on a
bar exactly as zipline does: nothing fills on a bar with zero volume or no close; stop and
limit triggers are checked against the bar's close; a model raises :class:`LiquidityExceeded`
when the bar's volume share is used up, which ends that asset's fills for the bar.

Prices are floats here (market data); the ledger turns the fill price into ``Decimal`` at its
boundary (:mod:`rustybt.engine.money`).

Defaults match zipline-reloaded's for equities: :class:`FixedBasisPointsSlippage` (5 bps, at
most 10 % of the bar's volume). :class:`VolumeShareSlippage` (2.5 % of volume, price impact
0.1 × volume_share²), :class:`FixedSlippage` (half a spread) and :class:`NoSlippage` are the
others zipline offers for equities.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from rustybt.engine.orders import Order

__all__ = [
    "FixedBasisPointsSlippage",
    "FixedSlippage",
    "LiquidityExceeded",
    "NoSlippage",
    "SlippageModel",
    "VolumeShareSlippage",
]


class BarLike(Protocol):
    """What a slippage model reads of the current bar (``BarData`` satisfies it)."""

    @property
    def current_dt(self) -> Any:
        """The simulation minute of the bar."""

    def current(self, assets: Any, fields: Any) -> Any:
        """Spot values of the bar."""


class LiquidityExceeded(Exception):
    """The bar's volume share is used up: no more fills for this asset on this bar."""


def _worse_than_limit(price: float, order: Order) -> bool:
    if order.limit is None:
        return False
    return price > order.limit if order.direction > 0 else price < order.limit


class SlippageModel(ABC):
    """Base class: fill an asset's open orders on one bar."""

    def __init__(self) -> None:
        self.volume_for_bar = 0

    @abstractmethod
    def process_order(self, data: BarLike, order: Order) -> tuple[float | None, int | None]:
        """The fill price and signed amount of ``order`` on this bar, or ``(None, None)``."""

    def simulate(
        self, data: BarLike, asset: Any, orders: Iterable[Order]
    ) -> Iterator[tuple[Order, float, int]]:
        """Yield ``(order, price, amount)`` for each fill of ``asset``'s orders on this bar."""
        self.volume_for_bar = 0
        volume = data.current(asset, "volume")
        if volume == 0:
            return
        price = data.current(asset, "close")
        if price != price:  # NaN: no trade on this bar
            return
        dt = data.current_dt
        for order in orders:
            if order.amount == order.filled:  # nothing left to fill
                continue
            if order.stop is not None or order.limit is not None:  # a market order is
                order.check_triggers(price, dt)                     # always triggered
                if not order.triggered:
                    continue
            try:
                fill_price, fill_amount = self.process_order(data, order)
            except LiquidityExceeded:
                break
            if fill_price is None or fill_amount is None:
                continue
            amount = int(fill_amount)
            if abs(amount) < 1:
                continue
            self.volume_for_bar += abs(amount)
            yield order, fill_price, amount


class NoSlippage(SlippageModel):
    """Fill the whole order at the bar's close."""

    def process_order(self, data: BarLike, order: Order) -> tuple[float | None, int | None]:
        return data.current(order.asset, "close"), order.open_amount

    def __repr__(self) -> str:
        return "NoSlippage()"


class FixedSlippage(SlippageModel):
    """Fill the whole order at the close ± half ``spread``."""

    def __init__(self, spread: float = 0.0) -> None:
        super().__init__()
        self.spread = float(spread)

    def process_order(self, data: BarLike, order: Order) -> tuple[float | None, int | None]:
        price = data.current(order.asset, "close")
        return price + self.spread / 2.0 * order.direction, order.open_amount

    def __repr__(self) -> str:
        return f"FixedSlippage(spread={self.spread})"


class VolumeShareSlippage(SlippageModel):
    """Fill at most ``volume_limit`` of the bar's volume; price impact grows with the share."""

    def __init__(self, volume_limit: float = 0.025, price_impact: float = 0.1) -> None:
        super().__init__()
        if not volume_limit > 0:
            raise ValueError(f"volume_limit must be > 0, not {volume_limit!r}")
        self.volume_limit = float(volume_limit)
        self.price_impact = float(price_impact)

    def process_order(self, data: BarLike, order: Order) -> tuple[float | None, int | None]:
        volume = data.current(order.asset, "volume")
        remaining = self.volume_limit * volume - self.volume_for_bar
        if remaining < 1:
            raise LiquidityExceeded
        cur_volume = int(min(remaining, abs(order.open_amount)))
        if cur_volume < 1:
            return None, None
        share = min((self.volume_for_bar + cur_volume) / volume, self.volume_limit)
        price = data.current(order.asset, "close")
        impacted = price + share**2 * math.copysign(self.price_impact, order.direction) * price
        if _worse_than_limit(impacted, order):
            return None, None
        return impacted, int(math.copysign(cur_volume, order.direction))

    def __repr__(self) -> str:
        return (f"VolumeShareSlippage(volume_limit={self.volume_limit}, "
                f"price_impact={self.price_impact})")


class FixedBasisPointsSlippage(SlippageModel):
    """Fill at the close ± ``basis_points``, at most ``volume_limit`` of the bar's volume."""

    def __init__(self, basis_points: float = 5.0, volume_limit: float = 0.1) -> None:
        super().__init__()
        if basis_points < 0:
            raise ValueError(f"basis_points must be >= 0, not {basis_points!r}")
        if not volume_limit > 0:
            raise ValueError(f"volume_limit must be > 0, not {volume_limit!r}")
        self.basis_points = float(basis_points)
        self.percentage = self.basis_points / 10000.0
        self.volume_limit = float(volume_limit)

    def process_order(self, data: BarLike, order: Order) -> tuple[float | None, int | None]:
        volume = data.current(order.asset, "volume")
        max_volume = int(self.volume_limit * volume)
        price = data.current(order.asset, "close")
        shares = min(abs(order.open_amount), max_volume - self.volume_for_bar)
        if shares == 0:
            raise LiquidityExceeded
        return price + price * (self.percentage * order.direction), shares * order.direction

    def __repr__(self) -> str:
        return (f"FixedBasisPointsSlippage(basis_points={self.basis_points}, "
                f"volume_limit={self.volume_limit})")
