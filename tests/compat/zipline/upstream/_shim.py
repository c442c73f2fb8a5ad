"""Swap rustybt's DataPortal shim into zipline's own test fixtures.

:class:`ShimDataPortal` goes first in the bases of a subclass of one of zipline's test cases:
its ``make_data_portal`` builds :class:`rustybt.data.DataPortal` from exactly what zipline's
``WithDataPortal.make_data_portal`` hands zipline's ``DataPortal`` (asset finder, calendar,
first trading day, the bcolz equity readers, the adjustment reader, the last available
session/minute and the prefetch lengths), except the future readers: rustybt bundles hold
equities, so tests that need futures are skipped by name with their reason.

Converted readers are cached under one temporary rustybt root per test process (passed as
``rustybt_root``), removed at exit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import unittest
from pathlib import Path
from typing import Any

FUTURES = "futures: rustybt bundles hold equities (no future readers, no continuous futures)"
_ROOT: Path | None = None


def _shared_root() -> Path:
    """One rustybt root per test process, removed at exit (conversions are keyed by content,
    so the prefetch variants of a test case, whose data is the same, convert it once)."""
    global _ROOT
    if _ROOT is None:
        _ROOT = Path(tempfile.mkdtemp(prefix="rustybt-zipline-suite-"))
        atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
    return _ROOT


class ShimDataPortal:
    """Mixin: ``make_data_portal`` returns rustybt's DataPortal shim over zipline's readers."""

    def make_data_portal(self) -> Any:
        """zipline's ``WithDataPortal.make_data_portal``, building rustybt's shim instead."""
        from rustybt.data import DataPortal

        s: Any = self
        if s.DATA_PORTAL_FIRST_TRADING_DAY is None:
            if s.DATA_PORTAL_USE_MINUTE_DATA:
                s.DATA_PORTAL_FIRST_TRADING_DAY = s.bcolz_equity_minute_bar_reader.first_trading_day
            elif s.DATA_PORTAL_USE_DAILY_DATA:
                s.DATA_PORTAL_FIRST_TRADING_DAY = s.bcolz_equity_daily_bar_reader.first_trading_day
        return DataPortal(
            s.asset_finder,
            s.trading_calendar,
            first_trading_day=s.DATA_PORTAL_FIRST_TRADING_DAY,
            equity_daily_reader=(
                s.bcolz_equity_daily_bar_reader if s.DATA_PORTAL_USE_DAILY_DATA else None
            ),
            equity_minute_reader=(
                s.bcolz_equity_minute_bar_reader if s.DATA_PORTAL_USE_MINUTE_DATA else None
            ),
            adjustment_reader=s.adjustment_reader if s.DATA_PORTAL_USE_ADJUSTMENTS else None,
            last_available_session=s.DATA_PORTAL_LAST_AVAILABLE_SESSION,
            last_available_minute=s.DATA_PORTAL_LAST_AVAILABLE_MINUTE,
            minute_history_prefetch_length=s.DATA_PORTAL_MINUTE_HISTORY_PREFETCH,
            daily_history_prefetch_length=s.DATA_PORTAL_DAILY_HISTORY_PREFETCH,
            rustybt_root=_shared_root(),
        )


def skip(reason: str) -> Any:
    """A test method replacement that skips with ``reason`` (tests that need futures)."""

    @unittest.skip(reason)
    def skipped(self: Any) -> None:  # pragma: no cover - never runs
        raise AssertionError(reason)

    return skipped
