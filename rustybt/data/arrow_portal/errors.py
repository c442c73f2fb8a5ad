"""Errors raised by the Arrow portal, named for what happened.

The zipline shim maps these to zipline's own classes (``HistoryWindowStartsBeforeData`` and
``NoDataOnDate`` have the same names and attributes as zipline's).
"""

from __future__ import annotations

from typing import Any

from exchange_calendars.errors import NotTradingMinuteError

__all__ = [
    "ArrowPortalError",
    "HistoryWindowStartsBeforeData",
    "InvalidBarCount",
    "InvalidField",
    "InvalidFrequency",
    "NoDataForFrequency",
    "NoDataOnDate",
    "NotATradingMinute",
    "StoreCorrupted",
]


class ArrowPortalError(Exception):
    """Base class of every error raised by :mod:`rustybt.data.arrow_portal`."""


class HistoryWindowStartsBeforeData(ArrowPortalError):
    """A history window would start before the bundle's first trading day (or minute).

    Attributes:
        first_trading_day: First session of the data.
        bar_count: The requested number of bars.
        suggested_start_day: First session at which the window fits.
    """

    def __init__(self, first_trading_day: Any, bar_count: int, suggested_start_day: Any) -> None:
        self.first_trading_day = first_trading_day
        self.bar_count = bar_count
        self.suggested_start_day = suggested_start_day
        super().__init__(
            f"History window extends before {first_trading_day}. To use this history window, "
            f"start the backtest on or after {suggested_start_day} (bar_count={bar_count})."
        )


class NoDataOnDate(ArrowPortalError, KeyError):
    """A date lies outside the bundle's calendar range."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotATradingMinute(ArrowPortalError, NotTradingMinuteError):  # type: ignore[misc]
    """A '1m' window (zipline_exact mode) ends at a time that is not a trading minute.

    zipline's ``minutes_window`` raises exchange-calendars' ``NotTradingMinuteError`` there;
    this is that class (and a ``ValueError``), so zipline code catching it keeps working.
    The default mode ends such a window at the last trading minute before ``minute``.

    Attributes:
        calendar: The bundle's exchange calendar.
        minute: The requested end (UTC Timestamp).
        param_name: ``"minute"``, as exchange-calendars names it.
    """

    def __init__(self, calendar: Any, minute: Any) -> None:
        if isinstance(minute, int):  # UTC nanoseconds
            import pandas as pd

            minute = pd.Timestamp(minute, tz="UTC")
        NotTradingMinuteError.__init__(self, calendar, minute, "minute")
        Exception.__init__(self, calendar, minute)

    def __str__(self) -> str:
        return "'1m' history window: " + NotTradingMinuteError.__str__(self)


class InvalidField(ArrowPortalError, ValueError):
    """A field other than open, high, low, close, volume, price (or last_traded for spots)."""


class InvalidBarCount(ArrowPortalError, ValueError):
    """``bar_count`` is smaller than 1."""


class InvalidFrequency(ArrowPortalError, ValueError):
    """A history frequency other than '1d'/'1m' or a data frequency other than daily/minute."""


class NoDataForFrequency(ArrowPortalError, ValueError):
    """The bundle holds no bars of the requested data frequency (e.g. minute)."""


class StoreCorrupted(ArrowPortalError):
    """A mapped store file is unreadable or does not match its bundle (it is rebuilt)."""
