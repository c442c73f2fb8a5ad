"""BundleSpec: everything a test bundle holds, as plain pandas, and the one way to write it.

A spec is the truth a test compares against; :meth:`BundleSpec.write` hands it to
:class:`~rustybt.data.bundles.BundleWriter` unchanged, so the bundle on disk went through the
same validation, adjustment-ratio and publishing code as any ingest. Writing is deterministic:
the same spec gives the same bundle version (content hash).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rustybt.calendars import get_calendar
from rustybt.data.bundles import Bundle, BundleWriter
from rustybt.errors import IngestWarning

__all__ = ["BundleSpec", "session_span"]

_ASSET_COLUMNS = ["sid", "symbol", "asset_name", "exchange", "start_date", "end_date"]


def session_span(
    n: int, first: pd.Timestamp | str, calendar_name: str = "XNYS"
) -> pd.DatetimeIndex:
    """``n`` consecutive sessions of ``calendar_name`` from the first one at or after ``first``."""
    first = pd.Timestamp(first)
    cal = get_calendar(calendar_name, start=first - pd.Timedelta(7, "D"))
    all_s = cal.sessions
    i = int(all_s.searchsorted(first))
    days = pd.DatetimeIndex(all_s[i : i + n])
    if len(days) < n:  # the calendar's default end is too near: widen it
        end = first + pd.Timedelta(2 * n + 14, "D")
        all_s = get_calendar(calendar_name, start=first - pd.Timedelta(7, "D"), end=end).sessions
        i = int(all_s.searchsorted(first))
        days = pd.DatetimeIndex(all_s[i : i + n])
    return days


@dataclass
class BundleSpec:
    """Everything a test bundle holds, as plain pandas (the input of :class:`BundleWriter`).

    Attributes:
        sessions: The sessions the bundle covers (first to last).
        assets: The asset table (sid, symbol, asset_name, exchange, start_date, end_date, ...).
        daily: sid → daily bars (date, open, high, low, close, volume).
        minute: sid → minute bars (dt in UTC, right-labelled, and the OHLCV columns).
        splits: sid, effective_date, ratio.
        mergers: sid, effective_date, ratio.
        dividends: sid, ex_date, amount (and optional record/declared/pay dates).
        stock_dividends: sid, ex_date, payment_sid, ratio (and optional dates).
        symbol_history: sid, symbol, start_date, end_date: symbol changes and reuses.
        calendar_name: The exchange-calendars name of the bars.
        pin_sessions: Give the writer ``sessions[0]``/``sessions[-1]`` as the bundle's range;
            when False the writer takes the range from the bars.
    """

    sessions: pd.DatetimeIndex
    assets: pd.DataFrame
    daily: dict[int, pd.DataFrame] = field(default_factory=dict)
    minute: dict[int, pd.DataFrame] = field(default_factory=dict)
    splits: pd.DataFrame | None = None
    mergers: pd.DataFrame | None = None
    dividends: pd.DataFrame | None = None
    stock_dividends: pd.DataFrame | None = None
    symbol_history: pd.DataFrame | None = None
    calendar_name: str = "XNYS"
    pin_sessions: bool = True

    @classmethod
    def from_bars(
        cls,
        daily: dict[int, pd.DataFrame],
        *,
        minute: dict[int, pd.DataFrame] | None = None,
        end_date: pd.Timestamp | str | None = None,
        calendar_name: str = "XNYS",
        **adjustments: pd.DataFrame | None,
    ) -> BundleSpec:
        """A spec around hand-written bars: assets ``S<sid>`` listed from their first bar.

        The bundle's range is taken from the bars (``pin_sessions=False``).

        Args:
            daily: sid → daily bars.
            minute: sid → minute bars.
            end_date: Every asset's end_date (default: its last bar's session).
            calendar_name: The bars' calendar.
            **adjustments: ``splits``, ``mergers``, ``dividends``, ``stock_dividends``.
        """
        minute = dict(minute or {})
        unknown = set(adjustments) - {"splits", "mergers", "dividends", "stock_dividends"}
        if unknown:
            raise TypeError(f"unknown adjustment table(s): {sorted(unknown)}")
        sids = sorted(set(daily) | set(minute))
        dates = [pd.Timestamp(f["date"].min()) for f in daily.values() if not f.empty]
        dates += [pd.Timestamp(f["dt"].min()).tz_localize(None) for f in minute.values()]
        dates += [pd.Timestamp(f["dt"].max()).tz_localize(None) for f in minute.values()]
        dates += [pd.Timestamp(f["date"].max()) for f in daily.values() if not f.empty]
        if not dates:
            raise ValueError("from_bars needs at least one bar")
        # whole years: the calendar is built once per span (get_calendar caches it)
        cal = get_calendar(calendar_name, start=f"{min(dates).year - 1}-01-01",
                           end=f"{max(dates).year + 1}-12-31")
        firsts, lasts = [], []
        for sid in sids:
            frame = daily.get(sid)
            if frame is not None and not frame.empty:
                dates = pd.DatetimeIndex(frame["date"])
            else:
                dts = pd.DatetimeIndex(minute[sid]["dt"])
                dates = pd.DatetimeIndex(cal.minutes_to_sessions(dts)).tz_localize(None)
            firsts.append(dates[0])
            lasts.append(dates[-1])
        span = cal.sessions_in_range(min(firsts), max(lasts))
        assets = pd.DataFrame(
            {
                "sid": sids,
                "symbol": [f"S{s}" for s in sids],
                "asset_name": [f"Asset {s}" for s in sids],
                "exchange": calendar_name,
                "start_date": firsts,
                "end_date": lasts if end_date is None else pd.Timestamp(end_date),
            },
            columns=_ASSET_COLUMNS,
        )
        return cls(
            sessions=pd.DatetimeIndex(span),
            assets=assets,
            daily=dict(daily),
            minute=minute,
            calendar_name=calendar_name,
            pin_sessions=False,
            **adjustments,
        )

    def write_into(self, writer: Any) -> None:
        """Write the spec through an open ``BundleWriter`` (usable as a registered ingest)."""
        writer.write_assets(self.assets, self.symbol_history)
        for sid, frame in self.daily.items():
            writer.write_daily_bars(sid, frame)
        for sid, frame in self.minute.items():
            writer.write_minute_bars(sid, frame)
        writer.write_adjustments(
            splits=self.splits,
            mergers=self.mergers,
            dividends=self.dividends,
            stock_dividends=self.stock_dividends,
        )

    def write(self, root: Path | str, name: str = "test", *, warn: bool = False) -> Bundle:
        """Write the spec as a new version of ``<root>/bundles/<name>`` and return it.

        Args:
            root: A rustybt root directory (created if missing).
            name: The bundle name.
            warn: Let the writer's ``IngestWarning``s through. Test specs have halts and
                unusable dividends by design, so by default they are silenced (the manifest
                still records them).
        """
        bounds: dict[str, Any] = {}
        if self.pin_sessions:
            bounds = {"start_session": self.sessions[0], "end_session": self.sessions[-1]}
        with warnings.catch_warnings():
            if not warn:
                warnings.simplefilter("ignore", IngestWarning)
            with BundleWriter(
                Path(root) / "bundles" / name, name=name, calendar_name=self.calendar_name,
                **bounds,
            ) as writer:
                self.write_into(writer)
        return Bundle(writer.version_dir, name=name)
