"""Asset objects: small, hashable by sid, comparable with zipline's conventions."""

from __future__ import annotations

import operator
from typing import Any

import pandas as pd

__all__ = ["Asset", "Equity"]


def _as_sid(value: object) -> int | None:
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


class Asset:
    """A tradable asset identified by its integer ``sid``.

    Equality and hashing use the sid alone (like zipline), so assets work as dict keys and
    DataFrame columns. ``int(asset)`` gives the sid.
    """

    __slots__ = (
        "asset_name",
        "auto_close_date",
        "end_date",
        "exchange",
        "first_traded",
        "sid",
        "start_date",
        "symbol",
    )

    def __init__(
        self,
        sid: int,
        symbol: str = "",
        asset_name: str = "",
        exchange: str = "",
        start_date: pd.Timestamp | None = None,
        end_date: pd.Timestamp | None = None,
        first_traded: pd.Timestamp | None = None,
        auto_close_date: pd.Timestamp | None = None,
    ) -> None:
        self.sid = int(sid)
        self.symbol = symbol
        self.asset_name = asset_name
        self.exchange = exchange
        self.start_date = start_date
        self.end_date = end_date
        self.first_traded = first_traded
        self.auto_close_date = auto_close_date

    def __int__(self) -> int:
        return self.sid

    def __index__(self) -> int:
        return self.sid

    def __hash__(self) -> int:
        # an int hashes to itself (Python maps a -1 result to -2, as hash(-1) does): the
        # engine's dicts are keyed by assets, ~60 k lookups per backtest
        return self.sid

    def __eq__(self, other: object) -> bool:
        # like zipline: an asset equals anything with the same integer index (its sid)
        other_sid = _as_sid(other)
        return NotImplemented if other_sid is None else self.sid == other_sid

    def __ne__(self, other: object) -> bool:
        other_sid = _as_sid(other)
        return NotImplemented if other_sid is None else self.sid != other_sid

    def __lt__(self, other: Any) -> bool:
        return self.sid < operator.index(other)

    def __le__(self, other: Any) -> bool:
        return self.sid <= operator.index(other)

    def __gt__(self, other: Any) -> bool:
        return self.sid > operator.index(other)

    def __ge__(self, other: Any) -> bool:
        return self.sid >= operator.index(other)

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"{kind}({self.sid} [{self.symbol}])" if self.symbol else f"{kind}({self.sid})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (
                self.sid,
                self.symbol,
                self.asset_name,
                self.exchange,
                self.start_date,
                self.end_date,
                self.first_traded,
                self.auto_close_date,
            ),
        )

    def is_alive_for_session(self, session: pd.Timestamp) -> bool:
        """True when ``session`` lies inside [start_date, end_date]."""
        if self.start_date is not None and session < self.start_date:
            return False
        return not (self.end_date is not None and session > self.end_date)


class Equity(Asset):
    """An equity. The only asset class bundles hold today."""

    __slots__ = ()
