"""Stop a running DuckDB query: a timeout (a timer thread calling ``interrupt()``)."""

from __future__ import annotations

import math
import threading

import duckdb

from rustybt.errors import SQLTimeout

__all__ = ["Deadline", "check_timeout"]


def check_timeout(timeout: float | None) -> float | None:
    """Validate a ``timeout`` argument (seconds > 0, finite) or None."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


class Deadline:
    """Interrupt ``cursor``'s query once ``timeout`` seconds have passed (no-op without one).

    DuckDB checks for an interrupt between chunks of work, so even a long cross join stops
    within milliseconds. An interrupt that lands after the query finished does nothing (DuckDB
    clears it when the next query starts). Call :meth:`cancel` when the query is done.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, timeout: float | None) -> None:
        self.timeout = check_timeout(timeout)
        self.fired = False
        self._cursor = cursor
        self._timer: threading.Timer | None = None
        if self.timeout is not None:
            self._timer = threading.Timer(self.timeout, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        self._cursor.interrupt()

    def cancel(self) -> None:
        """Stop the timer (idempotent)."""
        if self._timer is not None:
            self._timer.cancel()

    def error(self, exc: BaseException, query: str) -> SQLTimeout | None:
        """The :class:`SQLTimeout` to raise for ``exc`` when it is this deadline's interrupt."""
        if not self.fired or self.timeout is None:
            return None
        msg = str(exc)
        if not isinstance(exc, duckdb.InterruptException) and "Interrupted" not in msg:
            return None
        return SQLTimeout(
            f"query interrupted after its timeout of {self.timeout:g} s (nothing was returned); "
            "raise timeout= (CLI: --timeout) or narrow the query",
            query=query,
            duckdb_message=msg,
            timeout=self.timeout,
        )
