"""rustybt.calendars: right-labelled minutes like zipline, cached calendars."""

from __future__ import annotations

import pandas as pd

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
