"""Asset objects: small, hashable by sid, comparable with zipline's conventions."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["Asset", "Equity"]


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
        return hash(self.sid)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Asset):
            return self.sid == other.sid
        return NotImplemented

    def __lt__(self, other: Any) -> bool:
        return self.sid < int(other)

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
