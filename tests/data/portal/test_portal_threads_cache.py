"""Thread safety (16 threads x 10,000 mixed calls equal serial results) and HistoryCache."""

from __future__ import annotations

import random
import threading
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rustybt import ArrowDataPortal, HistoryCache
from rustybt.data.portal.cache import cache_from_env
from rustybt.optimization.dataportal_ext import HistoryCache as ExportedCache
from rustybt.testing import KNOWN, known_values_spec, make_bundle

N = KNOWN.N


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_bundle(tmp_path_factory.mktemp("threads"), known_values_spec(), name="fixed")


def _queries(n: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    fields = ["open", "high", "low", "close", "volume", "price"]
    out = []
    for _ in range(n):
        kind = rng.random()
        end = rng.randrange(10, N)
        bars = rng.randint(1, 10)
        if kind < 0.5:
            out.append(("a1", rng.randrange(4), rng.choice(fields), bars, end))
        elif kind < 0.75:
            out.append(("aN", None, rng.choice(fields), bars, end))
        elif kind < 0.9:
            out.append(("spot", rng.randrange(4), rng.choice(fields), 0, end))
        else:
            out.append(("df", None, rng.choice(fields), bars, end))
    return out


def _run(p: ArrowDataPortal, q: tuple) -> Any:
    kind, sid, field, bars, end = q
    dt = p.sessions[end]
    if kind == "a1":
        return p.history(sid, field, bars, end_dt=dt, return_type="array").copy()
    if kind == "aN":
        return p.history([0, 1, 2, 3], field, bars, end_dt=dt, return_type="array").copy()
    if kind == "spot":
        return np.float64(p.get_spot_value(sid, field, dt, "daily"))
    return p.history([0, 1, 2, 3], field, bars, end_dt=dt).to_numpy().copy()


def test_16_threads_match_serial(bundle: Any) -> None:
    # both bounds of the LRU tier bind in turn (a window weighs ~0.6-1 KB): evictions race
    cache = HistoryCache(maxsize=64, max_bytes=30_000)
    portal = ArrowDataPortal(bundle, cache=cache)
    queries = _queries(2_000, 1)  # 16 × 2,000 = 32,000 concurrent calls
    reference = ArrowDataPortal(bundle)  # no cache, one thread: the serial answers
    serial = [_run(reference, q) for q in queries]
    results: dict[int, list[Any]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def work(t: int) -> None:
        order = list(range(len(queries)))
        random.Random(t).shuffle(order)
        got: list[Any] = [None] * len(queries)
        try:
            start.wait()
            for i in order:
                got[i] = _run(portal, queries[i])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        results[t] = got

    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sorted(results) == list(range(16))
    assert 0 < cache.nbytes <= 30_000 and len(cache._lru) < 64
    assert cache.nbytes == sum(cache._lru._weights.values())  # bookkeeping survived the race
    for got in results.values():
        for a, b in zip(got, serial, strict=True):
            # exact (NaN == NaN), same type and shape; assert_array_equal only to report
            if not (type(a) is type(b) and np.shape(a) == np.shape(b)
                    and np.array_equal(a, b, equal_nan=True)):
                np.testing.assert_array_equal(a, b)
                raise AssertionError(f"{type(a)} {np.shape(a)} != {type(b)} {np.shape(b)}")


def test_cache_tiers_hits_and_invalidation(bundle: Any) -> None:
    assert ExportedCache is HistoryCache
    cache = HistoryCache(maxsize=2)
    p = ArrowDataPortal(bundle, cache=cache)
    s = p.sessions
    first = p.history([0, 1], "price", 20, end_dt=s[25])
    again = p.history([0, 1], "price", 20, end_dt=s[25])
    # a hit is an equal copy, never the cached object itself (test_cache_trust.py)
    assert again is not first and cache.hits == 1 and cache.misses == 1
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    assert cache.hit_rate == 0.5
    arr = p.history([0, 1], "price", 5, end_dt=s[25], return_type="array")
    assert not arr.flags.writeable  # cached arrays are read-only
    for end in (20, 21, 22):
        p.history([0, 1], "close", 5, end_dt=s[end], return_type="array")
    stats = cache.stats()
    assert stats["permanent"] == 1 and stats["lru"] == 2  # LRU evicted down to maxsize
    # single-asset arrays go through the cache too (adjusted window: an allocation)
    a = p.history(0, "close", 3, end_dt=s[11], return_type="array")
    hits = cache.hits
    b = p.history(0, "close", 3, end_dt=s[11], return_type="array")
    assert cache.hits == hits + 1 and np.shares_memory(a, b) and not b.flags.writeable
    cache.bind(p.version)
    assert len(cache) > 0
    cache.bind("another-version")
    assert len(cache) == 0
    cache.clear()
    assert cache.hits == 0 and cache.hit_rate == 0.0
    off = HistoryCache(enabled=False)
    q = ArrowDataPortal(bundle, cache=off)
    q.history([0], "close", 3, end_dt=s[11])
    assert off.get(("x",), 3) is None and len(off) == 0 and off.misses == 0
    np.testing.assert_array_equal(
        q.history([0, 1], "price", 20, end_dt=s[25]).to_numpy(), first.to_numpy())


def test_cache_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUSTYBT_HISTORY_CACHE", "off")
    assert cache_from_env() is None
    monkeypatch.setenv("RUSTYBT_HISTORY_CACHE", "32")
    cache = cache_from_env()
    assert cache is not None and cache.maxsize == 32
    monkeypatch.setenv("RUSTYBT_HISTORY_CACHE", "on")
    cache = cache_from_env()
    assert cache is not None and cache.maxsize == 256
    monkeypatch.delenv("RUSTYBT_HISTORY_CACHE")
    assert cache_from_env() is None
    assert isinstance(pd.Timestamp("2024-01-02"), pd.Timestamp)
