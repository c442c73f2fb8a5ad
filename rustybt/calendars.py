"""Trading calendars: exchange-calendars underneath, right-sided minutes like zipline.

zipline labels a minute bar by the minute that *ends* it (09:31 … 16:00 for XNYS), which is
exchange-calendars' ``side="right"``. Every rustybt calendar is built that way.

Calendars are built from exchange-calendars' factory for the name, not through its
``get_calendar``: that one keeps one calendar per name and replaces it whenever it is asked for
another date range, so building ours for a bundle's range would change the object zipline's
``get_calendar("XNYS")`` returns afterwards (and zipline requires every reader to share its
calendar object). rustybt keeps its own cache by (name, start, end) instead.

Most of a calendar's build time (~70 % for a year of XNYS) is its ``day`` offset: a
``CustomBusinessDay`` over every regular holiday from 1970 to 2200, which depends on the
calendar's class only (its holiday rules and weekmask), never on the range. Every build after the
first of a class is given the first one's offset (``_build``), so a new range costs only its own
sessions and special opens/closes. Pandas offsets are immutable, so sharing one is safe; the
built calendar equals one exchange-calendars builds alone (tests/test_calendars.py).
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd
from exchange_calendars.calendar_utils import global_calendar_dispatcher

__all__ = [
    "DEFAULT_CALENDAR",
    "calendar_names",
    "covering_calendar",
    "get_calendar",
    "session_label",
    "unknown_calendar",
]

DEFAULT_CALENDAR = "XNYS"

# calendar class -> the ``day`` offset (sessions' CustomBusinessDay) of its first build
_SESSION_DAYS: dict[type, Any] = {}


def _build(
    factory: type[xcals.ExchangeCalendar], kwargs: dict[str, object]
) -> xcals.ExchangeCalendar:
    """``factory(**kwargs)``, reusing the class's ``day`` offset from an earlier build."""
    day = _SESSION_DAYS.get(factory)
    if day is None:
        calendar = factory(**kwargs)
        _SESSION_DAYS[factory] = calendar.day  # a functools.cached_property of the instance
        return calendar
    calendar = object.__new__(factory)  # ExchangeCalendar defines no __new__
    calendar.__dict__["day"] = day  # what the cached_property would compute, class-only inputs
    calendar.__init__(**kwargs)
    return calendar


@lru_cache(maxsize=64)
def _cached(name: str, start: str | None, end: str | None) -> xcals.ExchangeCalendar:
    kwargs: dict[str, object] = {"side": "right"}
    if start is not None:
        kwargs["start"] = start
    if end is not None:
        kwargs["end"] = end
    canonical = global_calendar_dispatcher.resolve_alias(name)  # InvalidCalendarName if unknown
    factory = global_calendar_dispatcher._calendar_factories.get(canonical)
    if factory is None:  # a name registered as an instance: exchange-calendars says why not
        return xcals.get_calendar(name, **kwargs)
    return _build(factory, kwargs)


def get_calendar(
    name: str = DEFAULT_CALENDAR,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> xcals.ExchangeCalendar:
    """Return a right-sided exchange calendar, cached by (name, start, end).

    Args:
        name: An exchange-calendars name or alias (``"XNYS"``, ``"24/7"``, ...).
        start: First session the calendar must cover (default: exchange-calendars' default).
        end: Last session the calendar must cover.
    """
    s = None if start is None else pd.Timestamp(start).strftime("%Y-%m-%d")
    e = None if end is None else pd.Timestamp(end).strftime("%Y-%m-%d")
    return _cached(name, s, e)


def covering_calendar(name: str, first: object, last: object) -> xcals.ExchangeCalendar:
    """A calendar of ``name`` spanning whole years around ``first``..``last`` (plus a year each
    side), cached: every caller asking about the same years shares one build (~0.15 s each;
    the engine asks twice per run, an optimizer hundreds of times).
    """
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    try:
        return get_calendar(name, start=f"{lo.year - 1}-01-01", end=f"{hi.year + 1}-12-31")
    except (ValueError, xcals.errors.CalendarError):  # past the library's bounds: 45 days
        pad = np.timedelta64(45, "D")
        return get_calendar(name, start=lo - pad, end=hi + pad)


def session_label(value: object) -> pd.Timestamp:
    """Normalise a date-like value to a naive midnight session label (no calendar check)."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize()


def calendar_names() -> list[str]:
    """Every exchange-calendars name and alias (registered ones included), sorted."""
    return sorted(xcals.get_calendar_names(include_aliases=True))


def unknown_calendar(name: object) -> str | None:
    """Why ``name`` is not a calendar name (None when it is one); the reason suggests names.

    The reason is one line: close matches when there are some, and how to list every name.
    """
    names = calendar_names()
    if isinstance(name, str) and name in names:
        return None
    close = difflib.get_close_matches(str(name).upper(), names, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return (
        f"unknown exchange calendar; {hint}list the names with: python -c "
        "'import exchange_calendars as x; print(x.get_calendar_names())'"
    )
