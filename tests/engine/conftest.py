"""Shared worlds for the engine-vs-zipline proof (tests/engine/test_vs_zipline.py).

A *world* is one rustybt bundle (prices in cents, so zipline's 3-decimal bcolz stores them
exactly) plus zipline-reloaded's own bcolz/SQLite world written from it
(:func:`rustybt.compat.zipline.reference.build_zipline_world`). An algorithm is written once
against an ``api`` module (``rustybt.api`` or ``zipline.api``) and run in both engines;
:func:`run_both` runs each (world, algorithm) pair once per test session and caches the two
perf frames, because zipline's own runs are the slow part.

Worlds are small on purpose (zipline needs ~60 ms a session on the loaded CI machine):
``plain`` 10 assets × 130 sessions, ``events`` 6 assets × 90 sessions with splits, cash
dividends and a delisting, ``minute`` 3 assets × 4 sessions of minute bars.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from engine_event_dates import DELIST_AT, DIV2_AT, DIV_AT, N_EVENTS, SPLIT2_AT, SPLIT_AT

from rustybt import Bundle
from rustybt.calendars import get_calendar
from rustybt.testing import BundleSpec, make_bundle, session_span, walk_ohlcv

#: ``make(api) -> dict of hooks`` (initialize, handle_data, before_trading_start).
AlgoFactory = Callable[[Any], dict[str, Callable[..., Any]]]


@dataclass
class World:
    """A rustybt bundle, zipline's world over the same data, and the simulation range."""

    bundle: Bundle
    zipline: Any
    start: pd.Timestamp
    end: pd.Timestamp
    frequency: str
    benchmark: pd.Series  # daily returns by naive session
    sessions: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    runs: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)


def _cents(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for c in ("open", "high", "low", "close"):
        frame[c] = frame[c].round(2)
    frame["high"] = frame[["open", "high", "low", "close"]].max(axis=1)
    frame["low"] = frame[["open", "high", "low", "close"]].min(axis=1)
    return frame


def _benchmark(sessions: pd.DatetimeIndex, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0004, 0.01, len(sessions)), index=sessions)


def _world(spec: BundleSpec, directory: Path, start: int, end: int | None,
           frequency: str = "daily") -> World:
    from rustybt.compat.zipline.reference import build_zipline_world

    bundle = make_bundle(directory / "rustybt", spec, name="w")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zworld = build_zipline_world(bundle, directory / "zipline")
    sessions = bundle.sessions
    last = sessions[-1] if end is None else sessions[end]
    return World(bundle, zworld, sessions[start], last, frequency,
                 _benchmark(sessions[start:] if end is None else sessions[start:end + 1], 3),
                 pd.DatetimeIndex(sessions))


def plain_spec(n_assets: int = 10, n_sessions: int = 130) -> BundleSpec:
    """``n_assets`` random walks at cent precision, no corporate actions."""
    rng = np.random.default_rng(1)
    sess = session_span(n_sessions, "2018-03-15")
    daily = {}
    for sid in range(n_assets):
        frame = _cents(walk_ohlcv(rng, n_sessions, 50 + 10 * sid))
        frame.insert(0, "date", sess)
        daily[sid] = frame
    return BundleSpec.from_bars(daily, end_date=sess[-1] + np.timedelta64(30, "D"))




def events_spec() -> BundleSpec:
    """6 assets × 90 sessions from 2019-01-02 with a 2:1 split (sid 1), a 1:3 reverse split
    (sid 4), cash dividends (sids 2, 4; paid 5 sessions after the ex-date) and sid 3 delisted
    after session ``DELIST_AT`` (auto_close_date = end_date + 1 day, a calendar day)."""
    rng = np.random.default_rng(5)
    sess = session_span(N_EVENTS, "2019-01-02")
    daily = {}
    for sid in range(6):
        frame = walk_ohlcv(rng, N_EVENTS, 40 + 15 * sid)
        if sid == 1:  # 2:1 split: prices halve, volume doubles from SPLIT_AT on
            frame.loc[SPLIT_AT:, ["open", "high", "low", "close"]] /= 2
            frame.loc[SPLIT_AT:, "volume"] *= 2
        if sid == 4:  # 1:3 reverse split: prices triple
            frame.loc[SPLIT2_AT:, ["open", "high", "low", "close"]] *= 3
            frame.loc[SPLIT2_AT:, "volume"] //= 3
        frame = _cents(frame)
        frame.insert(0, "date", sess)
        if sid == 3:
            frame = frame.iloc[: DELIST_AT + 1]
        daily[sid] = frame
    spec = BundleSpec.from_bars(
        daily,
        splits=pd.DataFrame({"sid": [1, 4], "effective_date": [sess[SPLIT_AT], sess[SPLIT2_AT]],
                             "ratio": [0.5, 3.0]}),
        dividends=pd.DataFrame({
            "sid": [2, 2, 4],
            "ex_date": [sess[DIV_AT], sess[DIV2_AT], sess[DIV_AT + 3]],
            "record_date": [sess[DIV_AT + 1], sess[DIV2_AT + 1], sess[DIV_AT + 4]],
            "declared_date": [sess[DIV_AT - 10], sess[DIV2_AT - 10], sess[DIV_AT - 7]],
            "pay_date": [sess[DIV_AT + 5], sess[DIV2_AT + 5], sess[DIV_AT + 8]],
            "amount": [0.75, 0.5, 1.25],
        }),
    )
    return spec


def minute_spec(n_assets: int = 3, n_sessions: int = 4) -> BundleSpec:
    """Minute bars (a cent-precision walk, every minute traded) and their daily aggregates."""
    rng = np.random.default_rng(11)
    sess = session_span(n_sessions, "2019-03-04")
    cal = get_calendar("XNYS", start="2019-01-01", end="2019-12-31")
    minute, daily = {}, {}
    for sid in range(n_assets):
        frames = []
        level = 30.0 + 20 * sid
        for day in sess:
            mins = cal.session_minutes(day)
            n = len(mins)
            close = np.round(level * np.exp(np.cumsum(rng.normal(0, 0.0015, n))), 2)
            level = float(close[-1])
            open_ = np.round(np.concatenate([[close[0]], close[:-1]]), 2)
            high = np.maximum(open_, close) + 0.01
            low = np.minimum(open_, close) - 0.01
            volume = rng.integers(50, 3_000, n)
            frames.append(pd.DataFrame({"dt": mins, "open": open_, "high": high, "low": low,
                                        "close": close, "volume": volume}))
        m = pd.concat(frames, ignore_index=True)
        minute[sid] = m
        g = m.groupby(pd.DatetimeIndex(cal.minutes_to_sessions(pd.DatetimeIndex(m["dt"])))
                      .tz_localize(None))
        daily[sid] = pd.DataFrame({
            "date": g["open"].first().index, "open": g["open"].first().to_numpy(),
            "high": g["high"].max().to_numpy(), "low": g["low"].min().to_numpy(),
            "close": g["close"].last().to_numpy(), "volume": g["volume"].sum().to_numpy(),
        })
    return BundleSpec.from_bars(daily, minute=minute,
                                end_date=sess[-1] + np.timedelta64(30, "D"))


@pytest.fixture(scope="session")
def both() -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    """:func:`run_both`, for the test modules (conftest is not importable by name)."""
    return run_both


@pytest.fixture(scope="session")
def zipline_dir() -> Any:
    with tempfile.TemporaryDirectory(prefix="rustybt-vs-zipline-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def plain_world(zipline_dir: Path) -> World:
    """10 assets × 130 sessions; the simulation starts at session 50 (history warm-up)."""
    pytest.importorskip("zipline")
    return _world(plain_spec(), zipline_dir / "plain", 50, None)


@pytest.fixture(scope="session")
def events_world(zipline_dir: Path) -> World:
    """The ``events`` world (splits, dividends, a delisting); the simulation starts at 20."""
    pytest.importorskip("zipline")
    return _world(events_spec(), zipline_dir / "events", 20, None)


@pytest.fixture(scope="session")
def minute_world(zipline_dir: Path) -> World:
    """3 assets × 4 sessions of minute bars; the simulation runs sessions 1..3."""
    pytest.importorskip("zipline")
    return _world(minute_spec(), zipline_dir / "minute", 1, None, "minute")


def run_both(world: World, name: str, make: AlgoFactory,
             capital_base: float = 1e6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``make`` in rustybt and in zipline over ``world``; cached by ``name``.

    Returns:
        ``(ours, theirs)``: the two perf frames, both indexed by naive session dates.
    """
    if name in world.runs:
        return world.runs[name]
    import zipline.api as zapi
    from zipline.algorithm import TradingAlgorithm as ZiplineAlgorithm
    from zipline.finance.trading import SimulationParameters

    import rustybt.api as rapi
    from rustybt.engine import run_algorithm

    ours = run_algorithm(world.start, world.end, **make(rapi), capital_base=capital_base,
                         bundle=world.bundle, data_frequency=world.frequency,
                         benchmark_returns=world.benchmark)
    z = world.zipline
    params = SimulationParameters(
        start_session=world.start, end_session=world.end, trading_calendar=z.calendar,
        capital_base=capital_base, data_frequency=world.frequency, emission_rate="daily")
    # zipline 3.2.1 reindexes benchmark_returns on its naive sessions: a UTC index would
    # silently become all zeros (and alpha/beta None)
    bench = world.benchmark
    algo = ZiplineAlgorithm(sim_params=params, data_portal=z.data_portal,
                            trading_calendar=z.calendar, benchmark_returns=bench,
                            **make(zapi))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = algo.run()
    index = pd.DatetimeIndex(theirs.index)
    theirs.index = (index.tz_convert(None) if index.tz is not None else index).normalize()
    world.runs[name] = (ours, theirs)
    return ours, theirs
