"""``resolve_sessions`` on a bundle's calendar, which covers only the bundle's sessions."""

from __future__ import annotations

import pandas as pd
import pytest

from rustybt import InvalidSimulation
from rustybt.calendars import get_calendar
from rustybt.engine.run import resolve_sessions

CAL = get_calendar("XNYS", start="2023-01-03", end="2023-04-14")  # like Bundle.calendar (a Friday)
DATA = pd.DatetimeIndex(CAL.sessions)


def test_a_start_before_the_data_is_refused_not_clipped() -> None:
    with pytest.raises(
        InvalidSimulation,
        match=r"2022-06-01\.\.2023-02-01 leaves the data, "
        r"which covers 2023-01-03\.\.2023-04-14",
    ):
        resolve_sessions(CAL, "2022-06-01", "2023-02-01", DATA)
    with pytest.raises(InvalidSimulation, match=r"2023-03-01\.\.2023-06-01 leaves the data"):
        resolve_sessions(CAL, "2023-03-01", "2023-06-01", DATA)


def test_holidays_next_to_the_data_still_roll() -> None:
    got = resolve_sessions(CAL, "2022-12-31", "2023-04-16", DATA)  # Saturday .. Sunday
    assert got[0] == pd.Timestamp("2023-01-03") and got[-1] == pd.Timestamp("2023-04-14")
    assert got.equals(DATA)


def test_a_calendar_without_an_exchange_name_is_refused_outside_its_range() -> None:
    class Bare:
        sessions = DATA

    with pytest.raises(InvalidSimulation, match="leaves the calendar's sessions 2023-01-03"):
        resolve_sessions(Bare(), "2022-12-01", "2023-02-01", DATA)
