"""Generation of one synthetic asset: the session grid, lifetime rows, events and bars.

See :mod:`rustybt.data.bundles.sources.synthetic` for what is generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rustybt.calendars import get_calendar
from rustybt.data.bundles.sources._synthetic_paths import (
    aggregate_sessions,
    daily_base,
    finish,
    minute_base,
)
from rustybt.data.bundles.sources._synthetic_plan import AssetPlan, plan_asset
from rustybt.errors import InvalidSourceOption

__all__ = [
    "DEFAULT_END_SESSION",
    "SyntheticAsset",
    "asset_rows",
    "generate",
    "session_grid",
]

DEFAULT_END_SESSION = pd.Timestamp("2024-12-31")
EXCHANGE = "SYNTH"
_DIVIDEND_YIELD = 0.004


@dataclass(frozen=True)
class _Grid:
    """Sessions of the range and (for minute data) every minute with its session index."""

    sessions: pd.DatetimeIndex
    minutes: np.ndarray | None  # int64 ns UTC
    session_of_minute: np.ndarray | None  # int64 index into sessions


def session_grid(
    calendar_name: str, years: float, end_session: object, minute: bool
) -> tuple[Any, _Grid]:
    """The calendar and the sessions (and minutes, when asked) of ``years`` up to the end.

    Raises:
        InvalidSourceOption: No session of the calendar in the range (names years and end).
    """
    end = pd.Timestamp(end_session if end_session is not None else DEFAULT_END_SESSION)
    end = end.tz_localize(None) if end.tzinfo is not None else end
    end = end.normalize()
    start = end - np.timedelta64(round(365.25 * years), "D") + np.timedelta64(1, "D")
    calendar = get_calendar(calendar_name, start=start - np.timedelta64(7, "D"), end=end)
    all_sessions = pd.DatetimeIndex(calendar.sessions)
    sessions = all_sessions[(all_sessions >= start) & (all_sessions <= end)]
    if len(sessions) == 0:
        raise InvalidSourceOption(
            f"{{0}} ending at {{1}}: no {calendar_name} session between {start.date()} and "
            f"{end.date()}; ask for more years",
            {"years": years, "end_session": end_session},
        )
    if not minute:
        return calendar, _Grid(sessions, None, None)
    first_minute = calendar.session_first_minute(sessions[0])
    last_minute = calendar.session_close(sessions[-1])
    minutes = pd.DatetimeIndex(calendar.minutes_in_range(first_minute, last_minute)).asi8
    closes = pd.DatetimeIndex(calendar.closes.loc[sessions[0] : sessions[-1]]).asi8
    session_of_minute = np.searchsorted(closes, minutes, side="left").astype(np.int64)
    return calendar, _Grid(sessions, minutes, session_of_minute)


def _symbol(i: int, prefix: str = "S") -> str:
    letters = []
    n = i
    for _ in range(3):
        letters.append(chr(ord("A") + n % 26))
        n //= 26
    return prefix + "".join(reversed(letters)) + (str(n) if n else "")


@dataclass
class SyntheticAsset:
    """One generated asset: its table rows, bars and adjustments."""

    sid: int
    symbol: str
    plan: AssetPlan
    asset_row: dict[str, Any]
    symbol_spans: list[dict[str, Any]]
    daily: pd.DataFrame
    minute: pd.DataFrame | None
    splits: list[dict[str, Any]] = field(default_factory=list)
    dividends: list[dict[str, Any]] = field(default_factory=list)


def asset_rows(
    sid: int, plan: AssetPlan, sessions: pd.DatetimeIndex
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """(symbol, asset table row, symbol-history spans) of one planned asset."""
    symbol = _symbol(sid)
    start, end = sessions[plan.first], sessions[plan.last]
    row = {
        "sid": sid,
        "symbol": symbol,
        "asset_name": f"Synthetic {symbol} Inc.",
        "exchange": EXCHANGE,
        "start_date": start,
        "end_date": end,
        "first_traded": start,
        "auto_close_date": end + np.timedelta64(1, "D"),
    }
    if plan.symbol_change is None:
        spans = [{"sid": sid, "symbol": symbol, "start_date": start, "end_date": end}]
    else:
        chg = plan.symbol_change
        spans = [
            {
                "sid": sid,
                "symbol": _symbol(sid, "X"),
                "start_date": start,
                "end_date": sessions[chg - 1],
            },
            {"sid": sid, "symbol": symbol, "start_date": sessions[chg], "end_date": end},
        ]
    return symbol, row, spans


def _factors(
    plan: AssetPlan, base_close: np.ndarray, sessions: pd.DatetimeIndex, sid: int
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]], list[dict[str, Any]]]:
    """Raw-price and volume factors per life session, plus the split and dividend rows.

    ``base_close`` holds each life session's base close (NaN on halts).
    """
    n = plan.last - plan.first + 1
    price = np.ones(n)
    volume = np.ones(n)
    splits: list[dict[str, Any]] = []
    dividends: list[dict[str, Any]] = []
    events = [(idx, "split", ratio) for idx, ratio in plan.splits]
    events += [(idx, "dividend", 0.0) for idx in plan.dividends]
    for idx, kind, ratio in sorted(events):
        k = idx - plan.first
        if kind == "split":
            price[k:] *= ratio
            volume[k:] /= ratio
            splits.append({"sid": sid, "effective_date": sessions[idx], "ratio": ratio})
            continue
        prev_close = round(float(base_close[k - 1] * price[k - 1]), 2)
        amount = max(round(_DIVIDEND_YIELD * prev_close, 2), 0.01)
        price[k:] *= 1.0 - amount / prev_close
        ex = sessions[idx]
        dividends.append(
            {
                "sid": sid,
                "ex_date": ex,
                "record_date": ex + np.timedelta64(2, "D"),
                "declared_date": ex - np.timedelta64(14, "D"),
                "pay_date": ex + np.timedelta64(21, "D"),
                "amount": amount,
            }
        )
    return price, volume, splits, dividends


def _bars_frame(time_col: str, times: Any, o: Any, h: Any, lo: Any, c: Any, v: Any) -> pd.DataFrame:
    return pd.DataFrame({time_col: times, "open": o, "high": h, "low": lo, "close": c, "volume": v})


def generate(sid: int, seed: int, grid: _Grid, minute: bool) -> SyntheticAsset:
    """Generate asset ``sid`` (daily bars; minute bars too when ``minute``) on ``grid``."""
    rng = np.random.default_rng([seed, sid])
    sessions = grid.sessions
    plan = plan_asset(sid, len(sessions), rng)
    symbol, row, spans = asset_rows(sid, plan, sessions)
    n = plan.last - plan.first + 1
    traded = np.ones(n, dtype=bool)
    traded[np.asarray(plan.halts, dtype=np.int64) - plan.first] = False
    if not minute:
        o, h, lo, c, v = daily_base(rng, n)
        base_close = np.where(traded, c, np.nan)
        pf, vf, splits, divs = _factors(plan, base_close, sessions, sid)
        o, h, lo, c = finish(o, h, lo, c, pf)
        vol = np.maximum(np.floor(v * vf), 1).astype(np.int64)
        keep = np.flatnonzero(traded)
        daily = _bars_frame(
            "date", sessions[plan.first + keep], o[keep], h[keep], lo[keep], c[keep], vol[keep]
        )
        return SyntheticAsset(sid, symbol, plan, row, spans, daily, None, splits, divs)
    assert grid.minutes is not None and grid.session_of_minute is not None
    som_all = grid.session_of_minute
    a, b = np.searchsorted(som_all, [plan.first, plan.last + 1], side="left")
    som = som_all[a:b] - plan.first
    keep_m = traded[som]
    if sid % 5 == 4:
        thin = rng.random(len(som)) < 0.02
        keep_m &= ~thin
    idx = np.flatnonzero(keep_m)
    som = som[idx]
    mins = grid.minutes[a:b][idx]
    o, h, lo, c, v = minute_base(rng, som)
    last_of_session = np.r_[som[1:] != som[:-1], True] if len(som) else np.empty(0, bool)
    base_close = np.full(n, np.nan)
    base_close[som[last_of_session]] = c[last_of_session]
    pf, vf, splits, divs = _factors(plan, base_close, sessions, sid)
    o, h, lo, c = finish(o, h, lo, c, pf[som])
    vol = np.maximum(np.floor(v * vf[som]), 1).astype(np.int64)
    minute_frame = _bars_frame("dt", pd.DatetimeIndex(mins, tz="UTC"), o, h, lo, c, vol)
    s_idx, do, dh, dl, dc, dv = aggregate_sessions(som, o, h, lo, c, vol)
    daily = _bars_frame("date", sessions[plan.first + s_idx], do, dh, dl, dc, dv)
    return SyntheticAsset(sid, symbol, plan, row, spans, daily, minute_frame, splits, divs)
