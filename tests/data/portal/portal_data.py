"""Small random bundles for portal tests: a spec (plain frames) and a writer for it.

The spec is the truth the oracle reads; the bundle on disk is what the portal reads.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rustybt import Bundle, BundleWriter, IngestWarning
from rustybt.calendars import get_calendar

CALENDAR = "XNYS"
# 2024-06-24 .. : covers the early close on 2024-07-03 and the holiday on 2024-07-04
FIRST_SESSION = pd.Timestamp("2024-06-24")


@dataclass
class Spec:
    """Everything a test bundle holds, as plain pandas."""

    sessions: pd.DatetimeIndex
    assets: pd.DataFrame
    daily: dict[int, pd.DataFrame] = field(default_factory=dict)
    minute: dict[int, pd.DataFrame] = field(default_factory=dict)
    splits: pd.DataFrame | None = None
    mergers: pd.DataFrame | None = None
    dividends: pd.DataFrame | None = None
    stock_dividends: pd.DataFrame | None = None


def sessions(n: int, first: pd.Timestamp = FIRST_SESSION) -> pd.DatetimeIndex:
    cal = get_calendar(CALENDAR, start="2024-01-02", end="2026-12-31")
    all_s = cal.sessions
    i = int(all_s.searchsorted(first))
    return pd.DatetimeIndex(all_s[i : i + n])


def _ohlc(rng: np.random.Generator, n: int, level: float) -> dict[str, np.ndarray]:
    close = np.round(level * np.exp(np.cumsum(rng.normal(0, 0.02, n))), 2)
    open_ = np.round(close * (1 + rng.normal(0, 0.005, n)), 2)
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n)), 2)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n)), 2)
    vol = rng.integers(1, 1_000_000, n).astype(np.int64)
    vol[rng.random(n) < 0.05] = 0  # bars that exist but did not trade
    return {"open": open_, "high": high, "low": low, "close": close, "volume": vol}


def random_spec(seed: int, n_assets: int, n_sessions: int, minute: bool = False) -> Spec:
    """A random bundle: late listings, early delistings, halts, splits, mergers, dividends.

    With ``minute`` every asset has minute bars (~90 % of minutes) and daily bars that are
    their aggregates, like a real minute bundle.
    """
    rng = np.random.default_rng(seed)
    sess = sessions(n_sessions)
    cal = get_calendar(CALENDAR, start=sess[0], end=sess[-1])
    rows = []
    spec = Spec(sessions=sess, assets=pd.DataFrame())
    split_rows, merger_rows, div_rows = [], [], []
    for sid in range(n_assets):
        start = 0 if rng.random() < 0.5 else int(rng.integers(0, n_sessions))
        end = n_sessions - 1 if rng.random() < 0.6 else int(rng.integers(start, n_sessions))
        live = sess[start : end + 1]
        keep = rng.random(len(live)) > 0.12  # halts
        keep[0] = True
        days = live[keep]
        if minute:
            frames = []
            for day in days:
                mins = cal.session_minutes(day)
                mk = rng.random(len(mins)) > 0.1
                mk[0] = True
                vals = _ohlc(rng, int(mk.sum()), float(rng.uniform(5, 200)))
                frames.append(pd.DataFrame({"dt": mins[mk], **vals}))
            mframe = pd.concat(frames, ignore_index=True)
            spec.minute[sid] = mframe
            g = mframe.groupby(cal.minutes_to_sessions(pd.DatetimeIndex(mframe["dt"])))
            daily = pd.DataFrame({
                "open": g["open"].first(), "high": g["high"].max(), "low": g["low"].min(),
                "close": g["close"].last(), "volume": g["volume"].sum(),
            })
            daily.index = pd.DatetimeIndex(daily.index).tz_localize(None)
            daily.index.name = "date"
            spec.daily[sid] = daily.reset_index()
        else:
            vals = _ohlc(rng, len(days), float(rng.uniform(5, 200)))
            spec.daily[sid] = pd.DataFrame({"date": days, **vals})
        rows.append({
            "sid": sid, "symbol": f"A{sid}", "asset_name": f"Asset {sid}", "exchange": "TEST",
            "start_date": sess[start], "end_date": sess[end],
            "first_traded": sess[start], "auto_close_date": sess[end] + pd.Timedelta(1, "D"),
        })
        for _ in range(int(rng.integers(0, 4))):
            e = sess[int(rng.integers(1, n_sessions))]
            kind = rng.integers(0, 3)
            if kind == 0:
                split_rows.append({"sid": sid, "effective_date": e,
                                   "ratio": float(rng.choice([0.5, 2.0, 1 / 3, 0.25]))})
            elif kind == 1:
                merger_rows.append({"sid": sid, "effective_date": e,
                                    "ratio": float(rng.choice([0.9, 0.75]))})
            elif start < sess.get_loc(e) <= end and e in set(days):
                div_rows.append({"sid": sid, "ex_date": e, "record_date": e,
                                 "declared_date": e, "pay_date": e,
                                 "amount": float(np.round(rng.uniform(0.01, 1.0), 2))})
    spec.assets = pd.DataFrame(rows)
    split_cols = ["sid", "effective_date", "ratio"]
    spec.splits = (pd.DataFrame(split_rows, columns=split_cols)
                   .drop_duplicates(["sid", "effective_date"]))
    spec.mergers = (pd.DataFrame(merger_rows, columns=split_cols)
                    .drop_duplicates(["sid", "effective_date"]))
    spec.dividends = pd.DataFrame(
        div_rows,
        columns=["sid", "ex_date", "record_date", "declared_date", "pay_date", "amount"],
    ).drop_duplicates(["sid", "ex_date"])
    return spec


def write_bundle(spec: Spec, root: Path, name: str = "t") -> Bundle:
    """Write ``spec`` as a bundle version under ``root`` and return it.

    Random specs have halts and unusable dividends by design: their ``IngestWarning``s are
    silenced here.
    """
    with warnings.catch_warnings(), BundleWriter(
        root / "bundles" / name, name=name, calendar_name=CALENDAR,
        start_session=spec.sessions[0], end_session=spec.sessions[-1],
    ) as w:  # fmt: skip
        warnings.simplefilter("ignore", IngestWarning)
        w.write_assets(spec.assets)
        for sid, frame in spec.daily.items():
            w.write_daily_bars(sid, frame)
        for sid, frame in spec.minute.items():
            w.write_minute_bars(sid, frame)
        w.write_adjustments(splits=spec.splits, mergers=spec.mergers, dividends=spec.dividends,
                            stock_dividends=spec.stock_dividends)
    return Bundle(w.version_dir, name=name)
