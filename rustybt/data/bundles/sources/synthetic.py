"""A deterministic synthetic source: N assets × Y years of daily (and minute) bars.

The same arguments always give the same bytes. Asset ``i`` (sid ``i``) is generated from
``numpy.random.default_rng([seed, i])``, so it does not depend on how many assets are asked for.
The hard cases are built in by sid (for any ``n_assets ≥ 4`` each appears):

==========  ===========================================================================
sid % 4     hard cases
==========  ===========================================================================
0           a split (2:1, ratio 0.5; 1:2 reverse split, ratio 2.0, when sid % 8 == 4),
            quarterly cash dividends
1           late listing (starts 20–50 % into the range), quarterly cash dividends
2           early delisting (ends 60–85 % into the range), halts (1 + 2 missing sessions)
3           halts; a 3:1 split (ratio 1/3); a symbol change (old symbol ``X…``) when
            sid % 8 == 7
==========  ===========================================================================

Minute assets additionally miss ~2 % of their minutes when sid % 5 == 4 (thin trading), and
follow the calendar's minutes, so early-close days have fewer bars. Their daily bars are the
aggregates of their minute bars. Raw prices are rounded to cents and stay in about [1, 1700],
far below zipline's uint32(price × 1000) limit; volumes are integers < 2³¹.

Ingest streams one asset at a time (generate, validate, write, forget), so peak memory is
about one asset's bars plus the adjustment tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rustybt.calendars import get_calendar
from rustybt.data.bundles._progress import Progress
from rustybt.data.bundles.errors import IngestError
from rustybt.data.bundles.sources._synthetic_paths import (
    aggregate_sessions,
    daily_base,
    finish,
    minute_base,
)
from rustybt.data.bundles.sources._synthetic_plan import AssetPlan, plan_asset
from rustybt.data.bundles.writer import BundleWriter

__all__ = [
    "DEFAULT_END_SESSION",
    "SyntheticAsset",
    "SyntheticData",
    "SyntheticIngest",
    "iter_synthetic",
    "synthetic_frames",
    "synthetic_ingest",
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


def _grid(
    calendar_name: str, years: float, end_session: object, minute: bool
) -> tuple[Any, _Grid]:
    if years <= 0:
        raise ValueError(f"years must be > 0, got {years}")
    end = pd.Timestamp(end_session if end_session is not None else DEFAULT_END_SESSION)
    end = end.tz_localize(None) if end.tzinfo is not None else end
    end = end.normalize()
    start = end - np.timedelta64(round(365.25 * years), "D") + np.timedelta64(1, "D")
    calendar = get_calendar(calendar_name, start=start - np.timedelta64(7, "D"), end=end)
    all_sessions = pd.DatetimeIndex(calendar.sessions)
    sessions = all_sessions[(all_sessions >= start) & (all_sessions <= end)]
    if len(sessions) == 0:
        raise ValueError(f"no {calendar_name} session between {start.date()} and {end.date()}")
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


def _asset_rows(
    sid: int, plan: AssetPlan, sessions: pd.DatetimeIndex
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
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
    return pd.DataFrame(
        {time_col: times, "open": o, "high": h, "low": lo, "close": c, "volume": v}
    )


def _generate(sid: int, seed: int, grid: _Grid, minute: bool) -> SyntheticAsset:
    rng = np.random.default_rng([seed, sid])
    sessions = grid.sessions
    plan = plan_asset(sid, len(sessions), rng)
    symbol, row, spans = _asset_rows(sid, plan, sessions)
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


def _minute_sids(n_assets: int, minute: bool, minute_assets: int | None) -> int:
    if not minute:
        return 0
    return n_assets if minute_assets is None else max(0, min(int(minute_assets), n_assets))


def iter_synthetic(
    n_assets: int,
    years: float,
    *,
    minute: bool = False,
    minute_assets: int | None = None,
    seed: int = 0,
    end_session: object = None,
    calendar_name: str = "XNYS",
) -> Iterator[SyntheticAsset]:
    """Yield the synthetic assets one at a time (see :func:`synthetic_ingest` for arguments)."""
    if n_assets < 1:
        raise ValueError(f"n_assets must be ≥ 1, got {n_assets}")
    n_minute = _minute_sids(n_assets, minute, minute_assets)
    _, grid = _grid(calendar_name, years, end_session, n_minute > 0)
    for sid in range(n_assets):
        yield _generate(sid, seed, grid, sid < n_minute)


@dataclass
class SyntheticData:
    """All frames of a synthetic bundle, as the ingest writes them (for tests)."""

    assets: pd.DataFrame
    symbol_history: pd.DataFrame
    daily: dict[int, pd.DataFrame]
    minute: dict[int, pd.DataFrame]
    splits: pd.DataFrame
    dividends: pd.DataFrame
    sessions: pd.DatetimeIndex


def _adjustment_frames(
    splits: list[dict[str, Any]], dividends: list[dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    split_cols = ["sid", "effective_date", "ratio"]
    div_cols = ["sid", "ex_date", "record_date", "declared_date", "pay_date", "amount"]
    s = pd.DataFrame(splits, columns=split_cols)
    d = pd.DataFrame(dividends, columns=div_cols)
    return s.astype({"sid": "int64", "ratio": "float64"}), d.astype(
        {"sid": "int64", "amount": "float64"}
    )


def synthetic_frames(
    n_assets: int,
    years: float,
    *,
    minute: bool = False,
    minute_assets: int | None = None,
    seed: int = 0,
    end_session: object = None,
    calendar_name: str = "XNYS",
) -> SyntheticData:
    """Generate everything in memory (keep it small); same content as :func:`synthetic_ingest`."""
    rows, spans, daily, minute_bars = [], [], {}, {}
    splits: list[dict[str, Any]] = []
    dividends: list[dict[str, Any]] = []
    sessions = _grid(calendar_name, years, end_session, False)[1].sessions
    for a in iter_synthetic(
        n_assets,
        years,
        minute=minute,
        minute_assets=minute_assets,
        seed=seed,
        end_session=end_session,
        calendar_name=calendar_name,
    ):
        rows.append(a.asset_row)
        spans.extend(a.symbol_spans)
        daily[a.sid] = a.daily
        if a.minute is not None:
            minute_bars[a.sid] = a.minute
        splits.extend(a.splits)
        dividends.extend(a.dividends)
    s, d = _adjustment_frames(splits, dividends)
    return SyntheticData(
        assets=pd.DataFrame(rows),
        symbol_history=pd.DataFrame(spans),
        daily=daily,
        minute=minute_bars,
        splits=s,
        dividends=d,
        sessions=sessions,
    )


class SyntheticIngest:
    """The ingest function returned by :func:`synthetic_ingest` (callable with a writer).

    Attributes ``calendar_name``, ``start_session`` and ``end_session`` tell
    :func:`rustybt.data.bundles.register` how to register it (``register_synthetic`` does).
    """

    def __init__(self, **params: Any) -> None:
        self.params = params
        self.calendar_name: str = params["calendar_name"]
        sessions = _grid(self.calendar_name, params["years"], params["end_session"], False)[1]
        self.start_session: pd.Timestamp = sessions.sessions[0]
        self.end_session: pd.Timestamp = sessions.sessions[-1]

    def describe(self) -> str:
        """The call that made this function (recorded in the manifest)."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"synthetic_ingest({args})"

    __repr__ = describe

    def __call__(self, writer: BundleWriter) -> None:
        """Stream every asset into ``writer`` (assets table first, adjustments last)."""
        if writer.calendar_name != self.calendar_name:
            raise IngestError(
                f"synthetic data was generated on {self.calendar_name} but the bundle is "
                f"registered with calendar {writer.calendar_name!r}",
                file="synthetic",
            )
        writer.warn_halts = False  # halts are part of the design, not a repair
        p = self.params
        _, grid = _grid(self.calendar_name, p["years"], p["end_session"], False)
        rows, spans = [], []
        for sid in range(p["n_assets"]):
            plan = plan_asset(sid, len(grid.sessions), np.random.default_rng([p["seed"], sid]))
            _, row, sp = _asset_rows(sid, plan, grid.sessions)
            rows.append(row)
            spans.extend(sp)
        writer.write_assets(pd.DataFrame(rows), pd.DataFrame(spans))
        splits: list[dict[str, Any]] = []
        dividends: list[dict[str, Any]] = []
        label = "synthetic" + (" (minute)" if p["minute"] else "")
        with Progress(p["n_assets"], label, enabled=writer.show_progress) as bar:
            for a in iter_synthetic(**p):
                writer.write_daily_bars(a.sid, a.daily, label=f"synthetic daily sid {a.sid}")
                if a.minute is not None:
                    writer.write_minute_bars(a.sid, a.minute, label=f"synthetic minute sid {a.sid}")
                splits.extend(a.splits)
                dividends.extend(a.dividends)
                bar.update()
        s, d = _adjustment_frames(splits, dividends)
        writer.write_adjustments(splits=s, dividends=d)


def synthetic_ingest(
    n_assets: int,
    years: float,
    *,
    minute: bool = False,
    minute_assets: int | None = None,
    seed: int = 0,
    end_session: object = None,
    calendar_name: str = "XNYS",
) -> SyntheticIngest:
    """Return an ingest function that writes a deterministic synthetic bundle.

    Args:
        n_assets: Number of assets (sids ``0 .. n_assets-1``).
        years: Length of the session range, ending at ``end_session``.
        minute: Also write minute bars (daily bars are then their aggregates).
        minute_assets: How many assets (the lowest sids) get minute bars; default all.
        seed: Seed; the same arguments always give the same bundle version.
        end_session: Last session (default 2024-12-31, fixed, never "today").
        calendar_name: exchange-calendars name; register the bundle with the same calendar
            (:func:`register_synthetic` does it for you).

    Returns:
        A callable ``fn(writer)`` for :func:`rustybt.data.bundles.register`.
    """
    return SyntheticIngest(
        n_assets=int(n_assets),
        years=float(years),
        minute=bool(minute),
        minute_assets=minute_assets,
        seed=int(seed),
        end_session=end_session,
        calendar_name=calendar_name,
    )
