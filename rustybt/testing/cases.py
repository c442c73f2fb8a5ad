"""Spec generators: seeded random bundles and the named hard cases, all as :class:`BundleSpec`.

- :func:`random_spec`: random lifetimes (late listings, early delistings), halts, zero-volume
  bars, splits, mergers and cash dividends; daily bars, or minute bars with daily aggregates.
- :func:`zipline_cases_spec`: every case zipline compatibility must get right (a late listing,
  an early delisting, halts, a split and a dividend on every asset, a merger and a stock
  dividend), prices in cents, symbols in sid order; optionally csvdir-compatible.
- :func:`known_values_spec`: a small hand-made bundle whose every value is known, for tests
  that write the expected numbers out (splits and dividends at window edges, halts, a late
  listing, a delisting, a never-traded asset, an early close, a holiday, a symbol change).

Each generator is deterministic: the same arguments give the same frames, hence the same
bundle version. The draw order is part of the contract (tests pin values drawn from seeds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rustybt.calendars import get_calendar
from rustybt.testing.bars import random_ohlcv, walk_ohlcv
from rustybt.testing.spec import BundleSpec, session_span

__all__ = ["FIRST_SESSION", "KNOWN", "known_values_spec", "random_spec", "zipline_cases_spec"]

#: 2024-06-24 onwards covers XNYS's early close on 2024-07-03 and the holiday on 2024-07-04.
FIRST_SESSION = pd.Timestamp("2024-06-24")
_SPLIT_COLS = ["sid", "effective_date", "ratio"]
_DIV_COLS = ["sid", "ex_date", "record_date", "declared_date", "pay_date", "amount"]
_STOCK_DIV_COLS = ["sid", "ex_date", "record_date", "declared_date", "pay_date", "payment_sid",
                   "ratio"]


def random_spec(
    seed: int,
    n_assets: int,
    n_sessions: int,
    minute: bool = False,
    *,
    first_session: pd.Timestamp | str = FIRST_SESSION,
    calendar_name: str = "XNYS",
) -> BundleSpec:
    """A random bundle: late listings, early delistings, halts, splits, mergers, dividends.

    With ``minute`` every asset has minute bars (~90 % of minutes) and daily bars that are
    their aggregates, like a real minute bundle. Symbols are ``A<sid>``.

    Args:
        seed: Seed of ``numpy.random.default_rng``.
        n_assets: Assets (sids ``0 .. n_assets-1``).
        n_sessions: Sessions, from the first session at or after ``first_session``.
        minute: Also write minute bars.
        first_session: Where the sessions start.
        calendar_name: The exchange-calendars name.
    """
    rng = np.random.default_rng(seed)
    sess = session_span(n_sessions, first_session, calendar_name)
    cal = get_calendar(calendar_name, start=sess[0], end=sess[-1])
    rows = []
    spec = BundleSpec(sessions=sess, assets=pd.DataFrame(), calendar_name=calendar_name)
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
                vals = random_ohlcv(rng, int(mk.sum()), float(rng.uniform(5, 200)))
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
            vals = random_ohlcv(rng, len(days), float(rng.uniform(5, 200)))
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
    spec.splits = (pd.DataFrame(split_rows, columns=_SPLIT_COLS)
                   .drop_duplicates(["sid", "effective_date"]))
    spec.mergers = (pd.DataFrame(merger_rows, columns=_SPLIT_COLS)
                    .drop_duplicates(["sid", "effective_date"]))
    spec.dividends = pd.DataFrame(div_rows, columns=_DIV_COLS).drop_duplicates(["sid", "ex_date"])
    return spec


def zipline_cases_spec(
    *,
    start: pd.Timestamp | str = "2020-01-02",
    sessions: int = 60,
    n_assets: int = 3,
    minute: bool = False,
    seed: int = 0,
    calendar_name: str = "XNYS",
    csv_compatible: bool = False,
    halts: bool = True,
) -> BundleSpec:
    """Every case zipline compatibility must get right, seeded; prices carry cents.

    Asset ``sid % 3 == 0`` lives the whole range, ``1`` lists a third in, ``2`` delists two
    thirds in (with at least three assets); every asset has three halts (unless ``halts`` is
    False), a 2:1 split and a cash dividend on sessions it trades; sid 0 also has a merger and
    a stock dividend paid in sid 1. Symbols ``A000, A001, …`` sort in sid order, so zipline's
    csvdir numbering gives the same sids. Minute bars keep ~95 % of each traded session's
    minutes.

    Args:
        start: First session (rolled forward to a session).
        sessions: Number of sessions.
        n_assets: Assets (sids ``0 .. n_assets-1``).
        minute: Also write minute bars.
        seed: Seed of ``numpy.random.default_rng``.
        calendar_name: The exchange-calendars name.
        csv_compatible: Leave out mergers and stock dividends (zipline's csvdir cannot carry
            them), so the bundle round-trips through csvdir.
        halts: Leave three sessions without a bar inside each asset's life.
    """
    cal = get_calendar(calendar_name, start="2000-01-01")
    first = cal.date_to_session(pd.Timestamp(start), direction="next")
    days_all = pd.DatetimeIndex(cal.sessions[cal.sessions.get_loc(first) :][:sessions])
    rng = np.random.default_rng(seed)
    n = len(days_all)
    assets, daily, minute_bars = [], {}, {}
    splits, mergers, dividends, stock_dividends = [], [], [], []
    for sid in range(n_assets):
        lo, hi = 0, n - 1
        if sid % 3 == 1:
            lo = n // 3
        elif sid % 3 == 2 and n_assets > 2:
            hi = (2 * n) // 3
        days = days_all[lo : hi + 1]
        frame = walk_ohlcv(rng, len(days), float(rng.uniform(10, 200)))
        frame.insert(0, "date", days)
        halt_rows = rng.choice(
            np.arange(1, len(days) - 1), size=min(3, max(len(days) - 2, 0)), replace=False
        )
        if halts:
            frame = frame.drop(index=halt_rows).reset_index(drop=True)
        daily[sid] = frame
        assets.append({
            "sid": sid, "symbol": f"A{sid:03d}", "asset_name": f"Asset {sid}",
            "exchange": "NYSE", "start_date": days[0], "end_date": days[-1],
            "first_traded": days[0], "auto_close_date": days[-1] + pd.Timedelta(1, "D"),
        })
        traded = pd.DatetimeIndex(frame["date"])
        pick = traded[rng.choice(np.arange(2, len(traded) - 1), size=4, replace=False)]
        splits.append({"sid": sid, "effective_date": pick[0], "ratio": 0.5})
        dividends.append({
            "sid": sid, "ex_date": pick[1], "record_date": pick[1] + pd.Timedelta(2, "D"),
            "declared_date": pick[1] - pd.Timedelta(10, "D"),
            "pay_date": pick[1] + pd.Timedelta(20, "D"),
            "amount": round(float(rng.uniform(0.1, 1.0)), 2),
        })
        if sid == 0:
            mergers.append({"sid": sid, "effective_date": pick[2], "ratio": 0.9})
            stock_dividends.append({
                "sid": sid, "ex_date": pick[3], "record_date": pick[3],
                "declared_date": pick[3] - pd.Timedelta(5, "D"),
                "pay_date": pick[3] + pd.Timedelta(5, "D"),
                "payment_sid": min(1, n_assets - 1), "ratio": 0.05,
            })
        if minute:
            minute_bars[sid] = _session_minutes(rng, frame, cal)
    return BundleSpec(
        sessions=days_all,
        assets=pd.DataFrame(assets),
        daily=daily,
        minute=minute_bars,
        splits=pd.DataFrame(splits),
        mergers=pd.DataFrame([] if csv_compatible else mergers, columns=_SPLIT_COLS),
        dividends=pd.DataFrame(dividends),
        stock_dividends=pd.DataFrame([] if csv_compatible else stock_dividends,
                                     columns=_STOCK_DIV_COLS),
        calendar_name=calendar_name,
    )


def _session_minutes(
    rng: np.random.Generator, daily: pd.DataFrame, calendar: object
) -> pd.DataFrame:
    """Minute bars for each traded session of ``daily`` (with ~5 % of the minutes missing)."""
    frames = []
    for row in daily.itertuples(index=False):
        minutes = calendar.session_minutes(row.date)  # type: ignore[attr-defined]
        keep = rng.uniform(size=len(minutes)) > 0.05
        minutes = minutes[keep]
        bars = walk_ohlcv(rng, len(minutes), float(row.close))
        bars.insert(0, "dt", minutes)
        frames.append(bars)
    return pd.concat(frames, ignore_index=True)


class KNOWN:
    """Where :func:`known_values_spec` puts its events (session positions)."""

    N = 30
    SPLIT_AT = 10
    DIV_AT = 20
    MERGER_AT = 12
    STOCK_DIV_AT = 15
    HALTS = (5, 6, 15)
    LATE = (8, 25)  # sid 1's first and last session
    RENAME_AT = 10  # sid 2 trades as "PLN" before, "PLAIN" from this session


def known_values_spec() -> BundleSpec:
    """A small hand-made bundle whose every value is known, for named edge-case tests.

    Sessions: 30 XNYS sessions from 2024-06-24 (early close 07-03, holiday 07-04).

    - sid 0 "SPLIT": bars every session except halts at sessions 5, 6 and 15; close = 100 + i;
      a 2:1 split (ratio 0.5) effective at session 10; a 1.00 dividend at session 20.
    - sid 1 "LATE": listed at session 8, delisted after session 25; close = 50 + i; a merger
      (ratio 0.9) at session 12.
    - sid 2 "PLAIN": every session, close = 10 + i; a 10 % stock dividend paid in sid 0
      (ex 15, declared 14, paid 18); traded as "PLN" before session 10 (symbol change).
    - sid 3 "NOBARS": listed, never traded.

    open = close - 0.5, high = close + 1, low = close - 1; volume = 1000 + i.
    """
    k = KNOWN
    sess = session_span(k.N, FIRST_SESSION)

    def bars(idx: list[int], base: float) -> pd.DataFrame:
        i = np.asarray(idx, dtype=float)
        close = base + i
        return pd.DataFrame({
            "date": sess[idx], "open": close - 0.5, "high": close + 1.0, "low": close - 1.0,
            "close": close, "volume": (1000 + i).astype(np.int64),
        })

    rows = []
    for sid, sym, start, end in ((0, "SPLIT", 0, k.N - 1), (1, "LATE", *k.LATE),
                                 (2, "PLAIN", 0, k.N - 1), (3, "NOBARS", 0, k.N - 1)):
        rows.append({"sid": sid, "symbol": sym, "asset_name": sym, "exchange": "TEST",
                     "start_date": sess[start], "end_date": sess[end],
                     "first_traded": sess[start], "auto_close_date": sess[end]})
    assets = pd.DataFrame(rows)
    history = assets[["sid", "symbol", "start_date", "end_date"]].copy()
    rename = pd.DataFrame({"sid": [2], "symbol": ["PLN"], "start_date": [sess[0]],
                           "end_date": [sess[k.RENAME_AT - 1]]})
    history.loc[history["sid"] == 2, "start_date"] = sess[k.RENAME_AT]
    d = sess[k.DIV_AT]
    sd = k.STOCK_DIV_AT
    return BundleSpec(
        sessions=sess,
        assets=assets,
        daily={
            0: bars([i for i in range(k.N) if i not in k.HALTS], 100.0),
            1: bars(list(range(k.LATE[0], k.LATE[1] + 1)), 50.0),
            2: bars(list(range(k.N)), 10.0),
        },
        splits=pd.DataFrame({"sid": [0], "effective_date": [sess[k.SPLIT_AT]], "ratio": [0.5]}),
        mergers=pd.DataFrame({"sid": [1], "effective_date": [sess[k.MERGER_AT]],
                              "ratio": [0.9]}),
        dividends=pd.DataFrame({"sid": [0], "ex_date": [d], "record_date": [d],
                                "declared_date": [d], "pay_date": [d], "amount": [1.0]}),
        stock_dividends=pd.DataFrame({
            "sid": [2], "ex_date": [sess[sd]], "record_date": [sess[sd]],
            "declared_date": [sess[sd - 1]], "pay_date": [sess[sd + 3]], "payment_sid": [0],
            "ratio": [0.1]}),
        symbol_history=pd.concat([history, rename], ignore_index=True)
        .sort_values(["sid", "start_date"]).reset_index(drop=True),
    )
