"""An independent, deliberately plain pandas oracle of zipline's history and spot semantics.

Written for clarity, not speed: it loops over rows and multiplies ratios one by one. It reads
the test's spec (the truth that was ingested) plus the dividend ratios fixed at ingest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from portal_data import Spec


class BeforeData(Exception):
    """The window starts before the first session (the portal raises its own error)."""


class Oracle:
    def __init__(self, spec: Spec, bundle: object) -> None:
        self.spec = spec
        self.sessions = spec.sessions
        self.cal = bundle.calendar  # type: ignore[attr-defined]
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
        events = []
        for kind, frame, col in (
            ("split", bundle.read_splits(), "effective_date"),  # type: ignore[attr-defined]
            ("merger", bundle.read_mergers(), "effective_date"),  # type: ignore[attr-defined]
            ("dividend", bundle.read_dividends(), "ex_date"),  # type: ignore[attr-defined]
        ):
            for r in frame.itertuples():
                if np.isfinite(r.ratio):
                    events.append((int(r.sid), pd.Timestamp(getattr(r, col)), float(r.ratio),
                                   kind))
        self.events = events

    # ------------------------------------------------------------------ basics
    def ratio(self, sid: int, after: pd.Timestamp, upto: pd.Timestamp, volume: bool) -> float:
        """Product of the ratios effective in (after, upto] (sessions)."""
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

    def session_of(self, dt: object) -> pd.Timestamp:
        """zipline's minute_to_session: the first session whose close is at or after dt."""
        ts = pd.Timestamp(dt)  # type: ignore[arg-type]
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        later = [s for s, c in zip(self.sessions, self.closes, strict=True) if c >= ts]
        return later[0]

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
        end = self.session_of(end_dt)
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
        end = self.session_of(end_dt)
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
