"""Layer 1 caches: asset lists, PreGroupedData (against a plain-dict LRU oracle), and the
invalidation of every cache when a bundle is re-ingested."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opt_support import SESSIONS, dma_hooks, start_end, write_bundle

from rustybt import ArrowDataPortal
from rustybt.optimization import (
    AlgorithmWorkload,
    BundleConnectionPool,
    BundleVersionMetadata,
    GridSearch,
    IntRange,
    OptimizationConfig,
    ParameterSpace,
    PreGroupedData,
    Study,
    VersionWatch,
    get_cached_assets,
    invalidate_stale,
)
from rustybt.optimization.caching import OHLCV


# -- asset lists -----------------------------------------------------------------------------
def test_asset_list_read_once_per_version(tmp_path: Path) -> None:
    first = write_bundle(tmp_path)
    again = BundleVersionMetadata.current("opt", tmp_path)
    cached = get_cached_assets(first)
    assert cached.sids == (0, 1, 2) and [a.sid for a in cached.assets] == [0, 1, 2]
    assert cached.version == again.version
    from rustybt.data.bundles import load

    assert get_cached_assets(load("opt", root=tmp_path)) is cached  # a fresh Bundle object
    second = write_bundle(tmp_path, seed=2, n_assets=4)
    assert get_cached_assets(second).sids == (0, 1, 2, 3)


# -- PreGroupedData --------------------------------------------------------------------------
def _long_frame(bundle_root: Path) -> pd.DataFrame:
    from rustybt.data.bundles import load

    bundle = load("opt", root=bundle_root)
    parts = []
    for sid in (2, 0, 1):
        frame = bundle.read_daily(sid)
        frame.insert(0, "sid", sid)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=3)


def test_pre_grouped_sources_agree_with_a_naive_filter(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path)
    frame = _long_frame(tmp_path)
    store = PreGroupedData.from_bundle(bundle, source="store")
    parquet = PreGroupedData.from_bundle(bundle, source="parquet")
    pandas_ = PreGroupedData.from_frame(frame.sort_values(["sid", "date"]))
    polars_ = PreGroupedData.from_frame(pl.from_pandas(frame).sort("date"))
    portal = ArrowDataPortal(bundle)
    for sid in (0, 1, 2):
        naive = frame[frame["sid"] == sid].sort_values("date")[list(OHLCV)].to_numpy(np.float64)
        for data in (store, parquet, pandas_, polars_):
            got = data[sid]
            assert got.shape == (len(SESSIONS), 5) and got.dtype == np.float64
            assert got.flags.c_contiguous and not got.flags.writeable
            np.testing.assert_array_equal(got, naive)
        close = portal.history(sid, "close", len(SESSIONS), end_dt=SESSIONS[-1],
                               return_type="array")
        np.testing.assert_array_equal(store[portal.asset_finder.retrieve_asset(sid)][:, 3],
                                      close)
    assert store.get(99) is None and parquet.get(99) is None and pandas_.get(99) is None
    with pytest.raises(KeyError, match="'nope'"):
        PreGroupedData.from_frame(frame, "nope")
    with pytest.raises(ValueError, match="source must be"):
        PreGroupedData.from_bundle(bundle, source="csv")


def test_pre_grouped_frame_rejects_nulls() -> None:
    frame = pl.DataFrame({"sid": [1, 1], **{c: [1.0, None] for c in OHLCV}})
    with pytest.raises(ValueError, match="'open' holds 1 null"):
        PreGroupedData.from_frame(frame)


def _sized(sizes: dict[int, int]) -> PreGroupedData:
    """Asset k → a (sizes[k], 5) array of k's; max_bytes set by the caller."""
    return PreGroupedData(lambda k: np.full((sizes[k], 5), float(k)), sizes)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(sizes=st.lists(st.integers(0, 6), min_size=1, max_size=6),
       limit_rows=st.integers(0, 14),
       accesses=st.lists(st.integers(0, 5), max_size=30))
def test_pre_grouped_lru_matches_a_dict_oracle(
        sizes: list[int], limit_rows: int, accesses: list[int]) -> None:
    table = dict(enumerate(sizes))
    data = _sized(table)
    data.max_bytes = limit_rows * 40  # a row is 5 float64 = 40 bytes
    oracle: OrderedDict[int, int] = OrderedDict()  # key -> bytes, LRU first
    hits = misses = evictions = 0
    for k in accesses:
        if k not in table:
            with pytest.raises(KeyError):
                data[k]
            misses += 1
            continue
        arr = data[k]
        np.testing.assert_array_equal(arr, np.full((table[k], 5), float(k)))
        if k in oracle:
            oracle.move_to_end(k)
            hits += 1
        else:
            misses += 1
            if table[k] * 40 <= data.max_bytes:
                oracle[k] = table[k] * 40
                while sum(oracle.values()) > data.max_bytes:
                    oracle.popitem(last=False)
                    evictions += 1
        assert data.keys() == list(oracle)
        assert data.nbytes == sum(oracle.values())
        assert data.nbytes == sum(a.nbytes for a in data._arrays.values())
        assert data.nbytes <= data.max_bytes
    assert (data.hits, data.misses, data.evictions) == (hits, misses, evictions)


def test_pre_grouped_byte_accounting_and_eviction_order() -> None:
    data = _sized({0: 2, 1: 3, 2: 1, 3: 10})
    data.max_bytes = 6 * 40
    data[0], data[1]
    data[0]  # 0 is now the most recent
    data[2]  # 6 rows: at the limit, nothing evicted
    assert data.keys() == [1, 0, 2] and data.nbytes == 6 * 40
    data[1]
    big = data[3]  # larger than the limit: handed out, not kept
    assert big.shape == (10, 5) and 3 not in data and data.nbytes == 6 * 40
    data.max_bytes = 4 * 40
    data[0]  # already kept: a hit does not evict
    fresh = _sized({0: 2, 1: 3, 2: 1})
    fresh.max_bytes = 4 * 40
    fresh[0], fresh[1]
    assert fresh.keys() == [1] and fresh.nbytes == 3 * 40 and fresh.evictions == 1
    fresh.clear()
    assert fresh.nbytes == 0 and len(fresh) == 0


# -- invalidation on re-ingest ---------------------------------------------------------------
def test_version_watch_sees_a_reingest(tmp_path: Path) -> None:
    old = write_bundle(tmp_path)
    watch = VersionWatch("opt", tmp_path)
    assert watch.changed() and watch.metadata is not None
    assert watch.metadata.version == old.version
    assert watch.metadata.built_at == old.manifest.created_at
    assert not watch.changed()
    new = write_bundle(tmp_path, seed=5)
    assert watch.changed() and watch.metadata.version == new.version
    assert not watch.metadata.same_version(old.version)


def test_invalidate_stale_clears_every_cache_of_the_old_version(tmp_path: Path) -> None:
    old = write_bundle(tmp_path)
    grouped = PreGroupedData.from_bundle(old, root=tmp_path)
    grouped[0]
    pool = BundleConnectionPool.instance()
    pool.portal("opt", tmp_path)
    assert not invalidate_stale("opt", tmp_path).stale  # nothing is stale yet
    assert len(grouped) == 1
    write_bundle(tmp_path, seed=5)
    report = invalidate_stale("opt", tmp_path)
    assert report.current.version != old.version
    assert report.cleared == [grouped] and len(grouped) == 0 and grouped.nbytes == 0
    assert report.pool_dropped and report.asset_lists_cleared
    assert pool.portal("opt", tmp_path).version == report.current.version


@pytest.mark.parametrize("config", [OptimizationConfig.all_on(), OptimizationConfig.all_off()],
                         ids=["all_on", "all_off"])
def test_reingest_between_studies_second_study_sees_new_data(
        tmp_path: Path, config: OptimizationConfig) -> None:
    write_bundle(tmp_path, seed=1)
    start, end = start_end()
    space = ParameterSpace({"short": IntRange(5, 5), "long": IntRange(20, 20)})
    workload = AlgorithmWorkload(dma_hooks, "opt", start, end, root=tmp_path, config=config)

    def run() -> dict[str, float]:
        result = Study(workload, space, GridSearch(), progress=False).optimize()
        assert result.trials[0].status == "ok", result.trials[0].error
        return result.trials[0].metrics

    first = run()
    write_bundle(tmp_path, seed=9)  # re-ingest other prices under the same name
    second = run()
    fresh = AlgorithmWorkload(dma_hooks, "opt", start, end, root=tmp_path,
                              config=OptimizationConfig.all_off())
    truth = Study(fresh, space, GridSearch(), progress=False).optimize().trials[0].metrics
    assert second == truth and second != first
