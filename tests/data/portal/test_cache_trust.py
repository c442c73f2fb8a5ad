"""HistoryCache never changes a result: keys carry everything that changes one (the portal's
bundle version and mode, the assets as labels), every history path is served (``history``,
``get_history_window``, the zipline shim), and nothing handed out aliases the cached value."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from rustybt import ArrowDataPortal, HistoryCache
from rustybt.testing import make_bundle, random_spec


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # splits/dividends give adjusted values that zipline_exact rounds differently
        return make_bundle(tmp_path_factory.mktemp("cache_trust"), random_spec(3, 4, 60),
                           name="c")


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_bundle(tmp_path_factory.mktemp("cache_other"), random_spec(4, 4, 60),
                           name="d")


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert [type(c) for c in a.columns] == [type(c) for c in b.columns]
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True)
        assert type(a.name) is type(b.name)
    elif isinstance(a, pl.DataFrame):
        assert a.equals(b)
    else:
        np.testing.assert_array_equal(a, b)


def test_generator_of_assets_is_read_once(bundle: Any) -> None:
    plain, cached = ArrowDataPortal(bundle), ArrowDataPortal(bundle, cache=HistoryCache())
    end = plain.sessions[30]
    want = plain.history((a for a in [0, 1]), "close", 5, end_dt=end)
    assert want.shape == (5, 2)
    for _ in range(2):  # the miss, then the hit
        _same(cached.history((a for a in [0, 1]), "close", 5, end_dt=end), want)
        _same(cached.get_history_window((a for a in [0, 1]), end, 5, "1d", "close", "daily"),
              want)


def test_assets_key_by_label_type(bundle: Any) -> None:
    p = ArrowDataPortal(bundle, cache=HistoryCache())
    assets = [p.asset_finder.retrieve_asset(s) for s in (0, 1)]
    end = p.sessions[30]
    by_int = p.history([0, 1], "close", 5, end_dt=end)
    by_asset = p.history(assets, "close", 5, end_dt=end)
    assert [type(c) for c in by_asset.columns] == [type(a) for a in assets]
    assert by_asset.columns[0] is assets[0]
    assert by_asset[assets[0]].shape == (5,)  # keyed by the Asset objects passed
    one = p.history(assets[0], "close", 5, end_dt=end)
    assert p.history(0, "close", 5, end_dt=end).name == 0 and one.name is assets[0]
    w = p.get_history_window([0, 1], end, 5, "1d", "close", "daily")
    assert [type(c) for c in w.columns] == [int, int]
    wa = p.get_history_window(assets, end, 5, "1d", "close", "daily")
    assert wa.columns[1] is assets[1]
    np.testing.assert_array_equal(by_int.to_numpy(), by_asset.to_numpy())


def test_mode_and_version_are_part_of_the_key(bundle: Any, other: Any) -> None:
    cache = HistoryCache()
    exact = ArrowDataPortal(bundle, zipline_exact=True, cache=cache)
    default = ArrowDataPortal(bundle, cache=cache)
    elsewhere = ArrowDataPortal(other, cache=cache)
    plain_exact, plain = ArrowDataPortal(bundle, zipline_exact=True), ArrowDataPortal(bundle)
    plain_other = ArrowDataPortal(other)
    end = plain.sessions[-1]
    calls = [
        lambda p: p.history([0, 1, 2, 3], "price", 50, end_dt=end),
        lambda p: p.history([0, 1, 2, 3], ["open", "close"], 20, end_dt=end,
                            return_type="array"),
        lambda p: p.get_history_window([0, 1, 2, 3], end, 50, "1d", "close", "daily"),
    ]
    differs = False
    for call in calls:
        for _ in range(2):
            for portal, ref in ((exact, plain_exact), (default, plain),
                                (elsewhere, plain_other)):
                _same(call(portal), call(ref))
        a, b = np.asarray(call(plain_exact)), np.asarray(call(plain))
        differs |= not np.array_equal(a, b, equal_nan=True)
    assert differs  # the bundle does tell the two modes apart
    assert cache.hits > 0


def test_get_history_window_and_the_shim_use_the_cache(bundle: Any) -> None:
    from rustybt.compat.zipline import ArrowDailyBarReader
    from rustybt.data import DataPortal

    cache = HistoryCache()
    p = ArrowDataPortal(bundle, cache=cache)
    end = p.sessions[40]
    first = p.get_history_window([0, 1], end, 20, "1d", "price", "daily")
    assert (cache.hits, cache.misses) == (0, 1)
    _same(p.get_history_window([0, 1], end, 20, "1d", "price", "daily"), first)
    assert cache.hits == 1
    shim_cache = HistoryCache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shim = DataPortal(bundle.asset_finder, bundle.calendar, bundle.first_session,
                          equity_daily_reader=ArrowDailyBarReader(bundle), cache=shim_cache)
    want = ArrowDataPortal(bundle, zipline_exact=True).get_history_window(
        [0, 1], end, 20, "1d", "price", "daily")
    for _ in range(2):
        _same(shim.get_history_window([0, 1], end, 20, "1d", "price", "daily"), want)
    assert (shim_cache.hits, shim_cache.misses) == (1, 1)


@pytest.mark.parametrize("return_type", ["dataframe", "array", "polars"])
@pytest.mark.parametrize("shape", ["one", "many", "fields"])
def test_callers_cannot_corrupt_the_cache(bundle: Any, return_type: str, shape: str) -> None:
    p = ArrowDataPortal(bundle, cache=HistoryCache())
    ref = ArrowDataPortal(bundle)
    end = p.sessions[40]
    assets: Any = 1 if shape == "one" else [0, 1, 2]
    fields: Any = ["open", "close"] if shape == "fields" else "price"

    def call(portal: ArrowDataPortal) -> Any:
        return portal.history(assets, fields, 20, end_dt=end, return_type=return_type)

    want = call(ref)
    for _ in range(3):  # the miss, then hits: each handed-out value is attacked
        got = call(p)
        _same(got, want)
        if isinstance(got, np.ndarray):
            assert not got.flags.writeable
            with pytest.raises(ValueError):
                got.flags.writeable = True
            with pytest.raises(ValueError):
                got[...] = -1.0
        elif isinstance(got, pd.DataFrame | pd.Series):
            got.iloc[0] = -1.0
            if isinstance(got, pd.DataFrame):
                got["extra"] = 1.0
            got.index = got.index[::-1]
        else:
            got[0, got.columns[1]] = -1.0
            got.columns = [f"x{i}" for i in range(got.width)]


@pytest.mark.parametrize("assets,fields", [([0, 1], "close"), (1, "close"),
                                           ([0, 1], ["open", "close"])])
def test_axes_names_do_not_leak_between_hits(bundle: Any, assets: Any, fields: Any) -> None:
    p = ArrowDataPortal(bundle, cache=HistoryCache())
    end = p.sessions[40]
    want = ArrowDataPortal(bundle).history(assets, fields, 20, end_dt=end)
    for _ in range(3):
        got = p.history(assets, fields, 20, end_dt=end)
        assert list(got.index.names) == list(want.index.names)
        got.index.names = ["when"] * got.index.nlevels
        if isinstance(got, pd.DataFrame):
            assert got.columns.name == want.columns.name
            got.columns.name = "who"
    assert p.cache is not None and p.cache.hits == 2
