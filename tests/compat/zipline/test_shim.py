"""The DataPortal shim itself: construction, caching of converted readers, errors, extras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import rustybt.data
from rustybt import ArrowDataPortal
from rustybt.compat.zipline import ArrowDailyBarReader
from rustybt.compat.zipline.adjustment_reader import BundleAdjustmentReader
from rustybt.compat.zipline.conversion import SHIM_DIR, content_key
from rustybt.compat.zipline.data_portal import BASE_FIELDS
from rustybt.data import DataPortal
from tests.compat.zipline._compare import call, same

FIELDS = ["open", "high", "low", "close", "volume"]


def test_importable_lazily() -> None:
    assert rustybt.data.DataPortal is DataPortal
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = rustybt.data.Nope  # type: ignore[attr-defined]


def test_public_attributes(world: Any) -> None:
    shim = world.shim_zipline
    z = world.zipline
    assert shim.asset_finder is z.asset_finder
    assert shim.trading_calendar is z.calendar
    assert shim.adjustment_reader is z.adjustment_reader
    assert isinstance(shim.portal, ArrowDataPortal) and shim.portal.zipline_exact
    assert "zipline_exact=True" in repr(shim)
    assert shim.daily_history_prefetch_length == 40
    assert shim.minute_history_prefetch_length == 1560
    assert isinstance(world.shim_rustybt.adjustment_reader, BundleAdjustmentReader)
    assert all(world.shim_rustybt.contains(a, f) for a in world.assets for f in BASE_FIELDS)
    assert not world.shim_rustybt.contains(world.assets[0], "vwap")


def test_array_return_type_is_the_same_window(world: Any) -> None:
    shim = world.shim_rustybt
    assets = world.assets
    for end, freq, dfreq, n in (
        (world.bundle.sessions[40], "1d", "daily", 20),
        (world.zipline.calendar.session_close(world.bundle.sessions[30]), "1m", "minute", 300),
    ):
        for field in ("close", "price", "volume"):
            frame = shim.get_history_window(assets, end, n, freq, field, dfreq)
            array = shim.get_history_window(assets, end, n, freq, field, dfreq, return_type="array")
            assert isinstance(array, np.ndarray) and array.shape == (n, len(assets))
            assert array.dtype == np.float64
            np.testing.assert_array_equal(array, frame.to_numpy())


def test_errors_are_ziplines(world: Any) -> None:
    from zipline.errors import HistoryWindowStartsBeforeData

    z, shim = world.zipline.data_portal, world.shim_zipline
    assets = world.assets
    second = world.bundle.sessions[1]
    far = world.bundle.sessions[3] + pd.Timedelta(900, "D")
    with pytest.raises(HistoryWindowStartsBeforeData) as info:
        shim.get_history_window(assets, second, 10, "1d", "close", "daily")
    assert info.value.kwargs["bar_count"] == 10
    assert str(info.value) == str(
        call(lambda: z.get_history_window(assets, second, 10, "1d", "close", "daily")).exc
    )
    cases = [
        lambda p: p.get_history_window(assets, second, 0, "1d", "close", "daily"),
        lambda p: p.get_history_window(assets, second, 1, "1d", "vwap", "daily"),
        lambda p: p.get_history_window(assets, second, 1, "5m", "close", "daily"),
        lambda p: p.get_history_window(assets, second, 1, "1d", "last_traded", "daily"),
        lambda p: p.get_history_window(assets, far, 2, "1d", "close", "daily"),
    ]  # fmt: skip
    for case in cases:
        want, got = call(lambda c=case: c(z)), call(lambda c=case: c(shim))
        assert same(want, got), (want, got)


def test_futures_and_fetcher(world: Any) -> None:
    shim = world.shim_zipline
    with pytest.raises(NotImplementedError, match="futures"):
        shim.get_current_future_chain(object(), world.bundle.sessions[3])
    with pytest.raises(NotImplementedError, match="fetcher"):
        shim.handle_extra_source(pd.DataFrame(), None)
    assert shim.get_fetcher_assets(world.bundle.sessions[3]) == []
    z = world.zipline
    with pytest.raises(NotImplementedError, match="futures"):
        DataPortal(z.asset_finder, z.calendar, z.first_trading_day, future_daily_reader=object())
    with pytest.raises(ValueError, match="equity_daily_reader or an equity_minute_reader"):
        DataPortal(z.asset_finder, z.calendar, z.first_trading_day, rustybt_root=Path("/nowhere"))


def _shim_dirs(root: Path) -> list[Path]:
    return sorted(p for p in (root / SHIM_DIR).iterdir() if not p.name.startswith("."))


def test_foreign_readers_are_converted_once(world: Any, tmp_path: Path) -> None:
    z = world.zipline
    args = (z.asset_finder, z.calendar, z.first_trading_day)
    kwargs = {
        "equity_daily_reader": z.daily_reader,
        "adjustment_reader": z.adjustment_reader,
        "rustybt_root": tmp_path,
    }
    first = DataPortal(*args, **kwargs)
    shim_dirs = _shim_dirs(tmp_path)
    assert len(shim_dirs) == 1
    stamp = first.bundle.path.stat().st_mtime_ns
    second = DataPortal(*args, **kwargs)
    assert second.bundle.path == first.bundle.path
    assert second.bundle.path.stat().st_mtime_ns == stamp
    assert _shim_dirs(tmp_path) == shim_dirs
    # a different reader set is a different key
    third = DataPortal(*args, **{**kwargs, "equity_minute_reader": z.minute_reader})
    assert third.bundle.path != first.bundle.path
    assert len(_shim_dirs(tmp_path)) == 2


def test_reader_without_files_is_keyed_by_its_data(world: Any, tmp_path: Path) -> None:
    from zipline.data.in_memory_daily_bars import InMemoryDailyBarReader

    z = world.zipline
    sessions = pd.DatetimeIndex(z.daily_reader.sessions)
    arrays = z.daily_reader.load_raw_arrays(FIELDS, sessions[0], sessions[-1], [0, 1, 2, 3])
    frames = {
        f: pd.DataFrame(a, index=sessions, columns=[0, 1, 2, 3])
        for f, a in zip(FIELDS, arrays, strict=True)
    }
    currencies = pd.Series("USD", index=[0, 1, 2, 3])
    reader = InMemoryDailyBarReader(frames, z.calendar, currencies)
    key = content_key(z.asset_finder, reader, None, z.adjustment_reader)
    frames["close"] = frames["close"] * 2
    changed = InMemoryDailyBarReader(frames, z.calendar, currencies)
    assert content_key(z.asset_finder, changed, None, z.adjustment_reader) != key
    shim = DataPortal(
        z.asset_finder, z.calendar, z.first_trading_day,
        equity_daily_reader=reader, adjustment_reader=z.adjustment_reader, rustybt_root=tmp_path,
    )  # fmt: skip
    assets = z.assets()
    for end in list(sessions)[10::9]:
        for field in ("close", "price", "volume"):
            want = z.data_portal.get_history_window(assets, end, 10, "1d", field, "daily")
            got = shim.get_history_window(assets, end, 10, "1d", field, "daily")
            assert same(want, got)


def test_bundle_adjustment_reader_matches_sqlite(world: Any) -> None:
    ours = BundleAdjustmentReader(world.bundle)
    theirs = world.zipline.adjustment_reader
    finder = world.zipline.asset_finder
    for table in ("splits", "mergers", "dividends"):
        for sid in range(4):
            a, b = (
                ours.get_adjustments_for_sid(table, sid),
                theirs.get_adjustments_for_sid(table, sid),
            )
            assert [d for d, _ in a] == [d for d, _ in b]
            # zipline's dividend ratio uses bcolz's quantised close: equal to an ulp or two
            np.testing.assert_allclose([r for _, r in a], [r for _, r in b], rtol=1e-15)
    sids = [0, 1, 2, 3]
    for day in world.bundle.sessions:
        assert ours.get_dividends_with_ex_date(
            sids, day, finder
        ) == theirs.get_dividends_with_ex_date(sids, day, finder)
        assert ours.get_stock_dividends_with_ex_date(
            sids, day, finder
        ) == theirs.get_stock_dividends_with_ex_date(sids, day, finder)
    tables = ours.unpack_db_to_component_dfs()
    assert set(tables) == set(theirs.unpack_db_to_component_dfs())
    assert "BundleAdjustmentReader" in repr(ours)
    ours.close()


def test_arrow_readers_with_a_zipline_adjustment_reader(world: Any) -> None:
    """A given adjustment reader is the one exposed (the ledger reads dividends from it)."""
    z = world.zipline
    shim = DataPortal(
        z.asset_finder,
        z.calendar,
        world.bundle.first_session,
        equity_daily_reader=ArrowDailyBarReader(world.bundle),
        adjustment_reader=z.adjustment_reader,
    )
    assert shim.adjustment_reader is z.adjustment_reader
    assert shim.bundle.version == world.bundle.version


class Hidden:
    """A reader/finder proxy that hides where its data lives (no files to hash)."""

    _HIDE = frozenset({"_rootdir", "_maybe_table_rootdir", "conn", "engine", "_country_group"})

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in self._HIDE:
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_readers_without_files_convert_and_agree(world: Any, tmp_path: Path) -> None:
    """Minute reader, adjustment reader and asset finder keyed by their data, not files."""
    z = world.zipline
    finder, minute, adj = (
        Hidden(z.asset_finder),
        Hidden(z.minute_reader),
        Hidden(z.adjustment_reader),
    )
    key = content_key(finder, None, minute, adj)
    assert key == content_key(finder, None, minute, adj)
    assert key != content_key(finder, None, z.minute_reader, adj)
    shim = DataPortal(
        finder, z.calendar, z.first_trading_day,
        equity_minute_reader=minute, adjustment_reader=adj, rustybt_root=tmp_path,
    )  # fmt: skip
    assert shim.bundle.frequencies == ("minute",)
    assets = z.assets()
    for end in list(world.bundle.sessions)[5::11]:
        dt = z.calendar.session_close(end)
        want = z.data_portal.get_history_window(assets, dt, 50, "1m", "close", "minute")
        assert same(want, shim.get_history_window(assets, dt, 50, "1m", "close", "minute"))


def test_stale_shim_directory_is_rebuilt(world: Any, tmp_path: Path) -> None:
    z = world.zipline
    kwargs = {"equity_daily_reader": z.daily_reader, "rustybt_root": tmp_path}
    first = DataPortal(z.asset_finder, z.calendar, z.first_trading_day, **kwargs)
    pointer = first.bundle.path.parent / "CURRENT"
    pointer.write_text("gone\n")  # points at a version that does not exist
    second = DataPortal(z.asset_finder, z.calendar, z.first_trading_day, **kwargs)
    assert second.bundle.path != first.bundle.path
    assert second.bundle.version == first.bundle.version


def test_a_shim_directory_of_other_readers_is_not_trusted(world: Any, tmp_path: Path) -> None:
    """A conversion found under a key's directory must record that key (else reconverted)."""
    import shutil

    z = world.zipline
    args = (z.asset_finder, z.calendar, z.first_trading_day)
    daily = {"equity_daily_reader": z.daily_reader, "rustybt_root": tmp_path}
    first = DataPortal(*args, **daily)
    other = DataPortal(*args, **daily, equity_minute_reader=z.minute_reader)
    key_dir = first.bundle.path.parent
    shutil.rmtree(key_dir)
    shutil.copytree(other.bundle.path.parent, key_dir)  # other readers' conversion, copied
    again = DataPortal(*args, **daily)
    assert again.bundle.version == first.bundle.version != other.bundle.version
    assert again.bundle.manifest.source["shim_key"] == first.bundle.manifest.source["shim_key"]
    assert again.bundle.frequencies == ("daily",)


def test_mixed_bundles_are_treated_as_foreign(world: Any, tmp_path: Path) -> None:
    """Arrow readers of two different bundle versions: converted like any other readers."""
    from rustybt.compat.zipline import ArrowMinuteBarReader

    z = world.zipline
    shim = DataPortal(
        z.asset_finder, z.calendar, z.first_trading_day,
        equity_daily_reader=ArrowDailyBarReader(world.bundle),
        equity_minute_reader=ArrowMinuteBarReader(world.shim_zipline.bundle),
        adjustment_reader=z.adjustment_reader, rustybt_root=tmp_path,
    )  # fmt: skip
    assert shim.bundle.version not in (world.bundle.version, world.shim_zipline.bundle.version)
    assets = world.assets
    end = world.bundle.sessions[-5]
    want = z.data_portal.get_history_window(assets, end, 30, "1d", "price", "daily")
    assert same(want, shim.get_history_window(assets, end, 30, "1d", "price", "daily"))


def test_rustybt_only_construction(world: Any) -> None:
    """rustybt's own finder, calendar and assets (no zipline objects): rustybt assets back."""
    from rustybt.assets import Asset

    b = world.bundle
    shim = DataPortal(b.asset_finder, b.calendar, b.first_session, ArrowDailyBarReader(b))
    assets = b.asset_finder.retrieve_all([2, 0])
    frame = shim.get_history_window(assets, b.sessions[-1], 5, "1d", "close", "daily")
    assert list(frame.columns) == assets and all(type(c) is type(assets[0]) for c in frame.columns)
    assert isinstance(frame.columns[0], Asset)
    split_day = b.read_splits()["effective_date"].iloc[0]
    sid = int(b.read_splits()["sid"].iloc[0])
    splits = shim.get_splits(b.asset_finder.retrieve_all([sid]), split_day)
    assert splits == [(b.asset_finder.retrieve_asset(sid), 0.5)]
    assert type(splits[0][0]) is type(assets[0])
