"""The mapped stores of one bundle version, and the parts built on first use.

Opening maps the calendar and daily files (building them first when missing or stale, see
:mod:`rustybt.data.store.mapped`). The minute store and minute index, the adjustment events
and the pandas frame maker are built the first time a query needs them, so a daily-only
array workload never reads minute files, adjustment tables or imports pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rustybt.data.bundles.protocol import BundleLike
from rustybt.data.store import build as _build
from rustybt.data.store import format as F
from rustybt.data.store.adjustments import AdjustmentEvents, load_events
from rustybt.data.store.calendar_index import CalendarIndex
from rustybt.data.store.mapped import MappedStore, ensure_store, sweep_store_temps
from rustybt.errors import NoDataForFrequency

if TYPE_CHECKING:
    from rustybt.data.portal.frames import FrameMaker

__all__ = ["PortalStores"]


class PortalStores:
    """Calendar index, daily store, and the lazily built minute store, events and frames.

    Args:
        bundle: The bundle version the stores derive from.

    Attributes:
        bundle: The bundle.
        version: Its version (content hash).
        cal: The calendar index (minutes attached when the minute store is first used).
        daily: The mapped daily store.
    """

    def __init__(self, bundle: BundleLike) -> None:
        self.bundle = bundle
        self.version = str(bundle.version)
        self._cache_dir = Path(bundle.cache_dir)
        check_present = getattr(bundle, "check_present", None)
        if check_present is not None:  # a removed version: say so, and write no store for it
            check_present()
        sweep_store_temps(self._cache_dir)  # leftovers of builds killed mid-write
        cal = ensure_store(self._cache_dir, F.CALENDAR_FILE, "calendar", self.version,
                           lambda: _build.build_calendar(bundle))
        self.cal = CalendarIndex(
            cal.columns["session"], cal.columns["first_minute"], cal.columns["last_minute"]
        )
        self.calendar_store = cal
        self.daily = ensure_store(
            self._cache_dir, F.store_file("daily"), "daily", self.version,
            lambda: _build.build_daily(bundle, self.cal.sessions, self.cal.last_minutes),
        )
        self._minute: MappedStore | None = None
        self._minute_checked = False
        self._events: AdjustmentEvents | None = None
        self._frames: FrameMaker | None = None

    def minute(self) -> MappedStore | None:
        """The minute store (mapped, built first when needed), None without minute bars."""
        if not self._minute_checked:
            bundle = self.bundle
            if bundle.sids_with_bars("minute"):
                cal = self.cal
                index = ensure_store(
                    self._cache_dir, F.MINUTE_INDEX_FILE, "minute_index", self.version,
                    lambda: _build.build_minute_index(
                        bundle, cal.sessions, cal.first_minutes, cal.last_minutes),
                )
                cal.attach_minutes(index.columns["minute"], index.columns["session"])
                self._minute = ensure_store(
                    self._cache_dir, F.store_file("minute"), "minute", self.version,
                    lambda: _build.build_minute(bundle, index.columns["minute"]),
                )
            self._minute_checked = True
        return self._minute

    def require_minutes(self) -> MappedStore:
        """The minute store; ``NoDataForFrequency`` when the bundle has no minute bars."""
        store = self.minute()
        if store is None:
            raise NoDataForFrequency(f"bundle {self.bundle.name!r} has no minute bars")
        return store

    def events(self) -> AdjustmentEvents:
        """Splits, mergers and dividends per sid (read once)."""
        if self._events is None:
            self._events = load_events(self.bundle, self.cal.sessions)
        return self._events

    def frames(self) -> FrameMaker:
        """The pandas frame maker (imports pandas on first use; minutes attached once known)."""
        if self._frames is None:
            from rustybt.data.portal.frames import FrameMaker

            self._frames = FrameMaker(self.cal.sessions)
        if self._frames.minutes is None and self.cal.minutes is not None:
            self._frames.attach_minutes(self.cal.minutes)
        return self._frames
