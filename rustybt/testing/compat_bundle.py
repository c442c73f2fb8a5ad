"""A small deterministic bundle with every case zipline compatibility has to get right.

Prices carry cents (zipline stores ``uint32(price × 1000)``); the bundle holds splits, mergers,
cash and stock dividends, halts (sessions without a bar inside an asset's life), a late listing
and an early delisting. Symbols sort in sid order (``A000``, ``A001``, ...) so that zipline's
csvdir numbering (by sorted symbol) gives the same sids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rustybt.calendars import get_calendar
from rustybt.data.bundles import Bundle, BundleWriter

__all__ = ["compat_bundle_frames", "write_compat_bundle"]


def _bars(rng: np.random.Generator, n: int, start_price: float) -> pd.DataFrame:
    close = np.round(start_price * np.exp(np.cumsum(rng.normal(0, 0.015, n))), 2)
    open_ = np.round(close * (1 + rng.normal(0, 0.004, n)), 2)
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n)), 2)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n)), 2)
    volume = rng.integers(1_000, 500_000, n)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume})


def compat_bundle_frames(
    sessions: pd.DatetimeIndex,
    n_assets: int,
    *,
    seed: int = 0,
    minute_calendar: Any = None,
    halts: bool = True,
) -> dict[str, Any]:
    """Assets, daily (and optionally minute) bars and adjustments for ``write_compat_bundle``.

    Asset 0 lives the whole range; asset 1 lists late (a third in); asset 2 delists early (two
    thirds in); every asset has a few halts. Splits and dividends fall on sessions where the
    asset trades.
    """
    rng = np.random.default_rng(seed)
    n = len(sessions)
    assets, daily, minute = [], {}, {}
    splits, mergers, dividends, stock_dividends = [], [], [], []
    for sid in range(n_assets):
        lo, hi = 0, n - 1
        if sid % 3 == 1:
            lo = n // 3
        elif sid % 3 == 2 and n_assets > 2:
            hi = (2 * n) // 3
        days = sessions[lo : hi + 1]
        frame = _bars(rng, len(days), float(rng.uniform(10, 200)))
        frame.insert(0, "date", days)
        halt_rows = rng.choice(
            np.arange(1, len(days) - 1), size=min(3, max(len(days) - 2, 0)), replace=False
        )
        if halts:
            frame = frame.drop(index=halt_rows).reset_index(drop=True)
        daily[sid] = frame
        assets.append(
            {
                "sid": sid,
                "symbol": f"A{sid:03d}",
                "asset_name": f"Asset {sid}",
                "exchange": "NYSE",
                "start_date": days[0],
                "end_date": days[-1],
                "first_traded": days[0],
                "auto_close_date": days[-1] + pd.Timedelta(1, "D"),
            }
        )
        traded = pd.DatetimeIndex(frame["date"])
        pick = traded[rng.choice(np.arange(2, len(traded) - 1), size=4, replace=False)]
        splits.append({"sid": sid, "effective_date": pick[0], "ratio": 0.5})
        dividends.append(
            {
                "sid": sid,
                "ex_date": pick[1],
                "record_date": pick[1] + pd.Timedelta(2, "D"),
                "declared_date": pick[1] - pd.Timedelta(10, "D"),
                "pay_date": pick[1] + pd.Timedelta(20, "D"),
                "amount": round(float(rng.uniform(0.1, 1.0)), 2),
            }
        )
        if sid == 0:
            mergers.append({"sid": sid, "effective_date": pick[2], "ratio": 0.9})
            stock_dividends.append(
                {
                    "sid": sid,
                    "ex_date": pick[3],
                    "record_date": pick[3],
                    "declared_date": pick[3] - pd.Timedelta(5, "D"),
                    "pay_date": pick[3] + pd.Timedelta(5, "D"),
                    "payment_sid": min(1, n_assets - 1),
                    "ratio": 0.05,
                }
            )
        if minute_calendar is not None:
            minute[sid] = _minute_bars(rng, frame, minute_calendar)
    return {
        "assets": pd.DataFrame(assets),
        "daily": daily,
        "minute": minute,
        "splits": pd.DataFrame(splits),
        "mergers": pd.DataFrame(mergers, columns=["sid", "effective_date", "ratio"]),
        "dividends": pd.DataFrame(dividends),
        "stock_dividends": pd.DataFrame(
            stock_dividends,
            columns=[
                "sid",
                "ex_date",
                "record_date",
                "declared_date",
                "pay_date",
                "payment_sid",
                "ratio",
            ],
        ),
    }


def _minute_bars(rng: np.random.Generator, daily: pd.DataFrame, calendar: Any) -> pd.DataFrame:
    """Minute bars for each traded session of ``daily`` (with a few missing minutes)."""
    frames = []
    for row in daily.itertuples(index=False):
        minutes = calendar.session_minutes(row.date)
        keep = rng.uniform(size=len(minutes)) > 0.05
        minutes = minutes[keep]
        bars = _bars(rng, len(minutes), float(row.close))
        bars.insert(0, "dt", minutes)
        frames.append(bars)
    return pd.concat(frames, ignore_index=True)


def write_compat_bundle(
    root: Path | str,
    name: str = "compat",
    *,
    start: str = "2020-01-02",
    sessions: int = 60,
    n_assets: int = 3,
    minute: bool = False,
    seed: int = 0,
    calendar_name: str = "XNYS",
    csv_compatible: bool = False,
    halts: bool = True,
) -> Bundle:
    """Write the compatibility bundle under ``<root>/bundles/<name>`` and return it.

    Args:
        root: rustybt root directory.
        name: Bundle name.
        start: First session (rolled forward to a session).
        sessions: Number of sessions.
        n_assets: Number of assets (sids 0..n-1).
        minute: Also write minute bars.
        seed: Random seed.
        calendar_name: exchange-calendars name.
        csv_compatible: Leave out mergers and stock dividends (zipline's csvdir cannot carry
            them), so the bundle round-trips through :func:`write_csvdir`.
        halts: Leave a few sessions without a bar inside each asset's life.
    """
    cal = get_calendar(calendar_name, start="2000-01-01")
    first = cal.date_to_session(pd.Timestamp(start), direction="next")
    days = cal.sessions[cal.sessions.get_loc(first) :][:sessions]
    frames = compat_bundle_frames(
        pd.DatetimeIndex(days),
        n_assets,
        seed=seed,
        minute_calendar=cal if minute else None,
        halts=halts,
    )
    bundle_dir = Path(root) / "bundles" / name
    with BundleWriter(
        bundle_dir,
        name=name,
        calendar_name=calendar_name,
        start_session=days[0],
        end_session=days[-1],
    ) as writer:
        writer.write_assets(frames["assets"])
        for sid, bars in frames["daily"].items():
            writer.write_daily_bars(sid, bars)
        for sid, bars in frames["minute"].items():
            writer.write_minute_bars(sid, bars)
        mergers: pd.DataFrame = frames["mergers"]
        stock_dividends: pd.DataFrame = frames["stock_dividends"]
        if csv_compatible:
            mergers, stock_dividends = mergers.iloc[:0], stock_dividends.iloc[:0]
        writer.write_adjustments(
            splits=frames["splits"],
            mergers=mergers,
            dividends=frames["dividends"],
            stock_dividends=stock_dividends,
        )
    return Bundle(writer.version_dir, name=name)
