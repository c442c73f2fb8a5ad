"""The ledger: cash, positions and their value, in ``Decimal``.

Invariant (checked by the property tests): at every step ``portfolio_value == cash +
Σ amount × last_sale_price`` exactly, in ``Decimal``. Money enters only through
:func:`rustybt.engine.money.to_money` (fill prices, last sale prices, dividends, split ratios).

zipline's bookkeeping is followed rule by rule, so a zipline algorithm sees the same numbers:
- a transaction moves ``price × amount`` of cash and updates the position's cost basis
  (weighted average while adding; reset to the fill price when a position flips side; zero
  when it closes, and the position is removed);
- commission is cash out and spread over the position's cost basis;
- ``last_sale_price`` is the fill price when a fill is newer than the last sale, and the
  session's price at each session end (``sync_last_sale_prices``): inside ``handle_data`` the
  portfolio is valued at yesterday's close or today's fills, as in zipline;
- a split of ratio r (prices × r) turns ``n`` shares into ``trunc(n / r)``, pays the fraction
  out in cash at the new cost basis ``round(cost_basis × r, 2)``, and — unlike zipline, which
  leaves it unscaled and so misvalues the position for the rest of the split day — scales
  ``last_sale_price`` by r (docs/user-guide/algorithms.md lists this difference);
- a cash dividend is earned on the ex-date for the shares held then and paid on the pay date;
- a position in an asset past its auto-close date is closed at its last price.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

import pandas as pd

from rustybt.engine.money import ZERO, to_money

__all__ = ["Ledger", "Position", "PositionStats", "Transaction"]

CENT = Decimal("0.01")


class Transaction:
    """One fill: ``amount`` shares of ``asset`` at ``price`` (money) at ``dt``.

    A plain slotted class: the engine makes one per fill (a frozen dataclass costs 3× more).
    """

    __slots__ = ("amount", "asset", "commission", "dt", "order_id", "price")

    def __init__(self, asset: Any, amount: int, dt: pd.Timestamp, price: Decimal,
                 order_id: str | None, commission: Decimal | None = None) -> None:
        self.asset = asset
        self.amount = amount
        self.dt = dt
        self.price = price
        self.order_id = order_id
        self.commission = commission

    def to_dict(self) -> dict[str, Any]:
        """zipline's transaction dict (the ``transactions`` column of the results)."""
        return {"amount": self.amount, "dt": self.dt, "price": float(self.price),
                "order_id": self.order_id, "sid": self.asset, "commission": None}

    def __repr__(self) -> str:
        return (f"Transaction({self.asset!r}, amount={self.amount}, dt={self.dt}, "
                f"price={self.price})")


class Position:
    """Shares held of one asset, their cost basis and last sale price (money)."""

    __slots__ = ("amount", "asset", "cost_basis", "last_sale_date", "last_sale_price")

    def __init__(self, asset: Any) -> None:
        self.asset = asset
        self.amount = 0
        self.cost_basis = ZERO
        self.last_sale_price = ZERO
        self.last_sale_date: pd.Timestamp | None = None

    @property
    def value(self) -> Decimal:
        """``amount × last_sale_price``."""
        return self.amount * self.last_sale_price

    def apply(self, txn: Transaction) -> None:
        """Update amount and cost basis for a fill (zipline's ``Position.update``)."""
        total = self.amount + txn.amount
        if total == 0:
            self.cost_basis = ZERO
        else:
            same_side = (self.amount >= 0) == (txn.amount >= 0) or self.amount == 0
            if same_side:
                self.cost_basis = (self.cost_basis * self.amount + txn.price * txn.amount) / total
            elif abs(txn.amount) > abs(self.amount):
                self.cost_basis = txn.price
            if self.last_sale_date is None or txn.dt > self.last_sale_date:
                self.last_sale_price = txn.price
                self.last_sale_date = txn.dt
        self.amount = total

    def to_dict(self) -> dict[str, Any]:
        """zipline's position dict (the ``positions`` column of the results)."""
        return {"sid": self.asset, "amount": self.amount, "cost_basis": float(self.cost_basis),
                "last_sale_price": float(self.last_sale_price)}

    def __repr__(self) -> str:
        return (f"Position({self.asset!r}, amount={self.amount}, cost_basis={self.cost_basis}, "
                f"last_sale_price={self.last_sale_price})")


@dataclass(frozen=True)
class PositionStats:
    """Aggregates of the positions (money)."""

    long_value: Decimal
    short_value: Decimal
    long_exposure: Decimal
    short_exposure: Decimal
    longs_count: int
    shorts_count: int

    @property
    def net_value(self) -> Decimal:
        """Long plus short value."""
        return self.long_value + self.short_value

    @property
    def gross_exposure(self) -> Decimal:
        """Long exposure minus short exposure (both sides counted positive)."""
        return self.long_exposure - self.short_exposure

    @property
    def net_exposure(self) -> Decimal:
        """Long plus short exposure."""
        return self.long_exposure + self.short_exposure


class Ledger:
    """Cash and positions of one simulation."""

    def __init__(self, capital_base: Decimal) -> None:
        self.capital_base = capital_base
        self.cash = capital_base
        self.cash_flow = ZERO
        self.positions: dict[Any, Position] = {}
        self._unpaid: dict[pd.Timestamp, Decimal] = {}
        #: Σ amount × last_sale_price, or None when something changed since it was summed
        #: (order sizing reads it for every order: the cache saves a Decimal sum per order).
        self._positions_value: Decimal | None = ZERO
        #: ``float(portfolio_value)``, or None when cash or a position changed since.
        self._pv_float: float | None = None
        #: Counts the changes to the positions or their last sale prices other than
        #: :meth:`sync_last_sale_prices` (fills, splits): a sync at the same time and count
        #: as the last one would write the same prices (the simulation skips it).
        self.changes = 0

    # -- state ---------------------------------------------------------------------------
    @property
    def positions_value(self) -> Decimal:
        """Σ amount × last_sale_price."""
        value = self._positions_value
        if value is None:
            value = ZERO
            for p in self.positions.values():
                value += p.amount * p.last_sale_price
            self._positions_value = value
        return value

    @property
    def portfolio_value(self) -> Decimal:
        """Cash plus the positions' value."""
        return self.cash + self.positions_value

    def portfolio_value_float(self) -> float:
        """``float(portfolio_value)``, cached until cash or a position changes (order sizing
        reads it for every order; the Decimal ledger stays what is booked)."""
        value = self._pv_float
        if value is None:
            value = self._pv_float = float(self.cash + self.positions_value)
        return value

    def stats(self) -> PositionStats:
        """Long/short values, exposures and counts (equities: exposure == value)."""
        long_value = short_value = ZERO
        longs = shorts = 0
        for p in self.positions.values():
            value = p.amount * p.last_sale_price
            if p.amount > 0:
                long_value += value
                longs += 1
            elif p.amount < 0:
                short_value += value
                shorts += 1
        return PositionStats(long_value, short_value, long_value, short_value, longs, shorts)

    def amount(self, asset: Any) -> int:
        """Shares held of ``asset`` (0 when none)."""
        position = self.positions.get(asset)
        return position.amount if position is not None else 0

    # -- events --------------------------------------------------------------------------
    def process_transaction(self, txn: Transaction) -> None:
        """Book a fill: cash moves by ``-price × amount``; the position updates."""
        self._cash_flow(-(txn.price * txn.amount))
        self._positions_value = self._pv_float = None
        self.changes += 1
        position = self.positions.get(txn.asset)
        if position is None:
            position = self.positions[txn.asset] = Position(txn.asset)
        position.apply(txn)
        if position.amount == 0:
            del self.positions[txn.asset]

    def process_commission(self, asset: Any, cost: Decimal) -> None:
        """Pay ``cost``; it raises (long) or lowers (short) the position's cost basis."""
        position = self.positions.get(asset)
        if position is not None and cost != 0 and position.amount != 0:
            position.cost_basis = (position.cost_basis * position.amount + cost) / position.amount
        self._cash_flow(-cost)

    def process_splits(self, splits: Iterable[tuple[Any, float]]) -> None:
        """Apply splits effective today; fractional shares are paid out in cash."""
        for asset, ratio in splits:
            position = self.positions.get(asset)
            if position is None:
                continue
            self._positions_value = self._pv_float = None
            self.changes += 1
            r = to_money(ratio)
            raw = Decimal(position.amount) / r
            full = raw.to_integral_value(rounding=ROUND_DOWN)
            new_cost = (position.cost_basis * r).quantize(CENT, rounding=ROUND_HALF_EVEN)
            position.cost_basis = new_cost
            position.amount = int(full)
            position.last_sale_price = position.last_sale_price * r
            leftover = ((raw - full) * new_cost).quantize(CENT, rounding=ROUND_HALF_EVEN)
            if leftover:
                self._cash_flow(leftover)
            if position.amount == 0:
                del self.positions[asset]

    def earn_dividends(self, dividends: Iterable[Any]) -> None:
        """Record cash owed for ``dividends`` going ex today (records: asset, amount, pay_date)."""
        for div in dividends:
            position = self.positions.get(div.asset)
            if position is None or position.amount == 0:
                continue
            owed = position.amount * to_money(div.amount)
            pay = pd.Timestamp(div.pay_date).tz_localize(None).normalize()
            self._unpaid[pay] = self._unpaid.get(pay, ZERO) + owed

    def pay_dividends(self, session: pd.Timestamp) -> None:
        """Pay the dividends whose pay date is ``session``."""
        owed = self._unpaid.pop(session, None)
        if owed is not None:
            self._cash_flow(owed)

    def close_position(self, asset: Any, dt: pd.Timestamp, price: float) -> Transaction | None:
        """Close ``asset``'s position at ``price`` (its last sale price when NaN)."""
        position = self.positions.get(asset)
        if position is None or position.amount == 0:
            return None
        fill = position.last_sale_price if price != price else to_money(price)
        txn = Transaction(asset, -position.amount, dt, fill, None)
        self.process_transaction(txn)
        return txn

    def sync_last_sale_prices(self, price_of: Callable[[Any], float], dt: pd.Timestamp) -> None:
        """Set each position's last sale price to ``price_of(asset)`` (NaN keeps the old one)."""
        self._positions_value = self._pv_float = None
        for position in self.positions.values():
            price = price_of(position.asset)
            if price == price:  # not NaN
                position.last_sale_price = to_money(price)
                position.last_sale_date = dt

    def _cash_flow(self, amount: Decimal) -> None:
        self._pv_float = None
        self.cash += amount
        self.cash_flow += amount
