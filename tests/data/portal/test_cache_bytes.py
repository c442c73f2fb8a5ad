"""HistoryCache's byte bound: the LRU tier keeps at most ``max_bytes`` (least recently used
out first), an entry heavier than the bound is handed out but never stored, and each entry
weighs at least the data it keeps alive, whatever its return type."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from rustybt import ArrowDataPortal, HistoryCache
from rustybt.data.portal.cache import ENTRY_OVERHEAD, OBJECT_OVERHEAD
from rustybt.testing import make_bundle, random_spec

NO_PERMANENT: frozenset[int] = frozenset()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_bundle(tmp_path_factory.mktemp("cache_bytes"), random_spec(5, 4, 60),
                           name="b")


def _window(p: ArrowDataPortal, end: int, return_type: str = "array") -> Any:
    return p.history([0, 1, 2, 3], "close", 10, end_dt=p.sessions[end],
                     return_type=return_type)


def test_byte_bound_evicts_least_recently_used_first(bundle: Any) -> None:
    probe = HistoryCache(permanent_bar_counts=NO_PERMANENT)
    _window(ArrowDataPortal(bundle, cache=probe), 20)
    weight = probe.nbytes  # every window below has this shape: the same weight
    assert weight >= 4 * 10 * 8
    bound = 3 * weight + weight // 2  # room for three
    cache = HistoryCache(maxsize=1_000, max_bytes=bound, permanent_bar_counts=NO_PERMANENT)
    p = ArrowDataPortal(bundle, cache=cache)
    for end in range(20, 30):
        _window(p, end)
        assert cache.nbytes <= bound
    assert len(cache) == 3 and cache.nbytes == 3 * weight and cache.misses == 10
    _window(p, 27)  # a hit: 27 becomes the most recently used
    assert cache.hits == 1
    _window(p, 30)  # evicts 28, the least recently used
    assert (cache.hits, cache.misses) == (1, 11)
    for end in (27, 29, 30):
        _window(p, end)
    assert (cache.hits, cache.misses) == (4, 11)
    _window(p, 28)
    assert (cache.hits, cache.misses) == (4, 12)
    assert cache.stats()["lru_bytes"] == cache.nbytes <= bound


@pytest.mark.parametrize("return_type", ["array", "dataframe", "polars", "arrow"])
def test_entry_heavier_than_max_bytes_is_returned_but_not_stored(
        bundle: Any, return_type: str) -> None:
    plain = ArrowDataPortal(bundle)
    cache = HistoryCache(max_bytes=ENTRY_OVERHEAD, permanent_bar_counts=NO_PERMANENT)
    p = ArrowDataPortal(bundle, cache=cache)
    want = _window(plain, 40, return_type)
    for _ in range(2):
        got = _window(p, 40, return_type)
        assert type(got) is type(want)
        if return_type == "dataframe":
            pd.testing.assert_frame_equal(got, want, check_exact=True)
        elif return_type == "polars":
            assert got.equals(want)
        elif return_type == "arrow":  # Table.equals: NaN != NaN
            assert got.schema == want.schema
            pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas(), check_exact=True)
        else:
            np.testing.assert_array_equal(got, want)
    assert len(cache) == 0 and cache.nbytes == 0 and (cache.hits, cache.misses) == (0, 2)


def _data_bytes(value: Any) -> int:
    """What the value's own library says it holds."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=False).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=False))
    if isinstance(value, pl.DataFrame):
        return int(value.estimated_size())
    assert isinstance(value, pa.Table)
    return int(value.nbytes)


@pytest.mark.parametrize("fields, return_type", [
    ("close", "array"), ("close", "dataframe"), (["close", "volume"], "dataframe"),
    ("close", "polars"), (["close", "volume"], "polars"), ("close", "arrow"),
])
def test_entry_weighs_its_data(bundle: Any, fields: Any, return_type: str) -> None:
    weights = []
    for bars in (10, 40):
        cache = HistoryCache(permanent_bar_counts=NO_PERMANENT)
        p = ArrowDataPortal(bundle, cache=cache)
        value = p.history([0, 1, 2, 3], fields, bars, end_dt=p.sessions[50],
                          return_type=return_type)
        assert len(cache) == 1
        data = _data_bytes(value) + ENTRY_OVERHEAD
        if return_type != "array":
            data += OBJECT_OVERHEAD
        # the data, the key's tuples and the fixed overheads; not more than a few KiB beyond
        assert data <= cache.nbytes <= data + 2_048
        weights.append(cache.nbytes)
    assert weights[1] > weights[0]


def test_series_and_single_asset_windows_are_weighed(bundle: Any) -> None:
    cache = HistoryCache(permanent_bar_counts=NO_PERMANENT)
    p = ArrowDataPortal(bundle, cache=cache)
    series = p.history(0, "close", 30, end_dt=p.sessions[50])
    assert isinstance(series, pd.Series)
    assert cache.nbytes >= _data_bytes(series) + ENTRY_OVERHEAD + OBJECT_OVERHEAD
    before = cache.nbytes
    arr = p.history(1, "close", 30, end_dt=p.sessions[50], return_type="array")
    assert cache.nbytes - before >= arr.nbytes + ENTRY_OVERHEAD


def test_max_bytes_setter_and_validation(bundle: Any) -> None:
    cache = HistoryCache(max_bytes=None, permanent_bar_counts=NO_PERMANENT)
    p = ArrowDataPortal(bundle, cache=cache)
    for end in range(20, 25):
        _window(p, end)
    assert cache.max_bytes is None and len(cache) == 5
    cache.max_bytes = cache.nbytes // 5 + 1  # one entry's worth: applies on the next put
    _window(p, 25)
    assert len(cache) == 1 and cache.nbytes <= cache.max_bytes
    with pytest.raises(ValueError, match="max_bytes must be >= 0 or None, got -5"):
        cache.max_bytes = -5
    with pytest.raises(ValueError, match="max_bytes must be >= 0, got -1"):
        HistoryCache(max_bytes=-1)
