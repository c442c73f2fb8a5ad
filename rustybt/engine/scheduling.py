"""``schedule_function`` rules: ``date_rules`` and ``time_rules`` (zipline's names and meaning).

A date rule picks sessions (evaluated once per run over the simulation's sessions, as a
boolean mask); a time rule picks one minute of a picked session, as an offset from the open or
the close (minute mode only: in daily mode, as in zipline, the time rule is ignored and the
function runs once per picked session, after ``handle_data``).

Offsets follow zipline: ``market_open(minutes=n)`` runs at the n-th market minute
(``minutes=1``, the default, is the first: 9:31 on XNYS); ``market_close(minutes=n)`` runs n
minutes before the close, so the default ``minutes=1`` is the *second-to-last* minute (15:59,
as in zipline: the 16:00 bar is never a ``market_close`` minute). An offset past the session's
length (an early close) means the function does not run that session, as in zipline.
Week/month rules count trading sessions of the whole calendar (not only the simulated ones),
so ``week_start(days_offset=1)`` is the second session of each calendar week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DateRule", "ScheduledFunction", "TimeRule", "date_rules", "time_rules"]


def _check_offset(days_offset: int) -> int:
    if type(days_offset) is not int or days_offset < 0:
        raise ValueError(f"days_offset must be an int >= 0, not {days_offset!r}")
    return days_offset


@dataclass(frozen=True)
class DateRule:
    """Which sessions a scheduled function runs on."""

    kind: str  # every_day | week_start | week_end | month_start | month_end
    days_offset: int = 0

    def mask(self, sessions: pd.DatetimeIndex) -> np.ndarray:
        """Boolean mask over ``sessions`` (the whole calendar's sessions in range)."""
        if self.kind == "every_day":
            return np.ones(len(sessions), dtype=bool)
        if self.kind.startswith("week"):
            iso = sessions.isocalendar()
            keys = (iso["year"].to_numpy() * 100 + iso["week"].to_numpy()).astype(np.int64)
        else:
            keys = (sessions.year * 100 + sessions.month).to_numpy().astype(np.int64)
        out = np.zeros(len(sessions), dtype=bool)
        frame = pd.DataFrame({"key": keys, "i": np.arange(len(sessions))})
        groups = frame.groupby("key", sort=False)["i"]
        # position within the period, from its start or from its end
        if self.kind.endswith("start"):
            pos = groups.cumcount().to_numpy()
        else:
            pos = groups.cumcount(ascending=False).to_numpy()
        out[pos == self.days_offset] = True
        return out


@dataclass(frozen=True)
class TimeRule:
    """Which minute of a picked session (minute mode): the ``offset``-th minute from the open
    (``anchor='open'``; 1 = the first minute) or ``offset`` minutes before the close
    (``anchor='close'``; 1 = the second-to-last minute, zipline's rule)."""

    anchor: str  # open | close | every_minute
    offset: int = 1

    def minute_index(self, n_minutes: int) -> int | None:
        """Index into the session's minutes, or None for every minute; an index outside
        ``0 .. n_minutes - 1`` (an offset longer than the session) never matches a minute."""
        if self.anchor == "every_minute":
            return None
        return self.offset - 1 if self.anchor == "open" else n_minutes - 1 - self.offset


class date_rules:
    """Factories of :class:`DateRule` (``date_rules.every_day()``, ``.month_start(1)``…)."""

    @staticmethod
    def every_day() -> DateRule:
        """Every session."""
        return DateRule("every_day")

    @staticmethod
    def week_start(days_offset: int = 0) -> DateRule:
        """The first session of each week (+ ``days_offset`` sessions)."""
        return DateRule("week_start", _check_offset(days_offset))

    @staticmethod
    def week_end(days_offset: int = 0) -> DateRule:
        """The last session of each week (− ``days_offset`` sessions)."""
        return DateRule("week_end", _check_offset(days_offset))

    @staticmethod
    def month_start(days_offset: int = 0) -> DateRule:
        """The first session of each month (+ ``days_offset`` sessions)."""
        return DateRule("month_start", _check_offset(days_offset))

    @staticmethod
    def month_end(days_offset: int = 0) -> DateRule:
        """The last session of each month (− ``days_offset`` sessions)."""
        return DateRule("month_end", _check_offset(days_offset))


def _minutes(offset: Any, hours: int, minutes: int) -> int:
    if offset is not None:
        total = int(pd.Timedelta(offset).total_seconds() // 60)
    else:
        total = int(hours) * 60 + int(minutes)
    if total < 0:
        raise ValueError(f"a time rule offset must be >= 0 minutes, not {total}")
    return total if total > 0 else 1


class time_rules:
    """Factories of :class:`TimeRule` (``time_rules.market_open(minutes=30)``…)."""

    @staticmethod
    def market_open(offset: Any = None, hours: int = 0, minutes: int = 0) -> TimeRule:
        """``hours``/``minutes`` after the open (default: the first minute)."""
        return TimeRule("open", _minutes(offset, hours, minutes))

    @staticmethod
    def market_close(offset: Any = None, hours: int = 0, minutes: int = 0) -> TimeRule:
        """``hours``/``minutes`` before the close (default: one minute before it, 15:59)."""
        return TimeRule("close", _minutes(offset, hours, minutes))

    @staticmethod
    def every_minute() -> TimeRule:
        """Every market minute."""
        return TimeRule("every_minute")


@dataclass
class ScheduledFunction:
    """A function with its rules; ``sessions`` is filled in when the run starts."""

    func: Callable[[Any, Any], Any]
    date_rule: DateRule
    time_rule: TimeRule
    half_days: bool = True
    sessions: np.ndarray | None = None
