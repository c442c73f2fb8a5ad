"""Seeded random calls of every DataPortal method, as ``(label, fn(portal))`` pairs.

Datetimes mix what zipline's engine passes: naive session labels, weekend/holiday labels (which
zipline rolls forward), tz-aware UTC close minutes (``can_trade``/``is_stale`` in daily mode) and
arbitrary tz-aware trading minutes, plus a few minutes outside trading hours.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pandas as pd

Call = tuple[str, Callable[[Any], Any]]

HISTORY_FIELDS = ("open", "high", "low", "close", "volume", "price")
SPOT_FIELDS = (*HISTORY_FIELDS, "last_traded")


class Dts:
    """Datetimes drawn from one world's calendar."""

    def __init__(self, world: Any) -> None:
        cal = world.zipline.calendar
        self.cal = cal
        self.sessions = list(world.bundle.sessions)
        days = pd.date_range(self.sessions[0], self.sessions[-1], freq="D")
        known = set(self.sessions)
        self.off_days = [d for d in days if d not in known]
        self.minutes = list(cal.sessions_minutes(self.sessions[0], self.sessions[-1]))
        self.closes = [cal.session_close(s) for s in self.sessions]
        self.assets = world.assets

    def daily_dt(self, rng: random.Random) -> Any:
        kind = rng.random()
        if kind < 0.55:
            return rng.choice(self.sessions)
        if kind < 0.7:
            return rng.choice(self.off_days)
        if kind < 0.9:
            return rng.choice(self.closes)
        return rng.choice(self.minutes)

    def minute_dt(self, rng: random.Random) -> Any:
        return rng.choice(self.minutes)

    def off_hours_minute(self, rng: random.Random) -> Any:
        """02:00 or 23:00 UTC of a session; never before the first trading minute.

        zipline's minute reader crashes there (``ValueError: The truth value of an empty
        array is ambiguous`` at 02:00 UTC of the first session), so that minute is not
        comparable; rustybt answers NaN / 0 (tests/portal/test_portal_spot_edges.py).
        """
        day = rng.choice(self.sessions)
        hours = rng.choice([2, 23]) if day != self.sessions[0] else 23
        return pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(hours, "h")

    def some_assets(self, rng: random.Random) -> list[Any]:
        return rng.sample(self.assets, rng.randrange(1, len(self.assets) + 1))


def history_daily(d: Dts, rng: random.Random, n: int) -> list[Call]:
    out: list[Call] = []
    for _ in range(n):
        assets, end = d.some_assets(rng), d.daily_dt(rng)
        count, field = rng.randrange(1, 45), rng.choice(HISTORY_FIELDS)
        out.append(
            (
                f"get_history_window({assets}, {end}, {count}, '1d', {field!r}, 'daily')",
                lambda p, a=assets, e=end, c=count, f=field: p.get_history_window(
                    a, e, c, "1d", f, "daily"
                ),
            )
        )
    return out


def history_minute(d: Dts, rng: random.Random, n: int) -> list[Call]:
    out: list[Call] = []
    for _ in range(n):
        assets, end = d.some_assets(rng), rng.choice(d.minutes)
        count, field = rng.randrange(1, 600), rng.choice(HISTORY_FIELDS)
        out.append(
            (
                f"get_history_window({assets}, {end}, {count}, '1m', {field!r}, 'minute')",
                lambda p, a=assets, e=end, c=count, f=field: p.get_history_window(
                    a, e, c, "1m", f, "minute"
                ),
            )
        )
    return out


def history_minute_daily(d: Dts, rng: random.Random, n: int) -> list[Call]:
    """'1d' windows over minute data, with end minutes in time order like a backtest.

    zipline's DailyHistoryAggregator caches today's partial bar per asset and assumes time
    moves forward within a session (an earlier minute after a later one returns the later
    one's open/high/low), so the calls are made in time order.
    """
    out: list[Call] = []
    ends = sorted(rng.choice(d.minutes) for _ in range(n))
    for end in ends:
        assets = d.some_assets(rng)
        count, field = rng.randrange(1, 30), rng.choice(HISTORY_FIELDS)
        out.append(
            (
                f"get_history_window({assets}, {end}, {count}, '1d', {field!r}, 'minute')",
                lambda p, a=assets, e=end, c=count, f=field: p.get_history_window(
                    a, e, c, "1d", f, "minute"
                ),
            )
        )
    return out


def spot_daily(d: Dts, rng: random.Random, n: int) -> list[Call]:
    out: list[Call] = []
    for i in range(n):
        dt, field = d.daily_dt(rng), rng.choice(SPOT_FIELDS)
        if i % 4 == 0:
            assets: Any = d.some_assets(rng)
        else:
            assets = rng.choice(d.assets)
        method = "get_scalar_asset_spot_value" if i % 4 == 1 else "get_spot_value"
        out.append(
            (
                f"{method}({assets}, {field!r}, {dt}, 'daily')",
                lambda p, a=assets, f=field, t=dt, m=method: getattr(p, m)(a, f, t, "daily"),
            )
        )
    return out


def spot_minute(d: Dts, rng: random.Random, n: int, off_hours: bool = False) -> list[Call]:
    out: list[Call] = []
    for i in range(n):
        dt = d.off_hours_minute(rng) if off_hours else d.minute_dt(rng)
        field = rng.choice(SPOT_FIELDS)
        assets: Any = d.some_assets(rng) if i % 4 == 0 else rng.choice(d.assets)
        method = "get_scalar_asset_spot_value" if i % 4 == 1 else "get_spot_value"
        out.append(
            (
                f"{method}({assets}, {field!r}, {dt}, 'minute')",
                lambda p, a=assets, f=field, t=dt, m=method: getattr(p, m)(a, f, t, "minute"),
            )
        )
    return out


def spot_minute_off_hours(d: Dts, rng: random.Random, n: int) -> list[Call]:
    """Minute spot values at minutes outside trading hours (zipline: NaN prices, volume 0)."""
    return spot_minute(d, rng, n, off_hours=True)


def history_minute_off_hours(d: Dts, rng: random.Random, n: int) -> list[Call]:
    """'1m' windows ending at a time that is not a trading minute.

    zipline raises ``NotTradingMinuteError`` (rustybt's zipline_exact mode too). '1d' windows
    over minute data are left out: zipline's answer there depends on the field and on its
    DailyHistoryAggregator's state (a frame, NoDataOnDate or ValueError).
    """
    out: list[Call] = []
    for i in range(n):
        assets = d.some_assets(rng)
        end = d.off_hours_minute(rng) if i % 3 else pd.Timestamp(rng.choice(d.sessions[5:]))
        freq, count = "1m", rng.randrange(1, 5)
        field = rng.choice(HISTORY_FIELDS)
        out.append(
            (
                f"get_history_window({assets}, {end}, {count}, {freq!r}, {field!r}, 'minute')",
                lambda p, a=assets, e=end, c=count, q=freq, f=field: p.get_history_window(
                    a, e, c, q, f, "minute"
                ),
            )
        )
    return out


def adjustments(d: Dts, rng: random.Random, n: int) -> list[Call]:
    out: list[Call] = []
    for i in range(n):
        a, b = sorted(rng.sample(d.sessions, 2))
        field = rng.choice(HISTORY_FIELDS)
        assets = d.some_assets(rng)
        out.append(
            (
                f"get_adjustments({assets}, {field!r}, {a}, {b})",
                lambda p, s=assets, f=field, x=a, y=b: p.get_adjustments(s, f, x, y),
            )
        )
        asset = rng.choice(d.assets)
        freq = "minute" if i % 3 == 0 else "daily"
        dt = rng.choice(d.minutes) if freq == "minute" else a
        persp = b if freq == "daily" else d.cal.session_close(b)
        out.append(
            (
                f"get_adjusted_value({asset}, {field!r}, {dt}, {persp}, {freq!r})",
                lambda p, s=asset, f=field, x=dt, y=persp, q=freq: p.get_adjusted_value(
                    s, f, x, y, q
                ),
            )
        )
    return out


def last_traded(d: Dts, rng: random.Random, n: int) -> list[Call]:
    out: list[Call] = []
    for i in range(n):
        asset = rng.choice(d.assets)
        if i % 2:
            dt, freq = rng.choice(d.minutes), "minute"
        else:
            dt, freq = rng.choice(d.sessions), "daily"
        out.append(
            (
                f"get_last_traded_dt({asset}, {dt}, {freq!r})",
                lambda p, a=asset, t=dt, q=freq: p.get_last_traded_dt(a, t, q),
            )
        )
    return out


def corporate_actions(d: Dts, rng: random.Random, n: int) -> list[Call]:
    out: list[Call] = []
    for _ in range(n):
        assets, day = d.some_assets(rng), rng.choice(d.sessions)
        out.append((f"get_splits({assets}, {day})", lambda p, a=assets, t=day: p.get_splits(a, t)))
        start = rng.randrange(len(d.sessions))
        days = pd.DatetimeIndex(d.sessions[start : start + rng.randrange(0, 40)])
        asset = rng.choice(d.assets)
        out.append(
            (
                f"get_stock_dividends({asset}, {len(days)} days from {start})",
                lambda p, a=asset, t=days: p.get_stock_dividends(a, t),
            )
        )
        field = rng.choice([*SPOT_FIELDS, "sid"])
        out.append((f"contains({asset}, {field!r})", lambda p, a=asset, f=field: p.contains(a, f)))
    return out


def out_of_range(d: Dts, rng: random.Random, n: int) -> list[Call]:
    """Spot values and last-traded dts at sessions/minutes before or after the data.

    zipline checks the asset's lifetime first: NaN (volume 0, NaT) outside it.
    """
    first, last = pd.Timestamp(d.sessions[0]), pd.Timestamp(d.sessions[-1])
    out: list[Call] = []
    for _ in range(n):
        asset, field = rng.choice(d.assets), rng.choice(SPOT_FIELDS)
        day = (
            (first - pd.Timedelta(rng.randrange(5, 60), "D"))
            if rng.random() < 0.5
            else (last + pd.Timedelta(rng.randrange(5, 60), "D"))
        )
        session = d.cal.date_to_session(day, direction="next")
        minute = d.cal.session_close(session)
        for dt, freq in ((session, "daily"), (minute, "minute")):
            out.append(
                (
                    f"get_spot_value({asset}, {field!r}, {dt}, {freq!r})",
                    lambda p, a=asset, f=field, t=dt, q=freq: p.get_spot_value(a, f, t, q),
                )
            )
        out.append(
            (
                f"get_last_traded_dt({asset}, {session}, 'daily')",
                lambda p, a=asset, t=session: p.get_last_traded_dt(a, t, "daily"),
            )
        )
    return out


FAMILIES: dict[str, Callable[[Dts, random.Random, int], list[Call]]] = {
    "history_daily": history_daily,
    "history_minute": history_minute,
    "history_minute_daily": history_minute_daily,
    "spot_daily": spot_daily,
    "spot_minute": spot_minute,
    "spot_minute_off_hours": spot_minute_off_hours,
    "adjustments": adjustments,
    "last_traded": last_traded,
    "corporate_actions": corporate_actions,
    "out_of_range": out_of_range,
    "history_minute_off_hours": history_minute_off_hours,
}
