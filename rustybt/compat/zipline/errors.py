"""zipline's exception classes as the zipline shim and readers raise them.

Each class here is zipline's own (when zipline-reloaded is importable) *and* the rustybt class
of the same meaning, so both ``except zipline...NoDataOnDate`` and
``except rustybt.errors.NoDataOnDate`` (or ``RustybtError``) catch it. Without zipline they
are plain rustybt classes.

- :class:`NoDataOnDate`: zipline's ``bar_reader.NoDataOnDate`` + rustybt's (a ``KeyError``, as
  zipline's calendar lookups past the data raise one).
- :class:`NoDataForSid`: zipline's ``bar_reader.NoDataForSid`` + rustybt's ``SidsNotFound``.
- :class:`HistoryWindowStartsBeforeData`: zipline's, built with zipline's keyword arguments and
  message, + rustybt's.

Errors that are ``ValueError``/``KeyError`` subclasses in rustybt (invalid field, bar count,
frequency) already match what zipline raises and pass through unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from rustybt import errors as _rb

__all__ = [
    "HistoryWindowStartsBeforeData",
    "NoDataForSid",
    "NoDataOnDate",
    "to_zipline_error",
    "translate_errors",
]

F = TypeVar("F", bound=Callable[..., Any])

try:
    from zipline.data.bar_reader import NoDataForSid as _ZNoDataForSid
    from zipline.data.bar_reader import NoDataOnDate as _ZNoDataOnDate
    from zipline.errors import HistoryWindowStartsBeforeData as _ZHistoryWindow
except ImportError:  # pragma: no cover - zipline is part of the dev extra
    _ZNoDataForSid = _ZNoDataOnDate = _ZHistoryWindow = Exception


class NoDataOnDate(_ZNoDataOnDate, _rb.NoDataOnDate):  # type: ignore[misc]
    """A dt outside the data or not a bar time of the reader (zipline's class and rustybt's)."""

    def __init__(self, message: str) -> None:
        _rb.NoDataOnDate.__init__(self, message)


class NoDataForSid(_ZNoDataForSid, _rb.SidsNotFound):  # type: ignore[misc]
    """The requested sid has no bars in the reader (zipline's class and rustybt's)."""

    def __init__(self, message: str, sid: int | None = None) -> None:
        _rb.SidsNotFound.__init__(self, [] if sid is None else [sid])
        self.args = (message,)


class HistoryWindowStartsBeforeData(_ZHistoryWindow, _rb.HistoryWindowStartsBeforeData):  # type: ignore[misc]
    """zipline's HistoryWindowStartsBeforeData (its message) that is also rustybt's."""

    def __init__(self, first_trading_day: Any, bar_count: int, suggested_start_day: Any) -> None:
        _rb.HistoryWindowStartsBeforeData.__init__(
            self, first_trading_day, bar_count, suggested_start_day
        )
        if _ZHistoryWindow is not Exception:
            _ZHistoryWindow.__init__(
                self,
                first_trading_day=first_trading_day,
                bar_count=bar_count,
                suggested_start_day=suggested_start_day,
            )

    def __str__(self) -> str:
        if _ZHistoryWindow is not Exception:
            return str(_ZHistoryWindow.__str__(self))
        return _rb.HistoryWindowStartsBeforeData.__str__(self)


def to_zipline_error(exc: BaseException) -> BaseException | None:
    """zipline's equivalent of a rustybt portal error, or None when there is none."""
    if isinstance(exc, _rb.HistoryWindowStartsBeforeData):
        return HistoryWindowStartsBeforeData(
            exc.first_trading_day, exc.bar_count, exc.suggested_start_day
        )
    if isinstance(exc, _rb.NoDataOnDate):
        return NoDataOnDate(str(exc))
    return None


def translate_errors(method: F) -> F:
    """Decorate a shim method so rustybt portal errors surface as zipline's classes."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (_rb.HistoryWindowStartsBeforeData, _rb.NoDataOnDate) as exc:
            if isinstance(exc, (NoDataOnDate, HistoryWindowStartsBeforeData)):
                raise
            mapped = to_zipline_error(exc)
            if mapped is None:  # pragma: no cover - every caught class maps
                raise
            raise mapped from exc

    return wrapper  # type: ignore[return-value]
