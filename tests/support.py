"""Shared test support: the one plain-pandas oracle of zipline's semantics, and comparisons.

:class:`Oracle` reads only a :class:`rustybt.testing.BundleSpec` (the frames that were
ingested) and exchange-calendars: never the bundle, the store or the portal. It is written
for clarity, not speed: it loops over rows and multiplies ratios one by one. It answers

- history windows (daily, minute, and daily windows over minute data with today's partial
  bar), spot values and last-traded dates, as ``ArrowDataPortal`` must;
- the SQL views' raw and adjusted bars, rolling windows and as-of lookups, as
  ``BundleSQL`` must.

Adjustments follow zipline: a ratio effective on E applies to bars dated before E, seen from a
perspective on or after E; a cash dividend's ratio is ``1 - amount / close`` of the calendar
session before the ex date (daily close, else that session's last minute close), dropped when
that close is missing or the ratio is not positive; volume follows splits only.

Every test directory imports it as ``support`` (tests/conftest.py puts tests/ on sys.path).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from rustybt.testing import BundleSpec

__all__ = ["BAR_FIELDS", "BeforeData", "Oracle", "assert_frames_close", "safe_ratio"]

BAR_FIELDS = ["open", "high", "low", "close", "volume"]


class BeforeData(Exception):
    """The window starts before the first session (the portal raises its own error)."""


def safe_ratio(a: float, b: float) -> float:
    """a / b in float64, inf or NaN instead of an error."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def assert_frames_close(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same sids and dates; numbers equal to 1e-12 relative."""
    assert got["sid"].tolist() == want["sid"].tolist()
    assert pd.DatetimeIndex(got["date"]).equals(pd.DatetimeIndex(want["date"]))
    for col in BAR_FIELDS:
        np.testing.assert_allclose(
            got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-12, err_msg=col
        )


@lru_cache(maxsize=16)
def _calendar(name: str, first_year: int, last_year: int) -> xcals.ExchangeCalendar:
    """A right-sided exchange-calendars calendar from the year before ``first_year``."""
    return xcals.get_calendar(name, side="right", start=f"{first_year - 1}-01-01",
                              end=f"{last_year}-12-31")


class Oracle:
    """zipline's answers for a spec, computed the slow obvious way."""

    def __init__(self, spec: BundleSpec) -> None:
        self.spec = spec
        self.sessions = spec.sessions
        self.cal = _calendar(spec.calendar_name, self.sessions[0].year, self.sessions[-1].year)
        self.closes = pd.DatetimeIndex(
            self.cal.last_minutes.reindex(self.sessions)).tz_convert("UTC").tz_localize(None)
        self.minutes = pd.DatetimeIndex(self.cal.minutes_in_range(
            self.cal.first_minutes[self.sessions[0]], self.cal.last_minutes[self.sessions[-1]]))
        self.daily = {sid: f.set_index("date") for sid, f in spec.daily.items()}
        self.minute = {sid: f.set_index("dt") for sid, f in spec.minute.items()}
        self.life = {
            int(r.sid): (pd.Timestamp(r.start_date), pd.Timestamp(r.end_date))
            for r in spec.assets.itertuples()
        }
        events: list[tuple[int, pd.Timestamp, float, str]] = []
        for kind, frame in (("split", spec.splits), ("merger", spec.mergers)):
            for r in (frame if frame is not None else pd.DataFrame()).itertuples():
                events.append((int(r.sid), pd.Timestamp(r.effective_date), float(r.ratio), kind))
        divs = spec.dividends if spec.dividends is not None else pd.DataFrame()
        for r in divs.itertuples():
            ratio = 1.0 - float(r.amount) / self.previous_close(int(r.sid), pd.Timestamp(r.ex_date))
            if np.isfinite(ratio) and ratio > 0:
                events.append((int(r.sid), pd.Timestamp(r.ex_date), ratio, "dividend"))
        self.events = events

    # ------------------------------------------------------------------ adjustments
    def previous_close(self, sid: int, ex_date: pd.Timestamp) -> float:
        """Raw close of the calendar session before ``ex_date`` (NaN without a bar)."""
        all_sessions = self.cal.sessions
        pos = int(all_sessions.searchsorted(ex_date)) - 1
        if pos < 0:
            return np.nan
        prev = all_sessions[pos]
        daily = self.daily.get(sid)
        if daily is not None and len(daily):
            return float(daily["close"].get(prev, np.nan))
        minute = self.minute.get(sid)
        if minute is None:
            return np.nan
        mins = self.cal.session_minutes(prev)
        inside = minute[(minute.index >= mins[0]) & (minute.index <= mins[-1])]
        return np.nan if inside.empty else float(inside["close"].iloc[-1])

    def ratio(self, sid: int, after: pd.Timestamp, upto: pd.Timestamp, volume: bool) -> float:
        """Product of the ratios effective in (after, upto] (sessions); volume: 1/split."""
        out = 1.0
        for s, when, r, kind in self.events:
            if s != sid or not (after < when <= upto):
                continue
            if volume:
                if kind == "split":
                    out *= 1.0 / r
            else:
                out *= r
        return out

    def factors(self, sid: int, t: pd.Timestamp, p: pd.Timestamp) -> tuple[float, float]:
        """Price and volume factor of a bar dated t seen from p: ratios with t < E ≤ p.

        The volume factor is the product of the split ratios (volume is divided by it).
        """
        pf = vf = 1.0
        for s, eff, ratio, kind in self.events:
            if s == sid and t < eff <= p:
                pf *= ratio
                if kind == "split":
                    vf *= ratio
        return pf, vf

    # ------------------------------------------------------------------ basics
    def session_of(self, dt: object) -> pd.Timestamp:
        """zipline's minute_to_session: the first session whose close is at or after dt."""
        ts = pd.Timestamp(dt)  # type: ignore[arg-type]
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        later = [s for s, c in zip(self.sessions, self.closes, strict=True) if c >= ts]
        return later[0]

    def end_session_of(self, dt: object) -> pd.Timestamp:
        """:meth:`session_of` for a history ``end_dt``: IndexError (NoDataOnDate) before the
        first session (its label and its first minute), never the first session rolled onto."""
        ts = pd.Timestamp(dt)  # type: ignore[arg-type]
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        first = self.cal.first_minutes[self.sessions[0]].tz_convert("UTC").tz_localize(None)
        if ts < min(self.sessions[0], first):
            raise IndexError(f"{ts} is before the first session")
        return self.session_of(dt)

    def minute_of(self, dt: object) -> pd.Timestamp:
        ts = pd.Timestamp(dt)  # type: ignore[arg-type]
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return self.minutes[self.minutes <= ts][-1]

    def minute_session(self, minute: pd.Timestamp) -> pd.Timestamp:
        return self.session_of(minute)

    def bar(self, sid: int, day: pd.Timestamp, field: str) -> float:
        frame = self.daily.get(sid)
        if frame is None or day not in frame.index:
            return 0.0 if field == "volume" else np.nan
        return float(frame.loc[day, field])

    def mbar(self, sid: int, minute: pd.Timestamp, field: str) -> float:
        frame = self.minute.get(sid)
        if frame is None or minute not in frame.index:
            return 0.0 if field == "volume" else np.nan
        return float(frame.loc[minute, field])

    def alive(self, sid: int, day: pd.Timestamp) -> bool:
        start, end = self.life[sid]
        return bool(start <= day <= end)

    @staticmethod
    def naive_utc(dt: object) -> pd.Timestamp:
        ts = pd.Timestamp(dt)  # type: ignore[arg-type]
        return ts if ts.tzinfo is None else ts.tz_convert("UTC").tz_localize(None)

    def in_data(self, dt: object) -> bool:
        """dt lies between the first session's label and the last session's close."""
        ts = self.naive_utc(dt)
        return bool(self.sessions[0] <= ts <= self.closes[-1])

    def spot_alive(self, sid: int, dt: object) -> bool:
        """zipline's spot lifetime rule: dt >= start_date and session(dt) <= end_date."""
        ts = self.naive_utc(dt)
        if ts > self.closes[-1]:
            return False
        start, end = self.life[sid]
        return bool(start <= ts and self.session_of(ts) <= end)

    def last_traded_day(self, sid: int, upto: pd.Timestamp) -> pd.Timestamp | None:
        frame = self.daily.get(sid)
        if frame is None:
            return None
        traded = frame[(frame.index <= upto) & (frame["volume"] > 0)]
        return None if traded.empty else traded.index[-1]

    def last_traded_minute(self, sid: int, upto: pd.Timestamp) -> pd.Timestamp | None:
        frame = self.minute.get(sid)
        if frame is None:
            return None
        traded = frame[(frame.index <= upto) & (frame["volume"] > 0)]
        return None if traded.empty else traded.index[-1]

    # ------------------------------------------------------------------ history
    def _price_finish(self, sid: int, values: pd.Series, seed_upto: pd.Timestamp | None,
                      end_session: pd.Timestamp, days: list[pd.Timestamp], minute: bool,
                      ) -> pd.Series:
        if np.isnan(values.iloc[0]):
            seed = np.nan
            if minute:
                lt = self.last_traded_minute(sid, values.index[0])
                if lt is not None:
                    seed = self.mbar(sid, lt, "close") * self.ratio(
                        sid, self.minute_session(lt), end_session, False)
            elif seed_upto is not None:
                lt = self.last_traded_day(sid, seed_upto)
                if lt is not None:
                    seed = self.bar(sid, lt, "close") * self.ratio(sid, lt, end_session, False)
            values.iloc[0] = seed
        values = values.ffill()
        end_date = self.life[sid][1]
        for i, day in enumerate(days):
            if day > end_date:
                values.iloc[i] = np.nan
        return values

    def daily_history(self, sid: int, field: str, bar_count: int, end_dt: object) -> pd.Series:
        end = self.end_session_of(end_dt)
        pos = self.sessions.get_loc(end)
        if pos - bar_count + 1 < 0:
            raise BeforeData
        window = self.sessions[pos - bar_count + 1 : pos + 1]
        base = "close" if field == "price" else field
        vals = [self.bar(sid, t, base) * self.ratio(sid, t, end, base == "volume")
                for t in window]
        out = pd.Series(vals, index=window, dtype=float)
        if field == "price":
            out = self._price_finish(sid, out, window[0], end, list(window), False)
        return out

    def minute_history(self, sid: int, field: str, bar_count: int, end_dt: object) -> pd.Series:
        end = self.minute_of(end_dt)
        pos = self.minutes.get_loc(end)
        if pos - bar_count + 1 < 0:
            raise BeforeData
        window = self.minutes[pos - bar_count + 1 : pos + 1]
        end_session = self.minute_session(end)
        base = "close" if field == "price" else field
        days = [self.minute_session(m) for m in window]
        vals = [self.mbar(sid, m, base) * self.ratio(sid, d, end_session, base == "volume")
                for m, d in zip(window, days, strict=True)]
        out = pd.Series(vals, index=window, dtype=float)
        if field == "price":
            out = self._price_finish(sid, out, None, end_session, days, True)
        return out

    def partial_day(self, sid: int, field: str, day: pd.Timestamp, end_dt: object) -> float:
        base = "close" if field == "price" else field
        if not self.alive(sid, day):
            return 0.0 if base == "volume" else np.nan
        ts = pd.Timestamp(end_dt)  # type: ignore[arg-type]
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        mins = [m for m in self.cal.session_minutes(day) if m <= ts]
        frame = self.minute.get(sid)
        rows = [] if frame is None else [frame.loc[m] for m in mins if m in frame.index]
        if base == "volume":
            return float(sum(r["volume"] for r in rows))
        if not rows:
            return np.nan
        values = [float(r[base]) for r in rows]
        return {"open": values[0], "close": values[-1], "high": max(values),
                "low": min(values)}[base]

    def minute_daily_history(self, sid: int, field: str, bar_count: int,
                             end_dt: object) -> pd.Series:
        end = self.end_session_of(end_dt)
        pos = self.sessions.get_loc(end)
        if pos - bar_count + 1 < 0:
            raise BeforeData
        window = self.sessions[pos - bar_count + 1 : pos + 1]
        base = "close" if field == "price" else field
        vals = [self.bar(sid, t, base) * self.ratio(sid, t, end, base == "volume")
                for t in window[:-1]]
        vals.append(self.partial_day(sid, field, end, end_dt))
        out = pd.Series(vals, index=window, dtype=float)
        if field == "price":
            prev = pos - bar_count
            seed_upto = self.sessions[prev] if prev >= 0 else None
            out = self._price_finish(sid, out, seed_upto, end, list(window), False)
        return out

    # ------------------------------------------------------------------ spot
    def daily_spot(self, sid: int, field: str, dt: object) -> object:
        if field == "last_traded":
            if not self.in_data(dt):
                return pd.NaT
            lt = self.last_traded_day(sid, self.session_of(dt))
            return pd.NaT if lt is None else lt
        if not self.spot_alive(sid, dt):
            return 0 if field == "volume" else np.nan
        day = self.session_of(dt)
        if field != "price":
            return self.bar(sid, day, field)
        frame = self.daily.get(sid)
        if frame is None:
            return np.nan
        have = frame[(frame.index <= day) & frame["close"].notna()]
        if have.empty:
            return np.nan
        found = have.index[-1]
        return float(have["close"].iloc[-1]) * self.ratio(sid, found, day, False)

    def minute_spot(self, sid: int, field: str, dt: object) -> object:
        """zipline's minute spot: bars only at trading minutes, 'price' the last trade."""
        ts = self.naive_utc(dt)
        before = self.minutes[self.minutes <= ts.tz_localize("UTC")]
        if field == "last_traded":
            lt = None if before.empty else self.last_traded_minute(sid, before[-1])
            return pd.NaT if lt is None else lt
        if not self.spot_alive(sid, dt) or before.empty:
            return 0 if field == "volume" else np.nan
        minute = before[-1]
        at_bar = minute == ts.tz_localize("UTC")
        if field != "price":
            if not at_bar:
                return 0 if field == "volume" else np.nan
            return self.mbar(sid, minute, field)
        value = self.mbar(sid, minute, "close") if at_bar else np.nan
        if not np.isnan(value):
            return value
        lt = self.last_traded_minute(sid, minute)
        if lt is None:
            return np.nan
        value = self.mbar(sid, lt, "close")
        if lt.date() == ts.date():
            return value
        return value * self.ratio(sid, self.minute_session(lt), ts, False)

    # ------------------------------------------------------------------ SQL views
    def bars(self, adjusted: bool) -> pd.DataFrame:
        """Every daily bar, raw or adjusted as of the last bar's session, by (sid, date)."""
        last = max(f["date"].iloc[-1] for f in self.spec.daily.values())
        frames = []
        for sid, frame in self.spec.daily.items():
            out = frame.copy()
            out.insert(0, "sid", sid)
            if adjusted:
                fac = [self.factors(sid, t, last) for t in out["date"]]
                pf = np.array([f[0] for f in fac])
                vf = np.array([f[1] for f in fac])
                for col in ("open", "high", "low", "close"):
                    out[col] = out[col] * pf
                out["volume"] = out["volume"] / vf
            frames.append(out)
        return pd.concat(frames).sort_values(["sid", "date"]).reset_index(drop=True)

    def rolling_window(self, sid: int, t: pd.Timestamp, n: int, field: str) -> pd.Series:
        """The n-session window from the asset's first bar, as history() shows it at t.

        Halts are NaN (volume 0); values adjusted as seen from t.
        """
        frame = self.daily[sid]
        pos = self.sessions.get_loc(t)
        window = self.sessions[max(0, pos - n + 1) : pos + 1]
        window = window[window >= frame.index[0]]
        values = frame[field].reindex(window).astype(float)
        if field == "volume":
            values = values.fillna(0.0)
        for s in window:
            pf, vf = self.factors(sid, s, t)
            values[s] = values[s] / vf if field == "volume" else values[s] * pf
        return values

    def rolling(self, n: int, field: str) -> pd.DataFrame:
        """One row per (sid, session of its bars' span) with every rolling statistic."""
        rows = []
        for sid, frame in self.spec.daily.items():
            span = self.sessions[
                self.sessions.slice_indexer(frame["date"].iloc[0], frame["date"].iloc[-1])
            ]
            for t in span:
                w = self.rolling_window(sid, t, n, field)
                longer = self.rolling_window(sid, t, n + 1, field)
                first = longer.iloc[0] if len(longer) == n + 1 else np.nan
                rows.append(
                    {
                        "sid": sid,
                        "date": t,
                        "bars": int(frame["date"].isin(w.index).sum()),
                        "rolling_mean": w.mean(),
                        "rolling_std": w.std(),
                        "rolling_min": w.min(),
                        "rolling_max": w.max(),
                        "rolling_sum": w.sum() if w.notna().any() else np.nan,
                        "returns": safe_ratio(w.iloc[-1], first) - 1,
                    }
                )
        return pd.DataFrame(rows)

    def asof(self, sid: int, d: pd.Timestamp, field: str) -> float:
        """Last bar on or before d, adjusted as seen from d (zipline's 'price' rule)."""
        if sid not in self.daily:
            return np.nan
        frame = self.daily[sid]
        before = frame[frame.index <= d]
        if before.empty:
            return np.nan
        s = before.index[-1]
        pf, vf = self.factors(sid, s, d)
        raw = float(before[field].iloc[-1])
        return raw / vf if field == "volume" else raw * pf

    def raw_bar(self, sid: int, day: pd.Timestamp, field: str) -> Any:
        """The ingested value of one daily bar (KeyError when there is none)."""
        return self.daily[sid].loc[pd.Timestamp(day), field]
