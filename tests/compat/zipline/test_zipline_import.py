"""Import of ingested zipline bundles: every bar and adjustment survives, via Python and the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rustybt import load
from rustybt.cli import main
from rustybt.compat.zipline.bundle_import import (
    ZiplineBundleNotFound,
    import_zipline_bundle,
)

FIELDS = ["open", "high", "low", "close", "volume"]
STAMP = "2020-01-01T00;00;00.000000"  # zipline's ingestion directory name format


def _bars(bundle: Any, frequency: str, sid: int, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Plain-pandas oracle: the imported bars on ``index`` (NaN prices, 0 volume if none)."""
    bars = bundle.read_bars(frequency, sid)
    key = "date" if frequency == "daily" else "dt"
    frame = bars.set_index(key).reindex(index)[FIELDS].astype(float)
    frame["volume"] = frame["volume"].fillna(0.0)
    return frame


def assert_same_bars(bundle: Any, daily: Any, minute: Any, sids: list[int]) -> None:
    """Every value zipline's readers return equals the imported bundle's, bit for bit."""
    if daily is not None:
        sessions = pd.DatetimeIndex(daily.sessions)
        arrays = daily.load_raw_arrays(FIELDS, sessions[0], sessions[-1], sids)
        for j, sid in enumerate(sids):
            ours = _bars(bundle, "daily", sid, sessions)
            for field, arr in zip(FIELDS, arrays, strict=True):
                np.testing.assert_array_equal(
                    ours[field].to_numpy(), arr[:, j].astype(np.float64), err_msg=f"{sid} {field}"
                )
    if minute is not None:
        cal = minute.trading_calendar
        first = pd.Timestamp(minute.first_trading_day)
        minutes = pd.DatetimeIndex(
            cal.minutes_in_range(cal.session_first_minute(first), minute.last_available_dt)
        )
        arrays = minute.load_raw_arrays(FIELDS, minutes[0], minutes[-1], sids)
        for j, sid in enumerate(sids):
            ours = _bars(bundle, "minute", sid, minutes)
            for field, arr in zip(FIELDS, arrays, strict=True):
                np.testing.assert_array_equal(ours[field].to_numpy(), arr[:, j].astype(np.float64))


def assert_same_adjustments(bundle: Any, adjustment_reader: Any) -> None:
    tables = adjustment_reader.unpack_db_to_component_dfs(convert_dates=True)

    def norm(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        out = frame[cols].copy()
        for c in cols:
            if "date" in c:
                out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
        return out.sort_values(cols[:2]).reset_index(drop=True)

    ratio = ["sid", "effective_date", "ratio"]
    pd.testing.assert_frame_equal(norm(bundle.read_splits(), ratio), norm(tables["splits"], ratio))
    pd.testing.assert_frame_equal(
        norm(bundle.read_mergers(), ratio), norm(tables["mergers"], ratio)
    )
    dates = ["ex_date", "record_date", "declared_date", "pay_date"]
    div_cols = ["sid", *dates, "amount"]
    pd.testing.assert_frame_equal(
        norm(bundle.read_dividends(), div_cols), norm(tables["dividend_payouts"], div_cols)
    )
    # the dividend ratio rustybt fixes at ingest is zipline's, bit for bit
    ours = bundle.read_dividends().rename(columns={"ex_date": "effective_date"})
    pd.testing.assert_frame_equal(
        norm(ours[ours["ratio"].notna()], ratio), norm(tables["dividends"], ratio)
    )
    sd_cols = ["sid", *dates, "payment_sid", "ratio"]
    pd.testing.assert_frame_equal(
        norm(bundle.read_stock_dividends(), sd_cols),
        norm(tables["stock_dividend_payouts"], sd_cols),
    )


def assert_same_assets(bundle: Any, asset_finder: Any) -> None:
    ours = {a.sid: a for a in bundle.asset_finder.assets}
    theirs = asset_finder.retrieve_all(asset_finder.sids)
    assert sorted(ours) == sorted(int(a.sid) for a in theirs)
    for a in theirs:
        mine = ours[int(a.sid)]
        assert (mine.symbol, mine.asset_name, mine.exchange) == (a.symbol, a.asset_name, a.exchange)
        for attr in ("start_date", "end_date", "first_traded", "auto_close_date"):
            want, got = getattr(a, attr), getattr(mine, attr)
            if pd.isna(want) and attr == "first_traded":
                # rustybt's asset table fills a missing first_traded with start_date
                assert got is None or got == mine.start_date
                continue
            assert (pd.isna(want) and got is None) or pd.Timestamp(want).normalize() == got, attr


def _as_zipline_root(world_dir: Path, root: Path, name: str) -> Path:
    """Place a directory of zipline files as ingestion ``name`` under a zipline root."""
    target = root / "data" / name / STAMP
    shutil.copytree(world_dir, target)
    return root


def test_import_every_bar_and_adjustment(world: Any, tmp_path: Path) -> None:
    """bcolz daily + minute, assets db, splits, mergers, dividends and stock dividends."""
    z = world.zipline
    zroot = _as_zipline_root(z.path, tmp_path / "zipline", "world")
    bundle, summary = import_zipline_bundle("world", zipline_root=zroot, root=tmp_path / "r")
    assert bundle.name == "world"
    assert summary.adjustments == {"splits": 4, "mergers": 1, "dividends": 4, "stock_dividends": 1}
    assert summary.partial_bars == 0 and summary.ratio_only_dividends == 0
    assert bundle.frequencies == ("daily", "minute")
    assert_same_bars(bundle, z.daily_reader, z.minute_reader, [0, 1, 2, 3])
    assert_same_adjustments(bundle, z.adjustment_reader)
    assert_same_assets(bundle, z.asset_finder)
    bundle.verify()


def test_import_zipline_csvdir_ingestion_with_cli(
    csv_world: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bundles ingested by zipline's own csvdir bundle (one per frequency), via the CLI."""
    z = csv_world.zipline
    root = tmp_path / "r"
    code = main(
        ["--root", str(root), "bundles", "import-zipline", "compat-csv-daily",
         "--zipline-root", str(z.path), "--as", "imported-daily"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "imported zipline bundle 'compat-csv-daily' as 'imported-daily'" in out
    daily = load("imported-daily", root=root)
    assert daily.frequencies == ("daily",)
    assert_same_bars(daily, z.daily_reader, None, [0, 1, 2, 3])
    assert_same_adjustments(daily, z.adjustment_reader)
    assert_same_assets(daily, z.asset_finder)

    assert main(["--root", str(root), "bundles", "import-zipline", "compat-csv-minute",
                 "--zipline-root", str(z.path)]) == 0  # fmt: skip
    minute = load("compat-csv-minute", root=root)
    assert minute.frequencies == ("minute",)
    assert_same_bars(minute, None, z.minute_reader, [0, 1, 2, 3])
    assert_same_assets(minute, z.asset_finder)  # csvdir: minute-precise lifetimes → dates


def test_import_hdf5_daily(world: Any, tmp_path: Path) -> None:
    """An ingestion holding an HDF5 daily file (zipline's HDF5DailyBarWriter) instead of bcolz."""
    from zipline.data.hdf5_daily_bars import HDF5DailyBarReader, HDF5DailyBarWriter

    z = world.zipline
    ingestion = tmp_path / "zipline" / "data" / "h5" / STAMP
    shutil.copytree(z.path, ingestion, ignore=shutil.ignore_patterns("*.bcolz"))
    sessions = pd.DatetimeIndex(z.daily_reader.sessions)
    sids = [0, 1, 2, 3]
    arrays = z.daily_reader.load_raw_arrays(FIELDS, sessions[0], sessions[-1], sids)
    frames = {
        f: pd.DataFrame(a, index=sessions, columns=sids)
        for f, a in zip(FIELDS, arrays, strict=True)
    }
    HDF5DailyBarWriter(str(ingestion / "daily.h5"), date_chunk_size=30).write("US", frames)
    bundle, _ = import_zipline_bundle("h5", zipline_root=tmp_path / "zipline", root=tmp_path / "r")
    reader = HDF5DailyBarReader.from_path(str(ingestion / "daily.h5"), "US")
    assert bundle.frequencies == ("daily",)
    assert_same_bars(bundle, reader, None, sids)
    assert_same_adjustments(bundle, z.adjustment_reader)
    # the shim takes the HDF5 reader directly (zipline's own DataPortal cannot: no calendar)
    from rustybt.data import DataPortal

    shim = DataPortal(
        z.asset_finder, z.calendar, z.first_trading_day, equity_daily_reader=reader,
        adjustment_reader=z.adjustment_reader, rustybt_root=tmp_path / "shim",
    )  # fmt: skip
    assets = world.assets
    for end in list(sessions)[20::13]:
        want = z.data_portal.get_history_window(assets, end, 15, "1d", "price", "daily")
        pd.testing.assert_frame_equal(
            shim.get_history_window(assets, end, 15, "1d", "price", "daily"),
            want,
            check_exact=True,
            check_freq=False,  # zipline's session index carries freq="C"; rustybt's has none
        )


def test_missing_bundle_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ZiplineBundleNotFound, match="no zipline bundle 'nope'"):
        import_zipline_bundle("nope", zipline_root=tmp_path, root=tmp_path / "r")
    (tmp_path / "data" / "empty").mkdir(parents=True)
    with pytest.raises(ZiplineBundleNotFound, match="has no ingestion"):
        import_zipline_bundle("empty", zipline_root=tmp_path, root=tmp_path / "r")
    (tmp_path / "data" / "empty" / STAMP).mkdir()
    with pytest.raises(ZiplineBundleNotFound, match="not a zipline ingestion"):
        import_zipline_bundle("empty", zipline_root=tmp_path, root=tmp_path / "r")
    with pytest.raises(ZiplineBundleNotFound, match="has no ingestion other"):
        import_zipline_bundle(
            "empty", zipline_root=tmp_path, root=tmp_path / "r", timestamp="other"
        )
    code = main(["--root", str(tmp_path / "r"), "bundles", "import-zipline", "nope",
                 "--zipline-root", str(tmp_path)])  # fmt: skip
    assert code == 1 and "no zipline bundle 'nope'" in capsys.readouterr().err


def test_default_zipline_root_from_environment(
    world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zroot = _as_zipline_root(world.zipline.path, tmp_path / "zipline", "envroot")
    monkeypatch.setenv("ZIPLINE_ROOT", str(zroot))
    monkeypatch.setenv("RUSTYBT_ROOT", str(tmp_path / "r"))
    bundle, _ = import_zipline_bundle("envroot", as_name="renamed", timestamp=STAMP)
    assert bundle.name == "renamed"
    assert load("renamed").version == bundle.version


def test_dividend_on_a_halt_and_a_ratio_without_payout_are_kept(
    world: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A payout whose ex_date has no bar is kept (with the ratio zipline stored: none here); a
    stored ratio without a payout becomes a payout of amount 0, and the CLI says so."""
    import sqlite3

    zroot = _as_zipline_root(world.zipline.path, tmp_path / "zipline", "halted")
    sessions = pd.DatetimeIndex(world.bundle.sessions)
    traded = set(pd.DatetimeIndex(world.bundle.read_daily(0)["date"]))
    halt = next(s for s in sessions[1:] if s not in traded)
    seconds = int(halt.value // 10**9)
    later = int(sessions[-3].value // 10**9)
    with sqlite3.connect(zroot / "data" / "halted" / STAMP / "adjustments.sqlite") as conn:
        conn.execute(
            "INSERT INTO dividend_payouts (sid, ex_date, declared_date, record_date, pay_date, "
            "amount) VALUES (0, ?, ?, ?, ?, 0.5)",
            (seconds, seconds, seconds, seconds),
        )
        conn.execute(
            "INSERT INTO dividends (sid, effective_date, ratio) VALUES (1, ?, 0.75)", (later,)
        )
    code = main(["--root", str(tmp_path / "r"), "bundles", "import-zipline", "halted",
                 "--zipline-root", str(zroot)])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "1 dividend ratios without a payout were imported as payouts of amount 0" in out
    div = load("halted", root=tmp_path / "r").read_dividends()
    on_halt = div[(div["sid"] == 0) & (div["ex_date"] == halt)]
    assert list(on_halt["amount"]) == [0.5] and on_halt["ratio"].isna().all()
    orphan = div[(div["sid"] == 1) & (div["ex_date"] == sessions[-3])]
    assert list(orphan["amount"]) == [0.0] and list(orphan["ratio"]) == [0.75]


def test_readers_ingest_function(world: Any, tmp_path: Path) -> None:
    from rustybt.compat.zipline.bundle_import import zipline_readers_ingest
    from rustybt.data.bundles import ingest, register, unregister

    z = world.zipline
    register(
        "from-readers",
        zipline_readers_ingest(
            asset_finder=z.asset_finder,
            daily_reader=z.daily_reader,
            adjustment_reader=z.adjustment_reader,
        ),
        start_session=world.bundle.first_session,
        end_session=world.bundle.last_session,
    )
    try:
        bundle = ingest("from-readers", root=tmp_path)
    finally:
        unregister("from-readers")
    assert_same_bars(bundle, z.daily_reader, None, [0, 1, 2, 3])
    assert_same_adjustments(bundle, z.adjustment_reader)


def test_partly_missing_bars_are_kept_and_counted() -> None:
    """A row with any price or a volume is a bar (NaN only where zipline has no price)."""
    from rustybt.compat.zipline._import_readers import split_bars

    times = pd.date_range("2020-01-02", periods=4, freq="D")
    nan = np.nan
    opens = np.array([[1.0], [nan], [nan], [nan]])
    rest = np.array([[1.0], [1.0], [nan], [nan]])
    volume = np.array([[10.0], [5.0], [0.0], [7.0]])
    [(sid, frame, partial)] = list(
        split_bars(times, [opens, rest, rest, rest, volume], [7], "date")
    )
    assert (sid, len(frame), partial) == (7, 3, 2)
    assert frame["date"].tolist() == [times[0], times[1], times[3]]
    assert frame["volume"].tolist() == [10, 5, 7]
    np.testing.assert_array_equal(frame["open"], [1.0, nan, nan])
    np.testing.assert_array_equal(frame["close"], [1.0, 1.0, nan])


def test_import_needs_a_bar_reader() -> None:
    from rustybt.compat.zipline.bundle_import import _reader_span
    from rustybt.errors import IngestError

    with pytest.raises(IngestError, match="needs a daily or a minute bar reader"):
        _reader_span(None, None)
