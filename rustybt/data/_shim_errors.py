"""Map ArrowDataPortal's errors to zipline's classes for the DataPortal shim.

When zipline-reloaded is importable, ``HistoryWindowStartsBeforeData`` and ``NoDataOnDate``
leave the shim as zipline's own classes (built with zipline's keyword arguments and message;
``NoDataOnDate`` also a ``KeyError`` like rustybt's), chained to the rustybt error; without
zipline the rustybt errors pass through unchanged.
Errors that are ``ValueError``/``KeyError`` subclasses in rustybt (invalid field, bar count,
frequency) already match what zipline raises.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from rustybt.data.arrow_portal.errors import HistoryWindowStartsBeforeData, NoDataOnDate

__all__ = ["to_zipline_error", "translate_errors"]

F = TypeVar("F", bound=Callable[..., Any])

try:
    from zipline.data.bar_reader import NoDataOnDate as _ZNoDataOnDate
    from zipline.errors import HistoryWindowStartsBeforeData as _ZHistoryWindow
except ImportError:  # pragma: no cover - zipline is part of the dev extra
    _ZHistoryWindow = None
    _ZNoDataOnDate = None
    _NoDataOnDate: Any = None
else:

    class _NoDataOnDate(_ZNoDataOnDate, KeyError):  # type: ignore[misc,no-redef]
        """zipline's NoDataOnDate that is also a KeyError (zipline itself raises a KeyError
        from its calendar lookups for dates past the data, rustybt a NoDataOnDate)."""

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else ""


def to_zipline_error(exc: BaseException) -> BaseException | None:
    """zipline's equivalent of a rustybt portal error, or None when there is none."""
    if isinstance(exc, HistoryWindowStartsBeforeData) and _ZHistoryWindow is not None:
        return _ZHistoryWindow(
            first_trading_day=exc.first_trading_day,
            bar_count=exc.bar_count,
            suggested_start_day=exc.suggested_start_day,
        )
    if isinstance(exc, NoDataOnDate) and _NoDataOnDate is not None:
        return _NoDataOnDate(str(exc))
    return None


def translate_errors(method: F) -> F:
    """Decorate a shim method so rustybt portal errors surface as zipline's classes."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (HistoryWindowStartsBeforeData, NoDataOnDate) as exc:
            mapped = to_zipline_error(exc)
            if mapped is None:  # pragma: no cover - only without zipline
                raise
            raise mapped from exc

    return wrapper  # type: ignore[return-value]
