"""rustybt.calendars: right-labelled minutes like zipline, cached calendars."""

from __future__ import annotations

import pandas as pd
import pytest
from exchange_calendars.calendar_utils import global_calendar_dispatcher

from rustybt.calendars import DEFAULT_CALENDAR, get_calendar, session_label


def test_minutes_are_right_labelled_and_calendars_cached():
    cal = get_calendar(start="2024-01-02", end="2024-01-05")
    assert cal.name == DEFAULT_CALENDAR
    minutes = cal.session_minutes(pd.Timestamp("2024-01-02"))
    assert minutes[0] == pd.Timestamp("2024-01-02 14:31", tz="UTC")
    assert minutes[-1] == pd.Timestamp("2024-01-02 21:00", tz="UTC")
    assert get_calendar("XNYS", "2024-01-02", pd.Timestamp("2024-01-05")) is cal


def test_session_label_normalises_to_a_naive_midnight():
    assert session_label("2024-01-02 15:30") == pd.Timestamp("2024-01-02")
    assert session_label(pd.Timestamp("2024-01-02 23:30", tz="America/New_York")) == pd.Timestamp(
        "2024-01-03"
    )


@pytest.mark.parametrize("name", ["XNYS", "XLON", "24/7"])
def test_a_later_range_shares_the_day_offset_and_equals_a_plain_build(name: str) -> None:
    """Builds after a class's first reuse its sessions offset (the costly part of a build)
    and still equal the calendar exchange-calendars builds on its own: sessions, minutes,
    opens, closes, breaks, early closes and late opens."""
    first = get_calendar(name, start="2017-02-01", end="2017-11-30")
    later = get_calendar(name, start="2018-03-01", end="2019-06-28")
    assert later.day is first.day
    canonical = global_calendar_dispatcher.resolve_alias(name)
    plain = global_calendar_dispatcher._calendar_factories[canonical](
        start="2018-03-01", end="2019-06-28", side="right"
    )
    assert plain.day is not first.day
    assert later.schedule.equals(plain.schedule)
    assert later.sessions.equals(plain.sessions) and later.minutes.equals(plain.minutes)
    assert later.early_closes.equals(plain.early_closes)
    assert later.late_opens.equals(plain.late_opens)
    assert later.side == plain.side == "right" and later.name == plain.name
