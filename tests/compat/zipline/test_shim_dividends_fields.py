"""Dividend ratios from zipline's adjustments db, and bars with one price missing.

Both worlds are written with zipline's own writers (bcolz bars, ``AssetDBWriter``,
``SQLiteAdjustmentWriter``); the shim built from those readers, and the bundle rustybt imports
from them, must answer exactly like zipline's ``DataPortal``:

- the dividend ratios are the ones zipline stored: the adjustment writer computed them from a
  ``MockDailyBarReader`` (close 100, as zipline's own history tests do), so recomputing them from
  the bars gives other ratios, one of them ≤ 0; one payout goes ex on a session the asset has no
  bar (a halt); and the minute-only world has dividends too;
- a bar with one price stored as 0 (read back as NaN) is still a trade: its other fields, its
  close as ``price``, its volume, ``last_traded`` and ``can_trade`` come from it. A bar with
  every price 0 but a volume is a trade too (zipline's ``last_traded`` says so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.compat.zipline._calls import HISTORY_FIELDS, SPOT_FIELDS
from tests.compat.zipline._compare import mismatches
from tests.compat.zipline.test_zipline_import import STAMP, assert_same_adjustments

Call = tuple[str, Callable[[Any], Any]]
SESSIONS = ("2015-01-05", "2015-01-20")  # 11 XNYS sessions (2015-01-19 is a holiday)
DIV, PART, ZERO = 1, 2, 3  # sids: dividends + a halt; partial bars; all prices 0 with volume
HALT = 5  # session index of DIV's halt (a dividend goes ex that day)
# (session index, amount): stored ratios 0.98, 0.99, 0.88 (1 - amount / 100); recomputed from
# the bars (close ~10): 0.8, 0.9, < 0
DIVIDENDS = {DIV: [(3, 2.0), (HALT, 1.0), (8, 12.0)], PART: [(7, 0.5)]}
# (session index, fields stored as 0) per sid
PARTIAL = {PART: [(2, ("open",)), (4, ("close",)), (6, ("high", "low"))], ZERO: [(3, ("all",))]}
_PRICES = ("open", "high", "low", "close")


@dataclass
class Side:
    """zipline's portal and the shim over the same zipline files."""

    zipline: Any
    shim: Any
    assets: list[Any]
    sessions: pd.DatetimeIndex
    calendar: Any
    readers: dict[str, Any]
    path: Path


def _bars(sid: int, index: pd.DatetimeIndex, session_of: np.ndarray) -> pd.DataFrame:
    """Prices ~10 (zipline's 3 decimals), with DIV's halt and the partial bars as zeros."""
    k = np.arange(len(index), dtype=np.float64)
    close = np.round(10.0 + sid + 0.01 * (k % 97), 3)
    frame = pd.DataFrame(
        {
            "open": close - 0.05,
            "high": close + 0.1,
            "low": close - 0.1,
            "close": close,
            "volume": (1000 + k).astype(np.int64),
        },
        index=index,
    )
    if sid == DIV:
        frame.loc[session_of == HALT, :] = 0
    for session, fields in PARTIAL.get(sid, []):
        rows = session_of == session
        if len(index) > len(set(session_of)):  # minute bars: three minutes of the session
            rows &= np.cumsum(rows) % 97 == 5
        frame.loc[rows, list(_PRICES) if fields == ("all",) else list(fields)] = 0.0
    return frame


class _Close100:
    """zipline's ``MockDailyBarReader`` (zipline.testing needs testfixtures): every close 100."""

    def __init__(self, sessions: pd.DatetimeIndex) -> None:
        self.sessions = sessions

    def load_raw_arrays(self, columns: list[str], start: Any, end: Any, sids: Any) -> list[Any]:
        n = int(((self.sessions >= start) & (self.sessions <= end)).sum())
        return [np.full((n, len(sids)), 100.0) for _ in columns]


def _write_world(path: Path, minute_only: bool) -> dict[str, Any]:
    """zipline's files for both worlds: daily + minute bars, or minute bars only."""
    from zipline.assets import AssetDBWriter, AssetFinder
    from zipline.assets.asset_db_schema import ASSET_DB_VERSION
    from zipline.data.adjustments import SQLiteAdjustmentReader, SQLiteAdjustmentWriter
    from zipline.data.bcolz_daily_bars import BcolzDailyBarReader, BcolzDailyBarWriter
    from zipline.data.bcolz_minute_bars import BcolzMinuteBarReader, BcolzMinuteBarWriter
    from zipline.utils.calendar_utils import get_calendar

    path.mkdir(parents=True)
    calendar = get_calendar("XNYS")
    sessions = calendar.sessions_in_range(*SESSIONS)
    first, last = sessions[0], sessions[-1]
    sids = [DIV, PART, ZERO]
    equities = pd.DataFrame(
        {
            "symbol": ["DIV", "PART", "ZERO"],
            "start_date": first,
            "end_date": last,
            "exchange": "XNYS",
        },
        index=pd.Index(sids, name="sid"),
    )
    assets_db = str(path / f"assets-{ASSET_DB_VERSION}.sqlite")
    exchanges = pd.DataFrame(
        {"exchange": ["XNYS"], "canonical_name": ["XNYS"], "country_code": ["US"]}
    )
    AssetDBWriter(assets_db).write(equities=equities, exchanges=exchanges)
    readers: dict[str, Any] = {"asset_finder": AssetFinder(assets_db)}
    minutes = calendar.sessions_minutes(first, last)
    session_of = sessions.searchsorted(calendar.minutes_to_sessions(minutes))
    bcolz = path / "minute_equities.bcolz"
    bcolz.mkdir()
    BcolzMinuteBarWriter(str(bcolz), calendar, first, last, minutes_per_day=390).write(
        (sid, _bars(sid, minutes, session_of)) for sid in sids
    )
    readers["minute_reader"] = BcolzMinuteBarReader(str(bcolz))
    if not minute_only:
        bcolz_daily = str(path / "daily_equities.bcolz")
        session_of = np.arange(len(sessions))
        BcolzDailyBarWriter(bcolz_daily, calendar, first, last).write(
            ((sid, _bars(sid, sessions, session_of)) for sid in sids), assets=set(sids)
        )
        readers["daily_reader"] = BcolzDailyBarReader(bcolz_daily)
    dividends = pd.DataFrame(
        [
            {
                "sid": sid,
                "amount": amount,
                **{c: sessions[i] for c in ("ex_date", "record_date", "declared_date", "pay_date")},
            }
            for sid, rows in DIVIDENDS.items()
            for i, amount in rows
        ]
    )
    adj = str(path / "adjustments.sqlite")
    with SQLiteAdjustmentWriter(adj, _Close100(sessions), overwrite=True) as writer:
        writer.write(dividends=dividends)
    readers["adjustment_reader"] = SQLiteAdjustmentReader(adj)
    return readers


def _open_world(path: Path) -> dict[str, Any]:
    """zipline's readers over files :func:`_write_world` wrote."""
    from rustybt.compat.zipline.bundle_import import _open_ingestion

    return _open_ingestion(path)


def _side(path: Path, minute_only: bool, shim_from: str = "readers") -> Side:
    from zipline.data.data_portal import DataPortal as ZiplinePortal
    from zipline.utils.calendar_utils import get_calendar

    from rustybt.compat.zipline import ArrowDailyBarReader, ArrowMinuteBarReader
    from rustybt.compat.zipline.bundle_import import import_zipline_bundle
    from rustybt.data import DataPortal

    zdir = path / "zipline" / "data" / "zdiv" / STAMP
    readers = _open_world(zdir) if zdir.exists() else _write_world(zdir, minute_only)
    calendar = get_calendar("XNYS")
    sessions = calendar.sessions_in_range(*SESSIONS)
    daily, minute_reader = readers.get("daily_reader"), readers.get("minute_reader")
    common = (readers["asset_finder"], calendar, sessions[0])
    zipline = ZiplinePortal(
        *common,
        equity_daily_reader=daily,
        equity_minute_reader=minute_reader,
        adjustment_reader=readers["adjustment_reader"],
    )
    if shim_from == "readers":
        shim = DataPortal(
            *common,
            equity_daily_reader=daily,
            equity_minute_reader=minute_reader,
            adjustment_reader=readers["adjustment_reader"],
            rustybt_root=path / "rustybt-shim",
        )
    else:  # rustybt's import of the zipline bundle, read through rustybt's readers
        bundle, _ = import_zipline_bundle(
            "zdiv", zipline_root=path / "zipline", root=path / "rustybt"
        )
        assert_same_adjustments(bundle, readers["adjustment_reader"])
        shim = DataPortal(
            *common,
            equity_daily_reader=None if minute_only else ArrowDailyBarReader(bundle),
            equity_minute_reader=ArrowMinuteBarReader(bundle),
        )
    assets = list(readers["asset_finder"].retrieve_all([DIV, PART, ZERO]))
    return Side(zipline, shim, assets, sessions, calendar, readers, path)


_worlds: dict[tuple[bool, str], Side] = {}


def _world(factory: pytest.TempPathFactory, minute_only: bool, shim_from: str) -> Side:
    """One world's zipline files per process; the shim from its readers or from its import."""
    key = (minute_only, shim_from)
    if key not in _worlds:
        first = next((s for k, s in _worlds.items() if k[0] == minute_only), None)
        path = factory.mktemp("zdiv") if first is None else first.path
        _worlds[key] = _side(path, minute_only, shim_from)
    return _worlds[key]


@pytest.fixture
def daily(tmp_path_factory: pytest.TempPathFactory) -> Side:
    return _world(tmp_path_factory, minute_only=False, shim_from="readers")


@pytest.fixture
def minute(tmp_path_factory: pytest.TempPathFactory) -> Side:
    return _world(tmp_path_factory, minute_only=True, shim_from="readers")


# ---------------------------------------------------------------------------- calls
def _history(
    ends: list[Any], counts: Callable[[int], list[int]], freq: str, dfreq: str, assets: list[Any]
) -> list[Call]:
    out: list[Call] = []
    for i, end in enumerate(ends):  # in time order (zipline's minute '1d' aggregator)
        for field in HISTORY_FIELDS:
            for count in counts(i):
                for ffill in (True, False) if field == "price" else (True,):
                    out.append(
                        (
                            f"get_history_window({end}, {count}, {freq!r}, {field!r}, {dfreq!r}, "
                            f"ffill={ffill})",
                            lambda p, e=end, c=count, f=field, ff=ffill: p.get_history_window(
                                assets, e, c, freq, f, dfreq, ffill=ff
                            ),
                        )
                    )
    return out


def _spots(dts: list[Any], dfreq: str, assets: list[Any]) -> list[Call]:
    out: list[Call] = []
    for dt in dts:
        for asset in assets:
            for field in SPOT_FIELDS:
                out.append(
                    (
                        f"get_spot_value({asset}, {field!r}, {dt}, {dfreq!r})",
                        lambda p, a=asset, f=field, t=dt: p.get_spot_value(a, f, t, dfreq),
                    )
                )
            out.append(
                (
                    f"get_last_traded_dt({asset}, {dt}, {dfreq!r})",
                    lambda p, a=asset, t=dt: p.get_last_traded_dt(a, t, dfreq),
                )
            )
    return out


def _can_trade(portal: Any, side: Side, dts: list[Any], dfreq: str) -> list[list[bool]]:
    """``BarData.can_trade`` of every asset at each dt, through zipline's own BarData."""
    from zipline._protocol import BarData
    from zipline.finance.asset_restrictions import NoRestrictions

    now: list[Any] = [None]
    data = BarData(portal, lambda: now[0], dfreq, side.calendar, NoRestrictions())
    out = []
    for dt in dts:
        now[0] = dt
        out.append([bool(data.can_trade(a)) for a in side.assets])
    return out


def _minute_dts(side: Side) -> list[Any]:
    """Minutes around every partial bar and dividend, and each session's first and last."""
    out = []
    for s in side.sessions:
        minutes = side.calendar.session_minutes(s)
        out += [minutes[0], minutes[5], minutes[6], minutes[102], minutes[200], minutes[-1]]
    return out


# ---------------------------------------------------------------------------- tests
def _assert_daily_agrees(side: Side) -> None:
    ends = list(side.sessions)
    calls = _history(ends, lambda i: sorted({1, 3, i + 1}), "1d", "daily", side.assets)
    calls += _spots(ends, "daily", side.assets)
    calls += [
        (
            f"get_adjustments({a}, {s})",
            lambda p, a=a, s=s: p.get_adjustments(side.assets, "close", a, s),
        )
        for a in ends[:3]
        for s in ends[3:]
    ]
    # '1d' windows over minute data (today's partial bar from the minutes), in time order
    calls += _history(_minute_dts(side)[::4], lambda i: [1, 4], "1d", "minute", side.assets)
    bad = mismatches(side.zipline, side.shim, calls)
    assert not bad, f"{len(bad)} of {len(calls)} calls differ:\n" + "\n".join(bad[:15])
    closes = [side.calendar.session_close(s) for s in ends]
    assert _can_trade(side.shim, side, closes, "daily") == _can_trade(
        side.zipline, side, closes, "daily"
    )


def _assert_minute_agrees(side: Side) -> None:
    dts = _minute_dts(side)
    # ('1d' windows: zipline's minute-only DataPortal raises ValueError, its history loader
    # has no daily reader; the daily world compares them)
    calls = _history(dts[::3], lambda i: [7, 400], "1m", "minute", side.assets)
    calls += _spots(dts, "minute", side.assets)
    bad = mismatches(side.zipline, side.shim, calls)
    assert not bad, f"{len(bad)} of {len(calls)} calls differ:\n" + "\n".join(bad[:15])
    assert _can_trade(side.shim, side, dts, "minute") == _can_trade(
        side.zipline, side, dts, "minute"
    )


def test_shim_uses_stored_ratios_and_keeps_partial_bars(daily: Side) -> None:
    """Daily and minute readers (as zipline's run_algorithm has): daily calls and '1d' windows
    over minute data."""
    _assert_daily_agrees(daily)


def test_minute_only_shim_applies_dividends_and_keeps_partial_bars(minute: Side) -> None:
    _assert_minute_agrees(minute)


@pytest.mark.parametrize("minute_only", [False, True], ids=["daily", "minute"])
def test_imported_bundle_carries_stored_ratios_and_partial_bars(
    tmp_path_factory: pytest.TempPathFactory, minute_only: bool
) -> None:
    """rustybt's import of the same zipline files, read through rustybt's own readers."""
    side = _world(tmp_path_factory, minute_only, shim_from="import")
    if minute_only:
        _assert_minute_agrees(side)
    else:
        _assert_daily_agrees(side)


def test_the_worlds_hold_the_hard_cases(daily: Side) -> None:
    """Guards the fixture: recomputed ratios differ, and the partial bars read back NaN."""
    reader = daily.readers["daily_reader"]
    (close,) = reader.load_raw_arrays(["close"], *daily.sessions[[0, -1]], [DIV])
    stored = daily.readers["adjustment_reader"].unpack_db_to_component_dfs()["dividends"]
    assert sorted(stored["ratio"].round(6)) == [0.88, 0.98, 0.99, 0.995]
    assert 1 - 12.0 / close[7, 0] < 0 and np.isnan(close[HALT, 0])
    opens = reader.load_raw_arrays(["open", "close", "volume"], *daily.sessions[[0, -1]], [PART])
    assert np.isnan(opens[0][2, 0]) and not np.isnan(opens[1][2, 0]) and opens[2][2, 0] > 0
