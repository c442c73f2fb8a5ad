"""Swap rustybt's DataPortal shim into zipline's own test fixtures.

:class:`ShimDataPortal` goes first in the bases of a subclass of one of zipline's test cases:
its ``make_data_portal`` builds :class:`rustybt.data.DataPortal` from exactly what zipline's
``WithDataPortal.make_data_portal`` hands zipline's ``DataPortal`` (asset finder, calendar,
first trading day, the bcolz equity readers, the adjustment reader, the last available
session/minute and the prefetch lengths), except the future readers: rustybt bundles hold
equities, so tests that need futures are skipped by name with their reason.

Converted readers are cached under one temporary rustybt root per test class (set as
``rustybt_root``), removed with the class.
"""

from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path
from typing import Any, ClassVar

FUTURES = "futures: rustybt bundles hold equities (no future readers, no continuous futures)"
FETCHER = "fetcher: rustybt's DataPortal has no fetch_csv extra sources"


class ShimDataPortal:
    """Mixin: ``make_data_portal`` returns rustybt's DataPortal shim over zipline's readers."""

    _rustybt_root: ClassVar[Path]

    @classmethod
    def init_class_fixtures(cls) -> None:
        root = Path(tempfile.mkdtemp(prefix="rustybt-zipline-suite-"))
        cls._rustybt_root = root
        # zipline's teardown drops class attributes first: the callback keeps its own path
        cls.add_class_callback(  # type: ignore[attr-defined]
            lambda: shutil.rmtree(root, ignore_errors=True)
        )
        super().init_class_fixtures()  # type: ignore[misc]

    def make_data_portal(self) -> Any:
        from rustybt.data import DataPortal

        if self.DATA_PORTAL_FIRST_TRADING_DAY is None:  # type: ignore[attr-defined]
            if self.DATA_PORTAL_USE_MINUTE_DATA:  # type: ignore[attr-defined]
                first = self.bcolz_equity_minute_bar_reader.first_trading_day  # type: ignore[attr-defined]
            elif self.DATA_PORTAL_USE_DAILY_DATA:  # type: ignore[attr-defined]
                first = self.bcolz_equity_daily_bar_reader.first_trading_day  # type: ignore[attr-defined]
            self.DATA_PORTAL_FIRST_TRADING_DAY = first
        s: Any = self
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
            rustybt_root=self._rustybt_root,
        )


def skip(reason: str) -> Any:
    """A test method replacement that skips with ``reason`` (futures, fetcher)."""

    @unittest.skip(reason)
    def skipped(self: Any) -> None:  # pragma: no cover - never runs
        raise AssertionError(reason)

    return skipped
