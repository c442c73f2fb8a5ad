"""``context.portfolio`` and ``context.account``: zipline's views of the ledger, as floats.

The ledger keeps money in ``Decimal``; these views hand the algorithm floats, because zipline
algorithms do float arithmetic on them (``context.portfolio.portfolio_value * 0.1`` raises
``TypeError`` on a ``Decimal``). The exact values are one attribute away:
``context.portfolio.exact`` is the :class:`rustybt.engine.ledger.Ledger` itself.
Every attribute is computed from the ledger when read, so it is never stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from rustybt.engine.ledger import Ledger

__all__ = ["Account", "Portfolio", "PositionView", "Positions"]


@dataclass(frozen=True)
class PositionView:
    """One position as the algorithm sees it (zipline's ``Position``)."""

    asset: Any
    amount: int
    cost_basis: float
    last_sale_price: float
    last_sale_date: pd.Timestamp | None

    @property
    def sid(self) -> Any:
        """zipline's alias of ``asset``."""
        return self.asset


class Positions(dict[Any, PositionView]):
    """Positions by asset; a missing asset reads as an empty position (zipline)."""

    def __missing__(self, asset: Any) -> PositionView:
        return PositionView(asset, 0, 0.0, 0.0, None)


class Portfolio:
    """zipline's ``Portfolio``, read from the ledger."""

    def __init__(self, ledger: Ledger, start_date: pd.Timestamp) -> None:
        self.exact = ledger
        self.start_date = start_date

    @property
    def cash(self) -> float:
        """Cash."""
        return float(self.exact.cash)

    @property
    def starting_cash(self) -> float:
        """The capital base."""
        return float(self.exact.capital_base)

    @property
    def cash_flow(self) -> float:
        """Net cash moved by trades, commissions, dividends and split payouts."""
        return float(self.exact.cash_flow)

    @property
    def capital_used(self) -> float:
        """zipline's alias of ``cash_flow``."""
        return self.cash_flow

    @property
    def positions_value(self) -> float:
        """Σ amount × last sale price."""
        return float(self.exact.positions_value)

    @property
    def positions_exposure(self) -> float:
        """Net exposure (equal to the positions' value for equities)."""
        return self.positions_value

    @property
    def portfolio_value(self) -> float:
        """Cash plus positions' value."""
        return float(self.exact.portfolio_value)

    @property
    def pnl(self) -> float:
        """Portfolio value minus the capital base."""
        return float(self.exact.portfolio_value - self.exact.capital_base)

    @property
    def returns(self) -> float:
        """Cumulative return since the start."""
        return float(self.exact.portfolio_value / self.exact.capital_base - 1)

    @property
    def positions(self) -> Positions:
        """Held positions by asset."""
        return Positions({
            a: PositionView(a, p.amount, float(p.cost_basis), float(p.last_sale_price),
                            p.last_sale_date)
            for a, p in self.exact.positions.items()
        })

    @property
    def current_portfolio_weights(self) -> pd.Series:
        """Each position's value over the portfolio value."""
        total = self.exact.portfolio_value
        return pd.Series({a: float(p.value / total) if total else 0.0
                          for a, p in self.exact.positions.items()}, dtype=float)

    def __repr__(self) -> str:
        return (f"Portfolio(portfolio_value={self.portfolio_value}, cash={self.cash}, "
                f"positions={len(self.exact.positions)})")


class Account:
    """zipline's ``Account`` (a cash account: no margin, infinite buying power)."""

    def __init__(self, ledger: Ledger) -> None:
        self.exact = ledger

    @property
    def settled_cash(self) -> float:
        """Cash."""
        return float(self.exact.cash)

    @property
    def net_liquidation(self) -> float:
        """Portfolio value."""
        return float(self.exact.portfolio_value)

    @property
    def total_positions_value(self) -> float:
        """Positions' value."""
        return float(self.exact.positions_value)

    @property
    def gross_leverage(self) -> float:
        """Gross exposure over portfolio value (inf when the portfolio is worth 0)."""
        pv = self.exact.portfolio_value
        if pv == 0:
            return float("inf")
        return float(self.exact.stats().gross_exposure / pv)

    @property
    def net_leverage(self) -> float:
        """Net exposure over portfolio value."""
        pv = self.exact.portfolio_value
        if pv == 0:
            return float("inf")
        return float(self.exact.stats().net_exposure / pv)

    @property
    def leverage(self) -> float:
        """zipline's alias of ``gross_leverage``."""
        return self.gross_leverage

    @property
    def buying_power(self) -> float:
        """Unlimited (a cash account without margin checks, as in zipline)."""
        return float("inf")

    def __repr__(self) -> str:
        return f"Account(net_liquidation={self.net_liquidation}, leverage={self.leverage})"
